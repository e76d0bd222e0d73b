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
/* Entry layer: the file service, an HTTP request handed over by xhttp's
 * event_route[xhttp:request] - PUT <uri>/<token> with Content-Range
 * appends a chunk, GET (optional Range) and HEAD read a file. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/data_lump_rpl.h"
#include "core/dprint.h"
#include "core/mem/pkg.h"
#include "core/parser/msg_parser.h"
#include "core/trim.h"
#include "core/parser/parse_hname2.h"
#include "modules/xhttp/api.h"

#include "pchat_cmd.h"
#include "pchat_cmd_file.h"
#include "pchat_config.h"
#include "pchat_file.h"
#include "pchat_file_http.h"
#include "pchat_file_soap.h"

static xhttp_api_t _pchat_xhttp;
static int _pchat_xhttp_bound = 0;

int pchat_http_bind(void)
{
	if(_pchat_xhttp_bound)
		return 0;
	if(xhttp_load_api(&_pchat_xhttp) < 0) {
		LM_ERR("files and the room-management page need the xhttp module "
			   "(and sl): load xhttp.so before pchat.so, or leave file_dir "
			   "and manage_dir empty\n");
		return -1;
	}
	_pchat_xhttp_bound = 1;
	return 0;
}

int pchat_file_http_init(void)
{
	return pchat_file_enabled() ? pchat_http_bind() : 0;
}

/* An answer with a text body (one line ending in a newline) and the
 * headers in hdrs ("" or lines ending in CRLF). */
int pchat_http_reply(sip_msg_t *msg, int code, const char *reason,
		const char *ctype, const char *hdrs, const char *body, int blen)
{
	str r, ct, b;

	if(hdrs && hdrs[0]
			&& add_lump_rpl(msg, (char *)hdrs, strlen(hdrs), LUMP_RPL_HDR)
					   == 0)
		return -1;
	r.s = (char *)reason;
	r.len = strlen(reason);
	ct.s = (char *)ctype;
	ct.len = strlen(ctype);
	b.s = (char *)body;
	b.len = blen;
	return _pchat_xhttp.reply(msg, code, &r, &ct, &b) < 0 ? -1 : 1;
}

static int pchat_http_text(sip_msg_t *msg, int code, const char *reason,
		const char *text)
{
	char body[512];
	int n;

	n = snprintf(body, sizeof(body), "%d %s: %s\n", code, reason, text);
	if(n >= (int)sizeof(body))
		n = sizeof(body) - 1;
	return pchat_http_reply(msg, code, reason, "text/plain; charset=utf-8",
			"", body, n);
}

/* The value of header name, trimmed; 0 when absent. */
int pchat_http_header(sip_msg_t *msg, const char *name, str *val)
{
	struct hdr_field *h;
	int n = strlen(name);

	if(parse_headers(msg, HDR_EOH_F, 0) < 0)
		return 0;
	for(h = msg->headers; h; h = h->next) {
		if(h->name.len == n && strncasecmp(h->name.s, name, n) == 0) {
			*val = h->body;
			trim(val);
			return 1;
		}
	}
	return 0;
}

/* The token: the last path segment of the request URI (query cut),
 * PCHAT_FILE_TOKEN_LEN hex digits, into buf. */
static int pchat_http_token(sip_msg_t *msg, char *buf)
{
	str u = msg->first_line.u.request.uri;
	char *q = memchr(u.s, '?', u.len), *p;
	int i;

	if(q)
		u.len = q - u.s;
	for(p = u.s + u.len; p > u.s && p[-1] != '/'; p--)
		;
	if(u.s + u.len - p != PCHAT_FILE_TOKEN_LEN)
		return -1;
	for(i = 0; i < PCHAT_FILE_TOKEN_LEN; i++) {
		if(!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return -1;
		buf[i] = p[i];
	}
	buf[i] = '\0';
	return 0;
}

/* "bytes a-b/total" (PUT) into *a, *b, *total: 0, or -1. */
static int pchat_http_content_range(str *v, long long *a, long long *b,
		long long *total)
{
	char buf[96];
	int used = 0;

	if(v->len >= (int)sizeof(buf))
		return -1;
	memcpy(buf, v->s, v->len);
	buf[v->len] = '\0';
	if(sscanf(buf, "bytes %lld-%lld/%lld%n", a, b, total, &used) != 3
			|| used != v->len || *a < 0 || *b < *a || *total < 1)
		return -1;
	return 0;
}

static int pchat_http_store_error(sip_msg_t *msg, int rc)
{
	if(rc == PCHAT_STORE_UNAVAILABLE)
		return pchat_http_text(msg, 503, "Service Unavailable",
				"the database is unavailable, try again later");
	return pchat_http_text(msg, 500, "Internal Server Error", "storage error");
}

/* The answer to a chunk the store has handled. */
static int pchat_http_put_answer(sip_msg_t *msg, pchat_file_rc_t frc,
		pchat_file_t *f, long long a, long long total, long long max,
		pchat_store_rc_t src)
{
	char why[400];

	switch(frc) {
		case PCHAT_FILE_MORE:
			snprintf(why, sizeof(why), "{\"size\": %lld, \"total\": %lld}\n",
					f->size, total);
			return pchat_http_reply(msg, 200, "OK", "application/json", "",
					why, strlen(why));
		case PCHAT_FILE_DONE:
			if(pchat_cmd_file_posted(f) != PCHAT_STORE_OK)
				LM_ERR("file %s stored but its post failed\n", f->stored);
			snprintf(why, sizeof(why),
					"{\"name\": \"%s\", \"size\": %lld, \"sha256\": \"%s\"}\n",
					f->stored, f->size, f->sha256);
			return pchat_http_reply(msg, 201, "Created", "application/json",
					"", why, strlen(why));
		case PCHAT_FILE_BAD_OFFSET:
			snprintf(why, sizeof(why),
					"chunk at offset %lld, but %lld bytes were received: "
					"the upload is cancelled",
					a, f->size);
			return pchat_http_text(msg, 409, "Conflict", why);
		case PCHAT_FILE_TOO_BIG:
			snprintf(why, sizeof(why),
					"a file of %lld bytes exceeds max_file_size_kb (%lld "
					"bytes): the upload is cancelled",
					total, max);
			return pchat_http_text(msg, 413, "Payload Too Large", why);
		case PCHAT_FILE_BAD_TOTAL:
			return pchat_http_text(msg, 400, "Bad Request",
					"the chunk passes the file's length, or the length "
					"changed: the upload is cancelled");
		case PCHAT_FILE_CLOSED:
			return pchat_http_text(msg, 409, "Conflict",
					"the upload is complete or was cancelled");
		case PCHAT_FILE_IO:
			return pchat_http_text(msg, 507, "Insufficient Storage",
					"the server could not write the file: the upload is "
					"cancelled");
		default:
			return pchat_http_store_error(msg, src);
	}
}

static int pchat_http_put(sip_msg_t *msg, pchat_ftoken_t *t)
{
	pchat_server_config_t cfg;
	long long a, b, total, max;
	pchat_store_rc_t src;
	pchat_file_rc_t frc;
	pchat_file_t f;
	char *body;
	int blen;
	str v;

	if((src = pchat_store_server_config_cached(&cfg)) != PCHAT_STORE_OK)
		return pchat_http_store_error(msg, src);
	max = 1024LL * cfg.max_file_size_kb;
	body = get_body(msg);
	blen = body ? msg->len - (int)(body - msg->buf) : 0;
	if(!pchat_http_header(msg, "Content-Range", &v)
			|| pchat_http_content_range(&v, &a, &b, &total) < 0
			|| b - a + 1 != blen) {
		pchat_file_abort(t->file_id);
		return pchat_http_text(msg, 400, "Bad Request",
				"PUT needs Content-Range: bytes a-b/total matching its "
				"body: the upload is cancelled");
	}
	if(blen > pchat_file_chunk_max()) {
		pchat_file_abort(t->file_id);
		return pchat_http_text(msg, 413, "Payload Too Large",
				"a chunk is at most file_chunk_max bytes: the upload is "
				"cancelled");
	}
	frc = pchat_file_append(t->file_id, a, total, body, blen, max, &f, &src);
	return pchat_http_put_answer(msg, frc, &f, a, total, max, src);
}

/* "bytes=a-b" or "bytes=a-": 0, or -1. */
static int pchat_http_range(str *v, long long *a, long long *b)
{
	char buf[96];
	int used = 0;

	if(v->len >= (int)sizeof(buf))
		return -1;
	memcpy(buf, v->s, v->len);
	buf[v->len] = '\0';
	*b = -1;
	if(sscanf(buf, "bytes=%lld-%n", a, &used) == 1 && used == v->len)
		return *a >= 0 ? 0 : -1;
	used = 0;
	if(sscanf(buf, "bytes=%lld-%lld%n", a, b, &used) == 2 && used == v->len
			&& *a >= 0 && *b >= *a)
		return 0;
	return -1;
}

static int pchat_http_head(sip_msg_t *msg, pchat_file_t *f)
{
	char hdrs[200];

	snprintf(hdrs, sizeof(hdrs),
			"X-File-Size: %lld\r\nX-File-SHA256: %s\r\nAccept-Ranges: "
			"bytes\r\n",
			f->size, f->sha256);
	return pchat_http_reply(
			msg, 200, "OK", "application/octet-stream", hdrs, "", 0);
}

/* One piece [a, b] of the file, at most file_chunk_max bytes: a reply is
 * built whole in the reader's memory and queued on the connection. */
static int pchat_http_get(sip_msg_t *msg, pchat_ftoken_t *t, pchat_file_t *f)
{
	long long a = 0, b = -1, max = pchat_file_chunk_max();
	char hdrs[160], *buf;
	int ranged, n, ret;
	str v;

	ranged = pchat_http_header(msg, "Range", &v);
	if(ranged && pchat_http_range(&v, &a, &b) < 0)
		return pchat_http_text(msg, 400, "Bad Request",
				"Range must be bytes=a-b or bytes=a-");
	if(!ranged && f->size > max)
		return pchat_http_text(msg, 413, "Payload Too Large",
				"the file is larger than one answer (file_chunk_max): ask "
				"for it in pieces with Range: bytes=a-b");
	if(a >= f->size)
		return pchat_http_text(msg, 416, "Range Not Satisfiable",
				"the range starts past the end of the file");
	if(b < 0 || b >= f->size)
		b = f->size - 1;
	if(b - a + 1 > max)
		b = a + max - 1;
	buf = pkg_malloc(b - a + 1);
	if(buf == NULL)
		return pchat_http_text(msg, 500, "Internal Server Error", "no memory");
	n = pchat_file_read(f, a, buf, b - a + 1);
	if(n != b - a + 1) {
		pkg_free(buf);
		return pchat_http_text(msg, 500, "Internal Server Error",
				"the file could not be read");
	}
	if(a == 0 && pchat_cmd_file_downloaded(t, f) != PCHAT_STORE_OK) {
		pkg_free(buf);
		return pchat_http_store_error(msg, PCHAT_STORE_UNAVAILABLE);
	}
	snprintf(hdrs, sizeof(hdrs), "Content-Range: bytes %lld-%lld/%lld\r\n", a,
			b, f->size);
	ret = pchat_http_reply(msg, ranged ? 206 : 200,
			ranged ? "Partial Content" : "OK", "application/octet-stream",
			ranged ? hdrs : "", buf, n);
	pkg_free(buf);
	return ret;
}

static int pchat_http_read(sip_msg_t *msg, pchat_ftoken_t *t, int head)
{
	const char *why;
	pchat_file_t f;
	int rc;

	rc = pchat_cmd_file_may_read(t, &why);
	if(rc < 0)
		return pchat_http_store_error(msg, rc);
	if(rc == 0)
		return pchat_http_text(msg, 403, "Forbidden", why);
	if(t->file_id == 0)
		return pchat_http_text(msg, 400, "Bad Request",
				"this token names no file: ask cmd:getfdtok with the "
				"ma-filelink of the file's post");
	rc = pchat_file_by_id(t->file_id, &f);
	if(rc < 0)
		return pchat_http_store_error(msg, rc);
	if(rc == 0 || !f.complete)
		return pchat_http_text(msg, 404, "Not Found", "the file is gone");
	return head ? pchat_http_head(msg, &f) : pchat_http_get(msg, t, &f);
}

int pchat_http_token_check(
		const char *tok, int up, pchat_ftoken_t *t, const char **why)
{
	int rc;

	*why = NULL;
	rc = pchat_file_token_get(tok, t);
	if(rc < 0)
		return rc == PCHAT_STORE_UNAVAILABLE ? 503 : 500;
	if(rc == 0) {
		*why = "unknown token";
		return 404;
	}
	if(pchat_now_ms() >= t->expires_ms) {
		if(t->up)
			pchat_file_abort(t->file_id);
		*why = "the token has expired";
		return 403;
	}
	if(up >= 0 && up != t->up) {
		*why = t->up ? "an upload token cannot read a file"
					 : "a download token cannot upload";
		return 403;
	}
	return 200;
}

int pchat_file_http(sip_msg_t *msg)
{
	str m = msg->first_line.u.request.method;
	char tok[PCHAT_FILE_TOKEN_LEN + 1];
	const char *why;
	pchat_ftoken_t t;
	int rc, put, get, head;

	if(!_pchat_xhttp_bound || !pchat_file_enabled() || msg->first_line.type != SIP_REQUEST)
		return -1;
	if(m.len == 4 && strncmp(m.s, "POST", 4) == 0)
		return pchat_file_soap(msg);
	put = m.len == 3 && strncmp(m.s, "PUT", 3) == 0;
	get = m.len == 3 && strncmp(m.s, "GET", 3) == 0;
	head = m.len == 4 && strncmp(m.s, "HEAD", 4) == 0;
	if(!put && !get && !head)
		return pchat_http_text(msg, 405, "Method Not Allowed",
				"the file service takes PUT, GET, HEAD and POST (SOAP)");
	if(pchat_http_token(msg, tok) < 0)
		return pchat_http_text(msg, 404, "Not Found",
				"no token in the path (<file service URI>/<token>)");
	rc = pchat_http_token_check(tok, put, &t, &why);
	if(rc == 503 || rc == 500)
		return pchat_http_store_error(
				msg, rc == 503 ? PCHAT_STORE_UNAVAILABLE : PCHAT_STORE_ERROR);
	if(rc != 200)
		return pchat_http_text(
				msg, rc, rc == 404 ? "Not Found" : "Forbidden", why);
	return put ? pchat_http_put(msg, &t) : pchat_http_read(msg, &t, head);
}
