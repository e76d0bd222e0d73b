"""Revocation takes effect online (issue 11, point 8): an administrator's
change that takes a user's right to a room away parts the user's live
sessions from it at once. The others see ntc:part, the roster loses the
user, and a further post to the room is refused."""

import pytest

from chat import ChatUser, make_category, make_room, unique
from sipclient import find


@pytest.fixture
def users(kam):
    made = []

    def make(name=None):
        u = ChatUser(kam, name or unique("u"))
        made.append(u)
        return u

    yield make
    for u in made:
        u.close()


def _assert_parted(kam, rid, guid, witness, revoked, reply):
    ntc = witness.wait_notice("part")
    assert find(ntc, "data/chanib").get("uri") == witness.room_uri(guid)
    assert find(ntc, "data/chanib/uib").get("uri") == revoked.uri
    assert revoked.uri not in kam.rpc("pchat_roster.room", f"s:{rid}")
    assert witness.uri in kam.rpc("pchat_roster.room", f"s:{rid}")
    assert "online_parted: 1" in reply
    # refused: 403, or 404 where the room is now hidden from the user
    assert revoked.post(guid, "still here?").status in (403, 404)
    assert witness.post(guid, "still allowed").status == 200


def test_removing_a_member_parts_its_sessions(kam, mariadb, users):
    a, b = users(), users()
    rid, guid, name = make_room(mariadb, privacy="closed", members=[a.uri, b.uri])
    assert a.join(guid).code == 200 and b.join(guid).code == 200
    a.wait_notice("join")
    reply = kam.admin("pchat.room_set", f"name={name}", f"remove_member={b.uri}")
    _assert_parted(kam, rid, guid, a, b, reply)


def test_every_session_of_a_removed_member_is_parted(kam, mariadb, users):
    a, b = users(), users()
    b2 = ChatUser(kam, b.user)  # the same user signed in twice
    try:
        rid, guid, name = make_room(mariadb, privacy="closed", members=[a.uri, b.uri])
        for u in (a, b, b2):
            assert u.join(guid).code == 200
        reply = kam.admin("pchat.room_set", f"name={name}", f"remove_member={b.uri}")
        assert "online_parted: 2" in reply
        assert b.uri not in kam.rpc("pchat_roster.room", f"s:{rid}")
        assert b2.post(guid, "and me?").status in (403, 404)
    finally:
        b2.close()


def test_an_ethical_wall_added_parts_the_user(kam, mariadb, users):
    a, b = users(), users()
    _, cat = make_category(mariadb)
    rid, guid, _ = make_room(mariadb, category=cat, privacy="open")
    assert a.join(guid).code == 200 and b.join(guid).code == 200
    reply = kam.admin("pchat.category_set", f"name={cat}", f"add_denied_member={b.uri}")
    _assert_parted(kam, rid, guid, a, b, reply)
    assert b.join(guid).code in (403, 404)  # the join refuses it too


def test_a_wall_on_a_parent_category_reaches_the_rooms_below(kam, mariadb, users):
    a, b = users(), users()
    _, top = make_category(mariadb)
    _, sub = make_category(mariadb, parent=top)
    rid, guid, _ = make_room(mariadb, category=sub, privacy="open")
    assert a.join(guid).code == 200 and b.join(guid).code == 200
    reply = kam.admin("pchat.category_set", f"name={top}", f"add_denied_member={b.uri}")
    _assert_parted(kam, rid, guid, a, b, reply)


def test_disabling_a_users_policy_parts_it_from_every_room(kam, mariadb, users):
    a, b = users(), users()
    rooms = [make_room(mariadb, privacy="open") for _ in range(2)]
    for rid, guid, _ in rooms:
        assert a.join(guid).code == 200 and b.join(guid).code == 200
    try:
        reply = kam.admin("pchat.policy_grant", f"scope=user:{b.uri}", "enabled=false")
        assert "online_parted: 2" in reply
        for rid, guid, _ in rooms:
            ntc = a.wait_notice("part")
            assert find(ntc, "data/chanib/uib").get("uri") == b.uri
            assert b.uri not in kam.rpc("pchat_roster.room", f"s:{rid}")
            assert b.post(guid, "policy?").status in (403, 404)
    finally:
        kam.admin("pchat.policy_grant", f"scope=user:{b.uri}", "enabled=default")


def test_removing_a_role_parts_only_who_lost_the_right(kam, mariadb, users):
    a, b = users(), users()
    rid, guid, name = make_room(mariadb, privacy="closed", members=[a.uri],
                                managers=[b.uri])
    assert a.join(guid).code == 200 and b.join(guid).code == 200
    reply = kam.admin("pchat.room_set", f"name={name}", f"remove_manager={b.uri}")
    _assert_parted(kam, rid, guid, a, b, reply)


def test_a_change_that_takes_nothing_away_parts_nobody(kam, mariadb, users):
    a, b = users(), users()
    rid, guid, name = make_room(mariadb, privacy="closed", members=[a.uri, b.uri])
    assert a.join(guid).code == 200 and b.join(guid).code == 200
    reply = kam.admin("pchat.room_set", f"name={name}", "topic=still friends")
    assert "online_parted: 0" in reply
    room = kam.rpc("pchat_roster.room", f"s:{rid}")
    assert a.uri in room and b.uri in room
    a.dlg.expect_no_server_info(within=0.5, predicate=lambda m: "ntc:part" in m.body)


def test_taking_a_user_out_of_a_member_group_parts_it(kam, mariadb, users):
    a, b = users(), users()
    grp = unique("grp")
    kam.admin("pchat.group_new", f"name={grp}", f"member={b.uri}")
    rid, guid, name = make_room(mariadb, privacy="closed", members=[a.uri])
    kam.admin("pchat.room_set", f"name={name}", f"add_member=group:{grp}")
    assert a.join(guid).code == 200 and b.join(guid).code == 200
    reply = kam.admin("pchat.group_set", f"name={grp}", f"remove_member={b.uri}")
    _assert_parted(kam, rid, guid, a, b, reply)


def test_putting_a_user_into_a_walled_group_parts_it(kam, mariadb, users):
    a, b = users(), users()
    grp = unique("grp")
    kam.admin("pchat.group_new", f"name={grp}")
    _, cat = make_category(mariadb, walls=[("denied", "group", grp)])
    rid, guid, _ = make_room(mariadb, category=cat, privacy="open")
    assert a.join(guid).code == 200 and b.join(guid).code == 200
    reply = kam.admin("pchat.group_set", f"name={grp}", f"add_member={b.uri}")
    _assert_parted(kam, rid, guid, a, b, reply)
