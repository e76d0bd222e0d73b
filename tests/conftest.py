"""Shared fixtures: one private MariaDB per test run, Kamailio per test module."""

import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))

from kamailio import TOP, Kamailio  # noqa: E402
from mariadb import MariaDB, free_port  # noqa: E402

DB_USER, DB_PASS, DB_NAME = "pchat", "pchat", "pchat"


def create_schema(db, name=DB_NAME):
    """A fresh pchat database loaded from sql/, as a DBA would create it."""
    db.sql(f"DROP DATABASE IF EXISTS `{name}`; CREATE DATABASE `{name}` CHARACTER SET utf8mb4;"
           f"CREATE USER IF NOT EXISTS '{DB_USER}'@'127.0.0.1' IDENTIFIED BY '{DB_PASS}';"
           f"GRANT ALL ON `{name}`.* TO '{DB_USER}'@'127.0.0.1';")
    db.load_file(os.path.join(TOP, "sql", "pchat-create.sql"), name)


def start_mariadb():
    base = tempfile.mkdtemp(prefix="pchat-db-", dir="/tmp")
    db = MariaDB(base, free_port())
    db.start()
    db.basedir_to_remove = base
    return db


def stop_mariadb(db):
    db.stop()
    shutil.rmtree(db.basedir_to_remove, ignore_errors=True)


@pytest.fixture(scope="session")
def mariadb():
    db = start_mariadb()
    create_schema(db)
    yield db
    stop_mariadb(db)


@pytest.fixture(scope="session")
def db_url(mariadb):
    return mariadb.url(DB_USER, DB_PASS, DB_NAME)


@pytest.fixture
def kamailio_factory(db_url):
    """Starts extra Kamailio instances (own port each); all stopped at teardown."""
    started = []

    def make(defines=None, db=None, **kw):
        url = db if db is not None else db_url
        kam = Kamailio(free_port(), url, defines=defines, **kw)
        started.append(kam)
        return kam.start()

    yield make
    for kam in started:
        kam.cleanup()


@pytest.fixture(scope="module")
def kam(db_url):
    """The standalone configuration, as `make run` starts it."""
    k = Kamailio(free_port(), db_url).start()
    yield k
    k.cleanup()


@pytest.fixture
def instance(kamailio_factory):
    """A Kamailio of its own (tests that read global counters or set limits
    low): instance(**defines) returns (kam, user), user(transport) signs a
    chat user in."""
    from chat import ChatUser, unique  # tests/integration, on pytest's path
    made = []

    def start(**defines):
        kam = kamailio_factory(defines=defines)

        def user(transport="tcp"):
            u = ChatUser(kam, unique("u"), transport)
            made.append(u)
            return u
        return kam, user

    yield start
    for u in made:
        u.close()


@pytest.fixture(scope="module")
def pair(db_url):
    """A front-end (cfg/pchat-frontend.cfg) and a chat node behind it."""
    from test_frontend import start_pair
    fe, node = start_pair(db_url)
    yield fe, node
    fe.cleanup()
    node.cleanup()
