/* The audit trail against a real SQLite file: the hash chain verifies, and an
 * edited, removed, reordered or re-linked row is caught at the right seq; NULL
 * and "" differ; export writes JSON lines; a rolled-back append leaves nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "testutil.h"
#include "cache/cache.h"

#define N_ROWS 12

struct fx {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	struct cache *c;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->c = test_cache_new(f->dir, sizeof(f->dir), f->path, sizeof(f->path));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	cache_close(f->c);
	test_rmdir(f->dir);
	free(f);
	return 0;
}

/* Appends N_ROWS rows with varied content (some NULL before/after/reason). */
static void fill(struct fx *f)
{
	struct wb_err err = {0};
	for (int i = 1; i <= N_ROWS; i++) {
		char subject[32], after[64];
		snprintf(subject, sizeof(subject), "load:L-%d", 1000 + i);
		snprintf(after, sizeof(after), "{\"status\":\"released\",\"n\":%d}", i);
		struct audit_entry e = {
		        .user = i % 2 ? "alice" : "bob",
		        .role = i % 3 ? "dispatcher" : "supervisor",
		        .action = "release_load",
		        .subject = subject,
		        .before = i % 4 ? "{\"status\":\"planned\"}" : NULL,
		        .after = after,
		        .reason = i % 5 ? NULL : "customer called",
		        .at = 1700000000 + i * 60,
		};
		int64_t seq = 0;
		if (audit_append(f->c, &e, &seq, &err) != 0)
			fail_msg("audit_append %d: %s", i, err.msg);
		assert_int_equal(seq, i);
	}
}

static void sql(struct fx *f, const char *q)
{
	char *msg = NULL;
	if (sqlite3_exec(cache_db(f->c), q, NULL, NULL, &msg) != SQLITE_OK) {
		char copy[256];
		snprintf(copy, sizeof(copy), "%s", msg ? msg : "?");
		sqlite3_free(msg);
		fail_msg("%s: %s", q, copy);
	}
}

static struct audit_verify_result verify(struct fx *f)
{
	struct audit_verify_result r;
	struct wb_err err = {0};
	if (audit_verify(f->c, &r, &err) != 0)
		fail_msg("audit_verify: %s", err.msg);
	return r;
}

static void expect_broken_at(struct fx *f, int64_t seq, const char *why_part)
{
	struct audit_verify_result r = verify(f);
	if (r.first_bad_seq != seq)
		fail_msg("expected the chain broken at %lld, verify says %lld (%s)", (long long)seq,
		         (long long)r.first_bad_seq, r.why);
	if (why_part && !strstr(r.why, why_part))
		fail_msg("expected why to mention \"%s\", got \"%s\"", why_part, r.why);
}

static void test_chain_verifies(void **state)
{
	struct fx *f = *state;
	struct audit_verify_result r = verify(f);
	assert_int_equal(r.rows, 0);
	assert_int_equal(r.first_bad_seq, 0);
	fill(f);
	r = verify(f);
	assert_int_equal(r.rows, N_ROWS);
	assert_int_equal(r.first_bad_seq, 0);
	assert_string_equal(r.why, "");

	/* The first row links to the zero hash; each later row to the one before. */
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(cache_db(f->c),
	                                    "SELECT seq, prev_hash, hash FROM audit ORDER BY seq",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	char prev[65];
	memset(prev, '0', 64);
	prev[64] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *ph = (const char *)sqlite3_column_text(st, 1);
		const char *h = (const char *)sqlite3_column_text(st, 2);
		assert_string_equal(ph, prev);
		assert_int_equal(strlen(h), 64);
		assert_int_equal(strspn(h, "0123456789abcdef"), 64);
		snprintf(prev, sizeof(prev), "%s", h);
	}
	sqlite3_finalize(st);

	/* Still whole after a reopen, read-only as `waybill audit verify` opens it. */
	cache_close(f->c);
	struct wb_err err = {0};
	f->c = cache_open(f->path, &(struct cache_opts){.readonly = true}, &err);
	assert_non_null(f->c);
	r = verify(f);
	assert_int_equal(r.rows, N_ROWS);
	assert_int_equal(r.first_bad_seq, 0);
}

/* The first row's hash, recomputed here from the documented encoding, so an
 * outside tool following cache/audit.c's comment gets the same answer. */
static void put64(EVP_MD_CTX *ctx, int64_t v)
{
	unsigned char b[8];
	for (int i = 7; i >= 0; i--, v = (int64_t)((uint64_t)v >> 8))
		b[i] = (unsigned char)(v & 0xff);
	EVP_DigestUpdate(ctx, b, 8);
}

static void put_text(EVP_MD_CTX *ctx, const char *s)
{
	unsigned char tag = s ? 1 : 0;
	EVP_DigestUpdate(ctx, &tag, 1);
	if (s) {
		put64(ctx, (int64_t)strlen(s));
		EVP_DigestUpdate(ctx, s, strlen(s));
	}
}

/* SHA-256(prev || seq || at || the seven text fields) as lower-case hex. */
static void row_hash_hex(const char *prev, int64_t seq, int64_t at, const char *const fields[7],
                         char out[65])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	EVP_DigestUpdate(ctx, prev, strlen(prev));
	put64(ctx, seq);
	put64(ctx, at);
	for (int i = 0; i < 7; i++)
		put_text(ctx, fields[i]);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	assert_int_equal(EVP_DigestFinal_ex(ctx, md, &len), 1);
	EVP_MD_CTX_free(ctx);
	assert_int_equal(len, 32);
	for (unsigned int i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void test_hash_encoding_documented(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct audit_entry e = {.user = "alice",
	                        .role = "dispatcher",
	                        .action = "place_hold",
	                        .subject = "vehicle:V-7",
	                        .before = NULL,
	                        .after = "{\"hold\":true}",
	                        .reason = "",
	                        .at = 1700000000};
	assert_int_equal(audit_append(f->c, &e, NULL, &err), 0);

	char zeros[65], want[65];
	memset(zeros, '0', 64);
	zeros[64] = '\0';
	row_hash_hex(
	        zeros, 1, e.at,
	        (const char *[]){e.user, e.role, e.action, e.subject, e.before, e.after, e.reason},
	        want);

	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(cache_db(f->c), "SELECT hash FROM audit WHERE seq=1",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), want);
	sqlite3_finalize(st);
}

static void test_edit_detected(void **state)
{
	struct fx *f = *state;
	fill(f);
	sql(f, "UPDATE audit SET user='mallory' WHERE seq=5");
	expect_broken_at(f, 5, "hash");
}

static void test_edit_each_field_detected(void **state)
{
	struct fx *f = *state;
	fill(f);
	const char *edits[] = {
	        "UPDATE audit SET at=at+1 WHERE seq=7",
	        "UPDATE audit SET role='admin' WHERE seq=7",
	        "UPDATE audit SET action='cancel_load' WHERE seq=7",
	        "UPDATE audit SET subject='load:L-1' WHERE seq=7",
	        "UPDATE audit SET before='{}' WHERE seq=7",
	        "UPDATE audit SET after=NULL WHERE seq=7",
	        "UPDATE audit SET reason='made up' WHERE seq=7",
	        "UPDATE audit SET hash='"
	        "0123456789abcdef0123456789abcdef"
	        "0123456789abcdef0123456789abcdef' WHERE seq=7",
	        /* Same bytes, different type: waybill never writes a blob here. */
	        "UPDATE audit SET subject=CAST(subject AS BLOB) WHERE seq=7",
	};
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		sql(f, "SAVEPOINT edit");
		const char *q = edits[i];
		sql(f, q);
		struct audit_verify_result r = verify(f);
		if (r.first_bad_seq != 7)
			fail_msg("\"%s\": expected broken at 7, got %lld (%s)", q,
			         (long long)r.first_bad_seq, r.why);
		sql(f, "ROLLBACK TO edit");
		sql(f, "RELEASE edit");
		assert_int_equal(verify(f).first_bad_seq, 0);
	}
}

/* Moving text from one field to the next keeps the concatenation but not the hash. */
static void test_shifted_text_detected(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct audit_entry e = {.user = "ab", .role = "c", .action = "x", .subject = "s", .at = 1};
	assert_int_equal(audit_append(f->c, &e, NULL, &err), 0);
	sql(f, "UPDATE audit SET user='a', role='bc' WHERE seq=1");
	expect_broken_at(f, 1, "hash");
}

static void test_deleted_row_detected(void **state)
{
	struct fx *f = *state;
	fill(f);
	sql(f, "DELETE FROM audit WHERE seq=6");
	expect_broken_at(f, 6, "missing");
	struct audit_verify_result r = verify(f);
	assert_int_equal(r.rows, 6); /* 1..5 whole, then 7 shows the gap */
}

static void test_deleted_first_row_detected(void **state)
{
	struct fx *f = *state;
	fill(f);
	sql(f, "DELETE FROM audit WHERE seq=1");
	expect_broken_at(f, 1, "missing");
}

/* Deleting a row and renumbering the rest to close the gap still breaks. */
static void test_renumbered_rows_detected(void **state)
{
	struct fx *f = *state;
	fill(f);
	sql(f, "DELETE FROM audit WHERE seq=6");
	sql(f, "UPDATE audit SET seq=seq-1 WHERE seq>6");
	expect_broken_at(f, 6, NULL);
}

static void test_swapped_rows_detected(void **state)
{
	struct fx *f = *state;
	fill(f);
	/* Swap the content of rows 3 and 8, hashes left where they were. */
	sql(f, "CREATE TEMP TABLE orig AS SELECT * FROM audit WHERE seq IN (3, 8)");
	sql(f, "UPDATE audit SET (at, user, role, action, subject, before, after, reason) ="
	       " (SELECT at, user, role, action, subject, before, after, reason FROM orig"
	       "  WHERE orig.seq = 11 - audit.seq) WHERE seq IN (3, 8)");
	sql(f, "DROP TABLE orig");
	expect_broken_at(f, 3, "hash");
}

/* Swapping whole rows, hashes included, as if they were appended in another order. */
static void test_reordered_rows_detected(void **state)
{
	struct fx *f = *state;
	fill(f);
	sql(f, "UPDATE audit SET seq=-3 WHERE seq=3");
	sql(f, "UPDATE audit SET seq=3 WHERE seq=8");
	sql(f, "UPDATE audit SET seq=8 WHERE seq=-3");
	expect_broken_at(f, 3, "prev_hash");
}

static void test_prev_hash_change_detected(void **state)
{
	struct fx *f = *state;
	fill(f);
	sql(f, "UPDATE audit SET prev_hash=upper(prev_hash) WHERE seq=4");
	expect_broken_at(f, 4, "prev_hash");
	sql(f, "UPDATE audit SET prev_hash=lower(prev_hash) WHERE seq=4");
	assert_int_equal(verify(f).first_bad_seq, 0);
	sql(f, "UPDATE audit SET prev_hash=(SELECT hash FROM audit WHERE seq=1) WHERE seq=1");
	expect_broken_at(f, 1, "zero hash");
}

/* An edit that also recomputes its own hash is caught by the next row's link,
 * and re-linking that row breaks its own hash: a forger must rewrite every
 * later row. */
static void test_rehashed_edit_detected_by_next(void **state)
{
	struct fx *f = *state;
	fill(f);
	sqlite3_stmt *st;
	assert_int_equal(
	        sqlite3_prepare_v2(cache_db(f->c),
	                           "SELECT at, role, action, subject, before, after, reason,"
	                           " prev_hash FROM audit WHERE seq=5",
	                           -1, &st, NULL),
	        SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	const char *col[8];
	for (int i = 1; i < 8; i++)
		col[i] = (const char *)sqlite3_column_text(st, i);
	char forged[65];
	row_hash_hex(col[7], 5, sqlite3_column_int64(st, 0),
	             (const char *[]){"mallory", col[1], col[2], col[3], col[4], col[5], col[6]},
	             forged);
	sqlite3_finalize(st);

	char q[256];
	snprintf(q, sizeof(q), "UPDATE audit SET user='mallory', hash='%s' WHERE seq=5", forged);
	sql(f, q);
	expect_broken_at(f, 6, "prev_hash");
	snprintf(q, sizeof(q), "UPDATE audit SET prev_hash='%s' WHERE seq=6", forged);
	sql(f, q);
	expect_broken_at(f, 6, "hash");
}

static void test_null_differs_from_empty(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct audit_entry e = {.user = "alice",
	                        .role = "dispatcher",
	                        .action = "ack",
	                        .subject = "exception:E-1",
	                        .reason = NULL,
	                        .at = 5};
	assert_int_equal(audit_append(f->c, &e, NULL, &err), 0);
	e.reason = "";
	assert_int_equal(audit_append(f->c, &e, NULL, &err), 0);
	assert_int_equal(verify(f).first_bad_seq, 0);

	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(cache_db(f->c),
	                                    "SELECT reason IS NULL, hash FROM audit ORDER BY seq",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0);
	sqlite3_finalize(st);

	sql(f, "UPDATE audit SET reason='' WHERE seq=1");
	expect_broken_at(f, 1, "hash");
	sql(f, "UPDATE audit SET reason=NULL WHERE seq=1");
	assert_int_equal(verify(f).first_bad_seq, 0);
	sql(f, "UPDATE audit SET reason=NULL WHERE seq=2");
	expect_broken_at(f, 2, "hash");
}

static void test_rollback_leaves_no_row(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct audit_entry e = {.user = "alice",
	                        .role = "dispatcher",
	                        .action = "release_load",
	                        .subject = "load:L-1",
	                        .at = 10};
	assert_int_equal(cache_begin(f->c, &err), 0);
	int64_t seq = 0;
	assert_int_equal(audit_append(f->c, &e, &seq, &err), 0);
	assert_int_equal(seq, 1);
	cache_rollback(f->c);
	assert_int_equal(verify(f).rows, 0);
	/* The next append starts the chain afresh. */
	assert_int_equal(audit_append(f->c, &e, &seq, &err), 0);
	assert_int_equal(seq, 1);
	struct audit_verify_result r = verify(f);
	assert_int_equal(r.rows, 1);
	assert_int_equal(r.first_bad_seq, 0);
}

static void test_rejects_bad_entries(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct audit_entry e = {.user = "alice",
	                        .role = "dispatcher",
	                        .action = "release_load",
	                        .subject = "load:L-1",
	                        .at = 10};
	struct audit_entry bad = e;
	bad.user = NULL;
	assert_int_equal(audit_append(f->c, &bad, NULL, &err), WB_EINVALID);
	bad = e;
	bad.before = "{not json";
	assert_int_equal(audit_append(f->c, &bad, NULL, &err), WB_EINVALID);
	assert_non_null(strstr(err.msg, "before"));
	bad = e;
	bad.reason = "\xff\xfe broken";
	assert_int_equal(audit_append(f->c, &bad, NULL, &err), WB_EINVALID);
	assert_int_equal(verify(f).rows, 0);
}

/* Reads the export of rows with at >= since and checks each line. Returns the
 * number of lines. */
static int export_and_check(struct fx *f, int64_t since, int64_t first_seq)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/export.jsonl", f->dir);
	FILE *out = fopen(path, "w");
	assert_non_null(out);
	struct wb_err err = {0};
	if (audit_export(f->c, since, out, &err) != 0)
		fail_msg("audit_export: %s", err.msg);
	assert_int_equal(fclose(out), 0);

	FILE *in = fopen(path, "r");
	assert_non_null(in);
	char line[4096];
	int n = 0;
	char prev_hash[65] = "";
	while (fgets(line, sizeof(line), in)) {
		assert_non_null(strchr(line, '\n'));
		json_error_t jerr;
		json_t *o = json_loads(line, 0, &jerr);
		if (!o)
			fail_msg("line %d is not JSON: %s", n + 1, jerr.text);
		json_int_t seq = 0, at = 0;
		const char *user, *role, *action, *subject, *hash, *ph;
		json_t *before, *after, *reason, *display, *key_id;
		if (json_unpack_ex(
		            o, &jerr, JSON_STRICT,
		            "{s:I, s:I, s:s, s:o, s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:o}",
		            "seq", &seq, "at", &at, "user", &user, "display_name", &display, "role",
		            &role, "action", &action, "subject", &subject, "before", &before,
		            "after", &after, "reason", &reason, "prev_hash", &ph, "hash", &hash,
		            "key_id", &key_id) != 0)
			fail_msg("line %d: %s", n + 1, jerr.text);
		assert_int_equal(seq, first_seq + n);
		assert_true(at >= since);
		assert_int_equal(at, 1700000000 + seq * 60);
		assert_string_equal(action, "release_load");
		assert_true(json_is_string(after));
		assert_true(json_is_null(before) == (seq % 4 == 0));
		assert_true(json_is_null(reason) == (seq % 5 != 0));
		assert_int_equal(strlen(hash), 64);
		assert_true(json_is_null(key_id)); /* written without a key: plain rows */
		if (n > 0)
			assert_string_equal(ph, prev_hash);
		snprintf(prev_hash, sizeof(prev_hash), "%s", hash);
		json_decref(o);
		n++;
	}
	fclose(in);
	return n;
}

static void test_export(void **state)
{
	struct fx *f = *state;
	assert_int_equal(export_and_check(f, 0, 1), 0);
	fill(f);
	assert_int_equal(export_and_check(f, 0, 1), N_ROWS);
	/* --since is inclusive: row 9 is at exactly 1700000000 + 540. */
	assert_int_equal(export_and_check(f, 1700000000 + 9 * 60, 9), N_ROWS - 8);
	assert_int_equal(export_and_check(f, INT64_C(1) << 40, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_chain_verifies, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_hash_encoding_documented, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_edit_detected, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_edit_each_field_detected, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_shifted_text_detected, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_deleted_row_detected, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_deleted_first_row_detected, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_renumbered_rows_detected, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_swapped_rows_detected, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reordered_rows_detected, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_prev_hash_change_detected, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_rehashed_edit_detected_by_next, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_null_differs_from_empty, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_rollback_leaves_no_row, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_rejects_bad_entries, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_export, setup, teardown),
	};
	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
