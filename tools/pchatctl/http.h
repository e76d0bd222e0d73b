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
/* The jsonrpcs HTTP transport (through xhttp): one POST over plain TCP.
 * Deliberately small: http:// only, no redirects, no chunked answers. */

#ifndef _PCHATCTL_HTTP_H_
#define _PCHATCTL_HTTP_H_

#include <jansson.h>

#include "io.h"

/* 0 when url is one pchatctl can use; -1 after saying why not. */
int pctl_http_check_url(const char *url);

/* POSTs request to url and fills reply with the answer's body.
 * Returns PCTL_EXIT_OK, or PCTL_EXIT_TRANSPORT after saying why. */
int pctl_http_call(
		const char *url, json_t *request, double timeout, pctl_buf_t *reply);

#endif
