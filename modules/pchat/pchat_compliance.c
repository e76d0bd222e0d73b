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
/* Store layer: compliance capture (issue 15): the event and participant
 * rows, written by the command, writer and admin code with the action
 * they record (see pchat_compliance.h). */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/dprint.h"
#include "core/socket_info.h"
#include "core/sr_module.h"

#include "pchat_compliance.h"

#define PCHAT_NODE_NAME_MAX 64

/* set in mod_init, before the fork: every process has the same */
static char _pchat_node_name[PCHAT_NODE_NAME_MAX];
static char _pchat_cpl_session[33];

/* dmq's server_address names the node in the pool; a node without a
 * pool is its host and first listening port */
static void pchat_node_name_init(void)
{
	struct sr_module *m = find_module_by_name("dmq");
	struct socket_info *si = get_first_socket();
	modparam_t type;
	char host[PCHAT_NODE_NAME_MAX];
	str *self = NULL;

	if(m)
		self = find_param_export(m, "server_address", PARAM_STR, &type);
	if(self && self->s && self->len > 0) {
		snprintf(_pchat_node_name, sizeof(_pchat_node_name), "%.*s",
				self->len, self->s);
		return;
	}
	if(gethostname(host, sizeof(host)) < 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	if(si)
		snprintf(_pchat_node_name, sizeof(_pchat_node_name), "%.40s:%.*s",
				host, si->port_no_str.len, si->port_no_str.s);
	else
		snprintf(_pchat_node_name, sizeof(_pchat_node_name), "%s", host);
}

int pchat_compliance_mod_init(void)
{
	unsigned char r[16];
	int fd, i, ok = 0;

	pchat_node_name_init();
	fd = open("/dev/urandom", O_RDONLY);
	if(fd >= 0) {
		ok = read(fd, r, sizeof(r)) == sizeof(r);
		close(fd);
	}
	if(!ok) {
		srandom((unsigned int)time(NULL) ^ (unsigned int)getpid());
		for(i = 0; i < (int)sizeof(r); i++)
			r[i] = (unsigned char)random();
	}
	for(i = 0; i < (int)sizeof(r); i++)
		snprintf(_pchat_cpl_session + 2 * i, 3, "%02x", r[i]);
	LM_DBG("compliance: node %s, session %s\n", _pchat_node_name,
			_pchat_cpl_session);
	return 0;
}

const char *pchat_node_name(void)
{
	return _pchat_node_name;
}

const char *pchat_compliance_session(void)
{
	return _pchat_cpl_session;
}

long long pchat_compliance_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

pchat_store_rc_t pchat_compliance_node_start(void)
{
	return pchat_db_exec("UPDATE pchat_compliance_participant SET "
						 "parted_ms = ? WHERE node = ? AND parted_ms IS NULL "
						 "AND session_id <> ?",
			NULL, pchat_compliance_now_ms(), pchat_node_name(),
			pchat_compliance_session());
}

pchat_store_rc_t pchat_compliance_event(const pchat_cevent_t *e)
{
	const long long *room = e->room_id ? &e->room_id : NULL;
	const long long *seq = e->seq ? &e->seq : NULL;

	return pchat_db_exec("INSERT INTO pchat_compliance_event (type, ts_ms, "
						 "room_id, room_uri, room_name, msg_seq, user_uri, "
						 "content, detail, node) VALUES (?, ?, ?, ?, ?, ?, ?, "
						 "?, ?, ?)",
			NULL, e->type, e->ts_ms, room, e->room_uri, e->room_name, seq,
			e->user, e->content, e->detail, pchat_node_name());
}

pchat_store_rc_t pchat_compliance_join(const pchat_cevent_t *e)
{
	pchat_store_rc_t rc;

	rc = pchat_db_exec("INSERT INTO pchat_compliance_participant (room_id, "
					   "user_uri, joined_ms, node, session_id) VALUES (?, ?, "
					   "?, ?, ?)",
			NULL, e->room_id, e->user, e->ts_ms, pchat_node_name(),
			pchat_compliance_session());
	return rc == PCHAT_STORE_OK ? pchat_compliance_event(e) : rc;
}

pchat_store_rc_t pchat_compliance_part(const pchat_cevent_t *e)
{
	pchat_store_rc_t rc;

	/* a user with two sessions in the room has two open rows: either
	 * one closes, the other stays open while a session remains */
	rc = pchat_db_exec("UPDATE pchat_compliance_participant SET parted_ms = "
					   "? WHERE room_id = ? AND user_uri = ? AND node = ? AND "
					   "session_id = ? AND parted_ms IS NULL ORDER BY id "
					   "DESC LIMIT 1",
			NULL, e->ts_ms, e->room_id, e->user, pchat_node_name(),
			pchat_compliance_session());
	return rc == PCHAT_STORE_OK ? pchat_compliance_event(e) : rc;
}

int pchat_json_quote(char *buf, int size, const char *s)
{
	int n = 0;
	unsigned char c;

#define PCHAT_JPUT(ch)          \
	do {                        \
		if(n + 1 >= size)       \
			return -1;          \
		buf[n++] = (char)(ch);  \
	} while(0)
	PCHAT_JPUT('"');
	for(; (c = (unsigned char)*s) != '\0'; s++) {
		if(c == '"' || c == '\\') {
			PCHAT_JPUT('\\');
			PCHAT_JPUT(c);
		} else if(c < 0x20) {
			if(n + 7 >= size)
				return -1;
			n += snprintf(buf + n, size - n, "\\u%04x", c);
		} else {
			PCHAT_JPUT(c);
		}
	}
	PCHAT_JPUT('"');
#undef PCHAT_JPUT
	buf[n] = '\0';
	return n;
}
