"""pchatctl as a command-line program, without Kamailio.

The server side is played by small fakes written here: a jsonrpcs-like FIFO
server (request FIFO, answer written into the client's reply FIFO in the
same directory) and a raw HTTP server that, like Kamailio, keeps the TCP
connection open after answering. They check what pchatctl sends and feed it
canned answers, so the rendering can be checked byte for byte.
"""

import errno
import json
import os
import pwd
import re
import select
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL_DIR = os.path.join(TOP, "tools", "pchatctl")
PCHATCTL = os.path.join(TOOL_DIR, "pchatctl")

# verb -> RPC method, as in the specification of pchatctl
VERBS = {
    "new-category": "pchat.category_new",
    "get-category": "pchat.category_get",
    "set-category": "pchat.category_set",
    "remove-category": "pchat.category_remove",
    "new-room": "pchat.room_new",
    "get-room": "pchat.room_get",
    "set-room": "pchat.room_set",
    "remove-room": "pchat.room_remove",
    "clear-room": "pchat.room_clear",
    "remove-message": "pchat.message_remove",
    "new-addin": "pchat.addin_new",
    "get-addin": "pchat.addin_get",
    "set-addin": "pchat.addin_set",
    "remove-addin": "pchat.addin_remove",
    "grant-policy": "pchat.policy_grant",
    "get-policy": "pchat.policy_get",
    "get-config": "pchat.config_get",
    "set-config": "pchat.config_set",
    "get-compliance": "pchat.compliance_get",
    "set-compliance": "pchat.compliance_set",
    "run-compliance": "pchat.compliance_run",
    "new-group": "pchat.group_new",
    "get-group": "pchat.group_get",
    "set-group": "pchat.group_set",
    "remove-group": "pchat.group_remove",
    "get-eligible-principal": "pchat.eligible_principals",
    "get-session": "pchat.sessions",
    "status": "pchat.status",
    "get-endpoint": "pchat.pool",
    "get-state": "pchat.pool_state",
    "set-state": "pchat.pool_state",
    "new-hold": "pchat.hold_add",
    "get-hold": "pchat.hold_list",
    "remove-hold": "pchat.hold_remove",
    "get-file": "pchat.file_list",
    "remove-file": "pchat.file_remove",
    "run-retention": "pchat.retention_run",
    "get-retention": "pchat.retention_status",
    "search": "pchat.search",
    "get-follow": "pchat.follow_list",
    "get-alert": "pchat.alert_list",
    "test-message": "pchat.room_get, pchat.room_new",
    "export-data": None,
    "import-data": "pchat.caches_drop",
    "rpc": None,
}

# verb -> its required options, each of which must be refused when missing
REQUIRED = {
    "get-alert": ["user"],
    "new-category": ["name"],
    "set-category": ["name"],
    "remove-category": ["name"],
    "new-room": ["name", "category"],
    "set-room": ["name"],
    "remove-room": ["name"],
    "clear-room": ["name", "end-date"],
    "remove-message": ["room"],
    "new-addin": ["name", "url"],
    "set-addin": ["name"],
    "remove-addin": ["name"],
    "grant-policy": ["scope", "enabled"],
    "new-group": ["name"],
    "set-group": ["name"],
    "remove-group": ["name"],
    "set-state": ["state"],
    "remove-file": ["name"],
    "get-follow": ["user"],
    "export-data": ["file"],
    "import-data": ["file"],
}

# what pchatctl adds to the RPCs that record who made a change
CALLER = "caller=" + pwd.getpwuid(os.getuid()).pw_name
REPLY_NAME = re.compile(r"^pchatctl_[0-9]+_[0-9]+$")


@pytest.fixture(scope="module", autouse=True)
def pchatctl_built():
    build = subprocess.run(["make", "-s", "-C", TOOL_DIR], capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr
    assert "warning" not in build.stderr
    assert os.access(PCHATCTL, os.X_OK)


def run(*args, env=None, cwd=None, timeout=30):
    """pchatctl with args; PCHAT_RPC_FIFO only when the test sets it."""
    full_env = {k: v for k, v in os.environ.items() if k != "PCHAT_RPC_FIFO"}
    full_env.update(env or {})
    return subprocess.run([PCHATCTL, *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout)


def kamailio_request_end(data):
    """Where jsonrpcs' FIFO reader (jsonrpc_read_stream in jsonrpcs_fifo.c)
    takes a request to end: braces counted outside strings, a quote after a
    backslash taken as escaped. None when it would keep reading."""
    in_string, quote, depth, seen_brace = False, None, 0, False
    for i, ch in enumerate(data):
        prev = data[i - 1] if i > 0 else None
        if ch in "\"'" and (not in_string or quote == ch):
            if prev != "\\":
                in_string, quote = not in_string, ch
        elif ch == "{" and not in_string:
            seen_brace, depth = True, depth + 1
        elif ch == "}" and not in_string:
            depth -= 1
        if seen_brace and depth == 0:
            return i + 1
    return None


class FakeFifoServer:
    """Reads one request from its FIFO and answers with reply(request),
    a dict (sent as JSON), a str (sent as is) or None (no answer)."""

    def __init__(self, directory, reply, fifo_name="kamailio_rpc.fifo"):
        self.dir = directory
        self.path = os.path.join(directory, fifo_name)
        os.mkfifo(self.path)
        self.reply = reply
        self.raw = None
        self.request = None
        self.reply_fifo_mode = None
        self.received = threading.Event()
        self.error = None
        # like Kamailio: reader open before any client, plus a writer of our
        # own so that a client closing its end is not an end of file
        self.read_fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self.keep_fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            self._serve_one()
        except Exception as exc:  # reported by join()
            self.error = exc

    def _serve_one(self):
        data = b""
        deadline = time.monotonic() + 20
        while b"\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([self.read_fd], [], [], left)
            if ready:
                data += os.read(self.read_fd, 65536)
        self.raw = data.decode()
        self.request = json.loads(self.raw.split("\n", 1)[0])
        reply_path = os.path.join(self.dir, self.request["reply_name"])
        self.reply_fifo_mode = os.stat(reply_path).st_mode
        self.received.set()
        answer = self.reply(self.request)
        if answer is None:
            return
        if isinstance(answer, dict):
            answer = json.dumps(answer, indent=4)  # jsonrpcs pretty-prints
        # as jsonrpcs does: non-blocking open, a few tries while ENXIO
        for _ in range(50):
            try:
                fd = os.open(reply_path, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as exc:
                if exc.errno != errno.ENXIO:
                    raise
                time.sleep(0.02)
        else:
            raise AssertionError("pchatctl never opened its reply FIFO")
        os.set_blocking(fd, True)
        os.write(fd, answer.encode())
        os.close(fd)

    def join(self):
        self.thread.join(10)
        os.close(self.read_fd)
        os.close(self.keep_fd)
        if self.error:
            raise self.error


def result_of(value):
    return lambda req: {"jsonrpc": "2.0", "result": value, "id": req["id"]}


@pytest.fixture
def tmpdir_path():
    with tempfile.TemporaryDirectory(prefix="pchatctl-") as d:
        yield d


def call(tmpdir_path, reply, *args, env=None, cwd=None):
    """Runs pchatctl against a fake FIFO server; returns (process, server)."""
    server = FakeFifoServer(tmpdir_path, reply)
    proc = run("--fifo", server.path, *args, env=env, cwd=cwd)
    server.join()
    return proc, server


def leftovers(directory):
    return sorted(n for n in os.listdir(directory) if n != "kamailio_rpc.fifo")


# --- help -----------------------------------------------------------------

@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_lists_every_verb_and_the_exit_codes(flag):
    proc = run(flag)
    assert proc.returncode == 0
    verbs_section = proc.stdout.split("\nVerbs:\n", 1)[1].split("\n\n", 1)[0]
    listed = re.findall(r"^  ([a-z-]+)  +\S", verbs_section, re.M)
    assert listed == list(VERBS)
    for option in ("--fifo PATH", "--url URL", "--timeout S", "--json"):
        assert option in proc.stdout
    assert "3 Kamailio not reachable" in proc.stdout
    assert proc.stderr == ""


@pytest.mark.parametrize("verb", list(VERBS))
def test_each_verb_has_help_naming_its_method(verb):
    proc = run(verb, "--help")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"Usage: pchatctl [GLOBAL OPTIONS] {verb}")
    if VERBS[verb]:
        assert f"RPC method: {VERBS[verb]}\n" in proc.stdout
    for option in REQUIRED.get(verb, []):
        assert re.search(rf"^  --{option} \S+ +R ", proc.stdout, re.M), option


def test_verb_help_shows_markers_and_allowed_values():
    out = run("new-room", "--help").stdout
    assert re.search(r"^  --privacy open\|closed\|secret +  +who", out, re.M)
    assert re.search(r"^  --type normal\|auditorium ", out, re.M)
    assert re.search(r"^  --member PRINCIPAL +\* ", out, re.M)
    assert re.search(r"^  --category NAME +R ", out, re.M)
    # help wins even after a mistake it would explain, and also works as
    # "help VERB" and as a global flag before the verb
    assert run("new-room", "--bogus", "--help").stdout == out
    assert run("help", "new-room").stdout == out
    assert run("--help", "new-room").stdout == out


# --- usage errors: exit 2, nothing sent ------------------------------------
# --fifo names a missing FIFO: a transport attempt would exit 3, not 2.

NO_FIFO = "/nonexistent/kamailio_rpc.fifo"


def usage_error(*args):
    proc = run("--fifo", NO_FIFO, *args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stdout == ""
    return proc.stderr


def test_no_verb_is_a_usage_error():
    assert "no verb given" in usage_error()


def test_global_option_without_value_is_a_usage_error():
    proc = run("--fifo")
    assert proc.returncode == 2
    assert "option --fifo needs a value" in proc.stderr


def test_unknown_verb_is_a_usage_error():
    err = usage_error("frobnicate", "--name", "x")
    assert "pchatctl: unknown verb 'frobnicate'" in err
    assert "Try 'pchatctl --help'." in err


@pytest.mark.parametrize("verb,missing", [(v, o) for v, opts in REQUIRED.items() for o in opts])
def test_missing_required_option_is_named(verb, missing):
    args = []
    for option in REQUIRED[verb]:
        if option != missing:
            args += [f"--{option}", "x"]
    err = usage_error(verb, *args)
    assert f"pchatctl: {verb}: missing required option --{missing}\n" in err


def test_unknown_option_is_a_usage_error():
    assert "get-room: unknown option --colour\n" in usage_error("get-room", "--colour", "red")


def test_global_option_after_the_verb_gets_a_hint():
    err = usage_error("get-room", "--json")
    assert "unknown option --json (global options go before the verb)" in err


def test_option_without_value_is_a_usage_error():
    err = usage_error("new-room", "--name", "dev", "--category")
    assert "option --category needs a value" in err
    # a forgotten value must not swallow the next option
    err = usage_error("new-room", "--name", "--category", "eng")
    assert "option --name needs a value" in err


def test_single_option_twice_is_a_usage_error():
    err = usage_error("new-room", "--name", "a", "--name=b", "--category", "c")
    assert "option --name given more than once" in err


def test_stray_argument_is_a_usage_error():
    assert "unexpected argument 'now'" in usage_error("status", "now")


def test_set_config_needs_a_setting():
    assert "give at least one --SETTING VALUE" in usage_error("set-config")


def test_rpc_needs_a_method():
    assert "missing the RPC method" in usage_error("rpc")


@pytest.mark.parametrize("args,message", [
    (["--timeout", "0"], "--timeout wants seconds"),
    (["--timeout", "soon"], "--timeout wants seconds"),
    (["--url", "https://127.0.0.1/RPC"], "expected http://HOST[:PORT][/PATH]"),
    (["--url", "http://127.0.0.1:99999/RPC"], "expected http://HOST[:PORT][/PATH]"),
    (["--colour"], "unknown global option '--colour'"),
    (["status", "--fifo"], "unknown option --fifo (global options go before"),
])
def test_bad_global_option_is_a_usage_error(args, message):
    proc = run(*args, "status")
    assert proc.returncode == 2
    assert message in proc.stderr


# --- transport errors: exit 3 ----------------------------------------------

def test_missing_fifo_is_a_transport_error(tmpdir_path):
    path = os.path.join(tmpdir_path, "kamailio_rpc.fifo")
    proc = run("--fifo", path, "status")
    assert proc.returncode == 3
    assert f"FIFO {path} does not exist: is Kamailio running?" in proc.stderr
    assert os.listdir(tmpdir_path) == []


def test_default_fifo_is_relative_to_the_current_directory(tmpdir_path):
    proc = run("status", cwd=tmpdir_path)
    assert proc.returncode == 3
    assert "FIFO .run/kamailio/kamailio_rpc.fifo does not exist" in proc.stderr


def test_regular_file_is_not_a_fifo(tmpdir_path):
    path = os.path.join(tmpdir_path, "kamailio_rpc.fifo")
    open(path, "w").close()
    proc = run("--fifo", path, "status")
    assert proc.returncode == 3
    assert f"{path} is not a FIFO" in proc.stderr


def test_fifo_without_reader_fails_fast(tmpdir_path):
    path = os.path.join(tmpdir_path, "kamailio_rpc.fifo")
    os.mkfifo(path)
    started = time.monotonic()
    proc = run("--fifo", path, "--timeout", "10", "status")
    assert time.monotonic() - started < 3
    assert proc.returncode == 3
    assert f"Kamailio is not running (no reader on FIFO {path})" in proc.stderr
    assert os.listdir(tmpdir_path) == ["kamailio_rpc.fifo"]


def test_no_answer_times_out_and_removes_the_reply_fifo(tmpdir_path):
    server = FakeFifoServer(tmpdir_path, lambda req: None)
    started = time.monotonic()
    proc = run("--fifo", server.path, "--timeout", "0.5", "status")
    elapsed = time.monotonic() - started
    server.join()
    assert server.request["method"] == "pchat.status"
    assert 0.5 <= elapsed < 3
    assert proc.returncode == 3
    assert (f"no answer from Kamailio on FIFO {server.path} within 0.5 s: "
            "is it running?") in proc.stderr
    assert leftovers(tmpdir_path) == []


def test_reply_fifo_is_removed_when_killed(tmpdir_path):
    server = FakeFifoServer(tmpdir_path, lambda req: None)
    proc = subprocess.Popen([PCHATCTL, "--fifo", server.path, "status"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert server.received.wait(10)
    assert leftovers(tmpdir_path) == [server.request["reply_name"]]
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=10)
    server.join()
    assert proc.returncode == -signal.SIGTERM
    assert leftovers(tmpdir_path) == []


def test_garbage_answer_is_a_transport_error(tmpdir_path):
    proc, _ = call(tmpdir_path, lambda req: "<html>", "status")
    assert proc.returncode == 3
    assert "not a JSON-RPC answer" in proc.stderr


# --- the request -----------------------------------------------------------

def test_request_shape_order_and_repetition(tmpdir_path):
    proc, server = call(
        tmpdir_path, result_of({}), "new-room", "--name", "dev",
        "--category=eng", "--member", "sip:a@example.com",
        "--description", "x=y, with spaces", "--member=sip:b@example.com",
        "--privacy", "open")
    assert proc.returncode == 0, proc.stderr
    request = server.request
    assert request["jsonrpc"] == "2.0"
    assert request["method"] == "pchat.room_new"
    assert request["params"] == [
        "name=dev", "category=eng", "member=sip:a@example.com",
        "description=x=y, with spaces", "member=sip:b@example.com",
        "privacy=open", CALLER]
    assert "id" in request
    # one line, the reply FIFO named as jsonrpcs requires, made next to the
    # request FIFO (its fifo_reply_dir) and gone afterwards
    line, rest = server.raw.split("\n", 1)
    assert rest == ""
    assert REPLY_NAME.match(request["reply_name"])
    assert stat.S_ISFIFO(server.reply_fifo_mode)
    assert leftovers(tmpdir_path) == []


def test_dashes_become_underscores(tmpdir_path):
    proc, server = call(
        tmpdir_path, result_of({}), "set-room", "--name", "dev",
        "--add-member", "sip:a@x", "--remove-member=sip:b@x",
        "--add-member", "sip:c@x", "--new-name", "dev2")
    assert proc.returncode == 0, proc.stderr
    assert server.request["method"] == "pchat.room_set"
    assert server.request["params"] == [
        "name=dev", "add_member=sip:a@x", "remove_member=sip:b@x",
        "add_member=sip:c@x", "new_name=dev2", CALLER]


def test_empty_value_and_value_starting_with_dashes(tmpdir_path):
    proc, server = call(tmpdir_path, result_of({}), "set-room", "--name", "dev",
                        "--description=", "--topic=--help me")
    assert proc.returncode == 0, proc.stderr
    assert server.request["params"] == ["name=dev", "description=", "topic=--help me", CALLER]


@pytest.mark.parametrize("verb,args,caller", [
    ("remove-message", ["--room", "dev", "--filter", "x"], True),
    ("clear-room", ["--name", "dev", "--end-date", "2026-01-01"], True),
    ("get-room", [], False),
    ("new-hold", ["--room", "dev"], False)])
def test_only_the_verbs_that_record_a_change_send_the_caller(tmpdir_path, verb, args, caller):
    """caller=<OS user>: the server records it in the compliance archive
    (rpc:<user>) for the changes it archives; other verbs send none."""
    proc, server = call(tmpdir_path, result_of({}), verb, *args)
    assert proc.returncode == 0, proc.stderr
    assert (server.request["params"][-1:] == [CALLER]) == caller
    assert sum(p.startswith("caller=") for p in server.request["params"]) == caller


def test_set_config_takes_any_setting(tmpdir_path):
    proc, server = call(tmpdir_path, result_of({}), "set-config",
                        "--default-chat-history", "50", "--some-future-setting=x")
    assert proc.returncode == 0, proc.stderr
    assert server.request["method"] == "pchat.config_set"
    assert server.request["params"] == ["default_chat_history=50", "some_future_setting=x"]


def test_rpc_sends_method_and_params_untouched(tmpdir_path):
    proc, server = call(tmpdir_path, result_of("kamailio 5.6.3"),
                        "rpc", "core.version", "plain", "a-b=c d", "--x")
    assert proc.returncode == 0, proc.stderr
    assert server.request["method"] == "core.version"
    assert server.request["params"] == ["plain", "a-b=c d", "--x"]
    assert proc.stdout == "kamailio 5.6.3\n"


def test_backslashes_do_not_confuse_the_kamailio_fifo_reader(tmpdir_path):
    value = 'C:\\dir\\ {"tricky": \'quote\'} \\'
    proc, server = call(tmpdir_path, result_of({}), "set-room", "--name", "dev",
                        "--description", value)
    assert proc.returncode == 0, proc.stderr
    assert server.request["params"] == ["name=dev", "description=" + value, CALLER]
    line = server.raw.split("\n", 1)[0]
    assert kamailio_request_end(line) == len(line)
    # what plain JSON escaping would have sent keeps the reader waiting
    naive = json.dumps(server.request, separators=(",", ":"))
    assert kamailio_request_end(naive) != len(naive)


def test_fifo_from_the_environment(tmpdir_path):
    server = FakeFifoServer(tmpdir_path, result_of({"state": "up"}))
    proc = run("status", env={"PCHAT_RPC_FIFO": server.path})
    server.join()
    assert proc.returncode == 0, proc.stderr
    assert server.request["method"] == "pchat.status"


def test_default_fifo_and_its_directory_for_the_reply(tmpdir_path):
    rundir = os.path.join(tmpdir_path, ".run", "kamailio")
    os.makedirs(rundir)
    server = FakeFifoServer(rundir, result_of({"state": "up"}))
    proc = run("status", cwd=tmpdir_path)
    server.join()
    assert proc.returncode == 0, proc.stderr
    assert stat.S_ISFIFO(server.reply_fifo_mode)  # found in .run/kamailio
    assert proc.stdout == "state: up\n"
    assert leftovers(rundir) == []


# --- rendering -------------------------------------------------------------

ROOMS = [
    {"name": "dev", "privacy": "open", "members": ["sip:a@x", "sip:b@x"],
     "disabled": False},
    {"name": "support-désk", "privacy": "closed", "disabled": True,
     "addin": {"name": "kb", "url": "http://kb"}, "description": "two\nlines",
     "size": 12, "topic": None},
]


def test_array_of_objects_is_a_table(tmpdir_path):
    proc, _ = call(tmpdir_path, result_of(ROOMS), "get-room")
    assert proc.returncode == 0, proc.stderr
    addin = '{"name":"kb","url":"http://kb"}'
    assert proc.stdout == (
        "NAME          PRIVACY  MEMBERS          DISABLED  "
        + "ADDIN".ljust(len(addin)) + "  DESCRIPTION  SIZE  TOPIC\n"
        "dev           open     sip:a@x,sip:b@x  false     "
        + "-".ljust(len(addin)) + "  -            -     -\n"
        "support-désk  closed   -                true      "
        + addin + "  two\\nlines   12    -\n")
    assert proc.stderr == ""


def test_empty_array_is_none(tmpdir_path):
    proc, _ = call(tmpdir_path, result_of([]), "get-session")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "(none)\n"


def test_object_is_key_value_lines(tmpdir_path):
    status = {"version": "1.0", "rooms": 3, "db_ok": True,
              "domains": ["a.example", "b.example"], "uptime_s": 12.5}
    proc, _ = call(tmpdir_path, result_of(status), "status")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        "version:  1.0\n"
        "rooms:    3\n"
        "db_ok:    true\n"
        "domains:  a.example,b.example\n"
        "uptime_s: 12.5\n")


def test_json_prints_the_result_pretty(tmpdir_path):
    proc, server = call(tmpdir_path, result_of(ROOMS), "--json", "get-room",
                        "--privacy", "open")
    assert proc.returncode == 0, proc.stderr
    assert server.request["params"] == ["privacy=open"]
    assert json.loads(proc.stdout) == ROOMS
    assert proc.stdout.startswith('[\n  {\n    "name": "dev",\n')


def test_server_error_exits_1_with_its_message(tmpdir_path):
    def refuse(req):
        return {"jsonrpc": "2.0", "id": req["id"], "error": {
            "code": 400, "message": "field 'privacy': must be open, closed or secret"}}
    proc, _ = call(tmpdir_path, refuse, "new-room", "--name", "dev",
                   "--category", "eng", "--privacy", "public")
    assert proc.returncode == 1
    assert proc.stderr == ("pchatctl: new-room: field 'privacy': must be open, "
                           "closed or secret (400)\n")
    assert proc.stdout == ""


# --- HTTP ------------------------------------------------------------------

class FakeHttpServer:
    """Answers one POST; keeps the connection open afterwards as Kamailio's
    xhttp does, so pchatctl must go by Content-Length."""

    def __init__(self, status, body):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.status, self.body = status, body.encode()
        self.head = self.request = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(20)
        conn, _ = self.sock.accept()
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, body = data.split(b"\r\n\r\n", 1)
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
        while len(body) < length:
            body += conn.recv(65536)
        self.head, self.request = head.decode(), json.loads(body)
        conn.sendall(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % (self.status, len(self.body))
                     + self.body)
        time.sleep(5)
        conn.close()
        self.sock.close()


def test_http_transport(tmpdir_path):
    reply = json.dumps({"jsonrpc": "2.0", "result": [{"name": "kb"}], "id": 1})
    server = FakeHttpServer(200, reply)
    started = time.monotonic()
    proc = run("--url", f"http://127.0.0.1:{server.port}/RPC", "get-addin", "--name", "kb")
    assert time.monotonic() - started < 3
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "NAME\nkb\n"
    assert server.head.startswith("POST /RPC HTTP/1.")
    assert re.search(r"(?im)^content-type: application/json\r?$", server.head)
    assert server.request["method"] == "pchat.addin_get"
    assert server.request["params"] == ["name=kb"]
    assert "reply_name" not in server.request


def test_http_error_answer_exits_1():
    reply = json.dumps({"jsonrpc": "2.0", "id": 1,
                        "error": {"code": 404, "message": "field 'name': no add-in named 'x'"}})
    server = FakeHttpServer(404, reply)
    proc = run("--url", f"http://127.0.0.1:{server.port}/RPC", "remove-addin", "--name", "x")
    assert proc.returncode == 1
    assert proc.stderr == "pchatctl: remove-addin: field 'name': no add-in named 'x' (404)\n"


def test_http_connection_refused_is_a_transport_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens there
    proc = run("--url", f"http://127.0.0.1:{port}/RPC", "status")
    assert proc.returncode == 3
    assert "cannot connect to 127.0.0.1 port" in proc.stderr
    assert "is Kamailio running?" in proc.stderr


# --- hostile surroundings ---------------------------------------------------

@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand the FIFO to another user")
def test_reply_fifo_mode_is_set_on_the_open_fifo_never_by_path(tmpdir_path):
    """jsonrpcs only writes to fifo_reply_dir + a name without '/', so the
    reply FIFO cannot live in a private directory; when Kamailio runs as
    another user, its mode is changed through the descriptor pchatctl holds
    (a chmod by path would follow a link planted in a shared directory)."""
    server = FakeFifoServer(tmpdir_path, result_of({"ok": 1}))
    os.chown(server.path, 65534, 65534)
    trace = os.path.join(tmpdir_path, "trace")
    proc = subprocess.run(
        ["strace", "-f", "-o", trace, "-e", "trace=chmod,fchmodat,fchmod,mknod,mknodat,open,openat",
         PCHATCTL, "--fifo", server.path, "status"],
        capture_output=True, text=True, timeout=30)
    server.join()
    calls = open(trace).read()
    os.unlink(trace)
    assert proc.returncode == 0, proc.stderr
    reply = server.request["reply_name"]
    assert not re.search(r"\b(chmod|fchmodat)\(", calls), calls
    assert re.search(r"\bfchmod\(\d+, 0622\)\s+= 0", calls), calls
    assert re.search(r'mknod(at)?\(.*%s", S_IFIFO\|0600' % reply, calls), calls
    assert re.search(r'open(at)?\(.*%s", O_RDONLY\|O_NONBLOCK\|O_NOFOLLOW\|O_CLOEXEC' % reply,
                     calls), calls
    assert stat.S_IMODE(server.reply_fifo_mode) == 0o622
    assert leftovers(tmpdir_path) == []


HOSTILE = "a\x1b[2Jb\nc\td\x07e\u009bf\x7f"
HOSTILE_SHOWN = "a\\x1b[2Jb\\nc\\td\\x07e\\u009bf\\x7f"


def assert_no_control_characters(text):
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f\u0080-\u009f]", text), repr(text)


def test_control_characters_in_a_table_are_escaped(tmpdir_path):
    rows = [{"name": HOSTILE, "description": "plain", HOSTILE: 1}]
    proc, _ = call(tmpdir_path, result_of(rows), "get-room")
    assert proc.returncode == 0, proc.stderr
    assert_no_control_characters(proc.stdout)
    assert HOSTILE_SHOWN in proc.stdout
    assert "A\\x1b[2JB\\nC\\tD" in proc.stdout.splitlines()[0]
    assert len(proc.stdout.splitlines()) == 2


def test_control_characters_in_fields_and_strings_are_escaped(tmpdir_path):
    proc, _ = call(tmpdir_path, result_of({"name": HOSTILE, HOSTILE: "x"}), "status")
    assert proc.returncode == 0, proc.stderr
    assert_no_control_characters(proc.stdout)
    assert "name: " in proc.stdout
    assert " %s\n" % HOSTILE_SHOWN in proc.stdout
    assert "%s: x\n" % HOSTILE_SHOWN in proc.stdout
    os.unlink(os.path.join(tmpdir_path, "kamailio_rpc.fifo"))
    proc, _ = call(tmpdir_path, result_of(HOSTILE), "status")
    assert proc.stdout == HOSTILE_SHOWN + "\n"


def test_control_characters_in_a_fault_are_escaped(tmpdir_path):
    fault = lambda req: {"jsonrpc": "2.0", "id": req["id"],
                         "error": {"code": 409, "message": "room %s exists" % HOSTILE}}
    proc, _ = call(tmpdir_path, fault, "status")
    assert proc.returncode != 0
    assert_no_control_characters(proc.stderr)
    assert "room %s exists (409)" % HOSTILE_SHOWN in proc.stderr
    os.unlink(os.path.join(tmpdir_path, "kamailio_rpc.fifo"))
    proc, _ = call(tmpdir_path, lambda req: "<html>" + HOSTILE, "status")
    assert proc.returncode == 3
    assert_no_control_characters(proc.stderr)
    assert HOSTILE_SHOWN in proc.stderr


def test_json_output_keeps_control_characters_as_json_escapes(tmpdir_path):
    rows = [{"name": HOSTILE}]
    proc, _ = call(tmpdir_path, result_of(rows), "--json", "get-room")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout
    assert json.loads(proc.stdout) == rows


# --- export-data / import-data: checked before the database is reached ---
# (tests/integration/test_export_import.py runs them against MariaDB)

# a database nobody listens on: a check that came too late would fail with 1
NO_DB = ["--db-url", "mysql://u:p@127.0.0.1:1/none"]


@pytest.mark.parametrize("args,message", [
    (["export-data", "--file", "f.gz", "--level", "most"],
     "--level is full or config, not 'most'"),
    (["export-data", "--file", "f.gz", "--date-from", "yesterday"],
     "'yesterday' is not an ISO 8601 date"),
    (["export-data", "--file", "f.gz", "--date-from", "2026-02-01", "--date-to", "2026-01-01"],
     "--date-from is after --date-to"),
    (["export-data", "--file", "f.gz", "--level", "config", "--date-from", "2026-01-01"],
     "--date-from and --date-to select messages: only with --level full"),
    (["import-data", "--file", "f.gz", "--replace", "--merge"],
     "--replace and --merge exclude each other"),
    (["import-data", "--file", "f.gz", "--replace=yes"], "option --replace takes no value"),
    (["import-data", "--file", "f.gz", "--replace", "--replace"],
     "option --replace given more than once"),
    (["import-data", "--file"], "option --file needs a value"),
    (["export-data", "--file", "f.gz", "--colour", "red"], "unknown option --colour"),
])
def test_data_verbs_refuse_a_bad_command_line(args, message):
    err = usage_error(*args, *NO_DB)
    assert f"pchatctl: {args[0]}: {message}" in err


def test_data_verbs_name_what_they_cannot_reach(tmp_path):
    # a cfg without db_url, a file that is not there, a database that is down:
    # exit 1 with the reason, nothing on stdout
    cfg = tmp_path / "k.cfg"
    cfg.write_text('loadmodule "pchat.so"\n')
    proc = run("export-data", "--file", str(tmp_path / "x.gz"), "--cfg", str(cfg))
    assert proc.returncode == 1 and proc.stdout == ""
    assert 'sets no modparam("pchat", "db_url", ...)' in proc.stderr
    proc = run("import-data", "--file", str(tmp_path / "missing.gz"), *NO_DB)
    assert proc.returncode == 1 and "missing.gz" in proc.stderr
    proc = run("export-data", "--file", str(tmp_path / "x.gz"), *NO_DB)
    assert proc.returncode == 1 and "database 127.0.0.1:1/none" in proc.stderr
    assert not (tmp_path / "x.gz").exists()
    proc = run("export-data", "--file", "x.gz", "--db-url", "postgres://h/db")
    assert proc.returncode == 1 and "expected mysql://user:password@host" in proc.stderr


def test_data_verbs_say_when_their_helper_is_missing():
    proc = run("export-data", "--file", "x.gz", env={"PCHATCTL_DATA": "/nonexistent/helper"})
    assert proc.returncode == 3
    assert "cannot find its helper pchatctl-data" in proc.stderr
