"""A real headless Chromium (Debian's `chromium`) driven over the DevTools
protocol through --remote-debugging-pipe (fd 3 in, fd 4 out, one JSON
message per NUL): no websocket library and no npm package needed. HTTP
Digest challenges are answered with the credentials given (Fetch domain)."""

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

# the binary itself: Debian's /usr/bin/chromium is a wrapper script
CHROMIUM = "/usr/lib/chromium/chromium"
if not os.path.exists(CHROMIUM):
    CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class BrowserError(RuntimeError):
    pass


class Browser:
    def __init__(self, width=1100, height=800):
        self.profile = tempfile.mkdtemp(prefix="pchat-chromium-")
        to_r, self._to = os.pipe()
        self._from, from_w = os.pipe()

        def fds():  # the child's fd 3 reads our commands, fd 4 answers
            a, b = os.dup(to_r), os.dup(from_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
             "--remote-debugging-pipe", "--no-first-run", "--disable-extensions",
             "--disable-background-networking", "--user-data-dir=" + self.profile,
             f"--window-size={width},{height}", "about:blank"],
            preexec_fn=fds, pass_fds=(3, 4), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(to_r)
        os.close(from_w)
        self._buf = b""
        self._id = 0
        self.events = []
        self.credentials = None
        self.session = None
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)

    def _read(self, timeout):
        while b"\0" not in self._buf:
            ready, _, _ = select.select([self._from], [], [], timeout)
            if not ready:
                raise BrowserError("chromium did not answer")
            chunk = os.read(self._from, 1 << 16)
            if not chunk:
                raise BrowserError("chromium went away")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def _write(self, method, params, session):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._to, json.dumps(msg).encode() + b"\0")
        return self._id

    def _event(self, msg):
        method, params = msg.get("method"), msg.get("params", {})
        if method == "Fetch.requestPaused":
            self._write("Fetch.continueRequest", {"requestId": params["requestId"]},
                        msg.get("sessionId"))
        elif method == "Fetch.authRequired":
            user, password = self.credentials or ("", "")
            resp = {"response": "ProvideCredentials" if self.credentials else "CancelAuth",
                    "username": user, "password": password}
            self._write("Fetch.continueWithAuth", {"requestId": params["requestId"],
                                                   "authChallengeResponse": resp},
                        msg.get("sessionId"))
        self.events.append(msg)

    def send(self, method, timeout=30, **params):
        root = method.split(".")[0] in ("Target", "Browser")
        want = self._write(method, params, None if root else self.session)
        while True:
            msg = self._read(timeout)
            if msg.get("id") == want:
                if "error" in msg:
                    raise BrowserError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self._event(msg)

    def authenticate(self, user, password):
        """Answer HTTP Digest challenges with these credentials."""
        self.credentials = (user, password)
        self.send("Fetch.enable", handleAuthRequests=True, patterns=[{"urlPattern": "*"}])

    def goto(self, url, timeout=30):
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        self.send("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired", timeout)

    def wait_event(self, method, timeout=30):
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            if time.monotonic() > deadline:
                raise BrowserError("no " + method)
            msg = self._read(max(0.1, deadline - time.monotonic()))
            if "method" in msg:
                self._event(msg)

    def js(self, expression, timeout=30):
        """The value of a JavaScript expression (promises awaited)."""
        res = self.send("Runtime.evaluate", timeout=timeout, expression=expression,
                        awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in res:
            raise BrowserError(json.dumps(res["exceptionDetails"])[:2000])
        return res["result"].get("value")

    def wait_js(self, expression, timeout=20):
        """Waits until the expression is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.js(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError("never true: " + expression)
            time.sleep(0.1)

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except (BrowserError, OSError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to)
        os.close(self._from)
        shutil.rmtree(self.profile, ignore_errors=True)
