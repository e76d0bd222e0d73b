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
 * No Kamailio dependency on purpose: unit tests link this file alone.
 */

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>

#include "pchat_xccos.h"

#define XW_ERR_NOMEM 1
#define XW_ERR_MISUSE 2

/* Room for the reasons that carry details; the API allows a static,
 * thread-unsafe buffer and Kamailio workers are processes anyway. */
static char xccos_errbuf[256];

/* First libxml2 error of the current parse: the first one names the real
 * problem, later ones are usually consequences of it. */
static struct
{
	int set;
	int line;
	char msg[160];
} xccos_xmlerr;

/* Marker in ctxt->_private: the document declared a DOCTYPE. */
static char xccos_doctype_seen;

static pchat_xccos_err_t xccos_fail(
		const char **errtext, pchat_xccos_err_t err, const char *text)
{
	*errtext = text;
	return err;
}

static int xccos_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

#if LIBXML_VERSION >= 21200
static void xccos_xml_error(void *ctx, const xmlError *e)
#else
static void xccos_xml_error(void *ctx, xmlErrorPtr e)
#endif
{
	int n;
	int i;

	(void)ctx;
	if(xccos_xmlerr.set || e == NULL)
		return;
	xccos_xmlerr.set = 1;
	xccos_xmlerr.line = e->line;
	snprintf(xccos_xmlerr.msg, sizeof(xccos_xmlerr.msg), "%s",
			e->message ? e->message : "unknown error");
	/* libxml2 messages end with, and sometimes contain, newlines, which
	 * would break a log line in two */
	n = (int)strlen(xccos_xmlerr.msg);
	while(n > 0 && (unsigned char)xccos_xmlerr.msg[n - 1] <= ' ')
		xccos_xmlerr.msg[--n] = '\0';
	for(i = 0; i < n; i++) {
		if((unsigned char)xccos_xmlerr.msg[i] < ' ')
			xccos_xmlerr.msg[i] = ' ';
	}
}

/* Called by libxml2 on "<!DOCTYPE name ..." before the internal subset is
 * read, so no entity declaration is ever seen: this is what makes billion
 * laughs and external entity tricks impossible, independently of libxml2's
 * own amplification limits. */
static void xccos_internal_subset(void *ctx, const xmlChar *name,
		const xmlChar *ext_id, const xmlChar *sys_id)
{
	xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr)ctx;

	(void)name;
	(void)ext_id;
	(void)sys_id;
	ctxt->_private = &xccos_doctype_seen;
	xmlStopParser(ctxt);
}

static int xccos_is_elem(xmlNodePtr n, const char *name)
{
	if(n == NULL || n->type != XML_ELEMENT_NODE || n->ns == NULL
			|| n->ns->href == NULL
			|| strcmp((const char *)n->ns->href, PCHAT_XCCOS_NS) != 0)
		return 0;
	return name == NULL || strcmp((const char *)n->name, name) == 0;
}

static pchat_xmsg_kind_t xccos_msg_kind(xmlNodePtr n)
{
	if(!xccos_is_elem(n, NULL))
		return 0;
	if(strcmp((const char *)n->name, "cmd") == 0)
		return PCHAT_XMSG_CMD;
	if(strcmp((const char *)n->name, "rpl") == 0)
		return PCHAT_XMSG_RPL;
	if(strcmp((const char *)n->name, "ntc") == 0)
		return PCHAT_XMSG_NTC;
	if(strcmp((const char *)n->name, "grpchat") == 0)
		return PCHAT_XMSG_GRPCHAT;
	return 0;
}

static int xccos_valid_envid(const char *s)
{
	int i;

	for(i = 0; s[i] != '\0'; i++) {
		if(s[i] < '0' || s[i] > '9' || i >= 20)
			return 0;
	}
	return i > 0;
}

static const char *xccos_attr_or_empty(xmlNodePtr node, const char *name)
{
	const char *v = pchat_xccos_attr(node, name);

	return v ? v : "";
}

static xmlDocPtr xccos_read(const char *p, int len, const char **errtext)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	int opts;
	int doctype;

	/* NOCDATA: callers read plain text nodes only.  No NOENT/DTDLOAD, so
	 * nothing is substituted or fetched. */
	opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING
		   | XML_PARSE_NOCDATA;
#if LIBXML_VERSION >= 20800
	/* .NET writers serialising to a string declare encoding="utf-16" while
	 * the bytes on the wire are UTF-8; the body is UTF-8 by protocol. */
	opts |= XML_PARSE_IGNORE_ENC;
#endif

	xmlInitParser();
	ctxt = xmlNewParserCtxt();
	if(ctxt == NULL || ctxt->sax == NULL) {
		if(ctxt)
			xmlFreeParserCtxt(ctxt);
		*errtext = "cannot create XML parser (out of memory)";
		return NULL;
	}
	ctxt->sax->internalSubset = xccos_internal_subset;
	/* keeps libxml2 quiet and gives us the first error, not the last */
	ctxt->sax->serror = xccos_xml_error;
	memset(&xccos_xmlerr, 0, sizeof(xccos_xmlerr));

	doc = xmlCtxtReadMemory(ctxt, p, len, NULL, "UTF-8", opts);
	doctype = (ctxt->_private == &xccos_doctype_seen);
	xmlFreeParserCtxt(ctxt);

	if(doctype || (doc != NULL && (doc->intSubset || doc->extSubset))) {
		if(doc)
			xmlFreeDoc(doc);
		*errtext = "DOCTYPE not allowed in XCCOS body";
		return NULL;
	}
	if(doc == NULL) {
		if(xccos_xmlerr.set) {
			snprintf(xccos_errbuf, sizeof(xccos_errbuf),
					"XML not well-formed at line %d: %s", xccos_xmlerr.line,
					xccos_xmlerr.msg);
			*errtext = xccos_errbuf;
		} else {
			*errtext = "XML not well-formed";
		}
	}
	return doc;
}

pchat_xccos_err_t pchat_xccos_parse(const char *body, int len, int max_len,
		pchat_xccos_env_t *env, const char **errtext)
{
	const char *dummy;
	const char *p;
	const char *end;
	xmlDocPtr doc;
	xmlNodePtr root;
	xmlNodePtr n;
	pchat_xmsg_kind_t kind;
	pchat_xmsg_t *m;
	int nmsgs;

	if(errtext == NULL)
		errtext = &dummy;
	*errtext = NULL;
	memset(env, 0, sizeof(*env));
	env->envid = "";
	env->ver = "";

	if(body == NULL || len <= 0)
		return xccos_fail(errtext, PCHAT_XCCOS_EEMPTY, "empty body");
	if(max_len > 0 && len > max_len) {
		snprintf(xccos_errbuf, sizeof(xccos_errbuf),
				"body too large (%d bytes, limit %d)", len, max_len);
		return xccos_fail(errtext, PCHAT_XCCOS_ETOOBIG, xccos_errbuf);
	}

	p = body;
	end = body + len;
	if(len >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB
			&& (unsigned char)p[2] == 0xBF)
		p += 3;
	/* an XML declaration must be the very first thing, so leading
	 * whitespace (e.g. a stray CRLF from a sloppy client) would otherwise
	 * turn a harmless body into a fatal error */
	while(p < end && xccos_is_ws(*p))
		p++;
	if(p == end)
		return xccos_fail(
				errtext, PCHAT_XCCOS_EEMPTY, "empty body (only whitespace)");

	doc = xccos_read(p, (int)(end - p), errtext);
	if(doc == NULL)
		return PCHAT_XCCOS_ENOTXML;

	root = xmlDocGetRootElement(doc);
	if(root == NULL) {
		xmlFreeDoc(doc);
		return xccos_fail(errtext, PCHAT_XCCOS_ENOTXML, "no root element");
	}
	if(!xccos_is_elem(root, "xccos")) {
		snprintf(xccos_errbuf, sizeof(xccos_errbuf),
				"root element <%.64s> (namespace %.96s) is not <xccos> in "
				"namespace %s",
				(const char *)root->name,
				(root->ns && root->ns->href) ? (const char *)root->ns->href
											 : "none",
				PCHAT_XCCOS_NS);
		xmlFreeDoc(doc);
		return xccos_fail(errtext, PCHAT_XCCOS_ENOTXCCOS, xccos_errbuf);
	}

	env->doc = doc;
	env->ver = xccos_attr_or_empty(root, "ver");
	env->envid = xccos_attr_or_empty(root, "envid");
	/* envid is echoed verbatim into <commandid>: only digits may pass */
	if(pchat_xccos_attr(root, "envid") != NULL
			&& !xccos_valid_envid(env->envid)) {
		pchat_xccos_free(env);
		return xccos_fail(errtext, PCHAT_XCCOS_EBADENVID,
				"envid is not a decimal unsigned integer");
	}

	nmsgs = 0;
	for(n = root->children; n != NULL; n = n->next) {
		kind = xccos_msg_kind(n);
		if(kind == 0)
			continue;
		if(nmsgs >= PCHAT_XCCOS_MAX_MSGS) {
			pchat_xccos_free(env);
			snprintf(xccos_errbuf, sizeof(xccos_errbuf),
					"more than %d messages in one envelope",
					PCHAT_XCCOS_MAX_MSGS);
			return xccos_fail(errtext, PCHAT_XCCOS_ETOOMANY, xccos_errbuf);
		}
		m = &env->msgs[nmsgs++];
		m->kind = kind;
		m->id = xccos_attr_or_empty(n, "id");
		m->seqid = xccos_attr_or_empty(n, "seqid");
		m->node = n;
		m->data = pchat_xccos_child(n, "data");
	}
	if(nmsgs == 0) {
		pchat_xccos_free(env);
		return xccos_fail(errtext, PCHAT_XCCOS_ENOMSG,
				"no cmd/rpl/ntc/grpchat element under <xccos>");
	}
	env->nmsgs = nmsgs;
	return PCHAT_XCCOS_OK;
}

void pchat_xccos_free(pchat_xccos_env_t *env)
{
	if(env == NULL)
		return;
	if(env->doc)
		xmlFreeDoc(env->doc);
	memset(env, 0, sizeof(*env));
	env->envid = "";
	env->ver = "";
}

xmlNodePtr pchat_xccos_child(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n;

	if(parent == NULL)
		return NULL;
	for(n = parent->children; n != NULL; n = n->next) {
		if(xccos_is_elem(n, name))
			return n;
	}
	return NULL;
}

xmlNodePtr pchat_xccos_next(xmlNodePtr node, const char *name)
{
	xmlNodePtr n;

	if(node == NULL)
		return NULL;
	for(n = node->next; n != NULL; n = n->next) {
		if(xccos_is_elem(n, name))
			return n;
	}
	return NULL;
}

const char *pchat_xccos_attr(xmlNodePtr node, const char *name)
{
	xmlAttrPtr a;
	xmlNodePtr t;
	xmlChar *v;

	if(node == NULL || name == NULL || node->type != XML_ELEMENT_NODE)
		return NULL;
	for(a = node->properties; a != NULL; a = a->next) {
		/* unprefixed attributes have no namespace; xsi:nil & co. must not
		 * shadow ours */
		if(a->ns == NULL && strcmp((const char *)a->name, name) == 0)
			break;
	}
	if(a == NULL)
		return NULL;
	t = a->children;
	if(t == NULL)
		return "";
	if(t->next == NULL && t->type == XML_TEXT_NODE)
		return t->content ? (const char *)t->content : "";

	/* Several children only arise from entity references, which the parser
	 * cannot produce (DOCTYPE is rejected), but a tree built elsewhere
	 * might.  Flatten once into a single text node so the result still
	 * lives exactly as long as the document and the caller frees nothing. */
	v = xmlNodeListGetString(a->doc, a->children, 1);
	if(v == NULL)
		return "";
	t = xmlNewDocText(a->doc, v);
	xmlFree(v);
	if(t == NULL)
		return NULL;
	xmlFreeNodeList(a->children);
	t->parent = (xmlNodePtr)a;
	a->children = t;
	a->last = t;
	return t->content ? (const char *)t->content : "";
}

const char *pchat_xccos_name(const char *id, const char *prefix)
{
	size_t plen;

	if(id == NULL || prefix == NULL)
		return NULL;
	plen = strlen(prefix);
	if(strncmp(id, prefix, plen) != 0)
		return NULL;
	return id + plen;
}

int pchat_xccos_utf8_prefix(const char *s, int max)
{
	int n;

	for(n = 0; n < max && s[n] != '\0'; n++)
		;
	if(n < max || s[n] == '\0')
		return n;
	/* s[n] is the first byte left out: a continuation byte means the
	 * character it belongs to started before n */
	while(n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/*
 * Writer
 */

void pchat_xbuf_init(pchat_xbuf_t *b)
{
	memset(b, 0, sizeof(*b));
}

void pchat_xbuf_free(pchat_xbuf_t *b)
{
	if(b->s)
		PCHAT_XFREE(b->s);
	pchat_xbuf_init(b);
}

static int xbuf_reserve(pchat_xbuf_t *b, int need)
{
	int want;
	int nsize;
	char *ns;

	if(b->err)
		return -1;
	/* +1 keeps room for the terminating NUL */
	if(need < 0 || need > INT_MAX - 1 - b->len) {
		b->err = XW_ERR_NOMEM;
		return -1;
	}
	want = b->len + need + 1;
	if(want <= b->size)
		return 0;
	nsize = b->size > 0 ? b->size : 256;
	while(nsize < want)
		nsize = (nsize > INT_MAX / 2) ? want : nsize * 2;
	if(b->s == NULL)
		ns = PCHAT_XMALLOC((size_t)nsize);
	else
		ns = PCHAT_XREALLOC(b->s, (size_t)nsize);
	if(ns == NULL) {
		b->err = XW_ERR_NOMEM;
		return -1;
	}
	b->s = ns;
	b->size = nsize;
	return 0;
}

static void xbuf_put(pchat_xbuf_t *b, const char *s, int n)
{
	if(n <= 0 || xbuf_reserve(b, n) < 0)
		return;
	memcpy(b->s + b->len, s, (size_t)n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void xbuf_puts(pchat_xbuf_t *b, const char *s)
{
	xbuf_put(b, s, (int)strlen(s));
}

static void xw_close_pending(pchat_xbuf_t *b)
{
	if(b->open_tag) {
		xbuf_put(b, ">", 1);
		b->open_tag = 0;
	}
}

/* Characters invalid in XML 1.0 are dropped rather than escaped: even
 * &#1; is not well-formed, and one bad byte in a user's message must not
 * make the client reject the whole envelope.  In attributes, TAB/LF/CR are
 * written as references because attribute-value normalisation would turn
 * them into spaces; in text only CR needs it (line-end normalisation). */
static void xw_escape(pchat_xbuf_t *b, const char *s, int len, int in_attr)
{
	const char *p;
	const char *run;
	const char *end;
	const char *rep;
	unsigned char c;

	if(s == NULL)
		return;
	if(len < 0)
		len = (int)strlen(s);
	end = s + len;
	run = s;
	for(p = s; p < end; p++) {
		c = (unsigned char)*p;
		switch(c) {
			case '&':
				rep = "&amp;";
				break;
			case '<':
				rep = "&lt;";
				break;
			case '>':
				rep = "&gt;";
				break;
			case '"':
				rep = "&quot;";
				break;
			case '\'':
				rep = "&apos;";
				break;
			case '\r':
				rep = "&#13;";
				break;
			case '\t':
				rep = in_attr ? "&#9;" : NULL;
				break;
			case '\n':
				rep = in_attr ? "&#10;" : NULL;
				break;
			default:
				rep = (c < 0x20) ? "" : NULL;
				break;
		}
		if(rep == NULL)
			continue;
		xbuf_put(b, run, (int)(p - run));
		xbuf_puts(b, rep);
		run = p + 1;
	}
	xbuf_put(b, run, (int)(end - run));
}

void pchat_xw_start(pchat_xbuf_t *b, const char *name)
{
	if(b->err)
		return;
	xw_close_pending(b);
	xbuf_put(b, "<", 1);
	xbuf_puts(b, name);
	b->open_tag = 1;
	b->depth++;
}

/* ' name="PREFIXval"', the prefix being a trusted literal like "rpl:" */
static void xw_attr_pfx(pchat_xbuf_t *b, const char *name, const char *pfx,
		const char *val, int len)
{
	if(b->err)
		return;
	if(!b->open_tag) {
		/* would land in text content and corrupt the document */
		b->err = XW_ERR_MISUSE;
		return;
	}
	xbuf_put(b, " ", 1);
	xbuf_puts(b, name);
	xbuf_put(b, "=\"", 2);
	if(pfx)
		xbuf_puts(b, pfx);
	if(val)
		xw_escape(b, val, len, 1);
	xbuf_put(b, "\"", 1);
}

void pchat_xw_attr(pchat_xbuf_t *b, const char *name, const char *val)
{
	xw_attr_pfx(b, name, NULL, val, -1);
}

void pchat_xw_attrn(pchat_xbuf_t *b, const char *name, const char *val, int len)
{
	xw_attr_pfx(b, name, NULL, val, len);
}

void pchat_xw_attr_int(pchat_xbuf_t *b, const char *name, long long v)
{
	char num[24];

	snprintf(num, sizeof(num), "%lld", v);
	xw_attr_pfx(b, name, NULL, num, -1);
}

void pchat_xw_text(pchat_xbuf_t *b, const char *s, int len)
{
	if(b->err)
		return;
	xw_close_pending(b);
	xw_escape(b, s, len, 0);
}

void pchat_xw_end(pchat_xbuf_t *b, const char *name)
{
	if(b->err)
		return;
	if(b->depth <= 0) {
		b->err = XW_ERR_MISUSE;
		return;
	}
	if(b->open_tag) {
		xbuf_put(b, "/>", 2);
		b->open_tag = 0;
	} else {
		xbuf_put(b, "</", 2);
		xbuf_puts(b, name);
		xbuf_put(b, ">", 1);
	}
	b->depth--;
}

void pchat_xw_env_start(pchat_xbuf_t *b, unsigned long long envid)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", envid);
	pchat_xw_start(b, "xccos");
	pchat_xw_attr(b, "xmlns", PCHAT_XCCOS_NS);
	pchat_xw_attr(b, "ver", "1");
	pchat_xw_attr(b, "envid", num);
}

void pchat_xw_env_end(pchat_xbuf_t *b)
{
	pchat_xw_end(b, "xccos");
}

void pchat_xw_rpl_start(pchat_xbuf_t *b, const char *name,
		const char *cmd_seqid, const char *cmd_envid, int code,
		const char *token)
{
	pchat_xw_start(b, "rpl");
	xw_attr_pfx(b, "id", "rpl:", name, -1);
	/* captures always show seqid="1" on replies; correlation is done by
	 * <commandid>, not by this value */
	pchat_xw_attr(b, "seqid", "1");
	pchat_xw_start(b, "commandid");
	if(cmd_seqid)
		pchat_xw_attr(b, "seqid", cmd_seqid);
	if(cmd_envid)
		pchat_xw_attr(b, "envid", cmd_envid);
	pchat_xw_end(b, "commandid");
	pchat_xw_start(b, "resp");
	pchat_xw_attr_int(b, "code", code);
	pchat_xw_text(b, token ? token : pchat_xccos_token(code), -1);
	pchat_xw_end(b, "resp");
	pchat_xw_start(b, "data");
}

void pchat_xw_rpl_end(pchat_xbuf_t *b)
{
	pchat_xw_end(b, "data");
	pchat_xw_end(b, "rpl");
}

void pchat_xw_ntc_start(pchat_xbuf_t *b, const char *name)
{
	pchat_xw_start(b, "ntc");
	xw_attr_pfx(b, "id", "ntc:", name, -1);
	pchat_xw_attr(b, "seqid", "1");
	pchat_xw_start(b, "data");
}

void pchat_xw_ntc_end(pchat_xbuf_t *b)
{
	pchat_xw_end(b, "data");
	pchat_xw_end(b, "ntc");
}

const char *pchat_xccos_token(int code)
{
	switch(code) {
		case 200:
			return "SUCCESS_OK";
		case 400:
			return "BAD_REQUEST";
		case 403:
			return "ACCESS_DENIED";
		case 404:
			return "NOT_FOUND";
		case 409:
			return "CONFLICT";
		case 413:
			return "MESSAGE_TOO_LARGE";
		case 501:
			return "NOT_IMPLEMENTED";
		case 503:
			return "SERVICE_UNAVAILABLE";
		default:
			/* the one failure token seen in the wild */
			return "OPERATION_FAILED";
	}
}

/*
 * Time.  Done with plain calendar arithmetic (H. Hinnant's civil date
 * algorithms) instead of gmtime()/timegm(): no TZ or locale dependency and
 * no time_t range limits.
 */

static long long xccos_days_from_civil(long long y, int m, int d)
{
	long long era;
	long long yoe;
	long long doy;
	long long doe;

	y -= (m <= 2);
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void xccos_civil_from_days(long long z, long long *y, int *m, int *d)
{
	long long era;
	long long doe;
	long long yoe;
	long long doy;
	long long mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int pchat_xccos_format_ts(char *out, long long ms)
{
	long long days;
	long long rem;
	long long y;
	int m;
	int d;
	int secs;
	int n;
	char tmp[128];

	days = ms / 86400000LL;
	rem = ms % 86400000LL;
	if(rem < 0) {
		rem += 86400000LL;
		days--;
	}
	xccos_civil_from_days(days, &y, &m, &d);
	secs = (int)(rem / 1000);
	/* .NET "o" format: 7 fractional digits; we only have milliseconds.
	 * Even the extreme years of a long long fit in 40 bytes; the scratch
	 * buffer only spares the compiler's truncation analysis. */
	n = snprintf(tmp, sizeof(tmp), "%04lld-%02d-%02dT%02d:%02d:%02d.%03d0000Z",
			y, m, d, secs / 3600, (secs / 60) % 60, secs % 60,
			(int)(rem % 1000));
	if(n < 0)
		n = 0;
	if(n > 39)
		n = 39;
	memcpy(out, tmp, (size_t)n);
	out[n] = '\0';
	return n;
}

static int xccos_digits(const char **pp, int n, int *val)
{
	const char *p = *pp;
	int v = 0;
	int i;

	/* stops at the NUL terminator, which is not a digit */
	for(i = 0; i < n; i++) {
		if(p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*pp = p + n;
	*val = v;
	return 0;
}

static int xccos_mdays(int y, int m)
{
	static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if(m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return md[m - 1];
}

int pchat_xccos_parse_ts(const char *s, long long *ms)
{
	const char *p = s;
	int y, mo, d;
	int hh = 0, mi = 0, ss = 0, frac = 0;
	int oh = 0, om = 0, osign = 0;
	int i;

	if(s == NULL)
		return -1;
	if(xccos_digits(&p, 4, &y) < 0 || *p++ != '-'
			|| xccos_digits(&p, 2, &mo) < 0 || *p++ != '-'
			|| xccos_digits(&p, 2, &d) < 0)
		return -1;
	if(mo < 1 || mo > 12 || d < 1 || d > xccos_mdays(y, mo))
		return -1;

	if(*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if(xccos_digits(&p, 2, &hh) < 0 || *p++ != ':'
				|| xccos_digits(&p, 2, &mi) < 0)
			return -1;
		if(*p == ':') {
			p++;
			if(xccos_digits(&p, 2, &ss) < 0)
				return -1;
			if(*p == '.' || *p == ',') {
				p++;
				if(*p < '0' || *p > '9')
					return -1;
				/* keep milliseconds, truncate the rest like .NET does
				 * when going down to a coarser unit */
				for(i = 0; *p >= '0' && *p <= '9'; i++, p++) {
					if(i < 3)
						frac = frac * 10 + (*p - '0');
				}
				for(; i < 3; i++)
					frac *= 10;
			}
		}
		/* 60 is a leap second: accepted, it simply rolls over */
		if(hh > 23 || mi > 59 || ss > 60)
			return -1;

		if(*p == 'Z' || *p == 'z') {
			p++;
		} else if(*p == '+' || *p == '-') {
			osign = (*p == '-') ? -1 : 1;
			p++;
			if(xccos_digits(&p, 2, &oh) < 0)
				return -1;
			if(*p == ':') {
				p++;
				if(xccos_digits(&p, 2, &om) < 0)
					return -1;
			} else if(*p >= '0' && *p <= '9') {
				if(xccos_digits(&p, 2, &om) < 0)
					return -1;
			}
			if(oh > 23 || om > 59)
				return -1;
		}
	}
	if(*p != '\0')
		return -1;

	if(ms)
		*ms = xccos_days_from_civil(y, mo, d) * 86400000LL
			  + ((long long)hh * 3600 + mi * 60 + ss) * 1000 + frac
			  - (long long)osign * (oh * 60 + om) * 60000LL;
	return 0;
}
