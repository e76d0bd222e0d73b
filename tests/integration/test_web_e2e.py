"""Issue 17's end-to-end test, in its words, through Playwright (tests/lib/pw/):
a manager signs in on the room-management page, creates a room in a
category where she is a creator and is refused in another, adds a member;
in a second browser context that member finds the room in the browser chat
client, joins, reads its history and exchanges posts both ways with a
pidgin-sipe-style client over TCP; markup in a post renders as text; closing
the tab ends the member's session on the server (pchat.sessions). Without
node, playwright-core (npm ci) or chromium the test fails: never skipped."""

import json
import time

import pytest

from chat import ChatUser, make_category, set_policy, unique, wait_until
from pwdriver import Playwright
from webnode import start_web_node, stop_web_node


@pytest.fixture(scope="module")
def kam(db_url, mariadb):
    """One node serving both pages, /manage/ and /chat/, and /ws."""
    set_policy(mariadb, "global", "", True)
    k = start_web_node(db_url)
    yield k
    stop_web_node(k)


@pytest.fixture
def pw():
    p = Playwright()
    yield p
    p.close()


def history_has(text):
    return ("[...document.querySelectorAll('#history li')]"
            f".some(li => li.textContent.endsWith({json.dumps(text)}))")


def manage(page, kam, manager, mine, other, name, members):
    """The manager's part on /manage/: create in `mine`, refused in `other`,
    add the members."""
    page.goto(f"http://127.0.0.1:{kam.file_port}/manage/")
    page.fill("#user", manager)
    page.click("#signin")
    page.wait_js("!document.getElementById('main').hidden")
    assert page.text("#who").startswith("Signed in as " + manager)
    # only the categories she may create in are offered
    offered = page.js("[...document.getElementById('cats').options].map(o => o.value)")
    assert mine in offered and other not in offered
    page.select("#cats", mine)
    page.fill("#newform [name=name]", name)
    page.fill("#newform [name=description]", "made on the management page")
    page.select("#newform [name=privacy]", "closed")
    page.click("#newform button[type=submit], #newform button")
    page.wait_js(f"document.getElementById('status').textContent === {json.dumps('Created: ' + name)}")
    # a forged choice of the other category: the server refuses, the page says so
    page.js(f"(() => {{ const o = document.createElement('option');"
            f" o.value = o.textContent = {json.dumps(other)};"
            " document.getElementById('cats').append(o); return true; })()")
    page.select("#cats", other)
    page.fill("#newform [name=name]", name + "-elsewhere")
    page.click("#newform button[type=submit], #newform button")
    page.wait_js("document.getElementById('status').textContent.startsWith('Refused:')")
    assert "not one of its creators" in page.text("#status")
    # add the members from the room's edit form
    for member in members:
        page.click(f"#rooms tbody tr:has(td:text-is({json.dumps(name)}))")
        page.wait_js("!document.getElementById('edit').hidden")
        page.fill("#editform [name=add_member]", member)
        page.click("#editform button[type=submit], #editform button")
        page.wait_js(f"document.getElementById('status').textContent === {json.dumps('Saved: ' + name)}")
    # the list reloads after each save: reopen the room until the form
    # shows the list as saved (a click during the reload shows the old one)
    shown = ""
    for _ in range(50):
        page.click(f"#rooms tbody tr:has(td:text-is({json.dumps(name)}))")
        shown = page.text("#emembers")
        if all(member in shown for member in members):
            break
        time.sleep(0.1)
    for member in members:
        assert member in shown


def test_newcomer_flow(kam, mariadb, pw):
    manager = f"sip:{unique('mia')}@{kam.domain}"
    member, sipe = unique("nora"), unique("sam")
    member_uri, sipe_uri = f"sip:{member}@{kam.domain}", f"sip:{sipe}@{kam.domain}"
    _, mine = make_category(mariadb, creators=[("user", manager)])
    _, other = make_category(mariadb)
    name = unique("e2e")
    manage(pw.context().page(), kam, manager, mine, other, name, [member_uri, sipe_uri])
    guid = mariadb.sql(f"SELECT guid FROM pchat_node WHERE name = '{name}'", db="pchat")[0][0]

    bob = ChatUser(kam, sipe)
    try:
        assert bob.join(guid).code == 200
        bob.post(guid, "history before the newcomer")
        bob.wait_message(guid)
        # the member, in a browser context of her own
        tab = pw.context().page()
        tab.goto(f"http://127.0.0.1:{kam.file_port}/chat/")
        tab.fill("#identity", member_uri)
        tab.click("#signin-btn")
        tab.wait_js("document.getElementById('status').dataset.state === 'in'")
        tab.fill("#q", name)
        tab.click("#search button")
        tab.click(f"#rooms button:has-text({json.dumps(name)})")
        tab.wait_js(f"document.getElementById('room-name').textContent === {json.dumps(name)}"
                    " && !document.getElementById('room').hidden")
        tab.wait_js(history_has("history before the newcomer"))
        # posts both ways
        ntc = bob.wait_notice("join")
        assert any(u.get("uri") == member_uri for u in ntc.iter() if u.tag.endswith("uib"))
        bob.post(guid, "hello from sipe")
        assert bob.wait_message(guid)["text"] == "hello from sipe"
        tab.wait_js(history_has("hello from sipe"))
        tab.fill("#text", "hello from the browser")
        tab.click("#post button")
        got = bob.wait_message(guid)
        assert (got["text"], got["author"]) == ("hello from the browser", member_uri)
        tab.wait_js(history_has("hello from the browser"))
        # markup is text
        xss = "<img src=x onerror=window.pwned=1><script>window.pwned=2</script>"
        bob.post(guid, xss)
        bob.wait_message(guid)
        tab.wait_js(history_has(xss))
        assert tab.js("document.querySelectorAll('#history img, #history script').length") == 0
        assert tab.js("window.pwned === undefined")
        # the closed tab's session ends on the server
        ours = lambda: [s for s in kam.sessions() if member_uri in s["user"]]  # noqa: E731
        assert wait_until(ours, timeout=5), kam.sessions()
        assert ours()[0]["source"].startswith("ws:")
        tab.close()
        assert wait_until(lambda: not ours(), timeout=5, step=0.1), \
            f"session still there after the tab closed: {ours()}"
    finally:
        bob.close()
