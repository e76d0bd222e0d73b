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
/* Admin RPC helpers shared by pchat_admin_*.c: faults, node lookups,
 * principal lists. Entry layer (RPC side): never sends SIP. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pchat_admin.h"
#include "pchat_uri.h"

void pchat_admin_fault(rpc_t *rpc, void *ctx, pchat_args_t *args)
{
	rpc->fault(ctx, args->code ? args->code : 500, "%s",
			args->code ? args->err : "internal error");
}

int pchat_admin_store_error(
		pchat_args_t *args, pchat_store_rc_t rc, const char *doing)
{
	if(rc == PCHAT_STORE_UNAVAILABLE)
		return pchat_args_error(args, 503,
				"storage unavailable while %s: retry when the database is "
				"back",
				doing);
	return pchat_args_error(args, 500,
			"storage error while %s (MySQL error %u, see the Kamailio log)",
			doing, pchat_db_errno());
}

long long pchat_admin_id_by_name(pchat_args_t *args,
		const pchat_admin_named_t *t, const char *name, const char *field,
		int lock)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	long long id = 0;

	rc = pchat_db_exec(lock && t->sql_lock ? t->sql_lock : t->sql, &res, name);
	if(rc != PCHAT_STORE_OK)
		return pchat_admin_store_error(args, rc, t->doing);
	if(res.nrows > 0 && res.rows[0][0])
		id = strtoll(res.rows[0][0], NULL, 10);
	pchat_db_res_free(&res);
	if(id == 0)
		pchat_args_error(
				args, 404, "field '%s': no %s named '%s'", field, t->noun, name);
	return id;
}

static const pchat_admin_named_t _pchat_admin_category = {
		"SELECT id FROM pchat_node WHERE kind = 'category' AND name = ?",
		NULL, "category", "looking up a node"};
static const pchat_admin_named_t _pchat_admin_room = {
		"SELECT id FROM pchat_node WHERE kind = 'room' AND name = ?", NULL,
		"room", "looking up a node"};

long long pchat_admin_node_id(pchat_args_t *args, const char *kind,
		const char *name, const char *field)
{
	return pchat_admin_id_by_name(args,
			strcmp(kind, "room") == 0 ? &_pchat_admin_room
									  : &_pchat_admin_category,
			name, field, 0);
}

long long pchat_admin_root_id(pchat_args_t *args)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	long long id = -1;

	rc = pchat_db_exec(
			"SELECT id FROM pchat_node WHERE parent_id IS NULL AND kind = "
			"'category'",
			&res);
	if(rc != PCHAT_STORE_OK)
		return pchat_admin_store_error(args, rc, "looking up the root");
	if(res.nrows > 0 && res.rows[0][0])
		id = strtoll(res.rows[0][0], NULL, 10);
	pchat_db_res_free(&res);
	if(id < 0)
		pchat_args_error(args, 500, "the root category is missing");
	return id;
}

int pchat_admin_group_exists(pchat_args_t *args, const char *key, char *name)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	int n;

	rc = pchat_db_exec(
			"SELECT name FROM pchat_group WHERE name = ?", &res, name);
	if(rc != PCHAT_STORE_OK)
		return pchat_admin_store_error(args, rc, "looking up a group");
	n = res.nrows;
	/* principal columns compare bytes: name the group as it is stored */
	if(n > 0 && res.rows[0][0] && strlen(res.rows[0][0]) == strlen(name))
		memcpy(name, res.rows[0][0], strlen(name));
	pchat_db_res_free(&res);
	if(n == 0)
		return pchat_args_error(args, 404,
				"field '%s': no group named '%s' (create it with "
				"pchat.group_new)",
				key, name);
	return 0;
}

int pchat_admin_principals(pchat_args_t *args, pchat_plist_t table,
		long long node_id, const char *what, const char *key, int add)
{
	static const char *sql[2][2] = {
		{"DELETE FROM pchat_role WHERE node_id = ? AND role = ? AND "
		 "principal_type = ? AND principal = ?",
			"INSERT IGNORE INTO pchat_role (node_id, role, principal_type, "
			"principal) VALUES (?, ?, ?, ?)"},
		{"DELETE FROM pchat_scope WHERE category_id = ? AND scope = ? AND "
		 "principal_type = ? AND principal = ?",
			"INSERT IGNORE INTO pchat_scope (category_id, scope, "
			"principal_type, principal) VALUES (?, ?, ?, ?)"}};
	pchat_principal_t p;
	pchat_store_rc_t rc;
	int iter = 0, changed = 0;
	str v;

	while(pchat_args_next(args, key, &iter, &v)) {
		if(pchat_principal_parse(args, key, &v, &p) < 0)
			return -1;
		if(add && p.type == PCHAT_PRINCIPAL_GROUP
				&& pchat_admin_group_exists(args, key, p.value) < 0)
			return -1;
		rc = pchat_db_exec(sql[table][add], NULL, node_id, what,
				pchat_principal_types[p.type], p.value);
		if(rc != PCHAT_STORE_OK)
			return pchat_admin_store_error(args, rc, "changing principals");
		changed += (int)pchat_db_affected();
	}
	return changed;
}

int pchat_admin_add_principal_list(rpc_t *rpc, void *th, pchat_plist_t table,
		long long node_id, const char *what, const char *name)
{
	static const char *sql[2] = {
		"SELECT principal_type, principal FROM pchat_role WHERE node_id = ? "
		"AND role = ? ORDER BY principal_type, principal",
		"SELECT principal_type, principal FROM pchat_scope WHERE "
		"category_id = ? AND scope = ? ORDER BY principal_type, principal"};
	pchat_db_res_t res;
	void *ah;
	char buf[300];
	int i;

	if(pchat_db_exec(sql[table], &res, node_id, what) != PCHAT_STORE_OK)
		return -1;
	if(rpc->struct_add(th, "[", name, &ah) < 0) {
		pchat_db_res_free(&res);
		return -1;
	}
	for(i = 0; i < res.nrows; i++)
		rpc->array_add(ah, "s",
				pchat_principal_print(
						res.rows[i][0], res.rows[i][1], buf, sizeof(buf)));
	pchat_db_res_free(&res);
	return 0;
}

const char *pchat_admin_node_uri(const char *kind, const char *guid,
		char *buf, int size)
{
	pchat_uri_t *svc = pchat_uri_service_for(NULL);

	snprintf(buf, size, "%s://%.*s/%s",
			strcmp(kind, "room") == 0 ? "ma-chan" : "ma-cat",
			svc ? svc->host.len : 0, svc ? svc->host.s : "", guid);
	return buf;
}

void pchat_admin_reply_removed(rpc_t *rpc, void *ctx, const char *name)
{
	void *th;

	if(rpc->add(ctx, "{", &th) >= 0)
		rpc->struct_add(th, "sd", "removed", name, "count", 1);
}

int pchat_admin_is_true(const char *v)
{
	return v && v[0] == '1';
}

void pchat_admin_list(
		rpc_t *rpc, void *ctx, int name_max, pchat_admin_reply_f reply)
{
	pchat_args_t args;
	char name[1100];
	int has_name, limit = 1000;

	if(name_max > (int)sizeof(name))
		name_max = sizeof(name);
	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| (has_name = pchat_args_cstr(&args, "name", name, name_max)) < 0
			|| pchat_args_int(&args, "result_size", 1, 1000000, &limit) < 0
			|| pchat_args_done(&args) < 0
			|| reply(rpc, ctx, &args, has_name ? name : NULL, limit) < 0)
		pchat_admin_fault(rpc, ctx, &args);
}

int pchat_admin_reply_rows(rpc_t *rpc, void *ctx, pchat_args_t *args,
		const char *sql, const char *name, long long limit,
		pchat_admin_row_f add, const char *doing)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	int i;

	rc = pchat_db_exec(sql, &res, name, name, limit);
	if(rc != PCHAT_STORE_OK)
		return pchat_admin_store_error(args, rc, doing);
	for(i = 0; i < res.nrows; i++) {
		if(add(rpc, ctx, res.rows[i]) < 0) {
			pchat_db_res_free(&res);
			return pchat_args_error(args, 500, "cannot build the reply");
		}
	}
	pchat_db_res_free(&res);
	return 0;
}

int pchat_admin_begin(pchat_args_t *args)
{
	pchat_store_rc_t rc = pchat_db_begin();

	if(rc != PCHAT_STORE_OK)
		return pchat_admin_store_error(args, rc, "starting a transaction");
	return 0;
}

int pchat_admin_named_write(pchat_args_t *args, pchat_store_rc_t rc,
		const char *field, const char *what, const char *name,
		const char *doing)
{
	if(rc == PCHAT_STORE_OK)
		return 0;
	if(pchat_db_errno() == PCHAT_ER_DUP_ENTRY)
		return pchat_args_error(args, 409,
				"field '%s': %s named '%s' already exists", field, what, name);
	return pchat_admin_store_error(args, rc, doing);
}

int pchat_admin_end(pchat_args_t *args, int r)
{
	pchat_store_rc_t rc;

	if(r < 0) {
		pchat_db_rollback();
		return -1;
	}
	if((rc = pchat_db_commit()) != PCHAT_STORE_OK)
		return pchat_admin_store_error(args, rc, "committing");
	return 0;
}
