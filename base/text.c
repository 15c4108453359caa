/* Text helpers (base/text.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "base/text.h"

char *wb_utf8_trim(char *s)
{
	size_t n = strlen(s), i = n;
	while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80 && n - i < 3)
		i--;
	if (i == 0 || ((unsigned char)s[i - 1] & 0x80) == 0)
		return s; /* ends in ASCII (or only continuation bytes: not ours to judge) */
	unsigned char lead = (unsigned char)s[i - 1];
	size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	if (n - (i - 1) < need)
		s[i - 1] = '\0';
	return s;
}

bool wb_text_unsafe(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E ||
	       cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t wb_utf8_decode(const char *str, size_t len, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char b = s[0];
	size_t need;
	uint32_t c, min;
	if (b < 0x80) {
		*cp = b;
		return 1;
	} else if (b >= 0xC2 && b <= 0xDF) {
		need = 2, c = b & 0x1F, min = 0x80;
	} else if (b >= 0xE0 && b <= 0xEF) {
		need = 3, c = b & 0x0F, min = 0x800;
	} else if (b >= 0xF0 && b <= 0xF4) {
		need = 4, c = b & 0x07, min = 0x10000;
	} else {
		return 0; /* a continuation byte (raw 0x80-0xBF), C0/C1 leads, F5-FF */
	}
	if (len < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return need;
}

size_t wb_text_next(const char *s, size_t len, uint32_t *cp)
{
	size_t k = wb_utf8_decode(s, len, cp);
	if (k == 0 || wb_text_unsafe(*cp)) {
		*cp = WB_TEXT_REPLACEMENT;
		return k ? k : 1;
	}
	return k;
}

int wb_text_cells(uint32_t cp)
{
	int w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : w;
}

/* Measures (out NULL) or writes the safe form of in within max_cells cells
 * and room bytes; returns the cells and sets *bytes and *whole (all of in
 * fitted). */
static int lay(char *out, const char *in, int max_cells, size_t room, size_t *bytes, bool *whole)
{
	size_t len = strlen(in), o = 0;
	int cells = 0;
	*whole = true;
	while (len) {
		uint32_t cp;
		size_t k = wb_text_next(in, len, &cp);
		size_t ob = cp == WB_TEXT_REPLACEMENT ? 1 : k;
		int w = wb_text_cells(cp);
		if ((max_cells >= 0 && cells + w > max_cells) || o + ob > room) {
			*whole = false;
			break;
		}
		if (out) {
			if (cp == WB_TEXT_REPLACEMENT)
				out[o] = WB_TEXT_REPLACEMENT;
			else
				memcpy(out + o, in, k);
		}
		o += ob;
		cells += w;
		in += k;
		len -= k;
	}
	*bytes = o;
	return cells;
}

int wb_text_safe(char *out, size_t size, const char *in, int max_cells, const char *ellipsis,
                 bool *cut)
{
	size_t n;
	bool whole;
	if (cut)
		*cut = false;
	if (size == 0)
		return 0;
	int cells = lay(NULL, in, max_cells, size - 1, &n, &whole);
	if (whole) {
		lay(out, in, max_cells, size - 1, &n, &whole);
		out[n] = '\0';
		return cells;
	}
	if (cut)
		*cut = true;
	/* Room for the ellipsis, when it fits at all. */
	size_t eb = 0;
	bool ewhole = false;
	int ec = ellipsis ? lay(NULL, ellipsis, -1, (size_t)-1, &eb, &ewhole) : 0;
	if (!ellipsis || (max_cells >= 0 && ec > max_cells) || eb > size - 1)
		ec = 0, eb = 0;
	cells = lay(out, in, max_cells >= 0 ? max_cells - ec : -1, size - 1 - eb, &n, &whole);
	if (eb) {
		cells += lay(out + n, ellipsis, -1, eb, &eb, &ewhole);
		n += eb;
	}
	out[n] = '\0';
	return cells;
}

char *wb_json_escape_unsafe(const char *json)
{
	size_t len = strlen(json);
	char *out = malloc(len * 6 + 1), *o = out;
	if (!out)
		return NULL;
	while (len) {
		uint32_t cp;
		size_t k = wb_utf8_decode(json, len, &cp);
		if (k == 0) {
			*o++ = WB_TEXT_REPLACEMENT;
			k = 1;
		} else if (cp >= 0x7F && wb_text_unsafe(cp)) {
			/* Only inside strings: every byte of JSON's syntax is ASCII. */
			o += sprintf(o, "\\u%04x", (unsigned)cp);
		} else {
			memcpy(o, json, k);
			o += k;
		}
		json += k;
		len -= k;
	}
	*o = '\0';
	return out;
}
