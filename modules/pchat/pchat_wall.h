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
/* The ethical wall decision (Lync category AllowedMembers/DeniedMembers):
 * may a principal hold a role in a room of a category? Pure code, no
 * Kamailio and no MySQL, so that the rules are unit-tested; the caller
 * reads the scope rows of the category and of its ancestors and the
 * groups of a user from the store. */

#ifndef _PCHAT_WALL_H_
#define _PCHAT_WALL_H_

/* Same order as pchat_principal_types[] ("user", "domain", "group"). */
typedef enum pchat_wall_ptype
{
	PCHAT_WALL_USER = 0,
	PCHAT_WALL_DOMAIN = 1,
	PCHAT_WALL_GROUP = 2
} pchat_wall_ptype_t;

typedef enum pchat_wall_scope
{
	PCHAT_WALL_SCOPE_ALLOWED = 0,
	PCHAT_WALL_SCOPE_DENIED = 1
} pchat_wall_scope_t;

/* One pchat_scope row. level 0 is the room's own category, 1 its parent,
 * and so on up to the root. */
typedef struct pchat_wall_rule
{
	int level;
	pchat_wall_scope_t scope;
	pchat_wall_ptype_t type;
	const char *value; /* sip:user@domain, a domain, or a group name */
} pchat_wall_rule_t;

/* The principal being placed in a room. For a user, groups lists the
 * names of the pchat_group rows that contain it. */
typedef struct pchat_wall_principal
{
	pchat_wall_ptype_t type;
	const char *value; /* sip:user@domain, a domain, or a group name */
	const char *const *groups;
	int ngroups;
} pchat_wall_principal_t;

typedef enum pchat_wall_verdict
{
	PCHAT_WALL_PASS = 0,
	PCHAT_WALL_NOT_ALLOWED = 1, /* the level has allowed rows, none covers */
	PCHAT_WALL_DENIED = 2		/* a denied row covers the principal */
} pchat_wall_verdict_t;

/* Does rule r cover principal p? A user is covered by its own user row, a
 * domain row of its domain and a group row of a group it is in; a domain
 * principal only by a domain row of that domain, a group principal only by
 * a group row of that group. Comparisons ignore ASCII case, as the
 * store's collation does. */
int pchat_wall_covers(
		const pchat_wall_rule_t *r, const pchat_wall_principal_t *p);

/* Every level must let p in: at each level, no denied row may cover it,
 * and when the level has allowed rows one of them must cover it. The
 * levels are checked from the room's category upwards and the first one
 * that refuses decides; *level (may be NULL) is set to it. */
pchat_wall_verdict_t pchat_wall_decide(const pchat_wall_rule_t *rules,
		int nrules, const pchat_wall_principal_t *p, int *level);

/* "not allowed", "denied" or "allowed", for messages. */
const char *pchat_wall_verdict_str(pchat_wall_verdict_t v);

#endif
