"""Files posted into rooms (issue 16): cmd:getfutok/getfdtok tokens, the
file service inside Kamailio (xhttp on a port of its own: PUT chunks with
Content-Range, GET with Range, HEAD), the post that announces an upload,
and every refusal leaving no partial file behind."""

import base64
import contextlib
import hashlib
import http.client
import os
import shutil
import tempfile
import threading
import time
import urllib.parse
import uuid
import xml.sax.saxutils
from xml.etree import ElementTree

import pytest

from admin import one
from chat import ChatUser, make_category, make_room, unique, wait_until
from kamailio import Kamailio, pchatctl
from mariadb import free_port
from sipclient import find, findall

CHUNK = 24576  # the cfg's PCHAT_FILE_CHUNK


def start_files_node(db_url, **defines):
    fdir = defines.pop("PCHAT_FILE_DIR", None) or tempfile.mkdtemp(prefix="pchat-files-")
    fport = free_port()
    d = {"PCHAT_FILE_PORT": str(fport), "PCHAT_FILE_DIR": fdir}
    d.update(defines)
    kam = Kamailio(free_port(), db_url, defines=d).start()
    kam.file_port, kam.file_dir = fport, fdir
    return kam


@pytest.fixture(scope="module")
def fkam(db_url):
    kam = start_files_node(db_url)
    yield kam
    kam.cleanup()
    shutil.rmtree(kam.file_dir, ignore_errors=True)


@pytest.fixture
def users(fkam):
    made = []

    def make(kam=None):
        u = ChatUser(kam or fkam, unique("u"))
        made.append(u)
        return u
    yield make
    for u in made:
        u.close()


def ftok(user, guid, url, up=True):
    """cmd:getfutok / getfdtok: the Reply (code, data)."""
    url = xml.sax.saxutils.quoteattr(url)
    return user.dlg.command("getfutok" if up else "getfdtok",
                            f'<ftdb channelUri="{user.room_uri(guid)}" fileUrl={url}/>')


def token_of(reply):
    assert reply.code == 200, reply.rpl
    assert reply.rpl.get("id") == "rpl:getftok"
    tok = find(reply.data, "token")
    return tok.get("token"), tok.get("serveruri")


class FileService:
    """One keep-alive HTTP connection to the file service."""

    def __init__(self, kam):
        self.conn = http.client.HTTPConnection("127.0.0.1", kam.file_port, timeout=30)

    def request(self, method, serveruri, token, body=None, headers=None):
        path = urllib.parse.urlparse(serveruri).path + "/" + token
        self.conn.request(method, path, body=body, headers=headers or {})
        r = self.conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()

    def put(self, serveruri, token, data, offset, total):
        return self.request("PUT", serveruri, token, data, {
            "Content-Range": f"bytes {offset}-{offset + len(data) - 1}/{total}",
            "Content-Type": "application/octet-stream"})

    def upload(self, serveruri, token, data):
        for off in range(0, len(data), CHUNK):
            status, _, body = self.put(serveruri, token, data[off:off + CHUNK], off, len(data))
            assert status == (201 if off + CHUNK >= len(data) else 200), (off, status, body)
        return body

    def download(self, serveruri, token, size):
        got = bytearray()
        while len(got) < size:
            status, hdrs, body = self.request("GET", serveruri, token, headers={
                "Range": f"bytes={len(got)}-{len(got) + CHUNK - 1}"})
            assert status == 206, (status, body)
            assert hdrs["Content-Range"] == \
                f"bytes {len(got)}-{len(got) + len(body) - 1}/{size}"
            got += body
        return bytes(got)

    def close(self):
        self.conn.close()


@contextlib.contextmanager
def file_service(kam):
    fs = FileService(kam)
    try:
        yield fs
    finally:
        fs.close()


def open_room(mariadb, **kw):
    rid, guid, _ = make_room(mariadb, **kw)
    return rid, guid


def files_on_disk(kam):
    return sorted(os.listdir(kam.file_dir))


def file_rows(mariadb, rid):
    return mariadb.sql("SELECT stored_name, original_name, size, complete, sha256 FROM "
                       f"pchat_file WHERE room_id = {rid} ORDER BY id", db="pchat")


def set_config(mariadb, name, value):
    mariadb.sql(f"UPDATE pchat_config SET value = '{value}' WHERE name = '{name}'", db="pchat")
    time.sleep(1.2)  # the node's copy of the configuration lives a second


def upload_file(fkam, user, guid, name, data):
    serveruri = None
    tok, serveruri = token_of(ftok(user, guid, name))
    with file_service(fkam) as fs:
        fs.upload(serveruri, tok, data)
    return serveruri


def test_20mb_upload_in_chunks_then_download_by_another_member(fkam, users, mariadb):
    rid, guid = open_room(mariadb)
    a, b = users(), users()
    a.join(guid)
    b.join(guid)
    data = os.urandom(20_000_000)
    tok, serveruri = token_of(ftok(a, guid, "big report.bin"))
    assert len(tok) == 32 and int(tok, 16) >= 0
    assert serveruri == f"http://127.0.0.1:{fkam.file_port}/files"
    with file_service(fkam) as fs:
        fs.upload(serveruri, tok, data)
    (stored, original, size, complete, sha), = file_rows(mariadb, rid)
    assert (original, size, complete) == ("big report.bin", "20000000", "1")
    assert sha == hashlib.sha256(data).hexdigest()
    assert stored.endswith(".bin") and stored in files_on_disk(fkam)
    assert not [f for f in files_on_disk(fkam) if f.endswith(".part")]
    # the room hears of it, as a post of the uploader
    link = f"ma-filelink://{fkam.domain}/{guid}/{stored}"
    msg = b.wait_message(guid, timeout=15)
    assert msg["author"] == a.uri
    assert msg["text"] == f"[file] big report.bin (19.1 MB) {link}"
    # b asks for a download token with the link of the post
    dtok, _ = token_of(ftok(b, guid, link, up=False))
    with file_service(fkam) as fs:
        status, hdrs, _ = fs.request("HEAD", serveruri, dtok)
        assert status == 200 and hdrs["X-File-Size"] == "20000000"
        assert hdrs["X-File-SHA256"] == sha
        got = fs.download(serveruri, dtok, len(data))
        # a whole-file GET of more than one answer is refused with advice
        status, _, body = fs.request("GET", serveruri, dtok)
        assert status == 413 and b"Range" in body
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest()


def test_a_small_file_reads_as_plain_text_for_clients_without_files(fkam, users, mariadb):
    """pidgin-sipe shows a grpchat's <chat> text as is: name, size and link."""
    rid, guid = open_room(mariadb)
    a, b = users(), users()
    a.join(guid)
    b.join(guid)
    upload_file(fkam, a, guid, "notes.txt", b"x" * 1500)
    stored = file_rows(mariadb, rid)[0][0]
    assert stored.endswith(".txt") and "notes" not in stored
    msg = b.wait_message(guid)
    assert msg["text"] == f"[file] notes.txt (1.5 KB) ma-filelink://{fkam.domain}/{guid}/{stored}"
    assert "<" not in msg["text"]
    # a whole small file in one GET
    dtok, serveruri = token_of(ftok(b, guid, stored, up=False))
    with file_service(fkam) as fs:
        status, _, body = fs.request("GET", serveruri, dtok)
    assert status == 200 and body == b"x" * 1500


def test_tokens_only_where_files_are_allowed(fkam, users, mariadb):
    cid, cat = make_category(mariadb)
    mariadb.sql(f"UPDATE pchat_node SET file_upload = 0 WHERE id = {cid}", db="pchat")
    _, no_files = open_room(mariadb, category=cat)
    owner = users()
    _, closed = open_room(mariadb, privacy="closed", members=[owner.uri])
    a = users()
    r = ftok(a, no_files, "a.txt")
    assert r.code == 403 and "file_upload" in find(r.data, "error").text
    r = ftok(a, closed, "a.txt")
    assert r.code in (403, 404)
    r = ftok(a, closed, "a.txt", up=False)
    assert r.code in (403, 404)
    r = ftok(a, "00000000-0000-0000-0000-000000000000", "a.txt")
    assert r.code == 404
    # a name of no file of the room (Lync sends its local "save as" name):
    # a token for the room's files, which names none for a REST GET
    _, guid = open_room(mariadb)
    tok, serveruri = token_of(ftok(a, guid, "no-such-file.bin", up=False))
    with file_service(fkam) as fs:
        status, _, body = fs.request("GET", serveruri, tok)
    assert status == 400 and b"names no file" in body


@pytest.mark.parametrize("name", ["../../etc/passwd", "a/b.txt", "..", "x" * 10000,
                                  "tab\there", ""])
def test_bad_file_names_are_refused(fkam, users, mariadb, name):
    rid, guid = open_room(mariadb)
    r = ftok(users(), guid, name)
    assert r.code == 400, r.rpl
    assert file_rows(mariadb, rid) == []


def test_a_nul_in_the_name_gets_no_token(fkam, users, mariadb):
    rid, guid = open_room(mariadb)
    a = users()
    try:
        r = ftok(a, guid, "a\x00b.txt")
        assert r.code == 400
    except AssertionError as e:  # the envelope is not XML: refused at SIP level
        assert "got SIP 4" in str(e)
    assert file_rows(mariadb, rid) == []


def test_bad_tokens(fkam, users, mariadb):
    _, guid = open_room(mariadb)
    a = users()
    up, serveruri = token_of(ftok(a, guid, "f.bin"))
    with file_service(fkam) as fs:
        assert fs.request("GET", serveruri, "0" * 32)[0] == 404
        assert fs.request("GET", serveruri, "../../etc/passwd")[0] == 404
        assert fs.put(serveruri, "f" * 32, b"abc", 0, 3)[0] == 404
        # an upload token does not read, and it is not spent by trying
        status, _, body = fs.request("GET", serveruri, up)
        assert status == 403 and b"upload token" in body
        assert fs.request("DELETE", serveruri, up)[0] == 405
        fs.upload(serveruri, up, b"hello")
        # a download token does not write
        down, _ = token_of(ftok(a, guid, "" + file_rows_name(mariadb, guid), up=False))
        status, _, body = fs.put(serveruri, down, b"abc", 0, 3)
        assert status == 403 and b"download token" in body
        # a finished upload takes no more chunks
        assert fs.put(serveruri, up, b"more", 5, 9)[0] in (404, 409)


def file_rows_name(mariadb, guid):
    return mariadb.sql("SELECT f.stored_name FROM pchat_file f JOIN pchat_node r ON "
                       f"r.id = f.room_id WHERE r.guid = '{guid}'", db="pchat")[0][0]


def _cancelled(fkam, mariadb, rid):
    assert file_rows(mariadb, rid) == []
    assert not [f for f in files_on_disk(fkam) if f.endswith(".part")]


def test_a_wrong_offset_cancels_the_upload(fkam, users, mariadb):
    rid, guid = open_room(mariadb)
    a = users()
    tok, serveruri = token_of(ftok(a, guid, "gap.bin"))
    with file_service(fkam) as fs:
        assert fs.put(serveruri, tok, b"a" * 1000, 0, 5000)[0] == 200
        assert [f for f in files_on_disk(fkam) if f.endswith(".part")]
        status, _, body = fs.put(serveruri, tok, b"b" * 1000, 2000, 5000)
        assert status == 409 and b"1000 bytes were received" in body
        _cancelled(fkam, mariadb, rid)
        # the token went with the upload
        assert fs.put(serveruri, tok, b"b" * 1000, 1000, 5000)[0] == 404


def test_a_chunk_past_the_length_or_a_changed_length_cancels(fkam, users, mariadb):
    rid, guid = open_room(mariadb)
    a = users()
    tok, serveruri = token_of(ftok(a, guid, "len.bin"))
    with file_service(fkam) as fs:
        assert fs.put(serveruri, tok, b"a" * 100, 0, 300)[0] == 200
        assert fs.put(serveruri, tok, b"a" * 100, 100, 400)[0] == 400
    _cancelled(fkam, mariadb, rid)
    tok, serveruri = token_of(ftok(a, guid, "range.bin"))
    with file_service(fkam) as fs:
        status, _, _ = fs.request("PUT", serveruri, tok, b"abc", {"Content-Range": "bytes 0-9/3"})
        assert status == 400
    _cancelled(fkam, mariadb, rid)


def test_a_file_over_max_file_size_kb_is_refused(fkam, users, mariadb):
    rid, guid = open_room(mariadb)
    a = users()
    set_config(mariadb, "max_file_size_kb", "100")
    try:
        tok, serveruri = token_of(ftok(a, guid, "huge.bin"))
        with file_service(fkam) as fs:
            status, _, body = fs.put(serveruri, tok, b"a" * 1000, 0, 100 * 1024 + 1)
            assert status == 413 and b"max_file_size_kb" in body
        _cancelled(fkam, mariadb, rid)
        # the limit itself is fine
        upload_file(fkam, a, guid, "limit.bin", b"z" * (100 * 1024))
        assert file_rows(mariadb, rid)[0][2:4] == ("102400", "1")
    finally:
        set_config(mariadb, "max_file_size_kb", "20000")


def test_a_member_removed_after_the_token_cannot_download(fkam, users, mariadb):
    a, b = users(), users()
    rid, guid = open_room(mariadb, privacy="closed", members=[a.uri, b.uri])
    a.join(guid)
    serveruri = upload_file(fkam, a, guid, "secret.txt", b"s" * 100)
    stored = file_rows(mariadb, rid)[0][0]
    dtok, _ = token_of(ftok(b, guid, stored, up=False))
    with file_service(fkam) as fs:
        assert fs.request("GET", serveruri, dtok)[0] == 200
        mariadb.sql(f"DELETE FROM pchat_role WHERE node_id = {rid} AND principal = '{b.uri}'",
                    db="pchat")
        status, _, body = fs.request("GET", serveruri, dtok)
        assert status == 403, body
    # and no new token either
    assert ftok(b, guid, stored, up=False).code in (403, 404)


def test_tokens_expire(db_url, mariadb):
    kam = start_files_node(db_url, PCHAT_FILE_TOKEN_EXPIRES="2")
    a = None
    try:
        a = ChatUser(kam, unique("u"))
        rid, guid = open_room(mariadb)
        tok, serveruri = token_of(ftok(a, guid, "slow.bin"))
        with file_service(kam) as fs:
            assert fs.put(serveruri, tok, b"a" * 100, 0, 200)[0] == 200
            time.sleep(2.2)
            status, _, body = fs.put(serveruri, tok, b"a" * 100, 100, 200)
            assert status == 403 and b"expired" in body
        _cancelled(kam, mariadb, rid)
    finally:
        if a:
            a.close()
        kam.cleanup()
        shutil.rmtree(kam.file_dir, ignore_errors=True)


def test_the_file_post_stays_in_history_after_a_restart(db_url, mariadb):
    kam = start_files_node(db_url)
    try:
        a = ChatUser(kam, unique("u"))
        rid, guid = open_room(mariadb)
        a.join(guid)
        upload_file(kam, a, guid, "kept.pdf", b"%PDF" + b"k" * 5000)
        a.wait_message(guid)
        a.close()
        kam.stop()
        kam.start()
        b = ChatUser(kam, unique("u"))
        b.join(guid)
        msgs = findall(b.history(guid).data, "chanib/msg")
        texts = [m.find("{urn:parlano:xml:ns:xccos}chat").text for m in msgs]
        stored = file_rows(mariadb, rid)[0][0]
        assert texts == [f"[file] kept.pdf (4.9 KB) ma-filelink://{kam.domain}/{guid}/{stored}"]
        b.close()
    finally:
        kam.cleanup()
        shutil.rmtree(kam.file_dir, ignore_errors=True)


def test_compliance_records_uploads_and_downloads(fkam, users, mariadb):
    rid, guid = open_room(mariadb)
    a, b = users(), users()
    set_config(mariadb, "compliance", "1")
    try:
        serveruri = upload_file(fkam, a, guid, "audit.csv", b"1,2,3\n")
        stored = file_rows(mariadb, rid)[0][0]
        dtok, _ = token_of(ftok(b, guid, stored, up=False))
        with file_service(fkam) as fs:
            assert fs.request("GET", serveruri, dtok)[0] == 200
    finally:
        set_config(mariadb, "compliance", "0")
    rows = mariadb.sql("SELECT type, user_uri, content, msg_seq FROM pchat_compliance_event "
                       f"WHERE room_id = {rid} AND type LIKE 'FILE%' ORDER BY id", db="pchat")
    assert rows == [("FILEUPLOAD", a.uri, stored, "1"), ("FILEDOWNLOAD", b.uri, stored, "1")]
    chat = mariadb.sql("SELECT content FROM pchat_compliance_event WHERE room_id = "
                       f"{rid} AND type = 'CHAT'", db="pchat")
    assert chat == [(f"[file] audit.csv (6 bytes) ma-filelink://{fkam.domain}/{guid}/{stored}",)]


def test_http_elsewhere_is_not_the_file_service(fkam):
    conn = http.client.HTTPConnection("127.0.0.1", fkam.port, timeout=10)
    conn.request("GET", "/files/" + "0" * 32)
    assert conn.getresponse().status == 404
    conn.close()
    assert wait_until(lambda: fkam.alive())


SOAP = ('<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
        'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        '<{op} xmlns="http://www.microsoft.com">{args}</{op}></soap:Body></soap:Envelope>')


def soap(fs, serveruri, op, **args):
    """One Lync-style SOAP 1.1 call: (HTTP status, result text or faultstring)."""
    body = SOAP.format(op=op, args="".join(f"<{k}>{xml.sax.saxutils.escape(str(v))}</{k}>"
                                           for k, v in args.items()))
    path = urllib.parse.urlparse(serveruri).path
    fs.conn.request("POST", path, body=body.encode(), headers={
        "Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"www.microsoft.com/{op}"'})
    r = fs.conn.getresponse()
    root = ElementTree.fromstring(r.read())
    ms = "{http://www.microsoft.com}"
    res = root.find(f".//{ms}{op}Result")
    if res is not None:
        return r.status, res.text or ""
    return r.status, root.find(".//faultstring").text


def test_lync_soap_operations_upload_and_download(fkam, users, mariadb):
    rid, guid = open_room(mariadb)
    a, b = users(), users()
    b.join(guid)
    data = os.urandom(300_000)
    tok, serveruri = token_of(ftok(a, guid, "deck.pptx"))
    with file_service(fkam) as fs:
        assert soap(fs, serveruri, "GetMaxFileSizeInKB", token=tok) == (200, "20000")
        status, kb = soap(fs, serveruri, "GetMaxRequestContentInKB", token=tok)
        assert status == 200 and 1 <= int(kb) <= CHUNK // 1024
        status, name = soap(fs, serveruri, "RequestUniqueFilenameWithExtension", token=tok,
                            channelId=guid, extension=".pptx")
        assert status == 200 and name.endswith(".pptx") and len(name) == 37
        # the wrong room is a fault (HTTP 500, as Lync clients expect)
        status, why = soap(fs, serveruri, "AppendChunk", token=tok, channelId=str(uuid.uuid4()),
                           uniqueFilename=name, fileChunk="", offset=0, fileLength=len(data))
        assert status == 500 and "channelId" in why
        step = int(kb) * 1024
        for off in range(0, len(data), step):
            chunk = base64.b64encode(data[off:off + step]).decode()
            assert soap(fs, serveruri, "AppendChunk", token=tok, channelId=guid,
                        uniqueFilename=name, fileChunk=chunk, offset=off,
                        fileLength=len(data)) == (200, "true")
        assert soap(fs, serveruri, "GetFileSize", token=tok, channelId=guid,
                    reposFileName=name) == (200, str(len(data)))
    assert file_rows(mariadb, rid)[0][:4] == (name, "deck.pptx", str(len(data)), "1")
    assert b.wait_message(guid)["text"].startswith("[file] deck.pptx (293.0 KB) ma-filelink:")
    dtok, _ = token_of(ftok(b, guid, name, up=False))
    got = b""
    with file_service(fkam) as fs:
        while len(got) < len(data):
            status, chunk = soap(fs, serveruri, "DownloadChunk", token=dtok, channelId=guid,
                                 reposFileName=name, offset=len(got), bufferSize=65536)
            assert status == 200 and chunk
            got += base64.b64decode(chunk)
        # an upload token cannot download
        status, why = soap(fs, serveruri, "DownloadChunk", token=tok, channelId=guid,
                           reposFileName=name, offset=0, bufferSize=10)
        assert status == 500
        status, why = soap(fs, serveruri, "NoSuchOperation", token=dtok)
        assert status == 500 and "unknown operation" in why
    assert got == data
    # as a Lync client asks: getfdtok with its local "save as" name, then
    # DownloadChunk naming the stored file
    rtok, _ = token_of(ftok(b, guid, "C:\\Users\\b\\deck (1).pptx", up=False))
    with file_service(fkam) as fs:
        assert soap(fs, serveruri, "GetFileSize", token=rtok, channelId=guid,
                    reposFileName=name) == (200, str(len(data)))
        status, chunk = soap(fs, serveruri, "DownloadChunk", token=rtok, channelId=guid,
                             reposFileName=name, offset=0, bufferSize=1000)
        assert status == 200 and base64.b64decode(chunk) == data[:1000]
        status, why = soap(fs, serveruri, "DownloadChunk", token=rtok, channelId=guid,
                           reposFileName="0" * 32, offset=0, bufferSize=1000)
        assert status == 500 and "no such file" in why


def test_pchatctl_lists_and_removes_files_and_status_counts_them(fkam, users, mariadb):
    rid, guid, room = make_room(mariadb)
    a = users()
    before = pchatctl(fkam, "status", json_output=True).json
    upload_file(fkam, a, guid, "one.txt", b"1" * 1000)
    serveruri = upload_file(fkam, a, guid, "two.txt", b"2" * 2000)
    listed = pchatctl(fkam, "get-file", f"--room={room}", json_output=True).json
    assert [(f["original_name"], f["size"], f["complete"], f["uploader"], f["room"])
            for f in listed] == [("one.txt", "1000", "true", a.uri, room),
                                 ("two.txt", "2000", "true", a.uri, room)]
    assert listed[1]["sha256"] == hashlib.sha256(b"2" * 2000).hexdigest()
    st = pchatctl(fkam, "status", json_output=True).json
    assert st["file_service"] == 1
    assert int(st["files"]) == int(before["files"]) + 2
    assert int(st["file_bytes"]) == int(before["file_bytes"]) + 3000
    two = listed[1]["name"]
    dtok, _ = token_of(ftok(a, guid, two, up=False))
    res = pchatctl(fkam, "remove-file", f"--name={two}")
    assert res.returncode == 0, res.stderr
    assert two not in files_on_disk(fkam)
    assert [f["name"] for f in pchatctl(fkam, "get-file", f"--room={room}",
                                        json_output=True).json] == [listed[0]["name"]]
    with file_service(fkam) as fs:  # its token went with it
        assert fs.request("GET", serveruri, dtok)[0] == 404
    res = pchatctl(fkam, "remove-file", f"--name={two}")
    assert res.returncode == 1 and "no file named" in res.stderr


def test_two_uploads_racing_on_the_same_name_stay_apart(fkam, users, mariadb):
    """Stored names are the server's: two members posting "same.txt" at once
    get two files, each whole; two chunks racing on one upload are
    serialised (the loser sees the new size: 409, the upload cancelled)."""
    rid, guid = open_room(mariadb)
    a, b = users(), users()
    datas = [os.urandom(200_000), os.urandom(200_000)]
    toks = [token_of(ftok(u, guid, "same.txt")) for u in (a, b)]
    errors = []

    def run(i):
        try:
            with file_service(fkam) as fs:
                fs.upload(toks[i][1], toks[i][0], datas[i])
        except Exception as e:  # reported below
            errors.append(e)
    threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    rows = file_rows(mariadb, rid)
    assert [r[1] for r in rows] == ["same.txt", "same.txt"] and rows[0][0] != rows[1][0]
    assert sorted(r[4] for r in rows) == sorted(hashlib.sha256(d).hexdigest() for d in datas)
    # one upload, the same chunk twice at once
    tok, serveruri = token_of(ftok(a, guid, "twice.bin"))
    results = []

    def put():
        with file_service(fkam) as fs:
            results.append(fs.put(serveruri, tok, b"x" * 1000, 0, 5000)[0])
    threads = [threading.Thread(target=put) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409]
    assert [r[1] for r in file_rows(mariadb, rid)] == ["same.txt", "same.txt"]
    assert not [f for f in files_on_disk(fkam) if f.endswith(".part")]


DAY_MS = 86_400_000


def _run_retention(kam):
    req = int(one(kam, "pchat.retention_run")["request"])
    status = {}

    def done():
        status.update(one(kam, "pchat.retention_status"))
        return int(status["done_request"]) >= req
    assert wait_until(done, timeout=60)
    assert status["last_error"] == "", status


def test_files_follow_their_posts_under_retention_holds_and_room_removal(fkam, users,
                                                                          mariadb):
    cat = f"fret-{unique('c')}"
    one(fkam, "pchat.category_new", f"name={cat}", "retention_days=5")
    rid, guid, room = make_room(mariadb, category=cat)
    _, kept_guid, kept_room = make_room(mariadb, category=cat)
    ncid, nocat = make_category(mariadb, history=False)
    nrid, nguid = open_room(mariadb, category=nocat)
    a = users()
    for g in (guid, kept_guid, nguid):
        upload_file(fkam, a, g, "old.txt", b"o" * 100)
    upload_file(fkam, a, guid, "new.txt", b"n" * 100)
    stored = {r[1]: r[0] for r in file_rows(mariadb, rid)}
    kept_stored = file_rows(mariadb, kept_guid_id := int(mariadb.sql(
        f"SELECT id FROM pchat_node WHERE guid = '{kept_guid}'", db="pchat")[0][0]))[0][0]
    # the first post of each room is 10 days old
    for r in (rid, kept_guid_id):
        mariadb.sql(f"UPDATE pchat_message SET ts_ms = ts_ms - {10 * DAY_MS} WHERE "
                    f"room_id = {r} AND seq = 1", db="pchat")
    one(fkam, "pchat.hold_add", f"room={kept_room}")
    try:
        _run_retention(fkam)
        assert [r[1] for r in file_rows(mariadb, rid)] == ["new.txt"]
        assert stored["old.txt"] not in files_on_disk(fkam)
        assert stored["new.txt"] in files_on_disk(fkam)
        # held: the post and its file stay
        assert [r[0] for r in file_rows(mariadb, kept_guid_id)] == [kept_stored]
        # a room that keeps no history has no post to follow: its file stays
        assert len(file_rows(mariadb, nrid)) == 1
    finally:
        one(fkam, "pchat.hold_remove", f"room={kept_room}")
    # a removed room takes its files with it at the next run
    one(fkam, "pchat.room_remove", f"name={room}")
    _run_retention(fkam)
    assert file_rows(mariadb, rid) == [] and stored["new.txt"] not in files_on_disk(fkam)
    assert file_rows(mariadb, kept_guid_id) == []  # the hold is lifted


def test_a_full_disk_mid_upload_cancels_it(fkam, users, mariadb):
    """The second chunk's write fails with ENOSPC (the .part file is made
    a link to /dev/full): 507, and nothing of the upload stays."""
    rid, guid = open_room(mariadb)
    tok, serveruri = token_of(ftok(users(), guid, "full.bin"))
    with file_service(fkam) as fs:
        assert fs.put(serveruri, tok, b"a" * 1000, 0, 3000)[0] == 200
        part = os.path.join(fkam.file_dir, file_rows(mariadb, rid)[0][0] + ".part")
        os.unlink(part)
        os.symlink("/dev/full", part)
        status, _, body = fs.put(serveruri, tok, b"b" * 1000, 1000, 3000)
        assert status == 507 and b"could not write" in body
    _cancelled(fkam, mariadb, rid)
    assert not os.path.lexists(part)


def test_a_chat_node_behind_a_front_end_serves_files_too(db_url):
    fdir = tempfile.mkdtemp(prefix="pchat-files-")
    fport = free_port()
    kam = Kamailio(free_port(), db_url, cfg="cfg/pchat-node.cfg", defines={
        "PCHAT_FILE_PORT": str(fport), "PCHAT_FILE_DIR": fdir}).start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", fport, timeout=10)
        conn.request("GET", "/files/" + "0" * 32)
        r = conn.getresponse()
        assert (r.status, r.read()) == (404, b"404 Not Found: unknown token\n")
        conn.close()
        assert int(pchatctl(kam, "status", json_output=True).json["file_service"]) == 1
    finally:
        kam.cleanup()
        shutil.rmtree(fdir, ignore_errors=True)


def test_a_token_from_one_node_works_on_another_nodes_file_service(fkam, users, mariadb,
                                                                    db_url):
    """Tokens live in the database: node B's file service serves a token node
    A issued (both share the store and, as a pool must, file_dir)."""
    other = start_files_node(db_url, PCHAT_FILE_DIR=fkam.file_dir)
    try:
        rid, guid = open_room(mariadb)
        a = users()
        tok, serveruri = token_of(ftok(a, guid, "across.bin"))
        data = os.urandom(100_000)
        with file_service(other) as fs:
            fs.upload(serveruri, tok, data)
        stored = file_rows(mariadb, rid)[0][0]
        dtok, _ = token_of(ftok(a, guid, stored, up=False))
        with file_service(fkam) as fs:
            assert fs.download(serveruri, dtok, len(data)) == data
    finally:
        other.cleanup()
