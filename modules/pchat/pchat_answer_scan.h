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
/* Base layer: reads the status code and the top Via's branch of a SIP
 * reply from its raw bytes, so that answers to pchat's own INFOs can be
 * taken before the core parses them (pchat_deliver_take_raw). Pure C,
 * unit-tested and fuzzed. */

#ifndef _PCHAT_ANSWER_SCAN_H_
#define _PCHAT_ANSWER_SCAN_H_

/* Returns 1 and sets *code (100-699), *branch and *branch_len when buf is
 * a reply whose first Via header's first value has a branch parameter;
 * 0 for anything else, including whatever is not plain enough to read with
 * certainty (folded lines, a header name with odd bytes): the caller
 * leaves those to the core's parser. Never reads past buf + len. */
int pchat_answer_scan(const char *buf, int len, int *code, const char **branch,
		int *branch_len);

#endif
