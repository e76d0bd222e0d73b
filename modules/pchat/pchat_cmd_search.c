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
/* Commands layer: cmd:chatsrch, history search across the rooms the user
 * may read (doc/xccos.md 3.17): the readable rooms first, then the text,
 * author, date and cursor query of pchat_search.c over those only. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dprint.h"

#include "pchat_cmd_room.h"
#include "pchat_cmd_story.h"
#include "pchat_access.h"
#include "pchat_access_rooms.h"
#include "pchat_compliance.h"
#include "pchat_config.h"
#include "pchat_identity.h"
#include "pchat_search.h"

/* What the reply takes besides its messages, and the least one takes. */
#define PCHAT_SRCH_OVERHEAD 640
#define PCHAT_SRCH_MSG_MIN 128

#define PCHAT_SRCH_SLOW                                                   \
	"the search took longer than 3 s: narrow it (rooms, authors, dates, "  \
	"a longer text)"

/* One parsed request: the query and the storage its pointers use. */
typedef struct pchat_srch_req
{
	pchat_search_q_t q;
	char authors[PCHAT_SEARCH_AUTHORS_MAX][PCHAT_IDENTITY_MAX];
	const char *author_p[PCHAT_SEARCH_AUTHORS_MAX];
	xmlNodePtr srch;
	int nnamed; /* chanib children: rooms the user named */
	long long cnt;
	int limited;
} pchat_srch_req_t;

/* The user's side of the rules, the rules and the rooms the user may
 * read at most, from one snapshot (a room's rules from the same state of
 * the tree as the room). No room is read when the policy refuses the
 * user: the rule would refuse every one. */
static pchat_store_rc_t pchat_srch_read_all(str *user, pchat_viewer_t *v,
		pchat_rooms_rules_t *rules, pchat_db_res_t *rooms)
{
	pchat_store_rc_t src;

	memset(rooms, 0, sizeof(*rooms));
	src = pchat_db_begin();
	if(src != PCHAT_STORE_OK)
		return src;
	src = pchat_rooms_rules_read_cats(rules, v, user);
	if(src == PCHAT_STORE_OK && v->policy) {
		src = pchat_rooms_read_candidates(rules, v, rooms);
		if(src != PCHAT_STORE_OK)
			pchat_rooms_rules_free(rules, v);
	}
	if(src != PCHAT_STORE_OK) {
		pchat_db_rollback();
		return src;
	}
	src = pchat_db_commit();
	if(src != PCHAT_STORE_OK) {
		pchat_db_res_free(rooms);
		pchat_rooms_rules_free(rules, v);
	}
	return src;
}

/* The ids of every room the user may READ (same rules as bccontext:
 * pchat_perm_eval over roles, walls, privacy and policy). *ids is the
 * caller's to free; *n rooms. */
static pchat_store_rc_t pchat_srch_readable_all(
		str *user, long long **ids, int *n)
{
	pchat_rooms_rules_t rules;
	pchat_db_res_t rooms;
	pchat_viewer_t viewer;
	pchat_store_rc_t src;
	pchat_room_t room;
	pchat_perm_in_t in;
	int i;

	*ids = NULL;
	*n = 0;
	src = pchat_srch_read_all(user, &viewer, &rules, &rooms);
	if(src != PCHAT_STORE_OK)
		return src;
	*ids = malloc(sizeof(long long) * (rooms.nrows + 1));
	if(*ids == NULL)
		src = PCHAT_STORE_ERROR;
	for(i = 0; *ids && i < rooms.nrows; i++) {
		/* a room with several roles comes as as many rows */
		if(i > 0 && strcmp(rooms.rows[i][0], rooms.rows[i - 1][0]) == 0)
			continue;
		pchat_room_from_row(rooms.rows[i], &room);
		if(pchat_rooms_rules_access(&rules, &room, &viewer, &in)
						== PCHAT_STORE_OK
				&& pchat_perm_refusal(&in, PCHAT_PERM_READ) == NULL)
			(*ids)[(*n)++] = room.id;
	}
	pchat_rooms_rules_free(&rules, &viewer);
	pchat_db_res_free(&rooms);
	return src;
}

/* The rooms the user named (chanib children): each must be readable, as
 * for bccontext; a hidden room is answered as a missing one. *code 200
 * when all are. */
static pchat_store_rc_t pchat_srch_readable_named(pchat_cmd_ctx_t *ctx,
		pchat_srch_req_t *r, long long *ids, int *code, const char **why)
{
	pchat_perm_in_t in;
	pchat_room_t room;
	xmlNodePtr c;
	char guid[64];
	int rc, n = 0;

	for(c = pchat_xccos_child(r->srch, "chanib"); c;
			c = pchat_xccos_next(c, "chanib")) {
		if(pchat_room_guid_of_uri(pchat_xccos_attr(c, "uri"), guid,
				   sizeof(guid)) < 0) {
			*code = 400;
			*why = "chanib uri is not ma-chan://";
			return PCHAT_STORE_OK;
		}
		rc = pchat_room_find_user(guid, &ctx->user, &room, &in);
		if(rc < 0 && rc != PCHAT_STORE_ERROR)
			return (pchat_store_rc_t)rc;
		if(rc <= 0) {
			*code = rc == 0 ? 404 : 500;
			*why = rc == 0 ? "no such room" : "storage error";
			return PCHAT_STORE_OK;
		}
		if((*why = pchat_perm_refusal(&in, PCHAT_PERM_READ)) != NULL) {
			*code = 403;
			return PCHAT_STORE_OK;
		}
		if(room.chat_history)
			ids[n++] = room.id;
	}
	r->q.nrooms = n;
	return PCHAT_STORE_OK;
}

/* A cursor of an earlier answer, "ts.room.seq", into q: 0 ok, -1 not. */
static int pchat_srch_cursor(const char *s, pchat_search_q_t *q)
{
	long long ts, room, seq;
	int n = 0;

	if(sscanf(s, "%lld.%lld.%lld%n", &ts, &room, &seq, &n) != 3
			|| s[n] != '\0' || ts <= 0 || room <= 0 || seq <= 0)
		return -1;
	q->before_ts = ts;
	q->before_room = room;
	q->before_seq = seq;
	return 0;
}

static const char *pchat_srch_parse_authors(pchat_srch_req_t *r)
{
	xmlNodePtr a;
	const char *uri;
	int n;

	for(a = pchat_xccos_child(r->srch, "author"); a;
			a = pchat_xccos_next(a, "author")) {
		if(r->q.nauthors == PCHAT_SEARCH_AUTHORS_MAX)
			return "more than 20 authors";
		uri = pchat_xccos_attr(a, "uri");
		n = uri ? pchat_identity_canon(uri, strlen(uri),
						  r->authors[r->q.nauthors], PCHAT_IDENTITY_MAX, NULL)
				: -1;
		if(n <= 0)
			return "author uri is not a SIP URI";
		r->author_p[r->q.nauthors] = r->authors[r->q.nauthors];
		r->q.nauthors++;
	}
	r->q.authors = r->author_p;
	return NULL;
}

/* The request's text, dates, cursor, count and authors; NULL when they
 * are acceptable, else why not (a 400). */
static const char *pchat_srch_parse(pchat_xmsg_t *m, pchat_srch_req_t *r)
{
	const char *v;
	xmlNodePtr c;

	memset(r, 0, sizeof(*r));
	r->srch = m->data ? pchat_xccos_child(m->data, "srch") : NULL;
	if(r->srch == NULL)
		return "chatsrch needs a srch element";
	v = pchat_xccos_attr(r->srch, "text");
	r->q.text = v ? v : "";
	if(!pchat_identity_utf8_ok(
			   (const unsigned char *)r->q.text, strlen(r->q.text)))
		return "search text is not UTF-8";
	if(pchat_cmd_utf8_chars(r->q.text) > PCHAT_SEARCH_TEXT_MAX)
		return "search text is longer than 256 characters";
	if((v = pchat_xccos_attr(r->srch, "from")) && v[0]
			&& pchat_xccos_parse_ts(v, &r->q.from_ms) < 0)
		return "from is not an ISO 8601 time";
	if((v = pchat_xccos_attr(r->srch, "to")) && v[0]
			&& pchat_xccos_parse_ts(v, &r->q.to_ms) < 0)
		return "to is not an ISO 8601 time";
	if((v = pchat_xccos_attr(r->srch, "before")) && v[0]
			&& pchat_srch_cursor(v, &r->q) < 0)
		return "before is not a cursor of an earlier answer";
	r->cnt = -1;
	if((v = pchat_xccos_attr(r->srch, "cnt")) && v[0]) {
		r->cnt = strtoll(v, NULL, 10);
		if(r->cnt < 1)
			return "cnt must be at least 1";
	}
	for(c = pchat_xccos_child(r->srch, "chanib"); c;
			c = pchat_xccos_next(c, "chanib"))
		if(++r->nnamed > PCHAT_SEARCH_ROOMS_MAX)
			return "more than 100 rooms";
	return pchat_srch_parse_authors(r);
}

/* Compliance: a SEARCH event, the text in content, the filters in detail. */
static pchat_store_rc_t pchat_comply_chatsrch(
		pchat_cmd_ctx_t *ctx, pchat_srch_req_t *r, int found)
{
	pchat_cevent_t e;
	char detail[200];

	snprintf(detail, sizeof(detail),
			"{\"search\": \"history\", \"rooms\": %d, \"authors\": %d, "
			"\"from_ms\": %lld, \"to_ms\": %lld, \"found\": %d}",
			r->nnamed, r->q.nauthors, r->q.from_ms, r->q.to_ms, found);
	memset(&e, 0, sizeof(e));
	e.type = "SEARCH";
	e.ts_ms = pchat_now_ms();
	e.user = &ctx->user;
	e.content = r->q.text;
	e.detail = detail;
	return pchat_compliance_event(&e);
}

/* The messages (newest first), a chanib around each run of one room, and
 * the srchib with the cursor of the last one written when more remain.
 * Returns the number of messages written. */
static int pchat_srch_write(pchat_cmd_ctx_t *ctx, pchat_xccos_env_t *env,
		pchat_xmsg_t *m, pchat_srch_req_t *r, pchat_db_res_t *res, int n,
		pchat_xbuf_t *out)
{
	char uri[256], next[80];
	long long room = 0, cur;
	pchat_xmark_t mk;
	int i, more = res->nrows > n;

	pchat_xw_rpl_start(out, "chatsrch", m->seqid, env->envid, 200,
			pchat_xccos_token(200));
	for(i = 0; i < n; i++) {
		pchat_xmark(out, &mk);
		cur = strtoll(res->rows[i][6], NULL, 10);
		if(cur != room) {
			if(room)
				pchat_xw_end(out, "chanib");
			snprintf(uri, sizeof(uri), "ma-chan://%.*s/%s",
					ctx->invited->host.len, ctx->invited->host.s,
					res->rows[i][7]);
			pchat_xw_start(out, "chanib");
			pchat_xw_attr(out, "uri", uri);
		}
		/* a story or alert in the asking session's form, as bccontext */
		pchat_cmd_write_msg_flags(out, "msg", uri, res->rows[i],
				res->rows[i] + PCHAT_SEARCH_COL_STORY, ctx->ext_story);
		if(out->len > ctx->reply_limit - PCHAT_SRCH_OVERHEAD) {
			pchat_xrewind(out, &mk); /* full: the client pages on */
			more = r->limited = 1;
			break;
		}
		room = cur;
	}
	n = i;
	if(room)
		pchat_xw_end(out, "chanib");
	pchat_xw_start(out, "srchib");
	pchat_xw_attr_int(out, "count", n);
	if(more && n > 0) {
		snprintf(next, sizeof(next), "%s.%s.%s", res->rows[n - 1][1],
				res->rows[n - 1][6], res->rows[n - 1][0]);
		pchat_xw_attr(out, "more", "true");
		pchat_xw_attr(out, "next", next);
	}
	if(r->limited)
		pchat_xw_attr(out, "limited", "true");
	pchat_xw_end(out, "srchib");
	pchat_xw_rpl_end(out);
	return n;
}

/* The rooms to search: those named, or every readable one. *ids is the
 * caller's to free; *code is 200 unless a named room is refused. */
static pchat_store_rc_t pchat_srch_rooms(pchat_cmd_ctx_t *ctx,
		pchat_srch_req_t *r, long long **ids, int *code, const char **why)
{
	pchat_store_rc_t src;

	*code = 200;
	if(r->nnamed == 0)
		return pchat_srch_readable_all(&ctx->user, ids, &r->q.nrooms);
	*ids = malloc(sizeof(long long) * r->nnamed);
	if(*ids == NULL)
		return PCHAT_STORE_ERROR;
	src = pchat_srch_readable_named(ctx, r, *ids, code, why);
	return src;
}

/* The rows to ask for: cnt (default and cap searchLimit), and no more
 * than the rest of the reply could carry. -1: no room for any. */
static int pchat_srch_count(pchat_cmd_ctx_t *ctx, pchat_srch_req_t *r,
		pchat_server_config_t *cfg, pchat_xbuf_t *out)
{
	int budget = ctx->reply_limit - out->len - PCHAT_SRCH_OVERHEAD;

	if(budget < PCHAT_SRCH_MSG_MIN)
		return -1;
	if(r->cnt < 0)
		r->cnt = cfg->search_limit;
	if(r->cnt > cfg->search_limit) {
		r->cnt = cfg->search_limit;
		r->limited = 1;
	}
	if(r->cnt > budget / PCHAT_SRCH_MSG_MIN) {
		r->cnt = budget / PCHAT_SRCH_MSG_MIN;
		r->limited = 1;
	}
	return (int)r->cnt;
}

static pchat_cmd_rc_t pchat_srch_fail(pchat_xccos_env_t *env,
		pchat_xmsg_t *m, pchat_store_rc_t src, pchat_xbuf_t *out)
{
	if(src == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	if(src == PCHAT_STORE_WOULD_WAIT)
		return PCHAT_CMD_WOULD_WAIT;
	pchat_cmd_rpl_error(env, m, "chatsrch", 500,
			pchat_search_timed_out() ? PCHAT_SRCH_SLOW : "storage error", out);
	return PCHAT_CMD_OK;
}

/* cmd:chatsrch (pchat's form, doc/xccos.md 3.17): <srch text cnt from to
 * before> with <author uri>s and <chanib uri>s; messages newest first in
 * a chanib per run of one room, then <srchib count more next limited>. */
pchat_cmd_rc_t pchat_cmd_chatsrch(PCHAT_CMD_ARGS)
{
	pchat_server_config_t cfg;
	pchat_srch_req_t r;
	pchat_db_res_t res;
	pchat_store_rc_t src;
	pchat_xmark_t mk;
	long long *ids = NULL;
	const char *why;
	int code, n;

	if((why = pchat_srch_parse(m, &r)) != NULL) {
		pchat_cmd_rpl_error(env, m, "chatsrch", 400, why, out);
		return PCHAT_CMD_OK;
	}
	src = pchat_store_server_config_cached(&cfg);
	if(src != PCHAT_STORE_OK)
		return pchat_srch_fail(env, m, src, out);
	if((r.q.limit = pchat_srch_count(ctx, &r, &cfg, out)) < 0) {
		pchat_cmd_rpl_error(env, m, "chatsrch", 413, PCHAT_CMD_TOO_BIG, out);
		return PCHAT_CMD_OK;
	}
	r.q.limit++; /* one more row says whether more remain */
	src = pchat_srch_rooms(ctx, &r, &ids, &code, &why);
	if(src == PCHAT_STORE_OK && code != 200) {
		free(ids);
		pchat_cmd_rpl_error(env, m, "chatsrch", code, why, out);
		return PCHAT_CMD_OK;
	}
	r.q.rooms = ids;
	if(src == PCHAT_STORE_OK)
		src = pchat_search_messages(&r.q, &res);
	free(ids);
	if(src != PCHAT_STORE_OK)
		return pchat_srch_fail(env, m, src, out);
	n = res.nrows > r.cnt ? (int)r.cnt : res.nrows;
	/* who searched for what is recorded before the answer goes out */
	if(cfg.compliance
			&& (src = pchat_comply_chatsrch(ctx, &r, n)) != PCHAT_STORE_OK) {
		pchat_db_res_free(&res);
		return pchat_srch_fail(env, m, src, out);
	}
	pchat_xmark(out, &mk);
	if(pchat_srch_write(ctx, env, m, &r, &res, n, out) == 0 && n > 0) {
		pchat_xrewind(out, &mk);
		pchat_cmd_rpl_error(env, m, "chatsrch", 413, PCHAT_CMD_TOO_BIG, out);
	}
	pchat_db_res_free(&res);
	return PCHAT_CMD_OK;
}
