"""The store workers: every command that may wait for MySQL (all but a lone
post) runs in a process of the pool, so a query held by a lock holds up only
the session that sent it; a session's commands still run in order."""

import re
import subprocess
import threading
import time

from chat import make_room


def _lock_prefs(mariadb, user):
    """Holds the user's preference rows FOR UPDATE: the user's setpref,
    which locks the same rows, waits for it."""
    return mariadb.hold_rows("pchat_preference", f"user_uri = '{user.uri.lower()}'")


def _in_thread(fn):
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", fn()), daemon=True)
    t.start()
    return t, out


def _status(kam, field):
    m = re.search(rf"\b{field}: (\d+)", kam.rpc("pchat.status"))
    return int(m.group(1))


def _wait_jobs(kam, n):
    deadline = time.monotonic() + 10
    while _status(kam, "store_jobs_queued") < n:
        assert time.monotonic() < deadline, f"never {n} commands in the store workers"
        time.sleep(0.02)


def _setpref(user, content, timeout=30):
    return user.dlg.command(
        "setpref", f'<pref label="rooms" seqid="0" content="{content}"/>', timeout=timeout)


def test_a_command_held_by_a_lock_holds_up_no_one_else(instance, mariadb):
    """One reader (PCHAT_TCP_CHILDREN 1) serves every connection: with the
    command run in the reader, the whole node would wait for the lock."""
    kam, user = instance()
    alice, bob, carol = user(), user(), user()
    _, room, _ = make_room(mariadb)
    _, room2, _ = make_room(mariadb)
    bob.join(room)
    carol.join(room)
    locker = _lock_prefs(mariadb, alice)
    try:
        t, out = _in_thread(lambda: _setpref(alice, "QUJD"))
        _wait_jobs(kam, 1)
        time.sleep(0.5)
        assert "r" not in out, "setpref was answered through a lock on its rows"
        # posts fan out, other sessions' history and joins run, refreshes
        # and RPCs answer, all while alice's command waits
        start = time.monotonic()
        assert bob.post(room, "meanwhile").status == 200
        assert carol.wait_message(room)["text"] == "meanwhile"
        assert carol.history(room).code == 200
        assert bob.join(room2).code == 200
        assert carol.dlg.update().status == 200
        assert _status(kam, "store_workers") == 4
        assert time.monotonic() - start < 5
        assert "r" not in out
    finally:
        locker.release()
    t.join(timeout=20)
    assert out["r"].code == 200


def test_a_sessions_commands_run_in_order_behind_a_held_one(instance, mariadb):
    """alice's post, sent while her setpref waits, waits behind it (it may
    depend on it) and is not delivered before; bob's posts are."""
    kam, user = instance()
    alice, bob = user(), user()
    _, room, _ = make_room(mariadb)
    alice.join(room)
    bob.join(room)
    locker = _lock_prefs(mariadb, alice)
    try:
        t1, out1 = _in_thread(lambda: _setpref(alice, "QUJD"))
        _wait_jobs(kam, 1)
        t2, out2 = _in_thread(lambda: alice.post(room, "after setpref", timeout=30))
        _wait_jobs(kam, 2)
        assert bob.post(room, "bob's").status == 200
        assert bob.wait_message(room)["text"] == "bob's"
        bob.dlg.expect_no_server_info(within=0.5)
        assert "r" not in out1 and "r" not in out2
    finally:
        locker.release()
    t1.join(timeout=20)
    t2.join(timeout=20)
    assert out1["r"].code == 200
    assert out2["r"].status == 200
    assert bob.wait_message(room)["text"] == "after setpref"
    assert _status(kam, "store_jobs_queued") == 0


def test_a_full_store_queue_answers_503(instance, mariadb):
    kam, user = instance(PCHAT_STORE_QUEUE_SIZE=1)
    alice, bob = user(), user()
    _, room, _ = make_room(mariadb)
    locker = _lock_prefs(mariadb, alice)
    try:
        t, out = _in_thread(lambda: _setpref(alice, "QUJD"))
        _wait_jobs(kam, 1)
        _, body = bob.client.make_envelope(
            f'<cmd id="cmd:join" seqid="1"><data><chanid key="0" domain="{kam.domain}" '
            f'value="{room}"/></data></cmd>')
        r = bob.dlg.send_xccos(body)
        assert r.status == 503
        assert r.header("Retry-After")
        assert "store_queue_size" in r.header("Warning")
        # a post whose room answer is not cached needs a worker too
        r = bob.post(room, "x")
        assert r.status == 503 and "store_queue_size" in r.header("Warning")
    finally:
        locker.release()
    t.join(timeout=20)
    assert out["r"].code == 200
    assert bob.join(room).code == 200


def test_a_command_of_a_session_that_ended_is_still_answered(instance, mariadb):
    """BYE while the session's command waits: the command is answered
    (481) when a worker gets to it, never left to tm's timeout."""
    kam, user = instance()
    alice = user()
    locker = _lock_prefs(mariadb, alice)
    try:
        _, body = alice.client.make_envelope(
            '<cmd id="cmd:setpref" seqid="1"><data><pref label="rooms" seqid="0" '
            'content="QUJD"/></data></cmd>')
        t, out = _in_thread(lambda: alice.dlg.send_xccos(body, timeout=30))
        _wait_jobs(kam, 1)
        _, body2 = alice.client.make_envelope('<cmd id="cmd:getserverinfo" seqid="1"><data/></cmd>')
        t2, out2 = _in_thread(lambda: alice.dlg.send_xccos(body2, timeout=30))
        _wait_jobs(kam, 2)
        assert alice.dlg.bye().status == 200
    finally:
        locker.release()
    t.join(timeout=20)
    t2.join(timeout=20)
    # the held one ran (its session was there when it started); the one
    # queued behind it finds the session gone
    assert out["r"].status == 200
    assert out2["r"].status == 481
    assert _status(kam, "store_jobs_queued") == 0


def test_a_post_the_cache_cannot_answer_waits_in_a_worker(instance, mariadb):
    """The SIP reader checks a post from the node's cache; an uncached
    room answer (four queries) is looked up by a store worker. With the
    room roles table locked (a DBA's LOCK TABLES), the post waits, and the
    reader serves everyone else meanwhile."""
    kam, user = instance()
    alice, bob = user(), user()
    _, room, _ = make_room(mariadb)
    alice.join(room)
    bob.join(room)
    locker = subprocess.Popen(
        mariadb._client("pchat") + ["--unbuffered"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True)
    locker.stdin.write("LOCK TABLES pchat_role WRITE; SELECT 'locked';\n")
    locker.stdin.flush()
    assert "locked" in locker.stdout.readline()
    try:
        t, out = _in_thread(lambda: alice.post(room, "uncached", timeout=30))
        _wait_jobs(kam, 1)
        time.sleep(0.3)
        assert "r" not in out
        start = time.monotonic()
        assert bob.dlg.update().status == 200
        assert "storage" in kam.rpc("pchat.status")
        assert time.monotonic() - start < 5
        assert "r" not in out
    finally:
        locker.stdin.write("UNLOCK TABLES;\n")
        locker.stdin.close()
        locker.wait(timeout=10)
    t.join(timeout=20)
    assert out["r"].status == 200
    assert bob.wait_message(room)["text"] == "uncached"
    assert _status(kam, "posts_uncached") == 1
    # the worker's answer is the node's (shm): alice's next post, within
    # the cache's second, is checked in the reader
    assert alice.post(room, "cached").status == 200
    assert _status(kam, "posts_uncached") == 1
    # pchat.post_latency counts the held post from the reader's hand-over
    # to the worker, its wait on the lock included
    assert _latency(kam)["max_ms"] >= 300


def _latency(kam):
    out = kam.rpc("pchat.post_latency")
    return {k: float(v) for k, v in re.findall(r"(\w+): ([\d.]+)", out)}


def _post_steadily(user, room, seconds, every=0.1, until=None):
    """Posts every `every` s for `seconds`; stops early at the first post
    `until(response)` accepts. Returns (posts, seconds taken, last response)."""
    start, n, r = time.monotonic(), 0, None
    while time.monotonic() - start < seconds:
        r = user.post(room, f"steady {n}")
        n += 1
        if until and until(r):
            break
        time.sleep(every)
    return n, time.monotonic() - start, r


def test_a_steady_posters_room_answer_is_refreshed_before_it_expires(instance, mariadb):
    """The room answer a post is checked against lives 1 s in the node's
    cache; a store worker reads a used one again before that, so a user
    who posts all the time has every post but the first checked in the
    reader (without it: one post a second into a worker, posts_uncached)."""
    kam, user = instance()
    alice, bob = user(), user()
    _, room, _ = make_room(mariadb)
    alice.join(room)
    bob.join(room)
    before = _status(kam, "posts_uncached")
    n, took, _ = _post_steadily(alice, room, 3.5)
    assert took >= 3.5 and n >= 10
    # the first post fills the cache; one more allowed for a late refresh
    # on a busy machine (expiry alone gives 4)
    assert _status(kam, "posts_uncached") - before <= 2


def test_a_refreshed_answer_still_sees_a_direct_change_within_its_second(instance, mariadb):
    """Refreshing ahead keeps the cache's bound: a DBA's direct UPDATE (no
    admin RPC drops the cache) refuses a steady poster's posts within about
    a second, as without the refresh."""
    kam, user = instance()
    alice = user()
    rid, room, _ = make_room(mariadb)
    alice.join(room)
    _post_steadily(alice, room, 1.5)  # the answer has been refreshed by now
    mariadb.sql(f"UPDATE pchat_node SET room_type = 'auditorium' WHERE id = {rid}",
                db="pchat")
    n, took, last = _post_steadily(alice, room, 5, until=lambda r: r.status != 200)
    assert last.status == 403, "an auditorium's non-presenter may still post"
    assert took < 2.0


def test_without_store_workers_the_readers_run_every_command(instance, mariadb):
    """store_workers 0 (the fallback an operator may choose): joins, posts
    (the writer's doorbell rings with no worker's done list), history and
    preferences all run in the reader, and nothing waits in a worker."""
    kam, user = instance(PCHAT_STORE_WORKERS="0")
    alice, bob = user(), user()
    _, room, _ = make_room(mariadb)
    assert alice.join(room).code == 200
    assert bob.join(room).code == 200
    for i in range(3):
        assert alice.post(room, f"inline {i}").status == 200
        assert bob.wait_message(room)["text"] == f"inline {i}"
    assert bob.history(room).code == 200
    assert _setpref(alice, "QUJD", timeout=10).code == 200
    assert _status(kam, "store_workers") == 0
    assert _status(kam, "store_jobs_queued") == 0
    assert "storage" in kam.rpc("pchat.status")
