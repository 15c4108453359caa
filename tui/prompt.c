/* The input line for `/` filters and `:` commands: editing, history (Up and
 * Down) and a hard cap on length. Control characters never get into the line,
 * whatever is pasted, so nothing but printable text ever reaches a query
 * (where it is bound anyway). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "internal.h"

void tui_prompt_start(struct tui_prompt *p, int kind)
{
	memset(p, 0, sizeof(*p));
	p->active = true;
	p->kind = kind;
	p->hist_pos = -1;
}

static size_t put_utf8(int32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

void tui_prompt_text(const struct tui_prompt *p, char *buf, size_t len)
{
	size_t o = 0;
	for (int i = 0; i < p->len && o + 5 < len; i++)
		o += put_utf8(p->buf[i], buf + o);
	buf[o] = '\0';
}

void tui_prompt_set(struct tui_prompt *p, const char *s)
{
	p->len = 0;
	const unsigned char *u = (const unsigned char *)s;
	while (*u && p->len < TUI_INPUT_MAX) {
		int32_t c = *u++;
		int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
		if (more)
			c &= 0x3f >> more;
		for (; more && (*u & 0xc0) == 0x80; more--)
			c = (c << 6) | (*u++ & 0x3f);
		if (c >= 0x20 && c != 0x7f)
			p->buf[p->len++] = c;
	}
	p->cur = p->len;
}

static void insert(struct tui_prompt *p, int32_t c)
{
	if (p->len >= TUI_INPUT_MAX) {
		p->capped = true;
		return;
	}
	memmove(p->buf + p->cur + 1, p->buf + p->cur,
	        (size_t)(p->len - p->cur) * sizeof(p->buf[0]));
	p->buf[p->cur++] = c;
	p->len++;
}

static void recall(struct tui_prompt *p, const struct tui_history *h, int dir)
{
	if (!h || h->n == 0)
		return;
	int pos = p->hist_pos < 0 ? h->n : p->hist_pos;
	pos += dir;
	if (pos < 0)
		pos = 0;
	if (pos >= h->n) {
		p->hist_pos = -1;
		p->len = p->cur = 0;
		return;
	}
	p->hist_pos = pos;
	tui_prompt_set(p, h->items[pos]);
}

enum tui_prompt_result tui_prompt_key(struct tui_prompt *p, struct tui_history *h, int key)
{
	switch (key) {
	case '\r':
	case '\n':
	case TUI_FN(KEY_ENTER): p->active = false; return TUI_PROMPT_DONE;
	case TUI_ESC:
	case TUI_CTRL('g'): p->active = false; return TUI_PROMPT_CANCEL;
	case '\t': return TUI_PROMPT_TAB;
	case 0x7f:
	case TUI_CTRL('h'):
	case TUI_FN(KEY_BACKSPACE):
		if (p->cur > 0) {
			memmove(p->buf + p->cur - 1, p->buf + p->cur,
			        (size_t)(p->len - p->cur) * sizeof(p->buf[0]));
			p->cur--;
			p->len--;
		} else if (p->len == 0) {
			p->active = false;
			return TUI_PROMPT_CANCEL;
		}
		break;
	case TUI_FN(KEY_DC):
	case TUI_CTRL('d'):
		if (p->cur < p->len) {
			memmove(p->buf + p->cur, p->buf + p->cur + 1,
			        (size_t)(p->len - p->cur - 1) * sizeof(p->buf[0]));
			p->len--;
		}
		break;
	case TUI_FN(KEY_LEFT):
	case TUI_CTRL('b'):
		if (p->cur > 0)
			p->cur--;
		break;
	case TUI_FN(KEY_RIGHT):
	case TUI_CTRL('f'):
		if (p->cur < p->len)
			p->cur++;
		break;
	case TUI_FN(KEY_HOME):
	case TUI_CTRL('a'): p->cur = 0; break;
	case TUI_FN(KEY_END):
	case TUI_CTRL('e'): p->cur = p->len; break;
	case TUI_CTRL('u'): p->len = p->cur = 0; break;
	case TUI_FN(KEY_UP): recall(p, h, -1); break;
	case TUI_FN(KEY_DOWN): recall(p, h, +1); break;
	default:
		/* Printable characters only: pasted control bytes and escape
		 * sequences are dropped here. */
		if (key >= 0x20 && key != 0x7f && key < 0x110000 && !(key >= 0x80 && key < 0xa0))
			insert(p, key);
	}
	return TUI_PROMPT_EDITING;
}

void tui_history_add(struct tui_history *h, const char *line)
{
	if (!*line || (h->n && !strcmp(h->items[h->n - 1], line)))
		return;
	if (h->n == TUI_HISTORY) {
		free(h->items[0]);
		memmove(h->items, h->items + 1, (TUI_HISTORY - 1) * sizeof(h->items[0]));
		h->n--;
	}
	char *c = strdup(line);
	if (c)
		h->items[h->n++] = c;
}

void tui_history_free(struct tui_history *h)
{
	for (int i = 0; i < h->n; i++)
		free(h->items[i]);
	h->n = 0;
}

void tui_prompt_draw(const struct tui_prompt *p, int y, int w)
{
	/* Shows the end of a line longer than the screen, with the cursor. */
	int room = w - 3;
	int start = p->cur > room ? p->cur - room : 0;
	char text[TUI_INPUT_MAX * 4 + 8];
	struct tui_prompt view = *p;
	view.len = p->len - start;
	memmove(view.buf, p->buf + start, (size_t)view.len * sizeof(view.buf[0]));
	text[0] = (char)p->kind;
	tui_prompt_text(&view, text + 1, sizeof(text) - 1);
	tui_put(y, 0, w, VIEW_LEFT, VIEW_S_status, text);
	int cx = 1;
	for (int i = start; i < p->cur; i++) {
		int cw = wcwidth((wchar_t)p->buf[i]);
		cx += cw > 0 ? cw : 1;
	}
	if (cx < w) {
		char one[8] = " ";
		if (p->cur < p->len)
			one[put_utf8(p->buf[p->cur], one)] = '\0';
		tui_put(y, cx, 1, VIEW_LEFT, VIEW_S_selected, one);
	}
}
