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

/* Answers one HTTP request of the file service: 1 answered, -1 when files
 * are off (the script answers). */
int pchat_file_http(sip_msg_t *msg);

#endif
