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
/* The service's counters and latency histograms on Kamailio's counters API
 * (a Prometheus histogram with its bucket bound in the counter's name). */

#include <stdio.h>
#include <string.h>

#include "core/dprint.h"
#include "core/mem/shm.h"

#include "pchat_metrics.h"

/* upper bounds in ms, as in Prometheus' default buckets; then +Inf */
static const int _pchat_hist_le_ms[] = {
		1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
#define PCHAT_HIST_B (sizeof(_pchat_hist_le_ms) / sizeof(_pchat_hist_le_ms[0]))
/* a bucket per bound, +Inf, then the sum in µs */
#define PCHAT_HIST_SLOTS (PCHAT_HIST_B + 2)

static const char *_pchat_hist_name[PCHAT_H_N] = {
		"post_ack_ms", "fanout_ms", "store_commit_ms"};
static const char *_pchat_hist_doc[PCHAT_H_N] = {
		"posts by latency from the check in the SIP reader to the 200",
		"room fan-outs by time to build and send every copy",
		"post batches by the time of the writer's transaction"};

static counter_handle_t _pchat_m[PCHAT_M_N];
static counter_def_t _pchat_m_defs[] = {
		{&_pchat_m[PCHAT_M_JOINS], "joins", 0, 0, 0,
				"rooms joined by this node's sessions"},
		{&_pchat_m[PCHAT_M_SHED], "shed_clients", 0, 0, 0,
				"sessions ended for too many unanswered INFOs"},
		{&_pchat_m[PCHAT_M_STORE_ERRORS], "store_errors", 0, 0, 0,
				"database statements that failed or lost the connection"},
		{0, 0, 0, 0, 0, 0}};

/* shm, updated with atomic adds: one observation touches one bucket, the
 * reader sums them into Prometheus' cumulative buckets */
static unsigned long (*_pchat_hist)[PCHAT_HIST_SLOTS];

void pchat_metric_inc(pchat_metric_t m)
{
	/* mod_init's statements (the schema check) run before the counters
	 * have their per-process slots */
	if(counters_initialized())
		counter_inc(_pchat_m[m]);
}

void pchat_hist_observe(pchat_hist_t h, unsigned long long us)
{
	unsigned int b;

	if(_pchat_hist == NULL)
		return;
	for(b = 0; b < PCHAT_HIST_B; b++)
		if(us <= (unsigned long long)_pchat_hist_le_ms[b] * 1000)
			break;
	__atomic_fetch_add(&_pchat_hist[h][b], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(
			&_pchat_hist[h][PCHAT_HIST_B + 1], us, __ATOMIC_RELAXED);
}

/* param: histogram * 64 + slot; slot PCHAT_HIST_B is +Inf (= _count) */
static counter_val_t pchat_hist_read(counter_handle_t hd, void *param)
{
	long v = (long)param;
	int h = v / 64, slot = v % 64, b;
	unsigned long n = 0;

	if(slot == PCHAT_HIST_B + 1) /* in µs: a fan-out takes well under 1 ms */
		return __atomic_load_n(&_pchat_hist[h][slot], __ATOMIC_RELAXED);
	for(b = 0; b <= slot; b++)
		n += __atomic_load_n(&_pchat_hist[h][b], __ATOMIC_RELAXED);
	return n;
}

static int pchat_hist_register(int h)
{
	char name[64];
	counter_handle_t hd;
	unsigned int s;
	int r = 0;

	for(s = 0; s < PCHAT_HIST_SLOTS && r == 0; s++) {
		if(s < PCHAT_HIST_B)
			snprintf(name, sizeof(name), "%s_bucket_le_%d",
					_pchat_hist_name[h], _pchat_hist_le_ms[s]);
		else
			snprintf(name, sizeof(name), "%s_%s", _pchat_hist_name[h],
					s == PCHAT_HIST_B ? "count" : "sum_us");
		r = counter_register(&hd, PCHAT_METRICS_GROUP, name, 0,
				pchat_hist_read, (void *)(long)(h * 64 + s),
				_pchat_hist_doc[h], 0);
	}
	return r;
}

int pchat_metrics_init(void)
{
	int h;

	_pchat_hist = shm_malloc(sizeof(*_pchat_hist) * PCHAT_H_N);
	if(_pchat_hist == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_pchat_hist, 0, sizeof(*_pchat_hist) * PCHAT_H_N);
	if(counter_register_array(PCHAT_METRICS_GROUP, _pchat_m_defs) < 0)
		goto error;
	for(h = 0; h < PCHAT_H_N; h++)
		if(pchat_hist_register(h) < 0)
			goto error;
	return 0;
error:
	LM_ERR("cannot register the pchat counters\n");
	return -1;
}
