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
/* Rooms as the chat service sees them: looked up by the GUID of their
 * ma-chan:// URI, with the switches of their category, and the access a
 * user has to them (roles, category walls, policy) fed to pchat_perm. */

#ifndef _PCHAT_ACCESS_H_
#define _PCHAT_ACCESS_H_

#include "core/str.h"

#include "pchat_db.h"
#include "pchat_perm.h"

#define PCHAT_TEXT_MAX 1028 /* 256 characters of up to 4 bytes + NUL */

typedef struct pchat_room
{
	long long id;
	char guid[40];
	char name[PCHAT_TEXT_MAX];
	char description[PCHAT_TEXT_MAX];
	char topic[PCHAT_TEXT_MAX];
	pchat_privacy_t privacy;
	int auditorium;
	int disabled;
	int invitations_off; /* room says false; else its category decides */
	long long category_id;
	int file_upload;     /* of its category */
	int invitations;     /* effective: category on and room not off */
	int chat_history;    /* of its category */
} pchat_room_t;

/* 1 found, 0 no such room; errors as PCHAT_STORE_* (< 0). */
int pchat_room_by_guid(const char *guid, pchat_room_t *room);
/* The same by the room's id. */
int pchat_room_by_id(long long id, pchat_room_t *room);

/* The columns pchat_room_from_row() reads, for queries that list rooms:
 * PCHAT_ROOM_SELECT "WHERE ..." (r is the room, c its category). */
#define PCHAT_ROOM_SELECT                                                    \
	"SELECT r.id, r.guid, r.name, r.description, r.topic, r.privacy, "       \
	"r.room_type, r.disabled, r.invitations, c.id, c.file_upload, "          \
	"c.invitations_enabled, c.chat_history FROM pchat_node r "               \
	"JOIN pchat_node c ON c.id = r.parent_id "
void pchat_room_from_row(char **row, pchat_room_t *room);

/* Fills in roles, wall and policy of user for room (privacy etc. too). */
pchat_store_rc_t pchat_room_access(
		pchat_room_t *room, str *user, pchat_perm_in_t *in);

/* Effective Persistent Chat policy of a user (canonical URI): *enabled
 * gets 1 or 0. Returns PCHAT_STORE_OK, or the store error, and then
 * *enabled is 0: callers refuse the user (503 when unavailable, else 500). */
pchat_store_rc_t pchat_policy_enabled(str *user, int *enabled);

/* What a user is, for matching principals: the URI and domain in lower
 * case, and the admin groups the user belongs to. */
typedef struct pchat_principals
{
	char uri[256];
	char domain[256];
	pchat_db_res_t groups; /* one column: group name */
} pchat_principals_t;

pchat_store_rc_t pchat_principals_of(str *user, pchat_principals_t *p);
void pchat_principals_free(pchat_principals_t *p);
/* Does a role or scope row (type user/domain/group, principal) name the
 * user? */
int pchat_principals_cover(
		pchat_principals_t *p, const char *type, const char *principal);

/* The categories where a user may create rooms (a creator role covers
 * the user): cmd:nodespermcreatechild and the room-management page. open
 * reads them (errors as PCHAT_STORE_*, nothing to close then); next gives
 * one category at a time in name order: 1 with guid and name, 0 at the
 * end; close frees. */
typedef struct pchat_creator_cats
{
	pchat_principals_t who;
	pchat_db_res_t res;
	int i;
	const char *last;
} pchat_creator_cats_t;

pchat_store_rc_t pchat_creator_cats_open(str *user, pchat_creator_cats_t *c);
int pchat_creator_cats_next(
		pchat_creator_cats_t *c, const char **guid, const char **name);
void pchat_creator_cats_close(pchat_creator_cats_t *c);

/* Splits "ma-chan://domain/guid": guid into buf (lower case). */
/* The user's side of the access rules (policy, groups), read once and
 * used for every room a command touches. */
typedef struct pchat_viewer
{
	int policy; /* pchat_policy_enabled() */
	pchat_principals_t who;
	int loaded;
} pchat_viewer_t;

pchat_store_rc_t pchat_viewer_load(pchat_viewer_t *v, str *user);
void pchat_viewer_free(pchat_viewer_t *v);
pchat_store_rc_t pchat_room_access_for(
		pchat_room_t *room, pchat_viewer_t *v, pchat_perm_in_t *in);

/* Reads the rows pchat_room_access_rows() takes for one room (roles and
 * walls), to check many users against them. */
pchat_store_rc_t pchat_room_access_load(pchat_room_t *room, pchat_db_res_t *res);

/* A room as the user may know of it: 1 when it exists and the user may
 * see it (in filled in); 0 when there is no such room or it is hidden from
 * the user (secret, walled, disabled): room->id is then 0 for a missing
 * room and the room's own for a hidden one (a session already in it may
 * still leave). The same queries run either way, so neither the answer
 * nor its cost tells a hidden room from a missing one. Errors as
 * PCHAT_STORE_* (< 0). */
int pchat_room_find(const char *guid, pchat_viewer_t *v, pchat_room_t *room,
		pchat_perm_in_t *in);
int pchat_room_find_user(
		const char *guid, str *user, pchat_room_t *room, pchat_perm_in_t *in);

/* pchat_room_find_user() for a post, through the node's cache (shm) of its
 * answers: a trading-floor burst posts into the same rooms many times a
 * second, and each uncached answer costs four queries, which a SIP reader
 * leaves to a store worker (PCHAT_STORE_WOULD_WAIT under pchat_db_nowait).
 * Only room->id, guid and chat_history are filled. An entry lives
 * PCHAT_POST_CACHE_MS at most and every admin RPC drops them all
 * (pchat_access_changed()), so a revocation takes effect as before; a
 * DBA's direct UPDATE within that time, as for the configuration. */
int pchat_room_find_user_for_post(
		const char *guid, str *user, pchat_room_t *room, pchat_perm_in_t *in);
/* Refresh ahead (called by a store worker every PCHAT_REFRESH_EVERY_MS):
 * reads again, at most max of them, the answers that posts used and that
 * would expire within the next 300 ms, so a steady poster's posts keep
 * being answered in the reader instead of waiting for a worker once a
 * second. An answer is still never used more than PCHAT_POST_CACHE_MS
 * after it was read. Returns the number refreshed. */
int pchat_post_cache_refresh(int max);
/* Every process drops its cached post answers (an admin change). */
void pchat_access_changed(void);
int pchat_access_mod_init(void);

/* The same from rows already read, for queries that cover many rooms:
 * columns kind ('r' role / 's' scope), level, role or scope,
 * principal_type, principal - those of one room only. */
pchat_store_rc_t pchat_room_access_rows(pchat_room_t *room, pchat_viewer_t *v,
		char ***rows, int nrows, pchat_perm_in_t *in);

int pchat_room_guid_of_uri(const char *uri, char *buf, int size);

#endif
