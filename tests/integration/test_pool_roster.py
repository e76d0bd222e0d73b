"""A join's roster lists the whole pool's participants (issue 14): each node
shares the names of its participants of small rooms (at most
participant_update_limit sessions there) with the others (NAMES: at once when
a user comes or goes, and after its full list); a join or bjoin reply lists
this node's participants and the other nodes', each once; a user who parts
one node while still in the room through another is not announced as
parted; forged names are refused (400, logged) or repaired by the
heartbeat's digest. Three standalone nodes (-A WITH_DMQ) on one database."""


import pytest

from admin import config
from chat import ChatUser, make_room, roster_of, unique, wait_until
from pool import kdmq, node_defines, running_pool, status_int

BEAT_MS, DEAD_MS, FORGET_MS = 250, 750, 4000
MEMBERS = "3984"


def _defines(seed=None):
    return node_defines(seed, PCHAT_POOL_HEARTBEAT_MS=BEAT_MS, PCHAT_POOL_DEAD_MS=DEAD_MS,
                        PCHAT_POOL_FORGET_MS=FORGET_MS)


@pytest.fixture(scope="module")
def pool(db_url):
    with running_pool(db_url, _defines) as nodes:
        yield nodes


def _members(user, rep, guid):
    """The participants (uris) of the room in a join/bjoin reply, checking
    that each is listed once."""
    assert rep.code == 200, rep
    chanib = [c for c in rep.data.iter() if c.tag.endswith("chanib")]
    ids = [aib.get("value") for c in chanib for aib in c
           if aib.tag.endswith("aib") and aib.get("key") == MEMBERS][0]
    ids = ids.split(",") if ids else []
    assert len(ids) == len(set(ids)), ids
    return set(roster_of(rep)[user.room_uri(guid)])


def _roster_is(user, guid, expected, timeout=5):
    """user joins until its reply lists expected (the names of other nodes
    are on their way meanwhile), parting between tries; the last list."""
    seen = []

    def once():
        seen[:] = [_members(user, user.join(guid), guid)]
        if seen[0] == set(expected):
            return True
        assert user.part(guid).code == 200
        return False

    wait_until(once, timeout=timeout, step=0.2)
    return seen[0]


def _names_sent(pool):
    return sum(int(k.rpc("cnt.get", "pchat", "pool_names_sent").strip()) for k in pool)


def test_a_join_lists_the_participants_of_every_node(pool, mariadb, chat_users):
    a, b, c = pool
    _, guid, _ = make_room(mariadb, privacy="open")
    bob, carol, carl = chat_users(b), chat_users(c), chat_users(c)
    sent = _names_sent(pool)
    for u in (bob, carol, carl):
        assert u.join(guid).code == 200
    sent = _names_sent(pool) - sent
    print(f"NAMES messages for 3 joins on 2 nodes: {sent} (each to 2 nodes)")
    assert sent == 3  # one per user coming to a node's room, at once
    alice = chat_users(a)
    want = {alice.uri, bob.uri, carol.uri, carl.uri}
    assert _roster_is(alice, guid, want) == want
    # a bjoin's too, with this node's participants (alice) beside them
    ann = chat_users(a)
    other = make_room(mariadb, privacy="open")[1]
    rep = ann.bjoin([guid, other])
    assert _members(ann, rep, guid) == {ann.uri, alice.uri, bob.uri, carol.uri, carl.uri}
    assert _members(ann, rep, other) == {ann.uri}
    # the uibs list each user once
    uris = [u.get("uri") for u in rep.data.iter() if u.tag.endswith("uib")]
    assert len(uris) == len(set(uris)), uris


def test_a_part_on_another_node_leaves_the_roster(pool, mariadb, chat_users):
    a, b, _ = pool
    _, guid, _ = make_room(mariadb, privacy="open")
    alice = chat_users(a)
    bob, bea = chat_users(b), chat_users(b)
    for u in (alice, bob, bea):
        assert u.join(guid).code == 200
    dave = chat_users(a)
    want = {alice.uri, dave.uri, bob.uri, bea.uri}
    assert _roster_is(dave, guid, want) == want
    # bob leaves b (bea stays there): his names go before his part notice
    assert bob.part(guid).code == 200
    assert alice.wait_notice("part") is not None
    eve = chat_users(a)
    assert _members(eve, eve.join(guid), guid) == {alice.uri, dave.uri, eve.uri, bea.uri}
    # the last of b leaves by ending its session: b's names go with its room
    bea.close()
    fay = chat_users(a)
    want = {alice.uri, dave.uri, eve.uri, fay.uri}
    assert _roster_is(fay, guid, want) == want


def _is_part(m):
    return "<ntc" in m.body and 'ntc:part"' in m.body


def _is_join(m):
    return "<ntc" in m.body and 'ntc:join"' in m.body


def _joined(u, uri):
    """A join notice naming uri reached u (other join notices skipped)."""
    return u.wait_notice("join").find(".//{*}uib").get("uri") == uri


def test_a_user_on_two_nodes_leaving_one_is_not_announced_as_parted(pool, mariadb,
                                                                  chat_users):
    a, b, c = pool
    _, guid, _ = make_room(mariadb, privacy="open")
    alice, carol = chat_users(a), chat_users(c)
    name = unique("twice")
    bob_a, bob_b = ChatUser(a, name), ChatUser(b, name)
    try:
        for u in (alice, carol, bob_b):
            assert u.join(guid).code == 200
        for u in (alice, carol):  # bob's first session: told once
            assert wait_until(lambda u=u: _joined(u, bob_b.uri))
        # a and c know bob is on b
        want = {alice.uri, carol.uri, bob_b.uri}
        assert _roster_is(bob_a, guid, want) == want
        # his second session (on a) is no news to anyone
        for u in (alice, carol):
            u.dlg.expect_no_server_info(within=1.0, predicate=_is_join)
        ada = chat_users(c)
        want |= {ada.uri}
        assert _roster_is(ada, guid, want) == want
        # bob leaves a, still in the room through b: nobody is told
        assert bob_a.part(guid).code == 200
        for u in (alice, carol):
            u.dlg.expect_no_server_info(within=1.0, predicate=_is_part)
        # and a joiner on c still sees him
        cid = chat_users(c)
        assert bob_b.uri in _members(cid, cid.join(guid), guid)
        # his last session leaves: everyone is told
        bob_b.close()
        for u in (alice, carol):
            assert u.wait_notice("part").find(".//{*}uib").get("uri") == bob_b.uri
    finally:
        bob_a.close()
        bob_b.close()


def test_forged_names_are_refused_or_repaired(pool, mariadb, chat_users):
    a, b, _ = pool
    rid, guid, _ = make_room(mariadb, privacy="open")
    alice = chat_users(a)
    assert alice.join(guid).code == 200
    bob = chat_users(b)
    assert _roster_is(bob, guid, {alice.uri, bob.uri}) == {alice.uri, bob.uri}
    assert bob.part(guid).code == 200
    dom = a.domain
    good = f"PCHAT1 NAMES\n{rid} 2\n1 sip:al@{dom}\n1 sip:bo@{dom}\n"
    for body in (f"PCHAT1 NAMES\n{rid} 1\n1 sip:Al@{dom}\n",      # not canonical
                 f"PCHAT1 NAMES\n{rid} 1\n1 sips:al@{dom}\n",     # not canonical
                 f"PCHAT1 NAMES\n{rid} 1\n1 sip:al@{dom};x=1\n",  # parameters
                 f"PCHAT1 NAMES\n{rid} 1\n1 tel:+123\n",          # not a chat identity
                 f"PCHAT1 NAMES\n{rid} 1\n1 <script>\n",
                 f"PCHAT1 NAMES\n{rid} 2\n1 sip:bo@{dom}\n1 sip:al@{dom}\n",  # unsorted
                 f"PCHAT1 NAMES\n{rid} 2\n1 sip:al@{dom}\n1 sip:al@{dom}\n",  # twice
                 f"PCHAT1 NAMES\n{rid} 3\n1 sip:al@{dom}\n1 sip:bo@{dom}\n",  # fewer
                 f"PCHAT1 NAMES\n{rid} 1\n8 sip:al@{dom}\n",      # roles
                 f"PCHAT1 NAMES\n{rid} 1\n1 sip:al@{dom}",        # no end of line
                 f"PCHAT1 NAMES\n{rid} 01\n1 sip:al@{dom}\n",
                 f"PCHAT1 NAMES\n{rid} 10001\n",
                 f"PCHAT1 NAMES\n{rid} OVER\n1 sip:al@{dom}\n",
                 "PCHAT1 NAMES\n", f"PCHAT1 NAMES {rid} 0\n",
                 good + "x"):
        assert kdmq(b, a.port, body.encode()) == 400, body
    assert "malformed pool message from" in b.log()
    # none taken
    assert _members(bob, bob.join(guid), guid) == {alice.uri, bob.uri}
    assert bob.part(guid).code == 200
    # a well-formed forgery is taken, then repaired: the heartbeat's digest
    # covers the names, a differing one asks a for its whole list
    syncs = status_int(b, "pool_resyncs")
    assert kdmq(b, a.port, good.encode()) == 200
    assert _members(bob, bob.join(guid), guid) == {f"sip:al@{dom}", f"sip:bo@{dom}", bob.uri}
    assert wait_until(lambda: status_int(b, "pool_resyncs") > syncs, timeout=10 * BEAT_MS / 1000)
    assert "its rooms here differ from its own" in b.log()
    bi = chat_users(b)
    want = {alice.uri, bob.uri, bi.uri}
    assert _roster_is(bi, guid, want) == want


def test_two_parts_held_at_once_are_sent_once(pool, mariadb, chat_users):
    """A user's last sessions on two nodes leave at once, each node seeing
    the user on the other: both hold their part and tell the other (HELD
    with a random token); the one with the lower token sends its notice.
    Here c's side is forged: a believes bob is on c too when bob parts."""
    a, _, c = pool
    rid, guid, _ = make_room(mariadb, privacy="open")
    alice, carol = chat_users(a), chat_users(c)
    for u in (alice, carol):
        assert u.join(guid).code == 200

    def c_names(*users):
        lines = "".join(f"1 {u}\n" for u in sorted(users))
        return f"PCHAT1 NAMES\n{rid} {len(users)}\n{lines}".encode()

    for token, told in (("0000000000000000", False), ("ffffffffffffffff", True)):
        bob = chat_users(a)
        want = {alice.uri, carol.uri, bob.uri}
        assert _roster_is(bob, guid, want) == want  # a knows carol's names
        assert kdmq(a, c.port, c_names(carol.uri, bob.uri)) == 200
        assert bob.part(guid).code == 200  # held: bob is "on c"
        alice.dlg.expect_no_server_info(within=0.5, predicate=_is_part)
        # c's part "at the same time": bob nowhere now, and c held it too
        assert kdmq(a, c.port, c_names(carol.uri)) == 200
        held = f"PCHAT1 HELD {rid} {token} {bob.uri}\n".encode()
        assert kdmq(a, c.port, held) == 200
        if told:  # a's token is the lower: a sends its notice, once
            for u in (alice, carol):
                assert u.wait_notice("part").find(".//{*}uib").get("uri") == bob.uri
            assert "left two nodes at once: its part is sent" in a.log()
        else:  # c's is: c would send it
            alice.dlg.expect_no_server_info(within=0.5, predicate=_is_part)
        # a HELD again finds nothing held: no second notice
        assert kdmq(a, c.port, held.replace(token.encode(), b"f" * 16)) == 200
        alice.dlg.expect_no_server_info(within=0.5, predicate=_is_part)
    for body in (f"PCHAT1 HELD {rid} 0123 {alice.uri}\n",
                 f"PCHAT1 HELD {rid} 0123456789ABCDEF {alice.uri}\n",
                 f"PCHAT1 HELD {rid} 0123456789abcdef sip:Al@x\n",
                 f"PCHAT1 HELD {rid} 0123456789abcdef {alice.uri}",
                 f"PCHAT1 HELD 0 0123456789abcdef {alice.uri}\n"):
        assert kdmq(a, c.port, body.encode()) == 400, body


def test_past_the_limit_a_node_names_nobody_and_the_roster_is_limited(pool, mariadb,
                                                                     chat_users):
    a, b, _ = pool
    _, guid, _ = make_room(mariadb, privacy="open")
    saved = config(a)["participant_update_limit"]
    try:
        for k in pool:  # each node drops its cached copy
            k.admin("pchat.config_set", "participant_update_limit=2")
        on_b = [chat_users(b) for _ in range(3)]
        for u in on_b:
            assert u.join(guid).code == 200
        # 3 users on b, more than 2: b names nobody, a's joiner is told so
        alice = chat_users(a)

        def limited():
            rep = alice.join(guid)
            chanib = [c for c in rep.data.iter() if c.tag.endswith("chanib")][0]
            if chanib.get("limited") == "true":
                return _members(alice, rep, guid)
            assert alice.part(guid).code == 200
            return None

        assert wait_until(limited, timeout=5, step=0.2) == {alice.uri}
        # one leaves: 2 on b, named again
        assert on_b[0].part(guid).code == 200
        ann = chat_users(a)
        want = {alice.uri, ann.uri, on_b[1].uri, on_b[2].uri}
        assert _roster_is(ann, guid, want) == want
    finally:
        for k in pool:
            k.admin("pchat.config_set", f"participant_update_limit={saved}")
