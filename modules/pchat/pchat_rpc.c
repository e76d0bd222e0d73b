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
/* Entry layer (RPC side): the status RPCs (pchat.sessions, pchat.status,
 * pchat.pool) and pchat.pool_state. Reads the session table, the store
 * and pool state; only pchat.pool_state changes something (the drain). */

#include <stdio.h>
#include <time.h>

#include "core/dprint.h"
#include "core/ip_addr.h"
#include "core/rpc.h"
#include "core/counters.h"

#include "pchat_adapter.h"
#include "pchat_compliance_run.h"
#include "pchat_deliver.h"
#include "pchat_mod.h"
#include "pchat_admin.h"
#include "pchat_pool.h"
#include "pchat_pool_beat.h"
#include "pchat_rpcargs.h"
#include "pchat_rpc.h"
#include "pchat_file.h"
#include "pchat_worker.h"
#include "pchat_writer.h"
#include "pchat_session.h"
#include "pchat_uas.h"
#include "pchat_db.h"
#include "pchat_metrics.h"

typedef struct pchat_rpc_walk
{
	rpc_t *rpc;
	void *ctx;
	time_t now;
} pchat_rpc_walk_t;

static const char *pchat_proto_name(int proto)
{
	switch(proto) {
		case PROTO_UDP:
			return "udp";
		case PROTO_TCP:
			return "tcp";
		case PROTO_TLS:
			return "tls";
		case PROTO_WS:
			return "ws";
		case PROTO_WSS:
			return "wss";
		default:
			return "other";
	}
}

/* Runs with the session's slot locked: adds to the reply, nothing else. */
static int pchat_rpc_add_session(pchat_session_t *s, void *param)
{
	pchat_rpc_walk_t *w = (pchat_rpc_walk_t *)param;
	void *th;
	char src[64];

	if(s->expires <= w->now && s->interval == 0)
		return 0; /* ended, waiting for the timer to remove it */
	if(w->rpc->add(w->ctx, "{", &th) < 0)
		return -1;
	snprintf(src, sizeof(src), "%s:%s:%u", pchat_proto_name(s->proto),
			ip_addr2a(&s->src_ip), s->src_port);
	w->rpc->struct_add(th, "uSSSSsddduu", "id", s->id, "user",
			&s->user, "uri", &s->uri->uri, "call_id",
			&s->dlg->id.call_id, "to_tag", &s->dlg->id.loc_tag, "source", src,
			"conid", s->conid, "session_expires", (int)s->interval,
			"expires_in", (int)(s->expires - w->now), "local_cseq",
			s->dlg->loc_seq.value, "sent", s->sent);
	w->rpc->struct_add(th, "uu", "pending", s->dlv_pending + s->tm_pending,
			"via_frontend", (unsigned int)s->via_fe);
	w->rpc->struct_add(th, "s", "kind",
			s->uri->kind == PCHAT_URI_LOOKUP ? "lookup" : "service");
	return 0;
}

static const char *pchat_rpc_sessions_doc[] = {
	"List live XCCOS sessions (one per SIP dialog answered by pchat).", 0};

static void pchat_rpc_sessions(rpc_t *rpc, void *ctx)
{
	pchat_rpc_walk_t w;

	w.rpc = rpc;
	w.ctx = ctx;
	w.now = pchat_session_now();
	if(pchat_session_walk(pchat_rpc_add_session, &w) < 0)
		rpc->fault(ctx, 500, "Internal error building the session list");
}

/* The adapter run's state (pool-wide, from the store): "unknown" while the
 * store is down. */
static void pchat_rpc_status_compliance(rpc_t *rpc, void *th)
{
	pchat_cstatus_t st;
	char last_run[40] = "never";
	char holder[80];

	/* no wait on a store known to be down: status answers in an outage */
	if(pchat_store_is_down() || pchat_crun_status(&st) != PCHAT_STORE_OK) {
		rpc->struct_add(th, "s", "compliance_state", "unknown");
		return;
	}
	if(st.last_run_ms > 0)
		pchat_adapter_iso(st.last_run_ms, last_run, sizeof(last_run));
	snprintf(holder, sizeof(holder), "%s%s", st.holder,
			st.holder[0] && st.lease_left_ms <= 0 ? " (expired)" : "");
	rpc->struct_add(th, "sssss", "compliance_state",
			st.last_error[0] ? "failing" : "ok", "compliance_last_run",
			last_run, "compliance_lease_holder", holder,
			"compliance_node", pchat_crun_node(), "compliance_last_error",
			st.last_error);
	rpc->struct_add(th, "uu", "compliance_events_pending",
			(unsigned int)st.pending, "compliance_last_event_id",
			(unsigned int)st.last_event_id);
}

/* Posted files: counts and bytes from the store (none while it is down). */
static void pchat_rpc_status_files(rpc_t *rpc, void *th)
{
	pchat_file_stats_t st;

	if(pchat_store_is_down() || pchat_file_stats(&st) != PCHAT_STORE_OK)
		return;
	rpc->struct_add(th, "dLLL", "file_service", pchat_file_enabled(),
			"files", st.files, "file_bytes", st.bytes, "uploads_open",
			st.uploads);
	rpc->struct_add(th, "L", "upload_bytes", st.upload_bytes);
}

static const char *pchat_rpc_status_doc[] = {
	"Session count and storage state of this pchat node.", 0};

static void pchat_rpc_status(rpc_t *rpc, void *ctx)
{
	void *th;

	if(rpc->add(ctx, "{", &th) < 0) {
		rpc->fault(ctx, 500, "Internal error");
		return;
	}
	rpc->struct_add(th, "us", "sessions", pchat_session_count(), "storage",
			pchat_store_is_down() ? "down" : "up");
	rpc->struct_add(th, "udddd", "forged_replies",
			(unsigned int)pchat_deliver_forged_count(), "max_sessions",
			pchat_max_sessions, "max_sessions_per_user",
			pchat_max_sessions_per_user, "max_sessions_per_connection",
			pchat_max_sessions_per_conn, "max_pending_deliveries",
			pchat_max_pending);
	rpc->struct_add(th, "dddd", "posts_queued", pchat_writer_queued(),
			"post_queue_size", pchat_post_queue_size, "post_batches",
			(int)pchat_writer_stat(PCHAT_WRITER_BATCHES), "posts_committed",
			(int)pchat_writer_stat(PCHAT_WRITER_COMMITTED));
	rpc->struct_add(th, "ddu", "max_infos_per_second",
			pchat_max_infos_per_second, "max_infos_burst",
			pchat_max_infos_burst, "infos_limited",
			(unsigned int)pchat_uas_infos_limited());
	rpc->struct_add(th, "dddu", "store_workers", pchat_store_workers,
			"store_jobs_queued", pchat_worker_queued(), "store_queue_size",
			pchat_store_queue_size, "posts_uncached",
			(unsigned int)pchat_uas_posts_uncached());
	rpc->struct_add(th, "duuuu", "pool", pchat_pool_enabled(),
			"pool_copies_sent", (unsigned int)pchat_pool_stat(PCHAT_POOL_SENT),
			"pool_copies_received",
			(unsigned int)pchat_pool_stat(PCHAT_POOL_RECEIVED), "pool_refused",
			(unsigned int)pchat_pool_stat(PCHAT_POOL_REFUSED),
			"pool_remote_rooms",
			(unsigned int)pchat_pool_stat(PCHAT_POOL_REMOTE_ROOMS));
	rpc->struct_add(th, "uuu", "pool_counts_sent",
			(unsigned int)pchat_pool_stat(PCHAT_POOL_COUNTS_SENT),
			"pool_resyncs", (unsigned int)pchat_pool_stat(PCHAT_POOL_SYNCS),
			"pool_copies_queued",
			(unsigned int)pchat_pool_stat(PCHAT_POOL_QUEUED));
	rpc->struct_add(th, "uudu", "copies",
			(unsigned int)pchat_deliver_copies(), "copy_writes",
			(unsigned int)pchat_deliver_copy_writes(), "coalesce_bytes",
			pchat_coalesce_bytes, "answers_raw",
			(unsigned int)pchat_deliver_answers_raw());
	pchat_rpc_status_compliance(rpc, th);
	pchat_rpc_status_files(rpc, th);
}

static const char *pchat_rpc_pool_doc[] = {
	"The nodes of the pool: this node first (with its session count), then "
	"the other nodes heard so far: DMQ URI, state (up, draining, down), "
	"rooms with participants on it, ms since its last heartbeat.", 0};

static int pchat_rpc_pool_node(rpc_t *rpc, void *ctx, pchat_pool_node_info_t *n)
{
	void *th;

	if(rpc->add(ctx, "{", &th) < 0)
		return -1;
	rpc->struct_add(th, "Sdsdd", "uri", &n->uri, "local", n->local, "state",
			n->state, "rooms", n->rooms, "heartbeat_age_ms",
			(int)n->heartbeat_age_ms);
	if(n->local)
		rpc->struct_add(th, "u", "sessions", pchat_session_count());
	return 0;
}

static void pchat_rpc_pool(rpc_t *rpc, void *ctx)
{
	pchat_pool_node_info_t n;
	int i, rc;

	for(i = 0; (rc = pchat_pool_node_info(i, &n)) >= 0; i++) {
		if(rc == 0 && pchat_rpc_pool_node(rpc, ctx, &n) < 0) {
			rpc->fault(ctx, 500, "Internal error building the node list");
			return;
		}
	}
}

static const char *pchat_rpc_pool_state_doc[] = {
	"This node's state: without parameters read it; state=drain refuses new "
	"sessions (503, Retry-After) and keeps the ones it has, state=active "
	"takes new sessions again. The state travels in the heartbeat.", 0};

static const char *pchat_pool_states[] = {"active", "drain", NULL};

static void pchat_rpc_pool_state(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	int state = -1, r;
	void *th;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| (r = pchat_args_enum(&args, "state", pchat_pool_states, &state))
					   < 0
			|| pchat_args_done(&args) < 0) {
		pchat_admin_fault(rpc, ctx, &args);
		return;
	}
	if(r > 0 && state != pchat_pool_state_get()) {
		pchat_pool_state_set(state);
		LM_NOTICE("this node is now %s\n", pchat_pool_states[state]);
	}
	if(rpc->add(ctx, "{", &th) < 0) {
		rpc->fault(ctx, 500, "Internal error");
		return;
	}
	rpc->struct_add(th, "su", "state", pchat_pool_states[pchat_pool_state_get()],
			"sessions", pchat_session_count());
}

static const char *pchat_rpc_post_latency_doc[] = {
		"This node's post -> 200 latency since start or the last restart "
		"(from its check in the SIP reader to its answer): count, p50/p90/p99/max in "
		"ms. restart=1 starts a new count after the answer.",
		0};

static void pchat_rpc_post_latency(rpc_t *rpc, void *ctx)
{
	pchat_ack_latency_t l;
	int restart = 0;
	void *th;

	if(rpc->scan(ctx, "*d", &restart) < 0)
		restart = 0;
	pchat_writer_ack_latency(&l, restart);
	if(rpc->add(ctx, "{", &th) < 0) {
		rpc->fault(ctx, 500, "Internal error");
		return;
	}
	rpc->struct_add(th, "uffff", "count", (unsigned int)l.count, "p50_ms",
			l.p50_us / 1000.0, "p90_ms", l.p90_us / 1000.0, "p99_ms",
			l.p99_us / 1000.0, "max_ms", l.max_us / 1000.0);
}

/* The counters below are read when asked (kamcmd cnt.get_all pchat,
 * xhttp_prom): the values are the ones pchat.status shows, kept where
 * the work happens, so nothing is counted twice. The group has counters
 * of its own too: copies, copy_writes, answers_raw, forged_replies, infos_limited,
 * posts_uncached (pchat_deliver.c, pchat_uas.c), pool_* when pooled
 * (pchat_pool.c) and pchat_metrics.c's. */
enum
{
	PCHAT_C_SESSIONS = 0,
	PCHAT_C_POSTS,
	PCHAT_C_POST_BATCHES,
	PCHAT_C_POSTS_QUEUED,
	PCHAT_C_STORE_DOWN,
	PCHAT_C_STORE_QUEUED,
	PCHAT_C_COMPLIANCE_BACKLOG
};

static counter_val_t pchat_rpc_counter(counter_handle_t h, void *param)
{
	switch((long)param) {
		case PCHAT_C_SESSIONS:
			return pchat_session_count();
		case PCHAT_C_POSTS:
			return pchat_writer_stat(PCHAT_WRITER_COMMITTED);
		case PCHAT_C_POST_BATCHES:
			return pchat_writer_stat(PCHAT_WRITER_BATCHES);
		case PCHAT_C_POSTS_QUEUED:
			return pchat_writer_queued();
		case PCHAT_C_STORE_DOWN:
			return pchat_store_is_down();
		case PCHAT_C_STORE_QUEUED:
			return pchat_worker_queued();
		case PCHAT_C_COMPLIANCE_BACKLOG:
			return pchat_crun_backlog();
	}
	return 0;
}

#define PCHAT_C(id, name, doc) \
	{0, name, 0, pchat_rpc_counter, (void *)(long)(id), doc}
/* clang-format off */
static counter_def_t pchat_rpc_counter_defs[] = {
	PCHAT_C(PCHAT_C_SESSIONS, "sessions", "chat sessions on this node now (gauge)"),
	PCHAT_C(PCHAT_C_POSTS, "posts", "posts committed by this node's writer"),
	PCHAT_C(PCHAT_C_POST_BATCHES, "post_batches", "transactions of the post writer"),
	PCHAT_C(PCHAT_C_POSTS_QUEUED, "posts_queued", "posts waiting for the writer now (gauge)"),
	PCHAT_C(PCHAT_C_STORE_DOWN, "store_down", "1 while the database is unreachable (gauge)"),
	PCHAT_C(PCHAT_C_STORE_QUEUED, "store_jobs_queued", "commands waiting for a store worker now (gauge)"),
	PCHAT_C(PCHAT_C_COMPLIANCE_BACKLOG, "compliance_backlog", "compliance events not yet saved by the adapter, -1 unknown (gauge)"),
	{0, 0, 0, 0, 0, 0}
};
/* clang-format on */

int pchat_rpc_counters_init(void)
{
	if(counter_register_array(PCHAT_METRICS_GROUP, pchat_rpc_counter_defs)
			< 0) {
		LM_ERR("cannot register the pchat counters\n");
		return -1;
	}
	return 0;
}

/* clang-format off */
rpc_export_t pchat_rpc_cmds[] = {
	{"pchat.sessions", pchat_rpc_sessions, pchat_rpc_sessions_doc, RET_ARRAY},
	{"pchat.status", pchat_rpc_status, pchat_rpc_status_doc, 0},
	{"pchat.post_latency", pchat_rpc_post_latency, pchat_rpc_post_latency_doc, 0},
	{"pchat.pool", pchat_rpc_pool, pchat_rpc_pool_doc, RET_ARRAY},
	{"pchat.pool_state", pchat_rpc_pool_state, pchat_rpc_pool_state_doc, 0},
	{0, 0, 0, 0}
};
/* clang-format on */
