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
/* Base layer: the lookup and chat-service URIs pchat answers for (filled
 * from modparams by pchat_mod.c). No store, no sessions. */

#include <string.h>

#include "core/dprint.h"
#include "core/mem/pkg.h"
#include "core/parser/parse_uri.h"
#include "core/strutils.h"

#include "pchat_uri.h"

static pchat_uri_t *_pchat_uris = NULL;

int pchat_uri_add(pchat_uri_kind_t kind, char *val)
{
	pchat_uri_t *u, **tail;
	struct sip_uri puri;
	int len = strlen(val);

	u = pkg_mallocxz(sizeof(*u) + len + 1);
	if(u == NULL) {
		PKG_MEM_ERROR;
		return -1;
	}
	u->kind = kind;
	u->uri.s = (char *)(u + 1);
	memcpy(u->uri.s, val, len);
	u->uri.len = len;
	if(parse_uri(u->uri.s, u->uri.len, &puri) < 0 || puri.user.len == 0
			|| puri.host.len == 0) {
		LM_ERR("invalid pchat URI '%s': expected sip:user@domain\n", val);
		pkg_free(u);
		return -1;
	}
	u->user = puri.user;
	u->host = puri.host;
	for(tail = &_pchat_uris; *tail; tail = &(*tail)->next)
		;
	*tail = u;
	return 0;
}

int pchat_uri_init(void)
{
	pchat_uri_t *u;

	for(u = _pchat_uris; u; u = u->next) {
		if(u->kind == PCHAT_URI_SERVICE)
			return 0;
	}
	LM_ERR("no chat-service URI: set modparam(\"pchat\", \"service_uri\", "
		   "\"sip:chat@your.domain\")\n");
	return -1;
}

pchat_uri_t *pchat_uri_match(str *user, str *host)
{
	pchat_uri_t *u;

	for(u = _pchat_uris; u; u = u->next) {
		if(u->user.len == user->len && u->host.len == host->len
				&& memcmp(u->user.s, user->s, user->len) == 0
				&& strncasecmp(u->host.s, host->s, host->len) == 0)
			return u;
	}
	return NULL;
}

pchat_uri_t *pchat_uri_service_for(pchat_uri_t *invited)
{
	pchat_uri_t *u, *first = NULL;

	for(u = _pchat_uris; u; u = u->next) {
		if(u->kind != PCHAT_URI_SERVICE)
			continue;
		if(first == NULL)
			first = u;
		if(invited && u->host.len == invited->host.len
				&& strncasecmp(u->host.s, invited->host.s, u->host.len) == 0)
			return u;
	}
	return first;
}

pchat_uri_t *pchat_uri_list(void)
{
	return _pchat_uris;
}
