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
 * have online participants on which node of the pool: a bounded table of
 * room id -> bit set of node slots (slot PCHAT_POOL_LOCAL is this node,
 * the others are remote nodes, named by their DMQ URI). */

#ifndef _PCHAT_POOL_TABLE_H_
#define _PCHAT_POOL_TABLE_H_

#include "core/str.h"

#define PCHAT_POOL_LOCAL 31     /* the bit of this node */
#define PCHAT_POOL_NODES_MAX 31 /* remote slots 0..30 */
#define PCHAT_POOL_NODE_URI_MAX 128

/* mod_init: a table of at most max_rooms rooms. */
int pchat_pool_table_init(int max_rooms);

/* The slot of a remote node's URI, given one on first sight; -1 when every
 * slot is taken or the URI is too long. */
int pchat_pool_node_slot(str *uri);
/* The URI of a slot, copied to buf (NUL-terminated); -1 for a free slot. */
int pchat_pool_node_uri(int slot, char *buf, int size, str *uri);

/* Sets or clears a slot's bit for a room: 0, or -1 when the table is full
 * (max_rooms rooms) or out of memory. A room without bits is dropped. */
int pchat_pool_room_set(unsigned long long room, int slot, int on);
/* The room's bits (0: nobody anywhere). */
unsigned int pchat_pool_room_mask(unsigned long long room);
/* Clears a slot's bit in every room (a full sync from that node starts). */
void pchat_pool_clear_slot(int slot);
/* Rooms whose bit slot is set, for a full sync in batches: fills at most
 * max ids starting at the cursor *pos (0 at first), moves it; returns the
 * count, 0 when through. */
int pchat_pool_rooms_of_slot(int slot, unsigned long long *rooms, int max,
		unsigned int *pos);
/* Rooms with participants on any node of the bit set slots (pchat.status:
 * every node but this one; pchat.pool: one node): a walk of the whole
 * table. */
int pchat_pool_rooms_with(unsigned int slots);

#endif
