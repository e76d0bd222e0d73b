"""Author edit and delete (issue 15, point 6; doc/xccos.md 3.16): the author
of a post replaces (cmd:msgedit) or deletes (cmd:msgdel) it within
edit_window_s; the room's sessions whose INVITE declared the extension
(Supported: pchat-msgupd) get ntc:msgupd, others nothing new; history shows
the new text or a tombstone; with compliance on, EDIT and DELETE events keep
every version."""

import json
import time

import pytest

from admin import config_set, fails, one
from chat import MSGUPD, ChatUser, make_room, unique, wait_until
from pool import running_pool, status_int
from sipclient import find, findall, parse_xccos
from store import DB_NAME, DB_PASS, DB_USER, private_mariadb

TOMBSTONE = "(message deleted by its author)"


@pytest.fixture
def users(kam):
    """users(declared=True, node=kam) signs a chat user in; declared: its
    INVITE lists the extension's option tag (a string: that Supported value)."""
    made = []

    def make(declared=True, node=None):
        value = declared if isinstance(declared, str) else MSGUPD
        headers = [("Supported", value)] if declared else None
        u = ChatUser(node or kam, unique("u"), invite_headers=headers)
        made.append(u)
        return u

    yield make
    for u in made:
        u.close()


def _msg_of(reply):
    msg = find(reply.data, "msg")
    return {"msgid": int(msg.get("msgid")), "author": msg.get("author"),
            "text": find(msg, "chat").text or "", "edited": msg.get("edited"),
            "deleted": msg.get("deleted"), "chanUri": msg.get("chanUri")}


def _is_msgupd(m):
    ntc = find(parse_xccos(m.body), "ntc")
    return ntc is not None and ntc.get("id") == "ntc:msgupd"


def _wait_msgupd(user, timeout=10):
    info = user.dlg.wait_server_info(_is_msgupd, timeout=timeout)
    msg = find(find(parse_xccos(info.body), "ntc"), "data/msg")
    return {"msgid": int(msg.get("msgid")), "author": msg.get("author"),
            "text": find(msg, "chat").text or "", "edited": msg.get("edited"),
            "deleted": msg.get("deleted")}


def _history(user, guid):
    reply = user.history(guid)
    assert reply.code == 200, reply
    return [{"msgid": int(m.get("msgid")), "text": find(m, "chat").text or "",
             "edited": m.get("edited"), "deleted": m.get("deleted")}
            for m in findall(reply.data, "chanib/msg")]


def _room_with(users_, mariadb, *members):
    _, guid, name = make_room(mariadb)
    for u in members:
        assert u.join(guid).code == 200
    return guid, name


def _post(author, guid, text, *readers):
    assert author.post(guid, text).status == 200
    got = [r.wait_message(guid) for r in (author,) + readers]
    assert {g["text"] for g in got} == {text}
    return got[0]["msgid"]


def test_an_edit_reaches_declared_members_and_history_shows_it(users, mariadb):
    # bob declares it in a list, in capitals
    alice, bob, carl = users(), users("timer, PCHAT-MSGUPD"), users(declared=False)
    guid, _ = _room_with(users, mariadb, alice, bob, carl)
    msgid = _post(alice, guid, "the first words", bob, carl)

    reply = alice.edit(guid, msgid, "the second words")
    assert reply.code == 200, reply
    mine = _msg_of(reply)
    assert mine["msgid"] == msgid and mine["text"] == "the second words"
    assert mine["author"] == alice.uri and mine["edited"] and not mine["deleted"]

    seen = _wait_msgupd(bob)
    assert seen == {"msgid": msgid, "author": alice.uri, "text": "the second words",
                    "edited": mine["edited"], "deleted": None}
    # the client that did not declare the extension gets nothing new, and the
    # editing session has its reply
    carl.dlg.expect_no_server_info(within=1.0)
    alice.dlg.expect_no_server_info(within=0.2, predicate=_is_msgupd)
    for reader in (bob, carl):
        hist = _history(reader, guid)
        assert [(h["msgid"], h["text"]) for h in hist] == [(msgid, "the second words")]
        assert hist[0]["edited"] == mine["edited"]
    # a second edit is allowed (newest text wins)
    assert alice.edit(guid, msgid, "third").code == 200
    assert _wait_msgupd(bob)["text"] == "third"
    assert _history(carl, guid)[0]["text"] == "third"


def test_a_delete_leaves_a_tombstone(users, mariadb):
    alice, bob, carl = users(), users(), users(declared=False)
    guid, _ = _room_with(users, mariadb, alice, bob, carl)
    keep = _post(alice, guid, "stays", bob, carl)
    gone = _post(alice, guid, "regretted", bob, carl)

    reply = alice.delete(guid, gone)
    assert reply.code == 200, reply
    assert _msg_of(reply)["deleted"] and _msg_of(reply)["text"] == TOMBSTONE
    seen = _wait_msgupd(bob)
    assert (seen["msgid"], seen["text"]) == (gone, TOMBSTONE) and seen["deleted"]
    carl.dlg.expect_no_server_info(within=1.0)

    hist = _history(carl, guid)
    assert [(h["msgid"], h["text"]) for h in hist] == [(keep, "stays"), (gone, TOMBSTONE)]
    assert hist[1]["deleted"] and not hist[0]["deleted"]
    rows = mariadb.sql(f"SELECT content, author_change FROM pchat_message WHERE seq = {gone} "
                       f"AND room_id = (SELECT id FROM pchat_node WHERE guid = '{guid}')",
                       db="pchat")
    assert rows == [("", "deleted")]
    # a tombstone is no message: neither edited nor deleted again
    assert alice.edit(guid, gone, "back").code == 404
    assert alice.delete(guid, gone).code == 404


def test_only_the_author_within_the_window(users, kam, mariadb):
    alice, bob = users(), users()
    guid, name = _room_with(users, mariadb, alice, bob)
    msgid = _post(alice, guid, "alice's words", bob)

    for reply in (bob.edit(guid, msgid, "bob's now"), bob.delete(guid, msgid)):
        assert reply.code == 403, reply
        assert "author" in find(reply.data, "error").text
    # past the window: the post made 901 s ago (the window is 900 s)
    mariadb.sql(f"UPDATE pchat_message SET ts_ms = ts_ms - 901000 WHERE seq = {msgid} "
                f"AND room_id = (SELECT id FROM pchat_node WHERE guid = '{guid}')",
                db="pchat")
    reply = alice.edit(guid, msgid, "too late")
    assert reply.code == 403 and "edit_window_s" in find(reply.data, "error").text
    assert alice.delete(guid, msgid).code == 403
    # a longer window lets it through; 0 turns the extension off
    with config_set(kam, edit_window_s=3600):
        assert alice.edit(guid, msgid, "in time").code == 200
    with config_set(kam, edit_window_s=0):
        reply = alice.delete(guid, msgid)
        assert reply.code == 403 and "is 0" in find(reply.data, "error").text
    assert _history(bob, guid)[0]["text"] == "in time"
    # an administrator's replacement is final
    one(kam, "pchat.message_remove", f"room={name}", "filter=time", "replace=true")
    reply = alice.edit(guid, msgid, "mine again")
    assert reply.code == 403 and "administrator" in find(reply.data, "error").text


def test_unknown_and_malformed_requests(users, kam, mariadb):
    alice = users()
    guid, _ = _room_with(users, mariadb, alice)
    msgid = _post(alice, guid, "something")
    room = alice.room_uri(guid)
    assert alice.edit(guid, msgid + 1000, "x").code == 404
    assert alice.delete(guid, msgid + 1000).code == 404
    assert alice.edit("00000000-0000-4000-8000-00000000dead", msgid, "x").code == 404
    for name, data, why in [
            ("msgedit", "", "no msg"),
            ("msgedit", f'<msg chanUri="sip:x@y" msgid="{msgid}"><chat>x</chat></msg>',
             "ma-chan"),
            ("msgedit", f'<msg chanUri="{room}" msgid="abc"><chat>x</chat></msg>', "msgid"),
            ("msgdel", f'<msg chanUri="{room}" msgid="-3"/>', "msgid"),
            ("msgdel", f'<msg chanUri="{room}"/>', "msgid"),
            ("msgedit", f'<msg chanUri="{room}" msgid="{msgid}"/>', "chat"),
            ("msgedit", f'<msg chanUri="{room}" msgid="{msgid}"><chat></chat></msg>',
             "msgdel")]:
        reply = alice.dlg.command(name, data)
        assert reply.id == f"rpl:{name}" and reply.code == 400, (data, reply)
        assert why in find(reply.data, "error").text
    with config_set(kam, message_size_limit=5):
        assert alice.edit(guid, msgid, "far too long").code == 413
    assert _history(alice, guid)[0]["text"] == "something"


def test_edit_window_is_a_service_setting(kam):
    assert one(kam, "pchat.config_get", "name=edit_window_s")["value"] == "900"
    fails(kam, 400, "edit_window_s", "pchat.config_set", "edit_window_s=2592001")


def _set_compliance(mariadb, on):
    mariadb.sql(f"UPDATE pchat_config SET value = '{int(on)}' WHERE name = 'compliance'",
                db="pchat")
    time.sleep(1.2)  # the node's copy of the configuration lives a second


def test_compliance_keeps_every_version(users, mariadb):
    alice, bob = users(), users()
    guid, name = _room_with(users, mariadb, alice, bob)
    _set_compliance(mariadb, True)
    try:
        msgid = _post(alice, guid, "version one", bob)
        assert alice.edit(guid, msgid, "version two").code == 200
        assert alice.edit(guid, msgid, "version three").code == 200
        assert alice.delete(guid, msgid).code == 200
        assert bob.edit(guid, msgid, "not recorded").code == 404
    finally:
        _set_compliance(mariadb, False)
    rows = mariadb.sql(
        "SELECT type, room_uri, room_name, msg_seq, user_uri, content, detail FROM "
        f"pchat_compliance_event WHERE msg_seq = {msgid} AND room_uri = "
        f"'{alice.room_uri(guid)}' ORDER BY id", db="pchat")
    got = [(t, s, u, c, None if d is None else json.loads(d))
           for t, uri, n, s, u, c, d in rows]
    assert all(r[1] == alice.room_uri(guid) and r[2] == name for r in rows)
    assert got == [
        ("CHAT", str(msgid), alice.uri, "version one", None),
        ("EDIT", str(msgid), alice.uri, "version two", {"original": "version one"}),
        ("EDIT", str(msgid), alice.uri, "version three", {"original": "version two"}),
        ("DELETE", str(msgid), alice.uri, None, {"original": "version three"}),
    ]


def test_a_change_whose_event_fails_is_not_made(users, mariadb):
    alice = users()
    guid, _ = _room_with(users, mariadb, alice)
    msgid = _post(alice, guid, "kept as it was")
    mariadb.sql("DROP TRIGGER IF EXISTS test_edit_refuse", db="pchat")
    mariadb.sql(
        "DELIMITER //\nCREATE TRIGGER test_edit_refuse BEFORE INSERT ON "
        "pchat_compliance_event FOR EACH ROW BEGIN IF NEW.type IN ('EDIT', 'DELETE') "
        "THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused'; END IF; END//\n",
        db="pchat")
    _set_compliance(mariadb, True)
    try:
        assert alice.edit(guid, msgid, "never stored").code == 500
        assert alice.delete(guid, msgid).code == 500
    finally:
        _set_compliance(mariadb, False)
        mariadb.sql("DROP TRIGGER IF EXISTS test_edit_refuse", db="pchat")
    hist = _history(alice, guid)
    assert [(h["text"], h["edited"], h["deleted"]) for h in hist] == [
        ("kept as it was", None, None)]


@pytest.fixture(scope="module")
def pool2(db_url):
    with running_pool(db_url, count=2) as both:
        yield both


def test_an_edit_crosses_the_pool_to_declared_sessions_only(pool2, users, mariadb):
    a, b = pool2
    alice, bob, carl = users(node=a), users(node=b), users(declared=False, node=b)
    _, guid, _ = make_room(mariadb)
    for u in (alice, bob, carl):
        assert u.join(guid).code == 200
    # b's participants are known on a before alice posts there
    assert wait_until(lambda: status_int(a, "pool_remote_rooms") == 1, timeout=5)
    msgid = _post(alice, guid, "on node a", bob, carl)
    assert alice.edit(guid, msgid, "edited on node a").code == 200
    seen = _wait_msgupd(bob)
    assert (seen["msgid"], seen["text"]) == (msgid, "edited on node a")
    carl.dlg.expect_no_server_info(within=1.0)
    assert alice.delete(guid, msgid).code == 200
    assert _wait_msgupd(bob)["text"] == TOMBSTONE
    carl.dlg.expect_no_server_info(within=1.0)
    assert _history(carl, guid)[0]["text"] == TOMBSTONE


def test_a_store_that_is_down_gives_503(kamailio_factory):
    with private_mariadb() as db:
        kam = kamailio_factory(db=db.url(DB_USER, DB_PASS, DB_NAME))
        _, guid, _ = make_room(db)
        alice = ChatUser(kam, unique("u"), invite_headers=[("Supported", MSGUPD)])
        try:
            assert alice.join(guid).code == 200
            msgid = _post(alice, guid, "before the outage")
            def edit_status(text):
                _, body = alice.client.make_envelope(
                    f'<cmd id="cmd:msgedit" seqid="1"><data><msg chanUri='
                    f'"{alice.room_uri(guid)}" msgid="{msgid}"><chat>{text}</chat></msg>'
                    '</data></cmd>')
                return alice.dlg.send_xccos(body)
            db.stop()
            resp = edit_status("during")
            assert resp.status == 503 and int(resp.header("Retry-After")) > 0
            db.start()
            # the node reconnects by itself
            assert wait_until(lambda: edit_status("after").status == 200, timeout=20, step=0.5)
            assert wait_until(lambda: _history(alice, guid)[0]["text"] == "after")
        finally:
            alice.close()
