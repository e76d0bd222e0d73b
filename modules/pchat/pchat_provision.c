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

/* In-band provisioning for Lync-style clients (doc/xccos.md §7.1, §1.2):
 * the front-end answers the client's SUBSCRIBE with Event:
 * vnd-microsoft-provisioning-v2 by a 200 OK that carries the provisioning
 * document itself ("piggy-backed"), so no NOTIFY towards a client that
 * never listens is needed. Only persistentChatConfiguration is sent:
 * advertising services we do not serve (focusFactoryUri, mrasUri) would
 * send the client to them. */

#include <stdio.h>
#include <string.h>

#include "core/data_lump_rpl.h"
#include "core/dprint.h"
#include "core/parser/msg_parser.h"
#include "core/parser/parse_cseq.h"
#include "core/parser/parse_event.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_uri.h"

#include "pchat_identity.h"
#include "pchat_mod.h"
#include "pchat_provision.h"
#include "pchat_access.h"
#include "pchat_db.h"
#include "pchat_sipreply.h"
#include "pchat_uri.h"
#include "pchat_xccos.h"

#define PCHAT_PROV_EVENT "vnd-microsoft-provisioning-v2"
#define PCHAT_PROV_CTYPE "application/vnd-microsoft-roaming-provisioning-v2+xml"

static int pchat_is_provisioning(struct sip_msg *msg)
{
	event_t *ev;
	static str want = str_init(PCHAT_PROV_EVENT);

	if(msg->event == NULL || parse_event(msg->event) < 0)
		return 0;
	ev = (event_t *)msg->event->parsed;
	return ev && ev->name.len == want.len
		   && strncasecmp(ev->name.s, want.s, want.len) == 0;
}

/* The lookup URI a user of `domain` is sent to: the configured
 * provision_pool_uri, else the lookup URI of the user's own domain, else the
 * first lookup URI. NULL when none is configured. */
static str *pchat_pool_uri(str *domain)
{
	pchat_uri_t *u, *first = NULL;

	if(pchat_provision_pool_uri.len > 0)
		return &pchat_provision_pool_uri;
	for(u = pchat_uri_list(); u; u = u->next) {
		if(u->kind != PCHAT_URI_LOOKUP)
			continue;
		if(first == NULL)
			first = u;
		if(u->host.len == domain->len
				&& strncasecmp(u->host.s, domain->s, domain->len) == 0)
			return &u->uri;
	}
	return first ? &first->uri : NULL;
}

/* One <property name="...">value</property> of the provisioning document. */
static void pchat_prov_property(
		pchat_xbuf_t *b, const char *name, const char *val, int len)
{
	pchat_xw_start(b, "property");
	pchat_xw_attr(b, "name", name);
	pchat_xw_text(b, val, len);
	pchat_xw_end(b, "property");
}

int pchat_provision(struct sip_msg *msg)
{
	struct sip_uri puri;
	str *user, *pool;
	pchat_xbuf_t body;
	int enabled, ret;
	pchat_store_rc_t rc;
	char id[PCHAT_IDENTITY_MAX];
	str canon;

	if(msg->first_line.type != SIP_REQUEST
			|| msg->REQ_METHOD != METHOD_SUBSCRIBE)
		return -1;
	if(parse_headers(msg, HDR_EOH_F, 0) < 0 || msg->cseq == NULL
			|| msg->from == NULL)
		return -1;
	if(!pchat_is_provisioning(msg))
		return -1;
	ret = pchat_newtran(msg);
	if(ret <= 0)
		return 1;
	if(parse_from_header(msg) < 0) {
		pchat_reply(msg, 400, "Bad From");
		return 1;
	}
	user = &get_from(msg)->uri;
	if(parse_uri(user->s, user->len, &puri) < 0) {
		pchat_reply(msg, 400, "Bad From URI");
		return 1;
	}
	canon.s = id;
	canon.len = pchat_identity_canon(user->s, user->len, id, sizeof(id), NULL);
	rc = PCHAT_STORE_OK;
	enabled = 0; /* not a chat identity: chat is off for it */
	if(canon.len > 0)
		rc = pchat_policy_enabled(&canon, &enabled);
	if(rc == PCHAT_STORE_UNAVAILABLE) {
		pchat_reply_hdr(msg, "Retry-After: %d", pchat_retry_after);
		pchat_reply(msg, 503, "Service Unavailable");
		return 1;
	}
	if(rc == PCHAT_STORE_ERROR) {
		LM_ERR("cannot read the policy of %.*s: refusing\n", user->len,
				user->s);
		pchat_reply(msg, 500, "Server Internal Error");
		return 1;
	}
	pool = pchat_pool_uri(&puri.host);
	if(pool == NULL)
		enabled = 0; /* nothing to point the client at */
	pchat_xbuf_init(&body);
	pchat_xw_start(&body, "provisionGroupList");
	pchat_xw_attr(&body, "xmlns",
			"http://schemas.microsoft.com/2006/09/sip/provisiongrouplist");
	pchat_xw_start(&body, "provisionGroup");
	pchat_xw_attr(&body, "name", "persistentChatConfiguration");
	pchat_xw_start(&body, "propertyEntryList");
	pchat_prov_property(&body, "EnablePersistentChat",
			enabled > 0 ? "true" : "false", -1);
	if(pool && pool->len > 0) {
		pchat_prov_property(
				&body, "DefaultPersistentChatPoolUri", pool->s, pool->len);
		pchat_prov_property(&body, "PersistentChatPoolUris", pool->s, pool->len);
	}
	if(pchat_room_management_url.len > 0)
		pchat_prov_property(&body, "PersistentChatWebManagerUriInt",
				pchat_room_management_url.s, pchat_room_management_url.len);
	pchat_xw_end(&body, "propertyEntryList");
	pchat_xw_end(&body, "provisionGroup");
	pchat_xw_end(&body, "provisionGroupList");
	if(body.err) {
		pchat_xbuf_free(&body);
		pchat_reply(msg, 500, "Server Internal Error");
		return 1;
	}
	/* the piggy-back headers tell the client the body is the
	 * notification for this very subscription (doc/xccos.md §7.1) */
	if(pchat_reply_hdr(msg, "Event: " PCHAT_PROV_EVENT) < 0
			|| pchat_reply_hdr(msg, "ms-piggyback-cseq: %.*s",
					   get_cseq(msg)->number.len, get_cseq(msg)->number.s)
					   < 0
			|| pchat_reply_hdr(msg, "Expires: 0") < 0
			|| pchat_reply_hdr(msg, "Content-Type: " PCHAT_PROV_CTYPE) < 0
			|| add_lump_rpl(msg, body.s, body.len, LUMP_RPL_BODY) == NULL) {
		LM_ERR("cannot build the provisioning reply\n");
		pchat_xbuf_free(&body);
		pchat_reply(msg, 500, "Server Internal Error");
		return 1;
	}
	pchat_xbuf_free(&body); /* the lump holds its own copy */
	LM_DBG("provisioned %.*s: persistent chat %s\n", user->len, user->s,
			enabled > 0 ? "enabled" : "disabled");
	pchat_reply(msg, 200, "OK");
	return 1;
}
