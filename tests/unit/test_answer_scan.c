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
/* Unit tests for the raw reading of an answer's status and top Via branch
 * (pchat_answer_scan.c). */

#include <stdio.h>
#include <string.h>

#include "pchat_answer_scan.h"
#include "unit.h"

#define TAIL                                              \
	"From: <sip:pchat@example.com>;tag=a\r\n"             \
	"To: <sip:alice@example.com>;tag=b\r\nCall-ID: c\r\n" \
	"CSeq: 7 INFO\r\nContent-Length: 0\r\n\r\n"

/* want_branch NULL: the scan must say "not for me" (0). */
static void expect(const char *name, const char *msg, int want_code,
		const char *want_branch)
{
	const char *b = NULL;
	int code = 0, blen = 0;
	int r = pchat_answer_scan(msg, (int)strlen(msg), &code, &b, &blen);

	if(want_branch == NULL) {
		unit_check(name, r == 0, "scan -> %d (branch '%.*s'), want 0", r,
				blen, b ? b : "");
		return;
	}
	unit_check(name,
			r == 1 && code == want_code && blen == (int)strlen(want_branch)
					&& memcmp(b, want_branch, blen) == 0,
			"scan -> %d code %d branch '%.*s', want %d '%s'", r, code, blen,
			b ? b : "", want_code, want_branch);
}

int main(void)
{
	expect("plain 200", "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 10.0.0.1:5060"
						";branch=z9hG4bKpc1.2.3.abc\r\n" TAIL,
			200, "z9hG4bKpc1.2.3.abc");
	expect("compact v and params after", "SIP/2.0 486 Busy Here\r\n"
			"v: SIP/2.0/TCP h;rport=1;branch=z9hG4bKx;received=1.2.3.4\r\n" TAIL,
			486, "z9hG4bKx");
	expect("header name case, space before colon", "SIP/2.0 202 Accepted\r\n"
			"Max-Forwards: 70\r\nVIA  : SIP/2.0/TCP h ; BRANCH=z9hG4bKy\r\n" TAIL,
			202, "z9hG4bKy");
	expect("only the first Via value", "SIP/2.0 200 OK\r\n"
			"Via: SIP/2.0/TCP a, SIP/2.0/TCP b;branch=z9hG4bKother\r\n" TAIL,
			0, NULL);
	expect("only the first Via header", "SIP/2.0 200 OK\r\n"
			"Via: SIP/2.0/TCP a;branch=z9hG4bKtop\r\n"
			"Via: SIP/2.0/TCP b;branch=z9hG4bKsecond\r\n" TAIL,
			200, "z9hG4bKtop");
	expect("a request is not an answer", "INFO sip:a@b SIP/2.0\r\n"
			"Via: SIP/2.0/TCP a;branch=z9hG4bKpc1.2.3.x\r\n" TAIL, 0, NULL);
	expect("folded line: left to the core", "SIP/2.0 200 OK\r\n"
			"Subject: a\r\n b\r\nVia: SIP/2.0/TCP a;branch=z9hG4bKz\r\n" TAIL,
			0, NULL);
	expect("no Via", "SIP/2.0 200 OK\r\n" TAIL, 0, NULL);
	expect("no branch", "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP a;rport\r\n" TAIL,
			0, NULL);
	expect("empty branch", "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP a;branch=\r\n"
			TAIL, 0, NULL);
	expect("bad status", "SIP/2.0 2x0 OK\r\nVia: SIP/2.0/TCP a;branch=q\r\n"
			TAIL, 0, NULL);
	expect("status out of range", "SIP/2.0 099 Odd\r\n"
			"Via: SIP/2.0/TCP a;branch=q\r\n" TAIL, 0, NULL);
	expect("other version", "SIP/3.0 200 OK\r\nVia: SIP/2.0/TCP a;branch=q\r\n"
			TAIL, 0, NULL);
	expect("a name with odd bytes", "SIP/2.0 200 OK\r\nX\x01Y: 1\r\n"
			"Via: SIP/2.0/TCP a;branch=q\r\n" TAIL, 0, NULL);
	expect("header without colon", "SIP/2.0 200 OK\r\nVia SIP/2.0/TCP a;"
			"branch=q\r\n" TAIL, 0, NULL);
	expect("Via-like name", "SIP/2.0 200 OK\r\nVias: SIP/2.0/TCP a;branch=q\r\n"
			"Via: SIP/2.0/TCP a;branch=real\r\n" TAIL, 200, "real");
	expect("bare LF lines", "SIP/2.0 200 OK\nVia: SIP/2.0/TCP a;branch=lf\n\n",
			200, "lf");
	expect("no line end", "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP a;branch=q", 0,
			NULL);
	expect("short", "SIP/2.0 200", 0, NULL);
	/* the length bounds the scan: a Via after len is not seen */
	{
		const char *m = "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP a;branch=zz\r\n";
		const char *b = NULL;
		int code, blen, r = pchat_answer_scan(m, 20, &code, &b, &blen);
		unit_check("length bounds the scan", r == 0, "scan -> %d", r);
	}
	return unit_summary();
}
