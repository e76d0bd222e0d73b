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
/* Unit tests for the message keyword filter (pchat_textmatch.c) */

/* The harness (cases, CHECK, summary line) is unit.h. */

#include <stdio.h>
#include <string.h>

#include "pchat_textmatch.h"
#include "unit.h"

/* One filter against one text. */
static void expect(const char *name, const char *filter,
		pchat_textmatch_mode_t mode, int cs, const char *text, int want)
{
	pchat_textmatch_t m;
	char detail[256];
	int r = pchat_textmatch_init(&m, filter, mode, cs);

	if(r != 0) {
		snprintf(detail, sizeof(detail), "init('%s') -> %d", filter, r);
		unit_report(name, detail);
		return;
	}
	r = pchat_textmatch_test(&m, text);
	snprintf(detail, sizeof(detail), "'%s' on '%s' -> %d, want %d", filter,
			text, r, want);
	unit_check(name, r == want, "%s", detail);
}

static void t_init(void)
{
	pchat_textmatch_t m;
	char many[128];
	int i, len = 0;

	unit_check("init splits on any white space",
			pchat_textmatch_init(&m, "  alpha\tbeta\n gamma  ",
					PCHAT_TEXTMATCH_ALL,
					0) == 0
					&& m.nwords == 3 && m.len[0] == 5
					&& strncmp(m.word[1], "beta", 4) == 0 && m.len[2] == 5,
			"wrong keywords");
	unit_check("phrase drops outer white space only",
			m.phrase_len == (int)strlen("alpha\tbeta\n gamma")
					&& strncmp(m.phrase, "alpha", 5) == 0,
			"wrong phrase");
	unit_check("empty filter is refused",
			pchat_textmatch_init(&m, "", PCHAT_TEXTMATCH_ANY, 0) == -2,
			"not -2");
	unit_check("blank filter is refused",
			pchat_textmatch_init(&m, " \t ", PCHAT_TEXTMATCH_ANY, 0) == -2,
			"not -2");
	for(i = 0; i < PCHAT_TEXTMATCH_MAX_WORDS; i++)
		len += snprintf(many + len, sizeof(many) - len, "w%d ", i);
	unit_check("16 keywords are accepted",
			pchat_textmatch_init(&m, many, PCHAT_TEXTMATCH_ANY, 0) == 0
					&& m.nwords == PCHAT_TEXTMATCH_MAX_WORDS,
			"refused");
	snprintf(many + len, sizeof(many) - len, "extra");
	unit_check("17 keywords are refused",
			pchat_textmatch_init(&m, many, PCHAT_TEXTMATCH_ANY, 0) == -1,
			"not -1");
}

static void t_all(void)
{
	expect("all: every keyword present", "merger secret", PCHAT_TEXTMATCH_ALL,
			0, "The secret MERGER is on", 1);
	expect("all: one keyword missing", "merger secret", PCHAT_TEXTMATCH_ALL, 0,
			"the merger is public", 0);
	expect("all: keyword inside a word", "merge", PCHAT_TEXTMATCH_ALL, 0,
			"mergers and acquisitions", 1);
	expect("all: case sensitive misses other case", "Merger",
			PCHAT_TEXTMATCH_ALL, 1, "the merger", 0);
	expect("all: case sensitive hits same case", "Merger", PCHAT_TEXTMATCH_ALL,
			1, "the Merger", 1);
}

static void t_any(void)
{
	expect("any: one keyword present", "merger lunch", PCHAT_TEXTMATCH_ANY, 0,
			"LUNCH at noon", 1);
	expect("any: none present", "merger lunch", PCHAT_TEXTMATCH_ANY, 0,
			"dinner at eight", 0);
	expect("any: case sensitive", "Lunch", PCHAT_TEXTMATCH_ANY, 1,
			"lunch at noon", 0);
}

static void t_exact(void)
{
	expect("exact: phrase present", "insider tip", PCHAT_TEXTMATCH_EXACT, 0,
			"here is an Insider Tip for you", 1);
	expect("exact: words apart do not match", "insider tip",
			PCHAT_TEXTMATCH_EXACT, 0, "tip from an insider", 0);
	expect("exact: words in order but separated", "insider tip",
			PCHAT_TEXTMATCH_EXACT, 0, "insider's tip", 0);
	expect("exact: case sensitive", "Insider Tip", PCHAT_TEXTMATCH_EXACT, 1,
			"an insider tip", 0);
	expect("exact: at the very end", "the end", PCHAT_TEXTMATCH_EXACT, 0,
			"this is the end", 1);
}

static void t_edges(void)
{
	pchat_textmatch_t m;

	pchat_textmatch_init(&m, "x", PCHAT_TEXTMATCH_ALL, 0);
	unit_check("NULL text never matches", pchat_textmatch_test(&m, NULL) == 0,
			"matched");
	unit_check("empty text never matches", pchat_textmatch_test(&m, "") == 0,
			"matched");
	expect("keyword longer than text", "longword", PCHAT_TEXTMATCH_ANY, 0,
			"long", 0);
	expect("UTF-8 keyword matches bytes", "Grüße", PCHAT_TEXTMATCH_ALL, 1,
			"viele Grüße", 1);
	expect("percent and underscore are plain text", "100%_x",
			PCHAT_TEXTMATCH_ALL, 0, "got 100%_X today", 1);
}

int main(void)
{
	t_init();
	t_all();
	t_any();
	t_exact();
	t_edges();
	return unit_summary();
}
