"""A small SIP user agent (client side) that talks to pchat the way pidgin-sipe does.

Integration tests drive a real Kamailio with it, so on the wire it copies what
pidgin-sipe 1.25 sends (see doc/xccos.md section 1 and 7):
header order and names, the SDP offer, CSeq handling, Call-ID + CSeq response
matching, and, with ``branch_style='none'``, Vias without a branch and with a
lower-case transport.  Like pidgin-sipe it never listens on a port of its own:
the server's requests (INFO, BYE, ...) must come back over the one TCP
connection (or the one UDP socket) the client opened.

Only the standard library is used.  One background thread per client parses
incoming messages, answers server INFO/BYE automatically, and queues everything
for the test to wait on, so that 50 clients can run side by side in threads.

Typical use::

    with SipClient("127.0.0.1", port) as alice:
        lookup = alice.invite("sip:ocschat@example.com")
        reply = lookup.command("requri")
        assert reply.code == 200
        lookup.bye()
"""

import random
import re
import select
import socket
import threading
import time
import xml.etree.ElementTree as ET

XCCOS_NS = "urn:parlano:xml:ns:xccos"

# RFC 3261 7.3.3 and later RFCs: compact header name -> long name (lower case).
# pidgin-sipe only understands long names, so every compact form the server
# uses is recorded in SipMessage.compact_forms_seen for tests to assert on.
COMPACT_HEADER_NAMES = {
    "a": "accept-contact",
    "b": "referred-by",
    "c": "content-type",
    "d": "request-disposition",
    "e": "content-encoding",
    "f": "from",
    "i": "call-id",
    "j": "reject-contact",
    "k": "supported",
    "l": "content-length",
    "m": "contact",
    "n": "identity-info",
    "o": "event",
    "r": "refer-to",
    "s": "subject",
    "t": "to",
    "u": "allow-events",
    "v": "via",
    "x": "session-expires",
    "y": "identity",
}

REASON_PHRASES = {
    100: "Trying",
    180: "Ringing",
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    491: "Request Pending",
    500: "Server Internal Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    603: "Decline",
}

# pidgin-sipe's SDP_ACCEPT_TYPES (built with GMime, as Debian does), from its chat INVITE offer.
SDP_ACCEPT_TYPES = ("text/plain text/html image/gif multipart/alternative "
                    "application/im-iscomposing+xml application/ms-imdn+xml "
                    "text/x-msmsgsinvite")

USER_AGENT = "pchat-tests-sipclient (pidgin-sipe 1.25 wire behaviour)"

# RFC 3261 timers, used only to retransmit requests over UDP.
T1 = 0.5
T2 = 4.0

_MAX_RECENT_IN_ERRORS = 12


class SipTimeoutError(AssertionError, TimeoutError):
    """A wait ran out of time.

    It is an AssertionError so that pytest reports it as a test failure with
    the message (which lists the last messages seen), and a TimeoutError so
    that ``pytest.raises(TimeoutError)`` also works.
    """


class SipConnectionClosed(AssertionError, ConnectionError):
    """The server closed the TCP connection while a test was waiting for something."""


class InviteRejected(AssertionError):
    """The server answered an INVITE with a non-2xx final response.

    The client has already sent the ACK for it.  ``response`` is the final
    response, so tests can check e.g. ``status == 503`` and ``Retry-After``.
    """

    def __init__(self, response):
        super().__init__(f"INVITE rejected: {response.status} {response.reason}\n"
                         f"{response.raw.decode('utf-8', 'replace')}")
        self.response = response


class SipParseError(ValueError):
    """Bytes from the server that are not a SIP message this client can frame or parse."""


# --------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------

def _canonical_name(name):
    """Lower-case long form of a header name, so compact and long forms compare equal."""
    lower = name.lower()
    return COMPACT_HEADER_NAMES.get(lower, lower)


def _parse_header_block(head):
    """Split a header block into (start line, [(name, value)], compact names, syntax issues).

    Folded continuation lines are joined.  Names keep the case the server used.
    """
    lines = re.split(rb"\r?\n", head)
    start_line = lines[0].decode("utf-8", "replace").strip()
    headers = []
    issues = []
    for line in lines[1:]:
        text = line.decode("utf-8", "replace")
        if not text:
            continue
        if text[0] in " \t" and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + " " + text.strip())
            continue
        if ":" not in text:
            issues.append(f"header line without colon: {text!r}")
            continue
        name_part, value = text.split(":", 1)
        name = name_part.strip()
        if name_part != name:
            issues.append(f"whitespace around header name: {text!r}")
        headers.append((name, value.strip()))
    compact = [name for name, _ in headers if name.lower() in COMPACT_HEADER_NAMES]
    return start_line, headers, compact, issues


def _declared_content_length(headers):
    """The Content-Length value as int, None if absent; SipParseError if not a number."""
    for name, value in headers:
        if _canonical_name(name) == "content-length":
            try:
                return int(value)
            except ValueError:
                raise SipParseError(f"bad Content-Length {value!r}") from None
    return None


class SipMessage:
    """One parsed SIP request or response.

    Attributes:
        raw: the exact bytes received.
        is_request, method, ruri (requests); status, reason (responses).
        headers: [(name, value)] in wire order with the server's spelling.
        body_bytes / body: the body as bytes and as UTF-8 text.
        content_length: the declared Content-Length (None if the header is absent).
        body_length_on_wire: body bytes actually present (a UDP datagram may
            differ from the declared length; over TCP the declared length frames it).
        compact_forms_seen: compact header names (``i``, ``l``...) the sender used.
        header_syntax_issues: lines pidgin-sipe could not parse (e.g. ``Name : v``).
        received_at: time.monotonic() when it arrived; source: (ip, port).
    """

    def __init__(self, start_line, headers, body_bytes, raw, *, compact_forms_seen=(),
                 header_syntax_issues=(), body_length_on_wire=None, source=None):
        self.raw = raw
        self.headers = list(headers)
        self.body_bytes = body_bytes
        try:
            self.body = body_bytes.decode("utf-8")
        except UnicodeDecodeError:
            self.body = body_bytes.decode("utf-8", "replace")
            header_syntax_issues = list(header_syntax_issues) + ["body is not valid UTF-8"]
        self.compact_forms_seen = list(compact_forms_seen)
        self.header_syntax_issues = list(header_syntax_issues)
        self.content_length = _declared_content_length(self.headers)
        self.body_length_on_wire = (len(body_bytes) if body_length_on_wire is None
                                    else body_length_on_wire)
        self.source = source
        self.received_at = time.monotonic()
        self.start_line = start_line
        parts = start_line.split(" ", 2)
        if start_line.startswith("SIP/2.0 "):
            self.is_request = False
            self.method = self.ruri = None
            try:
                self.status = int(parts[1])
            except (IndexError, ValueError):
                raise SipParseError(f"bad status line {start_line!r}") from None
            self.reason = parts[2] if len(parts) > 2 else ""
        elif len(parts) == 3 and parts[2] == "SIP/2.0":
            self.is_request = True
            self.method, self.ruri = parts[0], parts[1]
            self.status = self.reason = None
        else:
            raise SipParseError(f"not a SIP start line: {start_line!r}")

    def header(self, name):
        """Value of the first header called ``name`` (long name, any case), or None."""
        wanted = _canonical_name(name)
        for hname, value in self.headers:
            if _canonical_name(hname) == wanted:
                return value
        return None

    def headers_all(self, name):
        """Values of every header line called ``name``, in wire order."""
        wanted = _canonical_name(name)
        return [value for hname, value in self.headers if _canonical_name(hname) == wanted]

    @property
    def call_id(self):
        return self.header("Call-ID")

    @property
    def cseq_num(self):
        """CSeq number as int (None if missing or malformed)."""
        cseq = self.header("CSeq")
        try:
            return int(cseq.split()[0])
        except (AttributeError, IndexError, ValueError):
            return None

    @property
    def cseq_method(self):
        cseq = self.header("CSeq")
        parts = cseq.split() if cseq else []
        return parts[1] if len(parts) > 1 else None

    @property
    def from_uri(self):
        return name_addr_uri(self.header("From"))

    @property
    def from_tag(self):
        return header_params(self.header("From")).get("tag")

    @property
    def to_uri(self):
        return name_addr_uri(self.header("To"))

    @property
    def to_tag(self):
        return header_params(self.header("To")).get("tag")

    @property
    def via_branch(self):
        """The branch parameter of the top Via (None if it has none, RFC 2543 style)."""
        vias = self.headers_all("Via")
        if not vias:
            return None
        return header_params(_split_header_list(vias[0])[0]).get("branch")

    @property
    def content_length_ok(self):
        """True if Content-Length is present and equals the body length on the wire."""
        return (self.content_length is not None
                and self.content_length == self.body_length_on_wire)

    def summary(self):
        """One line for error messages: start line, Call-ID, CSeq."""
        return f"{self.start_line} | Call-ID: {self.call_id} | CSeq: {self.header('CSeq')}"

    def __repr__(self):
        return f"<SipMessage {self.summary()}>"


def parse_message(data, source=None):
    """Parse one complete SIP message (one UDP datagram, or one framed TCP message)."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        head, body = data.rstrip(b"\r\n"), b""
    else:
        head, body = data[:end], data[end + 4:]
    start_line, headers, compact, issues = _parse_header_block(head)
    on_wire = len(body)
    declared = _declared_content_length(headers)
    if declared is not None:
        if declared > len(body):
            issues.append(f"Content-Length {declared} larger than the {len(body)} body bytes")
        body = body[:declared]
    return SipMessage(start_line, headers, body, data, compact_forms_seen=compact,
                      header_syntax_issues=issues, body_length_on_wire=on_wire, source=source)


class StreamFramer:
    """Cuts a TCP byte stream into SIP messages using Content-Length.

    CR/LF bytes between messages (RFC 5626 keepalives) are skipped.  A message
    without Content-Length is taken to have no body, which is what a stream
    receiver must assume; the missing header stays visible in the message.
    Problems are appended to ``errors`` (a list the caller may share) instead
    of raised, so that messages framed before a bad one are not lost.
    """

    def __init__(self, errors=None):
        self._buf = bytearray()
        self.errors = [] if errors is None else errors

    def feed(self, data, source=None):
        """Add received bytes; return the messages completed by them."""
        self._buf += data
        messages = []
        while True:
            skip = 0
            while skip < len(self._buf) and self._buf[skip] in b"\r\n":
                skip += 1
            del self._buf[:skip]
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                return messages
            _, headers, _, _ = _parse_header_block(bytes(self._buf[:end]))
            try:
                total = end + 4 + (_declared_content_length(headers) or 0)
            except SipParseError as exc:
                self.errors.append(f"framing lost, {len(self._buf)} bytes dropped: {exc}")
                self._buf.clear()
                return messages
            if len(self._buf) < total:
                return messages
            raw = bytes(self._buf[:total])
            del self._buf[:total]
            try:
                messages.append(parse_message(raw, source))
            except SipParseError as exc:
                self.errors.append(f"{exc} in {raw[:200]!r}")


# --------------------------------------------------------------------------
# Header value helpers
# --------------------------------------------------------------------------

def _split_header_list(value):
    """Split a comma-separated header value (Via, Record-Route) outside <> and quotes."""
    items, depth, quoted, current = [], 0, False, []
    for ch in value:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "<":
            depth += 1
        elif not quoted and ch == ">":
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    if current:
        items.append("".join(current).strip())
    return items


def name_addr_uri(value):
    """The URI of a name-addr / addr-spec header value (From, To, Contact, Route)."""
    if value is None:
        return None
    match = re.search(r"<([^>]*)>", value)
    if match:
        return match.group(1).strip()
    return value.split(";", 1)[0].strip()


def header_params(value):
    """Header parameters after the URI, e.g. {'tag': 'abc'} (names lower-cased)."""
    if not value:
        return {}
    if ">" in value:
        rest = value[value.rfind(">") + 1:]
    else:
        rest = value.partition(";")[2]
    params = {}
    for part in rest.split(";"):
        part = part.strip()
        if part:
            name, _, pvalue = part.partition("=")
            params[name.strip().lower()] = pvalue.strip() if pvalue else None
    return params


# --------------------------------------------------------------------------
# XCCOS helpers
# --------------------------------------------------------------------------

def _qualify(path):
    """'rpl/data/uib' -> '{ns}rpl/{ns}data/{ns}uib' for ElementTree lookups."""
    return "/".join(part if part in (".", "..", "*") or part.startswith("{")
                    else f"{{{XCCOS_NS}}}{part}" for part in path.split("/"))


def find(element, path):
    """Namespace-aware Element.find: ``find(env, 'rpl/resp')``."""
    return element.find(_qualify(path))


def findall(element, path):
    """Namespace-aware Element.findall."""
    return element.findall(_qualify(path))


def local_name(element):
    """Tag without the namespace: '{urn:...xccos}rpl' -> 'rpl'."""
    return element.tag.rsplit("}", 1)[-1]


def parse_xccos(body):
    """Parse an XCCOS envelope (str or bytes) and return the <xccos> root element.

    Accepts an optional UTF-8 BOM and XML declaration, as doc/xccos.md §1.5
    recommends.  Raises ValueError if the root is not {urn:parlano:xml:ns:xccos}xccos.
    """
    data = body.encode("utf-8") if isinstance(body, str) else body
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    root = ET.fromstring(data)
    if root.tag != f"{{{XCCOS_NS}}}xccos":
        raise ValueError(f"not an XCCOS envelope: root element {root.tag!r}")
    return root


def _find_rpl_for(body, envid):
    """The <rpl> in ``body`` whose <commandid envid> is ``envid``, else None."""
    try:
        root = parse_xccos(body)
    except (ET.ParseError, ValueError):
        return None
    for rpl in findall(root, "rpl"):
        commandid = find(rpl, "commandid")
        if commandid is not None and commandid.get("envid") == str(envid):
            return root, rpl
    return None


class Reply:
    """A server <rpl> matched to one of our commands.

    Attributes: envelope (the <xccos> root), rpl (the matching <rpl> element),
    code (int from <resp code>, None if <resp> is missing), token (<resp> text),
    data (the <data> element or None), envid (of our command), sip (the SIP INFO).
    """

    def __init__(self, envelope, rpl, envid, sip):
        self.envelope = envelope
        self.rpl = rpl
        self.envid = envid
        self.sip = sip
        resp = find(rpl, "resp")
        self.code = int(resp.get("code")) if resp is not None and resp.get("code") else None
        self.token = (resp.text or "").strip() if resp is not None else None
        self.data = find(rpl, "data")

    @property
    def id(self):
        """The rpl id, e.g. 'rpl:join'."""
        return self.rpl.get("id")

    def __repr__(self):
        return f"<Reply {self.id} code={self.code} token={self.token}>"


# --------------------------------------------------------------------------
# Identifier generators shaped like pidgin-sipe's
# --------------------------------------------------------------------------

def _rand16():
    return random.getrandbits(16)


def _gen_call_id():
    return "{:04X}g{:04X}a{:04X}i{:04X}m{:04X}t{:04X}b{:04X}x{:04X}x".format(
        *(_rand16() for _ in range(8)))


def _gen_tag():
    return "{:04d}{:04d}".format(random.randrange(10000), random.randrange(10000))


def _gen_branch():
    return "z9hG4bK" + "".join(f"{_rand16():04X}" for _ in range(5))


def _headers_list(extra_headers):
    """Normalise extra headers given as a dict or an iterable of (name, value)."""
    if not extra_headers:
        return []
    if isinstance(extra_headers, dict):
        return list(extra_headers.items())
    return list(extra_headers)


# --------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------

class SipClient:
    """One pidgin-sipe-like SIP endpoint on one TCP connection or one UDP socket.

    Args:
        host, port: the server (Kamailio) to talk to.
        transport: 'tcp' (what pidgin-sipe uses) or 'udp'.
        user, domain: our address of record is sip:user@domain.
        local_ip: address to bind and to put in Via, Contact and SDP.
        call_id, from_tag: make dialog identifiers deterministic.  The n-th
            dialog this client opens (n = 0, 1, ...) uses ``call_id`` for n = 0
            and ``f"{call_id}-{n}"`` after that (same for the tag).  Two clients
            built with equal values reproduce pidgin-sipe clients started in the
            same second (doc/xccos.md §7.3).  None: random, shaped like sipe's.
        branch_style: '3261' puts ``Via: SIP/2.0/TCP ip:port;branch=z9hG4bK...``
            on every request.  'none' copies pidgin-sipe exactly: every request
            it sends on a chat dialog (the INVITE included, since sipe creates the
            dialog's Call-ID before sending it) carries ``Via: SIP/2.0/tcp
            ip:port`` with no branch.

    Incoming server requests are answered by the reader thread; the dialog is
    looked up by Call-ID (pidgin-sipe also wants the invited URI in From):
      * INFO on a live dialog with the invited URI in From: 200, or
        ``dialog.auto_reply_code`` if set (e.g. 481/487 to play a dead or
        stale client).
      * INFO on an unknown or terminated dialog, or whose From URI is not the
        invited URI: 487, as pidgin-sipe answers (doc/xccos.md §7.2).
      * BYE: 200 and the dialog is marked terminated by the remote side;
        481 if the dialog is unknown or already terminated.
      * Nothing at all if ``self.auto_answer`` is False; INFO/BYE on a live
        dialog get nothing if ``dialog.auto_answer`` is False.
      * Other methods are only queued; answer them with ``respond()``.
    Every request is queued for ``wait_request`` and, if its Call-ID is a
    known dialog's, recorded on that dialog (see Dialog); responses are
    queued for ``wait_response``; everything is logged in ``received``.
    UDP retransmissions of an answered request are answered again, not queued.
    """

    def __init__(self, host, port, transport="tcp", user="alice", domain="example.com",
                 local_ip="127.0.0.1", call_id=None, from_tag=None, branch_style="3261",
                 connect_timeout=5.0):
        if transport not in ("tcp", "udp"):
            raise ValueError(f"transport must be 'tcp' or 'udp', not {transport!r}")
        if branch_style not in ("3261", "none"):
            raise ValueError(f"branch_style must be '3261' or 'none', not {branch_style!r}")
        self.host = host
        self.port = port
        self.transport = transport
        self.user = user
        self.domain = domain
        self.local_ip = local_ip
        self.branch_style = branch_style
        self.aor = f"sip:{user}@{domain}"
        self.epid = f"{random.getrandbits(40):010x}"
        self.auto_answer = True
        self.received = []   # every message received, in order; never consumed
        self.sent = []       # every message sent, as (monotonic time, bytes)
        self.errors = []     # framing / parse errors seen by the reader thread
        self.close_reason = None   # why the reader stopped, if the server ended the connection
        self._call_id_seed = call_id
        self._from_tag_seed = from_tag
        self._dialog_count = 0
        self._envid = random.getrandbits(32)
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._requests = []      # server requests not yet taken by wait_request
        self._responses = []     # responses not yet taken by a wait
        self._dialogs = {}       # Call-ID -> Dialog; terminated ones stay, so late requests
                                 # are still recorded on them (and refused)
        self._answered = {}      # UDP request retransmission key -> response bytes
        self._acks = {}          # (Call-ID, CSeq) -> ACK bytes, re-sent on retransmitted finals
        self._closing = False
        self._reader_done = False
        self._paused = threading.Event()   # pause_reading(): the socket is left unread

        if transport == "tcp":
            self._sock = socket.create_connection((host, port), timeout=connect_timeout,
                                                  source_address=(local_ip, 0))
            self._sock.settimeout(None)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        else:
            self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._sock.bind((local_ip, 0))
        self.local_port = self._sock.getsockname()[1]
        self.contact = f"<sip:{user}@{local_ip}:{self.local_port};transport={transport}>"
        self._reader = threading.Thread(target=self._read_loop, daemon=True,
                                        name=f"sipclient-{user}-{self.local_port}")
        self._reader.start()

    # ----- lifecycle -------------------------------------------------------

    def close(self):
        """Stop the reader and close the socket (no BYE is sent, like a crashed client)."""
        if self._closing:
            return
        self._closing = True
        if self.transport == "tcp":
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._reader.join(timeout=5)
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def pause_reading(self, paused=True):
        """Stop (or resume) reading the socket, like a client that hangs: what the
        server sends stays in the kernel's buffers and then in the server's."""
        if paused:
            self._paused.set()
        else:
            self._paused.clear()

    @property
    def peer_closed(self):
        """True once the server ended the connection and the reader stopped (see close_reason)."""
        return self._reader_done and not self._closing

    # ----- identifiers -----------------------------------------------------

    def next_envid(self):
        """Next XCCOS envid: a per-client counter from a random 32-bit start, as sipe does."""
        with self._cond:
            envid = self._envid
            self._envid = (self._envid + 1) & 0xFFFFFFFF
        return envid

    def make_envelope(self, inner_xml):
        """Wrap ``inner_xml`` in an <xccos> envelope with a fresh envid; return (envid, body)."""
        envid = self.next_envid()
        return envid, (f'<xccos ver="1" envid="{envid}" xmlns="{XCCOS_NS}">'
                       f"{inner_xml}</xccos>")

    def _next_dialog_ids(self):
        with self._cond:
            n = self._dialog_count
            self._dialog_count += 1
        suffix = "" if n == 0 else f"-{n}"
        call_id = self._call_id_seed + suffix if self._call_id_seed else _gen_call_id()
        tag = self._from_tag_seed + suffix if self._from_tag_seed else _gen_tag()
        return call_id, tag

    def sdp_offer(self):
        """The IM-style SDP offer pidgin-sipe puts in its chat INVITEs."""
        ip = self.local_ip
        return ("v=0\r\n"
                f"o=- 0 0 IN IP4 {ip}\r\n"
                "s=session\r\n"
                f"c=IN IP4 {ip}\r\n"
                "t=0 0\r\n"
                "m=message 5061 sip null\r\n"
                f"a=accept-types:{SDP_ACCEPT_TYPES}\r\n")

    # ----- sending ---------------------------------------------------------

    def send_raw(self, data, addr=None):
        """Send bytes as they are (e.g. b'\\r\\n\\r\\n' keepalives or malformed input)."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        with self._send_lock:
            self.sent.append((time.monotonic(), data))
            if self.transport == "tcp":
                self._sock.sendall(data)
            else:
                self._sock.sendto(data, addr or (self.host, self.port))

    def via(self, branch):
        """Our Via value for a new transaction, in the configured branch style."""
        if self.branch_style == "none":
            return f"SIP/2.0/{self.transport} {self.local_ip}:{self.local_port}"
        sent_by = f"{self.local_ip}:{self.local_port}"
        return f"SIP/2.0/{self.transport.upper()} {sent_by};branch={branch}"

    def build_request(self, method, ruri, *, call_id, from_tag, to_uri, to_tag, cseq, via,
                      routes=(), extra_headers=None, body="", content_type=None):
        """Serialise a request with pidgin-sipe's header order; returns bytes.

        Order: Via, From, To, Max-Forwards, CSeq, User-Agent, Call-ID, Route...,
        extra headers, Content-Type, Content-Length (always present).
        """
        body_bytes = body.encode("utf-8") if isinstance(body, str) else body
        lines = [
            f"{method} {ruri} SIP/2.0",
            f"Via: {via}",
            f"From: <{self.aor}>;tag={from_tag};epid={self.epid}",
            f"To: <{to_uri}>" + (f";tag={to_tag}" if to_tag else ""),
            "Max-Forwards: 70",
            f"CSeq: {cseq} {method}",
            f"User-Agent: {USER_AGENT}",
            f"Call-ID: {call_id}",
        ]
        lines += [f"Route: <{route}>" for route in routes]
        lines += [f"{name}: {value}" for name, value in _headers_list(extra_headers)]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body_bytes)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body_bytes

    def respond(self, request, code, reason=None, extra_headers=None, body="",
                content_type=None):
        """Answer a server request: Via(s), From, To, Call-ID, CSeq echoed, Content-Length.

        A To without a tag gets ours (the dialog's local tag if the Call-ID is known).
        """
        reason = reason or REASON_PHRASES.get(code, "Unknown")
        body_bytes = body.encode("utf-8") if isinstance(body, str) else body
        to_value = request.header("To") or ""
        if "tag" not in header_params(to_value):
            dialog = self._dialogs.get(request.call_id)
            to_value += f";tag={dialog.local_tag if dialog else _gen_tag()}"
        lines = [f"SIP/2.0 {code} {reason}"]
        lines += [f"Via: {via}" for via in request.headers_all("Via")]
        lines += [f"From: {request.header('From')}", f"To: {to_value}",
                  f"Call-ID: {request.call_id}", f"CSeq: {request.header('CSeq')}"]
        lines += [f"{name}: {value}" for name, value in _headers_list(extra_headers)]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body_bytes)}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body_bytes
        if self.transport == "udp":
            with self._cond:
                self._answered[self._retransmission_key(request)] = data
        self.send_raw(data, request.source)
        return data

    @staticmethod
    def _retransmission_key(request):
        return (request.call_id, request.cseq_num, request.method, request.via_branch)

    def transact(self, raw, call_id, cseq_num, method, timeout=5.0):
        """Send a request and return its final response (provisionals are skipped).

        Over UDP the request is retransmitted (T1 doubling up to T2) until a
        response arrives.  ACK is never answered, so do not pass one here.
        """
        self.send_raw(raw)
        return self._wait_response(call_id, cseq_num, method, timeout,
                                   retransmit=raw if self.transport == "udp" else None)

    # ----- sign-in (REGISTER, SUBSCRIBE) -------------------------------------

    def register(self, password=None, expires=900, timeout=5.0):
        """REGISTER like pidgin-sipe; answers one 407 with Digest (MD5, qop=auth).

        The Digest answer carries ``uri="(null)"`` literally, as sipe's does.
        Returns the final response (the 200, or whatever ended the exchange);
        ``self.challenges`` lists the 407s seen.  Expires 0 de-registers.
        """
        import hashlib
        call_id = _gen_call_id()
        tag = _gen_tag()
        self.challenges = []
        cseq = 0
        auth = None
        while True:
            cseq += 1
            headers = [("Contact", f"{self.contact};methods=\"INVITE, MESSAGE, INFO, "
                                   f"SUBSCRIBE, OPTIONS, BYE, CANCEL, NOTIFY, ACK, REFER, "
                                   f"BENOTIFY\";proxy=replace;+sip.instance=\"<urn:uuid:"
                                   f"{self.epid}>\""),
                       ("Supported", "gruu-10, adhoclist, msrtc-event-categories"),
                       ("Event", "registration"),
                       ("Allow-Events", "presence"),
                       ("Expires", str(expires))]
            if auth:
                headers.append(("Proxy-Authorization", auth))
            raw = self.build_request("REGISTER", f"sip:{self.domain}", call_id=call_id,
                                     from_tag=tag, to_uri=self.aor, to_tag=None, cseq=cseq,
                                     via=self.via(_gen_branch()), extra_headers=headers)
            if expires == 0:
                # sipe sends the de-REGISTER and closes at once; tests may wait
                self.send_raw(raw)
                return self._wait_response(call_id, cseq, "REGISTER", timeout)
            response = self.transact(raw, call_id, cseq, "REGISTER", timeout)
            if response.status != 407 or auth is not None or password is None:
                return response
            self.challenges.append(response)
            challenge = response.header("Proxy-Authenticate") or ""
            params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge.partition(" ")[2]))
            realm, nonce = params.get("realm", ""), params.get("nonce", "")
            cnonce, nc, uri = f"{random.getrandbits(32):08x}", "00000001", "(null)"

            def md5(text):
                return hashlib.md5(text.encode()).hexdigest()
            ha1 = md5(f"{self.user}:{realm}:{password}")
            ha2 = md5(f"REGISTER:{uri}")
            digest = md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
            auth = (f'Digest username="{self.user}", realm="{realm}", nonce="{nonce}", '
                    f'uri="{uri}", qop=auth, nc={nc}, cnonce="{cnonce}", '
                    f'response="{digest}", algorithm=MD5')
            if "opaque" in params:
                auth += f', opaque="{params["opaque"]}"'

    def subscribe(self, event, ruri=None, accept=None, expires=0, timeout=5.0):
        """SUBSCRIBE sip:<self> (or ``ruri``) with ``event``; returns the final response."""
        ruri = ruri or self.aor
        headers = [("Event", event), ("Contact", self.contact), ("Expires", str(expires))]
        if accept:
            headers.append(("Accept", accept))
        if event == "vnd-microsoft-provisioning-v2":
            headers.append(("Accept", "application/vnd-microsoft-roaming-provisioning-v2+xml"))
            body = ('<provisioningGroupList xmlns="http://schemas.microsoft.com/2006/09/'
                    'sip/provisioninggrouplist"><provisioningGroup name="ServerConfiguration"/>'
                    '<provisioningGroup name="meetingPolicy"/>'
                    '<provisioningGroup name="persistentChatConfiguration"/>'
                    '</provisioningGroupList>')
            ctype = "application/vnd-microsoft-roaming-provisioning-v2+xml"
        else:
            body, ctype = "", None
        call_id = _gen_call_id()
        raw = self.build_request("SUBSCRIBE", ruri, call_id=call_id, from_tag=_gen_tag(),
                                 to_uri=self.aor, to_tag=None, cseq=1,
                                 via=self.via(_gen_branch()), extra_headers=headers,
                                 body=body, content_type=ctype)
        return self.transact(raw, call_id, 1, "SUBSCRIBE", timeout)


    # ----- dialogs ---------------------------------------------------------

    def invite(self, ruri, sdp=True, extra_headers=None, timeout=5.0):
        """Open a dialog like pidgin-sipe: INVITE, wait for the final response, ACK.

        Returns a Dialog on 2xx.  On a non-2xx final response the ACK (same
        Via, RFC 3261 17.1.1.3) is sent and InviteRejected is raised; its
        ``response`` attribute is the final response.
        """
        call_id, tag = self._next_dialog_ids()
        dialog = Dialog(self, call_id, tag, ruri)
        with self._cond:
            self._dialogs[call_id] = dialog
        headers = [("Supported", "ms-sender"), ("Contact", self.contact)]
        headers += _headers_list(extra_headers)
        via = self.via(_gen_branch())
        raw = self.build_request("INVITE", ruri, call_id=call_id, from_tag=tag, to_uri=ruri,
                                 to_tag=None, cseq=1, via=via, extra_headers=headers,
                                 body=self.sdp_offer() if sdp else "",
                                 content_type="application/sdp" if sdp else None)
        dialog.cseq = 1
        try:
            response = self.transact(raw, call_id, 1, "INVITE", timeout)
        except Exception:
            with self._cond:
                del self._dialogs[call_id]
            raise
        if 200 <= response.status < 300:
            dialog._establish(response)
            dialog._send_ack(1, response, via=None)
            return dialog
        dialog._send_ack(1, response, via=via, ruri=ruri)
        with self._cond:
            del self._dialogs[call_id]
        raise InviteRejected(response)

    def dialog(self, call_id):
        """The Dialog with this Call-ID (None if unknown)."""
        with self._cond:
            return self._dialogs.get(call_id)

    # ----- waiting ---------------------------------------------------------

    def _recent(self):
        """Last messages in both directions, for timeout messages."""
        events = [(m.received_at, "<- " + m.summary()) for m in self.received]
        for at, data in self.sent:
            first = data.split(b"\r\n", 1)[0].decode("utf-8", "replace") or repr(data[:20])
            events.append((at, "-> " + first))
        events.sort(key=lambda event: event[0])
        lines = [text for _, text in events[-_MAX_RECENT_IN_ERRORS:]]
        if self.errors:
            lines.append(f"reader errors: {self.errors}")
        return "\n  ".join(["recent traffic:"] + lines)

    def _fail_wait(self, what, timeout):
        """Raise the right exception for a wait that ended without a match (lock held)."""
        if self._reader_done and not self._closing:
            raise SipConnectionClosed(f"{self.close_reason} while waiting for {what}"
                                      f"\n  {self._recent()}")
        raise SipTimeoutError(f"no {what} within {timeout}s\n  {self._recent()}")

    @staticmethod
    def _take(queue, match):
        for index, message in enumerate(queue):
            if match(message):
                return queue.pop(index)
        return None

    def _wait_take(self, queue, match, what, timeout):
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                message = self._take(queue, match)
                if message is not None:
                    return message
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._reader_done:
                    self._fail_wait(what, timeout)
                self._cond.wait(remaining)

    def wait_request(self, method, timeout=5.0, predicate=None):
        """Take the oldest queued server request with this method (and predicate) or wait for one.

        Every server request is queued here, whatever dialog it belongs to;
        Dialog.wait_server_request() has a separate per-dialog queue.
        """
        def match(message):
            return message.method == method and (predicate is None or predicate(message))
        return self._wait_take(self._requests, match, f"{method} request", timeout)

    def _expect_none(self, queue, match, what, within):
        """Raise AssertionError if ``queue`` holds or receives a match within ``within`` s."""
        deadline = time.monotonic() + within
        with self._cond:
            while True:
                found = next((m for m in queue if match(m)), None)
                if found is not None:
                    raise AssertionError(f"unexpected {what}: {found.summary()}\n"
                                         f"{found.raw.decode('utf-8', 'replace')}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._cond.wait(remaining)

    def expect_no_request(self, method, within=1.0, predicate=None):
        """Assert that no matching server request is queued now or arrives within ``within`` s.

        Requests already taken by wait_request() do not count.
        """
        def match(message):
            return message.method == method and (predicate is None or predicate(message))
        self._expect_none(self._requests, match, f"{method} request", within)

    def wait_response(self, call_id, cseq_num, method, timeout=5.0):
        """Take the final response matching Call-ID + CSeq number + method, or wait for it.

        Provisional responses to that request are discarded.
        """
        return self._wait_response(call_id, cseq_num, method, timeout)

    def _wait_response(self, call_id, cseq_num, method, timeout, retransmit=None):
        def match(message):
            return (message.call_id == call_id and message.cseq_num == cseq_num
                    and message.cseq_method == method)
        what = f"final response to {method} (Call-ID {call_id}, CSeq {cseq_num})"
        deadline = time.monotonic() + timeout
        interval = T1
        next_retransmit = time.monotonic() + interval
        with self._cond:
            while True:
                message = self._take(self._responses, match)
                while message is not None and message.status < 200:
                    retransmit = None
                    message = self._take(self._responses, match)
                if message is not None:
                    return message
                now = time.monotonic()
                if now >= deadline or self._reader_done:
                    self._fail_wait(what, timeout)
                wake = deadline
                if retransmit is not None:
                    if now >= next_retransmit:
                        self.send_raw(retransmit)
                        interval = min(interval * 2, T2)
                        next_retransmit = now + interval
                    wake = min(wake, next_retransmit)
                self._cond.wait(wake - now)

    # ----- the reader thread -----------------------------------------------

    def _read_loop(self):
        framer = StreamFramer(self.errors)
        try:
            while not self._closing:
                if self._paused.is_set():
                    time.sleep(0.05)
                    continue
                readable, _, _ = select.select([self._sock], [], [], 0.2)
                if not readable:
                    continue
                if self.transport == "tcp":
                    data = self._sock.recv(65536)
                    if not data:
                        self.close_reason = "connection closed by the server"
                        break
                    messages = framer.feed(data, (self.host, self.port))
                else:
                    data, source = self._sock.recvfrom(65535)
                    if not data.strip():
                        continue
                    try:
                        messages = [parse_message(data, source)]
                    except SipParseError as exc:
                        self.errors.append(str(exc))
                        continue
                for message in messages:
                    self._dispatch(message)
        except OSError as exc:
            self.close_reason = f"socket error: {exc}"
        finally:
            with self._cond:
                self._reader_done = True
                self._cond.notify_all()

    def _dispatch(self, message):
        with self._cond:
            self.received.append(message)
        try:
            if message.is_request:
                self._handle_request(message)
            else:
                self._handle_response(message)
        except Exception as exc:  # keep the reader alive; tests see the error
            self.errors.append(f"while handling {message.summary()}: {exc!r}")

    def _handle_response(self, response):
        with self._cond:
            ack = self._acks.get((response.call_id, response.cseq_num))
            if ack is None or response.cseq_method != "INVITE" or response.status < 200:
                self._responses.append(response)
                self._cond.notify_all()
                return
        # A retransmitted final response to an INVITE we already acknowledged.
        self.send_raw(ack)

    def _auto_answer_code(self, request, dialog):
        """The status the reader answers ``request`` with, or None to leave it to the test.

        Mirrors pidgin-sipe, which finds the dialog by Call-ID and From URI and
        answers an INFO it cannot place (stale Call-ID, wrong From) with 487.
        """
        if not self.auto_answer or request.method not in ("INFO", "BYE"):
            return None
        if request.method == "BYE":
            if dialog is None or dialog.terminated:
                return 481
            return 200 if dialog.auto_answer else None
        if (dialog is None or dialog.terminated
                or (request.from_uri or "").lower() != dialog.remote_uri.lower()):
            return 487
        if not dialog.auto_answer:
            return None
        return dialog.auto_reply_code or 200

    def _handle_request(self, request):
        if self.transport == "udp":
            with self._cond:
                cached = self._answered.get(self._retransmission_key(request))
            if cached is not None:
                self.send_raw(cached, request.source)
                return
        # Recorded before answering, so whatever the server does after our
        # answer, the dialog's history already shows the request ...
        with self._cond:
            dialog = self._dialogs.get(request.call_id)
            code = self._auto_answer_code(request, dialog)
            if dialog is not None:
                dialog.server_requests.append(request)
                if request.method == "BYE" and code == 200:
                    dialog.terminated = True
                    dialog.terminated_by = "remote"
        if code is not None:
            self.respond(request, code)
        # ... and queued only after answering, so a test that takes it knows the answer is sent.
        with self._cond:
            if dialog is not None:
                dialog._pending.append(request)
            self._requests.append(request)
            self._cond.notify_all()


class Dialog:
    """An established (or, once terminated, remembered) chat dialog.

    Fields: call_id, local_tag, remote_tag, remote_target (Contact URI of the
    200, the Request-URI of our in-dialog requests), local_uri (our AOR),
    remote_uri (the URI we invited; also the To of our requests and the From
    every server INFO must carry), route_set (from Record-Route), cseq (last
    CSeq we used), session_expires (int from the 200, or None), response (the
    200 to the INVITE), terminated / terminated_by ('local' after our BYE,
    'remote' after the server's), auto_answer / auto_reply_code (see
    SipClient; auto_reply_code applies to INFO only), server_requests (every
    server request with this Call-ID, in arrival order, never consumed).
    Server requests are also queued per dialog for wait_server_request(),
    wait_server_info() and wait_remote_bye(), independently of the client-wide
    queue used by SipClient.wait_request().
    """

    def __init__(self, client, call_id, local_tag, remote_uri):
        self.client = client
        self.call_id = call_id
        self.local_tag = local_tag
        self.local_uri = client.aor
        self.remote_uri = remote_uri
        self.remote_tag = None
        self.remote_target = remote_uri
        self.route_set = []
        self.cseq = 0
        self.session_expires = None
        self.response = None
        self.terminated = False
        self.terminated_by = None
        self.auto_answer = True
        self.auto_reply_code = None
        self.server_requests = []
        self._pending = []

    def __repr__(self):
        return (f"<Dialog {self.call_id} {self.local_uri} -> {self.remote_uri}"
                f"{' terminated' if self.terminated else ''}>")

    @property
    def server_infos(self):
        """Every server-originated INFO on this dialog, in arrival order."""
        return [m for m in self.server_requests if m.method == "INFO"]

    # ----- state from responses --------------------------------------------

    def _establish(self, response):
        """Take tags, target, route set and session timer from a 2xx to an INVITE."""
        self.response = response
        self.remote_tag = response.to_tag
        self._refresh_target(response)
        routes = []
        for value in response.headers_all("Record-Route"):
            routes += [name_addr_uri(item) for item in _split_header_list(value)]
        self.route_set = list(reversed(routes))

    def _refresh_target(self, response):
        contact = response.header("Contact")
        if contact:
            self.remote_target = name_addr_uri(_split_header_list(contact)[0])
        expires = response.header("Session-Expires")
        if expires:
            self.session_expires = int(expires.split(";", 1)[0].strip())

    def _send_ack(self, cseq, response, via, ruri=None):
        """ACK a final response to an INVITE.

        2xx: a new transaction to the remote target (via=None -> fresh Via).
        non-2xx: part of the INVITE transaction, so same Via and Request-URI.
        Either way the route set is the dialog's (empty before establishment).
        """
        client = self.client
        raw = client.build_request(
            "ACK", ruri or self.remote_target, call_id=self.call_id, from_tag=self.local_tag,
            to_uri=self.remote_uri, to_tag=response.to_tag, cseq=cseq,
            via=via or client.via(_gen_branch()), routes=self.route_set)
        with client._cond:
            client._acks[(self.call_id, cseq)] = raw
        client.send_raw(raw)

    # ----- in-dialog requests ----------------------------------------------

    def send_request(self, method, body="", content_type=None, extra_headers=None, timeout=5.0):
        """Send any request in this dialog (CSeq + 1) and return its final response."""
        client = self.client
        with client._cond:
            self.cseq += 1
            cseq = self.cseq
        raw = client.build_request(method, self.remote_target, call_id=self.call_id,
                                   from_tag=self.local_tag, to_uri=self.remote_uri,
                                   to_tag=self.remote_tag, cseq=cseq,
                                   via=client.via(_gen_branch()), routes=self.route_set,
                                   extra_headers=extra_headers, body=body,
                                   content_type=content_type)
        return client.transact(raw, self.call_id, cseq, method, timeout)

    def info(self, body, content_type="text/plain", timeout=5.0, extra_headers=None):
        """INFO with ``body`` (text/plain, as sipe sends XCCOS); returns the final response."""
        return self.send_request("INFO", body, content_type, extra_headers, timeout)

    def update(self, timeout=5.0, extra_headers=None):
        """Bodiless UPDATE, sipe's session refresh (doc/xccos.md §1.7); returns the response."""
        return self.send_request("UPDATE", extra_headers=extra_headers, timeout=timeout)

    def bye(self, timeout=5.0):
        """BYE; the dialog counts as terminated from now on. Returns the final response."""
        with self.client._cond:
            self.terminated = True
            self.terminated_by = self.terminated_by or "local"
        return self.send_request("BYE", timeout=timeout)

    def reinvite(self, sdp=True, extra_headers=None, timeout=5.0):
        """re-INVITE (refresh as official clients may do); ACKs and returns the final response.

        A 2xx updates remote_target and session_expires.
        """
        client = self.client
        with client._cond:
            self.cseq += 1
            cseq = self.cseq
        via = client.via(_gen_branch())
        headers = [("Supported", "ms-sender"), ("Contact", client.contact)]
        headers += _headers_list(extra_headers)
        ruri = self.remote_target
        raw = client.build_request("INVITE", ruri, call_id=self.call_id,
                                   from_tag=self.local_tag, to_uri=self.remote_uri,
                                   to_tag=self.remote_tag, cseq=cseq, via=via,
                                   routes=self.route_set, extra_headers=headers,
                                   body=client.sdp_offer() if sdp else "",
                                   content_type="application/sdp" if sdp else None)
        response = client.transact(raw, self.call_id, cseq, "INVITE", timeout)
        if 200 <= response.status < 300:
            self._refresh_target(response)
            self._send_ack(cseq, response, via=None)
        else:
            self._send_ack(cseq, response, via=via, ruri=ruri)
        return response

    # ----- XCCOS -------------------------------------------------------------

    def send_xccos(self, raw_body, timeout=5.0):
        """Send an XCCOS envelope (any text) in an INFO; return the SIP final response."""
        return self.info(raw_body, timeout=timeout)

    def command(self, name, data_xml="", timeout=5.0):
        """Send ``cmd:NAME`` as pidgin-sipe does and return the matching Reply.

        Asserts the INFO got a SIP 200, then waits for the server INFO on this
        dialog holding an <rpl> whose <commandid envid> is our envid.  Other
        server INFOs (notices, messages) stay queued for wait_server_info().
        """
        data = f"<data>{data_xml}</data>" if data_xml else "<data/>"
        envid, body = self.client.make_envelope(f'<cmd id="cmd:{name}" seqid="1">{data}</cmd>')
        response = self.info(body, timeout=timeout)
        if response.status != 200:
            raise AssertionError(f"cmd:{name} (envid {envid}) got SIP {response.status} "
                                 f"{response.reason}, expected 200")
        found = {}

        def is_reply(message):
            match = _find_rpl_for(message.body, envid)
            if match:
                found["match"] = match
            return match is not None

        message = self.wait_server_request("INFO", predicate=is_reply, timeout=timeout,
                                           what=f"rpl for cmd:{name} envid {envid}")
        envelope, rpl = found["match"]
        return Reply(envelope, rpl, envid, message)

    # ----- waiting for server requests ---------------------------------------

    def wait_server_request(self, method, predicate=None, timeout=5.0, what=None):
        """Take the oldest queued server request of ``method`` on this dialog, or wait for it."""
        def match(message):
            return message.method == method and (predicate is None or predicate(message))
        return self.client._wait_take(self._pending, match,
                                      what or f"server {method} on dialog {self.call_id}",
                                      timeout)

    def wait_server_info(self, predicate=None, timeout=5.0):
        """Take the oldest queued server INFO on this dialog matching ``predicate``, or wait."""
        return self.wait_server_request("INFO", predicate, timeout)

    def expect_no_server_info(self, within=1.0, predicate=None):
        """Assert no matching server INFO on this dialog is queued or arrives in ``within`` s."""
        def match(message):
            return message.method == "INFO" and (predicate is None or predicate(message))
        self.client._expect_none(self._pending, match, f"server INFO on dialog {self.call_id}",
                                 within)

    def wait_remote_bye(self, timeout=5.0):
        """Wait for the server to end this dialog with BYE; return the BYE."""
        return self.wait_server_request("BYE", timeout=timeout)

    # ----- checks on what the server sent -----------------------------------

    def server_request_problems(self):
        """Everything in the server's requests on this dialog that pidgin-sipe would reject.

        Checks (doc/xccos.md §7.2-7.3): CSeq strictly increasing; Call-ID is the
        dialog's; From URI is the URI we invited and From tag the dialog's
        remote tag; To tag is ours; Content-Length present and equal to the
        body length; long header names only; no whitespace before a colon.
        Also reports framing/parse errors of the client's reader.
        """
        problems = list(self.client.errors)
        last_cseq = None
        for message in list(self.server_requests):
            where = message.summary()
            cseq = message.cseq_num
            if cseq is None:
                problems.append(f"{where}: missing or bad CSeq")
            elif last_cseq is not None and cseq <= last_cseq:
                problems.append(f"{where}: CSeq {cseq} not above previous {last_cseq}")
            if cseq is not None:
                last_cseq = cseq
            if message.call_id != self.call_id:
                problems.append(f"{where}: Call-ID {message.call_id!r} != {self.call_id!r}")
            if (message.from_uri or "").lower() != self.remote_uri.lower():
                problems.append(f"{where}: From URI {message.from_uri!r} != invited "
                                f"{self.remote_uri!r}")
            if message.from_tag != self.remote_tag:
                problems.append(f"{where}: From tag {message.from_tag!r} != dialog remote tag "
                                f"{self.remote_tag!r}")
            if message.to_tag != self.local_tag:
                problems.append(f"{where}: To tag {message.to_tag!r} != our tag "
                                f"{self.local_tag!r}")
            if message.content_length is None:
                problems.append(f"{where}: no Content-Length")
            elif not message.content_length_ok:
                problems.append(f"{where}: Content-Length {message.content_length} but "
                                f"{message.body_length_on_wire} body bytes")
            if message.compact_forms_seen:
                problems.append(f"{where}: compact header names {message.compact_forms_seen}")
            problems += [f"{where}: {issue}" for issue in message.header_syntax_issues]
        return problems

    def assert_server_requests_ok(self):
        """Raise AssertionError listing every problem found by server_request_problems()."""
        problems = self.server_request_problems()
        if problems:
            raise AssertionError("server requests pidgin-sipe would not accept:\n  "
                                 + "\n  ".join(problems))


def provisioning_properties(body):
    """{group name: {property name: value}} from a provisionGroupList document."""
    root = ET.fromstring(body)
    groups = {}
    for group in root.iter():
        if group.tag.rsplit("}", 1)[-1] != "provisionGroup":
            continue
        props = groups.setdefault(group.get("name"), {})
        for prop in group.iter():
            if prop.tag.rsplit("}", 1)[-1] == "property":
                props[prop.get("name")] = (prop.text or "").strip()
    return groups
