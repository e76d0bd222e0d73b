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
/* Entry layer (RPC): compliance events of the admin RPCs, written in the
 * RPC's transaction (see pchat_admin_comply.h). */

#include <stdlib.h>
#include <string.h>

#include "core/dprint.h"

#include "pchat_admin.h"
#include "pchat_admin_comply.h"
#include "pchat_compliance.h"
#include "pchat_config.h"
#include "pchat_uri.h"

/* A node as JSON, computed by the server: its settings, roles and (for a
 * category) its wall. n is the node. */
#define PCHAT_NODE_STATE_JSON                                                \
	"JSON_OBJECT('kind', n.kind, 'guid', n.guid, 'name', n.name, "           \
	"'description', n.description, 'topic', n.topic, 'privacy', n.privacy, " \
	"'room_type', n.room_type, 'invitations', n.invitations, 'disabled', "   \
	"n.disabled, 'parent_id', n.parent_id, 'addin_id', n.addin_id, "         \
	"'file_upload', n.file_upload, 'invitations_enabled', "                  \
	"n.invitations_enabled, 'chat_history', n.chat_history, "                \
	"'retention_days', n.retention_days, 'roles', (SELECT "                  \
	"JSON_ARRAYAGG(JSON_OBJECT('role', r.role, 'type', r.principal_type, "   \
	"'principal', r.principal) ORDER BY r.role, r.principal_type, "          \
	"r.principal) FROM pchat_role r WHERE r.node_id = n.id), 'scopes', "     \
	"(SELECT JSON_ARRAYAGG(JSON_OBJECT('scope', s.scope, 'type', "           \
	"s.principal_type, 'principal', s.principal) ORDER BY s.scope, "         \
	"s.principal_type, s.principal) FROM pchat_scope s WHERE "               \
	"s.category_id = n.id))"

/* who made an admin change: rpc, or rpc:NAME with the RPC's caller=NAME
 * (pchatctl's OS user); buf of PCHAT_CALLER_MAX + 5 */
static void pchat_admin_who(pchat_args_t *args, char *buf, str *who)
{
	who->s = buf;
	who->len = args->caller[0] ? sprintf(buf, "rpc:%s", args->caller)
							   : sprintf(buf, "rpc");
}

int pchat_admin_comply_on(void)
{
	pchat_server_config_t cfg;

	return pchat_store_server_config_cached(&cfg) == PCHAT_STORE_OK
		   && cfg.compliance;
}

static const char *pchat_admin_domain(char *buf, int size)
{
	pchat_uri_t *svc = pchat_uri_service_for(NULL);

	snprintf(buf, size, "%.*s", svc ? svc->host.len : 0,
			svc ? svc->host.s : "");
	return buf;
}

int pchat_admin_comply(pchat_args_t *args, const char *type, long long node_id,
		long long seq, const char *content, const char *detail)
{
	const long long *pseq = seq ? &seq : NULL;
	char domain[128], whobuf[PCHAT_CALLER_MAX + 5];
	str who;
	pchat_store_rc_t rc;

	if(!pchat_admin_comply_on())
		return 0;
	pchat_admin_domain(domain, sizeof(domain));
	pchat_admin_who(args, whobuf, &who);
	/* the room's URI and name as they are now, in the same statement */
	rc = pchat_db_exec("INSERT INTO pchat_compliance_event (type, ts_ms, "
					   "room_id, room_uri, room_name, msg_seq, user_uri, "
					   "content, detail, node) SELECT ?, ?, n.id, "
					   "CONCAT(IF(n.kind = 'room', 'ma-chan://', 'ma-cat://'), "
					   "?, '/', n.guid), n.name, ?, ?, ?, ?, ? FROM pchat_node "
					   "n WHERE n.id = ?",
			NULL, type, pchat_compliance_now_ms(), domain, pseq,
			&who, content, detail, pchat_node_name(), node_id);
	if(rc != PCHAT_STORE_OK)
		return pchat_admin_store_error(args, rc, "recording for compliance");
	return 0;
}

int pchat_admin_comply_message(pchat_args_t *args, long long node_id,
		long long seq, const char *original, const char *replacement)
{
	size_t size;
	char *detail;
	int n, r;

	if(!pchat_admin_comply_on())
		return 0;
	/* \u00XX at worst per byte, with the keys and quotes */
	size = 6 * strlen(original) + 64;
	detail = malloc(size);
	if(detail == NULL) {
		pchat_args_error(args, 500, "out of memory");
		return -1;
	}
	n = snprintf(detail, size, "{\"original\": ");
	pchat_json_quote(detail + n, size - n, original);
	strcat(detail, "}");
	r = pchat_admin_comply(args, replacement ? "REPLACE" : "REMOVE", node_id,
			seq, replacement, detail);
	free(detail);
	return r;
}

char *pchat_admin_node_state(long long node_id)
{
	pchat_db_res_t res;
	char *s = NULL;

	if(!pchat_admin_comply_on())
		return NULL;
	if(pchat_db_exec("SELECT " PCHAT_NODE_STATE_JSON " FROM pchat_node n "
					 "WHERE n.id = ?",
			   &res, node_id)
			!= PCHAT_STORE_OK)
		return NULL;
	if(res.nrows == 1 && res.rows[0][0])
		s = strdup(res.rows[0][0]);
	pchat_db_res_free(&res);
	return s;
}

int pchat_admin_comply_change(pchat_args_t *args, const char *rpc_name,
		long long node_id, char *before)
{
	char domain[128], whobuf[PCHAT_CALLER_MAX + 5];
	str who;
	pchat_store_rc_t rc;
	long long now = pchat_compliance_now_ms();

	if(!pchat_admin_comply_on()) {
		free(before);
		return 0;
	}
	pchat_admin_domain(domain, sizeof(domain));
	pchat_admin_who(args, whobuf, &who);
	rc = pchat_db_exec("INSERT INTO pchat_compliance_event (type, ts_ms, "
					   "room_id, room_uri, room_name, user_uri, detail, node) "
					   "SELECT 'ADMIN', ?, n.id, CONCAT(IF(n.kind = 'room', "
					   "'ma-chan://', 'ma-cat://'), ?, '/', n.guid), n.name, "
					   "?, JSON_OBJECT('rpc', ?, 'before', JSON_EXTRACT(?, "
					   "'$'), 'after', JSON_EXTRACT(" PCHAT_NODE_STATE_JSON
					   ", '$')), ? FROM pchat_node n WHERE n.id = ?",
			NULL, now, domain, &who, rpc_name, before,
			pchat_node_name(), node_id);
	if(rc == PCHAT_STORE_OK && pchat_db_affected() == 0)
		/* removed: what it was, from before */
		rc = pchat_db_exec("INSERT INTO pchat_compliance_event (type, ts_ms, "
						   "room_id, room_uri, room_name, user_uri, detail, "
						   "node) VALUES ('ADMIN', ?, ?, CONCAT(IF(JSON_VALUE(?, "
						   "'$.kind') = 'room', 'ma-chan://', 'ma-cat://'), ?, "
						   "'/', JSON_VALUE(?, '$.guid')), JSON_VALUE(?, "
						   "'$.name'), ?, JSON_OBJECT('rpc', ?, 'before', "
						   "JSON_EXTRACT(?, '$'), 'after', NULL), ?)",
				NULL, now, node_id, before, domain, before, before,
				&who, rpc_name, before, pchat_node_name());
	free(before);
	if(rc != PCHAT_STORE_OK)
		return pchat_admin_store_error(args, rc, "recording for compliance");
	return 0;
}
