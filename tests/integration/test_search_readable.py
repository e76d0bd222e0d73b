"""The readable rooms of a history search and the visible rooms of a room
search (issue 18, point 1): both read the rules of every room at once (the
categories' rules once each, the rooms' roles that may name the user) and
must decide every room exactly as the one-room path does (bccontext,
chatsrch naming the room: pchat_room_find_user), whatever admits or
refuses the user: roles held on the room or on a category above it, for a
user, a domain or a group, written in any case; ethical walls at any
level; privacy, disabled rooms, categories without history."""

import random

import pytest

from chat import make_category, make_room, sql_quote, uid
from sipclient import findall

T0 = 1_700_000_000_000


@pytest.fixture
def users(kam, chat_users):
    """users() signs a chat user in to kam (conftest's chat_users)."""
    return lambda: chat_users(kam)


def _sql(db, s):
    return db.sql(s, db="pchat")


def _role(db, node, role, ptype, principal):
    _sql(db, f"INSERT IGNORE INTO pchat_role VALUES ({node}, {sql_quote(role)}, "
             f"{sql_quote(ptype)}, {sql_quote(principal)})")


def _wall(db, cat, scope, ptype, principal):
    _sql(db, f"INSERT IGNORE INTO pchat_scope VALUES ({cat}, {sql_quote(scope)}, "
             f"{sql_quote(ptype)}, {sql_quote(principal)})")


def _group(db, name, members):
    _sql(db, f"INSERT INTO pchat_group (name) VALUES ({sql_quote(name)})")
    for u in members:
        _sql(db, f"INSERT INTO pchat_group_member SELECT id, {sql_quote(u.uri.lower())} "
                 f"FROM pchat_group WHERE name = {sql_quote(name)}")


def _cat_id(db, name):
    return _sql(db, f"SELECT id FROM pchat_node WHERE kind = 'category' "
                    f"AND name = {sql_quote(name)}")[0][0]


def _post(db, rid, text):
    _sql(db, f"UPDATE pchat_node SET last_seq = last_seq + 1 WHERE id = {rid};"
             "INSERT INTO pchat_message (room_id, seq, ts_ms, author, content) "
             f"SELECT id, last_seq, {T0}, 'sip:w@example.com', {sql_quote(text)} "
             f"FROM pchat_node WHERE id = {rid}")


def _all_rooms(user, tag):
    """Rooms with a hit when the user searches every readable room."""
    reply = user.dlg.command("chatsrch", f'<srch text="{tag}" cnt="500"/>', timeout=30)
    assert reply.code == 200
    return {c.get("uri").rsplit("/", 1)[1] for c in findall(reply.data, "chanib")}


def _named(user, tag, guid):
    """The one-room path: chatsrch naming the room (as bccontext decides).
    200 with a hit: readable; 200 without: readable, no history kept; 403:
    seen, not readable; 404: hidden."""
    reply = user.dlg.command(
        "chatsrch", f'<srch text="{tag}"><chanib uri="{user.room_uri(guid)}"/></srch>',
        timeout=30)
    if reply.code != 200:
        return reply.code, False
    return 200, bool(findall(reply.data, "chanib/msg"))


def _found(user, tag):
    reply = user.dlg.command(
        "chansrch", f'<qib qtype="BYNAME" criteria="{tag}" extended="false"/>')
    assert reply.code == 200
    return {c.get("uri").rsplit("/", 1)[1] for c in findall(reply.data, "chanib")}


def _check(users, rooms, tag):
    """Each user's readable and visible sets equal the one-room answers;
    returns them per user."""
    out = []
    for u in users:
        named = {g: _named(u, tag, g) for g in rooms}
        readable = {g for g, (code, hit) in named.items() if code == 200 and hit}
        seen = {g for g, (code, _) in named.items() if code in (200, 403)}
        assert _all_rooms(u, tag) == readable, u.uri
        assert _found(u, tag) == seen, u.uri
        out.append((readable, seen))
    return out


def test_every_way_in_and_out(kam, mariadb, users):
    """Hand-made cases, each admitting or refusing for one reason."""
    a, b, c = users(), users(), users()
    tag = uid()
    grp = f"grp-{tag}"
    _group(mariadb, grp, [a])
    dom = kam.domain.upper()
    rooms = {}

    def room(key, **kw):
        rid, guid, _ = make_room(mariadb, name=f"ra-{tag}-{key}", **kw)
        _post(mariadb, rid, f"hit {tag} {key}")
        rooms[key] = (rid, guid)
        return rid

    # a closed room: a member by user URI in upper case, by group (other
    # case), by domain; a presenter; a manager of a disabled room
    _role(mariadb, room("user", privacy="closed"), "member", "user", a.uri.upper())
    _role(mariadb, room("group", privacy="closed"), "member", "group", grp.upper())
    _role(mariadb, room("domain", privacy="secret"), "member", "domain", dom)
    _role(mariadb, room("presenter", privacy="closed", room_type="auditorium"),
          "presenter", "user", b.uri)
    _role(mariadb, room("disabled", privacy="closed", disabled=True), "manager",
          "user", a.uri)
    _role(mariadb, room("creator", privacy="closed"), "creator", "user", a.uri)
    # roles on a category two levels above the room
    top_id, top = make_category(mariadb)
    mid_id, mid = make_category(mariadb, parent=top)
    _role(mariadb, top_id, "member", "user", b.uri)
    room("inherited", privacy="secret", category=mid)
    # walls: denied group at the room's category, allowed user two above
    _, walled = make_category(mariadb, walls=[("denied", "group", grp.lower())])
    room("denied", category=walled)
    wtop_id, wtop = make_category(mariadb, walls=[("allowed", "user", c.uri.upper())])
    _, wsub = make_category(mariadb, parent=wtop)
    _role(mariadb, room("allowed-above", privacy="closed", category=wsub), "member",
          "domain", kam.domain)
    # history not kept: never searched, still seen
    _, nohist = make_category(mariadb, history=False)
    room("nohistory", category=nohist)
    room("open")
    guids = {k: g for k, (_, g) in rooms.items()}
    got = _check([a, b, c], list(guids.values()), tag)
    want = {  # readable rooms of a, b and c
        0: {"user", "group", "domain", "open"},
        1: {"domain", "presenter", "inherited", "denied", "open"},
        2: {"domain", "denied", "allowed-above", "open"},
    }
    for i, (readable, seen) in enumerate(got):
        assert readable == {guids[k] for k in want[i]}, i
    assert guids["disabled"] in got[0][1]  # its manager still sees it
    assert guids["nohistory"] in got[1][1] and guids["inherited"] not in got[0][1]


def test_random_trees_decide_as_one_room(kam, mariadb, users):
    """Random categories, walls, roles and rooms: the all-rooms answers
    equal the one-room answers for every room and user."""
    us = [users() for _ in range(4)]
    tag = uid()
    rnd = random.Random(18)
    groups = [f"g{i}-{tag}" for i in range(3)]
    _group(mariadb, groups[0], us[:2])
    _group(mariadb, groups[1], us[1:3])

    def principal():
        kind = rnd.choice(["user", "user", "domain", "group"])
        if kind == "user":
            v = rnd.choice(us).uri if rnd.random() < 0.8 else f"sip:nobody-{tag}@x.test"
        elif kind == "domain":
            v = kam.domain if rnd.random() < 0.5 else "other.test"
        else:
            v = rnd.choice(groups)
        return kind, v.upper() if rnd.random() < 0.3 else v

    cats = [None]
    for i in range(9):
        cid, name = make_category(mariadb, parent=rnd.choice(cats),
                                  history=rnd.random() < 0.85)
        cats.append(name)
        for _ in range(rnd.choice([0, 0, 1, 2])):
            _wall(mariadb, cid, rnd.choice(["allowed", "denied"]), *principal())
        for _ in range(rnd.choice([0, 1])):
            _role(mariadb, cid, rnd.choice(["member", "manager", "creator"]), *principal())
    guids = []
    for i in range(40):
        rid, guid, _ = make_room(
            mariadb, name=f"rr-{tag}-{i}", category=rnd.choice(cats),
            privacy=rnd.choice(["open", "closed", "closed", "secret"]),
            room_type=rnd.choice(["normal", "auditorium"]), disabled=rnd.random() < 0.15)
        for _ in range(rnd.choice([0, 1, 2, 3])):
            _role(mariadb, rid, rnd.choice(["member", "manager", "presenter", "creator"]),
                  *principal())
        _post(mariadb, rid, f"hit {tag} {i}")
        guids.append(guid)
    got = _check(us, guids, tag)
    # the draw admits and refuses: the sets are neither empty nor all
    for readable, seen in got:
        assert 0 < len(readable) < len(guids) and len(readable) <= len(seen)
    assert len({frozenset(r) for r, _ in got}) > 1
