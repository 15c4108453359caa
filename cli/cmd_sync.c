/* `waybill sync` and `waybill doctor`: the sync engine without a screen. */
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "cache/cache.h"
#include "base/text.h"
#include "cli/cmd.h"
#include "cli/out.h"
#include "settings/settings.h"
#include "connectors/connector.h"
#include "net/net.h"
#include "sync/sync.h"
#include "settings/paths.h"
#include "tui/tui.h"

struct run {
	uv_loop_t loop;
	uv_signal_t sigint, sigterm;
	struct net *net;
	struct sync *sync;
	struct cache *cache;
	struct settings *cfg;
	bool once, tty, stopped;
	int interrupted;
	double last_bar;
};

static double mono_s(void)
{
	return (double)uv_hrtime() / 1e9;
}

static void utc_stamp(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void draw_bar(struct run *r, bool force)
{
	double now = mono_s();
	if (!force && now - r->last_bar < 0.1)
		return;
	r->last_bar = now;
	size_t done, total;
	int64_t records;
	sync_progress(r->sync, &done, &total, &records);
	char bar[31];
	size_t fill = total ? done * 30 / total : 30;
	for (size_t i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[30] = '\0';
	fprintf(stderr, "\r[%s] %zu/%zu streams, %" PRId64 " records ", bar, done, total, records);
	fflush(stderr);
}

static void stop_all(struct run *r)
{
	if (r->stopped)
		return;
	r->stopped = true;
	sync_stop(r->sync);
	uv_close((uv_handle_t *)&r->sigint, NULL);
	uv_close((uv_handle_t *)&r->sigterm, NULL);
	net_free(r->net);
	r->net = NULL;
}

static void on_event(void *arg, const struct sync_event *ev)
{
	struct run *r = arg;
	char when[32];
	switch (ev->kind) {
	case SYNC_EV_FINISHED:
		if (r->tty) {
			draw_bar(r, true);
			fputc('\n', stderr);
		}
		stop_all(r);
		return;
	case SYNC_EV_PAGE:
	case SYNC_EV_BATCH:
		if (r->once) {
			if (r->tty)
				draw_bar(r, false);
			return;
		}
		utc_stamp(when, sizeof(when));
		out_line(stdout, "%s %s %s: %s", when, ev->source, ev->stream, ev->text);
		fflush(stdout);
		return;
	case SYNC_EV_STREAM_DONE:
		if (r->tty)
			draw_bar(r, true);
		else
			out_line(stdout, "%s %s: done, %s", ev->source, ev->stream, ev->text);
		return;
	default:
		/* Errors, deliveries, refusals: always a line of their own. */
		if (r->tty && r->once)
			fputc('\n', stderr);
		utc_stamp(when, sizeof(when));
		out_line(r->once ? stderr : stdout, "%s %s %s: %s", when,
		         ev->source ? ev->source : "", ev->stream ? ev->stream : "", ev->text);
		fflush(stdout);
	}
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct run *r = h->data;
	r->interrupted = signum;
	stop_all(r);
}

/* Loads the config and opens the cache that every networked command needs. */
static int open_both(const struct cmd_opts *o, struct settings **cfg, struct cache **c)
{
	char cpath[PATH_MAX], kpath[PATH_MAX];
	struct wb_err err = {0};
	*cfg = NULL;
	*c = NULL;
	if (settings_config_path(o->config_path, cpath, sizeof(cpath), &err) != 0 ||
	    settings_load(cpath, cfg, &err) != 0) {
		out_error("%s", err.msg);
		return 1;
	}
	if (settings_cache_path(o->cache_path, true, kpath, sizeof(kpath), &err) != 0 ||
	    !(*c = cache_open(kpath, NULL, &err))) {
		out_error("%s", err.msg);
		settings_free(*cfg);
		*cfg = NULL;
		return 1;
	}
	return 0;
}

int cmd_sync(const struct cmd_opts *o)
{
	if (o->once == o->follow) {
		out_error("sync needs --once or --follow");
		fputs("Try 'waybill --help'.\n", stderr);
		return 2;
	}
	struct run r = {.once = o->once, .tty = o->once && isatty(STDERR_FILENO)};
	if (open_both(o, &r.cfg, &r.cache) != 0)
		return 1;
	struct wb_err err = {0};
	int rc = 1;
	if (cmd_audit_attach(r.cache, r.cfg) != 0)
		goto out;
	if (uv_loop_init(&r.loop) != 0) {
		out_error("cannot start the event loop");
		goto out;
	}
	r.net = net_new(&r.loop, NULL, &err);
	struct sync_opts so = {.once = o->once, .on_event = on_event, .arg = &r};
	r.sync = r.net ? sync_new(&r.loop, r.net, r.cache, r.cfg, &so, &err) : NULL;
	if (!r.sync) {
		out_error("%s", err.msg);
		net_free(r.net);
		uv_run(&r.loop, UV_RUN_DEFAULT);
		uv_loop_close(&r.loop);
		goto out;
	}
	uv_signal_init(&r.loop, &r.sigint);
	uv_signal_init(&r.loop, &r.sigterm);
	r.sigint.data = r.sigterm.data = &r;
	uv_signal_start(&r.sigint, on_signal, SIGINT);
	uv_signal_start(&r.sigterm, on_signal, SIGTERM);
	if (r.tty)
		draw_bar(&r, true);
	sync_start(r.sync);
	uv_run(&r.loop, UV_RUN_DEFAULT);
	if (o->once) {
		rc = sync_finished(r.sync) && sync_failures(r.sync) == 0 && !r.interrupted ? 0 : 1;
		if (rc != 0 && !r.interrupted)
			out_error("sync incomplete: %d stream(s), outbox(es) or local pass(es) "
			          "failed",
			          sync_failures(r.sync));
	} else {
		rc = 0;
	}
	if (r.interrupted && o->once)
		out_error("sync interrupted; it resumes where it stopped");
	sync_free(r.sync);
	if (uv_loop_close(&r.loop) != 0)
		out_error("event loop did not close cleanly");
	cmd_audit_detach(r.cache, r.cfg);
out:
	cache_close(r.cache);
	settings_free(r.cfg);
	return rc;
}

/* --- doctor ------------------------------------------------------------------ */

struct probe {
	const struct config_source *src;
	struct cache *cache;
	int ok;
	char line[700];
	size_t nmore; /* a source that signs in: its checks and clock, a line each */
	char more[SYNC_DOCTOR_CHECKS + 1][SYNC_DOCTOR_LINE + 16];
};

/* Lag: the oldest last success among this source's streams. */
static void lag_text(struct cache *c, const char *name, char *lag, size_t len)
{
	snprintf(lag, len, "never synced");
	struct cache_health *h;
	size_t n;
	if (cache_health_list(c, &h, &n, NULL) != 0)
		return;
	int64_t oldest = 0;
	int errors = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(h[i].source, name) != 0)
			continue;
		if (h[i].last_ok_at && (!oldest || h[i].last_ok_at < oldest))
			oldest = h[i].last_ok_at;
		errors += h[i].errors_in_row;
	}
	if (oldest)
		snprintf(lag, len, "last sync %" PRId64 " s ago%s", (int64_t)time(NULL) - oldest,
		         errors ? ", with errors" : "");
	free(h);
}

static void on_me(void *arg, const struct sync_whoami *w)
{
	struct probe *p = arg;
	const char *name = p->src->name;
	if (w->state == SYNC_WHOAMI_DOWN) {
		snprintf(p->line, sizeof(p->line), "%-10s DOWN  %s", name, w->why);
		return;
	}
	if (w->state == SYNC_WHOAMI_AUTH) {
		snprintf(p->line, sizeof(p->line),
		         "%-10s AUTH  reachable, but the token was refused (HTTP %ld)", name,
		         w->http_status);
		return;
	}
	if (w->state != SYNC_WHOAMI_OK && !w->me.user[0]) {
		snprintf(p->line, sizeof(p->line),
		         "%-10s BAD   reachable, but /v1/me answered HTTP %ld without a user", name,
		         w->http_status);
		return;
	}
	/* What the source calls us, whole characters only (the line is sanitised). */
	char user[200], role[80];
	out_cut(user, sizeof(user), w->me.user, 60);
	out_cut(role, sizeof(role), w->me.role, 20);
	const char *st = w->me.server_time;
	char skew[48] = "clock skew unknown";
	int64_t ms;
	if (st && connector_parse_time_ms(st, &ms) == 0)
		snprintf(skew, sizeof(skew), "clock skew %+" PRId64 " s",
		         ms / 1000 - (int64_t)time(NULL));
	char lag[64];
	lag_text(p->cache, name, lag, sizeof(lag));
	snprintf(p->line, sizeof(p->line), "%-10s ok    %s (%s), %s, %s", name, user, role, skew,
	         lag);
	p->ok = 1;
}

/* A source that signs in: reachable, its database, signed in as whom, the
 * kind's own checks (a line each), and the clock skew with where it came from. */
static void on_doctor(void *arg, const struct sync_doctor *d)
{
	struct probe *p = arg;
	const struct config_source *src = p->src;
	const char *name = src->name;
	if (d->who.state == SYNC_WHOAMI_DOWN) {
		snprintf(p->line, sizeof(p->line), "%-10s DOWN  %s", name, d->who.why);
		return;
	}
	if (!d->signed_in) {
		snprintf(p->line, sizeof(p->line), "%-10s AUTH  reachable, database %.60s: %s",
		         name, src->database, d->who.why);
		return;
	}
	char user[200], db[200], lag[64];
	out_cut(user, sizeof(user), d->who.me.user[0] ? d->who.me.user : src->user, 60);
	out_cut(db, sizeof(db), src->database, 60);
	lag_text(p->cache, name, lag, sizeof(lag));
	bool ok = d->who.state == SYNC_WHOAMI_OK && d->failed_checks == 0;
	snprintf(p->line, sizeof(p->line),
	         "%-10s %-5s reachable, database %.80s, signed in as %.80s%s%.200s, %s", name,
	         ok ? "ok" : "BAD", db, user, d->who.state == SYNC_WHOAMI_OK ? "" : "; ",
	         d->who.state == SYNC_WHOAMI_OK ? "" : d->who.why, lag);
	for (size_t i = 0; i < d->nchecks && p->nmore < SYNC_DOCTOR_CHECKS; i++)
		snprintf(p->more[p->nmore++], sizeof(p->more[0]), "%-10s       %s", "",
		         d->checks[i]);
	if (d->skew_known)
		snprintf(p->more[p->nmore++], sizeof(p->more[0]),
		         "%-10s       clock skew %+" PRId64 " s (%s)", "", d->skew_s,
		         d->skew_from_date ? "from the HTTP Date header"
		                           : "from the time the source sent");
	else
		snprintf(p->more[p->nmore++], sizeof(p->more[0]),
		         "%-10s       clock skew unknown (no Date header or time in the answers)",
		         "");
	p->ok = ok;
}

int cmd_doctor(const struct cmd_opts *o)
{
	struct settings *cfg;
	struct cache *c;
	if (open_both(o, &cfg, &c) != 0)
		return 1;
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct wb_err err = {0};
	struct net *n = net_new(&loop, &(struct net_opts){.connect_timeout_ms = 3000}, &err);
	struct probe probes[CONFIG_NROLES];
	memset(probes, 0, sizeof(probes));
	for (int i = 0; n && i < CONFIG_NROLES; i++) {
		probes[i].src = &cfg->sources[i];
		probes[i].cache = c;
		if (!cfg->sources[i].ops) { /* an optional role not configured */
			probes[i].ok = true;
			continue;
		}
		bool signs_in = cfg->sources[i].ops->login_request != NULL;
		if ((signs_in ? sync_doctor_start(n, &cfg->sources[i], 5000, on_doctor, &probes[i],
		                                  &err)
		              : sync_whoami_start(n, &cfg->sources[i], 5000, on_me, &probes[i],
		                                  &err)) != 0)
			snprintf(probes[i].line, sizeof(probes[i].line), "%-10s DOWN  %s",
			         cfg->sources[i].name, err.msg);
	}
	if (!n)
		out_error("%s", err.msg);
	uv_run(&loop, UV_RUN_DEFAULT);
	net_free(n);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	int bad = 0;
	for (int i = 0; n && i < CONFIG_NROLES; i++) {
		if (!cfg->sources[i].ops)
			continue;
		out_line(stdout, "%s", wb_utf8_trim(probes[i].line));
		for (size_t j = 0; j < probes[i].nmore; j++)
			out_line(stdout, "%s", wb_utf8_trim(probes[i].more[j]));
		bad += !probes[i].ok;
	}
	cache_close(c);
	settings_free(cfg);
	return n && !bad ? 0 : 1;
}
