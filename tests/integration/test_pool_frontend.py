# pchat - Persistent Chat (XCCOS) service for Kamailio
# Copyright (C) 2026 pchat developers; GPL-2.0-or-later, like the C files.
#
"""A pool behind a front-end (issue 14, points 1 and 2): three chat nodes
(cfg/pchat-node.cfg -A WITH_DMQ) on one database behind cfg/pchat-frontend.cfg,
whose dispatcher probes them. Users signed in through the front-end land on
different nodes and chat in one room; one node is killed (kill -9): its
users' requests get 481 at once, they sign in again through the front-end,
land on a live node, rejoin and post; nothing acknowledged is lost. The same
under 10 posters; and a node whose host is down (a black hole) costs an
INVITE PCHAT_NODE_INVITE_TIMEOUT, not tm's fr_timer."""

import contextlib
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
from posting import LOAD, Poster, assert_history, stored_posts
from sipclient import find, parse_xccos


def _stat(kam, field):
    return int(re.search(rf"\b{field}: (\d+)", kam.rpc("pchat.status")).group(1))


def _active(fe):
    """The dispatcher's view: node port -> flags (AP active, IP inactive)."""
    out = fe.rpc("dispatcher.list")
    return {int(m.group(1)): m.group(2)
            for m in re.finditer(r"URI: sip:127\.0\.0\.\d+:(\d+);transport=tcp\s+FLAGS: (\w+)", out)}


@contextlib.contextmanager
def _pool(db_url, node_defines=None):
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
                       "PCHAT_POOL_NODES": '"127.0.0.0/8"', **(node_defines or {})}
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


@pytest.fixture
def pool(db_url):
    with _pool(db_url) as p:
        yield p


@pytest.fixture
def loaded_pool(db_url):
    """The same pool for load: posters post in a closed loop, far above a
    person's INFO rate (max_infos_per_second would answer them 503)."""
    with _pool(db_url, LOAD) as p:
        yield p


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


def _sign_in_again(fe, user, guid):
    """What pidgin-sipe does after a 481 on its chat dialog: a new INVITE
    through the front-end (on a live node), then it joins its room again."""
    user.close()
    for _ in range(10):
        try:
            again = ChatUser(fe, user.user)
        except Exception:  # 503 from a node or the front-end: again
            time.sleep(0.2)
            continue
        if again.join(guid).code == 200:
            return again
        again.close()
    raise AssertionError(f"{user.uri} could not sign in again")


class ComingBack(Poster):
    """A poster (posting.Poster: post n is "<user> <n>") that signs in again
    and rejoins when a post is answered 481 (its node died), then goes on."""

    def __init__(self, fe, user, guid, gap=0.05):
        super().__init__(user, guid, timeout=15)
        self.fe, self.gap = fe, gap
        self.sent_at = {}
        self.rejoined = None      # when the rejoin was answered (monotonic)

    def run(self):
        while not self.stopping.is_set():
            n = self.next_n
            self.next_n += 1
            self.sent_at[n] = time.monotonic()
            try:
                resp = self.user.post(self.guid, f"{self.user.user} {n}", timeout=self.timeout)
            except Exception as exc:  # no answer at all: outcome unknown
                self.lost.append((n, repr(exc)[:200]))
                return
            if resp.status == 200:
                self.acked.append(n)
                self.acked_at.append(time.monotonic())
            else:
                self.refused.append((n, resp.status, resp.header("Retry-After")))
                if resp.status == 481:
                    self.user = _sign_in_again(self.fe, self.user, self.guid)
                    self.rejoined = time.monotonic()
            time.sleep(self.gap)


class Listener(threading.Thread):
    """A member that never posts; it refreshes its dialog (UPDATE, sipe's
    session refresh) every `every` s, so it learns of its node's death by a
    481 as a client does, and then signs in again and rejoins."""

    def __init__(self, fe, user, guid, every=0.5):
        super().__init__(daemon=True)
        self.fe, self.user, self.guid, self.every = fe, user, guid, every
        self.first = user
        self.rejoined = None
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.wait(self.every):
            try:
                status = self.user.dlg.update(timeout=15).status
            except Exception:
                continue
            if status == 481 and self.rejoined is None:
                self.user = _sign_in_again(self.fe, self.user, self.guid)
                self.rejoined = time.monotonic()

    def stop(self):
        self.stopping.set()
        self.join(20)


def _grpchats(u, guid):
    """The posts of the room delivered on the user's dialog, as (msgid,
    text) in arrival order."""
    got = []
    for m in u.dlg.server_infos:
        g = find(parse_xccos(m.body), "grpchat")
        if g is not None and g.get("chanUri") == u.room_uri(guid):
            got.append((int(g.get("msgid")), find(g, "chat").text or ""))
    return got


def test_kill_a_node_while_ten_posters_post(loaded_pool, mariadb):
    """kill -9 one of three nodes while 10 posters (on all three nodes) post
    into two rooms with members on every node: the dead node's clients get
    481, sign in again through the front-end, land on live nodes and rejoin;
    every post answered 200 is stored once, in its poster's order; every
    member on a live node got every acknowledged post once, in order (a
    node sends a post to the other nodes before its 200)."""
    fe, nodes = loaded_pool
    rooms = [make_room(mariadb, privacy="open") for _ in range(2)]
    room_ids, guids = [int(r[0]) for r in rooms], [r[1] for r in rooms]
    by_node = {id(n): [] for n in nodes}
    extra = []
    posters, listeners = [], []
    try:
        # sign in through the front-end until every node has six users
        # (the From-URI hash spreads them): 3-4 posters and 2 members each
        for _ in range(100):
            if all(len(v) >= 6 for v in by_node.values()):
                break
            u = ChatUser(fe, unique("pk"))
            node = _node_of(nodes, u)
            assert node is not None
            (by_node[id(node)] if len(by_node[id(node)]) < 6 else extra).append(u)
        assert all(len(v) == 6 for v in by_node.values()), {k: len(v) for k, v in by_node.items()}
        for i, node in enumerate(nodes):
            users = by_node[id(node)]
            n_post = 4 if i == 0 else 3
            for j, u in enumerate(users[:n_post]):
                guid = guids[(i + j) % 2]
                assert u.join(guid).code == 200
                posters.append((node, ComingBack(fe, u, guid)))
            for j, u in enumerate(users[n_post:n_post + 2]):
                assert u.join(guids[j]).code == 200
                listeners.append((node, Listener(fe, u, guids[j])))
            extra += users[n_post + 2:]
        assert len(posters) == 10 and len(listeners) == 6
        # every node knows that both others have participants in both rooms
        assert wait_until(lambda: all(_stat(n, "pool_remote_rooms") == 2 for n in nodes),
                          timeout=10)
        for _, t in posters + listeners:
            t.start()
        time.sleep(2)

        victim = nodes[2]
        killed_at = time.monotonic()
        os.killpg(victim.proc.pid, signal.SIGKILL)
        victim.proc.wait(5)
        gone = [t for node, t in posters + listeners if node is victim]
        assert wait_until(lambda: all(t.rejoined for t in gone), timeout=30), \
            [t.first.uri if isinstance(t, Listener) else t.name for t in gone if not t.rejoined]
        failover = max(t.rejoined for t in gone) - killed_at
        time.sleep(2)  # posts go on with the clients that came back
        for _, t in posters:
            t.stop()
        for _, t in listeners:
            t.stop()
        for _, t in posters + listeners:  # all back, on live nodes
            assert _node_of(nodes, t.user) in nodes[:2]
        # nobody else had to come back
        assert all(t.rejoined is None for node, t in posters + listeners if node is not victim)

        # the history: every post answered 200 stored once, in its poster's order
        label = "kill -9 one node of three, 10 posters"
        n_acked, counts = assert_history(mariadb, room_ids, [p for _, p in posters], label)
        statuses = [st for _, p in posters for _, st, _ in p.refused]
        on_victim = [p for node, p in posters if node is victim]
        print(f"{label}: answered 503 {statuses.count(503)}, 481 {statuses.count(481)}, "
              f"other refusals {len(statuses) - statuses.count(503) - statuses.count(481)}, "
              f"lost {sum(len(p.lost) for _, p in posters)}; clients of the dead node "
              f"rejoined {len(gone)} ({len(on_victim)} posters, {len(gone) - len(on_victim)} "
              f"members), the last {failover:.2f} s after the kill")
        assert not any(p.lost for _, p in posters), [p.lost for _, p in posters]
        assert set(statuses) <= {481, 503}, statuses
        # only the dead node's posters saw 481, each once
        assert all(sum(1 for r in p.refused if r[1] == 481) == (1 if p in on_victim else 0)
                   for _, p in posters)

        stored = {(r, seq): c for r, seq, c in stored_posts(mariadb, room_ids)}
        acked = {g: {f"{p.user.user} {n}": p.sent_at[n] for p in (q for _, q in posters)
                     if p.guid == g for n in p.acked} for g in guids}
        def check_member(u, guid, since=None):
            """Posts once, in the room's order (msgid = stored seq, with
            the stored text); every acknowledged post sent after `since`."""
            room = room_ids[guids.index(guid)]
            got = _grpchats(u, guid)
            ids = [m for m, _ in got]
            assert ids == sorted(set(ids)), (u.uri, ids)
            assert all(stored.get((room, m)) == text for m, text in got), u.uri
            want = {t for t, at in acked[guid].items() if since is None or at > since}
            missed = want - {text for _, text in got}
            assert not missed, (u.uri, since and round(since - killed_at, 3),
                                {t: round(acked[guid][t] - killed_at, 3) for t in missed})
            return len(got)

        # members on the live nodes got every acknowledged post, once, in order
        def all_delivered():
            try:
                for node, t in listeners:
                    if node is not victim:
                        check_member(t.user, t.guid)
                return True
            except AssertionError:
                return False
        wait_until(all_delivered, timeout=15)
        delivered = [check_member(t.user, t.guid) for node, t in listeners if node is not victim]
        assert len(delivered) == 4
        # the clients that came back: once, in order, and every post sent
        # after their rejoin was answered
        for t in gone:
            check_member(t.user, t.guid, since=t.rejoined)
        print(f"{label}: the 4 members on live nodes got {delivered} posts; "
              f"{n_acked} acknowledged, {counts['stored']} stored")
    finally:
        for _, t in posters + listeners:
            t.stopping.set()
        for _, t in posters + listeners:
            t.user.close()
            getattr(t, "first", t.user).close()
        for u in extra:
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
