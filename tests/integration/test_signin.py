"""A sipe-like client signs in to the standalone configuration (what `make
run` starts) exactly as doc/xccos.md §7.1 describes, finds the chat service from
the provisioning document and chats; with WITH_AUTH it is challenged by 407
Digest first."""

import pytest

from chat import make_room, set_policy, unique
from signin import PROVISIONING, connect, open_chat, pool_uri, post_and_receive, sign_in
from sipclient import InviteRejected


def test_open_mode_sign_in_and_chat(kam, mariadb):
    set_policy(mariadb, "global", "", True)
    _, guid, _ = make_room(mariadb)
    a_user, b_user = unique("alice"), unique("bob")
    with connect(kam.port, a_user) as a, connect(kam.port, b_user) as b:
        users = []
        for client in (a, b):
            props = sign_in(client)
            assert props["EnablePersistentChat"] == "true"
            assert props["DefaultPersistentChatPoolUri"] == kam.lookup_uri
            assert props["PersistentChatPoolUris"] == kam.lookup_uri
            assert "PersistentChatWebManagerUriInt" not in props
            users.append((client, open_chat(client, pool_uri(props, client))))
        post_and_receive(users, guid, kam.domain)
        # de-REGISTER is fire-and-forget and never challenged
        assert a.register(expires=0).status == 200


def test_roaming_subscriptions_are_harmless(kam):
    with connect(kam.port, unique("carol")) as c:
        for event in ("vnd-microsoft-roaming-contacts", "vnd-microsoft-roaming-self"):
            response = c.subscribe(event)
            assert response.status in (200, 404, 489), response.raw.decode()


def test_policy_disabled_user(kam, mariadb):
    user = unique("dave")
    set_policy(mariadb, "global", "", True)
    set_policy(mariadb, "user", f"sip:{user}@{kam.domain}", False)
    with connect(kam.port, user) as d:
        props = sign_in(d)
        assert props["EnablePersistentChat"] == "false"
        with pytest.raises(InviteRejected) as rejected:
            d.invite(kam.lookup_uri)
        assert rejected.value.response.status == 403


@pytest.fixture(scope="module")
def subscribers(mariadb):
    import os
    from kamailio import TOP
    mariadb.load_file(os.path.join(TOP, "sql", "pchat-frontend.sql"), "pchat")
    return mariadb


def test_auth_mode_407_digest(kamailio_factory, subscribers):
    user = unique("erin")
    subscribers.sql(f"INSERT INTO subscriber (username, domain, password) VALUES "
                    f"('{user}', 'example.com', 's3cret')", db="pchat")
    set_policy(subscribers, "global", "", True)
    kam = kamailio_factory(defines={"WITH_AUTH": "1"})
    with connect(kam.port, user) as e:
        props = sign_in(e, password="s3cret")
        assert [c.status for c in e.challenges] == [407]
        challenge = e.challenges[0].header("Proxy-Authenticate")
        assert challenge.startswith("Digest ") and "qop=\"auth\"" in challenge
        assert e.challenges[0].header("WWW-Authenticate") is None
        dlg = open_chat(e, pool_uri(props, e))
        assert dlg.response.status == 200
        # the de-REGISTER is not challenged either
        assert e.register(expires=0).status == 200
    with connect(kam.port, user) as wrong:
        response = wrong.register(password="nope")
        assert response.status == 407
    with connect(kam.port, unique("mallory")) as m:
        # a connection that has not signed in cannot reach the chat service
        response = m.subscribe(PROVISIONING)
        assert response.status == 407


def test_provisioning_advertises_a_room_management_url_escaped(kamailio_factory, mariadb):
    """The document is XML: characters of the configured URL that XML
    reserves are escaped, and the client reads back the URL as configured."""
    url = "https://rm.example.com/manage?a=1&b=<2>"
    kam = kamailio_factory(defines={"PCHAT_ROOM_MANAGEMENT_URL": f'"{url}"'})
    set_policy(mariadb, "global", "", True)
    with connect(kam.port, unique("carol")) as client:
        props = sign_in(client)
        assert props["PersistentChatWebManagerUriInt"] == url
        assert props["DefaultPersistentChatPoolUri"] == kam.lookup_uri

