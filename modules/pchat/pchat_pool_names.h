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
/* Delivery layer: who the participants of small rooms are on each node of
 * the pool (a join's roster lists the whole pool's). In shm: per room and
 * slot (see pchat_pool_table.h) the node's names as it announced them,
 * "<roles> <uri>\n" lines sorted by uri, or "over" (more than it shares). */

#ifndef _PCHAT_POOL_NAMES_H_
#define _PCHAT_POOL_NAMES_H_

#include "core/str.h"

#include "pchat_mod.h"

/* Names of one room a node shares at most (the largest
 * participant_update_limit a node can be configured with). */
#define PCHAT_POOL_NAMES_ROOM_MAX 10000

/* mod_init: at most max_names names (and "over" rooms) of other nodes. */
int pchat_pool_names_init(int max_rooms, int max_names);

/* Replaces slot's names of a room: n lines (checked by the caller), or
 * over; n 0 and not over: none. 1 when they changed, 0 when not, -1 past
 * the bound (max_names): the room is kept as over. */
int pchat_pool_names_set(unsigned long long room, int slot, int over, int n,
		const char *lines, int len);
/* Drops every room's names of a slot (a node down, a full list coming). */
void pchat_pool_names_clear_slot(int slot);
/* A sum of a 64-bit hash of each (room, over, lines) of the slot, kept as
 * they change: with the counts' digest in the heartbeat. */
unsigned long long pchat_pool_names_digest(int slot);
/* Is user among the room's names of a slot in the bit set slots? */
int pchat_pool_names_has(unsigned long long room, str *user, unsigned int slots);
/* The room's names of the slots in the bit set, in pkg memory as a
 * snapshot (free it with pkg_free(out->members)); *over when a slot holds
 * more than it shares. 0, or -1 out of memory. */
int pchat_pool_names_copy(unsigned long long room, unsigned int slots,
		pchat_roster_snapshot_t *out, int *over);
/* A slot's rooms as NAMES sections ("<room> <n>|OVER\n" and its lines),
 * for a full list in batches: appends whole sections to buf while they fit
 * in size, from the cursor *pos (0 at first), moves it (PCHAT_POOL_CURSOR_END
 * of pchat_pool_table.h once through); returns the bytes written. */
int pchat_pool_names_dump(int slot, char *buf, int size, unsigned int *pos);

/* Parts held back (the user was still in the room through another node,
 * as it named the user), kept PCHAT_POOL_HELD_MS (at most
 * PCHAT_POOL_HELD_MAX, the oldest give way) for the case where that node
 * held the user's last part there at the same time: see pchat_pool.c. */
#define PCHAT_POOL_HELD_MS 10000
#define PCHAT_POOL_HELD_MAX 256
/* Keeps the part notice of user in room with its token. */
void pchat_pool_held_put(unsigned long long room, str *user,
		unsigned long long token, str *notice, long long now_ms);
/* Takes the held part of user in room, if one is kept and not too old: its
 * notice in shm (shm_free(notice->s)) and token; 0, or -1 when none. */
int pchat_pool_held_take(unsigned long long room, str *user,
		unsigned long long *token, str *notice, long long now_ms);

#endif
