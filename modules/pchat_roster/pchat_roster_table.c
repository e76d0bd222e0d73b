/*
 * pchat_roster - online room participants of pchat, in shared memory
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

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/counters.h"
#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/pkg.h"
#include "core/mem/shm.h"

#include "pchat_roster_table.h"

typedef struct pchat_roster_tables
{
	unsigned int size; /* power of two, both tables */
	pchat_roster_room_t **rooms;
	pchat_roster_sess_t **sessions;
	gen_lock_set_t *room_locks;
	gen_lock_set_t *sess_locks;
} pchat_roster_tables_t;

static pchat_roster_tables_t *_roster = NULL;
static counter_handle_t _cnt_sessions, _cnt_memberships;

#define ROOM_SLOT(id) ((unsigned int)((id) ^ ((id) >> 32)) & (_roster->size - 1))
#define SESS_SLOT(id) ((id) & (_roster->size - 1))

int pchat_roster_table_init(int hash_size)
{
	unsigned int size = 1;

	while(size < (unsigned int)hash_size && size < (1u << 20))
		size <<= 1;
	_roster = shm_mallocxz(sizeof(*_roster));
	if(_roster == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	_roster->size = size;
	_roster->rooms = shm_mallocxz(size * sizeof(pchat_roster_room_t *));
	_roster->sessions = shm_mallocxz(size * sizeof(pchat_roster_sess_t *));
	_roster->room_locks = lock_set_alloc(size);
	_roster->sess_locks = lock_set_alloc(size);
	if(!_roster->rooms || !_roster->sessions || !_roster->room_locks
			|| !_roster->sess_locks || !lock_set_init(_roster->room_locks)
			|| !lock_set_init(_roster->sess_locks)) {
		LM_ERR("cannot allocate the roster tables (%u slots)\n", size);
		return -1;
	}
	if(counter_register(&_cnt_sessions, "pchat_roster", "sessions", 0, 0, 0,
			   "sessions online in at least one room", 0)
					< 0
			|| counter_register(&_cnt_memberships, "pchat_roster",
					   "memberships", 0, 0, 0,
					   "(session, room) pairs online", 0)
					   < 0) {
		LM_ERR("cannot register the roster counters\n");
		return -1;
	}
	return 0;
}

/* Finds (or with create, makes) a room record; room slot locked. */
static pchat_roster_room_t *pchat_room_get(
		unsigned long long room_id, int create)
{
	pchat_roster_room_t **pr = &_roster->rooms[ROOM_SLOT(room_id)], *r;

	for(r = *pr; r; r = r->next) {
		if(r->room_id == room_id)
			return r;
	}
	if(!create)
		return NULL;
	r = shm_mallocxz(sizeof(*r));
	if(r == NULL) {
		SHM_MEM_ERROR;
		return NULL;
	}
	r->room_id = room_id;
	r->next = *pr;
	*pr = r;
	return r;
}

static void pchat_room_drop_if_empty(pchat_roster_room_t *room)
{
	pchat_roster_room_t **pr = &_roster->rooms[ROOM_SLOT(room->room_id)];

	if(room->first)
		return;
	for(; *pr; pr = &(*pr)->next) {
		if(*pr == room) {
			*pr = room->next;
			shm_free(room);
			return;
		}
	}
}

static pchat_roster_sess_t *pchat_sess_get(unsigned int sess_id, int create)
{
	pchat_roster_sess_t **ps = &_roster->sessions[SESS_SLOT(sess_id)], *s;

	for(s = *ps; s; s = s->next) {
		if(s->sess_id == sess_id)
			return s;
	}
	if(!create)
		return NULL;
	s = shm_mallocxz(sizeof(*s));
	if(s == NULL) {
		SHM_MEM_ERROR;
		return NULL;
	}
	s->sess_id = sess_id;
	s->next = *ps;
	*ps = s;
	counter_inc(_cnt_sessions);
	return s;
}

static void pchat_sess_drop_if_empty(pchat_roster_sess_t *sess)
{
	pchat_roster_sess_t **ps = &_roster->sessions[SESS_SLOT(sess->sess_id)];

	if(sess->first)
		return;
	for(; *ps; ps = &(*ps)->next) {
		if(*ps == sess) {
			*ps = sess->next;
			shm_free(sess);
			counter_add(_cnt_sessions, -1);
			return;
		}
	}
}

static void pchat_entry_unlink_room(
		pchat_roster_room_t *room, pchat_roster_entry_t *e)
{
	if(e->room_prev)
		e->room_prev->room_next = e->room_next;
	else
		room->first = e->room_next;
	if(e->room_next)
		e->room_next->room_prev = e->room_prev;
	room->count--;
}

static void pchat_entry_unlink_sess(
		pchat_roster_sess_t *sess, pchat_roster_entry_t *e)
{
	if(e->sess_prev)
		e->sess_prev->sess_next = e->sess_next;
	else
		sess->first = e->sess_next;
	if(e->sess_next)
		e->sess_next->sess_prev = e->sess_prev;
	sess->count--;
}

int pchat_roster_join(unsigned long long room_id, unsigned int sess_hid,
		unsigned int sess_id, str *user, unsigned int roles)
{
	unsigned int ss = SESS_SLOT(sess_id), rs = ROOM_SLOT(room_id);
	pchat_roster_sess_t *sess;
	pchat_roster_room_t *room;
	pchat_roster_entry_t *e;
	int ret = -1;

	lock_set_get(_roster->sess_locks, ss);
	lock_set_get(_roster->room_locks, rs);
	sess = pchat_sess_get(sess_id, 1);
	room = sess ? pchat_room_get(room_id, 1) : NULL;
	if(room == NULL)
		goto done;
	for(e = room->first; e; e = e->room_next) {
		if(e->sess_id == sess_id) {
			e->roles = roles;
			ret = 0;
			goto done;
		}
	}
	e = shm_mallocxz(sizeof(*e) + user->len);
	if(e == NULL) {
		SHM_MEM_ERROR;
		goto done;
	}
	e->room_id = room_id;
	e->sess_hid = sess_hid;
	e->sess_id = sess_id;
	e->roles = roles;
	e->user.s = (char *)(e + 1);
	memcpy(e->user.s, user->s, user->len);
	e->user.len = user->len;
	e->room_next = room->first;
	if(room->first)
		room->first->room_prev = e;
	room->first = e;
	room->count++;
	e->sess_next = sess->first;
	if(sess->first)
		sess->first->sess_prev = e;
	sess->first = e;
	sess->count++;
	counter_inc(_cnt_memberships);
	ret = 1;
done:
	if(ret < 0) {
		if(room)
			pchat_room_drop_if_empty(room);
		if(sess)
			pchat_sess_drop_if_empty(sess);
	}
	lock_set_release(_roster->room_locks, rs);
	lock_set_release(_roster->sess_locks, ss);
	return ret;
}

int pchat_roster_part(unsigned long long room_id, unsigned int sess_id)
{
	unsigned int ss = SESS_SLOT(sess_id), rs = ROOM_SLOT(room_id);
	pchat_roster_sess_t *sess;
	pchat_roster_room_t *room;
	pchat_roster_entry_t *e = NULL;

	lock_set_get(_roster->sess_locks, ss);
	lock_set_get(_roster->room_locks, rs);
	sess = pchat_sess_get(sess_id, 0);
	room = sess ? pchat_room_get(room_id, 0) : NULL;
	if(room) {
		for(e = room->first; e && e->sess_id != sess_id; e = e->room_next)
			;
		if(e) {
			pchat_entry_unlink_room(room, e);
			pchat_entry_unlink_sess(sess, e);
			pchat_room_drop_if_empty(room);
			pchat_sess_drop_if_empty(sess);
		}
	}
	lock_set_release(_roster->room_locks, rs);
	lock_set_release(_roster->sess_locks, ss);
	if(e == NULL)
		return 0;
	shm_free(e);
	counter_add(_cnt_memberships, -1);
	return 1;
}

int pchat_roster_part_all(
		unsigned int sess_id, unsigned long long *rooms, int max)
{
	unsigned int ss = SESS_SLOT(sess_id), rs;
	pchat_roster_sess_t *sess;
	pchat_roster_room_t *room;
	pchat_roster_entry_t *e, *next;
	int n = 0;

	lock_set_get(_roster->sess_locks, ss);
	sess = pchat_sess_get(sess_id, 0);
	if(sess == NULL) {
		lock_set_release(_roster->sess_locks, ss);
		return 0;
	}
	for(e = sess->first; e; e = next) {
		next = e->sess_next;
		rs = ROOM_SLOT(e->room_id);
		lock_set_get(_roster->room_locks, rs);
		room = pchat_room_get(e->room_id, 0);
		if(room) {
			pchat_entry_unlink_room(room, e);
			pchat_room_drop_if_empty(room);
		}
		lock_set_release(_roster->room_locks, rs);
		if(n < max)
			rooms[n] = e->room_id;
		n++;
		shm_free(e);
		counter_add(_cnt_memberships, -1);
	}
	sess->first = NULL;
	sess->count = 0;
	pchat_sess_drop_if_empty(sess);
	lock_set_release(_roster->sess_locks, ss);
	return n;
}

/* Copies under the room lock into one pkg block sized beforehand; a room
 * that grew in between is copied again with the new size. */
int pchat_roster_snapshot(
		unsigned long long room_id, pchat_roster_snapshot_t *snap)
{
	unsigned int rs = ROOM_SLOT(room_id);
	pchat_roster_room_t *room;
	pchat_roster_entry_t *e;
	int count = 0, bytes = 0, need_count, need_bytes, i;
	char *block = NULL, *p;

	memset(snap, 0, sizeof(*snap));
	for(;;) {
		lock_set_get(_roster->room_locks, rs);
		room = pchat_room_get(room_id, 0);
		need_count = room ? room->count : 0;
		need_bytes = 0;
		for(e = room ? room->first : NULL; e; e = e->room_next)
			need_bytes += e->user.len;
		if(need_count == 0) {
			lock_set_release(_roster->room_locks, rs);
			if(block)
				pkg_free(block);
			return 0;
		}
		if(block && need_count <= count && need_bytes <= bytes)
			break; /* still locked: copy */
		lock_set_release(_roster->room_locks, rs);
		if(block)
			pkg_free(block);
		count = need_count + 8;
		bytes = need_bytes + 256;
		block = pkg_malloc(count * sizeof(pchat_roster_member_t) + bytes);
		if(block == NULL) {
			PKG_MEM_ERROR;
			return -1;
		}
	}
	snap->members = (pchat_roster_member_t *)block;
	p = block + count * sizeof(pchat_roster_member_t);
	i = 0;
	for(e = room ? room->first : NULL; e; e = e->room_next, i++) {
		snap->members[i].sess_hid = e->sess_hid;
		snap->members[i].sess_id = e->sess_id;
		snap->members[i].roles = e->roles;
		snap->members[i].user.s = p;
		snap->members[i].user.len = e->user.len;
		memcpy(p, e->user.s, e->user.len);
		p += e->user.len;
	}
	snap->n = i;
	lock_set_release(_roster->room_locks, rs);
	/* oldest first: joins are prepended */
	for(i = 0; i < snap->n / 2; i++) {
		pchat_roster_member_t t = snap->members[i];
		snap->members[i] = snap->members[snap->n - 1 - i];
		snap->members[snap->n - 1 - i] = t;
	}
	return 0;
}

void pchat_roster_free_snapshot(pchat_roster_snapshot_t *snap)
{
	if(snap->members)
		pkg_free(snap->members);
	snap->members = NULL;
	snap->n = 0;
}

int pchat_roster_count(unsigned long long room_id)
{
	unsigned int rs = ROOM_SLOT(room_id);
	pchat_roster_room_t *room;
	int n;

	lock_set_get(_roster->room_locks, rs);
	room = pchat_room_get(room_id, 0);
	n = room ? room->count : 0;
	lock_set_release(_roster->room_locks, rs);
	return n;
}

int pchat_roster_user_present(
		unsigned long long room_id, str *user, unsigned int except_sess_id)
{
	unsigned int rs = ROOM_SLOT(room_id);
	pchat_roster_room_t *room;
	pchat_roster_entry_t *e;
	int found = 0;

	lock_set_get(_roster->room_locks, rs);
	room = pchat_room_get(room_id, 0);
	for(e = room ? room->first : NULL; e && !found; e = e->room_next)
		found = e->sess_id != except_sess_id && e->user.len == user->len
				&& strncasecmp(e->user.s, user->s, user->len) == 0;
	lock_set_release(_roster->room_locks, rs);
	return found;
}

int pchat_roster_rooms_of(
		unsigned int sess_id, unsigned long long *rooms, int max)
{
	unsigned int ss = SESS_SLOT(sess_id);
	pchat_roster_sess_t *sess;
	pchat_roster_entry_t *e;
	int n = 0;

	lock_set_get(_roster->sess_locks, ss);
	sess = pchat_sess_get(sess_id, 0);
	for(e = sess ? sess->first : NULL; e; e = e->sess_next, n++) {
		if(n < max)
			rooms[n] = e->room_id;
	}
	lock_set_release(_roster->sess_locks, ss);
	return n;
}

static const char *pchat_roles_str(unsigned int roles, char *buf, int size)
{
	snprintf(buf, size, "%s%s%s", (roles & 1) ? "member," : "",
			(roles & 2) ? "manager," : "", (roles & 4) ? "presenter," : "");
	if(buf[0])
		buf[strlen(buf) - 1] = '\0';
	return buf;
}

void pchat_roster_rpc_rooms(rpc_t *rpc, void *ctx)
{
	pchat_roster_room_t *r;
	unsigned int i;
	void *th;
	char id[24];

	for(i = 0; i < _roster->size; i++) {
		if(_roster->rooms[i] == NULL)
			continue;
		lock_set_get(_roster->room_locks, i);
		for(r = _roster->rooms[i]; r; r = r->next) {
			if(rpc->add(ctx, "{", &th) < 0)
				break;
			snprintf(id, sizeof(id), "%llu", r->room_id);
			rpc->struct_add(th, "sd", "room_id", id, "participants", r->count);
		}
		lock_set_release(_roster->room_locks, i);
	}
}

void pchat_roster_rpc_room(rpc_t *rpc, void *ctx, unsigned long long room_id)
{
	pchat_roster_snapshot_t snap;
	char roles[40];
	void *th;
	int i;

	if(pchat_roster_snapshot(room_id, &snap) < 0) {
		rpc->fault(ctx, 500, "out of memory");
		return;
	}
	for(i = 0; i < snap.n; i++) {
		if(rpc->add(ctx, "{", &th) < 0)
			break;
		rpc->struct_add(th, "uSs", "session", snap.members[i].sess_id, "user",
				&snap.members[i].user, "roles",
				pchat_roles_str(snap.members[i].roles, roles, sizeof(roles)));
	}
	pchat_roster_free_snapshot(&snap);
}

void pchat_roster_rpc_stats(rpc_t *rpc, void *ctx)
{
	pchat_roster_room_t *r;
	unsigned int i;
	int rooms = 0;
	void *th;

	for(i = 0; i < _roster->size; i++) {
		if(_roster->rooms[i] == NULL)
			continue;
		lock_set_get(_roster->room_locks, i);
		for(r = _roster->rooms[i]; r; r = r->next)
			rooms++;
		lock_set_release(_roster->room_locks, i);
	}
	if(rpc->add(ctx, "{", &th) < 0)
		return;
	rpc->struct_add(th, "ddddddd", "sessions",
			(int)counter_get_val(_cnt_sessions), "memberships",
			(int)counter_get_val(_cnt_memberships), "rooms", rooms,
			"shm_per_entry_bytes", (int)sizeof(pchat_roster_entry_t),
			"shm_per_room_bytes", (int)sizeof(pchat_roster_room_t),
			"shm_per_session_bytes", (int)sizeof(pchat_roster_sess_t),
			"hash_size", (int)_roster->size);
}
