"""Pool-wide counts and the repair of the pool's table (issue 14): each node
announces its number of participants per room (COUNT; the first join and
the last part at once, other changes batched per timer tick), so chansrch's
ucnt and ParticipantUpdateLimit count the whole pool; a heartbeat carries a
digest of the sender's rooms and counts, and a node holding something else
for it (a lost message) asks for its whole list (SYNC); a node held down
gets a heartbeat only once in ten and is forgotten after pool_forget_ms;
the bounds pool_max_rooms and pool_inbox_size refuse, log, and the node
goes on. Three standalone nodes (-A WITH_DMQ) on one database."""

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from admin import config
from chat import make_room, unique, wait_until
from kamailio import Kamailio
from mariadb import free_port
from sipclient import find, findall
from pool import (all_up, kdmq, node_defines, node_rooms, node_state, pool_node, pool_nodes,
                  running_pool, status_int)

BEAT_MS, DEAD_MS, FORGET_MS = 250, 750, 4000


def _defines(seed=None, **more):
    return node_defines(seed, PCHAT_POOL_HEARTBEAT_MS=BEAT_MS, PCHAT_POOL_DEAD_MS=DEAD_MS,
                        PCHAT_POOL_FORGET_MS=FORGET_MS, **more)


@pytest.fixture(scope="module")
def pool(db_url):
    """Nodes a (the pool's first), b and c (seeded with a); a test may put
    a new instance in c's place."""
    with running_pool(db_url, _defines) as nodes:
        yield nodes


def _ucnt(user, name):
    """chansrch from user's node: ucnt of the room called name."""
    rep = user.dlg.command("chansrch", f'<qib qtype="BYNAME" criteria="{name}" extended="false"/>')
    for c in findall(rep.data, "chanib"):
        if c.get("name") == name:
            infos = {i.get("id"): i.text for i in findall(c, "info")}
            return int(infos["urn:parlano:ma:info:ucnt"])
    raise AssertionError(f"{name} not found by chansrch")


def _ucnt_everywhere(users, name, n):
    return wait_until(lambda: all(_ucnt(u, name) == n for u in users), timeout=5)


def test_ucnt_counts_the_participants_of_every_node(pool, mariadb, chat_users):
    a, b, c = pool
    _, guid, name = make_room(mariadb, name=unique("counted"), privacy="open")
    on_a = [chat_users(a), chat_users(a)]
    on_b = [chat_users(b)]
    on_c = [chat_users(c), chat_users(c)]
    everyone = on_a + on_b + on_c
    counts = sum(status_int(k, "pool_counts_sent") for k in pool)
    for u in everyone:
        assert u.join(guid).code == 200
    assert _ucnt_everywhere([on_a[0], on_b[0], on_c[0]], name, 5)
    sent = sum(status_int(k, "pool_counts_sent") for k in pool) - counts
    # each node: its first join at once, the second (if any) in a batch
    print(f"count messages for 5 joins on 3 nodes: {sent} (each to 2 nodes)")
    assert sent <= 5

    assert on_c[1].part(guid).code == 200
    assert _ucnt_everywhere([on_a[0], on_b[0], on_c[0]], name, 4)
    on_b[0].close()  # the last on b: a session end parts too
    assert wait_until(lambda: node_rooms(a, b) == 0 and node_rooms(c, b) == 0, timeout=5)
    assert _ucnt_everywhere([on_a[0], on_c[0]], name, 3)
    # the heartbeats' digests agreed all along: no list was asked for
    assert [status_int(k, "pool_resyncs") for k in pool] == [0, 0, 0]


def _set_limit(pool, value):
    for k in pool:  # each node drops its cached copy
        k.admin("pchat.config_set", f"participant_update_limit={value}")


def test_participant_update_limit_compares_the_pool_wide_count(pool, mariadb, chat_users):
    a, b, c = pool
    _, guid, name = make_room(mariadb, name=unique("limited"), privacy="open")
    saved = config(a)["participant_update_limit"]
    is_ntc = lambda m: "<ntc" in m.body  # noqa: E731
    try:
        _set_limit(pool, 3)
        x, y, z = chat_users(a), chat_users(b), chat_users(c)
        assert x.join(guid).code == 200
        assert _ucnt_everywhere([y], name, 1)
        assert y.join(guid).code == 200
        assert find(x.wait_notice("join"), "data/uib").get("uri") == y.uri
        assert _ucnt_everywhere([z], name, 2)
        assert z.join(guid).code == 200  # 3, not above 3: told
        for u in (x, y):
            assert find(u.wait_notice("join"), "data/uib").get("uri") == z.uri
        assert _ucnt_everywhere([x, y, z], name, 3)

        # a second participant on a: 2 there, 4 in the pool > 3: nobody told
        w = chat_users(a)
        assert w.join(guid).code == 200
        for u in (x, y, z):
            u.dlg.expect_no_server_info(within=0.5, predicate=is_ntc)
        assert _ucnt_everywhere([x, y, z], name, 4)
        # the last on c leaves: none there, 3 elsewhere, not below 3
        assert z.part(guid).code == 200
        for u in (x, y, w):
            u.dlg.expect_no_server_info(within=0.5, predicate=is_ntc)
        assert _ucnt_everywhere([x, y], name, 3)
        assert w.part(guid).code == 200  # 2 left: below the limit, told
        for u in (x, y):
            assert find(u.wait_notice("part"), "data/chanib/uib").get("uri") == w.uri
    finally:
        _set_limit(pool, saved)


def test_a_lost_count_is_repaired_by_the_heartbeats_digest(pool, mariadb, chat_users):
    a, b, _ = pool
    rid, guid, _ = make_room(mariadb, privacy="open")
    alice, bob = chat_users(a), chat_users(b)
    assert alice.join(guid).code == 200
    assert bob.join(guid).code == 200
    # b agrees with a (a room of the test before may still be leaving)
    assert wait_until(lambda: node_rooms(b, a) >= 1 and node_rooms(a, b) >= 1
                      and node_rooms(b, a) == int(pool_nodes(a)[0]["rooms"]), timeout=5)
    before = node_rooms(b, a)
    syncs = status_int(b, "pool_resyncs")
    # as if a's count had been lost: b believes a has nobody in the room,
    # and has a room a never announced
    phantom = int(rid) + 1000000
    assert kdmq(b, a.port, f"PCHAT1 COUNT\n{rid} 0\n{phantom} 7\n".encode()) == 200
    assert node_rooms(b, a) == before  # one room less, one more
    # repaired within a few heartbeats: two differing digests, then SYNC
    t0 = time.monotonic()
    assert wait_until(lambda: status_int(b, "pool_resyncs") > syncs, timeout=10 * BEAT_MS / 1000)
    print(f"forged count -> full list asked: {time.monotonic() - t0:.2f} s "
          f"(heartbeat {BEAT_MS} ms)")
    assert "its rooms here differ from its own" in b.log()
    # the copies reach alice again; the room back and the phantom gone: b
    # agrees with a's own count (not with `before`, which may still have
    # held a room of the test before that has left since)
    assert wait_until(lambda: node_rooms(b, a) == int(pool_nodes(a)[0]["rooms"]), timeout=10)
    assert bob.post(guid, "after the repair").status == 200
    assert alice.wait_message(guid)["text"] == "after the repair"
    assert bob.wait_message(guid)["text"] == "after the repair"
    alice.expect_no_message(guid)


def test_a_whole_list_replaces_a_nodes_rooms_without_a_gap(pool, mariadb, chat_users):
    """ROOMS RESET ... MORE, then ADD ... END (as a node sends a list of
    more than one batch): the rooms the receiver held stay until END, then
    those not in the list leave; the digest then repairs the forgery."""
    a, b, _ = pool
    rid, guid, _ = make_room(mariadb, privacy="open")
    alice = chat_users(a)
    assert alice.join(guid).code == 200
    assert wait_until(lambda: node_rooms(b, a) == 1, timeout=5)
    fake = [int(rid) + 900000 + i for i in range(4)]
    lines = "".join(f"{r} 2\n" for r in fake[:3])
    assert kdmq(b, a.port, f"PCHAT1 ROOMS RESET - MORE\n{lines}".encode()) == 200
    assert node_rooms(b, a) == 4  # the real one still there
    assert kdmq(b, a.port, f"PCHAT1 ROOMS ADD - END\n{fake[3]} 1\n".encode()) == 200
    assert node_rooms(b, a) == 4  # the real one gone, the fourth in
    assert wait_until(lambda: node_rooms(b, a) == 1, timeout=20 * BEAT_MS / 1000)
    bob = chat_users(b)
    assert bob.join(guid).code == 200
    assert bob.post(guid, "to a again").status == 200
    assert alice.wait_message(guid)["text"] == "to a again"


def test_malformed_counts_and_lists_are_refused(pool):
    a, b, _ = pool
    rooms = status_int(b, "pool_remote_rooms")
    for body in (b"PCHAT1 COUNT\n", b"PCHAT1 COUNT\n1\n", b"PCHAT1 COUNT\n1 01\n",
                 b"PCHAT1 COUNT\n1 -1\n", b"PCHAT1 COUNT\n01 1\n", b"PCHAT1 COUNT\n5 1\n6 x\n",
                 b"PCHAT1 COUNT 1 1\n", b"PCHAT1 ROOMS RESET - END\n5 0\n",
                 b"PCHAT1 ROOMS RESET -\n5 1\n", b"PCHAT1 ROOMS RESET - LAST\n",
                 b"PCHAT1 SYNC\nx", b"PCHAT1 BEAT ACTIVE 0123\n",
                 b"PCHAT1 BEAT ACTIVE 0123456789ABCDEF\n", b"PCHAT1 ON 5\n"):
        assert kdmq(b, a.port, body) == 400, body
    assert status_int(b, "pool_remote_rooms") == rooms  # nothing taken in part
    assert kdmq(b, a.port, b"PCHAT1 BEAT ACTIVE 0123456789abcdef\n") == 200


def _connect_errors(kam, other):
    return sum(1 for line in kam.log().splitlines()
               if "ERROR" in line and f":{other.port}" in line)


def test_a_node_held_down_gets_a_heartbeat_in_ten_then_is_forgotten(pool, mariadb,
                                                                    chat_users, db_url):
    a, b, c = pool
    os.killpg(c.proc.pid, signal.SIGKILL)
    c.proc.wait(5)
    assert wait_until(lambda: node_state(a, c) == "down" and node_state(b, c) == "down", timeout=5)
    errors = _connect_errors(a, c)
    time.sleep(10 * BEAT_MS / 1000 + 0.3)
    # one probe in ten heartbeats (each failed connect logs a few lines);
    # every heartbeat would be 10 connects
    errors = _connect_errors(a, c) - errors
    print(f"error lines about the dead node in 10 heartbeats: {errors}")
    assert errors <= 8, errors
    # down past pool_forget_ms: its slot is free, pchat.pool lists it no more
    assert wait_until(lambda: pool_node(a, c) is None and pool_node(b, c) is None,
                      timeout=FORGET_MS / 1000 + 2), a.rpc("pchat.pool")
    assert f"127.0.0.1:{c.port};transport=tcp is forgotten" in a.log()

    # back on its address: up both ways, and serving
    c2 = Kamailio(c.port, db_url, defines=_defines(a))
    c.cleanup()
    pool[2] = c2
    c2.start()
    assert wait_until(lambda: all_up(pool), timeout=15), [x.rpc("pchat.pool") for x in pool]
    _, guid, _ = make_room(mariadb, privacy="open")
    alice, carol = chat_users(a), chat_users(c2)
    assert alice.join(guid).code == 200
    assert carol.join(guid).code == 200
    assert alice.post(guid, "to the new c").status == 200
    assert carol.wait_message(guid)["text"] == "to the new c"


@pytest.fixture(scope="module")
def small(db_url):
    """x with a table of 3 rooms and an inbox of 1 copy, y with defaults.
    x hands pchat's KDMQ to dmq's worker (PCHAT_POOL_DMQ_WORKER), the path
    with an inbox: its reader gets the copies by the doorbell."""
    x = Kamailio(free_port(), db_url, defines=_defines(
        PCHAT_POOL_MAX_ROOMS=3, PCHAT_POOL_INBOX_SIZE=1, PCHAT_POOL_DMQ_WORKER=1))
    y = Kamailio(free_port(), db_url, defines=_defines(x))
    try:
        x.start()
        y.start()
        assert wait_until(lambda: all_up([x, y]), timeout=15)
        yield x, y
    finally:
        y.cleanup()
        x.cleanup()


def test_past_pool_max_rooms_a_join_is_refused_and_the_node_goes_on(small, mariadb, chat_users):
    x, y = small
    guids = [make_room(mariadb, privacy="open")[1] for _ in range(5)]
    u, v = chat_users(x), chat_users(y)
    for g in guids[:3]:
        assert u.join(g).code == 200
    # a fourth room would be the table's fourth: refused, logged
    rep = u.join(guids[3])
    assert rep.code == 503, rep
    assert "the pool table is full (pool_max_rooms): a join refused" in x.log()
    # a room of another node that does not fit: left out, logged
    assert v.join(guids[4]).code == 200
    assert wait_until(lambda: "of a node left out" in x.log(), timeout=5)
    # x goes on: posts cross both ways in a room it holds
    assert v.join(guids[0]).code == 200
    assert u.post(guids[0], "still serving").status == 200
    for w in (u, v):
        assert w.wait_message(guids[0])["text"] == "still serving"
    assert v.post(guids[0], "back").status == 200
    for w in (u, v):
        assert w.wait_message(guids[0])["text"] == "back"
    # a room freed here can be joined
    assert u.part(guids[1]).code == 200
    assert u.join(guids[3]).code == 200


def test_past_pool_inbox_size_a_copy_is_refused_and_the_node_goes_on(small, mariadb,
                                                                    chat_users):
    x, y = small
    # the rooms of the test before have left x's small table
    assert wait_until(lambda: status_int(x, "pool_remote_rooms") == 0
                      and pool_nodes(x)[0]["rooms"] == "0", timeout=5)
    _, guid, _ = make_room(mariadb, privacy="open")
    member = chat_users(x)
    posters = [chat_users(y) for _ in range(6)]
    assert member.join(guid).code == 200
    for p in posters:
        assert p.join(guid).code == 200
    assert wait_until(lambda: node_rooms(y, x) >= 1, timeout=5)
    refused = status_int(x, "pool_refused")
    # copies faster than x's one reader of an inbox of 1 empties it: the
    # posters post at once, in rounds, until one is refused (503 to y); 50
    # posts at most per poster, within its max_infos_burst (100)
    def burst(p):
        return [p.post(guid, f"burst {i}").status for i in range(10)]

    with ThreadPoolExecutor(len(posters)) as ex:
        for _ in range(5):
            assert all(st == 200 for sts in ex.map(burst, posters) for st in sts)
            if "pool inbox full (pool_inbox_size)" in x.log():
                break
    assert "pool inbox full (pool_inbox_size)" in x.log()
    assert status_int(x, "pool_refused") > refused
    assert status_int(x, "pool_copies_queued") > 0
    assert wait_until(lambda: "refused a message: 503" in y.log(), timeout=5)
    # x goes on: the next post reaches its member
    time.sleep(1)
    assert posters[0].post(guid, "after the burst").status == 200
    assert wait_until(lambda: _find_text(member, guid, "after the burst"), timeout=10)


def _find_text(user, guid, text):
    """Reads user's messages until text (earlier ones are skipped)."""
    try:
        while True:
            if user.wait_message(guid, timeout=2)["text"] == text:
                return True
    except Exception:
        return False
