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
/* Delivery layer: the pool of chat nodes over DMQ (see pchat_pool.h).
 *
 * Messages (KDMQ bodies, text, one header line ending in \n; every field
 * canonical: upper-case words, one space, room ids in decimal without sign
 * or leading zero; anything else is refused with 400 and logged):
 *   PCHAT1 COUNT               then one "<room> <n>\n" per room: the sender
 *                              has n online participants (sessions) in
 *                              room now, 0: none any more. A room's first
 *                              participant and its last part are sent at
 *                              once (copies depend on them); other changes
 *                              are batched, one message per timer tick
 *   PCHAT1 ROOMS RESET|ADD HELLO|- MORE|END   then one "<room> <n>\n" per
 *                              room: the sender's whole list (RESET starts
 *                              it, ADD batches follow, <= 60,000 bytes
 *                              each, END is the last); it replaces what
 *                              the receiver held for the sender without a
 *                              gap (rooms not in it leave at END); HELLO
 *                              asks the receiver for its own list back
 *   PCHAT1 NAMES               then per room "<room> <n>\n" and n lines
 *                              "<roles> <uri>\n" (roles one digit, the
 *                              PCHAT_ROLE_* bits; uri a canonical
 *                              identity; sorted, each once; n <=
 *                              PCHAT_POOL_NAMES_ROOM_MAX), or "<room>
 *                              OVER\n": the sender's users in the room
 *                              now, replacing what the receiver held (0:
 *                              none; OVER: more than participant_update_
 *                              limit, unnamed). Sent at once when a room's
 *                              users here change (after its COUNT), and
 *                              after a ROOMS list (whose RESET drops the
 *                              sender's names), batched by whole rooms
 *   PCHAT1 HELD <room> <token> <uri>   the sender did not announce the
 *                              part of uri's last session there: uri was
 *                              in the room through another node as that
 *                              named it (token: 16 lower-case hex digits,
 *                              random). A receiver that held the same part
 *                              itself (kept PCHAT_POOL_HELD_MS) and finds
 *                              uri nowhere now - both last sessions left
 *                              at once, each node counting on the other -
 *                              sends the notice it held if its token is
 *                              the lower, so one of the two does
 *   PCHAT1 SYNC                asks the receiver for its whole list
 *   PCHAT1 DLV <room> <seq>    then the XCCOS envelope, for the receiver's
 *                              own sessions in room; seq: the number of
 *                              the post it carries, 0 for a notice
 *   PCHAT1 BEAT ACTIVE|DRAIN [<digest>]   the sender is alive (every
 *                              pool_heartbeat_ms) and takes new sessions
 *                              or drains; digest (16 lower-case hex
 *                              digits): pchat_pool_digest() of its own
 *                              rooms, counts and names. A receiver holding
 *                              something else for it (a COUNT lost) asks
 *                              it for its list (SYNC)
 * A message from a node DMQ does not know, or whose source address is not
 * that node's, is refused with 403 and logged.
 *
 * Failure: dmq's own ping is a minute apart, so the nodes send each other
 * a heartbeat; any message counts as one. A node silent for pool_dead_ms
 * is down: its rooms leave the table (no copies go to it), logged once.
 * When it speaks again it is up, and is sent this node's list with HELLO,
 * which asks for its own (the copies it missed are in the history). A node
 * held down gets one heartbeat in PCHAT_POOL_PROBE_BEATS (it is noticed
 * back by its own heartbeats; the probe ends a cut between two nodes that
 * hold each other down), and loses its slot after pool_forget_ms.
 *
 * Order: one node sends a room's copies in commit order (the reader hands
 * out the writer's posts under one lock), over one TCP connection to each
 * node; the receiver's dmq must run one worker (num_workers 1, checked at
 * start: with more, dmq hands consecutive messages to different workers)
 * and its inbox is a FIFO one reader empties at a time. So copies from one
 * node arrive in the order that node sent them. Posts made on different
 * nodes are put in the room's order on each node by pchat_pool_order.c,
 * which every copy of a post for this node's sessions passes, under one
 * lock (its own posts' too). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/counters.h"
#include "core/dprint.h"
#include "core/ip_addr.h"
#include "core/locking.h"
#include "core/mem/pkg.h"
#include "core/mem/shm_mem.h"
#include "core/parser/msg_parser.h"
#include "core/rand/fastrand.h"
#include "core/sr_module.h"
#include "core/timer.h"
#include "core/timer_ticks.h"
#include "core/ut.h"
#include "modules/dmq/bind_dmq.h"

#include "pchat_bell.h"
#include "pchat_config.h"
#include "pchat_db.h"
#include "pchat_fanout.h"
#include "pchat_identity.h"
#include "pchat_mod.h"
#include "pchat_pool.h"
#include "pchat_pool_beat.h"
#include "pchat_pool_names.h"
#include "pchat_pool_order.h"
#include "pchat_pool_table.h"

#define PCHAT_POOL_BATCH 60000 /* bytes of one ROOMS message (as ht_dmq) */
#define PCHAT_POOL_ID_MAX 20   /* digits of a room id, with room to spare */
#define PCHAT_POOL_LINE_MAX (2 * PCHAT_POOL_ID_MAX + 2) /* "<room> <n>\n" */
/* the lines of names a node shares for one room at most: past it, OVER */
#define PCHAT_POOL_NAMES_BYTES (PCHAT_POOL_BATCH - 64)

typedef struct pchat_pool_shared
{
	gen_lock_t lock;      /* the inbox */
	gen_lock_t run_lock;  /* one process delivers a post at a time: order */
	gen_lock_t announce;  /* this node's counts in the order of changes */
	pchat_pool_copy_t *head, *tail;
	int queued;
} pchat_pool_shared_t;

static pchat_pool_shared_t *_pp;
static int _pp_inbox_max, _pp_bell; /* _pp_bell + 1: the timer's */
/* this process runs the request route (a SIP reader or worker): a copy
 * that dmq_process_message() hands it is delivered here, at once; dmq's
 * workers (dmq_handle_message()) queue it and ring a reader */
static int _pp_sip_worker;
static dmq_api_t _pp_dmq;
static dmq_peer_t *_pp_peer;
static pchat_roster_api_t _pp_roster; /* the roster's own functions */
static str _pp_ctype = str_init("text/x-pchat-pool");
static str _pp_200 = str_init("OK");
static str _pp_400 = str_init("Bad Request");
static str _pp_403 = str_init("Forbidden");
static str _pp_404 = str_init("Not Found");
static str _pp_503 = str_init("Service Unavailable");
static str _pp_self; /* dmq's server_address: this node's URI */

static counter_handle_t _pp_sent, _pp_received, _pp_refused, _pp_counts,
		_pp_syncs, _pp_names, _pp_queued;

int pchat_pool_enabled(void)
{
	return _pp != NULL;
}

unsigned long pchat_pool_stat(pchat_pool_stat_t which)
{
	if(_pp == NULL)
		return 0;
	switch(which) {
		case PCHAT_POOL_SENT:
			return (unsigned long)counter_get_val(_pp_sent);
		case PCHAT_POOL_RECEIVED:
			return (unsigned long)counter_get_val(_pp_received);
		case PCHAT_POOL_REFUSED:
			return (unsigned long)counter_get_val(_pp_refused);
		case PCHAT_POOL_COUNTS_SENT:
			return (unsigned long)counter_get_val(_pp_counts);
		case PCHAT_POOL_SYNCS:
			return (unsigned long)counter_get_val(_pp_syncs);
		case PCHAT_POOL_QUEUED:
			return (unsigned long)counter_get_val(_pp_queued);
		default:
			return (unsigned long)pchat_pool_rooms_with(
					~(1u << PCHAT_POOL_LOCAL));
	}
}

/* --- sending --------------------------------------------------------- */

/* A refusal by another node is logged here, on the sending side too; a
 * 404 only in debug: a copy crossing the node's count 0 for its room is the
 * ordinary race of a last part there. */
static int pchat_pool_answered(
		struct sip_msg *msg, int code, dmq_node_t *node, void *param)
{
	if(code == 404)
		LM_DBG("pool node %.*s: no participants in the room any more\n",
				node ? node->orig_uri.len : 0, node ? node->orig_uri.s : "");
	else if(code >= 300)
		LM_WARN("pool node %.*s refused a message: %d\n",
				node ? node->orig_uri.len : 0, node ? node->orig_uri.s : "",
				code);
	return 0;
}

static dmq_resp_cback_t _pp_cback = {pchat_pool_answered, NULL};

/* A heartbeat's answer: nothing to log. A dead node fails each one, and
 * its silence is reported once, by pchat_pool_tick(). */
static int pchat_pool_beat_answered(
		struct sip_msg *msg, int code, dmq_node_t *node, void *param)
{
	return 0;
}

static dmq_resp_cback_t _pp_beat_cback = {pchat_pool_beat_answered, NULL};

static int pchat_pool_send(str *body, dmq_node_t *node)
{
	if(node)
		return _pp_dmq.send_message(
				_pp_peer, body, node, &_pp_cback, 1, &_pp_ctype);
	return _pp_dmq.bcast_message(_pp_peer, body, NULL, &_pp_cback, 1,
			&_pp_ctype);
}

/* Sends one message of a header line and a payload (may be empty). */
static int pchat_pool_send2(
		const char *head, str *payload, dmq_node_t *node)
{
	str body;
	int hlen = strlen(head), rc;

	body.len = hlen + (payload ? payload->len : 0);
	body.s = pkg_malloc(body.len + 1);
	if(body.s == NULL) {
		PKG_MEM_ERROR;
		return -1;
	}
	memcpy(body.s, head, hlen);
	if(payload)
		memcpy(body.s + hlen, payload->s, payload->len);
	rc = pchat_pool_send(&body, node);
	pkg_free(body.s);
	return rc;
}

/* This node's names of its small rooms, after its list (whose RESET
 * dropped what the receiver held), in batches of whole rooms; buf:
 * PCHAT_POOL_BATCH bytes. */
static void pchat_pool_send_names(dmq_node_t *node, char *buf)
{
	unsigned int pos = 0;
	str lines = {buf, 0};

	while(pos != PCHAT_POOL_CURSOR_END) {
		lines.len = pchat_pool_names_dump(
				PCHAT_POOL_LOCAL, buf, PCHAT_POOL_BATCH, &pos);
		if(lines.len > 0) {
			pchat_pool_send2("PCHAT1 NAMES\n", &lines, node);
			counter_inc(_pp_names);
		}
	}
}

/* This node's whole list to node (NULL: every node), in batches, then its
 * names; under the announcements' lock, so that no count overtakes the
 * list. */
static void pchat_pool_send_rooms(dmq_node_t *node, int hello)
{
	static const int per = PCHAT_POOL_BATCH / PCHAT_POOL_LINE_MAX;
	unsigned long long *rooms;
	unsigned int pos = 0, *counts;
	char *buf, head[64];
	int n, i, first = 1;
	str ids;

	rooms = pkg_malloc(per * (sizeof(*rooms) + sizeof(*counts))
					   + PCHAT_POOL_BATCH);
	if(rooms == NULL) {
		PKG_MEM_ERROR;
		return;
	}
	counts = (unsigned int *)(rooms + per);
	buf = (char *)(counts + per);
	lock_get(&_pp->announce);
	while(first || pos != PCHAT_POOL_CURSOR_END) {
		n = pchat_pool_rooms_of_slot(
				PCHAT_POOL_LOCAL, rooms, counts, per, &pos);
		for(i = 0, ids.len = 0; i < n; i++)
			ids.len += snprintf(buf + ids.len, PCHAT_POOL_BATCH - ids.len,
					"%llu %u\n", rooms[i], counts[i]);
		ids.s = buf;
		snprintf(head, sizeof(head), "PCHAT1 ROOMS %s %s %s\n",
				first ? "RESET" : "ADD", hello && first ? "HELLO" : "-",
				pos == PCHAT_POOL_CURSOR_END ? "END" : "MORE");
		pchat_pool_send2(head, &ids, node);
		counter_inc(_pp_counts);
		first = 0;
	}
	pchat_pool_send_names(node, buf);
	lock_release(&_pp->announce);
	pkg_free(rooms);
}

/* This node's own copies: a post in the room's order, a notice at once. */
static int pchat_pool_local(
		long long room_id, str *body, unsigned int except_sess, long long seq)
{
	if(seq <= 0)
		return pchat_fanout_room(room_id, body, except_sess);
	lock_get(&_pp->run_lock);
	pchat_pool_order_put_local(room_id, seq, body);
	lock_release(&_pp->run_lock);
	return 0;
}

void pchat_pool_fanout_remote(long long room_id, str *body, long long seq)
{
	unsigned int mask;
	char head[48], ubuf[PCHAT_POOL_NODE_URI_MAX];
	dmq_node_t *node;
	str uri;
	int slot;

	if(_pp == NULL
			|| (mask = pchat_pool_room_mask((unsigned long long)room_id)
					   & ~(1u << PCHAT_POOL_LOCAL))
					   == 0)
		return;
	snprintf(head, sizeof(head), "PCHAT1 DLV %lld %lld\n", room_id, seq);
	/* once per node that has participants, never once per member */
	for(slot = 0; slot < PCHAT_POOL_NODES_MAX; slot++) {
		if(!(mask & (1u << slot))
				|| pchat_pool_node_uri(slot, ubuf, sizeof(ubuf), &uri) < 0)
			continue;
		node = _pp_dmq.find_dmq_node_uri(&uri);
		if(node != NULL && pchat_pool_send2(head, body, node) == 0)
			counter_inc(_pp_sent);
		else
			LM_ERR("room %lld: cannot reach pool node %.*s\n", room_id,
					uri.len, uri.s);
	}
}

int pchat_pool_fanout_local(long long room_id, str *body,
		unsigned int except_sess, long long seq)
{
	if(_pp == NULL)
		return pchat_fanout_room(room_id, body, except_sess);
	return pchat_pool_local(room_id, body, except_sess, seq);
}

int pchat_pool_fanout(long long room_id, str *body, unsigned int except_sess,
		long long seq)
{
	pchat_pool_fanout_remote(room_id, body, seq);
	return pchat_pool_fanout_local(room_id, body, except_sess, seq);
}

int pchat_pool_remote_count(long long room_id)
{
	if(_pp == NULL)
		return 0;
	return pchat_pool_room_remote((unsigned long long)room_id);
}

/* The other nodes with participants in the room. */
static unsigned int pchat_pool_remote_slots(long long room_id)
{
	return pchat_pool_room_mask((unsigned long long)room_id)
		   & ~(1u << PCHAT_POOL_LOCAL);
}

int pchat_pool_remote_roster(
		long long room_id, pchat_roster_snapshot_t *out, int *partial)
{
	unsigned int slots;

	memset(out, 0, sizeof(*out));
	*partial = 0;
	if(_pp == NULL || (slots = pchat_pool_remote_slots(room_id)) == 0)
		return 0;
	return pchat_pool_names_copy(
			(unsigned long long)room_id, slots, out, partial);
}

void pchat_pool_roster_free(pchat_roster_snapshot_t *snap)
{
	if(snap->members)
		pkg_free(snap->members);
	memset(snap, 0, sizeof(*snap));
}

int pchat_pool_user_elsewhere(long long room_id, str *user)
{
	unsigned int slots;

	if(_pp == NULL || (slots = pchat_pool_remote_slots(room_id)) == 0)
		return 0;
	return pchat_pool_names_has((unsigned long long)room_id, user, slots);
}

void pchat_pool_part_held(long long room_id, str *user, str *notice)
{
	unsigned long long token;
	char head[64 + PCHAT_IDENTITY_MAX];

	if(_pp == NULL || user->len >= PCHAT_IDENTITY_MAX)
		return;
	token = ((unsigned long long)fastrand() << 32) ^ fastrand();
	pchat_pool_held_put((unsigned long long)room_id, user, token, notice,
			pchat_pool_now_ms());
	snprintf(head, sizeof(head), "PCHAT1 HELD %lld %016llx %.*s\n", room_id,
			token, user->len, user->s);
	pchat_pool_send2(head, NULL, NULL);
}

/* --- this node's rooms ----------------------------------------------- */

/* The number the room's next post will have, for its order here: read
 * where the first participant joins (a store worker, never under a lock),
 * 0 when unknown (the first copy then sets it). */
static long long pchat_pool_next_seq(unsigned long long room)
{
	pchat_db_res_t res;
	long long next = 0;

	if(pchat_db_exec("SELECT last_seq FROM pchat_node WHERE id = ?", &res,
			   (long long)room)
			!= PCHAT_STORE_OK)
		return 0;
	if(res.nrows == 1 && res.rows[0][0])
		next = strtoll(res.rows[0][0], NULL, 10) + 1;
	pchat_db_res_free(&res);
	return next;
}

/* One COUNT line of this node's (room, n), n 0: none any more. */
static void pchat_pool_send_count(unsigned long long room, int n)
{
	char line[PCHAT_POOL_LINE_MAX + 1];
	str body = {line, 0};

	body.len = snprintf(line, sizeof(line), "%llu %d\n", room, n);
	pchat_pool_send2("PCHAT1 COUNT\n", &body, NULL);
	counter_inc(_pp_counts);
}

/* The room went from none to n participants here or back (n 0): the
 * others are told at once, and its order starts afresh (a state left from
 * before, e.g. a copy that came after the last part, would hold the next
 * posts for a number long gone), from the room's next number: the copies
 * of posts before it that are still on their way go as they come. */
static int pchat_pool_announce(unsigned long long room, int n, long long next)
{
	if(pchat_pool_room_set(room, PCHAT_POOL_LOCAL, n) < 0) {
		LM_ERR("room %llu: the pool table is full (pool_max_rooms): a join "
			   "refused\n",
				room);
		return -1;
	}
	pchat_pool_send_count(room, n);
	lock_get(&_pp->run_lock);
	pchat_pool_order_forget((long long)room);
	if(next > 0)
		pchat_pool_order_start((long long)room, next);
	lock_release(&_pp->run_lock);
	return 0;
}

/* --- this node's names ------------------------------------------------ */

/* The limit of names shared per room: participant_update_limit (clients
 * get no roster past it). Read before the announcements' lock: the cached
 * configuration may ask the store. */
static int pchat_pool_names_limit(void)
{
	pchat_server_config_t cfg;

	pchat_store_server_config_cached(&cfg); /* defaults when down */
	return cfg.participant_update_limit < PCHAT_POOL_NAMES_ROOM_MAX
				   ? cfg.participant_update_limit
				   : PCHAT_POOL_NAMES_ROOM_MAX;
}

static int pchat_pool_member_cmp(const void *a, const void *b)
{
	const str *x = &((const pchat_roster_member_t *)a)->user;
	const str *y = &((const pchat_roster_member_t *)b)->user;
	int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);

	return c ? c : x->len - y->len;
}

/* This node's names of a room from its roster into buf: "<roles> <uri>\n"
 * sorted by uri, each user once (the roles of its sessions together).
 * *over when more than limit sessions (as ParticipantUpdateLimit counts
 * them: a large room costs no copy) or PCHAT_POOL_NAMES_BYTES. Returns
 * the bytes, -1 out of memory. */
static int pchat_pool_names_build(
		unsigned long long room, int limit, char *buf, int *n, int *over)
{
	pchat_roster_snapshot_t snap;
	pchat_roster_member_t *m;
	int i, len = 0, count = _pp_roster.count(room);

	*n = 0;
	*over = count > limit;
	if(count == 0 || *over)
		return 0;
	if(_pp_roster.snapshot(room, &snap) < 0)
		return -1;
	qsort(snap.members, snap.n, sizeof(*m), pchat_pool_member_cmp);
	for(i = 0; i < snap.n && !*over; i++) {
		m = &snap.members[i];
		if(i + 1 < snap.n && pchat_pool_member_cmp(m, m + 1) == 0) {
			m[1].roles |= m->roles; /* the same user: written once */
			continue;
		}
		if(++*n > limit || len + m->user.len + 3 > PCHAT_POOL_NAMES_BYTES)
			*over = 1;
		else
			len += snprintf(buf + len, PCHAT_POOL_NAMES_BYTES + 1 - len,
					"%u %.*s\n", m->roles & 7, m->user.len, m->user.s);
	}
	_pp_roster.free_snapshot(&snap);
	if(*over)
		*n = len = 0;
	return len;
}

/* The room's users here may have changed: when they did, every node is
 * told at once (a part notice is held on what they know), after the
 * count. Under the announcements' lock: in the order of the changes. */
static void pchat_pool_names_changed(unsigned long long room, int limit)
{
	static char *buf; /* this process's, kept */
	char head[64];
	int n, over;
	str lines;

	if(buf == NULL && (buf = pkg_malloc(PCHAT_POOL_NAMES_BYTES + 1)) == NULL) {
		PKG_MEM_ERROR;
		return;
	}
	lines.s = buf;
	lines.len = pchat_pool_names_build(room, limit, buf, &n, &over);
	if(lines.len < 0
			|| pchat_pool_names_set(
					   room, PCHAT_POOL_LOCAL, over, n, buf, lines.len)
					   <= 0)
		return;
	if(over)
		snprintf(head, sizeof(head), "PCHAT1 NAMES\n%llu OVER\n", room);
	else
		snprintf(head, sizeof(head), "PCHAT1 NAMES\n%llu %d\n", room, n);
	pchat_pool_send2(head, &lines, NULL);
	counter_inc(_pp_names);
}

/* A room's participants here changed (next: see pchat_pool_announce()).
 * Under one lock from the count to the send, so the last change is the
 * last word whichever process made it. A count that stays above 0 waits
 * for the timer's batch (pchat_pool_send_marked()). -1: a first
 * participant here, but the table is full. */
static int pchat_pool_local_changed(
		unsigned long long room, long long next, int limit)
{
	int n, had, rc = 0;

	lock_get(&_pp->announce);
	n = _pp_roster.count(room);
	had = (pchat_pool_room_mask(room) >> PCHAT_POOL_LOCAL) & 1;
	if((n > 0) != had)
		rc = pchat_pool_announce(room, n, next);
	else if(n > 0)
		pchat_pool_room_mark(room);
	if(rc == 0)
		pchat_pool_names_changed(room, limit);
	lock_release(&_pp->announce);
	return rc;
}

/* The timer: the counts that changed since the last tick, in one COUNT
 * message (more past PCHAT_POOL_BATCH bytes). A room whose last
 * participant left meanwhile is skipped: its part sends 0 right after. */
static void pchat_pool_send_marked(void)
{
	static const int per = PCHAT_POOL_BATCH / PCHAT_POOL_LINE_MAX;
	static unsigned long long *rooms; /* the timer's, kept: every tick */
	char *buf;
	int n, i, c;
	str lines;

	if(rooms == NULL
			&& (rooms = pkg_malloc(per * sizeof(*rooms) + PCHAT_POOL_BATCH))
					   == NULL) {
		PKG_MEM_ERROR;
		return;
	}
	buf = (char *)(rooms + per);
	lock_get(&_pp->announce);
	while((n = pchat_pool_marked_take(rooms, per)) > 0) {
		for(i = 0, lines.len = 0; i < n; i++) {
			c = _pp_roster.count(rooms[i]);
			if(c > 0 && ((pchat_pool_room_mask(rooms[i]) >> PCHAT_POOL_LOCAL) & 1)
					&& pchat_pool_room_set(rooms[i], PCHAT_POOL_LOCAL, c) > 0)
				lines.len += snprintf(buf + lines.len,
						PCHAT_POOL_BATCH - lines.len, "%llu %d\n", rooms[i], c);
		}
		lines.s = buf;
		if(lines.len > 0) {
			pchat_pool_send2("PCHAT1 COUNT\n", &lines, NULL);
			counter_inc(_pp_counts);
		}
	}
	lock_release(&_pp->announce);
}

/* The roster's join, part and part_all, then the check above: every
 * change of the roster, whoever makes it (commands, session end, admin,
 * revocation), passes here. */
static int pchat_pool_join(unsigned long long room_id, unsigned int sess_hid,
		unsigned int sess_id, str *user, unsigned int roles)
{
	int rc = _pp_roster.join(room_id, sess_hid, sess_id, user, roles);
	int limit = pchat_pool_names_limit();
	long long next = 0;

	/* a first participant here, likely: the number read before the lock,
	 * which parts in SIP readers also take */
	if(rc > 0 && !((pchat_pool_room_mask(room_id) >> PCHAT_POOL_LOCAL) & 1))
		next = pchat_pool_next_seq(room_id);
	/* a room the other nodes cannot be told of would miss their posts:
	 * the join is taken back */
	if(rc > 0 && pchat_pool_local_changed(room_id, next, limit) < 0) {
		_pp_roster.part(room_id, sess_id);
		return PCHAT_POOL_TABLE_FULL;
	}
	return rc;
}

static int pchat_pool_part(unsigned long long room_id, unsigned int sess_id)
{
	int rc = _pp_roster.part(room_id, sess_id);

	if(rc > 0)
		pchat_pool_local_changed(room_id, 0, pchat_pool_names_limit());
	return rc;
}

static int pchat_pool_part_all(
		unsigned int sess_id, unsigned long long *rooms, int max)
{
	int n = _pp_roster.part_all(sess_id, rooms, max), i;
	int limit = n > 0 ? pchat_pool_names_limit() : 0;

	for(i = 0; i < n && i < max; i++)
		pchat_pool_local_changed(rooms[i], 0, limit);
	return n;
}

/* --- receiving (in the dmq worker) ----------------------------------- */

/* A canonical room id at *p ending in end_ch: advances p; 0 when bad. */
static unsigned long long pchat_pool_parse_id(
		const char **p, const char *end, char end_ch)
{
	unsigned long long v = 0;
	const char *s = *p;
	int n = 0;

	if(s >= end || *s < '1' || *s > '9')
		return 0;
	for(; s < end && *s >= '0' && *s <= '9'; s++, n++) {
		if(n == 18)
			return 0; /* past the ids MariaDB's BIGINT hands out */
		v = v * 10 + (*s - '0');
	}
	if(s >= end || *s != end_ch)
		return 0;
	*p = s + 1;
	return v;
}

/* A post's number (canonical, as a room id) or "0" for a notice, ending in
 * \n; -1 when bad. */
static long long pchat_pool_parse_seq(const char **p, const char *end)
{
	long long seq;

	if(end - *p >= 2 && (*p)[0] == '0' && (*p)[1] == '\n') {
		*p += 2;
		return 0;
	}
	seq = (long long)pchat_pool_parse_id(p, end, '\n');
	return seq > 0 ? seq : -1;
}

/* A count "<room> <n>\n" at *p (n canonical, "0" only when zero_ok):
 * advances p, sets *n (kept up to PCHAT_POOL_COUNT_MAX); 0 when bad. */
static unsigned long long pchat_pool_parse_line(
		const char **p, const char *end, int zero_ok, int *n)
{
	unsigned long long room = pchat_pool_parse_id(p, end, ' '), v;

	if(room == 0)
		return 0;
	if(zero_ok && end - *p >= 2 && (*p)[0] == '0' && (*p)[1] == '\n') {
		*p += 2;
		*n = 0;
		return room;
	}
	v = pchat_pool_parse_id(p, end, '\n');
	if(v == 0)
		return 0;
	*n = v > PCHAT_POOL_COUNT_MAX ? PCHAT_POOL_COUNT_MAX : (int)v;
	return room;
}

/* Every line of a list checked before any of it is taken: 0 when bad. */
static int pchat_pool_lines_ok(const char *p, const char *end, int zero_ok)
{
	int n;

	while(p < end)
		if(pchat_pool_parse_line(&p, end, zero_ok, &n) == 0)
			return 0;
	return 1;
}

/* Takes a checked list of lines for slot. */
static void pchat_pool_lines_take(const char *p, const char *end, int slot)
{
	unsigned long long room;
	int n;

	while(p < end) {
		room = pchat_pool_parse_line(&p, end, 1, &n);
		if(n == 0) /* nobody there: nor their names (sent too) */
			pchat_pool_names_set(room, slot, 0, 0, NULL, 0);
		if(pchat_pool_room_set(room, slot, n) < 0)
			LM_ERR("the pool table is full (pool_max_rooms): room %llu of "
				   "a node left out\n",
					room);
	}
}

static int pchat_pool_starts(const char **p, const char *end, const char *w)
{
	int n = strlen(w);

	if(end - *p < n || memcmp(*p, w, n) != 0)
		return 0;
	*p += n;
	return 1;
}

/* ROOMS: the sender's whole list, or a batch of it. */
static int pchat_pool_rx_rooms(
		const char *p, const char *end, int slot, dmq_node_t *node)
{
	int reset, hello, last;

	if(pchat_pool_starts(&p, end, "RESET "))
		reset = 1;
	else if(pchat_pool_starts(&p, end, "ADD "))
		reset = 0;
	else
		return 400;
	if(pchat_pool_starts(&p, end, "HELLO "))
		hello = 1;
	else if(pchat_pool_starts(&p, end, "- "))
		hello = 0;
	else
		return 400;
	if(pchat_pool_starts(&p, end, "END\n"))
		last = 1;
	else if(pchat_pool_starts(&p, end, "MORE\n"))
		last = 0;
	else
		return 400;
	if(!pchat_pool_lines_ok(p, end, 0))
		return 400;
	if(reset) { /* its names follow the list */
		pchat_pool_slot_stale(slot, 0);
		pchat_pool_names_clear_slot(slot);
	}
	pchat_pool_lines_take(p, end, slot);
	if(last)
		pchat_pool_slot_stale(slot, 1);
	if(hello)
		pchat_pool_send_rooms(node, 0);
	return 200;
}

/* A canonical identity (pchat_identity.h) and \n at *p: advances p, sets
 * u; 0 when bad. */
static int pchat_pool_parse_uri(const char **p, const char *end, str *u)
{
	char canon[PCHAT_IDENTITY_MAX];
	const char *nl = memchr(*p, '\n', end - *p);

	u->s = (char *)*p;
	if(nl == NULL || (u->len = nl - *p) <= 0 || u->len >= PCHAT_IDENTITY_MAX
			|| pchat_identity_canon(u->s, u->len, canon, sizeof(canon), NULL)
					   != u->len
			|| memcmp(canon, u->s, u->len) != 0)
		return 0;
	*p = nl + 1;
	return 1;
}

/* A names line "<roles> <uri>\n" at *p: roles one digit 0-7, the uri a
 * canonical identity after prev (sorted, so each once). Advances p and
 * prev; 0 when bad. */
static int pchat_pool_parse_name(const char **p, const char *end, str *prev)
{
	const char *s = *p;
	str u;
	int c;

	if(end - s < 4 || s[0] < '0' || s[0] > '7' || s[1] != ' ')
		return 0;
	s += 2;
	if(!pchat_pool_parse_uri(&s, end, &u))
		return 0;
	if(prev->s) {
		c = memcmp(prev->s, u.s, prev->len < u.len ? prev->len : u.len);
		if(c > 0 || (c == 0 && prev->len >= u.len))
			return 0;
	}
	*prev = u;
	*p = s;
	return 1;
}

/* A NAMES section at *p: "<room> <n>\n" and n names (n canonical, 0: none
 * any more, at most PCHAT_POOL_NAMES_ROOM_MAX) or "<room> OVER\n".
 * Advances p, sets *lines to the names; the room, 0 when bad. */
static unsigned long long pchat_pool_parse_names(const char **p,
		const char *end, int *n, int *over, const char **lines)
{
	unsigned long long room = pchat_pool_parse_id(p, end, ' '), v = 0;
	str prev = STR_NULL;
	int i;

	if(room == 0)
		return 0;
	*over = pchat_pool_starts(p, end, "OVER\n");
	if(!*over && !pchat_pool_starts(p, end, "0\n")
			&& ((v = pchat_pool_parse_id(p, end, '\n')) == 0
					|| v > PCHAT_POOL_NAMES_ROOM_MAX))
		return 0;
	*n = (int)v;
	*lines = *p;
	for(i = 0; i < *n; i++)
		if(!pchat_pool_parse_name(p, end, &prev))
			return 0;
	return room;
}

/* NAMES: the sender's names of some rooms, each replacing what it had
 * there; all checked before any is taken. Rooms it has no count for here
 * are left out (none here, or the table was full: the digest tells). */
static int pchat_pool_rx_names(const char *p, const char *end, int slot)
{
	const char *q = p, *lines = NULL;
	unsigned long long room;
	int n, over;

	if(p == end)
		return 400;
	while(q < end)
		if(pchat_pool_parse_names(&q, end, &n, &over, &lines) == 0)
			return 400;
	while(p < end) {
		room = pchat_pool_parse_names(&p, end, &n, &over, &lines);
		if((n > 0 || over) && !((pchat_pool_room_mask(room) >> slot) & 1))
			continue;
		if(pchat_pool_names_set(room, slot, over, n, lines, p - lines) < 0)
			LM_ERR("pool_roster_max names of other nodes held: room %llu "
				   "of a node kept without its names\n",
					room);
	}
	return 200;
}

/* COUNT: some of the sender's rooms. */
static int pchat_pool_rx_count(const char *p, const char *end, int slot)
{
	if(p == end || !pchat_pool_lines_ok(p, end, 1))
		return 400;
	pchat_pool_lines_take(p, end, slot);
	return 200;
}

/* Queues an envelope and delivers it: here when this process is a SIP
 * reader (behind what an earlier dmq worker queued, so a node's copies keep
 * their order), else a doorbell wakes a reader; 503 when the inbox is
 * full. */
static int pchat_pool_inbox_push(
		unsigned long long room, long long seq, const char *s, int len)
{
	pchat_pool_copy_t *it;
	str body = {(char *)s, len};

	it = pchat_pool_copy_new((long long)room, seq, &body);
	if(it == NULL)
		return 503;
	lock_get(&_pp->lock);
	if(_pp->queued >= _pp_inbox_max) {
		lock_release(&_pp->lock);
		shm_free(it);
		LM_ERR("pool inbox full (pool_inbox_size): a copy for room %llu "
			   "dropped\n", room);
		return 503;
	}
	if(_pp->tail)
		_pp->tail->next = it;
	else
		_pp->head = it;
	_pp->tail = it;
	_pp->queued++;
	lock_release(&_pp->lock);
	if(_pp_sip_worker) {
		pchat_pool_inbox_run();
		return 200;
	}
	counter_inc(_pp_queued);
	pchat_bell_ring(_pp_bell);
	return 200;
}

/* DLV: an envelope (a whole XCCOS document) for a room with participants
 * here. */
static int pchat_pool_rx_dlv(const char *p, const char *end)
{
	unsigned long long room = pchat_pool_parse_id(&p, end, ' ');
	long long seq = room ? pchat_pool_parse_seq(&p, end) : -1;
	int len = end - p;

	/* a copy re-escapes a client's text of at most max_body_size bytes */
	if(room == 0 || seq < 0 || len < 16 || len > pchat_max_body + pchat_max_reply
			|| memchr(p, '\0', len) != NULL
			|| (memcmp(p, "<?xml", 5) != 0 && memcmp(p, "<xccos", 6) != 0))
		return 400;
	if(!((pchat_pool_room_mask(room) >> PCHAT_POOL_LOCAL) & 1))
		return 404; /* nobody here (any more): the sender will hear 0 */
	counter_inc(_pp_received);
	return pchat_pool_inbox_push(room, seq, p, len);
}

/* What a heartbeat's digest covers: a slot's rooms, counts and names. */
static unsigned long long pchat_pool_digest(int slot)
{
	return pchat_pool_slot_digest(slot) + pchat_pool_names_digest(slot);
}

/* 16 lower-case hex digits and end_ch at *p: advances p; -1 when bad. */
static int pchat_pool_parse_hex(
		const char **p, const char *end, char end_ch, unsigned long long *d)
{
	const char *s = *p;
	int i;

	if(end - s < 17 || s[16] != end_ch)
		return -1;
	for(i = 0, *d = 0; i < 16; i++) {
		if(s[i] >= '0' && s[i] <= '9')
			*d = (*d << 4) | (s[i] - '0');
		else if(s[i] >= 'a' && s[i] <= 'f')
			*d = (*d << 4) | (s[i] - 'a' + 10);
		else
			return -1;
	}
	*p = s + 17;
	return 0;
}

/* A digest: 16 lower-case hex digits and \n, the end; -1 when bad. */
static int pchat_pool_parse_digest(
		const char **p, const char *end, unsigned long long *d)
{
	if(end - *p != 17)
		return -1;
	return pchat_pool_parse_hex(p, end, '\n', d);
}

/* HELD: the sender held the part of a user's last session in a room (see
 * the list at the top). */
static int pchat_pool_rx_held(const char *p, const char *end)
{
	unsigned long long room = pchat_pool_parse_id(&p, end, ' '), token, mine;
	str user = STR_NULL, notice;

	if(room == 0 || pchat_pool_parse_hex(&p, end, ' ', &token) < 0
			|| !pchat_pool_parse_uri(&p, end, &user) || p != end)
		return 400;
	if(pchat_pool_held_take(room, &user, &mine, &notice, pchat_pool_now_ms())
			< 0)
		return 200; /* not held here: this node's part is its own */
	if(mine < token && !_pp_roster.user_present(room, &user, 0)
			&& !pchat_pool_user_elsewhere((long long)room, &user)) {
		LM_INFO("room %llu: %.*s left two nodes at once: its part is sent\n",
				room, user.len, user.s);
		pchat_pool_fanout_remote((long long)room, &notice, 0);
		pchat_pool_inbox_push(room, 0, notice.s, notice.len);
	}
	shm_free(notice.s);
	return 200;
}

/* BEAT: the sender is alive, in the state it names; with a digest, this
 * node's view of its rooms is checked (see the list at the top). */
static int pchat_pool_rx_beat(
		const char *p, const char *end, int slot, dmq_node_t *node, str *key)
{
	unsigned long long digest;
	int state, with_digest = 0;

	if(pchat_pool_starts(&p, end, "ACTIVE"))
		state = PCHAT_POOL_ACTIVE;
	else if(pchat_pool_starts(&p, end, "DRAIN"))
		state = PCHAT_POOL_DRAIN;
	else
		return 400;
	if(pchat_pool_starts(&p, end, " ")) {
		if(pchat_pool_parse_digest(&p, end, &digest) < 0)
			return 400;
		with_digest = 1;
	} else if(!pchat_pool_starts(&p, end, "\n") || p != end) {
		return 400;
	}
	pchat_pool_beat_heard(slot, state);
	if(with_digest
			&& pchat_pool_beat_digest(slot,
					digest == pchat_pool_digest(slot))) {
		LM_NOTICE("pool node %.*s: its rooms here differ from its own (a "
				  "message lost?): its list is asked for\n",
				key->len, key->s);
		pchat_pool_send2("PCHAT1 SYNC\n", NULL, node);
		counter_inc(_pp_syncs);
	}
	return 200;
}

/* Any message of a known node: it is alive. Back from down, it gets this
 * node's list and is asked for its own, as when a node joins. */
static void pchat_pool_heard(dmq_node_t *node, int slot, str *key)
{
	if(pchat_pool_beat_heard(slot, -1) == 0)
		return;
	LM_NOTICE("pool node %.*s is up again: its rooms are asked for\n",
			key->len, key->s);
	pchat_pool_send_rooms(node, 1);
}

static int pchat_pool_rx(
		struct sip_msg *msg, dmq_node_t *node, int slot, str *key)
{
	const char *p = get_body(msg), *end;

	if(p == NULL)
		return 400;
	end = msg->buf + msg->len;
	if(end - p > pchat_max_body + pchat_max_reply + PCHAT_POOL_BATCH)
		return 400;
	if(!pchat_pool_starts(&p, end, "PCHAT1 "))
		return 400;
	if(pchat_pool_starts(&p, end, "DLV "))
		return pchat_pool_rx_dlv(p, end);
	if(pchat_pool_starts(&p, end, "ROOMS "))
		return pchat_pool_rx_rooms(p, end, slot, node);
	if(pchat_pool_starts(&p, end, "COUNT\n"))
		return pchat_pool_rx_count(p, end, slot);
	if(pchat_pool_starts(&p, end, "NAMES\n"))
		return pchat_pool_rx_names(p, end, slot);
	if(pchat_pool_starts(&p, end, "HELD "))
		return pchat_pool_rx_held(p, end);
	if(pchat_pool_starts(&p, end, "BEAT "))
		return pchat_pool_rx_beat(p, end, slot, node, key);
	if(pchat_pool_starts(&p, end, "SYNC\n")) {
		if(p != end)
			return 400;
		pchat_pool_send_rooms(node, 0);
		return 200;
	}
	return 400;
}

/* A node's URI without dmq's ";status=..." (part of its orig_uri, which
 * changes with the status): the key of its slot and what pchat.pool shows.
 * dmq finds a node by host, port and transport, so this URI finds it too. */
static str pchat_pool_node_key(str *orig, char *buf, int size)
{
	static str status = str_init(";status=");
	str key = {buf, 0};
	const char *st, *rest, *end = orig->s + orig->len;

	st = orig->len < size ? str_search(orig, &status) : NULL;
	if(st == NULL)
		return *orig;
	rest = memchr(st + 1, ';', end - st - 1);
	memcpy(buf, orig->s, st - orig->s);
	key.len = st - orig->s;
	if(rest != NULL) {
		memcpy(buf + key.len, rest, end - rest);
		key.len += end - rest;
	}
	return key;
}

/* The peer callback (a dmq worker): who sent it, then what. */
static int pchat_pool_dmq_cb(
		struct sip_msg *msg, peer_reponse_t *resp, dmq_node_t *node)
{
	int code, slot = -1;
	char kbuf[PCHAT_POOL_NODE_URI_MAX];
	str key = STR_NULL;

	if(node != NULL)
		key = pchat_pool_node_key(&node->orig_uri, kbuf, sizeof(kbuf));
	if(node == NULL || node->local
			|| !ip_addr_cmp(&msg->rcv.src_ip, &node->ip_address)) {
		LM_WARN("pool message from %s refused: not a known pool node%s\n",
				ip_addr2a(&msg->rcv.src_ip),
				node ? " (its address differs from the node's)" : "");
		code = 403;
	} else if((slot = pchat_pool_node_slot(&key)) < 0) {
		LM_ERR("pool node %.*s refused: no free slot (%d nodes at most)\n",
				node->orig_uri.len, node->orig_uri.s, PCHAT_POOL_NODES_MAX);
		code = 403;
	} else {
		pchat_pool_heard(node, slot, &key);
		code = pchat_pool_rx(msg, node, slot, &key);
		if(code == 400)
			LM_WARN("malformed pool message from %.*s refused\n",
					node->orig_uri.len, node->orig_uri.s);
		else if(code == 404)
			LM_INFO("pool copy from %.*s for a room without participants "
					"here refused\n",
					node->orig_uri.len, node->orig_uri.s);
	}
	if(code != 200)
		counter_inc(_pp_refused);
	resp->resp_code = code;
	resp->reason = code == 200   ? _pp_200
				   : code == 400 ? _pp_400
				   : code == 403 ? _pp_403
				   : code == 404 ? _pp_404
								 : _pp_503;
	return 0;
}

/* dmq's init callback: this node joined the pool (start, or back after
 * losing every node): its list to all, and theirs asked for. */
static int pchat_pool_dmq_init(void)
{
	pchat_pool_send_rooms(NULL, 1);
	return 0;
}

/* --- the reader's side ----------------------------------------------- */

void pchat_pool_inbox_run(void)
{
	pchat_pool_copy_t *it, *next;

	if(_pp == NULL)
		return;
	lock_get(&_pp->run_lock);
	lock_get(&_pp->lock);
	it = _pp->head;
	_pp->head = _pp->tail = NULL;
	_pp->queued = 0;
	lock_release(&_pp->lock);
	for(; it; it = next) {
		next = it->next;
		if(it->seq > 0) {
			pchat_pool_order_put(it);
			continue;
		}
		pchat_fanout_room(it->room_id, &it->body, 0);
		shm_free(it);
	}
	pchat_pool_order_expire();
	lock_release(&_pp->run_lock);
}

/* A node silent past pool_dead_ms: no more copies to it. */
static void pchat_pool_node_down(int slot, long long silent_ms)
{
	char ubuf[PCHAT_POOL_NODE_URI_MAX];
	str uri = STR_NULL;
	int rooms = pchat_pool_rooms_with(1u << slot);

	pchat_pool_clear_slot(slot);
	pchat_pool_names_clear_slot(slot);
	pchat_pool_node_uri(slot, ubuf, sizeof(ubuf), &uri);
	LM_WARN("pool node %.*s is down (silent for %lld ms): its %d rooms "
			"dropped\n",
			uri.len, uri.s ? uri.s : "", silent_ms, rooms);
}

/* The dmq node of a slot (NULL: free, or unknown to dmq). */
static dmq_node_t *pchat_pool_slot_node(int slot)
{
	char ubuf[PCHAT_POOL_NODE_URI_MAX];
	str uri;

	if(pchat_pool_node_uri(slot, ubuf, sizeof(ubuf), &uri) < 0)
		return NULL;
	return _pp_dmq.find_dmq_node_uri(&uri);
}

/* The heartbeat, with the digest of this node's rooms, under the
 * announcements' lock: every count sent before it is in the digest. To
 * each node heard and not held down (a dead one would fail each one, a
 * few core error lines each, until dmq's own ping gives up on it a
 * minute later); one heartbeat in PCHAT_POOL_PROBE_BEATS goes to every
 * node dmq lists: a node held down or forgotten that is back (a cut
 * between two nodes that hold each other down), one not heard yet. */
static void pchat_pool_beat(void)
{
	char buf[64];
	str body = {buf, 0};
	dmq_node_t *node;
	int slot;

	lock_get(&_pp->announce);
	body.len = snprintf(buf, sizeof(buf), "PCHAT1 BEAT %s %016llx\n",
			pchat_pool_state_get() == PCHAT_POOL_DRAIN ? "DRAIN" : "ACTIVE",
			pchat_pool_digest(PCHAT_POOL_LOCAL));
	if(pchat_pool_beat_probe_due()) {
		_pp_dmq.bcast_message(
				_pp_peer, &body, NULL, &_pp_beat_cback, 1, &_pp_ctype);
	} else {
		for(slot = 0; slot < PCHAT_POOL_NODES_MAX; slot++)
			if(!pchat_pool_beat_down(slot)
					&& (node = pchat_pool_slot_node(slot)) != NULL)
				_pp_dmq.send_message(_pp_peer, &body, node, &_pp_beat_cback,
						1, &_pp_ctype);
	}
	lock_release(&_pp->announce);
}

/* A node down for pool_forget_ms: its slot is free for another. */
static void pchat_pool_node_forgotten(int slot)
{
	char ubuf[PCHAT_POOL_NODE_URI_MAX];
	str uri = STR_NULL;

	pchat_pool_node_uri(slot, ubuf, sizeof(ubuf), &uri);
	pchat_pool_node_forget(slot);
	pchat_pool_names_clear_slot(slot);
	LM_NOTICE("pool node %.*s is forgotten (down past pool_forget_ms): its "
			  "slot is free\n",
			uri.len, uri.s ? uri.s : "");
}

/* Core timer (the slow timer process, as dmq's ping), every 100 ms: the
 * bound of failure detection is pool_dead_ms plus this. Copies held past
 * their time need a reader (the timer rings the pool's second bell); the
 * counts that changed; the heartbeat; silent nodes, long-dead ones. */
static ticks_t pchat_pool_tick(ticks_t ticks, struct timer_ln *tl, void *param)
{
	long long silent_ms;
	int slot;

	if(pchat_pool_order_due())
		pchat_bell_ring(_pp_bell + 1);
	pchat_pool_send_marked();
	if(pchat_pool_beat_due())
		pchat_pool_beat();
	for(slot = 0; (slot = pchat_pool_beat_next_dead(slot, &silent_ms)) >= 0;
			slot++)
		pchat_pool_node_down(slot, silent_ms);
	for(slot = 0; (slot = pchat_pool_beat_next_forgotten(slot)) >= 0; slot++)
		pchat_pool_node_forgotten(slot);
	return (ticks_t)(-1); /* again in 100 ms */
}

/* register_timer() counts in seconds: a ticks timer for 100 ms. */
static int pchat_pool_timer(void)
{
	struct timer_ln *tl = timer_alloc();

	if(tl == NULL) {
		LM_ERR("cannot allocate the pool's timer\n");
		return -1;
	}
	timer_init(tl, pchat_pool_tick, NULL, 0);
	return timer_add(tl, MS_TO_TICKS(100));
}

static const char *pchat_pool_state_name(pchat_pool_peer_t *p)
{
	if(p->down)
		return "down";
	return p->state == PCHAT_POOL_DRAIN ? "draining" : "up";
}

int pchat_pool_node_info(int i, pchat_pool_node_info_t *out)
{
	pchat_pool_peer_t peer;
	int slot = i == 0 ? PCHAT_POOL_LOCAL : i - 1;

	if(i < 0 || i > PCHAT_POOL_NODES_MAX)
		return -1;
	memset(out, 0, sizeof(*out));
	out->local = i == 0;
	if(out->local) {
		/* without a pool: "", not a null the JSON-RPC would show */
		out->uri.s = _pp_self.s ? _pp_self.s : "";
		out->uri.len = _pp_self.len;
	} else if(_pp == NULL
			  || pchat_pool_node_uri(slot, out->buf, sizeof(out->buf), &out->uri)
						 < 0) {
		return 1;
	}
	pchat_pool_beat_peer(slot, &peer);
	if(!peer.known)
		return 1;
	out->state = pchat_pool_state_name(&peer);
	out->rooms = _pp ? pchat_pool_rooms_with(1u << slot) : 0;
	out->heartbeat_age_ms = peer.age_ms;
	return 0;
}

/* --- start ----------------------------------------------------------- */

/* dmq must hand every message to one worker: with several, two messages
 * of one sender may be handled at once and a room's copies overtake. */
static int pchat_pool_check_dmq(void)
{
	struct sr_module *m = find_module_by_name("dmq");
	modparam_t type;
	int *workers;
	str *self;

	if(m == NULL) {
		LM_ERR("pool_dmq needs the dmq module: load dmq.so before pchat.so\n");
		return -1;
	}
	self = find_param_export(m, "server_address", PARAM_STR, &type);
	if(self != NULL)
		_pp_self = *self;
	workers = find_param_export(m, "num_workers", PARAM_INT, &type);
	if(workers == NULL || *workers != 1) {
		LM_ERR("pool_dmq needs modparam(\"dmq\", \"num_workers\", 1): a "
			   "room's copies must be handled in the order they arrive\n");
		return -1;
	}
	return dmq_load_api(&_pp_dmq);
}

static int pchat_pool_counters(void)
{
	if(counter_register(&_pp_sent, "pchat", "pool_copies_sent", 0, 0, 0,
			   "copies sent to other nodes of the pool", 0)
					< 0
			|| counter_register(&_pp_received, "pchat", "pool_copies_received",
					   0, 0, 0, "copies from other nodes of the pool", 0)
					   < 0
			|| counter_register(&_pp_refused, "pchat", "pool_refused", 0, 0,
					   0, "pool messages refused (unknown node, malformed)",
					   0)
					   < 0
			|| counter_register(&_pp_counts, "pchat", "pool_counts_sent", 0,
					   0, 0, "messages of room counts sent (COUNT, ROOMS)", 0)
					   < 0
			|| counter_register(&_pp_syncs, "pchat", "pool_resyncs", 0, 0, 0,
					   "full lists asked of nodes whose digest differed", 0)
					   < 0
			|| counter_register(&_pp_names, "pchat", "pool_names_sent", 0, 0,
					   0, "messages of small rooms' names sent (NAMES)", 0)
					   < 0
			|| counter_register(&_pp_queued, "pchat", "pool_copies_queued", 0,
					   0, 0,
					   "copies a dmq worker queued for a reader (doorbell)", 0)
					   < 0) {
		LM_ERR("cannot register the pool's counters\n");
		return -1;
	}
	return 0;
}

static int pchat_pool_register(void)
{
	dmq_peer_t peer;

	memset(&peer, 0, sizeof(peer));
	peer.peer_id.s = "pchat";
	peer.peer_id.len = 5;
	peer.description.s = "pchat rooms and copies";
	peer.description.len = strlen(peer.description.s);
	peer.callback = pchat_pool_dmq_cb;
	peer.init_callback = pchat_pool_dmq_init;
	_pp_peer = _pp_dmq.register_dmq_peer(&peer);
	if(_pp_peer == NULL) {
		LM_ERR("cannot register the dmq peer \"pchat\"\n");
		return -1;
	}
	return 0;
}

void pchat_pool_child_init(int rank)
{
	_pp_sip_worker = is_sip_worker(rank);
}

int pchat_pool_mod_init(int max_rooms, int inbox_size, int bell, int max_names)
{
	if(pchat_pool_check_dmq() < 0 || pchat_pool_table_init(max_rooms) < 0
			|| pchat_pool_names_init(max_rooms, max_names) < 0
			|| pchat_pool_order_init(max_rooms) < 0
			|| pchat_pool_counters() < 0 || pchat_pool_register() < 0)
		return -1;
	if(pchat_pool_timer() < 0) {
		LM_ERR("cannot register the pool's timer\n");
		return -1;
	}
	_pp = shm_malloc(sizeof(*_pp));
	if(_pp == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_pp, 0, sizeof(*_pp));
	if(lock_init(&_pp->lock) == NULL || lock_init(&_pp->run_lock) == NULL
			|| lock_init(&_pp->announce) == NULL)
		return -1;
	_pp_inbox_max = inbox_size;
	_pp_bell = bell;
	/* every roster change passes through the pool from now on */
	_pp_roster = _pchat_roster;
	_pchat_roster.join = pchat_pool_join;
	_pchat_roster.part = pchat_pool_part;
	_pchat_roster.part_all = pchat_pool_part_all;
	return 0;
}
