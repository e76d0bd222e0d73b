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
/* Store queries of alerts (issue 18 point 3): a user's subscriptions in
 * pchat_alert (add under the per-user cap, list, remove), the whole table
 * for the matcher, and the collation weights MariaDB gives a text. */

#ifndef _PCHAT_ALERT_STORE_H_
#define _PCHAT_ALERT_STORE_H_

#include "core/str.h"

#include "pchat_db.h"

/* Adds a subscription (kind "word" or "author"; room_id 0: every room)
 * unless the user has max already: 1 added (*id set), 0 full, or a
 * PCHAT_STORE_* error (< 0). */
int pchat_alert_store_add(str *user, const char *kind, const char *pattern,
		long long room_id, int max, long long *id);

/* The user's subscriptions, oldest first: id, kind, pattern, the room's
 * guid (NULL: every room), created_ms. */
pchat_store_rc_t pchat_alert_store_list(str *user, pchat_db_res_t *res);

/* Removes one of the user's subscriptions: 1 removed, 0 none such, or a
 * PCHAT_STORE_* error. */
int pchat_alert_store_remove(str *user, long long id);

/* Every subscription, by user: id, room_id (0 for all), kind, user_uri,
 * then hex weights of a word or the author's URI. */
pchat_store_rc_t pchat_alert_store_load(pchat_db_res_t *res);

/* What changes with any add or remove: the count and the highest id. */
pchat_store_rc_t pchat_alert_store_stamp(long long *count, long long *max_id);

/* The weights of text (hex, 4 digits each) under utf8mb4_unicode_ci: one
 * row, one column. */
pchat_store_rc_t pchat_alert_store_weights(const char *text, pchat_db_res_t *res);

/* The same for up to PCHAT_ALERT_FOLD_MAX texts in one round trip: one
 * row, a column each. */
#define PCHAT_ALERT_FOLD_MAX 16
pchat_store_rc_t pchat_alert_store_weights_n(
		const char **texts, int n, pchat_db_res_t *res);

/* Front-end: the alerts msilo keeps for user@domain (table silo): their
 * count, or a PCHAT_STORE_* error (< 0). */
long long pchat_alert_store_kept(str *user, str *domain);

#endif
