"""Fixtures shared by the integration tests: a Kamailio of one's own with
chat users, and a front-end with a chat node behind it."""

import pytest

from chat import ChatUser, unique
from test_frontend import start_pair


@pytest.fixture
def instance(kamailio_factory):
    """A Kamailio of its own (tests that read global counters or set limits
    low): instance(**defines) returns (kam, user), user(transport) signs a
    chat user in."""
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
    fe, node = start_pair(db_url)
    yield fe, node
    fe.cleanup()
    node.cleanup()
