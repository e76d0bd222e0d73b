"""Two Kamailio instances: clients sign in to the front-end
(cfg/pchat-frontend.cfg), which routes chat traffic to a separate chat node
(cfg/pchat-node.cfg). The clients never listen: the node's INFOs must reach
them through the front-end over their own connections."""

import os

import pytest

from chat import make_room, set_policy, unique
from kamailio import TOP
from signin import connect, open_chat, pool_uri, post_and_receive, sign_in, start_pair
from sipclient import InviteRejected, SipClient


def test_sign_in_and_chat_through_front_end(pair, mariadb):
    fe, node = pair
    set_policy(mariadb, "global", "", True)
    _, guid, _ = make_room(mariadb)
    a_user, b_user = unique("alice"), unique("bob")
    with connect(fe.port, a_user) as a, connect(fe.port, b_user) as b:
        users = []
        for client in (a, b):
            props = sign_in(client)
            assert props["EnablePersistentChat"] == "true"
            assert props["DefaultPersistentChatPoolUri"] == fe.lookup_uri
            dlg = open_chat(client, pool_uri(props, client))
            # the dialog runs through the front-end
            assert dlg.route_set and f":{fe.port}" in dlg.route_set[0]
            users.append((client, dlg))
        post_and_receive(users, guid, fe.domain)
        # the node opened the sessions for the users the front-end asserted
        users_on_node = {s.get("user") for s in node.sessions()}
        assert {a.aor, b.aor} <= users_on_node
        for _, dlg in users:
            assert dlg.bye().status == 200


def test_untrusted_source_is_refused(pair):
    _, node = pair
    with SipClient("127.0.0.1", node.port, user=unique("eve"), local_ip="127.0.0.2") as eve:
        with pytest.raises(InviteRejected) as rejected:
            eve.invite(node.lookup_uri)
        assert rejected.value.response.status == 403


def test_node_takes_the_asserted_identity(pair, mariadb):
    _, node = pair
    set_policy(mariadb, "global", "", True)
    asserted = f"sip:{unique('frank')}@example.com"
    with SipClient("127.0.0.1", node.port, user=unique("spoof")) as c:
        c.invite(node.service_uri, extra_headers=[("P-Asserted-Identity", f"<{asserted}>")])
        assert asserted in {s.get("user") for s in node.sessions()}


def test_policy_disabled_user_through_front_end(pair, mariadb):
    fe, _ = pair
    user = unique("dave")
    set_policy(mariadb, "global", "", True)
    set_policy(mariadb, "user", f"sip:{user}@{fe.domain}", False)
    with connect(fe.port, user) as d:
        props = sign_in(d)
        assert props["EnablePersistentChat"] == "false"
        with pytest.raises(InviteRejected) as rejected:
            d.invite(fe.lookup_uri)
        assert rejected.value.response.status == 403


def test_sipe_branchless_vias_through_front_end(pair, mariadb):
    """pidgin-sipe's in-dialog requests carry a Via without branch (doc/xccos.md §7.3)."""
    fe, _ = pair
    set_policy(mariadb, "global", "", True)
    _, guid, _ = make_room(mariadb)
    with connect(fe.port, unique("gina"), branch_style="none") as g:
        props = sign_in(g)
        dlg = open_chat(g, pool_uri(props, g))
        post_and_receive([(g, dlg)], guid, fe.domain)
        assert dlg.update().status == 200
        assert dlg.bye().status == 200


def test_front_end_with_407_digest(db_url, mariadb):
    mariadb.load_file(os.path.join(TOP, "sql", "pchat-frontend.sql"), "pchat")
    user = unique("hank")
    mariadb.sql(f"INSERT INTO subscriber (username, domain, password) VALUES "
                f"('{user}', 'example.com', 'pw')", db="pchat")
    set_policy(mariadb, "global", "", True)
    _, guid, _ = make_room(mariadb)
    fe, node = start_pair(db_url, {"WITH_AUTH": "1"})
    try:
        with connect(fe.port, user) as h:
            props = sign_in(h, password="pw")
            assert [c.status for c in h.challenges] == [407]
            dlg = open_chat(h, pool_uri(props, h))
            post_and_receive([(h, dlg)], guid, fe.domain)
            assert h.aor in {s.get("user") for s in node.sessions()}
            assert h.register(expires=0).status == 200
        with connect(fe.port, unique("ivan")) as stranger:
            # not signed in: the chat INVITE is challenged, never relayed
            with pytest.raises(InviteRejected) as rejected:
                stranger.invite(fe.lookup_uri)
            assert rejected.value.response.status == 407
    finally:
        fe.cleanup()
        node.cleanup()
