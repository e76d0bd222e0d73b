"""Admin RPCs around the rooms: add-ins, policy, configuration, groups and
eligible principals, driven through kamcmd as an operator would.

The session database is shared by every test of the run: names and domains
are unique per test, and the global policy and every configuration value a
test changes are restored in a finally block.
"""

import pytest

from admin import call, config, config_restored, fails
from kamailio import KamailioError
from sipclient import SipClient, find
from chat import uid  # noqa: E402

CONFIG_KEYS = ["db_version", "default_chat_history", "edit_window_s", "max_file_size_kb",
               "message_size_limit",
               "participant_update_limit", "room_management_url", "root_category_guid",
               "search_limit", "story_size_limit"]


def effective(kam, user):
    [row] = call(kam, "pchat.policy_get", f"user={user}")
    return row["enabled"], row["source"]


def eligible(kam, *args):
    return [row["uri"] for row in call(kam, "pchat.eligible_principals", *args)]


@pytest.fixture
def global_policy(kam):
    """Starts with the global policy enabled and leaves it so."""
    kam.admin("pchat.policy_grant", "scope=global", "enabled=true")
    yield
    kam.admin("pchat.policy_grant", "scope=global", "enabled=true")


def add_room(mariadb, name, addin):
    mariadb.sql("INSERT INTO pchat_node (guid, kind, parent_id, name, addin_id) "
                f"SELECT UUID(), 'room', n.id, '{name}', a.id FROM pchat_node n, pchat_addin a "
                f"WHERE n.parent_id IS NULL AND n.kind = 'category' AND a.name = '{addin}'",
                db="pchat")


# ---- add-ins ------------------------------------------------------------

def test_addin_lifecycle(kam):
    name, other = f"wiki-{uid()}", f"tracker-{uid()}"
    [row] = call(kam, "pchat.addin_new", f"name={name}", "url=https://wiki.example.com/room")
    assert row == {"name": name, "url": "https://wiki.example.com/room", "rooms": "0"}
    call(kam, "pchat.addin_new", f"name={other}", "url=HTTP://tracker.example.com")
    assert call(kam, "pchat.addin_get", f"name={name}") == [row]
    names = [r["name"] for r in call(kam, "pchat.addin_get")]
    assert name in names and other in names
    assert len(call(kam, "pchat.addin_get", "result_size=1")) == 1

    [row] = call(kam, "pchat.addin_set", f"name={name}", "url=http://wiki2.example.com/")
    assert row["url"] == "http://wiki2.example.com/" and row["name"] == name
    [row] = call(kam, "pchat.addin_set", f"name={name}", f"new_name={name}-renamed")
    assert row == {"name": f"{name}-renamed", "url": "http://wiki2.example.com/", "rooms": "0"}
    assert call(kam, "pchat.addin_get", f"name={name}") == []

    [row] = call(kam, "pchat.addin_remove", f"name={name}-renamed")
    assert row == {"removed": f"{name}-renamed", "count": "1"}
    assert call(kam, "pchat.addin_get", f"name={name}-renamed") == []
    call(kam, "pchat.addin_remove", f"name={other}")


def test_addin_length_limits_are_inclusive(kam):
    name = uid() + "n" * 246
    url = "https://example.com/" + "u" * 1004
    assert len(name) == 256 and len(url) == 1024
    [row] = call(kam, "pchat.addin_new", f"name={name}", f"url={url}")
    assert row["name"] == name and row["url"] == url
    call(kam, "pchat.addin_remove", f"name={name}")


@pytest.mark.parametrize("args,fragment", [
    ((), "field 'name' is required"),
    (("url=https://x.example.com",), "field 'name' is required"),
    (("name=", "url=https://x.example.com"), "field 'name' must not be empty"),
    (("name=NAME",), "field 'url' is required"),
    (("name=NAME", "url=ftp://x.example.com/"), "is not a URL starting with http:// or https://"),
    (("name=NAME", "url=x.example.com"), "is not a URL starting with http:// or https://"),
    (("name=NAME", "url=https://"), "has no host"),
    (("name=NAME", "url=https://x.example.com/a b"), "contains a space"),
    (("name=NAME", "url=https://x.example.com/\"q\""), "quote"),
    (("name=" + "n" * 257, "url=https://x.example.com"), "field 'name': longer than 256"),
    (("name=NAME", "url=https://x.example.com/" + "u" * 1003), "field 'url': longer than 1024"),
    (("name=NAME", "url=https://x.example.com", "colour=red"), "unknown field 'colour'"),
    (("name=NAME", "name=NAME2", "url=https://x.example.com"), "given more than once"),
])
def test_addin_new_rejects_bad_fields(kam, args, fragment):
    name = f"bad-{uid()}"
    args = [a.replace("NAME", name) for a in args]
    fails(kam, 400, fragment, "pchat.addin_new", *args)
    assert call(kam, "pchat.addin_get", f"name={name}") == []


def test_addin_duplicates_are_409(kam):
    name = f"dup-{uid()}"
    call(kam, "pchat.addin_new", f"name={name}", "url=https://a.example.com")
    try:
        msg = fails(kam, 409, "already exists", "pchat.addin_new", f"name={name}",
                    "url=https://b.example.com")
        assert name in msg
        # names compare without case, as for rooms and categories
        fails(kam, 409, "already exists", "pchat.addin_new", f"name={name.upper()}",
              "url=https://b.example.com")
        [row] = call(kam, "pchat.addin_get", f"name={name}")
        assert row["url"] == "https://a.example.com"
    finally:
        kam.admin("pchat.addin_remove", f"name={name}")


def test_addin_set_errors(kam):
    a, b = f"set-a-{uid()}", f"set-b-{uid()}"
    call(kam, "pchat.addin_new", f"name={a}", "url=https://a.example.com")
    call(kam, "pchat.addin_new", f"name={b}", "url=https://b.example.com")
    try:
        fails(kam, 400, "field 'name' is required", "pchat.addin_set", "url=https://c.example.com")
        fails(kam, 404, "no add-in named", "pchat.addin_set", f"name=nope-{uid()}",
              "url=https://c.example.com")
        fails(kam, 409, "already exists", "pchat.addin_set", f"name={a}", f"new_name={b}")
        fails(kam, 400, "field 'new_name' must not be empty", "pchat.addin_set", f"name={a}",
              "new_name=")
        fails(kam, 400, "is not a URL", "pchat.addin_set", f"name={a}", "url=mailto:x@y")
        fails(kam, 400, "unknown field 'rooms'", "pchat.addin_set", f"name={a}", "rooms=3")
        # a valid field next to an invalid one changes nothing
        fails(kam, 400, "is not a URL", "pchat.addin_set", f"name={a}", f"new_name={a}-x",
              "url=gopher://x")
        assert call(kam, "pchat.addin_get", f"name={a}") == [
            {"name": a, "url": "https://a.example.com", "rooms": "0"}]
    finally:
        kam.admin("pchat.addin_remove", f"name={a}")
        kam.admin("pchat.addin_remove", f"name={b}")


def test_addin_remove_refused_while_rooms_use_it(kam, mariadb):
    name = f"used-{uid()}"
    rooms = [f"room-{uid()}", f"room-{uid()}"]
    call(kam, "pchat.addin_new", f"name={name}", "url=https://a.example.com")
    try:
        for room in rooms:
            add_room(mariadb, room, name)
        [row] = call(kam, "pchat.addin_get", f"name={name}")
        assert row["rooms"] == "2"
        msg = fails(kam, 409, f"add-in '{name}' is used by 2 room(s)", "pchat.addin_remove",
                    f"name={name}")
        assert "first" in msg
        assert len(call(kam, "pchat.addin_get", f"name={name}")) == 1
    finally:
        mariadb.sql("DELETE FROM pchat_node WHERE kind = 'room' AND name IN "
                    f"('{rooms[0]}', '{rooms[1]}')", db="pchat")
    [row] = call(kam, "pchat.addin_remove", f"name={name}")
    assert row["removed"] == name
    fails(kam, 404, "no add-in named", "pchat.addin_remove", f"name={name}")
    fails(kam, 400, "field 'name' is required", "pchat.addin_remove")


# ---- policy -------------------------------------------------------------

def test_policy_resolution_user_over_domain_over_global(kam, global_policy):
    dom = f"d{uid()}.example"
    alice, bob, carol = f"sip:alice@{dom}", f"sip:bob@{dom}", f"sip:carol@o{dom}"
    try:
        assert effective(kam, alice) == ("1", "global")

        [row] = call(kam, "pchat.policy_grant", f"scope=domain:{dom.upper()}", "enabled=false")
        assert row == {"scope": f"domain:{dom}", "enabled": "0", "online_parted": "0"}
        assert effective(kam, alice) == ("0", f"domain:{dom}")
        assert effective(kam, carol) == ("1", "global")

        [row] = call(kam, "pchat.policy_grant", f"scope=user:SIP:Alice@{dom.upper()}",
                     "enabled=TRUE")
        assert row == {"scope": f"user:{alice}", "enabled": "1", "online_parted": "0"}
        assert effective(kam, alice) == ("1", f"user:{alice}")
        assert effective(kam, bob) == ("0", f"domain:{dom}")
        # the lookup lower-cases too
        assert effective(kam, f"sip:ALICE@{dom.upper()}") == ("1", f"user:{alice}")

        call(kam, "pchat.policy_grant", "scope=global", "enabled=false")
        assert effective(kam, alice) == ("1", f"user:{alice}")
        assert effective(kam, carol) == ("0", "global")
        call(kam, "pchat.policy_grant", "scope=global", "enabled=true")

        # 'default' removes the row: the next broader scope applies
        [row] = call(kam, "pchat.policy_grant", f"scope=user:{alice}", "enabled=default")
        assert row == {"removed": f"user:{alice}", "count": "1", "online_parted": "0"}
        assert effective(kam, alice) == ("0", f"domain:{dom}")
        call(kam, "pchat.policy_grant", f"scope=domain:{dom}", "enabled=default")
        assert effective(kam, alice) == ("1", "global")
        assert effective(kam, bob) == ("1", "global")
        # removing what is not there is not an error
        [row] = call(kam, "pchat.policy_grant", f"scope=domain:{dom}", "enabled=default")
        assert row == {"removed": f"domain:{dom}", "count": "0", "online_parted": "0"}
        fails(kam, 404, "no policy row", "pchat.policy_get", f"scope=domain:{dom}")
    finally:
        kam.admin("pchat.policy_grant", f"scope=user:{alice}", "enabled=default")
        kam.admin("pchat.policy_grant", f"scope=domain:{dom}", "enabled=default")


def test_policy_get_rows(kam, global_policy):
    dom = f"d{uid()}.example"
    user = f"sip:u@{dom}"
    try:
        call(kam, "pchat.policy_grant", f"scope=domain:{dom}", "enabled=true")
        call(kam, "pchat.policy_grant", f"scope=user:{user}", "enabled=false")
        rows = call(kam, "pchat.policy_get")
        assert rows[0] == {"scope": "global", "enabled": "1"}
        assert {"scope": f"domain:{dom}", "enabled": "1"} in rows
        assert {"scope": f"user:{user}", "enabled": "0"} in rows
        # global, then domains, then users
        kinds = [r["scope"].split(":")[0] for r in rows]
        assert kinds == sorted(kinds, key=["global", "domain", "user"].index)

        assert call(kam, "pchat.policy_get", "scope=global") == [
            {"scope": "global", "enabled": "1"}]
        assert call(kam, "pchat.policy_get", f"scope=user:{user.upper()}") == [
            {"scope": f"user:{user}", "enabled": "0"}]
        fails(kam, 404, "no policy row for", "pchat.policy_get", f"scope=domain:x{dom}")
        fails(kam, 400, "is not a scope", "pchat.policy_get", "scope=site:redmond")
        fails(kam, 400, "give scope or user, not both", "pchat.policy_get", "scope=global",
              f"user={user}")
        fails(kam, 400, "is not a user", "pchat.policy_get", f"user=u@{dom}")
        fails(kam, 400, "unknown field 'users'", "pchat.policy_get", f"users={user}")
        assert effective(kam, user) == ("0", f"user:{user}")
    finally:
        kam.admin("pchat.policy_grant", f"scope=user:{user}", "enabled=default")
        kam.admin("pchat.policy_grant", f"scope=domain:{dom}", "enabled=default")


@pytest.mark.parametrize("args,fragment", [
    (("enabled=true",), "field 'scope' is required"),
    (("scope=global",), "field 'enabled' is required"),
    (("scope=global", "enabled=maybe"), "must be true, false or default, not 'maybe'"),
    (("scope=site:redmond", "enabled=true"), "is not a scope"),
    (("scope=domain:", "enabled=true"), "is not a scope"),
    (("scope=domain:bad..example", "enabled=true"), "is not a scope"),
    (("scope=domain:a b.example", "enabled=true"), "is not a scope"),
    (("scope=user:alice@example.com", "enabled=true"), "is not a scope"),
    (("scope=user:sip:alice", "enabled=true"), "is not a scope"),
    (("scope=user:sip:@example.com", "enabled=true"), "is not a scope"),
    (("scope=domain:example.com", "enabled=true", "site=x"), "unknown field 'site'"),
    (("scope=global", "enabled=default"), "the global policy cannot be removed"),
])
def test_policy_grant_rejects(kam, global_policy, args, fragment):
    before = call(kam, "pchat.policy_get")
    fails(kam, 400, fragment, "pchat.policy_grant", *args)
    assert call(kam, "pchat.policy_get") == before


# ---- configuration ------------------------------------------------------

def test_config_get(kam):
    rows = call(kam, "pchat.config_get")
    assert [r["name"] for r in rows] == CONFIG_KEYS
    assert all(r["description"] for r in rows)
    by_name = {r["name"]: r for r in rows}
    assert by_name["default_chat_history"]["value"] == "30"
    assert by_name["max_file_size_kb"]["value"] == "20000"
    assert by_name["participant_update_limit"]["value"] == "75"
    assert call(kam, "pchat.config_get", "name=search_limit") == [by_name["search_limit"]]
    fails(kam, 404, "no setting named 'nope'", "pchat.config_get", "name=nope")
    fails(kam, 400, "unknown field 'value'", "pchat.config_get", "value=1")


def test_config_set_changes_what_clients_see(kam):
    with config_restored(kam) as saved:
        rows = call(kam, "pchat.config_set", "default_chat_history=500",
                    "participant_update_limit=10000", "max_file_size_kb=1",
                    "search_limit=100000", "room_management_url=https://rm.example.com/manage")
        # the reply is the whole configuration
        assert [r["name"] for r in rows] == CONFIG_KEYS
        now = config(kam)
        assert now == {r["name"]: r["value"] for r in rows}
        assert now["default_chat_history"] == "500"
        assert now["participant_update_limit"] == "10000"
        assert now["max_file_size_kb"] == "1"
        assert now["search_limit"] == "100000"
        assert now["room_management_url"] == "https://rm.example.com/manage"
        assert now["root_category_guid"] == saved["root_category_guid"]

        # the next getserverinfo carries the new limit
        client = SipClient("127.0.0.1", kam.port, transport="tcp")
        try:
            dlg = client.invite(kam.service_uri)
            rep = dlg.command("getserverinfo", '<sib domain="example.com" infoType="123"/>')
            assert rep.code == 200
            assert find(rep.data, "sib").get("searchLimit") == "100000"
        finally:
            client.close()

        call(kam, "pchat.config_set", "room_management_url=")
        assert config(kam)["room_management_url"] == ""
        call(kam, "pchat.config_set", "default_chat_history=1", "search_limit=1")
        assert config(kam)["default_chat_history"] == "1"
    assert config(kam) == saved


@pytest.mark.parametrize("args,fragment", [
    ((), "nothing to change"),
    (("default_chat_history=0",),
     "field 'default_chat_history': '0' is not a whole number in 1..500"),
    (("default_chat_history=501",), "in 1..500"),
    (("participant_update_limit=0",), "in 1..10000"),
    (("participant_update_limit=10001",), "in 1..10000"),
    (("max_file_size_kb=0",), "in 1..2000000"),
    (("max_file_size_kb=2000001",), "in 1..2000000"),
    (("message_size_limit=0",), "in 1..65536"),
    (("message_size_limit=65537",), "in 1..65536"),
    (("story_size_limit=0",), "in 1..1048576"),
    (("story_size_limit=1048577",), "in 1..1048576"),
    (("search_limit=0",), "in 1..100000"),
    (("search_limit=100001",), "in 1..100000"),
    (("search_limit=12abc",), "is not a whole number"),
    (("search_limit=",), "is not a whole number"),
    (("search_limit=-5",), "is not a whole number"),
    (("room_management_url=ftp://rm.example.com/",), "is not a URL starting with http"),
    (("room_management_url=https://rm.example.com/" + "x" * 233,),
     "field 'room_management_url': longer than 255"),
    (("root_category_guid=00000000-0000-0000-0000-000000000000",),
     "field 'root_category_guid' is read-only"),
    (("db_version=1",), "field 'db_version' is read-only"),
    (("color=blue",), "unknown field 'color'"),
    (("search_limit=10", "search_limit=20"), "given more than once"),
])
def test_config_set_rejects(kam, args, fragment):
    before = config(kam)
    fails(kam, 400, fragment, "pchat.config_set", *args)
    assert config(kam) == before


def test_config_set_url_limit_is_inclusive(kam):
    url = "https://rm.example.com/" + "x" * 232
    assert len(url) == 255
    with config_restored(kam):
        call(kam, "pchat.config_set", f"room_management_url={url}")
        assert config(kam)["room_management_url"] == url


@pytest.mark.parametrize("bad", ["default_chat_history=0", "db_version=x", "nosuch=1",
                                 "room_management_url=ftp://x", "story_size_limit=1"])
def test_config_set_is_all_or_nothing(kam, bad):
    before = config(kam)
    with pytest.raises(KamailioError):
        kam.admin("pchat.config_set", "search_limit=321", "max_file_size_kb=777", bad,
                "participant_update_limit=99")
    assert config(kam) == before


def test_story_size_must_not_be_below_message_size(kam):
    with config_restored(kam) as saved:
        call(kam, "pchat.config_set", "message_size_limit=512", "story_size_limit=4096")
        before = config(kam)
        # checked against the stored value of the other limit
        fails(kam, 400, "field 'story_size_limit': 100 is smaller than message_size_limit (512)",
              "pchat.config_set", "story_size_limit=100")
        fails(kam, 400, "field 'message_size_limit': 5000 is larger than story_size_limit (4096)",
              "pchat.config_set", "message_size_limit=5000")
        # ... and against the new one when both are given
        fails(kam, 400, "field 'story_size_limit': 1000 is smaller than message_size_limit (2000)",
              "pchat.config_set", "message_size_limit=2000", "story_size_limit=1000")
        assert config(kam) == before

        call(kam, "pchat.config_set", "message_size_limit=5000", "story_size_limit=6000")
        assert (config(kam)["message_size_limit"], config(kam)["story_size_limit"]) == \
            ("5000", "6000")
        call(kam, "pchat.config_set", "story_size_limit=5000")  # equal is fine
        assert config(kam)["story_size_limit"] == "5000"
        fails(kam, 400, "4999 is smaller than message_size_limit (5000)",
              "pchat.config_set", "story_size_limit=4999")
    assert config(kam) == saved


# ---- groups -------------------------------------------------------------

def test_group_lifecycle(kam):
    name, dom = f"grp-{uid()}", f"d{uid()}.example"
    [row] = call(kam, "pchat.group_new", f"name={name}", "description=The A team",
                 f"member=sip:Bob@{dom.upper()}", f"member=sip:alice@{dom}",
                 f"member=sip:alice@{dom}")
    assert row == {"name": name, "description": "The A team",
                   "members": [f"sip:alice@{dom}", f"sip:bob@{dom}"]}
    assert call(kam, "pchat.group_get", f"name={name}") == [row]
    assert name in [g["name"] for g in call(kam, "pchat.group_get")]

    [row] = call(kam, "pchat.group_set", f"name={name}", f"add_member=sip:carol@{dom}",
                 f"remove_member=sip:BOB@{dom}", "description=")
    assert row == {"name": name, "description": "",
                   "members": [f"sip:alice@{dom}", f"sip:carol@{dom}"],
                   "online_parted": "0"}
    [row] = call(kam, "pchat.group_set", f"name={name}", f"new_name={name}-2")
    assert row["name"] == f"{name}-2" and len(row["members"]) == 2
    assert call(kam, "pchat.group_get", f"name={name}") == []

    # a group without members
    [empty] = call(kam, "pchat.group_new", f"name={name}")
    assert empty == {"name": name, "description": "", "members": []}

    assert call(kam, "pchat.group_remove", f"name={name}-2") == [
        {"removed": f"{name}-2", "count": "1"}]
    call(kam, "pchat.group_remove", f"name={name}")
    assert call(kam, "pchat.group_get", f"name={name}-2") == []
    fails(kam, 404, "no group named", "pchat.group_remove", f"name={name}")


@pytest.mark.parametrize("args,fragment", [
    ((), "field 'name' is required"),
    (("name=",), "field 'name' must not be empty"),
    (("name=" + "g" * 129,), "field 'name': longer than 128"),
    (("name=NAME", "description=" + "d" * 257), "field 'description': longer than 256"),
    (("name=NAME", "member=domain:example.com"), "groups hold users only"),
    (("name=NAME", "member=group:other"), "groups hold users only"),
    (("name=NAME", "member=alice@example.com"), "is not a user"),
    (("name=NAME", "member=sip:alice"), "is not a user"),
    (("name=NAME", "member=sip:alice@example.com", "member=tel:+123"), "'tel:+123' is not a user"),
    (("name=NAME", "members=sip:alice@example.com"), "unknown field 'members'"),
])
def test_group_new_rejects(kam, args, fragment):
    name = f"bad-{uid()}"
    fails(kam, 400, fragment, "pchat.group_new", *[a.replace("NAME", name) for a in args])
    assert call(kam, "pchat.group_get", f"name={name}") == []


def test_group_duplicates_and_set_errors(kam):
    a, b, dom = f"grp-a-{uid()}", f"grp-b-{uid()}", f"d{uid()}.example"
    call(kam, "pchat.group_new", f"name={a}", "description=first", f"member=sip:x@{dom}")
    call(kam, "pchat.group_new", f"name={b}")
    try:
        fails(kam, 409, f"a group named '{a}' already exists", "pchat.group_new", f"name={a}")
        fails(kam, 409, "already exists", "pchat.group_new", f"name={a.upper()}")
        fails(kam, 404, "no group named", "pchat.group_set", f"name=nope-{uid()}",
              "description=x")
        fails(kam, 409, f"a group named '{b}' already exists", "pchat.group_set", f"name={a}",
              f"new_name={b}")
        fails(kam, 400, "field 'new_name' must not be empty", "pchat.group_set", f"name={a}",
              "new_name=")
        fails(kam, 400, "groups hold users only", "pchat.group_set", f"name={a}",
              "description=changed", f"add_member=sip:y@{dom}", f"add_member=domain:{dom}")
        fails(kam, 400, "field 'remove_member'", "pchat.group_set", f"name={a}",
              "remove_member=x")
        fails(kam, 400, "unknown field 'member'", "pchat.group_set", f"name={a}",
              f"member=sip:y@{dom}")
        # nothing of the refused calls was written
        assert call(kam, "pchat.group_get", f"name={a}") == [
            {"name": a, "description": "first", "members": [f"sip:x@{dom}"]}]
    finally:
        kam.admin("pchat.group_remove", f"name={a}")
        kam.admin("pchat.group_remove", f"name={b}")


def test_group_used_by_walls_and_roles_cannot_be_removed(kam):
    grp, dom = f"grp-{uid()}", f"d{uid()}.example"
    walled, created = f"cat-wall-{uid()}", f"cat-creators-{uid()}"
    call(kam, "pchat.group_new", f"name={grp}", f"member=sip:m@{dom}")
    try:
        fails(kam, 404, "no group named", "pchat.category_new", f"name={walled}",
              f"allowed_member=group:{grp}-missing")
        call(kam, "pchat.category_new", f"name={walled}", f"allowed_member=group:{grp}")
        msg = fails(kam, 409, f"group '{grp}' in use: walls of {walled}; roles on -",
                    "pchat.group_remove", f"name={grp}")
        assert "(1 wall entry, 0 role(s))" in msg
        call(kam, "pchat.category_new", f"name={created}", f"creator=group:{grp}",
             f"denied_member=group:{grp}")
        msg = fails(kam, 409, f"group '{grp}' in use: walls of ", "pchat.group_remove",
                    f"name={grp}")
        assert created in msg and walled in msg  # both names fit in a JSON-RPC fault
        assert len(call(kam, "pchat.group_get", f"name={grp}")) == 1

        # a rename carries the references along
        call(kam, "pchat.group_set", f"name={grp}", f"new_name={grp}-new")
        [cat] = call(kam, "pchat.category_get", f"name={walled}")
        assert cat["allowed_members"] == [f"group:{grp}-new"]
        [cat] = call(kam, "pchat.category_get", f"name={created}")
        assert cat["creators"] == [f"group:{grp}-new"]
        assert cat["denied_members"] == [f"group:{grp}-new"]
        fails(kam, 409, "in use", "pchat.group_remove", f"name={grp}-new")

        call(kam, "pchat.category_set", f"name={walled}",
             f"remove_allowed_member=group:{grp}-new")
        call(kam, "pchat.category_remove", f"name={created}")
        call(kam, "pchat.group_remove", f"name={grp}-new")
        assert call(kam, "pchat.group_get", f"name={grp}-new") == []
    finally:
        for cat in (walled, created):
            try:
                kam.admin("pchat.category_remove", f"name={cat}")
            except KamailioError:
                pass
        for g in (grp, f"{grp}-new"):
            try:
                kam.admin("pchat.group_remove", f"name={g}")
            except KamailioError:
                pass


# ---- eligible principals ------------------------------------------------

def test_eligible_principals_follow_policy_and_filter(kam, global_policy):
    dom = f"d{uid()}.example"
    grp = f"grp-{uid()}"
    users = [f"sip:{u}@{dom}" for u in ("a", "b", "c", "x_y", "xzy")]
    call(kam, "pchat.group_new", f"name={grp}", *[f"member={u}" for u in users])
    only_policy = f"sip:e@{dom}"
    try:
        # known from a user policy alone
        call(kam, "pchat.policy_grant", f"scope=user:{only_policy}", "enabled=true")
        call(kam, "pchat.policy_grant", f"scope=user:sip:c@{dom}", "enabled=false")
        everyone = sorted(users + [only_policy])
        enabled = [u for u in everyone if u != f"sip:c@{dom}"]
        assert eligible(kam, f"filter=sip:*@{dom}") == enabled
        assert all(r["enabled"] == "1" for r in
                   call(kam, "pchat.eligible_principals", f"filter=*@{dom}"))
        assert f"sip:a@{dom}" in eligible(kam)

        # wildcards: ? is one character, _ and % are literal
        assert eligible(kam, f"filter=sip:?@{dom}") == [f"sip:{u}@{dom}" for u in "abe"]
        assert eligible(kam, f"filter=sip:x_y@{dom}") == [f"sip:x_y@{dom}"]
        assert eligible(kam, f"filter=sip:x?y@{dom}") == [f"sip:x_y@{dom}", f"sip:xzy@{dom}"]
        assert eligible(kam, f"filter=sip:%@{dom}") == []
        assert eligible(kam, f"filter=SIP:A@{dom.upper()}") == [f"sip:a@{dom}"]
        assert eligible(kam, f"filter=sip:*@{dom}", "result_size=2") == enabled[:2]

        # the domain row disables everyone there but the users enabled by name
        call(kam, "pchat.policy_grant", f"scope=domain:{dom}", "enabled=false")
        call(kam, "pchat.policy_grant", f"scope=user:sip:a@{dom}", "enabled=true")
        assert eligible(kam, f"filter=sip:*@{dom}") == [f"sip:a@{dom}", only_policy]
        # 'default' on the domain row falls back to global
        call(kam, "pchat.policy_grant", f"scope=domain:{dom}", "enabled=default")
        call(kam, "pchat.policy_grant", "scope=global", "enabled=false")
        assert eligible(kam, f"filter=sip:*@{dom}") == [f"sip:a@{dom}", only_policy]
        call(kam, "pchat.policy_grant", "scope=global", "enabled=true")
        assert eligible(kam, f"filter=sip:*@{dom}") == enabled

        fails(kam, 400, "unknown field 'uri'", "pchat.eligible_principals", "uri=x")
        fails(kam, 400, "field 'result_size'", "pchat.eligible_principals", "result_size=0")
    finally:
        for u in (only_policy, f"sip:c@{dom}", f"sip:a@{dom}"):
            kam.admin("pchat.policy_grant", f"scope=user:{u}", "enabled=default")
        kam.admin("pchat.policy_grant", f"scope=domain:{dom}", "enabled=default")
        kam.admin("pchat.group_remove", f"name={grp}")


def test_eligible_principals_within_a_category_wall(kam, global_policy):
    tag = uid()
    dom, dom2 = f"d{tag}.example", f"e{tag}.example"
    a, b, c, x = f"sip:a@{dom}", f"sip:b@{dom}", f"sip:c@{dom2}", f"sip:x@{dom2}"
    everyone, partners = f"grp-all-{tag}", f"grp-partners-{tag}"
    wall, child, open_cat, no_partners = (f"cat-{n}-{tag}" for n in
                                          ("wall", "child", "open", "nopartners"))
    call(kam, "pchat.group_new", f"name={everyone}", *[f"member={u}" for u in (a, b, c, x)])
    call(kam, "pchat.group_new", f"name={partners}", f"member={c}")
    flt = f"filter=*{tag}*"
    try:
        # allowed: domain dom and group partners; denied: b by name
        call(kam, "pchat.category_new", f"name={wall}", f"allowed_member=domain:{dom}",
             f"allowed_member=group:{partners}", f"denied_member={b}")
        assert eligible(kam, flt, f"category={wall}") == [a, c]
        # only the category's own rows count, not its parent's
        call(kam, "pchat.category_new", f"name={child}", f"parent={wall}")
        assert eligible(kam, flt, f"category={child}") == [a, b, c, x]
        # no allowed rows: everyone who is not denied
        call(kam, "pchat.category_new", f"name={open_cat}", f"denied_member=domain:{dom2}")
        assert eligible(kam, flt, f"category={open_cat}") == [a, b]
        call(kam, "pchat.category_new", f"name={no_partners}",
             f"denied_member=group:{partners}")
        assert eligible(kam, flt, f"category={no_partners}") == [a, b, x]
        # denial wins over an allowed row
        call(kam, "pchat.category_set", f"name={wall}", f"add_denied_member=group:{partners}")
        assert eligible(kam, flt, f"category={wall}") == [a]
        # and the policy still applies inside a wall
        call(kam, "pchat.policy_grant", f"scope=user:{a}", "enabled=false")
        assert eligible(kam, flt, f"category={wall}") == []
        assert eligible(kam, flt, f"category={open_cat}") == [b]

        fails(kam, 404, "field 'category': no category named", "pchat.eligible_principals",
              f"category=nope-{tag}")
    finally:
        kam.admin("pchat.policy_grant", f"scope=user:{a}", "enabled=default")
        for cat in (child, wall, open_cat, no_partners):
            try:
                kam.admin("pchat.category_remove", f"name={cat}")
            except KamailioError:
                pass
        kam.admin("pchat.group_remove", f"name={everyone}")
        kam.admin("pchat.group_remove", f"name={partners}")
