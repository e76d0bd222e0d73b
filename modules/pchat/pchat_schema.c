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
/* Store queries: compares the versions in table `version` with
 * PCHAT_SCHEMA_VERSION at startup and says which SQL script to run. Reads
 * through pchat_db only; closes the connection again (children open their
 * own). */

#include <stdlib.h>
#include <string.h>

#include "core/dprint.h"

#include "pchat_db.h"
#include "pchat_schema.h"

/* pchat tables and the version each must have in table `version`. */
static const char *_pchat_tables[] = {"pchat_config", "pchat_node",
		"pchat_group", "pchat_group_member", "pchat_role", "pchat_scope",
		"pchat_policy", "pchat_addin", "pchat_message", "pchat_invitation",
		"pchat_preference", "pchat_compliance_event",
		"pchat_compliance_participant", "pchat_compliance_state",
		"pchat_legal_hold", "pchat_follow", NULL};

int pchat_schema_check(void)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	int i, j, found, found_version = 0, ret = 0;

	rc = pchat_db_exec("SELECT table_name, table_version FROM version "
					   "WHERE table_name LIKE 'pchat\\_%'",
			&res);
	if(rc == PCHAT_STORE_UNAVAILABLE) {
		LM_WARN("cannot check the schema version now: the database is "
				"unreachable; pchat starts and answers 503 until it is back\n");
		pchat_db_close();
		return 0;
	}
	if(rc != PCHAT_STORE_OK) {
		LM_ERR("cannot read table `version`: load sql/pchat-create.sql into "
			   "the pchat database first\n");
		pchat_db_close();
		return -1;
	}
	for(i = 0; _pchat_tables[i]; i++) {
		found = -1;
		for(j = 0; j < res.nrows; j++) {
			if(res.rows[j][0] && strcmp(res.rows[j][0], _pchat_tables[i]) == 0)
				found = res.rows[j][1] ? atoi(res.rows[j][1]) : 0;
		}
		if(found == PCHAT_SCHEMA_VERSION)
			continue;
		if(found > found_version)
			found_version = found;
		ret = -1;
	}
	if(ret < 0) {
		if(found_version > PCHAT_SCHEMA_VERSION)
			LM_ERR("the pchat schema is version %d, newer than this pchat "
				   "(version %d): upgrade the pchat module\n",
					found_version, PCHAT_SCHEMA_VERSION);
		else if(found_version > 0)
			LM_ERR("the pchat schema is version %d, this pchat needs version "
				   "%d: run sql/upgrade/pchat-upgrade-%d-%d.sql (and any "
				   "later ones, in order)\n",
					found_version, PCHAT_SCHEMA_VERSION, found_version,
					found_version + 1);
		else
			LM_ERR("no pchat schema found: load sql/pchat-create.sql into the "
				   "pchat database\n");
	}
	pchat_db_res_free(&res);
	/* connections are per process: the children open their own */
	pchat_db_close();
	return ret;
}
