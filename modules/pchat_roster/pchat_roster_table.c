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
/* The roster's shm tables (see pchat_roster_table.h for the lock order).
 * Knows nothing of pchat's sessions or store: ids only. */
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "core/atomic_ops.h"
#include "core/counters.h"
#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/pkg.h"
#include "core/mem/shm.h"

#include "pchat_roster_table.h"

/* biggest table: 2^20 slots, 8 MB of slot heads per table */
#define PCHAT_ROSTER_MAX_SLOTS (1u << 20)

typedef struct pchat_roster_tables
{
	unsigned int size; /* power of two, both tables */
	pchat_roster_room_t **rooms;
	pchat_roster_sess_t **sessions;
	gen_lock_set_t *room_locks;
	gen_lock_set_t *sess_locks;
	atomic_t nrooms;
} pchat_roster_tables_t;

static pchat_roster_tables_t *_roster = NULL;
static counter_handle_t _cnt_sessions;
static counter_handle_t _cnt_memberships;

static inline unsigned int pchat_room_slot(unsigned long long room_id)
{
	return (unsigned int)(room_id ^ (room_id >> 32)) & (_roster->size - 1);
}

static inline unsigned int pchat_sess_slot(unsigned int sess_id)
{
	return sess_id & (_roster->size - 1);
}

int pchat_roster_table_init(int hash_size)
{
	unsigned int size = 1;

	if(hash_size < 1) {
		LM_ERR("hash_size must be positive, not %d\n", hash_size);
		return -1;
	}
	while(size < (unsigned int)hash_size && size < PCHAT_ROSTER_MAX_SLOTS)
		size <<= 1;
	if(size != (unsigned int)hash_size)
		LM_INFO("hash_size %d rounded to %u\n", hash_size, size);

	_roster = shm_mallocxz(sizeof(*_roster));
	if(_roster == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	_roster->size = size;
	atomic_set(&_roster->nrooms, 0);
	_roster->rooms = shm_mallocxz(size * sizeof(pchat_roster_room_t *));
	_roster->sessions = shm_mallocxz(size * sizeof(pchat_roster_sess_t *));
	if(_roster->rooms == NULL || _roster->sessions == NULL) {
		SHM_MEM_ERROR_FMT("roster tables of %u slots\n", size);
		return -1;
	}
	_roster->room_locks = lock_set_alloc(size);
	_roster->sess_locks = lock_set_alloc(size);
	if(_roster->room_locks == NULL || _roster->sess_locks == NULL
			|| lock_set_init(_roster->room_locks) == NULL
			|| lock_set_init(_roster->sess_locks) == NULL) {
		LM_ERR("cannot create the roster lock sets (%u locks)\n", size);
		return -1;
	}

	if(counter_register(&_cnt_sessions, "pchat_roster", "sessions", 0, 0, 0,
			   "pchat sessions online in at least one room",
			   0) < 0
			|| counter_register(&_cnt_memberships, "pchat_roster",
					   "memberships", 0, 0, 0, "(session, room) pairs online",
					   0)
					   < 0) {
		LM_ERR("cannot register the pchat_roster counters\n");
		return -1;
	}
	return 0;
}

/* Room records; room slot locked by the caller. */
static pchat_roster_room_t *pchat_room_find(unsigned long long room_id)
{
	pchat_roster_room_t *r;

	for(r = _roster->rooms[pchat_room_slot(room_id)]; r; r = r->next) {
		if(r->room_id == room_id)
			return r;
	}
	return NULL;
}

static pchat_roster_room_t *pchat_room_add(unsigned long long room_id)
{
	pchat_roster_room_t **head = &_roster->rooms[pchat_room_slot(room_id)];
	pchat_roster_room_t *r;

	r = shm_mallocxz(sizeof(*r));
	if(r == NULL) {
		SHM_MEM_ERROR;
		return NULL;
	}
	r->room_id = room_id;
	r->next = *head;
	*head = r;
	atomic_inc(&_roster->nrooms);
	return r;
}

/* Unchains an empty room record and returns it for shm_free() once the
 * locks are released; NULL when the room still has entries. */
static pchat_roster_room_t *pchat_room_unchain_empty(pchat_roster_room_t *room)
{
	pchat_roster_room_t **pr;

	if(room->first != NULL)
		return NULL;
	for(pr = &_roster->rooms[pchat_room_slot(room->room_id)]; *pr;
			pr = &(*pr)->next) {
		if(*pr == room) {
			*pr = room->next;
			atomic_dec(&_roster->nrooms);
			return room;
		}
	}
	LM_BUG("room %llu not in its slot\n", room->room_id);
	return NULL;
}

/* Session records; session slot locked by the caller. */
static pchat_roster_sess_t *pchat_sess_find(unsigned int sess_id)
{
	pchat_roster_sess_t *s;

	for(s = _roster->sessions[pchat_sess_slot(sess_id)]; s; s = s->next) {
		if(s->sess_id == sess_id)
			return s;
	}
	return NULL;
}

static pchat_roster_sess_t *pchat_sess_add(unsigned int sess_id)
{
	pchat_roster_sess_t **head = &_roster->sessions[pchat_sess_slot(sess_id)];
	pchat_roster_sess_t *s;

	s = shm_mallocxz(sizeof(*s));
	if(s == NULL) {
		SHM_MEM_ERROR;
		return NULL;
	}
	s->sess_id = sess_id;
	s->next = *head;
	*head = s;
	counter_inc(_cnt_sessions);
	return s;
}

static pchat_roster_sess_t *pchat_sess_unchain_empty(pchat_roster_sess_t *sess)
{
	pchat_roster_sess_t **ps;

	if(sess->first != NULL)
		return NULL;
	for(ps = &_roster->sessions[pchat_sess_slot(sess->sess_id)]; *ps;
			ps = &(*ps)->next) {
		if(*ps == sess) {
			*ps = sess->next;
			counter_add(_cnt_sessions, -1);
			return sess;
		}
	}
	LM_BUG("session %u not in its slot\n", sess->sess_id);
	return NULL;
}

/* List operations on entries. */
static void pchat_entry_link_room(
		pchat_roster_room_t *room, pchat_roster_entry_t *e)
{
	e->room_next = NULL;
	e->room_prev = room->last;
	if(room->last)
		room->last->room_next = e;
	else
		room->first = e;
	room->last = e;
	e->room_pos = room->count;
	room->refs[room->count].sess_hid = e->sess_hid;
	room->refs[room->count].sess_id = e->sess_id;
	room->entries[room->count] = e;
	room->count++;
	room->user_bytes += e->user.len;
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
	else
		room->last = e->room_prev;
	e->room_next = e->room_prev = NULL;
	room->count--;
	room->user_bytes -= e->user.len;
	if(e->room_pos != room->count) { /* the last one fills the gap */
		room->refs[e->room_pos] = room->refs[room->count];
		room->entries[e->room_pos] = room->entries[room->count];
		room->entries[e->room_pos]->room_pos = e->room_pos;
	}
}

/* Room for one more entry in the room's refs (room slot locked): grows
 * them by doubling, the one allocation a join may make under the locks
 * besides a first join's records. */
static int pchat_room_refs_reserve(pchat_roster_room_t *room)
{
	pchat_roster_ref_t *r;
	pchat_roster_entry_t **e;
	int ns;

	if(room->count < room->refs_size)
		return 0;
	ns = room->refs_size ? 2 * room->refs_size : 8;
	r = shm_malloc(ns * (sizeof(*r) + sizeof(*e)));
	if(r == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	e = (pchat_roster_entry_t **)(r + ns);
	if(room->count) {
		memcpy(r, room->refs, room->count * sizeof(*r));
		memcpy(e, room->entries, room->count * sizeof(*e));
	}
	if(room->refs)
		shm_free(room->refs); /* entries share its block */
	room->refs = r;
	room->entries = e;
	room->refs_size = ns;
	return 0;
}

static void pchat_room_free(pchat_roster_room_t *room)
{
	if(room->refs)
		shm_free(room->refs);
	shm_free(room);
}

static void pchat_entry_link_sess(
		pchat_roster_sess_t *sess, pchat_roster_entry_t *e)
{
	e->sess_prev = NULL;
	e->sess_next = sess->first;
	if(sess->first)
		sess->first->sess_prev = e;
	sess->first = e;
	sess->count++;
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
	e->sess_next = e->sess_prev = NULL;
	sess->count--;
}

/* The session's entry for the room; session slot locked. A session is in
 * few rooms, a room may hold thousands of sessions: search the session. */
static pchat_roster_entry_t *pchat_entry_find(
		pchat_roster_sess_t *sess, unsigned long long room_id)
{
	pchat_roster_entry_t *e;

	for(e = sess->first; e; e = e->sess_next) {
		if(e->room_id == room_id)
			return e;
	}
	return NULL;
}

/* The entry (struct and user string, one shm block) is built before the
 * locks are taken, so that only a first join of a room or a session, or
 * a room's refs growing (doubling), allocates under them; a repeated join
 * frees it unused. */
int pchat_roster_join(unsigned long long room_id, unsigned int sess_hid,
		unsigned int sess_id, str *user, unsigned int roles)
{
	unsigned int ss, rs;
	pchat_roster_sess_t *sess, *sess_free = NULL;
	pchat_roster_room_t *room, *room_free = NULL;
	pchat_roster_entry_t *e, *old;
	int ulen = (user && user->s && user->len > 0) ? user->len : 0;
	int ret = -1;

	if(_roster == NULL)
		return -1;
	e = shm_malloc(sizeof(*e) + ulen);
	if(e == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(e, 0, sizeof(*e));
	e->room_id = room_id;
	e->sess_hid = sess_hid;
	e->sess_id = sess_id;
	e->roles = roles;
	e->user.s = (char *)(e + 1);
	e->user.len = ulen;
	if(ulen > 0)
		memcpy(e->user.s, user->s, ulen);

	ss = pchat_sess_slot(sess_id);
	rs = pchat_room_slot(room_id);
	lock_set_get(_roster->sess_locks, ss);
	lock_set_get(_roster->room_locks, rs);
	sess = pchat_sess_find(sess_id);
	old = sess ? pchat_entry_find(sess, room_id) : NULL;
	if(old != NULL) {
		old->roles = roles; /* both locks held: readers of either see it */
		ret = 0;
		goto done;
	}
	if(sess == NULL && (sess = pchat_sess_add(sess_id)) == NULL)
		goto done;
	room = pchat_room_find(room_id);
	if(room == NULL && (room = pchat_room_add(room_id)) == NULL) {
		sess_free = pchat_sess_unchain_empty(sess);
		goto done;
	}
	if(pchat_room_refs_reserve(room) < 0) {
		room_free = pchat_room_unchain_empty(room);
		sess_free = pchat_sess_unchain_empty(sess);
		goto done;
	}
	pchat_entry_link_room(room, e);
	pchat_entry_link_sess(sess, e);
	counter_inc(_cnt_memberships);
	e = NULL; /* linked: not ours to free any more */
	ret = 1;
done:
	lock_set_release(_roster->room_locks, rs);
	lock_set_release(_roster->sess_locks, ss);
	if(e)
		shm_free(e);
	if(room_free)
		pchat_room_free(room_free);
	if(sess_free)
		shm_free(sess_free);
	return ret;
}

int pchat_roster_part(unsigned long long room_id, unsigned int sess_id)
{
	unsigned int ss, rs;
	pchat_roster_sess_t *sess, *sess_free = NULL;
	pchat_roster_room_t *room, *room_free = NULL;
	pchat_roster_entry_t *e = NULL;

	if(_roster == NULL)
		return 0;
	ss = pchat_sess_slot(sess_id);
	rs = pchat_room_slot(room_id);
	lock_set_get(_roster->sess_locks, ss);
	sess = pchat_sess_find(sess_id);
	e = sess ? pchat_entry_find(sess, room_id) : NULL;
	if(e == NULL) {
		lock_set_release(_roster->sess_locks, ss);
		return 0;
	}
	lock_set_get(_roster->room_locks, rs);
	room = pchat_room_find(room_id);
	if(room) {
		pchat_entry_unlink_room(room, e);
		room_free = pchat_room_unchain_empty(room);
	} else {
		LM_BUG("entry (%llu, %u) without its room\n", room_id, sess_id);
	}
	lock_set_release(_roster->room_locks, rs);
	pchat_entry_unlink_sess(sess, e);
	sess_free = pchat_sess_unchain_empty(sess);
	counter_add(_cnt_memberships, -1);
	lock_set_release(_roster->sess_locks, ss);

	shm_free(e);
	if(room_free)
		pchat_room_free(room_free);
	if(sess_free)
		shm_free(sess_free);
	return 1;
}

/* The session record is unchained and its list detached under the session
 * slot lock, which stays held while each entry is unlinked from its room
 * (room slot lock taken and released per entry): a join or part of the same
 * session waits, so it never sees an entry that is in a room list but no
 * longer in its session's list. All frees happen after the locks. */
int pchat_roster_part_all(
		unsigned int sess_id, unsigned long long *rooms, int max)
{
	unsigned int ss, rs;
	pchat_roster_sess_t *sess;
	pchat_roster_room_t *room, *room_free, *free_rooms = NULL;
	pchat_roster_entry_t *list, *e, *next;
	int n = 0;

	if(_roster == NULL)
		return 0;
	ss = pchat_sess_slot(sess_id);
	lock_set_get(_roster->sess_locks, ss);
	sess = pchat_sess_find(sess_id);
	if(sess == NULL) {
		lock_set_release(_roster->sess_locks, ss);
		return 0;
	}
	list = sess->first;
	sess->first = NULL;
	sess->count = 0;
	pchat_sess_unchain_empty(sess);
	for(e = list; e; e = e->sess_next) {
		rs = pchat_room_slot(e->room_id);
		lock_set_get(_roster->room_locks, rs);
		room = pchat_room_find(e->room_id);
		if(room) {
			pchat_entry_unlink_room(room, e);
			room_free = pchat_room_unchain_empty(room);
			if(room_free) { /* reuse its chain link to queue the free */
				room_free->next = free_rooms;
				free_rooms = room_free;
			}
		} else {
			LM_BUG("entry (%llu, %u) without its room\n", e->room_id, sess_id);
		}
		lock_set_release(_roster->room_locks, rs);
	}
	lock_set_release(_roster->sess_locks, ss);

	for(e = list; e; e = next) {
		next = e->sess_next;
		if(n < max && rooms != NULL)
			rooms[n] = e->room_id;
		n++;
		shm_free(e);
		counter_add(_cnt_memberships, -1);
	}
	while(free_rooms) {
		room = free_rooms;
		free_rooms = room->next;
		pchat_room_free(room);
	}
	shm_free(sess);
	return n;
}

/* The newest max entries of a locked room, copied in list order into m
 * and the strings after them (room for cap_bytes); returns the number. */
static int pchat_roster_copy_newest(pchat_roster_room_t *room, int max,
		pchat_roster_member_t *m, char *p, int cap_bytes)
{
	pchat_roster_entry_t *e, *from = room->last;
	char *end = p + cap_bytes;
	int i;

	for(i = 1; i < max && from && from->room_prev; i++)
		from = from->room_prev;
	for(i = 0, e = from; e && i < max; e = e->room_next, i++) {
		if(p + e->user.len > end)
			break; /* cannot happen: cap_bytes holds the whole room's */
		m[i].sess_hid = e->sess_hid;
		m[i].sess_id = e->sess_id;
		m[i].roles = e->roles;
		m[i].user.s = p;
		m[i].user.len = e->user.len;
		memcpy(p, e->user.s, e->user.len);
		p += e->user.len;
	}
	return i;
}

/* As pchat_roster_snapshot, of the newest max: sized under the lock,
 * allocated without it, copied under it if the room still fits. */
int pchat_roster_snapshot_newest(
		unsigned long long room_id, pchat_roster_snapshot_t *snap, int max)
{
	unsigned int rs;
	pchat_roster_room_t *room;
	int count, bytes, cap_count, cap_bytes;
	char *block;

	memset(snap, 0, sizeof(*snap));
	if(_roster == NULL || max <= 0)
		return _roster == NULL ? 0 : pchat_roster_count(room_id);
	rs = pchat_room_slot(room_id);
	lock_set_get(_roster->room_locks, rs);
	room = pchat_room_find(room_id);
	count = room ? room->count : 0;
	bytes = room ? room->user_bytes : 0;
	lock_set_release(_roster->room_locks, rs);
	while(count > 0) {
		cap_count = count < max ? count : max;
		cap_bytes = bytes;
		block = pkg_malloc(
				cap_count * sizeof(pchat_roster_member_t) + cap_bytes);
		if(block == NULL) {
			PKG_MEM_ERROR;
			return -1;
		}
		lock_set_get(_roster->room_locks, rs);
		room = pchat_room_find(room_id);
		count = room ? room->count : 0;
		if(room && (room->user_bytes > cap_bytes
							|| (count > cap_count && cap_count < max))) {
			bytes = room->user_bytes;
			lock_set_release(_roster->room_locks, rs);
			pkg_free(block); /* grew meanwhile: again, with the new size */
			continue;
		}
		snap->members = (pchat_roster_member_t *)block;
		snap->n = room ? pchat_roster_copy_newest(room, cap_count,
								 snap->members,
								 block + cap_count * sizeof(*snap->members),
								 cap_bytes)
					   : 0;
		lock_set_release(_roster->room_locks, rs);
		if(snap->n == 0) { /* emptied meanwhile */
			pkg_free(block);
			snap->members = NULL;
		}
		break;
	}
	return count;
}

/* As pchat_roster_snapshot: sized under the lock, allocated without it,
 * copied under it if the room still fits. */
int pchat_roster_snapshot_refs(
		unsigned long long room_id, pchat_roster_refs_t *out)
{
	unsigned int rs;
	pchat_roster_room_t *room;
	pchat_roster_ref_t *r;
	int count, cap;

	memset(out, 0, sizeof(*out));
	if(_roster == NULL)
		return 0;
	rs = pchat_room_slot(room_id);
	lock_set_get(_roster->room_locks, rs);
	room = pchat_room_find(room_id);
	count = room ? room->count : 0;
	lock_set_release(_roster->room_locks, rs);

	while(count > 0) {
		cap = count;
		r = pkg_malloc(cap * sizeof(*r));
		if(r == NULL) {
			PKG_MEM_ERROR;
			return -1;
		}
		lock_set_get(_roster->room_locks, rs);
		room = pchat_room_find(room_id);
		count = room ? room->count : 0;
		if(count > cap) {
			lock_set_release(_roster->room_locks, rs);
			pkg_free(r); /* grew meanwhile: again, with the new size */
			continue;
		}
		if(count > 0)
			memcpy(r, room->refs, count * sizeof(*r));
		lock_set_release(_roster->room_locks, rs);
		if(count == 0) { /* emptied meanwhile */
			pkg_free(r);
			break;
		}
		out->refs = r;
		out->n = count;
		break;
	}
	return 0;
}

/* The whole room: its newest count entries are all of them, in list order
 * (the members array followed by the user strings, one pkg block). */
int pchat_roster_snapshot(
		unsigned long long room_id, pchat_roster_snapshot_t *snap)
{
	return pchat_roster_snapshot_newest(room_id, snap, INT_MAX) < 0 ? -1 : 0;
}

void pchat_roster_free_refs(pchat_roster_refs_t *out)
{
	if(out == NULL)
		return;
	if(out->refs)
		pkg_free(out->refs);
	out->refs = NULL;
	out->n = 0;
}

void pchat_roster_free_snapshot(pchat_roster_snapshot_t *snap)
{
	if(snap == NULL)
		return;
	if(snap->members)
		pkg_free(snap->members);
	snap->members = NULL;
	snap->n = 0;
}

int pchat_roster_count(unsigned long long room_id)
{
	unsigned int rs;
	pchat_roster_room_t *room;
	int n;

	if(_roster == NULL)
		return 0;
	rs = pchat_room_slot(room_id);
	lock_set_get(_roster->room_locks, rs);
	room = pchat_room_find(room_id);
	n = room ? room->count : 0;
	lock_set_release(_roster->room_locks, rs);
	return n;
}

int pchat_roster_user_present(
		unsigned long long room_id, str *user, unsigned int except_sess_id)
{
	unsigned int rs;
	pchat_roster_room_t *room;
	pchat_roster_entry_t *e;
	int found = 0;

	if(_roster == NULL || user == NULL || user->s == NULL || user->len <= 0)
		return 0;
	rs = pchat_room_slot(room_id);
	lock_set_get(_roster->room_locks, rs);
	room = pchat_room_find(room_id);
	for(e = room ? room->first : NULL; e; e = e->room_next) {
		if(e->sess_id != except_sess_id && e->user.len == user->len
				&& strncasecmp(e->user.s, user->s, user->len) == 0) {
			found = 1;
			break;
		}
	}
	lock_set_release(_roster->room_locks, rs);
	return found;
}

int pchat_roster_rooms_of(
		unsigned int sess_id, unsigned long long *rooms, int max)
{
	unsigned int ss;
	pchat_roster_sess_t *sess;
	pchat_roster_entry_t *e;
	int n = 0;

	if(_roster == NULL)
		return 0;
	ss = pchat_sess_slot(sess_id);
	lock_set_get(_roster->sess_locks, ss);
	sess = pchat_sess_find(sess_id);
	for(e = sess ? sess->first : NULL; e; e = e->sess_next, n++) {
		if(n < max && rooms != NULL)
			rooms[n] = e->room_id;
	}
	lock_set_release(_roster->sess_locks, ss);
	return n;
}

/* "member,manager,presenter" for the PCHAT_ROLE_* bits 1, 2 and 4. */
static char *pchat_roles_str(unsigned int roles, char *buf)
{
	static const char *names[] = {"member", "manager", "presenter"};
	char *p = buf;
	size_t len;
	int i;

	for(i = 0; i < 3; i++) {
		if(!(roles & (1u << i)))
			continue;
		if(p != buf)
			*p++ = ',';
		len = strlen(names[i]);
		memcpy(p, names[i], len);
		p += len;
	}
	*p = '\0';
	return buf;
}

/* rpc->add and struct_add only build the reply in memory (the transport
 * sends it after we return), so they run under the slot lock; one slot is
 * locked at a time. */
void pchat_roster_rpc_rooms(rpc_t *rpc, void *ctx)
{
	pchat_roster_room_t *r;
	unsigned int i;
	void *th;
	int err = 0;

	if(_roster == NULL)
		return;
	for(i = 0; i < _roster->size && !err; i++) {
		lock_set_get(_roster->room_locks, i);
		for(r = _roster->rooms[i]; r; r = r->next) {
			if(rpc->add(ctx, "{", &th) < 0
					|| rpc->struct_add(th, "Jd", "room_id", r->room_id,
							   "participants", r->count)
							   < 0) {
				err = 1;
				break;
			}
		}
		lock_set_release(_roster->room_locks, i);
	}
}

void pchat_roster_rpc_room(rpc_t *rpc, void *ctx, unsigned long long room_id)
{
	pchat_roster_snapshot_t snap;
	char roles[32];
	void *th;
	int i;

	if(pchat_roster_snapshot(room_id, &snap) < 0) {
		rpc->fault(ctx, 500, "out of pkg memory");
		return;
	}
	for(i = 0; i < snap.n; i++) {
		if(rpc->add(ctx, "{", &th) < 0
				|| rpc->struct_add(th, "uSs", "session",
						   snap.members[i].sess_id, "user",
						   &snap.members[i].user, "roles",
						   pchat_roles_str(snap.members[i].roles, roles))
						   < 0)
			break;
	}
	pchat_roster_free_snapshot(&snap);
}

void pchat_roster_rpc_stats(rpc_t *rpc, void *ctx)
{
	void *th;

	if(_roster == NULL) {
		rpc->fault(ctx, 500, "pchat_roster not initialised");
		return;
	}
	if(rpc->add(ctx, "{", &th) < 0)
		return;
	rpc->struct_add(th, "ddddddd", "sessions",
			(int)counter_get_val(_cnt_sessions), "memberships",
			(int)counter_get_val(_cnt_memberships), "rooms",
			atomic_get(&_roster->nrooms), "shm_per_entry_bytes",
			(int)sizeof(pchat_roster_entry_t), "shm_per_room_bytes",
			(int)sizeof(pchat_roster_room_t), "shm_per_session_bytes",
			(int)sizeof(pchat_roster_sess_t), "hash_size", (int)_roster->size);
}
