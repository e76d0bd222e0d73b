"""The channel service end to end: join, post, history, search and the
permission rules, with several real clients over TCP (doc/xccos.md §7.2)."""

import threading

import pytest

from admin import config_restored
from chat import ChatUser, make_category, make_room, roster_of, set_policy, unique
from sipclient import InviteRejected, SipClient, find, findall


@pytest.fixture
def users(kam):
    made = []

    def make(name=None, transport="tcp"):
        u = ChatUser(kam, name or unique("u"), transport)
        made.append(u)
        return u

    yield make
    for u in made:
        u.close()


def test_two_clients_chat_and_see_their_own_posts(kam, mariadb, users):
    _, guid, name = make_room(mariadb, privacy="open", description="general chatter")
    alice, bob = users(), users(transport="udp")
    rep = alice.join(guid)
    assert rep.code == 200
    chanib = find(rep.data, "chanib")
    assert chanib.get("name") == name and chanib.get("uri") == alice.room_uri(guid)
    assert bob.join(guid).code == 200
    ntc = alice.wait_notice("join")
    assert find(ntc, "data/uib").get("uri") == bob.uri

    assert alice.post(guid, "hello <bob> & all").status == 200
    for u in (alice, bob):  # the author gets the copy too
        msg = u.wait_message(guid)
        assert msg["author"] == alice.uri and msg["text"] == "hello <bob> & all"
    assert bob.post(guid, "hi alice").status == 200
    assert alice.wait_message(guid)["text"] == "hi alice"
    assert bob.wait_message(guid)["text"] == "hi alice"

    hist = alice.history(guid)
    msgs = findall(hist.data, "chanib/msg")
    assert [m.find("{urn:parlano:xml:ns:xccos}chat").text for m in msgs] == \
        ["hello <bob> & all", "hi alice"]
    assert [int(m.get("msgid")) for m in msgs] == [1, 2]
    for u in (alice, bob):
        u.dlg.assert_server_requests_ok()


def test_join_roster_lists_participants_and_managers(kam, mariadb, users):
    boss = users()
    _, guid, _ = make_room(mariadb, privacy="closed", managers=[boss.uri])
    member = users()
    mariadb.sql(f"INSERT INTO pchat_role SELECT id, 'member', 'user', '{member.uri.lower()}' "
                f"FROM pchat_node WHERE guid = '{guid}'", db="pchat")
    assert boss.join(guid).code == 200
    rep = member.join(guid)
    roster = roster_of(rep)[member.room_uri(guid)]
    assert roster[boss.uri.lower()] == {"3984", "12276"}
    assert roster[member.uri.lower()] == {"3984"}


def test_history_paging_before_and_limit_flag(kam, mariadb, users):
    _, guid, _ = make_room(mariadb)
    alice = users()
    alice.join(guid)
    for i in range(12):
        assert alice.post(guid, f"m{i}").status == 200
    last = findall(alice.history(guid, '<last cnt="5"/>').data, "chanib")[0]
    texts = [m.find("{urn:parlano:xml:ns:xccos}chat").text for m in last]
    assert texts == ["m7", "m8", "m9", "m10", "m11"] and last.get("more") == "true"
    oldest = int(last[0].get("msgid"))
    page = findall(alice.history(guid, f'<before id="{oldest}" cnt="5"/>').data, "chanib")[0]
    assert [m.find("{urn:parlano:xml:ns:xccos}chat").text for m in page] == \
        ["m2", "m3", "m4", "m5", "m6"]
    first = findall(alice.history(guid, '<before id="3" cnt="5"/>').data, "chanib")[0]
    assert len(first) == 2 and first.get("more") is None
    with config_restored(kam):
        kam.admin("pchat.config_set", "search_limit=4")  # applies at once
        cut = findall(alice.history(guid, '<last cnt="10"/>').data, "chanib")[0]
        assert len(cut) == 4 and cut.get("limited") == "true"
    rep = alice.history(guid, '<frobnicate/>')
    assert rep.code == 501


def test_a_dba_config_update_applies_within_seconds(kam, mariadb, users):
    """Commands use each process's copy of pchat_config, refreshed every
    second: an UPDATE made straight in the database applies without RPC."""
    import time
    _, guid, _ = make_room(mariadb)
    alice = users()
    alice.join(guid)
    for i in range(3):
        assert alice.post(guid, f"c{i}").status == 200
    with config_restored(kam):
        mariadb.sql("UPDATE pchat_config SET value = '2' WHERE name = 'search_limit'",
                    db="pchat")
        deadline = time.monotonic() + 5
        while True:
            cut = findall(alice.history(guid, '<last cnt="10"/>').data, "chanib")[0]
            if len(cut) == 2 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert len(cut) == 2 and cut.get("limited") == "true"


def test_history_survives_a_kamailio_restart(mariadb, kamailio_factory):
    _, guid, _ = make_room(mariadb)
    kam1 = kamailio_factory()
    alice = ChatUser(kam1, unique("u"))
    alice.join(guid)
    assert alice.post(guid, "before the restart").status == 200
    alice.close()
    kam1.stop()
    kam2 = kamailio_factory()
    bob = ChatUser(kam2, unique("u"))
    try:
        assert bob.join(guid).code == 200
        msgs = findall(bob.history(guid).data, "chanib/msg")
        assert msgs[-1].find("{urn:parlano:xml:ns:xccos}chat").text == "before the restart"
    finally:
        bob.close()


def test_bjoin_mixes_allowed_and_refused_rooms(kam, mariadb, users):
    alice = users()
    _, open_g, _ = make_room(mariadb, privacy="open")
    _, closed_g, _ = make_room(mariadb, privacy="closed")
    _, secret_g, _ = make_room(mariadb, privacy="secret")
    _, member_g, _ = make_room(mariadb, privacy="secret", members=[alice.uri])
    unknown = "00000000-0000-0000-0000-000000000000"
    rep = alice.bjoin([open_g, closed_g, secret_g, member_g, unknown])
    assert rep.code == 200
    joined = {c.get("uri") for c in findall(rep.data, "chanib")}
    assert joined == {alice.room_uri(open_g), alice.room_uri(member_g)}
    fibs = {f.get("value"): f.get("key") for f in findall(rep.data, "fib")}
    assert fibs == {closed_g: "ACCESS_DENIED", secret_g: "NOT_FOUND", unknown: "NOT_FOUND"}
    for f in findall(rep.data, "fib"):
        assert f.get("reason")


@pytest.mark.parametrize("privacy", ["open", "closed", "secret"])
@pytest.mark.parametrize("role", ["none", "member", "presenter", "manager"])
def test_permission_matrix_on_the_wire(kam, mariadb, users, privacy, role):
    u = users()
    roles = {"members": [], "presenters": [], "managers": []}
    if role != "none":
        roles[role + "s"] = [u.uri]
    _, guid, name = make_room(mariadb, privacy=privacy, **roles)
    may_join = privacy == "open" or role != "none"
    may_see = privacy != "secret" or role != "none"
    search = u.dlg.command("chansrch", f'<qib qtype="BYNAME" criteria="{name}" extended="false"/>')
    assert (len(findall(search.data, "chanib")) == 1) == may_see
    rep = u.join(guid)
    if may_join:
        assert rep.code == 200
        assert u.post(guid, "x").status == 200
        assert u.history(guid).code == 200
    else:
        assert rep.code == (403 if may_see else 404)
        assert rep.token == ("ACCESS_DENIED" if may_see else "NOT_FOUND")
        # not joined: cannot post; a hidden room is a missing one (no oracle)
        assert u.post(guid, "x").status == (403 if may_see else 404)
        assert u.history(guid).code == (403 if may_see else 404)


def test_auditorium_only_presenters_post(kam, mariadb, users):
    speaker, listener = users(), users()
    _, guid, _ = make_room(mariadb, room_type="auditorium", presenters=[speaker.uri])
    assert speaker.join(guid).code == 200 and listener.join(guid).code == 200
    resp = listener.post(guid, "may I?")
    assert resp.status == 403 and "only presenters" in resp.header("Warning")
    assert speaker.post(guid, "welcome").status == 200
    assert listener.wait_message(guid)["text"] == "welcome"


def test_disabled_room_refuses_join(kam, mariadb, users):
    u = users()
    _, guid, _ = make_room(mariadb, disabled=True, members=[u.uri])
    rep = u.join(guid)
    assert rep.code == 404  # a disabled room is hidden from non-managers
    boss = users()
    _, guid2, _ = make_room(mariadb, disabled=True, managers=[boss.uri])
    rep = boss.join(guid2)
    assert rep.code == 403 and "disabled" in find(rep.rpl, "data/error").text


def test_ethical_wall(kam, mariadb, users):
    inside, outside, denied = users(), users(), users()
    _, cat = make_category(mariadb, walls=[("allowed", "user", inside.uri.lower()),
                                           ("allowed", "user", denied.uri.lower()),
                                           ("denied", "user", denied.uri.lower())])
    _, guid, _ = make_room(mariadb, category=cat, privacy="open")
    assert inside.join(guid).code == 200
    for u in (outside, denied):
        rep = u.join(guid)
        assert rep.code == 404  # the wall hides the room entirely


def test_chansrch_applies_walls_and_roles_held_above_the_room(kam, mariadb, users):
    inside, outside, cat_member, nobody = users(), users(), users(), users()
    tag = unique("srchwall")
    cid, cat = make_category(mariadb, walls=[("allowed", "user", inside.uri.lower()),
                                             ("allowed", "user", cat_member.uri.lower())])
    make_room(mariadb, name=f"{tag}-walled", category=cat, privacy="open")
    sid, scat = make_category(mariadb)
    mariadb.sql(f"INSERT INTO pchat_role VALUES ({sid}, 'member', 'user', "
                f"'{cat_member.uri.lower()}')", db="pchat")
    make_room(mariadb, name=f"{tag}-secret", category=scat, privacy="secret")
    make_room(mariadb, name=f"{tag}-open", privacy="open")

    def found(u):
        rep = u.dlg.command("chansrch", f'<qib qtype="BYNAME" criteria="{tag}" extended="false"/>')
        assert rep.code == 200
        return {c.get("name") for c in findall(rep.data, "chanib")}
    assert found(inside) == {f"{tag}-walled", f"{tag}-open"}
    assert found(outside) == {f"{tag}-open"}  # the wall hides the room
    # a member of the category above a secret room sees it
    assert found(cat_member) == {f"{tag}-walled", f"{tag}-secret", f"{tag}-open"}
    assert found(nobody) == {f"{tag}-open"}


def test_policy_disabled_user_is_refused_at_invite(kam, mariadb):
    user = unique("nochat")
    set_policy(mariadb, "user", f"sip:{user}@{kam.domain}", False)
    client = SipClient("127.0.0.1", kam.port, transport="tcp", user=user, domain=kam.domain)
    try:
        with pytest.raises(InviteRejected) as err:
            client.invite(kam.service_uri)
        assert err.value.response.status == 403
        assert "not enabled" in err.value.response.header("Warning")
    finally:
        client.close()


def test_oversized_message_and_spoofed_author_are_refused(kam, mariadb, users):
    _, guid, _ = make_room(mariadb)
    alice, bob = users(), users()
    alice.join(guid)
    bob.join(guid)
    resp = alice.post(guid, "x" * 513)
    assert resp.status == 413 and "exceeds the limit of 512" in resp.header("Warning")
    resp = alice.post(guid, "I am bob", author=bob.uri)
    assert resp.status == 403 and "author" in resp.header("Warning")
    assert alice.post(guid, "é" * 512).status == 200  # characters, not bytes
    assert bob.wait_message(guid)["text"] == "é" * 512
    bob.dlg.expect_no_server_info(within=0.5, predicate=lambda m: "grpchat" in m.body)


def test_dead_client_is_cleaned_up_while_others_keep_receiving(kam, mariadb, users):
    _, guid, _ = make_room(mariadb)
    alice, bob, ghost = users(), users(), users()
    for u in (alice, bob, ghost):
        assert u.join(guid).code == 200
    ghost.dlg.auto_reply_code = 481  # the client forgot the dialog
    assert alice.post(guid, "one").status == 200
    part = bob.wait_notice("part")
    assert find(part, "data/chanib/uib").get("uri") == ghost.uri
    assert alice.post(guid, "two").status == 200
    assert [bob.wait_message(guid)["text"] for _ in range(2)] == ["one", "two"]
    assert not [s for s in kam.sessions() if s["call_id"] == ghost.dlg.call_id]


def test_bye_parts_every_room_and_notifies(kam, mariadb, users):
    _, g1, _ = make_room(mariadb)
    _, g2, _ = make_room(mariadb)
    stay, leave = users(), users()
    stay.bjoin([g1, g2])
    leave.bjoin([g1, g2])
    assert leave.dlg.bye().status == 200
    parted = {find(stay.wait_notice("part"), "data/chanib").get("uri") for _ in range(2)}
    assert parted == {stay.room_uri(g1), stay.room_uri(g2)}


def test_part_stops_delivery(kam, mariadb, users):
    _, guid, _ = make_room(mariadb)
    alice, bob = users(), users()
    alice.join(guid)
    bob.join(guid)
    rep = bob.part(guid)
    assert rep.code == 200 and find(rep.data, "chanib").get("uri") == bob.room_uri(guid)
    assert find(alice.wait_notice("part"), "data/chanib/uib").get("uri") == bob.uri
    alice.post(guid, "after part")
    assert alice.wait_message(guid)["text"] == "after part"
    bob.dlg.expect_no_server_info(within=0.5, predicate=lambda m: "grpchat" in m.body)


def test_chansrch_by_name_counts_online_users(kam, mariadb, users):
    tag = unique("findme")
    _, g1, n1 = make_room(mariadb, name=f"{tag}-Alpha", privacy="open")
    _, g2, n2 = make_room(mariadb, name=f"other-{tag.upper()}", privacy="closed")
    _, g3, _ = make_room(mariadb, name=f"{tag}-hidden", privacy="secret")
    _, g4, _ = make_room(mariadb, name=unique("x"), description=f"about {tag}")
    alice, bob = users(), users()
    alice.join(g1)
    bob.join(g1)
    rep = alice.dlg.command("chansrch", f'<qib qtype="BYNAME" criteria="{tag}" extended="false"/>')
    rooms = {c.get("name"): c for c in findall(rep.data, "chanib")}
    assert set(rooms) == {n1, n2}  # case-insensitive substring; secret hidden
    infos = {i.get("id"): i.text for i in findall(rooms[n1], "info")}
    assert infos["urn:parlano:ma:info:ucnt"] == "2"
    props = {p.get("id"): p.text for p in findall(rooms[n1], "prop")}
    assert props == {"urn:parlano:ma:prop:filepost": "true",
                     "urn:parlano:ma:prop:invite": "true",
                     "urn:parlano:ma:prop:logged": "true"}
    ext = alice.dlg.command("chansrch", f'<qib qtype="BYNAME" criteria="{tag}" extended="true"/>')
    assert len(findall(ext.data, "chanib")) == 3  # description matches too


def test_invitation_consumed_by_join(kam, mariadb, users):
    alice = users()
    rid, guid, name = make_room(mariadb, privacy="closed", members=[alice.uri])
    mariadb.sql(f"INSERT INTO pchat_invitation (room_id, user_uri, invited_by) VALUES "
                f"({rid}, '{alice.uri.lower()}', 'admin')", db="pchat")
    inv = findall(alice.dlg.command("getinv", '<inv inviteId="1" domain="example.com"/>').data,
                  "inv")
    assert [(i.get("chanUri"), i.get("name")) for i in inv] == [(alice.room_uri(guid), name)]
    alice.join(guid)
    assert findall(alice.dlg.command("getinv").data, "inv") == []


def test_preferences_are_stored_per_user(kam, users):
    alice, bob = users(), users()
    rep = alice.dlg.command("getpref", '<pref label="rooms" seqid="0" createdefault="false"/>')
    assert rep.code == 404
    rep = alice.dlg.command("setpref", '<pref label="rooms" seqid="0" content="QUJD"/>')
    assert rep.code == 200 and find(rep.data, "pref").get("seqid") == "1"
    rep = alice.dlg.command("getpref", '<pref label="rooms" seqid="0"/>')
    assert find(rep.data, "pref").get("content") == "QUJD"
    rep = alice.dlg.command("getpref", '<pref label="rooms" seqid="1"/>')
    assert find(rep.data, "pref").get("content") is None  # client is up to date
    stale = alice.dlg.command("setpref", '<pref label="rooms" seqid="0" content="WFla"/>')
    assert stale.code == 409
    assert bob.dlg.command("getpref", '<pref label="rooms" seqid="0"/>').code == 404


def test_nodespermcreatechild_lists_creator_categories(kam, mariadb, users):
    alice, bob = users(), users()
    # several grants naming alice, with one for others in between: listed once
    group = unique("g")
    mariadb.sql(f"INSERT INTO pchat_group (name) VALUES ('{group}'); INSERT INTO "
                f"pchat_group_member SELECT id, '{alice.uri.lower()}' FROM pchat_group "
                f"WHERE name = '{group}'", db="pchat")
    _, cat = make_category(mariadb, creators=[("user", alice.uri.lower()),
                                              ("domain", "other.example"),
                                              ("group", group)])
    names = [c.get("name") for c in findall(
        alice.dlg.command("nodespermcreatechild").data, "catib")]
    assert names.count(cat) == 1
    assert cat not in [c.get("name") for c in findall(
        bob.dlg.command("nodespermcreatechild").data, "catib")]


def test_two_hundred_clients_receive_every_message_once_in_order(kam, mariadb):
    _, guid, _ = make_room(mariadb)
    members, errors = [], []
    lock = threading.Lock()

    def sign_in(i):
        try:
            u = ChatUser(kam, f"crowd{i}-{unique('c')}")
            assert u.join(guid, timeout=30).code == 200
            with lock:
                members.append(u)
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=sign_in, args=(i,)) for i in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    try:
        assert not errors, errors[:3]
        assert len(members) == 200
        poster = members[0]
        for i in range(5):
            assert poster.post(guid, f"broadcast {i}", timeout=30).status == 200
        for u in members:
            got = [u.wait_message(guid, timeout=30)["text"] for _ in range(5)]
            assert got == [f"broadcast {i}" for i in range(5)]
            u.dlg.expect_no_server_info(within=0.01, predicate=lambda m: "grpchat" in m.body)
    finally:
        for u in members:
            u.close()


def test_closed_connection_ends_sessions_and_notifies(kam, mariadb, users):
    _, guid, _ = make_room(mariadb)
    stay = users()
    gone = ChatUser(kam, unique("u"))
    stay.join(guid)
    gone.join(guid)
    call_id = gone.dlg.call_id
    gone.close()  # no BYE: the client just went away
    part = stay.wait_notice("part")
    assert find(part, "data/chanib/uib").get("uri") == gone.uri
    assert not [s for s in kam.sessions() if s["call_id"] == call_id]
    stay.post(guid, "still here")
    assert stay.wait_message(guid)["text"] == "still here"


def test_the_whole_sipe_flow(kam, mariadb):
    """doc/xccos.md §7.2 as pidgin-sipe does it, branchless Vias included."""
    _, guid, name = make_room(mariadb, name=unique("Sipe Room"), privacy="open")
    client = SipClient("127.0.0.1", kam.port, transport="tcp", user=unique("sipe"),
                       domain=kam.domain, branch_style="none")
    try:
        lookup = client.invite(kam.lookup_uri)
        assert lookup.session_expires
        uri = find(lookup.command("requri").data, "uib").get("uri")
        assert lookup.bye().status == 200
        chat = client.invite(uri)
        room = f"ma-chan://{kam.domain}/{guid}"
        rep = chat.command("bjoin", f'<chanid key="0" domain="{kam.domain}" value="{guid}"/>')
        assert [c.get("uri") for c in findall(rep.data, "chanib")] == [room]
        assert chat.command("getinv", f'<inv inviteId="1" domain="{kam.domain}"/>').code == 200
        # by name: the whole test database would not fit one reply
        found = chat.command("chansrch", f'<qib qtype="BYNAME" criteria="{name}" '
                                         'extended="false"/>')
        assert room in [c.get("uri") for c in findall(found.data, "chanib")]
        assert chat.command("join", f'<chanid key="0" domain="{kam.domain}" '
                                    f'value="{guid}"/>').code == 200
        hist = chat.command("bccontext", f'<chanib uri="{room}"/><bcq><last cnt="25"/></bcq>')
        assert hist.code == 200
        _, body = client.make_envelope(
            f'<grpchat id="grpchat" seqid="1" chanUri="{room}" author="{client.aor}" '
            f'ts="2026-11-25T10:15:00Z"><chat>line one\r\nline two</chat></grpchat>')
        assert chat.send_xccos(body).status == 200
        echo = chat.wait_server_info(lambda m: "<grpchat" in m.body)
        assert "line one" in echo.body and f'author="{client.aor}"' in echo.body
        assert chat.update().status == 200
        assert chat.command("part", f'<chanib uri="{room}"/>').code == 200
        assert chat.bye().status == 200
        chat.assert_server_requests_ok()
    finally:
        client.close()


def test_roster_notices_stop_above_participant_update_limit(kam, mariadb, users):
    _, guid, _ = make_room(mariadb)
    a, b, c = users(), users(), users()
    with config_restored(kam):
        kam.admin("pchat.config_set", "participant_update_limit=2")
        a.join(guid)
        b.join(guid)
        assert find(a.wait_notice("join"), "data/uib").get("uri") == b.uri
        c.join(guid)  # now 3 > 2: no roster notices
        c.part(guid)
        is_ntc = lambda m: "<ntc" in m.body  # noqa: E731
        a.dlg.expect_no_server_info(within=0.5, predicate=is_ntc)
        b.dlg.expect_no_server_info(within=0.1, predicate=is_ntc)
        b.part(guid)  # back at 2 before b leaves: a is told
        assert find(a.wait_notice("part"), "data/chanib/uib").get("uri") == b.uri


def test_roster_rpc_and_counters(mariadb, kamailio_factory):
    # an instance of its own: sessions other tests leave behind are still
    # being cleaned up in the shared one, which moves the counters
    kam = kamailio_factory()
    rid, guid, _ = make_room(mariadb)
    a, b = ChatUser(kam, unique("u")), ChatUser(kam, unique("u"))
    try:
        a.join(guid)
        b.join(guid)
        rooms = kam.rpc("pchat_roster.rooms")
        assert f"room_id: {rid}" in rooms and "participants: 2" in rooms
        room = kam.rpc("pchat_roster.room", f"s:{rid}")
        assert a.uri in room and b.uri in room and "roles: " in room
        assert "shm_per_entry_bytes: " in kam.rpc("pchat_roster.stats")
        assert int(kam.rpc("cnt.get", "pchat_roster", "memberships").strip()) == 2
        assert int(kam.rpc("cnt.get", "pchat_roster", "sessions").strip()) == 2
        b.part(guid)
        assert b.uri not in kam.rpc("pchat_roster.room", f"s:{rid}")
        assert int(kam.rpc("cnt.get", "pchat_roster", "memberships").strip()) == 1
        assert int(kam.rpc("cnt.get", "pchat_roster", "sessions").strip()) == 1
    finally:
        a.close()
        b.close()


def test_a_client_that_does_not_answer_does_not_hold_up_the_others(kam, mariadb, users):
    _, guid, _ = make_room(mariadb)
    poster, fast, mute = users(), users(), users()
    for u in (poster, fast, mute):
        assert u.join(guid).code == 200
    mute.dlg.auto_answer = False  # receives, never answers our INFOs
    for i in range(3):
        assert poster.post(guid, f"m{i}").status == 200
    assert [fast.wait_message(guid)["text"] for _ in range(3)] == ["m0", "m1", "m2"]
    assert [poster.wait_message(guid)["text"] for _ in range(3)] == ["m0", "m1", "m2"]


def test_a_new_dialog_starts_clean(kam, mariadb, users):
    _, guid, _ = make_room(mariadb)
    poster, u = users(), users()
    poster.join(guid)
    u.join(guid)
    assert u.dlg.bye().status == 200
    again = u.client.invite(kam.service_uri)  # reconnect: a new session
    poster.post(guid, "only for joined sessions")
    assert poster.wait_message(guid)["text"] == "only for joined sessions"
    again.expect_no_server_info(within=0.5, predicate=lambda m: "grpchat" in m.body)


def test_removing_a_room_parts_its_online_participants(kam, mariadb, users):
    rid, guid, name = make_room(mariadb)
    a = users()
    a.join(guid)
    assert a.uri in kam.rpc("pchat_roster.room", f"s:{rid}")
    removed = kam.admin("pchat.room_remove", f"name={name}")
    assert "online_parted: 1" in removed
    assert a.uri not in kam.rpc("pchat_roster.room", f"s:{rid}")
    assert a.post(guid, "anyone?").status == 404
