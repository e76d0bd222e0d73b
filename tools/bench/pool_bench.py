# pchat - Persistent Chat (XCCOS) service for Kamailio
# Copyright (C) 2026 pchat developers; GPL-2.0-or-later, like the C files.
#
"""make bench scenarios of issue 14 (a pool of chat nodes), run by
tools/bench/run-bench on its Bench object:

- pool: one room spread over 3 chat nodes (cfg/pchat-standalone.cfg
  -A WITH_DMQ, each member connected to its own node) against the same room
  on one node (the bench's pchat instance, no DMQ) at the same post rate:
  server CPU per delivery summed over all nodes, and the DMQ copies per
  post (pchat.status pool_copies_sent, summed over the nodes by pchat-bench
  around the measured window).
- frontend: a chat node as served behind front-ends (cfg/pchat-node.cfg),
  the members' dialogs multiplexed over 2 connections by pchat-bench itself
  (--mux-conns 2: P-Asserted-Identity and Record-Route, as
  cfg/pchat-frontend.cfg adds them), beside Kamailio's imc (-x tlsf,
  shm_force_alloc) reaching its members over 2 connections and the stateless
  reply over 2 connections.
"""

import os
import re
import time
import uuid

from kamailio import Kamailio
from mariadb import free_port

SCENARIOS = ["pool", "frontend"]
NODES = 3
MUX_CONNS = 2
BUSY_RATE = 250  # frontend, informative: 50,000 deliveries/s


def sizes(sz, long):
    """Fixed post rates, below saturation of every instance measured (imc
    saturated near 28,000 MESSAGEs/s here): CPU per delivery at one load."""
    sz.pool_members = 1000
    sz.pool_posters = 20 if long else 10
    sz.pool_rate = 30  # 30,000 deliveries/s
    # imc announces every #join to the room, n²/2 MESSAGEs while it fills:
    # at 500 members, 125,000 of them over 2 connections overflow the
    # connections' write queues (4 MB) and its shm; 200 members, as imc's
    # own scenario
    sz.frontend_members = 200
    # 10,000 deliveries/s: at 100 posts/s imc lost copies (queues of its
    # two connections) on the shared machine
    sz.frontend_rate = 50
    sz.pool_s = 10 if long else 5
    # one node and the pool take turns: the machine's other load falls on both
    sz.pool_rounds = 3 if long else 2


def _fanout_args(sz, rf, members, rate, warmup=1):
    return ["--rooms", rf, "--clients", members, "--posters", sz.pool_posters,
            "--rate", rate, "--warmup", warmup, "--duration", sz.pool_s, "--drain", 2,
            "--scenario", "fanout"]


def _target(instances):
    return {"port": instances[0].port,
            "pid": ",".join(str(k.proc.pid) for k in instances),
            "ctl": ",".join(k.ctl for k in instances)}


def _start_nodes(b, log):
    """NODES pchat instances on 127.0.0.1 in one DMQ pool, each seeded with
    the first; returns them once each lists all as active."""
    nodes = []
    for i in range(NODES):
        defines = b.pchat_defines()
        defines["WITH_DMQ"] = "1"
        if nodes:
            defines["PCHAT_DMQ_SEED"] = f"127.0.0.1:{nodes[0].port}"
        node = Kamailio(free_port(), b.db.url("pchat", "pchat", "pchat"), debug=0,
                        shm_mb=512, defines=defines)
        nodes.append(node)
        node.start(timeout=60)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if all(n.rpc("dmq.list_nodes").count("status: active") == NODES for n in nodes):
            break
        time.sleep(0.3)
    else:
        raise RuntimeError("the pool's nodes did not all see each other: "
                           + nodes[0].rpc("dmq.list_nodes"))
    log(f"pool of {NODES} nodes: pids {[n.proc.pid for n in nodes]} "
        f"ports {[n.port for n in nodes]}")
    return nodes


def sc_pool(b, log):
    sz = b.sz
    m, rate = sz.pool_members, sz.pool_rate
    rf = b.room_file(b.make_rooms([m], "pool"), "pool")
    nodes = _start_nodes(b, log)
    try:
        hb = int(nodes[0].defines.get("PCHAT_POOL_HEARTBEAT_MS", 1000))
        ports = ",".join(str(n.port) for n in nodes)
        for i in range(sz.pool_rounds):
            r = b.run(f"pool: room of {m} on 1 node at {rate} posts/s "
                      f"(round {i + 1})", "pchat", _fanout_args(sz, rf, m, rate))
            r["pool_one"] = True
            r = b.run(f"pool: room of {m} over {NODES} nodes (DMQ, members connected "
                      f"to their node) at {rate} posts/s (round {i + 1})",
                      _target(nodes), _fanout_args(sz, rf, m, rate) + ["--ports", ports])
            r["pool_nodes"] = NODES
            r["pool_heartbeats_per_s"] = NODES * (NODES - 1) * 1000 / hb
        # the same sessions and no posts: what each setup costs when idle
        # (timers, heartbeats; a pool pays its nodes' share three times)
        idle = ["--rooms", rf, "--clients", m, "--posters", 0, "--rate", 0, "--warmup", 1,
                "--duration", sz.pool_s, "--drain", 0.5, "--scenario", "fanout"]
        b.run(f"pool: room of {m} on 1 node, no posts", "pchat", idle)["pool_idle_one"] = True
        b.run(f"pool: room of {m} over {NODES} nodes, no posts", _target(nodes),
              idle + ["--ports", ports])["pool_idle_pool"] = True
        # every copy a node received was taken
        r["pool_refused"] = sum(
            int(re.search(r"pool_refused: (\d+)", n.rpc("pchat.status")).group(1))
            for n in nodes)
    finally:
        for n in reversed(nodes):
            n.cleanup()


def sc_frontend(b, log):
    """pchat and the stateless reply take turns (sz.pool_rounds each, both
    instances up): the machine's other load falls on both, and the goal
    line sums the rounds."""
    sz = b.sz
    m, rate = sz.frontend_members, sz.frontend_rate
    rf = b.room_file(b.make_rooms([m], "frontend"), "frontend")
    mux = ["--mux-conns", MUX_CONNS]
    defines = b.pchat_defines()
    # imc as measured in performance-notes.md: -x tlsf and shm_force_alloc;
    # the stateless reply from the same instance
    b.stop_baseline()
    b.start_baseline({"BENCH_SHM_FORCE_ALLOC": "1"})
    node = Kamailio(free_port(), b.db.url("pchat", "pchat", "pchat"),
                    cfg="cfg/pchat-node.cfg", debug=0, shm_mb=512, defines=defines)
    node.start(timeout=60)
    try:
        for i in range(sz.pool_rounds):
            r = b.run(f"frontend: pchat node (cfg/pchat-node.cfg, tcp_children 4), room of {m} "
                      f"over {MUX_CONNS} connections multiplexed by pchat-bench as the "
                      f"front-end, at {rate} posts/s (round {i + 1})", _target([node]),
                      _fanout_args(sz, rf, m, rate) + mux)
            r["frontend_pchat"] = True
            r = b.run(f"frontend: stateless INFO over {MUX_CONNS} connections (round {i + 1})",
                      "base", ["--mode", "stateless", "--clients", MUX_CONNS, "--window", 64,
                               "--warmup", 1, "--duration", sz.pool_s, "--drain", 0.5])
            r["frontend_stateless"] = True
        # informative: the same node busier (the per-post cost, about half
        # of a delivery's at the rate above, is spread over more copies per
        # wake-up); the goal line is the run above
        r = b.run(f"frontend: the same pchat node at {BUSY_RATE} posts/s", _target([node]),
                  _fanout_args(sz, rf, m, BUSY_RATE) + mux)
        r["frontend_busy"] = True
        # the node's own CPU with the same sessions and no posts (timers, its
        # idle processes): what a delivery costs on top of it
        r = b.run(f"frontend: the same pchat node, {m} members, no posts", _target([node]),
                  ["--rooms", rf, "--clients", m, "--posters", 0, "--rate", 0, "--warmup", 1,
                   "--duration", sz.pool_s, "--drain", 0.5, "--scenario", "fanout"] + mux)
        r["frontend_idle"] = True
    finally:
        node.cleanup()
    imc_rf = os.path.join(b.tmp, "frontend-imc.rooms")
    with open(imc_rf, "w") as f:
        f.write(f"mux{uuid.uuid4().hex[:8]} {m}\n")
    r = b.run(f"frontend: imc (shm_force_alloc), room of {m} over {MUX_CONNS} "
              f"connections at {rate} posts/s", "base",
              ["--mode", "imc"] + _fanout_args(sz, imc_rf, m, rate, warmup=4)
              + ["--concurrency", 50] + mux)
    r["frontend_imc"] = True  # (warm-up 4 s: every #join is announced to the room)
    # the same requests in the shape and at the rate of pchat's run: a
    # burst of one post's copies, rate times a second, over the connections
    r = b.run(f"frontend: stateless INFO in bursts of {m} at {rate}/s over {MUX_CONNS} "
              f"connections (pchat's deliveries' shape and rate)", "base",
              ["--mode", "stateless", "--clients", MUX_CONNS, "--burst", m,
               "--rate", rate, "--warmup", 1, "--duration", sz.pool_s, "--drain", 0.5])
    r["frontend_stateless_burst"] = True


def _pick(results, key):
    c = [r for r in results if r.get(key)]
    return c[-1] if c else None


def _us_per_unit(runs):
    """server CPU per unit over several runs (their CPU over their units)"""
    units = sum(r["units"] for r in runs)
    return sum(r["server_cpu_s"] for r in runs) * 1e6 / units if units else 0


def _pool_lines(results):
    ones = [r for r in results if r.get("pool_one")]
    pools = [r for r in results if r.get("pool_nodes")]
    if not (ones and pools):
        return []
    pool = pools[-1]
    lines = []
    a, p = _us_per_unit(ones), _us_per_unit(pools)
    if a and p:
        lines.append(f"- pool/one node: {p:.1f} µs per delivery summed over "
                     f"{pool['pool_nodes']} nodes ÷ {a:.1f} µs on one node "
                     f"({len(pools)} rounds each, taking turns) = "
                     f"**{p / a:.2f}** (goal ≤ 1.2)")
    # pchat-bench reads both from the window's start to the drain's end
    posts = sum(r["pool_posts"] for r in pools)
    copies = sum(r["pool_copies_sent"] for r in pools)
    inflight = sum(r["pool_posts_inflight"] for r in pools)
    if posts:
        lines.append(f"- pool DMQ copies per post: {copies:.0f} "
                     f"copies ÷ {posts} posts = "
                     f"**{copies / posts:.2f}** (goal ≤ {pool['pool_nodes'] - 1}; "
                     f"± the {inflight} posts in flight when the windows began); "
                     f"besides them {pool['pool_heartbeats_per_s']:.0f} heartbeats/s "
                     f"in the pool; {pool.get('pool_refused', 0)} pool messages refused")
    lines += _pool_node_lines(results, ones, pools)
    lines.append(f"- pool deliveries: {sum(r['missing'] for r in pools)} missing, "
                 f"{sum(r['duplicates'] for r in pools)} duplicates, "
                 f"{sum(r.get('reordered', 0) for r in pools)} reordered "
                 f"({sum(r['expected'] for r in pools)} expected)")
    return lines


def _idle_cpu_s(idle, runs):
    """idle's CPU rate over the windows of runs (CPU seconds)"""
    rate = idle["server_cpu_s"] / idle["window_s"] if idle and idle["window_s"] else 0
    return rate * sum(r["window_s"] for r in runs)


def _pool_node_lines(results, ones, pools):
    """Where the pool's CPU goes: each node's share, and the idle cost of
    each setup with what a delivery costs on top of it (informative: the
    goal line above is the whole CPU)."""
    units = sum(r["units"] for r in pools)
    each = [r.get("server_cpu_s_each") or [] for r in pools]
    lines = []
    if units and all(len(e) == NODES for e in each):
        per = [sum(e[i] for e in each) * 1e6 / units for i in range(NODES)]
        lines.append("- pool per node: " + " + ".join(f"{x:.1f}" for x in per)
                     + " µs per delivery of the room (each node delivers a third)")
    i1, ip = _pick(results, "pool_idle_one"), _pick(results, "pool_idle_pool")
    u1 = sum(r["units"] for r in ones)
    if i1 and ip and units and u1:
        a = (sum(r["server_cpu_s"] for r in ones) - _idle_cpu_s(i1, ones)) * 1e6 / u1
        p = (sum(r["server_cpu_s"] for r in pools) - _idle_cpu_s(ip, pools)) * 1e6 / units
        lines.append(f"- pool idle (the same sessions, no posts): {NODES} nodes "
                     f"{ip['server_cpu_pct']:.1f}% CPU, one node {i1['server_cpu_pct']:.1f}%; "
                     f"a delivery on top of it: {p:.1f} vs {a:.1f} µs"
                     + (f" = {p / a:.2f}" if a > 0 else ""))
    return lines


def _frontend_lines(results):
    pcs = [r for r in results if r.get("frontend_pchat")]
    sls = [r for r in results if r.get("frontend_stateless")]
    p = _us_per_unit(pcs)
    if not p:
        return []
    # every round's misses (the goal line sums the rounds too)
    pc = {"missing": sum(r["missing"] for r in pcs),
          "expected": sum(r["expected"] for r in pcs)}
    lines = []
    s = _us_per_unit(sls)
    if s:
        lines.append(f"- frontend pchat/stateless: {p:.1f} µs per delivery ÷ {s:.1f} µs "
                     f"per stateless reply (both over {MUX_CONNS} connections; "
                     f"{len(pcs)} rounds each, taking turns: "
                     + ", ".join(f"{a['server_cpu_us_per_unit']:.1f}/{c['server_cpu_us_per_unit']:.1f}"
                                 for a, c in zip(pcs, sls))
                     + f") = **{p / s:.2f}** (goal ≤ 1)")
    busy = _pick(results, "frontend_busy")
    if busy and busy["server_cpu_us_per_unit"] and s:
        b = busy["server_cpu_us_per_unit"]
        lines.append(f"- frontend, informative: the same node at {BUSY_RATE} posts/s "
                     f"({busy['deliveries_per_s']:.0f} deliveries/s): {b:.1f} µs per delivery, "
                     f"{b / s:.2f}× the stateless reply")
    sb = _pick(results, "frontend_stateless_burst")
    if sb and sb["server_cpu_us_per_unit"]:
        s2 = sb["server_cpu_us_per_unit"]
        lines.append(f"- for reference, the stateless reply at pchat's load (its requests in "
                     f"bursts of a post's copies at the posts' rate): {s2:.1f} µs per reply; "
                     f"pchat/that = {p / s2:.2f}")
    idle = _pick(results, "frontend_idle")
    if idle and idle["window_s"]:
        # the idle node's CPU over the loaded runs' windows, taken off
        extra = ((sum(r["server_cpu_s"] for r in pcs) - _idle_cpu_s(idle, pcs)) * 1e6
                 / sum(r["units"] for r in pcs))
        lines.append(f"- frontend: the idle node (same sessions, no posts) used "
                     f"{idle['server_cpu_pct']:.1f}% CPU; a delivery on top of it "
                     f"{extra:.1f} µs" + (f" ({extra / s:.2f}× the stateless reply)"
                                          if s else ""))
    imc = _pick(results, "frontend_imc")
    if imc and imc["server_cpu_us_per_unit"]:
        i = imc["server_cpu_us_per_unit"]
        lines.append(f"- frontend deliveries per server-CPU-second: pchat {1e6 / p:.0f}, "
                     f"imc {1e6 / i:.0f}: **{i / p:.2f}×** (goal ≥ 2)"
                     + "".join(f"; {name} missed {r['missing']} of {r['expected']} "
                               f"deliveries"
                               for name, r in (("pchat", pc), ("imc", imc))
                               if r["missing"]))
    return lines


def ratio_lines(results):
    """The summary lines of these scenarios (run-bench prints them under
    the table)."""
    return _pool_lines(results) + _frontend_lines(results)
