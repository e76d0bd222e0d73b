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
/* Bounded counts of live sessions per key (a user, a client connection),
 * in shared memory: an entry exists only while its count is above zero, so
 * the table never holds more entries than there are sessions. And the
 * token bucket each session keeps for its INFOs (max_infos_per_second). */

#ifndef _PCHAT_LIMIT_H_
#define _PCHAT_LIMIT_H_

#include "core/str.h"

int pchat_limit_init(unsigned int hash_size);

/* Counts one more session for key unless max (0: no limit) are counted
 * already. Returns 1 when taken, 0 when full, -1 on a memory error. */
int pchat_limit_take(const char *key, int len, unsigned int max);

/* Gives back one session taken for key. */
void pchat_limit_put(const char *key, int len);

/* How many are counted for key (for tests and the RPCs). */
unsigned int pchat_limit_count(const char *key, int len);

/* A token bucket, kept with its owner (a session) and used under the
 * owner's lock: O(1), no allocation. Zeroed it is full. */
typedef struct pchat_rate
{
	unsigned int milli; /* tokens x 1000 */
	unsigned int last;  /* clock of the last refill (ticks) */
	unsigned char started;
} pchat_rate_t;

/* Takes one token at time now (a clock of hz ticks per second, wrapping):
 * the bucket holds at most burst tokens and gains rate per second. Returns
 * 1 when taken (always with rate 0: no bound), 0 when empty; *wait is then
 * the whole seconds until a token is back (at least 1). */
int pchat_rate_take(pchat_rate_t *r, unsigned int rate, unsigned int burst,
		unsigned int now, unsigned int hz, unsigned int *wait);

#endif
