/* An incremental Server-Sent Events parser, after the WHATWG HTML "event
 * stream interpretation": lines end in CRLF, LF or CR; a blank line dispatches;
 * ":" starts a comment; fields are event, data, id and retry. Bytes arrive in
 * pieces cut anywhere, including between the CR and LF of one line ending. */
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

void sse_init(struct sse_parser *p, size_t max, sse_event_fn fn, void *arg)
{
	memset(p, 0, sizeof(*p));
	p->fn = fn;
	p->arg = arg;
	p->max = max ? max : SSE_DEFAULT_MAX_EVENT;
	p->retry_ms = -1;
}

void sse_free(struct sse_parser *p)
{
	free(p->line);
	free(p->data);
	p->line = p->data = NULL;
	p->line_len = p->line_cap = p->data_len = p->data_cap = 0;
}

void sse_reset(struct sse_parser *p)
{
	p->line_len = p->data_len = 0;
	p->type[0] = '\0';
	/* An id: of an event that never completed does not count. */
	memcpy(p->id_buf, p->id, sizeof(p->id));
	p->cr = p->started = p->skip_line = p->overflow = false;
}

const char *sse_last_id(const struct sse_parser *p)
{
	return p->id;
}

long sse_retry_ms(const struct sse_parser *p)
{
	return p->retry_ms;
}

static int reserve(char **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 256;
	while (c < need)
		c *= 2;
	char *b = realloc(*buf, c);
	if (!b)
		return WB_ENOMEM;
	*buf = b;
	*cap = c;
	return 0;
}

static int dispatch(struct sse_parser *p)
{
	memcpy(p->id, p->id_buf, sizeof(p->id));
	bool drop = p->overflow || p->data_len == 0;
	p->overflow = false;
	if (drop) {
		p->data_len = 0;
		p->type[0] = '\0';
		return 0;
	}
	p->data[--p->data_len] = '\0'; /* the last "\n" appended by a data line */
	struct sse_event ev = {
	        .type = p->type[0] ? p->type : "message",
	        .data = p->data,
	        .data_len = p->data_len,
	        .id = p->id,
	};
	int r = p->fn(&ev, p->arg);
	p->data_len = 0;
	p->type[0] = '\0';
	return r;
}

static bool field_is(const char *f, size_t flen, const char *name)
{
	return strlen(name) == flen && memcmp(f, name, flen) == 0;
}

static int process_line(struct sse_parser *p, const char *line, size_t len)
{
	if (!p->started) {
		p->started = true;
		if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
			line += 3, len -= 3;
	}
	if (len == 0)
		return dispatch(p);
	if (p->overflow || line[0] == ':')
		return 0;
	const char *colon = memchr(line, ':', len);
	size_t flen = colon ? (size_t)(colon - line) : len;
	const char *v = colon ? colon + 1 : "";
	size_t vlen = colon ? len - flen - 1 : 0;
	if (vlen && *v == ' ')
		v++, vlen--;

	if (field_is(line, flen, "data")) {
		if (p->data_len + vlen + 2 > p->max) {
			p->overflow = true;
			p->data_len = 0;
			return 0;
		}
		if (reserve(&p->data, &p->data_cap, p->data_len + vlen + 2))
			return WB_ENOMEM;
		memcpy(p->data + p->data_len, v, vlen);
		p->data_len += vlen;
		p->data[p->data_len++] = '\n';
		p->data[p->data_len] = '\0';
	} else if (field_is(line, flen, "event")) {
		if (vlen >= sizeof(p->type)) {
			p->overflow = true;
			return 0;
		}
		memcpy(p->type, v, vlen);
		p->type[vlen] = '\0';
	} else if (field_is(line, flen, "id")) {
		if (!memchr(v, '\0', vlen) && vlen < sizeof(p->id_buf)) {
			memcpy(p->id_buf, v, vlen);
			p->id_buf[vlen] = '\0';
		}
	} else if (field_is(line, flen, "retry")) {
		long ms = 0;
		size_t i;
		for (i = 0; i < vlen && v[i] >= '0' && v[i] <= '9'; i++)
			ms = ms > 100000000 ? ms : ms * 10 + (v[i] - '0');
		if (vlen > 0 && i == vlen)
			p->retry_ms = ms;
	}
	/* Any other field is ignored, as the spec says. */
	return 0;
}

int sse_feed(struct sse_parser *p, const char *buf, size_t len)
{
	size_t i = 0;
	while (i < len) {
		if (p->cr) {
			p->cr = false;
			if (buf[i] == '\n') {
				i++;
				continue;
			}
		}
		const char *s = buf + i;
		size_t rem = len - i, k = 0;
		while (k < rem && s[k] != '\r' && s[k] != '\n')
			k++;
		if (!p->skip_line && p->line_len + k > p->max) {
			p->skip_line = true;
			p->line_len = 0;
		}
		if (k == rem) { /* no line end yet: keep the piece */
			if (!p->skip_line) {
				if (reserve(&p->line, &p->line_cap, p->line_len + k + 1))
					return WB_ENOMEM;
				memcpy(p->line + p->line_len, s, k);
				p->line_len += k;
			}
			return 0;
		}
		p->cr = s[k] == '\r';
		i += k + 1;
		int r = 0;
		if (p->skip_line) {
			p->skip_line = false;
			p->overflow = true;
			p->data_len = 0;
		} else if (p->line_len == 0) {
			r = process_line(p, s, k);
		} else {
			if (reserve(&p->line, &p->line_cap, p->line_len + k + 1))
				return WB_ENOMEM;
			memcpy(p->line + p->line_len, s, k);
			r = process_line(p, p->line, p->line_len + k);
			p->line_len = 0;
		}
		if (r != 0)
			return r;
	}
	return 0;
}
