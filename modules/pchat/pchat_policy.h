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
/* Persistent Chat policy (Lync EnablePersistentChat): which of the user,
 * domain and global rows of pchat_policy applies to a user, the syntax of
 * policy scopes, and the SIP-URI wildcard of the eligible-principal filter.
 * Plain C without Kamailio or MySQL, so that the admin RPCs, the chat
 * service (at INVITE time) and the unit tests share one implementation. */

#ifndef _PCHAT_POLICY_H_
#define _PCHAT_POLICY_H_

/* A policy row as read from the store: none, disabled or enabled. */
#define PCHAT_POLICY_ABSENT (-1)

typedef enum pchat_policy_source
{
	PCHAT_POLICY_SRC_NONE = 0, /* no row at all: disabled (Lync default) */
	PCHAT_POLICY_SRC_GLOBAL = 1,
	PCHAT_POLICY_SRC_DOMAIN = 2,
	PCHAT_POLICY_SRC_USER = 3
} pchat_policy_source_t;

/* The most specific present row wins: user, then the user's domain, then
 * global. Each row is PCHAT_POLICY_ABSENT, 0 or 1; *enabled gets 0 or 1.
 * Returns which row applied. */
pchat_policy_source_t pchat_policy_resolve(
		int user_row, int domain_row, int global_row, int *enabled);

/* A row from a nullable TINYINT column: NULL -> ABSENT, "0" -> 0, else 1. */
int pchat_policy_row(const char *column);

/* Scope types, in the order of the pchat_policy.scope_type ENUM. */
typedef enum pchat_scope_type
{
	PCHAT_SCOPE_GLOBAL = 0,
	PCHAT_SCOPE_DOMAIN = 1,
	PCHAT_SCOPE_USER = 2
} pchat_scope_type_t;

extern const char *pchat_scope_types[]; /* "global", "domain", "user" */

/* Parses "global", "domain:<domain>" or "user:sip:<user>@<domain>" into a
 * type and the value stored in pchat_policy.scope (empty for global, the
 * domain or the URI, canonical as pchat_identity.h says). 0 on success, -1
 * on bad syntax. */
int pchat_policy_parse_scope(const char *in, int len, pchat_scope_type_t *type,
		char *value, int size);

/* A user URI, canonicalised (pchat_identity_canon) into value.
 * 0 on success, -1 on bad syntax or when it does not fit. */
int pchat_policy_parse_user(const char *in, int len, char *value, int size);

/* A DNS name, IPv4 address or [IPv6] reference (pchat_identity_host).
 * 0 when valid. */
int pchat_policy_check_domain(const char *d, int len);

/* The domain of a user URI: what follows its last '@' ("" without one). */
const char *pchat_policy_user_domain(const char *uri);

/* "global", "domain:<d>" or "user:<uri>" for output. */
const char *pchat_policy_scope_print(
		const char *type, const char *value, char *buf, int size);

/* Translates a SIP-URI wildcard ('*' any run, '?' one character, every
 * other character literal) into a LIKE pattern to be used with
 * ESCAPE '!': '%', '_' and '!' are escaped. -1 when out is too small. */
int pchat_policy_like_pattern(const char *in, int len, char *out, int size);

#endif
