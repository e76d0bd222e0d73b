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
/* Store queries of alerts: see pchat_alert_store.h. */

#include <stdio.h>
#include <stdlib.h>

#include "pchat_alert_store.h"

/* The folding of the history search (the column's collation): a word
 * matches where its weights are a run of the text's weights. */
#define PCHAT_ALERT_WEIGHTS(x)                                              \
	"HEX(WEIGHT_STRING(CONVERT(" x " USING utf8mb4) COLLATE "              \
	"utf8mb4_unicode_ci))"

int pchat_alert_store_add(str *user, const char *kind, const char *pattern,
		long long room_id, int max, long long *id)
{
	pchat_db_res_t res;
	pchat_store_rc_t src;
	int full;

	if((src = pchat_db_begin()) != PCHAT_STORE_OK)
		return src;
	/* locks the user's rows: two racing adds cannot both pass the cap */
	src = pchat_db_exec("SELECT COUNT(*) FROM pchat_alert WHERE user_uri = ? "
						"FOR UPDATE",
			&res, user);
	if(src != PCHAT_STORE_OK)
		goto rollback;
	full = res.nrows > 0 && atoi(res.rows[0][0]) >= max;
	pchat_db_res_free(&res);
	if(full) {
		pchat_db_rollback();
		return 0;
	}
	src = pchat_db_exec("INSERT INTO pchat_alert (user_uri, kind, pattern, "
						"room_id, created_ms) VALUES (?, ?, ?, NULLIF(?, 0), "
						PCHAT_DB_NOW_MS ")",
			NULL, user, kind, pattern, room_id);
	if(src != PCHAT_STORE_OK)
		goto rollback;
	*id = (long long)pchat_db_insert_id();
	if((src = pchat_db_commit()) != PCHAT_STORE_OK)
		return src;
	return 1;
rollback:
	pchat_db_rollback();
	return src;
}

pchat_store_rc_t pchat_alert_store_list(str *user, pchat_db_res_t *res)
{
	return pchat_db_exec("SELECT a.id, a.kind, a.pattern, n.guid, a.created_ms "
						 "FROM pchat_alert a LEFT JOIN pchat_node n ON "
						 "n.id = a.room_id WHERE a.user_uri = ? ORDER BY a.id",
			res, user);
}

int pchat_alert_store_remove(str *user, long long id)
{
	pchat_store_rc_t src;

	src = pchat_db_exec("DELETE FROM pchat_alert WHERE user_uri = ? AND id = ?",
			NULL, user, id);
	if(src != PCHAT_STORE_OK)
		return src;
	return pchat_db_affected() > 0;
}

pchat_store_rc_t pchat_alert_store_load(pchat_db_res_t *res)
{
	return pchat_db_exec("SELECT id, IFNULL(room_id, 0), kind, user_uri, "
						 "IF(kind = 'word', " PCHAT_ALERT_WEIGHTS("pattern")
						 ", pattern) FROM pchat_alert ORDER BY user_uri, id",
			res);
}

pchat_store_rc_t pchat_alert_store_stamp(long long *count, long long *max_id)
{
	pchat_db_res_t res;
	pchat_store_rc_t src;

	src = pchat_db_exec(
			"SELECT COUNT(*), IFNULL(MAX(id), 0) FROM pchat_alert", &res);
	if(src != PCHAT_STORE_OK)
		return src;
	*count = res.nrows ? strtoll(res.rows[0][0], NULL, 10) : 0;
	*max_id = res.nrows ? strtoll(res.rows[0][1], NULL, 10) : 0;
	pchat_db_res_free(&res);
	return PCHAT_STORE_OK;
}

pchat_store_rc_t pchat_alert_store_weights(const char *text, pchat_db_res_t *res)
{
	return pchat_db_exec("SELECT " PCHAT_ALERT_WEIGHTS("?"), res, text);
}

/* "SELECT w(?), w(?), ..." for 1..PCHAT_ALERT_FOLD_MAX texts: made once,
 * so each keeps its address (the key of the statement cache). */
#define PCHAT_ALERT_FOLD_COL ", " PCHAT_ALERT_WEIGHTS("?")
static char _pchat_fold_sql[PCHAT_ALERT_FOLD_MAX][PCHAT_ALERT_FOLD_MAX
												   * sizeof(PCHAT_ALERT_FOLD_COL)
												   + 16];

static const char *pchat_alert_fold_sql(int n)
{
	char *q = _pchat_fold_sql[n - 1];
	int i, len;

	if(q[0] == '\0') {
		len = snprintf(q, sizeof(_pchat_fold_sql[0]), "%s",
				"SELECT " PCHAT_ALERT_WEIGHTS("?"));
		for(i = 1; i < n; i++)
			len += snprintf(q + len, sizeof(_pchat_fold_sql[0]) - len, "%s",
					PCHAT_ALERT_FOLD_COL);
	}
	return q;
}

pchat_store_rc_t pchat_alert_store_weights_n(
		const char **texts, int n, pchat_db_res_t *res)
{
	pchat_db_param_t p[PCHAT_ALERT_FOLD_MAX];
	int i;

	if(n < 1 || n > PCHAT_ALERT_FOLD_MAX)
		return PCHAT_STORE_ERROR;
	for(i = 0; i < n; i++)
		p[i] = pchat_db_p_cs(texts[i]);
	return pchat_db_execv(pchat_alert_fold_sql(n), res, n, p);
}

long long pchat_alert_store_kept(str *user, str *domain)
{
	pchat_db_res_t res;
	pchat_store_rc_t src;
	long long n;

	src = pchat_db_exec("SELECT COUNT(*) FROM silo WHERE username = ? AND "
						"domain = ?",
			&res, user, domain);
	if(src != PCHAT_STORE_OK)
		return src;
	n = res.nrows ? strtoll(res.rows[0][0], NULL, 10) : 0;
	pchat_db_res_free(&res);
	return n;
}
