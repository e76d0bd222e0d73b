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
/* Entry layer: the room-management web page over xhttp
 * (pchat_manage_http() from event_route[xhttp:request]). */

#ifndef _PCHAT_MANAGE_HTTP_H_
#define _PCHAT_MANAGE_HTTP_H_

#include "core/parser/msg_parser.h"
#include "core/str.h"

/* In mod_init: on when dir (manage_dir) or chat_dir is set; binds xhttp. */
int pchat_manage_http_init(const char *dir, const char *chat_dir);

/* Answers one HTTP request under /manage: 1 answered, -1 when the page is
 * off or the URL is not under /manage (the script answers). signed_in is
 * the user the script authenticated (sip:user@domain), empty in open
 * mode: the page then says who it is in X-Pchat-User. */
int pchat_manage_http(sip_msg_t *msg, str *signed_in);

/* Answers one HTTP request under /chat (the browser chat client's static
 * files from chat_dir): 1 answered, -1 when off or not under /chat. */
int pchat_chat_http(sip_msg_t *msg);

#endif
