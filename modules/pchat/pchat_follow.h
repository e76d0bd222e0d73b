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
/* Store queries: the rooms a user follows and how far the user has read
 * each (table pchat_follow, doc/xccos.md 3.18). */

#ifndef _PCHAT_FOLLOW_H_
#define _PCHAT_FOLLOW_H_

#include "core/str.h"

#include "pchat_db.h"

/* What pchat_follow_add() answers besides the PCHAT_STORE_* errors. */
#define PCHAT_FOLLOW_ADDED 1
#define PCHAT_FOLLOW_ALREADY 0
#define PCHAT_FOLLOW_FULL 2

/* Follows a room, read up to its newest post (following starts with
 * nothing unread); at most max rooms a user. Following again keeps the
 * read mark. */
int pchat_follow_add(str *user, long long room_id, int max);
/* Unfollows the room of that guid: 1 when it was followed, 0 when not
 * (the same answer, and the same query, for a room that does not exist). */
int pchat_follow_remove(str *user, const char *guid);
/* The read mark of a followed room: 1 (*last_read set) or 0 not followed. */
int pchat_follow_get(str *user, long long room_id, long long *last_read);
/* Moves the read mark forward to seq (never back, never past the newest
 * post; seq <= 0: the newest). Touches nothing for a room not followed. */
pchat_store_rc_t pchat_follow_mark(str *user, long long room_id, long long seq);
/* The followed rooms, oldest follow first: room_id, last_read_seq,
 * created_ms, guid. */
pchat_store_rc_t pchat_follow_rooms(str *user, pchat_db_res_t *res);
/* Posts after last_read by others than user, not deleted by their author
 * nor removed by an administrator, counted up to cap (*count = cap: that
 * many or more). */
pchat_store_rc_t pchat_follow_unread(
		str *user, long long room_id, long long last_read, int cap, int *count);
/* The newest post of a room as history shows it, and the unread count
 * of pchat_follow_unread() beside it (no row: the room has no post):
 * seq, ts_ms, author, content, author_change, changed_ms, unread. */
pchat_store_rc_t pchat_follow_newest(str *user, long long room_id,
		long long last_read, int cap, pchat_db_res_t *res);

#endif
