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
/* The JSON Lines adapter: one compliance event per line, every type and
 * column (the fields are listed in the README's compliance section). */

#include <string.h>

#include "pchat_adapter.h"

/* A JSON string, or null for NULL. */
static void json_str(FILE *f, const char *s)
{
	const unsigned char *p;

	if(s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for(p = (const unsigned char *)s; *p; p++) {
		switch(*p) {
			case '"': fputs("\\\"", f); break;
			case '\\': fputs("\\\\", f); break;
			case '\n': fputs("\\n", f); break;
			case '\r': fputs("\\r", f); break;
			case '\t': fputs("\\t", f); break;
			default:
				if(*p < 0x20)
					fprintf(f, "\\u%04x", *p);
				else
					fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void json_field(FILE *f, const char *name, const char *s)
{
	fprintf(f, ",\"%s\":", name);
	json_str(f, s);
}

/* room_id and msg_seq: null when the column is NULL (0 here) */
static void json_num(FILE *f, const char *name, unsigned long long v)
{
	if(v)
		fprintf(f, ",\"%s\":%llu", name, v);
	else
		fprintf(f, ",\"%s\":null", name);
}

static void jsonl_event(FILE *f, const pchat_aevent_t *e)
{
	char iso[40];

	pchat_adapter_iso(e->ts_ms, iso, sizeof(iso));
	fprintf(f, "{\"id\":%llu", e->id);
	json_field(f, "type", e->type);
	fprintf(f, ",\"ts_ms\":%lld", e->ts_ms);
	json_field(f, "time", iso);
	json_num(f, "room_id", e->room_id);
	json_field(f, "room_uri", e->room_uri);
	json_field(f, "room_name", e->room_name);
	json_num(f, "msg_seq", e->msg_seq);
	json_field(f, "user", e->user_uri);
	json_field(f, "content", e->content);
	/* a string holding JSON: an archive need not trust it to parse */
	json_field(f, "detail", e->detail);
	json_field(f, "node", e->node);
	fputs("}\n", f);
}

int pchat_jsonl_write(FILE *f, const pchat_aevent_t *ev, int n,
		const unsigned long long *only_room)
{
	int i, count = 0;

	for(i = 0; i < n; i++) {
		if(only_room && *only_room != ev[i].room_id)
			continue;
		jsonl_event(f, &ev[i]);
		count++;
	}
	return ferror(f) ? -1 : count;
}
