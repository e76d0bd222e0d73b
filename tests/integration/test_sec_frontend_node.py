"""Issue 11, point 5: a front-end connection is not a client. On a chat node
behind a front-end, losing the front-end's connection ends no session: the
front-end reconnects (new connection, new port), in-dialog requests over it
find their sessions and the node's INFOs reach the clients again."""

import subprocess
import time

import pytest

from chat import make_room, set_policy, unique, wait_until
from signin import connect, open_chat, pool_uri, post_and_receive, post_reaches_all, sign_in


def cut_front_end_connections(node):
    """Resets every TCP connection to the node (the front-end's), as a
    crash or a network failure would; the clients' connections to the
    front-end stay."""
    res = subprocess.run(["ss", "-K", "-t", "dport", "=", f":{node.port}"],
                         capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"ss -K unavailable: {res.stderr.strip()}")


def test_front_end_reconnect_keeps_the_sessions(pair, mariadb):
    fe, node = pair
    set_policy(mariadb, "global", "", True)
    _, guid, _ = make_room(mariadb)
    clients = [connect(fe.port, unique(n)) for n in ("ann", "ben", "cat")]
    try:
        users = []
        for c in clients:
            props = sign_in(c)
            users.append((c, open_chat(c, pool_uri(props, c))))
        post_and_receive(users, guid, fe.domain)
        call_ids = {d.call_id for _, d in users}
        before = {s["call_id"]: s for s in node.sessions() if s["call_id"] in call_ids}
        assert len(before) == 3
        assert {s["via_frontend"] for s in before.values()} == {"1"}
        cut_front_end_connections(node)  # the node sees them reset
        time.sleep(2.5)  # the expiry timer runs every second
        after = {s["call_id"]: s for s in node.sessions() if s["call_id"] in call_ids}
        assert set(after) == call_ids
        for _, d in users:  # nobody was parted
            assert not [m for m in d.server_infos if "ntc:part" in m.body]
        # the next request reconnects; every client still gets the posts
        post_reaches_all(users, guid, fe.domain, timeout=10)
        moved = {s["call_id"]: s for s in node.sessions() if s["call_id"] in call_ids}
        first = users[0][1].call_id
        assert moved[first]["conid"] != before[first]["conid"]
        for _, d in users:
            assert d.bye().status == 200
        assert wait_until(lambda: not [s for s in node.sessions()
                                       if s["call_id"] in call_ids])
    finally:
        for c in clients:
            c.close()


def test_standalone_client_close_still_ends_its_sessions(kam, mariadb):
    """Directly connected clients keep today's rule: their close ends them."""
    from chat import ChatUser
    _, guid, _ = make_room(mariadb)
    a, b = ChatUser(kam, unique("sa")), ChatUser(kam, unique("sb"))
    try:
        assert a.join(guid).code == 200
        assert b.join(guid).code == 200
        b.close()
        part = a.wait_notice("part", timeout=10)
        assert part is not None
        assert wait_until(lambda: b.dlg.call_id not in
                          {s["call_id"] for s in kam.sessions()})
    finally:
        a.close()
        b.close()
