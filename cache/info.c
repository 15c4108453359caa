/* What `waybill cache info` prints: schema version, rows per table, size. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cache_internal.h"

static const char *const extra_tables[] = {"position", "sync_state", "outbox",
                                           "audit",    "readiness",  "kpi_sample"};

static int64_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

int cache_info(struct cache *c, struct cache_info *info, struct wb_err *err)
{
	memset(info, 0, sizeof(*info));
	info->schema_version = c->schema_version;
	char wal[PATH_MAX + 8];
	snprintf(wal, sizeof(wal), "%s-wal", c->path);
	info->size_bytes = file_size(c->path) + file_size(wal);
	for (int t = 0; t < CACHE_T__COUNT; t++) {
		const char *name = t < WB_ENT__COUNT ? wb_entity_info((enum wb_entity)t)->table
		                                     : extra_tables[t - WB_ENT__COUNT];
		char sql[96];
		/* Table names come from our own tables above, never from input. */
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", name);
		sqlite3_stmt *st;
		int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
		if (rc != SQLITE_OK)
			return cache_fail(c, rc, err, "counting rows");
		rc = sqlite3_step(st);
		int64_t n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
		sqlite3_finalize(st);
		if (n < 0)
			return cache_fail(c, rc, err, "counting rows");
		snprintf(info->tables[t].table, sizeof(info->tables[t].table), "%s", name);
		info->tables[t].rows = n;
		info->ntables = t + 1;
	}
	return 0;
}
