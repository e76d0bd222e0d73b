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
/* Entry layer (RPC side): the status RPC table, registered by pchat_mod.c. */
#ifndef _PCHAT_RPC_H_
#define _PCHAT_RPC_H_

#include "core/rpc.h"

extern rpc_export_t pchat_rpc_cmds[];

/* mod_init: the "pchat" counters read from the state pchat.status shows
 * (sessions, posts, compliance backlog, ...). */
int pchat_rpc_counters_init(void);

#endif
