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
/* Admin RPC for followed rooms (issue 18): pchat.follow_list, a user's
 * followed rooms with read marks and unread counts. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pchat_admin.h"
#include "pchat_admin_rpc.h"
#include "pchat_follow.h"
#include "pchat_identity.h"

#define PCHAT_FOLLOW_RPC_UNREAD_CAP 1000

static const char *_pchat_follow_select =
		"SELECT r.name, r.guid, f.last_read_seq, f.created_ms, f.room_id FROM "
		"pchat_follow f JOIN pchat_node r ON r.id = f.room_id WHERE "
		"f.user_uri = ? ORDER BY f.created_ms, f.room_id";

static const char *pchat_rpc_follow_list_doc[] = {
		"List the rooms a user follows (user=sip:user@domain), oldest "
		"follow first: room, room_guid, last_read_seq, followed_ms and "
		"unread (posts by others after the read mark, not deleted; counted "
		"up to 1000, then \"1000+\"). Permissions are not applied: the "
		"user's own list (cmd:followlist) hides what it may no longer read.",
		0};

static int pchat_follow_add_row(
		rpc_t *rpc, void *ctx, pchat_args_t *args, str *user, char **row)
{
	pchat_store_rc_t rc;
	char unread[16];
	void *th;
	int n;

	rc = pchat_follow_unread(user, strtoll(row[4], NULL, 10),
			strtoll(row[2], NULL, 10), PCHAT_FOLLOW_RPC_UNREAD_CAP, &n);
	if(rc != PCHAT_STORE_OK)
		return pchat_admin_store_error(args, rc, "counting unread posts");
	snprintf(unread, sizeof(unread), "%d%s", n,
			n >= PCHAT_FOLLOW_RPC_UNREAD_CAP ? "+" : "");
	if(rpc->add(ctx, "{", &th) < 0
			|| rpc->struct_add(th, "sssss", "room", row[0], "room_guid", row[1],
					   "last_read_seq", row[2], "followed_ms", row[3], "unread",
					   unread)
					   < 0)
		return pchat_args_error(args, 500, "cannot build the reply");
	return 0;
}

static void pchat_rpc_follow_list(rpc_t *rpc, void *ctx)
{
	char in[PCHAT_IDENTITY_MAX] = "", canon[PCHAT_IDENTITY_MAX];
	const char *why = NULL;
	pchat_args_t args;
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	str user;
	int i, n;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_args_need(&args, "user", in, sizeof(in)) < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	n = pchat_identity_canon(in, strlen(in), canon, sizeof(canon), &why);
	if(n <= 0) {
		pchat_args_error(&args, 400,
				"field 'user': '%s' is not a user URI (sip:user@domain)%s%s",
				in, why ? ": " : "", why ? why : "");
		goto fault;
	}
	user.s = canon;
	user.len = n;
	rc = pchat_db_exec(_pchat_follow_select, &res, &user);
	if(rc != PCHAT_STORE_OK) {
		pchat_admin_store_error(&args, rc, "reading the followed rooms");
		goto fault;
	}
	for(i = 0; i < res.nrows; i++) {
		if(pchat_follow_add_row(rpc, ctx, &args, &user, res.rows[i]) < 0) {
			pchat_db_res_free(&res);
			goto fault;
		}
	}
	pchat_db_res_free(&res);
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

/* clang-format off */
rpc_export_t pchat_admin_follow_rpc[] = {
	{"pchat.follow_list", pchat_rpc_follow_list, pchat_rpc_follow_list_doc, RET_ARRAY},
	{0, 0, 0, 0}
};
/* clang-format on */
