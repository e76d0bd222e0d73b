"""pchatctl export-data / import-data (issue 19 point 4, Lync Export-/Import-
CsPersistentChatData): a store written to a gzip'ed JSON-lines file and read
back into an empty or a populated store of the same MariaDB; the conflict
rules of the README ("Export and import"); files that must be refused
leave the store as it was."""

import gzip
import json
import os
import subprocess
import uuid
import xml.sax.saxutils

import pytest

from chat import ChatUser, unique
from kamailio import PCHATCTL, TOP, pchatctl
from sipclient import find, findall
from store import DB_PASS, DB_USER, create_schema

TOMBSTONE = "(message deleted by its author)"
IDENTITY = "('root_category_guid', 'db_version')"


@pytest.fixture
def stores(mariadb):
    """stores() creates an empty pchat database (sql/pchat-create.sql) and
    returns its name; all are dropped at teardown."""
    made = []

    def make():
        name = "pchat_x" + uuid.uuid4().hex[:8]
        create_schema(mariadb, name)
        made.append(name)
        return name

    yield make
    for name in made:
        mariadb.sql(f"DROP DATABASE IF EXISTS `{name}`")


def url(mariadb, name):
    return mariadb.url(DB_USER, DB_PASS, name)


def ctl(*args, code=0, kam=None):
    """pchatctl as an operator runs it (with the FIFO of kam when given)."""
    if kam is not None:
        res = pchatctl(kam, *args, timeout=120)
    else:
        res = subprocess.run([PCHATCTL, *map(str, args)], capture_output=True, text=True,
                             timeout=120)
    assert res.returncode == code, f"{args}: {res.returncode}\n{res.stdout}\n{res.stderr}"
    return res


def export(mariadb, name, path, *extra):
    return ctl("export-data", "--file", path, "--db-url", url(mariadb, name), *extra)


def import_(mariadb, name, path, *extra, code=0, kam=None):
    return ctl("import-data", "--file", path, "--db-url", url(mariadb, name), *extra,
               code=code, kam=kam)


def read_file(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def write_file(path, records):
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")


def q(s):
    return "'" + str(s).replace("\\", "\\\\").replace("'", "''") + "'"


# Every exported table, ids replaced by the names they stand for (an import
# gives new ids), without the store's own identity and the times of change.
SNAPSHOT = {
    "config": f"SELECT name, value FROM pchat_config WHERE name NOT IN {IDENTITY}",
    "addin": "SELECT name, url FROM pchat_addin",
    "group": "SELECT name, description FROM pchat_group",
    "group_member": "SELECT g.name, m.user_uri FROM pchat_group_member m "
                    "JOIN pchat_group g ON g.id = m.group_id",
    "node": "SELECT n.kind, n.name, COALESCE(p.name, '-'), IF(p.id IS NULL, '-', n.guid), "
            "n.description, n.topic, n.privacy, n.room_type, n.invitations, n.disabled, "
            "a.name, n.file_upload, n.invitations_enabled, n.chat_history, "
            "n.retention_days, n.last_seq, IF(p.id IS NULL, '-', n.created_at) "
            "FROM pchat_node n LEFT JOIN pchat_node p ON p.id = n.parent_id "
            "LEFT JOIN pchat_addin a ON a.id = n.addin_id",
    "role": "SELECT n.name, r.role, r.principal_type, r.principal FROM pchat_role r "
            "JOIN pchat_node n ON n.id = r.node_id",
    "scope": "SELECT n.name, s.scope, s.principal_type, s.principal FROM pchat_scope s "
             "JOIN pchat_node n ON n.id = s.category_id",
    "policy": "SELECT * FROM pchat_policy",
    "hold": "SELECT scope_type, scope, reason, created_by, created_ms FROM pchat_legal_hold",
    "message": "SELECT n.name, m.seq, m.ts_ms, m.author, m.content, m.is_story, m.is_alert, "
               "m.status, m.author_change, m.changed_ms, m.story_title FROM pchat_message m "
               "JOIN pchat_node n ON n.id = m.room_id",
    "file": "SELECT n.name, f.uploader, f.stored_name, f.original_name, f.size, f.total, "
            "f.sha256, f.created_ms, f.completed_ms, f.complete, f.msg_seq, f.post_kept "
            "FROM pchat_file f JOIN pchat_node n ON n.id = f.room_id",
    "preference": "SELECT user_uri, label, seqid, HEX(content) FROM pchat_preference",
    "follow": "SELECT f.user_uri, n.name, f.last_read_seq, f.created_ms FROM pchat_follow f "
              "JOIN pchat_node n ON n.id = f.room_id",
    # '*': every room; an alert on a room removed since is not data
    "alert": "SELECT a.user_uri, a.kind, a.pattern, COALESCE(n.name, '*'), a.created_ms "
             "FROM pchat_alert a LEFT JOIN pchat_node n ON n.id = a.room_id "
             "WHERE a.room_id IS NULL OR n.id IS NOT NULL",
}


def snapshot(mariadb, name, only=None):
    return {t: sorted(mariadb.sql(sql, db=name), key=repr)
            for t, sql in SNAPSHOT.items() if only is None or t in only}


def history(user, guid):
    reply = user.history(guid)
    assert reply.code == 200, reply
    return sorted((int(m.get("msgid")), m.get("author"), find(m, "chat").text or "")
                  for m in findall(reply.data, "chanib/msg"))


def post_story(user, guid, title, text):
    """A grpchat with story="true" and a title (a plain client may send one)."""
    _, body = user.client.make_envelope(
        f'<grpchat id="grpchat" seqid="1" chanUri="{user.room_uri(guid)}" '
        f'author="{user.uri}" story="true" title={xml.sax.saxutils.quoteattr(title)}>'
        f'<chat>{xml.sax.saxutils.escape(text)}</chat></grpchat>')
    return user.dlg.send_xccos(body)


def add_alert(user, attrs):
    r = user.dlg.command("alertadd", "<alert" + "".join(
        f" {k}={xml.sax.saxutils.quoteattr(v)}" for k, v in attrs.items()) + "/>")
    assert r.code == 200, r


STORY_TITLE = 'Q1 "outlook" é'


def populate(kam, mariadb, name, alice):
    """A directory made with pchatctl, posts (the first a story), an edit
    and a delete, alerts by a real client, and the rest (a file, a
    preference) as the service stores them."""
    dom = kam.domain
    ctl("new-group", "--name", "traders", "--member", alice.uri, "--description", "desk",
        kam=kam)
    ctl("new-addin", "--name", "Wiki", "--url", "https://wiki.example.com/", kam=kam)
    ctl("new-category", "--name", "Markets", "--allowed-member", f"domain:{dom}",
        "--creator", "group:traders", "--retention-days", "90", kam=kam)
    ctl("new-category", "--name", "Rates", "--parent", "Markets", kam=kam)
    ctl("new-room", "--name", "Rates desk", "--category", "Rates", "--privacy", "open",
        "--topic", "swaps", "--addin", "Wiki", "--member", alice.uri, kam=kam)
    ctl("new-room", "--name", "Rates managers", "--category", "Markets", "--privacy",
        "secret", "--type", "auditorium", "--member", alice.uri, kam=kam)
    ctl("set-room", "--name", "Rates managers", "--add-manager", alice.uri, kam=kam)
    ctl("set-config", "--default-chat-history", "40", kam=kam)
    ctl("grant-policy", "--scope", "user:sip:mallory@" + dom, "--enabled", "false", kam=kam)
    ctl("new-hold", "--room", "Rates desk", "--reason", "case 7", kam=kam)
    [(guid,)] = mariadb.sql("SELECT guid FROM pchat_node WHERE name = 'Rates desk'", db=name)
    assert alice.join(guid).code == 200
    assert post_story(alice, guid, STORY_TITLE, "first").status == 200
    alice.wait_message(guid)
    for text in ("second\nwith\ttabs \\ \"quotes\" é😀", "third"):
        assert alice.post(guid, text).status == 200
        alice.wait_message(guid)
    rows = mariadb.sql("SELECT seq FROM pchat_message ORDER BY seq", db=name)
    assert [int(r[0]) for r in rows] == [1, 2, 3]
    assert alice.edit(guid, 2, "second, edited").code == 200
    assert alice.delete(guid, 3).code == 200
    # alerts: a word in every room, an author in the room
    add_alert(alice, {"word": "Swap"})
    add_alert(alice, {"author": "sip:bob@" + dom, "chanUri": alice.room_uri(guid)})
    # one on a room removed since (no foreign key): matches nothing, not exported
    mariadb.sql(f"INSERT INTO pchat_alert (user_uri, kind, pattern, room_id, created_ms) "
                f"VALUES ({q(alice.uri)}, 'word', 'gone', 999999, 1767225600000)", db=name)
    mariadb.sql("INSERT INTO pchat_file (room_id, uploader, stored_name, original_name, size, "
                "total, sha256, created_ms, completed_ms, complete, msg_seq, post_kept) "
                f"SELECT id, {q(alice.uri)}, 'f0123456789abcdef', 'report.pdf', 5, 5, "
                f"'{'ab' * 32}', 1767225600000, 1767225601000, 1, 1, 1 FROM pchat_node "
                "WHERE name = 'Rates desk'", db=name)
    mariadb.sql(f"INSERT INTO pchat_preference VALUES ({q(alice.uri)}, 'groups', 3, "
                "X'00FF3C2F3E')", db=name)
    mariadb.sql(f"INSERT INTO pchat_follow SELECT {q(alice.uri)}, id, 2, 1767225600000 "
                "FROM pchat_node WHERE name = 'Rates desk'", db=name)
    return guid


def test_round_trip_full(stores, mariadb, kamailio_factory, tmp_path):
    src, dst = stores(), stores()
    kam = kamailio_factory(db=url(mariadb, src))
    alice = ChatUser(kam, unique("alice"))
    try:
        guid = populate(kam, mariadb, src, alice)
    finally:
        alice.close()
    path = tmp_path / "pchat.jsonl.gz"
    out = export(mariadb, src, path).stdout
    assert "3 message" in out and "messages/s" in out

    header = read_file(path)[0]
    assert header["format"] == "pchat-data" and header["format_version"] == 1
    assert header["level"] == "full" and header["schema_version"] >= 6
    assert header["counts"]["message"] == 3 and header["counts"]["node"] == 5
    assert header["counts"]["follow"] == 1 and header["counts"]["file"] == 1
    assert header["counts"]["alert"] == 2
    [story] = [r for r in read_file(path) if r["t"] == "message" and r["seq"] == 1]
    assert (story["is_story"], story["story_title"]) == (1, STORY_TITLE)
    assert "recorded_at" not in story

    # the service on the empty store runs while the import writes it, and is
    # told to drop its caches
    target = kamailio_factory(db=url(mariadb, dst))
    out = import_(mariadb, dst, path, "--replace", kam=target).stdout
    assert "the service dropped its caches (pchat.caches_drop)" in out
    assert "3 messages in" in out

    before, after = snapshot(mariadb, src), snapshot(mariadb, dst)
    for table in SNAPSHOT:
        assert after[table] == before[table], table
    [(content,)] = mariadb.sql("SELECT content FROM pchat_message WHERE seq = 2", db=dst)
    assert content == "second, edited"
    assert len(after["alert"]) == 2
    assert mariadb.sql("SELECT seq, story_title FROM pchat_message WHERE is_story = 1",
                       db=dst) == [("1", STORY_TITLE)]

    # the same file again: nothing added, alerts and follows included
    out = import_(mariadb, dst, path).stdout
    assert "messages: 0 added, 3 already there" in out
    assert snapshot(mariadb, dst) == after

    # a client of the imported store joins the room and reads its history
    bob = ChatUser(target, unique("bob"))
    try:
        assert bob.join(guid).code == 200
        texts = [text for _, _, text in history(bob, guid)]
        assert texts == [STORY_TITLE + "\r\n\r\nfirst", "second, edited", TOMBSTONE]
        # posting goes on after the imported sequence numbers
        assert bob.post(guid, "after the move").status == 200
        assert bob.wait_message(guid)["msgid"] == 4
    finally:
        bob.close()


def sql_room(mariadb, db, name, messages=(), description="", category=None):
    """A room (in the root category, or a category made with it) and its
    messages [(ts_ms, author, text)], numbered from 1."""
    parent = "(SELECT id FROM (SELECT id FROM pchat_node WHERE parent_id IS NULL) r)"
    if category:
        mariadb.sql("INSERT IGNORE INTO pchat_node (guid, kind, parent_id, name) VALUES "
                    f"(UUID(), 'category', {parent}, {q(category)})", db=db)
        parent = (f"(SELECT id FROM (SELECT id FROM pchat_node WHERE kind = 'category' "
                  f"AND name = {q(category)}) c)")
    mariadb.sql("INSERT INTO pchat_node (guid, kind, parent_id, name, description, privacy, "
                f"last_seq) VALUES (UUID(), 'room', {parent}, {q(name)}, {q(description)}, "
                f"'open', {len(messages)})", db=db)
    for seq, (ts, author, text) in enumerate(messages, 1):
        mariadb.sql("INSERT INTO pchat_message (room_id, seq, ts_ms, author, content) SELECT "
                    f"id, {seq}, {ts}, {q(author)}, {q(text)} FROM pchat_node WHERE "
                    f"name = {q(name)}", db=db)


def messages_of(mariadb, db, room):
    return [(int(s), int(t), a, c) for s, t, a, c in mariadb.sql(
        "SELECT m.seq, m.ts_ms, m.author, m.content FROM pchat_message m JOIN pchat_node n "
        f"ON n.id = m.room_id WHERE n.name = {q(room)} ORDER BY m.seq", db=db)]


def one_value(mariadb, db, sql):
    [(v,)] = mariadb.sql(sql, db=db)
    return v


A, B = "sip:a@example.com", "sip:b@example.com"
DAY = 86_400_000
JAN1 = 1767225600000  # 2026-01-01T00:00:00Z


def test_config_level_has_no_messages(stores, mariadb, tmp_path):
    src, dst = stores(), stores()
    sql_room(mariadb, src, "Lobby", [(JAN1, A, "hi"), (JAN1 + 1, B, "ho")], "the lobby",
             category="Ops")
    mariadb.sql("INSERT INTO pchat_role SELECT id, 'member', 'user', 'sip:a@example.com' "
                "FROM pchat_node WHERE name = 'Lobby'", db=src)
    mariadb.sql(f"INSERT INTO pchat_preference VALUES ({q(A)}, 'x', 1, 'y')", db=src)
    path = tmp_path / "config.jsonl.gz"
    export(mariadb, src, path, "--level", "config")
    records = read_file(path)
    assert records[0]["level"] == "config"
    assert {r["t"] for r in records} == {"header", "config", "node", "role", "policy"}
    assert "message" not in records[0]["counts"]

    import_(mariadb, dst, path)
    tables = ["node", "role", "scope", "group", "addin"]
    assert snapshot(mariadb, dst, tables) == snapshot(mariadb, src, tables)
    assert one_value(mariadb, dst, "SELECT COUNT(*) FROM pchat_message") == "0"
    assert one_value(mariadb, dst, "SELECT COUNT(*) FROM pchat_preference") == "0"


def test_date_range_selects_messages(stores, mariadb, tmp_path):
    src, dst = stores(), stores()
    sql_room(mariadb, src, "Daily", [(JAN1 + d * DAY + 5, A, f"day {d}") for d in range(5)])
    path = tmp_path / "range.jsonl.gz"
    # a bare --date-to is the whole of that day
    export(mariadb, src, path, "--date-from", "2026-01-02", "--date-to", "2026-01-03")
    header = read_file(path)[0]
    assert header["counts"]["message"] == 2
    assert (header["date_from"], header["date_to"]) == (JAN1 + DAY, JAN1 + 3 * DAY - 1)
    import_(mariadb, dst, path)
    # a new room keeps the numbers the messages had
    assert [(s, c) for s, _, _, c in messages_of(mariadb, dst, "Daily")] == [
        (2, "day 1"), (3, "day 2")]
    assert one_value(mariadb, dst, "SELECT last_seq FROM pchat_node WHERE name = 'Daily'") == "5"

    export(mariadb, src, path, "--date-from", "2026-01-04T00:00:00Z")
    assert [r["content"] for r in read_file(path) if r["t"] == "message"] == ["day 3", "day 4"]


def test_import_into_a_populated_store_and_twice(stores, mariadb, tmp_path):
    src, dst = stores(), stores()
    sql_room(mariadb, src, "Shared", [(JAN1 + 10, A, "s1"), (JAN1 + 20, B, "s2"),
                                      (JAN1 + 30, A, "s3")], "from the file")
    sql_room(mariadb, src, "Only in file", [(JAN1, A, "o1")])
    for db, member in ((src, A), (dst, B)):
        mariadb.sql(f"INSERT INTO pchat_group (name) VALUES ('desk'); INSERT INTO "
                    f"pchat_group_member SELECT id, {q(member)} FROM pchat_group", db=db)
    mariadb.sql("UPDATE pchat_config SET value = '50' WHERE name = 'search_limit'", db=src)
    # the store already has a room of that name, with its own history
    sql_room(mariadb, dst, "Shared", [(JAN1 + 15, B, "d1"), (JAN1 + 25, B, "d2")],
             "kept here")
    path = tmp_path / "merge.jsonl.gz"
    export(mariadb, src, path)

    out = import_(mariadb, dst, path).stdout
    assert "rooms and categories: 1 created, 2 existed (kept)" in out
    assert "messages: 4 added, 0 already there" in out
    # merge: the room keeps its settings; the file's messages come after
    # its own, in time order, with new numbers
    assert messages_of(mariadb, dst, "Shared") == [
        (1, JAN1 + 15, B, "d1"), (2, JAN1 + 25, B, "d2"), (3, JAN1 + 10, A, "s1"),
        (4, JAN1 + 20, B, "s2"), (5, JAN1 + 30, A, "s3")]
    assert one_value(mariadb, dst, "SELECT CONCAT(description, '/', last_seq) FROM pchat_node "
                     "WHERE name = 'Shared'") == "kept here/5"
    assert mariadb.sql("SELECT user_uri FROM pchat_group_member", db=dst) == [(B,)]
    assert one_value(mariadb, dst, "SELECT value FROM pchat_config "
                     "WHERE name = 'search_limit'") == "999"
    assert [m[3] for m in messages_of(mariadb, dst, "Only in file")] == ["o1"]
    merged = snapshot(mariadb, dst)

    # the same file again: nothing is added
    out = import_(mariadb, dst, path).stdout
    assert "messages: 0 added, 4 already there" in out
    assert snapshot(mariadb, dst) == merged

    # replace: the file's settings win, the history is still not doubled
    out = import_(mariadb, dst, path, "--replace").stdout
    assert "(replaced)" in out and "messages: 0 added" in out
    assert one_value(mariadb, dst, "SELECT description FROM pchat_node "
                     "WHERE name = 'Shared'") == "from the file"
    assert mariadb.sql("SELECT user_uri FROM pchat_group_member", db=dst) == [(A,)]
    assert one_value(mariadb, dst, "SELECT value FROM pchat_config "
                     "WHERE name = 'search_limit'") == "50"
    assert len(messages_of(mariadb, dst, "Shared")) == 5


def test_a_schema_5_store_exports_and_imports_without_the_newer_data(stores, mariadb,
                                                                      tmp_path):
    # a store of version 5 (no story_title, no pchat_alert): created as
    # version 1 and upgraded, as an operator's store that was not upgraded
    old = "pchat_x" + uuid.uuid4().hex[:8]
    mariadb.sql(f"CREATE DATABASE `{old}`; GRANT ALL ON `{old}`.* TO '{DB_USER}'@'127.0.0.1'")
    try:
        mariadb.load_file(os.path.join(TOP, "tests", "fixtures", "pchat-create-v1.sql"), old)
        for step in ("1-2", "2-3", "3-4", "4-5"):
            mariadb.load_file(os.path.join(TOP, "sql", "upgrade",
                                           f"pchat-upgrade-{step}.sql"), old)
        sql_room(mariadb, old, "Old room", [(JAN1, A, "from version 5")])
        path = tmp_path / "v5.jsonl.gz"
        export(mariadb, old, path)
    finally:
        mariadb.sql(f"DROP DATABASE IF EXISTS `{old}`")
    records = read_file(path)
    assert records[0]["schema_version"] == 5
    assert "alert" not in records[0]["counts"] and "follow" not in records[0]["counts"]
    [msg] = [r for r in records if r["t"] == "message"]
    assert "story_title" not in msg
    dst = stores()
    import_(mariadb, dst, path)
    assert mariadb.sql("SELECT m.content, m.story_title FROM pchat_message m JOIN pchat_node n "
                       "ON n.id = m.room_id WHERE n.name = 'Old room'", db=dst) == [
        ("from version 5", None)]


@pytest.fixture
def exported(stores, mariadb, tmp_path):
    """(records of a good file, the target store, its snapshot): the store
    must still equal the snapshot after a refused import."""
    src, dst = stores(), stores()
    sql_room(mariadb, src, "Room one", [(JAN1 + i, A, f"m{i}") for i in range(50)],
             category="Cat")
    sql_room(mariadb, dst, "Existing", [(JAN1, B, "mine")])
    path = tmp_path / "good.jsonl.gz"
    export(mariadb, src, path)
    return read_file(path), dst, snapshot(mariadb, dst)


def refused(mariadb, exported, path, fragment):
    _, dst, before = exported
    res = import_(mariadb, dst, path, code=1)
    assert fragment in res.stderr, res.stderr
    assert res.stdout == ""
    assert snapshot(mariadb, dst) == before


def test_unknown_format_version_refused(mariadb, exported, tmp_path):
    records = exported[0]
    path = tmp_path / "bad.jsonl.gz"
    write_file(path, [dict(records[0], format_version=2)] + records[1:])
    refused(mariadb, exported, path, "is in format version 2; this pchatctl reads format "
            "version 1 only")
    write_file(path, [dict(records[0], schema_version=99)] + records[1:])
    refused(mariadb, exported, path, "schema version 99, newer than this store's")
    write_file(path, records[1:])
    refused(mariadb, exported, path, "is not a pchat data file (no 'pchat-data' header line)")
    path.write_bytes(b"name,value\n")
    refused(mariadb, exported, path, "is not a pchat data file")


def test_damaged_file_imports_nothing(mariadb, exported, tmp_path):
    records = exported[0]
    good = tmp_path / "good.jsonl.gz"
    write_file(good, records)
    data = good.read_bytes()
    path = tmp_path / "bad.jsonl.gz"
    path.write_bytes(data[:len(data) * 2 // 3])
    refused(mariadb, exported, path, "is damaged after line")
    path.write_bytes(data[:-4] + bytes(b ^ 0xFF for b in data[-4:]))
    refused(mariadb, exported, path, "is damaged after line")
    write_file(path, records[:-1])
    refused(mariadb, exported, path, "holds 49 message records, its header says 50")
    lines = [json.dumps(r) for r in records]
    lines[5] = lines[5][:20]
    with gzip.open(path, "wt") as f:
        f.write("\n".join(lines) + "\n")
    refused(mariadb, exported, path, "line 6 is not a valid record")


def test_a_failure_in_the_database_rolls_everything_back(mariadb, exported, tmp_path):
    # the last message cannot be stored: the rooms and messages written
    # before it in the same transaction go too
    records = [dict(r) for r in exported[0]]
    records[-1]["status"] = "lost"
    path = tmp_path / "bad.jsonl.gz"
    write_file(path, records)
    refused(mariadb, exported, path, "nothing imported")
