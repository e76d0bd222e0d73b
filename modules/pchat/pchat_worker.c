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
/* Entry layer (SIP side): the store workers' queue, processes and done
 * list (see pchat_worker.h). One FIFO; a worker takes the oldest job whose
 * session no other worker is serving, so a stuck session waits alone. */

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/cfg/cfg_struct.h"
#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/shm_mem.h"
#include "core/pt.h"
#include "core/sr_module.h"

#include "pchat_access.h"
#include "pchat_bell.h"
#include "pchat_config.h"
#include "pchat_proc.h"
#include "pchat_db.h"
#include "pchat_worker.h"

/* Refresh ahead of the node's caches (pchat_access.h, pchat_config.h): one
 * worker at a time, every PCHAT_REFRESH_EVERY_MS, at most
 * PCHAT_REFRESH_MAX post answers a round; worker 0 wakes for it when idle. */
#define PCHAT_REFRESH_EVERY_MS 100
#define PCHAT_REFRESH_MAX 64

typedef struct pchat_worker_shared
{
	gen_lock_t lock;
	gen_lock_t done_lock; /* one reader hands out results at a time */
	pchat_job_t *head, *tail;
	pchat_job_t *done, *done_tail; /* handed back, for a reader */
	int places;   /* reserved + queued + running + handed back */
	int sleeping; /* workers waiting on the pipe */
	int refreshing; /* a worker refreshes the caches */
	unsigned long long refreshed_ms; /* when one last started to */
	/* the session each worker serves (id 0: none) */
	struct
	{
		unsigned int hid, id;
	} serving[];
} pchat_worker_shared_t;

static pchat_worker_shared_t *_pk;
static int _pk_pipe[2] = {-1, -1};
static int _pk_workers, _pk_max_queue, _pk_first_bell;
static pchat_job_run_f _pk_run;

pchat_job_t *pchat_job_new(unsigned int hid, unsigned int id, str *body)
{
	pchat_job_t *j;

	j = shm_malloc(sizeof(*j) + body->len + 1);
	if(j == NULL) {
		SHM_MEM_ERROR;
		return NULL;
	}
	memset(j, 0, sizeof(*j));
	j->sess_hid = hid;
	j->sess_id = id;
	j->made_us = pchat_monotonic_us();
	j->body.s = j->data;
	j->body.len = body->len;
	memcpy(j->data, body->s, body->len);
	j->data[body->len] = '\0';
	return j;
}

void pchat_job_free(pchat_job_t *j)
{
	pchat_job_out_t *o, *next;

	for(o = j->outs; o; o = next) {
		next = o->next;
		shm_free(o);
	}
	if(j->reply.s)
		shm_free(j->reply.s);
	if(j->pend.head) /* never answered */
		shm_free(j->pend.head);
	shm_free(j);
}

int pchat_job_add_out(pchat_job_t *j, long long room_id,
		unsigned int except_sess, long long seq, str *body)
{
	pchat_job_out_t *o, **end;

	o = shm_malloc(sizeof(*o) + body->len);
	if(o == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	o->next = NULL;
	o->room_id = room_id;
	o->except_sess = except_sess;
	o->seq = seq;
	o->body.s = o->data;
	o->body.len = body->len;
	memcpy(o->data, body->s, body->len);
	for(end = &j->outs; *end; end = &(*end)->next)
		;
	*end = o;
	return 0;
}

/* Without a pool (store_workers 0) every doorbell still looks here: the
 * done list is then empty and there is no lock to take. */
void pchat_worker_done_lock(void)
{
	if(_pk)
		lock_get(&_pk->done_lock);
}

void pchat_worker_done_unlock(void)
{
	if(_pk)
		lock_release(&_pk->done_lock);
}

pchat_job_t *pchat_worker_take_done(void)
{
	pchat_job_t *j;

	if(_pk == NULL)
		return NULL;
	lock_get(&_pk->lock);
	j = _pk->done;
	_pk->done = _pk->done_tail = NULL;
	lock_release(&_pk->lock);
	return j;
}

void pchat_worker_finish(pchat_job_t *j)
{
	pchat_job_free(j);
	lock_get(&_pk->lock);
	_pk->places--;
	lock_release(&_pk->lock);
}

int pchat_worker_enabled(void)
{
	return _pk != NULL;
}

int pchat_worker_reserve(void)
{
	int ok;

	if(_pk == NULL)
		return 0;
	lock_get(&_pk->lock);
	ok = _pk->places < _pk_max_queue;
	if(ok)
		_pk->places++;
	lock_release(&_pk->lock);
	return ok;
}

void pchat_worker_unreserve(void)
{
	lock_get(&_pk->lock);
	_pk->places--;
	lock_release(&_pk->lock);
}

void pchat_worker_submit(pchat_job_t *j)
{
	int wake;

	j->next = NULL;
	lock_get(&_pk->lock);
	if(_pk->tail)
		_pk->tail->next = j;
	else
		_pk->head = j;
	_pk->tail = j;
	wake = _pk->sleeping > 0;
	lock_release(&_pk->lock);
	if(wake && write(_pk_pipe[1], "j", 1) < 0 && errno != EAGAIN)
		LM_ERR("cannot wake a store worker: %s\n", strerror(errno));
}

int pchat_worker_queued(void)
{
	int n;

	if(_pk == NULL)
		return 0;
	lock_get(&_pk->lock);
	n = _pk->places;
	lock_release(&_pk->lock);
	return n;
}

/* --- the worker processes -------------------------------------------- */

static int pchat_worker_is_served(pchat_job_t *j)
{
	int i;

	for(i = 0; i < _pk_workers; i++)
		if(_pk->serving[i].id == j->sess_id
				&& _pk->serving[i].hid == j->sess_hid)
			return 1;
	return 0;
}

/* The oldest job of a session no worker serves, now served by worker w;
 * NULL (and counted as sleeping) when there is none. */
static pchat_job_t *pchat_worker_take(int w)
{
	pchat_job_t *j, *prev = NULL;

	lock_get(&_pk->lock);
	for(j = _pk->head; j && pchat_worker_is_served(j); j = j->next)
		prev = j;
	if(j) {
		if(prev)
			prev->next = j->next;
		else
			_pk->head = j->next;
		if(_pk->tail == j)
			_pk->tail = prev;
		j->next = NULL;
		_pk->serving[w].hid = j->sess_hid;
		_pk->serving[w].id = j->sess_id;
	} else {
		_pk->sleeping++;
	}
	lock_release(&_pk->lock);
	return j;
}

/* Worker w is through with its job: handed back (then a reader finishes
 * it) or finished here. */
static void pchat_worker_done(int w, pchat_job_t *j, int hand_back)
{
	lock_get(&_pk->lock);
	_pk->serving[w].hid = _pk->serving[w].id = 0;
	if(hand_back) {
		j->next = NULL;
		if(_pk->done_tail)
			_pk->done_tail->next = j;
		else
			_pk->done = j;
		_pk->done_tail = j;
	} else {
		_pk->places--;
	}
	/* jobs of the session just served may wait behind it */
	if(_pk->head && _pk->sleeping > 0
			&& write(_pk_pipe[1], "j", 1) < 0 && errno != EAGAIN)
		LM_ERR("cannot wake a store worker: %s\n", strerror(errno));
	lock_release(&_pk->lock);
	if(hand_back)
		pchat_bell_ring(_pk_first_bell + w);
	else
		pchat_job_free(j);
}

/* Sleeps until woken or a second passed; on a quiet second, a bell for
 * results a lost bell may have left in the done list. */
static void pchat_worker_wait(int w)
{
	struct pollfd pfd = {.fd = _pk_pipe[0], .events = POLLIN};
	int woken, left;
	char c;

	/* one byte per wake-up: a burst of jobs wakes as many workers */
	woken = poll(&pfd, 1, w == 0 ? PCHAT_REFRESH_EVERY_MS : 1000) > 0;
	if(woken && read(_pk_pipe[0], &c, 1) < 0 && errno != EAGAIN)
		LM_ERR("store worker: %s\n", strerror(errno));
	lock_get(&_pk->lock);
	_pk->sleeping--;
	left = _pk->done != NULL;
	lock_release(&_pk->lock);
	if(!woken && left)
		pchat_bell_ring(_pk_first_bell + w);
}

/* The caches' refresh ahead, when its turn has come and no other worker
 * is at it. */
static void pchat_worker_refresh(void)
{
	unsigned long long now = pchat_monotonic_ms();
	int mine;

	lock_get(&_pk->lock);
	mine = !_pk->refreshing
		   && now - _pk->refreshed_ms >= PCHAT_REFRESH_EVERY_MS;
	if(mine) {
		_pk->refreshing = 1;
		_pk->refreshed_ms = now;
	}
	lock_release(&_pk->lock);
	if(!mine)
		return;
	pchat_store_server_config_refresh();
	pchat_post_cache_refresh(PCHAT_REFRESH_MAX);
	lock_get(&_pk->lock);
	_pk->refreshing = 0;
	lock_release(&_pk->lock);
}

static void pchat_worker_loop(int w)
{
	pchat_job_t *j;

	pchat_bell_open(_pk_first_bell + w);
	for(;;) {
		cfg_update();
		pchat_worker_refresh();
		j = pchat_worker_take(w);
		if(j == NULL) {
			pchat_worker_wait(w);
			continue;
		}
		pchat_worker_done(w, j, _pk_run(j));
	}
}

int pchat_worker_mod_init(
		int workers, int max_queue, int first_bell, pchat_job_run_f run)
{
	if(workers == 0)
		return 0;
	_pk_workers = workers;
	_pk_first_bell = first_bell;
	_pk_max_queue = max_queue;
	_pk_run = run;
	_pk = shm_malloc(sizeof(*_pk) + workers * sizeof(_pk->serving[0]));
	if(_pk == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_pk, 0, sizeof(*_pk) + workers * sizeof(_pk->serving[0]));
	if(lock_init(&_pk->lock) == NULL || lock_init(&_pk->done_lock) == NULL)
		return -1;
	if(pchat_proc_pipe(_pk_pipe, "store workers'") < 0)
		return -1;
	if(register_procs(workers) < 0)
		return -1;
	cfg_register_child(workers);
	return 0;
}

int pchat_worker_start(void)
{
	int i;

	for(i = 0; i < _pk_workers; i++) {
		/* make_sock (in pchat_proc_fork): workers answer and send over
		 * TCP */
		if(pchat_proc_fork("PCHAT STORE WORKER", pchat_worker_loop, i) < 0)
			return -1;
	}
	return 0;
}
