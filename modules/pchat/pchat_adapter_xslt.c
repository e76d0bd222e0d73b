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
/* The XmlAdapter's optional post-processing (Lync's CustomConfiguration):
 * an XSLT stylesheet applied to an output file with libxslt. No Kamailio
 * and no database. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxslt/security.h>
#include <libxslt/transform.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>

#include "pchat_adapter.h"

/* libxslt's messages would go to Kamailio's stderr, unlogged: the caller
 * reports the failure through err instead */
static void pchat_xslt_quiet(void *ctx, const char *msg, ...)
{
}

static int pchat_xslt_fail(char *err, int esz, const char *what,
		const char *path)
{
	snprintf(err, esz, "%s %s", what, path);
	return -1;
}

/* Writes the result to out (created, fsynced); 0 or -1 with err set. */
static int pchat_xslt_save(xmlDocPtr res, xsltStylesheetPtr st,
		const char *out, char *err, int esz)
{
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), bad;

	if(fd < 0) {
		snprintf(err, esz, "cannot create %s: %s", out, strerror(errno));
		return -1;
	}
	errno = 0;
	bad = xsltSaveResultToFd(fd, res, st) < 0 || fsync(fd) != 0;
	if(bad)
		snprintf(err, esz, "cannot write %s: %s", out,
				errno ? strerror(errno) : "the stylesheet's output");
	if(close(fd) != 0 && !bad) {
		snprintf(err, esz, "cannot write %s: %s", out, strerror(errno));
		bad = 1;
	}
	return bad ? -1 : 0;
}

/* The stylesheet runs inside Kamailio, as its user: it may read local
 * files (document()), not write any (exsl:document), make directories or
 * use the network. NULL: out of memory. */
static xsltSecurityPrefsPtr pchat_xslt_sandbox(void)
{
	xsltSecurityPrefsPtr sec = xsltNewSecurityPrefs();

	if(sec == NULL
			|| xsltSetSecurityPrefs(
					   sec, XSLT_SECPREF_WRITE_FILE, xsltSecurityForbid)
					   < 0
			|| xsltSetSecurityPrefs(sec, XSLT_SECPREF_CREATE_DIRECTORY,
					   xsltSecurityForbid)
					   < 0
			|| xsltSetSecurityPrefs(
					   sec, XSLT_SECPREF_READ_NETWORK, xsltSecurityForbid)
					   < 0
			|| xsltSetSecurityPrefs(
					   sec, XSLT_SECPREF_WRITE_NETWORK, xsltSecurityForbid)
					   < 0) {
		if(sec)
			xsltFreeSecurityPrefs(sec);
		return NULL;
	}
	return sec;
}

/* The transform of doc in the sandbox; NULL when it failed. */
static xmlDocPtr pchat_xslt_run(xsltStylesheetPtr st, xmlDocPtr doc)
{
	xsltSecurityPrefsPtr sec = pchat_xslt_sandbox();
	xsltTransformContextPtr tc;
	xmlDocPtr res = NULL;

	if(sec == NULL)
		return NULL;
	tc = xsltNewTransformContext(st, doc);
	if(tc && xsltSetCtxtSecurityPrefs(sec, tc) == 0) {
		res = xsltApplyStylesheetUser(st, doc, NULL, NULL, NULL, tc);
		/* a forbidden write or xsl:message terminate="yes" */
		if(res && tc->state != XSLT_STATE_OK) {
			xmlFreeDoc(res);
			res = NULL;
		}
	}
	if(tc)
		xsltFreeTransformContext(tc);
	xsltFreeSecurityPrefs(sec);
	return res;
}

int pchat_xslt_apply(const char *xsl, const char *in, const char *out,
		char *err, int esz)
{
	xsltStylesheetPtr st;
	xmlDocPtr doc, res = NULL;
	int rc = -1;

	xmlSetGenericErrorFunc(NULL, pchat_xslt_quiet);
	xsltSetGenericErrorFunc(NULL, pchat_xslt_quiet);
	st = xsltParseStylesheetFile((const xmlChar *)xsl);
	if(st == NULL)
		return pchat_xslt_fail(err, esz, "cannot parse the stylesheet", xsl);
	doc = xmlReadFile(in, NULL, XML_PARSE_NONET);
	if(doc == NULL)
		pchat_xslt_fail(err, esz, "cannot read back", in);
	else if((res = pchat_xslt_run(st, doc)) == NULL)
		snprintf(err, esz, "the stylesheet %s failed on %s", xsl, in);
	else
		rc = pchat_xslt_save(res, st, out, err, esz);
	if(res)
		xmlFreeDoc(res);
	if(doc)
		xmlFreeDoc(doc);
	xsltFreeStylesheet(st);
	return rc;
}
