"""Clock jumps (issue 15, bad input and faults): a Kamailio whose wall
clock jumps a day forward or an hour back (libfaketime: that process only,
tests/lib/fakeclock.py) exports every compliance event exactly once; a lease
holder whose clock jumps keeps the other node out and loses nothing; its
retention run removes nothing younger than retention_days. The lease, the
export's gap rule and the retention cut-off read the database's clock
(NOW(3)); the run schedule is on CLOCK_MONOTONIC."""

import os
import signal
import subprocess
import time

import pytest

from admin import fails
from chat import ChatUser, make_room, unique, wait_until
from fakeclock import FakeClock
from test_compliance_export import (DB, T0, _event, _ids_in, _run, _set, _status,  # noqa: F401
                                    cdb, nodes, outdir)
from test_retention import ALICE, BOB, add_messages, retention_cat, run_retention, seqs

HOUR_MS = 3600 * 1000


@pytest.fixture
def clock():
    c = FakeClock()
    yield c
    c.cleanup()


class _OpenInsert:
    """An event INSERTed in a transaction still open (as a post's or a
    join's would be): its id is taken, its row unseen until commit()."""

    def __init__(self, mariadb):
        self.proc = subprocess.Popen(mariadb._client(DB) + ["--unbuffered"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.proc.stdin.write("BEGIN; INSERT INTO pchat_compliance_event (type, ts_ms, "
                              "user_uri, node) VALUES ('SEARCH', 1, 'sip:late@example.com', "
                              "'n1'); SELECT 'open', LAST_INSERT_ID();\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline().split()
        assert line[0] == "open", line
        self.id = int(line[1])

    def commit(self):
        self.proc.stdin.write("COMMIT;\n")
        self.end()
        assert self.proc.returncode == 0

    def end(self):
        """without commit(): the client's exit rolls the transaction back"""
        if not self.proc.stdin.closed:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture
def open_insert(mariadb):
    """open_insert() -> _OpenInsert; a test that fails before commit()
    leaves no transaction behind (it would hold the table's TRUNCATE)"""
    made = []

    def make():
        made.append(_OpenInsert(mariadb))
        return made[-1]
    yield make
    for o in made:
        o.end()


def _all_ids(cdb):
    return [int(i) for i, in cdb.sql("SELECT id FROM pchat_compliance_event ORDER BY id")]


def _db_now(cdb):
    return int(cdb.sql("SELECT ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000)")[0][0])


def _posts(user, guid, n, tag):
    for i in range(n):
        assert user.post(guid, f"{tag} {i}").status == 200


def test_a_day_forward_and_an_hour_back_lose_and_repeat_no_event(
        nodes, cdb, outdir, open_insert, clock):
    """In the middle of queued events, each jump with a transaction still
    open before the node's newest events: the run waits for it (an hour
    back, the node's times look old: ts_ms would have passed the gap and
    lost the late event), then writes everything once."""
    kam = nodes(env=clock.env, PCHAT_COMPLIANCE_INTERVAL_UNIT_MS=100)
    _set(kam, enabled="true", adapter="jsonl", output_dir=outdir, run_interval=2592000)
    time.sleep(1.2)  # the node's copy of the configuration lives at most a second
    rid, guid, name = make_room(cdb)
    a = ChatUser(kam, unique("a"))
    try:
        assert a.join(guid).code == 200
        _posts(a, guid, 2, "before")
        assert _run(kam)["events"] == "3"
        for offset, tag in (("+1d", "ahead"), ("-1h", "behind")):
            clock.set(offset)
            late = open_insert()
            _posts(a, guid, 3, tag)
            ts = [int(t) for t, in cdb.sql("SELECT ts_ms FROM pchat_compliance_event "
                                          f"WHERE content LIKE '{tag} %'")]
            # the node's clock moved: its events carry its times
            shift = _db_now(cdb) - min(ts) if tag == "behind" else min(ts) - _db_now(cdb)
            assert len(ts) == 3 and shift > (HOUR_MS if tag == "behind" else 23 * HOUR_MS) - \
                60000, (offset, ts)
            assert _run(kam)["events"] == "0", offset  # behind the open transaction
            assert _status(kam)["compliance_events_pending"] == "3"
            late.commit()
            assert _run(kam)["events"] == "4", offset
            assert _ids_in(outdir) == _all_ids(cdb), offset
        # the schedule (CLOCK_MONOTONIC) goes on after the jumps: 6 s here
        _posts(a, guid, 1, "scheduled")
        _set(kam, run_interval=60)
        assert wait_until(lambda: _ids_in(outdir) == _all_ids(cdb), timeout=20)
    finally:
        a.close()
    ids = _ids_in(outdir)
    assert len(ids) == len(set(ids)) == 3 + 4 + 4 + 1


def test_the_lease_holder_s_clock_jumps_the_other_node_stays_out(nodes, cdb, outdir, clock):
    """The lease's expiry is the database's time: a holder an hour or a day
    off neither lets a second node export at the same time nor loses an
    event; once it dies the other takes over, and writes nothing twice."""
    n1 = nodes(env=clock.env, PCHAT_COMPLIANCE_LEASE=3)
    name1 = _status(n1)["compliance_node"]
    assert wait_until(lambda: _status(n1)["compliance_lease_holder"] == name1, timeout=10)
    n2 = nodes(PCHAT_COMPLIANCE_LEASE=3)
    _set(n1, adapter="jsonl", output_dir=outdir)
    room = (1, "ma-chan://example.com/a", "a")
    ids = [_event(cdb, "JOIN", T0, room)]
    assert _run(n1)["events"] == "1"
    for offset in ("+1d", "-1h", "-1d", "+1h"):
        clock.set(offset)
        ids += [_event(cdb, "CHAT", T0 + i, room, seq=i, content=offset) for i in range(1, 4)]
        for _ in range(3):  # past a lease period: n1 renews it by itself
            fails(n2, 500, "the lease is held by " + name1, "pchat.compliance_run")
            time.sleep(0.5)
        assert _status(n2)["compliance_lease_holder"] == name1
        assert _run(n1)["events"] == "3", offset
    ids.append(_event(cdb, "PART", T0 + 9, room))
    os.killpg(n1.proc.pid, signal.SIGKILL)
    n1.proc.wait(5)
    n1.proc = None
    name2 = _status(n2)["compliance_node"]
    assert wait_until(lambda: _status(n2)["compliance_lease_holder"] == name2, timeout=20)
    assert _run(n2)["events"] == "1"
    assert _ids_in(outdir) == ids


def test_retention_on_a_node_a_month_ahead_removes_nothing_younger_than_its_days(
        nodes, cdb, clock):
    """The cut-off is the database's time minus retention_days: a node
    whose clock alone jumped 30 days forward removes only what is older
    than 5 days by the database's clock (with its own clock, everything)."""
    clock.set("+30d")
    kam = nodes(env=clock.env)
    cat = retention_cat(kam, days=5)
    rid, _, _ = make_room(cdb, category=cat)
    add_messages(cdb, rid, [(10, BOB), (1, BOB), (4.9, ALICE), (6, ALICE), (0.01, BOB)])
    st = run_retention(kam)
    assert seqs(cdb, rid) == [2, 3, 5]
    assert st["last_removed"] == "2"
