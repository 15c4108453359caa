/* The table as the user shapes and sees it: sort and filter (each restarts
 * the model's window, tui/table.c), marks, Tab completion of ids, and the
 * drawing: column layout, stale rows, and rows whose sync time moved since
 * the board last showed them, marked for a few seconds. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

const char *tui_table_sort_name(const struct tui_table *t)
{
	return t->view->board ? t->view->board->sorts[t->sort] : "";
}

int tui_table_set_sort(struct tui_table *t, const char *col, bool desc, struct wb_err *err)
{
	const struct cache_board *b = t->view->board;
	if (!b)
		return wb_fail(err, WB_EINVALID, "the %s board cannot be sorted", t->view->name);
	for (int i = 0; b->sorts[i]; i++)
		if (!strcasecmp(b->sorts[i], col)) {
			t->sort = i;
			t->desc = desc;
			return tui_table_restart(t, err);
		}
	char list[200] = "";
	size_t n = 0;
	for (int i = 0; b->sorts[i] && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
		                      b->sorts[i]);
	return wb_fail(err, WB_EINVALID, "%s cannot be sorted by \"%.30s\" (try %s)", t->view->name,
	               col, list);
}

int tui_table_cycle_sort(struct tui_table *t, struct wb_err *err)
{
	const struct cache_board *b = t->view->board;
	if (!b)
		return wb_fail(err, WB_EINVALID, "the %s board cannot be sorted", t->view->name);
	t->sort = b->sorts[t->sort + 1] ? t->sort + 1 : 0;
	return tui_table_restart(t, err);
}

int tui_table_set_filter(struct tui_table *t, const char *f, struct wb_err *err)
{
	if (!t->view->board)
		return wb_fail(err, WB_EINVALID, "the %s board cannot be filtered", t->view->name);
	const char *colon = strchr(f, ':');
	size_t wl = colon ? (size_t)(colon - f) : 0;
	bool word = wl > 0;
	for (size_t i = 0; i < wl; i++)
		if (!((f[i] >= 'a' && f[i] <= 'z') || (f[i] >= 'A' && f[i] <= 'Z') || f[i] == '_'))
			word = false;
	if (word && wl == 6 && !strncasecmp(f, "status", 6)) {
		if (!t->view->board->status_col)
			return wb_fail(err, WB_EINVALID, "the %s board has no status to filter on",
			               t->view->name);
		if (!colon[1] || strlen(colon + 1) >= sizeof(t->status))
			return wb_fail(err, WB_EINVALID,
			               "status: needs a value, as in status:planned");
		snprintf(t->status, sizeof(t->status), "%s", colon + 1);
		t->text[0] = '\0';
	} else if (word) {
		return wb_fail(err, WB_EINVALID,
		               "unknown filter field \"%.*s\" (use status:VALUE or plain text)",
		               (int)(wl > 30 ? 30 : wl), f);
	} else {
		snprintf(t->text, sizeof(t->text), "%s", f);
		t->status[0] = '\0';
	}
	return tui_table_restart(t, err);
}

bool tui_table_marked(const struct tui_table *t, const char *id)
{
	for (int i = 0; i < t->nmarks; i++)
		if (!strcmp(t->marks[i], id))
			return true;
	return false;
}

void tui_table_toggle_mark(struct tui_table *t, const char *id)
{
	for (int i = 0; i < t->nmarks; i++)
		if (!strcmp(t->marks[i], id)) {
			free(t->marks[i]);
			t->marks[i] = t->marks[--t->nmarks];
			return;
		}
	if (t->nmarks == t->capmarks) {
		int cap = t->capmarks ? t->capmarks * 2 : 16;
		char **m = realloc(t->marks, (size_t)cap * sizeof(*m));
		if (!m)
			return;
		t->marks = m;
		t->capmarks = cap;
	}
	char *c = strdup(id);
	if (c)
		t->marks[t->nmarks++] = c;
}

int tui_table_complete(struct tui_table *t, const char *prefix, char out[][128], int max)
{
	const struct cache_board *b = t->view->board;
	if (!b || !*prefix)
		return 0;
	struct cache_window_req req;
	memset(&req, 0, sizeof(req));
	req.text = prefix;
	req.limit = 200;
	for (int i = 0; b->sorts[i]; i++)
		if (!strcmp(b->sorts[i], "id"))
			req.sort = "id";
	struct cache_window w;
	if (cache_window(t->cache, b, &req, &w, NULL) != 0)
		return 0;
	t->queries++;
	int n = 0;
	size_t pl = strlen(prefix);
	for (int i = 0; i < w.nrows && n < max; i++) {
		char id[128];
		tui_value_text(&w.cells[(size_t)i * (size_t)w.ncols], id, sizeof(id));
		if (!strncasecmp(id, prefix, pl))
			snprintf(out[n++], 128, "%s", id);
	}
	cache_window_free(&w);
	return n;
}

/* Column widths for a screen w cells wide: the flexible column takes what is
 * left over, or gives up room down to 3 cells. */
static void layout(const struct view_ops *v, int w, int *widths)
{
	int total = 1, flex = -1;
	for (int i = 0; i < v->ncols; i++) {
		widths[i] = v->cols[i].width;
		total += widths[i] + (i ? 1 : 0);
		if (v->cols[i].flex)
			flex = i;
	}
	if (flex >= 0) {
		widths[flex] += w - total;
		if (widths[flex] < 3)
			widths[flex] = 3;
	}
}

/* The row's sync time: the board's stale_col, else synced_at; 0 unknown. */
static int64_t row_synced_at(const struct tui_table *t, const struct view_row *r)
{
	return view_int(view_get(r, t->view->stale_col ? t->view->stale_col : "synced_at"), 0);
}

static bool row_stale(const struct tui_table *t, const struct view_row *r, int64_t now,
                      const struct tui_confirmed *conf, int nconf)
{
	const struct cache_value *src =
	        t->view->source_col ? view_get(r, t->view->source_col) : NULL;
	const char *source = src && src->t == CV_TEXT ? src->s : NULL;
	int64_t confirmed = 0;
	for (int i = 0; source && i < nconf; i++)
		if (!strcmp(conf[i].source, source))
			confirmed = conf[i].at;
	return view_row_stale(source, row_synced_at(t, r), confirmed, t->view->stale_after_s, now);
}

static struct tui_seen *seen_add(struct tui_seen **v, int *n, int *cap)
{
	if (*n == *cap) {
		int nc = *cap ? *cap * 2 : 32;
		struct tui_seen *nv = realloc(*v, (size_t)nc * sizeof(*nv));
		if (!nv)
			return NULL;
		*v = nv;
		*cap = nc;
	}
	return &(*v)[(*n)++];
}

static const struct tui_seen *seen_find(const struct tui_seen *v, int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v[i].id, id))
			return &v[i];
	return NULL;
}

bool tui_table_changed(const struct tui_table *t, const char *id, int64_t now)
{
	const struct tui_seen *c = seen_find(t->changed, t->nchanged, id);
	return c && now - c->at < TUI_CHANGED_S;
}

/* Compares the rows about to be drawn with those drawn last time: a row whose
 * sync time moved, or a row not on screen then that was synced since, is
 * marked changed at now. The board's first draw marks nothing. A screen holds
 * a few dozen rows, so linear scans cost less than the query that read them. */
void tui_table_note_changes(struct tui_table *t, int64_t now)
{
	int vis = tui_table_visible(t);
	int keep = 0;
	for (int i = 0; i < t->nchanged; i++) /* forget expired marks */
		if (now - t->changed[i].at < TUI_CHANGED_S)
			t->changed[keep++] = t->changed[i];
	t->nchanged = keep;
	if (t->view->no_change_marks)
		return;
	struct tui_seen *prev = t->shown;
	int nprev = t->nshown;
	t->shown = NULL;
	t->nshown = t->capshown = 0;
	for (int i = 0; i < vis; i++) {
		struct view_row r = {.board = t->view->board, .cells = tui_table_row(t, i)};
		int64_t synced = row_synced_at(t, &r);
		char id[128];
		tui_table_row_id(t, i, id, sizeof(id));
		const struct tui_seen *was = seen_find(prev, nprev, id);
		bool moved = synced > 0 && t->shown_at > 0 &&
		             (was ? was->at != synced : synced >= t->shown_at);
		if (moved && !seen_find(t->changed, t->nchanged, id)) {
			struct tui_seen *c = seen_add(&t->changed, &t->nchanged, &t->capchanged);
			if (c) {
				snprintf(c->id, sizeof(c->id), "%s", id);
				c->at = now;
			}
		} else if (moved) {
			for (int k = 0; k < t->nchanged; k++)
				if (!strcmp(t->changed[k].id, id))
					t->changed[k].at = now;
		}
		struct tui_seen *s = seen_add(&t->shown, &t->nshown, &t->capshown);
		if (s) {
			snprintf(s->id, sizeof(s->id), "%s", id);
			s->at = synced;
		}
	}
	free(prev);
	t->shown_at = now;
}

void tui_table_draw(struct tui_table *t, int y, int h, int w, int64_t now,
                    const struct tui_confirmed *conf, int nconf)
{
	const struct view_ops *v = t->view;
	int widths[32];
	if (!v->board) {
		tui_put(y, 0, w, VIEW_LEFT, VIEW_S_column, "");
		for (int i = 1; i < h; i++)
			tui_put(y + i, 0, w, VIEW_LEFT, VIEW_S_row, "");
		if (h > 2)
			tui_put(y + 2, 2, w - 2, VIEW_LEFT, VIEW_S_row, v->placeholder);
		return;
	}
	layout(v, w, widths);
	int x = 1;
	tui_put(y, 0, 1, VIEW_LEFT, VIEW_S_column, "");
	for (int c = 0; c < v->ncols && x < w; c++) {
		tui_put(y, x, widths[c], v->cols[c].align, VIEW_S_column, v->cols[c].header);
		x += widths[c];
		if (x < w)
			tui_put(y, x++, 1, VIEW_LEFT, VIEW_S_column, "");
	}
	if (x < w)
		tui_put(y, x, w - x, VIEW_LEFT, VIEW_S_column, "");
	int vis = tui_table_visible(t);
	tui_table_note_changes(t, now);
	for (int i = 0; i < h - 1; i++) {
		int yy = y + 1 + i;
		if (i >= vis) {
			tui_put(yy, 0, w, VIEW_LEFT, VIEW_S_row,
			        i == 0 ? (t->text[0] || t->status[0] ? "  No rows match the filter."
			                                             : "  No rows yet.")
			               : "");
			continue;
		}
		struct view_row r = {.board = v->board,
		                     .cells = tui_table_row(t, i),
		                     .now = now,
		                     .utf8 = tui_term_utf8()};
		char id[128];
		tui_table_row_id(t, i, id, sizeof(id));
		bool sel = i == t->cursor, marked = tui_table_marked(t, id);
		bool changed = tui_table_changed(t, id, now);
		enum view_slot base = sel                                  ? VIEW_S_selected
		                      : marked                             ? VIEW_S_marked
		                      : changed                            ? VIEW_S_fresh
		                      : row_stale(t, &r, now, conf, nconf) ? VIEW_S_stale
		                                                           : VIEW_S_row;
		tui_put(yy, 0, 1, VIEW_LEFT, base,
		        marked    ? tui_glyph->mark
		        : sel     ? tui_glyph->cursor
		        : changed ? (r.utf8 ? "\u2022" : "+")
		                  : " ");
		x = 1;
		for (int c = 0; c < v->ncols && x < w; c++) {
			char buf[512] = "";
			enum view_slot slot = base;
			v->cols[c].cell(&r, buf, sizeof(buf), &slot);
			if (sel)
				slot = VIEW_S_selected;
			tui_put(yy, x, widths[c], v->cols[c].align, slot, buf);
			x += widths[c];
			if (x < w)
				tui_put(yy, x++, 1, VIEW_LEFT, base, "");
		}
		if (x < w)
			tui_put(yy, x, w - x, VIEW_LEFT, base, "");
	}
}
