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
/* Commands layer: preference bundles of a user (cmd:getpref, cmd:setpref),
 * bounded by max_preferences and max_preference_size. Never parses SIP. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dprint.h"

#include "pchat_cmd_room.h"
#include "pchat_db.h"
#include "pchat_mod.h"

/* Is the user at max_preferences bundles (a new one is refused)? 1 or 0,
 * or a PCHAT_STORE_* error (< 0). Inside setpref's transaction the
 * count locks the user's rows, so two racing creations cannot both pass. */
static int pchat_pref_full(str *user, int lock)
{
	pchat_db_res_t res;
	pchat_store_rc_t src;
	int full;

	src = pchat_db_exec(lock ? "SELECT COUNT(*) FROM pchat_preference WHERE "
							   "user_uri = ? FOR UPDATE"
							 : "SELECT COUNT(*) FROM pchat_preference WHERE "
							   "user_uri = ?",
			&res, user);
	if(src != PCHAT_STORE_OK)
		return src;
	full = res.nrows > 0 && atoi(res.rows[0][0]) >= pchat_max_preferences;
	pchat_db_res_free(&res);
	return full;
}

static void pchat_pref_full_error(pchat_xccos_env_t *env, pchat_xmsg_t *m,
		const char *name, pchat_xbuf_t *out)
{
	char why[128];

	snprintf(why, sizeof(why),
			"the user already has %d preference bundles (max_preferences)",
			pchat_max_preferences);
	pchat_cmd_rpl_error(env, m, name, 403, why, out);
}

/* cmd:getpref: the stored bundle when newer than the version the client
 * has; createdefault="true" makes an empty one when there is none. */
pchat_cmd_rc_t pchat_cmd_getpref(PCHAT_CMD_ARGS)
{
	xmlNodePtr pref = m->data ? pchat_xccos_child(m->data, "pref") : NULL;
	const char *label = pref ? pchat_xccos_attr(pref, "label") : NULL;
	const char *seqid = pref ? pchat_xccos_attr(pref, "seqid") : NULL;
	const char *create = pref ? pchat_xccos_attr(pref, "createdefault") : NULL;
	long long have = seqid ? strtoll(seqid, NULL, 10) : -1;
	pchat_db_res_t res;
	pchat_store_rc_t src;
	int full;

	if(label == NULL || label[0] == '\0' || strlen(label) > 128) {
		pchat_cmd_rpl_error(env, m, "getpref", 400, "pref needs a label", out);
		return PCHAT_CMD_OK;
	}
	src = pchat_db_exec("SELECT seqid, content FROM pchat_preference WHERE "
						"user_uri = ? AND label = ?",
			&res, &ctx->user, label);
	if(src == PCHAT_STORE_OK && res.nrows == 0 && create
			&& strcasecmp(create, "true") == 0) {
		pchat_db_res_free(&res);
		full = pchat_pref_full(&ctx->user, 0);
		if(full == 1) {
			pchat_pref_full_error(env, m, "getpref", out);
			return PCHAT_CMD_OK;
		}
		src = full < 0 ? (pchat_store_rc_t)full : PCHAT_STORE_OK;
		if(src != PCHAT_STORE_OK)
			goto failed;
		src = pchat_db_exec("INSERT IGNORE INTO pchat_preference (user_uri, "
							"label, seqid, content) VALUES (?, ?, 0, '')",
				NULL, &ctx->user, label);
		if(src == PCHAT_STORE_OK)
			src = pchat_db_exec("SELECT seqid, content FROM pchat_preference "
								"WHERE user_uri = ? AND label = ?",
					&res, &ctx->user, label);
	}
failed:
	if(src == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	if(src != PCHAT_STORE_OK) {
		pchat_cmd_rpl_error(env, m, "getpref", 500, "storage error", out);
		return PCHAT_CMD_OK;
	}
	if(res.nrows == 0) {
		pchat_db_res_free(&res);
		pchat_cmd_rpl_error(env, m, "getpref", 404, "no such preference", out);
		return PCHAT_CMD_OK;
	}
	pchat_xw_rpl_start(out, "getpref", m->seqid, env->envid, 200,
			pchat_xccos_token(200));
	pchat_xw_start(out, "pref");
	pchat_xw_attr(out, "label", label);
	pchat_xw_attr(out, "seqid", res.rows[0][0]);
	if(have < strtoll(res.rows[0][0], NULL, 10))
		pchat_xw_attr(out, "content", res.rows[0][1]);
	pchat_xw_end(out, "pref");
	pchat_xw_rpl_end(out);
	pchat_db_res_free(&res);
	return PCHAT_CMD_OK;
}

/* cmd:setpref: stores the bundle unless the client's version is older
 * than the stored one (409: re-read first). */
pchat_cmd_rc_t pchat_cmd_setpref(PCHAT_CMD_ARGS)
{
	xmlNodePtr pref = m->data ? pchat_xccos_child(m->data, "pref") : NULL;
	const char *label = pref ? pchat_xccos_attr(pref, "label") : NULL;
	const char *seqid = pref ? pchat_xccos_attr(pref, "seqid") : NULL;
	const char *content = pref ? pchat_xccos_attr(pref, "content") : NULL;
	long long have = seqid ? strtoll(seqid, NULL, 10) : 0, stored = -1;
	pchat_db_res_t res;
	pchat_store_rc_t src;
	char next[24], why[128];
	int full;

	if(label == NULL || label[0] == '\0' || strlen(label) > 128
			|| content == NULL) {
		pchat_cmd_rpl_error(env, m, "setpref", 400,
				"pref needs a label and a content", out);
		return PCHAT_CMD_OK;
	}
	if((int)strlen(content) > pchat_max_preference_size) {
		snprintf(why, sizeof(why),
				"preference content of %d bytes exceeds %d "
				"(max_preference_size)",
				(int)strlen(content), pchat_max_preference_size);
		pchat_cmd_rpl_error(env, m, "setpref", 413, why, out);
		return PCHAT_CMD_OK;
	}
	if((src = pchat_db_begin()) != PCHAT_STORE_OK)
		goto failed;
	src = pchat_db_exec("SELECT seqid FROM pchat_preference WHERE user_uri = "
						"? AND label = ? FOR UPDATE",
			&res, &ctx->user, label);
	if(src != PCHAT_STORE_OK)
		goto rollback;
	if(res.nrows)
		stored = strtoll(res.rows[0][0], NULL, 10);
	pchat_db_res_free(&res);
	if(stored < 0) { /* a new bundle */
		full = pchat_pref_full(&ctx->user, 1);
		if(full < 0) {
			src = (pchat_store_rc_t)full;
			goto rollback;
		}
		if(full) {
			pchat_db_rollback();
			pchat_pref_full_error(env, m, "setpref", out);
			return PCHAT_CMD_OK;
		}
	}
	if(stored > have) {
		pchat_db_rollback();
		pchat_cmd_rpl_error(env, m, "setpref", 409,
				"the stored preference is newer: read it first", out);
		return PCHAT_CMD_OK;
	}
	src = pchat_db_exec(
			"INSERT INTO pchat_preference (user_uri, label, seqid, content) "
			"VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
			"seqid = VALUES(seqid), content = VALUES(content)",
			NULL, &ctx->user, label, (stored > have ? stored : have) + 1,
			content);
	if(src != PCHAT_STORE_OK)
		goto rollback;
	if((src = pchat_db_commit()) != PCHAT_STORE_OK)
		goto failed;
	snprintf(next, sizeof(next), "%lld", (stored > have ? stored : have) + 1);
	pchat_xw_rpl_start(out, "setpref", m->seqid, env->envid, 200,
			pchat_xccos_token(200));
	pchat_xw_start(out, "pref");
	pchat_xw_attr(out, "label", label);
	pchat_xw_attr(out, "seqid", next);
	pchat_xw_end(out, "pref");
	pchat_xw_rpl_end(out);
	return PCHAT_CMD_OK;
rollback:
	pchat_db_rollback();
failed:
	if(src == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	pchat_cmd_rpl_error(env, m, "setpref", 500, "storage error", out);
	return PCHAT_CMD_OK;
}
