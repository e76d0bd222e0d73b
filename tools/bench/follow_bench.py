# pchat - Persistent Chat (XCCOS) service for Kamailio
# Copyright (C) 2026 pchat developers; GPL-2.0-or-later, like the C files.
#
"""make bench's followed-rooms step (issue 18 point 2): a user following
500 rooms (follow_max's default) of 200 posts each (--long: 2,000), 100
unread in each, through a real Kamailio on a database of its own
(pfollow). Reported: cmd:followlist's first page as the client sees it
(p50/p99) and the rooms on it, the walk over every page, and a sign-in's
first bjoin that joins the followed rooms (as many as one reply answers).

    tools/bench/run-bench --only follow
"""

import os
import statistics
import sys
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

from chat import ChatUser  # noqa: E402
from kamailio import Kamailio  # noqa: E402
from mariadb import free_port  # noqa: E402
from sipclient import find, findall  # noqa: E402

DB = "pfollow"
USER = "sip:follower@example.com"
ROOMS = 500


def _log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _p(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


def _setup_db(bench, posts):
    db = bench.db
    db.sql(f"DROP DATABASE IF EXISTS {DB}; CREATE DATABASE {DB} CHARACTER SET utf8mb4;"
           f"GRANT ALL ON {DB}.* TO 'pchat'@'127.0.0.1'")
    db.load_file(os.path.join(TOP, "sql", "pchat-create.sql"), DB)
    db.sql("SET @root = (SELECT id FROM pchat_node WHERE parent_id IS NULL);"
           "INSERT INTO pchat_node (guid, kind, parent_id, name, privacy, last_seq) "
           f"SELECT UUID(), 'room', @root, CONCAT('follow-', seq), 'open', {posts} "
           f"FROM seq_1_to_{ROOMS};"
           "INSERT INTO pchat_message (room_id, seq, ts_ms, author, content) "
           "SELECT r.id, s.seq, 1767225600000 + s.seq, 'sip:poster@example.com', "
           "CONCAT('post ', s.seq, ' of ', r.name) FROM pchat_node r "
           f"JOIN seq_1_to_{posts} s WHERE r.kind = 'room';"
           "INSERT INTO pchat_follow (user_uri, room_id, last_read_seq, created_ms) "
           f"SELECT '{USER}', id, {posts - 100}, id FROM pchat_node WHERE kind = 'room'",
           db=DB, timeout=3600)


def _timed(user, name, data):
    t = time.monotonic()
    reply = user.dlg.command(name, data, timeout=30)
    ms = (time.monotonic() - t) * 1000
    if reply.code != 200:
        raise RuntimeError(f"cmd:{name}: {reply.code}")
    return ms, reply


def run(bench):
    """run-bench's hook: the step; its result is kept for lines()."""
    posts = 2_000 if bench.sz.long else 200
    reps = 20
    _setup_db(bench, posts)
    kam = Kamailio(free_port(), bench.db.url("pchat", "pchat", DB), debug=0,
                   defines=bench.pchat_defines())
    kam.start(timeout=60)
    users = []
    try:
        users.append(ChatUser(kam, "follower"))
        user = users[0]
        _timed(user, "followlist", "")  # the first reads the pages into the buffer pool
        runs = [_timed(user, "followlist", "") for _ in range(reps)]
        first = [ms for ms, _ in runs]
        listed = int(find(runs[0][1].data, "follows").get("listed"))
        walks = []
        for _ in range(3):
            start, pages, t = 0, 0, time.monotonic()
            while start is not None:
                _, r = _timed(user, "followlist", f'<follows from="{start}"/>')
                nxt = find(r.data, "follows").get("next")
                start, pages = (int(nxt) if nxt else None), pages + 1
            walks.append((time.monotonic() - t) * 1000)
        signin = []
        for _ in range(5):  # a new device each time: its first bjoin
            u = ChatUser(kam, "follower")
            users.append(u)
            ms, r = _timed(u, "bjoin", "<follows/>")
            signin.append((ms, len(findall(r.data, "chanib"))))
        bench.follow_result = {
            "rooms": ROOMS, "posts": posts, "reps": reps, "listed": listed,
            "p50": statistics.median(first), "p99": _p(first, 0.99),
            "walk_ms": statistics.median(walks), "pages": pages,
            "bjoin_ms": statistics.median(ms for ms, _ in signin),
            "bjoin_rooms": signin[0][1]}
        _log(f"follow: {bench.follow_result}")
    except Exception:
        os.system(f"grep -a 'ERROR' {kam.rundir}/kamailio.log | tail -5 >&2")
        raise
    finally:
        for u in users:
            u.close()
        kam.cleanup()
        bench.db.sql(f"DROP DATABASE {DB}")


def lines(bench):
    """The summary line for run-bench's report."""
    r = getattr(bench, "follow_result", None)
    if not r:
        return []
    return [f"- followed rooms: a user following {r['rooms']} rooms of {r['posts']:,} posts "
            f"(100 unread each): cmd:followlist's first page ({r['listed']} rooms, every "
            f"count, newest posts as they fit) **p99 {r['p99']:.0f} ms** (p50 "
            f"{r['p50']:.0f} ms, {r['reps']} runs); all {r['pages']} pages "
            f"{r['walk_ms']:.0f} ms; a sign-in's first bjoin joining {r['bjoin_rooms']} "
            f"followed rooms {r['bjoin_ms']:.0f} ms"]
