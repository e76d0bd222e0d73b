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
/* Store layer: the retention job, a process of its own with its own
 * connection. Removes the messages older than their category's
 * retention_days, in short batches, except what a legal hold covers; never
 * touches the compliance archive. */

#ifndef _PCHAT_RETENTION_H_
#define _PCHAT_RETENTION_H_

#define PCHAT_RETENTION_ERR_MAX 160

/* What the job did, for pchat.retention_status. Times: ms since 1970. */
typedef struct pchat_retention_stats
{
	long long requested; /* runs asked for by pchat.retention_run */
	long long runs;		 /* runs finished (asked for or due) */
	int running;		 /* a run is under way */
	int interval;		 /* seconds between runs (0: only when asked) */
	long long last_start_ms;
	long long last_end_ms;
	long long last_removed;	 /* messages the last run removed */
	long long last_rooms;	 /* rooms it looked at */
	long long last_held;	 /* rooms it skipped for a hold */
	long long last_batches;	 /* DELETE statements it ran */
	int last_skipped;		 /* 1: another node was running it */
	long long total_removed; /* since this node started */
	/* the last run's first error, "" when it had none */
	char last_error[PCHAT_RETENTION_ERR_MAX];
} pchat_retention_stats_t;

/* mod_init: interval_s 0 (only when asked) or 1-2592000; batch: rows per
 * DELETE. */
int pchat_retention_mod_init(int interval_s, int batch);

/* PROC_MAIN, child_init: forks the retention process. */
int pchat_retention_start(void);

/* Asks the process for a run as soon as the current one (if any) ends;
 * returns the request's number: it is done when pchat_retention_status()
 * gives a done_request >= it. -1 when the process is not running. */
long long pchat_retention_request(void);

/* The job's state; *done_request: the newest request a finished run
 * started after. */
void pchat_retention_status(
		pchat_retention_stats_t *out, long long *done_request);

#endif
