"""Shared memory running out never means silence: tm keeps every answered
transaction (with its request) in shm for its wait timer, so a flood of
large posts can fill shm before any pchat queue is full. (INFO over TCP has
a transaction only with info_transactions 1, as here, or over UDP.) Below
shm_reserve_kb new commands get a stateless 503 with Retry-After; with no
reserve, a request tm cannot keep gets the same 503 instead of nothing.
Either way what was answered 200 is stored, nothing refused is, and the
node serves again once tm's timers have freed the memory."""

import re
import time

from chat import ChatUser, make_room, unique
from posting import stored_posts
from sipclient import InviteRejected

BIG = 480  # characters per post (message_size_limit 512): ~2 KB held by tm


def shm(kam, key):
    return int(re.search(rf"^\s*{key}:\s*(\d+)", kam.rpc("core.shmmem"), re.M).group(1))


def flood(author, guid, count):
    """Up to count big posts, each answered before the next, until 20 are
    refused; (statuses, the first refusal, texts answered 200)."""
    statuses, refused, ok = [], None, []
    for i in range(count):
        if statuses.count(503) >= 20:
            break
        text = f"big {i} " + "x" * BIG
        r = author.post(guid, text, timeout=15)
        statuses.append(r.status)
        if r.status == 200:
            ok.append(text)
        elif refused is None:
            refused = r
    return statuses, refused, ok


def stored_big(mariadb, rid):
    """The texts of the room's stored big posts, in sequence order."""
    return [c for _, _, c in stored_posts(mariadb, [rid]) if c.startswith("big ")]


def check_refusal(r):
    assert r.status == 503, r.raw.decode(errors="replace")[:300]
    assert int(r.header("Retry-After")) >= 1
    return r.header("Warning") or ""


def serves_again(kam, author, reader, guid):
    """tm's wait timer (5 s) frees the transactions: posts pass again."""
    deadline = time.time() + 20
    while time.time() < deadline:
        r = author.post(guid, "after the flood")
        if r.status == 200:
            return True
        time.sleep(0.5)
    return False


def test_below_the_reserve_commands_get_503_and_sessions_go_on(kamailio_factory, mariadb):
    # learn how much shm a signed-in node leaves free, then keep all but
    # ~0.75 MB of it in reserve: some hundred posts later, commands are refused
    probe = kamailio_factory(shm_mb=64)
    a = ChatUser(probe, unique("probe"))
    free = shm(probe, "free")
    a.close()
    probe.stop()
    reserve_kb = free // 1024 - 768
    kam = kamailio_factory(shm_mb=64, defines={"PCHAT_SHM_RESERVE_KB": reserve_kb,
                                               "PCHAT_MAX_INFOS_PER_SECOND": 0,
                                               "PCHAT_INFO_TRANSACTIONS": 1})
    rid, guid, _ = make_room(mariadb)
    author, reader = ChatUser(kam, unique("a")), ChatUser(kam, unique("r"))
    try:
        assert author.join(guid).code == 200
        assert reader.join(guid).code == 200
        statuses, refused, ok = flood(author, guid, 5000)
        assert set(statuses) <= {200, 503}, statuses  # every post answered
        assert refused is not None and 0 < len(ok) < 5000
        assert "server memory low" in check_refusal(refused)
        # the refused were never stored; the acknowledged all are, in order
        assert stored_big(mariadb, rid) == ok
        # a new sign-in while still below the reserve is refused the same way
        if shm(kam, "free") < reserve_kb * 1024:
            try:
                ChatUser(kam, unique("late")).close()
                raise AssertionError("a sign-in below the reserve was accepted")
            except InviteRejected as e:
                assert e.response.status == 503
        # the sessions go on, and the node serves again once tm's wait
        # timers have freed the memory
        assert serves_again(kam, author, reader, guid)
    finally:
        author.close()
        reader.close()


def test_without_a_reserve_a_request_tm_cannot_keep_gets_503(kamailio_factory, mariadb):
    # a node whose shm is nearly all used at start: with no reserve, tm
    # itself runs out, and pchat answers 503 statelessly instead of nothing
    probe = kamailio_factory(shm_mb=64)
    used_mb = shm(probe, "real_used") // (1024 * 1024)
    probe.stop()
    kam = kamailio_factory(shm_mb=used_mb + 2, defines={"PCHAT_SHM_RESERVE_KB": 0,
                                                         "PCHAT_MAX_INFOS_PER_SECOND": 0,
                                                         "PCHAT_INFO_TRANSACTIONS": 1})
    rid, guid, _ = make_room(mariadb)
    author, reader = ChatUser(kam, unique("a")), ChatUser(kam, unique("r"))
    try:
        assert author.join(guid).code == 200
        assert reader.join(guid).code == 200
        statuses, refused, ok = flood(author, guid, 5000)
        assert set(statuses) <= {200, 503}, statuses  # never silence
        assert refused is not None, "shm never ran out: raise the flood"
        check_refusal(refused)  # tm's (or the post's) allocation failed
        assert stored_big(mariadb, rid) == ok
        assert serves_again(kam, author, reader, guid)
    finally:
        author.close()
        reader.close()
