"""History search through the text index (issue 18 point 1, second stage):
the node-local Mroonga side table (sql/pchat-search-index.sql) fed after
commit by the indexer process, behind a watermark. The answers stay those
of the LIKE search: a post is found right after its 200 (before it is
indexed) and after, an edit is found by its new text only, a deleted post
never; a common text is found walking the newest posts; the indexer resumes from its
watermark after a restart; search_index=off answers the same with LIKE."""

import time

import pytest

from admin import one
from chat import ChatUser, make_room, sql_quote, uid, unique
from kamailio import wakeups
from mariadb import mroonga_installed
from sipclient import find, findall

pytestmark = pytest.mark.skipif(not mroonga_installed(),
                                reason="needs Debian's mariadb-plugin-mroonga")

OLD = "2001-01-01 00:00:00.000"  # a recorded_at the indexer has long passed


def search(user, text, cnt=None):
    c = f' cnt="{cnt}"' if cnt else ""
    reply = user.dlg.command("chatsrch", f'<srch text="{text}"{c}/>', timeout=20)
    assert reply.code == 200, reply
    return [find(m, "chat").text or "" for m in findall(reply.data, "chanib/msg")]


def unindexed(db, row=1):
    """Posts after the watermark of state row `row` (1: the whole index, 2:
    the newest posts' index), not yet in that index."""
    return int(db.sql("SELECT COUNT(*) FROM pchat_message m, pchat_search_fts_state s "
                      f"WHERE s.id = {row} AND "
                      "(m.recorded_at, m.room_id, m.seq) > (s.wm_at, s.wm_room, s.wm_seq)",
                      db="pchat")[0][0])


def wait_indexed(db, timeout=60, row=1):
    deadline = time.monotonic() + timeout
    while unindexed(db, row):
        assert time.monotonic() < deadline, f"the indexer (row {row}) did not catch up"
        time.sleep(0.2)


def in_index(db, room_id, text):
    return db.sql(f"SELECT content FROM pchat_search_fts WHERE room_id = {room_id}",
                  db="pchat") == [(text,)] if text is not None else \
        db.sql(f"SELECT content FROM pchat_search_fts WHERE room_id = {room_id} "
               "AND content <> ''", db="pchat") == []


def insert(db, room_id, text, n=1, recorded_at=None, ts_ms=None, content_sql=None):
    """n stored posts as the post writer leaves them; recorded_at given:
    as if written long ago (the indexer's watermark is past it).
    content_sql: each post's text as an SQL expression of s.seq (1..n)
    instead of text."""
    col, val = (", recorded_at", f", {sql_quote(recorded_at)}") if recorded_at else ("", "")
    ts = ts_ms or int(time.time() * 1000)
    content = content_sql or sql_quote(text)
    db.sql(f"INSERT INTO pchat_message (room_id, seq, ts_ms, author, content{col}) "
           f"SELECT {room_id}, n.last_seq + s.seq, {ts} + s.seq, 'sip:x@example.com', "
           f"{content}{val} FROM pchat_node n JOIN seq_1_to_{n} s "
           f"WHERE n.id = {room_id};"
           f"UPDATE pchat_node SET last_seq = last_seq + {n} WHERE id = {room_id}", db="pchat")


def as_if_large(db, room_id):
    """The room numbers its posts as if it held a million: a search over
    it walks the newest posts and asks the index instead of reading the
    rooms whole (which a search over few posts does)."""
    db.sql(f"UPDATE pchat_node SET last_seq = last_seq + 1000000 WHERE id = {room_id}",
           db="pchat")


@pytest.fixture
def node(kamailio_factory, mariadb):
    """node(**defines): a Kamailio and a user of it in a fresh room: (kam,
    user, room id, guid)."""
    made = []

    def start(**defines):
        kam = kamailio_factory(defines=defines)
        user = ChatUser(kam, unique("x"))
        made.append(user)
        rid, guid, _ = make_room(mariadb)
        assert user.join(guid).code == 200
        return kam, user, rid, guid

    yield start
    for u in made:
        u.close()


def status(kam):
    """pchat.search_index, its numbers as int."""
    return {k: v if k in ("mode", "error") else int(v)
            for k, v in one(kam, "pchat.search_index").items()}


def wait_ready(kam, timeout=60):
    deadline = time.monotonic() + timeout
    while status(kam)["ready"] != 1:
        assert time.monotonic() < deadline, status(kam)
        time.sleep(0.2)


def test_found_before_and_after_indexing_edited_and_deleted(node, mariadb):
    kam, alice, rid, guid = node(PCHAT_SEARCH_INDEX_SETTLE_MS=2000)
    as_if_large(mariadb, rid)
    wait_ready(kam)
    tag = uid()
    assert alice.post(guid, f"orig{tag} Café words").status == 200
    msgid = alice.wait_message(guid)["msgid"]
    # right after its 200, before the indexer takes it (settled after 2 s)
    assert search(alice, f"ORIG{tag} CAFE") == [f"orig{tag} Café words"]
    assert in_index(mariadb, rid, None), "indexed before the settle time"
    wait_indexed(mariadb)
    assert in_index(mariadb, rid, f"orig{tag} Café words")
    assert search(alice, f"orig{tag} café") == [f"orig{tag} Café words"]
    # an edit: the old text is gone at once (the stale entry is checked
    # against the message), the new one found, before and after indexing
    assert alice.edit(guid, msgid, f"new{tag} words").code == 200
    for _ in range(2):
        assert search(alice, f"orig{tag}") == []
        assert search(alice, f"new{tag}") == [f"new{tag} words"]
        wait_indexed(mariadb)
    assert in_index(mariadb, rid, f"new{tag} words")
    # a delete: never found again
    assert alice.delete(guid, msgid).code == 200
    for _ in range(2):
        assert search(alice, f"new{tag}") == []
        wait_indexed(mariadb)
    assert in_index(mariadb, rid, None)
    st = status(kam)
    assert st["mode"] == "auto" and st["error"] == "" and st["rows"] >= 3
    assert 0 <= st["lag_ms"] < 60000


def test_the_index_answers_a_rare_text_and_off_keeps_like(node, mariadb):
    kam, alice, rid, guid = node(PCHAT_SEARCH_INDEX_SETTLE_MS=200)
    as_if_large(mariadb, rid)
    wait_ready(kam)
    tag = uid()
    insert(mariadb, rid, f"seen{tag} ticket 4711-b")
    wait_indexed(mariadb)
    # a row the index never took (written "before" its watermark): the
    # index answers a rare text, so it is not found; LIKE finds it
    insert(mariadb, rid, f"seen{tag} hidden", recorded_at=OLD)
    assert search(alice, f"SEEN{tag}") == [f"seen{tag} ticket 4711-b"]
    # the same from the whole index's candidates on a node that does not
    # feed the newest posts' index (search_recent_posts 0)
    whole, carol, _, _ = node(PCHAT_SEARCH_INDEX_SETTLE_MS=200, PCHAT_SEARCH_RECENT_POSTS=0)
    assert carol.join(guid).code == 200
    wait_ready(whole)
    before = status(whole)
    assert search(carol, f"SEEN{tag}") == [f"seen{tag} ticket 4711-b"]
    st = status(whole)
    assert (st["recent_ready"], st["answered"], st["answered_newest"]) == (
        0, before["answered"] + 1, before["answered_newest"])
    off, bob, _, _ = node(PCHAT_SEARCH_INDEX_OFF=1)
    st = status(off)
    assert st["mode"] == "off" and st["ready"] == 0
    assert bob.join(guid).code == 200
    assert search(bob, f"SEEN{tag}") == [f"seen{tag} hidden", f"seen{tag} ticket 4711-b"]
    # every other text answers the same both ways
    for text in (f"{tag} ticket", "4711-B", f"{tag[:4]}", "t"):
        assert search(alice, text, cnt=200) == [
            t for t in search(bob, text, cnt=200) if t != f"seen{tag} hidden"]


def test_a_common_text_walks_the_newest_posts(node, mariadb):
    kam, alice, rid, guid = node(PCHAT_SEARCH_INDEX_SETTLE_MS=200)
    as_if_large(mariadb, rid)
    wait_ready(kam)
    tag = uid()
    insert(mariadb, rid, f"common{tag} post", n=1100)
    wait_indexed(mariadb)
    # the page fills walking the newest posts, the index not asked (the
    # walk finds the row the index never took, the newest one)
    insert(mariadb, rid, f"common{tag} hidden", recorded_at=OLD,
           ts_ms=int(time.time() * 1000) + 100000)
    assert search(alice, f"common{tag}", cnt=3) == [f"common{tag} hidden"] + \
        [f"common{tag} post"] * 2
    # a rare text in the same rooms (one hit in the walk): the index,
    # which does not have it
    assert search(alice, f"common{tag} hidden") == []


def test_a_text_in_one_post_of_40_walks_past_the_first_rows(node, mariadb):
    """About 25 hits in the walk's first 1,000 rows: too few for a page,
    more than a tenth of one, so the walk goes on to 5,000 rows and
    answers (it finds the row the index never took); the index is not
    asked."""
    kam, alice, rid, guid = node(PCHAT_SEARCH_INDEX_SETTLE_MS=200)
    as_if_large(mariadb, rid)
    wait_ready(kam)
    tag = uid()
    ts = int(time.time() * 1000)
    insert(mariadb, rid, None, n=2500, ts_ms=ts,
           content_sql=f"IF(s.seq % 40 = 0, 'mid{tag} post', 'other{tag}')")
    wait_indexed(mariadb)
    insert(mariadb, rid, f"mid{tag} hidden", recorded_at=OLD, ts_ms=ts + 100000)
    before = status(kam)
    assert search(alice, f"mid{tag}", cnt=50) == [f"mid{tag} hidden"] + [f"mid{tag} post"] * 49
    assert status(kam)["answered"] == before["answered"]


def test_a_restarted_indexer_resumes_from_its_watermark(node, mariadb):
    kam, alice, rid, guid = node(PCHAT_SEARCH_INDEX_SETTLE_MS=200)
    wait_ready(kam)
    tag = uid()
    insert(mariadb, rid, f"before{tag} restart", n=5)
    wait_indexed(mariadb)
    kam.stop()
    state = mariadb.sql("SELECT wm_at, indexed FROM pchat_search_fts_state", db="pchat")
    insert(mariadb, rid, f"during{tag} the stop", n=3)
    time.sleep(1)
    assert mariadb.sql("SELECT wm_at, indexed FROM pchat_search_fts_state",
                       db="pchat") == state, "indexed while no node ran"
    kam2, bob, _, _ = node(PCHAT_SEARCH_INDEX_SETTLE_MS=200)
    assert bob.join(guid).code == 200
    wait_ready(kam2)
    wait_indexed(mariadb)
    # caught up, the watermark follows the clock (settle 200 ms): a search
    # tells an index that is not behind by it, however old the last post
    deadline = time.monotonic() + 10
    while status(kam2)["lag_ms"] > 2000:
        assert time.monotonic() < deadline, status(kam2)
        time.sleep(0.2)
    # only the 3 posts after the watermark were written, not the history
    assert status(kam2)["rows"] == 3
    assert int(mariadb.sql("SELECT indexed FROM pchat_search_fts_state",
                           db="pchat")[0][0]) == int(state[0][1]) + 3
    assert search(bob, f"during{tag}") == [f"during{tag} the stop"] * 3
    assert search(bob, f"before{tag}") == [f"before{tag} restart"] * 5


def test_each_galera_node_has_its_own_index(kamailio_factory):
    """Galera replicates the posts, not the Mroonga rows: the chat node on
    database node 1 fills node 1's index, the one on node 2 node 2's; node
    3, which no chat node uses, indexes nothing. Searches find the post
    through either chat node."""
    from galera import running_cluster
    with running_cluster() as (cluster, _):
        kams = [kamailio_factory(db=cluster.url(n), defines={"PCHAT_SEARCH_INDEX_SETTLE_MS": 200})
                for n in (1, 2)]
        rid, guid, _ = make_room(cluster.node(1))
        as_if_large(cluster.node(1), rid)
        users = [ChatUser(k, unique("g")) for k in kams]
        try:
            for k, u in zip(kams, users):
                wait_ready(k)
                assert u.join(guid).code == 200
            tag = uid()
            assert users[0].post(guid, f"galera{tag} post").status == 200
            users[0].wait_message(guid)
            for n in (1, 2):
                wait_indexed(cluster.node(n))
                assert in_index(cluster.node(n), rid, f"galera{tag} post")
            assert cluster.sql(3, f"SELECT COUNT(*) FROM pchat_search_fts WHERE room_id = {rid}",
                               db="pchat") == [("0",)]
            for u in users:
                assert search(u, f"GALERA{tag}") == [f"galera{tag} post"]
        finally:
            for u in users:
                u.close()
            for k in kams:
                k.cleanup()


def test_a_story_is_found_by_its_title_through_the_index_and_off(node, mariadb):
    kam, alice, rid, guid = node(PCHAT_SEARCH_INDEX_SETTLE_MS=200)
    as_if_large(mariadb, rid)
    wait_ready(kam)
    tag = uid()
    insert(mariadb, rid, "plain body")
    mariadb.sql("UPDATE pchat_message SET is_story = 1, story_title = "
                f"{sql_quote(f'Title{tag} Café')} WHERE room_id = {rid}", db="pchat")
    wait_indexed(mariadb)
    # the index holds title and body; one hit in the walk, so the index
    # answers, and its candidate is checked against both columns
    assert in_index(mariadb, rid, f"Title{tag} Café plain body")
    shown = f"Title{tag} Café\r\n\r\nplain body"  # the plain form (no pchat-story)
    assert search(alice, f"TITLE{tag} CAFE") == [shown]
    off, bob, _, _ = node(PCHAT_SEARCH_INDEX_OFF=1)
    assert bob.join(guid).code == 200
    for user in (alice, bob):
        assert search(user, f"title{tag} café") == [shown]
        assert search(user, f"{tag} Café plain") == []  # across title and body


def test_a_medium_text_is_answered_from_the_newest_hits(node, mariadb):
    """A text with some hits in the walk's first 5,000 rows (too few for a
    page) and more than 1,000 in the index: its newest hits answer, in
    batches (the newest ones here are in a room the user may not read)."""
    kam, alice, rid, guid = node(PCHAT_SEARCH_INDEX_SETTLE_MS=200)
    as_if_large(mariadb, rid)
    wait_ready(kam)
    assert status(kam)["newest"] == 1
    tag = uid()
    newest = medium_history(mariadb, rid, tag)
    wait_indexed(mariadb)
    # a row the index never took: the walk finds it (one of its 11 hits),
    # the answer from the index does not have it
    insert(mariadb, rid, f"mid{tag} hidden", recorded_at=OLD, ts_ms=newest - 5_000)
    before = status(kam)
    assert search(alice, f"MID{tag}", cnt=50) == [f"mid{tag} b"] * 10 + [f"mid{tag} a"] * 40
    st = status(kam)
    assert st["answered_newest"] == before["answered_newest"] + 1
    assert st["answered"] == before["answered"] + 1
    # the same answer as LIKE's, less the row the index never took, for
    # pages ending in the first batch of hits and in the second
    off, bob, _, _ = node(PCHAT_SEARCH_INDEX_OFF=1)
    assert bob.join(guid).code == 200
    for cnt in (20, 60, 90):  # search_limit 100
        assert search(alice, f"mid{tag}", cnt=cnt) == [
            t for t in search(bob, f"mid{tag}", cnt=cnt + 1) if t != f"mid{tag} hidden"]


def medium_history(db, rid, tag):
    """test_a_medium_text_is_answered_from_the_newest_hits's posts: 1,100
    hits, 1,500 in a room the user may not read, 6,000 others, 10 newest
    hits. Returns the ts_ms of the 10 newest."""
    hidden_rid, _, _ = make_room(db, privacy="closed")
    base = int(time.time() * 1000) - 10_000_000
    insert(db, rid, f"mid{tag} a", n=1100, ts_ms=base)
    insert(db, hidden_rid, f"mid{tag} other", n=1500, ts_ms=base + 10_000)
    insert(db, rid, "filler words", n=6000, ts_ms=base + 20_000)
    insert(db, rid, f"mid{tag} b", n=10, ts_ms=base + 30_000)
    return base + 30_000


def test_a_medium_text_is_answered_from_the_newest_posts_index(node, mariadb):
    """The same medium text answered from pchat_search_fts_recent, the
    index of the newest posts, when every hit the page needs is there; from
    the whole index when the page needs hits older than its floor. Both
    answers are LIKE's."""
    kam, alice, rid, guid = node(PCHAT_SEARCH_INDEX_SETTLE_MS=200)
    as_if_large(mariadb, rid)
    wait_ready(kam)
    deadline = time.monotonic() + 30
    while status(kam)["recent_ready"] != 1:
        assert time.monotonic() < deadline, status(kam)
        time.sleep(0.2)
    tag = uid()
    newest = medium_history(mariadb, rid, tag)
    wait_indexed(mariadb)
    wait_indexed(mariadb, row=2)
    page = [f"mid{tag} b"] * 10 + [f"mid{tag} a"] * 40
    before = status(kam)
    assert search(alice, f"MID{tag}", cnt=50) == page
    st = status(kam)
    assert st["answered_recent"] == before["answered_recent"] + 1
    assert st["answered_newest"] == before["answered_newest"] + 1
    # its floor above the older hits and those gone, as the indexer
    # trims it: the page is not in it, the whole index answers the same
    floor = int(mariadb.sql("SELECT recent_from FROM pchat_search_fts_state WHERE id = 2",
                            db="pchat")[0][0])
    floor = max(floor, newest)
    mariadb.sql(f"UPDATE pchat_search_fts_state SET recent_from = {floor} WHERE id = 2;"
                f"DELETE FROM pchat_search_fts_recent WHERE ts_ms < {floor}", db="pchat")
    before = st
    assert search(alice, f"mid{tag}", cnt=50) == page
    st = status(kam)
    assert st["answered_recent"] == before["answered_recent"]
    assert st["answered_newest"] == before["answered_newest"] + 1
    off, bob, _, _ = node(PCHAT_SEARCH_INDEX_OFF=1)
    assert bob.join(guid).code == 200
    assert search(bob, f"mid{tag}", cnt=50) == page


def test_an_idle_indexer_backs_off_and_still_takes_a_new_post(node, mariadb):
    """Nothing to index: the pause between rounds doubles up to 2 s (the
    half-second rounds of both indexes cost about 70 wake-ups in 4 s); a
    new post is still indexed within the settle time and that pause."""
    kam, alice, rid, _ = node(PCHAT_SEARCH_INDEX_SETTLE_MS=200)
    wait_ready(kam)
    wait_indexed(mariadb)
    wait_indexed(mariadb, row=2)
    pid = kam.process_pid("PCHAT SEARCH INDEX")
    time.sleep(3.6)
    before = wakeups(pid)
    time.sleep(4)
    assert wakeups(pid) - before <= 30
    tag = uid()
    insert(mariadb, rid, f"idle{tag}")
    t = time.monotonic()
    wait_indexed(mariadb)
    assert time.monotonic() - t < 5
    assert in_index(mariadb, rid, f"idle{tag}")


def test_the_newest_posts_index_keeps_its_size(node, mariadb):
    """search_recent_posts 100: at start the indexer raises the floor to
    the 100th newest post's ts_ms and removes what is older (run last in
    this file: the floor it leaves stays in the session's database)."""
    kam, alice, rid, _ = node(PCHAT_SEARCH_INDEX_SETTLE_MS=200)
    insert(mariadb, rid, f"keep{uid()}", n=300)
    wait_ready(kam)
    wait_indexed(mariadb, row=2)
    assert int(mariadb.sql("SELECT COUNT(*) FROM pchat_search_fts_recent",
                           db="pchat")[0][0]) >= 300
    small, _, _, _ = node(PCHAT_SEARCH_INDEX_SETTLE_MS=200, PCHAT_SEARCH_RECENT_POSTS=100)
    want = int(mariadb.sql("SELECT ts_ms FROM pchat_message ORDER BY ts_ms DESC "
                           "LIMIT 1 OFFSET 99", db="pchat")[0][0])
    deadline = time.monotonic() + 30
    while status(small)["recent_from_ms"] != want:
        assert time.monotonic() < deadline, status(small)
        time.sleep(0.2)
    assert mariadb.sql(f"SELECT COUNT(*) FROM pchat_search_fts_recent WHERE ts_ms < {want}",
                       db="pchat") == [("0",)]
    # ... and every post from the floor on is still there (but those
    # written as if long ago, which the indexers never take)
    wait_indexed(mariadb, row=2)
    assert mariadb.sql(
        "SELECT COUNT(*) FROM pchat_message m LEFT JOIN pchat_search_fts_recent r "
        f"USING (room_id, seq) WHERE m.ts_ms >= {want} AND r.seq IS NULL "
        f"AND m.recorded_at > {sql_quote(OLD)}", db="pchat") == [("0",)]
    assert status(small)["recent_posts"] == 100
