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
/* Admin RPCs for rooms and their history (Lync New-/Get-/Set-/Remove-/
 * Clear-CsPersistentChatRoom, Remove-CsPersistentChatMessage). */

#include <stdlib.h>
#include <string.h>

#include "pchat_admin.h"
#include "pchat_admin_comply.h"
#include "pchat_cmd_room.h"
#include "pchat_fanout.h"
#include "pchat_mod.h"
#include "pchat_admin_rpc.h"
#include "pchat_revoke.h"
#include "pchat_textmatch.h"
#include "pchat_wall.h"

/* Names, descriptions and topics are VARCHAR(256) in utf8mb4: the limit is
 * in characters, and a character takes up to 4 bytes. */
#define PCHAT_TEXT_CHARS 256
#define PCHAT_TEXT_MAX (PCHAT_TEXT_CHARS * 4 + 1)
/* message_remove: the keyword filter and the replacement text */
#define PCHAT_LONG_CHARS 1024
#define PCHAT_LONG_MAX (PCHAT_LONG_CHARS * 4 + 1)
/* candidate messages read per round trip by message_remove */
#define PCHAT_MSG_BATCH 500

#define PCHAT_DEFAULT_REPLACEMENT \
	"This message was replaced by the Persistent Chat administrator."

static const char *pchat_privacy_values[] = {"open", "closed", "secret", NULL};
static const char *pchat_type_values[] = {"normal", "auditorium", NULL};
static const char *pchat_invitations_values[] = {"inherit", "false", NULL};
static const char *pchat_match_values[] = {"all", "any", "exact", NULL};

/* ---------------------------------------------------------------------- */
/* Arguments                                                               */
/* ---------------------------------------------------------------------- */

/* Number of UTF-8 characters in v; -1 when v is not valid UTF-8. */
static int pchat_utf8_chars(str *v)
{
	const unsigned char *p = (const unsigned char *)v->s;
	const unsigned char *end = p + v->len;
	int n = 0, follow;

	while(p < end) {
		if(*p < 0x80)
			follow = 0;
		else if((*p & 0xe0) == 0xc0 && *p >= 0xc2)
			follow = 1;
		else if((*p & 0xf0) == 0xe0)
			follow = 2;
		else if((*p & 0xf8) == 0xf0 && *p <= 0xf4)
			follow = 3;
		else
			return -1;
		if(end - p <= follow)
			return -1;
		for(p++; follow > 0; follow--, p++) {
			if((*p & 0xc0) != 0x80)
				return -1;
		}
		n++;
	}
	return n;
}

/* A single text field of at most chars characters, copied to buf (size
 * chars * 4 + 1). MySQL would refuse bad UTF-8 with an opaque error: say
 * which field it was instead. */
static int pchat_room_text(
		pchat_args_t *args, const char *key, int chars, char *buf, int size)
{
	str v;
	int r = pchat_args_str(args, key, &v), n;

	if(r <= 0)
		return r;
	n = pchat_utf8_chars(&v);
	if(n < 0 || memchr(v.s, '\0', v.len))
		return pchat_args_error(args, 400, "field '%s': not valid UTF-8", key);
	if(n > chars || v.len >= size)
		return pchat_args_error(
				args, 400, "field '%s': longer than %d characters", key, chars);
	memcpy(buf, v.s, v.len);
	buf[v.len] = '\0';
	return 1;
}

static int pchat_room_need(
		pchat_args_t *args, const char *key, int chars, char *buf, int size)
{
	int r = pchat_room_text(args, key, chars, buf, size);

	if(r == 0)
		return pchat_args_error(args, 400, "field '%s' is required", key);
	if(r > 0 && buf[0] == '\0')
		return pchat_args_error(args, 400, "field '%s' must not be empty", key);
	return r;
}

/* Parses every principal of the repeated fields in keys, so that a bad one
 * is a 400 before the store is touched (this also marks them used for
 * pchat_args_done()). */
static int pchat_room_parse_lists(pchat_args_t *args, const char **keys)
{
	pchat_principal_t p;
	int i, iter;
	str v;

	for(i = 0; keys[i]; i++) {
		iter = 0;
		while(pchat_args_next(args, keys[i], &iter, &v)) {
			if(pchat_principal_parse(args, keys[i], &v, &p) < 0)
				return -1;
		}
	}
	return 0;
}

/* One principal field (a filter of room_get, the author of
 * message_remove): 1 found, 0 absent, -1 error. */
static int pchat_room_principal(
		pchat_args_t *args, const char *key, pchat_principal_t *p)
{
	str v;
	int r = pchat_args_str(args, key, &v);

	if(r <= 0)
		return r;
	if(pchat_principal_parse(args, key, &v, p) < 0)
		return -1;
	return 1;
}

/* ---------------------------------------------------------------------- */
/* Store lookups                                                           */
/* ---------------------------------------------------------------------- */

/* The add-in of field addin=; its store error names "an add-in". */
static const pchat_admin_named_t pchat_room_addin_named = {
		"SELECT id FROM pchat_addin WHERE name = ?", NULL, "add-in",
		"looking up an add-in"};

/* invitations_enabled of a category: 1/0, -1 on a store error. */
static int pchat_room_category_invites(pchat_args_t *args, long long cat_id)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	int on;

	rc = pchat_db_exec("SELECT invitations_enabled FROM pchat_node WHERE "
					   "id = ?",
			&res, cat_id);
	if(rc != PCHAT_STORE_OK)
		return pchat_admin_store_error(args, rc, "reading the category");
	on = res.nrows > 0 && pchat_admin_is_true(res.rows[0][0]);
	pchat_db_res_free(&res);
	return on;
}

/* ---------------------------------------------------------------------- */
/* Ethical walls                                                           */
/* ---------------------------------------------------------------------- */

/* The scope rows of a category and of every category above it, as rules
 * for pchat_wall_decide(); the rule values point into res. */
typedef struct pchat_room_wall
{
	pchat_db_res_t res; /* level, category name, scope, type, principal */
	pchat_wall_rule_t *rules;
	int nrules;
} pchat_room_wall_t;

static const char *_pchat_wall_select =
		"WITH RECURSIVE chain (id, parent_id, name, lvl) AS ("
		"SELECT id, parent_id, name, 0 FROM pchat_node WHERE id = ? "
		"UNION ALL "
		"SELECT n.id, n.parent_id, n.name, c.lvl + 1 FROM pchat_node n "
		"JOIN chain c ON n.id = c.parent_id WHERE c.lvl < 1000) "
		"SELECT c.lvl, c.name, s.scope, s.principal_type, s.principal "
		"FROM chain c JOIN pchat_scope s ON s.category_id = c.id "
		"ORDER BY c.lvl";

static pchat_wall_ptype_t pchat_room_wall_ptype(const char *type)
{
	if(strcmp(type, "user") == 0)
		return PCHAT_WALL_USER;
	if(strcmp(type, "domain") == 0)
		return PCHAT_WALL_DOMAIN;
	return PCHAT_WALL_GROUP;
}

static void pchat_room_wall_free(pchat_room_wall_t *w)
{
	free(w->rules);
	w->rules = NULL;
	w->nrules = 0;
	pchat_db_res_free(&w->res);
}

static int pchat_room_wall_load(
		pchat_args_t *args, long long cat_id, pchat_room_wall_t *w)
{
	pchat_store_rc_t rc;
	char **row;
	int i;

	memset(w, 0, sizeof(*w));
	rc = pchat_db_exec(_pchat_wall_select, &w->res, cat_id);
	if(rc != PCHAT_STORE_OK)
		return pchat_admin_store_error(args, rc, "reading the ethical walls");
	if(w->res.nrows == 0)
		return 0;
	w->rules = calloc(w->res.nrows, sizeof(pchat_wall_rule_t));
	if(w->rules == NULL) {
		pchat_room_wall_free(w);
		return pchat_args_error(args, 500, "out of memory");
	}
	for(i = 0; i < w->res.nrows; i++) {
		row = w->res.rows[i];
		w->rules[i].level = atoi(row[0]);
		w->rules[i].scope = strcmp(row[2], "denied") == 0
									? PCHAT_WALL_SCOPE_DENIED
									: PCHAT_WALL_SCOPE_ALLOWED;
		w->rules[i].type = pchat_room_wall_ptype(row[3]);
		w->rules[i].value = row[4];
	}
	w->nrules = w->res.nrows;
	return 0;
}

/* Name of the category at a level of the wall (it has rows there). */
static const char *pchat_room_wall_category(pchat_room_wall_t *w, int level)
{
	int i;

	for(i = 0; i < w->res.nrows; i++) {
		if(atoi(w->res.rows[i][0]) == level)
			return w->res.rows[i][1];
	}
	return "?";
}

/* Checks one principal against the wall: 0 admitted, -1 with a 403. */
static int pchat_room_wall_one(pchat_args_t *args, pchat_room_wall_t *w,
		const char *key, pchat_principal_t *p)
{
	pchat_wall_principal_t wp;
	pchat_wall_verdict_t v;
	pchat_db_res_t groups;
	pchat_store_rc_t rc;
	const char **names = NULL;
	char buf[300];
	int i, level = 0;

	memset(&groups, 0, sizeof(groups));
	memset(&wp, 0, sizeof(wp));
	wp.type = (pchat_wall_ptype_t)p->type; /* same order of values */
	wp.value = p->value;
	if(p->type == PCHAT_PRINCIPAL_USER) {
		rc = pchat_db_exec("SELECT g.name FROM pchat_group_member m JOIN "
						   "pchat_group g ON g.id = m.group_id WHERE "
						   "m.user_uri = ?",
				&groups, p->value);
		if(rc != PCHAT_STORE_OK)
			return pchat_admin_store_error(args, rc, "reading a user's groups");
		if(groups.nrows > 0) {
			names = calloc(groups.nrows, sizeof(char *));
			if(names == NULL) {
				pchat_db_res_free(&groups);
				return pchat_args_error(args, 500, "out of memory");
			}
			for(i = 0; i < groups.nrows; i++)
				names[i] = groups.rows[i][0];
		}
		wp.groups = names;
		wp.ngroups = groups.nrows;
	}
	v = pchat_wall_decide(w->rules, w->nrules, &wp, &level);
	free(names);
	pchat_db_res_free(&groups);
	if(v == PCHAT_WALL_PASS)
		return 0;
	return pchat_args_error(args, 403,
			"field '%s': %s is outside the ethical wall of category '%s' "
			"(%s)",
			key,
			pchat_principal_print(
					pchat_principal_types[p->type], p->value, buf, sizeof(buf)),
			pchat_room_wall_category(w, level), pchat_wall_verdict_str(v));
}

/* Checks every principal to be added under key: groups must exist (404)
 * and all must be inside the wall (403). */
static int pchat_room_wall_check(
		pchat_args_t *args, pchat_room_wall_t *w, const char *key)
{
	pchat_principal_t p;
	int iter = 0;
	str v;

	while(pchat_args_next(args, key, &iter, &v)) {
		if(pchat_principal_parse(args, key, &v, &p) < 0)
			return -1;
		if(p.type == PCHAT_PRINCIPAL_GROUP
				&& pchat_admin_group_exists(args, key, p.value) < 0)
			return -1;
		if(w->nrules > 0 && pchat_room_wall_one(args, w, key, &p) < 0)
			return -1;
	}
	return 0;
}

/* Loads the wall of category cat_id and checks the principals of keys. */
static int pchat_room_wall_keys(
		pchat_args_t *args, long long cat_id, const char **keys)
{
	pchat_room_wall_t w;
	int i, r = 0;

	if(pchat_room_wall_load(args, cat_id, &w) < 0)
		return -1;
	for(i = 0; keys[i] && r == 0; i++)
		r = pchat_room_wall_check(args, &w, keys[i]);
	pchat_room_wall_free(&w);
	return r;
}

/* ---------------------------------------------------------------------- */
/* Invitations                                                             */
/* ---------------------------------------------------------------------- */

/* The next user (domains and groups are skipped) of repeated field key:
 * 1 with it in p, 0 after the last, -1 on a bad value. */
static int pchat_room_next_user(
		pchat_args_t *args, const char *key, int *iter, pchat_principal_t *p)
{
	str v;

	while(pchat_args_next(args, key, iter, &v)) {
		if(pchat_principal_parse(args, key, &v, p) < 0)
			return -1;
		if(p->type == PCHAT_PRINCIPAL_USER)
			return 1;
	}
	return 0;
}

/* Invites the users (not domains or groups) of key who are not members of
 * the room yet; runs before their role rows are added, in the transaction.
 * A pending invitation is kept (INSERT IGNORE). */
static int pchat_room_invite(
		pchat_args_t *args, long long room_id, const char *key)
{
	pchat_principal_t p;
	pchat_store_rc_t rc;
	int iter = 0, n;

	while((n = pchat_room_next_user(args, key, &iter, &p)) > 0) {
		rc = pchat_db_exec(
				"INSERT IGNORE INTO pchat_invitation (room_id, user_uri, "
				"invited_by) SELECT ?, ?, 'admin' FROM DUAL WHERE NOT EXISTS "
				"(SELECT 1 FROM pchat_role WHERE node_id = ? AND role = "
				"'member' AND principal_type = 'user' AND principal = ?)",
				NULL, room_id, p.value, room_id, p.value);
		if(rc != PCHAT_STORE_OK)
			return pchat_admin_store_error(args, rc, "inviting a member");
	}
	return n;
}

/* A user who is no longer a member has nothing to be invited to. */
static int pchat_room_uninvite(
		pchat_args_t *args, long long room_id, const char *key)
{
	pchat_principal_t p;
	pchat_store_rc_t rc;
	int iter = 0, n;

	while((n = pchat_room_next_user(args, key, &iter, &p)) > 0) {
		rc = pchat_db_exec("DELETE FROM pchat_invitation WHERE room_id = ? "
						   "AND user_uri = ?",
				NULL, room_id, p.value);
		if(rc != PCHAT_STORE_OK)
			return pchat_admin_store_error(
					args, rc, "withdrawing an invitation");
	}
	return n;
}

/* ---------------------------------------------------------------------- */
/* The room object                                                         */
/* ---------------------------------------------------------------------- */

/* Every filter of room_get is "? IS NULL OR ...": one static statement,
 * the unused filters bound as NULL. LIKE patterns are the bound text
 * between '%', with '!' escaping %, _ and ! in it. */
static const char *_pchat_room_select =
		"SELECT r.id, r.guid, r.name, c.name, r.description, r.topic, "
		"r.privacy, r.room_type, r.invitations, r.disabled, a.name, "
		"(SELECT COUNT(*) FROM pchat_message m WHERE m.room_id = r.id) "
		"FROM pchat_node r JOIN pchat_node c ON c.id = r.parent_id "
		"LEFT JOIN pchat_addin a ON a.id = r.addin_id "
		"WHERE r.kind = 'room' "
		"AND (? IS NULL OR r.name = ?) "
		"AND (? IS NULL OR r.parent_id = ?) "
		"AND (? IS NULL OR EXISTS (SELECT 1 FROM pchat_role x WHERE "
		"x.node_id = r.id AND x.role = 'member' AND x.principal_type = ? "
		"AND x.principal = ?)) "
		"AND (? IS NULL OR EXISTS (SELECT 1 FROM pchat_role y WHERE "
		"y.node_id = r.id AND y.role = 'manager' AND y.principal_type = ? "
		"AND y.principal = ?)) "
		"AND (? IS NULL OR r.privacy = ?) "
		"AND (? IS NULL OR r.room_type = ?) "
		"AND (? IS NULL OR r.disabled = ?) "
		"AND (? IS NULL OR r.addin_id = ?) "
		"AND (? IS NULL OR r.invitations = ?) "
		"AND (? IS NULL OR r.name LIKE CONCAT('%', ?, '%') ESCAPE '!' "
		"OR r.description LIKE CONCAT('%', ?, '%') ESCAPE '!') "
		"AND (? IS NULL OR (SELECT COALESCE(SUM(LENGTH(z.content)), 0) "
		"FROM pchat_message z WHERE z.room_id = r.id) > ?) "
		"ORDER BY r.name LIMIT ?";

/* The filters of _pchat_room_select; NULL / 0 / -1 when unused. */
typedef struct pchat_room_filter
{
	const char *name;
	long long category_id;
	pchat_principal_t *member;
	pchat_principal_t *manager;
	const char *privacy;
	const char *type;
	int disabled;
	long long addin_id;
	const char *invitations;
	const char *like; /* escaped search text */
	long long content_bytes; /* Lync's -ChatContentExceedsMB, or -1 */
	long long limit;
	int online_parted; /* after room_set: sessions parted, else -1 */
} pchat_room_filter_t;

static int pchat_room_add(
		rpc_t *rpc, void *ctx, char **row, pchat_room_filter_t *f)
{
	void *th;
	char uri[320];
	long long id = strtoll(row[0], NULL, 10);

	if(rpc->add(ctx, "{", &th) < 0)
		return -1;
	rpc->struct_add(th, "ssss", "name", row[2], "uri",
			pchat_admin_node_uri("room", row[1], uri, sizeof(uri)), "category",
			row[3], "description", row[4]);
	rpc->struct_add(th, "ssssbs", "topic", row[5], "privacy", row[6], "type",
			row[7], "invitations", row[8], "disabled",
			pchat_admin_is_true(row[9]), "addin", row[10] ? row[10] : "");
	if(pchat_admin_add_principal_list(
			   rpc, th, PCHAT_PLIST_ROLE, id, "member", "members")
					< 0
			|| pchat_admin_add_principal_list(
					   rpc, th, PCHAT_PLIST_ROLE, id, "manager", "managers")
					   < 0
			|| pchat_admin_add_principal_list(
					   rpc, th, PCHAT_PLIST_ROLE, id, "presenter", "presenters")
					   < 0)
		return -1;
	rpc->struct_add(th, "d", "messages", atoi(row[11]));
	if(f->online_parted >= 0)
		rpc->struct_add(th, "d", "online_parted", f->online_parted);
	return 0;
}

static int pchat_room_reply(
		rpc_t *rpc, void *ctx, pchat_args_t *args, pchat_room_filter_t *f)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	long long dis = f->disabled;
	const char *mt = f->member ? pchat_principal_types[f->member->type] : NULL;
	const char *mv = f->member ? f->member->value : NULL;
	const char *gt =
			f->manager ? pchat_principal_types[f->manager->type] : NULL;
	const char *gv = f->manager ? f->manager->value : NULL;
	int i;
	const long long *cat = f->category_id ? &f->category_id : NULL;
	const long long *dp = f->disabled >= 0 ? &dis : NULL;
	const long long *ad = f->addin_id ? &f->addin_id : NULL;
	const long long *cb = f->content_bytes >= 0 ? &f->content_bytes : NULL;
	/* more than pchat_db_exec() takes: the array by hand */
	const pchat_db_param_t p[] = {PCHAT_DB_P(f->name), PCHAT_DB_P(f->name),
			PCHAT_DB_P(cat), PCHAT_DB_P(cat), PCHAT_DB_P(mv), PCHAT_DB_P(mt),
			PCHAT_DB_P(mv), PCHAT_DB_P(gv), PCHAT_DB_P(gt), PCHAT_DB_P(gv),
			PCHAT_DB_P(f->privacy), PCHAT_DB_P(f->privacy),
			PCHAT_DB_P(f->type), PCHAT_DB_P(f->type), PCHAT_DB_P(dp),
			PCHAT_DB_P(dp), PCHAT_DB_P(ad), PCHAT_DB_P(ad),
			PCHAT_DB_P(f->invitations), PCHAT_DB_P(f->invitations),
			PCHAT_DB_P(f->like), PCHAT_DB_P(f->like), PCHAT_DB_P(f->like),
			PCHAT_DB_P(cb), PCHAT_DB_P(cb), PCHAT_DB_P(f->limit)};

	/* name, category, member, manager, privacy, type, disabled, addin,
	 * invitations, search, content size, limit */
	rc = pchat_db_execv(
			_pchat_room_select, &res, (int)(sizeof(p) / sizeof(p[0])), p);
	if(rc != PCHAT_STORE_OK)
		return pchat_admin_store_error(args, rc, "reading rooms");
	for(i = 0; i < res.nrows; i++) {
		if(pchat_room_add(rpc, ctx, res.rows[i], f) < 0) {
			pchat_db_res_free(&res);
			return pchat_args_error(args, 500, "cannot build the reply");
		}
	}
	pchat_db_res_free(&res);
	return 0;
}

/* Answers with the one room called name (after a change). */
static int pchat_room_reply_one(rpc_t *rpc, void *ctx, pchat_args_t *args,
		const char *name, int online_parted)
{
	pchat_room_filter_t f;

	memset(&f, 0, sizeof(f));
	f.name = name;
	f.disabled = -1;
	f.content_bytes = -1;
	f.limit = 1;
	f.online_parted = online_parted;
	return pchat_room_reply(rpc, ctx, args, &f);
}

/* ---------------------------------------------------------------------- */
/* pchat.room_new                                                          */
/* ---------------------------------------------------------------------- */

static const char *pchat_room_new_keys[] = {"member", NULL};

static const char *pchat_rpc_room_new_doc[] = {
		"Create a room: name=, category= (both required), description=, "
		"topic=, privacy= (open/closed/secret, default closed), type= "
		"(normal/auditorium), invitations= (inherit/false), disabled=, "
		"addin= (add-in name), member=* (sip:user@domain, domain:<d>, "
		"group:<g>; inside the category's ethical wall). Managers and "
		"presenters are set with pchat.room_set.",
		0};

/* The room attributes room_new and room_set both take; has_* and -1 say
 * what was not given (room_set leaves it as it is). */
typedef struct pchat_room_fields
{
	char desc[PCHAT_TEXT_MAX];
	char topic[PCHAT_TEXT_MAX];
	char addin[PCHAT_TEXT_MAX];
	int has_desc, has_topic, has_addin;
	int privacy, type, invitations, disabled;
} pchat_room_fields_t;

static int pchat_room_read_fields(pchat_args_t *args, pchat_room_fields_t *f)
{
	f->desc[0] = f->topic[0] = f->addin[0] = '\0';
	f->privacy = f->type = f->invitations = f->disabled = -1;
	if((f->has_desc = pchat_room_text(args, "description", PCHAT_TEXT_CHARS,
				f->desc, sizeof(f->desc)))
					< 0
			|| (f->has_topic = pchat_room_text(args, "topic",
						PCHAT_TEXT_CHARS, f->topic, sizeof(f->topic)))
					   < 0
			|| pchat_args_enum(args, "privacy", pchat_privacy_values,
					   &f->privacy)
					   < 0
			|| pchat_args_enum(args, "type", pchat_type_values, &f->type) < 0
			|| pchat_args_enum(args, "invitations", pchat_invitations_values,
					   &f->invitations)
					   < 0
			|| pchat_args_bool(args, "disabled", &f->disabled) < 0
			|| (f->has_addin = pchat_room_text(args, "addin", PCHAT_TEXT_CHARS,
						f->addin, sizeof(f->addin)))
					   < 0)
		return -1;
	return 0;
}

static void pchat_rpc_room_new(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	char name[PCHAT_TEXT_MAX], category[PCHAT_TEXT_MAX];
	pchat_room_fields_t f;
	int privacy, type, invitations, disabled;
	long long cat_id, addin_id = 0, id;
	pchat_store_rc_t rc;
	int invite, r;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_room_need(
					   &args, "name", PCHAT_TEXT_CHARS, name, sizeof(name))
					   < 0
			|| pchat_room_need(&args, "category", PCHAT_TEXT_CHARS, category,
					   sizeof(category))
					   < 0
			|| pchat_room_read_fields(&args, &f) < 0
			|| pchat_room_parse_lists(&args, pchat_room_new_keys) < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	/* new rooms: closed, normal, inherit, enabled unless told otherwise */
	privacy = f.privacy < 0 ? 1 : f.privacy;
	type = f.type < 0 ? 0 : f.type;
	invitations = f.invitations < 0 ? 0 : f.invitations;
	disabled = f.disabled < 0 ? 0 : f.disabled;
	cat_id = pchat_admin_node_id(&args, "category", category, "category");
	if(cat_id <= 0)
		goto fault;
	if(f.has_addin && f.addin[0]) {
		addin_id = pchat_admin_id_by_name(
				&args, &pchat_room_addin_named, f.addin, "addin", 0);
		if(addin_id <= 0)
			goto fault;
	}
	if(pchat_room_wall_keys(&args, cat_id, pchat_room_new_keys) < 0)
		goto fault;
	/* a room that inherits invitations sends them when its category does */
	invite = invitations == 0 ? pchat_room_category_invites(&args, cat_id) : 0;
	if(invite < 0)
		goto fault;
	if(pchat_admin_begin(&args) < 0)
		goto fault;
	rc = pchat_db_exec("INSERT INTO pchat_node (guid, kind, parent_id, name, "
					   "description, topic, privacy, room_type, invitations, "
					   "disabled, addin_id) VALUES (UUID(), 'room', ?, ?, ?, "
					   "?, ?, ?, ?, ?, ?)",
			NULL, cat_id, name, f.desc, f.topic,
			pchat_privacy_values[privacy], pchat_type_values[type],
			pchat_invitations_values[invitations], (long long)disabled,
			addin_id ? &addin_id : NULL);
	r = pchat_admin_named_write(
			&args, rc, "name", "a room", name, "creating the room");
	if(r == 0) {
		id = (long long)pchat_db_insert_id();
		if((invite && pchat_room_invite(&args, id, "member") < 0)
				|| pchat_admin_principals(
						   &args, PCHAT_PLIST_ROLE, id, "member", "member", 1)
						   < 0
				|| pchat_admin_comply_change(&args, "pchat.room_new", id, NULL)
						   < 0)
			r = -1;
	}
	if(pchat_admin_end(&args, r) < 0
			|| pchat_room_reply_one(rpc, ctx, &args, name, -1) < 0)
		goto fault;
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

/* ---------------------------------------------------------------------- */
/* pchat.room_get                                                          */
/* ---------------------------------------------------------------------- */

/* Escapes the LIKE wildcards of s (and the escape character '!') so that
 * the search text matches literally; out holds 2 * strlen(s) + 1. */
static void pchat_room_like_escape(const char *s, char *out)
{
	for(; *s; s++) {
		if(*s == '%' || *s == '_' || *s == '!')
			*out++ = '!';
		*out++ = *s;
	}
	*out = '\0';
}

static const char *pchat_rpc_room_get_doc[] = {
		"List rooms: name= (exact), category= (rooms directly in it), "
		"member=, manager= (a principal holding that role), privacy=, "
		"type=, disabled=, addin=, invitations=, search= (part of the name "
		"or description), content_exceeds_mb= (rooms whose messages hold "
		"more than that many MB of text, Lync's -ChatContentExceedsMB), "
		"result_size= (1..1000000, default 1000).",
		0};

static void pchat_rpc_room_get(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	pchat_room_filter_t f;
	pchat_principal_t member, manager;
	char name[PCHAT_TEXT_MAX], category[PCHAT_TEXT_MAX];
	char addin[PCHAT_TEXT_MAX], search[PCHAT_TEXT_MAX];
	char like[PCHAT_TEXT_MAX * 2];
	int has_name, has_cat, has_member, has_manager, has_addin, has_search;
	int privacy = -1, type = -1, invitations = -1, limit = 1000, mb = -1;

	memset(&f, 0, sizeof(f));
	f.disabled = -1;
	f.online_parted = -1;
	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| (has_name = pchat_room_text(
						&args, "name", PCHAT_TEXT_CHARS, name, sizeof(name)))
					   < 0
			|| (has_cat = pchat_room_text(&args, "category", PCHAT_TEXT_CHARS,
						category, sizeof(category)))
					   < 0
			|| (has_member = pchat_room_principal(&args, "member", &member)) < 0
			|| (has_manager = pchat_room_principal(&args, "manager", &manager))
					   < 0
			|| pchat_args_enum(&args, "privacy", pchat_privacy_values, &privacy)
					   < 0
			|| pchat_args_enum(&args, "type", pchat_type_values, &type) < 0
			|| pchat_args_bool(&args, "disabled", &f.disabled) < 0
			|| (has_addin = pchat_room_text(
						&args, "addin", PCHAT_TEXT_CHARS, addin, sizeof(addin)))
					   < 0
			|| pchat_args_enum(&args, "invitations", pchat_invitations_values,
					   &invitations)
					   < 0
			|| (has_search = pchat_room_text(&args, "search", PCHAT_TEXT_CHARS,
						search, sizeof(search)))
					   < 0
			|| pchat_args_int(&args, "content_exceeds_mb", 0, 1000000, &mb)
					   < 0
			|| pchat_args_int(&args, "result_size", 1, 1000000, &limit) < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	/* a filter naming something that does not exist is most likely a
	 * typo: say so rather than answer with an empty list */
	if(has_cat) {
		f.category_id =
				pchat_admin_node_id(&args, "category", category, "category");
		if(f.category_id <= 0)
			goto fault;
	}
	if(has_addin) {
		f.addin_id = pchat_admin_id_by_name(
				&args, &pchat_room_addin_named, addin, "addin", 0);
		if(f.addin_id <= 0)
			goto fault;
	}
	if((has_member && member.type == PCHAT_PRINCIPAL_GROUP
			   && pchat_admin_group_exists(&args, "member", member.value) < 0)
			|| (has_manager && manager.type == PCHAT_PRINCIPAL_GROUP
					&& pchat_admin_group_exists(&args, "manager", manager.value)
							   < 0))
		goto fault;
	if(has_search) {
		pchat_room_like_escape(search, like);
		f.like = like;
	}
	f.name = has_name ? name : NULL;
	f.member = has_member ? &member : NULL;
	f.manager = has_manager ? &manager : NULL;
	f.privacy = privacy >= 0 ? pchat_privacy_values[privacy] : NULL;
	f.type = type >= 0 ? pchat_type_values[type] : NULL;
	f.invitations =
			invitations >= 0 ? pchat_invitations_values[invitations] : NULL;
	f.content_bytes = mb >= 0 ? (long long)mb * 1024 * 1024 : -1;
	f.limit = limit;
	if(pchat_room_reply(rpc, ctx, &args, &f) < 0)
		goto fault;
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

/* ---------------------------------------------------------------------- */
/* pchat.room_set                                                          */
/* ---------------------------------------------------------------------- */

static const struct
{
	const char *role, *add_key, *remove_key;
} pchat_room_roles[] = {
		{"member", "add_member", "remove_member"},
		{"manager", "add_manager", "remove_manager"},
		{"presenter", "add_presenter", "remove_presenter"},
};

static const char *pchat_room_set_keys[] = {"add_member", "remove_member",
		"add_manager", "remove_manager", "add_presenter", "remove_presenter",
		NULL};
static const char *pchat_room_set_wall_keys[] = {
		"add_member", "add_manager", "add_presenter", NULL};

/* Removals first, then additions, as for categories; invitations go to
 * the users who become members. */
static int pchat_room_set_lists(pchat_args_t *args, long long id, int invite)
{
	unsigned int i;

	for(i = 0; i < sizeof(pchat_room_roles) / sizeof(pchat_room_roles[0]);
			i++) {
		if(pchat_admin_principals(args, PCHAT_PLIST_ROLE, id,
				   pchat_room_roles[i].role, pchat_room_roles[i].remove_key, 0)
				< 0)
			return -1;
	}
	if(pchat_room_uninvite(args, id, "remove_member") < 0
			|| (invite && pchat_room_invite(args, id, "add_member") < 0))
		return -1;
	for(i = 0; i < sizeof(pchat_room_roles) / sizeof(pchat_room_roles[0]);
			i++) {
		if(pchat_admin_principals(args, PCHAT_PLIST_ROLE, id,
				   pchat_room_roles[i].role, pchat_room_roles[i].add_key, 1)
				< 0)
			return -1;
	}
	return 0;
}

static const char *pchat_rpc_room_set_doc[] = {
		"Change a room: name= (which), new_name=, category= (move), "
		"description=, topic=, privacy=, type=, invitations=, disabled=, "
		"addin= (empty to clear), add_/remove_ member=*, manager=*, "
		"presenter=*. Added principals must be inside the ethical wall of "
		"the room's category.",
		0};

static void pchat_rpc_room_set(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	char name[PCHAT_TEXT_MAX], new_name[PCHAT_TEXT_MAX];
	char category[PCHAT_TEXT_MAX];
	pchat_room_fields_t f;
	int has_new, has_cat;
	int inherit, invite, r;
	long long id, cat_id, addin_id = 0, addin_set, dis_v;
	char *before;
	pchat_db_res_t res;
	pchat_store_rc_t rc;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_room_need(
					   &args, "name", PCHAT_TEXT_CHARS, name, sizeof(name))
					   < 0
			|| (has_new = pchat_room_text(&args, "new_name", PCHAT_TEXT_CHARS,
						new_name, sizeof(new_name)))
					   < 0
			|| (has_cat = pchat_room_text(&args, "category", PCHAT_TEXT_CHARS,
						category, sizeof(category)))
					   < 0
			|| pchat_room_read_fields(&args, &f) < 0
			|| pchat_room_parse_lists(&args, pchat_room_set_keys) < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	if(has_new && new_name[0] == '\0') {
		pchat_args_error(&args, 400, "field 'new_name' must not be empty");
		goto fault;
	}
	if(has_cat && category[0] == '\0') {
		pchat_args_error(&args, 400, "field 'category' must not be empty");
		goto fault;
	}
	id = pchat_admin_node_id(&args, "room", name, "name");
	if(id <= 0)
		goto fault;
	rc = pchat_db_exec("SELECT parent_id, invitations FROM pchat_node WHERE "
					   "id = ?",
			&res, id);
	if(rc != PCHAT_STORE_OK) {
		pchat_admin_store_error(&args, rc, "reading the room");
		goto fault;
	}
	cat_id =
			res.nrows && res.rows[0][0] ? strtoll(res.rows[0][0], NULL, 10) : 0;
	inherit = res.nrows && res.rows[0][1]
			  && strcmp(res.rows[0][1], "inherit") == 0;
	pchat_db_res_free(&res);
	if(has_cat) {
		cat_id = pchat_admin_node_id(&args, "category", category, "category");
		if(cat_id <= 0)
			goto fault;
	}
	addin_set = f.has_addin;
	if(f.has_addin && f.addin[0]) {
		addin_id = pchat_admin_id_by_name(
				&args, &pchat_room_addin_named, f.addin, "addin", 0);
		if(addin_id <= 0)
			goto fault;
	}
	/* the wall of the category the room is in after this change */
	if(pchat_room_wall_keys(&args, cat_id, pchat_room_set_wall_keys) < 0)
		goto fault;
	if(f.invitations >= 0)
		inherit = f.invitations == 0;
	invite = inherit ? pchat_room_category_invites(&args, cat_id) : 0;
	if(invite < 0)
		goto fault;
	dis_v = f.disabled;
	if(pchat_admin_begin(&args) < 0)
		goto fault;
	before = pchat_admin_node_state(id);
	rc = pchat_db_exec("UPDATE pchat_node SET name = COALESCE(?, name), "
					   "parent_id = COALESCE(?, parent_id), "
					   "description = COALESCE(?, description), "
					   "topic = COALESCE(?, topic), "
					   "privacy = COALESCE(?, privacy), "
					   "room_type = COALESCE(?, room_type), "
					   "invitations = COALESCE(?, invitations), "
					   "disabled = COALESCE(?, disabled), "
					   "addin_id = IF(?, ?, addin_id) WHERE id = ?",
			NULL, has_new ? new_name : NULL,
			has_cat ? &cat_id : NULL, f.has_desc ? f.desc : NULL,
			f.has_topic ? f.topic : NULL,
			f.privacy >= 0 ? pchat_privacy_values[f.privacy] : NULL,
			f.type >= 0 ? pchat_type_values[f.type] : NULL,
			f.invitations >= 0 ? pchat_invitations_values[f.invitations] : NULL,
			f.disabled >= 0 ? &dis_v : NULL, addin_set,
			addin_id ? &addin_id : NULL, id);
	r = pchat_admin_named_write(&args, rc, "new_name", "a room", new_name,
			"changing the room");
	if(r == 0)
		r = pchat_room_set_lists(&args, id, invite);
	if(r == 0)
		r = pchat_admin_comply_change(&args, "pchat.room_set", id, before);
	else
		free(before);
	if(pchat_admin_end(&args, r) < 0)
		goto fault;
	/* what the change took away is taken away online too */
	if(pchat_room_reply_one(rpc, ctx, &args, has_new ? new_name : name,
			   pchat_revoke_room(id))
			< 0)
		goto fault;
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

/* ---------------------------------------------------------------------- */
/* pchat.room_remove, pchat.room_clear                                     */
/* ---------------------------------------------------------------------- */

static const char *pchat_rpc_room_remove_doc[] = {
		"Remove a room with its roles, history and invitations: name=.", 0};

/* A removed room has no online participants left: they are parted from
 * the roster (their next post gets 404). Returns how many were. */
static int pchat_room_drop_participants(long long room_id, const char *name)
{
	pchat_roster_snapshot_t snap;
	int i, one, n = 0;

	if(_pchat_roster.snapshot((unsigned long long)room_id, &snap) < 0)
		return 0;
	for(i = 0; i < snap.n; i++) {
		one = _pchat_roster.part(
				(unsigned long long)room_id, snap.members[i].sess_id);
		n += one;
		if(one > 0)
			pchat_comply_part(NULL, room_id, NULL, name,
					&snap.members[i].user, "room removed");
	}
	_pchat_roster.free_snapshot(&snap);
	return n;
}

static void pchat_rpc_room_remove(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	char name[PCHAT_TEXT_MAX];
	pchat_store_rc_t rc;
	long long id;
	int online, r;
	char *before;
	void *th;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_room_need(
					   &args, "name", PCHAT_TEXT_CHARS, name, sizeof(name))
					   < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	id = pchat_admin_node_id(&args, "room", name, "name");
	if(id <= 0)
		goto fault;
	if(pchat_admin_begin(&args) < 0)
		goto fault;
	before = pchat_admin_node_state(id);
	/* roles, messages and invitations go with it (ON DELETE CASCADE) */
	rc = pchat_db_exec("DELETE FROM pchat_node WHERE id = ? AND kind = "
					   "'room'",
			NULL, id);
	r = rc == PCHAT_STORE_OK ? 0
							 : pchat_admin_store_error(
									   &args, rc, "removing the room");
	if(r == 0)
		r = pchat_admin_comply_change(&args, "pchat.room_remove", id, before);
	else
		free(before);
	if(pchat_admin_end(&args, r) < 0)
		goto fault;
	online = pchat_room_drop_participants(id, name);
	if(rpc->add(ctx, "{", &th) >= 0)
		rpc->struct_add(th, "sdd", "removed", name, "count", 1, "online_parted",
				online);
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

static const char *pchat_rpc_room_clear_doc[] = {
		"Delete a room's messages up to a date: name=, end_date= (ISO 8601, "
		"inclusive; both required).",
		0};

static void pchat_rpc_room_clear(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	char name[PCHAT_TEXT_MAX];
	pchat_store_rc_t rc;
	long long id, end = 0, removed;
	char detail[96];
	int has_end, r;
	void *th;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_room_need(
					   &args, "name", PCHAT_TEXT_CHARS, name, sizeof(name))
					   < 0
			|| (has_end = pchat_args_time(&args, "end_date", &end)) < 0)
		goto fault;
	if(has_end == 0) {
		pchat_args_error(&args, 400, "field 'end_date' is required");
		goto fault;
	}
	if(pchat_args_done(&args) < 0)
		goto fault;
	id = pchat_admin_node_id(&args, "room", name, "name");
	if(id <= 0)
		goto fault;
	if(pchat_admin_begin(&args) < 0)
		goto fault;
	rc = pchat_db_exec("DELETE FROM pchat_message WHERE room_id = ? AND "
					   "ts_ms <= ?",
			NULL, id, end);
	r = rc == PCHAT_STORE_OK ? 0
							 : pchat_admin_store_error(
									   &args, rc, "clearing the room");
	removed = r == 0 ? (long long)pchat_db_affected() : 0;
	if(r == 0) {
		/* Lync type 11 (purge): what and how much, not each text */
		snprintf(detail, sizeof(detail),
				"{\"end_ms\": %lld, \"removed\": %lld}", end, removed);
		r = pchat_admin_comply(&args, "CLEAR", id, 0, NULL, detail);
	}
	if(pchat_admin_end(&args, r) < 0)
		goto fault;
	if(rpc->add(ctx, "{", &th) >= 0)
		rpc->struct_add(th, "sd", "room", name, "removed", (int)removed);
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

/* ---------------------------------------------------------------------- */
/* pchat.message_remove                                                    */
/* ---------------------------------------------------------------------- */

/* The store selects by room, author and dates only; the keyword filter
 * runs in C (pchat_textmatch) on each batch. */
static const char *_pchat_msg_candidates =
		"SELECT seq, content FROM pchat_message WHERE room_id = ? "
		"AND seq >= ? AND status <> 'removed' "
		"AND (? IS NULL OR author = ?) "
		"AND (? IS NULL OR ts_ms >= ?) AND (? IS NULL OR ts_ms <= ?) "
		"ORDER BY seq LIMIT ?";

/* Removes or replaces the matching messages of a room; returns how many,
 * -1 on error. Call inside a transaction. */
static long long pchat_room_messages_apply(pchat_args_t *args,
		long long room_id, const char *author, long long *start, long long *end,
		pchat_textmatch_t *m, const char *replacement)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;
	long long next = 0, seq, matched = 0;
	int i, n;

	do {
		rc = pchat_db_exec(_pchat_msg_candidates, &res, room_id,
				next, author, author, start, start, end, end,
				(long long)PCHAT_MSG_BATCH);
		if(rc != PCHAT_STORE_OK)
			return pchat_admin_store_error(args, rc, "reading messages");
		n = res.nrows;
		for(i = 0; i < n; i++) {
			seq = strtoll(res.rows[i][0], NULL, 10);
			next = seq + 1;
			if(m && !pchat_textmatch_test(m, res.rows[i][1]))
				continue;
			/* the original text is kept in the compliance record */
			if(pchat_admin_comply_message(
					   args, room_id, seq, res.rows[i][1], replacement)
					< 0) {
				pchat_db_res_free(&res);
				return -1;
			}
			if(replacement)
				rc = pchat_db_exec("UPDATE pchat_message SET content = ?, "
								   "status = 'replaced' WHERE room_id = ? "
								   "AND seq = ?",
						NULL, replacement, room_id, seq);
			else
				rc = pchat_db_exec("DELETE FROM pchat_message WHERE "
								   "room_id = ? AND seq = ?",
						NULL, room_id, seq);
			if(rc != PCHAT_STORE_OK) {
				pchat_db_res_free(&res);
				return pchat_admin_store_error(args, rc, "changing a message");
			}
			matched++;
		}
		pchat_db_res_free(&res);
	} while(n == PCHAT_MSG_BATCH);
	return matched;
}

static const char *pchat_rpc_message_remove_doc[] = {
		"Remove or replace messages of a room: room= (required), user= "
		"(sip:user@domain, the author), filter= (keywords), match= "
		"(all/any/exact, default all), case_sensitive=, start_date=, "
		"end_date= (ISO 8601, inclusive), replace= (true: replace instead "
		"of remove), replacement= (text, with replace=true). At least one "
		"of user, filter, start_date, end_date is required; "
		"pchat.room_clear empties a room.",
		0};

static void pchat_rpc_message_remove(rpc_t *rpc, void *ctx)
{
	pchat_args_t args;
	pchat_principal_t user;
	pchat_textmatch_t m;
	char room[PCHAT_TEXT_MAX], filter[PCHAT_LONG_MAX];
	char replacement[PCHAT_LONG_MAX];
	const char *text;
	int has_user, has_filter, has_start, has_end, has_repl;
	int match = 0, cs = 0, replace = 0, r;
	long long id, start = 0, end = 0, matched;
	void *th;

	if(pchat_args_scan(rpc, ctx, &args) < 0
			|| pchat_room_need(
					   &args, "room", PCHAT_TEXT_CHARS, room, sizeof(room))
					   < 0
			|| (has_user = pchat_room_principal(&args, "user", &user)) < 0
			|| (has_filter = pchat_room_text(&args, "filter", PCHAT_LONG_CHARS,
						filter, sizeof(filter)))
					   < 0
			|| pchat_args_enum(&args, "match", pchat_match_values, &match) < 0
			|| pchat_args_bool(&args, "case_sensitive", &cs) < 0
			|| (has_start = pchat_args_time(&args, "start_date", &start)) < 0
			|| (has_end = pchat_args_time(&args, "end_date", &end)) < 0
			|| pchat_args_bool(&args, "replace", &replace) < 0
			|| (has_repl = pchat_room_text(&args, "replacement",
						PCHAT_LONG_CHARS, replacement, sizeof(replacement)))
					   < 0
			|| pchat_args_done(&args) < 0)
		goto fault;
	if(has_user && user.type != PCHAT_PRINCIPAL_USER) {
		pchat_args_error(&args, 400,
				"field 'user': must be a user (sip:user@domain), the author "
				"of the messages");
		goto fault;
	}
	if(has_filter) {
		r = pchat_textmatch_init(&m, filter, (pchat_textmatch_mode_t)match, cs);
		if(r == -1) {
			pchat_args_error(&args, 400,
					"field 'filter': more than %d keywords",
					PCHAT_TEXTMATCH_MAX_WORDS);
			goto fault;
		}
		if(r < 0) {
			pchat_args_error(&args, 400, "field 'filter' must not be empty");
			goto fault;
		}
	}
	if(has_start && has_end && start > end) {
		pchat_args_error(
				&args, 400, "field 'end_date': earlier than start_date");
		goto fault;
	}
	if(has_repl && !replace) {
		pchat_args_error(
				&args, 400, "field 'replacement': only with replace=true");
		goto fault;
	}
	/* an administrator must not wipe a room by leaving out the filters */
	if(!has_user && !has_filter && !has_start && !has_end) {
		pchat_args_error(&args, 400,
				"give at least one of user, filter, start_date, end_date "
				"(pchat.room_clear empties a whole room)");
		goto fault;
	}
	id = pchat_admin_node_id(&args, "room", room, "room");
	if(id <= 0)
		goto fault;
	if(pchat_admin_begin(&args) < 0)
		goto fault;
	text = NULL; /* remove */
	if(replace)
		text = has_repl ? replacement : PCHAT_DEFAULT_REPLACEMENT;
	matched = pchat_room_messages_apply(&args, id, has_user ? user.value : NULL,
			has_start ? &start : NULL, has_end ? &end : NULL,
			has_filter ? &m : NULL, text);
	if(pchat_admin_end(&args, matched < 0 ? -1 : 0) < 0)
		goto fault;
	if(rpc->add(ctx, "{", &th) >= 0)
		rpc->struct_add(th, "sds", "room", room, "matched", (int)matched,
				"action", replace ? "replaced" : "removed");
	return;
fault:
	pchat_admin_fault(rpc, ctx, &args);
}

/* clang-format off */
rpc_export_t pchat_admin_room_rpc[] = {
	{"pchat.room_new", pchat_rpc_room_new, pchat_rpc_room_new_doc, 0},
	{"pchat.room_get", pchat_rpc_room_get, pchat_rpc_room_get_doc, RET_ARRAY},
	{"pchat.room_set", pchat_rpc_room_set, pchat_rpc_room_set_doc, 0},
	{"pchat.room_remove", pchat_rpc_room_remove, pchat_rpc_room_remove_doc, 0},
	{"pchat.room_clear", pchat_rpc_room_clear, pchat_rpc_room_clear_doc, 0},
	{"pchat.message_remove", pchat_rpc_message_remove, pchat_rpc_message_remove_doc, 0},
	{0, 0, 0, 0}
};
/* clang-format on */
