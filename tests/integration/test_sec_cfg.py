"""Issue 11, configuration side: what the sample cfgs trust. The identity is
the authenticated one (WITH_AUTH), open mode says what it is, chat nodes
take only TCP from their front-ends and only the front-end's own
Record-Route, aliases are the front-end's own, UDP is never trusted by an
earlier sign-in, oversized requests stop at the front-end, and the TCP write
queue fits in shared memory."""

import os
import re
import socket

import pytest

from chat import make_room, set_policy, unique
from kamailio import TOP
from signin import (PROVISIONING, connect, open_chat, pool_uri, post_and_receive, sign_in,
                    start_pair)
from sipclient import InviteRejected, SipClient, SipTimeoutError, _gen_branch

OPEN_MODE = "anyone may claim any identity"


@pytest.fixture(scope="module")
def subscribers(mariadb):
    mariadb.load_file(os.path.join(TOP, "sql", "pchat-frontend.sql"), "pchat")
    return mariadb


def add_subscriber(db, user, domain="example.com", password="pw"):
    db.sql(f"INSERT INTO subscriber (username, domain, password) VALUES "
           f"('{user}', '{domain}', '{password}')", db="pchat")


@pytest.fixture(scope="module")
def auth_kam(db_url, subscribers):
    from kamailio import Kamailio
    from mariadb import free_port
    k = Kamailio(free_port(), db_url, defines={"WITH_AUTH": "1"}).start()
    yield k
    k.cleanup()


# ----- 3: the authenticated identity is the identity ------------------------

def test_open_mode_says_so_at_startup(kam, pair):
    fe, _ = pair
    assert OPEN_MODE in kam.log()
    assert OPEN_MODE in fe.log()


def test_auth_mode_does_not_claim_open_mode(auth_kam):
    assert OPEN_MODE not in auth_kam.log()


def test_from_domain_we_do_not_serve_is_refused(auth_kam, subscribers):
    """A subscriber of example.com cannot sign in as the same user elsewhere."""
    user = unique("erin")
    add_subscriber(subscribers, user)
    with SipClient("127.0.0.1", auth_kam.port, user=user, domain="evil.example.org") as e:
        response = e.register(password="pw")
        assert response.status == 403, response.raw.decode()


def test_digest_domain_must_be_the_subscribers(auth_kam, subscribers):
    """auth_db use_domain: a row of another domain does not sign in here."""
    user = unique("otto")
    add_subscriber(subscribers, user, domain="other.example.org")
    with connect(auth_kam.port, user) as o:
        response = o.register(password="pw")
        assert response.status in (403, 407), response.raw.decode()


def test_udp_sign_in_trusts_no_other_udp_request(auth_kam, subscribers, mariadb):
    """$conid is null for every UDP request: one UDP sign-in must not make
    the server trust a UDP request from anywhere else claiming that user."""
    user = unique("alice")
    add_subscriber(subscribers, user)
    set_policy(mariadb, "global", "", True)
    with SipClient("127.0.0.1", auth_kam.port, transport="udp", user=user) as alice:
        assert alice.register(password="pw").status == 200
        with SipClient("127.0.0.1", auth_kam.port, transport="udp", user=user) as mallory:
            assert mallory.subscribe(PROVISIONING).status == 407
            with pytest.raises(InviteRejected) as rejected:
                mallory.invite(auth_kam.lookup_uri)
            assert rejected.value.response.status == 407
    # a TCP connection that signed in stays trusted
    tcp_user = unique("tina")
    add_subscriber(subscribers, tcp_user)
    with connect(auth_kam.port, tcp_user) as t:
        sign_in(t, password="pw")
        assert len(t.challenges) == 1


def test_front_end_asserts_the_authenticated_identity(db_url, subscribers, mariadb):
    """The P-Asserted-Identity is sip:<Digest user>@<our domain>, not the
    From header (here with a parameter and an upper-case host)."""
    user = unique("hank")
    add_subscriber(subscribers, user)
    set_policy(mariadb, "global", "", True)
    fe, node = start_pair(db_url, {"WITH_AUTH": "1"})
    try:
        with connect(fe.port, user) as h:
            h.aor = f"sip:{user}@Example.COM;x=1"
            props = sign_in(h, password="pw")
            open_chat(h, pool_uri(props, h))
            users = {s.get("user") for s in node.sessions()}
            assert f"sip:{user}@example.com" in users, users
            assert not [u for u in users if user in u and u != f"sip:{user}@example.com"]
        assert OPEN_MODE not in fe.log()
    finally:
        fe.cleanup()
        node.cleanup()


# ----- 4: chat nodes trust only what they can verify ----------------------

def test_node_takes_no_udp(pair):
    _, node = pair
    user = unique("udp")
    with SipClient("127.0.0.1", node.port, transport="udp", user=user) as u:
        try:
            u.invite(node.service_uri, timeout=2)
        except InviteRejected as rejected:
            assert rejected.value.response.status == 403
        except SipTimeoutError:
            pass  # nothing listens
        else:
            raise AssertionError("the node opened a session over UDP")
    assert f"sip:{user}@example.com" not in {s.get("user") for s in node.sessions()}


def test_node_refuses_a_record_route_not_of_the_sender(pair, mariadb):
    _, node = pair
    set_policy(mariadb, "global", "", True)
    with SipClient("127.0.0.1", node.port, user=unique("rr")) as c:
        with pytest.raises(InviteRejected) as rejected:
            c.invite(node.service_uri,
                     extra_headers=[("Record-Route", "<sip:127.0.0.9:5060;transport=tcp;lr>")])
        assert rejected.value.response.status == 403
        # the front-end's own: its top entry is the address that sent it
        c.invite(node.service_uri, extra_headers=[
            ("Record-Route", f"<sip:127.0.0.1:{c.local_port};transport=tcp;lr>"),
            ("P-Asserted-Identity", f"<sip:{c.user}@example.com>")])


def test_client_alias_does_not_reach_another_connection(pair, mariadb):
    """An ;alias= names a front-end connection: a client's own (in its
    Request-URI or Contact) must not make the front-end write to someone
    else's connection."""
    fe, _ = pair
    set_policy(mariadb, "global", "", True)
    with connect(fe.port, unique("bob")) as b, \
            SipClient("127.0.0.1", fe.port, user=unique("mal"), local_ip="127.0.0.2") as m:
        open_chat(b, pool_uri(sign_in(b), b))
        dlg = open_chat(m, pool_uri(sign_in(m), m))
        alias = f"alias=127.0.0.1~{b.local_port}~2"
        target = dlg.remote_target
        dlg.remote_target = f"{target};{alias}"
        response = dlg.info("hello")
        dlg.remote_target = target
        assert response.status == 403, response.raw.decode()
        # an INVITE whose Contact carries the victim's alias
        call_id = unique("cid")
        raw = m.build_request(
            "INVITE", fe.service_uri, call_id=call_id, from_tag=unique("t"),
            to_uri=fe.service_uri, to_tag=None, cseq=1, via=m.via(_gen_branch()),
            extra_headers=[("Contact", f"<sip:x@127.0.0.2:{m.local_port};transport=tcp;{alias}>")])
        assert m.transact(raw, call_id, 1, "INVITE").status == 403
        b.expect_no_request("INFO", within=1.0,
                            predicate=lambda r: r.call_id not in b._dialogs)


def test_standalone_refuses_a_client_record_route(kam, mariadb):
    """No proxy stands between the clients and the standalone node: a
    client's Record-Route would make pchat's INFOs go wherever it points."""
    set_policy(mariadb, "global", "", True)
    trap = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    trap.bind(("127.0.0.1", 0))
    trap.settimeout(1.0)
    try:
        with SipClient("127.0.0.1", kam.port, transport="udp", user=unique("refl")) as u:
            with pytest.raises(InviteRejected) as rejected:
                u.invite(kam.service_uri, extra_headers=[
                    ("Record-Route", f"<sip:127.0.0.1:{trap.getsockname()[1]};lr>")])
            assert rejected.value.response.status == 403
            with pytest.raises(socket.timeout):
                trap.recvfrom(65535)
    finally:
        trap.close()


# ----- 5: oversized requests stop at the front-end ---------------------------

def test_oversized_request_is_refused_by_the_front_end(pair, mariadb):
    """Past the node's read buffer the node would drop the front-end's
    connection and every session on it: the front-end answers 513."""
    fe, node = pair
    set_policy(mariadb, "global", "", True)
    _, guid, _ = make_room(mariadb)
    with connect(fe.port, unique("ann")) as a, connect(fe.port, unique("ben")) as b:
        users = [(c, open_chat(c, pool_uri(sign_in(c), c))) for c in (a, b)]
        before = sorted(s.get("user") for s in node.sessions())
        with connect(fe.port, unique("big")) as big:
            sign_in(big)
            # 32700 bytes fit the front-end's 32768-byte read buffer, not the
            # node's once the front-end has added its Via, Record-Route, ...
            call_id = unique("big")

            def invite(pad):
                return big.build_request(
                    "INVITE", fe.lookup_uri, call_id=call_id, from_tag="bigtag",
                    to_uri=fe.lookup_uri, to_tag=None, cseq=1, via=big.via("z9hG4bKbig1"),
                    extra_headers=[("Contact", big.contact), ("X-Pad", pad)],
                    body=big.sdp_offer(), content_type="application/sdp")
            raw = invite("x" * (32700 - len(invite(""))))
            assert len(raw) == 32700
            response = big.transact(raw, call_id, 1, "INVITE", timeout=15)
            assert response.status == 513, response.raw.decode()[:500]
        assert sorted(s.get("user") for s in node.sessions()) == before
        post_and_receive(users, guid, fe.domain)


# ----- 6: the TCP write queue fits in shared memory ---------------------------

def rpc_value(text, key):
    m = re.search(rf"^\s*{key}:\s*(\d+)\s*$", text, re.M)
    assert m, text
    return int(m.group(1))


def test_running_write_queue_bound_is_below_shared_memory(kam, pair):
    for k in (kam, *pair):
        wq_max = rpc_value(k.rpc("core.tcp_options"), "wq_max")
        conn_wq_max = rpc_value(k.rpc("core.tcp_options"), "conn_wq_max")
        shm = rpc_value(k.rpc("core.shmmem"), "total")
        # a quarter of the -m size at most (the pool reports a little less)
        assert 0 < conn_wq_max <= wq_max <= k.shm_mb * 1048576 // 4, (k.cfg, wq_max, shm)
        assert wq_max < shm // 3, (k.cfg, wq_max, shm)


def cfg_define(text, name):
    m = re.search(rf"^#!define {name} (\d+)$", text, re.M)
    assert m, name
    return int(m.group(1))


@pytest.mark.parametrize("cfg", ["pchat-standalone.cfg", "pchat-frontend.cfg",
                                 "pchat-node.cfg"])
def test_sample_cfg_write_queue_is_sized_against_shm(cfg):
    text = open(os.path.join(TOP, "cfg", cfg)).read()
    assert re.search(r"^tcp_wq_max=PCHAT_TCP_WQ_MAX$", text, re.M)
    shm_mb = cfg_define(text, "PCHAT_SHM_MB")
    assert cfg_define(text, "PCHAT_TCP_WQ_MAX") <= shm_mb * 1024 * 1024 // 4
    m = re.search(r"^tcp_conn_wq_max=(\d+)$", text, re.M)
    assert m and int(m.group(1)) <= cfg_define(text, "PCHAT_TCP_WQ_MAX")


def test_make_run_passes_a_write_queue_bound_from_its_shm_size():
    text = open(os.path.join(TOP, "tools", "pchat-run")).read()
    assert '-m "$shm_mb"' in text
    assert '-A "PCHAT_SHM_MB=$shm_mb"' in text
    assert '-A "PCHAT_TCP_WQ_MAX=$wq_max"' in text
    assert re.search(r"wq_max=\$\(\(shm_mb \* 1048576 / 4\)\)", text)


def test_udp_replies_go_to_the_source_not_the_via_port(kam):
    """A UDP request whose Via names another port is answered where it came
    from: the Via cannot aim our replies at a third party."""
    trap = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    trap.bind(("127.0.0.1", 0))
    trap.settimeout(1.0)
    try:
        with SipClient("127.0.0.1", kam.port, transport="udp", user=unique("via")) as u:
            call_id = unique("via")
            raw = u.build_request(
                "OPTIONS", kam.service_uri, call_id=call_id, from_tag="viatag",
                to_uri=kam.service_uri, to_tag=None, cseq=1,
                via=f"SIP/2.0/UDP 127.0.0.1:{trap.getsockname()[1]};branch={_gen_branch()}")
            assert u.transact(raw, call_id, 1, "OPTIONS", timeout=3).status > 0
            with pytest.raises(socket.timeout):
                trap.recvfrom(65535)
    finally:
        trap.close()


@pytest.mark.parametrize("cfg", ["pchat-standalone.cfg", "pchat-frontend.cfg",
                                 "pchat-node.cfg"])
def test_sample_cfg_keeps_rpcs_off_http(cfg):
    """Issue 17: Kamailio's RPCs (pchat's admin RPCs among them) are on the
    local FIFO only; over HTTP only the room-management page and the file
    service answer, and the page signs in with WITH_AUTH."""
    text = open(os.path.join(TOP, "cfg", cfg)).read()
    assert re.findall(r'^modparam\("jsonrpcs", "transport", (\d+)\)', text, re.M) == ["2"]
    assert "jsonrpc_dispatch" not in text and "xmlrpc" not in text
    if "xhttp:request" in text:
        route = text[text.index("event_route[xhttp:request]"):]
        route = route[:route.index("\n}\n")]
        assert "pchat_manage_http(\"sip:$au@" in route
        auth = route.index("www_authenticate(")
        assert auth < route.index("pchat_manage_http(\"sip:$au@")
        if cfg == "pchat-node.cfg":  # no open mode on a node
            assert 'pchat_manage_http("")' not in route
