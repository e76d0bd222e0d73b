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
/* Store queries: the startup check that the database holds the schema
 * version this code was written for (table `version`). Runs in mod_init,
 * before the fork, through pchat_db only. */

#ifndef _PCHAT_SCHEMA_H_
#define _PCHAT_SCHEMA_H_

/* The schema version this code knows, and the startup check: -1 (refuse to
 * start) when the store holds another version, naming the upgrade to run;
 * 0 when it matches or the database cannot be reached yet. */
#define PCHAT_SCHEMA_VERSION 6
int pchat_schema_check(void);

#endif
