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
/* Commands layer: stories and alerts, the grpchat extension of doc/xccos.md
 * 3.19: the flags a client sends, their limits, and a message written in
 * the form its reader understands (flags, or plain text). */

#ifndef _PCHAT_CMD_STORY_H_
#define _PCHAT_CMD_STORY_H_

#include <libxml/tree.h>

#include "pchat_config.h"
#include "pchat_xccos.h"

/* The longest story title, in characters (pchat_message.story_title). */
#define PCHAT_STORY_TITLE_MAX 256
/* How a plain client sees an alert: its text after this. */
#define PCHAT_ALERT_PREFIX "[alert] "

typedef struct pchat_story
{
	int story;      /* a story: title plus a body of storySizeLimit */
	int alert;      /* an alert: shown highlighted */
	xmlChar *title; /* the story's title, NULL for none; pchat_story_free */
} pchat_story_t;

/* Reads the flags of a client's grpchat (node) and checks them with the
 * body text against cfg's limits. 0, or the SIP code of the refusal (400
 * malformed, 413 over a limit) with why written into warn; -1 out of
 * memory. */
int pchat_story_parse(xmlNodePtr node, const char *text,
		pchat_server_config_t *cfg, pchat_story_t *st, char *warn, int wlen);
void pchat_story_free(pchat_story_t *st);

/* One message as pchat_cmd_write_msg() writes it, with the story columns:
 * row = seq, ts_ms, author, content, author_change, changed_ms, is_story,
 * is_alert, story_title. ext: the reader declared pchat-story and gets
 * the flags; else a story is "title CRLF CRLF body" and an alert
 * PCHAT_ALERT_PREFIX "text". */
void pchat_cmd_write_msg_as(pchat_xbuf_t *out, const char *elem,
		const char *chan_uri, char **row, int ext);

/* The same with the story columns elsewhere: flags = is_story, is_alert,
 * story_title (a search row carries them after its room). */
void pchat_cmd_write_msg_flags(pchat_xbuf_t *out, const char *elem,
		const char *chan_uri, char **row, char **flags, int ext);

/* The columns of pchat_message that complete a row of
 * pchat_cmd_write_msg_as() after changed_ms. */
#define PCHAT_STORY_COLS "is_story, is_alert, story_title"

#endif
