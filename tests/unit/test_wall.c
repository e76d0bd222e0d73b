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
/* Unit tests for the ethical wall decision (pchat_wall.c) */

/* The harness (cases, CHECK, summary line) is unit.h. */

#include <stdio.h>
#include <string.h>

#include "pchat_wall.h"
#include "unit.h"

#define NRULES(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Checks one decision: verdict and, when refused, the refusing level. */
static void expect(const char *name, const pchat_wall_rule_t *rules, int n,
		const pchat_wall_principal_t *p, pchat_wall_verdict_t want,
		int want_level)
{
	int level = -1;
	pchat_wall_verdict_t got = pchat_wall_decide(rules, n, p, &level);

	unit_check(name,
			got == want && (want == PCHAT_WALL_PASS || level == want_level),
			"got %s at level %d, want %s at level %d",
			pchat_wall_verdict_str(got), level, pchat_wall_verdict_str(want),
			want_level);
}

static const char *const traders[] = {"Traders", "everyone"};
static const char *const none[] = {NULL};

static const pchat_wall_principal_t alice = {
		PCHAT_WALL_USER, "sip:alice@bank.example", traders, 2};
static const pchat_wall_principal_t bob = {
		PCHAT_WALL_USER, "sip:bob@bank.example", none, 0};
static const pchat_wall_principal_t carol = {
		PCHAT_WALL_USER, "sip:carol@other.example", none, 0};
static const pchat_wall_principal_t bank = {
		PCHAT_WALL_DOMAIN, "bank.example", NULL, 0};
static const pchat_wall_principal_t grp_traders = {
		PCHAT_WALL_GROUP, "traders", NULL, 0};
static const pchat_wall_principal_t grp_analysts = {
		PCHAT_WALL_GROUP, "analysts", NULL, 0};

static void t_no_rules(void)
{
	expect("no rows: a user passes", NULL, 0, &alice, PCHAT_WALL_PASS, 0);
	expect("no rows: a domain passes", NULL, 0, &bank, PCHAT_WALL_PASS, 0);
	expect("no rows: a group passes", NULL, 0, &grp_traders, PCHAT_WALL_PASS,
			0);
}

static void t_allowed_user_rows(void)
{
	static const pchat_wall_rule_t r[] = {
			{0, PCHAT_WALL_SCOPE_ALLOWED, PCHAT_WALL_USER,
					"sip:bob@bank.example"},
	};

	expect("allowed user row admits that user", r, NRULES(r), &bob,
			PCHAT_WALL_PASS, 0);
	expect("allowed user row keeps out another user", r, NRULES(r), &alice,
			PCHAT_WALL_NOT_ALLOWED, 0);
	expect("allowed user row keeps out the user's domain", r, NRULES(r), &bank,
			PCHAT_WALL_NOT_ALLOWED, 0);
}

static void t_allowed_domain_rows(void)
{
	static const pchat_wall_rule_t r[] = {
			{0, PCHAT_WALL_SCOPE_ALLOWED, PCHAT_WALL_DOMAIN, "BANK.example"},
	};

	expect("allowed domain admits its users (any case)", r, NRULES(r), &bob,
			PCHAT_WALL_PASS, 0);
	expect("allowed domain keeps out other domains' users", r, NRULES(r),
			&carol, PCHAT_WALL_NOT_ALLOWED, 0);
	expect("allowed domain admits the domain principal", r, NRULES(r), &bank,
			PCHAT_WALL_PASS, 0);
	expect("allowed domain does not admit a group", r, NRULES(r), &grp_traders,
			PCHAT_WALL_NOT_ALLOWED, 0);
}

static void t_allowed_group_rows(void)
{
	static const pchat_wall_rule_t r[] = {
			{0, PCHAT_WALL_SCOPE_ALLOWED, PCHAT_WALL_GROUP, "traders"},
	};

	expect("allowed group admits its members", r, NRULES(r), &alice,
			PCHAT_WALL_PASS, 0);
	expect("allowed group keeps out non-members", r, NRULES(r), &bob,
			PCHAT_WALL_NOT_ALLOWED, 0);
	expect("allowed group admits the group principal", r, NRULES(r),
			&grp_traders, PCHAT_WALL_PASS, 0);
	expect("allowed group keeps out another group", r, NRULES(r), &grp_analysts,
			PCHAT_WALL_NOT_ALLOWED, 0);
	expect("allowed group does not admit a domain", r, NRULES(r), &bank,
			PCHAT_WALL_NOT_ALLOWED, 0);
}

static void t_denied_rows(void)
{
	static const pchat_wall_rule_t r[] = {
			{0, PCHAT_WALL_SCOPE_DENIED, PCHAT_WALL_GROUP, "traders"},
			{0, PCHAT_WALL_SCOPE_DENIED, PCHAT_WALL_USER,
					"sip:carol@other.example"},
	};
	static const pchat_wall_rule_t d[] = {
			{0, PCHAT_WALL_SCOPE_DENIED, PCHAT_WALL_DOMAIN, "bank.example"},
	};

	expect("denied group keeps out its members", r, NRULES(r), &alice,
			PCHAT_WALL_DENIED, 0);
	expect("denied user row keeps out that user", r, NRULES(r), &carol,
			PCHAT_WALL_DENIED, 0);
	expect("denied rows let others in", r, NRULES(r), &bob, PCHAT_WALL_PASS, 0);
	expect("denied group keeps out the group principal", r, NRULES(r),
			&grp_traders, PCHAT_WALL_DENIED, 0);
	expect("denied domain keeps out its users", d, NRULES(d), &bob,
			PCHAT_WALL_DENIED, 0);
	expect("denied domain keeps out the domain principal", d, NRULES(d), &bank,
			PCHAT_WALL_DENIED, 0);
	expect("denied domain lets other domains in", d, NRULES(d), &carol,
			PCHAT_WALL_PASS, 0);
}

static void t_allowed_and_denied(void)
{
	/* the bank is allowed, but not its trading desk */
	static const pchat_wall_rule_t r[] = {
			{0, PCHAT_WALL_SCOPE_ALLOWED, PCHAT_WALL_DOMAIN, "bank.example"},
			{0, PCHAT_WALL_SCOPE_DENIED, PCHAT_WALL_GROUP, "traders"},
	};

	expect("denied wins over allowed", r, NRULES(r), &alice, PCHAT_WALL_DENIED,
			0);
	expect("allowed and not denied passes", r, NRULES(r), &bob, PCHAT_WALL_PASS,
			0);
	expect("neither allowed nor denied is not allowed", r, NRULES(r), &carol,
			PCHAT_WALL_NOT_ALLOWED, 0);
}

static void t_levels(void)
{
	/* room's category allows everyone at the bank; its parent only
	 * traders; the root denies carol */
	static const pchat_wall_rule_t r[] = {
			{2, PCHAT_WALL_SCOPE_DENIED, PCHAT_WALL_USER,
					"sip:carol@other.example"},
			{1, PCHAT_WALL_SCOPE_ALLOWED, PCHAT_WALL_GROUP, "traders"},
			{0, PCHAT_WALL_SCOPE_ALLOWED, PCHAT_WALL_DOMAIN, "bank.example"},
			{0, PCHAT_WALL_SCOPE_ALLOWED, PCHAT_WALL_DOMAIN, "other.example"},
	};
	/* only an ancestor has a wall */
	static const pchat_wall_rule_t up[] = {
			{3, PCHAT_WALL_SCOPE_ALLOWED, PCHAT_WALL_USER,
					"sip:bob@bank.example"},
	};

	expect("every level must allow: member of both", r, NRULES(r), &alice,
			PCHAT_WALL_PASS, 0);
	expect("allowed below but not by the parent", r, NRULES(r), &bob,
			PCHAT_WALL_NOT_ALLOWED, 1);
	expect("nearest refusing level decides", r, NRULES(r), &carol,
			PCHAT_WALL_NOT_ALLOWED, 1);
	expect("wall of a far ancestor applies", up, NRULES(up), &alice,
			PCHAT_WALL_NOT_ALLOWED, 3);
	expect("far ancestor admits its user", up, NRULES(up), &bob,
			PCHAT_WALL_PASS, 0);
}

static void t_covers(void)
{
	pchat_wall_rule_t r = {
			0, PCHAT_WALL_SCOPE_ALLOWED, PCHAT_WALL_DOMAIN, "bank"};
	pchat_wall_principal_t odd = {PCHAT_WALL_USER, "sip:nobody", none, 0};
	const char *name = "covers: no partial domain, no '@'";

	/* "bank" is not "bank.example"; a user value without '@' has no
	 * domain at all */
	unit_check(name,
			!pchat_wall_covers(&r, &bob) && !pchat_wall_covers(&r, &odd),
			"covered");
	unit_check("verdict names",
			strcmp(pchat_wall_verdict_str(PCHAT_WALL_DENIED), "denied") == 0
					&& strcmp(pchat_wall_verdict_str(PCHAT_WALL_NOT_ALLOWED),
							   "not allowed")
							   == 0,
			"wrong names");
}

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* a and b equal but for the case of ASCII letters */
static int eq_fold(const char *a, const char *b)
{
	for(; *a && ascii_lower(*a) == ascii_lower(*b); a++, b++)
		;
	return ascii_lower(*a) == ascii_lower(*b);
}

/* What the rooms' rules filter in SQL relies on (pchat_access_rooms.c:
 * principal COLLATE utf8mb4_general_ci = the user's URI, the part after
 * its first '@', one of its groups): a row covers a user only when its
 * value equals one of those but for ASCII case, which general_ci also
 * finds equal. Random values built from the user's own, cases changed
 * and bytes replaced at random. */
static void t_covers_only_folded_equals(void)
{
	static const char *groups[] = {"Traders", "ops-ü"};
	static const char alpha[] = "aAbB@.:-sSiIpP\xc3\xbc";
	pchat_wall_principal_t u = {
			PCHAT_WALL_USER, "sip:bob@bank.example", groups, 2};
	const char *base[] = {u.value, "bank.example", groups[0], groups[1]};
	pchat_wall_rule_t r;
	char v[64];
	unsigned int seed = 18;
	int i, k, len, bad = 0, covered = 0;

	for(i = 0; i < 20000; i++) {
		r.level = 0;
		r.scope = PCHAT_WALL_SCOPE_ALLOWED;
		r.type = (pchat_wall_ptype_t)(i % 3);
		snprintf(v, sizeof(v), "%s", base[(i / 3) % 4]);
		len = (int)strlen(v);
		for(k = 0; k < len; k++) {
			seed = seed * 1103515245u + 12345u;
			if((seed >> 16) % 3 == 0 && v[k] >= 'a' && v[k] <= 'z')
				v[k] = (char)(v[k] - 'a' + 'A');
			if((seed >> 20) % 97 == 0)
				v[k] = alpha[(seed >> 8) % (sizeof(alpha) - 1)];
		}
		r.value = v;
		if(!pchat_wall_covers(&r, &u))
			continue;
		covered++;
		if(!(r.type == PCHAT_WALL_USER && eq_fold(v, u.value))
				&& !(r.type == PCHAT_WALL_DOMAIN && eq_fold(v, "bank.example"))
				&& !(r.type == PCHAT_WALL_GROUP
						&& (eq_fold(v, groups[0]) || eq_fold(v, groups[1]))))
			bad++;
	}
	unit_check("covers only values equal but for ASCII case",
			bad == 0 && covered > 1000, "%d of %d covered rows differ", bad,
			covered);
}

int main(void)
{
	t_no_rules();
	t_covers_only_folded_equals();
	t_allowed_user_rows();
	t_allowed_domain_rows();
	t_allowed_group_rows();
	t_denied_rows();
	t_allowed_and_denied();
	t_levels();
	t_covers();
	return unit_summary();
}
