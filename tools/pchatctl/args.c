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
/* Everything that can be checked without the server is checked here, so
 * that a typo never reaches it: unknown options, missing values, missing
 * required options and single options given twice. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pchatctl.h"
#include "args.h"

static int is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* "get-room --json" is an easy mistake: say where the option belongs. */
static int is_global_option(const char *name, int name_len)
{
	static const char *global[] = {"json", "fifo", "url", "timeout", NULL};
	int i;

	for(i = 0; global[i] != NULL; i++) {
		if(strncmp(global[i], name, name_len) == 0
				&& global[i][name_len] == '\0')
			return 1;
	}
	return 0;
}

static void usage_err(const pctl_verb_t *verb, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));

static void usage_err(const pctl_verb_t *verb, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s: ", PCTL_NAME, verb->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s %s --help'.\n", PCTL_NAME, verb->name);
}

/* Appends "field=value", the field being the option name with its dashes
 * turned into underscores (the server's spelling). */
static int add_param(
		json_t *params, const char *name, int name_len, const char *value)
{
	size_t value_len = strlen(value);
	char *param;
	int i;

	param = malloc(name_len + 1 + value_len + 1);
	if(param == NULL)
		return -1;
	for(i = 0; i < name_len; i++)
		param[i] = name[i] == '-' ? '_' : name[i];
	param[name_len] = '=';
	memcpy(param + name_len + 1, value, value_len + 1);
	if(json_array_append_new(params, json_string(param)) < 0) {
		free(param);
		return -1;
	}
	free(param);
	return 0;
}

/* The raw verb: METHOD then parameters sent exactly as typed. */
static pctl_args_status_t parse_raw(const pctl_verb_t *verb, int argc,
		char **argv, const char **method, json_t *params)
{
	int i;

	if(argc == 0) {
		usage_err(verb, "missing the RPC method");
		return PCTL_ARGS_BAD;
	}
	if(is_help(argv[0]))
		return PCTL_ARGS_HELP;
	*method = argv[0];
	for(i = 1; i < argc; i++) {
		if(json_array_append_new(params, json_string(argv[i])) < 0) {
			usage_err(verb, "parameter %d is not valid UTF-8", i);
			return PCTL_ARGS_BAD;
		}
	}
	return PCTL_ARGS_OK;
}

static int option_count(const pctl_verb_t *verb)
{
	int n = 0;

	while(verb->options[n].name != NULL)
		n++;
	return n;
}

/* times_given[] counts each table option, to catch single ones repeated
 * and required ones missing. */
static pctl_args_status_t parse_options(const pctl_verb_t *verb, int argc,
		char **argv, json_t *params, int *times_given)
{
	const pctl_option_t *opt;
	const char *name;
	const char *value;
	const char *eq;
	int name_len;
	int i;

	for(i = 0; i < argc; i++) {
		if(strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0') {
			usage_err(verb, "unexpected argument '%s'", argv[i]);
			return PCTL_ARGS_BAD;
		}
		name = argv[i] + 2;
		eq = strchr(name, '=');
		name_len = eq ? (int)(eq - name) : (int)strlen(name);
		if(name_len == 0) {
			usage_err(verb, "option name missing in '%s'", argv[i]);
			return PCTL_ARGS_BAD;
		}

		opt = pctl_option_find(verb, name, name_len);
		if(opt == NULL && verb->kind != PCTL_VERB_ANY) {
			usage_err(verb, "unknown option --%.*s%s", name_len, name,
					is_global_option(name, name_len)
							? " (global options go before the verb)"
							: "");
			return PCTL_ARGS_BAD;
		}

		if(opt != NULL && (opt->flags & PCTL_OPT_FLAG)) {
			if(eq != NULL) {
				usage_err(verb, "option --%s takes no value", opt->name);
				return PCTL_ARGS_BAD;
			}
			value = "1";
		} else if(eq != NULL) {
			value = eq + 1;
		} else if(i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
			value = argv[++i];
		} else {
			/* a forgotten value would otherwise swallow the next option */
			usage_err(verb,
					"option --%s needs a value (write --%s=VALUE for a "
					"value starting with --)",
					name, name);
			return PCTL_ARGS_BAD;
		}

		if(opt != NULL) {
			if(times_given[opt - verb->options]++ > 0
					&& !(opt->flags & PCTL_OPT_REPEAT)) {
				usage_err(verb, "option --%s given more than once", opt->name);
				return PCTL_ARGS_BAD;
			}
		}
		if(add_param(params, name, name_len, value) < 0) {
			usage_err(
					verb, "value of --%.*s is not valid UTF-8", name_len, name);
			return PCTL_ARGS_BAD;
		}
	}
	return PCTL_ARGS_OK;
}

pctl_args_status_t pctl_args_parse(const pctl_verb_t *verb, int argc,
		char **argv, const char **method, json_t *params)
{
	const pctl_option_t *opt;
	pctl_args_status_t status;
	int *times_given;
	int i;

	if(verb->kind == PCTL_VERB_RAW)
		return parse_raw(verb, argc, argv, method, params);
	*method = verb->method;

	/* help wins wherever it is, even after a mistake it would explain */
	for(i = 0; i < argc; i++) {
		if(is_help(argv[i]))
			return PCTL_ARGS_HELP;
	}

	times_given = calloc(option_count(verb) + 1, sizeof(int));
	if(times_given == NULL) {
		usage_err(verb, "out of memory");
		return PCTL_ARGS_BAD;
	}
	status = parse_options(verb, argc, argv, params, times_given);
	if(status != PCTL_ARGS_OK) {
		free(times_given);
		return status;
	}
	for(opt = verb->options; opt->name != NULL; opt++) {
		if((opt->flags & PCTL_OPT_REQUIRED)
				&& times_given[opt - verb->options] == 0) {
			usage_err(verb, "missing required option --%s", opt->name);
			free(times_given);
			return PCTL_ARGS_BAD;
		}
	}
	free(times_given);
	if(verb->kind == PCTL_VERB_ANY && json_array_size(params) == 0) {
		usage_err(verb, "give at least one --SETTING VALUE");
		return PCTL_ARGS_BAD;
	}
	return PCTL_ARGS_OK;
}
