/* What a source said when it refused a request: the message in its error body
 * ({"error":{"message":..}}, RFC 7807's "detail", an HTML page's <title>, a
 * plain-text line), reduced to one short line that is safe to print. */
#include <jansson.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "base/text.h"
#include "sync/sync.h"

/* Characters that would move the cursor, recolour the terminal or reorder the
 * line (wb_text_unsafe), and the line and paragraph separators and the BOM,
 * which would break the one line. */
static int unprintable(uint32_t c)
{
	return wb_text_unsafe(c) || c == 0x2028 || c == 0x2029 || c == 0xFEFF;
}

size_t sync_text_one_line(const char *in, size_t n, char *out, size_t outlen)
{
	if (!outlen)
		return 0;
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0, i = 0;
	int space = 0, cut = 0;
	/* Room for "…" (3 bytes) and the NUL, so a cut line still ends visibly cut. */
	size_t room = outlen > 4 ? outlen - 4 : 0;
	while (i < n) {
		uint32_t c = 0xFFFD;
		const unsigned char *src = s + i;
		size_t w = wb_utf8_decode((const char *)s + i, n - i, &c);
		if (w) {
			i += w;
		} else { /* a byte that is not UTF-8 shows as U+FFFD */
			src = (const unsigned char *)"\xEF\xBF\xBD";
			w = 3;
			i++;
		}
		if (c == ' ' || unprintable(c)) {
			space = o > 0;
			continue;
		}
		if (o + space + w > room) {
			cut = 1;
			break;
		}
		if (space)
			out[o++] = ' ';
		space = 0;
		memcpy(out + o, src, w);
		o += w;
	}
	if (cut && outlen >= 4) {
		memcpy(out + o, "\xE2\x80\xA6", 3);
		o += 3;
	}
	out[o] = '\0';
	return o;
}

static const char *json_message(json_t *j)
{
	json_t *e = json_object_get(j, "error");
	const char *m = json_string_value(json_object_get(e, "message"));
	if (!m)
		m = json_string_value(e);
	static const char *const keys[] = {"message", "detail", "title", "error_description"};
	for (size_t i = 0; !m && i < sizeof(keys) / sizeof(keys[0]); i++)
		m = json_string_value(json_object_get(j, keys[i]));
	json_t *first = json_array_get(json_object_get(j, "errors"), 0);
	if (!m)
		m = json_string_value(json_object_get(first, "message"));
	if (!m)
		m = json_string_value(first);
	return m;
}

/* An HTML page's <title>, else nothing (its markup is no message). */
static size_t html_title(const char *body, size_t len, char *out, size_t outlen)
{
	const char *end = body + len;
	for (const char *p = body; p + 7 <= end; p++) {
		if (strncasecmp(p, "<title", 6) != 0 || (p[6] != '>' && p[6] != ' '))
			continue;
		const char *from = memchr(p, '>', (size_t)(end - p));
		if (!from)
			return 0;
		from++;
		const char *to = from;
		while (to + 8 <= end && strncasecmp(to, "</title>", 8) != 0)
			to++;
		return sync_text_one_line(from, to + 8 <= end ? (size_t)(to - from) : 0, out,
		                          outlen);
	}
	return 0;
}

size_t sync_source_text(const char *body, size_t len, const char *content_type, char *out,
                        size_t outlen)
{
	if (outlen)
		out[0] = '\0';
	if (!body || !len || !outlen)
		return 0;
	/* An error body is small: a big one is quoted as text, never parsed. */
	json_error_t je;
	json_t *j = len <= CONNECTOR_RECORD_JSON_MAX ? json_loadb(body, len, 0, &je) : NULL;
	if (j) {
		const char *m = json_message(j);
		size_t n = m ? sync_text_one_line(m, strlen(m), out, outlen) : 0;
		json_decref(j);
		return n;
	}
	const char *ct = content_type ? content_type : "";
	size_t skip = strspn(body, " \t\r\n");
	if (strncasecmp(ct, "text/html", 9) == 0 || (skip < len && body[skip] == '<'))
		return html_title(body, len, out, outlen);
	if (*ct && strncasecmp(ct, "text/", 5) != 0)
		return 0; /* JSON that did not parse, or binary: nothing a person wrote */
	return sync_text_one_line(body, len, out, outlen);
}
