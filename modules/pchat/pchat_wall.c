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
/* Access rules: the ethical wall decision (see pchat_wall.h). Pure C: no
 * Kamailio, no store, unit-tested. */

#include <string.h>
#include <strings.h>

#include "pchat_wall.h"

static int pchat_wall_eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcasecmp(a, b) == 0;
}

int pchat_wall_covers(
		const pchat_wall_rule_t *r, const pchat_wall_principal_t *p)
{
	const char *at;
	int i;

	if(p->type != PCHAT_WALL_USER)
		return r->type == p->type && pchat_wall_eq(r->value, p->value);
	switch(r->type) {
		case PCHAT_WALL_USER:
			return pchat_wall_eq(r->value, p->value);
		case PCHAT_WALL_DOMAIN:
			at = p->value ? strchr(p->value, '@') : NULL;
			return at != NULL && pchat_wall_eq(r->value, at + 1);
		case PCHAT_WALL_GROUP:
			for(i = 0; i < p->ngroups; i++) {
				if(pchat_wall_eq(r->value, p->groups[i]))
					return 1;
			}
			return 0;
	}
	return 0;
}

pchat_wall_verdict_t pchat_wall_decide(const pchat_wall_rule_t *rules,
		int nrules, const pchat_wall_principal_t *p, int *level)
{
	int i, lvl, top = -1, has_allowed, allowed;

	for(i = 0; i < nrules; i++) {
		if(rules[i].level > top)
			top = rules[i].level;
	}
	for(lvl = 0; lvl <= top; lvl++) {
		has_allowed = allowed = 0;
		for(i = 0; i < nrules; i++) {
			if(rules[i].level != lvl)
				continue;
			if(rules[i].scope == PCHAT_WALL_SCOPE_DENIED) {
				if(pchat_wall_covers(&rules[i], p)) {
					if(level)
						*level = lvl;
					return PCHAT_WALL_DENIED;
				}
				continue;
			}
			has_allowed = 1;
			if(!allowed && pchat_wall_covers(&rules[i], p))
				allowed = 1;
		}
		if(has_allowed && !allowed) {
			if(level)
				*level = lvl;
			return PCHAT_WALL_NOT_ALLOWED;
		}
	}
	return PCHAT_WALL_PASS;
}

const char *pchat_wall_verdict_str(pchat_wall_verdict_t v)
{
	switch(v) {
		case PCHAT_WALL_NOT_ALLOWED:
			return "not allowed";
		case PCHAT_WALL_DENIED:
			return "denied";
		case PCHAT_WALL_PASS:
			break;
	}
	return "allowed";
}
