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
/* Keyword and author alerts (issue 18 point 3): the alert process. Posts
 * committed on this node are handed to it after their copies went out;
 * it matches them against every subscription in memory (pchat_alert_match)
 * and tells each user who may read the room: an ntc:alert on each of the
 * user's XCCOS sessions on this node, else a SIP MESSAGE to the user's AOR
 * through the front-end (alert_message_proxy), which delivers or stores it.
 * A post is matched once, on its author's node. */

#ifndef _PCHAT_ALERT_H_
#define _PCHAT_ALERT_H_

#include "core/str.h"

/* The notice's name: ntc:alert (doc/xccos.md 3.20). */
#define PCHAT_ALERT_NOTICE "alert"
/* The longest word of a subscription, in characters. */
#define PCHAT_ALERT_PATTERN_MAX 100
/* What a notice or MESSAGE carries of the post's text, in bytes. */
#define PCHAT_ALERT_TEXT_MAX 1000

/* mod_init: the queue (max_queue posts), the process's pipe; proxy: the
 * front-end's SIP URI for MESSAGEs (empty: no MESSAGE, online notices
 * only); from: their From (empty: the first service_uri). */
int pchat_alert_mod_init(int max_queue, char *proxy, char *from);
/* From child_init(PROC_MAIN): forks the alert process. */
int pchat_alert_start(void);

/* A committed post, from the reader that sent its copies: queued for
 * matching when there is any subscription (else a no-op). */
void pchat_alert_offer(long long room_id, long long seq, long long ts_ms,
		str *author, str *text, str *chan_uri);

/* A subscription was added or removed here: the process reloads them now
 * (other nodes' changes within a second). */
void pchat_alert_changed(void);

/* Front-end (cfg/pchat-frontend.cfg WITH_ALERT_SILO): 1 when msilo keeps
 * fewer than max alerts for the Request-URI's user, else -1 (also when the
 * store cannot say: the alert is then refused, never kept unbounded). */
struct sip_msg;
int pchat_alert_kept_below(struct sip_msg *msg, int max);

typedef struct pchat_alert_stats
{
	unsigned long posts;    /* posts matched */
	unsigned long dropped;  /* posts not matched: the queue was full */
	unsigned long notices;  /* ntc:alert sent (one per session) */
	unsigned long messages; /* SIP MESSAGEs sent */
	unsigned long denied;   /* matches dropped: the user may not read */
	unsigned long alerted;  /* users alerted (notice or MESSAGE) */
	unsigned long subs;     /* subscriptions in memory */
	unsigned long long match_us; /* in-memory matching, total */
	unsigned long long fold_us;  /* the weights query, total */
	unsigned long long cpu_us;   /* the process's CPU for the posts */
} pchat_alert_stats_t;
void pchat_alert_stats(pchat_alert_stats_t *out);

#endif
