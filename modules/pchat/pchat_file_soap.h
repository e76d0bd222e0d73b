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
/* Entry layer: Lync's SOAP 1.1 file web service operations (AppendChunk,
 * DownloadChunk, RequestUniqueFilenameWithExtension, GetMaxFileSizeInKB,
 * GetMaxRequestContentInKB, GetFileSize) over pchat's file store. */

#ifndef _PCHAT_FILE_SOAP_H_
#define _PCHAT_FILE_SOAP_H_

#include "core/parser/msg_parser.h"

/* Answers an HTTP POST of the file service: 1, or -1. */
int pchat_file_soap(sip_msg_t *msg);

#endif
