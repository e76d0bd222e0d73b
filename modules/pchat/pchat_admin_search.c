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
/* Admin RPC pchat.search: history search for administrators (who wrote
 * what, where), over every room or the rooms named, with the matching of
 * cmd:chatsrch (pchat_search.c). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pchat_admin.h"
#include "pchat_admin_comply.h"
#include "pchat_admin_rpc.h"
#include "pchat_access.h"
#include "pchat_compliance.h"
#include "pchat_identity.h"
#include "pchat_search.h"
#include "pchat_search_index.h"

#define PCHAT_ASRCH_DEFAULT 100
#define PCHAT_ASRCH_MAX 10000

typedef struct pchat_asrch
{
	pchat_search_q_t q;
	char text[4 * PCHAT_SEARCH_TEXT_MAX + 1];
	char authors[PCHAT_SEARCH_AUTHORS_MAX][PCHAT_IDENTITY_MAX];
	const char *author_p[PCHAT_SEARCH_AUTHORS_MAX];
	long long rooms[PCHAT_SEARCH_ROOMS_MAX];
} pchat_asrch_t;

/* who=: the authors, canonical. */
static int pchat_asrch_who(pchat_args_t *args, pchat_asrch_t *s)
{
	char in[PCHAT_IDENTITY_MAX];
	int iter = 0, r;
	str v;

	while((r = pchat_args_next(args, "who", &iter, &v)) > 0) {
		if(s->q.nauthors == PCHAT_SEARCH_AUTHORS_MAX)
			return pchat_args_error(args, 400, "field 'who': more than %d",
					PCHAT_SEARCH_AUTHORS_MAX);
		snprintf(in, sizeof(in), "%.*s", v.len, v.s);
		if(pchat_identity_canon(in, strlen(in), s->authors[s->q.nauthors],
				   PCHAT_IDENTITY_MAX, NULL)
				<= 0)
			return pchat_args_error(args, 400,
					"field 'who': '%s' is not a user URI (sip:user@domain)", in);
		s->author_p[s->q.nauthors] = s->authors[s->q.nauthors];
		s->q.nauthors++;
	}
	s->q.authors = s->author_p;
	return r;
}

/* room=: a room by name, guid or ma-chan:// URI. */
static int pchat_asrch_room(pchat_args_t *args, const char *in, long long *id)
{
	char guid[64];
	const char *key = in;
	pchat_db_res_t res;
	pchat_store_rc_t rc;

	if(pchat_room_guid_of_uri(in, guid, sizeof(guid)) == 0)
		key = guid;
	rc = pchat_db_exec("SELECT id FROM pchat_node WHERE kind = 'room' AND "
					   "(guid = ? OR name = ?) ORDER BY guid = ? DESC LIMIT 1",
			&res, key, key, key);
	if(rc != PCHAT_STORE_OK)
		return pchat_admin_store_error(args, rc, "looking up the room");
	*id = res.nrows > 0 ? strtoll(res.rows[0][0], NULL, 10) : 0;
	pchat_db_res_free(&res);
	if(*id == 0)
		return pchat_args_error(args, 404, "field 'room': no room '%s'", in);
	return 0;
}

static int pchat_asrch_rooms(pchat_args_t *args, pchat_asrch_t *s)
{
	char in[PCHAT_TEXT_MAX];
	int iter = 0, r;
	str v;

	while((r = pchat_args_next(args, "room", &iter, &v)) > 0) {
		if(s->q.nrooms == PCHAT_SEARCH_ROOMS_MAX)
			return pchat_args_error(args, 400, "field 'room': more than %d",
					PCHAT_SEARCH_ROOMS_MAX);
		snprintf(in, sizeof(in), "%.*s", v.len, v.s);
		if(pchat_asrch_room(args, in, &s->rooms[s->q.nrooms]) < 0)
			return -1;
		s->q.nrooms++;
	}
	s->q.rooms = s->rooms;
	s->q.any_room = s->q.nrooms == 0;
	return r;
}

static int pchat_asrch_args(pchat_args_t *args, pchat_asrch_t *s)
{
	char before[80] = "";
	int limit = PCHAT_ASRCH_DEFAULT, n = 0;

	memset(s, 0, sizeof(*s));
	if(pchat_args_cstr(args, "text", s->text, sizeof(s->text)) < 0
			|| pchat_args_time(args, "start_date", &s->q.from_ms) < 0
			|| pchat_args_time(args, "end_date", &s->q.to_ms) < 0
			|| pchat_args_cstr(args, "before", before, sizeof(before)) < 0
			|| pchat_args_int(args, "result_size", 1, PCHAT_ASRCH_MAX, &limit)
					   < 0
			|| pchat_asrch_who(args, s) < 0 || pchat_asrch_rooms(args, s) < 0)
		return -1;
	if(!pchat_identity_utf8_ok((unsigned char *)s->text, strlen(s->text)))
		return pchat_args_error(args, 400, "field 'text' is not UTF-8");
	s->q.text = s->text;
	if(before[0]
			&& (sscanf(before, "%lld.%lld.%lld%n", &s->q.before_ts,
						&s->q.before_room, &s->q.before_seq, &n)
							!= 3
					|| before[n] != '\0'))
		return pchat_args_error(args, 400,
				"field 'before': '%s' is not the cursor of an earlier answer",
				before);
	s->q.limit = limit;
	return 0;
}

/* Compliance: administrators' searches are recorded too, as "rpc". */
static int pchat_asrch_comply(pchat_args_t *args, pchat_asrch_t *s, int found)
{
	static str rpc_user = STR_STATIC_INIT("rpc");
	pchat_cevent_t e;
	pchat_store_rc_t rc;
	char detail[200];

	if(!pchat_admin_comply_on())
		return 0;
	snprintf(detail, sizeof(detail),
			"{\"search\": \"history\", \"rpc\": \"pchat.search\", "
			"\"rooms\": %d, \"authors\": %d, \"found\": %d}",
			s->q.nrooms, s->q.nauthors, found);
	memset(&e, 0, sizeof(e));
	e.type = "SEARCH";
	e.ts_ms = pchat_compliance_now_ms();
	e.user = &rpc_user;
	e.content = s->q.text;
	e.detail = detail;
	rc = pchat_compliance_event(&e);
	return rc == PCHAT_STORE_OK
				   ? 0
				   : pchat_admin_store_error(args, rc, "recording the search");
}

static int pchat_asrch_row(rpc_t *rpc, void *ctx, char **row)
{
	char **st = row + PCHAT_SEARCH_COL_STORY; /* is_story, is_alert, title */
	char uri[128], cursor[80];
	void *th;

	pchat_admin_node_uri("room", row[7], uri, sizeof(uri));
	snprintf(cursor, sizeof(cursor), "%s.%s.%s", row[1], row[6], row[0]);
	if(rpc->add(ctx, "{", &th) < 0)
		return -1;
	return rpc->struct_add(th, "ssssssssbbs", "room", uri, "msgid", row[0],
			"ts_ms", row[1], "author", row[2], "text", row[3], "change",
			row[4] ? row[4] : "", "changed_ms", row[5] ? row[5] : "",
			"cursor", cursor, "story", st[0] && st[0][0] == '1', "alert",
			st[1] && st[1][0] == '1', "title", st[2] ? st[2] : "");
}

static const char *pchat_rpc_search_doc[] = {
		"History search for administrators, over every room (or the rooms "
		"given): text= (substring, case and accents folded), who= (author, "
		"sip:user@domain; repeatable), room= (name, guid or ma-chan:// URI; "
		"repeatable), start_date=, end_date= (ISO 8601), result_size= "
		"(default 100), before= (the cursor of the last item of a page). "
		"Newest first; a SEARCH compliance event when compliance is on.",
		0};

static void pchat_rpc_search(rpc_t *rpc, void *ctx)
{
	pchat_asrch_t *s;
	pchat_args_t args;
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	int i;

	s = malloc(sizeof(*s));
	if(s == NULL) {
		rpc->fault(ctx, 500, "out of memory");
		return;
	}
	if(pchat_args_scan(rpc, ctx, &args) < 0 || pchat_asrch_args(&args, s) < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	rc = pchat_search_messages(&s->q, &res);
	if(rc == PCHAT_STORE_ERROR && pchat_search_timed_out()) {
		pchat_args_error(&args, 500,
				"the search took longer than %d s: narrow it (room, who, "
				"start_date, end_date, a longer text)",
				PCHAT_SEARCH_TIME_MAX_S);
		goto fault;
	}
	if(rc != PCHAT_STORE_OK) {
		pchat_admin_store_error(&args, rc, "searching the history");
		goto fault;
	}
	if(pchat_asrch_comply(&args, s, res.nrows) < 0) {
		pchat_db_res_free(&res);
		goto fault;
	}
	for(i = 0; i < res.nrows; i++)
		if(pchat_asrch_row(rpc, ctx, res.rows[i]) < 0)
			break;
	pchat_db_res_free(&res);
	free(s);
	return;
fault:
	free(s);
	pchat_admin_fault(rpc, ctx, &args);
}

static const char *pchat_rpc_search_index_doc[] = {
		"The text index of the history search on this node: mode (auto, "
		"off), ready (the side table is used), watermark_ms and lag_ms "
		"(posts recorded up to the watermark are indexed), indexed (rows "
		"written into this DB node's index), rounds, rows, last_rows, "
		"write_us and us_per_row (this node's indexer), error, newest (1: "
		"the index has ts_ms, its hits asked newest first), answered and "
		"answered_newest (searches it answered on this node); the newest "
		"posts' index: recent_posts (search_recent_posts), recent_ready, "
		"recent_from_ms (it holds every post from this ts_ms on), "
		"recent_lag_ms, recent_indexed, recent_write_us and "
		"answered_recent.",
		0};

static void pchat_rpc_search_index(rpc_t *rpc, void *ctx)
{
	pchat_sidx_stats_t st;
	void *th;

	pchat_sidx_status(&st);
	if(rpc->add(ctx, "{", &th) < 0)
		return;
	rpc->struct_add(th, "sdLLLLLLLLsdLLLddLLLL", "mode",
			st.mode ? "auto" : "off", "ready", st.ready, "watermark_ms",
			st.wm_ms, "lag_ms", st.lag_ms, "indexed", st.indexed, "rounds", st.rounds, "rows", st.rows,
			"last_rows", st.last_rows, "write_us", st.write_us, "us_per_row",
			st.rows > 0 ? st.write_us / st.rows : 0LL, "error", st.error,
			"newest", st.newest, "answered", st.answered, "answered_newest",
			st.answered_newest, "answered_recent", st.answered_recent,
			"recent_posts", st.recent_posts, "recent_ready", st.recent_ready,
			"recent_from_ms", st.recent_from_ms, "recent_lag_ms",
			st.recent_lag_ms, "recent_indexed", st.recent_indexed,
			"recent_write_us", st.recent_write_us);
}

/* clang-format off */
rpc_export_t pchat_admin_search_rpc[] = {
	{"pchat.search", pchat_rpc_search, pchat_rpc_search_doc, RET_ARRAY},
	{"pchat.search_index", pchat_rpc_search_index, pchat_rpc_search_index_doc,
		0},
	{0, 0, 0, 0}
};
/* clang-format on */
