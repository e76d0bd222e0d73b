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
/* Store layer: the text index of the history search, a node-local Mroonga
 * side table (sql/pchat-search-index.sql) fed after commit by a process of
 * its own that follows the posts by recorded_at, behind a watermark. */

#ifndef _PCHAT_SEARCH_INDEX_H_
#define _PCHAT_SEARCH_INDEX_H_

#include "pchat_db.h"

#define PCHAT_SIDX_ERR_MAX 160
/* a UTC 'YYYY-MM-DD HH:MM:SS.fff' and its NUL */
#define PCHAT_SIDX_TS_MAX 32

/* What the indexer did, for pchat.search_index. */
typedef struct pchat_sidx_stats
{
	int mode;			   /* 1 auto, 0 off (search_index) */
	int ready;			   /* the side table was found: searches use it */
	long long wm_ms;	   /* watermark: posts recorded up to it are indexed */
	long long lag_ms;	   /* the database's now minus the watermark */
	long long indexed;	   /* rows written into the index (this DB node) */
	long long rounds;	   /* batches written by this process */
	long long rows;		   /* rows written by this process */
	long long write_us;	   /* time its writing statements took */
	long long last_rows;   /* rows of the last batch */
	int newest;			   /* the table has ts_ms: hits asked newest first */
	long long answered;	   /* searches the index answered (this node) */
	long long answered_newest; /* ... of them from its newest hits */
	long long answered_recent; /* ... of those from the newest posts' index */
	int recent_posts;		   /* search_recent_posts (0: no such index) */
	int recent_ready;		   /* pchat_search_fts_recent is fed */
	long long recent_from_ms;  /* its floor: it holds every post from it on */
	long long recent_lag_ms;   /* the database's now minus its watermark */
	long long recent_indexed;  /* rows written into it (this DB node) */
	long long recent_write_us; /* time this node's writing into it took */
	char error[PCHAT_SIDX_ERR_MAX]; /* the last error, "" none */
} pchat_sidx_stats_t;

/* mod_init: mode 0 off, 1 auto; batch rows per round; settle_ms how old
 * (by the database's clock) a post is before it is indexed; recent_posts
 * the newest posts' index's size (0: not fed). */
int pchat_sidx_mod_init(
		int mode, int batch, int interval_ms, int settle_ms, int recent_posts);

/* PROC_MAIN, child_init: forks the indexer (mode auto only). */
int pchat_sidx_start(void);

/* 1 when searches may ask the index (mode auto and the table is there). */
int pchat_sidx_ready(void);

/* The watermark as stored: posts up to (at (UTC), room, seq) in
 * (recorded_at, room_id, seq) order are indexed; fresh: it is at most
 * PCHAT_SIDX_FRESH_S old, and a search takes the index only then (the
 * posts after it are scanned with LIKE). PCHAT_STORE_ERROR when the side
 * table cannot be read (the search then keeps LIKE). */
#define PCHAT_SIDX_FRESH_S 60
typedef struct pchat_sidx_mark
{
	char at[PCHAT_SIDX_TS_MAX];
	long long room, seq;
} pchat_sidx_mark_t;
pchat_store_rc_t pchat_sidx_watermark(pchat_sidx_mark_t *wm, int *fresh);

void pchat_sidx_status(pchat_sidx_stats_t *out);

/* 1 when the side table carries ts_ms (sql/pchat-search-index.sql of
 * issue 18's second stage): its hits can be asked newest first. */
int pchat_sidx_newest(void);

/* The newest posts' index (pchat_search_fts_recent): its watermark as
 * pchat_sidx_watermark()'s, and its floor: every post up to the watermark
 * with ts_ms >= *floor is in it. *fresh 0: not to be used (not there, not
 * fed, or behind). */
pchat_store_rc_t pchat_sidx_recent(
		pchat_sidx_mark_t *wm, int *fresh, long long *floor);

/* A search the index answered: from the rooms' candidates, from its
 * newest hits, or from the newest hits of the newest posts' index. */
#define PCHAT_SIDX_BY_CANDIDATES 1
#define PCHAT_SIDX_BY_NEWEST 2
#define PCHAT_SIDX_BY_RECENT 3
void pchat_sidx_answered(int how);

#endif
