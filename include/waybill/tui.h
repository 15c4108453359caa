/* The terminal side: paths and command line shared by main() and the screen,
 * and the theme slots the boards colour their cells with. Everything that
 * touches ncurses lives in tui/; main() only dispatches. */
#ifndef WAYBILL_TUI_H
#define WAYBILL_TUI_H

#include <stdbool.h>
#include <stddef.h>

#include "waybill/err.h"

struct cache;
struct config;

/* Options every command accepts. */
struct tui_opts {
	const char *config_path;  /* --config, else $WAYBILL_CONFIG, else XDG */
	const char *cache_path;   /* --cache, else $WAYBILL_CACHE, else XDG */
	const char *theme;        /* --theme NAME */
	bool low_bandwidth;       /* --low-bandwidth */
	const char *script;       /* --script PATH (hidden), else $WAYBILL_SCRIPT:
				   * keys from a file, screen on /dev/null (tests) */
	const struct config *config; /* sources to keep in step while the console runs
				      * (sync --follow on the console's loop); NULL: the
				      * cache only */
};

/* Theme slots: what a cell means, never its colour. A theme file
 * (themes/default.theme) gives each slot a colour pair and attributes. */
#define TUI_SLOTS(X)                                                           \
	X(header) X(tabs) X(tab_active) X(column) X(row) X(selected) X(marked)   \
	X(stale) X(fresh) X(late) X(hold) X(warn) X(ok) X(status) X(error) X(dialog)

enum tui_slot {
#define TUI_SLOT_ENUM(n) TUI_S_##n,
	TUI_SLOTS(TUI_SLOT_ENUM)
#undef TUI_SLOT_ENUM
	TUI_S__COUNT
};

/* Resolves the config file path: flag, then $WAYBILL_CONFIG, then
 * $XDG_CONFIG_HOME/waybill/config.json, then ~/.config/waybill/config.json. */
int tui_config_path(const char *flag, char *buf, size_t len, struct wb_err *err);
/* Resolves the cache path likewise ($WAYBILL_CACHE, $XDG_CACHE_HOME/waybill/cache.db,
 * ~/.cache/waybill/cache.db). With create, makes the default directory (0700). */
int tui_cache_path(const char *flag, bool create, char *buf, size_t len, struct wb_err *err);

/* Opens the console on an open cache until the user quits. Returns an exit code. */
int tui_run(struct cache *c, const struct tui_opts *o);
/* --demo: a fresh temporary cache, the console on it, and nothing left behind. */
int tui_demo(const struct tui_opts *o);

#endif
