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
 * Cases shared by the unit tests of pchat's shared-memory tables (the ones
 * linked with kamstub.c); include after unit.h and kamstub.h.
 */

#ifndef _KAMUNIT_H_
#define _KAMUNIT_H_

#include <stdio.h>

/* Runs init() with each of its shm allocations failing in turn: every run
 * must return -1 and log an error, not a bug, and not crash; then init()
 * must succeed. A failed init stops Kamailio, so what it allocated before
 * failing is not reclaimed and not counted here. */
static inline void kam_check_init_failures(const char *what, int (*init)(void))
{
	char name[96];
	long calls;
	int n, rc;

	for(n = 1; n < 20; n++) {
		calls = kam_shm_calls();
		kam_log_reset();
		kam_shm_fail_at(n);
		rc = init();
		kam_shm_fail_at(0);
		if(kam_shm_calls() - calls < n)
			break; /* init made fewer than n allocations: none failed */
		snprintf(name, sizeof(name), "%s: shm allocation %d fails cleanly",
				what, n);
		unit_check(name, rc == -1 && kam_log_errors() >= 1 && !kam_log_bugs(),
				"returned %d, %d errors, %d bugs logged", rc, kam_log_errors(),
				kam_log_bugs());
	}
	snprintf(name, sizeof(name), "%s: succeeds once no allocation fails",
			what);
	unit_check(name, n > 1 && n < 20 && rc == 0, "returned %d after %d runs",
			rc, n - 1);
}

#endif
