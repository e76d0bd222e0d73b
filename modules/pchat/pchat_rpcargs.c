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
/* Entry layer (RPC side): reading and checking admin RPC arguments
 * (field=value). No store access. */

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pchat_access.h"
#include "pchat_identity.h"
#include "pchat_rpcargs.h"
#include "pchat_xccos.h"

const char *pchat_principal_types[] = {"user", "domain", "group", NULL};

int pchat_args_error(pchat_args_t *args, int code, const char *fmt, ...)
{
	va_list ap;

	if(args->code == 0) {
		args->code = code;
		va_start(ap, fmt);
		vsnprintf(args->err, sizeof(args->err), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* caller=NAME: kept apart from the fields (no RPC lists it); a name
 * that goes into the archive as rpc:NAME, so a plain one */
static int pchat_args_caller(pchat_args_t *args, const char *v)
{
	const char *c;

	for(c = v; *c; c++)
		if(!isalnum((unsigned char)*c) && !strchr("._-@", *c))
			break;
	if(*c || c == v || c - v > PCHAT_CALLER_MAX)
		return pchat_args_error(args, 400,
				"parameter 'caller': 1-%d letters, digits, '.', '_', '-', '@'",
				PCHAT_CALLER_MAX);
	strcpy(args->caller, v);
	return 0;
}

int pchat_args_scan(rpc_t *rpc, void *ctx, pchat_args_t *args)
{
	char *p, *eq;

	/* every admin RPC may change who may post where: the processes drop
	 * their cached post answers (pchat_access.h) */
	pchat_access_changed();
	memset(args, 0, sizeof(*args));
	while(rpc->scan(ctx, "*s", &p) == 1) {
		if(p == NULL)
			break;
		eq = strchr(p, '=');
		if(eq == NULL || eq == p)
			return pchat_args_error(args, 400,
					"parameter '%s': expected field=value", p);
		if(eq - p == 6 && memcmp(p, "caller", 6) == 0) {
			if(pchat_args_caller(args, eq + 1) < 0)
				return -1;
			continue;
		}
		if(args->n == PCHAT_ARGS_MAX)
			return pchat_args_error(
					args, 400, "more than %d parameters", PCHAT_ARGS_MAX);
		args->a[args->n].key.s = p;
		args->a[args->n].key.len = eq - p;
		args->a[args->n].val.s = eq + 1;
		args->a[args->n].val.len = strlen(eq + 1);
		args->n++;
	}
	return 0;
}

static int pchat_key_is(pchat_arg_t *a, const char *key)
{
	return a->key.len == (int)strlen(key)
		   && memcmp(a->key.s, key, a->key.len) == 0;
}

int pchat_args_str(pchat_args_t *args, const char *key, str *out)
{
	int i, found = 0;

	for(i = 0; i < args->n; i++) {
		if(!pchat_key_is(&args->a[i], key))
			continue;
		args->a[i].used = 1;
		if(found)
			return pchat_args_error(
					args, 400, "field '%s' given more than once", key);
		*out = args->a[i].val;
		found = 1;
	}
	return found;
}

int pchat_args_cstr(pchat_args_t *args, const char *key, char *buf, int size)
{
	str v;
	int r = pchat_args_str(args, key, &v);

	if(r <= 0)
		return r;
	if(v.len >= size)
		return pchat_args_error(args, 400,
				"field '%s': longer than %d characters", key, size - 1);
	memcpy(buf, v.s, v.len);
	buf[v.len] = '\0';
	return 1;
}

int pchat_args_need(pchat_args_t *args, const char *key, char *buf, int size)
{
	int r = pchat_args_cstr(args, key, buf, size);

	if(r == 0)
		return pchat_args_error(args, 400, "field '%s' is required", key);
	if(r > 0 && buf[0] == '\0')
		return pchat_args_error(args, 400, "field '%s' must not be empty", key);
	return r;
}

int pchat_args_next(pchat_args_t *args, const char *key, int *iter, str *out)
{
	for(; *iter < args->n; (*iter)++) {
		if(pchat_key_is(&args->a[*iter], key)) {
			args->a[*iter].used = 1;
			*out = args->a[*iter].val;
			(*iter)++;
			return 1;
		}
	}
	return 0;
}

static int pchat_str_ieq(str *s, const char *lit)
{
	return s->len == (int)strlen(lit) && strncasecmp(s->s, lit, s->len) == 0;
}

int pchat_args_bool(pchat_args_t *args, const char *key, int *out)
{
	str v;
	int r = pchat_args_str(args, key, &v);

	if(r <= 0)
		return r;
	if(pchat_str_ieq(&v, "true") || pchat_str_ieq(&v, "yes")
			|| pchat_str_ieq(&v, "1") || pchat_str_ieq(&v, "on"))
		*out = 1;
	else if(pchat_str_ieq(&v, "false") || pchat_str_ieq(&v, "no")
			|| pchat_str_ieq(&v, "0") || pchat_str_ieq(&v, "off"))
		*out = 0;
	else
		return pchat_args_error(args, 400,
				"field '%s': '%.*s' is not a boolean (true or false)", key,
				v.len, v.s);
	return 1;
}

int pchat_args_enum(pchat_args_t *args, const char *key, const char **values,
		int *out)
{
	char expected[160];
	int i, len = 0;
	str v;
	int r = pchat_args_str(args, key, &v);

	if(r <= 0)
		return r;
	for(i = 0; values[i]; i++) {
		if(pchat_str_ieq(&v, values[i])) {
			*out = i;
			return 1;
		}
	}
	expected[0] = '\0';
	for(i = 0; values[i] && len < (int)sizeof(expected) - 1; i++)
		len += snprintf(expected + len, sizeof(expected) - len, "%s%s",
				i ? (values[i + 1] ? ", " : " or ") : "", values[i]);
	return pchat_args_error(args, 400, "field '%s': must be %s, not '%.*s'",
			key, expected, v.len, v.s);
}

int pchat_args_int(
		pchat_args_t *args, const char *key, int min, int max, int *out)
{
	char buf[24], *end;
	long n;
	int r = pchat_args_cstr(args, key, buf, sizeof(buf));

	if(r <= 0)
		return r;
	n = strtol(buf, &end, 10);
	if(buf[0] == '\0' || *end != '\0' || n < min || n > max)
		return pchat_args_error(args, 400,
				"field '%s': '%s' is not a whole number in %d..%d", key, buf,
				min, max);
	*out = (int)n;
	return 1;
}

int pchat_args_time(pchat_args_t *args, const char *key, long long *out)
{
	char buf[64];
	int r = pchat_args_cstr(args, key, buf, sizeof(buf));

	if(r <= 0)
		return r;
	if(pchat_xccos_parse_ts(buf, out) < 0)
		return pchat_args_error(args, 400,
				"field '%s': '%s' is not an ISO 8601 date "
				"(e.g. 2026-01-31 or 2026-01-31T12:00:00Z)",
				key, buf);
	return 1;
}

int pchat_args_done(pchat_args_t *args)
{
	int i;

	if(args->code)
		return -1;
	for(i = 0; i < args->n; i++) {
		if(!args->a[i].used)
			return pchat_args_error(args, 400, "unknown field '%.*s'",
					args->a[i].key.len, args->a[i].key.s);
	}
	return 0;
}

/* Users and domains are stored canonical (pchat_identity.h), the form
 * every comparison uses; group names as given. */
int pchat_principal_parse(
		pchat_args_t *args, const char *key, str *in, pchat_principal_t *p)
{
	const char *why = "expected sip:user@domain, domain:<domain> or "
					  "group:<name>";
	int n = -1;

	if((in->len >= 4 && strncasecmp(in->s, "sip:", 4) == 0)
			|| (in->len >= 5 && strncasecmp(in->s, "sips:", 5) == 0)) {
		p->type = PCHAT_PRINCIPAL_USER;
		n = pchat_identity_canon(
				in->s, in->len, p->value, sizeof(p->value), &why);
	} else if(in->len > 7 && strncasecmp(in->s, "domain:", 7) == 0) {
		p->type = PCHAT_PRINCIPAL_DOMAIN;
		why = "bad domain name";
		n = pchat_identity_host(
				in->s + 7, in->len - 7, p->value, sizeof(p->value));
	} else if(in->len > 6 && strncasecmp(in->s, "group:", 6) == 0
			  && in->len - 6 < (int)sizeof(p->value)) {
		p->type = PCHAT_PRINCIPAL_GROUP;
		memcpy(p->value, in->s + 6, in->len - 6);
		p->value[in->len - 6] = '\0';
		n = in->len - 6;
	}
	if(n > 0)
		return 0;
	return pchat_args_error(args, 400,
			"field '%s': '%.*s' is not a principal (sip:user@domain, "
			"domain:<domain> or group:<name>): %s",
			key, in->len, in->s, why ? why : "malformed");
}

const char *pchat_principal_print(
		const char *type, const char *value, char *buf, int size)
{
	if(strcmp(type, "user") == 0)
		snprintf(buf, size, "%s", value);
	else
		snprintf(buf, size, "%s:%s", type, value);
	return buf;
}
