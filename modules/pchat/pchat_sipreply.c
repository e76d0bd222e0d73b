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
/* Entry layer (SIP side): the stateful replies of pchat's UAS and of
 * provisioning (transaction, extra headers, code and reason), over tm.
 * Knows no session and no command. */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/data_lump_rpl.h"
#include "core/dprint.h"
#include "core/mem/shm.h"

#include "pchat_mod.h"
#include "pchat_sipreply.h"

/* Adds one header line (without CRLF) to the reply being built for msg. */
int pchat_reply_hdr(struct sip_msg *msg, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf) - 2, fmt, ap);
	va_end(ap);
	if(len < 0 || len >= (int)sizeof(buf) - 2)
		return -1;
	buf[len++] = '\r';
	buf[len++] = '\n';
	return add_lump_rpl(msg, buf, len, LUMP_RPL_HDR) ? 0 : -1;
}

/* Replies statefully: creates the transaction when the caller has not (so
 * retransmissions are absorbed) and sends code/reason with the lumps
 * added so far. Returns 1 even when the reply could not be sent: the
 * request is pchat's all the same, and a false return would make the
 * script forward it. */
int pchat_reply(struct sip_msg *msg, int code, char *reason)
{
	if(_pchat_tmb.t_reply(msg, code, reason) < 0)
		LM_ERR("cannot send %d reply to %.*s\n", code,
				msg->first_line.u.request.method.len,
				msg->first_line.u.request.method.s);
	return 1;
}

/* The answer when tm cannot keep a transaction (shared memory short): a
 * stateless 503 from sl, whose reply is built in pkg, so the client
 * hears of it instead of waiting for nothing. */
static void pchat_reply_stateless_busy(struct sip_msg *msg, const char *why)
{
	str reason = STR_STATIC_INIT("Service Unavailable");

	if(!_pchat_have_sl)
		return;
	if(pchat_reply_hdr(msg, "Retry-After: %d", pchat_retry_after) < 0
			|| pchat_reply_hdr(msg, "Warning: 399 pchat \"%s\"", why) < 0)
		LM_ERR("cannot add the headers of a stateless 503\n");
	if(_pchat_slb.freply(msg, 503, &reason) < 0)
		LM_ERR("cannot send a stateless 503\n");
}

/* New sessions and commands (INVITE, INFO) leave shm_reserve_kb free for
 * what ends sessions and frees memory (BYE, refreshes, ACK): under a
 * flood, tm's answered transactions (kept wt_timer long) fill shm. */
static int pchat_shm_short(struct sip_msg *msg)
{
	unsigned int m = msg->REQ_METHOD;

	return pchat_shm_reserve_kb > 0 && (m == METHOD_INVITE || m == METHOD_INFO)
		   && shm_available() < (unsigned long)pchat_shm_reserve_kb * 1024;
}

/* Creates the server transaction. Returns 1 for a new request, 0 for a
 * retransmission tm has already answered or a request refused for want
 * of memory (answered statelessly), -1 on error. */
int pchat_newtran(struct sip_msg *msg)
{
	int ret;

	if(pchat_shm_short(msg)) {
		pchat_reply_stateless_busy(msg, "server memory low");
		return 0;
	}
	ret = _pchat_tmb.t_newtran(msg);
	if(ret < 0) {
		LM_ERR("cannot create transaction for %.*s (%d)\n",
				msg->first_line.u.request.method.len,
				msg->first_line.u.request.method.s, ret);
		pchat_reply_stateless_busy(msg, "no memory for a transaction");
		return 0;
	}
	return ret == 0 ? 0 : 1;
}

void pchat_answer_set(pchat_answer_t *a, int code, const char *reason)
{
	a->code = code;
	snprintf(a->reason, sizeof(a->reason), "%s", reason);
	a->hlen = 0;
}

void pchat_answer_hdr(pchat_answer_t *a, const char *fmt, ...)
{
	int room = (int)sizeof(a->hdrs) - a->hlen, len;
	va_list ap;

	va_start(ap, fmt);
	len = vsnprintf(a->hdrs + a->hlen, room, fmt, ap);
	va_end(ap);
	if(len < 0 || len + 2 >= room)
		return; /* dropped whole: a header is never cut */
	a->hdrs[a->hlen + len] = '\r';
	a->hdrs[a->hlen + len + 1] = '\n';
	a->hlen += len + 2;
}

void pchat_warning_text(char *clean, int size, const char *text)
{
	unsigned char c;
	int i;

	/* a quoted-string of printable ASCII: no quotes, backslashes or
	 * control characters, and no UTF-8 sequence cut by the bound */
	for(i = 0; text[i] && i < size - 1; i++) {
		c = (unsigned char)text[i];
		clean[i] = (c == '"' || c == '\\' || c < 0x20 || c > 0x7e) ? '\''
																   : (char)c;
	}
	clean[i] = '\0';
}

void pchat_answer_warning(pchat_answer_t *a, const char *text)
{
	char clean[200];

	pchat_warning_text(clean, sizeof(clean), text);
	pchat_answer_hdr(a, "Warning: 399 pchat \"%s\"", clean);
}

void pchat_answer_busy(pchat_answer_t *a, const char *why, unsigned int retry)
{
	pchat_answer_set(a, 503, "Service Unavailable");
	if(why)
		pchat_answer_warning(a, why);
	pchat_answer_hdr(a, "Retry-After: %u", retry);
}

int pchat_answer_msg(struct sip_msg *msg, pchat_answer_t *a)
{
	if(a->hlen > 0 && add_lump_rpl(msg, a->hdrs, a->hlen, LUMP_RPL_HDR) == 0)
		LM_ERR("cannot add the headers of a %d reply\n", a->code);
	return pchat_reply(msg, a->code, a->reason);
}

int pchat_answer_suspended(
		pchat_answer_t *a, unsigned int t_hash, unsigned int t_label)
{
	struct cell *t;
	str reason = {a->reason, (int)strlen(a->reason)};
	str h = {a->hdrs, a->hlen};

	if(_pchat_tmb.t_lookup_ident(&t, t_hash, t_label) < 0)
		return -1;
	if(_pchat_tmb.t_reply_with_body(
			   t, a->code, &reason, NULL, h.len ? &h : NULL, NULL)
			< 0)
		LM_ERR("cannot send the %d answer of a suspended request\n", a->code);
	_pchat_tmb.t_sett(T_UNDEFINED, T_BR_UNDEFINED);
	return 0;
}
