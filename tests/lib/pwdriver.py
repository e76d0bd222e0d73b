"""Playwright for the Python tests: tests/lib/pw/driver.mjs (node, with
playwright-core from package-lock.json, `npm ci`) drives Debian's chromium;
each call here is one JSON line to it and one back. Browser contexts are
separate profiles (cookies, credentials): two users in one browser."""

import itertools
import json
import os
import shutil
import subprocess

from kamailio import TOP

DRIVER = os.path.join(TOP, "tests", "lib", "pw", "driver.mjs")
CHROMIUM = "/usr/bin/chromium"


class PlaywrightError(RuntimeError):
    pass


def missing():
    """Why Playwright cannot run here, or None: the tests fail with it."""
    if not shutil.which("node"):
        return "node is missing (make deps installs nodejs)"
    if not os.path.exists(os.path.join(TOP, "node_modules", "playwright-core", "package.json")):
        return "node_modules/playwright-core is missing (make test runs npm ci)"
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is missing (make deps installs chromium)"
    return None


class Playwright:
    def __init__(self):
        why = missing()
        if why:
            raise PlaywrightError(why)
        self.proc = subprocess.Popen(
            ["node", DRIVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env=dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1",
                     PCHAT_CHROMIUM=CHROMIUM),
            text=True, start_new_session=True)
        hello = self.proc.stdout.readline()
        if not hello:
            raise PlaywrightError(f"the driver did not start (exit {self.proc.wait()})")
        self.version = json.loads(hello)["ready"]
        self._ids = itertools.count(1)

    def call(self, op, **args):
        self.proc.stdin.write(json.dumps(dict(args, op=op)) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise PlaywrightError(f"the driver exited during {op}")
        answer = json.loads(line)
        if not answer["ok"]:
            raise PlaywrightError(f"{op} {args}: {answer['error']}")
        return answer["value"]

    def context(self, credentials=None, width=1100, height=800):
        """A fresh browser context (its own cookies and Digest credentials)."""
        ctx = next(self._ids)
        self.call("context", ctx=ctx, viewport={"width": width, "height": height},
                  credentials=({"username": credentials[0], "password": credentials[1]}
                               if credentials else None))
        return Context(self, ctx)

    def close(self):
        try:
            self.call("quit")
            self.proc.wait(timeout=10)
        except (PlaywrightError, OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


class Context:
    def __init__(self, pw, ctx):
        self.pw, self.ctx = pw, ctx

    def page(self):
        pid = next(self.pw._ids)
        self.pw.call("page", ctx=self.ctx, page=pid)
        return Page(self.pw, pid)


class Page:
    """A tab: its calls are Playwright's page.goto, fill, click, evaluate..."""

    def __init__(self, pw, pid):
        self.pw, self.pid = pw, pid

    def _call(self, op, **args):
        return self.pw.call(op, page=self.pid, **args)

    def goto(self, url):
        self._call("goto", url=url)

    def fill(self, selector, value):
        self._call("fill", selector=selector, value=value)

    def click(self, selector):
        self._call("click", selector=selector)

    def select(self, selector, value):
        self._call("select", selector=selector, value=value)

    def text(self, selector):
        return self._call("text", selector=selector)

    def js(self, expression):
        return self._call("eval", js=expression)

    def wait_js(self, expression, timeout=20):
        self._call("wait", js=expression, timeout=int(timeout * 1000))

    def screenshot(self, path):
        self._call("screenshot", path=path)

    def close(self):
        self._call("close_page")
