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
/* Unit tests for the compliance adapters' formatting (pchat_adapter_xml.c,
 * pchat_adapter_jsonl.c): times, escaping, grouping by room. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pchat_adapter.h"
#include "unit.h"

#define ROOM "ma-chan://example.com/r1"

/* Formats into a string (free it); NULL on failure. xml: 1 xml, 0 jsonl. */
static char *render(int xml, const pchat_aevent_t *ev, int n,
		const unsigned long long *only, const pchat_adapter_opts_t *o,
		int *count)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if(f == NULL)
		return NULL;
	*count = xml ? pchat_xml_write(f, ev, n, only, o)
				 : pchat_jsonl_write(f, ev, n, only);
	fclose(f);
	return buf;
}

static pchat_aevent_t ev(unsigned long long id, const char *type,
		long long ts, unsigned long long room, const char *content)
{
	pchat_aevent_t e = {id, type, ts, room, room ? ROOM : NULL,
			room ? "R & D" : NULL, 0, "sip:alice@example.com", content,
			NULL, "n1", 0};

	return e;
}

static void t_times(void)
{
	char iso[40];

	pchat_adapter_iso(0, iso, sizeof(iso));
	unit_check("epoch in 7 fractional digits",
			strcmp(iso, "1970-01-01T00:00:00.0000000Z") == 0, "%s", iso);
	pchat_adapter_iso(1765000000123LL, iso, sizeof(iso));
	unit_check("ms become the first three of seven digits",
			strcmp(iso, "2025-12-06T05:46:40.1230000Z") == 0, "%s", iso);
	unit_check(".NET ticks of the epoch",
			pchat_adapter_ticks(0) == 621355968000000000LL, "%lld",
			pchat_adapter_ticks(0));
	unit_check(".NET ticks count 100 ns",
			pchat_adapter_ticks(1) - pchat_adapter_ticks(0) == 10000, "wrong");
}

static void t_xml_escaping(void)
{
	pchat_aevent_t e[2];
	pchat_adapter_opts_t o = {1, 1};
	char *out;
	int n;
	BEGIN("xml escapes markup, keeps white space, drops control bytes");

	e[0] = ev(1, "JOIN", 1000, 7, "ignored for a join");
	e[1] = ev(2, "CHAT", 2000, 7, "a<b & \"c\"\n\td\x01");
	e[1].msg_seq = 42;
	out = render(1, e, 2, NULL, &o, &n);
	CHECK(out && n == 2, "count %d", n);
	CHECK(strstr(out, "content=\"a&lt;b &amp; &quot;c&quot;&#10;&#9;d?\" "
					  "id=\"42\"")
					!= NULL,
			"%s", out);
	CHECK(strstr(out, "<FirstMessage type=\"JOIN\" content=\"\" id=\"0\">")
					!= NULL,
			"join content: %s", out);
	CHECK(strstr(out, "<Channel uri=\"" ROOM "\" name=\"R &amp; D\"/>"), "%s",
			out);
	CHECK(strstr(out, "<Sender UserName=\"alice\" id=\"0\" "
					  "email=\"alice@example.com\" uri=\"alice@example.com\"/>"),
			"%s", out);
done:
	free(out);
	END;
}

static void t_xml_rooms_and_types(void)
{
	pchat_aevent_t e[5];
	pchat_adapter_opts_t o = {0, 0};
	unsigned long long rooms[5], r2 = 2;
	char *out = NULL, *second;
	int n, k;
	BEGIN("xml: a Conversation per room in first-event order, Lync types");

	e[0] = ev(1, "JOIN", 1000, 2, NULL);
	e[1] = ev(2, "SEARCH", 1001, 0, "q");
	e[2] = ev(3, "JOIN", 1002, 1, NULL);
	e[3] = ev(4, "REMOVE", 1003, 1, NULL);
	e[4] = ev(5, "PART", 1004, 2, NULL);
	k = pchat_adapter_rooms(e, 5, 1, rooms);
	CHECK(k == 2 && rooms[0] == 2 && rooms[1] == 1, "xml rooms %d", k);
	k = pchat_adapter_rooms(e, 5, 0, rooms);
	CHECK(k == 3 && rooms[1] == 0, "jsonl rooms %d", k);
	out = render(1, e, 5, NULL, &o, &n);
	CHECK(out && n == 3, "count %d", n);
	CHECK(strstr(out, "SEARCH") == NULL && strstr(out, "REMOVE") == NULL,
			"types outside the XSD: %s", out);
	CHECK(strstr(out, " name=") == NULL && strstr(out, "email=") == NULL,
			"details without the options: %s", out);
	second = strstr(out, "</Conversation>");
	CHECK(second && strstr(second, "<FirstMessage type=\"JOIN\""),
			"second conversation: %s", out);
	CHECK(strstr(out, "<EndTimeUTC since1970=\"1004\""), "end time: %s", out);
	free(out);
	out = render(1, e, 5, &r2, &o, &n);
	CHECK(out && n == 2, "one room: %d", n);
done:
	free(out);
	END;
}

static void t_jsonl(void)
{
	pchat_aevent_t e[2];
	unsigned long long none = 0;
	char *out = NULL;
	int n;
	BEGIN("jsonl: one line per event, escaped, nulls");

	e[0] = ev(1, "SEARCH", 1000, 0, "a\"b\\c\n\x02");
	e[0].detail = "{\"hits\": 3}";
	e[1] = ev(2, "CHAT", 1001, 5, "x");
	e[1].msg_seq = 9;
	out = render(0, e, 2, NULL, NULL, &n);
	CHECK(out && n == 2, "count %d", n);
	CHECK(strstr(out, "{\"id\":1,\"type\":\"SEARCH\",\"ts_ms\":1000,\"time\":"
					  "\"1970-01-01T00:00:01.0000000Z\",\"room_id\":null,"
					  "\"room_uri\":null,\"room_name\":null,\"msg_seq\":null,"
					  "\"user\":\"sip:alice@example.com\",\"content\":"
					  "\"a\\\"b\\\\c\\n\\u0002\",\"detail\":\"{\\\"hits\\\": "
					  "3}\",\"node\":\"n1\"}\n")
					== out,
			"%s", out);
	CHECK(strstr(out, "\"room_id\":5,") && strstr(out, "\"msg_seq\":9,"),
			"%s", out);
	free(out);
	out = render(0, e, 2, &none, NULL, &n);
	CHECK(out && n == 1 && strstr(out, "CHAT") == NULL, "room 0: %d", n);
done:
	free(out);
	END;
}

int main(void)
{
	t_times();
	t_xml_escaping();
	t_xml_rooms_and_types();
	t_jsonl();
	return unit_summary();
}
