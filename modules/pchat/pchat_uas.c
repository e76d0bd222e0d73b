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
/* Entry layer (SIP side): the UAS: INVITE, ACK, INFO, UPDATE, BYE of
 * pchat's dialogs; hands each INFO's envelope to pchat_cmd. No SQL here. */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/counters.h"
#include "core/data_lump_rpl.h"
#include "core/dprint.h"
#include "core/mem/pkg.h"
#include "core/mem/shm.h"
#include "core/parser/contact/parse_contact.h"
#include "core/parser/msg_parser.h"
#include "core/parser/parse_content.h"
#include "core/parser/parse_cseq.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_ppi_pai.h"
#include "core/parser/parse_supported.h"
#include "core/parser/parse_to.h"
#include "core/parser/parse_uri.h"
#include "core/timer.h"
#include "core/timer_ticks.h"
#include "core/trim.h"
#include "core/ut.h"

#include "pchat_cmd.h"
#include "pchat_cmd_room.h"
#include "pchat_deliver.h"
#include "pchat_identity.h"
#include "pchat_limit.h"
#include "pchat_access.h"
#include "pchat_db.h"
#include "pchat_mod.h"
#include "pchat_send.h"
#include "pchat_session.h"
#include "pchat_sipreply.h"
#include "pchat_bell.h"
#include "pchat_fanout.h"
#include "pchat_pool.h"
#include "pchat_pool_beat.h"
#include "pchat_worker.h"
#include "pchat_writer.h"
#include "pchat_uas.h"
#include "pchat_xccos.h"

#define PCHAT_ALLOW "INVITE, ACK, BYE, CANCEL, INFO, UPDATE, OPTIONS"

static counter_handle_t _pchat_infos_limited;
static counter_handle_t _pchat_posts_uncached;

static int pchat_uas_run_job(pchat_job_t *j);

int pchat_uas_init(void)
{
	if(counter_register(&_pchat_infos_limited, "pchat", "infos_limited", 0,
			   0, 0, "client INFOs refused by max_infos_per_second", 0)
			< 0) {
		LM_ERR("cannot register the infos_limited counter\n");
		return -1;
	}
	if(counter_register(&_pchat_posts_uncached, "pchat", "posts_uncached", 0,
			   0, 0, "posts a store worker checked: no cached room answer",
			   0)
			< 0) {
		LM_ERR("cannot register the posts_uncached counter\n");
		return -1;
	}
	if(pchat_store_workers > 0
			&& pchat_worker_mod_init(pchat_store_workers,
					   pchat_store_queue_size, PCHAT_BELL_WRITER + 1,
					   pchat_uas_run_job)
					   < 0)
		return -1;
	return 0;
}

unsigned long pchat_uas_infos_limited(void)
{
	return (unsigned long)counter_get_val(_pchat_infos_limited);
}

unsigned long pchat_uas_posts_uncached(void)
{
	return (unsigned long)counter_get_val(_pchat_posts_uncached);
}

static int pchat_contact_hdr(struct sip_msg *msg, pchat_uri_t *u)
{
	struct socket_info *si = msg->rcv.bind_address;
	str addr = si->address_str;
	int port = si->port_no;
	const char *tp;

	if(si->useinfo.name.len > 0) {
		addr = si->useinfo.name;
		port = si->useinfo.port_no ? si->useinfo.port_no : port;
	}
	switch(msg->rcv.proto) {
		case PROTO_TCP:
			tp = "tcp";
			break;
		case PROTO_TLS:
			tp = "tls";
			break;
		case PROTO_WS:
			tp = "ws";
			break;
		case PROTO_WSS:
			tp = "wss";
			break;
		default:
			tp = "udp";
	}
	return pchat_reply_hdr(msg, "Contact: <sip:%.*s@%.*s:%d;transport=%s>",
			u->user.len, u->user.s, addr.len, addr.s, port, tp);
}

/* First integer of a header body such as "1800;refresher=uac"; -1 when
 * absent or malformed. */
static int pchat_hdr_int(struct hdr_field *h)
{
	str v;
	int i = 0;
	unsigned int n;

	if(h == NULL)
		return -1;
	v = h->body;
	trim(&v);
	while(i < v.len && v.s[i] >= '0' && v.s[i] <= '9')
		i++;
	v.len = i;
	if(v.len == 0 || str2int(&v, &n) < 0 || n > 86400 * 7)
		return -1;
	return (int)n;
}

static int pchat_supports_timer(struct sip_msg *msg)
{
	if(parse_supported(msg) < 0)
		return 0;
	return (get_supported(msg) & F_OPTION_TAG_TIMER) != 0;
}

/* Does a Supported header of the INVITE list the option tag of one of our
 * extensions (author edit/delete, doc/xccos.md 3.16; stories and alerts,
 * 3.19)? Kamailio's parser knows only the standard tags, so the lists are
 * read here. */
static int pchat_supports_tag(struct sip_msg *msg, const char *opt)
{
	str tag;
	struct hdr_field *h;
	char *p, *end, *t;
	str v;

	tag.s = (char *)opt;
	tag.len = strlen(opt);
	if(parse_headers(msg, HDR_EOH_F, 0) < 0)
		return 0;
	for(h = msg->headers; h; h = h->next) {
		if(h->type != HDR_SUPPORTED_T)
			continue;
		end = h->body.s + h->body.len;
		for(p = h->body.s; p < end; p = t + 1) {
			for(t = p; t < end && *t != ','; t++)
				;
			v.s = p;
			v.len = (int)(t - p);
			trim(&v);
			if(v.len == tag.len && strncasecmp(v.s, tag.s, tag.len) == 0)
				return 1;
		}
	}
	return 0;
}

/* RFC 4028 from the UAS side, with the client as refresher. Returns the
 * interval, or -1 after answering 422 to an interval below our minimum. */
static int pchat_session_interval(struct sip_msg *msg)
{
	int asked = pchat_hdr_int(msg->session_expires);

	if(asked < 0 || asked >= pchat_session_expires)
		return pchat_session_expires;
	if(asked < pchat_min_se) {
		pchat_reply_hdr(msg, "Min-SE: %d", pchat_min_se);
		pchat_reply(msg, 422, "Session Interval Too Small");
		return -1;
	}
	return asked;
}

static int pchat_timer_hdrs(struct sip_msg *msg, int interval)
{
	if(pchat_reply_hdr(msg, "Session-Expires: %d;refresher=uac", interval) < 0)
		return -1;
	if(pchat_supports_timer(msg)
			&& pchat_reply_hdr(msg, "Require: timer") < 0)
		return -1;
	return 0;
}

/* SDP answer to an IM-style offer (m=message ... sip null). Clients ignore
 * it, strict UAs need one. */
static int pchat_sdp_answer(struct sip_msg *msg)
{
	struct socket_info *si = msg->rcv.bind_address;
	char body[512];
	int len;
	const char *af = si->address.af == AF_INET6 ? "IP6" : "IP4";

	if(msg->content_length == NULL || get_content_length(msg) == 0)
		return 0;
	len = snprintf(body, sizeof(body),
			"v=0\r\no=- 0 0 IN %s %.*s\r\ns=session\r\nc=IN %s %.*s\r\n"
			"t=0 0\r\nm=message %d sip null\r\n",
			af, si->address_str.len, si->address_str.s, af,
			si->address_str.len, si->address_str.s, (int)si->port_no);
	if(len <= 0 || len >= (int)sizeof(body))
		return -1;
	if(pchat_reply_hdr(msg, "Content-Type: application/sdp") < 0)
		return -1;
	return add_lump_rpl(msg, body, len, LUMP_RPL_BODY) ? 0 : -1;
}

static pchat_uri_t *pchat_match_request(struct sip_msg *msg)
{
	pchat_uri_t *u = NULL;
	struct to_body *to;
	struct sip_uri puri;

	if(parse_sip_msg_uri(msg) >= 0)
		u = pchat_uri_match(&msg->parsed_uri.user, &msg->parsed_uri.host);
	if(u == NULL && (to = get_to(msg)) != NULL
			&& parse_uri(to->uri.s, to->uri.len, &puri) >= 0)
		u = pchat_uri_match(&puri.user, &puri.host);
	return u;
}

static void pchat_warning(struct sip_msg *msg, const char *text)
{
	char clean[200];

	pchat_warning_text(clean, sizeof(clean), text);
	pchat_reply_hdr(msg, "Warning: 399 pchat \"%s\"", clean);
}

/* 503 Service Unavailable with Retry-After (seconds) and, when why is set,
 * a Warning saying which bound or outage it is. */
static int pchat_reply_busy(
		struct sip_msg *msg, const char *why, unsigned int retry)
{
	pchat_answer_t a;

	pchat_answer_busy(&a, why, retry);
	return pchat_answer_msg(msg, &a);
}

/* The URI a chat INVITE claims to act for. Behind a front-end
 * (use_asserted_identity set) the front-end has authenticated the client
 * and says who it is in P-Asserted-Identity; the chat node only accepts
 * chat traffic from its front-ends (see cfg/pchat-node.cfg), so that header
 * is trusted there, and an INVITE without it is refused rather than taken
 * at its From. Otherwise the From URI is the user. NULL after answering. */
static str *pchat_claimed_uri(struct sip_msg *msg)
{
	p_id_body_t *pai;

	if(!pchat_use_asserted_identity)
		return &get_from(msg)->uri;
	if(msg->pai == NULL) {
		pchat_warning(msg, "P-Asserted-Identity is required: sign in "
						   "through a front-end");
		pchat_reply(msg, 403, "Forbidden");
		return NULL;
	}
	if(parse_pai_header(msg) < 0 || (pai = get_pai(msg)) == NULL
			|| pai->id == NULL || pai->id->uri.len <= 0) {
		pchat_warning(msg, "malformed P-Asserted-Identity");
		pchat_reply(msg, 400, "Bad P-Asserted-Identity");
		return NULL;
	}
	return &pai->id->uri;
}

/* The canonical identity of a chat INVITE (pchat_identity.h) into buf;
 * its length, or 0 after refusing the request (400 malformed, 403 not a
 * chat user). */
static int pchat_invite_identity(struct sip_msg *msg, char *buf, int size)
{
	const char *why = NULL;
	str *uri;
	int n;

	uri = pchat_claimed_uri(msg);
	if(uri == NULL)
		return 0;
	n = pchat_identity_canon(uri->s, uri->len, buf, size, &why);
	if(n > 0)
		return n;
	LM_INFO("refused identity '%.*s': %s\n", uri->len > 100 ? 100 : uri->len,
			uri->s, why ? why : "?");
	pchat_warning(msg, why ? why : "not a chat identity");
	if(n == PCHAT_ID_REFUSED)
		pchat_reply(msg, 403, "Forbidden");
	else
		pchat_reply(msg, 400, "Bad Request");
	return 0;
}

/* Refuses the INVITE unless the user's policy could be read and enables
 * Persistent Chat. 1 when the user may go on, else 0 after answering. */
static int pchat_invite_policy(struct sip_msg *msg, str *user)
{
	pchat_store_rc_t rc;
	int enabled;

	rc = pchat_policy_enabled(user, &enabled);
	if(rc == PCHAT_STORE_UNAVAILABLE) {
		pchat_reply_busy(msg, NULL, pchat_retry_after);
		return 0;
	}
	if(rc != PCHAT_STORE_OK) {
		LM_ERR("cannot read the policy of %.*s (%d): refusing\n", user->len,
				user->s, rc);
		pchat_reply(msg, 500, "Server Internal Error");
		return 0;
	}
	if(!enabled) {
		pchat_warning(msg, "Persistent Chat is not enabled for this user");
		pchat_reply(msg, 403, "Forbidden");
		return 0;
	}
	return 1;
}

/* Contact, timer, Allow and SDP of a 200 to (re-)INVITE; -1 when any of
 * them could not be built, and then none is left on the reply. */
static int pchat_ok_hdrs(
		struct sip_msg *msg, pchat_uri_t *u, int interval, int sdp)
{
	if(pchat_contact_hdr(msg, u) < 0 || pchat_timer_hdrs(msg, interval) < 0
			|| pchat_reply_hdr(msg, "Allow: " PCHAT_ALLOW) < 0
			|| (sdp && pchat_sdp_answer(msg) < 0)) {
		LM_ERR("cannot build the 200 to %.*s: answering 500\n",
				msg->first_line.u.request.method.len,
				msg->first_line.u.request.method.s);
		del_nonshm_lump_rpl(&msg->reply_lump);
		return -1;
	}
	return 0;
}

/* Answers an INVITE the session bounds refuse: 503 when the node is full
 * (another node may take it), 486 when this user or connection has enough. */
static int pchat_refuse_session(struct sip_msg *msg, pchat_session_refusal_t why)
{
	char text[96];

	switch(why) {
		case PCHAT_SESSION_NODE_FULL:
			snprintf(text, sizeof(text), "max_sessions (%d) reached on this node",
					pchat_max_sessions);
			return pchat_reply_busy(msg, text, pchat_retry_after);
		case PCHAT_SESSION_USER_FULL:
			snprintf(text, sizeof(text),
					"max_sessions_per_user (%d) reached for this user",
					pchat_max_sessions_per_user);
			pchat_warning(msg, text);
			return pchat_reply(msg, 486, "Busy Here");
		case PCHAT_SESSION_CONN_FULL:
			snprintf(text, sizeof(text),
					"max_sessions_per_connection (%d) reached on this "
					"connection",
					pchat_max_sessions_per_conn);
			pchat_warning(msg, text);
			return pchat_reply(msg, 486, "Busy Here");
		default:
			return pchat_reply(msg, 500, "Server Internal Error");
	}
}

/* Behind a front-end (use_asserted_identity: the node takes requests from
 * its front-ends only, see cfg/pchat-node.cfg) a record-routed dialog over
 * TCP/TLS is a client's dialog through that front-end, not a client
 * connected directly. */
static int pchat_via_frontend(struct sip_msg *msg, dlg_t *dlg)
{
	return pchat_use_asserted_identity && dlg->route_set != NULL
		   && (msg->rcv.proto == PROTO_TCP || msg->rcv.proto == PROTO_TLS);
}

static int pchat_answer_invite(struct sip_msg *msg, pchat_uri_t *u)
{
	dlg_t *dlg = NULL;
	int interval, ret;
	pchat_session_refusal_t why;
	char id[PCHAT_IDENTITY_MAX];
	str user;

	ret = pchat_newtran(msg);
	if(ret <= 0)
		return 1;
	/* an administrator drains the node (pchat.pool_state): the client
	 * tries another node; the sessions it has go on */
	if(pchat_pool_state_get() == PCHAT_POOL_DRAIN)
		return pchat_reply_busy(msg,
				"this node drains: sign in through another node of the pool",
				pchat_retry_after);
	interval = pchat_session_interval(msg);
	if(interval < 0)
		return 1;
	if(parse_from_header(msg) < 0) {
		pchat_reply(msg, 400, "Bad From");
		return 1;
	}
	user.s = id;
	user.len = pchat_invite_identity(msg, id, sizeof(id));
	if(user.len == 0 || !pchat_invite_policy(msg, &user))
		return 1;
	/* the 200 is built first: nothing to undo when it cannot be */
	if(pchat_ok_hdrs(msg, u, interval, 1) < 0)
		goto error;
	if(_pchat_tmb.new_dlg_uas(msg, 200, &dlg) < 0 || dlg == NULL) {
		LM_ERR("cannot create dialog for INVITE\n");
		goto error;
	}
	if(pchat_send_set_target(dlg, &msg->rcv) < 0)
		goto error;
	/* the session exists before the 200 leaves, so a fast ACK or INFO
	 * finds it */
	if(pchat_session_add(dlg, &user, u, &msg->rcv, interval,
			   (pchat_via_frontend(msg, dlg) ? PCHAT_SESSION_VIA_FE : 0)
					   | (pchat_supports_tag(msg, PCHAT_MSGUPD_OPTION_TAG)
									   ? PCHAT_SESSION_EXT_MSGUPD
									   : 0)
					   | (pchat_supports_tag(msg, PCHAT_STORY_OPTION_TAG)
									   ? PCHAT_SESSION_EXT_STORY
									   : 0),
			   &why)
			== 0) {
		_pchat_tmb.free_dlg(dlg);
		/* not the 200's headers on a refusal */
		del_nonshm_lump_rpl(&msg->reply_lump);
		return pchat_refuse_session(msg, why);
	}
	return pchat_reply(msg, 200, "OK");
error:
	if(dlg)
		_pchat_tmb.free_dlg(dlg);
	del_nonshm_lump_rpl(&msg->reply_lump);
	pchat_reply(msg, 500, "Server Internal Error");
	return 1;
}

static int pchat_absorb_ack(struct sip_msg *msg)
{
	struct cell *t;

	if(_pchat_tmb.t_check(msg, NULL) == 1) {
		t = _pchat_tmb.t_gett();
		if(t && t != T_UNDEFINED)
			_pchat_tmb.t_release_transaction(t);
	}
	return 1;
}

/* What the XCCOS step needs from a session once its lock is released. */
typedef struct pchat_info_job
{
	pchat_session_ref_t ref;
	pchat_cmd_ctx_t ctx;
	unsigned int queued; /* the session's commands in the store workers */
	char user[256];
} pchat_info_job_t;

/* Called with the session's slot locked. */
static void pchat_info_job_fill(pchat_info_job_t *job, pchat_session_t *s)
{
	memset(&job->ctx, 0, sizeof(job->ctx));
	job->ref.hid = s->hid;
	job->ref.id = s->id;
	job->queued = s->jobs;
	job->ctx.sess_hid = s->hid;
	job->ctx.sess_id = s->id;
	job->ctx.invited = s->uri;
	job->ctx.ext_story = s->ext_story;
	job->ctx.user.len = s->user.len < (int)sizeof(job->user)
								? s->user.len
								: (int)sizeof(job->user);
	memcpy(job->user, s->user.s, job->ctx.user.len);
	job->ctx.user.s = job->user;
}

/* A store worker took or finished one of the session's commands. */
static void pchat_info_job_count(pchat_session_ref_t *ref, int add)
{
	pchat_session_t *s = pchat_session_get(ref);

	if(s == NULL)
		return;
	if(add > 0 || s->jobs > 0)
		s->jobs += add;
	pchat_session_release(s);
}


/* A lone post: the INFO waits (pchat_pending_take) for the writer's commit,
 * so this reader goes on with other connections meanwhile. */
static int pchat_post_defer(struct sip_msg *msg, pchat_post_t *p)
{
	if(!pchat_writer_reserve()) {
		pchat_post_free(p);
		return pchat_reply_busy(
				msg, "the post queue is full", pchat_retry_after);
	}
	if(pchat_pending_take(msg, &p->pend) < 0) {
		pchat_writer_unreserve();
		pchat_post_free(p);
		return pchat_reply(msg, 500, "Server Internal Error");
	}
	pchat_writer_submit(p);
	return 1;
}

/* The SIP answer to a post the writer is done with; the INFO's
 * transaction may be gone (tm's fr_timer answered it): then none. */
static void pchat_post_answer(pchat_post_t *p)
{
	pchat_answer_t a;

	if(p->rc == PCHAT_STORE_OK) {
		pchat_answer_set(&a, 200, "OK");
	} else if(p->rc == PCHAT_STORE_UNAVAILABLE) {
		pchat_answer_busy(&a, NULL, pchat_retry_after);
	} else {
		pchat_answer_set(&a, p->gone ? 404 : 500,
				p->gone ? "Not Found" : "Server Internal Error");
		pchat_answer_warning(&a, p->gone ? "no such room"
										 : "the message could not be stored");
	}
	if(pchat_answer_pending(&a, &p->pend) < 0)
		LM_INFO("post %lld answered already (writer too slow)\n", p->seq);
}

/* The writer's doorbell rang: answer the committed posts and send their
 * copies, in commit order, from this reader. A post's copies to the
 * pool's other nodes leave before its 200: a node that dies right after
 * an acknowledgement has already passed the post on. Its own members'
 * copies come after the 200s of the whole batch, which they need not
 * delay (a batch's last 200 would otherwise wait for every copy before
 * it), still in commit order. */
void pchat_uas_posts_done(void)
{
	pchat_post_t *p, *next;
	pchat_cmd_ctx_t ctx, local;
	pchat_delivery_t **tail = &local.deliveries;

	memset(&local, 0, sizeof(local));
	pchat_writer_done_lock();
	for(p = pchat_writer_take_done(); p; p = next) {
		next = p->next;
		if(p->rc == PCHAT_STORE_OK) {
			pchat_cmd_grpchat_done(&ctx, p);
			pchat_cmd_flush_remote(&ctx);
			for(*tail = ctx.deliveries; *tail; tail = &(*tail)->next)
				;
		}
		pchat_post_answer(p);
		if(p->rc == PCHAT_STORE_OK)
			pchat_writer_ack_record(p);
		pchat_post_free(p);
	}
	pchat_cmd_flush_local(&local);
	pchat_writer_done_unlock();
}

/* Checks and parses an INFO's envelope: 0, or -1 with the refusal in a. */
static int pchat_info_parse(pchat_info_job_t *job, str *body,
		pchat_xccos_env_t *env, pchat_answer_t *a)
{
	const char *why = NULL;
	char big[96];

	if(body->len > pchat_max_body) {
		snprintf(big, sizeof(big), "XCCOS body of %d bytes exceeds %d",
				body->len, pchat_max_body);
		pchat_answer_set(a, 413, "Request Entity Too Large");
		pchat_answer_warning(a, big);
		return -1;
	}
	if(pchat_xccos_parse(body->s, body->len, pchat_max_body, env, &why)
			!= PCHAT_XCCOS_OK) {
		LM_INFO("bad XCCOS from %.*s: %s\n", job->ctx.user.len,
				job->ctx.user.s, why ? why : "?");
		pchat_answer_set(a, 400, "Bad Request");
		pchat_answer_warning(a, why ? why : "malformed XCCOS envelope");
		return -1;
	}
	return 0;
}

static pchat_cmd_rc_t pchat_info_exec(
		pchat_info_job_t *job, pchat_xccos_env_t *env, pchat_xbuf_t *out)
{
	pchat_cmd_rc_t rc;

	pchat_xbuf_init(out);
	job->ctx.sip_code = 0;
	job->ctx.may_defer = 1;
	rc = pchat_cmd_execute(&job->ctx, env, out);
	pchat_xccos_free(env);
	return rc;
}

/* The SIP answer to an envelope that ran. An envelope is not undone when a
 * later message fails: what ran before it stands, so its replies and
 * notices go out after the answer (never a join that no one hears of). */
static void pchat_info_answer(
		pchat_answer_t *a, pchat_cmd_rc_t rc, pchat_cmd_ctx_t *ctx)
{
	if(rc == PCHAT_CMD_UNAVAILABLE) {
		pchat_answer_busy(a, NULL, pchat_retry_after);
	} else if(rc != PCHAT_CMD_OK) {
		pchat_answer_set(a, 500, "Server Internal Error");
	} else if(ctx->sip_code) {
		pchat_answer_set(a, ctx->sip_code, ctx->sip_reason);
		pchat_answer_warning(a, ctx->sip_warning);
	} else {
		pchat_answer_set(a, 200, "OK");
	}
}

/* After the answer: the reply envelope to the client, notices to rooms. */
static void pchat_info_after(pchat_info_job_t *job, pchat_xbuf_t *out)
{
	pchat_session_t *s;
	str body;

	if(out->len > 0) {
		body.s = out->s;
		body.len = out->len;
		s = pchat_session_get(&job->ref);
		if(s) {
			pchat_send_info(s, &body);
			pchat_session_release(s);
		}
	}
	pchat_xbuf_free(out);
	pchat_cmd_flush(&job->ctx);
}

/* A post a store worker ran (it was queued behind the session's other
 * commands): to the writer, with the INFO the reader keeps pending. */
static void pchat_job_post(pchat_job_t *j, pchat_post_t *p)
{
	pchat_answer_t a;

	if(!pchat_writer_reserve()) {
		pchat_post_free(p);
		pchat_answer_busy(&a, "the post queue is full", pchat_retry_after);
		pchat_answer_pending(&a, &j->pend);
		return;
	}
	p->pend = j->pend;
	j->pend.head = NULL; /* the post's now */
	/* its latency counts from the reader's check, the worker's wait in */
	p->made_us = j->made_us;
	pchat_writer_submit(p);
}

/* What a store worker's command sends, for the reader (the reader owns
 * the connections: a send from the worker would borrow each descriptor
 * from tcp_main). 1 handed back, 0 when out of memory (nothing kept). */
static int pchat_job_keep(pchat_job_t *j, pchat_xbuf_t *out, pchat_cmd_ctx_t *ctx)
{
	pchat_delivery_t *d;
	str b;

	if(out->len > 0) {
		j->reply.s = shm_malloc(out->len);
		if(j->reply.s == NULL)
			return 0;
		memcpy(j->reply.s, out->s, out->len);
		j->reply.len = out->len;
	}
	for(d = ctx->deliveries; d; d = d->next) {
		if(d->body.err || d->body.len == 0)
			continue;
		b.s = d->body.s;
		b.len = d->body.len;
		if(pchat_job_add_out(j, d->room_id, d->except_sess, d->seq, &b) < 0)
			return 0;
	}
	return 1;
}

/* The store half of a session's end in a store worker: its part notices
 * are handed back to a reader (1), or sent from here without shm (0). */
static int pchat_uas_run_end(pchat_job_t *j)
{
	pchat_cmd_ctx_t ctx;
	pchat_xbuf_t out;

	memset(&ctx, 0, sizeof(ctx));
	pchat_xbuf_init(&out);
	pchat_session_end_run(&j->body, &ctx);
	if(!pchat_job_keep(j, &out, &ctx)) {
		pchat_cmd_flush(&ctx);
		return 0;
	}
	pchat_cmd_ctx_free(&ctx);
	return 1;
}

/* A session has ended (BYE, expiry): it leaves its rooms in the roster at
 * once; the rest reads and writes MySQL (room names, the compliance PART
 * rows, the notices) and goes to a store worker, behind the session's
 * commands still queued, so a stalled store never holds this process.
 * Without a pool, or with its queue full, it runs here: a PART record is
 * never dropped (the queue full is logged). */
static void pchat_uas_session_ended(pchat_session_t *s)
{
	pchat_cmd_ctx_t ctx;
	pchat_job_t *j;
	str rec;

	if(pchat_session_end_take(s->id, &s->user, s->uri, &rec) <= 0)
		return;
	if(pchat_worker_reserve()) {
		j = pchat_job_new(s->hid, s->id, &rec);
		if(j) {
			j->kind = PCHAT_JOB_SESSION_END;
			pchat_worker_submit(j);
			pkg_free(rec.s);
			return;
		}
		pchat_worker_unreserve();
	} else if(pchat_worker_enabled()) {
		LM_WARN("the store workers' queue is full (store_queue_size): the "
				"end of session %u of %.*s runs in this process\n",
				s->id, s->user.len, s->user.s);
	}
	memset(&ctx, 0, sizeof(ctx));
	pchat_session_end_run(&rec, &ctx);
	pchat_cmd_flush(&ctx);
	pkg_free(rec.s);
}

/* A store worker runs one INFO's envelope (pchat_worker.h), or a
 * session's end: 1 when the results are handed back to a reader, 0 when
 * it is done here. */
static int pchat_uas_run_job(pchat_job_t *j)
{
	pchat_session_ref_t ref = {j->sess_hid, j->sess_id};
	pchat_info_job_t job;
	pchat_session_t *s;
	pchat_xccos_env_t env;
	pchat_xbuf_t out;
	pchat_cmd_rc_t rc;
	int back = 1;

	if(j->kind == PCHAT_JOB_SESSION_END)
		return pchat_uas_run_end(j);
	s = pchat_session_get(&ref);
	if(s == NULL) {
		pchat_answer_set(&j->answer, 481, "Call/Transaction Does Not Exist");
		return 1;
	}
	pchat_info_job_fill(&job, s);
	pchat_session_release(s);
	if(pchat_info_parse(&job, &j->body, &env, &j->answer) == 0) {
		rc = pchat_info_exec(&job, &env, &out);
		if(rc == PCHAT_CMD_OK && job.ctx.post) {
			pchat_xbuf_free(&out);
			pchat_job_post(j, job.ctx.post);
			back = 0;
		} else {
			pchat_info_answer(&j->answer, rc, &job.ctx);
			if(!pchat_job_keep(j, &out, &job.ctx)) {
				/* no shm for the copies: send from here */
				pchat_answer_pending(&j->answer, &j->pend);
				pchat_info_after(&job, &out);
				back = 0;
			} else {
				pchat_xbuf_free(&out);
				pchat_cmd_ctx_free(&job.ctx);
			}
		}
	}
	/* the session's next command may start: its results follow these */
	pchat_info_job_count(&ref, -1);
	return back;
}

/* A store worker's doorbell rang: answer its commands and send what they
 * send, in order, from this reader. */
static void pchat_uas_jobs_done(void)
{
	pchat_session_ref_t ref;
	pchat_job_t *j, *next;
	pchat_job_out_t *o;
	pchat_session_t *s;

	pchat_worker_done_lock();
	for(j = pchat_worker_take_done(); j; j = next) {
		next = j->next;
		/* as for posts: the other nodes' copies before the answer */
		for(o = j->outs; o; o = o->next)
			pchat_pool_fanout_remote(o->room_id, &o->body, o->seq);
		if(j->kind == PCHAT_JOB_INFO
				&& pchat_answer_pending(&j->answer, &j->pend)
						   < 0)
			LM_INFO("a command of session %u was answered already (store "
					"worker too slow)\n",
					j->sess_id);
		if(j->reply.len > 0) {
			ref.hid = j->sess_hid;
			ref.id = j->sess_id;
			s = pchat_session_get(&ref);
			if(s) {
				pchat_send_info(s, &j->reply);
				pchat_session_release(s);
			}
		}
		for(o = j->outs; o; o = o->next)
			pchat_pool_fanout_local(o->room_id, &o->body, o->except_sess, o->seq);
		pchat_worker_finish(j);
	}
	pchat_worker_done_unlock();
}

/* The INFO waits (pchat_pending_take) for a store worker. */
static int pchat_info_to_worker(
		struct sip_msg *msg, pchat_info_job_t *job, str *body)
{
	pchat_job_t *j;

	if(!pchat_worker_reserve())
		return pchat_reply_busy(msg,
				"the store workers' queue is full (store_queue_size)",
				pchat_retry_after);
	j = pchat_job_new(job->ref.hid, job->ref.id, body);
	if(j == NULL || pchat_pending_take(msg, &j->pend) < 0) {
		pchat_worker_unreserve();
		if(j)
			pchat_job_free(j);
		return pchat_reply(msg, 500, "Server Internal Error");
	}
	/* counted before a worker can take it and count it down */
	pchat_info_job_count(&job->ref, 1);
	pchat_worker_submit(j);
	return 1;
}

/* A post alone in its envelope is run in the reader from the node's
 * caches; all else may wait for MySQL. */
static int pchat_info_is_lone_post(pchat_xccos_env_t *env)
{
	return env->nmsgs == 1 && env->msgs[0].kind == PCHAT_XMSG_GRPCHAT;
}

static int pchat_handle_info(struct sip_msg *msg, pchat_info_job_t *job)
{
	pchat_xccos_env_t env;
	pchat_answer_t a;
	pchat_xbuf_t out;
	pchat_cmd_rc_t rc;
	str body;

	body.s = get_body(msg);
	body.len = body.s ? msg->len - (int)(body.s - msg->buf) : 0;
	if(pchat_info_parse(job, &body, &env, &a) < 0)
		return pchat_answer_msg(msg, &a);
	/* behind a command of the session in a worker, even a post waits */
	if(pchat_worker_enabled()
			&& (job->queued || !pchat_info_is_lone_post(&env))) {
		pchat_xccos_free(&env);
		return pchat_info_to_worker(msg, job, &body);
	}
	/* with workers the reader never waits for MySQL: a post whose room
	 * answer is not cached goes to a worker, which caches it */
	pchat_db_nowait(pchat_worker_enabled());
	rc = pchat_info_exec(job, &env, &out);
	pchat_db_nowait(0);
	if(rc == PCHAT_CMD_WOULD_WAIT) {
		counter_inc(_pchat_posts_uncached);
		pchat_xbuf_free(&out);
		pchat_cmd_ctx_free(&job->ctx);
		return pchat_info_to_worker(msg, job, &body);
	}
	if(rc == PCHAT_CMD_OK && job->ctx.post) {
		pchat_xbuf_free(&out);
		return pchat_post_defer(msg, job->ctx.post);
	}
	pchat_info_answer(&a, rc, &job->ctx);
	pchat_answer_msg(msg, &a);
	pchat_info_after(job, &out);
	return 1;
}

static void pchat_refresh(pchat_session_t *s, int interval)
{
	s->interval = interval;
	s->expires = pchat_session_now() + interval;
}

/* Records the remote CSeq of an in-dialog request and, for target
 * refreshes, the new Contact. Unlike tm's dlg_request_uas() it keeps the
 * destination we send to (the client's own connection). Returns 1, 0 for
 * an out-of-order CSeq, -1 for a malformed request. */
static int pchat_dialog_update(
		pchat_session_t *s, struct sip_msg *msg, int refresh)
{
	dlg_t *dlg = s->dlg;
	unsigned int cseq;
	str contact = STR_NULL, dup;

	if(str2int(&get_cseq(msg)->number, &cseq) < 0)
		return -1;
	if(dlg->rem_seq.is_set && cseq <= dlg->rem_seq.value)
		return 0;
	if(refresh && msg->contact) {
		if(parse_contact(msg->contact) < 0
				|| ((contact_body_t *)msg->contact->parsed)->contacts == NULL)
			return -1;
		contact = ((contact_body_t *)msg->contact->parsed)->contacts->uri;
	}
	if(contact.len > 0
			&& (contact.len != dlg->rem_target.len
					|| memcmp(contact.s, dlg->rem_target.s, contact.len))) {
		if(shm_str_dup(&dup, &contact) < 0)
			return -1;
		shm_free(dlg->rem_target.s);
		dlg->rem_target = dup;
		if(_pchat_tmb.calculate_hooks(dlg) < 0)
			return -1;
		pchat_deliver_forget(s); /* our INFOs go to the new target */
	}
	dlg->rem_seq.value = cseq;
	dlg->rem_seq.is_set = 1;
	return 1;
}

/* Answers an INFO over the session's max_infos_per_second: 503 with the
 * seconds until its bucket holds a token again; before the body is parsed,
 * so a flood costs no XML and no store work. The session stays. */
static int pchat_refuse_info(struct sip_msg *msg, unsigned int wait)
{
	char text[96];

	counter_inc(_pchat_infos_limited);
	snprintf(text, sizeof(text),
			"max_infos_per_second (%d, burst %d) exceeded by this session",
			pchat_max_infos_per_second, pchat_max_infos_burst);
	return pchat_reply_busy(msg, text, wait);
}

/* In-dialog request for a known session; the session's slot is locked on
 * entry and released here. */
static int pchat_handle_indialog(struct sip_msg *msg, pchat_session_t *s)
{
	pchat_info_job_t job;
	int interval, ret;
	unsigned int method = msg->REQ_METHOD, wait = 1;

	ret = pchat_begin(msg);
	if(ret <= 0) {
		pchat_session_release(s);
		return 1;
	}
	ret = pchat_dialog_update(s, msg,
			method == METHOD_INVITE || method == METHOD_UPDATE);
	if(ret < 0) {
		pchat_session_release(s);
		return pchat_reply(msg, 400, "Bad Request");
	}
	if(ret == 0) {
		/* RFC 3261 12.2.2: a CSeq lower than one already seen */
		pchat_session_release(s);
		return pchat_reply(msg, 500, "CSeq Out of Order");
	}
	switch(method) {
		case METHOD_BYE:
			pchat_session_unlink(s);
			pchat_session_release(s);
			LM_DBG("session %u ended by client BYE\n", s->id);
			ret = pchat_reply(msg, 200, "OK");
			pchat_uas_session_ended(s);
			pchat_session_free(s);
			return ret;
		case METHOD_INVITE:
		case METHOD_UPDATE:
			interval = pchat_session_interval(msg);
			if(interval < 0) {
				pchat_session_release(s);
				return 1;
			}
			pchat_refresh(s, interval);
			ret = pchat_ok_hdrs(msg, s->uri, interval, method == METHOD_INVITE);
			pchat_session_release(s);
			if(ret < 0)
				return pchat_reply(msg, 500, "Server Internal Error");
			return pchat_reply(msg, 200, "OK");
		case METHOD_INFO:
			/* any request is activity (doc/xccos.md §1.7) */
			pchat_refresh(s, s->interval);
			if(!pchat_rate_take(&s->info_rate,
					   (unsigned int)pchat_max_infos_per_second,
					   (unsigned int)pchat_max_infos_burst, get_ticks_raw(),
					   TIMER_TICKS_HZ, &wait)) {
				pchat_session_release(s);
				return pchat_refuse_info(msg, wait);
			}
			pchat_info_job_fill(&job, s);
			pchat_session_release(s);
			return pchat_handle_info(msg, &job);
		case METHOD_OPTIONS:
			pchat_session_release(s);
			pchat_reply_hdr(msg, "Allow: " PCHAT_ALLOW);
			return pchat_reply(msg, 200, "OK");
		default:
			pchat_session_release(s);
			pchat_reply_hdr(msg, "Allow: " PCHAT_ALLOW);
			return pchat_reply(msg, 405, "Method Not Allowed");
	}
}

/* A request with a To-tag. */
static int pchat_handle_dialog_request(struct sip_msg *msg)
{
	pchat_session_t *s;
	struct to_body *from, *to;

	if(parse_from_header(msg) < 0 || msg->callid == NULL)
		return -1;
	from = get_from(msg);
	to = get_to(msg);
	s = pchat_session_lookup(
			&msg->callid->body, &from->tag_value, &to->tag_value, &msg->rcv);
	if(msg->REQ_METHOD == METHOD_ACK) {
		if(s == NULL && pchat_match_request(msg) == NULL)
			return -1;
		if(s)
			pchat_session_release(s);
		return pchat_absorb_ack(msg);
	}
	if(s)
		return pchat_handle_indialog(msg, s);
	if(pchat_match_request(msg) == NULL)
		return -1;
	/* ours, but unknown or expired: the client restarts from the lookup */
	if(pchat_begin(msg) <= 0)
		return 1;
	return pchat_reply(msg, 481, "Call/Transaction Does Not Exist");
}

int pchat_uas_handle(struct sip_msg *msg)
{
	pchat_uri_t *u;
	struct to_body *to;

	if(msg->first_line.type != SIP_REQUEST)
		return -1;
	if(parse_headers(msg, HDR_EOH_F, 0) < 0 || msg->callid == NULL
			|| msg->cseq == NULL || msg->from == NULL || msg->to == NULL) {
		LM_DBG("not a complete SIP request\n");
		return -1;
	}
	to = get_to(msg);
	if(to->tag_value.len > 0)
		return pchat_handle_dialog_request(msg);

	u = pchat_match_request(msg);
	if(u == NULL)
		return -1;
	switch(msg->REQ_METHOD) {
		case METHOD_INVITE:
			return pchat_answer_invite(msg, u);
		case METHOD_ACK:
			return pchat_absorb_ack(msg);
		case METHOD_CANCEL:
			/* our INVITEs are answered at once: nothing left to cancel */
			if(pchat_newtran(msg) <= 0)
				return 1;
			return pchat_reply(msg, 481, "Call/Transaction Does Not Exist");
		case METHOD_OPTIONS:
			if(pchat_newtran(msg) <= 0)
				return 1;
			pchat_reply_hdr(msg, "Allow: " PCHAT_ALLOW);
			return pchat_reply(msg, 200, "OK");
		default:
			if(pchat_newtran(msg) <= 0)
				return 1;
			pchat_reply_hdr(msg, "Allow: " PCHAT_ALLOW);
			return pchat_reply(msg, 405, "Method Not Allowed");
	}
}

void pchat_uas_expire_timer(unsigned int ticks, void *param)
{
	pchat_session_t *s, *next;

	pchat_session_end_closed();
	for(s = pchat_session_take_expired(pchat_session_now()); s; s = next) {
		next = s->next;
		if(s->interval > 0) {
			LM_INFO("session %u of %.*s expired after %us without refresh: "
					"sending BYE\n",
					s->id, s->user.len, s->user.s,
					s->interval);
			pchat_send_bye(s);
		}
		pchat_uas_session_ended(s);
		pchat_session_free(s);
	}
}

/* A doorbell (the writer's, a store worker's or the pool's), known by the
 * connection it came over, is consumed here: 1; anything else 0. */
int pchat_uas_bell_rcv(struct receive_info *rcv)
{
	if(!pchat_bell_is_bell(rcv))
		return 0;
	pchat_uas_posts_done();
	pchat_uas_jobs_done();
	pchat_pool_inbox_run();
	return 1;
}

/* Pre-script callback: a doorbell is taken before the script (0 drops
 * it); every other request goes on (1). */
int pchat_uas_bell(struct sip_msg *msg, unsigned int flags, void *param)
{
	return !pchat_uas_bell_rcv(&msg->rcv);
}
