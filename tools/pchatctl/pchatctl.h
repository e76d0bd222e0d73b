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
/* What every part of pchatctl shares: the exit codes scripts rely on and
 * the one way of telling the user something went wrong. */

#ifndef _PCHATCTL_H_
#define _PCHATCTL_H_

#define PCTL_NAME "pchatctl"

/* Exit codes; documented in --help, so keep them stable. */
#define PCTL_EXIT_OK 0
#define PCTL_EXIT_RPC_ERROR 1 /* the server answered with an error */
#define PCTL_EXIT_USAGE 2	  /* bad command line, nothing was sent */
#define PCTL_EXIT_TRANSPORT 3 /* Kamailio could not be reached */

/* Where pchat-run's Kamailio listens, relative to the project directory. */
#define PCTL_DEFAULT_FIFO ".run/kamailio/kamailio_rpc.fifo"
#define PCTL_FIFO_ENV "PCHAT_RPC_FIFO"
#define PCTL_DEFAULT_TIMEOUT 10.0 /* seconds */

/* Prints "pchatctl: <message>\n" on stderr. */
void pctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
