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


# --- pchat_db_exec: a parameter of the wrong type does not compile ---------

DB_PRELUDE = """
#include "pchat_db.h"
pchat_store_rc_t call(void);
pchat_store_rc_t call(void)
{
	pchat_db_res_t res;
	long long id = 1, *nullable = &id;
	const long long *cnullable = 0;
	int n = 2;
	unsigned long long big = 18446744073709551615ULL;
	char name[16] = "room";
	const char *desc = 0;
	str user = {"sip:a@b", 7};
	const str *cuser = &user;
	double d = 1.5;
	int *ip = &n;
	(void)d; (void)ip; (void)res; (void)nullable; (void)cnullable;
	(void)big; (void)desc; (void)cuser; (void)name; (void)user; (void)id;
	return %s;
}
"""


def compile_db_call(call):
    """Compiles one call against pchat_db.h with the module build's flags."""
    corepath = open(os.path.join(TOP, "build", "corepath")).read().strip()
    tmp = tempfile.mkdtemp()
    try:
        src = os.path.join(tmp, "call.c")
        with open(src, "w") as f:
            f.write(DB_PRELUDE % call)
        flags = subprocess.run(["mysql_config", "--include"], capture_output=True,
                               text=True, check=True).stdout.split()
        res = subprocess.run(
            ["gcc", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-isystem", corepath,
             "-I", os.path.join(TOP, "modules", "pchat")] + flags + [src],
            capture_output=True, text=True)
        return res.returncode, res.stderr
    finally:
        shutil.rmtree(tmp)


GOOD_DB_CALLS = [
    'pchat_db_exec("SELECT 1", NULL)',
    'pchat_db_exec("SELECT ?, ?, ?, ?", &res, id, n, n + 1, big)',
    'pchat_db_exec("SELECT ?, ?, ?", &res, "literal", name, desc)',
    'pchat_db_exec("SELECT ?, ?, ?", &res, n ? name : NULL, &user, cuser)',
    'pchat_db_exec("SELECT ?, ?, ?", &res, nullable, cnullable, n ? &id : NULL)',
]

BAD_DB_CALLS = [
    # each compiled (and ran as undefined behaviour) with the letter strings
    'pchat_db_exec("SELECT ?", NULL, "i", d)',
    'pchat_db_exec("SELECT ?", NULL, "I", ip)',
    'pchat_db_exec("SELECT ?", NULL, "s", NULL)',
    'pchat_db_exec("SELECT ?", NULL, "S", user)',
    'pchat_db_exec("SELECT ?", NULL, "s", (unsigned char *)name)',
    'pchat_db_exec("SELECT ?", NULL, "i", name[0])',
]


def test_db_exec_accepts_the_parameter_types_it_binds():
    for call in GOOD_DB_CALLS:
        rc, err = compile_db_call(call)
        assert rc == 0, "%s: %s" % (call, err)


def test_db_exec_with_a_wrong_parameter_type_does_not_compile():
    for call in BAD_DB_CALLS:
        rc, err = compile_db_call(call)
        assert rc != 0, call
        assert "_Generic" in err, "%s: %s" % (call, err)
