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
/* pchatctl: turns an RPC answer into the text or JSON printed. Sends
 * nothing. */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

#define PCTL_NONE "(none)" /* an empty list */
#define PCTL_NULL "-"	   /* a null or absent value */

/* Characters on screen, assuming one column per UTF-8 character: room and
 * user names are not always ASCII, and bytes would misalign the table. */
static size_t screen_width(const char *s)
{
	size_t width = 0;

	for(; *s != '\0'; s++) {
		if(((unsigned char)*s & 0xC0) != 0x80)
			width++;
	}
	return width;
}

static int is_scalar(json_t *value)
{
	return !json_is_object(value) && !json_is_array(value);
}

char *pctl_printable(const char *s)
{
	const unsigned char *p;
	char *out, *q;

	/* at most 4 bytes for each input byte: "\x1b" for 1, "\u009b" for 2 */
	out = malloc(strlen(s) * 4 + 1);
	if(out == NULL)
		return NULL;
	for(p = (const unsigned char *)s, q = out; *p != '\0'; p++) {
		if(*p == '\n' || *p == '\r' || *p == '\t') {
			*q++ = '\\';
			*q++ = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
		} else if(*p < 0x20 || *p == 0x7f) {
			q += sprintf(q, "\\x%02x", *p);
		} else if(*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			/* C1 controls in UTF-8: U+009B is a CSI on many terminals */
			q += sprintf(q, "\\u%04x", p[1]);
			p++;
		} else {
			*q++ = (char)*p;
		}
	}
	*q = '\0';
	return out;
}

static char *cell_text(json_t *value);

/* Lists of names (members, managers...) read best as a,b,c. */
static char *join_scalars(json_t *array)
{
	size_t len = 0;
	size_t index;
	json_t *item;
	char **texts;
	char *joined = NULL;

	texts = calloc(json_array_size(array) + 1, sizeof(char *));
	if(texts == NULL)
		return NULL;
	json_array_foreach(array, index, item)
	{
		texts[index] = cell_text(item);
		if(texts[index] == NULL)
			goto done;
		len += strlen(texts[index]) + 1;
	}
	joined = malloc(len + 1);
	if(joined == NULL)
		goto done;
	joined[0] = '\0';
	json_array_foreach(array, index, item)
	{
		if(index > 0)
			strcat(joined, ",");
		strcat(joined, texts[index]);
	}
done:
	for(index = 0; index < json_array_size(array); index++)
		free(texts[index]);
	free(texts);
	return joined;
}

static int all_scalars(json_t *array)
{
	size_t index;
	json_t *item;

	json_array_foreach(array, index, item)
	{
		if(!is_scalar(item))
			return 0;
	}
	return 1;
}

/* A value as table cell or after "key: "; always a new string. */
static char *cell_text(json_t *value)
{
	if(value == NULL || json_is_null(value))
		return strdup(PCTL_NULL);
	if(json_is_string(value))
		return pctl_printable(json_string_value(value));
	if(json_is_array(value) && all_scalars(value))
		return join_scalars(value);
	/* numbers, booleans and whatever nests deeper: compact JSON */
	return json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
}

static void print_padded(FILE *out, const char *text, size_t width)
{
	size_t pad = width - screen_width(text);

	fputs(text, out);
	while(pad-- > 0)
		fputc(' ', out);
}

/* The header is every key seen, in the order first seen. */
static json_t *table_columns(json_t *rows)
{
	json_t *columns = json_array();
	json_t *row;
	json_t *seen = json_object();
	const char *key;
	json_t *value;
	size_t index;

	if(columns == NULL || seen == NULL)
		goto fail;
	json_array_foreach(rows, index, row)
	{
		json_object_foreach(row, key, value)
		{
			if(json_object_get(seen, key) != NULL)
				continue;
			if(json_object_set(seen, key, json_true()) < 0
					|| json_array_append_new(columns, json_string(key)) < 0)
				goto fail;
		}
	}
	json_decref(seen);
	return columns;
fail:
	json_decref(seen);
	json_decref(columns);
	return NULL;
}

/* A column header: the key in capitals, escaped like any value. */
static char *upper_case(const char *s)
{
	char *copy = strdup(s);
	char *shown;
	char *p;

	if(copy == NULL)
		return NULL;
	for(p = copy; *p != '\0'; p++)
		*p = toupper((unsigned char)*p);
	shown = pctl_printable(copy);
	free(copy);
	return shown;
}

/* cells[r][c], row 0 being the header; columns two spaces apart, the last
 * one not padded so that lines carry no trailing blanks. */
static void print_cells(FILE *out, char ***cells, size_t nrows, size_t ncols)
{
	size_t *widths;
	size_t r;
	size_t c;

	widths = calloc(ncols, sizeof(size_t));
	if(widths == NULL)
		return;
	for(r = 0; r < nrows; r++) {
		for(c = 0; c < ncols; c++) {
			if(screen_width(cells[r][c]) > widths[c])
				widths[c] = screen_width(cells[r][c]);
		}
	}
	for(r = 0; r < nrows; r++) {
		for(c = 0; c + 1 < ncols; c++) {
			print_padded(out, cells[r][c], widths[c]);
			fputs("  ", out);
		}
		fprintf(out, "%s\n", cells[r][ncols - 1]);
	}
	free(widths);
}

static void free_cells(char ***cells, size_t nrows, size_t ncols)
{
	size_t r;
	size_t c;

	for(r = 0; r < nrows; r++) {
		if(cells[r] == NULL)
			continue;
		for(c = 0; c < ncols; c++)
			free(cells[r][c]);
		free(cells[r]);
	}
	free(cells);
}

static int print_table(FILE *out, json_t *rows)
{
	json_t *columns;
	json_t *column;
	size_t nrows = json_array_size(rows) + 1;
	size_t ncols;
	size_t r;
	size_t c;
	char ***cells = NULL;
	int rc = -1;

	columns = table_columns(rows);
	if(columns == NULL)
		return -1;
	ncols = json_array_size(columns);
	if(ncols == 0) { /* only empty objects */
		json_decref(columns);
		fprintf(out, "%s\n", PCTL_NONE);
		return 0;
	}
	cells = calloc(nrows, sizeof(char **));
	if(cells == NULL)
		goto done;
	for(r = 0; r < nrows; r++) {
		cells[r] = calloc(ncols, sizeof(char *));
		if(cells[r] == NULL)
			goto done;
		json_array_foreach(columns, c, column)
		{
			if(r == 0)
				cells[r][c] = upper_case(json_string_value(column));
			else
				cells[r][c] =
						cell_text(json_object_get(json_array_get(rows, r - 1),
								json_string_value(column)));
			if(cells[r][c] == NULL)
				goto done;
		}
	}
	print_cells(out, cells, nrows, ncols);
	rc = 0;
done:
	if(cells != NULL)
		free_cells(cells, nrows, ncols);
	json_decref(columns);
	return rc;
}

/* "key: value" lines, the values aligned. */
static int print_fields(FILE *out, json_t *object)
{
	const char *key;
	json_t *value;
	size_t width = 0;
	char *text;
	char *shown;

	json_object_foreach(object, key, value)
	{
		shown = pctl_printable(key);
		if(shown == NULL)
			return -1;
		if(screen_width(shown) > width)
			width = screen_width(shown);
		free(shown);
	}
	json_object_foreach(object, key, value)
	{
		text = cell_text(value);
		if(text == NULL)
			return -1;
		shown = pctl_printable(key);
		if(shown == NULL) {
			free(text);
			return -1;
		}
		fprintf(out, "%s:", shown);
		print_padded(out, "", width - screen_width(shown));
		fprintf(out, " %s\n", text);
		free(shown);
		free(text);
	}
	return 0;
}

/* One line per item; used when an array holds more than objects. */
static int print_lines(FILE *out, json_t *array)
{
	size_t index;
	json_t *item;
	char *text;

	json_array_foreach(array, index, item)
	{
		text = is_scalar(item) ? cell_text(item)
							   : json_dumps(item, JSON_COMPACT);
		if(text == NULL)
			return -1;
		fprintf(out, "%s\n", text);
		free(text);
	}
	return 0;
}

static int all_objects(json_t *array)
{
	size_t index;
	json_t *item;

	json_array_foreach(array, index, item)
	{
		if(!json_is_object(item))
			return 0;
	}
	return 1;
}

static int print_json(FILE *out, json_t *result)
{
	char *text = json_dumps(result, JSON_INDENT(2) | JSON_ENCODE_ANY);

	if(text == NULL)
		return -1;
	fprintf(out, "%s\n", text);
	free(text);
	return 0;
}

int pctl_render(FILE *out, json_t *result, int as_json)
{
	char *text;

	if(as_json)
		return print_json(out, result);
	if(json_is_array(result)) {
		if(json_array_size(result) == 0) {
			fprintf(out, "%s\n", PCTL_NONE);
			return 0;
		}
		if(all_objects(result))
			return print_table(out, result);
		return print_lines(out, result);
	}
	if(json_is_object(result))
		return print_fields(out, result);
	if(json_is_null(result))
		return 0; /* nothing to say, e.g. after remove-room */
	text = cell_text(result);
	if(text == NULL)
		return -1;
	fprintf(out, "%s\n", text);
	free(text);
	return 0;
}
