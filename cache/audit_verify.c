/* `waybill audit verify`'s walk: every row against the row before it, plain
 * rows by SHA-256, keyed rows by HMAC-SHA-256 under the connection's key (when
 * it has one), stopping at the first broken link (encoding in cache/audit.c). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "audit_internal.h"

#define HASH_HEX AUDIT_HASH_HEX

/* The walk so far: the previous row's seq and hash. */
struct walk {
	int64_t prev_seq;
	char prev_hash[HASH_HEX + 1];
};

static int broken(struct audit_verify_result *res, int64_t seq, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int broken(struct audit_verify_result *res, int64_t seq, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	res->first_bad_seq = seq;
	vsnprintf(res->why, sizeof(res->why), fmt, ap);
	va_end(ap);
	return 1;
}

/* Is this row keyed, and may it be? 0: fine (keyed set), 1: broken (res filled). */
static int check_key(const struct cache *c, sqlite3_stmt *st, int64_t seq, bool *keyed,
                     struct audit_verify_result *res)
{
	const char *k = (const char *)sqlite3_column_text(st, AUDIT_COL_KEY_ID);
	*keyed = k != NULL;
	if (!k) {
		/* The marked point: plain rows end where the keyed ones begin. */
		if (res->keyed_rows)
			return broken(res, seq,
			              "an unkeyed row after keyed rows (keyed rows rewritten "
			              "without the key?)");
		return 0;
	}
	if (!audit_is_hex(k, (size_t)sqlite3_column_bytes(st, AUDIT_COL_KEY_ID), AUDIT_KEY_ID_LEN))
		return broken(res, seq, "key_id is malformed (row edited)");
	if (!res->key_id[0])
		memcpy(res->key_id, k, AUDIT_KEY_ID_LEN + 1);
	else if (strcmp(res->key_id, k) != 0)
		return broken(res, seq,
		              "keyed with key %s, the rows before with key %s (row edited)", k,
		              res->key_id);
	if (c->audit_key_len && strcmp(k, c->audit_key_id) != 0)
		return broken(res, seq,
		              "keyed with key %s, not with the key given (%s): another key?", k,
		              c->audit_key_id);
	return 0;
}

/* Checks one row against the row before it (prev_seq 0 and the zero hash for
 * the first). Fills res and returns 1 when the link is broken. */
static int check_link(const struct cache *c, sqlite3_stmt *st, const struct walk *w,
                      struct audit_verify_result *res)
{
	struct audit_row r;
	const char *bad_type = audit_read_row(st, &r);
	const char *ph = (const char *)sqlite3_column_text(st, AUDIT_COL_PREV);
	const char *h = (const char *)sqlite3_column_text(st, AUDIT_COL_HASH);
	size_t ph_len = ph ? (size_t)sqlite3_column_bytes(st, AUDIT_COL_PREV) : 0;
	if (r.seq <= w->prev_seq)
		return broken(res, r.seq, "seq %lld is out of order (rows start at 1)",
		              (long long)r.seq);
	/* A gap names the first missing row; seq numbers never go backwards in
	 * this walk (ORDER BY seq on the primary key). */
	if (r.seq != w->prev_seq + 1)
		return broken(
		        res, w->prev_seq + 1, "row %lld is missing (row %lld comes after row %lld)",
		        (long long)(w->prev_seq + 1), (long long)r.seq, (long long)w->prev_seq);
	if (!ph || ph_len != HASH_HEX || memcmp(ph, w->prev_hash, HASH_HEX) != 0) {
		if (w->prev_seq == 0)
			return broken(res, r.seq,
			              "prev_hash of the first row is not the zero hash");
		return broken(res, r.seq,
		              "prev_hash does not match the hash of row %lld (row removed, "
		              "reordered or edited)",
		              (long long)w->prev_seq);
	}
	if (bad_type)
		return broken(res, r.seq, "%s has a type waybill never writes (row edited)",
		              bad_type);
	bool keyed;
	if (check_key(c, st, r.seq, &keyed, res))
		return 1;
	if (!h || !audit_is_hex(h, (size_t)sqlite3_column_bytes(st, AUDIT_COL_HASH), HASH_HEX))
		return broken(res, r.seq, "its hash is malformed (row edited)");
	if (keyed) {
		res->keyed_rows++;
		if (!c->audit_key_len) {
			res->unchecked++; /* linked, but only the key can check its content */
			return 0;
		}
	} else {
		res->plain_rows++;
		res->last_plain_seq = r.seq;
	}
	char want[HASH_HEX + 1];
	if (audit_row_digest(c, keyed, ph, ph_len, &r, want) != 0)
		return broken(res, r.seq, "%s failed in libcrypto",
		              keyed ? "HMAC-SHA-256" : "SHA-256");
	if (memcmp(h, want, HASH_HEX) != 0)
		return broken(res, r.seq,
		              keyed ? "content does not match its MAC under the key (row edited)"
		                    : "content does not match its hash (row edited)");
	return 0;
}

int audit_verify(struct cache *c, struct audit_verify_result *res, struct wb_err *err)
{
	memset(res, 0, sizeof(*res));
	sqlite3_stmt *st = cache_stmt(c, ST_AUDIT_WALK,
	                              "SELECT " AUDIT_ROW_COLS " FROM audit ORDER BY seq", err);
	if (!st)
		return err ? err->code : WB_EIO;
	struct walk w = {0};
	memcpy(w.prev_hash, audit_zero_hash, sizeof(w.prev_hash));
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		res->rows++;
		if (check_link(c, st, &w, res))
			break;
		w.prev_seq = sqlite3_column_int64(st, 0);
		/* checked in check_link */
		memcpy(w.prev_hash, sqlite3_column_text(st, AUDIT_COL_HASH), HASH_HEX);
	}
	int rc = s == SQLITE_ROW || s == SQLITE_DONE
	                 ? 0
	                 : cache_fail(c, s, err, "reading the audit trail");
	sqlite3_reset(st);
	if (rc == 0 && res->first_bad_seq == 0)
		res->why[0] = '\0';
	return rc;
}
