# pchat - Persistent Chat (XCCOS) service for Kamailio
# Copyright (C) 2026 pchat developers; GPL-2.0-or-later, like the C files.
#
"""make bench's `files` scenario (issue 16): upload and download MB/s through
the file service inside Kamailio (xhttp on its own port and TCP reader,
PCHAT_FILE_CHUNK-byte chunks, one HTTP keep-alive connection per transfer)
for one transfer and for ten in parallel, and the fan-out latency of posts
in another room (post sent -> copy received by a member, p50/p99) without
transfers and while ten uploads run.

Each transfer is PCHAT_BENCH_FILE_MB (default 8) MB of random bytes. The
transfers run in processes of their own (the posting client's timing is
not shared with them).

    tools/bench/run-bench --only files
"""

import http.client
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
import urllib.parse

from chat import ChatUser, make_room, unique
from kamailio import Kamailio
from mariadb import free_port
from sipclient import find

CHUNK = 24576  # cfg/pchat-standalone.cfg's PCHAT_FILE_CHUNK


def _log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _token(user, guid, url, up=True):
    r = user.dlg.command("getfutok" if up else "getfdtok",
                         f'<ftdb channelUri="{user.room_uri(guid)}" fileUrl="{url}"/>')
    tok = find(r.data, "token")
    return tok.get("token"), urllib.parse.urlparse(tok.get("serveruri")).path


def _upload(port, path, tok, data):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for off in range(0, len(data), CHUNK):
        piece = data[off:off + CHUNK]
        conn.request("PUT", f"{path}/{tok}", body=piece, headers={
            "Content-Range": f"bytes {off}-{off + len(piece) - 1}/{len(data)}"})
        r = conn.getresponse()
        r.read()
        if r.status not in (200, 201):
            raise RuntimeError(f"upload: HTTP {r.status}")
    conn.close()


def _download(port, path, tok, size):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    got = 0
    while got < size:
        conn.request("GET", f"{path}/{tok}", headers={"Range": f"bytes={got}-{got + CHUNK - 1}"})
        r = conn.getresponse()
        got += len(r.read())
        if r.status != 206:
            raise RuntimeError(f"download: HTTP {r.status}")
    conn.close()


def _parallel(fn, jobs):
    """Runs fn(*job) for every job in a process each; wall seconds."""
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=fn, args=job) for job in jobs]
    t = time.monotonic()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        if p.exitcode:
            raise RuntimeError(f"a transfer process failed ({p.exitcode})")
    return time.monotonic() - t


def _fanout_ms(poster, member, guid, n):
    """n posts one after the other: post sent -> the member's copy, ms."""
    out = []
    for i in range(n):
        t = time.monotonic()
        poster.post(guid, f"tick {i}")
        member.wait_message(guid, timeout=30)
        out.append((time.monotonic() - t) * 1000)
    out.sort()
    return {"p50": out[len(out) // 2], "p99": out[min(len(out) - 1, int(len(out) * 0.99))],
            "max": out[-1], "n": n}


def _transfers(bench, kam, up, guid, data, n):
    """n uploads then n downloads in parallel: MB/s (all bytes / wall time)."""
    port = kam.file_port
    toks = [_token(up, guid, f"f{i}.bin") for i in range(n)]
    up_s = _parallel(_upload, [(port, p, t, data) for t, p in toks])
    names = bench.db.sql("SELECT stored_name FROM pchat_file WHERE complete = 1 ORDER BY id "
                         f"DESC LIMIT {n}", db="pchat")
    dtoks = [_token(up, guid, s, up=False) for s, in names]
    down_s = _parallel(_download, [(port, p, t, len(data)) for t, p in dtoks])
    mb = n * len(data) / 1e6
    return {"n": n, "up_mb_s": mb / up_s, "down_mb_s": mb / down_s}


def run(bench):
    """run-bench's hook: the scenario; its result is kept for lines()."""
    fdir = tempfile.mkdtemp(prefix="bench-files-", dir=bench.tmp)
    fport = free_port()
    defines = bench.pchat_defines()
    defines.update({"PCHAT_FILE_PORT": str(fport), "PCHAT_FILE_DIR": fdir})
    kam = Kamailio(free_port(), bench.db.url("pchat", "pchat", "pchat"), debug=0,
                   defines=defines).start(timeout=60)
    kam.file_port = fport
    users = []
    try:
        size = int(float(os.environ.get("PCHAT_BENCH_FILE_MB", 8)) * 1e6)
        data = os.urandom(size)
        _, fguid, _ = make_room(bench.db, unique("files"))
        _, cguid, _ = make_room(bench.db, unique("chat"))
        up, poster, member = (ChatUser(kam, unique("fb")) for _ in range(3))
        users += [up, poster, member]
        poster.join(cguid)
        member.join(cguid)
        res = {"mb": size / 1e6, "one": _transfers(bench, kam, up, fguid, data, 1),
               "ten": _transfers(bench, kam, up, fguid, data, 10)}
        _log(f"files: 1 transfer {res['one']}, 10 transfers {res['ten']}")
        res["quiet"] = _fanout_ms(poster, member, cguid, 200)
        toks = [_token(up, fguid, f"busy{i}.bin") for i in range(10)]
        ctx = multiprocessing.get_context("fork")
        procs = [ctx.Process(target=_upload, args=(fport, p, t, data)) for t, p in toks]
        for p in procs:
            p.start()
        time.sleep(0.5)  # the uploads are under way
        res["busy"] = _fanout_ms(poster, member, cguid, 200)
        res["busy_done"] = sum(1 for p in procs if not p.is_alive())
        for p in procs:
            p.join()
        _log(f"files: fan-out quiet {res['quiet']}, during 10 uploads {res['busy']}")
        bench.files = res
    finally:
        for u in users:
            u.close()
        kam.cleanup()
        shutil.rmtree(fdir, ignore_errors=True)


def lines(bench):
    """The summary lines for run-bench's report."""
    r = getattr(bench, "files", None)
    if not r:
        return []
    q, b = r["quiet"], r["busy"]
    return [f"- files ({r['mb']:.0f} MB each, {CHUNK}-byte chunks over xhttp): 1 transfer "
            f"upload **{r['one']['up_mb_s']:.1f} MB/s**, download "
            f"**{r['one']['down_mb_s']:.1f} MB/s**; 10 in parallel upload "
            f"**{r['ten']['up_mb_s']:.1f} MB/s**, download **{r['ten']['down_mb_s']:.1f} MB/s**",
            f"- fan-out in another room (post -> member's copy, {q['n']} posts one after "
            f"the other): p50 {q['p50']:.2f} / p99 **{q['p99']:.2f} ms** without transfers, "
            f"p50 {b['p50']:.2f} / p99 **{b['p99']:.2f} ms** while 10 uploads run "
            f"({r['busy_done']} of them finished before the posts did)"]
