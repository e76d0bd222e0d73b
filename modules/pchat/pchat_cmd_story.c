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
/* Commands layer: stories and alerts on grpchat (doc/xccos.md 3.19): the
 * client's flags read strictly and held to storySizeLimit, and history
 * rows written with their flags or as text. */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pchat_cmd_room.h"
#include "pchat_cmd_story.h"

/* A boolean attribute: 0 absent or "false", 1 "true", -1 anything else. */
static int pchat_story_bool(xmlNodePtr node, const char *name)
{
	const char *v = pchat_xccos_attr(node, name);

	if(v == NULL || strcasecmp(v, "false") == 0)
		return 0;
	return strcasecmp(v, "true") == 0 ? 1 : -1;
}

/* Is there a character a one-line title may not hold (a control)? */
static int pchat_story_title_bad(const char *t)
{
	for(; *t; t++)
		if((unsigned char)*t < 0x20 || *t == 0x7f)
			return 1;
	return 0;
}

static int pchat_story_title(pchat_story_t *st, xmlNodePtr node,
		char *warn, int wlen)
{
	const char *t = pchat_xccos_attr(node, "title");
	int chars;

	if(t == NULL || !st->story) {
		snprintf(warn, wlen, t ? "title is only for a story (story=true)"
							   : "a story needs a title attribute");
		return 400;
	}
	chars = pchat_cmd_utf8_chars(t);
	if(chars == 0 || pchat_story_title_bad(t)) {
		snprintf(warn, wlen, "a story title is one line of 1 to %d "
							 "characters",
				PCHAT_STORY_TITLE_MAX);
		return 400;
	}
	if(chars > PCHAT_STORY_TITLE_MAX) {
		snprintf(warn, wlen, "story title of %d characters exceeds the "
							 "limit of %d",
				chars, PCHAT_STORY_TITLE_MAX);
		return 413;
	}
	st->title = xmlStrdup((const xmlChar *)t);
	return st->title ? 0 : -1;
}

int pchat_story_parse(xmlNodePtr node, const char *text,
		pchat_server_config_t *cfg, pchat_story_t *st, char *warn, int wlen)
{
	int chars, limit, rc;

	memset(st, 0, sizeof(*st));
	st->story = pchat_story_bool(node, "story");
	st->alert = pchat_story_bool(node, "alert");
	if(st->story < 0 || st->alert < 0) {
		snprintf(warn, wlen, "grpchat %s must be true or false",
				st->story < 0 ? "story" : "alert");
		return 400;
	}
	if((st->story || pchat_xccos_attr(node, "title"))
			&& (rc = pchat_story_title(st, node, warn, wlen)) != 0)
		return rc;
	/* a story's body has the larger limit of the two (storySizeLimit) */
	limit = st->story ? cfg->story_size_limit : cfg->message_size_limit;
	chars = pchat_cmd_utf8_chars(text);
	if(chars > limit) {
		snprintf(warn, wlen, "%s of %d characters exceeds the limit of %d",
				st->story ? "story" : "message", chars, limit);
		return 413;
	}
	return 0;
}

void pchat_story_free(pchat_story_t *st)
{
	if(st->title)
		xmlFree(st->title);
	st->title = NULL;
}

void pchat_cmd_write_msg_flags(pchat_xbuf_t *out, const char *elem,
		const char *chan_uri, char **row, char **flags, int ext)
{
	int story = flags[0] && flags[0][0] == '1';
	int alert = flags[1] && flags[1][0] == '1';

	pchat_cmd_write_msg_kind(
			out, elem, chan_uri, row, story, alert, flags[2], ext);
}

void pchat_cmd_write_msg_as(pchat_xbuf_t *out, const char *elem,
		const char *chan_uri, char **row, int ext)
{
	pchat_cmd_write_msg_flags(out, elem, chan_uri, row, row + 6, ext);
}
