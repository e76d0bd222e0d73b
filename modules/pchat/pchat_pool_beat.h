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
/* Delivery layer: who in the pool is alive. Each remote node's slot (see
 * pchat_pool_table.h) keeps when it was last heard and the state its
 * heartbeat announced; a node silent for pool_dead_ms is down until it
 * speaks again. Also this node's own state (active or drain), which exists
 * with or without a pool. Only bookkeeping: pchat_pool.c sends and acts. */

#ifndef _PCHAT_POOL_BEAT_H_
#define _PCHAT_POOL_BEAT_H_

typedef enum pchat_pool_state
{
	PCHAT_POOL_ACTIVE = 0, /* takes new sessions */
	PCHAT_POOL_DRAIN = 1   /* refuses new sessions, serves the ones it has */
} pchat_pool_state_t;

/* What the pool knows of one remote slot. */
typedef struct pchat_pool_peer
{
	int known;          /* ever heard */
	int down;           /* silent past pool_dead_ms */
	int state;          /* pchat_pool_state_t its last heartbeat said */
	long long age_ms;   /* since it was last heard */
} pchat_pool_peer_t;

/* mod_init (always: the drain state is there without a pool too). A node
 * down for forget_ms loses its slot. */
int pchat_pool_beat_mod_init(int heartbeat_ms, int dead_ms, int forget_ms);

/* A monotonic clock in ms, the same in every process. */
long long pchat_pool_now_ms(void);

int pchat_pool_state_get(void);
void pchat_pool_state_set(int state);

/* A message from slot arrived (state: from a heartbeat, or -1). 1 when the
 * slot was down and is up again (the caller re-syncs it), else 0. */
int pchat_pool_beat_heard(int slot, int state);
/* The timer: is a heartbeat due (then it is counted as sent)? */
int pchat_pool_beat_due(void);
/* The timer: the first slot from 'from' on that has been silent past
 * pool_dead_ms, now marked down (reported once), and for how long in
 * *silent_ms; -1 when none. */
int pchat_pool_beat_next_dead(int from, long long *silent_ms);
/* The timer: the first slot from 'from' on that has been down for
 * forget_ms; its liveness is forgotten (the caller frees its slot). */
int pchat_pool_beat_next_forgotten(int from);
/* Is the slot held down? */
int pchat_pool_beat_down(int slot);
/* The timer, with a heartbeat due: does it go to every node dmq lists,
 * those held down too (one heartbeat in PCHAT_POOL_PROBE_BEATS)? */
#define PCHAT_POOL_PROBE_BEATS 10
int pchat_pool_beat_probe_due(void);
/* A heartbeat of slot carried a digest of its rooms: did it match what
 * this node holds? 1 when the node is to be asked for its full list: two
 * heartbeats in a row differed (a message may be on its way when one is
 * computed), and it was not asked in the last PCHAT_POOL_PROBE_BEATS
 * heartbeats, twice that after a second ask without a match between, and
 * so on up to PCHAT_POOL_SYNC_BACKOFF_MAX (a table too full to hold the
 * list differs every time). */
#define PCHAT_POOL_SYNC_BACKOFF_MAX 320
int pchat_pool_beat_digest(int slot, int match);
/* One slot's state for pchat.pool; for PCHAT_POOL_LOCAL, this node (age:
 * since its last heartbeat went out). */
void pchat_pool_beat_peer(int slot, pchat_pool_peer_t *out);

#endif
