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
/* The access of one user to many rooms at once (history search, room
 * search): the rules of the categories read once each and the roles held
 * on the rooms, combined per room for pchat_room_access_rows(). */

#ifndef _PCHAT_ACCESS_ROOMS_H_
#define _PCHAT_ACCESS_ROOMS_H_

#include "pchat_access.h"

/* cats: every category that holds a room, with the roles and walls of it
 * and of the categories above it, as a room in it sees them (the
 * category's id last, ordered by it). own: the roles held on nodes that
 * may name the viewer (node id last, ordered by it). Rows that cannot
 * name the viewer are left out: pchat_room_access_rows() skips them. */
typedef struct pchat_rooms_rules
{
	pchat_db_res_t cats;
	pchat_db_res_t own;
	char ***rows; /* one room's rows for pchat_room_access_rows() (lazy) */
	char ***own_rows; /* own as a view into the candidate rooms' rows */
} pchat_rooms_rules_t;

/* Loads the viewer and reads cats, inside the caller's transaction (the
 * same state of the tree as the rooms it reads); own is left empty for
 * the caller to fill: pchat_rooms_read_candidates(), or a query of its
 * own rooms' roles (columns and order as above, any roles). On error
 * nothing is left to free. */
pchat_store_rc_t pchat_rooms_rules_read_cats(
		pchat_rooms_rules_t *r, pchat_viewer_t *v, str *user);

/* pchat_room_access_rows() for one room (room->category_id its parent). */
pchat_store_rc_t pchat_rooms_rules_access(pchat_rooms_rules_t *r,
		pchat_room_t *room, pchat_viewer_t *v, pchat_perm_in_t *in);

/* The rooms of the categories that keep history which the viewer may
 * READ at most (every other one the rule surely refuses; it decides on
 * these), in PCHAT_ROOM_SELECT's columns with guid and texts empty, by
 * id, then from PCHAT_AR_OWN_COL on the room's roles that may name the
 * viewer (one row per role; NULL there when it holds none): r->own
 * becomes those, for pchat_rooms_rules_access(). After
 * pchat_rooms_rules_read_cats(); rooms must outlive r's use. */
#define PCHAT_AR_OWN_COL 13
pchat_store_rc_t pchat_rooms_read_candidates(
		pchat_rooms_rules_t *r, pchat_viewer_t *v, pchat_db_res_t *rooms);

/* The rows of one room in a result ordered by column col (a room id):
 * returns the first and sets *n. */
int pchat_rows_of_room(pchat_db_res_t *r, int col, long long id, int *n);

void pchat_rooms_rules_free(pchat_rooms_rules_t *r, pchat_viewer_t *v);

#endif
