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
/* Commands layer: file tokens (cmd:getfutok, cmd:getfdtok -> rpl:getftok)
 * and the post that announces a completed upload in its room. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dprint.h"

#include "pchat_access.h"
#include "pchat_cmd_file.h"
#include "pchat_cmd_room.h"
#include "pchat_compliance.h"
#include "pchat_config.h"
#include "pchat_file.h"

/* The room of an ftdb, checked for action (PCHAT_PERM_POST or _READ):
 * 200, or the XCCOS code and why. */
static pchat_cmd_rc_t pchat_ftok_room(pchat_cmd_ctx_t *ctx, const char *uri,
		unsigned int action, pchat_room_t *room, int *code, const char **why)
{
	pchat_perm_in_t in;
	char guid[64];
	int rc;

	*code = 200;
	if(pchat_room_guid_of_uri(uri, guid, sizeof(guid)) < 0) {
		*code = 400;
		*why = "ftdb channelUri is not ma-chan://";
		return PCHAT_CMD_OK;
	}
	rc = pchat_room_find_user(guid, &ctx->user, room, &in);
	if(rc == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	if(rc == PCHAT_STORE_WOULD_WAIT)
		return PCHAT_CMD_WOULD_WAIT;
	if(rc <= 0) {
		*code = rc == 0 ? 404 : 500;
		*why = rc == 0 ? "no such room" : "storage error";
		return PCHAT_CMD_OK;
	}
	*why = pchat_perm_refusal(&in, action);
	if(*why)
		*code = 403;
	else if(action == PCHAT_PERM_POST && !room->file_upload) {
		*code = 403;
		*why = "the room's category does not allow files (file_upload)";
	}
	return PCHAT_CMD_OK;
}

/* The stored name a download asks for: the last part of a ma-filelink:
 * URI (as file posts carry it), or the bare name. */
static const char *pchat_ftok_stored(const char *url)
{
	const char *slash = url ? strrchr(url, '/') : NULL;

	return slash ? slash + 1 : url;
}

/* Issues the token: 200 with token in *tok, or the code and why. */
static pchat_cmd_rc_t pchat_ftok_issue(pchat_cmd_ctx_t *ctx, int up,
		pchat_room_t *room, const char *url, char *tok, int *code,
		const char **why)
{
	pchat_store_rc_t src;
	pchat_file_t f;
	long long now = pchat_now_ms();
	int found;

	if(up) {
		if((*why = pchat_file_name_refusal(url)) != NULL) {
			*code = 400;
			return PCHAT_CMD_OK;
		}
		src = pchat_file_upload_new(room->id, &ctx->user, url, now, tok);
	} else {
		/* fileUrl naming no file of the room: Lync clients send the
		 * local "save as" name [PROTOCOL.md 3.12] and name the file in
		 * DownloadChunk, so the token is for the room's files (0) */
		found = pchat_file_by_name(room->id, pchat_ftok_stored(url), &f);
		src = found < 0 ? (pchat_store_rc_t)found
						: pchat_file_download_token(&ctx->user, room->id,
								  found ? f.id : 0, now, tok);
	}
	if(src == PCHAT_STORE_UNAVAILABLE)
		return PCHAT_CMD_UNAVAILABLE;
	if(src != PCHAT_STORE_OK) {
		*code = 500;
		*why = "storage error";
	}
	return PCHAT_CMD_OK;
}

/* cmd:getfutok / cmd:getfdtok <ftdb channelUri fileUrl>: a token bound to
 * the user, the room and the direction, and the file service's URI. An
 * upload needs the POST right in a room whose category allows files and
 * a file name; a download the READ right and a file of the room. */
pchat_cmd_rc_t pchat_cmd_getftok(PCHAT_CMD_ARGS)
{
	const char *name = pchat_xccos_name(m->id, "cmd:");
	const char *uri = NULL, *url = NULL, *why = NULL;
	char tok[PCHAT_FILE_TOKEN_LEN + 1];
	pchat_room_t room;
	pchat_cmd_rc_t rc;
	xmlNodePtr ftdb;
	int up = name && strcmp(name, "getfutok") == 0, code;

	ftdb = m->data ? pchat_xccos_child(m->data, "ftdb") : NULL;
	if(ftdb) {
		uri = pchat_xccos_attr(ftdb, "channelUri");
		url = pchat_xccos_attr(ftdb, "fileUrl");
	}
	if(!pchat_file_enabled()) {
		pchat_cmd_rpl_error(env, m, "getftok", 503,
				"no file service on this server (file_dir, "
				"file_service_uri)",
				out);
		return PCHAT_CMD_OK;
	}
	rc = pchat_ftok_room(ctx, uri, up ? PCHAT_PERM_POST : PCHAT_PERM_READ,
			&room, &code, &why);
	if(rc == PCHAT_CMD_OK && code == 200)
		rc = pchat_ftok_issue(ctx, up, &room, url, tok, &code, &why);
	if(rc != PCHAT_CMD_OK)
		return rc;
	if(code != 200) {
		pchat_cmd_rpl_error(env, m, "getftok", code, why, out);
		return PCHAT_CMD_OK;
	}
	pchat_xw_rpl_start(out, "getftok", m->seqid, env->envid, 200,
			pchat_xccos_token(200));
	pchat_xw_start(out, "token");
	pchat_xw_attr(out, "token", tok);
	pchat_xw_attr(out, "serveruri", pchat_file_service_uri());
	pchat_xw_end(out, "token");
	pchat_xw_rpl_end(out);
	return PCHAT_CMD_OK;
}

/* "19.1 MB": what a reader of the post wants to know. */
static void pchat_file_size_text(long long n, char *buf, int size)
{
	if(n < 1024)
		snprintf(buf, size, "%lld bytes", n);
	else if(n < 1024 * 1024)
		snprintf(buf, size, "%.1f KB", n / 1024.0);
	else
		snprintf(buf, size, "%.1f MB", n / (1024.0 * 1024.0));
}

pchat_store_rc_t pchat_cmd_file_posted(pchat_file_t *f)
{
	char text[1600], sz[32], detail[1400], name[1100];
	pchat_uri_t *svc = pchat_uri_service_for(NULL);
	pchat_room_t room;
	pchat_cevent_t e;
	pchat_store_rc_t src;
	str user;
	long long seq = 0;
	int found, kept = 0;

	found = pchat_room_by_id(f->room_id, &room);
	if(found <= 0)
		return found < 0 ? (pchat_store_rc_t)found : PCHAT_STORE_ERROR;
	pchat_file_size_text(f->size, sz, sizeof(sz));
	/* plain text first: clients that know nothing of files (pidgin-sipe)
	 * show it as is; the ma-filelink: URI (as Lync stores file posts) is
	 * what a capable client asks cmd:getfdtok for */
	snprintf(text, sizeof(text), "[file] %s (%s) ma-filelink://%.*s/%s/%s",
			f->original, sz, svc->host.len, svc->host.s, room.guid, f->stored);
	if(pchat_json_quote(name, sizeof(name), f->original) < 0)
		snprintf(name, sizeof(name), "\"\"");
	snprintf(detail, sizeof(detail),
			"{\"name\": %s, \"size\": %lld, \"sha256\": \"%s\"}", name,
			f->size, f->sha256);
	memset(&e, 0, sizeof(e));
	e.type = "FILEUPLOAD";
	e.content = f->stored;
	e.detail = detail;
	user.s = f->uploader;
	user.len = strlen(f->uploader);
	src = pchat_cmd_post_as(&user, f->room_id, text, &e, &seq, &kept);
	if(src == PCHAT_STORE_OK)
		src = pchat_file_set_post(f->id, seq, kept);
	return src;
}

pchat_store_rc_t pchat_cmd_file_downloaded(pchat_ftoken_t *t, pchat_file_t *f)
{
	pchat_server_config_t cfg;
	pchat_uri_t *svc = pchat_uri_service_for(NULL);
	pchat_room_t room;
	pchat_cevent_t e;
	pchat_store_rc_t src;
	char chan_uri[256];
	str user;
	int found;

	if((src = pchat_store_server_config_cached(&cfg)) != PCHAT_STORE_OK
			|| !cfg.compliance)
		return src;
	found = pchat_room_by_id(f->room_id, &room);
	if(found <= 0)
		return found < 0 ? (pchat_store_rc_t)found : PCHAT_STORE_OK;
	snprintf(chan_uri, sizeof(chan_uri), "ma-chan://%.*s/%s", svc->host.len,
			svc->host.s, room.guid);
	user.s = t->user;
	user.len = strlen(t->user);
	memset(&e, 0, sizeof(e));
	e.type = "FILEDOWNLOAD";
	e.ts_ms = pchat_now_ms();
	e.room_id = room.id;
	e.room_uri = chan_uri;
	e.room_name = room.name;
	e.seq = f->msg_seq;
	e.user = &user;
	e.content = f->stored;
	return pchat_compliance_event(&e);
}

int pchat_cmd_file_may_read(pchat_ftoken_t *t, const char **why)
{
	pchat_perm_in_t in;
	pchat_room_t room;
	str user;
	int rc;

	*why = NULL;
	rc = pchat_room_by_id(t->room_id, &room);
	if(rc <= 0) {
		*why = "the room is gone";
		return rc;
	}
	user.s = t->user;
	user.len = strlen(t->user);
	rc = pchat_room_find_user(room.guid, &user, &room, &in);
	if(rc < 0)
		return rc;
	*why = rc == 0 ? "the room is no longer visible to the token's user"
				   : pchat_perm_refusal(&in, PCHAT_PERM_READ);
	return *why ? 0 : 1;
}
