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
/* The one canonical form of a user identity, "sip:user@host", used for
 * every comparison in C and in SQL (walls, roles, policies, groups,
 * invitations, preferences, authorship). Plain C without Kamailio, so the
 * INVITE path, the admin RPCs and the unit tests share it.
 *
 * The rule:
 *  - scheme sip: or sips: (any case), written sip:;
 *  - host lower case, without port, URI parameters, headers or trailing dot;
 *    a DNS name, an IPv4 address or an [IPv6] reference;
 *  - user part: %-escapes of characters outside RFC 3261's reserved set are
 *    decoded (so %61lice is alice), escapes of reserved characters are kept
 *    (hex in upper case), the result must be valid UTF-8 without control
 *    characters; ASCII letters are lower-cased. That last step departs from
 *    RFC 3261 19.1.4 (user parts are case-sensitive) on purpose: Lync
 *    sign-in addresses are case-insensitive and pchat's store has always
 *    lower-cased them. Non-ASCII characters are compared byte for byte, with
 *    no Unicode case folding or normalisation (müller, Müller and muller are
 *    three users);
 *  - refused: other schemes, no user part, a password, a raw ';', '?' or '/'
 *    in the user part (telephone-subscriber parameters). */

#ifndef _PCHAT_IDENTITY_H_
#define _PCHAT_IDENTITY_H_

/* Room for a canonical identity: the URI columns are VARCHAR(255). */
#define PCHAT_IDENTITY_MAX 256

typedef enum pchat_identity_rc
{
	PCHAT_ID_OK = 0,
	PCHAT_ID_MALFORMED = -1, /* not a URI we can parse: SIP 400 */
	PCHAT_ID_REFUSED = -2	 /* a URI, but not a chat identity: SIP 403 */
} pchat_identity_rc_t;

/* Canonicalises the URI in[0..len) into out (NUL-terminated, at most
 * size - 1 bytes). Returns the length of out (> 0), or PCHAT_ID_MALFORMED /
 * PCHAT_ID_REFUSED with *why (when why is not NULL) saying what is wrong. */
int pchat_identity_canon(
		const char *in, int len, char *out, int size, const char **why);

/* Canonicalises a host (or a domain principal) the same way: lower case,
 * one trailing dot removed, a DNS name, IPv4 address or [IPv6] reference.
 * Returns the length of out or PCHAT_ID_MALFORMED. */
int pchat_identity_host(const char *in, int len, char *out, int size);

/* 1 when s[0..len) is valid UTF-8 (no overlong forms, surrogates or code
 * points above U+10FFFF), else 0. */
int pchat_identity_utf8_ok(const unsigned char *s, int len);

#endif
