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
/* The table of live XCCOS sessions (SIP dialogs answered by pchat), in
 * shared memory so that every Kamailio process sees the same sessions.
 *
 * A session is found by Call-ID + both tags + the client's source address:
 * pidgin-sipe seeds its random numbers with the current second, so two
 * clients started together send identical Call-IDs and tags, and only the
 * connection tells them apart. Behind a front-end (via_fe) the connection
 * is the front-end's, shared by many clients and replaced when it
 * reconnects: such a session is bound to the front-end's address and its
 * dialog only, and outlives the front-end's connection. */

/* hex digits of the per-session secret our direct INFOs' branches carry */
#define PCHAT_SECRET_LEN 16

#ifndef _PCHAT_SESSION_H_
#define _PCHAT_SESSION_H_

#include <time.h>

#include "core/ip_addr.h"
#include "core/parser/msg_parser.h"
#include "core/str.h"
#include "modules/tm/dlg.h"

#include "pchat_limit.h"
#include "pchat_uri.h"

typedef struct pchat_session
{
	/* first, together: what a lookup, a fan-out copy and its 200 read
	 * (a fan-out finds its 200 sessions cold in the cache: each line
	 * these span is a miss per delivery) */
	unsigned int hid;  /* hash of Call-ID + remote tag */
	unsigned int id;   /* unique for the life of the server */
	struct pchat_session *next;
	struct pchat_session *prev;
	time_t expires;    /* last refresh + interval (pchat_session_now()) */
	dlg_t *dlg;        /* shm, owned; also the CSeq counter of our requests */
	char *dlv_head;    /* shm: serialised dialog part of our INFOs */
	struct socket_info *sock; /* where the client's requests arrived */
	unsigned short dlv_pre_len; /* up to the Via branch id */
	unsigned short dlv_mid_len; /* from there up to the CSeq number */
	unsigned int dlv_pending;   /* direct INFOs not answered yet */
	int conid;         /* TCP connection id, 0 for UDP; the latest one
	                    * of a front-end */
	unsigned short proto;
	unsigned short src_port;
	unsigned char via_fe; /* record-routed by a front-end (see above) */
	unsigned char limited; /* PCHAT_LIMIT_* counts taken for it */
	char secret[PCHAT_SECRET_LEN]; /* random, hex */
	time_t dlv_deadline; /* by when the oldest of them must be answered
	                      * (pchat_session_now()) */
	/* a copy of ours waits in process dlv_hold_proc's coalescing buffer
	 * until that process's batch dlv_hold_batch is written (see
	 * pchat_deliver.h); 0: none */
	unsigned int dlv_hold_batch;
	int dlv_hold_proc;
	unsigned int sent; /* requests we sent in this dialog */
	struct ip_addr src_ip;
	union sockaddr_union dlv_to; /* via_fe: the front-end's Record-Route */
	/* the rest */
	pchat_uri_t *uri;  /* the configured URI the client invited */
	str user;          /* the client's identity: its From URI (in this block) */
	unsigned int tm_pending;    /* INFOs sent with tm not answered yet */
	unsigned int interval; /* negotiated Session-Expires, seconds */
	time_t created;    /* pchat_session_now() at its start */
	pchat_rate_t info_rate; /* the client's INFOs (max_infos_per_second) */
	unsigned int jobs; /* its commands queued for or in a store worker */
	/* its client declared the author edit/delete extension (INVITE
	 * Supported: pchat-msgupd): it gets ntc:msgupd */
	unsigned char ext_msgupd;
	/* its client declared the story/alert extension (INVITE Supported:
	 * pchat-story): it gets stories and alerts with their flags, others
	 * get them as plain text */
	unsigned char ext_story;
} pchat_session_t;

/* Identification of a session that outlives a lock: a session pointer is
 * only valid while its slot is locked. */
typedef struct pchat_session_ref
{
	unsigned int hid;
	unsigned int id;
} pchat_session_ref_t;

/* Why pchat_session_add() refused a session. */
typedef enum pchat_session_refusal
{
	PCHAT_SESSION_ERROR = 0,
	PCHAT_SESSION_NODE_FULL,
	PCHAT_SESSION_USER_FULL,
	PCHAT_SESSION_CONN_FULL
} pchat_session_refusal_t;

int pchat_session_init(int hash_size);
void pchat_session_destroy(void);

/* The SIP option tag by which a client declares the author edit/delete
 * extension in its INVITE (doc/xccos.md 3.16), and the notice only such
 * sessions receive. */
#define PCHAT_MSGUPD_OPTION_TAG "pchat-msgupd"
#define PCHAT_MSGUPD_NOTICE "msgupd"

/* pchat_session_add()'s flags (1 stays "via a front-end", as it was). */
#define PCHAT_SESSION_VIA_FE 1
#define PCHAT_SESSION_EXT_MSGUPD 2
#define PCHAT_SESSION_EXT_STORY 4

/* The SIP option tag of the story/alert extension (doc/xccos.md 3.19). */
#define PCHAT_STORY_OPTION_TAG "pchat-story"

/* Inserts a new session for the dialog in dlg (ownership passes to the
 * table) if the session bounds allow it. flags: PCHAT_SESSION_*. Returns
 * the session id, 0 on failure with the reason in *why (dlg then stays
 * the caller's). */
unsigned int pchat_session_add(dlg_t *dlg, str *user, pchat_uri_t *uri,
		struct receive_info *rcv, unsigned int interval, int flags,
		pchat_session_refusal_t *why);

/* Did this message (a reply to one of our requests) come from the
 * session's peer: its own TCP/TLS connection, or the source address, port
 * and protocol of a UDP dialog, or (via_fe) its front-end's address? */
int pchat_session_from_peer(pchat_session_t *s, struct receive_info *rcv);

/* Constant-time check of a branch's secret part (len bytes at p). */
int pchat_session_secret_ok(pchat_session_t *s, const char *p, int len);

/* For a reply to a request we sent in a dialog (From tag ours, To tag the
 * client's): 1 when a session of that dialog is its sender's, 0 when no
 * session has that dialog, -1 when the dialog is a session's but the reply
 * came from elsewhere (forged). */
int pchat_session_reply_check(str *callid, str *rtag, str *ltag,
		struct receive_info *rcv);

/* Finds a session and returns it with its slot locked (or NULL, nothing
 * locked). Release with pchat_session_release(). */
pchat_session_t *pchat_session_lookup(str *callid, str *rtag, str *ltag,
		struct receive_info *rcv);
pchat_session_t *pchat_session_get(pchat_session_ref_t *ref);
/* The same without waiting: NULL and *busy set when another process holds
 * the slot (a sender whose coalesced copies are not written yet must not
 * wait for a lock: see pchat_deliver.h). */
pchat_session_t *pchat_session_get_nowait(pchat_session_ref_t *ref, int *busy);
/* Cache hints for a loop over many sessions (a fan-out): the slot and its
 * lock of a session needed soon, then (stage 0) the session itself, then
 * (stage 1) what sending it a copy reads next. No lock taken. */
void pchat_session_prefetch_slot(pchat_session_ref_t *ref);
void pchat_session_prefetch(pchat_session_ref_t *ref, int stage);
/* 1 while the session is in the table, 0 once it has ended (unlinked). */
int pchat_session_alive(unsigned int hid, unsigned int id);
void pchat_session_release(pchat_session_t *s);

/* Unlinks a session found by one of the above (slot still locked) and
 * returns it; the caller frees it with pchat_session_free() after the lock
 * is released. */
pchat_session_t *pchat_session_unlink(pchat_session_t *s);
void pchat_session_free(pchat_session_t *s);

/* Ends a session (slot locked) without BYE - the client is gone or has
 * dropped the dialog: the expiry timer removes it and parts its rooms. */
static inline void pchat_session_mark_gone(pchat_session_t *s)
{
	s->interval = 0;
	s->expires = 0;
}

/* Removes every session whose expiry time has passed and returns them as a
 * list (linked by next) for the caller to end and free. */
pchat_session_t *pchat_session_take_expired(time_t now);

/* Seconds on CLOCK_MONOTONIC, the clock of session expiry and delivery
 * deadlines: a step of the wall clock (NTP, an operator's date -s) must
 * not end every session at once or keep dead ones. Same in every process. */
time_t pchat_session_now(void);

/* Iterates over all sessions, one slot locked at a time. */
typedef int (*pchat_session_walk_f)(pchat_session_t *s, void *param);
int pchat_session_walk(pchat_session_walk_f f, void *param);

unsigned int pchat_session_count(void);

/* Notes that the TCP connection of rcv is gone; safe in tcp_main (takes no
 * session lock). The next pchat_session_end_closed() marks every session
 * that came over it as ended, without BYE, and the expiry timer then
 * removes them and parts their rooms. Returns 1 when noted, 0 for UDP. */
int pchat_session_end_source(struct receive_info *rcv);

/* For the expiry timer: marks the sessions of the connections noted
 * since the last call; returns how many. */
int pchat_session_end_closed(void);

#endif
