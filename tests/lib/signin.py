"""Test helpers for sign-in exactly as doc/xccos.md §7.1 describes, then the chat a
sipe-like client starts from the provisioned pool URI: lookup dialog,
cmd:requri, chat dialog; and the front-end + chat node pair they sign in to."""

import os
import xml.sax.saxutils

from chat import unique
from kamailio import Kamailio
from mariadb import free_port
from sipclient import SipClient, find, parse_xccos, provisioning_properties

PROVISIONING = "vnd-microsoft-provisioning-v2"


def check_register_ok(response):
    """The REGISTER 200 a sipe-like client needs (doc/xccos.md §7.1)."""
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


def start_pair(db_url, fe_defines=None):
    """A chat node trusting 127.0.0.1 and a front-end dispatching to it."""
    node = Kamailio(free_port(), db_url, cfg="cfg/pchat-node.cfg",
                    defines={"PCHAT_FRONTENDS": '"127.0.0.1/32"'}).start()
    fe = Kamailio(free_port(), db_url, cfg="cfg/pchat-frontend.cfg", defines=fe_defines)
    ds_list = os.path.join(fe.rundir, "dispatcher.list")
    with open(ds_list, "w") as f:
        f.write(f"1 sip:127.0.0.1:{node.port};transport=tcp\n")
    fe.defines["PCHAT_DISPATCHER_LIST"] = f'"{ds_list}"'
    try:
        fe.start()
    except Exception:
        node.cleanup()
        raise
    return fe, node


def post_reaches_all(users, guid, domain, timeout=5.0):
    """The first of users ((client, dialog) pairs) posts in room guid; every
    user, the poster too, receives the post."""
    client, dlg = users[0]
    text = xml.sax.saxutils.escape(unique("hello"))
    _, body = client.make_envelope(
        f'<grpchat id="grpchat" seqid="1" chanUri="ma-chan://{domain}/{guid}" '
        f'author="{client.aor}" ts="2026-01-01T00:00:00Z"><chat>{text}</chat></grpchat>')
    assert dlg.send_xccos(body, timeout=timeout).status == 200
    for _, d in users:
        def is_post(m):
            g = find(parse_xccos(m.body), "grpchat")
            return g is not None and find(g, "chat").text == text
        msg = d.wait_server_info(is_post, timeout=10)
        assert find(find(parse_xccos(msg.body), "grpchat"), "chat").text == text
        d.assert_server_requests_ok()


def post_and_receive(users, guid, domain):
    """Both users join room guid; the first posts; both receive the post."""
    for _, dlg in users:
        assert dlg.command("join", f'<chanid key="0" domain="{domain}" value="{guid}"/>'
                           ).code == 200
    post_reaches_all(users, guid, domain)
