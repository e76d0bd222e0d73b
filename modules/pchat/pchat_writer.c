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
/* Store layer: the post writer process and its queues (see
 * pchat_writer.h; the README's Performance section says why a writer and a
 * doorbell). */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/cfg/cfg_struct.h"
#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/shm_mem.h"
#include "core/pt.h"
#include "core/sr_module.h"

#include "pchat_bell.h"
#include "pchat_writer.h"

typedef struct pchat_writer_shared
{
	gen_lock_t lock;      /* the queue and the done list */
	gen_lock_t done_lock; /* one reader hands out completions at a time */
	pchat_post_t *head, *tail; /* waiting for the writer */
	pchat_post_t *done, *done_tail; /* committed, waiting for a reader */
	int places;   /* reserved + queued + being committed */
	int sleeping; /* the writer waits on the pipe */
	int running;  /* the writer process exists */
	unsigned long stats[PCHAT_WRITER_NSTATS];
} pchat_writer_shared_t;

static pchat_writer_shared_t *_pw;
static int _pw_pipe[2] = {-1, -1};
static int _pw_max_queue, _pw_max_batch;

pchat_post_t *pchat_post_new(
		long long room_id, int keep, str *user, str *text, str *chan_uri)
{
	pchat_post_t *p;
	int n = user->len + text->len + chan_uri->len + 3;

	p = shm_malloc(sizeof(*p) + n);
	if(p == NULL) {
		SHM_MEM_ERROR;
		return NULL;
	}
	memset(p, 0, sizeof(*p));
	p->room_id = room_id;
	p->keep = keep;
	p->user.s = p->data;
	p->text.s = p->user.s + user->len + 1;
	p->chan_uri.s = p->text.s + text->len + 1;
	p->user.len = user->len;
	p->text.len = text->len;
	p->chan_uri.len = chan_uri->len;
	memcpy(p->user.s, user->s, user->len);
	p->user.s[user->len] = '\0';
	memcpy(p->text.s, text->s, text->len);
	p->text.s[text->len] = '\0';
	memcpy(p->chan_uri.s, chan_uri->s, chan_uri->len);
	p->chan_uri.s[chan_uri->len] = '\0';
	return p;
}

void pchat_post_free(pchat_post_t *p)
{
	shm_free(p);
}

int pchat_writer_reserve(void)
{
	int ok;

	if(_pw == NULL)
		return 0;
	lock_get(&_pw->lock);
	ok = _pw->running && _pw->places < _pw_max_queue;
	if(ok)
		_pw->places++;
	lock_release(&_pw->lock);
	return ok;
}

void pchat_writer_unreserve(void)
{
	lock_get(&_pw->lock);
	_pw->places--;
	lock_release(&_pw->lock);
}

void pchat_writer_submit(pchat_post_t *p)
{
	int wake;

	p->next = NULL;
	lock_get(&_pw->lock);
	if(_pw->tail)
		_pw->tail->next = p;
	else
		_pw->head = p;
	_pw->tail = p;
	wake = _pw->sleeping;
	_pw->sleeping = 0;
	lock_release(&_pw->lock);
	/* only a sleeping writer needs the byte: a busy one looks again */
	if(wake && write(_pw_pipe[1], "p", 1) < 0 && errno != EAGAIN)
		LM_ERR("cannot wake the post writer: %s\n", strerror(errno));
}

int pchat_writer_queued(void)
{
	int n;

	if(_pw == NULL)
		return 0;
	lock_get(&_pw->lock);
	n = _pw->places;
	lock_release(&_pw->lock);
	return n;
}

void pchat_writer_done_lock(void)
{
	lock_get(&_pw->done_lock);
}

void pchat_writer_done_unlock(void)
{
	lock_release(&_pw->done_lock);
}

unsigned long pchat_writer_stat(pchat_writer_stat_t which)
{
	unsigned long v;

	if(_pw == NULL)
		return 0;
	lock_get(&_pw->lock);
	v = _pw->stats[which];
	lock_release(&_pw->lock);
	return v;
}

pchat_post_t *pchat_writer_take_done(void)
{
	pchat_post_t *p;

	if(_pw == NULL)
		return NULL;
	lock_get(&_pw->lock);
	p = _pw->done;
	_pw->done = _pw->done_tail = NULL;
	lock_release(&_pw->lock);
	return p;
}

/* --- the writer process ---------------------------------------------- */

/* Rows of one multi-row INSERT: a batch of n posts costs n / 16 rounded
 * up statements (every round trip to MariaDB is a wait and two context
 * switches); one prepared shape per row count, 16 at most. */
#define PCHAT_POST_ROWS 16
#define PCHAT_POST_COLS 5
#if PCHAT_POST_ROWS * PCHAT_POST_COLS > PCHAT_DB_MAX_PARAMS
#error "PCHAT_POST_ROWS rows do not fit in one statement's parameters"
#endif
static char _pw_insert[PCHAT_POST_ROWS][64 + PCHAT_POST_ROWS * 20];

static void pchat_writer_sql_init(void)
{
	int i, k, n;

	for(k = 0; k < PCHAT_POST_ROWS; k++) {
		n = snprintf(_pw_insert[k], sizeof(_pw_insert[k]),
				"INSERT INTO pchat_message (room_id, seq, ts_ms, author, "
				"content) VALUES ");
		for(i = 0; i <= k; i++)
			n += snprintf(_pw_insert[k] + n, sizeof(_pw_insert[k]) - n,
					"%s(?, ?, ?, ?, ?)", i ? ", " : "");
	}
}

/* The rooms of a batch get their numbers PCHAT_NUMBER_ROOMS at a time: one
 * UPDATE adds each room's count, one SELECT reads the new last numbers
 * (the rows stay locked until the commit). Unused places repeat the last
 * room with a count of 0 (CASE takes the first match). */
#define PCHAT_NUMBER_ROOMS 16
#if PCHAT_NUMBER_ROOMS * 3 > PCHAT_DB_MAX_PARAMS
#error "PCHAT_NUMBER_ROOMS rooms do not fit in one statement's parameters"
#endif
static char _pw_number_sql[128 + PCHAT_NUMBER_ROOMS * 24];
static char _pw_last_sql[64 + PCHAT_NUMBER_ROOMS * 4];

static void pchat_writer_number_sql_init(void)
{
	int i, n, m;

	n = snprintf(_pw_number_sql, sizeof(_pw_number_sql),
			"UPDATE pchat_node SET last_seq = last_seq + CASE id");
	for(i = 0; i < PCHAT_NUMBER_ROOMS; i++)
		n += snprintf(_pw_number_sql + n, sizeof(_pw_number_sql) - n,
				" WHEN ? THEN ?");
	n += snprintf(_pw_number_sql + n, sizeof(_pw_number_sql) - n,
			" ELSE 0 END WHERE id IN (");
	m = snprintf(_pw_last_sql, sizeof(_pw_last_sql),
			"SELECT id, last_seq FROM pchat_node WHERE id IN (");
	for(i = 0; i < PCHAT_NUMBER_ROOMS; i++) {
		n += snprintf(_pw_number_sql + n, sizeof(_pw_number_sql) - n, "%s?",
				i ? ", " : "");
		m += snprintf(_pw_last_sql + m, sizeof(_pw_last_sql) - m, "%s?",
				i ? ", " : "");
	}
	snprintf(_pw_number_sql + n, sizeof(_pw_number_sql) - n, ")");
	snprintf(_pw_last_sql + m, sizeof(_pw_last_sql) - m, ")");
}

typedef struct pchat_batch_room
{
	long long id;
	long long count; /* posts of the batch in it */
	long long next;  /* its next number; 0: the room is gone */
} pchat_batch_room_t;

/* Up to PCHAT_NUMBER_ROOMS rooms: counts added, new last numbers read. */
static pchat_store_rc_t pchat_writer_number_rooms(pchat_batch_room_t *r, int n)
{
	pchat_db_param_t v[PCHAT_NUMBER_ROOMS * 3];
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	int i, k, last = n - 1;

	for(i = 0; i < PCHAT_NUMBER_ROOMS; i++) {
		k = i < n ? i : last;
		v[2 * i] = pchat_db_p_ll(r[k].id);
		v[2 * i + 1] = pchat_db_p_ll(i < n ? r[k].count : 0);
		v[2 * PCHAT_NUMBER_ROOMS + i] = pchat_db_p_ll(r[k].id);
	}
	rc = pchat_db_execv(_pw_number_sql, NULL, PCHAT_NUMBER_ROOMS * 3, v);
	if(rc == PCHAT_STORE_OK)
		rc = pchat_db_execv(_pw_last_sql, &res, PCHAT_NUMBER_ROOMS,
				v + 2 * PCHAT_NUMBER_ROOMS);
	if(rc != PCHAT_STORE_OK)
		return rc;
	for(i = 0; i < n; i++)
		for(k = 0; k < res.nrows; k++)
			if(atoll(res.rows[k][0]) == r[i].id)
				r[i].next = atoll(res.rows[k][1]) - r[i].count + 1;
	pchat_db_res_free(&res);
	return PCHAT_STORE_OK;
}

static pchat_batch_room_t *pchat_batch_room(
		pchat_batch_room_t *r, int n, long long id)
{
	int i;

	for(i = 0; i < n; i++)
		if(r[i].id == id)
			return &r[i];
	return NULL;
}

/* Numbers for every post of the batch, in batch order per room. A room
 * that is gone since its post was checked fails its posts alone. */
static pchat_store_rc_t pchat_writer_number(pchat_post_t *b, int nposts)
{
	pchat_batch_room_t *rooms, *r;
	pchat_store_rc_t rc = PCHAT_STORE_OK;
	pchat_post_t *p;
	int i, n = 0;

	rooms = malloc(nposts * sizeof(*rooms));
	if(rooms == NULL)
		return PCHAT_STORE_ERROR;
	for(p = b; p; p = p->next) {
		r = pchat_batch_room(rooms, n, p->room_id);
		if(r == NULL) {
			r = &rooms[n++];
			r->id = p->room_id;
			r->count = 0;
			r->next = 0;
		}
		r->count++;
	}
	for(i = 0; i < n && rc == PCHAT_STORE_OK; i += PCHAT_NUMBER_ROOMS)
		rc = pchat_writer_number_rooms(rooms + i,
				n - i < PCHAT_NUMBER_ROOMS ? n - i : PCHAT_NUMBER_ROOMS);
	for(p = b; p && rc == PCHAT_STORE_OK; p = p->next) {
		r = pchat_batch_room(rooms, n, p->room_id);
		if(r->next > 0) {
			p->seq = r->next++;
		} else {
			p->rc = PCHAT_STORE_ERROR;
			p->gone = 1;
		}
	}
	free(rooms);
	return rc;
}

static void pchat_writer_row(pchat_db_param_t *v, pchat_post_t *p)
{
	v[0] = pchat_db_p_ll(p->room_id);
	v[1] = pchat_db_p_ll(p->seq);
	v[2] = pchat_db_p_ll(p->ts_ms);
	v[3] = pchat_db_p_str(&p->user);
	v[4] = pchat_db_p_cs(p->text.s);
}

/* The stored posts of the batch, PCHAT_POST_ROWS to a statement. */
static pchat_store_rc_t pchat_writer_insert(pchat_post_t *b)
{
	pchat_db_param_t v[PCHAT_POST_ROWS * PCHAT_POST_COLS];
	pchat_store_rc_t rc = PCHAT_STORE_OK;
	pchat_post_t *p;
	int n = 0;

	for(p = b; p && rc == PCHAT_STORE_OK; p = p->next) {
		if(!p->keep || p->rc != PCHAT_STORE_OK)
			continue;
		pchat_writer_row(v + n * PCHAT_POST_COLS, p);
		if(++n == PCHAT_POST_ROWS) {
			rc = pchat_db_execv(_pw_insert[n - 1], NULL, n * PCHAT_POST_COLS, v);
			n = 0;
		}
	}
	if(rc == PCHAT_STORE_OK && n > 0)
		rc = pchat_db_execv(_pw_insert[n - 1], NULL, n * PCHAT_POST_COLS, v);
	return rc;
}

/* One transaction for the batch: numbers, then messages, then one commit
 * (one fsync). If the database refuses it (not an outage), each post gets
 * a transaction of its own so the others are not refused with it. */
static pchat_store_rc_t pchat_writer_commit(pchat_post_t *b, int n)
{
	pchat_store_rc_t rc, prc;
	pchat_post_t *p;

	for(p = b; p; p = p->next) {
		p->rc = PCHAT_STORE_OK;
		p->seq = 0;
		p->gone = 0;
	}
	rc = pchat_db_begin();
	if(rc == PCHAT_STORE_OK)
		rc = pchat_writer_number(b, n);
	if(rc == PCHAT_STORE_OK)
		rc = pchat_writer_insert(b);
	if(rc == PCHAT_STORE_OK)
		rc = pchat_db_commit();
	else
		pchat_db_rollback();
	/* A COMMIT lost with its connection, or failed otherwise than by a
	 * conflict (UNAVAILABLE, see pchat_db_commit), may have been applied:
	 * those posts are answered 503, never 200, and never committed again
	 * here; a client's retry may store one twice. A conflict (Galera
	 * certification) was rolled back: the batch is retried post by post,
	 * and a post refused alone is answered 503 as well. */
	prc = rc;
	if(rc == PCHAT_STORE_ERROR && pchat_db_conflict(pchat_db_errno()))
		prc = PCHAT_STORE_UNAVAILABLE;
	for(p = b; p; p = p->next)
		if(rc != PCHAT_STORE_OK) {
			p->rc = prc;
			p->gone = 0;
		}
	return rc;
}

static void pchat_writer_batch(pchat_post_t *b, int n)
{
	pchat_post_t *p, *next;

	if(pchat_writer_commit(b, n) != PCHAT_STORE_ERROR || n == 1)
		return;
	LM_WARN("a batch of %d posts was refused (MySQL error %u): committing "
			"them one by one\n", n, pchat_db_errno());
	for(p = b; p; p = next) {
		next = p->next;
		p->next = NULL;
		pchat_writer_commit(p, 1);
		p->next = next;
	}
}

/* Takes up to max_batch posts; NULL (and sleeping set) when none. */
static pchat_post_t *pchat_writer_take(int *n)
{
	pchat_post_t *b, *p;

	lock_get(&_pw->lock);
	b = _pw->head;
	for(p = b, *n = 0; p && *n < _pw_max_batch - 1; p = p->next)
		(*n)++;
	if(p) {
		(*n)++;
		_pw->head = p->next;
		p->next = NULL;
	} else {
		_pw->head = NULL;
	}
	if(_pw->head == NULL)
		_pw->tail = NULL;
	if(b == NULL)
		_pw->sleeping = 1;
	lock_release(&_pw->lock);
	return b;
}

static void pchat_writer_hand_back(pchat_post_t *b, int n)
{
	pchat_post_t *last = b;
	int ok = 0;

	for(; last->next; last = last->next)
		ok += last->rc == PCHAT_STORE_OK;
	ok += last->rc == PCHAT_STORE_OK;
	lock_get(&_pw->lock);
	_pw->stats[PCHAT_WRITER_BATCHES]++;
	_pw->stats[PCHAT_WRITER_COMMITTED] += ok;
	if(_pw->done_tail)
		_pw->done_tail->next = b;
	else
		_pw->done = b;
	_pw->done_tail = last;
	_pw->places -= n;
	lock_release(&_pw->lock);
}

static void pchat_writer_wait(int ms)
{
	struct pollfd pfd = {.fd = _pw_pipe[0], .events = POLLIN};
	char buf[64];

	if(poll(&pfd, 1, ms) > 0)
		while(read(_pw_pipe[0], buf, sizeof(buf)) > 0)
			;
}

static void pchat_writer_loop(void)
{
	pchat_post_t *b;
	time_t last_bell = time(NULL);
	int n;

	for(;;) {
		cfg_update();
		b = pchat_writer_take(&n);
		if(b == NULL) {
			/* a bell now and then keeps the connection from idling out
			 * and hands back anything a lost bell left behind */
			if(time(NULL) - last_bell >= 10) {
				pchat_bell_ring(PCHAT_BELL_WRITER);
				last_bell = time(NULL);
			}
			pchat_writer_wait(1000);
			continue;
		}
		pchat_writer_batch(b, n);
		pchat_writer_hand_back(b, n);
		pchat_bell_ring(PCHAT_BELL_WRITER);
		last_bell = time(NULL);
	}
}

int pchat_writer_mod_init(int max_queue, int max_batch)
{
	_pw_max_queue = max_queue;
	pchat_writer_sql_init();
	pchat_writer_number_sql_init();
	_pw_max_batch = max_batch;
	_pw = shm_malloc(sizeof(*_pw));
	if(_pw == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_pw, 0, sizeof(*_pw));
	if(lock_init(&_pw->lock) == NULL || lock_init(&_pw->done_lock) == NULL)
		return -1;
	if(pipe(_pw_pipe) < 0) {
		LM_ERR("cannot create the post writer's pipe: %s\n", strerror(errno));
		return -1;
	}
	fcntl(_pw_pipe[0], F_SETFL, fcntl(_pw_pipe[0], F_GETFL) | O_NONBLOCK);
	fcntl(_pw_pipe[1], F_SETFL, fcntl(_pw_pipe[1], F_GETFL) | O_NONBLOCK);
	if(register_procs(1) < 0)
		return -1;
	cfg_register_child(1);
	return 0;
}

int pchat_writer_start(void)
{
	int pid;

	pid = fork_process(PROC_NOCHLDINIT, "PCHAT POST WRITER", 1);
	if(pid < 0) {
		LM_ERR("cannot start the post writer\n");
		return -1;
	}
	if(pid > 0) {
		lock_get(&_pw->lock);
		_pw->running = 1;
		lock_release(&_pw->lock);
		return 0;
	}
	if(cfg_child_init() < 0)
		exit(-1);
	pchat_db_child_init();
	pchat_writer_loop();
	exit(0);
}
