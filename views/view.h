/* Boards: one full-screen view each (docs/design.md §9, §10), one file each in views/,
 * one line each in VIEW_INFO. A board is data, all of it in its own file: its
 * query (a struct cache_board: the SELECT that cache/window.c pages through,
 * with the columns it selects, sorts and searches), the columns it shows and
 * how each cell is written, and the actions that apply to its rows. The table
 * widget in tui/ drives every board the same way and never knows which one it
 * shows. Adding a board: its file (views/NAME.c defining view_NAME_ops) and
 * one X(NAME) line in VIEW_INFO; tabs, digit keys, help and :board follow. */
#ifndef WAYBILL_VIEW_H
#define WAYBILL_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache/cache.h"
#include "settings/settings.h"

/* Theme slots: what a cell means, never its colour. A theme file
 * (themes/default.theme, read by tui/theme.c) gives each slot a colour pair and attributes. */
/* clang-format off */
#define VIEW_SLOTS(X)                                                                              \
	X(header)                                                                                  \
	X(tabs)                                                                                    \
	X(tab_active)                                                                              \
	X(column)                                                                                  \
	X(row)                                                                                     \
	X(selected)                                                                                \
	X(marked)                                                                                  \
	X(stale)                                                                                   \
	X(fresh)                                                                                   \
	X(late)                                                                                    \
	X(hold)                                                                                    \
	X(warn)                                                                                    \
	X(ok)                                                                                      \
	X(status)                                                                                  \
	X(error)                                                                                   \
	X(dialog)
/* clang-format on */

enum view_slot {
#define VIEW_SLOT_ENUM(n) VIEW_S_##n,
	VIEW_SLOTS(VIEW_SLOT_ENUM)
#undef VIEW_SLOT_ENUM
	        VIEW_S__COUNT
};

/* The table of boards, in tab order: the digit key of a board is its place. */
/* clang-format off */
#define VIEW_INFO(X)                                                                               \
	X(loads)                                                                                   \
	X(vehicles)                                                                                \
	X(staging)                                                                                 \
	X(maint)                                                                                   \
	X(exceptions)                                                                              \
	X(kpis)                                                                                    \
	X(health)                                                                                  \
	X(audit)                                                                                   \
	X(billing)
/* clang-format on */

/* What a cell formatter sees: one row of the board's window. */
struct view_row {
	const struct cache_board *board;
	const struct cache_value *cells; /* board->cols order */
	int64_t now;                     /* the console's clock (UTC epoch s) */
	bool utf8;                       /* glyphs may be non-ASCII */
};

enum view_align { VIEW_LEFT, VIEW_RIGHT };

struct view_col {
	const char *header; /* "ETA" */
	int width;          /* cells at 80 columns */
	enum view_align align;
	bool flex; /* takes the room left over on wider screens */
	/* Writes the cell's text (UTF-8) into buf; may set *slot to colour the
	 * cell (late, hold, warn, ok, ...); *slot starts as the row's slot. */
	void (*cell)(const struct view_row *r, char *buf, size_t len, enum view_slot *slot);
};

struct view_ops {
	const char *name;                /* "loads": for :board, :sort messages */
	const char *title;               /* "Loads": in the tab bar */
	const char *short_title;         /* "Veh": in a tab bar too narrow for titles; NULL title */
	const struct cache_board *board; /* NULL: a placeholder board */
	const char *placeholder;         /* shown in place of rows when board is NULL */
	const struct view_col *cols;
	int ncols;
	bool desc; /* default sort direction (audit: newest first) */
	/* Freshness (view_row_stale): a row is judged by the interval of the source
	 * named in source_col; a row without one, or a board without source_col,
	 * by stale_after_s (0: never stale). */
	int stale_after_s;
	const char *stale_col;    /* column holding the row's sync time; NULL "synced_at" */
	const char *source_col;   /* column naming the row's source ("source"), or NULL */
	bool no_change_marks;     /* rows change all the time (health): never marked changed */
	const char *detail_kind;  /* cache_detail() kind for Enter; NULL: the row itself */
	const char *count_status; /* counted for the tab label ("open"), or NULL */
	/* The actions (command words of tui/, "release", "approve", ...) that act
	 * on this board's selected or marked rows; NULL-terminated, NULL none. The
	 * console offers an action's key only on the boards that list it. */
	const char *const *actions;
};

/* The number of boards, at compile time (for arrays kept per board). */
#define VIEW_COUNT_ONE(n) +1
enum { VIEW_NBOARDS = 0 VIEW_INFO(VIEW_COUNT_ONE) };
#undef VIEW_COUNT_ONE

#define VIEW_DECL(n) extern const struct view_ops view_##n##_ops;
VIEW_INFO(VIEW_DECL)
#undef VIEW_DECL

extern const struct view_ops *const view_boards[];
extern const int view_nboards;

/* Whether board v lists action (see view_ops.actions). */
bool view_has_action(const struct view_ops *v, const char *action);
/* Looks up a board by name ("loads") or title ("Loads"); NULL if none. */
const struct view_ops *view_by_name(const char *name);

/* The settings the views show figures by (units, currency) and judge freshness
 * by (each source's intervals). The console sets them once at start; NULL (the
 * default) reads as settings_defaults(): metric, EUR, default intervals. They
 * are loaded once and never change while the process runs, so the views keep a
 * pointer rather than every cell function receiving one. */
void view_use_settings(const struct settings *s);
const struct settings *view_settings(void); /* may be NULL */
/* The configured ISO 4217 code ("EUR" without settings). */
const char *view_currency(void);
/* The well-known symbol of code ("$" for USD), the ASCII one when !utf8; NULL
 * when there is none to show. */
const char *view_currency_symbol(const char *code, bool utf8);
/* A whole amount in code: "€1,250", "$1,250", "EUR 1,250" (ASCII screen), "1,250 CHF". */
void view_fmt_amount(int64_t amount, const char *code, bool utf8, char *buf, size_t len);
/* Figures held in SI (metres, m/s, litres) in units: "12 km" / "7 mi",
 * "90 km/h" / "56 mph", "400 L" / "106 gal" (US gallons). */
void view_fmt_distance(double m, enum config_units u, char *buf, size_t len);
void view_fmt_speed(double mps, enum config_units u, char *buf, size_t len);
void view_fmt_volume(double l, enum config_units u, char *buf, size_t len);
/* The unit words, for column headers that carry a unit: "km"/"mi", "km/h"/"mph", "L"/"gal". */
const char *view_unit_distance(enum config_units u);
const char *view_unit_speed(enum config_units u);
const char *view_unit_volume(enum config_units u);

/* The value of column col in row r (a CV_NULL value when the board has no such column). */
const struct cache_value *view_get(const struct view_row *r, const char *col);
/* Cell helpers shared by the boards. Each writes "--" for an unknown value. */
void view_fmt_text(const struct cache_value *v, char *buf, size_t len);
void view_fmt_int(const struct cache_value *v, char *buf, size_t len);
/* A count in at most four cells: 999, 1.6k, 16k, 160k, 1.6M, 16M, >1G. */
void view_fmt_count4(const struct cache_value *v, char *buf, size_t len);
void view_fmt_time(const struct cache_value *v, int64_t now, char *buf,
                   size_t len); /* HH:MM local */
/* In the configured currency: "€1,234". */
void view_fmt_money(const struct cache_value *v, bool utf8, char *buf, size_t len);
/* Metres in the configured units: "12 km" / "7 mi". */
void view_fmt_km(const struct cache_value *v, char *buf, size_t len);
void view_fmt_pct(const struct cache_value *v, char *buf, size_t len); /* "85%" */
void view_fmt_age(int64_t secs, char *buf, size_t len);                /* "18m", "3h", "2d" */
void view_fmt_span(const struct cache_value *start, const struct cache_value *end, char *buf,
                   size_t len); /* a time window: "15-16" on the hour, else "15:30-16:00" */
/* Formats a value by what its column name says (eta, *_at -> time; amount,
 * revenue -> money; *_m, *_l, speed_mps -> the configured units; *_pct -> %;
 * *_s -> h:mm); for detail panes. */
void view_fmt_named(const char *col, const struct cache_value *v, int64_t now, bool utf8, char *buf,
                    size_t len);
int64_t view_int(const struct cache_value *v, int64_t dflt);
/* A source's state at a glance (header and Health board). */
enum view_source_state { VIEW_SRC_NODATA, VIEW_SRC_LIVE, VIEW_SRC_LAG, VIEW_SRC_DOWN };
/* How often source's stream is polled as the settings (view_settings) say:
 * its configured interval, else the default by cadence (erp 60 s, tms and
 * telematics 5 s). stream NULL: the source's slowest polled stream, the pace
 * at which the source confirms all its rows. */
int view_source_interval_s(const char *source, const char *stream);
/* A connected event stream (SSE) is quiet between events, but its server sends a
 * keep-alive comment at least this often (the simulator every 15 s); each one
 * is recorded in the stream's health like an event (net/live.c). */
#define VIEW_KEEPALIVE_S 15
/* The state of one stream: polled streams by their configured interval, event
 * streams (events true) by VIEW_KEEPALIVE_S. live: heard within 2 intervals
 * with no errors and lag under 2 intervals; down: 3 errors in a row or silent
 * for 10 intervals; lagging in between; no data: never answered and no error
 * yet. last_ok_at 0 means never. */
enum view_source_state view_source_state(const char *source, const char *stream, bool events,
                                         int64_t last_ok_at, int64_t errors_in_row, int64_t lag_s,
                                         int64_t now);
extern const char *const view_source_state_name[]; /* "no data", "live", "lag", "down" */
/* The sync_state rows, one per source and stream, with their outbox depth. An
 * event stream's own health is kept under "<stream>_live" (beside its cursor);
 * once it has been heard more recently than the stream's catch-up pages, the
 * stream's row shows it and says so in the column `events` (1). */
extern const struct cache_board view_health_board;
/* Whether a row is stale. A row is as fresh as the later of its own sync time
 * (synced_at) and the last time its source confirmed its polled streams
 * (confirmed_at, 0 unknown): an incremental poll that brings nothing new
 * confirms every row it did not change. Stale means that is more than two of
 * the source's intervals ago (view_source_interval_s(source, NULL): its
 * slowest polled stream as configured), the bound a live source keeps. Rows of source
 * "local" are made here and never go stale; a row with no source (NULL) is
 * stale when synced_at is more than fallback_s ago (0: never); a row with no
 * sync time (0) is not judged. */
bool view_row_stale(const char *source, int64_t synced_at, int64_t confirmed_at, int fallback_s,
                    int64_t now);

/* Columns present in every board's cache_board and the defaults for a cell. */
/* clang-format off */
#define VIEW_TEXT_CELL(fn, col)                                                                    \
	static void fn(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)      \
	{                                                                                          \
	(void)slot;                                                                                \
	view_fmt_text(view_get(r, col), buf, len);                                                 \
	}
/* clang-format on */

#endif
