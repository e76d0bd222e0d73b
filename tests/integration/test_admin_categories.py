"""Category admin RPCs through pchatctl: pchat.category_new/_get/_set/_remove
(Lync New-/Get-/Set-/Remove-CsPersistentChatCategory)."""

import uuid

import pytest

from admin import call, fails
from chat import uid  # noqa: E402


def test_new_get_set_remove(kam):
    top, sub = f"eng-{uid()}", f"sub-{uid()}"
    [cat] = call(kam, "pchat.category_new", f"name={top}", "description=Engineering",
                 "file_upload=false", "invitations=false", "chat_history=true",
                 "allowed_member=domain:Example.COM", "denied_member=sip:Eve@example.com",
                 "creator=sip:alice@example.com")
    assert cat["name"] == top and cat["parent"] == "Root"
    assert cat["uri"].startswith("ma-cat://example.com/")
    assert (cat["file_upload"], cat["invitations"], cat["chat_history"]) == ("0", "0", "1")
    assert cat["allowed_members"] == ["domain:example.com"]  # normalised
    assert cat["denied_members"] == ["sip:eve@example.com"]
    assert cat["creators"] == ["sip:alice@example.com"]
    [child] = call(kam, "pchat.category_new", f"name={sub}", f"parent={top}")
    assert child["parent"] == top
    assert call(kam, "pchat.category_get", f"name={top}")[0]["categories"] == "1"

    [cat] = call(kam, "pchat.category_set", f"name={top}", f"new_name={top}-x",
                 "file_upload=true", "remove_denied_member=sip:eve@example.com",
                 "add_creator=domain:example.com")
    assert cat["name"] == f"{top}-x" and cat["file_upload"] == "1"
    assert cat["denied_members"] == [] and "domain:example.com" in cat["creators"]

    fails(kam, 409, "still holds 0 room(s) and 1 category", "pchat.category_remove",
          f"name={top}-x")
    [gone] = call(kam, "pchat.category_remove", f"name={sub}")
    assert gone["removed"] == sub
    call(kam, "pchat.category_remove", f"name={top}-x")
    assert call(kam, "pchat.category_get", f"name={top}-x") == []


def test_get_lists_all_and_honours_result_size(kam):
    names = [f"list-{uid()}" for _ in range(3)]
    for n in names:
        call(kam, "pchat.category_new", f"name={n}")
    everything = [c["name"] for c in call(kam, "pchat.category_get")]
    assert set(names) <= set(everything) and "Root" in everything
    assert len(call(kam, "pchat.category_get", "result_size=2")) == 2


@pytest.mark.parametrize("args,code,fragment", [
    ((), 400, "field 'name' is required"),
    (("name=",), 400, "field 'name' must not be empty"),
    (("name=x", "bogus=1"), 400, "unknown field 'bogus'"),
    (("name=x", "file_upload=maybe"), 400, "'maybe' is not a boolean"),
    (("name=x", "parent=nowhere-" + uuid.uuid4().hex[:6]), 404, "no category named"),
    (("name=x", "allowed_member=alice"), 400, "is not a principal"),
    (("name=x", "creator=group:nosuchgroup"), 404, "no group named 'nosuchgroup'"),
    (("name=" + "n" * 257,), 400, "longer than 256"),
    (("noequals",), 400, "expected field=value"),
])
def test_new_refuses_bad_input(kam, args, code, fragment):
    fails(kam, code, fragment, "pchat.category_new", *args)


def test_duplicate_name_is_a_conflict_and_nothing_is_half_written(kam):
    name = f"dup-{uid()}"
    call(kam, "pchat.category_new", f"name={name}")
    fails(kam, 409, "already exists", "pchat.category_new", f"name={name.upper()}",
          "creator=sip:x@example.com")
    other = f"dup-{uid()}"
    # the member list fails after the insert: the transaction leaves nothing
    fails(kam, 404, "no group named", "pchat.category_new", f"name={other}",
          "creator=sip:x@example.com", "creator=group:missing-group")
    assert call(kam, "pchat.category_get", f"name={other}") == []


def test_set_refusals(kam):
    a, b = f"a-{uid()}", f"b-{uid()}"
    call(kam, "pchat.category_new", f"name={a}")
    call(kam, "pchat.category_new", f"name={b}", f"parent={a}")
    fails(kam, 400, "cannot be moved below itself", "pchat.category_set", f"name={a}",
          f"parent={b}")
    fails(kam, 400, "root category cannot be moved", "pchat.category_set", "name=Root",
          f"parent={a}")
    fails(kam, 409, "already exists", "pchat.category_set", f"name={b}", f"new_name={a}")
    fails(kam, 404, "no category named", "pchat.category_set", "name=missing-" + uid())
    fails(kam, 400, "must not be empty", "pchat.category_set", f"name={a}", "new_name=")
    fails(kam, 400, "unknown field 'member'", "pchat.category_set", f"name={a}",
          "member=sip:x@example.com")


def test_remove_refusals(kam):
    fails(kam, 400, "root category cannot be removed", "pchat.category_remove", "name=Root")
    fails(kam, 404, "no category named", "pchat.category_remove", "name=missing-" + uid())
