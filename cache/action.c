/* Actions: one transaction writes the outbox row and the audit row of what a
 * user did, so an action is either recorded whole, with who and why, or not at
 * all. Delivery is the outbox sender's job (net/sender.c). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_internal.h"

/* The audit row's "after": the caller's JSON object with the outbox key added,
 * so the trail leads to the delivery and its answer. */
static char *after_with_key(const char *after, const char *key, struct wb_err *err)
{
	json_error_t je;
	json_t *o = after ? json_loads(after, 0, &je) : json_object();
	if (!json_is_object(o)) {
		json_decref(o);
		wb_fail(err, WB_EINVALID, "action: \"after\" must be a JSON object");
		return NULL;
	}
	json_object_set_new(o, "outbox_key", json_string(key));
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (!s)
		wb_fail(err, WB_ENOMEM, "out of memory");
	return s;
}

int cache_action_record(struct cache *c, const struct cache_action *a, char key_out[40],
                        int64_t *audit_seq, struct wb_err *err)
{
	if (!a || !a->role || !*a->role)
		return wb_fail(err, WB_EINVALID,
		               "action: who acted, and in which role, must be given");
	int began, rc = cache_autobegin(c, &began, err);
	if (rc != 0)
		return rc;
	char key[40] = "";
	char *after = NULL;
	rc = outbox_enqueue(c, a->source, a->action, a->subject, a->payload ? a->payload : "{}",
	                    a->user, a->at, key, err);
	if (rc == 0 && !(after = after_with_key(a->after, key, err)))
		rc = err ? err->code : WB_EINVALID;
	if (rc == 0) {
		struct audit_entry e = {.user = a->user,
		                        .role = a->role,
		                        .action = a->action,
		                        .subject = a->subject,
		                        .before = a->before,
		                        .after = after,
		                        .reason = a->reason,
		                        .display_name = a->display_name,
		                        .at = a->at};
		rc = audit_append(c, &e, audit_seq, err);
	}
	free(after);
	rc = cache_autoend(c, began, rc, err);
	if (rc == 0 && key_out)
		snprintf(key_out, 40, "%s", key);
	return rc;
}

int cache_action_pending(struct cache *c, const char *subject, char *action, size_t len,
                         struct wb_err *err)
{
	if (len)
		action[0] = '\0';
	sqlite3_stmt *st = cache_stmt(c, ST_ACTION_PENDING,
	                              "SELECT action FROM outbox WHERE subject=? AND status IN"
	                              " ('pending','inflight') ORDER BY seq DESC LIMIT 1",
	                              err);
	if (!st)
		return err ? err->code : WB_EIO;
	sqlite3_bind_text(st, 1, subject, -1, SQLITE_STATIC);
	int s = sqlite3_step(st);
	int rc = 0;
	if (s == SQLITE_ROW)
		snprintf(action, len, "%s", (const char *)sqlite3_column_text(st, 0));
	else if (s == SQLITE_DONE)
		rc = wb_fail(err, WB_ENOTFOUND, "no pending action on %s", subject);
	else
		rc = cache_fail(c, s, err, "reading the outbox");
	sqlite3_reset(st);
	return rc;
}

/* The audit trail keeps every action ever recorded (the outbox keeps it too, but
 * the audit is the record that cannot be pruned or edited), and its
 * (subject, seq) index makes this a short backwards walk over one subject. */
int cache_action_last(struct cache *c, const char *subject, const char *action, const char *user,
                      int64_t *seq, char *after, size_t len, struct wb_err *err)
{
	if (seq)
		*seq = 0;
	if (after && len)
		after[0] = '\0';
	if (!subject || !*subject || !action || !*action)
		return wb_fail(err, WB_EINVALID,
		               "action look-up: a subject and an action must be given");
	sqlite3_stmt *st = cache_stmt(c, ST_ACTION_LAST,
	                              "SELECT seq, after FROM audit WHERE subject=?1 AND action=?2"
	                              " AND (?3 IS NULL OR user=?3) ORDER BY seq DESC LIMIT 1",
	                              err);
	if (!st)
		return err ? err->code : WB_EIO;
	int s;
	sqlite3_bind_text(st, 1, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, action, -1, SQLITE_STATIC);
	cache_bind_text(st, 3, user);
	int rc = 0;
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		if (seq)
			*seq = sqlite3_column_int64(st, 0);
		const unsigned char *a = sqlite3_column_text(st, 1);
		if (after && len)
			snprintf(after, len, "%s", a ? (const char *)a : "");
	} else if (s == SQLITE_DONE) {
		rc = wb_fail(err, WB_ENOTFOUND, "no %s recorded on %s", action, subject);
	} else {
		rc = cache_fail(c, s, err, "reading the audit trail");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int cache_subject_last_seq(struct cache *c, const char *subject, int64_t *seq, struct wb_err *err)
{
	*seq = 0;
	if (!subject || !*subject)
		return wb_fail(err, WB_EINVALID, "audit look-up: a subject must be given");
	sqlite3_stmt *st = cache_stmt(c, ST_SUBJECT_LAST_SEQ,
	                              "SELECT max(seq) FROM audit WHERE subject=?1", err);
	if (!st)
		return err ? err->code : WB_EIO;
	sqlite3_bind_text(st, 1, subject, -1, SQLITE_STATIC);
	int s = sqlite3_step(st);
	int rc = 0;
	if (s == SQLITE_ROW)
		*seq = sqlite3_column_int64(st, 0); /* NULL (no row) reads as 0 */
	else
		rc = cache_fail(c, s, err, "reading the audit trail");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}
