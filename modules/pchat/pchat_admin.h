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
/* What the admin RPC files share: error replies, node lookups, principal
 * lists (roles and category walls) and URIs. Each admin RPC reads its
 * arguments with pchat_rpcargs, validates all of them before touching the
 * store, runs multi-row changes in one transaction, and answers a fault
 * that names the field and the reason. */

#ifndef _PCHAT_ADMIN_H_
#define _PCHAT_ADMIN_H_

#include "core/rpc.h"

#include "pchat_db.h"
#include "pchat_rpcargs.h"

/* Sends args' error as the RPC fault. */
void pchat_admin_fault(rpc_t *rpc, void *ctx, pchat_args_t *args);

/* Records a store failure in args (503 while the database is down, 500
 * otherwise, naming what was being done); returns -1. */
int pchat_admin_store_error(
		pchat_args_t *args, pchat_store_rc_t rc, const char *doing);

/* A table of named rows for pchat_admin_id_by_name(): the SELECT of the
 * id by name (one parameter; cached by address, so a constant), the same
 * FOR UPDATE (or NULL), the noun of the 404 ("no <noun> named '...'") and
 * the work named in a store error. */
typedef struct pchat_admin_named
{
	const char *sql;
	const char *sql_lock;
	const char *noun;
	const char *doing;
} pchat_admin_named_t;

/* Id of the row of that name, locked for the transaction when lock is set;
 * 0 and a 404 naming field when there is none; -1 on a store error. */
long long pchat_admin_id_by_name(pchat_args_t *args,
		const pchat_admin_named_t *t, const char *name, const char *field,
		int lock);

/* Id of the node of that kind ("category"/"room") and name; 0 and a 404
 * error when there is none; -1 on a store error. */
long long pchat_admin_node_id(pchat_args_t *args, const char *kind,
		const char *name, const char *field);

/* 0 when the admin group exists, and then name (NUL-terminated) is
 * rewritten as the group's stored name (names match case-insensitively,
 * the principal columns compare bytes); -1 with a 404 naming field key when
 * it does not (or on a store error). */
int pchat_admin_group_exists(pchat_args_t *args, const char *key, char *name);

/* Id of the root category (-1 on a store error). */
long long pchat_admin_root_id(pchat_args_t *args);

/* Applies the principals of repeated field 'key' to a node: adds them
 * (add=1) or removes them (add=0) in table pchat_role (what = role) or
 * pchat_scope (what = allowed/denied). Groups must exist. Returns the
 * number of rows changed, -1 on error. Call inside a transaction. */
typedef enum pchat_plist
{
	PCHAT_PLIST_ROLE = 0,
	PCHAT_PLIST_SCOPE = 1
} pchat_plist_t;
int pchat_admin_principals(pchat_args_t *args, pchat_plist_t table,
		long long node_id, const char *what, const char *key, int add);

/* Adds "name": [principals...] of a node to an RPC struct. */
int pchat_admin_add_principal_list(rpc_t *rpc, void *th, pchat_plist_t table,
		long long node_id, const char *what, const char *name);

/* ma-cat://<domain>/<guid> or ma-chan://<domain>/<guid>, with the domain of
 * the first chat-service URI. */
const char *pchat_admin_node_uri(const char *kind, const char *guid,
		char *buf, int size);

/* Runs sql (parameters: name, name, limit; a NULL name matches all) and
 * adds one reply item per row with add(); doing names the work in a store
 * error. */
typedef int (*pchat_admin_row_f)(rpc_t *rpc, void *ctx, char **row);
int pchat_admin_reply_rows(rpc_t *rpc, void *ctx, pchat_args_t *args,
		const char *sql, const char *name, long long limit,
		pchat_admin_row_f add, const char *doing);

/* The "get" RPCs of named things (categories, add-ins, groups): optional
 * name= (exact, at most name_max - 1 bytes) and result_size= (default
 * 1000), then reply() answers with the matching items. */
typedef int (*pchat_admin_reply_f)(rpc_t *rpc, void *ctx, pchat_args_t *args,
		const char *name, long long limit);
void pchat_admin_list(
		rpc_t *rpc, void *ctx, int name_max, pchat_admin_reply_f reply);

/* The reply of the remove RPCs: {"removed": name, "count": 1}. */
void pchat_admin_reply_removed(rpc_t *rpc, void *ctx, const char *name);

/* "true"/"false" for a 0/1 column. */
int pchat_admin_is_true(const char *v);

/* The transaction of an admin RPC, after all its arguments are valid:
 *   if(pchat_admin_begin(&args) < 0) goto fault;
 *   r = pchat_admin_named_write(&args, pchat_db_exec(...), ...);
 *   ... more work, r = -1 on an error ...
 *   if(pchat_admin_end(&args, r) < 0) goto fault;
 * Each returns 0 or -1 with the error recorded in args. */
int pchat_admin_begin(pchat_args_t *args);

/* Checks rc of the statement that creates or renames the row called name:
 * a duplicate key is a 409 on field ("a category named '...' already
 * exists", what = "a category"), any other failure a store error while
 * doing. */
int pchat_admin_named_write(pchat_args_t *args, pchat_store_rc_t rc,
		const char *field, const char *what, const char *name,
		const char *doing);

/* Commits when r >= 0, rolls back otherwise (r is the caller's result);
 * 0 once committed. */
int pchat_admin_end(pchat_args_t *args, int r);

#endif
