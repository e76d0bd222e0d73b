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
/* pchatctl: the JSON-RPC over HTTP transport. Knows no verb. */

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pchatctl.h"
#include "http.h"

typedef struct http_url
{
	char host[256];
	char port[6];
	const char *path; /* points into the URL */
} http_url_t;

/* http://host[:port][/path], host possibly an [IPv6] literal. */
static int parse_url(const char *url, http_url_t *parsed)
{
	const char *host;
	const char *host_end;
	const char *port;
	const char *path;
	size_t len;

	if(strncasecmp(url, "http://", 7) != 0)
		return -1;
	host = url + 7;
	path = strchr(host, '/');
	if(path == NULL)
		path = host + strlen(host);
	if(*host == '[') {
		host++;
		host_end = memchr(host, ']', path - host);
		if(host_end == NULL)
			return -1;
		port = host_end + 1;
	} else {
		host_end = memchr(host, ':', path - host);
		if(host_end == NULL)
			host_end = path;
		port = host_end;
	}
	len = host_end - host;
	if(len == 0 || len >= sizeof(parsed->host))
		return -1;
	memcpy(parsed->host, host, len);
	parsed->host[len] = '\0';

	if(port == path) {
		strcpy(parsed->port, "80");
	} else {
		if(*port != ':')
			return -1;
		port++;
		len = path - port;
		if(len == 0 || len >= sizeof(parsed->port)
				|| strspn(port, "0123456789") < len)
			return -1;
		memcpy(parsed->port, port, len);
		parsed->port[len] = '\0';
		if(atoi(parsed->port) < 1 || atoi(parsed->port) > 65535)
			return -1;
	}
	parsed->path = *path ? path : "/";
	return 0;
}

int pctl_http_check_url(const char *url)
{
	http_url_t parsed;

	if(parse_url(url, &parsed) < 0) {
		pctl_err(
				"cannot use URL '%s': expected http://HOST[:PORT][/PATH]", url);
		return -1;
	}
	return 0;
}

/* Tries each address of the host in turn, within the deadline. */
static int connect_to(const http_url_t *url, const pctl_deadline_t *deadline)
{
	struct addrinfo hints;
	struct addrinfo *addrs;
	struct addrinfo *ai;
	socklen_t errlen;
	int err = ECONNREFUSED;
	int gai;
	int fd;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	gai = getaddrinfo(url->host, url->port, &hints, &addrs);
	if(gai != 0) {
		pctl_err("cannot resolve %s: %s", url->host, gai_strerror(gai));
		return -1;
	}
	for(ai = addrs; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
				ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				ai->ai_protocol);
		if(fd < 0) {
			err = errno;
			continue;
		}
		if(connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			freeaddrinfo(addrs);
			return fd;
		}
		err = errno;
		if(err == EINPROGRESS) {
			if(pctl_wait_fd(fd, POLLOUT, deadline) != PCTL_IO_DONE) {
				err = ETIMEDOUT;
			} else {
				errlen = sizeof(err);
				if(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) < 0)
					err = errno;
				if(err == 0) {
					freeaddrinfo(addrs);
					return fd;
				}
			}
		}
		close(fd);
	}
	freeaddrinfo(addrs);
	pctl_err("cannot connect to %s port %s: %s: is Kamailio running?",
			url->host, url->port, strerror(err));
	return -1;
}

static int send_post(int fd, const http_url_t *url, json_t *request,
		const pctl_deadline_t *deadline)
{
	int ipv6 = strchr(url->host, ':') != NULL; /* bracketed in Host: */
	char *body;
	char *message;
	int len;
	pctl_io_t io;

	body = json_dumps(request, JSON_COMPACT);
	if(body == NULL) {
		pctl_err("out of memory");
		return -1;
	}
	/* HTTP/1.0: the answer cannot come chunked */
	len = asprintf(&message,
			"POST %s HTTP/1.0\r\n"
			"Host: %s%s%s:%s\r\n"
			"Content-Type: application/json\r\n"
			"Content-Length: %zu\r\n"
			"Connection: close\r\n"
			"\r\n"
			"%s",
			url->path, ipv6 ? "[" : "", url->host, ipv6 ? "]" : "", url->port,
			strlen(body), body);
	free(body);
	if(len < 0) {
		pctl_err("out of memory");
		return -1;
	}
	io = pctl_write_all(fd, message, len, deadline);
	free(message);
	if(io != PCTL_IO_DONE) {
		pctl_err("cannot send to %s port %s: %s", url->host, url->port,
				io == PCTL_IO_TIMEOUT ? "timed out" : strerror(errno));
		return -1;
	}
	return 0;
}

/* The value of header name in the NUL-terminated header block, or NULL. */
static const char *find_header(const char *headers, const char *name)
{
	size_t name_len = strlen(name);
	const char *line = headers;

	while((line = strstr(line, "\r\n")) != NULL) {
		line += 2;
		if(strncasecmp(line, name, name_len) == 0 && line[name_len] == ':')
			return line + name_len + 1 + strspn(line + name_len + 1, " \t");
	}
	return NULL;
}

/* Kamailio keeps the TCP connection open after answering, so the end of
 * the body is known from Content-Length, not from the connection closing.
 * On success the body is moved to the start of reply. */
static int read_answer(int fd, const http_url_t *url, double timeout,
		const pctl_deadline_t *deadline, pctl_buf_t *reply)
{
	const char *length_header;
	char *headers_end = NULL;
	size_t body_start = 0;
	long long body_len = -1;
	int status = 0;
	pctl_io_t io;

	for(;;) {
		io = pctl_read_some(fd, reply, deadline);
		if(io == PCTL_IO_TIMEOUT) {
			pctl_err("no answer from %s port %s within %g s", url->host,
					url->port, timeout);
			return -1;
		}
		if(io == PCTL_IO_ERROR) {
			pctl_err("cannot read from %s port %s: %s", url->host, url->port,
					strerror(errno));
			return -1;
		}
		if(headers_end == NULL && reply->len > 0) {
			headers_end = strstr(reply->s, "\r\n\r\n");
			if(headers_end != NULL) {
				*headers_end = '\0';
				body_start = headers_end - reply->s + 4;
				if(sscanf(reply->s, "HTTP/%*d.%*d %d", &status) != 1)
					break;
				if(find_header(reply->s, "Transfer-Encoding") != NULL) {
					pctl_err("chunked HTTP answers are not supported");
					return -1;
				}
				length_header = find_header(reply->s, "Content-Length");
				if(length_header != NULL)
					body_len = atoll(length_header);
			}
		}
		if(io == PCTL_IO_EOF)
			break;
		if(body_len >= 0 && reply->len >= body_start + body_len)
			break;
	}
	if(headers_end == NULL || status == 0) {
		pctl_err("%s port %s does not answer HTTP", url->host, url->port);
		return -1;
	}
	if(body_len >= 0 && reply->len > body_start + body_len)
		reply->len = body_start + body_len;
	reply->len -= body_start;
	memmove(reply->s, reply->s + body_start, reply->len);
	reply->s[reply->len] = '\0';
	/* jsonrpcs answers errors with their code as HTTP status and a JSON
	 * body: only a status without JSON is a transport failure */
	if((status < 200 || status > 299)
			&& reply->s[strspn(reply->s, " \t\r\n")] != '{') {
		pctl_err("%s port %s answered HTTP status %d", url->host, url->port,
				status);
		return -1;
	}
	if(reply->len == 0) {
		pctl_err("empty answer from %s port %s", url->host, url->port);
		return -1;
	}
	return 0;
}

int pctl_http_call(
		const char *url, json_t *request, double timeout, pctl_buf_t *reply)
{
	pctl_deadline_t deadline;
	http_url_t parsed;
	int rc = PCTL_EXIT_TRANSPORT;
	int fd;

	if(pctl_http_check_url(url) < 0 || parse_url(url, &parsed) < 0)
		return PCTL_EXIT_TRANSPORT;
	pctl_deadline_set(&deadline, timeout);
	fd = connect_to(&parsed, &deadline);
	if(fd < 0)
		return PCTL_EXIT_TRANSPORT;
	if(send_post(fd, &parsed, request, &deadline) == 0
			&& read_answer(fd, &parsed, timeout, &deadline, reply) == 0)
		rc = PCTL_EXIT_OK;
	close(fd);
	return rc;
}
