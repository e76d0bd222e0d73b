# pchat - Persistent Chat (XCCOS) service for Kamailio
# Copyright (C) 2026 pchat developers; GPL-2.0-or-later, like the C files.
"""Disaster recovery (issue 14, the runbook's DR site): an asynchronous
replica (tools/pchat-dr) follows a 3-node Galera cluster while a chat node
takes posts; the whole cluster is killed with -9, the replica is promoted
with the runbook's command, and a chat node on it serves the history and
continues every room's sequence. And the front-end's Digest
authentication (WITH_AUTH, auth_db through cfg/pchat-auth-db.inc) goes on
when the Galera node it reads from dies.

The books are the fault tests' (tests/lib/posting.py). What the replica
had not received when the cluster died is lost on the DR site (the RPO of
asynchronous replication): the test counts it and checks that what is
there is a consistent cut (per poster, a prefix of its acknowledged posts).
"""

import os
import statistics
import subprocess
import threading
import time

import pytest

from chat import ChatUser, make_room, set_policy, unique, wait_until
from galera import DRReplica, running_cluster
from kamailio import TOP, Kamailio
from mariadb import free_port
from posting import LOAD, Poster, assert_history, check_history, rooms_with_posters, \
    stored_posts
from signin import connect, open_chat, pool_uri, post_and_receive, sign_in
from sipclient import findall

ROOMS, PER_ROOM = 4, 2
ACKED = 1000           # posts acknowledged (and replicated) before the disaster
ACKED_AROUND_REPOINT = 200  # before and after the replica's source is killed
ACKED_IN_DISASTER = 100  # more, posting on while the cluster is killed
AFTER = 10             # posts per room on the DR site


@pytest.fixture
def site():
    """A Galera cluster and its DR replica, seeded and replicating from node 1."""
    with running_cluster("pchat-dr-") as (cluster, _):
        dr = DRReplica(cluster)
        try:
            dr.start()
            yield cluster, dr
        finally:
            dr.stop()


@pytest.fixture
def cluster():
    with running_cluster("pchat-dr-") as (c, _):
        yield c


class LagProbe(threading.Thread):
    """Samples the replica's lag behind its source while the load runs."""

    def __init__(self, dr, source):
        super().__init__(daemon=True)
        self.dr, self.source = dr, source
        self.samples = []       # (transactions behind, seconds to catch up)
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            self.samples.append(self.dr.delay_probe(self.source))
            time.sleep(0.05)

    def report(self, posts_per_s):
        self.stopping.set()
        self.join(60)
        behind = [b for b, _ in self.samples]
        delay = [d * 1000 for _, d in self.samples]
        print(f"\nreplica lag under load ({posts_per_s:.0f} acknowledged posts/s, "
              f"{len(self.samples)} samples; 2 shared cores, noisy): transactions behind "
              f"(at most) median {statistics.median(behind):.0f} max {max(behind)}; time to apply what "
              f"the source had logged median {statistics.median(delay):.0f} ms "
              f"max {max(delay):.0f} ms (client start included)")


def run_posters(posters, until, timeout=60):
    for p in posters:
        p.start()
    assert wait_until(until, timeout=timeout, step=0.02), "the posts were not acknowledged"


def next_posters(posters):
    """The same clients, numbering on where they stopped."""
    return [Poster(p.user, p.guid, first=p.next_n) for p in posters]


def stop_posters(posters):
    for p in posters:
        p.stop()


def acked(posters):
    return sum(len(p.acked) for p in posters)


def pchat_account_writes(dr):
    """An INSERT as the chat nodes' account (over TCP, as a chat node): the error, or None."""
    result = subprocess.run(
        ["mariadb", "--no-defaults", "-h127.0.0.1", f"-P{dr.port}", "-upchat", "-ppchat",
         "pchat", "-e", "INSERT INTO pchat_config (name, value) VALUES ('dr-probe', '1');"
         "DELETE FROM pchat_config WHERE name = 'dr-probe'"],
        capture_output=True, text=True, timeout=30)
    return result.stderr.strip() if result.returncode else None


def books(posters):
    """acked and attempted per user, as check_history() takes them."""
    ack, tried = {}, {}
    for p in posters:
        ack.setdefault(p.user.user, []).extend(p.acked)
        tried.setdefault(p.user.user, set()).update(
            p.acked + [n for n, *_ in p.refused] + [n for n, _ in p.lost])
    return ack, tried


def assert_consistent_cut(dr, ids, phases):
    """What the promoted replica holds: no post twice, none unknown, each
    poster's in order; every post acknowledged before the disaster's phase
    is there, and of the posts acknowledged during it, each poster's found
    ones are a prefix of its acknowledged ones. Returns the lost ones."""
    everyone = [p for phase in phases for p in phase]
    ack, tried = books(everyone)
    problems, counts = check_history(ack, tried, stored_posts(dr.db, ids))
    assert not any(problems[k] for k in ("duplicates", "unknown", "disorder", "rooms")), \
        {k: v[:10] for k, v in problems.items() if v}
    missing = set(problems["missing"])
    before = [f"{p.user.user} {n}" for p in phases[0] for n in p.acked]
    assert not missing & set(before), sorted(missing & set(before))[:10]
    for p in phases[1]:
        found = [f"{p.user.user} {n}" not in missing for n in p.acked]
        assert found == sorted(found, reverse=True), \
            f"{p.user.user}: a post lost on the DR site before one that is there"
    return len(missing), counts


def assert_contiguous(dr, ids):
    """Each room's sequence on the DR site: 1..max, no gap, no repeat."""
    tops = {}
    for rid in ids:
        seqs = [int(s) for (s,) in dr.sql(
            f"SELECT seq FROM pchat_message WHERE room_id = {rid} ORDER BY seq", db="pchat")]
        assert seqs == list(range(1, len(seqs) + 1)), f"room {rid}: {seqs[:5]}...{seqs[-5:]}"
        tops[rid] = len(seqs)
    return tops


def test_promoted_replica_serves_the_history_and_continues_the_rooms(site, kamailio_factory):
    """The runbook's DR steps on real processes (see the module's doc)."""
    cluster, dr = site
    # the chat node writes through Galera node 2; the replica follows node 1
    kam = kamailio_factory(db=cluster.url(2), defines={
        **LOAD,
        "PCHAT_DB_FAILOVER_URL": f'"{cluster.url(3)}"',
        "PCHAT_DB_FAILOVER_URL2": f'"{cluster.url(1)}"'})
    ids, guids, users = rooms_with_posters(kam, cluster.node(2), ROOMS, PER_ROOM)
    first = [Poster(u, g) for room, g in zip(users, guids) for u in room]

    # 1. load; every acknowledged post reaches the replica
    probe = LagProbe(dr, source=1)
    probe.start()
    started = time.monotonic()
    run_posters(first, lambda: acked(first) >= ACKED)
    stop_posters(first)
    probe.report(acked(first) / (time.monotonic() - started))
    dr.wait_caught_up()
    assert stored_posts(dr.db, ids) == stored_posts(cluster.node(2), ids)
    assert_history(dr.db, ids, first, "replica caught up")
    refused = pchat_account_writes(dr)
    assert refused and "read-only" in refused, refused
    # the DR site's stand-by chat node, already running on the replica:
    # history reads work, posts get 503 until the promotion
    kam_dr = kamailio_factory(db=dr.url(), defines=LOAD)
    standby = ChatUser(kam_dr, unique("standby"))
    assert standby.join(guids[0]).code == 200
    assert standby.history(guids[0]).code == 200
    resp = standby.post(guids[0], "before the promotion")
    assert resp.status == 503 and resp.header("Retry-After"), resp.status

    # 2. the replica's source (Galera node 1) dies under load: the replica
    # follows node 3 from where it was (the GTIDs are the cluster's)
    moved = next_posters(first)
    run_posters(moved, lambda: acked(moved) >= ACKED_AROUND_REPOINT)
    cluster.kill9(1)
    print("\n" + dr.tool("repoint", "3").strip())
    assert wait_until(lambda: acked(moved) >= 2 * ACKED_AROUND_REPOINT, timeout=60, step=0.05)
    stop_posters(moved)
    dr.wait_caught_up()
    assert "source 127.0.0.1:%d" % cluster.node(3).port in dr.tool("status")
    assert stored_posts(dr.db, ids) == stored_posts(cluster.node(2), ids)
    assert_history(dr.db, ids, first + moved, "replica repointed to node 3")

    # 3. disaster: the rest of the cluster is killed while the posters post on
    last = next_posters(moved)
    run_posters(last, lambda: acked(last) >= ACKED_IN_DISASTER)
    for n in (2, 3):
        cluster.kill9(n)
    time.sleep(0.5)
    stop_posters(last)
    for room in users:
        for u in room:
            u.close()
    kam.stop()

    # 4. promotion (the runbook's command), then a chat node on the DR site
    print("\n" + dr.promote().strip())
    lost, counts = assert_consistent_cut(dr, ids, [first + moved, last])
    print(f"DR site after the disaster: {counts['stored']} posts, acknowledged "
          f"{acked(first + moved + last)}, acknowledged but lost (not yet replicated "
          f"when the cluster died: the RPO) {lost}")
    assert pchat_account_writes(dr) is None
    tops = assert_contiguous(dr, ids)

    # the stand-by node takes posts now, without a restart
    assert standby.post(guids[0], f"{standby.user} 0").status == 200
    assert standby.wait_message(guids[0])["msgid"] == tops[ids[0]] + 1
    standby.close()
    tops[ids[0]] += 1
    for rid, guid in zip(ids, guids):
        reader = ChatUser(kam_dr, unique("dr"))
        assert reader.join(guid).code == 200
        hist = reader.history(guid, '<last cnt="10"/>')
        assert hist.code == 200
        got = [(int(m.get("msgid")), m.find("{urn:parlano:xml:ns:xccos}chat").text)
               for m in findall(hist.data, "chanib/msg")]
        want = [(s, c) for r, s, c in stored_posts(dr.db, [rid])][-10:]
        assert got == want
        for i in range(AFTER):
            assert reader.post(guid, f"{reader.user} {i}").status == 200
        assert [reader.wait_message(guid)["msgid"] for _ in range(AFTER)] == \
            list(range(tops[rid] + 1, tops[rid] + AFTER + 1))
        reader.close()
    after = assert_contiguous(dr, ids)
    assert after == {rid: top + AFTER for rid, top in tops.items()}


def galera_urls(cluster, first, *others):
    """db_url defines: node ``first``, then the others to fail over to."""
    defines = {"PCHAT_DB_FAILOVER_URL": f'"{cluster.url(others[0])}"'}
    if len(others) > 1:
        defines["PCHAT_DB_FAILOVER_URL2"] = f'"{cluster.url(others[1])}"'
    return cluster.url(first), defines


def test_front_end_authenticates_on_when_its_galera_node_dies(cluster):
    """A front-end with WITH_AUTH reads the subscriber table from Galera
    node 1, then 2 and 3 (db_cluster, serial); node 1 is killed with -9:
    users still sign in with their password (407, then 200), a wrong
    password is still refused, and they chat through the node."""
    cluster.node(1).load_file(os.path.join(TOP, "sql", "pchat-frontend.sql"), "pchat")
    names = [unique("auth") for _ in range(3)]
    cluster.sql(1, "INSERT INTO subscriber (username, domain, password) VALUES " + ",".join(
        f"('{n}', 'example.com', 'pw-{n}')" for n in names), db="pchat")
    set_policy(cluster.node(1), "global", "", True)
    _, guid, _ = make_room(cluster.node(1))
    node_url, node_defines = galera_urls(cluster, 2, 3)
    node = Kamailio(free_port(), node_url, cfg="cfg/pchat-node.cfg",
                    defines={"PCHAT_FRONTENDS": '"127.0.0.1/32"', **node_defines})
    fe_url, fe_defines = galera_urls(cluster, 1, 2, 3)
    fe = Kamailio(free_port(), fe_url, cfg="cfg/pchat-frontend.cfg",
                  defines={"WITH_AUTH": "1", **fe_defines})
    ds_list = os.path.join(fe.rundir, "dispatcher.list")
    with open(ds_list, "w") as f:
        f.write(f"1 sip:127.0.0.1:{node.port};transport=tcp\n")
    fe.defines["PCHAT_DISPATCHER_LIST"] = f'"{ds_list}"'
    try:
        node.start()
        fe.start()
        with connect(fe.port, names[0]) as a:
            sign_in(a, password=f"pw-{names[0]}")
            assert [c.status for c in a.challenges] == [407]
        cluster.kill9(1)
        with connect(fe.port, unique("auth")) as stranger:
            assert stranger.register(password="nope").status == 407
        users = []
        for name in names[1:]:
            client = connect(fe.port, name)
            props = sign_in(client, password=f"pw-{name}")
            assert [c.status for c in client.challenges] == [407]
            users.append((client, open_chat(client, pool_uri(props, client))))
        post_and_receive(users, guid, fe.domain)
        for client, _ in users:
            client.close()
        # node 1's connection is left aside for PCHAT_AUTH_DB_RETRY (30 s)
        listed = fe.rpc("dbcl.list_connections", "pchat_auth").split("}")
        first = [c for c in listed if "connection: pchat_auth1" in c]
        assert first and "state: disabled" in first[0], listed
    finally:
        fe.cleanup()
        node.cleanup()
