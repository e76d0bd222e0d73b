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
/* Alert matching in memory (issue 18 point 3): the subscriptions of the
 * node indexed by the first two collation weights of their text (word
 * alerts; a word of one weight by that one) or by author, matched against a post's weights. Pure code, unit-tested:
 * the weights come from MariaDB (WEIGHT_STRING under utf8mb4_unicode_ci),
 * so a substring of weights is a substring under the search's folding. */

#ifndef _PCHAT_ALERT_MATCH_H_
#define _PCHAT_ALERT_MATCH_H_

#define PCHAT_AMATCH_WORD 0
#define PCHAT_AMATCH_AUTHOR 1

/* One subscription as the loader reads it. */
typedef struct pchat_amatch_in
{
	long long id;
	long long room_id; /* 0: every room the user may read */
	int kind;          /* PCHAT_AMATCH_* */
	const char *user;  /* canonical subscriber */
	const char *key;   /* word: hex of its weights; author: canonical URI */
} pchat_amatch_in_t;

typedef struct pchat_amatch_sub
{
	long long room_id;
	int user;              /* index in users */
	int next;              /* next subscription of the same bucket, -1 */
	int len;               /* weights (word) or bytes (author) */
	unsigned short *w;     /* word: the weights */
	char *author;          /* author: the URI */
} pchat_amatch_sub_t;

typedef struct pchat_amatch
{
	int nsubs, nusers, nbuckets;
	pchat_amatch_sub_t *subs;
	char **users;
	int *word_head;   /* bucket of the first two weights -> first word of
	                   * two or more weights, -1 */
	int *word1_head;  /* bucket of the weight -> first word of one, -1 */
	int *author_head; /* bucket -> first author subscription, -1 */
	unsigned int *seen; /* per user: the match that last took it */
	unsigned int stamp;
} pchat_amatch_t;

/* Builds the index (pkg memory); in[] may be freed afterwards. A word
 * without weights is left out. 0, or -1 when out of memory (m is then
 * empty). */
int pchat_amatch_build(pchat_amatch_t *m, const pchat_amatch_in_t *in, int n);
void pchat_amatch_free(pchat_amatch_t *m);

/* Weights from hex (4 digits each) into w (at most max); their count, or
 * -1 when hex is not whole weights. */
int pchat_amatch_weights(const char *hex, unsigned short *w, int max);

/* The users (indexes in m->users) alerted by a post of author into room,
 * whose text has the weights w[0..n): each once, the author never. At
 * most max of them go into out; returns how many. */
int pchat_amatch_run(pchat_amatch_t *m, long long room_id, const char *author,
		const unsigned short *w, int n, int *out, int max);

#endif
