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
/* Store layer: the doorbells of the helper processes (see pchat_bell.h). */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/shm_mem.h"
#include "core/socket_info.h"

#include "pchat_bell.h"

typedef struct pchat_bell_src
{
	struct ip_addr ip; /* the bell's source, as readers see it */
	unsigned short port; /* 0 until connected: no source has it */
	int proto;
} pchat_bell_src_t;

typedef struct pchat_bells
{
	gen_lock_t lock;
	int n;
	pchat_bell_src_t src[];
} pchat_bells_t;

static pchat_bells_t *_pb;
static int _pb_fd = -1; /* this process's connection */

int pchat_bell_mod_init(int n)
{
	int size = sizeof(*_pb) + n * sizeof(_pb->src[0]);

	_pb = shm_malloc(size);
	if(_pb == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_pb, 0, size);
	_pb->n = n;
	return lock_init(&_pb->lock) ? 0 : -1;
}

int pchat_bell_is_bell(struct receive_info *rcv)
{
	int i;

	if(_pb == NULL)
		return 0;
	for(i = 0; i < _pb->n; i++)
		if(rcv->src_port == _pb->src[i].port
				&& rcv->proto == _pb->src[i].proto
				&& ip_addr_cmp(&rcv->src_ip, &_pb->src[i].ip))
			return 1;
	return 0;
}

/* Where the doorbell rings: a TCP listener of this instance (read by a
 * TCP reader, which then sends from its own connections), else a UDP one. */
static int pchat_bell_target(union sockaddr_union *to, int *proto)
{
	struct socket_info **l;
	struct ip_addr ip;

	*proto = PROTO_TCP;
	l = get_sock_info_list(PROTO_TCP);
	if(l == NULL || *l == NULL) {
		*proto = PROTO_UDP;
		l = get_sock_info_list(PROTO_UDP);
	}
	if(l == NULL || *l == NULL)
		return -1;
	ip = (*l)->address;
	if(ip_addr_any(&ip)) {
		/* a wildcard listener answers on loopback */
		memset(&ip, 0, sizeof(ip));
		ip.af = AF_INET;
		ip.len = 4;
		ip.u.addr[0] = 127;
		ip.u.addr[3] = 1;
	}
	init_su(to, &ip, (*l)->port_no);
	return 0;
}

static int pchat_bell_connect(int i)
{
	union sockaddr_union to, me;
	socklen_t len = sizeof(me);
	struct ip_addr ip;
	int proto, fd;

	if(pchat_bell_target(&to, &proto) < 0) {
		LM_ERR("no TCP or UDP listener for the doorbells\n");
		return -1;
	}
	fd = socket(to.s.sa_family,
			proto == PROTO_TCP ? SOCK_STREAM : SOCK_DGRAM, 0);
	if(fd < 0)
		return -1;
	if(connect(fd, &to.s, sockaddru_len(to)) < 0
			|| getsockname(fd, &me.s, &len) < 0) {
		LM_ERR("cannot reach the doorbell listener: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	su2ip_addr(&ip, &me);
	lock_get(&_pb->lock);
	_pb->src[i].ip = ip;
	_pb->src[i].port = su_getport(&me);
	_pb->src[i].proto = proto;
	lock_release(&_pb->lock);
	_pb_fd = fd;
	return 0;
}

/* Has the listener closed the connection (idle lifetime)? */
static int pchat_bell_closed(int i)
{
	char c;
	ssize_t n;

	if(_pb->src[i].proto != PROTO_TCP)
		return 0;
	n = recv(_pb_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

void pchat_bell_open(int i)
{
	if(_pb_fd < 0 && pchat_bell_connect(i) < 0)
		LM_WARN("doorbell %d: not connected yet, the first ring retries\n", i);
}

void pchat_bell_ring(int i)
{
	char msg[320];
	int len, n, tries;

	for(tries = 0; tries < 2; tries++) {
		if(_pb_fd >= 0 && pchat_bell_closed(i)) {
			close(_pb_fd);
			_pb_fd = -1;
		}
		if(_pb_fd < 0 && pchat_bell_connect(i) < 0)
			return;
		len = snprintf(msg, sizeof(msg),
				"OPTIONS sip:pchat-bell@localhost SIP/2.0\r\n"
				"Via: SIP/2.0/%s 127.0.0.1;branch=z9hG4bKpchatbell%d\r\n"
				"From: <sip:pchat-bell@localhost>;tag=b%d\r\n"
				"To: <sip:pchat-bell@localhost>\r\n"
				"Call-ID: pchat-bell-%d\r\nCSeq: 1 OPTIONS\r\n"
				"Max-Forwards: 1\r\nContent-Length: 0\r\n\r\n",
				_pb->src[i].proto == PROTO_TCP ? "TCP" : "UDP", i, i, i);
		n = send(_pb_fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if(n == len)
			return;
		if(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return; /* the reader has bells unread: it will look */
		close(_pb_fd);
		_pb_fd = -1;
	}
	LM_ERR("cannot ring doorbell %d\n", i);
}
