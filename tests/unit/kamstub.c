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
 * A stand-in for the Kamailio core symbols pchat's shared-memory tables
 * need, so that the tables' own sources compile against the prepared
 * Kamailio tree and run in a plain test program: shm and pkg malloc over
 * libc malloc with block tracking and failure injection, logging into
 * counters, a single-process counters table.  Tests use kamstub.h.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "core/counters.h"
#include "core/dprint.h"
#include "core/mem/pkg.h"
#include "core/mem/shm.h"

#include "kamstub.h"

/* ---- memory: every block is on a list, so the tests can count what is
 * left (and LeakSanitizer does not flag what a table keeps for good) */

typedef union kam_block
{
	struct
	{
		union kam_block *prev, *next;
		size_t size;
	} h;
	long double align; /* malloc's alignment for what follows */
} kam_block_t;

typedef struct kam_pool
{
	kam_block_t head; /* circular list of live blocks */
	long calls;
	long fail_at; /* value of calls that fails; 0: none */
	long live;
} kam_pool_t;

static kam_pool_t _shm_pool, _pkg_pool;

static void kam_pool_init(kam_pool_t *pool)
{
	if(pool->head.h.next == NULL)
		pool->head.h.next = pool->head.h.prev = &pool->head;
}

static void *kam_pool_alloc(kam_pool_t *pool, size_t size, int zero)
{
	kam_block_t *b;

	kam_pool_init(pool);
	pool->calls++;
	if(pool->fail_at != 0 && pool->calls == pool->fail_at) {
		pool->fail_at = 0;
		return NULL;
	}
	b = zero ? calloc(1, sizeof(*b) + size) : malloc(sizeof(*b) + size);
	if(b == NULL)
		abort();
	b->h.size = size;
	b->h.next = pool->head.h.next;
	b->h.prev = &pool->head;
	pool->head.h.next->h.prev = b;
	pool->head.h.next = b;
	pool->live++;
	return b + 1;
}

static void kam_pool_free(kam_pool_t *pool, void *p)
{
	kam_block_t *b;

	if(p == NULL)
		return;
	b = (kam_block_t *)p - 1;
	b->h.prev->h.next = b->h.next;
	b->h.next->h.prev = b->h.prev;
	pool->live--;
	free(b);
}

static void *kam_pool_realloc(kam_pool_t *pool, void *p, size_t size)
{
	void *n = kam_pool_alloc(pool, size, 0);

	if(n != NULL && p != NULL) {
		size_t old = ((kam_block_t *)p - 1)->h.size;
		memcpy(n, p, old < size ? old : size);
		kam_pool_free(pool, p);
	}
	return n;
}

#define KAM_LOC_ARGS \
	const char *file, const char *func, unsigned int line, const char *mname

static void *kam_shm_malloc(void *mb, size_t size, KAM_LOC_ARGS)
{
	return kam_pool_alloc(&_shm_pool, size, 0);
}

static void *kam_shm_mallocxz(void *mb, size_t size, KAM_LOC_ARGS)
{
	return kam_pool_alloc(&_shm_pool, size, 1);
}

static void *kam_shm_realloc(void *mb, void *p, size_t size, KAM_LOC_ARGS)
{
	return kam_pool_realloc(&_shm_pool, p, size);
}

static void kam_shm_free(void *mb, void *p, KAM_LOC_ARGS)
{
	kam_pool_free(&_shm_pool, p);
}

static void *kam_pkg_malloc(void *mb, size_t size, KAM_LOC_ARGS)
{
	return kam_pool_alloc(&_pkg_pool, size, 0);
}

static void *kam_pkg_mallocxz(void *mb, size_t size, KAM_LOC_ARGS)
{
	return kam_pool_alloc(&_pkg_pool, size, 1);
}

static void *kam_pkg_realloc(void *mb, void *p, size_t size, KAM_LOC_ARGS)
{
	return kam_pool_realloc(&_pkg_pool, p, size);
}

static void kam_pkg_free(void *mb, void *p, KAM_LOC_ARGS)
{
	kam_pool_free(&_pkg_pool, p);
}

sr_shm_api_t _shm_root = {
		.mname = "kamstub",
		.xmalloc = kam_shm_malloc,
		.xmallocxz = kam_shm_mallocxz,
		.xmalloc_unsafe = kam_shm_malloc,
		.xrealloc = kam_shm_realloc,
		.xreallocxf = kam_shm_realloc,
		.xfree = kam_shm_free,
		.xfree_unsafe = kam_shm_free,
};

sr_pkg_api_t _pkg_root = {
		.mname = "kamstub",
		.xmalloc = kam_pkg_malloc,
		.xmallocxz = kam_pkg_mallocxz,
		.xrealloc = kam_pkg_realloc,
		.xreallocxf = kam_pkg_realloc,
		.xfree = kam_pkg_free,
};

void kam_shm_fail_at(int n)
{
	_shm_pool.fail_at = n > 0 ? _shm_pool.calls + n : 0;
}

void kam_pkg_fail_at(int n)
{
	_pkg_pool.fail_at = n > 0 ? _pkg_pool.calls + n : 0;
}

long kam_shm_calls(void)
{
	return _shm_pool.calls;
}

long kam_pkg_calls(void)
{
	return _pkg_pool.calls;
}

long kam_shm_live(void)
{
	return _shm_pool.live;
}

long kam_pkg_live(void)
{
	return _pkg_pool.live;
}

/* ---- logging: the structured-logging hook sees every LM_* line */

int process_no = 0;
int log_stderr = 0;
int log_color = 0;
str *log_prefix_val = NULL;
volatile int dprint_crit = 0;

struct log_level_info log_level_info[] = {{"ALERT", LOG_ALERT},
		{"BUG", LOG_CRIT}, {"CRITICAL", LOG_CRIT}, {"", LOG_CRIT},
		{"ERROR", LOG_ERR}, {"WARNING", LOG_WARNING}, {"NOTICE", LOG_NOTICE},
		{"INFO", LOG_INFO}, {"DEBUG", LOG_DEBUG}};

static int _log_errors, _log_bugs;
static char _log_last[512];

/* KAMSTUB_LOG=1 in the environment also prints every line to stderr. */
static void kam_slog(ksr_logdata_t *kld, const char *fmt, ...)
{
	va_list ap;

	if(kld->v_level == L_ERR)
		_log_errors++;
	if(kld->v_level == L_BUG)
		_log_bugs++;
	va_start(ap, fmt);
	vsnprintf(_log_last, sizeof(_log_last), fmt, ap);
	va_end(ap);
	if(getenv("KAMSTUB_LOG"))
		fprintf(stderr, "log %s: %s: %s", kld->v_lname, kld->v_func,
				_log_last);
}

static void kam_log(int prio, const char *fmt, ...)
{
	/* unused: kam_slog gets every line */
}

ksr_slog_f _ksr_slog_func = kam_slog;
km_log_f _km_log_func = kam_log;

int get_debug_level(char *mname, int mnlen)
{
	return L_DBG;
}

int get_debug_facility(char *mname, int mnlen)
{
	return LOG_DAEMON;
}

void dprint_color(int level)
{
}

void dprint_color_reset(void)
{
}

int my_pid(void)
{
	return (int)getpid();
}

void kam_log_reset(void)
{
	_log_errors = _log_bugs = 0;
	_log_last[0] = '\0';
}

int kam_log_errors(void)
{
	return _log_errors;
}

int kam_log_bugs(void)
{
	return _log_bugs;
}

const char *kam_log_last(void)
{
	return _log_last;
}

/* ---- counters: one process, one row */

#define KAM_MAX_COUNTERS 32

static counter_array_t _kam_cnt_vals[KAM_MAX_COUNTERS];
static const char *_kam_cnt_names[KAM_MAX_COUNTERS][2];
static int _kam_ncnt;

counter_array_t *_cnts_vals = _kam_cnt_vals;
int _cnts_row_len = KAM_MAX_COUNTERS;

/* A second registration of group.name (a table initialised again by a
 * test) gets the same counter. */
int counter_register(counter_handle_t *handle, const char *group,
		const char *name, int flags, counter_cbk_f cbk, void *cbk_param,
		const char *doc, int reg_flags)
{
	int i;

	for(i = 0; i < _kam_ncnt; i++) {
		if(strcmp(_kam_cnt_names[i][0], group) == 0
				&& strcmp(_kam_cnt_names[i][1], name) == 0) {
			handle->id = (unsigned short)i;
			return 0;
		}
	}
	if(_kam_ncnt == KAM_MAX_COUNTERS)
		return -1;
	_kam_cnt_names[_kam_ncnt][0] = group;
	_kam_cnt_names[_kam_ncnt][1] = name;
	handle->id = (unsigned short)_kam_ncnt++;
	return 0;
}

counter_val_t counter_get_val(counter_handle_t handle)
{
	return _kam_cnt_vals[handle.id].v;
}

long kam_counter(const char *group, const char *name)
{
	int i;

	for(i = 0; i < _kam_ncnt; i++) {
		if(strcmp(_kam_cnt_names[i][0], group) == 0
				&& strcmp(_kam_cnt_names[i][1], name) == 0)
			return _kam_cnt_vals[i].v;
	}
	return -1;
}
