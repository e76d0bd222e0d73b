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
/* pchatctl: help texts written from the verb tables. Sends nothing. */

#include <ctype.h>
#include <string.h>

#include "pchatctl.h"
#include "data.h"
#include "help.h"

void pctl_help_main(FILE *out)
{
	const pctl_verb_t *verb;
	int width = 0;

	fprintf(out,
			"Usage: %s [GLOBAL OPTIONS] VERB [--option value...]\n"
			"       %s VERB --help\n"
			"\n"
			"Administers a pchat Persistent Chat service through Kamailio's "
			"JSON-RPC\n(module jsonrpcs). Options may be written --opt value "
			"or --opt=value.\n"
			"\n"
			"Global options:\n"
			"  --fifo PATH   jsonrpcs request FIFO (default: $%s, else\n"
			"                %s)\n"
			"  --url URL     use HTTP instead, e.g. http://127.0.0.1:5060/RPC\n"
			"  --timeout S   seconds to wait for the answer (default: %g)\n"
			"  --json        print the result as JSON instead of a table\n"
			"  -h, --help    this help\n"
			"\n"
			"Verbs:\n",
			PCTL_NAME, PCTL_NAME, PCTL_FIFO_ENV, PCTL_DEFAULT_FIFO,
			PCTL_DEFAULT_TIMEOUT);
	for(verb = pctl_verbs; verb->name != NULL; verb++) {
		if((int)strlen(verb->name) > width)
			width = strlen(verb->name);
	}
	for(verb = pctl_verbs; verb->name != NULL; verb++)
		fprintf(out, "  %-*s  %s\n", width, verb->name, verb->summary);
	fprintf(out,
			"\n"
			"Exit status: %d done, %d refused by the server, %d usage error "
			"(nothing sent),\n%d Kamailio not reachable.\n",
			PCTL_EXIT_OK, PCTL_EXIT_RPC_ERROR, PCTL_EXIT_USAGE,
			PCTL_EXIT_TRANSPORT);
}

static const char *option_marks(const pctl_option_t *opt)
{
	if((opt->flags & PCTL_OPT_REQUIRED) && (opt->flags & PCTL_OPT_REPEAT))
		return "R*";
	if(opt->flags & PCTL_OPT_REQUIRED)
		return "R";
	if(opt->flags & PCTL_OPT_REPEAT)
		return "*";
	return "";
}

static void print_usage_line(FILE *out, const pctl_verb_t *verb)
{
	const pctl_option_t *opt;
	int has_optional = 0;

	fprintf(out, "Usage: %s [GLOBAL OPTIONS] %s", PCTL_NAME, verb->name);
	switch(verb->kind) {
		case PCTL_VERB_RAW:
			fprintf(out, " METHOD [field=value...]\n");
			return;
		case PCTL_VERB_ANY:
			fprintf(out, " --SETTING VALUE [--SETTING VALUE...]\n");
			return;
		case PCTL_VERB_LISTED:
		case PCTL_VERB_HEALTH:
		case PCTL_VERB_DATA:
			break;
	}
	for(opt = verb->options; opt->name != NULL; opt++) {
		if(opt->flags & PCTL_OPT_REQUIRED)
			fprintf(out, " --%s %s", opt->name, opt->values);
		else
			has_optional = 1;
	}
	fprintf(out, "%s\n", has_optional ? " [OPTIONS]" : "");
}

static void print_options(FILE *out, const pctl_verb_t *verb)
{
	const pctl_option_t *opt;
	int width = 0;
	int len;

	for(opt = verb->options; opt->name != NULL; opt++) {
		len = strlen(opt->name) + 1 + strlen(opt->values);
		if(len > width)
			width = len;
	}
	fprintf(out, "\nOptions (R = required, * = may be repeated):\n");
	for(opt = verb->options; opt->name != NULL; opt++) {
		len = strlen(opt->name) + 1 + strlen(opt->values);
		fprintf(out, "  --%s %s%*s  %-2s  %s\n", opt->name, opt->values,
				width - len, "", option_marks(opt), opt->help);
	}
}

void pctl_help_verb(FILE *out, const pctl_verb_t *verb)
{
	print_usage_line(out, verb);
	fprintf(out, "\n%c%s.\n", toupper((unsigned char)verb->summary[0]),
			verb->summary + 1);
	if(verb->method != NULL)
		fprintf(out, "RPC method: %s\n", verb->method);

	switch(verb->kind) {
		case PCTL_VERB_RAW:
			fprintf(out,
					"\nSends METHOD with the parameters exactly as given and "
					"prints the result;\nfor pchat methods each parameter is "
					"field=value. Example:\n  %s rpc pchat.room_get "
					"name=dev\n",
					PCTL_NAME);
			break;
		case PCTL_VERB_ANY:
			fprintf(out,
					"\nEvery --SETTING VALUE pair is sent as setting=value, "
					"dashes turned into\nunderscores; the server checks the "
					"names (see get-config). Example:\n  %s set-config "
					"--default-chat-history 50\n",
					PCTL_NAME);
			break;
		case PCTL_VERB_HEALTH:
			print_options(out, verb);
			fprintf(out,
					"\nTwo synthetic users sign in through the SIP path "
					"(pchat-test-message),\njoin the room (made open in "
					"--category when missing), one posts and the\nother "
					"must receive it; each step's time is printed. Exit "
					"status 0 passed,\n1 failed (Kamailio unreachable "
					"included), 2 usage error. On a WITH_AUTH server\nthe "
					"users REGISTER with $PCHAT_TEST_PASSWORD_A and _B. "
					"Example:\n  %s "
					"test-message --server 127.0.0.1:5060\n",
					PCTL_NAME);
			break;
		case PCTL_VERB_DATA:
			print_options(out, verb);
			pctl_help_data(out);
			break;
		case PCTL_VERB_LISTED:
			if(verb->options[0].name != NULL)
				print_options(out, verb);
			else
				fprintf(out, "\nNo options.\n");
			break;
	}
}
