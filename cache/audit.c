/* The audit trail: append-only rows, each chained to the one before by a
 * SHA-256 hash, so an edited, removed or reordered row shows up in
 * `waybill audit verify`.
 *
 * hash = lower-case hex of SHA-256(prev_hash || content), where prev_hash is
 * the previous row's hash as its 64 ASCII hex characters (64 '0's for the
 * first row) and content is, in this order:
 *   seq, at                       8 bytes each, two's complement, big-endian
 *   user, role, action, subject,  each 0x00 for NULL, or 0x01, the length in
 *   before, after, reason         8 bytes big-endian, then the UTF-8 bytes
 *   display_name                  as the fields above when it is not NULL;
 *                                 when NULL, nothing at all
 * Every field is typed and length-prefixed, so moving text from one field to
 * the next, or turning "" into NULL, changes the hash. display_name came with
 * schema version 3: rows written before have none (NULL) and hash exactly as
 * they did, so one chain verifies across the upgrade; a row written since
 * carries one, and removing it, or giving an old row one, breaks the chain.
 *
 * The keyed chain (schema 6): a connection given a key (cache_audit_key)
 * writes hash = lower-case hex of HMAC-SHA-256(key, the same bytes) and stores
 * the key's id in key_id. Anyone can recompute a plain chain after editing it;
 * only the key's holder can recompute a keyed one. Rows written before the key
 * keep key_id NULL and their SHA-256: the chain is plain up to its last
 * unkeyed row (the marked point) and keyed from the next, and once keyed it
 * stays keyed (audit_append refuses to write a plain row after a keyed one,
 * and audit_verify reports one as a break).
 *
 * A chain cannot see its own last rows being cut off, nor a rewrite of every
 * keyed row as plain: anchor the head (app/audit_anchor.c) outside the cache. */
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"
#include "base/text.h"

#define HASH_HEX AUDIT_HASH_HEX
const char audit_zero_hash[HASH_HEX + 1] =
        "0000000000000000000000000000000000000000000000000000000000000000";

static const char *const field_names[F__COUNT] = {"user",   "role",  "action", "subject",
                                                  "before", "after", "reason", "display_name"};

/* A growing byte buffer: the encoded row, hashed in one call. */
struct buf {
	unsigned char *p;
	size_t len, cap;
	bool failed;
};

static void put(struct buf *b, const void *data, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 512;
		while (cap < b->len + n)
			cap *= 2;
		unsigned char *p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void put64(struct buf *b, uint64_t v)
{
	unsigned char out[8];
	for (int i = 7; i >= 0; i--, v >>= 8)
		out[i] = (unsigned char)(v & 0xff);
	put(b, out, sizeof(out));
}

int audit_row_digest(const struct cache *c, bool keyed, const char *prev_hash, size_t prev_len,
                     const struct audit_row *r, char hex[HASH_HEX + 1])
{
	if (keyed && !c->audit_key_len)
		return -1;
	struct buf b = {0};
	put(&b, prev_hash, prev_len);
	put64(&b, (uint64_t)r->seq);
	put64(&b, (uint64_t)r->at);
	for (int i = 0; i < F__COUNT; i++) {
		if (i == F_DISPLAY && !r->f[i])
			break; /* a row from before display_name hashes as it did */
		unsigned char tag = r->f[i] ? 1 : 0;
		put(&b, &tag, 1);
		if (r->f[i]) {
			put64(&b, (uint64_t)r->len[i]);
			put(&b, r->f[i], r->len[i]);
		}
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	int ok = !b.failed;
	static const unsigned char empty[1];
	const unsigned char *data = b.p ? b.p : empty;
	if (ok && keyed)
		ok = HMAC(EVP_sha256(), c->audit_key, (int)c->audit_key_len, data, b.len, md,
		          &md_len) != NULL;
	else if (ok)
		ok = EVP_Digest(data, b.len, md, &md_len, EVP_sha256(), NULL) == 1;
	free(b.p);
	if (!ok || md_len * 2 != HASH_HEX)
		return -1;
	static const char digits[] = "0123456789abcdef";
	for (unsigned int i = 0; i < md_len; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[HASH_HEX] = '\0';
	return 0;
}

bool audit_is_hex(const char *s, size_t len, size_t n)
{
	return s && len == n && strspn(s, "0123456789abcdef") == n;
}

/* Rows must export as JSON later: text must be UTF-8, before/after JSON. */
static int check_entry(const struct audit_entry *e, struct wb_err *err)
{
	const char *req[] = {e->user, e->role, e->action, e->subject};
	const char *names[] = {"user", "role", "action", "subject"};
	for (int i = 0; i < 4; i++) {
		if (!req[i] || !*req[i])
			return wb_fail(err, WB_EINVALID, "audit: a row needs a %s", names[i]);
	}
	const char *text[] = {e->user, e->role, e->action, e->subject, e->reason, e->display_name};
	const char *tnames[] = {"user", "role", "action", "subject", "reason", "display_name"};
	for (int i = 0; i < 6; i++) {
		if (!text[i])
			continue;
		json_t *j = json_string(text[i]); /* NULL when not valid UTF-8 */
		if (!j)
			return wb_fail(err, WB_EINVALID, "audit: %s of %s on %s is not UTF-8 text",
			               tnames[i], e->action, e->subject);
		json_decref(j);
	}
	const char *js[] = {e->before, e->after};
	for (int i = 0; i < 2; i++) {
		if (!js[i])
			continue;
		json_error_t jerr;
		json_t *j = json_loads(js[i], JSON_DECODE_ANY, &jerr);
		if (!j)
			return wb_fail(err, WB_EINVALID, "audit: %s of %s on %s is not JSON (%s)",
			               i ? "after" : "before", e->action, e->subject, jerr.text);
		json_decref(j);
	}
	return 0;
}

/* The entry's display name, else the connection's; a system action's is the
 * system's own name (its user, "waybill"). NULL: none. */
static const char *display_name(const struct cache *c, const struct audit_entry *e)
{
	if (e->display_name)
		return e->display_name;
	if (!strcmp(e->role, "system"))
		return e->user;
	return c->display_name[0] ? c->display_name : NULL;
}

void cache_set_display_name(struct cache *c, const char *name)
{
	snprintf(c->display_name, sizeof(c->display_name), "%s", name ? name : "");
}

/* The newest row's seq, hash and key id (prev as the zero hash, *seq 0 and
 * key_id "" for an empty trail). */
static int read_head(struct cache *c, int64_t *seq, char prev[HASH_HEX + 1],
                     char key_id[AUDIT_KEY_ID_LEN + 1], struct wb_err *err)
{
	sqlite3_stmt *st =
	        cache_stmt(c, ST_AUDIT_LAST,
	                   "SELECT seq, hash, key_id FROM audit ORDER BY seq DESC LIMIT 1", err);
	if (!st)
		return err ? err->code : WB_EIO;
	*seq = 0;
	memcpy(prev, audit_zero_hash, HASH_HEX + 1);
	key_id[0] = '\0';
	int s = sqlite3_step(st);
	int rc = 0;
	if (s == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 1);
		const char *k = (const char *)sqlite3_column_text(st, 2);
		*seq = sqlite3_column_int64(st, 0);
		/* Chaining onto a damaged head would bury the damage: refuse. */
		if (!audit_is_hex(h, (size_t)sqlite3_column_bytes(st, 1), HASH_HEX) ||
		    (k && !audit_is_hex(k, (size_t)sqlite3_column_bytes(st, 2), AUDIT_KEY_ID_LEN)))
			rc = wb_fail(err, WB_ECORRUPT,
			             "%s: the last audit row (%lld) has a malformed hash; run "
			             "`waybill audit verify`",
			             c->path, (long long)*seq);
		else {
			memcpy(prev, h, HASH_HEX + 1);
			if (k)
				memcpy(key_id, k, AUDIT_KEY_ID_LEN + 1);
		}
	} else if (s != SQLITE_DONE) {
		rc = cache_fail(c, s, err, "reading the audit trail");
	}
	sqlite3_reset(st);
	return rc;
}

static int append_row(struct cache *c, const struct audit_entry *e, int64_t *seq_out,
                      struct wb_err *err)
{
	char prev[HASH_HEX + 1], head_key[AUDIT_KEY_ID_LEN + 1];
	int64_t seq = 0;
	int rc = read_head(c, &seq, prev, head_key, err);
	if (rc != 0)
		return rc;
	seq++;
	/* Once keyed, always keyed under that key: a plain row after a keyed one
	 * is what a rewrite without the key looks like. */
	if (head_key[0] && !c->audit_key_len)
		return wb_fail(err, WB_EDENIED,
		               "%s: the audit trail is keyed (key %s) and this connection has no "
		               "key; set audit.key_file in the config to that key's file",
		               c->path, head_key);
	if (head_key[0] && strcmp(head_key, c->audit_key_id) != 0)
		return wb_fail(err, WB_EDENIED,
		               "%s: the audit trail is keyed with key %s, not with this key (%s); "
		               "set audit.key_file in the config to that key's file",
		               c->path, head_key, c->audit_key_id);
	bool keyed = c->audit_key_len > 0;

	struct audit_row r = {.seq = seq,
	                      .at = e->at,
	                      .f = {e->user, e->role, e->action, e->subject, e->before, e->after,
	                            e->reason, display_name(c, e)}};
	for (int i = 0; i < F__COUNT; i++)
		r.len[i] = r.f[i] ? strlen(r.f[i]) : 0;
	char hash[HASH_HEX + 1];
	if (audit_row_digest(c, keyed, prev, HASH_HEX, &r, hash) != 0)
		return wb_fail(err, WB_EIO, "audit: %s failed in libcrypto",
		               keyed ? "HMAC-SHA-256" : "SHA-256");

	sqlite3_stmt *st = cache_stmt(
	        c, ST_AUDIT_APPEND,
	        "INSERT INTO audit(seq, at, user, role, action, subject, before, after, reason,"
	        " display_name, prev_hash, hash, key_id) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
	        err);
	if (!st)
		return err ? err->code : WB_EIO;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int64(st, 2, e->at);
	for (int i = 0; i < F__COUNT; i++)
		cache_bind_text(st, 3 + i, r.f[i]);
	sqlite3_bind_text(st, 11, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, hash, -1, SQLITE_STATIC);
	cache_bind_text(st, 13, keyed ? c->audit_key_id : NULL);
	int s = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st); /* prev and hash live on this stack frame */
	if (s != SQLITE_DONE)
		return cache_fail(c, s, err, "writing the audit trail");
	cache_touch(c, CACHE_BIT(CACHE_T_AUDIT));
	if (seq_out)
		*seq_out = seq;
	return 0;
}

int audit_append(struct cache *c, const struct audit_entry *e, int64_t *seq_out, struct wb_err *err)
{
	if (seq_out)
		*seq_out = 0;
	if (!e)
		return wb_fail(err, WB_EINVALID, "audit: no entry given");
	int rc = check_entry(e, err);
	if (rc != 0)
		return rc;
	int began;
	rc = cache_autobegin(c, &began, err);
	if (rc != 0)
		return rc;
	rc = append_row(c, e, seq_out, err);
	return cache_autoend(c, began, rc, err);
}

const char *audit_read_row(sqlite3_stmt *st, struct audit_row *r)
{
	const char *bad = NULL;
	if (sqlite3_column_type(st, 1) != SQLITE_INTEGER)
		bad = "at";
	r->seq = sqlite3_column_int64(st, 0);
	r->at = sqlite3_column_int64(st, 1);
	for (int i = 0; i < F__COUNT; i++) {
		int col = i == F_DISPLAY ? AUDIT_COL_DISPLAY : 2 + i;
		int t = sqlite3_column_type(st, col);
		if (t == SQLITE_NULL) {
			r->f[i] = NULL;
			r->len[i] = 0;
			continue;
		}
		if (t != SQLITE_TEXT && !bad)
			bad = field_names[i];
		r->f[i] = (const char *)sqlite3_column_text(st, col);
		r->len[i] = (size_t)sqlite3_column_bytes(st, col);
		if (!r->f[i]) { /* out of memory: make it fail the hash, not crash */
			r->f[i] = "";
			r->len[i] = 0;
		}
	}
	return bad;
}

int audit_export(struct cache *c, int64_t since, FILE *out, struct wb_err *err)
{
	sqlite3_stmt *st =
	        cache_stmt(c, ST_AUDIT_EXPORT,
	                   "SELECT " AUDIT_ROW_COLS " FROM audit WHERE at>=? ORDER BY seq", err);
	if (!st)
		return err ? err->code : WB_EIO;
	sqlite3_bind_int64(st, 1, since);
	int s = SQLITE_DONE, rc = 0;
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		struct audit_row r;
		audit_read_row(st, &r);
		const char *ph = (const char *)sqlite3_column_text(st, AUDIT_COL_PREV);
		const char *h = (const char *)sqlite3_column_text(st, AUDIT_COL_HASH);
		const char *k = (const char *)sqlite3_column_text(st, AUDIT_COL_KEY_ID);
		/* before/after stay strings: the exact text that was hashed, so an
		 * export can be checked against the chain. */
		json_t *o = json_pack(
		        "{s:I, s:I, s:s, s:s?, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s, s:s, s:s?}",
		        "seq", (json_int_t)r.seq, "at", (json_int_t)r.at, "user", r.f[F_USER],
		        "display_name", r.f[F_DISPLAY], "role", r.f[F_ROLE], "action",
		        r.f[F_ACTION], "subject", r.f[F_SUBJECT], "before", r.f[F_BEFORE], "after",
		        r.f[F_AFTER], "reason", r.f[F_REASON], "prev_hash", ph ? ph : "", "hash",
		        h ? h : "", "key_id", k);
		if (!o) {
			rc = wb_fail(err, WB_ECORRUPT,
			             "%s: audit row %lld cannot be written as JSON (text that is "
			             "not UTF-8?); run `waybill audit verify`",
			             c->path, (long long)r.seq);
			break;
		}
		/* Escaped as every command's JSON is (base/text.h): the export is read on
		 * terminals too. */
		char *raw = json_dumps(o, JSON_COMPACT),
		     *line = raw ? wb_json_escape_unsafe(raw) : NULL;
		if (!line || fputs(line, out) == EOF || fputc('\n', out) == EOF)
			rc = wb_fail(err, WB_EIO, "audit export: write failed at row %lld",
			             (long long)r.seq);
		free(line);
		free(raw);
		json_decref(o);
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = cache_fail(c, s, err, "reading the audit trail");
	sqlite3_reset(st);
	if (rc == 0 && fflush(out) != 0)
		rc = wb_fail(err, WB_EIO, "audit export: write failed");
	return rc;
}
