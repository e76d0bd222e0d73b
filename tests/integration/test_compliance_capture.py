"""Compliance capture (issue 15, point 1): with pchat_config 'compliance' on,
every join, part, post, history read, search and administrator change is
recorded in pchat_compliance_event (and pchat_compliance_participant) with
the action, before it is acknowledged; with it off nothing is."""

import contextlib
import json
import os
import pwd
import signal
import threading
import time
import xml.etree.ElementTree as ET

from admin import fails, one
from chat import make_room, wait_until


def _set_compliance(mariadb, on):
    mariadb.sql(f"UPDATE pchat_config SET value = '{int(on)}' WHERE name = 'compliance'",
                db="pchat")
    # the node's copy of the configuration lives at most a second
    time.sleep(1.2)


@contextlib.contextmanager
def compliance(mariadb, on=True):
    _set_compliance(mariadb, on)
    try:
        yield
    finally:
        _set_compliance(mariadb, False)


def _last_event_id(mariadb):
    return int(mariadb.sql("SELECT COALESCE(MAX(id), 0) FROM pchat_compliance_event",
                           db="pchat")[0][0])


def _events(mariadb, since, users):
    """Events after id since of these users (and of administrators), times
    and ids masked: (type, room_id, room_uri, room_name, msg_seq, user,
    content, detail as a dict)."""
    quoted = ", ".join(f"'{u}'" for u in users + ["rpc"])
    rows = mariadb.sql(
        "SELECT type, room_id, room_uri, room_name, msg_seq, user_uri, content, detail, "
        f"node, ts_ms FROM pchat_compliance_event WHERE id > {since} AND user_uri IN "
        f"({quoted}) ORDER BY id", db="pchat")
    out = []
    for r in rows:
        assert r[8], "an event without its node"
        assert abs(int(r[9]) / 1000 - time.time()) < 120, "an event's time is off"
        detail = None if r[7] is None else json.loads(r[7])
        out.append(tuple(r[:7]) + (detail,))
    return out


def _participants(mariadb, room_id):
    return mariadb.sql(
        "SELECT user_uri, joined_ms, parted_ms, node, session_id FROM "
        f"pchat_compliance_participant WHERE room_id = {room_id} ORDER BY id", db="pchat")


def _search(user, criteria):
    return user.dlg.command(
        "chansrch", f'<qib qtype="BYNAME" criteria="{criteria}" extended="false"/>')


def _scripted_session(kam, user, mariadb):
    """Two users: join, post, history, search, part, an administrator's
    removal, a session end. Returns (room id, guid, name, a, b)."""
    rid, guid, name = make_room(mariadb)
    a, b = user(), user()
    assert a.join(guid).code == 200
    assert b.join(guid).code == 200
    assert a.post(guid, "hello from a").status == 200
    assert b.post(guid, "secret from b").status == 200
    a.wait_message(guid)
    a.wait_message(guid)
    assert a.history(guid).code == 200
    assert _search(b, name).code == 200
    assert b.part(guid).code == 200
    assert one(kam, "pchat.message_remove", f"room={name}", "filter=secret")["matched"] == "1"
    assert a.dlg.bye().status == 200  # the session's end parts its rooms
    return rid, guid, name, a, b


def test_a_scripted_session_records_exactly_its_events(instance, mariadb):
    kam, user = instance()
    with compliance(mariadb):
        since = _last_event_id(mariadb)
        rid, guid, name, a, b = _scripted_session(kam, user, mariadb)
        wait_until(lambda: any(e[0] == "PART" and e[5] == a.uri
                               for e in _events(mariadb, since, [a.uri, b.uri])))
        got = _events(mariadb, since, [a.uri, b.uri])
    rid = str(rid)
    uri = f"ma-chan://{kam.domain}/{guid}"
    seqs = [int(s) for s, in mariadb.sql(
        f"SELECT seq FROM pchat_message WHERE room_id = {rid} ORDER BY seq", db="pchat")]
    # one message left: b's was removed
    assert len(seqs) == 1
    first = seqs[0]
    assert got == [
        ("JOIN", rid, uri, name, None, a.uri, None, None),
        ("JOIN", rid, uri, name, None, b.uri, None, None),
        ("CHAT", rid, uri, name, str(first), a.uri, "hello from a", None),
        ("CHAT", rid, uri, name, str(first + 1), b.uri, "secret from b", None),
        ("BACKCHAT", rid, uri, name, None, a.uri, None,
         {"query": "last", "count": 2, "first_seq": first, "last_seq": first + 1}),
        ("SEARCH", None, None, None, None, b.uri, name,
         {"search": "rooms", "extended": False, "found": 1}),
        ("PART", rid, uri, name, None, b.uri, None, {"reason": "part"}),
        ("REMOVE", rid, uri, name, str(first + 1), "rpc", None,
         {"original": "secret from b"}),
        ("PART", rid, uri, name, None, a.uri, None, {"reason": "session end"}),
    ]
    parts = _participants(mariadb, rid)
    assert [p[0] for p in parts] == [a.uri, b.uri]
    for who, joined, parted, node, session in parts:
        assert parted is not None and int(parted) >= int(joined), f"{who} still joined"
        assert node and len(session) == 32
    assert parts[0][3:] == parts[1][3:], "one node, one session id"


def test_with_compliance_off_nothing_is_recorded(instance, mariadb):
    kam, user = instance()
    _set_compliance(mariadb, False)
    since = _last_event_id(mariadb)
    rid, guid, name, a, b = _scripted_session(kam, user, mariadb)
    b.close()
    time.sleep(0.5)
    assert _events(mariadb, since, [a.uri, b.uri]) == []
    assert _participants(mariadb, rid) == []


def test_admin_replace_clear_and_room_changes_are_recorded(instance, mariadb):
    kam, user = instance()
    rid, guid, name = make_room(mariadb)
    a = user()
    assert a.join(guid).code == 200
    with compliance(mariadb):
        assert a.post(guid, "the original words").status == 200
        since = _last_event_id(mariadb)
        assert one(kam, "pchat.message_remove", f"room={name}", "filter=original",
                   "replace=true", "replacement=[removed by the administrator]")[
            "matched"] == "1"
        assert one(kam, "pchat.room_set", f"name={name}", "topic=new topic",
                   f"add_manager={a.uri}")
        assert one(kam, "pchat.room_clear", f"name={name}",
                   "end_date=2100-01-01T00:00:00Z")["removed"] == "1"
        got = _events(mariadb, since, [])
    assert [e[0] for e in got] == ["REPLACE", "ADMIN", "CLEAR"]
    replace, admin, clear = got
    assert replace[6] == "[removed by the administrator]"
    assert replace[7] == {"original": "the original words"}
    assert admin[7]["rpc"] == "pchat.room_set"
    assert admin[7]["before"]["topic"] == "" and admin[7]["after"]["topic"] == "new topic"
    assert admin[7]["before"]["roles"] is None
    assert admin[7]["after"]["roles"] == [
        {"role": "manager", "type": "user", "principal": a.uri}]
    assert clear[7]["removed"] == 1


def test_pchatctl_s_os_user_is_the_administrator_recorded(instance, mariadb):
    """pchatctl sends caller=<its OS user> with the changes the archive
    records: the event's user is rpc:<user>; an RPC without it stays rpc;
    a caller that could not be a plain name is refused."""
    from kamailio import pchatctl
    kam, user = instance()
    rid, guid, name = make_room(mariadb)
    me = pwd.getpwuid(os.getuid()).pw_name
    with compliance(mariadb):
        since = _last_event_id(mariadb)
        out = pchatctl(kam, "set-room", "--name", name, "--topic", "by pchatctl")
        assert out.returncode == 0, out.stderr
        assert one(kam, "pchat.room_set", f"name={name}", "topic=by kamcmd")
        assert one(kam, "pchat.room_set", f"name={name}", "topic=by ops",
                   "caller=ops.team-1")
        fails(kam, 400, "caller", "pchat.room_set", f"name={name}", "topic=x",
              "caller=rpc:evil'")
        rows = mariadb.sql("SELECT user_uri, JSON_VALUE(detail, '$.after.topic') FROM "
                           f"pchat_compliance_event WHERE id > {since} AND type = 'ADMIN' "
                           f"AND room_id = {rid} ORDER BY id", db="pchat")
    assert rows == [(f"rpc:{me}", "by pchatctl"), ("rpc", "by kamcmd"),
                    ("rpc:ops.team-1", "by ops")]


@contextlib.contextmanager
def _failing_events(mariadb, condition):
    """A trigger that refuses the compliance events matching condition (SQL
    on NEW): only their INSERT fails, nothing else."""
    mariadb.sql("DROP TRIGGER IF EXISTS test_cevent_refuse", db="pchat")
    mariadb.sql(
        "DELIMITER //\nCREATE TRIGGER test_cevent_refuse BEFORE INSERT ON "
        f"pchat_compliance_event FOR EACH ROW BEGIN IF {condition} THEN SIGNAL "
        "SQLSTATE '45000' SET MESSAGE_TEXT = 'compliance store refuses'; END IF; END//\n",
        db="pchat")
    try:
        yield
    finally:
        mariadb.sql("DROP TRIGGER IF EXISTS test_cevent_refuse", db="pchat")


def test_a_post_whose_event_fails_is_neither_acknowledged_nor_stored(instance, mariadb):
    kam, user = instance()
    rid, guid, _ = make_room(mariadb)
    a, b = user(), user()
    assert a.join(guid).code == 200
    assert b.join(guid).code == 200
    with compliance(mariadb), _failing_events(mariadb, "NEW.content LIKE 'refused%'"):
        bad = a.post(guid, "refused by the archive")
        good = b.post(guid, "archived")
    assert bad.status >= 500, bad.status
    assert good.status == 200
    rows = mariadb.sql(f"SELECT content FROM pchat_message WHERE room_id = {rid}", db="pchat")
    assert [r[0] for r in rows] == ["archived"]
    assert b.wait_message(guid)["text"] == "archived"
    b.expect_no_message(guid)
    events = mariadb.sql(f"SELECT content FROM pchat_compliance_event WHERE room_id = {rid} "
                         "AND type = 'CHAT'", db="pchat")
    assert [e[0] for e in events] == ["archived"]


def test_a_join_whose_record_fails_is_refused_503_and_not_made(instance, mariadb):
    kam, user = instance()
    rid, guid, _ = make_room(mariadb)
    a = user()
    with compliance(mariadb), _failing_events(mariadb, "NEW.type = 'JOIN'"):
        _, body = a.client.make_envelope(
            f'<cmd id="cmd:join" seqid="1"><data><chanid key="0" domain="{kam.domain}" '
            f'value="{guid}"/></data></cmd>')
        refused = a.dlg.send_xccos(body)
        post = a.post(guid, "not in the room")
    assert refused.status == 503
    assert post.status == 403, "the refused join was made"
    assert _participants(mariadb, rid) == []


def test_a_restarted_node_closes_what_its_previous_run_left_open(instance, mariadb):
    kam, user = instance()
    rid, guid, _ = make_room(mariadb)
    with compliance(mariadb):
        a = user()
        assert a.join(guid).code == 200
        before = _participants(mariadb, rid)
        assert len(before) == 1 and before[0][2] is None
        # a crash: no BYE, no part
        os.killpg(kam.proc.pid, signal.SIGKILL)
        kam.proc.wait(10)
        kam.proc = None
        kam.start()
        closed = wait_until(lambda: _participants(mariadb, rid)[0][2] is not None)
    assert closed
    after = _participants(mariadb, rid)[0]
    assert after[3] == before[0][3], "the node's name changed with the restart"
    assert int(after[2]) >= int(after[1])


def test_posts_of_one_envelope_are_recorded_in_their_transaction(instance, mariadb):
    """Two grpchat in one envelope skip the post writer: each is committed
    with its event by the command itself."""
    kam, user = instance()
    rid, guid, _ = make_room(mariadb)
    a = user()
    assert a.join(guid).code == 200
    chat = ('<grpchat id="grpchat" seqid="1" chanUri="{}" author="{}" '
            'ts="2026-01-01T00:00:00Z"><chat>{}</chat></grpchat>')
    with compliance(mariadb):
        _, body = a.client.make_envelope(
            chat.format(a.room_uri(guid), a.uri, "first of two")
            + chat.format(a.room_uri(guid), a.uri, "second of two"))
        assert a.dlg.send_xccos(body).status == 200
        with _failing_events(mariadb, "NEW.content = 'refused'"):
            _, body = a.client.make_envelope(
                chat.format(a.room_uri(guid), a.uri, "kept")
                + chat.format(a.room_uri(guid), a.uri, "refused"))
            assert a.dlg.send_xccos(body).status >= 500
    rows = mariadb.sql(f"SELECT seq, content FROM pchat_message WHERE room_id = {rid} "
                       "ORDER BY seq", db="pchat")
    events = mariadb.sql(f"SELECT msg_seq, content FROM pchat_compliance_event WHERE "
                         f"room_id = {rid} AND type = 'CHAT' ORDER BY id", db="pchat")
    # what ran before the refused post stands, with its event
    assert [r[1] for r in rows] == ["first of two", "second of two", "kept"]
    assert events == rows


def test_revocation_and_room_removal_part_with_their_reason(instance, mariadb):
    kam, user = instance()
    a, b = user(), user()
    rid, guid, name = make_room(mariadb, privacy="closed", members=[a.uri, b.uri])
    assert a.join(guid).code == 200
    assert b.join(guid).code == 200
    with compliance(mariadb):
        since = _last_event_id(mariadb)
        kam.admin("pchat.room_set", f"name={name}", f"remove_member={b.uri}")
        one(kam, "pchat.room_remove", f"name={name}")
        got = _events(mariadb, since, [a.uri, b.uri])
    assert [(e[0], e[5], e[7].get("reason") or e[7].get("rpc")) for e in got] == [
        ("ADMIN", "rpc", "pchat.room_set"),
        ("PART", b.uri, "revoked"),
        ("ADMIN", "rpc", "pchat.room_remove"),
        ("PART", a.uri, "room removed"),
    ]
    removal = got[2][7]
    assert removal["before"]["name"] == name and removal["after"] is None
    assert got[2][2] == f"ma-chan://{kam.domain}/{guid}" and got[2][3] == name
    assert all(p[2] is not None for p in _participants(mariadb, rid))


def test_a_session_end_held_by_a_lock_holds_up_no_one_else(instance, mariadb):
    """A session's end reads the rooms and writes the PART rows in a store
    worker, not in the SIP reader (one here, PCHAT_TCP_CHILDREN 1): while
    the PART write waits for a lock on the participant rows, posts of other
    rooms still fan out; once the lock goes the PART row is written (once)
    and the room hears of the part."""
    kam, user = instance()
    alice, bob, carol = user(), user(), user()
    rid, room, _ = make_room(mariadb)
    _, room2, _ = make_room(mariadb)
    with compliance(mariadb):
        since = _last_event_id(mariadb)
        for u, r in ((alice, room), (bob, room), (bob, room2), (carol, room2)):
            assert u.join(r).code == 200
        locker = mariadb.hold_rows("pchat_compliance_participant",
                                   f"user_uri = '{alice.uri}'")
        try:
            assert alice.dlg.bye().status == 200
            start = time.monotonic()
            assert bob.post(room2, "meanwhile").status == 200
            assert carol.wait_message(room2)["text"] == "meanwhile"
            assert carol.history(room2).code == 200
            assert time.monotonic() - start < 5, "the reader waited for the lock"
            assert not [e for e in _events(mariadb, since, [alice.uri]) if e[0] == "PART"]
        finally:
            locker.release()
        assert wait_until(lambda: [e[0] for e in _events(mariadb, since, [alice.uri])]
                          == ["JOIN", "PART"])
        ntc = bob.wait_notice("part")
        assert alice.uri in ET.tostring(ntc, encoding="unicode")
    (part,) = [p for p in _participants(mariadb, rid) if p[0] == alice.uri]
    assert part[2] is not None


def test_a_session_end_with_the_store_queue_full_runs_inline_and_loses_no_part(
        instance, mariadb):
    """No place in the store workers' queue (store_queue_size 1, taken by a
    command held by a lock): the session's end runs where it ended, logged,
    and its PART row and notice are there at once."""
    kam, user = instance(PCHAT_STORE_QUEUE_SIZE=1)
    alice, bob, carol = user(), user(), user()
    rid, room, _ = make_room(mariadb)
    for u in (bob, carol):
        assert u.join(room).code == 200
    with compliance(mariadb):
        since = _last_event_id(mariadb)
        locker = mariadb.hold_rows("pchat_preference", f"user_uri = '{alice.uri.lower()}'")
        try:
            _, body = alice.client.make_envelope(
                '<cmd id="cmd:setpref" seqid="1"><data><pref label="rooms" seqid="0" '
                'content="QUJD"/></data></cmd>')
            held = threading.Thread(target=lambda: alice.dlg.send_xccos(body, timeout=30),
                                    daemon=True)
            held.start()
            assert wait_until(lambda: "store_jobs_queued: 1" in kam.rpc("pchat.status"))
            assert bob.dlg.bye().status == 200
            assert wait_until(lambda: [e[0] for e in _events(mariadb, since, [bob.uri])]
                              == ["PART"], timeout=5)
            ntc = carol.wait_notice("part")
            assert bob.uri in ET.tostring(ntc, encoding="unicode")
        finally:
            locker.release()
        held.join(timeout=20)
    assert "the end of session" in kam.log() and "runs in this process" in kam.log()
