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
/* Unit tests for Persistent Chat policy resolution and scopes */

/* The harness (cases, CHECK, summary line) is unit.h. */

#include <stdio.h>
#include <string.h>

#include "pchat_policy.h"
#include "unit.h"

/* A case is BEGIN, CHECKs, a "done:" label, END.  The first failing CHECK
 * records its detail and jumps to done:. */

#define A PCHAT_POLICY_ABSENT

static const char *srcname(pchat_policy_source_t s)
{
	switch(s) {
		case PCHAT_POLICY_SRC_NONE:
			return "none";
		case PCHAT_POLICY_SRC_GLOBAL:
			return "global";
		case PCHAT_POLICY_SRC_DOMAIN:
			return "domain";
		case PCHAT_POLICY_SRC_USER:
			return "user";
	}
	return "?";
}

/* every combination of the three rows against the precedence rule */
static void t_resolve_table(void)
{
	static const int vals[] = {A, 0, 1};
	int u, d, g, en, want_en;
	pchat_policy_source_t src, want;
	BEGIN("resolve: user over domain over global, all 27 combinations");

	for(u = 0; u < 3; u++) {
		for(d = 0; d < 3; d++) {
			for(g = 0; g < 3; g++) {
				if(vals[u] != A) {
					want = PCHAT_POLICY_SRC_USER;
					want_en = vals[u];
				} else if(vals[d] != A) {
					want = PCHAT_POLICY_SRC_DOMAIN;
					want_en = vals[d];
				} else if(vals[g] != A) {
					want = PCHAT_POLICY_SRC_GLOBAL;
					want_en = vals[g];
				} else {
					want = PCHAT_POLICY_SRC_NONE;
					want_en = 0;
				}
				en = -7;
				src = pchat_policy_resolve(vals[u], vals[d], vals[g], &en);
				CHECK(src == want && en == want_en,
						"user=%d domain=%d global=%d: got %s/%d, want %s/%d",
						vals[u], vals[d], vals[g], srcname(src), en,
						srcname(want), want_en);
			}
		}
	}
done:
	END;
}

static void t_resolve_cases(void)
{
	int en = -7;
	BEGIN("resolve: named cases");

	CHECK(pchat_policy_resolve(0, 1, 1, &en) == PCHAT_POLICY_SRC_USER
					&& en == 0,
			"user false must override enabled domain and global");
	CHECK(pchat_policy_resolve(A, 1, 0, &en) == PCHAT_POLICY_SRC_DOMAIN
					&& en == 1,
			"domain true must override global false");
	CHECK(pchat_policy_resolve(A, A, 1, &en) == PCHAT_POLICY_SRC_GLOBAL
					&& en == 1,
			"global applies when nothing narrower exists");
	CHECK(pchat_policy_resolve(A, A, A, &en) == PCHAT_POLICY_SRC_NONE
					&& en == 0,
			"no row at all: disabled (Lync's default)");
done:
	END;
}

static void t_row(void)
{
	BEGIN("row: column text to absent/0/1");

	CHECK(pchat_policy_row(NULL) == A, "NULL");
	CHECK(pchat_policy_row("0") == 0, "\"0\"");
	CHECK(pchat_policy_row("1") == 1, "\"1\"");
	CHECK(pchat_policy_row("00") == 1, "\"00\" is not the 0 MySQL sends");
done:
	END;
}

static int scope(const char *in, pchat_scope_type_t *type, char *value)
{
	return pchat_policy_parse_scope(in, (int)strlen(in), type, value, 256);
}

static void t_scope_good(void)
{
	static const struct
	{
		const char *in;
		pchat_scope_type_t type;
		const char *value;
	} cases[] = {
			{"global", PCHAT_SCOPE_GLOBAL, ""},
			{"GLOBAL", PCHAT_SCOPE_GLOBAL, ""},
			{"domain:example.com", PCHAT_SCOPE_DOMAIN, "example.com"},
			{"Domain:Example.COM", PCHAT_SCOPE_DOMAIN, "example.com"},
			{"domain:a-b.c1.example", PCHAT_SCOPE_DOMAIN, "a-b.c1.example"},
			{"domain:localhost", PCHAT_SCOPE_DOMAIN, "localhost"},
			{"domain:192.0.2.1", PCHAT_SCOPE_DOMAIN, "192.0.2.1"},
			{"user:sip:alice@example.com", PCHAT_SCOPE_USER,
					"sip:alice@example.com"},
			{"USER:SIP:Alice.Smith@Example.COM", PCHAT_SCOPE_USER,
					"sip:alice.smith@example.com"},
			{"user:sip:a+b_c%20@x.org", PCHAT_SCOPE_USER, "sip:a+b_c%20@x.org"},
			/* canonicalised as at INVITE (pchat_identity.h) */
			{"domain:Example.COM.", PCHAT_SCOPE_DOMAIN, "example.com"},
			{"user:sip:alice@x.com;transport=tcp", PCHAT_SCOPE_USER,
					"sip:alice@x.com"},
			{"user:sips:%61lice@X.com.:5061", PCHAT_SCOPE_USER,
					"sip:alice@x.com"},
	};
	char value[256];
	pchat_scope_type_t type;
	unsigned int i;
	BEGIN("scope: valid scopes are normalised");

	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		value[0] = 'X';
		value[1] = '\0';
		CHECK(scope(cases[i].in, &type, value) == 0, "'%s' refused",
				cases[i].in);
		CHECK(type == cases[i].type && strcmp(value, cases[i].value) == 0,
				"'%s' -> %s '%s', want %s '%s'", cases[i].in,
				pchat_scope_types[type], value,
				pchat_scope_types[cases[i].type], cases[i].value);
	}
done:
	END;
}

static void t_scope_bad(void)
{
	static const char *cases[] = {"", "globals", "global:", "site:x",
			"domain:", "domain:exa mple.com", "domain:-a.com", "domain:a-.com",
			"domain:a..com", "domain:.a.com", "domain:a.com..", "domain:a@b.com",
			"domain:a_b.com", "user:", "user:alice@example.com",
			"user:sip:", "user:sip:@example.com", "user:sip:alice@",
			"user:sip:alice", "user:sip:a@b@c", "user:sip:al ice@x.com",
			"user:sip:alice;x=1@x.com", "user:sip:<alice@x.com>",
			"user:sip:al%00ice@x.com", "user:sip:alice@bad..domain",
			"user:sip:\xc3(@x.com", "user:tel:+15551234",
			"sip:alice@example.com"};
	char value[256];
	pchat_scope_type_t type;
	unsigned int i;
	BEGIN("scope: malformed scopes are refused");

	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(scope(cases[i], &type, value) < 0, "'%s' accepted as '%s'",
				cases[i], value);
done:
	END;
}

static void t_scope_limits(void)
{
	char in[400], value[256];
	char label[64];
	pchat_scope_type_t type;
	BEGIN("scope: length limits");

	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(in, sizeof(in), "domain:%s.com", label);
	CHECK(scope(in, &type, value) == 0, "63-character label refused");
	snprintf(in, sizeof(in), "domain:%sa.com", label);
	CHECK(scope(in, &type, value) < 0, "64-character label accepted");
	/* the URI must fit the value buffer, NUL included */
	CHECK(pchat_policy_parse_user("sip:ab@c.d", 10, value, 11) == 0,
			"10 characters into 11 bytes refused");
	CHECK(pchat_policy_parse_user("sip:ab@c.d", 10, value, 10) < 0,
			"10 characters into 10 bytes accepted");
	CHECK(pchat_policy_parse_scope("domain:ab.c", 11, &type, value, 5) == 0
					&& strcmp(value, "ab.c") == 0,
			"4-character domain into 5 bytes");
	CHECK(pchat_policy_parse_scope("domain:ab.cd", 12, &type, value, 5) < 0,
			"5-character domain into 5 bytes accepted");
done:
	END;
}

static void t_user_domain(void)
{
	BEGIN("user_domain: text after the last '@'");

	CHECK(strcmp(pchat_policy_user_domain("sip:a@example.com"), "example.com")
					== 0,
			"plain");
	CHECK(strcmp(pchat_policy_user_domain("sip:nodomain"), "") == 0, "no '@'");
done:
	END;
}

static void t_scope_print(void)
{
	char buf[300];
	BEGIN("scope_print: the scope syntax the RPCs accept");

	CHECK(strcmp(pchat_policy_scope_print("global", "", buf, sizeof(buf)),
				  "global")
					== 0,
			"global: %s", buf);
	CHECK(strcmp(pchat_policy_scope_print("domain", "x.org", buf, sizeof(buf)),
				  "domain:x.org")
					== 0,
			"domain: %s", buf);
	CHECK(strcmp(pchat_policy_scope_print(
						 "user", "sip:a@x.org", buf, sizeof(buf)),
				  "user:sip:a@x.org")
					== 0,
			"user: %s", buf);
done:
	END;
}

static void t_like(void)
{
	static const struct
	{
		const char *in, *out;
	} cases[] = {
			{"", ""},
			{"*", "%"},
			{"sip:a*@example.com", "sip:a%@example.com"},
			{"sip:?ob@*", "sip:_ob@%"},
			{"sip:a_b@x", "sip:a!_b@x"},
			{"100%", "100!%"},
			{"wow!", "wow!!"},
			{"\\", "\\"},
	};
	char out[64];
	unsigned int i;
	BEGIN("like_pattern: wildcards translated, LIKE specials escaped");

	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(pchat_policy_like_pattern(
					  cases[i].in, (int)strlen(cases[i].in), out, sizeof(out))
						== 0,
				"'%s' refused", cases[i].in);
		CHECK(strcmp(out, cases[i].out) == 0, "'%s' -> '%s', want '%s'",
				cases[i].in, out, cases[i].out);
	}
done:
	END;
}

static void t_like_limits(void)
{
	char out[8];
	BEGIN("like_pattern: output size respected");

	CHECK(pchat_policy_like_pattern("abcdefg", 7, out, 8) == 0, "7 into 8");
	CHECK(pchat_policy_like_pattern("abcdefgh", 8, out, 8) < 0, "8 into 8");
	/* an escape doubles a character: "abcde_" needs 7 + NUL */
	CHECK(pchat_policy_like_pattern("abcde_", 6, out, 8) == 0
					&& strcmp(out, "abcde!_") == 0,
			"escape at the end: '%s'", out);
	CHECK(pchat_policy_like_pattern("abcdef_", 7, out, 8) < 0,
			"escape past the end accepted");
done:
	END;
}

int main(void)
{
	t_resolve_table();
	t_resolve_cases();
	t_row();
	t_scope_good();
	t_scope_bad();
	t_scope_limits();
	t_user_domain();
	t_scope_print();
	t_like();
	t_like_limits();

	return unit_summary();
}
