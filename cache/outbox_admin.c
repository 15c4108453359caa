/* The outbox as a person sees it (`waybill outbox`): every action with its
 * state, and a failed one put back to pending when its cause is fixed. Kept
 * apart from cache/outbox.c, which is the sender's side. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_internal.h"

static void copy(char *dst, size_t n, const unsigned char *s)
{
	snprintf(dst, n, "%s", s ? (const char *)s : "");
}

int outbox_list(struct cache *c, bool failed_only, struct outbox_item **out, size_t *n,
                struct wb_err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(
	        c->db,
	        "SELECT key, source, action, subject, user, created_at, attempts,"
	        " next_attempt_at, status, answer, http_status FROM outbox"
	        " WHERE ?1=0 OR status='failed' ORDER BY seq",
	        -1, &st, NULL);
	if (rc != SQLITE_OK)
		return cache_fail(c, rc, err, "reading the outbox");
	sqlite3_bind_int(st, 1, failed_only ? 1 : 0);
	size_t cap = 0;
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct outbox_item *p = realloc(*out, cap * sizeof(*p));
			if (!p) {
				sqlite3_finalize(st);
				outbox_list_free(*out, *n);
				*out = NULL;
				*n = 0;
				return wb_fail(err, WB_ENOMEM, "out of memory");
			}
			*out = p;
		}
		struct outbox_item *it = &(*out)[(*n)++];
		memset(it, 0, sizeof(*it));
		copy(it->key, sizeof(it->key), sqlite3_column_text(st, 0));
		copy(it->source, sizeof(it->source), sqlite3_column_text(st, 1));
		copy(it->action, sizeof(it->action), sqlite3_column_text(st, 2));
		copy(it->subject, sizeof(it->subject), sqlite3_column_text(st, 3));
		copy(it->user, sizeof(it->user), sqlite3_column_text(st, 4));
		it->created_at = sqlite3_column_int64(st, 5);
		it->attempts = sqlite3_column_int(st, 6);
		it->next_attempt_at = sqlite3_column_int64(st, 7);
		const char *status = (const char *)sqlite3_column_text(st, 8);
		it->status = !status                        ? OUTBOX_PENDING
		             : !strcmp(status, "inflight")  ? OUTBOX_INFLIGHT
		             : !strcmp(status, "delivered") ? OUTBOX_DELIVERED
		             : !strcmp(status, "failed")    ? OUTBOX_FAILED
		                                            : OUTBOX_PENDING;
		const unsigned char *a = sqlite3_column_text(st, 9);
		it->answer = a ? strdup((const char *)a) : NULL;
		it->http_status = sqlite3_column_int(st, 10);
	}
	sqlite3_finalize(st);
	if (s != SQLITE_DONE) {
		outbox_list_free(*out, *n);
		*out = NULL;
		*n = 0;
		return cache_fail(c, s, err, "reading the outbox");
	}
	return 0;
}

void outbox_list_free(struct outbox_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i].answer);
	free(items);
}

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
