/* The outbox as a person acts on it (`waybill outbox retry`): a failed action
 * put back to pending when its cause is fixed. Listing (outbox_list) reads
 * rows as outbox_get does and lives beside it in cache/outbox.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_internal.h"

int outbox_requeue(struct cache *c, const char *key, int64_t now, struct wb_err *err)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(c->db,
	                            "UPDATE outbox SET status='pending', next_attempt_at=?2,"
	                            " done_at=NULL WHERE key=?1 AND status='failed'",
	                            -1, &st, NULL);
	if (rc != SQLITE_OK)
		return cache_fail(c, rc, err, "putting an outbox action back");
	int began;
	if ((rc = cache_autobegin(c, &began, err)) != 0) {
		sqlite3_finalize(st);
		return rc;
	}
	sqlite3_bind_text(st, 1, key ? key : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	int s = sqlite3_step(st);
	if (s != SQLITE_DONE)
		rc = cache_fail(c, s, err, "putting an outbox action back");
	else if (sqlite3_changes(c->db) == 0)
		rc = wb_fail(err, WB_ECONFLICT, "outbox: %.40s is not a failed action", key);
	else
		cache_touch(c, CACHE_BIT(CACHE_T_OUTBOX));
	sqlite3_finalize(st);
	return cache_autoend(c, began, rc, err);
}
