# pchat - Persistent Chat (XCCOS) service for Kamailio
# Copyright (C) 2026 pchat developers; GPL-2.0-or-later, like the C files.
#
"""make bench's `export` scenario (issue 19 point 4): pchatctl export-data of
a store holding PCHAT_BENCH_EXPORT_MSGS (default 1,000,000) messages in 1,000
rooms, then import-data of that file into an empty store; seconds and
messages/s of each (goal: <= 60 s each); then the same file imported
once more (every message is found already there: nothing added). Both stores are databases of the
bench's MariaDB; the commands run as an operator runs them.

    tools/bench/run-bench --only export
"""

import os
import subprocess
import sys
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PCHATCTL = os.path.join(TOP, "tools", "pchatctl", "pchatctl")
SRC, DST = "pchat_export_src", "pchat_export_dst"
ROOMS = 1000


def _log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _store(db, name):
    db.sql(f"DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name} CHARACTER SET utf8mb4;"
           f"GRANT ALL ON {name}.* TO 'pchat'@'127.0.0.1';")
    db.load_file(os.path.join(TOP, "sql", "pchat-create.sql"), name)


def _fill(db, msgs):
    """ROOMS rooms in 10 categories, msgs messages spread over them."""
    per = msgs // ROOMS
    db.sql("SET @root = (SELECT id FROM pchat_node WHERE parent_id IS NULL);"
           "INSERT INTO pchat_node (guid, kind, parent_id, name) SELECT UUID(), 'category', "
           "@root, CONCAT('export category ', seq) FROM seq_1_to_10;"
           "INSERT INTO pchat_node (guid, kind, parent_id, name, privacy, last_seq) "
           "SELECT UUID(), 'room', c.id, CONCAT('export room ', s.seq), 'open', "
           f"{per} FROM seq_1_to_{ROOMS} s JOIN pchat_node c ON c.name = "
           "CONCAT('export category ', 1 + s.seq % 10);"
           "INSERT INTO pchat_role (node_id, role, principal_type, principal) SELECT id, "
           "'member', 'user', 'sip:member@example.com' FROM pchat_node WHERE kind = 'room';"
           "INSERT INTO pchat_message (room_id, seq, ts_ms, author, content) "
           "SELECT n.id, s.seq, 1767225600000 + s.seq * 1000, "
           "CONCAT('sip:user', s.seq % 100, '@example.com'), "
           "CONCAT('message ', s.seq, ' of the room ', n.name, ', a sentence of a usual "
           "length for a chat') "
           f"FROM pchat_node n JOIN seq_1_to_{per} s WHERE n.kind = 'room';",
           db=SRC, timeout=3600)


def _timed(args):
    t = time.monotonic()
    r = subprocess.run([PCHATCTL] + args, capture_output=True, text=True, timeout=3600)
    if r.returncode != 0:
        raise RuntimeError(f"pchatctl {args[0]}: {r.stderr.strip()}")
    return time.monotonic() - t


def run(bench):
    """run-bench's hook: the step; its result is kept for lines()."""
    msgs = int(os.environ.get("PCHAT_BENCH_EXPORT_MSGS", 1_000_000))
    db = bench.db
    _store(db, SRC)
    _store(db, DST)
    t = time.monotonic()
    _fill(db, msgs)
    _log(f"export: {msgs} messages in {ROOMS} rooms made in {time.monotonic() - t:.1f} s")
    path = os.path.join(bench.tmp, "export.jsonl.gz")
    url = lambda name: db.url("pchat", "pchat", name)  # noqa: E731
    exp = _timed(["export-data", "--file", path, "--db-url", url(SRC)])
    imp = _timed(["import-data", "--file", path, "--db-url", url(DST)])
    again = _timed(["import-data", "--file", path, "--db-url", url(DST)])
    [(n,)] = db.sql("SELECT COUNT(*) FROM pchat_message", db=DST)
    if int(n) != msgs:
        raise RuntimeError(f"export: the import holds {n} messages, not {msgs}")
    bench.export_data = {"msgs": msgs, "export_s": exp, "import_s": imp, "again_s": again,
                         "bytes": os.path.getsize(path)}
    _log(f"export: {bench.export_data}")
    db.sql(f"DROP DATABASE {SRC}; DROP DATABASE {DST}")


def lines(bench):
    """The summary line for run-bench's report."""
    r = getattr(bench, "export_data", None)
    if not r:
        return []
    return [f"- pchatctl export-data / import-data (into an empty store) of {r['msgs']:,} "
            f"messages in {ROOMS:,} rooms: export **{r['export_s']:.1f} s** "
            f"({r['msgs'] / r['export_s']:,.0f} messages/s), import "
            f"**{r['import_s']:.1f} s** ({r['msgs'] / r['import_s']:,.0f} messages/s); "
            f"goal <= 60 s each; file {r['bytes'] / 1e6:.0f} MB; the same file again "
            f"(all already there) {r['again_s']:.1f} s"]
