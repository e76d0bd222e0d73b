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
/* Arguments of the admin RPCs: positional strings "field=value", so that
 * kamcmd, JSON-RPC and pchatctl pass them alike; list fields repeat.
 * Every check names the field and says what was expected. */

#ifndef _PCHAT_RPCARGS_H_
#define _PCHAT_RPCARGS_H_

#include "core/rpc.h"
#include "core/str.h"

#define PCHAT_ARGS_MAX 128
#define PCHAT_CALLER_MAX 64

typedef struct pchat_arg
{
	str key;
	str val;
	int used;
} pchat_arg_t;

typedef struct pchat_args
{
	int n;
	pchat_arg_t a[PCHAT_ARGS_MAX];
	int code;      /* RPC fault code of the first error, 0 when none */
	char err[256]; /* its message */
	/* caller=NAME, which every RPC of these arguments takes (pchatctl
	 * sends its OS user): who to record in compliance events; "" none */
	char caller[PCHAT_CALLER_MAX + 1];
} pchat_args_t;

/* Reads every parameter; fails (400) on one without '=' and on a caller=
 * that is not 1-64 letters, digits, '.', '_', '-' or '@'. */
int pchat_args_scan(rpc_t *rpc, void *ctx, pchat_args_t *args);

/* Records an error (the first one wins) and returns -1. */
int pchat_args_error(pchat_args_t *args, int code, const char *fmt, ...);

/* A single-valued field: 1 found, 0 absent, -1 given twice. */
int pchat_args_str(pchat_args_t *args, const char *key, str *out);
/* Same, as a NUL-terminated copy in buf (-1 too long or given twice). */
int pchat_args_cstr(pchat_args_t *args, const char *key, char *buf, int size);
/* Required variant: -1 with "field 'x' is required" when absent. */
int pchat_args_need(pchat_args_t *args, const char *key, char *buf, int size);
/* Repeated field: call with *iter = 0 until it returns 0. */
int pchat_args_next(pchat_args_t *args, const char *key, int *iter, str *out);
/* true/false (also yes/no, 1/0, on/off). */
int pchat_args_bool(pchat_args_t *args, const char *key, int *out);
/* One of values[] (NULL-terminated); *out is the index. */
int pchat_args_enum(pchat_args_t *args, const char *key, const char **values,
		int *out);
int pchat_args_int(
		pchat_args_t *args, const char *key, int min, int max, int *out);
/* ISO 8601 date/time as ms since 1970 UTC. */
int pchat_args_time(pchat_args_t *args, const char *key, long long *out);
/* Fails with "unknown field" for any parameter no check has used. */
int pchat_args_done(pchat_args_t *args);

/* Principals: sip:user@domain, domain:<domain> or group:<name>. */
typedef enum pchat_principal_type
{
	PCHAT_PRINCIPAL_USER = 0,
	PCHAT_PRINCIPAL_DOMAIN = 1,
	PCHAT_PRINCIPAL_GROUP = 2
} pchat_principal_type_t;

typedef struct pchat_principal
{
	pchat_principal_type_t type;
	char value[256]; /* users and domains canonical (pchat_identity.h) */
} pchat_principal_t;

extern const char *pchat_principal_types[]; /* "user", "domain", "group" */

int pchat_principal_parse(
		pchat_args_t *args, const char *key, str *in, pchat_principal_t *p);
/* "sip:a@b", "domain:b" or "group:g" for output; buf of 300 bytes. */
const char *pchat_principal_print(
		const char *type, const char *value, char *buf, int size);

#endif
