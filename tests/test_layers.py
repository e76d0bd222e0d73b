"""tools/check-layers.sh: passes on the tree, fails (naming the include)
when a lower layer includes a higher layer's header."""
import os
import shutil
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECK = os.path.join(ROOT, "tools", "check-layers.sh")
MODDIR = os.path.join(ROOT, "modules", "pchat")


def run(moddir):
    return subprocess.run(["sh", CHECK, moddir], capture_output=True,
                          text=True)


def test_tree_keeps_the_layers():
    r = run(MODDIR)
    assert r.returncode == 0, r.stdout + r.stderr


def test_upward_include_fails(tmp_path):
    copy = tmp_path / "pchat"
    shutil.copytree(MODDIR, copy, ignore=shutil.ignore_patterns("*.o",
                    "*.d", "*.so"))
    db = copy / "pchat_db.c"
    text = db.read_text()
    db.write_text(text.replace('#include "pchat_db.h"',
                               '#include "pchat_db.h"\n#include "pchat_cmd.h"',
                               1))
    r = run(str(copy))
    assert r.returncode != 0
    assert 'pchat_db.c' in r.stdout and '"pchat_cmd.h"' in r.stdout
