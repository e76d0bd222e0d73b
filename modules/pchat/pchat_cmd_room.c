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
/* Commands layer: join, bjoin, part, bccontext and posting (grpchat),
 * with the notices they queue for a room. Never parses SIP. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/dprint.h"
#include "core/hashes.h"
#include "core/mem/pkg.h"

#include "pchat_alert.h"
#include "pchat_cmd_room.h"
#include "pchat_cmd_story.h"
#include "pchat_compliance.h"
#include "pchat_identity.h"
#include "pchat_fanout.h"
#include "pchat_mod.h"
#include "pchat_pool.h"
#include "pchat_access.h"
#include "pchat_config.h"
#include "pchat_session.h"
#include "pchat_writer.h"
#include "pchat_metrics.h"

#define PCHAT_AIB_MEMBERS "3984"   /* role class of participants */
#define PCHAT_AIB_MANAGERS "12276" /* role class of channel operators */
#define PCHAT_BJOIN_MAX 256
/* The least a (b)join reply takes: per room (a fib or an empty chanib),
 * besides, and per listed user. */
#define PCHAT_JOIN_ROOM_MIN 160
#define PCHAT_JOIN_OVERHEAD 256
#define PCHAT_UIB_MIN 24
/* a listed user's uib and id in the aib besides its URI, about */
#define PCHAT_UIB_EACH 28
#define PCHAT_ROOMS_OF_MAX 1024

static void pchat_room_uri(pchat_cmd_ctx_t *ctx, const char *guid, char *buf,
		int size)
{
	snprintf(buf, size, "ma-chan://%.*s/%s", ctx->invited->host.len,
			ctx->invited->host.s, guid);
}

static void pchat_domain(pchat_cmd_ctx_t *ctx, char *buf, int size)
{
	snprintf(buf, size, "%.*s", ctx->invited->host.len, ctx->invited->host.s);
}

static pchat_xbuf_t *pchat_notice(pchat_cmd_ctx_t *ctx, long long room_id,
		unsigned int except, const char *name)
{
	pchat_xbuf_t *b = pchat_cmd_deliver(ctx, room_id, except);

	if(b == NULL)
		return NULL;
	pchat_xw_env_start(b, pchat_cmd_next_envid());
	pchat_xw_ntc_start(b, name);
	return b;
}

static void pchat_notice_end(pchat_xbuf_t *b)
{
	pchat_xw_ntc_end(b);
	pchat_xw_env_end(b);
}

/* --- join / bjoin ------------------------------------------------------ */

typedef struct pchat_joined
{
	pchat_room_t room;
	pchat_roster_snapshot_t snap;   /* this node's participants (the
									 * newest the reply can hold) */
	int online; /* this node's participants, all of them */
	pchat_roster_snapshot_t remote; /* the other nodes' (small rooms) */
	int partial; /* a node has more participants than it names */
	int is_new;
	int followed; /* added by bjoin from the followed rooms (3.18) */
	int cut;  /* its roster did not fit the reply, or is partial */
	int code; /* 200, or the failure of this room */
	char guid[64];
	char domain[128];
	const char *why;
} pchat_joined_t;

/* Joins one room; j->code says how it went. Returns PCHAT_CMD_UNAVAILABLE
 * only when the store is down. */
/* The rooms the user holds an invitation to: joining consumes it. */
typedef struct pchat_invited
{
	long long *ids;
	int n;
} pchat_invited_t;

static pchat_store_rc_t pchat_invited_load(str *user, pchat_invited_t *inv)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	int i;

	memset(inv, 0, sizeof(*inv));
	rc = pchat_db_exec("SELECT room_id FROM pchat_invitation WHERE "
					   "user_uri = ?",
			&res, user);
	if(rc != PCHAT_STORE_OK)
		return rc;
	if(res.nrows > 0) {
		inv->ids = pkg_malloc(res.nrows * sizeof(long long));
		if(inv->ids == NULL) {
			PKG_MEM_ERROR;
			pchat_db_res_free(&res);
			return PCHAT_STORE_ERROR;
		}
		for(i = 0; i < res.nrows; i++)
			inv->ids[inv->n++] = atoll(res.rows[i][0]);
	}
	pchat_db_res_free(&res);
	return PCHAT_STORE_OK;
}

static int pchat_invited_has(pchat_invited_t *inv, long long room_id)
{
	int i;

	for(i = 0; i < inv->n; i++)
		if(inv->ids[i] == room_id)
			return 1;
	return 0;
}

static pchat_cmd_rc_t pchat_join_one(pchat_cmd_ctx_t *ctx, pchat_viewer_t *v,
		pchat_invited_t *inv, pchat_joined_t *j)
{
	pchat_perm_in_t in;
	int rc, ret;

	rc = pchat_room_by_guid(j->guid, &j->room);
	if(rc == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	if(rc <= 0) {
		j->code = rc == 0 ? 404 : 500;
		j->why = rc == 0 ? "no such room" : "storage error";
		return PCHAT_CMD_OK;
	}
	rc = pchat_room_access_for(&j->room, v, &in);
	if(rc == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	if(rc != PCHAT_STORE_OK) {
		j->code = 500;
		j->why = "storage error";
		return PCHAT_CMD_OK;
	}
	j->why = pchat_perm_refusal(&in, PCHAT_PERM_JOIN);
	if(j->why) {
		/* a secret room is not admitted to exist */
		j->code = (pchat_perm_eval(&in) & PCHAT_PERM_SEE) ? 403 : 404;
		if(j->code == 404)
			j->why = "no such room";
		return PCHAT_CMD_OK;
	}
	ret = _pchat_roster.join((unsigned long long)j->room.id, ctx->sess_hid,
			ctx->sess_id, &ctx->user, in.roles);
	if(ret == PCHAT_POOL_TABLE_FULL) {
		j->code = 503;
		j->why = "the pool's table of rooms is full";
		return PCHAT_CMD_OK;
	}
	if(ret < 0) {
		j->code = 500;
		j->why = "out of memory";
		return PCHAT_CMD_OK;
	}
	j->is_new = ret;
	/* joining consumes a pending invitation */
	if(pchat_invited_has(inv, j->room.id))
		pchat_db_exec("DELETE FROM pchat_invitation WHERE room_id = ? AND "
					  "user_uri = ?",
				NULL, j->room.id, &ctx->user);
	j->code = 200;
	pchat_metric_inc(PCHAT_M_JOINS);
	return PCHAT_CMD_OK;
}

/* Reply-local ids for the pooled uib list of a (b)join reply. */
/* The distinct participants of a (b)join reply, numbered in order of first
 * appearance; an open-addressing index (twice the pool's first size, a
 * power of two) keeps finding a user O(1), so a reply is built in time
 * linear in the rosters, not quadratic. */
typedef struct pchat_uib_pool
{
	int n;
	int size;
	str *users;
	unsigned int *hashes;
	int *index; /* -1: empty, else a position in users */
	unsigned int mask;
} pchat_uib_pool_t;

static void pchat_uib_reset(pchat_uib_pool_t *p)
{
	p->n = 0;
	memset(p->index, 0xff, (p->mask + 1) * sizeof(int));
}

static int pchat_uib_id(pchat_uib_pool_t *p, str *user)
{
	unsigned int h = get_hash1_raw(user->s, user->len);
	unsigned int k;
	int i;

	for(k = h & p->mask; (i = p->index[k]) >= 0; k = (k + 1) & p->mask) {
		if(p->hashes[i] == h && p->users[i].len == user->len
				&& strncasecmp(p->users[i].s, user->s, user->len) == 0)
			return i;
	}
	if(p->n == p->size)
		return -1;
	p->users[p->n] = *user;
	p->hashes[p->n] = h;
	p->index[k] = p->n;
	return p->n++;
}

/* Appends to ids the uib ids of snap's participants holding roles, each
 * once (seen: by id; a user may have several sessions, on several nodes). */
static int pchat_aib_ids(pchat_uib_pool_t *pool, pchat_roster_snapshot_t *snap,
		unsigned int roles, char *seen, char *ids, int len, int size)
{
	int i, id;

	for(i = 0; i < snap->n; i++) {
		if(roles && !(snap->members[i].roles & roles))
			continue;
		id = pchat_uib_id(pool, &snap->members[i].user);
		if(id < 0 || seen[id])
			continue;
		seen[id] = 1;
		len += snprintf(ids + len, size - len, "%s%d", len ? "," : "", id);
	}
	return len;
}

/* Writes an aib listing the uib ids of the participants holding roles,
 * this node's and the other nodes'; sized for the whole roster, however
 * large the room. */
static void pchat_write_aib(pchat_xbuf_t *out, pchat_uib_pool_t *pool,
		pchat_joined_t *j, unsigned int roles, const char *key)
{
	char *ids, *seen;
	int len, size = (j->snap.n + j->remote.n) * 12 + 1;

	ids = pkg_malloc(size + pool->n);
	if(ids == NULL) {
		PKG_MEM_ERROR;
		out->err = 1;
		return;
	}
	seen = ids + size;
	memset(seen, 0, pool->n);
	ids[0] = '\0';
	len = 0;
	if(roles == 0 && j->online > j->snap.n) {
		/* a large room's copy holds its newest: the joiner is in the
		 * room even when it rejoined long after them */
		seen[0] = 1;
		len = snprintf(ids, size, "0");
	}
	len = pchat_aib_ids(pool, &j->snap, roles, seen, ids, len, size);
	pchat_aib_ids(pool, &j->remote, roles, seen, ids, len, size);
	pchat_xw_start(out, "aib");
	pchat_xw_attr(out, "key", key);
	pchat_xw_attr(out, "value", ids);
	pchat_xw_end(out, "aib");
	pkg_free(ids);
}

static void pchat_write_chanib_roster(pchat_cmd_ctx_t *ctx, pchat_xbuf_t *out,
		pchat_uib_pool_t *pool, pchat_joined_t *j)
{
	char uri[256];

	pchat_room_uri(ctx, j->room.guid, uri, sizeof(uri));
	pchat_xw_start(out, "chanib");
	pchat_xw_attr(out, "uri", uri);
	pchat_xw_attr(out, "name", j->room.name);
	pchat_xw_attr(out, "topic", j->room.topic);
	pchat_xw_attr(out, "description", j->room.description);
	if(j->cut)
		pchat_xw_attr(out, "limited", "true");
	pchat_write_aib(out, pool, j, 0, PCHAT_AIB_MEMBERS);
	pchat_write_aib(out, pool, j, PCHAT_ROLE_MANAGER, PCHAT_AIB_MANAGERS);
	pchat_xw_end(out, "chanib");
}

/* ntc:join / ntc:bjoin to the others in the room, unless it is too big for
 * roster notices (ParticipantUpdateLimit). */
static void pchat_notify_join(pchat_cmd_ctx_t *ctx, pchat_joined_t *j,
		const char *name, int update_limit)
{
	pchat_xbuf_t *b;

	/* the pool-wide count: the notice goes to every node's members; a
	 * user already in the room through another node is in their rosters */
	if(!j->is_new
			|| j->online + pchat_pool_remote_count(j->room.id) > update_limit
			|| pchat_pool_user_elsewhere(j->room.id, &ctx->user))
		return;
	b = pchat_notice(ctx, j->room.id, ctx->sess_id, name);
	if(b == NULL)
		return;
	pchat_xw_start(b, "uib");
	pchat_xw_attrn(b, "uri", ctx->user.s, ctx->user.len);
	pchat_xw_start(b, "aib");
	pchat_xw_attr(b, "key", PCHAT_AIB_MEMBERS);
	pchat_xw_attr(b, "domain", j->domain);
	pchat_xw_attr(b, "value", j->room.guid);
	pchat_xw_end(b, "aib");
	pchat_xw_end(b, "uib");
	pchat_notice_end(b);
}

/* A room named twice in one bjoin is joined and answered once. */
static int pchat_joined_dup(pchat_joined_t *js, int i)
{
	int k;

	for(k = 0; k < i; k++) {
		if(js[k].code != 0 && strcmp(js[k].guid, js[i].guid) == 0)
			return 1;
	}
	return 0;
}

/* The (b)join reply: uibs of the pooled users (the joiner first, then
 * the rooms' participants while the pool has room), then each room in
 * order, limited="true" on a chanib whose roster was cut. */
static void pchat_join_reply(pchat_cmd_ctx_t *ctx, pchat_xccos_env_t *env,
		pchat_xmsg_t *m, const char *name, pchat_joined_t *js, int n,
		pchat_uib_pool_t *pool, pchat_xbuf_t *out)
{
	int i, k;

	pchat_uib_reset(pool);
	pchat_uib_id(pool, &ctx->user);
	/* ids first, so every uib precedes the chanibs that refer to it */
	for(i = 0; i < n; i++) {
		js[i].cut = js[i].partial || js[i].online > js[i].snap.n;
		for(k = 0; js[i].code == 200 && k < js[i].snap.n; k++) {
			if(pchat_uib_id(pool, &js[i].snap.members[k].user) < 0)
				js[i].cut = 1;
		}
		for(k = 0; js[i].code == 200 && k < js[i].remote.n; k++) {
			if(pchat_uib_id(pool, &js[i].remote.members[k].user) < 0)
				js[i].cut = 1;
		}
	}
	pchat_xw_rpl_start(out, name, m->seqid, env->envid, 200,
			pchat_xccos_token(200));
	for(i = 0; i < pool->n; i++) {
		pchat_xw_start(out, "uib");
		pchat_xw_attr_int(out, "id", i);
		pchat_xw_attrn(out, "uri", pool->users[i].s, pool->users[i].len);
		pchat_xw_end(out, "uib");
	}
	for(i = 0; i < n; i++) {
		if(js[i].code == 0)
			continue; /* a duplicate */
		if(js[i].code == 200) {
			pchat_write_chanib_roster(ctx, out, pool, &js[i]);
			continue;
		}
		/* a room that failed, in place, with the reason beside it */
		pchat_xw_start(out, "fib");
		pchat_xw_attr(out, "key",
				js[i].code == 403 ? "ACCESS_DENIED"
				: js[i].code == 404 ? "NOT_FOUND"
									: "OPERATION_FAILED");
		pchat_xw_attr(out, "domain", js[i].domain);
		pchat_xw_attr(out, "value", js[i].guid);
		pchat_xw_attr(out, "reason", js[i].why ? js[i].why : "");
		pchat_xw_end(out, "fib");
	}
	pchat_xw_rpl_end(out);
}

/* A roster of size users made a reply of used bytes where room bytes
 * fit: the size that fits, guessed in proportion (the reply's fixed part
 * makes the guess too large, never too small) less 5 %, so a large room
 * takes one more build instead of halving down to it; halved when the
 * guess is no smaller. */
static int pchat_join_pool_shrink(int size, int used, int room)
{
	long long guess = (long long)size * (room > 0 ? room : 0) / used;

	guess = guess * 95 / 100;
	if(guess >= size)
		guess = size / 2;
	return guess > 0 ? (int)guess : 1;
}

/* The users a reply of budget bytes can list, guessed from the
 * participants' URIs (a uib and its id in the aib take PCHAT_UIB_EACH
 * bytes besides the URI): a large room's reply is then built once. */
static int pchat_join_pool_guess(pchat_joined_t *js, int n, int budget)
{
	long long len = 0, cnt = 0;
	int i, k;

	for(i = 0; i < n; i++) {
		for(k = 0; js[i].code == 200 && k < js[i].snap.n; k++)
			len += js[i].snap.members[k].user.len;
		cnt += js[i].code == 200 ? js[i].snap.n : 0;
	}
	if(cnt == 0)
		return budget / PCHAT_UIB_MIN + 1;
	return (int)(budget / (len / cnt + PCHAT_UIB_EACH)) + 1;
}

/* Joins js[i] and takes the pool's roster of the room: this node's (its
 * newest cap, what a reply can list), and the other nodes' as they named
 * them; *total grows by its size. */
static pchat_cmd_rc_t pchat_join_slot(pchat_cmd_ctx_t *ctx, pchat_viewer_t *v,
		pchat_invited_t *inv, pchat_joined_t *j, int *total, int cap)
{
	pchat_cmd_rc_t rc = pchat_join_one(ctx, v, inv, j);

	if(rc != PCHAT_CMD_OK || j->code != 200)
		return rc;
	/* no more of a large room than the reply can list */
	j->online = _pchat_roster.snapshot_newest(
			(unsigned long long)j->room.id, &j->snap, cap);
	if(j->online < 0
			|| pchat_pool_remote_roster(j->room.id, &j->remote, &j->partial)
					   < 0)
		return PCHAT_CMD_ERROR;
	*total += j->snap.n + j->remote.n;
	return PCHAT_CMD_OK;
}

/* The followed rooms a bjoin adds after those it names (doc/xccos.md
 * 3.18), as many as the reply can answer: one the user may no longer
 * join is left out, not answered with a fib (the client did not ask). */
static pchat_cmd_rc_t pchat_join_followed(pchat_cmd_ctx_t *ctx,
		pchat_viewer_t *v, pchat_invited_t *inv, pchat_joined_t *js, int i,
		pchat_db_res_t *follows, int nf, int *total, int cap)
{
	pchat_cmd_rc_t rc;
	int k;

	for(k = 0; k < nf; k++, i++) {
		snprintf(js[i].guid, sizeof(js[i].guid), "%s", follows->rows[k][3]);
		pchat_domain(ctx, js[i].domain, sizeof(js[i].domain));
		if(pchat_joined_dup(js, i))
			continue; /* named too: answered there */
		js[i].followed = 1;
		rc = pchat_join_slot(ctx, v, inv, &js[i], total, cap);
		if(rc != PCHAT_CMD_OK)
			return rc;
		if(js[i].code != 200)
			js[i].code = 0;
	}
	return PCHAT_CMD_OK;
}

/* Even without rosters the reply cannot carry every room: the later half
 * of the followed rooms joined (the client did not name them) are taken
 * back, to be answered another time. Returns how many. */
static int pchat_join_drop_followed(
		pchat_cmd_ctx_t *ctx, pchat_joined_t *js, int n)
{
	int i, joined = 0, drop, dropped = 0;

	for(i = 0; i < n; i++)
		joined += js[i].followed && js[i].code == 200;
	drop = (joined + 1) / 2;
	for(i = n - 1; i >= 0 && dropped < drop; i--) {
		if(!js[i].followed || js[i].code != 200)
			continue;
		if(js[i].is_new)
			_pchat_roster.part((unsigned long long)js[i].room.id, ctx->sess_id);
		js[i].is_new = 0;
		js[i].code = 0;
		dropped++;
	}
	return dropped;
}

/* The shared body of join and bjoin. */
/* Compliance: the rooms this (b)join entered for the session, each a
 * participant row and a JOIN event, in one transaction. */
static pchat_store_rc_t pchat_comply_joins(
		pchat_cmd_ctx_t *ctx, pchat_joined_t *js, int n)
{
	pchat_cevent_t e;
	pchat_store_rc_t rc;
	char uri[256];
	int i;

	if((rc = pchat_db_begin()) != PCHAT_STORE_OK)
		return rc;
	for(i = 0; i < n && rc == PCHAT_STORE_OK; i++) {
		if(js[i].code != 200 || !js[i].is_new)
			continue;
		pchat_room_uri(ctx, js[i].room.guid, uri, sizeof(uri));
		memset(&e, 0, sizeof(e));
		e.type = "JOIN";
		e.ts_ms = pchat_now_ms();
		e.room_id = js[i].room.id;
		e.room_uri = uri;
		e.room_name = js[i].room.name;
		e.user = &ctx->user;
		rc = pchat_compliance_join(&e);
	}
	if(rc == PCHAT_STORE_OK)
		rc = pchat_db_commit();
	else
		pchat_db_rollback();
	if(rc != PCHAT_STORE_OK)
		LM_ERR("compliance: cannot record the join of %.*s (%d): not "
			   "joined\n",
				ctx->user.len, ctx->user.s, (int)rc);
	return rc;
}

static pchat_cmd_rc_t pchat_cmd_join_rooms(PCHAT_CMD_ARGS, int batch)
{
	pchat_server_config_t cfg;
	pchat_joined_t *js = NULL;
	pchat_uib_pool_t pool;
	pchat_viewer_t viewer;
	pchat_invited_t inv;
	pchat_db_res_t follows;
	xmlNodePtr c;
	const char *v, *d;
	const char *name = batch ? "bjoin" : "join";
	pchat_cmd_rc_t rc = PCHAT_CMD_OK;
	int n = 0, i, k, total = 0, joined = 0, budget, nf = 0, asked, pool_size;
	int used;
	pchat_store_rc_t src;
	pchat_xmark_t mk;

	memset(&pool, 0, sizeof(pool));
	memset(&viewer, 0, sizeof(viewer));
	memset(&inv, 0, sizeof(inv));
	memset(&follows, 0, sizeof(follows));
	if(pchat_store_server_config_cached(&cfg) == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	for(c = m->data ? pchat_xccos_child(m->data, "chanid") : NULL; c;
			c = pchat_xccos_next(c, "chanid"))
		n++;
	asked = batch && m->data && pchat_xccos_child(m->data, "follows");
	if((n == 0 && !asked) || (!batch && n > 1) || n > PCHAT_BJOIN_MAX) {
		pchat_cmd_rpl_error(env, m, name, 400,
				n == 0 ? "no chanid" : "too many chanid blocks", out);
		return PCHAT_CMD_OK;
	}
	/* each room is answered, even with no roster: refused before any
	 * join when even that cannot fit */
	budget = ctx->reply_limit - out->len;
	if(n * PCHAT_JOIN_ROOM_MIN + PCHAT_JOIN_OVERHEAD > budget) {
		pchat_cmd_rpl_error(env, m, name, 413, PCHAT_CMD_TOO_BIG, out);
		return PCHAT_CMD_OK;
	}
	/* the user's side of the rules, once for all the rooms */
	src = pchat_viewer_load(&viewer, &ctx->user);
	if(src == PCHAT_STORE_OK)
		src = pchat_invited_load(&ctx->user, &inv);
	if(src == PCHAT_STORE_OK && batch)
		src = pchat_follow_for_bjoin(ctx, asked, &follows);
	if(src != PCHAT_STORE_OK) {
		if(inv.ids)
			pkg_free(inv.ids);
		pchat_viewer_free(&viewer);
		return src == PCHAT_STORE_UNAVAILABLE ? PCHAT_CMD_UNAVAILABLE
											  : PCHAT_CMD_ERROR;
	}
	/* the followed rooms that the bounds leave room for */
	nf = follows.nrows;
	if(nf > PCHAT_BJOIN_MAX - n)
		nf = PCHAT_BJOIN_MAX - n;
	if(nf > (budget - PCHAT_JOIN_OVERHEAD) / PCHAT_JOIN_ROOM_MIN - n)
		nf = (budget - PCHAT_JOIN_OVERHEAD) / PCHAT_JOIN_ROOM_MIN - n;
	if(nf < 0)
		nf = 0;
	js = pkg_mallocxz((n + nf + 1) * sizeof(*js));
	if(js == NULL) {
		PKG_MEM_ERROR;
		rc = PCHAT_CMD_ERROR;
		goto done;
	}
	i = 0;
	for(c = pchat_xccos_child(m->data, "chanid"); c;
			c = pchat_xccos_next(c, "chanid"), i++) {
		v = pchat_xccos_attr(c, "value");
		d = pchat_xccos_attr(c, "domain");
		/* cut where a character ends: both are written back in a fib */
		v = v ? v : "";
		snprintf(js[i].guid, sizeof(js[i].guid), "%.*s",
				pchat_xccos_utf8_prefix(v, sizeof(js[i].guid) - 1), v);
		for(k = 0; js[i].guid[k]; k++)
			js[i].guid[k] = (char)tolower((unsigned char)js[i].guid[k]);
		if(d && d[0])
			snprintf(js[i].domain, sizeof(js[i].domain), "%.*s",
					pchat_xccos_utf8_prefix(d, sizeof(js[i].domain) - 1), d);
		else
			pchat_domain(ctx, js[i].domain, sizeof(js[i].domain));
		if(js[i].guid[0] == '\0') {
			js[i].code = 400;
			js[i].why = "chanid without value";
			continue;
		}
		if(pchat_joined_dup(js, i)) {
			js[i].code = 0; /* listed once already: answered there */
			continue;
		}
		rc = pchat_join_slot(ctx, &viewer, &inv, &js[i], &total,
				budget / PCHAT_UIB_MIN + 1);
		if(rc != PCHAT_CMD_OK)
			goto done;
	}
	rc = pchat_join_followed(ctx, &viewer, &inv, js, n, &follows, nf, &total,
			budget / PCHAT_UIB_MIN + 1);
	n += nf; /* before a failure too: done undoes them */
	if(rc != PCHAT_CMD_OK)
		goto done;
	/* a session that ended while it joined: its end parts the roster
	 * before or after the insert; when after, the session is already out
	 * of the table here (unlinked before the roster is parted), so the
	 * joins are undone and nobody hears of them */
	if(!pchat_session_alive(ctx->sess_hid, ctx->sess_id)) {
		LM_INFO("session %u ended while joining, join undone\n", ctx->sess_id);
		goto done;
	}
	if(!batch && js[0].code != 200) {
		pchat_cmd_rpl_error(env, m, name, js[0].code, js[0].why, out);
		joined = 1; /* nothing to undo */
		goto done;
	}
	/* the largest roster that fits the reply budget: shrunk until the
	 * reply fits, the joiner always listed; with none left, the joins
	 * are taken back and the command refused (never a silent join) */
	pool.size = total + 1;
	if(pool.size > budget / PCHAT_UIB_MIN + 1)
		pool.size = budget / PCHAT_UIB_MIN + 1;
	if(pool.size > pchat_join_pool_guess(js, n, budget))
		pool.size = pchat_join_pool_guess(js, n, budget);
	pool_size = pool.size;
	for(pool.mask = 1; pool.mask < 2u * (unsigned int)pool.size;)
		pool.mask <<= 1;
	pool.users = pkg_malloc(pool.size * (sizeof(str) + sizeof(unsigned int))
							+ pool.mask * sizeof(int));
	if(pool.users == NULL) {
		PKG_MEM_ERROR;
		rc = PCHAT_CMD_ERROR;
		goto done;
	}
	pool.hashes = (unsigned int *)(pool.users + pool.size);
	pool.index = (int *)(pool.hashes + pool.size);
	pool.mask--;
	pchat_xmark(out, &mk);
	for(;;) {
		pchat_join_reply(ctx, env, m, name, js, n, &pool, out);
		if(out->err) {
			rc = PCHAT_CMD_ERROR;
			goto done;
		}
		if(out->len <= ctx->reply_limit)
			break;
		used = out->len - mk.len;
		pchat_xrewind(out, &mk);
		if(pool.size <= 1 && pchat_join_drop_followed(ctx, js, n) > 0) {
			pool.size = pool_size; /* fewer rooms: the rosters again */
			continue;
		}
		if(pool.size <= 1) {
			pchat_cmd_rpl_error(env, m, name, 413, PCHAT_CMD_TOO_BIG, out);
			goto done;
		}
		pool.size = pchat_join_pool_shrink(
				pool.size, used, ctx->reply_limit - mk.len);
	}
	/* recorded before the 200: a join whose record fails is undone */
	if(cfg.compliance && pchat_comply_joins(ctx, js, n) != PCHAT_STORE_OK) {
		pchat_xrewind(out, &mk);
		rc = PCHAT_CMD_UNAVAILABLE;
		goto done;
	}
	for(i = 0; i < n; i++) {
		if(js[i].code == 200)
			pchat_notify_join(ctx, &js[i], name, cfg.participant_update_limit);
	}
	joined = 1;
done:
	for(i = 0; js && i < n; i++) {
		if(!joined && js[i].is_new) /* refused after all: undone */
			_pchat_roster.part((unsigned long long)js[i].room.id, ctx->sess_id);
		if(js[i].snap.members)
			_pchat_roster.free_snapshot(&js[i].snap);
		pchat_pool_roster_free(&js[i].remote);
	}
	if(pool.users)
		pkg_free(pool.users);
	if(js)
		pkg_free(js);
	if(inv.ids)
		pkg_free(inv.ids);
	pchat_db_res_free(&follows);
	pchat_viewer_free(&viewer);
	return rc;
}

pchat_cmd_rc_t pchat_cmd_join(PCHAT_CMD_ARGS)
{
	return pchat_cmd_join_rooms(ctx, env, m, out, 0);
}

pchat_cmd_rc_t pchat_cmd_bjoin(PCHAT_CMD_ARGS)
{
	return pchat_cmd_join_rooms(ctx, env, m, out, 1);
}

static int pchat_in_room(unsigned int sess_id, long long room_id)
{
	unsigned long long rooms[PCHAT_ROOMS_OF_MAX];
	int n = _pchat_roster.rooms_of(sess_id, rooms, PCHAT_ROOMS_OF_MAX), i;

	for(i = 0; i < n && i < PCHAT_ROOMS_OF_MAX; i++) {
		if(rooms[i] == (unsigned long long)room_id)
			return 1;
	}
	return 0;
}

int pchat_room_online(long long room_id)
{
	return _pchat_roster.count((unsigned long long)room_id)
		   + pchat_pool_remote_count(room_id);
}

/* --- part and session end ---------------------------------------------- */

static void pchat_write_part(pchat_cmd_ctx_t *ctx, pchat_xbuf_t *b,
		const char *guid, str *user)
{
	char uri[256];

	pchat_room_uri(ctx, guid, uri, sizeof(uri));
	pchat_xw_start(b, "chanib");
	pchat_xw_attr(b, "uri", uri);
	pchat_xw_start(b, "uib");
	pchat_xw_attrn(b, "uri", user->s, user->len);
	pchat_xw_end(b, "uib");
	pchat_xw_end(b, "chanib");
	pchat_notice_end(b);
}

/* The user is still in the room through another node of the pool: the
 * members' rosters keep the user, and hear the part of its last session
 * there. The notice is handed to the pool, in case that node held the
 * same part at once (see pchat_pool_part_held()). */
static void pchat_hold_part(pchat_cmd_ctx_t *ctx, long long room_id,
		const char *guid, str *user)
{
	pchat_xbuf_t b;
	str notice;

	pchat_xbuf_init(&b);
	pchat_xw_env_start(&b, pchat_cmd_next_envid());
	pchat_xw_ntc_start(&b, "part");
	pchat_write_part(ctx, &b, guid, user);
	if(!b.err) {
		notice.s = b.s;
		notice.len = b.len;
		pchat_pool_part_held(room_id, user, &notice);
	}
	pchat_xbuf_free(&b);
}

/* ntc:part to the remaining participants, unless the room is above the
 * roster-notice limit (ParticipantUpdateLimit) or the user is still in it
 * through another node of the pool (held: see above). */
void pchat_notify_part(pchat_cmd_ctx_t *ctx, long long room_id,
		const char *guid, str *user, int update_limit)
{
	pchat_xbuf_t *b;

	if(pchat_room_online(room_id) >= update_limit)
		return;
	if(pchat_pool_user_elsewhere(room_id, user)) {
		pchat_hold_part(ctx, room_id, guid, user);
		return;
	}
	b = pchat_notice(ctx, room_id, 0, "part");
	if(b == NULL)
		return;
	pchat_write_part(ctx, b, guid, user);
}

void pchat_comply_part(pchat_uri_t *invited, long long room_id,
		const char *guid, const char *name, str *user, const char *why)
{
	pchat_server_config_t cfg;
	pchat_cevent_t e;
	char uri[256], detail[64];

	if(pchat_store_server_config_cached(&cfg) != PCHAT_STORE_OK
			|| !cfg.compliance)
		return;
	memset(&e, 0, sizeof(e));
	e.type = "PART";
	e.ts_ms = pchat_now_ms();
	e.room_id = room_id;
	if(invited && guid) {
		snprintf(uri, sizeof(uri), "ma-chan://%.*s/%s", invited->host.len,
				invited->host.s, guid);
		e.room_uri = uri;
	}
	e.room_name = name;
	e.user = user;
	snprintf(detail, sizeof(detail), "{\"reason\": \"%s\"}", why);
	e.detail = detail;
	/* the part has happened: a record that fails is logged, not undone */
	if(pchat_compliance_part(&e) != PCHAT_STORE_OK)
		LM_ERR("compliance: cannot record the part of %.*s from room %lld\n",
				user->len, user->s, room_id);
}

pchat_cmd_rc_t pchat_cmd_part(PCHAT_CMD_ARGS)
{
	xmlNodePtr c = m->data ? pchat_xccos_child(m->data, "chanib") : NULL;
	const char *uri = c ? pchat_xccos_attr(c, "uri") : NULL;
	pchat_server_config_t cfg;
	pchat_perm_in_t in;
	char guid[64];
	pchat_room_t room;
	int rc;

	if(pchat_room_guid_of_uri(uri, guid, sizeof(guid)) < 0) {
		pchat_cmd_rpl_error(env, m, "part", 400, "chanib uri is not ma-chan://",
				out);
		return PCHAT_CMD_OK;
	}
	if(pchat_store_server_config_cached(&cfg) == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	rc = pchat_room_find_user(guid, &ctx->user, &room, &in);
	if(rc == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	/* a hidden room is missing, unless this session is in it already */
	if(rc < 0 || (rc == 0 && (room.id == 0 || !pchat_in_room(ctx->sess_id,
													   room.id)))) {
		pchat_cmd_rpl_error(env, m, "part", rc == 0 ? 404 : 500,
				rc == 0 ? "no such room" : "storage error", out);
		return PCHAT_CMD_OK;
	}
	if(_pchat_roster.part((unsigned long long)room.id, ctx->sess_id) > 0) {
		pchat_comply_part(ctx->invited, room.id, room.guid, room.name,
				&ctx->user, "part");
		if(!_pchat_roster.user_present(
				   (unsigned long long)room.id, &ctx->user, ctx->sess_id))
			pchat_notify_part(ctx, room.id, room.guid, &ctx->user,
					cfg.participant_update_limit);
	}
	pchat_xw_rpl_start(out, "part", m->seqid, env->envid, 200,
			pchat_xccos_token(200));
	pchat_xw_start(out, "chanib");
	pchat_xw_attr(out, "uri", uri);
	pchat_xw_end(out, "chanib");
	pchat_xw_rpl_end(out);
	return PCHAT_CMD_OK;
}

/* The record of pchat_session_end_take(): this header, the rooms, then
 * the user's URI (user_len bytes). */
typedef struct pchat_send_rec
{
	pchat_uri_t *invited; /* configured before the fork: one address in
	                       * every process */
	unsigned int sess_id;
	int n, user_len;
	struct
	{
		unsigned long long id;
		int present; /* the user is still in it through another session */
	} room[];
} pchat_send_rec_t;

int pchat_session_end_take(
		unsigned int sess_id, str *user, pchat_uri_t *invited, str *rec)
{
	unsigned long long rooms[PCHAT_ROOMS_OF_MAX];
	pchat_send_rec_t *r;
	int n, i, size;

	rec->s = NULL;
	rec->len = 0;
	n = _pchat_roster.part_all(sess_id, rooms, PCHAT_ROOMS_OF_MAX);
	if(n <= 0)
		return 0;
	if(n > PCHAT_ROOMS_OF_MAX)
		n = PCHAT_ROOMS_OF_MAX;
	size = sizeof(*r) + n * sizeof(r->room[0]) + user->len;
	r = pkg_malloc(size);
	if(r == NULL) {
		PKG_MEM_ERROR;
		return -1;
	}
	r->invited = invited;
	r->sess_id = sess_id;
	r->n = n;
	r->user_len = user->len;
	for(i = 0; i < n; i++) {
		r->room[i].id = rooms[i];
		r->room[i].present =
				_pchat_roster.user_present(rooms[i], user, sess_id);
	}
	memcpy((char *)&r->room[n], user->s, user->len);
	rec->s = (char *)r;
	rec->len = size;
	return 1;
}

void pchat_session_end_run(str *rec, pchat_cmd_ctx_t *ctx)
{
	pchat_send_rec_t *r = (pchat_send_rec_t *)rec->s;
	pchat_server_config_t cfg;
	pchat_db_res_t res;
	str user;
	int i;

	user.s = (char *)&r->room[r->n];
	user.len = r->user_len;
	/* defaults stand in for an unreachable store: the roster is clean
	 * already, only notices depend on it */
	pchat_store_server_config_cached(&cfg);
	ctx->invited = r->invited;
	for(i = 0; i < r->n; i++) {
		if(r->room[i].present && !cfg.compliance)
			continue;
		/* the guid is needed for the notice; a store outage only costs
		 * the notice, the roster is already clean */
		if(pchat_db_exec("SELECT guid, name FROM pchat_node WHERE id = ?",
				   &res, (long long)r->room[i].id)
						!= PCHAT_STORE_OK
				|| res.nrows == 0) {
			pchat_db_res_free(&res);
			continue;
		}
		if(cfg.compliance)
			pchat_comply_part(r->invited, (long long)r->room[i].id,
					res.rows[0][0], res.rows[0][1], &user, "session end");
		/* present again (a new session joined meanwhile): no part */
		if(!r->room[i].present
				&& !_pchat_roster.user_present(r->room[i].id, &user, r->sess_id))
			pchat_notify_part(ctx, (long long)r->room[i].id, res.rows[0][0],
					&user, cfg.participant_update_limit);
		pchat_db_res_free(&res);
	}
}

/* --- history ----------------------------------------------------------- */

pchat_cmd_rc_t pchat_room_for_read(pchat_cmd_ctx_t *ctx, const char *uri,
		pchat_room_t *room, int *code, const char **why)
{
	char guid[64];
	pchat_perm_in_t in;
	int rc;

	*code = 200;
	if(pchat_room_guid_of_uri(uri, guid, sizeof(guid)) < 0) {
		*code = 400;
		*why = "chanib uri is not ma-chan://";
		return PCHAT_CMD_OK;
	}
	rc = pchat_room_find_user(guid, &ctx->user, room, &in);
	if(rc == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	if(rc <= 0) {
		/* a room hidden from the user is answered as a missing one */
		*code = rc == 0 ? 404 : 500;
		*why = rc == 0 ? "no such room" : "storage error";
		return PCHAT_CMD_OK;
	}
	*why = pchat_perm_refusal(&in, PCHAT_PERM_READ);
	if(*why)
		*code = 403;
	return PCHAT_CMD_OK;
}

void pchat_cmd_write_msg(pchat_xbuf_t *out, const char *elem,
		const char *chan_uri, char **row)
{
	pchat_cmd_write_msg_kind(out, elem, chan_uri, row, 0, 0, NULL, 0);
}

/* The text of a story or alert for a client without the extension. */
static void pchat_msg_plain_text(pchat_xbuf_t *out, const char *text,
		int story, int alert, const char *title)
{
	if(alert)
		pchat_xw_text(out, PCHAT_ALERT_PREFIX, strlen(PCHAT_ALERT_PREFIX));
	if(story && title) {
		pchat_xw_text(out, title, strlen(title));
		pchat_xw_text(out, "\r\n\r\n", 4);
	}
	pchat_xw_text(out, text, strlen(text));
}

void pchat_cmd_write_msg_kind(pchat_xbuf_t *out, const char *elem,
		const char *chan_uri, char **row, int story, int alert,
		const char *title, int ext)
{
	const char *text = row[3];
	char ts[40];

	pchat_xccos_format_ts(ts, strtoll(row[1], NULL, 10));
	/* a deleted story or alert is a tombstone like any other post */
	if(row[4] && row[4][0] && row[5] && strcmp(row[4], "deleted") == 0)
		story = alert = 0;
	pchat_xw_start(out, elem);
	pchat_xw_attr(out, "id", "grpchat");
	/* the extension's flags first: pchat_fanout.c tells the two forms of
	 * a post apart by them */
	if(ext && story) {
		pchat_xw_attr(out, "story", "true");
		pchat_xw_attr(out, "title", title ? title : "");
	}
	if(ext && alert)
		pchat_xw_attr(out, "alert", "true");
	pchat_xw_attr(out, "seqid", "1");
	pchat_xw_attr(out, "chanUri", chan_uri);
	pchat_xw_attr(out, "author", row[2]);
	pchat_xw_attr(out, "ts", ts);
	pchat_xw_attr(out, "msgid", row[0]);
	/* the author's change (doc/xccos.md 3.16): an attribute clients
	 * without the extension ignore, and a tombstone they show as text */
	if(row[4] && row[4][0] && row[5]) {
		pchat_xccos_format_ts(ts, strtoll(row[5], NULL, 10));
		if(strcmp(row[4], "deleted") == 0) {
			pchat_xw_attr(out, "deleted", ts);
			text = PCHAT_MSG_TOMBSTONE;
		} else {
			pchat_xw_attr(out, "edited", ts);
		}
	}
	pchat_xw_start(out, "chat");
	if(ext || (!story && !alert))
		pchat_xw_text(out, text, strlen(text));
	else
		pchat_msg_plain_text(out, text, story, alert, title);
	pchat_xw_end(out, "chat");
	pchat_xw_end(out, elem);
}

/* What a bccontext reply takes besides its messages, and the least one
 * message takes: the bounds of the rows worth reading. */
#define PCHAT_BCC_OVERHEAD 512
#define PCHAT_BCC_MSG_MIN 128

/* How many of the n newest rows (newest first) fit in budget bytes, or
 * -1 without memory. Bounded: it stops at the first that does not fit. */
static int pchat_bcc_fit(pchat_db_res_t *res, int n, const char *chan_uri,
		int budget, int ext)
{
	pchat_xbuf_t b;
	int i, used = 0;

	pchat_xbuf_init(&b);
	for(i = 0; i < n; i++) {
		b.len = 0;
		pchat_cmd_write_msg_as(&b, "msg", chan_uri, res->rows[i], ext);
		if(b.err) {
			pchat_xbuf_free(&b);
			return -1;
		}
		used += b.len;
		if(used > budget)
			break;
	}
	pchat_xbuf_free(&b);
	return i;
}

/* Compliance: a BACKCHAT event for a history read of n messages (rows
 * newest first): the query and the numbers read in detail. */
static pchat_store_rc_t pchat_comply_backchat(pchat_cmd_ctx_t *ctx,
		pchat_room_t *room, const char *chan_uri, const char *query,
		pchat_db_res_t *res, int n)
{
	pchat_cevent_t e;
	char detail[160];

	snprintf(detail, sizeof(detail),
			"{\"query\": \"%s\", \"count\": %d, \"first_seq\": %s, "
			"\"last_seq\": %s}",
			query, n, n > 0 ? res->rows[n - 1][0] : "null",
			n > 0 ? res->rows[0][0] : "null");
	memset(&e, 0, sizeof(e));
	e.type = "BACKCHAT";
	e.ts_ms = pchat_now_ms();
	e.room_id = room->id;
	e.room_uri = chan_uri;
	e.room_name = room->name;
	e.user = &ctx->user;
	e.detail = detail;
	return pchat_compliance_event(&e);
}

/* cmd:bccontext: <last cnt>, and paging back with <before id cnt> or a
 * time range <range from to cnt> (pchat extensions; the official names of
 * the SDK's history queries are unknown). Messages oldest first; the
 * chanib says more="true" when older ones exist beyond the answer and
 * limited="true" when the server limit cut the count asked for. */
pchat_cmd_rc_t pchat_cmd_bccontext(PCHAT_CMD_ARGS)
{
	static const char *sql_last =
			"SELECT seq, ts_ms, author, content, author_change, changed_ms, "
			PCHAT_STORY_COLS " FROM pchat_message WHERE "
			"room_id = ? ORDER BY seq DESC LIMIT ?";
	static const char *sql_before =
			"SELECT seq, ts_ms, author, content, author_change, changed_ms, "
			PCHAT_STORY_COLS " FROM pchat_message WHERE "
			"room_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?";
	static const char *sql_range =
			"SELECT seq, ts_ms, author, content, author_change, changed_ms, "
			PCHAT_STORY_COLS " FROM pchat_message WHERE "
			"room_id = ? AND ts_ms >= ? AND ts_ms <= ? ORDER BY seq DESC "
			"LIMIT ?";
	pchat_server_config_t cfg;
	pchat_room_t room;
	pchat_db_res_t res;
	xmlNodePtr chan, bcq, q = NULL;
	const char *uri, *why = NULL, *v;
	long long cnt, from = 0, to = 0, before = 0;
	int code, limited = 0, more, i, n, fit, budget;
	pchat_store_rc_t src;
	pchat_cmd_rc_t rc;
	char chan_uri[256];

	if(pchat_store_server_config_cached(&cfg) == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	chan = m->data ? pchat_xccos_child(m->data, "chanib") : NULL;
	bcq = m->data ? pchat_xccos_child(m->data, "bcq") : NULL;
	uri = chan ? pchat_xccos_attr(chan, "uri") : NULL;
	rc = pchat_room_for_read(ctx, uri, &room, &code, &why);
	if(rc != PCHAT_CMD_OK)
		return rc;
	if(code != 200) {
		pchat_cmd_rpl_error(env, m, "bccontext", code, why, out);
		return PCHAT_CMD_OK;
	}
	cnt = cfg.default_chat_history;
	if(bcq) {
		q = pchat_xccos_child(bcq, NULL);
		if(q == NULL) {
			pchat_cmd_rpl_error(env, m, "bccontext", 400, "empty bcq", out);
			return PCHAT_CMD_OK;
		}
		if(strcmp((const char *)q->name, "last") != 0
				&& strcmp((const char *)q->name, "before") != 0
				&& strcmp((const char *)q->name, "range") != 0) {
			pchat_cmd_rpl_error(env, m, "bccontext", 501,
					"unsupported bcq query (last, before, range)", out);
			return PCHAT_CMD_OK;
		}
		v = pchat_xccos_attr(q, "cnt");
		if(v && v[0])
			cnt = strtoll(v, NULL, 10);
		if(strcmp((const char *)q->name, "before") == 0) {
			v = pchat_xccos_attr(q, "id");
			before = v ? strtoll(v, NULL, 10) : 0;
			if(before <= 0) {
				pchat_cmd_rpl_error(env, m, "bccontext", 400,
						"before needs a message id", out);
				return PCHAT_CMD_OK;
			}
		} else if(strcmp((const char *)q->name, "range") == 0) {
			to = pchat_now_ms();
			if(((v = pchat_xccos_attr(q, "from")) == NULL
					   || pchat_xccos_parse_ts(v, &from) < 0)
					|| ((v = pchat_xccos_attr(q, "to")) != NULL
							&& pchat_xccos_parse_ts(v, &to) < 0)) {
				pchat_cmd_rpl_error(env, m, "bccontext", 400,
						"range needs from (and optional to) as ISO 8601", out);
				return PCHAT_CMD_OK;
			}
		}
	}
	if(cnt < 1) {
		pchat_cmd_rpl_error(env, m, "bccontext", 400, "cnt must be at least 1",
				out);
		return PCHAT_CMD_OK;
	}
	if(cnt > cfg.search_limit) {
		cnt = cfg.search_limit;
		limited = 1;
	}
	/* no more rows than the rest of the reply could carry */
	budget = ctx->reply_limit - out->len - PCHAT_BCC_OVERHEAD;
	if(budget < PCHAT_BCC_MSG_MIN) {
		pchat_cmd_rpl_error(env, m, "bccontext", 413, PCHAT_CMD_TOO_BIG, out);
		return PCHAT_CMD_OK;
	}
	if(cnt > budget / PCHAT_BCC_MSG_MIN) {
		cnt = budget / PCHAT_BCC_MSG_MIN;
		limited = 1;
	}
	memset(&res, 0, sizeof(res));
	if(!room.chat_history)
		src = PCHAT_STORE_OK; /* the category keeps no history */
	else if(before)
		src = pchat_db_exec(sql_before, &res, room.id, before, cnt + 1);
	else if(q && strcmp((const char *)q->name, "range") == 0)
		src = pchat_db_exec(
				sql_range, &res, room.id, from, to, cnt + 1);
	else
		src = pchat_db_exec(sql_last, &res, room.id, cnt + 1);
	if(src == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	if(src != PCHAT_STORE_OK) {
		pchat_cmd_rpl_error(env, m, "bccontext", 500, "storage error", out);
		return PCHAT_CMD_OK;
	}
	more = res.nrows > cnt;
	n = more ? (int)cnt : res.nrows;
	pchat_room_uri(ctx, room.guid, chan_uri, sizeof(chan_uri));
	fit = pchat_bcc_fit(&res, n, chan_uri, budget, ctx->ext_story);
	if(fit < 0 || (fit == 0 && n > 0)) {
		pchat_db_res_free(&res);
		if(fit < 0)
			return PCHAT_CMD_ERROR;
		pchat_cmd_rpl_error(env, m, "bccontext", 413, PCHAT_CMD_TOO_BIG, out);
		return PCHAT_CMD_OK;
	}
	if(fit < n) {
		/* the newest that fit; the client pages back for the rest */
		n = fit;
		more = limited = 1;
	}
	/* who read what is recorded before it is sent */
	if(cfg.compliance
			&& (src = pchat_comply_backchat(ctx, &room, chan_uri,
						q ? (const char *)q->name : "last", &res, n))
					   != PCHAT_STORE_OK) {
		pchat_db_res_free(&res);
		if(src == PCHAT_STORE_UNAVAILABLE)
			return PCHAT_CMD_UNAVAILABLE;
		pchat_cmd_rpl_error(env, m, "bccontext", 500, "storage error", out);
		return PCHAT_CMD_OK;
	}
	pchat_xw_rpl_start(out, "bccontext", m->seqid, env->envid, 200,
			pchat_xccos_token(200));
	pchat_xw_start(out, "chanib");
	pchat_xw_attr(out, "uri", chan_uri);
	if(more)
		pchat_xw_attr(out, "more", "true");
	if(limited)
		pchat_xw_attr(out, "limited", "true");
	for(i = n - 1; i >= 0; i--) /* rows came newest first */
		pchat_cmd_write_msg_as(
				out, "msg", chan_uri, res.rows[i], ctx->ext_story);
	pchat_xw_end(out, "chanib");
	pchat_xw_rpl_end(out);
	/* the newest posts read: a followed room is read up to them */
	if(n > 0 && !before
			&& (q == NULL || strcmp((const char *)q->name, "last") == 0))
		pchat_follow_seen(ctx, room.id, strtoll(res.rows[0][0], NULL, 10));
	pchat_db_res_free(&res);
	return PCHAT_CMD_OK;
}

/* --- posting ----------------------------------------------------------- */

int pchat_cmd_utf8_chars(const char *s)
{
	int n = 0;

	for(; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* Does a claimed author name the sender? Both in the canonical form, so
 * any spelling of the sender's own URI is the sender, and nothing else is. */
static int pchat_is_own_identity(pchat_cmd_ctx_t *ctx, const char *author)
{
	char canon[PCHAT_IDENTITY_MAX];
	int n;

	if(author == NULL)
		return 0;
	n = pchat_identity_canon(author, strlen(author), canon, sizeof(canon), NULL);
	return n == ctx->user.len && memcmp(canon, ctx->user.s, n) == 0;
}

/* One transaction's worth of a post of a multi-message envelope (a lone
 * post goes to the post writer): the room's next number, then the message
 * when the room keeps history. The caller begins and commits. */
static pchat_store_rc_t pchat_store_post(long long room_id, int keep, long long ts_ms,
		str *user, const char *text, const pchat_story_t *st, long long *seq)
{
	pchat_store_rc_t rc;

	rc = pchat_db_exec("UPDATE pchat_node SET last_seq = "
					   "LAST_INSERT_ID(last_seq + 1) WHERE id = ?",
			NULL, room_id);
	if(rc != PCHAT_STORE_OK)
		return rc;
	*seq = (long long)pchat_db_insert_id();
	if(!keep)
		return PCHAT_STORE_OK;
	if(st && (st->story || st->alert))
		return pchat_db_exec("INSERT INTO pchat_message (room_id, seq, "
							 "ts_ms, author, content, is_story, is_alert, "
							 "story_title) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
				NULL, room_id, *seq, ts_ms, user, text, st->story, st->alert,
				(const char *)st->title);
	return pchat_db_exec("INSERT INTO pchat_message (room_id, seq, ts_ms, "
						 "author, content) VALUES (?, ?, ?, ?, ?)",
			NULL, room_id, *seq, ts_ms, user, text);
}

/* The CHAT event of a post of a multi-message envelope, in its
 * transaction (a lone post's is in the writer's batch). */
static pchat_store_rc_t pchat_comply_chat(pchat_room_t *room,
		const char *chan_uri, long long seq, long long ts_ms, str *user,
		const char *text, const pchat_story_t *st)
{
	char detail[PCHAT_STORY_TITLE_MAX * 4 * 6 + 64];
	pchat_cevent_t e;
	int n;

	memset(&e, 0, sizeof(e));
	if(st && (st->story || st->alert)) {
		/* the record shows what readers saw: the flags and the title */
		n = snprintf(detail, sizeof(detail), "{\"story\": %s, \"alert\": %s",
				st->story ? "true" : "false", st->alert ? "true" : "false");
		if(st->title) {
			n += snprintf(detail + n, sizeof(detail) - n, ", \"title\": ");
			pchat_json_quote(detail + n, sizeof(detail) - n,
					(const char *)st->title);
		}
		strcat(detail, "}");
		e.detail = detail;
	}
	e.type = "CHAT";
	e.ts_ms = ts_ms;
	e.room_id = room->id;
	e.room_uri = chan_uri;
	e.room_name = room->name;
	e.seq = seq;
	e.user = user;
	e.content = text;
	return pchat_compliance_event(&e);
}

/* Queues the copies of a committed post for the room's online members,
 * the author included, and hands the post to the alert process (every
 * post committed on this node passes here, once). */
static void pchat_grpchat_copies(pchat_cmd_ctx_t *ctx, long long room_id,
		char *chan_uri, long long seq, long long ts_ms, char *text,
		const pchat_story_t *st)
{
	char seqbuf[24], tsbuf[24], who[PCHAT_IDENTITY_MAX];
	char *row[6] = {NULL};
	pchat_xbuf_t *b;
	str t = {text, strlen(text)}, cu = {chan_uri, strlen(chan_uri)};
	char *plain = NULL;

	/* a story's alerts match its title too (as the search does) and show
	 * it: the text a plain client sees, "title CRLF CRLF body" */
	if(st && st->story && st->title) {
		plain = pkg_malloc(strlen((char *)st->title) + t.len + 5);
		if(plain) {
			t.len = sprintf(plain, "%s\r\n\r\n%s", (char *)st->title, text);
			t.s = plain;
		}
	}
	pchat_alert_offer(room_id, seq, ts_ms, &ctx->user, &t, &cu);
	if(plain)
		pkg_free(plain);
	b = pchat_cmd_deliver_post(ctx, room_id, seq);
	if(b == NULL)
		return;
	snprintf(seqbuf, sizeof(seqbuf), "%lld", seq);
	snprintf(tsbuf, sizeof(tsbuf), "%lld", ts_ms);
	row[0] = seqbuf;
	row[1] = tsbuf;
	/* the canonical identity, not the spelling the client used */
	snprintf(who, sizeof(who), "%.*s", ctx->user.len, ctx->user.s);
	row[2] = who;
	row[3] = text;
	if(st == NULL || (!st->story && !st->alert)) {
		pchat_xw_env_start(b, pchat_cmd_next_envid());
		pchat_cmd_write_msg(b, "grpchat", chan_uri, row);
		pchat_xw_env_end(b);
		return;
	}
	/* a story or alert in its two forms, one envelope each: the flags
	 * for the sessions that declared pchat-story, text for the others
	 * (pchat_fanout.c hands each session its own) */
	pchat_xw_env_start(b, pchat_cmd_next_envid());
	pchat_cmd_write_msg_kind(b, "grpchat", chan_uri, row, st->story,
			st->alert, (const char *)st->title, 1);
	pchat_xw_env_end(b);
	pchat_xw_env_start(b, pchat_cmd_next_envid());
	pchat_cmd_write_msg_kind(b, "grpchat", chan_uri, row, st->story,
			st->alert, (const char *)st->title, 0);
	pchat_xw_env_end(b);
}

/* A lone post goes to the writer, which commits it with the posts of other
 * sessions; the caller suspends the INFO and queues ctx->post. */
static pchat_cmd_rc_t pchat_grpchat_defer(pchat_cmd_ctx_t *ctx,
		pchat_room_t *room, xmlChar *text, char *chan_uri, long long now,
		int comply)
{
	str t, cu;

	t.s = (char *)text;
	t.len = strlen(t.s);
	cu.s = chan_uri;
	cu.len = strlen(chan_uri);
	ctx->post = pchat_post_new(room->id, room->chat_history, &ctx->user, &t,
			&cu, comply ? room->name : NULL);
	if(ctx->post == NULL) /* shm short: a 503, the client tries later */
		return PCHAT_CMD_UNAVAILABLE;
	ctx->post->ts_ms = now;
	return PCHAT_CMD_OK;
}

void pchat_cmd_grpchat_done(pchat_cmd_ctx_t *ctx, pchat_post_t *p)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->user = p->user;
	pchat_grpchat_copies(ctx, p->room_id, p->chan_uri.s, p->seq, p->ts_ms,
			p->text.s, NULL);
}

/* The room of a post and the right to post there: 0, or the refusal
 * answered at SIP level (rc set), or a store outcome in rc. */
static int pchat_grpchat_room(pchat_cmd_ctx_t *ctx, const char *guid,
		pchat_room_t *room, pchat_cmd_rc_t *rc)
{
	pchat_perm_in_t in;
	const char *why;
	int found, joined;

	found = pchat_room_find_user_for_post(guid, &ctx->user, room, &in);
	*rc = found == PCHAT_STORE_WOULD_WAIT ? PCHAT_CMD_WOULD_WAIT
										  : PCHAT_CMD_UNAVAILABLE;
	if(found == PCHAT_STORE_WOULD_WAIT || found == PCHAT_STORE_UNAVAILABLE)
		return -1;
	if(found < 0) {
		*rc = pchat_cmd_sip_error(
				ctx, 500, "Server Internal Error", "storage error");
		return -1;
	}
	joined = room->id != 0 && pchat_in_room(ctx->sess_id, room->id);
	if(found == 0 && !joined) /* hidden from the user: a missing room */
		*rc = pchat_cmd_sip_error(ctx, 404, "Not Found", "no such room");
	else if(!joined)
		*rc = pchat_cmd_sip_error(
				ctx, 403, "Forbidden", "join the room before posting");
	else if((why = pchat_perm_refusal(&in, PCHAT_PERM_POST)) != NULL)
		*rc = pchat_cmd_sip_error(ctx, 403, "Forbidden", why);
	else
		return 0;
	return -1;
}

/* A checked post committed here (a post of a multi-message envelope, a
 * story or an alert), then its copies queued. */
static pchat_cmd_rc_t pchat_grpchat_commit(pchat_cmd_ctx_t *ctx,
		pchat_room_t *room, const char *text, const pchat_story_t *st,
		char *chan_uri, long long now, int comply)
{
	pchat_store_rc_t src;
	long long seq;

	/* committed before anyone sees it, with the room's next number */
	if((src = pchat_db_begin()) != PCHAT_STORE_OK)
		goto failed;
	src = pchat_store_post(
			room->id, room->chat_history, now, &ctx->user, text, st, &seq);
	if(src == PCHAT_STORE_OK && comply)
		src = pchat_comply_chat(
				room, chan_uri, seq, now, &ctx->user, text, st);
	if(src != PCHAT_STORE_OK) {
		pchat_db_rollback();
		goto failed;
	}
	if((src = pchat_db_commit()) != PCHAT_STORE_OK)
		goto failed;
	pchat_grpchat_copies(
			ctx, room->id, chan_uri, seq, now, (char *)text, st);
	return PCHAT_CMD_OK;
failed:
	/* a reader may not wait for MySQL: a store worker runs it again */
	if(src == PCHAT_STORE_WOULD_WAIT)
		return PCHAT_CMD_WOULD_WAIT;
	if(src == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	return pchat_cmd_sip_error(ctx, 500, "Server Internal Error",
			"the message could not be stored");
}

/* The checked text (and story flags) of a post, posted. */
static pchat_cmd_rc_t pchat_grpchat_post(pchat_cmd_ctx_t *ctx,
		pchat_xccos_env_t *env, const char *guid, xmlChar *text,
		const pchat_story_t *st, pchat_server_config_t *cfg)
{
	pchat_room_t room;
	pchat_cmd_rc_t rc;
	char chan_uri[256];
	long long now;

	if(pchat_grpchat_room(ctx, guid, &room, &rc) < 0)
		return rc;
	now = pchat_now_ms();
	pchat_room_uri(ctx, room.guid, chan_uri, sizeof(chan_uri));
	/* stories and alerts are rare: committed here, never deferred, so
	 * the post writer keeps to plain text */
	if(ctx->may_defer && env->nmsgs == 1 && !st->story && !st->alert)
		return pchat_grpchat_defer(
				ctx, &room, text, chan_uri, now, cfg->compliance);
	return pchat_grpchat_commit(ctx, &room, (const char *)text, st,
			chan_uri, now, cfg->compliance);
}

/* grpchat: checked, committed to the store, then handed to every online
 * participant including the author (clients show their own posts only
 * when they come back). A refusal is the SIP answer to the INFO: there is
 * no XCCOS reply to a post. Stories and alerts: doc/xccos.md 3.19. */
pchat_cmd_rc_t pchat_cmd_grpchat(PCHAT_CMD_ARGS)
{
	pchat_server_config_t cfg;
	pchat_story_t st;
	xmlNodePtr chat;
	xmlChar *text = NULL;
	const char *uri, *author;
	char guid[64], warn[200];
	pchat_store_rc_t src;
	pchat_cmd_rc_t rc;
	int code;

	uri = pchat_xccos_attr(m->node, "chanUri");
	author = pchat_xccos_attr(m->node, "author");
	chat = pchat_xccos_child(m->node, "chat");
	if(pchat_room_guid_of_uri(uri, guid, sizeof(guid)) < 0 || chat == NULL)
		return pchat_cmd_sip_error(ctx, 400, "Bad Request",
				"grpchat needs a ma-chan:// chanUri and a chat element");
	if(!pchat_is_own_identity(ctx, author))
		return pchat_cmd_sip_error(ctx, 403, "Forbidden",
				"the author must be the sender's own identity");
	src = pchat_store_server_config_cached(&cfg);
	if(src == PCHAT_STORE_WOULD_WAIT)
		return PCHAT_CMD_WOULD_WAIT;
	if(src == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	text = xmlNodeGetContent(chat);
	if(text == NULL)
		return PCHAT_CMD_ERROR;
	code = pchat_story_parse(
			m->node, (const char *)text, &cfg, &st, warn, sizeof(warn));
	if(code == 0)
		rc = pchat_grpchat_post(ctx, env, guid, text, &st, &cfg);
	else if(code < 0)
		rc = PCHAT_CMD_ERROR;
	else if(code == 413)
		rc = pchat_cmd_sip_error(ctx, 413, "Request Entity Too Large", warn);
	else
		rc = pchat_cmd_sip_error(ctx, 400, "Bad Request", warn);
	pchat_story_free(&st);
	xmlFree(text);
	return rc;
}

/* A post the server makes for a user (a completed file upload): checked
 * by the caller, committed here with the room's next number, the CHAT
 * event when compliance is on and extra (the caller's event, may be NULL)
 * in the same transaction, then delivered like the user's own grpchat. */
pchat_store_rc_t pchat_cmd_post_as(str *user, long long room_id,
		const char *text, pchat_cevent_t *extra, long long *seq, int *kept)
{
	pchat_server_config_t cfg;
	pchat_cmd_ctx_t ctx;
	pchat_room_t room;
	pchat_store_rc_t src;
	char chan_uri[256];
	long long now = pchat_now_ms();
	int found;

	if((src = pchat_store_server_config_cached(&cfg)) != PCHAT_STORE_OK)
		return src;
	found = pchat_room_by_id(room_id, &room);
	if(found <= 0)
		return found < 0 ? (pchat_store_rc_t)found : PCHAT_STORE_ERROR;
	memset(&ctx, 0, sizeof(ctx));
	ctx.invited = pchat_uri_service_for(NULL);
	ctx.user = *user;
	pchat_room_uri(&ctx, room.guid, chan_uri, sizeof(chan_uri));
	if((src = pchat_db_begin()) != PCHAT_STORE_OK)
		return src;
	src = pchat_store_post(
			room.id, room.chat_history, now, user, text, NULL, seq);
	if(src == PCHAT_STORE_OK && cfg.compliance)
		src = pchat_comply_chat(&room, chan_uri, *seq, now, user, text, NULL);
	if(src == PCHAT_STORE_OK && cfg.compliance && extra) {
		extra->ts_ms = now;
		extra->room_id = room.id;
		extra->room_uri = chan_uri;
		extra->room_name = room.name;
		extra->seq = *seq;
		extra->user = user;
		src = pchat_compliance_event(extra);
	}
	if(src != PCHAT_STORE_OK) {
		pchat_db_rollback();
		return src;
	}
	if((src = pchat_db_commit()) != PCHAT_STORE_OK)
		return src;
	*kept = room.chat_history;
	pchat_grpchat_copies(
			&ctx, room.id, chan_uri, *seq, now, (char *)text, NULL);
	pchat_cmd_flush(&ctx);
	return PCHAT_STORE_OK;
}
