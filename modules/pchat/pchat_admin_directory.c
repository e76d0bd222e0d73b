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
/* Admin RPCs for everything around the rooms: add-ins, Persistent Chat
 * policy, service configuration, user groups and eligible principals. */

#include "pchat_admin.h"
#include "pchat_admin_rpc.h"

/* clang-format off */
rpc_export_t pchat_admin_directory_rpc[] = {
	{0, 0, 0, 0}
};
/* clang-format on */
