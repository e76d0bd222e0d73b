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
/* Delivery layer: shm counts of live sessions per user and connection
 * (max_sessions_per_*), and the per-session token bucket of
 * max_infos_per_second. Pure bookkeeping: no SIP, no store. */
#include <string.h>

#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/shm.h"

#include "pchat_limit.h"
#include "pchat_mod.h"

typedef struct pchat_limit_entry
{
	struct pchat_limit_entry *next;
	unsigned int hash;
	unsigned int count;
	int len;
	char key[]; /* len bytes */
} pchat_limit_entry_t;

typedef struct pchat_limit_table
{
	unsigned int size; /* power of two */
	gen_lock_set_t *locks; /* one per bucket; a leaf lock */
	pchat_limit_entry_t **buckets;
} pchat_limit_table_t;

static pchat_limit_table_t *_pchat_limits = NULL;

int pchat_limit_init(unsigned int hash_size)
{
	unsigned int size = 1;

	while(size < hash_size && size < (1u << 16))
		size <<= 1;
	_pchat_limits = shm_mallocxz(sizeof(*_pchat_limits));
	if(_pchat_limits == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	_pchat_limits->size = size;
	_pchat_limits->buckets = shm_mallocxz(size * sizeof(pchat_limit_entry_t *));
	_pchat_limits->locks = lock_set_alloc(size);
	if(_pchat_limits->buckets == NULL || _pchat_limits->locks == NULL
			|| lock_set_init(_pchat_limits->locks) == NULL) {
		LM_ERR("cannot allocate the session limit table (%u)\n", size);
		return -1;
	}
	return 0;
}

/* With the bucket locked: the entry's link, or the bucket's last link. */
static pchat_limit_entry_t **pchat_limit_find(
		unsigned int idx, unsigned int h, const char *key, int len)
{
	pchat_limit_entry_t **pe = &_pchat_limits->buckets[idx];

	for(; *pe; pe = &(*pe)->next)
		if((*pe)->hash == h && (*pe)->len == len
				&& memcmp((*pe)->key, key, len) == 0)
			break;
	return pe;
}

int pchat_limit_take(const char *key, int len, unsigned int max)
{
	unsigned int h = pchat_fnv1a(PCHAT_FNV1A_SEED, key, len);
	unsigned int idx = h & (_pchat_limits->size - 1);
	pchat_limit_entry_t **pe, *e;
	int ret = 1;

	lock_set_get(_pchat_limits->locks, idx);
	pe = pchat_limit_find(idx, h, key, len);
	e = *pe;
	if(e == NULL) {
		e = shm_malloc(sizeof(*e) + len);
		if(e == NULL) {
			SHM_MEM_ERROR;
			ret = -1;
		} else {
			e->next = NULL;
			e->hash = h;
			e->count = 1;
			e->len = len;
			memcpy(e->key, key, len);
			*pe = e;
		}
	} else if(max > 0 && e->count >= max) {
		ret = 0;
	} else {
		e->count++;
	}
	lock_set_release(_pchat_limits->locks, idx);
	return ret;
}

void pchat_limit_put(const char *key, int len)
{
	unsigned int h = pchat_fnv1a(PCHAT_FNV1A_SEED, key, len);
	unsigned int idx = h & (_pchat_limits->size - 1);
	pchat_limit_entry_t **pe, *e;

	lock_set_get(_pchat_limits->locks, idx);
	pe = pchat_limit_find(idx, h, key, len);
	e = *pe;
	if(e && --e->count == 0) {
		*pe = e->next;
		shm_free(e);
	}
	lock_set_release(_pchat_limits->locks, idx);
}

unsigned int pchat_limit_count(const char *key, int len)
{
	unsigned int h = pchat_fnv1a(PCHAT_FNV1A_SEED, key, len);
	unsigned int idx = h & (_pchat_limits->size - 1);
	pchat_limit_entry_t *e;
	unsigned int n;

	lock_set_get(_pchat_limits->locks, idx);
	e = *pchat_limit_find(idx, h, key, len);
	n = e ? e->count : 0;
	lock_set_release(_pchat_limits->locks, idx);
	return n;
}

int pchat_rate_take(pchat_rate_t *r, unsigned int rate, unsigned int burst,
		unsigned int now, unsigned int hz, unsigned int *wait)
{
	unsigned long long add, full;
	unsigned int missing;

	if(rate == 0)
		return 1;
	if(burst == 0)
		burst = 1;
	if(hz == 0)
		hz = 1;
	full = (unsigned long long)burst * 1000;
	if(!r->started) {
		r->started = 1;
		r->milli = (unsigned int)full;
		r->last = now;
	} else {
		/* unsigned difference: right across a wrap of the clock */
		add = (unsigned long long)(now - r->last) * rate * 1000 / hz;
		if(add > 0) {
			add += r->milli;
			r->milli = (unsigned int)(add < full ? add : full);
			r->last = now;
		}
	}
	if(r->milli >= 1000) {
		r->milli -= 1000;
		return 1;
	}
	missing = 1000 - r->milli;
	*wait = (missing + rate * 1000 - 1) / (rate * 1000);
	if(*wait < 1)
		*wait = 1;
	return 0;
}
