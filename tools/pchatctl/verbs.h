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
/* The verbs pchatctl knows (named after the Lync Persistent Chat cmdlets),
 * the RPC method behind each and the options it takes. Only data here: the
 * help text and the argument checks are both derived from these tables. */

#ifndef _PCHATCTL_VERBS_H_
#define _PCHATCTL_VERBS_H_

#define PCTL_OPT_REQUIRED 1 /* must be given */
#define PCTL_OPT_REPEAT 2	/* may be given more than once */
#define PCTL_OPT_FLAG 4	/* takes no value: sent as name=1 */

typedef struct pctl_option
{
	const char *name;	/* as typed, without the leading "--" */
	int flags;			/* PCTL_OPT_* */
	const char *values; /* allowed values ("a|b") or a placeholder */
	const char *help;
} pctl_option_t;

typedef enum pctl_verb_kind
{
	PCTL_VERB_LISTED, /* only the options in the table */
	PCTL_VERB_ANY,	  /* any --name value pair, the server checks names */
	PCTL_VERB_RAW,	  /* METHOD field=value...: sent untouched */
	PCTL_VERB_HEALTH, /* listed options, run by health.c: RPCs and SIP */
	PCTL_VERB_DATA	  /* listed options, run by data.c: the store directly */
} pctl_verb_kind_t;

typedef struct pctl_verb
{
	const char *name;
	const char *method; /* NULL for the raw verb: given on the command line */
	const char *summary;
	pctl_verb_kind_t kind;
	const pctl_option_t *options; /* ends with a NULL name */
} pctl_verb_t;

extern const pctl_verb_t pctl_verbs[]; /* ends with a NULL name */

const pctl_verb_t *pctl_verb_find(const char *name);

/* Does the verb's RPC record its change in the compliance archive (an
 * ADMIN, CLEAR, REMOVE or REPLACE event)? pchatctl then sends
 * caller=<its OS user>, which the server records as rpc:<user>. */
int pctl_verb_records_who(const pctl_verb_t *verb);
const pctl_option_t *pctl_option_find(
		const pctl_verb_t *verb, const char *name, int name_len);

#endif
