# pchat - Persistent Chat (XCCOS) service for Kamailio
# Copyright (C) 2026 pchat developers; GPL-2.0-or-later, like the C files.
#
"""A pool behind a front-end (issue 14, points 1 and 2): three chat nodes
(cfg/pchat-node.cfg -A WITH_DMQ) on one database behind cfg/pchat-frontend.cfg,
whose dispatcher probes them. Users signed in through the front-end land on
different nodes and chat in one room; one node is killed (kill -9): its
users' requests get 481 at once, they sign in again through the front-end,
land on a live node, rejoin and post; nothing acknowledged is lost."""

import os
import random
import re
import selectors
import signal
import socket
import threading
import time

import pytest

from chat import ChatUser, make_room, unique, wait_until
from kamailio import Kamailio
from mariadb import free_port


def _stat(kam, field):
    return int(re.search(rf"\b{field}: (\d+)", kam.rpc("pchat.status")).group(1))


def _active(fe):
    """The dispatcher's view: node port -> flags (AP active, IP inactive)."""
    out = fe.rpc("dispatcher.list")
    return {int(m.group(1)): m.group(2)
            for m in re.finditer(r"URI: sip:127\.0\.0\.\d+:(\d+);transport=tcp\s+FLAGS: (\w+)", out)}


@pytest.fixture
def pool(db_url):
    """Front-end on 127.0.0.1 (where the clients are), nodes on three other
    loopback addresses: the front-end tells a node from a client by address
    (ds_is_from_list), as on a real network. Free ports on each."""
    nodes = []
    fe = None
    first = random.randrange(2, 250, 3)
    try:
        for i in range(3):
            addr = f"127.0.0.{first + i}"
            defines = {"WITH_DMQ": "1", "PCHAT_FRONTENDS": '"127.0.0.1/32"',
                       "PCHAT_POOL_NODES": '"127.0.0.0/8"'}
            if nodes:
                defines["PCHAT_DMQ_SEED"] = f"{nodes[0].addr}:{nodes[0].port}"
            node = Kamailio(free_port(addr), db_url, cfg="cfg/pchat-node.cfg",
                            defines=defines, addr=addr)
            nodes.append(node)
            node.start()
        fe = Kamailio(free_port(), db_url, cfg="cfg/pchat-frontend.cfg")
        ds_list = os.path.join(fe.rundir, "dispatcher.list")
        with open(ds_list, "w") as f:
            for node in nodes:
                f.write(f"1 sip:{node.addr}:{node.port};transport=tcp\n")
        fe.defines["PCHAT_DISPATCHER_LIST"] = f'"{ds_list}"'
        fe.start()
        assert wait_until(lambda: all(n.rpc("dmq.list_nodes").count("status: active") == 3
                                      for n in nodes), timeout=15)
        # the probes found every node up
        assert wait_until(lambda: set(_active(fe).values()) == {"AP"}
                          and len(_active(fe)) == 3, timeout=10), fe.rpc("dispatcher.list")
        yield fe, nodes
    finally:
        if fe is not None:
            fe.cleanup()
        for node in reversed(nodes):
            node.cleanup()


def _node_of(nodes, user):
    for node in nodes:
        if node.alive() and user.dlg.call_id in {s["call_id"] for s in node.sessions()}:
            return node
    return None


def _posts(u, guid, n):
    return [u.wait_message(guid, timeout=10) for _ in range(n)]


def test_pool_behind_front_end_survives_a_node_kill(pool, mariadb):
    fe, nodes = pool
    room_id, guid, _ = make_room(mariadb, privacy="open")
    users, where = [], {}
    try:
        # sign in through the front-end until every node has two users
        # (the From-URI hash spreads them)
        while len(users) < 30 and not all(
                sum(1 for n in where.values() if n is node) >= 2 for node in nodes):
            u = ChatUser(fe, unique("pf"))
            users.append(u)
            where[u.uri] = _node_of(nodes, u)
            assert where[u.uri] is not None
        assert {id(n) for n in where.values()} == {id(n) for n in nodes}
        for u in users:
            assert u.join(guid).code == 200
        # every node knows that both others have participants in the room
        assert wait_until(lambda: all(_stat(n, "pool_remote_rooms") == 1 for n in nodes),
                          timeout=10)
        # one post from a user of each node: everyone gets each once, in order
        authors = [next(u for u in users if where[u.uri] is node) for node in nodes]
        texts = []
        for a in authors:
            texts.append(unique("before"))
            assert a.post(guid, texts[-1]).status == 200
        for u in users:
            got = _posts(u, guid, len(texts))
            assert [m["text"] for m in got] == texts, u.uri
            assert [m["msgid"] for m in got] == sorted(m["msgid"] for m in got)

        victim = nodes[2]
        gone = [u for u in users if where[u.uri] is victim]
        alive = [u for u in users if where[u.uri] is not victim]
        acked, statuses, stop = [], [], threading.Event()

        def keep_posting(u):
            # posts of the survivors during the failover
            i = 0
            while not stop.is_set():
                text = f"during {u.user} {i}"
                status = u.post(guid, text).status
                statuses.append(status)
                if status == 200:
                    acked.append(text)
                i += 1
                time.sleep(0.2)

        poster = threading.Thread(target=keep_posting, args=(alive[0],))
        poster.start()
        time.sleep(0.5)
        killed_at = time.monotonic()
        os.killpg(victim.proc.pid, signal.SIGKILL)
        victim.proc.wait(5)
        back, answers, rejoined = [], {}, {}

        def come_back(u):
            # its next request (a post, at once): the front-end answers 481
            # (sent in the instant of the kill, into the connection the
            # front-end has not yet seen close: after tm's fr_timer, 10 s)
            answers[u.user] = u.post(guid, "into the void", timeout=15).status
            # it signs in again, as sipe does after a 481, and rejoins
            u.close()
            again = ChatUser(fe, u.user)
            back.append(again)
            if again.join(guid).code == 200:
                rejoined[u.user] = time.monotonic() - killed_at

        try:
            threads = [threading.Thread(target=come_back, args=(u,)) for u in gone]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
        finally:
            stop.set()
            poster.join()
            users.extend(back)
        assert answers == {u.user: 481 for u in gone}
        assert set(rejoined) == {u.user for u in gone}
        for u in back:  # on a live node
            assert _node_of(nodes, u) in nodes[:2]
        failover = max(rejoined.values())
        print(f"failover: kill -9 to the last of {len(gone)} clients rejoined: {failover:.2f} s"
              f" (each: {sorted(round(t, 2) for t in rejoined.values())})")
        assert failover < 10
        # the probes mark the dead node inactive (a probe that could not be
        # sent is reported by tm after its fr_timer, 10 s)
        assert wait_until(lambda: _active(fe).get(victim.port, "").startswith("I"),
                          timeout=max(1, killed_at + 15 - time.monotonic())), \
            fe.rpc("dispatcher.list")
        # nothing acknowledged is missing from the history
        assert acked
        stored = {r[0] for r in mariadb.sql(
            f"SELECT content FROM pchat_message WHERE room_id = {room_id}", db="pchat")}
        missing = [t for t in acked + texts if not any(t in c for c in stored)]
        assert not missing
        # survivors got every post made during the failover, once, in order
        assert statuses == [200] * len(statuses)
        for u in alive:
            got = [m["text"] for m in _posts(u, guid, len(acked))]
            assert got == acked, u.uri
        # the users who came back post; everyone on the live nodes gets it
        # the users who came back got, live, posts made after their join:
        # each once, in order
        for u in back:
            late = []
            while True:
                try:
                    late.append(u.wait_message(guid, timeout=1)["text"])
                except Exception:
                    break
            assert late == [t for t in acked if t in late], (u.uri, late)
        # they post; everyone on the live nodes gets each post once, next
        for u in back:
            text = unique("back")
            assert u.post(guid, text).status == 200
            for member in alive + back:
                m = member.wait_message(guid, timeout=10)
                assert (m["text"], m["author"]) == (text, u.uri), (member.uri, m)
    finally:
        for u in users:
            u.close()


class BlackHole(threading.Thread):
    """A chat node's address whose host is down or hung: TCP connections are
    accepted (by the kernel, as a SIGSTOPped Kamailio's are) and read, never
    answered. Keeps what arrived, to tell which INVITEs were sent here."""

    def __init__(self, addr):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, free_port(addr)))
        self.sock.listen(64)
        self.addr, self.port = self.sock.getsockname()
        self.data, self.conns = b"", []
        self.lock = threading.Lock()

    def run(self):
        sel = selectors.DefaultSelector()
        sel.register(self.sock, selectors.EVENT_READ)
        while True:
            try:
                events = sel.select(0.2)
            except (OSError, ValueError):
                return
            for key, _ in events:
                if key.fileobj is self.sock:
                    try:
                        conn, _ = self.sock.accept()
                    except OSError:
                        return
                    self.conns.append(conn)
                    sel.register(conn, selectors.EVENT_READ)
                    continue
                chunk = key.fileobj.recv(65536)
                if not chunk:
                    sel.unregister(key.fileobj)
                with self.lock:
                    self.data += chunk

    def got(self, text):
        with self.lock:
            return text.encode() in self.data

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def test_invite_to_a_dead_host_fails_over_within_the_node_invite_timeout(db_url):
    """A node whose host is down (no refusal, no answer): an INVITE the
    front-end sends there gets the next node's 200 within
    PCHAT_NODE_INVITE_TIMEOUT (2 s), not tm's fr_timer (10 s), and the node
    is marked inactive."""
    first = random.randrange(2, 250, 2)
    hole = BlackHole(f"127.0.0.{first}")
    hole.start()
    node = fe = None
    users = []
    try:
        addr = f"127.0.0.{first + 1}"
        node = Kamailio(free_port(addr), db_url, cfg="cfg/pchat-node.cfg", addr=addr,
                        defines={"PCHAT_FRONTENDS": '"127.0.0.1/32"'}).start()
        fe = Kamailio(free_port(), db_url, cfg="cfg/pchat-frontend.cfg")
        ds_list = os.path.join(fe.rundir, "dispatcher.list")
        hole_uri = f"sip:{hole.addr}:{hole.port};transport=tcp"
        with open(ds_list, "w") as f:
            f.write(f"1 {hole_uri}\n1 sip:{node.addr}:{node.port};transport=tcp\n")
        fe.defines["PCHAT_DISPATCHER_LIST"] = f'"{ds_list}"'
        fe.start()
        took = []
        # the From-URI hash sends some users to the dead host first; the
        # node is put back to active before each sign-in (the probes would
        # keep it inactive), so each of them meets the dead host
        for _ in range(40):
            if len(took) == 3:
                break
            fe.rpc("dispatcher.set_state", "ap", "1", hole_uri)
            name = unique("dead")
            start = time.monotonic()
            u = ChatUser(fe, name)
            elapsed = time.monotonic() - start
            users.append(u)
            assert _node_of([node], u) is node
            if wait_until(lambda: hole.got(f"sip:{name}@"), timeout=0.5):
                took.append(elapsed)
                assert _active(fe)[hole.port].startswith("I"), fe.rpc("dispatcher.list")
        print(f"dead host: INVITEs sent there answered by the next node after "
              f"{[round(t, 2) for t in took]} s")
        assert len(took) == 3
        assert all(1.5 < t < 5 for t in took), took
    finally:
        for u in users:
            u.close()
        if fe is not None:
            fe.cleanup()
        if node is not None:
            node.cleanup()
        hole.close()
