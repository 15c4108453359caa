/* The keyed audit chain and its anchors against real files: an attacker who
 * can write the cache but has no key edits a row and rehashes the chain as
 * plain SHA-256 (what anyone could do before the key), cuts off the newest
 * rows, or downgrades every row to plain; verify with the key, or against an
 * anchor, names the row. Also: a plain chain continues keyed from a marked
 * point; without the key verify says what it could not check; the key file is
 * made 0600 on first use and refused when others may read it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "testutil.h"
#include "app/audit_anchor.h"
#include "cache/cache.h"
#include "settings/audit.h"
#include "settings/settings.h"

#define N_ROWS 12

static const unsigned char key_a[32] = "0123456789abcdef0123456789abcde";
static const unsigned char key_b[32] = "another key, 32 bytes long.....";

struct fx {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	char anchors[PATH_MAX + 16];
	struct cache *c;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->c = test_cache_new(f->dir, sizeof(f->dir), f->path, sizeof(f->path));
	snprintf(f->anchors, sizeof(f->anchors), "%s/anchors.jsonl", f->dir);
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

static void set_key(struct fx *f, const unsigned char *key)
{
	struct wb_err err = {0};
	if (cache_audit_key(f->c, key, key ? 32 : 0, &err) != 0)
		fail_msg("cache_audit_key: %s", err.msg);
}

static void append(struct fx *f, int i)
{
	char subject[32];
	snprintf(subject, sizeof(subject), "load:L-%d", 1000 + i);
	struct audit_entry e = {.user = i % 2 ? "alice" : "bob",
	                        .role = "dispatcher",
	                        .action = "release_load",
	                        .subject = subject,
	                        .after = "{\"status\":\"released\"}",
	                        .reason = i % 3 ? NULL : "customer called",
	                        .at = 1700000000 + i * 60};
	struct wb_err err = {0};
	int64_t seq = 0;
	if (audit_append(f->c, &e, &seq, &err) != 0)
		fail_msg("audit_append %d: %s", i, err.msg);
	assert_int_equal(seq, i);
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

static void expect_broken_at(struct audit_verify_result r, int64_t seq, const char *why_part)
{
	if (r.first_bad_seq != seq)
		fail_msg("expected the chain broken at %lld, verify says %lld (%s)", (long long)seq,
		         (long long)r.first_bad_seq, r.why);
	if (why_part && !strstr(r.why, why_part))
		fail_msg("expected why to mention \"%s\", got \"%s\"", why_part, r.why);
}

/* --- the attacker: the documented plain encoding, with no key ------------- */

static void put(EVP_MD_CTX *ctx, const void *p, size_t n)
{
	assert_int_equal(EVP_DigestUpdate(ctx, p, n), 1);
}

static void put64(EVP_MD_CTX *ctx, uint64_t v)
{
	unsigned char b[8];
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (unsigned char)(v & 0xff);
	put(ctx, b, 8);
}

/* Recomputes prev_hash and hash of every row from `from` on as plain SHA-256
 * over the documented encoding (cache/audit.c), as anyone who can write the
 * cache could; with downgrade also clears key_id, else leaves it. */
static void rehash_plain(struct fx *f, int64_t from, bool downgrade)
{
	sqlite3 *db = cache_db(f->c);
	sqlite3_stmt *st, *up;
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT seq, at, user, role, action, subject, before,"
	                                    " after, reason, display_name, hash FROM audit"
	                                    " ORDER BY seq",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    downgrade ? "UPDATE audit SET prev_hash=?, hash=?,"
	                                                " key_id=NULL WHERE seq=?"
	                                              : "UPDATE audit SET prev_hash=?, hash=?"
	                                                " WHERE seq=?",
	                                    -1, &up, NULL),
	                 SQLITE_OK);
	char prev[65];
	memset(prev, '0', 64);
	prev[64] = '\0';
	sql(f, "SAVEPOINT rehash");
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		if (seq < from) {
			snprintf(prev, sizeof(prev), "%s",
			         (const char *)sqlite3_column_text(st, 10));
			continue;
		}
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		assert_non_null(ctx);
		assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
		put(ctx, prev, 64);
		put64(ctx, (uint64_t)seq);
		put64(ctx, (uint64_t)sqlite3_column_int64(st, 1));
		for (int col = 2; col <= 9; col++) {
			const char *v = (const char *)sqlite3_column_text(st, col);
			if (col == 9 && !v)
				break; /* display_name: nothing at all when NULL */
			unsigned char tag = v ? 1 : 0;
			put(ctx, &tag, 1);
			if (v) {
				put64(ctx, (uint64_t)strlen(v));
				put(ctx, v, strlen(v));
			}
		}
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int len = 0;
		assert_int_equal(EVP_DigestFinal_ex(ctx, md, &len), 1);
		EVP_MD_CTX_free(ctx);
		char hex[65];
		for (unsigned int i = 0; i < len; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		sqlite3_bind_text(up, 1, prev, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(up, 2, hex, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(up, 3, seq);
		assert_int_equal(sqlite3_step(up), SQLITE_DONE);
		sqlite3_reset(up);
		memcpy(prev, hex, sizeof(prev));
	}
	sql(f, "RELEASE rehash");
	sqlite3_finalize(st);
	sqlite3_finalize(up);
}

/* --- the keyed chain -------------------------------------------------------- */

/* Today's attack on a keyed chain: edit row 5 and rehash every row from it as
 * plain SHA-256. A plain chain verifies after it (the attack works there);
 * under the key the edited row is named, whether the attacker keeps the rows'
 * key_id (its MAC does not match) or clears it (a plain row after keyed ones). */
static void test_rehashed_rewrite_named_under_the_key(void **state)
{
	struct fx *f = *state;
	set_key(f, key_a);
	for (int i = 1; i <= N_ROWS; i++)
		append(f, i);
	struct audit_verify_result r = verify(f);
	assert_int_equal(r.first_bad_seq, 0);
	assert_int_equal(r.keyed_rows, N_ROWS);
	assert_int_equal(r.plain_rows, 0);
	assert_string_equal(r.key_id, cache_audit_key_id(f->c));

	sql(f, "SAVEPOINT a");
	sql(f, "UPDATE audit SET user='mallory', reason='never happened' WHERE seq=5");
	rehash_plain(f, 5, false);
	expect_broken_at(verify(f), 5, "MAC under the key");
	sql(f, "ROLLBACK TO a");
	sql(f, "RELEASE a");

	sql(f, "UPDATE audit SET user='mallory' WHERE seq=5");
	rehash_plain(f, 5, true);
	expect_broken_at(verify(f), 5, "unkeyed row after keyed rows");
}

/* Every row rewritten and rehashed (key_id kept): row 1 is no MAC any more. */
static void test_whole_rewrite_named_under_the_key(void **state)
{
	struct fx *f = *state;
	set_key(f, key_a);
	for (int i = 1; i <= N_ROWS; i++)
		append(f, i);
	sql(f, "UPDATE audit SET reason='rewritten'");
	rehash_plain(f, 1, false);
	expect_broken_at(verify(f), 1, "MAC under the key");
}

/* The same rewrite on a chain that was never keyed verifies: what the key adds. */
static void test_plain_chain_rehash_goes_unseen(void **state)
{
	struct fx *f = *state;
	for (int i = 1; i <= N_ROWS; i++)
		append(f, i);
	sql(f, "UPDATE audit SET user='mallory' WHERE seq=5");
	rehash_plain(f, 5, false);
	assert_int_equal(verify(f).first_bad_seq, 0);
}

/* A cache from before the key: its rows stay plain SHA-256 up to the marked
 * point and the chain continues keyed; a rewrite of a plain row is still
 * caught by its hash; a writer without the key, or with another, is refused. */
static void test_plain_rows_then_keyed(void **state)
{
	struct fx *f = *state;
	for (int i = 1; i <= 4; i++)
		append(f, i);
	set_key(f, key_a);
	for (int i = 5; i <= N_ROWS; i++)
		append(f, i);
	struct audit_verify_result r = verify(f);
	assert_int_equal(r.first_bad_seq, 0);
	assert_int_equal(r.plain_rows, 4);
	assert_int_equal(r.last_plain_seq, 4);
	assert_int_equal(r.keyed_rows, N_ROWS - 4);
	assert_int_equal(test_count(f->c, "SELECT count(*) FROM audit WHERE key_id IS NULL"), 4);

	struct wb_err err = {0};
	struct audit_entry e = {
	        .user = "eve", .role = "dispatcher", .action = "x", .subject = "s", .at = 1};
	set_key(f, NULL);
	assert_int_equal(audit_append(f->c, &e, NULL, &err), WB_EDENIED);
	assert_non_null(strstr(err.msg, "keyed"));
	set_key(f, key_b);
	assert_int_equal(audit_append(f->c, &e, NULL, &err), WB_EDENIED);
	assert_int_equal(test_count(f->c, "SELECT count(*) FROM audit"), N_ROWS);

	/* Verifying with another key is no pass either. */
	expect_broken_at(verify(f), 5, "not with the key given");
	set_key(f, key_a);
	sql(f, "UPDATE audit SET subject='load:L-0' WHERE seq=2");
	expect_broken_at(verify(f), 2, "does not match its hash");
}

/* Without the key verify checks the plain rows and every link, and says how
 * many MACs it could not check; an edit of a keyed row passes unseen there. */
static void test_without_the_key_says_what_it_checked(void **state)
{
	struct fx *f = *state;
	for (int i = 1; i <= 3; i++)
		append(f, i);
	set_key(f, key_a);
	for (int i = 4; i <= N_ROWS; i++)
		append(f, i);
	set_key(f, NULL);
	struct audit_verify_result r = verify(f);
	assert_int_equal(r.first_bad_seq, 0);
	assert_int_equal(r.rows, N_ROWS);
	assert_int_equal(r.plain_rows, 3);
	assert_int_equal(r.unchecked, N_ROWS - 3);
	assert_true(strlen(r.key_id) == AUDIT_KEY_ID_LEN);

	sql(f, "UPDATE audit SET reason='edited' WHERE seq=8");
	assert_int_equal(verify(f).first_bad_seq, 0); /* only the key sees this */
	set_key(f, key_a);
	expect_broken_at(verify(f), 8, "MAC under the key");
	set_key(f, NULL);
	sql(f, "UPDATE audit SET reason='edited' WHERE seq=2");
	expect_broken_at(verify(f), 2, "does not match its hash");
}

/* --- anchors ------------------------------------------------------------------ */

static struct app_anchor_check check_anchors(struct fx *f)
{
	struct app_anchor_check r;
	struct wb_err err = {0};
	if (app_audit_check_anchors(f->c, f->anchors, &r, &err) != 0)
		fail_msg("app_audit_check_anchors: %s", err.msg);
	return r;
}

static void anchor(struct fx *f, bool only_if_moved, bool expect_written)
{
	struct wb_err err = {0};
	bool written = false;
	if (app_audit_anchor(f->c, f->anchors, 1800000000, only_if_moved, NULL, &written, &err) !=
	    0)
		fail_msg("app_audit_anchor: %s", err.msg);
	assert_int_equal(written, expect_written);
}

/* The newest rows deleted: the chain alone still verifies, the anchor names
 * the first missing row. */
static void test_truncation_caught_by_anchor(void **state)
{
	struct fx *f = *state;
	set_key(f, key_a);
	for (int i = 1; i <= N_ROWS; i++)
		append(f, i);
	anchor(f, false, true);
	struct stat st;
	assert_int_equal(stat(f->anchors, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	struct app_anchor_check a = check_anchors(f);
	assert_int_equal(a.lines, 1);
	assert_int_equal(a.newest_seq, N_ROWS);
	assert_int_equal(a.first_bad_seq, 0);

	sql(f, "DELETE FROM audit WHERE seq > 9");
	assert_int_equal(verify(f).first_bad_seq, 0); /* invisible to the chain */
	a = check_anchors(f);
	assert_int_equal(a.first_bad_seq, 10);
	assert_int_equal(a.bad_line, 1);
	assert_non_null(strstr(a.why, "cut off"));

	/* Down to nothing: the anchor is still this cache's, by its path. */
	sql(f, "DELETE FROM audit");
	a = check_anchors(f);
	assert_int_equal(a.lines, 1);
	assert_int_equal(a.first_bad_seq, 1);

	/* A new cache in its place (another chain id): found by path, and said so. */
	sql(f, "UPDATE audit_chain SET id='00000000000000000000000000000000'");
	a = check_anchors(f);
	assert_int_equal(a.first_bad_seq, 1);
	if (!strstr(a.why, "not the anchored cache"))
		fail_msg("why: %s", a.why);
}

/* Every row downgraded to plain and rehashed: a chain that verifies, even
 * with the key (it reads as one written before the key), but the anchor of
 * the keyed head no longer matches. */
static void test_downgrade_caught_by_anchor(void **state)
{
	struct fx *f = *state;
	set_key(f, key_a);
	for (int i = 1; i <= N_ROWS; i++)
		append(f, i);
	anchor(f, false, true);
	sql(f, "UPDATE audit SET user='mallory' WHERE seq=3");
	rehash_plain(f, 1, true);
	struct audit_verify_result r = verify(f);
	assert_int_equal(r.first_bad_seq, 0);
	assert_int_equal(r.keyed_rows, 0);
	struct app_anchor_check a = check_anchors(f);
	assert_int_equal(a.first_bad_seq, N_ROWS);
	assert_non_null(strstr(a.why, "rewritten"));
}

/* Automatic anchors: a line only when the head moved; other caches' lines
 * are skipped; a line that is not an anchor is an error, not a pass. */
static void test_anchor_file(void **state)
{
	struct fx *f = *state;
	anchor(f, true, false); /* an empty trail is never anchored */
	append(f, 1);
	anchor(f, true, true);
	anchor(f, true, false);
	append(f, 2);
	anchor(f, true, true);
	assert_int_equal(check_anchors(f).lines, 2);

	FILE *out = fopen(f->anchors, "a");
	assert_non_null(out);
	fprintf(out, "{\"seq\":99,\"hash\":\"%064d\",\"cache\":\"/elsewhere/c.db\"}\n", 0);
	fclose(out);
	struct app_anchor_check a = check_anchors(f);
	assert_int_equal(a.lines, 2);
	assert_int_equal(a.other, 1);
	assert_int_equal(a.first_bad_seq, 0);

	out = fopen(f->anchors, "a");
	assert_non_null(out);
	fputs("{\"seq\":\"two\"}\n", out);
	fclose(out);
	struct app_anchor_check r;
	struct wb_err err = {0};
	assert_int_equal(app_audit_check_anchors(f->c, f->anchors, &r, &err), WB_ECORRUPT);
	assert_non_null(strstr(err.msg, "line 4"));
}

/* Two caches with the same rows (a deterministic sync) share an anchor file:
 * each checks only its own lines, told apart by the cache's chain id; a copy
 * of a cache keeps its id, so its original's anchors still apply to it. */
static void test_anchor_lines_per_cache(void **state)
{
	struct fx *f = *state;
	char dir2[PATH_MAX], path2[PATH_MAX + 16];
	struct cache *first = f->c;
	for (int i = 1; i <= 4; i++)
		append(f, i);
	anchor(f, false, true);
	f->c = test_cache_new(dir2, sizeof(dir2), path2, sizeof(path2));
	for (int i = 1; i <= 2; i++)
		append(f, i);
	struct app_anchor_check a = check_anchors(f);
	assert_int_equal(a.lines, 0);
	assert_int_equal(a.other, 1);
	assert_int_equal(a.first_bad_seq, 0);
	cache_close(f->c);
	test_rmdir(dir2);

	/* A copy (cp c.db elsewhere.db) cut short: found by its chain id. */
	f->c = first;
	char copy[PATH_MAX + 64];
	snprintf(copy, sizeof(copy), "%s/copy.db", f->dir);
	sql(f, "PRAGMA wal_checkpoint(TRUNCATE)");
	char cmd[2 * PATH_MAX + 128];
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", f->path, copy);
	assert_int_equal(system(cmd), 0);
	struct wb_err err = {0};
	f->c = cache_open(copy, NULL, &err);
	assert_non_null(f->c);
	sql(f, "DELETE FROM audit WHERE seq=4");
	a = check_anchors(f);
	assert_int_equal(a.lines, 1);
	assert_int_equal(a.first_bad_seq, 4);
	cache_close(f->c);
	f->c = first;
}

/* --- the key file ------------------------------------------------------------- */

static void test_key_file(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/audit.key", f->dir);
	unsigned char k1[SETTINGS_AUDIT_KEY_LEN], k2[SETTINGS_AUDIT_KEY_LEN];
	struct wb_err err = {0};
	int found = -1;

	/* Reading never makes one. */
	assert_int_equal(settings_audit_key_load(path, false, k1, &found, &err), 0);
	assert_int_equal(found, 0);
	assert_int_equal(access(path, F_OK), -1);

	/* Made on first use: 0600, 64 hex digits, the same key read back. */
	assert_int_equal(settings_audit_key_load(path, true, k1, &found, &err), 0);
	assert_int_equal(found, 1);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 65);
	assert_int_equal(settings_audit_key_load(path, true, k2, &found, &err), 0);
	assert_memory_equal(k1, k2, sizeof(k1));

	/* Readable by group or others: refused, with what to do. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(settings_audit_key_load(path, false, k2, &found, &err), WB_EDENIED);
	assert_non_null(strstr(err.msg, "chmod 600"));
	assert_int_equal(found, 0);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(settings_audit_key_load(path, true, k2, &found, &err), WB_EDENIED);

	/* Not a key: refused, never replaced. */
	assert_int_equal(chmod(path, 0600), 0);
	FILE *out = fopen(path, "w");
	assert_non_null(out);
	fputs("not a key\n", out);
	fclose(out);
	assert_int_equal(settings_audit_key_load(path, true, k2, &found, &err), WB_EINVALID);
	assert_non_null(strstr(err.msg, "not an audit key"));

	/* A FIFO in its place: refused at once, no hang. */
	char fifo[PATH_MAX + 32];
	snprintf(fifo, sizeof(fifo), "%s/fifo.key", f->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(settings_audit_key_load(fifo, false, k2, &found, &err), WB_EINVALID);
}

/* Loads {"audit": AUDIT, "sources": ...} from dir/config.json. */
static int load_audit(const char *dir, const char *audit, struct settings **out, struct wb_err *err)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/config.json", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	char text[4096];
	int n = snprintf(text, sizeof(text), "{\"audit\": %s, %s", audit, config_example + 1);
	assert_int_equal(write(fd, text, (size_t)n), n);
	close(fd);
	return settings_load(path, out, err);
}

/* The config's audit object: paths relative to the config, auto_anchor, and
 * every mistake refused with its JSON path; without it, the config directory. */
static void test_config_audit_object(void **state)
{
	struct fx *f = *state;
	struct settings *s = NULL;
	struct wb_err err = {0};
	assert_int_equal(load_audit(f->dir,
	                            "{\"key_file\": \"keys/a.key\", \"anchor_file\": "
	                            "\"/var/tmp/anchors.jsonl\", \"auto_anchor\": false}",
	                            &s, &err),
	                 0);
	char key[PATH_MAX], anchors[PATH_MAX], want[PATH_MAX + 32];
	assert_int_equal(
	        settings_audit_paths(s, false, key, sizeof(key), anchors, sizeof(anchors), &err),
	        0);
	snprintf(want, sizeof(want), "%s/keys/a.key", f->dir);
	assert_string_equal(key, want);
	assert_string_equal(anchors, "/var/tmp/anchors.jsonl");
	assert_false(s->audit_auto_anchor);
	settings_free(s);

	assert_int_equal(load_audit(f->dir, "{}", &s, &err), 0);
	assert_true(s->audit_auto_anchor);
	assert_int_equal(
	        settings_audit_paths(s, false, key, sizeof(key), anchors, sizeof(anchors), &err),
	        0);
	snprintf(want, sizeof(want), "%s/waybill/audit.key", getenv("XDG_CONFIG_HOME"));
	if (getenv("XDG_CONFIG_HOME"))
		assert_string_equal(key, want);
	settings_free(s);

	const char *bad[][2] = {
	        {"{\"key\": \"x\"}", "audit.key: unknown key"},
	        {"{\"key_file\": 7}", "audit.key_file: expected a file name"},
	        {"{\"key_file\": \"\"}", "audit.key_file: expected a file name"},
	        {"{\"auto_anchor\": \"yes\"}", "audit.auto_anchor: expected true or false"},
	        {"[]", "audit: expected an object"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load_audit(f->dir, bad[i][0], &s, &err), WB_EINVALID);
		if (!strstr(err.msg, bad[i][1]))
			fail_msg("%s: expected \"%s\" in \"%s\"", bad[i][0], bad[i][1], err.msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_rehashed_rewrite_named_under_the_key, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_whole_rewrite_named_under_the_key, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_plain_chain_rehash_goes_unseen, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_plain_rows_then_keyed, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_without_the_key_says_what_it_checked, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_truncation_caught_by_anchor, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_downgrade_caught_by_anchor, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_anchor_file, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_anchor_lines_per_cache, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_key_file, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_config_audit_object, setup, teardown),
	};
	return cmocka_run_group_tests_name("audit_key", tests, NULL, NULL);
}
