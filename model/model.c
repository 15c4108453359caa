/* Column tables for the canonical entities, generated from the X-macro field
 * lists in model.h, so the struct, the binder and the reader never disagree. */
#include <string.h>

#include "model/model.h"

#define COL(S, type, name, range) {#name, WB_##type, offsetof(struct wb_##S, name), WB_R_##range},
#define COLS(E, e, table, FIELDS) static const struct wb_column e##_cols[] = {FIELDS(COL, e)};
WB_ENTITIES(COLS)

static const struct wb_entity_info infos[WB_ENT__COUNT] = {
#define INFO(E, e, table, FIELDS)                                                                  \
	[WB_ENT_##E] = {WB_ENT_##E, #e,                                                            \
	                table,      sizeof(struct wb_##e),                                         \
	                e##_cols,   sizeof(e##_cols) / sizeof(e##_cols[0])},
        WB_ENTITIES(INFO)
#undef INFO
};

const struct wb_entity_info *wb_entity_info(enum wb_entity e)
{
	if ((int)e < 0 || e >= WB_ENT__COUNT)
		return NULL;
	return &infos[e];
}

const struct wb_entity_info *wb_entity_by_name(const char *name)
{
	if (!name)
		return NULL;
	for (int i = 0; i < WB_ENT__COUNT; i++)
		if (!strcmp(infos[i].name, name) || !strcmp(infos[i].table, name))
			return &infos[i];
	return NULL;
}

void wb_entity_clear(enum wb_entity e, void *row)
{
	const struct wb_entity_info *info = wb_entity_info(e);
	if (!info)
		return;
	memset(row, 0, info->size);
	for (size_t i = 0; i < info->ncols; i++) {
		char *p = (char *)row + info->cols[i].offset;
		switch (info->cols[i].type) {
		case WB_TEXT: *(const char **)p = NULL; break;
		case WB_INT: *(int64_t *)p = WB_NULL; break;
		case WB_REAL: *(double *)p = NAN; break;
		}
	}
}

/* Wide enough for any real depot, narrow enough that core/'s arithmetic on
 * them cannot overflow (a time in ms, a sum of a million amounts). */
static const struct wb_range_info ranges[WB_R__COUNT] = {
        [WB_R_ANY] = {-INFINITY, INFINITY, "anything"},
        [WB_R_TIME] = {946684800.0, 4102444800.0, "a time from 2000-01-01 to 2100-01-01"},
        [WB_R_TIME_MS] = {946684800000.0, 4102444800000.0, "a time from 2000-01-01 to 2100-01-01"},
        [WB_R_LAT] = {-90, 90, "a latitude from -90 to 90"},
        [WB_R_LON] = {-180, 180, "a longitude from -180 to 180"},
        [WB_R_SPEED] = {0, 150, "a speed from 0 to 150 m/s"},
        [WB_R_HEADING] = {0, 360, "a heading from 0 to 360 degrees"},
        [WB_R_PCT] = {0, 100, "a percentage from 0 to 100"},
        [WB_R_RATIO] = {0, 1, "a ratio from 0 to 1"},
        [WB_R_LITRES] = {0, 1e5, "a volume from 0 to 100000 L"},
        [WB_R_DIST] = {0, 1e10, "a distance from 0 to 1e10 m"},
        [WB_R_MASS] = {0, 1e6, "a mass from 0 to 1e6 kg"},
        [WB_R_DURATION] = {0, 1e9, "a duration from 0 to 1e9 s"},
        [WB_R_DURATION_LEFT] = {-1e9, 1e9, "a duration from -1e9 to 1e9 s"},
        [WB_R_MONEY] = {-1e12, 1e12, "an amount from -1e12 to 1e12"},
        [WB_R_COUNT] = {0, 1e6, "a count from 0 to 1000000"},
        [WB_R_FLAG] = {0, 1, "0 or 1 (or a boolean)"},
};

const struct wb_range_info *wb_range_info(enum wb_range r)
{
	if ((int)r < 0 || r >= WB_R__COUNT)
		return NULL;
	return &ranges[r];
}

int wb_in_range(enum wb_range r, double x)
{
	const struct wb_range_info *ri = wb_range_info(r);
	if (!ri)
		return 0;
	if (r == WB_R_ANY)
		return 1;
	return isfinite(x) && x >= ri->lo && x <= ri->hi;
}
