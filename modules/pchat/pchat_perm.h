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
/* The one permission rule of pchat: what a user may do in a room, from the
 * room's privacy, type and state, the user's roles, the category walls and
 * the Persistent Chat policy. Pure code, shared by every command and the
 * admin RPCs, and unit-tested on its own. */

#ifndef _PCHAT_PERM_H_
#define _PCHAT_PERM_H_

typedef enum pchat_privacy
{
	PCHAT_PRIVACY_OPEN = 0,   /* anyone may join */
	PCHAT_PRIVACY_CLOSED = 1, /* members join; everyone sees it */
	PCHAT_PRIVACY_SECRET = 2  /* members join; only members see it */
} pchat_privacy_t;

#define PCHAT_ROLE_MEMBER (1u << 0)
#define PCHAT_ROLE_MANAGER (1u << 1)
#define PCHAT_ROLE_PRESENTER (1u << 2)

#define PCHAT_PERM_SEE (1u << 0)    /* find it in searches, know it exists */
#define PCHAT_PERM_JOIN (1u << 1)   /* join and receive its messages */
#define PCHAT_PERM_READ (1u << 2)   /* read its stored history */
#define PCHAT_PERM_POST (1u << 3)   /* post messages */
#define PCHAT_PERM_MANAGE (1u << 4) /* change the room and its members */

typedef struct pchat_perm_in
{
	int policy_enabled; /* EnablePersistentChat for the user */
	int wall_allowed;   /* the user passes every category wall above */
	pchat_privacy_t privacy;
	int auditorium;     /* only presenters post */
	int disabled;
	unsigned int roles; /* PCHAT_ROLE_* held on the room or inherited */
} pchat_perm_in_t;

/* Bit set of PCHAT_PERM_* allowed. */
unsigned int pchat_perm_eval(const pchat_perm_in_t *in);

/* Why one action (a single PCHAT_PERM_* bit) is refused, for the XCCOS
 * resp and logs; NULL when it is allowed. */
const char *pchat_perm_refusal(const pchat_perm_in_t *in, unsigned int action);

#endif
