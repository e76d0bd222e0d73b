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
"""`make deb` (issue 19): the package is lintian-clean, depends on exactly the kamailio
it was built against, holds what `make install` installs, and, unpacked into a scratch
root (dpkg-deb -x: the machine's dpkg database is never touched), serves the chat from
its own modules, sample cfg, SQL script, web pages and pchatctl."""

import glob
import http.client
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from chat import ChatUser, uid, unique
from kamailio import TOP, Kamailio
from mariadb import free_port
from store import DB_PASS, DB_USER

ARCH = subprocess.run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"], capture_output=True,
                      text=True, check=True).stdout.strip()
MODDIR = f"usr/lib/{ARCH}/kamailio/modules"
DOMAIN = "example.com"


def clean_env():
    return {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}


@pytest.fixture(scope="module")
def deb():
    out = tempfile.mkdtemp(prefix="pchat-deb-")
    res = subprocess.run(["make", "-s", "-C", TOP, "deb", f"DEB_DIR={out}"], env=clean_env(),
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout + res.stderr
    [path] = glob.glob(os.path.join(out, "pchat_*.deb"))
    # the copy built with a build/ of its own: the tree's (maybe shared with
    # other worktrees) still points at a source that exists
    corepath = open(os.path.join(TOP, "build", "corepath")).read().strip()
    assert out not in corepath and os.path.isfile(os.path.join(corepath, "Makefile.modules"))
    yield path
    shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(scope="module")
def root(deb):
    """The package unpacked as dpkg would, into a directory of its own."""
    r = tempfile.mkdtemp(prefix="pchat-debroot-")
    subprocess.run(["dpkg-deb", "-x", deb, r], check=True)
    yield r
    shutil.rmtree(r, ignore_errors=True)


def test_depends_on_the_kamailio_it_was_built_against(deb):
    kam = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "kamailio"],
                         capture_output=True, text=True, check=True).stdout
    info = subprocess.run(["dpkg-deb", "-I", deb], capture_output=True, text=True,
                          check=True).stdout
    [depends] = [line for line in info.splitlines() if line.startswith(" Depends:")]
    deps = [d.strip() for d in depends.split(":", 1)[1].split(",")]
    assert f"kamailio (= {kam})" in deps
    # dpkg-shlibdeps found the modules' and pchatctl's libraries
    names = {d.split()[0] for d in deps}
    assert {"libc6", "libmariadb3", "libxml2", "libxslt1.1", "libjansson4"} <= names


def test_lintian_finds_no_errors_or_warnings(deb):
    res = subprocess.run(["lintian", "--fail-on", "error,warning", deb],
                         capture_output=True, text=True, timeout=300)
    tags = [line for line in res.stdout.splitlines() if line[:3] in ("E: ", "W: ")]
    assert res.returncode == 0 and not tags, res.stdout + res.stderr


def deb_files(deb):
    """Regular files of the package, with the .gz dh_compress added taken off."""
    listing = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], capture_output=True,
                             check=True).stdout
    names = subprocess.run(["tar", "-t"], input=listing, capture_output=True,
                           check=True).stdout.decode().split()
    files = set()
    for n in names:
        if n.endswith("/"):
            continue  # directories
        n = n[2:] if n.startswith("./") else n
        if n.startswith(("usr/share/doc/", "usr/share/man/")) and n.endswith(".gz"):
            n = n[:-3]
        files.add(n)
    return files


def test_package_holds_what_make_install_installs(deb):
    dest = tempfile.mkdtemp(prefix="pchat-destdir-")
    try:
        res = subprocess.run(["make", "-s", "-C", TOP, "install", f"DESTDIR={dest}"],
                             env=clean_env(), capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, res.stdout + res.stderr
        installed = {os.path.relpath(os.path.join(d, f), dest)
                     for d, _, fs in os.walk(dest) for f in fs}
    finally:
        shutil.rmtree(dest, ignore_errors=True)
    # what debian/ adds: nothing else, so a file `make install` gains is packaged
    from_debian = {f"usr/share/doc/pchat/{f}" for f in ("copyright", "changelog",
                                                        "README.Debian")}
    from_debian.add("usr/share/lintian/overrides/pchat")
    assert deb_files(deb) == installed | from_debian
    for f in (f"{MODDIR}/pchat.so", f"{MODDIR}/pchat_roster.so", "usr/bin/pchatctl",
              "usr/share/man/man1/pchatctl.1", "usr/share/pchat/sql/pchat-create.sql",
              "usr/share/pchat/cfg/pchat-standalone.cfg",
              "usr/share/pchat/web/manage/index.html", "usr/share/doc/pchat/README.pchat"):
        assert f in installed, f


def test_man_page_documents_every_verb(root):
    ctl = os.path.join(root, "usr/bin/pchatctl")
    helptext = subprocess.run([ctl, "--help"], capture_output=True, text=True).stdout
    verbs = helptext.split("Verbs:\n", 1)[1].split("\n\n", 1)[0].split("\n")
    verbs = [v.split()[0] for v in verbs if v.strip()]
    assert "new-room" in verbs and "rpc" in verbs
    page = os.path.join(root, "usr/share/man/man1/pchatctl.1.gz")
    res = subprocess.run(["man", "--warnings", "-l", page], capture_output=True, text=True,
                         env=dict(clean_env(), MANWIDTH="100", MANPAGER="cat", PAGER="cat"))
    assert res.returncode == 0 and not res.stderr, res.stderr
    lines = [line.strip() for line in res.stdout.splitlines()]
    for verb in verbs:  # a heading and its own usage line
        assert verb in lines, verb
        assert any(line.startswith(f"Usage: pchatctl [GLOBAL OPTIONS] {verb}")
                   for line in lines), verb


@pytest.fixture
def store(mariadb):
    """A database made from the package's SQL script; its URL."""
    name = f"pchat_deb_{uid()}"
    mariadb.sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4;"
                f"CREATE USER IF NOT EXISTS '{DB_USER}'@'127.0.0.1' IDENTIFIED BY '{DB_PASS}';"
                f"GRANT ALL ON `{name}`.* TO '{DB_USER}'@'127.0.0.1';")
    yield name
    mariadb.sql(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture
def installed_kam(root, mariadb, store):
    """Kamailio started from the package's sample cfg and modules, its web pages
    served from the package's web directory."""
    mariadb.load_file(os.path.join(root, "usr/share/pchat/sql/pchat-create.sql"), store)
    fdir = tempfile.mkdtemp(prefix="pchat-files-")
    kam = Kamailio(free_port(), mariadb.url(DB_USER, DB_PASS, store), domain=DOMAIN,
                   cfg=os.path.join(root, "usr/share/pchat/cfg/pchat-standalone.cfg"),
                   defines={"PCHAT_MODULES": os.path.join(root, MODDIR),
                            "PCHAT_FILE_PORT": str(free_port()), "PCHAT_FILE_DIR": fdir,
                            "PCHAT_MANAGE_DIR": os.path.join(root, "usr/share/pchat/web/manage"),
                            "PCHAT_CHAT_DIR": os.path.join(root, "usr/share/pchat/web/chat")})
    try:
        yield kam.start()
    finally:
        kam.cleanup()
        shutil.rmtree(fdir, ignore_errors=True)


def pchatctl(root, kam, *args):
    res = subprocess.run([os.path.join(root, "usr/bin/pchatctl"), "--fifo",
                          os.path.join(kam.rundir, "kamailio_rpc.fifo"), *args],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_installed_package_serves_sign_in_and_posts(root, installed_kam):
    kam = installed_kam
    maps = open(f"/proc/{kam.proc.pid}/maps").read()
    for so in ("pchat.so", "pchat_roster.so"):  # the package's modules, no others
        assert os.path.join(root, MODDIR, so) in maps
        assert f"/{MODDIR}/{so}" not in maps.replace(os.path.join(root, MODDIR, so), "")

    # the package's pchatctl sets the service up, as an operator would
    cat, room = unique("Welcome"), unique("Lobby")
    pchatctl(root, kam, "new-category", "--name", cat, "--allowed-member", f"domain:{DOMAIN}")
    pchatctl(root, kam, "new-room", "--name", room, "--category", cat, "--privacy", "open")
    [r] = json.loads(pchatctl(root, kam, "--json", "get-room", "--name", room))
    guid = r["uri"].rsplit("/", 1)[1]

    alice, bob = ChatUser(kam, unique("alice")), ChatUser(kam, unique("bob"))
    try:
        assert alice.join(guid).code == 200 and bob.join(guid).code == 200
        assert alice.post(guid, "hello from the package").status == 200
        for u in (alice, bob):
            msg = u.wait_message(guid)
            assert (msg["author"], msg["text"]) == (alice.uri, "hello from the package")
    finally:
        alice.close()
        bob.close()
    assert "sessions" in pchatctl(root, kam, "status")

    # the room-management page and the browser chat come from the package's web/
    for page in ("manage", "chat"):
        conn = http.client.HTTPConnection("127.0.0.1", int(kam.defines["PCHAT_FILE_PORT"]),
                                          timeout=20)
        conn.request("GET", f"/{page}/")
        res = conn.getresponse()
        body = res.read()
        conn.close()
        assert res.status == 200, page
        with open(os.path.join(root, "usr/share/pchat/web", page, "index.html"), "rb") as f:
            assert body == f.read(), page


def test_installed_pchatctl_runs_the_health_test(root, installed_kam):
    """The package's test-message finds its SIP client in usr/libexec/pchat, not in
    the source tree: the package alone is enough for a monitoring check."""
    env = {k: v for k, v in clean_env().items() if k != "PCHAT_TEST_CLIENT"}
    res = subprocess.run([os.path.join(root, "usr/bin/pchatctl"), "--fifo",
                          os.path.join(installed_kam.rundir, "kamailio_rpc.fifo"),
                          "test-message", "--server", f"127.0.0.1:{installed_kam.port}",
                          "--room", unique("health")],
                         capture_output=True, text=True, timeout=90, env=env, cwd=root)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "test-message: passed" in res.stdout
    assert os.access(os.path.join(root, "usr/libexec/pchat/pchat-test-message"), os.X_OK)
