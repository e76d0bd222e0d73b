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
/* Delivery layer: the pool's names of small rooms (pchat_pool_names.h).
 * One lock; a record per (room, slot) holds the lines as they came, so a
 * digest of them is the same on the node that sent them and on those that
 * hold them. */

#include <stdio.h>
#include <string.h>

#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/pkg.h"
#include "core/mem/shm_mem.h"

#include "pchat_pool_names.h"
#include "pchat_pool_table.h"

typedef struct pchat_pool_names_rec
{
	struct pchat_pool_names_rec *next;
	unsigned long long room;
	unsigned long long hash;
	int slot, over, n, len;
	char lines[];
} pchat_pool_names_rec_t;

/* A part held back: the notice, for its user in its room. */
typedef struct pchat_pool_held
{
	unsigned long long room, token;
	long long at_ms;
	int user_len, notice_len;
	char data[]; /* the user, then the notice */
} pchat_pool_held_t;

typedef struct pchat_pool_names
{
	gen_lock_t lock;
	pchat_pool_held_t *held_parts[PCHAT_POOL_HELD_MAX];
	int held, max_held; /* other nodes' names (an "over" room counts 1) */
	unsigned int size;  /* buckets, a power of two */
	unsigned long long digest[PCHAT_POOL_LOCAL + 1];
	pchat_pool_names_rec_t *buckets[];
} pchat_pool_names_t;

static pchat_pool_names_t *_pn;

int pchat_pool_names_init(int max_rooms, int max_names)
{
	unsigned int size = 16, bytes;

	while(size < (unsigned int)max_rooms / 4 && size < (1u << 20))
		size <<= 1;
	bytes = sizeof(*_pn) + size * sizeof(_pn->buckets[0]);
	_pn = shm_malloc(bytes);
	if(_pn == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_pn, 0, bytes);
	_pn->size = size;
	_pn->max_held = max_names;
	return lock_init(&_pn->lock) ? 0 : -1;
}

static unsigned int pchat_pool_names_bucket(unsigned long long room)
{
	return pchat_fnv1a(PCHAT_FNV1A_SEED, &room, sizeof(room)) & (_pn->size - 1);
}

static unsigned long long pchat_pool_names_hash(
		unsigned long long room, int over, const char *lines, int len)
{
	unsigned char o = over ? 1 : 0;
	unsigned int hi, lo;

	hi = pchat_fnv1a(PCHAT_FNV1A_SEED, &room, sizeof(room));
	hi = pchat_fnv1a(hi, &o, 1);
	lo = pchat_fnv1a(hi ^ 0x5bd1e995u, &room, sizeof(room));
	hi = pchat_fnv1a(hi, lines, len);
	lo = pchat_fnv1a(lo, lines, len);
	return ((unsigned long long)hi << 32) | lo;
}

/* What a record costs against max_held (this node's own cost nothing:
 * they are bounded by its roster). */
static int pchat_pool_names_cost(int slot, int over, int n)
{
	if(slot == PCHAT_POOL_LOCAL)
		return 0;
	return over ? 1 : n;
}

static pchat_pool_names_rec_t **pchat_pool_names_find(
		unsigned long long room, int slot)
{
	pchat_pool_names_rec_t **p = &_pn->buckets[pchat_pool_names_bucket(room)];

	for(; *p; p = &(*p)->next)
		if((*p)->room == room && (*p)->slot == slot)
			break;
	return p;
}

static void pchat_pool_names_unlink(pchat_pool_names_rec_t **p)
{
	pchat_pool_names_rec_t *r = *p;

	*p = r->next;
	_pn->digest[r->slot] -= r->hash;
	_pn->held -= pchat_pool_names_cost(r->slot, r->over, r->n);
	shm_free(r);
}

static int pchat_pool_names_same(
		pchat_pool_names_rec_t *r, int over, const char *lines, int len)
{
	return r->over == over && r->len == len && memcmp(r->lines, lines, len) == 0;
}

int pchat_pool_names_set(unsigned long long room, int slot, int over, int n,
		const char *lines, int len)
{
	pchat_pool_names_rec_t **p, *r;
	int rc = 1;

	if(over)
		n = len = 0;
	lock_get(&_pn->lock);
	p = pchat_pool_names_find(room, slot);
	if(*p && pchat_pool_names_same(*p, over, lines, len)) {
		lock_release(&_pn->lock);
		return 0;
	}
	if(*p == NULL && !over && n == 0) {
		lock_release(&_pn->lock);
		return 0;
	}
	if(*p)
		pchat_pool_names_unlink(p);
	if(!over && n == 0)
		goto done;
	if(_pn->held + pchat_pool_names_cost(slot, over, n) > _pn->max_held
			&& !over) {
		rc = -1; /* kept as "over": the roster of the room is partial */
		over = 1;
		n = len = 0;
	}
	r = shm_malloc(sizeof(*r) + len);
	if(r == NULL) {
		SHM_MEM_ERROR;
		rc = -1;
		goto done;
	}
	memset(r, 0, sizeof(*r));
	r->room = room;
	r->slot = slot;
	r->over = over;
	r->n = n;
	r->len = len;
	memcpy(r->lines, lines, len);
	r->hash = pchat_pool_names_hash(room, over, lines, len);
	r->next = *p;
	*p = r;
	_pn->digest[slot] += r->hash;
	_pn->held += pchat_pool_names_cost(slot, over, n);
done:
	lock_release(&_pn->lock);
	return rc;
}

void pchat_pool_names_clear_slot(int slot)
{
	pchat_pool_names_rec_t **p;
	unsigned int b;

	lock_get(&_pn->lock);
	for(b = 0; b < _pn->size; b++) {
		for(p = &_pn->buckets[b]; *p;) {
			if((*p)->slot == slot)
				pchat_pool_names_unlink(p);
			else
				p = &(*p)->next;
		}
	}
	_pn->digest[slot] = 0;
	lock_release(&_pn->lock);
}

unsigned long long pchat_pool_names_digest(int slot)
{
	unsigned long long d;

	lock_get(&_pn->lock);
	d = _pn->digest[slot];
	lock_release(&_pn->lock);
	return d;
}

/* The uri of the line at s (after "<d> "), to its \n. */
static str pchat_pool_names_uri(const char *s, const char *end)
{
	str u = {(char *)s + 2, 0};
	const char *nl = memchr(u.s, '\n', end - u.s);

	u.len = nl ? nl - u.s : end - u.s;
	return u;
}

int pchat_pool_names_has(unsigned long long room, str *user, unsigned int slots)
{
	pchat_pool_names_rec_t *r;
	const char *s, *end;
	str u;
	int found = 0;

	lock_get(&_pn->lock);
	for(r = _pn->buckets[pchat_pool_names_bucket(room)]; r && !found;
			r = r->next) {
		if(r->room != room || !((slots >> r->slot) & 1))
			continue;
		for(s = r->lines, end = r->lines + r->len; s < end && !found;
				s = u.s + u.len + 1) {
			u = pchat_pool_names_uri(s, end);
			found = u.len == user->len && memcmp(u.s, user->s, u.len) == 0;
		}
	}
	lock_release(&_pn->lock);
	return found;
}

/* Copies the lines of the room's records of slots after the members
 * array of out (sized by the walk before, under the same lock). */
static void pchat_pool_names_fill(unsigned long long room, unsigned int slots,
		pchat_roster_snapshot_t *out, char *text)
{
	pchat_pool_names_rec_t *r;
	const char *s, *end;
	pchat_roster_member_t *m;

	for(r = _pn->buckets[pchat_pool_names_bucket(room)]; r; r = r->next) {
		if(r->room != room || !((slots >> r->slot) & 1))
			continue;
		memcpy(text, r->lines, r->len);
		for(s = text, end = text + r->len; s < end;) {
			m = &out->members[out->n++];
			memset(m, 0, sizeof(*m));
			m->roles = (unsigned int)(s[0] - '0');
			m->user = pchat_pool_names_uri(s, end);
			s = m->user.s + m->user.len + 1;
		}
		text += r->len;
	}
}

int pchat_pool_names_copy(unsigned long long room, unsigned int slots,
		pchat_roster_snapshot_t *out, int *over)
{
	pchat_pool_names_rec_t *r;
	int n = 0, bytes = 0;

	memset(out, 0, sizeof(*out));
	*over = 0;
	lock_get(&_pn->lock);
	for(r = _pn->buckets[pchat_pool_names_bucket(room)]; r; r = r->next) {
		if(r->room != room || !((slots >> r->slot) & 1))
			continue;
		n += r->n;
		bytes += r->len;
		*over |= r->over;
	}
	if(n > 0) {
		out->members = pkg_malloc(n * sizeof(out->members[0]) + bytes);
		if(out->members == NULL) {
			lock_release(&_pn->lock);
			PKG_MEM_ERROR;
			return -1;
		}
		pchat_pool_names_fill(
				room, slots, out, (char *)(out->members + n));
	}
	lock_release(&_pn->lock);
	return 0;
}

/* The cursor: a bucket and how many of the slot's records of its chain
 * were written (a chain holds a handful, far below 4096: the buckets are
 * a quarter of pool_max_rooms, and a node has one record per room). */
#define PCHAT_POOL_NAMES_SKIP_BITS 12

int pchat_pool_names_dump(int slot, char *buf, int size, unsigned int *pos)
{
	pchat_pool_names_rec_t *r;
	unsigned int b = *pos >> PCHAT_POOL_NAMES_SKIP_BITS;
	unsigned int skip = *pos & ((1u << PCHAT_POOL_NAMES_SKIP_BITS) - 1), k;
	int len = 0, head;
	char h[48];

	lock_get(&_pn->lock);
	for(; b < _pn->size; b++, skip = 0) {
		for(r = _pn->buckets[b], k = 0; r; r = r->next) {
			if(r->slot != slot || k++ < skip)
				continue;
			head = r->over ? snprintf(h, sizeof(h), "%llu OVER\n", r->room)
						   : snprintf(h, sizeof(h), "%llu %d\n", r->room, r->n);
			if(head + r->len > size)
				continue; /* never: a node shares less than a batch */
			if(len + head + r->len > size) {
				*pos = (b << PCHAT_POOL_NAMES_SKIP_BITS) | (k - 1);
				lock_release(&_pn->lock);
				return len;
			}
			memcpy(buf + len, h, head);
			memcpy(buf + len + head, r->lines, r->len);
			len += head + r->len;
		}
	}
	lock_release(&_pn->lock);
	*pos = PCHAT_POOL_CURSOR_END;
	return len;
}

/* --- parts held back ------------------------------------------------- */

static int pchat_pool_held_is(
		pchat_pool_held_t *h, unsigned long long room, str *user)
{
	return h && h->room == room && h->user_len == user->len
		   && memcmp(h->data, user->s, user->len) == 0;
}

void pchat_pool_held_put(unsigned long long room, str *user,
		unsigned long long token, str *notice, long long now_ms)
{
	pchat_pool_held_t *h, **hp = _pn->held_parts;
	int i, at = -1;

	h = shm_malloc(sizeof(*h) + user->len + notice->len);
	if(h == NULL) {
		SHM_MEM_ERROR;
		return;
	}
	h->room = room;
	h->token = token;
	h->at_ms = now_ms;
	h->user_len = user->len;
	h->notice_len = notice->len;
	memcpy(h->data, user->s, user->len);
	memcpy(h->data + user->len, notice->s, notice->len);
	lock_get(&_pn->lock);
	/* the same part again, else a free place, else the oldest */
	for(i = 0; i < PCHAT_POOL_HELD_MAX; i++) {
		if(pchat_pool_held_is(hp[i], room, user)) {
			at = i;
			break;
		}
		if(at < 0 || (hp[at] != NULL
							 && (hp[i] == NULL || hp[i]->at_ms < hp[at]->at_ms)))
			at = i;
	}
	if(hp[at])
		shm_free(hp[at]);
	hp[at] = h;
	lock_release(&_pn->lock);
}

int pchat_pool_held_take(unsigned long long room, str *user,
		unsigned long long *token, str *notice, long long now_ms)
{
	pchat_pool_held_t *h = NULL;
	int i, len;

	lock_get(&_pn->lock);
	for(i = 0; i < PCHAT_POOL_HELD_MAX; i++) {
		if(pchat_pool_held_is(_pn->held_parts[i], room, user)) {
			h = _pn->held_parts[i];
			_pn->held_parts[i] = NULL;
			break;
		}
	}
	lock_release(&_pn->lock);
	if(h == NULL)
		return -1;
	if(now_ms - h->at_ms > PCHAT_POOL_HELD_MS) {
		shm_free(h);
		return -1;
	}
	*token = h->token;
	len = h->notice_len;
	/* the notice moved to the front of the block, which becomes its own */
	memmove(h, h->data + h->user_len, len);
	notice->s = (char *)h;
	notice->len = len;
	return 0;
}
