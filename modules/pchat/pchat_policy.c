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
/* Access rules: which policy row applies to a user (see pchat_policy.h).
 * Pure C: no Kamailio, no store, unit-tested. */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pchat_identity.h"
#include "pchat_policy.h"

const char *pchat_scope_types[] = {"global", "domain", "user", NULL};

pchat_policy_source_t pchat_policy_resolve(
		int user_row, int domain_row, int global_row, int *enabled)
{
	if(user_row != PCHAT_POLICY_ABSENT) {
		*enabled = user_row != 0;
		return PCHAT_POLICY_SRC_USER;
	}
	if(domain_row != PCHAT_POLICY_ABSENT) {
		*enabled = domain_row != 0;
		return PCHAT_POLICY_SRC_DOMAIN;
	}
	if(global_row != PCHAT_POLICY_ABSENT) {
		*enabled = global_row != 0;
		return PCHAT_POLICY_SRC_GLOBAL;
	}
	/* the global row is created with the schema and cannot be removed by
	 * an RPC; should a DBA delete it, fall back to Lync's default */
	*enabled = 0;
	return PCHAT_POLICY_SRC_NONE;
}

int pchat_policy_row(const char *column)
{
	if(column == NULL)
		return PCHAT_POLICY_ABSENT;
	return !(column[0] == '0' && column[1] == '\0');
}

int pchat_policy_check_domain(const char *d, int len)
{
	char buf[PCHAT_IDENTITY_MAX];

	return pchat_identity_host(d, len, buf, sizeof(buf)) < 0 ? -1 : 0;
}

int pchat_policy_parse_user(const char *in, int len, char *value, int size)
{
	/* the identity every comparison uses (pchat_identity.h) */
	return pchat_identity_canon(in, len, value, size, NULL) < 0 ? -1 : 0;
}

int pchat_policy_parse_scope(const char *in, int len, pchat_scope_type_t *type,
		char *value, int size)
{
	if(len == 6 && strncasecmp(in, "global", 6) == 0) {
		if(size < 1)
			return -1;
		*type = PCHAT_SCOPE_GLOBAL;
		value[0] = '\0';
		return 0;
	}
	if(len > 7 && strncasecmp(in, "domain:", 7) == 0) {
		if(pchat_identity_host(in + 7, len - 7, value, size) < 0)
			return -1;
		*type = PCHAT_SCOPE_DOMAIN;
		return 0;
	}
	if(len > 5 && strncasecmp(in, "user:", 5) == 0) {
		if(pchat_policy_parse_user(in + 5, len - 5, value, size) < 0)
			return -1;
		*type = PCHAT_SCOPE_USER;
		return 0;
	}
	return -1;
}

const char *pchat_policy_user_domain(const char *uri)
{
	const char *at = strrchr(uri, '@');

	return at ? at + 1 : "";
}

const char *pchat_policy_scope_print(
		const char *type, const char *value, char *buf, int size)
{
	if(strcmp(type, "global") == 0)
		snprintf(buf, size, "global");
	else
		snprintf(buf, size, "%s:%s", type, value);
	return buf;
}

int pchat_policy_like_pattern(const char *in, int len, char *out, int size)
{
	int i, o = 0, esc;

	for(i = 0; i < len; i++) {
		esc = in[i] == '%' || in[i] == '_' || in[i] == '!';
		if(o + esc + 2 > size) /* the character, its escape, the NUL */
			return -1;
		if(esc)
			out[o++] = '!';
		if(in[i] == '*')
			out[o++] = '%';
		else if(in[i] == '?')
			out[o++] = '_';
		else
			out[o++] = in[i];
	}
	if(o + 1 > size)
		return -1;
	out[o] = '\0';
	return 0;
}
