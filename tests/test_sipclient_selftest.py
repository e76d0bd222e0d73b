"""The SIP client's self-test (tests/lib/selftest_sipclient.py) as part of
`make test`: every scenario against the in-process fake UAS is one test, so
a change to sipclient.py that breaks the tool fails the suite."""

import pytest

import selftest_sipclient as selftest


def test_framing():
    selftest.scenario_framing()


@pytest.mark.parametrize("transport", ["tcp", "udp"])
@pytest.mark.parametrize("branch_style", ["3261", "none"])
def test_dialog(transport, branch_style):
    selftest.scenario_dialog(transport, branch_style)


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_server_side_problems(transport):
    selftest.scenario_server_side_problems(transport)


def test_udp_retransmission():
    selftest.scenario_udp_retransmission()


def test_peer_close():
    selftest.scenario_peer_close()


def test_same_second_clients():
    selftest.scenario_same_second_clients()


def test_many_clients():
    selftest.scenario_many_clients()


def test_checks_bite():
    """The self-test's checks fail on a request that is not sipe's."""
    raw = (b"INFO sip:x@example.com SIP/2.0\r\nCall-ID: c\r\nVia: SIP/2.0/TCP 127.0.0.1:5\r\n"
           b"Content-Length: 0\r\n\r\n")
    with pytest.raises(AssertionError):
        selftest.check_sipe_request(raw, "INFO", "tcp", "none")
    with pytest.raises(AssertionError):
        selftest.check(False, "must raise")
