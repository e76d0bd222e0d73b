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
/* XCCOS command execution: turns one parsed client envelope into the reply
 * envelope the server sends back in the same dialog. */

#ifndef _PCHAT_CMD_H_
#define _PCHAT_CMD_H_

#include "pchat_uri.h"
#include "pchat_xccos.h"

typedef enum pchat_cmd_rc
{
	PCHAT_CMD_OK = 0,          /* out holds the reply envelope */
	PCHAT_CMD_UNAVAILABLE = 1, /* storage down: answer SIP 503 */
	PCHAT_CMD_ERROR = -1       /* out of memory */
} pchat_cmd_rc_t;

typedef struct pchat_cmd_ctx
{
	pchat_uri_t *invited; /* the configured URI of the session's dialog */
	str user;             /* the client's identity (From URI) */
} pchat_cmd_ctx_t;

int pchat_cmd_init(void);

pchat_cmd_rc_t pchat_cmd_execute(pchat_cmd_ctx_t *ctx, pchat_xccos_env_t *env,
		pchat_xbuf_t *out);

#endif
