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
/* Base layer: the keyword filter of pchat.message_remove. Pure C,
 * unit-tested. */

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "pchat_textmatch.h"

int pchat_textmatch_init(pchat_textmatch_t *m, const char *filter,
		pchat_textmatch_mode_t mode, int case_sensitive)
{
	const char *p = filter, *start, *end;

	memset(m, 0, sizeof(*m));
	m->mode = mode;
	m->case_sensitive = case_sensitive;
	while(*p) {
		while(*p && isspace((unsigned char)*p))
			p++;
		if(*p == '\0')
			break;
		start = p;
		while(*p && !isspace((unsigned char)*p))
			p++;
		if(m->nwords == PCHAT_TEXTMATCH_MAX_WORDS)
			return -1;
		m->word[m->nwords] = start;
		m->len[m->nwords] = p - start;
		m->nwords++;
	}
	if(m->nwords == 0)
		return -2;
	start = m->word[0];
	end = m->word[m->nwords - 1] + m->len[m->nwords - 1];
	m->phrase = start;
	m->phrase_len = end - start;
	return 0;
}

/* Is needle[0..len) somewhere in text? */
static int pchat_textmatch_find(
		const char *text, const char *needle, int len, int cs)
{
	const char *t;

	for(t = text; *t; t++) {
		if(cs ? strncmp(t, needle, len) == 0 : strncasecmp(t, needle, len) == 0)
			return 1;
	}
	return 0;
}

int pchat_textmatch_test(const pchat_textmatch_t *m, const char *text)
{
	int i, found;

	if(text == NULL)
		return 0;
	if(m->mode == PCHAT_TEXTMATCH_EXACT)
		return pchat_textmatch_find(
				text, m->phrase, m->phrase_len, m->case_sensitive);
	for(i = 0; i < m->nwords; i++) {
		found = pchat_textmatch_find(
				text, m->word[i], m->len[i], m->case_sensitive);
		if(m->mode == PCHAT_TEXTMATCH_ANY && found)
			return 1;
		if(m->mode == PCHAT_TEXTMATCH_ALL && !found)
			return 0;
	}
	return m->mode == PCHAT_TEXTMATCH_ALL;
}
