"""Files over HTTPS (issue 16): with -A PCHAT_FILE_TLS the file port is a
TLS listener of Kamailio's tls module serving the same xhttp routes, tokens
advertise https://, and plain HTTP or an untrusted certificate gets nothing."""

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
    kam = start_files_node(db_url, PCHAT_FILE_TLS="1", PCHAT_TLS_CERT=cert, PCHAT_TLS_KEY=key)
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
