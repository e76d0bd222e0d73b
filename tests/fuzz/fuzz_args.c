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

/*
 * libFuzzer target: the pure decoders of client and admin input: user
 * identities (pchat_identity), chanUri -> room guid, ISO 8601 times, and
 * the field=value arguments of the admin RPCs (pchat_rpcargs) with their
 * principals. The first byte picks the decoder, the rest is its input.
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pchat_access.h"
#include "pchat_identity.h"
#include "pchat_rpcargs.h"
#include "pchat_xccos.h"

static void check(int ok, const char *what, const char *in)
{
	if(!ok) {
		fprintf(stderr, "%s: input '%s'\n", what, in);
		abort();
	}
}

/* A canonical identity is a fixed point and fits its buffer. */
static void fuzz_identity(const char *in, int len, int size)
{
	char out[PCHAT_IDENTITY_MAX], again[PCHAT_IDENTITY_MAX];
	const char *why = NULL;
	int n, n2;

	n = pchat_identity_canon(in, len, out, size, &why);
	if(n <= 0) {
		check(n == PCHAT_ID_MALFORMED || n == PCHAT_ID_REFUSED,
				"identity: unknown error code", in);
		check(why != NULL, "identity: error without a reason", in);
		return;
	}
	check(n < size && (int)strlen(out) == n, "identity: length", in);
	check(pchat_identity_utf8_ok((const unsigned char *)out, n),
			"identity: canonical form is not UTF-8", in);
	n2 = pchat_identity_canon(out, n, again, sizeof(again), NULL);
	check(n2 == n && memcmp(out, again, n) == 0,
			"identity: canonical form is not a fixed point", in);
}

static void fuzz_host(const char *in, int len, int size)
{
	char out[PCHAT_IDENTITY_MAX], again[PCHAT_IDENTITY_MAX];
	int n, n2;

	n = pchat_identity_host(in, len, out, size);
	if(n <= 0)
		return;
	check(n < size && (int)strlen(out) == n, "host: length", in);
	n2 = pchat_identity_host(out, n, again, sizeof(again));
	check(n2 == n && memcmp(out, again, n) == 0,
			"host: canonical form is not a fixed point", in);
}

static void fuzz_guid(const char *in)
{
	char guid[64];
	int i;

	memset(guid, 'X', sizeof(guid));
	if(pchat_room_guid_of_uri(in, guid, sizeof(guid)) < 0)
		return;
	for(i = 0; guid[i]; i++) {
		check(i < (int)sizeof(guid) - 1, "guid: not terminated", in);
		check(guid[i] < 'A' || guid[i] > 'Z', "guid: upper case", in);
	}
	check(i > 0, "guid: empty", in);
}

static void fuzz_ts(const char *in)
{
	long long ms, ms2;
	char out[40];

	if(pchat_xccos_parse_ts(in, &ms) < 0)
		return;
	check(pchat_xccos_format_ts(out, ms) < 40, "ts: format length", in);
	if(pchat_xccos_parse_ts(out, &ms2) == 0)
		check(ms2 == ms, "ts: round trip", in);
}

/* ---- admin RPC arguments: one per line ---- */
typedef struct fake_rpc
{
	char *lines[PCHAT_ARGS_MAX + 8];
	int n, next;
} fake_rpc_t;

static int fake_scan(void *ctx, char *fmt, ...)
{
	fake_rpc_t *r = ctx;
	va_list ap;
	char **p;

	if(r->next >= r->n)
		return -1;
	va_start(ap, fmt);
	p = va_arg(ap, char **);
	*p = r->lines[r->next++];
	va_end(ap);
	return 1;
}

static void fuzz_rpcargs(char *in)
{
	static const char *kinds[] = {"open", "closed", "secret", NULL};
	fake_rpc_t r;
	rpc_t rpc;
	pchat_args_t *args;
	pchat_principal_t p;
	char buf[64], printed[300];
	str s;
	long long t;
	int v, iter = 0;
	char *line;

	memset(&r, 0, sizeof(r));
	memset(&rpc, 0, sizeof(rpc));
	rpc.scan = fake_scan;
	for(line = strtok(in, "\n"); line && r.n < PCHAT_ARGS_MAX + 8;
			line = strtok(NULL, "\n"))
		r.lines[r.n++] = line;
	args = malloc(sizeof(*args));
	if(args == NULL)
		abort();
	if(pchat_args_scan(&rpc, &r, args) == 0) {
		pchat_args_str(args, "name", &s);
		pchat_args_cstr(args, "guid", buf, sizeof(buf));
		pchat_args_need(args, "category", buf, sizeof(buf));
		pchat_args_bool(args, "invite", &v);
		pchat_args_enum(args, "privacy", kinds, &v);
		pchat_args_int(args, "limit", -5, 1000, &v);
		pchat_args_time(args, "from", &t);
		while(pchat_args_next(args, "member", &iter, &s)) {
			if(pchat_principal_parse(args, "member", &s, &p) == 0)
				pchat_principal_print(pchat_principal_types[p.type], p.value,
						printed, sizeof(printed));
		}
		pchat_args_done(args);
	}
	check(args->code == 0 || args->err[0] != '\0', "rpcargs: fault without text",
			in);
	check(memchr(args->err, '\0', sizeof(args->err)) != NULL,
			"rpcargs: message not terminated", in);
	free(args);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in;
	int len;

	if(size < 1 || size > 4096)
		return 0;
	len = (int)size - 1;
	in = malloc(size);
	if(in == NULL)
		abort();
	memcpy(in, data + 1, len);
	in[len] = '\0';
	switch(data[0] % 6) {
		case 0:
			fuzz_identity(in, len, 1 + data[0] % PCHAT_IDENTITY_MAX);
			fuzz_identity(in, len, PCHAT_IDENTITY_MAX);
			break;
		case 1:
			fuzz_host(in, len, 1 + data[0] % PCHAT_IDENTITY_MAX);
			fuzz_host(in, len, PCHAT_IDENTITY_MAX);
			break;
		case 2:
			(void)pchat_identity_utf8_ok((const unsigned char *)in, len);
			fuzz_guid(in);
			break;
		case 3:
			fuzz_ts(in);
			break;
		default:
			fuzz_rpcargs(in);
			break;
	}
	free(in);
	return 0;
}
