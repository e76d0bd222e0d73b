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
/* export-data and import-data: run the helper pchatctl-data, which talks
 * to MariaDB directly, then tell the service to drop its caches. */

#ifndef _PCHATCTL_DATA_H_
#define _PCHATCTL_DATA_H_

#include <stdio.h>

#include <jansson.h>

#include "rpc.h"
#include "verbs.h"

/* Where the helper is looked for: $PCHATCTL_DATA, then beside the
 * pchatctl binary, then the installed one. */
#define PCTL_DATA_ENV "PCHATCTL_DATA"
#ifndef PCTL_DATA_HELPER
#define PCTL_DATA_HELPER "/usr/libexec/pchat/pchatctl-data"
#endif

/* params: the "name=value" strings of the command line. Returns the exit
 * code: the helper's (0 done, 1 failed, 2 usage), or PCTL_EXIT_TRANSPORT
 * when it cannot be run. */
int pctl_data_run(const pctl_target_t *target, const pctl_verb_t *verb,
		json_t *params);

/* The part of the verbs' help on reaching the database. */
void pctl_help_data(FILE *out);

#endif
