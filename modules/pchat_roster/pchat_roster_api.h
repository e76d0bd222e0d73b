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
/* The API pchat binds (Kamailio's bind_* pattern): which pchat session is
 * online in which room, with which roles, shared by every Kamailio process.
 *
 *	pchat_roster_api_t roster;
 *	if(pchat_roster_load_api(&roster) < 0) ... (in mod_init)
 *
 * Every function takes its locks itself and never holds one on return, so
 * callers may send SIP right after. */

#ifndef _PCHAT_ROSTER_API_H_
#define _PCHAT_ROSTER_API_H_

#include "core/sr_module.h"
#include "core/str.h"

/* One participant of a room, as copied out by snapshot(). */
typedef struct pchat_roster_member
{
	unsigned int sess_hid; /* pchat session reference (hash id, id) */
	unsigned int sess_id;
	unsigned int roles;    /* PCHAT_ROLE_* bits of pchat_perm.h */
	str user;              /* sip:user@domain, inside the snapshot block */
} pchat_roster_member_t;

/* A copy of a room's participants in pkg memory: one block, free it with
 * free_snapshot(). */
typedef struct pchat_roster_snapshot
{
	int n;
	pchat_roster_member_t *members;
} pchat_roster_snapshot_t;

/* A room's participants as session references only (what a fan-out
 * needs), in pkg memory: free with free_refs(). */
typedef struct pchat_roster_ref
{
	unsigned int sess_hid;
	unsigned int sess_id;
} pchat_roster_ref_t;

typedef struct pchat_roster_refs
{
	int n;
	pchat_roster_ref_t *refs;
} pchat_roster_refs_t;

typedef struct pchat_roster_api
{
	/* Adds the session to the room: 1 when it was not there, 0 when it was
	 * (roles are updated), -1 out of shared memory. */
	int (*join)(unsigned long long room_id, unsigned int sess_hid,
			unsigned int sess_id, str *user, unsigned int roles);
	/* Removes the session from the room: 1 when it was there, 0 if not. */
	int (*part)(unsigned long long room_id, unsigned int sess_id);
	/* Removes the session from every room; writes at most max room ids to
	 * rooms and returns how many rooms it left (may exceed max). */
	int (*part_all)(unsigned int sess_id, unsigned long long *rooms, int max);
	/* Copies the room's participants; 0 on success (n may be 0), -1 out of
	 * pkg memory. */
	int (*snapshot)(unsigned long long room_id, pchat_roster_snapshot_t *snap);
	void (*free_snapshot)(pchat_roster_snapshot_t *snap);
	/* The same as references only, in no particular order: one copy of
	 * an array the room keeps, where snapshot() walks a list of
	 * entries (a cache miss each). 0 on success, -1 out of pkg memory. */
	int (*snapshot_refs)(unsigned long long room_id, pchat_roster_refs_t *out);
	void (*free_refs)(pchat_roster_refs_t *out);
	/* Online participants (sessions) of a room. */
	int (*count)(unsigned long long room_id);
	/* Is the user online in the room through any session other than
	 * except_sess_id? */
	int (*user_present)(unsigned long long room_id, str *user,
			unsigned int except_sess_id);
	/* Rooms the session is in: fills at most max ids, returns the count. */
	int (*rooms_of)(unsigned int sess_id, unsigned long long *rooms, int max);
	/* As snapshot(), but of the newest max participants only (the end of
	 * the room's list, in its order: a new joiner is there), so a join
	 * into a room of 16,000 copies what its reply can hold, not the room.
	 * Returns the room's participants (may exceed snap->n), -1 out of pkg
	 * memory. */
	int (*snapshot_newest)(
			unsigned long long room_id, pchat_roster_snapshot_t *snap, int max);
} pchat_roster_api_t;

typedef int (*bind_pchat_roster_f)(pchat_roster_api_t *api);

static inline int pchat_roster_load_api(pchat_roster_api_t *api)
{
	bind_pchat_roster_f bind;

	/* via void *: cmd_function and the bind signature differ on purpose */
	bind = (bind_pchat_roster_f)(void *)find_export("bind_pchat_roster", 0, 0);
	if(bind == NULL) {
		LM_ERR("cannot find bind_pchat_roster: load pchat_roster.so before "
			   "pchat.so\n");
		return -1;
	}
	return bind(api);
}

#endif
