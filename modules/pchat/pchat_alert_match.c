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
/* Alert matching in memory: see pchat_alert_match.h. */

#include <stdlib.h>
#include <string.h>

#include "pchat_alert_match.h"

#ifdef PCHAT_UNIT_TEST
#define am_malloc malloc
#define am_free_ free
#else
#include "core/mem/mem.h"
#define am_malloc pkg_malloc
#define am_free_ pkg_free
#endif
/* Kamailio's allocator warns at free(NULL): the matcher frees tables a
 * load may not have made */
#define am_free(p)        \
	do {                  \
		if((p) != NULL)   \
			am_free_(p);  \
	} while(0)

static unsigned int pchat_am_hash_str(const char *s)
{
	unsigned int h = 2166136261u;

	for(; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The bucket of a word starting with weights a, b. */
static unsigned int pchat_am_key2(const pchat_amatch_t *m, unsigned int a,
		unsigned int b)
{
	return ((a * 65599u) ^ b) % (unsigned int)m->nbuckets;
}

static int pchat_am_hex(char c)
{
	if(c >= '0' && c <= '9')
		return c - '0';
	if(c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if(c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int pchat_amatch_weights(const char *hex, unsigned short *w, int max)
{
	int n = 0, i, d, v;

	for(; hex[0]; hex += 4) {
		for(i = 0, v = 0; i < 4; i++) {
			if((d = pchat_am_hex(hex[i])) < 0)
				return -1;
			v = v * 16 + d;
		}
		if(n == max)
			return -1;
		w[n++] = (unsigned short)v;
	}
	return n;
}

void pchat_amatch_free(pchat_amatch_t *m)
{
	int i;

	for(i = 0; m->subs && i < m->nsubs; i++) {
		am_free(m->subs[i].w);
		am_free(m->subs[i].author);
	}
	for(i = 0; m->users && i < m->nusers; i++)
		am_free(m->users[i]);
	am_free(m->subs);
	am_free(m->users);
	am_free(m->word_head);
	am_free(m->word1_head);
	am_free(m->author_head);
	am_free(m->seen);
	memset(m, 0, sizeof(*m));
}

/* The user's index; the loader reads the rows ordered by user, so a
 * user is the last one added or a new one. */
static int pchat_am_user(pchat_amatch_t *m, const char *user)
{
	if(m->nusers > 0 && strcmp(m->users[m->nusers - 1], user) == 0)
		return m->nusers - 1;
	m->users[m->nusers] = am_malloc(strlen(user) + 1);
	if(m->users[m->nusers] == NULL)
		return -1;
	strcpy(m->users[m->nusers], user);
	return m->nusers++;
}

static int pchat_am_add(pchat_amatch_t *m, const pchat_amatch_in_t *in)
{
	pchat_amatch_sub_t *s = &m->subs[m->nsubs];
	int len, *head;
	unsigned int b;

	memset(s, 0, sizeof(*s));
	s->room_id = in->room_id;
	if(in->kind == PCHAT_AMATCH_WORD) {
		len = (int)strlen(in->key) / 4;
		if(len == 0)
			return 0; /* folds to nothing: matches nothing */
		s->w = am_malloc(len * sizeof(*s->w));
		if(s->w == NULL)
			return -1;
		if(pchat_amatch_weights(in->key, s->w, len) != len) {
			am_free(s->w);
			return 0;
		}
		if(len >= 2) {
			b = pchat_am_key2(m, s->w[0], s->w[1]);
			head = m->word_head;
		} else {
			b = s->w[0] % m->nbuckets;
			head = m->word1_head;
		}
	} else {
		len = (int)strlen(in->key);
		s->author = am_malloc(len + 1);
		if(s->author == NULL)
			return -1;
		strcpy(s->author, in->key);
		b = pchat_am_hash_str(in->key) % m->nbuckets;
		head = m->author_head;
	}
	s->len = len;
	if((s->user = pchat_am_user(m, in->user)) < 0)
		return -1;
	s->next = head[b];
	head[b] = m->nsubs++;
	return 0;
}

int pchat_amatch_build(pchat_amatch_t *m, const pchat_amatch_in_t *in, int n)
{
	int i;

	memset(m, 0, sizeof(*m));
	m->nbuckets = n < 64 ? 64 : 2 * n;
	m->subs = am_malloc((n ? n : 1) * sizeof(*m->subs));
	m->users = am_malloc((n ? n : 1) * sizeof(*m->users));
	m->word_head = am_malloc(m->nbuckets * sizeof(int));
	m->word1_head = am_malloc(m->nbuckets * sizeof(int));
	m->author_head = am_malloc(m->nbuckets * sizeof(int));
	m->seen = am_malloc((n ? n : 1) * sizeof(*m->seen));
	if(!m->subs || !m->users || !m->word_head || !m->word1_head
			|| !m->author_head || !m->seen)
		goto oom;
	memset(m->word_head, 0xff, m->nbuckets * sizeof(int));
	memset(m->word1_head, 0xff, m->nbuckets * sizeof(int));
	memset(m->author_head, 0xff, m->nbuckets * sizeof(int));
	memset(m->seen, 0, (n ? n : 1) * sizeof(*m->seen));
	for(i = 0; i < n; i++)
		if(pchat_am_add(m, &in[i]) < 0)
			goto oom;
	return 0;
oom:
	pchat_amatch_free(m);
	return -1;
}

/* Takes the subscription's user unless the post's author, out of room,
 * or already taken by this match. */
static int pchat_am_take(pchat_amatch_t *m, pchat_amatch_sub_t *s,
		long long room_id, const char *author, int *out, int *k, int max)
{
	if(s->room_id && s->room_id != room_id)
		return 0;
	if(m->seen[s->user] == m->stamp || *k == max)
		return 0;
	if(strcmp(m->users[s->user], author) == 0)
		return 0;
	m->seen[s->user] = m->stamp;
	out[(*k)++] = s->user;
	return 1;
}

int pchat_amatch_run(pchat_amatch_t *m, long long room_id, const char *author,
		const unsigned short *w, int n, int *out, int max)
{
	pchat_amatch_sub_t *s;
	int i, j, k = 0;

	if(m->nsubs == 0)
		return 0;
	if(++m->stamp == 0) { /* wrapped: forget every earlier match */
		memset(m->seen, 0, m->nusers * sizeof(*m->seen));
		m->stamp = 1;
	}
	j = m->author_head[pchat_am_hash_str(author) % m->nbuckets];
	for(; j >= 0; j = s->next) {
		s = &m->subs[j];
		if(strcmp(s->author, author) == 0)
			pchat_am_take(m, s, room_id, author, out, &k, max);
	}
	/* each position of the text: the words that start with its weights */
	for(i = 0; i < n; i++) {
		for(j = m->word1_head[w[i] % m->nbuckets]; j >= 0; j = s->next) {
			s = &m->subs[j];
			if(s->w[0] == w[i])
				pchat_am_take(m, s, room_id, author, out, &k, max);
		}
		if(i + 1 == n)
			break;
		j = m->word_head[pchat_am_key2(m, w[i], w[i + 1])];
		for(; j >= 0; j = s->next) {
			s = &m->subs[j];
			if(s->len <= n - i
					&& memcmp(s->w, w + i, s->len * sizeof(*w)) == 0)
				pchat_am_take(m, s, room_id, author, out, &k, max);
		}
	}
	return k;
}
