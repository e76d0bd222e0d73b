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
/* Store layer: files posted into rooms (issue 16) - their rows (pchat_file),
 * their upload/download tokens (pchat_file_token) and their bytes in
 * file_dir, written chunk by chunk under a row lock. Knows no command. */

#ifndef _PCHAT_FILE_H_
#define _PCHAT_FILE_H_

#include "core/str.h"

#include "pchat_db.h"

#define PCHAT_FILE_TOKEN_LEN 32 /* hex digits: 128 random bits */
#define PCHAT_FILE_STORED_MAX 64
#define PCHAT_FILE_NAME_CHARS 255 /* pchat_file.original_name */

/* Before the fork: dir (NULL or "": no file service), the URI handed out
 * with tokens, the longest chunk a request may carry (bytes) and the
 * token lifetime (seconds). */
int pchat_file_mod_init(const char *dir, const char *uri, int chunk_max,
		int token_expires);
/* 1 when file_dir and file_service_uri are both set. */
int pchat_file_enabled(void);
const char *pchat_file_service_uri(void);
int pchat_file_chunk_max(void);
int pchat_file_token_expires(void);

/* NULL when name may be a file's original name, else why not (empty,
 * longer than PCHAT_FILE_NAME_CHARS, a path separator, "..", a control
 * character). */
const char *pchat_file_name_refusal(const char *name);

typedef struct pchat_file
{
	long long id;
	long long room_id;
	char uploader[256];
	char stored[PCHAT_FILE_STORED_MAX + 1];
	char original[1024];
	long long size;
	long long total; /* -1: not announced yet */
	char sha256[65];
	int complete;
	long long msg_seq;
} pchat_file_t;

typedef struct pchat_ftoken
{
	char token[PCHAT_FILE_TOKEN_LEN + 1];
	char user[256];
	long long room_id;
	int up; /* 1 upload, 0 download */
	long long file_id; /* 0: a download token for the room's files */
	long long expires_ms;
} pchat_ftoken_t;

/* An upload: a new file row (a server-chosen stored name) and its token,
 * in one transaction; token gets PCHAT_FILE_TOKEN_LEN + 1 bytes. Also
 * sweeps a few expired tokens and abandoned uploads. */
pchat_store_rc_t pchat_file_upload_new(long long room_id, str *user,
		const char *original, long long now_ms, char *token);
/* A download token for a complete file, or (file_id 0) for whichever
 * complete file of the room a SOAP call names. */
pchat_store_rc_t pchat_file_download_token(str *user, long long room_id,
		long long file_id, long long now_ms, char *token);

/* 1 found, 0 not, < 0 PCHAT_STORE_*. */
int pchat_file_token_get(const char *token, pchat_ftoken_t *t);
int pchat_file_by_id(long long id, pchat_file_t *f);
/* A complete file of the room by its stored name. */
int pchat_file_by_name(long long room_id, const char *stored, pchat_file_t *f);

/* The outcome of a chunk. */
typedef enum pchat_file_rc
{
	PCHAT_FILE_MORE = 0,       /* stored, more expected */
	PCHAT_FILE_DONE = 1,       /* the last chunk: checked, renamed, complete */
	PCHAT_FILE_BAD_OFFSET = 2, /* offset is not the size so far (aborted) */
	PCHAT_FILE_TOO_BIG = 3,    /* total above the limit (aborted) */
	PCHAT_FILE_BAD_TOTAL = 4,  /* total changed or the chunk passes it (aborted) */
	PCHAT_FILE_CLOSED = 5,     /* complete already, or no such upload */
	PCHAT_FILE_IO = 6,         /* the disk refused (full): aborted */
	PCHAT_FILE_STORE = 7       /* the database: see *src */
} pchat_file_rc_t;

/* Appends a chunk at offset of a file announced as total bytes, under the
 * row's lock (two racing requests are serialised; the loser sees the new
 * size). Every refusal but CLOSED and STORE removes the upload: its row,
 * its tokens and its .part file. f is the row after the chunk. */
pchat_file_rc_t pchat_file_append(long long file_id, long long offset,
		long long total, const char *data, int len, long long max_bytes,
		pchat_file_t *f, pchat_store_rc_t *src);

/* Removes an unfinished upload (row, tokens, .part file); a complete file
 * is left alone. */
pchat_store_rc_t pchat_file_abort(long long file_id);

/* Reads up to len bytes at offset of a complete file: bytes read, -1 on an
 * error. */
int pchat_file_read(pchat_file_t *f, long long offset, char *buf, int len);

/* Removes a file, complete or not: its row, its tokens, then its bytes.
 * *found 0 when there was no such file. */
pchat_store_rc_t pchat_file_remove(long long file_id, int *found);

/* What the store holds: complete files and their bytes, uploads under way
 * and the bytes received so far. */
typedef struct pchat_file_stats
{
	long long files, bytes, uploads, upload_bytes;
} pchat_file_stats_t;
pchat_store_rc_t pchat_file_stats(pchat_file_stats_t *st);

/* The post that announced the file; kept: it is in pchat_message (the
 * room keeps history), so the file follows it (pchat_file_retention). */
pchat_store_rc_t pchat_file_set_post(long long file_id, long long seq, int kept);

/* For the retention job: removes the complete files whose post is gone -
 * its room removed, or a kept post removed by retention, clear-room or
 * remove-message (what a legal hold keeps stays, with its post). Returns
 * the number removed, -1 on a store error. */
long long pchat_file_retention(void);

#endif
