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
/* Delivery layer: the pool's copies of posts in sequence order. A room's
 * posts are numbered by the database for the whole pool, but copies made
 * on other nodes arrive later than this node's own: each copy of a post
 * for this node's sessions passes here and is delivered when its number
 * is the next of its room, or held a short while (bounded) for the ones
 * before it. Called under the pool's delivery lock only (pchat_pool.c). */

#ifndef _PCHAT_POOL_ORDER_H_
#define _PCHAT_POOL_ORDER_H_

#include "core/str.h"

/* A copy for a room's sessions, in shm (from another node, or one of this
 * node's that had to wait). seq 0: a notice, not numbered. */
typedef struct pchat_pool_copy
{
	struct pchat_pool_copy *next;
	long long room_id, seq;
	str body;
	char data[];
} pchat_pool_copy_t;

pchat_pool_copy_t *pchat_pool_copy_new(long long room, long long seq, str *body);

/* mod_init: order kept for at most max_rooms rooms at once. */
int pchat_pool_order_init(int max_rooms);
/* A post's copy for this node's sessions: delivered now, with those it
 * was holding up, or held. The copy is this module's from now on. */
void pchat_pool_order_put(pchat_pool_copy_t *c);
/* The same for a copy in the caller's memory (copied only to be held). */
void pchat_pool_order_put_local(long long room, long long seq, str *body);
/* Delivers what waited past its time (the missing post is not coming:
 * lost, or made before the other node knew of this one). */
void pchat_pool_order_expire(void);
/* Is something held past its time (read without the lock: a hint for the
 * timer)? */
int pchat_pool_order_due(void);
/* The room has no sessions here any more: its order starts afresh. */
void pchat_pool_order_forget(long long room);
/* The room's first session here: its next post is numbered next_seq. */
void pchat_pool_order_start(long long room, long long next_seq);
/* Copies delivered behind a later one (arrived after their wait ended). */
unsigned long pchat_pool_order_late(void);

#endif
