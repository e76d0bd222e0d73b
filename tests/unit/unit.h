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
 * The one harness every unit test (tests/unit/test_*.c) includes: each case
 * prints "ok - name" or "not ok - name: detail"; unit_summary() prints the
 * last line "N passed, M failed" that tests/test_unit.py parses and gives
 * the exit status (non-zero when something failed).
 */

#ifndef PCHAT_UNIT_H
#define PCHAT_UNIT_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int n_pass;
static int n_fail;

/* Records one case: passed when detail is NULL or empty. */
static inline void unit_report(const char *name, const char *detail)
{
	if(detail != NULL && detail[0] != '\0') {
		printf("not ok - %s: %s\n", name, detail);
		n_fail++;
	} else {
		printf("ok - %s\n", name);
		n_pass++;
	}
}

/* Records one case from a condition; the detail is formatted only on failure. */
static inline void unit_check(const char *name, int ok, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
static inline void unit_check(const char *name, int ok, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	if(ok) {
		unit_report(name, NULL);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	unit_report(name, detail[0] != '\0' ? detail : "failed");
}

/* The final line and the exit status of main(). */
static inline int unit_summary(void)
{
	printf("%d passed, %d failed\n", n_pass, n_fail);
	return n_fail > 0 ? 1 : 0;
}

/* A case is BEGIN, CHECKs, a "done:" label, cleanup, END.  The first failing
 * CHECK records its detail and jumps to done: so the cleanup always runs. */
#define BEGIN(title)            \
	const char *t_name = title; \
	char t_msg[512];            \
	t_msg[0] = '\0'
#define CHECK(cond, ...)                                 \
	do {                                                 \
		if(!(cond)) {                                    \
			snprintf(t_msg, sizeof(t_msg), __VA_ARGS__); \
			goto done;                                   \
		}                                                \
	} while(0)
#define END unit_report(t_name, t_msg)

#endif
