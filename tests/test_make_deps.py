#
# pchat - Persistent Chat (XCCOS) service for Kamailio
#
# Copyright (C) 2026 pchat developers
#
# This file is part of pchat, a module for Kamailio, a free SIP server.
#
# pchat is free software; you can redistribute it and/or modify it under the
# terms of the GNU General Public License as published by the Free Software
# Foundation; either version 2 of the License, or (at your option) any later
# version.
#
"""Plain `make` only checks: it names what is missing and `make deps`, and never calls apt.

apt-get and apt are replaced on PATH by a script that records its arguments;
a package that cannot exist is added to the list through PCHAT_EXTRA_PACKAGES.
"""

import os
import subprocess
import tempfile

import pytest

from kamailio import TOP

NO_SUCH_PACKAGE = "pchat-test-no-such-package"
FAKE_APT = """#!/bin/sh
echo "$(basename "$0") $*" >>"{log}"
exit 0
"""


@pytest.fixture
def fake_apt():
    """PATH with recording apt-get/apt in front, and the file they record into."""
    with tempfile.TemporaryDirectory(prefix="pchat-fake-apt-") as tmp:
        log = os.path.join(tmp, "calls")
        for name in ("apt-get", "apt"):
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(FAKE_APT.format(log=log))
            os.chmod(path, 0o755)
        yield os.path.join(tmp), log


def make(goals, path_prefix, extra_packages="", variables=()):
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env["PATH"] = path_prefix + ":" + env.get("PATH", "/usr/bin:/bin")
    env["PCHAT_EXTRA_PACKAGES"] = extra_packages
    return subprocess.run(["make", "-s", "-C", TOP] + list(variables) + goals, env=env,
                          capture_output=True, text=True, timeout=300)


def apt_calls(log):
    return open(log).read() if os.path.exists(log) else ""


def apt_sources():
    """Names and mtimes under /etc/apt: a deb-src entry added or edited shows here."""
    out = {}
    for d in ("/etc/apt", "/etc/apt/sources.list.d"):
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            out[os.path.join(d, name)] = os.stat(os.path.join(d, name)).st_mtime_ns
    return out


@pytest.mark.parametrize("goal", [[], ["all"]])
def test_make_names_a_missing_package_and_installs_nothing(fake_apt, goal):
    bindir, log = fake_apt
    before = apt_sources()
    res = make(goal, bindir, NO_SUCH_PACKAGE)
    assert res.returncode != 0, res.stdout + res.stderr
    assert f"missing Debian packages: {NO_SUCH_PACKAGE}" in res.stderr, res.stderr
    assert "    make deps\n" in res.stderr, res.stderr
    assert f"apt-get install --no-install-recommends {NO_SUCH_PACKAGE}" in res.stderr
    assert "CC (gcc)" not in res.stdout  # stopped before building
    assert apt_calls(log) == ""
    assert apt_sources() == before


def test_make_names_a_missing_kamailio_source_and_fetches_nothing(fake_apt):
    bindir, log = fake_apt
    before = apt_sources()
    with tempfile.TemporaryDirectory(prefix="pchat-empty-build-") as build:
        res = make(["all"], bindir, variables=[f"BUILD={build}"])
        assert os.listdir(build) == []
    assert res.returncode != 0, res.stdout + res.stderr
    assert "has no prepared source of kamailio" in res.stderr, res.stderr
    assert "    make deps\n" in res.stderr, res.stderr
    assert apt_calls(log) == ""
    assert apt_sources() == before


@pytest.mark.skipif(os.geteuid() != 0, reason="install-deps.sh calls apt only as root")
def test_make_deps_does_call_apt(fake_apt):
    """The recording apt-get is the one make would run: `make deps` reaches it."""
    bindir, log = fake_apt
    res = make(["deps"], bindir, NO_SUCH_PACKAGE)
    calls = apt_calls(log)
    assert "apt-get update" in calls
    assert f"apt-get install -y -qq --no-install-recommends {NO_SUCH_PACKAGE}" in calls
    # the fake installed nothing, which install-deps.sh notices
    assert res.returncode != 0
    assert f"still missing after apt-get install: {NO_SUCH_PACKAGE}" in res.stderr


@pytest.mark.parametrize("goal,packages,kamailio_src", [
    ("all", "--check", "check"), ("install", "--check", "check"), ("deb", "--check", "check"),
    ("doc", "--check", None), ("pchatctl", "--check", None),
    ("deps", "install", "prepare"), ("run", "install", "prepare"),
    ("test", "install", "prepare"), ("bench", "install", "prepare"),
    ("soak", "install", "prepare"),
    ("integration", "install", "prepare"), ("unit", "install", None),
])
def test_which_goals_install(goal, packages, kamailio_src):
    """make -n: the set-up goals run install-deps.sh and prepare-kamailio-src.sh,
    all others only install-deps.sh --check and check-deps-kamailio-src.sh."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    res = subprocess.run(["make", "-n", "-C", TOP, goal], capture_output=True, text=True,
                         timeout=120, env=env)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr
    cmds = [line.split()[0] + (" " + line.split()[1] if line.split()[1:2] == ["--check"] else "")
            for line in res.stdout.splitlines() if line.startswith("tools/")]
    want_pkgs = "tools/install-deps.sh" + (" --check" if packages == "--check" else "")
    assert [c for c in cmds if c.startswith("tools/install-deps.sh")] == [want_pkgs], cmds
    src = [c for c in cmds if "kamailio-src" in c]
    want_src = {"check": ["tools/check-deps-kamailio-src.sh"],
                "prepare": ["tools/prepare-kamailio-src.sh"], None: []}[kamailio_src]
    assert src == want_src, cmds
