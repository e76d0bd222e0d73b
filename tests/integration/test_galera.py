"""pchat over a 3-node MariaDB Galera cluster (issue 14, the database part):
the cluster replicates, and a chat node whose Galera node is killed with -9
mid-load fails over to another (db_url given once per node) without losing
or duplicating an acknowledged post.

The books are the fault tests' (tests/lib/posting.py): every post answered
200 must be stored exactly once, in its poster's order.
"""

import shutil
import tempfile
import time

import pytest

from chat import make_room, wait_until
from galera import GaleraCluster
from posting import LOAD, Poster, assert_history, rooms_with_posters

ACKED_BEFORE = 300      # posts acknowledged before the kill
ACKED_AFTER = 300       # and after it, on the surviving nodes
FAILOVER_BOUND = 10.0   # s: the longest pause between two 200s around the kill


@pytest.fixture(scope="module")
def cluster():
    base = tempfile.mkdtemp(prefix="pchat-galera-", dir="/tmp")
    c = GaleraCluster(base)
    try:
        c.start()
        yield c
    finally:
        c.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_cluster_replicates(cluster):
    """A room created on node 1 is read on node 3; all three are Synced."""
    assert [cluster.state(n) for n in (1, 2, 3)] == ["Synced"] * 3
    assert cluster.cluster_size(1) == 3
    rid, guid, name = make_room(cluster.node(1))
    assert cluster.sql(3, f"SELECT guid, name FROM pchat_node WHERE id = {rid}",
                       db="pchat") == [(guid, name)]


def test_kill9_galera_node_under_load_fails_over(cluster, kamailio_factory):
    """6 posters (3 rooms of 2, closed loop) on a chat node pointed at node 1
    with nodes 2 and 3 to fail over to; node 1 is killed with -9 once 300
    posts are acknowledged. Posting goes on (503 with Retry-After allowed
    during the switch) until 300 more are; every 200 is stored once, in
    order, as read from a survivor."""
    kam = kamailio_factory(db=cluster.url(1), defines={
        **LOAD,
        "PCHAT_DB_FAILOVER_URL": f'"{cluster.url(2)}"',
        "PCHAT_DB_FAILOVER_URL2": f'"{cluster.url(3)}"'})
    ids, guids, users = rooms_with_posters(kam, cluster.node(1), n_rooms=3, per_room=2)
    posters = [Poster(u, guid) for room, guid in zip(users, guids) for u in room]
    acked = lambda: sum(len(p.acked) for p in posters)  # noqa: E731
    for p in posters:
        p.start()
    try:
        assert wait_until(lambda: acked() >= ACKED_BEFORE, timeout=30, step=0.02)
        killed_at = time.monotonic()
        cluster.kill9(1)
        before = acked()
        assert wait_until(lambda: acked() >= before + ACKED_AFTER, timeout=30, step=0.02), \
            "posting did not resume after the kill"
    finally:
        for p in posters:
            p.stop()
    for room in users:
        for u in room:
            u.close()
    # the service's pause: the longest wait between two 200s (any poster)
    # from the last one before the kill on
    times = sorted(t for p in posters for t in p.acked_at)
    times = [t for t in times if t >= max(t for t in times if t < killed_at)]
    pause = max(b - a for a, b in zip(times, times[1:]))
    refused = [r for p in posters for r in p.refused]
    print(f"\nkill -9 of Galera node 1: longest pause between 200s {pause:.2f}s, "
          f"{len(refused)} posts answered 503 meanwhile, "
          f"{sum(len(p.lost) for p in posters)} without an answer")
    assert pause < FAILOVER_BOUND
    assert all(status == 503 and retry for _, status, retry in refused), refused[:5]
    assert_history(cluster.node(2), ids, posters, "kill -9 of Galera node 1")
    assert cluster.cluster_size(2) == 2
    with open(kam.logfile, errors="replace") as log:
        assert "trying the next db_url first" in log.read()
    # node 1 comes back (state transfer from a survivor) with the same history
    cluster.rejoin(1)
    count = f"SELECT COUNT(*) FROM pchat_message WHERE room_id IN ({','.join(map(str, ids))})"
    assert cluster.sql(1, count, db="pchat") == cluster.sql(2, count, db="pchat")
