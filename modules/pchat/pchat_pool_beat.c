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
/* Delivery layer: liveness of the pool's nodes and this node's state
 * (pchat_pool_beat.h). One lock over a small array in shm: the dmq worker
 * marks nodes heard, the core timer looks for silent ones, RPCs read. */

#include <string.h>
#include <time.h>

#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/shm_mem.h"

#include "pchat_pool_beat.h"
#include "pchat_pool_table.h"

typedef struct pchat_pool_beat_slot
{
	long long heard_ms, asked_ms;
	int known, down, state, mismatches;
	int backoff; /* heartbeats between two asks: doubles while it differs */
} pchat_pool_beat_slot_t;

typedef struct pchat_pool_beat
{
	gen_lock_t lock;
	int state;         /* this node's */
	long long sent_ms; /* this node's last heartbeat */
	unsigned int beats; /* heartbeats sent: one in ten probes down nodes */
	pchat_pool_beat_slot_t slots[PCHAT_POOL_NODES_MAX];
} pchat_pool_beat_t;

static pchat_pool_beat_t *_pb;
static int _pb_heartbeat_ms, _pb_dead_ms, _pb_forget_ms;

int pchat_pool_beat_mod_init(int heartbeat_ms, int dead_ms, int forget_ms)
{
	_pb = shm_malloc(sizeof(*_pb));
	if(_pb == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_pb, 0, sizeof(*_pb));
	_pb_heartbeat_ms = heartbeat_ms;
	_pb_dead_ms = dead_ms;
	_pb_forget_ms = forget_ms;
	return lock_init(&_pb->lock) ? 0 : -1;
}

/* CLOCK_MONOTONIC: a wall clock step would make every node look dead (or
 * none), and it is one clock for all processes. */
long long pchat_pool_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int pchat_pool_state_get(void)
{
	return _pb ? _pb->state : PCHAT_POOL_ACTIVE;
}

void pchat_pool_state_set(int state)
{
	lock_get(&_pb->lock);
	_pb->state = state;
	lock_release(&_pb->lock);
}

int pchat_pool_beat_heard(int slot, int state)
{
	pchat_pool_beat_slot_t *s = &_pb->slots[slot];
	int was_down;

	lock_get(&_pb->lock);
	was_down = s->down;
	s->known = 1;
	s->down = 0;
	s->heard_ms = pchat_pool_now_ms();
	if(state >= 0)
		s->state = state;
	lock_release(&_pb->lock);
	return was_down;
}

int pchat_pool_beat_due(void)
{
	long long now = pchat_pool_now_ms();
	int due;

	lock_get(&_pb->lock);
	due = now - _pb->sent_ms >= _pb_heartbeat_ms;
	if(due) {
		_pb->sent_ms = now;
		_pb->beats++;
	}
	lock_release(&_pb->lock);
	return due;
}

int pchat_pool_beat_next_dead(int from, long long *silent_ms)
{
	long long now = pchat_pool_now_ms();
	pchat_pool_beat_slot_t *s;
	int i, found = -1;

	lock_get(&_pb->lock);
	for(i = from; i < PCHAT_POOL_NODES_MAX && found < 0; i++) {
		s = &_pb->slots[i];
		if(s->known && !s->down && now - s->heard_ms >= _pb_dead_ms) {
			s->down = 1;
			found = i;
			*silent_ms = now - s->heard_ms;
		}
	}
	lock_release(&_pb->lock);
	return found;
}

int pchat_pool_beat_next_forgotten(int from)
{
	long long now = pchat_pool_now_ms();
	pchat_pool_beat_slot_t *s;
	int i, found = -1;

	lock_get(&_pb->lock);
	for(i = from; i < PCHAT_POOL_NODES_MAX && found < 0; i++) {
		s = &_pb->slots[i];
		if(s->known && s->down && now - s->heard_ms >= _pb_forget_ms) {
			memset(s, 0, sizeof(*s));
			found = i;
		}
	}
	lock_release(&_pb->lock);
	return found;
}

int pchat_pool_beat_down(int slot)
{
	int down;

	lock_get(&_pb->lock);
	down = _pb->slots[slot].down;
	lock_release(&_pb->lock);
	return down;
}

int pchat_pool_beat_probe_due(void)
{
	int due;

	lock_get(&_pb->lock);
	due = _pb->beats % PCHAT_POOL_PROBE_BEATS == 1;
	lock_release(&_pb->lock);
	return due;
}

int pchat_pool_beat_digest(int slot, int match)
{
	pchat_pool_beat_slot_t *s = &_pb->slots[slot];
	long long now = pchat_pool_now_ms();
	int ask = 0;

	lock_get(&_pb->lock);
	s->mismatches = match ? 0 : s->mismatches + 1;
	if(match)
		s->backoff = PCHAT_POOL_PROBE_BEATS;
	if(s->mismatches >= 2
			&& (s->asked_ms == 0
					|| now - s->asked_ms
							   >= (long long)s->backoff * _pb_heartbeat_ms)) {
		s->asked_ms = now;
		s->mismatches = 0;
		/* a list the table cannot hold differs every time: ask less */
		if(s->backoff < PCHAT_POOL_PROBE_BEATS)
			s->backoff = PCHAT_POOL_PROBE_BEATS;
		else if(s->backoff < PCHAT_POOL_SYNC_BACKOFF_MAX)
			s->backoff *= 2;
		ask = 1;
	}
	lock_release(&_pb->lock);
	return ask;
}

void pchat_pool_beat_peer(int slot, pchat_pool_peer_t *out)
{
	long long now = pchat_pool_now_ms();

	memset(out, 0, sizeof(*out));
	lock_get(&_pb->lock);
	if(slot == PCHAT_POOL_LOCAL) {
		out->known = 1;
		out->state = _pb->state;
		out->age_ms = _pb->sent_ms ? now - _pb->sent_ms : -1;
	} else {
		out->known = _pb->slots[slot].known;
		out->down = _pb->slots[slot].down;
		out->state = _pb->slots[slot].state;
		out->age_ms = now - _pb->slots[slot].heard_ms;
	}
	lock_release(&_pb->lock);
}
