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
/* Delivery layer: the shm table of live XCCOS sessions, their locks,
 * bounds and ends. Knows no command and no store. */
#include <string.h>
#include <sys/random.h>

#include "core/atomic_ops.h"
#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/shm.h"
#include "core/pt.h"

#include "pchat_deliver.h"
#include "pchat_limit.h"
#include "pchat_mod.h"
#include "pchat_session.h"


/* which counts of pchat_limit a session holds */
#define PCHAT_LIMIT_USER 1
#define PCHAT_LIMIT_CONN 2

typedef struct pchat_slot
{
	pchat_session_t *first;
} pchat_slot_t;

typedef struct pchat_table
{
	unsigned int size; /* power of two */
	pchat_slot_t *slots;
	/* recursive: a tm callback for a request sent while a slot is locked
	 * may run synchronously in the same process and look up the session */
	rec_lock_set_t *locks;
	atomic_t count;
	atomic_t next_id;
	/* connections closed since the timer last looked (see
	 * pchat_session_end_source) */
	gen_lock_t closed_lock;
	struct pchat_closed *closed;
	unsigned int nclosed;
} pchat_table_t;

typedef struct pchat_closed
{
	int conid;
	struct pchat_closed *next;
} pchat_closed_t;

static pchat_table_t *_pchat_sessions = NULL;

int pchat_session_init(int hash_size)
{
	unsigned int size = 1;

	while(size < (unsigned int)hash_size && size < (1u << 20))
		size <<= 1;
	_pchat_sessions = shm_mallocxz(sizeof(pchat_table_t));
	if(_pchat_sessions == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	_pchat_sessions->size = size;
	_pchat_sessions->slots = shm_mallocxz(size * sizeof(pchat_slot_t));
	if(_pchat_sessions->slots == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	_pchat_sessions->locks = rec_lock_set_alloc(size);
	if(_pchat_sessions->locks == NULL
			|| rec_lock_set_init(_pchat_sessions->locks) == NULL) {
		LM_ERR("cannot allocate %u session locks\n", size);
		return -1;
	}
	atomic_set(&_pchat_sessions->count, 0);
	atomic_set(&_pchat_sessions->next_id, 0);
	if(lock_init(&_pchat_sessions->closed_lock) == NULL) {
		LM_ERR("cannot init the closed-connection lock\n");
		return -1;
	}
	return pchat_limit_init(size);
}

void pchat_session_destroy(void)
{
	/* shm is released with the process; dialogs need no other cleanup */
	_pchat_sessions = NULL;
}

static inline unsigned int pchat_slot_of(unsigned int hid)
{
	return hid & (_pchat_sessions->size - 1);
}

static inline unsigned int pchat_hash(str *callid, str *rtag)
{
	/* bytes from the network, any value: the module's one string hash
	 * (core_hash() shifts signed chars, and a From without a tag is
	 * s NULL, len 0, which FNV-1a reads nothing of) */
	unsigned int h = pchat_fnv1a(PCHAT_FNV1A_SEED, callid->s, callid->len);

	h = pchat_fnv1a(h, "\n", 1);
	return pchat_fnv1a(h, rtag->s, rtag->len);
}

/* The key a client connection is counted under: its TCP connection id, or
 * a UDP client's address and port. */
static int pchat_conn_key(pchat_session_t *s, char *key)
{
	if(s->proto != PROTO_UDP) {
		key[0] = 'c';
		memcpy(key + 1, &s->conid, sizeof(s->conid));
		return 1 + sizeof(s->conid);
	}
	key[0] = 'u';
	memcpy(key + 1, &s->src_port, sizeof(s->src_port));
	memcpy(key + 1 + sizeof(s->src_port), s->src_ip.u.addr, s->src_ip.len);
	return 1 + sizeof(s->src_port) + s->src_ip.len;
}

#define PCHAT_CONN_KEY_MAX (1 + sizeof(unsigned short) + 16)

static void pchat_session_unlimit(pchat_session_t *s)
{
	char key[PCHAT_CONN_KEY_MAX];

	if(s->limited & PCHAT_LIMIT_USER)
		pchat_limit_put(s->user.s, s->user.len);
	if(s->limited & PCHAT_LIMIT_CONN)
		pchat_limit_put(key, pchat_conn_key(s, key));
	s->limited = 0;
}

/* Takes the node, user and connection counts for a new session. */
static int pchat_session_limit(pchat_session_t *s, pchat_session_refusal_t *why)
{
	char key[PCHAT_CONN_KEY_MAX];
	int r;

	if(pchat_max_sessions > 0
			&& (int)atomic_get(&_pchat_sessions->count) >= pchat_max_sessions) {
		*why = PCHAT_SESSION_NODE_FULL;
		return -1;
	}
	r = pchat_limit_take(
			s->user.s, s->user.len, (unsigned int)pchat_max_sessions_per_user);
	if(r <= 0) {
		*why = r == 0 ? PCHAT_SESSION_USER_FULL : PCHAT_SESSION_ERROR;
		return -1;
	}
	s->limited |= PCHAT_LIMIT_USER;
	if(s->via_fe)
		return 0; /* a front-end's connection carries many users */
	r = pchat_limit_take(key, pchat_conn_key(s, key),
			(unsigned int)pchat_max_sessions_per_conn);
	if(r <= 0) {
		pchat_session_unlimit(s);
		*why = r == 0 ? PCHAT_SESSION_CONN_FULL : PCHAT_SESSION_ERROR;
		return -1;
	}
	s->limited |= PCHAT_LIMIT_CONN;
	return 0;
}

static int pchat_secret_make(char *hex)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char raw[PCHAT_SECRET_LEN / 2];
	int i;

	if(getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		LM_ERR("no random bytes for a session secret\n");
		return -1;
	}
	for(i = 0; i < (int)sizeof(raw); i++) {
		hex[2 * i] = digits[raw[i] >> 4];
		hex[2 * i + 1] = digits[raw[i] & 15];
	}
	return 0;
}

unsigned int pchat_session_add(dlg_t *dlg, str *user, pchat_uri_t *uri,
		struct receive_info *rcv, unsigned int interval, int flags,
		pchat_session_refusal_t *why)
{
	pchat_session_t *s;
	pchat_slot_t *slot;
	unsigned int idx;

	*why = PCHAT_SESSION_ERROR;
	s = shm_mallocxz(sizeof(*s) + user->len);
	if(s == NULL) {
		SHM_MEM_ERROR;
		return 0;
	}
	s->user.s = (char *)(s + 1);
	memcpy(s->user.s, user->s, user->len);
	s->user.len = user->len;
	s->src_ip = rcv->src_ip;
	s->src_port = rcv->src_port;
	s->proto = rcv->proto;
	s->conid = (rcv->proto == PROTO_UDP) ? 0 : rcv->proto_reserved1;
	s->via_fe = (flags & PCHAT_SESSION_VIA_FE) ? 1 : 0;
	s->ext_msgupd = (flags & PCHAT_SESSION_EXT_MSGUPD) ? 1 : 0;
	s->ext_story = (flags & PCHAT_SESSION_EXT_STORY) ? 1 : 0;
	if(pchat_secret_make(s->secret) < 0 || pchat_session_limit(s, why) < 0) {
		shm_free(s);
		return 0;
	}
	s->hid = pchat_hash(&dlg->id.call_id, &dlg->id.rem_tag);
	s->id = (unsigned int)atomic_add(&_pchat_sessions->next_id, 1);
	if(s->id == 0) /* 0 means failure to callers */
		s->id = (unsigned int)atomic_add(&_pchat_sessions->next_id, 1);
	s->uri = uri;
	s->dlg = dlg;
	s->sock = rcv->bind_address;
	s->interval = interval;
	s->created = pchat_session_now();
	s->expires = s->created + interval;

	idx = pchat_slot_of(s->hid);
	slot = &_pchat_sessions->slots[idx];
	rec_lock_set_get(_pchat_sessions->locks, idx);
	s->next = slot->first;
	if(slot->first)
		slot->first->prev = s;
	slot->first = s;
	rec_lock_set_release(_pchat_sessions->locks, idx);
	atomic_inc(&_pchat_sessions->count);
	return s->id;
}

int pchat_session_from_peer(pchat_session_t *s, struct receive_info *rcv)
{
	if(rcv->proto != s->proto || !ip_addr_cmp(&s->src_ip, &rcv->src_ip))
		return 0;
	if(s->via_fe)
		return 1; /* any connection of its front-end */
	if(s->proto == PROTO_UDP)
		return rcv->src_port == s->src_port;
	return rcv->proto_reserved1 == s->conid;
}

int pchat_session_secret_ok(pchat_session_t *s, const char *p, int len)
{
	unsigned char diff = 0;
	int i;

	if(len != PCHAT_SECRET_LEN)
		return 0;
	for(i = 0; i < PCHAT_SECRET_LEN; i++)
		diff |= (unsigned char)(p[i] ^ s->secret[i]);
	return diff == 0;
}

static inline int pchat_str_eq(str *a, str *b)
{
	return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

pchat_session_t *pchat_session_lookup(str *callid, str *rtag, str *ltag,
		struct receive_info *rcv)
{
	pchat_session_t *s;
	unsigned int hid = pchat_hash(callid, rtag);
	unsigned int idx = pchat_slot_of(hid);

	rec_lock_set_get(_pchat_sessions->locks, idx);
	for(s = _pchat_sessions->slots[idx].first; s; s = s->next) {
		if(s->hid == hid && s->proto == rcv->proto
				&& (s->via_fe || s->src_port == rcv->src_port)
				&& ip_addr_cmp(&s->src_ip, &rcv->src_ip)
				&& pchat_str_eq(&s->dlg->id.call_id, callid)
				&& pchat_str_eq(&s->dlg->id.rem_tag, rtag)
				&& pchat_str_eq(&s->dlg->id.loc_tag, ltag)) {
			if(s->via_fe && s->conid != rcv->proto_reserved1) {
				/* the front-end reconnected: its latest connection */
				s->conid = rcv->proto_reserved1;
				s->src_port = rcv->src_port;
			}
			return s;
		}
	}
	rec_lock_set_release(_pchat_sessions->locks, idx);
	return NULL;
}

int pchat_session_reply_check(str *callid, str *rtag, str *ltag,
		struct receive_info *rcv)
{
	pchat_session_t *s;
	unsigned int hid = pchat_hash(callid, rtag);
	unsigned int idx = pchat_slot_of(hid);
	int ret = 0;

	rec_lock_set_get(_pchat_sessions->locks, idx);
	for(s = _pchat_sessions->slots[idx].first; s; s = s->next) {
		if(s->hid == hid && pchat_str_eq(&s->dlg->id.call_id, callid)
				&& pchat_str_eq(&s->dlg->id.rem_tag, rtag)
				&& pchat_str_eq(&s->dlg->id.loc_tag, ltag)) {
			if(pchat_session_from_peer(s, rcv)) {
				ret = 1;
				break;
			}
			ret = -1; /* unless another session of that dialog sent it */
		}
	}
	rec_lock_set_release(_pchat_sessions->locks, idx);
	return ret;
}

pchat_session_t *pchat_session_get(pchat_session_ref_t *ref)
{
	pchat_session_t *s;
	unsigned int idx = pchat_slot_of(ref->hid);

	rec_lock_set_get(_pchat_sessions->locks, idx);
	for(s = _pchat_sessions->slots[idx].first; s; s = s->next) {
		if(s->id == ref->id)
			return s;
	}
	rec_lock_set_release(_pchat_sessions->locks, idx);
	return NULL;
}

pchat_session_t *pchat_session_get_nowait(pchat_session_ref_t *ref, int *busy)
{
	pchat_session_t *s;
	unsigned int idx = pchat_slot_of(ref->hid);
	rec_lock_t *l = &_pchat_sessions->locks->locks[idx];
	int pid = my_pid();

	/* rec_lock_get() with a try instead of a wait */
	*busy = 0;
	if(atomic_get(&l->locker_pid) == pid) {
		l->rec_lock_level++;
	} else if(lock_try(&l->lock) != 0) {
		*busy = 1;
		return NULL;
	} else {
		atomic_set(&l->locker_pid, pid);
	}
	for(s = _pchat_sessions->slots[idx].first; s; s = s->next) {
		if(s->id == ref->id)
			return s;
	}
	rec_lock_set_release(_pchat_sessions->locks, idx);
	return NULL;
}

void pchat_session_prefetch_slot(pchat_session_ref_t *ref)
{
	unsigned int idx = pchat_slot_of(ref->hid);

	__builtin_prefetch(&_pchat_sessions->slots[idx]);
	__builtin_prefetch(&_pchat_sessions->locks->locks[idx]);
}

/* Unlocked reads: the pointers may be stale, but a prefetch never faults
 * and nothing here is dereferenced beyond the slot itself and the session
 * a prefetch already brought in. */
void pchat_session_prefetch(pchat_session_ref_t *ref, int stage)
{
	pchat_session_t *s = _pchat_sessions->slots[pchat_slot_of(ref->hid)].first;

	if(s == NULL)
		return;
	if(stage == 0) {
		__builtin_prefetch(s);
		__builtin_prefetch((char *)s + 64);
		__builtin_prefetch((char *)s + 128);
		return;
	}
	if(s->id != ref->id)
		return; /* not first in its slot: found when its turn comes */
	if(s->dlg)
		__builtin_prefetch(&s->dlg->loc_seq);
	if(s->dlv_head) {
		__builtin_prefetch(s->dlv_head);
		__builtin_prefetch(s->dlv_head + 64);
		__builtin_prefetch(s->dlv_head + 128);
	}
}

int pchat_session_alive(unsigned int hid, unsigned int id)
{
	pchat_session_ref_t ref;
	pchat_session_t *s;

	ref.hid = hid;
	ref.id = id;
	s = pchat_session_get(&ref);
	if(s == NULL)
		return 0;
	pchat_session_release(s);
	return 1;
}

void pchat_session_release(pchat_session_t *s)
{
	rec_lock_set_release(_pchat_sessions->locks, pchat_slot_of(s->hid));
}

pchat_session_t *pchat_session_unlink(pchat_session_t *s)
{
	pchat_slot_t *slot = &_pchat_sessions->slots[pchat_slot_of(s->hid)];

	if(s->prev)
		s->prev->next = s->next;
	else
		slot->first = s->next;
	if(s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
	atomic_dec(&_pchat_sessions->count);
	pchat_session_unlimit(s);
	return s;
}

void pchat_session_free(pchat_session_t *s)
{
	if(s == NULL)
		return;
	if(s->dlg)
		_pchat_tmb.free_dlg(s->dlg);
	pchat_deliver_forget(s);
	shm_free(s);
}

time_t pchat_session_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

pchat_session_t *pchat_session_take_expired(time_t now)
{
	pchat_session_t *s, *next, *expired = NULL;
	unsigned int i;

	for(i = 0; i < _pchat_sessions->size; i++) {
		/* an unlocked peek is enough to skip empty slots; the list is
		 * re-read under the lock */
		if(_pchat_sessions->slots[i].first == NULL)
			continue;
		rec_lock_set_get(_pchat_sessions->locks, i);
		for(s = _pchat_sessions->slots[i].first; s; s = next) {
			next = s->next;
			if(s->expires > now && !pchat_deliver_overdue(s, now))
				continue;
			pchat_session_unlink(s);
			s->next = expired;
			expired = s;
		}
		rec_lock_set_release(_pchat_sessions->locks, i);
	}
	return expired;
}

int pchat_session_walk(pchat_session_walk_f f, void *param)
{
	pchat_session_t *s;
	unsigned int i;

	for(i = 0; i < _pchat_sessions->size; i++) {
		if(_pchat_sessions->slots[i].first == NULL)
			continue;
		rec_lock_set_get(_pchat_sessions->locks, i);
		for(s = _pchat_sessions->slots[i].first; s; s = s->next) {
			if(f(s, param) < 0) {
				rec_lock_set_release(_pchat_sessions->locks, i);
				return -1;
			}
		}
		rec_lock_set_release(_pchat_sessions->locks, i);
	}
	return 0;
}

unsigned int pchat_session_count(void)
{
	return (unsigned int)atomic_get(&_pchat_sessions->count);
}

/* Runs in tcp_main, which must never wait for a session lock: a SIP
 * worker holds one while it writes to a client's connection, and that write
 * may itself wait for tcp_main to hand it the connection's fd. So the
 * connection id is only queued here (under a lock never held while
 * sending); the expiry timer marks the sessions. */
int pchat_session_end_source(struct receive_info *rcv)
{
	pchat_closed_t *c;

	if(rcv->proto == PROTO_UDP || rcv->proto_reserved1 == 0)
		return 0;
	c = shm_malloc(sizeof(*c));
	if(c == NULL) {
		SHM_MEM_ERROR;
		return -1; /* its sessions end on a failed send or at expiry */
	}
	c->conid = rcv->proto_reserved1;
	lock_get(&_pchat_sessions->closed_lock);
	c->next = _pchat_sessions->closed;
	_pchat_sessions->closed = c;
	_pchat_sessions->nclosed++;
	lock_release(&_pchat_sessions->closed_lock);
	return 1;
}

static int pchat_int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int pchat_session_end_closed(void)
{
	pchat_closed_t *list, *c;
	pchat_session_t *s;
	unsigned int i, n, k = 0;
	int *ids, marked = 0;

	if(_pchat_sessions->closed == NULL) /* unlocked peek: re-read below */
		return 0;
	lock_get(&_pchat_sessions->closed_lock);
	list = _pchat_sessions->closed;
	n = _pchat_sessions->nclosed;
	_pchat_sessions->closed = NULL;
	_pchat_sessions->nclosed = 0;
	lock_release(&_pchat_sessions->closed_lock);
	if(list == NULL)
		return 0;

	ids = pkg_malloc(n * sizeof(int));
	if(ids == NULL) {
		PKG_MEM_ERROR; /* sessions then end on a failed send or at expiry */
	}
	for(c = list; c; c = list) {
		list = c->next;
		if(ids && k < n)
			ids[k++] = c->conid;
		shm_free(c);
	}
	if(ids == NULL)
		return -1;
	qsort(ids, k, sizeof(int), pchat_int_cmp);
	for(i = 0; i < _pchat_sessions->size; i++) {
		if(_pchat_sessions->slots[i].first == NULL)
			continue;
		rec_lock_set_get(_pchat_sessions->locks, i);
		for(s = _pchat_sessions->slots[i].first; s; s = s->next) {
			/* a front-end reconnects: its sessions are its clients' */
			if(s->conid != 0 && !s->via_fe
					&& bsearch(&s->conid, ids, k, sizeof(int), pchat_int_cmp)) {
				pchat_session_mark_gone(s); /* the connection is gone */
				marked++;
			}
		}
		rec_lock_set_release(_pchat_sessions->locks, i);
	}
	pkg_free(ids);
	return marked;
}
