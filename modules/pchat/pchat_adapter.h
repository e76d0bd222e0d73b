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
/* Pure formatting of compliance events for the adapter run: Lync's
 * XmlAdapter document (pchat_adapter_xml.c) and JSON Lines
 * (pchat_adapter_jsonl.c), and the XSLT applied to XmlAdapter files
 * (pchat_adapter_xslt.c). No Kamailio and no database: unit-tested alone. */

#ifndef _PCHAT_ADAPTER_H_
#define _PCHAT_ADAPTER_H_

#include <stdio.h>

/* One row of pchat_compliance_event; strings NUL-terminated, NULL for SQL
 * NULL (room_id and msg_seq: 0). */
typedef struct pchat_aevent
{
	unsigned long long id;
	const char *type; /* JOIN, PART, CHAT, ... (the column's ENUM) */
	long long ts_ms;
	unsigned long long room_id;
	const char *room_uri;
	const char *room_name;
	unsigned long long msg_seq;
	const char *user_uri;
	const char *content;
	const char *detail; /* JSON text */
	const char *node;
	long long recorded_ms; /* the database's clock at INSERT: not written */
} pchat_aevent_t;

typedef struct pchat_adapter_opts
{
	int room_details; /* AddChatRoomDetails: Channel @name */
	int user_details; /* AddUserDetails: Sender @email */
} pchat_adapter_opts_t;

/* Lync's XmlAdapter carries these six types only (its XSD's enumeration):
 * 1 when type is one of them. */
int pchat_xml_type(const char *type);

/* One XmlAdapter document of ev[0..n-1] (in id order): a Conversation per
 * room in the order of each room's first event; when only_room is not
 * NULL, the events of that room only (0: events without a room). Types outside the XSD are left out (they
 * are in JSON Lines). Returns the number of events written, -1 on a write
 * error (errno set). */
int pchat_xml_write(FILE *f, const pchat_aevent_t *ev, int n,
		const unsigned long long *only_room, const pchat_adapter_opts_t *o);

/* ev[0..n-1] as JSON Lines, every type; only_room as above. Returns the
 * number of lines, -1 on a write error. */
int pchat_jsonl_write(FILE *f, const pchat_aevent_t *ev, int n,
		const unsigned long long *only_room);

/* The three DateTimeUTC forms of ms since 1970: "2026-12-07T02:25:34.
 * 1230000Z" (buf of 32 or more) and .NET ticks. */
void pchat_adapter_iso(long long ms, char *buf, int size);
long long pchat_adapter_ticks(long long ms);

/* The rooms of ev[0..n-1] that have events an adapter writes, in the order
 * of their first event; out has room for n; returns their number. For
 * xml, only events of the XSD's types count. */
int pchat_adapter_rooms(const pchat_aevent_t *ev, int n, int xml,
		unsigned long long *out);

/* Lync's CustomConfiguration: the XSLT stylesheet xsl applied to the
 * document in, its result written to out and fsynced (pchat_adapter_xslt.c,
 * libxslt). 0, or -1 with err set (a stylesheet that does not parse, a
 * transform that fails, a write error). */
int pchat_xslt_apply(const char *xsl, const char *in, const char *out,
		char *err, int esz);

#endif
