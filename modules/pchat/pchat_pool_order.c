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
/* Delivery layer: post copies in sequence order (pchat_pool_order.h). */

#include <string.h>
#include <sys/time.h>

#include "core/dprint.h"
#include "core/mem/shm_mem.h"

#include "pchat_fanout.h"
#include "pchat_mod.h"
#include "pchat_pool_order.h"

/* How long a copy waits for the posts before it: far above a copy's trip
 * from another node (a few ms), short enough that a lost one costs a
 * blink. Bounded in count too: past it a room's held copies go at once. */
#define PCHAT_POOL_HOLD_MS 500
#define PCHAT_POOL_HELD_MAX 5000

typedef struct pchat_order_room
{
	struct pchat_order_room *next;
	long long room, next_seq; /* next_seq 0: none seen yet */
	pchat_pool_copy_t *held;  /* by seq */
	long long deadline;       /* ms, while held */
} pchat_order_room_t;

typedef struct pchat_order
{
	int rooms, max_rooms, held;
	unsigned int size;
	volatile long long due; /* the earliest deadline, 0: nothing held */
	unsigned long late;
	pchat_order_room_t *buckets[];
} pchat_order_t;

static pchat_order_t *_po;

static long long pchat_order_now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

pchat_pool_copy_t *pchat_pool_copy_new(long long room, long long seq, str *body)
{
	pchat_pool_copy_t *c = shm_malloc(sizeof(*c) + body->len);

	if(c == NULL) {
		SHM_MEM_ERROR;
		return NULL;
	}
	c->next = NULL;
	c->room_id = room;
	c->seq = seq;
	c->body.s = c->data;
	c->body.len = body->len;
	memcpy(c->data, body->s, body->len);
	return c;
}

int pchat_pool_order_init(int max_rooms)
{
	unsigned int size = 16, bytes;

	while(size < (unsigned int)max_rooms / 4 && size < (1u << 20))
		size <<= 1;
	bytes = sizeof(*_po) + size * sizeof(_po->buckets[0]);
	_po = shm_malloc(bytes);
	if(_po == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_po, 0, bytes);
	_po->size = size;
	_po->max_rooms = max_rooms;
	return 0;
}

static pchat_order_room_t **pchat_order_find(long long room)
{
	pchat_order_room_t **p;

	p = &_po->buckets[pchat_fnv1a(PCHAT_FNV1A_SEED, &room, sizeof(room))
					  & (_po->size - 1)];
	while(*p && (*p)->room != room)
		p = &(*p)->next;
	return p;
}

/* The room's state, made on first use; NULL when the table is full (the
 * room's copies then go out as they come). */
static pchat_order_room_t *pchat_order_room(long long room)
{
	pchat_order_room_t **p = pchat_order_find(room);

	if(*p == NULL && _po->rooms < _po->max_rooms
			&& (*p = shm_malloc(sizeof(**p))) != NULL) {
		memset(*p, 0, sizeof(**p));
		(*p)->room = room;
		_po->rooms++;
	}
	return *p;
}

static void pchat_order_deliver(pchat_pool_copy_t *c)
{
	pchat_fanout_room(c->room_id, &c->body, 0);
	shm_free(c);
}

/* May the copy numbered seq go now? (1: yes, and it is counted as sent.) */
static int pchat_order_may_go(pchat_order_room_t *r, long long seq)
{
	if(r == NULL)
		return 1;
	if(r->next_seq == 0 || seq == r->next_seq) {
		r->next_seq = seq + 1;
		return 1;
	}
	if(seq < r->next_seq) {
		_po->late++;
		return 1;
	}
	return 0;
}

static void pchat_order_set_due(long long deadline)
{
	if(_po->due == 0 || deadline < _po->due)
		_po->due = deadline;
}

/* Delivers the held copies that are next in turn. */
static void pchat_order_drain(pchat_order_room_t *r)
{
	pchat_pool_copy_t *c;

	while((c = r->held) != NULL && c->seq <= r->next_seq) {
		r->held = c->next;
		_po->held--;
		pchat_order_may_go(r, c->seq);
		pchat_order_deliver(c);
	}
	r->deadline = 0;
	if(r->held) { /* another gap: its own wait */
		r->deadline = pchat_order_now() + PCHAT_POOL_HOLD_MS;
		pchat_order_set_due(r->deadline);
	}
}

/* Gives up waiting for the gap before the first held copy. */
static void pchat_order_skip(pchat_order_room_t *r)
{
	LM_INFO("room %lld: posts %lld-%lld never came, going on\n", r->room,
			r->next_seq, r->held->seq - 1);
	r->next_seq = r->held->seq;
	pchat_order_drain(r);
}

static void pchat_order_hold(pchat_order_room_t *r, pchat_pool_copy_t *c)
{
	pchat_pool_copy_t **p = &r->held;

	while(*p && (*p)->seq < c->seq)
		p = &(*p)->next;
	c->next = *p;
	*p = c;
	_po->held++;
	if(r->deadline == 0) {
		r->deadline = pchat_order_now() + PCHAT_POOL_HOLD_MS;
		pchat_order_set_due(r->deadline);
	}
	if(_po->held > PCHAT_POOL_HELD_MAX) {
		LM_WARN("more than %d post copies held: room %lld goes on\n",
				PCHAT_POOL_HELD_MAX, r->room);
		pchat_order_skip(r);
	}
}

void pchat_pool_order_put(pchat_pool_copy_t *c)
{
	pchat_order_room_t *r = pchat_order_room(c->room_id);

	if(!pchat_order_may_go(r, c->seq)) {
		pchat_order_hold(r, c);
		return;
	}
	pchat_order_deliver(c);
	if(r)
		pchat_order_drain(r);
}

void pchat_pool_order_put_local(long long room, long long seq, str *body)
{
	pchat_order_room_t *r = pchat_order_room(room);
	pchat_pool_copy_t *c;

	if(pchat_order_may_go(r, seq)) {
		pchat_fanout_room(room, body, 0);
		if(r)
			pchat_order_drain(r);
		return;
	}
	c = pchat_pool_copy_new(room, seq, body);
	if(c)
		pchat_order_hold(r, c);
	else
		pchat_fanout_room(room, body, 0); /* late beats lost */
}

int pchat_pool_order_due(void)
{
	long long due = _po ? _po->due : 0;

	return due != 0 && pchat_order_now() >= due;
}

void pchat_pool_order_expire(void)
{
	pchat_order_room_t *r;
	long long now = pchat_order_now();
	unsigned int b;

	if(_po == NULL || _po->due == 0 || now < _po->due)
		return;
	_po->due = 0;
	for(b = 0; b < _po->size; b++) {
		for(r = _po->buckets[b]; r; r = r->next) {
			if(r->held && r->deadline <= now)
				pchat_order_skip(r);
			else if(r->held)
				pchat_order_set_due(r->deadline);
		}
	}
}

void pchat_pool_order_forget(long long room)
{
	pchat_order_room_t **p = pchat_order_find(room), *r = *p;
	pchat_pool_copy_t *c;

	if(r == NULL)
		return;
	*p = r->next;
	while((c = r->held) != NULL) {
		r->held = c->next;
		_po->held--;
		shm_free(c); /* nobody here to read it */
	}
	shm_free(r);
	_po->rooms--;
}

void pchat_pool_order_start(long long room, long long next_seq)
{
	pchat_order_room_t *r = pchat_order_room(room);

	if(r && r->next_seq == 0 && r->held == NULL)
		r->next_seq = next_seq;
}

unsigned long pchat_pool_order_late(void)
{
	return _po ? _po->late : 0;
}
