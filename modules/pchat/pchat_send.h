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
/* Requests pchat originates inside a client's dialog: XCCOS INFOs and the
 * BYE that ends an expired session. They go back to where the client's
 * requests came from (its own TCP connection: clients never listen), with a
 * CSeq allocated under the session's lock at the moment of sending, so the
 * numbers on the wire of one dialog always increase. */

#ifndef _PCHAT_SEND_H_
#define _PCHAT_SEND_H_

#include "core/str.h"

#include "pchat_deliver.h"
#include "pchat_session.h"

/* Sends an XCCOS envelope to a session whose slot the caller holds locked.
 * A non-2xx answer or a timeout ends the session (the client no longer
 * knows the dialog). */
int pchat_send_info(pchat_session_t *s, str *body);

/* The same for one copy of an envelope sent to many: t holds the part of
 * the request built once for all copies (see pchat_deliver.h). */
int pchat_send_info_copy(pchat_session_t *s, str *body, pchat_dlv_tail_t *t);

/* Sends BYE for a session already removed from the table (no lock). */
int pchat_send_bye(pchat_session_t *s);

/* Sets the destination of our requests for a new dialog: the client's
 * source address and transport unless a route set says otherwise. */
int pchat_send_set_target(dlg_t *dlg, struct receive_info *rcv);

#endif
