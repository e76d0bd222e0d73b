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
/* export-data / import-data (Lync Export-/Import-CsPersistentChatData).
 * Like Lync's cmdlets (-DBInstance) they read and write the store itself:
 * a million messages through JSON-RPC would take far too long. The work is
 * done by the helper pchatctl-data (Python, the mariadb client, LOAD DATA);
 * after an import the service is asked to drop its caches. */

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pchatctl.h"
#include "data.h"

static int helper_path(char *buf, size_t size)
{
	const char *env = getenv(PCTL_DATA_ENV);
	char self[PATH_MAX];
	ssize_t n;

	if(env && *env) {
		snprintf(buf, size, "%s", env);
		return access(buf, X_OK);
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if(n > 0) {
		self[n] = '\0';
		snprintf(buf, size, "%s/pchatctl-data", dirname(self));
		if(access(buf, X_OK) == 0)
			return 0;
	}
	snprintf(buf, size, "%s", PCTL_DATA_HELPER);
	return access(buf, X_OK);
}

/* Runs the helper with "export"/"import" and the parameters; its own
 * messages go straight to the terminal. */
static int run_helper(const char *path, const pctl_verb_t *verb, json_t *params)
{
	size_t n = json_array_size(params), i;
	const char **argv;
	int status;
	pid_t pid;

	argv = calloc(n + 3, sizeof(*argv));
	if(argv == NULL) {
		pctl_err("out of memory");
		return PCTL_EXIT_TRANSPORT;
	}
	argv[0] = path;
	argv[1] = strcmp(verb->name, "export-data") == 0 ? "export" : "import";
	for(i = 0; i < n; i++)
		argv[i + 2] = json_string_value(json_array_get(params, i));
	fflush(stdout);
	pid = fork();
	if(pid == 0) {
		execv(path, (char *const *)argv);
		pctl_err("%s: cannot run %s: %s", verb->name, path, strerror(errno));
		_exit(PCTL_EXIT_TRANSPORT);
	}
	free(argv);
	if(pid < 0 || waitpid(pid, &status, 0) < 0) {
		pctl_err("%s: cannot run %s: %s", verb->name, path, strerror(errno));
		return PCTL_EXIT_TRANSPORT;
	}
	if(WIFEXITED(status))
		return WEXITSTATUS(status);
	pctl_err("%s: %s was killed by signal %d", verb->name, path,
			WTERMSIG(status));
	return PCTL_EXIT_RPC_ERROR;
}

/* The data is in the store whatever happens here: a service that cannot
 * be told sees it when its caches expire, within a second. */
static void drop_caches(const pctl_target_t *target, const pctl_verb_t *verb)
{
	json_t *params = json_array();
	json_t *result = NULL;

	if(target->url == NULL && access(target->fifo, W_OK) != 0) {
		fprintf(stderr,
				"%s: %s: no Kamailio FIFO at %s: a running service sees "
				"the import within a second (its caches expire)\n",
				PCTL_NAME, verb->name, target->fifo);
		json_decref(params);
		return;
	}
	if(params != NULL
			&& pctl_rpc_call(target, verb->name, verb->method, params, &result)
					   == PCTL_EXIT_OK)
		printf("the service dropped its caches (%s)\n", verb->method);
	else
		fprintf(stderr,
				"%s: %s: the import is done; the service sees it within a "
				"second (its caches expire)\n",
				PCTL_NAME, verb->name);
	json_decref(result);
	json_decref(params);
}

int pctl_data_run(
		const pctl_target_t *target, const pctl_verb_t *verb, json_t *params)
{
	char path[PATH_MAX];
	int rc;

	if(helper_path(path, sizeof(path)) != 0) {
		pctl_err("%s: cannot find its helper pchatctl-data (looked at $%s, "
				 "beside pchatctl, %s)",
				verb->name, PCTL_DATA_ENV, PCTL_DATA_HELPER);
		return PCTL_EXIT_TRANSPORT;
	}
	rc = run_helper(path, verb, params);
	if(rc == PCTL_EXIT_OK && verb->method != NULL)
		drop_caches(target, verb);
	return rc;
}

void pctl_help_data(FILE *out)
{
	fprintf(out,
			"\nReads or writes the pchat database directly with the mariadb "
			"client (like\nLync's -DBInstance), not through Kamailio. The "
			"database: --db-url, else\nthe db_url of --cfg, else "
			"$PCHAT_DB_URL, else the client's option files\n(~/.my.cnf [client]) "
			"and --db-name. import-data then asks the service (the\nglobal "
			"--fifo/--url) to drop its caches. Exit status 0 done, 1 failed "
			"(nothing\nimported), 2 usage error. File format and conflict "
			"rules: README, \"Export\nand import\". Examples:\n"
			"  %s export-data --file pchat.jsonl.gz --cfg "
			"/etc/kamailio/kamailio.cfg\n"
			"  %s import-data --file pchat.jsonl.gz --db-url "
			"mysql://pchat:pw@db2/pchat\n",
			PCTL_NAME, PCTL_NAME);
}
