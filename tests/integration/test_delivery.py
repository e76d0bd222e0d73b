"""INFOs to TCP clients go out without a tm transaction (pchat_deliver.c):
answers are matched by pchat itself, and every failure signal tm gave still
ends the session - refusal, silence past delivery_timeout, a client that
falls max_pending_deliveries behind. UDP clients keep tm's retransmissions."""

import re
import time

import pytest

from chat import make_room, session_of, unique, wait_until
from sipclient import find


def tm_local(kam):
    """tm's count of transactions Kamailio originated (tm.stats total_local)."""
    return int(re.search(r"total_local:\s*(\d+)", kam.rpc("tm.stats")).group(1))


def test_tcp_copies_need_no_transaction_and_are_all_answered(instance, mariadb):
    kam, user = instance()
    _, guid, _ = make_room(mariadb)
    members = [user() for _ in range(5)]
    for m in members:
        assert m.join(guid).code == 200
    before = tm_local(kam)
    for i in range(10):
        assert members[0].post(guid, f"m{i}").status == 200
    for m in members:
        assert [m.wait_message(guid)["text"] for _ in range(10)] == [f"m{i}" for i in range(10)]
        m.dlg.assert_server_requests_ok()
    assert tm_local(kam) == before  # 50 copies, no tm transaction
    # every copy's 200 was matched: nothing left pending on any session
    assert wait_until(lambda: all(session_of(kam, m)["pending"] == "0" for m in members))
    for m in members:
        infos = m.dlg.server_infos
        assert all(i.header("Via").split(";branch=")[1].startswith("z9hG4bK") for i in infos)
        cseqs = [int(i.header("CSeq").split()[0]) for i in infos]
        assert cseqs == sorted(cseqs) and len(set(cseqs)) == len(cseqs)


def test_udp_member_still_gets_tm_transactions(instance, mariadb):
    kam, user = instance()
    _, guid, _ = make_room(mariadb)
    poster, udp = user(), user("udp")
    assert poster.join(guid).code == 200
    assert udp.join(guid).code == 200
    before = tm_local(kam)
    for i in range(3):
        assert poster.post(guid, f"u{i}").status == 200
    assert [udp.wait_message(guid)["text"] for _ in range(3)] == ["u0", "u1", "u2"]
    assert tm_local(kam) - before == 3  # the UDP copies only


def test_silent_client_is_ended_after_delivery_timeout(instance, mariadb):
    kam, user = instance(PCHAT_DELIVERY_TIMEOUT=2)
    _, guid, _ = make_room(mariadb)
    alice, bob, ghost = user(), user(), user()
    for u in (alice, bob, ghost):
        assert u.join(guid).code == 200
    ghost.dlg.auto_answer = False  # reads our INFOs, never answers
    sent = time.monotonic()
    assert alice.post(guid, "anyone?").status == 200
    assert bob.wait_message(guid)["text"] == "anyone?"
    part = bob.wait_notice("part", timeout=15)
    assert find(part, "data/chanib/uib").get("uri") == ghost.uri
    assert time.monotonic() - sent >= 1.5  # not before the timeout
    assert session_of(kam, ghost) is None
    assert alice.post(guid, "still here").status == 200
    assert bob.wait_message(guid)["text"] == "still here"


def test_client_falling_behind_is_shed_alone(instance, mariadb):
    kam, user = instance(PCHAT_MAX_PENDING=3, PCHAT_DELIVERY_TIMEOUT=300)
    _, guid, _ = make_room(mariadb)
    alice, bob, slow = user(), user(), user()
    for u in (alice, bob, slow):
        assert u.join(guid).code == 200
    slow.dlg.auto_answer = False
    for i in range(3):
        assert alice.post(guid, f"p{i}").status == 200
    assert wait_until(lambda: session_of(kam, slow)["pending"] == "3")
    assert alice.post(guid, "one too many").status == 200
    part = bob.wait_notice("part", timeout=5)  # long before the 300 s timeout
    assert find(part, "data/chanib/uib").get("uri") == slow.uri
    assert wait_until(lambda: session_of(kam, slow) is None)
    assert [slow.wait_message(guid)["text"] for _ in range(3)] == ["p0", "p1", "p2"]
    with pytest.raises(Exception):
        slow.wait_message(guid, timeout=1)  # the fourth was never sent
    assert [bob.wait_message(guid)["text"] for _ in range(4)] == \
        ["p0", "p1", "p2", "one too many"]


def test_target_refresh_moves_the_request_uri(instance, mariadb):
    kam, user = instance()
    _, guid, _ = make_room(mariadb)
    alice, bob = user(), user()
    assert alice.join(guid).code == 200
    assert bob.join(guid).code == 200
    target = f"sip:{bob.user}-moved@127.0.0.1:5999;transport=tcp"
    assert bob.dlg.update(extra_headers=[("Contact", f"<{target}>")]).status == 200
    assert alice.post(guid, "moved").status == 200
    assert bob.wait_message(guid)["text"] == "moved"
    last = bob.dlg.server_infos[-1]
    assert last.ruri == target  # still on bob's own connection


def test_mass_disconnect_during_fanout_leaves_the_server_serving(instance, mariadb):
    """tcp_main runs event_route[tcp:closed] while workers write to clients
    (and may be waiting for tcp_main to hand them a connection): the close
    handling must not wait for anything a writer holds."""
    import threading
    # the poster is a load generator here, not a client: no INFO rate bound
    kam, user = instance(PCHAT_MAX_INFOS_PER_SECOND=0)
    _, guid, _ = make_room(mariadb)
    poster = user()
    assert poster.join(guid).code == 200
    crowd = [user() for _ in range(40)]
    for u in crowd:
        assert u.join(guid).code == 200
    stop = threading.Event()
    statuses = []

    def post_loop():
        i = 0
        while not stop.is_set():
            statuses.append(poster.post(guid, f"flood {i}", timeout=15).status)
            i += 1
    t = threading.Thread(target=post_loop)
    t.start()
    time.sleep(0.5)
    for u in crowd:
        u.close()
    time.sleep(0.5)
    stop.set()
    t.join(30)
    assert not t.is_alive()
    assert statuses and set(statuses) == {200}
    # every crowd session ends; the RPCs and the poster keep working
    assert wait_until(lambda: len(kam.sessions()) == 1, timeout=15)
    assert poster.post(guid, "after").status == 200
    assert poster.wait_message(guid, timeout=10)  # its own echo arrives
