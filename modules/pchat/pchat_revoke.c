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
/* Parts the online sessions that an administrator's change has locked out
 * of a room, with the same rule the join applies (no second rule set). */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/dprint.h"
#include "core/mem/pkg.h"

#include "pchat_cmd_room.h"
#include "pchat_fanout.h"
#include "pchat_mod.h"
#include "pchat_revoke.h"
#include "pchat_access.h"
#include "pchat_config.h"
#include "pchat_session.h"

#define PCHAT_REVOKE_ROOMS_MAX 1024 /* rooms of one session, as the roster */

static int pchat_member_cmp(const void *a, const void *b)
{
	const pchat_roster_member_t *x = *(pchat_roster_member_t *const *)a;
	const pchat_roster_member_t *y = *(pchat_roster_member_t *const *)b;

	if(x->user.len != y->user.len)
		return x->user.len - y->user.len;
	return memcmp(x->user.s, y->user.s, x->user.len);
}

/* May user still join the room? A store error counts as no: the user can
 * join again, and the join checks once more (fail closed). */
static int pchat_revoke_allowed(
		pchat_room_t *room, pchat_db_res_t *rows, str *user)
{
	pchat_viewer_t v;
	pchat_perm_in_t in;
	pchat_store_rc_t rc;

	rc = pchat_viewer_load(&v, user);
	if(rc == PCHAT_STORE_OK)
		rc = pchat_room_access_rows(room, &v, rows->rows, rows->nrows, &in);
	pchat_viewer_free(&v);
	if(rc != PCHAT_STORE_OK) {
		LM_ERR("room %lld: cannot read the rights of %.*s, parting it\n",
				room->id, user->len, user->s);
		return 0;
	}
	return pchat_perm_refusal(&in, PCHAT_PERM_JOIN) == NULL;
}

/* Parts the sessions m[0..n) (one user) and queues the ntc:part. */
static int pchat_revoke_user(pchat_cmd_ctx_t *ctx, pchat_room_t *room,
		pchat_roster_member_t **m, int n, int update_limit)
{
	pchat_session_ref_t ref;
	pchat_session_t *s;
	int i, one, parted = 0;

	ctx->invited = pchat_uri_list();
	for(i = 0; i < n; i++) {
		one = _pchat_roster.part((unsigned long long)room->id, m[i]->sess_id);
		parted += one;
		ref.hid = m[i]->sess_hid;
		ref.id = m[i]->sess_id;
		s = pchat_session_get(&ref);
		if(s) {
			ctx->invited = s->uri; /* configured, lives as long as pchat */
			pchat_session_release(s);
		}
		if(one > 0)
			pchat_comply_part(ctx->invited, room->id, room->guid, room->name,
					&m[i]->user, "revoked");
	}
	LM_INFO("room %lld: %.*s may no longer join, %d session(s) parted\n",
			room->id, m[0]->user.len, m[0]->user.s, parted);
	if(parted > 0
			&& !_pchat_roster.user_present(
					(unsigned long long)room->id, &m[0]->user, 0))
		pchat_notify_part(ctx, room->id, room->guid, &m[0]->user, update_limit);
	return parted;
}

int pchat_revoke_room(long long room_id)
{
	pchat_roster_snapshot_t snap;
	pchat_roster_member_t **by_user = NULL;
	pchat_server_config_t cfg;
	pchat_cmd_ctx_t ctx;
	pchat_db_res_t rows;
	pchat_room_t room;
	int i, k, rc, parted = 0;

	if(_pchat_roster.count((unsigned long long)room_id) <= 0)
		return 0;
	rc = pchat_room_by_id(room_id, &room);
	if(rc <= 0)
		return 0; /* removed: pchat.room_remove parts its participants */
	if(pchat_room_access_load(&room, &rows) != PCHAT_STORE_OK) {
		LM_ERR("room %lld: cannot read its rules, nobody parted\n", room_id);
		return 0;
	}
	pchat_store_server_config_cached(&cfg);
	memset(&ctx, 0, sizeof(ctx));
	memset(&snap, 0, sizeof(snap));
	if(_pchat_roster.snapshot((unsigned long long)room_id, &snap) < 0)
		goto done;
	by_user = pkg_malloc((snap.n + 1) * sizeof(*by_user));
	if(by_user == NULL) {
		PKG_MEM_ERROR;
		goto done;
	}
	for(i = 0; i < snap.n; i++)
		by_user[i] = &snap.members[i];
	/* one check per user, however many sessions it has in the room */
	qsort(by_user, snap.n, sizeof(*by_user), pchat_member_cmp);
	for(i = 0; i < snap.n; i = k) {
		for(k = i + 1;
				k < snap.n && pchat_member_cmp(&by_user[i], &by_user[k]) == 0;
				k++)
			;
		if(!pchat_revoke_allowed(&room, &rows, &by_user[i]->user))
			parted += pchat_revoke_user(&ctx, &room, by_user + i, k - i,
					cfg.participant_update_limit);
	}
	pchat_cmd_flush(&ctx);
done:
	if(by_user)
		pkg_free(by_user);
	if(snap.members)
		_pchat_roster.free_snapshot(&snap);
	pchat_db_res_free(&rows);
	return parted;
}

int pchat_revoke_category(long long cat_id)
{
	pchat_db_res_t res;
	int i, parted = 0;

	if(pchat_db_exec("WITH RECURSIVE down (id, kind, lvl) AS (SELECT id, "
					 "kind, 0 FROM pchat_node WHERE id = ? UNION ALL SELECT "
					 "n.id, n.kind, d.lvl + 1 FROM pchat_node n JOIN down d "
					 "ON n.parent_id = d.id WHERE d.lvl < 1000) "
					 "SELECT id FROM down WHERE kind = 'room'",
			   &res, cat_id)
			!= PCHAT_STORE_OK) {
		LM_ERR("category %lld: cannot list its rooms, nobody parted\n", cat_id);
		return 0;
	}
	for(i = 0; i < res.nrows; i++)
		parted += pchat_revoke_room(strtoll(res.rows[i][0], NULL, 10));
	pchat_db_res_free(&res);
	return parted;
}

/* The sessions a policy scope covers, collected under the session locks
 * and handled after they are released. */
typedef struct pchat_revoke_walk
{
	const char *user, *domain;
	unsigned int *ids;
	int n, size;
} pchat_revoke_walk_t;

static int pchat_revoke_covers(pchat_revoke_walk_t *w, str *user)
{
	const char *at;
	int dlen;

	if(w->user)
		return (int)strlen(w->user) == user->len
			   && memcmp(w->user, user->s, user->len) == 0;
	if(w->domain == NULL)
		return 1;
	for(at = user->s + user->len - 1; at >= user->s && *at != '@'; at--)
		;
	if(at < user->s)
		return 0;
	dlen = user->s + user->len - (at + 1);
	return (int)strlen(w->domain) == dlen
		   && strncasecmp(w->domain, at + 1, dlen) == 0;
}

static int pchat_revoke_collect(pchat_session_t *s, void *param)
{
	pchat_revoke_walk_t *w = param;
	unsigned int *ids;

	if(!pchat_revoke_covers(w, &s->user))
		return 0;
	if(w->n == w->size) {
		ids = pkg_realloc(w->ids, (w->size * 2 + 16) * sizeof(*ids));
		if(ids == NULL) {
			PKG_MEM_ERROR;
			return -1;
		}
		w->ids = ids;
		w->size = w->size * 2 + 16;
	}
	w->ids[w->n++] = s->id;
	return 0;
}

static int pchat_room_id_cmp(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

/* The rooms the sessions of w are in, sorted, each once; NULL and *n 0
 * when there are none (or no memory). */
static unsigned long long *pchat_revoke_rooms(pchat_revoke_walk_t *w, int *n)
{
	unsigned long long *all = NULL, *more;
	int i, k, got, size = 0;

	*n = 0;
	for(i = 0; i < w->n; i++) {
		if(*n + PCHAT_REVOKE_ROOMS_MAX > size) {
			more = pkg_realloc(all,
					(size + PCHAT_REVOKE_ROOMS_MAX) * sizeof(*all));
			if(more == NULL) {
				PKG_MEM_ERROR;
				break;
			}
			all = more;
			size += PCHAT_REVOKE_ROOMS_MAX;
		}
		got = _pchat_roster.rooms_of(
				w->ids[i], all + *n, PCHAT_REVOKE_ROOMS_MAX);
		*n += got < PCHAT_REVOKE_ROOMS_MAX ? got : PCHAT_REVOKE_ROOMS_MAX;
	}
	if(*n == 0)
		return all;
	qsort(all, *n, sizeof(*all), pchat_room_id_cmp);
	for(i = 1, k = 1; i < *n; i++) {
		if(all[i] != all[k - 1])
			all[k++] = all[i];
	}
	*n = k;
	return all;
}

int pchat_revoke_users(const char *user, const char *domain)
{
	unsigned long long *rooms;
	pchat_revoke_walk_t w;
	int i, n, parted = 0;

	memset(&w, 0, sizeof(w));
	w.user = user;
	w.domain = domain;
	if(pchat_session_walk(pchat_revoke_collect, &w) < 0)
		LM_ERR("out of memory: some sessions were not checked\n");
	/* each room once, for all its users, however many sessions are in it */
	rooms = pchat_revoke_rooms(&w, &n);
	for(i = 0; i < n; i++)
		parted += pchat_revoke_room((long long)rooms[i]);
	if(rooms)
		pkg_free(rooms);
	if(w.ids)
		pkg_free(w.ids);
	return parted;
}
