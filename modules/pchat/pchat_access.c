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
/* Access rules: reads a room, its category's switches, the user's roles,
 * walls and policy from the store and feeds them to pchat_perm. Layer 3:
 * never sends or writes a reply. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/atomic_ops.h"
#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/pkg.h"
#include "core/mem/shm_mem.h"

#include "pchat_db.h"
#include "pchat_identity.h"
#include "pchat_mod.h"
#include "pchat_policy.h"
#include "pchat_access.h"
#include "pchat_wall.h"

#define PCHAT_GROUPS_MAX 256

static void pchat_copy(char *dst, int size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

void pchat_room_from_row(char **row, pchat_room_t *room)
{
	memset(room, 0, sizeof(*room));
	room->id = strtoll(row[0], NULL, 10);
	pchat_copy(room->guid, sizeof(room->guid), row[1]);
	pchat_copy(room->name, sizeof(room->name), row[2]);
	pchat_copy(room->description, sizeof(room->description), row[3]);
	pchat_copy(room->topic, sizeof(room->topic), row[4]);
	room->privacy = strcmp(row[5], "open") == 0		 ? PCHAT_PRIVACY_OPEN
					: strcmp(row[5], "secret") == 0 ? PCHAT_PRIVACY_SECRET
													 : PCHAT_PRIVACY_CLOSED;
	room->auditorium = strcmp(row[6], "auditorium") == 0;
	room->disabled = row[7][0] == '1';
	room->invitations_off = strcmp(row[8], "false") == 0;
	room->category_id = strtoll(row[9], NULL, 10);
	room->file_upload = row[10][0] == '1';
	room->invitations = row[11][0] == '1' && !room->invitations_off;
	room->chat_history = row[12][0] == '1';
}

/* The one room a lookup found: 1, 0 when none, or the store's error. */
static int pchat_room_one(
		pchat_store_rc_t rc, pchat_db_res_t *res, pchat_room_t *room)
{
	int found;

	if(rc != PCHAT_STORE_OK)
		return rc;
	found = res->nrows > 0;
	if(found)
		pchat_room_from_row(res->rows[0], room);
	pchat_db_res_free(res);
	return found;
}

int pchat_room_by_guid(const char *guid, pchat_room_t *room)
{
	pchat_db_res_t res;

	return pchat_room_one(pchat_db_exec(PCHAT_ROOM_SELECT
								  "WHERE r.kind = 'room' AND r.guid = ?",
								  &res, guid),
			&res, room);
}

int pchat_room_by_id(long long id, pchat_room_t *room)
{
	pchat_db_res_t res;

	return pchat_room_one(pchat_db_exec(PCHAT_ROOM_SELECT
								  "WHERE r.kind = 'room' AND r.id = ?",
								  &res, id),
			&res, room);
}

/* The domain part of sip:user@domain (lower case) into buf. */
static void pchat_user_domain(str *user, char *buf, int size)
{
	const char *at = memchr(user->s, '@', user->len);
	int len = at ? user->len - (int)(at + 1 - user->s) : 0, i;
	const char *semi;

	if(at && (semi = memchr(at, ';', len)) != NULL)
		len = semi - (at + 1);
	if(len >= size)
		len = size - 1;
	for(i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)at[1 + i]);
	buf[len] = '\0';
}

static void pchat_user_lower(str *user, char *buf, int size)
{
	int i, len = user->len < size - 1 ? user->len : size - 1;

	for(i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)user->s[i]);
	buf[len] = '\0';
}

pchat_store_rc_t pchat_policy_enabled(str *user, int *enabled)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	char uri[256], domain[256];
	int i, rows[3] = {PCHAT_POLICY_ABSENT, PCHAT_POLICY_ABSENT,
				   PCHAT_POLICY_ABSENT}; /* user, domain, global */

	*enabled = 0; /* whatever fails below, nobody is let in by mistake */
	pchat_user_lower(user, uri, sizeof(uri));
	pchat_user_domain(user, domain, sizeof(domain));
	rc = pchat_db_exec("SELECT scope_type, enabled FROM pchat_policy WHERE "
					   "(scope_type = 'user' AND scope = ?) OR "
					   "(scope_type = 'domain' AND scope = ?) OR "
					   "scope_type = 'global'",
			&res, uri, domain);
	if(rc != PCHAT_STORE_OK)
		return rc;
	for(i = 0; i < res.nrows; i++) {
		rows[strcmp(res.rows[i][0], "user") == 0	   ? 0
			 : strcmp(res.rows[i][0], "domain") == 0 ? 1
													 : 2] =
				pchat_policy_row(res.rows[i][1]);
	}
	pchat_db_res_free(&res);
	pchat_policy_resolve(rows[0], rows[1], rows[2], enabled);
	return PCHAT_STORE_OK;
}

pchat_store_rc_t pchat_principals_of(str *user, pchat_principals_t *p)
{
	pchat_user_lower(user, p->uri, sizeof(p->uri));
	pchat_user_domain(user, p->domain, sizeof(p->domain));
	return pchat_db_exec("SELECT g.name FROM pchat_group g JOIN "
						 "pchat_group_member m ON m.group_id = g.id "
						 "WHERE m.user_uri = ?",
			&p->groups, p->uri);
}

void pchat_principals_free(pchat_principals_t *p)
{
	pchat_db_res_free(&p->groups);
}

/* The user as a wall principal; groups points into p's result rows. */
static void pchat_wall_user(pchat_principals_t *p, pchat_wall_principal_t *wp,
		const char **groups, int max)
{
	int i;

	wp->type = PCHAT_WALL_USER;
	wp->value = p->uri;
	for(i = 0; i < p->groups.nrows && i < max; i++)
		groups[i] = p->groups.rows[i][0];
	wp->groups = groups;
	wp->ngroups = i;
}

static pchat_wall_ptype_t pchat_wall_type(const char *type)
{
	return strcmp(type, "user") == 0	  ? PCHAT_WALL_USER
		   : strcmp(type, "domain") == 0 ? PCHAT_WALL_DOMAIN
										 : PCHAT_WALL_GROUP;
}

int pchat_principals_cover(
		pchat_principals_t *p, const char *type, const char *principal)
{
	const char *groups[PCHAT_GROUPS_MAX];
	pchat_wall_principal_t wp;
	pchat_wall_rule_t r;

	pchat_wall_user(p, &wp, groups, PCHAT_GROUPS_MAX);
	memset(&r, 0, sizeof(r));
	r.type = pchat_wall_type(type);
	r.value = principal;
	return pchat_wall_covers(&r, &wp);
}

pchat_store_rc_t pchat_viewer_load(pchat_viewer_t *v, str *user)
{
	pchat_store_rc_t rc;

	memset(v, 0, sizeof(*v));
	rc = pchat_policy_enabled(user, &v->policy);
	if(rc != PCHAT_STORE_OK)
		return rc;
	rc = pchat_principals_of(user, &v->who);
	if(rc != PCHAT_STORE_OK)
		return rc;
	v->loaded = 1;
	return PCHAT_STORE_OK;
}

void pchat_viewer_free(pchat_viewer_t *v)
{
	if(v->loaded)
		pchat_principals_free(&v->who);
	v->loaded = 0;
}

/* Roles held on the room or on any category above it ('r', level above
 * the room), and the scope rules (ethical walls) of every category above
 * it ('s', level above the room's category): one walk up the tree. */
static const char *_pchat_access_sql =
		"WITH RECURSIVE up (id, parent_id, lvl) AS (SELECT id, parent_id, 0 "
		"FROM pchat_node WHERE id = ? UNION ALL SELECT n.id, n.parent_id, "
		"up.lvl + 1 FROM pchat_node n JOIN up ON n.id = up.parent_id) "
		"SELECT 'r', up.lvl, r.role, r.principal_type, r.principal "
		"FROM pchat_role r JOIN up ON r.node_id = up.id "
		"UNION ALL "
		"SELECT 's', up.lvl - 1, s.scope, s.principal_type, s.principal "
		"FROM pchat_scope s JOIN up ON s.category_id = up.id WHERE up.lvl > 0";

pchat_store_rc_t pchat_room_access_rows(pchat_room_t *room, pchat_viewer_t *v,
		char ***rows, int nrows, pchat_perm_in_t *in)
{
	pchat_wall_rule_t *rules = NULL;
	pchat_wall_principal_t wp;
	const char *groups[PCHAT_GROUPS_MAX];
	const char **row;
	int i, nrules = 0;

	memset(in, 0, sizeof(*in));
	in->privacy = room->privacy;
	in->auditorium = room->auditorium;
	in->disabled = room->disabled;
	in->policy_enabled = v->policy;
	in->wall_allowed = 1;
	for(i = 0; i < nrows; i++) {
		row = (const char **)rows[i];
		if(row[0][0] == 's') {
			nrules++;
			continue;
		}
		if(!pchat_principals_cover(&v->who, row[3], row[4]))
			continue;
		if(strcmp(row[2], "member") == 0)
			in->roles |= PCHAT_ROLE_MEMBER;
		else if(strcmp(row[2], "manager") == 0)
			in->roles |= PCHAT_ROLE_MANAGER;
		else if(strcmp(row[2], "presenter") == 0)
			in->roles |= PCHAT_ROLE_PRESENTER;
	}
	if(nrules > 0) {
		rules = pkg_malloc(nrules * sizeof(*rules));
		if(rules == NULL) {
			PKG_MEM_ERROR;
			return PCHAT_STORE_ERROR;
		}
		nrules = 0;
		for(i = 0; i < nrows; i++) {
			row = (const char **)rows[i];
			if(row[0][0] != 's')
				continue;
			rules[nrules].level = atoi(row[1]);
			rules[nrules].scope = strcmp(row[2], "denied") == 0
										  ? PCHAT_WALL_SCOPE_DENIED
										  : PCHAT_WALL_SCOPE_ALLOWED;
			rules[nrules].type = pchat_wall_type(row[3]);
			rules[nrules].value = row[4];
			nrules++;
		}
		pchat_wall_user(&v->who, &wp, groups, PCHAT_GROUPS_MAX);
		in->wall_allowed = pchat_wall_decide(rules, nrules, &wp, NULL)
						   == PCHAT_WALL_PASS;
		pkg_free(rules);
	}
	return PCHAT_STORE_OK;
}

pchat_store_rc_t pchat_room_access_load(pchat_room_t *room, pchat_db_res_t *res)
{
	return pchat_db_exec(_pchat_access_sql, res, room->id);
}

pchat_store_rc_t pchat_room_access_for(
		pchat_room_t *room, pchat_viewer_t *v, pchat_perm_in_t *in)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;

	rc = pchat_room_access_load(room, &res);
	if(rc != PCHAT_STORE_OK)
		return rc;
	rc = pchat_room_access_rows(room, v, res.rows, res.nrows, in);
	pchat_db_res_free(&res);
	return rc;
}

pchat_store_rc_t pchat_room_access(
		pchat_room_t *room, str *user, pchat_perm_in_t *in)
{
	pchat_viewer_t v;
	pchat_store_rc_t rc;

	rc = pchat_viewer_load(&v, user);
	if(rc == PCHAT_STORE_OK)
		rc = pchat_room_access_for(room, &v, in);
	pchat_viewer_free(&v);
	return rc;
}

pchat_store_rc_t pchat_creator_cats_open(str *user, pchat_creator_cats_t *c)
{
	pchat_store_rc_t rc;

	memset(c, 0, sizeof(*c));
	rc = pchat_principals_of(user, &c->who);
	if(rc != PCHAT_STORE_OK)
		return rc;
	rc = pchat_db_exec("SELECT DISTINCT n.guid, n.name, r.principal_type, "
					   "r.principal FROM pchat_role r JOIN pchat_node n ON "
					   "n.id = r.node_id WHERE r.role = 'creator' AND "
					   "n.kind = 'category' ORDER BY n.name, n.guid",
			&c->res);
	if(rc != PCHAT_STORE_OK)
		pchat_principals_free(&c->who);
	return rc;
}

int pchat_creator_cats_next(
		pchat_creator_cats_t *c, const char **guid, const char **name)
{
	char **row;

	for(; c->i < c->res.nrows; c->i++) {
		row = c->res.rows[c->i];
		if(!pchat_principals_cover(&c->who, row[2], row[3]))
			continue;
		/* rows come grouped by category: one answer per category */
		if(c->last && strcmp(c->last, row[0]) == 0)
			continue;
		c->last = row[0];
		*guid = row[0];
		*name = row[1];
		c->i++;
		return 1;
	}
	return 0;
}

void pchat_creator_cats_close(pchat_creator_cats_t *c)
{
	pchat_db_res_free(&c->res);
	pchat_principals_free(&c->who);
}

int pchat_room_find(const char *guid, pchat_viewer_t *v, pchat_room_t *room,
		pchat_perm_in_t *in)
{
	int found, rc;

	found = pchat_room_by_guid(guid, room);
	if(found < 0)
		return found;
	if(found == 0)
		memset(room, 0, sizeof(*room)); /* id 0: the walk finds nothing */
	rc = pchat_room_access_for(room, v, in);
	if(rc != PCHAT_STORE_OK)
		return rc;
	return found && (pchat_perm_eval(in) & PCHAT_PERM_SEE) ? 1 : 0;
}

int pchat_room_find_user(
		const char *guid, str *user, pchat_room_t *room, pchat_perm_in_t *in)
{
	pchat_viewer_t v;
	int rc;

	rc = pchat_viewer_load(&v, user);
	if(rc == PCHAT_STORE_OK)
		rc = pchat_room_find(guid, &v, room, in);
	pchat_viewer_free(&v);
	return rc;
}

/* --- the post cache ----------------------------------------------- */

#define PCHAT_POST_CACHE_MS 1000
/* the age from which a store worker reads a used answer again, ahead of
 * its expiry (pchat_post_cache_refresh) */
#define PCHAT_POST_REFRESH_MS 700
/* in shm: a store worker's answer serves the SIP readers, which may not
 * query (pchat_db_nowait()) */
#define PCHAT_POST_CACHE_SLOTS 4096
#define PCHAT_POST_CACHE_LOCKS 64
/* 4-way sets: direct-mapped, 200 (user, room) pairs put about five pairs
 * on a slot another pair held, and each then evicted the other at every
 * post (about 90 posts/s into a worker at 2,500 posts/s) */
#define PCHAT_POST_CACHE_WAYS 4
#define PCHAT_POST_LOCK(slot) \
	(((slot) / PCHAT_POST_CACHE_WAYS) % PCHAT_POST_CACHE_LOCKS)

typedef struct pchat_post_answer
{
	unsigned long long at_ms; /* 0: empty */
	unsigned long long used_ms; /* last answered from here */
	int gen;
	int rc;
	long long room_id;
	int chat_history;
	pchat_perm_in_t in;
	char guid[40];
	char user[PCHAT_IDENTITY_MAX];
} pchat_post_answer_t;

static atomic_t *_pchat_access_gen = NULL;
static pchat_post_answer_t *_pchat_post_cache = NULL;
/* per slot, the at_ms of an answer used since it was read (a refresh
 * candidate), else 0: the refresh's scan reads these 32 KB, not 4,096
 * slots of the cache, ten times a second on every node of a pool */
static unsigned long long *_pchat_post_used_at = NULL;
static gen_lock_set_t *_pchat_post_locks = NULL;
static int _pchat_refresh_next = 0; /* the refreshing worker's cursor */

int pchat_access_mod_init(void)
{
	int n = PCHAT_POST_CACHE_SLOTS * sizeof(pchat_post_answer_t);

	_pchat_access_gen = shm_malloc(sizeof(atomic_t));
	_pchat_post_cache = shm_malloc(n);
	_pchat_post_used_at = shm_malloc(PCHAT_POST_CACHE_SLOTS * sizeof(*_pchat_post_used_at));
	_pchat_post_locks = lock_set_alloc(PCHAT_POST_CACHE_LOCKS);
	if(_pchat_access_gen == NULL || _pchat_post_cache == NULL
			|| _pchat_post_used_at == NULL || _pchat_post_locks == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	atomic_set(_pchat_access_gen, 0);
	memset(_pchat_post_cache, 0, n);
	memset(_pchat_post_used_at, 0,
			PCHAT_POST_CACHE_SLOTS * sizeof(*_pchat_post_used_at));
	if(lock_set_init(_pchat_post_locks) == NULL)
		return -1;
	return 0;
}

void pchat_access_changed(void)
{
	if(_pchat_access_gen)
		atomic_inc(_pchat_access_gen);
}

/* The first slot of the set of (guid, user), -1 when none can hold it. */
static int pchat_post_set(const char *guid, str *user)
{
	unsigned int h;

	if(_pchat_post_cache == NULL || user->len >= PCHAT_IDENTITY_MAX
			|| strlen(guid) >= sizeof(_pchat_post_cache[0].guid))
		return -1;
	h = pchat_fnv1a(PCHAT_FNV1A_SEED, guid, strlen(guid));
	h = pchat_fnv1a(h, user->s, user->len);
	return (int)(h % (PCHAT_POST_CACHE_SLOTS / PCHAT_POST_CACHE_WAYS))
		   * PCHAT_POST_CACHE_WAYS;
}

static int pchat_post_is(pchat_post_answer_t *a, const char *guid, str *user)
{
	return strcmp(a->guid, guid) == 0 && (int)strlen(a->user) == user->len
		   && memcmp(a->user, user->s, user->len) == 0;
}

/* The slot of set (locked) for a new answer of (guid, user): its own,
 * else an empty or expired one, else the least recently used. */
static pchat_post_answer_t *pchat_post_victim(
		int set, const char *guid, str *user, unsigned long long now)
{
	pchat_post_answer_t *a, *v = NULL;
	unsigned long long last, vlast = 0;
	int w;

	for(w = 0; w < PCHAT_POST_CACHE_WAYS; w++) {
		a = &_pchat_post_cache[set + w];
		if(a->at_ms != 0 && pchat_post_is(a, guid, user))
			return a;
		if(a->at_ms == 0 || now - a->at_ms >= PCHAT_POST_CACHE_MS)
			last = 0;
		else
			last = a->used_ms > a->at_ms ? a->used_ms : a->at_ms;
		if(v == NULL || last < vlast) {
			v = a;
			vlast = last;
		}
	}
	return v;
}

static int pchat_post_hit(pchat_post_answer_t *a, const char *guid, str *user,
		int gen, unsigned long long now)
{
	return a->at_ms != 0 && a->gen == gen && now - a->at_ms < PCHAT_POST_CACHE_MS
		   && pchat_post_is(a, guid, user);
}

/* Keeps an answer in slot a (locked); its age counts from now, after the
 * queries, which may have waited. */
static void pchat_post_keep(pchat_post_answer_t *a, const char *guid,
		str *user, int gen, int rc, pchat_room_t *room, pchat_perm_in_t *in)
{
	a->at_ms = pchat_monotonic_ms();
	a->used_ms = 0;
	_pchat_post_used_at[a - _pchat_post_cache] = 0;
	a->gen = gen;
	a->rc = rc;
	a->room_id = room->id;
	a->chat_history = room->chat_history;
	a->in = *in;
	strcpy(a->guid, guid);
	memcpy(a->user, user->s, user->len);
	a->user[user->len] = '\0';
}

int pchat_room_find_user_for_post(
		const char *guid, str *user, pchat_room_t *room, pchat_perm_in_t *in)
{
	pchat_post_answer_t *a;
	unsigned long long now = pchat_monotonic_ms();
	int gen = _pchat_access_gen ? atomic_get(_pchat_access_gen) : -1;
	int rc, w, set = pchat_post_set(guid, user), hit = 0;

	if(set < 0)
		return pchat_room_find_user(guid, user, room, in);
	lock_set_get(_pchat_post_locks, PCHAT_POST_LOCK(set));
	for(w = 0; w < PCHAT_POST_CACHE_WAYS && !hit; w++) {
		a = &_pchat_post_cache[set + w];
		if(!pchat_post_hit(a, guid, user, gen, now))
			continue;
		a->used_ms = now;
		_pchat_post_used_at[set + w] = a->at_ms;
		memset(room, 0, sizeof(*room));
		room->id = a->room_id;
		room->chat_history = a->chat_history;
		strcpy(room->guid, a->guid);
		*in = a->in;
		rc = a->rc;
		hit = 1;
	}
	lock_set_release(_pchat_post_locks, PCHAT_POST_LOCK(set));
	if(hit)
		return rc;
	rc = pchat_room_find_user(guid, user, room, in);
	if(rc < 0)
		return rc; /* store errors are not remembered */
	lock_set_get(_pchat_post_locks, PCHAT_POST_LOCK(set));
	a = pchat_post_victim(set, guid, user, pchat_monotonic_ms());
	pchat_post_keep(a, guid, user, gen, rc, room, in);
	lock_set_release(_pchat_post_locks, PCHAT_POST_LOCK(set));
	return rc;
}

/* Is slot a's answer due for a refresh: still valid, old enough, and used
 * since it was read? (An unused one expires; its next post reads it.) */
static int pchat_post_due(pchat_post_answer_t *a, unsigned long long now)
{
	return a->at_ms != 0 && now - a->at_ms >= PCHAT_POST_REFRESH_MS
		   && now - a->at_ms < PCHAT_POST_CACHE_MS && a->used_ms > a->at_ms;
}

/* Reads slot i's answer again, unless the slot changed meanwhile:
 * 1 refreshed, 0 not due, -1 a store error. */
static int pchat_post_refresh_slot(int i)
{
	pchat_post_answer_t *a = &_pchat_post_cache[i];
	char guid[sizeof(a->guid)], ubuf[PCHAT_IDENTITY_MAX];
	unsigned long long at;
	pchat_room_t room;
	pchat_perm_in_t in;
	str user;
	int gen, rc, due;

	lock_set_get(_pchat_post_locks, PCHAT_POST_LOCK(i));
	due = pchat_post_due(a, pchat_monotonic_ms());
	if(due) {
		at = a->at_ms;
		strcpy(guid, a->guid);
		strcpy(ubuf, a->user);
	}
	lock_set_release(_pchat_post_locks, PCHAT_POST_LOCK(i));
	if(!due)
		return 0;
	user.s = ubuf;
	user.len = strlen(ubuf);
	gen = atomic_get(_pchat_access_gen);
	rc = pchat_room_find_user(guid, &user, &room, &in);
	if(rc < 0)
		return -1;
	lock_set_get(_pchat_post_locks, PCHAT_POST_LOCK(i));
	if(a->at_ms == at && strcmp(a->guid, guid) == 0 && strcmp(a->user, ubuf) == 0)
		pchat_post_keep(a, guid, &user, gen, rc, &room, &in);
	lock_set_release(_pchat_post_locks, PCHAT_POST_LOCK(i));
	return 1;
}

int pchat_post_cache_refresh(int max)
{
	unsigned long long now = pchat_monotonic_ms(), at;
	int n, i, done = 0;

	if(_pchat_post_cache == NULL)
		return 0;
	for(n = 0; n < PCHAT_POST_CACHE_SLOTS && done < max; n++) {
		i = _pchat_refresh_next;
		_pchat_refresh_next = (i + 1) % PCHAT_POST_CACHE_SLOTS;
		/* a look without the lock skips the many slots not due */
		at = _pchat_post_used_at[i];
		if(at == 0 || now - at < PCHAT_POST_REFRESH_MS
				|| now - at >= PCHAT_POST_CACHE_MS)
			continue;
		if(pchat_post_refresh_slot(i) < 0)
			break; /* the store fails: the next round tries again */
		done++;
	}
	return done;
}

int pchat_room_guid_of_uri(const char *uri, char *buf, int size)
{
	const char *p, *slash;
	int len, i;

	if(uri == NULL || strncasecmp(uri, "ma-chan://", 10) != 0)
		return -1;
	p = uri + 10;
	slash = strchr(p, '/');
	if(slash == NULL)
		return -1;
	len = strlen(slash + 1);
	if(len == 0 || len >= size)
		return -1;
	for(i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)slash[1 + i]);
	buf[len] = '\0';
	return 0;
}
