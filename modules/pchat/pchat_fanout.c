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
/* Delivery layer: one envelope to every online member of a room (from
 * the roster), a connection's copies coalesced. Knows no command and no
 * store. */

#include <string.h>

#include "core/dprint.h"

#include "pchat_db.h"
#include "pchat_fanout.h"
#include "pchat_mod.h"
#include "pchat_send.h"
#include "pchat_session.h"
#include "pchat_metrics.h"

/* A member's session, locked. While this process holds copies not yet
 * written, it never waits for a lock: the lock's holder may be waiting
 * for one of those copies (pchat_deliver_wait_hold); they go first. */
static pchat_session_t *pchat_fanout_get(pchat_session_ref_t *ref)
{
	pchat_session_t *s;
	int busy;

	if(!pchat_dlv_batch_holding())
		return pchat_session_get(ref);
	s = pchat_session_get_nowait(ref, &busy);
	if(!busy)
		return s;
	pchat_dlv_batch_flush();
	return pchat_session_get(ref);
}

/* Is it an ntc:msgupd envelope? pchat writes that notice right after
 * the envelope's start tag. */
static int pchat_fanout_is_msgupd(str *body)
{
	static const char mark[] = "<ntc id=\"ntc:" PCHAT_MSGUPD_NOTICE "\"";
	const char *gt = memchr(body->s, '>', body->len);
	int rest = gt ? body->len - (int)(gt + 1 - body->s) : 0;

	return rest >= (int)sizeof(mark) - 1
		   && memcmp(gt + 1, mark, sizeof(mark) - 1) == 0;
}

/* Is it a story or alert in its two forms (pchat_cmd_room.c writes the
 * extension's flags right after the grpchat id, then the plain copy in a
 * second envelope)? Then ext and plain get the two envelopes. */
static int pchat_fanout_forms(str *body, str *ext, str *plain)
{
	static const char mark[] = "<grpchat id=\"grpchat\" ";
	static const char end[] = "</xccos>";
	const char *gt = memchr(body->s, '>', body->len);
	const char *p, *last = body->s + body->len;
	int rest = gt ? (int)(last - (gt + 1)) : 0;

	if(rest < (int)sizeof(mark) + 6 || memcmp(gt + 1, mark, sizeof(mark) - 1))
		return 0;
	p = gt + sizeof(mark);
	if(memcmp(p, "story=", 6) != 0 && memcmp(p, "alert=", 6) != 0)
		return 0;
	/* user text is escaped: the first end tag is the first envelope's */
	for(; p + sizeof(end) - 1 <= last; p++)
		if(*p == '<' && memcmp(p, end, sizeof(end) - 1) == 0)
			break;
	if(p + sizeof(end) - 1 >= last)
		return 0;
	ext->s = body->s;
	ext->len = (int)(p + sizeof(end) - 1 - body->s);
	plain->s = ext->s + ext->len;
	plain->len = body->len - ext->len;
	return 1;
}

/* Members' sessions are cold in the cache when a post arrives, and each
 * is a chain of dependent loads (slot, session, dialog and INFO head):
 * asked for a few members ahead, their misses overlap instead of adding
 * up. Distances in members, one per stage. */
#define PCHAT_PF_SLOT 6
#define PCHAT_PF_SESS 4
#define PCHAT_PF_NEXT 2

static void pchat_fanout_prefetch(pchat_roster_refs_t *m, int i)
{
	pchat_session_ref_t r;

	if(i + PCHAT_PF_SLOT < m->n) {
		r.hid = m->refs[i + PCHAT_PF_SLOT].sess_hid;
		r.id = m->refs[i + PCHAT_PF_SLOT].sess_id;
		pchat_session_prefetch_slot(&r);
	}
	if(i + PCHAT_PF_SESS < m->n) {
		r.hid = m->refs[i + PCHAT_PF_SESS].sess_hid;
		r.id = m->refs[i + PCHAT_PF_SESS].sess_id;
		pchat_session_prefetch(&r, 0);
	}
	if(i + PCHAT_PF_NEXT < m->n) {
		r.hid = m->refs[i + PCHAT_PF_NEXT].sess_hid;
		r.id = m->refs[i + PCHAT_PF_NEXT].sess_id;
		pchat_session_prefetch(&r, 1);
	}
}

int pchat_fanout_room(long long room_id, str *body, unsigned int except_sess)
{
	pchat_roster_refs_t m;
	pchat_session_ref_t ref;
	pchat_session_t *s;
	pchat_dlv_tail_t tail, tail2;
	str ext_body, plain_body;
	int i, sent = 0, ext = pchat_fanout_is_msgupd(body);
	int forms = pchat_fanout_forms(body, &ext_body, &plain_body);
	unsigned long long t0 = pchat_monotonic_us();

	if(_pchat_roster.snapshot_refs((unsigned long long)room_id, &m) < 0) {
		LM_ERR("room %lld: cannot copy the roster\n", room_id);
		return -1;
	}
	memset(&tail2, 0, sizeof(tail2));
	if(pchat_dlv_tail_build(&tail, forms ? &ext_body : body) < 0
			|| (forms && pchat_dlv_tail_build(&tail2, &plain_body) < 0)) {
		pchat_dlv_tail_free(&tail);
		_pchat_roster.free_refs(&m);
		return -1;
	}
	if(forms)
		body = &ext_body;
	/* the copies for one connection leave in one write (pchat_deliver.h) */
	pchat_dlv_batch_begin();
	for(i = 0; i < m.n; i++) {
		pchat_fanout_prefetch(&m, i);
		if(m.refs[i].sess_id == except_sess)
			continue;
		ref.hid = m.refs[i].sess_hid;
		ref.id = m.refs[i].sess_id;
		s = pchat_fanout_get(&ref);
		if(s == NULL)
			continue; /* ended meanwhile; its cleanup parts it */
		if(ext && !s->ext_msgupd) {
			pchat_session_release(s);
			continue; /* a client that does not know the extension */
		}
		if(forms && !s->ext_story) /* the plain form, as text */
			sent += pchat_send_info_copy(s, &plain_body, &tail2) == 0;
		else if(pchat_send_info_copy(s, body, &tail) == 0)
			sent++;
		pchat_session_release(s);
	}
	pchat_dlv_batch_end();
	pchat_dlv_tail_free(&tail);
	pchat_dlv_tail_free(&tail2);
	_pchat_roster.free_refs(&m);
	pchat_hist_observe(PCHAT_H_FANOUT, pchat_monotonic_us() - t0);
	return sent;
}
