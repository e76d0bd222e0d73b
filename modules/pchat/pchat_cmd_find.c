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
/* Commands layer: what the user may find: rooms (chansrch), pending
 * invitations (getinv), categories where the user may create rooms
 * (nodespermcreatechild). Read-only; never parses SIP. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/dprint.h"

#include "pchat_cmd_room.h"
#include "pchat_compliance.h"
#include "pchat_fanout.h"
#include "pchat_access.h"
#include "pchat_access_rooms.h"
#include "pchat_config.h"
#include "pchat_mod.h"

#define PCHAT_SEARCH_SCAN_MAX 5000

static void pchat_prop(pchat_xbuf_t *out, const char *elem, const char *id,
		const char *value)
{
	pchat_xw_start(out, elem);
	pchat_xw_attr(out, "id", id);
	pchat_xw_text(out, value, strlen(value));
	pchat_xw_end(out, elem);
}

/* LIKE pattern for a substring search: % and _ in the text match
 * themselves. */
static void pchat_like_pattern(const char *in, char *out, int size)
{
	int o = 0;

	out[o++] = '%';
	for(; *in && o < size - 3; in++) {
		if(*in == '%' || *in == '_' || *in == '\\')
			out[o++] = '\\';
		out[o++] = *in;
	}
	out[o++] = '%';
	out[o] = '\0';
}

/* The roles held on the rooms the search below can return (same
 * predicate and limit), as pchat_rooms_rules_t's own takes them. */
static const char *_pchat_search_own_sql =
		"SELECT 'r', 0, r.role, r.principal_type, r.principal, r.node_id "
		"FROM pchat_role r JOIN (SELECT id FROM pchat_node WHERE kind = "
		"'room' AND (name LIKE ? OR (? AND description LIKE ?)) ORDER BY "
		"name LIMIT ?) f ON r.node_id = f.id ORDER BY r.node_id";

/* The user's side of the rules, the rules and the rooms a search may
 * return, from one snapshot: a room's rules must come from the same state
 * of the tree as the room. All are the caller's to free when it returns
 * OK. */
static pchat_store_rc_t pchat_search_read(str *user, const char *pattern,
		int extended, pchat_viewer_t *v, pchat_rooms_rules_t *rules,
		pchat_db_res_t *rooms)
{
	pchat_store_rc_t src;

	src = pchat_db_begin();
	if(src != PCHAT_STORE_OK)
		return src;
	src = pchat_rooms_rules_read_cats(rules, v, user);
	if(src != PCHAT_STORE_OK) {
		pchat_db_rollback();
		return src;
	}
	src = pchat_db_exec(_pchat_search_own_sql, &rules->own, pattern,
			(long long)extended, pattern, (long long)PCHAT_SEARCH_SCAN_MAX);
	if(src == PCHAT_STORE_OK)
		src = pchat_db_exec(PCHAT_ROOM_SELECT
				"WHERE r.kind = 'room' AND (r.name LIKE ? OR "
				"(? AND r.description LIKE ?)) ORDER BY r.name LIMIT ?",
				rooms, pattern, (long long)extended, pattern,
				(long long)PCHAT_SEARCH_SCAN_MAX);
	if(src != PCHAT_STORE_OK) {
		pchat_db_rollback();
		pchat_rooms_rules_free(rules, v);
		return src;
	}
	src = pchat_db_commit();
	if(src != PCHAT_STORE_OK) {
		pchat_db_res_free(rooms);
		pchat_rooms_rules_free(rules, v);
	}
	return src;
}

/* cmd:chansrch BYNAME: case-insensitive substring of name (or, with
 * extended="true", name or description) over the rooms the user may see;
 * ucnt is the number of online participants, pool-wide. */
/* Compliance: a SEARCH event, the query in content. */
static pchat_store_rc_t pchat_comply_search(
		pchat_cmd_ctx_t *ctx, const char *criteria, int extended, int found)
{
	pchat_cevent_t e;
	char detail[96];

	snprintf(detail, sizeof(detail),
			"{\"search\": \"rooms\", \"extended\": %s, \"found\": %d}",
			extended ? "true" : "false", found);
	memset(&e, 0, sizeof(e));
	e.type = "SEARCH";
	e.ts_ms = pchat_now_ms();
	e.user = &ctx->user;
	e.content = criteria ? criteria : "";
	e.detail = detail;
	return pchat_compliance_event(&e);
}

pchat_cmd_rc_t pchat_cmd_chansrch(PCHAT_CMD_ARGS)
{
	pchat_server_config_t cfg;
	pchat_db_res_t res;
	pchat_rooms_rules_t acc;
	pchat_room_t room;
	pchat_perm_in_t in;
	pchat_viewer_t viewer;
	pchat_store_rc_t src;
	xmlNodePtr qib;
	const char *qtype, *criteria, *ext;
	char pattern[1100], uri[256], count[16];
	int i, found = 0, extended;
	pchat_xmark_t mk, start;

	qib = m->data ? pchat_xccos_child(m->data, "qib") : NULL;
	qtype = qib ? pchat_xccos_attr(qib, "qtype") : NULL;
	if(qtype == NULL || strcasecmp(qtype, "BYNAME") != 0) {
		pchat_cmd_rpl_error(env, m, "chansrch", 501,
				"only qib qtype=\"BYNAME\" is supported", out);
		return PCHAT_CMD_OK;
	}
	criteria = pchat_xccos_attr(qib, "criteria");
	ext = pchat_xccos_attr(qib, "extended");
	extended = ext && strcasecmp(ext, "true") == 0;
	if(pchat_store_server_config_cached(&cfg) == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	/* the user's side of the rules once, not once per room found */
	pchat_like_pattern(criteria ? criteria : "", pattern, sizeof(pattern));
	src = pchat_search_read(
			&ctx->user, pattern, extended, &viewer, &acc, &res);
	if(src != PCHAT_STORE_OK) {
		if(src == PCHAT_STORE_UNAVAILABLE)
			return PCHAT_CMD_UNAVAILABLE;
		pchat_cmd_rpl_error(env, m, "chansrch", 500, "storage error", out);
		return PCHAT_CMD_OK;
	}
	pchat_xmark(out, &start);
	pchat_xw_rpl_start(out, "chansrch", m->seqid, env->envid, 200,
			pchat_xccos_token(200));
	for(i = 0; i < res.nrows && found < cfg.search_limit; i++) {
		pchat_room_from_row(res.rows[i], &room);
		if(pchat_rooms_rules_access(&acc, &room, &viewer, &in)
						!= PCHAT_STORE_OK
				|| !(pchat_perm_eval(&in) & PCHAT_PERM_SEE))
			continue;
		found++;
		pchat_xmark(out, &mk);
		snprintf(uri, sizeof(uri), "ma-chan://%.*s/%s",
				ctx->invited->host.len, ctx->invited->host.s, room.guid);
		snprintf(count, sizeof(count), "%d", pchat_room_online(room.id));
		pchat_xw_start(out, "chanib");
		pchat_xw_attr(out, "name", room.name);
		pchat_xw_attr(out, "description", room.description);
		pchat_xw_attr(out, "uri", uri);
		pchat_prop(out, "info", "urn:parlano:ma:info:ucnt", count);
		/* sipe matches the misspelt id; the right spelling goes beside */
		pchat_prop(out, "info", "urn:parlano:ma:info:visibilty",
				room.privacy == PCHAT_PRIVACY_OPEN ? "public" : "private");
		pchat_prop(out, "info", "urn:parlano:ma:info:visibility",
				room.privacy == PCHAT_PRIVACY_OPEN ? "public" : "private");
		pchat_prop(out, "prop", "urn:parlano:ma:prop:filepost",
				room.file_upload ? "true" : "false");
		pchat_prop(out, "prop", "urn:parlano:ma:prop:invite",
				room.invitations ? "true" : "false");
		pchat_prop(out, "prop", "urn:parlano:ma:prop:logged",
				room.chat_history ? "true" : "false");
		pchat_xw_end(out, "chanib");
		if(out->len > ctx->reply_limit - 32) {
			/* the reply is full: the first rooms by name, refine the search */
			pchat_xrewind(out, &mk);
			break;
		}
	}
	pchat_xw_rpl_end(out);
	pchat_db_res_free(&res);
	pchat_rooms_rules_free(&acc, &viewer);
	/* the search is recorded before its answer goes out */
	if(cfg.compliance
			&& (src = pchat_comply_search(ctx, criteria, extended, found))
					   != PCHAT_STORE_OK) {
		pchat_xrewind(out, &start);
		if(src == PCHAT_STORE_UNAVAILABLE)
			return PCHAT_CMD_UNAVAILABLE;
		pchat_cmd_rpl_error(env, m, "chansrch", 500, "storage error", out);
	}
	return PCHAT_CMD_OK;
}

/* cmd:getinv: the user's pending invitations, consumed when joining. */
pchat_cmd_rc_t pchat_cmd_getinv(PCHAT_CMD_ARGS)
{
	pchat_db_res_t res;
	pchat_store_rc_t src;
	char uri[256], ts[40];
	int i;

	src = pchat_db_exec(
			"SELECT i.id, n.guid, n.name, i.invited_by, "
			"CAST(UNIX_TIMESTAMP(i.created_at) * 1000 AS SIGNED) "
			"FROM pchat_invitation i JOIN pchat_node n ON n.id = i.room_id "
			"WHERE i.user_uri = ? ORDER BY i.id",
			&res, &ctx->user);
	if(src == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	if(src != PCHAT_STORE_OK) {
		pchat_cmd_rpl_error(env, m, "getinv", 500, "storage error", out);
		return PCHAT_CMD_OK;
	}
	pchat_xw_rpl_start(out, "getinv", m->seqid, env->envid, 200,
			pchat_xccos_token(200));
	for(i = 0; i < res.nrows; i++) {
		snprintf(uri, sizeof(uri), "ma-chan://%.*s/%s",
				ctx->invited->host.len, ctx->invited->host.s, res.rows[i][1]);
		pchat_xccos_format_ts(ts, strtoll(res.rows[i][4], NULL, 10));
		pchat_xw_start(out, "inv");
		pchat_xw_attr(out, "inviteId", res.rows[i][0]);
		pchat_xw_attrn(out, "domain", ctx->invited->host.s,
				ctx->invited->host.len);
		pchat_xw_attr(out, "chanUri", uri);
		pchat_xw_attr(out, "name", res.rows[i][2]);
		pchat_xw_attr(out, "invitedBy", res.rows[i][3]);
		pchat_xw_attr(out, "ts", ts);
		pchat_xw_end(out, "inv");
	}
	pchat_xw_rpl_end(out);
	pchat_db_res_free(&res);
	return PCHAT_CMD_OK;
}

/* cmd:nodespermcreatechild: categories where the user is a creator. */
pchat_cmd_rc_t pchat_cmd_nodespermcreatechild(PCHAT_CMD_ARGS)
{
	pchat_creator_cats_t cats;
	pchat_store_rc_t src;
	const char *guid, *name;
	char uri[256];

	src = pchat_creator_cats_open(&ctx->user, &cats);
	if(src == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	if(src != PCHAT_STORE_OK) {
		pchat_cmd_rpl_error(
				env, m, "nodespermcreatechild", 500, "storage error", out);
		return PCHAT_CMD_OK;
	}
	pchat_xw_rpl_start(out, "nodespermcreatechild", m->seqid, env->envid, 200,
			pchat_xccos_token(200));
	while(pchat_creator_cats_next(&cats, &guid, &name)) {
		snprintf(uri, sizeof(uri), "ma-cat://%.*s/%s", ctx->invited->host.len,
				ctx->invited->host.s, guid);
		pchat_xw_start(out, "catib");
		pchat_xw_attr(out, "uri", uri);
		pchat_xw_attr(out, "name", name);
		pchat_xw_end(out, "catib");
	}
	pchat_xw_rpl_end(out);
	pchat_creator_cats_close(&cats);
	return PCHAT_CMD_OK;
}
