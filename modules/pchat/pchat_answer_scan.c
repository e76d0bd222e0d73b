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
/* Base layer: the raw reading of a reply's status and top Via branch (see
 * pchat_answer_scan.h). Pure C. */

#include <string.h>
#include <strings.h>

#include "pchat_answer_scan.h"

/* Only this many bytes are looked at for the top Via: a reply whose Via
 * is further down is left to the core. */
#define PCHAT_SCAN_MAX 2048

static const char *pchat_eol(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl;
}

static int pchat_is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		   || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '!'
		   || c == '%' || c == '*' || c == '_' || c == '+' || c == '`'
		   || c == '\'' || c == '~';
}

/* The branch in one Via value [p, end): the first via-parm only (up to a
 * comma), parameters after ';', "branch" in any case, no spaces inside. */
static int pchat_via_branch(const char *p, const char *end, const char **b,
		int *blen)
{
	const char *q, *stop = memchr(p, ',', (size_t)(end - p));

	if(stop)
		end = stop;
	for(q = p; q < end; q++) {
		if(*q != ';')
			continue;
		q++;
		while(q < end && (*q == ' ' || *q == '\t'))
			q++;
		if(end - q < 7 || strncasecmp(q, "branch=", 7) != 0)
			continue;
		q += 7;
		*b = q;
		while(q < end && *q != ';' && *q != ' ' && *q != '\t' && *q != '\r')
			q++;
		*blen = (int)(q - *b);
		return *blen > 0;
	}
	return 0;
}

static int pchat_status(const char *buf, int len, int *code)
{
	int i;

	if(len < 13 || memcmp(buf, "SIP/2.0 ", 8) != 0 || buf[11] != ' ')
		return 0;
	for(i = 8; i < 11; i++)
		if(buf[i] < '0' || buf[i] > '9')
			return 0;
	*code = (buf[8] - '0') * 100 + (buf[9] - '0') * 10 + (buf[10] - '0');
	return *code >= 100 && *code <= 699;
}

int pchat_answer_scan(const char *buf, int len, int *code, const char **branch,
		int *branch_len)
{
	const char *p, *end, *nl, *colon, *n;
	int nlen;

	if(buf == NULL || !pchat_status(buf, len, code))
		return 0;
	end = buf + (len > PCHAT_SCAN_MAX ? PCHAT_SCAN_MAX : len);
	nl = pchat_eol(buf, end);
	if(nl == NULL)
		return 0;
	for(p = nl + 1; p < end; p = nl + 1) {
		nl = pchat_eol(p, end);
		if(nl == NULL)
			return 0;
		if(*p == '\r' || *p == '\n')
			return 0; /* the end of the headers, and no Via */
		if(*p == ' ' || *p == '\t')
			return 0; /* a folded line: the core knows what it means */
		for(n = p; n < nl && pchat_is_tchar(*n); n++)
			;
		nlen = (int)(n - p);
		while(n < nl && (*n == ' ' || *n == '\t'))
			n++;
		if(nlen == 0 || n >= nl || *n != ':')
			return 0;
		colon = n;
		if((nlen == 3 && strncasecmp(p, "via", 3) == 0)
				|| (nlen == 1 && (*p == 'v' || *p == 'V')))
			return pchat_via_branch(colon + 1, nl, branch, branch_len);
	}
	return 0;
}
