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
 * pchat_provision.c. */

#ifndef _PCHAT_SIPREPLY_H_
#define _PCHAT_SIPREPLY_H_

#include "core/parser/msg_parser.h"

/* Reply helpers shared with pchat_provision.c. pchat_reply_hdr adds one
 * header line (no CRLF) to the coming reply; pchat_newtran returns 1 for a
 * new request, 0 for an absorbed retransmission, -1 on error; pchat_reply
 * answers statefully with the lumps added so far and returns 1 (handled)
 * even when the reply could not be sent. */
int pchat_reply_hdr(struct sip_msg *msg, const char *fmt, ...);
int pchat_reply(struct sip_msg *msg, int code, char *reason);
int pchat_newtran(struct sip_msg *msg);

#endif
