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
/* Store layer: the post writer. Posts from every reader are queued in shm,
 * committed by one process in group transactions (one fsync for a batch),
 * and handed back to a SIP reader by the writer's doorbell (pchat_bell.h),
 * since Kamailio cannot wake a reader. */

/* The writer's doorbell; the store workers' follow it. */
#define PCHAT_BELL_WRITER 0

#ifndef _PCHAT_WRITER_H_
#define _PCHAT_WRITER_H_

#include "core/str.h"

#include "pchat_db.h"
#include "pchat_pending.h"

typedef struct pchat_post
{
	struct pchat_post *next;
	long long room_id;
	int keep;         /* the room keeps history: INSERT the message */
	long long ts_ms;  /* set by the writer, with the commit */
	long long seq;    /* the room's number, set by the writer */
	pchat_store_rc_t rc; /* the outcome of the commit */
	int gone;         /* the room was removed before the commit */
	pchat_pending_t pend; /* the INFO to answer */
	str user;         /* canonical author */
	str text;         /* NUL-terminated */
	str chan_uri;     /* ma-chan:// URI of the room for the copies */
	unsigned long long made_us; /* checked by the reader (monotonic µs; for a
								 * post a worker made, its INFO queued) */
	int comply;       /* compliance on: a CHAT event with the message */
	str room_name;    /* for the event (empty unless comply) */
	char data[];
} pchat_post_t;

/* A post in shm with copies of user, text and chan_uri; NULL: no memory. */
/* room_name: the room's name for a compliance event, NULL when
 * compliance is off (no event). */
pchat_post_t *pchat_post_new(long long room_id, int keep, str *user,
		str *text, str *chan_uri, const char *room_name);
void pchat_post_free(pchat_post_t *p);

/* Takes a place in the writer's queue: 1 taken, 0 full or no writer. */
int pchat_writer_reserve(void);
void pchat_writer_unreserve(void);
/* Queues a post for the place taken by pchat_writer_reserve(). */
void pchat_writer_submit(pchat_post_t *p);

/* The committed (or failed) posts in commit order, NULL when none; the
 * caller answers and delivers them, then frees them. Callers serialise on
 * pchat_writer_done_lock()/unlock() so two readers never interleave
 * copies of consecutive batches. */
void pchat_writer_done_lock(void);
void pchat_writer_done_unlock(void);
pchat_post_t *pchat_writer_take_done(void);

/* Queued posts (for the stats RPC and tests). */
int pchat_writer_queued(void);
/* Counters since start: transactions of the writer, posts committed. */
typedef enum {
	PCHAT_WRITER_BATCHES = 0,
	PCHAT_WRITER_COMMITTED,
	PCHAT_WRITER_NSTATS
} pchat_writer_stat_t;
unsigned long pchat_writer_stat(pchat_writer_stat_t which);

/* The node's own post -> 200 latency (from the post's check to its
 * answer, client and network excluded): the reader records each answered
 * post; pchat.post_latency reads (and may restart) the histogram. */
void pchat_writer_ack_record(pchat_post_t *p);
typedef struct pchat_ack_latency
{
	unsigned long count;
	unsigned long p50_us, p90_us, p99_us, max_us; /* bucket upper bounds */
} pchat_ack_latency_t;
void pchat_writer_ack_latency(pchat_ack_latency_t *out, int restart);

int pchat_writer_mod_init(int max_queue, int max_batch);
/* From child_init(PROC_MAIN): forks the writer process. */
int pchat_writer_start(void);

#endif
