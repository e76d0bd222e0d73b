# pchat - Persistent Chat (XCCOS) service for Kamailio
# Copyright (C) 2026 pchat developers; GPL-2.0-or-later, like the C files.
#
"""make bench's large-room step (issue 18 point 5): one room of 16,000
members (Lync's large-room figure) on a chat node as front-ends serve it
(cfg/pchat-node.cfg; pchat-bench carries the members' dialogs over a few
connections with P-Asserted-Identity and Record-Route, as
cfg/pchat-frontend.cfg adds them: 16,000 client connections would hold a
32 KiB read buffer each). Reported:

- sign-in of all members (INVITE, ACK, cmd:bjoin of the room): the time
  until the last one joined and sessions/s;
- post -> delivery latency at 1 post/s, p99 and max over the 16,000 copies
  of every post (the max is the slowest post's last delivery; the goal is
  <= 50 ms);
- the notices the members got besides posts (ntc:join/ntc:part: with
  participant_update_limit 75 only the first 75 members hear of joins, no
  presence storm);
- shared memory per member: core.shmmem used before the sign-in and with
  all members in the room, divided by the members (the session, its
  dialog and the roster entry).

    tools/bench/run-bench --only largeroom
"""

import re
import urllib.request

from kamailio import Kamailio
from mariadb import free_port

MUX_CONNS = 8


def _shm_used_mb(node):
    out = node.rpc("core.shmmem")
    m = re.search(r"used:\s*(\d+)", out)
    return int(m.group(1)) / 1048576 if m else -1.0


def _fanout_buckets(port):
    """pchat's fanout_ms histogram from the node's /metrics (cumulative
    {le_ms: count}): the room's fan-outs of posts are the ones over 10 ms
    (a join notice goes to 75 members at most, well under 1 ms)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    return {int(le): int(v) for le, v in
            re.findall(r"kamailio_pchat_fanout_ms_bucket_le_(\d+) (\d+)", text)}


def _node_fanout(buckets):
    """(posts' fan-outs, how many took <= 50 ms, the bound the slowest is
    under in ms) from the cumulative buckets."""
    if not buckets:
        return None
    les = sorted(buckets)
    top = max(buckets.values())
    big = top - buckets.get(10, 0)
    under50 = buckets.get(50, 0) - buckets.get(10, 0)
    slowest = next((le for le in les if buckets[le] == top), None)
    return big, under50, slowest


def run(b, log):
    members = b.sz.largeroom_members
    rf = b.room_file(b.make_rooms([members], "large"), "largeroom")
    metrics = free_port()
    node = Kamailio(free_port(), b.db.url("pchat", "pchat", "pchat"),
                    cfg="cfg/pchat-node.cfg", debug=0,
                    shm_mb=8192 if b.sz.long else 1024,
                    defines={**b.pchat_defines(), "PCHAT_METRICS_PORT": str(metrics)})
    node.start(timeout=60)
    try:
        before = _shm_used_mb(node)
        r = b.run(f"largeroom: one room of {members} members on a pchat node "
                  f"(cfg/pchat-node.cfg) over {MUX_CONNS} front-end connections, "
                  f"1 post/s", {"port": node.port, "pid": str(node.proc.pid),
                                "ctl": node.ctl},
                  ["--rooms", rf, "--clients", members, "--posters", 1, "--rate", 1,
                   "--warmup", 1, "--duration", b.sz.largeroom_s, "--drain", 2,
                   "--scenario", "fanout", "--concurrency", 200,
                   "--setup-timeout", 600, "--mux-conns", MUX_CONNS],
                  timeout=900)
        r["largeroom"] = True
        r["shm_before_mb"] = before
        r["node_fanout"] = _node_fanout(_fanout_buckets(metrics))
    finally:
        node.cleanup()


def lines(b):
    rs = [r for r in b.results if r.get("largeroom")]
    if not rs:
        return []
    r = rs[-1]
    n = r["clients"]
    per = ((r["shm_used_mb"] - r["shm_before_mb"]) * 1048576 / n
           if r["shm_used_mb"] >= 0 and r["shm_before_mb"] >= 0 else -1)
    rate = r["sessions_ok"] / r["setup_s"] if r["setup_s"] else 0
    return [f"- room of {n} members: sign-in of all {r['sessions_ok']} in "
            f"**{r['setup_s']:.1f} s** ({rate:.0f} sessions/s, bjoin p99 "
            f"{r['join_ms_p99']:.1f} ms); post -> delivery at 1 post/s p99 "
            f"**{r['lat_ms_p99']:.1f} ms**, slowest last delivery "
            f"**{r['lat_ms_max']:.1f} ms** (goal <= 50 ms; at the generator's "
            f"socket p99 {r['lat_kernel_ms_p99']:.1f} / max {r['lat_kernel_ms_max']:.1f}), "
            f"{r['missing']} missing; "
            + (f"in the node, fan-out of a post to all {n} (build and send every copy, "
               f"pchat fanout_ms): {r['node_fanout'][1]} of {r['node_fanout'][0]} "
               f"<= 50 ms, the slowest <= {r['node_fanout'][2]} ms; "
               if r.get("node_fanout") else "")
            + f"{r['other_infos']} notices besides posts to {n} members "
            f"(participant_update_limit 75); shm "
            f"{r['shm_before_mb']:.1f} -> {r['shm_used_mb']:.1f} MB, "
            f"**{per / 1024:.1f} KiB per member** (session, dialog and membership)"]
