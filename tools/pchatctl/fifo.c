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
/* pchatctl: the jsonrpcs FIFO transport (see fifo.h). Knows no verb. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pchatctl.h"
#include "fifo.h"

/* jsonrpcs reads a request into 8192 bytes and gives up once it has read
 * 8191, counting the newline a previous client left after its request. A
 * longer request is not refused: its tail is read as the next request. */
#define PCTL_FIFO_MAX_REQUEST 8189

/* The reply FIFO, removed whatever way pchatctl ends. */
static char reply_path[PATH_MAX];
static volatile sig_atomic_t reply_fifo_made = 0;

static void remove_reply_fifo(void)
{
	if(reply_fifo_made) {
		unlink(reply_path);
		reply_fifo_made = 0;
	}
}

static void remove_reply_fifo_and_die(int sig)
{
	remove_reply_fifo();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void remove_reply_fifo_on_signals(void)
{
	static const int fatal[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction sa;
	unsigned int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = remove_reply_fifo_and_die;
	sigemptyset(&sa.sa_mask);
	for(i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
}

/* The reply name may hold no '/', '.' or '\' (jsonrpcs refuses those);
 * pid and a random number keep concurrent pchatctl runs apart. */
static void make_reply_name(char *name, size_t size)
{
	unsigned int nonce;

	if(getrandom(&nonce, sizeof(nonce), GRND_NONBLOCK) != sizeof(nonce))
		nonce = (unsigned int)time(NULL) ^ ((unsigned int)clock() << 16);
	snprintf(name, size, "pchatctl_%d_%u", (int)getpid(), nonce);
}

/* Opens the FIFO just made at reply_path for reading and checks that it is
 * the one made: a FIFO of ours with one link, not something another user
 * of a shared directory put in its place. -1 after saying why not. */
static int open_own_fifo(void)
{
	struct stat fst, lst;
	int fd;

	fd = open(reply_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if(fd < 0) {
		pctl_err("cannot open the reply FIFO %s: %s", reply_path,
				strerror(errno));
		return -1;
	}
	if(fstat(fd, &fst) < 0 || lstat(reply_path, &lst) < 0
			|| !S_ISFIFO(fst.st_mode) || fst.st_uid != geteuid()
			|| fst.st_nlink != 1 || fst.st_dev != lst.st_dev
			|| fst.st_ino != lst.st_ino) {
		pctl_err("reply FIFO %s was replaced", reply_path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Makes the reply FIFO next to the request FIFO, where jsonrpcs looks for
 * it (fifo_reply_dir + a name without '/': no private subdirectory is
 * possible). mkfifo() never follows a planted link; the mode is then set on
 * the opened FIFO, never by path. Returns the read end; name gets its name. */
static int make_reply_fifo(const char *fifo_path, const struct stat *fifo_st,
		char *name, size_t name_size)
{
	const char *slash = strrchr(fifo_path, '/');
	int dir_len;
	int tries;
	int fd;

	if(slash == NULL)
		dir_len = 0;
	else
		dir_len = slash == fifo_path ? 1 : (int)(slash - fifo_path);
	for(tries = 0; tries < 5; tries++) {
		make_reply_name(name, name_size);
		if(snprintf(reply_path, sizeof(reply_path), "%.*s%s%s", dir_len,
				   fifo_path, dir_len > 1 ? "/" : "", name)
				>= (int)sizeof(reply_path)) {
			pctl_err("FIFO path too long: %s", fifo_path);
			return -1;
		}
		if(mkfifo(reply_path, 0600) == 0) {
			reply_fifo_made = 1;
			break;
		}
		if(errno != EEXIST) {
			pctl_err("cannot create the reply FIFO %s: %s", reply_path,
					strerror(errno));
			return -1;
		}
	}
	if(!reply_fifo_made) {
		pctl_err("cannot find a free reply FIFO name next to %s", fifo_path);
		return -1;
	}
	fd = open_own_fifo();
	if(fd < 0)
		return -1;
	/* Kamailio running as another user (typically pchatctl run by root)
	 * has to be able to write the answer, and only to write it. */
	if(fifo_st->st_uid != geteuid() && fchmod(fd, 0622) < 0) {
		pctl_err("cannot open %s to Kamailio: %s", reply_path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* jsonrpcs finds the end of a request by counting braces outside strings,
 * and takes any quote preceded by a backslash for an escaped one: a value
 * ending in a backslash (written "...\\") would keep it inside the string
 * and waiting for more. JSON allows \u005c for a backslash, which does not
 * end in one. */
static char *escape_backslashes(const char *json)
{
	size_t n = 0;
	char *out;
	char *p;

	out = malloc(strlen(json) * 3 + 1); /* "\\" (2) becomes 6 at most */
	if(out == NULL)
		return NULL;
	p = out;
	while(json[n] != '\0') {
		if(json[n] == '\\' && json[n + 1] == '\\') {
			memcpy(p, "\\u005c", 6);
			p += 6;
			n += 2;
		} else if(json[n] == '\\' && json[n + 1] != '\0') {
			*p++ = json[n++]; /* any other escape is copied whole */
			*p++ = json[n++];
		} else {
			*p++ = json[n++];
		}
	}
	*p = '\0';
	return out;
}

/* One line: jsonrpcs reads the request up to its closing brace. */
static char *request_line(json_t *request, const char *reply_name)
{
	char *json;
	char *escaped;
	char *line;
	size_t len;

	if(json_object_set_new(request, "reply_name", json_string(reply_name)) < 0)
		return NULL;
	json = json_dumps(request, JSON_COMPACT);
	if(json == NULL)
		return NULL;
	escaped = escape_backslashes(json);
	free(json);
	if(escaped == NULL)
		return NULL;
	len = strlen(escaped);
	line = realloc(escaped, len + 2);
	if(line == NULL) {
		free(escaped);
		return NULL;
	}
	line[len] = '\n';
	line[len + 1] = '\0';
	return line;
}

/* Opens Kamailio's FIFO for writing; -1 after saying why not. */
static int open_request_fifo(const char *fifo_path, struct stat *st)
{
	int fd;

	if(stat(fifo_path, st) < 0) {
		if(errno == ENOENT)
			pctl_err("FIFO %s does not exist: is Kamailio running? (choose "
					 "another with --fifo or $%s)",
					fifo_path, PCTL_FIFO_ENV);
		else
			pctl_err("cannot use FIFO %s: %s", fifo_path, strerror(errno));
		return -1;
	}
	if(!S_ISFIFO(st->st_mode)) {
		pctl_err("%s is not a FIFO", fifo_path);
		return -1;
	}
	/* non-blocking: with no Kamailio reading, fail now instead of hanging */
	fd = open(fifo_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if(fd < 0) {
		if(errno == ENXIO)
			pctl_err("Kamailio is not running (no reader on FIFO %s)",
					fifo_path);
		else
			pctl_err("cannot open FIFO %s: %s", fifo_path, strerror(errno));
		return -1;
	}
	return fd;
}

static int send_request(int request_fd, const char *fifo_path, json_t *request,
		const char *reply_name, const pctl_deadline_t *deadline)
{
	pctl_io_t io;
	char *line;
	size_t len;

	line = request_line(request, reply_name);
	if(line == NULL) {
		pctl_err("out of memory");
		return -1;
	}
	len = strlen(line) - 1;
	if(len > PCTL_FIFO_MAX_REQUEST) {
		pctl_err("request too long for the FIFO (%zu bytes, at most %d): "
				 "use --url",
				len, PCTL_FIFO_MAX_REQUEST);
		free(line);
		return -1;
	}
	io = pctl_write_all(request_fd, line, len + 1, deadline);
	free(line);
	if(io == PCTL_IO_TIMEOUT) {
		pctl_err("Kamailio does not read FIFO %s", fifo_path);
		return -1;
	}
	if(io != PCTL_IO_DONE) {
		pctl_err("cannot write to FIFO %s: %s", fifo_path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Reads until Kamailio closes its end, which it does after the answer. */
static int read_reply(int reply_fd, const char *fifo_path, double timeout,
		const pctl_deadline_t *deadline, pctl_buf_t *reply)
{
	pctl_io_t io;

	while((io = pctl_read_some(reply_fd, reply, deadline)) == PCTL_IO_DONE)
		;
	if(io == PCTL_IO_TIMEOUT) {
		pctl_err("no answer from Kamailio on FIFO %s within %g s: is it "
				 "running?",
				fifo_path, timeout);
		return -1;
	}
	if(io == PCTL_IO_ERROR) {
		pctl_err("cannot read the answer from %s: %s", reply_path,
				strerror(errno));
		return -1;
	}
	if(reply->len == 0) {
		pctl_err("empty answer from Kamailio on FIFO %s", fifo_path);
		return -1;
	}
	return 0;
}

int pctl_fifo_call(const char *fifo_path, json_t *request, double timeout,
		pctl_buf_t *reply)
{
	pctl_deadline_t deadline;
	struct stat fifo_st;
	char reply_name[64];
	int request_fd;
	int reply_fd = -1;
	int rc = PCTL_EXIT_TRANSPORT;

	pctl_deadline_set(&deadline, timeout);
	request_fd = open_request_fifo(fifo_path, &fifo_st);
	if(request_fd < 0)
		return PCTL_EXIT_TRANSPORT;

	remove_reply_fifo_on_signals();
	/* Opened before sending: jsonrpcs gives up on a reply FIFO nobody
	 * reads within a few tries. Non-blocking, so the open itself does not
	 * wait for Kamailio. */
	reply_fd = make_reply_fifo(
			fifo_path, &fifo_st, reply_name, sizeof(reply_name));
	if(reply_fd < 0)
		goto done;
	if(send_request(request_fd, fifo_path, request, reply_name, &deadline) < 0)
		goto done;
	close(request_fd);
	request_fd = -1;
	if(read_reply(reply_fd, fifo_path, timeout, &deadline, reply) < 0)
		goto done;
	rc = PCTL_EXIT_OK;

done:
	if(request_fd >= 0)
		close(request_fd);
	if(reply_fd >= 0)
		close(reply_fd);
	remove_reply_fifo();
	return rc;
}
