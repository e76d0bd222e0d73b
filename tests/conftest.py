"""Shared fixtures: one private MariaDB per test run, Kamailio per test module."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))

from kamailio import Kamailio  # noqa: E402
from mariadb import free_port  # noqa: E402
from store import DB_NAME, DB_PASS, DB_USER, private_mariadb  # noqa: E402


@pytest.fixture(scope="session")
def mariadb():
    with private_mariadb() as db:
        yield db


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
    from chat import ChatUser, unique
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


@pytest.fixture
def chat_users():
    """chat_users(kam) signs a chat user in to that Kamailio (any of
    several nodes); all are closed at teardown."""
    from chat import ChatUser, unique
    made = []

    def make(kam):
        u = ChatUser(kam, unique("u"))
        made.append(u)
        return u

    yield make
    for u in made:
        u.close()


@pytest.fixture(scope="module")
def pair(db_url):
    """A front-end (cfg/pchat-frontend.cfg) and a chat node behind it."""
    from signin import start_pair
    fe, node = start_pair(db_url)
    yield fe, node
    fe.cleanup()
    node.cleanup()
