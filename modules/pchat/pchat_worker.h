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
/* Entry layer (SIP side): the store workers. Every client command that may
 * wait for MySQL runs in a pool of processes of their own, so a slow or
 * stuck query holds one worker and the session it serves, never a SIP
 * reader. A session's commands run one at a time, in order. What a command
 * sends (its answer, reply, notices) is handed back to a SIP reader by the
 * worker's doorbell (pchat_bell.h): the reader owns the connections. */

#ifndef _PCHAT_WORKER_H_
#define _PCHAT_WORKER_H_

#include "core/str.h"

#include "pchat_sipreply.h"

/* An envelope for a room's online participants (a join or part notice). */
typedef struct pchat_job_out
{
	struct pchat_job_out *next;
	long long room_id;
	unsigned int except_sess;
	long long seq; /* a post's number, 0 for a notice */
	str body;
	char data[];
} pchat_job_out_t;

/* What a job is: a client's INFO (its envelope in body, its transaction
 * suspended) or the store half of a session's end (body: the record of
 * pchat_session_end_take(); no transaction, nothing to answer). */
#define PCHAT_JOB_INFO 0
#define PCHAT_JOB_SESSION_END 1

typedef struct pchat_job
{
	struct pchat_job *next;
	int kind;                       /* PCHAT_JOB_* */
	unsigned int sess_hid, sess_id; /* the session (pchat_session_ref_t) */
	pchat_pending_t pend;           /* the INFO to answer */
	str body;                       /* the XCCOS envelope, NUL-terminated */
	unsigned long long made_us;     /* queued by the reader (monotonic) */
	/* set by the worker for the reader: */
	pchat_answer_t answer;          /* to the INFO */
	str reply;                      /* shm: the reply envelope, or empty */
	pchat_job_out_t *outs;          /* shm: notices, in order */
	char data[] __attribute__((aligned(8))); /* body: a record may be a struct */
} pchat_job_t;

/* Runs one job in a worker. Returns 1 when the job is to be handed back
 * to a reader (pchat_worker_take_done()), 0 when it is finished. */
typedef int (*pchat_job_run_f)(pchat_job_t *job);

/* A job in shm with a copy of body; NULL: no memory. */
pchat_job_t *pchat_job_new(unsigned int hid, unsigned int id, str *body);
void pchat_job_free(pchat_job_t *j);

/* Takes a place in the queue: 1 taken, 0 full or no workers. */
int pchat_worker_reserve(void);
void pchat_worker_unreserve(void);
/* Queues a job for the place taken by pchat_worker_reserve(). */
void pchat_worker_submit(pchat_job_t *j);

/* Adds a shm copy of an envelope for a room to j->outs (at the end);
 * -1 when out of memory. */
int pchat_job_add_out(pchat_job_t *j, long long room_id,
		unsigned int except_sess, long long seq, str *body);

/* The jobs handed back, in order, NULL when none; the caller answers and
 * sends them, then ends each with pchat_worker_finish(). Callers serialise
 * on pchat_worker_done_lock()/unlock(), so a session's results never
 * cross. */
void pchat_worker_done_lock(void);
void pchat_worker_done_unlock(void);
pchat_job_t *pchat_worker_take_done(void);
/* Frees a job and gives its place in the queue back. */
void pchat_worker_finish(pchat_job_t *j);

/* Is there a pool (store_workers > 0)? */
int pchat_worker_enabled(void);
/* Jobs queued or running (for the stats RPC and tests). */
int pchat_worker_queued(void);

/* Doorbells first_bell .. first_bell + workers - 1 are the workers'. */
int pchat_worker_mod_init(
		int workers, int max_queue, int first_bell, pchat_job_run_f run);
/* From child_init(PROC_MAIN): forks the workers. */
int pchat_worker_start(void);

#endif
