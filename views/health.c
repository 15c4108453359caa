/* Health board: each source's streams with their last good sync, lag, errors
 * in a row, rows written and live events rejected, last error and the actions
 * waiting in the outbox for that source. An action kept pending by an answer (a
 * gateway's page the connector did not recognise, a 503) marks the OUTBOX count
 * and, when the stream itself has no error to show, fills LAST ERROR with
 * "outbox: " and that answer. */
#include <stdio.h>
#include <string.h>

#include "views/view.h"

/* The board's query: one row per polled stream (source/stream). An event
 * stream's row ("positions_live") stands in for its stream's row
 * ("positions") once it was heard after the catch-up pages: the stream then
 * lives on the events, and its pages are no longer polled. */
/* clang-format off */
#define HEALTH_PICK(col) " CASE WHEN events THEN e_" col " ELSE p_" col " END AS " col
const struct cache_board view_health_board = {
	.name = "health",
	.from = "(SELECT id, source, stream, events," HEALTH_PICK("last_ok_at") ","
		HEALTH_PICK("lag_s") "," HEALTH_PICK("errors_in_row") "," HEALTH_PICK("last_error") ","
		" rows_total, rejected, outbox, outbox_error FROM"
		" (SELECT s.source||'/'||s.stream AS id, s.source AS source, s.stream AS stream,"
		" (e.last_attempt_at >= coalesce(s.last_attempt_at, 0)) IS 1 AS events,"
		" s.last_ok_at AS p_last_ok_at, e.last_ok_at AS e_last_ok_at,"
		" s.lag_s AS p_lag_s, e.lag_s AS e_lag_s,"
		" s.errors_in_row AS p_errors_in_row, e.errors_in_row AS e_errors_in_row,"
		" s.last_error AS p_last_error, e.last_error AS e_last_error,"
		" s.rows_total + coalesce(e.rows_total, 0) AS rows_total,"
		" s.rejected + coalesce(e.rejected, 0) AS rejected,"
		" (SELECT count(*) FROM outbox o WHERE o.source=s.source"
		" AND o.status IN ('pending','inflight')) AS outbox,"
		" (SELECT o.answer FROM outbox o WHERE o.status IN ('pending','inflight')"
		" AND o.source=s.source AND o.answer IS NOT NULL ORDER BY o.seq DESC LIMIT 1)"
		" AS outbox_error"
		" FROM sync_state s"
		" LEFT JOIN sync_state e ON e.source=s.source AND e.stream=s.stream||'_live'"
		" WHERE s.stream NOT LIKE '%\\_live' ESCAPE '\\'))",
	.cols = (const char *const[]){"id", "source", "stream", "last_ok_at", "lag_s",
		"errors_in_row", "last_error", "rows_total", "rejected", "outbox", "events",
		"outbox_error", NULL},
	.search = (const char *const[]){"id", "last_error", "outbox_error", NULL},
	.sorts = (const char *const[]){"id", "last_ok_at", "errors_in_row", "lag_s", NULL},
};
/* clang-format on */

const char *const view_source_state_name[] = {"no data", "live", "lag", "down"};

int view_source_interval_s(const char *source, const char *stream)
{
	int iv = settings_interval_s(view_settings(), source, stream);
	if (iv <= 0 && stream) /* a stream the source's kind does not name */
		iv = settings_interval_s(view_settings(), source, NULL);
	return iv > 0 ? iv : CONFIG_FAST_DEFAULT_S;
}

enum view_source_state view_source_state(const char *source, const char *stream, bool events,
                                         int64_t last_ok_at, int64_t errors_in_row, int64_t lag_s,
                                         int64_t now)
{
	int64_t iv = events ? VIEW_KEEPALIVE_S : view_source_interval_s(source, stream);
	if (last_ok_at <= 0 && errors_in_row <= 0)
		return VIEW_SRC_NODATA;
	if (errors_in_row >= 3 || last_ok_at <= 0 || now - last_ok_at > 10 * iv)
		return VIEW_SRC_DOWN;
	if (errors_in_row > 0 || lag_s > 2 * iv || now - last_ok_at > 2 * iv)
		return VIEW_SRC_LAG;
	return VIEW_SRC_LIVE;
}

bool view_row_stale(const char *source, int64_t synced_at, int64_t confirmed_at, int fallback_s,
                    int64_t now)
{
	if (synced_at <= 0)
		return false;
	if (!source)
		return fallback_s > 0 && now - synced_at > fallback_s;
	if (!strcmp(source, "local"))
		return false;
	int64_t fresh = confirmed_at > synced_at ? confirmed_at : synced_at;
	return now - fresh > 2 * (int64_t)view_source_interval_s(source, NULL);
}

VIEW_TEXT_CELL(cell_source, "source")
VIEW_TEXT_CELL(cell_stream, "stream")
VIEW_TEXT_CELL(cell_errors, "errors_in_row")
VIEW_TEXT_CELL(cell_rows, "rows_total")
static void cell_rejected(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	view_fmt_count4(view_get(r, "rejected"), buf, len);
	if (view_int(view_get(r, "rejected"), 0) > 0)
		*slot = VIEW_S_warn;
}

static void cell_state(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	const struct cache_value *src = view_get(r, "source"), *stream = view_get(r, "stream");
	enum view_source_state st = view_source_state(
	        src->t == CV_TEXT ? src->s : NULL, stream->t == CV_TEXT ? stream->s : NULL,
	        view_int(view_get(r, "events"), 0) == 1, view_int(view_get(r, "last_ok_at"), 0),
	        view_int(view_get(r, "errors_in_row"), 0), view_int(view_get(r, "lag_s"), 0),
	        r->now);
	snprintf(buf, len, "%s", view_source_state_name[st]);
	*slot = st == VIEW_SRC_LIVE   ? VIEW_S_ok
	        : st == VIEW_SRC_LAG  ? VIEW_S_warn
	        : st == VIEW_SRC_DOWN ? VIEW_S_late
	                              : *slot;
}

static void cell_last_ok(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	int64_t at = view_int(view_get(r, "last_ok_at"), 0);
	if (at <= 0) {
		snprintf(buf, len, "never");
		return;
	}
	char age[16];
	view_fmt_age(r->now - at, age, sizeof(age));
	snprintf(buf, len, "%s ago", age);
}

static void cell_lag(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	int64_t lag = view_int(view_get(r, "lag_s"), -1);
	if (lag < 0)
		snprintf(buf, len, "--");
	else
		view_fmt_age(lag, buf, len);
}

/* The outbox depth; warned when an action there is kept pending by an answer. */
static void cell_outbox(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	view_fmt_text(view_get(r, "outbox"), buf, len);
	if (view_get(r, "outbox_error")->t == CV_TEXT)
		*slot = VIEW_S_warn;
}

static void cell_error(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	const struct cache_value *v = view_get(r, "last_error");
	const struct cache_value *o = view_get(r, "outbox_error");
	if (v->t == CV_TEXT && *v->s)
		snprintf(buf, len, "%s", v->s);
	else if (o->t == CV_TEXT)
		snprintf(buf, len, "outbox: %s", o->s);
	else
		snprintf(buf, len, "%s", "");
}

static const struct view_col cols[] = {
        {"SOURCE", 10, VIEW_LEFT, false, cell_source},
        {"STREAM", 12, VIEW_LEFT, false, cell_stream},
        {"STATE", 7, VIEW_LEFT, false, cell_state},
        {"LAST OK", 8, VIEW_RIGHT, false, cell_last_ok},
        {"LAG", 4, VIEW_RIGHT, false, cell_lag},
        {"ERR", 3, VIEW_RIGHT, false, cell_errors},
        {"ROWS", 6, VIEW_RIGHT, false, cell_rows},
        {"REJ", 4, VIEW_RIGHT, false, cell_rejected},
        {"OUTBOX", 6, VIEW_RIGHT, false, cell_outbox},
        {"LAST ERROR", 10, VIEW_LEFT, true, cell_error},
};

const struct view_ops view_health_ops = {
        .name = "health",
        .title = "Health",
        .board = &view_health_board,
        .cols = cols,
        .ncols = (int)(sizeof(cols) / sizeof(cols[0])),
        .stale_after_s = 2 * 60, /* a stream's row: its STATE says more; dim when 2 min silent */
        .stale_col = "last_ok_at",
        .no_change_marks = true, /* every poll changes a row here */
};
