/* The commands' output (cli/out.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "cli/out.h"

static void vline(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	va_list aq;
	va_copy(aq, ap);
	int n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return;
	char *raw = malloc((size_t)n + 1), *safe = malloc((size_t)n + 1);
	if (raw && safe) {
		vsnprintf(raw, (size_t)n + 1, fmt, ap);
		/* Never longer: each replaced character becomes one byte. */
		wb_text_safe(safe, (size_t)n + 1, raw, -1, NULL, NULL);
		fprintf(f, "%s%s\n", prefix, safe);
	}
	free(raw);
	free(safe);
}

void out_line(FILE *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vline(f, "", fmt, ap);
	va_end(ap);
}

void out_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vline(stderr, "waybill: ", fmt, ap);
	va_end(ap);
}

int out_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vline(stderr, "waybill: ", fmt, ap);
	va_end(ap);
	fputs("Try 'waybill --help'.\n", stderr);
	return 2;
}

const char *out_cut(char *buf, size_t len, const char *text, int cells)
{
	wb_text_safe(buf, len, text ? text : "", cells, "\u2026", NULL);
	return buf;
}

const char *out_cell(char *buf, size_t len, const char *text, int cells)
{
	if (len == 0)
		return buf;
	int w = wb_text_safe(buf, len, text ? text : "", cells, "\u2026", NULL);
	size_t n = strlen(buf);
	while (w < cells && n + 1 < len) {
		buf[n++] = ' ';
		w++;
	}
	buf[n] = '\0';
	return buf;
}

int out_json(FILE *f, const json_t *j, size_t flags)
{
	char *s = j ? json_dumps(j, flags) : NULL;
	char *safe = s ? wb_json_escape_unsafe(s) : NULL;
	free(s);
	if (!safe)
		return -1;
	int rc = fprintf(f, "%s\n", safe) < 0 ? -1 : 0;
	free(safe);
	return rc;
}
