"""Sessions and delivery deadlines run on the monotonic clock: a step of the
node's wall clock (NTP, an operator's date -s) neither ends every session
at once (a day forward) nor keeps sessions past their interval (hours
back). Only this Kamailio's clock moves (libfaketime, tests/lib/fakeclock.py);
the machine's is never touched."""

import time

import pytest

from chat import ChatUser, make_room, session_of, unique
from fakeclock import FakeClock


@pytest.fixture
def clock():
    c = FakeClock()
    yield c
    c.cleanup()


def expires_in(kam, user):
    return int(session_of(kam, user)["expires_in"])


def test_a_wall_clock_step_neither_ends_nor_prolongs_sessions(kamailio_factory, mariadb, clock):
    kam = kamailio_factory(env=clock.env)
    _, guid, _ = make_room(mariadb)
    alice, bob = ChatUser(kam, unique("alice")), ChatUser(kam, unique("bob"))
    try:
        assert alice.join(guid).code == 200
        assert bob.join(guid).code == 200
        interval = expires_in(kam, alice)
        assert 0 < interval <= 1800
        clock.set("+1d")
        time.sleep(3)  # the expiry timer has run (every second) on the new time
        assert session_of(kam, alice) is not None and session_of(kam, bob) is not None
        assert alice.post(guid, "a day later").status == 200
        assert bob.wait_message(guid)["text"] == "a day later"
        assert alice.wait_message(guid)["text"] == "a day later"  # every member's copy
        bob.client.expect_no_request("BYE", within=0.5)
        clock.set("-2h")
        time.sleep(2)
        # still within its interval, not two hours more
        assert 0 < expires_in(kam, bob) <= interval
        assert bob.post(guid, "two hours back").status == 200
        assert alice.wait_message(guid)["text"] == "two hours back"
    finally:
        alice.close()
        bob.close()
