// pchat: the room-management page. Vanilla JS; every text from the server
// goes in with textContent (never innerHTML), so names show as text.
"use strict";
const $ = (id) => document.getElementById(id);
let me = null, user = sessionStorage.getItem("pchat-user") || "";

function status(text, ok) {
  $("status").textContent = text;
  $("status").className = ok ? "ok" : "error";
}

async function call(path, body) {
  const headers = { "X-Pchat-CSRF": "1" };
  if (me === null || me.open) headers["X-Pchat-User"] = user;
  const opts = { method: body ? "POST" : "GET", headers, credentials: "same-origin" };
  if (body) {
    headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch("api/" + path, opts);
  let data = {};
  try { data = await res.json(); } catch (e) { data = { error: res.statusText }; }
  if (!res.ok) throw new Error(data.error || ("HTTP " + res.status));
  return data;
}

function cell(tr, text) {
  const td = document.createElement("td");
  td.textContent = text;
  tr.appendChild(td);
}

function show(data) {
  me = data;
  $("who").textContent = "Signed in as " + data.user + (data.open ? " (open mode)" : "");
  $("openmode").hidden = !data.open;
  $("main").hidden = false;
  const body = $("rooms").tBodies[0];
  body.replaceChildren();
  for (const r of data.rooms) {
    const tr = document.createElement("tr");
    tr.className = "room";
    [r.name, r.category, r.privacy, r.type, r.topic, r.disabled ? "disabled" : "enabled"]
      .forEach((t) => cell(tr, t));
    tr.addEventListener("click", () => edit(r));
    body.appendChild(tr);
  }
  $("norooms").hidden = data.rooms.length > 0;
  const cats = $("cats");
  cats.replaceChildren();
  for (const c of data.categories) {
    const o = document.createElement("option");
    o.textContent = c;
    cats.appendChild(o);
  }
  $("nocats").hidden = data.categories.length > 0;
}

function edit(r) {
  const f = $("editform");
  $("edit").hidden = false;
  $("ename").textContent = r.name;
  f.dataset.room = r.name;
  f.description.value = r.description;
  f.topic.value = r.topic;
  f.privacy.value = r.privacy;
  f.type.value = r.type;
  f.disabled.value = r.disabled ? "true" : "false";
  $("emembers").textContent = (r.members || []).join(", ") || "none";
  $("emanagers").textContent = (r.managers || []).join(", ") || "none";
  $("epresenters").textContent = (r.presenters || []).join(", ") || "none";
}

async function load() {
  try {
    show(await call("me"));
  } catch (e) {
    status(e.message, false);
    // only the open mode asks who you are; else the browser signed in
    if (me === null && e.message.startsWith("open mode")) $("openmode").hidden = false;
  }
}

function fields(form, names) {
  const out = {};
  for (const n of names) {
    const v = form[n].value.trim();
    if (v !== "" || n === "description" || n === "topic") out[n] = v;
  }
  return out;
}

async function submit(ev, path, build, done) {
  ev.preventDefault();
  try {
    const room = await call(path, build());
    show(await call("me"));
    ev.target.reset();
    edit(room); // the room as saved, ready for the next change
    status(done + ": " + room.name, true);
  } catch (e) {
    status("Refused: " + e.message, false);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("user").value = user;
  $("signin").addEventListener("click", () => {
    user = $("user").value.trim();
    sessionStorage.setItem("pchat-user", user);
    me = null;
    load();
  });
  $("editform").addEventListener("submit", (ev) => submit(ev, "room_set", () => {
    const f = $("editform");
    return Object.assign({ name: f.dataset.room }, fields(f, ["description", "topic",
      "privacy", "type", "disabled", "new_name", "add_member", "remove_member",
      "add_manager", "remove_manager", "add_presenter", "remove_presenter"]));
  }, "Saved"));
  $("newform").addEventListener("submit", (ev) => submit(ev, "room_new",
    () => fields($("newform"), ["category", "name", "description", "topic",
      "privacy", "type"]), "Created"));
  load();
});
