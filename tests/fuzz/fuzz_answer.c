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
 * libFuzzer target: pchat_answer_scan() (the raw reading of an answer's
 * status and top Via branch, run on every message a chat node receives)
 * on any bytes. The input is copied to a buffer of exactly its size, so a
 * read past the end is an ASan report; a branch found must lie inside the
 * input and hold no separator.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pchat_answer_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	const char *b = NULL;
	int code = 0, blen = 0, i;

	if(buf == NULL)
		return 0;
	memcpy(buf, data, size);
	if(pchat_answer_scan(buf, (int)size, &code, &b, &blen)) {
		if(code < 100 || code > 699 || blen <= 0 || b < buf
				|| b + blen > buf + size)
			abort();
		for(i = 0; i < blen; i++)
			if(b[i] == ';' || b[i] == ',' || b[i] == ' ' || b[i] == '\r'
					|| b[i] == '\n' || b[i] == '\t')
				abort();
	}
	free(buf);
	return 0;
}
