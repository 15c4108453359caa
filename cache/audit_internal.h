/* Private to cache/audit*.c: one audit row as the chain sees it, and the
 * digest over it (plain SHA-256 or HMAC-SHA-256; encoding in cache/audit.c). */
#ifndef WAYBILL_AUDIT_INTERNAL_H
#define WAYBILL_AUDIT_INTERNAL_H

#include <stdbool.h>

#include "cache_internal.h"

#define AUDIT_HASH_HEX 64

/* The text fields of a row in hash order (a view over one row, owned elsewhere). */
enum { F_USER, F_ROLE, F_ACTION, F_SUBJECT, F_BEFORE, F_AFTER, F_REASON, F_DISPLAY, F__COUNT };

struct audit_row {
	int64_t seq;
	int64_t at;
	const char *f[F__COUNT];
	size_t len[F__COUNT];
};

/* The columns every reader of whole rows selects, in this order. */
#define AUDIT_ROW_COLS                                                                             \
	"seq, at, user, role, action, subject, before, after, reason, prev_hash, hash, "           \
	"display_name, key_id"
#define AUDIT_COL_PREV 9
#define AUDIT_COL_HASH 10
#define AUDIT_COL_DISPLAY 11
#define AUDIT_COL_KEY_ID 12

extern const char audit_zero_hash[AUDIT_HASH_HEX + 1];

/* Reads the row fields of an AUDIT_ROW_COLS statement into r. Returns the name
 * of the first column with a type waybill never writes, or NULL. Values stay
 * owned by the statement until the next step. */
const char *audit_read_row(sqlite3_stmt *st, struct audit_row *r);

/* The row's link into hex (65 bytes): SHA-256 of prev_hash || content, or with
 * keyed, HMAC-SHA-256 under c's key of the same bytes. 0, or -1 when keyed
 * without a key, or when libcrypto fails. */
int audit_row_digest(const struct cache *c, bool keyed, const char *prev_hash, size_t prev_len,
                     const struct audit_row *r, char hex[AUDIT_HASH_HEX + 1]);

/* 1 when s is exactly n lower-case hex digits. */
bool audit_is_hex(const char *s, size_t len, size_t n);

#endif
