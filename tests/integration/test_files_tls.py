"""Files over HTTPS (issue 16): with -A PCHAT_FILE_TLS the file port is a
TLS listener of Kamailio's tls module serving the same xhttp routes, tokens
advertise https://, and plain HTTP or an untrusted certificate gets nothing."""

import base64
import hashlib
import http.client
import os
import shutil
import socket
import ssl
import subprocess
import tempfile

import pytest

from chat import ChatUser, unique
from kamailio import TOP
from test_files import CHUNK, FileService, file_rows, ftok, open_room, start_files_node, token_of


def self_signed(tmpdir):
    cert, key = os.path.join(tmpdir, "cert.pem"), os.path.join(tmpdir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="module")
def tkam(db_url):
    tmp = tempfile.mkdtemp(prefix="pchat-tls-")
    cert, key = self_signed(tmp)
    kam = start_files_node(db_url, PCHAT_FILE_TLS="1", PCHAT_TLS_CERT=cert, PCHAT_TLS_KEY=key,
                           PCHAT_CHAT_DIR=os.path.join(TOP, "web", "chat"))
    kam.cert = cert
    yield kam
    kam.cleanup()
    shutil.rmtree(kam.file_dir, ignore_errors=True)
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def users(tkam):
    made = []

    def make():
        u = ChatUser(tkam, unique("u"))
        made.append(u)
        return u
    yield make
    for u in made:
        u.close()


class HttpsFileService(FileService):
    """FileService over one keep-alive HTTPS connection trusting ctx."""

    def __init__(self, kam, ctx):
        self.conn = http.client.HTTPSConnection("127.0.0.1", kam.file_port, timeout=30,
                                                context=ctx)


def trusting(kam):
    return ssl.create_default_context(cafile=kam.cert)


def test_upload_and_download_over_https(tkam, users, mariadb):
    rid, guid = open_room(mariadb)
    a, b = users(), users()
    a.join(guid)
    b.join(guid)
    data = os.urandom(5 * CHUNK + 1000)
    tok, serveruri = token_of(ftok(a, guid, "secret.bin"))
    assert serveruri == f"https://127.0.0.1:{tkam.file_port}/files"
    fs = HttpsFileService(tkam, trusting(tkam))
    try:
        fs.upload(serveruri, tok, data)
    finally:
        fs.close()
    (stored, original, size, complete, sha), = file_rows(mariadb, rid)
    assert (original, size, complete) == ("secret.bin", str(len(data)), "1")
    down, serveruri = token_of(ftok(b, guid, stored, up=False))
    assert serveruri.startswith("https://")
    fs = HttpsFileService(tkam, trusting(tkam))
    try:
        got = fs.download(serveruri, down, len(data))
    finally:
        fs.close()
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest() == sha


def test_plain_http_to_the_tls_port_gets_no_answer(tkam):
    conn = http.client.HTTPConnection("127.0.0.1", tkam.file_port, timeout=10)
    try:
        with pytest.raises((http.client.HTTPException, ConnectionError, socket.timeout)):
            conn.request("GET", "/files/" + "0" * 32)
            conn.getresponse().read()
    finally:
        conn.close()
    # and the listener still serves HTTPS afterwards
    conn = http.client.HTTPSConnection("127.0.0.1", tkam.file_port, timeout=10,
                                       context=trusting(tkam))
    try:
        conn.request("GET", "/files/" + "0" * 32)
        assert conn.getresponse().status in (400, 403, 404)
    finally:
        conn.close()


def test_an_untrusted_certificate_is_refused_by_a_verifying_client(tkam):
    conn = http.client.HTTPSConnection("127.0.0.1", tkam.file_port, timeout=10,
                                       context=ssl.create_default_context())
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            conn.request("GET", "/files/" + "0" * 32)
    finally:
        conn.close()


def ws_frame(text):
    """One masked WebSocket text frame (client to server)."""
    data, mask = text.encode(), os.urandom(4)
    head = bytes([0x81]) + (bytes([0x80 | len(data)]) if len(data) < 126
                            else bytes([0x80 | 126]) + len(data).to_bytes(2, "big"))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def test_the_chat_page_and_sip_over_wss(tkam):
    ctx = trusting(tkam)
    conn = http.client.HTTPSConnection("127.0.0.1", tkam.file_port, timeout=10, context=ctx)
    conn.request("GET", "/chat/")
    r = conn.getresponse()
    assert r.status == 200 and b"<html" in r.read().lower()
    conn.close()
    origin = f"https://127.0.0.1:{tkam.file_port}"
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection(("127.0.0.1", tkam.file_port), timeout=10) as raw, \
            ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
        s.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{tkam.file_port}\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                   f"Sec-WebSocket-Protocol: sip\r\nOrigin: {origin}\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(4096)
        assert b" 101 " in data.split(b"\r\n", 1)[0], data
        data = data.split(b"\r\n\r\n", 1)[1]
        user = unique("w")
        s.sendall(ws_frame(
            f"OPTIONS sip:pchat@example.com SIP/2.0\r\n"
            f"Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK{user}\r\n"
            "Max-Forwards: 70\r\nTo: <sip:pchat@example.com>\r\n"
            f"From: <sip:{user}@example.com>;tag=1\r\nCall-ID: {user}\r\n"
            "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"))
        while b"SIP/2.0 " not in data:
            chunk = s.recv(4096)
            assert chunk, data
            data += chunk
        # a SIP answer came back as a WebSocket frame over TLS
        assert data[0] == 0x81 and b"SIP/2.0 200 OK" in data[2:], data
