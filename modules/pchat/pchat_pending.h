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
/* Base: the handle of a request answered later, from any process (a post
 * waiting for the writer, a command in a store worker). Made and answered
 * by pchat_sipreply.c; the layers below only carry it. */

#ifndef _PCHAT_PENDING_H_
#define _PCHAT_PENDING_H_

#include "core/ip_addr.h"

typedef struct pchat_pending
{
	/* head == NULL: the request is suspended in tm */
	unsigned int t_hash, t_label;
	/* else (a request over TCP/TLS without a transaction): shm, the
	 * reply's lines after its status line and before its Content-Length,
	 * and the connection the request came over */
	char *head;
	int head_len;
	struct dest_info dst;
} pchat_pending_t;

#endif
