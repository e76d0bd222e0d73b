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
/* Entry layer (RPC side): the compliance configuration, named after
 * Get/Set-CsPersistentChatComplianceConfiguration, and a run now. */

#include <stdio.h>
#include <string.h>

#include "core/dprint.h"
#include "core/rpc.h"

#include "pchat_admin.h"
#include "pchat_admin_rpc.h"
#include "pchat_compliance_run.h"
#include "pchat_config.h"
#include "pchat_rpcargs.h"

static int pchat_ccfg_reply(rpc_t *rpc, void *ctx, pchat_args_t *args)
{
	pchat_store_rc_t rc;
	pchat_ccfg_t c;
	void *th;

	rc = pchat_ccfg_read(&c);
	if(rc != PCHAT_STORE_OK)
		return pchat_admin_store_error(
				args, rc, "reading the compliance configuration");
	if(rpc->add(ctx, "{", &th) < 0)
		return pchat_args_error(args, 500, "cannot build the reply");
	rpc->struct_add(th, "dssdddds", "enabled", c.enabled, "adapter",
			c.adapter, "output_dir", c.dir, "run_interval", c.interval,
			"one_room_per_file", c.one_room, "add_room_details",
			c.room_details, "add_user_details", c.user_details, "xslt",
			c.xslt);
	return 0;
}

static const char *pchat_rpc_compliance_get_doc[] = {
		"Show the compliance configuration "
		"(Get-CsPersistentChatComplianceConfiguration).",
		0};

static void pchat_rpc_compliance_get(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;

	if(pchat_args_scan(rpc, ctx, &args) < 0 || pchat_args_done(&args) < 0
			|| pchat_ccfg_reply(rpc, ctx, &args) < 0)
		pchat_admin_fault(rpc, ctx, &args);
}

/* The settable fields: their rows, and what compliance_set accepts. */
#define PCHAT_CSET_N 8
static const char *_cset_field[PCHAT_CSET_N] = {"enabled", "adapter",
		"output_dir", "run_interval", "one_room_per_file", "add_room_details",
		"add_user_details", "xslt"};
static const char *_cset_row[PCHAT_CSET_N] = {"compliance",
		"compliance_adapter", "compliance_output_dir",
		"compliance_run_interval", "compliance_one_room_per_file",
		"compliance_add_room_details", "compliance_add_user_details",
		"compliance_xslt"};
static const char *_cset_adapters[] = {"xml", "jsonl", "", NULL};

/* An absolute path without control characters (it goes into file names
 * and the log); empty: none. */
static int pchat_cset_path(
		pchat_args_t *args, const char *field, const char *dir)
{
	const unsigned char *p;

	if(dir[0] == '\0')
		return 0;
	if(dir[0] != '/')
		return pchat_args_error(
				args, 400, "field '%s': not an absolute path", field);
	for(p = (const unsigned char *)dir; *p; p++)
		if(*p < 0x20 || *p == 0x7f)
			return pchat_args_error(
					args, 400, "field '%s': control characters", field);
	return 0;
}

/* Reads the fields given into value[] (as the rows' text); returns how
 * many, -1 on an error. */
static int pchat_cset_args(pchat_args_t *args, char value[][PCHAT_CDIR_MAX])
{
	int i, r, v, n = 0;

	for(i = 0; i < PCHAT_CSET_N; i++) {
		if(i == 1) {
			r = pchat_args_enum(args, _cset_field[i], _cset_adapters, &v);
			if(r > 0)
				snprintf(value[i], PCHAT_CDIR_MAX, "%s", _cset_adapters[v]);
		} else if(i == 2 || i == 7) {
			r = pchat_args_cstr(args, _cset_field[i], value[i], PCHAT_CDIR_MAX);
			if(r > 0 && pchat_cset_path(args, _cset_field[i], value[i]) < 0)
				return -1;
		} else if(i == 3) {
			r = pchat_args_int(args, _cset_field[i], 60, 2592000, &v);
			if(r > 0)
				snprintf(value[i], PCHAT_CDIR_MAX, "%d", v);
		} else {
			r = pchat_args_bool(args, _cset_field[i], &v);
			if(r > 0)
				snprintf(value[i], PCHAT_CDIR_MAX, "%d", v ? 1 : 0);
		}
		if(r < 0)
			return -1;
		if(r == 0)
			value[i][0] = '\x01'; /* not given */
		n += r;
	}
	return n;
}

static int pchat_cset_write(pchat_args_t *args, char value[][PCHAT_CDIR_MAX])
{
	pchat_store_rc_t rc;
	int i;

	for(i = 0; i < PCHAT_CSET_N; i++) {
		if(value[i][0] == '\x01')
			continue;
		rc = pchat_db_exec("INSERT INTO pchat_config (name, value) VALUES "
						   "(?, ?) ON DUPLICATE KEY UPDATE value = "
						   "VALUES(value)",
				NULL, _cset_row[i], value[i]);
		if(rc != PCHAT_STORE_OK)
			return pchat_admin_store_error(
					args, rc, "changing the compliance configuration");
	}
	return 0;
}

static const char *pchat_rpc_compliance_set_doc[] = {
		"Change the compliance configuration "
		"(Set-CsPersistentChatComplianceConfiguration): enabled (true/false: "
		"capture events), adapter (xml, jsonl or empty: nothing written), "
		"output_dir (absolute path), run_interval (60-2592000 s), "
		"one_room_per_file, add_room_details, add_user_details (true/false), "
		"xslt (absolute path of a stylesheet applied to each xml file, empty: "
		"none). All or nothing.",
		0};

static void pchat_rpc_compliance_set(rpc_t *rpc, void *ctx)
{
	char value[PCHAT_CSET_N][PCHAT_CDIR_MAX];
	pchat_args_t args;
	int n;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| (n = pchat_cset_args(&args, value)) < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	if(n == 0) {
		pchat_args_error(&args, 400,
				"nothing to change: give one or more of enabled, adapter, "
				"output_dir, run_interval, one_room_per_file, "
				"add_room_details, add_user_details, xslt");
		goto fault;
	}
	if(pchat_admin_begin(&args) < 0
			|| pchat_admin_end(&args, pchat_cset_write(&args, value)) < 0)
		goto fault;
	pchat_store_config_changed();
	if(pchat_ccfg_reply(rpc, ctx, &args) < 0)
		goto fault;
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

static const char *pchat_rpc_compliance_run_doc[] = {
		"Run the compliance adapter now on this node (it takes the lease if "
		"free) and wait for it up to wait= seconds (0-600, default 8): "
		"events and files written, or the error; state=running when it goes "
		"on past the wait.",
		0};

static void pchat_rpc_compliance_run(rpc_t *rpc, void *ctx)
{
	pchat_crun_result_t r;
	pchat_args_t args;
	int rc, wait = 8;
	void *th;

	/* 8 s: under pchatctl's default timeout (10 s) */
	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_args_int(&args, "wait", 0, 600, &wait) < 0
			|| pchat_args_done(&args) < 0) {
		pchat_admin_fault(rpc, ctx, &args);
		return;
	}
	rc = pchat_crun_now(wait * 1000, &r);
	if(rc < 0) {
		rpc->fault(ctx, 503, "the compliance process is not running");
		return;
	}
	if(rc == 0) {
		if(rpc->add(ctx, "{", &th) == 0)
			rpc->struct_add(th, "ss", "state", "running", "node",
					pchat_crun_node());
		return;
	}
	if(!r.ok) {
		rpc->fault(ctx, 500, "%s", r.error);
		return;
	}
	if(rpc->add(ctx, "{", &th) < 0) {
		rpc->fault(ctx, 500, "Internal error");
		return;
	}
	rpc->struct_add(th, "sdds", "state", "done", "events", (int)r.events,
			"files", r.files, "node", pchat_crun_node());
}

/* clang-format off */
rpc_export_t pchat_admin_compliance_rpc[] = {
	{"pchat.compliance_get", pchat_rpc_compliance_get, pchat_rpc_compliance_get_doc, 0},
	{"pchat.compliance_set", pchat_rpc_compliance_set, pchat_rpc_compliance_set_doc, 0},
	{"pchat.compliance_run", pchat_rpc_compliance_run, pchat_rpc_compliance_run_doc, 0},
	{0, 0, 0, 0}
};
/* clang-format on */
