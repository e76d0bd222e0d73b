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
/* pchatctl: builds the JSON-RPC request and picks the transport. Knows
 * no verb. */

#include <stdio.h>
#include <stdlib.h>

#include "pchatctl.h"
#include "fifo.h"
#include "http.h"
#include "io.h"
#include "render.h"
#include "rpc.h"

/* One request per run, so one id is enough to pair it with its answer. */
#define PCTL_REQUEST_ID 1

static json_t *new_request(const char *method, json_t *params)
{
	json_t *request = json_object();

	if(request == NULL)
		return NULL;
	if(json_object_set_new(request, "jsonrpc", json_string("2.0")) < 0
			|| json_object_set_new(request, "method", json_string(method)) < 0
			|| json_object_set(request, "params", params) < 0
			|| json_object_set_new(request, "id", json_integer(PCTL_REQUEST_ID))
					   < 0) {
		json_decref(request);
		return NULL;
	}
	return request;
}

static void report_server_error(const char *verb, json_t *error)
{
	json_t *message = json_object_get(error, "message");
	json_t *code = json_object_get(error, "code");
	char *text;

	if(json_is_string(message)) {
		/* the message may quote a room name or any other client text */
		text = pctl_printable(json_string_value(message));
		if(json_is_integer(code))
			fprintf(stderr, "%s: %s: %s (%lld)\n", PCTL_NAME, verb,
					text ? text : "error",
					(long long)json_integer_value(code));
		else
			fprintf(stderr, "%s: %s: %s\n", PCTL_NAME, verb,
					text ? text : "error");
		free(text);
		return;
	}
	/* not the JSON-RPC shape: show it rather than lose it */
	text = json_dumps(error, JSON_COMPACT | JSON_ENCODE_ANY);
	fprintf(stderr, "%s: %s: %s\n", PCTL_NAME, verb, text ? text : "error");
	free(text);
}

/* Splits the answer into result and error. */
static int read_reply(const char *verb, pctl_buf_t *text, json_t **result)
{
	json_error_t parse_error;
	json_t *reply;
	json_t *error;
	char *shown;
	int rc;

	reply = json_loadb(text->s, text->len, 0, &parse_error);
	if(reply == NULL || !json_is_object(reply)) {
		shown = pctl_printable(text->s);
		pctl_err("not a JSON-RPC answer (%s): %.200s",
				reply ? "not an object" : parse_error.text,
				shown ? shown : "");
		free(shown);
		json_decref(reply);
		return PCTL_EXIT_TRANSPORT;
	}
	error = json_object_get(reply, "error");
	if(error != NULL) {
		report_server_error(verb, error);
		rc = PCTL_EXIT_RPC_ERROR;
	} else {
		*result = json_object_get(reply, "result");
		*result = *result ? json_incref(*result) : json_null();
		rc = PCTL_EXIT_OK;
	}
	json_decref(reply);
	return rc;
}

int pctl_rpc_call(const pctl_target_t *target, const char *verb,
		const char *method, json_t *params, json_t **result)
{
	pctl_buf_t text = {NULL, 0, 0};
	json_t *request;
	int rc;

	request = new_request(method, params);
	if(request == NULL) {
		pctl_err("cannot build the request (method not UTF-8?)");
		return PCTL_EXIT_TRANSPORT;
	}
	if(target->url != NULL)
		rc = pctl_http_call(target->url, request, target->timeout, &text);
	else
		rc = pctl_fifo_call(target->fifo, request, target->timeout, &text);
	json_decref(request);
	if(rc == PCTL_EXIT_OK)
		rc = read_reply(verb, &text, result);
	pctl_buf_free(&text);
	return rc;
}
