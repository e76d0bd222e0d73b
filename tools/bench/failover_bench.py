# pchat - Persistent Chat (XCCOS) service for Kamailio
# Copyright (C) 2026 pchat developers; GPL-2.0-or-later, like the C files.
#
"""make bench's `failover` scenario (issue 14): clients over 3 chat nodes
behind a front-end, posts flowing; kill -9 one node; the time from the kill
to the last of its clients having signed in again and rejoined, and the
acknowledged posts lost (checked against the stored history).

The clients are Python asyncio coroutines in one process (one TCP
connection to the front-end each) that behave like pidgin-sipe: INVITE the
service URI, ACK, cmd:join, post every `period` seconds; a request answered
481 (or a connection lost) makes the client sign in again and rejoin. A
client learns that its node died only from its next request: the measure
includes that wait (at most `period`, or PCHAT_NODE_REPLY_TIMEOUT for a
request the front-end wrote to the node as it died).

    tools/bench/run-bench --only failover [--long]
"""

import asyncio
import os
import random
import re
import resource
import signal
import sys
import time
import uuid

from kamailio import Kamailio
from mariadb import free_port
from posting import check_history, stored_posts

DOMAIN = "example.com"
SERVICE = f"sip:pchat@{DOMAIN}"
NS = "urn:parlano:xml:ns:xccos"
SDP = ("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=session\r\nc=IN IP4 127.0.0.1\r\n"
       "t=0 0\r\nm=message 5061 sip null\r\na=accept-types:text/plain\r\n")
ANSWER_HDRS = re.compile(rb"^(via|v|from|f|to|t|call-id|i|cseq):", re.I)


class Sizes:
    """Default: 1,000 clients, as issue 14's goal; --long: longer after the kill."""

    def __init__(self, long):
        self.clients = int(os.environ.get("PCHAT_FAILOVER_CLIENTS", 1000))
        self.room_size = 5          # rooms of 5: 4 deliveries per post
        self.period = 4.0 if not long else 2.0   # s between one client's posts
        self.before = 4.0           # posting before the kill
        self.after = 3.0 if not long else 15.0   # after the last client is back
        self.signins = 50           # sign-ins in flight during the setup


def _parse(buf):
    """Complete SIP messages at the head of buf: [(head, body)], rest."""
    out = []
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return out, buf
        head = buf[:end]
        m = re.search(rb"\r\n(?:content-length|l)\s*:\s*(\d+)", head, re.I)
        clen = int(m.group(1)) if m else 0
        if len(buf) < end + 4 + clen:
            return out, buf
        out.append((head, buf[end + 4:end + 4 + clen]))
        buf = buf[end + 4 + clen:]


def _hdr(head, name):
    m = re.search(rb"\r\n" + name + rb"\s*:\s*([^\r\n]*)", head, re.I)
    return m.group(1).decode() if m else None


class Client:
    """One sipe-like client on its own TCP connection to the front-end."""

    def __init__(self, run, idx, guid):
        self.run, self.idx, self.guid = run, idx, guid
        self.user = f"fo{run.tag}{idx}"
        self.aor = f"sip:{self.user}@{DOMAIN}"
        self.waiting = {}        # (call-id, cseq) -> future of the final response
        self.replies = {}        # envid -> future of the rpl's resp code
        self.envid = random.getrandbits(31)
        self.node = None         # the node address that answered the INVITE
        self.n = 0               # next post number
        self.acked, self.attempted = [], set()
        self.got = []            # (msgid, text) delivered on the first dialog
        self.first_callid = None
        self.t481 = self.rejoined = None
        self.sent_at = self.wait481 = 0
        self.refused = {}        # status -> count
        self.lost = 0

    async def connect(self):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.run.fe.port)
        self.lport = self.writer.get_extra_info("sockname")[1]
        self.contact = f"<sip:{self.user}@127.0.0.1:{self.lport};transport=tcp>"
        self.read_task = asyncio.ensure_future(self.read_loop())

    # ----- wire -----

    def send(self, method, ruri, cseq, to, routes=(), extra="", ctype=None, body=""):
        b = body.encode()
        lines = [f"{method} {ruri} SIP/2.0",
                 f"Via: SIP/2.0/TCP 127.0.0.1:{self.lport};branch=z9hG4bK{uuid.uuid4().hex[:16]}",
                 f"From: <{self.aor}>;tag={self.tag}", f"To: {to}", "Max-Forwards: 70",
                 f"CSeq: {cseq} {method}", f"Call-ID: {self.callid}"]
        lines += [f"Route: {r}" for r in routes]
        if extra:
            lines.append(extra)
        if ctype:
            lines.append(f"Content-Type: {ctype}")
        lines.append(f"Content-Length: {len(b)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + b)

    async def request(self, method, body="", ctype=None, timeout=15):
        """An in-dialog request; its final status (None: no answer)."""
        self.sent_at = time.monotonic()
        self.cseq += 1
        fut = self.waiting[(self.callid, self.cseq)] = asyncio.get_running_loop().create_future()
        self.send(method, self.target, self.cseq, f"<{SERVICE}>;tag={self.totag}", self.routes,
                  ctype=ctype, body=body)
        try:
            return (await asyncio.wait_for(fut, timeout))[0]
        except asyncio.TimeoutError:
            return None
        finally:
            self.waiting.pop((self.callid, self.cseq), None)

    async def read_loop(self):
        buf = b""
        try:
            while True:
                data = await self.reader.read(65536)
                if not data:
                    break
                msgs, buf = _parse(buf + data)
                for head, body in msgs:
                    self.dispatch(head, body)
        except (ConnectionError, OSError):
            pass
        for fut in self.waiting.values():  # the connection is gone
            if not fut.done():
                fut.set_result((None, None))

    def dispatch(self, head, body):
        first = head[:head.find(b"\r\n")]
        if first.startswith(b"SIP/2.0 "):
            status = int(first[8:11])
            cseq = _hdr(head, rb"(?:cseq)").split()
            fut = self.waiting.get((_hdr(head, rb"(?:call-id|i)"), int(cseq[0])))
            if status >= 200 and fut is not None and not fut.done():
                fut.set_result((status, head))
            return
        # a request from the node: 200, as sipe does for its live dialog
        lines = [ln for ln in head.split(b"\r\n")[1:] if ANSWER_HDRS.match(ln)]
        self.writer.write(b"SIP/2.0 200 OK\r\n" + b"\r\n".join(lines)
                          + b"\r\nContent-Length: 0\r\n\r\n")
        if not first.startswith(b"INFO "):
            return
        text = body.decode(errors="replace")
        if "<grpchat" in text:
            if _hdr(head, rb"(?:call-id|i)") == self.first_callid:
                m = re.search(r'msgid="(\d+)"', text)
                c = re.search(r"<chat>(.*?)</chat>", text, re.S)
                if m and c:
                    self.got.append((int(m.group(1)), c.group(1)))
            return
        m = re.search(r'<commandid[^>]*envid="(\d+)"', text)
        if m and int(m.group(1)) in self.replies:
            code = re.search(r'<resp code="(\d+)"', text)
            fut = self.replies[int(m.group(1))]
            if not fut.done():
                fut.set_result(int(code.group(1)) if code else 0)

    # ----- what a client does -----

    async def sign_in(self, timeout=30):
        """INVITE (through the front-end to a node), ACK, cmd:join. True if joined."""
        self.callid = f"{uuid.uuid4().hex}@fo"
        self.tag = uuid.uuid4().hex[:12]
        self.cseq = 1
        fut = self.waiting[(self.callid, 1)] = asyncio.get_running_loop().create_future()
        self.send("INVITE", SERVICE, 1, f"<{SERVICE}>",
                  extra=f"Supported: ms-sender\r\nContact: {self.contact}",
                  ctype="application/sdp", body=SDP)
        try:
            status, head = await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            return False
        finally:
            self.waiting.pop((self.callid, 1), None)
        if status is None:
            return False
        self.totag = re.search(r"tag=([^;>\s]+)", _hdr(head, rb"(?:to|t)")).group(1)
        if status != 200:
            self.send("ACK", SERVICE, 1, f"<{SERVICE}>;tag={self.totag}")
            return False
        rr = re.findall(rb"\r\n(?:record-route)\s*:\s*([^\r\n]*)", head, re.I)
        self.routes = list(reversed([r.strip() for v in rr for r in v.decode().split(",")]))
        self.target = re.search(r"<([^>]+)>", _hdr(head, rb"(?:contact|m)")).group(1)
        self.node = re.search(r"@?([\d.]+):\d+", self.target).group(1)
        self.send("ACK", self.target, 1, f"<{SERVICE}>;tag={self.totag}", self.routes)
        if self.first_callid is None:
            self.first_callid = self.callid
        return await self.join(timeout)

    async def join(self, timeout):
        self.envid += 1
        envid = self.envid
        fut = self.replies[envid] = asyncio.get_running_loop().create_future()
        body = (f'<xccos ver="1" envid="{envid}" xmlns="{NS}"><cmd id="cmd:join" seqid="1">'
                f'<data><chanid key="0" domain="{DOMAIN}" value="{self.guid}"/></data></cmd>'
                f'</xccos>')
        try:
            if await self.request("INFO", body, "text/plain", timeout) != 200:
                return False
            return await asyncio.wait_for(fut, timeout) == 200
        except asyncio.TimeoutError:
            return False
        finally:
            self.replies.pop(envid, None)

    async def post(self):
        n = self.n
        self.n += 1
        self.attempted.add(n)
        self.envid += 1
        body = (f'<xccos ver="1" envid="{self.envid}" xmlns="{NS}"><grpchat id="grpchat" '
                f'seqid="1" chanUri="ma-chan://{DOMAIN}/{self.guid}" author="{self.aor}" '
                f'ts="2026-01-01T00:00:00Z"><chat>{self.user} {n}</chat></grpchat></xccos>')
        status = await self.request("INFO", body, "text/plain")
        if status == 200:
            self.acked.append(n)
        elif status is None:
            self.lost += 1
        else:
            self.refused[status] = self.refused.get(status, 0) + 1
        return status

    async def loop(self, stop):
        """Posts every period (a random phase) until stop; signs in again on 481."""
        await asyncio.sleep(random.uniform(0, self.run.sz.period))
        while not stop.is_set():
            status = await self.post()
            if status in (481, None):
                if self.t481 is None:
                    self.t481 = time.monotonic()
                    self.wait481 = self.t481 - self.sent_at
                while not stop.is_set() and not await self.sign_in():
                    await asyncio.sleep(0.2)
                if self.rejoined is None and not stop.is_set():
                    self.rejoined = time.monotonic()
            try:
                await asyncio.wait_for(stop.wait(), self.run.sz.period)
            except asyncio.TimeoutError:
                pass

    def close(self):
        self.read_task.cancel()
        self.writer.close()


class FailoverRun:
    def __init__(self, bench):
        self.b = bench
        self.sz = Sizes(bench.args.long)
        self.tag = uuid.uuid4().hex[:6]
        self.nodes, self.fe = [], None

    def start_pool(self):
        url = self.b.db.url("pchat", "pchat", "pchat")
        first = random.randrange(2, 250, 3)
        for i in range(3):
            addr = f"127.0.0.{first + i}"
            defines = {"WITH_DMQ": "1", "PCHAT_FRONTENDS": '"127.0.0.1/32"',
                       "PCHAT_POOL_NODES": '"127.0.0.0/8"', "PCHAT_MAX_INFOS_PER_SECOND": "0"}
            if self.nodes:
                defines["PCHAT_DMQ_SEED"] = f"{self.nodes[0].addr}:{self.nodes[0].port}"
            node = Kamailio(free_port(addr), url, cfg="cfg/pchat-node.cfg", defines=defines,
                            addr=addr, debug=1, shm_mb=512)
            self.nodes.append(node)
            node.start(timeout=60)
        # every client signs in from 127.0.0.1: no per-address INVITE bound
        # (a real pool's clients come from many addresses)
        self.fe = Kamailio(free_port(), url, cfg="cfg/pchat-frontend.cfg", debug=1, shm_mb=512,
                           defines={"PCHAT_MAX_INVITES_PER_SECOND": "0"})
        ds = os.path.join(self.fe.rundir, "dispatcher.list")
        with open(ds, "w") as f:
            for n in self.nodes:
                f.write(f"1 sip:{n.addr}:{n.port};transport=tcp\n")
        self.fe.defines["PCHAT_DISPATCHER_LIST"] = f'"{ds}"'
        self.fe.start(timeout=60)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if all(n.rpc("dmq.list_nodes").count("status: active") == 3 for n in self.nodes) \
                    and self.fe.rpc("dispatcher.list").count("FLAGS: AP") == 3:
                return
            time.sleep(0.3)
        raise RuntimeError("the pool did not come up: " + self.fe.rpc("dispatcher.list"))

    def stop_pool(self):
        for k in [self.fe] + self.nodes:
            if k is not None:
                k.cleanup()

    def server_cpu_s(self):
        """CPU seconds of every process of the front-end and the live nodes."""
        total = 0
        pgids = {k.proc.pid for k in [self.fe] + self.nodes if k.alive()}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                st = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(st[2]) in pgids:  # field 5: process group
                total += (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")
        return total

    async def main(self):
        sz = self.sz
        n_rooms = sz.clients // sz.room_size
        guids = [g for g, _ in self.b.make_rooms([sz.room_size] * n_rooms, "failover")]
        ids = dict(self.b.db.sql("SELECT guid, id FROM pchat_node WHERE name LIKE 'failover-%'",
                                 db="pchat"))
        self.room_ids = [int(ids[g]) for g in guids]
        clients = [Client(self, i, guids[i % n_rooms]) for i in range(sz.clients)]
        sem = asyncio.Semaphore(sz.signins)
        t = time.monotonic()

        async def setup(c):
            async with sem:
                await c.connect()
                if not await c.sign_in():
                    raise RuntimeError(f"client {c.idx} could not sign in")
        await asyncio.gather(*(setup(c) for c in clients))
        setup_s = time.monotonic() - t
        victim = self.nodes[2]
        gone = [c for c in clients if c.node == victim.addr]
        stop = asyncio.Event()
        cpu0, srv0, t0 = time.process_time(), self.server_cpu_s(), time.monotonic()
        tasks = [asyncio.ensure_future(c.loop(stop)) for c in clients]
        await asyncio.sleep(sz.before)
        killed_at = time.monotonic()
        os.killpg(victim.proc.pid, signal.SIGKILL)
        deadline = killed_at + 60
        while time.monotonic() < deadline and not all(c.rejoined for c in gone):
            await asyncio.sleep(0.05)
        back = [c for c in gone if c.rejoined]
        await asyncio.sleep(sz.after)
        stop.set()
        await asyncio.gather(*tasks)
        cpu1, srv1, t1 = time.process_time(), self.server_cpu_s(), time.monotonic()
        await asyncio.sleep(2)  # the last copies
        for c in clients:
            c.close()
        return clients, gone, back, killed_at, {
            "setup_s": setup_s, "client_cpu_pct": 100 * (cpu1 - cpu0) / (t1 - t0),
            "server_cpu_pct": 100 * (srv1 - srv0) / (t1 - t0), "window_s": t1 - t0}

    def report(self, clients, gone, back, killed_at, m):
        acked = {c.user: c.acked for c in clients}
        attempted = {c.user: c.attempted for c in clients}
        problems, counts = check_history(acked, attempted,
                                         stored_posts(self.b.db, self.room_ids))
        n_acked = sum(len(v) for v in acked.values())
        refused = {}
        for c in clients:
            for s, k in c.refused.items():
                refused[s] = refused.get(s, 0) + k
        # members that stayed on a live node all along: every acknowledged
        # post of their room by another client delivered live, once
        by_room = {}
        for c in clients:
            by_room.setdefault(c.guid, []).append(c)
        missing_live = dups_live = 0
        for c in clients:
            if c in gone:
                continue
            texts = [t for _, t in c.got]
            dups_live += len(texts) - len(set(texts))
            want = {f"{o.user} {n}" for o in by_room[c.guid] if o is not c for n in o.acked}
            missing_live += len(want - set(texts))
        rejoin = sorted(c.rejoined - killed_at for c in back)
        detect = sorted(c.t481 - killed_at for c in back)
        signin = sorted(c.rejoined - c.t481 for c in back)
        # a request answered 481 only after PCHAT_NODE_REPLY_TIMEOUT (5 s):
        # the front-end sent it to the dead node and waited
        slow481 = sum(1 for c in back if c.wait481 > 4.5)

        def pct(v, p):
            return v[min(len(v) - 1, int(p * len(v)))] if v else float("nan")
        r = {"failover": True, "clients": len(clients), "on_killed_node": len(gone),
             "rejoined": len(back), "last_rejoined_s": rejoin[-1] if rejoin else None,
             "rejoin_p50_s": pct(rejoin, 0.5), "detect_max_s": detect[-1] if detect else None,
             "detect_p50_s": pct(detect, 0.5), "slow_481": slow481,
             "signin_p50_ms": 1000 * pct(signin, 0.5), "signin_max_ms": 1000 * pct(signin, 1),
             "posts_sent": sum(len(v) for v in attempted.values()), "acked": n_acked,
             "acked_lost": len(problems["missing"]), "duplicates": len(problems["duplicates"]),
             "disorder": len(problems["disorder"]), "refused": refused,
             "no_answer": sum(c.lost for c in clients), "missing_live": missing_live,
             "dups_live": dups_live, "period_s": self.sz.period, **m}
        return r

    def run(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        need = self.sz.clients + 1024
        if soft < need:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
        self.start_pool()
        try:
            out = asyncio.run(self.main())
        finally:
            self.stop_pool()
        return self.report(*out)


def run(bench):
    """run-bench's hook: the scenario; its result is kept for lines()."""
    r = FailoverRun(bench).run()
    bench.failover = r
    print(f"[{time.strftime('%H:%M:%S')}] failover: {r}", file=sys.stderr, flush=True)


def lines(bench):
    """The summary line(s) for run-bench's report."""
    r = getattr(bench, "failover", None)
    if not r:
        return []
    last = r["last_rejoined_s"]
    refused = ", ".join(f"{k} {v}" for k, v in sorted(r["refused"].items())) or "none"
    return [
        f"- failover: {r['clients']} clients over 3 nodes behind a front-end, each posting "
        f"every {r['period_s']:g} s into rooms of 5; kill -9 of the node of "
        f"{r['on_killed_node']}: the last of them rejoined **"
        + (f"{last:.2f} s" if last is not None else "never") + "** after the kill "
        f"(goal ≤ 10 s; {r['rejoined']}/{r['on_killed_node']} back, p50 "
        f"{r['rejoin_p50_s']:.2f} s; kill -> their 481 p50 {r['detect_p50_s']:.2f} / max "
        f"{r['detect_max_s']:.2f} s, {r['slow_481']} of them answered 481 only after "
        f"PCHAT_NODE_REPLY_TIMEOUT; "
        f"481 -> rejoined p50 {r['signin_p50_ms']:.0f} / max {r['signin_max_ms']:.0f} ms); "
        f"acknowledged posts lost **{r['acked_lost']}** of {r['acked']} (goal 0; "
        f"duplicates {r['duplicates']}, out of order {r['disorder']}; refused: {refused}; "
        f"unanswered {r['no_answer']}); live copies missing on members of live nodes "
        f"{r['missing_live']}, duplicated {r['dups_live']}. Cost: client (Python asyncio, "
        f"one process) {r['client_cpu_pct']:.0f} % CPU, front-end + nodes "
        f"{r['server_cpu_pct']:.0f} % over {r['window_s']:.0f} s; setup "
        f"{r['setup_s']:.1f} s"]
