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
/* Unit tests for the XCCOS envelope parser and writer */

/* The harness (cases, CHECK, summary line) is unit.h. */

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "pchat_xccos.h"
#include "unit.h"

#define NS PCHAT_XCCOS_NS

/* A case is BEGIN, CHECKs, a "done:" label, cleanup, END.  The first failing
 * CHECK records its detail and jumps to done: so the cleanup always runs. */

#define STREQ(a, b) ((a) != NULL && (b) != NULL && strcmp((a), (b)) == 0)
#define S(x) ((x) ? (x) : "(null)")

static pchat_xccos_err_t parse(
		const char *s, pchat_xccos_env_t *env, const char **et)
{
	return pchat_xccos_parse(s, (int)strlen(s), 65536, env, et);
}

static const char *errname(pchat_xccos_err_t e)
{
	switch(e) {
		case PCHAT_XCCOS_OK:
			return "OK";
		case PCHAT_XCCOS_EEMPTY:
			return "EEMPTY";
		case PCHAT_XCCOS_ETOOBIG:
			return "ETOOBIG";
		case PCHAT_XCCOS_ENOTXML:
			return "ENOTXML";
		case PCHAT_XCCOS_ENOTXCCOS:
			return "ENOTXCCOS";
		case PCHAT_XCCOS_EBADENVID:
			return "EBADENVID";
		case PCHAT_XCCOS_ENOMSG:
			return "ENOMSG";
		case PCHAT_XCCOS_ETOOMANY:
			return "ETOOMANY";
	}
	return "?";
}

#define SIPE_REQURI                                                       \
	"<xccos ver=\"1\" envid=\"1234\" xmlns=\"urn:parlano:xml:ns:xccos\">" \
	"<cmd id=\"cmd:requri\" seqid=\"1\"><data/></cmd></xccos>"

/* checks shared by the requri variants; returns a detail or NULL */
static const char *check_requri(const char *body, int len)
{
	static char msg[256];
	pchat_xccos_env_t env;
	const char *et = "unset";
	pchat_xccos_err_t r;
	const char *res = NULL;

	r = pchat_xccos_parse(body, len, 65536, &env, &et);
	if(r != PCHAT_XCCOS_OK) {
		snprintf(msg, sizeof(msg), "parse -> %s (%s)", errname(r), S(et));
		return msg;
	}
	if(et != NULL)
		res = "errtext not NULL on success";
	else if(env.doc == NULL)
		res = "doc NULL";
	else if(env.nmsgs != 1)
		res = "nmsgs != 1";
	else if(env.msgs[0].kind != PCHAT_XMSG_CMD)
		res = "kind != CMD";
	else if(!STREQ(env.msgs[0].id, "cmd:requri"))
		res = "id";
	else if(!STREQ(env.msgs[0].seqid, "1"))
		res = "seqid";
	else if(!STREQ(env.envid, "1234"))
		res = "envid";
	else if(!STREQ(env.ver, "1"))
		res = "ver";
	else if(env.msgs[0].data == NULL)
		res = "data NULL";
	else if(env.msgs[0].node == NULL
			|| strcmp((const char *)env.msgs[0].node->name, "cmd") != 0)
		res = "node";
	pchat_xccos_free(&env);
	return res;
}

static void t_requri(void)
{
	const char *d;

	d = check_requri(SIPE_REQURI, (int)strlen(SIPE_REQURI));
	unit_report("parse sipe cmd:requri", d);

	d = check_requri("<?xml version=\"1.0\" encoding=\"utf-8\"?>" SIPE_REQURI,
			(int)strlen(
					"<?xml version=\"1.0\" encoding=\"utf-8\"?>" SIPE_REQURI));
	unit_report("parse with XML declaration", d);

	d = check_requri("\xEF\xBB\xBF" SIPE_REQURI,
			(int)strlen("\xEF\xBB\xBF" SIPE_REQURI));
	unit_report("parse with UTF-8 BOM", d);

	d = check_requri("\xEF\xBB\xBF\r\n<?xml version=\"1.0\"?>\n" SIPE_REQURI
					 "\r\n",
			(int)strlen("\xEF\xBB\xBF\r\n<?xml version=\"1.0\"?>\n" SIPE_REQURI
						"\r\n"));
	unit_report("parse with BOM, leading CRLF and declaration", d);

	/* Kamailio bodies are not NUL-terminated: only len bytes count */
	{
		char buf[512];
		int n = (int)strlen(SIPE_REQURI);

		memcpy(buf, SIPE_REQURI, (size_t)n);
		memcpy(buf + n, "<garbage", 9);
		d = check_requri(buf, n);
		unit_report("parse honours len, not NUL", d);
	}
}

static void t_declared_utf16(void)
{
	BEGIN("parse UTF-8 body declared as utf-16 (.NET quirk)");
	pchat_xccos_env_t env;
	const char *et = NULL;
	pchat_xccos_err_t r;
	xmlChar *txt = NULL;
	xmlNodePtr chat;

	r = parse("<?xml version=\"1.0\" encoding=\"utf-16\"?>"
			  "<xccos xmlns=\"" NS "\" ver=\"1\" envid=\"5\">"
			  "<grpchat id=\"grpchat\" seqid=\"1\"><chat>gr\303\274\303\237e"
			  "</chat></grpchat></xccos>",
			&env, &et);
	CHECK(r == PCHAT_XCCOS_OK, "parse -> %s (%s)", errname(r), S(et));
	chat = pchat_xccos_child(env.msgs[0].node, "chat");
	CHECK(chat != NULL, "no chat");
	txt = xmlNodeGetContent(chat);
	/* octal escapes: a hex escape would swallow the following 'e' */
	CHECK(STREQ((char *)txt, "gr\303\274\303\237e"), "text '%s'",
			txt ? (char *)txt : "(null)");
done:
	if(txt)
		xmlFree(txt);
	pchat_xccos_free(&env);
	END;
}

static void t_dotnet_extras(void)
{
	BEGIN("parse xmlns:xsd/xsi, unknown attrs/elements, comments");
	pchat_xccos_env_t env;
	const char *et = NULL;
	pchat_xccos_err_t r;

	r = parse("<xccos xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"\n"
			  "  xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
			  "  ver=\"1\" envid=\"18446744073709551615\" foo=\"bar\"\n"
			  "  xmlns=\"" NS "\">\n"
			  "  <!-- a comment -->\n"
			  "  <extension a=\"b\"><cmd id=\"nested\"/></extension>\n"
			  "  <rpl id=\"rpl:join\" seqid=\"1\" xsi:type=\"x\" extra=\"y\">\n"
			  "    <commandid seqid=\"1\" envid=\"99\"/>\n"
			  "    <resp code=\"200\">SUCCESS_OK</resp>\n"
			  "    <!-- another -->\n"
			  "    <data><unknown/></data>\n"
			  "  </rpl>\n"
			  "  <?some-pi x?>\n"
			  "</xccos>\n",
			&env, &et);
	CHECK(r == PCHAT_XCCOS_OK, "parse -> %s (%s)", errname(r), S(et));
	CHECK(env.nmsgs == 1, "nmsgs %d", env.nmsgs);
	CHECK(env.msgs[0].kind == PCHAT_XMSG_RPL, "kind %d", env.msgs[0].kind);
	CHECK(STREQ(env.msgs[0].id, "rpl:join"), "id '%s'", env.msgs[0].id);
	CHECK(STREQ(env.envid, "18446744073709551615"), "envid '%s'", env.envid);
	CHECK(env.msgs[0].data != NULL, "data NULL");
	CHECK(pchat_xccos_child(env.msgs[0].data, "unknown") != NULL,
			"unknown child not reachable");
	CHECK(pchat_xccos_attr(env.msgs[0].node, "type") == NULL,
			"xsi:type seen as unqualified 'type'");
	CHECK(STREQ(pchat_xccos_attr(env.msgs[0].node, "extra"), "y"), "extra");
done:
	pchat_xccos_free(&env);
	END;
}

static void t_getserverinfo(void)
{
	BEGIN("getserverinfo sib via child+attr");
	pchat_xccos_env_t env;
	const char *et = NULL;
	pchat_xccos_err_t r;
	xmlNodePtr sib;

	r = parse("<xccos xmlns=\"" NS "\" ver=\"1\" envid=\"42\">"
			  "<cmd id=\"cmd:getserverinfo\" seqid=\"1\"><data>"
			  "<sib domain=\"example.com\" infoType=\"123\"/>"
			  "</data></cmd></xccos>",
			&env, &et);
	CHECK(r == PCHAT_XCCOS_OK, "parse -> %s (%s)", errname(r), S(et));
	CHECK(STREQ(pchat_xccos_name(env.msgs[0].id, "cmd:"), "getserverinfo"),
			"name");
	sib = pchat_xccos_child(env.msgs[0].data, "sib");
	CHECK(sib != NULL, "no sib");
	CHECK(STREQ(pchat_xccos_attr(sib, "domain"), "example.com"), "domain");
	CHECK(STREQ(pchat_xccos_attr(sib, "infoType"), "123"), "infoType");
	CHECK(pchat_xccos_attr(sib, "infotype") == NULL, "attr not case-exact");
	CHECK(pchat_xccos_attr(sib, "missing") == NULL, "missing attr not NULL");
	CHECK(pchat_xccos_attr(NULL, "x") == NULL, "NULL node");
	CHECK(pchat_xccos_child(sib, "anything") == NULL, "child of empty");
	CHECK(pchat_xccos_next(sib, "sib") == NULL, "next past end");
done:
	pchat_xccos_free(&env);
	END;
}

static void t_grpchat(void)
{
	BEGIN("grpchat message kind and content");
	pchat_xccos_env_t env;
	const char *et = NULL;
	pchat_xccos_err_t r;
	xmlNodePtr chat;
	xmlChar *txt = NULL;

	r = parse("<xccos xmlns=\"" NS "\" ver=\"1\" envid=\"7\">"
			  "<grpchat id=\"grpchat\" seqid=\"1\" "
			  "chanUri=\"ma-chan://example.com/abc\" author=\"sip:a@b\" "
			  "ts=\"2013-08-03T10:15:00Z\">"
			  "<chat>hi &amp; &lt;bye&gt; <![CDATA[<raw>]]></chat>"
			  "</grpchat></xccos>",
			&env, &et);
	CHECK(r == PCHAT_XCCOS_OK, "parse -> %s (%s)", errname(r), S(et));
	CHECK(env.msgs[0].kind == PCHAT_XMSG_GRPCHAT, "kind %d", env.msgs[0].kind);
	CHECK(STREQ(env.msgs[0].id, "grpchat"), "id");
	CHECK(env.msgs[0].data == NULL, "data should be NULL");
	CHECK(STREQ(pchat_xccos_attr(env.msgs[0].node, "chanUri"),
				  "ma-chan://example.com/abc"),
			"chanUri");
	chat = pchat_xccos_child(env.msgs[0].node, "chat");
	CHECK(chat != NULL, "no chat");
	txt = xmlNodeGetContent(chat);
	CHECK(STREQ((char *)txt, "hi & <bye> <raw>"), "text '%s'",
			txt ? (char *)txt : "(null)");
	/* NOCDATA: the text is one plain text node */
	CHECK(chat->children && chat->children->type == XML_TEXT_NODE
					&& chat->children->next == NULL,
			"chat text not a single text node");
done:
	if(txt)
		xmlFree(txt);
	pchat_xccos_free(&env);
	END;
}

static void t_multi(void)
{
	BEGIN("multiple sibling messages");
	pchat_xccos_env_t env;
	const char *et = NULL;
	pchat_xccos_err_t r;
	xmlNodePtr n;
	int cnt;

	r = parse("<xccos xmlns=\"" NS "\" ver=\"1\" envid=\"9\">"
			  "<rpl id=\"rpl:bjoin\" seqid=\"1\"><data/></rpl>"
			  "<junk/>"
			  "<rpl id=\"rpl:getinv\" seqid=\"2\"><data/></rpl>"
			  "<ntc id=\"ntc:join\"><data/></ntc>"
			  "<cmd id=\"cmd:part\" seqid=\"3\"/>"
			  "</xccos>",
			&env, &et);
	CHECK(r == PCHAT_XCCOS_OK, "parse -> %s (%s)", errname(r), S(et));
	CHECK(env.nmsgs == 4, "nmsgs %d", env.nmsgs);
	CHECK(env.msgs[0].kind == PCHAT_XMSG_RPL
					&& env.msgs[1].kind == PCHAT_XMSG_RPL
					&& env.msgs[2].kind == PCHAT_XMSG_NTC
					&& env.msgs[3].kind == PCHAT_XMSG_CMD,
			"kinds %d %d %d %d", env.msgs[0].kind, env.msgs[1].kind,
			env.msgs[2].kind, env.msgs[3].kind);
	CHECK(STREQ(env.msgs[1].id, "rpl:getinv") && STREQ(env.msgs[1].seqid, "2"),
			"second rpl");
	CHECK(STREQ(env.msgs[2].seqid, ""), "absent seqid not \"\"");
	CHECK(env.msgs[3].data == NULL, "cmd without data");
	cnt = 0;
	for(n = pchat_xccos_child(xmlDocGetRootElement(env.doc), "rpl"); n;
			n = pchat_xccos_next(n, "rpl"))
		cnt++;
	CHECK(cnt == 2, "child/next found %d rpl", cnt);
	n = pchat_xccos_child(xmlDocGetRootElement(env.doc), NULL);
	CHECK(n == env.msgs[0].node, "child(NULL) not first element");
	n = pchat_xccos_next(n, NULL);
	CHECK(n && strcmp((const char *)n->name, "junk") == 0,
			"next(NULL) not junk");
done:
	pchat_xccos_free(&env);
	END;
}

static void t_namespaces(void)
{
	BEGIN("namespace-aware lookups");
	pchat_xccos_env_t env;
	const char *et = NULL;
	pchat_xccos_err_t r;

	/* a prefixed root in the right namespace is the same document */
	r = parse("<x:xccos xmlns:x=\"" NS "\" ver=\"1\" envid=\"3\">"
			  "<x:cmd id=\"cmd:join\" seqid=\"1\">"
			  "<o:data xmlns:o=\"urn:other\"/><x:data/></x:cmd>"
			  "<cmd id=\"cmd:nons\"/>"
			  "</x:xccos>",
			&env, &et);
	CHECK(r == PCHAT_XCCOS_OK, "parse -> %s (%s)", errname(r), S(et));
	CHECK(env.nmsgs == 1, "nmsgs %d (no-namespace cmd counted?)", env.nmsgs);
	CHECK(env.msgs[0].data != NULL && env.msgs[0].data->ns
					&& STREQ((const char *)env.msgs[0].data->ns->href, NS),
			"data from the wrong namespace");
done:
	pchat_xccos_free(&env);
	END;
}

static void t_attr_values(void)
{
	BEGIN("attribute references decoded, empty attribute");
	pchat_xccos_env_t env;
	const char *et = NULL;
	pchat_xccos_err_t r;
	const char *v;

	r = parse("<xccos xmlns=\"" NS "\" envid=\"1\">"
			  "<cmd id=\"cmd:x\" seqid=\"\" "
			  "v=\"a&amp;b&lt;&#x41;&#66;&quot;\" w='q\"' /></xccos>",
			&env, &et);
	CHECK(r == PCHAT_XCCOS_OK, "parse -> %s (%s)", errname(r), S(et));
	CHECK(STREQ(env.ver, ""), "absent ver not \"\"");
	CHECK(STREQ(env.msgs[0].seqid, ""), "empty seqid");
	v = pchat_xccos_attr(env.msgs[0].node, "v");
	CHECK(STREQ(v, "a&b<AB\""), "v '%s'", S(v));
	/* second call must return the same, still valid pointer */
	CHECK(pchat_xccos_attr(env.msgs[0].node, "v") == v, "pointer changed");
	CHECK(STREQ(pchat_xccos_attr(env.msgs[0].node, "w"), "q\""), "w");
done:
	pchat_xccos_free(&env);
	END;
}

static void t_attr_multinode(void)
{
	BEGIN("attr on a multi-node attribute is flattened, no allocation leak");
	xmlDocPtr doc = NULL;
	xmlNodePtr n;
	xmlAttrPtr a;
	xmlNodePtr t2;
	const char *v;

	doc = xmlNewDoc(BAD_CAST "1.0");
	n = xmlNewDocNode(doc, NULL, BAD_CAST "e", NULL);
	xmlDocSetRootElement(doc, n);
	a = xmlNewProp(n, BAD_CAST "k", BAD_CAST "ab");
	CHECK(a && a->children, "setup");
	t2 = xmlNewDocText(doc, BAD_CAST "cd");
	xmlAddChild((xmlNodePtr)a, t2);
	/* xmlAddChild merges adjacent text; force two nodes if it did */
	if(a->children->next == NULL) {
		t2 = xmlNewDocText(doc, BAD_CAST "cd");
		a->children->next = t2;
		t2->prev = a->children;
		t2->parent = (xmlNodePtr)a;
		a->last = t2;
		xmlNodeSetContent(a->children, BAD_CAST "ab");
	}
	v = pchat_xccos_attr(n, "k");
	CHECK(STREQ(v, "abcd"), "v '%s'", S(v));
	CHECK(a->children && a->children->next == NULL, "not flattened");
done:
	if(doc)
		xmlFreeDoc(doc);
	END;
}

struct err_case
{
	const char *name;
	const char *body; /* NULL: use len as given with a NULL body */
	int len;		  /* -1: strlen(body) */
	int max_len;
	pchat_xccos_err_t want;
	const char *errtext_has; /* substring expected in errtext, or NULL */
};

#define BILLION_LAUGHS                                                    \
	"<?xml version=\"1.0\"?>"                                             \
	"<!DOCTYPE xccos [<!ENTITY lol \"lol\">"                              \
	"<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"    \
	"<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">" \
	"<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">" \
	"]>"                                                                  \
	"<xccos xmlns=\"" NS "\" envid=\"1\"><cmd id=\"&lol3;\"><data>"       \
	"&lol3;</data></cmd></xccos>"

static char many_body[4096];
static char sixteen_body[4096];

static void build_many(char *buf, size_t sz, int n, int junk)
{
	int i;
	size_t off;

	off = (size_t)snprintf(
			buf, sz, "<xccos xmlns=\"%s\" ver=\"1\" envid=\"1\">", NS);
	for(i = 0; i < n; i++) {
		off += (size_t)snprintf(buf + off, sz - off,
				"<cmd id=\"cmd:c%d\" seqid=\"1\"/>%s", i, junk ? "<x/>" : "");
	}
	snprintf(buf + off, sz - off, "</xccos>");
}

static void t_errors(void)
{
	static const char big[] = SIPE_REQURI;
	struct err_case cases[] = {
			{"error empty (len 0)", "", -1, 0, PCHAT_XCCOS_EEMPTY, "empty"},
			{"error empty (NULL body)", NULL, 10, 0, PCHAT_XCCOS_EEMPTY,
					"empty"},
			{"error whitespace only", " \r\n\t \n", -1, 0, PCHAT_XCCOS_EEMPTY,
					"whitespace"},
			{"error BOM + whitespace only", "\xEF\xBB\xBF \n", -1, 0,
					PCHAT_XCCOS_EEMPTY, NULL},
			{"error too big", big, -1, 50, PCHAT_XCCOS_ETOOBIG, "too large"},
			{"not too big at exactly max_len", big, -1, (int)sizeof(big) - 1,
					PCHAT_XCCOS_OK, NULL},
			{"max_len 0 means no limit", big, -1, 0, PCHAT_XCCOS_OK, NULL},
			{"error not well-formed (mismatched tag)",
					"<xccos xmlns=\"" NS "\"><cmd></xccos>", -1, 0,
					PCHAT_XCCOS_ENOTXML, "XML not well-formed at line 1:"},
			{"error not well-formed (truncated)",
					"<xccos xmlns=\"" NS "\"><cmd id=\"cmd:x\"", -1, 0,
					PCHAT_XCCOS_ENOTXML, "not well-formed"},
			{"error not well-formed (plain text)", "hello world", -1, 0,
					PCHAT_XCCOS_ENOTXML, "not well-formed"},
			{"error not well-formed (two roots)",
					"<xccos xmlns=\"" NS "\"><cmd/></xccos><xccos/>", -1, 0,
					PCHAT_XCCOS_ENOTXML, "not well-formed"},
			{"error not well-formed (undefined entity)",
					"<xccos xmlns=\"" NS "\"><cmd id=\"&foo;\"/></xccos>", -1,
					0, PCHAT_XCCOS_ENOTXML, NULL},
			{"error not well-formed (invalid UTF-8)",
					"<xccos xmlns=\"" NS "\"><cmd id=\"\xFF\xFE\"/></xccos>",
					-1, 0, PCHAT_XCCOS_ENOTXML, NULL},
			{"error wrong root name", "<foo xmlns=\"" NS "\"><cmd/></foo>", -1,
					0, PCHAT_XCCOS_ENOTXCCOS, "<foo>"},
			{"error right name wrong namespace",
					"<xccos xmlns=\"urn:other\"><cmd/></xccos>", -1, 0,
					PCHAT_XCCOS_ENOTXCCOS, "(namespace urn:other)"},
			{"error right name no namespace",
					"<xccos ver=\"1\" envid=\"1\"><cmd/></xccos>", -1, 0,
					PCHAT_XCCOS_ENOTXCCOS, "(namespace none)"},
			{"error bad envid 12a",
					"<xccos xmlns=\"" NS "\" envid=\"12a\"><cmd/></xccos>", -1,
					0, PCHAT_XCCOS_EBADENVID, "envid"},
			{"error bad envid empty",
					"<xccos xmlns=\"" NS "\" envid=\"\"><cmd/></xccos>", -1, 0,
					PCHAT_XCCOS_EBADENVID, NULL},
			{"error bad envid negative",
					"<xccos xmlns=\"" NS "\" envid=\"-1\"><cmd/></xccos>", -1,
					0, PCHAT_XCCOS_EBADENVID, NULL},
			{"error bad envid with space",
					"<xccos xmlns=\"" NS "\" envid=\" 1\"><cmd/></xccos>", -1,
					0, PCHAT_XCCOS_EBADENVID, NULL},
			{"error bad envid 21 digits",
					"<xccos xmlns=\"" NS
					"\" envid=\"123456789012345678901\"><cmd/></xccos>",
					-1, 0, PCHAT_XCCOS_EBADENVID, NULL},
			{"envid 20 digits ok",
					"<xccos xmlns=\"" NS
					"\" envid=\"12345678901234567890\"><cmd/></xccos>",
					-1, 0, PCHAT_XCCOS_OK, NULL},
			{"envid absent ok", "<xccos xmlns=\"" NS "\"><cmd/></xccos>", -1, 0,
					PCHAT_XCCOS_OK, NULL},
			{"error no message (empty root)", "<xccos xmlns=\"" NS "\"/>", -1,
					0, PCHAT_XCCOS_ENOMSG, "no cmd/rpl/ntc/grpchat"},
			{"error no message (only unknown children)",
					"<xccos xmlns=\"" NS "\" envid=\"1\"><foo/><bar>x</bar>"
					"<cmd xmlns=\"urn:other\"/>text</xccos>",
					-1, 0, PCHAT_XCCOS_ENOMSG, NULL},
			{"error too many messages", many_body, -1, 0, PCHAT_XCCOS_ETOOMANY,
					"more than 16"},
			{"16 messages plus unknown ok", sixteen_body, -1, 0, PCHAT_XCCOS_OK,
					NULL},
			{"error DOCTYPE billion laughs", BILLION_LAUGHS, -1, 0,
					PCHAT_XCCOS_ENOTXML, "DOCTYPE"},
			{"error DOCTYPE external entity (XXE)",
					"<!DOCTYPE xccos [<!ENTITY e SYSTEM "
					"\"file:///etc/passwd\">]><xccos xmlns=\"" NS
					"\"><cmd id=\"&e;\"/></xccos>",
					-1, 0, PCHAT_XCCOS_ENOTXML, "DOCTYPE"},
			{"error plain DOCTYPE",
					"<!DOCTYPE xccos><xccos xmlns=\"" NS "\"><cmd/></xccos>",
					-1, 0, PCHAT_XCCOS_ENOTXML, "DOCTYPE"},
			{"error external DTD",
					"<!DOCTYPE xccos SYSTEM \"http://127.0.0.1:1/x.dtd\">"
					"<xccos xmlns=\"" NS "\"><cmd/></xccos>",
					-1, 0, PCHAT_XCCOS_ENOTXML, "DOCTYPE"},
			{"DOCTYPE text inside comment/CDATA is fine",
					"<!-- <!DOCTYPE x> --><xccos xmlns=\"" NS "\"><grpchat>"
					"<chat><![CDATA[<!DOCTYPE y [<!ENTITY a \"b\">]>]]>"
					"</chat></grpchat></xccos>",
					-1, 0, PCHAT_XCCOS_OK, NULL},
	};
	size_t i;

	build_many(many_body, sizeof(many_body), PCHAT_XCCOS_MAX_MSGS + 1, 0);
	build_many(sixteen_body, sizeof(sixteen_body), PCHAT_XCCOS_MAX_MSGS, 1);

	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		BEGIN(cases[i].name);
		pchat_xccos_env_t env;
		const char *et = "unset";
		pchat_xccos_err_t r;
		int len;

		len = cases[i].len;
		if(len < 0)
			len = (int)strlen(cases[i].body);
		r = pchat_xccos_parse(cases[i].body, len, cases[i].max_len, &env, &et);
		if(r == PCHAT_XCCOS_OK)
			pchat_xccos_free(&env);
		CHECK(r == cases[i].want, "got %s want %s (%s)", errname(r),
				errname(cases[i].want), S(et));
		if(r == PCHAT_XCCOS_OK) {
			CHECK(et == NULL, "errtext set on success");
			goto done;
		}
		CHECK(env.doc == NULL, "doc not NULL on error");
		CHECK(et != NULL && et[0] != '\0', "no errtext");
		CHECK(cases[i].errtext_has == NULL
						|| strstr(et, cases[i].errtext_has) != NULL,
				"errtext '%s' lacks '%s'", et, cases[i].errtext_has);
		CHECK(strchr(et, '\n') == NULL, "errtext has a newline: '%s'", et);
	done:
		END;
	}
}

static void t_parse_misc(void)
{
	BEGIN("errtext NULL accepted, free twice safe");
	pchat_xccos_env_t env;
	pchat_xccos_err_t r;

	r = pchat_xccos_parse("<x/>", 4, 0, &env, NULL);
	CHECK(r == PCHAT_XCCOS_ENOTXCCOS, "got %s", errname(r));
	r = pchat_xccos_parse(SIPE_REQURI, (int)strlen(SIPE_REQURI), 0, &env, NULL);
	CHECK(r == PCHAT_XCCOS_OK, "got %s", errname(r));
	pchat_xccos_free(&env);
	CHECK(env.doc == NULL && env.nmsgs == 0, "not reset");
	pchat_xccos_free(&env);
	pchat_xccos_free(NULL);
done:
	END;
}

static void t_name(void)
{
	BEGIN("pchat_xccos_name");
	const char *id = "cmd:requri";

	CHECK(pchat_xccos_name(id, "cmd:") == id + 4, "cmd:requri");
	CHECK(STREQ(pchat_xccos_name("rpl:join", "rpl:"), "join"), "rpl:join");
	CHECK(pchat_xccos_name("rpl:join", "cmd:") == NULL, "wrong prefix");
	CHECK(pchat_xccos_name("grpchat", "cmd:") == NULL, "grpchat");
	CHECK(pchat_xccos_name("cmd", "cmd:") == NULL, "short id");
	CHECK(pchat_xccos_name("", "cmd:") == NULL, "empty id");
	CHECK(STREQ(pchat_xccos_name("cmd:", "cmd:"), ""), "bare prefix");
	CHECK(pchat_xccos_name(NULL, "cmd:") == NULL, "NULL id");
	CHECK(pchat_xccos_name("cmd:x", NULL) == NULL, "NULL prefix");
done:
	END;
}

/*
 * Writer
 */

static void t_rpl_roundtrip(void)
{
	BEGIN("writer rpl:requri round-trip");
	static const char want[] =
			"<xccos xmlns=\"urn:parlano:xml:ns:xccos\" ver=\"1\" "
			"envid=\"18446744073709551615\">"
			"<rpl id=\"rpl:requri\" seqid=\"1\">"
			"<commandid seqid=\"1\" envid=\"1234\"/>"
			"<resp code=\"200\">SUCCESS_OK</resp>"
			"<data><uib uri=\"sip:chat@example.com\" id=\"1\"/></data>"
			"</rpl></xccos>";
	pchat_xbuf_t b;
	pchat_xccos_env_t env;
	const char *et = NULL;
	pchat_xccos_err_t r;
	xmlNodePtr n;
	xmlChar *txt = NULL;

	memset(&env, 0, sizeof(env));
	pchat_xbuf_init(&b);
	pchat_xw_env_start(&b, 18446744073709551615ULL);
	pchat_xw_rpl_start(&b, "requri", "1", "1234", 200, NULL);
	pchat_xw_start(&b, "uib");
	pchat_xw_attr(&b, "uri", "sip:chat@example.com");
	pchat_xw_attr_int(&b, "id", 1);
	pchat_xw_end(&b, "uib");
	pchat_xw_rpl_end(&b);
	pchat_xw_env_end(&b);
	CHECK(b.err == 0, "err %d", b.err);
	CHECK(b.depth == 0 && b.open_tag == 0, "depth %d open %d", b.depth,
			b.open_tag);
	CHECK(b.s && (int)strlen(b.s) == b.len, "len/NUL mismatch");
	CHECK(strcmp(b.s, want) == 0, "got %s", b.s);

	r = pchat_xccos_parse(b.s, b.len, 0, &env, &et);
	CHECK(r == PCHAT_XCCOS_OK, "parse -> %s (%s)", errname(r), S(et));
	CHECK(env.nmsgs == 1 && env.msgs[0].kind == PCHAT_XMSG_RPL, "kind");
	CHECK(STREQ(env.envid, "18446744073709551615"), "envid %s", env.envid);
	CHECK(STREQ(env.msgs[0].id, "rpl:requri"), "id");
	CHECK(STREQ(env.msgs[0].seqid, "1"), "seqid");
	n = pchat_xccos_child(env.msgs[0].node, "commandid");
	CHECK(n != NULL, "no commandid");
	CHECK(STREQ(pchat_xccos_attr(n, "seqid"), "1"), "commandid seqid");
	CHECK(STREQ(pchat_xccos_attr(n, "envid"), "1234"), "commandid envid");
	n = pchat_xccos_child(env.msgs[0].node, "resp");
	CHECK(n != NULL, "no resp");
	CHECK(STREQ(pchat_xccos_attr(n, "code"), "200"), "resp code");
	txt = xmlNodeGetContent(n);
	CHECK(STREQ((char *)txt, "SUCCESS_OK"), "resp text");
	n = pchat_xccos_child(env.msgs[0].data, "uib");
	CHECK(n != NULL, "no uib");
	CHECK(STREQ(pchat_xccos_attr(n, "uri"), "sip:chat@example.com"), "uri");
	CHECK(STREQ(pchat_xccos_attr(n, "id"), "1"), "uib id");
done:
	if(txt)
		xmlFree(txt);
	pchat_xccos_free(&env);
	pchat_xbuf_free(&b);
	END;
}

static void t_rpl_variants(void)
{
	BEGIN("writer rpl without commandid attrs, custom token, ntc");
	pchat_xbuf_t b;

	pchat_xbuf_init(&b);
	pchat_xw_rpl_start(&b, "join", NULL, NULL, 404, NULL);
	pchat_xw_rpl_end(&b);
	CHECK(STREQ(b.s, "<rpl id=\"rpl:join\" seqid=\"1\"><commandid/>"
					 "<resp code=\"404\">NOT_FOUND</resp><data/></rpl>"),
			"got %s", S(b.s));
	pchat_xbuf_free(&b);
	CHECK(b.s == NULL && b.len == 0 && b.size == 0, "free did not reset");

	pchat_xw_rpl_start(&b, "x&y", "<1>", NULL, 599, "MY_TOKEN");
	pchat_xw_rpl_end(&b);
	CHECK(STREQ(b.s, "<rpl id=\"rpl:x&amp;y\" seqid=\"1\">"
					 "<commandid seqid=\"&lt;1&gt;\"/>"
					 "<resp code=\"599\">MY_TOKEN</resp><data/></rpl>"),
			"got %s", S(b.s));
	pchat_xbuf_free(&b);

	pchat_xw_env_start(&b, 0);
	pchat_xw_ntc_start(&b, "join");
	pchat_xw_start(&b, "uib");
	pchat_xw_attr(&b, "uri", "sip:a@b");
	pchat_xw_end(&b, "uib");
	pchat_xw_ntc_end(&b);
	pchat_xw_ntc_start(&b, "part");
	pchat_xw_ntc_end(&b);
	pchat_xw_env_end(&b);
	CHECK(STREQ(b.s, "<xccos xmlns=\"urn:parlano:xml:ns:xccos\" ver=\"1\" "
					 "envid=\"0\"><ntc id=\"ntc:join\" seqid=\"1\"><data>"
					 "<uib uri=\"sip:a@b\"/></data></ntc>"
					 "<ntc id=\"ntc:part\" seqid=\"1\"><data/></ntc></xccos>"),
			"got %s", S(b.s));
	CHECK(b.err == 0 && b.depth == 0, "err %d depth %d", b.err, b.depth);
	CHECK(strchr(b.s, '\n') == NULL && strstr(b.s, "> <") == NULL,
			"not compact");
done:
	pchat_xbuf_free(&b);
	END;
}

static void t_escape(void)
{
	BEGIN("writer escaping round-trips");
	static const char special[] = "a<b>c&d\"e'f";
	static const char ws[] = "tab\there\nnl\r\ncrlf  two";
	pchat_xbuf_t b;
	pchat_xccos_env_t env;
	const char *et = NULL;
	pchat_xccos_err_t r;
	xmlNodePtr n;
	xmlChar *txt = NULL;
	xmlChar *txt2 = NULL;

	memset(&env, 0, sizeof(env));
	pchat_xbuf_init(&b);
	pchat_xw_start(&b, "e");
	pchat_xw_attr(&b, "a", "<>&\"'");
	pchat_xw_text(&b, "<>&\"'", -1);
	pchat_xw_end(&b, "e");
	CHECK(STREQ(b.s, "<e a=\"&lt;&gt;&amp;&quot;&apos;\">"
					 "&lt;&gt;&amp;&quot;&apos;</e>"),
			"got %s", S(b.s));
	pchat_xbuf_free(&b);

	pchat_xw_env_start(&b, 1);
	pchat_xw_start(&b, "grpchat");
	pchat_xw_attr(&b, "id", "grpchat");
	pchat_xw_attr(&b, "author", special);
	pchat_xw_attr(&b, "ws", ws);
	pchat_xw_start(&b, "chat");
	pchat_xw_text(&b, special, -1);
	pchat_xw_end(&b, "chat");
	pchat_xw_start(&b, "chat");
	pchat_xw_text(&b, ws, (int)strlen(ws));
	pchat_xw_end(&b, "chat");
	pchat_xw_end(&b, "grpchat");
	pchat_xw_env_end(&b);
	CHECK(b.err == 0, "err");

	r = pchat_xccos_parse(b.s, b.len, 0, &env, &et);
	CHECK(r == PCHAT_XCCOS_OK, "parse -> %s (%s) of %s", errname(r), S(et),
			b.s);
	n = env.msgs[0].node;
	CHECK(STREQ(pchat_xccos_attr(n, "author"), special), "attr '%s'",
			S(pchat_xccos_attr(n, "author")));
	CHECK(STREQ(pchat_xccos_attr(n, "ws"), ws), "ws attr not preserved");
	n = pchat_xccos_child(n, "chat");
	txt = xmlNodeGetContent(n);
	CHECK(STREQ((char *)txt, special), "text '%s'", txt ? (char *)txt : "");
	txt2 = xmlNodeGetContent(pchat_xccos_next(n, "chat"));
	CHECK(STREQ((char *)txt2, ws), "ws text not preserved");
done:
	if(txt)
		xmlFree(txt);
	if(txt2)
		xmlFree(txt2);
	pchat_xccos_free(&env);
	pchat_xbuf_free(&b);
	END;
}

static void t_control(void)
{
	BEGIN("writer drops XML-invalid control chars");
	static const char in[] = "a\x01"
							 "b\0c\x08\x0b\x0c\x0e\x1f"
							 "d\x7f\t\n\xC3\xA9";
	pchat_xbuf_t b;
	pchat_xccos_env_t env;
	const char *et = NULL;
	pchat_xccos_err_t r;

	memset(&env, 0, sizeof(env));
	pchat_xbuf_init(&b);
	pchat_xw_start(&b, "t");
	pchat_xw_attrn(&b, "v", in, (int)sizeof(in) - 1);
	pchat_xw_text(&b, in, (int)sizeof(in) - 1);
	pchat_xw_end(&b, "t");
	CHECK(b.len == (int)strlen(b.s), "embedded NUL written");
	CHECK(STREQ(b.s, "<t v=\"abcd\x7f&#9;&#10;\xC3\xA9\">"
					 "abcd\x7f\t\n\xC3\xA9</t>"),
			"got %s", S(b.s));
	pchat_xbuf_free(&b);

	/* and the result is a valid document */
	pchat_xw_env_start(&b, 2);
	pchat_xw_start(&b, "grpchat");
	pchat_xw_attrn(&b, "x", in, (int)sizeof(in) - 1);
	pchat_xw_text(&b, in, (int)sizeof(in) - 1);
	pchat_xw_end(&b, "grpchat");
	pchat_xw_env_end(&b);
	r = pchat_xccos_parse(b.s, b.len, 0, &env, &et);
	CHECK(r == PCHAT_XCCOS_OK, "parse -> %s (%s)", errname(r), S(et));
done:
	pchat_xccos_free(&env);
	pchat_xbuf_free(&b);
	END;
}

static void t_structure(void)
{
	BEGIN("writer self-closing, nesting, attrn, ints, NULL values");
	pchat_xbuf_t b;

	pchat_xbuf_init(&b);
	pchat_xw_start(&b, "x");
	pchat_xw_end(&b, "x");
	CHECK(STREQ(b.s, "<x/>"), "empty: %s", S(b.s));
	pchat_xbuf_free(&b);

	pchat_xw_start(&b, "a");
	pchat_xw_start(&b, "b");
	pchat_xw_start(&b, "c");
	pchat_xw_text(&b, "t", 1);
	pchat_xw_end(&b, "c");
	pchat_xw_start(&b, "d");
	pchat_xw_attr(&b, "n", NULL);
	pchat_xw_end(&b, "d");
	pchat_xw_end(&b, "b");
	pchat_xw_start(&b, "e");
	pchat_xw_text(&b, "", 0);
	pchat_xw_end(&b, "e");
	pchat_xw_end(&b, "a");
	CHECK(STREQ(b.s, "<a><b><c>t</c><d n=\"\"/></b><e></e></a>"), "nested: %s",
			S(b.s));
	CHECK(b.depth == 0 && b.err == 0, "depth %d err %d", b.depth, b.err);
	pchat_xbuf_free(&b);

	pchat_xw_start(&b, "i");
	pchat_xw_attrn(&b, "s", "hello", 3);
	pchat_xw_attr_int(&b, "neg", -42);
	pchat_xw_attr_int(&b, "min", LLONG_MIN);
	pchat_xw_attr_int(&b, "max", LLONG_MAX);
	pchat_xw_end(&b, "i");
	CHECK(STREQ(b.s, "<i s=\"hel\" neg=\"-42\" min=\"-9223372036854775808\" "
					 "max=\"9223372036854775807\"/>"),
			"ints: %s", S(b.s));
done:
	pchat_xbuf_free(&b);
	END;
}

static void t_sticky(void)
{
	BEGIN("writer err flag is sticky, misuse sets it");
	pchat_xbuf_t b;
	char *s;
	int len;

	pchat_xbuf_init(&b);
	pchat_xw_start(&b, "a");
	pchat_xw_text(&b, "x", 1);
	s = b.s;
	len = b.len;
	b.err = 1;
	pchat_xw_start(&b, "b");
	pchat_xw_attr(&b, "k", "v");
	pchat_xw_attrn(&b, "k", "v", 1);
	pchat_xw_attr_int(&b, "k", 1);
	pchat_xw_text(&b, "more", 4);
	pchat_xw_end(&b, "b");
	pchat_xw_end(&b, "a");
	pchat_xw_env_start(&b, 1);
	pchat_xw_rpl_start(&b, "x", "1", "2", 200, NULL);
	pchat_xw_rpl_end(&b);
	pchat_xw_ntc_start(&b, "x");
	pchat_xw_ntc_end(&b);
	pchat_xw_env_end(&b);
	CHECK(b.s == s && b.len == len && strcmp(b.s, "<a>x") == 0,
			"buffer changed: %s", S(b.s));
	CHECK(b.err == 1, "err cleared");
	pchat_xbuf_free(&b);

	/* attribute outside a start tag would land in text content */
	pchat_xw_start(&b, "a");
	pchat_xw_text(&b, "x", 1);
	pchat_xw_attr(&b, "k", "v");
	CHECK(b.err != 0, "attr after text did not set err");
	pchat_xbuf_free(&b);

	pchat_xw_end(&b, "a");
	CHECK(b.err != 0, "unbalanced end did not set err");
done:
	pchat_xbuf_free(&b);
	END;
}

static void t_growth(void)
{
	BEGIN("writer grows the buffer, large content round-trips");
	pchat_xbuf_t b;
	pchat_xccos_env_t env;
	const char *et = NULL;
	pchat_xccos_err_t r;
	xmlChar *txt = NULL;
	static char chunk[1001];
	int i;

	memset(&env, 0, sizeof(env));
	memset(chunk, '&', sizeof(chunk) - 1);
	chunk[sizeof(chunk) - 1] = '\0';
	pchat_xbuf_init(&b);
	pchat_xw_env_start(&b, 3);
	pchat_xw_start(&b, "grpchat");
	pchat_xw_start(&b, "chat");
	for(i = 0; i < 200; i++)
		pchat_xw_text(&b, chunk, -1);
	pchat_xw_end(&b, "chat");
	for(i = 0; i < 2000; i++) {
		pchat_xw_start(&b, "x");
		pchat_xw_attr_int(&b, "i", i);
		pchat_xw_end(&b, "x");
	}
	pchat_xw_end(&b, "grpchat");
	pchat_xw_env_end(&b);
	CHECK(b.err == 0, "err");
	CHECK(b.size > b.len && b.s[b.len] == '\0', "size/NUL");
	CHECK(b.len == (int)strlen(b.s), "len");
	r = pchat_xccos_parse(b.s, b.len, 0, &env, &et);
	CHECK(r == PCHAT_XCCOS_OK, "parse -> %s (%s)", errname(r), S(et));
	txt = xmlNodeGetContent(pchat_xccos_child(env.msgs[0].node, "chat"));
	CHECK(txt && strlen((char *)txt) == 200000 && txt[0] == '&'
					&& txt[199999] == '&',
			"content length %zu", txt ? strlen((char *)txt) : 0);
done:
	if(txt)
		xmlFree(txt);
	pchat_xccos_free(&env);
	pchat_xbuf_free(&b);
	END;
}

static void t_tokens(void)
{
	BEGIN("token table");
	static const struct
	{
		int code;
		const char *tok;
	} t[] = {
			{200, "SUCCESS_OK"},
			{400, "BAD_REQUEST"},
			{403, "ACCESS_DENIED"},
			{404, "NOT_FOUND"},
			{409, "CONFLICT"},
			{413, "MESSAGE_TOO_LARGE"},
			{500, "OPERATION_FAILED"},
			{501, "NOT_IMPLEMENTED"},
			{503, "SERVICE_UNAVAILABLE"},
			{0, "OPERATION_FAILED"},
			{-1, "OPERATION_FAILED"},
			{201, "OPERATION_FAILED"},
			{401, "OPERATION_FAILED"},
			{999, "OPERATION_FAILED"},
	};
	size_t i;

	for(i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK(STREQ(pchat_xccos_token(t[i].code), t[i].tok), "%d -> %s",
				t[i].code, S(pchat_xccos_token(t[i].code)));
done:
	END;
}

static void t_format_ts(void)
{
	BEGIN("format_ts known values");
	static const struct
	{
		long long ms;
		const char *s;
	} t[] = {
			{0, "1970-01-01T00:00:00.0000000Z"},
			{1284474377620LL, "2010-09-14T14:26:17.6200000Z"},
			{1375524900000LL, "2013-08-03T10:15:00.0000000Z"},
			{951782400000LL, "2000-02-29T00:00:00.0000000Z"},
			{-1, "1969-12-31T23:59:59.9990000Z"},
			{-2208988800000LL, "1900-01-01T00:00:00.0000000Z"},
			{253402300799999LL, "9999-12-31T23:59:59.9990000Z"},
	};
	char out[40];
	size_t i;
	int n;

	for(i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(out, 'X', sizeof(out));
		n = pchat_xccos_format_ts(out, t[i].ms);
		CHECK(STREQ(out, t[i].s), "%lld -> %.40s", t[i].ms, out);
		CHECK(n == (int)strlen(t[i].s), "%lld: length %d", t[i].ms, n);
	}
	/* extremes must not overflow the 40 byte buffer (ASan watches) */
	n = pchat_xccos_format_ts(out, LLONG_MAX);
	CHECK(n > 0 && n < 40 && (int)strlen(out) == n, "LLONG_MAX: %d", n);
	n = pchat_xccos_format_ts(out, LLONG_MIN);
	CHECK(n > 0 && n < 40 && (int)strlen(out) == n, "LLONG_MIN: %d", n);
done:
	END;
}

static const struct
{
	const char *s;
	long long ms;
} ts_good[] = {
		{"2013-08-03T10:15:00Z", 1375524900000LL},
		{"2013-08-03T10:15:00", 1375524900000LL},
		{"2013-08-03t10:15:00z", 1375524900000LL},
		{"2013-08-03 10:15:00Z", 1375524900000LL},
		{"2013-08-03T10:15Z", 1375524900000LL},
		{"2013-08-03T10:15:00.0Z", 1375524900000LL},
		{"2010-09-14T14:26:17.6206356Z", 1284474377620LL},
		{"2010-09-14T14:26:17.62Z", 1284474377620LL},
		{"2010-09-14T14:26:17,620Z", 1284474377620LL},
		{"2010-09-14T14:26:17.620999999999Z", 1284474377620LL},
		{"2010-09-14T14:26:17.6", 1284474377600LL},
		{"2013-08-03T12:15:00+02:00", 1375524900000LL},
		{"2013-08-03T12:15:00+0200", 1375524900000LL},
		{"2013-08-03T12:15:00+02", 1375524900000LL},
		{"2013-08-03T04:45:00-05:30", 1375524900000LL},
		{"2013-08-03T10:15:00+00:00", 1375524900000LL},
		{"2013-08-03T10:15:00-00:00", 1375524900000LL},
		{"2013-08-03T10:15:00.5+01:00", 1375521300500LL},
		{"2013-08-03", 1375488000000LL},
		{"1970-01-01T00:00:00Z", 0},
		{"1969-12-31T23:59:59.999Z", -1},
		{"1900-01-01T00:00:00Z", -2208988800000LL},
		{"2000-02-29T00:00:00Z", 951782400000LL},
		{"9999-12-31T23:59:59.999Z", 253402300799999LL},
		{"1970-01-01T00:00:60Z", 60000},
};

static const char *ts_bad[] = {
		"",
		"abc",
		"2013",
		"2013-08",
		"2013-8-03T10:15:00Z",
		"2013-08-3T10:15:00Z",
		"13-08-03T10:15:00Z",
		"2013/08/03T10:15:00Z",
		"2013-00-03T10:15:00Z",
		"2013-13-03T10:15:00Z",
		"2013-08-00T10:15:00Z",
		"2013-08-32T10:15:00Z",
		"2013-02-29T10:15:00Z",
		"1900-02-29T10:15:00Z",
		"2013-04-31T00:00:00Z",
		"2013-08-03T24:00:00Z",
		"2013-08-03T10:60:00Z",
		"2013-08-03T10:15:61Z",
		"2013-08-03T10",
		"2013-08-03T10:1",
		"2013-08-03T1:15:00Z",
		"2013-08-03X10:15:00Z",
		"2013-08-03T",
		"2013-08-03Z",
		"2013-08-03T10:15:00.Z",
		"2013-08-03T10:15:00.",
		"2013-08-03T10:15:00ZZ",
		"2013-08-03T10:15:00Z ",
		" 2013-08-03T10:15:00Z",
		"2013-08-03T10:15:00+2:00",
		"2013-08-03T10:15:00+02:0",
		"2013-08-03T10:15:00+24:00",
		"2013-08-03T10:15:00+02:60",
		"2013-08-03T10:15:00+",
		"2013-08-03T10:15:00+02:00Z",
		"2013-08-03T10:15:00 UTC",
		"+2013-08-03T10:15:00Z",
		"2013-08-03T10:15:00\n",
};

static void t_parse_ts_good(void)
{
	BEGIN("parse_ts valid forms (Z, none, offsets, fractions)");
	size_t i;
	long long ms;

	for(i = 0; i < sizeof(ts_good) / sizeof(ts_good[0]); i++) {
		ms = 12345;
		CHECK(pchat_xccos_parse_ts(ts_good[i].s, &ms) == 0, "'%s' rejected",
				ts_good[i].s);
		CHECK(ms == ts_good[i].ms, "'%s' -> %lld want %lld", ts_good[i].s, ms,
				ts_good[i].ms);
	}
	CHECK(pchat_xccos_parse_ts("2013-08-03T10:15:00Z", NULL) == 0, "NULL ms");
done:
	END;
}

static void t_parse_ts_bad(void)
{
	BEGIN("parse_ts invalid strings");
	size_t i;
	long long ms = 12345;

	for(i = 0; i < sizeof(ts_bad) / sizeof(ts_bad[0]); i++) {
		CHECK(pchat_xccos_parse_ts(ts_bad[i], &ms) == -1, "'%s' accepted",
				ts_bad[i]);
		CHECK(ms == 12345, "'%s' touched *ms", ts_bad[i]);
	}
	CHECK(pchat_xccos_parse_ts(NULL, &ms) == -1, "NULL accepted");
done:
	END;
}

static void t_ts_roundtrip(void)
{
	static const long long v[] = {0, 1, -1, 999, 1284474377620LL,
			-62135596800000LL, 4102444800123LL, 1700000000001LL};
	BEGIN("format_ts/parse_ts round-trip");
	size_t i;
	long long ms = 0;
	char out[40];

	for(i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		pchat_xccos_format_ts(out, v[i]);
		CHECK(pchat_xccos_parse_ts(out, &ms) == 0 && ms == v[i],
				"%lld -> %s -> %lld", v[i], out, ms);
	}
done:
	END;
}

/* tests/fuzz found a join reply echoing a chanid value cut inside a
 * character: the client's parser then refuses the whole envelope. */
static void t_utf8_prefix(void)
{
	BEGIN("pchat_xccos_utf8_prefix: cuts between characters");
	/* "a" + e-acute (2 bytes) + euro sign (3 bytes) + "b" */
	const char *s = "a\xc3\xa9\xe2\x82\xac" "b";
	static const int want[] = {0, 1, 1, 3, 3, 3, 6, 7, 7};
	int max;

	for(max = 0; max < 9; max++)
		CHECK(pchat_xccos_utf8_prefix(s, max) == want[max],
				"max %d -> %d, expected %d", max,
				pchat_xccos_utf8_prefix(s, max), want[max]);
	CHECK(pchat_xccos_utf8_prefix("", 5) == 0, "empty string");
	CHECK(pchat_xccos_utf8_prefix("\xf0\x9f\x98\x80", 3) == 0,
			"a 4-byte character cut to nothing");
done:
	END;
}

int main(void)
{
	xmlInitParser();

	t_utf8_prefix();

	t_requri();
	t_declared_utf16();
	t_dotnet_extras();
	t_getserverinfo();
	t_grpchat();
	t_multi();
	t_namespaces();
	t_attr_values();
	t_attr_multinode();
	t_errors();
	t_parse_misc();
	t_name();
	t_rpl_roundtrip();
	t_rpl_variants();
	t_escape();
	t_control();
	t_structure();
	t_sticky();
	t_growth();
	t_tokens();
	t_format_ts();
	t_parse_ts_good();
	t_parse_ts_bad();
	t_ts_roundtrip();

	/* releases libxml2's globals so LeakSanitizer only sees our leaks */
	xmlCleanupParser();

	return unit_summary();
}
