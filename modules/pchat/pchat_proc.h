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
/* Store layer: the module's own processes (post writer, store workers,
 * compliance export, retention): forking one with its own configuration
 * and MySQL connection, and the pipe that wakes it. */

#ifndef _PCHAT_PROC_H_
#define _PCHAT_PROC_H_

/* From child_init(PROC_MAIN), after register_procs(): forks a process
 * named name that runs loop(arg) and never comes back. The parent gets
 * the child's pid, or -1 (logged). */
int pchat_proc_fork(const char *name, void (*loop)(int), int arg);

/* A wake-up pipe with both ends non-blocking: 0, or -1 (logged). */
int pchat_proc_pipe(int fds[2], const char *what);

/* Waits up to ms for a byte on the pipe's read end, then empties it. */
void pchat_proc_wait(int fd, int ms);

#endif
