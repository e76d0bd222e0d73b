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
/* pchatctl [GLOBAL OPTIONS] VERB [--option value...]
 *
 * Reads the global options, hands the rest to the verb's argument parser,
 * makes the call and prints the result. The exit code tells scripts which
 * of these steps failed (see pchatctl.h). */

#include <ctype.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pchatctl.h"
#include "args.h"
#include "data.h"
#include "health.h"
#include "help.h"
#include "http.h"
#include "render.h"
#include "rpc.h"
#include "verbs.h"

typedef struct global_options
{
	pctl_target_t target;
	int as_json;
	int help;
} global_options_t;

void pctl_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PCTL_NAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage_err(const char *fmt, ...)
		__attribute__((format(printf, 1, 2)));

static void usage_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PCTL_NAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", PCTL_NAME);
}

/* Matches "--name value" and "--name=value"; *i moves past what is used.
 * Returns 1 matched, 0 not this option, -1 value missing (reported). */
static int option_value(
		int argc, char **argv, int *i, const char *name, const char **value)
{
	size_t len = strlen(name);

	if(strncmp(argv[*i], name, len) != 0)
		return 0;
	if(argv[*i][len] == '=') {
		*value = argv[*i] + len + 1;
		return 1;
	}
	if(argv[*i][len] != '\0')
		return 0;
	if(*i + 1 >= argc) {
		usage_err("option %s needs a value", name);
		return -1;
	}
	*i += 1;
	*value = argv[*i];
	return 1;
}

static int parse_timeout(const char *text, double *seconds)
{
	char *end;

	*seconds = strtod(text, &end);
	if(end == text || *end != '\0' || !(*seconds > 0) || *seconds > 86400) {
		usage_err("--timeout wants seconds (> 0, e.g. 2.5), not '%s'", text);
		return -1;
	}
	return 0;
}

/* Returns the index of the verb in argv (argc when there is none), or -1
 * after reporting a usage error. */
static int parse_global_options(int argc, char **argv, global_options_t *opts)
{
	const char *value;
	const char *env;
	int matched;
	int i;

	env = getenv(PCTL_FIFO_ENV);
	opts->target.fifo = env && *env ? env : PCTL_DEFAULT_FIFO;
	opts->target.url = NULL;
	opts->target.timeout = PCTL_DEFAULT_TIMEOUT;
	opts->as_json = 0;
	opts->help = 0;

	for(i = 1; i < argc && argv[i][0] == '-'; i++) {
		if(strcmp(argv[i], "--json") == 0) {
			opts->as_json = 1;
			continue;
		}
		if(strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			opts->help = 1;
			continue;
		}
		if((matched = option_value(argc, argv, &i, "--fifo", &value)) != 0) {
			if(matched < 0)
				return -1;
			opts->target.fifo = value;
			continue;
		}
		if((matched = option_value(argc, argv, &i, "--url", &value)) != 0) {
			if(matched < 0 || pctl_http_check_url(value) < 0)
				return -1;
			opts->target.url = value;
			continue;
		}
		if((matched = option_value(argc, argv, &i, "--timeout", &value)) != 0) {
			if(matched < 0 || parse_timeout(value, &opts->target.timeout) < 0)
				return -1;
			continue;
		}
		usage_err("unknown global option '%s'", argv[i]);
		return -1;
	}
	return i;
}

/* "pchatctl help [VERB]", for those who do not think of --help. */
static int run_help(int argc, char **argv)
{
	const pctl_verb_t *verb;

	if(argc == 0) {
		pctl_help_main(stdout);
		return PCTL_EXIT_OK;
	}
	verb = pctl_verb_find(argv[0]);
	if(verb == NULL) {
		usage_err("unknown verb '%s'", argv[0]);
		return PCTL_EXIT_USAGE;
	}
	pctl_help_verb(stdout, verb);
	return PCTL_EXIT_OK;
}

/* caller=<OS user> for the RPCs that record who made a change; a name
 * the server would refuse (see pchat_rpcargs.h) is left out: the change
 * is then recorded as rpc alone */
static int add_caller(json_t *params)
{
	struct passwd *pw = getpwuid(getuid());
	char param[80];
	const char *c;

	if(pw == NULL || pw->pw_name == NULL || strlen(pw->pw_name) > 64)
		return 0;
	for(c = pw->pw_name; *c; c++)
		if(!isalnum((unsigned char)*c) && !strchr("._-@", *c))
			return 0;
	snprintf(param, sizeof(param), "caller=%s", pw->pw_name);
	return json_array_append_new(params, json_string(param));
}

static int run_verb(const global_options_t *opts, const pctl_verb_t *verb,
		int argc, char **argv)
{
	const char *method = NULL;
	json_t *params;
	json_t *result = NULL;
	int rc;

	params = json_array();
	if(params == NULL) {
		pctl_err("out of memory");
		return PCTL_EXIT_TRANSPORT;
	}
	switch(pctl_args_parse(verb, argc, argv, &method, params)) {
		case PCTL_ARGS_HELP:
			pctl_help_verb(stdout, verb);
			json_decref(params);
			return PCTL_EXIT_OK;
		case PCTL_ARGS_BAD:
			json_decref(params);
			return PCTL_EXIT_USAGE;
		case PCTL_ARGS_OK:
			break;
	}
	if(verb->kind == PCTL_VERB_DATA) {
		rc = pctl_data_run(&opts->target, verb, params);
		json_decref(params);
		return rc;
	}
	if(verb->kind == PCTL_VERB_HEALTH) {
		rc = pctl_test_message(&opts->target, params);
		json_decref(params);
		return rc;
	}
	if(pctl_verb_records_who(verb) && add_caller(params) < 0) {
		pctl_err("out of memory");
		json_decref(params);
		return PCTL_EXIT_TRANSPORT;
	}
	rc = pctl_rpc_call(&opts->target, verb->name, method, params, &result);
	json_decref(params);
	if(rc != PCTL_EXIT_OK)
		return rc;
	if(pctl_render(stdout, result, opts->as_json) < 0) {
		pctl_err("out of memory while printing the result");
		rc = PCTL_EXIT_TRANSPORT;
	}
	json_decref(result);
	if(fflush(stdout) != 0) /* e.g. a full disk: do not claim success */
		rc = PCTL_EXIT_TRANSPORT;
	return rc;
}

int main(int argc, char **argv)
{
	global_options_t opts;
	const pctl_verb_t *verb;
	int verb_at;

	/* a peer that goes away shows up as EPIPE, reported like any error */
	signal(SIGPIPE, SIG_IGN);

	verb_at = parse_global_options(argc, argv, &opts);
	if(verb_at < 0)
		return PCTL_EXIT_USAGE;
	if(opts.help && verb_at == argc) {
		pctl_help_main(stdout);
		return PCTL_EXIT_OK;
	}
	if(verb_at == argc) {
		usage_err("no verb given");
		return PCTL_EXIT_USAGE;
	}
	if(strcmp(argv[verb_at], "help") == 0)
		return run_help(argc - verb_at - 1, argv + verb_at + 1);
	verb = pctl_verb_find(argv[verb_at]);
	if(verb == NULL) {
		usage_err("unknown verb '%s'", argv[verb_at]);
		return PCTL_EXIT_USAGE;
	}
	if(opts.help) {
		pctl_help_verb(stdout, verb);
		return PCTL_EXIT_OK;
	}
	return run_verb(&opts, verb, argc - verb_at - 1, argv + verb_at + 1);
}
