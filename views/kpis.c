/* KPIs board: one row per KPI sampled by the local pass (local/kpi_run.c): its
 * latest value in the depot's units, the trend against the sample before, and
 * a sparkline of the last 24 five-minute samples. The breakdowns (per route,
 * per kind of AI flag) are in `waybill kpi`. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "local/kpi_run.h"
#include "views/view.h"
#include "views/view_kpi.h"

/* Every KPI name is a row even before its first sample; ord keeps the order
 * of KPI_SAMPLES. Each subquery reads the kpi_sample primary key (name, at)
 * backwards from the newest sample, at most 24 rows. */
/* clang-format off */
#define KPI_SQL_NAME(n, ...) " UNION ALL SELECT '" #n "'"
#define KPI_SQL_LIST(n, ...) #n ","
#define KPI_LATEST "FROM kpi_sample s WHERE s.name=k.name ORDER BY s.at DESC LIMIT 1"
static const struct cache_board board = {
	.name = "kpis",
	.from = "(SELECT k.name AS id, instr('," KPI_SAMPLES(KPI_SQL_LIST) "', ','||k.name||',') AS ord,"
		" (SELECT s.at " KPI_LATEST ") AS at, (SELECT s.value " KPI_LATEST ") AS value,"
		" (SELECT s.value " KPI_LATEST " OFFSET 1) AS previous,"
		" (SELECT group_concat(h.at||':'||ifnull(h.value,''), ',') FROM"
		" (SELECT s.at AS at, s.value AS value FROM kpi_sample s WHERE s.name=k.name"
		" ORDER BY s.at DESC LIMIT 24) h) AS history"
		" FROM (SELECT NULL AS name WHERE 0" KPI_SAMPLES(KPI_SQL_NAME) ") k)",
	.cols = (const char *const[]){"id", "ord", "at", "value", "previous", "history", NULL},
	.search = (const char *const[]){"id", NULL},
	.sorts = (const char *const[]){"ord", "id", NULL},
};
/* clang-format on */

/* The row's KPI (local/kpi_run.h's list), or -1 for a name not in it. */
static int kpi_row_of(const struct view_row *r)
{
	const struct cache_value *id = view_get(r, "id");
	for (int i = 0; id->t == CV_TEXT && i < KPI__COUNT; i++)
		if (!strcmp(kpi_info[i].name, id->s))
			return i;
	return -1;
}

static double real_of(const struct cache_value *v)
{
	return v->t == CV_REAL ? v->d : v->t == CV_INT ? (double)v->i : NAN;
}

/* "42s", "18m", "3h05", "2.5d": a duration at the precision a dispatcher reads. */
static void fmt_duration(double s, char *buf, size_t len)
{
	double a = fabs(s);
	const char *sign = s < 0 ? "-" : "";
	if (a < 60)
		snprintf(buf, len, "%s%.0fs", sign, a);
	else if (a < 3600)
		snprintf(buf, len, "%s%.0fm", sign, a / 60);
	else if (a < 48 * 3600) {
		int64_t m = (int64_t)llround(a / 60);
		snprintf(buf, len, "%s%" PRId64 "h%02" PRId64, sign, m / 60, m % 60);
	} else
		snprintf(buf, len, "%s%.1fd", sign, a / 86400);
}

static void fmt_value(enum kpi_unit u, double v, bool utf8, char *buf, size_t len)
{
	if (isnan(v) || isinf(v)) {
		snprintf(buf, len, "--");
		return;
	}
	switch (u) {
	case KPI_UNIT_PCT: snprintf(buf, len, "%.1f%%", v); break;
	case KPI_UNIT_DURATION_S: fmt_duration(v, buf, len); break;
	case KPI_UNIT_DAYS: snprintf(buf, len, "%.1f d", v); break;
	case KPI_UNIT_MONEY: {
		struct cache_value m = {.t = CV_REAL, .d = v};
		view_fmt_money(&m, utf8, buf, len);
		break;
	}
	}
}

static void cell_label(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	int k = kpi_row_of(r);
	if (k >= 0)
		snprintf(buf, len, "%s", kpi_info[k].label);
	else
		view_fmt_text(view_get(r, "id"), buf, len);
}

static void cell_value(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	int k = kpi_row_of(r);
	fmt_value(k >= 0 ? kpi_info[k].unit : KPI_UNIT_DAYS, real_of(view_get(r, "value")), r->utf8,
	          buf, len);
}

/* The change since the sample before, with an arrow coloured by whether it
 * went the better way; "=" when it shows no change at the value's precision. */
static void cell_trend(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	int k = kpi_row_of(r);
	double v = real_of(view_get(r, "value")), p = real_of(view_get(r, "previous"));
	buf[0] = '\0';
	if (k < 0 || isnan(v) || isnan(p))
		return;
	char now_s[32], prev_s[32], d[32];
	fmt_value(kpi_info[k].unit, v, r->utf8, now_s, sizeof(now_s));
	fmt_value(kpi_info[k].unit, p, r->utf8, prev_s, sizeof(prev_s));
	if (!strcmp(now_s, prev_s)) {
		snprintf(buf, len, "=");
		return;
	}
	fmt_value(kpi_info[k].unit, fabs(v - p), r->utf8, d, sizeof(d));
	bool up = v > p;
	snprintf(buf, len, "%s %s", up ? (r->utf8 ? "\u25b2" : "^") : (r->utf8 ? "\u25bc" : "v"),
	         d);
	if (kpi_info[k].better)
		*slot = (up ? 1 : -1) == kpi_info[k].better ? VIEW_S_ok : VIEW_S_warn;
}

static void cell_spark(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	double v[VIEW_KPI_SPARK_N];
	const struct cache_value *h = view_get(r, "history");
	int64_t at = view_int(view_get(r, "at"), INT64_MIN);
	if (h->t != CV_TEXT || at == INT64_MIN ||
	    view_kpi_history(h->s, at, KPI_SAMPLE_STEP_S, v, VIEW_KPI_SPARK_N) == 0) {
		buf[0] = '\0';
		return;
	}
	view_kpi_sparkline(v, VIEW_KPI_SPARK_N, r->utf8, buf, len);
}

static void cell_at(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	view_fmt_time(view_get(r, "at"), r->now, buf, len);
}

int view_kpi_sparkline(const double *v, int n, bool utf8, char *buf, size_t len)
{
	static const char ascii[] = "_.:-=+*#";
	double lo = INFINITY, hi = -INFINITY;
	for (int i = 0; i < n; i++)
		if (!isnan(v[i])) {
			lo = v[i] < lo ? v[i] : lo;
			hi = v[i] > hi ? v[i] : hi;
		}
	size_t used = 0, glyph = utf8 ? 3 : 1;
	int drawn = 0;
	if (!len)
		return 0;
	for (int i = 0; i < n && used + glyph < len; i++, drawn++) {
		if (isnan(v[i])) {
			buf[used++] = ' ';
			continue;
		}
		int level = hi > lo ? (int)floor((v[i] - lo) / (hi - lo) * 7.0 + 0.5) : 3;
		level = level < 0 ? 0 : level > 7 ? 7 : level;
		if (utf8) {
			/* U+2581 + level: E2 96 81..88 */
			buf[used++] = (char)0xe2;
			buf[used++] = (char)0x96;
			buf[used++] = (char)(0x81 + level);
		} else {
			buf[used++] = ascii[level];
		}
	}
	buf[used] = '\0';
	return drawn;
}

int view_kpi_history(const char *history, int64_t last_at, int64_t step_s, double *out, int n)
{
	for (int i = 0; i < n; i++)
		out[i] = NAN;
	if (!history || step_s <= 0)
		return 0;
	int placed = 0;
	const char *p = history;
	while (*p) {
		char *end;
		long long at = strtoll(p, &end, 10);
		if (end == p || *end != ':')
			break;
		p = end + 1;
		double v = NAN;
		if (*p != ',' && *p) {
			v = strtod(p, &end);
			if (end == p)
				break;
			p = end;
		}
		int64_t back = (last_at - (int64_t)at) / step_s;
		if ((int64_t)at <= last_at && back < n && !isnan(v)) {
			out[n - 1 - back] = v;
			placed++;
		}
		if (*p == ',')
			p++;
		else if (*p)
			break;
	}
	return placed;
}

static const struct view_col cols[] = {
        {"KPI", 22, VIEW_LEFT, false, cell_label},
        {"VALUE", 9, VIEW_RIGHT, false, cell_value},
        {"TREND", 9, VIEW_LEFT, false, cell_trend},
        {"LAST 2H (5 MIN)", 24, VIEW_LEFT, true, cell_spark},
        {"AT", 5, VIEW_LEFT, false, cell_at},
};

const struct view_ops view_kpis_ops = {
        .name = "kpis",
        .title = "KPIs",
        .board = &board,
        .cols = cols,
        .ncols = (int)(sizeof(cols) / sizeof(cols[0])),
};
