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
 * libFuzzer target: one client envelope through pchat_cmd_execute(), i.e.
 * the XCCOS parser and the argument decoding of every command (join,
 * bjoin, part, bccontext, chansrch, getpref, setpref, getserverinfo,
 * grpchat, ...), against the fake store of fuzzstub.c. The first byte
 * picks a store call to fail; the rest is the INFO body. Every reply and
 * delivery must parse again; no pkg block may outlive the input.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pchat_cmd.h"
#include "pchat_mod.h"
#include "kamstub.h"

#include "fuzzstub.h"

static pchat_uri_t invited = {PCHAT_URI_SERVICE,
		{"sip:pchat@example.com", 21}, {"pchat", 5}, {"example.com", 11},
		NULL};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if(pchat_cmd_init() < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pchat_cmd_ctx_t ctx;
	pchat_xccos_env_t env;
	pchat_xbuf_t out;
	pchat_cmd_rc_t rc;
	long live;
	unsigned char flags;

	if(size < 1 || size > (size_t)pchat_max_body + 1)
		return 0;
	flags = data[0];
	fuzz_store_reset(flags & 0x0f, flags & 0x10);
	fuzz_roster_init();
	live = kam_pkg_live();
	if(pchat_xccos_parse((const char *)data + 1, (int)size - 1, pchat_max_body,
			   &env, NULL)
			!= PCHAT_XCCOS_OK)
		return 0;
	memset(&ctx, 0, sizeof(ctx));
	ctx.invited = &invited;
	ctx.user.s = "sip:alice@example.com";
	ctx.user.len = strlen(ctx.user.s);
	ctx.sess_hid = 1;
	ctx.sess_id = 100;
	/* bits 5-7: a pkg allocation fails too */
	kam_pkg_fail_at((flags >> 5) & 0x07);
	pchat_xbuf_init(&out);
	rc = pchat_cmd_execute(&ctx, &env, &out);
	kam_pkg_fail_at(0);
	if(rc == PCHAT_CMD_OK && out.len > 0) {
		if(out.len > pchat_max_reply) {
			fprintf(stderr, "reply of %d bytes exceeds max_reply %d\n",
					out.len, pchat_max_reply);
			abort();
		}
		fuzz_check_envelope("reply", out.s, out.len);
	}
	if(ctx.sip_code != 0 && (ctx.sip_code < 400 || ctx.sip_code > 599))
		abort();
	pchat_cmd_flush(&ctx);
	pchat_xbuf_free(&out);
	pchat_xccos_free(&env);
	if(kam_pkg_live() != live) {
		fprintf(stderr, "%ld pkg blocks leaked\n", kam_pkg_live() - live);
		abort();
	}
	return 0;
}
