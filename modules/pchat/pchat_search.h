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
/* Store layer: history search, the query over the stored messages of the
 * rooms a caller has already found readable (the caller decides who may
 * read what; this file only matches text, authors, dates and a cursor). */

#ifndef _PCHAT_SEARCH_H_
#define _PCHAT_SEARCH_H_

#include "pchat_db.h"

/* Bounds of one query: longer texts and lists are refused before any SQL
 * is built (the command's 400). */
#define PCHAT_SEARCH_TEXT_MAX 256 /* characters */
#define PCHAT_SEARCH_AUTHORS_MAX 20
#define PCHAT_SEARCH_ROOMS_MAX 100 /* rooms named in one query */
/* A query running longer is stopped by MariaDB (max_statement_time): a
 * store worker is not held by one search, and the answer comes before the
 * connection's 5 s read timeout would take the connection down. */
#define PCHAT_SEARCH_TIME_MAX_S 3

/* the first of the story columns (is_story, is_alert, story_title) */
#define PCHAT_SEARCH_COL_STORY 8

typedef struct pchat_search_q
{
	const char *text;          /* substring, case and accent folded; "" any */
	const long long *rooms;    /* room ids to search (already readable) */
	int nrooms;
	int any_room;              /* administrators: every room, rooms unused */
	const char *const *authors; /* canonical URIs, none: any author */
	int nauthors;
	long long from_ms, to_ms;  /* 0: open end */
	/* the cursor: only messages older in (ts_ms, room, seq) order; 0 none */
	long long before_ts, before_room, before_seq;
	int limit;                 /* rows to return */
} pchat_search_q_t;

/* The matching messages, newest first. Columns: seq, ts_ms, author,
 * content, author_change, changed_ms (as pchat_cmd_write_msg reads them),
 * room_id, the room's guid, then from PCHAT_SEARCH_COL_STORY is_story,
 * is_alert, story_title. A text matches the content or a story's title.
 * Posts their author deleted never match. nrooms 0
 * (and not any_room): no rows. */
pchat_store_rc_t pchat_search_messages(
		const pchat_search_q_t *q, pchat_db_res_t *res);

/* After a PCHAT_STORE_ERROR of pchat_search_messages(): 1 when the query
 * was stopped at PCHAT_SEARCH_TIME_MAX_S. */
int pchat_search_timed_out(void);

#endif
