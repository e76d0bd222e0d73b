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
/* Storage: one MariaDB/MySQL connection per Kamailio process, opened after
 * the fork and re-opened with backoff after a loss. An outage is reported to
 * callers as PCHAT_STORE_UNAVAILABLE (clients then get 503 + Retry-After) and
 * logged once for the whole server, not once per request. */

#ifndef _PCHAT_STORE_H_
#define _PCHAT_STORE_H_

#include "core/str.h"

typedef enum pchat_store_rc
{
	PCHAT_STORE_OK = 0,
	PCHAT_STORE_UNAVAILABLE = -1, /* cannot reach the database now */
	PCHAT_STORE_ERROR = -2        /* the database answered with an error */
} pchat_store_rc_t;

/* Settings served by cmd:getserverinfo, from table pchat_config. */
typedef struct pchat_server_config
{
	int search_limit;
	int message_size_limit;
	int story_size_limit;
	int default_chat_history;
	int participant_update_limit;
	char root_category_guid[64];
	char db_version[64];
} pchat_server_config_t;

int pchat_store_mod_init(str *db_url);
int pchat_store_child_init(void);

/* The schema version this code knows, and the startup check: -1 (refuse to
 * start) when the store holds another version, naming the upgrade to run;
 * 0 when it matches or the database cannot be reached yet. */
#define PCHAT_SCHEMA_VERSION 3
int pchat_store_check_schema(void);
void pchat_store_close(void);

/* Is the database reachable from this process now? Connects if needed. */
int pchat_store_available(void);

pchat_store_rc_t pchat_store_server_config(pchat_server_config_t *cfg);

/* The same from this process's copy, at most a second old (or refreshed at
 * once after pchat_store_config_changed()). */
pchat_store_rc_t pchat_store_server_config_cached(pchat_server_config_t *cfg);
void pchat_store_config_changed(void);

/* 1 while the server considers the database down (shared by all processes). */
int pchat_store_is_down(void);

/* For pchat_db.c: this process's connection (connecting if needed; NULL
 * while unavailable), whether an error number means the connection is
 * gone, and dropping a dead connection so the next use reconnects. */
struct st_mysql;
struct st_mysql *pchat_store_conn(void);
int pchat_store_conn_lost(unsigned int err);
void pchat_store_drop(int reconnect_now);
void pchat_store_mark_down(const char *why);

#endif
