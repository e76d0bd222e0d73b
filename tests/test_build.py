"""The build refuses a module that Debian's /usr/sbin/kamailio would refuse."""

import os
import shutil
import subprocess
import tempfile

from kamailio import TOP

SO = os.path.join(TOP, "modules", "pchat", "pchat.so")
CHECK = os.path.join(TOP, "tools", "check-abi.sh")


def run_check(path):
    return subprocess.run([CHECK, path], capture_output=True, text=True)


def test_built_module_matches_installed_kamailio():
    res = run_check(SO)
    assert res.returncode == 0, res.stderr
    assert "match kamailio 5.6.3" in res.stdout


def patched_copy(old, new):
    data = open(SO, "rb").read()
    assert old in data
    tmp = tempfile.mkdtemp()
    path = os.path.join(tmp, "pchat.so")
    with open(path, "wb") as f:
        f.write(data.replace(old, new, 1))
    return tmp, path


def test_module_with_other_compile_flags_is_refused():
    # what a build without DBG_SR_MEMORY would carry
    tmp, path = patched_copy(b"DBG_SR_MEMORY, USE_FUTEX", b"DBG_SR_MEMORX, USE_FUTEX")
    try:
        res = run_check(path)
        assert res.returncode != 0
        assert "compile flags differ" in res.stderr
    finally:
        shutil.rmtree(tmp)


def test_module_for_other_kamailio_version_is_refused():
    tmp, path = patched_copy(b"kamailio 5.6.3 (x86_64/linux)", b"kamailio 5.6.4 (x86_64/linux)")
    try:
        res = run_check(path)
        assert res.returncode != 0
        assert "was not built for" in res.stderr
    finally:
        shutil.rmtree(tmp)


def test_kamailio_itself_refuses_a_mismatched_module():
    """Proves the check guards a real failure: Debian's binary rejects the copy."""
    tmp, path = patched_copy(b"DBG_SR_MEMORY, USE_FUTEX", b"DBG_SR_MEMORX, USE_FUTEX")
    try:
        cfg = os.path.join(tmp, "t.cfg")
        with open(cfg, "w") as f:
            f.write('loadmodule "tm.so"\nloadmodule "%s"\n'
                    'modparam("pchat", "service_uri", "sip:pchat@example.com")\n'
                    'request_route { exit; }\n' % path)
        res = subprocess.run(["/usr/sbin/kamailio", "-c", "-f", cfg], capture_output=True,
                             text=True, timeout=30)
        assert res.returncode != 0
        assert "mismatch" in res.stdout + res.stderr
    finally:
        shutil.rmtree(tmp)
