"""The room-management web page (issue 17) served by Kamailio under /manage/
on the file service's port: its JSON calls over plain HTTP (the XCCOS
permission rule decides, CSRF and Origin checks, sizes bounded, Digest
sign-in with WITH_AUTH, no RPC over HTTP), and the page itself in a real
headless Chromium, whose screenshots go to doc/images/ for the README."""

import http.client
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request

import pytest

from pwdriver import Playwright
from chat import make_category, make_room, set_policy, unique
from kamailio import TOP, Kamailio
from mariadb import free_port
from webnode import MANAGE_DIR, start_web_node, stop_web_node

IMAGES = os.path.join(TOP, "doc", "images")


@pytest.fixture(scope="module")
def mkam(db_url, mariadb):
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


def call(kam, path, body=None, user=None, headers=None, raw=None):
    """(status, decoded JSON or text) of one request to /manage/<path>."""
    h = {"X-Pchat-CSRF": "1"} if body is not None or raw is not None else {}
    if user:
        h["X-Pchat-User"] = user
    h.update(headers or {})
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                        else None)
    conn = http.client.HTTPConnection("127.0.0.1", kam.file_port, timeout=20)
    conn.request("POST" if data is not None else "GET", "/manage/" + path, body=data,
                 headers=h)
    res = conn.getresponse()
    text = res.read().decode()
    conn.close()
    try:
        return res.status, json.loads(text)
    except ValueError:
        return res.status, text


@pytest.fixture
def world(mariadb, mkam):
    """A category alice creates rooms in, one she does not, a room she manages
    and one she does not."""
    alice, bob = f"sip:{unique('alice')}@example.com", f"sip:{unique('bob')}@example.com"
    _, mine = make_category(mariadb, creators=[("user", alice)])
    _, other = make_category(mariadb)
    _, _, managed = make_room(mariadb, category=mine, managers=[alice], privacy="closed")
    _, _, foreign = make_room(mariadb, category=other, managers=[bob], privacy="closed")
    return dict(alice=alice, bob=bob, mine=mine, other=other, managed=managed,
                foreign=foreign)


def test_me_lists_managed_rooms_and_creator_categories(mkam, world):
    status, me = call(mkam, "api/me", user=world["alice"])
    assert status == 200, me
    assert me["user"] == world["alice"] and me["open"] is True
    names = [r["name"] for r in me["rooms"]]
    assert world["managed"] in names and world["foreign"] not in names
    assert world["mine"] in me["categories"] and world["other"] not in me["categories"]
    # bob manages his room and creates nowhere
    status, me = call(mkam, "api/me", user=world["bob"])
    assert [r["name"] for r in me["rooms"]] == [world["foreign"]]
    assert me["categories"] == [] or world["mine"] not in me["categories"]


def test_open_mode_needs_a_claimed_identity(mkam):
    status, body = call(mkam, "api/me")
    assert status == 401 and "open mode" in body["error"]


def test_create_in_creator_category_refused_elsewhere(mkam, world):
    name = unique("new")
    status, room = call(mkam, "api/room_new", {"name": name, "category": world["mine"],
                                               "privacy": "open", "description": "d"},
                        user=world["alice"])
    assert status == 200, room
    assert room["name"] == name and room["privacy"] == "open"
    assert room["managers"] == [world["alice"]]  # who creates it manages it
    status, me = call(mkam, "api/me", user=world["alice"])
    assert name in [r["name"] for r in me["rooms"]]
    status, body = call(mkam, "api/room_new", {"name": unique("no"),
                                               "category": world["other"]},
                        user=world["alice"])
    assert status == 403 and "not one of its creators" in body["error"]


def test_edit_members_and_refusal_for_unmanaged_room(mkam, world, mariadb):
    carol = f"sip:{unique('carol')}@example.com"
    status, room = call(mkam, "api/room_set", {"name": world["managed"],
                                               "add_member": [carol, world["bob"]],
                                               "topic": "new topic", "type": "auditorium"},
                        user=world["alice"])
    assert status == 200, room
    assert sorted(room["members"]) == sorted([carol, world["bob"]])
    assert room["topic"] == "new topic" and room["type"] == "auditorium"
    status, room = call(mkam, "api/room_set", {"name": world["managed"],
                                               "remove_member": carol, "disabled": "true"},
                        user=world["alice"])
    assert room["members"] == [world["bob"]] and room["disabled"] is True
    # refusals in the words of the XCCOS rule (pchat_perm_refusal)
    status, body = call(mkam, "api/room_set", {"name": world["foreign"], "topic": "x"},
                        user=world["alice"])
    assert (status, body["error"]) == (403, "only managers may manage the room")
    status, body = call(mkam, "api/room_set", {"name": unique("nosuch"), "topic": "x"},
                        user=world["alice"])
    assert status == 403 and "you do not manage this room" in body["error"]
    set_policy(mariadb, "user", world["bob"], False)
    try:
        status, body = call(mkam, "api/room_set", {"name": world["foreign"], "topic": "x"},
                            user=world["bob"])
        assert status == 403 and "you do not manage this room" in body["error"]
    finally:
        set_policy(mariadb, "user", world["bob"], True)
    # the disabled room is still the manager's to enable again
    status, me = call(mkam, "api/me", user=world["alice"])
    assert [r["disabled"] for r in me["rooms"] if r["name"] == world["managed"]] == [True]
    status, room = call(mkam, "api/room_set", {"name": world["managed"], "disabled": "false",
                                               "remove_presenter": world["bob"]},
                        user=world["alice"])
    assert status == 200 and room["disabled"] is False
    # the store's own refusals come back as they are
    status, body = call(mkam, "api/room_set", {"name": world["managed"],
                                               "privacy": "wide-open"},
                        user=world["alice"])
    assert status == 400 and "privacy" in body["error"]
    # fields the page may not touch
    status, body = call(mkam, "api/room_set", {"name": world["managed"], "addin": "x"},
                        user=world["alice"])
    assert status == 400


def test_csrf_origin_and_size(mkam, world):
    body = json.dumps({"name": unique("csrf"), "category": world["mine"]}).encode()
    for headers in ({"X-Pchat-CSRF": ""}, {"Origin": "http://evil.example"}):
        h = {"X-Pchat-User": world["alice"], "X-Pchat-CSRF": "1"}
        h.update(headers)
        conn = http.client.HTTPConnection("127.0.0.1", mkam.file_port, timeout=20)
        conn.request("POST", "/manage/api/room_new", body=body, headers=h)
        res = conn.getresponse()
        assert res.status == 403 and b"CSRF" in res.read()
        conn.close()
    # the same origin passes
    status, _ = call(mkam, "api/room_new", user=world["alice"], raw=body,
                     headers={"Origin": f"http://127.0.0.1:{mkam.file_port}"})
    assert status == 200
    status, _ = call(mkam, "api/room_new", user=world["alice"],
                     raw=json.dumps({"name": "x" * 17000, "category": "c"}).encode())
    assert status == 413
    # malformed bodies: 400 with the reason, and the service goes on
    for raw in (b"[" * 16000, b"{" * 8000, b'{"name": 1}', b'{"name": {"a": "b"}}',
                b"not json", b'{"name": "x", "category": ["a", ["b"]]}', b"\xff\xfe"):
        status, body = call(mkam, "api/room_new", user=world["alice"], raw=raw)
        assert status == 400, (raw[:20], body)
    status, _ = call(mkam, "api/me", user=world["alice"])
    assert status == 200


def test_static_files_only_from_the_page_directory(mkam):
    status, text = call(mkam, "")
    assert status == 200 and "chat room management" in text
    for path in ("../README", "..%2fREADME", ".hidden", "app.js/../../README"):
        status, _ = call(mkam, path)
        assert status == 404, path


def test_no_rpc_over_http(mkam, akam):
    """Kamailio's RPCs are on the FIFO only: HTTP gets no JSON-RPC answer."""
    rpc = json.dumps({"jsonrpc": "2.0", "method": "core.version", "id": 1}).encode()
    for kam in (mkam, akam):
        # the file service's port, and the SIP port (xhttp sees HTTP on any
        # TCP listener)
        for port in (kam.file_port, kam.port):
            for path in ("/RPC", "/jsonrpc", "/manage/api/rpc"):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                try:
                    conn.request("POST", path, body=rpc, headers={
                        "Content-Type": "application/json", "X-Pchat-CSRF": "1",
                        "X-Pchat-User": "sip:x@example.com"})
                    res = conn.getresponse()
                    status, text = res.status, res.read()
                except (OSError, http.client.HTTPException):
                    status, text = None, b""  # no answer at all
                conn.close()
                assert status != 200 and b"kamailio" not in text.lower(), (port, path, text)
                assert b"jsonrpc" not in text


def test_digest_sign_in_with_auth(akam, mariadb):
    user = unique("dora")
    mariadb.sql(f"INSERT INTO subscriber (username, domain, password) VALUES "
                f"('{user}', 'example.com', 'pw')", db="pchat")
    url = f"http://127.0.0.1:{akam.file_port}/manage/api/me"
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url, timeout=20)
    challenge = e.value.headers["WWW-Authenticate"]
    assert e.value.code == 401 and challenge.startswith("Digest ")
    assert 'qop="auth"' in challenge and 'realm="example.com"' in challenge
    # a claimed identity counts for nothing when authentication is on
    req = urllib.request.Request(url, headers={"X-Pchat-User": "sip:admin@example.com"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=20)
    assert e.value.code == 401
    for password, ok in (("wrong", False), ("pw", True)):
        mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        mgr.add_password(None, url, user, password)
        opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(mgr))
        if ok:
            me = json.loads(opener.open(url, timeout=20).read())
            assert me["user"] == f"sip:{user}@example.com" and me["open"] is False
        else:
            with pytest.raises(urllib.error.HTTPError):
                opener.open(url, timeout=20)


def test_a_chat_node_serves_the_page_only_signed_in(db_url, mariadb):
    """A node of a pool has no open mode of its own: its page always asks
    for Digest, even without WITH_AUTH (the front-end's switch)."""
    mariadb.load_file(os.path.join(TOP, "sql", "pchat-frontend.sql"), "pchat")
    user = unique("nina")
    mariadb.sql(f"INSERT INTO subscriber (username, domain, password) VALUES "
                f"('{user}', 'example.com', 'pw')", db="pchat")
    fport, fdir = free_port(), tempfile.mkdtemp(prefix="pchat-files-")
    kam = Kamailio(free_port(), db_url, cfg="cfg/pchat-node.cfg", defines={
        "PCHAT_FILE_PORT": str(fport), "PCHAT_FILE_DIR": fdir,
        "PCHAT_MANAGE_DIR": MANAGE_DIR}).start()
    try:
        url = f"http://127.0.0.1:{fport}/manage/api/me"
        req = urllib.request.Request(url, headers={"X-Pchat-User": "sip:x@example.com"})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=20)
        assert e.value.code == 401
        mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        mgr.add_password(None, url, user, "pw")
        opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(mgr))
        me = json.loads(opener.open(url, timeout=20).read())
        assert me["user"] == f"sip:{user}@example.com" and me["open"] is False
        # the file service is still there
        conn = http.client.HTTPConnection("127.0.0.1", fport, timeout=10)
        conn.request("GET", "/files/" + "0" * 32)
        assert conn.getresponse().status == 404
        conn.close()
    finally:
        kam.cleanup()
        shutil.rmtree(fdir, ignore_errors=True)


# ---------------------------------------------------------------------------
# In a real browser


@pytest.fixture
def pw():
    p = Playwright()
    yield p
    p.close()


@pytest.fixture
def browser(pw):
    return pw.context().page()


def shot(b, name):
    os.makedirs(IMAGES, exist_ok=True)
    b.screenshot(os.path.join(IMAGES, name))


def sign_in_open(b, kam, user):
    b.goto(f"http://127.0.0.1:{kam.file_port}/manage/")
    b.wait_js("document.getElementById('status').textContent.includes('open mode')")
    assert b.js("!document.getElementById('openmode').hidden")
    b.js(f"document.getElementById('user').value = {json.dumps(user)}; "
         "document.getElementById('signin').click(); true")
    b.wait_js("!document.getElementById('main').hidden")


def room_rows(b):
    return b.js("[...document.querySelectorAll('#rooms tbody tr')]"
                ".map(tr => tr.cells[0].textContent)")


def test_browser_open_mode_create_edit_refuse(browser, mkam, world, mariadb):
    b = browser
    # a room named like a script shows as text and runs nothing
    xss = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    make_room(mariadb, name=xss, category=world["mine"], managers=[world["alice"]])
    b.js("window.alert = () => { window.alerted = true; }; true")
    sign_in_open(b, mkam, world["alice"])
    assert "Signed in as " + world["alice"] in b.js("document.getElementById('who').textContent")
    assert b.js("document.getElementById('openmode').textContent").startswith(
        "Open mode: sign-in is not checked, anyone may claim any identity")
    rows = room_rows(b)
    assert world["managed"] in rows and xss in rows and world["foreign"] not in rows
    assert b.js("document.querySelectorAll('#rooms img, #rooms script').length") == 0
    assert not b.js("window.alerted === true")
    # create a room in the category where alice is a creator
    name = unique("web")
    b.js(f"""(() => {{ const f = document.getElementById('newform');
        f.category.value = {json.dumps(world['mine'])}; f.name.value = {json.dumps(name)};
        f.description.value = 'made in the browser'; f.privacy.value = 'open';
        f.requestSubmit(); return true; }})()""")
    b.wait_js(f"document.getElementById('status').textContent === 'Created: {name}'")
    b.wait_js(f"[...document.querySelectorAll('#rooms tbody tr')].some("
              f"tr => tr.cells[0].textContent === {json.dumps(name)})")
    # edit it: add bob as a member
    b.js(f"""[...document.querySelectorAll('#rooms tbody tr')].find(
        tr => tr.cells[0].textContent === {json.dumps(name)}).click(); true""")
    b.wait_js("!document.getElementById('edit').hidden")
    b.js(f"""(() => {{ const f = document.getElementById('editform');
        f.add_member.value = {json.dumps(world['bob'])}; f.topic.value = 'hello';
        f.requestSubmit(); return true; }})()""")
    b.wait_js(f"document.getElementById('status').textContent === 'Saved: {name}'")
    members = mariadb.sql(
        "SELECT r.principal FROM pchat_role r JOIN pchat_node n ON n.id = r.node_id "
        f"WHERE n.name = '{name}' AND r.role = 'member'", db="pchat")
    assert [m[0] for m in members] == [world["bob"]]
    b.js(f"""[...document.querySelectorAll('#rooms tbody tr')].find(
        tr => tr.cells[0].textContent === {json.dumps(name)}).click(); true""")
    assert world["bob"] in b.js("document.getElementById('emembers').textContent")
    # a refusal is shown: an administrator takes the room away from alice
    # while her page still lists it
    b.js(f"""[...document.querySelectorAll('#rooms tbody tr')].find(
        tr => tr.cells[0].textContent === {json.dumps(world['managed'])}).click(); true""")
    mariadb.sql("DELETE r FROM pchat_role r JOIN pchat_node n ON n.id = r.node_id "
                f"WHERE n.name = '{world['managed']}' AND r.role = 'manager'", db="pchat")
    b.js("""(() => { const f = document.getElementById('editform');
        f.topic.value = 'mine still?'; f.requestSubmit(); return true; })()""")
    b.wait_js("document.getElementById('status').textContent.startsWith('Refused:')")
    assert b.js("document.getElementById('status').textContent") == \
        "Refused: only managers may manage the room"
    assert b.js("document.getElementById('status').className") == "error"


def test_browser_pictures_for_the_readme(browser, mkam, mariadb):
    """The README's pictures, with fixed names so that they only change when
    the page does."""
    alice, bob, carol = (f"sip:{n}@example.com" for n in ("alice", "bob", "carol"))
    make_category(mariadb, name="Engineering", creators=[("user", alice)])
    make_category(mariadb, name="Support", creators=[("domain", "example.com")])
    make_room(mariadb, name="Design reviews", category="Engineering", privacy="closed",
              managers=[alice], members=[bob, carol], description="Weekly design reviews")
    make_room(mariadb, name="Release train", category="Engineering", managers=[alice])
    make_room(mariadb, name="<script>alert('hi')</script>", category="Support",
              managers=[alice], description="a name that is not a script")
    sign_in_open(browser, mkam, alice)
    assert room_rows(browser) == ["<script>alert('hi')</script>", "Design reviews",
                                  "Release train"]
    browser.js("""[...document.querySelectorAll('#rooms tbody tr')].find(
        tr => tr.cells[0].textContent === 'Design reviews').click(); true""")
    browser.js("""(() => { const f = document.getElementById('editform');
        f.topic.value = 'Thursdays 10:00'; f.requestSubmit(); return true; })()""")
    browser.wait_js("document.getElementById('status').textContent === "
                    "'Saved: Design reviews'")
    shot(browser, "manage-rooms.png")
    browser.js("""[...document.querySelectorAll('#rooms tbody tr')].find(
        tr => tr.cells[0].textContent === 'Release train').click(); true""")
    mariadb.sql("DELETE r FROM pchat_role r JOIN pchat_node n ON n.id = r.node_id "
                "WHERE n.name = 'Release train' AND r.role = 'manager'", db="pchat")
    browser.js("""(() => { const f = document.getElementById('editform');
        f.privacy.value = 'secret'; f.requestSubmit(); return true; })()""")
    browser.wait_js("document.getElementById('status').textContent.startsWith('Refused')")
    shot(browser, "manage-refused.png")


def test_browser_digest_sign_in(pw, akam, mariadb):
    user = unique("erin")
    mariadb.sql(f"INSERT INTO subscriber (username, domain, password) VALUES "
                f"('{user}', 'example.com', 's3cret')", db="pchat")
    _, cat = make_category(mariadb, creators=[("user", f"sip:{user}@example.com")])
    make_room(mariadb, category=cat, managers=[f"sip:{user}@example.com"])
    browser = pw.context(credentials=(user, "s3cret")).page()
    browser.goto(f"http://127.0.0.1:{akam.file_port}/manage/")
    browser.wait_js("!document.getElementById('main').hidden")
    assert browser.js("document.getElementById('who').textContent") == \
        f"Signed in as sip:{user}@example.com"
    assert browser.js("document.getElementById('openmode').hidden")
    assert cat in browser.js("[...document.getElementById('cats').options]"
                             ".map(o => o.textContent)")
    assert len(room_rows(browser)) == 1
    # another site's page, in the same signed-in browser, posts to the page's
    # JSON calls: a form (text/plain JSON) and a no-cors fetch; both refused
    api = f"http://127.0.0.1:{akam.file_port}/manage/api/room_new"
    evil = unique("evil")
    # a form sends name=value: the JSON ends in the description, "="
    payload = json.dumps({"name": evil, "category": cat, "description": "="})
    page = ("<form id=f method=POST enctype=text/plain action='" + api + "'>"
            "<input name='" + payload[:-3] + "' value='\"}'></form>"
            "<script>fetch('" + api + "', {method: 'POST', mode: 'no-cors', "
            "credentials: 'include', headers: {'X-Pchat-CSRF': '1'}, body: '"
            + payload + "'}).finally(() => f.submit())</script>")
    browser.goto("data:text/html," + urllib.parse.quote(page))
    browser.wait_js("location.href.startsWith('http')")  # the form went
    assert "CSRF" in browser.js("document.body.textContent")
    assert int(mariadb.sql(f"SELECT COUNT(*) FROM pchat_node WHERE name = '{evil}'",
                           db="pchat")[0][0]) == 0
