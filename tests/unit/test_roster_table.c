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
 * ASan/UBSan unit tests of the roster table (pchat_roster_table.c) compiled
 * against Kamailio's headers and linked with kamstub.c: join, part, lookups,
 * snapshots, the RPC walks, counters, bounds, and every shm/pkg allocation
 * failing in turn (a clean error, nothing leaked, the table still usable).
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/rpc.h"

#include "pchat_roster_table.h"
#include "kamstub.h"
#include "unit.h"
#include "kamunit.h"

/* ---- a recording rpc_t: every struct becomes "{k=v,k=v}" in _rpc_out */

static char _rpc_out[16384];
static int _rpc_len, _rpc_faults, _rpc_add_fail_after = -1;

static void rpc_reset(void)
{
	_rpc_out[0] = '\0';
	_rpc_len = _rpc_faults = 0;
	_rpc_add_fail_after = -1;
}

static void rpc_put(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	_rpc_len += vsnprintf(_rpc_out + _rpc_len, sizeof(_rpc_out) - _rpc_len,
			fmt, ap);
	va_end(ap);
	if(_rpc_len >= (int)sizeof(_rpc_out))
		_rpc_len = sizeof(_rpc_out) - 1;
}

static void rpc_fault(void *ctx, int code, char *fmt, ...)
{
	_rpc_faults++;
	rpc_put("fault %d;", code);
}

static int rpc_add(void *ctx, char *fmt, ...)
{
	va_list ap;
	void **th;

	if(_rpc_add_fail_after == 0)
		return -1;
	if(_rpc_add_fail_after > 0)
		_rpc_add_fail_after--;
	va_start(ap, fmt);
	th = va_arg(ap, void **);
	va_end(ap);
	*th = _rpc_out; /* any non-NULL handle */
	rpc_put("{");
	return 0;
}

static int rpc_struct_add(void *ctx, char *fmt, ...)
{
	va_list ap;
	const char *name;
	str *s;

	va_start(ap, fmt);
	for(; *fmt; fmt++) {
		name = va_arg(ap, const char *);
		switch(*fmt) {
			case 'd':
				rpc_put("%s=%d,", name, va_arg(ap, int));
				break;
			case 'u':
				rpc_put("%s=%u,", name, va_arg(ap, unsigned int));
				break;
			case 'J':
				rpc_put("%s=%llu,", name, va_arg(ap, unsigned long long));
				break;
			case 's':
				rpc_put("%s=%s,", name, va_arg(ap, char *));
				break;
			case 'S':
				s = va_arg(ap, str *);
				rpc_put("%s=%.*s,", name, s->len, s->s);
				break;
			default:
				rpc_put("%s=?%c,", name, *fmt);
				va_end(ap);
				return -1;
		}
	}
	va_end(ap);
	rpc_put("}");
	return 0;
}

static rpc_t _rpc = {
		.fault = rpc_fault, .add = rpc_add, .struct_add = rpc_struct_add};

/* ---- helpers */

static str S(const char *s)
{
	str r;

	r.s = (char *)s;
	r.len = (int)strlen(s);
	return r;
}

static int join(unsigned long long room, unsigned int sess, const char *user,
		unsigned int roles)
{
	str u = S(user);

	return pchat_roster_join(room, sess * 7 + 1, sess, &u, roles);
}

static long sessions(void)
{
	return kam_counter("pchat_roster", "sessions");
}

static long memberships(void)
{
	return kam_counter("pchat_roster", "memberships");
}

/* stats as "{sessions=..,...}" */
static const char *stats(void)
{
	rpc_reset();
	pchat_roster_rpc_stats(&_rpc, NULL);
	return _rpc_out;
}

/* ---- cases */

static void t_before_init(void)
{
	pchat_roster_snapshot_t snap;
	unsigned long long rooms[2];
	str u = S("sip:a@x");

	BEGIN("before init: every call is a harmless no-op");
	CHECK(pchat_roster_join(1, 1, 1, &u, 1) == -1, "join did not fail");
	CHECK(pchat_roster_part(1, 1) == 0, "part");
	CHECK(pchat_roster_part_all(1, rooms, 2) == 0, "part_all");
	CHECK(pchat_roster_count(1) == 0, "count");
	CHECK(pchat_roster_user_present(1, &u, 0) == 0, "user_present");
	CHECK(pchat_roster_rooms_of(1, rooms, 2) == 0, "rooms_of");
	CHECK(pchat_roster_snapshot(1, &snap) == 0 && snap.n == 0
					&& snap.members == NULL,
			"snapshot");
	stats();
	CHECK(_rpc_faults == 1, "stats did not fault: %.400s", _rpc_out);
	CHECK(kam_shm_live() == 0 && kam_pkg_live() == 0, "allocated");
done:
	END;
}

static void t_init_refusals(void)
{
	BEGIN("init: a size below 1 is refused with an error");
	kam_log_reset();
	CHECK(pchat_roster_table_init(0) == -1, "0 accepted");
	CHECK(pchat_roster_table_init(-5) == -1, "-5 accepted");
	CHECK(kam_log_errors() == 2, "%d errors logged", kam_log_errors());
	CHECK(kam_shm_live() == 0, "allocated on refusal");
done:
	END;
}

static int roster_init_4(void)
{
	return pchat_roster_table_init(4);
}

static void t_init_failures(void)
{
	kam_check_init_failures("init", roster_init_4);
}

static void t_init_sizes(void)
{
	BEGIN("init: sizes round up to a power of two, at most 2^20");
	CHECK(pchat_roster_table_init(5) == 0, "init(5)");
	CHECK(strstr(stats(), "hash_size=8,") != NULL, "%.400s", _rpc_out);
	CHECK(pchat_roster_table_init(1) == 0, "init(1)");
	CHECK(strstr(stats(), "hash_size=1,") != NULL, "%.400s", _rpc_out);
	CHECK(pchat_roster_table_init(3000000) == 0, "init(3000000)");
	CHECK(strstr(stats(), "hash_size=1048576,") != NULL, "%.400s", _rpc_out);
	CHECK(pchat_roster_table_init(16) == 0, "init(16)");
	CHECK(strstr(stats(), "sessions=0,memberships=0,rooms=0,") != NULL, "%.400s",
			_rpc_out);
done:
	END;
}

static void t_join_part(void)
{
	long shm = kam_shm_live();
	unsigned long long rooms[4];
	str bob = S("SIP:Bob@Example.com");

	BEGIN("join/part: counts, counters, lookups and memory");
	CHECK(join(100, 1, "sip:alice@example.com", 1) == 1, "first join");
	CHECK(join(100, 2, "sip:bob@example.com", 3) == 1, "second join");
	CHECK(join(200, 1, "sip:alice@example.com", 1) == 1, "other room");
	CHECK(join(100, 1, "sip:alice@example.com", 2) == 0, "rejoin not 0");
	CHECK(pchat_roster_count(100) == 2 && pchat_roster_count(200) == 1
					&& pchat_roster_count(300) == 0,
			"counts %d %d", pchat_roster_count(100), pchat_roster_count(200));
	CHECK(sessions() == 2 && memberships() == 3, "counters %ld %ld",
			sessions(), memberships());
	CHECK(strstr(stats(), "sessions=2,memberships=3,rooms=2,") != NULL, "%.400s",
			_rpc_out);
	CHECK(pchat_roster_user_present(100, &bob, 0) == 1, "bob (any case)");
	CHECK(pchat_roster_user_present(100, &bob, 2) == 0, "bob except himself");
	CHECK(pchat_roster_user_present(200, &bob, 0) == 0, "bob in 200");
	CHECK(pchat_roster_rooms_of(1, rooms, 4) == 2, "rooms of 1");
	CHECK(rooms[0] == 200 && rooms[1] == 100, "most recent first: %llu %llu",
			rooms[0], rooms[1]);
	CHECK(pchat_roster_rooms_of(1, rooms, 1) == 2 && rooms[0] == 200,
			"max 1 still counts 2");
	CHECK(pchat_roster_rooms_of(1, NULL, 0) == 2, "count only");

	CHECK(pchat_roster_part(100, 1) == 1, "part");
	CHECK(pchat_roster_part(100, 1) == 0, "second part");
	CHECK(pchat_roster_part(999, 1) == 0, "part of another room");
	CHECK(pchat_roster_part(100, 99) == 0, "part of an unknown session");
	CHECK(pchat_roster_count(100) == 1, "count after part");
	CHECK(memberships() == 2 && sessions() == 2, "counters after part");
	CHECK(pchat_roster_part(100, 2) == 1 && pchat_roster_part(200, 1) == 1,
			"last parts");
	CHECK(sessions() == 0 && memberships() == 0, "counters %ld %ld",
			sessions(), memberships());
	CHECK(strstr(stats(), "rooms=0,") != NULL, "%.400s", _rpc_out);
	CHECK(kam_shm_live() == shm, "%ld shm blocks left",
			kam_shm_live() - shm);
done:
	END;
}

static void t_snapshot(void)
{
	pchat_roster_snapshot_t snap;
	long shm = kam_shm_live(), pkg = kam_pkg_live();

	BEGIN("snapshot: join order, roles, users; freed");
	join(7, 3, "sip:c@x", 1);
	join(7, 1, "sip:a@x", 2);
	join(7, 2, "", 4); /* no user */
	join(7, 1, "sip:a@x", 6); /* rejoin updates the roles in place */
	CHECK(pchat_roster_snapshot(7, &snap) == 0 && snap.n == 3, "n=%d", snap.n);
	CHECK(snap.members[0].sess_id == 3 && snap.members[1].sess_id == 1
					&& snap.members[2].sess_id == 2,
			"order");
	CHECK(snap.members[1].roles == 6 && snap.members[1].sess_hid == 8,
			"roles %u hid %u", snap.members[1].roles,
			snap.members[1].sess_hid);
	CHECK(snap.members[0].user.len == 7
					&& memcmp(snap.members[0].user.s, "sip:c@x", 7) == 0,
			"user");
	CHECK(snap.members[2].user.len == 0, "empty user");
	pchat_roster_free_snapshot(&snap);
	CHECK(snap.members == NULL && snap.n == 0, "not reset");
	pchat_roster_free_snapshot(&snap); /* twice is harmless */
	pchat_roster_free_snapshot(NULL);
	CHECK(kam_pkg_live() == pkg, "pkg leak");
	CHECK(pchat_roster_snapshot(8, &snap) == 0 && snap.n == 0
					&& snap.members == NULL,
			"empty room");

	kam_log_reset();
	kam_pkg_fail_at(1);
	CHECK(pchat_roster_snapshot(7, &snap) == -1, "pkg failure not reported");
	CHECK(kam_log_errors() == 1, "%d errors", kam_log_errors());
	CHECK(kam_pkg_live() == pkg && pchat_roster_count(7) == 3,
			"state after failure");
	CHECK(pchat_roster_snapshot(7, &snap) == 0 && snap.n == 3, "usable");
	pchat_roster_free_snapshot(&snap);

	rpc_reset();
	pchat_roster_rpc_room(&_rpc, NULL, 7);
	CHECK(strcmp(_rpc_out, "{session=3,user=sip:c@x,roles=member,}"
						   "{session=1,user=sip:a@x,roles=manager,presenter,}"
						   "{session=2,user=,roles=presenter,}")
					== 0,
			"rpc room: %.400s", _rpc_out);
	rpc_reset();
	kam_pkg_fail_at(1);
	pchat_roster_rpc_room(&_rpc, NULL, 7);
	CHECK(_rpc_faults == 1 && strcmp(_rpc_out, "fault 500;") == 0, "%.400s",
			_rpc_out);
	CHECK(pchat_roster_part_all(1, NULL, 0) == 1
					&& pchat_roster_part_all(2, NULL, 0) == 1
					&& pchat_roster_part_all(3, NULL, 0) == 1,
			"part_all");
	CHECK(kam_shm_live() == shm && kam_pkg_live() == pkg, "leak");
done:
	END;
}

/* A join needing all three allocations (entry, session record, room
 * record) with the n-th failing: -1, one error, nothing leaked or
 * half-linked, and the same join then succeeds. */
static void t_join_fails_at(int n)
{
	char name[96];
	long shm;
	int rc;

	snprintf(name, sizeof(name),
			"join: allocation %d of a first join fails cleanly", n);
	BEGIN(name);
	join(50, 10, "sip:old@x", 1); /* a neighbour that must stay */
	shm = kam_shm_live();
	kam_log_reset();
	kam_shm_fail_at(n);
	rc = join(51, 11, "sip:new@x", 1);
	kam_shm_fail_at(0);
	CHECK(rc == -1, "join returned %d", rc);
	CHECK(kam_log_errors() == 1 && kam_log_bugs() == 0, "%d errors %d bugs",
			kam_log_errors(), kam_log_bugs());
	CHECK(kam_shm_live() == shm, "%ld blocks leaked", kam_shm_live() - shm);
	CHECK(pchat_roster_count(51) == 0 && pchat_roster_rooms_of(11, NULL, 0) == 0,
			"half-joined");
	CHECK(sessions() == 1 && memberships() == 1, "counters %ld %ld",
			sessions(), memberships());
	CHECK(strstr(stats(), "rooms=1,") != NULL, "%.400s", _rpc_out);
	CHECK(join(51, 11, "sip:new@x", 1) == 1, "retry failed");
	CHECK(pchat_roster_count(51) == 1 && pchat_roster_count(50) == 1,
			"counts after retry");
done:
	pchat_roster_part_all(11, NULL, 0);
	pchat_roster_part_all(10, NULL, 0);
	END;
}

static void t_join_alloc_failure(void)
{
	long shm;
	int n;

	for(n = 1; n <= 4; n++) /* entry, session, room, the room's refs */
		t_join_fails_at(n);

	BEGIN("join: the entry of a join into existing records fails cleanly");
	join(60, 20, "sip:a@x", 1);
	join(61, 21, "sip:b@x", 1);
	shm = kam_shm_live();
	kam_shm_fail_at(1);
	CHECK(join(61, 20, "sip:a@x", 1) == -1, "join did not fail");
	CHECK(kam_shm_live() == shm && pchat_roster_count(61) == 1, "state");
	CHECK(join(61, 20, "sip:a@x", 1) == 1 && pchat_roster_count(61) == 2,
			"retry");
	CHECK(pchat_roster_part_all(20, NULL, 0) == 2
					&& pchat_roster_part_all(21, NULL, 0) == 1,
			"cleanup");
done:
	END;
}

/* One slot for everything: every record shares a chain. */
static void t_collisions_and_part_all(void)
{
	unsigned long long rooms[8];
	unsigned int s;
	unsigned long long r;
	long shm;
	int n, i, seen;
	char user[32];

	BEGIN("one slot: 200 sessions x 5 rooms, part_all, memory back");
	CHECK(pchat_roster_table_init(1) == 0, "init(1)");
	shm = kam_shm_live();
	for(s = 1; s <= 200; s++) {
		snprintf(user, sizeof(user), "sip:u%u@x", s);
		for(r = 1; r <= 5; r++)
			CHECK(join(r << 32 | r, s, user, 1) == 1, "join %u %llu", s, r);
	}
	for(r = 1; r <= 5; r++)
		CHECK(pchat_roster_count(r << 32 | r) == 200, "count %llu", r);
	CHECK(sessions() == 200 && memberships() == 1000, "counters");
	CHECK(strstr(stats(), "rooms=5,") != NULL, "%.400s", _rpc_out);

	rpc_reset();
	pchat_roster_rpc_rooms(&_rpc, NULL);
	for(r = 1, seen = 0; r <= 5; r++) {
		char want[64];

		snprintf(want, sizeof(want), "{room_id=%llu,participants=200,}",
				r << 32 | r);
		seen += strstr(_rpc_out, want) != NULL;
	}
	CHECK(seen == 5, "rpc rooms: %.400s", _rpc_out);
	rpc_reset();
	_rpc_add_fail_after = 2; /* the walk stops at the first failed add */
	pchat_roster_rpc_rooms(&_rpc, NULL);
	CHECK(strcmp(_rpc_out, "{") != 0 && strchr(_rpc_out, '}') != NULL
					&& (int)(strlen(_rpc_out)) < 120,
			"stopped walk: %.400s", _rpc_out);

	n = pchat_roster_part_all(7, rooms, 3);
	CHECK(n == 5, "part_all returned %d", n);
	CHECK(rooms[0] == (5ull << 32 | 5) && rooms[2] == (3ull << 32 | 3),
			"rooms %llu %llu", rooms[0], rooms[2]);
	CHECK(pchat_roster_part_all(7, rooms, 3) == 0, "second part_all");
	for(s = 1; s <= 200; s++) {
		if(s == 7)
			continue;
		i = pchat_roster_part_all(s, rooms, 8);
		CHECK(i == 5, "part_all(%u) = %d", s, i);
	}
	CHECK(sessions() == 0 && memberships() == 0, "counters %ld %ld",
			sessions(), memberships());
	CHECK(strstr(stats(), "rooms=0,") != NULL, "%.400s", _rpc_out);
	CHECK(kam_shm_live() == shm, "%ld blocks left", kam_shm_live() - shm);
done:
	END;
}

/* snapshot_refs() holds the same sessions as snapshot(), whatever the
 * order of joins and parts (a part moves the last reference into its
 * place), and across the refs' growth. */
static int refs_match(unsigned long long room)
{
	pchat_roster_snapshot_t snap;
	pchat_roster_refs_t r;
	int i, j, ok;

	if(pchat_roster_snapshot(room, &snap) < 0)
		return 0;
	if(pchat_roster_snapshot_refs(room, &r) < 0) {
		pchat_roster_free_snapshot(&snap);
		return 0;
	}
	ok = r.n == snap.n && r.n == pchat_roster_count(room);
	for(i = 0; ok && i < r.n; i++) {
		for(j = 0; j < snap.n; j++)
			if(snap.members[j].sess_id == r.refs[i].sess_id
					&& snap.members[j].sess_hid == r.refs[i].sess_hid)
				break;
		ok = j < snap.n;
	}
	pchat_roster_free_refs(&r);
	pchat_roster_free_snapshot(&snap);
	return ok;
}

static void t_snapshot_refs(void)
{
	pchat_roster_refs_t r;
	long pkg = kam_pkg_live();
	unsigned int s;

	BEGIN("snapshot_refs: the room's sessions after joins and parts");
	CHECK(pchat_roster_snapshot_refs(70, &r) == 0 && r.n == 0
					&& r.refs == NULL,
			"empty room");
	for(s = 1; s <= 20; s++) /* past the first sizes: grows twice */
		join(70, s, "sip:m@x", 1);
	join(71, 1, "sip:m@x", 1);
	CHECK(refs_match(70) && pchat_roster_count(70) == 20, "20 joined");
	CHECK(pchat_roster_part(70, 20) == 1 && refs_match(70), "last parted");
	CHECK(pchat_roster_part(70, 1) == 1 && refs_match(70), "first parted");
	CHECK(pchat_roster_part(70, 9) == 1 && refs_match(70), "middle parted");
	CHECK(pchat_roster_part_all(5, NULL, 0) == 1 && refs_match(70),
			"part_all");
	CHECK(join(70, 9, "sip:m@x", 1) == 1 && refs_match(70), "rejoined");
	CHECK(refs_match(71) && pchat_roster_count(71) == 1, "other room");
	kam_pkg_fail_at(1);
	CHECK(pchat_roster_snapshot_refs(70, &r) == -1 && r.n == 0,
			"pkg failure not reported");
	kam_pkg_fail_at(0);
	for(s = 1; s <= 20; s++)
		pchat_roster_part_all(s, NULL, 0);
	CHECK(pchat_roster_count(70) == 0 && refs_match(70), "emptied");
	CHECK(strstr(stats(), "rooms=0,") != NULL, "%.400s", _rpc_out);
	CHECK(kam_pkg_live() == pkg, "%ld pkg blocks left", kam_pkg_live() - pkg);
done:
	END;
}

static void t_long_user(void)
{
	char big[5000];
	pchat_roster_snapshot_t snap;
	str u;

	BEGIN("join: a long user is copied whole");
	memset(big, 'u', sizeof(big));
	u.s = big;
	u.len = (int)sizeof(big);
	CHECK(pchat_roster_join(9, 1, 1, &u, 1) == 1, "join");
	CHECK(pchat_roster_user_present(9, &u, 0) == 1, "present");
	CHECK(pchat_roster_snapshot(9, &snap) == 0 && snap.n == 1
					&& snap.members[0].user.len == (int)sizeof(big)
					&& memcmp(snap.members[0].user.s, big, sizeof(big)) == 0,
			"snapshot");
	pchat_roster_free_snapshot(&snap);
	CHECK(pchat_roster_join(9, 2, 2, NULL, 1) == 1, "NULL user");
	CHECK(pchat_roster_part_all(1, NULL, 0) == 1
					&& pchat_roster_part_all(2, NULL, 0) == 1,
			"cleanup");
done:
	END;
}

static void t_snapshot_newest(void)
{
	pchat_roster_snapshot_t snap;
	long pkg = kam_pkg_live();

	BEGIN("snapshot_newest: the newest max in join order, the count");
	join(9, 1, "sip:a@x", 1);
	join(9, 2, "sip:bb@x", 1);
	join(9, 3, "sip:ccc@x", 2);
	join(9, 4, "sip:dddd@x", 1);
	CHECK(pchat_roster_snapshot_newest(9, &snap, 2) == 4 && snap.n == 2,
			"n=%d", snap.n);
	CHECK(snap.members[0].sess_id == 3 && snap.members[1].sess_id == 4
					&& snap.members[0].roles == 2,
			"order");
	CHECK(snap.members[1].user.len == 10
					&& memcmp(snap.members[1].user.s, "sip:dddd@x", 10) == 0,
			"user");
	pchat_roster_free_snapshot(&snap);
	CHECK(pchat_roster_snapshot_newest(9, &snap, 10) == 4 && snap.n == 4
					&& snap.members[0].sess_id == 1,
			"all of a small room");
	pchat_roster_free_snapshot(&snap);
	CHECK(pchat_roster_snapshot_newest(9, &snap, 0) == 4 && snap.n == 0
					&& snap.members == NULL,
			"max 0");
	CHECK(pchat_roster_snapshot_newest(10, &snap, 5) == 0 && snap.n == 0
					&& snap.members == NULL,
			"empty room");
	kam_pkg_fail_at(1);
	CHECK(pchat_roster_snapshot_newest(9, &snap, 2) == -1, "pkg failure");
	CHECK(kam_pkg_live() == pkg, "pkg leak");
	CHECK(pchat_roster_part_all(1, NULL, 0) >= 0
					&& pchat_roster_part_all(2, NULL, 0) >= 0
					&& pchat_roster_part_all(3, NULL, 0) >= 0
					&& pchat_roster_part_all(4, NULL, 0) >= 0,
			"cleanup");
done:
	END;
}

int main(void)
{
	t_before_init();
	t_init_refusals();
	t_init_failures();
	t_init_sizes();
	t_join_part();
	t_snapshot();
	t_snapshot_newest();
	t_snapshot_refs();
	t_join_alloc_failure();
	t_long_user();
	t_collisions_and_part_all();
	return unit_summary();
}
