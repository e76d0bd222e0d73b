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
/* The service's Kamailio counters (group "pchat": kamcmd cnt.get_all pchat,
 * xhttp_prom's /metrics): plain counters that any layer increments, and
 * latency histograms whose buckets are read as counters named *_le_<ms>. */

#ifndef _PCHAT_METRICS_H_
#define _PCHAT_METRICS_H_

#include "core/counters.h"

#define PCHAT_METRICS_GROUP "pchat"

typedef enum pchat_metric
{
	PCHAT_M_JOINS = 0,	  /* rooms joined (a bjoin counts each room) */
	PCHAT_M_SHED,		  /* sessions ended for not keeping up */
	PCHAT_M_STORE_ERRORS, /* statements the database refused or lost */
	PCHAT_M_N
} pchat_metric_t;

typedef enum pchat_hist
{
	PCHAT_H_POST_ACK = 0, /* a post's check to its 200 */
	PCHAT_H_FANOUT,		  /* one room's copies built and sent */
	PCHAT_H_STORE_COMMIT, /* the post writer's transaction for a batch */
	PCHAT_H_N
} pchat_hist_t;

void pchat_metric_inc(pchat_metric_t m);
void pchat_hist_observe(pchat_hist_t h, unsigned long long us);

/* mod_init (before the fork): registers the plain counters and the
 * histograms' buckets, _count and _sum_us. */
int pchat_metrics_init(void);

#endif
