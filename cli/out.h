/* Every line a command prints goes through here: text from a source, the
 * cache or a config file is made safe for a terminal on its way out (no
 * escape sequence, control, bidi override or undecodable byte reaches it:
 * base/text.h), and JSON is written with those characters escaped. */
#ifndef WAYBILL_CLI_OUT_H
#define WAYBILL_CLI_OUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Formats one line, sanitises all of it (a newline inside a value becomes
 * '?', so one record stays one line) and writes it and "\n" to f. */
void out_line(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "waybill: " and the formatted text on stderr, as out_line. */
void out_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error: out_error's line and "Try 'waybill --help'."; returns 2,
 * the exit code of a usage error. */
int out_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* text, safe, in at most cells terminal cells; "…" ends it when cut, and
 * no character is ever split. Returns buf. */
const char *out_cut(char *buf, size_t len, const char *text, int cells);
/* out_cut, then padded with spaces to exactly cells: a column. */
const char *out_cell(char *buf, size_t len, const char *text, int cells);
/* j as one line of JSON (jansson's flags) with the characters a terminal
 * acts on escaped (wb_json_escape_unsafe). 0 ok, -1 when j could not be
 * written (NULL, not UTF-8, out of memory). */
int out_json(FILE *f, const json_t *j, size_t flags);

#endif
