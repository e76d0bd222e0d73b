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
/* The alert process: queue, matching, delivery. See pchat_alert.h. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/cfg/cfg_struct.h"
#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/mem.h"
#include "core/mem/shm_mem.h"
#include "core/parser/msg_parser.h"
#include "core/pt.h"
#include "modules/tm/tm_load.h"

#include "pchat_access.h"
#include "pchat_alert.h"
#include "pchat_alert_match.h"
#include "pchat_alert_store.h"
#include "pchat_cmd.h"
#include "pchat_mod.h"
#include "pchat_proc.h"
#include "pchat_send.h"
#include "pchat_session.h"
#include "pchat_uri.h"

/* Other nodes' subscriptions reach this node's matcher within this. */
#define PCHAT_ALERT_CHECK_MS 1000

typedef struct pchat_alert_item
{
	struct pchat_alert_item *next;
	long long room_id, seq, ts_ms;
	str author, text, chan_uri;
	char data[];
} pchat_alert_item_t;

typedef struct pchat_alert_shm
{
	gen_lock_t lock;
	pchat_alert_item_t *head, *tail;
	int queued;
	int active;           /* any subscription: posts are worth queueing */
	unsigned int changes; /* adds and removes made on this node */
	pchat_alert_stats_t st;
} pchat_alert_shm_t;

static pchat_alert_shm_t *_pa;
static int _pa_max_queue;
static int _pa_pipe[2];
static str _pa_proxy = {0, 0}, _pa_from = {0, 0};

/* the process's own state */
static pchat_amatch_t _pa_m;
static int *_pa_out;
static unsigned int _pa_seen;
static long long _pa_count = -1, _pa_max_id = -1;
static unsigned long long _pa_checked_ms;

static const str _pa_method = str_init("MESSAGE");
static const str _pa_hdrs =
		str_init("Content-Type: text/plain;charset=utf-8\r\n");

void pchat_alert_offer(long long room_id, long long seq, long long ts_ms,
		str *author, str *text, str *chan_uri)
{
	pchat_alert_item_t *it;
	char *p;

	if(_pa == NULL || !_pa->active)
		return;
	it = shm_malloc(
			sizeof(*it) + author->len + text->len + chan_uri->len + 3);
	if(it == NULL) {
		SHM_MEM_ERROR;
		return;
	}
	it->next = NULL;
	it->room_id = room_id;
	it->seq = seq;
	it->ts_ms = ts_ms;
	p = it->data;
	it->author = (str){p, author->len};
	memcpy(p, author->s, author->len);
	p[author->len] = '\0';
	p += author->len + 1;
	it->text = (str){p, text->len};
	memcpy(p, text->s, text->len);
	p[text->len] = '\0';
	p += text->len + 1;
	it->chan_uri = (str){p, chan_uri->len};
	memcpy(p, chan_uri->s, chan_uri->len);
	p[chan_uri->len] = '\0';
	lock_get(&_pa->lock);
	if(_pa->queued >= _pa_max_queue) {
		_pa->st.dropped++;
		lock_release(&_pa->lock);
		shm_free(it);
		return;
	}
	if(_pa->tail)
		_pa->tail->next = it;
	else
		_pa->head = it;
	_pa->tail = it;
	_pa->queued++;
	lock_release(&_pa->lock);
	if(write(_pa_pipe[1], "a", 1) < 0) {
		/* full pipe: the process is awake anyway */
	}
}

void pchat_alert_changed(void)
{
	if(_pa == NULL)
		return;
	lock_get(&_pa->lock);
	_pa->changes++;
	_pa->active = 1; /* until the reload says otherwise */
	lock_release(&_pa->lock);
	if(write(_pa_pipe[1], "c", 1) < 0) {
	}
}

void pchat_alert_stats(pchat_alert_stats_t *out)
{
	memset(out, 0, sizeof(*out));
	if(_pa == NULL)
		return;
	lock_get(&_pa->lock);
	*out = _pa->st;
	lock_release(&_pa->lock);
}

static unsigned long long pchat_alert_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

/* --- the subscriptions in memory ---------------------------------------- */

static void pchat_alert_load(void)
{
	pchat_amatch_in_t *in = NULL;
	pchat_amatch_t m;
	pchat_db_res_t res;
	int i, *out;

	if(pchat_alert_store_load(&res) != PCHAT_STORE_OK)
		return;
	if(res.nrows > 0 && (in = pkg_malloc(res.nrows * sizeof(*in))) == NULL) {
		PKG_MEM_ERROR;
		pchat_db_res_free(&res);
		return;
	}
	for(i = 0; i < res.nrows; i++) {
		in[i].id = strtoll(res.rows[i][0], NULL, 10);
		in[i].room_id = strtoll(res.rows[i][1], NULL, 10);
		in[i].kind = strcmp(res.rows[i][2], "author") == 0
							 ? PCHAT_AMATCH_AUTHOR
							 : PCHAT_AMATCH_WORD;
		in[i].user = res.rows[i][3];
		in[i].key = res.rows[i][4] ? res.rows[i][4] : "";
	}
	i = pchat_amatch_build(&m, in, res.nrows);
	out = pkg_malloc((res.nrows ? res.nrows : 1) * sizeof(int));
	if(in)
		pkg_free(in);
	pchat_db_res_free(&res);
	if(i < 0 || out == NULL) {
		PKG_MEM_ERROR;
		pchat_amatch_free(&m);
		if(out)
			pkg_free(out);
		return;
	}
	pchat_amatch_free(&_pa_m);
	if(_pa_out)
		pkg_free(_pa_out);
	_pa_m = m;
	_pa_out = out;
	lock_get(&_pa->lock);
	_pa->st.subs = m.nsubs;
	_pa->active = m.nsubs > 0;
	lock_release(&_pa->lock);
}

/* Reloads after a change here at once, after one on another node within
 * PCHAT_ALERT_CHECK_MS (the table's count and highest id changed). */
static void pchat_alert_refresh(void)
{
	unsigned long long now = pchat_monotonic_ms();
	unsigned int changes;
	long long count, max_id;

	lock_get(&_pa->lock);
	changes = _pa->changes;
	lock_release(&_pa->lock);
	if(changes == _pa_seen && now - _pa_checked_ms < PCHAT_ALERT_CHECK_MS)
		return;
	if(pchat_alert_store_stamp(&count, &max_id) != PCHAT_STORE_OK)
		return;
	_pa_checked_ms = now;
	if(changes == _pa_seen && count == _pa_count && max_id == _pa_max_id)
		return;
	_pa_seen = changes;
	_pa_count = count;
	_pa_max_id = max_id;
	pchat_alert_load();
}

/* --- delivery ------------------------------------------------------------ */

/* The notice, the same for every session it goes to. */
static void pchat_alert_notice(pchat_xbuf_t *b, pchat_alert_item_t *it,
		pchat_room_t *room)
{
	char ts[40];

	pchat_xccos_format_ts(ts, it->ts_ms);
	pchat_xw_env_start(b, pchat_cmd_next_envid());
	pchat_xw_ntc_start(b, PCHAT_ALERT_NOTICE);
	pchat_xw_start(b, "alert");
	pchat_xw_attr(b, "chanUri", it->chan_uri.s);
	pchat_xw_attr(b, "name", room->name);
	pchat_xw_attr_int(b, "msgid", it->seq);
	pchat_xw_attr(b, "author", it->author.s);
	pchat_xw_attr(b, "ts", ts);
	pchat_xw_start(b, "chat");
	pchat_xw_text(b, it->text.s,
			pchat_xccos_utf8_prefix(it->text.s, PCHAT_ALERT_TEXT_MAX));
	pchat_xw_end(b, "chat");
	pchat_xw_end(b, "alert");
	pchat_xw_ntc_end(b);
	pchat_xw_env_end(b);
}

typedef struct pchat_alert_walk
{
	char **users; /* sorted */
	int n;
	pchat_session_ref_t *refs;
	int *who;
	int nrefs, size;
} pchat_alert_walk_t;

static int pchat_alert_ucmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int pchat_alert_collect(pchat_session_t *s, void *param)
{
	pchat_alert_walk_t *w = param;
	char key[PCHAT_TEXT_MAX], *k = key, **hit;
	void *more;

	if(s->expires == 0 || s->user.len >= (int)sizeof(key))
		return 0;
	memcpy(key, s->user.s, s->user.len);
	key[s->user.len] = '\0';
	hit = bsearch(&k, w->users, w->n, sizeof(char *), pchat_alert_ucmp);
	if(hit == NULL)
		return 0;
	if(w->nrefs == w->size) {
		more = pkg_realloc(w->refs, (w->size * 2 + 16) * sizeof(*w->refs));
		if(more == NULL)
			return -1;
		w->refs = more;
		more = pkg_realloc(w->who, (w->size * 2 + 16) * sizeof(*w->who));
		if(more == NULL)
			return -1;
		w->who = more;
		w->size = w->size * 2 + 16;
	}
	w->refs[w->nrefs] = (pchat_session_ref_t){s->hid, s->id};
	w->who[w->nrefs++] = hit - w->users;
	return 0;
}

/* "[room] author: text" to the user's AOR through the front-end, which
 * delivers it to the registered contacts or keeps it until the user
 * registers. */
static void pchat_alert_message(const char *user, str *body)
{
	uac_req_t r;
	str ruri = {(char *)user, strlen(user)};

	if(_pa_proxy.len == 0)
		return;
	set_uac_req(&r, (str *)&_pa_method, (str *)&_pa_hdrs, body, NULL, 0,
			NULL, NULL);
	if(_pchat_tmb.t_request(&r, &ruri, &ruri, &_pa_from, &_pa_proxy) < 0) {
		LM_ERR("cannot send the alert MESSAGE to %s\n", user);
		return;
	}
	_pa->st.messages++;
}

/* Sends the notice to every session of the users; the users without one
 * (offline, plain SIP, on another node) get the MESSAGE. */
static void pchat_alert_send(pchat_alert_walk_t *w, str *notice, str *text)
{
	pchat_session_t *s;
	char *got;
	int i;

	got = pkg_mallocxz(w->n ? w->n : 1);
	if(got == NULL)
		return;
	if(pchat_session_walk(pchat_alert_collect, w) < 0)
		LM_ERR("out of memory: some sessions get no alert\n");
	for(i = 0; i < w->nrefs; i++) {
		s = pchat_session_get(&w->refs[i]);
		if(s == NULL)
			continue;
		if(pchat_send_info(s, notice) == 0) {
			got[w->who[i]] = 1;
			_pa->st.notices++;
		}
		pchat_session_release(s);
	}
	for(i = 0; i < w->n; i++)
		if(!got[i])
			pchat_alert_message(w->users[i], text);
	pkg_free(got);
}

/* Is the user allowed to read the room whose roles and walls are rows?
 * Not when the store cannot say: an alert is never sent unchecked. */
static int pchat_alert_may_read(
		pchat_room_t *room, pchat_db_res_t *rows, const char *user)
{
	pchat_viewer_t v;
	pchat_perm_in_t in;
	str u = {(char *)user, strlen(user)};
	int ok = 0;

	if(pchat_viewer_load(&v, &u) == PCHAT_STORE_OK
			&& pchat_room_access_rows(room, &v, rows->rows, rows->nrows, &in)
					   == PCHAT_STORE_OK)
		ok = (pchat_perm_eval(&in) & PCHAT_PERM_READ) != 0;
	pchat_viewer_free(&v);
	return ok;
}

/* The users who may read the room, sorted, into w->users: the room's
 * roles and walls read once, each user's policy and groups then. */
static void pchat_alert_readers(pchat_alert_walk_t *w, pchat_room_t *room,
		int *users, int k)
{
	pchat_db_res_t rows;
	int i;

	if(pchat_room_access_load(room, &rows) != PCHAT_STORE_OK) {
		LM_WARN("room %lld: cannot read its rules: %d alerts not sent\n",
				room->id, k);
		return;
	}
	for(i = 0; i < k; i++) {
		if(!pchat_alert_may_read(room, &rows, _pa_m.users[users[i]])) {
			_pa->st.denied++;
			continue;
		}
		w->users[w->n++] = _pa_m.users[users[i]];
		_pa->st.alerted++;
	}
	pchat_db_res_free(&rows);
	qsort(w->users, w->n, sizeof(char *), pchat_alert_ucmp);
}

static void pchat_alert_deliver(pchat_alert_item_t *it, int *users, int k)
{
	int cut = pchat_xccos_utf8_prefix(it->text.s, PCHAT_ALERT_TEXT_MAX);
	pchat_alert_walk_t w;
	pchat_room_t room;
	pchat_xbuf_t b;
	str notice, text;

	if(pchat_room_by_id(it->room_id, &room) <= 0)
		return;
	memset(&w, 0, sizeof(w));
	text.len = strlen(room.name) + it->author.len + cut + 8;
	w.users = pkg_malloc(k * sizeof(char *));
	text.s = pkg_malloc(text.len);
	if(w.users == NULL || text.s == NULL) {
		PKG_MEM_ERROR;
		goto done;
	}
	text.len = snprintf(text.s, text.len, "[%s] %s: %.*s", room.name,
			it->author.s, cut, it->text.s);
	pchat_alert_readers(&w, &room, users, k);
	pchat_xbuf_init(&b);
	pchat_alert_notice(&b, it, &room);
	if(w.n > 0 && !b.err) {
		notice = (str){b.s, b.len};
		pchat_alert_send(&w, &notice, &text);
	}
	pchat_xbuf_free(&b);
done:
	if(text.s)
		pkg_free(text.s);
	if(w.users)
		pkg_free(w.users);
	if(w.refs)
		pkg_free(w.refs);
	if(w.who)
		pkg_free(w.who);
}

int pchat_alert_kept_below(struct sip_msg *msg, int max)
{
	long long n;

	if(parse_sip_msg_uri(msg) < 0 || msg->parsed_uri.user.len == 0) {
		LM_INFO("an alert without a user in its Request-URI\n");
		return -1;
	}
	n = pchat_alert_store_kept(&msg->parsed_uri.user, &msg->parsed_uri.host);
	if(n < 0)
		LM_ERR("cannot count the alerts kept for %.*s@%.*s\n",
				msg->parsed_uri.user.len, msg->parsed_uri.user.s,
				msg->parsed_uri.host.len, msg->parsed_uri.host.s);
	return n >= 0 && n < max ? 1 : -1;
}

/* --- the process --------------------------------------------------------- */

/* One post whose weights (hex) MariaDB gave: the matcher, then delivery. */
static void pchat_alert_post(pchat_alert_item_t *it, const char *hex)
{
	unsigned long long t0;
	unsigned short *w;
	int n, k;

	n = hex ? (int)strlen(hex) / 4 : 0;
	w = pkg_malloc((n ? n : 1) * sizeof(*w));
	if(w == NULL || pchat_amatch_weights(hex ? hex : "", w, n) != n) {
		if(w)
			pkg_free(w);
		return;
	}
	t0 = pchat_monotonic_us();
	k = pchat_amatch_run(&_pa_m, it->room_id, it->author.s, w, n, _pa_out,
			_pa_m.nusers);
	_pa->st.match_us += pchat_monotonic_us() - t0;
	pkg_free(w);
	if(k > 0)
		pchat_alert_deliver(it, _pa_out, k);
}

/* Up to PCHAT_ALERT_FOLD_MAX posts: their weights in one round trip, then
 * each matched. Returns the post after them. */
static pchat_alert_item_t *pchat_alert_batch(pchat_alert_item_t *it)
{
	const char *texts[PCHAT_ALERT_FOLD_MAX];
	pchat_alert_item_t *first = it, *next;
	unsigned long long t0, c0 = pchat_alert_cpu_us();
	pchat_db_res_t res;
	int i, n;

	for(n = 0; it && n < PCHAT_ALERT_FOLD_MAX; it = it->next)
		texts[n++] = it->text.s;
	t0 = pchat_monotonic_us();
	if(_pa_m.nsubs == 0
			|| pchat_alert_store_weights_n(texts, n, &res) != PCHAT_STORE_OK)
		res.nrows = 0;
	_pa->st.fold_us += pchat_monotonic_us() - t0;
	for(i = 0, it = first; i < n; i++, it = next) {
		next = it->next;
		if(res.nrows > 0 && res.ncols == n)
			pchat_alert_post(it, res.rows[0][i]);
		shm_free(it);
	}
	if(res.nrows > 0)
		pchat_db_res_free(&res);
	_pa->st.cpu_us += pchat_alert_cpu_us() - c0;
	_pa->st.posts += n;
	return it;
}

static pchat_alert_item_t *pchat_alert_take(void)
{
	pchat_alert_item_t *all;

	lock_get(&_pa->lock);
	all = _pa->head;
	_pa->head = _pa->tail = NULL;
	_pa->queued = 0;
	lock_release(&_pa->lock);
	return all;
}

static void pchat_alert_loop(int unused)
{
	pchat_alert_item_t *it;

	for(;;) {
		cfg_update();
		pchat_alert_refresh();
		it = pchat_alert_take();
		if(it == NULL) {
			pchat_proc_wait(_pa_pipe[0], PCHAT_ALERT_CHECK_MS);
			continue;
		}
		while(it)
			it = pchat_alert_batch(it);
	}
}

int pchat_alert_mod_init(int max_queue, char *proxy, char *from)
{
	pchat_uri_t *u;

	_pa_max_queue = max_queue;
	_pa = shm_malloc(sizeof(*_pa));
	if(_pa == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_pa, 0, sizeof(*_pa));
	_pa->active = 1; /* until the first load */
	if(lock_init(&_pa->lock) == NULL)
		return -1;
	if(proxy && proxy[0])
		_pa_proxy = (str){proxy, strlen(proxy)};
	if(from && from[0]) {
		_pa_from = (str){from, strlen(from)};
	} else {
		for(u = pchat_uri_list(); u; u = u->next)
			if(u->kind == PCHAT_URI_SERVICE && _pa_from.len == 0)
				_pa_from = u->uri;
	}
	if(pchat_proc_pipe(_pa_pipe, "alert process's") < 0)
		return -1;
	if(register_procs(1) < 0)
		return -1;
	cfg_register_child(1);
	return 0;
}

int pchat_alert_start(void)
{
	return pchat_proc_fork("PCHAT ALERT", pchat_alert_loop, 0) < 0 ? -1 : 0;
}
