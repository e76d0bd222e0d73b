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
/* Delivery layer: the pool's table, in shm for every process. Which rooms
 * have online participants on which node of the pool, and how many: a
 * bounded table of room id -> bit set of node slots and a count per slot
 * (slot PCHAT_POOL_LOCAL is this node, as it announced itself; the others
 * are remote nodes, named by their DMQ URI). */

#ifndef _PCHAT_POOL_TABLE_H_
#define _PCHAT_POOL_TABLE_H_

#include "core/str.h"

#define PCHAT_POOL_LOCAL 31     /* the bit of this node */
#define PCHAT_POOL_NODES_MAX 31 /* remote slots 0..30 */
#define PCHAT_POOL_NODE_URI_MAX 128
#define PCHAT_POOL_COUNT_MAX 65535 /* a slot's count is kept up to this */

/* mod_init: a table of at most max_rooms rooms. */
int pchat_pool_table_init(int max_rooms);

/* The slot of a remote node's URI, given one on first sight; -1 when every
 * slot is taken or the URI is too long. */
int pchat_pool_node_slot(str *uri);
/* The URI of a slot, copied to buf (NUL-terminated); -1 for a free slot. */
int pchat_pool_node_uri(int slot, char *buf, int size, str *uri);
/* Frees a slot (a node down for long): its rooms and its URI. */
void pchat_pool_node_forget(int slot);

/* A slot's count of participants in a room: count 0 clears its bit, more
 * sets it (and ends the slot's staleness there, see below). -1 when the
 * table is full (max_rooms rooms) or out of memory, 1 when the count
 * changed, 0 when not. A room without bits is dropped. */
int pchat_pool_room_set(unsigned long long room, int slot, int count);
/* The room's bits (0: nobody anywhere). */
unsigned int pchat_pool_room_mask(unsigned long long room);
/* The sum of the counts of every slot but this node's. */
int pchat_pool_room_remote(unsigned long long room);
/* Clears a slot's bit in every room (the node is down). */
void pchat_pool_clear_slot(int slot);
/* A full list from a slot replaces what it had without a gap: begin marks
 * every room of the slot stale, each room of the list is set (not stale
 * any more), end drops the slot from the rooms still stale. */
void pchat_pool_slot_stale(int slot, int end);
/* Rooms whose bit slot is set, for a full sync in batches: fills at most
 * max ids and their counts starting at the cursor *pos (0 at first), moves
 * it (PCHAT_POOL_CURSOR_END once through); returns the number filled. */
#define PCHAT_POOL_CURSOR_END (~0u)
int pchat_pool_rooms_of_slot(int slot, unsigned long long *rooms,
		unsigned int *counts, int max, unsigned int *pos);
/* A digest of a slot's rooms and counts: the sum of a 64-bit FNV-1a of
 * each (room, count), so the order of the walk does not matter. */
unsigned long long pchat_pool_slot_digest(int slot);
/* This node's count of a room changed and is to be announced: marks the
 * room (one of this node's). */
void pchat_pool_room_mark(unsigned long long room);
/* Takes at most max marked rooms (unmarks them); returns how many. */
int pchat_pool_marked_take(unsigned long long *rooms, int max);
/* Rooms with participants on any node of the bit set slots (pchat.status:
 * every node but this one; pchat.pool: one node): a walk of the whole
 * table. */
int pchat_pool_rooms_with(unsigned int slots);

#endif
