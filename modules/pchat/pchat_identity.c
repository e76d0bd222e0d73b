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
/* The canonical identity: see pchat_identity.h for the rule. */

#include <string.h>
#include <strings.h>

#include "pchat_identity.h"

#define PCHAT_ID_FAIL(rc, text) \
	do {                        \
		if(why)                 \
			*why = (text);      \
		return (rc);            \
	} while(0)

static int pchat_lc(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int pchat_is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		   || (c >= '0' && c <= '9');
}

static int pchat_hexval(int c)
{
	if(c >= '0' && c <= '9')
		return c - '0';
	c = pchat_lc(c);
	return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* RFC 3261 25.1: reserved = ";" / "/" / "?" / ":" / "@" / "&" / "=" / "+"
 * / "$" / ","; an escape of one of these differs from the character. */
static int pchat_is_reserved(int c)
{
	return c && strchr(";/?:@&=+$,", c) != NULL;
}

/* unreserved = alphanum / mark */
static int pchat_is_unreserved(int c)
{
	return pchat_is_alnum(c) || (c && strchr("-_.!~*'()", c) != NULL);
}

int pchat_identity_utf8_ok(const unsigned char *s, int len)
{
	int i = 0, n, k;
	unsigned int cp, min;

	while(i < len) {
		if(s[i] < 0x80) {
			i++;
			continue;
		}
		if((s[i] & 0xe0) == 0xc0) {
			n = 1, cp = s[i] & 0x1f, min = 0x80;
		} else if((s[i] & 0xf0) == 0xe0) {
			n = 2, cp = s[i] & 0x0f, min = 0x800;
		} else if((s[i] & 0xf8) == 0xf0) {
			n = 3, cp = s[i] & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if(i + n >= len)
			return 0; /* truncated sequence */
		for(k = 1; k <= n; k++) {
			if((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if(cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

static int pchat_host_ipv6(const char *in, int len, char *out, int size)
{
	int i, colons = 0;

	if(len < 4 || len > 47 || in[len - 1] != ']' || len >= size)
		return PCHAT_ID_MALFORMED;
	for(i = 1; i < len - 1; i++) {
		if(in[i] == ':')
			colons++;
		else if(in[i] != '.' && pchat_hexval((unsigned char)in[i]) < 0)
			return PCHAT_ID_MALFORMED;
		out[i] = (char)pchat_lc((unsigned char)in[i]);
	}
	if(colons < 2)
		return PCHAT_ID_MALFORMED;
	out[0] = '[';
	out[len - 1] = ']';
	out[len] = '\0';
	return len;
}

int pchat_identity_host(const char *in, int len, char *out, int size)
{
	int i, label = 0;

	if(len > 0 && in[0] == '[')
		return pchat_host_ipv6(in, len, out, size);
	if(len > 1 && in[len - 1] == '.')
		len--; /* the root label: example.com. is example.com */
	if(len <= 0 || len > 253 || len >= size)
		return PCHAT_ID_MALFORMED;
	for(i = 0; i < len; i++) {
		if(in[i] == '.') {
			/* no empty label, and none ending in '-' */
			if(label == 0 || in[i - 1] == '-')
				return PCHAT_ID_MALFORMED;
			label = 0;
		} else if((in[i] == '-' && label > 0)
				  || pchat_is_alnum((unsigned char)in[i])) {
			if(++label > 63)
				return PCHAT_ID_MALFORMED;
		} else {
			return PCHAT_ID_MALFORMED;
		}
		out[i] = (char)pchat_lc((unsigned char)in[i]);
	}
	if(label == 0 || in[len - 1] == '-')
		return PCHAT_ID_MALFORMED;
	out[len] = '\0';
	return len;
}

/* Appends byte c to the canonical user part, escaped when it must be. */
static int pchat_user_put(char *out, int *o, int size, int c, int escape)
{
	static const char hex[] = "0123456789ABCDEF";

	if(*o + (escape ? 3 : 1) >= size)
		return -1;
	if(escape) {
		out[(*o)++] = '%';
		out[(*o)++] = hex[(c >> 4) & 0xf];
		out[(*o)++] = hex[c & 0xf];
	} else {
		out[(*o)++] = (char)pchat_lc(c);
	}
	return 0;
}

/* The user part in[0..len) into out at *o. */
static int pchat_identity_user(const char *in, int len, char *out, int *o,
		int size, const char **why)
{
	int i, c, start = *o, hi, lo;

	for(i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		if(c == '%') {
			hi = i + 2 < len ? pchat_hexval((unsigned char)in[i + 1]) : -1;
			lo = hi >= 0 ? pchat_hexval((unsigned char)in[i + 2]) : -1;
			if(lo < 0)
				PCHAT_ID_FAIL(PCHAT_ID_MALFORMED, "bad %-escape in the user part");
			c = hi * 16 + lo;
			i += 2;
			if(c < 0x20 || c == 0x7f)
				PCHAT_ID_FAIL(PCHAT_ID_MALFORMED,
						"control character in the user part");
			/* escaped reserved and unsafe characters stay escaped */
			if(pchat_user_put(out, o, size, c,
					   c < 0x80 && !pchat_is_unreserved(c))
					< 0)
				goto too_long;
			continue;
		}
		if(c == ';' || c == '?' || c == '/')
			PCHAT_ID_FAIL(PCHAT_ID_REFUSED,
					"';', '?' or '/' in the user part is not accepted");
		if(c == ':')
			PCHAT_ID_FAIL(PCHAT_ID_REFUSED, "a password in the URI is not "
											"accepted");
		if(c < 0x80 && !pchat_is_unreserved(c) && !pchat_is_reserved(c))
			PCHAT_ID_FAIL(PCHAT_ID_MALFORMED, "bad character in the user part");
		if(pchat_user_put(out, o, size, c, 0) < 0)
			goto too_long;
	}
	if(*o == start)
		PCHAT_ID_FAIL(PCHAT_ID_REFUSED, "the URI has no user part");
	if(!pchat_identity_utf8_ok((unsigned char *)out + start, *o - start))
		PCHAT_ID_FAIL(PCHAT_ID_MALFORMED, "invalid UTF-8 in the user part");
	return 0;
too_long:
	PCHAT_ID_FAIL(PCHAT_ID_MALFORMED, "the identity is too long");
}

/* The end of host[:port] in s[0..len): where parameters or headers begin. */
static int pchat_hostport_end(const char *s, int len)
{
	int i;

	for(i = 0; i < len && s[i] != ';' && s[i] != '?'; i++)
		;
	return i;
}

/* Splits host[:port], checks the port and returns the host's length. */
static int pchat_host_len(const char *s, int len)
{
	const char *colon;
	int i, h;

	if(len <= 0)
		return 0; /* no host: pchat_identity_host() refuses it */
	if(s[0] == '[') {
		colon = memchr(s, ']', len);
		if(colon == NULL)
			return -1;
		h = colon + 1 - s;
	} else {
		colon = memchr(s, ':', len);
		h = colon ? colon - s : len;
	}
	if(h == len)
		return h;
	if(s[h] != ':' || len - h - 1 < 1 || len - h - 1 > 5)
		return -1;
	for(i = h + 1; i < len; i++)
		if(s[i] < '0' || s[i] > '9')
			return -1;
	return h;
}

int pchat_identity_canon(
		const char *in, int len, char *out, int size, const char **why)
{
	const char *rest, *at;
	int i, n, o, hp, h, rc;

	if(why)
		*why = NULL;
	if(in == NULL || len <= 0 || size < 8)
		PCHAT_ID_FAIL(PCHAT_ID_MALFORMED, "empty identity");
	for(i = 0; i < len; i++) {
		if((unsigned char)in[i] <= 0x20 || in[i] == 0x7f)
			PCHAT_ID_FAIL(PCHAT_ID_MALFORMED,
					"white space or control character in the URI");
	}
	if(len >= 4 && strncasecmp(in, "sip:", 4) == 0)
		rest = in + 4;
	else if(len >= 5 && strncasecmp(in, "sips:", 5) == 0)
		rest = in + 5;
	else
		PCHAT_ID_FAIL(PCHAT_ID_REFUSED, "not a sip: or sips: URI");
	n = len - (rest - in);
	at = memchr(rest, '@', n);
	if(at == NULL)
		PCHAT_ID_FAIL(PCHAT_ID_REFUSED, "the URI has no user part");
	if(memchr(at + 1, '@', n - (at + 1 - rest)) != NULL)
		PCHAT_ID_FAIL(PCHAT_ID_MALFORMED, "more than one '@' in the URI");
	memcpy(out, "sip:", 4);
	o = 4;
	rc = pchat_identity_user(rest, at - rest, out, &o, size, why);
	if(rc < 0)
		return rc;
	n -= at + 1 - rest;
	rest = at + 1;
	hp = pchat_hostport_end(rest, n);
	/* parameters and headers are dropped, but must be plain ASCII */
	for(i = hp; i < n; i++)
		if((unsigned char)rest[i] >= 0x80)
			PCHAT_ID_FAIL(PCHAT_ID_MALFORMED, "non-ASCII URI parameter");
	h = pchat_host_len(rest, hp);
	if(h < 0)
		PCHAT_ID_FAIL(PCHAT_ID_MALFORMED, "bad port in the URI");
	if(o + 1 >= size)
		PCHAT_ID_FAIL(PCHAT_ID_MALFORMED, "the identity is too long");
	out[o++] = '@';
	h = pchat_identity_host(rest, h, out + o, size - o);
	if(h < 0)
		PCHAT_ID_FAIL(PCHAT_ID_MALFORMED, "bad host in the URI");
	return o + h;
}
