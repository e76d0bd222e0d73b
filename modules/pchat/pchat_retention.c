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
/* Store layer: the retention job (issue 15 point 5). A process of its own
 * removes, room by room and a batch of rows per autocommitted DELETE, the
 * messages older than the retention_days of the room's category, except
 * those a legal hold covers. pchat_compliance_event is never touched. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/cfg/cfg_struct.h"
#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/shm_mem.h"
#include "core/pt.h"
#include "core/sr_module.h"

#include "pchat_db.h"
#include "pchat_file.h"
#include "pchat_proc.h"
#include "pchat_retention.h"

/* the longest the process sleeps: a request (pchat.retention_run) wakes
 * it through its pipe, a due run is waited for; once a second it takes
 * the cfg framework's updates */
#define PCHAT_RETENTION_WAIT_MS 1000
/* a pause between two batches: the post writer's commits get the disk
 * and the rows between them */
#define PCHAT_RETENTION_PAUSE_US 1000
/* a batch refused on a conflict is tried again this many times in a
 * room in a row, after 1 to 4 times this long */
#define PCHAT_RETENTION_CONFLICTS 5
#define PCHAT_RETENTION_CONFLICT_US 50000
/* a category above this many levels is taken for a loop */
#define PCHAT_RETENTION_MAX_DEPTH 64

typedef struct pchat_retention_shm
{
	gen_lock_t lock;
	int started;
	long long done_request; /* the newest request a finished run served */
	pchat_retention_stats_t st;
} pchat_retention_shm_t;

static pchat_retention_shm_t *_pr = NULL;
static int _pr_batch = 500;
static int _pr_pipe[2] = {-1, -1}; /* a byte: a run is requested */

/* The same condition in the SELECT that finds a batch's end and in its
 * DELETE: a held user's messages stay, everywhere. */
#define PCHAT_RETENTION_DELETABLE                                        \
	"room_id = ? AND seq > ? AND seq <= ? AND ts_ms < ? AND author NOT " \
	"IN (SELECT scope FROM pchat_legal_hold WHERE scope_type = 'user')"

static long long pchat_retention_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One long long out of a one-row, one-column answer; dflt for NULL. */
static int pchat_retention_scalar(pchat_store_rc_t rc, pchat_db_res_t *res,
		long long dflt, long long *out)
{
	if(rc != PCHAT_STORE_OK)
		return -1;
	*out = (res->nrows > 0 && res->rows[0][0])
				   ? strtoll(res->rows[0][0], NULL, 10)
				   : dflt;
	pchat_db_res_free(res);
	return 0;
}

/* The first error of a run is kept for pchat.retention_status; each is
 * logged. The run goes on with the next room. id: the node's (0: none). */
static void pchat_retention_error(const char *what, long long id)
{
	char msg[PCHAT_RETENTION_ERR_MAX];

	if(id > 0)
		snprintf(msg, sizeof(msg), "%s %lld (database error %u)", what, id,
				pchat_db_errno());
	else
		snprintf(msg, sizeof(msg), "%s (database error %u)", what,
				pchat_db_errno());
	lock_get(&_pr->lock);
	if(_pr->st.last_error[0] == '\0')
		memcpy(_pr->st.last_error, msg, sizeof(msg));
	lock_release(&_pr->lock);
	LM_WARN("retention: %s\n", msg);
}

/* Is the node (a room or a category) or a category above it held? Holds
 * on a category cover every room below it, at any depth: a hold errs on
 * the side of keeping. 1 held, 0 not, -1 store error. */
static int pchat_retention_held(long long id)
{
	pchat_db_res_t res;
	int depth, held;

	for(depth = 0; id > 0 && depth < PCHAT_RETENTION_MAX_DEPTH; depth++) {
		if(pchat_db_exec("SELECT n.parent_id, EXISTS (SELECT 1 FROM "
						 "pchat_legal_hold h WHERE h.scope_type = n.kind AND "
						 "h.scope = n.guid COLLATE utf8mb4_bin) FROM "
						 "pchat_node n WHERE n.id = ?",
				   &res, id)
				!= PCHAT_STORE_OK)
			return -1;
		if(res.nrows == 0) {
			pchat_db_res_free(&res);
			return 0;
		}
		held = res.rows[0][1] && atoi(res.rows[0][1]);
		id = res.rows[0][0] ? strtoll(res.rows[0][0], NULL, 10) : 0;
		pchat_db_res_free(&res);
		if(held)
			return 1;
	}
	return 0;
}

/* One batch of a room: removes the deletable rows in (lo, the batch's
 * last seq]; *lo moves on. 1 when more may follow, 0 done, -1 error. */
static int pchat_retention_batch(
		long long room, long long *lo, long long hi, long long cutoff)
{
	pchat_db_res_t res;
	long long top;
	int more;

	/* a plain read (no locks): where the next _pr_batch deletable rows end */
	if(pchat_retention_scalar(
			   pchat_db_exec("SELECT seq FROM pchat_message "
							 "WHERE " PCHAT_RETENTION_DELETABLE
							 " ORDER BY seq LIMIT ?, 1",
					   &res, room, *lo, hi, cutoff, _pr_batch - 1),
			   &res, -1, &top)
			< 0)
		return -1;
	more = top >= 0;
	if(!more)
		top = hi;
	if(pchat_db_exec(
			   "DELETE FROM pchat_message WHERE " PCHAT_RETENTION_DELETABLE,
			   NULL, room, *lo, top, cutoff)
			!= PCHAT_STORE_OK)
		return -1;
	lock_get(&_pr->lock);
	_pr->st.last_removed += (long long)pchat_db_affected();
	_pr->st.total_removed += (long long)pchat_db_affected();
	_pr->st.last_batches++;
	lock_release(&_pr->lock);
	*lo = top;
	return more;
}

/* The old messages of one room, a batch per statement (autocommit: each is
 * its own short transaction, so a post into the room waits at most one
 * batch). Seq bounds keep a batch to rows already known to be old. */
static int pchat_retention_room(long long room, long long cutoff)
{
	pchat_db_res_t res;
	long long lo = 0, hi;
	int r, conflicts;

	if(pchat_retention_scalar(
			   pchat_db_exec("SELECT MAX(seq) FROM pchat_message WHERE "
							 "room_id = ? AND ts_ms < ?",
					   &res, room, cutoff),
			   &res, 0, &hi)
			< 0)
		return -1;
	if(hi <= 0)
		return 0;
	for(conflicts = 0;;) {
		r = pchat_retention_batch(room, &lo, hi, cutoff);
		if(r == 0)
			return 0;
		/* a lock wait or a deadlock (Galera: another node removing the
		 * same rows) fails one batch: it is tried again, lo unchanged,
		 * after a random pause so that two nodes drift apart */
		if(r > 0)
			conflicts = 0;
		else if(!pchat_db_conflict(pchat_db_errno())
				|| ++conflicts > PCHAT_RETENTION_CONFLICTS)
			return -1;
		usleep(r > 0 ? PCHAT_RETENTION_PAUSE_US
					 : PCHAT_RETENTION_CONFLICT_US * (1 + rand() % 4));
	}
}

/* The rooms directly in one category with a retention period (a nested
 * category has its own retention_days or none: nothing is inherited). */
static void pchat_retention_category(long long cat, long long days)
{
	pchat_db_res_t res;
	long long cutoff, room;
	int i, held, cat_held;

	/* the database's clock: a node whose clock jumped forward alone
	 * removes nothing younger than days */
	if(pchat_retention_scalar(pchat_db_exec("SELECT " PCHAT_DB_NOW_MS " - ?",
									  &res, days * 86400000LL),
			   &res, 0, &cutoff)
			< 0) {
		pchat_retention_error("cannot read the time for category", cat);
		return;
	}
	cat_held = pchat_retention_held(cat);
	if(pchat_db_exec("SELECT id FROM pchat_node WHERE parent_id = ? AND "
					 "kind = 'room' ORDER BY id",
			   &res, cat)
			!= PCHAT_STORE_OK) {
		pchat_retention_error("cannot list the rooms of category", cat);
		return;
	}
	for(i = 0; i < res.nrows; i++) {
		room = strtoll(res.rows[i][0], NULL, 10);
		held = cat_held ? cat_held : pchat_retention_held(room);
		lock_get(&_pr->lock);
		_pr->st.last_rooms++;
		_pr->st.last_held += held == 1;
		lock_release(&_pr->lock);
		if(held < 0)
			pchat_retention_error("cannot read the holds of room", room);
		else if(!held && pchat_retention_room(room, cutoff) < 0)
			pchat_retention_error("removing old messages failed in room", room);
	}
	pchat_db_res_free(&res);
}

/* One node of a pool at a time, where the database can say so: a named
 * lock of the connection (gone with it). Galera's GET_LOCK is local to
 * each server, so there several nodes may run at once, which is safe: a
 * batch deletes only rows that are still there and still old, and a
 * conflict fails one batch, which the next run does again. 1 taken (or
 * not needed), 0 another node holds it. */
static int pchat_retention_lock(int take)
{
	pchat_db_res_t res;
	long long got;

	if(pchat_db_galera())
		return 1;
	if(!take) {
		pchat_db_exec("SELECT RELEASE_LOCK(CONCAT('pchat_retention.', "
					  "DATABASE()))",
				NULL);
		return 1;
	}
	if(pchat_retention_scalar(
			   pchat_db_exec("SELECT GET_LOCK(CONCAT('pchat_retention.', "
							 "DATABASE()), 0)",
					   &res),
			   &res, 0, &got)
			< 0)
		return 1; /* an error shows in the run itself */
	return got == 1;
}

static void pchat_retention_run(void)
{
	pchat_db_res_t res;
	long long files;
	int i, locked;

	lock_get(&_pr->lock);
	_pr->st.running = 1;
	_pr->st.last_start_ms = pchat_retention_wall_ms();
	_pr->st.last_removed = _pr->st.last_rooms = _pr->st.last_held = 0;
	_pr->st.last_batches = 0;
	_pr->st.last_skipped = 0;
	_pr->st.last_error[0] = '\0';
	lock_release(&_pr->lock);
	locked = pchat_retention_lock(1);
	if(!locked) {
		lock_get(&_pr->lock);
		_pr->st.last_skipped = 1;
		lock_release(&_pr->lock);
	} else if(pchat_db_exec("SELECT id, retention_days FROM pchat_node WHERE "
							"kind = 'category' AND retention_days IS NOT NULL "
							"ORDER BY id",
					  &res)
			  != PCHAT_STORE_OK) {
		pchat_retention_error("cannot read the categories", 0);
	} else {
		for(i = 0; i < res.nrows; i++)
			pchat_retention_category(strtoll(res.rows[i][0], NULL, 10),
					strtoll(res.rows[i][1], NULL, 10));
		pchat_db_res_free(&res);
		/* files whose post is gone: this run's, a removed room's, an
		 * administrator's clear-room or remove-message */
		if((files = pchat_file_retention()) < 0)
			pchat_retention_error("cannot remove the files of removed posts", 0);
		else if(files > 0)
			LM_INFO("retention: removed %lld file(s) whose post is gone\n", files);
	}
	if(locked)
		pchat_retention_lock(0);
	lock_get(&_pr->lock);
	_pr->st.running = 0;
	_pr->st.runs++;
	_pr->st.last_end_ms = pchat_retention_wall_ms();
	lock_release(&_pr->lock);
	if(_pr->st.last_removed > 0)
		LM_INFO("retention: removed %lld old message(s) in %lld room(s)\n",
				_pr->st.last_removed, _pr->st.last_rooms);
}

/* ms until the next due run, at most PCHAT_RETENTION_WAIT_MS */
static int pchat_retention_wait_ms(long long due)
{
	long long left = due - (long long)pchat_monotonic_ms();

	if(_pr->st.interval == 0 || left >= PCHAT_RETENTION_WAIT_MS)
		return PCHAT_RETENTION_WAIT_MS;
	return left > 0 ? (int)left : 0;
}

static void pchat_retention_loop(int unused)
{
	long long due = (long long)pchat_monotonic_ms() + _pr->st.interval * 1000LL;
	long long want, done;

	for(;;) {
		pchat_proc_wait(_pr_pipe[0], pchat_retention_wait_ms(due));
		cfg_update();
		lock_get(&_pr->lock);
		want = _pr->st.requested;
		done = _pr->done_request;
		lock_release(&_pr->lock);
		if(want <= done
				&& (_pr->st.interval == 0
						|| (long long)pchat_monotonic_ms() < due))
			continue;
		pchat_retention_run();
		lock_get(&_pr->lock);
		_pr->done_request = want;
		lock_release(&_pr->lock);
		due = (long long)pchat_monotonic_ms() + _pr->st.interval * 1000LL;
	}
}

int pchat_retention_mod_init(int interval_s, int batch)
{
	_pr = shm_malloc(sizeof(*_pr));
	if(_pr == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_pr, 0, sizeof(*_pr));
	if(lock_init(&_pr->lock) == NULL) {
		LM_ERR("cannot initialise the retention lock\n");
		return -1;
	}
	_pr->st.interval = interval_s;
	_pr_batch = batch;
	if(pchat_proc_pipe(_pr_pipe, "retention") < 0)
		return -1;
	if(register_procs(1) < 0)
		return -1;
	cfg_register_child(1);
	return 0;
}

int pchat_retention_start(void)
{
	if(pchat_proc_fork("PCHAT RETENTION", pchat_retention_loop, 0) < 0)
		return -1;
	lock_get(&_pr->lock);
	_pr->started = 1;
	lock_release(&_pr->lock);
	return 0;
}

long long pchat_retention_request(void)
{
	long long n = -1;

	lock_get(&_pr->lock);
	if(_pr->started)
		n = ++_pr->st.requested;
	lock_release(&_pr->lock);
	if(n > 0 && write(_pr_pipe[1], "r", 1) < 0 && errno != EAGAIN)
		LM_ERR("cannot wake the retention process: %s\n", strerror(errno));
	return n;
}

void pchat_retention_status(
		pchat_retention_stats_t *out, long long *done_request)
{
	lock_get(&_pr->lock);
	*out = _pr->st;
	*done_request = _pr->done_request;
	lock_release(&_pr->lock);
}
