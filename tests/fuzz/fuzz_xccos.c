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

/*
 * libFuzzer target: pchat_xccos_parse() on any body, then everything that
 * reads its result (child/next/attr/name accessors over the whole tree,
 * the timestamp parser on ts-like attributes) and a round trip through
 * the writer: attributes and text written back must parse to the same
 * bytes. Plain C and libxml2, like tests/unit/test_xccos.c.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "pchat_xccos.h"

/* The attribute names commands read (doc/xccos.md), and some others. */
static const char *names[] = {"id", "seqid", "envid", "ver", "value",
		"domain", "key", "uri", "chanUri", "author", "ts", "cnt", "from",
		"to", "qtype", "criteria", "extended", "label", "content",
		"createdefault", "infoType", "name", "xmlns", "", NULL};

static void fail(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "%s: '%s' vs '%s'\n", what, a, b ? b : "(null)");
	abort();
}

/* Writes <data a="v" ...>text</data> for one element and checks that the
 * values come back byte for byte. */
static void roundtrip(xmlNodePtr n)
{
	pchat_xbuf_t b;
	pchat_xccos_env_t env;
	xmlNodePtr m, d;
	xmlChar *text, *text2;
	const char *v, *v2;
	int i;

	pchat_xbuf_init(&b);
	pchat_xw_env_start(&b, 1);
	pchat_xw_start(&b, "cmd");
	pchat_xw_attr(&b, "id", "cmd:x");
	pchat_xw_start(&b, "data");
	for(i = 0; names[i][0]; i++) {
		v = pchat_xccos_attr(n, names[i]);
		if(v && strcmp(names[i], "id") != 0 && strcmp(names[i], "xmlns") != 0)
			pchat_xw_attr(&b, names[i], v);
	}
	text = xmlNodeGetContent(n);
	if(text)
		pchat_xw_text(&b, (const char *)text, -1);
	pchat_xw_end(&b, "data");
	pchat_xw_end(&b, "cmd");
	pchat_xw_env_end(&b);
	if(b.err)
		abort();
	if(pchat_xccos_parse(b.s, b.len, 0, &env, NULL) != PCHAT_XCCOS_OK)
		fail("writer output does not parse", b.s, NULL);
	m = env.msgs[0].node;
	d = pchat_xccos_child(m, "data");
	if(d == NULL || env.nmsgs != 1 || strcmp(env.msgs[0].id, "cmd:x") != 0)
		fail("writer output lost its cmd", b.s, NULL);
	for(i = 0; names[i][0]; i++) {
		if(strcmp(names[i], "id") == 0 || strcmp(names[i], "xmlns") == 0)
			continue;
		v = pchat_xccos_attr(n, names[i]);
		v2 = pchat_xccos_attr(d, names[i]);
		if((v == NULL) != (v2 == NULL) || (v && strcmp(v, v2) != 0))
			fail("attribute changed in a round trip", v ? v : "(null)", v2);
	}
	text2 = xmlNodeGetContent(d);
	/* CR is written as &#13;, everything else verbatim */
	if(text && text2 && strcmp((char *)text, (char *)text2) != 0)
		fail("text changed in a round trip", (char *)text, (char *)text2);
	xmlFree(text);
	xmlFree(text2);
	pchat_xccos_free(&env);
	pchat_xbuf_free(&b);
}

static void walk(xmlNodePtr n, int depth)
{
	xmlNodePtr c;
	const char *v;
	long long ms, ms2;
	char ts[40];
	int i;

	if(depth > 64)
		return;
	for(i = 0; names[i]; i++) {
		v = pchat_xccos_attr(n, names[i]);
		if(v == NULL)
			continue;
		if(pchat_xccos_attr(n, names[i]) != v)
			fail("attr is not stable", names[i], v);
		if(pchat_xccos_parse_ts(v, &ms) == 0) {
			pchat_xccos_format_ts(ts, ms);
			if(pchat_xccos_parse_ts(ts, &ms2) == 0 && ms2 != ms)
				fail("timestamp round trip", v, ts);
		}
		(void)pchat_xccos_name(v, "cmd:");
	}
	if(depth < 4)
		roundtrip(n);
	/* every element child, and the named lookups commands use */
	for(c = pchat_xccos_child(n, NULL); c; c = pchat_xccos_next(c, NULL)) {
		if(pchat_xccos_child(n, (const char *)c->name) == NULL)
			fail("child by name misses", (const char *)c->name, NULL);
		walk(c, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pchat_xccos_env_t env;
	const char *why = NULL;
	pchat_xccos_err_t e;
	int i;

	if(size > 1 << 20)
		return 0;
	e = pchat_xccos_parse((const char *)data, (int)size, 24576, &env, &why);
	if(e != PCHAT_XCCOS_OK) {
		if(why == NULL || env.doc != NULL || env.nmsgs != 0)
			abort();
		return 0;
	}
	if(why != NULL || env.nmsgs < 1 || env.nmsgs > PCHAT_XCCOS_MAX_MSGS)
		abort();
	for(i = 0; i < env.nmsgs; i++) {
		if(env.msgs[i].id == NULL || env.msgs[i].seqid == NULL)
			abort();
		(void)pchat_xccos_name(env.msgs[i].id, "cmd:");
		walk(env.msgs[i].node, 0);
	}
	pchat_xccos_free(&env);
	pchat_xccos_free(&env); /* safe twice */
	return 0;
}
