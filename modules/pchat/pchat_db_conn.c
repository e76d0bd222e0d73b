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
/* DB layer: this process's connection (db_url, several for failover:
 * connect with back-off, outage logged once). Knows no table and no
 * command. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "core/atomic_ops.h"
#include "core/dprint.h"
#include "core/mem/shm.h"

#include "pchat_db.h"

#define PCHAT_DB_CONNECT_TIMEOUT 2 /* s: a remote host that drops SYNs */
#define PCHAT_DB_IO_TIMEOUT 5
#define PCHAT_DB_BACKOFF_MIN_MS 250
#define PCHAT_DB_BACKOFF_MAX_MS 2000 /* ms: recovery within 2 s of the store coming back */

typedef struct pchat_db_target
{
	char user[256];
	char pass[256];
	char host[256];
	unsigned int port;
	char db[256];
} pchat_db_target_t;

static pchat_db_target_t _pchat_dbs[PCHAT_DB_MAX_URLS];
static int _pchat_ndbs = 0;
static int _pchat_cur = 0; /* this process's database: the one tried first */
static MYSQL *_pchat_conn = NULL;        /* this process's connection */
static unsigned long long _pchat_next_try_ms = 0;
static unsigned int _pchat_backoff_ms = 0;
static atomic_t *_pchat_db_down = NULL;  /* shm: outage logged once */

static pchat_db_target_t *pchat_db_cur(void)
{
	return &_pchat_dbs[_pchat_cur];
}

/* Monotonic, for the reconnect back-off (never the time of a message). */
unsigned long long pchat_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

unsigned long long pchat_monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* mysql://user:password@host[:port]/database */
static int pchat_db_parse_url(str *url, pchat_db_target_t *t)
{
	char buf[256], *p, *at, *slash, *colon;

	if(url->len >= (int)sizeof(buf) || url->len < 9
			|| strncmp(url->s, "mysql://", 8) != 0)
		goto bad;
	memcpy(buf, url->s, url->len);
	buf[url->len] = '\0';
	p = buf + 8;
	memset(t, 0, sizeof(*t));
	t->port = 3306;
	at = strrchr(p, '@');
	if(at) {
		*at = '\0';
		colon = strchr(p, ':');
		if(colon) {
			*colon = '\0';
			snprintf(t->pass, sizeof(t->pass), "%s", colon + 1);
		}
		snprintf(t->user, sizeof(t->user), "%s", p);
		p = at + 1;
	}
	slash = strchr(p, '/');
	if(slash == NULL || slash[1] == '\0')
		goto bad;
	*slash = '\0';
	snprintf(t->db, sizeof(t->db), "%s", slash + 1);
	colon = strchr(p, ':');
	if(colon) {
		*colon = '\0';
		t->port = (unsigned int)atoi(colon + 1);
		if(t->port == 0 || t->port > 65535)
			goto bad;
	}
	snprintf(t->host, sizeof(t->host), "%s", p);
	if(t->host[0] == '\0')
		goto bad;
	return 0;
bad:
	LM_ERR("invalid db_url '%.*s': expected "
		   "mysql://user:password@host[:port]/database\n",
			url->len, url->s);
	return -1;
}

int pchat_db_mod_init(str *urls, int n)
{
	if(n < 1 || n > PCHAT_DB_MAX_URLS) {
		LM_ERR("%d db_url given: 1 to %d may be\n", n, PCHAT_DB_MAX_URLS);
		return -1;
	}
	for(_pchat_ndbs = 0; _pchat_ndbs < n; _pchat_ndbs++)
		if(pchat_db_parse_url(&urls[_pchat_ndbs], &_pchat_dbs[_pchat_ndbs])
				< 0)
			return -1;
	_pchat_db_down = shm_malloc(sizeof(atomic_t));
	if(_pchat_db_down == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	atomic_set(_pchat_db_down, 0);
	return 0;
}

void pchat_db_mark_down(const char *why)
{
	if(atomic_get_and_set_int(&_pchat_db_down->val, 1) != 0)
		return;
	if(_pchat_ndbs > 1)
		LM_ERR("storage unavailable (none of %d db_url serves): %s - clients "
			   "get 503 until one is back\n",
				_pchat_ndbs, why);
	else
		LM_ERR("storage unavailable (%s@%s:%u/%s): %s - clients get 503 "
			   "until it is back\n",
				pchat_db_cur()->user, pchat_db_cur()->host,
				pchat_db_cur()->port, pchat_db_cur()->db, why);
}

static void pchat_db_mark_up(void)
{
	if(atomic_get_and_set_int(&_pchat_db_down->val, 0) == 1)
		LM_NOTICE("storage available again (%s:%u/%s)\n", pchat_db_cur()->host,
				pchat_db_cur()->port, pchat_db_cur()->db);
}

int pchat_store_is_down(void)
{
	return _pchat_db_down ? atomic_get(_pchat_db_down) : 0;
}

void pchat_db_close(void)
{
	pchat_db_forget_statements();
	if(_pchat_conn) {
		mysql_close(_pchat_conn);
		_pchat_conn = NULL;
	}
}

/* Only a lost connection (or a node that cannot serve) is dropped: the
 * next database in db_url's order is tried first, since this one may
 * still accept connections it cannot serve (a Galera node out of the
 * primary component). */
void pchat_db_drop(int reconnect_now)
{
	pchat_db_close();
	if(_pchat_ndbs > 1) {
		LM_NOTICE("lost %s:%u/%s: trying the next db_url first\n",
				pchat_db_cur()->host, pchat_db_cur()->port, pchat_db_cur()->db);
		_pchat_cur = (_pchat_cur + 1) % _pchat_ndbs;
	}
	if(reconnect_now)
		_pchat_next_try_ms = 0;
}

struct st_mysql *pchat_db_conn(void)
{
	return pchat_db_available() ? _pchat_conn : NULL;
}

/* The value of a SHOW ... LIKE of one name into val ("" if the server
 * has no such name): 0, or -1 on an error. */
static int pchat_db_show(MYSQL *m, const char *sql, char *val, int val_size)
{
	MYSQL_RES *r;
	MYSQL_ROW row;

	if(mysql_query(m, sql) != 0 || (r = mysql_store_result(m)) == NULL)
		return -1;
	row = mysql_fetch_row(r);
	snprintf(val, val_size, "%s", (row && row[1]) ? row[1] : "");
	mysql_free_result(r);
	return 0;
}

/* A Galera node out of the primary component (or not Synced yet) takes
 * connections, and even SELECT 1, but answers every statement on a table
 * with 1047: wsrep_ready tells before it is used. A MariaDB without
 * Galera has wsrep_on OFF (and wsrep_ready OFF too), or neither. 0 if
 * the server may serve, else -1 with why set. */
static int _pchat_galera = 0; /* the connection being made or in use */

int pchat_db_galera(void)
{
	return _pchat_galera;
}

static int pchat_db_ready(MYSQL *m, char *why, int why_size)
{
	char on[16], ready[16];

	if(pchat_db_show(m, "SHOW GLOBAL VARIABLES LIKE 'wsrep_on'", on,
			   sizeof(on))
			< 0) {
		snprintf(why, why_size, "%s", mysql_error(m));
		return -1;
	}
	_pchat_galera = strcmp(on, "ON") == 0;
	if(!_pchat_galera)
		return 0;
	if(pchat_db_show(m, "SHOW STATUS LIKE 'wsrep_ready'", ready,
			   sizeof(ready))
			< 0) {
		snprintf(why, why_size, "%s", mysql_error(m));
		return -1;
	}
	if(strcmp(ready, "ON") == 0)
		return 0;
	snprintf(why, why_size, "a Galera node not ready (wsrep_ready %s)", ready);
	return -1;
}

/* A connection to t that can serve, or NULL with why set. */
static MYSQL *pchat_db_open(pchat_db_target_t *t, char *why, int why_size)
{
	MYSQL *m;
	unsigned int t_conn = PCHAT_DB_CONNECT_TIMEOUT, t_io = PCHAT_DB_IO_TIMEOUT;
	char err[256];

	m = mysql_init(NULL);
	if(m == NULL) {
		snprintf(why, why_size, "mysql_init failed: out of memory");
		return NULL;
	}
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &t_conn);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &t_io);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &t_io);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* for pchat_db_script() (the post writer's one round trip per batch);
	 * every other statement is prepared, and text SQL quotes its strings
	 * with pchat_sql_quote(), so a stacked statement cannot be injected */
	if(mysql_real_connect(
			   m, t->host, t->user, t->pass, t->db, t->port, NULL,
			   CLIENT_MULTI_STATEMENTS)
			== NULL) {
		snprintf(err, sizeof(err), "%s", mysql_error(m));
	} else if(pchat_db_ready(m, err, sizeof(err)) == 0) {
		return m;
	}
	snprintf(why, why_size, "%s:%u: %s", t->host, t->port, err);
	mysql_close(m);
	return NULL;
}

/* Tries every db_url once, from this process's current one on. */
static int pchat_db_connect(void)
{
	unsigned long long now = pchat_monotonic_ms();
	char why[512];
	int i;

	/* the back-off holds while the store is down; once another process
	 * got through (pchat_db_mark_up), try at once */
	if(now < _pchat_next_try_ms && pchat_store_is_down())
		return -1;
	for(i = 0; i < _pchat_ndbs; i++) {
		_pchat_conn = pchat_db_open(pchat_db_cur(), why, sizeof(why));
		if(_pchat_conn) {
			_pchat_backoff_ms = 0;
			_pchat_next_try_ms = 0;
			pchat_db_mark_up();
			return 0;
		}
		/* while all are down, the outage is logged once (mark_down) */
		if(_pchat_ndbs > 1 && !pchat_store_is_down())
			LM_INFO("cannot use db_url %d: %s\n", _pchat_cur + 1, why);
		_pchat_cur = (_pchat_cur + 1) % _pchat_ndbs;
	}
	_pchat_backoff_ms =
			_pchat_backoff_ms ? _pchat_backoff_ms * 2 : PCHAT_DB_BACKOFF_MIN_MS;
	if(_pchat_backoff_ms > PCHAT_DB_BACKOFF_MAX_MS)
		_pchat_backoff_ms = PCHAT_DB_BACKOFF_MAX_MS;
	_pchat_next_try_ms = now + _pchat_backoff_ms;
	pchat_db_mark_down(why);
	return -1;
}

int pchat_db_child_init(void)
{
	/* a database that is down at start is an outage like any other: the
	 * process starts and serves 503 until it is back */
	if(mysql_thread_init() != 0)
		LM_WARN("mysql_thread_init failed\n");
	pchat_db_connect();
	return 0;
}

int pchat_db_available(void)
{
	if(_pchat_conn)
		return 1;
	return pchat_db_connect() == 0;
}

/* 1047 (ER_UNKNOWN_COM_ERROR) is how a Galera node that left the primary
 * component (or is not Synced yet) answers: for us it is as gone as a
 * closed connection, and another node may serve. */
int pchat_db_conn_lost(unsigned int err)
{
	return err == ER_UNKNOWN_COM_ERROR || err == CR_SERVER_GONE_ERROR || err == CR_SERVER_LOST
		   || err == CR_CONNECTION_ERROR || err == CR_CONN_HOST_ERROR
		   || err == CR_SERVER_LOST_EXTENDED || err == ER_CONNECTION_KILLED
		   || err == ER_SERVER_SHUTDOWN;
}

/* A Galera certification conflict (1213, at COMMIT or on a row a
 * replicated transaction took) or a lock wait timeout: the transaction
 * was rolled back and may succeed if tried again. */
int pchat_db_conflict(unsigned int err)
{
	return err == ER_LOCK_DEADLOCK || err == ER_LOCK_WAIT_TIMEOUT;
}

/* A statement refused because a row it needs is missing: NULL where the
 * row would give a value (1048), or a foreign key to nothing (1452). */
int pchat_db_missing_row(unsigned int err)
{
	return err == ER_BAD_NULL_ERROR || err == ER_NO_REFERENCED_ROW_2;
}

static int _pchat_unwritable = 0; /* this process logged the state */

int pchat_db_unwritable(unsigned int err, const char *msg)
{
	if(err != ER_OPTION_PREVENTS_STATEMENT /* 1290: read_only */
			&& err != ER_DISK_FULL		   /* 1021 */
			&& err != ER_RECORD_FILE_FULL) /* 1114: table full */
		return 0;
	if(!_pchat_unwritable) {
		_pchat_unwritable = 1;
		LM_WARN("storage refuses writes (%s:%u/%s): %u %s - writes get 503 "
				"until it takes them again\n",
				pchat_db_cur()->host, pchat_db_cur()->port, pchat_db_cur()->db, err, msg);
	}
	return 1;
}

void pchat_db_writable(void)
{
	if(_pchat_unwritable) {
		_pchat_unwritable = 0;
		LM_NOTICE("storage takes writes again (%s:%u/%s)\n", pchat_db_cur()->host,
				pchat_db_cur()->port, pchat_db_cur()->db);
	}
}
