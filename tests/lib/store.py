"""Test helpers for pchat's store: private MariaDB servers with the schema
loaded from sql/ as a DBA would load it, and the account Kamailio uses."""

import contextlib
import os
import shutil
import tempfile

from kamailio import TOP
from mariadb import MariaDB, free_port

DB_USER, DB_PASS, DB_NAME = "pchat", "pchat", "pchat"


def create_schema(db, name=DB_NAME, search_index=True):
    """A fresh pchat database loaded from sql/, as a DBA would create it
    (with the optional search index when the server has Mroonga)."""
    db.sql(f"DROP DATABASE IF EXISTS `{name}`; CREATE DATABASE `{name}` CHARACTER SET utf8mb4;"
           f"CREATE USER IF NOT EXISTS '{DB_USER}'@'127.0.0.1' IDENTIFIED BY '{DB_PASS}';"
           f"GRANT ALL ON `{name}`.* TO '{DB_USER}'@'127.0.0.1';")
    db.load_file(os.path.join(TOP, "sql", "pchat-create.sql"), name)
    if search_index and has_mroonga(db):
        db.load_file(os.path.join(TOP, "sql", "pchat-search-index.sql"), name)


def has_mroonga(db):
    """The server loaded the Mroonga plugin (the search index's engine)."""
    return db.sql("SELECT COUNT(*) FROM information_schema.ENGINES "
                  "WHERE ENGINE = 'Mroonga' AND SUPPORT IN ('YES', 'DEFAULT')") == [("1",)]


@contextlib.contextmanager
def private_mariadb():
    """A MariaDB of its own (datadir under /tmp, free port) holding a fresh
    pchat database; stopped and removed on exit."""
    base = tempfile.mkdtemp(prefix="pchat-db-", dir="/tmp")
    db = MariaDB(base, free_port())
    try:
        db.start()
        create_schema(db)
        yield db
    finally:
        db.stop()
        shutil.rmtree(base, ignore_errors=True)
