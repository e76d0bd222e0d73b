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
"""The checked-in modules/*/README are what `make doc` makes of modules/*/doc/*.xml.

Each README is regenerated into a temporary directory with the module's own
doc Makefile (the rule `make doc` runs) and compared byte for byte.
"""

import difflib
import os
import shutil
import subprocess
import tempfile

import pytest

from kamailio import TOP

MODULES = ["pchat", "pchat_roster"]


def doc_dir(module, top=TOP):
    return os.path.join(top, "modules", module, "doc")


def make_readme(docdir, out):
    return subprocess.run(["make", "-s", "-C", docdir, "README", f"readme_out={out}"],
                          capture_output=True, text=True, timeout=120)


def regenerate(module, top=TOP):
    """The README `make doc` would write, or an assertion naming the tool's complaint."""
    with tempfile.TemporaryDirectory(prefix="pchat-doc-") as tmp:
        out = os.path.join(tmp, "README")
        res = make_readme(doc_dir(module, top), out)
        # xsltproc warns on stderr and still exits 0 (e.g. a DTD it cannot load)
        assert res.returncode == 0 and not res.stderr, res.stdout + res.stderr
        with open(out, encoding="utf-8") as f:
            return f.read()


def checked_in(module, top=TOP):
    with open(os.path.join(top, "modules", module, "README"), encoding="utf-8") as f:
        return f.read()


def readme_diff(module, top=TOP):
    new, old = regenerate(module, top), checked_in(module, top)
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                        f"modules/{module}/README",
                                        f"make doc from modules/{module}/doc/*.xml"))


@pytest.mark.parametrize("module", MODULES)
def test_readme_matches_docbook_xml(module):
    diff = readme_diff(module)
    assert not diff, f"run `make doc` and commit modules/{module}/README:\n" + diff[:4000]


@pytest.mark.parametrize("module", MODULES)
def test_docbook_xml_is_valid(module):
    res = subprocess.run(["make", "-s", "-C", doc_dir(module), "check"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and not res.stderr, res.stdout + res.stderr


def test_readme_is_deterministic():
    """Two runs, different locales: the same bytes (no dates, ids or terminal width)."""
    with tempfile.TemporaryDirectory(prefix="pchat-doc-") as tmp:
        outs = []
        for i, lang in enumerate(["C", "C.UTF-8"]):
            out = os.path.join(tmp, f"README.{i}")
            env = dict(os.environ, LANG=lang, LC_ALL=lang, COLUMNS="132")
            res = subprocess.run(["make", "-s", "-C", doc_dir("pchat"), "README",
                                  f"readme_out={out}"],
                                 capture_output=True, text=True, timeout=120, env=env)
            assert res.returncode == 0, res.stdout + res.stderr
            with open(out, "rb") as f:
                outs.append(f.read())
        assert outs[0] == outs[1]
        assert b"2026" in outs[0]  # the copyright year of the XML, nothing else dated


def test_edited_xml_fails_the_comparison():
    """The comparison is not vacuous: a copy of the tree with one XML word changed differs."""
    with tempfile.TemporaryDirectory(prefix="pchat-doc-") as tmp:
        for sub in ("doc", "modules/pchat_roster"):
            shutil.copytree(os.path.join(TOP, sub), os.path.join(tmp, sub))
        xml = os.path.join(tmp, "modules/pchat_roster/doc/pchat_roster_admin.xml")
        with open(xml, encoding="iso-8859-1") as f:
            text = f.read()
        assert "<title>Overview</title>" in text
        with open(xml, "w", encoding="iso-8859-1") as f:
            f.write(text.replace("<title>Overview</title>", "<title>Overview edited</title>", 1))
        diff = readme_diff("pchat_roster", tmp)
        assert "+        1.1. Overview edited" in diff, diff
