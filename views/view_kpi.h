/* The KPI board's pure parts (views/kpis.c), declared for its tests: the
 * sparkline and the sample history the board's query returns. */
#ifndef WAYBILL_VIEW_KPI_H
#define WAYBILL_VIEW_KPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIEW_KPI_SPARK_N 24 /* samples in a sparkline: the last 2 h */

/* Draws v[0..n) (oldest first; NAN: no sample, drawn as a space) as one glyph
 * per value scaled between the values' minimum and maximum: U+2581..U+2588
 * ("▁▂▃▄▅▆▇█") with utf8, else the ASCII ramp "_.:-=+*#". A flat series sits
 * in the middle. Writes whole glyphs only, NUL-terminated; returns the number
 * of glyphs written. */
int view_kpi_sparkline(const double *v, int n, bool utf8, char *buf, size_t len);

/* Spreads a history "at:value,at:value,..." (value empty when NULL; any order)
 * over out[0..n), one slot per step_s ending at last_at (out[n-1]); a slot with
 * no sample, or a NULL one, is NAN. Returns the number of values placed. */
int view_kpi_history(const char *history, int64_t last_at, int64_t step_s, double *out, int n);

#endif
