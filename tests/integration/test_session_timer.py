"""Session refresh (UPDATE / re-INVITE) and server-side expiry with BYE."""

import time

import pytest

from sipclient import SipClient

EXPIRES = 4


@pytest.fixture(scope="module")
def short_kam(db_url):
    from kamailio import Kamailio
    from mariadb import free_port
    k = Kamailio(free_port(), db_url, defines={"PCHAT_SESSION_EXPIRES": str(EXPIRES),
                                               "PCHAT_MIN_SE": "2"}).start()
    yield k
    k.cleanup()


def alive(kam, dlg):
    return any(s["call_id"] == dlg.call_id for s in kam.sessions())


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_update_refreshes_the_session(short_kam, transport):
    client = SipClient("127.0.0.1", short_kam.port, transport=transport)
    try:
        dlg = client.invite(short_kam.service_uri)
        assert dlg.session_expires == EXPIRES
        for _ in range(4):  # 4 x 2 s = twice the interval, kept alive by UPDATE
            time.sleep(EXPIRES - 2)  # 2 s of margin for a loaded machine
            resp = dlg.update()
            assert resp.status == 200
            assert resp.header("Session-Expires").startswith(f"{EXPIRES};refresher=uac")
        assert alive(short_kam, dlg)
        dlg.expect_no_server_info(within=0.1)
        assert not dlg.terminated
    finally:
        client.close()


def test_reinvite_refreshes_the_session(short_kam):
    client = SipClient("127.0.0.1", short_kam.port, transport="tcp")
    try:
        dlg = client.invite(short_kam.service_uri)
        for _ in range(2):
            time.sleep(EXPIRES - 2)  # 2 s of margin for a loaded machine
            assert dlg.reinvite().status == 200
        assert alive(short_kam, dlg)
    finally:
        client.close()


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_unrefreshed_session_is_ended_with_bye(short_kam, transport):
    client = SipClient("127.0.0.1", short_kam.port, transport=transport)
    try:
        dlg = client.invite(short_kam.lookup_uri)
        started = time.monotonic()
        bye = dlg.wait_remote_bye(timeout=EXPIRES + 5)
        waited = time.monotonic() - started
        # the expiry timer ticks once a second on whole-second times
        assert waited >= EXPIRES - 1.2
        assert bye.from_uri == dlg.remote_uri and bye.call_id == dlg.call_id
        assert not alive(short_kam, dlg)
        resp = dlg.send_request("INFO", body="<x/>", content_type="text/plain")
        assert resp.status == 481
    finally:
        client.close()


def test_interval_below_min_se_is_refused_with_422(short_kam):
    client = SipClient("127.0.0.1", short_kam.port, transport="tcp")
    try:
        from sipclient import InviteRejected
        with pytest.raises(InviteRejected) as err:
            client.invite(short_kam.service_uri, extra_headers={"Session-Expires": "1"})
        assert err.value.response.status == 422
        assert err.value.response.header("Min-SE") == "2"
    finally:
        client.close()


def test_session_ends_run_in_their_own_process(short_kam):
    """Not in the core timer that drives tm's retransmissions."""
    assert "PCHAT SESSION TIMER" in short_kam.rpc("core.psx")
