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
/* The jsonrpcs FIFO transport: the request goes into Kamailio's FIFO, the
 * answer comes back through a FIFO of ours in the same directory (the
 * server's fifo_reply_dir), named by the request's "reply_name". */

#ifndef _PCHATCTL_FIFO_H_
#define _PCHATCTL_FIFO_H_

#include <jansson.h>

#include "io.h"

/* Adds reply_name to request, sends it and fills reply with the answer.
 * Returns PCTL_EXIT_OK, or PCTL_EXIT_TRANSPORT after saying why. */
int pctl_fifo_call(const char *fifo_path, json_t *request, double timeout,
		pctl_buf_t *reply);

#endif
