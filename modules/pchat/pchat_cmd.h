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
/* XCCOS command execution: turns one parsed client envelope into the reply
 * envelope the server sends back in the same dialog. */

#ifndef _PCHAT_CMD_H_
#define _PCHAT_CMD_H_

#include "pchat_uri.h"
#include "pchat_xccos.h"

typedef enum pchat_cmd_rc
{
	PCHAT_CMD_OK = 0,          /* out holds the reply envelope */
	PCHAT_CMD_UNAVAILABLE = 1, /* storage down: answer SIP 503 */
	PCHAT_CMD_WOULD_WAIT = 2,  /* needs MySQL under pchat_db_nowait(): run
	                            * it where it may wait (a store worker) */
	PCHAT_CMD_ERROR = -1       /* out of memory */
} pchat_cmd_rc_t;

/* An envelope to send to the online participants of a room once the
 * client's INFO has been answered (posts, join and part notices). */
typedef struct pchat_delivery
{
	long long room_id;
	unsigned int except_sess; /* a session not to send to, 0 for none */
	long long seq; /* a post's number in its room, 0 for a notice */
	pchat_xbuf_t body;
	struct pchat_delivery *next;
} pchat_delivery_t;

typedef struct pchat_cmd_ctx
{
	pchat_uri_t *invited; /* the configured URI of the session's dialog */
	str user;             /* the client's identity (From URI) */
	unsigned int sess_hid; /* the session, for the roster */
	unsigned int sess_id;
	/* a SIP-level refusal instead of a 200 (grpchat has no XCCOS reply) */
	int sip_code;
	char sip_reason[64];
	char sip_warning[200];
	pchat_delivery_t *deliveries; /* in order */
	/* the reply envelope may grow up to here while the current command
	 * runs: max_reply_size less what the later messages of the envelope
	 * need for an error reply each (set by pchat_cmd_execute) */
	int reply_limit;
	/* set by the caller: a lone post may be handed to the post writer
	 * (pchat_writer.h) instead of being committed here; post is then the
	 * post to queue, and the INFO is answered when it is committed */
	int may_defer;
	struct pchat_post *post;
	/* the session declared the story/alert extension (pchat-story):
	 * history shows stories and alerts with their flags, not as text */
	int ext_story;
} pchat_cmd_ctx_t;

/* The longest id and seqid of a client message: replies copy them. */
#define PCHAT_CMD_ID_MAX 64
#define PCHAT_CMD_SEQID_MAX 32

/* The XCCOS error of a command whose answer does not fit the reply. */
#define PCHAT_CMD_TOO_BIG                                                 \
	"the answer exceeds the reply size limit of one envelope "            \
	"(max_reply_size): ask for less, or in an envelope of its own"

/* A writer position, to take back what one command wrote. */
typedef struct pchat_xmark
{
	int len, open_tag, depth;
} pchat_xmark_t;

void pchat_xmark(pchat_xbuf_t *b, pchat_xmark_t *mk);
void pchat_xrewind(pchat_xbuf_t *b, pchat_xmark_t *mk);

/* Queues an envelope for a room; returns its body buffer to fill, NULL
 * when out of memory. */
pchat_xbuf_t *pchat_cmd_deliver(
		pchat_cmd_ctx_t *ctx, long long room_id, unsigned int except_sess);
/* The same for the copies of post number seq (kept in order in a pool). */
pchat_xbuf_t *pchat_cmd_deliver_post(
		pchat_cmd_ctx_t *ctx, long long room_id, long long seq);

/* Sends the queued deliveries and frees them. */
void pchat_cmd_flush(pchat_cmd_ctx_t *ctx);
/* Its two halves: to the pool's other nodes (deliveries kept), then to
 * this node's sessions (deliveries freed). */
void pchat_cmd_flush_remote(pchat_cmd_ctx_t *ctx);
void pchat_cmd_flush_local(pchat_cmd_ctx_t *ctx);
void pchat_cmd_ctx_free(pchat_cmd_ctx_t *ctx);

/* Wall-clock milliseconds since the epoch: the one clock of message
 * timestamps and history ranges. */
long long pchat_now_ms(void);

/* The one XCCOS error reply: <rpl id="rpl:name" code=... token of code>
 * with why (if not NULL) in an <error> element beside the token. Every
 * command's refusal goes through here. */
void pchat_cmd_rpl_error(pchat_xccos_env_t *env, pchat_xmsg_t *m,
		const char *name, int code, const char *why, pchat_xbuf_t *out);

/* Refuses the INFO at SIP level with code, reason and a Warning text. */
pchat_cmd_rc_t pchat_cmd_sip_error(pchat_cmd_ctx_t *ctx, int code,
		const char *reason, const char *warning);

/* Queues in ctx the copies of a post the writer committed
 * (pchat_writer.h); the caller sends them with the pchat_cmd_flush_*. */
struct pchat_post;
void pchat_cmd_grpchat_done(pchat_cmd_ctx_t *ctx, struct pchat_post *p);

int pchat_cmd_init(void);
int pchat_cmd_child_init(void);
unsigned long long pchat_cmd_next_envid(void);

pchat_cmd_rc_t pchat_cmd_execute(pchat_cmd_ctx_t *ctx, pchat_xccos_env_t *env,
		pchat_xbuf_t *out);

#endif
