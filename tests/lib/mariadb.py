"""A private MariaDB server for integration tests.

Tests must not touch a system-wide database, and several test runs may share a
machine, so each test session gets its own datadir, socket and loopback port.
The server runs as root (tests and CI run as root; Debian's mariadbd then
needs ``--user=root``) and ignores every my.cnf (``--no-defaults``), so the
machine's configuration cannot change the results.

    db = MariaDB("/tmp/pchat-db", free_port())
    db.start()                       # initialises the datadir on first use only
    db.sql("CREATE DATABASE pchat")
    db.load_file("schema.sql", "pchat")
    rows = db.sql("SELECT id, name FROM room", db="pchat")   # [('1', 'lobby'), ...]
    db.stop()

Only the standard library and the MariaDB command-line tools are used.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import time

# Longest path a Unix socket address can hold (sun_path minus the NUL).
_MAX_SOCKET_PATH = 107

_UNESCAPE = {"n": "\n", "t": "\t", "0": "\0", "\\": "\\"}


class MariaDBError(RuntimeError):
    """The private server could not be set up, started, stopped or queried."""


def _binary(name):
    """Full path of a MariaDB tool; /usr/sbin is searched too since mariadbd lives there."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if path is None:
        raise MariaDBError(f"{name} not found: install mariadb-server and mariadb-client "
                           "(tools/install-deps.sh)")
    return path


def mroonga_installed():
    """Debian's mariadb-plugin-mroonga is there (the search index's engine)."""
    return any(os.path.exists(os.path.join(d, "ha_mroonga.so"))
               for d in ("/usr/lib/mysql/plugin", "/usr/lib/x86_64-linux-gnu/mariadb19/plugin"))


def free_port(host="127.0.0.1"):
    """A loopback port that is free for both TCP and UDP right now.

    SIP listens on both transports on one port, so the port is bound with both
    protocols before it is returned.  Another process may still take it before
    the caller binds it; callers that start a server should fail clearly then.
    """
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((host, 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((host, port))
                except OSError:
                    continue
                return port
    raise OSError(f"no port free for both TCP and UDP on {host}")


def _tcp_port_busy(port):
    """True if mariadbd could not listen on 127.0.0.1:port.

    SO_REUSEADDR is set as mariadbd sets it, so TIME_WAIT leftovers of the
    previous run (e.g. before restart()) do not count as busy.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _client_error(stderr):
    """The ERROR lines of the mariadb client's stderr (it also echoes the failed query)."""
    text = stderr.decode("utf-8", "replace").strip()
    errors = [line for line in text.splitlines() if line.startswith("ERROR")]
    return "\n".join(errors) or text


def _parse_batch_output(text):
    """Rows of `mariadb --batch --skip-column-names` output as tuples.

    Fields are tab-separated with \\n, \\t, \\0 and \\\\ escaped; NULL becomes
    None (a literal string 'NULL' cannot be told apart and is returned as None too).
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    rows = []
    for line in lines:
        fields = line.split("\t")
        rows.append(tuple(None if field == "NULL" else
                          re.sub(r"\\(.)", lambda m: _UNESCAPE.get(m.group(1), m.group(1)), field)
                          for field in fields))
    return rows


class MariaDB:
    """One private mariadbd: datadir ``basedir/data``, socket ``basedir/mysqld.sock``.

    Files in basedir: data/ (the datadir, kept between start()s), mysqld.sock,
    mysqld.pid, error.log (the server's log, quoted in errors) and mariadbd.out
    (its stdout/stderr).  root@localhost has no password and is reached over
    the socket; create SQL users for clients that connect over TCP.
    """

    def __init__(self, basedir, port, defaults_file=None):
        """defaults_file: an option file the server reads instead of none
        (a Galera node's, see galera.py); it then sets the buffer pool too."""
        self.basedir = os.path.abspath(basedir)
        self.port = port
        self.defaults_file = defaults_file
        self.datadir = os.path.join(self.basedir, "data")
        self.socket = os.path.join(self.basedir, "mysqld.sock")
        self.pid_file = os.path.join(self.basedir, "mysqld.pid")
        self.error_log = os.path.join(self.basedir, "error.log")
        # its own temporary directory: concurrent servers never share /tmp's
        # "#sql-temptable-*" files (an install failed on one another deleted)
        self.tmpdir = os.path.join(self.basedir, "tmp")
        self._process = None
        if len(self.socket.encode()) > _MAX_SOCKET_PATH:
            raise MariaDBError(f"socket path too long for a Unix socket ({len(self.socket)} "
                               f"bytes): {self.socket}; use a shorter basedir")

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def url(self, user, password, database):
        """A Kamailio-style db_url for a client connecting over TCP to this server."""
        return f"mysql://{user}:{password}@127.0.0.1:{self.port}/{database}"

    # ----- lifecycle -----

    def is_initialised(self):
        """True if the datadir already holds the system tables."""
        return os.path.isdir(os.path.join(self.datadir, "mysql"))

    def _initialise(self):
        """Create the system tables in a scratch dir, then move it into place.

        Working on a scratch dir means an interrupted run never leaves a
        half-made datadir that a later start() would try to reuse.
        """
        scratch = self.datadir + ".init"
        shutil.rmtree(scratch, ignore_errors=True)
        os.makedirs(self.tmpdir, exist_ok=True)
        result = subprocess.run(
            [_binary("mariadb-install-db"), "--no-defaults",
             "--auth-root-authentication-method=normal", f"--datadir={scratch}", "--user=root",
             f"--tmpdir={self.tmpdir}",
             # no host name lookups: a machine without /etc/hosts still works
             "--skip-test-db", "--skip-name-resolve", "--force"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            shutil.rmtree(scratch, ignore_errors=True)
            raise MariaDBError(f"mariadb-install-db failed ({result.returncode}):\n"
                               f"{result.stdout}\n{result.stderr}")
        os.rename(scratch, self.datadir)

    def _foreign_pid(self):
        """PID of a mariadbd on this datadir that this object did not start (None if none)."""
        try:
            with open(self.pid_file) as handle:
                pid = int(handle.read().strip())
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                cmdline = handle.read().split(b"\0")
        except (OSError, ValueError):
            return None
        if f"--datadir={self.datadir}".encode() in cmdline:
            return pid
        return None

    def _pid(self):
        """PID of the server on this datadir if it is running, else None."""
        if self._process is not None and self._process.poll() is None:
            return self._process.pid
        return self._foreign_pid()

    def is_running(self):
        """True if a mariadbd process on this datadir is alive (it may still be starting)."""
        return self._pid() is not None

    def ping(self):
        """True if the server answers `SELECT 1` over its socket."""
        try:
            return self.sql("SELECT 1", timeout=5) == [("1",)]
        except (MariaDBError, subprocess.TimeoutExpired):
            return False

    def start(self, timeout=60.0, extra_args=()):
        """Start the server (initialising the datadir only if needed) and wait until it answers.

        extra_args are added to mariadbd's command line (e.g. --wsrep-new-cluster).

        A no-op if this object's server is already running.  Raises
        MariaDBError if the port is taken, if another mariadbd already runs on
        this datadir, or if the server exits or does not answer within ``timeout``.
        """
        if self._process is not None and self._process.poll() is None:
            return
        os.makedirs(self.basedir, exist_ok=True)
        foreign = self._foreign_pid()
        if foreign is not None:
            raise MariaDBError(f"a mariadbd (pid {foreign}) already runs on {self.datadir}; "
                               "stop() it first")
        if _tcp_port_busy(self.port):
            raise MariaDBError(f"port {self.port} on 127.0.0.1 is already in use; "
                               "pick another one (free_port())")
        if not self.is_initialised():
            self._initialise()
        os.makedirs(self.tmpdir, exist_ok=True)
        # Debian's mariabackup SST passes a command line's buffer pool size on
        # to mariadb-backup, which refuses it: a Galera node's file sets it
        defaults = ([f"--defaults-file={self.defaults_file}"] if self.defaults_file
                    else ["--no-defaults", "--innodb-buffer-pool-size=64M"])
        # the history search's text index (sql/pchat-search-index.sql) when
        # Debian's mariadb-plugin-mroonga is installed
        plugins = ["--plugin-load-add=ha_mroonga.so"] if mroonga_installed() else []
        command = [_binary("mariadbd"), *defaults, *plugins, f"--datadir={self.datadir}",
                   f"--socket={self.socket}", f"--port={self.port}", "--bind-address=127.0.0.1",
                   f"--pid-file={self.pid_file}", "--user=root", "--skip-name-resolve",
                   f"--log-error={self.error_log}", "--skip-log-bin",
                   f"--tmpdir={self.tmpdir}", *extra_args]
        with open(os.path.join(self.basedir, "mariadbd.out"), "ab") as output:
            self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output,
                                             stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not self.ping():
            if self._process.poll() is not None:
                code = self._process.returncode
                self._process = None
                raise MariaDBError(f"mariadbd exited with {code} while starting:\n"
                                   f"{self._error_log_tail()}")
            if time.monotonic() > deadline:
                self._kill(self._process.pid)
                self._process.wait()
                self._process = None
                raise MariaDBError(f"mariadbd did not answer within {timeout}s:\n"
                                   f"{self._error_log_tail()}")
            time.sleep(0.2)

    def stop(self, timeout=30.0):
        """Shut the server down gracefully (mariadb-admin shutdown), else SIGTERM, else SIGKILL."""
        pid = self._pid()
        if pid is None:
            self._process = None
            return
        try:
            subprocess.run([_binary("mariadb-admin"), "--no-defaults", f"--socket={self.socket}",
                            "--user=root", "shutdown"], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        if not self._wait_exit(pid, timeout):
            os.kill(pid, signal.SIGTERM)
            if not self._wait_exit(pid, timeout):
                self._kill(pid)
                self._wait_exit(pid, 10)
        self._process = None

    def kill9(self, timeout=10.0):
        """SIGKILL the server (a crash: no shutdown, nothing flushed) and wait for its end."""
        pid = self._pid()
        if pid is None:
            raise MariaDBError(f"no mariadbd runs on {self.datadir}")
        self._kill(pid)
        if not self._wait_exit(pid, timeout):
            raise MariaDBError(f"mariadbd {pid} still runs {timeout}s after SIGKILL")
        self._process = None

    def restart(self, timeout=60.0):
        """stop() then start() on the same datadir and port."""
        self.stop()
        self.start(timeout)

    def _wait_exit(self, pid, timeout):
        """Wait for ``pid`` to exit (reaping it if it is our child); True if it did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.pid == pid:
                if self._process.poll() is not None:
                    return True
            elif not os.path.exists(f"/proc/{pid}"):
                return True
            time.sleep(0.1)
        return False

    @staticmethod
    def _kill(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def _error_log_tail(self, lines=30):
        try:
            with open(self.error_log, errors="replace") as handle:
                return "".join(handle.readlines()[-lines:])
        except OSError:
            return "(no error log)"

    # ----- queries -----

    def _client(self, db):
        command = [_binary("mariadb"), "--no-defaults", f"--socket={self.socket}", "--user=root",
                   "--batch", "--skip-column-names", "--default-character-set=utf8mb4"]
        if db:
            command.append(f"--database={db}")
        return command

    def sql(self, statement, db=None, timeout=60.0):
        """Run SQL as root over the socket; return the rows as tuples of str (NULL -> None).

        ``statement`` may hold several statements separated by ';' (the rows
        of every result set are concatenated).  Raises MariaDBError with the
        client's message if any statement fails.
        """
        result = subprocess.run(self._client(db), input=statement.encode("utf-8"),
                                capture_output=True, timeout=timeout)
        if result.returncode != 0:
            raise MariaDBError(f"SQL failed: {_client_error(result.stderr)}\n"
                               f"  statement: {statement[:500]}")
        return _parse_batch_output(result.stdout.decode("utf-8"))

    def hold_rows(self, table, where, db="pchat"):
        """A second client that locks ``table``'s rows matching ``where``
        (SELECT ... FOR UPDATE in an open transaction, as a DBA's or a
        report's transaction would) until ``release()`` on the returned
        lock: statements that lock the same rows wait for it."""
        return RowLock(self._client(db), table, where)

    def load_file(self, path, db, timeout=300.0):
        """Execute an SQL file (e.g. a schema) in database ``db``."""
        with open(path, "rb") as handle:
            result = subprocess.run(self._client(db), stdin=handle, capture_output=True,
                                    timeout=timeout)
        if result.returncode != 0:
            raise MariaDBError(f"loading {path} into {db} failed: "
                               f"{_client_error(result.stderr)}")


class RowLock:
    """See MariaDB.hold_rows."""

    def __init__(self, client, table, where):
        self.proc = subprocess.Popen(client + ["--unbuffered"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.proc.stdin.write("SET SESSION innodb_lock_wait_timeout = 60; BEGIN; "
                              f"SELECT 'locked', COUNT(*) FROM {table} WHERE {where} "
                              "FOR UPDATE;\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if "locked" not in line:
            raise MariaDBError(f"could not lock {table} where {where}: {line!r}")

    def release(self):
        """Ends the transaction: the waiting statements go on."""
        if self.proc.stdin.closed:
            return
        self.proc.stdin.write("ROLLBACK;\n")
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
