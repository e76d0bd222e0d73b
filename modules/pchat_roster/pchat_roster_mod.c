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
/* Module glue: parameters, RPC table and the bind_pchat_roster export. The
 * tables are built in mod_init, before the fork, so every process inherits
 * them; pchat binds the API from its own mod_init (load this module first). */
#include <errno.h>
#include <stdlib.h>

#include "core/dprint.h"
#include "core/rpc.h"
#include "core/sr_module.h"

#include "pchat_roster_api.h"
#include "pchat_roster_table.h"

MODULE_VERSION

static int pchat_roster_hash_size = 4096;

static int pchat_roster_mod_init(void);
static int bind_pchat_roster(pchat_roster_api_t *api);

static const char *pchat_roster_rpc_rooms_doc[] = {
		"Rooms with online participants: room_id, participants.", 0};
static const char *pchat_roster_rpc_room_doc[] = {
		"Online participants of a room (parameter: room id): session, user, "
		"roles.",
		0};
static const char *pchat_roster_rpc_stats_doc[] = {
		"Sessions, memberships and rooms online, and the shm size of each "
		"record.",
		0};

/* The room id is scanned as a string ('.': kamcmd sends digits as an int)
 * and parsed here, so that 64-bit ids survive every transport. */
static void pchat_roster_rpc_room_w(rpc_t *rpc, void *ctx)
{
	char *id = NULL, *end;
	unsigned long long room_id;

	if(rpc->scan(ctx, ".s", &id) < 1)
		return; /* scan has set the fault */
	if(id == NULL || id[0] < '0' || id[0] > '9') {
		rpc->fault(ctx, 400, "room id must be a number");
		return;
	}
	errno = 0;
	room_id = strtoull(id, &end, 10);
	if(*end != '\0' || errno != 0) {
		rpc->fault(ctx, 400, "room id must be a number, not '%s'", id);
		return;
	}
	pchat_roster_rpc_room(rpc, ctx, room_id);
}

/* clang-format off */
static rpc_export_t pchat_roster_rpc_cmds[] = {
	{"pchat_roster.rooms", pchat_roster_rpc_rooms,
		pchat_roster_rpc_rooms_doc, RET_ARRAY},
	{"pchat_roster.room", pchat_roster_rpc_room_w,
		pchat_roster_rpc_room_doc, RET_ARRAY},
	{"pchat_roster.stats", pchat_roster_rpc_stats,
		pchat_roster_rpc_stats_doc, 0},
	{0, 0, 0, 0}
};

static cmd_export_t pchat_roster_cmds[] = {
	/* C API only, not callable from the script */
	{"bind_pchat_roster", (cmd_function)(void *)bind_pchat_roster, 0, 0, 0, 0},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t pchat_roster_params[] = {
	{"hash_size", PARAM_INT, &pchat_roster_hash_size},
	{0, 0, 0}
};

struct module_exports exports = {
	"pchat_roster",        /* module name */
	DEFAULT_DLFLAGS,       /* dlopen flags */
	pchat_roster_cmds,     /* exported functions */
	pchat_roster_params,   /* exported parameters */
	pchat_roster_rpc_cmds, /* RPC methods */
	0,                     /* pseudo-variables */
	0,                     /* response function */
	pchat_roster_mod_init, /* module init function */
	0,                     /* per-child init function */
	0                      /* module destroy function: shm goes with the pool */
};
/* clang-format on */

static int pchat_roster_mod_init(void)
{
	return pchat_roster_table_init(pchat_roster_hash_size);
}

static int bind_pchat_roster(pchat_roster_api_t *api)
{
	if(api == NULL) {
		LM_ERR("no api structure to fill\n");
		return -1;
	}
	api->join = pchat_roster_join;
	api->part = pchat_roster_part;
	api->part_all = pchat_roster_part_all;
	api->snapshot = pchat_roster_snapshot;
	api->free_snapshot = pchat_roster_free_snapshot;
	api->snapshot_refs = pchat_roster_snapshot_refs;
	api->free_refs = pchat_roster_free_refs;
	api->count = pchat_roster_count;
	api->user_present = pchat_roster_user_present;
	api->rooms_of = pchat_roster_rooms_of;
	api->snapshot_newest = pchat_roster_snapshot_newest;
	return 0;
}
