"""History search (issue 18, point 1; doc/xccos.md 3.17): cmd:chatsrch finds
stored messages across every room the user may read, by substring of the
text (case and accents folded, any script, LIKE characters as text), authors,
date range and rooms, newest first, paged with a cursor and capped at
search_limit. Rooms the user may not read never appear; bad input is a 400
with the reason; with compliance on, each search is a SEARCH event."""

import json
import re
import subprocess
import threading
import time
import xml.sax.saxutils

import pytest

from admin import call, config_set, fails
from kamailio import pchatctl
from chat import make_category, make_room, sql_quote, uid
from sipclient import find, findall

T0 = 1_700_000_000_000  # ms: rows written by SQL get times from here


@pytest.fixture
def users(kam, chat_users):
    """users() signs a chat user in to kam (conftest's chat_users)."""
    return lambda: chat_users(kam)


def search(user, text=None, cnt=None, authors=(), rooms=(), frm=None, to=None,
           before=None, timeout=20):
    attrs = {"text": text, "cnt": cnt, "from": frm, "to": to, "before": before}
    a = "".join(f" {k}={xml.sax.saxutils.quoteattr(str(v))}"
                for k, v in attrs.items() if v is not None)
    kids = "".join(f'<author uri="{x}"/>' for x in authors)
    kids += "".join(f'<chanib uri="{user.room_uri(g)}"/>' for g in rooms)
    return user.dlg.command("chatsrch", f"<srch{a}>{kids}</srch>", timeout=timeout)


def hits(reply):
    """(room guid, author, text) of each message, in the reply's order."""
    assert reply.code == 200, (reply.code, error_of(reply))
    out = []
    for chan in findall(reply.data, "chanib"):
        guid = chan.get("uri").rsplit("/", 1)[1]
        for m in findall(chan, "msg"):
            assert m.get("chanUri") == chan.get("uri")
            out.append((guid, m.get("author"), find(m, "chat").text or ""))
    return out


def info(reply):
    return find(reply.data, "srchib")


def error_of(reply):
    e = find(reply.data, "error")
    return e.text if e is not None else None


def insert(db, room_id, author, text, ts_ms):
    """A stored message as the post writer leaves it (numbered in its room)."""
    db.sql(f"UPDATE pchat_node SET last_seq = last_seq + 1 WHERE id = {room_id};"
           f"INSERT INTO pchat_message (room_id, seq, ts_ms, author, content) "
           f"SELECT id, last_seq, {ts_ms}, {sql_quote(author)}, {sql_quote(text)} "
           f"FROM pchat_node WHERE id = {room_id}", db="pchat")


def test_substring_finds_part_of_a_ticket_number(users, mariadb):
    alice = users()
    rid, guid, _ = make_room(mariadb)
    tag = uid()
    assert alice.join(guid).code == 200
    assert alice.post(guid, f"ticket 4711-b is open {tag}").status == 200
    assert alice.post(guid, f"ticket 4711-c is open {tag}").status == 200
    alice.wait_message(guid)
    alice.wait_message(guid)
    got = hits(search(alice, "4711-B", rooms=[guid]))
    assert got == [(guid, alice.uri, f"ticket 4711-b is open {tag}")]
    # across all readable rooms too (no room named)
    assert [h[2] for h in hits(search(alice, f"open {tag}"))] == [
        f"ticket 4711-c is open {tag}", f"ticket 4711-b is open {tag}"]
    assert hits(search(alice, "4711-d", rooms=[guid])) == []


def test_case_accents_and_any_script(users, mariadb):
    alice = users()
    rid, guid, _ = make_room(mariadb)
    tag = uid()
    texts = [f"Un café à Zürich {tag}", f"a situação do projeto {tag}",
             f"会議は東京で開催します {tag}", f"Привет, МИР {tag}"]
    for i, t in enumerate(texts):
        insert(mariadb, rid, alice.uri, t, T0 + i)
    for query, want in (("CAFE A ZURICH", 0), ("ção", 1), ("ÇAO DO", 1),
                        ("東京", 2), ("京で開", 2), ("мир", 3), ("привет, мир", 3)):
        got = hits(search(alice, query, rooms=[guid]))
        assert [h[2] for h in got] == [texts[want]], query
    assert hits(search(alice, "大阪", rooms=[guid])) == []


def test_like_characters_are_text(users, mariadb):
    alice = users()
    rid, guid, _ = make_room(mariadb)
    texts = ["100% sure", "1000 sure", "a_b", "axb", r"c:\temp", "c:temp"]
    for i, t in enumerate(texts):
        insert(mariadb, rid, alice.uri, t, T0 + i)
    for query, want in (("100%", ["100% sure"]), ("%", ["100% sure"]),
                        ("a_b", ["a_b"]), ("_", ["a_b"]), ("\\", [r"c:\temp"]),
                        (r":\t", [r"c:\temp"])):
        assert [h[2] for h in hits(search(alice, query, rooms=[guid]))] == want, query


def test_author_and_date_filters(users, mariadb):
    alice, bob = users(), users()
    rid, guid, _ = make_room(mariadb)
    for i, who in enumerate([alice, bob, alice, bob, alice]):
        insert(mariadb, rid, who.uri, f"status {i}", T0 + i * 86_400_000)
    got = hits(search(alice, "status", rooms=[guid], authors=[bob.uri]))
    assert [h[2] for h in got] == ["status 3", "status 1"]
    # another spelling of the same URI is the same author
    upper = bob.uri.replace("sip:", "SIP:").replace(bob.kam.domain, bob.kam.domain.upper())
    got = hits(search(alice, "status", rooms=[guid], authors=[upper]))
    assert [h[2] for h in got] == ["status 3", "status 1"]
    got = hits(search(alice, "", rooms=[guid], authors=[alice.uri, bob.uri],
                      frm="2023-11-15T22:13:20Z", to="2023-11-16T22:13:20Z"))
    assert [h[2] for h in got] == ["status 2", "status 1"]


def test_paging_newest_first(users, mariadb):
    alice = users()
    rooms = [make_room(mariadb) for _ in range(2)]
    tag = uid()
    for i in range(7):
        rid = rooms[i % 2][0]
        insert(mariadb, rid, alice.uri, f"page {tag} {i}", T0 + i * 1000)
    seen, before = [], None
    for page in range(3):
        reply = search(alice, f"page {tag}", cnt=3, before=before)
        got = hits(reply)
        seen += [h[2] for h in got]
        if page < 2:
            assert len(got) == 3 and info(reply).get("more") == "true"
            before = info(reply).get("next")
        else:
            assert len(got) == 1 and info(reply).get("more") is None
    assert seen == [f"page {tag} {i}" for i in range(6, -1, -1)]
    # a run of one room is one chanib, in the order of time
    reply = search(alice, f"page {tag}")
    assert len(findall(reply.data, "chanib")) == 7


def test_capped_at_search_limit(kam, users, mariadb):
    alice = users()
    rid, guid, _ = make_room(mariadb)
    for i in range(8):
        insert(mariadb, rid, alice.uri, f"capped {i}", T0 + i)
    with config_set(kam, search_limit=5):
        time.sleep(1.2)
        reply = search(alice, "capped", rooms=[guid], cnt=50)
        assert len(hits(reply)) == 5
        assert info(reply).get("limited") == "true" and info(reply).get("more") == "true"
        reply = search(alice, "capped", rooms=[guid])  # default: the limit
        assert len(hits(reply)) == 5


def test_rooms_the_user_may_not_read_never_appear(users, mariadb):
    alice, other = users(), users()
    tag = uid()
    open_id, open_guid, _ = make_room(mariadb)
    hidden = {}
    hidden["secret"] = make_room(mariadb, privacy="secret", members=[other.uri])
    hidden["closed"] = make_room(mariadb, privacy="closed", members=[other.uri])
    hidden["disabled"] = make_room(mariadb, disabled=True)
    _, wall = make_category(mariadb, walls=[("denied", "user", alice.uri.lower())])
    hidden["walled"] = make_room(mariadb, category=wall)
    _, nohist = make_category(mariadb, history=False)
    hidden["nohistory"] = make_room(mariadb, category=nohist)
    insert(mariadb, open_id, other.uri, f"leak {tag} open", T0)
    for kind, (rid, _, _) in hidden.items():
        insert(mariadb, rid, other.uri, f"leak {tag} {kind}", T0 + 1)
    assert [h[2] for h in hits(search(alice, f"leak {tag}"))] == [f"leak {tag} open"]
    # the member of the secret and closed rooms, outside no wall, finds them
    assert sorted(h[2] for h in hits(search(other, f"leak {tag}"))) == sorted(
        f"leak {tag} {k}" for k in ("open", "secret", "closed", "walled"))
    # naming them answers as bccontext does: hidden is missing, closed refused
    for kind, code in (("secret", 404), ("walled", 404), ("closed", 403),
                       ("disabled", 404)):
        reply = search(alice, f"leak {tag}", rooms=[hidden[kind][1]])
        assert reply.code == code, kind
        assert "leak" not in reply.sip.body


def test_ten_thousand_rooms_three_readable(users, mariadb):
    alice = users()
    tag = uid()
    cid, cat = make_category(mariadb)
    rows = ",".join(f"(UUID(), 'room', {cid}, 'many-{tag}-{i}', 'closed', 1)"
                    for i in range(10_000))
    mariadb.sql("INSERT INTO pchat_node (guid, kind, parent_id, name, privacy, last_seq) "
                f"VALUES {rows}", db="pchat")
    try:
        mariadb.sql("INSERT INTO pchat_message (room_id, seq, ts_ms, author, content) "
                    f"SELECT id, 1, {T0} + id, 'sip:x@example.com', "
                    f"CONCAT('needle {tag} ', name) FROM pchat_node "
                    f"WHERE parent_id = {cid}", db="pchat")
        mine = mariadb.sql(f"SELECT id, name FROM pchat_node WHERE parent_id = {cid} "
                           "ORDER BY RAND() LIMIT 3", db="pchat")
        for rid, _ in mine:
            mariadb.sql(f"INSERT INTO pchat_role VALUES ({rid}, 'member', 'user', "
                        f"{sql_quote(alice.uri.lower())})", db="pchat")
        got = hits(search(alice, f"needle {tag}"))
        assert sorted(h[2] for h in got) == sorted(f"needle {tag} {n}" for _, n in mine)
    finally:
        mariadb.sql(f"DELETE FROM pchat_node WHERE parent_id = {cid}", db="pchat")


@pytest.mark.parametrize("srch, why", [
    ("<srch text='" + "x" * 257 + "'/>", "longer than 256"),
    ("", "needs a srch"),
    ("<srch text='a' cnt='0'/>", "cnt"),
    ("<srch text='a' before='1.2'/>", "cursor"),
    ("<srch text='a' before='x.y.z'/>", "cursor"),
    ("<srch text='a' from='yesterday'/>", "ISO 8601"),
    ("<srch text='a'><author uri='not a uri'/></srch>", "author"),
    ("<srch text='a'>" + "<author uri='sip:a@b.c'/>" * 21 + "</srch>", "20 authors"),
    ("<srch text='a'>" + "<chanib uri='ma-chan://x/y'/>" * 101 + "</srch>", "100 rooms"),
    ("<srch text='a'><chanib uri='http://x'/></srch>", "ma-chan"),
], ids=["long", "nosrch", "cnt", "cursor", "cursor2", "date", "author", "authors",
        "rooms", "roomuri"])
def test_bad_input_is_a_clear_error(users, srch, why):
    alice = users()
    reply = alice.dlg.command("chatsrch", srch)
    assert reply.code == 400
    assert why in error_of(reply)


def test_256_characters_of_any_script_are_accepted(users, mariadb):
    alice = users()
    rid, guid, _ = make_room(mariadb)
    text = "東" * 256
    insert(mariadb, rid, alice.uri, "x" + text + "y", T0)
    assert len(hits(search(alice, text, rooms=[guid]))) == 1


def _set_compliance(mariadb, on):
    mariadb.sql(f"UPDATE pchat_config SET value = '{int(on)}' WHERE name = 'compliance'",
                db="pchat")
    time.sleep(1.2)  # the node's copy of the configuration lives a second


def test_a_search_is_a_compliance_event(kam, users, mariadb):
    alice = users()
    rid, guid, _ = make_room(mariadb)
    insert(mariadb, rid, alice.uri, "audited words", T0)
    since = int(mariadb.sql("SELECT COALESCE(MAX(id), 0) FROM pchat_compliance_event",
                            db="pchat")[0][0])
    _set_compliance(mariadb, True)
    try:
        assert len(hits(search(alice, "AUDITED", rooms=[guid]))) == 1
    finally:
        _set_compliance(mariadb, False)
    rows = mariadb.sql("SELECT type, content, detail FROM pchat_compliance_event "
                       f"WHERE id > {since} AND user_uri = {sql_quote(alice.uri)}",
                       db="pchat")
    assert [(r[0], r[1]) for r in rows] == [("SEARCH", "AUDITED")]
    detail = json.loads(rows[0][2])
    assert detail["search"] == "history" and detail["found"] == 1 and detail["rooms"] == 1
    # an administrator's search is recorded too, as "rpc"
    _set_compliance(mariadb, True)
    try:
        assert len(call(kam, "pchat.search", "text=audited words")) >= 1
    finally:
        _set_compliance(mariadb, False)
    rows = mariadb.sql("SELECT content, detail FROM pchat_compliance_event "
                       f"WHERE id > {since} AND type = 'SEARCH' AND user_uri = 'rpc'",
                       db="pchat")
    assert [r[0] for r in rows] == ["audited words"]
    assert json.loads(rows[0][1])["rpc"] == "pchat.search"
    # off: no event
    search(alice, "AUDITED", rooms=[guid])
    assert mariadb.sql("SELECT COUNT(*) FROM pchat_compliance_event "
                       f"WHERE id > {since} AND user_uri = {sql_quote(alice.uri)}",
                       db="pchat")[0][0] == "1"


def test_admin_rpc_searches_every_room(kam, users, mariadb):
    alice, bob = users(), users()
    tag = uid()
    secret_id, secret_guid, secret_name = make_room(mariadb, privacy="secret")
    open_id, open_guid, _ = make_room(mariadb)
    insert(mariadb, secret_id, alice.uri, f"admin {tag} secret", T0 + 2)
    insert(mariadb, open_id, bob.uri, f"admin {tag} open", T0 + 1)
    insert(mariadb, open_id, alice.uri, f"admin {tag} old", T0)
    got = call(kam, "pchat.search", f"text=ADMIN {tag}")
    assert [g["text"] for g in got] == [f"admin {tag} {k}" for k in ("secret", "open", "old")]
    assert got[0]["room"] == f"ma-chan://{kam.domain}/{secret_guid}"
    got = call(kam, "pchat.search", f"text=admin {tag}", f"who={alice.uri}")
    assert [g["text"] for g in got] == [f"admin {tag} secret", f"admin {tag} old"]
    got = call(kam, "pchat.search", f"text=admin {tag}", f"room={secret_name}",
               f"room=ma-chan://{kam.domain}/{open_guid}", "result_size=2")
    assert len(got) == 2
    rest = call(kam, "pchat.search", f"text=admin {tag}", f"before={got[-1]['cursor']}")
    assert [g["text"] for g in rest] == [f"admin {tag} old"]
    fails(kam, 404, "no room", "pchat.search", "text=x", "room=no-such-room-" + tag)
    fails(kam, 400, "who", "pchat.search", "text=x", "who=nonsense")
    fails(kam, 400, "before", "pchat.search", "text=x", "before=1.2")
    # the operator's verb
    res = pchatctl(kam, "search", "--text", f"admin {tag}", "--who", bob.uri,
                   json_output=True)
    assert res.returncode == 0, res.stderr
    assert [g["text"] for g in res.json] == [f"admin {tag} open"]


class _TableLock:
    """LOCK TABLES ... WRITE held by another client: every statement that
    reads the table waits until release()."""

    def __init__(self, mariadb, table):
        self.proc = subprocess.Popen(mariadb._client("pchat") + ["--unbuffered"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.proc.stdin.write(f"LOCK TABLES {table} WRITE; SELECT 'locked';\n")
        self.proc.stdin.flush()
        assert "locked" in self.proc.stdout.readline()

    def release(self):
        self.proc.stdin.write("UNLOCK TABLES;\n")
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def test_a_held_search_holds_up_no_one_else(instance, mariadb):
    """The search runs in a store worker: while its query waits (here for
    a table lock on the walls it reads; the lock is let go within the
    store's 5 s read timeout), the node's one SIP reader serves the other
    sessions."""
    kam, user = instance()
    alice, carol = user(), user()
    lock = _TableLock(mariadb, "pchat_scope")
    out = {}
    try:
        t = threading.Thread(target=lambda: out.setdefault("r", search(alice, "x", timeout=60)),
                             daemon=True)
        t.start()
        deadline = time.monotonic() + 3
        while int(re.search(r"store_jobs_queued: (\d+)", kam.rpc("pchat.status")).group(1)) < 1:
            assert time.monotonic() < deadline, "the search never reached a store worker"
            time.sleep(0.02)
        start = time.monotonic()
        assert carol.dlg.update().status == 200
        assert time.monotonic() - start < 1.5
        assert "r" not in out, "the search was answered through the lock"
    finally:
        lock.release()
    t.join(timeout=30)
    assert out["r"].code == 200


def test_a_search_longer_than_3_s_is_stopped_with_a_clear_error(kam, users, mariadb):
    """MariaDB stops the query (max_statement_time) before the store's 5 s
    read timeout: the user is told to narrow the search and the worker is
    free again. Here the messages are held by a table lock."""
    alice = users()
    rid, guid, _ = make_room(mariadb)
    lock = _TableLock(mariadb, "pchat_message")
    try:
        start = time.monotonic()
        reply = search(alice, "slow", rooms=[guid], timeout=30)
        took = time.monotonic() - start
    finally:
        lock.release()
    assert reply.code == 500 and "longer than 3 s" in error_of(reply), error_of(reply)
    assert took < 4.5
    assert search(alice, "slow", rooms=[guid]).code == 200
    lock = _TableLock(mariadb, "pchat_message")
    try:
        fails(kam, 500, "longer than 3 s", "pchat.search", "text=slow")
    finally:
        lock.release()
