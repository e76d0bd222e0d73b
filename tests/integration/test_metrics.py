"""Metrics (issue 19): pchat's Kamailio counters (group "pchat") on
xhttp_prom's /metrics, served on a loopback listener of its own
(-A PCHAT_METRICS_PORT), scraped over HTTP as Prometheus does."""

import re
import socket
import time
import urllib.error
import urllib.request

from chat import make_room, wait_until
from mariadb import free_port


def scrape(port, path="/metrics"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        assert r.status == 200
        text = r.read().decode()
    values = {}
    for line in text.splitlines():
        m = re.match(r"kamailio_pchat_(\w+) (-?\d+)", line)
        if m:
            values[m.group(1)] = int(m.group(2))
    return values


def non_loopback_address():
    """An address of this machine that is not loopback, or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))  # no packet is sent: picks the route's source
        addr = s.getsockname()[0]
    except OSError:
        return None
    finally:
        s.close()
    return None if addr.startswith("127.") else addr


def set_compliance(mariadb, on):
    mariadb.sql(f"UPDATE pchat_config SET value = '{int(on)}' WHERE name = 'compliance'",
                db="pchat")
    time.sleep(1.2)  # the node's copy of the configuration lives a second


def waiting_events(mariadb):
    return int(mariadb.sql("SELECT COUNT(*) FROM pchat_compliance_event e, "
                           "pchat_compliance_state s WHERE s.id = 1 AND "
                           "e.id > s.last_event_id", db="pchat")[0][0])


def test_counters_move_on_join_and_post(instance, mariadb):
    port = free_port()
    kam, user = instance(PCHAT_METRICS_PORT=port)
    set_compliance(mariadb, True)
    try:
        counters_move(kam, user, port, mariadb)
    finally:
        set_compliance(mariadb, False)


def counters_move(kam, user, port, mariadb):
    before = scrape(port)
    for name in ("sessions", "joins", "posts", "copies", "shed_clients",
                 "store_errors", "store_down", "compliance_backlog",
                 "post_ack_ms_count", "post_ack_ms_bucket_le_1000", "fanout_ms_count"):
        assert name in before, name
    assert before["sessions"] == 0 and before["joins"] == 0 and before["posts"] == 0
    assert before["store_down"] == 0

    _, guid, _ = make_room(mariadb)
    alice, bob = user(), user()
    assert alice.join(guid).code == 200 and bob.join(guid).code == 200
    assert alice.post(guid, "counted").status == 200
    assert bob.wait_message(guid)["text"] == "counted"

    after = scrape(port)
    assert after["sessions"] == 2
    assert after["joins"] == 2
    assert after["posts"] == 1
    assert after["copies"] >= 1  # bob's copy (and the join notice)
    assert after["post_ack_ms_count"] == 1
    assert after["fanout_ms_count"] >= 1
    assert after["post_ack_ms_sum_us"] > 0 and after["fanout_ms_sum_us"] > 0
    assert after["store_commit_ms_count"] == 1  # one batch, one transaction
    assert after["store_commit_ms_bucket_le_10000"] == 1
    # cumulative buckets: each at least the one below, +Inf is the count
    bounds = sorted(int(k.rsplit("_", 1)[1]) for k in after if k.startswith("post_ack_ms_bucket_le_"))
    counts = [after[f"post_ack_ms_bucket_le_{b}"] for b in bounds]
    assert counts == sorted(counts) and counts[-1] <= after["post_ack_ms_count"]
    assert "pool_copies_sent" not in after  # not pooled (test_pool.py)
    # the compliance process counts the events waiting (no adapter: they
    # stay), the joins and the post among them
    assert waiting_events(mariadb) >= 3
    assert wait_until(lambda: scrape(port)["compliance_backlog"] == waiting_events(mariadb),
                      timeout=15)
    # kamcmd reads the same counters
    assert re.search(r"joins\W+2", kam.rpc("cnt.grp_get_all", "pchat"))

    alice.close()
    assert wait_until(lambda: scrape(port)["sessions"] == 1)


def test_store_errors_are_counted(instance, mariadb):
    port = free_port()
    kam, user = instance(PCHAT_METRICS_PORT=port)
    _, guid, _ = make_room(mariadb)
    alice = user()
    assert alice.join(guid).code == 200
    before = scrape(port)["store_errors"]
    # the database refuses writes: the post's INSERT fails
    mariadb.sql("SET GLOBAL read_only = 1")
    try:
        assert alice.post(guid, "refused").status != 200
    finally:
        mariadb.sql("SET GLOBAL read_only = 0")
    assert scrape(port)["store_errors"] > before


def test_metrics_listener_is_loopback_only_and_serves_only_metrics(instance):
    port = free_port()
    kam, _ = instance(PCHAT_METRICS_PORT=port)
    assert scrape(port)  # loopback answers
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/RPC", timeout=5)
        assert False, "only /metrics is served"
    except urllib.error.HTTPError as e:
        assert e.code == 404
    # not bound on the SIP address's other interfaces
    other = non_loopback_address()
    if other:
        with socket.socket() as s:
            s.settimeout(2)
            assert s.connect_ex((other, port)) != 0
    # the SIP port does not serve /metrics
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{kam.port}/metrics", timeout=5)
        assert False, "the SIP port serves no metrics"
    except urllib.error.HTTPError as e:
        assert e.code == 404
    except (urllib.error.URLError, OSError):
        pass
    listens = [ln for ln in open(kam.logfile, errors="replace") if f":{port}" in ln and "tcp" in ln]
    assert listens and all("127.0.0.1" in ln for ln in listens)


def test_grafana_dashboard_names_exported_metrics(instance):
    """tools/grafana/pchat.json queries only names /metrics exports (the
    pool_* ones exist on pooled nodes only)."""
    import json
    import os
    port = free_port()
    instance(PCHAT_METRICS_PORT=port)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        exported = set(re.findall(r"^(kamailio_\w+) ", r.read().decode(), re.M))
    top = os.path.join(os.path.dirname(__file__), "..", "..")
    with open(os.path.join(top, "tools", "grafana", "pchat.json")) as f:
        dash = json.load(f)
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    names = set()
    for e in exprs:
        names |= set(re.findall(r"\b(kamailio_\w+?)(?:\{|\[| |\)|,|$)", e))
        for prefix in re.findall(r'__name__=~"(kamailio_\w+?)\.\*"', e):
            assert any(n.startswith(prefix) for n in exported), prefix
    names = {n for n in names if not n.endswith("_le_") and "_bucket_le_(" not in n}
    missing = {n for n in names if n not in exported and "_pool_" not in n}
    assert not missing, missing


def test_pooled_nodes_count_dmq_copies(db_url, mariadb, chat_users):
    from pool import node_defines, running_pool
    ports = {}

    def defines(seed):
        port = free_port()
        d = node_defines(seed, PCHAT_METRICS_PORT=port)
        ports[len(ports)] = port
        return d
    with running_pool(db_url, defines=defines, count=2) as (a, b):
        _, guid, _ = make_room(mariadb)
        alice, bob = chat_users(a), chat_users(b)
        assert alice.join(guid).code == 200 and bob.join(guid).code == 200
        sent = scrape(ports[0])["pool_copies_sent"]
        received = scrape(ports[1])["pool_copies_received"]
        assert alice.post(guid, "across").status == 200
        assert bob.wait_message(guid)["text"] == "across"
        assert scrape(ports[0])["pool_copies_sent"] > sent
        assert wait_until(lambda: scrape(ports[1])["pool_copies_received"] > received)


def test_node_cfg_serves_metrics(kamailio_factory):
    port = free_port()
    kamailio_factory(defines={"PCHAT_METRICS_PORT": port}, cfg="cfg/pchat-node.cfg")
    values = scrape(port)
    assert values["sessions"] == 0 and "post_ack_ms_count" in values


def test_a_shed_client_is_counted(instance, mariadb):
    from chat import session_of
    port = free_port()
    kam, user = instance(PCHAT_MAX_PENDING=3, PCHAT_DELIVERY_TIMEOUT=300,
                         PCHAT_METRICS_PORT=port)
    _, guid, _ = make_room(mariadb)
    alice, slow = user(), user()
    assert alice.join(guid).code == 200 and slow.join(guid).code == 200
    slow.dlg.auto_answer = False
    for i in range(3):
        assert alice.post(guid, f"p{i}").status == 200
    assert wait_until(lambda: session_of(kam, slow)["pending"] == "3")
    assert scrape(port)["shed_clients"] == 0
    assert alice.post(guid, "one too many").status == 200
    assert wait_until(lambda: scrape(port)["shed_clients"] == 1)
    assert wait_until(lambda: scrape(port)["sessions"] == 1)
