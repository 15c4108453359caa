/* The detail pane (Enter): everything the cache joins about the selected row,
 * one line per related record ("stop", "vehicle", "audit", ...), wrapped to
 * the screen, values written by what their column names say. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define MAX_LINES 400
#define LINE_LEN 600

struct lines {
	char text[MAX_LINES][LINE_LEN];
	enum view_slot slot[MAX_LINES];
	int n;
};

static void add_line(struct lines *l, enum view_slot slot, const char *s)
{
	if (l->n >= MAX_LINES)
		return;
	snprintf(l->text[l->n], LINE_LEN, "%s", s);
	l->slot[l->n++] = slot;
}

/* dst = a + sep + b, cut to fit (a cut character is drawn as '?'). */
static void join(char *dst, size_t cap, const char *a, const char *sep, const char *b)
{
	const char *parts[3] = {a, sep, b};
	size_t n = 0;
	for (int i = 0; i < 3; i++)
		for (const char *c = parts[i]; *c && n + 1 < cap; c++)
			dst[n++] = *c;
	dst[n] = '\0';
}

/* Appends "label  item  item ..." wrapped at width; continuation lines start
 * under the first item. An item longer than a line is cut when drawn. */
static void add_items(struct lines *l, const char *label, char items[][LINE_LEN], int n, int width)
{
	char line[LINE_LEN];
	snprintf(line, sizeof(line), "%-10s", label);
	bool empty = true;
	for (int i = 0; i < n; i++) {
		char trial[LINE_LEN];
		join(trial, sizeof(trial), line, " ", items[i]);
		if (!empty && tui_text_width(trial) > width) {
			add_line(l, VIEW_S_row, line);
			join(line, sizeof(line), "           ", "", items[i]);
		} else {
			memcpy(line, trial, sizeof(line));
		}
		empty = false;
	}
	add_line(l, VIEW_S_row, line);
}

/* Splits prose into words for add_items. */
static int words(const char *text, char out[][LINE_LEN], int max)
{
	int n = 0;
	while (*text && n < max) {
		while (*text == ' ')
			text++;
		size_t k = strcspn(text, " ");
		if (!k)
			break;
		snprintf(out[n++], LINE_LEN, "%.*s", (int)k, text);
		text += k;
	}
	return n;
}

static void build(struct tui_console *s, const struct cache_detail *d, int width, struct lines *l)
{
	static char items[160][LINE_LEN];
	const char *prev = NULL;
	for (int r = 0; r < d->nrecs; r++) {
		const struct cache_detail_rec *rec = &d->recs[r];
		const char *label = prev && !strcmp(prev, rec->section) ? "" : rec->section;
		prev = rec->section;
		int n = 0;
		if (!strcmp(rec->section, "evidence")) {
			if (rec->nfields && rec->vals[0].t == CV_TEXT)
				n = words(rec->vals[0].s, items, 160);
			add_items(l, label, items, n, width);
			continue;
		}
		for (int f = 0; f < rec->nfields && n < 160; f++) {
			if (rec->vals[f].t == CV_NULL)
				continue;
			char v[400];
			view_fmt_named(rec->names[f], &rec->vals[f], tui_now(s), tui_term_utf8(), v,
			               sizeof(v));
			snprintf(items[n++], LINE_LEN, "%s %s%s", rec->names[f], v,
			         f + 1 < rec->nfields ? " " : "");
		}
		add_items(l, label, items, n, width);
	}
}

void tui_detail_draw(struct tui_console *s, int y, int h, int w)
{
	static struct lines l;
	struct tui_table *t = tui_current(s);
	l.n = 0;
	if (!t->sel_id[0]) {
		add_line(&l, VIEW_S_row, " Nothing selected.");
	} else if (!t->view->detail_kind) {
		add_line(&l, VIEW_S_row, " No detail on this board.");
	} else {
		struct cache_detail d;
		struct wb_err err = {0};
		if (cache_detail(s->cache, t->view->detail_kind, t->sel_id, &d, &err) != 0) {
			add_line(&l, VIEW_S_error, err.msg);
		} else {
			if (d.nrecs == 0)
				add_line(&l, VIEW_S_row, " Nothing more is known about this row.");
			build(s, &d, w - 2, &l);
			cache_detail_free(&d);
		}
	}
	if (s->pane_scroll > l.n - h)
		s->pane_scroll = l.n - h > 0 ? l.n - h : 0;
	for (int i = 0; i < h; i++) {
		int k = i + (s->pane == TUI_PANE_FULL ? s->pane_scroll : 0);
		tui_put(y + i, 0, 1, VIEW_LEFT, VIEW_S_row, "");
		tui_put(y + i, 1, w - 1, VIEW_LEFT, k < l.n ? l.slot[k] : VIEW_S_row,
		        k < l.n ? l.text[k] : "");
	}
}
