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
/* Access rules: the one permission rule (see pchat_perm.h). Pure C: no
 * Kamailio, no store, unit-tested. */

#include "pchat_perm.h"

unsigned int pchat_perm_eval(const pchat_perm_in_t *in)
{
	unsigned int perm = 0;
	int manager = (in->roles & PCHAT_ROLE_MANAGER) != 0;
	/* presenters and managers take part like members */
	int member = (in->roles & (PCHAT_ROLE_MEMBER | PCHAT_ROLE_MANAGER
									  | PCHAT_ROLE_PRESENTER))
				 != 0;

	if(!in->policy_enabled || !in->wall_allowed)
		return 0;
	if(manager)
		perm |= PCHAT_PERM_SEE | PCHAT_PERM_MANAGE;
	if(in->disabled)
		return perm;
	if(in->privacy != PCHAT_PRIVACY_SECRET || member)
		perm |= PCHAT_PERM_SEE;
	if(in->privacy == PCHAT_PRIVACY_OPEN || member)
		perm |= PCHAT_PERM_JOIN | PCHAT_PERM_READ;
	if((perm & PCHAT_PERM_JOIN)
			&& (!in->auditorium || (in->roles & PCHAT_ROLE_PRESENTER)))
		perm |= PCHAT_PERM_POST;
	return perm;
}

const char *pchat_perm_refusal(const pchat_perm_in_t *in, unsigned int action)
{
	unsigned int perm = pchat_perm_eval(in);

	if(perm & action)
		return 0;
	if(!in->policy_enabled)
		return "Persistent Chat is not enabled for this user";
	if(!in->wall_allowed)
		return "the user is outside the ethical wall of the room's category";
	if(action == PCHAT_PERM_MANAGE)
		return "only managers may manage the room";
	if(in->disabled)
		return "the room is disabled";
	if(action == PCHAT_PERM_POST && (perm & PCHAT_PERM_JOIN))
		return "only presenters may post in an auditorium room";
	if(in->privacy == PCHAT_PRIVACY_SECRET)
		return "the room is secret and the user is not a member";
	return "the room is closed and the user is not a member";
}
