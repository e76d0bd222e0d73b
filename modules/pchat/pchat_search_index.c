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
/* Store layer: the history search's text index (pchat_search_index.h).
 * Each round reads the watermark (recorded_at, room_id, seq) of this DB
 * node's index, finds where the next batch of posts ends, copies the
 * posts up to there into the Mroonga table and moves the watermark:
 * never in a post's transaction. REPLACE makes a round idempotent (a
 * crash before the watermark moves, two chat nodes feeding one DB node). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cfg/cfg_struct.h"
#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/shm_mem.h"
#include "core/sr_module.h"

#include "pchat_proc.h"
#include "pchat_search_index.h"

/* a missing side table is looked for again this often */
#define PCHAT_SIDX_PROBE_MS 10000

typedef struct pchat_sidx_shm
{
	gen_lock_t lock;
	pchat_sidx_stats_t st;
} pchat_sidx_shm_t;

static pchat_sidx_shm_t *_sx;
static int _sx_batch, _sx_interval_ms, _sx_settle_ms, _sx_recent_posts;

/* Every statement reads and writes TIMESTAMPs as UTC: the watermark goes
 * out as text and comes back in the same zone whatever the server's. */
#define PCHAT_SIDX_UTC "SET STATEMENT time_zone = '+00:00' FOR "

#define PCHAT_SIDX_STATE_COLS                                               \
	PCHAT_SIDX_UTC                                                          \
	"SELECT wm_at, wm_room, wm_seq, indexed, CAST(NOW(3) - INTERVAL ? "     \
	"MICROSECOND AS DATETIME(3)), ROUND(UNIX_TIMESTAMP(wm_at) * 1000), "    \
	"ROUND((UNIX_TIMESTAMP(NOW(3)) - UNIX_TIMESTAMP(wm_at)) * 1000), "     \
	"wm_at >= NOW(3) - INTERVAL ? SECOND"
#define PCHAT_SIDX_STATE_SQL                                                \
	PCHAT_SIDX_STATE_COLS " FROM pchat_search_fts_state WHERE id = 1"
/* the index of the newest posts: its own row, and its floor (column 8) */
#define PCHAT_SIDX_RECENT_STATE_SQL                                         \
	PCHAT_SIDX_STATE_COLS ", recent_from FROM pchat_search_fts_state "     \
	"WHERE id = 2"

/* the posts after the watermark (a, room, seq) up to the settled bound,
 * in the order of k_message_recorded (recorded_at, then the primary key):
 * written as three ranges of that key, so a round starts where the last
 * one ended (a multi-row INSERT gives thousands of posts one recorded_at) */
#define PCHAT_SIDX_AFTER                                                    \
	"FROM pchat_message FORCE INDEX (k_message_recorded) WHERE "            \
	"(recorded_at = ? AND room_id = ? AND seq > ?) OR (recorded_at = ? "    \
	"AND room_id > ?) OR (recorded_at > ? AND recorded_at <= ?) "
#define PCHAT_SIDX_ORDER "ORDER BY recorded_at, room_id, seq "
#define PCHAT_SIDX_END_SQL                                                  \
	PCHAT_SIDX_UTC "SELECT recorded_at, room_id, seq " PCHAT_SIDX_AFTER    \
	PCHAT_SIDX_ORDER "LIMIT 1 OFFSET ?"
#define PCHAT_SIDX_LAST_SQL                                                 \
	PCHAT_SIDX_UTC "SELECT recorded_at, room_id, seq " PCHAT_SIDX_AFTER    \
	"ORDER BY recorded_at DESC, room_id DESC, seq DESC LIMIT 1"
/* ... the batch, up to its end (e, eroom, eseq) included: LIMIT stops the
 * scan there; the test drops what a post edited meanwhile (gone from the
 * range) would let in after it. A story's title goes in before its body
 * (a blank between): the index finds either, and a search checks its
 * candidates against both columns, so a match across the two is dropped */
#define PCHAT_SIDX_COPY_SQL(table, ts, floor)                               \
	PCHAT_SIDX_UTC "REPLACE INTO " table " (room_id, seq, " ts              \
	"content) SELECT room_id, seq, " ts "content FROM (SELECT room_id, "    \
	"seq, ts_ms, CONCAT_WS(' ', story_title, content) AS content, "          \
	"recorded_at " PCHAT_SIDX_AFTER PCHAT_SIDX_ORDER "LIMIT ?) b WHERE "    \
	"(recorded_at < ? OR (recorded_at = ? AND (room_id < ? OR (room_id = ? " \
	"AND seq <= ?))))" floor
#define PCHAT_SIDX_MOVE_SQL(id)                                             \
	PCHAT_SIDX_UTC "UPDATE pchat_search_fts_state SET wm_at = ?, "          \
	"wm_room = ?, wm_seq = ?, indexed = indexed + ? WHERE id = " id
/* the newest posts' index: where its floor goes (the N-th newest post's
 * ts_ms through k_message_ts), and what falls below it */
#define PCHAT_SIDX_FLOOR_SQL                                                \
	"SELECT ts_ms FROM pchat_message FORCE INDEX (k_message_ts) ORDER BY "  \
	"ts_ms DESC LIMIT 1 OFFSET ?"
#define PCHAT_SIDX_RAISE_SQL                                                \
	"UPDATE pchat_search_fts_state SET recent_from = ? WHERE id = 2 AND "   \
	"recent_from < ?"
#define PCHAT_SIDX_TRIM_SQL                                                 \
	"DELETE FROM pchat_search_fts_recent WHERE ts_ms < ? LIMIT ?"
#define PCHAT_SIDX_TRIM_BATCH 10000
/* the newest posts' index is looked at for its size this often */
#define PCHAT_SIDX_TRIM_MS 60000

/* The two indexes the process feeds: the whole history (row 1) and its
 * newest posts (row 2, only posts from its floor on). */
typedef struct pchat_sidx_inst
{
	int recent;
	const char *state_sql, *move_sql, *table;
} pchat_sidx_inst_t;

static const pchat_sidx_inst_t _sx_all = {
		0, PCHAT_SIDX_STATE_SQL, PCHAT_SIDX_MOVE_SQL("1"), "pchat_search_fts"};
static const pchat_sidx_inst_t _sx_recent = {1, PCHAT_SIDX_RECENT_STATE_SQL,
		PCHAT_SIDX_MOVE_SQL("2"), "pchat_search_fts_recent"};

static void pchat_sidx_error(const char *what)
{
	lock_get(&_sx->lock);
	snprintf(_sx->st.error, sizeof(_sx->st.error), "%s (error %u)", what,
			pchat_db_errno());
	lock_release(&_sx->lock);
}

static void pchat_sidx_mark_row(char **r, pchat_sidx_mark_t *m)
{
	snprintf(m->at, sizeof(m->at), "%s", r[0]);
	m->room = strtoll(r[1], NULL, 10);
	m->seq = strtoll(r[2], NULL, 10);
}

/* A state row (x's) read with settle_us as the bound's settle time: its
 * watermark in *wm, the row in *res (to free). */
static pchat_store_rc_t pchat_sidx_row(const pchat_sidx_inst_t *x,
		long long settle_us, pchat_sidx_mark_t *wm, pchat_db_res_t *res)
{
	pchat_store_rc_t rc;

	rc = pchat_db_exec(x->state_sql, res, settle_us, PCHAT_SIDX_FRESH_S);
	if(rc != PCHAT_STORE_OK)
		return rc;
	if(res->nrows != 1) {
		pchat_db_res_free(res);
		return PCHAT_STORE_ERROR;
	}
	pchat_sidx_mark_row(res->rows[0], wm);
	return PCHAT_STORE_OK;
}

/* The newest posts' index's floor in a state row (0 for the whole one). */
static long long pchat_sidx_row_floor(const pchat_sidx_inst_t *x, char **r)
{
	return x->recent && r[8] ? strtoll(r[8], NULL, 10) : 0;
}

/* The watermark and the bound of this round, and the newest posts'
 * index's floor (*floor); stats updated. 0 ok. */
static int pchat_sidx_state(const pchat_sidx_inst_t *x, pchat_sidx_mark_t *wm,
		char *bound, long long *floor)
{
	pchat_db_res_t res;
	long long indexed, wm_ms, lag_ms;

	if(pchat_sidx_row(x, _sx_settle_ms * 1000LL, wm, &res) != PCHAT_STORE_OK)
		return -1;
	snprintf(bound, PCHAT_SIDX_TS_MAX, "%s", res.rows[0][4]);
	indexed = strtoll(res.rows[0][3], NULL, 10);
	wm_ms = strtoll(res.rows[0][5], NULL, 10);
	lag_ms = strtoll(res.rows[0][6], NULL, 10);
	*floor = pchat_sidx_row_floor(x, res.rows[0]);
	lock_get(&_sx->lock);
	if(x->recent) {
		_sx->st.recent_indexed = indexed;
		_sx->st.recent_lag_ms = lag_ms;
		_sx->st.recent_from_ms = *floor;
	} else {
		_sx->st.indexed = indexed;
		_sx->st.wm_ms = wm_ms;
		_sx->st.lag_ms = lag_ms;
	}
	lock_release(&_sx->lock);
	pchat_db_res_free(&res);
	return 0;
}

/* Where this batch ends: the batch-th post after wm (2: more may wait),
 * else the last one settled (1). 0 nothing to index, -1 failed. */
static int pchat_sidx_end(const pchat_sidx_mark_t *wm, const char *bound,
		pchat_sidx_mark_t *end)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	int full = 2;

	rc = pchat_db_exec(PCHAT_SIDX_END_SQL, &res, wm->at, wm->room, wm->seq,
			wm->at, wm->room, wm->at, bound, _sx_batch - 1);
	if(rc == PCHAT_STORE_OK && res.nrows == 0) {
		pchat_db_res_free(&res);
		full = 1;
		rc = pchat_db_exec(PCHAT_SIDX_LAST_SQL, &res, wm->at, wm->room,
				wm->seq, wm->at, wm->room, wm->at, bound);
	}
	if(rc != PCHAT_STORE_OK)
		return -1;
	if(res.nrows == 0) {
		pchat_db_res_free(&res);
		return 0;
	}
	pchat_sidx_mark_row(res.rows[0], end);
	pchat_db_res_free(&res);
	return full;
}

/* The batch's posts (wm, end] into x's table: the newest posts' index
 * takes those from its floor on. */
static pchat_store_rc_t pchat_sidx_copy(const pchat_sidx_inst_t *x,
		const pchat_sidx_mark_t *wm, const char *bound,
		const pchat_sidx_mark_t *end, long long floor)
{
	if(x->recent)
		return pchat_db_exec(PCHAT_SIDX_COPY_SQL("pchat_search_fts_recent",
									 "ts_ms, ", " AND ts_ms >= ?"),
				NULL, wm->at, wm->room, wm->seq, wm->at, wm->room, wm->at,
				bound, _sx_batch, end->at, end->at, end->room, end->room,
				end->seq, floor);
	/* an old-layout table (no ts_ms) is fed as before */
	if(pchat_sidx_newest())
		return pchat_db_exec(
				PCHAT_SIDX_COPY_SQL("pchat_search_fts", "ts_ms, ", ""), NULL,
				wm->at, wm->room, wm->seq, wm->at, wm->room, wm->at, bound,
				_sx_batch, end->at, end->at, end->room, end->room, end->seq);
	return pchat_db_exec(PCHAT_SIDX_COPY_SQL("pchat_search_fts", "", ""), NULL,
			wm->at, wm->room, wm->seq, wm->at, wm->room, wm->at, bound,
			_sx_batch, end->at, end->at, end->room, end->room, end->seq);
}

/* One batch of x: 2 a full batch written (more may wait), 1 the rest
 * written, 0 nothing to write, -1 failed. */
static int pchat_sidx_round(const pchat_sidx_inst_t *x)
{
	pchat_sidx_mark_t wm, end;
	char bound[PCHAT_SIDX_TS_MAX], what[64];
	unsigned long long t0, n;
	long long floor;
	int rc;

	if(pchat_sidx_state(x, &wm, bound, &floor) < 0) {
		pchat_sidx_error("cannot read pchat_search_fts_state");
		return -1;
	}
	if((rc = pchat_sidx_end(&wm, bound, &end)) < 0) {
		pchat_sidx_error("cannot read the posts to index");
		return -1;
	}
	if(rc == 0) {
		/* caught up: every post up to the bound is indexed, so the
		 * watermark moves there (a search tells a fresh index by it) */
		if(strcmp(bound, wm.at) > 0
				&& pchat_db_exec(x->move_sql, NULL, bound, 0LL, 0LL, 0ULL)
						   != PCHAT_STORE_OK)
			pchat_sidx_error("cannot move the watermark");
		return 0;
	}
	t0 = pchat_monotonic_us();
	if(pchat_sidx_copy(x, &wm, bound, &end, floor) != PCHAT_STORE_OK) {
		snprintf(what, sizeof(what), "cannot write into %s", x->table);
		pchat_sidx_error(what);
		return -1;
	}
	n = pchat_db_affected();
	if(pchat_db_exec(x->move_sql, NULL, end.at, end.room, end.seq, n)
			!= PCHAT_STORE_OK) {
		pchat_sidx_error("cannot move the watermark");
		return -1;
	}
	lock_get(&_sx->lock);
	if(x->recent) { /* rows, rounds and write_us are the whole index's */
		_sx->st.recent_write_us += (long long)(pchat_monotonic_us() - t0);
	} else {
		_sx->st.rounds++;
		_sx->st.rows += (long long)n;
		_sx->st.last_rows = (long long)n;
		_sx->st.write_us += (long long)(pchat_monotonic_us() - t0);
	}
	_sx->st.error[0] = '\0';
	lock_release(&_sx->lock);
	return rc;
}

/* Does the newest posts' index want trimming: new (floor 0, nothing
 * written: it takes no older post), or a tenth over its size (its count
 * is cheap, finding the N-th newest post reads N keys: not every minute). */
static int pchat_sidx_trim_due(void)
{
	pchat_db_res_t res;
	long long floor, indexed, n;

	lock_get(&_sx->lock);
	floor = _sx->st.recent_from_ms;
	indexed = _sx->st.recent_indexed;
	lock_release(&_sx->lock);
	if(floor == 0 && indexed == 0)
		return 1;
	if(pchat_db_exec("SELECT COUNT(*) FROM pchat_search_fts_recent", &res)
			!= PCHAT_STORE_OK)
		return 0;
	n = res.nrows == 1 ? strtoll(res.rows[0][0], NULL, 10) : 0;
	pchat_db_res_free(&res);
	return n > _sx_recent_posts + _sx_recent_posts / 10LL;
}

/* The newest posts' index keeps about search_recent_posts posts: its
 * floor rises to the ts_ms of the N-th newest post, then what fell below
 * goes (the floor first: every post from it on is still there). Looked at
 * once a minute (pchat_sidx_trim_due). */
static void pchat_sidx_trim(long long *next)
{
	pchat_db_res_t res;
	long long now = (long long)pchat_monotonic_ms(), f;
	int i;

	if(now < *next)
		return;
	*next = now + PCHAT_SIDX_TRIM_MS;
	if(!pchat_sidx_trim_due())
		return;
	if(pchat_db_exec(PCHAT_SIDX_FLOOR_SQL, &res, _sx_recent_posts - 1)
			!= PCHAT_STORE_OK) {
		pchat_sidx_error("cannot find the newest posts' floor");
		return;
	}
	f = res.nrows == 1 ? strtoll(res.rows[0][0], NULL, 10) : 0;
	pchat_db_res_free(&res);
	if(f <= 0)
		return; /* fewer posts than that: every one stays */
	if(pchat_db_exec(PCHAT_SIDX_RAISE_SQL, NULL, f, f) != PCHAT_STORE_OK) {
		pchat_sidx_error("cannot raise the newest posts' floor");
		return;
	}
	for(i = 0; i < 1000; i++) {
		if(pchat_db_exec(PCHAT_SIDX_TRIM_SQL, NULL, f, PCHAT_SIDX_TRIM_BATCH)
				!= PCHAT_STORE_OK) {
			pchat_sidx_error("cannot trim pchat_search_fts_recent");
			return;
		}
		if(pchat_db_affected() < PCHAT_SIDX_TRIM_BATCH)
			break;
	}
}

/* The newest posts' index is there too (the script's table and floor
 * column) with its state row. Looked for again every PCHAT_SIDX_PROBE_MS
 * until found (the script may run again on a live index). */
static void pchat_sidx_probe_recent(void)
{
	static int told;
	pchat_sidx_mark_t wm;
	char bound[PCHAT_SIDX_TS_MAX];
	pchat_db_res_t res;
	long long floor;
	int n;

	if(pchat_db_exec("SELECT (SELECT COUNT(*) FROM information_schema.TABLES "
					 "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
					 "'pchat_search_fts_recent') + (SELECT COUNT(*) FROM "
					 "information_schema.COLUMNS WHERE TABLE_SCHEMA = "
					 "DATABASE() AND TABLE_NAME = 'pchat_search_fts_state' "
					 "AND COLUMN_NAME = 'recent_from')",
			   &res)
			!= PCHAT_STORE_OK)
		return;
	n = res.nrows == 1 ? atoi(res.rows[0][0]) : 0;
	pchat_db_res_free(&res);
	if(n != 2) {
		if(!told)
			LM_INFO("history search: no pchat_search_fts_recent (an older "
					"sql/pchat-search-index.sql): texts of medium frequency "
					"are looked up in the whole index\n");
		told = 1;
		return;
	}
	if(pchat_db_exec("INSERT IGNORE INTO pchat_search_fts_state (id) "
					 "VALUES (2)",
			   NULL)
					!= PCHAT_STORE_OK
			|| pchat_sidx_state(&_sx_recent, &wm, bound, &floor) < 0)
		return;
	lock_get(&_sx->lock);
	_sx->st.recent_ready = 1;
	lock_release(&_sx->lock);
}

/* The side table is there (the plugin loaded, the script run). Its
 * state row too: the script's INSERT reached one Galera node only (its
 * DDL reaches every node; Mroonga rows are never replicated). */
static int pchat_sidx_probe(void)
{
	pchat_sidx_mark_t wm;
	char bound[PCHAT_SIDX_TS_MAX];
	pchat_db_res_t res;
	long long floor;
	int n;

	/* looked up first: a missing table is no error to log every 10 s */
	if(pchat_db_exec("SELECT COUNT(*) FROM information_schema.TABLES WHERE "
					 "TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN "
					 "('pchat_search_fts', 'pchat_search_fts_state')",
			   &res)
			!= PCHAT_STORE_OK)
		return 0;
	n = res.nrows == 1 ? atoi(res.rows[0][0]) : 0;
	pchat_db_res_free(&res);
	if(n != 2)
		return 0;
	/* ts_ms (newest hits first) came with issue 18's second stage; an
	 * index built before it has none: used as before until rebuilt */
	if(pchat_db_exec("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE "
					 "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
					 "'pchat_search_fts' AND COLUMN_NAME = 'ts_ms'",
			   &res)
			!= PCHAT_STORE_OK)
		return 0;
	n = res.nrows == 1 ? atoi(res.rows[0][0]) : 0;
	pchat_db_res_free(&res);
	if(n != 1)
		LM_WARN("history search: pchat_search_fts has no ts_ms (built "
				"before it): drop it and pchat_search_fts_state and run "
				"sql/pchat-search-index.sql again for the faster search of "
				"texts of medium frequency\n");
	if(pchat_db_exec("INSERT IGNORE INTO pchat_search_fts_state (id) "
					 "VALUES (1)",
			   NULL)
					!= PCHAT_STORE_OK
			|| pchat_sidx_state(&_sx_all, &wm, bound, &floor) < 0)
		return 0;
	lock_get(&_sx->lock);
	_sx->st.ready = 1;
	_sx->st.newest = n == 1;
	_sx->st.error[0] = '\0';
	lock_release(&_sx->lock);
	LM_INFO("history search: the text index pchat_search_fts is used\n");
	return 1;
}

static int pchat_sidx_recent_ready(void)
{
	int r;

	lock_get(&_sx->lock);
	r = _sx->st.recent_ready;
	lock_release(&_sx->lock);
	return r;
}

/* The pause after a round that found nothing: search_index_interval_ms,
 * doubled after each such round up to this (an idle index costs its
 * database node a few statements a round; a post is still indexed at
 * most this long after it settled). */
#define PCHAT_SIDX_IDLE_MAX_MS 2000

static void pchat_sidx_loop(int unused)
{
	long long probe = 0, trim = 0;
	int rc, rc2, pause = _sx_interval_ms;

	for(;;) {
		cfg_update();
		if(!pchat_sidx_ready()) {
			if((long long)pchat_monotonic_ms() >= probe && !pchat_sidx_probe())
				probe = (long long)pchat_monotonic_ms() + PCHAT_SIDX_PROBE_MS;
			usleep(_sx_interval_ms * 1000);
			continue;
		}
		rc = pchat_sidx_round(&_sx_all);
		rc2 = 0;
		if(_sx_recent_posts > 0 && pchat_sidx_newest()
				&& !pchat_sidx_recent_ready()
				&& (long long)pchat_monotonic_ms() >= probe) {
			pchat_sidx_probe_recent();
			probe = (long long)pchat_monotonic_ms() + PCHAT_SIDX_PROBE_MS;
		}
		if(pchat_sidx_recent_ready()) {
			pchat_sidx_trim(&trim);
			rc2 = pchat_sidx_round(&_sx_recent);
		}
		/* a full batch: the next at once (catching up) */
		if(rc == 2 || rc2 == 2)
			continue;
		if(rc == 1 || rc2 == 1 || rc < 0 || rc2 < 0)
			pause = _sx_interval_ms;
		usleep(pause * 1000);
		if(rc == 0 && rc2 == 0 && pause < PCHAT_SIDX_IDLE_MAX_MS)
			pause = pause * 2 < PCHAT_SIDX_IDLE_MAX_MS ? pause * 2
													   : PCHAT_SIDX_IDLE_MAX_MS;
	}
}

int pchat_sidx_mod_init(
		int mode, int batch, int interval_ms, int settle_ms, int recent_posts)
{
	_sx = shm_malloc(sizeof(*_sx));
	if(_sx == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_sx, 0, sizeof(*_sx));
	if(lock_init(&_sx->lock) == NULL) {
		LM_ERR("cannot initialise the search index lock\n");
		return -1;
	}
	_sx->st.mode = mode;
	_sx_batch = batch;
	_sx_interval_ms = interval_ms;
	_sx_settle_ms = settle_ms;
	_sx_recent_posts = recent_posts;
	_sx->st.recent_posts = recent_posts;
	if(mode == 0)
		return 0;
	if(register_procs(1) < 0)
		return -1;
	cfg_register_child(1);
	return 0;
}

int pchat_sidx_start(void)
{
	if(_sx->st.mode == 0)
		return 0;
	return pchat_proc_fork("PCHAT SEARCH INDEX", pchat_sidx_loop, 0) < 0
				   ? -1
				   : 0;
}

int pchat_sidx_ready(void)
{
	int r;

	if(_sx == NULL)
		return 0;
	lock_get(&_sx->lock);
	r = _sx->st.ready;
	lock_release(&_sx->lock);
	return r;
}

/* A search's read of x's state row: its watermark, whether it is fresh
 * (PCHAT_SIDX_FRESH_S) and its floor. */
static pchat_store_rc_t pchat_sidx_mark(const pchat_sidx_inst_t *x,
		pchat_sidx_mark_t *wm, int *fresh, long long *floor)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;

	rc = pchat_sidx_row(x, 0LL, wm, &res);
	if(rc != PCHAT_STORE_OK)
		return rc;
	*fresh = res.rows[0][7] && atoi(res.rows[0][7]) == 1;
	*floor = pchat_sidx_row_floor(x, res.rows[0]);
	pchat_db_res_free(&res);
	return PCHAT_STORE_OK;
}

pchat_store_rc_t pchat_sidx_watermark(pchat_sidx_mark_t *wm, int *fresh)
{
	long long floor;

	return pchat_sidx_mark(&_sx_all, wm, fresh, &floor);
}

pchat_store_rc_t pchat_sidx_recent(
		pchat_sidx_mark_t *wm, int *fresh, long long *floor)
{
	*fresh = 0;
	if(_sx == NULL || !pchat_sidx_recent_ready())
		return PCHAT_STORE_OK;
	return pchat_sidx_mark(&_sx_recent, wm, fresh, floor);
}

void pchat_sidx_status(pchat_sidx_stats_t *out)
{
	if(_sx == NULL) {
		memset(out, 0, sizeof(*out));
		return;
	}
	lock_get(&_sx->lock);
	*out = _sx->st;
	lock_release(&_sx->lock);
}

int pchat_sidx_newest(void)
{
	int r;

	if(_sx == NULL)
		return 0;
	lock_get(&_sx->lock);
	r = _sx->st.newest;
	lock_release(&_sx->lock);
	return r;
}

void pchat_sidx_answered(int how)
{
	if(_sx == NULL)
		return;
	lock_get(&_sx->lock);
	_sx->st.answered++;
	if(how >= PCHAT_SIDX_BY_NEWEST)
		_sx->st.answered_newest++;
	if(how == PCHAT_SIDX_BY_RECENT)
		_sx->st.answered_recent++;
	lock_release(&_sx->lock);
}
