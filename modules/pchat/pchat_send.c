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
/* Delivery layer: the INFOs and BYEs pchat sends inside a client's
 * dialog, CSeq taken under the session lock. Knows no command. */

#include <stdio.h>
#include <string.h>

#include "core/dprint.h"
#include "core/ip_addr.h"
#include "core/mem/shm.h"
#include "modules/tm/t_hooks.h"

#include "pchat_deliver.h"
#include "pchat_mod.h"
#include "pchat_send.h"
#include "pchat_metrics.h"

static str _pchat_info = str_init("INFO");
static str _pchat_bye = str_init("BYE");
static str _pchat_info_hdrs = str_init("Content-Type: text/plain\r\n");

int pchat_send_set_target(dlg_t *dlg, struct receive_info *rcv)
{
	char buf[128];
	int len;
	str proto;

	if(dlg->route_set != NULL)
		return 0; /* a proxy record-routed: our requests follow it */
	switch(rcv->proto) {
		case PROTO_TCP:
			proto.s = "tcp";
			break;
		case PROTO_TLS:
			proto.s = "tls";
			break;
		case PROTO_UDP:
			proto.s = "udp";
			break;
		case PROTO_WS: /* a browser (web/chat): tm frames it for the socket */
			proto.s = "ws";
			break;
		case PROTO_WSS:
			proto.s = "wss";
			break;
		default:
			LM_ERR("unsupported transport %d\n", rcv->proto);
			return -1;
	}
	proto.len = strlen(proto.s);
	len = snprintf(buf, sizeof(buf), "sip:%s:%u;transport=%.*s",
			ip_addr2a(&rcv->src_ip), rcv->src_port, proto.len, proto.s);
	if(len <= 0 || len >= (int)sizeof(buf))
		return -1;
	dlg->dst_uri.s = shm_malloc(len);
	if(dlg->dst_uri.s == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memcpy(dlg->dst_uri.s, buf, len);
	dlg->dst_uri.len = len;
	dlg->send_sock = rcv->bind_address;
	return 0;
}

/* TMCB_LOCAL_COMPLETED: runs in the process that got the final answer (or
 * in the timer process on timeout). A client that answers non-2xx no longer
 * knows the dialog (doc/xccos.md §1.6, §1.8): the session is marked for the
 * expiry timer, which removes it like any other ended session. Marking
 * instead of freeing here keeps the callback safe when tm runs it while the
 * sender still holds the session. */
static void pchat_info_done(struct cell *t, int type, struct tmcb_params *ps)
{
	pchat_session_ref_t *ref = (pchat_session_ref_t *)*ps->param;
	pchat_session_t *s;

	if(ref == NULL)
		return;
	s = pchat_session_get(ref);
	if(s) {
		if(s->tm_pending > 0)
			s->tm_pending--;
		/* tm matched the reply by branch only: a final answer from
		 * anywhere else (response_f drops most) is not the client's */
		if(ps->code >= 300 && ps->rpl && ps->rpl != FAKED_REPLY
				&& !pchat_session_from_peer(s, &ps->rpl->rcv)) {
			pchat_deliver_forged(ps->rpl, "tm reply not from the peer");
		} else if(ps->code >= 300) {
			LM_INFO("session %u: client answered %d to our INFO: "
					"ending it\n",
					s->id, ps->code);
			pchat_session_mark_gone(s);
		}
		pchat_session_release(s);
	}
	shm_free(ref);
	*ps->param = NULL;
}

/* UDP (and strict routing): a tm transaction, which retransmits */
static int pchat_send_info_tm(pchat_session_t *s, str *body)
{
	uac_req_t r;
	pchat_session_ref_t *ref;

	if(s->expires == 0)
		return -1; /* ended, its cleanup is under way */
	if(s->tm_pending >= (unsigned int)pchat_max_pending) {
		/* the same bound as for direct copies: shed a client that does
		 * not keep up before its transactions fill the shm */
		LM_INFO("session %u (%.*s): too many unanswered INFOs (slow "
				"client): ending it\n",
				s->id, s->user.len, s->user.s);
		pchat_session_mark_gone(s);
		pchat_metric_inc(PCHAT_M_SHED);
		return -1;
	}
	ref = shm_malloc(sizeof(*ref));
	if(ref == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	ref->hid = s->hid;
	ref->id = s->id;
	set_uac_req(&r, &_pchat_info, &_pchat_info_hdrs, body, s->dlg,
			TMCB_LOCAL_COMPLETED, pchat_info_done, ref);
	s->tm_pending++; /* before: tm may complete it before returning */
	if(_pchat_tmb.t_request_within(&r) < 0) {
		LM_ERR("session %u: cannot send INFO\n", s->id);
		if(s->tm_pending > 0)
			s->tm_pending--;
		shm_free(ref);
		return -1;
	}
	s->sent++;
	return 0;
}

int pchat_send_info_copy(pchat_session_t *s, str *body, pchat_dlv_tail_t *t)
{
	pchat_deliver_wait_hold(s); /* CSeqs in order on the wire */
	if(pchat_deliver_direct(s))
		return pchat_deliver_info(s, t);
	return pchat_send_info_tm(s, body);
}

int pchat_send_info(pchat_session_t *s, str *body)
{
	pchat_dlv_tail_t t;
	int ret;

	pchat_deliver_wait_hold(s); /* CSeqs in order on the wire */
	if(!pchat_deliver_direct(s))
		return pchat_send_info_tm(s, body);
	if(pchat_dlv_tail_build(&t, body) < 0)
		return -1;
	ret = pchat_deliver_info(s, &t);
	pchat_dlv_tail_free(&t);
	return ret;
}

int pchat_send_bye(pchat_session_t *s)
{
	uac_req_t r;

	set_uac_req(&r, &_pchat_bye, NULL, NULL, s->dlg, 0, NULL, NULL);
	if(_pchat_tmb.t_request_within(&r) < 0) {
		LM_INFO("session %u: cannot send BYE (client gone)\n", s->id);
		return -1;
	}
	return 0;
}
