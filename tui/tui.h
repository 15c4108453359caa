/* The console: the options it opens with and its entry point. Everything
 * that touches ncurses lives in tui/; cli/ parses the command line. */
#ifndef WAYBILL_TUI_H
#define WAYBILL_TUI_H

#include <stdbool.h>
#include <stddef.h>

struct cache;
struct settings;

/* Options every command accepts. */
struct tui_opts {
	const char *config_path;       /* --config, else $WAYBILL_CONFIG, else XDG */
	const char *cache_path;        /* --cache, else $WAYBILL_CACHE, else XDG */
	const char *theme;             /* --theme NAME */
	bool low_bandwidth;            /* --low-bandwidth */
	const char *script;            /* --script PATH (hidden), else $WAYBILL_SCRIPT:
	                                * keys from a file, screen on /dev/null (tests) */
	const struct settings *config; /* sources to keep in step while the console runs
	                                * (sync --follow on the console's loop); NULL: the
	                                * cache only */
};

/* Opens the console on an open cache until the user quits. Returns an exit code. */
int tui_run(struct cache *c, const struct tui_opts *o);

#endif
