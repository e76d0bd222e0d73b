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
 * What pchat_session.c needs from the rest of pchat, stubbed for its unit
 * test (test_session.c): tm's free_dlg (through _pchat_tmb) and the two
 * calls into pchat_deliver.c. The table itself is the module's own code.
 */

#include "core/mem/shm.h"

#include "pchat_deliver.h"
#include "pchat_mod.h"
#include "kamstub.h"

static int _dlg_frees, _deliver_forgets;
static unsigned int _overdue_id;

/* the test's dialogs are one shm block each */
static void kam_free_dlg(dlg_t *d)
{
	_dlg_frees++;
	shm_free(d);
}

struct tm_binds _pchat_tmb = {.free_dlg = kam_free_dlg};

/* The session bounds are module parameters (pchat_mod.c, not linked
 * here): the module's defaults. */
int pchat_max_sessions = 200000;
int pchat_max_sessions_per_user = 16;
int pchat_max_sessions_per_conn = 64;

void pchat_deliver_forget(pchat_session_t *s)
{
	_deliver_forgets++;
}

int pchat_deliver_overdue(pchat_session_t *s, time_t now)
{
	return _overdue_id != 0 && s->id == _overdue_id;
}

int kam_dlg_frees(void)
{
	return _dlg_frees;
}

int kam_deliver_forgets(void)
{
	return _deliver_forgets;
}

void kam_deliver_overdue_id(unsigned int id)
{
	_overdue_id = id;
}
