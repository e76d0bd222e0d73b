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
/* Admin RPCs for everything around the rooms: add-ins (Lync New-/Get-/
 * Set-/Remove-CsPersistentChatAddin) and the service configuration
 * (Get-/Set-CsPersistentChatConfiguration). Policy and eligible principals
 * are in pchat_admin_policy.c, user groups in pchat_admin_group.c. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pchat_access.h"
#include "pchat_admin.h"
#include "pchat_admin_rpc.h"
#include "pchat_config.h"

#define PCHAT_ADDIN_NAME_MAX 257 /* 256 characters + NUL */
#define PCHAT_ADDIN_URL_MAX 1025 /* 1024 characters + NUL */

/* MySQL: a row still referenced by a foreign key. */
#define PCHAT_ER_ROW_IS_REFERENCED_2 1451

/* An absolute http(s) URL without characters that would break it where
 * clients show it. Empty is the caller's business. */
static int pchat_admin_url(pchat_args_t *args, const char *key, const char *url)
{
	const char *p;
	int skip;

	if(strncasecmp(url, "http://", 7) == 0)
		skip = 7;
	else if(strncasecmp(url, "https://", 8) == 0)
		skip = 8;
	else
		return pchat_args_error(args, 400,
				"field '%s': '%s' is not a URL starting with http:// or "
				"https://",
				key, url);
	if(url[skip] == '\0' || url[skip] == '/')
		return pchat_args_error(
				args, 400, "field '%s': '%s' has no host", key, url);
	for(p = url; *p; p++) {
		if(isspace((unsigned char)*p) || iscntrl((unsigned char)*p) || *p == '"'
				|| *p == '<' || *p == '>')
			return pchat_args_error(args, 400,
					"field '%s': the URL contains a space, control character, "
					"quote or angle bracket",
					key);
	}
	return 0;
}

/* Add-ins. */

static const char *_pchat_addin_select =
		"SELECT a.name, a.url, (SELECT COUNT(*) FROM pchat_node n WHERE "
		"n.addin_id = a.id) FROM pchat_addin a WHERE (? IS NULL OR a.name = ?) "
		"ORDER BY a.name LIMIT ?";

/* Answers with the add-ins named name (all when NULL). */
static int pchat_addin_add(rpc_t *rpc, void *ctx, char **row)
{
	void *th;

	if(rpc->add(ctx, "{", &th) < 0)
		return -1;
	rpc->struct_add(
			th, "ssd", "name", row[0], "url", row[1], "rooms", atoi(row[2]));
	return 0;
}

static int pchat_addin_reply(rpc_t *rpc, void *ctx, pchat_args_t *args,
		const char *name, long long limit)
{
	return pchat_admin_reply_rows(
			rpc, ctx, args, _pchat_addin_select, name, limit, pchat_addin_add, "reading add-ins");
}

/* Add-ins by name (field name=); its store error names "the add-in". */
static const pchat_admin_named_t pchat_addin_named = {
		"SELECT id FROM pchat_addin WHERE name = ?", NULL, "add-in",
		"looking up the add-in"};

static const char *pchat_rpc_addin_new_doc[] = {
		"Create a room add-in: name= (unique, up to 256 characters), url= "
		"(http:// or https://, up to 1024 characters).",
		0};

static void pchat_rpc_addin_new(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	char name[PCHAT_ADDIN_NAME_MAX], url[PCHAT_ADDIN_URL_MAX];
	pchat_store_rc_t rc;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_args_need(&args, "name", name, sizeof(name)) < 0
			|| pchat_args_need(&args, "url", url, sizeof(url)) < 0
			|| pchat_admin_url(&args, "url", url) < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	rc = pchat_db_exec("INSERT INTO pchat_addin (name, url) VALUES (?, ?)",
			NULL, name, url);
	if(pchat_admin_named_write(
			   &args, rc, "name", "an add-in", name, "creating the add-in")
					< 0
			|| pchat_addin_reply(rpc, ctx, &args, name, 1) < 0)
		goto fault;
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

static const char *pchat_rpc_addin_get_doc[] = {
		"List room add-ins with the number of rooms using each: name= "
		"(exact), result_size= (default 1000).",
		0};

static void pchat_rpc_addin_get(rpc_t *rpc, void *ctx)
{
	pchat_admin_list(rpc, ctx, PCHAT_ADDIN_NAME_MAX, pchat_addin_reply);
}

static const char *pchat_rpc_addin_set_doc[] = {
		"Change a room add-in: name= (which), new_name=, url=.", 0};

static void pchat_rpc_addin_set(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	char name[PCHAT_ADDIN_NAME_MAX], new_name[PCHAT_ADDIN_NAME_MAX];
	char url[PCHAT_ADDIN_URL_MAX];
	int has_new, has_url;
	pchat_store_rc_t rc;
	long long id;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_args_need(&args, "name", name, sizeof(name)) < 0
			|| (has_new = pchat_args_cstr(
						&args, "new_name", new_name, sizeof(new_name)))
					   < 0
			|| (has_url = pchat_args_cstr(&args, "url", url, sizeof(url))) < 0
			|| (has_url && pchat_admin_url(&args, "url", url) < 0)
			|| pchat_args_done(&args) < 0)
		goto fault;
	if(has_new && new_name[0] == '\0') {
		pchat_args_error(&args, 400, "field 'new_name' must not be empty");
		goto fault;
	}
	/* looked up first: an UPDATE that changes nothing matches no rows */
	if((id = pchat_admin_id_by_name(&args, &pchat_addin_named, name, "name", 0)) <= 0)
		goto fault;
	rc = pchat_db_exec("UPDATE pchat_addin SET name = COALESCE(?, name), "
					   "url = COALESCE(?, url) WHERE id = ?",
			NULL, has_new ? new_name : NULL, has_url ? url : NULL, id);
	if(pchat_admin_named_write(&args, rc, "new_name", "an add-in", new_name,
			   "changing the add-in")
					< 0
			|| pchat_addin_reply(rpc, ctx, &args, has_new ? new_name : name, 1) < 0)
		goto fault;
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

static const char *pchat_rpc_addin_remove_doc[] = {
		"Remove a room add-in: name=. Refused while rooms use it.", 0};

static void pchat_rpc_addin_remove(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	char name[PCHAT_ADDIN_NAME_MAX];
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	long long id;
	int rooms;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_args_need(&args, "name", name, sizeof(name)) < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	if((id = pchat_admin_id_by_name(&args, &pchat_addin_named, name, "name", 0)) <= 0)
		goto fault;
	rc = pchat_db_exec("SELECT COUNT(*) FROM pchat_node WHERE addin_id = ?",
			&res, id);
	if(rc != PCHAT_STORE_OK) {
		pchat_admin_store_error(&args, rc, "counting the rooms using it");
		goto fault;
	}
	rooms = res.nrows && res.rows[0][0] ? atoi(res.rows[0][0]) : 0;
	pchat_db_res_free(&res);
	if(rooms > 0)
		goto in_use;
	rc = pchat_db_exec("DELETE FROM pchat_addin WHERE id = ?", NULL, id);
	if(rc != PCHAT_STORE_OK) {
		/* a room took the add-in between the count and the delete */
		if(pchat_db_errno() == PCHAT_ER_ROW_IS_REFERENCED_2) {
			rooms = 1;
			goto in_use;
		}
		pchat_admin_store_error(&args, rc, "removing the add-in");
		goto fault;
	}
	pchat_admin_reply_removed(rpc, ctx, name);
	return;
in_use:
	pchat_args_error(&args, 409,
			"add-in '%s' is used by %d room(s): set their addin to another "
			"one or none first",
			name, rooms);
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

/* Configuration. The module reads pchat_config at run time (getserverinfo
 * and the limits), so a change applies to the next request; the ranges
 * here are the ones the readers accept. */

typedef enum pchat_cfg_kind
{
	PCHAT_CFG_INT = 0,
	PCHAT_CFG_URL = 1,
	PCHAT_CFG_READONLY = 2
} pchat_cfg_kind_t;

typedef struct pchat_cfg_key
{
	const char *name;
	pchat_cfg_kind_t kind;
	int min, max;
	const char *description; /* for a row the store lacks */
} pchat_cfg_key_t;

#define PCHAT_CFG_MESSAGE 3 /* indexes into _pchat_cfg_keys */
#define PCHAT_CFG_STORY 4
#define PCHAT_CFG_NKEYS 10
#define PCHAT_CFG_URL_MAX 256 /* 255 characters + NUL, the column */

static const pchat_cfg_key_t _pchat_cfg_keys[PCHAT_CFG_NKEYS] = {
		{"default_chat_history", PCHAT_CFG_INT, 1, 500,
				"messages sent on a first history request (1-500)"},
		{"participant_update_limit", PCHAT_CFG_INT, 1, 10000,
				"rooms above this many online participants get no roster "
				"notices"},
		{"max_file_size_kb", PCHAT_CFG_INT, 1, 2000000,
				"largest file that may be posted, KB"},
		{"message_size_limit", PCHAT_CFG_INT, 1, 65536,
				"maximum characters of a chat message (XCCOS "
				"messageSizeLimit)"},
		{"story_size_limit", PCHAT_CFG_INT, 1, 1048576,
				"maximum characters of a story (XCCOS storySizeLimit)"},
		{"search_limit", PCHAT_CFG_INT, 1, 100000,
				"maximum results of a room search or history query (XCCOS "
				"searchLimit)"},
		{"room_management_url", PCHAT_CFG_URL, 0, 0,
				"URL of the room-management web application, empty for "
				"none"},
		{"root_category_guid", PCHAT_CFG_READONLY, 0, 0, ""},
		{"db_version", PCHAT_CFG_READONLY, 0, 0, ""},
		{"edit_window_s", PCHAT_CFG_INT, 0, PCHAT_EDIT_WINDOW_MAX,
				"seconds after a post during which its author may edit or "
				"delete it (0: never)"},
};

/* Answers with the setting called name (all when NULL); 404 when a named
 * one does not exist. */
static int pchat_config_reply(
		rpc_t *rpc, void *ctx, pchat_args_t *args, const char *name)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	void *th;
	int i;

	/* the compliance_* settings are the compliance configuration's
	 * (Get-CsPersistentChatComplianceConfiguration), not this one's */
	rc = pchat_db_exec("SELECT name, value, description FROM pchat_config "
					   "WHERE (? IS NULL OR name = ?) AND name NOT LIKE "
					   "'compliance%' ORDER BY name",
			&res, name, name);
	if(rc != PCHAT_STORE_OK)
		return pchat_admin_store_error(args, rc, "reading the configuration");
	if(name && res.nrows == 0) {
		pchat_db_res_free(&res);
		return pchat_args_error(
				args, 404, "field 'name': no setting named '%s'", name);
	}
	for(i = 0; i < res.nrows; i++) {
		if(rpc->add(ctx, "{", &th) < 0) {
			pchat_db_res_free(&res);
			return pchat_args_error(args, 500, "cannot build the reply");
		}
		rpc->struct_add(th, "sss", "name", res.rows[i][0], "value",
				res.rows[i][1] ? res.rows[i][1] : "", "description",
				res.rows[i][2] ? res.rows[i][2] : "");
	}
	pchat_db_res_free(&res);
	return 0;
}

static const char *pchat_rpc_config_get_doc[] = {
		"Show the service configuration (Get-CsPersistentChatConfiguration): "
		"name= (one setting).",
		0};

static void pchat_rpc_config_get(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	char name[65];
	int has_name;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| (has_name = pchat_args_cstr(&args, "name", name, sizeof(name)))
					   < 0
			|| pchat_args_done(&args) < 0
			|| pchat_config_reply(rpc, ctx, &args, has_name ? name : NULL) < 0)
		pchat_admin_fault(rpc, ctx, &args);
}

/* Reads every settable key from args (so pchat_args_done() then reports
 * the unknown ones); given[i] says which were. */
static int pchat_config_read_args(
		pchat_args_t *args, int *given, int *ival, char *url)
{
	const pchat_cfg_key_t *k;
	int i, r;
	str v;

	for(i = 0; i < PCHAT_CFG_NKEYS; i++) {
		k = &_pchat_cfg_keys[i];
		switch(k->kind) {
			case PCHAT_CFG_INT:
				r = pchat_args_int(args, k->name, k->min, k->max, &ival[i]);
				break;
			case PCHAT_CFG_URL:
				r = pchat_args_cstr(args, k->name, url, PCHAT_CFG_URL_MAX);
				if(r > 0 && url[0] != '\0'
						&& pchat_admin_url(args, k->name, url) < 0)
					return -1;
				break;
			default:
				r = pchat_args_str(args, k->name, &v);
				if(r != 0)
					return pchat_args_error(
							args, 400, "field '%s' is read-only", k->name);
		}
		if(r < 0)
			return -1;
		given[i] = r;
	}
	return 0;
}

/* Stored message and story limits, locked until the transaction ends so
 * that two concurrent changes cannot leave story < message. */
static int pchat_config_stored_limits(pchat_args_t *args, int *msg, int *story)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	int i;

	/* the module's own defaults for a store that lacks the rows */
	*msg = 512;
	*story = 4096;
	rc = pchat_db_exec("SELECT name, value FROM pchat_config WHERE name IN "
					   "('message_size_limit', 'story_size_limit') FOR UPDATE",
			&res);
	if(rc != PCHAT_STORE_OK)
		return pchat_admin_store_error(args, rc, "reading the limits");
	for(i = 0; i < res.nrows; i++) {
		if(res.rows[i][0] == NULL || res.rows[i][1] == NULL)
			continue;
		if(strcmp(res.rows[i][0], "message_size_limit") == 0)
			*msg = atoi(res.rows[i][1]);
		else
			*story = atoi(res.rows[i][1]);
	}
	pchat_db_res_free(&res);
	return 0;
}

/* The writes of config_set, inside its transaction: story_size_limit
 * may not fall below message_size_limit, given or stored. */
static int pchat_config_write(
		pchat_args_t *args, const int *given, const int *ival, const char *url)
{
	char num[24];
	const char *value;
	int i, msg, story;
	pchat_store_rc_t rc;

	if(given[PCHAT_CFG_MESSAGE] || given[PCHAT_CFG_STORY]) {
		if(pchat_config_stored_limits(args, &msg, &story) < 0)
			return -1;
		if(given[PCHAT_CFG_MESSAGE])
			msg = ival[PCHAT_CFG_MESSAGE];
		if(given[PCHAT_CFG_STORY])
			story = ival[PCHAT_CFG_STORY];
		if(story < msg) {
			/* blame the field the administrator gave */
			if(given[PCHAT_CFG_STORY])
				pchat_args_error(args, 400,
						"field 'story_size_limit': %d is smaller than "
						"message_size_limit (%d)",
						story, msg);
			else
				pchat_args_error(args, 400,
						"field 'message_size_limit': %d is larger than "
						"story_size_limit (%d)",
						msg, story);
			return -1;
		}
	}
	for(i = 0; i < PCHAT_CFG_NKEYS; i++) {
		if(!given[i])
			continue;
		if(_pchat_cfg_keys[i].kind == PCHAT_CFG_URL) {
			value = url;
		} else {
			snprintf(num, sizeof(num), "%d", ival[i]);
			value = num;
		}
		rc = pchat_db_exec(
				"INSERT INTO pchat_config (name, value, description) VALUES "
				"(?, ?, ?) ON DUPLICATE KEY UPDATE value = VALUES(value)",
				NULL, _pchat_cfg_keys[i].name, value,
				_pchat_cfg_keys[i].description);
		if(rc != PCHAT_STORE_OK) {
			return pchat_admin_store_error(
					args, rc, "changing the configuration");
		}
	}
	return 0;
}

static const char *pchat_rpc_config_set_doc[] = {
		"Change the service configuration (Set-CsPersistentChatConfiguration)"
		": one or more name=value pairs among default_chat_history (1-500), "
		"participant_update_limit (1-10000), max_file_size_kb (1-2000000), "
		"message_size_limit (1-65536), story_size_limit (1-1048576, not "
		"below message_size_limit), search_limit (1-100000), "
		"room_management_url (http(s) URL or empty), edit_window_s "
		"(0-2592000). All or nothing.",
		0};

static void pchat_rpc_config_set(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	int given[PCHAT_CFG_NKEYS] = {0}, ival[PCHAT_CFG_NKEYS] = {0};
	char url[PCHAT_CFG_URL_MAX];
	int i, n = 0;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_config_read_args(&args, given, ival, url) < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	for(i = 0; i < PCHAT_CFG_NKEYS; i++)
		n += given[i];
	if(n == 0) {
		pchat_args_error(&args, 400,
				"nothing to change: give one or more name=value pairs (see "
				"pchat.config_get)");
		goto fault;
	}
	if(pchat_admin_begin(&args) < 0
			|| pchat_admin_end(
					   &args, pchat_config_write(&args, given, ival, url))
					   < 0)
		goto fault;
	pchat_store_config_changed();
	if(pchat_config_reply(rpc, ctx, &args, NULL) < 0)
		goto fault;
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

static const char *pchat_rpc_caches_drop_doc[] = {
		"Drop this node's cached room answers and configuration now "
		"(pchatctl import-data calls it after writing the store).",
		0};

/* The caches expire within a second anyway; a tool that wrote the store
 * directly (pchatctl import-data) makes the change visible at once. */
static void pchat_rpc_caches_drop(rpc_t *rpc, void *ctx)
{
	void *th;

	pchat_access_changed();
	pchat_store_config_changed();
	if(rpc->add(ctx, "{", &th) >= 0)
		rpc->struct_add(th, "s", "caches", "dropped");
}

/* clang-format off */
rpc_export_t pchat_admin_directory_rpc[] = {
	{"pchat.addin_new", pchat_rpc_addin_new, pchat_rpc_addin_new_doc, 0},
	{"pchat.addin_get", pchat_rpc_addin_get, pchat_rpc_addin_get_doc, RET_ARRAY},
	{"pchat.addin_set", pchat_rpc_addin_set, pchat_rpc_addin_set_doc, 0},
	{"pchat.addin_remove", pchat_rpc_addin_remove, pchat_rpc_addin_remove_doc, 0},
	{"pchat.config_get", pchat_rpc_config_get, pchat_rpc_config_get_doc, RET_ARRAY},
	{"pchat.config_set", pchat_rpc_config_set, pchat_rpc_config_set_doc, RET_ARRAY},
	{"pchat.caches_drop", pchat_rpc_caches_drop, pchat_rpc_caches_drop_doc, 0},
	{0, 0, 0, 0}
};
/* clang-format on */
