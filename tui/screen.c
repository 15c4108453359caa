/* The console's screen: header (depot, clock, each source's state, outbox),
 * board tabs, the current board's table, the detail pane, the status line,
 * and the prompt's keys (the board's keys are keys.c's table). Only the redraw timer (loop.c) calls
 * tui_draw. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "core/core.h"

int64_t tui_now(const struct tui_console *s)
{
	return s->fixed_now ? s->fixed_now : (int64_t)time(NULL);
}

struct tui_table *tui_current(struct tui_console *s)
{
	return &s->tables[s->board];
}

static void on_redraw(uv_timer_t *t)
{
	struct tui_console *s = t->data;
	s->redraw_pending = false;
	tui_draw(s);
	s->last_draw_ms = uv_now(&s->loop);
	/* The first screen went out without its row count: take it now. */
	if (s->count_stale && s->counted_ms == 0) {
		s->data_stale = true;
		tui_request_redraw(s);
	}
}

void tui_request_redraw(struct tui_console *s)
{
	if (s->redraw_pending)
		return;
	s->redraw_pending = true;
	uint64_t now = uv_now(&s->loop), next = s->last_draw_ms + (uint64_t)s->min_redraw_ms;
	uv_timer_start(&s->redraw, on_redraw, next > now ? next - now : 0, 0);
}

void tui_report(struct tui_console *s, bool error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->message, sizeof(s->message), fmt, ap);
	va_end(ap);
	s->message_error = error;
	tui_request_redraw(s);
}

static bool too_small(void)
{
	return COLS < TUI_MIN_COLS || LINES < TUI_MIN_ROWS;
}

/* Rows the table gets (column headers included) for the current layout. */
static int table_lines(const struct tui_console *s)
{
	int body = LINES - 4; /* header, tabs, info line, status line */
	if (s->pane == TUI_PANE_DETAIL)
		return body / 2;
	if (s->pane == TUI_PANE_FULL)
		return 0;
	return body;
}

/* Remembers that a polled stream of source answered at last_ok_at: a source
 * confirms its rows as of its stream that answered least recently. */
static void confirm(struct tui_console *s, const char *source, int64_t last_ok_at)
{
	for (int i = 0; i < s->nconfirmed; i++)
		if (!strcmp(s->confirmed[i].source, source)) {
			if (last_ok_at < s->confirmed[i].at)
				s->confirmed[i].at = last_ok_at;
			return;
		}
	int n = (int)(sizeof(s->confirmed) / sizeof(s->confirmed[0]));
	if (s->nconfirmed < n) {
		snprintf(s->confirmed[s->nconfirmed].source, sizeof(s->confirmed[0].source), "%s",
		         source);
		s->confirmed[s->nconfirmed++].at = last_ok_at;
	}
}

/* Re-reads the header's figures: each source's state (and when it last
 * confirmed its rows), the outbox depth, the tab counts and the depot. */
static void read_header(struct tui_console *s)
{
	static const char *const names[4] = {"erp", "tms", "telematics", "maintenance"};
	int64_t now = tui_now(s);
	for (int i = 0; i < 4; i++) {
		snprintf(s->sources[i].name, sizeof(s->sources[i].name), "%s", names[i]);
		s->sources[i].state = VIEW_SRC_NODATA;
		s->sources[i].lag_s = 0;
	}
	s->nconfirmed = 0;
	struct cache_window_req req = {.limit = 200};
	struct cache_window w;
	if (cache_window(s->cache, &view_health_board, &req, &w, NULL) == 0) {
		for (int r = 0; r < w.nrows; r++) {
			struct view_row row = {.board = &view_health_board,
			                       .cells = w.cells + (size_t)r * (size_t)w.ncols};
			const struct cache_value *src = view_get(&row, "source");
			bool events = view_int(view_get(&row, "events"), 0) == 1;
			int64_t ok_at = view_int(view_get(&row, "last_ok_at"), 0);
			/* Rows come from polled streams; an event stream carries positions. */
			if (src->t == CV_TEXT && !events && ok_at > 0)
				confirm(s, src->s, ok_at);
			for (int i = 0; i < 4; i++) {
				if (src->t != CV_TEXT || strcmp(src->s, names[i]))
					continue;
				int64_t lag = view_int(view_get(&row, "lag_s"), 0);
				const struct cache_value *stream = view_get(&row, "stream");
				enum view_source_state st = view_source_state(
				        names[i], stream->t == CV_TEXT ? stream->s : NULL, events,
				        ok_at, view_int(view_get(&row, "errors_in_row"), 0), lag,
				        now);
				/* A source is as healthy as its sickest stream. */
				if (st > s->sources[i].state)
					s->sources[i].state = st;
				if (lag > s->sources[i].lag_s)
					s->sources[i].lag_s = lag;
			}
		}
		cache_window_free(&w);
	}
	s->outbox = 0;
	outbox_depth(s->cache, NULL, &s->outbox, NULL, NULL);
	for (int b = 0; b < view_nboards; b++) {
		const struct view_ops *v = view_boards[b];
		s->counts[b] = -1;
		if (v->board && v->count_status) {
			struct cache_window_req cr = {.status = v->count_status, .limit = 1};
			s->counts[b] = cache_window_count(s->cache, v->board, &cr, NULL);
		}
	}
	/* The config's depot; without one, WAYBILL_DEPOT, else the vehicles'. */
	const char *env = getenv("WAYBILL_DEPOT");
	const struct settings *cfg = s->opts ? s->opts->config : NULL;
	if (cfg && cfg->depot && *cfg->depot) {
		snprintf(s->depot, sizeof(s->depot), "%s", cfg->depot);
	} else if (env && *env) {
		snprintf(s->depot, sizeof(s->depot), "%s", env);
	} else {
		struct cache_window_req vr = {.limit = 1};
		snprintf(s->depot, sizeof(s->depot), "no depot");
		if (cache_window(s->cache, view_vehicles_ops.board, &vr, &w, NULL) == 0) {
			struct view_row row = {.board = view_vehicles_ops.board, .cells = w.cells};
			if (w.nrows && view_get(&row, "depot")->t == CV_TEXT)
				snprintf(s->depot, sizeof(s->depot), "%s",
				         view_get(&row, "depot")->s);
			cache_window_free(&w);
		}
	}
}

/* Whether the user moved the selection in the last TUI_MOVE_HOLD_MS. A fixed
 * clock (WAYBILL_NOW, in tests) does not advance: the last move stays recent. */
static bool moving(struct tui_console *s)
{
	return s->moved && (s->fixed_now || uv_now(&s->loop) - s->moved_ms < TUI_MOVE_HOLD_MS);
}

/* Re-reads what is on screen (unless updates are paused). While the user is
 * moving, the selected row keeps its place on screen. */
void tui_reload(struct tui_console *s, bool recount)
{
	struct wb_err err = {0};
	read_header(s);
	if (s->paused && !recount)
		return;
	struct tui_table *t = tui_current(s);
	char lost[sizeof(t->sel_id)] = "";
	int rc = moving(s) ? tui_table_refresh_steady(t, recount, &err)
	                   : tui_table_refresh_follow(t, recount, lost, sizeof(lost), &err);
	if (rc != 0)
		tui_report(s, true, "%s", err.msg);
	else if (lost[0])
		tui_report(s, false, "%.60s left the board; the selection is now on %.60s", lost,
		           t->sel_id[0] ? t->sel_id : "nothing");
}

/* Each source's state and the outbox depth; words false: the glyphs alone
 * ("ERP ● TMS ● TEL ◐ 42s"), when the full line leaves no room. */
static void header_sources(const struct tui_console *s, bool words, char *right, size_t len)
{
	static const char *const label[4] = {"ERP", "TMS", "TEL", "MNT"};
	/* A maintenance source has its place when configured, or when a
	 * console on a cache alone finds its streams there. */
	const struct settings *cfg = s->opts ? s->opts->config : NULL;
	int nsrc = settings_maintenance(cfg) || s->sources[3].state != VIEW_SRC_NODATA ? 4 : 3;
	size_t n = 0;
	for (int i = 0; i < nsrc; i++) {
		const struct tui_source *src = &s->sources[i];
		const char *dot = src->state == VIEW_SRC_LIVE   ? tui_glyph->live
		                  : src->state == VIEW_SRC_LAG  ? tui_glyph->lag
		                  : src->state == VIEW_SRC_DOWN ? tui_glyph->down
		                                                : tui_glyph->nodata;
		char lag[32] = "";
		if (src->state == VIEW_SRC_LAG && src->lag_s > 0)
			snprintf(lag, sizeof(lag), " %" PRId64 "s", src->lag_s);
		n += (size_t)snprintf(right + n, len - n, "%s %s%s%s%s  ", label[i], dot,
		                      words ? " " : "",
		                      words ? view_source_state_name[src->state] : "", lag);
		if (n >= len)
			n = len - 1;
	}
	if (s->sources[0].state == VIEW_SRC_NODATA && s->sources[1].state == VIEW_SRC_NODATA &&
	    s->sources[2].state == VIEW_SRC_NODATA &&
	    s->sources[3].state == VIEW_SRC_NODATA) /* the short form keeps the clock on screen */
		n = (size_t)snprintf(right, len, "ERP TMS TEL%s %s no data  ",
		                     nsrc > 3 ? " MNT" : "", tui_glyph->nodata);
	snprintf(right + n, len - n, "outbox %" PRId64 " ", s->outbox);
}

/* The depot, who sits at the console (the config's display name; a console
 * on a cache alone has no config to name anyone) and the clock on the left,
 * the sources on the right. When both do not fit, the sources lose their
 * words, then the header its name: the clock always stays. */
static void draw_header(struct tui_console *s, int w)
{
	char left[160], right[200];
	time_t now = (time_t)tui_now(s);
	struct tm tm;
	localtime_r(&now, &tm);
	const struct settings *cfg = s->opts ? s->opts->config : NULL;
	char who[80] = "";
	if (cfg && cfg->user && *cfg->user)
		snprintf(who, sizeof(who), " %s %.20s", tui_glyph->dot, cfg->user);
	for (int fit = 0; fit < 3; fit++) {
		snprintf(left, sizeof(left), " Waybill %s %.24s%s %s %02d:%02d%s", tui_glyph->dot,
		         s->depot, fit < 2 ? who : "", tui_glyph->dot, tm.tm_hour, tm.tm_min,
		         s->paused ? "  PAUSED" : "");
		header_sources(s, fit == 0, right, sizeof(right));
		/* a column between the two, or the clock runs into "ERP" */
		if (tui_text_width(left) + 1 + tui_text_width(right) <= w)
			break;
	}
	int rw = tui_text_width(right), lw = w - rw;
	tui_put(0, 0, lw > 0 ? lw : 0, VIEW_LEFT, VIEW_S_header, left);
	tui_put(0, lw > 0 ? lw : 0, w - (lw > 0 ? lw : 0), VIEW_RIGHT, VIEW_S_header, right);
}

/* Board b's tab: "5 Exceptions 3"; short (0 full, 1 the short title unless b is
 * the active board, 2 the short title). */
static void tab_label(const struct tui_console *s, int b, int brief, char *tab, size_t len)
{
	const struct view_ops *v = view_boards[b];
	const char *title =
	        brief && (brief > 1 || b != s->board) && v->short_title ? v->short_title : v->title;
	if (s->counts[b] > 0)
		snprintf(tab, len, "%d %s %" PRId64, b + 1, title, s->counts[b]);
	else
		snprintf(tab, len, "%d %s", b + 1, title);
}

/* Nine boards' titles pass 80 columns: the tabs take the short titles of the
 * boards not shown, then of every board, before the right end is cut. */
static void draw_tabs(struct tui_console *s, int w)
{
	int brief = 0;
	for (; brief < 2; brief++) {
		int need = 1;
		for (int b = 0; b < view_nboards; b++) {
			char tab[64];
			tab_label(s, b, brief, tab, sizeof(tab));
			need += tui_text_width(tab) + (b ? 1 : 0);
		}
		if (need <= w)
			break;
	}
	int x = 0;
	x += tui_puts(1, x, w - x, VIEW_S_tabs, " ");
	for (int b = 0; b < view_nboards && x < w; b++) {
		char tab[64];
		tab_label(s, b, brief, tab, sizeof(tab));
		x += tui_puts(1, x, w - x, b == s->board ? VIEW_S_tab_active : VIEW_S_tabs, tab);
		if (x < w)
			x += tui_puts(1, x, w - x, VIEW_S_tabs, " ");
	}
	if (x < w)
		tui_put(1, x, w - x, VIEW_LEFT, VIEW_S_tabs, "");
}

/* The rule under the table: what the board shows and how. */
static void draw_info(struct tui_console *s, int y, int w)
{
	struct tui_table *t = tui_current(s);
	char info[400];
	const struct view_ops *v = t->view;
	if (s->prompt.active && s->message[0]) {
		tui_put(y, 0, w, VIEW_LEFT, s->message_error ? VIEW_S_error : VIEW_S_status,
		        s->message);
		return;
	}
	if (!v->board) {
		snprintf(info, sizeof(info), " %s ", v->title);
	} else {
		char filter[120] = "";
		if (t->text[0])
			snprintf(filter, sizeof(filter), " %s filter \"%.80s\"", tui_glyph->dot,
			         t->text);
		else if (t->status[0])
			snprintf(filter, sizeof(filter), " %s status %.60s", tui_glyph->dot,
			         t->status);
		char marks[40] = "";
		if (t->nmarks)
			snprintf(marks, sizeof(marks), " %s %d marked", tui_glyph->dot, t->nmarks);
		char rows[32];
		if (t->total < 0)
			snprintf(rows, sizeof(rows), "counting rows");
		else
			snprintf(rows, sizeof(rows), "%" PRId64 " rows", t->total);
		snprintf(info, sizeof(info), " %s %s %s %s sort %s %s%s%s ", v->title,
		         tui_glyph->dot, rows, tui_glyph->dot, tui_table_sort_name(t),
		         t->desc ? "desc" : "asc", filter, marks);
	}
	if (s->low_bandwidth)
		tui_put(y, 0, w, VIEW_LEFT, VIEW_S_column, info);
	else {
		tui_hline(y, 0, w, VIEW_S_column);
		tui_puts(y, 1, w - 1, VIEW_S_column, info);
	}
}

static void draw_status(struct tui_console *s, int y, int w)
{
	if (s->prompt.active) {
		tui_prompt_draw(&s->prompt, y, w);
		return;
	}
	if (s->message[0]) {
		char m[300];
		snprintf(m, sizeof(m), " %s", s->message);
		tui_put(y, 0, w, VIEW_LEFT, s->message_error ? VIEW_S_error : VIEW_S_status, m);
		return;
	}
	char hints[300];
	tui_key_hints(s, hints, sizeof(hints), w); /* from the key table (keys.c) */
	tui_put(y, 0, w, VIEW_LEFT, VIEW_S_status, hints);
}

void tui_draw(struct tui_console *s)
{
	if (s->full_repaint) {
		erase();
		clearok(curscr, TRUE);
		s->full_repaint = false;
	}
	tui_draw_begin();
	int w = COLS;
	if (too_small()) {
		erase();
		char m[120];
		snprintf(m, sizeof(m), "Enlarge the window to at least %dx%d (now %dx%d).",
		         TUI_MIN_COLS, TUI_MIN_ROWS, COLS, LINES);
		tui_puts(LINES / 2, 0, w, VIEW_S_error, m);
		tui_puts(LINES / 2 + 1, 0, w, VIEW_S_status, "q quits.");
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	if (s->data_stale) {
		/* Counting a large board is a scan: at most every two seconds, and
		 * never before the first screen is out (counted_ms 0: after it). */
		uint64_t now = uv_now(&s->loop);
		bool recount = s->count_stale && s->last_draw_ms &&
		               (s->counted_ms == 0 || now - s->counted_ms >= 2000);
		s->data_stale = false;
		if (recount) {
			s->count_stale = false;
			s->counted_ms = now;
		}
		tui_reload(s, recount);
	}
	draw_header(s, w);
	draw_tabs(s, w);
	struct tui_table *t = tui_current(s);
	int th = table_lines(s);
	if (th > 0)
		tui_table_draw(t, 2, th, w, tui_now(s), s->confirmed, s->nconfirmed);
	draw_info(s, 2 + th, w);
	if (s->pane != TUI_PANE_NONE)
		tui_detail_draw(s, 3 + th, LINES - 1 - (3 + th), w);
	draw_status(s, LINES - 1, w);
	if (s->help)
		tui_help_draw(s);
	wnoutrefresh(stdscr);
	doupdate();
}

/* After a resize or a layout change: the table's height, then its rows. */
void tui_relayout(struct tui_console *s)
{
	if (too_small())
		return;
	int th = table_lines(s);
	if (th == 0)
		return; /* the full detail pane hides the table: it keeps its window */
	for (int b = 0; b < view_nboards; b++)
		tui_table_set_height(&s->tables[b], th > 1 ? th - 1 : 1);
	struct wb_err err = {0};
	if (tui_table_refresh(tui_current(s), false, &err) != 0)
		tui_report(s, true, "%s", err.msg);
}

void tui_resized(struct tui_console *s, int rows, int cols)
{
	if (rows > 0 && cols > 0)
		resizeterm(rows, cols);
	s->full_repaint = true;
	tui_relayout(s);
	tui_request_redraw(s);
}

void tui_switch_board(struct tui_console *s, int board)
{
	if (board < 0 || board >= view_nboards)
		return;
	s->board = board;
	s->pane = TUI_PANE_NONE;
	s->pane_scroll = 0;
	tui_relayout(s);
	struct wb_err err = {0};
	if (tui_table_refresh(tui_current(s), true, &err) != 0)
		tui_report(s, true, "%s", err.msg);
	tui_request_redraw(s);
}

int tui_set_theme(struct tui_console *s, const char *name)
{
	char msg[300];
	struct tui_theme t;
	if (!tui_term_colors() && strcmp(name, "mono") != 0) {
		tui_theme_builtin(&t, true);
		if (tui_theme_load("mono", &t, msg, sizeof(msg)) != 0)
			tui_theme_builtin(&t, true);
		s->theme = t;
		tui_theme_apply(&t);
		tui_report(s, false, "no colours here (NO_COLOR or the terminal): theme mono");
		s->full_repaint = true;
		return 0;
	}
	if (tui_theme_load(name, &t, msg, sizeof(msg)) != 0) {
		tui_report(s, true, "%s; keeping theme %s", msg, s->theme.name);
		return -1;
	}
	s->theme = t;
	tui_theme_apply(&t);
	s->full_repaint = true;
	tui_request_redraw(s);
	return 0;
}

/* A key while the prompt is open: edits it, and on Enter runs the command or
 * sets the filter. */
void tui_key_in_prompt(struct tui_console *s, int key)
{
	struct tui_history *h = s->prompt.kind == ':' ? &s->hist_cmd : &s->hist_filter;
	bool was_capped = s->prompt.capped;
	enum tui_prompt_result r = tui_prompt_key(&s->prompt, h, key);
	if (!was_capped && s->prompt.capped)
		tui_report(s, true, "input is limited to %d characters; the rest was cut",
		           TUI_INPUT_MAX);
	if (r == TUI_PROMPT_TAB) {
		tui_complete(s);
	} else if (r == TUI_PROMPT_DONE) {
		char text[TUI_INPUT_MAX * 4 + 1];
		tui_prompt_text(&s->prompt, text, sizeof(text));
		tui_history_add(h, text);
		if (!s->prompt.capped)
			s->message[0] = '\0';
		if (s->prompt.kind == ':') {
			tui_command(s, text);
		} else {
			struct wb_err err = {0};
			if (tui_table_set_filter(tui_current(s), text, &err) != 0)
				tui_report(s, true, "%s", err.msg);
		}
	} else if (r == TUI_PROMPT_CANCEL) {
		s->message[0] = '\0';
	}
	tui_request_redraw(s);
}
