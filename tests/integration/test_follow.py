"""Followed rooms and unread counts (issue 18 point 2; doc/xccos.md 3.18):
cmd:follow / cmd:unfollow / cmd:followread / cmd:followlist, bounded by
follow_max; bccontext marks a followed room read; a session's first bjoin
(or one with <follows/>) joins the followed rooms the user may join; the
list is kept by the server, so every device of a user sees the same."""

import pytest

from admin import call
from kamailio import pchatctl
from chat import ChatUser, make_category, make_room, unique
from sipclient import find, findall


@pytest.fixture
def users(kam):
    """users(name=None) signs a chat user in (name: a second device of it)."""
    made = []

    def make(name=None):
        u = ChatUser(kam, name or unique("f"))
        made.append(u)
        return u

    yield make
    for u in made:
        u.close()


def follow(user, guid):
    return user.dlg.command("follow", f'<chanib uri="{user.room_uri(guid)}"/>')


def unfollow(user, guid):
    return user.dlg.command("unfollow", f'<chanib uri="{user.room_uri(guid)}"/>')


def followread(user, guid, msgid=None):
    extra = f' msgid="{msgid}"' if msgid is not None else ""
    return user.dlg.command("followread",
                            f'<chanib uri="{user.room_uri(guid)}"{extra}/>')


def followlist(user):
    """{room uri: entry} of cmd:followlist, and its <follows> summary."""
    reply = user.dlg.command("followlist")
    assert reply.code == 200, reply
    rooms = {}
    for c in findall(reply.data, "chanib"):
        msg = find(c, "msg")
        rooms[c.get("uri")] = {
            "name": c.get("name"), "unread": c.get("unread"),
            "lastread": c.get("lastread"), "readable": c.get("readable"),
            "msg": None if msg is None else {
                "msgid": int(msg.get("msgid")), "author": msg.get("author"),
                "text": find(msg, "chat").text or "", "ts": msg.get("ts")}}
    summary = find(reply.data, "follows")
    return rooms, {"total": int(summary.get("total")), "listed": int(summary.get("listed"))}


def post(author, guid, *texts):
    """Posts and waits for the author's own copy: the posts are stored."""
    ids = []
    for t in texts:
        assert author.post(guid, t).status == 200
        ids.append(author.wait_message(guid)["msgid"])
    return ids


def error_of(reply):
    e = find(reply.data, "error")
    return e.text if e is not None else None


def test_follow_counts_unread_posts_of_others_without_joining(users, mariadb):
    alice, bob = users(), users()
    _, guid, name = make_room(mariadb)
    assert alice.join(guid).code == 200
    post(alice, guid, "before bob followed")

    reply = follow(bob, guid)
    assert reply.code == 200, reply
    assert find(reply.data, "chanib").get("name") == name
    rooms, summary = followlist(bob)
    uri = bob.room_uri(guid)
    # following starts with nothing unread; the newest post shows already
    assert rooms[uri]["unread"] == "0" and summary == {"total": 1, "listed": 1}
    assert rooms[uri]["msg"]["text"] == "before bob followed"

    ids = post(alice, guid, "one", "two", "three")
    rooms, _ = followlist(bob)
    entry = rooms[uri]
    assert entry["name"] == name and entry["unread"] == "3"
    assert entry["msg"] == {"msgid": ids[-1], "author": alice.uri, "text": "three",
                            "ts": entry["msg"]["ts"]}
    # bob never joined: nothing was delivered to him
    bob.expect_no_message(guid)
    # his own posts are not unread to him (he joins to post)
    assert bob.join(guid).code == 200
    post(bob, guid, "mine")
    alice.wait_message(guid)
    assert followlist(bob)[0][uri]["unread"] == "3"


def test_a_deleted_post_is_not_unread(users, mariadb):
    alice, bob = users(), users()
    _, guid, _ = make_room(mariadb)
    assert alice.join(guid).code == 200
    assert follow(bob, guid).code == 200
    first, _ = post(alice, guid, "oops", "fine")
    assert alice.delete(guid, first).code == 200
    assert followlist(bob)[0][bob.room_uri(guid)]["unread"] == "1"


def test_history_up_to_the_newest_marks_read_for_every_device(users, mariadb):
    alice, bob = users(), users()
    bob2 = users(bob.user)  # bob's second device
    _, guid, _ = make_room(mariadb)
    assert alice.join(guid).code == 200
    assert follow(bob, guid).code == 200
    # the second device sees the room the first followed
    assert bob.room_uri(guid) in followlist(bob2)[0]
    ids = post(alice, guid, "a", "b", "c", "d")
    assert followlist(bob2)[0][bob.room_uri(guid)]["unread"] == "4"

    # paging back does not mark read; the newest posts do
    assert bob.history(guid, f'<before id="{ids[-1]}" cnt="2"/>').code == 200
    assert followlist(bob2)[0][bob.room_uri(guid)]["unread"] == "4"
    assert bob.history(guid).code == 200
    entry = followlist(bob2)[0][bob.room_uri(guid)]
    assert entry["unread"] == "0" and entry["lastread"] == str(ids[-1])


def test_followread_moves_the_mark_forward_only(users, mariadb):
    alice, bob = users(), users()
    _, guid, _ = make_room(mariadb)
    assert alice.join(guid).code == 200
    assert follow(bob, guid).code == 200
    ids = post(alice, guid, "1", "2", "3", "4", "5")

    reply = followread(bob, guid, ids[1])
    assert reply.code == 200, reply
    c = find(reply.data, "chanib")
    assert c.get("lastread") == str(ids[1]) and c.get("unread") == "3"
    # never back, never past the newest post
    c = find(followread(bob, guid, ids[0]).data, "chanib")
    assert c.get("lastread") == str(ids[1])
    c = find(followread(bob, guid, ids[-1] + 1000).data, "chanib")
    assert c.get("lastread") == str(ids[-1]) and c.get("unread") == "0"
    # without msgid: up to the newest
    post(alice, guid, "6")
    c = find(followread(bob, guid).data, "chanib")
    assert c.get("unread") == "0"
    assert followread(bob, guid, 0).code == 400


def test_unfollow_and_a_room_not_followed(users, mariadb):
    bob = users()
    _, guid, _ = make_room(mariadb)
    assert unfollow(bob, guid).code == 404
    assert followread(bob, guid).code == 404
    assert follow(bob, guid).code == 200
    assert follow(bob, guid).code == 200  # again: still one
    assert followlist(bob)[1] == {"total": 1, "listed": 1}
    assert unfollow(bob, guid).code == 200
    assert followlist(bob) == ({}, {"total": 0, "listed": 0})
    # a room that does not exist answers as one not followed
    assert unfollow(bob, "00000000-0000-0000-0000-000000000000").code == 404
    assert follow(bob, "00000000-0000-0000-0000-000000000000").code == 404


def test_a_room_the_user_may_not_read_answers_as_bccontext(users, mariadb):
    alice, bob = users(), users()
    _, secret, _ = make_room(mariadb, privacy="secret", members=[alice.uri])
    _, closed, _ = make_room(mariadb, privacy="closed", members=[alice.uri])
    for guid in (secret, closed):
        history = bob.history(guid)
        reply = follow(bob, guid)
        assert (reply.code, error_of(reply)) == (history.code, error_of(history))
        assert reply.code in (403, 404)
    # the secret one as a missing one
    assert follow(bob, secret).code == 404
    assert followlist(bob) == ({}, {"total": 0, "listed": 0})


def test_losing_read_hides_count_and_text(kam, users, mariadb):
    alice, bob = users(), users()
    _, guid, name = make_room(mariadb, privacy="closed", members=[alice.uri, bob.uri])
    assert alice.join(guid).code == 200
    assert follow(bob, guid).code == 200
    post(alice, guid, "for members only")
    assert followlist(bob)[0][bob.room_uri(guid)]["unread"] == "1"

    kam.admin("pchat.room_set", f"name={name}", f"remove_member={bob.uri}")
    entry = followlist(bob)[0][bob.room_uri(guid)]
    assert entry == {"name": None, "unread": None, "lastread": None,
                     "readable": "false", "msg": None}
    # and it can still be unfollowed
    assert unfollow(bob, guid).code == 200
    # given back: counted again
    kam.admin("pchat.room_set", f"name={name}", f"add_member={bob.uri}")
    assert follow(bob, guid).code == 200
    assert followlist(bob)[0][bob.room_uri(guid)]["readable"] is None


def test_an_ethical_wall_hides_count_and_text(kam, users, mariadb):
    alice, bob = users(), users()
    _, cat = make_category(mariadb)
    _, guid, _ = make_room(mariadb, category=cat)
    assert alice.join(guid).code == 200
    assert follow(bob, guid).code == 200
    post(alice, guid, "before the wall")
    assert followlist(bob)[0][bob.room_uri(guid)]["unread"] == "1"
    kam.admin("pchat.category_set", f"name={cat}", f"add_denied_member={bob.uri}")
    assert followlist(bob)[0][bob.room_uri(guid)] == {
        "name": None, "unread": None, "lastread": None, "readable": "false", "msg": None}
    # nor can it be read another way, nor marked
    assert followread(bob, guid).code == bob.history(guid).code != 200


def test_follow_max_is_a_clear_error(kamailio_factory, mariadb):
    k = kamailio_factory(defines={"PCHAT_FOLLOW_MAX": "2"})
    bob = ChatUser(k, unique("f"))
    try:
        guids = [make_room(mariadb)[1] for _ in range(3)]
        assert follow(bob, guids[0]).code == 200
        assert follow(bob, guids[1]).code == 200
        reply = follow(bob, guids[2])
        assert reply.code == 403 and "follow_max" in error_of(reply)
        # following one already followed is no new one
        assert follow(bob, guids[1]).code == 200
        assert unfollow(bob, guids[0]).code == 200
        assert follow(bob, guids[2]).code == 200
    finally:
        bob.close()


def _chanibs(reply):
    return [c.get("uri") for c in findall(reply.data, "chanib")]


def test_first_bjoin_of_a_session_joins_the_followed_rooms(users, mariadb):
    alice, bob = users(), users()
    _, asked, _ = make_room(mariadb)
    _, followed, _ = make_room(mariadb)
    _, lost, lost_name = make_room(mariadb, privacy="closed", members=[bob.uri])
    assert follow(bob, followed).code == 200
    assert follow(bob, lost).code == 200
    mariadb.sql(f"DELETE FROM pchat_role WHERE node_id = (SELECT id FROM pchat_node "
                f"WHERE guid = '{lost}')", db="pchat")

    # a new device signs in and bjoins the room it had open
    bob2 = users(bob.user)
    reply = bob2.bjoin([asked])
    assert reply.code == 200, reply
    # the one asked for first, then the followed one it may join; the one
    # it may no longer join is left out (not a fib: it did not ask)
    assert _chanibs(reply) == [bob2.room_uri(asked), bob2.room_uri(followed)]
    assert findall(reply.data, "fib") == []
    # it is in the followed room: alice's post reaches it
    assert alice.join(followed).code == 200
    post(alice, followed, "hello followers")
    assert bob2.wait_message(followed)["text"] == "hello followers"

    # a later bjoin of the same session joins what it names only
    _, other, _ = make_room(mariadb)
    assert _chanibs(bob2.bjoin([other])) == [bob2.room_uri(other)]
    # unless it asks with <follows/>
    reply = bob2.dlg.command("bjoin", "<follows/>")
    assert reply.code == 200 and _chanibs(reply) == [bob2.room_uri(followed)]


def test_bjoin_without_followed_rooms_is_unchanged(users, mariadb):
    bob = users()
    _, guid, _ = make_room(mariadb)
    reply = bob.bjoin([guid])
    assert reply.code == 200 and _chanibs(reply) == [bob.room_uri(guid)]
    # <follows/> alone with nothing followed: an empty answer, no error
    reply = bob.dlg.command("bjoin", "<follows/>")
    assert reply.code == 200 and _chanibs(reply) == []
    # and no chanid at all stays an error
    assert bob.dlg.command("bjoin", '<other/>').code == 400


def test_follow_bjoin_off_leaves_bjoin_alone(kamailio_factory, mariadb):
    k = kamailio_factory(defines={"PCHAT_FOLLOW_BJOIN": "0"})
    bob = ChatUser(k, unique("f"))
    try:
        _, asked, _ = make_room(mariadb)
        _, followed, _ = make_room(mariadb)
        assert follow(bob, followed).code == 200
        assert _chanibs(bob.bjoin([asked])) == [bob.room_uri(asked)]
    finally:
        bob.close()


def test_unread_counts_stop_at_1000(users, mariadb):
    alice, bob = users(), users()
    rid, guid, _ = make_room(mariadb)
    assert follow(bob, guid).code == 200
    # stored as the post writer stores them: many posts at once
    mariadb.sql("INSERT INTO pchat_message (room_id, seq, ts_ms, author, content) "
                "SELECT %s, 1000000 + seq, 0, '%s', 'x' FROM seq_1_to_1005" % (rid, alice.uri),
                db="pchat")
    entry = followlist(bob)[0][bob.room_uri(guid)]
    assert entry["unread"] == "1000+"
    assert entry["msg"]["msgid"] == 1001005


def test_room_removed_drops_its_follow(kam, users, mariadb):
    bob = users()
    _, guid, name = make_room(mariadb)
    assert follow(bob, guid).code == 200
    kam.admin("pchat.room_remove", f"name={name}")
    assert followlist(bob) == ({}, {"total": 0, "listed": 0})


def test_admin_follow_list(kam, users, mariadb):
    alice, bob = users(), users()
    _, guid, name = make_room(mariadb)
    assert alice.join(guid).code == 200
    assert follow(bob, guid).code == 200
    post(alice, guid, "x", "y")
    # the user as an operator may type it: canonicalised like everywhere
    rows = call(kam, "pchat.follow_list", f"user={bob.uri.replace('sip:', 'SIP:')}")
    assert [(r["room"], r["room_guid"], r["unread"]) for r in rows] == [(name, guid, "2")]
    # and as an operator types it
    listed = pchatctl(kam, "get-follow", "--user", bob.uri, json_output=True).json
    assert [(r["room"], r["unread"]) for r in listed] == [(name, "2")]


def test_followlist_fits_the_reply_bound_counts_first_and_pages(kamailio_factory, mariadb):
    k = kamailio_factory(defines={"PCHAT_MAX_REPLY_SIZE": "4096"})
    bob = ChatUser(k, unique("f"))
    try:
        for _ in range(40):
            rid, guid, _ = make_room(mariadb)
            mariadb.sql(f"INSERT INTO pchat_message (room_id, seq, ts_ms, author, content) "
                        f"VALUES ({rid}, 1, 0, 'sip:alice@example.com', '{'x' * 300}')",
                        db="pchat")
            assert follow(bob, guid).code == 200
        seen, start, pages = [], 0, 0
        while start is not None:
            reply = bob.dlg.command("followlist", f'<follows from="{start}"/>')
            assert reply.code == 200, reply
            entries = findall(reply.data, "chanib")
            summary = find(reply.data, "follows")
            assert int(summary.get("total")) == 40 and int(summary.get("from")) == start
            assert int(summary.get("listed")) == len(entries) > 0
            with_msg = [find(c, "msg") is not None for c in entries]
            # every room of the page has its count; the newest posts take
            # what is left, in order
            assert all(c.get("unread") == "0" for c in entries)
            assert with_msg == sorted(with_msg, reverse=True)
            seen += [c.get("uri") for c in entries]
            start = summary.get("next") and int(summary.get("next"))
            pages += 1
        assert pages > 1 and len(seen) == len(set(seen)) == 40
        assert bob.dlg.command("followlist", '<follows from="x"/>').code == 400
    finally:
        bob.close()


def test_a_sign_in_with_more_followed_rooms_than_a_reply_carries(users, mariadb):
    bob = users()
    _, named, _ = make_room(mariadb)
    prefix = unique("many")
    mariadb.sql("SET @root = (SELECT id FROM pchat_node WHERE parent_id IS NULL);"
                "INSERT INTO pchat_node (guid, kind, parent_id, name, privacy) "
                f"SELECT UUID(), 'room', @root, CONCAT('{prefix}-', seq), 'open' "
                "FROM seq_1_to_300;"
                "INSERT INTO pchat_follow (user_uri, room_id, last_read_seq, created_ms) "
                f"SELECT '{bob.uri}', id, 0, id FROM pchat_node WHERE name LIKE '{prefix}-%'",
                db="pchat")
    bob2 = users(bob.user)
    reply = bob2.bjoin([named])
    # never a 413 for rooms the client did not name: as many as fit
    assert reply.code == 200, reply
    uris = _chanibs(reply)
    assert uris[0] == bob2.room_uri(named) and 1 < len(uris) < 301
    assert len(reply.sip.body) <= 24576
    # the rest are still followed, for followlist and a later bjoin
    assert followlist(bob2)[1]["total"] == 300
