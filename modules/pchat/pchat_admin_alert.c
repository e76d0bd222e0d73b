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
/* Admin RPCs of alerts (issue 18 point 3): pchat.alert_list, a user's
 * subscriptions; pchat.alert_stats, what this node's alert process did. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pchat_admin.h"
#include "pchat_admin_rpc.h"
#include "pchat_alert.h"
#include "pchat_alert_store.h"
#include "pchat_identity.h"

static const char *pchat_rpc_alert_list_doc[] = {
		"A user's alert subscriptions (cmd:alertadd): user= (sip:user@domain). "
		"One item each: id, kind (word/author), pattern, room (guid, empty "
		"for every room the user may read), created (ms since 1970).",
		0};

static void pchat_rpc_alert_list(rpc_t *rpc, void *ctx)
{
	char in[256], user[PCHAT_IDENTITY_MAX];
	const char *why = NULL;
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	pchat_args_t args;
	void *th;
	str u;
	int i;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_args_need(&args, "user", in, sizeof(in)) < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	if(strncasecmp(in, "sip:", 4) != 0
			|| pchat_identity_canon(in, strlen(in), user, sizeof(user), &why)
					   <= 0) {
		pchat_args_error(&args, 400,
				"field 'user': '%s' is not a user URI (sip:user@domain)%s%s",
				in, why ? ": " : "", why ? why : "");
		goto fault;
	}
	u.s = user;
	u.len = strlen(user);
	if((rc = pchat_alert_store_list(&u, &res)) != PCHAT_STORE_OK) {
		pchat_admin_store_error(&args, rc, "reading the alerts");
		goto fault;
	}
	for(i = 0; i < res.nrows; i++) {
		if(rpc->add(ctx, "{", &th) < 0)
			break;
		rpc->struct_add(th, "sssss", "id", res.rows[i][0], "kind",
				res.rows[i][1], "pattern", res.rows[i][2], "room",
				res.rows[i][3] ? res.rows[i][3] : "", "created",
				res.rows[i][4]);
	}
	pchat_db_res_free(&res);
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

static const char *pchat_rpc_alert_stats_doc[] = {
		"This node's alert process since start: posts matched, posts dropped "
		"(queue full), users alerted, notices and MESSAGEs sent, matches dropped because the "
		"user may not read the room, subscriptions in memory, and the "
		"microseconds spent folding (MariaDB), matching (in memory) and in "
		"all (the process's CPU) per post.",
		0};

static void pchat_rpc_alert_stats(rpc_t *rpc, void *ctx)
{
	pchat_alert_stats_t st;
	unsigned long n;
	void *th;

	pchat_alert_stats(&st);
	n = st.posts ? st.posts : 1;
	if(rpc->add(ctx, "{", &th) < 0)
		return;
	rpc->struct_add(th, "dddddddfff", "posts", (int)st.posts, "dropped",
			(int)st.dropped, "alerted", (int)st.alerted, "notices",
			(int)st.notices, "messages", (int)st.messages, "denied",
			(int)st.denied, "subscriptions",
			(int)st.subs, "fold_us_per_post", (double)st.fold_us / n,
			"match_us_per_post", (double)st.match_us / n, "cpu_us_per_post",
			(double)st.cpu_us / n);
}

/* clang-format off */
rpc_export_t pchat_admin_alert_rpc[] = {
	{"pchat.alert_list", pchat_rpc_alert_list, pchat_rpc_alert_list_doc,
		RET_ARRAY},
	{"pchat.alert_stats", pchat_rpc_alert_stats, pchat_rpc_alert_stats_doc, 0},
	{0, 0, 0, 0}
};
/* clang-format on */
