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

#include <errno.h>
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
#include "core/timer.h"
#include "core/ut.h"

#include "pchat_db.h"
#include "pchat_store.h"

#define PCHAT_DB_CONNECT_TIMEOUT 2 /* s: a remote host that drops SYNs */
#define PCHAT_DB_IO_TIMEOUT 5
#define PCHAT_DB_BACKOFF_MIN_MS 250
#define PCHAT_DB_BACKOFF_MAX_MS 8000

typedef struct pchat_db_target
{
	char user[256];
	char pass[256];
	char host[256];
	unsigned int port;
	char db[256];
} pchat_db_target_t;

static pchat_db_target_t _pchat_db;
static MYSQL *_pchat_conn = NULL;        /* this process's connection */
static unsigned long long _pchat_next_try_ms = 0;
static unsigned int _pchat_backoff_ms = 0;
static atomic_t *_pchat_db_down = NULL;  /* shm: outage logged once */

/* Monotonic, for the reconnect back-off (never the time of a message). */
static unsigned long long pchat_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

/* bumped by pchat.config_set so every process drops its cached copy */
static atomic_t *_pchat_cfg_gen = NULL;

int pchat_store_mod_init(str *db_url)
{
	if(pchat_db_parse_url(db_url, &_pchat_db) < 0)
		return -1;
	_pchat_db_down = shm_malloc(2 * sizeof(atomic_t));
	if(_pchat_db_down == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	atomic_set(_pchat_db_down, 0);
	_pchat_cfg_gen = _pchat_db_down + 1;
	atomic_set(_pchat_cfg_gen, 0);
	return 0;
}

void pchat_store_mark_down(const char *why)
{
	if(atomic_get_and_set_int(&_pchat_db_down->val, 1) == 0)
		LM_ERR("storage unavailable (%s@%s:%u/%s): %s - clients get 503 "
			   "until it is back\n",
				_pchat_db.user, _pchat_db.host, _pchat_db.port, _pchat_db.db,
				why);
}

static void pchat_store_mark_up(void)
{
	if(atomic_get_and_set_int(&_pchat_db_down->val, 0) == 1)
		LM_NOTICE("storage available again (%s:%u/%s)\n", _pchat_db.host,
				_pchat_db.port, _pchat_db.db);
}

int pchat_store_is_down(void)
{
	return _pchat_db_down ? atomic_get(_pchat_db_down) : 0;
}

void pchat_store_close(void)
{
	pchat_db_forget_statements();
	if(_pchat_conn) {
		mysql_close(_pchat_conn);
		_pchat_conn = NULL;
	}
}

void pchat_store_drop(int reconnect_now)
{
	pchat_store_close();
	if(reconnect_now)
		_pchat_next_try_ms = 0;
}

struct st_mysql *pchat_store_conn(void)
{
	return pchat_store_available() ? _pchat_conn : NULL;
}

static int pchat_store_connect(void)
{
	MYSQL *m;
	unsigned int t_conn = PCHAT_DB_CONNECT_TIMEOUT, t_io = PCHAT_DB_IO_TIMEOUT;
	unsigned long long now = pchat_monotonic_ms();
	char why[256];

	if(now < _pchat_next_try_ms)
		return -1;
	m = mysql_init(NULL);
	if(m == NULL) {
		LM_ERR("mysql_init failed: out of memory\n");
		return -1;
	}
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &t_conn);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &t_io);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &t_io);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if(mysql_real_connect(m, _pchat_db.host, _pchat_db.user, _pchat_db.pass,
			   _pchat_db.db, _pchat_db.port, NULL, 0)
			== NULL) {
		snprintf(why, sizeof(why), "%s", mysql_error(m));
		mysql_close(m);
		_pchat_backoff_ms = _pchat_backoff_ms ? _pchat_backoff_ms * 2
											  : PCHAT_DB_BACKOFF_MIN_MS;
		if(_pchat_backoff_ms > PCHAT_DB_BACKOFF_MAX_MS)
			_pchat_backoff_ms = PCHAT_DB_BACKOFF_MAX_MS;
		_pchat_next_try_ms = now + _pchat_backoff_ms;
		pchat_store_mark_down(why);
		return -1;
	}
	_pchat_conn = m;
	_pchat_backoff_ms = 0;
	_pchat_next_try_ms = 0;
	pchat_store_mark_up();
	return 0;
}

int pchat_store_child_init(void)
{
	/* a database that is down at start is an outage like any other: the
	 * process starts and serves 503 until it is back */
	if(mysql_thread_init() != 0)
		LM_WARN("mysql_thread_init failed\n");
	pchat_store_connect();
	return 0;
}

int pchat_store_available(void)
{
	if(_pchat_conn)
		return 1;
	return pchat_store_connect() == 0;
}

int pchat_store_conn_lost(unsigned int err)
{
	return err == CR_SERVER_GONE_ERROR || err == CR_SERVER_LOST
		   || err == CR_CONNECTION_ERROR || err == CR_CONN_HOST_ERROR
		   || err == CR_SERVER_LOST_EXTENDED || err == ER_CONNECTION_KILLED
		   || err == ER_SERVER_SHUTDOWN;
}

static int pchat_cfg_int(const char *v, int min, int max, int def)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if(errno || *end != '\0' || n < min || n > max)
		return def;
	return (int)n;
}

pchat_store_rc_t pchat_store_server_config(pchat_server_config_t *cfg)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	const char *name, *value;
	int i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->search_limit = 999;
	cfg->message_size_limit = 512;
	cfg->story_size_limit = 4096;
	cfg->default_chat_history = 30;
	cfg->participant_update_limit = 75;
	rc = pchat_db_exec("SELECT name, value FROM pchat_config", &res);
	if(rc != PCHAT_STORE_OK)
		return rc;
	for(i = 0; i < res.nrows; i++) {
		name = res.rows[i][0];
		value = res.rows[i][1];
		if(name == NULL || value == NULL)
			continue;
		if(strcmp(name, "search_limit") == 0)
			cfg->search_limit = pchat_cfg_int(value, 1, 100000, 999);
		else if(strcmp(name, "message_size_limit") == 0)
			cfg->message_size_limit = pchat_cfg_int(value, 1, 65536, 512);
		else if(strcmp(name, "story_size_limit") == 0)
			cfg->story_size_limit = pchat_cfg_int(value, 1, 1048576, 4096);
		else if(strcmp(name, "default_chat_history") == 0)
			cfg->default_chat_history = pchat_cfg_int(value, 1, 500, 30);
		else if(strcmp(name, "participant_update_limit") == 0)
			cfg->participant_update_limit =
					pchat_cfg_int(value, 1, 1000000, 75);
		else if(strcmp(name, "root_category_guid") == 0)
			snprintf(cfg->root_category_guid, sizeof(cfg->root_category_guid),
					"%s", value);
		else if(strcmp(name, "db_version") == 0)
			snprintf(cfg->db_version, sizeof(cfg->db_version), "%s", value);
	}
	pchat_db_res_free(&res);
	return PCHAT_STORE_OK;
}

/* Commands read the configuration on every request; the per-process copy
 * saves them a query. It is dropped at once by pchat.config_set and after
 * PCHAT_CFG_TTL seconds otherwise (a DBA's direct UPDATE). */
#define PCHAT_CFG_TTL 1

pchat_store_rc_t pchat_store_server_config_cached(pchat_server_config_t *cfg)
{
	static pchat_server_config_t cache;
	static int cache_gen = -1;
	static time_t cache_at = 0;
	pchat_store_rc_t rc;
	time_t now = time(NULL);
	int gen = atomic_get(_pchat_cfg_gen);

	if(gen == cache_gen && now >= cache_at && now - cache_at < PCHAT_CFG_TTL
			&& !pchat_store_is_down()) {
		*cfg = cache;
		return PCHAT_STORE_OK;
	}
	rc = pchat_store_server_config(cfg);
	if(rc == PCHAT_STORE_OK) {
		cache = *cfg;
		cache_gen = gen;
		cache_at = now;
	}
	return rc;
}

void pchat_store_config_changed(void)
{
	atomic_inc(_pchat_cfg_gen);
}

/* pchat tables and the version each must have in table `version`. */
static const char *_pchat_tables[] = {"pchat_config", "pchat_node",
		"pchat_group", "pchat_group_member", "pchat_role", "pchat_scope",
		"pchat_policy", "pchat_addin", "pchat_message", "pchat_invitation",
		"pchat_preference", NULL};

int pchat_store_check_schema(void)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	int i, j, found, found_version = 0, ret = 0;

	rc = pchat_db_exec("SELECT table_name, table_version FROM version "
					   "WHERE table_name LIKE 'pchat\\_%'",
			&res);
	if(rc == PCHAT_STORE_UNAVAILABLE) {
		LM_WARN("cannot check the schema version now: the database is "
				"unreachable; pchat starts and answers 503 until it is back\n");
		pchat_store_close();
		return 0;
	}
	if(rc != PCHAT_STORE_OK) {
		LM_ERR("cannot read table `version`: load sql/pchat-create.sql into "
			   "the pchat database first\n");
		pchat_store_close();
		return -1;
	}
	for(i = 0; _pchat_tables[i]; i++) {
		found = -1;
		for(j = 0; j < res.nrows; j++) {
			if(res.rows[j][0] && strcmp(res.rows[j][0], _pchat_tables[i]) == 0)
				found = res.rows[j][1] ? atoi(res.rows[j][1]) : 0;
		}
		if(found == PCHAT_SCHEMA_VERSION)
			continue;
		if(found > found_version)
			found_version = found;
		ret = -1;
	}
	if(ret < 0) {
		if(found_version > PCHAT_SCHEMA_VERSION)
			LM_ERR("the pchat schema is version %d, newer than this pchat "
				   "(version %d): upgrade the pchat module\n",
					found_version, PCHAT_SCHEMA_VERSION);
		else if(found_version > 0)
			LM_ERR("the pchat schema is version %d, this pchat needs version "
				   "%d: run sql/upgrade/pchat-upgrade-%d-%d.sql (and any "
				   "later ones, in order)\n",
					found_version, PCHAT_SCHEMA_VERSION, found_version,
					found_version + 1);
		else
			LM_ERR("no pchat schema found: load sql/pchat-create.sql into the "
				   "pchat database\n");
	}
	pchat_db_res_free(&res);
	/* connections are per process: the children open their own */
	pchat_store_close();
	return ret;
}
