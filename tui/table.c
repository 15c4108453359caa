/* The table widget: shows any board through keyset windows. It keeps only the
 * rows on screen plus one (to know whether more follow), found after the key
 * of the row just above the first one (the anchor). Scrolling down moves the
 * anchor forward; scrolling up asks for the rows before the first one
 * (`backward`); End asks backward from the end. Every step costs one or two
 * indexed queries whatever the row's position in 100,000. The selected row is
 * remembered by id, so it stays selected while rows change around it; while
 * the user is moving it, it also keeps its place on screen. This file is the
 * model (window, anchor, selection, following a row); tui/table_view.c holds
 * what the user sets on it (sort, filter, marks) and the drawing. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

void tui_table_init(struct tui_table *t, const struct view_ops *v, struct cache *c)
{
	memset(t, 0, sizeof(*t));
	t->view = v;
	t->cache = c;
	t->desc = v->desc;
	t->height = 1;
	t->total = -1;
}

static void clear_anchor(struct tui_table *t)
{
	t->has_anchor = false;
	free(t->anchor_text);
	free(t->anchor_id);
	t->anchor_text = t->anchor_id = NULL;
	memset(&t->anchor_sort, 0, sizeof(t->anchor_sort));
}

void tui_table_free(struct tui_table *t)
{
	clear_anchor(t);
	cache_window_free(&t->win);
	for (int i = 0; i < t->nmarks; i++)
		free(t->marks[i]);
	free(t->marks);
	t->marks = NULL;
	t->nmarks = t->capmarks = 0;
	free(t->shown);
	free(t->changed);
	t->shown = t->changed = NULL;
	t->nshown = t->capshown = t->nchanged = t->capchanged = 0;
}

void tui_value_text(const struct cache_value *v, char *buf, size_t len)
{
	if (v->t == CV_TEXT)
		snprintf(buf, len, "%s", v->s);
	else if (v->t == CV_INT)
		snprintf(buf, len, "%" PRId64, v->i);
	else if (v->t == CV_REAL)
		snprintf(buf, len, "%.17g", v->d);
	else
		buf[0] = '\0';
}

int tui_table_visible(const struct tui_table *t)
{
	return t->win.nrows < t->height ? t->win.nrows : t->height;
}

const struct cache_value *tui_table_row(const struct tui_table *t, int i)
{
	return t->win.cells + (size_t)i * (size_t)t->win.ncols;
}

void tui_table_row_id(const struct tui_table *t, int i, char *buf, size_t len)
{
	tui_value_text(tui_table_row(t, i), buf, len);
}

/* The anchor becomes the key of row i of window w. */
static int anchor_at(struct tui_table *t, const struct cache_window *w, int i)
{
	const struct cache_value *row = w->cells + (size_t)i * (size_t)w->ncols;
	char id[128];
	tui_value_text(&row[0], id, sizeof(id));
	struct cache_value sv = row[w->sort_col];
	char *text = sv.t == CV_TEXT ? strdup(sv.s) : NULL;
	char *idc = strdup(id);
	if (!idc || (sv.t == CV_TEXT && !text)) {
		free(text);
		free(idc);
		return WB_ENOMEM;
	}
	clear_anchor(t);
	t->anchor_sort = sv;
	t->anchor_sort.s = text;
	t->anchor_text = text;
	t->anchor_id = idc;
	t->has_anchor = true;
	return 0;
}

static void base_req(const struct tui_table *t, struct cache_window_req *req, int limit)
{
	memset(req, 0, sizeof(*req));
	req->sort = t->view->board->sorts[t->sort];
	req->desc = t->desc;
	req->text = t->text[0] ? t->text : NULL;
	req->status = t->status[0] ? t->status : NULL;
	req->limit = limit < 1 ? 1 : limit > 1000 ? 1000 : limit;
}

/* The window after the anchor, into w. */
static int fetch_into(struct tui_table *t, struct cache_window *w, struct wb_err *err)
{
	struct cache_window_req req;
	base_req(t, &req, t->height + 1);
	if (t->has_anchor) {
		req.after_sort = &t->anchor_sort;
		req.after_id = t->anchor_id;
	}
	t->queries++;
	return cache_window(t->cache, t->view->board, &req, w, err);
}

/* The window after the anchor. */
static int fetch(struct tui_table *t, struct wb_err *err)
{
	struct cache_window w;
	int rc = fetch_into(t, &w, err);
	if (rc)
		return rc;
	cache_window_free(&t->win);
	t->win = w;
	return 0;
}

/* Up to limit rows before row `row` of the window (before the end when row < 0). */
static int fetch_before(struct tui_table *t, int row, int limit, struct cache_window *out,
                        struct wb_err *err)
{
	struct cache_window_req req;
	base_req(t, &req, limit);
	char id[128];
	if (row >= 0) {
		const struct cache_value *r = tui_table_row(t, row);
		tui_value_text(&r[0], id, sizeof(id));
		req.after_sort = &r[t->win.sort_col];
		req.after_id = id;
	}
	req.backward = true;
	t->queries++;
	return cache_window(t->cache, t->view->board, &req, out, err);
}

/* Shows the last page: the anchor is the row before the last `height` rows. */
static int fill_from_end(struct tui_table *t, struct wb_err *err)
{
	struct cache_window w;
	int rc = fetch_before(t, -1, t->height + 1, &w, err);
	if (rc)
		return rc;
	if (w.nrows == t->height + 1)
		rc = anchor_at(t, &w, 0);
	else
		clear_anchor(t);
	cache_window_free(&w);
	return rc ? rc : fetch(t, err);
}

/* Moves the window k rows up (k <= height). */
static int scroll_up(struct tui_table *t, int k, struct wb_err *err)
{
	if (!t->has_anchor)
		return 0;
	if (tui_table_visible(t) == 0) {
		clear_anchor(t);
		return fetch(t, err);
	}
	struct cache_window w;
	int rc = fetch_before(t, 0, k + 1, &w, err);
	if (rc)
		return rc;
	if (w.nrows == k + 1)
		rc = anchor_at(t, &w, 0);
	else
		clear_anchor(t);
	cache_window_free(&w);
	return rc ? rc : fetch(t, err);
}

static void select_cursor(struct tui_table *t)
{
	int vis = tui_table_visible(t);
	if (t->cursor >= vis)
		t->cursor = vis - 1;
	if (t->cursor < 0)
		t->cursor = 0;
	if (vis == 0)
		t->sel_id[0] = '\0';
	else
		tui_table_row_id(t, t->cursor, t->sel_id, sizeof(t->sel_id));
}

static bool find_sel(struct tui_table *t)
{
	char id[128];
	for (int i = 0; t->sel_id[0] && i < tui_table_visible(t); i++) {
		tui_table_row_id(t, i, id, sizeof(id));
		if (!strcmp(id, t->sel_id)) {
			t->cursor = i;
			return true;
		}
	}
	return false;
}

static int recount(struct tui_table *t, struct wb_err *err)
{
	struct cache_window_req req;
	base_req(t, &req, 1);
	int64_t n = cache_window_count(t->cache, t->view->board, &req, err);
	t->total = n < 0 ? -1 : n;
	return n < 0 ? (int)n : 0;
}

/* Re-reads the window after the anchor; when rows went away under a scrolled
 * window, shows the last page instead. */
static int reread(struct tui_table *t, struct wb_err *err)
{
	int rc = fetch(t, err);
	if (!rc && t->has_anchor && tui_table_visible(t) < t->height)
		rc = fill_from_end(t, err);
	return rc;
}

int tui_table_refresh(struct tui_table *t, bool count, struct wb_err *err)
{
	if (!t->view->board)
		return 0;
	int rc = reread(t, err);
	if (rc)
		return rc;
	find_sel(t);
	select_cursor(t);
	return count ? recount(t, err) : 0;
}

/* Row of window w (among the first `rows`) whose id is id; -1 if none. */
static int find_row(const struct cache_window *w, int rows, const char *id)
{
	char rid[128];
	for (int i = 0; id[0] && i < rows && i < w->nrows; i++) {
		tui_value_text(&w->cells[(size_t)i * (size_t)w->ncols], rid, sizeof(rid));
		if (!strcmp(rid, id))
			return i;
	}
	return -1;
}

/* Anchors the window so that `cursor` rows come before the row whose key is
 * (sortv, id): that row then shows on the cursor's line. */
static int anchor_before(struct tui_table *t, const struct cache_value *sortv, const char *id,
                         struct wb_err *err)
{
	struct cache_window_req req;
	base_req(t, &req, t->cursor + 1);
	req.after_sort = sortv;
	req.after_id = id;
	req.backward = true;
	struct cache_window before;
	t->queries++;
	int rc = cache_window(t->cache, t->view->board, &req, &before, err);
	if (rc)
		return rc;
	if (before.nrows == t->cursor + 1)
		rc = anchor_at(t, &before, 0);
	else
		clear_anchor(t); /* fewer rows above it: the window starts at the top */
	cache_window_free(&before);
	return rc;
}

int tui_table_refresh_follow(struct tui_table *t, bool count, char *lost, size_t lost_len,
                             struct wb_err *err)
{
	lost[0] = '\0';
	if (!t->view->board)
		return 0;
	char keep[sizeof(t->sel_id)];
	snprintf(keep, sizeof(keep), "%s", t->sel_id);
	int rc = reread(t, err);
	if (rc)
		return rc;
	if (keep[0] && !find_sel(t)) {
		/* The selected row moved out of the window: find it by id (one
		 * indexed row) and bring it back to the cursor's line. A row no
		 * longer on the board (deleted, or out of the filter) is reported:
		 * the cursor's line then holds another row. */
		struct cache_window_req req;
		base_req(t, &req, 1);
		req.id = keep;
		struct cache_window w;
		t->queries++;
		if ((rc = cache_window(t->cache, t->view->board, &req, &w, err)) != 0)
			return rc;
		if (w.nrows == 1 && w.sort_col >= 0) {
			rc = anchor_before(t, &w.cells[w.sort_col], keep, err);
			if (!rc)
				rc = fetch(t, err);
			if (!rc)
				find_sel(t);
		} else {
			snprintf(lost, lost_len, "%s", keep);
		}
		cache_window_free(&w);
		if (rc)
			return rc;
	}
	select_cursor(t);
	return count ? recount(t, err) : 0;
}

/* The steady refresh; see tui_table_refresh_steady. */
static int steady(struct tui_table *t, struct wb_err *err)
{
	if (!t->view->board)
		return 0;
	if (!t->sel_id[0])
		return tui_table_refresh(t, false, err);
	struct cache_window w;
	int rc = fetch_into(t, &w, err);
	if (rc)
		return rc;
	int at = find_row(&w, t->height, t->sel_id);
	if (at < 0 || w.sort_col < 0) {
		/* Gone from the window (or not keyed): what is on screen stays. */
		cache_window_free(&w);
		return 0;
	}
	if (at == t->cursor) {
		cache_window_free(&t->win);
		t->win = w;
		return 0;
	}
	char id[128];
	tui_value_text(&w.cells[(size_t)at * (size_t)w.ncols], id, sizeof(id));
	rc = anchor_before(t, &w.cells[(size_t)at * (size_t)w.ncols + (size_t)w.sort_col], id, err);
	cache_window_free(&w);
	if (!rc)
		rc = fetch(t, err);
	if (rc)
		return rc;
	find_sel(t);
	select_cursor(t);
	return 0;
}

int tui_table_refresh_steady(struct tui_table *t, bool count, struct wb_err *err)
{
	int rc = steady(t, err);
	return rc ? rc : count ? recount(t, err) : 0;
}

void tui_table_set_height(struct tui_table *t, int height)
{
	height = height < 1 ? 1 : height > 999 ? 999 : height;
	/* Shrinking below the selected row: scroll so that it stays on screen. */
	if (t->cursor >= height && t->cursor < t->win.nrows)
		anchor_at(t, &t->win, t->cursor - height);
	t->height = height;
}

int tui_table_move(struct tui_table *t, int delta, struct wb_err *err)
{
	if (!t->view->board)
		return 0;
	int vis = tui_table_visible(t), rc = 0;
	bool more = t->win.nrows > t->height;
	if (delta == 1) {
		if (t->cursor + 1 < vis) {
			t->cursor++;
		} else if (more) {
			rc = anchor_at(t, &t->win, 0);
			if (!rc)
				rc = fetch(t, err);
			t->cursor = tui_table_visible(t) - 1;
		}
	} else if (delta == -1) {
		if (t->cursor > 0)
			t->cursor--;
		else
			rc = scroll_up(t, 1, err);
	} else if (delta > 1) { /* a page down, the cursor keeping its place */
		if (!more) {
			t->cursor = vis - 1;
		} else {
			rc = anchor_at(t, &t->win, vis - 1);
			if (!rc)
				rc = fetch(t, err);
			if (!rc && tui_table_visible(t) < t->height)
				rc = fill_from_end(t, err);
		}
	} else if (delta < -1) {
		if (!t->has_anchor)
			t->cursor = 0;
		else
			rc = scroll_up(t, t->height, err);
	}
	select_cursor(t);
	return rc;
}

int tui_table_home(struct tui_table *t, struct wb_err *err)
{
	if (!t->view->board)
		return 0;
	clear_anchor(t);
	int rc = fetch(t, err);
	t->cursor = 0;
	select_cursor(t);
	return rc;
}

int tui_table_end(struct tui_table *t, struct wb_err *err)
{
	if (!t->view->board)
		return 0;
	int rc = fill_from_end(t, err);
	t->cursor = tui_table_visible(t) - 1;
	select_cursor(t);
	return rc;
}

int tui_table_goto(struct tui_table *t, const char *id, struct wb_err *err)
{
	const struct cache_board *b = t->view ? t->view->board : NULL;
	if (!b)
		return wb_fail(err, WB_EINVALID, "the %s board has no rows to go to",
		               t->view ? t->view->name : "?");
	/* Find the row's sort key: by its exact id (one indexed row), else through
	 * the free-text search, which also finds "l-1042" for L-1042. Then anchor
	 * just before it. */
	struct cache_window_req req;
	base_req(t, &req, 1);
	req.id = id;
	struct cache_window w;
	int rc = cache_window(t->cache, b, &req, &w, err);
	t->queries++;
	if (rc == 0 && w.nrows == 0) {
		cache_window_free(&w);
		base_req(t, &req, 1000);
		req.text = id;
		rc = cache_window(t->cache, b, &req, &w, err);
		t->queries++;
	}
	if (rc)
		return rc;
	int found = -1;
	char rid[128];
	for (int i = 0; i < w.nrows && found < 0; i++) {
		tui_value_text(&w.cells[(size_t)i * (size_t)w.ncols], rid, sizeof(rid));
		if (!strcasecmp(rid, id))
			found = i;
	}
	if (found < 0) {
		cache_window_free(&w);
		return wb_fail(err, WB_ENOTFOUND, "no %.60s on the %s board%s", id, t->view->name,
		               t->text[0] || t->status[0] ? " with this filter" : "");
	}
	/* The window of one row before it gives the anchor. */
	struct cache_window before;
	memset(&req, 0, sizeof(req));
	base_req(t, &req, 1);
	req.after_sort = &w.cells[(size_t)found * (size_t)w.ncols + (size_t)w.sort_col];
	req.after_id = rid;
	req.backward = true;
	rc = cache_window(t->cache, b, &req, &before, err);
	t->queries++;
	if (rc) {
		cache_window_free(&w);
		return rc;
	}
	if (before.nrows == 1)
		rc = anchor_at(t, &before, 0);
	else
		clear_anchor(t);
	cache_window_free(&before);
	cache_window_free(&w);
	snprintf(t->sel_id, sizeof(t->sel_id), "%s", rid);
	t->cursor = 0;
	return rc ? rc : tui_table_refresh(t, false, err);
}

/* After a new sort or filter the window starts over, on the same row if it is still there. */
int tui_table_restart(struct tui_table *t, struct wb_err *err)
{
	char keep[128];
	snprintf(keep, sizeof(keep), "%s", t->sel_id);
	if (keep[0] && tui_table_goto(t, keep, NULL) == 0)
		return recount(t, err);
	clear_anchor(t);
	t->cursor = 0;
	t->sel_id[0] = '\0';
	return tui_table_refresh(t, true, err);
}
