/* Private to tui/: the terminal, the theme, drawing helpers, the table widget,
 * the prompt, the script player and the console that ties them together. */
#ifndef WAYBILL_TUI_INTERNAL_H
#define WAYBILL_TUI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <curses.h>
#include <jansson.h>
#include <uv.h>

#include "cache/cache.h"
#include "tui/tui.h"
#include "views/view.h"

/* Keys: a Unicode code point, or an ncurses KEY_* code marked with TUI_FN. */
#define TUI_FN(k) (0x200000 | (k))
#define TUI_CTRL(c) ((c)&0x1f)
#define TUI_ESC 27
/* Typed input (filters, commands) is capped; longer pastes are cut there. */
#define TUI_INPUT_MAX 200
#define TUI_MIN_COLS 80
#define TUI_MIN_ROWS 24

/* --- terminal (term.c) ----------------------------------------------------- */

/* Glyphs, chosen once at start by the locale: UTF-8 or plain ASCII. */
struct tui_glyphs {
	const char *live, *lag, *down, *nodata; /* source state dots */
	const char *cursor;                     /* the selected row's marker */
	const char *mark;                       /* a marked row */
	const char *dot;                        /* header separator */
	const char *arrow;                      /* "origin -> destination" */
	const char *ellipsis;                   /* cut text */
	bool line_drawing;                      /* ACS lines allowed */
};
extern const struct tui_glyphs *tui_glyph;

struct tui_term_opts {
	bool script; /* newterm on /dev/null: no terminal needed */
};
/* Sets up ncurses (colours, keypad, no echo), captures stderr until close and
 * installs handlers that restore the terminal on a crash. */
int tui_term_open(const struct tui_term_opts *o, struct wb_err *err);
/* Restores the terminal and prints what was written to stderr meanwhile. */
void tui_term_close(void);
bool tui_term_utf8(void);
bool tui_term_colors(void); /* false: NO_COLOR, or a terminal without colours */
/* Restores the terminal, prints the message and exits 1. */
void tui_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* --- themes (theme.c) ------------------------------------------------------ */

struct tui_theme_slot {
	short fg, bg; /* -1 default, 0..255 */
	attr_t attr;
	char desc[48]; /* "white/blue bold", for attribute dumps */
};
struct tui_theme {
	char name[64];
	struct tui_theme_slot slot[VIEW_S__COUNT];
};
extern const char *const tui_slot_name[];

/* Loads theme `name` (a name looked up in $WAYBILL_THEMES, ./themes,
 * WAYBILL_DATADIR/themes, or a path containing '/'). On failure leaves *t
 * untouched and writes a message naming the file and line into msg. */
int tui_theme_load(const char *name, struct tui_theme *t, char *msg, size_t msglen);
/* The compiled-in default or mono theme, for when no file can be read. */
void tui_theme_builtin(struct tui_theme *t, bool mono);
/* Makes t current: colour pairs (when the terminal has colours) and attributes. */
void tui_theme_apply(const struct tui_theme *t);
const struct tui_theme *tui_theme_current(void);
attr_t tui_attr(enum view_slot s);

/* --- drawing (draw.c) ------------------------------------------------------ */

/* Every cell drawn through these helpers records its theme slot, so that a
 * test can dump which slot each cell shows. */
void tui_draw_begin(void); /* sizes the slot grid to the screen */
/* Writes utf8 at (y, x) in exactly width cells, cut or padded. */
void tui_put(int y, int x, int width, enum view_align align, enum view_slot slot, const char *utf8);
/* Writes utf8 at (y, x) in at most width cells; returns the cells used. */
int tui_puts(int y, int x, int width, enum view_slot slot, const char *utf8);
void tui_hline(int y, int x, int width, enum view_slot slot);
int tui_text_width(const char *utf8);
int tui_save_display(const char *path);
int tui_save_attrs(const char *path);

/* --- the table widget (table.c) -------------------------------------------- */

/* A row by id with a time: its sync time when last drawn, or when it was
 * seen changing. */
struct tui_seen {
	char id[128];
	int64_t at;
};

/* When a source last confirmed its polled streams (the oldest of their last
 * good syncs): every row of that source is at least that fresh. */
struct tui_confirmed {
	char source[32];
	int64_t at;
};

/* How long a changed row stays marked (s). Low-bandwidth mode redraws every
 * 5 s, so there it is marked on one redraw and cleared on the next. */
#define TUI_CHANGED_S 3
/* While the selection moved this recently, live updates keep the selected row
 * where it is on screen (tui_table_refresh_steady). */
#define TUI_MOVE_HOLD_MS 1500

/* Shows one board through keyset windows: it holds only the rows on screen
 * (plus one to know whether more follow), keyed by the row before the first
 * (the anchor), and keeps the selected row by id across refreshes. */
struct tui_table {
	const struct view_ops *view;
	struct cache *cache;
	int sort; /* index into view->board->sorts */
	bool desc;
	char text[TUI_INPUT_MAX * 4 + 1]; /* free-text filter ("" none) */
	char status[64];                  /* status filter ("" none) */
	bool has_anchor;                  /* false: the window starts at the first row */
	struct cache_value anchor_sort;
	char *anchor_text; /* owns anchor_sort.s */
	char *anchor_id;
	struct cache_window win; /* up to height + 1 rows after the anchor */
	int height;              /* rows on screen */
	int cursor;              /* selected row, 0..visible-1 */
	char sel_id[128];        /* its id, "" when the board is empty */
	int64_t total;           /* rows matching the filters; -1 unknown */
	char **marks;            /* ids marked with Space */
	int nmarks, capmarks;
	int queries; /* board queries run (for tests and benchmarks) */
	/* Changed rows: each row drawn last time with its sync time, and the rows
	 * whose sync time moved since, marked until TUI_CHANGED_S after. */
	struct tui_seen *shown;
	int nshown, capshown;
	int64_t shown_at; /* the clock at that draw; 0: never drawn */
	struct tui_seen *changed;
	int nchanged, capchanged;
};

/* The model (table.c): the window, the anchor, the selection, following it. */
void tui_table_init(struct tui_table *t, const struct view_ops *v, struct cache *c);
void tui_table_free(struct tui_table *t);
int tui_table_visible(const struct tui_table *t);
const struct cache_value *tui_table_row(const struct tui_table *t, int i);
/* The id of row i as text. */
void tui_table_row_id(const struct tui_table *t, int i, char *buf, size_t len);
void tui_table_set_height(struct tui_table *t, int height);
/* Re-reads the window after the anchor, following the selected row's id. */
int tui_table_refresh(struct tui_table *t, bool recount, struct wb_err *err);
/* The same while the user is moving: when the selected row moved within the
 * window it is re-anchored so that it keeps its place on screen; when it left
 * the window the rows on screen stay as they are until the next refresh. */
int tui_table_refresh_steady(struct tui_table *t, bool recount, struct wb_err *err);
/* A live update when the user is not moving: like tui_table_refresh, but a
 * selected row that the update moved out of the window is followed (the window
 * moves so it stays on the cursor's line), never swapped for whatever row took
 * its place. When it left the board altogether, lost gets its id (else ""). */
int tui_table_refresh_follow(struct tui_table *t, bool recount, char *lost, size_t lost_len,
                             struct wb_err *err);
/* Compares the rows on screen with those of the last call (the last draw):
 * a row whose sync time moved, or one not on screen then but synced since, is
 * marked changed at now. The board's first call marks nothing. */
void tui_table_note_changes(struct tui_table *t, int64_t now);
/* Whether row id was seen changing less than TUI_CHANGED_S before now. */
bool tui_table_changed(const struct tui_table *t, const char *id, int64_t now);
int tui_table_move(struct tui_table *t, int delta, struct wb_err *err);
int tui_table_home(struct tui_table *t, struct wb_err *err);
int tui_table_end(struct tui_table *t, struct wb_err *err);
int tui_table_goto(struct tui_table *t, const char *id, struct wb_err *err);
/* Starts the window over after a new sort or filter, on the same row if it is
 * still there. */
int tui_table_restart(struct tui_table *t, struct wb_err *err);
/* A value as text (an id, a key): integers exactly, reals to 17 digits. */
void tui_value_text(const struct cache_value *v, char *buf, size_t len);
/* What the user sets and sees (table_view.c): sort, filter, marks, completion, drawing. */
int tui_table_set_sort(struct tui_table *t, const char *col, bool desc, struct wb_err *err);
int tui_table_cycle_sort(struct tui_table *t, struct wb_err *err);
int tui_table_set_filter(struct tui_table *t, const char *filter, struct wb_err *err);
const char *tui_table_sort_name(const struct tui_table *t);
bool tui_table_marked(const struct tui_table *t, const char *id);
void tui_table_toggle_mark(struct tui_table *t, const char *id);
/* Ids of the board starting with prefix, for Tab completion: fills up to max. */
int tui_table_complete(struct tui_table *t, const char *prefix, char out[][128], int max);
/* Draws the column headers at y and the rows below, h lines in all; rows
 * whose sync time moved since the last draw are marked changed, and each
 * row's freshness is judged with its source's confirmation time in conf. */
void tui_table_draw(struct tui_table *t, int y, int h, int w, int64_t now,
                    const struct tui_confirmed *conf, int nconf);

/* --- the prompt (prompt.c) ------------------------------------------------- */

#define TUI_HISTORY 32
struct tui_history {
	char *items[TUI_HISTORY];
	int n;
};

struct tui_prompt {
	bool active;
	int kind;                       /* ':' or '/' */
	int32_t buf[TUI_INPUT_MAX + 1]; /* code points */
	int len, cur;
	int hist_pos; /* -1: editing a new line */
	bool capped;  /* input was cut at TUI_INPUT_MAX */
};

enum tui_prompt_result { TUI_PROMPT_EDITING, TUI_PROMPT_DONE, TUI_PROMPT_CANCEL, TUI_PROMPT_TAB };
void tui_prompt_start(struct tui_prompt *p, int kind);
enum tui_prompt_result tui_prompt_key(struct tui_prompt *p, struct tui_history *h, int key);
/* The line as UTF-8 (control characters never get in). */
void tui_prompt_text(const struct tui_prompt *p, char *buf, size_t len);
void tui_prompt_set(struct tui_prompt *p, const char *utf8);
void tui_history_add(struct tui_history *h, const char *line);
void tui_history_free(struct tui_history *h);
void tui_prompt_draw(const struct tui_prompt *p, int y, int w);

/* --- the console (screen.c, command.c, detail.c, help.c) ------------------- */

enum tui_pane { TUI_PANE_NONE, TUI_PANE_DETAIL, TUI_PANE_FULL };

struct tui_source {
	char name[16];
	enum view_source_state state;
	int64_t lag_s;
};

struct tui_console {
	uv_loop_t loop;
	uv_poll_t input;
	uv_signal_t winch, sigint, sigterm, sighup;
	uv_timer_t redraw, tick;
	uv_check_t check;
	uv_idle_t idle;
	struct cache *cache;
	const struct tui_opts *opts;
	bool quit, paused, low_bandwidth, scripted;
	bool redraw_pending, full_repaint, data_stale;
	bool count_stale;    /* rows changed since the board's row count was taken */
	uint64_t counted_ms; /* when it was taken (loop time) */
	uint64_t last_draw_ms;
	int min_redraw_ms;
	int64_t fixed_now; /* WAYBILL_NOW, 0 when the wall clock runs */
	int board;         /* index into view_boards */
	struct tui_table tables[VIEW_NBOARDS];
	struct tui_prompt prompt;
	struct tui_history hist_cmd, hist_filter;
	enum tui_pane pane;
	int pane_scroll;
	bool help;
	struct tui_theme theme;
	char message[256];
	bool message_error;
	/* header data, re-read on each tick */
	char depot[48];
	struct tui_source sources[4];       /* erp, tms, telematics, maintenance (shown when
	                                     * configured or seen in sync_state) */
	struct tui_confirmed confirmed[16]; /* per source seen in sync_state */
	int nconfirmed;
	uint64_t moved_ms; /* loop time of the last key that moved the selection */
	bool moved;        /* a key has moved it (moved_ms may be 0) */
	int64_t outbox;
	int64_t counts[VIEW_NBOARDS]; /* per board, its count_status rows; -1 none */
	struct tui_script *script;
	char user[64];     /* who is acting: from /v1/me, else the config */
	int role;          /* enum core_role from /v1/me; -1 until known */
	struct net *net;   /* with opts->config: the transport and the */
	struct sync *sync; /* sync engine, on this loop */
};

int64_t tui_now(const struct tui_console *s);
void tui_request_redraw(struct tui_console *s);
void tui_report(struct tui_console *s, bool error, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
struct tui_table *tui_current(struct tui_console *s);
void tui_switch_board(struct tui_console *s, int board);
/* Handles one key as if typed (keys.c, through the key table). */
void tui_handle_key(struct tui_console *s, int key);
/* A key while the prompt is open (screen.c). */
void tui_key_in_prompt(struct tui_console *s, int key);
/* Runs a command line (without the ':'). */
void tui_command(struct tui_console *s, const char *line);
/* Completes the prompt's last word (Tab). */
void tui_complete(struct tui_console *s);
int tui_set_theme(struct tui_console *s, const char *name);
/* Actions (tui/act.c): whether word is one, and doing it. The decisions are
 * app/'s; these parse what was typed or selected and word the result. */
bool tui_act_handles(const char *word);
void tui_act(struct tui_console *s, const char *word, const char *args);
struct app_ctx;
struct app_result;
/* The context app/ acts in: this console's cache, settings, user and role. */
void tui_act_ctx(struct tui_console *s, struct app_ctx *x);
/* Words a refusal or error of `word` on id in the status line; the queued line
 * otherwise (queued: the success line, NULL for the usual one). */
void tui_act_report(struct tui_console *s, const char *word, const struct app_result *r,
                    const char *queued);
/* :release [ID [override REASON]]: a load through the release gate, or an
 * invoice through the invoice gate (tui/act_load.c). */
void tui_act_release(struct tui_console *s, const char *args);
/* The other actions (tui/act_more.c). */
void tui_act_hold(struct tui_console *s, const char *args);
void tui_act_unhold(struct tui_console *s, const char *args);
void tui_act_assign(struct tui_console *s, const char *args);
void tui_act_work_order(struct tui_console *s, const char *args);
void tui_detail_draw(struct tui_console *s, int y, int h, int w);
void tui_help_draw(struct tui_console *s);
/* The help's lines, generated from the key table for this console (its role,
 * the number of boards): writes up to max lines of up to TUI_HELP_W bytes;
 * returns the number of lines. */
#define TUI_HELP_W 160
int tui_help_lines(const struct tui_console *s, char lines[][TUI_HELP_W], int max);
void tui_draw(struct tui_console *s);
/* Sizes the tables for the layout (pane, screen) and re-reads the current one. */
void tui_relayout(struct tui_console *s);
/* Re-reads the header and (unless paused) the rows on screen. */
void tui_reload(struct tui_console *s, bool recount);
void tui_resized(struct tui_console *s, int rows, int cols);

/* --- the key table (keys.c) ------------------------------------------------ */

#define TUI_KEY_CODES 4
#define TUI_KEY_DIGITS (-1) /* keys[0]: the digit keys of the boards, 1 to view_nboards */
enum tui_key_where {
	TUI_KEYS_BOARD,     /* on a board (and under the detail pane) */
	TUI_KEYS_FULL_PANE, /* while the full detail pane is open: before the board's */
};

/* One row of the key table: the keys, where and on which boards they apply,
 * what they do, and how help and the status line name them. */
struct tui_key {
	int keys[TUI_KEY_CODES]; /* the key codes (0 ends them early) */
	const char *label;       /* as help shows them: "j Down" */
	enum tui_key_where where;
	/* An action: its command word (tui_command). It applies on the boards
	 * whose view_ops.actions list it, needs a role, and a viewer is offered
	 * none. NULL: applies on every board. */
	const char *action;
	int (*fn)(struct tui_console *s, int key, int arg, struct wb_err *err);
	int arg;
	bool moves;       /* moves the selection: it then holds its place (tui_reload) */
	const char *help; /* the help text; neighbours with the same text share an entry */
	const char *hint; /* on the status line ("s sort"), or NULL */
	int hint_rank;    /* when the status line is short, lower ranks stay */
};
extern const struct tui_key tui_keys[];
extern const int tui_nkeys;
/* The row that key means on this console now, or NULL. */
const struct tui_key *tui_key_find(const struct tui_console *s, int key);
/* Whether k applies on board v (actions: the board lists it). */
bool tui_key_applies(const struct tui_key *k, const struct view_ops *v);
/* Whether k is offered to this console's user on board v (NULL: any board). */
bool tui_key_offered(const struct tui_console *s, const struct tui_key *k,
                     const struct view_ops *v);
/* Its label ("1-8" for the digit keys). */
void tui_key_label(const struct tui_key *k, char *buf, size_t len);
/* The status line's hints for the current board, fitted to width cells. */
void tui_key_hints(const struct tui_console *s, char *buf, size_t len, int width);

/* --- scripted mode (script.c) ---------------------------------------------- */

struct tui_script;
struct tui_script *tui_script_open(const char *path, struct wb_err *err);
void tui_script_free(struct tui_script *sc);
/* Feeds the next key or runs the next directive; false when the script ended. */
bool tui_script_step(struct tui_script *sc, struct tui_console *s);
/* Parses a key name ("<Enter>", "<C-l>", "j"); -1 if unknown. */
int tui_key_parse(const char *name, size_t len);

#endif
