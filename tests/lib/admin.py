"""Helpers for the admin RPC tests (tests/integration/test_admin_*.py and
others that call pchat.* RPCs through pchatctl): kamcmd's text output parsed
into dicts, the one way to assert that an RPC fails with a code, and the
configuration a test changes put back when it ends."""

import contextlib
import re

import pytest

from kamailio import KamailioError


def parse_kamcmd(text):
    """kamcmd's text output as a list of dicts; nested "key: {" blocks become
    lists (of strings, or of dicts for nested structs). A line that is not
    "key: value" inside a struct is an error, not silently dropped."""
    items, stack = [], []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line == "{":
            d = {}
            (stack[-1] if stack and isinstance(stack[-1], list) else items).append(d)
            stack.append(d)
        elif line == "}":
            stack.pop()
        elif stack and isinstance(stack[-1], list):
            stack[-1].append(line)
        elif stack and line.endswith(": {"):
            lst = []
            stack[-1][line[:-3]] = lst
            stack.append(lst)
        elif stack and ":" in line:
            key, _, value = line.partition(":")
            stack[-1][key.strip()] = value.strip()
        elif stack:
            raise AssertionError(f"unexpected kamcmd line {raw!r} in:\n{text}")
    return items


def call(kam, method, *args):
    """Runs an admin RPC; its result as a list of dicts."""
    return parse_kamcmd(kam.admin(method, *args))


def one(kam, method, *args):
    """Runs an admin RPC that must answer exactly one struct."""
    items = call(kam, method, *args)
    assert len(items) == 1, items
    return items[0]


def fails(kam, code, fragment, method, *args):
    """The RPC must fail with that code and a message containing fragment;
    returns the message."""
    with pytest.raises(KamailioError) as err:
        kam.admin(method, *args)
    m = re.search(r"error: (\d+) - (.*)", str(err.value))
    assert m, str(err.value)
    assert m.group(1) == str(code), str(err.value)
    assert fragment in m.group(2), str(err.value)
    return m.group(2)


def config(kam):
    """pchat_config as {name: value}, read through pchat.config_get."""
    return {row["name"]: row["value"] for row in call(kam, "pchat.config_get")}


@contextlib.contextmanager
def config_restored(kam):
    """Yields the configuration as it was; on exit puts back every value that
    differs (changed by RPC or by a DBA's UPDATE), in one pchat.config_set:
    one transaction, so the story >= message check sees both limits, and
    every Kamailio process drops its cached copy at once, so the next test
    sees the old values without waiting for the cache to expire."""
    saved = config(kam)
    try:
        yield saved
    finally:
        now = config(kam)
        changed = [name for name, value in saved.items() if now.get(name) != value]
        if changed:
            kam.admin("pchat.config_set", *[f"{n}={saved[n]}" for n in changed])


@contextlib.contextmanager
def config_set(kam, **settings):
    """pchat.config_set of settings for the block, then back to what they were."""
    before = {k: one(kam, "pchat.config_get", f"name={k}")["value"] for k in settings}
    call(kam, "pchat.config_set", *[f"{k}={v}" for k, v in settings.items()])
    try:
        yield
    finally:
        call(kam, "pchat.config_set", *[f"{k}={v}" for k, v in before.items()])
