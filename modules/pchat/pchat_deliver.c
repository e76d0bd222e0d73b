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
/* Delivery layer: XCCOS INFOs over the client's TCP connection without
 * tm, their answers and timeouts. Knows no command and no store. */
#include <sched.h>
#include <string.h>
#include <time.h>

#include "core/atomic_ops.h"
#include "core/counters.h"
#include "core/dprint.h"
#include "core/forward.h"
#include "core/ip_addr.h"
#include "core/mem/mem.h"
#include "core/mem/shm.h"
#include "core/parser/parse_cseq.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_rr.h"
#include "core/parser/parse_to.h"
#include "core/parser/parse_uri.h"
#include "core/parser/parse_via.h"
#include "core/pt.h"
#include "core/resolve.h"
#include "core/socket_info.h"
#include "core/tcp_options.h"
#include "core/ut.h"

#include "pchat_answer_scan.h"
#include "pchat_deliver.h"
#include "pchat_mod.h"
#include "pchat_metrics.h"


/* Not a hex digit after the magic cookie: no tm branch starts like this. */
#define PCHAT_BRANCH "z9hG4bKpcd"
#define PCHAT_BRANCH_LEN (sizeof(PCHAT_BRANCH) - 1)
/* hid.id.cseq.secret in hex: the small counters find the session, the
 * secret (never sent anywhere else) proves the reply saw our INFO */
#define PCHAT_BRANCH_ID_MAX (3 * 8 + 3 + PCHAT_SECRET_LEN)
#define PCHAT_CSEQ_MAX 10

#define memapp(w, s, l)         \
	do {                        \
		memcpy((w), (s), (l));  \
		(w) += (l);             \
	} while(0)
#define memlit(w, lit) memapp(w, lit, sizeof(lit) - 1)

/* coalescing (see pchat_deliver.h and below) */
#define PCHAT_COAL_GROUPS 8 /* connections with a buffer in one batch */
#define PCHAT_COAL_PROCS 1024 /* process_no bound of the written table */
#define PCHAT_HOLD_YIELDS 64
#define PCHAT_HOLD_SLEEPS 10000 /* x 100 us: a writer stuck 1 s is a bug */

static counter_handle_t _pchat_forged;
static counter_handle_t _pchat_copies;
static counter_handle_t _pchat_copy_writes;
static counter_handle_t _pchat_answers_raw;
/* shm, by process_no: the last batch that process has written */
static volatile unsigned int *_coal_written = NULL;

/* clang-format off */
static counter_def_t pchat_deliver_counter_defs[] = {
	{&_pchat_forged, "forged_replies", 0, 0, 0,
		"replies to pchat's requests dropped: wrong connection, source or "
		"branch secret"},
	{&_pchat_copies, "copies", 0, 0, 0,
		"INFOs written to a session's TCP/TLS connection without tm"},
	{&_pchat_copy_writes, "copy_writes", 0, 0, 0,
		"sends that carried those INFOs (fewer: coalesced)"},
	{&_pchat_answers_raw, "answers_raw", 0, 0, 0,
		"answers to pchat's INFOs taken before the core parsed them "
		"(pchat_take_answer)"},
	{0, 0, 0, 0, 0, 0}
};
/* clang-format on */

int pchat_deliver_init(void)
{
	if(counter_register_array("pchat", pchat_deliver_counter_defs) < 0) {
		LM_ERR("cannot register the delivery counters\n");
		return -1;
	}
	_coal_written = shm_mallocxz(PCHAT_COAL_PROCS * sizeof(*_coal_written));
	if(_coal_written == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	return 0;
}

static void pchat_forged(int code, struct receive_info *rcv, const char *why)
{
	counter_inc(_pchat_forged);
	LM_NOTICE("reply %d from %s:%u (%s): %s: dropped\n", code,
			ip_addr2a(&rcv->src_ip), rcv->src_port, get_proto_name(rcv->proto),
			why);
}

void pchat_deliver_forged(struct sip_msg *msg, const char *why)
{
	pchat_forged(msg->first_line.u.reply.statuscode, &msg->rcv, why);
}

unsigned long pchat_deliver_forged_count(void)
{
	return (unsigned long)counter_get_val(_pchat_forged);
}

int pchat_dlv_tail_build(pchat_dlv_tail_t *t, str *body)
{
	static const char h1[] = " INFO\r\nContent-Type: text/plain\r\n"
							 "Content-Length: ";
	char *w, *n;
	int nlen;

	n = int2str((unsigned long)body->len, &nlen);
	t->len = sizeof(h1) - 1 + nlen + 4 + body->len;
	t->buf = pkg_malloc(t->len);
	if(t->buf == NULL) {
		PKG_MEM_ERROR;
		return -1;
	}
	w = t->buf;
	memlit(w, h1);
	memapp(w, n, nlen);
	memlit(w, "\r\n\r\n");
	memapp(w, body->s, body->len);
	return 0;
}

void pchat_dlv_tail_free(pchat_dlv_tail_t *t)
{
	if(t->buf)
		pkg_free(t->buf);
	t->buf = NULL;
	t->len = 0;
}

static int pchat_head_build(pchat_session_t *s);

int pchat_deliver_direct(pchat_session_t *s)
{
	dlg_t *d = s->dlg;

	if(s->proto != PROTO_TCP && s->proto != PROTO_TLS)
		return 0;
	if(s->conid == 0 || s->sock == NULL || d == NULL)
		return 0;
	/* strict routing rewrites the request URI: leave it to tm */
	if(d->hooks.request_uri == NULL || d->hooks.last_route != NULL)
		return 0;
	if(s->dlv_head == NULL && pchat_head_build(s) < 0)
		return 0; /* tm knows how to send it */
	return 1;
}

/* Same rule as tm: a dialog URI may already be "<uri>;params". */
static void pchat_uri_app(char **w, str *uri)
{
	char *p = uri->len ? q_memrchr(uri->s, '>', uri->len) : NULL;
	int bracket = !(p && (p == uri->s + uri->len - 1 || p[1] == ';'));

	if(bracket)
		memlit(*w, "<");
	memapp(*w, uri->s, uri->len);
	if(bracket)
		memlit(*w, ">");
}

/* A front-end's session: our INFOs go to its Record-Route address (an IP
 * literal: no DNS here), over whichever connection to it is alive, not to
 * the connection its client's INVITE came over. */
static int pchat_fe_target(pchat_session_t *s)
{
	dlg_t *d = s->dlg;
	struct sip_uri u;
	struct ip_addr ip;
	unsigned short port;

	if(d->hooks.next_hop == NULL
			|| parse_uri(d->hooks.next_hop->s, d->hooks.next_hop->len, &u) < 0
			|| str2ipxbuf(&u.host, &ip) < 0)
		return -1;
	if(u.proto != PROTO_NONE && u.proto != s->proto)
		return -1;
	port = u.port_no ? u.port_no : (s->proto == PROTO_TLS ? SIPS_PORT : SIP_PORT);
	init_su(&s->dlv_to, &ip, port);
	return 0;
}

/* Serialises the dialog part of our INFOs into one shm block:
 * [pre][mid], where a copy is pre + branch id + mid + CSeq + tail. */
static int pchat_head_build(pchat_session_t *s)
{
	dlg_t *d = s->dlg;
	struct socket_info *si = s->sock;
	str host, port;
	rr_t *rr;
	int len, v6;
	char *buf, *w;

	if(s->via_fe && pchat_fe_target(s) < 0)
		return -1;
	host = si->useinfo.name.len ? si->useinfo.name : si->address_str;
	port = si->useinfo.name.len ? si->useinfo.port_no_str : si->port_no_str;
	v6 = si->address.af == AF_INET6 && host.len && host.s[0] != '[';

	len = 5 + d->hooks.request_uri->len + 10 /* "INFO  SIP/2.0\r\n" */
		  + 17 + host.len + 2 + 1 + port.len + 8 + PCHAT_BRANCH_LEN
		  + 2 + 20 /* Max-Forwards */
		  + 8 + d->loc_uri.len + 2 + 5 + d->id.loc_tag.len + 2
		  + 6 + d->rem_uri.len + 2 + 5 + d->id.rem_tag.len + 2
		  + 11 + d->id.call_id.len + 2 + 6 + 64;
	for(rr = d->hooks.first_route; rr; rr = rr->next)
		len += 7 + rr->len + 4;

	buf = shm_malloc(len);
	if(buf == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	w = buf;
	memlit(w, "INFO ");
	memapp(w, d->hooks.request_uri->s, d->hooks.request_uri->len);
	memlit(w, " SIP/2.0\r\nVia: SIP/2.0/");
	if(s->proto == PROTO_TLS)
		memlit(w, "TLS ");
	else
		memlit(w, "TCP ");
	if(v6)
		memlit(w, "[");
	memapp(w, host.s, host.len);
	if(v6)
		memlit(w, "]");
	memlit(w, ":");
	memapp(w, port.s, port.len);
	memlit(w, ";branch=" PCHAT_BRANCH);
	s->dlv_pre_len = w - buf;

	memlit(w, "\r\nMax-Forwards: 70\r\n");
	for(rr = d->hooks.first_route; rr; rr = rr->next) {
		memlit(w, "Route: ");
		memapp(w, rr->nameaddr.name.s, rr->len);
		memlit(w, "\r\n");
	}
	memlit(w, "From: ");
	pchat_uri_app(&w, &d->loc_uri);
	memlit(w, ";tag=");
	memapp(w, d->id.loc_tag.s, d->id.loc_tag.len);
	memlit(w, "\r\nTo: ");
	pchat_uri_app(&w, &d->rem_uri);
	if(d->id.rem_tag.len) {
		memlit(w, ";tag=");
		memapp(w, d->id.rem_tag.s, d->id.rem_tag.len);
	}
	memlit(w, "\r\nCall-ID: ");
	memapp(w, d->id.call_id.s, d->id.call_id.len);
	memlit(w, "\r\nCSeq: ");
	s->dlv_mid_len = (w - buf) - s->dlv_pre_len;
	if(w - buf > len) {
		/* cannot happen unless the length above is wrong: stop here */
		LM_CRIT("session %u: INFO head overflow (%d > %d)\n", s->id,
				(int)(w - buf), len);
		abort();
	}
	s->dlv_head = buf;
	return 0;
}

void pchat_deliver_forget(pchat_session_t *s)
{
	if(s->dlv_head)
		shm_free(s->dlv_head);
	s->dlv_head = NULL;
	s->dlv_pre_len = s->dlv_mid_len = 0;
}

static void pchat_deliver_end(pchat_session_t *s, const char *why)
{
	if(s->expires == 0)
		return; /* already ending */
	LM_INFO("session %u (%.*s): %s: ending it\n", s->id, s->user.len,
			s->user.s, why);
	pchat_session_mark_gone(s);
}

/* v in lower-case hex without leading zeros, then a dot: as "%x." (one
 * snprintf per copy was 1-2 % of a fan-out's CPU) */
static char *pchat_hex_put(char *w, unsigned int v)
{
	char tmp[8];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while(v);
	while(n)
		*w++ = tmp[--n];
	*w++ = '.';
	return w;
}

/* The bytes of one copy at buf (room for its bound, see
 * pchat_copy_max): the dialog part around a new branch and CSeq, then the
 * post's part. Returns their length. */
static int pchat_copy_put(pchat_session_t *s, pchat_dlv_tail_t *t, char *buf)
{
	char *w = buf, *n;
	int nlen;
	unsigned int cseq = ++s->dlg->loc_seq.value;

	memapp(w, s->dlv_head, s->dlv_pre_len);
	w = pchat_hex_put(w, s->hid);
	w = pchat_hex_put(w, s->id);
	w = pchat_hex_put(w, cseq);
	memapp(w, s->secret, PCHAT_SECRET_LEN);
	memapp(w, s->dlv_head + s->dlv_pre_len, s->dlv_mid_len);
	n = int2str(cseq, &nlen);
	memapp(w, n, nlen);
	memapp(w, t->buf, t->len);
	return (int)(w - buf);
}

static int pchat_copy_max(pchat_session_t *s, pchat_dlv_tail_t *t)
{
	return s->dlv_pre_len + PCHAT_BRANCH_ID_MAX + s->dlv_mid_len
		   + PCHAT_CSEQ_MAX + t->len;
}

static void pchat_copy_dst(pchat_session_t *s, struct dest_info *dst)
{
	init_dest_info(dst);
	dst->proto = s->proto;
	dst->send_sock = s->sock;
	if(s->via_fe) {
		dst->to = s->dlv_to; /* a live connection to the front-end */
	} else {
		dst->id = s->conid;
		init_su(&dst->to, &s->src_ip, s->src_port);
		/* the client's own connection or none: clients never listen, and
		 * a pool node may connect out (tcp_no_connect=no) */
		dst->send_flags.f |= SND_F_FORCE_CON_REUSE;
	}
}

/* A copy is on its way: it now waits for its answer. */
static void pchat_copy_sent(pchat_session_t *s)
{
	if(s->dlv_pending++ == 0)
		s->dlv_deadline = pchat_session_now() + pchat_delivery_timeout;
	s->sent++;
	counter_inc(_pchat_copies);
}

/* --- coalescing: one write per connection for a fan-out's copies ----- */

typedef struct pchat_coal
{
	struct dest_info dst; /* the connection (as msg_send finds it) */
	char *buf;            /* pkg, coalesce_bytes */
	int len;
	pchat_session_ref_t *refs; /* pkg: whose copies buf holds */
	int nrefs;
	int refs_size;
} pchat_coal_t;

typedef struct pchat_coal_state
{
	int depth;          /* batch nesting */
	int n;              /* groups in use */
	int held;           /* holds given in this batch, not written yet */
	unsigned int batch; /* number of the holds given now */
	pchat_coal_t g[PCHAT_COAL_GROUPS];
	pchat_session_ref_t *failed; /* whose copies a failed write carried */
	int nfailed;
	int failed_size;
} pchat_coal_state_t;

static pchat_coal_state_t _coal = {.batch = 1};

static int pchat_dst_same(struct dest_info *a, struct dest_info *b)
{
	return a->proto == b->proto && a->send_sock == b->send_sock
		   && a->id == b->id && a->send_flags.f == b->send_flags.f
		   && su_cmp(&a->to, &b->to);
}

static int pchat_refs_add(pchat_session_ref_t **refs, int *n, int *size,
		unsigned int hid, unsigned int id)
{
	pchat_session_ref_t *r;
	int ns;

	if(*n == *size) {
		ns = *size ? 2 * *size : 64;
		r = pkg_realloc(*refs, ns * sizeof(*r));
		if(r == NULL) {
			PKG_MEM_ERROR;
			return -1;
		}
		*refs = r;
		*size = ns;
	}
	(*refs)[*n].hid = hid;
	(*refs)[*n].id = id;
	(*n)++;
	return 0;
}

/* One send for the group's copies; a failure ends their sessions at the
 * batch's end (no session lock may be waited for before then). */
static void pchat_coal_write(pchat_coal_t *g)
{
	int i;

	if(g->len == 0)
		return;
	if(msg_send(&g->dst, g->buf, g->len) < 0) {
		LM_INFO("%d coalesced copies cannot be written (connection %d)\n",
				g->nrefs, g->dst.id);
		for(i = 0; i < g->nrefs; i++)
			if(pchat_refs_add(&_coal.failed, &_coal.nfailed,
					   &_coal.failed_size, g->refs[i].hid, g->refs[i].id)
					< 0)
				break; /* the rest end by delivery_timeout */
	} else {
		counter_inc(_pchat_copy_writes);
	}
	g->len = 0;
	g->nrefs = 0;
}

/* The buffer of this copy's connection, made on first use; NULL: write
 * the copy alone (no buffer free or allocable). */
static pchat_coal_t *pchat_coal_group(struct dest_info *dst)
{
	pchat_coal_t *g;
	int i;

	for(i = 0; i < _coal.n; i++)
		if(pchat_dst_same(&_coal.g[i].dst, dst))
			return &_coal.g[i];
	if(_coal.n == PCHAT_COAL_GROUPS)
		return NULL;
	g = &_coal.g[_coal.n];
	if(g->buf == NULL && (g->buf = pkg_malloc(pchat_coalesce_bytes)) == NULL) {
		LM_WARN("no pkg memory for a coalescing buffer: one write per "
				"copy\n");
		return NULL;
	}
	g->dst = *dst;
	g->len = 0;
	g->nrefs = 0;
	_coal.n++;
	return g;
}

/* The bound of one write: coalesce_bytes, but no more than a connection's
 * write queue holds (tcp_conn_wq_max): a write the socket cannot take at
 * once is queued whole or fails whole, where its copies alone would have
 * been queued. */
static int pchat_coal_bound(void)
{
	unsigned int wq = cfg_get(tcp, tcp_cfg, tcpconn_wq_max);

	if(wq && wq < (unsigned int)pchat_coalesce_bytes)
		return (int)wq;
	return pchat_coalesce_bytes;
}

/* Puts the copy into its connection's buffer and holds the session.
 * Returns 0 when done, -1 when the copy must be written alone (whatever
 * the buffer held for its connection is written first: order). */
static int pchat_coal_add(
		pchat_session_t *s, struct dest_info *dst, pchat_dlv_tail_t *t, int max)
{
	pchat_coal_t *g;
	int bound;

	if(_coal.depth == 0 || pchat_coalesce_bytes == 0 || _coal_written == NULL
			|| process_no >= PCHAT_COAL_PROCS
			|| (g = pchat_coal_group(dst)) == NULL)
		return -1;
	bound = pchat_coal_bound();
	if(g->len + max > bound)
		pchat_coal_write(g);
	if(max > bound
			|| pchat_refs_add(&g->refs, &g->nrefs, &g->refs_size, s->hid, s->id)
					   < 0) {
		pchat_coal_write(g);
		return -1;
	}
	g->len += pchat_copy_put(s, t, g->buf + g->len);
	s->dlv_hold_proc = process_no;
	s->dlv_hold_batch = _coal.batch;
	_coal.held = 1;
	pchat_copy_sent(s);
	return 0;
}

void pchat_dlv_batch_begin(void)
{
	_coal.depth++;
}

int pchat_dlv_batch_holding(void)
{
	return _coal.held;
}

void pchat_dlv_batch_flush(void)
{
	int i;

	for(i = 0; i < _coal.n; i++)
		pchat_coal_write(&_coal.g[i]);
	if(!_coal.held)
		return;
	membar_write(); /* the writes above before the release of the holds */
	_coal_written[process_no] = _coal.batch;
	_coal.batch++;
	_coal.held = 0;
}

void pchat_dlv_batch_end(void)
{
	pchat_session_t *s;
	int i;

	if(_coal.depth == 0 || --_coal.depth > 0)
		return;
	pchat_dlv_batch_flush();
	for(i = 0; i < _coal.n; i++) {
		pkg_free(_coal.g[i].buf);
		if(_coal.g[i].refs)
			pkg_free(_coal.g[i].refs);
		memset(&_coal.g[i], 0, sizeof(_coal.g[i]));
	}
	_coal.n = 0;
	for(i = 0; i < _coal.nfailed; i++) {
		s = pchat_session_get(&_coal.failed[i]);
		if(s) {
			pchat_deliver_end(s, "connection cannot be written");
			pchat_session_release(s);
		}
	}
	if(_coal.failed)
		pkg_free(_coal.failed);
	_coal.failed = NULL;
	_coal.nfailed = _coal.failed_size = 0;
}

/* Does another process hold an unwritten copy for this session? */
static int pchat_hold_foreign(pchat_session_t *s)
{
	unsigned int b = s->dlv_hold_batch;
	int p = s->dlv_hold_proc;

	if(b == 0 || _coal_written == NULL || p == process_no)
		return 0; /* none, or ours: in order in our own buffer */
	membar_read();
	return (int)(b - _coal_written[p]) > 0;
}

void pchat_deliver_wait_hold(pchat_session_t *s)
{
	int i;

	if(!pchat_hold_foreign(s))
		return;
	/* the holder may be waiting for a lock we hold, for copies we hold */
	pchat_dlv_batch_flush();
	for(i = 0; pchat_hold_foreign(s); i++) {
		if(i >= PCHAT_HOLD_YIELDS + PCHAT_HOLD_SLEEPS) {
			LM_WARN("session %u: process %d has not written its copy for "
					"1 s: sending anyway (may arrive out of order)\n",
					s->id, s->dlv_hold_proc);
			return;
		}
		if(i < PCHAT_HOLD_YIELDS)
			sched_yield();
		else
			sleep_us(100);
	}
}

unsigned long pchat_deliver_copies(void)
{
	return (unsigned long)counter_get_val(_pchat_copies);
}

unsigned long pchat_deliver_answers_raw(void)
{
	return (unsigned long)counter_get_val(_pchat_answers_raw);
}

unsigned long pchat_deliver_copy_writes(void)
{
	return (unsigned long)counter_get_val(_pchat_copy_writes);
}

int pchat_deliver_info(pchat_session_t *s, pchat_dlv_tail_t *t)
{
	char stackbuf[2048];
	char *buf;
	int len;
	struct dest_info dst;

	if(s->expires == 0)
		return -1; /* ended, its cleanup is under way */
	if(s->dlv_pending >= (unsigned int)pchat_max_pending) {
		pchat_deliver_end(s, "too many unanswered INFOs (slow client)");
		pchat_metric_inc(PCHAT_M_SHED);
		return -1;
	}
	if(s->dlv_head == NULL && pchat_head_build(s) < 0)
		return -1;

	pchat_copy_dst(s, &dst);
	len = pchat_copy_max(s, t);
	if(pchat_coal_add(s, &dst, t, len) == 0)
		return 0;
	if(len <= (int)sizeof(stackbuf)) {
		buf = stackbuf;
	} else {
		buf = pkg_malloc(len);
		if(buf == NULL) {
			PKG_MEM_ERROR;
			return -1;
		}
	}
	len = pchat_copy_put(s, t, buf);
	if(msg_send(&dst, buf, len) < 0) {
		if(buf != stackbuf)
			pkg_free(buf);
		pchat_deliver_end(s, "connection cannot be written");
		return -1;
	}
	if(buf != stackbuf)
		pkg_free(buf);
	counter_inc(_pchat_copy_writes);
	pchat_copy_sent(s);
	return 0;
}

int pchat_deliver_overdue(pchat_session_t *s, time_t now)
{
	if(s->dlv_pending == 0 || s->dlv_deadline > now)
		return 0;
	LM_INFO("session %u (%.*s): %u INFO(s) unanswered for %d s: ending it\n",
			s->id, s->user.len, s->user.s, s->dlv_pending,
			pchat_delivery_timeout);
	pchat_session_mark_gone(s);
	return 1;
}

static int pchat_hex_field(char **p, char *end, unsigned int *v)
{
	unsigned int x = 0;
	int digits = 0, c;

	while(*p < end && **p != '.') {
		c = hex2int(**p);
		if(c < 0 || ++digits > 8)
			return -1;
		x = (x << 4) | (unsigned int)c;
		(*p)++;
	}
	if(digits == 0)
		return -1;
	if(*p < end)
		(*p)++; /* the dot */
	*v = x;
	return 0;
}

/* A reply to a request tm sent for a session (UDP INFOs, BYEs): tm
 * matches replies by branch only, so the sender is checked here, before
 * tm sees it. Only while sessions exist: a front-end pays nothing. */
static int pchat_tm_reply_check(struct sip_msg *msg)
{
	struct cseq_body *cs;
	int m;

	if(pchat_session_count() == 0)
		return 1;
	if(parse_headers(msg, HDR_CSEQ_F | HDR_CALLID_F | HDR_TO_F | HDR_FROM_F, 0)
					< 0
			|| msg->cseq == NULL || msg->callid == NULL || msg->to == NULL
			|| msg->from == NULL)
		return 1; /* tm drops what it cannot match */
	cs = get_cseq(msg);
	if(cs->method_id != METHOD_INFO && cs->method_id != METHOD_BYE)
		return 1;
	if(parse_from_header(msg) < 0 || get_to(msg) == NULL)
		return 1;
	m = pchat_session_reply_check(&msg->callid->body, &get_to(msg)->tag_value,
			&get_from(msg)->tag_value, &msg->rcv);
	if(m >= 0)
		return 1;
	pchat_deliver_forged(msg, "not from the session's peer");
	return 0;
}

/* An answer (code, our branch b without its prefix) to one of our direct
 * INFOs, received on rcv: counts it against its session. */
static void pchat_answer_apply(int code, char *p, char *end,
		struct receive_info *rcv)
{
	pchat_session_ref_t ref;
	unsigned int cseq;
	pchat_session_t *s;

	if(code < 200)
		return;
	if(pchat_hex_field(&p, end, &ref.hid) < 0
			|| pchat_hex_field(&p, end, &ref.id) < 0
			|| pchat_hex_field(&p, end, &cseq) < 0 || p[-1] != '.') {
		pchat_forged(code, rcv, "malformed pchat branch");
		return;
	}
	s = pchat_session_get(&ref);
	if(s == NULL)
		return; /* the session ended meanwhile */
	/* one constant-time compare and a few integer ones */
	if(!pchat_session_secret_ok(s, p, (int)(end - p))
			|| !pchat_session_from_peer(s, rcv)) {
		pchat_session_release(s);
		pchat_forged(code, rcv, "wrong branch secret or connection");
		return;
	}
	if(s->dlv_pending > 0 && --s->dlv_pending > 0)
		s->dlv_deadline = pchat_session_now() + pchat_delivery_timeout;
	if(code >= 300) {
		LM_INFO("session %u: client answered %d to INFO %u\n", s->id, code,
				cseq);
		pchat_deliver_end(s, "INFO refused");
	}
	pchat_session_release(s);
}

static int pchat_is_ours(const char *b, int len)
{
	return len > (int)PCHAT_BRANCH_LEN
		   && memcmp(b, PCHAT_BRANCH, PCHAT_BRANCH_LEN) == 0;
}

int pchat_deliver_response(struct sip_msg *msg)
{
	str *b;

	if(msg->via1 == NULL || msg->via1->branch == NULL)
		return 1;
	b = &msg->via1->branch->value;
	if(!pchat_is_ours(b->s, b->len))
		return pchat_tm_reply_check(msg);
	pchat_answer_apply(msg->first_line.u.reply.statuscode,
			b->s + PCHAT_BRANCH_LEN, b->s + b->len, &msg->rcv);
	return 0;
}

int pchat_deliver_take_raw(char *buf, int len, struct receive_info *rcv)
{
	const char *b;
	int code, blen;

	if(!pchat_answer_scan(buf, len, &code, &b, &blen) || !pchat_is_ours(b, blen))
		return 0;
	/* b points into buf: the cast gives back the constness scan took */
	pchat_answer_apply(code, (char *)b + PCHAT_BRANCH_LEN, (char *)b + blen, rcv);
	counter_inc(_pchat_answers_raw);
	return 1;
}
