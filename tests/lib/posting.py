"""Load for the fault tests: posters posting in a closed loop, and the books
that check the stored history against what each post was answered (every
post answered 200 stored exactly once, in its poster's order).

Used by tests/integration/test_faults.py and test_galera.py.
"""

import threading
import time

from chat import ChatUser, make_room, unique
from store import DB_NAME


class Poster(threading.Thread):
    """One client posting into one room in a closed loop: the next post goes
    out as soon as the previous one is answered. Post n's text is
    "<user> <n>". Records what each post got: acked (a 200), refused
    (another final status: (n, status, Retry-After)), lost (no answer: the
    connection died or the wait timed out; the poster then stops)."""

    def __init__(self, user, guid, first=0, pause_after_refusal=0.05, timeout=10):
        super().__init__(daemon=True, name=f"poster-{user.user}")
        self.user, self.guid, self.next_n = user, guid, first
        self.pause, self.timeout = pause_after_refusal, timeout
        self.acked, self.refused, self.lost = [], [], []
        self.acked_at = []       # monotonic time each 200 arrived, as acked
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            n = self.next_n
            self.next_n += 1
            try:
                resp = self.user.post(self.guid, f"{self.user.user} {n}", timeout=self.timeout)
            except Exception as exc:  # connection gone or no answer: outcome unknown
                self.lost.append((n, repr(exc)[:200]))
                return
            if resp.status == 200:
                self.acked.append(n)
                self.acked_at.append(time.monotonic())
            else:
                self.refused.append((n, resp.status, resp.header("Retry-After")))
                time.sleep(self.pause)

    def stop(self):
        self.stopping.set()
        self.join(self.timeout + 5)
        assert not self.is_alive(), f"{self.name} is stuck"



# the posters here are load generators (next post as soon as one is
# answered): the per-session INFO rate bound (max_infos_per_second) would
# answer them 503 itself and hide what the store does
LOAD = {"PCHAT_MAX_INFOS_PER_SECOND": "0"}

def stored_posts(db, room_ids):
    """(room_id, seq, content) of the stored history of the rooms, by room and seq."""
    ids = ",".join(str(r) for r in room_ids)
    # on a Galera node, wait until it has applied what the others committed
    # before the read (commits are certified everywhere, applied later)
    return [(int(r), int(s), c) for r, s, c in db.sql(
        "SET SESSION wsrep_sync_wait = 1; "
        f"SELECT room_id, seq, content FROM pchat_message WHERE room_id IN ({ids}) "
        f"ORDER BY room_id, seq", db=DB_NAME)]


def check_history(acked, attempted, rows):
    """Compares the books with the stored history.

    acked: {user: [n, ...]} the posts answered 200, per poster;
    attempted: {user: set of every n sent (acked, refused or lost)};
    rows: (room_id, seq, content) as stored_posts() returns them.
    Returns a dict of problems (empty lists when all is well) and counts:
    missing (acked, not stored), duplicates (stored more than once),
    unknown (stored, never sent), disorder (a poster's posts stored out of
    its order: seq not increasing with n), rooms (a poster's posts in two
    rooms), found (acked and stored once), stored (rows).
    """
    where = {}
    problems = {"missing": [], "duplicates": [], "unknown": [], "disorder": [], "rooms": []}
    for room, seq, content in rows:
        user, _, n = content.rpartition(" ")
        if user not in attempted or not n.isdigit() or int(n) not in attempted[user]:
            problems["unknown"].append(content)
            continue
        key = (user, int(n))
        if key in where:
            problems["duplicates"].append(content)
        where.setdefault(key, []).append((room, seq))
    for user in attempted:
        mine = sorted((n, rs[0]) for (u, n), rs in where.items() if u == user)
        if len({room for _, (room, _) in mine}) > 1:
            problems["rooms"].append(user)
        seqs = [seq for _, (_, seq) in mine]
        if seqs != sorted(seqs) or len(set(seqs)) != len(seqs):
            problems["disorder"].append(user)
    found = 0
    for user, ns in acked.items():
        for n in ns:
            if (user, n) in where:
                found += 1
            else:
                problems["missing"].append(f"{user} {n}")
    return problems, {"found": found, "stored": len(rows)}


def assert_history(db, room_ids, posters, label):
    """check_history() over the posters' books; prints the counts."""
    acked, attempted = {}, {}
    for p in posters:
        acked.setdefault(p.user.user, []).extend(p.acked)
        attempted.setdefault(p.user.user, set()).update(
            p.acked + [n for n, *_ in p.refused] + [n for n, _ in p.lost])
    problems, counts = check_history(acked, attempted, stored_posts(db, room_ids))
    n_acked = sum(len(v) for v in acked.values())
    n_sent = sum(len(v) for v in attempted.values())
    print(f"\n{label}: posts sent {n_sent}, acknowledged {n_acked}, found {counts['found']}, "
          f"stored {counts['stored']}, duplicates {len(problems['duplicates'])}, "
          f"missing {len(problems['missing'])}, out of order {len(problems['disorder'])}")
    assert not any(problems.values()), {k: v[:10] for k, v in problems.items() if v}
    assert counts["found"] == n_acked
    return n_acked, counts


def rooms_with_posters(kam, db, n_rooms, per_room, listeners=0):
    """n_rooms rooms with per_room posters (signed in, joined) and listeners
    (members that never post). Returns (room ids, guids, users by room)."""
    ids, guids, users = [], [], []
    for _ in range(n_rooms):
        rid, guid, _ = make_room(db)
        ids.append(int(rid))
        guids.append(guid)
        here = []
        for _ in range(per_room + listeners):
            u = ChatUser(kam, unique("p"))
            assert u.join(guid).code == 200
            here.append(u)
        users.append(here)
    return ids, guids, users
