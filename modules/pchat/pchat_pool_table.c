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
/* Delivery layer: the pool's table of rooms and nodes (pchat_pool_table.h).
 * One lock: every operation is a short walk of one chain. */

#include <string.h>

#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/shm_mem.h"

#include "pchat_mod.h"
#include "pchat_pool_table.h"

typedef struct pchat_pool_room
{
	struct pchat_pool_room *next;
	unsigned long long id;
	unsigned int mask;
} pchat_pool_room_t;

typedef struct pchat_pool_table
{
	gen_lock_t lock;
	int rooms, max_rooms;
	unsigned int size; /* buckets, a power of two */
	struct
	{
		int len;
		char s[PCHAT_POOL_NODE_URI_MAX];
	} nodes[PCHAT_POOL_NODES_MAX];
	pchat_pool_room_t *buckets[];
} pchat_pool_table_t;

static pchat_pool_table_t *_pt;

int pchat_pool_table_init(int max_rooms)
{
	unsigned int size = 16, bytes;

	/* about four rooms a chain when full */
	while(size < (unsigned int)max_rooms / 4 && size < (1u << 20))
		size <<= 1;
	bytes = sizeof(*_pt) + size * sizeof(_pt->buckets[0]);
	_pt = shm_malloc(bytes);
	if(_pt == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_pt, 0, bytes);
	_pt->size = size;
	_pt->max_rooms = max_rooms;
	return lock_init(&_pt->lock) ? 0 : -1;
}

static unsigned int pchat_pool_bucket(unsigned long long room)
{
	return pchat_fnv1a(PCHAT_FNV1A_SEED, &room, sizeof(room)) & (_pt->size - 1);
}

int pchat_pool_node_slot(str *uri)
{
	int i, free_slot = -1;

	if(uri->len <= 0 || uri->len >= PCHAT_POOL_NODE_URI_MAX)
		return -1;
	lock_get(&_pt->lock);
	for(i = 0; i < PCHAT_POOL_NODES_MAX; i++) {
		if(_pt->nodes[i].len == uri->len
				&& memcmp(_pt->nodes[i].s, uri->s, uri->len) == 0)
			break;
		if(_pt->nodes[i].len == 0 && free_slot < 0)
			free_slot = i;
	}
	if(i == PCHAT_POOL_NODES_MAX && free_slot >= 0) {
		i = free_slot;
		memcpy(_pt->nodes[i].s, uri->s, uri->len);
		_pt->nodes[i].len = uri->len;
	}
	lock_release(&_pt->lock);
	return i < PCHAT_POOL_NODES_MAX ? i : -1;
}

int pchat_pool_node_uri(int slot, char *buf, int size, str *uri)
{
	int len;

	lock_get(&_pt->lock);
	len = _pt->nodes[slot].len;
	if(len > 0 && len < size) {
		memcpy(buf, _pt->nodes[slot].s, len);
		buf[len] = '\0';
	}
	lock_release(&_pt->lock);
	if(len <= 0 || len >= size)
		return -1;
	uri->s = buf;
	uri->len = len;
	return 0;
}

/* The room's entry and the link that points at it; under the lock. */
static pchat_pool_room_t **pchat_pool_find(unsigned long long room)
{
	pchat_pool_room_t **p = &_pt->buckets[pchat_pool_bucket(room)];

	while(*p && (*p)->id != room)
		p = &(*p)->next;
	return p;
}

int pchat_pool_room_set(unsigned long long room, int slot, int on)
{
	pchat_pool_room_t **p, *r;
	int rc = 0;

	lock_get(&_pt->lock);
	p = pchat_pool_find(room);
	if(*p == NULL && on) {
		r = _pt->rooms < _pt->max_rooms ? shm_malloc(sizeof(*r)) : NULL;
		if(r == NULL) {
			rc = -1;
			goto done;
		}
		memset(r, 0, sizeof(*r));
		r->id = room;
		*p = r;
		_pt->rooms++;
	}
	if((r = *p) == NULL)
		goto done;
	if(on)
		r->mask |= 1u << slot;
	else
		r->mask &= ~(1u << slot);
	if(r->mask == 0) {
		*p = r->next;
		shm_free(r);
		_pt->rooms--;
	}
done:
	lock_release(&_pt->lock);
	return rc;
}

unsigned int pchat_pool_room_mask(unsigned long long room)
{
	pchat_pool_room_t **p;
	unsigned int mask;

	lock_get(&_pt->lock);
	p = pchat_pool_find(room);
	mask = *p ? (*p)->mask : 0;
	lock_release(&_pt->lock);
	return mask;
}

void pchat_pool_clear_slot(int slot)
{
	pchat_pool_room_t **p, *r;
	unsigned int b;

	lock_get(&_pt->lock);
	for(b = 0; b < _pt->size; b++) {
		for(p = &_pt->buckets[b]; (r = *p) != NULL;) {
			r->mask &= ~(1u << slot);
			if(r->mask == 0) {
				*p = r->next;
				shm_free(r);
				_pt->rooms--;
			} else {
				p = &r->next;
			}
		}
	}
	lock_release(&_pt->lock);
}

int pchat_pool_rooms_of_slot(int slot, unsigned long long *rooms, int max,
		unsigned int *pos)
{
	pchat_pool_room_t *r;
	int n = 0, in_bucket;

	lock_get(&_pt->lock);
	for(; *pos < _pt->size; (*pos)++) {
		in_bucket = 0;
		for(r = _pt->buckets[*pos]; r; r = r->next)
			in_bucket += (r->mask >> slot) & 1;
		/* whole chains only, so the cursor is a bucket number */
		if(n > 0 && n + in_bucket > max)
			break;
		for(r = _pt->buckets[*pos]; r && n < max; r = r->next)
			if((r->mask >> slot) & 1)
				rooms[n++] = r->id;
	}
	lock_release(&_pt->lock);
	return n;
}

int pchat_pool_rooms_with(unsigned int slots)
{
	pchat_pool_room_t *r;
	unsigned int b;
	int n = 0;

	if(_pt == NULL)
		return 0;
	lock_get(&_pt->lock);
	for(b = 0; b < _pt->size; b++)
		for(r = _pt->buckets[b]; r; r = r->next)
			n += (r->mask & slots) != 0;
	lock_release(&_pt->lock);
	return n;
}
