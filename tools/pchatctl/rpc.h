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
/* One JSON-RPC 2.0 call: builds the request, hands it to the transport
 * chosen on the command line and makes sense of the answer. */

#ifndef _PCHATCTL_RPC_H_
#define _PCHATCTL_RPC_H_

#include <jansson.h>

typedef struct pctl_target
{
	const char *fifo; /* used when url is NULL */
	const char *url;
	double timeout; /* seconds for the whole exchange */
} pctl_target_t;

/* Calls method with params (an array of strings). Returns PCTL_EXIT_OK
 * with *result set (a new reference, json null when the answer has none),
 * or the exit code after reporting the failure; server errors are
 * reported as "pchatctl: <verb>: <message> (<code>)". */
int pctl_rpc_call(const pctl_target_t *target, const char *verb,
		const char *method, json_t *params, json_t **result);

#endif
