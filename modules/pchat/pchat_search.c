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
/* Store layer: the history search query (pchat_search.h). Text SQL built
 * with pchat_sql_* (numbers printed, strings quoted): the room list has any
 * length, which a cached prepared statement cannot take. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dprint.h"

#include "pchat_search.h"
#include "pchat_search_index.h"

#define PCHAT_ER_STATEMENT_TIMEOUT 1969 /* max_statement_time exceeded */

/* More candidates than this from the index: the text is common, and
 * walking the newest posts of the rooms finds a page sooner than sorting
 * every hit (README "History search"). */
#define PCHAT_SEARCH_CANDIDATES 1000
/* More than that: the index's newest hits, this many batches of
 * PCHAT_SEARCH_CANDIDATES at most, before the walk answers. */
#define PCHAT_SEARCH_NEWEST_BATCHES 8
/* The newest posts' index in batches of this many: a batch costs Mroonga
 * every hit of the text in the table, however few it returns, and the
 * hits of a text of medium frequency in a million posts fit in one. */
#define PCHAT_SEARCH_RECENT_BATCH 4000

/* How a text is searched (README "History search"): the rooms searched
 * holding at most PCHAT_SEARCH_SCAN_POSTS posts are read whole; else the
 * newest posts of every room are walked for PCHAT_SEARCH_WALK_ROWS rows
 * (a common text fills the page there); fewer than PCHAT_SEARCH_RARE hits
 * in them: the text index answers; else the walk goes on if its rate of
 * hits makes that cheaper than reading the rooms whole (a walked row
 * costs about PCHAT_SEARCH_WALK_COST rows of a room read whole). */
#define PCHAT_SEARCH_SCAN_POSTS 50000
#define PCHAT_SEARCH_WALK_ROWS 5000
#define PCHAT_SEARCH_RARE 5
#define PCHAT_SEARCH_WALK_COST 6
/* The walk starts with this many rows and goes on to
 * PCHAT_SEARCH_WALK_ROWS only when their rate of hits may fill a page
 * there: a rarer text goes to the index without paying the whole walk
 * (at 10 M posts, 5,000 rows took about 20 ms more than 1,000). */
#define PCHAT_SEARCH_WALK_FIRST 1000

#define PCHAT_SEARCH_COLS                                                   \
	"SELECT m.seq, m.ts_ms, m.author, m.content, m.author_change, "       \
	"m.changed_ms, m.room_id, n.guid, m.is_story, m.is_alert, "            \
	"m.story_title FROM pchat_message m "
#define PCHAT_SEARCH_NODE " JOIN pchat_node n ON n.id = m.room_id"
#define PCHAT_SEARCH_ORDER " ORDER BY ts_ms DESC, room_id DESC, seq DESC"

/* A LIKE pattern matching text as a substring: %, _ and \ of the text
 * stand for themselves. out holds 2 * strlen(in) + 3 bytes. */
static void pchat_search_like(const char *in, char *out)
{
	int o = 0;

	out[o++] = '%';
	for(; *in; in++) {
		if(*in == '%' || *in == '_' || *in == '\\')
			out[o++] = '\\';
		out[o++] = *in;
	}
	out[o++] = '%';
	out[o] = '\0';
}

static void pchat_search_where(pchat_sql_t *s, const pchat_search_q_t *q)
{
	char *like;
	int i;

	if(q->any_room) {
		pchat_sql_add(s, " WHERE 1");
	} else {
		pchat_sql_add(s, " WHERE m.room_id IN (");
		for(i = 0; i < q->nrooms; i++)
			pchat_sql_add(s, "%s%lld", i ? "," : "", q->rooms[i]);
		pchat_sql_add(s, ")");
	}
	pchat_sql_add(s, " AND (m.author_change IS NULL OR "
					 "m.author_change <> 'deleted')");
	if(q->text && q->text[0]) {
		like = malloc(2 * strlen(q->text) + 3);
		if(like == NULL) {
			s->err = 1;
			return;
		}
		pchat_search_like(q->text, like);
		/* content's and story_title's collation (utf8mb4_unicode_ci)
		 * folds case and accents; ESCAPE is the default backslash. A
		 * story is found by its title too (NULL for other posts). */
		pchat_sql_add(s, " AND (m.content LIKE ");
		pchat_sql_quote(s, like, strlen(like));
		pchat_sql_add(s, " OR m.story_title LIKE ");
		pchat_sql_quote(s, like, strlen(like));
		pchat_sql_add(s, ")");
		free(like);
	}
	if(q->nauthors > 0) {
		pchat_sql_add(s, " AND m.author IN (");
		for(i = 0; i < q->nauthors; i++) {
			pchat_sql_add(s, "%s", i ? "," : "");
			pchat_sql_quote(s, q->authors[i], strlen(q->authors[i]));
		}
		pchat_sql_add(s, ")");
	}
	if(q->from_ms)
		pchat_sql_add(s, " AND m.ts_ms >= %lld", q->from_ms);
	if(q->to_ms)
		pchat_sql_add(s, " AND m.ts_ms <= %lld", q->to_ms);
	if(q->before_ts)
		pchat_sql_add(s,
				" AND (m.ts_ms < %lld OR (m.ts_ms = %lld AND (m.room_id < %lld "
				"OR (m.room_id = %lld AND m.seq < %lld))))",
				q->before_ts, q->before_ts, q->before_room, q->before_room,
				q->before_seq);
}

/* The index answers texts of 2 characters or more (a bigram each) in the
 * Basic Multilingual Plane: the collation compares every character
 * beyond it equal to any other, which no index reproduces. */
static int pchat_search_indexable(const char *t)
{
	int chars = 0, blank = 1;

	if(t == NULL)
		return 0;
	for(; *t; t++) {
		if((unsigned char)*t >= 0xf0)
			return 0;
		if(((unsigned char)*t & 0xc0) != 0x80)
			chars++;
		if(*t != ' ' && *t != '\t' && *t != '\n' && *t != '\r')
			blank = 0;
	}
	return chars >= 2 && !blank;
}

/* The text as one Mroonga phrase, "..." with " and \ escaped, quoted. */
static void pchat_search_phrase(pchat_sql_t *s, const char *t)
{
	char *p = malloc(2 * strlen(t) + 3);
	int o = 0;

	if(p == NULL) {
		s->err = 1;
		return;
	}
	p[o++] = '"';
	for(; *t; t++) {
		if(*t == '"' || *t == '\\')
			p[o++] = '\\';
		p[o++] = *t;
	}
	p[o++] = '"';
	pchat_sql_quote(s, p, o);
	free(p);
}

/* The index's hits of the text in the rooms searched, at most
 * PCHAT_SEARCH_CANDIDATES + 1 (room_id, seq) rows. */
static pchat_store_rc_t pchat_search_candidates(
		const pchat_search_q_t *q, pchat_db_res_t *res)
{
	pchat_store_rc_t rc;
	pchat_sql_t s;
	int i, at;

	pchat_sql_init(&s);
	pchat_sql_add(&s,
			"SET STATEMENT max_statement_time = %d, "
			"in_predicate_conversion_threshold = 0 FOR SELECT room_id, seq "
			"FROM pchat_search_fts WHERE MATCH(content) AGAINST(",
			PCHAT_SEARCH_TIME_MAX_S);
	pchat_search_phrase(&s, q->text);
	pchat_sql_add(&s, " IN BOOLEAN MODE)");
	if(!q->any_room) {
		pchat_sql_add(&s, " AND room_id IN (");
		for(i = 0; i < q->nrooms; i++)
			pchat_sql_add(&s, "%s%lld", i ? "," : "", q->rooms[i]);
		pchat_sql_add(&s, ")");
	}
	pchat_sql_add(&s, " LIMIT %d", PCHAT_SEARCH_CANDIDATES + 1);
	pchat_sql_end(&s);
	rc = pchat_db_script(&s, res, &at);
	pchat_sql_free(&s);
	return rc;
}

/* The posts after the watermark: three ranges of k_message_recorded
 * (recorded_at, room_id, seq), which start at the watermark even when
 * thousands of posts share its recorded_at (one multi-row INSERT). */
static void pchat_search_after(pchat_sql_t *s, const pchat_sidx_mark_t *wm)
{
	pchat_sql_add(s, " ((m.recorded_at = ");
	pchat_sql_quote(s, wm->at, strlen(wm->at));
	pchat_sql_add(s, " AND m.room_id = %lld AND m.seq > %lld) OR (m.recorded_at = ",
			wm->room, wm->seq);
	pchat_sql_quote(s, wm->at, strlen(wm->at));
	pchat_sql_add(s, " AND m.room_id > %lld) OR m.recorded_at > ", wm->room);
	pchat_sql_quote(s, wm->at, strlen(wm->at));
	pchat_sql_add(s, ")");
}

/* The messages: the candidates indexed before the watermark wm (each
 * checked again against pchat_message: a stale entry never matches), and
 * with LIKE every post recorded since wm (not yet indexed, or edited
 * since), through k_message_recorded: a few seconds of posts. */
static pchat_store_rc_t pchat_search_verified(const pchat_search_q_t *q,
		const pchat_sidx_mark_t *wm, char ***cand, int ncand,
		pchat_db_res_t *res)
{
	pchat_store_rc_t rc;
	pchat_sql_t s;
	int i, at;

	pchat_sql_init(&s);
	pchat_sql_add(&s,
			"SET STATEMENT max_statement_time = %d, "
			"in_predicate_conversion_threshold = 0, time_zone = '+00:00' "
			"FOR SELECT * FROM (",
			PCHAT_SEARCH_TIME_MAX_S);
	if(ncand > 0) {
		pchat_sql_add(&s, "(" PCHAT_SEARCH_COLS "FORCE INDEX (PRIMARY)"
						  PCHAT_SEARCH_NODE);
		pchat_search_where(&s, q);
		pchat_sql_add(&s, " AND (m.room_id, m.seq) IN (");
		for(i = 0; i < ncand; i++)
			pchat_sql_add(&s, "%s(%s,%s)", i ? "," : "", cand[i][0],
					cand[i][1]);
		pchat_sql_add(&s, ") AND NOT");
		pchat_search_after(&s, wm);
		pchat_sql_add(&s, PCHAT_SEARCH_ORDER " LIMIT %d) UNION ALL ", q->limit);
	}
	pchat_sql_add(&s, "(" PCHAT_SEARCH_COLS
					  "FORCE INDEX (k_message_recorded)" PCHAT_SEARCH_NODE);
	pchat_search_where(&s, q);
	pchat_sql_add(&s, " AND");
	pchat_search_after(&s, wm);
	pchat_sql_add(&s, PCHAT_SEARCH_ORDER " LIMIT %d) ) x" PCHAT_SEARCH_ORDER
					  " LIMIT %d",
			q->limit, q->limit);
	pchat_sql_end(&s);
	rc = pchat_db_script(&s, res, &at);
	if(rc == PCHAT_STORE_ERROR && !pchat_search_timed_out())
		LM_ERR("the indexed search query failed (sql error %d, %zu bytes, "
			   "error %u)\n",
				s.err, s.len, pchat_db_errno());
	pchat_sql_free(&s);
	return rc;
}

/* The newest posts first, through k_message_ts, for at most rows rows
 * (0: no bound): *found hits, and the answer in res when they fill the
 * page or rows was 0 (exact: the rows come in the answer's order). */
static pchat_store_rc_t pchat_search_walk(
		const pchat_search_q_t *q, int rows, pchat_db_res_t *res, int *found)
{
	pchat_store_rc_t rc;
	pchat_sql_t s;
	int at;

	*found = 0;
	pchat_sql_init(&s);
	pchat_sql_add(&s,
			"SET STATEMENT max_statement_time = %d, "
			"in_predicate_conversion_threshold = 0 FOR " PCHAT_SEARCH_COLS
			"FORCE INDEX (k_message_ts)" PCHAT_SEARCH_NODE,
			PCHAT_SEARCH_TIME_MAX_S);
	pchat_search_where(&s, q);
	pchat_sql_add(&s, " ORDER BY m.ts_ms DESC, m.room_id DESC, m.seq DESC "
					  "LIMIT %d",
			q->limit);
	if(rows > 0)
		pchat_sql_add(&s, " ROWS EXAMINED %d", rows);
	pchat_sql_end(&s);
	rc = pchat_db_script(&s, res, &at);
	pchat_sql_free(&s);
	if(rc != PCHAT_STORE_OK)
		return rc;
	*found = res->nrows;
	if(rows > 0 && res->nrows < q->limit)
		pchat_db_res_free(res);
	return rc;
}

/* The index's newest hits of the text in every room (not only those
 * searched: Mroonga sorts and stops early only without that filter),
 * per of them with ts_ms <= cut (0: no bound). */
static pchat_store_rc_t pchat_search_newest_hits(const pchat_search_q_t *q,
		const char *table, int per, long long cut, pchat_db_res_t *res)
{
	pchat_store_rc_t rc;
	pchat_sql_t s;
	int at;

	pchat_sql_init(&s);
	pchat_sql_add(&s,
			"SET STATEMENT max_statement_time = %d FOR SELECT room_id, seq, "
			"ts_ms FROM %s WHERE MATCH(content) AGAINST(",
			PCHAT_SEARCH_TIME_MAX_S, table);
	pchat_search_phrase(&s, q->text);
	pchat_sql_add(&s, " IN BOOLEAN MODE)");
	if(cut > 0)
		pchat_sql_add(&s, " AND ts_ms <= %lld", cut);
	pchat_sql_add(&s, " ORDER BY ts_ms DESC LIMIT %d", per);
	pchat_sql_end(&s);
	rc = pchat_db_script(&s, res, &at);
	pchat_sql_free(&s);
	return rc;
}

static int pchat_search_cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* The rooms searched, sorted for bsearch (NULL: every room). */
static long long *pchat_search_room_set(const pchat_search_q_t *q, int *err)
{
	long long *r;

	*err = 0;
	if(q->any_room)
		return NULL;
	r = malloc(sizeof(*r) * q->nrooms);
	if(r == NULL) {
		*err = 1;
		return NULL;
	}
	memcpy(r, q->rooms, sizeof(*r) * q->nrooms);
	qsort(r, q->nrooms, sizeof(*r), pchat_search_cmp_ll);
	return r;
}

/* The bound of the first batch: the cursor's ts_ms, or the end of the
 * time range (0: none). */
static long long pchat_search_cut(const pchat_search_q_t *q)
{
	long long cut = q->before_ts;

	if(q->to_ms && (cut == 0 || q->to_ms < cut))
		cut = q->to_ms;
	return cut;
}

/* Exact when every hit ranked before the page's last row was a candidate:
 * the batches hold every hit newer than low (low 0: every hit up to the
 * first cut), and the page is full with its last row newer than low. */
static int pchat_search_exact(
		const pchat_search_q_t *q, pchat_db_res_t *res, long long low)
{
	if(low <= 0)
		return 1;
	return res->nrows >= q->limit
		   && strtoll(res->rows[res->nrows - 1][1], NULL, 10) > low;
}

/* A text with more than PCHAT_SEARCH_CANDIDATES hits in the rooms
 * searched: the index's hits newest first, in batches of per, those of
 * the rooms searched checked as pchat_search_verified does, until a page
 * is known exact (pchat_search_exact) or PCHAT_SEARCH_CANDIDATES *
 * PCHAT_SEARCH_NEWEST_BATCHES hits were read; *used set answered, 0 not
 * (the walk or the whole read answers). table holds every post with
 * ts_ms >= floor (0: every post): a batch short of per holds every hit
 * from floor to its cut, and none older (a page not exact then is not
 * found there). */
static pchat_store_rc_t pchat_search_newest(const pchat_search_q_t *q,
		const char *table, int per, long long floor, int set_used,
		const pchat_sidx_mark_t *wm, pchat_db_res_t *res, int *used)
{
	pchat_db_res_t b[PCHAT_SEARCH_NEWEST_BATCHES];
	char ***cand;
	long long *set, cut, low = 0, room;
	pchat_store_rc_t rc = PCHAT_STORE_OK;
	int nb, i, n = 0, err;
	int batches = PCHAT_SEARCH_CANDIDATES * PCHAT_SEARCH_NEWEST_BATCHES / per;

	*used = 0;
	memset(b, 0, sizeof(b));
	set = pchat_search_room_set(q, &err);
	cand = err ? NULL
			   : malloc(sizeof(*cand) * PCHAT_SEARCH_CANDIDATES
						* PCHAT_SEARCH_NEWEST_BATCHES);
	if(cand == NULL) {
		free(set);
		return PCHAT_STORE_ERROR;
	}
	cut = pchat_search_cut(q);
	for(nb = 0; nb < batches; nb++) {
		rc = pchat_search_newest_hits(q, table, per, cut, &b[nb]);
		if(rc == PCHAT_STORE_ERROR && !pchat_search_timed_out()) {
			/* the newest posts' table failing leaves the whole index */
			LM_WARN("%s failed (error %u): searching %s\n", table,
					pchat_db_errno(),
					set_used == PCHAT_SIDX_BY_RECENT ? "the whole text index"
													 : "with LIKE");
			rc = PCHAT_STORE_OK;
			break;
		}
		if(rc != PCHAT_STORE_OK)
			break;
		for(i = 0; i < b[nb].nrows; i++) {
			room = strtoll(b[nb].rows[i][0], NULL, 10);
			if(set == NULL
					|| bsearch(&room, set, q->nrooms, sizeof(*set),
							   pchat_search_cmp_ll))
				cand[n++] = b[nb].rows[i];
		}
		/* a full batch: hits as old as its oldest may remain (ties too:
		 * the next batch takes them again, an IN list minds no twins) */
		low = b[nb].nrows < per
					  ? floor
					  : strtoll(b[nb].rows[b[nb].nrows - 1][2], NULL, 10);
		if(low > 0 && q->from_ms && low < q->from_ms)
			low = 0;
		if(n >= q->limit || low == 0 || low == floor) {
			rc = pchat_search_verified(q, wm, cand, n, res);
			if(rc != PCHAT_STORE_OK)
				break;
			if(pchat_search_exact(q, res, low)) {
				*used = set_used;
				break;
			}
			pchat_db_res_free(res);
		}
		if(low == floor)
			break; /* nothing older here */
		cut = low;
	}
	for(i = 0; i < PCHAT_SEARCH_NEWEST_BATCHES; i++)
		pchat_db_res_free(&b[i]);
	free(cand);
	free(set);
	return rc;
}

/* The newest hits of the newest posts' index (pchat_search_fts_recent)
 * before any query of the whole index: Mroonga reads every hit of a text
 * before it sorts or filters them, and that index holds a fraction of
 * them. *used PCHAT_SIDX_BY_RECENT when a page was found exact there. */
static pchat_store_rc_t pchat_search_recent(
		const pchat_search_q_t *q, pchat_db_res_t *res, int *used)
{
	pchat_sidx_mark_t rwm;
	pchat_store_rc_t rc;
	long long floor = 0, again = 0;
	int fresh;

	*used = 0;
	rc = pchat_sidx_recent(&rwm, &fresh, &floor);
	if(rc != PCHAT_STORE_OK || !fresh)
		return PCHAT_STORE_OK; /* the whole index answers */
	rc = pchat_search_newest(q, "pchat_search_fts_recent",
			PCHAT_SEARCH_RECENT_BATCH, floor, PCHAT_SIDX_BY_RECENT, &rwm, res,
			used);
	if(rc != PCHAT_STORE_OK || !*used)
		return rc;
	/* the indexer raises the floor before it deletes below it: the same
	 * floor now means no hit from it on went while the page was read */
	if(pchat_sidx_recent(&rwm, &fresh, &again) != PCHAT_STORE_OK
			|| again != floor) {
		pchat_db_res_free(res);
		*used = 0;
		return PCHAT_STORE_OK;
	}
	pchat_sidx_answered(*used);
	return rc;
}

/* The newest hits of the whole index; *used as pchat_search_newest's. */
static pchat_store_rc_t pchat_search_newest_all(const pchat_search_q_t *q,
		const pchat_sidx_mark_t *wm, pchat_db_res_t *res, int *used)
{
	pchat_store_rc_t rc;

	rc = pchat_search_newest(q, "pchat_search_fts", PCHAT_SEARCH_CANDIDATES,
			0, PCHAT_SIDX_BY_NEWEST, wm, res, used);
	if(rc == PCHAT_STORE_OK && *used)
		pchat_sidx_answered(*used);
	return rc;
}

/* The search through the text index, the newest posts' index first
 * (pchat_search_recent); *used 0 when the LIKE walk is to answer instead:
 * a common text (more than PCHAT_SEARCH_CANDIDATES hits, and no page from
 * the newest ones), an index behind by more than PCHAT_SIDX_FRESH_S, or
 * no index here. medium: the walk found some hits, too many for the
 * rooms' candidates: the newest hits are asked at once. */
static pchat_store_rc_t pchat_search_indexed(
		const pchat_search_q_t *q, int medium, pchat_db_res_t *res, int *used)
{
	pchat_sidx_mark_t wm;
	pchat_db_res_t cand;
	pchat_store_rc_t rc;
	int fresh;

	*used = 0;
	rc = pchat_sidx_watermark(&wm, &fresh);
	if(rc != PCHAT_STORE_OK || !fresh)
		return rc == PCHAT_STORE_ERROR ? PCHAT_STORE_OK : rc;
	rc = pchat_db_script_prepare(); /* quoting needs the connection */
	if(rc != PCHAT_STORE_OK)
		return rc;
	/* the newest posts' index has ts_ms: the old layout has neither */
	if(pchat_sidx_newest()) {
		rc = pchat_search_recent(q, res, used);
		if(rc != PCHAT_STORE_OK || *used)
			return rc;
	}
	if(medium)
		return pchat_search_newest_all(q, &wm, res, used);
	rc = pchat_search_candidates(q, &cand);
	if(rc == PCHAT_STORE_ERROR && !pchat_search_timed_out()) {
		LM_WARN("the text index failed (error %u): searching with LIKE\n",
				pchat_db_errno());
		return PCHAT_STORE_OK;
	}
	if(rc != PCHAT_STORE_OK)
		return rc;
	if(cand.nrows <= PCHAT_SEARCH_CANDIDATES) {
		*used = PCHAT_SIDX_BY_CANDIDATES;
		rc = pchat_search_verified(q, &wm, cand.rows, cand.nrows, res);
		if(rc == PCHAT_STORE_OK)
			pchat_sidx_answered(*used);
	} else if(pchat_sidx_newest()) {
		rc = pchat_search_newest_all(q, &wm, res, used);
	}
	pchat_db_res_free(&cand);
	return rc;
}


/* About how many posts the rooms searched hold (their last_seq). */
static long long pchat_search_posts(const pchat_search_q_t *q)
{
	pchat_db_res_t res;
	pchat_sql_t s;
	long long n = -1;
	int i, at;

	pchat_sql_init(&s);
	pchat_sql_add(&s, "SELECT COALESCE(SUM(last_seq), 0) FROM pchat_node "
					  "WHERE kind = 'room'");
	if(!q->any_room) {
		pchat_sql_add(&s, " AND id IN (");
		for(i = 0; i < q->nrooms; i++)
			pchat_sql_add(&s, "%s%lld", i ? "," : "", q->rooms[i]);
		pchat_sql_add(&s, ")");
	}
	pchat_sql_end(&s);
	if(pchat_db_script(&s, &res, &at) == PCHAT_STORE_OK) {
		if(res.nrows == 1 && res.rows[0][0])
			n = strtoll(res.rows[0][0], NULL, 10);
		pchat_db_res_free(&res);
	}
	pchat_sql_free(&s);
	return n;
}

/* A text over rooms holding many posts: the walk, the index, the walk on
 * (see PCHAT_SEARCH_SCAN_POSTS). *done 0: read the rooms whole. */
static pchat_store_rc_t pchat_search_text(
		const pchat_search_q_t *q, pchat_db_res_t *res, int *done)
{
	pchat_store_rc_t rc;
	long long posts;
	int k, rows;

	*done = 0;
	posts = pchat_search_posts(q);
	if(posts <= PCHAT_SEARCH_SCAN_POSTS)
		return PCHAT_STORE_OK;
	rows = PCHAT_SEARCH_WALK_FIRST;
	rc = pchat_search_walk(q, rows, res, &k);
	/* half the rate of hits that fills a page in PCHAT_SEARCH_WALK_ROWS
	 * rows: a few rows' count is rough, a text near that rate may well
	 * fill it (in make bench's 10 M posts, the first 1,000 rows held no
	 * hit of its texts of medium frequency, and 8-39 of its common ones,
	 * which filled the page of 51 within 5,000) */
	if(rc == PCHAT_STORE_OK && k < q->limit
			&& 2LL * k * PCHAT_SEARCH_WALK_ROWS
					   >= (long long)q->limit * rows) {
		rows = PCHAT_SEARCH_WALK_ROWS;
		rc = pchat_search_walk(q, rows, res, &k);
	}
	if(rc != PCHAT_STORE_OK || k >= q->limit) {
		*done = rc == PCHAT_STORE_OK;
		return rc;
	}
	if(pchat_search_indexable(q->text) && pchat_sidx_ready()
			&& (k < PCHAT_SEARCH_RARE || pchat_sidx_newest())) {
		rc = pchat_search_indexed(q, k >= PCHAT_SEARCH_RARE, res, done);
		if(rc != PCHAT_STORE_OK || *done)
			return rc;
	}
	if(k > 0
			&& (long long)q->limit * rows / k * PCHAT_SEARCH_WALK_COST
					< posts) {
		*done = 1;
		return pchat_search_walk(q, 0, res, &k);
	}
	return PCHAT_STORE_OK;
}

pchat_store_rc_t pchat_search_messages(
		const pchat_search_q_t *q, pchat_db_res_t *res)
{
	pchat_store_rc_t rc;
	pchat_sql_t s;
	int at;

	memset(res, 0, sizeof(*res));
	if((q->nrooms <= 0 && !q->any_room) || q->limit <= 0)
		return PCHAT_STORE_OK;
	rc = pchat_db_script_prepare(); /* quoting needs the connection */
	if(rc != PCHAT_STORE_OK)
		return rc;
	if(q->text && q->text[0]) {
		rc = pchat_search_text(q, res, &at);
		if(rc != PCHAT_STORE_OK || at)
			return rc;
	}
	pchat_sql_init(&s);
	/* in_predicate_conversion_threshold 0: MariaDB would turn an IN list
	 * of 1,000 rooms or more into a joined table and sort the rows, texts
	 * and all, in an on-disk temporary table (seen: 10 M messages) */
	pchat_sql_add(&s,
			"SET STATEMENT max_statement_time = %d, "
			"in_predicate_conversion_threshold = 0 FOR ",
			PCHAT_SEARCH_TIME_MAX_S);
	pchat_sql_add(&s, PCHAT_SEARCH_COLS PCHAT_SEARCH_NODE);
	pchat_search_where(&s, q);
	pchat_sql_add(&s, " ORDER BY m.ts_ms DESC, m.room_id DESC, m.seq DESC LIMIT %d",
			q->limit);
	pchat_sql_end(&s);
	rc = pchat_db_script(&s, res, &at);
	if(rc == PCHAT_STORE_ERROR && !pchat_search_timed_out())
		LM_ERR("the search query failed (sql error %d, %zu bytes, error %u)\n",
				s.err, s.len, pchat_db_errno());
	pchat_sql_free(&s);
	return rc;
}

int pchat_search_timed_out(void)
{
	return pchat_db_errno() == PCHAT_ER_STATEMENT_TIMEOUT;
}
