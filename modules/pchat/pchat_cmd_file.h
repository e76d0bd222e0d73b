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
/* Commands layer: what the file service (pchat_file_http.c) asks of the
 * rooms - the post announcing a completed upload, the download's access
 * check and its compliance event. The token commands are in
 * pchat_cmd_room.h (pchat_cmd_getftok). */

#ifndef _PCHAT_CMD_FILE_H_
#define _PCHAT_CMD_FILE_H_

#include "pchat_file.h"

/* Posts "[file] <name> (<size>) ma-filelink://<domain>/<room>/<stored>"
 * into the file's room as its uploader, with a FILEUPLOAD event (stored
 * name; original name, size and SHA-256 in detail) when compliance is on. */
pchat_store_rc_t pchat_cmd_file_posted(pchat_file_t *f);

/* May the token's user still read its room? 1 yes, 0 no (*why says why),
 * < 0 PCHAT_STORE_*. Checked on every download request, so a member
 * removed after the token was issued is refused. */
int pchat_cmd_file_may_read(pchat_ftoken_t *t, const char **why);

/* The FILEDOWNLOAD event (stored name) when compliance is on. */
pchat_store_rc_t pchat_cmd_file_downloaded(pchat_ftoken_t *t, pchat_file_t *f);

#endif
