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

/* The SIP URIs pchat answers for: lookup URIs (sip:ocschat@domain, only
 * cmd:requri matters there) and chat-service URIs, each possibly in several
 * domains. Both lists are filled from modparams before the fork and then
 * read-only, so every process holds its own copy in pkg memory. */

#ifndef _PCHAT_URI_H_
#define _PCHAT_URI_H_

#include "core/str.h"

typedef enum pchat_uri_kind
{
	PCHAT_URI_NONE = 0,
	PCHAT_URI_LOOKUP = 1,
	PCHAT_URI_SERVICE = 2
} pchat_uri_kind_t;

typedef struct pchat_uri
{
	pchat_uri_kind_t kind;
	str uri;  /* as configured, "sip:user@host" */
	str user; /* points into uri */
	str host; /* points into uri */
	struct pchat_uri *next;
} pchat_uri_t;

/* Adds one configured URI (modparams lookup_uri, service_uri): 0, or -1
 * when it is not sip:user@domain. Before the fork only. */
int pchat_uri_add(pchat_uri_kind_t kind, char *val);

/* Called from mod_init: fails when no service URI is configured. */
int pchat_uri_init(void);

/* Which configured URI does user@host name? NULL when none. */
pchat_uri_t *pchat_uri_match(str *user, str *host);

/* The chat-service URI handed out by cmd:requri for a session opened on
 * `invited`: the service URI of the same domain, else the first one. */
pchat_uri_t *pchat_uri_service_for(pchat_uri_t *invited);

pchat_uri_t *pchat_uri_list(void);

#endif
