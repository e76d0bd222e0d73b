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
/* Commands layer: the XCCOS command handlers pchat_cmd.c dispatches to:
 * rooms and posting (pchat_cmd_room.c), finding (pchat_cmd_find.c) and
 * preferences (pchat_cmd_pref.c). */

#ifndef _PCHAT_CMD_ROOM_H_
#define _PCHAT_CMD_ROOM_H_

#include "pchat_cmd.h"
#include "pchat_compliance.h"
#include "pchat_db.h"

#define PCHAT_CMD_ARGS \
	pchat_cmd_ctx_t *ctx, pchat_xccos_env_t *env, pchat_xmsg_t *m, \
			pchat_xbuf_t *out

pchat_cmd_rc_t pchat_cmd_join(PCHAT_CMD_ARGS);
pchat_cmd_rc_t pchat_cmd_bjoin(PCHAT_CMD_ARGS);
pchat_cmd_rc_t pchat_cmd_part(PCHAT_CMD_ARGS);
pchat_cmd_rc_t pchat_cmd_bccontext(PCHAT_CMD_ARGS);
pchat_cmd_rc_t pchat_cmd_grpchat(PCHAT_CMD_ARGS);
pchat_cmd_rc_t pchat_cmd_chansrch(PCHAT_CMD_ARGS);
pchat_cmd_rc_t pchat_cmd_getinv(PCHAT_CMD_ARGS);
pchat_cmd_rc_t pchat_cmd_nodespermcreatechild(PCHAT_CMD_ARGS);
pchat_cmd_rc_t pchat_cmd_getpref(PCHAT_CMD_ARGS);
pchat_cmd_rc_t pchat_cmd_setpref(PCHAT_CMD_ARGS);
pchat_cmd_rc_t pchat_cmd_getftok(PCHAT_CMD_ARGS);

/* A post the server makes for user (a completed file upload): stored with
 * the room's next number (*seq; *kept 1 when the room keeps history, so
 * the message is in the store), with the CHAT event and extra (NULL for
 * none; its room, time and user are filled here) when compliance is on,
 * then delivered to the room's online participants. */
pchat_store_rc_t pchat_cmd_post_as(str *user, long long room_id,
		const char *text, pchat_cevent_t *extra, long long *seq, int *kept);
pchat_cmd_rc_t pchat_cmd_msgedit(PCHAT_CMD_ARGS);
pchat_cmd_rc_t pchat_cmd_msgdel(PCHAT_CMD_ARGS);
pchat_cmd_rc_t pchat_cmd_chatsrch(PCHAT_CMD_ARGS); /* pchat_cmd_search.c */

/* Followed rooms (pchat_cmd_follow.c, doc/xccos.md 3.18). */
pchat_cmd_rc_t pchat_cmd_follow(PCHAT_CMD_ARGS);
pchat_cmd_rc_t pchat_cmd_unfollow(PCHAT_CMD_ARGS);
pchat_cmd_rc_t pchat_cmd_followread(PCHAT_CMD_ARGS);
pchat_cmd_rc_t pchat_cmd_followlist(PCHAT_CMD_ARGS);
/* A history read returned the room's posts up to seq: a followed room is
 * read up to there (one UPDATE; a failure is logged, the read stands). */
void pchat_follow_seen(pchat_cmd_ctx_t *ctx, long long room_id, long long seq);
/* The guids (column 3) of the followed rooms a bjoin adds: when it asks
 * with <follows/>, or when it is the session's first (follow_bjoin) and
 * the session is in no room yet. res is empty otherwise. */
pchat_store_rc_t pchat_follow_for_bjoin(
		pchat_cmd_ctx_t *ctx, int asked, pchat_db_res_t *res);

/* The room of a chanib uri as history reads it: *code 200, or the error
 * bccontext answers (404 for a hidden room as for a missing one, 403 when
 * the user may see it but not read it). */
struct pchat_room; /* pchat_access.h */
pchat_cmd_rc_t pchat_room_for_read(pchat_cmd_ctx_t *ctx, const char *uri,
		struct pchat_room *room, int *code, const char **why);

/* Characters (UTF-8 code points) of a text: what message_size_limit
 * counts. */
int pchat_cmd_utf8_chars(const char *s);

/* What history shows, as the text, of a post its author deleted. */
#define PCHAT_MSG_TOMBSTONE "(message deleted by its author)"

/* One message as history (elem "msg") and posts ("grpchat") write it:
 * row = seq, ts_ms, author, content, author_change, changed_ms (the last
 * two NULL for a post as made). */
void pchat_cmd_write_msg(pchat_xbuf_t *out, const char *elem,
		const char *chan_uri, char **row);
/* The same for a story and/or alert (pchat_cmd_story.h): with its flags
 * when ext (the reader declared pchat-story), else as plain text. */
void pchat_cmd_write_msg_kind(pchat_xbuf_t *out, const char *elem,
		const char *chan_uri, char **row, int story, int alert,
		const char *title, int ext);

/* A room's online participants (sessions) in the whole pool: this node's
 * roster and the other nodes' counts as they announced them (a user with
 * sessions on two nodes, or two sessions on one, counts once a session). */
int pchat_room_online(long long room_id);
/* Queues ntc:part of user to the room's remaining participants (sent by
 * pchat_cmd_flush); ctx->invited gives the domain of the room URI. */
void pchat_notify_part(pchat_cmd_ctx_t *ctx, long long room_id,
		const char *guid, str *user, int update_limit);

/* Compliance (when on): a session of user left a room (why: part,
 * session end, revoked, room removed): its participant row closed and a
 * PART event. invited gives the domain of the room URI (NULL: no URI). */
void pchat_comply_part(pchat_uri_t *invited, long long room_id,
		const char *guid, const char *name, str *user, const char *why);

/* A session's end in two halves. pchat_session_end_take() (at once, in
 * the process that ends it): the session leaves its rooms in the roster;
 * rec gets (pkg, free with pkg_free) a flat record of what the store half
 * needs, copyable byte for byte into shm; 0 when it has no room to leave,
 * 1 with rec set, -1 out of memory (the roster is clean; nothing to do
 * then). pchat_session_end_run() (a store worker, or inline): the rooms'
 * guids and names, the compliance PART rows (when on), the part notices
 * queued in ctx (sent by pchat_cmd_flush or handed back to a reader). */
int pchat_session_end_take(
		unsigned int sess_id, str *user, pchat_uri_t *invited, str *rec);
void pchat_session_end_run(str *rec, pchat_cmd_ctx_t *ctx);

#endif
