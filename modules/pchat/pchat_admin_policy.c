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
/* Admin RPCs for the Persistent Chat policy (Lync Grant-/Get-
 * CsPersistentChatPolicy: EnablePersistentChat per user, per domain and
 * globally) and for the eligible principals (Get-CsPersistentChat
 * EligiblePrincipal). Which row applies is decided by pchat_policy.c, the
 * code the chat service uses as well. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pchat_admin.h"
#include "pchat_admin_rpc.h"
#include "pchat_policy.h"

#define PCHAT_SCOPE_ARG_MAX 300 /* "user:" + a 255-character URI + NUL */
#define PCHAT_SCOPE_VALUE_MAX 256

static int pchat_policy_scope_arg(pchat_args_t *args, const char *scope,
		pchat_scope_type_t *type, char *value)
{
	if(pchat_policy_parse_scope(
			   scope, strlen(scope), type, value, PCHAT_SCOPE_VALUE_MAX)
			< 0)
		return pchat_args_error(args, 400,
				"field 'scope': '%s' is not a scope (global, domain:<domain> "
				"or user:sip:<user>@<domain>)",
				scope);
	return 0;
}

static int pchat_policy_user_arg(
		pchat_args_t *args, const char *key, const char *in, char *value)
{
	if(pchat_policy_parse_user(in, strlen(in), value, PCHAT_SCOPE_VALUE_MAX)
			< 0)
		return pchat_args_error(args, 400,
				"field '%s': '%s' is not a user (sip:<user>@<domain>)", key,
				in);
	return 0;
}

static void pchat_policy_add_row(
		rpc_t *rpc, void *ctx, const char *type, const char *value, int enabled)
{
	char buf[PCHAT_SCOPE_ARG_MAX];
	void *th;

	if(rpc->add(ctx, "{", &th) < 0)
		return;
	rpc->struct_add(th, "sb", "scope",
			pchat_policy_scope_print(type, value, buf, sizeof(buf)), "enabled",
			enabled);
}

static const char *pchat_rpc_policy_grant_doc[] = {
		"Set the Persistent Chat policy (Grant-CsPersistentChatPolicy): "
		"scope= (global, domain:<domain> or user:sip:<user>@<domain>), "
		"enabled= (true, false, or default to remove the row so that the "
		"next broader scope applies; the global row cannot be removed).",
		0};

static void pchat_rpc_policy_grant(rpc_t *rpc, void *ctx)
{
	static const char *enabled_values[] = {"true", "false", "default", NULL};
	pchat_args_t args;
	char scope[PCHAT_SCOPE_ARG_MAX], value[PCHAT_SCOPE_VALUE_MAX];
	char buf[PCHAT_SCOPE_ARG_MAX];
	pchat_scope_type_t type;
	pchat_store_rc_t rc;
	int which = -1, r;
	void *th;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_args_need(&args, "scope", scope, sizeof(scope)) < 0
			|| (r = pchat_args_enum(&args, "enabled", enabled_values, &which))
					   < 0)
		goto fault;
	if(r == 0) {
		pchat_args_error(&args, 400, "field 'enabled' is required");
		goto fault;
	}
	if(pchat_policy_scope_arg(&args, scope, &type, value) < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	if(which == 2) {
		if(type == PCHAT_SCOPE_GLOBAL) {
			/* without a global row the answer would depend on a default
			 * nobody can see; the administrator sets it instead */
			pchat_args_error(&args, 400,
					"field 'enabled': the global policy cannot be removed "
					"(set it to true or false)");
			goto fault;
		}
		rc = pchat_db_exec("DELETE FROM pchat_policy WHERE scope_type = ? "
						   "AND scope = ?",
				NULL, pchat_scope_types[type], value);
		if(rc != PCHAT_STORE_OK) {
			pchat_admin_store_error(&args, rc, "removing the policy");
			goto fault;
		}
		if(rpc->add(ctx, "{", &th) >= 0)
			rpc->struct_add(th, "sd", "removed",
					pchat_policy_scope_print(
							pchat_scope_types[type], value, buf, sizeof(buf)),
					"count", (int)pchat_db_affected());
		return;
	}
	rc = pchat_db_exec("INSERT INTO pchat_policy (scope_type, scope, enabled) "
					   "VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE enabled = "
					   "VALUES(enabled)",
			NULL, pchat_scope_types[type], value,
			(long long)(which == 0));
	if(rc != PCHAT_STORE_OK) {
		pchat_admin_store_error(&args, rc, "setting the policy");
		goto fault;
	}
	pchat_policy_add_row(rpc, ctx, pchat_scope_types[type], value, which == 0);
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

/* The effective policy of one user: which row applies, and its value. */
static int pchat_policy_effective(
		rpc_t *rpc, void *ctx, pchat_args_t *args, const char *user)
{
	const char *domain = pchat_policy_user_domain(user);
	pchat_policy_source_t src;
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	char source[PCHAT_SCOPE_ARG_MAX];
	int enabled;
	void *th;

	rc = pchat_db_exec(
			"SELECT (SELECT enabled FROM pchat_policy WHERE scope_type = "
			"'user' AND scope = ?), (SELECT enabled FROM pchat_policy WHERE "
			"scope_type = 'domain' AND scope = ?), (SELECT enabled FROM "
			"pchat_policy WHERE scope_type = 'global' AND scope = '')",
			&res, user, domain);
	if(rc != PCHAT_STORE_OK)
		return pchat_admin_store_error(args, rc, "reading the policy");
	if(res.nrows != 1) {
		pchat_db_res_free(&res);
		return pchat_args_error(args, 500, "reading the policy: no result");
	}
	src = pchat_policy_resolve(pchat_policy_row(res.rows[0][0]),
			pchat_policy_row(res.rows[0][1]), pchat_policy_row(res.rows[0][2]),
			&enabled);
	pchat_db_res_free(&res);
	switch(src) {
		case PCHAT_POLICY_SRC_USER:
			pchat_policy_scope_print("user", user, source, sizeof(source));
			break;
		case PCHAT_POLICY_SRC_DOMAIN:
			pchat_policy_scope_print("domain", domain, source, sizeof(source));
			break;
		case PCHAT_POLICY_SRC_GLOBAL:
			strcpy(source, "global");
			break;
		default:
			strcpy(source, "none");
	}
	if(rpc->add(ctx, "{", &th) < 0)
		return pchat_args_error(args, 500, "cannot build the reply");
	rpc->struct_add(
			th, "sbs", "user", user, "enabled", enabled, "source", source);
	return 0;
}

static const char *pchat_rpc_policy_get_doc[] = {
		"Show the Persistent Chat policy: every row (no argument), one row "
		"(scope=), or the policy in effect for a user with the scope it "
		"comes from (user=sip:<user>@<domain>).",
		0};

static void pchat_rpc_policy_get(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	char scope[PCHAT_SCOPE_ARG_MAX], user[PCHAT_SCOPE_ARG_MAX];
	char value[PCHAT_SCOPE_VALUE_MAX];
	pchat_scope_type_t type;
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	int has_scope, has_user, i;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| (has_scope = pchat_args_cstr(
						&args, "scope", scope, sizeof(scope)))
					   < 0
			|| (has_user = pchat_args_cstr(&args, "user", user, sizeof(user)))
					   < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	if(has_scope && has_user) {
		pchat_args_error(&args, 400, "give scope or user, not both");
		goto fault;
	}
	if(has_user) {
		if(pchat_policy_user_arg(&args, "user", user, value) < 0
				|| pchat_policy_effective(rpc, ctx, &args, value) < 0)
			goto fault;
		return;
	}
	if(has_scope && pchat_policy_scope_arg(&args, scope, &type, value) < 0)
		goto fault;
	rc = pchat_db_exec("SELECT scope_type, scope, enabled FROM pchat_policy "
					   "WHERE (? IS NULL OR (scope_type = ? AND scope = ?)) "
					   "ORDER BY scope_type, scope",
			&res, has_scope ? "" : NULL,
			has_scope ? pchat_scope_types[type] : NULL,
			has_scope ? value : NULL);
	if(rc != PCHAT_STORE_OK) {
		pchat_admin_store_error(&args, rc, "reading the policy");
		goto fault;
	}
	if(has_scope && res.nrows == 0) {
		pchat_db_res_free(&res);
		pchat_args_error(&args, 404,
				"field 'scope': no policy row for '%s' (the next broader "
				"scope applies)",
				scope);
		goto fault;
	}
	for(i = 0; i < res.nrows; i++)
		pchat_policy_add_row(rpc, ctx, res.rows[i][0], res.rows[i][1],
				pchat_admin_is_true(res.rows[i][2]));
	pchat_db_res_free(&res);
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

/* Does wall row s (of pchat_scope) take in user u.uri? */
#define PCHAT_WALL_MATCH                                                   \
	"((s.principal_type = 'user' AND s.principal = u.uri) OR "             \
	"(s.principal_type = 'domain' AND s.principal = "                      \
	"SUBSTRING_INDEX(u.uri, '@', -1)) OR (s.principal_type = 'group' AND " \
	"EXISTS (SELECT 1 FROM pchat_group g JOIN pchat_group_member m ON "    \
	"m.group_id = g.id WHERE g.name = s.principal AND m.user_uri = u.uri)))"

/* The users pchat knows, with their three policy rows; optionally only
 * those matching a LIKE pattern, and only those the wall of a category
 * admits: not denied, and allowed when it has allowed rows. */
static const char *_pchat_eligible_select =
		"SELECT u.uri, (SELECT p.enabled FROM pchat_policy p WHERE "
		"p.scope_type = 'user' AND p.scope = u.uri), (SELECT p.enabled FROM "
		"pchat_policy p WHERE p.scope_type = 'domain' AND p.scope = "
		"SUBSTRING_INDEX(u.uri, '@', -1)), (SELECT p.enabled FROM "
		"pchat_policy p WHERE p.scope_type = 'global' AND p.scope = '') "
		"FROM (SELECT principal AS uri FROM pchat_role WHERE principal_type "
		"= 'user' UNION SELECT user_uri FROM pchat_group_member UNION SELECT "
		"scope FROM pchat_policy WHERE scope_type = 'user') u "
		"WHERE (? IS NULL OR u.uri LIKE ? ESCAPE '!') AND (? IS NULL OR ("
		"NOT EXISTS (SELECT 1 FROM pchat_scope s WHERE s.category_id = ? AND "
		"s.scope = 'denied' AND " PCHAT_WALL_MATCH ") AND (NOT EXISTS (SELECT "
		"1 FROM pchat_scope s WHERE s.category_id = ? AND s.scope = "
		"'allowed') OR EXISTS (SELECT 1 FROM pchat_scope s WHERE "
		"s.category_id = ? AND s.scope = 'allowed' AND " PCHAT_WALL_MATCH
		")))) ORDER BY u.uri";

static const char *pchat_rpc_eligible_principals_doc[] = {
		"List the users pchat knows (from roles, groups and user policies) "
		"whose policy enables Persistent Chat "
		"(Get-CsPersistentChatEligiblePrincipal): filter= (SIP URI with * "
		"and ? wildcards), category= (only users its allowed and denied "
		"members admit), result_size= (default 1000).",
		0};

static void pchat_rpc_eligible_principals(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	char filter[256], like[2 * sizeof(filter)], category[257];
	int has_filter, has_cat, limit = 1000, i, n, enabled;
	long long cat_id = 0;
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	void *th;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| (has_filter = pchat_args_cstr(
						&args, "filter", filter, sizeof(filter)))
					   < 0
			|| (has_cat = pchat_args_cstr(
						&args, "category", category, sizeof(category)))
					   < 0
			|| pchat_args_int(&args, "result_size", 1, 1000000, &limit) < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	/* cannot fail: every character takes at most two, plus the NUL */
	if(has_filter) {
		/* stored URIs are canonical, ASCII in lower case (pchat_identity.h),
		 * and compared as bytes */
		for(i = 0; filter[i]; i++)
			if(filter[i] >= 'A' && filter[i] <= 'Z')
				filter[i] += 'a' - 'A';
		pchat_policy_like_pattern(filter, strlen(filter), like, sizeof(like));
	}
	if(has_cat
			&& (cat_id = pchat_admin_node_id(
						&args, "category", category, "category"))
					   <= 0)
		goto fault;
	rc = pchat_db_exec(_pchat_eligible_select, &res,
			has_filter ? like : NULL, has_filter ? like : NULL,
			has_cat ? &cat_id : NULL, &cat_id, &cat_id, &cat_id);
	if(rc != PCHAT_STORE_OK) {
		pchat_admin_store_error(&args, rc, "reading the principals");
		goto fault;
	}
	/* the policy is resolved here, not in SQL, by the same rule the chat
	 * service applies; the limit therefore counts after that filter */
	for(i = 0, n = 0; i < res.nrows && n < limit; i++) {
		pchat_policy_resolve(pchat_policy_row(res.rows[i][1]),
				pchat_policy_row(res.rows[i][2]),
				pchat_policy_row(res.rows[i][3]), &enabled);
		if(!enabled)
			continue;
		if(rpc->add(ctx, "{", &th) < 0)
			break;
		rpc->struct_add(th, "sb", "uri", res.rows[i][0], "enabled", 1);
		n++;
	}
	pchat_db_res_free(&res);
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

/* clang-format off */
rpc_export_t pchat_admin_policy_rpc[] = {
	{"pchat.policy_grant", pchat_rpc_policy_grant, pchat_rpc_policy_grant_doc, 0},
	{"pchat.policy_get", pchat_rpc_policy_get, pchat_rpc_policy_get_doc, RET_ARRAY},
	{"pchat.eligible_principals", pchat_rpc_eligible_principals, pchat_rpc_eligible_principals_doc, RET_ARRAY},
	{0, 0, 0, 0}
};
/* clang-format on */
