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
/* Commands layer: the XCCOS command table, running one client envelope
 * into its reply, the queue of room deliveries, the one error reply.
 * Never parses SIP: the UAS hands it an envelope. */

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "core/atomic_ops.h"
#include "core/dprint.h"
#include "core/mem/pkg.h"
#include "core/mem/shm.h"

#include "pchat_cmd_room.h"
#include "pchat_fanout.h"
#include "pchat_pool.h"

#include "pchat_cmd.h"
#include "pchat_mod.h"
#include "pchat_config.h"

/* Server envelope ids: one counter for the whole server, so ids never
 * repeat across processes; seeded with the start time like the real
 * server's large values. */
static atomic_t *_pchat_envid = NULL;

int pchat_cmd_init(void)
{
	_pchat_envid = shm_malloc(sizeof(atomic_t));
	if(_pchat_envid == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	/* below 2^31 so that the int counter stays positive for long */
	atomic_set(_pchat_envid, (int)(time(NULL) % 1000000) * 1000);
	return 0;
}

unsigned long long pchat_cmd_next_envid(void)
{
	return (unsigned int)atomic_add(_pchat_envid, 1);
}

pchat_xbuf_t *pchat_cmd_deliver(
		pchat_cmd_ctx_t *ctx, long long room_id, unsigned int except_sess)
{
	pchat_delivery_t *d, **tail;

	d = pkg_mallocxz(sizeof(*d));
	if(d == NULL) {
		PKG_MEM_ERROR;
		return NULL;
	}
	d->room_id = room_id;
	d->except_sess = except_sess;
	pchat_xbuf_init(&d->body);
	for(tail = &ctx->deliveries; *tail; tail = &(*tail)->next)
		;
	*tail = d;
	return &d->body;
}

pchat_xbuf_t *pchat_cmd_deliver_post(
		pchat_cmd_ctx_t *ctx, long long room_id, long long seq)
{
	pchat_xbuf_t *b = pchat_cmd_deliver(ctx, room_id, 0);
	pchat_delivery_t *d;

	if(b == NULL)
		return NULL;
	for(d = ctx->deliveries; d->next; d = d->next)
		; /* the one just queued */
	d->seq = seq;
	return b;
}

/* Each queued delivery to the other nodes (remote), or to this node. */
static void pchat_cmd_send(pchat_cmd_ctx_t *ctx, int remote)
{
	pchat_delivery_t *d;
	str body;

	for(d = ctx->deliveries; d; d = d->next) {
		if(d->body.err || d->body.len == 0)
			continue;
		body.s = d->body.s;
		body.len = d->body.len;
		if(remote)
			pchat_pool_fanout_remote(d->room_id, &body, d->seq);
		else
			pchat_pool_fanout_local(d->room_id, &body, d->except_sess, d->seq);
	}
}

void pchat_cmd_flush_remote(pchat_cmd_ctx_t *ctx)
{
	pchat_cmd_send(ctx, 1);
}

void pchat_cmd_flush_local(pchat_cmd_ctx_t *ctx)
{
	pchat_cmd_send(ctx, 0);
	pchat_cmd_ctx_free(ctx);
}

void pchat_cmd_flush(pchat_cmd_ctx_t *ctx)
{
	pchat_cmd_flush_remote(ctx);
	pchat_cmd_flush_local(ctx);
}

void pchat_cmd_ctx_free(pchat_cmd_ctx_t *ctx)
{
	pchat_delivery_t *d, *next;

	for(d = ctx->deliveries; d; d = next) {
		next = d->next;
		pchat_xbuf_free(&d->body);
		pkg_free(d);
	}
	ctx->deliveries = NULL;
}

pchat_cmd_rc_t pchat_cmd_sip_error(pchat_cmd_ctx_t *ctx, int code,
		const char *reason, const char *warning)
{
	ctx->sip_code = code;
	snprintf(ctx->sip_reason, sizeof(ctx->sip_reason), "%s", reason);
	snprintf(ctx->sip_warning, sizeof(ctx->sip_warning), "%s", warning);
	return PCHAT_CMD_OK;
}

long long pchat_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* cmd:requri - hand out the chat-service URI of the invited domain. */
static pchat_cmd_rc_t pchat_cmd_requri(pchat_cmd_ctx_t *ctx,
		pchat_xccos_env_t *env, pchat_xmsg_t *m, pchat_xbuf_t *out)
{
	pchat_uri_t *svc = pchat_uri_service_for(ctx->invited);

	pchat_xw_rpl_start(out, "requri", m->seqid, env->envid, 200,
			pchat_xccos_token(200));
	pchat_xw_start(out, "uib");
	pchat_xw_attrn(out, "uri", svc->uri.s, svc->uri.len);
	pchat_xw_end(out, "uib");
	pchat_xw_rpl_end(out);
	return PCHAT_CMD_OK;
}

/* cmd:getserverinfo - limits and identifiers, read from the store so that
 * an operator's change applies without a restart. */
static pchat_cmd_rc_t pchat_cmd_getserverinfo(pchat_cmd_ctx_t *ctx,
		pchat_xccos_env_t *env, pchat_xmsg_t *m, pchat_xbuf_t *out)
{
	pchat_server_config_t cfg;
	pchat_store_rc_t rc;
	xmlNodePtr sib;
	const char *info_type = NULL, *domain = NULL;
	char ts[40], root[256];

	rc = pchat_store_server_config(&cfg);
	if(rc == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	if(rc != PCHAT_STORE_OK) {
		pchat_xw_rpl_start(out, "getserverinfo", m->seqid, env->envid, 500,
				pchat_xccos_token(500));
		pchat_xw_rpl_end(out);
		return PCHAT_CMD_OK;
	}
	sib = m->data ? pchat_xccos_child(m->data, "sib") : NULL;
	if(sib) {
		info_type = pchat_xccos_attr(sib, "infoType");
		domain = pchat_xccos_attr(sib, "domain");
	}
	if(domain == NULL || domain[0] == '\0')
		snprintf(root, sizeof(root), "ma-cat://%.*s/%s",
				ctx->invited->host.len, ctx->invited->host.s,
				cfg.root_category_guid);
	else /* the guid stays whole, the domain is cut between characters */
		snprintf(root, sizeof(root), "ma-cat://%.*s/%s",
				pchat_xccos_utf8_prefix(domain,
						(int)sizeof(root) - 11
								- (int)strlen(cfg.root_category_guid)),
				domain, cfg.root_category_guid);
	pchat_xccos_format_ts(ts, pchat_now_ms());

	pchat_xw_rpl_start(out, "getserverinfo", m->seqid, env->envid, 200,
			pchat_xccos_token(200));
	pchat_xw_start(out, "sib");
	if(info_type)
		pchat_xw_attr(out, "infoType", info_type);
	pchat_xw_attr(out, "serverTime", ts);
	pchat_xw_attr_int(out, "searchLimit", cfg.search_limit);
	pchat_xw_attr_int(out, "messageSizeLimit", cfg.message_size_limit);
	pchat_xw_attr_int(out, "storySizeLimit", cfg.story_size_limit);
	pchat_xw_attr(out, "rootUri", root);
	pchat_xw_attr(out, "dbVersion", cfg.db_version);
	pchat_xw_end(out, "sib");
	pchat_xw_rpl_end(out);
	return PCHAT_CMD_OK;
}

typedef pchat_cmd_rc_t (*pchat_cmd_f)(pchat_cmd_ctx_t *ctx,
		pchat_xccos_env_t *env, pchat_xmsg_t *m, pchat_xbuf_t *out);

typedef struct pchat_cmd_def
{
	const char *name;
	pchat_cmd_f f;
} pchat_cmd_def_t;

static pchat_cmd_def_t _pchat_cmds[] = {
	{"requri", pchat_cmd_requri},
	{"getserverinfo", pchat_cmd_getserverinfo},
	{"join", pchat_cmd_join},
	{"bjoin", pchat_cmd_bjoin},
	{"part", pchat_cmd_part},
	{"bccontext", pchat_cmd_bccontext},
	{"chansrch", pchat_cmd_chansrch},
	{"getinv", pchat_cmd_getinv},
	{"nodespermcreatechild", pchat_cmd_nodespermcreatechild},
	{"getpref", pchat_cmd_getpref},
	{"setpref", pchat_cmd_setpref},
	{"getfutok", pchat_cmd_getftok},
	{"getfdtok", pchat_cmd_getftok},
	{"msgedit", pchat_cmd_msgedit}, /* pchat extension, doc/xccos.md 3.16 */
	{"msgdel", pchat_cmd_msgdel},
	{"chatsrch", pchat_cmd_chatsrch}, /* history search, doc/xccos.md 3.17 */
	{"follow", pchat_cmd_follow}, /* followed rooms, doc/xccos.md 3.18 */
	{"unfollow", pchat_cmd_unfollow},
	{"followread", pchat_cmd_followread},
	{"followlist", pchat_cmd_followlist},
	{NULL, NULL}
};

/* The reply name for a message we cannot serve: its own name, so that the
 * client can correlate it ("cmd:foo" -> "rpl:foo"). */
static const char *pchat_reply_name(pchat_xmsg_t *m)
{
	const char *colon;

	if(m->kind == PCHAT_XMSG_GRPCHAT)
		return "grpchat";
	colon = strchr(m->id, ':');
	if(colon && colon[1] != '\0')
		return colon + 1;
	return m->id[0] ? m->id : "unknown";
}

void pchat_cmd_rpl_error(pchat_xccos_env_t *env, pchat_xmsg_t *m,
		const char *name, int code, const char *why, pchat_xbuf_t *out)
{
	pchat_xw_rpl_start(out, name, m->seqid, env->envid, code,
			pchat_xccos_token(code));
	if(why) {
		/* the token is what clients show; the reason goes beside it */
		pchat_xw_start(out, "error");
		pchat_xw_text(out, why, strlen(why));
		pchat_xw_end(out, "error");
	}
	pchat_xw_rpl_end(out);
}

void pchat_xmark(pchat_xbuf_t *b, pchat_xmark_t *mk)
{
	mk->len = b->len;
	mk->open_tag = b->open_tag;
	mk->depth = b->depth;
}

void pchat_xrewind(pchat_xbuf_t *b, pchat_xmark_t *mk)
{
	b->len = mk->len;
	b->open_tag = mk->open_tag;
	b->depth = mk->depth;
	if(b->s)
		b->s[b->len] = '\0';
}

/* Replies copy the id and seqid of each message: a long one would make a
 * reply as large as the request times the messages, so they are bounded
 * before anything runs. NULL when all are fine. */
static const char *pchat_cmd_check_ids(pchat_xccos_env_t *env)
{
	int i;

	for(i = 0; i < env->nmsgs; i++) {
		if(strlen(env->msgs[i].id) > PCHAT_CMD_ID_MAX)
			return "a message id is longer than 64 bytes";
		if(strlen(env->msgs[i].seqid) > PCHAT_CMD_SEQID_MAX)
			return "a message seqid is longer than 32 bytes";
	}
	return NULL;
}

/* What the error reply of each message takes, so that however much the
 * earlier commands return, every later one can still be answered. */
static int pchat_cmd_reserve(
		pchat_xccos_env_t *env, int *reserve, pchat_xbuf_t *scratch)
{
	int i;

	for(i = env->nmsgs - 1; i >= 0; i--) {
		reserve[i] = i + 1 < env->nmsgs ? reserve[i + 1] : 0;
		if(env->msgs[i].kind == PCHAT_XMSG_GRPCHAT)
			continue;
		scratch->len = 0;
		pchat_cmd_rpl_error(env, &env->msgs[i],
				pchat_reply_name(&env->msgs[i]), 413, PCHAT_CMD_TOO_BIG,
				scratch);
		if(scratch->err)
			return -1;
		reserve[i] += scratch->len;
	}
	return 0;
}

/* One cmd (not a post): its rpl, or a 413 when it does not fit. */
static pchat_cmd_rc_t pchat_cmd_one(pchat_cmd_ctx_t *ctx,
		pchat_xccos_env_t *env, pchat_xmsg_t *m, pchat_xbuf_t *out)
{
	pchat_cmd_def_t *d;
	const char *name;
	pchat_xmark_t mk;
	pchat_cmd_rc_t rc;

	if(m->kind != PCHAT_XMSG_CMD) {
		pchat_cmd_rpl_error(env, m, pchat_reply_name(m), 400,
				"clients send cmd or grpchat, not rpl or ntc", out);
		return PCHAT_CMD_OK;
	}
	name = pchat_xccos_name(m->id, "cmd:");
	if(name == NULL || name[0] == '\0') {
		pchat_cmd_rpl_error(env, m, pchat_reply_name(m), 400,
				"cmd without a cmd:<name> id", out);
		return PCHAT_CMD_OK;
	}
	for(d = _pchat_cmds; d->name; d++) {
		if(strcmp(d->name, name) == 0)
			break;
	}
	if(d->name == NULL) {
		pchat_cmd_rpl_error(
				env, m, pchat_reply_name(m), 501, "unknown command", out);
		return PCHAT_CMD_OK;
	}
	pchat_xmark(out, &mk);
	rc = d->f(ctx, env, m, out);
	if(rc != PCHAT_CMD_OK) {
		pchat_xrewind(out, &mk); /* no half-written rpl */
		return rc;
	}
	if(out->len > ctx->reply_limit) {
		/* commands with effects (join, bjoin) fit by construction; the
		 * others have none, and say why they answer nothing */
		pchat_xrewind(out, &mk);
		pchat_cmd_rpl_error(
				env, m, pchat_reply_name(m), 413, PCHAT_CMD_TOO_BIG, out);
	}
	return PCHAT_CMD_OK;
}

/* Runs the messages in order. A message that fails at SIP level (a
 * refused post) or for want of storage stops the envelope there: what ran
 * before it stands, so its replies stay in out and its notices stay
 * queued; the caller sends both after the SIP answer. */
pchat_cmd_rc_t pchat_cmd_execute(pchat_cmd_ctx_t *ctx, pchat_xccos_env_t *env,
		pchat_xbuf_t *out)
{
	int reserve[PCHAT_XCCOS_MAX_MSGS];
	pchat_xbuf_t scratch;
	pchat_cmd_rc_t rc = PCHAT_CMD_OK;
	const char *bad;
	pchat_xmsg_t *m;
	int i, replies = 0;

	if((bad = pchat_cmd_check_ids(env)) != NULL)
		return pchat_cmd_sip_error(ctx, 400, "Bad Request", bad);
	pchat_xbuf_init(&scratch);
	i = pchat_cmd_reserve(env, reserve, &scratch);
	pchat_xbuf_free(&scratch);
	if(i < 0)
		return PCHAT_CMD_ERROR;
	if(env->nmsgs > 0 && reserve[0] + 128 > pchat_max_reply)
		return pchat_cmd_sip_error(ctx, 413, "Request Entity Too Large",
				"even error replies to this envelope would exceed "
				"max_reply_size");
	pchat_xw_env_start(out, pchat_cmd_next_envid());
	for(i = 0; i < env->nmsgs; i++) {
		m = &env->msgs[i];
		/* room for "</xccos>" and the error replies of those after */
		ctx->reply_limit = pchat_max_reply - 16
						   - (i + 1 < env->nmsgs ? reserve[i + 1] : 0);
		if(m->kind == PCHAT_XMSG_GRPCHAT) {
			/* answered at SIP level: no rpl */
			rc = pchat_cmd_grpchat(ctx, env, m, out);
		} else {
			replies++;
			rc = pchat_cmd_one(ctx, env, m, out);
		}
		if(rc != PCHAT_CMD_OK || ctx->sip_code) {
			if(m->kind != PCHAT_XMSG_GRPCHAT)
				replies--;
			break;
		}
	}
	pchat_xw_env_end(out);
	if(replies == 0 || out->err)
		out->len = 0; /* only posts: nothing to send back */
	if(rc == PCHAT_CMD_OK && out->err)
		rc = PCHAT_CMD_ERROR;
	return rc;
}
