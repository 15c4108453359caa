/* The outbox: actions waiting to be delivered to the source that owns the
 * record. A row is written in the same transaction as the local change and the
 * audit row that go with it, so nothing a user did is lost when a source is
 * down or the process is killed. Each row carries a UUID v4 idempotency key the
 * sender passes to the source, so a redelivery after a crash is harmless.
 *
 * Life of a row: pending -> inflight (claimed) -> delivered | failed, or back to
 * pending with a later next_attempt_at after a transient failure. Inflight rows
 * left by a crash become pending again when the cache is opened (cache.c).
 *
 * Order: `seq` numbers rows in enqueue order. Actions on one subject keep that
 * order: a row is not claimed while an older row of the same subject (for any
 * source) is pending or inflight, retries included. Delivered and permanently
 * failed rows block nothing, so one rejected action cannot wedge its subject. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "cache_internal.h"

#define BACKOFF_CAP_S 300

static const char *const status_names[] = {
        [OUTBOX_PENDING] = "pending",
        [OUTBOX_INFLIGHT] = "inflight",
        [OUTBOX_DELIVERED] = "delivered",
        [OUTBOX_FAILED] = "failed",
};

static int status_parse(const char *s, enum outbox_status *out)
{
	for (size_t i = 0; s && i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (!strcmp(s, status_names[i])) {
			*out = (enum outbox_status)i;
			return 0;
		}
	return -1;
}

/* A text field must be present, non-empty and fit its slot in struct outbox_item. */
static int check_field(const char *name, const char *v, size_t cap, struct wb_err *err)
{
	if (!v || !*v)
		return wb_fail(err, WB_EINVALID, "outbox: an action needs a %s", name);
	if (strlen(v) >= cap)
		return wb_fail(err, WB_EINVALID, "outbox: %s \"%.40s...\" longer than %zu bytes",
		               name, v, cap - 1);
	return 0;
}

static int enqueue_row(struct cache *c, const char *key, const char *source, const char *action,
                       const char *subject, const char *payload, const char *user, int64_t now,
                       struct wb_err *err)
{
	/* max(seq)+1 is read under the write lock the transaction holds, so two
	 * enqueues can never share a number. */
	sqlite3_stmt *st = cache_stmt(
	        c, ST_OUTBOX_ENQUEUE,
	        "INSERT INTO outbox(key, source, action, subject, payload, user, created_at,"
	        " attempts, next_attempt_at, status, seq)"
	        " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?7, 'pending', COALESCE(MAX(seq), 0) + 1"
	        " FROM outbox",
	        err);
	if (!st)
		return err ? err->code : WB_EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, payload, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, now);
	int s = sqlite3_step(st);
	sqlite3_reset(st);
	if (s != SQLITE_DONE)
		return cache_fail(c, s, err, "adding an action to the outbox");
	cache_touch(c, CACHE_BIT(CACHE_T_OUTBOX));
	return 0;
}

int outbox_enqueue(struct cache *c, const char *source, const char *action, const char *subject,
                   const char *payload_json, const char *user, int64_t now, char key_out[40],
                   struct wb_err *err)
{
	struct outbox_item *it = NULL; /* for the field sizes only */
	int rc;
	if ((rc = check_field("source", source, sizeof(it->source), err)) != 0 ||
	    (rc = check_field("action", action, sizeof(it->action), err)) != 0 ||
	    (rc = check_field("subject", subject, sizeof(it->subject), err)) != 0 ||
	    (rc = check_field("user", user, sizeof(it->user), err)) != 0)
		return rc;
	/* The payload goes to the source as is: refuse what it could never parse
	 * now, rather than as a permanent failure later. */
	json_error_t jerr;
	json_t *j = payload_json ? json_loads(payload_json, JSON_DECODE_ANY, &jerr) : NULL;
	if (!j)
		return wb_fail(err, WB_EINVALID, "outbox: %s on %s: payload is not JSON (%s)",
		               action, subject, payload_json ? jerr.text : "none given");
	json_decref(j);

	uuid_t uu;
	char key[40];
	uuid_generate_random(uu);
	uuid_unparse_lower(uu, key);

	int began;
	rc = cache_autobegin(c, &began, err);
	if (rc != 0)
		return rc;
	rc = enqueue_row(c, key, source, action, subject, payload_json, user, now, err);
	rc = cache_autoend(c, began, rc, err);
	if (rc == 0 && key_out)
		snprintf(key_out, 40, "%s", key);
	return rc;
}

/* Copies column i into dst (cap bytes); a stored value that does not fit was
 * not written by outbox_enqueue. */
static int copy_col(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
	const char *v = (const char *)sqlite3_column_text(st, i);
	if (!v || (size_t)sqlite3_column_bytes(st, i) >= cap)
		return -1;
	memcpy(dst, v, (size_t)sqlite3_column_bytes(st, i) + 1);
	return 0;
}

static int dup_col(sqlite3_stmt *st, int i, char **dst)
{
	*dst = NULL;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return 0;
	const char *v = (const char *)sqlite3_column_text(st, i);
	if (!v)
		return -1;
	*dst = strdup(v);
	return *dst ? 0 : -1;
}

/* The columns read_item reads, in its order. */
#define OUTBOX_COLS                                                                                \
	"key, source, action, subject, payload, user, created_at, attempts, next_attempt_at, "     \
	"status, answer, http_status"

/* Fills it from the current row of a statement selecting OUTBOX_COLS. */
static int read_item(struct cache *c, sqlite3_stmt *st, struct outbox_item *it, struct wb_err *err)
{
	const char *key = (const char *)sqlite3_column_text(st, 0);
	if (copy_col(st, 0, it->key, sizeof(it->key)) != 0 ||
	    copy_col(st, 1, it->source, sizeof(it->source)) != 0 ||
	    copy_col(st, 2, it->action, sizeof(it->action)) != 0 ||
	    copy_col(st, 3, it->subject, sizeof(it->subject)) != 0 ||
	    copy_col(st, 5, it->user, sizeof(it->user)) != 0 ||
	    status_parse((const char *)sqlite3_column_text(st, 9), &it->status) != 0)
		return wb_fail(err, WB_ECORRUPT,
		               "%s: outbox row %.40s is malformed; it was not written by waybill",
		               c->path, key ? key : "(no key)");
	it->created_at = sqlite3_column_int64(st, 6);
	it->attempts = sqlite3_column_int(st, 7);
	it->next_attempt_at = sqlite3_column_int64(st, 8);
	it->http_status = sqlite3_column_int(st, 11);
	if (dup_col(st, 4, &it->payload) != 0 || dup_col(st, 10, &it->answer) != 0) {
		outbox_item_free(it);
		return wb_fail(err, WB_ENOMEM, "%s: out of memory reading outbox row %s", c->path,
		               it->key);
	}
	return 0;
}

int outbox_get(struct cache *c, const char *key, struct outbox_item *it, struct wb_err *err)
{
	memset(it, 0, sizeof(*it));
	if (!key)
		return wb_fail(err, WB_EINVALID, "outbox: no key given");
	sqlite3_stmt *st =
	        cache_stmt(c, ST_OUTBOX_GET, "SELECT " OUTBOX_COLS " FROM outbox WHERE key=?", err);
	if (!st)
		return err ? err->code : WB_EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int s = sqlite3_step(st);
	int rc;
	if (s == SQLITE_ROW)
		rc = read_item(c, st, it, err);
	else if (s == SQLITE_DONE)
		rc = wb_fail(err, WB_ENOTFOUND, "outbox: no action with key %.40s", key);
	else
		rc = cache_fail(c, s, err, "reading the outbox");
	sqlite3_reset(st);
	return rc;
}

int outbox_list(struct cache *c, bool failed_only, struct outbox_item **out, size_t *n,
                struct wb_err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(c->db,
	                            "SELECT " OUTBOX_COLS
	                            " FROM outbox WHERE ?1=0 OR status='failed' ORDER BY seq",
	                            -1, &st, NULL);
	if (rc != SQLITE_OK)
		return cache_fail(c, rc, err, "reading the outbox");
	sqlite3_bind_int(st, 1, failed_only ? 1 : 0);
	size_t cap = 0;
	int s;
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct outbox_item *p = realloc(*out, cap * sizeof(*p));
			if (!p) {
				rc = wb_fail(err, WB_ENOMEM, "out of memory");
				break;
			}
			*out = p;
		}
		memset(&(*out)[*n], 0, sizeof(**out));
		if ((rc = read_item(c, st, &(*out)[*n], err)) == 0)
			(*n)++;
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = cache_fail(c, s, err, "reading the outbox");
	sqlite3_finalize(st);
	if (rc != 0) {
		outbox_list_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void outbox_list_free(struct outbox_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		outbox_item_free(&items[i]);
	free(items);
}

void outbox_item_free(struct outbox_item *it)
{
	if (!it)
		return;
	free(it->payload);
	free(it->answer);
	it->payload = NULL;
	it->answer = NULL;
}

/* Finds the key of the next claimable row of source: the one due the longest,
 * so a row retried just now waits behind every row not yet tried since (each
 * action of a source that fails alike gets its own answer in turn). A read: a
 * sender polling an idle outbox never takes the write lock. */
static int find_due(struct cache *c, const char *source, int64_t now, char key[40],
                    struct wb_err *err)
{
	/* outbox_due finds the due rows of the source; outbox_subject answers
	 * "anything older still open on this subject?" per candidate. */
	sqlite3_stmt *st =
	        cache_stmt(c, ST_OUTBOX_CLAIM,
	                   "SELECT o.key FROM outbox o WHERE o.status='pending' AND o.source=?1"
	                   " AND o.next_attempt_at<=?2 AND NOT EXISTS (SELECT 1 FROM outbox p"
	                   "  WHERE p.subject=o.subject AND p.seq<o.seq AND p.status IN "
	                   "('pending','inflight'))"
	                   " ORDER BY o.next_attempt_at, o.seq LIMIT 1",
	                   err);
	if (!st)
		return err ? err->code : WB_EIO;
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	int s = sqlite3_step(st);
	int rc = 0;
	if (s == SQLITE_ROW) {
		if (copy_col(st, 0, key, 40) != 0)
			rc = wb_fail(err, WB_ECORRUPT, "%s: outbox row with a malformed key",
			             c->path);
	} else if (s == SQLITE_DONE) {
		rc = wb_fail(err, WB_ENOTFOUND, "outbox: nothing due for %s", source);
	} else {
		rc = cache_fail(c, s, err, "reading the outbox");
	}
	sqlite3_reset(st);
	return rc;
}

/* Marks the row inflight if it is still pending. WB_ENOTFOUND when another
 * connection took it between find_due and here. */
static int mark_inflight(struct cache *c, const char *key, struct wb_err *err)
{
	/* attempts counts deliveries started, so a crash mid-send still counts. */
	sqlite3_stmt *st = cache_stmt(c, ST_OUTBOX_MARK_INFLIGHT,
	                              "UPDATE outbox SET status='inflight', attempts=attempts+1"
	                              " WHERE key=? AND status='pending'",
	                              err);
	if (!st)
		return err ? err->code : WB_EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int s = sqlite3_step(st);
	sqlite3_reset(st);
	if (s != SQLITE_DONE)
		return cache_fail(c, s, err, "claiming an outbox action");
	if (sqlite3_changes(c->db) == 0)
		return wb_fail(err, WB_ENOTFOUND,
		               "outbox: action %s was claimed by another process", key);
	cache_touch(c, CACHE_BIT(CACHE_T_OUTBOX));
	return 0;
}

int outbox_claim(struct cache *c, const char *source, int64_t now, struct outbox_item *it,
                 struct wb_err *err)
{
	memset(it, 0, sizeof(*it));
	if (!source || !*source)
		return wb_fail(err, WB_EINVALID, "outbox: claim needs a source");
	char key[40];
	int rc = find_due(c, source, now, key, err);
	if (rc != 0)
		return rc;
	/* Rows only ever get newer seqs and a row only returns to pending from
	 * inflight, so nothing found above can have become blocked meanwhile. */
	int began;
	rc = cache_autobegin(c, &began, err);
	if (rc != 0)
		return rc;
	rc = mark_inflight(c, key, err);
	if (rc == 0)
		rc = outbox_get(c, key, it, err);
	rc = cache_autoend(c, began, rc, err);
	if (rc != 0)
		outbox_item_free(it);
	return rc;
}

/* After an update that matched no row: say whether the key is unknown or the
 * row is already final. */
static int explain_no_change(struct cache *c, const char *key, const char *what, struct wb_err *err)
{
	struct outbox_item it;
	int rc = outbox_get(c, key, &it, err);
	if (rc != 0)
		return rc;
	enum outbox_status s = it.status;
	outbox_item_free(&it);
	return wb_fail(err, WB_ECONFLICT, "outbox: cannot %s action %s, it is already %s", what,
	               key, status_names[s]);
}

/* Records the source's answer and moves the row to status (with when_at as
 * done_at for final states, next_attempt_at for a retry). Only rows that are
 * still open (pending or inflight) change: a delivered or failed row is final.
 * Pending is accepted too, because another process opening the cache resets
 * inflight rows while our request may still be on the wire, and the source's
 * answer is the truth either way. */
static int finish(struct cache *c, const char *key, enum outbox_status status, int http_status,
                  const char *answer, int64_t when_at, struct wb_err *err)
{
	if (!key)
		return wb_fail(err, WB_EINVALID, "outbox: no key given");
	const char *what = status == OUTBOX_DELIVERED ? "mark delivered"
	                   : status == OUTBOX_FAILED  ? "mark failed"
	                                              : "retry";
	sqlite3_stmt *st;
	if (status == OUTBOX_PENDING)
		st = cache_stmt(
		        c, ST_OUTBOX_RETRY,
		        "UPDATE outbox SET status='pending', http_status=?2, answer=?3,"
		        " next_attempt_at=?4 WHERE key=?1 AND status IN ('pending','inflight')",
		        err);
	else
		st = cache_stmt(c, ST_OUTBOX_FINISH,
		                "UPDATE outbox SET status=?5, http_status=?2, answer=?3, done_at=?4"
		                " WHERE key=?1 AND status IN ('pending','inflight')",
		                err);
	if (!st)
		return err ? err->code : WB_EIO;
	int began, rc = cache_autobegin(c, &began, err);
	if (rc != 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (http_status > 0)
		sqlite3_bind_int(st, 2, http_status);
	else
		sqlite3_bind_null(st, 2);
	cache_bind_text(st, 3, answer);
	sqlite3_bind_int64(st, 4, when_at);
	if (status != OUTBOX_PENDING)
		sqlite3_bind_text(st, 5, status_names[status], -1, SQLITE_STATIC);
	int s = sqlite3_step(st);
	sqlite3_reset(st);
	if (s != SQLITE_DONE)
		rc = cache_fail(c, s, err, "recording an outbox answer");
	else if (sqlite3_changes(c->db) == 0)
		rc = explain_no_change(c, key, what, err);
	else
		cache_touch(c, CACHE_BIT(CACHE_T_OUTBOX));
	return cache_autoend(c, began, rc, err);
}

int outbox_delivered(struct cache *c, const char *key, int http_status, const char *answer,
                     int64_t now, struct wb_err *err)
{
	return finish(c, key, OUTBOX_DELIVERED, http_status, answer, now, err);
}

int outbox_failed(struct cache *c, const char *key, int http_status, const char *answer,
                  int64_t now, struct wb_err *err)
{
	return finish(c, key, OUTBOX_FAILED, http_status, answer, now, err);
}

int outbox_retry(struct cache *c, const char *key, int http_status, const char *answer,
                 int64_t next_attempt_at, struct wb_err *err)
{
	return finish(c, key, OUTBOX_PENDING, http_status, answer, next_attempt_at, err);
}

int64_t outbox_backoff_s(int attempts, uint32_t random)
{
	/* Ceiling 2^attempts s, capped; full jitter picks uniformly in 1..ceiling
	 * (never 0, so a failing source is not hammered in a tight loop). */
	if (attempts < 1)
		attempts = 1;
	int64_t ceiling = attempts >= 9 ? BACKOFF_CAP_S : INT64_C(1) << attempts;
	if (ceiling > BACKOFF_CAP_S)
		ceiling = BACKOFF_CAP_S;
	return 1 + (int64_t)(random % (uint32_t)ceiling);
}

int outbox_depth(struct cache *c, const char *source, int64_t *depth, int64_t *oldest,
                 struct wb_err *err)
{
	if (depth)
		*depth = 0;
	if (oldest)
		*oldest = 0;
	sqlite3_stmt *st =
	        cache_stmt(c, ST_OUTBOX_DEPTH,
	                   "SELECT count(*), COALESCE(MIN(created_at), 0) FROM outbox"
	                   " WHERE status IN ('pending','inflight') AND (?1 IS NULL OR source=?1)",
	                   err);
	if (!st)
		return err ? err->code : WB_EIO;
	cache_bind_text(st, 1, source);
	int s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		if (depth)
			*depth = sqlite3_column_int64(st, 0);
		if (oldest)
			*oldest = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return s == SQLITE_ROW ? 0 : cache_fail(c, s, err, "reading the outbox depth");
}
