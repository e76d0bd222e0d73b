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
/* The help texts, written from the verb tables so they cannot drift. */

#ifndef _PCHATCTL_HELP_H_
#define _PCHATCTL_HELP_H_

#include <stdio.h>

#include "verbs.h"

void pctl_help_main(FILE *out);
void pctl_help_verb(FILE *out, const pctl_verb_t *verb);

#endif
