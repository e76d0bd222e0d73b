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

/**
 * @file
 * @brief pchat :: XCCOS envelope parser and writer
 *
 * Deliberately free of any Kamailio header so the unit tests can link this
 * file alone (plain C99 + libxml2).  The module redirects the writer's
 * allocations to pkg memory by predefining PCHAT_XMALLOC & co.
 */

#ifndef _PCHAT_XCCOS_H_
#define _PCHAT_XCCOS_H_

#include <stdlib.h>
#include <libxml/tree.h>

#ifndef PCHAT_XMALLOC
#define PCHAT_XMALLOC(n) malloc(n)
#endif
#ifndef PCHAT_XREALLOC
#define PCHAT_XREALLOC(p, n) realloc((p), (n))
#endif
#ifndef PCHAT_XFREE
#define PCHAT_XFREE(p) free(p)
#endif

#define PCHAT_XCCOS_NS "urn:parlano:xml:ns:xccos"
#define PCHAT_XCCOS_MAX_MSGS 16

typedef enum
{
	PCHAT_XMSG_CMD = 1,
	PCHAT_XMSG_RPL,
	PCHAT_XMSG_NTC,
	PCHAT_XMSG_GRPCHAT
} pchat_xmsg_kind_t;

typedef struct pchat_xmsg
{
	pchat_xmsg_kind_t kind;
	const char *id;	   /* "cmd:requri", "grpchat", ...; "" if absent */
	const char *seqid; /* "" if absent */
	xmlNodePtr node;   /* the message element itself */
	xmlNodePtr data;   /* its <data> child in PCHAT_XCCOS_NS, NULL if none */
} pchat_xmsg_t;

/* All strings point into doc (or are static ""): valid until
 * pchat_xccos_free() */
typedef struct pchat_xccos_env
{
	xmlDocPtr doc;
	const char *envid; /* "" if absent; never a non-decimal string */
	const char *ver;   /* "" if absent */
	int nmsgs;
	pchat_xmsg_t msgs[PCHAT_XCCOS_MAX_MSGS];
} pchat_xccos_env_t;

typedef enum
{
	PCHAT_XCCOS_OK = 0,
	PCHAT_XCCOS_EEMPTY,	   /* empty body / only whitespace */
	PCHAT_XCCOS_ETOOBIG,   /* len > max_len */
	PCHAT_XCCOS_ENOTXML,   /* not well-formed XML, DOCTYPE present, or OOM */
	PCHAT_XCCOS_ENOTXCCOS, /* root is not <xccos> in PCHAT_XCCOS_NS */
	PCHAT_XCCOS_EBADENVID, /* envid present but not 1..20 decimal digits */
	PCHAT_XCCOS_ENOMSG,	   /* no cmd/rpl/ntc/grpchat child */
	PCHAT_XCCOS_ETOOMANY,  /* more than PCHAT_XCCOS_MAX_MSGS messages */
} pchat_xccos_err_t;

/**
 * Parse one INFO body (UTF-8; a leading BOM and whitespace are skipped and
 * an encoding declaration is ignored).  A DOCTYPE makes it ENOTXML, so no
 * entity can ever be defined or expanded.  Unknown elements under <xccos>
 * are skipped.  max_len <= 0 disables the size limit.
 *
 * On success env->doc owns the tree, call pchat_xccos_free() when done and
 * *errtext is set to NULL.  On error env->doc is NULL (nothing to free) and
 * *errtext, if errtext is non-NULL, points to a static English reason
 * (possibly a static buffer overwritten by the next call).
 */
pchat_xccos_err_t pchat_xccos_parse(const char *body, int len, int max_len,
		pchat_xccos_env_t *env, const char **errtext);

/** Free the document and reset *env; safe to call twice. */
void pchat_xccos_free(pchat_xccos_env_t *env);

/* Helpers on parsed nodes; they only see elements in PCHAT_XCCOS_NS.
 * name NULL matches any element in that namespace. */

/** first child element of parent with that local name, or NULL */
xmlNodePtr pchat_xccos_child(xmlNodePtr parent, const char *name);
/** next sibling element after node with that local name, or NULL */
xmlNodePtr pchat_xccos_next(xmlNodePtr node, const char *name);
/**
 * Value of the unqualified attribute name, NULL if absent, "" if empty.
 * Does not allocate: the pointer is valid until pchat_xccos_free().
 */
const char *pchat_xccos_attr(xmlNodePtr node, const char *name);
/** "cmd:requri" with prefix "cmd:" -> "requri" (points into id), or NULL
 * if id does not start with prefix */
const char *pchat_xccos_name(const char *id, const char *prefix);

/**
 * The length of the longest prefix of the UTF-8 string s that has at most
 * max bytes and does not end inside a character: what a fixed buffer may
 * keep of a client's value and still write it back as well-formed XML.
 */
int pchat_xccos_utf8_prefix(const char *s, int max);

/* Writer: a growable, always NUL-terminated (once non-empty) buffer.
 * Output is compact XML without whitespace between elements. */
typedef struct pchat_xbuf
{
	char *s;
	int len;
	int size;
	int err;	  /* sticky: allocation failure or misuse; writes are no-ops */
	int open_tag; /* internal: a start tag is open, needs '>' or '/>' */
	int depth;	  /* internal */
} pchat_xbuf_t;

void pchat_xbuf_init(pchat_xbuf_t *b);
void pchat_xbuf_free(pchat_xbuf_t *b);
/** "<name" (closes a pending start tag with '>') */
void pchat_xw_start(pchat_xbuf_t *b, const char *name);
/** ' name="escaped"'; val NULL -> ""; only valid right after xw_start */
void pchat_xw_attr(pchat_xbuf_t *b, const char *name, const char *val);
/** as pchat_xw_attr with explicit length (len < 0: strlen) */
void pchat_xw_attrn(
		pchat_xbuf_t *b, const char *name, const char *val, int len);
void pchat_xw_attr_int(pchat_xbuf_t *b, const char *name, long long v);
/** escaped text content (len < 0: strlen) */
void pchat_xw_text(pchat_xbuf_t *b, const char *s, int len);
/** "/>" if the start tag is still open, else "</name>" */
void pchat_xw_end(pchat_xbuf_t *b, const char *name);

/* Envelope helpers */
/** <xccos xmlns="urn:parlano:xml:ns:xccos" ver="1" envid="N"> */
void pchat_xw_env_start(pchat_xbuf_t *b, unsigned long long envid);
/** </xccos> */
void pchat_xw_env_end(pchat_xbuf_t *b);
/**
 * <rpl id="rpl:NAME" seqid="1"><commandid seqid="CS" envid="CE"/>
 * <resp code="CODE">TOKEN</resp><data>
 * cmd_seqid/cmd_envid are copied verbatim (escaped), NULL omits the
 * attribute; token NULL -> pchat_xccos_token(code).  Leaves <data> open.
 */
void pchat_xw_rpl_start(pchat_xbuf_t *b, const char *name,
		const char *cmd_seqid, const char *cmd_envid, int code,
		const char *token);
/** </data></rpl> (or <data/></rpl> if nothing was written inside) */
void pchat_xw_rpl_end(pchat_xbuf_t *b);
/** <ntc id="ntc:NAME" seqid="1"><data> */
void pchat_xw_ntc_start(pchat_xbuf_t *b, const char *name);
/** </data></ntc> */
void pchat_xw_ntc_end(pchat_xbuf_t *b);

/**
 * 200 SUCCESS_OK, 400 BAD_REQUEST, 403 ACCESS_DENIED, 404 NOT_FOUND,
 * 409 CONFLICT, 413 MESSAGE_TOO_LARGE, 500 OPERATION_FAILED,
 * 501 NOT_IMPLEMENTED, 503 SERVICE_UNAVAILABLE; others OPERATION_FAILED
 */
const char *pchat_xccos_token(int code);

/**
 * ms since the epoch -> "2010-09-14T14:26:17.6200000Z" (UTC, 7 fractional
 * digits like .NET's round-trip format).  out must hold 40 bytes.
 * Returns the string length.
 */
int pchat_xccos_format_ts(char *out, long long ms);
/**
 * ISO-8601 extended form -> ms since the epoch.  Accepts YYYY-MM-DD,
 * optionally followed by T (or space) hh:mm[:ss[.fraction]] (any number of
 * fractional digits, '.' or ',') and a zone: none (= UTC), Z, +hh:mm,
 * -hh:mm, +hhmm or +hh.  Returns 0 and sets *ms (if ms non-NULL), or -1.
 */
int pchat_xccos_parse_ts(const char *s, long long *ms);

#endif /* _PCHAT_XCCOS_H_ */
