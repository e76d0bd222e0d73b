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
/* Non-blocking I/O bounded by one deadline, shared by both transports:
 * --timeout covers the whole exchange, not each step of it. */

#ifndef _PCHATCTL_IO_H_
#define _PCHATCTL_IO_H_

#include <stddef.h>
#include <time.h>

typedef struct pctl_deadline
{
	struct timespec at; /* CLOCK_MONOTONIC */
} pctl_deadline_t;

typedef enum pctl_io
{
	PCTL_IO_DONE,	 /* did what was asked (data read or all written) */
	PCTL_IO_EOF,	 /* the other end closed */
	PCTL_IO_TIMEOUT, /* the deadline passed */
	PCTL_IO_ERROR	 /* see errno */
} pctl_io_t;

/* A growing, always NUL-terminated byte buffer. */
typedef struct pctl_buf
{
	char *s;
	size_t len;
	size_t size;
} pctl_buf_t;

void pctl_deadline_set(pctl_deadline_t *deadline, double seconds);

/* Waits until fd is ready for events (POLLIN/POLLOUT). */
pctl_io_t pctl_wait_fd(int fd, short events, const pctl_deadline_t *deadline);

/* Writes all of data to the non-blocking fd. */
pctl_io_t pctl_write_all(
		int fd, const char *data, size_t len, const pctl_deadline_t *deadline);

/* Appends what the non-blocking fd has, waiting for at least one byte. */
pctl_io_t pctl_read_some(
		int fd, pctl_buf_t *buf, const pctl_deadline_t *deadline);

void pctl_buf_free(pctl_buf_t *buf);

#endif
