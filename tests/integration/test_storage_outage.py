"""A database that goes away: clean 503 + Retry-After, recovery without restart.

Runs its own MariaDB so that stopping it cannot disturb the other tests.
"""

import time

import pytest

from kamailio import KamailioError
from mariadb import free_port
from sipclient import InviteRejected, SipClient, find
from store import DB_NAME, DB_PASS, DB_USER, private_mariadb


@pytest.fixture(scope="module")
def own_db():
    with private_mariadb() as db:
        yield db


def getserverinfo_status(dlg):
    envid, body = dlg.client.make_envelope('<cmd id="cmd:getserverinfo" seqid="1"><data/></cmd>')
    return dlg.send_xccos(body), envid


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_database_down_gives_503_then_recovers(own_db, kamailio_factory, transport):
    kam = kamailio_factory(db=own_db.url(DB_USER, DB_PASS, DB_NAME))
    client = SipClient("127.0.0.1", kam.port, transport=transport)
    try:
        dlg = client.invite(kam.service_uri)
        assert dlg.command("getserverinfo").code == 200

        own_db.stop()
        resp, _ = getserverinfo_status(dlg)
        assert resp.status == 503
        assert int(resp.header("Retry-After")) > 0
        dlg.expect_no_server_info(within=0.5)  # no reply follows a refused INFO
        assert "storage: down" in kam.rpc("pchat.status")
        with pytest.raises(KamailioError) as err:  # admins get a precise error
            kam.rpc("pchat.category_get")
        assert "503" in str(err.value) and "storage unavailable" in str(err.value)
        # commands that need no storage keep working; Kamailio keeps running
        rep = dlg.command("requri")
        assert rep.code == 200 and find(rep.data, "uib").get("uri") == kam.service_uri
        assert kam.alive()

        own_db.start()
        deadline = time.monotonic() + 20
        while True:
            resp, envid = getserverinfo_status(dlg)
            if resp.status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert resp.status == 200, "pchat did not recover after the database came back"
        info = dlg.wait_server_info(lambda m: f'envid="{envid}"' in m.body)
        assert 'code="200"' in info.body
        assert "storage: up" in kam.rpc("pchat.status")
        assert "name: Root" in kam.rpc("pchat.category_get")
        assert kam.alive()
        # the outage is logged once, not once per request
        log = kam.log()
        assert log.count("storage unavailable") <= 2, log[-3000:]
        assert "storage available again" in log
    finally:
        client.close()


def test_kamailio_starts_while_the_database_is_unreachable(kamailio_factory):
    """An outage at start is an outage like any other: start, answer 503."""
    kam = kamailio_factory(db=f"mysql://{DB_USER}:{DB_PASS}@127.0.0.1:{free_port()}/{DB_NAME}")
    client = SipClient("127.0.0.1", kam.port, transport="tcp")
    try:
        # the policy check at INVITE needs the store: 503, try again later
        with pytest.raises(InviteRejected) as err:
            client.invite(kam.service_uri)
        assert err.value.response.status == 503
        assert int(err.value.response.header("Retry-After")) > 0
        assert "cannot check the schema version now" in kam.log()
        assert kam.alive()
    finally:
        client.close()
