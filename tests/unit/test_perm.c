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

/* Unit tests for pchat_perm: the whole matrix of privacy x role x state x
 * action, and the reason given for every refusal. */

#include <stdio.h>
#include <string.h>

#include "pchat_perm.h"
#include "unit.h"

#define SEE PCHAT_PERM_SEE
#define JOIN PCHAT_PERM_JOIN
#define READ PCHAT_PERM_READ
#define POST PCHAT_PERM_POST
#define MANAGE PCHAT_PERM_MANAGE

static const char *priv_name[] = {"open", "closed", "secret"};

static void expect(const char *name, unsigned int got, unsigned int want)
{
	unit_check(name, got == want, "got 0x%x, want 0x%x", got, want);
}

static void expect_reason(const char *name, const char *got, const char *want)
{
	unit_check(name,
			(got == NULL && want == NULL)
					|| (got && want && strstr(got, want) != NULL),
			"got '%s', want '%s'", got ? got : "(allowed)",
			want ? want : "(allowed)");
}

static pchat_perm_in_t room(pchat_privacy_t p, unsigned int roles)
{
	pchat_perm_in_t in;

	memset(&in, 0, sizeof(in));
	in.policy_enabled = 1;
	in.wall_allowed = 1;
	in.privacy = p;
	in.roles = roles;
	return in;
}

/* What each role may do in a normal, enabled room of each privacy. */
static void test_matrix(void)
{
	static const struct
	{
		const char *role;
		unsigned int roles;
		unsigned int want[3]; /* open, closed, secret */
	} rows[] = {
		{"outsider", 0, {SEE | JOIN | READ | POST, SEE, 0}},
		{"member", PCHAT_ROLE_MEMBER,
			{SEE | JOIN | READ | POST, SEE | JOIN | READ | POST,
				SEE | JOIN | READ | POST}},
		{"presenter", PCHAT_ROLE_PRESENTER,
			{SEE | JOIN | READ | POST, SEE | JOIN | READ | POST,
				SEE | JOIN | READ | POST}},
		{"manager", PCHAT_ROLE_MANAGER,
			{SEE | JOIN | READ | POST | MANAGE,
				SEE | JOIN | READ | POST | MANAGE,
				SEE | JOIN | READ | POST | MANAGE}},
	};
	char name[128];
	unsigned int r, p;
	pchat_perm_in_t in;

	for(r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		for(p = 0; p < 3; p++) {
			in = room((pchat_privacy_t)p, rows[r].roles);
			snprintf(name, sizeof(name), "%s in %s room", rows[r].role,
					priv_name[p]);
			expect(name, pchat_perm_eval(&in), rows[r].want[p]);
		}
	}
}

static void test_auditorium(void)
{
	static const struct
	{
		const char *role;
		unsigned int roles;
		unsigned int want;
	} rows[] = {
		{"outsider", 0, SEE | JOIN | READ},
		{"member", PCHAT_ROLE_MEMBER, SEE | JOIN | READ},
		{"presenter", PCHAT_ROLE_PRESENTER, SEE | JOIN | READ | POST},
		{"manager", PCHAT_ROLE_MANAGER, SEE | JOIN | READ | MANAGE},
		{"manager+presenter", PCHAT_ROLE_MANAGER | PCHAT_ROLE_PRESENTER,
			SEE | JOIN | READ | POST | MANAGE},
	};
	char name[128];
	unsigned int r;
	pchat_perm_in_t in;

	for(r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		in = room(PCHAT_PRIVACY_OPEN, rows[r].roles);
		in.auditorium = 1;
		snprintf(name, sizeof(name), "%s in open auditorium", rows[r].role);
		expect(name, pchat_perm_eval(&in), rows[r].want);
	}
	in = room(PCHAT_PRIVACY_OPEN, PCHAT_ROLE_MEMBER);
	in.auditorium = 1;
	expect_reason("auditorium refusal names presenters",
			pchat_perm_refusal(&in, POST), "only presenters may post");
}

static void test_disabled_wall_policy(void)
{
	unsigned int p, roles[] = {0, PCHAT_ROLE_MEMBER, PCHAT_ROLE_PRESENTER,
								   PCHAT_ROLE_MANAGER};
	unsigned int r;
	char name[128];
	pchat_perm_in_t in;

	for(p = 0; p < 3; p++) {
		for(r = 0; r < 4; r++) {
			in = room((pchat_privacy_t)p, roles[r]);
			in.disabled = 1;
			snprintf(name, sizeof(name), "disabled %s room, roles 0x%x",
					priv_name[p], roles[r]);
			expect(name, pchat_perm_eval(&in),
					roles[r] == PCHAT_ROLE_MANAGER ? SEE | MANAGE : 0);
			in.disabled = 0;
			in.wall_allowed = 0;
			snprintf(name, sizeof(name), "walled-out %s room, roles 0x%x",
					priv_name[p], roles[r]);
			expect(name, pchat_perm_eval(&in), 0);
			in.wall_allowed = 1;
			in.policy_enabled = 0;
			snprintf(name, sizeof(name), "policy-disabled %s room, roles 0x%x",
					priv_name[p], roles[r]);
			expect(name, pchat_perm_eval(&in), 0);
		}
	}
}

static void test_reasons(void)
{
	pchat_perm_in_t in;

	in = room(PCHAT_PRIVACY_OPEN, PCHAT_ROLE_MEMBER);
	expect_reason("member may post in open room", pchat_perm_refusal(&in, POST),
			NULL);
	in.policy_enabled = 0;
	expect_reason("policy reason", pchat_perm_refusal(&in, JOIN),
			"not enabled for this user");
	in = room(PCHAT_PRIVACY_CLOSED, PCHAT_ROLE_MEMBER);
	in.wall_allowed = 0;
	expect_reason("wall reason", pchat_perm_refusal(&in, JOIN),
			"ethical wall");
	in = room(PCHAT_PRIVACY_CLOSED, 0);
	expect_reason("closed reason", pchat_perm_refusal(&in, JOIN),
			"closed and the user is not a member");
	in = room(PCHAT_PRIVACY_SECRET, 0);
	expect_reason("secret reason", pchat_perm_refusal(&in, SEE),
			"secret and the user is not a member");
	in = room(PCHAT_PRIVACY_OPEN, PCHAT_ROLE_MEMBER);
	in.disabled = 1;
	expect_reason("disabled reason", pchat_perm_refusal(&in, JOIN),
			"disabled");
	in = room(PCHAT_PRIVACY_OPEN, PCHAT_ROLE_MEMBER);
	expect_reason("manage reason", pchat_perm_refusal(&in, MANAGE),
			"only managers");
}

/* What the history search's candidate rooms rely on (pchat_access_rooms.c):
 * a room that is not open, without a member, manager or presenter role,
 * is refused READ whatever else holds (policy, walls, type, state, other
 * role bits), so it need not be read at all; and an open room's roles
 * never decide READ (only policy, walls and disabled do). */
static void test_read_needs_open_or_a_role(void)
{
	unsigned int bits, m = PCHAT_ROLE_MEMBER | PCHAT_ROLE_MANAGER
								   | PCHAT_ROLE_PRESENTER;
	pchat_perm_in_t in, open;
	int p, fails = 0, open_fails = 0;

	for(bits = 0; bits < 256; bits++) {
		for(p = 0; p < 3; p++) {
			memset(&in, 0, sizeof(in));
			in.policy_enabled = bits & 1;
			in.wall_allowed = (bits >> 1) & 1;
			in.auditorium = (bits >> 2) & 1;
			in.disabled = (bits >> 3) & 1;
			in.roles = (bits >> 4) & 0xf; /* one bit beyond the known ones */
			in.privacy = (pchat_privacy_t)p;
			if(p != PCHAT_PRIVACY_OPEN && !(in.roles & m)
					&& (pchat_perm_eval(&in) & READ))
				fails++;
			open = in;
			open.privacy = PCHAT_PRIVACY_OPEN;
			open.roles = 0;
			in.privacy = PCHAT_PRIVACY_OPEN;
			if(!!(pchat_perm_eval(&in) & READ)
					!= !!(pchat_perm_eval(&open) & READ))
				open_fails++;
		}
	}
	unit_check("READ: closed or secret without a role is refused", fails == 0,
			"%d inputs allowed", fails);
	unit_check("READ: an open room's roles do not matter", open_fails == 0,
			"%d inputs differ", open_fails);
}

int main(void)
{
	test_matrix();
	test_read_needs_open_or_a_role();
	test_auditorium();
	test_disabled_wall_policy();
	test_reasons();
	return unit_summary();
}
