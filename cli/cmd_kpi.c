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
#include "local/kpi_run.h"
#include "settings/paths.h"
#include "settings/settings.h"
#include "tui/tui.h"

#define ROUTES_SHOWN 5

static void row(const char *name, double v, const char *unit)
{
	if (!isnan(v) && !isinf(v))
		printf("  %-28s %14.2f %s\n", name, v, unit);
	else
		printf("  %-28s %14s\n", name, "-");
}

static void print_table(const struct kpi_figures *f, const char *currency)
{
	static const char *const unit[] = {
	        [KPI_UNIT_PCT] = "%",
	        [KPI_UNIT_DURATION_S] = "s",
	        [KPI_UNIT_DAYS] = "days",
	        [KPI_UNIT_MONEY] = "",
	};
	printf("KPIs (at %" PRId64 ")\n", f->now);
	for (int i = 0; i < KPI__COUNT; i++)
		row(kpi_info[i].label, kpi_figures_sample(f, (enum kpi_sample_id)i),
		    kpi_info[i].unit == KPI_UNIT_MONEY ? currency : unit[kpi_info[i].unit]);
	printf("  Least profitable routes (margin over their loads)\n");
	if (!f->nroutes)
		printf("  %-28s %14s\n", "(none)", "-");
	for (size_t i = 0; i < f->nroutes && i < ROUTES_SHOWN; i++) {
		char name[64];
		snprintf(name, sizeof(name), "%.13s -> %.13s", f->routes[i].origin,
		         f->routes[i].destination);
		printf("  %-28s %14.2f %s (%zu loads)\n", name, f->routes[i].margin, currency,
		       f->routes[i].loads);
	}
	printf("  AI flag precision per kind (approved / decided)\n");
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
		fprintf(stderr, "waybill: %s\n", err.msg[0] ? err.msg : "out of memory");
		return 1;
	}
	if (settings_cache_path(o->cache_path, false, path, sizeof(path), &err) != 0) {
		fprintf(stderr, "waybill: %s\n", err.msg);
		settings_free(cfg);
		return 1;
	}
	struct cache_opts co = {.readonly = true};
	struct cache *c = cache_open(path, &co, &err);
	if (!c) {
		fprintf(stderr, "waybill: %s\n", err.msg);
		settings_free(cfg);
		return 1;
	}
	struct kpi_figures f;
	int rc = kpi_run_figures(c, 0, &cfg->detect, &f, NULL, &err);
	cache_close(c);
	if (rc != 0) {
		fprintf(stderr, "waybill: %s\n", err.msg);
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
	char *s = k ? json_dumps(k, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
	if (s)
		puts(s);
	free(s);
	json_decref(k);
	return s ? 0 : 1;
}
