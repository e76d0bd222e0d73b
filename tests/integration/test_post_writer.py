"""The post writer: posts are committed in group transactions by a process of
their own, so a post waiting on the database holds up no one else."""

import re
import threading
import time

from admin import call
from chat import make_room


def _lock_room_row(mariadb, room_id):
    """Holds the room's row FOR UPDATE: the writer's numbering waits."""
    return mariadb.hold_rows("pchat_node", f"id = {room_id}")


def _wait_queued(kam, n):
    """Until n posts wait for (or are in) the writer's commit."""
    deadline = time.monotonic() + 10
    while _status(kam, "posts_queued") < n:
        assert time.monotonic() < deadline, "the posts never reached the writer's queue"
        time.sleep(0.02)


def _in_thread(fn):
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", fn()), daemon=True)
    t.start()
    return t, out


def test_a_post_waiting_on_a_lock_holds_up_no_one_else(instance, mariadb):
    kam, user = instance()
    a, b = user(), user()
    rid1, room1, _ = make_room(mariadb)
    _, room2, _ = make_room(mariadb)
    a.join(room1)
    b.join(room2)
    assert b.post(room2, "before").status == 200
    b.wait_message(room2)
    locker = _lock_room_row(mariadb, rid1)
    try:
        t, out = _in_thread(lambda: a.post(room1, "held", timeout=30))
        time.sleep(1.0)
        assert "r" not in out, "the post was answered before it could be committed"
        # the reader is free: another session's history, refresh and an RPC answer
        start = time.monotonic()
        assert b.history(room2).code == 200
        assert b.dlg.update().status == 200
        assert "storage" in kam.rpc("pchat.status")
        assert time.monotonic() - start < 5
        assert "r" not in out
    finally:
        locker.release()
    t.join(timeout=20)
    assert out["r"].status == 200
    got = a.wait_message(room1)
    assert got["text"] == "held"


def _status(kam, field):
    m = re.search(rf"\b{field}: (\d+)", kam.rpc("pchat.status"))
    return int(m.group(1))


def _commits(mariadb):
    rows = mariadb.sql("SHOW GLOBAL STATUS LIKE 'Com_commit'")
    return int(rows[0][1])


def _queued_behind_a_lock(kam, mariadb, rid, room, posts, timeout=30):
    """posts: [(user, text)]. The room's row is locked; the first post goes
    to the writer and waits on it, the others queue behind, one by one in
    that order; then the lock goes. Returns the answers in order and the
    COMMITs the queued posts took after the lock went."""
    locker = _lock_room_row(mariadb, rid)
    try:
        outs = []
        for i, (u, text) in enumerate(posts):
            outs.append(_in_thread(lambda u=u, text=text: u.post(room, text, timeout=timeout)))
            _wait_queued(kam, i + 1)
        assert not any("r" in o for _, o in outs), "a post was answered before its commit"
        before = _commits(mariadb)
    finally:
        locker.release()
    for t, _ in outs:
        t.join(timeout=timeout)
    return [o["r"] for _, o in outs], _commits(mariadb) - before


def test_posts_queued_behind_a_commit_share_the_next_one(instance, mariadb):
    """Group commit: while the writer waits on a locked room, the posts of
    twenty other sessions queue; once it is free they go in one transaction
    (more than the 16 rows of one multi-row INSERT)."""
    kam, user = instance()
    rid, room, _ = make_room(mariadb)
    posters = [user() for _ in range(21)]
    for p in posters:
        p.join(room)
    answers, commits = _queued_behind_a_lock(
        kam, mariadb, rid, room,
        [(posters[0], "first")] + [(p, f"queued-{i}") for i, p in enumerate(posters[1:])])
    assert [a.status for a in answers] == [200] * 21
    print(f"21 posts in {commits} commits")
    assert commits <= 3, f"21 queued posts took {commits} commits: no group commit"
    rows = mariadb.sql(f"SELECT seq, content FROM pchat_message WHERE room_id = {rid} "
                       "ORDER BY seq", db="pchat")
    assert [r[1] for r in rows] == ["first"] + [f"queued-{i}" for i in range(20)]
    got = [posters[0].wait_message(room)["text"] for _ in range(21)]
    assert got == [r[1] for r in rows], "copies not in sequence order"


def test_concurrent_posts_keep_their_order_and_arrive_once(instance, mariadb):
    kam, user = instance()
    rid, room, _ = make_room(mariadb)
    posters = [user() for _ in range(8)]
    for p in posters:
        p.join(room)
    per = 40
    answers = {}

    def run(i, p):
        answers[i] = [p.post(room, f"p{i}-{n}").status for n in range(per)]

    threads = [threading.Thread(target=run, args=(i, p)) for i, p in enumerate(posters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    total = len(posters) * per
    assert all(s == [200] * per for s in answers.values())
    rows = mariadb.sql(f"SELECT seq, content FROM pchat_message WHERE room_id = {rid} "
                       "ORDER BY seq", db="pchat")
    assert len(rows) == total
    seqs = [int(r[0]) for r in rows]
    assert seqs == list(range(seqs[0], seqs[0] + total))
    for i in range(len(posters)):
        mine = [int(c.split("-")[1]) for _, c in rows if c.startswith(f"p{i}-")]
        assert mine == list(range(per))
    # every member got every post once, in sequence order
    for p in posters[:2]:
        got = [p.wait_message(room)["msgid"] for _ in range(total)]
        assert got == seqs


def test_the_writer_is_a_process_of_its_own(instance):
    kam, _ = instance()
    assert "PCHAT POST WRITER" in kam.rpc("core.psx")


def test_a_full_post_queue_answers_503_with_retry_after(instance, mariadb):
    """post_queue_size bounds the posts waiting for a commit: past it a post is
    refused at once with 503 and Retry-After, and the queued ones still land."""
    kam, user = instance(PCHAT_POST_QUEUE_SIZE="2")
    rid, room, _ = make_room(mariadb)
    posters = [user() for _ in range(4)]
    for p in posters:
        p.join(room)
    locker = _lock_room_row(mariadb, rid)
    try:
        held = [_in_thread(lambda p=p, i=i: p.post(room, f"held-{i}", timeout=30))
                for i, p in enumerate(posters[:2])]
        _wait_queued(kam, 2)
        refused = [p.post(room, "one too many", timeout=10) for p in posters[2:]]
        assert [r.status for r in refused] == [503, 503]
        assert all(r.header("Retry-After") for r in refused)
    finally:
        locker.release()
    for t, _ in held:
        t.join(timeout=20)
    assert [o["r"].status for _, o in held] == [200, 200]
    rows = mariadb.sql(f"SELECT content FROM pchat_message WHERE room_id = {rid}", db="pchat")
    assert sorted(r[0] for r in rows) == ["held-0", "held-1"]


def test_a_post_whose_room_is_removed_before_its_commit_is_answered_404(instance, mariadb):
    """The writer numbers rooms by batch: a room removed while its post waited
    fails that post alone (404, nothing stored); the batch's other posts land."""
    kam, user = instance()
    rid_a, room_a, _ = make_room(mariadb)
    rid_b, room_b, _ = make_room(mariadb)
    rid_c, room_c, _ = make_room(mariadb)
    a, b, c = user(), user(), user()
    a.join(room_a)
    b.join(room_b)
    c.join(room_c)
    locker = _lock_room_row(mariadb, rid_a)
    try:
        ta, oa = _in_thread(lambda: a.post(room_a, "a", timeout=30))
        time.sleep(0.3)
        tb, ob = _in_thread(lambda: b.post(room_b, "b", timeout=30))
        tc, oc = _in_thread(lambda: c.post(room_c, "c", timeout=30))
        _wait_queued(kam, 3)
        mariadb.sql(f"DELETE FROM pchat_node WHERE id = {rid_b}", db="pchat")
    finally:
        locker.release()
    for t in (ta, tb, tc):
        t.join(timeout=20)
    assert oa["r"].status == 200
    assert ob["r"].status == 404
    assert "no such room" in ob["r"].header("Warning")
    assert oc["r"].status == 200
    got = mariadb.sql(f"SELECT room_id, content FROM pchat_message WHERE room_id IN "
                      f"({rid_a}, {rid_b}, {rid_c}) ORDER BY room_id", db="pchat")
    assert [(int(r), t) for r, t in got] == [(int(rid_a), "a"), (int(rid_c), "c")]
    assert c.wait_message(room_c)["text"] == "c"


def test_one_batch_numbers_posts_in_many_rooms(instance, mariadb):
    """A batch spanning more rooms than one numbering statement takes (16):
    each room's posts get that room's next numbers, in queue order."""
    kam, user = instance()
    rid0, room0, _ = make_room(mariadb)
    rooms = [make_room(mariadb) for _ in range(20)]
    posters = [user() for _ in rooms]
    p0 = user()
    p0.join(room0)
    for p, (_, room, _) in zip(posters, rooms):
        p.join(room)
    for p, (_, room, _) in zip(posters[:5], rooms[:5]):
        assert p.post(room, "earlier").status == 200
    locker = _lock_room_row(mariadb, rid0)
    try:
        t0, o0 = _in_thread(lambda: p0.post(room0, "first", timeout=30))
        time.sleep(0.3)
        outs = []
        for p, (_, room, _) in zip(posters, rooms):
            for n in range(2):
                outs.append(_in_thread(lambda p=p, room=room, n=n: p.post(room, f"x{n}", timeout=30)))
                _wait_queued(kam, len(outs) + 1)
        before = _commits(mariadb)
    finally:
        locker.release()
    t0.join(timeout=20)
    for t, _ in outs:
        t.join(timeout=20)
    assert o0["r"].status == 200
    assert [o["r"].status for _, o in outs] == [200] * 40
    assert _commits(mariadb) - before <= 3
    for i, (rid, room, _) in enumerate(rooms):
        rows = mariadb.sql(f"SELECT seq, content FROM pchat_message WHERE room_id = {rid} "
                           "ORDER BY seq", db="pchat")
        want = (["earlier"] if i < 5 else []) + ["x0", "x1"]
        assert [c for _, c in rows] == want
        assert [int(s) for s, _ in rows] == list(range(1, len(want) + 1))


def test_post_batch_size_bounds_the_posts_of_one_commit(instance, mariadb):
    """post_batch_size=2: six posts queued behind a locked commit take three
    more commits, not one."""
    kam, user = instance(PCHAT_POST_BATCH_SIZE="2")
    rid, room, _ = make_room(mariadb)
    posters = [user() for _ in range(7)]
    for p in posters:
        p.join(room)
    answers, commits = _queued_behind_a_lock(
        kam, mariadb, rid, room, [(p, f"q{i}") for i, p in enumerate(posters)])
    assert [a.status for a in answers] == [200] * 7
    assert commits >= 4, "first alone, then 3 batches of 2"


HOSTILE = ["it's", 'say "hi"', "back\\slash", "\\'", "'); DROP TABLE pchat_message; --",
           "100% _wild_ \\n not a newline", "two\nlines\ttab", "😀 emoji, ünïcödé, 中文",
           "@pchat_s0 := 1", "; COMMIT; START TRANSACTION;", "&lt;xml&gt; &amp; ]]>"]


def test_a_batch_stores_every_text_exactly(instance, mariadb):
    """The writer sends a batch as one script of text SQL: quotes,
    backslashes, semicolons, SQL and multi-byte text in posts queued into
    one batch are stored and delivered byte for byte, and run nothing."""
    kam, user = instance()
    rid, room, _ = make_room(mariadb)
    posters = [user() for _ in HOSTILE]
    listener = user()
    listener.join(room)
    for p in posters:
        p.join(room)
    answers, commits = _queued_behind_a_lock(kam, mariadb, rid, room, list(zip(posters, HOSTILE)))
    assert [a.status for a in answers] == [200] * len(HOSTILE)
    assert commits <= 2, "the queued posts were not one batch"
    rows = mariadb.sql(f"SELECT content FROM pchat_message WHERE room_id = {rid} "
                       "ORDER BY seq", db="pchat")
    assert [r[0] for r in rows] == HOSTILE
    got = [listener.wait_message(room)["text"] for _ in HOSTILE]
    assert got == HOSTILE


def test_a_batch_is_bounded_in_bytes(instance, mariadb):
    """Posts of 20,000 characters queued 60 deep: one batch would be 1.2 MB
    of text (2.4 MB once escaped); the writer cuts batches at about 1 MB, so
    they take more than one commit, and all are stored."""
    kam, user = instance()
    old = {r["name"]: r["value"] for r in call(kam, "pchat.config_get")}
    call(kam, "pchat.config_set", "story_size_limit=20010", "message_size_limit=20010")
    try:
        _sixty_long_posts(kam, user, mariadb)
    finally:
        call(kam, "pchat.config_set", f"message_size_limit={old['message_size_limit']}",
             f"story_size_limit={old['story_size_limit']}")


def _sixty_long_posts(kam, user, mariadb):
    rid, room, _ = make_room(mariadb)
    posters = [user() for _ in range(60)]
    for p in posters:
        p.join(room)
    answers, commits = _queued_behind_a_lock(
        kam, mariadb, rid, room,
        [(posters[0], "first")] + [(p, f"{i:03d}" + "x" * 20000) for i, p in enumerate(posters[1:])],
        timeout=60)
    assert [a.status for a in answers] == [200] * 60
    assert 3 <= commits <= 4, f"{commits} commits: first alone, then about 1 MB a batch"
    rows = mariadb.sql(f"SELECT COUNT(*), SUM(LENGTH(content)) FROM pchat_message "
                       f"WHERE room_id = {rid}", db="pchat")
    assert rows[0] == ("60", str(5 + 59 * 20003))


def _latency(kam, *args):
    out = kam.rpc("pchat.post_latency", *args)
    return {k: float(v) for k, v in re.findall(r"(\w+): ([\d.]+)", out)}


def test_post_latency_counts_each_answered_post(instance, mariadb):
    """pchat.post_latency: every post answered 200 is counted with its time
    from check to answer (a post held 0.5 s on a lock shows as the
    maximum); a restart starts the count again."""
    kam, user = instance()
    rid, room, _ = make_room(mariadb)
    a = user()
    a.join(room)
    _latency(kam, 1)
    for n in range(5):
        assert a.post(room, f"quick {n}").status == 200
    locker = _lock_room_row(mariadb, rid)
    try:
        t, out = _in_thread(lambda: a.post(room, "held", timeout=30))
        time.sleep(0.5)
    finally:
        locker.release()
    t.join(timeout=20)
    assert out["r"].status == 200
    got = _latency(kam, 1)
    assert got["count"] == 6
    assert got["max_ms"] >= 500 and got["p50_ms"] < 500
    assert _latency(kam)["count"] == 0


def _tm_server_transactions(kam):
    """tm's count of server transactions since start (all it counted less
    those Kamailio originated: the members' copies over UDP)."""
    st = kam.rpc("tm.stats")
    return (int(re.search(r"\btotal:\s*(\d+)", st).group(1))
            - int(re.search(r"total_local:\s*(\d+)", st).group(1)))


def _check_answer(r):
    """A complete 200 to the INFO: the request's own CSeq, the dialog's To
    tag, no body."""
    assert r.status == 200
    assert r.header("CSeq").split()[1] == "INFO"
    assert r.content_length == 0 and r.body_length_on_wire == 0
    assert "tag=" in r.header("To")


def test_info_over_tcp_is_answered_without_a_transaction(instance, mariadb):
    """A reliable transport is never retransmitted to: a post and a command
    a store worker runs are answered without a tm transaction, and their
    200s are whole (Via, CSeq, To tag, Content-Length 0). Over UDP, and with
    info_transactions 1, each INFO has its transaction again."""
    kam, user = instance()
    _, room, _ = make_room(mariadb)
    a, u = user(), user("udp")
    a.join(room)
    u.join(room)
    before = _tm_server_transactions(kam)
    for i in range(5):
        r = a.post(room, f"tcp {i}")
        _check_answer(r)
        assert r.header("Via") is not None
    assert a.history(room).code == 200
    assert _tm_server_transactions(kam) == before, "a tm transaction for INFO over TCP"
    assert u.post(room, "udp").status == 200
    assert _tm_server_transactions(kam) == before + 1, "INFO over UDP keeps its transaction"
    got = [a.wait_message(room)["text"] for _ in range(6)]
    assert got == [f"tcp {i}" for i in range(5)] + ["udp"]


def test_info_transactions_gives_every_info_its_transaction(instance, mariadb):
    kam, user = instance(PCHAT_INFO_TRANSACTIONS=1)
    _, room, _ = make_room(mariadb)
    a = user()
    a.join(room)
    before = _tm_server_transactions(kam)
    for i in range(3):
        _check_answer(a.post(room, f"tm {i}"))
    assert _tm_server_transactions(kam) == before + 3
