"""Fault tests with real processes (issue 13): Kamailio killed with -9 under
load, MariaDB killed with -9 and restarted under load, a read-only and a full
database, and a client that reads nothing while others chat.

Every test keeps books: each post's text names its poster and the poster's
own counter, every post that got a SIP 200 is recorded, and at the end the
stored history (pchat_message) must hold every acknowledged post exactly
once, in each poster's order, with the room's seq increasing. Posts that
got no answer may be stored or not, never twice. check_history() does the
comparison; test_history_check_catches_loss_duplicates_and_reordering shows
that it catches a post answered 200 and then missing.

The tests run their own MariaDB (killed, made read-only, given a full disk)
and their own Kamailio, so they cannot disturb the other tests.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from chat import ChatUser, make_room, session_of, wait_until
from mariadb import MariaDB, free_port
from posting import (LOAD, Poster, assert_history, check_history, rooms_with_posters,
                     stored_posts)
from sipclient import find, parse_xccos
from store import DB_NAME, DB_PASS, DB_USER, create_schema, private_mariadb


# ----- bookkeeping -------------------------------------------------------------

def test_history_check_catches_loss_duplicates_and_reordering():
    """The books are the point: a post answered 200 and then missing, a
    post stored twice, or a poster's posts stored out of order fail."""
    acked = {"a": [0, 1, 2], "b": [0]}
    attempted = {"a": {0, 1, 2, 3}, "b": {0, 1}}
    good = [(1, 1, "a 0"), (1, 2, "b 0"), (1, 3, "a 1"), (1, 4, "a 2"), (1, 5, "a 3")]
    problems, counts = check_history(acked, attempted, good)
    assert not any(problems.values()) and counts == {"found": 4, "stored": 5}
    # an unacknowledged post (b 1) may be stored, once
    problems, _ = check_history(acked, attempted, good + [(1, 6, "b 1")])
    assert not any(problems.values())
    problems, _ = check_history(acked, attempted, [r for r in good if r[2] != "a 1"])
    assert problems["missing"] == ["a 1"]
    problems, _ = check_history(acked, attempted, good + [(1, 6, "a 1")])
    assert problems["duplicates"] == ["a 1"]
    problems, _ = check_history(acked, attempted, good + [(1, 6, "b 1"), (1, 7, "b 1")])
    assert problems["duplicates"] == ["b 1"]
    swapped = [(1, 1, "a 0"), (1, 2, "b 0"), (1, 3, "a 2"), (1, 4, "a 1")]
    problems, _ = check_history(acked, attempted, swapped)
    assert problems["disorder"] == ["a"]
    problems, _ = check_history(acked, attempted, good + [(2, 1, "c 0")])
    assert problems["unknown"] == ["c 0"]


# ----- fixtures and helpers ------------------------------------------------------

@pytest.fixture(scope="module")
def own_db():
    """A MariaDB of this module's own: the tests kill it and make it read-only."""
    with private_mariadb() as db:
        yield db


@pytest.fixture
def db(own_db):
    """own_db, running and writable whatever the previous test left."""
    if not own_db.is_running():
        own_db.start()
    own_db.sql("SET GLOBAL read_only = 0")
    yield own_db
    if own_db.is_running():
        own_db.sql("SET GLOBAL read_only = 0")


def kamailio_pids(kam):
    """The main process and its children: every process of the group."""
    out = subprocess.run(["ps", "-o", "pid=", "-g", str(kam.proc.pid)], capture_output=True,
                         text=True).stdout
    return {int(p) for p in out.split()}


def shm_used(kam):
    return int(re.search(r"used:\s*(\d+)", kam.rpc("core.shmmem")).group(1))


def timed_rpc(kam, *args, bound=2.0):
    """An RPC that must answer within bound seconds; returns its output."""
    start = time.monotonic()
    out = kam.rpc(*args, timeout=bound)
    assert time.monotonic() - start < bound
    return out


# ----- 1. Kamailio killed with -9 under load -------------------------------------

TOTAL_POSTS = 10_000


def test_kamailio_kill9_under_load_loses_no_acknowledged_post(db, kamailio_factory):
    """10 posters (5 rooms of 2, over TCP, closed loop) post at least 10,000
    posts in total; Kamailio (main process and all children) is killed with
    SIGKILL twice mid-load and restarted on the same database and port. Every
    post answered 200 is in pchat_message exactly once, in its poster's
    order; posts whose answer was lost may be there or not, never twice."""
    kam = kamailio_factory(db=db.url(DB_USER, DB_PASS, DB_NAME), defines=LOAD)
    ids, guids, users = rooms_with_posters(kam, db, n_rooms=5, per_room=2)
    books = []          # every Poster of every phase
    next_n = {}         # user name -> next counter value (continues across phases)
    kills = 2
    for phase in range(kills + 1):
        if phase > 0:   # a new connection and dialog for the same user
            users = [[ChatUser(kam, u.user) for u in room] for room in users]
            for room, guid in zip(users, guids):
                for u in room:
                    assert u.join(guid).code == 200
        posters = [Poster(u, guid, first=next_n.get(u.user, 0))
                   for room, guid in zip(users, guids) for u in room]
        for p in posters:
            p.start()
        target = TOTAL_POSTS * (phase + 1) // (kills + 1)
        done = sum(len(p.acked) for p in books)
        assert wait_until(lambda: done + sum(len(p.acked) for p in posters) >= target,
                          timeout=300, step=0.02)
        if phase < kills:
            pids = kamailio_pids(kam)
            assert len(pids) > 1
            os.killpg(kam.proc.pid, signal.SIGKILL)     # main and children, at once
            kam.proc.wait(10)
            assert wait_until(lambda: not any(os.path.exists(f"/proc/{p}") for p in pids),
                              timeout=10)
            for p in posters:   # each ends at its first post without an answer
                p.join(15)
                assert not p.is_alive(), f"{p.name} still posting to a dead Kamailio"
            lost = sum(len(p.lost) for p in posters)
            print(f"\nkill -9 #{phase + 1}: {sum(len(p.acked) for p in posters)} acknowledged "
                  f"in this phase, {lost} in flight")
            for room in users:
                for u in room:
                    u.close()
            kam.start()
        else:
            for p in posters:
                p.stop()
        for p in posters:
            next_n[p.user.user] = p.next_n
        books += posters
    for room in users:
        for u in room:
            u.close()
    n_acked, _ = assert_history(db, ids, books, "kill -9 of Kamailio")
    assert n_acked >= TOTAL_POSTS
    assert all(status == 503 for p in books for _, status, _ in p.refused)


# ----- 2. MariaDB killed with -9 and restarted under load -------------------------

def kill9_mariadb(db):
    pid = db._pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    assert wait_until(lambda: not db.is_running(), timeout=10)


def accepting_since(port, stop):
    """Polls 127.0.0.1:port every 10 ms; returns a dict whose "at" becomes
    the monotonic time of the first connection on which the server sent its
    greeting (it accepts connections then, not merely listens)."""
    seen = {}

    def poll():
        while not stop.is_set() and "at" not in seen:
            began = time.monotonic()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                    s.settimeout(0.5)
                    if s.recv(16):
                        seen["at"] = began
                        return
            except OSError:
                pass
            time.sleep(0.01)
    threading.Thread(target=poll, daemon=True).start()
    return seen


def grpchat_texts(user):
    """Texts of every grpchat delivered to user's dialog, in arrival order."""
    texts = []
    for info in user.dlg.server_infos:
        g = find(parse_xccos(info.body), "grpchat")
        if g is not None:
            texts.append(find(g, "chat").text or "")
    return texts


RECOVERY_BOUND = 5.0   # s after MariaDB accepts connections again (issue 13)
OUTAGE = 8.0           # s: long enough for the reconnect back-off to reach its maximum


def test_mariadb_kill9_under_load_503_then_recovers(db, kamailio_factory):
    """MariaDB is killed with SIGKILL while 4 posters post (2 rooms, each
    with a member that only listens) and restarted OUTAGE s later. During
    the outage posts get 503 with Retry-After, never a 200 that is then
    missing; RPCs answer within 2 s all along; within RECOVERY_BOUND s of
    MariaDB accepting connections again every poster's posts get 200 on the
    same dialogs, no session is lost and the listeners get every
    acknowledged post exactly once."""
    kam = kamailio_factory(db=db.url(DB_USER, DB_PASS, DB_NAME), defines=LOAD)
    ids, guids, users = rooms_with_posters(kam, db, n_rooms=2, per_room=2, listeners=1)
    posters = [Poster(u, guid) for room, guid in zip(users, guids) for u in room[:2]]
    listeners = [room[2] for room in users]
    sessions = {s["call_id"] for s in kam.sessions()}
    assert len(sessions) == 6
    for p in posters:
        p.start()
    assert wait_until(lambda: all(len(p.acked) >= 50 for p in posters), timeout=30)

    kill9_mariadb(db)
    killed = time.monotonic()
    statuses = []
    while time.monotonic() - killed < OUTAGE:   # the outage: RPCs answer, posts get 503
        statuses.append(timed_rpc(kam, "pchat.status"))
        time.sleep(0.5)
    assert any("storage: down" in s for s in statuses)
    acked_in_outage = sum(len(p.acked) for p in posters)
    stop_poll = threading.Event()
    accepting = accepting_since(db.port, stop_poll)
    db.start()
    stop_poll.set()
    assert "at" in accepting
    back = accepting["at"]
    assert wait_until(lambda: all(p.acked_at and p.acked_at[-1] > back for p in posters),
                      timeout=30)
    recovery = max(next(t for t in p.acked_at if t > back) for p in posters) - back
    time.sleep(1)
    for p in posters:
        p.stop()

    n503 = sum(1 for p in posters for _, status, _ in p.refused if status == 503)
    print(f"\nMariaDB kill -9: restart took {back - killed:.1f} s after the kill, "
          f"{n503} posts answered 503, recovery {recovery:.2f} s after it accepted "
          f"connections, {acked_in_outage} acknowledged before it came back")
    assert n503 > 0
    for p in posters:
        assert not p.lost, p.lost[:3]
        for n, status, retry_after in p.refused:
            assert status == 503 and retry_after and int(retry_after) > 0, (n, status)
    assert recovery <= RECOVERY_BOUND
    assert "storage: up" in timed_rpc(kam, "pchat.status")
    # the RPC process reads the store again at once (its own connection)
    assert "name: Root" in timed_rpc(kam, "pchat.category_get")
    # every session is still there, on the same dialogs
    assert {s["call_id"] for s in kam.sessions()} == sessions
    _, counts = assert_history(db, ids, posters, "kill -9 of MariaDB")
    # the listeners got every acknowledged post of their room, once
    for room_users, listener in zip(users, listeners):
        mine = [p for p in posters if p.user in room_users]
        want = {f"{p.user.user} {n}" for p in mine for n in p.acked}
        assert wait_until(lambda: want <= set(grpchat_texts(listener)), timeout=30)
        got = grpchat_texts(listener)
        assert len(got) == len(set(got))
    assert kam.alive()


# ----- 3. a read-only database, a full disk ------------------------------------------

def post_until(poster_user, guid, books, want, tries=50, pause=0.1):
    """Posts (booking each outcome in books) until one gets status want."""
    for _ in range(tries):
        n = books.next_n
        books.next_n += 1
        resp = poster_user.post(guid, f"{poster_user.user} {n}")
        if resp.status == 200:
            books.acked.append(n)
        else:
            books.refused.append((n, resp.status, resp.header("Retry-After")))
        if resp.status == want:
            return resp
        time.sleep(pause)
    raise AssertionError(f"no {want} in {tries} posts: {books.refused[-3:]}")


class Books:
    """A Poster's books for posts sent by the test itself."""

    def __init__(self, user):
        self.user, self.next_n = user, 0
        self.acked, self.refused, self.lost = [], [], []


def test_read_only_database_gives_503_and_nothing_acknowledged_is_lost(db, kamailio_factory):
    """SET GLOBAL read_only=1 (an operator's temporary state; the store's
    account, pchat@127.0.0.1, has no SUPER or READ_ONLY ADMIN, so it applies
    to it): posts get 503 with Retry-After, reads (history) still work; when
    read_only is cleared posts get 200 again on the same dialogs. Every
    acknowledged post is stored once, in order; no refused post is stored
    (the client sends it again)."""
    grants = " ".join(g for (g,) in db.sql(f"SHOW GRANTS FOR '{DB_USER}'@'127.0.0.1'"))
    assert "SUPER" not in grants and "READ_ONLY ADMIN" not in grants \
        and "ON *.*" in grants and "ALL PRIVILEGES ON *.*" not in grants, grants
    kam = kamailio_factory(db=db.url(DB_USER, DB_PASS, DB_NAME), defines=LOAD)
    ids, guids, users = rooms_with_posters(kam, db, n_rooms=1, per_room=1, listeners=1)
    poster, listener = users[0]
    guid = guids[0]
    books = Books(poster)
    for _ in range(5):
        post_until(poster, guid, books, 200, tries=1)
    db.sql("SET GLOBAL read_only = 1")
    try:
        for _ in range(10):
            resp = post_until(poster, guid, books, 503, tries=1)
            assert int(resp.header("Retry-After")) > 0
        assert poster.history(guid).code == 200     # reading still works
        assert "storage" in timed_rpc(kam, "pchat.status")
    finally:
        db.sql("SET GLOBAL read_only = 0")
    started = time.monotonic()
    post_until(poster, guid, books, 200)
    print(f"\nread-only: {len(books.refused)} posts answered 503, posts answered 200 again "
          f"{time.monotonic() - started:.2f} s after read_only=0")
    for _ in range(5):
        post_until(poster, guid, books, 200, tries=1)
    assert all(status == 503 for _, status, _ in books.refused)
    assert_history(db, ids, [books], "read-only")
    stored = {c for _, _, c in stored_posts(db, ids)}
    assert not stored & {f"{poster.user} {n}" for n, *_ in books.refused}
    want = [f"{poster.user} {n}" for n in books.acked]
    assert wait_until(lambda: grpchat_texts(listener) == want)
    assert session_of(kam, poster) is not None
    log = kam.log()   # said once (per process), with the server's reason
    assert 1 <= log.count("storage refuses writes") <= 2 and "1290" in log, log[-2000:]
    assert "storage takes writes again" in log


@pytest.fixture
def small_disk_db():
    """A MariaDB whose pchat database directory is a tmpfs with 4 MB to
    spare, so the store's own posts fill it (with 1-2 MB, MariaDB 10.11 could
    abort: "[FATAL] InnoDB: Error (Out of disk space) in rollback" of an
    INSERT that found no room, which no client can prevent); yields (db, resize) where
    resize(mb) gives the tmpfs mb megabytes. Skipped where tmpfs cannot be
    mounted (it needs root and CAP_SYS_ADMIN)."""
    base = tempfile.mkdtemp(prefix="pchat-db-", dir="/tmp")
    db = MariaDB(base, free_port())
    dbdir = os.path.join(db.datadir, DB_NAME)
    mounted = False
    try:
        db.start()
        create_schema(db)
        db.stop()
        os.rename(dbdir, dbdir + ".orig")
        os.mkdir(dbdir)
        files = os.listdir(dbdir + ".orig")
        need = sum(os.path.getsize(os.path.join(dbdir + ".orig", f)) for f in files)
        size_kb = need // 1024 + 4 * len(files) + 4096
        res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", dbdir],
                             capture_output=True, text=True)
        if res.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({res.stderr.strip()}): no full-disk test")
        mounted = True
        for f in files:
            shutil.copy2(os.path.join(dbdir + ".orig", f), dbdir)
        db.start()

        def resize(mb):
            subprocess.run(["mount", "-o", f"remount,size={mb}m", dbdir], check=True)
        yield db, resize
    finally:
        db.stop()
        if mounted:
            subprocess.run(["umount", dbdir])
        shutil.rmtree(base, ignore_errors=True)


def test_full_disk_gives_503_and_nothing_acknowledged_is_lost(small_disk_db, kamailio_factory):
    """The store's disk fills up under posts (the pchat database directory
    is a small tmpfs): posts get 503 with Retry-After, not 500; once the
    disk has room again posts get 200 on the same dialog; every acknowledged
    post is stored once, in order, and no refused one is."""
    db, resize = small_disk_db
    kam = kamailio_factory(db=db.url(DB_USER, DB_PASS, DB_NAME), defines=LOAD)
    ids, guids, users = rooms_with_posters(kam, db, n_rooms=1, per_room=1, listeners=1)
    poster, listener = users[0]
    guid = guids[0]
    books = Books(poster)
    resp = post_until(poster, guid, books, 503, tries=5000, pause=0)
    assert int(resp.header("Retry-After")) > 0
    full_after = len(books.acked)
    for _ in range(5):
        post_until(poster, guid, books, 503, tries=1)
    assert poster.history(guid).code == 200     # reading still works
    resize(64)
    post_until(poster, guid, books, 200)
    for _ in range(5):
        post_until(poster, guid, books, 200, tries=1)
    print(f"\nfull disk: full after {full_after} posts, {len(books.refused)} answered 503, "
          f"then 200 again")
    refusal = re.search(r"storage refuses writes .*", kam.log())
    assert refusal, kam.log_tail()
    print(refusal.group(0))
    assert all(status == 503 for _, status, _ in books.refused), books.refused[:5]
    assert_history(db, ids, [books], "full disk")
    stored = {c for _, _, c in stored_posts(db, ids)}
    assert not stored & {f"{poster.user} {n}" for n, *_ in books.refused}
    want = [f"{poster.user} {n}" for n in books.acked]
    assert wait_until(lambda: grpchat_texts(listener) == want)


# ----- 4. a client that reads nothing ---------------------------------------------------

MAX_PENDING = 100
TEXT = "x" * 400


def settled_shm(kam, timeout=30):
    """core.shmmem used once tm holds no transaction (it keeps each answered
    INFO's transaction some seconds)."""
    def idle():
        stats = kam.rpc("tm.stats")
        return all(re.search(rf"{k}:\s*0\b", stats) for k in ("current", "waiting"))
    assert wait_until(idle, timeout=timeout)
    return shm_used(kam)


def test_client_reading_nothing_is_shed_and_memory_comes_back(instance, mariadb):
    """A member stops reading its connection (as a hung client; it reads
    nothing for the rest of the test, delivery_timeout is 300 s) while two
    others chat with posts of 400 characters. Measured with core.shmmem
    (used): the same posts with every member reading (a control: tm keeps
    each answered INFO's transaction a few seconds) and then with the member
    reading nothing, each time from a baseline without tm transactions.
    While it is slow shm grows by at most the control's growth plus about max_pending_deliveries copies; it is shed alone once
    that many are pending, and shm comes back near the baseline after. (The
    shedding alone is also test_delivery.py's
    test_client_falling_behind_is_shed_alone.)"""
    kam, user = instance(PCHAT_MAX_PENDING=MAX_PENDING, PCHAT_DELIVERY_TIMEOUT=300)
    _, guid, _ = make_room(mariadb)
    alice, bob, slow = user(), user(), user()
    for u in (alice, bob, slow):
        assert u.join(guid).code == 200

    def chat(label, n):
        """n posts by alice and bob in turn; returns the peak shm used."""
        peak = 0
        for i in range(n):
            assert (alice, bob)[i % 2].post(guid, f"{label} {i} {TEXT}").status == 200
            peak = max(peak, shm_used(kam))
        return peak

    chat("warm", 20)    # every process has served posts and copies
    copy = len(bob.dlg.server_infos[-1].raw)
    near = 20 * copy
    base_ctl = settled_shm(kam)
    growth_ctl = chat("control", MAX_PENDING) - base_ctl
    assert wait_until(lambda: all(session_of(kam, u)["pending"] == "0"
                                  for u in (alice, bob, slow)))
    baseline = settled_shm(kam)
    assert baseline - base_ctl <= near   # chatting leaves nothing behind

    slow.client.pause_reading()
    peak, sent = baseline, 0
    while session_of(kam, slow) is not None and sent < 20 * MAX_PENDING:
        assert (alice, bob)[sent % 2].post(guid, f"{sent} {TEXT}").status == 200
        sent += 1
        peak = max(peak, shm_used(kam))
    assert session_of(kam, slow) is None, "the client reading nothing was never shed"
    assert sent <= MAX_PENDING + 5     # shed at max_pending, not by the timeout
    part = alice.wait_notice("part", timeout=10)
    assert find(part, "data/chanib/uib").get("uri") == slow.uri
    assert alice.post(guid, "after").status == 200   # the others chat on
    assert bob.wait_message(guid, timeout=10)
    bound = growth_ctl + MAX_PENDING * 2 * copy
    after = settled_shm(kam)
    print(f"\nslow reader: shed after {sent} posts; shm used: baseline {baseline}, "
          f"control chat +{growth_ctl}, peak while slow +{peak - baseline} (bound +{bound}: "
          f"control + {MAX_PENDING} copies of {copy} bytes x2), after shedding "
          f"{after - baseline:+d}")
    assert peak - baseline <= bound
    assert after - baseline <= near, \
        f"shm used {after} stays above the baseline {baseline} + {near}"
    slow.client.pause_reading(False)
