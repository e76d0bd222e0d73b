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
/* Store layer: the compliance adapter run (see pchat_compliance_run.h and
 * the README's compliance section for why a crash neither loses nor
 * duplicates an event). */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#include "pchat_adapter.h"
#include "pchat_compliance.h"
#include "pchat_compliance_run.h"
#include "pchat_proc.h"

typedef struct pchat_crun_shared
{
	gen_lock_t lock;
	int running;
	unsigned int requested, done; /* runs asked for by the RPC, and run */
	pchat_crun_result_t last;     /* of the run that answered them */
	long backlog; /* events not yet saved by an adapter, -1 unknown */
} pchat_crun_shared_t;

static pchat_crun_shared_t *_cr;
static int _cr_pipe[2] = {-1, -1};
static int _cr_batch, _cr_lease_s, _cr_unit_ms, _cr_crash;

/* --- configuration and status (any process) ---------------------------- */

static int pchat_ccfg_flag(const char *v)
{
	return v && strcmp(v, "1") == 0;
}

pchat_store_rc_t pchat_ccfg_read(pchat_ccfg_t *c)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	const char *n, *v;
	int i;

	memset(c, 0, sizeof(*c));
	strcpy(c->adapter, "xml");
	c->interval = 900;
	rc = pchat_db_exec("SELECT name, value FROM pchat_config WHERE name LIKE "
					   "'compliance%'",
			&res);
	if(rc != PCHAT_STORE_OK)
		return rc;
	for(i = 0; i < res.nrows; i++) {
		n = res.rows[i][0];
		v = res.rows[i][1] ? res.rows[i][1] : "";
		if(strcmp(n, "compliance") == 0)
			c->enabled = pchat_ccfg_flag(v);
		else if(strcmp(n, "compliance_adapter") == 0)
			snprintf(c->adapter, sizeof(c->adapter), "%s", v);
		else if(strcmp(n, "compliance_output_dir") == 0)
			snprintf(c->dir, sizeof(c->dir), "%s", v);
		else if(strcmp(n, "compliance_run_interval") == 0)
			c->interval = atoi(v);
		else if(strcmp(n, "compliance_one_room_per_file") == 0)
			c->one_room = pchat_ccfg_flag(v);
		else if(strcmp(n, "compliance_add_room_details") == 0)
			c->room_details = pchat_ccfg_flag(v);
		else if(strcmp(n, "compliance_add_user_details") == 0)
			c->user_details = pchat_ccfg_flag(v);
		else if(strcmp(n, "compliance_xslt") == 0)
			snprintf(c->xslt, sizeof(c->xslt), "%s", v);
	}
	pchat_db_res_free(&res);
	/* a row edited by hand past the bounds */
	if(c->interval < 60)
		c->interval = 60;
	if(c->interval > 2592000)
		c->interval = 2592000;
	return PCHAT_STORE_OK;
}

#define PCHAT_CSTATE_SQL(pending)                                          \
	"SELECT s.last_event_id, " pending ", s.holder, s.lease_until_ms - "    \
	PCHAT_DB_NOW_MS ", s.last_run_ms, s.last_error, " PCHAT_DB_NOW_MS       \
	" - s.last_run_ms, " PCHAT_DB_NOW_MS " FROM pchat_compliance_state s "   \
	"WHERE s.id = 1"

/* The state row; with count, the events waiting too (a scan of them: for
 * the status, not before every batch). */
static pchat_store_rc_t pchat_crun_state(pchat_cstatus_t *st, int count)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	char **r;

	memset(st, 0, sizeof(*st));
	rc = pchat_db_exec(count ? PCHAT_CSTATE_SQL(
								   "(SELECT COUNT(*) FROM pchat_compliance_event "
								   "e WHERE e.id > s.last_event_id)")
							 : PCHAT_CSTATE_SQL("0"),
			&res);
	if(rc != PCHAT_STORE_OK)
		return rc;
	if(res.nrows == 1) {
		r = res.rows[0];
		st->last_event_id = strtoull(r[0], NULL, 10);
		st->pending = strtoull(r[1], NULL, 10);
		snprintf(st->holder, sizeof(st->holder), "%s", r[2] ? r[2] : "");
		st->lease_left_ms = r[3] ? atoll(r[3]) : -1;
		st->last_run_ms = r[4] ? atoll(r[4]) : 0;
		snprintf(st->last_error, sizeof(st->last_error), "%s",
				r[5] ? r[5] : "");
		st->since_run_ms = r[6] ? atoll(r[6]) : 0;
		st->now_ms = r[7] ? atoll(r[7]) : 0;
	}
	pchat_db_res_free(&res);
	return PCHAT_STORE_OK;
}

pchat_store_rc_t pchat_crun_status(pchat_cstatus_t *st)
{
	return pchat_crun_state(st, 1);
}

int pchat_crun_now(int wait_ms, pchat_crun_result_t *r)
{
	unsigned int ticket;
	int waited, done;

	if(_cr == NULL || !_cr->running)
		return -1;
	lock_get(&_cr->lock);
	ticket = ++_cr->requested;
	lock_release(&_cr->lock);
	if(write(_cr_pipe[1], "r", 1) < 0 && errno != EAGAIN)
		LM_ERR("cannot wake the compliance process: %s\n", strerror(errno));
	for(waited = 0; waited < wait_ms; waited += 20) {
		lock_get(&_cr->lock);
		done = (int)(_cr->done - ticket) >= 0;
		if(done)
			*r = _cr->last;
		lock_release(&_cr->lock);
		if(done)
			return 1;
		usleep(20000);
	}
	return 0;
}

/* the lease's holder: the name in every node column (pchat_compliance.h) */
const char *pchat_crun_node(void)
{
	return pchat_node_name();
}

/* --- the lease -------------------------------------------------------- */

/* Takes or renews the lease: 1 held, 0 another node holds it, -1 store
 * error. st gets the state row. */
static int pchat_crun_lease(pchat_cstatus_t *st)
{
	if(pchat_db_exec("UPDATE pchat_compliance_state SET holder = ?, "
					 "lease_until_ms = " PCHAT_DB_NOW_MS " + ? WHERE id = 1 AND "
					 "(holder IS NULL OR holder = ? OR lease_until_ms < "
					 PCHAT_DB_NOW_MS ")",
			   NULL, pchat_node_name(), (long long)_cr_lease_s * 1000,
			   pchat_node_name())
					!= PCHAT_STORE_OK
			|| pchat_crun_state(st, 0) != PCHAT_STORE_OK)
		return -1;
	return strcmp(st->holder, pchat_node_name()) == 0 && st->lease_left_ms > 0;
}

/* --- files ------------------------------------------------------------ */

/* err: what failed, with the path and errno's text (cut to esz) */
static void pchat_crun_err(char *err, int esz, const char *what,
		const char *path)
{
	const char *why = strerror(errno);
	int n = snprintf(err, esz, "%s %s: %s", what, path, why);

	if(n >= esz && esz > 4)
		strcpy(err + esz - 4, "...");
}

/* Removes what runs that died before recording their batch left: every
 * file whose first event is after last (last_event_id: the state says all
 * after it is unrecorded, so such a file is written again) and temporary
 * files (only the lease's holder writes here). */
static void pchat_crun_clean(const char *dir, unsigned long long last)
{
	char path[PCHAT_CDIR_MAX + 300];
	unsigned long long first;
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if(d == NULL)
		return;
	while((de = readdir(d)) != NULL) {
		if(strncmp(de->d_name, ".pchat-", 7) != 0
				&& (sscanf(de->d_name, "pchat-%llu-", &first) != 1
						|| first <= last))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if(unlink(path) == 0)
			LM_NOTICE("compliance: removed %s, left by a run that did not "
					  "finish\n",
					path);
	}
	closedir(d);
}

static int pchat_crun_fsync_dir(const char *dir, char *err, int esz)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	if(fd < 0 || fsync(fd) < 0) {
		pchat_crun_err(err, esz, "cannot sync directory", dir);
		if(fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Replaces the (fsynced) temporary file tmp by its transform through the
 * stylesheet xsl: the untransformed document is not kept. */
static int pchat_crun_xslt(const char *xsl, const char *tmp, char *err,
		int esz)
{
	char out[PCHAT_CDIR_MAX + 130];

	snprintf(out, sizeof(out), "%s.xsl", tmp);
	if(pchat_xslt_apply(xsl, tmp, out, err, esz) < 0) {
		unlink(out);
		return -1;
	}
	if(rename(out, tmp) < 0) {
		pchat_crun_err(err, esz, "cannot rename", out);
		unlink(out);
		return -1;
	}
	return 0;
}

/* Writes one file of the batch: temporary name, fsync, rename. Returns the
 * events written (0: no file, the adapter had none of these), -1 with err
 * set. */
static int pchat_crun_file(const pchat_ccfg_t *c, const pchat_aevent_t *ev,
		int n, const unsigned long long *room, char *err, int esz)
{
	char name[96], tmp[PCHAT_CDIR_MAX + 120], path[PCHAT_CDIR_MAX + 120];
	pchat_adapter_opts_t o = {c->room_details, c->user_details};
	int xml = strcmp(c->adapter, "xml") == 0, w, bad;
	FILE *f;

	if(room)
		snprintf(name, sizeof(name), "pchat-%llu-%llu-r%llu.%s", ev[0].id,
				ev[n - 1].id, *room, c->adapter);
	else
		snprintf(name, sizeof(name), "pchat-%llu-%llu.%s", ev[0].id,
				ev[n - 1].id, c->adapter);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", c->dir, name);
	snprintf(path, sizeof(path), "%s/%s", c->dir, name);
	f = fopen(tmp, "w");
	if(f == NULL) {
		pchat_crun_err(err, esz, "cannot create", tmp);
		return -1;
	}
	w = xml ? pchat_xml_write(f, ev, n, room, &o)
			: pchat_jsonl_write(f, ev, n, room);
	bad = w < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0;
	if(fclose(f) != 0)
		bad = 1;
	if(bad && w)
		pchat_crun_err(err, esz, "cannot write", path);
	if(!bad && w > 0 && xml && c->xslt[0])
		bad = pchat_crun_xslt(c->xslt, tmp, err, esz) < 0;
	if(bad || w == 0 || rename(tmp, path) < 0) {
		if(!bad && w)
			pchat_crun_err(err, esz, "cannot write", path);
		unlink(tmp);
		return bad || w ? -1 : 0;
	}
	return w;
}

/* The batch's files; returns their number, -1 with err set. */
static int pchat_crun_files(const pchat_ccfg_t *c, const pchat_aevent_t *ev,
		int n, char *err, int esz)
{
	unsigned long long *rooms;
	int i, k, w, files = 0;

	if(!c->one_room) {
		w = pchat_crun_file(c, ev, n, NULL, err, esz);
		return w < 0 ? -1 : (w > 0);
	}
	rooms = malloc(sizeof(*rooms) * n);
	if(rooms == NULL) {
		snprintf(err, esz, "out of memory");
		return -1;
	}
	k = pchat_adapter_rooms(ev, n, strcmp(c->adapter, "xml") == 0, rooms);
	for(i = 0; i < k; i++) {
		w = pchat_crun_file(c, ev, n, &rooms[i], err, esz);
		if(w < 0) {
			free(rooms);
			return -1;
		}
		files += w > 0;
	}
	free(rooms);
	return files;
}

/* --- one batch -------------------------------------------------------- */

#define PCHAT_CEV_SQL                                                        \
	"SELECT id, type, ts_ms, room_id, room_uri, room_name, msg_seq, "        \
	"user_uri, content, detail, node, recorded_ms FROM "                     \
	"pchat_compliance_event WHERE id > "                                     \
	"? ORDER BY id LIMIT ?"

static void pchat_crun_row(char **r, pchat_aevent_t *e)
{
	e->id = strtoull(r[0], NULL, 10);
	e->type = r[1];
	e->ts_ms = atoll(r[2]);
	e->room_id = r[3] ? strtoull(r[3], NULL, 10) : 0;
	e->room_uri = r[4];
	e->room_name = r[5];
	e->msg_seq = r[6] ? strtoull(r[6], NULL, 10) : 0;
	e->user_uri = r[7];
	e->content = r[8];
	e->detail = r[9];
	e->node = r[10];
	e->recorded_ms = atoll(r[11]);
}

/* An event's id is taken at its INSERT, its row seen at its COMMIT: an
 * id missing before a row may belong to a transaction still open, whose
 * event would be lost once last_event_id passed it. So the batch stops
 * before a gap in the ids until the row after it is PCHAT_CSETTLE_MS old
 * by the database's clock (recorded_ms against now_ms: not ts_ms, the
 * recording node's clock, which may have jumped back)
 * (the action's transaction is then long over: the id was rolled back or
 * skipped, as Galera's auto_increment_increment does). Returns the rows
 * of ev that may go. */
#define PCHAT_CSETTLE_MS 60000

static int pchat_crun_settled(const pchat_aevent_t *ev, int n,
		unsigned long long last, long long now_ms)
{
	unsigned long long want = last + 1;
	int i;

	for(i = 0; i < n; i++) {
		if(ev[i].id != want && now_ms - ev[i].recorded_ms < PCHAT_CSETTLE_MS)
			return i;
		want = ev[i].id + 1;
	}
	return n;
}

/* Exports the events after last: 1 a batch written and recorded (more
 * may follow), 0 nothing left (or nothing settled), -1 failed (err
 * set). */
static int pchat_crun_batch(const pchat_ccfg_t *c, unsigned long long last,
		long long now_ms, pchat_crun_result_t *r)
{
	pchat_aevent_t *ev;
	pchat_db_res_t res;
	int i, n, files;

	if(pchat_db_exec(PCHAT_CEV_SQL, &res, last, _cr_batch) != PCHAT_STORE_OK) {
		snprintf(r->error, sizeof(r->error), "cannot read the events");
		return -1;
	}
	if(res.nrows == 0) {
		pchat_db_res_free(&res);
		return 0;
	}
	if(c->dir[0] == '\0') {
		pchat_db_res_free(&res);
		snprintf(r->error, sizeof(r->error), "compliance_output_dir is not set");
		return -1;
	}
	ev = malloc(sizeof(*ev) * res.nrows);
	if(ev == NULL) {
		pchat_db_res_free(&res);
		snprintf(r->error, sizeof(r->error), "out of memory");
		return -1;
	}
	for(i = 0; i < res.nrows; i++)
		pchat_crun_row(res.rows[i], &ev[i]);
	n = pchat_crun_settled(ev, res.nrows, last, now_ms);
	if(n == 0) {
		LM_DBG("compliance: waiting for the events before %llu\n", ev[0].id);
		free(ev);
		pchat_db_res_free(&res);
		return 0;
	}
	files = pchat_crun_files(c, ev, n, r->error, sizeof(r->error));
	if(files > 0
			&& pchat_crun_fsync_dir(c->dir, r->error, sizeof(r->error)) < 0)
		files = -1;
	if(files >= 0 && _cr_crash == 1) {
		LM_CRIT("compliance: test hook: exiting before recording %llu\n",
				ev[n - 1].id);
		exit(-1);
	}
	/* only the holder, and only from where this batch began */
	if(files >= 0
			&& (pchat_db_exec("UPDATE pchat_compliance_state SET "
							  "last_event_id = ?, last_run_ms = " PCHAT_DB_NOW_MS
							  ", last_error = NULL WHERE id = 1 AND holder = ? "
							  "AND last_event_id = ?",
						NULL, ev[n - 1].id, pchat_node_name(), last)
								!= PCHAT_STORE_OK
					|| pchat_db_affected() != 1)) {
		snprintf(r->error, sizeof(r->error),
				"the lease was lost before events %llu-%llu were recorded",
				ev[0].id, ev[n - 1].id);
		files = -1;
	}
	if(files >= 0) {
		r->events += n;
		r->files += files;
	}
	free(ev);
	pchat_db_res_free(&res);
	return files < 0 ? -1 : 1;
}

/* --- a run ------------------------------------------------------------ */

static char _cr_logged[256]; /* the error logged last: logged once */

static void pchat_crun_failed(const char *error)
{
	if(strcmp(error, _cr_logged) != 0) {
		LM_ERR("compliance: the adapter run failed, events stay queued: %s\n",
				error);
		snprintf(_cr_logged, sizeof(_cr_logged), "%s", error);
	}
	pchat_db_exec("UPDATE pchat_compliance_state SET last_error = ? WHERE id "
				  "= 1 AND holder = ?",
			NULL, error, pchat_node_name());
}

/* The batches until none is left, renewing the lease before each. */
static void pchat_crun_run(const pchat_ccfg_t *c, pchat_crun_result_t *r)
{
	pchat_cstatus_t st;
	int rc, held, cleaned = 0;

	memset(r, 0, sizeof(*r));
	if(c->adapter[0] == '\0') {
		r->ok = 1; /* Lync: no AdapterType, nothing saved; events wait */
		return;
	}
	for(;;) {
		held = pchat_crun_lease(&st);
		if(held <= 0) {
			snprintf(r->error, sizeof(r->error),
					held < 0 ? "the database is unavailable"
							 : "the lease is held by %s",
					st.holder);
			return;
		}
		if(!cleaned) {
			pchat_crun_clean(c->dir, st.last_event_id);
			cleaned = 1;
		}
		rc = pchat_crun_batch(c, st.last_event_id, st.now_ms, r);
		if(rc <= 0)
			break;
	}
	if(r->error[0]) {
		pchat_crun_failed(r->error);
		return;
	}
	r->ok = 1;
	if(_cr_logged[0])
		LM_NOTICE("compliance: the adapter run succeeds again\n");
	_cr_logged[0] = '\0';
	pchat_db_exec("UPDATE pchat_compliance_state SET last_run_ms = "
				  PCHAT_DB_NOW_MS ", last_error = NULL WHERE id = 1 AND "
				  "holder = ?",
			NULL, pchat_node_name());
}

/* --- the process ------------------------------------------------------ */

/* A run is due when asked for, or RunInterval (re-read each second by the
 * holder) after the last: this node's last attempt, or the pool's last run
 * (the state row) when it just took the lease. last_try < 0: not the
 * holder. */
static void pchat_crun_tick(long long *last_try, long long *next_lease)
{
	pchat_crun_result_t r;
	pchat_cstatus_t st;
	pchat_ccfg_t c;
	unsigned int asked;
	long long now = (long long)pchat_monotonic_ms(), every;
	int idle;

	lock_get(&_cr->lock);
	asked = _cr->requested;
	lock_release(&_cr->lock);
	idle = asked == _cr->done && now < *next_lease;
	if((idle && *last_try < 0) || pchat_ccfg_read(&c) != PCHAT_STORE_OK)
		return;
	every = (long long)c.interval * _cr_unit_ms;
	if(idle && now - *last_try < every)
		return;
	*next_lease = now + (_cr_lease_s * 1000LL) / 3;
	if(pchat_crun_lease(&st) <= 0) {
		*last_try = -1;
		if(asked == _cr->done)
			return;
	} else if(*last_try < 0) {
		*last_try = now - st.since_run_ms;
	}
	if(asked == _cr->done && now - *last_try < every)
		return;
	pchat_crun_run(&c, &r);
	*last_try = (long long)pchat_monotonic_ms();
	lock_get(&_cr->lock);
	_cr->last = r;
	_cr->done = asked;
	lock_release(&_cr->lock);
}

/* The backlog for the compliance_backlog counter: a count of the waiting
 * events (an index range), every PCHAT_CRUN_BACKLOG_MS, not per read. */
#define PCHAT_CRUN_BACKLOG_MS 5000

static void pchat_crun_count(long long *next)
{
	pchat_cstatus_t st;
	long n = -1;
	long long now = (long long)pchat_monotonic_ms();

	if(now < *next)
		return;
	*next = now + PCHAT_CRUN_BACKLOG_MS;
	if(pchat_crun_state(&st, 1) == PCHAT_STORE_OK)
		n = (long)st.pending;
	lock_get(&_cr->lock);
	_cr->backlog = n;
	lock_release(&_cr->lock);
}

long pchat_crun_backlog(void)
{
	long n;

	if(_cr == NULL)
		return -1;
	lock_get(&_cr->lock);
	n = _cr->backlog;
	lock_release(&_cr->lock);
	return n;
}

static void pchat_crun_loop(int unused)
{
	long long last_try = -1, next_lease = 0, next_count = 0;

	for(;;) {
		cfg_update();
		pchat_crun_tick(&last_try, &next_lease);
		pchat_crun_count(&next_count);
		pchat_proc_wait(_cr_pipe[0], 1000);
	}
}

int pchat_crun_mod_init(int batch, int lease_s, int unit_ms, int crash)
{
	_cr_batch = batch;
	_cr_lease_s = lease_s;
	_cr_unit_ms = unit_ms;
	_cr_crash = crash;
	_cr = shm_malloc(sizeof(*_cr));
	if(_cr == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_cr, 0, sizeof(*_cr));
	_cr->backlog = -1;
	if(lock_init(&_cr->lock) == NULL)
		return -1;
	if(pchat_proc_pipe(_cr_pipe, "compliance") < 0)
		return -1;
	if(register_procs(1) < 0)
		return -1;
	cfg_register_child(1);
	return 0;
}

int pchat_crun_start(void)
{
	if(pchat_proc_fork("PCHAT COMPLIANCE", pchat_crun_loop, 0) < 0)
		return -1;
	lock_get(&_cr->lock);
	_cr->running = 1;
	lock_release(&_cr->lock);
	return 0;
}
