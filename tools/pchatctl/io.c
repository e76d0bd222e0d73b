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
/* pchatctl: non-blocking I/O under one deadline, shared by both
 * transports. Knows no verb. */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "io.h"

/* A reply larger than this is taken for a runaway peer, not an answer. */
#define PCTL_MAX_REPLY (64 * 1024 * 1024)
#define PCTL_READ_CHUNK 65536

void pctl_deadline_set(pctl_deadline_t *deadline, double seconds)
{
	long long ns;

	clock_gettime(CLOCK_MONOTONIC, &deadline->at);
	ns = deadline->at.tv_nsec + (long long)(seconds * 1e9);
	deadline->at.tv_sec += ns / 1000000000LL;
	deadline->at.tv_nsec = ns % 1000000000LL;
}

static int ms_left(const pctl_deadline_t *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->at.tv_sec - now.tv_sec) * 1000LL
		 + (deadline->at.tv_nsec - now.tv_nsec) / 1000000LL;
	if(ms < 0)
		return 0;
	return ms > 1000000000LL ? 1000000000 : (int)ms;
}

pctl_io_t pctl_wait_fd(int fd, short events, const pctl_deadline_t *deadline)
{
	struct pollfd pfd;
	int n;

	for(;;) {
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, ms_left(deadline));
		if(n > 0)
			return PCTL_IO_DONE; /* POLLHUP/POLLERR: the next call says */
		if(n == 0)
			return PCTL_IO_TIMEOUT;
		if(errno != EINTR)
			return PCTL_IO_ERROR;
	}
}

pctl_io_t pctl_write_all(
		int fd, const char *data, size_t len, const pctl_deadline_t *deadline)
{
	pctl_io_t waited;
	ssize_t n;

	while(len > 0) {
		n = write(fd, data, len);
		if(n > 0) {
			data += n;
			len -= n;
			continue;
		}
		if(n < 0 && errno != EAGAIN && errno != EINTR)
			return PCTL_IO_ERROR;
		waited = pctl_wait_fd(fd, POLLOUT, deadline);
		if(waited != PCTL_IO_DONE)
			return waited;
	}
	return PCTL_IO_DONE;
}

static int buf_reserve(pctl_buf_t *buf, size_t more)
{
	size_t size;
	char *s;

	if(buf->len + more + 1 <= buf->size)
		return 0;
	if(buf->len + more > PCTL_MAX_REPLY) {
		errno = EFBIG;
		return -1;
	}
	size = buf->size ? buf->size : PCTL_READ_CHUNK;
	while(size < buf->len + more + 1)
		size *= 2;
	s = realloc(buf->s, size);
	if(s == NULL)
		return -1;
	buf->s = s;
	buf->size = size;
	return 0;
}

pctl_io_t pctl_read_some(
		int fd, pctl_buf_t *buf, const pctl_deadline_t *deadline)
{
	pctl_io_t waited;
	ssize_t n;

	if(buf_reserve(buf, PCTL_READ_CHUNK) < 0)
		return PCTL_IO_ERROR;
	for(;;) {
		/* wait first: a FIFO read before any writer came would say EOF */
		waited = pctl_wait_fd(fd, POLLIN, deadline);
		if(waited != PCTL_IO_DONE)
			return waited;
		n = read(fd, buf->s + buf->len, PCTL_READ_CHUNK);
		if(n > 0) {
			buf->len += n;
			buf->s[buf->len] = '\0';
			return PCTL_IO_DONE;
		}
		if(n == 0)
			return PCTL_IO_EOF;
		if(errno != EAGAIN && errno != EINTR)
			return PCTL_IO_ERROR;
	}
}

void pctl_buf_free(pctl_buf_t *buf)
{
	free(buf->s);
	buf->s = NULL;
	buf->len = buf->size = 0;
}
