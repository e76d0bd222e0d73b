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
/* Store layer: the doorbells. Kamailio 5.6 cannot wake a SIP reader from
 * another process, so a helper process (the post writer, a store worker)
 * that has finished work for the readers sends a SIP request over a
 * loopback connection of its own to a listener of this Kamailio; the
 * reader of that connection sees it in a pre-script callback and looks at
 * the helper's done list. */

#ifndef _PCHAT_BELL_H_
#define _PCHAT_BELL_H_

#include "core/ip_addr.h"

/* mod_init: room for n bells (one per helper process). */
int pchat_bell_mod_init(int n);
/* Rings bell i (0 <= i < n) from the process that owns it; connects on
 * first use and again when the listener closed the connection. */
void pchat_bell_ring(int i);
/* Connects bell i now, from its owner at the start of the process: the
 * connection (and its read buffer in the listener's shm) then exists from
 * the start instead of appearing at the first ring, hours later. */
void pchat_bell_open(int i);
/* Is this request a doorbell (by its source address and port)? */
int pchat_bell_is_bell(struct receive_info *rcv);

#endif
