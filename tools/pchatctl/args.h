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
/* Turns a verb's command line into the RPC parameters: "--some-option v"
 * becomes "some_option=v", in the order given, repeats kept. */

#ifndef _PCHATCTL_ARGS_H_
#define _PCHATCTL_ARGS_H_

#include <jansson.h>

#include "verbs.h"

typedef enum pctl_args_status
{
	PCTL_ARGS_OK,
	PCTL_ARGS_HELP, /* --help seen: show the verb's help, send nothing */
	PCTL_ARGS_BAD	/* already reported on stderr */
} pctl_args_status_t;

/* argv holds what follows the verb. On success *method is the RPC method
 * (from the table, or argv for the raw verb) and params is filled. */
pctl_args_status_t pctl_args_parse(const pctl_verb_t *verb, int argc,
		char **argv, const char **method, json_t *params);

#endif
