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
/* Store layer: the compliance adapter run, a process of its own (PCHAT
 * COMPLIANCE). Every RunInterval the node holding the lease of
 * pchat_compliance_state writes the events after last_event_id through the
 * adapter to files (temporary file, fsync, rename, fsync of the directory)
 * and only then advances last_event_id. */

#ifndef _PCHAT_COMPLIANCE_RUN_H_
#define _PCHAT_COMPLIANCE_RUN_H_

#include "pchat_db.h"

/* The compliance_* rows of pchat_config. */
#define PCHAT_CDIR_MAX 256
typedef struct pchat_ccfg
{
	int enabled;      /* compliance: capture on */
	char adapter[8];  /* xml, jsonl or "" */
	char dir[PCHAT_CDIR_MAX];
	int interval;     /* s, 60..2592000 */
	int one_room, room_details, user_details;
	char xslt[PCHAT_CDIR_MAX]; /* compliance_xslt: stylesheet, "" none */
} pchat_ccfg_t;

pchat_store_rc_t pchat_ccfg_read(pchat_ccfg_t *c);

/* pchat_compliance_state and the events waiting (for the status RPCs). */
typedef struct pchat_cstatus
{
	unsigned long long last_event_id, pending;
	char holder[65];  /* "" when nobody */
	long long lease_left_ms; /* < 0: expired */
	long long last_run_ms;
	long long since_run_ms; /* by the database's clock */
	long long now_ms;       /* the database's clock */
	char last_error[256];
} pchat_cstatus_t;

pchat_store_rc_t pchat_crun_status(pchat_cstatus_t *st);
/* The waiting events as the compliance process last counted them (every
 * few seconds), -1 before its first count, when the count failed or when
 * the process does not run. */
long pchat_crun_backlog(void);

/* The outcome of a run now (pchat.compliance_run). */
typedef struct pchat_crun_result
{
	int ok;           /* 1 written (or nothing to write), 0 failed */
	long long events; /* exported by this run */
	int files;
	char error[256];
} pchat_crun_result_t;

/* Asks the process for a run and waits for it up to wait_ms: 1 done (r
 * filled), 0 not within wait_ms, -1 no process. */
int pchat_crun_now(int wait_ms, pchat_crun_result_t *r);

/* This node's name in the lease (holder): pchat_node_name(). */
const char *pchat_crun_node(void);

/* batch: events per file; lease_s: the lease's length; unit_ms: ms per
 * second of RunInterval (1000; tests shorten it); crash: test hook, 1
 * exits after the rename before last_event_id advances. */
int pchat_crun_mod_init(int batch, int lease_s, int unit_ms, int crash);
/* From child_init(PROC_MAIN): forks the process. */
int pchat_crun_start(void);

#endif
