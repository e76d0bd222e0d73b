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

/*
 * The neighbours of pchat's command layer for the fuzz targets: a fake
 * store answering the module's SQL by its text (three rooms, messages,
 * preferences, an invitation), a roster of one session, and the module
 * parameters. Calls can be made to fail (fuzz_store_reset) so the error
 * paths of every command run too.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "core/mem/pkg.h"

#include "pchat_mod.h"
#include "pchat_db.h"
#include "pchat_compliance.h"
#include "pchat_config.h"
#include "pchat_fanout.h"
#include "pchat_file.h"
#include "pchat_follow.h"
#include "pchat_metrics.h"
#include "pchat_search.h"
#include "pchat_session.h"
#include "pchat_uri.h"
#include "pchat_writer.h"
#include "pchat_xccos.h"

#include "fuzzstub.h"

/* ---- module parameters (pchat_mod.c's defaults) ---- */
struct tm_binds _pchat_tmb;
pchat_roster_api_t _pchat_roster;
int pchat_max_body = 24576;
int pchat_max_reply = 24576;
int pchat_max_preferences = 64;
int pchat_max_preference_size = 16384;
int pchat_follow_max = 500;
int pchat_follow_bjoin = 1;
int pchat_alert_max = 50;

/* ---- the fake store ---- */
static int store_calls;
static int store_fail_at;
static pchat_store_rc_t store_fail_rc;

void fuzz_store_reset(int fail_at, int unavailable)
{
	store_calls = 0;
	store_fail_at = fail_at;
	store_fail_rc = unavailable ? PCHAT_STORE_UNAVAILABLE : PCHAT_STORE_ERROR;
}

static pchat_store_rc_t store_call(void)
{
	store_calls++;
	if(store_fail_at > 0 && store_calls == store_fail_at)
		return store_fail_rc;
	return PCHAT_STORE_OK;
}

#define ROOM_COLS 13
static const char *rooms[][ROOM_COLS] = {
	{"1", FUZZ_GUID_OPEN, "Open room", "an open room", "topic <&>", "open",
			"normal", "0", "true", "10", "1", "1", "1"},
	{"2", FUZZ_GUID_CLOSED, "Closed", "", "", "closed", "auditorium", "0",
			"false", "10", "0", "0", "0"},
	{"3", FUZZ_GUID_SECRET, "Secret \"room\"", "d\r\n\t", "", "secret",
			"normal", "0", "true", "11", "1", "1", "1"},
};

/* seq, ts_ms, author, content, author_change, changed_ms, is_story,
 * is_alert, story_title (history) */
static const char *msgs[][9] = {
	{"7", "1767225600000", "sip:bob@example.com", "newest \x01 & <b>", NULL,
			NULL, "1", "1", "a \"title\" &"},
	{"6", "1767225500000", "sip:alice@example.com", "\xc3\xa9t\xc3\xa9\r\n",
			"edited", "1767225600001", "0", "1", NULL},
	{"5", "-1", "sip:carol@example.com", "", "deleted", "1767225600002", "1",
			"0", "gone"},
};

/* A result of n rows of ncols copied columns, as pchat_db.c builds one:
 * malloc'd, freed by pchat_db_res_free. */
static void res_set(pchat_db_res_t *res, int n, int ncols,
		const char *const *cells)
{
	int i, k;

	memset(res, 0, sizeof(*res));
	if(n == 0)
		return;
	res->nrows = n;
	res->ncols = ncols;
	res->rows = calloc(n, sizeof(char **));
	if(res->rows == NULL)
		abort();
	for(i = 0; i < n; i++) {
		res->rows[i] = calloc(ncols, sizeof(char *));
		if(res->rows[i] == NULL)
			abort();
		for(k = 0; k < ncols; k++) {
			if(cells[i * ncols + k] == NULL)
				continue; /* SQL NULL */
			res->rows[i][k] = strdup(cells[i * ncols + k]);
			if(res->rows[i][k] == NULL)
				abort();
		}
	}
}

static int param_is(const pchat_db_param_t *p, const char *v)
{
	if(p->type == PCHAT_DB_T_CS)
		return p->v.cs && strcmp(p->v.cs, v) == 0;
	if(p->type == PCHAT_DB_T_STR)
		return p->v.s && p->v.s->s && p->v.s->len == (int)strlen(v)
			   && memcmp(p->v.s->s, v, p->v.s->len) == 0;
	return 0;
}

static int contains(const char *sql, const char *what)
{
	return strstr(sql, what) != NULL;
}

static void fuzz_msg_for_update(pchat_db_res_t *res, const pchat_db_param_t *seq)
{
	static char now[24];
	const char *row[] = {"6", now, "sip:alice@example.com", "old & <text>",
			"posted", NULL, "1", "0", "a title"};
	struct timeval tv;

	if(seq == NULL || seq->type != PCHAT_DB_T_LL
			|| (seq->v.ll != 6 && seq->v.ll != 7))
		return;
	gettimeofday(&tv, NULL);
	snprintf(now, sizeof(now), "%lld",
			(long long)tv.tv_sec * 1000 + tv.tv_usec / 1000);
	if(seq->v.ll == 7) {
		row[0] = "7";
		row[2] = "sip:bob@example.com";
	}
	res_set(res, 1, 9, row);
}

pchat_store_rc_t pchat_db_execv(const char *sql, pchat_db_res_t *res, int n,
		const pchat_db_param_t *params)
{
	const char *cells[3 * ROOM_COLS];
	pchat_store_rc_t rc = store_call();
	int i, k, nr = 0;

	if(res)
		memset(res, 0, sizeof(*res));
	if(rc != PCHAT_STORE_OK || res == NULL)
		return rc;
	if(contains(sql, "FROM pchat_node r") && contains(sql, "FROM pchat_follow")
			&& !contains(sql, "WITH RECURSIVE")) {
		/* followlist's rooms: all three, ordered by id */
		for(i = 0; i < 3; i++)
			for(k = 0; k < ROOM_COLS; k++)
				cells[nr++] = rooms[i][k];
		res_set(res, 3, ROOM_COLS, cells);
	} else if(contains(sql, "FROM pchat_node r") && contains(sql, "r.guid = ?")) {
		for(i = 0; i < 3; i++) {
			if(n > 0 && param_is(&params[n - 1], rooms[i][1])) {
				res_set(res, 1, ROOM_COLS, rooms[i]);
				break;
			}
		}
	} else if(contains(sql, "FROM pchat_node r") && contains(sql, "r.id = ?")) {
		res_set(res, 1, ROOM_COLS, rooms[0]);
	} else if(contains(sql, "FROM pchat_node r") && contains(sql, "LIKE")) {
		for(i = 0; i < 3; i++)
			for(k = 0; k < ROOM_COLS; k++)
				cells[nr++] = rooms[i][k];
		res_set(res, 3, ROOM_COLS, cells);
	} else if(contains(sql, "FROM pchat_policy")) {
		cells[0] = "global";
		cells[1] = "1";
		res_set(res, 1, 2, cells);
	} else if(contains(sql, "WITH RECURSIVE hit")) {
		/* the rooms a history search may read: all three, by id, each
		 * with its roles that may name the user: alice manages room 3 */
		const char *own[6] = {"r", "0", "manager", "user",
				"sip:alice@example.com", "3"};
		const char *cand[3 * (ROOM_COLS + 6)];
		for(i = 0; i < 3; i++) {
			for(k = 0; k < ROOM_COLS; k++)
				cand[nr++] = rooms[i][k];
			for(k = 0; k < 6; k++)
				cand[nr++] = i == 2 ? own[k] : NULL;
		}
		res_set(res, 3, ROOM_COLS + 6, cand);
	} else if(contains(sql, "FROM pchat_role r WHERE")
			|| contains(sql, "FROM pchat_role r JOIN (SELECT")) {
		/* the roles held on rooms (pchat_access_rooms.c, chansrch's):
		 * alice manages room 3 */
		const char *rule[] = {"r", "0", "manager", "user",
				"sip:alice@example.com", "3"};
		res_set(res, 1, 6, rule);
	} else if(contains(sql, "FROM pchat_role r JOIN up")) {
		/* the search's rules, ordered by room: alice manages room 3 */
		const char *rule[] = {"r", "0", "manager", "user",
				"sip:alice@example.com", "3"};
		res_set(res, 1, 6, rule);
	} else if(contains(sql, "FROM pchat_role") && contains(sql, "WITH RECURSIVE")) {
		const char *rule[] = {"r", "0", "manager", "user",
				"sip:alice@example.com"};
		res_set(res, 1, 5, rule);
	} else if(contains(sql, "FROM pchat_message") && contains(sql, "FOR UPDATE")) {
		/* an author edit/delete: seq param 6 is alice's, posted just now
		 * (within the window), 7 bob's, others none */
		fuzz_msg_for_update(res, n > 0 ? &params[n - 1] : NULL);
	} else if(contains(sql, "FROM pchat_message")) {
		for(i = 0; i < 3; i++)
			for(k = 0; k < 9; k++)
				cells[nr++] = msgs[i][k];
		res_set(res, 3, 9, cells);
	} else if(contains(sql, "SELECT seqid, content FROM pchat_preference")) {
		cells[0] = "3";
		cells[1] = "<prefs a=\"&amp;\"/>";
		res_set(res, 1, 2, cells);
	} else if(contains(sql, "SELECT seqid FROM pchat_preference")) {
		cells[0] = "3";
		res_set(res, 1, 1, cells);
	} else if(contains(sql, "WEIGHT_STRING")) {
		/* alerts: the folded word */
		cells[0] = "0E33";
		res_set(res, 1, 1, cells);
	} else if(contains(sql, "FROM pchat_alert a LEFT JOIN")) {
		const char *al[] = {"7", "word", "café", FUZZ_GUID_OPEN, "1767225600000"};
		res_set(res, 1, 5, al);
	} else if(contains(sql, "COUNT(*)")) {
		cells[0] = "1";
		res_set(res, 1, 1, cells);
	} else if(contains(sql, "SELECT room_id FROM pchat_invitation")) {
		cells[0] = "1";
		res_set(res, 1, 1, cells);
	} else if(contains(sql, "FROM pchat_invitation i")) {
		const char *inv[] = {"4", FUZZ_GUID_OPEN, "Open room",
				"sip:bob@example.com", "1767225600000"};
		res_set(res, 1, 5, inv);
	} else if(contains(sql, "SELECT guid FROM pchat_node")) {
		cells[0] = FUZZ_GUID_OPEN;
		res_set(res, 1, 1, cells);
	} else if(contains(sql, "r.role = 'creator'")) {
		const char *cat[] = {"c0ffee00-0000-4000-8000-00000000000a",
				"Category", "domain", "example.com"};
		res_set(res, 1, 4, cat);
	}
	return PCHAT_STORE_OK;
}

void pchat_db_res_free(pchat_db_res_t *res)
{
	int i, k;

	for(i = 0; res->rows && i < res->nrows; i++) {
		for(k = 0; k < res->ncols; k++)
			free(res->rows[i][k]);
		free(res->rows[i]);
	}
	free(res->rows);
	memset(res, 0, sizeof(*res));
}

pchat_store_rc_t pchat_db_begin(void)
{
	return store_call();
}

pchat_store_rc_t pchat_db_commit(void)
{
	return store_call();
}

void pchat_db_rollback(void)
{
}

unsigned long long pchat_db_insert_id(void)
{
	return 8;
}

unsigned long long pchat_db_affected(void)
{
	return 1;
}

unsigned int pchat_db_errno(void)
{
	return 0;
}

pchat_store_rc_t pchat_store_server_config(pchat_server_config_t *cfg)
{
	pchat_server_config_defaults(cfg);
	snprintf(cfg->root_category_guid, sizeof(cfg->root_category_guid), "%s",
			"c0ffee00-0000-4000-8000-000000000000");
	snprintf(cfg->db_version, sizeof(cfg->db_version), "%s", "pchat-6");
	return store_call();
}

pchat_store_rc_t pchat_store_server_config_cached(pchat_server_config_t *cfg)
{
	return pchat_store_server_config(cfg);
}

/* ---- sessions, fan-out, URIs ---- */
int pchat_session_alive(unsigned int hid, unsigned int id)
{
	return 1;
}

int pchat_fanout_room(long long room_id, str *body, unsigned int except_sess)
{
	fuzz_check_envelope("delivery", body->s, body->len);
	return 0;
}

/* a node alone: the pool's fan-out is the room's, no other node counts */
int pchat_pool_fanout_local(long long room_id, str *body,
		unsigned int except_sess, long long seq)
{
	return pchat_fanout_room(room_id, body, except_sess);
}

void pchat_pool_fanout_remote(long long room_id, str *body, long long seq)
{
}

int pchat_pool_fanout(long long room_id, str *body, unsigned int except_sess,
		long long seq)
{
	return pchat_fanout_room(room_id, body, except_sess);
}

int pchat_pool_remote_count(long long room_id)
{
	return 0;
}

int pchat_pool_remote_roster(
		long long room_id, pchat_roster_snapshot_t *out, int *partial)
{
	memset(out, 0, sizeof(*out));
	*partial = 0;
	return 0;
}

void pchat_pool_roster_free(pchat_roster_snapshot_t *snap)
{
}

int pchat_pool_user_elsewhere(long long room_id, str *user)
{
	return 0;
}

void pchat_pool_part_held(long long room_id, str *user, str *notice)
{
}

static pchat_uri_t svc_uri = {PCHAT_URI_SERVICE,
		{"sip:pchat@example.com", 21}, {"pchat", 5}, {"example.com", 11},
		NULL};

pchat_uri_t *pchat_uri_service_for(pchat_uri_t *invited)
{
	return &svc_uri;
}

/* ---- the roster: rooms of the one fuzzed session ---- */
#define MAX_JOINED 512
static unsigned long long joined[MAX_JOINED];
static int njoined;

static int roster_find(unsigned long long room)
{
	int i;

	for(i = 0; i < njoined; i++)
		if(joined[i] == room)
			return i;
	return -1;
}

static int roster_join(unsigned long long room_id, unsigned int sess_hid,
		unsigned int sess_id, str *user, unsigned int roles)
{
	if(roster_find(room_id) >= 0)
		return 0;
	if(njoined == MAX_JOINED)
		return -1;
	joined[njoined++] = room_id;
	return 1;
}

static int roster_part(unsigned long long room_id, unsigned int sess_id)
{
	int i = roster_find(room_id);

	if(i < 0)
		return 0;
	joined[i] = joined[--njoined];
	return 1;
}

static int roster_rooms_of(unsigned int sess_id, unsigned long long *rooms,
		int max)
{
	int i;

	for(i = 0; i < njoined && i < max; i++)
		rooms[i] = joined[i];
	return njoined;
}

static int roster_part_all(unsigned int sess_id, unsigned long long *rooms,
		int max)
{
	int n = roster_rooms_of(sess_id, rooms, max);

	njoined = 0;
	return n;
}

/* the session itself and two others, one with an odd URI */
static const char *members[] = {"sip:alice@example.com",
		"sip:bob@example.com", "sip:\"&<carol>\"@example.com"};

static int roster_snapshot(
		unsigned long long room_id, pchat_roster_snapshot_t *snap)
{
	int i, n = 3, len = 0;
	char *p;

	for(i = 0; i < n; i++)
		len += strlen(members[i]);
	snap->members = pkg_malloc(n * sizeof(pchat_roster_member_t) + len);
	if(snap->members == NULL) {
		snap->n = 0;
		return -1;
	}
	p = (char *)(snap->members + n);
	for(i = 0; i < n; i++) {
		snap->members[i].sess_hid = 1;
		snap->members[i].sess_id = 100 + i;
		snap->members[i].roles = i == 1 ? 3 : 1;
		snap->members[i].user.s = p;
		snap->members[i].user.len = strlen(members[i]);
		memcpy(p, members[i], snap->members[i].user.len);
		p += snap->members[i].user.len;
	}
	snap->n = n;
	return 0;
}

/* the newest max of the three (a reply that holds fewer cuts the room) */
static int roster_snapshot_newest(
		unsigned long long room_id, pchat_roster_snapshot_t *snap, int max)
{
	int rc = roster_snapshot(room_id, snap);

	if(rc == 0 && max < snap->n) {
		memmove(snap->members, snap->members + snap->n - max,
				max * sizeof(pchat_roster_member_t));
		snap->n = max;
	}
	return rc < 0 ? -1 : 3;
}

static void roster_free_snapshot(pchat_roster_snapshot_t *snap)
{
	pkg_free(snap->members);
	snap->members = NULL;
	snap->n = 0;
}

static int roster_count(unsigned long long room_id)
{
	return 3;
}

static int roster_user_present(
		unsigned long long room_id, str *user, unsigned int except_sess_id)
{
	return 0;
}

void fuzz_roster_init(void)
{
	_pchat_roster.join = roster_join;
	_pchat_roster.part = roster_part;
	_pchat_roster.part_all = roster_part_all;
	_pchat_roster.snapshot = roster_snapshot;
	_pchat_roster.free_snapshot = roster_free_snapshot;
	_pchat_roster.snapshot_newest = roster_snapshot_newest;
	_pchat_roster.count = roster_count;
	_pchat_roster.user_present = roster_user_present;
	_pchat_roster.rooms_of = roster_rooms_of;
	njoined = 0;
}

/* Every envelope the server writes must parse as XCCOS again. */
void fuzz_check_envelope(const char *what, const char *s, int len)
{
	pchat_xccos_env_t env;
	const char *why = NULL;
	pchat_xccos_err_t e;

	e = pchat_xccos_parse(s, len, 0, &env, &why);
	if(e != PCHAT_XCCOS_OK) {
		fprintf(stderr, "%s is not a valid envelope (%d: %s): %.*s\n", what,
				(int)e, why ? why : "", len, s);
		abort();
	}
	pchat_xccos_free(&env);
}

/* pchat_access.c's post cache ages its answers by this clock: each call
 * is 2 s later, so no answer outlives the input that made it (a run must
 * not depend on the inputs before it). */
unsigned long long pchat_monotonic_ms(void)
{
	static unsigned long long now;

	return now += 2000;
}

/* The post writer (pchat_writer.c) is not linked: fuzz_cmd runs commands
 * with may_defer 0, so posts are stored in place and never queued. */
pchat_post_t *pchat_post_new(long long room_id, int keep, str *user,
		str *text, str *chan_uri, const char *room_name)
{
	abort();
}

/* compliance capture is off in the fuzzed store (its config row absent):
 * nothing is recorded; the store calls succeed if reached */
pchat_store_rc_t pchat_compliance_event(const pchat_cevent_t *e)
{
	return PCHAT_STORE_OK;
}

int pchat_json_quote(char *buf, int size, const char *s)
{
	return snprintf(buf, size, "\"\"");
}

pchat_store_rc_t pchat_compliance_join(const pchat_cevent_t *e)
{
	return PCHAT_STORE_OK;
}

pchat_store_rc_t pchat_compliance_part(const pchat_cevent_t *e)
{
	return PCHAT_STORE_OK;
}

/* History search (pchat_search.c, text SQL): the history rows above as
 * matches of any query, in two rooms, when the store answers; their story
 * columns after the room (PCHAT_SEARCH_COL_STORY). */
pchat_store_rc_t pchat_search_messages(
		const pchat_search_q_t *q, pchat_db_res_t *res)
{
	const char *cells[3 * 11];
	pchat_store_rc_t rc;
	int i, k, n;

	memset(res, 0, sizeof(*res));
	if(q->nrooms <= 0 || q->limit <= 0)
		return PCHAT_STORE_OK;
	if((rc = store_call()) != PCHAT_STORE_OK)
		return rc;
	n = q->limit < 3 ? q->limit : 3;
	for(i = 0; i < n; i++) {
		for(k = 0; k < 6; k++)
			cells[i * 11 + k] = msgs[i][k];
		cells[i * 11 + 6] = i < 2 ? "1" : "3";
		cells[i * 11 + 7] = i < 2 ? FUZZ_GUID_OPEN : FUZZ_GUID_SECRET;
		for(k = 0; k < 3; k++)
			cells[i * 11 + PCHAT_SEARCH_COL_STORY + k] = msgs[i][6 + k];
	}
	res_set(res, n, 11, cells);
	return PCHAT_STORE_OK;
}

int pchat_search_timed_out(void)
{
	return 0;
}

/* ---- followed rooms (pchat_follow.c): the three rooms above, read up
 * to the second newest post, through the fake store's failures ---- */
int pchat_follow_add(str *user, long long room_id, int max)
{
	pchat_store_rc_t rc = store_call();

	if(rc != PCHAT_STORE_OK)
		return rc;
	return room_id == 3 ? PCHAT_FOLLOW_FULL : PCHAT_FOLLOW_ADDED;
}

int pchat_follow_remove(str *user, const char *guid)
{
	pchat_store_rc_t rc = store_call();

	return rc != PCHAT_STORE_OK ? rc : strcmp(guid, FUZZ_GUID_OPEN) == 0;
}

int pchat_follow_get(str *user, long long room_id, long long *last_read)
{
	pchat_store_rc_t rc = store_call();

	if(rc != PCHAT_STORE_OK)
		return rc;
	*last_read = 6;
	return room_id != 2;
}

pchat_store_rc_t pchat_follow_mark(str *user, long long room_id, long long seq)
{
	return store_call();
}

pchat_store_rc_t pchat_follow_rooms(str *user, pchat_db_res_t *res)
{
	const char *cells[3 * 4];
	pchat_store_rc_t rc;
	int i;

	memset(res, 0, sizeof(*res));
	if((rc = store_call()) != PCHAT_STORE_OK)
		return rc;
	for(i = 0; i < 3; i++) {
		cells[i * 4] = rooms[i][0];
		cells[i * 4 + 1] = "6";
		cells[i * 4 + 2] = "1767225600000";
		cells[i * 4 + 3] = rooms[i][1];
	}
	res_set(res, 3, 4, cells);
	return PCHAT_STORE_OK;
}

pchat_store_rc_t pchat_follow_unread(str *user, long long room_id,
		long long last_read, int cap, int *count)
{
	*count = room_id == 1 ? cap : 1;
	return store_call();
}

/* the newest post and an unread count: the cap in room 1, else 2 */
pchat_store_rc_t pchat_follow_newest(str *user, long long room_id,
		long long last_read, int cap, pchat_db_res_t *res)
{
	const char *cells[7];
	char count[16];
	pchat_store_rc_t rc;
	int k;

	memset(res, 0, sizeof(*res));
	if((rc = store_call()) != PCHAT_STORE_OK)
		return rc;
	for(k = 0; k < 6; k++)
		cells[k] = msgs[0][k];
	snprintf(count, sizeof(count), "%d", room_id == 1 ? cap : 2);
	cells[6] = count;
	res_set(res, 1, 7, cells);
	return PCHAT_STORE_OK;
}

/* ---- files (pchat_file.c): through the fake store's failures ---- */
int pchat_file_enabled(void)
{
	return 1;
}

const char *pchat_file_service_uri(void)
{
	return "https://files.example.com/files";
}

const char *pchat_file_name_refusal(const char *name)
{
	return name == NULL || name[0] == '\0' || strchr(name, '/') ? "bad name"
																: NULL;
}

pchat_store_rc_t pchat_file_upload_new(long long room_id, str *user,
		const char *original, long long now_ms, char *token)
{
	strcpy(token, "0123456789abcdef0123456789abcdef");
	return store_call();
}

pchat_store_rc_t pchat_file_download_token(str *user, long long room_id,
		long long file_id, long long now_ms, char *token)
{
	strcpy(token, "fedcba9876543210fedcba9876543210");
	return store_call();
}

int pchat_file_by_name(long long room_id, const char *stored, pchat_file_t *f)
{
	pchat_store_rc_t rc = store_call();

	memset(f, 0, sizeof(*f));
	if(rc != PCHAT_STORE_OK)
		return rc;
	if(stored == NULL || strcmp(stored, "a.txt") != 0)
		return 0;
	f->id = 1;
	f->room_id = room_id;
	return 1;
}

pchat_store_rc_t pchat_file_set_post(long long file_id, long long seq, int kept)
{
	return store_call();
}

/* the counters (pchat_metrics.c needs Kamailio's counters): not counted */
void pchat_metric_inc(pchat_metric_t m)
{
}

void pchat_hist_observe(pchat_hist_t h, unsigned long long us)
{
}

/* alerts (pchat_alert.c): the command layer only tells the alert process
 * that subscriptions changed and hands it committed posts */
void pchat_alert_changed(void)
{
}

void pchat_alert_offer(long long room_id, long long seq, long long ts_ms,
		str *author, str *text, str *chan_uri)
{
}
