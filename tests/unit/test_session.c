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

/*
 * ASan/UBSan unit tests of the session table (pchat_session.c, with the
 * real pchat_limit.c) compiled against Kamailio's headers and linked with
 * kamstub.c/kamstub_session.c: add, lookup, reply checks, remove, walk,
 * expiry, closed connections, the session bounds, and allocation failures.
 */

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "pchat_limit.h"
#include "pchat_mod.h"
#include "pchat_session.h"
#include "kamstub.h"
#include "unit.h"
#include "kamunit.h"

/* ---- helpers */

static str S(const char *s)
{
	str r;

	r.s = (char *)s;
	r.len = (int)strlen(s);
	return r;
}

/* A dialog as tm would build it: one shm block (kam_free_dlg frees it);
 * the strings are the caller's and must outlive it. */
static dlg_t *dlg_new(const char *callid, const char *rtag, const char *ltag)
{
	dlg_t *d = shm_mallocxz(sizeof(*d));

	if(d == NULL)
		return NULL;
	d->id.call_id = S(callid);
	d->id.rem_tag = S(rtag);
	d->id.loc_tag = S(ltag);
	return d;
}

/* A request that came from 10.200.0.<host>:port over TCP connection conid
 * (conid 0: UDP). The second address byte is above 0x7f: the connection
 * key is binary and is hashed as unsigned bytes. */
static struct receive_info rcv_of(int host, unsigned short port, int conid)
{
	struct receive_info r;

	memset(&r, 0, sizeof(r));
	r.src_ip.af = AF_INET;
	r.src_ip.len = 4;
	r.src_ip.u.addr[0] = 10;
	r.src_ip.u.addr[1] = 200;
	r.src_ip.u.addr[3] = (unsigned char)host;
	r.src_port = port;
	r.proto = conid ? PROTO_TCP : PROTO_UDP;
	r.proto_reserved1 = conid;
	return r;
}

/* Adds a session for dialog (callid, "rt", "lt") of user; 0 on refusal
 * (why set, the dialog freed here as pchat's caller would). */
static unsigned int add(const char *callid, const char *user,
		struct receive_info *rcv, unsigned int interval, int via_fe,
		pchat_session_refusal_t *why)
{
	pchat_session_refusal_t w;
	dlg_t *d = dlg_new(callid, "rt", "lt");
	str u = S(user);
	unsigned int id;

	if(d == NULL)
		return 0;
	id = pchat_session_add(d, &u, NULL, rcv, interval, via_fe, why ? why : &w);
	if(id == 0)
		shm_free(d);
	return id;
}

/* Looks the session of callid up from rcv and removes it; 1 if found. */
static int remove_session(const char *callid, struct receive_info *rcv)
{
	str c = S(callid), rt = S("rt"), lt = S("lt");
	pchat_session_t *s = pchat_session_lookup(&c, &rt, &lt, rcv);

	if(s == NULL)
		return 0;
	pchat_session_unlink(s);
	pchat_session_release(s);
	pchat_session_free(s);
	return 1;
}

static void free_list(pchat_session_t *list)
{
	pchat_session_t *next;

	for(; list; list = next) {
		next = list->next;
		pchat_session_free(list);
	}
}

static int list_len(pchat_session_t *list)
{
	int n = 0;

	for(; list; list = list->next)
		n++;
	return n;
}

static unsigned int user_count(const char *user)
{
	return pchat_limit_count(user, (int)strlen(user));
}

/* ---- cases */

static int session_init_4(void)
{
	return pchat_session_init(4);
}

static void t_init(void)
{
	kam_check_init_failures("init", session_init_4);
}

static void t_add_lookup_remove(void)
{
	struct receive_info rcv = rcv_of(1, 5000, 42), other = rcv;
	str c = S("call-1"), rt = S("rt"), lt = S("lt"), bad = S("xx");
	long shm = kam_shm_live();
	int frees = kam_dlg_frees(), forgets = kam_deliver_forgets();
	pchat_session_ref_t ref;
	pchat_session_t *s;
	unsigned int id;
	char secret[PCHAT_SECRET_LEN];

	BEGIN("add/lookup/remove: a TCP session, found only from its peer");
	id = add("call-1", "sip:alice@example.com", &rcv, 30, 0, NULL);
	CHECK(id != 0, "add failed");
	CHECK(pchat_session_count() == 1, "count %u", pchat_session_count());
	CHECK(user_count("sip:alice@example.com") == 1, "user not counted");

	s = pchat_session_lookup(&c, &rt, &lt, &rcv);
	CHECK(s != NULL, "not found");
	CHECK(s->id == id && s->conid == 42 && s->proto == PROTO_TCP
					&& s->src_port == 5000 && s->interval == 30
					&& s->expires == s->created + 30 && !s->via_fe,
			"fields");
	CHECK(s->user.len == 21 && memcmp(s->user.s, "sip:alice@example.com", 21)
					== 0,
			"user");
	ref.hid = s->hid;
	ref.id = s->id;
	memcpy(secret, s->secret, sizeof(secret));
	CHECK(pchat_session_secret_ok(s, secret, PCHAT_SECRET_LEN) == 1,
			"secret refused");
	CHECK(pchat_session_secret_ok(s, secret, PCHAT_SECRET_LEN - 1) == 0,
			"short secret");
	secret[3] ^= 1;
	CHECK(pchat_session_secret_ok(s, secret, PCHAT_SECRET_LEN) == 0,
			"wrong secret");
	pchat_session_release(s);

	other.src_port = 5001;
	CHECK(pchat_session_lookup(&c, &rt, &lt, &other) == NULL, "other port");
	other = rcv;
	other.src_ip.u.addr[3] = 2;
	CHECK(pchat_session_lookup(&c, &rt, &lt, &other) == NULL, "other host");
	CHECK(pchat_session_lookup(&c, &rt, &bad, &rcv) == NULL, "other ltag");
	CHECK(pchat_session_lookup(&c, &bad, &lt, &rcv) == NULL, "other rtag");
	CHECK(pchat_session_lookup(&bad, &rt, &lt, &rcv) == NULL, "other callid");

	CHECK(pchat_session_reply_check(&c, &rt, &lt, &rcv) == 1, "own reply");
	other = rcv;
	other.proto_reserved1 = 43;
	CHECK(pchat_session_reply_check(&c, &rt, &lt, &other) == -1,
			"forged reply not -1");
	CHECK(pchat_session_reply_check(&bad, &rt, &lt, &rcv) == 0,
			"unknown dialog");

	s = pchat_session_get(&ref);
	CHECK(s != NULL && s->id == id, "get by ref");
	pchat_session_release(s);
	CHECK(pchat_session_alive(ref.hid, ref.id) == 1, "not alive");
	CHECK(pchat_session_alive(ref.hid, ref.id + 1000) == 0, "other id alive");

	CHECK(remove_session("call-1", &rcv) == 1, "remove");
	CHECK(pchat_session_count() == 0, "count after remove");
	CHECK(pchat_session_alive(ref.hid, ref.id) == 0, "alive after remove");
	CHECK(user_count("sip:alice@example.com") == 0, "user still counted");
	CHECK(kam_dlg_frees() == frees + 1 && kam_deliver_forgets() == forgets + 1,
			"dialog or delivery state not freed");
	CHECK(kam_shm_live() == shm, "%ld blocks leaked", kam_shm_live() - shm);
	pchat_session_free(NULL);
done:
	END;
}

static void t_same_dialog_two_clients(void)
{
	struct receive_info a = rcv_of(1, 6000, 7), b = rcv_of(1, 6001, 8);
	str c = S("same"), rt = S("rt"), lt = S("lt");
	pchat_session_t *s;
	unsigned int ia, ib;

	BEGIN("add: equal dialogs of two connections are two sessions");
	ia = add("same", "sip:a@x", &a, 30, 0, NULL);
	ib = add("same", "sip:b@x", &b, 30, 0, NULL);
	CHECK(ia && ib && ia != ib, "ids %u %u", ia, ib);
	s = pchat_session_lookup(&c, &rt, &lt, &b);
	CHECK(s != NULL && s->id == ib, "b's lookup found %u",
			s ? s->id : 0);
	pchat_session_release(s);
	CHECK(pchat_session_reply_check(&c, &rt, &lt, &a) == 1
					&& pchat_session_reply_check(&c, &rt, &lt, &b) == 1,
			"reply of either");
	CHECK(remove_session("same", &a) && remove_session("same", &b), "remove");
done:
	END;
}

static void t_via_fe_and_udp(void)
{
	struct receive_info fe = rcv_of(9, 7000, 100), fe2 = rcv_of(9, 7002, 101);
	struct receive_info udp = rcv_of(3, 4100, 0), udp2 = udp;
	str c = S("fe-call"), u = S("udp-call"), rt = S("rt"), lt = S("lt");
	pchat_session_t *s;

	BEGIN("via_fe follows the front-end's new connection; UDP its port");
	CHECK(add("fe-call", "sip:f@x", &fe, 30, 1, NULL) != 0, "add fe");
	s = pchat_session_lookup(&c, &rt, &lt, &fe2);
	CHECK(s != NULL, "not found over the new connection");
	CHECK(s->via_fe && s->conid == 101 && s->src_port == 7002,
			"conid %d port %u", s->conid, s->src_port);
	CHECK(pchat_session_from_peer(s, &fe) == 1, "old connection");
	pchat_session_release(s);

	CHECK(add("udp-call", "sip:u@x", &udp, 30, 0, NULL) != 0, "add udp");
	s = pchat_session_lookup(&u, &rt, &lt, &udp);
	CHECK(s != NULL && s->conid == 0 && s->proto == PROTO_UDP, "udp");
	udp2.src_port = 4101;
	CHECK(pchat_session_from_peer(s, &udp) == 1
					&& pchat_session_from_peer(s, &udp2) == 0,
			"udp peer by port");
	pchat_session_release(s);
	CHECK(pchat_session_lookup(&u, &rt, &lt, &udp2) == NULL, "other port");
	CHECK(remove_session("fe-call", &fe2) && remove_session("udp-call", &udp),
			"remove");
done:
	END;
}

static void t_bounds(void)
{
	struct receive_info c1 = rcv_of(1, 100, 1), c2 = rcv_of(1, 101, 2);
	struct receive_info c3 = rcv_of(1, 102, 3), fe = rcv_of(2, 200, 9);
	pchat_session_refusal_t why;
	long shm = kam_shm_live();
	int saved[3] = {pchat_max_sessions, pchat_max_sessions_per_user,
			pchat_max_sessions_per_conn};

	BEGIN("bounds: per user, per connection (not via_fe), per node");
	pchat_max_sessions = 0;
	pchat_max_sessions_per_user = 2;
	pchat_max_sessions_per_conn = 2;
	CHECK(add("u1", "sip:ann@x", &c1, 30, 0, &why) != 0, "1st of ann");
	CHECK(add("u2", "sip:ann@x", &c2, 30, 0, &why) != 0, "2nd of ann");
	CHECK(add("u3", "sip:ann@x", &c3, 30, 0, &why) == 0
					&& why == PCHAT_SESSION_USER_FULL,
			"3rd of ann: why %d", why);
	CHECK(user_count("sip:ann@x") == 2, "ann counted %u",
			user_count("sip:ann@x"));
	CHECK(add("k1", "sip:ben@x", &c1, 30, 0, &why) != 0, "2nd on c1");
	CHECK(add("k2", "sip:cat@x", &c1, 30, 0, &why) == 0
					&& why == PCHAT_SESSION_CONN_FULL,
			"3rd on c1: why %d", why);
	CHECK(user_count("sip:cat@x") == 0, "cat still counted");
	CHECK(add("f1", "sip:d1@x", &fe, 30, 1, &why) != 0
					&& add("f2", "sip:d2@x", &fe, 30, 1, &why) != 0
					&& add("f3", "sip:d3@x", &fe, 30, 1, &why) != 0,
			"via_fe sessions are not bound per connection");
	CHECK(pchat_session_count() == 6, "count %u", pchat_session_count());

	pchat_max_sessions = 6;
	CHECK(add("n1", "sip:eve@x", &c3, 30, 0, &why) == 0
					&& why == PCHAT_SESSION_NODE_FULL,
			"node full: why %d", why);
	CHECK(user_count("sip:eve@x") == 0, "eve counted");

	/* what a removed session held is given back */
	CHECK(remove_session("u1", &c1), "remove u1");
	CHECK(add("u3", "sip:ann@x", &c3, 30, 0, &why) != 0, "ann again");
	CHECK(add("k2", "sip:cat@x", &c1, 30, 0, &why) == 0
					&& why == PCHAT_SESSION_NODE_FULL,
			"node full again: why %d", why);
	pchat_max_sessions = 0;
	CHECK(add("k2", "sip:cat@x", &c1, 30, 0, &why) != 0, "c1 has room");
	free_list(pchat_session_take_expired(pchat_session_now() + 3600));
	CHECK(pchat_session_count() == 0, "count %u", pchat_session_count());
	CHECK(user_count("sip:ann@x") == 0 && user_count("sip:ben@x") == 0
					&& user_count("sip:d1@x") == 0,
			"counts left");
	CHECK(kam_shm_live() == shm, "%ld blocks leaked", kam_shm_live() - shm);
done:
	pchat_max_sessions = saved[0];
	pchat_max_sessions_per_user = saved[1];
	pchat_max_sessions_per_conn = saved[2];
	END;
}

/* pchat_session_add with its n-th allocation failing (the session, the
 * user's count, the connection's count): refused as an error, one error
 * logged, nothing leaked or counted, and the same add then succeeds. */
static void t_add_fails_at(int n)
{
	struct receive_info rcv = rcv_of(4, 4000, 77);
	pchat_session_refusal_t why = PCHAT_SESSION_NODE_FULL;
	dlg_t *d = dlg_new("af", "rt", "lt");
	str u = S("sip:fail@x");
	char name[96];
	long shm = kam_shm_live();
	unsigned int id;

	snprintf(name, sizeof(name), "add: allocation %d fails cleanly", n);
	BEGIN(name);
	CHECK(d != NULL, "no dialog");
	shm = kam_shm_live();
	kam_log_reset();
	kam_shm_fail_at(n);
	id = pchat_session_add(d, &u, NULL, &rcv, 30, 0, &why);
	kam_shm_fail_at(0);
	CHECK(id == 0 && why == PCHAT_SESSION_ERROR, "id %u why %d", id, why);
	CHECK(kam_log_errors() == 1 && kam_log_bugs() == 0, "%d errors %d bugs",
			kam_log_errors(), kam_log_bugs());
	CHECK(kam_shm_live() == shm, "%ld blocks leaked", kam_shm_live() - shm);
	CHECK(pchat_session_count() == 0 && user_count("sip:fail@x") == 0,
			"counted");
	id = pchat_session_add(d, &u, NULL, &rcv, 30, 0, &why);
	CHECK(id != 0, "retry refused: why %d", why);
	d = NULL; /* the table's now */
	CHECK(remove_session("af", &rcv) == 1, "remove");
done:
	if(d)
		shm_free(d);
	END;
}

static void t_expiry(void)
{
	struct receive_info r1 = rcv_of(5, 1, 11), r2 = rcv_of(5, 2, 12);
	struct receive_info r3 = rcv_of(5, 3, 13);
	str c = S("e2"), rt = S("rt"), lt = S("lt");
	time_t now = pchat_session_now();
	pchat_session_t *list, *s;
	unsigned int i3;

	BEGIN("expiry: due, gone and overdue sessions are taken, others stay");
	CHECK(add("e1", "sip:e1@x", &r1, 60, 0, NULL) != 0
					&& add("e2", "sip:e2@x", &r2, 60, 0, NULL) != 0
					&& (i3 = add("e3", "sip:e3@x", &r3, 60, 0, NULL)) != 0,
			"add");
	list = pchat_session_take_expired(now);
	CHECK(list == NULL, "%d taken too early", list_len(list));

	s = pchat_session_lookup(&c, &rt, &lt, &r2);
	CHECK(s != NULL, "e2 not found");
	pchat_session_mark_gone(s);
	pchat_session_release(s);
	list = pchat_session_take_expired(now);
	CHECK(list_len(list) == 1 && list->user.len == 8
					&& memcmp(list->user.s, "sip:e2@x", 8) == 0,
			"gone session not taken alone");
	free_list(list);

	kam_deliver_overdue_id(i3);
	list = pchat_session_take_expired(now);
	kam_deliver_overdue_id(0);
	CHECK(list_len(list) == 1 && list->id == i3, "overdue not taken");
	free_list(list);
	CHECK(pchat_session_count() == 1, "count %u", pchat_session_count());

	list = pchat_session_take_expired(now + 61);
	CHECK(list_len(list) == 1, "expired not taken");
	free_list(list);
	CHECK(pchat_session_count() == 0 && user_count("sip:e1@x") == 0,
			"left behind");
done:
	END;
}

static int count_walk(pchat_session_t *s, void *param)
{
	int *n = param;

	return ++*n == 10 ? -1 : 0;
}

static int sum_walk(pchat_session_t *s, void *param)
{
	*(unsigned long *)param += s->id;
	return 0;
}

static void t_walk(void)
{
	static char callid[50][16]; /* the dialogs point at them */
	struct receive_info r;
	char user[32];
	unsigned long sum = 0, want = 0;
	unsigned int i, id;
	int n = 0;
	long shm = kam_shm_live();

	BEGIN("walk: 50 sessions in 4 slots, visited once; -1 stops it");
	for(i = 0; i < 50; i++) {
		snprintf(callid[i], sizeof(callid[i]), "w%u", i);
		snprintf(user, sizeof(user), "sip:w%u@x", i);
		r = rcv_of(6, (unsigned short)(1000 + i), (int)(20 + i));
		id = add(callid[i], user, &r, 60, 0, NULL);
		CHECK(id != 0, "add %u", i);
		want += id;
	}
	CHECK(pchat_session_walk(sum_walk, &sum) == 0 && sum == want,
			"sum %lu want %lu", sum, want);
	CHECK(pchat_session_walk(count_walk, &n) == -1 && n == 10, "stopped at %d",
			n);
done:
	END;
	free_list(pchat_session_take_expired(pchat_session_now() + 3600));
	unit_check("walk: all sessions removed, nothing leaked",
			pchat_session_count() == 0 && kam_shm_live() == shm,
			"count %u, %ld blocks", pchat_session_count(),
			kam_shm_live() - shm);
}

static void t_closed_connections(void)
{
	struct receive_info t5 = rcv_of(7, 1, 5), t6 = rcv_of(7, 2, 6);
	struct receive_info fe5 = rcv_of(8, 3, 5), udp = rcv_of(7, 4, 0);
	struct receive_info none = t5;
	long shm, pkg = kam_pkg_live();
	pchat_session_t *list;

	BEGIN("closed connections: only their direct sessions end");
	CHECK(add("c5", "sip:c5@x", &t5, 60, 0, NULL) != 0
					&& add("c6", "sip:c6@x", &t6, 60, 0, NULL) != 0
					&& add("f5", "sip:f5@x", &fe5, 60, 1, NULL) != 0
					&& add("cu", "sip:cu@x", &udp, 60, 0, NULL) != 0,
			"add");
	CHECK(pchat_session_end_closed() == 0, "nothing noted yet");
	none.proto_reserved1 = 0;
	none.proto = PROTO_TCP;
	CHECK(pchat_session_end_source(&udp) == 0
					&& pchat_session_end_source(&none) == 0,
			"udp or no connection noted");
	CHECK(pchat_session_end_source(&t5) == 1, "not noted");
	CHECK(pchat_session_end_source(&t5) == 1, "twice");
	CHECK(pchat_session_end_closed() == 1, "not exactly c5 marked");
	list = pchat_session_take_expired(pchat_session_now());
	CHECK(list_len(list) == 1 && list->conid == 5 && !list->via_fe,
			"taken %d", list_len(list));
	free_list(list);

	shm = kam_shm_live();
	kam_log_reset();
	kam_shm_fail_at(1);
	CHECK(pchat_session_end_source(&t6) == -1, "shm failure not reported");
	CHECK(kam_log_errors() == 1 && kam_shm_live() == shm, "after shm failure");

	CHECK(pchat_session_end_source(&t6) == 1, "t6 not noted");
	kam_log_reset();
	kam_pkg_fail_at(1);
	CHECK(pchat_session_end_closed() == -1, "pkg failure not reported");
	CHECK(kam_log_errors() == 1, "%d errors", kam_log_errors());
	CHECK(kam_shm_live() == shm && kam_pkg_live() == pkg,
			"queue not freed on failure");
	CHECK(pchat_session_end_closed() == 0, "queue not dropped after failure");
	CHECK(pchat_session_take_expired(pchat_session_now()) == NULL, "marked anyway");
	CHECK(pchat_session_end_source(&t6) == 1
					&& pchat_session_end_closed() == 1,
			"usable after failure");
	free_list(pchat_session_take_expired(pchat_session_now()));
	CHECK(pchat_session_count() == 2, "count %u", pchat_session_count());
	free_list(pchat_session_take_expired(pchat_session_now() + 3600));
	CHECK(kam_pkg_live() == pkg, "pkg leak");
done:
	END;
}

static void t_ids(void)
{
	struct receive_info r = rcv_of(9, 9, 9);
	unsigned int a, b;

	BEGIN("ids: unique and never 0");
	a = add("i1", "sip:i1@x", &r, 60, 0, NULL);
	b = add("i2", "sip:i2@x", &r, 60, 0, NULL);
	CHECK(a != 0 && b != 0 && a != b, "ids %u %u", a, b);
	free_list(pchat_session_take_expired(pchat_session_now() + 3600));
done:
	END;
}

/* The token bucket of max_infos_per_second (pchat_limit.c): full at
 * first, burst then empty, refilled by the clock, never above the burst,
 * right across a wrap of the 32-bit tick clock. */
static void t_rate(void)
{
	pchat_rate_t r;
	unsigned int wait = 0, i, n, t0 = 0xfffffffeu; /* 2 ticks before a wrap */

	memset(&r, 0, sizeof(r));
	for(n = 0; n < 100 && pchat_rate_take(&r, 5, 10, t0, 16, &wait); n++)
		;
	unit_check("rate: a fresh bucket holds the burst", n == 10, "took %u", n);
	unit_check("rate: empty says when to retry", wait == 1, "wait %u", wait);
	/* 5/s at 16 ticks/s: one token after 4 ticks (1.25 tokens), not 3 */
	unit_check("rate: no token after 3 ticks",
			!pchat_rate_take(&r, 5, 10, t0 + 3, 16, &wait), "took one");
	unit_check("rate: a token after 4 more (across the wrap)",
			pchat_rate_take(&r, 5, 10, t0 + 7, 16, &wait), "refused");
	/* an hour idle: full again, but no more than the burst */
	for(n = 0; n < 100 && pchat_rate_take(&r, 5, 10, t0 + 7 + 16 * 3600, 16, &wait);
			n++)
		;
	unit_check("rate: refills to the burst, not beyond", n == 10, "took %u", n);
	memset(&r, 0, sizeof(r));
	for(i = 0, n = 0; i < 1000; i++)
		n += pchat_rate_take(&r, 0, 1, 0, 16, &wait);
	unit_check("rate: 0 is no bound", n == 1000, "took %u", n);
	/* 1/s, burst 1: an empty bucket needs a whole second */
	memset(&r, 0, sizeof(r));
	pchat_rate_take(&r, 1, 1, 0, 16, &wait);
	unit_check("rate: 1/s empty waits 1 s",
			!pchat_rate_take(&r, 1, 1, 8, 16, &wait) && wait == 1, "wait %u",
			wait);
}

/* tests/fuzz/sipfuzz.py: an in-dialog request whose From has no tag is
 * parsed with a tag of s NULL, len 0; the lookup crashed hashing it. */
static void t_missing_tag(void)
{
	struct receive_info rcv = rcv_of(1, 5000, 42);
	str c = S("call-1"), lt = S("lt"), none = {NULL, 0};

	BEGIN("lookup and reply check of a dialog without From tag or Call-ID");
	CHECK(pchat_session_lookup(&c, &none, &lt, &rcv) == NULL, "found");
	CHECK(pchat_session_lookup(&none, &none, &none, &rcv) == NULL,
			"found without call-id");
	CHECK(pchat_session_reply_check(&c, &none, &lt, &rcv) == 0,
			"reply check");
done:
	END;
}

int main(void)
{
	int n;

	t_init();
	if(pchat_session_init(4) < 0) {
		unit_report("init(4)", "failed");
		return unit_summary();
	}
	t_add_lookup_remove();
	t_missing_tag();
	t_same_dialog_two_clients();
	t_via_fe_and_udp();
	t_bounds();
	for(n = 1; n <= 3; n++)
		t_add_fails_at(n);
	t_expiry();
	t_walk();
	t_closed_connections();
	t_ids();
	t_rate();
	return unit_summary();
}
