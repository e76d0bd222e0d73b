"""`make run`'s launcher: starts MariaDB + Kamailio, serves a scripted client,
stops everything on Ctrl-C, and keeps the data for the next start."""

import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import tempfile
import time

from pwdriver import Playwright
from kamailio import KAMCMD, TOP
from sipclient import find, parse_xccos
from mariadb import free_port
from signin import connect, open_chat, pool_uri, post_and_receive, sign_in

RUN = os.path.join(TOP, "tools", "pchat-run")
CLIENT = os.path.join(TOP, "tools", "pchat-client")
DB = os.path.join(TOP, "tools", "pchat-db")


def start(env, log):
    return subprocess.Popen([RUN], env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def wait_ready(proc, port, logpath, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, open(logpath).read()[-3000:]
        res = subprocess.run([CLIENT, "--port", str(port), "--timeout", "2", "getserverinfo"],
                             capture_output=True, text=True)
        if res.returncode == 0:
            return res.stdout
        time.sleep(0.5)
    raise AssertionError("make run never answered:\n" + open(logpath).read()[-3000:])


def ctrl_c(proc, logpath):
    os.killpg(proc.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
    # Kamailio may take up to its exit timeout (60 s) to reap its children
    # on a loaded machine; only a launcher that never stops fails here
    try:
        proc.wait(90)
    except subprocess.TimeoutExpired:
        raise AssertionError("make run did not stop on Ctrl-C:\n"
                             + open(logpath).read()[-3000:])


PCHATCTL = os.path.join(TOP, "tools", "pchatctl", "pchatctl")


def rooms(rundir):
    res = subprocess.run([PCHATCTL, "--fifo", f"{rundir}/kamailio/kamailio_rpc.fifo",
                          "--json", "get-room"], capture_output=True, text=True, check=True)
    return json.loads(res.stdout)


def wait_lobby(rundir, logpath, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [r for r in rooms(rundir) if r["name"] == "Lobby"]
        if found:
            return found[0]
        time.sleep(0.5)
    raise AssertionError("no Lobby:\n" + open(logpath).read()[-3000:])


def browser_posts_in_lobby(file_port, users):
    pw = Playwright()
    try:
        b = pw.context().page()
        b.goto(f"http://127.0.0.1:{file_port}/chat/")
        b.wait_js("window.pchat !== undefined")
        b.js("document.getElementById('identity').value = 'sip:webby@example.com';"
             "document.getElementById('signin-btn').click(); true")
        # signed in, the room list shows every room: the Lobby is there
        b.wait_js("[...document.querySelectorAll('#rooms button')].some("
                  "x => x.firstChild.textContent === 'Lobby')")
        b.js("[...document.querySelectorAll('#rooms button')].find("
             "x => x.firstChild.textContent === 'Lobby').click(); true")
        b.wait_js("document.getElementById('room-name').textContent === 'Lobby'")
        b.js("document.getElementById('text').value = 'hi from a browser';"
             "document.querySelector('#post button').click(); true")
        for _, dlg in users:
            def is_post(m):
                g = find(parse_xccos(m.body), "grpchat")
                return g is not None and find(g, "chat").text == "hi from a browser"
            dlg.wait_server_info(is_post, timeout=10)
    finally:
        pw.close()


def test_run_without_lobby_creates_no_room():
    rundir = tempfile.mkdtemp(prefix="pchat-run-", dir="/tmp")
    port = free_port()
    env = dict(os.environ, PCHAT_RUN_DIR=rundir, PCHAT_PORT=str(port), PCHAT_NO_LOBBY="1",
               PCHAT_DB_PORT=str(free_port()), PCHAT_FILE_PORT=str(free_port()))
    logpath = os.path.join(rundir, "run.log")
    try:
        with open(logpath, "ab") as log:
            proc = start(env, log)
        wait_ready(proc, port, logpath)
        assert "first room:   none (PCHAT_NO_LOBBY=1)" in open(logpath).read()
        time.sleep(2)
        assert rooms(rundir) == []
        ctrl_c(proc, logpath)
    finally:
        subprocess.run([DB, "stop"], env=env)
        shutil.rmtree(rundir, ignore_errors=True)


def test_run_with_tls_serves_https_with_a_self_signed_certificate():
    rundir = tempfile.mkdtemp(prefix="pchat-run-", dir="/tmp")
    port, file_port = free_port(), free_port()
    env = dict(os.environ, PCHAT_RUN_DIR=rundir, PCHAT_PORT=str(port), PCHAT_NO_LOBBY="1",
               PCHAT_DB_PORT=str(free_port()), PCHAT_FILE_PORT=str(file_port), PCHAT_TLS="1")
    logpath = os.path.join(rundir, "run.log")
    try:
        with open(logpath, "ab") as log:
            proc = start(env, log)
        wait_ready(proc, port, logpath)
        assert f"files:        https://127.0.0.1:{file_port}/files/" in open(logpath).read()
        ctx = ssl.create_default_context(cafile=os.path.join(rundir, "tls", "cert.pem"))
        conn = http.client.HTTPSConnection("127.0.0.1", file_port, timeout=10, context=ctx)
        conn.request("GET", "/chat/")
        r = conn.getresponse()
        assert r.status == 200 and b"<html" in r.read().lower()
        conn.close()
        ctrl_c(proc, logpath)
    finally:
        subprocess.run([DB, "stop"], env=env)
        shutil.rmtree(rundir, ignore_errors=True)


def test_run_serves_the_client_stops_on_ctrl_c_and_keeps_data():
    rundir = tempfile.mkdtemp(prefix="pchat-run-", dir="/tmp")
    port, file_port = free_port(), free_port()
    env = dict(os.environ, PCHAT_RUN_DIR=rundir, PCHAT_PORT=str(port),
               PCHAT_DB_PORT=str(free_port()), PCHAT_FILE_PORT=str(file_port))
    logpath = os.path.join(rundir, "run.log")
    try:
        with open(logpath, "ab") as log:
            proc = start(env, log)
        out = wait_ready(proc, port, logpath)
        assert "cmd:requri: 200 SUCCESS_OK -> sip:pchat@example.com" in out
        assert "cmd:getserverinfo: 200 SUCCESS_OK" in out
        text = open(logpath).read()
        assert f"pchat is starting on sip:127.0.0.1:{port}" in text
        # a fresh database gets a first room, and the terminal says so
        assert 'first room:   open room "Lobby" in category "Welcome"' in text
        lobby = wait_lobby(rundir, logpath)
        assert lobby["privacy"] == "open" and lobby["category"] == "Welcome"
        assert "pchat: created the category Welcome and the open room Lobby" in \
            open(logpath).read()
        # the file service listens, files go under the run directory
        assert f"files:        http://127.0.0.1:{file_port}/files/<token>" in text
        conn = http.client.HTTPConnection("127.0.0.1", file_port, timeout=10)
        conn.request("GET", "/files/" + "0" * 32)
        assert conn.getresponse().status == 404  # an unknown token, from pchat
        conn.close()
        assert os.path.isdir(os.path.join(rundir, "files"))
        # the room-management page on the same port, printed and advertised
        manage = f"http://127.0.0.1:{file_port}/manage/"
        assert f"manage rooms: {manage}" in text
        conn = http.client.HTTPConnection("127.0.0.1", file_port, timeout=10)
        conn.request("GET", "/manage/")
        res = conn.getresponse()
        assert res.status == 200 and b"chat room management" in res.read()
        # a newcomer creates a room of their own in Welcome on the page
        conn.request("POST", "/manage/api/room_new", body=json.dumps(
            {"name": "Newcomers", "category": "Welcome", "privacy": "open"}),
            headers={"X-Pchat-CSRF": "1", "X-Pchat-User": "sip:newcomer@example.com"})
        res = conn.getresponse()
        room = json.loads(res.read())
        assert res.status == 200 and room["managers"] == ["sip:newcomer@example.com"]
        # the browser chat client on the same port, printed
        assert f"chat:         http://127.0.0.1:{file_port}/chat/" in text
        conn.request("GET", "/chat/")
        res = conn.getresponse()
        assert res.status == 200 and b'src="chat.js"' in res.read()
        conn.close()
        # two newcomers sign in, join the Lobby and talk there
        guid = lobby["uri"].rsplit("/", 1)[1]
        with connect(port, "newcomer") as a, connect(port, "other") as b:
            users = []
            for client in (a, b):
                props = sign_in(client)
                assert props["PersistentChatWebManagerUriInt"] == manage
                users.append((client, open_chat(client, pool_uri(props, client))))
            post_and_receive(users, guid, "example.com")
            # ... and a newcomer in a browser finds the Lobby, joins, posts
            # (SIP over WebSocket) and the SIP clients get it
            browser_posts_in_lobby(file_port, users)
        # open mode says what it is, on the terminal and in Kamailio's log
        assert "identity:     OPEN MODE: sign-in is not checked, anyone may claim any " \
               "identity" in text
        assert "pchat: OPEN MODE (no WITH_AUTH): sign-in is not checked, anyone may " \
               "claim any identity" in text
        # the total TCP write queue is a quarter of the shared memory it lives
        # in (make run's -m 256)
        ctl = f"unix:{rundir}/kamailio/kamailio_ctl"
        tcp = subprocess.run([KAMCMD, "-s", ctl, "core.tcp_options"], capture_output=True,
                             text=True, check=True).stdout
        shm = subprocess.run([KAMCMD, "-s", ctl, "core.shmmem"], capture_output=True,
                             text=True, check=True).stdout
        wq_max = int(re.search(r"^\s*wq_max:\s*(\d+)", tcp, re.M).group(1))
        total = int(re.search(r"^\s*total:\s*(\d+)", shm, re.M).group(1))
        assert 0 < wq_max <= 256 * 1048576 // 4 and wq_max < total // 3, (wq_max, total)
        subprocess.run([DB, "sql", "-e",
                        "UPDATE pchat_config SET value='77' WHERE name='search_limit'"],
                       env=env, check=True)

        ctrl_c(proc, logpath)
        status = subprocess.run([DB, "status"], env=env, capture_output=True, text=True)
        assert status.returncode == 3 and "stopped" in status.stdout  # MariaDB stopped too
        assert subprocess.run(["pgrep", "-f", f"PCHAT_PORT={port}"]).returncode == 1

        with open(logpath, "ab") as log:
            proc = start(env, log)
        out = wait_ready(proc, port, logpath)
        assert 'searchLimit="77"' in out  # the data survived the restart
        # the second start leaves the rooms alone: still one Lobby
        assert "first room:   as before" in open(logpath).read()
        assert sorted(r["name"] for r in rooms(rundir)) == ["Lobby", "Newcomers"]
        ctrl_c(proc, logpath)
    finally:
        subprocess.run([DB, "stop"], env=env)
        shutil.rmtree(rundir, ignore_errors=True)
