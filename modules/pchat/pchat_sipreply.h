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
/* Entry layer (SIP side): stateful replies shared by pchat_uas.c and
 * pchat_provision.c, and answers to requests suspended in tm. */

#ifndef _PCHAT_SIPREPLY_H_
#define _PCHAT_SIPREPLY_H_

#include "core/parser/msg_parser.h"

#include "pchat_pending.h"

/* Reply helpers shared with pchat_provision.c. pchat_reply_hdr adds one
 * header line (no CRLF) to the coming reply; pchat_newtran returns 1 for a
 * new request, 0 when the request is answered already (a retransmission
 * tm absorbed, or a stateless 503 for want of shared memory: see
 * shm_reserve_kb), -1 on error; pchat_reply
 * answers statefully with the lumps added so far and returns 1 (handled)
 * even when the reply could not be sent. */
int pchat_reply_hdr(struct sip_msg *msg, const char *fmt, ...);
int pchat_reply(struct sip_msg *msg, int code, char *reason);
int pchat_newtran(struct sip_msg *msg);

/* A SIP answer decided apart from sending it: to the request in hand, or
 * later, from any process, to a request suspended in tm (a post waiting
 * for the writer, a command run by a store worker). */
typedef struct pchat_answer
{
	int code;
	char reason[64];
	int hlen;
	char hdrs[512]; /* header lines, each with CRLF */
} pchat_answer_t;

void pchat_answer_set(pchat_answer_t *a, int code, const char *reason);
/* Appends one header line (no CRLF); what does not fit is dropped. */
void pchat_answer_hdr(pchat_answer_t *a, const char *fmt, ...);
/* text made a safe quoted-string (at most size - 1 bytes). */
void pchat_warning_text(char *clean, int size, const char *text);
/* Warning: 399 pchat "text", the text made a safe quoted-string. */
void pchat_answer_warning(pchat_answer_t *a, const char *text);
/* 503 with Retry-After (seconds) and, when why is set, a Warning. */
void pchat_answer_busy(pchat_answer_t *a, const char *why, unsigned int retry);
/* Answers msg (returns 1, as pchat_reply). */
int pchat_answer_msg(struct sip_msg *msg, pchat_answer_t *a);
/* Creates the server transaction, or not (pchat_tranless()): as
 * pchat_newtran, 1 to go on, 0 when answered already. */
int pchat_begin(struct sip_msg *msg);
/* An INFO over TCP or TLS is answered without a tm transaction (module
 * parameter info_transactions 0): a reliable transport is never
 * retransmitted to (RFC 3261 17.1.2.1), so tm would only keep state. */
int pchat_tranless(struct sip_msg *msg);
/* Keeps what answering msg later takes: tm's suspended transaction, or
 * for a request without one its reply's head and connection. 0, or -1
 * (nothing kept). */
int pchat_pending_take(struct sip_msg *msg, pchat_pending_t *p);
/* Answers a pending request, from any process; -1 when tm has answered it
 * already (an answer that could not leave is logged here). */
int pchat_answer_pending(pchat_answer_t *a, pchat_pending_t *p);

#endif
