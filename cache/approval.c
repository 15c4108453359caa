/* Decisions awaiting their second supervisor (cache/approval.h): one row per
 * exception in pending_approval (migration 8), written with its audit row. */
#include <stdio.h>
#include <string.h>

#include "cache_internal.h"
#include "cache/approval.h"

static void copy_col(sqlite3_stmt *st, int i, char *dst, size_t n)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	snprintf(dst, n, "%s", s ? (const char *)s : "");
}

int cache_approval_get(struct cache *c, const char *exception_id, struct cache_approval *out,
                       struct wb_err *err)
{
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = NULL;
	int s = sqlite3_prepare_v2(cache_db(c),
	                           "SELECT user, role, display_name, at, audit_seq"
	                           " FROM pending_approval WHERE exception_id=?1",
	                           -1, &st, NULL);
	if (s != SQLITE_OK)
		return cache_fail(c, s, err, "reading pending approvals");
	cache_bind_text(st, 1, exception_id);
	int rc = 0;
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		copy_col(st, 0, out->user, sizeof(out->user));
		copy_col(st, 1, out->role, sizeof(out->role));
		copy_col(st, 2, out->display_name, sizeof(out->display_name));
		out->at = sqlite3_column_int64(st, 3);
		out->audit_seq = sqlite3_column_int64(st, 4);
		rc = 1;
	} else if (s != SQLITE_DONE) {
		rc = cache_fail(c, s, err, "reading pending approvals");
	}
	sqlite3_finalize(st);
	return rc;
}

int cache_approval_first(struct cache *c, const char *exception_id, const struct audit_entry *a,
                         struct wb_err *err)
{
	if (!exception_id || !*exception_id || !a || !a->user || !*a->user || !a->role)
		return wb_fail(err, WB_EINVALID,
		               "a first approval needs an exception, a user and a role");
	int began, rc = cache_autobegin(c, &began, err);
	if (rc != 0)
		return rc;
	int64_t seq = 0;
	rc = audit_append(c, a, &seq, err);
	sqlite3_stmt *st = NULL;
	if (rc == 0) {
		int s = sqlite3_prepare_v2(
		        cache_db(c),
		        "INSERT INTO pending_approval(exception_id, user, role,"
		        " display_name, at, audit_seq) VALUES(?1,?2,?3,?4,?5,?6)",
		        -1, &st, NULL);
		if (s == SQLITE_OK) {
			cache_bind_text(st, 1, exception_id);
			cache_bind_text(st, 2, a->user);
			cache_bind_text(st, 3, a->role);
			cache_bind_text(st, 4,
			                a->display_name      ? a->display_name
			                : c->display_name[0] ? c->display_name
			                                     : NULL);
			sqlite3_bind_int64(st, 5, a->at);
			sqlite3_bind_int64(st, 6, seq);
			s = sqlite3_step(st);
		}
		if (s == SQLITE_CONSTRAINT)
			rc = wb_fail(err, WB_EINVALID, "exception %s already has a first approval",
			             exception_id);
		else if (s != SQLITE_DONE)
			rc = cache_fail(c, s, err, "recording a first approval");
		sqlite3_finalize(st);
	}
	/* The Exceptions board shows the mark: it re-reads on an exception change. */
	if (rc == 0)
		cache_touch(c, CACHE_BIT(WB_ENT_EXCEPTION));
	return cache_autoend(c, began, rc, err);
}

int cache_approval_clear(struct cache *c, const char *exception_id, struct wb_err *err)
{
	sqlite3_stmt *st = NULL;
	int s = sqlite3_prepare_v2(
	        cache_db(c), "DELETE FROM pending_approval WHERE exception_id=?1", -1, &st, NULL);
	if (s == SQLITE_OK) {
		cache_bind_text(st, 1, exception_id);
		s = sqlite3_step(st);
	}
	int rc = s == SQLITE_DONE ? 0 : cache_fail(c, s, err, "clearing a pending approval");
	if (rc == 0 && sqlite3_changes(cache_db(c)) > 0)
		cache_touch(c, CACHE_BIT(WB_ENT_EXCEPTION));
	sqlite3_finalize(st);
	return rc;
}
