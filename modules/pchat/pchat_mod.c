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
/* Module glue: cfg functions, every module parameter and shared global,
 * mod_init/child_init. The top: may include any layer, holds no logic. */
#include "core/dprint.h"
#include "core/kemi.h"
#include "core/mod_fix.h"
#include "core/sr_module.h"
#include "core/timer.h"
#include "core/timer_proc.h"

#include "core/rpc_lookup.h"
#include "core/script_cb.h"

#include "pchat_access.h"
#include "pchat_admin_rpc.h"
#include "pchat_cmd.h"
#include "pchat_deliver.h"
#include "pchat_fanout.h"
#include "pchat_mod.h"
#include "pchat_provision.h"
#include "pchat_rpc.h"
#include "pchat_metrics.h"
#include "pchat_session.h"
#include "pchat_compliance.h"
#include "pchat_config.h"
#include "pchat_db.h"
#include "pchat_file.h"
#include "pchat_file_http.h"
#include "pchat_manage_http.h"
#include "pchat_schema.h"
#include "pchat_uas.h"
#include "pchat_uri.h"
#include "pchat_bell.h"
#include "pchat_pool.h"
#include "pchat_pool_beat.h"
#include "pchat_retention.h"
#include "pchat_worker.h"
#include "pchat_writer.h"
#include "pchat_compliance_run.h"
#include "pchat_alert.h"
#include "pchat_search_index.h"

MODULE_VERSION

struct tm_binds _pchat_tmb;
sl_api_t _pchat_slb;
int _pchat_have_sl = 0;
pchat_roster_api_t _pchat_roster;

int pchat_session_expires = 1800;
int pchat_min_se = 90;
int pchat_max_body = 24576;
int pchat_max_reply = 24576;
int pchat_max_preferences = 64;
int pchat_max_preference_size = 16384;
int pchat_follow_max = 500;
int pchat_follow_bjoin = 1;
int pchat_retry_after = 5;
int pchat_shm_reserve_kb = 16384;
/* alerts (issue 18 point 3) */
int pchat_alert_max = 50;
static int pchat_alert_queue_size = 10000;
static char *pchat_alert_message_proxy = "";
static char *pchat_alert_from = "";
/* db_url may be given several times: the databases to fail over to */
static str pchat_db_urls[PCHAT_DB_MAX_URLS] = {
		str_init("mysql://pchat:pchat@127.0.0.1:3306/pchat")};
static int pchat_db_nurls = 0; /* given in the cfg; the default if none */
static int pchat_hash_size = 65536;
int pchat_use_asserted_identity = 0;
str pchat_provision_pool_uri = STR_NULL;
str pchat_room_management_url = STR_NULL;
int pchat_delivery_timeout = 10;
int pchat_info_transactions = 0;
int pchat_max_pending = 1000;
/* a fan-out's copies for one TCP connection leave in writes of at most
 * this many bytes (0: one write per copy) */
int pchat_coalesce_bytes = 65536;
int pchat_max_sessions = 200000;
int pchat_max_sessions_per_user = 16;
int pchat_max_sessions_per_conn = 64;
/* posts waiting for, or in, a commit of the writer; one transaction
 * takes at most post_batch_size of them */
int pchat_post_queue_size = 20000;
int pchat_post_batch_size = 500;
/* a stuck query holds one of them; sessions served one command at a time */
int pchat_store_workers = 4;
int pchat_store_queue_size = 2000;
/* far above a client's sign-in (getserverinfo, bjoin of every room,
 * a history request per room) and its typing; a flood is bounded */
int pchat_max_infos_per_second = 20;
int pchat_max_infos_burst = 100;
/* the pool of chat nodes over dmq (0: this node is alone); rooms in its
 * table (this node's and the others') and copies from other nodes waiting
 * for a SIP reader */
static int pchat_pool_dmq = 0;
static int pchat_pool_max_rooms = 65536;
static int pchat_pool_inbox_size = 10000;
/* a heartbeat to the other nodes every pool_heartbeat_ms; a node silent
 * for pool_dead_ms is down (dmq's own ping is a minute apart) */
static int pchat_pool_heartbeat_ms = 1000;
static int pchat_pool_dead_ms = 3000;
/* a node down for pool_forget_ms loses its slot (31 remote nodes at most
 * are known at once; a node back on another address takes a new one) */
static int pchat_pool_forget_ms = 600000;
/* names of other nodes' participants (small rooms) held at most */
static int pchat_pool_roster_max = 100000;
/* the retention job (a process of its own): a run every
 * retention_interval seconds (0: only pchat.retention_run), at most
 * retention_batch_size rows removed per statement */
static int pchat_retention_interval = 3600;
static int pchat_retention_batch_size = 500;
/* the compliance adapter run: events per file, the lease's length (s),
 * ms per second of RunInterval (tests shorten it) and a test hook (1: the
 * process exits after writing a file, before recording it) */
static int pchat_compliance_run = 1; /* 0: a front-end runs no adapter */
static int pchat_compliance_batch_size = 10000;
static int pchat_compliance_lease = 60;
static int pchat_compliance_interval_unit_ms = 1000;
static int pchat_compliance_test_crash = 0;
/* the history search's text index (issue 18): "auto" uses the Mroonga
 * side table when it is there, "off" searches with LIKE only; the indexer
 * writes at most search_index_batch posts a round, pauses
 * search_index_interval_ms when it has caught up and indexes posts once
 * they are search_index_settle_ms old (by the database's clock) */
static char *pchat_p_search_index = "auto";
static int pchat_p_search_index_batch = 1000;
static int pchat_p_search_index_interval_ms = 500;
static int pchat_p_search_index_settle_ms = 5000;
/* the newest posts' index (pchat_search_fts_recent) keeps about this many */
static int pchat_p_search_recent_posts = 1000000;
/* files (issue 16): off while file_dir or file_service_uri is empty */
static char *pchat_p_file_dir = "";
static char *pchat_p_file_service_uri = "";
/* the room-management page (issue 17): off while manage_dir is empty */
static char *pchat_p_manage_dir = "";
/* the browser chat client's files (web/chat, issue 17): off while empty */
static char *pchat_p_chat_dir = "";
static int pchat_p_file_token_expires = 1800;
static int pchat_p_file_chunk_max = 24576;

static int pchat_param_lookup_uri(modparam_t type, void *val)
{
	return pchat_uri_add(PCHAT_URI_LOOKUP, (char *)val);
}

static int pchat_param_service_uri(modparam_t type, void *val)
{
	return pchat_uri_add(PCHAT_URI_SERVICE, (char *)val);
}

static int pchat_param_db_url(modparam_t type, void *val)
{
	if(pchat_db_nurls == PCHAT_DB_MAX_URLS) {
		LM_ERR("more than %d db_url\n", PCHAT_DB_MAX_URLS);
		return -1;
	}
	pchat_db_urls[pchat_db_nurls].s = (char *)val;
	pchat_db_urls[pchat_db_nurls].len = strlen((char *)val);
	pchat_db_nurls++;
	return 0;
}

static int pchat_mod_init(void);
static int pchat_child_init(int rank);
static int pchat_search_index_init(void);
static void pchat_mod_destroy(void);
static int w_pchat_handle(struct sip_msg *msg, char *p1, char *p2);
static int w_pchat_connection_closed(struct sip_msg *msg, char *p1, char *p2);
static int w_pchat_provision(struct sip_msg *msg, char *p1, char *p2);
static int w_pchat_file_http(struct sip_msg *msg, char *p1, char *p2);
static int w_pchat_manage_http(struct sip_msg *msg, char *user, char *p2);
static int w_pchat_chat_http(struct sip_msg *msg, char *p1, char *p2);
static int w_pchat_alert_kept_below(struct sip_msg *msg, char *max, char *p2);
static int w_pchat_take_answer(struct sip_msg *msg, char *p1, char *p2);

/* clang-format off */
static cmd_export_t pchat_cmds[] = {
	{"pchat_handle", (cmd_function)w_pchat_handle, 0, 0, 0, REQUEST_ROUTE},
	{"pchat_connection_closed", (cmd_function)w_pchat_connection_closed, 0,
		0, 0, ANY_ROUTE},
	{"pchat_file_http", (cmd_function)w_pchat_file_http, 0, 0, 0, ANY_ROUTE},
	{"pchat_manage_http", (cmd_function)w_pchat_manage_http, 1,
		fixup_spve_null, fixup_free_spve_null, ANY_ROUTE},
	{"pchat_chat_http", (cmd_function)w_pchat_chat_http, 0, 0, 0, ANY_ROUTE},
	{"pchat_provision", (cmd_function)w_pchat_provision, 0, 0, 0,
		REQUEST_ROUTE},
	{"pchat_alert_kept_below", (cmd_function)w_pchat_alert_kept_below, 1,
		fixup_igp_null, fixup_free_igp_null, REQUEST_ROUTE | FAILURE_ROUTE},
	{"pchat_take_answer", (cmd_function)w_pchat_take_answer, 0, 0, 0,
		ANY_ROUTE},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t pchat_params[] = {
	{"lookup_uri", PARAM_STRING | PARAM_USE_FUNC,
		(void *)pchat_param_lookup_uri},
	{"service_uri", PARAM_STRING | PARAM_USE_FUNC,
		(void *)pchat_param_service_uri},
	{"db_url", PARAM_STRING | PARAM_USE_FUNC, (void *)pchat_param_db_url},
	{"session_expires", PARAM_INT, &pchat_session_expires},
	{"min_se", PARAM_INT, &pchat_min_se},
	{"max_body_size", PARAM_INT, &pchat_max_body},
	{"max_reply_size", PARAM_INT, &pchat_max_reply},
	{"max_preferences", PARAM_INT, &pchat_max_preferences},
	{"max_preference_size", PARAM_INT, &pchat_max_preference_size},
	{"follow_max", PARAM_INT, &pchat_follow_max},
	{"follow_bjoin", PARAM_INT, &pchat_follow_bjoin},
	{"retry_after", PARAM_INT, &pchat_retry_after},
	{"shm_reserve_kb", PARAM_INT, &pchat_shm_reserve_kb},
	{"hash_size", PARAM_INT, &pchat_hash_size},
	{"use_asserted_identity", PARAM_INT, &pchat_use_asserted_identity},
	{"provision_pool_uri", PARAM_STR, &pchat_provision_pool_uri},
	{"room_management_url", PARAM_STR, &pchat_room_management_url},
	{"delivery_timeout", PARAM_INT, &pchat_delivery_timeout},
	{"info_transactions", PARAM_INT, &pchat_info_transactions},
	{"max_pending_deliveries", PARAM_INT, &pchat_max_pending},
	{"coalesce_bytes", PARAM_INT, &pchat_coalesce_bytes},
	{"max_sessions", PARAM_INT, &pchat_max_sessions},
	{"max_sessions_per_user", PARAM_INT, &pchat_max_sessions_per_user},
	{"max_sessions_per_connection", PARAM_INT, &pchat_max_sessions_per_conn},
	{"post_queue_size", PARAM_INT, &pchat_post_queue_size},
	{"post_batch_size", PARAM_INT, &pchat_post_batch_size},
	{"store_workers", PARAM_INT, &pchat_store_workers},
	{"store_queue_size", PARAM_INT, &pchat_store_queue_size},
	{"max_infos_per_second", PARAM_INT, &pchat_max_infos_per_second},
	{"max_infos_burst", PARAM_INT, &pchat_max_infos_burst},
	{"pool_dmq", PARAM_INT, &pchat_pool_dmq},
	{"pool_max_rooms", PARAM_INT, &pchat_pool_max_rooms},
	{"pool_inbox_size", PARAM_INT, &pchat_pool_inbox_size},
	{"pool_heartbeat_ms", PARAM_INT, &pchat_pool_heartbeat_ms},
	{"pool_dead_ms", PARAM_INT, &pchat_pool_dead_ms},
	{"pool_forget_ms", PARAM_INT, &pchat_pool_forget_ms},
	{"pool_roster_max", PARAM_INT, &pchat_pool_roster_max},
	{"retention_interval", PARAM_INT, &pchat_retention_interval},
	{"retention_batch_size", PARAM_INT, &pchat_retention_batch_size},
	{"compliance_run", PARAM_INT, &pchat_compliance_run},
	{"compliance_batch_size", PARAM_INT, &pchat_compliance_batch_size},
	{"compliance_lease", PARAM_INT, &pchat_compliance_lease},
	{"compliance_interval_unit_ms", PARAM_INT,
			&pchat_compliance_interval_unit_ms},
	{"compliance_test_crash", PARAM_INT, &pchat_compliance_test_crash},
	{"file_dir", PARAM_STRING, &pchat_p_file_dir},
	{"file_service_uri", PARAM_STRING, &pchat_p_file_service_uri},
	{"manage_dir", PARAM_STRING, &pchat_p_manage_dir},
	{"chat_dir", PARAM_STRING, &pchat_p_chat_dir},
	{"file_token_expires", PARAM_INT, &pchat_p_file_token_expires},
	{"file_chunk_max", PARAM_INT, &pchat_p_file_chunk_max},
	{"alert_max", PARAM_INT, &pchat_alert_max},
	{"alert_queue_size", PARAM_INT, &pchat_alert_queue_size},
	{"alert_message_proxy", PARAM_STRING, &pchat_alert_message_proxy},
	{"alert_from", PARAM_STRING, &pchat_alert_from},
	{"search_index", PARAM_STRING, &pchat_p_search_index},
	{"search_index_batch", PARAM_INT, &pchat_p_search_index_batch},
	{"search_index_interval_ms", PARAM_INT,
			&pchat_p_search_index_interval_ms},
	{"search_index_settle_ms", PARAM_INT, &pchat_p_search_index_settle_ms},
	{"search_recent_posts", PARAM_INT, &pchat_p_search_recent_posts},
	{0, 0, 0}
};

struct module_exports exports = {
	"pchat",
	DEFAULT_DLFLAGS,
	pchat_cmds,
	pchat_params,
	pchat_rpc_cmds,
	0,               /* pseudo-variables */
	pchat_deliver_response, /* answers to our tm-less INFOs */
	pchat_mod_init,
	pchat_child_init,
	pchat_mod_destroy
};
/* clang-format on */

static int pchat_mod_init(void)
{
	if(load_tm_api(&_pchat_tmb) < 0) {
		LM_ERR("pchat needs the tm module: load tm.so before pchat.so\n");
		return -1;
	}
	if(pchat_roster_load_api(&_pchat_roster) < 0)
		return -1;
	/* without sl a request tm cannot keep gets no answer: warn */
	_pchat_have_sl = find_export("bind_sl", 0, 0) != NULL
					 && sl_load_api(&_pchat_slb) == 0;
	if(!_pchat_have_sl)
		LM_WARN("sl.so is not loaded: when shared memory runs out, "
				"requests cannot be refused with 503\n");
	if(pchat_shm_reserve_kb < 0) {
		LM_ERR("shm_reserve_kb must be >= 0\n");
		return -1;
	}
	if(pchat_uri_init() < 0)
		return -1;
	if(pchat_min_se < 1 || pchat_session_expires < pchat_min_se) {
		LM_ERR("session_expires (%d) must be >= min_se (%d) >= 1\n",
				pchat_session_expires, pchat_min_se);
		return -1;
	}
	if(pchat_max_body < 256) {
		LM_ERR("max_body_size %d is too small (>= 256)\n", pchat_max_body);
		return -1;
	}
	if(pchat_max_reply < 4096) {
		LM_ERR("max_reply_size %d is too small (>= 4096)\n", pchat_max_reply);
		return -1;
	}
	if(pchat_max_preferences < 1 || pchat_max_preference_size < 1) {
		LM_ERR("max_preferences and max_preference_size must be >= 1\n");
		return -1;
	}
	if(pchat_follow_max < 1) {
		LM_ERR("follow_max must be >= 1\n");
		return -1;
	}
	if(pchat_retry_after < 1)
		pchat_retry_after = 1;
	if(pchat_delivery_timeout < 1 || pchat_max_pending < 1) {
		LM_ERR("delivery_timeout and max_pending_deliveries must be >= 1\n");
		return -1;
	}
	if(pchat_coalesce_bytes < 0 || pchat_coalesce_bytes > 1048576) {
		LM_ERR("coalesce_bytes must be 0-1048576 (0: one write per copy)\n");
		return -1;
	}
	if(pchat_max_sessions < 0 || pchat_max_sessions_per_user < 0
			|| pchat_max_sessions_per_conn < 0) {
		LM_ERR("max_sessions* must be >= 0 (0: no bound)\n");
		return -1;
	}
	if(pchat_max_infos_per_second < 0 || pchat_max_infos_per_second > 100000
			|| pchat_max_infos_burst < 1 || pchat_max_infos_burst > 1000000) {
		LM_ERR("max_infos_per_second must be 0-100000 (0: no bound) and "
			   "max_infos_burst 1-1000000\n");
		return -1;
	}
	if(pchat_post_queue_size < 1 || pchat_post_batch_size < 1) {
		LM_ERR("post_queue_size and post_batch_size must be >= 1\n");
		return -1;
	}
	if(pchat_store_workers < 0 || pchat_store_workers > 64
			|| pchat_store_queue_size < 1) {
		LM_ERR("store_workers must be 0-64 (0: the SIP readers query the "
			   "store) and store_queue_size >= 1\n");
		return -1;
	}
	if(pchat_pool_max_rooms < 1 || pchat_pool_inbox_size < 1
			|| pchat_pool_roster_max < 0) {
		LM_ERR("pool_max_rooms and pool_inbox_size must be >= 1, "
			   "pool_roster_max >= 0\n");
		return -1;
	}
	/* one lost or late heartbeat must not make a node look dead */
	if(pchat_pool_heartbeat_ms < 100
			|| pchat_pool_dead_ms < 2 * pchat_pool_heartbeat_ms) {
		LM_ERR("pool_heartbeat_ms must be >= 100 and pool_dead_ms >= twice "
			   "it\n");
		return -1;
	}
	if(pchat_pool_forget_ms < pchat_pool_dead_ms) {
		LM_ERR("pool_forget_ms must be >= pool_dead_ms\n");
		return -1;
	}
	if(pchat_retention_interval < 0 || pchat_retention_interval > 2592000
			|| pchat_retention_batch_size < 1
			|| pchat_retention_batch_size > 100000) {
		LM_ERR("retention_interval must be 0-2592000 (0: only when asked) "
			   "and retention_batch_size 1-100000\n");
		return -1;
	}
	if(pchat_p_file_token_expires < 1 || pchat_p_file_token_expires > 86400
			|| pchat_p_file_chunk_max < 1024
			|| pchat_p_file_chunk_max > 16 * 1024 * 1024) {
		LM_ERR("file_token_expires must be 1-86400 (s) and file_chunk_max "
			   "1024-16777216 (bytes, below tcp_rd_buf_size)\n");
		return -1;
	}
	if(pchat_file_mod_init(pchat_p_file_dir, pchat_p_file_service_uri,
			   pchat_p_file_chunk_max, pchat_p_file_token_expires)
					< 0
			|| pchat_file_http_init() < 0
			|| pchat_manage_http_init(pchat_p_manage_dir, pchat_p_chat_dir) < 0)
		return -1;
	if(pchat_search_index_init() < 0)
		return -1;
	if(pchat_retention_mod_init(
			   pchat_retention_interval, pchat_retention_batch_size)
			< 0)
		return -1;
	if(pchat_compliance_batch_size < 1
			|| pchat_compliance_batch_size > 100000
			|| pchat_compliance_lease < 3 || pchat_compliance_lease > 86400
			|| pchat_compliance_interval_unit_ms < 1
			|| pchat_compliance_interval_unit_ms > 1000) {
		LM_ERR("compliance_batch_size must be 1-100000, compliance_lease "
			   "3-86400 and compliance_interval_unit_ms 1-1000\n");
		return -1;
	}
	if(pchat_compliance_run
			&& pchat_crun_mod_init(pchat_compliance_batch_size,
			   pchat_compliance_lease, pchat_compliance_interval_unit_ms,
			   pchat_compliance_test_crash)
			< 0)
		return -1;
	if(pchat_pool_beat_mod_init(pchat_pool_heartbeat_ms, pchat_pool_dead_ms,
			   pchat_pool_forget_ms)
			< 0)
		return -1;
	/* bells: the writer's, the store workers', the pool's two (dmq's
	 * worker, the core timer) */
	if(pchat_bell_mod_init(PCHAT_BELL_WRITER + 1 + pchat_store_workers
			   + (pchat_pool_dmq ? 2 : 0))
					< 0
			|| (pchat_pool_dmq
					&& pchat_pool_mod_init(pchat_pool_max_rooms,
							   pchat_pool_inbox_size,
							   PCHAT_BELL_WRITER + 1 + pchat_store_workers,
							   pchat_pool_roster_max)
							   < 0)
			|| pchat_deliver_init() < 0 || pchat_uas_init() < 0
			|| pchat_writer_mod_init(
					   pchat_post_queue_size, pchat_post_batch_size)
					   < 0)
		return -1;
	if(register_script_cb(pchat_uas_bell, PRE_SCRIPT_CB | REQUEST_CB, 0) < 0) {
		LM_ERR("cannot register the doorbells' callback\n");
		return -1;
	}
	if(pchat_session_init(pchat_hash_size) < 0 || pchat_cmd_init() < 0
			|| pchat_db_mod_init(pchat_db_urls,
					   pchat_db_nurls ? pchat_db_nurls : 1)
					   < 0
			|| pchat_config_mod_init() < 0
			|| pchat_compliance_mod_init() < 0
			|| pchat_access_mod_init() < 0
			|| pchat_schema_check() < 0)
		return -1;
	if(pchat_metrics_init() < 0 || pchat_rpc_counters_init() < 0)
		return -1;
	if(pchat_alert_max < 0 || pchat_alert_max > 10000
			|| pchat_alert_queue_size < 1) {
		LM_ERR("alert_max must be 0-10000 and alert_queue_size >= 1\n");
		return -1;
	}
	if(pchat_alert_mod_init(pchat_alert_queue_size,
			   pchat_alert_message_proxy, pchat_alert_from)
			< 0)
		return -1;
	if(rpc_register_array(pchat_admin_category_rpc) != 0
			|| rpc_register_array(pchat_admin_room_rpc) != 0
			|| rpc_register_array(pchat_admin_directory_rpc) != 0
			|| rpc_register_array(pchat_admin_policy_rpc) != 0
			|| rpc_register_array(pchat_admin_group_rpc) != 0
			|| rpc_register_array(pchat_admin_hold_rpc) != 0
			|| rpc_register_array(pchat_admin_file_rpc) != 0
			|| rpc_register_array(pchat_admin_compliance_rpc) != 0
			|| rpc_register_array(pchat_admin_search_rpc) != 0
			|| rpc_register_array(pchat_admin_follow_rpc) != 0
			|| rpc_register_array(pchat_admin_alert_rpc) != 0) {
		LM_ERR("cannot register the admin RPCs\n");
		return -1;
	}
	/* session ends query the store and send notices: a process of their
	 * own, not the core timer that also drives tm's retransmissions */
	if(register_basic_timers(1) < 0) {
		LM_ERR("cannot register the session expiry process\n");
		return -1;
	}
	return 0;
}

static int pchat_search_index_init(void)
{
	int on = strcmp(pchat_p_search_index, "auto") == 0;

	if((!on && strcmp(pchat_p_search_index, "off") != 0)
			|| pchat_p_search_index_batch < 1
			|| pchat_p_search_index_batch > 100000
			|| pchat_p_search_index_interval_ms < 10
			|| pchat_p_search_index_interval_ms > 60000
			|| pchat_p_search_index_settle_ms < 0
			|| pchat_p_search_index_settle_ms > 600000
			|| pchat_p_search_recent_posts < 0
			|| pchat_p_search_recent_posts > 1000000000) {
		LM_ERR("search_index must be auto or off, search_index_batch "
			   "1-100000, search_index_interval_ms 10-60000, "
			   "search_index_settle_ms 0-600000 and search_recent_posts "
			   "0-1000000000\n");
		return -1;
	}
	return pchat_sidx_mod_init(on, pchat_p_search_index_batch,
			pchat_p_search_index_interval_ms, pchat_p_search_index_settle_ms,
			pchat_p_search_recent_posts);
}

static int pchat_child_init(int rank)
{
	if(rank == PROC_MAIN) {
		/* make_sock: it sends BYEs and notices over TCP */
		if(fork_basic_timer(PROC_TIMER, "PCHAT SESSION TIMER", 1,
				   pchat_uas_expire_timer, NULL, 1)
				< 0) {
			LM_ERR("cannot start the session expiry process\n");
			return -1;
		}
		if(pchat_writer_start() < 0 || pchat_retention_start() < 0
				|| (pchat_compliance_run && pchat_crun_start() < 0)
				|| pchat_alert_start() < 0 || pchat_sidx_start() < 0)
			return -1;
		return pchat_store_workers > 0 ? pchat_worker_start() : 0;
	}
	if(rank == PROC_INIT || rank == PROC_TCP_MAIN)
		return 0;
	pchat_pool_child_init(rank);
	return pchat_db_child_init();
}

static void pchat_mod_destroy(void)
{
	pchat_session_destroy();
}

static int ki_pchat_handle(struct sip_msg *msg)
{
	return pchat_uas_handle(msg);
}

static int w_pchat_handle(struct sip_msg *msg, char *p1, char *p2)
{
	return ki_pchat_handle(msg);
}

/* For event_route[tcp:closed] (tcpops): the client's connection is gone,
 * so are its sessions. */
static int ki_pchat_connection_closed(struct sip_msg *msg)
{
	return pchat_session_end_source(&msg->rcv) > 0 ? 1 : -1;
}

static int w_pchat_connection_closed(struct sip_msg *msg, char *p1, char *p2)
{
	return ki_pchat_connection_closed(msg);
}

/* For event_route[xhttp:request] on the file service's listen. */
static int ki_pchat_file_http(struct sip_msg *msg)
{
	return pchat_file_http(msg);
}

static int w_pchat_file_http(struct sip_msg *msg, char *p1, char *p2)
{
	return ki_pchat_file_http(msg);
}

/* For event_route[xhttp:request]: the room-management page under
 * /manage, for the user the script signed in ("" in open mode). */
static int ki_pchat_manage_http(struct sip_msg *msg, str *user)
{
	return pchat_manage_http(msg, user);
}

static int w_pchat_manage_http(struct sip_msg *msg, char *user, char *p2)
{
	str u = STR_NULL;

	if(fixup_get_svalue(msg, (gparam_t *)user, &u) < 0)
		return -1;
	return ki_pchat_manage_http(msg, &u);
}

/* For event_route[xhttp:request]: the browser chat client's files under
 * /chat (chat_dir). */
static int ki_pchat_chat_http(struct sip_msg *msg)
{
	return pchat_chat_http(msg);
}

static int w_pchat_chat_http(struct sip_msg *msg, char *p1, char *p2)
{
	return ki_pchat_chat_http(msg);
}

/* clang-format off */
static int ki_pchat_provision(struct sip_msg *msg)
{
	return pchat_provision(msg);
}

static int w_pchat_provision(struct sip_msg *msg, char *p1, char *p2)
{
	return ki_pchat_provision(msg);
}

static int w_pchat_alert_kept_below(struct sip_msg *msg, char *max, char *p2)
{
	int n;

	if(fixup_get_ivalue(msg, (gparam_t *)max, &n) < 0)
		return -1;
	return pchat_alert_kept_below(msg, n);
}

/* In event_route[core:msg-received] (received_route_mode=1): takes an
 * answer to one of our tm-less INFOs from the raw bytes, and pchat's own
 * doorbells by their source, before the core parses them; the route then
 * drops them. */
static int ki_pchat_take_answer(struct sip_msg *msg)
{
	sr_net_info_t *ni = ksr_evrt_rcvnetinfo_get();

	if(ni == NULL || ni->rcv == NULL || ni->data.s == NULL)
		return -1;
	if(pchat_uas_bell_rcv(ni->rcv))
		return 1;
	return pchat_deliver_take_raw(ni->data.s, ni->data.len, ni->rcv) ? 1 : -1;
}

static int w_pchat_take_answer(struct sip_msg *msg, char *p1, char *p2)
{
	return ki_pchat_take_answer(msg);
}

static sr_kemi_t pchat_kemi_exports[] = {
	{ str_init("pchat"), str_init("pchat_handle"),
		SR_KEMIP_INT, ki_pchat_handle,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("pchat"), str_init("pchat_provision"),
		SR_KEMIP_INT, ki_pchat_provision,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("pchat"), str_init("pchat_file_http"),
		SR_KEMIP_INT, ki_pchat_file_http,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("pchat"), str_init("pchat_manage_http"),
		SR_KEMIP_INT, ki_pchat_manage_http,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("pchat"), str_init("pchat_chat_http"),
		SR_KEMIP_INT, ki_pchat_chat_http,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("pchat"), str_init("pchat_take_answer"),
		SR_KEMIP_INT, ki_pchat_take_answer,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("pchat"), str_init("pchat_connection_closed"),
		SR_KEMIP_INT, ki_pchat_connection_closed,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ {0, 0}, {0, 0}, 0, NULL, { 0, 0, 0, 0, 0, 0 } }
};
/* clang-format on */

int mod_register(char *path, int *dlflags, void *p1, void *p2)
{
	sr_kemi_modules_add(pchat_kemi_exports);
	return 0;
}
