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
#include "pchat_proc.h"
#include "pchat_compliance.h"
#include "pchat_writer.h"
#include "pchat_metrics.h"

/* Latency buckets: 100 µs up to 10 ms, 1 ms up to 100 ms, 10 ms up to
 * 1 s, then one for longer. */
#define PCHAT_ACK_BUCKETS (100 + 90 + 90 + 1)

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
	unsigned long ack[PCHAT_ACK_BUCKETS]; /* answered posts by latency */
	unsigned long ack_max_us;
} pchat_writer_shared_t;

static pchat_writer_shared_t *_pw;
static int _pw_pipe[2] = {-1, -1};
static int _pw_max_queue, _pw_max_batch;

static int pchat_ack_bucket(unsigned long long us)
{
	if(us < 10000)
		return us / 100;
	if(us < 100000)
		return 100 + (us - 10000) / 1000;
	if(us < 1000000)
		return 190 + (us - 100000) / 10000;
	return PCHAT_ACK_BUCKETS - 1;
}

static unsigned long pchat_ack_upper_us(int b)
{
	if(b < 100)
		return (b + 1) * 100UL;
	if(b < 190)
		return 10000UL + (b - 99) * 1000UL;
	if(b < 280)
		return 100000UL + (b - 189) * 10000UL;
	return 0; /* longer than 1 s: the maximum says */
}

void pchat_writer_ack_record(pchat_post_t *p)
{
	unsigned long long us = pchat_monotonic_us() - p->made_us;

	pchat_hist_observe(PCHAT_H_POST_ACK, us);
	if(_pw == NULL)
		return;
	lock_get(&_pw->lock);
	_pw->ack[pchat_ack_bucket(us)]++;
	if(us > _pw->ack_max_us)
		_pw->ack_max_us = us;
	lock_release(&_pw->lock);
}

/* The upper bound of the bucket holding the given share (per mille). */
static unsigned long pchat_ack_share(
		unsigned long *h, unsigned long n, int permille, unsigned long max)
{
	unsigned long want = (n * permille + 999) / 1000, seen = 0;
	int b;

	for(b = 0; b < PCHAT_ACK_BUCKETS; b++) {
		seen += h[b];
		if(seen >= want && seen > 0)
			return pchat_ack_upper_us(b) ? pchat_ack_upper_us(b) : max;
	}
	return max;
}

void pchat_writer_ack_latency(pchat_ack_latency_t *out, int restart)
{
	unsigned long h[PCHAT_ACK_BUCKETS], max;
	int b;

	memset(out, 0, sizeof(*out));
	if(_pw == NULL)
		return;
	lock_get(&_pw->lock);
	memcpy(h, _pw->ack, sizeof(h));
	max = _pw->ack_max_us;
	if(restart) {
		memset(_pw->ack, 0, sizeof(_pw->ack));
		_pw->ack_max_us = 0;
	}
	lock_release(&_pw->lock);
	for(b = 0; b < PCHAT_ACK_BUCKETS; b++)
		out->count += h[b];
	out->max_us = max;
	out->p50_us = pchat_ack_share(h, out->count, 500, max);
	out->p90_us = pchat_ack_share(h, out->count, 900, max);
	out->p99_us = pchat_ack_share(h, out->count, 990, max);
}

pchat_post_t *pchat_post_new(long long room_id, int keep, str *user,
		str *text, str *chan_uri, const char *room_name)
{
	pchat_post_t *p;
	int nlen = room_name ? strlen(room_name) : 0;
	int n = user->len + text->len + chan_uri->len + nlen + 4;

	p = shm_malloc(sizeof(*p) + n);
	if(p == NULL) {
		SHM_MEM_ERROR;
		return NULL;
	}
	memset(p, 0, sizeof(*p));
	p->made_us = pchat_monotonic_us();
	p->room_id = room_id;
	p->keep = keep;
	p->comply = room_name != NULL;
	p->user.s = p->data;
	p->text.s = p->user.s + user->len + 1;
	p->chan_uri.s = p->text.s + text->len + 1;
	p->room_name.s = p->chan_uri.s + chan_uri->len + 1;
	p->user.len = user->len;
	p->text.len = text->len;
	p->chan_uri.len = chan_uri->len;
	p->room_name.len = nlen;
	memcpy(p->user.s, user->s, user->len);
	p->user.s[user->len] = '\0';
	memcpy(p->text.s, text->s, text->len);
	p->text.s[text->len] = '\0';
	memcpy(p->chan_uri.s, chan_uri->s, chan_uri->len);
	p->chan_uri.s[chan_uri->len] = '\0';
	memcpy(p->room_name.s, room_name ? room_name : "", nlen);
	p->room_name.s[nlen] = '\0';
	return p;
}

void pchat_post_free(pchat_post_t *p)
{
	if(p->pend.head) /* never answered */
		shm_free(p->pend.head);
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

/* A batch's text stays well under MariaDB's max_allowed_packet (16 MB by
 * default): escaping may double it, and a compliance event repeats it. */
#define PCHAT_BATCH_BYTES (1024 * 1024)

typedef struct pchat_batch_room
{
	long long id;
	long long count; /* posts of the batch in it */
	long long next;  /* while building: posts numbered; then its next number,
					  * 0 if the room is gone */
} pchat_batch_room_t;

static pchat_batch_room_t *pchat_batch_room(
		pchat_batch_room_t *r, int n, long long id)
{
	int i;

	for(i = 0; i < n; i++)
		if(r[i].id == id)
			return &r[i];
	return NULL;
}

/* The batch's rooms with their counts of posts (malloc), or NULL. */
static pchat_batch_room_t *pchat_batch_rooms(pchat_post_t *b, int nposts, int *n)
{
	pchat_batch_room_t *rooms, *r;
	pchat_post_t *p;

	rooms = malloc(nposts * sizeof(*rooms));
	if(rooms == NULL)
		return NULL;
	for(*n = 0, p = b; p; p = p->next) {
		r = pchat_batch_room(rooms, *n, p->room_id);
		if(r == NULL) {
			r = &rooms[(*n)++];
			r->id = p->room_id;
			r->count = 0;
			r->next = 0;
		}
		r->count++;
	}
	return rooms;
}

/* One room counter per room moves by the room's count of posts, its new
 * last number kept in @pchat_s<k> (NULL: the room row is gone). */
static void pchat_script_number(pchat_sql_t *q, pchat_batch_room_t *r, int n)
{
	int i;

	pchat_sql_add(q, "SET @pchat_s0 = NULL");
	for(i = 1; i < n; i++)
		pchat_sql_add(q, ", @pchat_s%d = NULL", i);
	pchat_sql_end(q);
	pchat_sql_add(q, "UPDATE pchat_node SET last_seq = CASE id");
	for(i = 0; i < n; i++)
		pchat_sql_add(q, " WHEN %lld THEN (@pchat_s%d := last_seq + %lld)",
				r[i].id, i, r[i].count);
	pchat_sql_add(q, " ELSE last_seq END WHERE id IN (");
	for(i = 0; i < n; i++)
		pchat_sql_add(q, "%s%lld", i ? ", " : "", r[i].id);
	pchat_sql_add(q, ")");
	pchat_sql_end(q);
}

/* The kept posts, numbered back from their room's new last number (a
 * gone room's NULL fails the INSERT). Returns the number of rows. */
static int pchat_script_insert(
		pchat_sql_t *q, pchat_post_t *b, pchat_batch_room_t *r, int n)
{
	pchat_batch_room_t *room;
	pchat_post_t *p;
	int rows = 0;

	for(p = b; p; p = p->next) {
		room = pchat_batch_room(r, n, p->room_id);
		room->next++;
		if(!p->keep)
			continue;
		pchat_sql_add(q, "%s(%lld, @pchat_s%d - %lld, %lld, ",
				rows++ ? ", " : "INSERT INTO pchat_message (room_id, seq, "
								"ts_ms, author, content) VALUES ",
				p->room_id, (int)(room - r), room->count - room->next,
				p->ts_ms);
		pchat_sql_quote(q, p->user.s, p->user.len);
		pchat_sql_add(q, ", ");
		pchat_sql_quote(q, p->text.s, p->text.len);
		pchat_sql_add(q, ")");
	}
	if(rows)
		pchat_sql_end(q);
	return rows;
}

/* The compliance events of the batch's posts (compliance on when they
 * were checked), numbered as their messages; a gone room's NULL number
 * selects no row (its post fails alone, see pchat_writer_number). One
 * INSERT ... SELECT of a UNION: rows of plain values, no table read.
 * Returns the number of rows. */
static int pchat_script_events(
		pchat_sql_t *q, pchat_post_t *b, pchat_batch_room_t *r, int n)
{
	pchat_batch_room_t *room;
	pchat_post_t *p;
	int rows = 0, k;

	for(k = 0; k < n; k++)
		r[k].next = 0;
	for(p = b; p; p = p->next) {
		room = pchat_batch_room(r, n, p->room_id);
		room->next++;
		if(!p->comply)
			continue;
		k = (int)(room - r);
		pchat_sql_add(q, "%sSELECT 'CHAT', %lld, %lld, ",
				rows++ ? " UNION ALL "
					   : "INSERT INTO pchat_compliance_event (type, ts_ms, "
						 "room_id, room_uri, room_name, msg_seq, user_uri, "
						 "content, node) ",
				p->ts_ms, p->room_id);
		pchat_sql_quote(q, p->chan_uri.s, p->chan_uri.len);
		pchat_sql_add(q, ", ");
		pchat_sql_quote(q, p->room_name.s, p->room_name.len);
		pchat_sql_add(q, ", @pchat_s%d - %lld, ", k, room->count - room->next);
		pchat_sql_quote(q, p->user.s, p->user.len);
		pchat_sql_add(q, ", ");
		pchat_sql_quote(q, p->text.s, p->text.len);
		pchat_sql_add(q, ", ");
		pchat_sql_quote(q, pchat_node_name(), strlen(pchat_node_name()));
		pchat_sql_add(q, " FROM DUAL WHERE @pchat_s%d IS NOT NULL", k);
	}
	if(rows)
		pchat_sql_end(q);
	return rows;
}

/* Where each statement of a batch's script is (-1: not in it). */
typedef struct pchat_script_at
{
	int insert; /* the messages */
	int events; /* the compliance events */
	int commit;
} pchat_script_at_t;

/* The batch as one script (one round trip): begin, number, insert the
 * messages and their compliance events, read the numbers back, commit.
 * Returns its number of statements. */
static int pchat_writer_script(pchat_sql_t *q, pchat_post_t *b,
		pchat_batch_room_t *r, int n, pchat_script_at_t *at)
{
	int i, stmts = 3;

	at->insert = at->events = -1;
	pchat_sql_add(q, "START TRANSACTION");
	pchat_sql_end(q);
	pchat_script_number(q, r, n);
	if(pchat_script_insert(q, b, r, n))
		at->insert = stmts++;
	if(pchat_script_events(q, b, r, n))
		at->events = stmts++;
	pchat_sql_add(q, "SELECT @pchat_s0");
	for(i = 1; i < n; i++)
		pchat_sql_add(q, ", @pchat_s%d", i);
	pchat_sql_end(q);
	pchat_sql_add(q, "COMMIT");
	pchat_sql_end(q);
	at->commit = stmts + 1;
	return stmts + 2;
}

/* Numbers for every post from the script's last numbers, in batch order
 * per room; a post of a room gone since it was checked fails alone. */
static void pchat_writer_number(
		pchat_post_t *b, pchat_batch_room_t *r, int n, pchat_db_res_t *res)
{
	pchat_batch_room_t *room;
	pchat_post_t *p;
	int i;

	for(i = 0; i < n; i++) {
		r[i].next = 0;
		if(res->nrows == 1 && i < res->ncols && res->rows[0][i])
			r[i].next = atoll(res->rows[0][i]) - r[i].count + 1;
	}
	for(p = b; p; p = p->next) {
		room = pchat_batch_room(r, n, p->room_id);
		if(room->next > 0) {
			p->seq = room->next++;
		} else {
			p->rc = PCHAT_STORE_ERROR;
			p->gone = 1;
		}
	}
}

/* Runs the batch's script; on success every post has its number. */
static pchat_store_rc_t pchat_writer_run(
		pchat_post_t *b, int nposts, int *gone, int *conflict)
{
	pchat_batch_room_t *rooms;
	pchat_store_rc_t rc;
	pchat_db_res_t res;
	pchat_script_at_t where;
	pchat_sql_t q;
	int n, at;

	*conflict = 0;
	rooms = pchat_batch_rooms(b, nposts, &n);
	if(rooms == NULL)
		return PCHAT_STORE_ERROR;
	rc = pchat_db_script_prepare();
	if(rc == PCHAT_STORE_OK) {
		pchat_sql_init(&q);
		pchat_writer_script(&q, b, rooms, n, &where);
		rc = pchat_db_script(&q, &res, &at);
		pchat_sql_free(&q);
		*conflict = rc == PCHAT_STORE_ERROR && pchat_db_conflict(pchat_db_errno());
		if(rc == PCHAT_STORE_OK) {
			pchat_writer_number(b, rooms, n, &res);
			pchat_db_res_free(&res);
		} else if(rc == PCHAT_STORE_ERROR && at == where.commit && !*conflict) {
			rc = PCHAT_STORE_UNAVAILABLE; /* a COMMIT's outcome unknown */
		} else if(rc == PCHAT_STORE_ERROR && at == where.insert) {
			/* the INSERT: a room row gone (NULL number, foreign key), or
			 * numbers another writer took (a pool node's commit applied
			 * by Galera between our counter and our rows): a conflict */
			*gone = pchat_db_missing_row(pchat_db_errno());
			*conflict |= pchat_db_errno() == PCHAT_ER_DUP_ENTRY;
		}
	}
	free(rooms);
	return rc;
}

/* One transaction for the batch, one round trip, one commit (one fsync).
 * If the database refuses it (not an outage), each post gets a
 * transaction of its own so the others are not refused with it. */
static pchat_store_rc_t pchat_writer_commit(pchat_post_t *b, int n)
{
	pchat_store_rc_t rc, prc;
	pchat_post_t *p;
	int gone = 0, conflict = 0;

	for(p = b; p; p = p->next) {
		p->rc = PCHAT_STORE_OK;
		p->seq = 0;
		p->gone = 0;
	}
	rc = pchat_writer_run(b, n, &gone, &conflict);
	/* A COMMIT lost with its connection, or failed otherwise than by a
	 * conflict (UNAVAILABLE, see pchat_db_commit), may have been applied:
	 * those posts are answered 503, never 200, and never committed again
	 * here; a client's retry may store one twice. A conflict (Galera
	 * certification) was rolled back: the batch is retried post by post,
	 * and a post refused alone is answered 503 as well. */
	prc = rc;
	if(rc == PCHAT_STORE_ERROR && conflict)
		prc = PCHAT_STORE_UNAVAILABLE;
	for(p = b; p; p = p->next)
		if(rc != PCHAT_STORE_OK) {
			p->rc = prc;
			p->gone = gone && n == 1;
		}
	return rc;
}

static void pchat_writer_batch_run(pchat_post_t *b, int n)
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

/* The store's latency as the posts see it: one batch's transaction(s). */
static void pchat_writer_batch(pchat_post_t *b, int n)
{
	unsigned long long t0 = pchat_monotonic_us();

	pchat_writer_batch_run(b, n);
	pchat_hist_observe(PCHAT_H_STORE_COMMIT, pchat_monotonic_us() - t0);
}

/* Takes up to max_batch posts; NULL (and sleeping set) when none. */
static pchat_post_t *pchat_writer_take(int *n)
{
	pchat_post_t *b, *p;
	size_t bytes = 0;

	lock_get(&_pw->lock);
	b = _pw->head;
	for(p = b, *n = 0; p && *n < _pw_max_batch - 1; p = p->next) {
		bytes += p->user.len + p->text.len;
		if(bytes >= PCHAT_BATCH_BYTES)
			break;
		(*n)++;
	}
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

static void pchat_writer_loop(int unused)
{
	pchat_post_t *b;
	unsigned long long last_bell = pchat_monotonic_ms();
	int n, started = 0;

	pchat_bell_open(PCHAT_BELL_WRITER);
	for(;;) {
		cfg_update();
		b = pchat_writer_take(&n);
		if(b == NULL) {
			/* once per node start, when the store answers: one process
			 * closes what an earlier run of the node left open */
			if(!started)
				started = pchat_compliance_node_start() == PCHAT_STORE_OK;
			/* a bell now and then keeps the connection from idling out
			 * and hands back anything a lost bell left behind */
			if(pchat_monotonic_ms() - last_bell >= 10000) {
				pchat_bell_ring(PCHAT_BELL_WRITER);
				last_bell = pchat_monotonic_ms();
			}
			pchat_proc_wait(_pw_pipe[0], 1000);
			continue;
		}
		pchat_writer_batch(b, n);
		pchat_writer_hand_back(b, n);
		pchat_bell_ring(PCHAT_BELL_WRITER);
		last_bell = pchat_monotonic_ms();
	}
}

int pchat_writer_mod_init(int max_queue, int max_batch)
{
	_pw_max_queue = max_queue;
	_pw_max_batch = max_batch;
	_pw = shm_malloc(sizeof(*_pw));
	if(_pw == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_pw, 0, sizeof(*_pw));
	if(lock_init(&_pw->lock) == NULL || lock_init(&_pw->done_lock) == NULL)
		return -1;
	if(pchat_proc_pipe(_pw_pipe, "post writer's") < 0)
		return -1;
	if(register_procs(1) < 0)
		return -1;
	cfg_register_child(1);
	return 0;
}

int pchat_writer_start(void)
{
	if(pchat_proc_fork("PCHAT POST WRITER", pchat_writer_loop, 0) < 0)
		return -1;
	lock_get(&_pw->lock);
	_pw->running = 1;
	lock_release(&_pw->lock);
	return 0;
}
