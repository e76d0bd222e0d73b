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
/* Store layer: files posted into rooms - rows, tokens and the bytes in
 * file_dir (<stored>.part while uploading, fsynced and renamed to <stored>
 * when complete). */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crypto/sha256.h"
#include "core/dprint.h"

#include "pchat_compliance.h"
#include "pchat_file.h"

static char _pchat_file_dir[512];
static char _pchat_file_uri[512];
static int _pchat_file_chunk_max = 24576;
static int _pchat_file_token_expires = 1800;

/* tokens and abandoned uploads removed per token issued: bounded work */
#define PCHAT_FILE_SWEEP 20

int pchat_file_mod_init(const char *dir, const char *uri, int chunk_max,
		int token_expires)
{
	struct stat st;

	_pchat_file_chunk_max = chunk_max;
	_pchat_file_token_expires = token_expires;
	if(dir == NULL || dir[0] == '\0' || uri == NULL || uri[0] == '\0') {
		if((dir && dir[0]) || (uri && uri[0]))
			LM_WARN("files are off: set both file_dir and file_service_uri\n");
		return 0;
	}
	if(strlen(uri) >= sizeof(_pchat_file_uri)) {
		LM_ERR("file_service_uri is too long\n");
		return -1;
	}
	snprintf(_pchat_file_uri, sizeof(_pchat_file_uri), "%s", uri);
	if(strlen(dir) >= sizeof(_pchat_file_dir) - PCHAT_FILE_STORED_MAX - 8) {
		LM_ERR("file_dir is too long\n");
		return -1;
	}
	if(stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)
			|| access(dir, W_OK | X_OK) < 0) {
		LM_ERR("file_dir %s is not a writable directory\n", dir);
		return -1;
	}
	snprintf(_pchat_file_dir, sizeof(_pchat_file_dir), "%s", dir);
	return 0;
}

int pchat_file_enabled(void)
{
	return _pchat_file_dir[0] != '\0';
}

const char *pchat_file_service_uri(void)
{
	return _pchat_file_uri;
}

int pchat_file_chunk_max(void)
{
	return _pchat_file_chunk_max;
}

int pchat_file_token_expires(void)
{
	return _pchat_file_token_expires;
}

const char *pchat_file_name_refusal(const char *name)
{
	const unsigned char *p;
	int chars = 0;

	if(name == NULL || name[0] == '\0')
		return "the file needs a name (ftdb fileUrl)";
	if(strcmp(name, ".") == 0 || strstr(name, "..") != NULL)
		return "a file name may not contain \"..\"";
	for(p = (const unsigned char *)name; *p; p++) {
		if(*p < 0x20 || *p == 0x7f)
			return "a file name may not contain control characters";
		if(*p == '/' || *p == '\\')
			return "a file name may not contain a path separator";
		chars += (*p & 0xC0) != 0x80;
	}
	if(chars > PCHAT_FILE_NAME_CHARS)
		return "the file name is longer than 255 characters";
	return NULL;
}

/* n random bytes as 2n hex digits and a NUL. */
static int pchat_file_random_hex(char *buf, int n)
{
	unsigned char r[32];
	int i;

	if(n > (int)sizeof(r) || getrandom(r, n, 0) != n) {
		LM_ERR("no random bytes for a file token\n");
		return -1;
	}
	for(i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", r[i]);
	return 0;
}

/* <32 hex>[.ext]: the extension of the original name kept when it is 1-10
 * letters or digits (clients pick an icon by it), lower case. */
static int pchat_file_stored_name(const char *original, char *buf)
{
	const char *dot = strrchr(original, '.');
	int i, n;

	if(pchat_file_random_hex(buf, 16) < 0)
		return -1;
	if(dot == NULL || dot == original)
		return 0;
	n = strlen(dot + 1);
	if(n < 1 || n > 10)
		return 0;
	for(i = 0; i < n; i++)
		if(!((dot[1 + i] >= 'a' && dot[1 + i] <= 'z')
				   || (dot[1 + i] >= 'A' && dot[1 + i] <= 'Z')
				   || (dot[1 + i] >= '0' && dot[1 + i] <= '9')))
			return 0;
	buf[32] = '.';
	for(i = 0; i <= n; i++) /* with the NUL */
		buf[33 + i] = (dot[1 + i] >= 'A' && dot[1 + i] <= 'Z')
							  ? dot[1 + i] - 'A' + 'a'
							  : dot[1 + i];
	return 0;
}

static void pchat_file_path(const char *stored, int part, char *buf, int size)
{
	snprintf(buf, size, "%s/%s%s", _pchat_file_dir, stored, part ? ".part" : "");
}

/* Bounded cleanup, autocommitted: uploads no live token can finish any
 * more, then tokens expired for an hour (a late request still gets
 * "expired" rather than "unknown" meanwhile). */
static void pchat_file_sweep(long long now_ms)
{
	pchat_db_res_t res;
	int i;

	if(pchat_db_exec("SELECT f.id FROM pchat_file f WHERE f.complete = 0 "
					 "AND NOT EXISTS (SELECT 1 FROM pchat_file_token t WHERE "
					 "t.file_id = f.id AND t.expires_ms > ?) LIMIT 20",
			   &res, now_ms)
			!= PCHAT_STORE_OK)
		return;
	for(i = 0; i < res.nrows; i++)
		pchat_file_abort(strtoll(res.rows[i][0], NULL, 10));
	pchat_db_res_free(&res);
	pchat_db_exec("DELETE FROM pchat_file_token WHERE expires_ms < ? LIMIT 20",
			NULL, now_ms - 3600000LL);
}

static pchat_store_rc_t pchat_file_token_insert(str *user, long long room_id,
		const char *dir, long long file_id, long long now_ms, char *token)
{
	if(pchat_file_random_hex(token, PCHAT_FILE_TOKEN_LEN / 2) < 0)
		return PCHAT_STORE_ERROR;
	return pchat_db_exec(
			"INSERT INTO pchat_file_token (token, user_uri, room_id, "
			"direction, file_id, expires_ms) VALUES (?, ?, ?, ?, ?, ?)",
			NULL, token, user, room_id, dir, file_id,
			now_ms + 1000LL * _pchat_file_token_expires);
}

pchat_store_rc_t pchat_file_upload_new(long long room_id, str *user,
		const char *original, long long now_ms, char *token)
{
	char stored[PCHAT_FILE_STORED_MAX + 1];
	pchat_store_rc_t rc;
	long long id;

	pchat_file_sweep(now_ms);
	if(pchat_file_stored_name(original, stored) < 0)
		return PCHAT_STORE_ERROR;
	if((rc = pchat_db_begin()) != PCHAT_STORE_OK)
		return rc;
	rc = pchat_db_exec("INSERT INTO pchat_file (room_id, uploader, "
					   "stored_name, original_name, created_ms) VALUES "
					   "(?, ?, ?, ?, ?)",
			NULL, room_id, user, stored, original, now_ms);
	id = (long long)pchat_db_insert_id();
	if(rc == PCHAT_STORE_OK)
		rc = pchat_file_token_insert(user, room_id, "up", id, now_ms, token);
	if(rc != PCHAT_STORE_OK) {
		pchat_db_rollback();
		return rc;
	}
	return pchat_db_commit();
}

pchat_store_rc_t pchat_file_download_token(str *user, long long room_id,
		long long file_id, long long now_ms, char *token)
{
	pchat_file_sweep(now_ms);
	return pchat_file_token_insert(user, room_id, "down", file_id, now_ms, token);
}

int pchat_file_token_get(const char *token, pchat_ftoken_t *t)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;

	memset(t, 0, sizeof(*t));
	rc = pchat_db_exec("SELECT token, user_uri, room_id, direction, file_id, "
					   "expires_ms FROM pchat_file_token WHERE token = ?",
			&res, token);
	if(rc != PCHAT_STORE_OK)
		return rc;
	if(res.nrows == 0) {
		pchat_db_res_free(&res);
		return 0;
	}
	snprintf(t->token, sizeof(t->token), "%s", res.rows[0][0]);
	snprintf(t->user, sizeof(t->user), "%s", res.rows[0][1]);
	t->room_id = strtoll(res.rows[0][2], NULL, 10);
	t->up = strcmp(res.rows[0][3], "up") == 0;
	t->file_id = strtoll(res.rows[0][4], NULL, 10);
	t->expires_ms = strtoll(res.rows[0][5], NULL, 10);
	pchat_db_res_free(&res);
	return 1;
}

#define PCHAT_FILE_COLS                                                     \
	"SELECT id, room_id, uploader, stored_name, original_name, size, total, " \
	"sha256, complete, msg_seq FROM pchat_file "

static int pchat_file_from_res(pchat_db_res_t *res, pchat_file_t *f)
{
	char **r;

	memset(f, 0, sizeof(*f));
	if(res->nrows == 0) {
		pchat_db_res_free(res);
		return 0;
	}
	r = res->rows[0];
	f->id = strtoll(r[0], NULL, 10);
	f->room_id = strtoll(r[1], NULL, 10);
	snprintf(f->uploader, sizeof(f->uploader), "%s", r[2]);
	snprintf(f->stored, sizeof(f->stored), "%s", r[3]);
	snprintf(f->original, sizeof(f->original), "%s", r[4]);
	f->size = strtoll(r[5], NULL, 10);
	f->total = r[6] ? strtoll(r[6], NULL, 10) : -1;
	snprintf(f->sha256, sizeof(f->sha256), "%s", r[7] ? r[7] : "");
	f->complete = r[8][0] == '1';
	f->msg_seq = r[9] ? strtoll(r[9], NULL, 10) : 0;
	pchat_db_res_free(res);
	return 1;
}

int pchat_file_by_id(long long id, pchat_file_t *f)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;

	rc = pchat_db_exec(PCHAT_FILE_COLS "WHERE id = ?", &res, id);
	return rc == PCHAT_STORE_OK ? pchat_file_from_res(&res, f) : rc;
}

int pchat_file_by_name(long long room_id, const char *stored, pchat_file_t *f)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;

	rc = pchat_db_exec(PCHAT_FILE_COLS "WHERE stored_name = ? AND room_id = ? "
									   "AND complete = 1",
			&res, stored, room_id);
	return rc == PCHAT_STORE_OK ? pchat_file_from_res(&res, f) : rc;
}

/* Inside the caller's transaction. */
static pchat_store_rc_t pchat_file_remove_rows(long long file_id)
{
	pchat_store_rc_t rc;

	rc = pchat_db_exec(
			"DELETE FROM pchat_file_token WHERE file_id = ?", NULL, file_id);
	if(rc == PCHAT_STORE_OK)
		rc = pchat_db_exec("DELETE FROM pchat_file WHERE id = ? AND "
						   "complete = 0",
				NULL, file_id);
	return rc;
}

pchat_store_rc_t pchat_file_abort(long long file_id)
{
	char path[600];
	pchat_file_t f;
	pchat_store_rc_t rc;
	int found;

	found = pchat_file_by_id(file_id, &f);
	if(found <= 0 || f.complete)
		return found < 0 ? (pchat_store_rc_t)found : PCHAT_STORE_OK;
	if((rc = pchat_db_begin()) != PCHAT_STORE_OK)
		return rc;
	if((rc = pchat_file_remove_rows(file_id)) != PCHAT_STORE_OK) {
		pchat_db_rollback();
		return rc;
	}
	pchat_file_path(f.stored, 1, path, sizeof(path));
	unlink(path);
	return pchat_db_commit();
}

/* Writes len bytes at offset, all of them or -1 (errno kept). */
static int pchat_file_pwrite(int fd, const char *data, int len, long long offset)
{
	ssize_t n;

	while(len > 0) {
		n = pwrite(fd, data, len, offset);
		if(n < 0 && errno == EINTR)
			continue;
		if(n <= 0)
			return -1;
		data += n;
		len -= n;
		offset += n;
	}
	return 0;
}

/* SHA-256 of the whole file read back from the disk (what a download
 * will serve), as hex. */
static int pchat_file_sha256(int fd, char *hex)
{
	static char buf[65536];
	SHA256_CTX ctx;
	long long off = 0;
	ssize_t n;

	sr_SHA256_Init(&ctx);
	while((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		sr_SHA256_Update(&ctx, (const uint8_t *)buf, n);
		off += n;
	}
	if(n < 0)
		return -1;
	sr_SHA256_End(&ctx, hex);
	return 0;
}

/* The last chunk is in: on the disk for good (fsync, rename, the
 * directory's fsync), then the row. */
static int pchat_file_finish(int fd, pchat_file_t *f)
{
	char part[600], final[600];
	int dfd;

	if(fsync(fd) < 0 || pchat_file_sha256(fd, f->sha256) < 0)
		return -1;
	pchat_file_path(f->stored, 1, part, sizeof(part));
	pchat_file_path(f->stored, 0, final, sizeof(final));
	if(rename(part, final) < 0)
		return -1;
	dfd = open(_pchat_file_dir, O_RDONLY | O_DIRECTORY);
	if(dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	f->complete = 1;
	return 0;
}

/* Checks a chunk against the row (locked): PCHAT_FILE_MORE when it may be
 * written. */
static pchat_file_rc_t pchat_file_check(pchat_file_t *f, long long offset,
		long long total, int len, long long max_bytes)
{
	if(total > max_bytes)
		return PCHAT_FILE_TOO_BIG;
	if(f->total >= 0 && f->total != total)
		return PCHAT_FILE_BAD_TOTAL;
	if(offset != f->size)
		return PCHAT_FILE_BAD_OFFSET;
	if(offset + len > total)
		return PCHAT_FILE_BAD_TOTAL;
	return PCHAT_FILE_MORE;
}

static pchat_file_rc_t pchat_file_refuse(
		pchat_file_t *f, pchat_file_rc_t why, pchat_store_rc_t *src)
{
	char path[600];

	*src = pchat_file_remove_rows(f->id);
	if(*src != PCHAT_STORE_OK) {
		pchat_db_rollback();
		return PCHAT_FILE_STORE;
	}
	pchat_file_path(f->stored, 1, path, sizeof(path));
	unlink(path);
	*src = pchat_db_commit();
	return *src == PCHAT_STORE_OK ? why : PCHAT_FILE_STORE;
}

pchat_file_rc_t pchat_file_append(long long file_id, long long offset,
		long long total, const char *data, int len, long long max_bytes,
		pchat_file_t *f, pchat_store_rc_t *src)
{
	pchat_db_res_t res;
	pchat_file_rc_t why;
	char path[600];
	int fd, found;

	if((*src = pchat_db_begin()) != PCHAT_STORE_OK)
		return PCHAT_FILE_STORE;
	*src = pchat_db_exec(PCHAT_FILE_COLS "WHERE id = ? FOR UPDATE", &res, file_id);
	if(*src != PCHAT_STORE_OK)
		goto failed;
	found = pchat_file_from_res(&res, f);
	if(!found || f->complete) {
		pchat_db_rollback();
		return PCHAT_FILE_CLOSED;
	}
	why = pchat_file_check(f, offset, total, len, max_bytes);
	if(why != PCHAT_FILE_MORE)
		return pchat_file_refuse(f, why, src);
	pchat_file_path(f->stored, 1, path, sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if(fd < 0 || pchat_file_pwrite(fd, data, len, offset) < 0
			|| (offset + len == total && pchat_file_finish(fd, f) < 0)) {
		LM_ERR("file %s: %s\n", path, strerror(errno));
		if(fd >= 0)
			close(fd);
		return pchat_file_refuse(f, PCHAT_FILE_IO, src);
	}
	close(fd);
	f->size = offset + len;
	f->total = total;
	*src = pchat_db_exec("UPDATE pchat_file SET size = ?, total = ?, complete "
						 "= ?, sha256 = ?, completed_ms = IF(? = 1, ?, NULL) "
						 "WHERE id = ?",
			NULL, f->size, total, f->complete,
			(const char *)(f->complete ? f->sha256 : NULL), f->complete,
			pchat_compliance_now_ms(), file_id);
	if(*src != PCHAT_STORE_OK)
		goto failed;
	if((*src = pchat_db_commit()) != PCHAT_STORE_OK)
		return PCHAT_FILE_STORE;
	return f->complete ? PCHAT_FILE_DONE : PCHAT_FILE_MORE;
failed:
	pchat_db_rollback();
	return PCHAT_FILE_STORE;
}

int pchat_file_read(pchat_file_t *f, long long offset, char *buf, int len)
{
	char path[600];
	ssize_t n;
	int fd, got = 0;

	pchat_file_path(f->stored, 0, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if(fd < 0) {
		LM_ERR("file %s: %s\n", path, strerror(errno));
		return -1;
	}
	while(got < len) {
		n = pread(fd, buf + got, len - got, offset + got);
		if(n < 0 && errno == EINTR)
			continue;
		if(n <= 0)
			break;
		got += n;
	}
	close(fd);
	return got;
}

pchat_store_rc_t pchat_file_set_post(long long file_id, long long seq, int kept)
{
	return pchat_db_exec("UPDATE pchat_file SET msg_seq = ?, post_kept = ? "
						 "WHERE id = ?",
			NULL, seq, kept, file_id);
}

long long pchat_file_retention(void)
{
	pchat_db_res_t res;
	long long removed = 0;
	int i, found, n;

	do {
		if(pchat_db_exec("SELECT f.id FROM pchat_file f LEFT JOIN pchat_node "
						 "r ON r.id = f.room_id WHERE f.complete = 1 AND (r.id "
						 "IS NULL OR (f.post_kept = 1 AND NOT EXISTS (SELECT 1 "
						 "FROM pchat_message m WHERE m.room_id = f.room_id AND "
						 "m.seq = f.msg_seq AND m.status <> 'removed'))) "
						 "ORDER BY f.id LIMIT ?",
				   &res, PCHAT_FILE_SWEEP)
				!= PCHAT_STORE_OK)
			return -1;
		n = res.nrows;
		for(i = 0; i < n; i++) {
			if(pchat_file_remove(strtoll(res.rows[i][0], NULL, 10), &found)
					!= PCHAT_STORE_OK) {
				pchat_db_res_free(&res);
				return -1;
			}
			removed += found;
		}
		pchat_db_res_free(&res);
	} while(n == PCHAT_FILE_SWEEP);
	return removed;
}

pchat_store_rc_t pchat_file_remove(long long file_id, int *found)
{
	char path[600];
	pchat_file_t f;
	pchat_store_rc_t rc;
	int n;

	*found = 0;
	n = pchat_file_by_id(file_id, &f);
	if(n <= 0)
		return n < 0 ? (pchat_store_rc_t)n : PCHAT_STORE_OK;
	if((rc = pchat_db_begin()) != PCHAT_STORE_OK)
		return rc;
	rc = pchat_db_exec(
			"DELETE FROM pchat_file_token WHERE file_id = ?", NULL, file_id);
	if(rc == PCHAT_STORE_OK)
		rc = pchat_db_exec("DELETE FROM pchat_file WHERE id = ?", NULL, file_id);
	if(rc != PCHAT_STORE_OK) {
		pchat_db_rollback();
		return rc;
	}
	if((rc = pchat_db_commit()) != PCHAT_STORE_OK)
		return rc;
	/* the row first: a download that races finds no row rather than a
	 * row without its bytes */
	pchat_file_path(f.stored, 0, path, sizeof(path));
	unlink(path);
	pchat_file_path(f.stored, 1, path, sizeof(path));
	unlink(path);
	*found = 1;
	return PCHAT_STORE_OK;
}

pchat_store_rc_t pchat_file_stats(pchat_file_stats_t *st)
{
	pchat_db_res_t res;
	pchat_store_rc_t rc;

	memset(st, 0, sizeof(*st));
	rc = pchat_db_exec("SELECT COALESCE(SUM(complete = 1), 0), "
					   "COALESCE(SUM(IF(complete = 1, size, 0)), 0), "
					   "COALESCE(SUM(complete = 0), 0), "
					   "COALESCE(SUM(IF(complete = 0, size, 0)), 0) FROM "
					   "pchat_file",
			&res);
	if(rc != PCHAT_STORE_OK)
		return rc;
	if(res.nrows == 1) {
		st->files = strtoll(res.rows[0][0], NULL, 10);
		st->bytes = strtoll(res.rows[0][1], NULL, 10);
		st->uploads = strtoll(res.rows[0][2], NULL, 10);
		st->upload_bytes = strtoll(res.rows[0][3], NULL, 10);
	}
	pchat_db_res_free(&res);
	return PCHAT_STORE_OK;
}
