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
/* Store layer: the module's own processes and their wake-up pipes (see
 * pchat_proc.h). */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cfg/cfg_struct.h"
#include "core/dprint.h"
#include "core/pt.h"
#include "core/sr_module.h"

#include "pchat_db.h"
#include "pchat_proc.h"

int pchat_proc_fork(const char *name, void (*loop)(int), int arg)
{
	int pid;

	pid = fork_process(PROC_NOCHLDINIT, (char *)name, 1);
	if(pid < 0) {
		LM_ERR("cannot start %s\n", name);
		return -1;
	}
	if(pid > 0)
		return pid;
	if(cfg_child_init() < 0)
		exit(-1);
	pchat_db_child_init();
	loop(arg);
	exit(0);
}

int pchat_proc_pipe(int fds[2], const char *what)
{
	if(pipe(fds) < 0) {
		LM_ERR("cannot create the %s pipe: %s\n", what, strerror(errno));
		return -1;
	}
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
	fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
	return 0;
}

void pchat_proc_wait(int fd, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char buf[64];

	if(poll(&pfd, 1, ms) > 0)
		while(read(fd, buf, sizeof(buf)) > 0)
			;
}
