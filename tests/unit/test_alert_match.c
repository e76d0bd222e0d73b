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
/* Unit tests for the in-memory alert matcher (pchat_alert_match.c). */

#include <stdio.h>
#include <string.h>

#include "pchat_alert_match.h"
#include "unit.h"

/* weights of "cafe" "caf", "fe", "東京" (as MariaDB gives them) */
#define W_CAFE "0E600E330EB90E8B"
#define W_FE "0EB90E8B"
#define W_TOKYO "FB40E771FB40CEAC"

static int run(pchat_amatch_t *m, long long room, const char *author,
		const char *hex, int *out)
{
	unsigned short w[64];
	int n = pchat_amatch_weights(hex, w, 64);

	return pchat_amatch_run(m, room, author, w, n, out, 16);
}

static void t_match(void)
{
	pchat_amatch_in_t in[] = {
		{1, 0, PCHAT_AMATCH_WORD, "sip:a@x", W_FE},
		{2, 0, PCHAT_AMATCH_WORD, "sip:a@x", W_CAFE}, /* a: twice */
		{3, 7, PCHAT_AMATCH_WORD, "sip:b@x", W_FE},    /* room 7 only */
		{4, 0, PCHAT_AMATCH_AUTHOR, "sip:c@x", "sip:bob@x"},
		{5, 0, PCHAT_AMATCH_WORD, "sip:d@x", W_TOKYO},
		{6, 0, PCHAT_AMATCH_WORD, "sip:e@x", ""},      /* nothing */
		{7, 0, PCHAT_AMATCH_WORD, "sip:bob@x", W_FE},  /* the author */
		{8, 0, PCHAT_AMATCH_WORD, "sip:f@x", "0E8B"},  /* one weight */
	};
	pchat_amatch_t m;
	int out[16], n;
	BEGIN("word, room, author, each user once");

	CHECK(pchat_amatch_build(&m, in, 8) == 0, "build");
	n = run(&m, 7, "sip:bob@x", "0201" W_CAFE "0201", out);
	CHECK(n == 4, "%d users, want a, b, c, f", n);
	CHECK(strcmp(m.users[out[0]], "sip:c@x") == 0, "author first");
	n = run(&m, 8, "sip:zed@x", W_CAFE, out);
	CHECK(n == 3, "room 8: %d users, want a, bob and f", n);
	n = run(&m, 8, "sip:zed@x", "0E8B", out);
	CHECK(n == 1 && strcmp(m.users[out[0]], "sip:f@x") == 0,
			"a one-weight word at the text's end");
	n = run(&m, 8, "sip:zed@x", "0E60" W_TOKYO, out);
	CHECK(n == 1 && strcmp(m.users[out[0]], "sip:d@x") == 0, "CJK");
	n = run(&m, 8, "sip:zed@x", "0E8A0EB9", out);
	CHECK(n == 0, "reversed weights matched %d", n);
	/* a half weight never starts a match: the text is whole weights */
	CHECK(pchat_amatch_weights("0E6", (unsigned short[4]){0}, 4) == -1,
			"odd hex taken");
done:
	pchat_amatch_free(&m);
	END;
}

static void t_empty(void)
{
	pchat_amatch_t m;
	int out[4], n;
	BEGIN("no subscriptions");

	CHECK(pchat_amatch_build(&m, NULL, 0) == 0, "build");
	n = run(&m, 1, "sip:a@x", W_CAFE, out);
	CHECK(n == 0, "%d", n);
done:
	pchat_amatch_free(&m);
	END;
}

int main(void)
{
	t_match();
	t_empty();
	return unit_summary();
}
