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

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "core/atomic_ops.h"
#include "core/dprint.h"
#include "core/mem/pkg.h"
#include "core/mem/shm.h"

#include "pchat_cmd_room.h"
#include "pchat_fanout.h"

#include "pchat_cmd.h"
#include "pchat_store.h"

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

void pchat_cmd_flush(pchat_cmd_ctx_t *ctx)
{
	pchat_delivery_t *d;
	str body;

	for(d = ctx->deliveries; d; d = d->next) {
		if(d->body.err || d->body.len == 0)
			continue;
		body.s = d->body.s;
		body.len = d->body.len;
		pchat_fanout_room(d->room_id, &body, d->except_sess);
	}
	pchat_cmd_ctx_free(ctx);
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

static long long pchat_now_ms(void)
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
	else
		snprintf(root, sizeof(root), "ma-cat://%s/%s", domain,
				cfg.root_category_guid);
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

static void pchat_cmd_error(pchat_xccos_env_t *env, pchat_xmsg_t *m,
		int code, const char *detail, pchat_xbuf_t *out)
{
	pchat_xw_rpl_start(out, pchat_reply_name(m), m->seqid, env->envid, code,
			pchat_xccos_token(code));
	if(detail) {
		/* the token is what clients show; the reason goes beside it */
		pchat_xw_start(out, "error");
		pchat_xw_text(out, detail, strlen(detail));
		pchat_xw_end(out, "error");
	}
	pchat_xw_rpl_end(out);
}

pchat_cmd_rc_t pchat_cmd_execute(pchat_cmd_ctx_t *ctx, pchat_xccos_env_t *env,
		pchat_xbuf_t *out)
{
	pchat_cmd_def_t *d;
	pchat_xmsg_t *m;
	const char *name;
	pchat_cmd_rc_t rc;
	int i;

	int replies = 0;

	pchat_xw_env_start(out, pchat_cmd_next_envid());
	for(i = 0; i < env->nmsgs; i++) {
		m = &env->msgs[i];
		if(m->kind == PCHAT_XMSG_GRPCHAT) {
			/* answered at SIP level: no rpl */
			rc = pchat_cmd_grpchat(ctx, env, m, out);
			if(rc != PCHAT_CMD_OK || ctx->sip_code)
				return rc;
			continue;
		}
		replies++;
		if(m->kind != PCHAT_XMSG_CMD) {
			pchat_cmd_error(env, m, 400,
					"clients send cmd or grpchat, not rpl or ntc", out);
			continue;
		}
		name = pchat_xccos_name(m->id, "cmd:");
		if(name == NULL || name[0] == '\0') {
			pchat_cmd_error(env, m, 400, "cmd without a cmd:<name> id", out);
			continue;
		}
		for(d = _pchat_cmds; d->name; d++) {
			if(strcmp(d->name, name) == 0)
				break;
		}
		if(d->name == NULL) {
			pchat_cmd_error(env, m, 501, "unknown command", out);
			continue;
		}
		rc = d->f(ctx, env, m, out);
		if(rc != PCHAT_CMD_OK)
			return rc;
	}
	pchat_xw_env_end(out);
	if(replies == 0)
		out->len = 0; /* only posts: nothing to send back */
	return out->err ? PCHAT_CMD_ERROR : PCHAT_CMD_OK;
}
