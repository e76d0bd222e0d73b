"""What the pool tests ask a chat node: its pchat.pool view of the other
nodes, its counters, and raw KDMQ messages as a forged or real peer."""

import contextlib
import re
import socket

from admin import parse_kamcmd
from chat import unique, wait_until
from kamailio import Kamailio
from mariadb import free_port


def status_int(kam, field):
    """A number of pchat.status."""
    return int(re.search(rf"\b{field}: (\d+)", kam.rpc("pchat.status")).group(1))


def pool_nodes(kam):
    """pchat.pool as a list of dicts, this node first."""
    return parse_kamcmd(kam.rpc("pchat.pool"))


def pool_node(kam, other):
    """What kam's pchat.pool says of the node other (None: not heard yet)."""
    uri = f"sip:127.0.0.1:{other.port};transport=tcp"
    return next((n for n in pool_nodes(kam) if n["uri"] == uri), None)


def node_state(kam, other):
    n = pool_node(kam, other)
    return n and n["state"]


def node_rooms(kam, other):
    n = pool_node(kam, other)
    return n and int(n["rooms"])


def kdmq(kam, from_port, body):
    """A raw KDMQ to the pchat peer of kam, From a node at from_port; the
    status code of the answer."""
    call = unique("c")
    msg = (f"KDMQ sip:pchat@127.0.0.1:{kam.port};transport=tcp SIP/2.0\r\n"
           f"Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK{call}\r\n"
           f"From: <sip:pchat@127.0.0.1:{from_port};transport=tcp>;tag=x\r\n"
           f"To: <sip:pchat@127.0.0.1:{kam.port};transport=tcp>\r\n"
           f"Call-ID: {call}\r\nCSeq: 1 KDMQ\r\nMax-Forwards: 1\r\n"
           f"Content-Type: text/x-pchat-pool\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    with socket.create_connection(("127.0.0.1", kam.port), timeout=5) as s:
        s.sendall(msg)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return int(data.split(b" ")[1])


def node_defines(seed=None, **more):
    """The #!defines of a pool node (cfg WITH_DMQ), seeded with the node
    seed if given; more: other defines (PCHAT_POOL_HEARTBEAT_MS=250, ...)."""
    d = {"WITH_DMQ": "1"}
    if seed is not None:
        d["PCHAT_DMQ_SEED"] = f"127.0.0.1:{seed.port}"
    d.update({k: str(v) for k, v in more.items()})
    return d


def all_up(nodes):
    """Every node holds every other up (has heard its heartbeats)."""
    return all(node_state(x, y) == "up" for x in nodes for y in nodes if x is not y)


@contextlib.contextmanager
def running_pool(db_url, defines=node_defines, count=3):
    """count chat nodes on db_url: the first alone, the others seeded with
    it (defines(seed) gives each one's #!defines); yields them once every
    node holds every other up; all cleaned up on exit."""
    nodes = []
    try:
        for _ in range(count):
            n = Kamailio(free_port(), db_url, defines=defines(nodes[0] if nodes else None))
            nodes.append(n)
            n.start()
        assert wait_until(lambda: all_up(nodes), timeout=15), \
            "\n".join(x.rpc("pchat.pool") + x.rpc("dmq.list_nodes") for x in nodes)
        yield nodes
    finally:
        for n in reversed(nodes):
            n.cleanup()
