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
/* Commands layer: the alert subscription commands (pchat_cmd_alert.c). */

#ifndef _PCHAT_CMD_ALERT_H_
#define _PCHAT_CMD_ALERT_H_

#include "pchat_cmd_room.h"

pchat_cmd_rc_t pchat_cmd_alertadd(PCHAT_CMD_ARGS);
pchat_cmd_rc_t pchat_cmd_alertlist(PCHAT_CMD_ARGS);
pchat_cmd_rc_t pchat_cmd_alertdel(PCHAT_CMD_ARGS);

#endif
