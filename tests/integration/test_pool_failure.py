"""A pool node that dies, and a node drained by its administrator (issue 14,
points 2 and 4). Three standalone nodes (-A WITH_DMQ) on one database send
each other a heartbeat (pool_heartbeat_ms, 1000 by default); one killed with
kill -9 is down on the others within pool_dead_ms (3000) plus the timer's
100 ms, its rooms leave their tables, posts go on between the survivors
exactly once, and a new instance on its address is up again and gets
copies. A drained node refuses new sign-ins with 503 + Retry-After and
keeps the sessions it has; its state shows on the other nodes."""

import os
import re
import signal
import time

import pytest

from chat import make_room, wait_until
from kamailio import Kamailio, KamailioError, pchatctl
from mariadb import free_port
from sipclient import InviteRejected
from pool import (kdmq, node_defines, node_rooms, node_state, pool_nodes, running_pool,
                  status_int)

DEAD_MS = 3000  # pool_dead_ms, the default
BEAT_MS = 1000  # pool_heartbeat_ms, the default
TICK_MS = 100   # the pool's timer


@pytest.fixture(scope="module")
def pool(db_url):
    """Nodes a (the pool's first), b and c (seeded with a); a test may put
    a new instance in c's place."""
    with running_pool(db_url) as nodes:
        yield nodes


def test_pool_lists_this_node_first_then_its_peers(pool):
    a, b, c = pool
    me, *peers = pool_nodes(a)
    assert me["local"] == "1" and me["uri"] == f"sip:127.0.0.1:{a.port};transport=tcp"
    assert me["state"] == "up" and "sessions" in me
    assert sorted(p["uri"] for p in peers) == sorted(
        f"sip:127.0.0.1:{n.port};transport=tcp" for n in (b, c))
    # heartbeats every second: none of them much older
    assert all(p["local"] == "0" and 0 <= int(p["heartbeat_age_ms"]) < 2500
               for p in peers), peers
    res = pchatctl(a, "get-endpoint", json_output=True)
    assert res.returncode == 0, res.stderr
    assert [n["uri"] for n in res.json][0] == me["uri"] and len(res.json) == 3


def test_a_killed_node_is_down_then_back_after_a_restart(pool, mariadb, chat_users, db_url):
    a, b, c = pool
    _, guid, _ = make_room(mariadb, privacy="open")
    alice, bob, carol = chat_users(a), chat_users(b), chat_users(c)
    for u in (alice, bob, carol):
        assert u.join(guid).code == 200
    assert wait_until(lambda: node_rooms(a, c) == 1 and node_rooms(b, c) == 1,
                      timeout=5)
    assert wait_until(lambda: node_rooms(a, b) == 1, timeout=5)

    # kill -9 c: its whole process group (this test's own Kamailio)
    os.killpg(c.proc.pid, signal.SIGKILL)
    t0 = time.monotonic()
    c.proc.wait(5)
    seen = {}
    while len(seen) < 2 and time.monotonic() - t0 < 10:
        for name, kam in (("a", a), ("b", b)):
            if name not in seen and node_state(kam, c) == "down":
                seen[name] = time.monotonic() - t0
        time.sleep(0.05)
    print(f"kill -9 -> down: {seen}")
    assert set(seen) == {"a", "b"}, [a.rpc("pchat.pool"), b.rpc("pchat.pool")]
    # its last heartbeat came at most pool_heartbeat_ms before the kill (and
    # this loop's RPCs take a while)
    assert (DEAD_MS - BEAT_MS) / 1000 - 0.1 <= min(seen.values()), seen
    assert max(seen.values()) <= (DEAD_MS + TICK_MS) / 1000 + 0.5, seen
    for kam in (a, b):
        assert node_rooms(kam, c) == 0
        assert kam.log().count(f"127.0.0.1:{c.port};transport=tcp is down") == 1
    # the room is still shared by a and b only
    assert status_int(a, "pool_remote_rooms") == 1 and status_int(b, "pool_remote_rooms") == 1

    # a post on a reaches bob on b exactly once, and no copy goes to c
    sent = status_int(a, "pool_copies_sent")
    assert alice.post(guid, "after the kill").status == 200
    for u in (alice, bob):
        assert u.wait_message(guid)["text"] == "after the kill"
    bob.expect_no_message(guid)
    assert status_int(a, "pool_copies_sent") - sent == 1

    # a new instance on c's address: up again on both, its rooms re-synced
    c2 = Kamailio(c.port, db_url, defines=node_defines(a))
    c.cleanup()
    pool[2] = c2
    c2.start()
    assert wait_until(lambda: node_state(a, c2) == "up" and node_state(b, c2) == "up", timeout=15), \
        [a.rpc("pchat.pool"), b.rpc("pchat.pool")]
    assert f"127.0.0.1:{c.port};transport=tcp is up again" in a.log()
    # both ways: the others' heartbeats reach it again (none went to c
    # while it was down, but a probe in ten)
    assert wait_until(lambda: node_state(c2, a) == "up" and node_state(c2, b) == "up", timeout=5), \
        c2.rpc("pchat.pool")
    dave = chat_users(c2)
    assert dave.join(guid).code == 200
    assert wait_until(lambda: node_rooms(a, c2) == 1 and node_rooms(b, c2) == 1,
                      timeout=5)
    assert bob.post(guid, "to the new c").status == 200
    for u in (alice, bob, dave):
        assert u.wait_message(guid)["text"] == "to the new c"
    dave.expect_no_message(guid)


def test_a_frozen_node_is_down_then_up_and_resynced(pool, mariadb, chat_users):
    """A node that stops answering without dying (SIGSTOP: a hung machine,
    a network cut) is down on the others; when it speaks again it is up,
    and the lists of rooms cross again (HELLO) both ways."""
    a, b, c = pool
    _, guid, _ = make_room(mariadb, privacy="open")
    alice, bob, carol = chat_users(a), chat_users(b), chat_users(c)
    for u in (alice, bob, carol):
        assert u.join(guid).code == 200
    assert wait_until(lambda: node_rooms(a, c) == 1 and node_rooms(b, c) == 1
                      and node_rooms(c, a) == 1, timeout=5)
    ups = a.log().count("is up again")
    os.killpg(c.proc.pid, signal.SIGSTOP)
    try:
        assert wait_until(lambda: node_state(a, c) == "down" and node_state(b, c) == "down",
                          timeout=(DEAD_MS + BEAT_MS) / 1000 + 1)
        assert node_rooms(a, c) == 0
    finally:
        os.killpg(c.proc.pid, signal.SIGCONT)
    assert wait_until(lambda: node_state(a, c) == "up" and node_state(b, c) == "up", timeout=5)
    assert a.log().count("is up again") == ups + 1
    # its rooms are back on a and b, theirs on c (c, thawed, found the
    # others silent too)
    assert wait_until(lambda: node_rooms(a, c) == 1 and node_rooms(b, c) == 1
                      and node_rooms(c, a) == 1 and node_rooms(c, b) == 1, timeout=5), \
        [x.rpc("pchat.pool") for x in (a, b, c)]
    for author, text in ((alice, "to the thawed node"), (carol, "from the thawed node")):
        assert author.post(guid, text).status == 200
        for u in (alice, bob, carol):
            assert u.wait_message(guid)["text"] == text, u.uri
    for u in (alice, bob, carol):
        u.expect_no_message(guid)


def test_a_drained_node_refuses_new_sessions_and_keeps_its_own(pool, mariadb, chat_users):
    a, b, _ = pool
    _, guid, _ = make_room(mariadb, privacy="open")
    alice, bob = chat_users(a), chat_users(b)
    assert alice.join(guid).code == 200
    assert bob.join(guid).code == 200

    res = pchatctl(b, "set-state", "--state", "drain", json_output=True)
    assert res.returncode == 0 and res.json["state"] == "drain", res.stderr
    assert "state: drain" in b.rpc("pchat.pool_state")
    with pytest.raises(InviteRejected) as refused:
        chat_users(b)
    resp = refused.value.response
    assert resp.status == 503 and int(resp.header("Retry-After")) > 0
    assert "drains" in resp.header("Warning")
    # the sessions it has go on, both ways
    assert bob.post(guid, "still posting").status == 200
    for u in (alice, bob):
        assert u.wait_message(guid)["text"] == "still posting"
    assert alice.post(guid, "to the drained node").status == 200
    assert bob.wait_message(guid)["text"] == "to the drained node"
    # the state travels in the heartbeat; b stays in the pool
    assert wait_until(lambda: node_state(a, b) == "draining", timeout=3)
    assert pool_nodes(b)[0]["state"] == "draining"
    assert pchatctl(b, "set-state", "--state", "sideways").returncode == 1

    assert pchatctl(b, "set-state", "--state", "active").returncode == 0
    assert re.search(r"^state: +active$", pchatctl(b, "get-state").stdout, re.M)
    chat_users(b)  # signs in again
    assert wait_until(lambda: node_state(a, b) == "up", timeout=3)


def test_malformed_or_foreign_heartbeats_are_refused(pool):
    a, b, _ = pool
    for body in (b"PCHAT1 BEAT\n", b"PCHAT1 BEAT ACTIVE", b"PCHAT1 BEAT active\n",
                 b"PCHAT1 BEAT DRAIN \n", b"PCHAT1 BEAT ACTIVE\nx", b"PCHAT1 BEAT UP\n"):
        assert kdmq(b, a.port, body) == 400, body
    # not a node of the pool: no heartbeat of its own
    assert kdmq(b, free_port(), b"PCHAT1 BEAT DRAIN\n") == 403
    assert kdmq(b, a.port, b"PCHAT1 BEAT ACTIVE\n") == 200
    assert len(pool_nodes(b)) == 3 and node_state(b, a) == "up"


def test_a_dead_bound_under_two_heartbeats_is_refused_at_start(db_url):
    k = Kamailio(free_port(), db_url, defines={
        "WITH_DMQ": "1", "PCHAT_POOL_HEARTBEAT_MS": "1000", "PCHAT_POOL_DEAD_MS": "1500"})
    try:
        with pytest.raises(KamailioError):
            k.start()
        assert "pool_dead_ms >= twice" in k.log()
    finally:
        k.cleanup()
