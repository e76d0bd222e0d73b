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
/* Store layer: the history search query (pchat_search.h). Text SQL built
 * with pchat_sql_* (numbers printed, strings quoted): the room list has any
 * length, which a cached prepared statement cannot take. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dprint.h"

#include "pchat_search.h"

#define PCHAT_ER_STATEMENT_TIMEOUT 1969 /* max_statement_time exceeded */

/* A LIKE pattern matching text as a substring: %, _ and \ of the text
 * stand for themselves. out holds 2 * strlen(in) + 3 bytes. */
static void pchat_search_like(const char *in, char *out)
{
	int o = 0;

	out[o++] = '%';
	for(; *in; in++) {
		if(*in == '%' || *in == '_' || *in == '\\')
			out[o++] = '\\';
		out[o++] = *in;
	}
	out[o++] = '%';
	out[o] = '\0';
}

static void pchat_search_where(pchat_sql_t *s, const pchat_search_q_t *q)
{
	char *like;
	int i;

	if(q->any_room) {
		pchat_sql_add(s, " WHERE 1");
	} else {
		pchat_sql_add(s, " WHERE m.room_id IN (");
		for(i = 0; i < q->nrooms; i++)
			pchat_sql_add(s, "%s%lld", i ? "," : "", q->rooms[i]);
		pchat_sql_add(s, ")");
	}
	pchat_sql_add(s, " AND (m.author_change IS NULL OR "
					 "m.author_change <> 'deleted')");
	if(q->text && q->text[0]) {
		like = malloc(2 * strlen(q->text) + 3);
		if(like == NULL) {
			s->err = 1;
			return;
		}
		pchat_search_like(q->text, like);
		/* content's collation (utf8mb4_unicode_ci) folds case and
		 * accents; ESCAPE is the default backslash */
		pchat_sql_add(s, " AND m.content LIKE ");
		pchat_sql_quote(s, like, strlen(like));
		free(like);
	}
	if(q->nauthors > 0) {
		pchat_sql_add(s, " AND m.author IN (");
		for(i = 0; i < q->nauthors; i++) {
			pchat_sql_add(s, "%s", i ? "," : "");
			pchat_sql_quote(s, q->authors[i], strlen(q->authors[i]));
		}
		pchat_sql_add(s, ")");
	}
	if(q->from_ms)
		pchat_sql_add(s, " AND m.ts_ms >= %lld", q->from_ms);
	if(q->to_ms)
		pchat_sql_add(s, " AND m.ts_ms <= %lld", q->to_ms);
	if(q->before_ts)
		pchat_sql_add(s,
				" AND (m.ts_ms < %lld OR (m.ts_ms = %lld AND (m.room_id < %lld "
				"OR (m.room_id = %lld AND m.seq < %lld))))",
				q->before_ts, q->before_ts, q->before_room, q->before_room,
				q->before_seq);
}

pchat_store_rc_t pchat_search_messages(
		const pchat_search_q_t *q, pchat_db_res_t *res)
{
	pchat_store_rc_t rc;
	pchat_sql_t s;
	int at;

	memset(res, 0, sizeof(*res));
	if((q->nrooms <= 0 && !q->any_room) || q->limit <= 0)
		return PCHAT_STORE_OK;
	rc = pchat_db_script_prepare(); /* quoting needs the connection */
	if(rc != PCHAT_STORE_OK)
		return rc;
	pchat_sql_init(&s);
	/* in_predicate_conversion_threshold 0: MariaDB would turn an IN list
	 * of 1,000 rooms or more into a joined table and sort the rows, texts
	 * and all, in an on-disk temporary table (seen: 10 M messages) */
	pchat_sql_add(&s,
			"SET STATEMENT max_statement_time = %d, "
			"in_predicate_conversion_threshold = 0 FOR ",
			PCHAT_SEARCH_TIME_MAX_S);
	pchat_sql_add(&s, "SELECT m.seq, m.ts_ms, m.author, m.content, "
					  "m.author_change, m.changed_ms, m.room_id, n.guid "
					  "FROM pchat_message m JOIN pchat_node n ON n.id = "
					  "m.room_id");
	pchat_search_where(&s, q);
	pchat_sql_add(&s, " ORDER BY m.ts_ms DESC, m.room_id DESC, m.seq DESC LIMIT %d",
			q->limit);
	pchat_sql_end(&s);
	rc = pchat_db_script(&s, res, &at);
	if(rc == PCHAT_STORE_ERROR && !pchat_search_timed_out())
		LM_ERR("the search query failed (sql error %d, %zu bytes, error %u)\n",
				s.err, s.len, pchat_db_errno());
	pchat_sql_free(&s);
	return rc;
}

int pchat_search_timed_out(void)
{
	return pchat_db_errno() == PCHAT_ER_STATEMENT_TIMEOUT;
}
