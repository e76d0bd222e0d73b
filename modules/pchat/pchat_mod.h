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

/* Settings and bound APIs shared by the files of the module: every module
 * parameter and shared global is defined in pchat_mod.c, nowhere else.
 *
 * Layers run one way: a file includes headers of its own layer or lower,
 * never higher (tools/check-layers.sh checks it; keep both in step).
 *   0 base      pchat_mod.h (this file), pchat_xccos, pchat_identity,
 *               pchat_textmatch, pchat_uri, pchat_roster_api, pchat_metrics
 *               (the counters of group "pchat"), pchat_alert_match (the
 *               alert matcher), pchat_answer_scan (an answer's raw status
 *               and top Via branch), pchat_pending (a request answered
 *               later)
 *   1 db        pchat_db (statements), pchat_db_conn (the connection)
 *   2 store     pchat_config, pchat_schema (queries of the store itself),
 *               pchat_writer (the post writer process), pchat_bell (the
 *               helper processes' doorbells), pchat_retention (the
 *               retention job's process), pchat_compliance (the
 *               compliance events and participants; the node's name),
 *               pchat_proc (the module's own processes and their pipes),
 *               pchat_compliance_run (the compliance adapter process),
 *               pchat_file (posted files: rows, tokens, bytes on disk),
 *               pchat_search (the history search query),
 *               pchat_follow (followed rooms and read marks),
 *               pchat_alert_store (alert subscriptions),
 *               pchat_search_index (its text index and the indexer);
 *               pchat_adapter* (the adapters' formatting) are base (0)
 *   3 access    pchat_perm, pchat_policy, pchat_wall, pchat_access,
 *               pchat_access_rooms (one user's access to many rooms)
 *   4 delivery  pchat_limit, pchat_session, pchat_deliver, pchat_send,
 *               pchat_fanout, pchat_pool (the pool of nodes over DMQ),
 *               pchat_pool_table (its rooms per node), pchat_pool_order
 *               (post copies in sequence order), pchat_pool_beat (which
 *               nodes are alive; this node's active/drain state),
 *               pchat_pool_names (who is in small rooms on each node)
 *   5 commands  pchat_cmd, pchat_cmd_*, pchat_revoke, pchat_alert (the
 *               alert process: matching and sending alerts)
 *   6 entry     pchat_uas, pchat_worker (the store workers),
 *               pchat_provision, pchat_sipreply (SIP),
 *               pchat_file_http, pchat_file_soap (the file service over
 *               xhttp: REST and Lync's SOAP);
 *               pchat_manage_http (the room-management page over xhttp);
 *               pchat_admin*, pchat_rpc,
 *               pchat_rpcargs (RPC)
 *   7 module    pchat_mod.c (exports, mod_init: may include anything) */

#ifndef _PCHAT_MOD_H_
#define _PCHAT_MOD_H_

#include "core/str.h"
#include "modules/tm/tm_load.h"
#include "modules/sl/sl.h"

#include "../pchat_roster/pchat_roster_api.h"

/* Bound in mod_init: tm (pchat's own transactions) and pchat_roster (who
 * is online in which room). */
extern struct tm_binds _pchat_tmb;
/* sl, when loaded: the 503 sent when tm cannot keep a transaction. */
extern sl_api_t _pchat_slb;
extern int _pchat_have_sl;
extern pchat_roster_api_t _pchat_roster;

/* The module parameters (modparam "pchat"), set before the fork and then
 * read-only; defined and checked in pchat_mod.c. */

extern int pchat_session_expires; /* Session-Expires we offer, seconds */
extern int pchat_min_se;          /* smallest interval we accept */
extern int pchat_max_body;        /* largest XCCOS body accepted, bytes */
extern int pchat_max_reply;       /* largest reply envelope we send, bytes */
extern int pchat_max_preferences; /* preference bundles per user */
extern int pchat_max_preference_size; /* bytes of one bundle's content */
extern int pchat_follow_max;    /* followed rooms per user (cmd:follow) */
extern int pchat_follow_bjoin;  /* a session's first bjoin joins them */
extern int pchat_alert_max; /* alert subscriptions per user */
extern int pchat_retry_after;     /* Retry-After sent while storage is down */
extern int pchat_shm_reserve_kb;  /* free shm kept for sessions' ends */
extern int pchat_use_asserted_identity; /* user from P-Asserted-Identity */
extern str pchat_provision_pool_uri;    /* provisioned pool URI, or empty */
extern str pchat_room_management_url;   /* provisioned web manager, or empty */
extern int pchat_delivery_timeout;   /* seconds an INFO may stay unanswered */
extern int pchat_info_transactions; /* 1: tm for INFO over TCP/TLS too */
extern int pchat_max_pending;        /* unanswered INFOs before shedding */
extern int pchat_coalesce_bytes; /* bound of one write of coalesced copies */
/* Session bounds (max_sessions, max_sessions_per_user,
 * max_sessions_per_connection; 0: none). A front-end's connection carries
 * many users: the per-connection bound does not apply to via_fe sessions. */
extern int pchat_max_sessions;
extern int pchat_max_sessions_per_user;
extern int pchat_max_sessions_per_conn;
extern int pchat_post_queue_size;
extern int pchat_post_batch_size;
/* Processes that run the commands which wait for MySQL (0: the SIP
 * readers run them) and the bound of their queue. */
extern int pchat_store_workers;
extern int pchat_store_queue_size;
/* Client INFOs per second per session (token bucket of max_infos_burst
 * kept with the session; 0: no bound); past it SIP 503 + Retry-After. */
extern int pchat_max_infos_per_second;
extern int pchat_max_infos_burst;

/* FNV-1a over bytes taken as unsigned, continuing from h (start with
 * PCHAT_FNV1A_SEED): keys may be binary or non-ASCII, and the core's string
 * hashes shift signed chars, which is undefined for bytes above 0x7f. */
#define PCHAT_FNV1A_SEED 2166136261u
static inline unsigned int pchat_fnv1a(unsigned int h, const void *key, int len)
{
	const unsigned char *p = (const unsigned char *)key;
	int i;

	for(i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

#endif
