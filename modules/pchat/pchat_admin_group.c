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
/* Admin RPCs for user groups: named lists of users kept by the
 * administrator, which roles and category walls reference as group:<name>
 * (Lync takes these from Active Directory; pchat keeps its own). Roles and
 * walls store the group's name, so a rename carries them along and a
 * removal is refused while any refers to it. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pchat_admin.h"
#include "pchat_admin_rpc.h"
#include "pchat_policy.h"
#include "pchat_revoke.h"

#define PCHAT_GROUP_NAME_MAX 129 /* 128 characters + NUL */
#define PCHAT_GROUP_DESC_MAX 257
#define PCHAT_GROUP_USER_MAX 256 /* the user_uri column + NUL */

static const char *_pchat_group_select =
		"SELECT id, name, description FROM pchat_group WHERE (? IS NULL OR "
		"name = ?) ORDER BY name LIMIT ?";

/* Sessions parted by the group_set being answered, -1 otherwise: the
 * reply rows are written by a callback of pchat_admin_reply_rows(), and an
 * RPC process answers one request at a time. */
static int _pchat_group_parted = -1;

static int pchat_group_add(rpc_t *rpc, void *ctx, char **row)
{
	pchat_db_res_t res;
	void *th, *ah;
	int i;

	if(pchat_db_exec("SELECT user_uri FROM pchat_group_member WHERE group_id "
					 "= ? ORDER BY user_uri",
			   &res, strtoll(row[0], NULL, 10))
			!= PCHAT_STORE_OK)
		return -1;
	if(rpc->add(ctx, "{", &th) < 0
			|| rpc->struct_add(th, "ss[", "name", row[1], "description",
					   row[2] ? row[2] : "", "members", &ah)
					   < 0) {
		pchat_db_res_free(&res);
		return -1;
	}
	for(i = 0; i < res.nrows; i++)
		rpc->array_add(ah, "s", res.rows[i][0]);
	pchat_db_res_free(&res);
	if(_pchat_group_parted >= 0)
		rpc->struct_add(th, "d", "online_parted", _pchat_group_parted);
	return 0;
}

/* Answers with the groups named name (all when NULL). */
static int pchat_group_reply(rpc_t *rpc, void *ctx, pchat_args_t *args,
		const char *name, long long limit)
{
	return pchat_admin_reply_rows(
			rpc, ctx, args, _pchat_group_select, name, limit, pchat_group_add, "reading groups");
}

/* Checks every value of repeated field key is a user URI, so that nothing
 * is written when one is not. */
static int pchat_group_check_members(pchat_args_t *args, const char *key)
{
	char uri[PCHAT_GROUP_USER_MAX];
	int iter = 0;
	str v;

	while(pchat_args_next(args, key, &iter, &v)) {
		if(pchat_policy_parse_user(v.s, v.len, uri, sizeof(uri)) < 0)
			return pchat_args_error(args, 400,
					"field '%s': '%.*s' is not a user (sip:<user>@<domain>); "
					"groups hold users only",
					key, v.len, v.s);
	}
	return 0;
}

/* Adds (add=1) or removes the users of repeated field key. Call inside a
 * transaction, after pchat_group_check_members(). */
static int pchat_group_members(
		pchat_args_t *args, long long id, const char *key, int add)
{
	static const char *sql[2] = {"DELETE FROM pchat_group_member WHERE "
								 "group_id = ? AND user_uri = ?",
			"INSERT IGNORE INTO pchat_group_member (group_id, user_uri) "
			"VALUES (?, ?)"};
	char uri[PCHAT_GROUP_USER_MAX];
	pchat_store_rc_t rc;
	int iter = 0;
	str v;

	while(pchat_args_next(args, key, &iter, &v)) {
		if(pchat_policy_parse_user(v.s, v.len, uri, sizeof(uri)) < 0)
			return pchat_args_error(args, 400, "field '%s': not a user", key);
		rc = pchat_db_exec(sql[add], NULL, id, uri);
		if(rc != PCHAT_STORE_OK)
			return pchat_admin_store_error(args, rc, "changing members");
	}
	return 0;
}

/* Parts the users of repeated field key (after the change is committed)
 * from the rooms they may no longer join; returns how many sessions. */
static int pchat_group_revoke(pchat_args_t *args, const char *key)
{
	char uri[PCHAT_GROUP_USER_MAX];
	int iter = 0, parted = 0;
	str v;

	while(pchat_args_next(args, key, &iter, &v)) {
		if(pchat_policy_parse_user(v.s, v.len, uri, sizeof(uri)) == 0)
			parted += pchat_revoke_users(uri, NULL);
	}
	return parted;
}

static const pchat_admin_named_t pchat_group_named = {
		"SELECT id FROM pchat_group WHERE name = ?",
		"SELECT id FROM pchat_group WHERE name = ? FOR UPDATE", "group",
		"looking up the group"};

static const char *pchat_rpc_group_new_doc[] = {
		"Create a user group: name= (unique, up to 128 characters), "
		"description=, member=* (sip:user@domain). Roles and category walls "
		"refer to it as group:<name>.",
		0};

static void pchat_rpc_group_new(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	char name[PCHAT_GROUP_NAME_MAX], desc[PCHAT_GROUP_DESC_MAX];
	pchat_store_rc_t rc;
	int r;

	desc[0] = '\0';
	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_args_need(&args, "name", name, sizeof(name)) < 0
			|| pchat_args_cstr(&args, "description", desc, sizeof(desc)) < 0
			|| pchat_group_check_members(&args, "member") < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	if(pchat_admin_begin(&args) < 0)
		goto fault;
	rc = pchat_db_exec(
			"INSERT INTO pchat_group (name, description) VALUES (?, ?)", NULL, name, desc);
	r = pchat_admin_named_write(
			&args, rc, "name", "a group", name, "creating the group");
	if(r == 0)
		r = pchat_group_members(
				&args, (long long)pchat_db_insert_id(), "member", 1);
	if(pchat_admin_end(&args, r) < 0
			|| pchat_group_reply(rpc, ctx, &args, name, 1) < 0)
		goto fault;
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

static const char *pchat_rpc_group_get_doc[] = {
		"List user groups with their members: name= (exact), result_size= "
		"(default 1000).",
		0};

static void pchat_rpc_group_get(rpc_t *rpc, void *ctx)
{
	pchat_admin_list(rpc, ctx, PCHAT_GROUP_NAME_MAX, pchat_group_reply);
}

/* The changes of group_set, inside its transaction: new_name and desc
 * are NULL when unchanged. */
static int pchat_group_change(pchat_args_t *args, const char *name,
		const char *new_name, const char *desc)
{
	pchat_store_rc_t rc;
	long long id;

	if((id = pchat_admin_id_by_name(args, &pchat_group_named, name, "name", 1))
			<= 0)
		return -1;
	rc = pchat_db_exec("UPDATE pchat_group SET name = COALESCE(?, name), "
					   "description = COALESCE(?, description) WHERE id = ?",
			NULL, new_name, desc, id);
	if(pchat_admin_named_write(args, rc, "new_name", "a group", new_name,
			   "changing the group")
			< 0)
		return -1;
	/* roles and walls name the group: keep them pointing at it */
	if(new_name
			&& ((rc = pchat_db_exec("UPDATE pchat_role SET principal = ? "
									"WHERE principal_type = 'group' AND "
									"principal = ?",
						 NULL, new_name, name))
							!= PCHAT_STORE_OK
					|| (rc = pchat_db_exec("UPDATE pchat_scope SET principal "
										   "= ? WHERE principal_type = "
										   "'group' AND principal = ?",
								NULL, new_name, name))
							   != PCHAT_STORE_OK))
		return pchat_admin_store_error(
				args, rc, "renaming the group's references");
	if(pchat_group_members(args, id, "remove_member", 0) < 0
			|| pchat_group_members(args, id, "add_member", 1) < 0)
		return -1;
	return 0;
}

static const char *pchat_rpc_group_set_doc[] = {
		"Change a user group: name= (which), new_name= (roles and walls "
		"follow), description=, add_member=*, remove_member=*.",
		0};

static void pchat_rpc_group_set(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	char name[PCHAT_GROUP_NAME_MAX], new_name[PCHAT_GROUP_NAME_MAX];
	char desc[PCHAT_GROUP_DESC_MAX];
	int has_new, has_desc, r;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_args_need(&args, "name", name, sizeof(name)) < 0
			|| (has_new = pchat_args_cstr(
						&args, "new_name", new_name, sizeof(new_name)))
					   < 0
			|| (has_desc = pchat_args_cstr(
						&args, "description", desc, sizeof(desc)))
					   < 0
			|| pchat_group_check_members(&args, "add_member") < 0
			|| pchat_group_check_members(&args, "remove_member") < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	if(has_new && new_name[0] == '\0') {
		pchat_args_error(&args, 400, "field 'new_name' must not be empty");
		goto fault;
	}
	if(pchat_admin_begin(&args) < 0)
		goto fault;
	r = pchat_group_change(
			&args, name, has_new ? new_name : NULL, has_desc ? desc : NULL);
	if(pchat_admin_end(&args, r) < 0)
		goto fault;
	/* a member taken out of a group with a role, or put into a group a
	 * wall denies, leaves the rooms at once: both lists are checked */
	_pchat_group_parted = pchat_group_revoke(&args, "remove_member")
						  + pchat_group_revoke(&args, "add_member");
	r = pchat_group_reply(rpc, ctx, &args, has_new ? new_name : name, 1);
	_pchat_group_parted = -1;
	if(r < 0)
		goto fault;
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

/* Rows of table (pchat_role or pchat_scope, by sql) naming the group, and
 * the names of their nodes for the refusal message. */
static int pchat_group_refs(pchat_args_t *args, const char *sql,
		const char *name, int *count, char *nodes, int size)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;

	rc = pchat_db_exec(sql, &res, name);
	if(rc != PCHAT_STORE_OK)
		return pchat_admin_store_error(args, rc, "looking for references");
	*count = res.nrows && res.rows[0][0] ? atoi(res.rows[0][0]) : 0;
	snprintf(nodes, size, "%s",
			res.nrows && res.rows[0][1] ? res.rows[0][1] : "");
	pchat_db_res_free(&res);
	return 0;
}

/* The checks and the delete of group_remove, inside its transaction. */
static int pchat_group_delete(pchat_args_t *args, const char *name)
{
	char role_nodes[64], wall_nodes[64];
	int roles, walls;
	pchat_store_rc_t rc;
	long long id;

	/* the lock keeps a concurrent rename from slipping between the check
	 * and the delete */
	if((id = pchat_admin_id_by_name(
				args, &pchat_group_named, name, "name", 1))
					<= 0
			|| pchat_group_refs(args,
					   "SELECT COUNT(*), GROUP_CONCAT(DISTINCT n.name ORDER BY "
					   "n.name SEPARATOR ', ') FROM pchat_role r JOIN "
					   "pchat_node n ON n.id = r.node_id WHERE "
					   "r.principal_type = 'group' AND r.principal = ?",
					   name, &roles, role_nodes, sizeof(role_nodes))
					   < 0
			|| pchat_group_refs(args,
					   "SELECT COUNT(*), GROUP_CONCAT(DISTINCT n.name ORDER BY "
					   "n.name SEPARATOR ', ') FROM pchat_scope s JOIN "
					   "pchat_node n ON n.id = s.category_id WHERE "
					   "s.principal_type = 'group' AND s.principal = ?",
					   name, &walls, wall_nodes, sizeof(wall_nodes))
					   < 0)
		return -1;
	if(roles || walls)
		return pchat_args_error(args, 409,
				/* JSON-RPC keeps 127 characters of a fault: where the
				 * group is used comes first */
				"group '%s' in use: walls of %s; roles on %s "
				"(%d wall entr%s, %d role(s))",
				name, walls ? wall_nodes : "-", roles ? role_nodes : "-",
				walls, walls == 1 ? "y" : "ies", roles);
	rc = pchat_db_exec("DELETE FROM pchat_group WHERE id = ?", NULL, id);
	if(rc != PCHAT_STORE_OK)
		return pchat_admin_store_error(args, rc, "removing the group");
	return 0;
}

static const char *pchat_rpc_group_remove_doc[] = {
		"Remove a user group: name=. Refused while roles or category walls "
		"refer to it.",
		0};

static void pchat_rpc_group_remove(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	char name[PCHAT_GROUP_NAME_MAX];

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_args_need(&args, "name", name, sizeof(name)) < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	if(pchat_admin_begin(&args) < 0
			|| pchat_admin_end(&args, pchat_group_delete(&args, name)) < 0)
		goto fault;
	pchat_admin_reply_removed(rpc, ctx, name);
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

/* clang-format off */
rpc_export_t pchat_admin_group_rpc[] = {
	{"pchat.group_new", pchat_rpc_group_new, pchat_rpc_group_new_doc, 0},
	{"pchat.group_get", pchat_rpc_group_get, pchat_rpc_group_get_doc, RET_ARRAY},
	{"pchat.group_set", pchat_rpc_group_set, pchat_rpc_group_set_doc, 0},
	{"pchat.group_remove", pchat_rpc_group_remove, pchat_rpc_group_remove_doc, 0},
	{0, 0, 0, 0}
};
/* clang-format on */
