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
/* The roster itself: one entry per (room, session), linked into the room's
 * list and into the session's list. Room records live in a shm hash table by
 * room id, session records in one by session id; each table has its own lock
 * set, one lock per slot. Lock order everywhere: session slot, then room
 * slot. Entry fields are guarded as follows:
 *   room_id, sess_hid, sess_id, user    set once before linking, read-only
 *   roles, room_next, room_prev         room slot lock (roles written with
 *                                       both locks held)
 *   sess_next, sess_prev                session slot lock */

#ifndef _PCHAT_ROSTER_TABLE_H_
#define _PCHAT_ROSTER_TABLE_H_

#include "core/rpc.h"
#include "core/str.h"

#include "pchat_roster_api.h"

/* One (room, session) pair; user.s points right behind the struct, in the
 * same shm block. */
typedef struct pchat_roster_entry
{
	unsigned long long room_id;
	unsigned int sess_hid;
	unsigned int sess_id;
	unsigned int roles;
	int room_pos; /* its index in the room's refs (in roles' padding) */
	str user;
	struct pchat_roster_entry *room_next, *room_prev;
	struct pchat_roster_entry *sess_next, *sess_prev;
} pchat_roster_entry_t;

/* A room with at least one entry; freed with its last entry. */
typedef struct pchat_roster_room
{
	unsigned long long room_id;
	int count;		/* entries in the list */
	int user_bytes; /* sum of their user.len, to size snapshots */
	pchat_roster_entry_t *first, *last; /* join order */
	/* the same entries' session references, packed (count of them; a
	 * removal moves the last into the gap): a fan-out's copy of them is
	 * one memcpy. entries[i] is the entry of refs[i]. */
	pchat_roster_ref_t *refs;
	pchat_roster_entry_t **entries;
	int refs_size;
	struct pchat_roster_room *next;		/* hash slot chain */
} pchat_roster_room_t;

/* A session in at least one room; freed with its last entry. */
typedef struct pchat_roster_sess
{
	unsigned int sess_id;
	int count;
	pchat_roster_entry_t *first;	/* most recent join first */
	struct pchat_roster_sess *next; /* hash slot chain */
} pchat_roster_sess_t;

int pchat_roster_table_init(int hash_size);

int pchat_roster_join(unsigned long long room_id, unsigned int sess_hid,
		unsigned int sess_id, str *user, unsigned int roles);
int pchat_roster_part(unsigned long long room_id, unsigned int sess_id);
int pchat_roster_part_all(
		unsigned int sess_id, unsigned long long *rooms, int max);
int pchat_roster_snapshot(
		unsigned long long room_id, pchat_roster_snapshot_t *snap);
int pchat_roster_snapshot_newest(
		unsigned long long room_id, pchat_roster_snapshot_t *snap, int max);
void pchat_roster_free_snapshot(pchat_roster_snapshot_t *snap);
int pchat_roster_snapshot_refs(
		unsigned long long room_id, pchat_roster_refs_t *out);
void pchat_roster_free_refs(pchat_roster_refs_t *out);
int pchat_roster_count(unsigned long long room_id);
int pchat_roster_user_present(
		unsigned long long room_id, str *user, unsigned int except_sess_id);
int pchat_roster_rooms_of(
		unsigned int sess_id, unsigned long long *rooms, int max);

/* RPC bodies; they walk the room table one slot at a time. */
void pchat_roster_rpc_rooms(rpc_t *rpc, void *ctx);
void pchat_roster_rpc_room(rpc_t *rpc, void *ctx, unsigned long long room_id);
void pchat_roster_rpc_stats(rpc_t *rpc, void *ctx);

#endif
