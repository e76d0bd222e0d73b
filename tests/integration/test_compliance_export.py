"""The compliance adapter run (issue 15 points 2-4): events of
pchat_compliance_event written through the xml (Lync XmlAdapter) or jsonl
adapter to files of compliance_output_dir, every file XSD-valid; the run
interval; an unwritable directory; a crash between the file and the record;
the lease with two nodes on one database.

The events are inserted by SQL (capturing them is another part's), in a
database of this module's own: the state row is the pool's, one per
database."""

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET

import pytest

from admin import fails, one
from chat import ChatUser, make_room, sql_quote, unique, wait_until
from kamailio import TOP, Kamailio
from mariadb import free_port
from store import DB_PASS, DB_USER, create_schema

XSD = os.path.join(TOP, "doc", "compliance", "ChatArchive.xsd")
DB = "pchat_cexp"
T0 = 1765000000123  # 2025-12-06T05:46:40.123Z


class _Db:
    """The MariaDB with this module's database in place of pchat (for
    chat.make_room)."""

    def __init__(self, mariadb):
        self.m = mariadb

    def sql(self, statement, db=None):
        return self.m.sql(statement, db=DB)


@pytest.fixture(scope="module")
def cdb(mariadb):
    create_schema(mariadb, DB)
    yield _Db(mariadb)
    mariadb.sql(f"DROP DATABASE IF EXISTS `{DB}`")


@pytest.fixture
def nodes(cdb, mariadb):
    """nodes(**defines) starts a Kamailio on this module's database; all
    stopped at teardown. The queue (TRUNCATE: ids from 1, no gap before
    the first) and the state start empty, with a run
    just done and a RunInterval of 30 days: a node runs when a test asks."""
    cdb.sql("TRUNCATE TABLE pchat_compliance_event; UPDATE pchat_compliance_state SET "
            "last_event_id = 0, holder = NULL, lease_until_ms = 0, "
            "last_run_ms = ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000), "
            "last_error = NULL; UPDATE pchat_config SET value = CASE name "
            "WHEN 'compliance_adapter' THEN 'xml' WHEN 'compliance_run_interval' THEN '2592000' "
            "WHEN 'compliance_output_dir' THEN '' WHEN 'compliance_xslt' THEN '' "
            "ELSE '0' END WHERE name LIKE 'compliance%'")
    started = []
    url = mariadb.url(DB_USER, DB_PASS, DB)

    def start(port=None, env=None, **defines):
        """port: a restarted node keeps its address, hence its name in the
        lease; env: added to its environment (a fake clock's)"""
        k = Kamailio(port or free_port(), url, env=env,
                     defines={k: str(v) for k, v in defines.items()})
        started.append(k)
        return k.start()
    yield start
    for k in started:
        k.cleanup()


@pytest.fixture
def outdir():
    d = tempfile.mkdtemp(prefix="pchat-cexp-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _event(cdb, type_, ts, room=None, user="sip:alice@example.com", seq=None,
           content=None, detail=None):
    rid, uri, name = room if room else (None, None, None)
    q = lambda v: "NULL" if v is None else sql_quote(v)  # noqa: E731
    cdb.sql("INSERT INTO pchat_compliance_event (type, ts_ms, room_id, room_uri, room_name, "
            "msg_seq, user_uri, content, detail, node) VALUES "
            f"({q(type_)}, {ts}, {q(rid)}, {q(uri)}, {q(name)}, {q(seq)}, {q(user)}, "
            f"{q(content)}, {q(detail)}, 'n1')")
    return int(cdb.sql("SELECT MAX(id) FROM pchat_compliance_event")[0][0])


def _set(kam, **fields):
    args = [f"{k}={v}" for k, v in fields.items()]
    return one(kam, "pchat.compliance_set", *args)


def _status(kam):
    out = kam.rpc("pchat.status")
    return {m.group(1): m.group(2).strip() for m in
            re.finditer(r"^\s*(compliance_\w+): ?(.*)$", out, re.M)}


def _run(kam):
    return one(kam, "pchat.compliance_run")


def _valid(path):
    r = subprocess.run(["xmllint", "--noout", "--schema", XSD, path],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def _files(d, ext=None):
    return sorted(f for f in os.listdir(d) if not ext or f.endswith(ext))


def _ids_in(d):
    """Every event id written to the jsonl files of d, in file order."""
    ids = []
    for f in sorted(glob.glob(os.path.join(d, "pchat-*.jsonl")),
                    key=lambda p: int(os.path.basename(p).split("-")[1])):
        with open(f) as h:
            ids += [json.loads(line)["id"] for line in h]
    return ids


def _iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + \
        f".{ms % 1000:03d}0000Z"


def _time(ms):
    return {"since1970": str(ms), "string": _iso(ms),
            "long": str(ms * 10000 + 621355968000000000)}


def _script(cdb):
    """Two users, two rooms: join, post, history, search, file, part and an
    administrator's removal. Returns the rooms and the event ids."""
    r1 = (11, "ma-chan://example.com/r1", "Trading <floor> & co")
    r2 = (12, "ma-chan://example.com/r2", "Ops")
    ids = [
        _event(cdb, "JOIN", T0, r1),
        _event(cdb, "JOIN", T0 + 1, r2, user="sip:bob@example.com"),
        _event(cdb, "CHAT", T0 + 2, r1, seq=1, content='buy "100" <now> & hold\nline 2'),
        _event(cdb, "BACKCHAT", T0 + 3, r2, user="sip:bob@example.com", detail='{"count": 25}'),
        _event(cdb, "SEARCH", T0 + 4, None, content="quarterly"),
        _event(cdb, "FILEUPLOAD", T0 + 5, r1, content="f-0001_report.pdf"),
        _event(cdb, "REMOVE", T0 + 6, r1, user="rpc:admin", seq=1,
               detail='{"original": "buy"}'),
        _event(cdb, "PART", T0 + 7, r1),
    ]
    return r1, r2, ids


def _conversations(path):
    root = ET.parse(path).getroot()
    assert root.tag == "Conversations"
    out = []
    for conv in root:
        assert [c.tag for c in conv] == ["Channel", "FirstMessage", "Messages",
                                         "StartTimeUTC", "EndTimeUTC"]
        msgs = [conv.find("FirstMessage")] + list(conv.find("Messages"))
        out.append({
            "channel": dict(conv.find("Channel").attrib),
            "messages": [(m.tag, dict(m.attrib), dict(m.find("Sender").attrib),
                          dict(m.find("DateTimeUTC").attrib)) for m in msgs],
            "start": dict(conv.find("StartTimeUTC").attrib),
            "end": dict(conv.find("EndTimeUTC").attrib),
        })
    return out


def _msg(tag, type_, content, id_, user, ms, email=False):
    sender = {"UserName": user.split("@")[0], "id": "0", "uri": user}
    if email:
        sender["email"] = user
    return (tag, {"type": type_, "content": content, "id": str(id_)}, sender, _time(ms))


def test_a_script_of_events_is_exactly_the_expected_xml_document(nodes, cdb, outdir):
    kam = nodes()
    cfg = _set(kam, adapter="xml", output_dir=outdir, run_interval=3600)
    assert cfg["adapter"] == "xml" and cfg["output_dir"] == outdir
    r1, r2, ids = _script(cdb)
    res = _run(kam)
    assert res["events"] == "8" and res["files"] == "1"
    assert _files(outdir) == [f"pchat-{ids[0]}-{ids[-1]}.xml"]
    path = os.path.join(outdir, _files(outdir)[0])
    _valid(path)
    a, b = "alice@example.com", "bob@example.com"
    # SEARCH and REMOVE are not in Lync's XSD: only in jsonl
    assert _conversations(path) == [
        {"channel": {"uri": r1[1]},
         "messages": [
             _msg("FirstMessage", "JOIN", "", 0, a, T0),
             _msg("Message", "CHAT", 'buy "100" <now> & hold\nline 2', 1, a, T0 + 2),
             _msg("Message", "FILEUPLOAD", "f-0001_report.pdf", 0, a, T0 + 5),
             _msg("Message", "PART", "", 0, a, T0 + 7)],
         "start": _time(T0), "end": _time(T0 + 7)},
        {"channel": {"uri": r2[1]},
         "messages": [
             _msg("FirstMessage", "JOIN", "", 0, b, T0 + 1),
             _msg("Message", "BACKCHAT", "", 0, b, T0 + 3)],
         "start": _time(T0 + 1), "end": _time(T0 + 3)},
    ]
    assert _iso(T0) == "2025-12-06T05:46:40.1230000Z"
    # recorded, and nothing written twice
    st = _status(kam)
    assert st["compliance_events_pending"] == "0", st
    assert st["compliance_last_event_id"] == str(ids[-1])
    assert st["compliance_state"] == "ok" and st["compliance_last_run"] != "never"
    assert _run(kam)["events"] == "0"
    assert len(_files(outdir)) == 1
    # exported events stay in the table (the archive keeps them)
    assert cdb.sql("SELECT COUNT(*) FROM pchat_compliance_event")[0][0] == "8"


def test_the_same_script_as_json_lines_has_every_event_and_field(nodes, cdb, outdir):
    kam = nodes()
    _set(kam, adapter="jsonl", output_dir=outdir)
    r1, r2, ids = _script(cdb)
    assert _run(kam)["events"] == "8"
    assert _files(outdir) == [f"pchat-{ids[0]}-{ids[-1]}.jsonl"]
    with open(os.path.join(outdir, _files(outdir)[0])) as f:
        lines = [json.loads(line) for line in f]
    assert [e["type"] for e in lines] == ["JOIN", "JOIN", "CHAT", "BACKCHAT", "SEARCH",
                                         "FILEUPLOAD", "REMOVE", "PART"]
    assert [e["id"] for e in lines] == ids
    assert lines[2] == {
        "id": ids[2], "type": "CHAT", "ts_ms": T0 + 2, "time": _iso(T0 + 2),
        "room_id": 11, "room_uri": r1[1], "room_name": r1[2], "msg_seq": 1,
        "user": "sip:alice@example.com", "content": 'buy "100" <now> & hold\nline 2',
        "detail": None, "node": "n1"}
    assert lines[4]["room_id"] is None and lines[4]["content"] == "quarterly"
    assert json.loads(lines[6]["detail"]) == {"original": "buy"}
    assert lines[6]["user"] == "rpc:admin" and lines[6]["msg_seq"] == 1


def test_one_room_per_file_with_room_and_user_details(nodes, cdb, outdir):
    kam = nodes()
    _set(kam, adapter="xml", output_dir=outdir, one_room_per_file="true",
         add_room_details="true", add_user_details="true")
    r1, r2, ids = _script(cdb)
    assert _run(kam) == {"state": "done", "events": "8", "files": "2",
                         "node": _status(kam)["compliance_node"]}
    first, last = ids[0], ids[-1]
    assert _files(outdir) == [f"pchat-{first}-{last}-r11.xml", f"pchat-{first}-{last}-r12.xml"]
    for f in _files(outdir):
        _valid(os.path.join(outdir, f))
    (c1,) = _conversations(os.path.join(outdir, _files(outdir)[0]))
    (c2,) = _conversations(os.path.join(outdir, _files(outdir)[1]))
    assert c1["channel"] == {"uri": r1[1], "name": r1[2]}
    assert c2["channel"] == {"uri": r2[1], "name": "Ops"}
    assert c1["messages"][0] == _msg("FirstMessage", "JOIN", "", 0, "alice@example.com", T0,
                                     email=True)
    assert len(c1["messages"]) == 4 and len(c2["messages"]) == 2


def test_compliance_set_validates_its_fields(nodes, outdir):
    kam = nodes()
    fails(kam, 400, "run_interval", "pchat.compliance_set", "run_interval=59")
    fails(kam, 400, "run_interval", "pchat.compliance_set", "run_interval=2592001")
    fails(kam, 400, "adapter", "pchat.compliance_set", "adapter=csv")
    fails(kam, 400, "absolute", "pchat.compliance_set", "output_dir=relative/dir")
    fails(kam, 400, "unknown", "pchat.compliance_set", "colour=blue")
    fails(kam, 400, "nothing to change", "pchat.compliance_set")
    # all or nothing: a bad field changes nothing
    fails(kam, 400, "adapter", "pchat.compliance_set", f"output_dir={outdir}", "adapter=x")
    assert one(kam, "pchat.compliance_get")["output_dir"] == ""
    cfg = _set(kam, enabled="true", adapter="", run_interval=2592000)
    assert cfg == {"enabled": "1", "adapter": "", "output_dir": "", "run_interval": "2592000",
                   "one_room_per_file": "0", "add_room_details": "0",
                   "add_user_details": "0", "xslt": ""}
    fails(kam, 400, "'xslt': not an absolute path", "pchat.compliance_set", "xslt=a.xsl")
    _set(kam, enabled="false", adapter="xml", run_interval=900)


def test_no_adapter_writes_nothing_and_keeps_the_events_queued(nodes, cdb, outdir):
    kam = nodes()
    _set(kam, adapter="", output_dir=outdir)
    _script(cdb)
    assert _run(kam)["events"] == "0"
    assert _files(outdir) == [] and _status(kam)["compliance_events_pending"] == "8"
    _set(kam, adapter="xml")
    assert _run(kam)["events"] == "8"


def test_the_run_interval_is_honoured(nodes, cdb, outdir, mariadb):
    # 100 ms per second of RunInterval: the minimum, 60, is 6 s
    kam = nodes(PCHAT_COMPLIANCE_INTERVAL_UNIT_MS=100)
    _set(kam, adapter="jsonl", output_dir=outdir, run_interval=60)
    first = _event(cdb, "JOIN", T0, (1, "ma-chan://example.com/a", "a"))
    # no RPC: the process runs by itself
    assert wait_until(lambda: _ids_in(outdir) == [first], timeout=15)
    t_run = time.monotonic()
    second = _event(cdb, "PART", T0 + 1, (1, "ma-chan://example.com/a", "a"))
    time.sleep(2)
    if time.monotonic() - t_run < 5:
        # not before the interval since the last run
        assert _ids_in(outdir) == [first]
    assert wait_until(lambda: _ids_in(outdir) == [first, second], timeout=15)
    # a longer interval, re-read for the next run
    _set(kam, run_interval=3600)
    third = _event(cdb, "JOIN", T0 + 2, (1, "ma-chan://example.com/a", "a"))
    time.sleep(8)
    assert _ids_in(outdir) == [first, second]
    assert _run(kam)["events"] == "1" and _ids_in(outdir) == [first, second, third]


def test_an_unwritable_directory_keeps_events_queued_and_chat_going(nodes, cdb, outdir):
    kam = nodes()
    blocker = os.path.join(outdir, "not-a-dir")
    open(blocker, "w").close()
    bad = os.path.join(blocker, "archive")  # ENOTDIR, even for root
    _set(kam, adapter="jsonl", output_dir=bad)
    ids = _script(cdb)[2]
    fails(kam, 500, "cannot create", "pchat.compliance_run")
    fails(kam, 500, "cannot create", "pchat.compliance_run")
    st = _status(kam)
    assert st["compliance_state"] == "failing" and "Not a directory" in st["compliance_last_error"]
    assert st["compliance_events_pending"] == "8" and st["compliance_last_event_id"] == "0"
    # logged once, not once per attempt
    assert kam.log().count("the adapter run failed") == 1
    # chat goes on
    _, guid, _ = make_room(cdb)
    alice = ChatUser(kam, unique("alice"))
    try:
        assert alice.join(guid).code == 200
        assert alice.post(guid, "still here").status == 200
    finally:
        alice.close()
    # fixed: exported once
    good = os.path.join(outdir, "archive")
    os.mkdir(good)
    _set(kam, output_dir=good)
    assert _run(kam)["events"] == "8"
    assert _ids_in(good) == ids
    st = _status(kam)
    assert st["compliance_state"] == "ok" and st["compliance_last_error"] == ""
    assert "succeeds again" in kam.log()


def test_a_crash_between_file_and_record_exports_every_event_once(nodes, cdb, outdir):
    # batches of 5; the hook exits right after the first file's rename
    kam = nodes(PCHAT_COMPLIANCE_BATCH_SIZE=5, PCHAT_COMPLIANCE_TEST_CRASH=1)
    _set(kam, adapter="jsonl", output_dir=outdir)
    room = (1, "ma-chan://example.com/a", "a")
    ids = [_event(cdb, "CHAT", T0 + i, room, seq=i + 1, content=f"m{i}") for i in range(12)]
    with pytest.raises(Exception):
        kam.rpc("pchat.compliance_run", timeout=20)
    assert wait_until(lambda: not kam.alive() or kam.proc.poll() is not None, timeout=20)
    # the file is there, the record is not
    assert _ids_in(outdir) == ids[:5]
    assert cdb.sql("SELECT last_event_id FROM pchat_compliance_state")[0][0] == "0"
    kam.stop()
    # events keep coming meanwhile
    ids.append(_event(cdb, "CHAT", T0 + 99, room, seq=99, content="late"))
    again = nodes(port=kam.port, PCHAT_COMPLIANCE_BATCH_SIZE=5)
    assert _run(again)["events"] == "13"
    assert _ids_in(outdir) == ids
    assert [f for f in os.listdir(outdir) if f.startswith(".")] == []


def test_kill_9_in_the_middle_of_a_big_export_loses_and_repeats_nothing(nodes, cdb, outdir):
    kam = nodes(PCHAT_COMPLIANCE_BATCH_SIZE=500)
    _set(kam, adapter="jsonl", output_dir=outdir)
    cdb.sql("INSERT INTO pchat_compliance_event (type, ts_ms, room_id, room_uri, user_uri, "
            "content, node) SELECT 'CHAT', 1765000000000 + seq, 1, 'ma-chan://example.com/a', "
            "'sip:alice@example.com', CONCAT('m', seq), 'n1' FROM seq_1_to_30000")
    try:
        kam.rpc("pchat.compliance_run", timeout=0.5)
    except Exception:
        pass
    assert wait_until(lambda: len(_files(outdir, ".jsonl")) >= 2, timeout=30)
    os.killpg(kam.proc.pid, signal.SIGKILL)
    kam.proc.wait(5)
    kam.proc = None
    done = int(cdb.sql("SELECT last_event_id FROM pchat_compliance_state")[0][0])
    again = nodes(port=kam.port, PCHAT_COMPLIANCE_BATCH_SIZE=500)
    _run(again)
    ids = _ids_in(outdir)
    all_ids = [int(r[0]) for r in cdb.sql("SELECT id FROM pchat_compliance_event ORDER BY id")]
    assert ids == all_ids, (len(ids), len(all_ids), done)


def test_two_nodes_one_lease_and_a_takeover_when_the_holder_dies(nodes, cdb, outdir):
    a = nodes(PCHAT_COMPLIANCE_LEASE=3)
    b = nodes(PCHAT_COMPLIANCE_LEASE=3)
    _set(a, adapter="jsonl", output_dir=outdir)
    names = {_status(a)["compliance_node"], _status(b)["compliance_node"]}
    assert len(names) == 2
    assert wait_until(lambda: _status(a)["compliance_lease_holder"] in names, timeout=10)
    holder_name = _status(a)["compliance_lease_holder"]
    holder, other = (a, b) if holder_name == _status(a)["compliance_node"] else (b, a)
    # one holder, seen alike from both; the other may not run
    assert _status(other)["compliance_lease_holder"] == holder_name
    first = _event(cdb, "JOIN", T0, (1, "ma-chan://example.com/a", "a"))
    fails(other, 500, "lease is held by " + holder_name, "pchat.compliance_run")
    assert _run(holder)["events"] == "1"
    # the holder dies: the other takes over once the lease has expired
    second = _event(cdb, "PART", T0 + 1, (1, "ma-chan://example.com/a", "a"))
    os.killpg(holder.proc.pid, signal.SIGKILL)
    holder.proc.wait(5)
    holder.proc = None
    other_name = _status(other)["compliance_node"]
    assert wait_until(lambda: _status(other)["compliance_lease_holder"] == other_name,
                      timeout=20)
    assert _run(other)["events"] == "1"
    assert _ids_in(outdir) == [first, second]


def test_pchatctl_compliance_verbs_and_status(nodes, cdb, outdir):
    from kamailio import pchatctl
    kam = nodes()
    out = pchatctl(kam, "set-compliance", "--adapter", "xml", "--output-dir", outdir,
                   "--run-interval", "600", "--add-room-details", "true")
    assert out.returncode == 0, out.stderr
    got = json.loads(pchatctl(kam, "get-compliance", json_output=True).stdout)
    assert got["output_dir"] == outdir and got["run_interval"] == 600
    assert got["add_room_details"] == 1 and got["adapter"] == "xml"
    bad = pchatctl(kam, "set-compliance", "--run-interval", "10")
    assert bad.returncode == 1 and "run_interval" in bad.stderr
    _script(cdb)
    status = pchatctl(kam, "status").stdout
    assert re.search(r"compliance_events_pending\W+8", status), status
    ran = json.loads(pchatctl(kam, "run-compliance", json_output=True).stdout)
    assert ran["events"] == 8 and ran["files"] == 1
    status = pchatctl(kam, "status").stdout
    assert re.search(r"compliance_events_pending\W+0", status), status
    assert _status(kam)["compliance_node"] in status


@pytest.fixture
def small_disk():
    """A 64 KiB tmpfs (root only; skipped where mount is refused)."""
    d = tempfile.mkdtemp(prefix="pchat-cexp-disk-")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", d],
                      capture_output=True).returncode != 0:
        os.rmdir(d)
        pytest.skip("cannot mount a tmpfs here")
    yield d
    subprocess.run(["umount", d], capture_output=True)
    os.rmdir(d)


def test_a_disk_that_fills_mid_file_keeps_events_queued_then_exports_once(
        nodes, cdb, small_disk):
    kam = nodes()
    _set(kam, adapter="jsonl", output_dir=small_disk)
    room = (1, "ma-chan://example.com/a", "a")
    ids = [_event(cdb, "CHAT", T0 + i, room, seq=i + 1, content=f"{i} " + "x" * 2000)
           for i in range(100)]  # about 200 KB of lines
    fails(kam, 500, "No space left on device", "pchat.compliance_run")
    # no partial file, no temporary file: the space is free again
    assert os.listdir(small_disk) == []
    st = _status(kam)
    assert st["compliance_state"] == "failing" and st["compliance_events_pending"] == "100"
    # chat's store is elsewhere: the node is up
    assert kam.rpc("core.uptime")
    subprocess.run(["mount", "-o", "remount,size=4m", small_disk], check=True)
    assert _run(kam)["events"] == "100"
    assert _ids_in(small_disk) == ids


def test_no_output_directory_with_events_waiting_is_an_error(nodes, cdb):
    kam = nodes()
    assert _run(kam)["events"] == "0"  # nothing waits: nothing to complain about
    _script(cdb)
    fails(kam, 500, "compliance_output_dir is not set", "pchat.compliance_run")
    assert _status(kam)["compliance_last_error"] == "compliance_output_dir is not set"


def test_a_node_without_the_adapter_process_never_runs_it(nodes, cdb, outdir):
    off = nodes(PCHAT_COMPLIANCE_RUN=0, PCHAT_COMPLIANCE_LEASE=3)
    _set(off, adapter="jsonl", output_dir=outdir)
    _script(cdb)
    fails(off, 503, "not running", "pchat.compliance_run")
    time.sleep(2)
    st = _status(off)
    assert st["compliance_lease_holder"] == "" and st["compliance_events_pending"] == "8", st
    assert "PCHAT COMPLIANCE" not in off.rpc("core.psx")
    on = nodes(PCHAT_COMPLIANCE_LEASE=3)
    _run(on)
    assert len(_ids_in(outdir)) == 8


def test_an_event_committed_late_into_a_gap_is_not_skipped(nodes, cdb, outdir):
    """An id is taken at INSERT, the row seen at COMMIT: a transaction that
    commits after a later one leaves a gap for a while. The run stops
    before a gap until the row after it is 60 s old, so the late event is
    exported, once; an old gap (a rolled-back event) is passed. Old: by
    the database's clock at the row's INSERT (recorded_ms), not ts_ms."""
    kam = nodes()
    _set(kam, adapter="jsonl", output_dir=outdir)
    room = (1, "ma-chan://example.com/a", "a")
    now = int(cdb.sql("SELECT ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000)")[0][0])
    a = _event(cdb, "CHAT", T0, room, seq=1, content="a")
    gone = _event(cdb, "CHAT", T0 + 1, room, seq=2, content="rolled back")
    b = _event(cdb, "CHAT", T0 + 2, room, seq=3, content="b")
    cdb.sql(f"DELETE FROM pchat_compliance_event WHERE id = {gone}")
    # old by the database's clock (recorded_ms), whatever ts_ms says
    assert _run(kam)["events"] == "1"          # b waits behind the young gap
    cdb.sql(f"UPDATE pchat_compliance_event SET recorded_ms = recorded_ms - 61000 "
            f"WHERE id = {b}")
    assert _run(kam)["events"] == "1"          # an old gap is passed
    assert _ids_in(outdir) == [a, b]
    late = _event(cdb, "CHAT", now, room, seq=4, content="late")
    c = _event(cdb, "CHAT", now, room, seq=5, content="c")
    cdb.sql(f"DELETE FROM pchat_compliance_event WHERE id = {late}")
    assert _run(kam)["events"] == "0"          # c waits behind the young gap
    assert _status(kam)["compliance_events_pending"] == "1"
    # the late transaction commits
    cdb.sql("INSERT INTO pchat_compliance_event (id, type, ts_ms, room_id, user_uri, content, "
            f"node) VALUES ({late}, 'CHAT', {now}, 1, 'sip:alice@example.com', 'late', 'n1')")
    assert _run(kam)["events"] == "2"
    assert _ids_in(outdir) == [a, b, late, c]


def test_leftover_files_of_unrecorded_batches_are_removed_before_a_run(nodes, cdb, outdir):
    kam = nodes()
    _set(kam, adapter="jsonl", output_dir=outdir)
    ids = _script(cdb)[2]
    # a dead holder's file of ids[3:] and a temporary file; an older
    # recorded file and an operator's file stay
    for name in (f"pchat-{ids[3]}-{ids[-1]}.jsonl", f".pchat-{ids[0]}-{ids[2]}.jsonl.tmp",
                 "pchat-0-0.jsonl", "notes.txt"):
        with open(os.path.join(outdir, name), "w") as f:
            f.write("{}\n" if name.startswith("pchat-0") else "x\n")
    assert _run(kam)["events"] == "8"
    assert _files(outdir) == ["notes.txt", "pchat-0-0.jsonl", f"pchat-{ids[0]}-{ids[-1]}.jsonl"]


def test_a_run_longer_than_the_wait_answers_running_and_goes_on(nodes, cdb, outdir):
    kam = nodes(PCHAT_COMPLIANCE_BATCH_SIZE=100)
    _set(kam, adapter="xml", output_dir=outdir)
    cdb.sql("INSERT INTO pchat_compliance_event (type, ts_ms, room_id, room_uri, user_uri, "
            "content, node) SELECT 'CHAT', 1765000000000 + seq, 1 + seq % 50, "
            "CONCAT('ma-chan://example.com/', seq % 50), 'sip:alice@example.com', "
            "CONCAT('m', seq), 'n1' FROM seq_1_to_50000")
    r = _run_wait(kam, 0)
    assert r["state"] == "running" and set(r) == {"state", "node"}
    assert wait_until(lambda: _status(kam)["compliance_events_pending"] == "0", timeout=120)
    files = _files(outdir)
    assert len(files) == 500
    for f in files[:3] + files[-3:]:
        _valid(os.path.join(outdir, f))


def _run_wait(kam, wait):
    return one(kam, "pchat.compliance_run", f"wait={wait}")


def _masked(conv):
    """A conversation with its times checked for consistency, then masked."""
    def t(d):
        ms = int(d["since1970"])
        assert d == _time(ms), d
        return "T"
    return {"channel": conv["channel"],
            "messages": [(tag, a, s, t(d)) for tag, a, s, d in conv["messages"]],
            "start": t(conv["start"]), "end": t(conv["end"])}


def test_a_captured_chat_session_is_exported_as_xml_and_json_lines(nodes, cdb, outdir):
    """End to end with the capture: two users join, post, read history,
    search, part, an administrator removes a post, a session ends."""
    kam = nodes()
    _set(kam, enabled="true", adapter="xml", output_dir=outdir, add_room_details="true")
    time.sleep(1.2)  # the nodes' copy of the configuration lives at most a second
    rid, guid, name = make_room(cdb)
    a, b = ChatUser(kam, unique("a")), ChatUser(kam, unique("b"))
    try:
        assert a.join(guid).code == 200 and b.join(guid).code == 200
        assert a.post(guid, "hello from a").status == 200
        assert b.post(guid, "secret from b").status == 200
        a.wait_message(guid)
        a.wait_message(guid)
        assert a.history(guid).code == 200
        assert b.dlg.command("chansrch", f'<qib qtype="BYNAME" criteria="{name}" '
                             'extended="false"/>').code == 200
        assert b.part(guid).code == 200
        assert one(kam, "pchat.message_remove", f"room={name}",
                   "filter=secret")["matched"] == "1"
        assert a.dlg.bye().status == 200
    finally:
        a.close()
        b.close()
    types = lambda: [t for t, in cdb.sql(  # noqa: E731
        "SELECT type FROM pchat_compliance_event ORDER BY id")]
    assert wait_until(lambda: types().count("PART") == 2), types()
    _set(kam, enabled="false")
    seq = int(cdb.sql("SELECT MIN(msg_seq) FROM pchat_compliance_event WHERE type = 'CHAT'")[0][0])
    assert _run(kam)["files"] == "1"
    (path,) = [os.path.join(outdir, f) for f in _files(outdir)]
    _valid(path)
    (conv,) = _conversations(path)
    ua, ub = a.uri[4:], b.uri[4:]
    room_uri = f"ma-chan://{kam.domain}/{guid}"

    def m(tag, type_, content, id_, who):
        x = _msg(tag, type_, content, id_, who, 0)
        return x[:3] + ("T",)
    assert _masked(conv) == {
        "channel": {"uri": room_uri, "name": name},
        "messages": [
            m("FirstMessage", "JOIN", "", 0, ua),
            m("Message", "JOIN", "", 0, ub),
            m("Message", "CHAT", "hello from a", seq, ua),
            m("Message", "CHAT", "secret from b", seq + 1, ub),
            m("Message", "BACKCHAT", "", 0, ua),
            m("Message", "PART", "", 0, ub),
            m("Message", "PART", "", 0, ua)],
        "start": "T", "end": "T"}
    # the same events as JSON lines: every type, the removed text kept
    cdb.sql("UPDATE pchat_compliance_state SET last_event_id = 0")
    os.unlink(path)
    _set(kam, adapter="jsonl")
    _run(kam)
    (path,) = [os.path.join(outdir, f) for f in _files(outdir)]
    with open(path) as f:
        lines = [json.loads(line) for line in f]
    assert [(e["type"], e["user"], e["content"]) for e in lines] == [
        ("JOIN", a.uri, None), ("JOIN", b.uri, None),
        ("CHAT", a.uri, "hello from a"), ("CHAT", b.uri, "secret from b"),
        ("BACKCHAT", a.uri, None), ("SEARCH", b.uri, name), ("PART", b.uri, None),
        ("REMOVE", "rpc", None), ("PART", a.uri, None)]
    assert json.loads(lines[7]["detail"]) == {"original": "secret from b"}
    assert all(e["room_uri"] == room_uri for e in lines if e["type"] != "SEARCH")
    assert all(e["node"] == _status(kam)["compliance_node"] for e in lines)


# --- XSLT post-processing (Lync's CustomConfiguration) ----------------------

_CSV_XSL = """<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/">
<xsl:for-each select="//FirstMessage|//Message">
<xsl:value-of select="@type"/>,<xsl:value-of select="Sender/@uri"/>,<xsl:value-of
 select="DateTimeUTC/@since1970"/>,<xsl:value-of select="../../Channel/@uri|../Channel/@uri"/>
<xsl:text>&#10;</xsl:text>
</xsl:for-each>
</xsl:template>
</xsl:stylesheet>
"""

_RENAME_XSL = """<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/Conversations">
<Archive source="pchat" rooms="{count(Conversation)}"><xsl:copy-of select="*"/></Archive>
</xsl:template>
</xsl:stylesheet>
"""

_BROKEN_XSL = """<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><xsl:value-of select="count(("/></xsl:template>
</xsl:stylesheet>
"""

_FAILING_XSL = """<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><xsl:message terminate="yes">no</xsl:message></xsl:template>
</xsl:stylesheet>
"""


# a stylesheet may not write files (it runs inside Kamailio, as its user)
_WRITING_XSL = """<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
 xmlns:exsl="http://exslt.org/common" extension-element-prefixes="exsl">
<xsl:template match="/"><exsl:document href="ESCAPE">x</exsl:document><out/></xsl:template>
</xsl:stylesheet>
"""


def _xsl(d, name, text):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return path


@pytest.fixture
def xsldir():
    d = tempfile.mkdtemp(prefix="pchat-cxsl-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_an_xslt_stylesheet_turns_each_xml_file_into_its_output(nodes, cdb, outdir, xsldir):
    kam = nodes()
    csv = _xsl(xsldir, "csv.xsl", _CSV_XSL)
    assert _set(kam, adapter="xml", output_dir=outdir, xslt=csv)["xslt"] == csv
    r1, r2, ids = _script(cdb)
    assert _run(kam)["events"] == "8"
    # the transformed document is the file; the XmlAdapter one is not kept
    assert _files(outdir) == [f"pchat-{ids[0]}-{ids[-1]}.xml"]
    with open(os.path.join(outdir, _files(outdir)[0])) as f:
        rows = [line.split(",") for line in f.read().splitlines()]
    a, b = "alice@example.com", "bob@example.com"
    assert rows == [["JOIN", a, str(T0), r1[1]], ["CHAT", a, str(T0 + 2), r1[1]],
                    ["FILEUPLOAD", a, str(T0 + 5), r1[1]], ["PART", a, str(T0 + 7), r1[1]],
                    ["JOIN", b, str(T0 + 1), r2[1]], ["BACKCHAT", b, str(T0 + 3), r2[1]]]
    # XML out: a renamed root around Lync's Conversations, one file per room
    _set(kam, xslt=_xsl(xsldir, "rename.xsl", _RENAME_XSL), one_room_per_file="true")
    more = _event(cdb, "JOIN", T0 + 10, r1)
    assert _run(kam)["files"] == "1"
    root = ET.parse(os.path.join(outdir, f"pchat-{more}-{more}-r11.xml")).getroot()
    assert (root.tag, root.attrib) == ("Archive", {"source": "pchat", "rooms": "1"})
    assert [c.tag for c in root] == ["Conversation"]
    assert root.find("Conversation/Channel").attrib == {"uri": r1[1]}
    assert not [f for f in os.listdir(outdir) if f.startswith(".")]


@pytest.mark.parametrize("bad,error", [
    (_BROKEN_XSL, "cannot parse the stylesheet"),
    (_FAILING_XSL, "failed on"),
    (_WRITING_XSL, "failed on"),
    (None, "cannot parse the stylesheet"),  # no such file
])
def test_a_bad_stylesheet_keeps_events_queued_then_exports_them_once(
        nodes, cdb, outdir, xsldir, bad, error):
    kam = nodes()
    escape = os.path.join(xsldir, "escaped.txt")
    path = (_xsl(xsldir, "a.xsl", bad.replace("ESCAPE", escape)) if bad
            else os.path.join(xsldir, "a.xsl"))
    _set(kam, adapter="xml", output_dir=outdir, xslt=path)
    r1, r2, ids = _script(cdb)
    fails(kam, 500, error, "pchat.compliance_run")
    fails(kam, 500, error, "pchat.compliance_run")
    st = _status(kam)
    assert error in st["compliance_last_error"] and path in st["compliance_last_error"]
    assert st["compliance_events_pending"] == "8" and st["compliance_state"] == "failing"
    assert _files(outdir) == [] and not os.listdir(outdir)  # no temporary file left
    assert not os.path.exists(escape)
    # fixed: every event once
    _xsl(xsldir, "a.xsl", _RENAME_XSL)
    assert _run(kam)["events"] == "8"
    assert _files(outdir) == [f"pchat-{ids[0]}-{ids[-1]}.xml"]
    root = ET.parse(os.path.join(outdir, _files(outdir)[0])).getroot()
    assert root.tag == "Archive" and len(root) == 2
    assert _status(kam)["compliance_events_pending"] == "0"
    assert _run(kam)["events"] == "0" and len(_files(outdir)) == 1


def test_pchatctl_sets_the_stylesheet(nodes, xsldir):
    from kamailio import pchatctl
    kam = nodes()
    path = _xsl(xsldir, "r.xsl", _RENAME_XSL)
    out = pchatctl(kam, "set-compliance", "--xslt", path)
    assert out.returncode == 0 and path in out.stdout, out.stderr
    assert one(kam, "pchat.compliance_get")["xslt"] == path
    assert pchatctl(kam, "set-compliance", "--xslt", "").returncode == 0
    assert one(kam, "pchat.compliance_get")["xslt"] == ""
