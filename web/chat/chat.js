// pchat: the browser chat client. SIP over WebSocket (SIP.js, no WebRTC):
// one chat dialog to the lookup URI, XCCOS commands in INFOs, as
// pidgin-sipe does. Everything shown goes through textContent (no HTML).
import { UserAgent, Inviter, SessionState } from "./sipjs.js";

const XCCOS_NS = "urn:parlano:xml:ns:xccos";
// the IM-style offer pidgin-sipe sends; pchat answers it, nothing flows
const SDP = "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=session\r\nc=IN IP4 0.0.0.0\r\n" +
  "t=0 0\r\nm=message 5061 sip null\r\na=accept-types:text/plain\r\n";
const PAGE = 25;

const $ = (id) => document.getElementById(id);
const state = { ua: null, session: null, me: "", domain: "", envid: 1,
  waiting: new Map(), room: null, oldest: 0, refresh: null, searches: 0,
  followed: new Set(), followTimer: null,
  limits: { message: 512, story: 4096 } }; // getserverinfo replaces them
window.pchat = state; // for the tests and the curious

// A session description handler without media: offers SDP, accepts any answer.
class XccosSdh {
  close() {}
  getDescription() { return Promise.resolve({ body: SDP, contentType: "application/sdp" }); }
  hasDescription(type) { return type === "application/sdp"; }
  setDescription() { return Promise.resolve(); }
  rollbackDescription() { return Promise.resolve(); }
  sendDtmf() { return false; }
}

const esc = (s) => String(s).replace(/[&<>"']/g,
  (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]);

function showError(text) {
  $("error").textContent = text;
  $("error").hidden = !text;
}

function setStatus(text, st) {
  $("status").textContent = text;
  $("status").dataset.state = st;
}

// Sends one XCCOS element in an INFO; resolves with the server's <rpl>
// for a command (matched by envid), or with nothing for a post.
function send(inner, wantReply) {
  const envid = state.envid++;
  const body = `<xccos ver="1" envid="${envid}" xmlns="${XCCOS_NS}">${inner}</xccos>`;
  return new Promise((resolve, reject) => {
    if (wantReply) state.waiting.set(String(envid), resolve);
    state.session.info({
      requestOptions: { body: { contentDisposition: "render", contentType: "text/plain", content: body } },
      requestDelegate: {
        onAccept: () => { if (!wantReply) resolve(null); },
        onReject: (r) => {
          state.waiting.delete(String(envid));
          const e = new Error(`${r.message.statusCode} ${warning(r.message) || r.message.reasonPhrase}`);
          e.code = r.message.statusCode;
          reject(e);
        },
      },
    }).catch(reject);
  });
}

async function command(name, data) {
  const rpl = await send(`<cmd id="cmd:${name}" seqid="1"><data>${data}</data></cmd>`, true);
  const resp = rpl.getElementsByTagName("resp")[0];
  if (!resp || resp.getAttribute("code") !== "200")
    throw new Error(`${name}: ${resp ? resp.getAttribute("code") + " " + resp.textContent : "no answer"}`);
  return rpl.getElementsByTagName("data")[0] || rpl;
}

// pchat says why in a Warning: 399 host "the reason"
function warning(msg) {
  const w = msg.getHeader("Warning") || "";
  const m = w.match(/"(.*)"/);
  return m ? m[1] : w;
}

const who = (uri) => (uri || "").replace(/^sip:/, "");

function line(author, text, ts, notice) {
  const li = document.createElement("li");
  if (notice) {
    li.className = "notice";
    li.textContent = text;
  } else {
    const a = document.createElement("span");
    a.className = "author";
    a.textContent = who(author);
    li.append(a, document.createTextNode(text));
  }
  if (ts) li.title = ts;
  return li;
}

// A grpchat or history msg (doc/xccos.md 3.19): a story shows its title,
// which opens the body; an alert is highlighted, and announced when it
// arrives live (not each one of a history page).
function postLine(el, live) {
  const chat = el.getElementsByTagName("chat")[0];
  const text = chat ? chat.textContent : "";
  const story = el.getAttribute("story") === "true";
  const li = line(el.getAttribute("author"), story ? "" : text, el.getAttribute("ts"));
  if (story) {
    li.classList.add("story");
    const t = document.createElement("button");
    t.className = "story-title";
    t.textContent = el.getAttribute("title") || "";
    t.setAttribute("aria-expanded", "false");
    const body = document.createElement("div");
    body.className = "story-body";
    body.textContent = text;
    body.hidden = true;
    t.addEventListener("click", () => {
      body.hidden = !body.hidden;
      t.setAttribute("aria-expanded", String(!body.hidden));
    });
    li.append(t, body);
  }
  if (el.getAttribute("alert") === "true") {
    li.classList.add("alert");
    const tag = document.createElement("span");
    tag.className = "sr-only";
    tag.textContent = "alert: ";
    li.prepend(tag);
    if (live) li.setAttribute("role", "alert");
  }
  return li;
}

// A server INFO: a reply to one of our commands, a post or a notice.
function onServerInfo(body) {
  const doc = new DOMParser().parseFromString(body, "application/xml");
  for (const rpl of doc.getElementsByTagName("rpl")) {
    const cid = rpl.getElementsByTagName("commandid")[0];
    const done = cid && state.waiting.get(cid.getAttribute("envid"));
    if (done) { state.waiting.delete(cid.getAttribute("envid")); done(rpl); }
  }
  const here = (el) => state.room && el.getAttribute("chanUri") === state.room.uri;
  for (const g of doc.getElementsByTagName("grpchat")) {
    if (!here(g)) continue;
    $("history").append(postLine(g, true));
    $("history").scrollTop = $("history").scrollHeight;
  }
  for (const n of doc.getElementsByTagName("ntc")) {
    const kind = n.getAttribute("id");
    if (kind === "ntc:alert") { showAlert(n); continue; }
    const chan = n.getElementsByTagName("chanib")[0];
    if (!state.room || (chan && chan.getAttribute("uri") !== state.room.uri)) continue;
    if (kind !== "ntc:join" && kind !== "ntc:part") continue;
    for (const u of n.getElementsByTagName("uib"))
      $("history").append(line("", `${who(u.getAttribute("uri"))} ${kind === "ntc:join" ? "joined" : "left"}`, "", true));
  }
}

async function signIn(ev) {
  ev.preventDefault();
  showError("");
  const identity = $("identity").value.trim().replace(/^(?!sip:)/, "sip:");
  const uri = UserAgent.makeURI(identity);
  if (!uri || !uri.user) return showError("identity: sip:user@domain");
  state.me = identity;
  state.domain = uri.host;
  const password = $("password").value;
  state.ua = new UserAgent({
    uri,
    transportOptions: { server: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws` },
    authorizationUsername: password ? uri.user : undefined,
    authorizationPassword: password || undefined,
    sessionDescriptionHandlerFactory: () => new XccosSdh(),
    // Supported: pchat-story, so stories and alerts come with their flags
    // (doc/xccos.md 3.19); SIP.js drops tags it does not know without the hack
    sipExtensionExtraSupported: ["pchat-story"],
    hackAllowUnregisteredOptionTags: true,
    logLevel: "error",
    delegate: { onDisconnect: (e) => { if (e) signedOut("connection lost"); } },
  });
  setStatus("connecting…", "busy");
  try {
    await state.ua.start();
    await openDialog();
  } catch (e) {
    signedOut("");
    showError(`sign-in failed: ${e.message}`);
  }
}

// The chat dialog: INVITE the lookup URI (pchat accepts every command on it).
function openDialog() {
  const target = UserAgent.makeURI(`sip:ocschat@${state.domain}`);
  const s = state.session = new Inviter(state.ua, target);
  s.delegate = { onInfo: (info) => { info.accept(); onServerInfo(info.request.body); } };
  return new Promise((resolve, reject) => {
    s.stateChange.addListener((st) => {
      if (st === SessionState.Established) { signedIn(); resolve(); }
      if (st === SessionState.Terminated) { signedOut("session ended"); reject(new Error("refused")); }
    });
    s.invite({ requestDelegate: {
      onAccept: (r) => keepAlive(parseInt(r.message.getHeader("Session-Expires") || "0", 10)),
      onReject: (r) => reject(new Error(`${r.message.statusCode} ${r.message.reasonPhrase}`)),
    } }).catch(reject);
  });
}

// pchat ends a session nobody refreshes: re-INVITE before it expires.
function keepAlive(seconds) {
  clearInterval(state.refresh);
  if (seconds > 0)
    state.refresh = setInterval(() => state.session.invite().catch(() => {}),
      Math.max(30, seconds - 30) * 1000);
}

function signedIn() {
  setStatus(`signed in as ${who(state.me)}`, "in");
  $("signin").hidden = true;
  $("app").hidden = false;
  search(new Event("submit"));
  loadLimits();
  loadAlerts();
  clearInterval(state.followTimer);
  state.followTimer = setInterval(() => loadFollowed(), 60000);
}

// Followed rooms (doc/xccos.md 3.18): name, unread count and newest post
// of each, without joining; kept by the server for every device.
async function loadFollowed() {
  try {
    const data = await command("followlist", "");
    const list = $("followed");
    list.replaceChildren();
    state.followed = new Set();
    for (const c of data.getElementsByTagName("chanib")) {
      const uri = c.getAttribute("uri");
      state.followed.add(uri);
      if (c.getAttribute("readable") === "false") continue; // no longer ours to read
      const b = document.createElement("button");
      b.textContent = c.getAttribute("name");
      const unread = c.getAttribute("unread") || "0";
      if (unread !== "0") {
        const n = document.createElement("span");
        n.className = "unread";
        n.textContent = unread;
        b.append(n);
      }
      const msg = c.getElementsByTagName("msg")[0];
      if (msg) {
        const chat = msg.getElementsByTagName("chat")[0];
        const small = document.createElement("small");
        const text = msg.getAttribute("story") === "true" ? msg.getAttribute("title") : chat ? chat.textContent : "";
        small.textContent = `${who(msg.getAttribute("author"))}: ${text}`;
        b.append(small);
      }
      b.dataset.uri = uri;
      b.addEventListener("click", () => join(uri));
      const li = document.createElement("li");
      li.append(b);
      list.append(li);
    }
    $("follows").hidden = !list.children.length;
    if (state.room) $("follow").textContent = state.followed.has(state.room.uri) ? "Unfollow" : "Follow";
  } catch (e) { showError(e.message); }
}

async function toggleFollow() {
  const uri = state.room.uri;
  try {
    await command(state.followed.has(uri) ? "unfollow" : "follow", `<chanib uri="${esc(uri)}"/>`);
  } catch (e) { showError(e.message); }
  await loadFollowed();
}

function signedOut(why) {
  clearInterval(state.refresh);
  clearInterval(state.followTimer);
  state.session = null;
  state.room = null;
  setStatus(why ? `signed out (${why})` : "signed out", "out");
  $("signin").hidden = false;
  $("app").hidden = true;
  $("room").hidden = true;
}

async function search(ev) {
  ev.preventDefault();
  showError("");
  const mine = ++state.searches; // only the latest search shows
  try {
    const data = await command("chansrch",
      `<qib qtype="BYNAME" criteria="${esc($("q").value)}" extended="false"/>`);
    if (mine !== state.searches) return;
    const list = $("rooms");
    list.replaceChildren();
    for (const c of data.getElementsByTagName("chanib")) {
      const b = document.createElement("button");
      const small = document.createElement("small");
      b.textContent = c.getAttribute("name");
      small.textContent = c.getAttribute("description") || "";
      b.append(small);
      b.dataset.uri = c.getAttribute("uri");
      b.addEventListener("click", () => join(c.getAttribute("uri")));
      const li = document.createElement("li");
      li.append(b);
      list.append(li);
    }
    if (!list.children.length) list.textContent = "no room found";
  } catch (e) { showError(e.message); }
  await loadFollowed(); // a search refreshes the counts too
}

async function join(uri) {
  showError("");
  try {
    if (state.room) await leave();
    const guid = uri.split("/").pop();
    const data = await command("join", `<chanid key="0" domain="${esc(state.domain)}" value="${esc(guid)}"/>`);
    const chan = data.getElementsByTagName("chanib")[0];
    state.room = { uri, name: chan ? chan.getAttribute("name") : guid };
    state.oldest = 0;
    $("room-name").textContent = state.room.name;
    $("topic").textContent = chan ? chan.getAttribute("topic") || "" : "";
    $("history").replaceChildren();
    $("room").hidden = false;
    await history(`<last cnt="${PAGE}"/>`);
    await loadFollowed(); // reading the newest posts marked it read
  } catch (e) { showError(e.message); }
}

// Puts a page of history above what is shown; remembers the oldest id.
async function history(query) {
  const data = await command("bccontext", `<chanib uri="${esc(state.room.uri)}"/><bcq>${query}</bcq>`);
  const msgs = [...data.getElementsByTagName("msg")];
  const items = msgs.map((m) => {
    const id = parseInt(m.getAttribute("msgid") || "0", 10);
    if (id && (!state.oldest || id < state.oldest)) state.oldest = id;
    return postLine(m, false);
  });
  $("history").prepend(...items);
  $("older").disabled = msgs.length < PAGE || !state.oldest;
}

async function older() {
  try {
    await history(`<before id="${state.oldest}" cnt="${PAGE}"/>`);
  } catch (e) { showError(e.message); }
}

async function post(ev) {
  ev.preventDefault();
  const text = $("text").value;
  if (!text || !state.room) return;
  const story = $("post-story").checked;
  const title = $("title").value.trim();
  if (story && !title) return showError("a story needs a title");
  const limit = story ? state.limits.story : state.limits.message;
  const size = [...text].length; // the server counts characters (code points)
  if (size > limit)
    return showError(`not sent: ${size} characters, ${story ? "a story" : "a message"} may have ${limit}`);
  showError("");
  const ts = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const flags = (story ? ` story="true" title="${esc(title)}"` : "") +
    ($("post-alert").checked ? ' alert="true"' : "");
  try {
    await send(`<grpchat id="grpchat" seqid="1" chanUri="${esc(state.room.uri)}" author="${esc(state.me)}" ` +
      `ts="${ts}"${flags}><chat>${esc(text)}</chat></grpchat>`, false);
    $("text").value = ""; // our own copy comes back like everyone's
    $("title").value = "";
    $("post-alert").checked = false;
    $("post-story").checked = false;
    storyMode();
  } catch (e) {
    showError(e.code === 413 ? `not delivered, too long: ${e.message.replace(/^413 /, "")}`
      : `not delivered: ${e.message}`);
  }
}

// The story toggle shows the title and a taller body; Enter sends a
// message, and is a new line in a story (Shift+Enter always is).
function storyMode() {
  const story = $("post-story").checked;
  $("title").hidden = !story;
  $("text").rows = story ? 6 : 1;
  $("text").placeholder = story ? "The story" : "Write a message";
  $("post-limit").textContent = `up to ${story ? state.limits.story : state.limits.message} characters`;
}

function onTextKey(ev) {
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && !$("post-story").checked) {
    ev.preventDefault();
    $("post").requestSubmit();
  }
}

// The server's limits (getserverinfo): messageSizeLimit, storySizeLimit.
async function loadLimits() {
  try {
    const data = await command("getserverinfo", `<sib domain="${esc(state.domain)}" infoType="123"/>`);
    const sib = data.getElementsByTagName("sib")[0];
    const num = (name, dflt) => parseInt(sib && sib.getAttribute(name), 10) || dflt;
    state.limits = { message: num("messageSizeLimit", 512), story: num("storySizeLimit", 4096) };
    storyMode();
  } catch (e) { showError(e.message); }
}

// Keyword alerts (doc/xccos.md 3.20): the user's words, listed with a
// remove button; a matching post anywhere arrives as ntc:alert.
async function loadAlerts() {
  try {
    const data = await command("alertlist", "");
    const list = $("alert-list");
    list.replaceChildren();
    for (const a of data.getElementsByTagName("alert")) {
      const what = a.getAttribute("word") !== null ? a.getAttribute("word")
        : `from ${who(a.getAttribute("author"))}`;
      const li = document.createElement("li");
      const span = document.createElement("span");
      span.textContent = what;
      const del = document.createElement("button");
      del.textContent = "×";
      del.setAttribute("aria-label", `Remove the alert on ${what}`);
      del.addEventListener("click", () => removeAlert(a.getAttribute("id")));
      li.dataset.id = a.getAttribute("id");
      li.append(span, del);
      list.append(li);
    }
  } catch (e) { showError(e.message); }
}

async function addAlert(ev) {
  ev.preventDefault();
  const word = $("alert-word").value.trim();
  if (!word) return;
  try {
    await command("alertadd", `<alert word="${esc(word)}"/>`);
    $("alert-word").value = "";
  } catch (e) { showError(e.message); }
  await loadAlerts();
}

async function removeAlert(id) {
  try {
    await command("alertdel", `<alert id="${esc(id)}"/>`);
  } catch (e) { showError(e.message); }
  await loadAlerts();
}

// An ntc:alert: room, author and text, newest first; a click opens the room.
function showAlert(n) {
  for (const a of n.getElementsByTagName("alert")) {
    const chat = a.getElementsByTagName("chat")[0];
    const uri = a.getAttribute("chanUri");
    const b = document.createElement("button");
    const room = document.createElement("strong");
    room.textContent = a.getAttribute("name") || uri;
    const small = document.createElement("small");
    small.textContent = `${who(a.getAttribute("author"))}: ${chat ? chat.textContent : ""}`;
    b.append(room, small);
    b.title = a.getAttribute("ts") || "";
    b.dataset.uri = uri;
    b.addEventListener("click", () => {
      li.remove();
      if (!state.room || state.room.uri !== uri) join(uri);
    });
    const li = document.createElement("li");
    li.append(b);
    $("alert-notices").prepend(li);
    while ($("alert-notices").children.length > 20) $("alert-notices").lastChild.remove();
  }
}

async function leave() {
  const uri = state.room.uri;
  state.room = null;
  $("room").hidden = true;
  // what arrived live was read here (marked before the part, so nothing
  // posted after it counts as read)
  if (state.followed.has(uri)) await command("followread", `<chanib uri="${esc(uri)}"/>`);
  await command("part", `<chanib uri="${esc(uri)}"/>`);
  if (state.followed.has(uri)) await loadFollowed();
}

async function signOut() {
  try { if (state.session) await state.session.bye(); } catch (e) { /* gone already */ }
  await state.ua.stop();
  signedOut("");
}

$("signin").addEventListener("submit", signIn);
$("search").addEventListener("submit", search);
$("post").addEventListener("submit", post);
$("post-story").addEventListener("change", storyMode);
$("text").addEventListener("keydown", onTextKey);
$("alert-add").addEventListener("submit", addAlert);
$("older").addEventListener("click", older);
$("leave").addEventListener("click", () => leave().catch((e) => showError(e.message)));
$("follow").addEventListener("click", () => toggleFollow());
$("signout").addEventListener("click", signOut);
