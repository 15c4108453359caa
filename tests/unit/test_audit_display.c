/* The display name in the audit trail (schema version 3): recorded beside the
 * source's identity for a person's action (the connection's, or the action's
 * own), the system's own name for a system action, exported, and hashed into
 * the chain for rows written since, while rows written before the migration
 * (none) verify as they always did: one chain verifies across the upgrade, and
 * adding a name to an old row or removing one from a new row breaks it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "testutil.h"
#include "cache/cache.h"
#include "views/view.h"

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

/* The text of one SQL value (NULL: "(null)"). */
static void sql_text(struct fx *f, const char *q, char *out, size_t len)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(cache_db(f->c), q, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	const unsigned char *t = sqlite3_column_text(st, 0);
	snprintf(out, len, "%s", t ? (const char *)t : "(null)");
	sqlite3_finalize(st);
}

static struct audit_verify_result verify(struct fx *f)
{
	struct audit_verify_result r;
	struct wb_err err = {0};
	if (audit_verify(f->c, &r, &err) != 0)
		fail_msg("audit_verify: %s", err.msg);
	return r;
}

/* --- the documented encoding, recomputed here ----------------------------- */

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

/* SHA-256(prev || seq || at || seven text fields [|| display_name]) as hex:
 * display NULL is the encoding before schema version 3. */
static void row_hash_hex(const char *prev, int64_t seq, int64_t at, const char *const fields[7],
                         const char *display, char out[65])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	EVP_DigestUpdate(ctx, prev, strlen(prev));
	put64(ctx, seq);
	put64(ctx, at);
	for (int i = 0; i < 7; i++)
		put_text(ctx, fields[i]);
	if (display)
		put_text(ctx, display);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	assert_int_equal(EVP_DigestFinal_ex(ctx, md, &len), 1);
	EVP_MD_CTX_free(ctx);
	assert_int_equal(len, 32);
	for (unsigned int i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* --- tests ------------------------------------------------------------------ */

static void test_display_name_recorded(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	char key[40], v[256];
	cache_set_display_name(f->c, "Ana Ruiz");
	struct cache_action a = {.source = "tms",
	                         .action = "release_load",
	                         .subject = "load:L-1",
	                         .user = "ana.r",
	                         .role = "dispatcher",
	                         .at = 1718020800};
	assert_int_equal(cache_action_record(f->c, &a, key, NULL, &err), 0);
	sql_text(f, "SELECT user||' / '||display_name FROM audit WHERE seq=1", v, sizeof(v));
	assert_string_equal(v, "ana.r / Ana Ruiz");

	/* The action's own name wins over the connection's. */
	a.subject = "load:L-2";
	a.display_name = "A. Ruiz (night shift)";
	assert_int_equal(cache_action_record(f->c, &a, key, NULL, &err), 0);
	sql_text(f, "SELECT display_name FROM audit WHERE seq=2", v, sizeof(v));
	assert_string_equal(v, "A. Ruiz (night shift)");

	/* A system action's name is the system's own, whoever sits at the console. */
	struct audit_entry sys = {.user = "waybill",
	                          .role = "system",
	                          .action = "raise_exception",
	                          .subject = "exception:X-1",
	                          .at = 1718020860};
	assert_int_equal(audit_append(f->c, &sys, NULL, &err), 0);
	sql_text(f, "SELECT display_name FROM audit WHERE seq=3", v, sizeof(v));
	assert_string_equal(v, "waybill");

	/* Without a name anywhere, none is recorded. */
	cache_set_display_name(f->c, NULL);
	a.subject = "load:L-3";
	a.display_name = NULL;
	assert_int_equal(cache_action_record(f->c, &a, key, NULL, &err), 0);
	sql_text(f, "SELECT display_name FROM audit WHERE seq=4", v, sizeof(v));
	assert_string_equal(v, "(null)");

	/* The Audit board's query carries it. */
	struct cache_window_req req = {.limit = 10, .sort = "seq"};
	struct cache_window w;
	assert_int_equal(cache_window(f->c, view_audit_ops.board, &req, &w, &err), 0);
	int col = -1;
	for (int i = 0; view_audit_ops.board->cols[i]; i++)
		if (!strcmp(view_audit_ops.board->cols[i], "display_name"))
			col = i;
	assert_true(col >= 0);
	assert_int_equal(w.nrows, 4);
	assert_int_equal(w.cells[col].t, CV_TEXT);
	assert_string_equal(w.cells[col].s, "Ana Ruiz");
	cache_window_free(&w);

	/* The export carries it beside user; null where none was recorded. */
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/export.jsonl", f->dir);
	FILE *out = fopen(path, "w");
	assert_non_null(out);
	assert_int_equal(audit_export(f->c, 0, out, &err), 0);
	fclose(out);
	FILE *in = fopen(path, "r");
	assert_non_null(in);
	char line[4096];
	const char *want[] = {"Ana Ruiz", "A. Ruiz (night shift)", "waybill", NULL};
	for (int n = 0; n < 4; n++) {
		assert_non_null(fgets(line, sizeof(line), in));
		json_t *o = json_loads(line, 0, NULL);
		assert_non_null(o);
		json_t *d = json_object_get(o, "display_name");
		assert_non_null(d);
		if (want[n])
			assert_string_equal(json_string_value(d), want[n]);
		else
			assert_true(json_is_null(d));
		json_decref(o);
	}
	fclose(in);

	struct audit_verify_result r = verify(f);
	assert_int_equal(r.rows, 4);
	assert_int_equal(r.first_bad_seq, 0);
}

/* A cache of schema version 2 (no display_name column) holding rows hashed the
 * old way is migrated at open; rows appended since carry a name in their hash,
 * and `audit verify` passes over both. */
static void test_chain_across_migration(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	assert_int_equal(cache_schema_version(f->c), cache_schema_latest());
	sql(f, TEST_UNDO_TO_V2_SQL "PRAGMA user_version=2");
	char prev[65], hash[65];
	memset(prev, '0', 64);
	prev[64] = '\0';
	for (int seq = 1; seq <= 3; seq++) {
		char subject[32], q[1024];
		snprintf(subject, sizeof(subject), "load:L-%d", seq);
		const char *fields[7] = {
		        "ana.r",     "dispatcher", "release_load",          subject,
		        "{\"a\":1}", NULL,         seq == 2 ? "late" : NULL};
		row_hash_hex(prev, seq, 1700000000 + seq, fields, NULL, hash);
		snprintf(q, sizeof(q),
		         "INSERT INTO audit(seq, at, user, role, action, subject, before, after,"
		         " reason, prev_hash, hash) VALUES(%d, %d, 'ana.r', 'dispatcher',"
		         " 'release_load', '%s', '{\"a\":1}', NULL, %s, '%s', '%s')",
		         seq, 1700000000 + seq, subject, seq == 2 ? "'late'" : "NULL", prev, hash);
		sql(f, q);
		memcpy(prev, hash, sizeof(prev));
	}
	cache_close(f->c);
	f->c = cache_open(f->path, NULL, &err);
	if (!f->c)
		fail_msg("reopening (migrating) %s: %s", f->path, err.msg);
	assert_int_equal(cache_schema_version(f->c), cache_schema_latest());
	struct audit_verify_result r = verify(f);
	assert_int_equal(r.rows, 3);
	assert_int_equal(r.first_bad_seq, 0);

	cache_set_display_name(f->c, "Ana Ruiz");
	for (int i = 4; i <= 5; i++) {
		struct audit_entry e = {.user = "ana.r",
		                        .role = "dispatcher",
		                        .action = "place_hold",
		                        .subject = "vehicle:V-7",
		                        .after = "{\"hold\":true}",
		                        .at = 1700000100 + i};
		assert_int_equal(audit_append(f->c, &e, NULL, &err), 0);
	}
	/* Row 4's hash follows the documented encoding, display_name last. */
	char got[128];
	sql_text(f, "SELECT hash FROM audit WHERE seq=4", got, sizeof(got));
	row_hash_hex(prev, 4, 1700000104,
	             (const char *[]){"ana.r", "dispatcher", "place_hold", "vehicle:V-7", NULL,
	                              "{\"hold\":true}", NULL},
	             "Ana Ruiz", hash);
	assert_string_equal(got, hash);
	r = verify(f);
	assert_int_equal(r.rows, 5);
	assert_int_equal(r.first_bad_seq, 0);

	/* A name given to an old row, or taken from a new one, breaks the chain. */
	sql(f, "UPDATE audit SET display_name='Mallory' WHERE seq=2");
	r = verify(f);
	assert_int_equal(r.first_bad_seq, 2);
	sql(f, "UPDATE audit SET display_name=NULL WHERE seq=2");
	assert_int_equal(verify(f).first_bad_seq, 0);
	sql(f, "UPDATE audit SET display_name=NULL WHERE seq=5");
	r = verify(f);
	assert_int_equal(r.first_bad_seq, 5);
	assert_non_null(strstr(r.why, "content does not match"));
	sql(f, "UPDATE audit SET display_name='Mallory' WHERE seq=5");
	assert_int_equal(verify(f).first_bad_seq, 5);
	sql(f, "UPDATE audit SET display_name='Ana Ruiz' WHERE seq=5");
	assert_int_equal(verify(f).first_bad_seq, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_display_name_recorded, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_chain_across_migration, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
