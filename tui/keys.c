/* The key table: every key the console answers on a board, with what it does,
 * where it applies, its help text and its status-line hint. The help screen
 * (help.c) and the status line's hints are generated from it, so a key added
 * here is documented there. */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "core/core.h"

/* --- handlers: each returns 0 or a negative WB_E* with err filled --------- */

static int k_quit(struct tui_console *s, int key, int arg, struct wb_err *err)
{
	s->quit = true;
	return 0;
}

/* arg 0: the key's digit names the board; +1/-1: the next or previous tab. */
static int k_board(struct tui_console *s, int key, int arg, struct wb_err *err)
{
	if (arg == 0)
		tui_switch_board(s, key - '1');
	else
		tui_switch_board(s, (s->board + view_nboards + arg) % view_nboards);
	return 0;
}

/* arg: rows to move; TUI_KEY_PAGE and -TUI_KEY_PAGE: a screenful. */
#define TUI_KEY_PAGE 1000000
static int k_move(struct tui_console *s, int key, int arg, struct wb_err *err)
{
	struct tui_table *t = tui_current(s);
	int delta = arg == TUI_KEY_PAGE ? t->height : arg == -TUI_KEY_PAGE ? -t->height : arg;
	return tui_table_move(t, delta, err);
}

static int k_home(struct tui_console *s, int key, int arg, struct wb_err *err)
{
	return tui_table_home(tui_current(s), err);
}

static int k_end(struct tui_console *s, int key, int arg, struct wb_err *err)
{
	return tui_table_end(tui_current(s), err);
}

static int k_enter(struct tui_console *s, int key, int arg, struct wb_err *err)
{
	s->pane = s->pane == TUI_PANE_NONE     ? TUI_PANE_DETAIL
	          : s->pane == TUI_PANE_DETAIL ? TUI_PANE_FULL
	                                       : TUI_PANE_NONE;
	s->pane_scroll = 0;
	tui_relayout(s);
	return 0;
}

static int k_esc(struct tui_console *s, int key, int arg, struct wb_err *err)
{
	if (s->pane != TUI_PANE_NONE) {
		s->pane = TUI_PANE_NONE;
		tui_relayout(s);
	}
	return 0;
}

static int k_filter(struct tui_console *s, int key, int arg, struct wb_err *err)
{
	struct tui_table *t = tui_current(s);
	tui_prompt_start(&s->prompt, '/');
	if (t->status[0]) {
		char f[80];
		snprintf(f, sizeof(f), "status:%s", t->status);
		tui_prompt_set(&s->prompt, f);
	} else {
		tui_prompt_set(&s->prompt, t->text);
	}
	return 0;
}

static int k_command(struct tui_console *s, int key, int arg, struct wb_err *err)
{
	tui_prompt_start(&s->prompt, ':');
	return 0;
}

static int k_sort(struct tui_console *s, int key, int arg, struct wb_err *err)
{
	struct tui_table *t = tui_current(s);
	int rc = tui_table_cycle_sort(t, err);
	if (!rc)
		tui_report(s, false, "sorted by %s", tui_table_sort_name(t));
	return rc;
}

static int k_reverse(struct tui_console *s, int key, int arg, struct wb_err *err)
{
	struct tui_table *t = tui_current(s);
	int rc = tui_table_set_sort(t, tui_table_sort_name(t), !t->desc, err);
	if (!rc)
		tui_report(s, false, "sorted by %s, %s", tui_table_sort_name(t),
		           t->desc ? "descending" : "ascending");
	return rc;
}

static int k_mark(struct tui_console *s, int key, int arg, struct wb_err *err)
{
	struct tui_table *t = tui_current(s);
	if (!t->sel_id[0])
		return 0;
	tui_table_toggle_mark(t, t->sel_id);
	return tui_table_move(t, 1, err);
}

static int k_repaint(struct tui_console *s, int key, int arg, struct wb_err *err)
{
	s->full_repaint = true;
	s->data_stale = true;
	return 0;
}

static int k_pause(struct tui_console *s, int key, int arg, struct wb_err *err)
{
	s->paused = !s->paused;
	if (!s->paused)
		s->data_stale = true;
	tui_report(s, false, s->paused ? "updates paused; p resumes" : "updates resumed");
	return 0;
}

static int k_help(struct tui_console *s, int key, int arg, struct wb_err *err)
{
	s->help = true;
	return 0;
}

/* An action key runs its command (tui/act*.c) on the selected or marked rows. */
static int k_act(struct tui_console *s, int key, int arg, struct wb_err *err);

/* arg: lines to scroll the full detail pane; TUI_KEY_PAGE a screenful; 0 the top. */
static int k_scroll(struct tui_console *s, int key, int arg, struct wb_err *err)
{
	int page = LINES - 5;
	if (arg == 0)
		s->pane_scroll = 0;
	else if (arg == TUI_KEY_PAGE)
		s->pane_scroll += page;
	else if (arg == -TUI_KEY_PAGE)
		s->pane_scroll = s->pane_scroll > page ? s->pane_scroll - page : 0;
	else if (arg < 0)
		s->pane_scroll = s->pane_scroll > 0 ? s->pane_scroll - 1 : 0;
	else
		s->pane_scroll += arg;
	return 0;
}

/* --- the table ------------------------------------------------------------ */

#define FN(k) TUI_FN(KEY_##k)
#define PAGE TUI_KEY_PAGE

/* In help order. Rows next to each other with the same help text share one
 * help entry ("j Down k Up  move"). hint_rank: when the status line is short,
 * lower ranks stay. */
/* clang-format off */
const struct tui_key tui_keys[] = {
	/* keys                       label     where             action      handler    arg    moves  help                       hint            rank */
	{{TUI_KEY_DIGITS},            "",       TUI_KEYS_BOARD,   NULL,       k_board,   0,     false, "switch board",            NULL,           0},
	{{'\t'},                      "Tab",    TUI_KEYS_BOARD,   NULL,       k_board,   +1,    false, "switch board",            NULL,           0},
	{{FN(BTAB)},                  "S-Tab",  TUI_KEYS_BOARD,   NULL,       k_board,   -1,    false, "switch board",            NULL,           0},
	{{'j', FN(DOWN)},             "j Down", TUI_KEYS_BOARD,   NULL,       k_move,    1,     true,  "move",                    NULL,           0},
	{{'k', FN(UP)},               "k Up",   TUI_KEYS_BOARD,   NULL,       k_move,    -1,    true,  "move",                    NULL,           0},
	{{FN(NPAGE), TUI_CTRL('f')},  "PgDn C-f", TUI_KEYS_BOARD, NULL,       k_move,    PAGE,  true,  "page down, up",           NULL,           0},
	{{FN(PPAGE), TUI_CTRL('b')},  "PgUp C-b", TUI_KEYS_BOARD, NULL,       k_move,    -PAGE, true,  "page down, up",           NULL,           0},
	{{'g', FN(HOME)},             "g Home", TUI_KEYS_BOARD,   NULL,       k_home,    0,     true,  "first, last row",         NULL,           0},
	{{'G', FN(END)},              "G End",  TUI_KEYS_BOARD,   NULL,       k_end,     0,     true,  "first, last row",         NULL,           0},
	{{'\r', '\n', FN(ENTER)},     "Enter",  TUI_KEYS_BOARD,   NULL,       k_enter,   0,     false, "detail, full detail",     "Enter detail", 2},
	{{TUI_ESC},                   "Esc",    TUI_KEYS_BOARD,   NULL,       k_esc,     0,     false, "close the detail",        NULL,           0},
	{{'r'},                       "r",      TUI_KEYS_BOARD,   "release",  k_act,     0,     false, "release",                 "r release",    1},
	{{'a'},                       "a",      TUI_KEYS_BOARD,   "assign",   k_act,     0,     false, "assign",                  "a assign",     1},
	{{'h'},                       "h",      TUI_KEYS_BOARD,   "hold",     k_act,     0,     false, "hold",                    "h hold",       1},
	{{'A'},                       "A",      TUI_KEYS_BOARD,   "approve",  k_act,     0,     false, "approve",                 "A approve",    1},
	{{'R'},                       "R",      TUI_KEYS_BOARD,   "reject",   k_act,     0,     false, "reject",                  "R reject",     1},
	{{'E'},                       "E",      TUI_KEYS_BOARD,   "escalate", k_act,     0,     false, "escalate",                "E escalate",   1},
	{{'K'},                       "K",      TUI_KEYS_BOARD,   "ack",      k_act,     0,     false, "ack",                     "K ack",        1},
	{{' '},                       "Space",  TUI_KEYS_BOARD,   NULL,       k_mark,    0,     true,  "mark the row (by id)",    NULL,           0},
	{{'/'},                       "/",      TUI_KEYS_BOARD,   NULL,       k_filter,  0,     false, "filter (text or status:VALUE; empty clears)", "/ filter", 3},
	{{'s'},                       "s",      TUI_KEYS_BOARD,   NULL,       k_sort,    0,     false, "next sort column",        "s sort",       5},
	{{'S'},                       "S",      TUI_KEYS_BOARD,   NULL,       k_reverse, 0,     false, "reverse the sort",        NULL,           0},
	{{':'},                       ":",      TUI_KEYS_BOARD,   NULL,       k_command, 0,     false, "command (below)",         ": command",    4},
	{{'p'},                       "p",      TUI_KEYS_BOARD,   NULL,       k_pause,   0,     false, "pause or resume updates", NULL,           0},
	{{TUI_CTRL('l')},             "C-l",    TUI_KEYS_BOARD,   NULL,       k_repaint, 0,     false, "repaint",                 NULL,           0},
	{{'?'},                       "?",      TUI_KEYS_BOARD,   NULL,       k_help,    0,     false, "this help",               "? help",       0},
	{{'q'},                       "q",      TUI_KEYS_BOARD,   NULL,       k_quit,    0,     false, "quit",                    "q quit",       0},
	{{'j', FN(DOWN)},             "j Down", TUI_KEYS_FULL_PANE, NULL,     k_scroll,  1,     false, "scroll the full detail",  NULL,           0},
	{{'k', FN(UP)},               "k Up",   TUI_KEYS_FULL_PANE, NULL,     k_scroll,  -1,    false, "scroll the full detail",  NULL,           0},
	{{FN(NPAGE)},                 "PgDn",   TUI_KEYS_FULL_PANE, NULL,     k_scroll,  PAGE,  false, "scroll the full detail",  NULL,           0},
	{{FN(PPAGE)},                 "PgUp",   TUI_KEYS_FULL_PANE, NULL,     k_scroll,  -PAGE, false, "scroll the full detail",  NULL,           0},
	{{'g', FN(HOME)},             "g Home", TUI_KEYS_FULL_PANE, NULL,     k_scroll,  0,     false, "scroll the full detail",  NULL,           0},
};
/* clang-format on */
const int tui_nkeys = (int)(sizeof(tui_keys) / sizeof(tui_keys[0]));

static bool holds(const struct tui_key *k, int key)
{
	if (k->keys[0] == TUI_KEY_DIGITS)
		return key >= '1' && key < '1' + view_nboards;
	for (int i = 0; i < TUI_KEY_CODES && k->keys[i]; i++)
		if (k->keys[i] == key)
			return true;
	return false;
}

const struct tui_key *tui_key_find(const struct tui_console *s, int key)
{
	if (s->pane == TUI_PANE_FULL) /* the full detail pane scrolls with these */
		for (int i = 0; i < tui_nkeys; i++)
			if (tui_keys[i].where == TUI_KEYS_FULL_PANE && holds(&tui_keys[i], key))
				return &tui_keys[i];
	for (int i = 0; i < tui_nkeys; i++)
		if (tui_keys[i].where == TUI_KEYS_BOARD && holds(&tui_keys[i], key))
			return &tui_keys[i];
	return NULL;
}

bool tui_key_applies(const struct tui_key *k, const struct view_ops *v)
{
	return !k->action || view_has_action(v, k->action);
}

bool tui_key_offered(const struct tui_console *s, const struct tui_key *k, const struct view_ops *v)
{
	if (k->action && s->role == CORE_ROLE_VIEWER)
		return false; /* a viewer is read-only: no action is offered */
	return v ? tui_key_applies(k, v) : true;
}

void tui_key_label(const struct tui_key *k, char *buf, size_t len)
{
	if (k->keys[0] == TUI_KEY_DIGITS)
		snprintf(buf, len, "1-%d", view_nboards);
	else
		snprintf(buf, len, "%s", k->label);
}

/* The titles of the boards an action applies on: "Loads" or "Loads, Vehicles". */
/* "Loads", "Loads or Billing", "Loads, Staging or Billing". */
static void action_boards(const char *action, char *buf, size_t len)
{
	int on[VIEW_NBOARDS], k = 0;
	for (int b = 0; b < view_nboards; b++)
		if (view_has_action(view_boards[b], action))
			on[k++] = b;
	size_t n = 0;
	buf[0] = '\0';
	for (int i = 0; i < k && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s",
		                      i == 0       ? ""
		                      : i == k - 1 ? " or "
		                                   : ", ",
		                      view_boards[on[i]]->title);
}

static int k_act(struct tui_console *s, int key, int arg, struct wb_err *err)
{
	const struct tui_key *k = tui_key_find(s, key);
	const struct view_ops *v = tui_current(s)->view;
	if (!k || !k->action)
		return 0;
	if (!tui_key_applies(k, v)) {
		char where[120];
		action_boards(k->action, where, sizeof(where));
		tui_report(s, true, "%s acts on the %s board, not on %s (or type :%s ID)",
		           k->action, where, v->title, k->action);
		return 0;
	}
	tui_command(s, k->action);
	return 0;
}

void tui_key_hints(const struct tui_console *s, char *buf, size_t len, int width)
{
	const struct view_ops *v = tui_current((struct tui_console *)s)->view;
	const char *suffix = s->role == CORE_ROLE_VIEWER ? "  (viewer: read-only)" : "";
	bool take[sizeof(tui_keys) / sizeof(tui_keys[0])] = {false};
	int used = 1 + (int)strlen(suffix); /* the leading blank */
	/* By rank, while they fit; shown in table order. */
	for (int rank = 0; rank < 10; rank++)
		for (int i = 0; i < tui_nkeys; i++) {
			const struct tui_key *k = &tui_keys[i];
			if (!k->hint || k->hint_rank != rank || k->where != TUI_KEYS_BOARD ||
			    !tui_key_offered(s, k, v))
				continue;
			int w = (int)strlen(k->hint) + (used > 1 + (int)strlen(suffix) ? 2 : 0);
			if (used + w <= width - 1) {
				take[i] = true;
				used += w;
			}
		}
	size_t n = (size_t)snprintf(buf, len, " ");
	bool first = true;
	for (int i = 0; i < tui_nkeys && n < len; i++)
		if (take[i]) {
			n += (size_t)snprintf(buf + n, len - n, "%s%s", first ? "" : "  ",
			                      tui_keys[i].hint);
			first = false;
		}
	if (n < len)
		snprintf(buf + n, len - n, "%s", suffix);
}

void tui_handle_key(struct tui_console *s, int key)
{
	struct wb_err err = {0};
	if (key == TUI_FN(KEY_RESIZE))
		return;
	if (s->prompt.active) {
		tui_key_in_prompt(s, key);
		return;
	}
	tui_request_redraw(s);
	if (s->help) {
		s->help = false; /* any key, q included, only closes the help */
		return;
	}
	s->message[0] = '\0';
	if (COLS < TUI_MIN_COLS || LINES < TUI_MIN_ROWS) {
		if (key == 'q')
			s->quit = true;
		return;
	}
	const struct tui_key *k = tui_key_find(s, key);
	if (!k)
		return; /* stray keys and pasted bytes do nothing */
	if (k->moves) { /* keys that move the selection hold its place (tui_reload) */
		s->moved = true;
		s->moved_ms = uv_now(&s->loop);
	}
	if (k->fn(s, key, k->arg, &err) != 0)
		tui_report(s, true, "%s", err.msg);
}
