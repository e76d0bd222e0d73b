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
/* pchatctl test-message (Lync's Test-CsPersistentChatMessage): finds or
 * creates the test room over RPC, then runs the SIP half,
 * pchat-test-message, and passes on its verdict. */

#ifndef _PCHATCTL_HEALTH_H_
#define _PCHATCTL_HEALTH_H_

#include <jansson.h>

#include "rpc.h"

/* params: the verb's "name=value" strings (pctl_args_parse). Returns
 * PCTL_EXIT_OK when every step passed, PCTL_EXIT_RPC_ERROR when one failed
 * (Kamailio unreachable included: a monitor wants one failure status). */
int pctl_test_message(const pctl_target_t *target, json_t *params);

#endif
