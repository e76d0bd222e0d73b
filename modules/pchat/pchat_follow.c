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
 * each (table pchat_follow). */

#include <stdlib.h>

#include "pchat_follow.h"

/* Is the user at max followed rooms? 1 or 0, or a PCHAT_STORE_* error.
 * Inside the transaction the count locks the user's rows, so two racing
 * follows cannot both pass the bound. */
static int pchat_follow_full(str *user, int max)
{
	pchat_db_res_t res;
	pchat_store_rc_t src;
	int full;

	src = pchat_db_exec("SELECT COUNT(*) FROM pchat_follow WHERE user_uri = "
						"? FOR UPDATE",
			&res, user);
	if(src != PCHAT_STORE_OK)
		return src;
	full = res.nrows > 0 && atoi(res.rows[0][0]) >= max;
	pchat_db_res_free(&res);
	return full;
}

int pchat_follow_add(str *user, long long room_id, int max)
{
	long long last;
	pchat_store_rc_t src;
	int rc;

	if((src = pchat_db_begin()) != PCHAT_STORE_OK)
		return src;
	rc = pchat_follow_get(user, room_id, &last);
	if(rc == 1) {
		pchat_db_rollback();
		return PCHAT_FOLLOW_ALREADY;
	}
	if(rc == 0)
		rc = pchat_follow_full(user, max);
	if(rc != 0) {
		pchat_db_rollback();
		return rc == 1 ? PCHAT_FOLLOW_FULL : rc;
	}
	src = pchat_db_exec("INSERT IGNORE INTO pchat_follow (user_uri, room_id, "
						"last_read_seq, created_ms) SELECT ?, ?, "
						"COALESCE(MAX(seq), 0), " PCHAT_DB_NOW_MS
						" FROM pchat_message WHERE room_id = ?",
			NULL, user, room_id, room_id);
	if(src != PCHAT_STORE_OK) {
		pchat_db_rollback();
		return src;
	}
	src = pchat_db_commit();
	return src == PCHAT_STORE_OK ? PCHAT_FOLLOW_ADDED : src;
}

int pchat_follow_remove(str *user, const char *guid)
{
	pchat_store_rc_t src;

	src = pchat_db_exec("DELETE f FROM pchat_follow f JOIN pchat_node r ON "
						"r.id = f.room_id WHERE f.user_uri = ? AND r.guid = ?",
			NULL, user, guid);
	if(src != PCHAT_STORE_OK)
		return src;
	return pchat_db_affected() > 0;
}

int pchat_follow_get(str *user, long long room_id, long long *last_read)
{
	pchat_db_res_t res;
	pchat_store_rc_t src;
	int found;

	src = pchat_db_exec("SELECT last_read_seq FROM pchat_follow WHERE "
						"user_uri = ? AND room_id = ?",
			&res, user, room_id);
	if(src != PCHAT_STORE_OK)
		return src;
	found = res.nrows > 0;
	if(found)
		*last_read = strtoll(res.rows[0][0], NULL, 10);
	pchat_db_res_free(&res);
	return found;
}

pchat_store_rc_t pchat_follow_mark(str *user, long long room_id, long long seq)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	long long last = -1;

	/* bccontext calls this for every room: a read first, so that a room
	 * the user does not follow (or has read) costs no write, and a store
	 * that refuses writes (full disk, read-only) still serves history */
	rc = pchat_db_exec("SELECT last_read_seq FROM pchat_follow WHERE "
					   "user_uri = ? AND room_id = ?",
			&res, user, room_id);
	if(rc != PCHAT_STORE_OK)
		return rc;
	if(res.nrows > 0)
		last = strtoll(res.rows[0][0], NULL, 10);
	pchat_db_res_free(&res);
	if(last < 0 || (seq > 0 && last >= seq))
		return PCHAT_STORE_OK;
	if(seq <= 0)
		return pchat_db_exec(
				"UPDATE pchat_follow SET last_read_seq = GREATEST("
				"last_read_seq, (SELECT COALESCE(MAX(seq), 0) FROM "
				"pchat_message WHERE room_id = ?)) WHERE user_uri = ? AND "
				"room_id = ?",
				NULL, room_id, user, room_id);
	return pchat_db_exec("UPDATE pchat_follow SET last_read_seq = GREATEST("
						 "last_read_seq, LEAST(?, (SELECT COALESCE(MAX(seq), "
						 "0) FROM pchat_message WHERE room_id = ?))) WHERE "
						 "user_uri = ? AND room_id = ?",
			NULL, seq, room_id, user, room_id);
}

pchat_store_rc_t pchat_follow_rooms(str *user, pchat_db_res_t *res)
{
	return pchat_db_exec(
			"SELECT f.room_id, f.last_read_seq, f.created_ms, r.guid FROM "
			"pchat_follow f JOIN pchat_node r ON r.id = f.room_id WHERE "
			"f.user_uri = ? ORDER BY f.created_ms, f.room_id",
			res, user);
}

pchat_store_rc_t pchat_follow_unread(
		str *user, long long room_id, long long last_read, int cap, int *count)
{
	pchat_db_res_t res;
	pchat_store_rc_t src;

	*count = 0;
	/* bounded: a room read long ago costs cap rows, not its history */
	src = pchat_db_exec(
			"SELECT COUNT(*) FROM (SELECT 1 FROM pchat_message WHERE "
			"room_id = ? AND seq > ? AND author <> ? AND status <> 'removed' "
			"AND (author_change IS NULL OR author_change <> 'deleted') "
			"LIMIT ?) t",
			&res, room_id, last_read, user, cap);
	if(src != PCHAT_STORE_OK)
		return src;
	if(res.nrows > 0)
		*count = atoi(res.rows[0][0]);
	pchat_db_res_free(&res);
	return PCHAT_STORE_OK;
}

pchat_store_rc_t pchat_follow_newest(str *user, long long room_id,
		long long last_read, int cap, pchat_db_res_t *res)
{
	/* one round trip a room: the newest row, and the bounded count */
	return pchat_db_exec(
			"SELECT seq, ts_ms, author, content, author_change, changed_ms, "
			"(SELECT COUNT(*) FROM (SELECT 1 FROM pchat_message WHERE "
			"room_id = ? AND seq > ? AND author <> ? AND status <> 'removed' "
			"AND (author_change IS NULL OR author_change <> 'deleted') "
			"LIMIT ?) t) FROM pchat_message WHERE room_id = ? ORDER BY seq "
			"DESC LIMIT 1",
			res, room_id, last_read, user, cap, room_id);
}
