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
/* Delivery of one envelope to every online participant of a room. The
 * roster is copied under its lock and the lock released before anything is
 * sent; each copy then goes out under its own session's lock only, so a
 * slow client never holds up the others and no global lock is taken. */

#ifndef _PCHAT_FANOUT_H_
#define _PCHAT_FANOUT_H_

#include "core/str.h"

/* Returns the number of sessions the envelope was handed to. An
 * envelope of the author edit/delete extension (ntc:msgupd, written by
 * pchat_cmd_edit.c) goes only to the sessions that declared it: it
 * travels as any notice (through the pool too) and is told apart here,
 * at the last step on every node. */
int pchat_fanout_room(long long room_id, str *body, unsigned int except_sess);

#endif
