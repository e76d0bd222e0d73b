"""The XCCOS session layer over real SIP (TCP and UDP) against real Kamailio.

Covers doc/xccos.md §1-2 and §7.2-7.3: lookup flow, requri,
getserverinfo, errors that never leave the client in silence, session
refresh and expiry, BYE cleanup, and dialogs kept apart per connection.
"""

import datetime
import threading
import time

import pytest

from admin import config_restored
from sipclient import InviteRejected, SipClient, find

TRANSPORTS = ["tcp", "udp"]


def open_dialog(kam, transport, uri=None, **kw):
    client = SipClient("127.0.0.1", kam.port, transport=transport, **kw)
    dlg = client.invite(uri or kam.lookup_uri)
    return client, dlg


def requri(dlg):
    rep = dlg.command("requri")
    assert rep.id == "rpl:requri" and rep.code == 200 and rep.token == "SUCCESS_OK"
    uib = find(rep.data, "uib")
    assert uib is not None, "rpl:requri carries no <uib>"
    return uib.get("uri")


@pytest.mark.parametrize("branch_style", ["3261", "none"])
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_lookup_flow_then_service_dialog(kam, transport, branch_style):
    client = SipClient("127.0.0.1", kam.port, transport=transport, branch_style=branch_style)
    try:
        lookup = client.invite(kam.lookup_uri)
        assert lookup.response.status == 200
        assert lookup.session_expires == 1800
        contact = lookup.response.header("Contact")
        assert f"transport={transport}" in contact
        assert "m=message" in lookup.response.body  # SDP answer to the offer

        service = requri(lookup)
        assert service == kam.service_uri
        assert lookup.bye().status == 200

        chat = client.invite(service)
        assert chat.response.status == 200
        rep = chat.command("getserverinfo", '<sib domain="example.com" infoType="123"/>')
        assert rep.code == 200
        for dlg in (lookup, chat):
            dlg.assert_server_requests_ok()
            info = dlg.server_infos[0]
            assert info.header("Content-Type") == "text/plain"
            assert info.from_uri == dlg.remote_uri
        assert chat.bye().status == 200
    finally:
        client.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_getserverinfo_reads_the_store(kam, mariadb, transport):
    rows = dict(mariadb.sql("SELECT name, value FROM pchat_config", db="pchat"))
    client, dlg = open_dialog(kam, transport, kam.service_uri)
    try:
        before = datetime.datetime.now(datetime.timezone.utc)
        rep = dlg.command("getserverinfo", '<sib domain="example.com" infoType="123"/>')
        assert rep.id == "rpl:getserverinfo" and rep.code == 200
        commandid = find(rep.rpl, "commandid")
        assert commandid.get("envid") == str(rep.envid) and commandid.get("seqid") == "1"
        sib = find(rep.data, "sib")
        assert sib.get("infoType") == "123"
        assert sib.get("searchLimit") == rows["search_limit"] == "999"
        assert sib.get("messageSizeLimit") == rows["message_size_limit"] == "512"
        assert sib.get("storySizeLimit") == rows["story_size_limit"] == "4096"
        assert sib.get("rootUri") == f"ma-cat://example.com/{rows['root_category_guid']}"
        assert sib.get("dbVersion") == rows["db_version"]
        ts = sib.get("serverTime")
        assert ts.endswith("Z") and len(ts.split(".")[1]) == 8  # 7 digits + Z
        server_time = datetime.datetime.strptime(ts[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(
            tzinfo=datetime.timezone.utc)
        assert abs((server_time - before).total_seconds()) < 5
    finally:
        client.close()


def test_getserverinfo_follows_a_configuration_change(kam, mariadb):
    client, dlg = open_dialog(kam, "tcp", kam.service_uri)
    try:
        with config_restored(kam):
            mariadb.sql("UPDATE pchat_config SET value='250' WHERE name='search_limit'",
                        db="pchat")
            sib = find(dlg.command("getserverinfo").data, "sib")
            assert sib.get("searchLimit") == "250"
            # the root URI falls back to the invited domain without <sib domain>
            assert sib.get("rootUri").startswith("ma-cat://example.com/")
    finally:
        client.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_unknown_command_gets_an_error_reply(kam, transport):
    client, dlg = open_dialog(kam, transport)
    try:
        rep = dlg.command("frobnicate", "<x/>")
        assert rep.id == "rpl:frobnicate"
        assert rep.code == 501 and rep.token == "NOT_IMPLEMENTED"
        assert requri(dlg) == kam.service_uri  # the session is intact
    finally:
        client.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_malformed_xml_is_refused_and_session_survives(kam, transport):
    client, dlg = open_dialog(kam, transport)
    try:
        resp = dlg.send_xccos('<xccos ver="1" envid="5" xmlns="urn:parlano:xml:ns:xccos">'
                              '<cmd id="cmd:requri" seqid="1"><data></cmd>')
        assert resp.status == 400
        assert "not well-formed" in resp.header("Warning")
        resp = dlg.send_xccos("<hello/>")
        assert resp.status == 400 and "xccos" in resp.header("Warning")
        resp = dlg.send_xccos("")
        assert resp.status == 400
        dlg.expect_no_server_info(within=0.5)
        assert requri(dlg) == kam.service_uri
    finally:
        client.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_oversized_body_is_refused_and_session_survives(kam, transport):
    client, dlg = open_dialog(kam, transport)
    try:
        filler = "x" * 25000
        body = ('<xccos ver="1" envid="7" xmlns="urn:parlano:xml:ns:xccos">'
                f'<cmd id="cmd:requri" seqid="1"><data><pad>{filler}</pad></data></cmd></xccos>')
        resp = dlg.send_xccos(body)
        assert resp.status == 413
        assert "exceeds 24576" in resp.header("Warning")
        assert requri(dlg) == kam.service_uri
    finally:
        client.close()


def test_cmd_without_name_and_client_rpl_get_bad_request(kam):
    client, dlg = open_dialog(kam, "tcp")
    try:
        envid, body = client.make_envelope('<rpl id="rpl:requri" seqid="1"><data/></rpl>')
        assert dlg.send_xccos(body).status == 200
        info = dlg.wait_server_info()
        rpl = find(find_root(info), "rpl")
        assert rpl.get("id") == "rpl:requri"
        assert find(rpl, "resp").get("code") == "400"
    finally:
        client.close()


def find_root(msg):
    from sipclient import parse_xccos
    return parse_xccos(msg.body)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_bye_removes_the_session(kam, transport):
    client, dlg = open_dialog(kam, transport)
    try:
        mine = [s for s in kam.sessions() if s["call_id"] == dlg.call_id]
        assert len(mine) == 1
        assert mine[0]["user"] == client.aor
        assert mine[0]["kind"] == "lookup"
        assert mine[0]["source"] == f"{transport}:127.0.0.1:{client.local_port}"
        assert dlg.bye().status == 200
        assert not [s for s in kam.sessions() if s["call_id"] == dlg.call_id]
        # the dialog is gone: the client must restart from the lookup
        resp = dlg.send_request("INFO", body="<x/>", content_type="text/plain")
        assert resp.status == 481
    finally:
        client.close()


def test_requests_outside_pchat_are_left_to_the_script(kam):
    client = SipClient("127.0.0.1", kam.port, transport="tcp")
    try:
        with pytest.raises(InviteRejected) as err:
            client.invite("sip:bob@example.com")
        # pchat_handle() returned false, the script answered 404
        assert err.value.response.status == 404
    finally:
        client.close()


def test_options_to_the_service_uri_is_answered(kam):
    client = SipClient("127.0.0.1", kam.port, transport="udp")
    try:
        raw = client.build_request("OPTIONS", kam.service_uri, call_id="opt-1", from_tag="t1",
                                   to_uri=kam.service_uri, to_tag=None, cseq=1,
                                   via=client.via("z9hG4bKopt1"))
        resp = client.transact(raw, "opt-1", 1, "OPTIONS")
        assert resp.status == 200 and "INFO" in resp.header("Allow")
    finally:
        client.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_client_that_rejects_our_info_loses_its_session(kam, transport):
    client, dlg = open_dialog(kam, transport)
    try:
        dlg.auto_reply_code = 481
        envid, body = client.make_envelope('<cmd id="cmd:requri" seqid="1"><data/></cmd>')
        assert dlg.send_xccos(body).status == 200
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if not [s for s in kam.sessions() if s["call_id"] == dlg.call_id]:
                break
            time.sleep(0.2)
        assert not [s for s in kam.sessions() if s["call_id"] == dlg.call_id]
    finally:
        client.close()


def test_identical_call_ids_and_tags_on_two_connections_stay_apart(kam):
    a = SipClient("127.0.0.1", kam.port, transport="tcp", call_id="same-second", from_tag="t0")
    b = SipClient("127.0.0.1", kam.port, transport="tcp", call_id="same-second", from_tag="t0")
    try:
        da, db_ = a.invite(kam.lookup_uri), b.invite(kam.lookup_uri)
        assert da.call_id == db_.call_id and da.local_tag == db_.local_tag
        assert requri(da) == requri(db_) == kam.service_uri
        assert len([s for s in kam.sessions() if s["call_id"] == da.call_id]) == 2
        # each got exactly its own reply, on its own connection
        assert len(da.server_infos) == 1 and len(db_.server_infos) == 1
        assert da.bye().status == 200
        assert requri(db_) == kam.service_uri  # b's session survived a's BYE
        da.assert_server_requests_ok()
        db_.assert_server_requests_ok()
    finally:
        a.close()
        b.close()


def test_fifty_clients_at_once(kam):
    errors, done = [], []

    def one(i):
        client = SipClient("127.0.0.1", kam.port, transport="tcp", user=f"user{i}")
        try:
            lookup = client.invite(kam.lookup_uri, timeout=15)
            uri = requri(lookup)
            lookup.bye(timeout=15)
            chat = client.invite(uri, timeout=15)
            rep = chat.command("getserverinfo", timeout=15)
            assert rep.code == 200
            chat.assert_server_requests_ok()
            chat.bye(timeout=15)
            done.append(i)
        except Exception as exc:  # reported below with the client number
            errors.append(f"client {i}: {exc!r}")
        finally:
            client.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, "\n".join(errors[:5])
    assert len(done) == 50
