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

DRReplica is the asynchronous replica of a disaster-recovery site
(tools/pchat-dr) following such a cluster, driven through the tool as an
operator drives it; the cluster must then live in a directory named
"galera" (the tool's layout: $PCHAT_RUN_DIR/galera/nodeN, $PCHAT_RUN_DIR/dr):

    cluster = GaleraCluster("/tmp/pchat-dr-x/galera"); cluster.start()
    dr = DRReplica(cluster); dr.start()  # seeded from node 1, replicating
    dr.wait_caught_up(); dr.promote()    # writable; dr.url() for a chat node
"""

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time

from kamailio import TOP
from mariadb import MariaDB, MariaDBError, _tcp_port_busy, free_port
from store import DB_NAME, DB_PASS, DB_USER, create_schema

TOOL = os.path.join(TOP, "tools", "pchat-galera")
DR_TOOL = os.path.join(TOP, "tools", "pchat-dr")
# the nodes' option file asks for a binary log (for a DR replica), but
# mariadb.py's command line disables it, and the command line wins
BINLOG_ARGS = ["--log-bin=binlog"]
WSREP_GTID_DOMAIN = 1   # tools/pchat-galera's wsrep_gtid_domain_id
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
        # tools/pchat-galera's (and tools/pchat-dr's) environment for this cluster
        self.env = env = dict(os.environ, PCHAT_GALERA_PORT=str(self.base_port),
                              PCHAT_GALERA_POOL=pool)
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
        first.start(extra_args=["--wsrep-new-cluster", *BINLOG_ARGS])
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
        self.node(1).start(timeout, extra_args=["--wsrep-new-cluster", *BINLOG_ARGS])
        self.wait_synced(1, timeout)
        self._start_joiners(range(2, NODES + 1), timeout)

    def _start_joiners(self, numbers, timeout):
        errors = []

        def join(n):
            try:
                self.node(n).start(timeout, extra_args=BINLOG_ARGS)
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


@contextlib.contextmanager
def running_cluster(prefix="pchat-galera-"):
    """A started GaleraCluster in a temporary directory under /tmp, yielded
    with that directory; stopped and removed on exit."""
    base = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    c = GaleraCluster(os.path.join(base, "galera"))
    try:
        c.start()
        yield c, base
    finally:
        c.stop()
        shutil.rmtree(base, ignore_errors=True)


def gtid_seq(position, domain=WSREP_GTID_DOMAIN):
    """The sequence number of ``domain`` in a GTID position ("1-1-35,100-100-2"), 0 if absent."""
    for gtid in filter(None, (position or "").split(",")):
        d, _, seq = gtid.strip().split("-")
        if int(d) == domain:
            return int(seq)
    return 0


def _free_port_beside(cluster):
    """A free port that is none of the cluster's (they may not be bound yet)."""
    taken = {cluster.base_port + off for off in _OFFSETS}
    while True:
        port = free_port()
        if port not in taken:
            return port


class DRReplica:
    """The replica of tools/pchat-dr beside a GaleraCluster (see the module's doc)."""

    def __init__(self, cluster, port=None, pool="64M"):
        if os.path.basename(cluster.basedir) != "galera":
            raise MariaDBError(f"tools/pchat-dr finds the cluster in $PCHAT_RUN_DIR/galera, "
                               f"not {cluster.basedir}")
        self.cluster = cluster
        self.run_dir = os.path.dirname(cluster.basedir)
        self.port = port or _free_port_beside(cluster)
        self.env = dict(cluster.env, PCHAT_RUN_DIR=self.run_dir, PCHAT_DR_PORT=str(self.port),
                        PCHAT_DR_POOL=pool)
        # the server the tool starts, for queries and a kill -9
        self.db = MariaDB(os.path.join(self.run_dir, "dr"), self.port)

    def tool(self, *args, timeout=120):
        """Runs tools/pchat-dr; its output, or MariaDBError with it."""
        result = subprocess.run([DR_TOOL, *args], env=self.env, capture_output=True, text=True,
                                stdin=subprocess.DEVNULL, timeout=timeout)
        if result.returncode != 0:
            raise MariaDBError(f"pchat-dr {' '.join(args)} failed ({result.returncode}):\n"
                               f"{result.stdout}{result.stderr}\n{self.db._error_log_tail(10)}")
        return result.stdout

    def start(self):
        return self.tool("start")

    def stop(self):
        if self.db.is_running():
            self.tool("stop")

    def promote(self):
        return self.tool("promote")

    def wait_caught_up(self, timeout=60):
        return self.tool("wait", str(timeout), timeout=timeout + 30)

    def url(self):
        return self.db.url(DB_USER, DB_PASS, DB_NAME)

    def sql(self, statement, db=None, timeout=60.0):
        return self.db.sql(statement, db=db, timeout=timeout)

    def delay_probe(self, source):
        """One sample of the lag behind Galera node ``source``: (transactions
        the source had logged and this replica had not applied, an upper
        bound as the source is read just after this replica; seconds until
        this replica applied what the source had logged then). Both clocks
        are this machine's; the seconds include a client's start (~10 ms)."""
        applied = self.sql("SELECT @@gtid_slave_pos")[0][0]
        pos, at = self.cluster.sql(source, "SELECT @@gtid_binlog_pos, UNIX_TIMESTAMP(NOW(6))")[0]
        waited, done = self.sql(f"SELECT MASTER_GTID_WAIT('{pos}', 30), UNIX_TIMESTAMP(NOW(6))")[0]
        if waited != "0":
            raise MariaDBError(f"the replica did not reach {pos} within 30 s")
        return gtid_seq(pos) - gtid_seq(applied), float(done) - float(at)
