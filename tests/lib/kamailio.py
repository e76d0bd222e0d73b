"""The real Debian Kamailio, started with our modules for one test module.

Each instance gets its own loopback port (UDP and TCP), runtime directory and
ctl socket, and is started with the configuration from cfg/ exactly as an
operator would, with #!define overrides (-A) for ports, URIs and timers.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KAMAILIO = "/usr/sbin/kamailio"
KAMCMD = shutil.which("kamcmd") or "/usr/sbin/kamcmd"


class KamailioError(RuntimeError):
    """Kamailio did not start, or an RPC failed."""


class Kamailio:
    def __init__(self, port, db_url, cfg="cfg/pchat-standalone.cfg", defines=None,
                 domain="example.com", debug=2, shm_mb=128, addr="127.0.0.1", env=None):
        """env: variables added to Kamailio's environment (e.g. a fake
        clock's, tests/lib/fakeclock.py)"""
        self.port = port
        self.addr = addr
        self.domain = domain
        self.cfg = os.path.join(TOP, cfg)
        self.rundir = tempfile.mkdtemp(prefix="pchat-kam-")
        self.logfile = os.path.join(self.rundir, "kamailio.log")
        self.ctl = os.path.join(self.rundir, "kamailio_ctl")
        self.defines = {
            "PCHAT_ADDR": addr,
            "PCHAT_PORT": str(port),
            "PCHAT_DOMAIN": domain,
            "PCHAT_DB_URL": f'"{db_url}"',
            "PCHAT_MODULES": os.path.join(TOP, "modules"),
            "PCHAT_RUNDIR": self.rundir,
            "PCHAT_DEBUG": str(debug),
            # every test user signs in from 127.0.0.1: far above the cfg's
            # default per-address INVITE rate (a test sets it low to test it)
            "PCHAT_MAX_INVITES_PER_SECOND": "10000",
        }
        self.defines.update(defines or {})
        self.shm_mb = shm_mb
        self.env = dict(os.environ, **env) if env else None
        self.proc = None

    @property
    def lookup_uri(self):
        return f"sip:ocschat@{self.domain}"

    @property
    def service_uri(self):
        return f"sip:pchat@{self.domain}"

    def command_line(self):
        # PCHAT_VALGRIND=1 runs Kamailio under memcheck (one log per process
        # in the run directory) to look for memory errors in our modules
        prefix = []
        if os.environ.get("PCHAT_VALGRIND"):
            prefix = ["valgrind", "--tool=memcheck", "--error-limit=no",
                      "--log-file=" + os.path.join(self.rundir, "valgrind.%p.log")]
        cmd = prefix + [KAMAILIO, "-DD", "-E", "-x", "tlsf", "-m", str(self.shm_mb), "-M", "16",
               "-a", "no", "-f", self.cfg, "-Y", self.rundir, "-w", self.rundir,
               "-P", os.path.join(self.rundir, "kamailio.pid")]
        for name, value in self.defines.items():
            cmd += ["-A", f"{name}={value}"]
        return cmd

    def start(self, timeout=None):
        if timeout is None:
            timeout = 120 if os.environ.get("PCHAT_VALGRIND") else 20
        log = open(self.logfile, "ab")
        self.proc = subprocess.Popen(self.command_line(), stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     env=self.env)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise KamailioError(f"kamailio exited with {self.proc.returncode}:\n"
                                    + self.log_tail())
            if os.path.exists(self.ctl) and self._tcp_open():
                try:
                    self.rpc("core.uptime")
                    return self
                except KamailioError:
                    pass
            time.sleep(0.1)
        self.stop()
        raise KamailioError("kamailio did not come up in time:\n" + self.log_tail())

    def _tcp_open(self):
        try:
            with socket.create_connection((self.addr, self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self, timeout=15):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def rpc(self, *args, timeout=10):
        """Runs an RPC with kamcmd over the instance's ctl socket; returns stdout."""
        res = subprocess.run([KAMCMD, "-s", f"unix:{self.ctl}", *map(str, args)],
                             capture_output=True, text=True, timeout=timeout)
        if res.returncode != 0 or res.stdout.startswith("error"):
            raise KamailioError(f"kamcmd {' '.join(map(str, args))}: "
                                f"{res.stdout.strip()} {res.stderr.strip()}")
        return res.stdout

    def admin(self, method, *args, timeout=30):
        """Runs an admin RPC through tools/pchatctl (JSON-RPC over the FIFO),
        as an operator would, and returns its result rendered the way kamcmd
        prints it, so callers parse one format. A fault raises KamailioError
        with "error: <code> - <message>" like rpc()."""
        import json
        import re
        res = subprocess.run([PCHATCTL, "--fifo", os.path.join(self.rundir, "kamailio_rpc.fifo"),
                              "--json", "rpc", method, *map(str, args)],
                             capture_output=True, text=True, timeout=timeout)
        if res.returncode != 0:
            m = re.search(r"^pchatctl: [^:]+: (.*) \((-?\d+)\)$", res.stderr.strip(), re.S)
            if not m:
                raise KamailioError(f"pchatctl rpc {method}: {res.stderr.strip()}")
            raise KamailioError(f"error: {m.group(2)} - {m.group(1)}")
        return _kamcmd_text(json.loads(res.stdout) if res.stdout.strip() else None)

    def sessions(self):
        """pchat.sessions parsed into a list of dicts (kamcmd's text format)."""
        out = self.rpc("pchat.sessions")
        sessions, cur = [], None
        for line in out.splitlines():
            line = line.strip()
            if line == "{":
                cur = {}
            elif line == "}":
                if cur is not None:
                    sessions.append(cur)
                cur = None
            elif cur is not None and ":" in line:
                key, _, value = line.partition(":")
                cur[key.strip()] = value.strip()
        return sessions

    def process_pid(self, desc):
        """The pid of the process core.psx lists as desc (its DSC)."""
        m = re.search(r"PID: (\d+)\s+DSC: " + re.escape(desc) + r"\s*$",
                      self.rpc("core.psx"), re.M)
        if not m:
            raise KamailioError(f"no process {desc!r} in core.psx")
        return int(m.group(1))

    def log(self):
        with open(self.logfile, "r", errors="replace") as f:
            return f.read()

    def log_tail(self, lines=40):
        return "\n".join(self.log().splitlines()[-lines:])

    def cleanup(self):
        self.stop()
        if os.environ.get("PCHAT_VALGRIND") or os.environ.get("PCHAT_KEEP_RUNDIR"):
            return  # keep the logs in self.rundir for reading
        shutil.rmtree(self.rundir, ignore_errors=True)


def wakeups(pid):
    """The process's voluntary context switches so far (each sleep it woke
    from, each statement or pipe it waited for)."""
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^voluntary_ctxt_switches:\s*(\d+)", f.read(), re.M).group(1))


def _kamcmd_value(v):
    if isinstance(v, bool):
        return "1" if v else "0"
    return "" if v is None else str(v)


def _kamcmd_text(result):
    """JSON-RPC result in kamcmd's text layout: one {...} block per struct,
    nested arrays as "key: {" blocks with one value per line."""
    def struct(d, indent):
        out = ["\t" * indent + "{"]
        for k, v in d.items():
            pad = "\t" * (indent + 1)
            if isinstance(v, list):
                out.append(f"{pad}{k}: {{")
                out += [pad + "\t" + _kamcmd_value(x) for x in v]
                out.append(pad + "}")
            elif isinstance(v, dict):
                out.append(f"{pad}{k}: {{")
                out += [f"{pad}\t{kk}: {_kamcmd_value(vv)}" for kk, vv in v.items()]
                out.append(pad + "}")
            else:
                out.append(f"{pad}{k}: {_kamcmd_value(v)}")
        out.append("\t" * indent + "}")
        return out
    if result is None:
        return ""
    items = result if isinstance(result, list) else [result]
    lines = []
    for item in items:
        lines += struct(item, 0) if isinstance(item, dict) else [_kamcmd_value(item)]
    return "\n".join(lines) + "\n"


PCHATCTL = os.environ.get("PCHATCTL") or os.path.join(TOP, "tools", "pchatctl", "pchatctl")


def pchatctl(kam, *args, json_output=False, timeout=30):
    """Runs tools/pchatctl against an instance's JSON-RPC FIFO.

    Returns the CompletedProcess (returncode, stdout, stderr); with
    json_output the verb runs with --json and .json holds the parsed result.
    """
    import json
    cmd = [PCHATCTL, "--fifo", os.path.join(kam.rundir, "kamailio_rpc.fifo")]
    if json_output:
        cmd.append("--json")
    res = subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True,
                         timeout=timeout)
    res.json = json.loads(res.stdout) if json_output and res.returncode == 0 else None
    return res
