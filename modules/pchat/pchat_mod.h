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

/* Settings and bound APIs shared by the files of the module. */

#ifndef _PCHAT_MOD_H_
#define _PCHAT_MOD_H_

#include "core/str.h"
#include "modules/tm/tm_load.h"

extern struct tm_binds _pchat_tmb;

extern int pchat_session_expires; /* Session-Expires we offer, seconds */
extern int pchat_min_se;          /* smallest interval we accept */
extern int pchat_max_body;        /* largest XCCOS body accepted, bytes */
extern int pchat_max_reply;       /* largest reply envelope we send, bytes */
extern int pchat_max_preferences; /* preference bundles per user */
extern int pchat_max_preference_size; /* bytes of one bundle's content */
extern int pchat_retry_after;     /* Retry-After sent while storage is down */
extern str pchat_db_url;
extern int pchat_use_asserted_identity; /* user from P-Asserted-Identity */
extern str pchat_provision_pool_uri;    /* provisioned pool URI, or empty */
extern str pchat_room_management_url;   /* provisioned web manager, or empty */

#endif
