"""Issue 13, limits against floods: a session sending INFOs faster than
max_infos_per_second, and an address sending INVITEs faster than
PCHAT_MAX_INVITES_PER_SECOND, get SIP 503 with Retry-After and a Warning
naming the limit; the flooder's session stays, everyone else is served as
before, and the flooder is served again once it slows down."""

import time

import pytest

from chat import ChatUser, make_room, session_of, unique
from signin import start_pair
from sipclient import InviteRejected, SipClient, find, parse_xccos


def retry_after(response):
    value = response.header("Retry-After")
    assert value is not None, response.raw.decode()
    return int(value)


def test_info_flood_gets_503_and_others_are_served(instance, mariadb):
    kam, user = instance(PCHAT_MAX_INFOS_PER_SECOND=2, PCHAT_MAX_INFOS_BURST=10)
    _, guid, _ = make_room(mariadb)
    flooder, other = user(), user()
    assert flooder.join(guid).code == 200
    assert other.join(guid).code == 200
    # far more posts than the burst (10) plus what 2/s refills meanwhile
    statuses, refused = [], None
    for i in range(60):
        r = flooder.post(guid, f"flood {i}")
        statuses.append(r.status)
        if r.status == 503 and refused is None:
            refused = r
    assert set(statuses) == {200, 503}, statuses
    assert statuses[:9] == [200] * 9  # the burst (the join took one token)
    assert "max_infos_per_second" in refused.header("Warning")
    assert retry_after(refused) >= 1
    # meanwhile: the other session posts and both receive it; the
    # flooder, still over its rate, is still refused
    assert other.post(guid, "unaffected").status == 200
    assert flooder.post(guid, "still flooding").status == 503
    accepted = [f"flood {i}" for i, s in enumerate(statuses) if s == 200]
    got = [other.wait_message(guid)["text"] for _ in range(len(accepted) + 1)]
    assert got == accepted + ["unaffected"]  # refused posts were never stored
    assert other.dlg.expect_no_server_info(
        within=0.5, predicate=lambda m: "flood" in m.body) is None
    assert session_of(kam, flooder) is not None
    status = kam.rpc("pchat.status")
    assert "infos_limited" in status
    # after the wait the server asked for, the flooder is served again
    time.sleep(retry_after(refused) + 0.5)
    assert flooder.post(guid, "calm again").status == 200
    assert other.wait_message(guid)["text"] == "calm again"
    other.dlg.assert_server_requests_ok()


def test_sign_in_storm_of_a_client_fits_the_default(instance, mariadb):
    """What a Lync client sends at sign-in (getserverinfo, bjoin of its 24
    rooms, then a history request per room, as fast as it can) stays
    inside the default max_infos_per_second and burst."""
    kam, user = instance()
    guids = [make_room(mariadb)[1] for _ in range(24)]
    u = user()
    assert u.dlg.command("getserverinfo").code == 200
    assert u.bjoin(guids).code == 200
    for g in guids:
        assert u.history(g).code == 200
    for i in range(10):
        assert u.post(guids[i], f"hello {i}").status == 200
    assert "infos_limited: 0" in kam.rpc("pchat.status")


def invite_flood(port, domain, uri, count):
    """count sign-ins from 127.0.0.1, as fast as they are answered; returns
    (dialogs, rejections) with the clients to close."""
    clients, accepted, rejected = [], [], []
    for _ in range(count):
        c = SipClient("127.0.0.1", port, user=unique("flood"), domain=domain)
        clients.append(c)
        try:
            accepted.append(c.invite(uri, timeout=10))
        except InviteRejected as e:
            rejected.append(e.response)
    return clients, accepted, rejected


def sign_in_from(ip, port, domain, uri):
    c = SipClient("127.0.0.1", port, user=unique("calm"), domain=domain, local_ip=ip)
    dlg = c.invite(uri, timeout=10)
    return c, dlg


@pytest.mark.parametrize("cfg", ["standalone", "frontend"])
def test_invite_flood_from_one_address_gets_503(cfg, kamailio_factory, db_url):
    limit = 5
    started = []
    if cfg == "standalone":
        kam = kamailio_factory(defines={"PCHAT_MAX_INVITES_PER_SECOND": limit})
    else:
        kam, node = start_pair(db_url, {"PCHAT_MAX_INVITES_PER_SECOND": limit})
        started = [kam, node]
    clients = []
    try:
        # 4 x the limit in about a second: whichever second boundary falls
        # inside, some of them are over the limit
        flood, accepted, rejected = invite_flood(kam.port, kam.domain, kam.service_uri,
                                                 4 * limit)
        clients += flood
        assert rejected, "no INVITE refused"
        assert len(accepted) >= limit
        for r in rejected:
            assert r.status == 503, r.raw.decode()
            assert retry_after(r) >= 1
            assert "PCHAT_MAX_INVITES_PER_SECOND" in r.header("Warning")
        # another address signs in and chats while 127.0.0.1 is over
        c, dlg = sign_in_from("127.0.0.2", kam.port, kam.domain, kam.service_uri)
        clients.append(c)
        assert dlg.command("getserverinfo").code == 200
        # the sessions accepted before the limit are served
        assert accepted[0].command("getserverinfo").code == 200
        # after the wait asked for, 127.0.0.1 signs in again
        time.sleep(retry_after(rejected[0]) + 1)
        c, dlg = sign_in_from("127.0.0.1", kam.port, kam.domain, kam.service_uri)
        clients.append(c)
        assert dlg.command("getserverinfo").code == 200
    finally:
        for c in clients:
            c.close()
        for k in started:
            k.cleanup()
