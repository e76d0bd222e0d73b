"""tools/pchat-bench counts what it claims to count, against the real
pchat: sessions, deliveries (each post to every member, the author too,
none missing or doubled), chansrch answers, several dialogs per connection.
Counts only: performance figures belong to `make bench`, never to tests."""

import json
import os
import subprocess
import sys

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))

from chat import make_room, unique  # noqa: E402

BENCH_DIR = os.path.join(TOP, "tools", "pchat-bench")
BENCH = os.path.join(BENCH_DIR, "pchat-bench")


@pytest.fixture(scope="module")
def kam(db_url):
    """As make bench starts it: the flood limits off (pchat-bench's posters
    and askers run closed loops far above a person's rate)."""
    from kamailio import Kamailio
    from mariadb import free_port
    k = Kamailio(free_port(), db_url, defines={"PCHAT_MAX_INFOS_PER_SECOND": "0",
                                               "PCHAT_MAX_INVITES_PER_SECOND": "0"}).start()
    yield k
    k.cleanup()


@pytest.fixture(scope="module")
def bench_tool():
    subprocess.run(["make", "-s", "-C", BENCH_DIR], check=True)
    return BENCH


def run_bench(tool, kam, tmp_path, rooms, *args):
    rf = tmp_path / "rooms"
    rf.write_text("".join(f"{guid} {size}\n" for guid, size in rooms))
    res = subprocess.run([tool, "--port", str(kam.port), "--server-pid", str(kam.proc.pid),
                          "--ctl", kam.ctl, "--json", "--rooms", str(rf)] + [str(a) for a in args],
                         capture_output=True, text=True, timeout=120)
    assert res.stdout.strip(), res.stderr
    return json.loads(res.stdout)


def test_fanout_counts_every_copy_once(bench_tool, kam, mariadb, tmp_path):
    _, guid, _ = make_room(mariadb, name=unique("benchfan"))
    r = run_bench(bench_tool, kam, tmp_path, [(guid, 6)], "--scenario", "fanout",
                  "--clients", 6, "--posters", 2, "--rate", 10, "--warmup", 0.3,
                  "--duration", 1, "--drain", 1.5)
    assert r["sessions_ok"] == 6 and r["joins_ok"] == 6
    assert r["posts_ok"] == r["posts_sent"] > 0 and r["posts_err"] == 0
    assert r["deliveries"] == r["expected"] == r["posts_ok"] * 6
    assert r["missing"] == 0 and r["duplicates"] == 0 and r["timeouts"] == 0
    assert r["lat_samples"] > 0 and r["server_cpu_s"] >= 0


def test_search_scenario_counts_chansrch_answers(bench_tool, kam, mariadb, tmp_path):
    tag = unique("benchsrch")
    for i in range(3):
        make_room(mariadb, name=f"{tag}-{i}")
    _, guid, _ = make_room(mariadb, name=unique("askers"))
    r = run_bench(bench_tool, kam, tmp_path, [(guid, 2)], "--scenario", "history",
                  "--search", tag, "--clients", 2, "--posters", 1, "--warmup", 0.3,
                  "--duration", 1, "--drain", 0.5)
    assert r["sessions_ok"] == 2
    assert r["history_ok"] > 0 and r["history_err"] == 0


def test_dialogs_per_connection_are_sessions_of_their_own(bench_tool, kam, mariadb,
                                                          tmp_path):
    _, guid, _ = make_room(mariadb, name=unique("benchmux"))
    r = run_bench(bench_tool, kam, tmp_path, [(guid, 3)], "--scenario", "sessions",
                  "--clients", 3, "--dialogs-per-conn", 4, "--posters", 0,
                  "--warmup", 0.2, "--duration", 0.5, "--drain", 0.2)
    assert r["sessions_ok"] == 12 and r["joins_ok"] == 12
    assert r["sessions_failed"] == 0


@pytest.fixture(scope="module")
def node(db_url):
    """A chat node as served behind front-ends (cfg/pchat-node.cfg): it
    takes the user a front-end asserts, and sends along its Record-Route."""
    from kamailio import Kamailio
    from mariadb import free_port
    k = Kamailio(free_port(), db_url, cfg="cfg/pchat-node.cfg",
                 defines={"PCHAT_MAX_INFOS_PER_SECOND": "0"}).start()
    yield k
    k.cleanup()


def test_mux_conns_carry_members_as_a_front_end_does(bench_tool, node, mariadb, tmp_path):
    """--mux-conns 2: six members' dialogs over two connections, each its
    own user asserted as a front-end does; every post reaches every member
    once over the shared connections."""
    _, guid, _ = make_room(mariadb, name=unique("benchfe"))
    r = run_bench(bench_tool, node, tmp_path, [(guid, 6)], "--scenario", "fanout",
                  "--clients", 6, "--posters", 2, "--rate", 10, "--warmup", 0.3,
                  "--duration", 1, "--drain", 1.5, "--mux-conns", 2)
    assert r["mux_conns"] == 2
    assert r["sessions_ok"] == 6 and r["joins_ok"] == 6
    assert r["posts_ok"] == r["posts_sent"] > 0 and r["posts_err"] == 0
    assert r["deliveries"] == r["expected"] == r["posts_ok"] * 6
    assert r["missing"] == 0 and r["duplicates"] == 0 and r["other_errors"] == 0
    # the node's view (front-end sessions outlive their connection): six
    # users, each asserted by the "front-end", over two connections
    sessions = node.sessions()
    assert len(sessions) == 6 and all(s["via_frontend"] == "1" for s in sessions)
    assert len({s["user"] for s in sessions}) == 6
    assert len({s["conid"] for s in sessions}) == 2


def _procs(pid):
    """an instance's processes: the main one and its children"""
    n = 1
    for d in os.listdir("/proc"):
        try:
            stat = open(f"/proc/{d}/stat").read() if d.isdigit() else ""
        except OSError:
            continue
        if stat and int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            n += 1
    return n


def _committed(k):
    import re
    return int(re.search(r"posts_committed: (\d+)", k.rpc("pchat.status")).group(1))


def test_ports_spread_clients_over_instances_and_pids_sum_them(bench_tool, kam, db_url,
                                                               mariadb, tmp_path):
    """--ports A,B: client i signs in to port i mod 2 (a pool's nodes, each
    member on its own); --server-pid/--ctl lists: every instance counted."""
    from kamailio import Kamailio
    from mariadb import free_port
    other = Kamailio(free_port(), db_url, defines={"PCHAT_MAX_INFOS_PER_SECOND": "0",
                                                   "PCHAT_MAX_INVITES_PER_SECOND": "0"})
    try:
        other.start()
        rooms = [(make_room(mariadb, name=unique("benchports"))[1], 1) for _ in range(4)]
        rf = tmp_path / "rooms"
        rf.write_text("".join(f"{guid} {size}\n" for guid, size in rooms))
        before = (_committed(kam), _committed(other))
        res = subprocess.run(
            [bench_tool, "--port", str(kam.port), "--ports", f"{kam.port},{other.port}",
             "--server-pid", f"{kam.proc.pid},{other.proc.pid}",
             "--ctl", f"{kam.ctl},{other.ctl}", "--json", "--rooms", str(rf),
             "--scenario", "fanout", "--clients", "4", "--posters", "4", "--rate", "20",
             "--warmup", "0.3", "--duration", "1", "--drain", "1"],
            capture_output=True, text=True, timeout=60)
        r = json.loads(res.stdout)
        assert r["sessions_ok"] == 4 and r["posts_err"] == 0 and r["missing"] == 0
        assert r["server_instances"] == 2
        assert r["server_procs"] == _procs(kam.proc.pid) + _procs(other.proc.pid)
        # each instance committed the posts of its own two clients
        got = (_committed(kam) - before[0], _committed(other) - before[1])
        assert got[0] > 0 and got[1] > 0 and sum(got) == r["posts_ok"], (got, r["posts_ok"])
    finally:
        other.cleanup()
