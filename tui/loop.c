/* The console on the libuv loop: keys from stdin through uv_poll (or from a
 * script in tests, fed only when the console is quiet), resize through
 * SIGWINCH on the loop, data re-read on a tick and on cache changes, and
 * redraws coalesced by a timer (screen.c) so the screen is painted at most 4
 * times a second (once with --low-bandwidth). */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"
#include "settings/settings.h"
#include "core/core.h"
#include "net/net.h"
#include "sync/sync.h"

static int read_key(int *key)
{
	wint_t wc;
	int r = get_wch(&wc);
	if (r == ERR)
		return 0;
	*key = r == KEY_CODE_YES ? TUI_FN((int)wc) : (int)wc;
	return 1;
}

static void on_input(uv_poll_t *p, int status, int events)
{
	struct tui_console *s = p->data;
	int key;
	while (!s->quit && read_key(&key))
		tui_handle_key(s, key);
	if (s->quit)
		uv_stop(&s->loop);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct tui_console *s = h->data;
	if (signum == SIGWINCH) {
		struct winsize ws;
		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
			tui_resized(s, ws.ws_row, ws.ws_col);
		return;
	}
	s->quit = true;
	uv_stop(&s->loop);
}

static void on_tick(uv_timer_t *t)
{
	struct tui_console *s = t->data;
	s->data_stale = true;
	tui_request_redraw(s);
}

static void on_cache_change(void *arg, uint32_t tables)
{
	struct tui_console *s = arg;
	s->data_stale = true;
	s->count_stale = true;
	tui_request_redraw(s);
}

/* Scripted mode: the next key goes in only when the console is quiet. */
static void on_check(uv_check_t *h)
{
	struct tui_console *s = h->data;
	if (s->quit) {
		uv_stop(&s->loop);
		return;
	}
	if (s->redraw_pending)
		return;
	if (!tui_script_step(s->script, s))
		s->quit = true;
	if (s->quit)
		uv_stop(&s->loop);
}

static void on_idle(uv_idle_t *h)
{
	(void)h; /* keeps the loop turning while a script has keys left */
}

static void close_cb(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static int start_loop(struct tui_console *s)
{
	int rc = uv_loop_init(&s->loop);
	if (rc)
		return rc;
	uv_timer_init(&s->loop, &s->redraw);
	uv_timer_init(&s->loop, &s->tick);
	s->redraw.data = s->tick.data = s;
	int sigs[] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP};
	uv_signal_t *hs[] = {&s->winch, &s->sigint, &s->sigterm, &s->sighup};
	for (int i = 0; i < 4; i++) {
		uv_signal_init(&s->loop, hs[i]);
		hs[i]->data = s;
		uv_signal_start(hs[i], on_signal, sigs[i]);
	}
	if (s->scripted) {
		uv_check_init(&s->loop, &s->check);
		uv_idle_init(&s->loop, &s->idle);
		s->check.data = s->idle.data = s;
		uv_check_start(&s->check, on_check);
		uv_idle_start(&s->idle, on_idle);
	} else {
		rc = uv_poll_init(&s->loop, &s->input, STDIN_FILENO);
		if (rc)
			return rc;
		s->input.data = s;
		uv_poll_start(&s->input, UV_READABLE, on_input);
		uint64_t every = s->low_bandwidth ? 5000 : 1000;
		uv_timer_start(&s->tick, on_tick, every, every);
	}
	return 0;
}

/* What the sync engine says that a user should see in the status line; the
 * header shows each source's state from the cache, so retries stay quiet. */
static void on_sync_event(void *arg, const struct sync_event *ev)
{
	struct tui_console *s = arg;
	switch (ev->kind) {
	case SYNC_EV_DELIVERED: tui_report(s, false, "%s: %.200s", ev->source, ev->text); break;
	case SYNC_EV_REJECTED:
	case SYNC_EV_GAVE_UP: tui_report(s, true, "%s: %.200s", ev->source, ev->text); break;
	default: break;
	}
}

/* Who we are, as the TMS (which owns exceptions and loads) sees our token:
 * local checks mirror what the source will enforce. Until it answers, the
 * console is read-only. */
static void on_me(void *arg, const struct sync_whoami *w)
{
	struct tui_console *s = arg;
	if (w->state == SYNC_WHOAMI_OK) {
		snprintf(s->user, sizeof(s->user), "%s", w->me.user);
		s->role = w->role;
		tui_report(s, false, "signed in to the TMS as %.60s (%s)", s->user,
		           core_role_name((enum core_role)w->role));
	} else {
		tui_report(s, true, "the TMS did not say who you are (%s); read-only", w->why);
	}
}

/* Keeps the cache in step with the configured sources on this loop. */
static void start_sync(struct tui_console *s)
{
	struct wb_err err = {0};
	s->net = net_new(&s->loop, NULL, &err);
	const struct config_source *tms = s->net ? settings_source(s->opts->config, "tms") : NULL;
	if (tms && sync_whoami_start(s->net, tms, 10000, on_me, s, &err) != 0)
		tui_report(s, true, "the TMS did not say who you are (%s); read-only", err.msg);
	struct sync_opts so = {.on_event = on_sync_event, .arg = s};
	if (s->net)
		s->sync = sync_new(&s->loop, s->net, s->cache, s->opts->config, &so, &err);
	if (!s->sync) {
		tui_report(s, true, "sync not started: %.200s", err.msg);
		return;
	}
	sync_start(s->sync);
}

static void stop_sync(struct tui_console *s)
{
	sync_stop(s->sync);
	net_free(s->net);
	s->net = NULL;
}

int tui_run(struct cache *c, const struct tui_opts *o)
{
	setlocale(LC_ALL, "");
	static struct tui_console console;
	struct tui_console *s = &console;
	memset(s, 0, sizeof(*s));
	s->cache = c;
	s->opts = o;
	s->role = -1;
	const char *user = o && o->config ? o->config->user : getenv("USER");
	snprintf(s->user, sizeof(s->user), "%s", user && *user ? user : "unknown");
	s->low_bandwidth = o && o->low_bandwidth;
	s->min_redraw_ms = s->low_bandwidth ? 1000 : 250;
	const char *now = getenv("WAYBILL_NOW");
	if (now && *now)
		s->fixed_now = strtoll(now, NULL, 10);
	const char *script = o && o->script ? o->script : getenv("WAYBILL_SCRIPT");
	struct wb_err err = {0};
	if (script && *script) {
		s->script = tui_script_open(script, &err);
		if (!s->script) {
			fprintf(stderr, "waybill: %s\n", err.msg);
			return 1;
		}
		s->scripted = true;
		s->min_redraw_ms = 0;
		/* Scripted runs never reach a source, so a test names the role the
		 * source would have given (only here: a live console asks /v1/me). */
		const char *role = getenv("WAYBILL_SCRIPT_ROLE");
		if (role && core_role_from_name(role) >= 0)
			s->role = core_role_from_name(role);
	}
	struct tui_term_opts to = {.script = s->scripted};
	if (tui_term_open(&to, &err) != 0) {
		fprintf(stderr, "waybill: %s\n", err.msg);
		tui_script_free(s->script);
		return 1;
	}
	char msg[300] = "";
	const char *theme = o && o->theme ? o->theme : "default";
	if (!tui_term_colors())
		theme = "mono";
	if (tui_theme_load(theme, &s->theme, msg, sizeof(msg)) != 0) {
		if (tui_theme_load(tui_term_colors() ? "default" : "mono", &s->theme, NULL, 0) != 0)
			tui_theme_builtin(&s->theme, !tui_term_colors());
	}
	tui_theme_apply(&s->theme);
	if (msg[0])
		snprintf(s->message, sizeof(s->message), "%.170s; using theme %.60s", msg,
		         s->theme.name);
	s->message_error = msg[0] != '\0';
	/* Figures in the configured units and currency and freshness by the
	 * configured intervals (without a config, the defaults'); the config's
	 * display name on every audit row this console writes (without one, no
	 * name was given: the rows carry the identity alone). */
	struct settings *dflt = o && o->config ? NULL : settings_defaults();
	view_use_settings(o && o->config ? o->config : dflt);
	cache_set_display_name(c, o && o->config ? o->config->user : NULL);
	for (int b = 0; b < view_nboards; b++)
		tui_table_init(&s->tables[b], view_boards[b], c);
	if (start_loop(s) != 0)
		tui_die("cannot start the event loop");
	cache_on_change(c, on_cache_change, s);
	if (o && o->config && !s->scripted)
		start_sync(s);
	tui_relayout(s);
	/* Paint the rows first: counting a board of 100,000 loads is a scan that
	 * would hold up the first screen, so a live console counts on its first
	 * tick (scripted runs count at once, to keep their screens exact). */
	tui_reload(s, s->scripted);
	if (!s->scripted) {
		s->count_stale = true;
		s->counted_ms = 0;
	}
	tui_request_redraw(s);
	uv_run(&s->loop, UV_RUN_DEFAULT);

	stop_sync(s);
	cache_on_change(c, NULL, NULL);
	tui_term_close();
	uv_walk(&s->loop, close_cb, NULL);
	uv_run(&s->loop, UV_RUN_DEFAULT);
	uv_loop_close(&s->loop);
	sync_free(s->sync);
	s->sync = NULL;
	for (int b = 0; b < view_nboards; b++)
		tui_table_free(&s->tables[b]);
	tui_history_free(&s->hist_cmd);
	tui_history_free(&s->hist_filter);
	tui_script_free(s->script);
	view_use_settings(NULL);
	settings_free(dflt);
	return 0;
}
