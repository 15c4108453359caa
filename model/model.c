/* Column tables for the canonical entities, generated from the X-macro field
 * lists in model.h, so the struct, the binder and the reader never disagree. */
#include <string.h>

#include "model/model.h"

#define COL(S, type, name) {#name, WB_##type, offsetof(struct wb_##S, name)},
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
