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
/* Admin RPCs for categories (Lync New-/Get-/Set-/Remove-CsPersistentChat
 * Category): the node tree above the rooms, with its switches and its
 * ethical wall (allowed and denied members) and creators. */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pchat_admin.h"
#include "pchat_admin_comply.h"
#include "pchat_admin_rpc.h"
#include "pchat_revoke.h"

#define PCHAT_NAME_MAX 257 /* 256 characters + NUL */

static const char *_pchat_cat_select =
		"SELECT c.id, c.guid, c.name, c.description, c.file_upload, "
		"c.invitations_enabled, c.chat_history, p.name, "
		"(SELECT COUNT(*) FROM pchat_node r WHERE r.parent_id = c.id AND "
		"r.kind = 'room'), "
		"(SELECT COUNT(*) FROM pchat_node s WHERE s.parent_id = c.id AND "
		"s.kind = 'category'), c.retention_days "
		"FROM pchat_node c LEFT JOIN pchat_node p ON p.id = c.parent_id "
		"WHERE c.kind = 'category' AND (? IS NULL OR c.name = ?) "
		"ORDER BY c.name LIMIT ?";

/* Sessions parted by the category_set being answered, -1 otherwise: the
 * reply rows are written by a callback of pchat_admin_reply_rows(), and an
 * RPC process answers one request at a time. */
static int _pchat_cat_parted = -1;

static int pchat_category_add(rpc_t *rpc, void *ctx, char **row)
{
	void *th;
	char uri[320];
	long long id = strtoll(row[0], NULL, 10);

	if(rpc->add(ctx, "{", &th) < 0)
		return -1;
	rpc->struct_add(th, "sss", "name", row[2], "uri",
			pchat_admin_node_uri("category", row[1], uri, sizeof(uri)),
			"parent", row[7] ? row[7] : "");
	rpc->struct_add(th, "sbbbdd", "description", row[3], "file_upload",
			pchat_admin_is_true(row[4]), "invitations",
			pchat_admin_is_true(row[5]), "chat_history",
			pchat_admin_is_true(row[6]), "rooms", atoi(row[8]), "categories",
			atoi(row[9]));
	if(pchat_admin_add_principal_list(rpc, th, PCHAT_PLIST_SCOPE, id,
			   "allowed", "allowed_members")
					< 0
			|| pchat_admin_add_principal_list(rpc, th, PCHAT_PLIST_SCOPE, id,
					   "denied", "denied_members")
					   < 0
			|| pchat_admin_add_principal_list(rpc, th, PCHAT_PLIST_ROLE, id,
					   "creator", "creators")
					   < 0)
		return -1;
	rpc->struct_add(th, "s", "retention_days", row[10] ? row[10] : "none");
	if(_pchat_cat_parted >= 0)
		rpc->struct_add(th, "d", "online_parted", _pchat_cat_parted);
	return 0;
}

/* Answers with the categories named name (all when NULL). */
static int pchat_category_reply(rpc_t *rpc, void *ctx, pchat_args_t *args,
		const char *name, long long limit)
{
	return pchat_admin_reply_rows(
			rpc, ctx, args, _pchat_cat_select, name, limit, pchat_category_add, "reading categories");
}

/* retention_days=: 1-36500 days, or none (kept forever). 1 given (*days
 * -1 for none), 0 not given, -1 error. */
static int pchat_category_retention(pchat_args_t *args, long long *days)
{
	char v[24];
	int r, n;

	r = pchat_args_cstr(args, "retention_days", v, sizeof(v));
	if(r <= 0)
		return r;
	if(strcasecmp(v, "none") == 0) {
		*days = -1;
		return 1;
	}
	if(pchat_args_int(args, "retention_days", 1, 36500, &n) < 0)
		return -1;
	*days = n;
	return 1;
}

/* The wall and creator lists, for new (plain keys) and set (add_/remove_). */
static int pchat_category_lists(pchat_args_t *args, long long id, int is_set)
{
	static const struct
	{
		pchat_plist_t table;
		const char *what, *key, *add_key, *remove_key;
	} lists[] = {
		{PCHAT_PLIST_SCOPE, "allowed", "allowed_member",
			"add_allowed_member", "remove_allowed_member"},
		{PCHAT_PLIST_SCOPE, "denied", "denied_member", "add_denied_member",
			"remove_denied_member"},
		{PCHAT_PLIST_ROLE, "creator", "creator", "add_creator",
			"remove_creator"},
	};
	unsigned int i;

	for(i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if(!is_set) {
			if(pchat_admin_principals(args, lists[i].table, id, lists[i].what,
					   lists[i].key, 1)
					< 0)
				return -1;
			continue;
		}
		if(pchat_admin_principals(args, lists[i].table, id, lists[i].what,
				   lists[i].remove_key, 0)
						< 0
				|| pchat_admin_principals(args, lists[i].table, id,
						   lists[i].what, lists[i].add_key, 1)
						   < 0)
			return -1;
	}
	return 0;
}

/* Marks the list keys used before validation, so that pchat_args_done()
 * can run before the transaction. */
static void pchat_args_touch(pchat_args_t *args, const char **keys)
{
	int i, iter;
	str v;

	for(i = 0; keys[i]; i++) {
		iter = 0;
		while(pchat_args_next(args, keys[i], &iter, &v))
			;
	}
}

static const char *pchat_new_list_keys[] = {
		"allowed_member", "denied_member", "creator", NULL};
static const char *pchat_set_list_keys[] = {"add_allowed_member",
		"remove_allowed_member", "add_denied_member", "remove_denied_member",
		"add_creator", "remove_creator", NULL};

static const char *pchat_rpc_category_new_doc[] = {
		"Create a category: name=, parent= (category name, default the "
		"root), description=, file_upload=, invitations=, chat_history= "
		"(true/false), retention_days= (1-36500, or none: kept forever), "
		"allowed_member=*, denied_member=*, creator=* "
		"(sip:user@domain, domain:<d>, group:<g>).",
		0};

static void pchat_rpc_category_new(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	char name[PCHAT_NAME_MAX], parent[PCHAT_NAME_MAX], desc[PCHAT_NAME_MAX];
	int has_parent, file_upload = 1, invitations = 1, history = 1, r;
	long long parent_id, days = -1, id = 0;
	pchat_store_rc_t rc;

	desc[0] = '\0';
	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_args_need(&args, "name", name, sizeof(name)) < 0
			|| (has_parent = pchat_args_cstr(
						&args, "parent", parent, sizeof(parent)))
					   < 0
			|| pchat_args_cstr(&args, "description", desc, sizeof(desc)) < 0
			|| pchat_args_bool(&args, "file_upload", &file_upload) < 0
			|| pchat_args_bool(&args, "invitations", &invitations) < 0
			|| pchat_args_bool(&args, "chat_history", &history) < 0
			|| pchat_category_retention(&args, &days) < 0)
		goto fault;
	pchat_args_touch(&args, pchat_new_list_keys);
	if(pchat_args_done(&args) < 0)
		goto fault;
	parent_id = has_parent
						? pchat_admin_node_id(&args, "category", parent, "parent")
						: pchat_admin_root_id(&args);
	if(parent_id <= 0)
		goto fault;
	if(pchat_admin_begin(&args) < 0)
		goto fault;
	rc = pchat_db_exec("INSERT INTO pchat_node (guid, kind, parent_id, name, "
					   "description, file_upload, invitations_enabled, "
					   "chat_history, retention_days) VALUES (UUID(), "
					   "'category', ?, ?, ?, ?, ?, ?, ?)",
			NULL, parent_id, name, desc, (long long)file_upload,
			(long long)invitations, (long long)history,
			days >= 0 ? &days : NULL);
	r = pchat_admin_named_write(
			&args, rc, "name", "a category", name, "creating the category");
	if(r == 0) {
		id = (long long)pchat_db_insert_id();
		r = pchat_category_lists(&args, id, 0);
	}
	if(r == 0)
		r = pchat_admin_comply_change(&args, "pchat.category_new", id, NULL);
	if(pchat_admin_end(&args, r) < 0
			|| pchat_category_reply(rpc, ctx, &args, name, 1) < 0)
		goto fault;
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

static const char *pchat_rpc_category_get_doc[] = {
		"List categories: name= (exact), result_size= (default 1000).", 0};

static void pchat_rpc_category_get(rpc_t *rpc, void *ctx)
{
	pchat_admin_list(rpc, ctx, PCHAT_NAME_MAX, pchat_category_reply);
}

/* Would making new_parent the parent of id create a cycle? */
static int pchat_category_cycle(
		pchat_args_t *args, long long id, long long new_parent)
{
	pchat_db_res_t res;
	long long cur = new_parent;
	int depth;

	for(depth = 0; cur > 0 && depth < 1000; depth++) {
		if(cur == id)
			return pchat_args_error(args, 400,
					"field 'parent': a category cannot be moved below itself");
		if(pchat_db_exec("SELECT parent_id FROM pchat_node WHERE id = ?", &res, cur)
				!= PCHAT_STORE_OK)
			return pchat_admin_store_error(args, PCHAT_STORE_ERROR,
					"walking the category tree");
		cur = (res.nrows && res.rows[0][0]) ? strtoll(res.rows[0][0], NULL, 10)
											: 0;
		pchat_db_res_free(&res);
	}
	return 0;
}

static const char *pchat_rpc_category_set_doc[] = {
		"Change a category: name= (which), new_name=, parent=, description=, "
		"file_upload=, invitations=, chat_history=, retention_days= "
		"(1-36500, or none), add_/remove_ "
		"allowed_member=*, denied_member=*, creator=*.",
		0};

static void pchat_rpc_category_set(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	char name[PCHAT_NAME_MAX], new_name[PCHAT_NAME_MAX];
	char parent[PCHAT_NAME_MAX], desc[PCHAT_NAME_MAX];
	int has_new, has_parent, has_desc, fu = -1, inv = -1, hist = -1, has_ret;
	long long id, parent_id = 0, fu_v, inv_v, hist_v, days = -1;
	pchat_store_rc_t rc;
	char *before;
	int r;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_args_need(&args, "name", name, sizeof(name)) < 0
			|| (has_new = pchat_args_cstr(
						&args, "new_name", new_name, sizeof(new_name)))
					   < 0
			|| (has_parent = pchat_args_cstr(
						&args, "parent", parent, sizeof(parent)))
					   < 0
			|| (has_desc = pchat_args_cstr(
						&args, "description", desc, sizeof(desc)))
					   < 0
			|| pchat_args_bool(&args, "file_upload", &fu) < 0
			|| pchat_args_bool(&args, "invitations", &inv) < 0
			|| pchat_args_bool(&args, "chat_history", &hist) < 0
			|| (has_ret = pchat_category_retention(&args, &days)) < 0)
		goto fault;
	pchat_args_touch(&args, pchat_set_list_keys);
	if(pchat_args_done(&args) < 0)
		goto fault;
	if(has_new && new_name[0] == '\0') {
		pchat_args_error(&args, 400, "field 'new_name' must not be empty");
		goto fault;
	}
	id = pchat_admin_node_id(&args, "category", name, "name");
	if(id <= 0)
		goto fault;
	if(has_parent) {
		if(id == pchat_admin_root_id(&args)) {
			pchat_args_error(&args, 400,
					"field 'parent': the root category cannot be moved");
			goto fault;
		}
		parent_id = pchat_admin_node_id(&args, "category", parent, "parent");
		if(parent_id <= 0 || pchat_category_cycle(&args, id, parent_id) < 0)
			goto fault;
	}
	fu_v = fu;
	inv_v = inv;
	hist_v = hist;
	if(pchat_admin_begin(&args) < 0)
		goto fault;
	before = pchat_admin_node_state(id);
	rc = pchat_db_exec(
			"UPDATE pchat_node SET name = COALESCE(?, name), "
			"description = COALESCE(?, description), "
			"parent_id = COALESCE(?, parent_id), "
			"file_upload = COALESCE(?, file_upload), "
			"invitations_enabled = COALESCE(?, invitations_enabled), "
			"chat_history = COALESCE(?, chat_history), "
			"retention_days = IF(?, ?, retention_days) WHERE id = ?",
			NULL, has_new ? new_name : NULL,
			has_desc ? desc : NULL, has_parent ? &parent_id : NULL,
			fu >= 0 ? &fu_v : NULL, inv >= 0 ? &inv_v : NULL,
			hist >= 0 ? &hist_v : NULL, (long long)has_ret,
			days >= 0 ? &days : NULL, id);
	r = pchat_admin_named_write(&args, rc, "new_name", "a category", new_name,
			"changing the category");
	if(r == 0)
		r = pchat_category_lists(&args, id, 1);
	if(r == 0)
		r = pchat_admin_comply_change(&args, "pchat.category_set", id, before);
	else
		free(before);
	if(pchat_admin_end(&args, r) < 0)
		goto fault;
	/* a wall added (or a role taken) is enforced online too */
	_pchat_cat_parted = pchat_revoke_category(id);
	r = pchat_category_reply(rpc, ctx, &args, has_new ? new_name : name, 1);
	_pchat_cat_parted = -1;
	if(r < 0)
		goto fault;
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

static const char *pchat_rpc_category_remove_doc[] = {
		"Remove an empty category: name=. Refused while it holds rooms or "
		"categories, and for the root.",
		0};

static void pchat_rpc_category_remove(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	char name[PCHAT_NAME_MAX];
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	long long id;
	char *before;
	int rooms, cats, r;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_args_need(&args, "name", name, sizeof(name)) < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	id = pchat_admin_node_id(&args, "category", name, "name");
	if(id <= 0)
		goto fault;
	if(id == pchat_admin_root_id(&args)) {
		pchat_args_error(
				&args, 400, "field 'name': the root category cannot be removed");
		goto fault;
	}
	rc = pchat_db_exec("SELECT SUM(kind = 'room'), SUM(kind = 'category') "
					   "FROM pchat_node WHERE parent_id = ?",
			&res, id);
	if(rc != PCHAT_STORE_OK) {
		pchat_admin_store_error(&args, rc, "counting the category's content");
		goto fault;
	}
	rooms = res.nrows && res.rows[0][0] ? atoi(res.rows[0][0]) : 0;
	cats = res.nrows && res.rows[0][1] ? atoi(res.rows[0][1]) : 0;
	pchat_db_res_free(&res);
	if(rooms || cats) {
		pchat_args_error(&args, 409,
				"category '%s' still holds %d room(s) and %d categor%s: "
				"move or remove them first",
				name, rooms, cats, cats == 1 ? "y" : "ies");
		goto fault;
	}
	if(pchat_admin_begin(&args) < 0)
		goto fault;
	before = pchat_admin_node_state(id);
	rc = pchat_db_exec("DELETE FROM pchat_node WHERE id = ?", NULL, id);
	r = rc == PCHAT_STORE_OK ? 0
							 : pchat_admin_store_error(
									   &args, rc, "removing the category");
	if(r == 0)
		r = pchat_admin_comply_change(
				&args, "pchat.category_remove", id, before);
	else
		free(before);
	if(pchat_admin_end(&args, r) < 0)
		goto fault;
	pchat_admin_reply_removed(rpc, ctx, name);
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

/* clang-format off */
rpc_export_t pchat_admin_category_rpc[] = {
	{"pchat.category_new", pchat_rpc_category_new, pchat_rpc_category_new_doc, 0},
	{"pchat.category_get", pchat_rpc_category_get, pchat_rpc_category_get_doc, RET_ARRAY},
	{"pchat.category_set", pchat_rpc_category_set, pchat_rpc_category_set_doc, 0},
	{"pchat.category_remove", pchat_rpc_category_remove, pchat_rpc_category_remove_doc, 0},
	{0, 0, 0, 0}
};
/* clang-format on */
