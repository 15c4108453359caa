/* `waybill kpi [--json]`: the KPIs of docs/design.md §6 over the cache, computed by
 * local/kpi_*.c (on a cold process that is one full scan). --json prints one
 * object whose snake_case keys carry their unit; a KPI with nothing to measure
 * is null. Without --json, a readable table (each KPI under its label from
 * local/kpi_run.h's list) with the breakdowns the KPI board only headlines:
 * precision per kind of AI flag and the least profitable routes.
 * "now" is the newest server time the data implies (detect_run_now), so a cache
 * synced from a source whose clock differs from ours reads sensibly. The config,
 * when there is one, gives the detectors' thresholds (the detention KPI counts
 * from their free time) and, in the table, the currency; --json keeps its keys
 * and SI values whatever the config says, for scripts. */
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cache/cache.h"
#include "cli/cmd.h"
#include "cli/out.h"
#include "local/kpi_run.h"
#include "settings/paths.h"
#include "settings/settings.h"
#include "tui/tui.h"

#define ROUTES_SHOWN 5

static void row(const char *name, double v, const char *unit)
{
	if (!isnan(v) && !isinf(v))
		out_line(stdout, "  %-28s %14.2f %s", name, v, unit);
	else
		out_line(stdout, "  %-28s %14s", name, "-");
}

static void print_table(const struct kpi_figures *f, const char *currency)
{
	static const char *const unit[] = {
	        [KPI_UNIT_PCT] = "%",
	        [KPI_UNIT_DURATION_S] = "s",
	        [KPI_UNIT_DAYS] = "days",
	        [KPI_UNIT_MONEY] = "",
	};
	out_line(stdout, "KPIs (at %" PRId64 ")", f->now);
	for (int i = 0; i < KPI__COUNT; i++)
		row(kpi_info[i].label, kpi_figures_sample(f, (enum kpi_sample_id)i),
		    kpi_info[i].unit == KPI_UNIT_MONEY ? currency : unit[kpi_info[i].unit]);
	out_line(stdout, "  Least profitable routes (margin over their loads)");
	if (!f->nroutes)
		out_line(stdout, "  %-28s %14s", "(none)", "-");
	for (size_t i = 0; i < f->nroutes && i < ROUTES_SHOWN; i++) {
		/* Each end in 12 cells, whole characters only: 28 cells in all. */
		char from[64], to[64], name[160], cell[200];
		snprintf(name, sizeof(name), "%s -> %s",
		         out_cut(from, sizeof(from), f->routes[i].origin, 12),
		         out_cut(to, sizeof(to), f->routes[i].destination, 12));
		out_line(stdout, "  %s %14.2f %s (%zu loads)",
		         out_cell(cell, sizeof(cell), name, 28), f->routes[i].margin, currency,
		         f->routes[i].loads);
	}
	out_line(stdout, "  AI flag precision per kind (approved / decided)");
	for (int kind = 0; kind < CORE_KIND__COUNT; kind++)
		row(core_kind_name((enum core_kind)kind), f->precision[kind], "");
}

/* The config at --config (which must load), else at the default path when a
 * file is there, else the defaults. NULL with err on failure. */
static struct settings *load_settings(const char *flag, struct wb_err *err)
{
	char cpath[PATH_MAX];
	struct settings *cfg = NULL;
	if (settings_load_found(flag, &cfg, cpath, sizeof(cpath), err) != 0)
		return NULL;
	return cfg ? cfg : settings_defaults();
}

int cmd_kpi(const struct cmd_opts *o)
{
	char path[PATH_MAX];
	struct wb_err err = {0};
	struct settings *cfg = load_settings(o->config_path, &err);
	if (!cfg) {
		out_error("%s", err.msg[0] ? err.msg : "out of memory");
		return 1;
	}
	if (settings_cache_path(o->cache_path, false, path, sizeof(path), &err) != 0) {
		out_error("%s", err.msg);
		settings_free(cfg);
		return 1;
	}
	struct cache_opts co = {.readonly = true};
	struct cache *c = cache_open(path, &co, &err);
	if (!c) {
		out_error("%s", err.msg);
		settings_free(cfg);
		return 1;
	}
	struct kpi_figures f;
	int rc = kpi_run_figures(c, 0, &cfg->detect, &f, NULL, &err);
	cache_close(c);
	if (rc != 0) {
		out_error("%s", err.msg);
		settings_free(cfg);
		return 1;
	}
	if (!o->json) {
		print_table(&f, cfg->currency);
		kpi_figures_free(&f);
		settings_free(cfg);
		return 0;
	}
	settings_free(cfg);
	json_t *k = kpi_figures_json(&f);
	kpi_figures_free(&f);
	int rc_out = out_json(stdout, k, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(k);
	return rc_out == 0 ? 0 : 1;
}
