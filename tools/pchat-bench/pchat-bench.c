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
/* pchat-bench: load generator for pchat (XCCOS over SIP/TCP), for a bare
 * stateless Kamailio and for Kamailio's imc module.
 *
 * One process, epoll, many non-blocking TCP clients. Every client runs the
 * real flow (INVITE the service URI, ACK, cmd:bjoin into its rooms), then
 * posters post at a controlled rate; every post carries its send time and a
 * poster/sequence pair, so each delivery's latency and duplicates/losses are
 * measured per recipient. The server's CPU time (all Kamailio processes) and
 * memory are sampled around the measured window.
 *
 * Modes (--mode): pchat (default), stateless (out-of-dialog INFO answered
 * with sl_send_reply, closed loop with --window requests per connection),
 * imc (MESSAGE "#join" to the room, posts as MESSAGE to the room URI).
 * Scenarios (--scenario): post (default; fanout and lync-model use it),
 * sessions (establish and hold, no posts), history (closed-loop cmd:bccontext
 * <last cnt="30"/> after the joins).
 * Topologies: --ports spreads the clients over several instances (a pool's
 * nodes), whose CPU is summed (--server-pid and --ctl lists); --mux-conns N
 * carries all members' dialogs over N connections as a front-end does
 * (P-Asserted-Identity and Record-Route, for cfg/pchat-node.cfg). */

#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <time.h>
#include <unistd.h>

#define HIST_FINE 100000 /* 1 us buckets up to 100 ms */
#define HIST_COARSE 100000 /* 1 ms buckets up to 100 s */

enum mode { M_PCHAT, M_STATELESS, M_IMC };
enum scen { S_POST, S_SESSIONS, S_HISTORY };
enum cstate { C_IDLE, C_CONNECTING, C_INVITING, C_JOINING, C_READY, C_FAILED };
enum phase { P_SETUP, P_WARMUP, P_MEASURE, P_DRAIN, P_DONE };

typedef struct hist {
	uint64_t n;
	uint64_t max;
	uint32_t *b;
} hist_t;

typedef struct room {
	char id[80];
	int size;
	int members; /* clients whose join succeeded */
} room_t;

typedef struct client {
	int fd;
	int idx;
	int state;
	int lport;
	int dlg_no; /* dialogs established before the current one */
	uint32_t cseq;
	uint32_t envid;
	char callid[48];
	char ftag[40];
	char totag[96];
	char target[128];
	char *rbuf;
	size_t rlen, rcap;
	char *wbuf;
	size_t wlen, woff, wcap;
	int want_out;
	int64_t t_start; /* connect start */
	int64_t t_cmd; /* pending command / request sent, 0 = none */
	int cmd_kind; /* 1 join, 2 history */
	int nrooms;
	int *rooms;
	int joined_rooms; /* imc: joins answered */
	uint32_t *lastseq; /* per poster, lazily */
	uint64_t *seqmask;
	uint32_t post_seq;
	int post_rr;
	int outstanding; /* stateless: requests in flight */
	int posts_pending;
	int pend_room[64]; /* rooms of the posts awaiting their SIP answer, FIFO */
	int64_t pend_t[64]; /* and when each was sent */
	unsigned int pend_head, pend_tail;
	struct client *carrier; /* --mux-conns: the connection this member's
							 * dialog shares, as behind a front-end */
	char user[32]; /* p<port>, or p<port>m<idx> for a multiplexed member */
} client_t;

static struct {
	const char *host;
	int port;
	int nclients;
	int rooms_per_client;
	int posters;
	double rate;
	double duration;
	double warmup;
	double drain;
	double setup_timeout;
	double timeout;
	int concurrency;
	int window;
	int json;
	int mode;
	int scen;
	const char *scen_name;
	const char *room_file;
	const char *domain;
	int server_pid;
	const char *ctl;
	int history_cnt;
	int src_addrs;
	int dialogs; /* chat dialogs per connection, as behind a front-end */
	double signin_rate; /* sign-ins started per second, 0 = no pacing */
	const char *search; /* history scenario: chansrch BYNAME this instead */
	const char *room_host; /* imc mode: rooms are sip:<room>@<room_host>.<domain> */
	int mux; /* members multiplexed over this many connections, 0 = off */
	int nports, ports[16]; /* --ports: client i connects to ports[i % n] */
	int npids, pids[16]; /* --server-pid: instances whose CPU is summed */
	int nctls;
	const char *ctls[16]; /* --ctl: their ctl sockets (shm: the first) */
	int burst; /* stateless: --rate bursts/s of this many requests, 0 = window */
} opt = {"127.0.0.1", 5060, 100, 1, 1, 100, 5, 1, 2, 60, 10, 200, 8, 0,
		M_PCHAT, S_POST, "post", NULL, "example.com", 0, NULL, 30, 0, 1, 0,
		NULL, "chat", 0, 0, {0}, 0, {0}, 0, {0}, 0};

static int epfd;
static client_t *cl;
static room_t *rooms;
static int nrooms;
static int phase = P_SETUP;
static int64_t t0, t_setup_done, t_meas_start, t_meas_end, t_phase_end;
static char run_tag[16];

static struct {
	uint64_t sessions_ok, session_fail, joins_ok, join_fail, join_timeouts;
	uint64_t posts_sent, posts_ok, posts_err, posts_meas_ok, posts_sent_meas;
	uint64_t deliveries, deliveries_meas, dups, expected, foreign_infos;
	uint64_t server_infos, byes, conn_closed, parse_errors, other_errors;
	uint64_t hist_ok, hist_err, hist_meas, timeouts, invite_retrans, posts_throttled, reordered;
	uint64_t req_ok, req_err, req_meas;
	uint64_t rlimit_from, rlimit_to;
} st;

static hist_t h_session, h_join, h_deliv, h_history, h_req, h_ack;
/* The same post->200 and copy latencies ending when the data reached this
 * process's socket (the kernel's receive timestamp, SO_TIMESTAMPING), not
 * when this process got round to reading it: the generator's own
 * scheduling and backlog on a shared machine are left out. */
static hist_t h_ack_k, h_deliv_k;
/* The kernel's receive time of the data being parsed (CLOCK_MONOTONIC ns;
 * 0 = none): of the newest bytes of the read, so an upper bound for the
 * messages that arrived earlier in the same read. */
static int64_t rx_kernel_ns;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "pchat-bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void *xcalloc(size_t n, size_t s)
{
	void *p = calloc(n, s);
	if(!p)
		die("out of memory");
	return p;
}

/* ---- histograms ---- */

static void hist_init(hist_t *h)
{
	h->b = xcalloc(HIST_FINE + HIST_COARSE, sizeof(uint32_t));
}

static void hist_add(hist_t *h, int64_t ns)
{
	uint64_t us = ns > 0 ? (uint64_t)ns / 1000 : 0;
	size_t i;
	if(us < HIST_FINE)
		i = us;
	else {
		i = HIST_FINE + us / 1000;
		if(i >= HIST_FINE + HIST_COARSE)
			i = HIST_FINE + HIST_COARSE - 1;
	}
	h->b[i]++;
	h->n++;
	if(us > h->max)
		h->max = us;
}

/* percentile in microseconds */
static double hist_pct(hist_t *h, double p)
{
	uint64_t want, acc = 0;
	size_t i;
	if(h->n == 0)
		return 0;
	want = (uint64_t)(p / 100.0 * (double)h->n);
	if(want >= h->n)
		want = h->n - 1;
	for(i = 0; i < HIST_FINE + HIST_COARSE; i++) {
		acc += h->b[i];
		if(acc > want)
			return i < HIST_FINE ? (double)i : (double)(i - HIST_FINE) * 1000.0;
	}
	return (double)h->max;
}

/* ---- server statistics ---- */

typedef struct srvstat {
	double cpu_s; /* utime + stime of all kamailio processes */
	double inst_cpu_s[16]; /* the same per --server-pid instance */
	double pss_mb; /* proportional set size, all processes */
	double shm_used_mb;
	double pool_sent; /* pchat.status pool_copies_sent, all --ctl instances */
	uint64_t posts_ok; /* posts answered 200 when pool_sent was read */
	uint64_t posts_inflight; /* and posts sent but not answered then */
	int nproc;
} srvstat_t;

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;
	if(fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if(n < 0)
		return -1;
	buf[n] = 0;
	return (int)n;
}

/* The CPU time a process has run, in ns, from /proc/<pid>/schedstat (the
 * scheduler's own sum, exact to the last context switch), else from
 * utime+stime: those are whole clock ticks (10 ms) per process, and a
 * window of a few hundred ms of CPU spread over twenty processes lost
 * several percent to their truncation. */
static uint64_t proc_cpu_ns(int pid, uint64_t ticks)
{
	char path[64], buf[128];
	unsigned long long run;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	if(read_file(path, buf, sizeof(buf)) > 0 && sscanf(buf, "%llu", &run) == 1)
		return run;
	return ticks * (1000000000ULL / (uint64_t)sysconf(_SC_CLK_TCK));
}

/* CPU time (ns, proc_cpu_ns) and ppid of a process */
static int proc_stat(int pid, int *ppid, uint64_t *cpu_ns)
{
	char path[64], buf[2048], *p;
	unsigned long ut, stt;
	int pp;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if(read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	p = strrchr(buf, ')');
	if(!p)
		return -1;
	/* after ')': state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime */
	if(sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &pp,
			   &ut, &stt)
			!= 3)
		return -1;
	*ppid = pp;
	*cpu_ns = proc_cpu_ns(pid, ut + stt);
	return 0;
}

static double proc_pss_mb(int pid)
{
	char path[64], buf[4096], *p;
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	if(read_file(path, buf, sizeof(buf)) < 0)
		return 0;
	p = strstr(buf, "\nPss:");
	if(!p)
		return 0;
	return strtod(p + 5, NULL) / 1024.0;
}

static double shm_used_mb(void)
{
	char cmd[512], line[256];
	FILE *f;
	double used = -1;
	if(!opt.ctl)
		return -1;
	snprintf(cmd, sizeof(cmd), "kamcmd -s unix:%s core.shmmem 2>/dev/null",
			opt.ctl);
	f = popen(cmd, "r");
	if(!f)
		return -1;
	while(fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "used:");
		if(p && !strstr(line, "real_used") && !strstr(line, "max_used"))
			used = strtod(p + 5, NULL) / (1024.0 * 1024.0);
	}
	pclose(f);
	return used;
}

/* The node's own post->200 histogram (pchat.post_latency of the first
 * --ctl), restarted when the measured window opens and read after the
 * drain, so it covers the window's posts as h_ack does; count < 0: none
 * (not a pchat instance, or no --ctl). */
static struct {
	double count, p50, p99, max;
} node_ack = {-1, 0, 0, 0};

static void node_ack_rpc(int restart)
{
	char cmd[512], line[256];
	FILE *f;

	if(!opt.ctl || opt.mode != M_PCHAT)
		return;
	snprintf(cmd, sizeof(cmd), "kamcmd -s unix:%s pchat.post_latency%s 2>/dev/null",
			opt.ctl, restart ? " 1" : "");
	f = popen(cmd, "r");
	if(!f)
		return;
	while(fgets(line, sizeof(line), f)) {
		if(restart)
			continue;
		sscanf(line, " count: %lf", &node_ack.count);
		sscanf(line, " p50_ms: %lf", &node_ack.p50);
		sscanf(line, " p99_ms: %lf", &node_ack.p99);
		sscanf(line, " max_ms: %lf", &node_ack.max);
	}
	pclose(f);
}

/* pchat.status's pool_copies_sent of the instance at ctl: the copies of
 * posts and notices sent to other pool nodes (0 without a pool) */
static double pool_copies_sent(const char *ctl)
{
	char cmd[512], line[256];
	FILE *f;
	double n = 0;

	snprintf(cmd, sizeof(cmd), "kamcmd -s unix:%s pchat.status 2>/dev/null", ctl);
	f = popen(cmd, "r");
	if(!f)
		return 0;
	while(fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "pool_copies_sent:");
		if(p)
			n = strtod(p + 17, NULL);
	}
	pclose(f);
	return n;
}

/* adds the CPU time (ns) and PSS of one instance (main process and children) */
static void instance_sample(int server_pid, srvstat_t *s, uint64_t *total)
{
	DIR *d;
	struct dirent *de;
	uint64_t t;
	int ppid;

	if(proc_stat(server_pid, &ppid, &t) == 0) {
		*total += t;
		s->nproc++;
		s->pss_mb += proc_pss_mb(server_pid);
	}
	d = opendir("/proc");
	if(d) {
		while((de = readdir(d))) {
			int pid;
			if(!isdigit((unsigned char)de->d_name[0]))
				continue;
			pid = atoi(de->d_name);
			if(pid == server_pid)
				continue;
			if(proc_stat(pid, &ppid, &t) == 0 && ppid == server_pid) {
				*total += t;
				s->nproc++;
				s->pss_mb += proc_pss_mb(pid);
			}
		}
		closedir(d);
	}
}

/* the pool's copies (all --ctl instances) and the posts answered so far:
 * the drain ends with no post in flight, so copies per post over the window
 * and the drain are exact but for the posts in flight at its start */
static void pool_sample(srvstat_t *s)
{
	int i;

	s->pool_sent = 0;
	s->posts_ok = st.posts_ok;
	s->posts_inflight = st.posts_sent - st.posts_ok - st.posts_err;
	if(opt.mode == M_PCHAT)
		for(i = 0; i < opt.nctls; i++)
			s->pool_sent += pool_copies_sent(opt.ctls[i]);
}

/* every --server-pid instance summed (a pool's nodes) */
static void server_sample(srvstat_t *s)
{
	uint64_t total = 0;
	int i;

	memset(s, 0, sizeof(*s));
	s->shm_used_mb = -1;
	if(opt.npids == 0)
		return;
	for(i = 0; i < opt.npids; i++) {
		uint64_t before = total;

		instance_sample(opt.pids[i], s, &total);
		s->inst_cpu_s[i] = (double)(total - before) / 1e9;
	}
	s->cpu_s = (double)total / 1e9;
	s->shm_used_mb = shm_used_mb();
	pool_sample(s);
}

/* ---- I/O ---- */

static void client_fail(client_t *c, const char *why);

/* Asks the kernel for software receive timestamps on fd's data. */
static void rx_stamp_on(int fd)
{
	int flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;

	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags));
}

/* read() that also sets rx_kernel_ns from the kernel's timestamp (in
 * CLOCK_REALTIME, turned into CLOCK_MONOTONIC with the offset of now). */
static ssize_t read_stamped(int fd, char *buf, size_t len)
{
	char ctl[CMSG_SPACE(sizeof(struct scm_timestamping))];
	struct iovec iov = {buf, len};
	struct msghdr mh;
	struct cmsghdr *cm;
	struct timespec rt, mono;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl;
	mh.msg_controllen = sizeof(ctl);
	n = recvmsg(fd, &mh, 0);
	rx_kernel_ns = 0;
	if(n <= 0)
		return n;
	for(cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		struct scm_timestamping *ts;
		if(cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_TIMESTAMPING)
			continue;
		ts = (struct scm_timestamping *)CMSG_DATA(cm);
		if(ts->ts[0].tv_sec == 0 && ts->ts[0].tv_nsec == 0)
			continue;
		clock_gettime(CLOCK_REALTIME, &rt);
		clock_gettime(CLOCK_MONOTONIC, &mono);
		rx_kernel_ns = (int64_t)ts->ts[0].tv_sec * 1000000000LL
					   + ts->ts[0].tv_nsec
					   - ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000LL
					   - (rt.tv_nsec - mono.tv_nsec);
	}
	return n;
}

static void epoll_set(client_t *c, int out)
{
	struct epoll_event ev;
	ev.events = EPOLLIN | (out ? EPOLLOUT : 0);
	ev.data.u32 = (uint32_t)c->idx;
	if(epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		die("epoll_ctl: %s", strerror(errno));
	c->want_out = out;
}

static void flush_out(client_t *c)
{
	if(c->carrier)
		c = c->carrier;
	while(c->woff < c->wlen) {
		ssize_t n = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);
		if(n < 0) {
			if(errno == EAGAIN || errno == EWOULDBLOCK) {
				if(!c->want_out)
					epoll_set(c, 1);
				return;
			}
			if(errno == EINTR)
				continue;
			client_fail(c, "write");
			return;
		}
		c->woff += (size_t)n;
	}
	c->woff = c->wlen = 0;
	if(c->want_out)
		epoll_set(c, 0);
}

static void out_append(client_t *c, const char *s, size_t len)
{
	if(c->fd < 0)
		return;
	if(c->carrier)
		c = c->carrier;
	if(c->wlen + len > c->wcap) {
		size_t cap = c->wcap ? c->wcap : 4096;
		while(cap < c->wlen + len)
			cap *= 2;
		c->wbuf = realloc(c->wbuf, cap);
		if(!c->wbuf)
			die("out of memory");
		c->wcap = cap;
	}
	memcpy(c->wbuf + c->wlen, s, len);
	c->wlen += len;
}

static void sendf(client_t *c, const char *fmt, ...)
{
	char buf[16384];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if(n < 0 || n >= (int)sizeof(buf))
		die("message too long");
	out_append(c, buf, (size_t)n);
	if(!c->want_out)
		flush_out(c);
}

static void mux_carrier_lost(client_t *carrier);

static void client_close(client_t *c)
{
	if(c->carrier) { /* the connection is not the member's alone */
		c->fd = -1;
		return;
	}
	if(c->fd >= 0 && c->idx >= opt.nclients) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
		mux_carrier_lost(c);
		return;
	}
	if(c->fd >= 0) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
}

static void client_fail(client_t *c, const char *why)
{
	if(c->idx >= opt.nclients)
		; /* a carrier: its members are counted */
	else if(c->state == C_READY || c->state == C_JOINING)
		st.conn_closed++;
	else
		st.session_fail++;
	if(getenv("PCHAT_BENCH_DEBUG"))
		fprintf(stderr, "client %d failed: %s\n", c->idx, why);
	c->state = C_FAILED;
	client_close(c);
}

/* ---- SIP ---- */

static const char *sdp_fmt = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=session\r\n"
							 "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=message 5061 sip "
							 "null\r\na=accept-types:text/plain text/html "
							 "image/gif multipart/alternative "
							 "application/im-iscomposing+xml "
							 "application/ms-imdn+xml text/x-msmsgsinvite\r\n";

static void send_request(client_t *c, const char *method, const char *ruri,
		const char *to, uint32_t cseq, const char *extra, const char *ctype,
		const char *body)
{
	size_t blen = body ? strlen(body) : 0;
	static uint64_t branch;
	branch++;
	sendf(c,
			"%s %s SIP/2.0\r\n"
			"Via: SIP/2.0/TCP 127.0.0.1:%d;branch=z9hG4bK%s%llx\r\n"
			"From: <sip:%s@%s>;tag=%s;epid=%08x\r\n"
			"To: %s\r\n"
			"Max-Forwards: 70\r\n"
			"CSeq: %u %s\r\n"
			"User-Agent: pchat-bench\r\n"
			"Call-ID: %s\r\n"
			"%s"
			"%s%s%s"
			"Content-Length: %zu\r\n\r\n%s",
			method, ruri, c->lport, run_tag, (unsigned long long)branch,
			c->user, opt.domain, c->ftag, c->idx, to, cseq, method, c->callid,
			extra ? extra : "", ctype ? "Content-Type: " : "",
			ctype ? ctype : "", ctype ? "\r\n" : "", blen, body ? body : "");
}

static void dialog_to(client_t *c, char *to, size_t len)
{
	snprintf(to, len, "<sip:pchat@%s>;tag=%s", opt.domain, c->totag);
}

static void send_info(client_t *c, const char *body)
{
	char to[160];
	dialog_to(c, to, sizeof(to));
	send_request(c, "INFO", c->target, to, ++c->cseq, NULL, "text/plain", body);
}

static void send_command(client_t *c, const char *name, const char *data)
{
	char body[12288];
	snprintf(body, sizeof(body),
			"<xccos ver=\"1\" envid=\"%u\" xmlns=\"urn:parlano:xml:ns:xccos\">"
			"<cmd id=\"cmd:%s\" seqid=\"1\"><data>%s</data></cmd></xccos>",
			++c->envid, name, data);
	send_info(c, body);
}

static void send_join(client_t *c)
{
	char data[10240];
	size_t off = 0;
	int i;
	data[0] = 0;
	for(i = 0; i < c->nrooms; i++)
		off += (size_t)snprintf(data + off, sizeof(data) - off,
				"<chanid key=\"%d\" domain=\"%s\" value=\"%s\"/>", i, opt.domain,
				rooms[c->rooms[i]].id);
	c->t_cmd = now_ns();
	c->cmd_kind = 1;
	send_command(c, "bjoin", data);
}

static void send_history(client_t *c)
{
	char data[512];
	if(opt.search) {
		snprintf(data, sizeof(data),
				"<qib qtype=\"BYNAME\" criteria=\"%s\" extended=\"false\"/>",
				opt.search);
		c->t_cmd = now_ns();
		c->cmd_kind = 2;
		send_command(c, "chansrch", data);
		return;
	}
	snprintf(data, sizeof(data),
			"<chanib uri=\"ma-chan://%s/%s\"/><bcq><last cnt=\"%d\"/></bcq>",
			opt.domain, rooms[c->rooms[0]].id, opt.history_cnt);
	c->t_cmd = now_ns();
	c->cmd_kind = 2;
	send_command(c, "bccontext", data);
}

static void send_invite(client_t *c)
{
	char ruri[128], to[160], extra[512];
	int n;
	snprintf(ruri, sizeof(ruri), "sip:pchat@%s", opt.domain);
	snprintf(to, sizeof(to), "<%s>", ruri);
	snprintf(c->target, sizeof(c->target), "%s", ruri);
	n = snprintf(extra, sizeof(extra),
			"Supported: ms-sender\r\nContact: "
			"<sip:%s@127.0.0.1:%d;transport=tcp>\r\n",
			c->user, c->lport);
	if(c->carrier) /* what a front-end adds (cfg/pchat-frontend.cfg) */
		snprintf(extra + n, sizeof(extra) - (size_t)n,
				"P-Asserted-Identity: <sip:%s@%s>\r\n"
				"Record-Route: <sip:127.0.0.1:%d;transport=tcp;lr>\r\n",
				c->user, opt.domain, c->lport);
	c->cseq = 1;
	c->t_cmd = now_ns();
	c->state = C_INVITING;
	send_request(c, "INVITE", ruri, to, 1, extra, "application/sdp", sdp_fmt);
}

/* the value of header NAME (long form, or compact form SHORT) in hdrs */
static int get_hdr(const char *msg, size_t hlen, const char *name, char sname,
		const char **val, size_t *vlen)
{
	const char *p = msg, *end = msg + hlen, *eol, *colon;
	size_t nl = strlen(name);
	p = memchr(p, '\n', (size_t)(end - p));
	while(p && ++p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if(!eol)
			eol = end;
		colon = memchr(p, ':', (size_t)(eol - p));
		if(colon) {
			const char *ne = colon;
			while(ne > p && (ne[-1] == ' ' || ne[-1] == '\t'))
				ne--;
			if(((size_t)(ne - p) == nl && strncasecmp(p, name, nl) == 0)
					|| (sname && ne - p == 1 && tolower((unsigned char)*p) == sname)) {
				const char *v = colon + 1, *ve = eol;
				while(v < ve && (*v == ' ' || *v == '\t'))
					v++;
				while(ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
					ve--;
				*val = v;
				*vlen = (size_t)(ve - v);
				return 0;
			}
		}
		p = eol;
	}
	return -1;
}

/* answer a server request with CODE, echoing Via(s), From, To, Call-ID, CSeq */
static void answer(client_t *c, const char *msg, size_t hlen, int code)
{
	char buf[8192];
	size_t off;
	const char *p = msg, *end = msg + hlen, *eol;
	off = (size_t)snprintf(buf, sizeof(buf), "SIP/2.0 %d %s\r\n", code,
			code == 200 ? "OK" : "Error");
	p = memchr(p, '\n', (size_t)(end - p));
	while(p && ++p < end) {
		size_t l;
		eol = memchr(p, '\n', (size_t)(end - p));
		if(!eol)
			eol = end;
		l = (size_t)(eol - p);
		if((l > 4 && (!strncasecmp(p, "Via:", 4) || !strncasecmp(p, "v:", 2)))
				|| !strncasecmp(p, "From:", 5) || !strncasecmp(p, "To:", 3)
				|| !strncasecmp(p, "Call-ID:", 8) || !strncasecmp(p, "CSeq:", 5)
				|| !strncasecmp(p, "f:", 2) || !strncasecmp(p, "t:", 2)
				|| !strncasecmp(p, "i:", 2)) {
			if(off + l + 2 < sizeof(buf)) {
				memcpy(buf + off, p, l);
				off += l;
				if(l == 0 || p[l - 1] != '\r')
					buf[off++] = '\r';
				buf[off++] = '\n';
			}
		}
		p = eol;
	}
	off += (size_t)snprintf(buf + off, sizeof(buf) - off,
			"Content-Length: 0\r\n\r\n");
	out_append(c, buf, off);
	if(!c->want_out)
		flush_out(c);
}

static void ready(client_t *c)
{
	c->state = C_READY;
	c->t_cmd = 0;
}

static void send_invite(client_t *c);

static void join_done(client_t *c, int ok)
{
	int64_t now = now_ns();
	int i;
	if(ok) {
		st.joins_ok++;
		hist_add(&h_join, now - c->t_cmd);
		for(i = 0; i < c->nrooms; i++)
			rooms[c->rooms[i]].members++;
	} else
		st.join_fail++;
	if(ok && c->dlg_no + 1 < opt.dialogs) {
		/* the next dialog over the same connection: a front-end carries
		 * many users' sessions to a chat node this way */
		c->dlg_no++;
		snprintf(c->callid, sizeof(c->callid), "%s-%d-%d-%d@bench", run_tag,
				c->idx, c->lport, c->dlg_no);
		snprintf(c->ftag, sizeof(c->ftag), "%s%dd%d", run_tag, c->idx,
				c->dlg_no);
		c->totag[0] = 0;
		c->t_start = now;
		send_invite(c);
		return;
	}
	ready(c);
}

/* The unsigned number at *p (digits only, before end), *p after it; -1
 * none. No sscanf on the read buffer: glibc's measures the whole rest of
 * it (strlen) on every call, 16,000 times a post in a big room. */
static int parse_num(const char **p, const char *end, unsigned long long *v)
{
	const char *q = *p;

	*v = 0;
	while(q < end && *q >= '0' && *q <= '9')
		*v = *v * 10 + (unsigned long long)(*q++ - '0');
	if(q == *p)
		return -1;
	*p = q;
	return 0;
}

/* "pbt=<t>;p=<poster>;s=<seq>" at p */
static int parse_pbt(const char *p, const char *end, unsigned long long *t,
		int *poster, unsigned int *seq)
{
	unsigned long long a, b;

	p += 4;
	if(parse_num(&p, end, t) < 0 || end - p < 3 || memcmp(p, ";p=", 3))
		return -1;
	p += 3;
	if(parse_num(&p, end, &a) < 0 || end - p < 3 || memcmp(p, ";s=", 3))
		return -1;
	p += 3;
	if(parse_num(&p, end, &b) < 0 || a > 1000000000ULL || b > 0xffffffffULL)
		return -1;
	*poster = (int)a;
	*seq = (unsigned int)b;
	return 0;
}

/* The member index of a Request-URI user "p<port>m<idx>" at p (the port
 * not checked); -1 none. */
static int parse_pm(const char *p, const char *end)
{
	unsigned long long port, idx;

	if(p >= end || *p++ != 'p' || parse_num(&p, end, &port) < 0)
		return -1;
	if(p >= end || *p++ != 'm' || parse_num(&p, end, &idx) < 0)
		return -1;
	return port < 65536 && idx < 0x7fffffff ? (int)idx : -1;
}

/* a post (grpchat text or MESSAGE body) arrived at client c */
static void delivery(client_t *c, const char *body, size_t blen)
{
	const char *p = memmem(body, blen, "pbt=", 4);
	unsigned long long t;
	int poster;
	unsigned int seq;
	int64_t now = now_ns();
	if(!p) {
		st.foreign_infos++;
		return;
	}
	if(parse_pbt(p, body + blen, &t, &poster, &seq) < 0 || poster < 0
			|| poster >= opt.posters) {
		st.parse_errors++;
		return;
	}
	st.deliveries++;
	if(!c->lastseq) {
		c->lastseq = xcalloc((size_t)opt.posters, sizeof(uint32_t));
		c->seqmask = xcalloc((size_t)opt.posters, sizeof(uint64_t));
	}
	/* highest sequence seen per poster plus a bitmap of the 64 before it:
	 * a copy seen twice is a duplicate, one arriving late is reordered */
	if(seq > c->lastseq[poster]) {
		uint32_t shift = seq - c->lastseq[poster];
		c->seqmask[poster] = shift >= 64 ? 0 : c->seqmask[poster] << shift;
		c->seqmask[poster] |= 1; /* bit 0: lastseq itself */
		c->lastseq[poster] = seq;
	} else {
		uint32_t back = c->lastseq[poster] - seq;
		if(back < 64 && (c->seqmask[poster] & (1ULL << back)))
			st.dups++;
		else {
			st.reordered++;
			if(back < 64)
				c->seqmask[poster] |= 1ULL << back;
		}
	}
	if(phase == P_MEASURE)
		st.deliveries_meas++;
	if((int64_t)t >= t_meas_start && t_meas_start && (int64_t)t < t_meas_end) {
		hist_add(&h_deliv, now - (int64_t)t);
		if(rx_kernel_ns)
			hist_add(&h_deliv_k, rx_kernel_ns - (int64_t)t);
	}
}

/* The oldest post still waiting for its answer (TCP keeps the order of the
 * answers on one connection): its room; the post->200 time goes to h_ack. */
static int post_answered(client_t *c, int64_t now)
{
	int i;

	if(c->pend_head == c->pend_tail)
		return c->rooms[0];
	i = c->pend_head++ % 64;
	if(phase == P_MEASURE) {
		hist_add(&h_ack, now - c->pend_t[i]);
		if(rx_kernel_ns)
			hist_add(&h_ack_k, rx_kernel_ns - c->pend_t[i]);
	}
	return c->pend_room[i];
}

static void on_response(client_t *c, const char *msg, size_t hlen, int code)
{
	const char *v;
	size_t vl;
	unsigned int cseq = 0;
	char method[16] = "";
	int64_t now = now_ns();
	if(code < 200)
		return;
	if(get_hdr(msg, hlen, "CSeq", 0, &v, &vl) == 0)
		sscanf(v, "%u %15s", &cseq, method);
	if(!strcmp(method, "INVITE")) {
		if(code >= 300) {
			client_fail(c, "INVITE rejected");
			return;
		}
		if(c->state != C_INVITING) {
			/* a 2xx retransmission (RFC 3261 13.3.1.4): ACK it again */
			char to[160];
			st.invite_retrans++;
			dialog_to(c, to, sizeof(to));
			send_request(c, "ACK", c->target, to, 1, NULL, NULL, NULL);
			return;
		}
		if(get_hdr(msg, hlen, "To", 't', &v, &vl) == 0) {
			const char *tg = memmem(v, vl, "tag=", 4);
			if(tg) {
				size_t l = vl - (size_t)(tg + 4 - v);
				const char *semi = memchr(tg + 4, ';', l);
				if(semi)
					l = (size_t)(semi - tg - 4);
				if(l >= sizeof(c->totag))
					l = sizeof(c->totag) - 1;
				memcpy(c->totag, tg + 4, l);
				c->totag[l] = 0;
			}
		}
		if(get_hdr(msg, hlen, "Contact", 'm', &v, &vl) == 0) {
			const char *lt = memchr(v, '<', vl), *gt;
			if(lt && (gt = memchr(lt, '>', vl - (size_t)(lt - v)))
					&& (size_t)(gt - lt - 1) < sizeof(c->target)) {
				memcpy(c->target, lt + 1, (size_t)(gt - lt - 1));
				c->target[gt - lt - 1] = 0;
			}
		}
		{
			char to[160];
			dialog_to(c, to, sizeof(to));
			send_request(c, "ACK", c->target, to, 1, NULL, NULL, NULL);
		}
		st.sessions_ok++;
		hist_add(&h_session, now - c->t_start);
		c->state = C_JOINING;
		send_join(c);
		return;
	}
	if(!strcmp(method, "INFO") && opt.mode == M_STATELESS) {
		c->outstanding--;
		if(code == 200) {
			st.req_ok++;
			if(phase == P_MEASURE)
				st.req_meas++;
		} else
			st.req_err++;
		return;
	}
	if(!strcmp(method, "MESSAGE") && opt.mode == M_IMC) {
		if(c->state == C_JOINING) {
			if(code == 200)
				join_done(c, 1);
			else
				join_done(c, 0);
			return;
		}
		c->posts_pending--;
		if(code == 200) {
			st.posts_ok++;
			st.expected += (uint64_t)(rooms[post_answered(c, now)].members - 1);
			if(phase == P_MEASURE)
				st.posts_meas_ok++;
		} else {
			post_answered(c, now);
			st.posts_err++;
		}
		return;
	}
	if(!strcmp(method, "INFO")) {
		if(c->cmd_kind && c->t_cmd && cseq == c->cseq && code != 200) {
			/* command refused at SIP level */
			if(c->cmd_kind == 1)
				join_done(c, 0);
			else
				st.hist_err++;
			c->cmd_kind = 0;
			c->t_cmd = 0;
			return;
		}
		if(c->cmd_kind)
			return; /* 200 to a command: the rpl follows */
		c->posts_pending--;
		if(code == 200) {
			st.posts_ok++;
			st.expected += (uint64_t)rooms[post_answered(c, now)].members;
			if(phase == P_MEASURE)
				st.posts_meas_ok++;
		} else {
			post_answered(c, now);
			st.posts_err++;
			if(getenv("PCHAT_BENCH_DEBUG"))
				fprintf(stderr, "post answered %d\n", code);
		}
	}
}

static void on_request(client_t *c, const char *msg, size_t hlen,
		const char *body, size_t blen)
{
	int64_t now;
	if(!strncmp(msg, "BYE ", 4)) {
		answer(c, msg, hlen, 200);
		st.byes++;
		client_fail(c, "BYE from server");
		return;
	}
	if(!strncmp(msg, "MESSAGE ", 8)) {
		answer(c, msg, hlen, 200);
		delivery(c, body, blen);
		return;
	}
	if(strncmp(msg, "INFO ", 5)) {
		answer(c, msg, hlen, 501);
		st.other_errors++;
		return;
	}
	answer(c, msg, hlen, 200);
	st.server_infos++;
	if(memmem(body, blen, "<grpchat", 8)) {
		const char *ch = memmem(body, blen, "<chat>", 6);
		if(ch)
			delivery(c, ch, blen - (size_t)(ch - body));
		else
			st.parse_errors++;
		return;
	}
	if(memmem(body, blen, "<rpl", 4)) {
		const char *code = memmem(body, blen, "<resp code=\"", 12);
		int ok = code && !strncmp(code + 12, "200", 3);
		now = now_ns();
		if(c->cmd_kind == 1 && memmem(body, blen, "rpl:bjoin", 9)) {
			c->cmd_kind = 0;
			join_done(c, ok);
			if(opt.scen == S_HISTORY && phase != P_SETUP && c->idx < opt.posters)
				send_history(c);
			return;
		}
		if(c->cmd_kind == 2
				&& (memmem(body, blen, "rpl:bccontext", 13)
						|| memmem(body, blen, "rpl:chansrch", 12))) {
			c->cmd_kind = 0;
			if(ok) {
				st.hist_ok++;
				if(phase == P_MEASURE) {
					st.hist_meas++;
					hist_add(&h_history, now - c->t_cmd);
				}
			} else
				st.hist_err++;
			c->t_cmd = 0;
			if(phase == P_WARMUP || phase == P_MEASURE)
				send_history(c);
			return;
		}
	}
	st.foreign_infos++;
}

/* ---- --mux-conns: members' dialogs over a few connections ---- */

/* The member a message read on carrier k is for: a request names it in
 * its Request-URI (p<port>m<idx>: our Contact, or imc's member URI), a
 * response in its Call-ID (<tag>-<idx>-...). NULL: no live member of k. */
static client_t *mux_member(client_t *k, const char *m, size_t hlen)
{
	const char *v, *u;
	size_t vl;
	int idx = -1;

	if(strncmp(m, "SIP/2.0 ", 8)) {
		u = memchr(m, ':', hlen);
		if(u)
			idx = parse_pm(u + 1, m + hlen);
	} else if(get_hdr(m, hlen, "Call-ID", 'i', &v, &vl) == 0) {
		u = memchr(v, '-', vl);
		if(u)
			idx = atoi(u + 1);
	}
	if(idx < 0 || idx >= opt.nclients || cl[idx].carrier != k
			|| cl[idx].fd < 0)
		return NULL;
	return &cl[idx];
}

/* the carrier's connection ended: so did every dialog over it */
static void mux_carrier_lost(client_t *k)
{
	int i;

	for(i = 0; i < opt.nclients; i++)
		if(cl[i].carrier == k && cl[i].fd >= 0)
			client_fail(&cl[i], "front-end connection lost");
}

static int port_of(int i)
{
	return opt.nports ? opt.ports[i % opt.nports] : opt.port;
}

/* The carriers, cl[nclients ..], connected before any member starts
 * (blocking connects on loopback); member i rides carrier i % N. */
static void mux_connect(void)
{
	struct sockaddr_in sa;
	struct epoll_event ev;
	socklen_t sl = sizeof(sa);
	int j, one = 1;

	for(j = 0; j < opt.mux; j++) {
		client_t *k = &cl[opt.nclients + j];
		k->idx = opt.nclients + j;
		k->fd = socket(AF_INET, SOCK_STREAM, 0);
		if(k->fd < 0)
			die("socket: %s", strerror(errno));
		setsockopt(k->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		rx_stamp_on(k->fd);
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons((uint16_t)port_of(j));
		inet_pton(AF_INET, opt.host, &sa.sin_addr);
		if(connect(k->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			die("connect to port %d: %s", port_of(j), strerror(errno));
		fcntl(k->fd, F_SETFL, fcntl(k->fd, F_GETFL) | O_NONBLOCK);
		getsockname(k->fd, (struct sockaddr *)&sa, &sl);
		k->lport = ntohs(sa.sin_port);
		k->state = C_READY;
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)k->idx;
		if(epoll_ctl(epfd, EPOLL_CTL_ADD, k->fd, &ev) < 0)
			die("epoll_ctl add: %s", strerror(errno));
	}
	for(j = 0; j < opt.nclients; j++)
		cl[j].carrier = &cl[opt.nclients + j % opt.mux];
}

static void client_begin(client_t *c);

/* a member "connects": it takes its carrier's connection */
static void mux_start(client_t *c)
{
	client_t *k = c->carrier;

	c->t_start = now_ns();
	c->state = C_CONNECTING;
	if(k->fd < 0) {
		client_fail(c, "front-end connection lost");
		return;
	}
	c->fd = k->fd;
	c->lport = k->lport;
	client_begin(c);
}

/* frames complete SIP messages out of c->rbuf (on a carrier: each goes to
 * its member; one for no member is refused with 481) */
static void parse_input(client_t *c)
{
	size_t off = 0;
	while(c->fd >= 0 && off < c->rlen) {
		char *m = c->rbuf + off;
		size_t avail = c->rlen - off, hlen, cl = 0, total;
		client_t *t;
		char *eoh;
		const char *v;
		size_t vl;
		/* keepalive CRLFs */
		if(m[0] == '\r' || m[0] == '\n') {
			off++;
			continue;
		}
		eoh = memmem(m, avail, "\r\n\r\n", 4);
		if(!eoh)
			break;
		hlen = (size_t)(eoh - m) + 2;
		if(get_hdr(m, hlen, "Content-Length", 'l', &v, &vl) == 0)
			cl = strtoul(v, NULL, 10);
		total = hlen + 2 + cl;
		if(total > avail)
			break;
		t = c->idx >= opt.nclients ? mux_member(c, m, hlen) : c;
		if(!t) {
			st.other_errors++;
			if(strncmp(m, "SIP/2.0 ", 8) && strncmp(m, "ACK ", 4))
				answer(c, m, hlen, 481);
		} else if(!strncmp(m, "SIP/2.0 ", 8))
			on_response(t, m, hlen, atoi(m + 8));
		else
			on_request(t, m, hlen, m + hlen + 2, cl);
		off += total;
	}
	if(off) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
}

static void on_readable(client_t *c)
{
	for(;;) {
		ssize_t n;
		if(c->rcap - c->rlen < 16384) {
			c->rcap = c->rcap ? c->rcap * 2 : 65536;
			c->rbuf = realloc(c->rbuf, c->rcap);
			if(!c->rbuf)
				die("out of memory");
		}
		n = read_stamped(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
		if(n > 0) {
			c->rlen += (size_t)n;
			parse_input(c);
			if(c->fd < 0)
				return;
			continue;
		}
		if(n == 0) {
			client_fail(c, "connection closed by server");
			return;
		}
		if(errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if(errno == EINTR)
			continue;
		client_fail(c, "read error");
		return;
	}
}

static void start_client(client_t *c)
{
	struct sockaddr_in sa;
	struct epoll_event ev;
	int one = 1;
	if(c->carrier) {
		mux_start(c);
		return;
	}
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if(c->fd < 0) {
		st.session_fail++;
		c->state = C_FAILED;
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	rx_stamp_on(c->fd);
	if(opt.src_addrs > 1) {
		/* one address gives about 28,000 ephemeral ports towards one
		 * server port: spread the clients over 127.0.0.2, .3, ... */
		struct sockaddr_in la;
		memset(&la, 0, sizeof(la));
		la.sin_family = AF_INET;
		la.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)(c->idx % opt.src_addrs));
		if(bind(c->fd, (struct sockaddr *)&la, sizeof(la)) < 0) {
			client_fail(c, "bind");
			return;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port_of(c->idx));
	inet_pton(AF_INET, opt.host, &sa.sin_addr);
	c->t_start = now_ns();
	c->state = C_CONNECTING;
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.u32 = (uint32_t)c->idx;
	c->want_out = 1;
	if(epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		die("epoll_ctl add: %s", strerror(errno));
	if(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0
			&& errno != EINPROGRESS) {
		client_fail(c, "connect");
		return;
	}
}

static void on_connected(client_t *c)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int err = 0;
	socklen_t el = sizeof(err);
	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
	if(err) {
		client_fail(c, "connect failed");
		return;
	}
	getsockname(c->fd, (struct sockaddr *)&sa, &sl);
	c->lport = ntohs(sa.sin_port);
	epoll_set(c, 0);
	client_begin(c);
}

/* A connected client's (or a multiplexed member's) first request */
static void client_begin(client_t *c)
{
	snprintf(c->callid, sizeof(c->callid), "%s-%d-%d@bench", run_tag, c->idx,
			c->lport);
	snprintf(c->ftag, sizeof(c->ftag), "%s%d", run_tag, c->idx);
	if(c->carrier)
		snprintf(c->user, sizeof(c->user), "p%dm%d", c->lport, c->idx);
	else
		snprintf(c->user, sizeof(c->user), "p%d", c->lport);
	if(opt.mode == M_PCHAT) {
		send_invite(c);
	} else if(opt.mode == M_IMC) {
		char ruri[160], to[170];
		snprintf(ruri, sizeof(ruri), "sip:%s@%s.%s", rooms[c->rooms[0]].id,
				opt.room_host,
				opt.domain);
		snprintf(to, sizeof(to), "<%s>", ruri);
		c->state = C_JOINING;
		c->t_cmd = now_ns();
		c->cmd_kind = 1;
		st.sessions_ok++;
		hist_add(&h_session, c->t_cmd - c->t_start);
		send_request(c, "MESSAGE", ruri, to, ++c->cseq, NULL, "text/plain",
				"#join");
	} else {
		st.sessions_ok++;
		hist_add(&h_session, now_ns() - c->t_start);
		ready(c);
	}
}

/* ---- posting ---- */

static void post_one(client_t *c)
{
	char body[1024], text[128];
	int r;
	uint32_t seq = ++c->post_seq;
	int64_t now = now_ns();
	c->post_rr = (c->post_rr + 1) % c->nrooms;
	r = c->rooms[c->post_rr];
	snprintf(text, sizeof(text), "pbt=%lld;p=%d;s=%u", (long long)now, c->idx,
			seq);
	st.posts_sent++;
	if(phase == P_MEASURE)
		st.posts_sent_meas++;
	c->posts_pending++;
	c->pend_t[c->pend_tail % 64] = now;
	c->pend_room[c->pend_tail++ % 64] = r;
	if(opt.mode == M_IMC) {
		char ruri[160], to[170];
		c->post_rr = 0;
		snprintf(ruri, sizeof(ruri), "sip:%s@%s.%s", rooms[r].id, opt.room_host,
				opt.domain);
		snprintf(to, sizeof(to), "<%s>", ruri);
		send_request(c, "MESSAGE", ruri, to, ++c->cseq, NULL, "text/plain", text);
		return;
	}
	snprintf(body, sizeof(body),
			"<xccos ver=\"1\" envid=\"%u\" xmlns=\"urn:parlano:xml:ns:xccos\">"
			"<grpchat id=\"grpchat\" seqid=\"1\" "
			"chanUri=\"ma-chan://%s/%s\" author=\"sip:%s@%s\" "
			"ts=\"2026-01-01T00:00:00Z\"><chat>%s</chat></grpchat></xccos>",
			++c->envid, opt.domain, rooms[r].id, c->user, opt.domain, text);
	send_info(c, body);
}

static void stateless_send(client_t *c)
{
	char ruri[128], to[140];
	snprintf(ruri, sizeof(ruri), "sip:bench@%s", opt.domain);
	snprintf(to, sizeof(to), "<%s>", ruri);
	c->outstanding++;
	send_request(c, "INFO", ruri, to, ++c->cseq, NULL, "text/plain", "ping");
}

static void stateless_fill(client_t *c)
{
	if(opt.burst)
		return; /* paced by stateless_tick */
	while(c->outstanding < opt.window && c->fd >= 0)
		stateless_send(c);
}

/* ---- main ---- */

static void load_rooms(void)
{
	FILE *f;
	char line[256];
	int cap = 64;
	if(!opt.room_file) {
		nrooms = 1;
		rooms = xcalloc(1, sizeof(room_t));
		snprintf(rooms[0].id, sizeof(rooms[0].id), "room0");
		rooms[0].size = opt.nclients;
		return;
	}
	f = fopen(opt.room_file, "r");
	if(!f)
		die("%s: %s", opt.room_file, strerror(errno));
	rooms = xcalloc((size_t)cap, sizeof(room_t));
	while(fgets(line, sizeof(line), f)) {
		char id[80];
		int size = 0;
		if(sscanf(line, "%79s %d", id, &size) < 1)
			continue;
		if(nrooms == cap) {
			cap *= 2;
			rooms = realloc(rooms, (size_t)cap * sizeof(room_t));
			if(!rooms)
				die("out of memory");
		}
		memset(&rooms[nrooms], 0, sizeof(room_t));
		snprintf(rooms[nrooms].id, sizeof(rooms[nrooms].id), "%s", id);
		rooms[nrooms].size = size > 0 ? size : opt.nclients;
		nrooms++;
	}
	fclose(f);
	if(!nrooms)
		die("no rooms in %s", opt.room_file);
}

/* membership slots: room r repeated size(r) times; client i takes slots
 * i, i+N, i+2N, ... (k of them): every room gets its size in members and
 * no client lands twice in a room smaller than N */
static void assign_rooms(void)
{
	int64_t total = 0, s, i;
	int r, j, *slots;
	for(r = 0; r < nrooms; r++)
		total += rooms[r].size;
	slots = xcalloc((size_t)total, sizeof(int));
	s = 0;
	for(r = 0; r < nrooms; r++)
		for(j = 0; j < rooms[r].size; j++)
			slots[s++] = r;
	for(i = 0; i < opt.nclients; i++) {
		client_t *c = &cl[i];
		c->rooms = xcalloc((size_t)opt.rooms_per_client, sizeof(int));
		for(j = 0; j < opt.rooms_per_client; j++) {
			int64_t sl = i + (int64_t)j * opt.nclients;
			if(sl >= total)
				break;
			c->rooms[c->nrooms++] = slots[sl];
		}
		if(!c->nrooms)
			c->rooms[c->nrooms++] = (int)(i % nrooms);
	}
	free(slots);
}

static void raise_nofile(void)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)opt.nclients + 64;
	getrlimit(RLIMIT_NOFILE, &rl);
	st.rlimit_from = rl.rlim_cur;
	if(rl.rlim_cur < want) {
		if(rl.rlim_max < want) {
			rl.rlim_max = want;
		}
		rl.rlim_cur = want;
		if(setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			getrlimit(RLIMIT_NOFILE, &rl);
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	st.rlimit_to = rl.rlim_cur;
	if(!opt.json)
		fprintf(stderr, "pchat-bench: RLIMIT_NOFILE %llu -> %llu\n",
				(unsigned long long)st.rlimit_from,
				(unsigned long long)st.rlimit_to);
	if(st.rlimit_to < want)
		fprintf(stderr, "pchat-bench: warning: only %llu descriptors for %d "
						"clients\n",
				(unsigned long long)st.rlimit_to, opt.nclients);
}

static void usage(void)
{
	fprintf(stderr,
			"usage: pchat-bench [--host H] [--port P] [--clients N]\n"
			"  [--rooms FILE (lines: ID [SIZE])] [--room-size S] "
			"[--rooms-per-client K]\n"
			"  [--posters P] [--rate POSTS/S] [--duration S] [--warmup S]\n"
			"  [--scenario post|sessions|history] [--mode "
			"pchat|stateless|imc]\n"
			"  [--window W] [--concurrency C] [--timeout S] [--domain D]\n"
			"  [--server-pid PID] [--ctl PATH] [--src-addrs N] [--json]\n"
			"  [--dialogs-per-conn K] [--signin-rate R] [--search TEXT]\n"
			"  [--room-host H (imc mode; chat, or tmfan for the tm ceiling)]\n"
			"  [--ports P1,P2,.. (client i to P(i mod n): a pool's nodes)]\n"
			"  [--mux-conns N (members' dialogs over N connections, as a\n"
			"   front-end: P-Asserted-Identity and Record-Route)]\n"
			"  [--burst B (stateless: --rate bursts a second of B requests\n"
			"   over the clients, the shape of a fan-out, instead of --window)]\n"
			"--server-pid and --ctl take comma lists: CPU and pool copies are\n"
			"summed over the instances (shm: the first).\n"
			"Over 20,000 clients are spread over 127.0.0.2.. (--src-addrs).\n"
			"--dialogs-per-conn: each connection signs in K chat dialogs one\n"
			"after the other (sessions scenario; a front-end's view).\n");
	exit(2);
}

/* ---- options ---- */

/* "a,b,c" into out (at most max); returns how many */
static int int_list(const char *arg, int *out, int max)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	int n = 0;

	for(tok = strtok_r(copy, ",", &save); tok && n < max;
			tok = strtok_r(NULL, ",", &save))
		out[n++] = atoi(tok);
	free(copy);
	return n;
}

static int str_list(const char *arg, const char **out, int max)
{
	char *copy = strdup(arg), *tok, *save = NULL; /* kept: out points in */
	int n = 0;

	for(tok = strtok_r(copy, ",", &save); tok && n < max;
			tok = strtok_r(NULL, ",", &save))
		out[n++] = tok;
	return n;
}

/* Fills opt from the command line; returns --room-size (0: from the file). */
static int parse_options(int argc, char **argv)
{
	static struct option lo[] = {{"host", 1, 0, 'h'}, {"port", 1, 0, 'p'},
			{"clients", 1, 0, 'c'}, {"rooms", 1, 0, 'R'},
			{"room-size", 1, 0, 'S'}, {"rooms-per-client", 1, 0, 'k'},
			{"posters", 1, 0, 'P'}, {"rate", 1, 0, 'r'},
			{"duration", 1, 0, 'd'}, {"warmup", 1, 0, 'w'},
			{"scenario", 1, 0, 's'}, {"mode", 1, 0, 'm'},
			{"window", 1, 0, 'W'}, {"concurrency", 1, 0, 'C'},
			{"timeout", 1, 0, 't'}, {"domain", 1, 0, 'D'},
			{"server-pid", 1, 0, 'x'}, {"ctl", 1, 0, 'X'}, {"json", 0, 0, 'j'},
			{"drain", 1, 0, 'n'}, {"setup-timeout", 1, 0, 'T'},
			{"history-cnt", 1, 0, 'H'}, {"src-addrs", 1, 0, 'A'},
			{"dialogs-per-conn", 1, 0, 'K'}, {"signin-rate", 1, 0, 'G'},
			{"search", 1, 0, 'Q'}, {"room-host", 1, 0, 'O'},
			{"ports", 1, 0, 'o'}, {"mux-conns", 1, 0, 'M'},
			{"burst", 1, 0, 'B'}, {0, 0, 0, 0}};
	int o, room_size = 0;

	while((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch(o) {
			case 'h': opt.host = optarg; break;
			case 'p': opt.port = atoi(optarg); break;
			case 'c': opt.nclients = atoi(optarg); break;
			case 'R': opt.room_file = optarg; break;
			case 'S': room_size = atoi(optarg); break;
			case 'k': opt.rooms_per_client = atoi(optarg); break;
			case 'P': opt.posters = atoi(optarg); break;
			case 'r': opt.rate = atof(optarg); break;
			case 'd': opt.duration = atof(optarg); break;
			case 'w': opt.warmup = atof(optarg); break;
			case 'n': opt.drain = atof(optarg); break;
			case 'T': opt.setup_timeout = atof(optarg); break;
			case 'W': opt.window = atoi(optarg); break;
			case 'C': opt.concurrency = atoi(optarg); break;
			case 't': opt.timeout = atof(optarg); break;
			case 'D': opt.domain = optarg; break;
			case 'x':
				opt.npids = int_list(optarg, opt.pids, 16);
				opt.server_pid = opt.pids[0];
				break;
			case 'X':
				opt.nctls = str_list(optarg, opt.ctls, 16);
				opt.ctl = opt.ctls[0];
				break;
			case 'o': opt.nports = int_list(optarg, opt.ports, 16); break;
			case 'M': opt.mux = atoi(optarg) > 0 ? atoi(optarg) : 0; break;
			case 'B': opt.burst = atoi(optarg) > 0 ? atoi(optarg) : 0; break;
			case 'j': opt.json = 1; break;
			case 'H': opt.history_cnt = atoi(optarg); break;
			case 'A': opt.src_addrs = atoi(optarg); break;
			case 'K': opt.dialogs = atoi(optarg) > 0 ? atoi(optarg) : 1; break;
			case 'G': opt.signin_rate = atof(optarg); break;
			case 'Q': opt.search = optarg; break;
			case 'O': opt.room_host = optarg; break;
			case 's':
				opt.scen_name = optarg;
				if(!strcmp(optarg, "sessions"))
					opt.scen = S_SESSIONS;
				else if(!strcmp(optarg, "history"))
					opt.scen = S_HISTORY;
				else
					opt.scen = S_POST; /* fanout, lync-model, post */
				break;
			case 'm':
				if(!strcmp(optarg, "stateless"))
					opt.mode = M_STATELESS;
				else if(!strcmp(optarg, "imc"))
					opt.mode = M_IMC;
				else if(!strcmp(optarg, "pchat"))
					opt.mode = M_PCHAT;
				else
					usage();
				break;
			default: usage();
		}
	}
	if(opt.nclients < 1 || opt.posters < 0 || opt.posters > opt.nclients)
		usage();
	if(opt.src_addrs == 0)
		opt.src_addrs = opt.nclients > 20000 ? (opt.nclients + 19999) / 20000 : 1;
	if(opt.mode == M_STATELESS && opt.scen_name && !strcmp(opt.scen_name, "post"))
		opt.scen_name = "stateless";
	return room_size;
}

/* Rooms, clients, histograms and the epoll set, before the first client. */
static void setup_run(int room_size)
{
	int i;

	snprintf(run_tag, sizeof(run_tag), "%x", (unsigned)(time(NULL) ^ getpid()));
	raise_nofile();
	load_rooms();
	if(room_size > 0)
		for(i = 0; i < nrooms; i++)
			rooms[i].size = room_size;
	cl = xcalloc((size_t)(opt.nclients + opt.mux), sizeof(client_t));
	for(i = 0; i < opt.nclients + opt.mux; i++) {
		cl[i].fd = -1;
		cl[i].idx = i;
	}
	assign_rooms();
	hist_init(&h_session);
	hist_init(&h_join);
	hist_init(&h_deliv);
	hist_init(&h_ack);
	hist_init(&h_ack_k);
	hist_init(&h_deliv_k);
	hist_init(&h_history);
	hist_init(&h_req);
	epfd = epoll_create1(0);
	if(epfd < 0)
		die("epoll_create1: %s", strerror(errno));
	if(opt.mux)
		mux_connect();
}

/* ---- scenarios: what the ready clients do once the setup is over ----
 * Each has a start (once per ready client, when the setup ends) and a tick
 * (every loop turn of the warm-up and the measured window). */

typedef struct workload {
	void (*start)(client_t *c);
	void (*tick)(int64_t elapsed_ns); /* since the last tick */
} workload_t;

/* post (fanout, lync-model): posters post at --rate, round robin, at most
 * 64 posts unanswered each. */
static void post_tick(int64_t elapsed_ns)
{
	static double post_credit = 0;
	static int poster_rr = 0;

	if(opt.posters <= 0)
		return;
	post_credit += opt.rate * (double)elapsed_ns / 1e9;
	while(post_credit >= 1) {
		int tries = 0;
		client_t *c;
		do {
			c = &cl[poster_rr];
			poster_rr = (poster_rr + 1) % opt.posters;
		} while((c->state != C_READY || c->posts_pending >= 64)
				&& ++tries < opt.posters);
		if(c->state != C_READY || c->posts_pending >= 64) {
			/* every poster has 64 posts unanswered */
			st.posts_throttled++;
			post_credit = 0;
			break;
		}
		post_one(c);
		post_credit -= 1;
	}
	if(post_credit > opt.rate)
		post_credit = opt.rate; /* do not burst after stalls */
}

/* history: the posters each keep one cmd:bccontext (or chansrch) in
 * flight; on_response sends the next. */
static void history_start(client_t *c)
{
	if(c->idx < opt.posters)
		send_history(c);
}

/* stateless --burst: --rate times a second, --burst requests at once spread
 * over the clients, as a post's copies reach a node's front-end connections;
 * a client with 64 bursts unanswered skips (counted as throttled). */
static void stateless_burst_tick(int64_t elapsed_ns)
{
	static double credit = 0;
	static int rr = 0;
	int i;

	credit += opt.rate * (double)elapsed_ns / 1e9;
	for(; credit >= 1; credit -= 1) {
		for(i = 0; i < opt.burst; i++) {
			client_t *c = &cl[rr];
			rr = (rr + 1) % opt.nclients;
			if(c->state != C_READY || c->outstanding >= 64 * opt.burst) {
				st.posts_throttled++;
				continue;
			}
			stateless_send(c);
		}
	}
	if(credit > opt.rate)
		credit = opt.rate; /* do not burst after stalls */
}

/* stateless mode (any scenario): --window requests in flight per client. */
static void stateless_tick(int64_t elapsed_ns)
{
	int i;

	if(opt.burst) {
		stateless_burst_tick(elapsed_ns);
		return;
	}
	for(i = 0; i < opt.nclients; i++)
		if(cl[i].state == C_READY && cl[i].outstanding < opt.window)
			stateless_fill(&cl[i]);
}

static workload_t workload_of(void)
{
	static const workload_t post = {NULL, post_tick};
	static const workload_t history = {history_start, NULL};
	static const workload_t stateless = {stateless_fill, stateless_tick};
	static const workload_t sessions = {NULL, NULL}; /* establish and hold */

	if(opt.mode == M_STATELESS)
		return stateless;
	switch(opt.scen) {
		case S_POST: return post;
		case S_HISTORY: return history;
		default: return sessions;
	}
}

/* ---- the run: setup, warm-up, measured window, drain ---- */

/* Starts more clients while fewer than --concurrency are in setup (and no
 * faster than --signin-rate). */
static void start_more_clients(int *started, int64_t now)
{
	int i, inflight = 0;

	for(i = 0; i < *started; i++)
		if(cl[i].state >= C_CONNECTING && cl[i].state <= C_JOINING)
			inflight++;
	while(*started < opt.nclients && inflight < opt.concurrency
			&& (opt.signin_rate <= 0
					|| *started < 1 + (double)(now - t0) / 1e9 * opt.signin_rate)) {
		start_client(&cl[(*started)++]);
		inflight++;
	}
}

static void poll_clients(void)
{
	struct epoll_event evs[512];
	int i, n;

	n = epoll_wait(epfd, evs, 512, 1);
	for(i = 0; i < n; i++) {
		client_t *c = &cl[evs[i].data.u32];
		if(c->fd < 0)
			continue;
		if(c->state == C_CONNECTING) {
			if(evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
				on_connected(c);
			continue;
		}
		if(evs[i].events & EPOLLOUT)
			flush_out(c);
		if(c->fd >= 0 && (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
			on_readable(c);
	}
}

/* Commands unanswered for --timeout: an INVITE fails its client, a join
 * leaves it ready with what it has, anything else is forgotten. */
static void check_timeouts(int started, int64_t now)
{
	int i;

	for(i = 0; i < started; i++) {
		client_t *c = &cl[i];
		if(c->fd >= 0 && c->t_cmd
				&& now - c->t_cmd > (int64_t)(opt.timeout * 1e9)) {
			st.timeouts++;
			if(c->state == C_INVITING) {
				client_fail(c, "INVITE timeout");
			} else if(c->cmd_kind == 1) {
				st.join_timeouts++;
				c->cmd_kind = 0;
				ready(c);
			} else {
				c->cmd_kind = 0;
				c->t_cmd = 0;
			}
		}
	}
}

/* Setup is over when every client is started and none is still connecting,
 * inviting or joining, or at --setup-timeout. */
static int setup_over(int started, int scan, int64_t now)
{
	int i, pending = started < opt.nclients || !scan;

	for(i = 0; i < started && !pending; i++)
		if(cl[i].state >= C_CONNECTING && cl[i].state <= C_JOINING)
			pending = 1;
	return !pending || now - t0 > (int64_t)(opt.setup_timeout * 1e9);
}

static void start_warmup(const workload_t *w, int64_t now)
{
	int i;

	t_setup_done = now;
	phase = P_WARMUP;
	t_phase_end = now + (int64_t)(opt.warmup * 1e9);
	for(i = 0; i < opt.nclients; i++)
		if(cl[i].state == C_READY && w->start)
			w->start(&cl[i]);
}

/* Warm-up -> measured window -> drain, sampling the server around the
 * window. */
static void next_phase(srvstat_t *s0, srvstat_t *s1, int64_t now)
{
	if(phase == P_WARMUP) {
		server_sample(s0);
		node_ack_rpc(1);
		phase = P_MEASURE;
		t_meas_start = now_ns();
		t_meas_end = t_meas_start + (int64_t)(opt.duration * 1e9);
		t_phase_end = t_meas_end;
	} else {
		server_sample(s1);
		t_meas_end = now;
		phase = P_DRAIN;
		t_phase_end = now + (int64_t)(opt.drain * 1e9);
	}
}

static void run(srvstat_t *s0, srvstat_t *s1)
{
	workload_t w = workload_of();
	int started = 0, scan;
	int64_t now, last_tick, last_scan = 0, last_tscan = 0;

	t0 = now_ns();
	last_tick = t0;
	while(phase != P_DONE) {
		/* the O(clients) scans below run every 5 ms at most, so 100,000
		 * clients do not turn the generator into the bottleneck */
		now = now_ns();
		scan = now - last_scan >= 5000000;
		if(scan)
			last_scan = now;
		if(phase == P_SETUP && scan)
			start_more_clients(&started, now);
		poll_clients();
		now = now_ns();
		/* timeouts are seconds long: a scan of every client (a cache miss
		 * each) every 100 ms, not 5, or 16,000 clients' scans take a
		 * third of the generator while it reads a big room's copies */
		if(now - last_tscan >= 100000000) {
			last_tscan = now;
			check_timeouts(started, now);
		}
		switch(phase) {
			case P_SETUP:
				if(setup_over(started, scan, now)) {
					last_tick = now;
					start_warmup(&w, now);
				}
				break;
			case P_WARMUP:
			case P_MEASURE:
				if(now >= t_phase_end)
					next_phase(s0, s1, now);
				if(w.tick)
					w.tick(now - last_tick);
				last_tick = now;
				break;
			case P_DRAIN:
				if(now >= t_phase_end)
					phase = P_DONE;
				break;
		}
	}
}

/* ---- report ---- */

typedef struct summary {
	double win, setup, cpu, cpu_per_unit;
	double inst_cpu[16]; /* cpu per --server-pid instance (pool nodes) */
	double pool_sent; /* copies to other pool nodes, window start to drain end */
	uint64_t pool_posts; /* posts answered over the same span */
	uint64_t pool_inflight; /* posts in flight at its start: either side */
	int64_t missing, excess;
	uint64_t units, online;
	const char *mode;
} summary_t;

static summary_t summarise(const srvstat_t *s0, const srvstat_t *s1)
{
	summary_t r;
	uint64_t unique = st.deliveries - st.dups;
	int i;

	r.win = (double)(t_meas_end - t_meas_start) / 1e9;
	r.setup = (double)(t_setup_done - t0) / 1e9;
	r.cpu = s1->cpu_s - s0->cpu_s;
	for(i = 0; i < opt.npids; i++)
		r.inst_cpu[i] = s1->inst_cpu_s[i] - s0->inst_cpu_s[i];
	r.missing = (int64_t)st.expected - (int64_t)unique;
	/* more copies than posts x members: duplicates too old for the
	 * 64-post window (e.g. retransmissions seconds later) */
	r.excess = r.missing < 0 ? -r.missing : 0;
	if(r.missing < 0)
		r.missing = 0;
	r.units = opt.mode == M_STATELESS ? st.req_meas
			  : opt.scen == S_HISTORY ? st.hist_meas
									  : st.deliveries_meas;
	r.cpu_per_unit = r.units ? r.cpu * 1e6 / (double)r.units : 0;
	r.online = 0;
	for(i = 0; i < opt.nclients; i++)
		if(cl[i].state == C_READY)
			r.online++;
	r.mode = opt.mode == M_PCHAT ? "pchat"
			 : opt.mode == M_IMC ? "imc"
								 : "stateless";
	return r;
}

static void report_json(const summary_t *r, const srvstat_t *s1)
{
	double win = r->win, setup = r->setup, cpu = r->cpu;

	printf("{\"scenario\":\"%s\",\"mode\":\"%s\",\"clients\":%d,"
		   "\"rooms\":%d,\"rooms_per_client\":%d,\"posters\":%d,"
		   "\"rate\":%.1f,\"window_s\":%.3f,",
			opt.scen_name, r->mode, opt.nclients, nrooms,
			opt.rooms_per_client, opt.posters, opt.rate, win);
	printf("\"sessions_ok\":%llu,\"sessions_failed\":%llu,"
		   "\"online_at_end\":%llu,\"setup_s\":%.3f,"
		   "\"session_ms_p50\":%.3f,\"session_ms_p99\":%.3f,",
			(unsigned long long)st.sessions_ok,
			(unsigned long long)st.session_fail,
			(unsigned long long)r->online, setup,
			hist_pct(&h_session, 50) / 1e3, hist_pct(&h_session, 99) / 1e3);
	printf("\"joins_ok\":%llu,\"joins_failed\":%llu,"
		   "\"join_timeouts\":%llu,\"joins_per_s\":%.1f,"
		   "\"join_ms_p50\":%.3f,\"join_ms_p90\":%.3f,"
		   "\"join_ms_p99\":%.3f,\"join_ms_max\":%.3f,",
			(unsigned long long)st.joins_ok,
			(unsigned long long)st.join_fail,
			(unsigned long long)st.join_timeouts,
			setup > 0 ? (double)st.joins_ok / setup : 0,
			hist_pct(&h_join, 50) / 1e3, hist_pct(&h_join, 90) / 1e3,
			hist_pct(&h_join, 99) / 1e3, (double)h_join.max / 1e3);
	printf("\"posts_sent\":%llu,\"posts_ok\":%llu,\"posts_err\":%llu,"
		   "\"posts_per_s\":%.1f,\"deliveries\":%llu,"
		   "\"deliveries_per_s\":%.1f,\"expected\":%llu,"
		   "\"missing\":%lld,\"duplicates\":%llu,\"posts_throttled\":%llu,\"reordered\":%llu,\"excess\":%lld,",
			(unsigned long long)st.posts_sent,
			(unsigned long long)st.posts_ok,
			(unsigned long long)st.posts_err,
			win > 0 ? (double)st.posts_meas_ok / win : 0,
			(unsigned long long)st.deliveries,
			win > 0 ? (double)st.deliveries_meas / win : 0,
			(unsigned long long)st.expected, (long long)r->missing,
			(unsigned long long)st.dups,
			(unsigned long long)st.posts_throttled,
			(unsigned long long)st.reordered, (long long)r->excess);
	printf("\"lat_ms_p50\":%.3f,\"lat_ms_p90\":%.3f,\"lat_ms_p99\":%.3f,"
		   "\"lat_ms_max\":%.3f,\"lat_samples\":%llu,",
			hist_pct(&h_deliv, 50) / 1e3, hist_pct(&h_deliv, 90) / 1e3,
			hist_pct(&h_deliv, 99) / 1e3, (double)h_deliv.max / 1e3,
			(unsigned long long)h_deliv.n);
	printf("\"ack_ms_p50\":%.3f,\"ack_ms_p99\":%.3f,\"ack_ms_max\":%.3f,",
			hist_pct(&h_ack, 50) / 1e3, hist_pct(&h_ack, 99) / 1e3,
			(double)h_ack.max / 1e3);
	printf("\"ack_kernel_ms_p50\":%.3f,\"ack_kernel_ms_p99\":%.3f,"
		   "\"ack_kernel_ms_max\":%.3f,\"ack_kernel_samples\":%llu,",
			hist_pct(&h_ack_k, 50) / 1e3, hist_pct(&h_ack_k, 99) / 1e3,
			(double)h_ack_k.max / 1e3, (unsigned long long)h_ack_k.n);
	if(node_ack.count >= 0)
		printf("\"node_ack_count\":%.0f,\"node_ack_ms_p50\":%.3f,"
			   "\"node_ack_ms_p99\":%.3f,\"node_ack_ms_max\":%.3f,",
				node_ack.count, node_ack.p50, node_ack.p99, node_ack.max);
	printf("\"lat_kernel_ms_p50\":%.3f,\"lat_kernel_ms_p99\":%.3f,"
		   "\"lat_kernel_ms_max\":%.3f,",
			hist_pct(&h_deliv_k, 50) / 1e3, hist_pct(&h_deliv_k, 99) / 1e3,
			(double)h_deliv_k.max / 1e3);
	printf("\"history_ok\":%llu,\"history_err\":%llu,"
		   "\"history_per_s\":%.1f,\"history_ms_p50\":%.3f,"
		   "\"history_ms_p99\":%.3f,\"history_ms_max\":%.3f,",
			(unsigned long long)st.hist_ok,
			(unsigned long long)st.hist_err,
			win > 0 ? (double)st.hist_meas / win : 0,
			hist_pct(&h_history, 50) / 1e3,
			hist_pct(&h_history, 99) / 1e3, (double)h_history.max / 1e3);
	printf("\"requests_ok\":%llu,\"requests_err\":%llu,"
		   "\"requests_per_s\":%.1f,",
			(unsigned long long)st.req_ok, (unsigned long long)st.req_err,
			win > 0 ? (double)st.req_meas / win : 0);
	/* posts still unanswered when the drain ended: the server owes them
	 * an answer (a timeout, not a success) */
	printf("\"unanswered\":%llu,",
			(unsigned long long)(st.posts_sent - st.posts_ok - st.posts_err));
	printf("\"timeouts\":%llu,\"conn_closed\":%llu,\"byes\":%llu,"
		   "\"parse_errors\":%llu,\"other_infos\":%llu,"
		   "\"other_errors\":%llu,\"invite_2xx_retransmissions\":%llu,",
			(unsigned long long)st.timeouts,
			(unsigned long long)st.conn_closed,
			(unsigned long long)st.byes,
			(unsigned long long)st.parse_errors,
			(unsigned long long)st.foreign_infos,
			(unsigned long long)st.other_errors,
			(unsigned long long)st.invite_retrans);
	printf("\"server_cpu_s_each\":[");
	for(int i = 0; i < opt.npids; i++)
		printf("%s%.3f", i ? "," : "", r->inst_cpu[i]);
	printf("],");
	printf("\"server_cpu_s\":%.3f,\"server_cpu_pct\":%.1f,"
		   "\"server_cpu_us_per_unit\":%.2f,\"units\":%llu,"
		   "\"server_procs\":%d,\"server_pss_mb\":%.1f,"
		   "\"shm_used_mb\":%.1f,\"rlimit_nofile\":[%llu,%llu],"
		   "\"pool_copies_sent\":%.0f,\"pool_posts\":%llu,\"pool_posts_inflight\":%llu,\"server_instances\":%d,"
		   "\"mux_conns\":%d}\n",
			cpu, win > 0 ? cpu / win * 100 : 0, r->cpu_per_unit,
			(unsigned long long)r->units, s1->nproc, s1->pss_mb,
			s1->shm_used_mb, (unsigned long long)st.rlimit_from,
			(unsigned long long)st.rlimit_to, r->pool_sent,
			(unsigned long long)r->pool_posts,
			(unsigned long long)r->pool_inflight, opt.npids,
			opt.mux);
}

static void report_text(const summary_t *r, const srvstat_t *s1)
{
	double win = r->win, setup = r->setup, cpu = r->cpu;

	printf("scenario %s mode %s: %d clients, %d rooms x%d, %d posters at "
		   "%.0f/s, window %.1f s\n",
			opt.scen_name, r->mode, opt.nclients, nrooms,
			opt.rooms_per_client, opt.posters, opt.rate, win);
	printf("sessions   %llu ok, %llu failed, %llu online at end, setup "
		   "%.2f s (session p50 %.2f ms p99 %.2f ms)\n",
			(unsigned long long)st.sessions_ok,
			(unsigned long long)st.session_fail,
			(unsigned long long)r->online, setup,
			hist_pct(&h_session, 50) / 1e3, hist_pct(&h_session, 99) / 1e3);
	printf("joins      %llu ok, %llu failed, %llu timeouts, %.0f/s, "
		   "p50 %.2f p90 %.2f p99 %.2f max %.2f ms\n",
			(unsigned long long)st.joins_ok,
			(unsigned long long)st.join_fail,
			(unsigned long long)st.join_timeouts,
			setup > 0 ? (double)st.joins_ok / setup : 0,
			hist_pct(&h_join, 50) / 1e3, hist_pct(&h_join, 90) / 1e3,
			hist_pct(&h_join, 99) / 1e3, (double)h_join.max / 1e3);
	printf("posts      %llu sent, %llu ok, %llu errors, %.0f/s accepted\n",
			(unsigned long long)st.posts_sent,
			(unsigned long long)st.posts_ok,
			(unsigned long long)st.posts_err,
			win > 0 ? (double)st.posts_meas_ok / win : 0);
	printf("deliveries %llu (%.0f/s), expected %llu, missing %lld, "
		   "duplicates %llu, reordered %llu\n",
			(unsigned long long)st.deliveries,
			win > 0 ? (double)st.deliveries_meas / win : 0,
			(unsigned long long)st.expected, (long long)r->missing,
			(unsigned long long)st.dups, (unsigned long long)st.reordered);
	printf("latency    p50 %.2f p90 %.2f p99 %.2f max %.2f ms (%llu "
		   "samples)\n",
			hist_pct(&h_deliv, 50) / 1e3, hist_pct(&h_deliv, 90) / 1e3,
			hist_pct(&h_deliv, 99) / 1e3, (double)h_deliv.max / 1e3,
			(unsigned long long)h_deliv.n);
	printf("  at socket p50 %.2f p99 %.2f max %.2f ms (kernel receive "
		   "timestamp)\n",
			hist_pct(&h_deliv_k, 50) / 1e3, hist_pct(&h_deliv_k, 99) / 1e3,
			(double)h_deliv_k.max / 1e3);
	if(h_ack.n)
		printf("post->200  p50 %.2f p99 %.2f max %.2f ms; at socket p50 %.2f "
			   "p99 %.2f max %.2f ms (%llu)\n",
				hist_pct(&h_ack, 50) / 1e3, hist_pct(&h_ack, 99) / 1e3,
				(double)h_ack.max / 1e3, hist_pct(&h_ack_k, 50) / 1e3,
				hist_pct(&h_ack_k, 99) / 1e3, (double)h_ack_k.max / 1e3,
				(unsigned long long)h_ack_k.n);
	if(h_ack.n && node_ack.count >= 0)
		printf("  in the node (pchat.post_latency, same window) p50 %.2f p99 "
			   "%.2f max %.2f ms (%.0f)\n",
				node_ack.p50, node_ack.p99, node_ack.max, node_ack.count);
	if(opt.scen == S_HISTORY)
		printf("history    %llu ok, %llu errors, %.0f/s, p50 %.2f p99 "
			   "%.2f max %.2f ms\n",
				(unsigned long long)st.hist_ok,
				(unsigned long long)st.hist_err,
				win > 0 ? (double)st.hist_meas / win : 0,
				hist_pct(&h_history, 50) / 1e3,
				hist_pct(&h_history, 99) / 1e3, (double)h_history.max / 1e3);
	if(opt.mode == M_STATELESS)
		printf("requests   %llu ok, %llu errors, %.0f/s\n",
				(unsigned long long)st.req_ok,
				(unsigned long long)st.req_err,
				win > 0 ? (double)st.req_meas / win : 0);
	printf("errors     %llu timeouts, %llu connections lost, %llu BYEs, "
		   "%llu parse errors, %llu other\n",
			(unsigned long long)st.timeouts,
			(unsigned long long)st.conn_closed,
			(unsigned long long)st.byes,
			(unsigned long long)st.parse_errors,
			(unsigned long long)st.other_errors);
	printf("server     %.2f s CPU (%.0f%%), %.2f us per unit (%llu), %d "
		   "processes, PSS %.1f MB, shm used %.1f MB\n",
			cpu, win > 0 ? cpu / win * 100 : 0, r->cpu_per_unit,
			(unsigned long long)r->units, s1->nproc, s1->pss_mb,
			s1->shm_used_mb);
}

int main(int argc, char **argv)
{
	srvstat_t s0, s1, s2;
	summary_t r;

	setup_run(parse_options(argc, argv));
	run(&s0, &s1);
	node_ack_rpc(0);
	r = summarise(&s0, &s1);
	pool_sample(&s2);
	r.pool_sent = s2.pool_sent - s0.pool_sent;
	r.pool_posts = s2.posts_ok - s0.posts_ok;
	r.pool_inflight = s0.posts_inflight;
	if(opt.json)
		report_json(&r, &s1);
	else
		report_text(&r, &s1);
	return (st.session_fail || st.posts_err) ? 1 : 0;
}
