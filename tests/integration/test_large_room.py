"""Large rooms (issue 18, point 5; doc/xccos.md 3.13): above
participant_update_limit online participants, joins (join and bjoin) and
session ends are not announced to the room, so a room of 16,000 members
causes no presence storm at sign-in or sign-out; the room search still
counts every online participant and the join reply lists them. The limit
is lowered here (it is a service setting) so that a few dozen sessions
cross it."""

import time

import pytest

from admin import config_set
from chat import ChatUser, make_room, roster_of, unique, wait_until
from sipclient import find, findall, parse_xccos

LIMIT = 6
MEMBERS = 30


def _notices(user):
    """(notice id, the user it names) of every roster notice this client got."""
    out = []
    for m in user.dlg.server_infos:
        ntc = find(parse_xccos(m.body), "ntc")
        if ntc is None or ntc.get("id") not in ("ntc:join", "ntc:bjoin", "ntc:part"):
            continue
        uib = find(ntc, "data/uib") if ntc.get("id") != "ntc:part" else find(
            ntc, "data/chanib/uib")
        out.append((ntc.get("id"), uib.get("uri")))
    return out


def _ucnt(user, name):
    rep = user.dlg.command("chansrch", f'<qib qtype="BYNAME" criteria="{name}" extended="false"/>')
    chan, = [c for c in findall(rep.data, "chanib") if c.get("name") == name]
    return int({i.get("id"): i.text for i in findall(chan, "info")}[
        "urn:parlano:ma:info:ucnt"])


@pytest.fixture
def crowd(kam, mariadb):
    """MEMBERS signed-in users (not joined yet) and a room for them."""
    _, guid, name = make_room(mariadb, name=unique("crowd"))
    users = [ChatUser(kam, unique("c")) for _ in range(MEMBERS)]
    yield guid, name, users
    for u in users:
        u.close()


def test_no_join_or_part_notices_beyond_the_limit_and_counts_stay_right(kam, crowd):
    guid, name, users = crowd
    with config_set(kam, participant_update_limit=LIMIT):
        for i, u in enumerate(users):
            # bjoin (as at sign-in) and join alike
            rep = u.bjoin([guid]) if i % 2 else u.join(guid)
            assert rep.code == 200, rep
            assert find(rep.data, "fib") is None
        last = roster_of(rep)[users[-1].room_uri(guid)]
        assert set(last) == {u.uri for u in users}  # the whole room in the reply
        assert _ucnt(users[0], name) == MEMBERS
        # the k-th joiner is announced to the k-1 before it while k <= LIMIT
        # (counting the joiner), never after
        expected = LIMIT * (LIMIT - 1) // 2  # not MEMBERS²/2
        wait_until(lambda: sum(len(_notices(u)) for u in users) >= expected, timeout=5)
        time.sleep(0.5)  # and nothing more comes
        heard = {u.uri: _notices(u) for u in users}
        for k, u in enumerate(users, start=1):
            want = [("ntc:bjoin" if (j - 1) % 2 else "ntc:join", users[j - 1].uri)
                    for j in range(k + 1, LIMIT + 1)]
            assert heard[u.uri] == want, (k, heard[u.uri])
        assert sum(len(v) for v in heard.values()) == expected
        # the later joiners end their sessions: the room stays above the
        # limit until LIMIT are left, and nobody hears of it
        for u in users[LIMIT:]:
            u.close()
        stay = users[:LIMIT]
        for u in stay:
            u.dlg.expect_no_server_info(
                within=0.1, predicate=lambda m: "ntc:part" in m.body)
        assert _ucnt(stay[0], name) == LIMIT
        # at the limit, a part is announced again
        stay[-1].part(guid)
        for u in stay[:-1]:
            ntc = u.wait_notice("part")
            assert find(ntc, "data/chanib/uib").get("uri") == stay[-1].uri
        assert _ucnt(stay[0], name) == LIMIT - 1


BIG = 180  # more than a 4096-byte join reply can list (about 160)


def test_a_join_into_a_room_larger_than_its_reply_lists_the_newest_and_the_joiner(
        instance, mariadb):
    kam, _ = instance(PCHAT_MAX_REPLY_SIZE="4096", PCHAT_MAX_INVITES_PER_SECOND="0")
    _, guid, name = make_room(mariadb, name=unique("big"))
    users = []
    try:
        for _ in range(BIG):
            u = ChatUser(kam, unique("b"))
            users.append(u)
            rep = u.join(guid)
            assert rep.code == 200, rep
        uri = users[0].room_uri(guid)
        for who in (users[-1], users[0]):  # the newest, and the oldest again
            rep = who.join(guid)
            assert rep.code == 200, rep
            uibs = {u.get("id"): u.get("uri") for u in findall(rep.data, "uib")}
            chan, = findall(rep.data, "chanib")
            assert chan.get("limited") == "true" and len(uibs) < BIG
            assert uibs["0"] == who.uri
            listed = {uibs[i] for i in
                      find(chan, "aib[@key='3984']").get("value").split(",")}
            assert who.uri in listed and listed <= {u.uri for u in users}
            assert len(listed) == len(uibs) > 1
            assert roster_of(rep)[uri][who.uri] == {"3984"}
        assert _ucnt(users[0], name) == BIG
    finally:
        for u in users:
            u.close()
