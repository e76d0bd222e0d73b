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
/* Entry layer: the file service over xhttp (pchat_file_http() from
 * event_route[xhttp:request]). */

#ifndef _PCHAT_FILE_HTTP_H_
#define _PCHAT_FILE_HTTP_H_

#include "core/parser/msg_parser.h"

/* In mod_init, after pchat_file_mod_init(): binds xhttp when files are on. */
int pchat_file_http_init(void);
/* Binds xhttp once (files and the room-management page): 0, or -1. */
int pchat_http_bind(void);

/* Answers one HTTP request of the file service: 1 answered, -1 when files
 * are off (the script answers). */
int pchat_file_http(sip_msg_t *msg);

/* For the SOAP form (pchat_file_soap.c). An answer with body (blen
 * bytes) and extra headers hdrs ("" or CRLF-terminated lines): 1, or -1. */
int pchat_http_reply(sip_msg_t *msg, int code, const char *reason,
		const char *ctype, const char *hdrs, const char *body, int blen);
/* The value of a request header, trimmed: 1, or 0 when absent. */
int pchat_http_header(sip_msg_t *msg, const char *name, str *val);
/* Is tok a live token of direction up (1 upload)? 200 with *t filled, or
 * an HTTP code (404 unknown, 403 expired or the other direction; up -1:
 * either), 503/500
 * the store) and *why. An expired upload token cancels its upload. */
struct pchat_ftoken;
int pchat_http_token_check(
		const char *tok, int up, struct pchat_ftoken *t, const char **why);

#endif
