"""The browser chat client (issue 17 point 2): web/chat/ served under /chat/
and SIP over WebSocket at /ws (Kamailio's websocket module) on the file
port, driven in a real headless Chromium against a pidgin-sipe-style client
over TCP: sign-in, room search, join, history and paging back, live posts
both ways, join/part notices, leave; a closed tab ends its session at once;
a post with markup shows as text; a WebSocket handshake from another origin
is refused. Stories and alerts (issue 18, doc/xccos.md 3.19: the page
declares Supported: pchat-story) show as a title that opens the body and
as a highlighted line, live and in history, and the page posts both;
keyword alerts (3.20) are added, listed and removed in the page, and a
matching post in a room the user has not joined shows as a notice that
opens the room. The screenshot goes to doc/images/webchat.png for the README."""

import base64
import os
import shutil
import socket
import xml.sax.saxutils

import pytest

from pwdriver import Playwright
from chat import ChatUser, make_room, set_policy, unique, wait_until
from kamailio import TOP
from sipclient import find, parse_xccos
from webnode import start_web_node, stop_web_node

IMAGES = os.path.join(TOP, "doc", "images")


@pytest.fixture(scope="module")
def wkam(db_url, mariadb):
    set_policy(mariadb, "global", "", True)
    kam = start_web_node(db_url)
    yield kam
    stop_web_node(kam)


@pytest.fixture(scope="module")
def akam(db_url, mariadb):
    mariadb.load_file(os.path.join(TOP, "sql", "pchat-frontend.sql"), "pchat")
    set_policy(mariadb, "global", "", True)
    kam = start_web_node(db_url, WITH_AUTH="1")
    yield kam
    stop_web_node(kam)


@pytest.fixture
def browser():
    pw = Playwright()
    yield pw.context().page()
    pw.close()


def sign_in(b, kam, user, password="", wait=True):
    """Opens the page and signs in over WebSocket (Digest when a password)."""
    b.goto(f"http://127.0.0.1:{kam.file_port}/chat/")
    b.wait_js("document.getElementById('signin') !== null && window.pchat !== undefined")
    b.js(f"document.getElementById('identity').value = 'sip:{user}@{kam.domain}';"
         f"document.getElementById('password').value = {password!r};"
         "document.getElementById('signin-btn').click(); true")
    if wait:
        b.wait_js("document.getElementById('status').dataset.state === 'in'")


def open_room(b, name):
    """Searches the room by name and joins it from the list."""
    b.js(f"document.getElementById('q').value = {name!r};"
         "document.querySelector('#search button').click(); true")
    b.wait_js(f"[...document.querySelectorAll('#rooms button')].some(x => x.firstChild.textContent === {name!r})")
    b.js(f"[...document.querySelectorAll('#rooms button')].find(x => x.firstChild.textContent === {name!r}).click(); true")
    b.wait_js(f"document.getElementById('room-name').textContent === {name!r}"
              " && !document.getElementById('room').hidden")


def lines(b):
    return b.js("[...document.querySelectorAll('#history li')].map(li => li.textContent)")


def post(b, text):
    b.js(f"document.getElementById('text').value = {text!r};"
         "document.querySelector('#post button').click(); true")


def ws_handshake(kam, origin):
    """Status line of a plain WebSocket upgrade to /ws with this Origin."""
    key = base64.b64encode(os.urandom(16)).decode()
    req = (f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{kam.file_port}\r\nUpgrade: websocket\r\n"
           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Protocol: sip\r\n"
           + (f"Origin: {origin}\r\n" if origin else "") + "\r\n")
    with socket.create_connection(("127.0.0.1", kam.file_port), timeout=10) as s:
        s.sendall(req.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n", 1)[0].decode()


def test_ws_handshake_only_from_the_pages_origin(wkam):
    assert " 101 " in ws_handshake(wkam, f"http://127.0.0.1:{wkam.file_port}")
    assert " 403 " in ws_handshake(wkam, "http://evil.example")
    assert " 403 " in ws_handshake(wkam, f"http://127.0.0.1:{wkam.file_port + 1}")
    assert " 403 " in ws_handshake(wkam, None)


def test_ws_origin_configured(db_url):
    """PCHAT_WS_ORIGIN: the page is served elsewhere; only that origin."""
    kam = start_web_node(db_url, PCHAT_WS_ORIGIN="https://chat.example.com")
    try:
        assert " 101 " in ws_handshake(kam, "https://chat.example.com")
        assert " 403 " in ws_handshake(kam, f"http://127.0.0.1:{kam.file_port}")
        assert " 403 " in ws_handshake(kam, "https://chat.example.com.evil.example")
    finally:
        kam.cleanup()
        shutil.rmtree(kam.file_dir, ignore_errors=True)


def test_chat_page_is_served_with_its_headers(wkam):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", wkam.file_port, timeout=10)
    for path, ctype in (("/chat/", "text/html"), ("/chat/chat.js", "text/javascript"),
                        ("/chat/sipjs.js", "text/javascript")):
        conn.request("GET", path)
        res = conn.getresponse()
        res.read()
        assert res.status == 200 and res.getheader("Content-Type").startswith(ctype), path
        assert "default-src 'self'" in res.getheader("Content-Security-Policy")
    conn.request("GET", "/chat/../manage/index.html")
    res = conn.getresponse()
    res.read()
    assert res.status == 404
    conn.close()


def test_browser_chats_with_a_sip_client(wkam, mariadb, browser):
    _, guid, name = make_room(mariadb, unique("webroom"), description="the web room")
    bob = ChatUser(wkam, unique("bob"))
    try:
        assert bob.join(guid).code == 200
        for i in range(30):  # more than one page of history (25)
            bob.post(guid, f"old {i}")
        for i in range(30):
            bob.wait_message(guid)
        alice = unique("alice")
        sign_in(browser, wkam, alice)
        open_room(browser, name)
        # the last page of history, then the older ones on request
        browser.wait_js("document.querySelectorAll('#history li').length === 25")
        assert lines(browser)[-1].endswith("old 29") and lines(browser)[0].endswith("old 5")
        browser.js("document.getElementById('older').click(); true")
        browser.wait_js("document.querySelectorAll('#history li').length === 30")
        assert lines(browser)[0].endswith("old 0")
        assert browser.js("document.getElementById('older').disabled")
        # bob is told alice joined; posts go both ways
        ntc = bob.wait_notice("join")
        assert any(u.get("uri") == f"sip:{alice}@{wkam.domain}" for u in ntc.iter()
                   if u.tag.endswith("uib"))
        bob.post(guid, "hello from sipe")
        assert bob.wait_message(guid)["text"] == "hello from sipe"  # his own copy
        browser.wait_js("[...document.querySelectorAll('#history li')].some("
                        "li => li.textContent.endsWith('hello from sipe'))")
        post(browser, "hello from the browser")
        got = bob.wait_message(guid)
        assert got["text"] == "hello from the browser"
        assert got["author"] == f"sip:{alice}@{wkam.domain}"
        browser.wait_js("[...document.querySelectorAll('#history li')].some("
                        "li => li.textContent.endsWith('hello from the browser'))")
        # markup in a post is text, never HTML
        bob.post(guid, "<script>window.pwned=1</script><b>bold</b>")
        browser.wait_js("[...document.querySelectorAll('#history li')].some("
                        "li => li.textContent.endsWith('<script>window.pwned=1</script><b>bold</b>'))")
        assert browser.js("document.querySelectorAll('#history b, #history script').length") == 0
        assert browser.js("window.pwned === undefined")
        # bob leaves: the browser shows it; the browser leaves: bob is told
        bob.part(guid)
        browser.wait_js("[...document.querySelectorAll('#history li.notice')].some("
                        f"li => li.textContent === '{bob.user}@{wkam.domain} left')")
        assert bob.join(guid).code == 200
        browser.js("document.getElementById('leave').click(); true")
        ntc = bob.wait_notice("part")
        assert any(u.get("uri") == f"sip:{alice}@{wkam.domain}" for u in ntc.iter()
                   if u.tag.endswith("uib"))
    finally:
        bob.close()


def followed(b):
    """The followed list as shown: [(name with badge and newest post)]."""
    return b.js("[...document.querySelectorAll('#followed button')].map(x => "
                "[x.firstChild.textContent, (x.querySelector('.unread') || {}).textContent || '', "
                "(x.querySelector('small') || {}).textContent || ''])")


def test_followed_rooms_show_unread_counts(wkam, mariadb, browser):
    _, guid, name = make_room(mariadb, unique("followroom"))
    bob = ChatUser(wkam, unique("bob"))
    alice = unique("alice")
    try:
        assert bob.join(guid).code == 200
        sign_in(browser, wkam, alice)
        assert browser.js("document.getElementById('follows').hidden")
        open_room(browser, name)
        browser.js("document.getElementById('follow').click(); true")
        browser.wait_js("document.getElementById('follow').textContent === 'Unfollow'")
        assert followed(browser) == [[name, "", ""]]
        browser.js("document.getElementById('leave').click(); true")
        bob.wait_notice("part")
        # posts while alice is elsewhere: a search refreshes the counts
        for text in ("one", "two <b>"):
            bob.post(guid, text)
            bob.wait_message(guid)
        browser.js("document.querySelector('#search button').click(); true")
        # (a list asked for when alice left may land after the first post:
        # wait for the count of both)
        browser.wait_js("(document.querySelector('#followed .unread') || {}).textContent "
                        "=== '2'")
        assert followed(browser) == [[name, "2", f"{bob.user}@{wkam.domain}: two <b>"]]
        # reading it (joining shows the newest posts) clears the count for
        # every device of alice
        browser.js("document.querySelector('#followed button').click(); true")
        browser.wait_js(f"document.getElementById('room-name').textContent === {name!r}")
        browser.wait_js("document.querySelector('#followed .unread') === null")
        other = ChatUser(wkam, alice)  # alice's second device, a SIP client
        try:
            reply = other.dlg.command("followlist")
            [c] = [c for c in reply.data.iter() if c.tag.endswith("chanib")]
            assert c.get("unread") == "0" and c.get("name") == name
        finally:
            other.close()
        browser.js("document.getElementById('follow').click(); true")
        browser.wait_js("document.getElementById('follows').hidden")
    finally:
        bob.close()


def test_closed_tab_ends_its_session_at_once(wkam, mariadb, browser):
    alice = unique("alice")
    sign_in(browser, wkam, alice)
    uri = f"sip:{alice}@{wkam.domain}"
    ours = lambda: [s for s in wkam.sessions() if uri in s["user"]]  # noqa: E731
    sessions = wait_until(ours, timeout=5)
    assert sessions and sessions[0]["source"].startswith("ws:"), wkam.sessions()
    # the page's session refresh (SIP.js keeps no session timer): a re-INVITE
    assert browser.js("new Promise(r => pchat.session.invite({requestDelegate: {"
                      "onAccept: () => r(true), onReject: () => r(false)}}))")
    assert ours()[0]["id"] == sessions[0]["id"]
    browser.close()
    assert wait_until(lambda: not ours(), timeout=3, step=0.1), \
        f"session still there after the tab closed: {ours()}"


def test_digest_sign_in_over_websocket_with_auth(akam, mariadb, browser):
    user = unique("dora")
    mariadb.sql(f"INSERT INTO subscriber (username, domain, password) VALUES "
                f"('{user}', 'example.com', 'pw')", db="pchat")
    _, _, name = make_room(mariadb, unique("authroom"))
    sign_in(browser, akam, user, password="wrong", wait=False)
    browser.wait_js("!document.getElementById('error').hidden")
    assert browser.js("document.getElementById('status').dataset.state") == "out"
    assert not [s for s in akam.sessions() if user in s["user"]]
    sign_in(browser, akam, user, password="pw")
    # the connection is trusted after the first Digest: commands just work
    open_room(browser, name)
    post(browser, "signed")
    browser.wait_js("[...document.querySelectorAll('#history li')].some("
                    "li => li.textContent.endsWith('signed'))")
    assert [s for s in akam.sessions() if f"sip:{user}@" in s["user"]]


def test_screenshot(wkam, mariadb):
    """doc/images/webchat.png: fixed names and posts, so it only changes
    when the page does."""
    pw = Playwright()
    browser = pw.context(width=1000, height=460).page()
    rows = mariadb.sql("SELECT guid FROM pchat_node WHERE name = 'Layout review'", db="pchat")
    guid = rows[0][0] if rows else make_room(mariadb, "Layout review",
                                             description="weekly design notes")[1]
    mariadb.sql("DELETE FROM pchat_message WHERE room_id = (SELECT id FROM pchat_node "
                f"WHERE guid = '{guid}')", db="pchat")
    mariadb.sql(f"UPDATE pchat_node SET topic = 'Release 2.0 layout' WHERE guid = '{guid}'",
                db="pchat")
    bob = ChatUser(wkam, "bob")
    try:
        assert bob.join(guid).code == 200
        for text in ("Morning! The new room list is up for review.",
                     "The <b>search</b> box now matches part of a name."):
            bob.post(guid, text)
            bob.wait_message(guid)
        assert flagged_post(bob, guid, "1. Freeze the layout\n2. Screenshots",
                            'story="true" title="Release checklist"').status == 200
        assert flagged_post(bob, guid, "Staging is down until 14:00.", 'alert="true"').status == 200
        for _ in range(2):
            bob.wait_message(guid)
        sign_in(browser, wkam, "alice")
        open_room(browser, "Layout review")
        post(browser, "Looks good, merging after lunch.")
        bob.wait_message(guid)
        browser.wait_js("document.querySelectorAll('#history li').length === 5")
        browser.js("document.querySelector('#history .story-title').click(); true")
        # settled: no focus, two frames drawn
        browser.js("document.activeElement.blur(); new Promise(r => "
                   "requestAnimationFrame(() => requestAnimationFrame(() => r(true))))")
        os.makedirs(IMAGES, exist_ok=True)
        browser.screenshot(os.path.join(IMAGES, "webchat.png"))
    finally:
        bob.close()
        pw.close()


def flagged_post(user, guid, text, attrs):
    """A grpchat with story/alert attributes from a SIP client: the SIP answer."""
    _, body = user.client.make_envelope(
        f'<grpchat id="grpchat" seqid="1" chanUri="{user.room_uri(guid)}" '
        f'author="{user.uri}" {attrs}><chat>{xml.sax.saxutils.escape(text)}</chat></grpchat>')
    return user.dlg.send_xccos(body)


def flagged_received(user, guid):
    """The next grpchat of the room with its flags (story, title, alert, text)."""
    def is_msg(m):
        g = find(parse_xccos(m.body), "grpchat")
        return g is not None and g.get("chanUri") == user.room_uri(guid)
    g = find(parse_xccos(user.dlg.wait_server_info(is_msg, timeout=10).body), "grpchat")
    return (g.get("story"), g.get("title"), g.get("alert"), find(g, "chat").text or "")


def shown(b):
    """The history as shown: [(class list, story title, story body, text)]."""
    return b.js("[...document.querySelectorAll('#history li')].map(li => ["
                "[...li.classList].sort().join(' '), li.getAttribute('role') || '', "
                "(li.querySelector('.story-title') || {}).textContent || '', "
                "(li.querySelector('.story-body') || {}).textContent || '', li.textContent])")


def test_stories_and_alerts_show_and_are_posted_from_the_page(wkam, mariadb, browser):
    _, guid, name = make_room(mariadb, unique("storyroom"))
    bob = ChatUser(wkam, unique("bob"), invite_headers=[("Supported", "pchat-story")])
    try:
        assert bob.join(guid).code == 200
        assert flagged_post(bob, guid, "the body\nsecond line",
                            'story="true" title="Old story"').status == 200
        assert flagged_post(bob, guid, "old alert", 'alert="true"').status == 200
        for _ in range(2):
            flagged_received(bob, guid)
        alice = unique("alice")
        sign_in(browser, wkam, alice)
        open_room(browser, name)
        # history: the story as its title, its body hidden until clicked
        browser.wait_js("document.querySelectorAll('#history li').length === 2")
        story, alert = shown(browser)
        assert story[0] == "story" and story[2] == "Old story"
        assert story[3] == "the body\nsecond line"
        # announced as an alert, but only when it arrives live
        assert alert[:2] == ["alert", ""] and alert[4].endswith("old alert")
        assert alert[4].startswith("alert: ")
        assert browser.js("document.querySelector('#history .story-body').hidden")
        browser.js("document.querySelector('#history .story-title').click(); true")
        assert not browser.js("document.querySelector('#history .story-body').hidden")
        assert browser.js("document.querySelector('#history .story-title')"
                          ".getAttribute('aria-expanded')") == "true"
        # live
        bob.wait_notice("join")
        assert flagged_post(bob, guid, "live body", 'story="true" title="Live story"').status == 200
        assert flagged_post(bob, guid, "live alert", 'alert="true"').status == 200
        browser.wait_js("document.querySelectorAll('#history li').length === 4")
        story, alert = shown(browser)[2:]
        assert (story[0], story[2], story[3]) == ("story", "Live story", "live body")
        assert alert[:2] == ["alert", "alert"] and alert[4].endswith("live alert")
        for _ in range(2):
            flagged_received(bob, guid)
        # the page posts an alert, then a story (its title shown on demand)
        browser.js("document.getElementById('post-alert').click(); true")
        post(browser, "from the page, loud")
        assert flagged_received(bob, guid) == (None, None, "true", "from the page, loud")
        assert not browser.js("document.getElementById('post-alert').checked")
        assert browser.js("document.getElementById('title').hidden")
        browser.js("document.getElementById('post-story').click(); true")
        assert not browser.js("document.getElementById('title').hidden")
        assert browser.js("document.getElementById('post-limit').textContent") == \
            "up to 4096 characters"  # storySizeLimit of getserverinfo
        browser.js("document.getElementById('title').value = 'Page story'; true")
        body = "é" * 600  # longer than a message (512), fine for a story
        post(browser, body)
        assert flagged_received(bob, guid) == ("true", "Page story", None, body)
        browser.wait_js("[...document.querySelectorAll('#history li.story .story-title')]"
                        ".some(t => t.textContent === 'Page story')")
        # over the limit: the page says so and sends nothing...
        browser.js("document.getElementById('post-story').click();"
                   "document.getElementById('title').value = 'Too long'; true")
        post(browser, "x" * 4097)
        browser.wait_js("!document.getElementById('error').hidden")
        assert "may have 4096" in browser.js("document.getElementById('error').textContent")
        bob.expect_no_message(guid, within=0.5)
        # ...and when the server refuses (413), its reason is shown
        browser.js("pchat.limits.story = 100000; document.getElementById('error').hidden = true")
        post(browser, "x" * 4097)
        browser.wait_js("!document.getElementById('error').hidden")
        err = browser.js("document.getElementById('error').textContent")
        assert "too long" in err and "exceeds the limit of 4096" in err, err
    finally:
        bob.close()


def test_word_alerts_are_managed_and_shown_in_the_page(wkam, mariadb, browser):
    _, guid, name = make_room(mariadb, unique("alertroom"))
    bob = ChatUser(wkam, unique("bob"))
    alice = unique("alice")
    try:
        assert bob.join(guid).code == 200
        sign_in(browser, wkam, alice)
        for word in ("Deploy", "café"):
            browser.js(f"document.getElementById('alert-word').value = {word!r};"
                       "document.querySelector('#alert-add button').click(); true")
            browser.wait_js(f"[...document.querySelectorAll('#alert-list li span')]"
                            f".some(s => s.textContent === {word!r})")
        assert browser.js("document.getElementById('alert-word').value") == ""
        # the server keeps them: alice's other device lists them
        other = ChatUser(wkam, alice)
        try:
            r = other.dlg.command("alertlist")
            assert sorted(a.get("word") for a in r.data.iter() if a.tag.endswith("alert")) == \
                ["Deploy", "café"]
        finally:
            other.close()
        # a matching post in a room alice never joined: a notice
        bob.post(guid, "the deploy is done")
        browser.wait_js("document.querySelectorAll('#alert-notices li').length === 1")
        assert browser.js("document.querySelector('#alert-notices strong').textContent") == name
        assert browser.js("document.querySelector('#alert-notices small').textContent") == \
            f"{bob.user}@{wkam.domain}: the deploy is done"
        assert browser.js("document.getElementById('room').hidden")
        # a click opens the room
        browser.js("document.querySelector('#alert-notices button').click(); true")
        browser.wait_js(f"document.getElementById('room-name').textContent === {name!r}"
                        " && !document.getElementById('room').hidden")
        assert browser.js("document.querySelectorAll('#alert-notices li').length") == 0
        bob.wait_notice("join")
        # removed: listed no more, and no notice for the next match
        browser.js("[...document.querySelectorAll('#alert-list li')].find(li => "
                   "li.querySelector('span').textContent === 'Deploy')"
                   ".querySelector('button').click(); true")
        browser.wait_js("document.querySelectorAll('#alert-list li').length === 1")
        assert browser.js("document.querySelector('#alert-list li span').textContent") == "café"
        assert browser.js("document.querySelector('#alert-list li button')"
                          ".getAttribute('aria-label')") == "Remove the alert on café"
        browser.js("document.getElementById('leave').click(); true")
        bob.wait_notice("part")
        bob.post(guid, "deploy again, CAFE open")
        browser.wait_js("document.querySelectorAll('#alert-notices li').length === 1")
        assert browser.js("document.querySelector('#alert-notices small').textContent")\
            .endswith("deploy again, CAFE open")
    finally:
        bob.close()
