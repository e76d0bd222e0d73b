#!/usr/bin/python3
"""The measurement behind the history search's engine (README "History
search"): the same generated history searched three ways in a private
MariaDB, with the user able to read R_READ of R rooms:

  like     pchat's query (pchat_search.c): the readable room ids, then
           content LIKE '%text%' under utf8mb4_unicode_ci, newest first
  mroonga  (needs Debian's mariadb-plugin-mroonga) a Mroonga side table (N-gram tokenizer
           TokenBigramSplitSymbolAlphaDigit, NormalizerAuto), MATCH ...
           AGAINST a phrase, the same room list
  scan     LIKE over an index on the post time, newest first
  trigram  an own InnoDB table of the posts' 3-character grams (collation
           folded), the rarest gram's postings joined back, LIKE to verify

Prints, for each engine, the index build cost per post (µs added to a
one-row insert of the post, as the post writer commits it) and search
latency p50/p99 per query text. The machine is shared: numbers are noisy.

    tools/bench/search_engines.py [--msgs 1000000] [--rooms 10000]
        [--read 1000] [--engines like,scan,mroonga,trigram] [--reps 20]
"""

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))

from mariadb import MariaDB, free_port  # noqa: E402

QUERIES = ["4711-b", "50-y", "ção", "CAO", "東京", "привет", "CAFE", "zzqx"]
USER = "sip:searcher@example.com"

# words of the generated posts: English chat, ticket numbers, Portuguese,
# French, German, Japanese, Chinese and Russian fragments
WORDS = ["the", "build", "is", "green", "again", "please", "review", "deploy", "ticket",
         "meeting", "at", "noon", "server", "restart", "thanks", "lunch", "ok", "done",
         "price", "order", "client", "risk", "report", "today", "tomorrow", "friday",
         "situação", "ação", "informação", "não", "café", "résumé", "naïve", "Zürich",
         "Größe", "straße", "東京", "大阪", "会議", "明日", "確認", "北京", "上海", "问题",
         "привет", "мир", "сервер", "отчёт", "сегодня", "завтра"]


def sql_words():
    return ",".join("'" + w + "'" for w in WORDS)


def generate(sql, msgs, rooms, read, user):
    """rooms closed rooms under the root, user a member of read of them,
    msgs messages of 8 words (one in 50 with a ticket number) spread over
    the rooms and over 30 days. sql(statement) runs SQL in the database.
    Returns the ids of the rooms the user may read."""
    sql("SET @root = (SELECT id FROM pchat_node WHERE parent_id IS NULL);"
        "INSERT INTO pchat_node (guid, kind, parent_id, name, privacy) "
        f"SELECT UUID(), 'room', @root, CONCAT('r', seq), 'closed' FROM seq_1_to_{rooms}")
    ids = [int(r[0]) for r in sql("SELECT id FROM pchat_node WHERE kind = 'room' "
                                  "AND name LIKE 'r%' ORDER BY id")]
    random.seed(7)
    readable = sorted(random.sample(ids, read))
    sql("INSERT INTO pchat_role (node_id, role, principal_type, principal) VALUES "
        + ",".join(f"({i}, 'member', 'user', '{user}')" for i in readable))
    pick = f"ELT(1 + CRC32(CONCAT(seq, '-', K)) % {len(WORDS)}, {sql_words()})"
    text = "CONCAT_WS(' ', " + ", ".join(pick.replace("K", str(k)) for k in range(8)) + \
        ", IF(seq % 50 = 0, CONCAT('ticket ', seq % 9973, '-', CHAR(97 + seq % 26)), NULL))"
    step = 250_000
    for start in range(1, msgs + 1, step):
        end = min(msgs, start + step - 1)
        # room ids are consecutive (one multi-row INSERT)
        sql("INSERT INTO pchat_message (room_id, seq, ts_ms, author, content) "
            f"SELECT {ids[0]} + (seq % {len(ids)}), seq, 1767225600000 + seq * 2592, "
            f"CONCAT('sip:u', seq % 500, '@example.com'), {text} FROM seq_{start}_to_{end}")
    sql("UPDATE pchat_node SET last_seq = 100000000 WHERE kind = 'room'")
    return readable


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="pchat-search-bench-")
        self.db = MariaDB(os.path.join(self.tmp, "db"), free_port())

    def sql(self, s, timeout=3600):
        return self.db.sql(s, db="pchat", timeout=timeout)

    def client(self):
        return ["mariadb", "--no-defaults", "-uroot", f"--socket={self.db.socket}",
                "pchat", "--batch", "--skip-column-names"]

    def setup(self):
        # its own tmpdir: files of other jobs' MariaDBs in /tmp get cleaned
        args = ["--innodb-buffer-pool-size=2G", f"--tmpdir={self.tmp}",
                "--innodb-log-file-size=512M"]
        if "mroonga" in self.args.engines:  # Debian mariadb-plugin-mroonga
            args.append("--plugin-load-add=ha_mroonga.so")
        self.db.start(extra_args=args)
        self.db.sql("CREATE DATABASE pchat CHARACTER SET utf8mb4")
        self.db.load_file(os.path.join(TOP, "sql", "pchat-create.sql"), "pchat")
        a = self.args
        t = time.monotonic()
        self.readable = generate(self.sql, a.msgs, a.rooms, a.read, USER)
        print(f"# {a.msgs} messages in {a.rooms} rooms generated in "
              f"{time.monotonic() - t:.0f} s; the user reads {a.read}", flush=True)
        print("# sample: " + self.sql("SELECT content FROM pchat_message "
                                      "WHERE seq = 50")[0][0], flush=True)

    def rooms_sql(self):
        return ",".join(str(i) for i in self.readable)

    def timed(self, statements):
        """Runs each statement in one client session, returns ms of each
        (server side: SELECT timings around each)."""
        script = []
        for s in statements:
            script.append("SET @t = SYSDATE(6);")
            script.append(s.rstrip(";") + ";")
            script.append("SELECT 'T', TIMESTAMPDIFF(MICROSECOND, @t, SYSDATE(6));")
        out = subprocess.run(self.client(), input="\n".join(script).encode(),
                             capture_output=True, timeout=7200)
        if out.returncode:
            raise RuntimeError(out.stderr.decode()[-2000:])
        times, counts, n = [], [], 0
        for line in out.stdout.decode().splitlines():
            if line.startswith("T\t"):
                times.append(int(line.split("\t")[1]) / 1000.0)
                counts.append(n)
                n = 0
            else:
                n += 1
        return times, counts

    def report(self, engine, q, times, counts):
        times = sorted(times)
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        print(f"{engine:8} {q:10} rows {counts[0]:3}  p50 {statistics.median(times):8.1f} ms"
              f"  p99 {p99:8.1f} ms  max {times[-1]:8.1f} ms", flush=True)

    # ----- engines -----

    def like_sql(self, q):
        like = "%" + q.replace("\\", "\\\\\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return ("SET STATEMENT in_predicate_conversion_threshold = 0 FOR "
                "SELECT m.seq, m.ts_ms, m.author, m.content, m.room_id FROM pchat_message m "
                f"WHERE m.room_id IN ({self.rooms_sql()}) AND m.content LIKE '{like}' "
                "ORDER BY m.ts_ms DESC, m.room_id DESC, m.seq DESC LIMIT 51")

    def run_like(self):
        for q in QUERIES:
            times, counts = self.timed([self.like_sql(q)] * self.args.reps)
            self.report("like", q, times, counts)
        self.insert_cost("like", [])  # nothing to add: the bare cost twice

    def _insert_batch(self, extra, n, base):
        """ms for n posts in one transaction (the post writer commits a
        batch of posts at a time), each a message row and the engine's
        index rows."""
        rid = self.readable[0]
        stm = []
        for i in range(n):
            text = " ".join(random.choice(WORDS) for _ in range(10)) + f" ticket {i}-x"
            seq = base + i
            stm.append("INSERT INTO pchat_message (room_id, seq, ts_ms, author, content) "
                       f"VALUES ({rid}, {seq}, 1800000000000, 'sip:w@example.com', '{text}')")
            stm += [e(rid, seq, text) if callable(e) else e.format(rid=rid, seq=seq, text=text)
                    for e in extra]
        script = ("BEGIN; SET @t = SYSDATE(6);\n" + ";\n".join(stm) +
                  ";\nCOMMIT; SELECT TIMESTAMPDIFF(MICROSECOND, @t, SYSDATE(6));")
        out = subprocess.run(self.client(), input=script.encode(), capture_output=True,
                             timeout=3600)
        if out.returncode:
            raise RuntimeError(out.stderr.decode()[-2000:])
        return int(out.stdout.decode().split()[-1])

    def insert_cost(self, engine, extra, cleanup=()):
        """µs per post the engine adds to a batch of 500 posts in one
        transaction, alternating with the bare INSERT (5 rounds each, the
        medians compared: the machine is shared)."""
        n, bare, full = 500, [], []
        for r in range(5):
            bare.append(self._insert_batch([], n, 200_000_000 + 2 * r * n))
            full.append(self._insert_batch(extra, n, 200_000_000 + (2 * r + 1) * n))
        self.sql("DELETE FROM pchat_message WHERE seq >= 200000000")
        for c in cleanup:
            self.sql(c)
        b, f = statistics.median(bare) / n, statistics.median(full) / n
        print(f"{engine:8} insert: {f:.0f} µs per post in a batch of {n}, bare {b:.0f}: "
              f"the index adds {f - b:.0f} µs", flush=True)
        return f - b

    def run_scan(self):
        """LIKE again, walking an index on the post time newest first: stops
        at the page's end when the text is common, reads everything when
        it is rare."""
        self.sql("ALTER TABLE pchat_message ADD KEY k_ts (ts_ms)")
        for q in QUERIES:
            s = self.like_sql(q).replace("FROM pchat_message m ",
                                         "FROM pchat_message m FORCE INDEX (k_ts) ")
            times, counts = self.timed([s] * self.args.reps)
            self.report("scan", q, times, counts)
        # its insert cost is one more entry in a B-tree ordered by time
        # (appended at the right edge), as the two keys the table has
        self.sql("ALTER TABLE pchat_message DROP KEY k_ts")

    def run_mroonga(self):
        t = time.monotonic()
        self.sql("CREATE TABLE pchat_message_fts (room_id BIGINT UNSIGNED NOT NULL, "
                 "seq BIGINT UNSIGNED NOT NULL, ts_ms BIGINT NOT NULL, content MEDIUMTEXT, "
                 "PRIMARY KEY (room_id, seq), KEY (ts_ms), "
                 "FULLTEXT INDEX ft (content) COMMENT 'tokenizer "
                 f"\"TokenBigramSplitSymbolAlphaDigit\", normalizer \"{self.args.normalizer}\"') "
                 "ENGINE=Mroonga DEFAULT CHARSET=utf8mb4;"
                 "INSERT INTO pchat_message_fts SELECT room_id, seq, ts_ms, content "
                 "FROM pchat_message")
        print(f"mroonga  built over the history in {time.monotonic() - t:.0f} s", flush=True)
        for q in QUERIES:
            s = ("SELECT f.room_id, f.seq, f.ts_ms FROM pchat_message_fts f WHERE "
                 f"MATCH(f.content) AGAINST('\"{q}\"' IN BOOLEAN MODE) AND "
                 f"f.room_id IN ({self.rooms_sql()}) ORDER BY f.ts_ms DESC LIMIT 51")
            times, counts = self.timed([s] * self.args.reps)
            self.report("mroonga", q, times, counts)
        self.insert_cost("mroonga", [
            "INSERT INTO pchat_message_fts VALUES ({rid}, {seq}, 1800000000000, '{text}')"],
            ["DELETE FROM pchat_message_fts WHERE seq >= 200000000"])

    def run_trigram(self):
        t = time.monotonic()
        self.sql("CREATE TABLE pchat_message_gram (gram CHAR(3) NOT NULL, "
                 "room_id BIGINT UNSIGNED NOT NULL, seq BIGINT UNSIGNED NOT NULL, "
                 "PRIMARY KEY (gram, room_id, seq)) ENGINE=InnoDB "
                 "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;"
                 "INSERT IGNORE INTO pchat_message_gram SELECT SUBSTRING(m.content, s.seq, 3), "
                 "m.room_id, m.seq FROM pchat_message m JOIN seq_1_to_400 s "
                 "ON s.seq <= CHAR_LENGTH(m.content) - 2")
        rows, size = self.sql("SELECT TABLE_ROWS, DATA_LENGTH + INDEX_LENGTH FROM "
                              "information_schema.TABLES WHERE TABLE_NAME = "
                              "'pchat_message_gram'")[0]
        msize = self.sql("SELECT DATA_LENGTH + INDEX_LENGTH FROM information_schema.TABLES "
                         "WHERE TABLE_NAME = 'pchat_message'")[0][0]
        print(f"trigram  built over the history in {time.monotonic() - t:.0f} s: "
              f"~{int(rows) / self.args.msgs:.0f} rows per post, "
              f"{int(size) / 2**20:.0f} MB (messages {int(msize) / 2**20:.0f} MB)", flush=True)
        for q in QUERIES:
            grams = sorted({q[i:i + 3] for i in range(len(q) - 2)})
            if not grams:
                s = self.like_sql(q)  # shorter than a gram: the scan
            else:
                lst = ",".join("'" + g + "'" for g in grams)
                s = ("SELECT m.seq, m.ts_ms, m.author, m.content, m.room_id FROM "
                     "(SELECT room_id, seq FROM pchat_message_gram WHERE gram IN "
                     f"({lst}) AND room_id IN ({self.rooms_sql()}) GROUP BY room_id, seq "
                     f"HAVING COUNT(DISTINCT gram) = {len(grams)}) g JOIN pchat_message m "
                     f"USING (room_id, seq) WHERE m.content LIKE '%{q}%' "
                     "ORDER BY m.ts_ms DESC, m.room_id DESC, m.seq DESC LIMIT 51")
            times, counts = self.timed([s] * self.args.reps)
            self.report("trigram", q, times, counts)
        # the writer would send the post's grams as one multi-row INSERT
        self.insert_cost("trigram", [
            lambda rid, seq, text: "INSERT IGNORE INTO pchat_message_gram VALUES " + ",".join(
                f"('{text[i:i + 3]}', {rid}, {seq})" for i in range(len(text) - 2))],
            ["DELETE FROM pchat_message_gram WHERE seq >= 200000000"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--msgs", type=int, default=1_000_000)
    ap.add_argument("--rooms", type=int, default=10_000)
    ap.add_argument("--read", type=int, default=1_000)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--engines", default="like",
                    help="comma list of like, scan, mroonga, trigram")
    ap.add_argument("--normalizer", default="NormalizerMySQLUnicodeCI",
                    help="Mroonga's normalizer (NormalizerAuto folds case, not accents)")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the MariaDB
    b = Bench(a)
    try:
        b.setup()
        for e in a.engines.split(","):
            getattr(b, "run_" + e)()
    finally:
        b.db.stop()
        shutil.rmtree(b.tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
