# pchat - Persistent Chat (XCCOS) service for Kamailio
# Copyright (C) 2026 pchat developers; GPL-2.0-or-later, like the C files.
#
"""`make run-pool`'s launcher (tools/pchat-run-pool): starts a 3-node Galera
cluster, three chat nodes and a front-end, serves a client through the
front-end, restarts a killed node (start-node) and stops everything it
started on Ctrl-C. Its addresses and
ports are moved to free ones (PCHAT_ADDR/PORT, PCHAT_POOL_ADDRS,
PCHAT_NODE_PORT, PCHAT_GALERA_PORT, PCHAT_RUN_DIR): a `make run-pool` may be
running on the machine's defaults."""

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from galera import _free_base
from kamailio import KAMCMD, TOP
from mariadb import free_port

RUN = os.path.join(TOP, "tools", "pchat-run-pool")
CLIENT = os.path.join(TOP, "tools", "pchat-client")
GALERA = os.path.join(TOP, "tools", "pchat-galera")


def _busy(addr, port):
    with socket.socket() as s:
        try:
            s.bind((addr, port))
            return False
        except OSError:
            return True


def _node_addrs():
    """Three loopback addresses with one TCP port free on all of them."""
    for _ in range(50):
        first = random.randrange(20, 250, 3)
        addrs = [f"127.0.0.{first + i}" for i in range(3)]
        port = free_port(addrs[0])
        if not any(_busy(a, port) for a in addrs[1:]):
            return addrs, port
    raise AssertionError("no free node addresses")


def _started(rundir):
    """The Kamailio main processes the launcher started (pid files)."""
    pids = []
    for k in ("frontend", "node1", "node2", "node3"):
        try:
            pids.append(int(open(f"{rundir}/pool/{k}/kamailio.pid").read()))
        except (OSError, ValueError):
            pass
    return pids


def test_run_pool_serves_a_client_and_stops_on_ctrl_c():
    rundir = tempfile.mkdtemp(prefix="pchat-runpool-", dir="/tmp")
    addrs, node_port = _node_addrs()
    port = free_port()
    env = dict(os.environ, PCHAT_RUN_DIR=rundir, PCHAT_PORT=str(port),
               PCHAT_POOL_ADDRS=" ".join(addrs), PCHAT_NODE_PORT=str(node_port),
               PCHAT_GALERA_PORT=str(_free_base()))
    logpath = os.path.join(rundir, "run-pool.log")
    proc = None
    try:
        with open(logpath, "ab") as log:
            proc = subprocess.Popen([RUN], env=env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 120
        while "pchat pool is running" not in open(logpath).read():
            if proc.poll() is not None or time.monotonic() > deadline:
                # the launcher's own words, without Galera's shutdown notes
                lines = [ln for ln in open(logpath).read().splitlines() if "WSREP" not in ln]
                raise AssertionError("make run-pool did not start:\n"
                                     + "\n".join(lines[-60:]))
            time.sleep(0.5)
        text = open(logpath).read()
        assert f"clients connect to the front-end sip:127.0.0.1:{port}" in text
        # the front-end's probes find the three nodes up
        ctl = f"unix:{rundir}/pool/frontend/kamailio_ctl"
        deadline = time.monotonic() + 10
        while True:
            ds = subprocess.run([KAMCMD, "-s", ctl, "dispatcher.list"], capture_output=True,
                                text=True).stdout
            if re.findall(r"FLAGS: AP", ds) == ["FLAGS: AP"] * 3 or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        for a in addrs:
            assert f"URI: sip:{a}:{node_port};transport=tcp" in ds
        assert ds.count("FLAGS: AP") == 3, ds
        # the nodes form one DMQ pool, each on its own Galera node first
        for n in (1, 2, 3):
            nctl = f"unix:{rundir}/pool/node{n}/kamailio_ctl"
            dmq = subprocess.run([KAMCMD, "-s", nctl, "dmq.list_nodes"], capture_output=True,
                                 text=True).stdout
            assert dmq.count("status: active") == 3, dmq
        # a client through the front-end
        res = subprocess.run([CLIENT, "--port", str(port), "--timeout", "5", "getserverinfo"],
                             capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "cmd:getserverinfo: 200 SUCCESS_OK" in res.stdout
        pids = _started(rundir)
        assert len(pids) == 4
        # kill -9 node 2 as the banner shows (its own process group): users
        # whose hash names it are served by another node, over Galera
        assert "kill -9 -- -$(cat " in text
        os.killpg(pids[2], signal.SIGKILL)
        for i in range(8):
            res = subprocess.run([CLIENT, "--port", str(port), "--timeout", "5",
                                  "--user", f"u{i}@example.com", "getserverinfo"],
                                 capture_output=True, text=True)
            assert res.returncode == 0, res.stdout + res.stderr
        # some of them (the hash is fixed for these names) were meant for it
        felog = open(f"{rundir}/pool/frontend/kamailio.log", errors="replace").read()
        assert f"chat node sip:{addrs[1]}:{node_port};transport=tcp refused INVITE" in felog

        # node 2 back, from another terminal, as the banner shows (the
        # launcher's settings, not this environment's)
        assert "start-node 2" in text
        other = dict(os.environ, PCHAT_RUN_DIR=rundir)
        res = subprocess.run([RUN, "start-node", "1"], env=other, capture_output=True,
                             text=True, timeout=60)
        assert res.returncode == 1 and "node 1 is running" in res.stderr, res
        res = subprocess.run([RUN, "start-node", "2"], env=other, capture_output=True,
                             text=True, timeout=60)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "node 2 is running again" in res.stdout
        restarted = _started(rundir)[2]
        assert restarted != pids[2] and os.path.exists(f"/proc/{restarted}")
        # in the pool again (DMQ on every node) and probed up by the front-end
        deadline = time.monotonic() + 20
        while True:
            ds = subprocess.run([KAMCMD, "-s", ctl, "dispatcher.list"], capture_output=True,
                                text=True).stdout
            dmq = [subprocess.run([KAMCMD, "-s", f"unix:{rundir}/pool/node{n}/kamailio_ctl",
                                   "dmq.list_nodes"], capture_output=True, text=True).stdout
                   for n in (1, 2, 3)]
            if ((ds.count("FLAGS: AP") == 3 and all(d.count("status: active") == 3 for d in dmq))
                    or time.monotonic() > deadline):
                break
            time.sleep(0.5)
        assert ds.count("FLAGS: AP") == 3, ds
        assert all(d.count("status: active") == 3 for d in dmq), dmq

        pids = _started(rundir)
        os.killpg(proc.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
        proc.wait(120)
        for pid in pids:  # the restarted node too
            assert not os.path.exists(f"/proc/{pid}"), pid
        status = subprocess.run([GALERA, "status"], env=env, capture_output=True, text=True)
        assert status.returncode == 3 and status.stdout.count("stopped") == 3, status.stdout
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(60)
        for pid in _started(rundir):  # only if the launcher failed to
            if os.path.exists(f"/proc/{pid}"):
                os.kill(pid, signal.SIGTERM)
        subprocess.run([GALERA, "stop"], env=env)
        shutil.rmtree(rundir, ignore_errors=True)
