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
/* Entry layer (RPC): the compliance events of the admin RPCs (issue 15):
 * message removal and replacement, room clears, and the changes to
 * rooms and categories with their state before and after. */

#ifndef _PCHAT_ADMIN_COMPLY_H_
#define _PCHAT_ADMIN_COMPLY_H_

#include "pchat_rpcargs.h"

/* Is compliance on (pchat_config 'compliance', the node's copy)? */
int pchat_admin_comply_on(void);

/* An event of an RPC in its transaction, when compliance is on: type
 * REPLACE, REMOVE or CLEAR; node_id the room (0: none), seq the message
 * (0: none), detail JSON (NULL: none). The administrator is "rpc" (the
 * RPC interfaces name no caller). 0, or -1 with the error in args. */
int pchat_admin_comply(pchat_args_t *args, const char *type, long long node_id,
		long long seq, const char *content, const char *detail);

/* REPLACE or REMOVE of a message: the original text (and the new one)
 * kept in detail. */
int pchat_admin_comply_message(pchat_args_t *args, long long node_id,
		long long seq, const char *original, const char *replacement);

/* ADMIN: a room or category changed by the RPC named rpc_name. Call
 * pchat_admin_node_state() before the change (malloc'ed JSON of the node
 * with its roles and scopes, NULL when compliance is off or the node
 * does not exist yet), then pchat_admin_comply_change() after it in the
 * same transaction; it frees before. detail is {"rpc", "before",
 * "after"} (after: null once the node is removed). */
char *pchat_admin_node_state(long long node_id);
int pchat_admin_comply_change(pchat_args_t *args, const char *rpc_name,
		long long node_id, char *before);

#endif
