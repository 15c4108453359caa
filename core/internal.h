/* Helpers shared by the core/ rule files; static inline, so nothing leaks out of
 * the module and every file stays free of I/O. Not a public header. */
#ifndef WAYBILL_CORE_INTERNAL_H
#define WAYBILL_CORE_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/core.h"

/* Text equality where NULL (unknown) equals nothing, not even NULL. */
static inline int cstreq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static inline int cstrempty(const char *s)
{
	if (!s)
		return 1;
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

static inline const char *cstr(const char *s)
{
	return s ? s : "?";
}

/* Evidence figures held in SI, in the units a person reads them in
 * (core_detect_cfg.imperial): metres as km or mi, m/s as km/h or mph,
 * litres as L or US gallons; each with its unit word. */
#define CORE_M_PER_MI 1609.344
#define CORE_L_PER_GAL 3.785411784
static inline double ev_dist(int imperial, double m)
{
	return m / (imperial ? CORE_M_PER_MI : 1000.0);
}
static inline double ev_speed(int imperial, double mps)
{
	return mps * (imperial ? 3600.0 / CORE_M_PER_MI : 3.6);
}
static inline double ev_vol(int imperial, double l)
{
	return imperial ? l / CORE_L_PER_GAL : l;
}
static inline const char *ev_dist_unit(int imperial)
{
	return imperial ? "mi" : "km";
}
static inline const char *ev_speed_unit(int imperial)
{
	return imperial ? "mph" : "km/h";
}
static inline const char *ev_vol_unit(int imperial)
{
	return imperial ? "gal" : "L";
}

__attribute__((format(printf, 4, 5))) static inline void
reasons_add(struct core_reasons *rs, enum core_reason_code code, int hard, const char *fmt, ...)
{
	if (rs->n >= CORE_MAX_REASONS) {
		rs->dropped++;
		return;
	}
	struct core_reason *r = &rs->r[rs->n++];
	r->code = code;
	r->hard = hard;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
}

static inline void reasons_clear(struct core_reasons *rs)
{
	rs->n = 0;
	rs->dropped = 0;
}

/* "14:05" UTC for evidence; "?" when unknown or beyond what gmtime can say. buf
 * needs 8 bytes. */
static inline const char *hhmm(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (t == WB_NULL || !gmtime_r(&tt, &tm)) {
		snprintf(buf, n, "?");
		return buf;
	}
	snprintf(buf, n, "%02d:%02d", tm.tm_hour, tm.tm_min);
	return buf;
}

/* Checked arithmetic on whole numbers from the cache (times, durations,
 * counts): true when the result does not fit, as C23's <stdckdint.h> says it;
 * on gcc's and clang's builtins until that header is ours. A rule meeting an
 * overflow judges the input unusable instead of computing with a wrapped
 * (undefined) value. */
#define ckd_add(r, a, b) __builtin_add_overflow((a), (b), (r))
#define ckd_sub(r, a, b) __builtin_sub_overflow((a), (b), (r))
#define ckd_mul(r, a, b) __builtin_mul_overflow((a), (b), (r))

/* a - b, held at INT64_MIN + 1 / INT64_MAX when it does not fit (never WB_NULL). */
static inline int64_t sat_sub(int64_t a, int64_t b)
{
	int64_t r;
	if (ckd_sub(&r, a, b))
		return a < b ? INT64_MIN + 1 : INT64_MAX;
	return r == WB_NULL ? INT64_MIN + 1 : r;
}

static inline int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;
	if (ckd_add(&r, a, b))
		return a < 0 ? INT64_MIN + 1 : INT64_MAX;
	return r == WB_NULL ? INT64_MIN + 1 : r;
}

/* A time a rule can reason with: known and inside the model's TIME range
 * (2000..2100). Connectors refuse any other from a source; a row in the cache
 * from before they did, or edited by hand, is treated as unknown rather than
 * turned into a 300-million-year detention. */
static inline int time_ok(int64_t t)
{
	return t != WB_NULL && wb_in_range(WB_R_TIME, (double)t);
}

static inline int time_ms_ok(int64_t t)
{
	return t != WB_NULL && wb_in_range(WB_R_TIME_MS, (double)t);
}

/* The longest span between two times_ok: 100 years. A KPI sums spans as
 * doubles and retracts them later; spans this short stay exact in a double. */
#define CORE_SPAN_MAX_S 3155760000LL

/* b - a when it is a span a KPI can sum (0 .. CORE_SPAN_MAX_S): 1 and *d set,
 * else 0. */
static inline int span_ok(int64_t a, int64_t b, int64_t *d)
{
	return !ckd_sub(d, b, a) && *d >= 0 && *d <= CORE_SPAN_MAX_S;
}

/* An amount a rule can add up: known and within the model's MONEY range. */
static inline int money_ok(double x)
{
	return wb_in_range(WB_R_MONEY, x);
}

/* Appends to a bounded text buffer; keeps it terminated when full. */
__attribute__((format(printf, 3, 4))) static inline void bufcat(char *buf, size_t n,
                                                                const char *fmt, ...)
{
	size_t len = strnlen(buf, n);
	if (len + 1 >= n)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + len, n - len, fmt, ap);
	va_end(ap);
}

#endif
