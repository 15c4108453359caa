/* The update hook and the per-connection value behind the incremental KPIs
 * (cache/kpi_hook.h). */
#include <string.h>

#include "rows_internal.h"
#include "cache/kpi_hook.h"

static int table_kt(const char *t)
{
	switch (t[0]) {
	case 'l': return strcmp(t, "load") ? -1 : CACHE_KT_LOAD;
	case 's': return strcmp(t, "stop") ? -1 : CACHE_KT_STOP;
	case 'v': return strcmp(t, "vehicle") ? -1 : CACHE_KT_VEHICLE;
	case 'w': return strcmp(t, "work_order") ? -1 : CACHE_KT_WORK_ORDER;
	case 'p': return strcmp(t, "pod") ? -1 : CACHE_KT_POD;
	case 'i': return strcmp(t, "invoice") ? -1 : CACHE_KT_INVOICE;
	case 'e': return strcmp(t, "exception") ? -1 : CACHE_KT_EXCEPTION;
	}
	return -1;
}

/* Called by SQLite for every row written on the connection. */
static void on_update(void *arg, int op, const char *db, const char *table, sqlite3_int64 rowid)
{
	(void)op;
	struct cache_row_watch *w = arg;
	int t = table_kt(table);
	if (t >= 0 && !strcmp(db, "main"))
		w->fn(w->arg, (enum cache_kt)t, rowid);
}

bool cache_row_watch_set(struct cache *c, struct cache_row_watch *w)
{
	return sqlite3_update_hook(c->db, on_update, w) == w;
}

void cache_row_watch_clear(struct cache *c)
{
	sqlite3_update_hook(c->db, NULL, NULL);
}

static void noop_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	sqlite3_result_null(ctx);
}

int cache_attach(struct cache *c, const char *name, void *arg, void (*destroy)(void *arg),
                 struct wb_err *err)
{
	int rc = sqlite3_create_function_v2(c->db, name, 0, SQLITE_UTF8, arg, noop_fn, NULL, NULL,
	                                    destroy);
	return rc == SQLITE_OK ? 0 : cache_fail(c, rc, err, "attaching state to the connection");
}

void cache_detach(struct cache *c, const char *name)
{
	/* Replacing the function destroys the old one's value. */
	sqlite3_create_function_v2(c->db, name, 0, SQLITE_UTF8, NULL, NULL, NULL, NULL, NULL);
}
