"""A private 3-node MariaDB Galera cluster for integration tests.

Each node is a MariaDB (mariadb.py) started from the option file that
tools/pchat-galera writes for it (one source for the cluster's settings),
on loopback ports free right now. The first start seeds nodes 2 and 3 from
node 1 once the pchat schema is loaded, so no node needs a state transfer.

    cluster = GaleraCluster("/tmp/pchat-galera")
    cluster.start()                      # nodes 1..3, all Synced, schema loaded
    cluster.sql(3, "SELECT COUNT(*) FROM pchat_message", db="pchat")
    cluster.kill9(1)
    cluster.url(2)                       # db_url of node 2 for the pchat user
    cluster.stop()
"""

import os
import shutil
import subprocess
import threading
import time

from kamailio import TOP
from mariadb import MariaDB, MariaDBError, _tcp_port_busy, free_port
from store import DB_NAME, DB_PASS, DB_USER, create_schema

TOOL = os.path.join(TOP, "tools", "pchat-galera")
NODES = 3
# tools/pchat-galera's ports: SQL base+N-1, Galera +10+N, SST +20+N, IST +30+N
_OFFSETS = [n - 1 for n in range(1, NODES + 1)] + \
    [k + n for k in (10, 20, 30) for n in range(1, NODES + 1)]


def _free_base():
    """A base port whose 12 ports (see _OFFSETS) are all free now."""
    for _ in range(100):
        base = free_port()
        if base + max(_OFFSETS) < 65536 and \
                not any(_tcp_port_busy(base + off) for off in _OFFSETS):
            return base
    raise MariaDBError("no free range of ports for a Galera cluster")


class GaleraCluster:
    """Nodes are numbered 1..3, as tools/pchat-galera numbers them."""

    def __init__(self, basedir, pool="64M"):
        self.basedir = os.path.abspath(basedir)
        self.base_port = _free_base()
        env = dict(os.environ, PCHAT_GALERA_PORT=str(self.base_port), PCHAT_GALERA_POOL=pool)
        self.nodes = []
        for n in range(1, NODES + 1):
            nodedir = os.path.join(self.basedir, f"node{n}")
            os.makedirs(nodedir, exist_ok=True)
            cnf = os.path.join(nodedir, "my.cnf")
            with open(cnf, "w") as handle:
                subprocess.run([TOOL, "cnf", str(n)], env=env, stdout=handle, check=True)
            self.nodes.append(MariaDB(nodedir, self.base_port + n - 1, defaults_file=cnf))

    def node(self, n):
        return self.nodes[n - 1]

    def url(self, n):
        return self.node(n).url(DB_USER, DB_PASS, DB_NAME)

    def sql(self, n, statement, db=None, timeout=60.0):
        return self.node(n).sql(statement, db=db, timeout=timeout)

    def state(self, n):
        """wsrep_local_state_comment (Synced, Donor/Desynced, ...), None if it does not answer."""
        try:
            rows = self.sql(n, "SHOW STATUS LIKE 'wsrep_local_state_comment'", timeout=5)
        except (MariaDBError, subprocess.TimeoutExpired):
            return None
        return rows[0][1] if rows else None

    def cluster_size(self, n):
        return int(self.sql(n, "SHOW STATUS LIKE 'wsrep_cluster_size'")[0][1])

    def wait_synced(self, n, timeout=60.0):
        deadline = time.monotonic() + timeout
        while self.state(n) != "Synced":
            if time.monotonic() > deadline:
                raise MariaDBError(f"Galera node {n} is not Synced ({self.state(n)}) "
                                   f"after {timeout}s:\n{self.node(n)._error_log_tail()}")
            time.sleep(0.2)

    # ----- lifecycle -----

    def _seed(self):
        """Node 1 with the schema, stopped cleanly, copied to nodes 2 and 3:
        same cluster state, so they join with nothing to transfer."""
        first = self.node(1)
        first.start(extra_args=["--wsrep-new-cluster"])
        self.wait_synced(1)
        create_schema(first)
        first.stop()
        for n in range(2, NODES + 1):
            data = self.node(n).datadir
            shutil.rmtree(data, ignore_errors=True)
            shutil.copytree(first.datadir, data, symlinks=True,
                            ignore=shutil.ignore_patterns("galera.cache", "gvwstate.dat"))
            state = os.path.join(data, "grastate.dat")
            with open(state) as handle:
                text = handle.read()
            with open(state, "w") as handle:
                handle.write(text.replace("safe_to_bootstrap: 1", "safe_to_bootstrap: 0"))

    def start(self, timeout=60.0):
        """Seeds on first use, bootstraps node 1, joins 2 and 3 (in parallel); all Synced."""
        if not self.node(NODES).is_initialised():
            self._seed()
        self.node(1).start(timeout, extra_args=["--wsrep-new-cluster"])
        self.wait_synced(1, timeout)
        self._start_joiners(range(2, NODES + 1), timeout)

    def _start_joiners(self, numbers, timeout):
        errors = []

        def join(n):
            try:
                self.node(n).start(timeout)
                self.wait_synced(n, timeout)
            except MariaDBError as exc:
                errors.append(exc)
        threads = [threading.Thread(target=join, args=(n,)) for n in numbers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

    def rejoin(self, n, timeout=120.0):
        """Starts a stopped (or killed) node into the running cluster."""
        self._start_joiners([n], timeout)

    def kill9(self, n):
        self.node(n).kill9()

    def stop(self):
        """Stops every node, node 1 last (it may bootstrap next time)."""
        for node in reversed(self.nodes):
            node.stop()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
