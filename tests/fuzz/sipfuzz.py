#!/usr/bin/python3
# pchat - Persistent Chat (XCCOS) service for Kamailio
# Copyright (C) 2026 pchat developers; GPL-2.0-or-later, like the C files.
#
# SIP-level fuzzing of the real server: signed-in sessions, then mutated
# INVITE/INFO/UPDATE/BYE/ACK over TCP and UDP for a bounded time; run() returns
# what was sent. tests/integration/test_sip_fuzz.py asserts the server still
# serves and its memory returns; alone: tests/fuzz/sipfuzz.py [SECONDS] [SEED].
import os
import random
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

from sipclient import SipClient, _gen_branch, _gen_call_id, _gen_tag  # noqa: E402

NS = "urn:parlano:xml:ns:xccos"


def envelope(inner, envid=1):
    return f'<xccos xmlns="{NS}" ver="1" envid="{envid}">{inner}</xccos>'


def xccos_bodies(domain, guid):
    """Well-formed commands and posts, the material the mutations start from."""
    chan = f"ma-chan://{domain}/{guid}"
    cmds = [
        ("requri", ""), ("getserverinfo", f'<sib domain="{domain}" infoType="123"/>'),
        ("join", f'<chanid key="0" domain="{domain}" value="{guid}"/>'),
        ("bjoin", "".join(f'<chanid key="{i}" value="{guid}"/>' for i in range(3))),
        ("part", f'<chanib uri="{chan}"/>'),
        ("bccontext", f'<chanib uri="{chan}"/><bcq><last cnt="5"/></bcq>'),
        ("bccontext", f'<chanib uri="{chan}"/><bcq><before id="3" cnt="2"/></bcq>'),
        ("bccontext", f'<chanib uri="{chan}"/><bcq><range from="2020-01-01" cnt="2"/></bcq>'),
        ("chansrch", '<qib qtype="BYNAME" criteria="fuzz" extended="true"/>'),
        ("getinv", ""), ("nodespermcreatechild", ""),
        ("getpref", '<pref label="fuzz" seqid="0" createdefault="true"/>'),
        ("setpref", '<pref label="fuzz" seqid="0" content="x"/>'),
        ("chatsrch", f'<srch text="fuzz" cnt="3"><chanib uri="{chan}"/></srch>'),
    ]
    out = [envelope(f'<cmd id="cmd:{n}" seqid="1">' + (f"<data>{d}</data>" if d else "<data/>")
                    + "</cmd>") for n, d in cmds]
    out.append(envelope(f'<grpchat id="grpchat" seqid="1" chanUri="{chan}" '
                        f'author="AUTHOR"><chat>fuzz &amp; more</chat></grpchat>'))
    return out


class Mutator:
    """Mutations of XML bodies and of whole SIP messages."""

    ODD = ["", "\x00", "\xff", "A" * 5000, "é" * 300, "&", "<", "]]>", "&#0;", "&#xD800;",
           "%00", "\r\n", "\t", "'\"", "-1", "18446744073709551616", "0x10", "sip:", ";;;",
           "<sip:x@y>", "ma-chan://", "ma-chan://x/" + "a" * 70, "99999999999999999999999"]

    def __init__(self, rng):
        self.rng = rng

    def odd(self):
        r = self.rng
        return r.choice(self.ODD) if r.random() < 0.8 else r.choice(self.ODD) * r.randint(2, 400)

    def xml(self, body):
        r = self.rng
        k = r.randrange(12)
        if k == 0:  # an attribute value replaced
            vals = list(re.finditer(r'="([^"]*)"', body))
            if vals:
                m = r.choice(vals)
                v = self.odd().replace('"', "&quot;").replace("<", "&lt;").replace("&", "&amp;") \
                    if r.random() < 0.5 else self.odd()
                return body[:m.start(1)] + v + body[m.end(1):]
        if k == 1:  # truncated
            return body[:r.randrange(len(body) + 1)]
        if k == 2 and body:  # bytes flipped
            b = bytearray(body.encode())
            for _ in range(r.randint(1, 8)):
                b[r.randrange(len(b))] = r.randrange(256)
            return bytes(b)
        if k == 3:  # an element repeated many times
            m = re.search(r"<(chanid|chanib|cmd|grpchat|bcq|pref|qib)\b[^>]*/?>", body)
            if m:
                return body[:m.start()] + m.group(0) * r.randint(2, 300) + body[m.start():]
        if k == 4:  # deep nesting
            n = r.randint(10, 3000)
            return body.replace("<data>", "<data>" + "<x>" * n + "</x>" * n, 1)
        if k == 5:  # envid / seqid / id games
            return re.sub(r'(envid|seqid|id)="[^"]*"', lambda m: f'{m.group(1)}="{self.odd()}"',
                          body, count=r.randint(1, 3))
        if k == 6:  # a DOCTYPE, entities, CDATA, comments, PIs
            return r.choice(['<!DOCTYPE x [<!ENTITY a "aaaa">]>', "<?xml version='1.0'?>",
                             "<!-- c -->", "<?pi x?>", "\ufeff"]) + body
        if k == 7:  # another namespace
            return body.replace(NS, r.choice(["", "urn:other", NS + "x"]), 1)
        if k == 8:  # many messages
            return body.replace("</xccos>", "".join(
                re.findall(r"<(?:cmd|grpchat)\b.*?</(?:cmd|grpchat)>", body)) * r.randint(2, 20)
                + "</xccos>")
        if k == 9:  # a huge text
            return body.replace("fuzz &amp; more", self.odd() * r.randint(1, 50))
        if k == 10:  # not XML at all
            return self.odd()
        return body

    def headers(self, lines):
        """lines: the request's header lines (no start line)."""
        r = self.rng
        lines = list(lines)
        for _ in range(r.randint(1, 3)):
            k = r.randrange(9)
            i = r.randrange(len(lines)) if lines else 0
            if k == 0 and lines:  # dropped
                del lines[i]
            elif k == 1 and lines:  # duplicated
                lines.insert(i, lines[i])
            elif k == 2 and lines:  # value replaced
                name = lines[i].split(":", 1)[0]
                lines[i] = f"{name}: {self.odd()}"
            elif k == 3:  # a header with an odd name or value
                lines.insert(i, r.choice(["Session-Expires", "Min-SE", "Contact", "Route",
                                          "Record-Route", "P-Asserted-Identity", "Supported",
                                          "Require", "Content-Encoding", "X" * 300, "Via"])
                             + ": " + self.odd())
            elif k == 4 and lines:  # folded / compact / case games
                lines[i] = lines[i].lower() if r.random() < 0.5 else lines[i].replace(": ", ":\r\n ")
            elif k == 5 and lines:  # cut
                lines[i] = lines[i][:r.randrange(len(lines[i]) + 1)]
            elif k == 6:  # compact forms
                lines = [re.sub(r"^Content-Length:", "l:", re.sub(r"^Call-ID:", "i:", x))
                         for x in lines]
        return lines


class SipFuzzer:
    def __init__(self, kam, guid, seed, author_domain=None):
        self.kam = kam
        self.guid = guid
        self.rng = random.Random(seed)
        self.mut = Mutator(self.rng)
        self.bodies = xccos_bodies(kam.domain, guid)
        self.clients = {"tcp": [], "udp": []}
        self.dialogs = []  # (client, Dialog) real dialogs to aim in-dialog mutations at
        self.stats = {"sent": 0, "tcp": 0, "udp": 0, "dialogs": 0, "reconnects": 0,
                      "bye_udp": 0}
        self.n = 0

    def _client(self, transport):
        pool = self.clients[transport]
        for c in [c for c in pool if c.peer_closed]:
            c.close()
            pool.remove(c)
        if len(pool) < 3 or self.rng.random() < 0.02:
            self.n += 1
            c = SipClient("127.0.0.1", self.kam.port, transport=transport,
                          user=f"fz{self.n}", domain=self.kam.domain)
            pool.append(c)
            self.stats["reconnects"] += 1
            if self.rng.random() < 0.7:
                try:
                    d = c.invite(self.kam.service_uri, timeout=3)
                    self.dialogs.append((c, d))
                    self.stats["dialogs"] += 1
                except Exception:
                    pass
        return self.rng.choice(pool)

    def _dialog_of(self, client):
        ds = [d for c, d in self.dialogs if c is client]
        return self.rng.choice(ds) if ds else None

    def one(self, transport):
        r = self.rng
        c = self._client(transport)
        d = self._dialog_of(c)
        method = r.choice(["INFO"] * 6 + ["INVITE", "UPDATE", "BYE", "ACK", "OPTIONS", "CANCEL",
                                          "MESSAGE"])
        body = b""
        ctype = None
        if method == "INFO":
            body = r.choice(self.bodies).replace("AUTHOR", c.aor)
            if r.random() < 0.85:
                body = self.mut.xml(body)
            ctype = r.choice(["text/plain", "application/xml", "text/plain"])
        elif method == "INVITE":
            body = c.sdp_offer() if r.random() < 0.7 else self.mut.odd()
            ctype = "application/sdp"
        if isinstance(body, str):
            body = body.encode("utf-8", "surrogatepass")
        in_dialog = d is not None and method != "INVITE" or (d is not None and r.random() < 0.3)
        if in_dialog:
            call_id, from_tag, to_tag = d.call_id, d.local_tag, d.remote_tag
            ruri, to_uri, cseq = d.remote_target, d.remote_uri, d.cseq + r.randint(1, 50)
            if r.random() < 0.15:  # wrong dialog identifiers
                which = r.randrange(3)
                call_id = _gen_call_id() if which == 0 else call_id
                from_tag = _gen_tag() if which == 1 else from_tag
                to_tag = _gen_tag() if which == 2 else to_tag
        else:
            call_id, from_tag, to_tag = _gen_call_id(), _gen_tag(), None
            ruri = r.choice([self.kam.service_uri, self.kam.lookup_uri,
                             f"sip:nobody@{self.kam.domain}"])
            to_uri, cseq = ruri, 1
        raw = c.build_request(method, ruri, call_id=call_id, from_tag=from_tag, to_uri=to_uri,
                              to_tag=to_tag, cseq=cseq, via=c.via(_gen_branch()),
                              extra_headers=[("Contact", c.contact)], body=body,
                              content_type=ctype)
        raw = self.mutate_message(raw, transport)
        try:
            c.send_raw(raw)
        except OSError:
            pass
        self.stats["sent"] += 1
        self.stats[transport] += 1

    def mutate_message(self, raw, transport):
        r = self.rng
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = head.decode("utf-8", "replace").split("\r\n")
        start, hdrs = lines[0], lines[1:]
        k = r.random()
        if k < 0.35:
            hdrs = self.mut.headers(hdrs)
        elif k < 0.5:  # Content-Length lies
            hdrs = [h for h in hdrs if not h.startswith("Content-Length")]
            hdrs.append("Content-Length: " + r.choice(
                [str(len(body) + r.randint(1, 40)), str(max(0, len(body) - r.randint(1, 40))),
                 "-1", "abc", "99999999999", "", "0"]))
        elif k < 0.55:  # start line games
            start = r.choice([start.replace("SIP/2.0", "SIP/3.0"), start.lower(),
                              start.replace(" ", "  "), start + " extra", self.mut.odd()])
        msg = ("\r\n".join([start] + hdrs) + "\r\n\r\n").encode("utf-8", "surrogatepass") + body
        if r.random() < 0.05:  # truncated: over TCP the rest of the stream is junk
            msg = msg[:r.randrange(len(msg) + 1)]
        if msg and r.random() < 0.05:
            b = bytearray(msg)
            for _ in range(r.randint(1, 10)):
                b[r.randrange(len(b))] = r.randrange(256)
            msg = bytes(b)
        if transport == "udp" and len(msg) > 60000:
            msg = msg[:60000]
        return msg

    def run(self, seconds, udp_share=0.5):
        """UDP first (its transactions linger 32 s in tm), then TCP."""
        end = time.monotonic() + seconds
        switch = time.monotonic() + seconds * udp_share
        while time.monotonic() < end:
            transport = "udp" if time.monotonic() < switch else "tcp"
            self.one(transport)
            if self.stats["sent"] % 50 == 0:
                time.sleep(0.01)  # let the replies drain
        return self.stats

    def finish(self):
        """Ends what the fuzzing left: BYE every UDP dialog the server accepted
        (answers to mutated INVITEs included), close every connection."""
        for c in self.clients["udp"]:
            for m in list(c.received):
                if getattr(m, "status", None) != 200 or m.cseq_method != "INVITE":
                    continue
                contact = m.header("Contact") or ""
                mm = re.search(r"<([^>]+)>", contact)
                ruri = mm.group(1) if mm else self.kam.service_uri
                raw = c.build_request("BYE", ruri, call_id=m.call_id, from_tag=m.from_tag,
                                      to_uri=m.to_uri or self.kam.service_uri, to_tag=m.to_tag,
                                      cseq=100000, via=c.via(_gen_branch()))
                try:
                    c.send_raw(raw)
                    self.stats["bye_udp"] += 1
                except OSError:
                    pass
        time.sleep(0.5)
        for pool in self.clients.values():
            for c in pool:
                c.close()


def main():
    """Stand-alone: a private MariaDB and Kamailio, as the tests start them."""
    from chat import make_room
    from kamailio import Kamailio
    from mariadb import free_port
    from store import DB_NAME, DB_PASS, DB_USER, private_mariadb

    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else random.getrandbits(32)
    with private_mariadb() as db:
        kam = Kamailio(free_port(), db.url(DB_USER, DB_PASS, DB_NAME)).start()
        try:
            _, guid, _ = make_room(db, privacy="open")
            f = SipFuzzer(kam, guid, seed)
            print(f"seed {seed}: {f.run(seconds)}")
            f.finish()
            print("server alive:", kam.alive(), kam.rpc("pchat.status").strip()[:200])
        finally:
            kam.cleanup()


if __name__ == "__main__":
    main()
