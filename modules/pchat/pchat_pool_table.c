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
	unsigned int mask;  /* slots with participants */
	unsigned int stale; /* slots whose full list, being received, lacks it */
	int marked;         /* this node's count changed, not announced yet */
	unsigned short counts[PCHAT_POOL_LOCAL + 1]; /* by slot */
} pchat_pool_room_t;

typedef struct pchat_pool_table
{
	gen_lock_t lock;
	int rooms, max_rooms;
	int marked; /* rooms marked: the walk of pchat_pool_marked_take() */
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

void pchat_pool_node_forget(int slot)
{
	pchat_pool_clear_slot(slot);
	lock_get(&_pt->lock);
	_pt->nodes[slot].len = 0;
	lock_release(&_pt->lock);
}

/* The room's entry and the link that points at it; under the lock. */
static pchat_pool_room_t **pchat_pool_find(unsigned long long room)
{
	pchat_pool_room_t **p = &_pt->buckets[pchat_pool_bucket(room)];

	while(*p && (*p)->id != room)
		p = &(*p)->next;
	return p;
}

/* Unlinks and frees r (at *p) when no slot is left in it; under the lock. */
static void pchat_pool_room_drop_empty(pchat_pool_room_t **p)
{
	pchat_pool_room_t *r = *p;

	if(r->mask != 0)
		return;
	if(r->marked)
		_pt->marked--;
	*p = r->next;
	shm_free(r);
	_pt->rooms--;
}

/* Clears a slot in r; under the lock. */
static void pchat_pool_room_clear(pchat_pool_room_t *r, int slot)
{
	r->mask &= ~(1u << slot);
	r->stale &= ~(1u << slot);
	r->counts[slot] = 0;
	if(slot == PCHAT_POOL_LOCAL && r->marked) {
		r->marked = 0;
		_pt->marked--;
	}
}

int pchat_pool_room_set(unsigned long long room, int slot, int count)
{
	pchat_pool_room_t **p, *r;
	int rc = 0;

	if(count > PCHAT_POOL_COUNT_MAX)
		count = PCHAT_POOL_COUNT_MAX;
	lock_get(&_pt->lock);
	p = pchat_pool_find(room);
	if(*p == NULL && count > 0) {
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
	rc = r->counts[slot] != count;
	if(count > 0) {
		r->mask |= 1u << slot;
		r->stale &= ~(1u << slot);
		r->counts[slot] = count;
	} else {
		pchat_pool_room_clear(r, slot);
		pchat_pool_room_drop_empty(p);
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

int pchat_pool_room_remote(unsigned long long room)
{
	pchat_pool_room_t **p;
	int slot, n = 0;

	lock_get(&_pt->lock);
	p = pchat_pool_find(room);
	for(slot = 0; *p && slot < PCHAT_POOL_NODES_MAX; slot++)
		n += (*p)->counts[slot];
	lock_release(&_pt->lock);
	return n;
}

/* Clears slot in every room that has it (all: every room with a bit of
 * the slot, or only the stale ones); under the lock. */
static void pchat_pool_clear_walk(int slot, int stale_only)
{
	pchat_pool_room_t **p, *r;
	unsigned int b, bit = 1u << slot;

	for(b = 0; b < _pt->size; b++) {
		for(p = &_pt->buckets[b]; (r = *p) != NULL;) {
			if((r->mask & bit) && (!stale_only || (r->stale & bit))) {
				pchat_pool_room_clear(r, slot);
				pchat_pool_room_drop_empty(p);
				if(*p != r)
					continue; /* dropped: *p is the next one */
			}
			p = &r->next;
		}
	}
}

void pchat_pool_clear_slot(int slot)
{
	lock_get(&_pt->lock);
	pchat_pool_clear_walk(slot, 0);
	lock_release(&_pt->lock);
}

void pchat_pool_slot_stale(int slot, int end)
{
	pchat_pool_room_t *r;
	unsigned int b;

	lock_get(&_pt->lock);
	if(end) {
		pchat_pool_clear_walk(slot, 1);
	} else {
		for(b = 0; b < _pt->size; b++)
			for(r = _pt->buckets[b]; r; r = r->next)
				if((r->mask >> slot) & 1)
					r->stale |= 1u << slot;
	}
	lock_release(&_pt->lock);
}

unsigned long long pchat_pool_slot_digest(int slot)
{
	pchat_pool_room_t *r;
	unsigned long long sum = 0;
	unsigned int b, hi, lo;

	lock_get(&_pt->lock);
	for(b = 0; b < _pt->size; b++) {
		for(r = _pt->buckets[b]; r; r = r->next) {
			if(!((r->mask >> slot) & 1))
				continue;
			hi = pchat_fnv1a(PCHAT_FNV1A_SEED, &r->id, sizeof(r->id));
			hi = pchat_fnv1a(hi, &r->counts[slot], sizeof(r->counts[slot]));
			lo = pchat_fnv1a(hi ^ 0x5bd1e995u, &r->id, sizeof(r->id));
			sum += ((unsigned long long)hi << 32) | lo;
		}
	}
	lock_release(&_pt->lock);
	return sum;
}

void pchat_pool_room_mark(unsigned long long room)
{
	pchat_pool_room_t **p;

	lock_get(&_pt->lock);
	p = pchat_pool_find(room);
	if(*p && ((*p)->mask >> PCHAT_POOL_LOCAL) & 1 && !(*p)->marked) {
		(*p)->marked = 1;
		_pt->marked++;
	}
	lock_release(&_pt->lock);
}

int pchat_pool_marked_take(unsigned long long *rooms, int max)
{
	pchat_pool_room_t *r;
	unsigned int b;
	int n = 0;

	lock_get(&_pt->lock);
	for(b = 0; _pt->marked > 0 && n < max && b < _pt->size; b++) {
		for(r = _pt->buckets[b]; r && n < max; r = r->next) {
			if(r->marked) {
				r->marked = 0;
				_pt->marked--;
				rooms[n++] = r->id;
			}
		}
	}
	lock_release(&_pt->lock);
	return n;
}

int pchat_pool_rooms_of_slot(int slot, unsigned long long *rooms,
		unsigned int *counts, int max, unsigned int *pos)
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
			if((r->mask >> slot) & 1) {
				counts[n] = r->counts[slot];
				rooms[n++] = r->id;
			}
	}
	if(*pos >= _pt->size)
		*pos = PCHAT_POOL_CURSOR_END;
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
