"""Issue 11, sessions: replies to our INFOs are only believed from the
session's own connection and carry a per-session secret (forged ones are
dropped and counted); UDP sessions have the same pending-delivery bound as
TCP; the node, a user and a connection have a bounded number of sessions."""

import re
import time

import pytest

from chat import make_room, session_of, unique, wait_until
from sipclient import InviteRejected, SipClient, find


def forged(kam):
    return int(re.search(r"forged_replies:\s*(\d+)", kam.rpc("pchat.status")).group(1))


def forged_reply(info, code=481, branch=None):
    """A final answer to a server INFO, as its client would send it."""
    via = info.header("Via")
    if branch is not None:
        via = re.sub(r"branch=[^;,\s]+", f"branch={branch}", via)
    lines = [f"SIP/2.0 {code} Gone", f"Via: {via}", f"From: {info.header('From')}",
             f"To: {info.header('To')}", f"Call-ID: {info.call_id}",
             f"CSeq: {info.header('CSeq')}", "Content-Length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def send_forgeries(kam, packets):
    """Sends each packet over a TCP connection of its own and over UDP."""
    for data in packets:
        with SipClient("127.0.0.1", kam.port, user=unique("mallory")) as tcp:
            tcp.send_raw(data)
            time.sleep(0.2)
        with SipClient("127.0.0.1", kam.port, transport="udp", user=unique("mallory")) as udp:
            udp.send_raw(data)
            time.sleep(0.2)


def test_forged_replies_to_a_tcp_session_change_nothing(instance, mariadb):
    kam, user = instance()
    _, guid, _ = make_room(mariadb)
    poster, victim = user(), user()
    assert poster.join(guid).code == 200
    assert victim.join(guid).code == 200
    assert poster.post(guid, "before").status == 200
    assert victim.wait_message(guid)["text"] == "before"
    info = victim.dlg.server_infos[-1]
    branch = info.via_branch
    assert branch.startswith("z9hG4bKpcd")
    hid, sid, cseq = branch[len("z9hG4bKpcd"):].split(".")[:3]
    before = forged(kam)
    send_forgeries(kam, [
        forged_reply(info),  # the real branch, replayed from elsewhere
        # the shape without the secret, for this and the next CSeq
        forged_reply(info, branch=f"z9hG4bKpcd{hid}.{sid}.{cseq}"),
        forged_reply(info, branch=f"z9hG4bKpcd{hid}.{sid}.{int(cseq, 16) + 1:x}"),
    ])
    time.sleep(1.5)  # the expiry timer runs every second
    assert session_of(kam, victim) is not None
    assert poster.post(guid, "after").status == 200
    assert victim.wait_message(guid)["text"] == "after"
    assert forged(kam) - before >= 6
    victim.dlg.assert_server_requests_ok()


def test_secret_branch_on_our_own_connection_still_counts(instance, mariadb):
    """The genuine client refusing an INFO still ends its session."""
    kam, user = instance()
    _, guid, _ = make_room(mariadb)
    poster, leaver = user(), user()
    assert poster.join(guid).code == 200
    assert leaver.join(guid).code == 200
    leaver.dlg.auto_reply_code = 481
    assert poster.post(guid, "bye").status == 200
    part = poster.wait_notice("part", timeout=10)
    assert find(part, "data/chanib/uib").get("uri") == leaver.uri
    assert wait_until(lambda: session_of(kam, leaver) is None)


def test_forged_replies_to_a_udp_session_change_nothing(instance, mariadb):
    kam, user = instance()
    _, guid, _ = make_room(mariadb)
    poster, victim = user(), user("udp")
    assert poster.join(guid).code == 200
    assert victim.join(guid).code == 200
    victim.dlg.auto_answer = False  # answer by hand, after the forgeries
    before = forged(kam)
    assert poster.post(guid, "before").status == 200
    info = victim.dlg.wait_server_info(lambda m: "before" in m.body, timeout=10)
    send_forgeries(kam, [forged_reply(info)])
    victim.client.respond(info, 200)
    time.sleep(1.5)
    assert session_of(kam, victim) is not None
    victim.dlg.auto_answer = True
    assert poster.post(guid, "after").status == 200
    # (tm's retransmissions of "before" are queued ahead of it)
    assert victim.dlg.wait_server_info(lambda m: "after" in m.body, timeout=10)
    assert forged(kam) - before >= 2


def test_silent_udp_member_is_shed_after_max_pending(instance, mariadb):
    kam, user = instance(PCHAT_MAX_PENDING=3)
    _, guid, _ = make_room(mariadb)
    alice, bob, slow = user(), user(), user("udp")
    for u in (alice, bob, slow):
        assert u.join(guid).code == 200
    slow.dlg.auto_answer = False
    for i in range(3):
        assert alice.post(guid, f"p{i}").status == 200
    assert wait_until(lambda: session_of(kam, slow)["pending"] == "3")
    assert alice.post(guid, "one too many").status == 200
    # long before tm's 10 s timeout ends the INFOs
    part = bob.wait_notice("part", timeout=5)
    assert find(part, "data/chanib/uib").get("uri") == slow.uri
    assert wait_until(lambda: session_of(kam, slow) is None)
    assert [bob.wait_message(guid)["text"] for _ in range(4)] == \
        ["p0", "p1", "p2", "one too many"]


def rejected(client, uri):
    with pytest.raises(InviteRejected) as r:
        client.invite(uri, timeout=10)
    return r.value.response


def test_session_limits(kamailio_factory):
    kam = kamailio_factory(defines={"PCHAT_MAX_SESSIONS": 6,
                                    "PCHAT_MAX_SESSIONS_PER_USER": 3,
                                    "PCHAT_MAX_SESSIONS_PER_CONNECTION": 2})
    clients = []

    def client(user):
        c = SipClient("127.0.0.1", kam.port, user=user, domain=kam.domain)
        clients.append(c)
        return c
    try:
        # per connection: a third dialog on one connection
        a = client(unique("conn"))
        a.invite(kam.service_uri)
        a.invite(kam.service_uri)
        r = rejected(a, kam.service_uri)
        assert r.status == 486
        assert "max_sessions_per_connection" in r.header("Warning")
        # per user: a fourth session over a second connection
        user = unique("user")
        b, c = client(user), client(user)
        b.invite(kam.service_uri)
        d1 = b.invite(kam.service_uri)
        c.invite(kam.service_uri)
        r = rejected(c, kam.service_uri)
        assert r.status == 486
        assert "max_sessions_per_user" in r.header("Warning")
        # a BYE gives the slot back
        assert d1.bye().status == 200
        d1 = c.invite(kam.service_uri)
        # the node: 2 + 3 sessions, one more fits, the next does not
        e = client(unique("node"))
        e.invite(kam.service_uri)
        r = rejected(e, kam.service_uri)
        assert r.status == 503
        assert "max_sessions" in r.header("Warning")
        assert r.header("Retry-After")
        assert len(kam.sessions()) == 6
        # the sessions already there are served as before
        assert d1.command("getserverinfo").code == 200
        # a closed connection gives its sessions back
        a.close()
        assert wait_until(lambda: len(kam.sessions()) == 4)
        e.invite(kam.service_uri)
    finally:
        for c in clients:
            c.close()
