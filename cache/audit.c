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
 * A hash chain cannot see its own last rows being cut off: anchor the head
 * (seq and hash of the newest row) somewhere else if that matters. */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "base/text.h"
#include "cache_internal.h"

#define HASH_HEX 64
static const char zero_hash[HASH_HEX + 1] =
        "0000000000000000000000000000000000000000000000000000000000000000";

/* The text fields of a row in hash order (a view over one row, owned elsewhere). */
enum { F_USER, F_ROLE, F_ACTION, F_SUBJECT, F_BEFORE, F_AFTER, F_REASON, F_DISPLAY, F__COUNT };

struct row {
	int64_t seq;
	int64_t at;
	const char *f[F__COUNT];
	size_t len[F__COUNT];
};

static const char *const field_names[F__COUNT] = {"user",   "role",  "action", "subject",
                                                  "before", "after", "reason", "display_name"};

static void be64(unsigned char out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		out[i] = (unsigned char)(v & 0xff);
}

/* Computes the row's hash into hex (65 bytes). 0, or -1 when libcrypto fails. */
static int row_hash(const char *prev_hash, size_t prev_len, const struct row *r,
                    char hex[HASH_HEX + 1])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE], num[8];
	unsigned int md_len = 0;
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	         EVP_DigestUpdate(ctx, prev_hash, prev_len) == 1;
	be64(num, (uint64_t)r->seq);
	ok = ok && EVP_DigestUpdate(ctx, num, sizeof(num)) == 1;
	be64(num, (uint64_t)r->at);
	ok = ok && EVP_DigestUpdate(ctx, num, sizeof(num)) == 1;
	for (int i = 0; ok && i < F__COUNT; i++) {
		if (i == F_DISPLAY && !r->f[i])
			break; /* a row from before display_name hashes as it did */
		unsigned char tag = r->f[i] ? 1 : 0;
		ok = EVP_DigestUpdate(ctx, &tag, 1) == 1;
		if (ok && r->f[i]) {
			be64(num, (uint64_t)r->len[i]);
			ok = EVP_DigestUpdate(ctx, num, sizeof(num)) == 1 &&
			     EVP_DigestUpdate(ctx, r->f[i], r->len[i]) == 1;
		}
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &md_len) == 1 && md_len * 2 == HASH_HEX;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	static const char digits[] = "0123456789abcdef";
	for (unsigned int i = 0; i < md_len; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[HASH_HEX] = '\0';
	return 0;
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

static int append_row(struct cache *c, const struct audit_entry *e, int64_t *seq_out,
                      struct wb_err *err)
{
	sqlite3_stmt *st = cache_stmt(c, ST_AUDIT_LAST,
	                              "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", err);
	if (!st)
		return err ? err->code : WB_EIO;
	char prev[HASH_HEX + 1];
	int64_t seq = 1;
	memcpy(prev, zero_hash, sizeof(prev));
	int s = sqlite3_step(st);
	int rc = 0;
	if (s == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 1);
		seq = sqlite3_column_int64(st, 0) + 1;
		/* Chaining onto a damaged head would bury the damage: refuse. */
		if (!h || sqlite3_column_bytes(st, 1) != HASH_HEX)
			rc = wb_fail(err, WB_ECORRUPT,
			             "%s: the last audit row (%lld) has a malformed hash; run "
			             "`waybill audit verify`",
			             c->path, (long long)(seq - 1));
		else
			memcpy(prev, h, sizeof(prev));
	} else if (s != SQLITE_DONE) {
		rc = cache_fail(c, s, err, "reading the audit trail");
	}
	sqlite3_reset(st);
	if (rc != 0)
		return rc;

	struct row r = {.seq = seq,
	                .at = e->at,
	                .f = {e->user, e->role, e->action, e->subject, e->before, e->after,
	                      e->reason, display_name(c, e)}};
	for (int i = 0; i < F__COUNT; i++)
		r.len[i] = r.f[i] ? strlen(r.f[i]) : 0;
	char hash[HASH_HEX + 1];
	if (row_hash(prev, HASH_HEX, &r, hash) != 0)
		return wb_fail(err, WB_EIO, "audit: SHA-256 failed in libcrypto");

	st = cache_stmt(
	        c, ST_AUDIT_APPEND,
	        "INSERT INTO audit(seq, at, user, role, action, subject, before, after, reason,"
	        " display_name, prev_hash, hash) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
	        err);
	if (!st)
		return err ? err->code : WB_EIO;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int64(st, 2, e->at);
	for (int i = 0; i < F__COUNT; i++)
		cache_bind_text(st, 3 + i, r.f[i]);
	sqlite3_bind_text(st, 11, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, hash, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
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

#define ROW_COLS                                                                                   \
	"seq, at, user, role, action, subject, before, after, reason, prev_hash, hash, "           \
	"display_name"
#define COL_DISPLAY 11

/* Reads columns 0..8 and 11 of a ROW_COLS statement into r. Returns the name of the
 * first column with a type waybill never writes, or NULL. Values stay owned
 * by the statement until the next step. */
static const char *read_row(sqlite3_stmt *st, struct row *r)
{
	const char *bad = NULL;
	if (sqlite3_column_type(st, 1) != SQLITE_INTEGER)
		bad = "at";
	r->seq = sqlite3_column_int64(st, 0);
	r->at = sqlite3_column_int64(st, 1);
	for (int i = 0; i < F__COUNT; i++) {
		int col = i == F_DISPLAY ? COL_DISPLAY : 2 + i;
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

/* Checks one row against the row before it (prev_seq 0 and the zero hash for
 * the first). Fills res and returns 1 when the link is broken. */
static int check_link(sqlite3_stmt *st, int64_t prev_seq, const char *prev_hash,
                      struct audit_verify_result *res)
{
	struct row r;
	const char *bad_type = read_row(st, &r);
	const char *ph = (const char *)sqlite3_column_text(st, 9);
	const char *h = (const char *)sqlite3_column_text(st, 10);
	size_t ph_len = ph ? (size_t)sqlite3_column_bytes(st, 9) : 0;
	if (r.seq <= prev_seq) {
		res->first_bad_seq = r.seq;
		snprintf(res->why, sizeof(res->why), "seq %lld is out of order (rows start at 1)",
		         (long long)r.seq);
		return 1;
	}
	if (r.seq != prev_seq + 1) {
		/* A gap names the first missing row; seq numbers never go backwards in
		 * this walk (ORDER BY seq on the primary key). */
		res->first_bad_seq = prev_seq + 1;
		snprintf(res->why, sizeof(res->why),
		         "row %lld is missing (row %lld comes after row %lld)",
		         (long long)(prev_seq + 1), (long long)r.seq, (long long)prev_seq);
		return 1;
	}
	res->first_bad_seq = r.seq;
	if (!ph || ph_len != HASH_HEX || memcmp(ph, prev_hash, HASH_HEX) != 0) {
		if (prev_seq == 0)
			snprintf(res->why, sizeof(res->why),
			         "prev_hash of the first row is not the zero hash");
		else
			snprintf(res->why, sizeof(res->why),
			         "prev_hash does not match the hash of row %lld (row removed, "
			         "reordered or edited)",
			         (long long)prev_seq);
		return 1;
	}
	if (bad_type) {
		snprintf(res->why, sizeof(res->why),
		         "%s has a type waybill never writes (row edited)", bad_type);
		return 1;
	}
	char want[HASH_HEX + 1];
	if (row_hash(ph, ph_len, &r, want) != 0) {
		snprintf(res->why, sizeof(res->why), "SHA-256 failed in libcrypto");
		return 1;
	}
	if (!h || (size_t)sqlite3_column_bytes(st, 10) != HASH_HEX ||
	    memcmp(h, want, HASH_HEX) != 0) {
		snprintf(res->why, sizeof(res->why),
		         "content does not match its hash (row edited)");
		return 1;
	}
	res->first_bad_seq = 0;
	return 0;
}

int audit_verify(struct cache *c, struct audit_verify_result *res, struct wb_err *err)
{
	memset(res, 0, sizeof(*res));
	sqlite3_stmt *st =
	        cache_stmt(c, ST_AUDIT_WALK, "SELECT " ROW_COLS " FROM audit ORDER BY seq", err);
	if (!st)
		return err ? err->code : WB_EIO;
	char prev_hash[HASH_HEX + 1];
	memcpy(prev_hash, zero_hash, sizeof(prev_hash));
	int64_t prev_seq = 0;
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		res->rows++;
		if (check_link(st, prev_seq, prev_hash, res))
			break;
		prev_seq = sqlite3_column_int64(st, 0);
		memcpy(prev_hash, sqlite3_column_text(st, 10),
		       HASH_HEX); /* checked in check_link */
	}
	int rc = s == SQLITE_ROW || s == SQLITE_DONE
	                 ? 0
	                 : cache_fail(c, s, err, "reading the audit trail");
	sqlite3_reset(st);
	if (rc == 0 && res->first_bad_seq == 0)
		res->why[0] = '\0';
	return rc;
}

int audit_export(struct cache *c, int64_t since, FILE *out, struct wb_err *err)
{
	sqlite3_stmt *st = cache_stmt(
	        c, ST_AUDIT_EXPORT, "SELECT " ROW_COLS " FROM audit WHERE at>=? ORDER BY seq", err);
	if (!st)
		return err ? err->code : WB_EIO;
	sqlite3_bind_int64(st, 1, since);
	int s = SQLITE_DONE, rc = 0;
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		struct row r;
		read_row(st, &r);
		const char *ph = (const char *)sqlite3_column_text(st, 9);
		const char *h = (const char *)sqlite3_column_text(st, 10);
		/* before/after stay strings: the exact text that was hashed, so an
		 * export can be checked against the chain. */
		json_t *o = json_pack(
		        "{s:I, s:I, s:s, s:s?, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s, s:s}", "seq",
		        (json_int_t)r.seq, "at", (json_int_t)r.at, "user", r.f[F_USER],
		        "display_name", r.f[F_DISPLAY], "role", r.f[F_ROLE], "action",
		        r.f[F_ACTION], "subject", r.f[F_SUBJECT], "before", r.f[F_BEFORE], "after",
		        r.f[F_AFTER], "reason", r.f[F_REASON], "prev_hash", ph ? ph : "", "hash",
		        h ? h : "");
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
