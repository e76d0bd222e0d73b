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
/* Commands layer: followed rooms (doc/xccos.md 3.18, pchat extensions):
 * cmd:follow, cmd:unfollow, cmd:followread, cmd:followlist (unread counts
 * and the newest post without joining), and the rooms bjoin adds. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dprint.h"
#include "core/mem/pkg.h"

#include "pchat_access.h"
#include "pchat_access_rooms.h"
#include "pchat_cmd_room.h"
#include "pchat_follow.h"
#include "pchat_mod.h"

/* Unread posts are counted up to this many ("1000+"): a room read long
 * ago costs a bounded count, not its history. */
#define PCHAT_FOLLOW_UNREAD_CAP 1000
/* What followlist keeps for its closing summary and the reply's end. */
#define PCHAT_FOLLOW_TAIL 96

static void pchat_follow_uri(
		pchat_cmd_ctx_t *ctx, const char *guid, char *buf, int size)
{
	snprintf(buf, size, "ma-chan://%.*s/%s", ctx->invited->host.len,
			ctx->invited->host.s, guid);
}

static pchat_cmd_rc_t pchat_follow_store_error(pchat_xccos_env_t *env,
		pchat_xmsg_t *m, const char *name, int src, pchat_xbuf_t *out)
{
	if(src == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	pchat_cmd_rpl_error(env, m, name, 500, "storage error", out);
	return PCHAT_CMD_OK;
}

/* The room of the command's chanib, answered exactly as bccontext answers
 * it when the user may not read it (a hidden room is a missing one):
 * *ok 1 with room set, 0 when the error reply is written. */
static pchat_cmd_rc_t pchat_follow_readable(PCHAT_CMD_ARGS, const char *name,
		pchat_room_t *room, xmlNodePtr *chan, int *ok)
{
	const char *uri, *why = NULL;
	pchat_cmd_rc_t rc;
	int code;

	*ok = 0;
	*chan = m->data ? pchat_xccos_child(m->data, "chanib") : NULL;
	uri = *chan ? pchat_xccos_attr(*chan, "uri") : NULL;
	rc = pchat_room_for_read(ctx, uri, room, &code, &why);
	if(rc != PCHAT_CMD_OK)
		return rc;
	if(code != 200)
		pchat_cmd_rpl_error(env, m, name, code, why, out);
	else
		*ok = 1;
	return PCHAT_CMD_OK;
}

/* The unread count as written: "1000+" at the cap. */
static void pchat_follow_write_unread(pchat_xbuf_t *out, int n)
{
	char v[16];

	snprintf(v, sizeof(v), "%d%s", n, n >= PCHAT_FOLLOW_UNREAD_CAP ? "+" : "");
	pchat_xw_attr(out, "unread", v);
}

/* cmd:follow <chanib uri/>: the user follows a room it may read, from its
 * newest post on (nothing unread yet); at most follow_max rooms. */
pchat_cmd_rc_t pchat_cmd_follow(PCHAT_CMD_ARGS)
{
	pchat_room_t room;
	xmlNodePtr chan;
	char uri[256], why[128];
	pchat_cmd_rc_t crc;
	int rc, ok;

	crc = pchat_follow_readable(ctx, env, m, out, "follow", &room, &chan, &ok);
	if(crc != PCHAT_CMD_OK || !ok)
		return crc;
	rc = pchat_follow_add(&ctx->user, room.id, pchat_follow_max);
	if(rc < 0)
		return pchat_follow_store_error(env, m, "follow", rc, out);
	if(rc == PCHAT_FOLLOW_FULL) {
		snprintf(why, sizeof(why),
				"the user already follows %d rooms (follow_max)",
				pchat_follow_max);
		pchat_cmd_rpl_error(env, m, "follow", 403, why, out);
		return PCHAT_CMD_OK;
	}
	pchat_follow_uri(ctx, room.guid, uri, sizeof(uri));
	pchat_xw_rpl_start(
			out, "follow", m->seqid, env->envid, 200, pchat_xccos_token(200));
	pchat_xw_start(out, "chanib");
	pchat_xw_attr(out, "uri", uri);
	pchat_xw_attr(out, "name", room.name);
	pchat_xw_end(out, "chanib");
	pchat_xw_rpl_end(out);
	return PCHAT_CMD_OK;
}

/* cmd:unfollow <chanib uri/>: works for a room the user can no longer
 * read too; a room not followed (or not existing) is 404 alike. */
pchat_cmd_rc_t pchat_cmd_unfollow(PCHAT_CMD_ARGS)
{
	xmlNodePtr chan = m->data ? pchat_xccos_child(m->data, "chanib") : NULL;
	char guid[64], uri[256];
	int rc;

	if(pchat_room_guid_of_uri(
			   chan ? pchat_xccos_attr(chan, "uri") : NULL, guid, sizeof(guid))
			< 0) {
		pchat_cmd_rpl_error(
				env, m, "unfollow", 400, "chanib uri is not ma-chan://", out);
		return PCHAT_CMD_OK;
	}
	rc = pchat_follow_remove(&ctx->user, guid);
	if(rc < 0)
		return pchat_follow_store_error(env, m, "unfollow", rc, out);
	if(rc == 0) {
		pchat_cmd_rpl_error(env, m, "unfollow", 404, "not followed", out);
		return PCHAT_CMD_OK;
	}
	pchat_follow_uri(ctx, guid, uri, sizeof(uri));
	pchat_xw_rpl_start(
			out, "unfollow", m->seqid, env->envid, 200, pchat_xccos_token(200));
	pchat_xw_start(out, "chanib");
	pchat_xw_attr(out, "uri", uri);
	pchat_xw_end(out, "chanib");
	pchat_xw_rpl_end(out);
	return PCHAT_CMD_OK;
}

/* cmd:followread <chanib uri [msgid]/>: the read mark moves forward to
 * msgid (default: the newest post); answered with the mark and what is
 * still unread. */
pchat_cmd_rc_t pchat_cmd_followread(PCHAT_CMD_ARGS)
{
	pchat_room_t room;
	xmlNodePtr chan;
	const char *v;
	long long seq = 0, last = 0;
	char uri[256];
	pchat_cmd_rc_t crc;
	int rc, ok, unread = 0;

	crc = pchat_follow_readable(
			ctx, env, m, out, "followread", &room, &chan, &ok);
	if(crc != PCHAT_CMD_OK || !ok)
		return crc;
	v = pchat_xccos_attr(chan, "msgid");
	if(v && (seq = strtoll(v, NULL, 10)) <= 0) {
		pchat_cmd_rpl_error(env, m, "followread", 400,
				"msgid must be a message id (at least 1)", out);
		return PCHAT_CMD_OK;
	}
	rc = pchat_follow_get(&ctx->user, room.id, &last);
	if(rc == 0) {
		pchat_cmd_rpl_error(env, m, "followread", 404, "not followed", out);
		return PCHAT_CMD_OK;
	}
	if(rc > 0)
		rc = pchat_follow_mark(&ctx->user, room.id, seq);
	if(rc >= 0)
		rc = pchat_follow_get(&ctx->user, room.id, &last);
	if(rc >= 0)
		rc = pchat_follow_unread(
				&ctx->user, room.id, last, PCHAT_FOLLOW_UNREAD_CAP, &unread);
	if(rc < 0)
		return pchat_follow_store_error(env, m, "followread", rc, out);
	pchat_follow_uri(ctx, room.guid, uri, sizeof(uri));
	pchat_xw_rpl_start(out, "followread", m->seqid, env->envid, 200,
			pchat_xccos_token(200));
	pchat_xw_start(out, "chanib");
	pchat_xw_attr(out, "uri", uri);
	pchat_xw_attr_int(out, "lastread", last);
	pchat_follow_write_unread(out, unread);
	pchat_xw_end(out, "chanib");
	pchat_xw_rpl_end(out);
	return PCHAT_CMD_OK;
}

/* One room of a followlist answer: what the store said, and the bytes
 * its entry takes without its newest post (base) and what the post adds
 * (extra), so the reply can carry every count before any text. */
typedef struct pchat_follow_item
{
	char **row; /* room_id, last_read_seq, created_ms, guid */
	int readable;
	int history; /* its category keeps history: the newest post shows */
	int unread;
	char *name;
	pchat_db_res_t newest;
	int base;
	int extra;
	int with_msg;
} pchat_follow_item_t;

static void pchat_follow_item_free(pchat_follow_item_t *it)
{
	free(it->name);
	pchat_db_res_free(&it->newest);
}

/* The followed rooms (PCHAT_ROOM_SELECT's columns) and the roles and
 * walls of each (as pchat_room_access_rows() reads them, the room id
 * last), both ordered by room id, read in one snapshot: a page costs two
 * queries for its rules, not two a room. */
static const char *_pchat_follow_rooms_sql =
		PCHAT_ROOM_SELECT "WHERE r.kind = 'room' AND r.id IN (SELECT room_id "
						  "FROM pchat_follow WHERE user_uri = ?) ORDER BY r.id";
static const char *_pchat_follow_access_sql =
		"WITH RECURSIVE up (room, id, parent_id, lvl) AS ("
		"SELECT r.id, r.id, r.parent_id, 0 FROM pchat_node r "
		"WHERE r.kind = 'room' AND r.id IN (SELECT room_id FROM pchat_follow "
		"WHERE user_uri = ?) "
		"UNION ALL SELECT up.room, n.id, n.parent_id, up.lvl + 1 "
		"FROM pchat_node n JOIN up ON n.id = up.parent_id) "
		"SELECT 'r', up.lvl, r.role, r.principal_type, r.principal, up.room "
		"FROM pchat_role r JOIN up ON r.node_id = up.id "
		"UNION ALL "
		"SELECT 's', up.lvl - 1, s.scope, s.principal_type, s.principal, "
		"up.room FROM pchat_scope s JOIN up ON s.category_id = up.id "
		"WHERE up.lvl > 0 ORDER BY 6";

typedef struct pchat_follow_rules
{
	pchat_viewer_t viewer;
	pchat_db_res_t follows; /* pchat_follow_rooms(): the list's order */
	pchat_db_res_t rooms;
	pchat_db_res_t rules;
} pchat_follow_rules_t;

static void pchat_follow_rules_free(pchat_follow_rules_t *r)
{
	pchat_db_res_free(&r->rules);
	pchat_db_res_free(&r->rooms);
	pchat_db_res_free(&r->follows);
	pchat_viewer_free(&r->viewer);
}

static pchat_store_rc_t pchat_follow_rules_load(
		str *user, pchat_follow_rules_t *r)
{
	pchat_store_rc_t rc;

	memset(r, 0, sizeof(*r));
	if((rc = pchat_viewer_load(&r->viewer, user)) != PCHAT_STORE_OK)
		return rc;
	if((rc = pchat_db_begin()) != PCHAT_STORE_OK)
		return rc;
	rc = pchat_follow_rooms(user, &r->follows);
	if(rc == PCHAT_STORE_OK)
		rc = pchat_db_exec(_pchat_follow_rooms_sql, &r->rooms, user);
	if(rc == PCHAT_STORE_OK)
		rc = pchat_db_exec(_pchat_follow_access_sql, &r->rules, user);
	if(rc == PCHAT_STORE_OK)
		return pchat_db_commit();
	pchat_db_rollback();
	return rc;
}

/* What followlist says of one followed room. A room the user may no
 * longer read (or that went away meanwhile) is only marked unreadable:
 * no count or text outlives the user's right to read it. */
static pchat_store_rc_t pchat_follow_gather(pchat_cmd_ctx_t *ctx,
		pchat_follow_rules_t *r, char **row, pchat_follow_item_t *it)
{
	long long id = strtoll(row[0], NULL, 10);
	pchat_perm_in_t in;
	pchat_room_t room;
	int first, n, rc;

	memset(it, 0, sizeof(*it));
	it->row = row;
	first = pchat_rows_of_room(&r->rooms, 0, id, &n);
	if(n == 0)
		return PCHAT_STORE_OK;
	pchat_room_from_row(r->rooms.rows[first], &room);
	first = pchat_rows_of_room(&r->rules, 5, id, &n);
	rc = pchat_room_access_rows(
			&room, &r->viewer, r->rules.rows + first, n, &in);
	if(rc != PCHAT_STORE_OK)
		return rc;
	if(pchat_perm_refusal(&in, PCHAT_PERM_READ) != NULL)
		return PCHAT_STORE_OK;
	it->readable = 1;
	it->history = room.chat_history;
	if((it->name = strdup(room.name)) == NULL)
		return PCHAT_STORE_ERROR;
	rc = pchat_follow_newest(&ctx->user, id, strtoll(row[1], NULL, 10),
			PCHAT_FOLLOW_UNREAD_CAP, &it->newest);
	if(rc == PCHAT_STORE_OK && it->newest.nrows > 0)
		it->unread = atoi(it->newest.rows[0][6]);
	return rc;
}

static void pchat_follow_write(pchat_cmd_ctx_t *ctx, pchat_follow_item_t *it,
		int with_msg, pchat_xbuf_t *out)
{
	char uri[256];

	pchat_follow_uri(ctx, it->row[3], uri, sizeof(uri));
	pchat_xw_start(out, "chanib");
	pchat_xw_attr(out, "uri", uri);
	if(!it->readable) {
		pchat_xw_attr(out, "readable", "false");
	} else {
		pchat_xw_attr(out, "name", it->name);
		pchat_xw_attr(out, "lastread", it->row[1]);
		pchat_follow_write_unread(out, it->unread);
		if(with_msg && it->history && it->newest.nrows > 0)
			pchat_cmd_write_msg(out, "msg", uri, it->newest.rows[0]);
	}
	pchat_xw_end(out, "chanib");
}

static int pchat_follow_measure(pchat_cmd_ctx_t *ctx, pchat_follow_item_t *it)
{
	pchat_xbuf_t b;
	int err;

	pchat_xbuf_init(&b);
	pchat_follow_write(ctx, it, 0, &b);
	it->base = b.len;
	b.len = 0;
	pchat_follow_write(ctx, it, 1, &b);
	it->extra = b.len - it->base;
	err = b.err;
	pchat_xbuf_free(&b);
	return err ? -1 : 0;
}

/* The rooms from the from-th on whose entries fit budget bytes; a long
 * list costs the queries of one page. *n items. */
static pchat_store_rc_t pchat_follow_page(pchat_cmd_ctx_t *ctx,
		pchat_follow_rules_t *r, int from, int budget,
		pchat_follow_item_t *items, int *n)
{
	pchat_store_rc_t rc = PCHAT_STORE_OK;
	int i, used = 0;

	*n = 0;
	for(i = from; i < r->follows.nrows; i++) {
		rc = pchat_follow_gather(ctx, r, r->follows.rows[i], &items[*n]);
		if(rc == PCHAT_STORE_OK && pchat_follow_measure(ctx, &items[*n]) < 0)
			rc = PCHAT_STORE_ERROR;
		if(rc != PCHAT_STORE_OK || used + items[*n].base > budget) {
			pchat_follow_item_free(&items[*n]);
			break;
		}
		used += items[*n].base;
		(*n)++;
	}
	/* what is left after every count goes to the newest posts, in order */
	for(i = 0; rc == PCHAT_STORE_OK && i < *n; i++) {
		if(used + items[i].extra <= budget) {
			items[i].with_msg = 1;
			used += items[i].extra;
		}
	}
	return rc;
}

/* cmd:followlist [<follows from="K"/>]: the followed rooms, oldest follow
 * first, from the K-th on, without joining any; every count before any
 * newest post; ends with <follows total from listed [next]/>. */
pchat_cmd_rc_t pchat_cmd_followlist(PCHAT_CMD_ARGS)
{
	xmlNodePtr q = m->data ? pchat_xccos_child(m->data, "follows") : NULL;
	const char *v = q ? pchat_xccos_attr(q, "from") : NULL;
	pchat_follow_item_t *items = NULL;
	pchat_follow_rules_t r;
	pchat_xmark_t start;
	int rc, i, n = 0, from = 0, total;
	char *end;

	if(v) {
		from = (int)strtol(v, &end, 10);
		if(*end != '\0' || end == v || from < 0) {
			pchat_cmd_rpl_error(env, m, "followlist", 400,
					"from must be a number (0 or more)", out);
			return PCHAT_CMD_OK;
		}
	}
	if((rc = pchat_follow_rules_load(&ctx->user, &r)) != PCHAT_STORE_OK) {
		pchat_follow_rules_free(&r);
		return pchat_follow_store_error(env, m, "followlist", rc, out);
	}
	total = r.follows.nrows;
	if(from > total)
		from = total;
	items = malloc(sizeof(*items) * (total - from + 1));
	pchat_xmark(out, &start);
	pchat_xw_rpl_start(out, "followlist", m->seqid, env->envid, 200,
			pchat_xccos_token(200));
	rc = items ? pchat_follow_page(ctx, &r, from,
				 ctx->reply_limit - out->len - PCHAT_FOLLOW_TAIL, items, &n)
			   : PCHAT_STORE_ERROR;
	for(i = 0; i < n; i++) {
		if(rc == PCHAT_STORE_OK)
			pchat_follow_write(ctx, &items[i], items[i].with_msg, out);
		pchat_follow_item_free(&items[i]);
	}
	free(items);
	pchat_follow_rules_free(&r);
	if(rc != PCHAT_STORE_OK) {
		pchat_xrewind(out, &start);
		return pchat_follow_store_error(env, m, "followlist", rc, out);
	}
	pchat_xw_start(out, "follows");
	pchat_xw_attr_int(out, "total", total);
	pchat_xw_attr_int(out, "from", from);
	pchat_xw_attr_int(out, "listed", n);
	if(from + n < total)
		pchat_xw_attr_int(out, "next", from + n);
	pchat_xw_end(out, "follows");
	pchat_xw_rpl_end(out);
	return PCHAT_CMD_OK;
}

void pchat_follow_seen(pchat_cmd_ctx_t *ctx, long long room_id, long long seq)
{
	pchat_store_rc_t rc = pchat_follow_mark(&ctx->user, room_id, seq);

	if(rc != PCHAT_STORE_OK)
		LM_WARN("cannot mark room %lld read for %.*s (%d)\n", room_id,
				ctx->user.len, ctx->user.s, (int)rc);
}

pchat_store_rc_t pchat_follow_for_bjoin(
		pchat_cmd_ctx_t *ctx, int asked, pchat_db_res_t *res)
{
	unsigned long long one;

	memset(res, 0, sizeof(*res));
	/* a session's first bjoin is its sign-in's: a client that re-joins
	 * its open rooms later does not get the followed ones again */
	if(!asked
			&& (!pchat_follow_bjoin
					|| _pchat_roster.rooms_of(ctx->sess_id, &one, 1) > 0))
		return PCHAT_STORE_OK;
	return pchat_follow_rooms(&ctx->user, res);
}
