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
/* Access layer: one user's access to many rooms: the categories' rules
 * read once each (not a walk up from every room), the roles that may name
 * the user, the rooms a search may read; pchat_room_access_rows() decides
 * each room as for one. */

#include <stdlib.h>
#include <string.h>

#include "core/dprint.h"

#include "pchat_access_rooms.h"

/* The roles pchat_room_access_rows() may count for the viewer: a role it
 * reads (member, manager, presenter) whose principal may name the user.
 * The filter lets through at least every row pchat_principals_cover()
 * accepts (it compares ignoring ASCII case: general_ci is equal there,
 * and wider), so the rows it drops are rows the rule would skip; the
 * rule itself still decides on those it keeps. Any type other than user
 * and domain is read as a group there. Parameters: the user's URI, the
 * part after its '@' (NULL: none) and the URI again (its groups, read in
 * the same transaction as the viewer's). */
#define PCHAT_AR_COVER_OF(t)                                                  \
	t ".role IN ('member', 'manager', 'presenter') AND ("                     \
	"(" t ".principal_type = 'user' AND "                                     \
	t ".principal COLLATE utf8mb4_general_ci = ?) OR "                        \
	"(" t ".principal_type = 'domain' AND "                                   \
	t ".principal COLLATE utf8mb4_general_ci = ?) OR "                        \
	"(" t ".principal_type NOT IN ('user', 'domain') AND "                    \
	t ".principal COLLATE utf8mb4_general_ci IN (SELECT g.name FROM "         \
	"pchat_group g JOIN pchat_group_member m ON m.group_id = g.id "          \
	"WHERE m.user_uri = ?)))"
#define PCHAT_AR_COVER PCHAT_AR_COVER_OF("r")

/* Every node that holds a room, walked up once (lvl 0: that category):
 * its and its ancestors' roles ('r', at the level above a room in it)
 * and walls ('s', the level above the room's category), as the walk of
 * one room (pchat_access.c) gives them, keyed by the category. MariaDB
 * may scan every role of the store here and look each up in the walk
 * (seen: 21 ms with 100,000 roles, against 1 ms by key); forcing the
 * order (STRAIGHT_JOIN from up) made chansrch 5 ms slower in the bench. */
static const char *_pchat_ar_cats_sql =
		"WITH RECURSIVE up (cat, id, parent_id, lvl) AS ("
		"SELECT c.id, c.id, c.parent_id, 0 FROM pchat_node c WHERE c.id IN "
		"(SELECT parent_id FROM pchat_node WHERE kind = 'room') "
		"UNION ALL SELECT up.cat, n.id, n.parent_id, up.lvl + 1 "
		"FROM pchat_node n JOIN up ON n.id = up.parent_id) "
		"SELECT 'r', up.lvl + 1, r.role, r.principal_type, r.principal, up.cat "
		"FROM pchat_role r JOIN up ON r.node_id = up.id WHERE "
		PCHAT_AR_COVER " UNION ALL "
		"SELECT 's', up.lvl, s.scope, s.principal_type, s.principal, up.cat "
		"FROM pchat_scope s JOIN up ON s.category_id = up.id ORDER BY 6";

/* The domain as pchat_wall_covers() takes it from the user's URI (NULL:
 * none, no domain row names the user). */
static const char *pchat_ar_domain(pchat_viewer_t *v)
{
	const char *at = strchr(v->who.uri, '@');

	return at ? at + 1 : NULL;
}

/* The rooms whose category keeps history that the viewer may READ at
 * most, in the columns of PCHAT_ROOM_SELECT less those the rule does not
 * read (guid, name, description, topic: empty), ordered by id: the open
 * ones, and those at or below a node (the room itself or a category
 * above it) holding a role row that may name the viewer (hit: every such
 * node and all below it). A closed or secret room without such a row at
 * or above it gets no role from the rule, which then refuses it READ
 * whatever else holds (tests/unit/test_perm.c): it is left unread.
 * Then the room's own roles that may name the viewer, as own's columns
 * (NULL when none; a room with several comes as many rows): the roles
 * are scanned once (hit), and a room's own read by key.
 * STRAIGHT_JOIN: the walk down looks up the children of the nodes found
 * (k_node_parent), instead of scanning every node at each level (-1 ms
 * of 6 over 10,000 rooms). Parameters as PCHAT_AR_COVER, twice. */
static const char *_pchat_ar_readable_sql =
		"WITH RECURSIVE hit (id) AS (SELECT r.node_id FROM pchat_role r "
		"WHERE " PCHAT_AR_COVER " UNION SELECT n.id FROM hit "
		"STRAIGHT_JOIN pchat_node n ON n.parent_id = hit.id) "
		"SELECT r.id, '', '', '', '', r.privacy, r.room_type, "
		"r.disabled, r.invitations, c.id, c.file_upload, "
		"c.invitations_enabled, c.chat_history, "
		"IF(x.role IS NULL, NULL, 'r'), 0, x.role, x.principal_type, "
		"x.principal, x.node_id FROM pchat_node r "
		"JOIN pchat_node c ON c.id = r.parent_id "
		"LEFT JOIN pchat_role x ON x.node_id = r.id AND "
		PCHAT_AR_COVER_OF("x") " "
		"WHERE r.kind = 'room' AND c.chat_history = 1 AND "
		"(r.privacy = 'open' OR r.id IN (SELECT id FROM hit)) ORDER BY r.id";

pchat_store_rc_t pchat_rooms_read_candidates(
		pchat_rooms_rules_t *r, pchat_viewer_t *v, pchat_db_res_t *rooms)
{
	const char *uri = v->who.uri, *dom = pchat_ar_domain(v);
	pchat_store_rc_t rc;
	int i, n = 0;

	rc = pchat_db_exec(
			_pchat_ar_readable_sql, rooms, uri, dom, uri, uri, dom, uri);
	if(rc != PCHAT_STORE_OK)
		return rc;
	/* own: the rooms' roles, pointers into rooms' rows (by room id) */
	r->own_rows = malloc(sizeof(char **) * (rooms->nrows + 1));
	if(r->own_rows == NULL) {
		LM_ERR("no memory for %d rooms\n", rooms->nrows);
		pchat_db_res_free(rooms);
		return PCHAT_STORE_ERROR;
	}
	for(i = 0; i < rooms->nrows; i++)
		if(rooms->rows[i][PCHAT_AR_OWN_COL] != NULL)
			r->own_rows[n++] = rooms->rows[i] + PCHAT_AR_OWN_COL;
	pchat_db_res_free(&r->own);
	r->own.rows = r->own_rows;
	r->own.nrows = n;
	r->own.ncols = 6;
	return PCHAT_STORE_OK;
}

int pchat_rows_of_room(pchat_db_res_t *r, int col, long long id, int *n)
{
	int lo = 0, hi = r->nrows, mid, first;

	while(lo < hi) {
		mid = (lo + hi) / 2;
		if(strtoll(r->rows[mid][col], NULL, 10) < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while(lo < r->nrows && strtoll(r->rows[lo][col], NULL, 10) == id)
		lo++;
	*n = lo - first;
	return first;
}

pchat_store_rc_t pchat_rooms_rules_read_cats(
		pchat_rooms_rules_t *r, pchat_viewer_t *v, str *user)
{
	pchat_store_rc_t rc;

	memset(r, 0, sizeof(*r));
	rc = pchat_viewer_load(v, user);
	if(rc == PCHAT_STORE_OK)
		rc = pchat_db_exec(_pchat_ar_cats_sql, &r->cats, v->who.uri,
				pchat_ar_domain(v), v->who.uri);
	if(rc != PCHAT_STORE_OK)
		pchat_viewer_free(v);
	return rc;
}

pchat_store_rc_t pchat_rooms_rules_access(pchat_rooms_rules_t *r,
		pchat_room_t *room, pchat_viewer_t *v, pchat_perm_in_t *in)
{
	int first, n, cfirst, cn;

	if(r->rows == NULL) {
		r->rows = malloc(
				sizeof(char **) * (r->cats.nrows + r->own.nrows + 1));
		if(r->rows == NULL) {
			LM_ERR("no memory for %d rules\n", r->cats.nrows + r->own.nrows);
			return PCHAT_STORE_ERROR;
		}
	}
	first = pchat_rows_of_room(&r->own, 5, room->id, &n);
	cfirst = pchat_rows_of_room(&r->cats, 5, room->category_id, &cn);
	if(n > 0)
		memcpy(r->rows, r->own.rows + first, sizeof(char **) * n);
	if(cn > 0)
		memcpy(r->rows + n, r->cats.rows + cfirst, sizeof(char **) * cn);
	return pchat_room_access_rows(room, v, r->rows, n + cn, in);
}

void pchat_rooms_rules_free(pchat_rooms_rules_t *r, pchat_viewer_t *v)
{
	free(r->rows);
	r->rows = NULL;
	if(r->own_rows) { /* a view into the candidate rooms' rows */
		free(r->own_rows);
		r->own_rows = NULL;
		memset(&r->own, 0, sizeof(r->own));
	}
	pchat_db_res_free(&r->own);
	pchat_db_res_free(&r->cats);
	pchat_viewer_free(v);
}
