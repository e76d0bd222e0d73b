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
/* Prints an RPC result for people (tables, key: value lines) or, with
 * --json, for programs. */

#ifndef _PCHATCTL_RENDER_H_
#define _PCHATCTL_RENDER_H_

#include <stdio.h>

#include <jansson.h>

/* An array of objects becomes a table, an object "key: value" lines, a
 * scalar itself. Returns 0, -1 when out of memory. */
int pctl_render(FILE *out, json_t *result, int as_json);

/* A copy of s safe to print to a terminal: control characters (C0, DEL,
 * C1) show escaped (\n, \x1b, \u009b), so a server reply cannot move the
 * cursor or rewrite the operator's screen. NULL when out of memory. */
char *pctl_printable(const char *s);

#endif
