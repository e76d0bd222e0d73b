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
/* Delivery layer: a pool of chat nodes over Kamailio DMQ (peer "pchat").
 * Each node tells the others how many online participants it has in
 * each room (the first join and the last part of a room here at once,
 * other changes batched per timer tick, and a full list when it starts or
 * meets a node), and who they are in small rooms (for the rosters of
 * joins, and to hold the part of a user still in the room through another
 * node); a post or notice for a room is sent
 * once to each other node with participants there, which hands it to a
 * SIP reader (doorbell) for its own sessions. Off (no pool_dmq): nothing
 * changes. Message format and ordering: see pchat_pool.c. */

#ifndef _PCHAT_POOL_H_
#define _PCHAT_POOL_H_

#include "core/str.h"

#include "pchat_mod.h"
#include "pchat_pool_table.h"

/* mod_init, after the roster is bound: registers the DMQ peer, takes the
 * doorbells bell (the DMQ worker's) and bell + 1 (the core timer's, for
 * copies held too long) and watches the roster's changes; max_names:
 * names of other nodes' participants held at most (pool_roster_max). */
int pchat_pool_mod_init(int max_rooms, int inbox_size, int bell, int max_names);
/* Is the pool on? */
int pchat_pool_enabled(void);

/* An envelope for a room: to this node's sessions (but except_sess) and
 * once to every other node with participants in the room. seq: the
 * number of the post it carries (its copies go out in that order on
 * every node), 0 for a notice. */
int pchat_pool_fanout(long long room_id, str *body, unsigned int except_sess,
		long long seq);
/* Its two halves: the copies to the other nodes, then this node's. */
void pchat_pool_fanout_remote(long long room_id, str *body, long long seq);
int pchat_pool_fanout_local(long long room_id, str *body,
		unsigned int except_sess, long long seq);

/* What the roster's join returns, with a pool, for a room that would be
 * the table's pool_max_rooms + 1st: the join is not made. */
#define PCHAT_POOL_TABLE_FULL (-2)

/* Online participants (sessions) of a room on the other nodes, as they
 * announced them (0 without a pool): with the roster's count, the room's
 * pool-wide count. */
int pchat_pool_remote_count(long long room_id);

/* The room's participants on the other nodes, as they announced their
 * names (a node shares them for rooms where it has at most
 * participant_update_limit sessions): a snapshot in pkg memory, free it with
 * pchat_pool_roster_free(); *partial when a node has more than it shares.
 * 0, or -1 out of memory. Empty without a pool. */
int pchat_pool_remote_roster(
		long long room_id, pchat_roster_snapshot_t *out, int *partial);
void pchat_pool_roster_free(pchat_roster_snapshot_t *snap);
/* Is the user in the room through another node, as it announced? */
int pchat_pool_user_elsewhere(long long room_id, str *user);
/* The part notice of user's last session here was held back (the user is
 * in the room through another node): kept a while, and the other nodes
 * told, in case that node held the user's last part there at once (then
 * one of the two sends its notice). */
void pchat_pool_part_held(long long room_id, str *user, str *notice);

/* For pchat.status: copies sent to and received from other nodes, pool
 * messages refused, rooms where other nodes have participants, messages
 * of counts sent (COUNT and ROOMS), full lists asked for (SYNC). */
typedef enum pchat_pool_stat
{
	PCHAT_POOL_SENT,
	PCHAT_POOL_RECEIVED,
	PCHAT_POOL_REFUSED,
	PCHAT_POOL_REMOTE_ROOMS,
	PCHAT_POOL_COUNTS_SENT,
	PCHAT_POOL_SYNCS,
	PCHAT_POOL_QUEUED
} pchat_pool_stat_t;
unsigned long pchat_pool_stat(pchat_pool_stat_t which);

/* One node of the pool for pchat.pool: this node or a remote one. */
typedef struct pchat_pool_node_info
{
	str uri;           /* its DMQ URI (this node's: dmq server_address) */
	int local;         /* this node */
	const char *state; /* "up", "draining" or "down" */
	int rooms;         /* rooms with participants on it, as it announced */
	long long heartbeat_age_ms; /* since its last heartbeat (this node's:
								 * since it sent one; -1: none yet) */
	char buf[PCHAT_POOL_NODE_URI_MAX];
} pchat_pool_node_info_t;
/* The i-th node: 0 this node, then the remote nodes heard so far. 0 when
 * filled, 1 when there is no node at i (a free slot), -1 past the end. */
int pchat_pool_node_info(int i, pchat_pool_node_info_t *out);

/* child_init: is this process one that runs the request route (copies
 * handed to it by dmq_process_message() are delivered at once)? */
void pchat_pool_child_init(int rank);

/* In a SIP reader (the pool's doorbell rang, or a copy came in): deliver
 * what other nodes sent, in the order it arrived. */
void pchat_pool_inbox_run(void);

#endif
