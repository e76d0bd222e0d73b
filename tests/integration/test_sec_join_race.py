"""A session that ends while one of its joins is running leaves nothing in
the roster (issue 11, point 13): the session's end parts it from its rooms,
and a join that puts it into a room after that is undone."""

import subprocess
import threading

from chat import ChatUser, make_room, session_of, unique, wait_until


class TableLock:
    """LOCK TABLES ... WRITE held on its own client connection until release():
    every query of the table waits meanwhile (a metadata lock)."""

    def __init__(self, db, table):
        self.proc = subprocess.Popen(db._client("pchat") + ["--unbuffered"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.proc.stdin.write(f"LOCK TABLES {table} WRITE; SELECT 'locked';\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "locked"

    def release(self):
        self.proc.stdin.write("UNLOCK TABLES;\n")
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def waiting_on_lock(db):
    rows = db.sql("SELECT COUNT(*) FROM information_schema.processlist "
                  "WHERE state LIKE 'Waiting for table metadata lock'")
    return int(rows[0][0])


def in_room(kam, rid, user):
    return user.uri in kam.rpc("pchat_roster.room", f"s:{rid}")


def test_a_join_that_outlives_its_session_is_undone(kam, mariadb):
    # over UDP another worker takes the BYE while the join still runs (a TCP
    # connection is read by one process, one message after the other)
    witness = ChatUser(kam, unique("w"))
    leaver = ChatUser(kam, unique("l"), transport="udp")
    try:
        rid, guid, _ = make_room(mariadb, privacy="open")
        assert witness.join(guid).code == 200
        lock = TableLock(mariadb, "pchat_node")
        try:
            # the join waits for the room, in the middle of its work
            threading.Thread(target=lambda: _quietly(leaver.join, guid),
                             daemon=True).start()
            assert wait_until(lambda: waiting_on_lock(mariadb) >= 1)
            assert leaver.dlg.bye().status == 200  # ends while the join waits
            assert wait_until(lambda: session_of(kam, leaver) is None)
        finally:
            lock.release()
        assert wait_until(lambda: waiting_on_lock(mariadb) == 0)
        # the join has run to its end by now: nothing of it is left
        witness.post(guid, "after the join")
        assert not wait_until(lambda: in_room(kam, rid, leaver), timeout=2)
        assert witness.uri in kam.rpc("pchat_roster.room", f"s:{rid}")
        witness.dlg.expect_no_server_info(
            within=0.5, predicate=lambda m: "ntc:join" in m.body)
    finally:
        witness.close()
        leaver.close()


def test_many_sessions_joining_and_leaving_leave_no_membership(kam, mariadb):
    """50 UDP sessions send a join and, without waiting, a BYE: the two run
    in different workers, in either order."""
    rid, guid, _ = make_room(mariadb, privacy="open")
    users = [ChatUser(kam, unique("j"), transport="udp") for _ in range(50)]
    threads = []
    for u in users:
        threads += [threading.Thread(target=_quietly, args=(u.join, guid, 3), daemon=True),
                    threading.Thread(target=_quietly, args=(u.dlg.bye,), daemon=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=15)
    try:
        assert wait_until(lambda: all(session_of(kam, u) is None for u in users),
                          timeout=15)
        assert wait_until(lambda: not any(in_room(kam, rid, u) for u in users), timeout=5)
    finally:
        for u in users:
            u.close()


def _quietly(f, *args):
    try:
        f(*args)
    except Exception:  # the session is gone: no answer reaches the client
        pass
