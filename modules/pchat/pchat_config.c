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
 * defaults and bounds per setting, and keeps the node's copy fresh.
 * Reads through pchat_db only; knows no command. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/atomic_ops.h"
#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/shm.h"

#include "pchat_config.h"

/* The node's copy of the configuration, in shm: any process that read it
 * refreshes it for all (a SIP reader only reads it, pchat_db_nowait()). */
typedef struct pchat_cfg_cache
{
	gen_lock_t lock;
	pchat_server_config_t cfg;
	int gen;     /* of _pchat_cfg_gen when read; -1: never */
	unsigned long long at_ms; /* when read (pchat_monotonic_ms) */
	unsigned long long used_ms; /* last answered from here */
} pchat_cfg_cache_t;

/* bumped by pchat.config_set so the copy is dropped */
static atomic_t *_pchat_cfg_gen = NULL;
static pchat_cfg_cache_t *_pchat_cfg_cache = NULL;

int pchat_config_mod_init(void)
{
	_pchat_cfg_gen = shm_malloc(sizeof(atomic_t));
	_pchat_cfg_cache = shm_malloc(sizeof(*_pchat_cfg_cache));
	if(_pchat_cfg_gen == NULL || _pchat_cfg_cache == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	atomic_set(_pchat_cfg_gen, 0);
	memset(_pchat_cfg_cache, 0, sizeof(*_pchat_cfg_cache));
	_pchat_cfg_cache->gen = -1;
	if(lock_init(&_pchat_cfg_cache->lock) == NULL)
		return -1;
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
		else if(strcmp(name, "max_file_size_kb") == 0)
			cfg->max_file_size_kb = pchat_cfg_int(value, 1, 2097152, 20000);
		else if(strcmp(name, "compliance") == 0)
			cfg->compliance = pchat_cfg_int(value, 0, 1, 0);
		else if(strcmp(name, "edit_window_s") == 0)
			cfg->edit_window_s = pchat_cfg_int(value, 0,
					PCHAT_EDIT_WINDOW_MAX, PCHAT_EDIT_WINDOW_DEFAULT);
		else if(strcmp(name, "root_category_guid") == 0)
			snprintf(cfg->root_category_guid, sizeof(cfg->root_category_guid),
					"%s", value);
		else if(strcmp(name, "db_version") == 0)
			snprintf(cfg->db_version, sizeof(cfg->db_version), "%s", value);
	}
	pchat_db_res_free(&res);
	return PCHAT_STORE_OK;
}

/* Commands read the configuration on every request; the node's copy
 * saves them a query. It is dropped at once by pchat.config_set and after
 * PCHAT_CFG_TTL_MS otherwise (a DBA's direct UPDATE). */
#define PCHAT_CFG_TTL_MS 1000
/* from this age a used copy is read again ahead of its expiry
 * (pchat_store_server_config_refresh) */
#define PCHAT_CFG_REFRESH_MS 700

pchat_store_rc_t pchat_store_server_config_cached(pchat_server_config_t *cfg)
{
	pchat_cfg_cache_t *c = _pchat_cfg_cache;
	pchat_store_rc_t rc;
	unsigned long long now = pchat_monotonic_ms();
	int gen = atomic_get(_pchat_cfg_gen), hit;

	lock_get(&c->lock);
	hit = gen == c->gen && now >= c->at_ms && now - c->at_ms < PCHAT_CFG_TTL_MS;
	if(hit) {
		*cfg = c->cfg;
		c->used_ms = now;
	}
	lock_release(&c->lock);
	if(hit && !pchat_store_is_down())
		return PCHAT_STORE_OK;
	rc = pchat_store_server_config(cfg);
	if(rc == PCHAT_STORE_OK) {
		lock_get(&c->lock);
		c->cfg = *cfg;
		c->gen = gen;
		c->at_ms = pchat_monotonic_ms();
		lock_release(&c->lock);
	}
	return rc;
}

void pchat_store_server_config_refresh(void)
{
	pchat_cfg_cache_t *c = _pchat_cfg_cache;
	pchat_server_config_t cfg;
	unsigned long long now = pchat_monotonic_ms();
	int gen = atomic_get(_pchat_cfg_gen), due;

	lock_get(&c->lock);
	due = c->gen == gen && now >= c->at_ms
		  && now - c->at_ms >= PCHAT_CFG_REFRESH_MS
		  && now - c->at_ms < PCHAT_CFG_TTL_MS && c->used_ms > c->at_ms;
	lock_release(&c->lock);
	if(!due || pchat_store_server_config(&cfg) != PCHAT_STORE_OK)
		return;
	lock_get(&c->lock);
	if(c->gen == gen) {
		c->cfg = cfg;
		c->at_ms = pchat_monotonic_ms();
	}
	lock_release(&c->lock);
}

void pchat_store_config_changed(void)
{
	atomic_inc(_pchat_cfg_gen);
}
