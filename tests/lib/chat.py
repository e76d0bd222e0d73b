"""Test helpers for the channel service: rooms made with SQL (as a DBA or the
admin RPCs would), and clients that sign in, join and post like sipe."""

import time
import uuid
import xml.sax.saxutils

from sipclient import SipClient, find, findall, parse_xccos

_seq = [0]


def uid():
    """A random suffix that keeps test objects apart."""
    return uuid.uuid4().hex[:10]


def unique(prefix):
    _seq[0] += 1
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def sql_quote(value):
    return "'" + str(value).replace("\\", "\\\\").replace("'", "''") + "'"


def _parent_id_sql(category):
    """The id of the named category (the root when None), as a subquery an
    INSERT INTO pchat_node may use (the derived table lets MariaDB read the
    table it inserts into)."""
    if not category:
        return "(SELECT id FROM (SELECT id FROM pchat_node WHERE parent_id IS NULL) r)"
    return (f"(SELECT id FROM (SELECT id FROM pchat_node WHERE kind='category' AND "
            f"name={sql_quote(category)}) c)")


def make_category(db, name=None, parent=None, walls=(), creators=(), history=True):
    """walls: (scope, type, principal) tuples; returns (id, guid)."""
    name = name or unique("cat")
    guid = str(uuid.uuid4())
    parent_sql = _parent_id_sql(parent)
    db.sql(f"INSERT INTO pchat_node (guid, kind, parent_id, name, chat_history) VALUES "
           f"({sql_quote(guid)}, 'category', {parent_sql}, {sql_quote(name)}, {int(history)})",
           db="pchat")
    cid = db.sql(f"SELECT id FROM pchat_node WHERE guid = {sql_quote(guid)}", db="pchat")[0][0]
    for scope, ptype, principal in walls:
        db.sql(f"INSERT INTO pchat_scope VALUES ({cid}, {sql_quote(scope)}, "
               f"{sql_quote(ptype)}, {sql_quote(principal)})", db="pchat")
    for ptype, principal in creators:
        db.sql(f"INSERT INTO pchat_role VALUES ({cid}, 'creator', {sql_quote(ptype)}, "
               f"{sql_quote(principal)})", db="pchat")
    return cid, name


def make_room(db, name=None, category=None, privacy="open", room_type="normal",
              disabled=False, members=(), managers=(), presenters=(), description=""):
    """Creates a room; roles are sip: URIs. Returns (id, guid, name)."""
    name = name or unique("room")
    guid = str(uuid.uuid4())
    parent = _parent_id_sql(category)
    db.sql(f"INSERT INTO pchat_node (guid, kind, parent_id, name, description, privacy, "
           f"room_type, disabled) VALUES ({sql_quote(guid)}, 'room', {parent}, "
           f"{sql_quote(name)}, {sql_quote(description)}, {sql_quote(privacy)}, "
           f"{sql_quote(room_type)}, {int(disabled)})", db="pchat")
    rid = db.sql(f"SELECT id FROM pchat_node WHERE guid = {sql_quote(guid)}", db="pchat")[0][0]
    for role, users in (("member", members), ("manager", managers),
                        ("presenter", presenters)):
        for user in users:
            db.sql(f"INSERT INTO pchat_role VALUES ({rid}, {sql_quote(role)}, 'user', "
                   f"{sql_quote(user.lower())})", db="pchat")
    return rid, guid, name


def set_policy(db, scope_type, scope, enabled):
    db.sql(f"REPLACE INTO pchat_policy VALUES ({sql_quote(scope_type)}, {sql_quote(scope)}, "
           f"{int(enabled)})", db="pchat")


# The SIP option tag that declares the author edit/delete extension
# (doc/xccos.md 3.16).
MSGUPD = "pchat-msgupd"


class ChatUser:
    """One signed-in client with its chat dialog (service URI)."""

    def __init__(self, kam, user, transport="tcp", invite_headers=None):
        """invite_headers: more headers of the chat INVITE, e.g.
        [("Supported", MSGUPD)] to declare the author edit/delete extension."""
        self.user = user
        self.uri = f"sip:{user}@{kam.domain}"
        self.kam = kam
        self.client = SipClient("127.0.0.1", kam.port, transport=transport, user=user,
                                domain=kam.domain)
        self.dlg = self.client.invite(kam.service_uri, extra_headers=invite_headers,
                                      timeout=15)

    def room_uri(self, guid):
        return f"ma-chan://{self.kam.domain}/{guid}"

    def join(self, guid, timeout=10):
        return self.dlg.command(
            "join", f'<chanid key="0" domain="{self.kam.domain}" value="{guid}"/>',
            timeout=timeout)

    def bjoin(self, guids, timeout=10):
        data = "".join(f'<chanid key="{i}" domain="{self.kam.domain}" value="{g}"/>'
                       for i, g in enumerate(guids))
        return self.dlg.command("bjoin", data, timeout=timeout)

    def part(self, guid):
        return self.dlg.command("part", f'<chanib uri="{self.room_uri(guid)}"/>')

    def history(self, guid, query='<last cnt="25"/>'):
        return self.dlg.command(
            "bccontext", f'<chanib uri="{self.room_uri(guid)}"/><bcq>{query}</bcq>')

    def post(self, guid, text, author=None, timeout=10):
        """Sends a grpchat; returns the SIP response to the INFO."""
        text = xml.sax.saxutils.escape(text)
        _, body = self.client.make_envelope(
            f'<grpchat id="grpchat" seqid="1" chanUri="{self.room_uri(guid)}" '
            f'author="{author or self.uri}" ts="2026-01-01T00:00:00Z"><chat>{text}</chat>'
            f'</grpchat>')
        return self.dlg.send_xccos(body, timeout=timeout)

    def edit(self, guid, msgid, text, timeout=10):
        """cmd:msgedit (the author edit/delete extension): the reply."""
        text = xml.sax.saxutils.escape(text)
        return self.dlg.command(
            "msgedit", f'<msg chanUri="{self.room_uri(guid)}" msgid="{msgid}">'
            f'<chat>{text}</chat></msg>', timeout=timeout)

    def delete(self, guid, msgid, timeout=10):
        """cmd:msgdel: the reply."""
        return self.dlg.command(
            "msgdel", f'<msg chanUri="{self.room_uri(guid)}" msgid="{msgid}"/>',
            timeout=timeout)

    def wait_message(self, guid=None, timeout=10):
        """The next grpchat delivered to this client (as a dict)."""
        def is_msg(m):
            root = parse_xccos(m.body)
            g = find(root, "grpchat")
            return g is not None and (guid is None or g.get("chanUri") == self.room_uri(guid))
        msg = self.dlg.wait_server_info(is_msg, timeout=timeout)
        g = find(parse_xccos(msg.body), "grpchat")
        return {"author": g.get("author"), "text": find(g, "chat").text or "",
                "msgid": int(g.get("msgid")), "ts": g.get("ts"), "chanUri": g.get("chanUri")}

    def expect_no_message(self, guid, within=0.5):
        """Fails when one more grpchat of that room arrives within the time."""
        try:
            extra = self.wait_message(guid, timeout=within)
        except Exception:
            return
        raise AssertionError(f"{self.uri} got one more: {extra}")

    def wait_notice(self, name, timeout=10):
        def is_ntc(m):
            ntc = find(parse_xccos(m.body), "ntc")
            return ntc is not None and ntc.get("id") == f"ntc:{name}"
        msg = self.dlg.wait_server_info(is_ntc, timeout=timeout)
        return find(parse_xccos(msg.body), "ntc")

    def close(self):
        self.client.close()


def roster_of(reply):
    """{uri: set of aib keys} from a rpl:join, per chanib uri."""
    users = {u.get("id"): u.get("uri") for u in findall(reply.data, "uib")}
    rooms = {}
    for chanib in findall(reply.data, "chanib"):
        roles = {}
        for aib in findall(chanib, "aib"):
            for i in filter(None, (aib.get("value") or "").split(",")):
                roles.setdefault(users[i], set()).add(aib.get("key"))
        rooms[chanib.get("uri")] = roles
    return rooms


def wait_until(cond, timeout=10, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = cond()
        if value:
            return value
        time.sleep(step)
    return cond()


def session_of(kam, user):
    found = [s for s in kam.sessions() if s["call_id"] == user.dlg.call_id]
    return found[0] if found else None
