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
/* The keyword filter of pchat.message_remove (Lync Remove-CsPersistentChat
 * Message -Filter -MatchClause -CaseSensitive). Matching runs in C on rows
 * the store selected by room, author and date, so that no SQL is ever
 * built from the administrator's text. Pure code, unit-tested. */

#ifndef _PCHAT_TEXTMATCH_H_
#define _PCHAT_TEXTMATCH_H_

#define PCHAT_TEXTMATCH_MAX_WORDS 16

typedef enum pchat_textmatch_mode
{
	PCHAT_TEXTMATCH_ALL = 0,  /* every keyword appears */
	PCHAT_TEXTMATCH_ANY = 1,  /* at least one keyword appears */
	PCHAT_TEXTMATCH_EXACT = 2 /* the whole filter appears as one phrase */
} pchat_textmatch_mode_t;

/* Keywords point into the filter text, which must outlive the matcher. */
typedef struct pchat_textmatch
{
	pchat_textmatch_mode_t mode;
	int case_sensitive;
	int nwords;
	const char *word[PCHAT_TEXTMATCH_MAX_WORDS];
	int len[PCHAT_TEXTMATCH_MAX_WORDS];
	const char *phrase; /* the filter without leading/trailing white space */
	int phrase_len;
} pchat_textmatch_t;

/* Splits filter on white space. Returns 0, -1 for more than
 * PCHAT_TEXTMATCH_MAX_WORDS keywords, -2 when there is no keyword. */
int pchat_textmatch_init(pchat_textmatch_t *m, const char *filter,
		pchat_textmatch_mode_t mode, int case_sensitive);

/* 1 when text matches. Keywords match anywhere, also inside a word;
 * without case_sensitive, ASCII letters match either case. */
int pchat_textmatch_test(const pchat_textmatch_t *m, const char *text);

#endif
