"""Self-test of sipclient.py against a tiny in-process fake UAS (TCP and UDP).

It checks the test tool itself, not pchat; `make test` runs every scenario
through tests/test_sipclient_selftest.py.  Alone, after changing sipclient.py:

    /usr/bin/python3 tests/lib/selftest_sipclient.py        # prints OK

The fake UAS plays the chat server of doc/xccos.md §1.3-1.5: it answers INVITE
with 100 + 200 (Contact, Session-Expires, Record-Route), takes the ACK,
answers INFO with 200 and then sends its own INFO (a notice and the rpl)
back over the same connection, answers UPDATE / re-INVITE / BYE, and can
reject an INVITE with 503.  Every message the client sends is also checked
byte for byte against what pidgin-sipe puts on the wire.
"""

import os
import queue
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sipclient  # noqa: E402  (path set just above)
from sipclient import (InviteRejected, SipClient, SipConnectionClosed,  # noqa: E402
                       StreamFramer, find, local_name, parse_xccos)

CHAT_URI = "sip:ocschat@example.com"


class FakeUAS:
    """A scripted SIP server on loopback that serves one client connection or socket."""

    def __init__(self, transport):
        self.transport = transport
        kind = socket.SOCK_STREAM if transport == "tcp" else socket.SOCK_DGRAM
        self._sock = socket.socket(socket.AF_INET, kind)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        if transport == "tcp":
            self._sock.listen(1)
        else:
            self._sock.settimeout(0.2)   # lets close() stop the serving thread
        self._conn = None
        self._peer = None
        self.inbox = queue.Queue()   # every message from the client
        self.calls = {}              # Call-ID -> per-dialog server state
        self.reject_next_invite = False
        self.drop_next_info = False
        self.close_on_info = False
        self._branch = 0
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    # ----- transport -----

    def _serve(self):
        framer = StreamFramer()
        if self.transport == "tcp":
            self._conn, _ = self._sock.accept()
        while not self._stop:
            try:
                if self.transport == "tcp":
                    data = self._conn.recv(65536)
                    if not data:
                        return
                    messages = framer.feed(data)
                else:
                    data, self._peer = self._sock.recvfrom(65535)
                    messages = [sipclient.parse_message(data)] if data.strip() else []
            except socket.timeout:
                continue
            except OSError:
                return
            for message in messages:
                self.inbox.put(message)
                if message.is_request:
                    self._on_request(message)

    def send(self, data):
        if self.transport == "tcp":
            self._conn.sendall(data)
        else:
            self._sock.sendto(data, self._peer)

    def close(self):
        self._stop = True
        for sock in (self._conn, self._sock):
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    # ----- message building -----

    def reply(self, request, code, reason, headers=(), body="", to_tag=None):
        to_value = request.header("To")
        if to_tag and "tag=" not in to_value:
            to_value += f";tag={to_tag}"
        lines = [f"SIP/2.0 {code} {reason}"]
        lines += [f"Via: {via}" for via in request.headers_all("Via")]
        lines += [f"From: {request.header('From')}", f"To: {to_value}",
                  f"Call-ID: {request.call_id}", f"CSeq: {request.header('CSeq')}"]
        lines += [f"{name}: {value}" for name, value in headers]
        lines.append(f"Content-Length: {len(body.encode())}")
        self.send(("\r\n".join(lines) + "\r\n\r\n" + body).encode())

    def server_request(self, call_id, method, body="", from_uri=None, compact=False):
        """Send a request in the dialog ``call_id`` the way pchat should."""
        call = self.calls[call_id]
        call["cseq"] += 1
        self._branch += 1
        proto = self.transport.upper()
        names = ({"via": "v", "from": "f", "to": "t", "call-id": "i", "len": "l"} if compact else
                 {"via": "Via", "from": "From", "to": "To", "call-id": "Call-ID",
                  "len": "Content-Length"})
        lines = [
            f"{method} {call['client_contact']} SIP/2.0",
            f"{names['via']}: SIP/2.0/{proto} 127.0.0.1:{self.port};branch=z9hG4bKs{self._branch}",
            f"{names['from']}: <{from_uri or call['invited']}>;tag={call['tag']}",
            f"{names['to']}: <{call['client_uri']}>;tag={call['client_tag']}",
            f"{names['call-id']}: {call_id}",
            f"CSeq: {call['cseq']} {method}",
            "Max-Forwards: 70",
            "Content-Type: text/plain",
            f"{names['len']}: {len(body.encode())}",
        ]
        self.send(("\r\n".join(lines) + "\r\n\r\n" + body).encode())
        return call["cseq"]

    # ----- the scripted server -----

    def _on_request(self, request):
        method = request.method
        if method == "INVITE" and request.to_tag is None:
            self._on_initial_invite(request)
        elif method == "INVITE":
            self.reply(request, 200, "OK", [("Contact", self._contact()),
                                            ("Session-Expires", "900;refresher=uac")])
        elif method == "INFO":
            self._on_info(request)
        elif method == "OPTIONS":
            self.reply(request, 200, "OK")
        elif method in ("UPDATE", "BYE"):
            self.reply(request, 200, "OK", [("Session-Expires", "1800;refresher=uac")]
                       if method == "UPDATE" else [])

    def _contact(self):
        return f"<sip:pchat@127.0.0.1:{self.port};transport={self.transport}>"

    def _on_initial_invite(self, request):
        self.reply(request, 100, "Trying")
        if self.reject_next_invite:
            self.reject_next_invite = False
            self.reply(request, 503, "Service Unavailable", [("Retry-After", "30")],
                       to_tag="srvrej")
            return
        tag = f"srv{len(self.calls) + 1}"
        self.calls[request.call_id] = {
            "invited": request.ruri, "tag": tag, "cseq": 100,
            "client_uri": request.from_uri, "client_tag": request.from_tag,
            "client_contact": sipclient.name_addr_uri(request.header("Contact")),
        }
        sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=session\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
              "m=message 5061 sip null\r\n"
        self.reply(request, 200, "OK",
                   [("Record-Route", f"<sip:127.0.0.1:{self.port};lr>"),
                    ("Contact", self._contact()), ("Session-Expires", "1800;refresher=uac"),
                    ("Content-Type", "application/sdp")],
                   body=sdp, to_tag=tag)

    def _on_info(self, request):
        if self.drop_next_info:
            self.drop_next_info = False
            return
        if self.close_on_info:
            self.close()
            return
        self.reply(request, 200, "OK")
        try:
            envelope = parse_xccos(request.body)
        except ValueError:
            return
        cmd = find(envelope, "cmd")
        if cmd is None:
            return
        envid = envelope.get("envid")
        ns = sipclient.XCCOS_NS
        self.server_request(request.call_id, "INFO",
                            f'<xccos ver="1" envid="9000" xmlns="{ns}"><ntc id="ntc:join" '
                            f'seqid="1"><data/></ntc></xccos>')
        self.server_request(request.call_id, "INFO",
                            f'<xccos ver="1" envid="9001" xmlns="{ns}"><rpl id="rpl:requri" '
                            f'seqid="1"><commandid seqid="1" envid="{envid}"/><resp code="200">'
                            f'SUCCESS_OK</resp><data><uib uri="sip:chat@example.com"/></data>'
                            f"</rpl></xccos>")

    def take(self, method=None, status_for=None, timeout=5):
        """Next client message: a ``method`` request, or a response to a ``status_for`` request."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.inbox.get(timeout=max(0.01, deadline - time.monotonic()))
            if method and message.method == method:
                return message
            if status_for and not message.is_request and message.cseq_method == status_for:
                return message


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def check_sipe_request(raw, method, transport, branch_style):
    """The fixed part of every request: pidgin-sipe's header order and forms."""
    text = raw.decode()
    head = text.split("\r\n\r\n", 1)[0].split("\r\n")
    names = [line.split(":", 1)[0] for line in head[1:]]
    check(names[:7] == ["Via", "From", "To", "Max-Forwards", "CSeq", "User-Agent", "Call-ID"],
          f"{method}: header order {names}")
    check(names[-1] == "Content-Length", f"{method}: Content-Length last: {names}")
    via = head[1]
    if branch_style == "none":
        check(re.fullmatch(rf"Via: SIP/2\.0/{transport} 127\.0\.0\.1:\d+", via), via)
    else:
        check(re.fullmatch(rf"Via: SIP/2\.0/{transport.upper()} 127\.0\.0\.1:\d+;branch=z9hG4bK"
                           r"[0-9A-F]{20}", via), via)
    check(re.search(r"^From: <sip:alice@example\.com>;tag=\S+;epid=[0-9a-f]{10}\r$", text, re.M),
          f"{method}: From")
    check("\r\nMax-Forwards: 70\r\n" in text, f"{method}: Max-Forwards")


def scenario_dialog(transport, branch_style):
    """Lookup dialog end to end: INVITE, ACK, cmd:requri, notices, UPDATE, re-INVITE, BYE."""
    uas = FakeUAS(transport)
    client = SipClient("127.0.0.1", uas.port, transport=transport, branch_style=branch_style)
    try:
        dialog = client.invite(CHAT_URI)
        invite = uas.take("INVITE")
        check_sipe_request(invite.raw, "INVITE", transport, branch_style)
        text = invite.raw.decode()
        for line in ["INVITE sip:ocschat@example.com SIP/2.0", "To: <sip:ocschat@example.com>",
                     "CSeq: 1 INVITE", "Supported: ms-sender", "Content-Type: application/sdp",
                     f"Contact: <sip:alice@127.0.0.1:{client.local_port};transport={transport}>",
                     "m=message 5061 sip null"]:
            check(f"{line}\r\n" in text, f"INVITE lacks {line!r}:\n{text}")
        check(invite.content_length == len(invite.body_bytes) > 0, "INVITE Content-Length")

        check(dialog.remote_tag == "srv1", dialog.remote_tag)
        check(dialog.remote_target == f"sip:pchat@127.0.0.1:{uas.port};transport={transport}",
              dialog.remote_target)
        check(dialog.route_set == [f"sip:127.0.0.1:{uas.port};lr"], dialog.route_set)
        check(dialog.session_expires == 1800, dialog.session_expires)
        check(dialog.response.status == 200 and dialog.remote_uri == CHAT_URI, "dialog fields")

        ack = uas.take("ACK")
        check_sipe_request(ack.raw, "ACK", transport, branch_style)
        check(ack.ruri == dialog.remote_target and ack.header("CSeq") == "1 ACK"
              and ack.to_tag == "srv1" and ack.header("Route"), ack.raw.decode())

        reply = dialog.command("requri")
        info = uas.take("INFO")
        check_sipe_request(info.raw, "INFO", transport, branch_style)
        check(info.header("CSeq") == "2 INFO" and info.ruri == dialog.remote_target
              and info.header("Content-Type") == "text/plain"
              and info.header("Route") == f"<sip:127.0.0.1:{uas.port};lr>", info.raw.decode())
        check(re.fullmatch(r'<xccos ver="1" envid="\d+" xmlns="urn:parlano:xml:ns:xccos">'
                           r'<cmd id="cmd:requri" seqid="1"><data/></cmd></xccos>', info.body),
              info.body)
        check(reply.code == 200 and reply.token == "SUCCESS_OK" and reply.id == "rpl:requri",
              reply)
        check(find(reply.data, "uib").get("uri") == "sip:chat@example.com", "uib uri")
        for _ in range(2):   # the client's 200s to the notice and the rpl
            answer = uas.take(status_for="INFO")
            check(answer.status == 200 and answer.to_tag == dialog.local_tag, answer.raw)

        notice = dialog.wait_server_info(lambda m: "ntc:join" in m.body)
        check(notice.from_uri == CHAT_URI, notice.summary())
        dialog.expect_no_server_info(within=0.2)
        client.expect_no_request("BYE", within=0.1)
        check(client.wait_request("INFO", predicate=lambda m: "ntc:join" in m.body) is notice,
              "client-wide queue holds the same INFO")

        check([local_name(child) for child in reply.envelope] == ["rpl"], "envelope children")
        next_envid = client.next_envid()
        check((reply.envid + 1) & 0xFFFFFFFF == next_envid, "envid counter increments")

        client.send_raw(b"\r\n\r\n")   # a keepalive between messages must not disturb framing
        envid, body = client.make_envelope('<grpchat id="grpchat" seqid="1"><chat>hi</chat>'
                                           '</grpchat>')
        check(dialog.send_xccos(body).status == 200 and f'envid="{envid}"' in body, "grpchat")
        check(uas.take("INFO").header("CSeq") == "3 INFO", "grpchat INFO")

        dialog.cseq += 1   # a hand-made in-dialog request, answered via wait_response()
        options = client.build_request("OPTIONS", dialog.remote_target, call_id=dialog.call_id,
                                       from_tag=dialog.local_tag, to_uri=dialog.remote_uri,
                                       to_tag=dialog.remote_tag, cseq=dialog.cseq,
                                       via=client.via("z9hG4bKopt"))
        client.send_raw(options)
        check(client.wait_response(dialog.call_id, dialog.cseq, "OPTIONS").status == 200,
              "OPTIONS")

        dialog.auto_reply_code = 487   # play a stale client
        uas.server_request(dialog.call_id, "INFO", "<x/>")
        check(uas.take(status_for="INFO").status == 487, "auto_reply_code")
        dialog.auto_reply_code = None

        check(dialog.update().status == 200, "UPDATE")
        update = uas.take("UPDATE")
        check_sipe_request(update.raw, "UPDATE", transport, branch_style)
        check(update.header("CSeq") == "5 UPDATE" and update.content_length == 0, update.raw)

        check(dialog.reinvite().status == 200 and dialog.session_expires == 900, "re-INVITE")
        check(uas.take("ACK").header("CSeq") == "6 ACK", "re-INVITE ACK")

        dialog.assert_server_requests_ok()
        check([m.cseq_num for m in dialog.server_infos] == [101, 102, 103], "server INFO log")

        check(dialog.bye().status == 200 and dialog.terminated_by == "local", "BYE")
        uas.server_request(dialog.call_id, "INFO", "<late/>")
        check(uas.take(status_for="INFO").status == 487, "INFO after BYE gets 487")
        check(not client.errors, client.errors)
    finally:
        client.close()
        uas.close()


def scenario_server_side_problems(transport):
    """Rejected INVITE, a malformed server INFO, and a server BYE."""
    uas = FakeUAS(transport)
    client = SipClient("127.0.0.1", uas.port, transport=transport)
    try:
        uas.reject_next_invite = True
        try:
            client.invite(CHAT_URI)
            raise AssertionError("503 not raised")
        except InviteRejected as rejected:
            check(rejected.response.status == 503, rejected.response.status)
            check(rejected.response.header("Retry-After") == "30", "Retry-After")
        invite = uas.take("INVITE")
        ack = uas.take("ACK")
        check(ack.header("Via") == invite.header("Via") and ack.ruri == invite.ruri
              and ack.header("CSeq") == "1 ACK" and ack.to_tag == "srvrej", ack.raw.decode())

        dialog = client.invite("sip:chat@example.com")
        uas.server_request(dialog.call_id, "INFO", "<a/>", compact=True)
        check(uas.take(status_for="INFO").status == 200, "compact INFO answered")
        uas.server_request(dialog.call_id, "INFO", "<b/>", from_uri="sip:other@example.com")
        check(uas.take(status_for="INFO").status == 487, "wrong From gets 487 like sipe")
        compact = dialog.wait_server_info(lambda m: m.body == "<a/>")
        check(compact.compact_forms_seen == ["v", "f", "t", "i", "l"], compact.compact_forms_seen)
        check(compact.call_id == dialog.call_id and compact.content_length == 4, "compact lookup")
        problems = dialog.server_request_problems()
        check(any("compact header names" in p for p in problems), problems)
        check(any("From URI 'sip:other@example.com'" in p for p in problems), problems)

        dialog.auto_answer = False   # the test answers by hand
        uas.server_request(dialog.call_id, "INFO", "<c/>")
        manual = dialog.wait_server_info(lambda m: m.body == "<c/>")
        client.respond(manual, 500, extra_headers=[("Retry-After", "5")])
        answer = uas.take(status_for="INFO")
        check(answer.status == 500 and answer.header("Retry-After") == "5"
              and answer.reason == "Server Internal Error", answer.raw)
        dialog.auto_answer = True

        uas.server_request(dialog.call_id, "BYE")
        bye = dialog.wait_remote_bye()
        check(bye.method == "BYE" and dialog.terminated_by == "remote", "remote BYE")
        check(uas.take(status_for="BYE").status == 200, "BYE answered")
    finally:
        client.close()
        uas.close()


def scenario_udp_retransmission():
    """A lost INFO over UDP is retransmitted until answered."""
    uas = FakeUAS("udp")
    client = SipClient("127.0.0.1", uas.port, transport="udp")
    try:
        dialog = client.invite(CHAT_URI)
        uas.drop_next_info = True
        check(dialog.info("<x/>").status == 200, "retransmitted INFO answered")
        check(sum(1 for _, data in client.sent if data.startswith(b"INFO ")) == 2,
              "one retransmission")
    finally:
        client.close()
        uas.close()


def scenario_peer_close():
    """A wait fails fast with SipConnectionClosed when the server drops the connection."""
    uas = FakeUAS("tcp")
    client = SipClient("127.0.0.1", uas.port)
    try:
        dialog = client.invite(CHAT_URI)
        uas.close_on_info = True
        started = time.monotonic()
        try:
            dialog.info("<x/>", timeout=5)
            raise AssertionError("no SipConnectionClosed")
        except SipConnectionClosed:
            check(time.monotonic() - started < 2 and client.peer_closed, "closed fast")
    finally:
        client.close()
        uas.close()


def scenario_same_second_clients():
    """Equal call_id/from_tag seeds give equal dialog identifiers, like sipe in one second."""
    uas_a, uas_b = FakeUAS("tcp"), FakeUAS("tcp")
    clients = [SipClient("127.0.0.1", uas.port, call_id="cid", from_tag="7") for uas in
               (uas_a, uas_b)]
    try:
        ids = [[(d.call_id, d.local_tag) for d in (c.invite(CHAT_URI), c.invite(CHAT_URI))]
               for c in clients]
        check(ids[0] == ids[1] == [("cid", "7"), ("cid-1", "7-1")], ids)
    finally:
        for client in clients:
            client.close()
        uas_a.close()
        uas_b.close()


def scenario_framing():
    """Keepalive CRLFs and messages split at every byte boundary."""
    message = (b"SIP/2.0 200 OK\r\nCall-ID: x\r\nCSeq: 1 INFO\r\nContent-Length: 5\r\n\r\nhello")
    stream = b"\r\n\r\n" + message + b"\r\n" + message
    framer = StreamFramer()
    got = []
    for byte in stream:
        got += framer.feed(bytes([byte]))
    check([m.body for m in got] == ["hello", "hello"], got)
    check(got[0].header("content-length") == "5" and got[0].status == 200, "parse")


def scenario_many_clients():
    """50 clients in threads, each with its own connection and fake server."""
    errors = []

    def run(index):
        try:
            scenario_dialog("tcp" if index % 2 else "udp", "none" if index % 3 else "3261")
        except Exception as exc:  # collected and reported by the main thread
            errors.append(f"client {index}: {exc!r}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    check(not errors, errors)


def main():
    scenario_framing()
    for transport in ("tcp", "udp"):
        for branch_style in ("3261", "none"):
            scenario_dialog(transport, branch_style)
        scenario_server_side_problems(transport)
    scenario_udp_retransmission()
    scenario_peer_close()
    scenario_same_second_clients()
    scenario_many_clients()
    print("OK")


if __name__ == "__main__":
    main()
