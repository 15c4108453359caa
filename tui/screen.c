/* The console's frame on the libuv loop: terminal setup and restore, keys from
 * stdin through uv_poll, SIGWINCH through uv_signal, redraws coalesced by a
 * timer. Until the boards land it shows the cache overview. */
#include <inttypes.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <curses.h>
#include <uv.h>

#include "waybill/cache.h"
#include "waybill/tui.h"

struct screen {
	uv_loop_t loop;
	uv_poll_t input;
	uv_signal_t winch, sigint, sigterm;
	uv_timer_t refresh;
	struct cache *cache;
	int quit;
	char status[600];
};

static void draw(struct screen *s)
{
	int rows, cols;
	getmaxyx(stdscr, rows, cols);
	erase();
	if (rows < 24 || cols < 80) {
		mvprintw(rows / 2, 0, "Enlarge the window to at least 80x24 (now %dx%d).", cols, rows);
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	attron(A_REVERSE);
	mvhline(0, 0, ' ', cols);
	mvprintw(0, 1, "Waybill %s  cache %.*s", WAYBILL_VERSION, cols - 30, cache_path(s->cache));
	attroff(A_REVERSE);
	struct cache_info info;
	struct wb_err err = {0};
	if (cache_info(s->cache, &info, &err) != 0) {
		snprintf(s->status, sizeof(s->status), "%s", err.msg);
	} else {
		mvprintw(2, 1, "Cache overview (schema %d)", info.schema_version);
		for (int i = 0; i < info.ntables && 4 + i < rows - 2; i++)
			mvprintw(4 + i, 3, "%-18s %12" PRId64, info.tables[i].table, info.tables[i].rows);
	}
	mvhline(rows - 2, 0, ACS_HLINE, cols);
	mvprintw(rows - 1, 1, "%.*s", cols - 2, s->status[0] ? s->status : "q quit  Ctrl-L repaint");
	wnoutrefresh(stdscr);
	doupdate();
}

static void on_refresh(uv_timer_t *t)
{
	draw(t->data);
}

static void stop(struct screen *s)
{
	s->quit = 1;
	uv_stop(&s->loop);
}

static void on_input(uv_poll_t *p, int status, int events)
{
	struct screen *s = p->data;
	int ch;
	while ((ch = getch()) != ERR) {
		if (ch == 'q' || ch == 'Q') {
			stop(s);
			return;
		}
		if (ch == 12) /* Ctrl-L */
			clearok(curscr, TRUE);
		if (ch == KEY_RESIZE)
			continue;
	}
	draw(s);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct screen *s = h->data;
	if (signum == SIGWINCH) {
		endwin();
		refresh();
		draw(s);
		return;
	}
	stop(s);
}

static void close_cb(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

int tui_run(struct cache *c, const struct tui_opts *o)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "waybill: the console needs a terminal; try `waybill cache info`\n");
		return 1;
	}
	setlocale(LC_ALL, "");
	struct screen s = {.cache = c};
	if (uv_loop_init(&s.loop) != 0) {
		fprintf(stderr, "waybill: cannot start the event loop\n");
		return 1;
	}
	if (!initscr()) {
		fprintf(stderr, "waybill: cannot initialise the terminal\n");
		uv_loop_close(&s.loop);
		return 1;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);

	uv_poll_init(&s.loop, &s.input, STDIN_FILENO);
	s.input.data = &s;
	uv_poll_start(&s.input, UV_READABLE, on_input);
	uv_signal_init(&s.loop, &s.winch);
	uv_signal_init(&s.loop, &s.sigint);
	uv_signal_init(&s.loop, &s.sigterm);
	s.winch.data = s.sigint.data = s.sigterm.data = &s;
	uv_signal_start(&s.winch, on_signal, SIGWINCH);
	uv_signal_start(&s.sigint, on_signal, SIGINT);
	uv_signal_start(&s.sigterm, on_signal, SIGTERM);
	uv_timer_init(&s.loop, &s.refresh);
	s.refresh.data = &s;
	uv_timer_start(&s.refresh, on_refresh, 0, o && o->low_bandwidth ? 5000 : 1000);

	uv_run(&s.loop, UV_RUN_DEFAULT);

	endwin();
	uv_walk(&s.loop, close_cb, NULL);
	uv_run(&s.loop, UV_RUN_DEFAULT);
	uv_loop_close(&s.loop);
	return 0;
}
