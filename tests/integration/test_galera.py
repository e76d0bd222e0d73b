"""pchat over a 3-node MariaDB Galera cluster (issue 14, the database part):
the cluster replicates, and a chat node whose Galera node is killed with -9
mid-load fails over to another (db_url given once per node) without losing
or duplicating an acknowledged post.

The books are the fault tests' (tests/lib/posting.py): every post answered
200 must be stored exactly once, in its poster's order.
"""

import time

import pytest

from chat import ChatUser, make_room, unique, wait_until
from galera import running_cluster
from posting import LOAD, Poster, assert_history, rooms_with_posters

ACKED_BEFORE = 300      # posts acknowledged before the kill
ACKED_AFTER = 300       # and after it, on the surviving nodes
FAILOVER_BOUND = 10.0   # s: the longest pause between two 200s around the kill


@pytest.fixture(scope="module")
def cluster():
    with running_cluster() as (c, _):
        yield c


def test_cluster_replicates(cluster):
    """A room created on node 1 is read on node 3; all three are Synced."""
    assert [cluster.state(n) for n in (1, 2, 3)] == ["Synced"] * 3
    assert cluster.cluster_size(1) == 3
    rid, guid, name = make_room(cluster.node(1))
    assert cluster.sql(3, f"SELECT guid, name FROM pchat_node WHERE id = {rid}",
                       db="pchat") == [(guid, name)]


def failover_kamailio(cluster, kamailio_factory):
    """A chat node on Galera node 1, with nodes 2 and 3 to fail over to."""
    return kamailio_factory(db=cluster.url(1), defines={
        **LOAD,
        "PCHAT_DB_FAILOVER_URL": f'"{cluster.url(2)}"',
        "PCHAT_DB_FAILOVER_URL2": f'"{cluster.url(3)}"'})


def failed_over(kam):
    with open(kam.logfile, errors="replace") as log:
        return "trying the next db_url first" in log.read()


def post_through(kam, cluster, fault):
    """6 posters (3 rooms of 2, closed loop) post until 300 posts are
    acknowledged, fault() happens, and they post until 300 more are.
    Returns (room ids, posters, the longest pause between two 200s around
    the fault, in s)."""
    ids, guids, users = rooms_with_posters(kam, cluster.node(2), n_rooms=3, per_room=2)
    posters = [Poster(u, guid) for room, guid in zip(users, guids) for u in room]
    acked = lambda: sum(len(p.acked) for p in posters)  # noqa: E731
    for p in posters:
        p.start()
    try:
        assert wait_until(lambda: acked() >= ACKED_BEFORE, timeout=30, step=0.02)
        fault_at = time.monotonic()
        fault()
        before = acked()
        assert wait_until(lambda: acked() >= before + ACKED_AFTER, timeout=30, step=0.02), \
            "posting did not resume after the fault"
    finally:
        for p in posters:
            p.stop()
        for room in users:
            for u in room:
                u.close()
    times = sorted(t for p in posters for t in p.acked_at)
    times = [t for t in times if t >= max(t for t in times if t < fault_at)]
    pause = max(b - a for a, b in zip(times, times[1:]))
    refused = [r for p in posters for r in p.refused]
    print(f"\nlongest pause between 200s {pause:.2f}s, {len(refused)} posts answered "
          f"503 meanwhile, {sum(len(p.lost) for p in posters)} without an answer")
    assert all(status == 503 and retry for _, status, retry in refused), \
        [r for r in refused if r[1] != 503 or not r[2]][:5]
    return ids, posters, pause


def test_isolated_galera_node_is_left_for_another(cluster, kamailio_factory):
    """Node 1 is cut off from the others (gmcast.isolate): it stays up but
    leaves the primary component: a COMMIT in flight fails with 1180 though
    the others may have applied it (answered 503, never retried), then
    every statement with 1047. The chat node moves to node 2 or 3; every
    200 is stored once, in order, and no post twice."""
    kam = failover_kamailio(cluster, kamailio_factory)
    try:
        ids, posters, pause = post_through(kam, cluster, lambda: cluster.sql(
            1, "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=1'"))
        assert cluster.state(1) != "Synced" and cluster.cluster_size(2) == 2
    finally:
        cluster.sql(1, "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'")
        cluster.wait_synced(1)
    assert pause < FAILOVER_BOUND
    assert failed_over(kam)
    assert_history(cluster.node(2), ids, posters, "node 1 isolated")


def test_kill9_galera_node_under_load_fails_over(cluster, kamailio_factory):
    """6 posters (3 rooms of 2, closed loop) on a chat node pointed at node 1
    with nodes 2 and 3 to fail over to; node 1 is killed with -9 once 300
    posts are acknowledged. Posting goes on (503 with Retry-After allowed
    during the switch) until 300 more are; every 200 is stored once, in
    order, as read from a survivor."""
    kam = failover_kamailio(cluster, kamailio_factory)
    ids, posters, pause = post_through(kam, cluster, lambda: cluster.kill9(1))
    assert pause < FAILOVER_BOUND
    assert_history(cluster.node(2), ids, posters, "kill -9 of Galera node 1")
    assert cluster.cluster_size(2) == 2
    assert failed_over(kam)
    # node 1 comes back (state transfer from a survivor) with the same history
    cluster.rejoin(1)
    count = f"SELECT COUNT(*) FROM pchat_message WHERE room_id IN ({','.join(map(str, ids))})"
    assert cluster.sql(1, count, db="pchat") == cluster.sql(2, count, db="pchat")


def test_two_chat_nodes_on_two_galera_nodes_post_in_one_room(cluster, kamailio_factory):
    """Two chat nodes, one on Galera node 2 and one on node 3, post into the
    same room (its sequence row is written on both): Galera refuses one
    side's COMMIT on a certification conflict (1213). Such posts are
    retried post by post or answered 503, never 500; every 200 is stored
    once, in order."""
    kams = [kamailio_factory(db=cluster.url(n), defines=LOAD) for n in (2, 3)]
    rid, guid, _ = make_room(cluster.node(2))
    users = []
    for kam in kams:
        for _ in range(3):
            u = ChatUser(kam, unique("p"))
            assert u.join(guid).code == 200
            users.append(u)
    posters = [Poster(u, guid) for u in users]
    for p in posters:
        p.start()
    try:
        assert wait_until(lambda: sum(len(p.acked) for p in posters) >= 2 * ACKED_AFTER
                          and all(len(p.acked) >= 10 for p in posters), timeout=30, step=0.05)
    finally:
        for p in posters:
            p.stop()
        for u in users:
            u.close()
    conflicts = 0
    for kam in kams:
        with open(kam.logfile, errors="replace") as log:
            conflicts += log.read().count("Deadlock")
    refused = [r for p in posters for r in p.refused]
    print(f"\ntwo chat nodes, one room: {conflicts} COMMITs refused on a conflict, "
          f"{len(refused)} posts answered 503")
    assert all(status == 503 and retry for _, status, retry in refused), \
        [r for r in refused if r[1] != 503 or not r[2]][:5]
    assert_history(cluster.node(3), [int(rid)], posters, "two chat nodes, one room")
