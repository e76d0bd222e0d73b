"""One canonical identity (issue 11, points 2, 3 and 10): every spelling of a
user's SIP URI is that user, for walls, roles, groups, preferences and
authorship; identities that are not chat users are refused at INVITE; a
chat node behind a front-end refuses an INVITE without P-Asserted-Identity;
a policy that cannot be read keeps the user out."""

import contextlib

import pytest

from admin import fails, one
from chat import ChatUser, make_category, make_room, set_policy, sql_quote, unique
from kamailio import Kamailio
from mariadb import free_port
from signin import PROVISIONING, check_register_ok
from sipclient import InviteRejected, SipClient, find

DOMAIN = "example.com"


class Spelled(ChatUser):
    """A chat client whose From header is written exactly as given (bytes
    or str), e.g. '"Mallory" <sip:mallory@EXAMPLE.COM.:5060;x=1>'."""

    def __init__(self, kam, from_value, uri=None, transport="tcp"):
        self.kam = kam
        self.user = unique("spelled")
        self.uri = uri  # the author a post claims; the canonical URI if None
        self.client = SipClient("127.0.0.1", kam.port, transport=transport,
                                user=self.user, domain=kam.domain)
        if isinstance(from_value, str):
            from_value = from_value.encode("utf-8")
        plain = f"From: <{self.client.aor}>".encode()
        build = self.client.build_request
        self.client.build_request = lambda *a, **kw: build(*a, **kw).replace(
            plain, b"From: " + from_value, 1)
        self.dlg = self.client.invite(kam.service_uri, timeout=15)


@pytest.fixture
def spelled(kam):
    made = []

    def make(from_value, uri=None):
        u = Spelled(kam, from_value, uri)
        made.append(u)
        return u

    yield make
    for u in made:
        u.close()


def variants(user):
    """Spellings of sip:<user>@example.com in a From header, with the URI a
    client of each would put in a post's author."""
    esc = "%" + format(ord(user[0]), "02x") + user[1:]
    up = user.upper()
    return [
        (f"<sip:{user}@{DOMAIN};x=1>", f"sip:{user}@{DOMAIN};x=1"),
        (f"<sip:{user}@{DOMAIN}:5060>", f"sip:{user}@{DOMAIN}:5060"),
        (f"<sip:{user}@EXAMPLE.COM>", f"sip:{user}@EXAMPLE.COM"),
        (f"<sip:{user}@{DOMAIN}.>", f"sip:{user}@{DOMAIN}."),
        (f"<sips:{user}@{DOMAIN}>", f"sips:{user}@{DOMAIN}"),
        (f"<sip:{esc}@{DOMAIN}>", f"sip:{esc}@{DOMAIN}"),
        (f"<sip:{up}@{DOMAIN}>", f"sip:{up}@{DOMAIN}"),
        (f'"{user.title()} Evil" <sip:{user}@Example.Com.:5061;transport=tcp>',
         f"sip:{user}@Example.Com.:5061;transport=tcp"),
        (f"sip:{user}@{DOMAIN}", f"sip:{user}@{DOMAIN}"),  # addr-spec, ;tag follows
    ]


def session_users(kam):
    return {s.get("user") for s in kam.sessions()}


def test_a_wall_denies_every_spelling_of_the_denied_user(kam, mariadb, spelled):
    set_policy(mariadb, "global", "", True)
    mallory = unique("mallory")
    canonical = f"sip:{mallory}@{DOMAIN}"
    _, cat = make_category(mariadb, walls=[("denied", "user", canonical)])
    _, guid, _ = make_room(mariadb, category=cat, privacy="open")
    with contextlib.closing(ChatUser(kam, unique("bob"))) as bob:
        assert bob.join(guid).code == 200
    for from_value, _ in variants(mallory):
        m = spelled(from_value)
        assert canonical in session_users(kam), from_value
        rep = m.join(guid)
        assert rep.code == 404, (from_value, rep.code)
        m.close()


def test_every_spelling_of_a_member_is_the_member(kam, mariadb, spelled):
    set_policy(mariadb, "global", "", True)
    ann = unique("ann")
    canonical = f"sip:{ann}@{DOMAIN}"
    _, guid, _ = make_room(mariadb, privacy="closed", members=[canonical])
    with contextlib.closing(ChatUser(kam, unique("bob"))) as bob:
        # bob is no member: the room is closed to him
        assert bob.join(guid).code == 403
    watcher = spelled(f"<{canonical}>")
    assert watcher.join(guid).code == 200
    for i, (from_value, claimed) in enumerate(variants(ann)):
        a = spelled(from_value, uri=claimed)
        rep = a.join(guid)
        assert rep.code == 200, (from_value, rep.code)
        # the post is authored by the canonical identity, whatever the spelling
        assert a.post(guid, f"post {i}").status == 200, from_value
        msg = watcher.wait_message(guid)
        assert msg["author"] == canonical and msg["text"] == f"post {i}", from_value
        a.close()


def test_preferences_are_shared_by_every_spelling(kam, mariadb, spelled):
    set_policy(mariadb, "global", "", True)
    carl = unique("carl")
    first, second = variants(carl)[2][0], variants(carl)[5][0]
    a = spelled(first)
    assert a.dlg.command("setpref", '<pref label="rooms" seqid="0" content="QUJD"/>').code == 200
    b = spelled(second)
    rep = b.dlg.command("getpref", '<pref label="rooms" seqid="0"/>')
    assert rep.code == 200 and find(rep.data, "pref").get("content") == "QUJD"


def test_muller_and_mueller_are_different_users(kam, mariadb, spelled):
    """Binary comparison in C and in SQL: ü is not u (groups and preferences
    are matched by the store)."""
    set_policy(mariadb, "global", "", True)
    tag = unique("x")
    muller_u, mueller_u = f"m\u00fcller-{tag}", f"muller-{tag}"
    muller = f"sip:{muller_u}@{DOMAIN}"
    group = unique("grp")
    mariadb.sql(f"INSERT INTO pchat_group (name) VALUES ({sql_quote(group)})", db="pchat")
    mariadb.sql(f"INSERT INTO pchat_group_member (group_id, user_uri) SELECT id, "
                f"{sql_quote(muller)} FROM pchat_group WHERE name = {sql_quote(group)}",
                db="pchat")
    rid, guid, _ = make_room(mariadb, privacy="closed")
    mariadb.sql(f"INSERT INTO pchat_role VALUES ({rid}, 'member', 'group', "
                f"{sql_quote(group)})", db="pchat")
    impostor = spelled(f"<sip:{mueller_u}@{DOMAIN}>")
    assert impostor.join(guid).code == 403
    assert impostor.dlg.command(
        "setpref", '<pref label="rooms" seqid="0" content="TVVM"/>').code == 200
    real = spelled(f"<{muller}>")
    assert real.join(guid).code == 200
    escaped = spelled(f"<sip:m%C3%BCller-{tag}@{DOMAIN}>")
    assert escaped.join(guid).code == 200
    rep = real.dlg.command("getpref", '<pref label="rooms" seqid="0"/>')
    assert rep.code == 404  # muller's bundle is not m\u00fcller's
    assert {muller, f"sip:{mueller_u}@{DOMAIN}"} <= session_users(kam)


@pytest.mark.parametrize("from_value,code", [
    (b"<sip:\xff\xfe@example.com>", 400),            # invalid UTF-8
    (b"<sip:m\xc3@example.com>", 400),               # truncated UTF-8
    (b"<sip:%C3%28x@example.com>", 400),             # invalid UTF-8, escaped
    (b"<sip:\xc0\xafx@example.com>", 400),           # overlong form
    (b"<sip:a%00b@example.com>", 400),               # NUL
    (b"<sip:a%zzb@example.com>", 400),               # bad escape
    (b"<sip:alice@exa_mple.com>", 400),              # bad host
    (b"<tel:+15551234>", 403),                       # not a sip: URI
    (b"<sip:example.com>", 403),                     # no user part
    (b"<sip:alice:secret@example.com>", 403),        # password
    (b"<sip:mallory;x=1@example.com>", 403),         # parameters in the user part
])
def test_identities_that_are_no_chat_user_are_refused(kam, mariadb, from_value, code):
    set_policy(mariadb, "global", "", True)
    before = len(kam.sessions())
    with pytest.raises(InviteRejected) as rejected:
        Spelled(kam, from_value).close()
    resp = rejected.value.response
    assert resp.status == code, resp.raw
    assert (resp.header("Warning") or "").startswith("399 "), resp.raw
    assert len(kam.sessions()) == before
    assert kam.alive()


def test_admin_rpcs_store_the_canonical_identity(kam, mariadb):
    ann = unique("ann")
    canonical = f"sip:{ann}@{DOMAIN}"
    name = unique("room")
    _, cat = make_category(mariadb)
    one(kam, "pchat.room_new", f"name={name}", f"category={cat}",
        f"member=SIPS:%{ord(ann[0]):02X}{ann[1:].upper()}@Example.COM.:5061;x=1")
    one(kam, "pchat.room_set", f"name={name}", f"add_manager=sip:{ann}@EXAMPLE.COM",
        f"add_member=sip:{ann}@{DOMAIN}")  # the same member: no second row
    rows = mariadb.sql(f"SELECT role, principal FROM pchat_role r JOIN pchat_node n ON "
                       f"n.id = r.node_id WHERE n.name = {sql_quote(name)} ORDER BY 1", db="pchat")
    assert rows == [("member", canonical), ("manager", canonical)]
    fails(kam, 400, "is not a principal", "pchat.room_new", f"name={unique('r')}",
                 f"category={cat}", "member=sip:ann@exa mple.com")
    fails(kam, 400, "UTF-8", "pchat.room_new", f"name={unique('r')}",
                 f"category={cat}", "member=sip:%C3%28@example.com")
    one(kam, "pchat.policy_grant", f"scope=user:sips:%{ord(ann[0]):02x}{ann[1:]}@EXAMPLE.com.",
        "enabled=false")
    assert mariadb.sql("SELECT scope FROM pchat_policy WHERE scope_type = 'user' AND scope = "
                       f"{sql_quote(canonical)}", db="pchat") == [(canonical,)]


def test_a_policy_read_error_keeps_the_user_out(kam, mariadb):
    """Not 'unavailable' (the connection is fine), but an error all the same:
    the INVITE is refused with 500, never let in."""
    set_policy(mariadb, "global", "", True)
    user = unique("fay")
    mariadb.sql("RENAME TABLE pchat_policy TO pchat_policy_away", db="pchat")
    try:
        with SipClient("127.0.0.1", kam.port, user=user, domain=DOMAIN) as c:
            with pytest.raises(InviteRejected) as rejected:
                c.invite(kam.service_uri)
            assert rejected.value.response.status == 500
            # (not a count of all sessions: earlier tests' may still be ending)
            assert not [s for s in kam.sessions() if user in s.get("user", "")]
    finally:
        mariadb.sql("RENAME TABLE pchat_policy_away TO pchat_policy", db="pchat")
    with SipClient("127.0.0.1", kam.port, user=user, domain=DOMAIN) as c:
        assert c.invite(kam.service_uri) is not None


def test_a_policy_read_error_fails_provisioning(kam, mariadb):
    """The provisioning answer does not guess either: 500, not 'false' or
    'true', while the policy cannot be read."""
    set_policy(mariadb, "global", "", True)
    with SipClient("127.0.0.1", kam.port, user=unique("ida"), domain=DOMAIN) as c:
        check_register_ok(c.register())
        mariadb.sql("RENAME TABLE pchat_policy TO pchat_policy_away", db="pchat")
        try:
            assert c.subscribe(PROVISIONING).status == 500
        finally:
            mariadb.sql("RENAME TABLE pchat_policy_away TO pchat_policy", db="pchat")
        assert c.subscribe(PROVISIONING).status == 200


@pytest.fixture(scope="module")
def node(db_url):
    n = Kamailio(free_port(), db_url, cfg="cfg/pchat-node.cfg",
                 defines={"PCHAT_FRONTENDS": '"127.0.0.1/32"'}).start()
    yield n
    n.cleanup()


def test_node_refuses_an_invite_without_asserted_identity(node, mariadb):
    set_policy(mariadb, "global", "", True)
    user = unique("gil")
    with SipClient("127.0.0.1", node.port, user=user, domain=DOMAIN) as c:
        with pytest.raises(InviteRejected) as rejected:
            c.invite(node.service_uri)
        resp = rejected.value.response
        assert resp.status == 403 and "P-Asserted-Identity" in (resp.header("Warning") or "")
    assert f"sip:{user}@{DOMAIN}" not in session_users(node)


def test_node_canonicalises_the_asserted_identity(node, mariadb):
    set_policy(mariadb, "global", "", True)
    user = unique("hal")
    with SipClient("127.0.0.1", node.port, user=unique("spoof"), domain=DOMAIN) as c:
        c.invite(node.service_uri, extra_headers=[
            ("P-Asserted-Identity", f'"Hal" <sips:{user.upper()}@Example.COM.:5061;x=1>')])
        assert f"sip:{user}@{DOMAIN}" in session_users(node)
    with SipClient("127.0.0.1", node.port, user=unique("spoof"), domain=DOMAIN) as c:
        with pytest.raises(InviteRejected) as rejected:
            c.invite(node.service_uri, extra_headers=[("P-Asserted-Identity", "<tel:+1555>")])
        assert rejected.value.response.status == 403
