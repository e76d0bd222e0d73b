# pchat - Persistent Chat (XCCOS) service for Kamailio
# Copyright (C) 2026 pchat developers; GPL-2.0-or-later, like the C files.
#
"""make bench's `compliance` scenario (issue 15): export throughput of the
compliance adapter run, events/s from pchat_compliance_event to XmlAdapter
files on disk (each fsync'ed and renamed, last_event_id recorded per file),
with 1,000,000 queued events (PCHAT_COMPLIANCE_EVENTS to change it).

The events are inserted by SQL (1,000 rooms; JOIN, CHAT of 60-120
characters, BACKCHAT, PART), then `pchat.compliance_run` starts the run
and the state row is polled until the last event is recorded. Reported:
wall time, events/s, MB written, files, the CPU seconds of the PCHAT
COMPLIANCE process (MariaDB's share is not in it); the first file is
checked with xmllint --schema.

    tools/bench/run-bench --only compliance
"""

import os
import re
import subprocess
import sys
import threading
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
XSD = os.path.join(TOP, "doc", "compliance", "ChatArchive.xsd")


def _log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _queue(db, n):
    """n events after the current last one, in chunks of 100,000."""
    for start in range(0, n, 100000):
        count = min(100000, n - start)
        # recorded long ago, as a backlog is: the run's gap rule (ids a
        # bulk INSERT skipped) lets rows go once they are a minute old
        db.sql("INSERT INTO pchat_compliance_event (type, ts_ms, recorded_ms, room_id, room_uri, "
               "room_name, msg_seq, user_uri, content, node) SELECT ELT(1 + seq % 10, 'JOIN', "
               "'CHAT', 'CHAT', 'CHAT', 'CHAT', 'CHAT', 'CHAT', 'CHAT', 'BACKCHAT', 'PART'), "
               f"1765000000000 + seq, 1765000000000 + seq, 1 + seq % 1000, CONCAT('ma-chan://example.com/room-', "
               f"seq % 1000), CONCAT('Room ', seq % 1000), seq, CONCAT('sip:user', seq % 5000, "
               f"'@example.com'), CONCAT('message ', seq, ' ', REPEAT('x & y <z> ', 5 + seq % 7)),"
               f" 'bench' FROM seq_{start + 1}_to_{start + count}", db="pchat")


def _proc_cpu_s(kam):
    """CPU seconds of the PCHAT COMPLIANCE process (core.psx names it)."""
    out = kam.rpc("core.psx")
    pid = None
    for block in out.split("}"):
        if "PCHAT COMPLIANCE" in block:
            m = re.search(r"IDX.*?PID:\s*(\d+)", block, re.S) or re.search(r"PID:\s*(\d+)", block)
            pid = m and int(m.group(1))
    if not pid:
        return None
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(bench):
    """run-bench's hook: the scenario; its result is kept for lines()."""
    db, kam = bench.db, bench.kam
    n = int(os.environ.get("PCHAT_COMPLIANCE_EVENTS", 1_000_000))
    out = os.path.join(bench.tmp, "compliance")
    os.makedirs(out, exist_ok=True)
    t = time.monotonic()
    before = int(db.sql("SELECT COALESCE(MAX(id), 0) FROM pchat_compliance_event",
                        db="pchat")[0][0])
    _queue(db, n)
    last = int(db.sql("SELECT MAX(id) FROM pchat_compliance_event", db="pchat")[0][0])
    db.sql(f"UPDATE pchat_compliance_state SET last_event_id = {before}, last_error = NULL; "
           "UPDATE pchat_config SET value = CASE name WHEN 'compliance_adapter' THEN 'xml' "
           f"WHEN 'compliance_output_dir' THEN '{out}' WHEN 'compliance_run_interval' THEN "
           "'2592000' ELSE value END WHERE name LIKE 'compliance%'", db="pchat")
    _log(f"compliance: {n} events queued in {time.monotonic() - t:.1f} s")
    cpu0 = _proc_cpu_s(kam)
    rpc = threading.Thread(target=lambda: subprocess.run(
        ["kamcmd", "-s", f"unix:{kam.ctl}", "pchat.compliance_run"],
        capture_output=True, timeout=900), daemon=True)
    t0 = time.monotonic()
    rpc.start()
    done = before
    while done < last and time.monotonic() - t0 < 900:
        time.sleep(0.5)
        row = db.sql("SELECT last_event_id, last_error FROM pchat_compliance_state",
                     db="pchat")[0]
        done = int(row[0])
        if row[1]:
            raise RuntimeError(f"compliance run failed: {row[1]}")
    wall = time.monotonic() - t0
    rpc.join(150)
    cpu1 = _proc_cpu_s(kam)
    files = sorted(f for f in os.listdir(out) if f.startswith("pchat-"))
    size = sum(os.path.getsize(os.path.join(out, f)) for f in files)
    valid = subprocess.run(["xmllint", "--noout", "--schema", XSD, os.path.join(out, files[0])],
                           capture_output=True).returncode == 0 if files else False
    # ids have gaps (a bulk INSERT reserves AUTO_INCREMENT values ahead)
    events = int(db.sql("SELECT COUNT(*) FROM pchat_compliance_event WHERE id > "
                        f"{before} AND id <= {done}", db="pchat")[0][0])
    r = {"events": events, "wall_s": wall, "events_per_s": events / wall,
         "files": len(files), "mb": size / 1e6,
         "cpu_s": (cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else None,
         "first_file_valid": valid}
    bench.compliance = r
    _log(f"compliance: {r}")
    # the archive is not kept: it is as big as the queue
    for f in files:
        os.unlink(os.path.join(out, f))


def lines(bench):
    """The summary line for run-bench's report."""
    r = getattr(bench, "compliance", None)
    if not r:
        return []
    cpu = (f", PCHAT COMPLIANCE process {r['cpu_s']:.1f} CPU s "
           f"({r['cpu_s'] * 1e6 / max(r['events'], 1):.1f} µs/event)") if r["cpu_s"] else ""
    return [f"- compliance export: {r['events']:,} queued events to XmlAdapter files in "
            f"{r['wall_s']:.1f} s: **{r['events_per_s']:.0f} events/s** ({r['files']} files "
            f"of {bench_batch()} events, {r['mb']:.0f} MB, each fsync'ed and renamed before "
            f"last_event_id advanced{cpu}; first file XSD-valid: "
            f"{'yes' if r['first_file_valid'] else 'NO'})"]


def bench_batch():
    return 10000  # compliance_batch_size's default: the bench does not set it
