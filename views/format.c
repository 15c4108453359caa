/* Cell formatting shared by the boards: times in the depot's local time, money
 * in the configured currency, distances, speeds and volumes in the configured
 * units (metric and euro without a config), ages. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "settings/settings.h"
#include "views/view.h"

static const struct cache_value null_value = {.t = CV_NULL};

/* Loaded once and never changed while the process runs: a pointer is enough. */
static const struct settings *view_cfg;

void view_use_settings(const struct settings *s)
{
	view_cfg = s;
}

const struct settings *view_settings(void)
{
	return view_cfg;
}

static enum config_units units(void)
{
	return view_cfg ? view_cfg->units : CONFIG_METRIC;
}

const char *view_currency(void)
{
	return view_cfg && view_cfg->currency && *view_cfg->currency ? view_cfg->currency : "EUR";
}

const struct cache_value *view_get(const struct view_row *r, const char *col)
{
	for (int i = 0; r->board && r->board->cols[i]; i++)
		if (!strcmp(r->board->cols[i], col))
			return &r->cells[i];
	return &null_value;
}

int64_t view_int(const struct cache_value *v, int64_t dflt)
{
	if (v->t == CV_INT)
		return v->i;
	if (v->t == CV_REAL && !isnan(v->d))
		return (int64_t)llround(v->d);
	return dflt;
}

static void unknown(char *buf, size_t len)
{
	snprintf(buf, len, "--");
}

void view_fmt_text(const struct cache_value *v, char *buf, size_t len)
{
	switch (v->t) {
	case CV_TEXT: snprintf(buf, len, "%s", v->s); break;
	case CV_INT: snprintf(buf, len, "%" PRId64, v->i); break;
	case CV_REAL: snprintf(buf, len, "%.2f", v->d); break;
	default: unknown(buf, len);
	}
}

void view_fmt_int(const struct cache_value *v, char *buf, size_t len)
{
	int64_t n = view_int(v, INT64_MIN);
	if (n == INT64_MIN)
		unknown(buf, len);
	else
		snprintf(buf, len, "%" PRId64, n);
}

void view_fmt_count4(const struct cache_value *v, char *buf, size_t len)
{
	int64_t n = view_int(v, INT64_MIN);
	if (n == INT64_MIN || n < 0)
		unknown(buf, len);
	else if (n < 1000)
		snprintf(buf, len, "%" PRId64, n);
	else if (n < 10000)
		snprintf(buf, len, "%" PRId64 ".%" PRId64 "k", n / 1000, n % 1000 / 100);
	else if (n < 1000000)
		snprintf(buf, len, "%" PRId64 "k", n / 1000);
	else if (n < 10000000)
		snprintf(buf, len, "%" PRId64 ".%" PRId64 "M", n / 1000000, n % 1000000 / 100000);
	else if (n < 1000000000)
		snprintf(buf, len, "%" PRId64 "M", n / 1000000);
	else
		snprintf(buf, len, "%s", ">1G");
}

void view_fmt_time(const struct cache_value *v, int64_t now, char *buf, size_t len)
{
	int64_t t = view_int(v, INT64_MIN);
	if (t == INT64_MIN || t <= 0) {
		unknown(buf, len);
		return;
	}
	time_t tt = (time_t)t;
	struct tm tm;
	if (!localtime_r(&tt, &tm)) {
		unknown(buf, len);
		return;
	}
	/* Within a day of now the hour says enough; further away, the date. */
	int64_t d = t - now;
	if (d < -86400 || d > 86400)
		strftime(buf, len, "%m-%d", &tm);
	else
		strftime(buf, len, "%H:%M", &tm);
}

/* 1234567 -> "1,234,567" */
static void thousands(int64_t n, char *buf, size_t len)
{
	char digits[32];
	snprintf(digits, sizeof(digits), "%" PRId64, n < 0 ? -n : n);
	size_t nd = strlen(digits), j = 0;
	char out[48];
	if (n < 0)
		out[j++] = '-';
	for (size_t i = 0; i < nd; i++) {
		if (i && (nd - i) % 3 == 0)
			out[j++] = ',';
		out[j++] = digits[i];
	}
	out[j] = '\0';
	snprintf(buf, len, "%s", out);
}

/* The well-known symbols, written before the amount; any other code is
 * written after it ("1,250 CHF"). ascii: the symbol where it is ASCII. */
static const struct {
	const char *code, *utf8, *ascii;
} currencies[] = {
        {"EUR", "\u20ac", NULL}, {"USD", "$", "$"},       {"GBP", "\u00a3", NULL},
        {"JPY", "\u00a5", NULL}, {"CNY", "\u00a5", NULL}, {"INR", "\u20b9", NULL},
        {"KRW", "\u20a9", NULL}, {"AUD", "A$", "A$"},     {"CAD", "C$", "C$"},
};

const char *view_currency_symbol(const char *code, bool utf8)
{
	for (size_t i = 0; code && i < sizeof(currencies) / sizeof(currencies[0]); i++)
		if (!strcmp(currencies[i].code, code))
			return utf8 ? currencies[i].utf8 : currencies[i].ascii;
	return NULL;
}

void view_fmt_amount(int64_t amount, const char *code, bool utf8, char *buf, size_t len)
{
	char n[48];
	thousands(amount, n, sizeof(n));
	const char *sym = view_currency_symbol(code, utf8);
	if (sym) /* "-$1,250" */
		snprintf(buf, len, "%s%s%s", amount < 0 ? "-" : "", sym, n + (amount < 0));
	else if (view_currency_symbol(code, true)) /* a symbol this terminal cannot show */
		snprintf(buf, len, "%s %s", code, n);
	else
		snprintf(buf, len, "%s %s", n, code);
}

void view_fmt_money(const struct cache_value *v, bool utf8, char *buf, size_t len)
{
	if (v->t != CV_INT && (v->t != CV_REAL || isnan(v->d))) {
		unknown(buf, len);
		return;
	}
	view_fmt_amount(view_int(v, 0), view_currency(), utf8, buf, len);
}

#define M_PER_MI 1609.344
#define L_PER_GAL 3.785411784 /* US gallon */

void view_fmt_distance(double m, enum config_units u, char *buf, size_t len)
{
	char n[48];
	thousands((int64_t)llround(m / (u == CONFIG_IMPERIAL ? M_PER_MI : 1000.0)), n, sizeof(n));
	snprintf(buf, len, "%s %s", n, view_unit_distance(u));
}

void view_fmt_speed(double mps, enum config_units u, char *buf, size_t len)
{
	snprintf(buf, len, "%.0f %s", mps * (u == CONFIG_IMPERIAL ? 3600.0 / M_PER_MI : 3.6),
	         view_unit_speed(u));
}

void view_fmt_volume(double l, enum config_units u, char *buf, size_t len)
{
	snprintf(buf, len, "%.0f %s", u == CONFIG_IMPERIAL ? l / L_PER_GAL : l,
	         view_unit_volume(u));
}

const char *view_unit_distance(enum config_units u)
{
	return u == CONFIG_IMPERIAL ? "mi" : "km";
}

const char *view_unit_speed(enum config_units u)
{
	return u == CONFIG_IMPERIAL ? "mph" : "km/h";
}

const char *view_unit_volume(enum config_units u)
{
	return u == CONFIG_IMPERIAL ? "gal" : "L";
}

void view_fmt_km(const struct cache_value *v, char *buf, size_t len)
{
	int64_t m = view_int(v, INT64_MIN);
	if (m == INT64_MIN) {
		unknown(buf, len);
		return;
	}
	view_fmt_distance((double)m, units(), buf, len);
}

void view_fmt_pct(const struct cache_value *v, char *buf, size_t len)
{
	int64_t p = view_int(v, INT64_MIN);
	if (p == INT64_MIN)
		unknown(buf, len);
	else
		snprintf(buf, len, "%" PRId64 "%%", p);
}

void view_fmt_age(int64_t s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, len, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRId64 "m", s / 60);
	else if (s < 86400 * 2)
		snprintf(buf, len, "%" PRId64 "h", s / 3600);
	else
		snprintf(buf, len, "%" PRId64 "d", s / 86400);
}

void view_fmt_span(const struct cache_value *a, const struct cache_value *b, char *buf, size_t len)
{
	int64_t s = view_int(a, INT64_MIN), e = view_int(b, INT64_MIN);
	if (s == INT64_MIN || e == INT64_MIN) {
		unknown(buf, len);
		return;
	}
	time_t ts = (time_t)s, te = (time_t)e;
	struct tm ms, me;
	localtime_r(&ts, &ms);
	localtime_r(&te, &me);
	if (ms.tm_min == 0 && me.tm_min == 0)
		snprintf(buf, len, "%02d-%02d", ms.tm_hour, me.tm_hour);
	else
		snprintf(buf, len, "%02d:%02d-%02d:%02d", ms.tm_hour, ms.tm_min, me.tm_hour,
		         me.tm_min);
}

static bool ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

void view_fmt_named(const char *col, const struct cache_value *v, int64_t now, bool utf8, char *buf,
                    size_t len)
{
	if (v->t == CV_NULL) {
		unknown(buf, len);
	} else if (ends(col, "_ms") && v->t == CV_INT) {
		struct cache_value s = {.t = CV_INT, .i = v->i / 1000};
		view_fmt_time(&s, now, buf, len);
	} else if (ends(col, "_at") || !strcmp(col, "at") || !strcmp(col, "eta") ||
	           !strncmp(col, "window_", 7) || !strcmp(col, "first_seen") ||
	           !strcmp(col, "last_seen") || !strcmp(col, "planned_departure")) {
		view_fmt_time(v, now, buf, len);
	} else if (!strcmp(col, "amount") || !strcmp(col, "revenue") || !strcmp(col, "est_cost") ||
	           !strcmp(col, "impact") || !strcmp(col, "rated_amount") ||
	           !strcmp(col, "total")) {
		view_fmt_money(v, utf8, buf, len);
	} else if (ends(col, "_kg")) {
		char n[48];
		thousands(view_int(v, 0), n, sizeof(n));
		snprintf(buf, len, "%s kg", n);
	} else if (ends(col, "_l")) {
		view_fmt_volume(v->t == CV_REAL ? v->d : (double)view_int(v, 0), units(), buf, len);
	} else if (!strcmp(col, "speed_mps")) {
		view_fmt_speed(v->t == CV_REAL ? v->d : (double)view_int(v, 0), units(), buf, len);
	} else if (ends(col, "_m")) {
		view_fmt_km(v, buf, len);
	} else if (ends(col, "_pct")) {
		view_fmt_pct(v, buf, len);
	} else if (ends(col, "_s") && v->t == CV_INT) {
		snprintf(buf, len, "%" PRId64 "h%02" PRId64, v->i / 3600, v->i % 3600 / 60);
	} else if (v->t == CV_REAL) {
		snprintf(buf, len, "%.2f", v->d);
	} else {
		view_fmt_text(v, buf, len);
	}
}
