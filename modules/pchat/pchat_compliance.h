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
/* Store layer: compliance capture (issue 15): the event and participant
 * rows written with the action they record, this node's name and its
 * session id. The adapter that exports them lives elsewhere. */

#ifndef _PCHAT_COMPLIANCE_H_
#define _PCHAT_COMPLIANCE_H_

#include "core/str.h"

#include "pchat_db.h"

/* Before the fork: this node's name (dmq's server_address with a pool,
 * else host:port of the first listening socket) and a random session id
 * for this start of the node. */
int pchat_compliance_mod_init(void);

/* The name written in the node columns of the compliance, retention and
 * adapter tables (at most 63 bytes, never NULL). */
const char *pchat_node_name(void);
/* Random per node start (pchat_compliance_participant.session_id). */
const char *pchat_compliance_session(void);

/* Wall clock, ms since 1970 (the store layer's own: no command needed). */
long long pchat_compliance_now_ms(void);

/* Once per node start: closes the participant rows an earlier run of this
 * node left open (it died or stopped with users in rooms). */
pchat_store_rc_t pchat_compliance_node_start(void);

/* One event. room_id 0, seq 0 and NULL strings are stored as NULL; user
 * is the canonical sip: URI or rpc:<caller>. */
typedef struct pchat_cevent
{
	const char *type; /* JOIN, PART, CHAT, BACKCHAT, SEARCH, REPLACE, ... */
	long long ts_ms;
	long long room_id;
	const char *room_uri;
	const char *room_name;
	long long seq;
	const str *user;
	const char *content;
	const char *detail; /* JSON */
} pchat_cevent_t;
pchat_store_rc_t pchat_compliance_event(const pchat_cevent_t *e);

/* A session joins (a participant row and a JOIN event) or parts (the
 * newest open row of the user in the room on this node is closed and a
 * PART written). The caller holds the transaction when it wants one. */
pchat_store_rc_t pchat_compliance_join(const pchat_cevent_t *e);
pchat_store_rc_t pchat_compliance_part(const pchat_cevent_t *e);

/* A JSON string literal of s (quotes included) appended to buf. Returns
 * the length written, or -1 when it does not fit. */
int pchat_json_quote(char *buf, int size, const char *s);

#endif
