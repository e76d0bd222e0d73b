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
/* Commands layer: the author edit/delete extension (issue 15 point 6,
 * doc/xccos.md 3.16): cmd:msgedit and cmd:msgdel change one's own post
 * within edit_window_s, record the change for compliance in the same
 * transaction and tell the room's declared sessions (ntc:msgupd). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dprint.h"
#include "core/mem/pkg.h"

#include "pchat_cmd_room.h"
#include "pchat_cmd_story.h"
#include "pchat_access.h"
#include "pchat_compliance.h"
#include "pchat_config.h"
#include "pchat_session.h"

/* The request: <msg chanUri="ma-chan://D/G" msgid="N"><chat>new</chat></msg> */
typedef struct pchat_msgupd
{
	int del;
	const char *name; /* the reply's: "msgedit" or "msgdel" */
	char guid[64];
	char chan_uri[256];
	long long seq;
	xmlChar *text; /* edit: the new text */
	long long now;
	pchat_db_res_t res; /* the stored message, locked */
	char **row;         /* its row in res once changed */
	int chars;          /* edit: characters of the new text */
	char why[128];      /* a refusal's reason when it has numbers */
} pchat_msgupd_t;

/* A message number as the client saw it in msgid: 1-18 digits. */
static long long pchat_msgupd_seq(const char *v)
{
	long long n = 0;
	int i;

	if(v == NULL || v[0] == '\0')
		return 0;
	for(i = 0; v[i]; i++) {
		if(v[i] < '0' || v[i] > '9' || i >= 18)
			return 0;
		n = n * 10 + (v[i] - '0');
	}
	return n;
}

/* Reads the request into u; NULL, or why it is malformed (400). */
static const char *pchat_msgupd_parse(pchat_msgupd_t *u, pchat_xmsg_t *m)
{
	xmlNodePtr msg = m->data ? pchat_xccos_child(m->data, "msg") : NULL;
	xmlNodePtr chat;

	if(msg == NULL)
		return "no msg element";
	if(pchat_room_guid_of_uri(pchat_xccos_attr(msg, "chanUri"), u->guid,
			   sizeof(u->guid))
			< 0)
		return "msg chanUri is not ma-chan://";
	u->seq = pchat_msgupd_seq(pchat_xccos_attr(msg, "msgid"));
	if(u->seq <= 0)
		return "msg needs the msgid of the message (a positive number)";
	if(u->del)
		return NULL;
	chat = pchat_xccos_child(msg, "chat");
	if(chat == NULL)
		return "msgedit needs a chat element with the new text";
	u->text = xmlNodeGetContent(chat);
	if(u->text == NULL || u->text[0] == '\0')
		return "the new text is empty (cmd:msgdel deletes a message)";
	return NULL;
}

/* The EDIT or DELETE event, in the change's transaction: the new text in
 * content (EDIT), the text before this change in detail.original. */
static pchat_store_rc_t pchat_msgupd_comply(pchat_cmd_ctx_t *ctx,
		pchat_msgupd_t *u, pchat_room_t *room, const char *original)
{
	pchat_store_rc_t rc;
	pchat_cevent_t e;
	size_t size = 6 * strlen(original) + 64; /* \u00XX at worst per byte */
	char *detail = pkg_malloc(size);
	int n;

	if(detail == NULL) {
		PKG_MEM_ERROR;
		return PCHAT_STORE_ERROR;
	}
	n = snprintf(detail, size, "{\"original\": ");
	pchat_json_quote(detail + n, size - n, original);
	strcat(detail, "}");
	memset(&e, 0, sizeof(e));
	e.type = u->del ? "DELETE" : "EDIT";
	e.ts_ms = u->now;
	e.room_id = room->id;
	e.room_uri = u->chan_uri;
	e.room_name = room->name;
	e.seq = u->seq;
	e.user = &ctx->user;
	e.content = u->del ? NULL : (const char *)u->text;
	e.detail = detail;
	rc = pchat_compliance_event(&e);
	pkg_free(detail);
	return rc;
}

/* Is the new text over the limit of what the message is (a story's body
 * has storySizeLimit, doc/xccos.md 3.19)? Then u->why says so. */
static int pchat_msgupd_too_long(
		pchat_msgupd_t *u, char **r, pchat_server_config_t *cfg)
{
	int story = r[6] && r[6][0] == '1';
	int limit = story ? cfg->story_size_limit : cfg->message_size_limit;

	if(u->del || u->chars <= limit)
		return 0;
	snprintf(u->why, sizeof(u->why),
			"%s of %d characters exceeds the limit of %d",
			story ? "story" : "message", u->chars, limit);
	return 1;
}

/* Checks the stored message (locked in u->res) against the author and
 * the window, then changes it (u->row). 200, or the XCCOS code with *why;
 * -1 with *src for the store's failure. */
static int pchat_msgupd_apply(pchat_cmd_ctx_t *ctx, pchat_msgupd_t *u,
		pchat_room_t *room, pchat_server_config_t *cfg, const char **why,
		pchat_store_rc_t *src)
{
	char **r;

	*src = pchat_db_exec("SELECT seq, ts_ms, author, content, status, "
						 "author_change, " PCHAT_STORY_COLS
						 " FROM pchat_message WHERE room_id = ? "
						 "AND seq = ? FOR UPDATE",
			&u->res, room->id, u->seq);
	if(*src != PCHAT_STORE_OK)
		return -1;
	r = u->res.nrows == 1 ? u->res.rows[0] : NULL;
	/* a tombstone is not a message any more */
	if(r == NULL || (r[5] && strcmp(r[5], "deleted") == 0)) {
		*why = "no such message";
		return 404;
	}
	if((int)strlen(r[2]) != ctx->user.len
			|| memcmp(r[2], ctx->user.s, ctx->user.len) != 0) {
		*why = "only its author may change a message";
		return 403;
	}
	if(r[4] && strcmp(r[4], "posted") != 0) {
		*why = "an administrator has replaced this message";
		return 403;
	}
	if(u->now - strtoll(r[1], NULL, 10) > cfg->edit_window_s * 1000LL) {
		*why = "the time to change this message has passed (edit_window_s)";
		return 403;
	}
	if(pchat_msgupd_too_long(u, r, cfg)) {
		*why = u->why;
		return 413;
	}
	/* a delete takes a story's title with its body */
	*src = pchat_db_exec("UPDATE pchat_message SET content = ?, "
						 "author_change = ?, changed_ms = ?, story_title = "
						 "IF(?, NULL, story_title) WHERE room_id = ? "
						 "AND seq = ?",
			NULL, u->del ? "" : (const char *)u->text,
			u->del ? "deleted" : "edited", u->now, u->del, room->id, u->seq);
	if(*src == PCHAT_STORE_OK && cfg->compliance)
		*src = pchat_msgupd_comply(ctx, u, room, r[3]);
	if(*src != PCHAT_STORE_OK)
		return -1;
	u->row = r;
	return 200;
}

/* The message as it is now, in the reply and in ntc:msgupd to the room's
 * other sessions that declared the extension (pchat_fanout.c). */
static void pchat_msgupd_answer(
		PCHAT_CMD_ARGS, pchat_msgupd_t *u, long long room_id)
{
	char changed[24], *row[9], **stored = u->row;
	pchat_xbuf_t *b;

	snprintf(changed, sizeof(changed), "%lld", u->now);
	row[0] = stored[0];
	row[1] = stored[1];
	row[2] = stored[2];
	row[3] = u->del ? "" : (char *)u->text;
	row[4] = u->del ? "deleted" : "edited";
	row[5] = changed;
	row[6] = stored[6]; /* is_story, is_alert, story_title */
	row[7] = stored[7];
	row[8] = stored[8];
	pchat_xw_rpl_start(out, u->name, m->seqid, env->envid, 200,
			pchat_xccos_token(200));
	pchat_cmd_write_msg_as(out, "msg", u->chan_uri, row, ctx->ext_story);
	pchat_xw_rpl_end(out);
	b = pchat_cmd_deliver(ctx, room_id, ctx->sess_id);
	if(b == NULL)
		return;
	pchat_xw_env_start(b, pchat_cmd_next_envid());
	pchat_xw_ntc_start(b, PCHAT_MSGUPD_NOTICE);
	/* the notice's readers know our extensions: a story keeps its flags */
	pchat_cmd_write_msg_as(b, "msg", u->chan_uri, row, 1);
	pchat_xw_ntc_end(b);
	pchat_xw_env_end(b);
}

/* The room, the right to post in it, then the change in a transaction. */
static pchat_cmd_rc_t pchat_msgupd_run(
		PCHAT_CMD_ARGS, pchat_msgupd_t *u, pchat_server_config_t *cfg)
{
	pchat_room_t room;
	pchat_perm_in_t in;
	pchat_store_rc_t src;
	const char *why = NULL;
	int rc, code;

	rc = pchat_room_find_user(u->guid, &ctx->user, &room, &in);
	if(rc == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	if(rc <= 0) {
		pchat_cmd_rpl_error(env, m, u->name, rc == 0 ? 404 : 500,
				rc == 0 ? "no such room" : "storage error", out);
		return PCHAT_CMD_OK;
	}
	/* changing a post is posting: auditoriums, disabled rooms, walls */
	if((why = pchat_perm_refusal(&in, PCHAT_PERM_POST)) != NULL) {
		pchat_cmd_rpl_error(env, m, u->name, 403, why, out);
		return PCHAT_CMD_OK;
	}
	snprintf(u->chan_uri, sizeof(u->chan_uri), "ma-chan://%.*s/%s",
			ctx->invited->host.len, ctx->invited->host.s, room.guid);
	if((src = pchat_db_begin()) != PCHAT_STORE_OK)
		goto failed;
	code = pchat_msgupd_apply(ctx, u, &room, cfg, &why, &src);
	if(code != 200) {
		pchat_db_rollback();
		if(code < 0)
			goto failed;
		pchat_cmd_rpl_error(env, m, u->name, code, why, out);
		return PCHAT_CMD_OK;
	}
	if((src = pchat_db_commit()) != PCHAT_STORE_OK)
		goto failed;
	pchat_msgupd_answer(ctx, env, m, out, u, room.id);
	return PCHAT_CMD_OK;
failed:
	if(src == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	pchat_cmd_rpl_error(env, m, u->name, 500, "storage error", out);
	return PCHAT_CMD_OK;
}

static pchat_cmd_rc_t pchat_msgupd(PCHAT_CMD_ARGS, int del)
{
	pchat_server_config_t cfg;
	pchat_msgupd_t u;
	pchat_cmd_rc_t rc = PCHAT_CMD_OK;
	const char *bad;
	char why[128];
	int limit;

	memset(&u, 0, sizeof(u));
	u.del = del;
	u.name = del ? "msgdel" : "msgedit";
	if(pchat_store_server_config_cached(&cfg) == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	if((bad = pchat_msgupd_parse(&u, m)) != NULL) {
		pchat_cmd_rpl_error(env, m, u.name, 400, bad, out);
		goto done;
	}
	/* the limit of a story's body once the message is read */
	limit = cfg.story_size_limit > cfg.message_size_limit
					? cfg.story_size_limit
					: cfg.message_size_limit;
	if(!del
			&& (u.chars = pchat_cmd_utf8_chars((const char *)u.text))
					   > limit) {
		snprintf(why, sizeof(why),
				"text of %d characters exceeds the limit of %d", u.chars,
				limit);
		pchat_cmd_rpl_error(env, m, u.name, 413, why, out);
		goto done;
	}
	if(cfg.edit_window_s == 0) {
		pchat_cmd_rpl_error(env, m, u.name, 403,
				"authors may not change their messages here (edit_window_s "
				"is 0)",
				out);
		goto done;
	}
	u.now = pchat_now_ms();
	rc = pchat_msgupd_run(ctx, env, m, out, &u, &cfg);
done:
	pchat_db_res_free(&u.res);
	if(u.text)
		xmlFree(u.text);
	return rc;
}

pchat_cmd_rc_t pchat_cmd_msgedit(PCHAT_CMD_ARGS)
{
	return pchat_msgupd(ctx, env, m, out, 0);
}

pchat_cmd_rc_t pchat_cmd_msgdel(PCHAT_CMD_ARGS)
{
	return pchat_msgupd(ctx, env, m, out, 1);
}
