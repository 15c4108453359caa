/* Per source and stream: last success, lag, errors in a row, last error, events
 * rejected.
 * Written by the sync engine next to the cursor; read by the Health board,
 * the header and `waybill doctor`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_internal.h"

static int health_write(struct cache *c, enum cache_stmt id, const char *sql, const char *source,
                        const char *stream, int64_t now, int64_t a, int64_t b, const char *text,
                        const char *what, struct wb_err *err)
{
	if (!source || !stream)
		return wb_fail(err, WB_EINVALID, "health needs a source and a stream");
	int began, rc = cache_autobegin(c, &began, err);
	if (rc != 0)
		return rc;
	sqlite3_stmt *st = cache_stmt(c, id, sql, err);
	int s = st ? SQLITE_OK : SQLITE_ERROR;
	if (!st)
		rc = err ? err->code : WB_EIO;
	if (st) {
		sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, stream, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now);
		sqlite3_bind_int64(st, 4, a);
		sqlite3_bind_int64(st, 5, b);
		if (text)
			sqlite3_bind_text(st, 6, text, -1, SQLITE_STATIC);
		s = sqlite3_step(st);
		sqlite3_reset(st);
		if (s != SQLITE_DONE)
			rc = cache_fail(c, s, err, what);
		else
			cache_touch(c, CACHE_BIT(CACHE_T_SYNC_STATE));
	}
	return cache_autoend(c, began, rc, err);
}

int cache_health_ok(struct cache *c, const char *source, const char *stream, int64_t now,
                    int64_t lag_s, int64_t rows, struct wb_err *err)
{
	return health_write(
	        c, ST_HEALTH_OK,
	        "INSERT INTO sync_state(source, stream, last_ok_at, last_attempt_at, lag_s,"
	        " rows_total, errors_in_row, last_error) VALUES(?1,?2,?3,?3,?4,?5,0,NULL)"
	        " ON CONFLICT(source, stream) DO UPDATE SET last_ok_at=?3,"
	        " last_attempt_at=?3, lag_s=?4, rows_total=rows_total+?5,"
	        " errors_in_row=0, last_error=NULL",
	        source, stream, now, lag_s, rows, NULL, "recording sync health", err);
}

int cache_health_error(struct cache *c, const char *source, const char *stream, int64_t now,
                       const char *message, struct wb_err *err)
{
	char msg[256];
	snprintf(msg, sizeof(msg), "%s", message ? message : "unknown error");
	return health_write(c, ST_HEALTH_ERROR,
	                    "INSERT INTO sync_state(source, stream, last_attempt_at, errors_in_row,"
	                    " last_error) VALUES(?1,?2,?3,1,?6)"
	                    " ON CONFLICT(source, stream) DO UPDATE SET last_attempt_at=?3,"
	                    " errors_in_row=errors_in_row+1, last_error=?6",
	                    source, stream, now, 0, 0, msg, "recording a sync error", err);
}

int cache_health_rejected(struct cache *c, const char *source, const char *stream, int64_t n,
                          struct wb_err *err)
{
	if (n <= 0)
		return 0;
	return health_write(c, ST_HEALTH_REJECTED,
	                    "INSERT INTO sync_state(source, stream, rejected) VALUES(?1,?2,?5)"
	                    " ON CONFLICT(source, stream) DO UPDATE SET rejected=rejected+?5",
	                    source, stream, 0, 0, n, NULL, "counting rejected events", err);
}

int cache_health_list(struct cache *c, struct cache_health **out, size_t *n, struct wb_err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st;
	int s = sqlite3_prepare_v2(
	        c->db,
	        "SELECT source, stream, IFNULL(last_ok_at,0), IFNULL(last_attempt_at,0),"
	        " errors_in_row, IFNULL(lag_s,-1), rows_total, IFNULL(last_error,''), rejected"
	        " FROM sync_state ORDER BY source, stream",
	        -1, &st, NULL);
	if (s != SQLITE_OK)
		return cache_fail(c, s, err, "reading sync health");
	size_t cap = 0;
	struct cache_health *v = NULL;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct cache_health *nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				s = SQLITE_NOMEM;
				break;
			}
			v = nv;
		}
		struct cache_health *h = &v[(*n)++];
		memset(h, 0, sizeof(*h));
		snprintf(h->source, sizeof(h->source), "%s", sqlite3_column_text(st, 0));
		snprintf(h->stream, sizeof(h->stream), "%s", sqlite3_column_text(st, 1));
		h->last_ok_at = sqlite3_column_int64(st, 2);
		h->last_attempt_at = sqlite3_column_int64(st, 3);
		h->errors_in_row = sqlite3_column_int(st, 4);
		h->lag_s = sqlite3_column_int64(st, 5);
		h->rows_total = sqlite3_column_int64(st, 6);
		snprintf(h->last_error, sizeof(h->last_error), "%s", sqlite3_column_text(st, 7));
		h->rejected = sqlite3_column_int64(st, 8);
	}
	sqlite3_finalize(st);
	if (s != SQLITE_DONE) {
		free(v);
		*n = 0;
		return cache_fail(c, s, err, "reading sync health");
	}
	*out = v;
	return 0;
}
