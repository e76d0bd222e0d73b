/*
 * pchat - Persistent Chat (XCCOS) service for Kamailio
 *
 * Copyright (C) 2026 pchat developers
 *
 * This file is part of pchat, a module for Kamailio, a free SIP server.
 *
 * pchat is free software; you can redistribute it and/or modify it under the
 * terms of the GNU General Public License as published by the Free Software
 * Foundation; either version 2 of the License, or (at your option) any later
 * version.
 */
/* Entry layer: the room-management web page (pchat_manage_http() from
 * event_route[xhttp:request], under /manage/): its static files from
 * manage_dir and JSON calls that run the admin RPCs in-process for a
 * signed-in user, after the XCCOS permission rule (pchat_perm) allows it. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/dprint.h"
#include "core/mem/pkg.h"
#include "core/rpc_lookup.h"
#include "core/utils/srjson.h"

#include "pchat_access.h"
#include "pchat_file_http.h"
#include "pchat_identity.h"
#include "pchat_manage_http.h"

#define PCHAT_MANAGE_BODY_MAX 16384
#define PCHAT_MANAGE_FILE_MAX (256 * 1024)

static char _pchat_manage_dir[512];
static char _pchat_chat_dir[512]; /* the browser chat client (web/chat) */

static int pchat_web_dir_set(char *to, const char *dir, const char *name)
{
	if(strlen(dir) >= sizeof(_pchat_manage_dir) - 64) {
		LM_ERR("%s is too long\n", name);
		return -1;
	}
	strcpy(to, dir);
	return 0;
}

int pchat_manage_http_init(const char *dir, const char *chat_dir)
{
	if((!dir || !dir[0]) && (!chat_dir || !chat_dir[0]))
		return 0;
	if(dir && dir[0] && pchat_web_dir_set(_pchat_manage_dir, dir, "manage_dir") < 0)
		return -1;
	if(chat_dir && chat_dir[0]
			&& pchat_web_dir_set(_pchat_chat_dir, chat_dir, "chat_dir") < 0)
		return -1;
	return pchat_http_bind();
}

/* ---------------------------------------------------------------------- */
/* An rpc_t that collects an admin RPC's answer as JSON, in-process        */
/* ---------------------------------------------------------------------- */

typedef struct pchat_mrpc
{
	srjson_doc_t *doc;
	srjson_t *out; /* array of what the RPC added */
	char **params;
	int nparams, next;
	int code; /* fault code, 0 when none */
	char err[256];
} pchat_mrpc_t;

static srjson_doc_t *_pchat_mdoc; /* the handles only carry a node */

static void mrpc_fault(void *c, int code, char *fmt, ...)
{
	pchat_mrpc_t *m = c;
	va_list ap;

	m->code = code;
	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
}

static int mrpc_send(void *c)
{
	return 0;
}

/* One value of type t from ap; for '{' and '[' the new node is stored in
 * the void ** given. */
static srjson_t *mrpc_value(char t, va_list *ap)
{
	srjson_t *n = NULL;
	void **h;
	char *s;

	switch(t) {
		case 's':
			s = va_arg(*ap, char *);
			return srjson_CreateString(_pchat_mdoc, s ? s : "");
		case 'S': {
			str *v = va_arg(*ap, str *);
			return srjson_CreateStr(_pchat_mdoc, v->s, v->len);
		}
		case 'd':
			return srjson_CreateNumber(_pchat_mdoc, va_arg(*ap, int));
		case 'b':
			return srjson_CreateBool(_pchat_mdoc, va_arg(*ap, int));
		case 'u':
			return srjson_CreateNumber(_pchat_mdoc, va_arg(*ap, unsigned int));
		case 'l':
			return srjson_CreateNumber(_pchat_mdoc, va_arg(*ap, long));
		case 'L':
			return srjson_CreateNumber(_pchat_mdoc, va_arg(*ap, long long));
		case 'f':
			return srjson_CreateNumber(_pchat_mdoc, va_arg(*ap, double));
		case '{':
		case '[':
			h = va_arg(*ap, void **);
			n = t == '{' ? srjson_CreateObject(_pchat_mdoc)
						 : srjson_CreateArray(_pchat_mdoc);
			*h = n;
			return n;
	}
	return NULL;
}

static int mrpc_add(void *c, char *fmt, ...)
{
	pchat_mrpc_t *m = c;
	srjson_t *v;
	va_list ap;

	va_start(ap, fmt);
	for(; *fmt; fmt++) {
		if(!(v = mrpc_value(*fmt, &ap)))
			break;
		srjson_AddItemToArray(m->doc, m->out, v);
	}
	va_end(ap);
	return *fmt ? -1 : 0;
}

static int mrpc_struct_add(void *h, char *fmt, ...)
{
	srjson_t *v;
	char *name;
	va_list ap;

	va_start(ap, fmt);
	for(; *fmt; fmt++) {
		name = va_arg(ap, char *);
		if(!(v = mrpc_value(*fmt, &ap)))
			break;
		srjson_AddItemToObject(_pchat_mdoc, h, name, v);
	}
	va_end(ap);
	return *fmt ? -1 : 0;
}

static int mrpc_array_add(void *h, char *fmt, ...)
{
	srjson_t *v;
	va_list ap;

	va_start(ap, fmt);
	for(; *fmt; fmt++) {
		if(!(v = mrpc_value(*fmt, &ap)))
			break;
		srjson_AddItemToArray(_pchat_mdoc, h, v);
	}
	va_end(ap);
	return *fmt ? -1 : 0;
}

/* Only what pchat_args_scan() asks: "*s", one "field=value" a call. */
static int mrpc_scan(void *c, char *fmt, ...)
{
	pchat_mrpc_t *m = c;
	va_list ap;
	int n = 0;

	va_start(ap, fmt);
	for(; *fmt; fmt++) {
		if(*fmt == '*')
			continue;
		if(*fmt != 's' || m->next >= m->nparams)
			break;
		*va_arg(ap, char **) = m->params[m->next++];
		n++;
	}
	va_end(ap);
	return n;
}

static int mrpc_printf(void *c, char *fmt, ...)
{
	return 0;
}

static int mrpc_struct_printf(void *c, char *name, char *fmt, ...)
{
	return 0;
}

static int mrpc_struct_scan(void *c, char *fmt, ...)
{
	return -1;
}

static rpc_capabilities_t mrpc_capabilities(void *c)
{
	return 0; /* no delayed replies */
}

static struct rpc_delayed_ctx *mrpc_delayed_ctx_new(void *c)
{
	return NULL;
}

static void mrpc_delayed_ctx_close(struct rpc_delayed_ctx *d)
{
}

static rpc_t _pchat_mrpc_api = {
		.fault = mrpc_fault,
		.send = mrpc_send,
		.add = mrpc_add,
		.scan = mrpc_scan,
		.rpl_printf = mrpc_printf,
		.struct_add = mrpc_struct_add,
		.array_add = mrpc_array_add,
		.struct_scan = mrpc_struct_scan,
		.struct_printf = mrpc_struct_printf,
		.capabilities = mrpc_capabilities,
		.delayed_ctx_new = mrpc_delayed_ctx_new,
		.delayed_ctx_close = mrpc_delayed_ctx_close,
};

/* Runs the admin RPC method with params ("field=value"): 0 and m->out
 * filled, or -1 with m->code and m->err. */
static int pchat_manage_rpc(
		pchat_mrpc_t *m, const char *method, char **params, int nparams)
{
	rpc_export_t *r = rpc_lookup(method, strlen(method));

	m->params = params;
	m->nparams = nparams;
	m->next = 0;
	m->code = 0;
	m->err[0] = '\0';
	m->out = srjson_CreateArray(m->doc);
	if(!r) {
		m->code = 500;
		snprintf(m->err, sizeof(m->err), "no RPC %s", method);
		return -1;
	}
	r->function(&_pchat_mrpc_api, m);
	return m->code ? -1 : 0;
}

/* ---------------------------------------------------------------------- */
/* Replies                                                                 */
/* ---------------------------------------------------------------------- */

/* Every answer of the page: no caching, no framing, no sniffing. */
#define PCHAT_MANAGE_HDRS                                  \
	"Cache-Control: no-store\r\nX-Frame-Options: DENY\r\n" \
	"X-Content-Type-Options: nosniff\r\n"                  \
	"Content-Security-Policy: default-src 'self'; frame-ancestors 'none'\r\n"

static int pchat_manage_json(sip_msg_t *msg, int code, const char *reason,
		srjson_doc_t *d, srjson_t *j)
{
	char *s = srjson_PrintUnformatted(d, j);
	int rc;

	if(!s)
		return pchat_http_reply(msg, 500, "Internal Server Error", "text/plain",
				PCHAT_MANAGE_HDRS, "out of memory\n", 14);
	rc = pchat_http_reply(msg, code, reason, "application/json",
			PCHAT_MANAGE_HDRS, s, strlen(s));
	d->free_fn(s);
	return rc;
}

/* {"error": text} with code. */
static int pchat_manage_error(
		sip_msg_t *msg, srjson_doc_t *d, int code, const char *text)
{
	srjson_t *o = srjson_CreateObject(d);
	const char *reason = code == 400   ? "Bad Request"
						 : code == 401 ? "Unauthorized"
						 : code == 403 ? "Forbidden"
						 : code == 404 ? "Not Found"
						 : code == 413 ? "Payload Too Large"
						 : code == 503 ? "Service Unavailable"
									   : "Error";

	srjson_AddStringToObject(d, o, "error", text);
	return pchat_manage_json(msg, code, reason, d, o);
}

/* ---------------------------------------------------------------------- */
/* Static files                                                            */
/* ---------------------------------------------------------------------- */

static const char *pchat_manage_ctype(const char *name)
{
	const char *dot = strrchr(name, '.');

	if(dot && strcmp(dot, ".js") == 0)
		return "text/javascript; charset=utf-8";
	if(dot && strcmp(dot, ".css") == 0)
		return "text/css; charset=utf-8";
	if(dot && strcmp(dot, ".png") == 0)
		return "image/png";
	return "text/html; charset=utf-8";
}

/* name: one plain file name (letters, digits, '-', '_', one '.'), never a
 * path, so nothing outside dir (manage_dir or chat_dir) is reachable. */
static int pchat_manage_static(
		sip_msg_t *msg, const char *dir, const char *name, int len)
{
	char path[600], fname[64], *buf;
	int i, dots = 0, rc;
	long n;
	FILE *f;

	if(len == 0) {
		strcpy(fname, "index.html");
	} else {
		if(len >= (int)sizeof(fname))
			return -1;
		for(i = 0; i < len; i++) {
			char c = name[i];
			if(c == '.')
				dots++;
			else if(!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
							|| (c >= '0' && c <= '9') || c == '-' || c == '_'))
				return -1;
		}
		if(dots > 1 || name[0] == '.')
			return -1;
		memcpy(fname, name, len);
		fname[len] = '\0';
	}
	snprintf(path, sizeof(path), "%s/%s", dir, fname);
	if(!(f = fopen(path, "rb")))
		return -1;
	buf = pkg_malloc(PCHAT_MANAGE_FILE_MAX);
	n = buf ? (long)fread(buf, 1, PCHAT_MANAGE_FILE_MAX, f) : -1;
	fclose(f);
	if(n < 0) {
		if(buf)
			pkg_free(buf);
		return -1;
	}
	rc = pchat_http_reply(msg, 200, "OK", pchat_manage_ctype(fname),
			PCHAT_MANAGE_HDRS, buf, (int)n);
	pkg_free(buf);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Who asks, and what they may do                                          */
/* ---------------------------------------------------------------------- */

/* The user: the identity the script signed in (sip:user@domain), or in
 * open mode (empty) the one the page claims in X-Pchat-User. */
static int pchat_manage_user(
		sip_msg_t *msg, str *signed_in, char *out, int size, int *open)
{
	str v;
	const char *why = NULL;

	*open = signed_in->len == 0;
	if(!*open)
		v = *signed_in;
	else if(!pchat_http_header(msg, "X-Pchat-User", &v) || v.len == 0)
		return -1;
	return pchat_identity_canon(v.s, v.len, out, size, &why) > 0 ? 0 : -1;
}

/* Why user may not manage the room with this ma-chan URI, by the XCCOS
 * rule (pchat_perm_refusal), NULL when they may. A room the user may not
 * even see gets the same words as a missing one. */
static const char *pchat_manage_refusal(const char *uri, str *user)
{
	static const char *unseen = "you do not manage this room (only its "
								"managers may change it)";
	char guid[64];
	pchat_room_t room;
	pchat_perm_in_t in;

	if(pchat_room_guid_of_uri(uri, guid, sizeof(guid)) < 0
			|| pchat_room_find_user(guid, user, &room, &in) != 1)
		return unseen;
	return pchat_perm_refusal(&in, PCHAT_PERM_MANAGE);
}

/* A string member of a JSON object, "" when absent. */
static const char *pchat_manage_field(srjson_t *o, const char *name)
{
	srjson_t *v = srjson_GetObjectItem(_pchat_mdoc, o, name);

	return v && v->type == srjson_String ? v->valuestring : "";
}

/* GET api/me: who, open mode or not, the rooms the user manages, the
 * categories where the user may create rooms. */
static int pchat_manage_me(sip_msg_t *msg, pchat_mrpc_t *m, str *user, int open)
{
	srjson_t *o, *rooms, *cats, *r;
	pchat_creator_cats_t cc;
	const char *guid, *name;
	char *limit = "result_size=10000";
	char *p[1];

	p[0] = limit;
	if(pchat_manage_rpc(m, "pchat.room_get", p, 1) < 0)
		return pchat_manage_error(msg, m->doc, m->code, m->err);
	o = srjson_CreateObject(m->doc);
	srjson_AddStrToObject(m->doc, o, "user", user->s, user->len);
	srjson_AddItemToObject(m->doc, o, "open", srjson_CreateBool(m->doc, open));
	rooms = srjson_CreateArray(m->doc);
	srjson_AddItemToObject(m->doc, o, "rooms", rooms);
	while((r = m->out->child) != NULL) {
		srjson_DetachItemFromArray(m->doc, m->out, 0);
		if(!pchat_manage_refusal(pchat_manage_field(r, "uri"), user))
			srjson_AddItemToArray(m->doc, rooms, r);
		else
			srjson_Delete(m->doc, r);
	}
	cats = srjson_CreateArray(m->doc);
	srjson_AddItemToObject(m->doc, o, "categories", cats);
	if(pchat_creator_cats_open(user, &cc) != PCHAT_STORE_OK)
		return pchat_manage_error(msg, m->doc, 503,
				"storage unavailable while reading categories: retry");
	while(pchat_creator_cats_next(&cc, &guid, &name))
		srjson_AddItemToArray(m->doc, cats, srjson_CreateString(m->doc, name));
	pchat_creator_cats_close(&cc);
	return pchat_manage_json(msg, 200, "OK", m->doc, o);
}

/* Is user a creator of the category called name (cmd:nodespermcreatechild)? */
static int pchat_manage_is_creator(const char *name, str *user)
{
	pchat_creator_cats_t cc;
	const char *guid, *n;
	int yes = 0;

	if(pchat_creator_cats_open(user, &cc) != PCHAT_STORE_OK)
		return 0;
	while(!yes && pchat_creator_cats_next(&cc, &guid, &n))
		yes = strcmp(n, name) == 0;
	pchat_creator_cats_close(&cc);
	return yes;
}

/* The fields the page may pass on to room_new / room_set: never addin
 * or a move to another category. */
static const char *_pchat_manage_keys[] = {"name", "category", "new_name",
		"description", "topic", "privacy", "type", "disabled", "member",
		"add_member", "remove_member", "add_manager", "remove_manager",
		"add_presenter", "remove_presenter", NULL};

static int pchat_manage_key_ok(const char *k, int create)
{
	int i;

	if(!create && (strcmp(k, "category") == 0 || strcmp(k, "member") == 0))
		return 0;
	if(create && strncmp(k, "add_", 4) == 0)
		return 0;
	for(i = 0; _pchat_manage_keys[i]; i++)
		if(strcmp(k, _pchat_manage_keys[i]) == 0)
			return 1;
	return 0;
}

#define PCHAT_MANAGE_PARAMS 64

/* The JSON body (an object of strings or arrays of strings) as RPC
 * parameters "key=value" in buf; the count, or -1 with why. */
static int pchat_manage_params(srjson_t *o, int create, char **p, char *buf,
		int size, const char **why)
{
	srjson_t *f, *v;
	int n = 0, used = 0, len;

	for(f = o->child; f; f = f->next) {
		if(!pchat_manage_key_ok(f->string, create)) {
			*why = "a field the page may not change";
			return -1;
		}
		v = f->type == srjson_Array ? f->child : f;
		for(; v; v = f->type == srjson_Array ? v->next : NULL) {
			if(v->type != srjson_String || n >= PCHAT_MANAGE_PARAMS) {
				*why = "fields are strings or lists of strings";
				return -1;
			}
			len = snprintf(buf + used, size - used, "%s=%s", f->string,
					v->valuestring);
			if(len >= size - used) {
				*why = "too much";
				return -1;
			}
			p[n++] = buf + used;
			used += len + 1;
		}
	}
	return n;
}

/* Who creates a room manages it (as in Lync): room_new takes no managers,
 * so a room_set adds the creator; m->out is then the room as it is. */
static int pchat_manage_own(pchat_mrpc_t *m, const char *name, str *user)
{
	char n[PCHAT_TEXT_MAX + 8], a[300], *p[2];

	snprintf(n, sizeof(n), "name=%s", name);
	snprintf(a, sizeof(a), "add_manager=%.*s", user->len, user->s);
	p[0] = n;
	p[1] = a;
	return pchat_manage_rpc(m, "pchat.room_set", p, 2);
}

/* POST api/room_new and api/room_set: the XCCOS permission first. */
static int pchat_manage_change(
		sip_msg_t *msg, pchat_mrpc_t *m, str *user, str *body, int create)
{
	char buf[PCHAT_MANAGE_BODY_MAX + 1024], *p[PCHAT_MANAGE_PARAMS];
	char *one[1], q[PCHAT_TEXT_MAX + 8], text[PCHAT_MANAGE_BODY_MAX + 1];
	const char *why = "not JSON", *name;
	srjson_t *o;
	int n;

	memcpy(text, body->s, body->len);
	text[body->len] = '\0';
	o = srjson_Parse(m->doc, text);
	if(!o || o->type != srjson_Object
			|| (n = pchat_manage_params(o, create, p, buf, sizeof(buf), &why))
					   < 0)
		return pchat_manage_error(msg, m->doc, 400, why);
	name = pchat_manage_field(o, "name");
	if(!name[0])
		return pchat_manage_error(msg, m->doc, 400, "the room needs a name");
	if(create
			&& !pchat_manage_is_creator(
					pchat_manage_field(o, "category"), user))
		return pchat_manage_error(msg, m->doc, 403,
				"you may not create rooms in this category (you are not one "
				"of its creators)");
	if(!create) {
		snprintf(q, sizeof(q), "name=%s", name);
		one[0] = q;
		if(pchat_manage_rpc(m, "pchat.room_get", one, 1) < 0)
			return pchat_manage_error(msg, m->doc, m->code, m->err);
		why = pchat_manage_refusal(
				m->out->child ? pchat_manage_field(m->out->child, "uri") : "",
				user);
		if(why)
			return pchat_manage_error(msg, m->doc, 403, why);
	}
	if(pchat_manage_rpc(m, create ? "pchat.room_new" : "pchat.room_set", p, n)
			< 0)
		return pchat_manage_error(msg, m->doc, m->code, m->err);
	if(create && pchat_manage_own(m, name, user) < 0)
		return pchat_manage_error(msg, m->doc, m->code, m->err);
	return pchat_manage_json(
			msg, 200, "OK", m->doc, m->out->child ? m->out->child : m->out);
}

/* A change must come from the page itself: its own header (a form or
 * another site's script cannot send it without CORS, which we never
 * allow) and, when the browser says, our own origin. */
static int pchat_manage_same_origin(sip_msg_t *msg)
{
	str v, host;
	char want[300];

	if(!pchat_http_header(msg, "X-Pchat-CSRF", &v) || v.len != 1
			|| v.s[0] != '1')
		return 0;
	if(!pchat_http_header(msg, "Origin", &v))
		return 1;
	if(!pchat_http_header(msg, "Host", &host) || host.len > 256)
		return 0;
	snprintf(want, sizeof(want), "http://%.*s", host.len, host.s);
	return v.len == (int)strlen(want) && strncasecmp(v.s, want, v.len) == 0;
}

static int pchat_manage_api(sip_msg_t *msg, const char *call, int clen,
		str *signed_in, pchat_mrpc_t *m)
{
	char ubuf[256];
	str user, body = STR_NULL, meth = msg->first_line.u.request.method;
	int open, post = meth.len == 4 && strncmp(meth.s, "POST", 4) == 0;

	if(pchat_manage_user(msg, signed_in, ubuf, sizeof(ubuf), &open) < 0)
		return pchat_manage_error(msg, m->doc, 401,
				"open mode: say who you are (sip:user@domain)");
	user.s = ubuf;
	user.len = strlen(ubuf);
	if(!post && clen == 2 && strncmp(call, "me", 2) == 0)
		return pchat_manage_me(msg, m, &user, open);
	if(!post)
		return pchat_manage_error(msg, m->doc, 404, "no such call");
	if(!pchat_manage_same_origin(msg))
		return pchat_manage_error(msg, m->doc, 403,
				"refused: not sent by the room-management page (CSRF)");
	body.s = get_body(msg);
	body.len = body.s ? msg->len - (int)(body.s - msg->buf) : 0;
	if(body.len > PCHAT_MANAGE_BODY_MAX)
		return pchat_manage_error(msg, m->doc, 413, "request too large");
	if(body.len == 0)
		return pchat_manage_error(msg, m->doc, 400, "no body");
	if(clen == 8 && strncmp(call, "room_new", 8) == 0)
		return pchat_manage_change(msg, m, &user, &body, 1);
	if(clen == 8 && strncmp(call, "room_set", 8) == 0)
		return pchat_manage_change(msg, m, &user, &body, 0);
	return pchat_manage_error(msg, m->doc, 404, "no such call");
}

int pchat_manage_http(sip_msg_t *msg, str *signed_in)
{
	str u = msg->first_line.u.request.uri;
	char *q;
	pchat_mrpc_t m;
	int rc;

	if(!_pchat_manage_dir[0])
		return -1;
	if((q = memchr(u.s, '?', u.len)) != NULL)
		u.len = q - u.s;
	if(u.len < 7 || strncmp(u.s, "/manage", 7) != 0)
		return -1;
	u.s += 7;
	u.len -= 7;
	if(u.len == 0)
		return pchat_http_reply(msg, 301, "Moved Permanently", "text/plain",
				"Location: /manage/\r\n", "/manage/\n", 9);
	u.s++;
	u.len--;
	if(u.len < 4 || strncmp(u.s, "api/", 4) != 0) {
		if(pchat_manage_static(msg, _pchat_manage_dir, u.s, u.len) > 0)
			return 1;
		return pchat_http_reply(msg, 404, "Not Found", "text/plain",
				PCHAT_MANAGE_HDRS, "no such page\n", 13);
	}
	memset(&m, 0, sizeof(m));
	if(!(m.doc = srjson_NewDoc(NULL)))
		return -1;
	_pchat_mdoc = m.doc;
	rc = pchat_manage_api(msg, u.s + 4, u.len - 4, signed_in, &m);
	srjson_DestroyDoc(m.doc);
	_pchat_mdoc = NULL;
	return rc;
}

/* The chat client's files under /chat/ (static only: the client speaks
 * SIP over the WebSocket at /ws, which the script hands to websocket). */
int pchat_chat_http(sip_msg_t *msg)
{
	str u = msg->first_line.u.request.uri;
	char *q;

	if(!_pchat_chat_dir[0])
		return -1;
	if((q = memchr(u.s, '?', u.len)) != NULL)
		u.len = q - u.s;
	if(u.len < 5 || strncmp(u.s, "/chat", 5) != 0)
		return -1;
	if(u.len == 5)
		return pchat_http_reply(msg, 301, "Moved Permanently", "text/plain",
				"Location: /chat/\r\n", "/chat/\n", 7);
	if(u.s[5] != '/')
		return -1;
	if(pchat_manage_static(msg, _pchat_chat_dir, u.s + 6, u.len - 6) > 0)
		return 1;
	return pchat_http_reply(msg, 404, "Not Found", "text/plain",
			PCHAT_MANAGE_HDRS, "no such page\n", 13);
}
