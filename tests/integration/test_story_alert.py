"""Stories and alerts (issue 18, point 4; doc/xccos.md 3.19): a grpchat with
story="true" and a title (body up to storySizeLimit) or alert="true" is
stored with its flags, reaches the sessions whose INVITE declared
Supported: pchat-story with the flags and every other session as plain text
("title CRLF CRLF body", "[alert] text"), is replayed by bccontext in the
reader's form, and is found by the history search (by its body or title,
answered in the searcher's form). Malformed flags are a
400, a body or title over its limit a 413, each with the reason."""

import json
import time
import xml.sax.saxutils

import pytest

from admin import call
from chat import ChatUser, make_room, unique, wait_until
from pool import running_pool, status_int
from sipclient import find, findall, parse_xccos
from store import DB_NAME

STORY = "pchat-story"


@pytest.fixture
def users(kam):
    """users(declared=True): a signed-in chat user; declared: its INVITE
    lists pchat-story (a string: that Supported value)."""
    made = []

    def make(declared=True, node=None):
        value = declared if isinstance(declared, str) else STORY
        headers = [("Supported", value)] if declared else None
        u = ChatUser(node or kam, unique("st"), invite_headers=headers)
        made.append(u)
        return u

    yield make
    for u in made:
        u.close()


def post(user, guid, text, attrs=""):
    """A grpchat with extra raw attributes; the SIP response."""
    text = xml.sax.saxutils.escape(text)
    _, body = user.client.make_envelope(
        f'<grpchat id="grpchat" seqid="1" chanUri="{user.room_uri(guid)}" '
        f'author="{user.uri}" {attrs}><chat>{text}</chat></grpchat>')
    return user.dlg.send_xccos(body)


def story_attrs(title):
    return f'story="true" title={xml.sax.saxutils.quoteattr(title)}'


def _form(g):
    return {"story": g.get("story"), "title": g.get("title"), "alert": g.get("alert"),
            "text": find(g, "chat").text or "", "msgid": int(g.get("msgid"))}


def received(user, guid):
    """The next grpchat of the room this client gets, with its flags."""
    def is_msg(m):
        g = find(parse_xccos(m.body), "grpchat")
        return g is not None and g.get("chanUri") == user.room_uri(guid)
    m = user.dlg.wait_server_info(is_msg, timeout=10)
    # one envelope per INFO: a client never sees the other form
    assert m.body.count("<xccos") == 1, m.body
    return _form(find(parse_xccos(m.body), "grpchat"))


def history(user, guid):
    reply = user.history(guid)
    assert reply.code == 200, reply
    return [_form(m) for m in findall(reply.data, "chanib/msg")]


@pytest.fixture
def room(kam, mariadb, users):
    """(guid, declared alice, declared bob, plain carl), all joined."""
    _, guid, _ = make_room(mariadb)
    alice, bob, carl = users(), users("timer, PCHAT-STORY"), users(declared=False)
    for u in (alice, bob, carl):
        assert u.join(guid).code == 200
    return guid, alice, bob, carl


def test_a_story_reaches_declared_clients_with_flags_and_plain_ones_as_text(room, mariadb):
    guid, alice, bob, carl = room
    body = "Line one of the long body.\nLine two & <more>."
    resp = post(alice, guid, body, story_attrs('Release "7.1" notes'))
    assert resp.status == 200, resp.header("Warning")
    for reader in (alice, bob):
        got = received(reader, guid)
        assert (got["story"], got["title"], got["alert"], got["text"]) == \
            ("true", 'Release "7.1" notes', None, body)
    plain = received(carl, guid)
    assert plain["story"] is None and plain["title"] is None
    assert plain["text"] == 'Release "7.1" notes\r\n\r\n' + body
    assert plain["msgid"] == got["msgid"]
    for reader in (alice, bob, carl):
        reader.expect_no_message(guid, within=0.3)
    rows = mariadb.sql(f"SELECT is_story, is_alert, story_title, content FROM pchat_message "
                       f"WHERE seq = {got['msgid']} AND room_id = (SELECT id FROM pchat_node "
                       f"WHERE guid = '{guid}')", db=DB_NAME)
    assert rows == [("1", "0", 'Release "7.1" notes', body)]


def test_an_alert_is_flagged_for_declared_clients_and_prefixed_for_plain_ones(room):
    guid, alice, bob, carl = room
    assert post(alice, guid, "the build is red", 'alert="true"').status == 200
    got = received(bob, guid)
    assert (got["alert"], got["story"], got["text"]) == ("true", None, "the build is red")
    assert received(carl, guid)["text"] == "[alert] the build is red"
    # alert="false" is an ordinary post, the same for everyone
    assert post(alice, guid, "all green", 'alert="false"').status == 200
    assert received(bob, guid) == {**received(carl, guid), "alert": None}
    # both flags: a titled alert
    resp = post(alice, guid, "details", story_attrs("Outage") + ' alert="true"')
    assert resp.status == 200, resp.header("Warning")
    both = received(bob, guid)
    assert (both["story"], both["alert"], both["title"]) == ("true", "true", "Outage")
    assert received(carl, guid)["text"] == "[alert] Outage\r\n\r\ndetails"


def test_history_replays_stories_and_alerts_in_the_readers_form(room):
    guid, alice, bob, carl = room
    assert post(alice, guid, "an ordinary line").status == 200
    assert post(alice, guid, "the body", story_attrs("The title")).status == 200
    assert post(alice, guid, "fire drill", 'alert="true"').status == 200
    for _ in range(3):
        received(carl, guid)
    ext = history(bob, guid)
    assert [(h["story"], h["title"], h["alert"], h["text"]) for h in ext] == [
        (None, None, None, "an ordinary line"),
        ("true", "The title", None, "the body"),
        (None, None, "true", "fire drill")]
    plain = history(carl, guid)
    assert [(h["story"], h["alert"], h["text"]) for h in plain] == [
        (None, None, "an ordinary line"),
        (None, None, "The title\r\n\r\nthe body"),
        (None, None, "[alert] fire drill")]
    assert [h["msgid"] for h in plain] == [h["msgid"] for h in ext]


def test_limits_story_body_to_story_size_limit_and_the_title_to_256(room):
    guid, alice, bob, _ = room
    # a story may be longer than a message (512), up to storySizeLimit (4096)
    resp = post(alice, guid, "é" * 4096, story_attrs("long"))
    assert resp.status == 200, resp.header("Warning")
    assert received(bob, guid)["text"] == "é" * 4096
    resp = post(alice, guid, "x" * 4097, story_attrs("too long"))
    assert resp.status == 413 and "story of 4097 characters exceeds the limit of 4096" \
        in resp.header("Warning")
    resp = post(alice, guid, "x" * 513, 'alert="true"')
    assert resp.status == 413 and "message of 513 characters exceeds the limit of 512" \
        in resp.header("Warning")
    assert post(alice, guid, "b", story_attrs("t" * 256)).status == 200
    assert received(bob, guid)["title"] == "t" * 256
    resp = post(alice, guid, "b", story_attrs("t" * 257))
    assert resp.status == 413 and "title of 257 characters" in resp.header("Warning")
    bob.expect_no_message(guid, within=0.3)


@pytest.mark.parametrize("attrs, why", [
    ('story="yes" title="t"', "story must be true or false"),
    ('alert="1"', "alert must be true or false"),
    ('story="true"', "a story needs a title"),
    ('title="t"', "title is only for a story"),
    ('story="true" title=""', "one line of 1 to 256"),
    ('story="true" title="two&#10;lines"', "one line of 1 to 256"),
])
def test_malformed_flags_are_refused_with_the_reason(room, attrs, why):
    guid, alice, bob, _ = room
    resp = post(alice, guid, "body", attrs)
    assert resp.status == 400 and why in resp.header("Warning"), resp.header("Warning")
    bob.expect_no_message(guid, within=0.2)


def test_the_history_search_finds_a_story_by_its_body(room):
    guid, alice, bob, _ = room
    word = unique("zebra")
    assert post(alice, guid, f"deep in the body: {word}-42", story_attrs("Findable")).status == 200
    received(bob, guid)
    reply = bob.dlg.command("chatsrch", f'<srch text="{word}-4"/>', timeout=20)
    assert reply.code == 200
    texts = [find(m, "chat").text for m in findall(reply.data, "chanib/msg")]
    assert texts == [f"deep in the body: {word}-42"]


def chatsrch(user, text):
    """The history search's messages, each with its flags."""
    reply = user.dlg.command("chatsrch", f'<srch text="{text}"/>', timeout=20)
    assert reply.code == 200, reply
    return [_form(m) for m in findall(reply.data, "chanib/msg")]


def test_the_history_search_finds_a_title_and_answers_in_the_askers_form(room, kam):
    guid, alice, bob, carl = room
    word = unique("okapi")
    assert post(alice, guid, "a body without it", story_attrs(f"Plan {word} Q3")).status == 200
    assert post(alice, guid, f"the {word} alarm", 'alert="true"').status == 200
    for _ in range(2):
        received(bob, guid)
        received(carl, guid)
    # the title alone holds the word; newest first, each in bccontext's form
    ext = chatsrch(bob, word.upper())
    assert [(h["story"], h["title"], h["alert"], h["text"]) for h in ext] == [
        (None, None, "true", f"the {word} alarm"),
        ("true", f"Plan {word} Q3", None, "a body without it")]
    plain = chatsrch(carl, word)
    assert [(h["story"], h["title"], h["alert"], h["text"]) for h in plain] == [
        (None, None, None, f"[alert] the {word} alarm"),
        (None, None, None, f"Plan {word} Q3\r\n\r\na body without it")]
    assert [h["msgid"] for h in plain] == [h["msgid"] for h in ext]
    # title and body are two texts: a text running across them is no match
    assert chatsrch(bob, f"{word} Q3 a body") == []
    # the administrators' search lists the flags and the title
    got = call(kam, "pchat.search", f"text={word}")
    assert [(g["story"], g["alert"], g["title"], g["text"]) for g in got] == [
        ("0", "1", "", f"the {word} alarm"),
        ("1", "0", f"Plan {word} Q3", "a body without it")]


def test_an_edit_keeps_the_story_and_its_limit_and_a_delete_drops_the_title(room, mariadb):
    guid, alice, bob, carl = room
    assert post(alice, guid, "first body", story_attrs("Kept title")).status == 200
    msgid = received(bob, guid)["msgid"]
    # a story's body may grow past messageSizeLimit in an edit too
    reply = alice.edit(guid, msgid, "b" * 600)
    assert reply.code == 200, reply
    mine = _form(find(reply.data, "msg"))
    assert (mine["story"], mine["title"], mine["text"]) == ("true", "Kept title", "b" * 600)
    assert history(carl, guid)[-1]["text"] == "Kept title\r\n\r\n" + "b" * 600
    assert alice.edit(guid, msgid, "b" * 4097).code == 413
    assert alice.delete(guid, msgid).code == 200
    gone = history(bob, guid)[-1]
    assert (gone["story"], gone["title"]) == (None, None)
    assert mariadb.sql(f"SELECT story_title FROM pchat_message WHERE seq = {msgid} AND "
                       f"room_id = (SELECT id FROM pchat_node WHERE guid = '{guid}')",
                       db=DB_NAME) == [(None,)]


def test_the_compliance_record_shows_the_flags_and_title(room, mariadb):
    guid, alice, bob, _ = room
    mariadb.sql("UPDATE pchat_config SET value = '1' WHERE name = 'compliance'", db=DB_NAME)
    time.sleep(1.2)  # the node's copy of the configuration lives a second
    try:
        assert post(alice, guid, "story body", story_attrs('T "1"')).status == 200
        assert post(alice, guid, "alarm", 'alert="true"').status == 200
        assert post(alice, guid, "plain").status == 200
    finally:
        mariadb.sql("UPDATE pchat_config SET value = '0' WHERE name = 'compliance'",
                    db=DB_NAME)
        time.sleep(1.2)
    rows = mariadb.sql(
        "SELECT content, detail FROM pchat_compliance_event WHERE type = 'CHAT' AND "
        f"room_uri = '{alice.room_uri(guid)}' ORDER BY id", db=DB_NAME)
    assert [(c, None if d is None else json.loads(d)) for c, d in rows] == [
        ("story body", {"story": True, "alert": False, "title": 'T "1"'}),
        ("alarm", {"story": False, "alert": True}),
        ("plain", None)]


@pytest.fixture(scope="module")
def pool2(db_url):
    with running_pool(db_url, count=2) as both:
        yield both


def test_both_forms_cross_the_pool_and_each_session_gets_its_own(pool2, users, mariadb):
    a, b = pool2
    alice, bob, carl = users(node=a), users(node=b), users(declared=False, node=b)
    dave = users(declared=False, node=a)
    _, guid, _ = make_room(mariadb)
    for u in (alice, bob, carl, dave):
        assert u.join(guid).code == 200
    # b's participants are known on a before alice posts there
    assert wait_until(lambda: status_int(a, "pool_remote_rooms") == 1, timeout=5)
    assert post(alice, guid, "across", story_attrs("Pool story")).status == 200
    for reader in (alice, bob):
        got = received(reader, guid)
        assert (got["story"], got["title"], got["text"]) == ("true", "Pool story", "across")
    for reader in (carl, dave):
        assert received(reader, guid)["text"] == "Pool story\r\n\r\nacross"
    for reader in (alice, bob, carl, dave):
        reader.expect_no_message(guid, within=0.3)
