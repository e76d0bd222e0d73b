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
/* Entry layer (SIP side): the replies of pchat's UAS and of provisioning
 * (transaction, extra headers, code and reason), over tm, or for an INFO
 * over TCP/TLS without a transaction (sl, or a kept head answered later).
 * Knows no session and no command. */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/data_lump_rpl.h"
#include "core/dprint.h"
#include "core/forward.h"
#include "core/mem/shm.h"
#include "core/msg_translator.h"

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

/* Replies in the request's transaction (pchat_newtran), or through sl
 * for an INFO that has none (pchat_tranless), with code/reason and the
 * lumps added so far. Returns 1 even when the reply could not be sent: the
 * request is pchat's all the same, and a false return would make the
 * script forward it. */
int pchat_reply(struct sip_msg *msg, int code, char *reason)
{
	struct cell *t = _pchat_tmb.t_gett();
	str r;

	if((t == NULL || t == T_UNDEFINED) && pchat_tranless(msg)) {
		r.s = reason;
		r.len = strlen(reason);
		if(_pchat_slb.freply(msg, code, &r) < 0)
			LM_ERR("cannot send %d reply to INFO\n", code);
		return 1;
	}
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

int pchat_tranless(struct sip_msg *msg)
{
	return !pchat_info_transactions && _pchat_have_sl
		   && msg->first_line.type == SIP_REQUEST
		   && msg->REQ_METHOD == METHOD_INFO
		   && (msg->rcv.proto == PROTO_TCP || msg->rcv.proto == PROTO_TLS);
}

int pchat_begin(struct sip_msg *msg)
{
	if(!pchat_tranless(msg))
		return pchat_newtran(msg);
	if(pchat_shm_short(msg)) {
		pchat_reply_stateless_busy(msg, "server memory low");
		return 0;
	}
	return 1;
}

#define PCHAT_CL_TAIL CONTENT_LENGTH "0" CRLF CRLF
#define PCHAT_CL_TAIL_LEN ((int)sizeof(PCHAT_CL_TAIL) - 1)

/* The reply's head, built as sl and tm build theirs (Vias with received
 * and rport, From, To, Call-ID, CSeq, Server) from a 200 with no body:
 * its status line and Content-Length are the answer's own. */
static int pchat_pending_head(struct sip_msg *msg, pchat_pending_t *p)
{
	str ok = STR_STATIC_INIT("OK");
	struct bookmark bm;
	unsigned int len;
	char *buf, *eol, *end;
	int tail = PCHAT_CL_TAIL_LEN, ret = -1;

	buf = build_res_buf_from_sip_req(200, &ok, NULL, msg, &len, &bm);
	if(buf == NULL)
		return -1;
	end = buf + len;
	eol = memchr(buf, '\n', len);
	if(eol && (int)len > tail && memcmp(end - tail, PCHAT_CL_TAIL, tail) == 0
			&& eol < end - tail) {
		p->head_len = (int)(end - tail - (eol + 1));
		p->head = shm_malloc(p->head_len + 1);
		if(p->head) {
			memcpy(p->head, eol + 1, p->head_len);
			ret = 0;
		}
	}
	pkg_free(buf);
	return ret;
}

int pchat_pending_take(struct sip_msg *msg, pchat_pending_t *p)
{
	struct cell *t = _pchat_tmb.t_gett();

	memset(p, 0, sizeof(*p));
	if(t != NULL && t != T_UNDEFINED)
		return _pchat_tmb.t_suspend(msg, &p->t_hash, &p->t_label) == 0 ? 0
																		: -1;
	if(pchat_pending_head(msg, p) < 0)
		return -1;
	/* where sl would send it: the connection the request came over, or
	 * when that is gone, the address tm's and sl's reply would take */
	init_dest_info(&p->dst);
	update_sock_struct_from_ip(&p->dst.to, msg);
	p->dst.proto = msg->rcv.proto;
	p->dst.send_sock = msg->rcv.bind_address;
	p->dst.id = msg->rcv.proto_reserved1;
	p->dst.send_flags = msg->rpl_send_flags;
	return 0;
}

/* Sends the answer of a request kept without a transaction: its status
 * line, the kept head, the answer's headers and no body. */
static int pchat_answer_raw(pchat_answer_t *a, pchat_pending_t *p)
{
	char line[96], *buf;
	int llen, len, ret;
	int tail = PCHAT_CL_TAIL_LEN;

	llen = snprintf(line, sizeof(line), "SIP/2.0 %d %s\r\n", a->code,
			a->reason);
	if(llen < 0 || llen >= (int)sizeof(line))
		return -1;
	len = llen + p->head_len + a->hlen + tail;
	buf = pkg_malloc(len);
	if(buf == NULL) {
		PKG_MEM_ERROR;
		return -1;
	}
	memcpy(buf, line, llen);
	memcpy(buf + llen, p->head, p->head_len);
	memcpy(buf + llen + p->head_len, a->hdrs, a->hlen);
	memcpy(buf + len - tail, PCHAT_CL_TAIL, tail);
	ret = msg_send_buffer(&p->dst, buf, len, 0);
	pkg_free(buf);
	return ret < 0 ? -1 : 0;
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

int pchat_answer_pending(pchat_answer_t *a, pchat_pending_t *p)
{
	struct cell *t;
	str reason = {a->reason, (int)strlen(a->reason)};
	str h = {a->hdrs, a->hlen};

	if(p->head) {
		/* a failed send is told here: -1 means answered already */
		if(pchat_answer_raw(a, p) < 0)
			LM_ERR("cannot send the %d answer of a pending INFO\n", a->code);
		shm_free(p->head);
		p->head = NULL;
		return 0;
	}
	if(_pchat_tmb.t_lookup_ident(&t, p->t_hash, p->t_label) < 0)
		return -1;
	if(_pchat_tmb.t_reply_with_body(
			   t, a->code, &reason, NULL, h.len ? &h : NULL, NULL)
			< 0)
		LM_ERR("cannot send the %d answer of a suspended request\n", a->code);
	_pchat_tmb.t_sett(T_UNDEFINED, T_BR_UNDEFINED);
	return 0;
}
