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
/* pchatctl test-message: the room step over RPC here, the SIP steps in the
 * pchat-test-message helper (a client's sign-in, join, post and receive),
 * which is found beside pchatctl or named by $PCHAT_TEST_CLIENT. */

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pchatctl.h"
#include "health.h"

#define HEALTH_VERB "test-message"
#define HEALTH_CLIENT "pchat-test-message"
#define HEALTH_CLIENT_ENV "PCHAT_TEST_CLIENT"

typedef struct health_opts
{
	const char *server, *room, *category, *timeout, *user_a, *user_b;
} health_opts_t;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* "name=value" params back into the options (names are the table's) */
static void health_read(json_t *params, health_opts_t *o)
{
	static const char *names[] = {
			"server", "room", "category", "timeout", "user_a", "user_b"};
	const char **slot[] = {&o->server, &o->room, &o->category, &o->timeout,
			&o->user_a, &o->user_b};
	size_t i, n, k;
	const char *p;

	for(i = 0; i < json_array_size(params); i++) {
		p = json_string_value(json_array_get(params, i));
		for(k = 0; p && k < sizeof(names) / sizeof(names[0]); k++) {
			n = strlen(names[k]);
			if(strncmp(p, names[k], n) == 0 && p[n] == '=')
				*slot[k] = p + n + 1;
		}
	}
}

static int health_call(const pctl_target_t *t, const char *method,
		json_t *params, json_t **result)
{
	int rc = pctl_rpc_call(t, HEALTH_VERB, method, params, result);

	json_decref(params);
	return rc;
}

/* The room's URI (malloc'd) from room_get, or from room_new when there is
 * none of that name yet: an open room in the given category. */
static char *health_room(const pctl_target_t *t, const health_opts_t *o)
{
	json_t *res = NULL, *room;
	char name[300], cat[300];
	const char *uri;
	char *out = NULL;

	snprintf(name, sizeof(name), "name=%s", o->room);
	if(health_call(t, "pchat.room_get", json_pack("[s]", name), &res)
			!= PCTL_EXIT_OK)
		return NULL;
	if(json_array_size(res) == 0) {
		json_decref(res);
		res = NULL;
		snprintf(cat, sizeof(cat), "category=%s", o->category);
		if(health_call(t, "pchat.room_new",
				   json_pack("[ssss]", name, cat, "privacy=open",
						   "description=synthetic health test "
						   "(pchatctl test-message)"),
				   &res)
				!= PCTL_EXIT_OK)
			return NULL;
	}
	room = json_is_array(res) ? json_array_get(res, 0) : res;
	uri = json_string_value(json_object_get(room, "uri"));
	if(uri == NULL)
		pctl_err("%s: the server named no URI for room '%s'", HEALTH_VERB,
				o->room);
	else
		out = strdup(uri);
	json_decref(res);
	return out;
}

/* $PCHAT_TEST_CLIENT, else beside this program, one directory up (the
 * source tree: tools/pchatctl/pchatctl and tools/pchat-test-message), or in
 * ../libexec/pchat (installed: /usr/bin/pchatctl, /usr/libexec/pchat) */
static int health_client(char *path, size_t size)
{
	char self[PATH_MAX];
	const char *env = getenv(HEALTH_CLIENT_ENV);
	ssize_t n;
	char *dir;

	if(env && *env) {
		snprintf(path, size, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if(n < 0)
		return -1;
	self[n] = '\0';
	dir = dirname(self);
	snprintf(path, size, "%s/%s", dir, HEALTH_CLIENT);
	if(access(path, X_OK) == 0)
		return 0;
	snprintf(path, size, "%s/../%s", dir, HEALTH_CLIENT);
	if(access(path, X_OK) == 0)
		return 0;
	snprintf(path, size, "%s/../libexec/pchat/%s", dir, HEALTH_CLIENT);
	return access(path, X_OK);
}

static int health_run(const health_opts_t *o, const char *uri)
{
	char client[PATH_MAX], host[256];
	const char *argv[16], *colon = strrchr(o->server, ':');
	int argc = 0, status;
	pid_t pid;

	if(colon == NULL || colon == o->server
			|| (size_t)(colon - o->server) >= sizeof(host)) {
		pctl_err("%s: --server wants HOST:PORT, not '%s'", HEALTH_VERB,
				o->server);
		return PCTL_EXIT_USAGE;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - o->server), o->server);
	if(health_client(client, sizeof(client)) < 0) {
		pctl_err("%s: cannot find %s (set $%s)", HEALTH_VERB, HEALTH_CLIENT,
				HEALTH_CLIENT_ENV);
		return PCTL_EXIT_RPC_ERROR;
	}
	argv[argc++] = client;
	argv[argc++] = "--host";
	argv[argc++] = host;
	argv[argc++] = "--port";
	argv[argc++] = colon + 1;
	argv[argc++] = "--room-uri";
	argv[argc++] = uri;
	argv[argc++] = "--timeout";
	argv[argc++] = o->timeout;
	if(o->user_a) {
		argv[argc++] = "--user-a";
		argv[argc++] = o->user_a;
	}
	if(o->user_b) {
		argv[argc++] = "--user-b";
		argv[argc++] = o->user_b;
	}
	argv[argc] = NULL;
	fflush(stdout);
	pid = fork();
	if(pid < 0) {
		pctl_err("%s: fork: %s", HEALTH_VERB, strerror(errno));
		return PCTL_EXIT_RPC_ERROR;
	}
	if(pid == 0) {
		execv(client, (char *const *)argv);
		pctl_err("%s: cannot run %s: %s", HEALTH_VERB, client, strerror(errno));
		_exit(127);
	}
	while(waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? PCTL_EXIT_OK
	       : WIFEXITED(status) && WEXITSTATUS(status) == 2 ? PCTL_EXIT_USAGE
															  : PCTL_EXIT_RPC_ERROR;
}

int pctl_test_message(const pctl_target_t *target, json_t *params)
{
	health_opts_t o = {"127.0.0.1:5060", "pchat-health", "Root", "10", NULL,
			NULL};
	double t0 = now_ms();
	char *uri;
	int rc;

	health_read(params, &o);
	printf("test-message: room '%s' through %s\n", o.room, o.server);
	uri = health_room(target, &o);
	if(uri == NULL) {
		printf("test-message: failed at the room step (RPC)\n");
		return PCTL_EXIT_RPC_ERROR;
	}
	printf("  %-28s %8.1f ms\n", "room (RPC)", now_ms() - t0);
	rc = health_run(&o, uri);
	free(uri);
	return rc;
}
