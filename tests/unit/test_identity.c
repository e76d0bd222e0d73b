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
/* Unit tests for the canonical identity (pchat_identity.c) */

/* The harness (cases, CHECK, summary line) is unit.h. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pchat_identity.h"
#include "unit.h"


static int canon(const char *in, char *out)
{
	const char *why;
	int rc = pchat_identity_canon(
			in, (int)strlen(in), out, PCHAT_IDENTITY_MAX, &why);

	if(rc < 0 && why == NULL)
		return 99; /* every refusal must say why */
	return rc;
}

/* variants of one identity, all canonicalised to want */
static void t_variants(void)
{
	static const char *same[] = {"sip:mallory@example.com",
			"sip:mallory@example.com;x=1", "sip:mallory@example.com:5060",
			"sip:mallory@example.com:5060;transport=tcp",
			"sip:mallory@EXAMPLE.COM", "sip:mallory@example.com.",
			"sips:mallory@example.com", "SIP:mallory@example.com",
			"sip:%6dallory@example.com", "sip:%6Dallory@example.com",
			"sip:MALLORY@example.com", "sip:mallory@example.com?subject=x",
			"sip:mallory@Example.Com.:5061;lr;maddr=1.2.3.4?a=b", NULL};
	char out[PCHAT_IDENTITY_MAX];
	int i, rc;
	BEGIN("canon: every variant of mallory is sip:mallory@example.com");

	for(i = 0; same[i]; i++) {
		rc = canon(same[i], out);
		CHECK(rc == (int)strlen("sip:mallory@example.com")
						&& strcmp(out, "sip:mallory@example.com") == 0,
				"'%s' -> %d '%s'", same[i], rc, rc > 0 ? out : "");
	}
done:
	END;
}

static void t_user_escapes(void)
{
	static const char *cases[][2] = {
			{"sip:a%2Bb@x.org", "sip:a%2Bb@x.org"},
			{"sip:a%2bb@x.org", "sip:a%2Bb@x.org"}, /* hex case only */
			{"sip:a+b@x.org", "sip:a+b@x.org"},	 /* differs from %2B */
			{"sip:a%20b@x.org", "sip:a%20b@x.org"}, /* space stays escaped */
			{"sip:a%40b@x.org", "sip:a%40b@x.org"}, /* so does '@' */
			{"sip:%41lice@x.org", "sip:alice@x.org"},
			{"sip:m%C3%BCller@x.org", "sip:m\xc3\xbcller@x.org"},
			{"sip:m\xc3\xbcller@x.org", "sip:m\xc3\xbcller@x.org"},
			{"sip:M\xc3\xbcLLER@x.org", "sip:m\xc3\xbcller@x.org"},
			{"sip:a.b-c_d!~*'()@x.org", "sip:a.b-c_d!~*'()@x.org"},
			{"sip:+15551234@x.org;user=phone", "sip:+15551234@x.org"},
			{"sip:a&b=c$d,e@x.org", "sip:a&b=c$d,e@x.org"},
			{"sip:u@192.0.2.1:5060", "sip:u@192.0.2.1"},
			{"sip:u@[2001:DB8::1]:5060", "sip:u@[2001:db8::1]"}, {NULL, NULL}};
	char out[PCHAT_IDENTITY_MAX];
	int i, rc;
	BEGIN("canon: user part escapes, case and UTF-8");

	for(i = 0; cases[i][0]; i++) {
		rc = canon(cases[i][0], out);
		CHECK(rc > 0 && strcmp(out, cases[i][1]) == 0, "'%s' -> %d '%s'",
				cases[i][0], rc, rc > 0 ? out : "");
	}
	CHECK(canon("sip:muller@x.org", out) > 0
					&& strcmp(out, "sip:m\xc3\xbcller@x.org") != 0,
			"muller is m\xc3\xbcller");
done:
	END;
}

static void t_refused(void)
{
	static const char *refused[] = {"tel:+15551234", "mailto:a@b.org",
			"sip:example.com", "sip:@example.com", "sip:a:secret@x.org",
			"sip:mallory;x=1@example.com", "sip:a?b@x.org", "sip:a/b@x.org",
			"http://a@b.org", "sipx:a@b.org", "sip:", "sips:", NULL};
	static const char *malformed[] = {"", "sip:a@",
			"sip:a@b@c.org", "sip:a@ex ample.org", " sip:a@x.org",
			"sip:a@x.org ", "sip:a%@x.org", "sip:a%4@x.org", "sip:a%zz@x.org",
			"sip:a%00@x.org", "sip:a%0d%0a@x.org", "sip:a\r\n@x.org",
			"sip:a@x.org:", "sip:a@x.org:123456", "sip:a@x.org:80a",
			"sip:a@-x.org", "sip:a@x-.org", "sip:a@x..org", "sip:a@.",
			"sip:a@x.org..", "sip:a@x_y.org", "sip:a@[zz::1]", "sip:a@[::1",
			"sip:a@[1]", "sip:a@x%2eorg", "sip:a\"b@x.org", "sip:a<b@x.org",
			"sip:a%@x.org", "sip:\xff@x.org", "sip:\xc3@x.org",
			"sip:a\xc3(@x.org", "sip:%C3@x.org", "sip:\xc0\xaf@x.org",
			"sip:\xe0\x80\xaf@x.org", "sip:\xed\xa0\x80@x.org",
			"sip:\xf4\x90\x80\x80@x.org", "sip:\xf8\x88\x80\x80\x80@x.org",
			"sip:a@x\xc3\xa9.org", "sip:a@x.org;p=\xc3\xa9", NULL};
	char out[PCHAT_IDENTITY_MAX];
	int i, rc;
	BEGIN("canon: refused (403) and malformed (400) identities");

	for(i = 0; refused[i]; i++) {
		rc = canon(refused[i], out);
		CHECK(rc == PCHAT_ID_REFUSED, "'%s' -> %d", refused[i], rc);
	}
	for(i = 0; malformed[i]; i++) {
		rc = canon(malformed[i], out);
		CHECK(rc == PCHAT_ID_MALFORMED, "'%s' -> %d", malformed[i], rc);
	}
done:
	END;
}

static void t_limits(void)
{
	char in[1200], out[PCHAT_IDENTITY_MAX], small[16];
	int rc, n;
	BEGIN("canon: the output buffer bounds the identity");

	/* 4 + 200 + 1 + 50 = 255 fits; one more byte does not */
	memcpy(in, "sip:", 4);
	memset(in + 4, 'a', 200);
	in[204] = '@';
	memset(in + 205, 'b', 50);
	in[255] = '\0';
	rc = canon(in, out);
	CHECK(rc == 255, "255 bytes -> %d", rc);
	in[255] = 'b';
	in[256] = '\0';
	rc = canon(in, out);
	CHECK(rc == PCHAT_ID_MALFORMED, "256 bytes -> %d", rc);
	/* escapes that expand are counted after expansion */
	n = snprintf(in, sizeof(in), "sip:");
	while(n < 4 + 3 * 90)
		n += snprintf(in + n, sizeof(in) - n, "%%20");
	snprintf(in + n, sizeof(in) - n, "@x.org");
	rc = canon(in, out);
	CHECK(rc == 4 + 270 + 6 || rc == PCHAT_ID_MALFORMED, "escapes -> %d", rc);
	rc = pchat_identity_canon("sip:alice@example.com", 21, small,
			sizeof(small), NULL);
	CHECK(rc == PCHAT_ID_MALFORMED, "small buffer -> %d", rc);
	rc = pchat_identity_canon("sip:al@x.org", 12, small, sizeof(small), NULL);
	CHECK(rc == 12 && strcmp(small, "sip:al@x.org") == 0, "fits -> %d", rc);
	/* a length shorter than the string: only that much is read */
	rc = pchat_identity_canon("sip:al@x.orgZZZ", 12, out, sizeof(out), NULL);
	CHECK(rc == 12 && strcmp(out, "sip:al@x.org") == 0, "len -> %d", rc);
	/* a 254-character host is too long, 253 fits */
	memcpy(in, "sip:a@", 6);
	memset(in + 6, 'h', 253);
	for(n = 6 + 60; n < 6 + 253; n += 61)
		in[n] = '.';
	in[6 + 253] = '\0';
	rc = pchat_identity_host(in + 6, 253, out, sizeof(out));
	CHECK(rc == 253, "253-char host -> %d", rc);
	in[6 + 253] = 'h';
	rc = pchat_identity_host(in + 6, 254, out, sizeof(out));
	CHECK(rc == PCHAT_ID_MALFORMED, "254-char host -> %d", rc);
done:
	END;
}

static void t_host(void)
{
	char out[PCHAT_IDENTITY_MAX];
	BEGIN("host: lower case, trailing dot, labels");

	CHECK(pchat_identity_host("Example.COM.", 12, out, sizeof(out)) == 11
					&& strcmp(out, "example.com") == 0,
			"'%s'", out);
	CHECK(pchat_identity_host("a", 1, out, sizeof(out)) == 1, "one label");
	CHECK(pchat_identity_host(".", 1, out, sizeof(out)) < 0, "root only");
	CHECK(pchat_identity_host("", 0, out, sizeof(out)) < 0, "empty");
	CHECK(pchat_identity_host("a.b.", 4, out, 4) == 3, "fits after the dot");
	CHECK(pchat_identity_host("abcd", 4, out, 4) < 0, "no room for NUL");
done:
	END;
}

static void t_utf8(void)
{
	BEGIN("utf8_ok: valid and invalid sequences");

	CHECK(pchat_identity_utf8_ok((const unsigned char *)"abc", 3), "ascii");
	CHECK(pchat_identity_utf8_ok((const unsigned char *)"\xc3\xbc", 2), "2");
	CHECK(pchat_identity_utf8_ok((const unsigned char *)"\xe2\x82\xac", 3),
			"3");
	CHECK(pchat_identity_utf8_ok(
				  (const unsigned char *)"\xf0\x9f\x98\x80", 4),
			"4");
	CHECK(!pchat_identity_utf8_ok((const unsigned char *)"\xc3", 1), "cut");
	CHECK(!pchat_identity_utf8_ok(
				  (const unsigned char *)"\xf0\x9f\x98\x80", 3),
			"cut 4");
	CHECK(!pchat_identity_utf8_ok((const unsigned char *)"\xc1\xbf", 2),
			"overlong");
	CHECK(!pchat_identity_utf8_ok((const unsigned char *)"\x80", 1), "cont");
	CHECK(!pchat_identity_utf8_ok((const unsigned char *)"\xed\xbf\xbf", 3),
			"surrogate");
done:
	END;
}

/* Random and mutated inputs: never a crash or an overrun (ASan watches),
 * every result is a well-formed canonical identity and a fixed point. */
static void t_fuzz(void)
{
	static const char alphabet[] = "sipSIP:@%;?/.-_aAzZ09fF[]<>\" \r\n+=&$,!"
								   "\xc3\xbc\xff\x80\xed\xa0";
	static const char *seeds[] = {"sip:mallory@example.com;x=1",
			"sips:%6Dallory@EXAMPLE.com.:5060", "sip:u@[::1]:5060?h=v",
			"sip:m%C3%BCller@x.org"};
	char in[300], out[PCHAT_IDENTITY_MAX], again[PCHAT_IDENTITY_MAX];
	const char *why;
	int i, k, len, rc, rc2, size;
	unsigned int seed = 11;
	BEGIN("canon: 200000 hostile inputs, results are fixed points");

	srand(seed);
	for(i = 0; i < 200000; i++) {
		if(i % 2) {
			len = rand() % 80;
			for(k = 0; k < len; k++)
				in[k] = alphabet[rand() % (sizeof(alphabet) - 1)];
			if(len >= 4 && rand() % 2)
				memcpy(in, "sip:", 4);
		} else {
			strcpy(in, seeds[rand() % 4]);
			len = strlen(in);
			for(k = rand() % 4; k >= 0; k--)
				in[rand() % len] = (char)(rand() % 256);
		}
		size = 8 + rand() % (PCHAT_IDENTITY_MAX - 8);
		/* the input is not NUL-terminated: ASan catches reads past len */
		char *heap = malloc(len ? len : 1);
		memcpy(heap, in, len);
		why = NULL;
		rc = pchat_identity_canon(heap, len, out, size, &why);
		free(heap);
		if(rc < 0) {
			CHECK(rc == PCHAT_ID_MALFORMED || rc == PCHAT_ID_REFUSED,
					"rc %d", rc);
			CHECK(why != NULL, "no reason for %d", rc);
			continue;
		}
		CHECK(rc < size && (int)strlen(out) == rc, "length %d / %d", rc, size);
		CHECK(strncmp(out, "sip:", 4) == 0 && strchr(out, '@')
						&& strchr(out, '@') == strrchr(out, '@'),
				"shape '%s'", out);
		CHECK(strpbrk(out, ";?:<>\" ") == out + 3
						|| (strchr(out, '[') && strpbrk(out, ";?<>\" ") == NULL),
				"separator left in '%s'", out);
		rc2 = pchat_identity_canon(out, rc, again, sizeof(again), NULL);
		CHECK(rc2 == rc && strcmp(out, again) == 0, "not a fixed point '%s'",
				out);
	}
done:
	END;
}

int main(void)
{
	t_variants();
	t_user_escapes();
	t_refused();
	t_limits();
	t_host();
	t_utf8();
	t_fuzz();

	return unit_summary();
}
