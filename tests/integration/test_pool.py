"""A pool of chat nodes over Kamailio DMQ (issue 14, point 1): two standalone
nodes (-A WITH_DMQ) on one database; users signed in to different nodes
share a room. A post crosses once to the other node, which hands it to its
own members, in order; join and part notices cross; a node's rooms leave
the other's table when its participants part; hostile pool messages are
refused and logged."""

import threading
import time

import pytest

from chat import make_room, wait_until
from kamailio import Kamailio
from mariadb import free_port
from sipclient import find
from pool import kdmq, running_pool, status_int


@pytest.fixture(scope="module")
def nodes(db_url):
    """Node a (the pool's first) and node b (seeded with a)."""
    with running_pool(db_url, count=2) as both:
        yield both


def test_posts_and_notices_cross_nodes_once_in_order(nodes, mariadb, chat_users):
    a, b = nodes
    _, guid, _ = make_room(mariadb, privacy="open")
    alice, bob, carol = chat_users(a), chat_users(b), chat_users(b)
    assert alice.join(guid).code == 200
    # a's participants are known on b before b's members join
    assert wait_until(lambda: status_int(b, "pool_remote_rooms") == 1, timeout=5)
    assert bob.join(guid).code == 200
    ntc = alice.wait_notice("join")  # crossed b -> a
    assert find(ntc, "data/uib").get("uri") == bob.uri
    assert wait_until(lambda: status_int(a, "pool_remote_rooms") == 1, timeout=5)
    assert carol.join(guid).code == 200
    assert find(alice.wait_notice("join"), "data/uib").get("uri") == carol.uri
    assert find(bob.wait_notice("join"), "data/uib").get("uri") == carol.uri

    sent = status_int(a, "pool_copies_sent")
    texts = [f"post {i}" for i in range(8)]
    for t in texts:
        assert alice.post(guid, t).status == 200
    for u in (alice, bob, carol):
        got = [u.wait_message(guid) for _ in texts]
        assert [m["text"] for m in got] == texts, u.uri
        ids = [m["msgid"] for m in got]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        assert all(m["author"] == alice.uri for m in got)
    for u in (bob, carol):  # exactly once
        u.expect_no_message(guid)
    # once per node with members, not once per member
    assert status_int(a, "pool_copies_sent") - sent == len(texts)

    assert bob.post(guid, "from b").status == 200
    for u in (alice, bob, carol):
        assert u.wait_message(guid)["text"] == "from b"

    # b's participants leave: a hears the parts, then b's rooms leave a's table
    assert carol.part(guid).code == 200
    ntc = alice.wait_notice("part")
    assert find(ntc, "data/chanib/uib").get("uri") == carol.uri
    assert status_int(a, "pool_remote_rooms") == 1
    bob.close()  # a session end parts too
    assert wait_until(lambda: status_int(a, "pool_remote_rooms") == 0, timeout=5)
    assert alice.post(guid, "alone").status == 200
    assert alice.wait_message(guid)["text"] == "alone"


def test_copies_are_delivered_by_the_reader_that_reads_them(nodes, mariadb, chat_users):
    """The cfg hands pchat's KDMQ to dmq_process_message(): the TCP reader
    that read a copy delivers it, in order, without queueing it for a dmq
    worker's doorbell (pool_copies_queued stays 0); the reply still goes."""
    a, b = nodes
    _, guid, _ = make_room(mariadb, privacy="open")
    alice, bob = chat_users(a), chat_users(b)
    before = status_int(b, "pool_remote_rooms")
    assert alice.join(guid).code == 200
    assert wait_until(lambda: status_int(b, "pool_remote_rooms") > before, timeout=5)
    assert bob.join(guid).code == 200
    assert find(alice.wait_notice("join"), "data/uib").get("uri") == bob.uri
    received, queued = status_int(b, "pool_copies_received"), status_int(b, "pool_copies_queued")
    refused = status_int(a, "pool_refused")
    texts = [f"direct {i}" for i in range(20)]
    for t in texts:
        assert alice.post(guid, t).status == 200
    assert [bob.wait_message(guid)["text"] for _ in texts] == texts
    bob.expect_no_message(guid)
    assert status_int(b, "pool_copies_received") - received == len(texts)
    assert status_int(b, "pool_copies_queued") == queued == 0
    # every copy was answered 200: a's transactions end, nothing refused
    assert status_int(a, "pool_refused") == refused
    log = open(a.logfile, errors="replace").read()
    assert "cannot reach pool node" not in log


def test_hostile_pool_messages_are_refused_and_logged(nodes, mariadb, chat_users):
    a, b = nodes
    # nobody on a: b's table holds none of a's rooms
    assert wait_until(lambda: status_int(b, "pool_remote_rooms") == 0, timeout=5)
    refused = status_int(b, "pool_refused")
    # not a node of the pool
    assert kdmq(b, free_port(), b"PCHAT1 COUNT\n1 1\n") == 403
    # from a's address, but malformed: rooms not canonical, unknown verbs,
    # a copy that is no XCCOS envelope
    for body in (b"PCHAT1 COUNT\n01 1\n", b"PCHAT1 COUNT\n-1 1\n", b"PCHAT1 COUNT\n1 1",
                 b"PCHAT1 COUNT\nx 1\n", b"PCHAT1 COUNT\n99999999999999999999 1\n",
                 b"PCHAT1 KICK 1\n", b"HELLO", b"PCHAT1 ROOMS RESET - END\n1 1\n02 1\n",
                 b"PCHAT1 DLV 1 0\nnot xml at all, really",
                 b"PCHAT1 DLV 1\n<xccos xmlns=\"urn:parlano:xml:ns:xccos\"/>",
                 b"PCHAT1 DLV 1 01\n<xccos xmlns=\"urn:parlano:xml:ns:xccos\"/>"):
        assert kdmq(b, a.port, body) == 400, body
    # a copy for a room nobody on b is in
    assert kdmq(b, a.port, b"PCHAT1 DLV 987654 3\n<xccos xmlns=\"urn:parlano:xml:ns:xccos\"/>") == 404
    assert status_int(b, "pool_refused") - refused == 13
    # a refused list is not taken in part
    assert status_int(b, "pool_remote_rooms") == 0
    log = open(b.logfile, errors="replace").read()
    assert "not a known pool node" in log and "malformed pool message" in log


def test_posts_from_both_nodes_reach_everyone_in_sequence(nodes, mariadb, chat_users):
    """Authors on both nodes post into one room at once: every member, on
    either node, gets every post once, in the room's sequence order."""
    a, b = nodes
    _, guid, _ = make_room(mariadb, privacy="open")
    alice, bob = chat_users(a), chat_users(b)
    before = status_int(b, "pool_remote_rooms")
    assert alice.join(guid).code == 200
    wait_until(lambda: status_int(b, "pool_remote_rooms") > before, timeout=5)
    assert bob.join(guid).code == 200
    # b sends its notice to a only once it knows of a's participant, and
    # sent its own ON before it over the same connection
    assert find(alice.wait_notice("join"), "data/uib").get("uri") == bob.uri
    n = 15
    posters = [threading.Thread(target=lambda u=u: [u.post(guid, f"{u.user} {i}")
                                                    for i in range(n)])
               for u in (alice, bob)]
    for t in posters:
        t.start()
    for t in posters:
        t.join()
    for u in (alice, bob):
        ids = [u.wait_message(guid)["msgid"] for _ in range(2 * n)]
        assert ids == sorted(ids) and len(set(ids)) == 2 * n, (u.uri, ids)


def test_a_copy_waits_for_a_missing_post_then_goes_on(nodes, mariadb, chat_users):
    """A copy numbered past a gap is held for the posts before it, then
    delivered (the core timer's bell) when they do not come."""
    a, b = nodes
    _, guid, _ = make_room(mariadb, privacy="open")
    alice, bob = chat_users(a), chat_users(b)
    assert alice.join(guid).code == 200
    assert bob.join(guid).code == 200
    assert find(alice.wait_notice("join"), "data/uib").get("uri") == bob.uri
    assert alice.post(guid, "first").status == 200
    first = bob.wait_message(guid)
    room_id = mariadb.sql(f"SELECT id FROM pchat_node WHERE guid = '{guid}'",
                          db="pchat")[0][0]
    env = (f'<xccos xmlns="urn:parlano:xml:ns:xccos" ver="1" envid="1">'
           f'<grpchat id="grpchat" seqid="1" chanUri="{bob.room_uri(guid)}" '
           f'author="{alice.uri}" ts="2026-01-01T00:00:00Z" msgid="{first["msgid"] + 3}">'
           f'<chat>after a gap</chat></grpchat></xccos>')
    t0 = time.monotonic()
    body = f"PCHAT1 DLV {room_id} {first['msgid'] + 3}\n{env}".encode()
    assert kdmq(b, a.port, body) == 200
    msg = bob.wait_message(guid, timeout=5)
    assert msg["text"] == "after a gap" and time.monotonic() - t0 >= 0.4
    # the next post of the room goes out at once after it
    assert alice.post(guid, "next").status == 200
    assert bob.wait_message(guid, timeout=2)["text"] == "next"


def test_a_node_joining_the_pool_learns_the_rooms_of_the_others(
        nodes, mariadb, chat_users, db_url):
    a, b = nodes
    _, guid, _ = make_room(mariadb, privacy="open")
    alice = chat_users(a)
    assert alice.join(guid).code == 200
    c = Kamailio(free_port(), db_url, defines={
        "WITH_DMQ": "1", "PCHAT_DMQ_SEED": f"127.0.0.1:{b.port}"})
    try:
        c.start()
        # its list and theirs cross at once: no join needed
        assert wait_until(lambda: status_int(c, "pool_remote_rooms") >= 1, timeout=10)
        carol = chat_users(c)
        assert carol.join(guid).code == 200
        assert find(alice.wait_notice("join"), "data/uib").get("uri") == carol.uri
        assert alice.post(guid, "to three").status == 200
        assert carol.wait_message(guid)["text"] == "to three"
        assert alice.wait_message(guid)["text"] == "to three"
        bob = chat_users(b)
        assert bob.join(guid).code == 200
        # b's ON went before its join notice, over the same connection
        for u in (alice, carol):
            assert find(u.wait_notice("join"), "data/uib").get("uri") == bob.uri
        # authors on all three nodes at once: everyone gets every post once,
        # in the room's order
        n = 8
        posters = [threading.Thread(target=lambda u=u: [u.post(guid, f"{u.user} {i}")
                                                        for i in range(n)])
                   for u in (alice, bob, carol)]
        for t in posters:
            t.start()
        for t in posters:
            t.join()
        for u in (alice, bob, carol):
            ids = [u.wait_message(guid)["msgid"] for _ in range(3 * n)]
            assert ids == sorted(ids) and len(set(ids)) == 3 * n, (u.uri, ids)
        for u in (alice, bob, carol):
            u.expect_no_message(guid)
        carol.close()
    finally:
        c.cleanup()


def test_random_pool_messages_are_refused_and_the_node_goes_on(nodes, chat_users, mariadb):
    import random
    a, b = nodes
    rnd = random.Random(14)
    words = [b"PCHAT1 ", b"COUNT\n", b"SYNC\n", b"ROOMS ", b"RESET ", b"ADD ", b"HELLO",
             b"-", b"END\n", b"MORE\n",
             b"DLV ", b"0", b"1", b"9", b"\n", b" ", b"<xccos", b"<?xml", b"\x00", b"\xff"]
    for _ in range(150):
        body = b"".join(rnd.choice(words) for _ in range(rnd.randint(0, 12)))
        if rnd.random() < 0.3:
            body += bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 64)))
        assert kdmq(b, a.port, body) in (200, 400, 404), body
    # b still serves its users and the pool
    _, guid, _ = make_room(mariadb, privacy="open")
    alice, bob = chat_users(a), chat_users(b)
    assert alice.join(guid).code == 200
    assert bob.join(guid).code == 200
    assert find(alice.wait_notice("join"), "data/uib").get("uri") == bob.uri
    assert alice.post(guid, "still here").status == 200
    assert bob.wait_message(guid)["text"] == "still here"
