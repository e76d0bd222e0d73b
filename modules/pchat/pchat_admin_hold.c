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
/* Admin RPCs for legal holds (pchat.hold_add/_remove/_list) and the
 * retention job (pchat.retention_run/_status). A hold names a room or a
 * category by its guid, a user by the canonical sip: URI. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pchat_admin.h"
#include "pchat_admin_rpc.h"
#include "pchat_identity.h"
#include "pchat_retention.h"

#define PCHAT_HOLD_TEXT_MAX 256 /* 255 characters + NUL, as the columns */
#define PCHAT_GUID_LEN 36

static const char *pchat_hold_kinds[] = {"room", "category", "user", NULL};

/* The scope of a hold, as stored: a node's guid or a canonical URI. */
typedef struct pchat_hold_scope
{
	const char *type; /* "room", "category", "user" */
	char scope[PCHAT_HOLD_TEXT_MAX];
} pchat_hold_scope_t;

/* A guid as pchat_node stores them (UUID(): lower-case hex and dashes)? */
static int pchat_hold_is_guid(const char *s)
{
	int i;

	if(strlen(s) != PCHAT_GUID_LEN)
		return 0;
	for(i = 0; i < PCHAT_GUID_LEN; i++) {
		if(i == 8 || i == 13 || i == 18 || i == 23) {
			if(s[i] != '-')
				return 0;
		} else if(!isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* A room or category by name, guid or ma-chan:// / ma-cat:// URI: its
 * guid into sc->scope. For a removal (may_be_gone) a well-formed guid
 * that no node has any more is taken as it is (the node was removed
 * under a hold). 0 found, -1 error set. */
static int pchat_hold_node(pchat_args_t *args, const char *key, char *in,
		int may_be_gone, pchat_hold_scope_t *sc)
{
	const char *prefix = strcmp(key, "room") == 0 ? "ma-chan://" : "ma-cat://";
	char *v = in, *slash;
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	int i;

	if(strncasecmp(in, prefix, strlen(prefix)) == 0) {
		slash = strrchr(in + strlen(prefix), '/');
		if(slash == NULL || !pchat_hold_is_guid(slash + 1))
			return pchat_args_error(args, 400,
					"field '%s': '%s' is not a %s<domain>/<guid> URI", key, in,
					prefix);
		v = slash + 1;
	}
	if(pchat_hold_is_guid(v))
		for(i = 0; v[i]; i++)
			v[i] = tolower((unsigned char)v[i]);
	rc = pchat_db_exec("SELECT guid FROM pchat_node WHERE kind = ? AND "
					   "(guid = ? OR name = ?) ORDER BY guid = ? DESC LIMIT 1",
			&res, key, v, v, v);
	if(rc != PCHAT_STORE_OK)
		return pchat_admin_store_error(args, rc, "looking up the node");
	if(res.nrows > 0) {
		snprintf(sc->scope, sizeof(sc->scope), "%s", res.rows[0][0]);
		pchat_db_res_free(&res);
		return 0;
	}
	pchat_db_res_free(&res);
	if(may_be_gone && pchat_hold_is_guid(v)) {
		snprintf(sc->scope, sizeof(sc->scope), "%s", v);
		return 0;
	}
	return pchat_args_error(
			args, 404, "field '%s': no %s named '%s'", key, key, in);
}

/* Exactly one of room=, category=, user=, canonicalised into sc. */
static int pchat_hold_scope(
		pchat_args_t *args, int may_be_gone, pchat_hold_scope_t *sc)
{
	char in[PCHAT_HOLD_TEXT_MAX], first[PCHAT_HOLD_TEXT_MAX];
	const char *why = NULL;
	int i, r, n = 0;

	for(i = 0; pchat_hold_kinds[i]; i++) {
		r = pchat_args_cstr(args, pchat_hold_kinds[i], in, sizeof(in));
		if(r < 0)
			return -1;
		if(r == 0)
			continue;
		if(n++ == 0) {
			sc->type = pchat_hold_kinds[i];
			memcpy(first, in, sizeof(first));
		}
	}
	if(n != 1)
		return pchat_args_error(args, 400,
				"exactly one of the fields 'room', 'category' and 'user' is "
				"required (%d given)",
				n);
	if(first[0] == '\0')
		return pchat_args_error(
				args, 400, "field '%s' must not be empty", sc->type);
	if(strcmp(sc->type, "user") != 0)
		return pchat_hold_node(args, sc->type, first, may_be_gone, sc);
	if(strncasecmp(first, "sip:", 4) != 0
			|| pchat_identity_canon(
					   first, strlen(first), sc->scope, sizeof(sc->scope), &why)
					   <= 0)
		return pchat_args_error(args, 400,
				"field 'user': '%s' is not a user URI (sip:user@domain)%s%s",
				first, why ? ": " : "", why ? why : "");
	return 0;
}

static const char *_pchat_hold_select =
		"SELECT h.id, h.scope_type, h.scope, n.name, h.reason, h.created_by, "
		"h.created_ms FROM pchat_legal_hold h LEFT JOIN pchat_node n ON "
		"n.guid = h.scope COLLATE utf8mb4_bin AND n.kind = h.scope_type "
		"WHERE (? IS NULL OR h.scope_type = ?) ORDER BY h.id LIMIT ?";

static int pchat_hold_add_row(rpc_t *rpc, void *ctx, char **row)
{
	void *th;
	char uri[320];
	const char *kind = row[1];

	if(rpc->add(ctx, "{", &th) < 0)
		return -1;
	if(strcmp(kind, "user") == 0)
		snprintf(uri, sizeof(uri), "%s", row[2]);
	else
		pchat_admin_node_uri(kind, row[2], uri, sizeof(uri));
	return rpc->struct_add(th, "sssssssss", "id", row[0], "type", kind, "scope",
			row[2], "uri", uri, "name", row[3] ? row[3] : "", "exists",
			(row[3] || strcmp(kind, "user") == 0) ? "1" : "0", "reason", row[4],
			"created_by", row[5], "created_ms", row[6]);
}

static int pchat_hold_reply(rpc_t *rpc, void *ctx, pchat_args_t *args,
		const char *type, long long limit)
{
	return pchat_admin_reply_rows(rpc, ctx, args, _pchat_hold_select, type,
			limit, pchat_hold_add_row, "reading the legal holds");
}

static long long pchat_hold_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *pchat_rpc_hold_add_doc[] = {
		"Put a legal hold: exactly one of room= / category= (name, guid or "
		"ma-chan:// / ma-cat:// URI) or user= (sip:user@domain); reason=, "
		"by= (who asks; free text). Retention removes nothing it covers.",
		0};

static void pchat_rpc_hold_add(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	pchat_hold_scope_t sc;
	char reason[PCHAT_HOLD_TEXT_MAX] = "", by[PCHAT_HOLD_TEXT_MAX] = "";
	pchat_store_rc_t rc;
	pchat_db_res_t res;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_args_cstr(&args, "reason", reason, sizeof(reason)) < 0
			|| pchat_args_cstr(&args, "by", by, sizeof(by)) < 0
			|| pchat_hold_scope(&args, 0, &sc) < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	rc = pchat_db_exec("INSERT INTO pchat_legal_hold (scope_type, scope, "
					   "reason, created_by, created_ms) VALUES (?, ?, ?, ?, ?)",
			NULL, sc.type, sc.scope, reason, by, pchat_hold_now_ms());
	if(rc == PCHAT_STORE_ERROR && pchat_db_errno() == PCHAT_ER_DUP_ENTRY) {
		pchat_args_error(
				&args, 409, "%s %s is already held", sc.type, sc.scope);
		goto fault;
	}
	if(rc != PCHAT_STORE_OK) {
		pchat_admin_store_error(&args, rc, "adding the legal hold");
		goto fault;
	}
	rc = pchat_db_exec(
			"SELECT h.id, h.scope_type, h.scope, n.name, h.reason, "
			"h.created_by, h.created_ms FROM pchat_legal_hold h LEFT JOIN "
			"pchat_node n ON n.guid = h.scope COLLATE utf8mb4_bin AND n.kind "
			"= h.scope_type WHERE h.scope_type = ? AND h.scope = ?",
			&res, sc.type, sc.scope);
	if(rc != PCHAT_STORE_OK) {
		pchat_admin_store_error(&args, rc, "reading the legal hold");
		goto fault;
	}
	if(res.nrows > 0)
		pchat_hold_add_row(rpc, ctx, res.rows[0]);
	pchat_db_res_free(&res);
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

static const char *pchat_rpc_hold_remove_doc[] = {
		"Lift a legal hold: exactly one of room=, category=, user= as for "
		"pchat.hold_add (a removed node by its guid).",
		0};

static void pchat_rpc_hold_remove(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	pchat_hold_scope_t sc;
	pchat_store_rc_t rc;
	void *th;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_hold_scope(&args, 1, &sc) < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	rc = pchat_db_exec("DELETE FROM pchat_legal_hold WHERE scope_type = ? "
					   "AND scope = ?",
			NULL, sc.type, sc.scope);
	if(rc != PCHAT_STORE_OK) {
		pchat_admin_store_error(&args, rc, "removing the legal hold");
		goto fault;
	}
	if(pchat_db_affected() == 0) {
		pchat_args_error(
				&args, 404, "no legal hold on %s %s", sc.type, sc.scope);
		goto fault;
	}
	if(rpc->add(ctx, "{", &th) >= 0)
		rpc->struct_add(th, "ss", "removed", sc.scope, "type", sc.type);
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

static const char *pchat_rpc_hold_list_doc[] = {
		"List the legal holds: type= (room, category or user), result_size= "
		"(default 1000).",
		0};

static void pchat_rpc_hold_list(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	int type = -1, limit = 1000;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_args_enum(&args, "type", pchat_hold_kinds, &type) < 0
			|| pchat_args_int(&args, "result_size", 1, 1000000, &limit) < 0
			|| pchat_args_done(&args) < 0
			|| pchat_hold_reply(rpc, ctx, &args,
					   type >= 0 ? pchat_hold_kinds[type] : NULL, limit)
					   < 0)
		pchat_admin_fault(rpc, ctx, &args);
}

static const char *pchat_rpc_retention_run_doc[] = {
		"Ask the retention job for a run now (after the current one, if "
		"any); answers at once with the request's number: the run is done "
		"when pchat.retention_status shows done_request >= it.",
		0};

static void pchat_rpc_retention_run(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	long long n;
	void *th;

	if(pchat_args_scan(rpc, ctx, &args) < 0 || pchat_args_done(&args) < 0)
		goto fault;
	n = pchat_retention_request();
	if(n < 0) {
		pchat_args_error(&args, 503, "the retention process is not running");
		goto fault;
	}
	if(rpc->add(ctx, "{", &th) >= 0)
		rpc->struct_add(th, "L", "request", n);
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

static const char *pchat_rpc_retention_status_doc[] = {
		"The retention job: interval, runs, the last run's times (ms since "
		"1970), removed messages, rooms looked at and held, error.",
		0};

static void pchat_rpc_retention_status(rpc_t *rpc, void *ctx)
{
	pchat_retention_stats_t st;
	long long done;
	void *th;

	pchat_retention_status(&st, &done);
	if(rpc->add(ctx, "{", &th) < 0)
		return;
	rpc->struct_add(th, "dLLLdLL", "interval", st.interval, "requested",
			st.requested, "done_request", done, "runs", st.runs, "running",
			st.running, "last_start_ms", st.last_start_ms, "last_end_ms",
			st.last_end_ms);
	rpc->struct_add(th, "LLLLsdL", "last_removed", st.last_removed,
			"last_rooms", st.last_rooms, "last_held_rooms", st.last_held,
			"last_batches", st.last_batches, "last_error", st.last_error,
			"last_skipped", st.last_skipped, "total_removed", st.total_removed);
}

/* clang-format off */
rpc_export_t pchat_admin_hold_rpc[] = {
	{"pchat.hold_add", pchat_rpc_hold_add, pchat_rpc_hold_add_doc, 0},
	{"pchat.hold_remove", pchat_rpc_hold_remove, pchat_rpc_hold_remove_doc, 0},
	{"pchat.hold_list", pchat_rpc_hold_list, pchat_rpc_hold_list_doc, RET_ARRAY},
	{"pchat.retention_run", pchat_rpc_retention_run, pchat_rpc_retention_run_doc, 0},
	{"pchat.retention_status", pchat_rpc_retention_status, pchat_rpc_retention_status_doc, 0},
	{0, 0, 0, 0}
};
/* clang-format on */
