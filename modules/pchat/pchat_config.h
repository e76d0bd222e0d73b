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
/* Store queries: the service settings of table pchat_config (what
 * cmd:getserverinfo serves and the limits commands apply), with a
 * per-process copy. Reads through pchat_db only; knows no command. */

#ifndef _PCHAT_CONFIG_H_
#define _PCHAT_CONFIG_H_

#include <string.h>

#include "pchat_db.h"

/* Settings served by cmd:getserverinfo, from table pchat_config. */
/* edit_window_s: its default and largest value (30 days) */
#define PCHAT_EDIT_WINDOW_DEFAULT 900
#define PCHAT_EDIT_WINDOW_MAX 2592000

typedef struct pchat_server_config
{
	int search_limit;
	int message_size_limit;
	int story_size_limit;
	int default_chat_history;
	int participant_update_limit;
	int compliance; /* 1: actions are recorded (pchat_compliance.h) */
	int max_file_size_kb; /* the largest file that may be posted */
	int edit_window_s; /* authors may edit/delete a post this long, 0: not */
	char root_category_guid[64];
	char db_version[64];
} pchat_server_config_t;

/* Before the fork: the shm counter that tells every process to drop its
 * copy. */
int pchat_config_mod_init(void);

pchat_store_rc_t pchat_store_server_config(pchat_server_config_t *cfg);

/* The values a store without pchat_config rows gives (Lync's defaults). */
static inline void pchat_server_config_defaults(pchat_server_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->search_limit = 999;
	cfg->message_size_limit = 512;
	cfg->story_size_limit = 4096;
	cfg->default_chat_history = 30;
	cfg->participant_update_limit = 75;
	cfg->max_file_size_kb = 20000;
	cfg->edit_window_s = PCHAT_EDIT_WINDOW_DEFAULT;
}

/* The same from the node's copy (shm), at most a second old (or refreshed
 * at once after pchat_store_config_changed()). */
pchat_store_rc_t pchat_store_server_config_cached(pchat_server_config_t *cfg);
void pchat_store_config_changed(void);
/* Refresh ahead (a store worker, pchat_worker.c): reads the copy again
 * when it was used and would expire within 300 ms, so the readers, which
 * may not query, do not send every request to a worker once a second. */
void pchat_store_server_config_refresh(void);

#endif
