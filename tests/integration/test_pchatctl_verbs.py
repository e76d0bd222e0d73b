"""Every pchatctl verb once against the real server, as an operator types
it: the verb reaches the right RPC, options become fields, and the output
(table, key: value, --json) shows the result."""

import json
import re
import uuid

from kamailio import pchatctl


def run(kam, *args, code=0):
    res = pchatctl(kam, *args)
    assert res.returncode == code, f"{args}: {res.returncode}\n{res.stdout}\n{res.stderr}"
    return res.stdout


def js(kam, *args):
    res = pchatctl(kam, *args, json_output=True)
    assert res.returncode == 0, res.stderr
    return res.json


def test_every_verb_builds_and_tears_down_a_directory(kam):
    u = uuid.uuid4().hex[:6]
    cat, room, addin, grp = f"Cat {u}", f"Room {u}", f"Addin {u}", f"grp{u}"
    dom = f"d{u}.example"
    alice, bob = f"sip:alice@{dom}", f"sip:bob@{dom}"

    assert "(none)" not in run(kam, "new-group", "--name", grp, "--member", alice)
    run(kam, "set-group", "--name", grp, "--add-member", bob, "--description", "team")
    [g] = js(kam, "get-group", "--name", grp)
    assert sorted(g["members"]) == [alice, bob] and g["description"] == "team"

    out = run(kam, "new-category", "--name", cat, "--allowed-member", f"domain:{dom}",
              "--creator", f"group:{grp}")
    # one object: aligned "key: value" lines
    assert re.search(rf"^name: +{re.escape(cat)}$", out, re.M), out
    run(kam, "set-category", "--name", cat, "--chat-history", "true")
    assert js(kam, "get-category", "--name", cat)[0]["creators"] == [f"group:{grp}"]

    run(kam, "new-addin", "--name", addin, "--url", "https://example.com/addin")
    run(kam, "set-addin", "--name", addin, "--url", "https://example.com/v2")
    assert js(kam, "get-addin", "--name", addin)[0]["url"] == "https://example.com/v2"

    run(kam, "new-room", "--name", room, "--category", cat, "--privacy", "open",
        "--member", alice, "--addin", addin)
    run(kam, "set-room", "--name", room, "--add-manager", bob, "--topic", "hello")
    table = run(kam, "get-room", "--category", cat)
    assert table.splitlines()[0].split()[0] == "NAME" and room.split()[0] in table
    [r] = js(kam, "get-room", "--name", room)
    assert r["managers"] == [bob] and r["topic"] == "hello" and r["addin"] == addin
    assert "removed" in run(kam, "clear-room", "--name", room, "--end-date", "2030-01-01")
    run(kam, "remove-message", "--room", room, "--user", alice)

    run(kam, "grant-policy", "--scope", f"user:{bob}", "--enabled", "false")
    eff = js(kam, "get-policy", "--user", bob)
    eff = eff[0] if isinstance(eff, list) else eff
    assert eff["enabled"] is False
    run(kam, "grant-policy", "--scope", f"user:{bob}", "--enabled", "default")
    principals = [p["uri"] for p in js(kam, "get-eligible-principal", "--filter",
                                       f"sip:*@{dom}")]
    assert alice in principals

    before = {c["name"]: c["value"] for c in js(kam, "get-config")}
    run(kam, "set-config", "--default-chat-history", "40")
    assert js(kam, "get-config", "--name", "default_chat_history")[0]["value"] == "40"
    run(kam, "set-config", "--default-chat-history", before["default_chat_history"])

    assert "sessions" in run(kam, "status")
    run(kam, "get-session")  # lists live sessions (maybe none): must succeed

    run(kam, "remove-room", "--name", room)
    run(kam, "remove-addin", "--name", addin)
    run(kam, "remove-category", "--name", cat)
    run(kam, "remove-group", "--name", grp)
    assert js(kam, "get-room", "--name", room) == []


def test_a_refusal_exits_1_with_the_server_message(kam):
    res = pchatctl(kam, "new-room", "--name", "x" + uuid.uuid4().hex, "--category",
                   "no-such-category")
    assert res.returncode == 1
    assert "no category named 'no-such-category'" in res.stderr and "(404)" in res.stderr


def test_json_output_is_the_raw_result(kam):
    res = pchatctl(kam, "status", json_output=True)
    assert res.returncode == 0 and set(res.json) >= {"sessions", "storage"}
    assert json.loads(res.stdout) == res.json


def test_pool_verbs_on_a_node_alone(kam):
    """No pool (no WITH_DMQ): get-endpoint lists this node only; the drain
    works all the same (a lone node drained before maintenance)."""
    [me] = js(kam, "get-endpoint")
    assert me["local"] == 1 and me["uri"] == "" and me["state"] == "up"
    assert me["rooms"] == 0 and "sessions" in me
    assert js(kam, "get-state")["state"] == "active"
    assert js(kam, "set-state", "--state", "drain")["state"] == "drain"
    assert js(kam, "get-endpoint")[0]["state"] == "draining"
    res = pchatctl(kam, "set-state", "--state", "maybe")
    assert res.returncode == 1 and "must be active or drain" in res.stderr
    assert js(kam, "set-state", "--state", "active")["state"] == "active"
