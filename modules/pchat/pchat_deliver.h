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
/* Delivery of XCCOS INFOs over TCP without a tm transaction.
 *
 * Over a reliable transport there is nothing to retransmit, and a tm cell
 * per copy (about 9 KB of shm held for seconds, a reply-matching hash walk)
 * was the largest part of pchat's own cost per delivery. Instead:
 *  - the part of an INFO shared by every copy of a post (CSeq method,
 *    Content-Type, Content-Length, body) is serialised once per post;
 *  - the part fixed for a dialog (request line, Via up to the branch,
 *    Route, From, To, Call-ID) is serialised once per session and kept
 *    with it;
 *  - a copy is those two pieces around a branch and a CSeq, written with
 *    the core's send functions to the client's connection by id;
 *  - answers are recognised in the module's response_f by the branch
 *    prefix, which carries the session and the CSeq; a session keeps only
 *    a count of unanswered copies and a deadline.
 * The failure signals tm gave are kept: a non-2xx answer, a connection
 * that cannot be written, silence past delivery_timeout, and more than
 * max_pending_deliveries unanswered copies (a client that cannot keep up
 * is shed alone) all end the session. UDP sessions keep using tm.
 * A reply is believed only from the session's peer (pchat_session_from_peer)
 * and, for direct INFOs, with the session's secret in its branch; others
 * are dropped and counted (counter pchat:forged_replies). */

#ifndef _PCHAT_DELIVER_H_
#define _PCHAT_DELIVER_H_

#include "core/parser/msg_parser.h"
#include "core/str.h"

#include "pchat_session.h"

int pchat_deliver_init(void); /* mod_init: registers the counter */

/* Counts and logs a reply dropped as forged. */
void pchat_deliver_forged(struct sip_msg *msg, const char *why);
unsigned long pchat_deliver_forged_count(void);

/* The per-post part of every copy: built once, sent to many. */
typedef struct pchat_dlv_tail
{
	char *buf; /* pkg */
	int len;
} pchat_dlv_tail_t;

int pchat_dlv_tail_build(pchat_dlv_tail_t *t, str *body);
void pchat_dlv_tail_free(pchat_dlv_tail_t *t);

/* True when this session's INFOs can go without tm (TCP or TLS, loose
 * routing; behind a front-end, a Record-Route with an IP address). */
int pchat_deliver_direct(pchat_session_t *s);

/* Sends one copy to a session whose slot the caller holds locked.
 * Returns 0 when written; -1 when the session could not take it (it is
 * then marked ended). */
int pchat_deliver_info(pchat_session_t *s, pchat_dlv_tail_t *t);

/* Drops the serialised dialog part (after a target refresh, and when the
 * session is freed). */
void pchat_deliver_forget(pchat_session_t *s);

/* response_f: consumes answers to our direct INFOs (returns 0), drops
 * forged answers to tm's requests of a session (returns 0), lets every other
 * reply through (returns 1). */
int pchat_deliver_response(struct sip_msg *msg);

/* event_route[core:msg-received]: an answer to one of our direct INFOs,
 * read from its raw bytes (pchat_answer_scan) and counted against its
 * session as pchat_deliver_response would, without the core's parse.
 * Returns 1 when taken (the caller drops the message), 0 for anything
 * else, which then takes the core's path. */
int pchat_deliver_take_raw(char *buf, int len, struct receive_info *rcv);

/* For the expiry timer: has this session left a copy unanswered too long? */
int pchat_deliver_overdue(pchat_session_t *s, time_t now);

/* Coalescing (issue 14). Between pchat_dlv_batch_begin() and
 * pchat_dlv_batch_end() (a fan-out), the direct copies that go to the same
 * TCP connection are serialised into one buffer of at most coalesce_bytes
 * and written with one send: a node behind front-ends writes a post's
 * copies to its few front-end connections in a few writes instead of one
 * per member. Per connection the copies keep the order they were made in.
 * Each session with a copy in a buffer carries a hold (this process, this
 * batch); a sender in another process that meets the hold waits until the
 * batch is written (pchat_deliver_wait_hold), so a dialog's CSeqs reach
 * the wire in order. A holder never waits for a session lock while its
 * copies are unwritten (it writes them first: pchat_dlv_batch_flush), and
 * a waiter writes its own first, so no two wait for each other. A write
 * that fails ends the sessions whose copies it carried, at the batch's end.
 * Without a buffer (no memory, more connections than buffers, a copy
 * larger than the bound) a copy is written alone, as before. */
void pchat_dlv_batch_begin(void);
void pchat_dlv_batch_end(void);
void pchat_dlv_batch_flush(void);
int pchat_dlv_batch_holding(void); /* unwritten copies held? */

/* Before sending to a session (slot locked): waits while another
 * process's batch holds a copy for it. */
void pchat_deliver_wait_hold(pchat_session_t *s);

/* Counters pchat:copies (direct copies written) and pchat:copy_writes
 * (the sends that carried them). */
unsigned long pchat_deliver_copies(void);
unsigned long pchat_deliver_copy_writes(void);
/* Counter pchat:answers_raw (answers taken by pchat_deliver_take_raw). */
unsigned long pchat_deliver_answers_raw(void);

#endif
