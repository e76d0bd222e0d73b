# pchat - Persistent Chat (XCCOS) service for Kamailio
# Copyright (C) 2026 pchat developers; GPL-2.0-or-later, like the C files.
#
"""Checks that the history search's text index (sql/pchat-search-index.sql:
Mroonga, TokenBigramSplitSymbolAlphaDigit, NormalizerMySQLUnicodeCI) finds
every row that LIKE finds under utf8mb4_unicode_ci: random texts of mixed
scripts, random substrings of them (case changed at random) as queries;
a query whose LIKE rows are not all among the index's hits is printed as
a MISS. Runs on a private MariaDB with the Mroonga plugin (tests/lib).

    /usr/bin/python3 tools/bench/search_index_check.py [--seed 1] [--queries 400]
"""

import argparse
import os
import random
import shutil
import sys
import tempfile

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))

from mariadb import MariaDB, free_port  # noqa: E402

ALPHA = list("abcdeABCDEéÉèçÇñÑüÜöß ss  -_.,:;!?'\"\\/#@()[]{}*+=~^$%&|<>0123456789") + \
    list("東京都日本語привет ПРИВЕТ αβγΑΒΓ") + \
    ["\t", "\u00ad", "\u200b", "ﬁ", "Ⅻ", "ǅ", "İ", "ı", "Å", "Å", "e\u0301", "ᴀ", "ｂ", "Ｂ",
     "①", "ﾃ", "テ", "て", "😀", "😃", "𠀋"]
FTS = ("FULLTEXT INDEX ft (content) COMMENT 'tokenizer \"TokenBigramSplitSymbolAlphaDigit\", "
       "normalizer \"NormalizerMySQLUnicodeCI\"'")


def q(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def like(t):
    return "%" + "".join("\\" + c if c in "%_\\" else c for c in t) + "%"


def phrase(t):
    return '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--docs", type=int, default=3000)
    args = ap.parse_args()
    random.seed(args.seed)
    tmp = tempfile.mkdtemp(prefix="pchat-search-check-")
    db = MariaDB(os.path.join(tmp, "db"), free_port())
    try:
        db.start()
        docs = ["".join(random.choice(ALPHA) for _ in range(random.randint(3, 30)))
                for _ in range(args.docs)]
        db.sql("CREATE DATABASE c CHARACTER SET utf8mb4")
        db.sql("CREATE TABLE d (id INT PRIMARY KEY, content MEDIUMTEXT) DEFAULT CHARSET utf8mb4 "
               f"COLLATE utf8mb4_unicode_ci; CREATE TABLE f (id INT PRIMARY KEY, content "
               f"MEDIUMTEXT, {FTS}) ENGINE=Mroonga DEFAULT CHARSET utf8mb4 "
               "COLLATE utf8mb4_unicode_ci;"
               + "".join(f"INSERT INTO d VALUES ({i},{q(t)});INSERT INTO f VALUES ({i},{q(t)});"
                         for i, t in enumerate(docs)), db="c")
        qs = []
        for _ in range(args.queries):
            t = random.choice(docs)
            a = random.randint(0, len(t) - 1)
            t = t[a:random.randint(a + 1, min(len(t), a + 8))]
            qs.append("".join(c.upper() if random.random() < .3 else c for c in t))
        rows = db.sql("".join(
            f"SELECT (SELECT COUNT(*) FROM d WHERE content LIKE {q(like(t))}), (SELECT COUNT(*) "
            f"FROM d WHERE content LIKE {q(like(t))} AND id IN (SELECT id FROM f WHERE "
            f"MATCH(content) AGAINST({q(phrase(t))} IN BOOLEAN MODE)));" for t in qs), db="c")
        miss = [(t, a, b) for t, (a, b) in zip(qs, rows) if a != b]
        for t, a, b in miss:
            print("MISS", repr(t), "LIKE", a, "index", b)
        print(f"{len(qs)} queries ({sum(1 for a, _ in rows if a != '0')} with rows): "
              f"{len(miss)} missed by the index")
        return 1 if miss else 0
    finally:
        db.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
