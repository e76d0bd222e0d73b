"""SIP-level fuzzing of the real server (tests/fuzz/sipfuzz.py): mutated
INVITE/INFO/UPDATE/BYE/ACK over UDP and TCP for PCHAT_SIPFUZZ_SECONDS (30 by
default, PCHAT_SIPFUZZ_SEED to replay); afterwards the server still serves
and its shm and pkg memory come back near where they were before."""

import os
import random
import re
import subprocess
import sys

from chat import ChatUser, make_room, unique, wait_until
from kamailio import KAMCMD

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "fuzz"))
from sipfuzz import SipFuzzer  # noqa: E402

SECONDS = float(os.environ.get("PCHAT_SIPFUZZ_SECONDS", "20"))
SHM_SLACK = 1 << 20     # bytes: tm's and the session table's own growth
PKG_SLACK = 256 << 10   # bytes per process


def session_count(kam):
    """pchat.sessions counted; fuzzed Call-IDs and tags are any bytes, so
    the output is not read as UTF-8 (kam.sessions() would)."""
    res = subprocess.run([KAMCMD, "-s", f"unix:{kam.ctl}", "pchat.sessions"],
                         capture_output=True, timeout=10)
    assert res.returncode == 0, res
    return len(re.findall(rb"^\s*id:", res.stdout, re.M))


def shm_used(kam):
    return int(re.search(r"^\s*used:\s*(\d+)", kam.rpc("core.shmmem"), re.M).group(1))


def pkg_used(kam):
    """pid -> pkg bytes used, from pkg.stats."""
    out, used, pid = kam.rpc("pkg.stats"), {}, None
    for line in out.splitlines():
        m = re.match(r"\s*(pid|used):\s*(\d+)", line)
        if m and m.group(1) == "pid":
            pid = int(m.group(2))
        elif m and pid is not None:
            used[pid] = int(m.group(2))
    assert used, out
    return used


def pkg_grown(kam, base):
    now = pkg_used(kam)
    return {pid: now[pid] - base[pid] for pid in now
            if pid in base and now[pid] - base[pid] > PKG_SLACK}


def chat_works(kam, mariadb, guid, transport):
    u = ChatUser(kam, unique("after"), transport)
    try:
        assert u.join(guid).code == 200
        assert u.post(guid, "still here").status == 200
        assert u.wait_message(guid)["text"] == "still here"  # a fresh session: none before
        assert u.history(guid).code == 200
    finally:
        u.close()


def test_server_survives_sip_fuzzing_and_gives_memory_back(kamailio_factory, mariadb):
    kam = kamailio_factory()
    _, guid, _ = make_room(mariadb, privacy="open")
    seed = int(os.environ.get("PCHAT_SIPFUZZ_SEED", random.getrandbits(32)))
    # signed-in sessions that live through the fuzzing
    alice, bob = ChatUser(kam, unique("alice"), "tcp"), ChatUser(kam, unique("bob"), "udp")
    try:
        assert alice.join(guid).code == 200 and bob.join(guid).code == 200
        # warm-up over TCP (no lingering transactions): caches, statements
        warm = SipFuzzer(kam, guid, seed ^ 1)
        warm.run(2, udp_share=0)
        warm.finish()
        chat_works(kam, mariadb, guid, "tcp")
        assert wait_until(lambda: session_count(kam) == 2, timeout=20), session_count(kam)
        shm0, pkg0 = shm_used(kam), pkg_used(kam)

        f = SipFuzzer(kam, guid, seed)
        stats = f.run(SECONDS, udp_share=0.3)
        f.finish()
        print(f"sipfuzz seed {seed}: {stats}")
        assert stats["sent"] > 100, stats
        assert kam.alive(), kam.log_tail()
        assert "uptime" in kam.rpc("core.uptime")
        kam.rpc("pchat.status")

        # the sessions from before still work, and new ones do
        assert alice.post(guid, "survived").status == 200
        # (fuzzing sessions posted to the room too: their copies come first)
        assert wait_until(lambda: bob.wait_message(guid, timeout=15)["text"] == "survived",
                          timeout=30, step=0)
        chat_works(kam, mariadb, guid, "udp")
        chat_works(kam, mariadb, guid, "tcp")

        # the fuzzing sessions ended: over TCP with their connections, over
        # UDP by the BYEs of finish(); a few accepted INVITEs whose answers
        # the fuzzer could not follow (mangled From/To) stay until their
        # Session-Expires, within max_sessions_per_user (16) for each
        wait_until(lambda: session_count(kam) == 2, timeout=10)
        leftover = session_count(kam) - 2
        print(f"sipfuzz: {leftover} fuzzing sessions left to expire")
        assert 0 <= leftover <= 16 * f.n, (seed, leftover, stats)
        # memory back near the baseline (UDP transactions stay 32 s in tm,
        # hence the wait)
        assert wait_until(lambda: shm_used(kam) <= shm0 + SHM_SLACK, timeout=45, step=1), \
            (seed, shm0, shm_used(kam))
        assert wait_until(lambda: not pkg_grown(kam, pkg0), timeout=10, step=1), \
            (seed, pkg_grown(kam, pkg0))
        assert kam.alive()
    finally:
        alice.close()
        bob.close()
