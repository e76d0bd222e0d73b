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
/* Prepared statements over this process's store connection. Every value
 * from a client or an administrator travels as a bound parameter: SQL text
 * is always a static string, which is also the key of the per-process
 * statement cache. */

#ifndef _PCHAT_DB_H_
#define _PCHAT_DB_H_

#include "core/str.h"

#include "pchat_store.h"

/* A result set with every column as a NUL-terminated string (NULL for SQL
 * NULL). Rows live in one malloc'ed block each; free with
 * pchat_db_res_free(). */
typedef struct pchat_db_res
{
	int nrows;
	int ncols;
	char ***rows;
} pchat_db_res_t;

/* Parameter type letters for pchat_db_exec():
 *   i  long long          I  long long * (NULL -> SQL NULL)
 *   s  const char * (NULL -> SQL NULL)
 *   S  str * (NULL or s==NULL -> SQL NULL)
 * res may be NULL for statements without a result set. */
pchat_store_rc_t pchat_db_exec(
		const char *sql, pchat_db_res_t *res, const char *types, ...);

/* Rows changed and AUTO_INCREMENT id of the last pchat_db_exec(). */
unsigned long long pchat_db_affected(void);
unsigned long long pchat_db_insert_id(void);
/* MySQL error number of the last failed statement (e.g. 1062 duplicate). */
unsigned int pchat_db_errno(void);

void pchat_db_res_free(pchat_db_res_t *res);

/* Transactions: a failure inside one is never retried on a new connection
 * (the server has rolled it back): the caller rolls back and reports. */
pchat_store_rc_t pchat_db_begin(void);
pchat_store_rc_t pchat_db_commit(void);
void pchat_db_rollback(void);

/* Drops the statement cache; called when the connection is replaced. */
void pchat_db_forget_statements(void);

#endif
