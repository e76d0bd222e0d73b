"""Hostile envelopes against the command layer (issue 11, points 6, 7, 9):
bounded work and reply size per envelope, capped preference bundles,
envelopes whose later messages fail, and rooms a user may not see answered
exactly like rooms that do not exist."""

import re
import pytest

from chat import ChatUser, make_category, make_room, sql_quote, unique
from sipclient import find, findall, parse_xccos, _find_rpl_for

NS = "{urn:parlano:xml:ns:xccos}"


@pytest.fixture
def users(kam):
    made = []

    def make(name=None, on=None):
        u = ChatUser(on or kam, name or unique("u"))
        made.append(u)
        return u

    yield make
    for u in made:
        u.close()


def send_envelope(user, inner):
    """Sends one envelope; returns (SIP response, its envid)."""
    envid, body = user.client.make_envelope(inner)
    return user.dlg.send_xccos(body, timeout=10), envid


def wait_reply_envelope(user, envid, timeout=10):
    """The server INFO that carries the rpls of envelope envid."""
    return user.dlg.wait_server_info(
        lambda m: _find_rpl_for(m.body, envid) is not None, timeout=timeout)


def body_bytes(msg):
    return len(msg.body.encode("utf-8") if isinstance(msg.body, str) else msg.body)


def cmd(name, data):
    return f'<cmd id="cmd:{name}" seqid="1"><data>{data}</data></cmd>'


def post(user, guid, author=None, text="hi"):
    return (f'<grpchat id="grpchat" seqid="1" chanUri="{user.room_uri(guid)}" '
            f'author="{author or user.uri}" ts="2026-01-01T00:00:00Z"><chat>{text}</chat>'
            f'</grpchat>')


def fill_history(db, room_id, n, text="x" * 40):
    values = ",".join(f"({room_id}, {i}, {1700000000000 + i}, 'sip:h@example.com', "
                      f"{sql_quote(text + str(i))})" for i in range(1, n + 1))
    db.sql(f"INSERT INTO pchat_message (room_id, seq, ts_ms, author, content) VALUES {values}",
           db="pchat")
    db.sql(f"UPDATE pchat_node SET last_seq = {n} WHERE id = {room_id}", db="pchat")


# --- 6: bounds ---------------------------------------------------------------

def test_bjoin_joins_a_room_listed_twice_once(kam, mariadb, users):
    rid, guid, _ = make_room(mariadb)
    alice, bob = users(), users()
    assert alice.join(guid).code == 200
    rep = bob.bjoin([guid, guid, guid.upper()])
    assert rep.code == 200
    chanibs = [c for c in findall(rep.data, "chanib") if c.get("uri") == bob.room_uri(guid)]
    assert len(chanibs) == 1
    assert findall(rep.data, "fib") == []
    uris = [u.get("uri") for u in findall(rep.data, "uib")]
    assert sorted(uris) == sorted({alice.uri, bob.uri})
    assert kam.rpc("pchat_roster.room", f"s:{rid}").count(bob.uri) == 1
    alice.wait_notice("bjoin")
    alice.dlg.expect_no_server_info(within=1.0)


def test_sixteen_bccontexts_of_999_fit_one_reply(kam, mariadb, users):
    rid, guid, _ = make_room(mariadb)
    fill_history(mariadb, rid, 999)
    alice = users()
    assert alice.join(guid).code == 200

    # one bccontext of 999: the newest messages that fit, flagged
    rep = alice.history(guid, '<last cnt="999"/>')
    assert rep.code == 200 and body_bytes(rep.sip) <= 24576
    chanib = find(rep.data, "chanib")
    msgs = findall(chanib, "msg")
    assert 10 < len(msgs) < 999
    assert chanib.get("limited") == "true" and chanib.get("more") == "true"
    ids = [int(m.get("msgid")) for m in msgs]
    assert ids == sorted(ids) and ids[-1] == 999  # oldest first, ends at the newest

    q = f'<chanib uri="{alice.room_uri(guid)}"/><bcq><last cnt="999"/></bcq>'
    sip, envid = send_envelope(alice, cmd("bccontext", q) * 16)
    assert sip.status == 200
    msg = wait_reply_envelope(alice, envid)
    assert body_bytes(msg) <= 24576
    rpls = findall(parse_xccos(msg.body), "rpl")
    assert len(rpls) == 16
    codes = [int(find(r, "resp").get("code")) for r in rpls]
    assert codes[0] == 200 and set(codes) <= {200, 413}
    assert 413 in codes  # the budget is spent: the rest are told so
    for r in rpls:
        if int(find(r, "resp").get("code")) == 413:
            assert "reply size limit" in find(r, "data/error").text
    assert alice.history(guid, '<last cnt="5"/>').code == 200  # still serving


def test_bjoin_larger_than_a_reply_is_refused_before_joining(kam, mariadb, users):
    alice = users()
    guids = [f"{i:08x}-0000-4000-8000-000000000000" for i in range(256)]
    rep = alice.bjoin(guids)
    assert rep.code == 413
    assert "reply size limit" in find(rep.data, "error").text
    assert body_bytes(rep.sip) <= 24576


def test_cmd_id_and_seqid_are_bounded(kam, users):
    alice = users()
    sip, _ = send_envelope(alice, f'<cmd id="cmd:{"a" * 5000}" seqid="1"><data/></cmd>')
    assert sip.status == 400 and "id" in (sip.header("Warning") or "")
    sip, _ = send_envelope(alice, f'<cmd id="cmd:requri" seqid="{"1" * 5000}"><data/></cmd>')
    assert sip.status == 400 and "seqid" in (sip.header("Warning") or "")
    assert alice.dlg.command("requri").code == 200


def test_join_roster_is_cut_to_the_reply_limit(mariadb, kamailio_factory):
    kam = kamailio_factory(defines={"PCHAT_MAX_REPLY_SIZE": "4096"})
    rid, guid, _ = make_room(mariadb)
    long_text = '"' * 250  # escaped: 1500 bytes each
    mariadb.sql(f"UPDATE pchat_node SET description = {sql_quote(long_text)}, "
                f"topic = {sql_quote(long_text)} WHERE id = {rid}", db="pchat")
    made = []
    try:
        for _ in range(30):
            u = ChatUser(kam, unique("crowd"))
            made.append(u)
            assert u.join(guid).code == 200
        last = ChatUser(kam, unique("late"))
        made.append(last)
        rep = last.join(guid)
        assert rep.code == 200 and body_bytes(rep.sip) <= 4096
        chanib = find(rep.data, "chanib")
        assert chanib.get("limited") == "true"
        users_listed = {u.get("id"): u.get("uri") for u in findall(rep.data, "uib")}
        assert last.uri in users_listed.values()  # the joiner is always listed
        assert 0 < len(users_listed) < 31
        members = find(chanib, "aib").get("value").split(",")
        assert set(members) <= set(users_listed)
        # everybody is in the room, listed or not
        assert kam.rpc("pchat_roster.room", f"s:{rid}").count("sip:") == 31
        bj = last.bjoin([guid])
        assert bj.code == 200 and body_bytes(bj.sip) <= 4096
    finally:
        for u in made:
            u.close()


def test_preference_bundles_are_capped(mariadb, kamailio_factory):
    kam = kamailio_factory(defines={"PCHAT_MAX_PREFERENCES": "3",
                                    "PCHAT_MAX_PREFERENCE_SIZE": "100"})
    alice = ChatUser(kam, unique("pref"))
    try:
        def setpref(label, content, seqid=0):
            return alice.dlg.command(
                "setpref", f'<pref label="{label}" seqid="{seqid}" content="{content}"/>')
        for label in ("a", "b", "c"):
            assert setpref(label, "QUJD").code == 200
        rep = setpref("d", "QUJD")
        assert rep.code == 403 and "max_preferences" in find(rep.data, "error").text
        rep = alice.dlg.command("getpref", '<pref label="e" seqid="0" createdefault="true"/>')
        assert rep.code == 403 and "max_preferences" in find(rep.data, "error").text
        assert setpref("a", "WFla", seqid=1).code == 200  # an update is no new bundle
        rep = setpref("b", "x" * 101, seqid=1)
        assert rep.code == 413 and "max_preference_size" in find(rep.data, "error").text
        assert setpref("b", "x" * 100, seqid=1).code == 200
        assert int(mariadb.sql(f"SELECT COUNT(*) FROM pchat_preference WHERE user_uri = "
                               f"{sql_quote(alice.uri.lower())}", db="pchat")[0][0]) == 3
    finally:
        alice.close()


def test_chansrch_is_cut_to_the_reply_limit(mariadb, kamailio_factory):
    kam = kamailio_factory(defines={"PCHAT_MAX_REPLY_SIZE": "4096"})
    prefix = unique("many")
    for i in range(40):
        make_room(mariadb, name=f"{prefix}-{i:02d}")
    alice = ChatUser(kam, unique("srch"))
    try:
        rep = alice.dlg.command("chansrch", f'<qib qtype="BYNAME" criteria="{prefix}" '
                                            'extended="false"/>')
        assert rep.code == 200 and body_bytes(rep.sip) <= 4096
        names = [c.get("name") for c in findall(rep.data, "chanib")]
        assert 0 < len(names) < 40 and names == sorted(names)
    finally:
        alice.close()


# --- 7: atomic envelopes -----------------------------------------------------

def test_join_then_a_refused_post_is_not_a_silent_join(kam, mariadb, users):
    _, guid, _ = make_room(mariadb)
    alice, bob = users(), users()
    assert alice.join(guid).code == 200
    sip, envid = send_envelope(bob, cmd("join", f'<chanid key="0" domain="{kam.domain}" '
                                               f'value="{guid}"/>')
                               + post(bob, guid, author=alice.uri))
    assert sip.status == 403  # the post is refused at SIP level
    ntc = alice.wait_notice("join")  # ... but the join that took effect is told
    assert find(ntc, "data/uib").get("uri") == bob.uri
    rep = wait_reply_envelope(bob, envid)  # and bob learns he is in the room
    rpl = find(parse_xccos(rep.body), "rpl")
    assert rpl.get("id") == "rpl:join" and find(rpl, "resp").get("code") == "200"


def test_a_stored_post_before_a_refused_one_is_delivered(kam, mariadb, users):
    _, guid, _ = make_room(mariadb)
    alice, bob = users(), users()
    assert alice.join(guid).code == 200 and bob.join(guid).code == 200
    sip, _ = send_envelope(bob, post(bob, guid, text="first") + post(bob, guid, author="x"))
    assert sip.status == 403
    assert alice.wait_message(guid)["text"] == "first"


# --- 9: no oracle ------------------------------------------------------------

def normalised(text, guid):
    text = text.replace(guid, "GUID")
    return re.sub(r'envid="\d+"', 'envid="N"', text)


def hidden_rooms(mariadb, outsider):
    _, cat = make_category(mariadb, walls=[("denied", "user", outsider.uri.lower())])
    return {
        "secret": make_room(mariadb, privacy="secret", members=["sip:x@example.com"])[1],
        "walled": make_room(mariadb, category=cat)[1],
        "disabled": make_room(mariadb, disabled=True)[1],
    }


def test_part_and_bccontext_answer_hidden_rooms_as_missing(kam, mariadb, users):
    mallory = users()
    rooms = hidden_rooms(mariadb, mallory)
    missing = "0badc0de-0000-4000-8000-000000000000"
    for name in ("part", "bccontext"):
        def ask(guid):
            rep = mallory.dlg.command(
                name, f'<chanib uri="{mallory.room_uri(guid)}"/>'
                + ('<bcq><last cnt="5"/></bcq>' if name == "bccontext" else ""))
            return rep.code, normalised(rep.sip.body, guid)
        expect = ask(missing)
        assert expect[0] == 404
        for kind, guid in rooms.items():
            assert ask(guid) == expect, (name, kind)


def test_grpchat_answers_hidden_rooms_as_missing(kam, mariadb, users):
    mallory = users()
    rooms = hidden_rooms(mariadb, mallory)
    missing = "0badc0de-0000-4000-8000-000000000000"

    def ask(guid):
        r = mallory.post(guid, "psst")
        return r.status, r.reason, r.header("Warning")
    expect = ask(missing)
    assert expect[0] == 404
    for kind, guid in rooms.items():
        assert ask(guid) == expect, kind


def test_join_that_cannot_be_answered_is_undone(mariadb, kamailio_factory):
    kam = kamailio_factory(defines={"PCHAT_MAX_REPLY_SIZE": "4096"})
    rid, guid, _ = make_room(mariadb)
    alice, bob = ChatUser(kam, unique("in")), ChatUser(kam, unique("late"))
    try:
        assert alice.join(guid).code == 200
        amp = sql_quote("&" * 256)  # escaped: 1280 bytes each
        mariadb.sql(f"UPDATE pchat_node SET name = {amp}, description = {amp}, "
                    f"topic = {amp} WHERE id = {rid}", db="pchat")
        rep = bob.join(guid)
        assert rep.code == 413 and "reply size limit" in find(rep.data, "error").text
        assert bob.uri not in kam.rpc("pchat_roster.room", f"s:{rid}")
        alice.dlg.expect_no_server_info(within=1.0)  # no ntc:join for a join undone
    finally:
        alice.close()
        bob.close()
