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
/* Entry layer (SIP side): in-band provisioning of Lync-style clients. */

#ifndef _PCHAT_PROVISION_H_
#define _PCHAT_PROVISION_H_

#include "core/parser/msg_parser.h"

/* Answers a SUBSCRIBE with Event: vnd-microsoft-provisioning-v2 by a 200
 * carrying the persistentChatConfiguration document. Returns 1 when it
 * answered, -1 when the request is not such a SUBSCRIBE. */
int pchat_provision(struct sip_msg *msg);

#endif
