"""Keyword and author alerts (issue 18 point 3; doc/xccos.md 3.20): a user
subscribes to words (matched as the history search matches: substring,
case and accents folded, any script, LIKE characters as text) or authors,
in every room they may read or in one. A matching post reaches the user's
online sessions as ntc:alert even when they have not joined the room; never
the author, never someone who may not read the room, once per post however
many subscriptions match. Subscriptions are capped per user (alert_max);
bad input is a 400 with the reason. Users without an XCCOS session get a
SIP MESSAGE through the front-end, stored until they register
(test_offline_user_gets_the_alert_when_registering)."""

import xml.sax.saxutils

import pytest

from chat import ChatUser, make_room, unique
from sipclient import find, findall, parse_xccos


@pytest.fixture
def users(kam, chat_users):
    """users() signs a chat user in to kam (conftest's chat_users)."""
    return lambda: chat_users(kam)


def add(user, word=None, author=None, room=None):
    attrs = {"word": word, "author": author,
             "chanUri": user.room_uri(room) if room else None}
    a = "".join(f" {k}={xml.sax.saxutils.quoteattr(v)}" for k, v in attrs.items()
                if v is not None)
    return user.dlg.command("alertadd", f"<alert{a}/>")


def added(user, **kw):
    r = add(user, **kw)
    assert r.code == 200, (r.code, error_of(r))
    return find(r.data, "alert").get("id")


def error_of(reply):
    e = find(reply.data, "error")
    return e.text if e is not None else None


def is_alert(m):
    ntc = find(parse_xccos(m.body), "ntc")
    return ntc is not None and ntc.get("id") == "ntc:alert"


def wait_alert(user, timeout=10):
    msg = user.dlg.wait_server_info(is_alert, timeout=timeout)
    a = find(find(parse_xccos(msg.body), "ntc"), "data/alert")
    return {"chanUri": a.get("chanUri"), "author": a.get("author"),
            "msgid": a.get("msgid"), "name": a.get("name"),
            "text": find(a, "chat").text or ""}


def expect_no_alert(user, within=1.0):
    user.dlg.expect_no_server_info(within=within, predicate=is_alert)


def posted(user, guid, text):
    assert user.post(guid, text).status == 200


def open_room(mariadb, poster):
    _, guid, name = make_room(mariadb)
    assert poster.join(guid).code == 200
    return guid, name


def test_word_alert_reaches_an_online_session_not_in_the_room(mariadb, users):
    alice, bob = users(), users()
    guid, name = open_room(mariadb, alice)
    added(bob, word="deploy")
    posted(alice, guid, "Tonight we DEPLOY release 2")
    got = wait_alert(bob)
    assert got["chanUri"] == alice.room_uri(guid)
    assert got["author"] == alice.uri
    assert got["name"] == name
    assert got["text"] == "Tonight we DEPLOY release 2"
    assert int(got["msgid"]) >= 1
    # bob never joined: the alert is all he got
    bob.expect_no_message(guid, within=0.3)


def test_a_story_alerts_by_its_title_and_shows_it(mariadb, users):
    """A story's title is searched as its body is, so an alert matches it
    too; the notice carries the text a plain client sees: title, body."""
    alice, bob = users(), users()
    guid, _ = open_room(mariadb, alice)
    added(bob, word="outage")
    _, body = alice.client.make_envelope(
        f'<grpchat id="grpchat" seqid="1" chanUri="{alice.room_uri(guid)}" '
        f'author="{alice.uri}" story="true" title="Outage report">'
        f'<chat>All systems are back.</chat></grpchat>')
    assert alice.dlg.send_xccos(body).status == 200
    got = wait_alert(bob)
    assert got["text"].replace("\r\n", "\n") == "Outage report\n\nAll systems are back."


def test_matching_folds_case_and_accents_and_finds_any_script(mariadb, users):
    alice, bob = users(), users()
    guid, _ = open_room(mariadb, alice)
    for word in ("café", "東京", "привет", "4711-b", "100%"):
        added(bob, word=word)
    cases = [("we meet at the CAFE", True), ("明日は東京へ行きます", True),
             ("ПРИВЕТ всем", True), ("see ticket 4711-B today", True),
             ("100 percent sure", False), ("it is 100% done", True),
             ("nothing to see", False)]
    for text, hit in cases:
        posted(alice, guid, text)
        if hit:
            assert wait_alert(bob)["text"] == text
        else:
            expect_no_alert(bob, within=0.7)


def test_posts_committed_outside_the_post_writer_alert_too(mariadb, users):
    """Two posts in one envelope are committed by the command itself (not
    the post writer): each still alerts."""
    alice, bob = users(), users()
    guid, _ = open_room(mariadb, alice)
    added(bob, word="batched")
    posts = "".join(
        f'<grpchat id="grpchat" seqid="{i}" chanUri="{alice.room_uri(guid)}" '
        f'author="{alice.uri}" ts="2026-01-01T00:00:00Z"><chat>batched {i}</chat></grpchat>'
        for i in (1, 2))
    _, body = alice.client.make_envelope(posts)
    assert alice.dlg.send_xccos(body).status == 200
    assert sorted(wait_alert(bob)["text"] for _ in range(2)) == ["batched 1", "batched 2"]


def test_author_alert(mariadb, users):
    alice, bob, carol = users(), users(), users()
    guid, _ = open_room(mariadb, alice)
    assert carol.join(guid).code == 200
    added(bob, author=alice.uri.upper().replace("SIP:", "sip:"))
    posted(carol, guid, "carol speaks")
    expect_no_alert(bob, within=0.7)
    posted(alice, guid, "alice speaks")
    got = wait_alert(bob)
    assert (got["author"], got["text"]) == (alice.uri, "alice speaks")


def test_no_alert_for_a_room_the_user_may_not_read(mariadb, users):
    alice, bob = users(), users()
    _, secret, _ = make_room(mariadb, privacy="secret", members=[alice.uri])
    _, closed, _ = make_room(mariadb, privacy="closed", members=[alice.uri])
    assert alice.join(secret).code == 200
    assert alice.join(closed).code == 200
    added(bob, word="classified")
    # a subscription naming the room is refused as bccontext refuses it
    r = add(bob, word="classified", room=secret)
    assert r.code == 404, (r.code, error_of(r))
    posted(alice, secret, "classified secret plans")
    posted(alice, closed, "classified closed plans")
    expect_no_alert(bob, within=1.0)
    # the same word in a room bob may read does reach him
    guid, _ = open_room(mariadb, alice)
    posted(alice, guid, "classified open plans")
    assert wait_alert(bob)["text"] == "classified open plans"
    expect_no_alert(bob, within=0.5)


def test_no_alert_to_the_author(mariadb, users):
    alice, bob = users(), users()
    guid, _ = open_room(mariadb, alice)
    assert bob.join(guid).code == 200
    added(alice, word="myself")
    added(alice, author=alice.uri)
    posted(alice, guid, "talking about myself")
    expect_no_alert(alice, within=1.0)
    posted(bob, guid, "and myself")
    assert wait_alert(alice)["text"] == "and myself"


def test_one_alert_per_post_however_many_subscriptions_match(mariadb, users):
    alice, bob = users(), users()
    guid, _ = open_room(mariadb, alice)
    added(bob, word="alpha")
    added(bob, word="beta")
    added(bob, word="alpha", room=guid)
    added(bob, author=alice.uri)
    posted(alice, guid, "alpha and beta")
    assert wait_alert(bob)["text"] == "alpha and beta"
    expect_no_alert(bob, within=1.0)


def test_an_alert_for_one_room_ignores_the_others(mariadb, users):
    alice, bob = users(), users()
    guid, _ = open_room(mariadb, alice)
    other, _ = open_room(mariadb, alice)
    added(bob, word="quarterly", room=guid)
    posted(alice, other, "quarterly numbers elsewhere")
    expect_no_alert(bob, within=0.7)
    posted(alice, guid, "quarterly numbers here")
    assert wait_alert(bob)["chanUri"] == alice.room_uri(guid)


def test_every_session_of_the_user_gets_it(mariadb, kam, users):
    alice, bob = users(), users()
    bob2 = ChatUser(kam, bob.user)
    try:
        guid, _ = open_room(mariadb, alice)
        added(bob, word="twice")
        posted(alice, guid, "say it twice")
        assert wait_alert(bob)["text"] == "say it twice"
        assert wait_alert(bob2)["text"] == "say it twice"
    finally:
        bob2.close()


def test_list_and_remove(mariadb, users):
    alice, bob = users(), users()
    guid, _ = open_room(mariadb, alice)
    w = added(bob, word="Lunch")
    a = added(bob, author=alice.uri, room=guid)
    r = bob.dlg.command("alertlist")
    assert r.code == 200
    got = [(x.get("id"), x.get("word"), x.get("author"), x.get("chanUri"))
           for x in findall(r.data, "alert")]
    assert got == [(w, "Lunch", None, None), (a, None, alice.uri, alice.room_uri(guid))]
    r = bob.dlg.command("alertdel", f'<alert id="{w}"/>')
    assert r.code == 200
    posted(carol_free := alice, guid, "lunch now")  # noqa: F841
    got = wait_alert(bob)  # the author alert still stands
    assert got["text"] == "lunch now"
    r = bob.dlg.command("alertdel", f'<alert id="{w}"/>')
    assert (r.code, error_of(r)) == (404, "no such alert")
    # another user's alert is not theirs to remove
    r = alice.dlg.command("alertdel", f'<alert id="{a}"/>')
    assert r.code == 404
    r = bob.dlg.command("alertdel", '<alert id="1 OR 1=1"/>')
    assert r.code == 400


def test_cap_per_user(mariadb, users):
    bob = users()
    for i in range(50):
        added(bob, word=f"w{i}")
    r = add(bob, word="one too many")
    assert r.code == 403
    assert "alert_max" in error_of(r) and "50" in error_of(r)
    assert len(findall(bob.dlg.command("alertlist").data, "alert")) == 50


@pytest.mark.parametrize("attrs,why", [
    ({"word": "x" * 101}, "1-100 characters"),
    ({"word": "tab\there"}, "control characters"),
    ({"word": "   "}, "1-100 characters"),
    ({"word": ""}, "1-100 characters"),
    ({"word": "\u200b\u0301"}, "nothing to match"),  # ignorable under the collation
    ({}, "a word or an author"),
    ({"word": "a", "author": "sip:a@b.c"}, "a word or an author"),
    ({"author": "not a uri"}, "not a SIP URI"),
    ({"word": "ok", "chanUri": "http://x/y"}, "ma-chan"),
])
def test_bad_subscriptions_are_refused_with_the_reason(users, attrs, why):
    bob = users()
    a = "".join(f" {k}={xml.sax.saxutils.quoteattr(v, {chr(9): '&#9;'})}"
                for k, v in attrs.items())
    r = bob.dlg.command("alertadd", f"<alert{a}/>")
    assert r.code == 400, (r.code, error_of(r))
    assert why in error_of(r)
    assert findall(bob.dlg.command("alertlist").data, "alert") == []


def test_a_long_word_of_many_bytes_fits(mariadb, users):
    alice, bob = users(), users()
    guid, _ = open_room(mariadb, alice)
    word = "東" * 100  # 100 characters, 300 bytes
    added(bob, word=word)
    posted(alice, guid, "x" + word + "y")
    assert wait_alert(bob)["text"] == "x" + word + "y"


# --- users without an XCCOS session: a MESSAGE through the front-end -------

@pytest.fixture(scope="module")
def fe_node(db_url, mariadb):
    """A chat node that sends alerts through a front-end keeping them for
    offline users (WITH_ALERT_SILO, at most 2 per user)."""
    import os

    from kamailio import TOP, Kamailio
    from mariadb import free_port
    from chat import set_policy

    mariadb.load_file(os.path.join(TOP, "sql", "pchat-frontend.sql"), "pchat")
    set_policy(mariadb, "global", "", True)
    fe_port = free_port()
    node = Kamailio(free_port(), db_url, cfg="cfg/pchat-node.cfg", defines={
        "PCHAT_FRONTENDS": '"127.0.0.1/32"',
        "PCHAT_ALERT_PROXY": f'"sip:127.0.0.1:{fe_port};transport=tcp"'}).start()
    fe = Kamailio(fe_port, db_url, cfg="cfg/pchat-frontend.cfg",
                  defines={"WITH_ALERT_SILO": "1", "PCHAT_SILO_MAX": "2"})
    ds_list = os.path.join(fe.rundir, "dispatcher.list")
    with open(ds_list, "w") as f:
        f.write(f"1 sip:127.0.0.1:{node.port};transport=tcp\n")
    fe.defines["PCHAT_DISPATCHER_LIST"] = f'"{ds_list}"'
    try:
        fe.start()
    except Exception:
        node.cleanup()
        raise
    yield fe, node
    fe.cleanup()
    node.cleanup()


def chat_via(fe, user):
    """A client signed in through the front-end with its chat dialog."""
    from signin import connect, open_chat, pool_uri, sign_in
    client = connect(fe.port, user)
    dlg = open_chat(client, pool_uri(sign_in(client), client))
    return client, dlg


def subscribe_and_leave(fe, user, **alert):
    """Signs in, subscribes, signs out (BYE, de-REGISTER, closed)."""
    client, dlg = chat_via(fe, user)
    attrs = "".join(f" {k}={xml.sax.saxutils.quoteattr(v)}" for k, v in alert.items())
    assert dlg.command("alertadd", f"<alert{attrs}/>").code == 200
    assert dlg.bye().status == 200
    assert client.register(expires=0).status == 200
    client.close()


def kept(mariadb, user):
    return int(mariadb.sql(f"SELECT COUNT(*) FROM silo WHERE username = '{user}'",
                           db="pchat")[0][0])


def take_message(client, timeout=10):
    req = client.wait_request("MESSAGE", timeout=timeout)
    client.respond(req, 200)
    return req


def test_offline_user_gets_the_alert_when_registering(fe_node, mariadb):
    from chat import wait_until
    from signin import connect
    fe, _ = fe_node
    _, guid, name = make_room(mariadb)
    bob = unique("off")
    subscribe_and_leave(fe, bob, word="Outage")
    alice, adlg = chat_via(fe, unique("alice"))
    try:
        assert adlg.command(
            "join", f'<chanid key="0" domain="{fe.domain}" value="{guid}"/>').code == 200
        _, body = alice.make_envelope(
            f'<grpchat id="grpchat" seqid="1" chanUri="ma-chan://{fe.domain}/{guid}" '
            f'author="{alice.aor}" ts="2026-01-01T00:00:00Z"><chat>big OUTAGE in lab 3'
            f'</chat></grpchat>')
        assert adlg.send_xccos(body).status == 200
        # kept by the front-end while bob is away
        assert wait_until(lambda: kept(mariadb, bob) == 1, timeout=10)
        with connect(fe.port, bob) as b:
            assert b.register().status == 200
            req = take_message(b)
            assert req.header("Content-Type").startswith("text/plain")
            assert req.body == f"[{name}] {alice.aor}: big OUTAGE in lab 3"
            assert req.header("From") and "sip:pchat@" in req.header("From")
    finally:
        alice.close()


def test_registered_plain_sip_user_gets_the_message_at_once(fe_node, mariadb):
    from signin import connect
    fe, _ = fe_node
    _, guid, name = make_room(mariadb)
    carol = unique("plain")
    subscribe_and_leave(fe, carol, word="release")
    with connect(fe.port, carol) as c:
        assert c.register().status == 200  # a phone: REGISTER, no chat session
        alice, adlg = chat_via(fe, unique("alice"))
        try:
            assert adlg.command(
                "join", f'<chanid key="0" domain="{fe.domain}" value="{guid}"/>').code == 200
            _, body = alice.make_envelope(
                f'<grpchat id="grpchat" seqid="1" chanUri="ma-chan://{fe.domain}/{guid}" '
                f'author="{alice.aor}" ts="2026-01-01T00:00:00Z"><chat>release at 5'
                f'</chat></grpchat>')
            assert adlg.send_xccos(body).status == 200
            req = take_message(c)
            assert req.body == f"[{name}] {alice.aor}: release at 5"
        finally:
            alice.close()
    assert kept(mariadb, carol) == 0


def test_alerts_kept_for_an_offline_user_are_bounded(fe_node, mariadb):
    from chat import wait_until
    fe, _ = fe_node
    _, guid, _ = make_room(mariadb)
    dan = unique("full")
    subscribe_and_leave(fe, dan, word="ping")
    alice, adlg = chat_via(fe, unique("alice"))
    try:
        assert adlg.command(
            "join", f'<chanid key="0" domain="{fe.domain}" value="{guid}"/>').code == 200
        for i in range(4):
            _, body = alice.make_envelope(
                f'<grpchat id="grpchat" seqid="1" chanUri="ma-chan://{fe.domain}/{guid}" '
                f'author="{alice.aor}" ts="2026-01-01T00:00:00Z"><chat>ping {i}'
                f'</chat></grpchat>')
            assert adlg.send_xccos(body).status == 200
        assert wait_until(lambda: kept(mariadb, dan) == 2, timeout=10)
        # the later ones were refused (PCHAT_SILO_MAX=2), not kept
        assert wait_until(lambda: "has 2 alerts kept" in fe.log(), timeout=10)
        assert kept(mariadb, dan) == 2
    finally:
        alice.close()


def test_rpcs_list_a_users_alerts_and_count_the_work(mariadb, kam, users):
    from admin import call, fails, one
    alice, bob = users(), users()
    guid, _ = open_room(mariadb, alice)
    added(bob, word="Grüße")
    added(bob, author=alice.uri, room=guid)
    rows = call(kam, "pchat.alert_list", f"user={bob.uri.upper().replace('SIP:', 'sip:')}")
    assert [(r["kind"], r["pattern"], r["room"]) for r in rows] == [
        ("word", "Grüße", ""), ("author", alice.uri, guid)]
    fails(kam, 400, "not a user URI", "pchat.alert_list", "user=bob")
    from kamailio import pchatctl
    res = pchatctl(kam, "get-alert", "--user", bob.uri, json_output=True)
    assert res.returncode == 0, res.stderr
    assert [r["pattern"] for r in res.json] == ["Grüße", alice.uri]
    before = one(kam, "pchat.alert_stats")
    posted(alice, guid, "viele GRÜSSE")
    wait_alert(bob)
    after = one(kam, "pchat.alert_stats")
    assert int(after["posts"]) > int(before["posts"])
    assert int(after["notices"]) == int(before["notices"]) + 1
    assert int(after["subscriptions"]) >= 2


def test_in_a_pool_a_post_is_matched_once_on_its_authors_node(db_url, mariadb, chat_users):
    """Two nodes over DMQ: bob has a session on each and is in the room on
    node b; alice posts on node a. Only node a matches the post: bob's
    session there gets the one notice, the copy node b receives is not
    matched again."""
    from pool import running_pool
    from admin import one
    with running_pool(db_url, count=2) as (a, b):
        _, guid, _ = make_room(mariadb)
        alice = chat_users(a)
        bob_a = chat_users(a)
        bob_b = ChatUser(b, bob_a.user)
        try:
            assert alice.join(guid).code == 200
            assert bob_b.join(guid).code == 200
            added(bob_b, word="crossing")
            # node a hears of b's new subscription within a second
            total = int(mariadb.sql("SELECT COUNT(*) FROM pchat_alert", db="pchat")[0][0])
            assert wait_until_subs(a, total)
            posted(alice, guid, "crossing the pool")
            assert wait_alert(bob_a)["text"] == "crossing the pool"
            assert bob_b.wait_message(guid)["text"] == "crossing the pool"
            expect_no_alert(bob_b, within=1.0)
            expect_no_alert(bob_a, within=0.3)
            assert int(one(b, "pchat.alert_stats")["alerted"]) == 0
            assert int(one(a, "pchat.alert_stats")["alerted"]) == 1
        finally:
            bob_b.close()


def wait_until_subs(kam, n):
    from admin import one
    from chat import wait_until
    return wait_until(lambda: int(one(kam, "pchat.alert_stats")["subscriptions"]) == n,
                      timeout=5)


def test_front_end_takes_alert_messages_only_from_its_nodes(fe_node, mariadb):
    """A client (not a chat node's address) cannot use the alert route to
    message a user or fill the user's kept alerts."""
    from sipclient import SipClient, _gen_branch, _gen_call_id, _gen_tag
    fe, _ = fe_node
    victim = unique("victim")
    with SipClient("127.0.0.1", fe.port, user=unique("eve"), domain="example.com",
                   local_ip="127.0.0.2") as eve:
        call_id = _gen_call_id()
        raw = eve.build_request(
            "MESSAGE", f"sip:{victim}@example.com", call_id=call_id, from_tag=_gen_tag(),
            to_uri=f"sip:{victim}@example.com", to_tag=None, cseq=1,
            via=eve.via(_gen_branch()), body="[room] boss: pay now", content_type="text/plain")
        r = eve.transact(raw, call_id, 1, "MESSAGE")
        assert (r.status, r.reason) == (403, "Alerts Come From Chat Nodes")
    assert kept(mariadb, victim) == 0
