"""Admin RPCs for rooms and their history against real Kamailio and MariaDB.

pchat.room_new/_get/_set/_remove/_clear and pchat.message_remove (Lync
New-/Get-/Set-/Remove-/Clear-CsPersistentChatRoom, Remove-CsPersistentChat
Message): every success path, every refusal with its code and message, the
ethical walls of categories and their ancestors, invitations, and a realistic
directory read back through the room_get filters.

The RPCs are called through pchatctl (kam.admin: JSON-RPC over the FIFO), as an operator would,
when it is built (PCHATCTL); add-ins and groups are created in the store
directly, their RPCs being another file's work. Each test names its
rooms and categories uniquely since the module's Kamailio shares one store.
"""

import datetime
import itertools
import os

import pytest

from admin import call, fails, one
from kamailio import PCHATCTL, pchatctl
from chat import uid  # noqa: E402

DEFAULT_REPLACEMENT = "This message was replaced by the Persistent Chat administrator."


# ---------------------------------------------------------------- helpers

def names(rooms):
    return {r["name"] for r in rooms}


def q(value):
    """An SQL string literal for test-made values."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def room_id(mariadb, name):
    rows = mariadb.sql(f"SELECT id FROM pchat_node WHERE kind = 'room' AND name = {q(name)}",
                       db="pchat")
    return rows[0][0] if rows else None


def new_group(mariadb, name, *users):
    mariadb.sql(f"INSERT INTO pchat_group (name) VALUES ({q(name)})", db="pchat")
    for user in users:
        mariadb.sql(f"INSERT INTO pchat_group_member (group_id, user_uri) "
                    f"SELECT id, {q(user)} FROM pchat_group WHERE name = {q(name)}", db="pchat")


def new_addin(mariadb, name):
    mariadb.sql(f"INSERT INTO pchat_addin (name, url) VALUES ({q(name)}, "
                f"'https://addins.example.com/{name}')", db="pchat")


def new_category(kam, *args):
    name = f"cat-{uid()}"
    one(kam, "pchat.category_new", f"name={name}", *args)
    return name


def ms(iso):
    return int(datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def add_messages(mariadb, room, messages):
    """Posts (iso time, author, content) to a room as the chat service would:
    consecutive seq from the room's last_seq, which is moved on."""
    rid = room_id(mariadb, room)
    last = int(mariadb.sql(f"SELECT last_seq FROM pchat_node WHERE id = {rid}", db="pchat")[0][0])
    values = []
    for seq, (iso, author, content) in enumerate(messages, start=last + 1):
        values.append(f"({rid}, {seq}, {ms(iso)}, {q(author)}, {q(content)})")
    mariadb.sql("INSERT INTO pchat_message (room_id, seq, ts_ms, author, content) VALUES "
                + ", ".join(values) + f"; UPDATE pchat_node SET last_seq = {last + len(messages)} "
                f"WHERE id = {rid}", db="pchat")


def messages(mariadb, room):
    """(seq, author, content, status) of a room, in order."""
    rid = room_id(mariadb, room)
    return [(int(s), a, c, st) for s, a, c, st in mariadb.sql(
        f"SELECT seq, author, content, status FROM pchat_message WHERE room_id = {rid} "
        "ORDER BY seq", db="pchat")]


def invitations(mariadb, room):
    rid = room_id(mariadb, room)
    return sorted(mariadb.sql(f"SELECT user_uri, invited_by FROM pchat_invitation "
                              f"WHERE room_id = {rid}", db="pchat"))


# ---------------------------------------------------------------- room_new

def test_room_new_defaults(kam, mariadb):
    cat = new_category(kam)
    name = f"room-{uid()}"
    room = one(kam, "pchat.room_new", f"name={name}", f"category={cat}")
    assert room["name"] == name
    assert room["category"] == cat
    assert room["uri"].startswith(f"ma-chan://{kam.domain}/")
    guid = mariadb.sql(f"SELECT guid FROM pchat_node WHERE name = {q(name)}", db="pchat")[0][0]
    assert room["uri"] == f"ma-chan://{kam.domain}/{guid}"
    assert (room["privacy"], room["type"], room["invitations"], room["disabled"]) == \
        ("closed", "normal", "inherit", "0")
    assert (room["description"], room["topic"], room["addin"]) == ("", "", "")
    assert room["members"] == room["managers"] == room["presenters"] == []
    assert room["messages"] == "0"
    assert call(kam, "pchat.room_get", f"name={name}") == [room]


def test_room_new_every_field(kam, mariadb):
    grp = f"grp-{uid()}"
    new_group(mariadb, grp, "sip:gina@corp.example")
    addin = f"addin-{uid()}"
    new_addin(mariadb, addin)
    cat = new_category(kam)
    name = f"Room {uid()} with spaces"
    room = one(kam, "pchat.room_new", f"name={name}", f"category={cat}",
               "description=Quarterly numbers", "topic=Q3 close", "privacy=Secret",
               "type=auditorium", "invitations=false", "disabled=true", f"addin={addin}",
               "member=sip:Ann@Corp.Example", "member=domain:partner.example",
               f"member=group:{grp}")
    assert room["name"] == name
    assert room["description"] == "Quarterly numbers"
    assert room["topic"] == "Q3 close"
    assert (room["privacy"], room["type"], room["invitations"], room["disabled"]) == \
        ("secret", "auditorium", "false", "1")
    assert room["addin"] == addin
    # users and domains are stored lower case
    assert sorted(room["members"]) == sorted(
        ["sip:ann@corp.example", "domain:partner.example", f"group:{grp}"])
    rows = mariadb.sql(f"SELECT principal_type, principal FROM pchat_role WHERE node_id = "
                       f"{room_id(mariadb, name)} AND role = 'member' ORDER BY 1", db="pchat")
    assert rows == [("user", "sip:ann@corp.example"), ("domain", "partner.example"),
                    ("group", grp)]


def test_room_new_utf8_names_count_characters(kam):
    cat = new_category(kam)
    tag = uid()
    name = tag + "é" * (256 - len(tag))  # 256 characters, 504 bytes
    assert one(kam, "pchat.room_new", f"name={name}", f"category={cat}")["name"] == name
    fails(kam, 400, "field 'name': longer than 256 characters",
                 "pchat.room_new", f"name={name}é", f"category={cat}")
    fails(kam, 400, "field 'description': longer than 256 characters",
                 "pchat.room_new", f"name=r-{uid()}", f"category={cat}", "description=" + "d" * 257)
    fails(kam, 400, "field 'topic': longer than 256 characters",
                 "pchat.room_new", f"name=r-{uid()}", f"category={cat}", "topic=" + "t" * 257)


@pytest.mark.parametrize("args, code, message", [
    ([], 400, "field 'name' is required"),
    (["name="], 400, "field 'name' must not be empty"),
    (["name=@"], 400, "field 'category' is required"),
    (["name=@", "category=@", "privacy=public"], 400,
     "field 'privacy': must be open, closed or secret, not 'public'"),
    (["name=@", "category=@", "type=lecture"], 400,
     "field 'type': must be normal or auditorium, not 'lecture'"),
    (["name=@", "category=@", "invitations=true"], 400,
     "field 'invitations': must be inherit or false, not 'true'"),
    (["name=@", "category=@", "disabled=maybe"], 400,
     "field 'disabled': 'maybe' is not a boolean"),
    (["name=@", "category=@", "colour=red"], 400, "unknown field 'colour'"),
    (["name=@", "category=@", "member=alice"], 400,
     "field 'member': 'alice' is not a principal"),
    (["name=@", "category=@", "name=again"], 400, "field 'name' given more than once"),
    (["name=@", "category=@", "justtext"], 400, "parameter 'justtext': expected field=value"),
    (["name=@", "category=no-such-category-anywhere"], 404,
     "field 'category': no category named 'no-such-category-anywhere'"),
    (["name=@", "category=@", "addin=no-such-addin"], 404,
     "field 'addin': no add-in named 'no-such-addin'"),
    (["name=@", "category=@", "member=group:no-such-group"], 404,
     "field 'member': no group named 'no-such-group'"),
])
def test_room_new_refusals(kam, args, code, message):
    cat = new_category(kam)
    name = f"room-{uid()}"
    args = [a.replace("name=@", f"name={name}").replace("category=@", f"category={cat}")
            for a in args]
    fails(kam, code, message, "pchat.room_new", *args)
    assert call(kam, "pchat.room_get", f"name={name}") == []


def test_room_new_duplicate_name_is_409_ignoring_case(kam):
    cat = new_category(kam)
    other = new_category(kam)
    name = f"Dup-{uid()}"
    one(kam, "pchat.room_new", f"name={name}", f"category={cat}")
    for clash in (name, name.upper(), name.lower()):
        fails(kam, 409, f"field 'name': a room named '{clash}' already exists",
                     "pchat.room_new", f"name={clash}", f"category={other}")
    rooms = call(kam, "pchat.room_get", f"category={other}")
    assert rooms == []


# ---------------------------------------------------------------- walls

@pytest.fixture(scope="module")
def walls(kam, mariadb):
    """Markets (allowed: bank domain; denied: analysts) > FX (allowed: traders
    group, bank domain); Research (allowed: research domain and analysts;
    denied: mallory)."""
    u = uid()
    w = {
        "bank": f"bank-{u}.example",
        "research": f"research-{u}.example",
        "traders": f"traders-{u}",
        "analysts": f"analysts-{u}",
    }
    w["alice"] = f"sip:alice@{w['bank']}"      # trader
    w["carol"] = f"sip:carol@{w['bank']}"      # analyst at the bank
    w["dan"] = f"sip:dan@{w['bank']}"          # bank, no group
    w["dave"] = f"sip:dave@{w['research']}"    # analyst
    w["mallory"] = f"sip:mallory@{w['research']}"
    w["pat"] = f"sip:pat@partner-{u}.example"
    new_group(mariadb, w["traders"], w["alice"])
    new_group(mariadb, w["analysts"], w["carol"], w["dave"])
    w["markets"] = new_category(kam, f"allowed_member=domain:{w['bank']}",
                                f"denied_member=group:{w['analysts']}")
    w["fx"] = f"fx-{u}"
    one(kam, "pchat.category_new", f"name={w['fx']}", f"parent={w['markets']}",
        f"allowed_member=group:{w['traders']}", f"allowed_member=domain:{w['bank']}")
    w["research_cat"] = new_category(kam, f"allowed_member=domain:{w['research']}",
                                     f"allowed_member=group:{w['analysts']}",
                                     f"denied_member={w['mallory']}")
    w["open"] = new_category(kam)
    return w


def test_wall_admits_allowed_principals(kam, walls):
    w = walls
    room = one(kam, "pchat.room_new", f"name=m-{uid()}", f"category={w['markets']}",
               f"member={w['alice']}", f"member={w['dan']}", f"member=domain:{w['bank']}")
    assert sorted(room["members"]) == sorted([w["alice"], w["dan"], f"domain:{w['bank']}"])
    room = one(kam, "pchat.room_new", f"name=r-{uid()}", f"category={w['research_cat']}",
               f"member={w['dave']}", f"member={w['carol']}",  # carol: via analysts
               f"member=group:{w['analysts']}")
    assert len(room["members"]) == 3


def test_wall_refuses_outside_allowed(kam, walls):
    w = walls
    name = f"m-{uid()}"
    fails(kam, 403, f"field 'member': {w['pat']} is outside the ethical wall of "
                 f"category '{w['markets']}' (not allowed)",
                 "pchat.room_new", f"name={name}", f"category={w['markets']}",
                 f"member={w['alice']}", f"member={w['pat']}")
    assert call(kam, "pchat.room_get", f"name={name}") == []
    # a group is only covered by a group row, not by its members' domain
    fails(kam, 403, f"group:{w['traders']} is outside the ethical wall of "
                 f"category '{w['markets']}' (not allowed)",
                 "pchat.room_new", f"name={name}", f"category={w['markets']}",
                 f"member=group:{w['traders']}")


def test_wall_refuses_denied(kam, walls):
    w = walls
    name = f"m-{uid()}"
    # carol is at the bank (allowed) but an analyst (denied)
    fails(kam, 403, f"field 'member': {w['carol']} is outside the ethical wall of "
                 f"category '{w['markets']}' (denied)",
                 "pchat.room_new", f"name={name}", f"category={w['markets']}",
                 f"member={w['carol']}")
    fails(kam, 403, f"group:{w['analysts']} is outside the ethical wall of category "
                 f"'{w['markets']}' (denied)",
                 "pchat.room_new", f"name={name}", f"category={w['markets']}",
                 f"member=group:{w['analysts']}")
    fails(kam, 403, f"{w['mallory']} is outside the ethical wall of category "
                 f"'{w['research_cat']}' (denied)",
                 "pchat.room_new", f"name={name}", f"category={w['research_cat']}",
                 f"member={w['mallory']}")
    assert call(kam, "pchat.room_get", f"name={name}") == []


def test_wall_of_ancestor_category_applies(kam, walls):
    w = walls
    name = f"fx-room-{uid()}"
    # FX allows the traders group, but its parent Markets only the bank domain
    fails(kam, 403, f"group:{w['traders']} is outside the ethical wall of category "
                 f"'{w['markets']}' (not allowed)",
                 "pchat.room_new", f"name={name}", f"category={w['fx']}",
                 f"member=group:{w['traders']}")
    # carol passes FX (bank domain) but Markets denies analysts
    fails(kam, 403, f"{w['carol']} is outside the ethical wall of category "
                 f"'{w['markets']}' (denied)",
                 "pchat.room_new", f"name={name}", f"category={w['fx']}", f"member={w['carol']}")
    # the nearest refusing category is named
    fails(kam, 403, f"{w['pat']} is outside the ethical wall of category '{w['fx']}' "
                 "(not allowed)",
                 "pchat.room_new", f"name={name}", f"category={w['fx']}", f"member={w['pat']}")
    room = one(kam, "pchat.room_new", f"name={name}", f"category={w['fx']}",
               f"member={w['alice']}", f"member={w['dan']}")
    assert sorted(room["members"]) == sorted([w["alice"], w["dan"]])


def test_wall_applies_to_room_set_adds_and_moves(kam, walls):
    w = walls
    name = f"open-{uid()}"
    one(kam, "pchat.room_new", f"name={name}", f"category={w['open']}", f"member={w['pat']}")
    for key in ("add_member", "add_manager", "add_presenter"):
        fails(kam, 403, f"field '{key}': {w['carol']} is outside the ethical wall of "
                     f"category '{w['markets']}' (denied)",
                     "pchat.room_set", f"name={name}", f"category={w['markets']}",
                     f"{key}={w['carol']}")
    # the refused call changed nothing, not even the category
    room = one(kam, "pchat.room_get", f"name={name}")
    assert room["category"] == w["open"] and room["managers"] == []
    # the wall of the new category applies, not the old one
    fails(kam, 403, f"{w['pat']} is outside the ethical wall of category "
                 f"'{w['markets']}' (not allowed)",
                 "pchat.room_set", f"name={name}", f"category={w['markets']}",
                 f"add_manager={w['pat']}")
    room = one(kam, "pchat.room_set", f"name={name}", f"category={w['markets']}",
               f"add_manager={w['alice']}", f"add_presenter={w['dan']}")
    assert room["category"] == w["markets"]
    assert room["managers"] == [w["alice"]] and room["presenters"] == [w["dan"]]
    # in the open category the same principals were fine
    other = f"open-{uid()}"
    one(kam, "pchat.room_new", f"name={other}", f"category={w['open']}")
    room = one(kam, "pchat.room_set", f"name={other}", f"add_member={w['carol']}",
               f"add_manager={w['mallory']}", f"add_presenter={w['pat']}")
    assert (room["members"], room["managers"], room["presenters"]) == \
        ([w["carol"]], [w["mallory"]], [w["pat"]])


# ---------------------------------------------------------------- invitations

def test_invitations_for_user_members_when_the_category_invites(kam, mariadb):
    grp = f"grp-{uid()}"
    new_group(mariadb, grp, "sip:gus@inv.example")
    cat = new_category(kam, "invitations=true")
    name = f"inv-{uid()}"
    one(kam, "pchat.room_new", f"name={name}", f"category={cat}",
        "member=sip:ann@inv.example", "member=sip:Bea@Inv.Example",
        "member=domain:inv.example", f"member=group:{grp}")
    # only users are invited: a domain or group has no one to send to
    assert invitations(mariadb, name) == [("sip:ann@inv.example", "admin"),
                                         ("sip:bea@inv.example", "admin")]
    one(kam, "pchat.room_set", f"name={name}", "add_member=sip:cy@inv.example",
        "add_manager=sip:dee@inv.example")
    assert [u for u, _ in invitations(mariadb, name)] == \
        ["sip:ann@inv.example", "sip:bea@inv.example", "sip:cy@inv.example"]
    # a user who already is a member is not invited again
    mariadb.sql(f"DELETE FROM pchat_invitation WHERE user_uri = 'sip:ann@inv.example' "
                f"AND room_id = {room_id(mariadb, name)}", db="pchat")
    one(kam, "pchat.room_set", f"name={name}", "add_member=sip:ann@inv.example")
    assert [u for u, _ in invitations(mariadb, name)] == \
        ["sip:bea@inv.example", "sip:cy@inv.example"]
    # a removed member's pending invitation goes with the membership
    room = one(kam, "pchat.room_set", f"name={name}", "remove_member=sip:bea@inv.example")
    assert "sip:bea@inv.example" not in room["members"]
    assert [u for u, _ in invitations(mariadb, name)] == ["sip:cy@inv.example"]


def test_no_invitations_when_the_category_does_not_invite(kam, mariadb):
    cat = new_category(kam, "invitations=false")
    name = f"inv-{uid()}"
    one(kam, "pchat.room_new", f"name={name}", f"category={cat}", "member=sip:ann@inv.example")
    one(kam, "pchat.room_set", f"name={name}", "add_member=sip:bo@inv.example")
    assert invitations(mariadb, name) == []
    assert len(one(kam, "pchat.room_get", f"name={name}")["members"]) == 2


def test_no_invitations_when_the_room_says_false(kam, mariadb):
    cat = new_category(kam, "invitations=true")
    name = f"inv-{uid()}"
    one(kam, "pchat.room_new", f"name={name}", f"category={cat}", "invitations=false",
        "member=sip:ann@inv.example")
    assert invitations(mariadb, name) == []
    # back to inherit: users added from now on are invited
    one(kam, "pchat.room_set", f"name={name}", "invitations=inherit",
        "add_member=sip:bo@inv.example")
    assert invitations(mariadb, name) == [("sip:bo@inv.example", "admin")]
    one(kam, "pchat.room_set", f"name={name}", "invitations=false",
        "add_member=sip:cy@inv.example")
    assert invitations(mariadb, name) == [("sip:bo@inv.example", "admin")]


def test_moving_a_room_uses_the_new_categorys_invitations(kam, mariadb):
    quiet = new_category(kam, "invitations=false")
    loud = new_category(kam, "invitations=true")
    name = f"inv-{uid()}"
    one(kam, "pchat.room_new", f"name={name}", f"category={quiet}")
    one(kam, "pchat.room_set", f"name={name}", f"category={loud}",
        "add_member=sip:ann@inv.example")
    assert invitations(mariadb, name) == [("sip:ann@inv.example", "admin")]


# ---------------------------------------------------------------- room_get

@pytest.fixture(scope="module")
def directory(kam, mariadb):
    """A realistic directory built the way an administrator's script would:
    four categories (two with walls, one nested), 64 rooms with members,
    managers and presenters given as users, domains and groups, add-ins and
    disabled rooms. Returns the model the script used, to compare with."""
    u = uid()
    bank, lab = f"bank-{u}.example", f"lab-{u}.example"
    traders, quants = f"traders-{u}", f"quants-{u}"
    users = {n: f"sip:{n}@{bank}" for n in ("ana", "ben", "cid", "dora")}
    users.update({n: f"sip:{n}@{lab}" for n in ("eli", "fay", "gil")})
    new_group(mariadb, traders, users["ana"], users["ben"])
    new_group(mariadb, quants, users["eli"], users["fay"], users["cid"])
    addins = [f"ticker-{u}", f"wiki-{u}"]
    for a in addins:
        new_addin(mariadb, a)
    cats = {
        "desk": f"Desk-{u}",
        "fx": f"FX-{u}",
        "lab": f"Lab-{u}",
        "hall": f"Hall-{u}",
    }
    one(kam, "pchat.category_new", f"name={cats['desk']}", f"allowed_member=domain:{bank}",
        f"allowed_member=group:{traders}", f"denied_member=group:{quants}")
    one(kam, "pchat.category_new", f"name={cats['fx']}", f"parent={cats['desk']}",
        f"allowed_member=group:{traders}", f"allowed_member=domain:{bank}")
    one(kam, "pchat.category_new", f"name={cats['lab']}", f"allowed_member=domain:{lab}",
        f"allowed_member=group:{quants}")
    one(kam, "pchat.category_new", f"name={cats['hall']}", "invitations=false")

    # who may sit where (inside the walls)
    eligible = {
        "desk": [users["ana"], users["ben"], users["dora"], f"domain:{bank}",
                 f"group:{traders}"],
        "fx": [users["ana"], users["ben"], users["dora"], f"domain:{bank}"],
        "lab": [users["eli"], users["fay"], users["gil"], users["cid"], f"domain:{lab}",
                f"group:{quants}"],
        "hall": list(users.values()) + [f"domain:{bank}", f"domain:{lab}", f"group:{traders}",
                                        f"group:{quants}"],
    }
    plan = [("desk", 20), ("fx", 12), ("lab", 20), ("hall", 12)]
    privacies = itertools.cycle(["open", "closed", "secret"])
    model = {}
    n = 0
    for cat, count in plan:
        pool = eligible[cat]
        for i in range(count):
            n += 1
            name = f"{cats[cat]}-room-{i:02d}"
            room = {
                "name": name,
                "category": cats[cat],
                "privacy": next(privacies),
                "type": "auditorium" if n % 5 == 0 else "normal",
                "invitations": "false" if n % 7 == 0 else "inherit",
                "disabled": "1" if n % 9 == 0 else "0",
                "addin": addins[n % 2] if n % 4 == 0 else "",
                "description": f"{'Pricing' if n % 3 == 0 else 'General'} talk #{n}",
                "members": sorted({pool[n % len(pool)], pool[(n + 2) % len(pool)]}),
                "managers": [pool[(n + 1) % len(pool)]] if n % 2 == 0 else [],
                "presenters": [pool[n % len(pool)]] if n % 5 == 0 else [],
            }
            args = [f"name={name}", f"category={room['category']}",
                    f"privacy={room['privacy']}", f"type={room['type']}",
                    f"invitations={room['invitations']}", f"disabled={room['disabled']}",
                    f"description={room['description']}"]
            if room["addin"]:
                args.append(f"addin={room['addin']}")
            args += [f"member={m}" for m in room["members"]]
            one(kam, "pchat.room_new", *args)
            if room["managers"] or room["presenters"]:
                one(kam, "pchat.room_set", f"name={name}",
                    *[f"add_manager={m}" for m in room["managers"]],
                    *[f"add_presenter={p}" for p in room["presenters"]])
            model[name] = room
    return {"cats": cats, "users": users, "groups": (traders, quants), "addins": addins,
            "domains": (bank, lab), "model": model, "tag": u}


def pick(directory, **conds):
    return {n for n, r in directory["model"].items()
            if all(cond(r) for cond in conds.values())}


def test_directory_reads_back_whole(kam, directory):
    model = directory["model"]
    assert len(model) == 64
    for cat in directory["cats"].values():
        got = call(kam, "pchat.room_get", f"category={cat}")
        assert names(got) == {n for n, r in model.items() if r["category"] == cat}
        for room in got:
            want = model[room["name"]]
            for key in ("category", "privacy", "type", "invitations", "disabled", "addin",
                        "description"):
                assert room[key] == want[key], (room, want)
            assert sorted(room["members"]) == want["members"]
            assert sorted(room["managers"]) == want["managers"]
            assert sorted(room["presenters"]) == want["presenters"]
            assert room["messages"] == "0"
        # sorted by name
        assert [r["name"] for r in got] == sorted(r["name"] for r in got)


def test_directory_filters(kam, directory):
    cats, users, model = directory["cats"], directory["users"], directory["model"]
    traders, quants = directory["groups"]
    bank, _ = directory["domains"]

    def check(*args, **conds):
        got = names(call(kam, "pchat.room_get", *args))
        want = pick(directory, **conds)
        assert want, f"the model has no room for {args}"
        assert got == want, args

    check(f"member={users['ana']}", m=lambda r: users["ana"] in r["members"])
    check(f"member=domain:{bank}", m=lambda r: f"domain:{bank}" in r["members"])
    check(f"member=group:{quants}", m=lambda r: f"group:{quants}" in r["members"])
    check(f"manager={users['ben']}", m=lambda r: users["ben"] in r["managers"])
    check(f"manager=group:{traders}", m=lambda r: f"group:{traders}" in r["managers"])
    # the exact principal: being in a member domain is not enough
    check(f"member={users['dora']}", m=lambda r: users["dora"] in r["members"])
    for privacy in ("open", "closed", "secret"):
        check(f"category={cats['lab']}", f"privacy={privacy}",
              c=lambda r: r["category"] == cats["lab"], p=lambda r, p=privacy: r["privacy"] == p)
    check(f"category={cats['desk']}", "type=auditorium",
          c=lambda r: r["category"] == cats["desk"], t=lambda r: r["type"] == "auditorium")
    check(f"category={cats['fx']}", "disabled=false",
          c=lambda r: r["category"] == cats["fx"], d=lambda r: r["disabled"] == "0")
    check(f"category={cats['hall']}", "disabled=yes",
          c=lambda r: r["category"] == cats["hall"], d=lambda r: r["disabled"] == "1")
    check(f"addin={directory['addins'][0]}", a=lambda r: r["addin"] == directory["addins"][0])
    check(f"category={cats['lab']}", "invitations=false",
          c=lambda r: r["category"] == cats["lab"], i=lambda r: r["invitations"] == "false")
    # search: case-insensitive part of the name or of the description
    check(f"search={directory['tag']}-ROOM-1", s=lambda r: "-room-1" in r["name"])
    check(f"category={cats['desk']}", "search=pricing",
          c=lambda r: r["category"] == cats["desk"], s=lambda r: "Pricing" in r["description"])
    # combined filters narrow each other
    check(f"member={users['eli']}", "type=normal", f"category={cats['hall']}",
          m=lambda r: users["eli"] in r["members"], t=lambda r: r["type"] == "normal",
          c=lambda r: r["category"] == cats["hall"])
    check(f"name={cats['fx']}-room-03", n=lambda r: r["name"] == f"{cats['fx']}-room-03")


def test_directory_result_size(kam, directory):
    cats = directory["cats"]
    got = call(kam, "pchat.room_get", f"category={cats['desk']}", "result_size=5")
    desk = sorted(n for n, r in directory["model"].items() if r["category"] == cats["desk"])
    assert [r["name"] for r in got] == desk[:5]
    assert len(call(kam, "pchat.room_get", f"search={directory['tag']}", "result_size=1")) == 1
    assert len(call(kam, "pchat.room_get", f"search={directory['tag']}")) == 64


def test_room_get_search_wildcards_are_literal(kam):
    cat = new_category(kam)
    tag = uid()
    one(kam, "pchat.room_new", f"name=pct-{tag}-100%", f"category={cat}")
    one(kam, "pchat.room_new", f"name=pct-{tag}-100x", f"category={cat}")
    one(kam, "pchat.room_new", f"name=und-{tag}-a_b", f"category={cat}")
    one(kam, "pchat.room_new", f"name=und-{tag}-axb", f"category={cat}")
    one(kam, "pchat.room_new", f"name=bang-{tag}-a!b", f"category={cat}",
        "description=has 50% off")
    assert names(call(kam, "pchat.room_get", "search=100%", f"category={cat}")) == \
        {f"pct-{tag}-100%"}
    assert names(call(kam, "pchat.room_get", "search=a_b", f"category={cat}")) == \
        {f"und-{tag}-a_b"}
    assert names(call(kam, "pchat.room_get", "search=a!b", f"category={cat}")) == \
        {f"bang-{tag}-a!b"}
    assert names(call(kam, "pchat.room_get", "search=50% OFF", f"category={cat}")) == \
        {f"bang-{tag}-a!b"}
    assert call(kam, "pchat.room_get", "search=%", f"category={cat}", "name=nothing") == []


@pytest.mark.parametrize("args, code, message", [
    (["result_size=0"], 400, "field 'result_size': '0' is not a whole number in 1..1000000"),
    (["result_size=lots"], 400, "field 'result_size'"),
    (["disabled=perhaps"], 400, "field 'disabled': 'perhaps' is not a boolean"),
    (["privacy=hidden"], 400, "field 'privacy': must be open, closed or secret"),
    (["type=x"], 400, "field 'type': must be normal or auditorium"),
    (["invitations=yes"], 400, "field 'invitations': must be inherit or false"),
    (["member=bob"], 400, "field 'member': 'bob' is not a principal"),
    (["manager=sip:"], 400, "field 'manager'"),
    (["owner=sip:a@b"], 400, "unknown field 'owner'"),
    (["category=no-such-cat"], 404, "field 'category': no category named 'no-such-cat'"),
    (["addin=no-such-addin"], 404, "field 'addin': no add-in named 'no-such-addin'"),
    (["member=group:no-such-group"], 404, "field 'member': no group named 'no-such-group'"),
])
def test_room_get_refusals(kam, args, code, message):
    fails(kam, code, message, "pchat.room_get", *args)


def test_room_get_counts_messages(kam, mariadb):
    cat = new_category(kam)
    name = f"count-{uid()}"
    one(kam, "pchat.room_new", f"name={name}", f"category={cat}")
    add_messages(mariadb, name, [("2026-01-01T10:00:00Z", "sip:a@x.example", f"m{i}")
                                 for i in range(7)])
    assert one(kam, "pchat.room_get", f"name={name}")["messages"] == "7"


# ---------------------------------------------------------------- room_set

def test_room_set_changes_every_field(kam, mariadb):
    a1, a2 = f"addin-{uid()}", f"addin-{uid()}"
    new_addin(mariadb, a1)
    new_addin(mariadb, a2)
    grp = f"grp-{uid()}"
    new_group(mariadb, grp)
    cat, cat2 = new_category(kam), new_category(kam)
    name, new_name = f"set-{uid()}", f"renamed-{uid()}"
    one(kam, "pchat.room_new", f"name={name}", f"category={cat}", "description=old",
        "topic=old topic", f"addin={a1}", "member=sip:ann@set.example",
        "member=sip:bo@set.example")
    room = one(kam, "pchat.room_set", f"name={name}", f"new_name={new_name}",
               f"category={cat2}", "description=new", "topic=", "privacy=open",
               "type=auditorium", "invitations=false", "disabled=on", f"addin={a2}",
               "remove_member=sip:bo@set.example", "add_member=domain:set.example",
               f"add_member=group:{grp}", "add_manager=sip:ann@set.example",
               "add_presenter=sip:ann@set.example")
    assert room["name"] == new_name and room["category"] == cat2
    assert (room["description"], room["topic"], room["privacy"], room["type"],
            room["invitations"], room["disabled"], room["addin"]) == \
        ("new", "", "open", "auditorium", "false", "1", a2)
    assert sorted(room["members"]) == sorted(["sip:ann@set.example", "domain:set.example",
                                              f"group:{grp}"])
    assert room["managers"] == ["sip:ann@set.example"]
    assert room["presenters"] == ["sip:ann@set.example"]
    assert call(kam, "pchat.room_get", f"name={name}") == []
    # nobody was online: the change parted no session (test_sec_revoke.py)
    assert room.pop("online_parted") == "0"
    assert one(kam, "pchat.room_get", f"name={new_name}") == room
    # the guid (and so the room's URI) survives a rename
    assert room_id(mariadb, new_name) is not None

    # an empty addin clears it; fields not given stay as they are
    room2 = one(kam, "pchat.room_set", f"name={new_name}", "addin=",
                "remove_manager=sip:ann@set.example", "remove_presenter=sip:ann@set.example",
                "remove_member=domain:set.example", "disabled=false")
    assert room2["addin"] == "" and room2["disabled"] == "0"
    assert room2["managers"] == [] and room2["presenters"] == []
    assert sorted(room2["members"]) == sorted(["sip:ann@set.example", f"group:{grp}"])
    for key in ("description", "topic", "privacy", "type", "invitations", "category", "uri"):
        assert room2[key] == room[key]
    # a change of nothing answers the room as it is
    assert one(kam, "pchat.room_set", f"name={new_name}") == room2


def test_room_set_keeps_existing_roles_and_ignores_absent_removals(kam):
    cat = new_category(kam)
    name = f"set-{uid()}"
    one(kam, "pchat.room_new", f"name={name}", f"category={cat}", "member=sip:ann@set.example")
    room = one(kam, "pchat.room_set", f"name={name}", "add_member=sip:ANN@set.example",
               "remove_member=sip:nobody@set.example", "remove_manager=domain:x.example")
    assert room["members"] == ["sip:ann@set.example"]


@pytest.mark.parametrize("args, code, message", [
    ([], 400, "field 'name' is required"),
    (["name=@", "new_name="], 400, "field 'new_name' must not be empty"),
    (["name=@", "category="], 400, "field 'category' must not be empty"),
    (["name=@", "privacy=semi"], 400, "field 'privacy': must be open, closed or secret"),
    (["name=@", "type=panel"], 400, "field 'type': must be normal or auditorium"),
    (["name=@", "invitations=never"], 400, "field 'invitations': must be inherit or false"),
    (["name=@", "disabled=2"], 400, "field 'disabled': '2' is not a boolean"),
    (["name=@", "add_owner=sip:a@b.example"], 400, "unknown field 'add_owner'"),
    (["name=@", "member=sip:a@b.example"], 400, "unknown field 'member'"),
    (["name=@", "add_manager=domain:"], 400, "field 'add_manager'"),
    (["name=@", "remove_presenter=x"], 400, "field 'remove_presenter': 'x' is not a principal"),
    (["name=no-such-room-here"], 404, "field 'name': no room named 'no-such-room-here'"),
    (["name=@", "category=no-such-cat"], 404, "field 'category': no category named"),
    (["name=@", "addin=no-such-addin"], 404, "field 'addin': no add-in named 'no-such-addin'"),
    (["name=@", "add_presenter=group:no-such-group"], 404,
     "field 'add_presenter': no group named 'no-such-group'"),
])
def test_room_set_refusals(kam, args, code, message):
    cat = new_category(kam)
    name = f"set-{uid()}"
    before = one(kam, "pchat.room_new", f"name={name}", f"category={cat}", "description=kept")
    args = [a.replace("name=@", f"name={name}") for a in args]
    fails(kam, code, message, "pchat.room_set", *args)
    assert one(kam, "pchat.room_get", f"name={name}") == before


def test_room_set_duplicate_new_name_is_409_and_changes_nothing(kam):
    cat = new_category(kam)
    a, b = f"set-a-{uid()}", f"set-b-{uid()}"
    before = one(kam, "pchat.room_new", f"name={a}", f"category={cat}")
    one(kam, "pchat.room_new", f"name={b}", f"category={cat}")
    fails(kam, 409, f"field 'new_name': a room named '{b.upper()}' already exists",
                 "pchat.room_set", f"name={a}", f"new_name={b.upper()}", "description=changed",
                 "add_member=sip:zed@set.example")
    assert one(kam, "pchat.room_get", f"name={a}") == before


# ---------------------------------------------------------------- room_remove

def test_room_remove(kam, mariadb):
    cat = new_category(kam, "invitations=true")
    name = f"rm-{uid()}"
    one(kam, "pchat.room_new", f"name={name}", f"category={cat}", "member=sip:ann@rm.example")
    one(kam, "pchat.room_set", f"name={name}", "add_manager=sip:bo@rm.example")
    add_messages(mariadb, name, [("2026-02-01T09:00:00Z", "sip:ann@rm.example", "hello")])
    rid = room_id(mariadb, name)
    assert one(kam, "pchat.room_remove", f"name={name}") == {"removed": name, "count": "1",
                                                              "online_parted": "0"}
    assert call(kam, "pchat.room_get", f"name={name}") == []
    for table, col in (("pchat_node", "id"), ("pchat_role", "node_id"),
                       ("pchat_message", "room_id"), ("pchat_invitation", "room_id")):
        assert mariadb.sql(f"SELECT COUNT(*) FROM {table} WHERE {col} = {rid}",
                           db="pchat") == [("0",)], table
    # the category stays, now empty and removable
    assert one(kam, "pchat.category_get", f"name={cat}")["rooms"] == "0"
    fails(kam, 404, f"field 'name': no room named '{name}'",
                 "pchat.room_remove", f"name={name}")


def test_room_remove_refusals(kam):
    cat = new_category(kam)
    fails(kam, 400, "field 'name' is required", "pchat.room_remove")
    fails(kam, 400, "unknown field 'force'", "pchat.room_remove", "name=x", "force=true")
    # a category is not a room
    fails(kam, 404, f"no room named '{cat}'", "pchat.room_remove", f"name={cat}")
    assert one(kam, "pchat.category_get", f"name={cat}")["name"] == cat


# ---------------------------------------------------------------- room_clear

def history_room(kam, mariadb):
    cat = new_category(kam)
    name = f"hist-{uid()}"
    one(kam, "pchat.room_new", f"name={name}", f"category={cat}")
    add_messages(mariadb, name, [
        ("2026-01-01T08:00:00Z", "sip:ann@h.example", "Happy new year"),
        ("2026-01-05T12:00:00Z", "sip:bo@h.example", "The merger is SECRET"),
        ("2026-01-10T12:00:00Z", "sip:ann@h.example", "secret merger talks tomorrow"),
        ("2026-01-15T00:00:00Z", "sip:cy@h.example", "Lunch at noon?"),
        ("2026-01-20T16:30:00Z", "sip:bo@h.example", "an insider tip for you"),
        ("2026-01-25T10:00:00Z", "sip:ann@h.example", "tip from an insider"),
        ("2026-02-01T10:00:00Z", "sip:cy@h.example", "merger lunch"),
    ])
    return name


def test_room_clear(kam, mariadb):
    name = history_room(kam, mariadb)
    other = history_room(kam, mariadb)
    # end_date is inclusive
    assert one(kam, "pchat.room_clear", f"name={name}", "end_date=2026-01-15T00:00:00Z") == \
        {"room": name, "removed": "4"}
    assert [m[0] for m in messages(mariadb, name)] == [5, 6, 7]
    assert one(kam, "pchat.room_clear", f"name={name}", "end_date=2026-01-15") == \
        {"room": name, "removed": "0"}
    assert one(kam, "pchat.room_get", f"name={name}")["messages"] == "3"
    assert one(kam, "pchat.room_clear", f"name={name}", "end_date=2030-01-01") == \
        {"room": name, "removed": "3"}
    assert messages(mariadb, name) == []
    # other rooms keep their history, and the room its sequence
    assert len(messages(mariadb, other)) == 7
    assert mariadb.sql(f"SELECT last_seq FROM pchat_node WHERE name = {q(name)}",
                       db="pchat") == [("7",)]


def test_room_get_content_exceeds_mb(kam, mariadb):
    """Lync's -ChatContentExceedsMB: the rooms whose stored text is larger
    than N MiB, other filters still applying; 0 lists rooms with any text."""
    cat = new_category(kam)
    big, small, empty = (f"size-{uid()}" for _ in range(3))
    for name in (big, small, empty):
        one(kam, "pchat.room_new", f"name={name}", f"category={cat}")
    chunk = "x" * 60000  # 19 of them: 1,140,000 bytes, over 1 MiB
    add_messages(mariadb, big, [("2026-01-01T08:00:00Z", "sip:ann@h.example", chunk)] * 19)
    add_messages(mariadb, small, [("2026-01-01T08:00:00Z", "sip:ann@h.example", chunk)] * 2)
    assert names(call(kam, "pchat.room_get", f"category={cat}", "content_exceeds_mb=1")) == {big}
    assert names(call(kam, "pchat.room_get", f"category={cat}",
                      "content_exceeds_mb=0")) == {big, small}
    assert names(call(kam, "pchat.room_get", f"category={cat}")) == {big, small, empty}
    assert call(kam, "pchat.room_get", f"category={cat}", "content_exceeds_mb=2") == []
    fails(kam, 400, "field 'content_exceeds_mb': '-1' is not a whole number",
          "pchat.room_get", "content_exceeds_mb=-1")


@pytest.mark.parametrize("args, code, message", [
    ([], 400, "field 'name' is required"),
    (["name=@"], 400, "field 'end_date' is required"),
    (["name=@", "end_date=yesterday"], 400,
     "field 'end_date': 'yesterday' is not an ISO 8601 date"),
    (["name=@", "end_date=2026-02-30"], 400, "is not an ISO 8601 date"),
    (["name=@", "end_date=2026-01-01", "start_date=2025-01-01"], 400,
     "unknown field 'start_date'"),
    (["name=no-such-room-x", "end_date=2026-01-01"], 404,
     "field 'name': no room named 'no-such-room-x'"),
])
def test_room_clear_refusals(kam, mariadb, args, code, message):
    name = history_room(kam, mariadb)
    args = [a.replace("name=@", f"name={name}") for a in args]
    fails(kam, code, message, "pchat.room_clear", *args)
    assert len(messages(mariadb, name)) == 7


# ---------------------------------------------------------------- message_remove

def remaining(mariadb, name):
    return [m[0] for m in messages(mariadb, name)]


def test_message_remove_by_author(kam, mariadb):
    name = history_room(kam, mariadb)
    assert one(kam, "pchat.message_remove", f"room={name}", "user=sip:ANN@h.example") == \
        {"room": name, "matched": "3", "action": "removed"}
    assert remaining(mariadb, name) == [2, 4, 5, 7]


def test_message_remove_match_all_any_exact(kam, mariadb):
    name = history_room(kam, mariadb)
    # all (the default): every keyword, any case, anywhere in the text
    assert one(kam, "pchat.message_remove", f"room={name}", "filter=merger secret")[
        "matched"] == "2"
    assert remaining(mariadb, name) == [1, 4, 5, 6, 7]
    name = history_room(kam, mariadb)
    assert one(kam, "pchat.message_remove", f"room={name}", "filter=lunch year",
               "match=any")["matched"] == "3"
    assert remaining(mariadb, name) == [2, 3, 5, 6]
    name = history_room(kam, mariadb)
    # exact: the phrase, not the words in another order
    assert one(kam, "pchat.message_remove", f"room={name}", "filter=Insider Tip",
               "match=exact")["matched"] == "1"
    assert remaining(mariadb, name) == [1, 2, 3, 4, 6, 7]


def test_message_remove_case_sensitive(kam, mariadb):
    name = history_room(kam, mariadb)
    assert one(kam, "pchat.message_remove", f"room={name}", "filter=SECRET",
               "case_sensitive=true")["matched"] == "1"
    assert remaining(mariadb, name) == [1, 3, 4, 5, 6, 7]
    assert one(kam, "pchat.message_remove", f"room={name}", "filter=SECRET",
               "case_sensitive=false")["matched"] == "1"
    assert remaining(mariadb, name) == [1, 4, 5, 6, 7]


def test_message_remove_dates_and_author_together(kam, mariadb):
    name = history_room(kam, mariadb)
    # start and end are inclusive
    assert one(kam, "pchat.message_remove", f"room={name}", "start_date=2026-01-05T12:00:00Z",
               "end_date=2026-01-20T16:30:00Z", "user=sip:bo@h.example")["matched"] == "2"
    assert remaining(mariadb, name) == [1, 3, 4, 6, 7]
    assert one(kam, "pchat.message_remove", f"room={name}",
               "start_date=2026-01-25")["matched"] == "2"
    assert remaining(mariadb, name) == [1, 3, 4]
    assert one(kam, "pchat.message_remove", f"room={name}",
               "end_date=2026-01-01T08:00:00Z")["matched"] == "1"
    assert remaining(mariadb, name) == [3, 4]
    assert one(kam, "pchat.message_remove", f"room={name}", "filter=nothing-like-this")[
        "matched"] == "0"
    assert remaining(mariadb, name) == [3, 4]


def test_message_remove_replace(kam, mariadb):
    name = history_room(kam, mariadb)
    assert one(kam, "pchat.message_remove", f"room={name}", "filter=merger",
               "user=sip:bo@h.example", "replace=true") == \
        {"room": name, "matched": "1", "action": "replaced"}
    msgs = messages(mariadb, name)
    assert msgs[1] == (2, "sip:bo@h.example", DEFAULT_REPLACEMENT, "replaced")
    assert all(m[3] == "posted" for i, m in enumerate(msgs) if i != 1)
    assert one(kam, "pchat.message_remove", f"room={name}", "filter=tip", "match=any",
               "replace=yes", "replacement=Removed by compliance (case 42)")["matched"] == "2"
    msgs = messages(mariadb, name)
    assert [(m[0], m[2], m[3]) for m in msgs if m[3] == "replaced"] == [
        (2, DEFAULT_REPLACEMENT, "replaced"),
        (5, "Removed by compliance (case 42)", "replaced"),
        (6, "Removed by compliance (case 42)", "replaced")]
    assert len(msgs) == 7
    # replaced messages are still messages of the room
    assert one(kam, "pchat.room_get", f"name={name}")["messages"] == "7"


def test_message_remove_other_rooms_untouched(kam, mariadb):
    name = history_room(kam, mariadb)
    other = history_room(kam, mariadb)
    one(kam, "pchat.message_remove", f"room={name}", "user=sip:cy@h.example")
    assert len(messages(mariadb, other)) == 7


def test_message_remove_many_messages(kam, mariadb):
    """More candidates than one batch of the store read."""
    cat = new_category(kam)
    name = f"bulk-{uid()}"
    one(kam, "pchat.room_new", f"name={name}", f"category={cat}")
    add_messages(mariadb, name, [("2026-03-01T00:00:00Z", "sip:bot@h.example",
                                  f"status {'red' if i % 3 == 0 else 'green'} #{i}")
                                 for i in range(1200)])
    assert one(kam, "pchat.message_remove", f"room={name}", "filter=red")["matched"] == "400"
    left = messages(mariadb, name)
    assert len(left) == 800 and all("green" in m[2] for m in left)


@pytest.mark.parametrize("args, code, message", [
    ([], 400, "field 'room' is required"),
    (["room=@"], 400, "give at least one of user, filter, start_date, end_date"),
    (["room=@", "replace=true"], 400, "give at least one of user, filter, start_date, end_date"),
    (["room=@", "match=any"], 400, "give at least one of user, filter, start_date, end_date"),
    (["room=@", "user=domain:h.example"], 400, "field 'user': must be a user"),
    (["room=@", "user=group:staff"], 400, "field 'user': must be a user"),
    (["room=@", "user=ann"], 400, "field 'user': 'ann' is not a principal"),
    (["room=@", "filter=x", "match=or"], 400, "field 'match': must be all, any or exact"),
    (["room=@", "filter=x", "case_sensitive=si"], 400, "field 'case_sensitive'"),
    (["room=@", "filter=x", "replace=sometimes"], 400, "field 'replace'"),
    (["room=@", "filter=  "], 400, "field 'filter' must not be empty"),
    (["room=@", "filter=" + " ".join(f"k{i}" for i in range(17))], 400,
     "field 'filter': more than 16 keywords"),
    (["room=@", "filter=x", "replacement=gone"], 400,
     "field 'replacement': only with replace=true"),
    (["room=@", "filter=x", "replace=false", "replacement=gone"], 400,
     "field 'replacement': only with replace=true"),
    (["room=@", "start_date=2026-13-01"], 400, "field 'start_date': '2026-13-01' is not an ISO"),
    (["room=@", "end_date=soon"], 400, "field 'end_date': 'soon' is not an ISO 8601 date"),
    (["room=@", "start_date=2026-02-01", "end_date=2026-01-01"], 400,
     "field 'end_date': earlier than start_date"),
    (["room=@", "filter=x", "keywords=y"], 400, "unknown field 'keywords'"),
    (["room=no-such-room-y", "filter=x"], 404, "field 'room': no room named 'no-such-room-y'"),
])
def test_message_remove_refusals(kam, mariadb, args, code, message):
    name = history_room(kam, mariadb)
    args = [a.replace("room=@", f"room={name}") for a in args]
    text = fails(kam, code, message, "pchat.message_remove", *args)
    if "give at least one" in message:
        assert "pchat.room_clear" in text
    assert [m[3] for m in messages(mariadb, name)] == ["posted"] * 7


# ---------------------------------------------------------------- pchatctl

@pytest.mark.skipif(not os.access(PCHATCTL, os.X_OK),
                    reason=f"pchatctl not built ({PCHATCTL}); set PCHATCTL")
def test_pchatctl_room_verbs(kam, mariadb):
    """The same RPCs through the administrator's tool (JSON-RPC FIFO)."""
    cat = new_category(kam)
    name = f"ctl-{uid()}"
    res = pchatctl(kam, "new-room", "--name", name, "--category", cat, "--privacy", "open",
                   "--member", "sip:ann@ctl.example")
    assert res.returncode == 0, res.stderr
    res = pchatctl(kam, "set-room", "--name", name, "--add-manager", "sip:bo@ctl.example",
                   "--description", "via pchatctl")
    assert res.returncode == 0, res.stderr
    room = one(kam, "pchat.room_get", f"name={name}")
    assert (room["privacy"], room["description"], room["members"], room["managers"]) == \
        ("open", "via pchatctl", ["sip:ann@ctl.example"], ["sip:bo@ctl.example"])
    res = pchatctl(kam, "new-room", "--name", name, "--category", cat)
    assert res.returncode != 0 and "already exists" in res.stdout + res.stderr
    add_messages(mariadb, name, [("2026-01-01T00:00:00Z", "sip:ann@ctl.example", "x")])
    res = pchatctl(kam, "remove-message", "--room", name, "--user", "sip:ann@ctl.example")
    assert res.returncode == 0, res.stderr
    assert messages(mariadb, name) == []
    res = pchatctl(kam, "remove-room", "--name", name)
    assert res.returncode == 0, res.stderr
    assert call(kam, "pchat.room_get", f"name={name}") == []
