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
/* The admin RPC tables, one per file; registered by pchat_mod.c. */

#ifndef _PCHAT_ADMIN_RPC_H_
#define _PCHAT_ADMIN_RPC_H_

#include "core/rpc.h"

extern rpc_export_t pchat_admin_category_rpc[];
extern rpc_export_t pchat_admin_room_rpc[];
extern rpc_export_t pchat_admin_directory_rpc[];
extern rpc_export_t pchat_admin_policy_rpc[];
extern rpc_export_t pchat_admin_group_rpc[];
extern rpc_export_t pchat_admin_hold_rpc[];
extern rpc_export_t pchat_admin_file_rpc[];
extern rpc_export_t pchat_admin_compliance_rpc[];
extern rpc_export_t pchat_admin_search_rpc[];
extern rpc_export_t pchat_admin_follow_rpc[];

#endif
