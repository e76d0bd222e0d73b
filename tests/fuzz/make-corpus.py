#!/usr/bin/python3
# pchat - Persistent Chat (XCCOS) service for Kamailio
# Copyright (C) 2026 pchat developers; GPL-2.0-or-later, like the C files.
#
# Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/):
# the XCCOS examples of doc/xccos.md and the shared PROTOCOL.md, the bodies
# the integration tests send (tests/lib/chat.py, sipclient.py), and the
# arguments of the other decoders. Usage: make-corpus.py OUTDIR
import hashlib
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))

NS = "urn:parlano:xml:ns:xccos"
DOMAIN = "example.com"
GUIDS = ["0a1b2c3d-0000-4000-8000-000000000001",  # the rooms of fuzzstub.c
         "0a1b2c3d-0000-4000-8000-000000000002",
         "0A1B2C3D-0000-4000-8000-000000000003",
         "ffffffff-0000-4000-8000-00000000dead"]
DOCS = [os.path.join(TOP, "doc", "xccos.md"), "/work/shared/xccos/PROTOCOL.md",
        os.path.join(TOP, "doc", "PROTOCOL.md")]


def envelope(inner, envid=7):
    return f'<xccos xmlns="{NS}" ver="1" envid="{envid}">{inner}</xccos>'


def from_docs():
    """Every cmd/grpchat/rpl/ntc example and whole envelope of the docs."""
    out = []
    for path in DOCS:
        if not os.path.exists(path):
            continue
        text = open(path, encoding="utf-8").read()
        for m in re.finditer(r"<xccos\b.*?</xccos>", text, re.S):
            out.append(m.group(0).replace("...", ""))
        for m in re.finditer(r"<(cmd|grpchat|rpl|ntc)\b(?:[^>]*/>|.*?</\1>)", text, re.S):
            out.append(envelope(m.group(0).replace("...", "")))
    return out


class _Recorder:
    """Stands in for a dialog and a client: records the bodies chat.py builds."""

    def __init__(self):
        self.bodies = []

    def make_envelope(self, inner):
        return 9, envelope(inner, 9)

    def command(self, name, data_xml="", timeout=0):
        data = f"<data>{data_xml}</data>" if data_xml else "<data/>"
        self.bodies.append(self.make_envelope(
            f'<cmd id="cmd:{name}" seqid="1">{data}</cmd>')[1])

    def send_xccos(self, body, timeout=0):
        self.bodies.append(body)


def from_tests():
    """The bodies tests/lib/chat.py sends, built by chat.py itself."""
    import chat

    rec = _Recorder()
    user = object.__new__(chat.ChatUser)
    user.user, user.uri = "alice", f"sip:alice@{DOMAIN}"
    user.kam = type("Kam", (), {"domain": DOMAIN})()
    user.dlg = user.client = rec
    for g in GUIDS:
        user.join(g)
        user.part(g)
        user.history(g)
        user.history(g, '<before id="5" cnt="2"/>')
        user.history(g, '<range from="2026-01-01" to="2026-01-02T10:00:00+01:00" cnt="3"/>')
        user.post(g, "hello <world> & é")
        user.post(g, "x", author="SIP:Alice@EXAMPLE.COM")
        user.edit(g, 6, "new <text> & é")
        user.edit(g, 7, "not mine")
        user.delete(g, 6)
        user.delete(g, 99)
    user.bjoin(GUIDS)
    for name, data in [
            ("requri", ""), ("getserverinfo", '<sib domain="example.com" infoType="123"/>'),
            ("chansrch", '<qib qtype="BYNAME" criteria="room" extended="true"/>'),
            ("chansrch", '<qib qtype="BYNAME" criteria="%_\\"/>'),
            ("getinv", ""), ("nodespermcreatechild", ""),
            ("getpref", '<pref label="Lync" seqid="1" createdefault="true"/>'),
            ("setpref", '<pref label="Lync" seqid="3" content="&lt;x/&gt;"/>'),
            ("bccontext", f'<chanib uri="ma-chan://{DOMAIN}/{GUIDS[0]}"/><bcq><last cnt="0"/></bcq>'),
            ("bccontext", f'<chanib uri="ma-chan://{DOMAIN}/{GUIDS[0]}"/><bcq><future/></bcq>'),
            ("getfutok", f'<ftdb channelUri="ma-chan://{DOMAIN}/{GUIDS[0]}" fileUrl="r.txt"/>'),
            ("getfdtok", f'<ftdb channelUri="ma-chan://{DOMAIN}/{GUIDS[0]}" fileUrl="a.txt"/>'),
            ("msgedit", f'<msg chanUri="ma-chan://{DOMAIN}/{GUIDS[0]}" msgid="x"/>'),
            ("msgdel", '<msg msgid="6"/>'),
            ("chatsrch", f'<srch text="%_\\ 4711-b" cnt="2" from="2020-01-01T00:00:00Z" '
                         f'before="1767225600000.1.7"><author uri="sip:bob@example.com"/>'
                         f'<chanib uri="ma-chan://{DOMAIN}/{GUIDS[0]}"/></srch>'),
            ("chatsrch", '<srch text="caf\u00e9" before="1.2"/>'),
            ("follow", f'<chanib uri="ma-chan://{DOMAIN}/{GUIDS[0]}"/>'),
            ("follow", f'<chanib uri="ma-chan://{DOMAIN}/{GUIDS[2]}"/>'),
            ("unfollow", f'<chanib uri="ma-chan://{DOMAIN}/{GUIDS[1]}"/>'),
            ("followread", f'<chanib uri="ma-chan://{DOMAIN}/{GUIDS[0]}" msgid="6"/>'),
            ("followread", f'<chanib uri="ma-chan://{DOMAIN}/{GUIDS[1]}" msgid="-1"/>'),
            ("followlist", ""),
            ("followlist", '<follows from="2"/>'),
            ("followlist", '<follows from="-1"/>'),
            ("bjoin", f'<follows/><chanid key="0" value="{GUIDS[1]}"/>'),
            ("alertadd", f'<alert word="caf\u00e9" chanUri="ma-chan://{DOMAIN}/{GUIDS[0]}"/>'),
            ("alertadd", '<alert author="SIP:Bob@Example.com"/>'),
            ("alertlist", ""), ("alertdel", '<alert id="7"/>'),
            ("nosuch", "")]:
        rec.command(name, data)
    # several messages in one envelope, as sipe batches them
    rec.bodies.append(envelope(
        '<cmd id="cmd:getserverinfo" seqid="1"><data/></cmd>'
        f'<cmd id="cmd:join" seqid="2"><data><chanid key="0" value="{GUIDS[0]}"/></data></cmd>'
        f'<grpchat id="grpchat" seqid="3" chanUri="ma-chan://{DOMAIN}/{GUIDS[0]}" '
        f'author="sip:alice@{DOMAIN}"><chat>hi</chat></grpchat>'
        '<rpl id="rpl:x" seqid="4"/><ntc id="ntc:y" seqid="5"/>'))
    # stories and alerts (doc/xccos.md 3.18), good and malformed
    for attrs in ('story="true" title="Notes &amp; &#10;more"', 'alert="TRUE"',
                  'story="true" alert="true" title="t"', 'story="yes"', 'title=""',
                  'story="true" title=""', 'alert="false" story="false"'):
        rec.bodies.append(envelope(
            f'<grpchat id="grpchat" seqid="1" chanUri="ma-chan://{DOMAIN}/{GUIDS[0]}" '
            f'author="sip:alice@{DOMAIN}" {attrs}><chat>body</chat></grpchat>'))
    return rec.bodies


ARGS = {
    0: ["sip:alice@example.com", "SIP:Alice@Example.COM.", "sips:bob@[::1]:5061;transport=tls",
        "<sip:carol@example.com>", "tel:+123", "sip:%41lice@example.com", "sip:@x",
        "sip:alice@192.0.2.1", "sip:é@exämple.com"],
    1: ["example.com", "EXAMPLE.com.", "[2001:db8::1]", "192.0.2.300", "-bad-.com"],
    2: [f"ma-chan://{DOMAIN}/{GUIDS[2]}", "MA-CHAN://x/", "ma-chan://nohost", "ma-cat://x/y"],
    3: ["2026-01-31", "2026-01-31T12:00:00Z", "2024-02-29T23:59:60.1234567+14:00",
        "0000-01-01T00:00-23:59", "9999-12-31 23:59:59,9", "2026-13-01"],
    4: ["name=Room\nguid=abc\ncategory=cat\ninvite=yes\nprivacy=secret\nlimit=-5\n"
        "from=2026-01-01\nmember=sip:alice@example.com\nmember=domain:example.com\n"
        "member=group:admins", "name=a\nname=b", "=x\nnovalue", "limit=99999999999999999999"],
}

# answers as a chat node receives them (pchat_answer_scan)
_TAIL = ("From: <sip:pchat@example.com>;tag=a\r\nTo: <sip:alice@example.com>;tag=b\r\n"
         "Call-ID: c\r\nCSeq: 7 INFO\r\nContent-Length: 0\r\n\r\n")
ANSWERS = [
    "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKpc1f.2a.3.0123456789abcdef\r\n"
    + _TAIL,
    "SIP/2.0 481 Call/Transaction Does Not Exist\r\nv: SIP/2.0/TCP h;rport=5;branch=z9hG4bKpcx"
    ";received=1.2.3.4\r\n" + _TAIL,
    "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP a, SIP/2.0/TCP b;branch=z9hG4bKb\r\n" + _TAIL,
    "SIP/2.0 200 OK\r\nSubject: x\r\n folded\r\nVia: SIP/2.0/TCP a;branch=q\r\n" + _TAIL,
    "INFO sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP a;branch=z9hG4bKpc1.2.3.x\r\n" + _TAIL,
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    bodies = from_docs() + from_tests()
    seeds = {
        "fuzz_xccos": [b.encode() for b in bodies],
        "fuzz_cmd": [bytes([f]) + b.encode() for b in bodies for f in (0,)]
        + [bytes([f]) + b.encode() for b in bodies[-40:] for f in (1, 2, 3, 0x12, 0x21)],
        "fuzz_args": [bytes([k]) + v.encode() for k, vs in ARGS.items() for v in vs],
        "fuzz_answer": [a.encode() for a in ANSWERS],
    }
    for target, data in seeds.items():
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for blob in data:
            name = hashlib.sha1(blob).hexdigest()
            path = os.path.join(d, name)
            if not os.path.exists(path):
                with open(path, "wb") as f:
                    f.write(blob)


if __name__ == "__main__":
    main()
