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
/* The verb and option tables. Values are only described here, not
 * checked: the server is the one authority on what it accepts, so a newer
 * server never has to wait for a newer pchatctl. */

#include <stddef.h>
#include <string.h>

#include "verbs.h"

#define R PCTL_OPT_REQUIRED
#define M PCTL_OPT_REPEAT

#define BOOL "true|false"
#define WHO "PRINCIPAL"
#define WHO_HELP "sip:user@domain, domain:DOMAIN or group:NAME"

static const pctl_option_t no_options[] = {
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t category_new[] = {
		{"name", R, "NAME", "name of the new category"},
		{"parent", 0, "NAME", "parent category (default: the root)"},
		{"description", 0, "TEXT", "free text"},
		{"file-upload", 0, BOOL, "allow file uploads in its rooms"},
		{"invitations", 0, BOOL, "invite new members of its rooms"},
		{"chat-history", 0, BOOL, "keep the chat history of its rooms"},
		{"retention-days", 0, "N|none",
				"remove its rooms' messages older than N days (none: keep)"},
		{"allowed-member", M, WHO, "may join its rooms: " WHO_HELP},
		{"denied-member", M, WHO, "may never join its rooms"},
		{"creator", M, WHO, "may create rooms in it"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t category_get[] = {
		{"name", 0, "NAME", "only this category (default: all)"},
		{"result-size", 0, "N", "at most N categories"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t category_set[] = {
		{"name", R, "NAME", "the category to change"},
		{"new-name", 0, "NAME", "rename it"},
		{"parent", 0, "NAME", "move it under this category"},
		{"description", 0, "TEXT", "free text"},
		{"file-upload", 0, BOOL, "allow file uploads in its rooms"},
		{"invitations", 0, BOOL, "invite new members of its rooms"},
		{"chat-history", 0, BOOL, "keep the chat history of its rooms"},
		{"retention-days", 0, "N|none",
				"remove its rooms' messages older than N days (none: keep)"},
		{"add-allowed-member", M, WHO, WHO_HELP},
		{"remove-allowed-member", M, WHO, "no longer allowed"},
		{"add-denied-member", M, WHO, "may never join its rooms"},
		{"remove-denied-member", M, WHO, "no longer denied"},
		{"add-creator", M, WHO, "may create rooms in it"},
		{"remove-creator", M, WHO, "no longer a creator"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t name_only[] = {
		{"name", R, "NAME", "which one"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t optional_name[] = {
		{"name", 0, "NAME", "only this one (default: all)"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t optional_name_size[] = {
		{"name", 0, "NAME", "only this one (default: all)"},
		{"result-size", 0, "N", "at most N of them"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t room_new[] = {
		{"name", R, "NAME", "name of the new room"},
		{"category", R, "NAME", "category it belongs to"},
		{"description", 0, "TEXT", "free text, searched by get-room"},
		{"topic", 0, "TEXT", "topic shown to the members"},
		{"privacy", 0, "open|closed|secret", "who may find and join it"},
		{"type", 0, "normal|auditorium", "auditorium: only presenters post"},
		{"invitations", 0, "inherit|false", "invite new members"},
		{"addin", 0, "NAME", "add-in shown with the room"},
		{"disabled", 0, BOOL, "create it disabled"},
		{"member", M, WHO, WHO_HELP},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t room_get[] = {
		{"name", 0, "NAME", "only this room"},
		{"category", 0, "NAME", "only rooms of this category"},
		{"member", 0, WHO, "only rooms with this member"},
		{"manager", 0, WHO, "only rooms with this manager"},
		{"privacy", 0, "open|closed|secret", "only rooms this private"},
		{"type", 0, "normal|auditorium", "only rooms of this type"},
		{"disabled", 0, BOOL, "only disabled or enabled rooms"},
		{"search", 0, "TEXT", "substring of the name or description"},
		{"addin", 0, "NAME", "only rooms with this add-in"},
		{"invitations", 0, "inherit|false", "only rooms inviting so"},
		{"content-exceeds-mb", 0, "MB",
				"only rooms whose messages hold more than MB megabytes"},
		{"result-size", 0, "N", "at most N rooms"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t room_set[] = {
		{"name", R, "NAME", "the room to change"},
		{"new-name", 0, "NAME", "rename it"},
		{"category", 0, "NAME", "move it to this category"},
		{"description", 0, "TEXT", "free text"},
		{"topic", 0, "TEXT", "topic shown to the members"},
		{"privacy", 0, "open|closed|secret", "who may find and join it"},
		{"type", 0, "normal|auditorium", "auditorium: only presenters post"},
		{"invitations", 0, "inherit|false", "invite new members"},
		{"disabled", 0, BOOL, "a disabled room cannot be entered"},
		{"addin", 0, "NAME", "add-in shown with the room"},
		{"add-member", M, WHO, WHO_HELP},
		{"remove-member", M, WHO, "no longer a member"},
		{"add-manager", M, WHO, "may manage the room"},
		{"remove-manager", M, WHO, "no longer a manager"},
		{"add-presenter", M, WHO, "may post in an auditorium"},
		{"remove-presenter", M, WHO, "no longer a presenter"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t test_message[] = {
		{"server", 0, "HOST:PORT", "the SIP (TCP) address clients use "
				"(default 127.0.0.1:5060)"},
		{"room", 0, "NAME", "the test room (default pchat-health)"},
		{"category", 0, "NAME", "where the room is made if missing "
				"(default Root)"},
		{"timeout", 0, "S", "seconds for each SIP step (default 10)"},
		{"user-a", 0, "USER", "the poster (default pchat-health-a)"},
		{"user-b", 0, "USER", "the receiver (default pchat-health-b)"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t room_clear[] = {
		{"name", R, "NAME", "the room to clear"},
		{"end-date", R, "DATE", "ISO 8601: remove the messages up to then"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t message_remove[] = {
		{"room", R, "NAME", "the room holding the messages"},
		{"user", 0, "SIP-URI", "only messages of this sender"},
		{"filter", 0, "TEXT", "only messages containing this text"},
		{"match", 0, "all|any|exact", "how --filter matches"},
		{"case-sensitive", 0, BOOL, "how --filter matches"},
		{"start-date", 0, "DATE", "ISO 8601: messages from then"},
		{"end-date", 0, "DATE", "ISO 8601: messages up to then"},
		{"replace", 0, BOOL, "replace the text instead of removing"},
		{"replacement", 0, "TEXT", "the text put in its place"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t addin_new[] = {
		{"name", R, "NAME", "name of the new add-in"},
		{"url", R, "URL", "the page the clients show"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t addin_set[] = {
		{"name", R, "NAME", "the add-in to change"},
		{"new-name", 0, "NAME", "rename it"},
		{"url", 0, "URL", "the page the clients show"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t policy_grant[] = {
		{"scope", R, "global|domain:DOMAIN|user:SIP-URI", "who it applies to"},
		{"enabled", R, "true|false|default",
				"default removes this scope's policy"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t policy_get[] = {
		{"scope", 0, "global|domain:DOMAIN|user:SIP-URI", "only this scope"},
		{"user", 0, "SIP-URI", "the policy in effect for this user"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t group_new[] = {
		{"name", R, "NAME", "name of the new group"},
		{"description", 0, "TEXT", "free text"},
		{"member", M, "SIP-URI", "a user in the group"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t group_set[] = {
		{"name", R, "NAME", "the group to change"},
		{"new-name", 0, "NAME", "rename it (roles and walls follow)"},
		{"description", 0, "TEXT", "free text"},
		{"add-member", M, "SIP-URI", "a user joining the group"},
		{"remove-member", M, "SIP-URI", "a user leaving the group"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t eligible_principals[] = {
		{"filter", 0, "PATTERN", "wildcard, e.g. sip:*@example.com"},
		{"category", 0, "NAME", "only principals allowed in it"},
		{"result-size", 0, "N", "at most N users"},
		{NULL, 0, NULL, NULL},
};

#define HOLD_ONE "exactly one of --room, --category, --user"

static const pctl_option_t hold_new[] = {
		{"room", 0, "NAME|GUID|URI", "hold a room's messages (" HOLD_ONE ")"},
		{"category", 0, "NAME|GUID|URI", "hold the rooms below a category"},
		{"user", 0, "sip:user@domain", "hold a user's messages everywhere"},
		{"reason", 0, "TEXT", "why (free text)"},
		{"by", 0, "TEXT", "who asks (free text)"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t hold_remove[] = {
		{"room", 0, "NAME|GUID|URI", "lift a room's hold (" HOLD_ONE ")"},
		{"category", 0, "NAME|GUID|URI", "lift a category's hold"},
		{"user", 0, "sip:user@domain", "lift a user's hold"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t search[] = {
		{"text", 0, "TEXT", "a substring of the message (case and accents folded)"},
		{"who", M, "SIP-URI", "only messages of this author"},
		{"room", M, "NAME|GUID|URI", "only this room (default: every room)"},
		{"start-date", 0, "DATE", "ISO 8601: messages from then"},
		{"end-date", 0, "DATE", "ISO 8601: messages up to then"},
		{"result-size", 0, "N", "at most N messages (default 100)"},
		{"before", 0, "CURSOR", "the next page: the cursor of the last message shown"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t alert_get[] = {
		{"user", R, "sip:user@domain", "the user whose alert subscriptions to list"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t file_get[] = {
		{"room", 0, "NAME", "only the files of this room (default: all)"},
		{"result-size", 0, "N", "at most N files"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t file_remove[] = {
		{"name", R, "STORED-NAME", "the file's stored name (get-file)"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t follow_get[] = {
		{"user", R, "sip:user@domain", "whose followed rooms"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t hold_get[] = {
		{"type", 0, "room|category|user", "only holds of this kind"},
		{"result-size", 0, "N", "at most N holds"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t compliance_set[] = {
		{"enabled", 0, BOOL, "record compliance events"},
		{"adapter", 0, "xml|jsonl|", "output format; empty: nothing written"},
		{"output-dir", 0, "DIR", "absolute path the adapter writes to"},
		{"run-interval", 0, "SECONDS", "between adapter runs, 60-2592000"},
		{"one-room-per-file", 0, BOOL, "one output file per room"},
		{"add-room-details", 0, BOOL, "room names in the output"},
		{"add-user-details", 0, BOOL, "user e-mail addresses in the output"},
		{"xslt", 0, "FILE",
				"XSLT stylesheet applied to each xml file; empty: none"},
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t compliance_run[] = {
		{"wait", 0, "SECONDS",
				"wait this long for the run (default 8; give --timeout more)"},
		{NULL, 0, NULL, NULL},
};

#define DB_OPTIONS                                                      \
	{"db-url", 0, "URL", "mysql://user:password@host:port/database"},   \
			{"cfg", 0, "FILE", "read db_url from this Kamailio cfg"},   \
			{"db-name", 0, "NAME",                                      \
					"database, with ~/.my.cnf's account (default pchat)"}, \
			{"progress", PCTL_OPT_FLAG, "",                             \
					"show the progress bar even when not on a terminal"}

static const pctl_option_t data_export[] = {
		{"file", R, "FILE", "the file to write (gzip'ed JSON lines)"},
		{"level", 0, "full|config",
				"config: no messages, files, preferences, followed rooms "
				"or alerts (default full)"},
		{"date-from", 0, "DATE", "ISO 8601: only messages from then"},
		{"date-to", 0, "DATE", "ISO 8601: only messages up to then"},
		DB_OPTIONS,
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t data_import[] = {
		{"file", R, "FILE", "a file export-data wrote"},
		{"replace", PCTL_OPT_FLAG, "",
				"existing rooms, groups, settings... take the file's"},
		{"merge", PCTL_OPT_FLAG, "",
				"existing ones are kept, only messages added (default)"},
		DB_OPTIONS,
		{NULL, 0, NULL, NULL},
};

static const pctl_option_t state_set[] = {
		{"state", R, "active|drain",
				"drain: refuse new sessions, keep the ones here"},
		{NULL, 0, NULL, NULL},
};

const pctl_verb_t pctl_verbs[] = {
		{"new-category", "pchat.category_new", "create a category",
				PCTL_VERB_LISTED, category_new},
		{"get-category", "pchat.category_get", "list categories",
				PCTL_VERB_LISTED, category_get},
		{"set-category", "pchat.category_set", "change a category",
				PCTL_VERB_LISTED, category_set},
		{"remove-category", "pchat.category_remove", "remove an empty category",
				PCTL_VERB_LISTED, name_only},
		{"new-room", "pchat.room_new", "create a chat room", PCTL_VERB_LISTED,
				room_new},
		{"get-room", "pchat.room_get", "list or search chat rooms",
				PCTL_VERB_LISTED, room_get},
		{"set-room", "pchat.room_set", "change a chat room", PCTL_VERB_LISTED,
				room_set},
		{"remove-room", "pchat.room_remove", "remove a chat room",
				PCTL_VERB_LISTED, name_only},
		{"clear-room", "pchat.room_clear",
				"remove a room's messages up to a date", PCTL_VERB_LISTED,
				room_clear},
		{"remove-message", "pchat.message_remove",
				"remove or replace messages of a room", PCTL_VERB_LISTED,
				message_remove},
		{"new-addin", "pchat.addin_new", "register an add-in", PCTL_VERB_LISTED,
				addin_new},
		{"get-addin", "pchat.addin_get", "list add-ins", PCTL_VERB_LISTED,
				optional_name_size},
		{"set-addin", "pchat.addin_set", "change an add-in", PCTL_VERB_LISTED,
				addin_set},
		{"remove-addin", "pchat.addin_remove", "remove an add-in",
				PCTL_VERB_LISTED, name_only},
		{"grant-policy", "pchat.policy_grant",
				"enable or disable persistent chat for a scope",
				PCTL_VERB_LISTED, policy_grant},
		{"get-policy", "pchat.policy_get", "show persistent chat policies",
				PCTL_VERB_LISTED, policy_get},
		{"get-config", "pchat.config_get", "show the service settings",
				PCTL_VERB_LISTED, optional_name},
		{"set-config", "pchat.config_set", "change service settings",
				PCTL_VERB_ANY, no_options},
		{"get-compliance", "pchat.compliance_get",
				"show the compliance configuration", PCTL_VERB_LISTED,
				no_options},
		{"set-compliance", "pchat.compliance_set",
				"change the compliance configuration", PCTL_VERB_LISTED,
				compliance_set},
		{"run-compliance", "pchat.compliance_run",
				"run the compliance adapter now and wait for it",
				PCTL_VERB_LISTED, compliance_run},
		{"new-group", "pchat.group_new", "create a user group",
				PCTL_VERB_LISTED, group_new},
		{"get-group", "pchat.group_get", "list user groups", PCTL_VERB_LISTED,
				optional_name_size},
		{"set-group", "pchat.group_set", "change a user group",
				PCTL_VERB_LISTED, group_set},
		{"remove-group", "pchat.group_remove", "remove a user group",
				PCTL_VERB_LISTED, name_only},
		{"get-eligible-principal", "pchat.eligible_principals",
				"list users that may be given rights",
				PCTL_VERB_LISTED, eligible_principals},
		{"get-session", "pchat.sessions", "list connected chat sessions",
				PCTL_VERB_LISTED, no_options},
		{"status", "pchat.status", "show the state of the service",
				PCTL_VERB_LISTED, no_options},
		{"get-endpoint", "pchat.pool",
				"list the pool's nodes: state, rooms, sessions, heartbeat",
				PCTL_VERB_LISTED, no_options},
		{"get-state", "pchat.pool_state",
				"show whether this node takes new sessions (active) or drains",
				PCTL_VERB_LISTED, no_options},
		{"set-state", "pchat.pool_state",
				"put this node into drain, or back to active",
				PCTL_VERB_LISTED, state_set},
		{"new-hold", "pchat.hold_add",
				"put a legal hold: retention removes nothing it covers",
				PCTL_VERB_LISTED, hold_new},
		{"get-hold", "pchat.hold_list", "list the legal holds",
				PCTL_VERB_LISTED, hold_get},
		{"remove-hold", "pchat.hold_remove", "lift a legal hold",
				PCTL_VERB_LISTED, hold_remove},
		{"get-file", "pchat.file_list",
				"list posted files: room, names, uploader, size, SHA-256",
				PCTL_VERB_LISTED, file_get},
		{"remove-file", "pchat.file_remove",
				"remove a posted file (its post stays)", PCTL_VERB_LISTED,
				file_remove},
		{"run-retention", "pchat.retention_run",
				"ask the retention job for a run now", PCTL_VERB_LISTED,
				no_options},
		{"get-retention", "pchat.retention_status",
				"show the retention job: runs, removed, held, errors",
				PCTL_VERB_LISTED, no_options},
		{"search", "pchat.search",
				"search the chat history of every room, newest first",
				PCTL_VERB_LISTED, search},
		{"get-follow", "pchat.follow_list",
				"list the rooms a user follows: read mark, unread count",
				PCTL_VERB_LISTED, follow_get},
		{"get-alert", "pchat.alert_list",
				"list a user's keyword and author alerts", PCTL_VERB_LISTED,
				alert_get},
		{"test-message", "pchat.room_get, pchat.room_new",
				"synthetic test: two users sign in, join, post, receive",
				PCTL_VERB_HEALTH, test_message},
		{"export-data", NULL,
				"write the store's rooms, settings and messages to a file",
				PCTL_VERB_DATA, data_export},
		{"import-data", "pchat.caches_drop",
				"load a file of export-data into the store", PCTL_VERB_DATA,
				data_import},
		{"rpc", NULL, "send any RPC method, parameters as given", PCTL_VERB_RAW,
				no_options},
		{NULL, NULL, NULL, 0, NULL},
};

/* the RPCs that call pchat_admin_comply*() (modules/pchat) */
static const char *const records_who[] = {"pchat.category_new",
		"pchat.category_set", "pchat.category_remove", "pchat.room_new",
		"pchat.room_set", "pchat.room_remove", "pchat.room_clear",
		"pchat.message_remove", NULL};

int pctl_verb_records_who(const pctl_verb_t *verb)
{
	int i;

	for(i = 0; verb->method && records_who[i]; i++)
		if(strcmp(verb->method, records_who[i]) == 0)
			return 1;
	return 0;
}

const pctl_verb_t *pctl_verb_find(const char *name)
{
	const pctl_verb_t *verb;

	for(verb = pctl_verbs; verb->name != NULL; verb++) {
		if(strcmp(verb->name, name) == 0)
			return verb;
	}
	return NULL;
}

/* name need not be NUL-terminated: "--name=value" is looked up in place. */
const pctl_option_t *pctl_option_find(
		const pctl_verb_t *verb, const char *name, int name_len)
{
	const pctl_option_t *opt;

	for(opt = verb->options; opt->name != NULL; opt++) {
		if(strncmp(opt->name, name, name_len) == 0
				&& opt->name[name_len] == '\0')
			return opt;
	}
	return NULL;
}
