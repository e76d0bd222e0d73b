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
/* DB layer: prepared statements, bound parameters, the per-process
 * statement cache and transactions. Knows no table and no command. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mysql.h>

#include "core/dprint.h"

#include "pchat_db.h"
#include "pchat_metrics.h"

#define PCHAT_DB_MAX_STMTS 160

typedef struct pchat_db_stmt
{
	const char *sql; /* static text: compared by address */
	MYSQL_STMT *stmt;
} pchat_db_stmt_t;

static pchat_db_stmt_t _pchat_stmts[PCHAT_DB_MAX_STMTS];
static int _pchat_nstmts = 0;
static int _pchat_in_tx = 0;
static unsigned long long _pchat_affected = 0;
static unsigned long long _pchat_insert_id = 0;
static unsigned int _pchat_errno = 0;

void pchat_db_forget_statements(void)
{
	int i;

	for(i = 0; i < _pchat_nstmts; i++)
		mysql_stmt_close(_pchat_stmts[i].stmt);
	_pchat_nstmts = 0;
	_pchat_in_tx = 0;
}

static MYSQL_STMT *pchat_db_prepare(MYSQL *conn, const char *sql)
{
	MYSQL_STMT *st;
	int i;

	for(i = 0; i < _pchat_nstmts; i++) {
		if(_pchat_stmts[i].sql == sql)
			return _pchat_stmts[i].stmt;
	}
	st = mysql_stmt_init(conn);
	if(st == NULL)
		return NULL;
	if(mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
		_pchat_errno = mysql_stmt_errno(st);
		pchat_metric_inc(PCHAT_M_STORE_ERRORS);
		if(!pchat_db_conn_lost(_pchat_errno))
			LM_ERR("cannot prepare [%s]: %s\n", sql, mysql_stmt_error(st));
		mysql_stmt_close(st);
		return NULL;
	}
	if(_pchat_nstmts < PCHAT_DB_MAX_STMTS) {
		_pchat_stmts[_pchat_nstmts].sql = sql;
		_pchat_stmts[_pchat_nstmts].stmt = st;
		_pchat_nstmts++;
	} else {
		LM_WARN("statement cache full: raise PCHAT_DB_MAX_STMTS\n");
	}
	return st;
}

static void pchat_db_release(MYSQL_STMT *st)
{
	int i;

	mysql_stmt_free_result(st);
	for(i = 0; i < _pchat_nstmts; i++) {
		if(_pchat_stmts[i].stmt == st)
			return;
	}
	mysql_stmt_close(st); /* not cached */
}

void pchat_db_res_free(pchat_db_res_t *res)
{
	int i;

	if(res == NULL || res->rows == NULL)
		return;
	for(i = 0; i < res->nrows; i++)
		free(res->rows[i]);
	free(res->rows);
	res->rows = NULL;
	res->nrows = 0;
}

/* Copies every row of an executed statement into res. Result sets go to
 * malloc, not pkg: an admin listing of thousands of rooms must not exhaust
 * a worker's small private heap. */
static int pchat_db_fetch(MYSQL_STMT *st, pchat_db_res_t *res)
{
	MYSQL_RES *meta;
	MYSQL_FIELD *fields;
	MYSQL_BIND *bind = NULL;
	unsigned long *lens = NULL;
	my_bool *nulls = NULL, update_max = 1;
	char **buf = NULL, *p;
	size_t need;
	int c, r, rc = -1, fr;

	memset(res, 0, sizeof(*res));
	meta = mysql_stmt_result_metadata(st);
	if(meta == NULL)
		return 0;
	res->ncols = mysql_num_fields(meta);
	mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max);
	if(mysql_stmt_store_result(st) != 0)
		goto done;
	fields = mysql_fetch_fields(meta);
	bind = calloc(res->ncols, sizeof(MYSQL_BIND));
	lens = calloc(res->ncols, sizeof(unsigned long));
	nulls = calloc(res->ncols, sizeof(my_bool));
	buf = calloc(res->ncols, sizeof(char *));
	if(!bind || !lens || !nulls || !buf)
		goto done;
	for(c = 0; c < res->ncols; c++) {
		buf[c] = malloc(fields[c].max_length + 1);
		if(buf[c] == NULL)
			goto done;
		bind[c].buffer_type = MYSQL_TYPE_STRING;
		bind[c].buffer = buf[c];
		bind[c].buffer_length = fields[c].max_length + 1;
		bind[c].length = &lens[c];
		bind[c].is_null = &nulls[c];
	}
	if(mysql_stmt_bind_result(st, bind) != 0)
		goto done;
	res->nrows = (int)mysql_stmt_num_rows(st);
	res->rows = calloc(res->nrows ? res->nrows : 1, sizeof(char **));
	if(res->rows == NULL)
		goto done;
	for(r = 0; r < res->nrows; r++) {
		fr = mysql_stmt_fetch(st);
		if(fr != 0 && fr != MYSQL_DATA_TRUNCATED) {
			res->nrows = r;
			goto done;
		}
		need = res->ncols * sizeof(char *);
		for(c = 0; c < res->ncols; c++)
			need += nulls[c] ? 0 : lens[c] + 1;
		res->rows[r] = malloc(need);
		if(res->rows[r] == NULL) {
			res->nrows = r;
			goto done;
		}
		p = (char *)(res->rows[r] + res->ncols);
		for(c = 0; c < res->ncols; c++) {
			if(nulls[c]) {
				res->rows[r][c] = NULL;
				continue;
			}
			memcpy(p, buf[c], lens[c]);
			p[lens[c]] = '\0';
			res->rows[r][c] = p;
			p += lens[c] + 1;
		}
	}
	rc = 0;
done:
	if(buf) {
		for(c = 0; c < res->ncols; c++)
			free(buf[c]);
	}
	free(buf);
	free(bind);
	free(lens);
	free(nulls);
	mysql_free_result(meta);
	if(rc < 0)
		pchat_db_res_free(res);
	return rc;
}

/* Number of '?' placeholders outside quoted literals. */
static int pchat_db_placeholders(const char *sql)
{
	char quote = 0;
	int n = 0;

	for(; *sql; sql++) {
		if(quote) {
			if(*sql == '\\' && sql[1])
				sql++;
			else if(*sql == quote)
				quote = 0;
		} else if(*sql == '\'' || *sql == '"') {
			quote = *sql;
		} else if(*sql == '?') {
			n++;
		}
	}
	return n;
}

/* Points bind at a string parameter, or at SQL NULL. */
static void pchat_db_bind_string(
		MYSQL_BIND *bind, unsigned long *len, const char *s, size_t n)
{
	if(s == NULL) {
		bind->buffer_type = MYSQL_TYPE_NULL;
		return;
	}
	*len = n;
	bind->buffer_type = MYSQL_TYPE_STRING;
	bind->buffer = (char *)s;
	bind->buffer_length = n;
	bind->length = len;
}

static pchat_store_rc_t pchat_db_run(const char *sql, pchat_db_res_t *res,
		int n, const pchat_db_param_t *params)
{
	MYSQL *conn;
	MYSQL_STMT *st;
	MYSQL_BIND bind[PCHAT_DB_MAX_PARAMS];
	long long ints[PCHAT_DB_MAX_PARAMS];
	unsigned long lens[PCHAT_DB_MAX_PARAMS];
	const pchat_db_param_t *p;
	int i;

	if(n > PCHAT_DB_MAX_PARAMS || n != pchat_db_placeholders(sql)) {
		/* binding fewer or more values than the SQL has placeholders would
		 * fail in the server or bind the wrong values: refuse it here */
		LM_BUG("%d parameters for [%s]\n", n, sql);
		return PCHAT_STORE_ERROR;
	}
	conn = pchat_db_conn();
	if(conn == NULL) {
		/* no connection (back-off): not a lost one, so pchat_db_execv()
		 * does not retry, and the back-off holds for every request */
		_pchat_errno = 0;
		return PCHAT_STORE_UNAVAILABLE;
	}
	st = pchat_db_prepare(conn, sql);
	if(st == NULL)
		return pchat_db_conn_lost(_pchat_errno) ? PCHAT_STORE_UNAVAILABLE
												   : PCHAT_STORE_ERROR;
	memset(bind, 0, sizeof(bind));
	for(i = 0; i < n; i++) {
		p = &params[i];
		switch(p->type) {
			case PCHAT_DB_T_LL:
				ints[i] = p->v.ll;
				bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
				bind[i].buffer = &ints[i];
				break;
			case PCHAT_DB_T_ULL:
				/* same bits, read back as unsigned by the server */
				memcpy(&ints[i], &p->v.ull, sizeof(ints[i]));
				bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
				bind[i].buffer = &ints[i];
				bind[i].is_unsigned = 1;
				break;
			case PCHAT_DB_T_LLP:
				if(p->v.llp == NULL) {
					bind[i].buffer_type = MYSQL_TYPE_NULL;
					break;
				}
				ints[i] = *p->v.llp;
				bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
				bind[i].buffer = &ints[i];
				break;
			case PCHAT_DB_T_CS:
				pchat_db_bind_string(&bind[i], &lens[i], p->v.cs,
						p->v.cs ? strlen(p->v.cs) : 0);
				break;
			case PCHAT_DB_T_STR:
				pchat_db_bind_string(&bind[i], &lens[i],
						p->v.s ? p->v.s->s : NULL, p->v.s ? p->v.s->len : 0);
				break;
			default:
				LM_BUG("bad parameter type %d for [%s]\n", p->type, sql);
				return PCHAT_STORE_ERROR;
		}
	}
	if((n > 0 && mysql_stmt_bind_param(st, bind) != 0)
			|| mysql_stmt_execute(st) != 0) {
		_pchat_errno = mysql_stmt_errno(st);
		pchat_metric_inc(PCHAT_M_STORE_ERRORS);
		if(pchat_db_conn_lost(_pchat_errno))
			return PCHAT_STORE_UNAVAILABLE;
		LM_DBG("statement failed (%u): %s [%s]\n", _pchat_errno,
				mysql_stmt_error(st), sql);
		if(pchat_db_unwritable(_pchat_errno, mysql_stmt_error(st))) {
			mysql_stmt_reset(st);
			return PCHAT_STORE_UNAVAILABLE;
		}
		mysql_stmt_reset(st);
		return PCHAT_STORE_ERROR;
	}
	_pchat_errno = 0;
	_pchat_affected = mysql_stmt_affected_rows(st);
	_pchat_insert_id = mysql_stmt_insert_id(st);
	if(mysql_stmt_field_count(st) == 0 && _pchat_affected > 0
			&& _pchat_affected != (unsigned long long)-1)
		pchat_db_writable(); /* a write went through */
	if(res == NULL && mysql_stmt_field_count(st) > 0)
		mysql_stmt_store_result(st); /* drained, so the next command runs */
	if(res) {
		if(pchat_db_fetch(st, res) < 0) {
			_pchat_errno = mysql_stmt_errno(st);
			pchat_metric_inc(PCHAT_M_STORE_ERRORS);
			pchat_db_release(st);
			return pchat_db_conn_lost(_pchat_errno) ? PCHAT_STORE_UNAVAILABLE
													   : PCHAT_STORE_ERROR;
		}
	}
	pchat_db_release(st);
	return PCHAT_STORE_OK;
}

/* The error is logged: 1047 (a Galera node out of the primary
 * component) is not a closed socket. */
static void pchat_db_lost(void)
{
	char why[64];

	snprintf(why, sizeof(why), "connection lost (error %u)", _pchat_errno);
	pchat_db_drop(0);
	pchat_db_mark_down(why);
}

static int _pchat_nowait = 0;
static unsigned long long _pchat_last_ok_ms = 0; /* the last answer */

void pchat_db_nowait(int on)
{
	_pchat_nowait = on;
}

pchat_store_rc_t pchat_db_execv(const char *sql, pchat_db_res_t *res, int n,
		const pchat_db_param_t *params)
{
	pchat_store_rc_t rc;

	if(res)
		memset(res, 0, sizeof(*res));
	if(_pchat_nowait)
		return PCHAT_STORE_WOULD_WAIT;
	rc = pchat_db_run(sql, res, n, params);
	if(rc == PCHAT_STORE_UNAVAILABLE && !_pchat_in_tx
			&& pchat_db_conn_lost(_pchat_errno)) {
		/* a restarted server is only noticed at the first statement on the
		 * old connection: reconnect once and try again */
		pchat_db_drop(1);
		rc = pchat_db_run(sql, res, n, params);
	}
	if(rc == PCHAT_STORE_UNAVAILABLE) {
		if(pchat_db_conn_lost(_pchat_errno))
			pchat_db_lost();
	} else if(rc == PCHAT_STORE_OK) {
		_pchat_last_ok_ms = pchat_monotonic_ms();
	}
	return rc;
}

unsigned long long pchat_db_affected(void)
{
	return _pchat_affected;
}

unsigned long long pchat_db_insert_id(void)
{
	return _pchat_insert_id;
}

unsigned int pchat_db_errno(void)
{
	return _pchat_errno;
}

static pchat_store_rc_t pchat_db_simple(const char *sql)
{
	MYSQL *conn;

	if(_pchat_nowait)
		return PCHAT_STORE_WOULD_WAIT;
	conn = pchat_db_conn();
	if(conn == NULL) {
		_pchat_errno = 0;
		return PCHAT_STORE_UNAVAILABLE;
	}
	if(mysql_query(conn, sql) != 0) {
		_pchat_errno = mysql_errno(conn);
		pchat_metric_inc(PCHAT_M_STORE_ERRORS);
		if(pchat_db_conn_lost(_pchat_errno)) {
			pchat_db_lost();
			return PCHAT_STORE_UNAVAILABLE;
		}
		if(pchat_db_unwritable(_pchat_errno, mysql_error(conn)))
			return PCHAT_STORE_UNAVAILABLE;
		LM_ERR("%s failed: %s\n", sql, mysql_error(conn));
		return PCHAT_STORE_ERROR;
	}
	_pchat_last_ok_ms = pchat_monotonic_ms();
	return PCHAT_STORE_OK;
}

/* A connection that answered this recently is not probed before a
 * transaction: under load (the post writer) the probe would be a round
 * trip per commit. One that died since fails the transaction's first
 * statement, which is then answered 503 like any outage. */
#define PCHAT_DB_PROBE_IDLE_MS 1000

/* A stale connection is found (and replaced) here, before any work. */
static pchat_store_rc_t pchat_db_probe_idle(void)
{
	if(pchat_monotonic_ms() - _pchat_last_ok_ms < PCHAT_DB_PROBE_IDLE_MS)
		return PCHAT_STORE_OK;
	return pchat_db_exec("SELECT 1", NULL);
}

pchat_store_rc_t pchat_db_begin(void)
{
	pchat_store_rc_t rc;

	rc = pchat_db_probe_idle();
	if(rc != PCHAT_STORE_OK)
		return rc;
	rc = pchat_db_simple("START TRANSACTION");
	if(rc == PCHAT_STORE_OK)
		_pchat_in_tx = 1;
	return rc;
}

/* A COMMIT refused for a conflict was rolled back everywhere (Galera
 * certifies the same way on every node). Any other failure may come after
 * the server applied it: Galera's 1180 "Not connected to Primary
 * Component" when the node left the cluster right after replicating it.
 * Its outcome is unknown, so it is reported as UNAVAILABLE: a caller must
 * neither acknowledge nor retry it. */
pchat_store_rc_t pchat_db_commit(void)
{
	pchat_store_rc_t rc = pchat_db_simple("COMMIT");

	_pchat_in_tx = 0;
	if(rc == PCHAT_STORE_ERROR && !pchat_db_conflict(_pchat_errno))
		rc = PCHAT_STORE_UNAVAILABLE;
	return rc;
}

void pchat_db_rollback(void)
{
	if(_pchat_in_tx)
		pchat_db_simple("ROLLBACK");
	_pchat_in_tx = 0;
}

/* --- scripts ----------------------------------------------------------- */

void pchat_sql_init(pchat_sql_t *q)
{
	memset(q, 0, sizeof(*q));
}

void pchat_sql_free(pchat_sql_t *q)
{
	free(q->s);
	pchat_sql_init(q);
}

static int pchat_sql_reserve(pchat_sql_t *q, size_t need)
{
	size_t size;
	char *s;

	if(q->err)
		return -1;
	if(q->len + need + 1 <= q->size)
		return 0;
	for(size = q->size ? q->size : 4096; size < q->len + need + 1;)
		size *= 2;
	s = realloc(q->s, size);
	if(s == NULL) {
		q->err = 1;
		return -1;
	}
	q->s = s;
	q->size = size;
	return 0;
}

void pchat_sql_add(pchat_sql_t *q, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if(n < 0 || pchat_sql_reserve(q, n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(q->s + q->len, n + 1, fmt, ap);
	va_end(ap);
	q->len += n;
}

void pchat_sql_quote(pchat_sql_t *q, const char *s, size_t len)
{
	MYSQL *conn = pchat_db_conn();

	/* escaping depends on the connection (charset, NO_BACKSLASH_ESCAPES) */
	if(conn == NULL)
		q->err = 1;
	if(pchat_sql_reserve(q, 2 * len + 2) < 0)
		return;
	q->s[q->len++] = '\'';
	q->len += mysql_real_escape_string(conn, q->s + q->len, s, len);
	q->s[q->len++] = '\'';
	q->s[q->len] = '\0';
}

void pchat_sql_end(pchat_sql_t *q)
{
	if(q->nstmts == PCHAT_SQL_MAX_STMTS) {
		q->err = 1;
		return;
	}
	q->ends[q->nstmts++] = q->len;
	pchat_sql_add(q, ";");
}

pchat_store_rc_t pchat_db_script_prepare(void)
{
	if(_pchat_nowait)
		return PCHAT_STORE_WOULD_WAIT;
	if(pchat_db_conn() == NULL) {
		_pchat_errno = 0;
		return PCHAT_STORE_UNAVAILABLE;
	}
	return pchat_db_probe_idle();
}

/* Copies a text-protocol result into res (the layout pchat_db_fetch makes). */
static int pchat_db_res_copy(MYSQL_RES *r, pchat_db_res_t *res)
{
	MYSQL_ROW row;
	unsigned long *lens;
	size_t need;
	char *p;
	int i, c;

	res->ncols = mysql_num_fields(r);
	res->nrows = 0;
	res->rows = calloc(mysql_num_rows(r) + 1, sizeof(char **));
	if(res->rows == NULL)
		return -1;
	for(i = 0; (row = mysql_fetch_row(r)) != NULL; i++) {
		lens = mysql_fetch_lengths(r);
		need = res->ncols * sizeof(char *);
		for(c = 0; c < res->ncols; c++)
			need += row[c] ? lens[c] + 1 : 0;
		res->rows[i] = malloc(need);
		if(res->rows[i] == NULL)
			return -1;
		res->nrows = i + 1;
		p = (char *)(res->rows[i] + res->ncols);
		for(c = 0; c < res->ncols; c++) {
			res->rows[i][c] = row[c] ? p : NULL;
			if(row[c]) {
				memcpy(p, row[c], lens[c]);
				p[lens[c]] = '\0';
				p += lens[c] + 1;
			}
		}
	}
	return 0;
}

/* One result of a script: rows kept in res if it has any. */
static int pchat_db_script_result(MYSQL *conn, pchat_db_res_t *res)
{
	MYSQL_RES *r = mysql_store_result(conn);
	int rc = 0;

	if(r == NULL)
		return mysql_field_count(conn) == 0 ? 0 : -1;
	if(res && res->rows == NULL)
		rc = pchat_db_res_copy(r, res);
	mysql_free_result(r);
	return rc;
}

static pchat_store_rc_t pchat_db_script_failed(MYSQL *conn, int at)
{
	unsigned int err = mysql_errno(conn);

	_pchat_errno = err;
	pchat_metric_inc(PCHAT_M_STORE_ERRORS);
	if(pchat_db_conn_lost(err)) {
		pchat_db_lost();
		return PCHAT_STORE_UNAVAILABLE;
	}
	LM_DBG("script statement %d failed (%u): %s\n", at, err, mysql_error(conn));
	/* statements after the failed one did not run: a transaction the
	 * script began is rolled back (a no-op if its COMMIT was what failed);
	 * the error stays the script's */
	if(at > 0) {
		_pchat_in_tx = 1;
		pchat_db_rollback();
		_pchat_errno = err;
	}
	if(pchat_db_unwritable(err, mysql_error(conn)))
		return PCHAT_STORE_UNAVAILABLE;
	return PCHAT_STORE_ERROR;
}

/* Sends statements [from, to) of the script as one query and reads their
 * results: the index of the first that failed, or to. */
static int pchat_db_script_send(MYSQL *conn, pchat_sql_t *q, int from, int to,
		pchat_db_res_t *res, int *wrote)
{
	size_t start = from ? q->ends[from - 1] + 1 : 0;
	int at = from, st;

	st = mysql_real_query(conn, q->s + start, q->ends[to - 1] - start);
	for(; st == 0; at++) {
		if(pchat_db_script_result(conn, res) < 0)
			return at;
		if(mysql_field_count(conn) == 0 && mysql_affected_rows(conn) > 0
				&& mysql_affected_rows(conn) != (my_ulonglong)-1)
			*wrote = 1;
		st = mysql_next_result(conn);
		if(st < 0)
			return at + 1;
	}
	return at;
}

pchat_store_rc_t pchat_db_script(
		pchat_sql_t *q, pchat_db_res_t *res, int *failed_at)
{
	MYSQL *conn;
	int at = 0, wrote = 0;

	*failed_at = -1;
	if(res)
		memset(res, 0, sizeof(*res));
	if(_pchat_nowait)
		return PCHAT_STORE_WOULD_WAIT;
	if(q->err || q->nstmts == 0)
		return PCHAT_STORE_ERROR;
	conn = pchat_db_conn();
	if(conn == NULL) {
		_pchat_errno = 0;
		return PCHAT_STORE_UNAVAILABLE;
	}
	if(!pchat_db_galera())
		at = pchat_db_script_send(conn, q, 0, q->nstmts, res, &wrote);
	else
		while(at < q->nstmts
				&& pchat_db_script_send(conn, q, at, at + 1, res, &wrote) == at + 1)
			at++;
	if(at == q->nstmts) {
		_pchat_last_ok_ms = pchat_monotonic_ms();
		if(wrote)
			pchat_db_writable(); /* a write went through */
		return PCHAT_STORE_OK;
	}
	*failed_at = at;
	pchat_db_res_free(res);
	return pchat_db_script_failed(conn, at);
}
