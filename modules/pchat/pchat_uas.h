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
/* pchat as a UAS: answers the INVITEs sent to its URIs and every request
 * inside the dialogs it answered (ACK, INFO, UPDATE, re-INVITE, BYE). */

#ifndef _PCHAT_UAS_H_
#define _PCHAT_UAS_H_

#include "core/parser/msg_parser.h"

/* mod_init: the counters (pchat:infos_limited), the store workers. */
int pchat_uas_init(void);

/* How many client INFOs max_infos_per_second refused (pchat.status). */
unsigned long pchat_uas_infos_limited(void);
/* How many posts were checked by a store worker (no cached room answer). */
unsigned long pchat_uas_posts_uncached(void);

/* Returns 1 when the request was pchat's and has been answered (or
 * absorbed, for ACK), -1 when it is not addressed to pchat. */
int pchat_uas_handle(struct sip_msg *msg);

/* Answers and delivers the posts the writer committed (pchat_writer.h). */
void pchat_uas_posts_done(void);
/* PRE_SCRIPT_CB for requests: takes the doorbells (pchat_bell.h). */
int pchat_uas_bell(struct sip_msg *msg, unsigned int flags, void *param);
/* The same from a message's receive info alone, before it is parsed
 * (pchat_take_answer): 1 when it was a doorbell and has been taken. */
int pchat_uas_bell_rcv(struct receive_info *rcv);

/* Timer: ends sessions that were not refreshed in time (server BYE). */
void pchat_uas_expire_timer(unsigned int ticks, void *param);

#endif
