"""pchatctl test-message (issue 19, Test-CsPersistentChatMessage): two
synthetic users sign in through the real SIP path, join the test room,
post and receive; each step timed; exit 0 passed, 1 failed."""

import os
import re
import subprocess
import uuid

from kamailio import PCHATCTL, pchatctl
from mariadb import free_port

STEPS = ["room (RPC)", "sign in pchat-health-a", "sign in pchat-health-b",
         "join pchat-health-a", "join pchat-health-b", "post pchat-health-a",
         "receive pchat-health-b", "sign out"]


def run_test_message(kam, *args, server=None):
    return pchatctl(kam, "test-message", "--server", server or f"127.0.0.1:{kam.port}",
                    "--timeout", "5", *args, timeout=60)


def test_passes_against_a_running_node_and_makes_the_room_once(instance):
    kam, _ = instance()
    room = "health-" + uuid.uuid4().hex[:8]  # the default is shared by the tests
    res = run_test_message(kam, "--room", room)
    assert res.returncode == 0, res.stdout + res.stderr
    for step in STEPS:
        assert re.search(rf"^  {re.escape(step)} +\d+\.\d ms$", res.stdout, re.M), res.stdout
    assert "test-message: passed" in res.stdout
    rooms = pchatctl(kam, "get-room", "--name", room, json_output=True).json
    assert len(rooms) == 1 and rooms[0]["privacy"] == "open"
    # the second run uses the same room, and the message stayed in it
    again = run_test_message(kam, "--room", room)
    assert again.returncode == 0, again.stdout + again.stderr
    rooms = pchatctl(kam, "get-room", "--name", room, json_output=True).json
    assert len(rooms) == 1 and rooms[0]["messages"] == 2


def test_fails_when_the_store_refuses_writes(instance, mariadb):
    kam, _ = instance()
    assert run_test_message(kam).returncode == 0
    mariadb.sql("SET GLOBAL read_only = 1")
    try:
        res = run_test_message(kam)
    finally:
        mariadb.sql("SET GLOBAL read_only = 0")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "FAILED post pchat-health-a: answered 5" in res.stderr
    assert "test-message: failed" in res.stdout


def test_fails_when_the_store_is_down(kamailio_factory):
    # a database nobody serves: the node starts and answers 503
    kam = kamailio_factory(db=f"mysql://pchat:pchat@127.0.0.1:{free_port()}/pchat")
    res = run_test_message(kam)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "test-message: failed at the room step" in res.stdout
    assert re.search(r"pchatctl: test-message: .*\(5\d\d\)", res.stderr), res.stderr


def test_fails_when_kamailio_is_not_there(instance, tmp_path):
    kam, _ = instance()
    # no RPC: a FIFO nobody reads
    res = subprocess.run([PCHATCTL, "--fifo", str(tmp_path / "none.fifo"), "--timeout", "2",
                          "test-message"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 1 and "failed at the room step" in res.stdout, res.stderr
    # RPC answers, but no SIP server at that address
    res = run_test_message(kam, server=f"127.0.0.1:{free_port()}")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "FAILED sign in pchat-health-a" in res.stderr


def test_usage_errors_send_nothing(kam):
    res = pchatctl(kam, "test-message", "--server", "nocolon")
    assert res.returncode == 2 and "HOST:PORT" in res.stderr
    assert os.path.exists(PCHATCTL)


def test_signs_in_with_digest_on_a_with_auth_node(kamailio_factory, mariadb):
    mariadb.load_file(os.path.join(os.path.dirname(__file__), "..", "..", "sql",
                                   "pchat-frontend.sql"), "pchat")
    for user in ("pchat-health-a", "pchat-health-b"):
        mariadb.sql("REPLACE INTO subscriber (username, domain, password) VALUES "
                    f"('{user}', 'example.com', 'pw-{user}')", db="pchat")
    kam = kamailio_factory(defines={"WITH_AUTH": "1"})
    # without credentials the sign-in is refused
    res = run_test_message(kam)
    assert res.returncode == 1 and "FAILED sign in pchat-health-a" in res.stderr, res.stderr
    env = dict(os.environ, PCHAT_TEST_PASSWORD_A="pw-pchat-health-a",
               PCHAT_TEST_PASSWORD_B="pw-pchat-health-b")
    res = subprocess.run([PCHATCTL, "--fifo", os.path.join(kam.rundir, "kamailio_rpc.fifo"),
                          "test-message", "--server", f"127.0.0.1:{kam.port}"],
                         capture_output=True, text=True, timeout=60, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    # a wrong password is a failed check
    env["PCHAT_TEST_PASSWORD_B"] = "nope"
    res = subprocess.run([PCHATCTL, "--fifo", os.path.join(kam.rundir, "kamailio_rpc.fifo"),
                          "test-message", "--server", f"127.0.0.1:{kam.port}"],
                         capture_output=True, text=True, timeout=60, env=env)
    assert res.returncode == 1 and "FAILED sign in pchat-health-b: REGISTER answered 40" \
        in res.stderr, res.stderr
