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
/* The bottom layer: this process's MariaDB/MySQL connection and the
 * prepared statements run over it. Knows no table: every query is written
 * in the layers above (see the layer order in pchat_mod.h).
 *
 * Connection: one per Kamailio process, opened after the fork and re-opened
 * with backoff after a loss. An outage is reported to callers as
 * PCHAT_STORE_UNAVAILABLE (clients then get 503 + Retry-After) and logged
 * once for the whole server, not once per request.
 *
 * Statements: every value from a client or an administrator travels as a
 * bound parameter: SQL text is always a static string, which is also the
 * key of the per-process statement cache. */

#ifndef _PCHAT_DB_H_
#define _PCHAT_DB_H_

#include "core/str.h"

typedef enum pchat_store_rc
{
	PCHAT_STORE_OK = 0,
	PCHAT_STORE_UNAVAILABLE = -1, /* cannot reach the database now */
	PCHAT_STORE_ERROR = -2,       /* the database answered with an error */
	PCHAT_STORE_WOULD_WAIT = -3   /* not run: pchat_db_nowait() is on */
} pchat_store_rc_t;

/* While on, no statement is sent: each returns PCHAT_STORE_WOULD_WAIT. A
 * SIP reader turns it on where only a cache may answer, and hands what
 * needs MySQL to a store worker (pchat_worker.h). */
void pchat_db_nowait(int on);

/* --- the connection (pchat_db_conn.c) --- */

/* Parses the db_urls before the fork; the connection opens in each
 * child, to the first of them that serves; when it is lost, the next one
 * is tried first (failover to another node of a Galera cluster). */
#define PCHAT_DB_MAX_URLS 8
int pchat_db_mod_init(str *urls, int n);
int pchat_db_child_init(void);
void pchat_db_close(void);

/* Is the database reachable from this process now? Connects if needed. */
int pchat_db_available(void);

/* Milliseconds of CLOCK_MONOTONIC (back-off and cache ages). */
unsigned long long pchat_monotonic_ms(void);
/* The same in microseconds (latencies). */
unsigned long long pchat_monotonic_us(void);

/* The database's clock in ms since 1970, as SQL: one clock for every node
 * of a pool, so a node's clock jump cannot shorten or stretch a lease,
 * pass a gap early or make a message look old (ROUND: NOW(3) has ms). */
#define PCHAT_DB_NOW_MS "CAST(ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) AS SIGNED)"

/* 1 while the server considers the database down (shared by all processes). */
int pchat_store_is_down(void);

/* For pchat_db.c: this process's connection (connecting if needed; NULL
 * while unavailable), whether an error number means the connection is
 * gone, and dropping a dead connection so the next use reconnects. */
struct st_mysql;
struct st_mysql *pchat_db_conn(void);
int pchat_db_conn_lost(unsigned int err);
/* A server that refuses writes for now (read_only, disk or table full):
 * an operator's temporary state, answered 503 like an outage, logged once
 * per process until a write succeeds again. */
int pchat_db_unwritable(unsigned int err, const char *msg);
void pchat_db_writable(void);
/* A transaction the server rolled back on a conflict (Galera
 * certification, deadlock, lock wait): answered 503, worth retrying. */
int pchat_db_conflict(unsigned int err);
int pchat_db_missing_row(unsigned int err);
/* The current connection is to a Galera node (wsrep_on). */
int pchat_db_galera(void);
void pchat_db_drop(int reconnect_now);
void pchat_db_mark_down(const char *why);

/* --- statements (pchat_db.c) --- */

/* A result set with every column as a NUL-terminated string (NULL for SQL
 * NULL). Rows live in one malloc'ed block each; free with
 * pchat_db_res_free(). */
typedef struct pchat_db_res
{
	int nrows;
	int ncols;
	char ***rows;
} pchat_db_res_t;

/* One bound parameter of pchat_db_exec(). Never built by hand: PCHAT_DB_P()
 * picks the tag from the static type of the argument, so a value of any
 * other type is a compile-time error instead of undefined behaviour. */
typedef enum pchat_db_ptype
{
	PCHAT_DB_T_LL,	/* int, long, long long */
	PCHAT_DB_T_ULL, /* unsigned, bound as unsigned: no value wraps */
	PCHAT_DB_T_LLP, /* const long long *, NULL -> SQL NULL */
	PCHAT_DB_T_CS,	/* const char *, NULL -> SQL NULL */
	PCHAT_DB_T_STR	/* const str *, NULL or s == NULL -> SQL NULL */
} pchat_db_ptype_t;

typedef struct pchat_db_param
{
	pchat_db_ptype_t type;
	union
	{
		long long ll;
		unsigned long long ull;
		const long long *llp;
		const char *cs;
		const str *s;
	} v;
} pchat_db_param_t;

static inline pchat_db_param_t pchat_db_p_ll(long long v)
{
	return (pchat_db_param_t){.type = PCHAT_DB_T_LL, .v.ll = v};
}

static inline pchat_db_param_t pchat_db_p_ull(unsigned long long v)
{
	return (pchat_db_param_t){.type = PCHAT_DB_T_ULL, .v.ull = v};
}

static inline pchat_db_param_t pchat_db_p_llp(const long long *v)
{
	return (pchat_db_param_t){.type = PCHAT_DB_T_LLP, .v.llp = v};
}

static inline pchat_db_param_t pchat_db_p_cs(const char *v)
{
	return (pchat_db_param_t){.type = PCHAT_DB_T_CS, .v.cs = v};
}

static inline pchat_db_param_t pchat_db_p_str(const str *v)
{
	return (pchat_db_param_t){.type = PCHAT_DB_T_STR, .v.s = v};
}

/* No default branch on purpose: a double, a struct, an int *, an
 * unsigned char * (xmlChar), a char or a bare NULL (void *) does not
 * compile; cast it to one of these types where that is really meant. A
 * string literal or char array decays to char * (GCC >= 7). */
#define PCHAT_DB_P(x)                      \
	_Generic((x),                          \
			int: pchat_db_p_ll,            \
			long: pchat_db_p_ll,           \
			long long: pchat_db_p_ll,      \
			unsigned int: pchat_db_p_ull,  \
			unsigned long: pchat_db_p_ull, \
			unsigned long long: pchat_db_p_ull, \
			long long *: pchat_db_p_llp,   \
			const long long *: pchat_db_p_llp, \
			char *: pchat_db_p_cs,         \
			const char *: pchat_db_p_cs,   \
			str *: pchat_db_p_str,         \
			const str *: pchat_db_p_str)(x)

/* Runs sql with the parameters that follow res, each typed by PCHAT_DB_P():
 *   pchat_db_exec(sql, &res, room.id, before, cnt + 1);
 *   pchat_db_exec("SELECT 1", NULL);
 * res may be NULL for statements without a result set. The number of
 * parameters must match the placeholders of sql (checked at run time: sql
 * may be chosen at run time) and is at most 24 (more does not compile);
 * pchat_db_execv() takes up to PCHAT_DB_MAX_PARAMS (the post writer's
 * multi-row INSERT: 16 rows of 5). */
#define PCHAT_DB_MAX_PARAMS 80
#define pchat_db_exec(sql, res, ...)                         \
	pchat_db_execv((sql), (res), PCHAT_DB_NARG(__VA_ARGS__), \
			PCHAT_DB_PARAMS(PCHAT_DB_NARG(__VA_ARGS__), ##__VA_ARGS__))

pchat_store_rc_t pchat_db_execv(const char *sql, pchat_db_res_t *res, int n,
		const pchat_db_param_t *params);

/* argument counting and mapping behind pchat_db_exec() */
#define PCHAT_DB_NARG(...) PCHAT_DB_NARG_(_, ##__VA_ARGS__, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define PCHAT_DB_NARG_(_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19, _20, _21, _22, _23, _24, N, ...) N
#define PCHAT_DB_CAT(a, b) PCHAT_DB_CAT_(a, b)
#define PCHAT_DB_CAT_(a, b) a##b
#define PCHAT_DB_PARAMS(n, ...) \
	PCHAT_DB_CAT(PCHAT_DB_PARAMS_, n)(__VA_ARGS__)
#define PCHAT_DB_PARAMS_0() NULL
#define PCHAT_DB_PARAMS_N(...) ((const pchat_db_param_t[]){__VA_ARGS__})
#define PCHAT_DB_PARAMS_1(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_1(__VA_ARGS__))
#define PCHAT_DB_PARAMS_2(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_2(__VA_ARGS__))
#define PCHAT_DB_PARAMS_3(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_3(__VA_ARGS__))
#define PCHAT_DB_PARAMS_4(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_4(__VA_ARGS__))
#define PCHAT_DB_PARAMS_5(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_5(__VA_ARGS__))
#define PCHAT_DB_PARAMS_6(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_6(__VA_ARGS__))
#define PCHAT_DB_PARAMS_7(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_7(__VA_ARGS__))
#define PCHAT_DB_PARAMS_8(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_8(__VA_ARGS__))
#define PCHAT_DB_PARAMS_9(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_9(__VA_ARGS__))
#define PCHAT_DB_PARAMS_10(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_10(__VA_ARGS__))
#define PCHAT_DB_PARAMS_11(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_11(__VA_ARGS__))
#define PCHAT_DB_PARAMS_12(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_12(__VA_ARGS__))
#define PCHAT_DB_PARAMS_13(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_13(__VA_ARGS__))
#define PCHAT_DB_PARAMS_14(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_14(__VA_ARGS__))
#define PCHAT_DB_PARAMS_15(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_15(__VA_ARGS__))
#define PCHAT_DB_PARAMS_16(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_16(__VA_ARGS__))
#define PCHAT_DB_PARAMS_17(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_17(__VA_ARGS__))
#define PCHAT_DB_PARAMS_18(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_18(__VA_ARGS__))
#define PCHAT_DB_PARAMS_19(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_19(__VA_ARGS__))
#define PCHAT_DB_PARAMS_20(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_20(__VA_ARGS__))
#define PCHAT_DB_PARAMS_21(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_21(__VA_ARGS__))
#define PCHAT_DB_PARAMS_22(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_22(__VA_ARGS__))
#define PCHAT_DB_PARAMS_23(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_23(__VA_ARGS__))
#define PCHAT_DB_PARAMS_24(...) PCHAT_DB_PARAMS_N(PCHAT_DB_MAP_24(__VA_ARGS__))
#define PCHAT_DB_MAP_1(a) PCHAT_DB_P(a)
#define PCHAT_DB_MAP_2(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_1(__VA_ARGS__)
#define PCHAT_DB_MAP_3(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_2(__VA_ARGS__)
#define PCHAT_DB_MAP_4(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_3(__VA_ARGS__)
#define PCHAT_DB_MAP_5(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_4(__VA_ARGS__)
#define PCHAT_DB_MAP_6(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_5(__VA_ARGS__)
#define PCHAT_DB_MAP_7(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_6(__VA_ARGS__)
#define PCHAT_DB_MAP_8(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_7(__VA_ARGS__)
#define PCHAT_DB_MAP_9(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_8(__VA_ARGS__)
#define PCHAT_DB_MAP_10(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_9(__VA_ARGS__)
#define PCHAT_DB_MAP_11(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_10(__VA_ARGS__)
#define PCHAT_DB_MAP_12(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_11(__VA_ARGS__)
#define PCHAT_DB_MAP_13(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_12(__VA_ARGS__)
#define PCHAT_DB_MAP_14(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_13(__VA_ARGS__)
#define PCHAT_DB_MAP_15(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_14(__VA_ARGS__)
#define PCHAT_DB_MAP_16(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_15(__VA_ARGS__)
#define PCHAT_DB_MAP_17(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_16(__VA_ARGS__)
#define PCHAT_DB_MAP_18(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_17(__VA_ARGS__)
#define PCHAT_DB_MAP_19(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_18(__VA_ARGS__)
#define PCHAT_DB_MAP_20(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_19(__VA_ARGS__)
#define PCHAT_DB_MAP_21(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_20(__VA_ARGS__)
#define PCHAT_DB_MAP_22(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_21(__VA_ARGS__)
#define PCHAT_DB_MAP_23(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_22(__VA_ARGS__)
#define PCHAT_DB_MAP_24(a, ...) PCHAT_DB_P(a), PCHAT_DB_MAP_23(__VA_ARGS__)

/* Rows changed and AUTO_INCREMENT id of the last pchat_db_exec(). */
unsigned long long pchat_db_affected(void);
unsigned long long pchat_db_insert_id(void);
/* MySQL error number of the last failed statement (e.g. 1062 duplicate). */
#define PCHAT_ER_DUP_ENTRY 1062
unsigned int pchat_db_errno(void);

void pchat_db_res_free(pchat_db_res_t *res);

/* Transactions: a failure inside one is never retried on a new connection
 * (the server has rolled it back): the caller rolls back and reports. */
pchat_store_rc_t pchat_db_begin(void);
pchat_store_rc_t pchat_db_commit(void);
void pchat_db_rollback(void);

/* Scripts: several statements of text SQL sent in one round trip (the
 * post writer's batch: a wait for MariaDB costs two context switches and,
 * on a busy node, a turn in the run queue). Text SQL is built only here:
 * numbers with pchat_sql_add(), strings only through pchat_sql_quote().
 * The buffer is malloc memory: a batch may hold megabytes. */
#define PCHAT_SQL_MAX_STMTS 8
typedef struct pchat_sql
{
	char *s;
	size_t len;
	size_t size;
	int err; /* sticky: out of memory or no connection to escape with */
	int nstmts;
	size_t ends[PCHAT_SQL_MAX_STMTS]; /* where each statement ends */
} pchat_sql_t;

void pchat_sql_init(pchat_sql_t *q);
void pchat_sql_free(pchat_sql_t *q);
void pchat_sql_add(pchat_sql_t *q, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
/* A quoted string literal, escaped for the current connection. */
void pchat_sql_quote(pchat_sql_t *q, const char *s, size_t len);
/* Ends the statement being built (the script's statements are known
 * apart: see pchat_db_script). */
void pchat_sql_end(pchat_sql_t *q);

/* The connection a script will run on, probed when idle as
 * pchat_db_begin() does: build the script (pchat_sql_quote) after it. */
pchat_store_rc_t pchat_db_script_prepare(void);

/* Runs a script's statements, in one round trip, except on a Galera node:
 * there a replicated transaction may abort ours (a "BF abort") between two
 * statements of one multi-statement query, and the COMMIT after it then
 * succeeds on nothing (seen: two nodes acknowledging the same numbers).
 * The abort is reported only to the next command, so there each statement
 * is a command of its own. The rows of the one
 * statement that returns rows go to res (may be NULL). On failure
 * *failed_at is the index of the statement that failed (0 the first) and
 * pchat_db_errno() its error; a script that began a transaction and failed
 * before its last statement is rolled back here. A lost connection is
 * UNAVAILABLE: whether a COMMIT in it was applied is unknown. */
pchat_store_rc_t pchat_db_script(
		pchat_sql_t *q, pchat_db_res_t *res, int *failed_at);

/* Drops the statement cache; called when the connection is replaced. */
void pchat_db_forget_statements(void);

#endif
