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
"""Every section that code, tests, cfgs and the README cite exists in doc/xccos.md.

Citations are "doc/xccos.md §N" and the research notes' numbers, which
doc/xccos.md keeps: "PROTOCOL.md 1.7" is its §1.7, "CLIENTS.md 3" its §7.3.
"""

import os
import re

from kamailio import TOP

DOC = os.path.join(TOP, "doc", "xccos.md")
WHERE = ["modules", "tests", "cfg", "tools", "README"]
EXTS = (".c", ".h", ".py", ".cfg", ".inc", ".xml", ".md")
NUM = r"\d+(?:\.\d+)*"
# "1.6, 1.8", "§1-2", "1.3-1.5", "section 1", "§2 and §3"
RUN = rf"(?:§|section )?{NUM}(?:(?:\s*[-,]\s*|\s+and\s+)§?{NUM})*"
CITE = re.compile(rf"\b(PROTOCOL\.md|CLIENTS\.md|xccos\.md) ({RUN})")


def sections():
    with open(DOC, encoding="utf-8") as f:
        return {m.group(1).rstrip(".") for m in re.finditer(rf"^#+ ({NUM}\.?) ", f.read(), re.M)}


def sources():
    for entry in WHERE:
        path = os.path.join(TOP, entry)
        if os.path.isfile(path):
            yield path
            continue
        # modules/*/README are generated from the .xml, which is read instead
        for root, _, files in os.walk(path):
            for name in files:
                if name.endswith(EXTS):
                    yield os.path.join(root, name)


def citations():
    """(file, cited as, doc/xccos.md section) for every citation."""
    for path in sources():
        with open(path, encoding="utf-8", errors="replace") as f:
            # a citation may wrap onto the next comment line
            text = re.sub(r"\s*\n\s*(?:\*|#|//)?\s*", " ", f.read())
        for m in CITE.finditer(text):
            for num in re.findall(NUM, m.group(2)):
                section = "7." + num if m.group(1) == "CLIENTS.md" else num
                yield os.path.relpath(path, TOP), f"{m.group(1)} {num}", section


def test_doc_has_numbered_sections():
    have = sections()
    for s in ["1", "1.2", "1.7", "1.8", "2", "2.4", "3.3", "3.7", "5", "7.1", "7.4", "9"]:
        assert s in have, s


def test_every_citation_has_a_section():
    have = sections()
    cites = list(citations())
    assert cites, "no citation found: the pattern is wrong"
    missing = sorted({(f, c, s) for f, c, s in cites if s not in have})
    assert not missing, "cited but not in doc/xccos.md: " + repr(missing)


def test_the_citation_pattern_reads_the_forms_in_use():
    text = ("(PROTOCOL.md 1.6, 1.8) PROTOCOL.md §1-2 and CLIENTS.md §2-3 "
            "PROTOCOL.md 1.3-1.5 doc/xccos.md §3.7 CLIENTS.md 1 describes")
    found = [(m.group(1), re.findall(NUM, m.group(2))) for m in CITE.finditer(text)]
    assert found == [("PROTOCOL.md", ["1.6", "1.8"]), ("PROTOCOL.md", ["1", "2"]),
                     ("CLIENTS.md", ["2", "3"]), ("PROTOCOL.md", ["1.3", "1.5"]),
                     ("xccos.md", ["3.7"]), ("CLIENTS.md", ["1"])]
