"""Sign-in exactly as CLIENTS.md 1 describes, then the chat a sipe-like client
starts from the provisioned pool URI: lookup dialog, cmd:requri, chat dialog."""

from sipclient import SipClient, find, provisioning_properties

PROVISIONING = "vnd-microsoft-provisioning-v2"


def check_register_ok(response):
    """The REGISTER 200 a sipe-like client needs (CLIENTS.md 1)."""
    assert response.status == 200, response.raw.decode()
    expires = response.header("Expires")
    assert expires is not None and int(expires) > 0, response.raw.decode()
    assert "msrtc-event-categories" in [v.strip() for v in response.headers_all("Supported")]
    events = response.headers_all("Allow-Events")
    assert any(PROVISIONING in v.split(",") for v in events), events
    assert all(", " not in v for v in events), events


def sign_in(client, password=None):
    """REGISTER (answering a 407 if one comes), provisioning SUBSCRIBE.

    Returns the persistentChatConfiguration properties.
    """
    check_register_ok(client.register(password=password))
    response = client.subscribe(PROVISIONING)
    assert response.status == 200, response.raw.decode()
    assert response.header("Event") == PROVISIONING
    assert response.header("ms-piggyback-cseq") == "1"
    assert response.header("Content-Type") == \
        "application/vnd-microsoft-roaming-provisioning-v2+xml"
    groups = provisioning_properties(response.body)
    assert set(groups) == {"persistentChatConfiguration"}, groups
    return groups["persistentChatConfiguration"]


def pool_uri(props, client):
    """The lookup URI sipe picks: the provisioned default pool URI when enabled."""
    if props.get("EnablePersistentChat") == "true" and props.get("DefaultPersistentChatPoolUri"):
        return props["DefaultPersistentChatPoolUri"]
    return f"sip:ocschat@{client.domain}"


def open_chat(client, lookup_uri, timeout=10):
    """Lookup dialog -> rpl:requri -> BYE -> chat dialog on the service URI."""
    lookup = client.invite(lookup_uri, timeout=timeout)
    reply = lookup.command("requri", timeout=timeout)
    assert reply.code == 200
    service = find(reply.data, "uib").get("uri")
    assert lookup.bye().status == 200
    lookup.assert_server_requests_ok()
    return client.invite(service, timeout=timeout)


def connect(port, user, **kw):
    return SipClient("127.0.0.1", port, user=user, domain="example.com", **kw)
