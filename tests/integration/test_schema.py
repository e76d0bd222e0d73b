"""The schema a DBA manages: create, upgrade from version 1, drop, and the
module's refusal to run on a schema version it does not know."""

import os

from kamailio import TOP, Kamailio, KamailioError
from mariadb import free_port
from store import DB_PASS, DB_USER

SQL = os.path.join(TOP, "sql")
V1 = os.path.join(TOP, "tests", "fixtures", "pchat-create-v1.sql")
TABLES = ["pchat_addin", "pchat_compliance_event", "pchat_compliance_participant",
          "pchat_compliance_state", "pchat_config", "pchat_file", "pchat_file_token", "pchat_group", "pchat_group_member",
          "pchat_invitation", "pchat_legal_hold", "pchat_message", "pchat_node",
          "pchat_policy", "pchat_preference", "pchat_role", "pchat_scope"]


def fresh_db(mariadb, name):
    mariadb.sql(f"DROP DATABASE IF EXISTS `{name}`; CREATE DATABASE `{name}`;"
                f"GRANT ALL ON `{name}`.* TO '{DB_USER}'@'127.0.0.1';")
    return name


def schema_of(mariadb, db):
    """Columns, indexes, foreign keys and versions: what a DBA would diff."""
    cols = mariadb.sql(
        "SELECT table_name, column_name, column_type, is_nullable, column_default, "
        "column_comment, collation_name FROM information_schema.columns WHERE table_schema = DATABASE() "
        "ORDER BY table_name, ordinal_position", db=db)
    idx = mariadb.sql(
        "SELECT table_name, index_name, non_unique, seq_in_index, column_name, index_type "
        "FROM information_schema.statistics WHERE table_schema = DATABASE() "
        "ORDER BY table_name, index_name, seq_in_index", db=db)
    fks = mariadb.sql(
        "SELECT table_name, constraint_name, referenced_table_name, delete_rule "
        "FROM information_schema.referential_constraints "
        "WHERE constraint_schema = DATABASE() ORDER BY table_name, constraint_name", db=db)
    versions = mariadb.sql("SELECT table_name, table_version FROM version ORDER BY 1", db=db)
    config = mariadb.sql("SELECT name, description FROM pchat_config ORDER BY 1", db=db)
    return cols, idx, fks, versions, config


def tables(mariadb, db):
    return sorted(r[0] for r in mariadb.sql("SHOW TABLES", db=db))


def test_create_makes_every_table_with_comments(mariadb):
    db = fresh_db(mariadb, "schema_create")
    mariadb.load_file(os.path.join(SQL, "pchat-create.sql"), db)
    assert tables(mariadb, db) == sorted(TABLES + ["version"])
    versions = dict(mariadb.sql("SELECT table_name, table_version FROM version", db=db))
    assert versions == {t: "6" for t in TABLES}
    uncommented = mariadb.sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() "
        "AND table_comment = ''", db=db)
    assert uncommented == []
    root = mariadb.sql("SELECT guid FROM pchat_node WHERE parent_id IS NULL", db=db)
    cfg = dict(mariadb.sql("SELECT name, value FROM pchat_config", db=db))
    assert cfg["root_category_guid"] == root[0][0]
    assert cfg["default_chat_history"] == "30" and cfg["participant_update_limit"] == "75"
    assert cfg["max_file_size_kb"] == "20000"


def upgrade(mariadb, db, *steps):
    for step in steps:
        mariadb.load_file(os.path.join(SQL, "upgrade", f"pchat-upgrade-{step}.sql"), db)


def test_upgrade_from_version_1_equals_a_fresh_create(mariadb):
    new = fresh_db(mariadb, "schema_new")
    mariadb.load_file(os.path.join(SQL, "pchat-create.sql"), new)
    old = fresh_db(mariadb, "schema_old")
    mariadb.load_file(V1, old)
    mariadb.sql("UPDATE pchat_config SET value = '123' WHERE name = 'search_limit'", db=old)
    upgrade(mariadb, old, "1-2", "2-3", "3-4", "4-5", "5-6")
    assert schema_of(mariadb, old) == schema_of(mariadb, new)
    # the upgrade keeps what the operator had set
    assert mariadb.sql("SELECT value FROM pchat_config WHERE name = 'search_limit'",
                       db=old) == [("123",)]


def test_drop_removes_every_pchat_table(mariadb):
    db = fresh_db(mariadb, "schema_drop")
    mariadb.load_file(os.path.join(SQL, "pchat-create.sql"), db)
    mariadb.sql("CREATE TABLE other (x INT); INSERT INTO version VALUES ('other', 7)", db=db)
    mariadb.load_file(os.path.join(SQL, "pchat-drop.sql"), db)
    assert tables(mariadb, db) == ["other", "version"]
    assert mariadb.sql("SELECT * FROM version", db=db) == [("other", "7")]
    # and a create after a drop works again
    mariadb.load_file(os.path.join(SQL, "pchat-create.sql"), db)
    assert len(tables(mariadb, db)) == len(TABLES) + 2


def start_on(mariadb, db):
    kam = Kamailio(free_port(), mariadb.url(DB_USER, DB_PASS, db))
    try:
        kam.start(timeout=15)
    except KamailioError:
        log = kam.log()
        kam.cleanup()
        return None, log
    return kam, kam.log()


def test_module_refuses_a_version_1_schema_naming_the_upgrade(mariadb):
    db = fresh_db(mariadb, "schema_v1_only")
    mariadb.load_file(V1, db)
    kam, log = start_on(mariadb, db)
    if kam:
        kam.cleanup()
    assert kam is None, "Kamailio started on a version 1 schema"
    assert "run sql/upgrade/pchat-upgrade-1-2.sql" in log


def test_module_refuses_a_version_2_schema_naming_the_upgrade(mariadb):
    db = fresh_db(mariadb, "schema_v2_only")
    mariadb.load_file(V1, db)
    upgrade(mariadb, db, "1-2")
    kam, log = start_on(mariadb, db)
    if kam:
        kam.cleanup()
    assert kam is None, "Kamailio started on a version 2 schema"
    assert "run sql/upgrade/pchat-upgrade-2-3.sql" in log


def test_module_refuses_a_version_3_schema_naming_the_upgrade(mariadb):
    db = fresh_db(mariadb, "schema_v3_only")
    mariadb.load_file(V1, db)
    upgrade(mariadb, db, "1-2", "2-3")
    kam, log = start_on(mariadb, db)
    if kam:
        kam.cleanup()
    assert kam is None, "Kamailio started on a version 3 schema"
    assert "run sql/upgrade/pchat-upgrade-3-4.sql" in log


def test_module_refuses_a_version_4_schema_naming_the_upgrade(mariadb):
    db = fresh_db(mariadb, "schema_v4_only")
    mariadb.load_file(V1, db)
    upgrade(mariadb, db, "1-2", "2-3", "3-4")
    kam, log = start_on(mariadb, db)
    if kam:
        kam.cleanup()
    assert kam is None, "Kamailio started on a version 4 schema"
    assert "run sql/upgrade/pchat-upgrade-4-5.sql" in log


def test_module_refuses_a_version_5_schema_naming_the_upgrade(mariadb):
    db = fresh_db(mariadb, "schema_v5_only")
    mariadb.load_file(V1, db)
    upgrade(mariadb, db, "1-2", "2-3", "3-4", "4-5")
    kam, log = start_on(mariadb, db)
    if kam:
        kam.cleanup()
    assert kam is None, "Kamailio started on a version 5 schema"
    assert "run sql/upgrade/pchat-upgrade-5-6.sql" in log


URI_COLUMNS = {("pchat_compliance_event", "user_uri"),
               ("pchat_compliance_participant", "user_uri"), ("pchat_legal_hold", "scope"),
               ("pchat_group_member", "user_uri"), ("pchat_role", "principal"),
               ("pchat_scope", "principal"), ("pchat_policy", "scope"),
               ("pchat_message", "author"), ("pchat_file", "uploader"),
               ("pchat_file", "stored_name"), ("pchat_file_token", "token"),
               ("pchat_file_token", "user_uri"), ("pchat_invitation", "user_uri"),
               ("pchat_invitation", "invited_by"), ("pchat_preference", "user_uri")}


def test_uri_columns_compare_bytes(mariadb):
    db = fresh_db(mariadb, "schema_bin")
    mariadb.load_file(os.path.join(SQL, "pchat-create.sql"), db)
    rows = mariadb.sql("SELECT table_name, column_name FROM information_schema.columns "
                       "WHERE table_schema = DATABASE() AND collation_name = 'utf8mb4_bin'",
                       db=db)
    assert {tuple(r) for r in rows} == URI_COLUMNS
    mariadb.sql("INSERT INTO pchat_preference VALUES ('sip:m\u00fcller@x.org', 'l', 0, ''), "
                "('sip:muller@x.org', 'l', 0, ''), ('sip:Muller@x.org', 'l', 0, '')", db=db)
    assert mariadb.sql("SELECT COUNT(*) FROM pchat_preference WHERE "
                       "user_uri = 'sip:muller@x.org'", db=db) == [("1",)]


def test_upgrade_to_version_3_canonicalises_identities(mariadb):
    db = fresh_db(mariadb, "schema_canon")
    mariadb.load_file(V1, db)
    upgrade(mariadb, db, "1-2")
    mariadb.sql(
        "INSERT INTO pchat_group (id, name) VALUES (1, 'g');"
        "INSERT INTO pchat_group_member VALUES (1, 'SIPS:%41nn@Example.COM.:5061;x=1'), "
        "(1, 'sip:bob@example.com'), (1, 'sip:Bob@example.com;transport=tcp');"
        "INSERT INTO pchat_role SELECT id, 'member', 'user', 'sip:m%c3%bcller@Example.com' "
        "FROM pchat_node WHERE parent_id IS NULL;"
        "INSERT INTO pchat_role SELECT id, 'member', 'domain', 'Example.COM.' "
        "FROM pchat_node WHERE parent_id IS NULL;"
        "INSERT INTO pchat_role SELECT id, 'member', 'group', 'g' "
        "FROM pchat_node WHERE parent_id IS NULL;"
        "INSERT INTO pchat_policy VALUES ('user', 'sip:carol@example.com:5060', 0), "
        "('domain', 'Corp.Example.', 1);"
        "INSERT INTO pchat_preference VALUES ('sip:dan@example.com;x=1', 'rooms', 3, 'QUJD')",
        db=db)
    upgrade(mariadb, db, "2-3")
    assert mariadb.sql("SELECT user_uri FROM pchat_group_member ORDER BY 1", db=db) == \
        [("sip:ann@example.com",), ("sip:bob@example.com",)]
    assert mariadb.sql("SELECT principal_type, principal FROM pchat_role ORDER BY 1",
                       db=db) == [("user", "sip:m%C3%BCller@example.com"),
                                  ("domain", "example.com"), ("group", "g")]
    assert mariadb.sql("SELECT scope_type, scope FROM pchat_policy WHERE scope <> '' "
                       "ORDER BY 1", db=db) == [("domain", "corp.example"),
                                                ("user", "sip:carol@example.com")]
    assert mariadb.sql("SELECT user_uri, seqid FROM pchat_preference", db=db) == \
        [("sip:dan@example.com", "3")]
    assert mariadb.sql("SELECT COUNT(*) FROM information_schema.routines WHERE "
                       "routine_schema = DATABASE()", db=db) == [("0",)]


def test_module_refuses_a_newer_schema(mariadb):
    db = fresh_db(mariadb, "schema_v7")
    mariadb.load_file(os.path.join(SQL, "pchat-create.sql"), db)
    mariadb.sql("UPDATE version SET table_version = 7 WHERE table_name = 'pchat_node'", db=db)
    kam, log = start_on(mariadb, db)
    if kam:
        kam.cleanup()
    assert kam is None
    assert "newer than this pchat" in log


def test_module_refuses_an_empty_database(mariadb):
    db = fresh_db(mariadb, "schema_empty")
    kam, log = start_on(mariadb, db)
    if kam:
        kam.cleanup()
    assert kam is None
    assert "load sql/pchat-create.sql" in log


def test_module_starts_on_the_current_schema(mariadb):
    db = fresh_db(mariadb, "schema_current")
    mariadb.load_file(os.path.join(SQL, "pchat-create.sql"), db)
    kam, log = start_on(mariadb, db)
    assert kam is not None, log[-2000:]
    kam.cleanup()
