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

#include "pchat_fanout.h"
#include "pchat_mod.h"
#include "pchat_send.h"
#include "pchat_session.h"

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

int pchat_fanout_room(long long room_id, str *body, unsigned int except_sess)
{
	pchat_roster_snapshot_t snap;
	pchat_session_ref_t ref;
	pchat_session_t *s;
	pchat_dlv_tail_t tail;
	int i, sent = 0, ext = pchat_fanout_is_msgupd(body);

	if(_pchat_roster.snapshot((unsigned long long)room_id, &snap) < 0) {
		LM_ERR("room %lld: cannot copy the roster\n", room_id);
		return -1;
	}
	if(pchat_dlv_tail_build(&tail, body) < 0) {
		_pchat_roster.free_snapshot(&snap);
		return -1;
	}
	/* the copies for one connection leave in one write (pchat_deliver.h) */
	pchat_dlv_batch_begin();
	for(i = 0; i < snap.n; i++) {
		if(snap.members[i].sess_id == except_sess)
			continue;
		ref.hid = snap.members[i].sess_hid;
		ref.id = snap.members[i].sess_id;
		s = pchat_fanout_get(&ref);
		if(s == NULL)
			continue; /* ended meanwhile; its cleanup parts it */
		if(ext && !s->ext_msgupd) {
			pchat_session_release(s);
			continue; /* a client that does not know the extension */
		}
		if(pchat_send_info_copy(s, body, &tail) == 0)
			sent++;
		pchat_session_release(s);
	}
	pchat_dlv_batch_end();
	pchat_dlv_tail_free(&tail);
	_pchat_roster.free_snapshot(&snap);
	return sent;
}
