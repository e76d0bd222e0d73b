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

#include "core/data_lump_rpl.h"
#include "core/dprint.h"

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

/* Creates the server transaction. Returns 1 for a new request, 0 for a
 * retransmission tm has already answered, -1 on error. */
int pchat_newtran(struct sip_msg *msg)
{
	int ret = _pchat_tmb.t_newtran(msg);

	if(ret < 0)
		LM_ERR("cannot create transaction for %.*s (%d)\n",
				msg->first_line.u.request.method.len,
				msg->first_line.u.request.method.s, ret);
	return ret < 0 ? -1 : (ret == 0 ? 0 : 1);
}
