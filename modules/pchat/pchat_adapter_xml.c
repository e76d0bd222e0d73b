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
/* Lync's XmlAdapter document of compliance events (doc/compliance/
 * ChatArchive.xsd; see pchat_adapter.h), and the time forms it uses. */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pchat_adapter.h"

static const char *_xml_types[] = {
		"JOIN", "PART", "CHAT", "BACKCHAT", "FILEUPLOAD", "FILEDOWNLOAD", NULL};

int pchat_xml_type(const char *type)
{
	int i;

	for(i = 0; type && _xml_types[i]; i++)
		if(strcmp(type, _xml_types[i]) == 0)
			return 1;
	return 0;
}

/* .NET DateTime ticks: 100 ns since 0001-01-01 */
long long pchat_adapter_ticks(long long ms)
{
	return ms * 10000LL + 621355968000000000LL;
}

void pchat_adapter_iso(long long ms, char *buf, int size)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	long long frac = ms - (long long)t * 1000;
	struct tm tm;
	char day[24];

	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03lld0000Z", day, frac);
}

int pchat_adapter_rooms(const pchat_aevent_t *ev, int n, int xml,
		unsigned long long *out)
{
	int i, j, k = 0;

	for(i = 0; i < n; i++) {
		if(xml && !pchat_xml_type(ev[i].type))
			continue;
		for(j = 0; j < k && out[j] != ev[i].room_id; j++)
			;
		if(j == k)
			out[k++] = ev[i].room_id;
	}
	return k;
}

/* An attribute value: markup escaped; tab, newline and carriage return as
 * character references so a reader's normalisation keeps them; the other
 * control characters cannot be in XML 1.0 and become '?'. */
static void xml_attr(FILE *f, const char *s)
{
	const unsigned char *p;

	for(p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch(*p) {
			case '&': fputs("&amp;", f); break;
			case '<': fputs("&lt;", f); break;
			case '>': fputs("&gt;", f); break;
			case '"': fputs("&quot;", f); break;
			case '\t': fputs("&#9;", f); break;
			case '\n': fputs("&#10;", f); break;
			case '\r': fputs("&#13;", f); break;
			default:
				fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
		}
	}
}

/* Lync's samples write the Sender uri without "sip:" */
static const char *xml_bare_uri(const char *uri)
{
	if(uri && strncmp(uri, "sip:", 4) == 0)
		return uri + 4;
	return uri ? uri : "";
}

static void xml_time(FILE *f, const char *el, long long ms)
{
	char iso[40];

	pchat_adapter_iso(ms, iso, sizeof(iso));
	fprintf(f, "<%s since1970=\"%lld\" string=\"%s\" long=\"%lld\"/>", el, ms,
			iso, pchat_adapter_ticks(ms));
}

/* The user part serves as UserName: pchat has no display names; id is 0:
 * pchat has no numeric user ids (Lync's tblPrincipal). */
static void xml_sender(FILE *f, const pchat_aevent_t *e,
		const pchat_adapter_opts_t *o)
{
	const char *bare = xml_bare_uri(e->user_uri);
	const char *at = strchr(bare, '@');

	fputs("<Sender UserName=\"", f);
	if(at) {
		char user[256];
		int len = at - bare < (int)sizeof(user) - 1 ? (int)(at - bare)
													 : (int)sizeof(user) - 1;
		memcpy(user, bare, len);
		user[len] = '\0';
		xml_attr(f, user);
	} else {
		xml_attr(f, bare);
	}
	fputs("\" id=\"0\"", f);
	if(o->user_details && at) {
		fputs(" email=\"", f);
		xml_attr(f, bare);
		fputs("\"", f);
	}
	fputs(" uri=\"", f);
	xml_attr(f, bare);
	fputs("\"/>", f);
}

/* id: the message's number for CHAT, 0 otherwise (Lync's chat id) */
static void xml_message(FILE *f, const char *el, const pchat_aevent_t *e,
		const pchat_adapter_opts_t *o)
{
	int chat = strcmp(e->type, "CHAT") == 0;
	int join = strcmp(e->type, "JOIN") == 0 || strcmp(e->type, "PART") == 0;

	fprintf(f, "<%s type=\"%s\" content=\"", el, e->type);
	if(!join)
		xml_attr(f, e->content);
	fprintf(f, "\" id=\"%llu\">", chat ? e->msg_seq : 0ULL);
	xml_sender(f, e, o);
	xml_time(f, "DateTimeUTC", e->ts_ms);
	fprintf(f, "</%s>\n", el);
}

/* One room's Conversation; returns its number of events. */
static int xml_conversation(FILE *f, const pchat_aevent_t *ev, int n,
		unsigned long long room, const pchat_adapter_opts_t *o)
{
	const pchat_aevent_t *first = NULL, *last = NULL;
	int i, count = 0;

	for(i = 0; i < n; i++) {
		if(ev[i].room_id != room || !pchat_xml_type(ev[i].type))
			continue;
		if(first == NULL) {
			first = &ev[i];
			fputs("<Conversation>\n<Channel uri=\"", f);
			xml_attr(f, first->room_uri);
			if(o->room_details && first->room_name) {
				fputs("\" name=\"", f);
				xml_attr(f, first->room_name);
			}
			fputs("\"/>\n", f);
			xml_message(f, "FirstMessage", first, o);
			fputs("<Messages>\n", f);
		} else {
			xml_message(f, "Message", &ev[i], o);
		}
		last = &ev[i];
		count++;
	}
	if(first == NULL)
		return 0;
	fputs("</Messages>\n", f);
	xml_time(f, "StartTimeUTC", first->ts_ms);
	fputc('\n', f);
	xml_time(f, "EndTimeUTC", last->ts_ms);
	fputs("\n</Conversation>\n", f);
	return count;
}

int pchat_xml_write(FILE *f, const pchat_aevent_t *ev, int n,
		const unsigned long long *only_room, const pchat_adapter_opts_t *o)
{
	unsigned long long *rooms = malloc(sizeof(*rooms) * (n > 0 ? n : 1));
	int i, k, count = 0;

	if(rooms == NULL)
		return -1;
	k = pchat_adapter_rooms(ev, n, 1, rooms);
	fputs("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Conversations>\n", f);
	for(i = 0; i < k; i++)
		if(only_room == NULL || *only_room == rooms[i])
			count += xml_conversation(f, ev, n, rooms[i], o);
	fputs("</Conversations>\n", f);
	free(rooms);
	return ferror(f) ? -1 : count;
}
