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
/* Delivery layer: the store workers. Every client command that may wait
 * for MySQL (all but a lone post) runs in a pool of processes of its own,
 * so a slow or stuck query holds one worker and the session it serves,
 * never a SIP reader. A session's commands run one at a time, in order. */

#ifndef _PCHAT_WORKER_H_
#define _PCHAT_WORKER_H_

#include "core/str.h"

typedef struct pchat_job
{
	struct pchat_job *next;
	unsigned int sess_hid, sess_id; /* the session (pchat_session_ref_t) */
	unsigned int t_hash, t_label;   /* the suspended INFO */
	str body;                       /* the XCCOS envelope, NUL-terminated */
	char data[];
} pchat_job_t;

/* Runs one job in a worker: answers its INFO, whatever happens. */
typedef void (*pchat_job_run_f)(pchat_job_t *job);

/* A job in shm with a copy of body; NULL: no memory. */
pchat_job_t *pchat_job_new(unsigned int hid, unsigned int id, str *body);
void pchat_job_free(pchat_job_t *j);

/* Takes a place in the queue: 1 taken, 0 full or no workers. */
int pchat_worker_reserve(void);
void pchat_worker_unreserve(void);
/* Queues a job for the place taken by pchat_worker_reserve(). */
void pchat_worker_submit(pchat_job_t *j);

/* Is there a pool (store_workers > 0)? */
int pchat_worker_enabled(void);
/* Jobs queued or running (for the stats RPC and tests). */
int pchat_worker_queued(void);

int pchat_worker_mod_init(int workers, int max_queue, pchat_job_run_f run);
/* From child_init(PROC_MAIN): forks the workers. */
int pchat_worker_start(void);

#endif
