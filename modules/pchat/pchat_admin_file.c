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
/* Admin RPCs for posted files (issue 16): pchat.file_list and
 * pchat.file_remove (its row, tokens and bytes; the post stays). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pchat_admin.h"
#include "pchat_admin_rpc.h"
#include "pchat_file.h"

#define PCHAT_ROOM_NAME_MAX 1028

static const char *_pchat_file_select =
		"SELECT f.id, f.stored_name, f.original_name, f.uploader, f.size, "
		"f.sha256, f.created_ms, f.complete, r.guid, r.name FROM pchat_file "
		"f LEFT JOIN pchat_node r ON r.id = f.room_id WHERE (? IS NULL OR "
		"r.name = ?) ORDER BY f.id LIMIT ?";

static int pchat_file_add_row(rpc_t *rpc, void *ctx, char **row)
{
	void *th;

	if(rpc->add(ctx, "{", &th) < 0)
		return -1;
	return rpc->struct_add(th, "ssssssssss", "id", row[0], "name", row[1],
			"original_name", row[2], "uploader", row[3], "size", row[4],
			"sha256", row[5] ? row[5] : "", "created_ms", row[6], "complete",
			pchat_admin_is_true(row[7]) ? "true" : "false", "room_guid",
			row[8] ? row[8] : "", "room", row[9] ? row[9] : "");
}

static const char *pchat_rpc_file_list_doc[] = {
		"List posted files, oldest first: room= (a room's name; default "
		"all), result_size= (default 1000). Uploads under way show "
		"complete false.",
		0};

static void pchat_rpc_file_list(rpc_t *rpc, void *ctx)
{
	char room[PCHAT_ROOM_NAME_MAX] = "";
	pchat_args_t args;
	int limit = 1000, r;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| (r = pchat_args_cstr(&args, "room", room, sizeof(room))) < 0
			|| pchat_args_int(&args, "result_size", 1, 1000000, &limit) < 0
			|| pchat_args_done(&args) < 0
			|| pchat_admin_reply_rows(rpc, ctx, &args, _pchat_file_select,
					   room[0] ? room : NULL, limit, pchat_file_add_row,
					   "reading the files")
					   < 0)
		pchat_admin_fault(rpc, ctx, &args);
}

static const char *pchat_rpc_file_remove_doc[] = {
		"Remove a posted file by its stored name (name=): its row, its "
		"tokens and its bytes. The post that announced it stays; a download "
		"then answers 404.",
		0};

static void pchat_rpc_file_remove(rpc_t *rpc, void *ctx)
{
	char name[PCHAT_FILE_STORED_MAX + 1] = "";
	pchat_args_t args;
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	long long id = 0;
	int found = 0;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_args_cstr(&args, "name", name, sizeof(name)) < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	if(name[0] == '\0') {
		pchat_args_error(&args, 400, "field 'name': the file's stored name");
		goto fault;
	}
	rc = pchat_db_exec(
			"SELECT id FROM pchat_file WHERE stored_name = ?", &res, name);
	if(rc != PCHAT_STORE_OK) {
		pchat_admin_store_error(&args, rc, "reading the file");
		goto fault;
	}
	if(res.nrows > 0)
		id = strtoll(res.rows[0][0], NULL, 10);
	pchat_db_res_free(&res);
	rc = id ? pchat_file_remove(id, &found) : PCHAT_STORE_OK;
	if(rc != PCHAT_STORE_OK) {
		pchat_admin_store_error(&args, rc, "removing the file");
		goto fault;
	}
	if(!found) {
		pchat_args_error(&args, 404, "field 'name': no file named '%s'", name);
		goto fault;
	}
	pchat_admin_reply_removed(rpc, ctx, name);
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

/* clang-format off */
rpc_export_t pchat_admin_file_rpc[] = {
	{"pchat.file_list", pchat_rpc_file_list, pchat_rpc_file_list_doc, RET_ARRAY},
	{"pchat.file_remove", pchat_rpc_file_remove, pchat_rpc_file_remove_doc, 0},
	{0, 0, 0, 0}
};
/* clang-format on */
