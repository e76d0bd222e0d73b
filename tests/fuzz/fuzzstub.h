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

/* What the fuzz targets share with fuzzstub.c: the rooms of the fake
 * store, its failure injection, the roster and the envelope check. */

#ifndef _PCHAT_FUZZSTUB_H_
#define _PCHAT_FUZZSTUB_H_

#define FUZZ_GUID_OPEN "0a1b2c3d-0000-4000-8000-000000000001"
#define FUZZ_GUID_CLOSED "0a1b2c3d-0000-4000-8000-000000000002"
#define FUZZ_GUID_SECRET "0a1b2c3d-0000-4000-8000-000000000003"

/* The fail_at-th store call from now fails (0: none), as unavailable or
 * as an error of the database. */
void fuzz_store_reset(int fail_at, int unavailable);
/* Binds the fake roster into _pchat_roster, with no room joined. */
void fuzz_roster_init(void);
/* Aborts unless s is a well-formed XCCOS envelope. */
void fuzz_check_envelope(const char *what, const char *s, int len);

#endif
