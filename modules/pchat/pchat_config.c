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
/* Store queries: reads table pchat_config into pchat_server_config_t, with
 * defaults and bounds per setting, and keeps each process's copy fresh.
 * Reads through pchat_db only; knows no command. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/atomic_ops.h"
#include "core/dprint.h"
#include "core/mem/shm.h"

#include "pchat_config.h"

/* bumped by pchat.config_set so every process drops its cached copy */
static atomic_t *_pchat_cfg_gen = NULL;

int pchat_config_mod_init(void)
{
	_pchat_cfg_gen = shm_malloc(sizeof(atomic_t));
	if(_pchat_cfg_gen == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	atomic_set(_pchat_cfg_gen, 0);
	return 0;
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

	pchat_server_config_defaults(cfg);
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
