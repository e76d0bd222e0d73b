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
/* Revocation online: after an administrator's change has committed, the
 * online participants of the rooms it touches are checked again with the
 * rule the join uses (pchat_room_access_rows + pchat_perm), and the
 * sessions that may no longer join are parted, the others told (ntc:part). */

#ifndef _PCHAT_REVOKE_H_
#define _PCHAT_REVOKE_H_

/* Re-checks one room; returns the number of sessions parted. */
int pchat_revoke_room(long long room_id);

/* Re-checks every room in the subtree of a category. */
int pchat_revoke_category(long long cat_id);

/* Re-checks every room of every session of the users a policy scope
 * covers: user (canonical URI), domain, or all when both are NULL. */
int pchat_revoke_users(const char *user, const char *domain);

#endif
