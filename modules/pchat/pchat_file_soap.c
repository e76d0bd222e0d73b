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
/* Entry layer: Lync's file web service operations (MGCWebService, SOAP 1.1,
 * namespace http://www.microsoft.com) on the file service: the same
 * tokens, rows and chunks as the REST form (pchat_file_http.c). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "core/basex.h"
#include "core/cfg/cfg.h"
#include "core/dprint.h"
#include "core/mem/pkg.h"
#include "core/tcp_options.h"

#include "pchat_access.h"
#include "pchat_cmd_file.h"
#include "pchat_config.h"
#include "pchat_file.h"
#include "pchat_file_http.h"
#include "pchat_file_soap.h"

#define PCHAT_SOAP_ENV "http://schemas.xmlsoap.org/soap/envelope/"
#define PCHAT_SOAP_NS "http://www.microsoft.com"
/* room for the envelope around a chunk's base64 */
#define PCHAT_SOAP_OVERHEAD 2048

typedef struct pchat_soap
{
	sip_msg_t *msg;
	xmlDocPtr doc;
	xmlNodePtr op; /* the operation element in the Body */
	const char *name;
} pchat_soap_t;

/* A SOAP 1.1 fault: HTTP 500 (Lync clients stop on a 4xx, and SOAP 1.1
 * answers faults with 500 anyway); who: Client or Server. */
static int pchat_soap_fault(pchat_soap_t *s, const char *who, const char *why)
{
	xmlChar *esc = xmlEncodeSpecialChars(NULL, (const xmlChar *)why);
	char body[1024];
	int n;

	n = snprintf(body, sizeof(body),
			"<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope "
			"xmlns:soap=\"" PCHAT_SOAP_ENV "\"><soap:Body><soap:Fault>"
			"<faultcode>soap:%s</faultcode><faultstring>%s</faultstring>"
			"</soap:Fault></soap:Body></soap:Envelope>",
			who, esc ? (const char *)esc : "error");
	xmlFree(esc);
	if(n >= (int)sizeof(body))
		n = sizeof(body) - 1;
	return pchat_http_reply(s->msg, 500, "Internal Server Error",
			"text/xml; charset=utf-8", "", body, n);
}

/* <OpResponse><OpResult>value</OpResult></OpResponse>, value already
 * XML-safe (numbers, hex names, base64). */
static int pchat_soap_result(pchat_soap_t *s, const char *value, int vlen)
{
	int size = vlen + 512 + 2 * strlen(s->name), n;
	char *body = pkg_malloc(size);

	if(body == NULL)
		return pchat_soap_fault(s, "Server", "no memory");
	n = snprintf(body, size,
			"<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope "
			"xmlns:soap=\"" PCHAT_SOAP_ENV "\"><soap:Body><%sResponse "
			"xmlns=\"" PCHAT_SOAP_NS "\"><%sResult>%.*s</%sResult></%sResponse>"
			"</soap:Body></soap:Envelope>",
			s->name, s->name, vlen, value, s->name, s->name);
	n = pchat_http_reply(
			s->msg, 200, "OK", "text/xml; charset=utf-8", "", body, n);
	pkg_free(body);
	return n;
}

static int pchat_soap_int(pchat_soap_t *s, long long v)
{
	char buf[32];

	return pchat_soap_result(s, buf, snprintf(buf, sizeof(buf), "%lld", v));
}

/* The text of the operation's child name ("" when absent), static until
 * the next call. */
static const char *pchat_soap_arg(pchat_soap_t *s, const char *name)
{
	static char *last = NULL;
	xmlNodePtr c;

	if(last) {
		xmlFree(last);
		last = NULL;
	}
	for(c = s->op->children; c; c = c->next)
		if(c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0) {
			last = (char *)xmlNodeGetContent(c);
			return last ? last : "";
		}
	return "";
}

static long long pchat_soap_ll(pchat_soap_t *s, const char *name, int *bad)
{
	const char *v = pchat_soap_arg(s, name);
	char *end;
	long long n = strtoll(v, &end, 10);

	if(v[0] == '\0' || *end != '\0' || n < 0)
		*bad = 1;
	return n;
}

/* The token argument checked for the direction (-1 either), its file,
 * and the room's guid against channelId: NULL, or the fault's text. */
static const char *pchat_soap_file(pchat_soap_t *s, int up, pchat_ftoken_t *t,
		pchat_file_t *f, const char *fname_arg)
{
	char tok[PCHAT_FILE_TOKEN_LEN + 1];
	const char *why, *name;
	pchat_room_t room;
	int rc;

	snprintf(tok, sizeof(tok), "%s", pchat_soap_arg(s, "token"));
	rc = pchat_http_token_check(tok, up, t, &why);
	if(rc != 200)
		return why ? why : "storage error";
	if(pchat_room_by_id(t->room_id, &room) <= 0
			|| strcasecmp(room.guid, pchat_soap_arg(s, "channelId")) != 0)
		return "channelId is not the token's room";
	if(!t->up && pchat_cmd_file_may_read(t, &why) != 1)
		return why ? why : "storage error";
	name = fname_arg ? pchat_soap_arg(s, fname_arg) : NULL;
	/* a room's download token: the file is the one the call names */
	rc = t->file_id ? pchat_file_by_id(t->file_id, f)
					: pchat_file_by_name(t->room_id, name ? name : "", f);
	if(rc != 1)
		return rc < 0 ? "storage error" : "no such file";
	if(name && name[0] && strcmp(name, f->stored) != 0)
		return "not the token's file (RequestUniqueFilenameWithExtension)";
	return NULL;
}

static int pchat_soap_append(pchat_soap_t *s)
{
	pchat_server_config_t cfg;
	pchat_store_rc_t src;
	pchat_ftoken_t t;
	pchat_file_t f;
	const char *why, *b64;
	long long off, total;
	int bad = 0, len;
	char *data;

	if((why = pchat_soap_file(s, 1, &t, &f, "uniqueFilename")) != NULL)
		return pchat_soap_fault(s, "Client", why);
	off = pchat_soap_ll(s, "offset", &bad);
	total = pchat_soap_ll(s, "fileLength", &bad);
	if(bad || pchat_store_server_config_cached(&cfg) != PCHAT_STORE_OK)
		return pchat_soap_fault(s, "Client", "offset and fileLength are needed");
	b64 = pchat_soap_arg(s, "fileChunk");
	len = strlen(b64);
	if(base64_max_dec_len(len) > pchat_file_chunk_max())
		return pchat_soap_fault(s, "Client", "fileChunk above GetMaxRequestContentInKB");
	data = pkg_malloc(base64_max_dec_len(len) + 1);
	if(data == NULL)
		return pchat_soap_fault(s, "Server", "no memory");
	len = base64_dec((unsigned char *)b64, len, (unsigned char *)data,
			base64_max_dec_len(len) + 1);
	if(len <= 0) {
		pkg_free(data);
		pchat_file_abort(f.id);
		return pchat_soap_fault(s, "Client", "fileChunk is not base64");
	}
	switch(pchat_file_append(f.id, off, total, data, len,
			1024LL * cfg.max_file_size_kb, &f, &src)) {
		case PCHAT_FILE_DONE:
			if(pchat_cmd_file_posted(&f) != PCHAT_STORE_OK)
				LM_ERR("file %s stored but its post failed\n", f.stored);
			/* fall through */
		case PCHAT_FILE_MORE:
			pkg_free(data);
			return pchat_soap_result(s, "true", 4);
		default:
			pkg_free(data);
			return pchat_soap_fault(s, "Client", "the chunk is refused: the upload is "
					"cancelled (offset, fileLength, GetMaxFileSizeInKB)");
	}
}

static int pchat_soap_download(pchat_soap_t *s)
{
	pchat_ftoken_t t;
	pchat_file_t f;
	const char *why;
	long long off, want;
	int bad = 0, n, ret;
	char *data, *b64;

	if((why = pchat_soap_file(s, 0, &t, &f, "reposFileName")) != NULL)
		return pchat_soap_fault(s, "Client", why);
	off = pchat_soap_ll(s, "offset", &bad);
	want = pchat_soap_ll(s, "bufferSize", &bad);
	if(bad || off > f.size)
		return pchat_soap_fault(s, "Client", "offset and bufferSize are needed, "
				"offset within the file");
	if(want > pchat_file_chunk_max())
		want = pchat_file_chunk_max();
	if(want > f.size - off)
		want = f.size - off;
	data = pkg_malloc(want + 1);
	b64 = pkg_malloc(base64_enc_len(want) + 1);
	if(data == NULL || b64 == NULL || (n = pchat_file_read(&f, off, data, want)) != want) {
		if(data)
			pkg_free(data);
		if(b64)
			pkg_free(b64);
		return pchat_soap_fault(s, "Server", "the file could not be read");
	}
	if(off == 0 && pchat_cmd_file_downloaded(&t, &f) != PCHAT_STORE_OK) {
		pkg_free(data);
		pkg_free(b64);
		return pchat_soap_fault(s, "Server", "storage error");
	}
	n = base64_enc((unsigned char *)data, n, (unsigned char *)b64,
			base64_enc_len(want) + 1);
	ret = pchat_soap_result(s, b64, n);
	pkg_free(data);
	pkg_free(b64);
	return ret;
}

static int pchat_soap_op(pchat_soap_t *s)
{
	pchat_server_config_t cfg;
	pchat_ftoken_t t;
	pchat_file_t f;
	const char *why;
	int kb;

	if(strcmp(s->name, "GetMaxFileSizeInKB") == 0) {
		if(pchat_store_server_config_cached(&cfg) != PCHAT_STORE_OK)
			return pchat_soap_fault(s, "Server", "storage error");
		return pchat_soap_int(s, cfg.max_file_size_kb);
	}
	if(strcmp(s->name, "GetMaxRequestContentInKB") == 0) {
		/* what the raw file chunk may be, so that its base64 and the
		 * envelope fit Kamailio's read buffer */
		kb = ((int)cfg_get(tcp, tcp_cfg, rd_buf_size) - PCHAT_SOAP_OVERHEAD)
			 / 4 * 3 / 1024;
		if(kb * 1024 > pchat_file_chunk_max())
			kb = pchat_file_chunk_max() / 1024;
		return pchat_soap_int(s, kb > 0 ? kb : 1);
	}
	if(strcmp(s->name, "AppendChunk") == 0)
		return pchat_soap_append(s);
	if(strcmp(s->name, "DownloadChunk") == 0)
		return pchat_soap_download(s);
	if(strcmp(s->name, "RequestUniqueFilenameWithExtension") == 0) {
		if((why = pchat_soap_file(s, 1, &t, &f, NULL)) != NULL)
			return pchat_soap_fault(s, "Client", why);
		return pchat_soap_result(s, f.stored, strlen(f.stored));
	}
	if(strcmp(s->name, "GetFileSize") == 0) {
		if((why = pchat_soap_file(s, -1, &t, &f, "reposFileName")) != NULL)
			return pchat_soap_fault(s, "Client", why);
		return pchat_soap_int(s, f.size);
	}
	return pchat_soap_fault(s, "Client", "unknown operation");
}

int pchat_file_soap(sip_msg_t *msg)
{
	pchat_soap_t s;
	xmlNodePtr body = NULL, c;
	char *b = get_body(msg);
	int blen = b ? msg->len - (int)(b - msg->buf) : 0, ret;

	memset(&s, 0, sizeof(s));
	s.msg = msg;
	s.name = "";
	s.doc = b ? xmlReadMemory(b, blen, NULL, NULL,
						XML_PARSE_NONET | XML_PARSE_NOBLANKS)
			  : NULL;
	c = s.doc ? xmlDocGetRootElement(s.doc) : NULL;
	if(c && c->ns && strcmp((const char *)c->ns->href, PCHAT_SOAP_ENV) == 0)
		for(c = c->children; c; c = c->next)
			if(c->type == XML_ELEMENT_NODE
					&& strcmp((const char *)c->name, "Body") == 0)
				body = c;
	for(c = body ? body->children : NULL; c; c = c->next)
		if(c->type == XML_ELEMENT_NODE && c->ns
				&& strcmp((const char *)c->ns->href, PCHAT_SOAP_NS) == 0) {
			s.op = c;
			s.name = (const char *)c->name;
			break;
		}
	ret = s.op ? pchat_soap_op(&s)
			   : pchat_soap_fault(&s, "Client", "not a SOAP 1.1 request of the "
					   "file web service");
	if(s.doc)
		xmlFreeDoc(s.doc);
	return ret;
}
