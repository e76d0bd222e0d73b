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
/* Commands layer: alert subscriptions, a pchat extension (doc/xccos.md
 * 3.20): cmd:alertadd (a word or an author, in every readable room or
 * one), cmd:alertlist, cmd:alertdel; at most alert_max per user. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dprint.h"

#include "pchat_access.h"
#include "pchat_alert.h"
#include "pchat_alert_store.h"
#include "pchat_cmd_room.h"
#include "pchat_identity.h"
#include "pchat_mod.h"

#define PCHAT_ALERT_BAD_WORD                                               \
	"alert word must be 1-100 characters of UTF-8 text without control "   \
	"characters"

typedef struct pchat_alert_req
{
	const char *kind;    /* "word" or "author" */
	const char *pattern; /* the word, or the author's canonical URI */
	char author[PCHAT_IDENTITY_MAX];
	long long room_id;   /* 0: every room the user may read */
	const char *chan;    /* its URI as the client gave it */
} pchat_alert_req_t;

/* A word: UTF-8, bounded, no control characters, not only blanks. */
static int pchat_alert_word_ok(const char *w)
{
	const unsigned char *p;
	int blank = 1;

	if(!pchat_identity_utf8_ok((const unsigned char *)w, strlen(w))
			|| pchat_cmd_utf8_chars(w) > PCHAT_ALERT_PATTERN_MAX)
		return 0;
	for(p = (const unsigned char *)w; *p; p++) {
		if(*p < 0x20 || *p == 0x7f)
			return 0;
		if(*p != ' ')
			blank = 0;
	}
	return !blank;
}

/* Does the word fold to something the matcher can find? 1, 0, or a
 * PCHAT_STORE_* error. */
static int pchat_alert_word_weighs(const char *w)
{
	pchat_db_res_t res;
	pchat_store_rc_t src;
	int ok;

	if((src = pchat_alert_store_weights(w, &res)) != PCHAT_STORE_OK)
		return src;
	ok = res.nrows > 0 && res.rows[0][0] && res.rows[0][0][0];
	pchat_db_res_free(&res);
	return ok;
}

/* The room a subscription names, which the user must be able to read:
 * 0, or the XCCOS code with *why. PCHAT_STORE_* (< 0) on errors. */
static int pchat_alert_room(
		str *user, const char *uri, long long *room_id, const char **why)
{
	pchat_perm_in_t in;
	pchat_room_t room;
	char guid[64];
	int rc;

	if(pchat_room_guid_of_uri(uri, guid, sizeof(guid)) < 0) {
		*why = "chanUri is not ma-chan://";
		return 400;
	}
	rc = pchat_room_find_user(guid, user, &room, &in);
	if(rc < 0)
		return rc;
	if(rc == 0) {
		*why = "no such room";
		return 404;
	}
	if((*why = pchat_perm_refusal(&in, PCHAT_PERM_READ)) != NULL)
		return 403;
	*room_id = room.id;
	return 0;
}

/* Parses <alert word=... | author=... [chanUri=...]>: 0, the XCCOS code
 * with *why, or PCHAT_STORE_* (< 0). */
static int pchat_alert_parse(pchat_cmd_ctx_t *ctx, pchat_xmsg_t *m,
		pchat_alert_req_t *r, const char **why)
{
	xmlNodePtr a = m->data ? pchat_xccos_child(m->data, "alert") : NULL;
	const char *word = a ? pchat_xccos_attr(a, "word") : NULL;
	const char *author = a ? pchat_xccos_attr(a, "author") : NULL;
	const char *chan = a ? pchat_xccos_attr(a, "chanUri") : NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	if((word == NULL) == (author == NULL)) {
		*why = "alert needs a word or an author attribute (one of them)";
		return 400;
	}
	if(word) {
		if(!pchat_alert_word_ok(word)) {
			*why = PCHAT_ALERT_BAD_WORD;
			return 400;
		}
		r->kind = "word";
		r->pattern = word;
	} else {
		if(pchat_identity_canon(author, strlen(author), r->author,
				   sizeof(r->author), NULL)
				<= 0) {
			*why = "alert author is not a SIP URI";
			return 400;
		}
		r->kind = "author";
		r->pattern = r->author;
	}
	r->chan = chan;
	if(chan && (rc = pchat_alert_room(&ctx->user, chan, &r->room_id, why)))
		return rc;
	if(word && (rc = pchat_alert_word_weighs(word)) <= 0) {
		*why = "alert word has nothing to match (only ignorable characters)";
		return rc < 0 ? rc : 400;
	}
	return 0;
}

/* One subscription; chan: its room's URI, or guid to make it from. */
static void pchat_alert_write(pchat_cmd_ctx_t *ctx, pchat_xbuf_t *out,
		const char *id, const char *kind, const char *pattern,
		const char *chan, const char *guid, const char *created)
{
	char uri[160], ts[40];

	pchat_xw_start(out, "alert");
	pchat_xw_attr(out, "id", id);
	pchat_xw_attr(out, kind, pattern);
	if(guid) {
		snprintf(uri, sizeof(uri), "ma-chan://%.*s/%s",
				ctx->invited->host.len, ctx->invited->host.s, guid);
		chan = uri;
	}
	if(chan)
		pchat_xw_attr(out, "chanUri", chan);
	if(created) {
		pchat_xccos_format_ts(ts, strtoll(created, NULL, 10));
		pchat_xw_attr(out, "created", ts);
	}
	pchat_xw_end(out, "alert");
}

static pchat_cmd_rc_t pchat_alert_store_rc(int rc, PCHAT_CMD_ARGS,
		const char *name)
{
	if(rc == PCHAT_STORE_WOULD_WAIT)
		return PCHAT_CMD_WOULD_WAIT;
	if(rc == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	pchat_cmd_rpl_error(env, m, name, 500, "storage error", out);
	return PCHAT_CMD_OK;
}

/* cmd:alertadd */
pchat_cmd_rc_t pchat_cmd_alertadd(PCHAT_CMD_ARGS)
{
	pchat_alert_req_t r;
	const char *why = NULL;
	char why_full[128], id[24];
	long long new_id = 0;
	int rc;

	rc = pchat_alert_parse(ctx, m, &r, &why);
	if(rc < 0)
		return pchat_alert_store_rc(rc, ctx, env, m, out, "alertadd");
	if(rc > 0) {
		pchat_cmd_rpl_error(env, m, "alertadd", rc, why, out);
		return PCHAT_CMD_OK;
	}
	rc = pchat_alert_store_add(
			&ctx->user, r.kind, r.pattern, r.room_id, pchat_alert_max, &new_id);
	if(rc < 0)
		return pchat_alert_store_rc(rc, ctx, env, m, out, "alertadd");
	if(rc == 0) {
		snprintf(why_full, sizeof(why_full),
				"the user already has %d alerts (alert_max): remove one first",
				pchat_alert_max);
		pchat_cmd_rpl_error(env, m, "alertadd", 403, why_full, out);
		return PCHAT_CMD_OK;
	}
	pchat_alert_changed();
	snprintf(id, sizeof(id), "%lld", new_id);
	pchat_xw_rpl_start(out, "alertadd", m->seqid, env->envid, 200,
			pchat_xccos_token(200));
	pchat_alert_write(ctx, out, id, r.kind, r.pattern, r.chan, NULL, NULL);
	pchat_xw_rpl_end(out);
	return PCHAT_CMD_OK;
}

/* cmd:alertlist */
pchat_cmd_rc_t pchat_cmd_alertlist(PCHAT_CMD_ARGS)
{
	pchat_db_res_t res;
	pchat_store_rc_t src;
	int i;

	src = pchat_alert_store_list(&ctx->user, &res);
	if(src != PCHAT_STORE_OK)
		return pchat_alert_store_rc(src, ctx, env, m, out, "alertlist");
	pchat_xw_rpl_start(out, "alertlist", m->seqid, env->envid, 200,
			pchat_xccos_token(200));
	for(i = 0; i < res.nrows; i++)
		pchat_alert_write(ctx, out, res.rows[i][0], res.rows[i][1],
				res.rows[i][2], NULL, res.rows[i][3], res.rows[i][4]);
	pchat_xw_rpl_end(out);
	pchat_db_res_free(&res);
	return PCHAT_CMD_OK;
}

/* cmd:alertdel */
pchat_cmd_rc_t pchat_cmd_alertdel(PCHAT_CMD_ARGS)
{
	xmlNodePtr a = m->data ? pchat_xccos_child(m->data, "alert") : NULL;
	const char *id = a ? pchat_xccos_attr(a, "id") : NULL;
	char *end;
	long long n;
	int rc;

	n = id && id[0] ? strtoll(id, &end, 10) : 0;
	if(n <= 0 || *end != '\0' || strlen(id) > 19) {
		pchat_cmd_rpl_error(env, m, "alertdel", 400,
				"alert needs the id alertadd or alertlist gave", out);
		return PCHAT_CMD_OK;
	}
	rc = pchat_alert_store_remove(&ctx->user, n);
	if(rc < 0)
		return pchat_alert_store_rc(rc, ctx, env, m, out, "alertdel");
	if(rc == 0) {
		pchat_cmd_rpl_error(env, m, "alertdel", 404, "no such alert", out);
		return PCHAT_CMD_OK;
	}
	pchat_alert_changed();
	pchat_xw_rpl_start(out, "alertdel", m->seqid, env->envid, 200,
			pchat_xccos_token(200));
	pchat_xw_start(out, "alert");
	pchat_xw_attr(out, "id", id);
	pchat_xw_end(out, "alert");
	pchat_xw_rpl_end(out);
	return PCHAT_CMD_OK;
}
