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
 * The test side of kamstub.c, the stand-in for the few Kamailio core
 * symbols that pchat's shared-memory tables use (shm/pkg allocators,
 * logging, counters): counts, failure injection and what was logged.
 */

#ifndef _KAMSTUB_H_
#define _KAMSTUB_H_

/* The n-th shm (pkg) allocation from now returns NULL, once; 0 cancels. */
void kam_shm_fail_at(int n);
void kam_pkg_fail_at(int n);

/* Allocations asked for so far (failed ones included). */
long kam_shm_calls(void);
long kam_pkg_calls(void);

/* Blocks allocated and not freed yet. */
long kam_shm_live(void);
long kam_pkg_live(void);

/* Log lines at level L_ERR and L_BUG since kam_log_reset(); the text of
 * the last one at any level. */
void kam_log_reset(void);
int kam_log_errors(void);
int kam_log_bugs(void);
const char *kam_log_last(void);

/* The value of a registered counter (group.name), -1 when unknown. */
long kam_counter(const char *group, const char *name);

/* pchat_session.c's neighbours, stubbed in kamstub_session.c: dialogs the
 * table freed through tm, sessions whose delivery state was dropped, and
 * the one session id pchat_deliver_overdue() reports (0: none). */
int kam_dlg_frees(void);
int kam_deliver_forgets(void);
void kam_deliver_overdue_id(unsigned int id);

#endif
