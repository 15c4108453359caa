/* `waybill audit verify|export|anchor`, and the audit key and anchor for the
 * commands that write audit rows (sync, the actions, the console): the key
 * comes from the settings' key file and is passed to the cache; the head is
 * anchored when such a command ends. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/audit_anchor.h"
#include "cache/cache.h"
#include "base/text.h"
#include "cli/cmd.h"
#include "cli/out.h"
#include "settings/audit.h"
#include "settings/paths.h"
#include "settings/settings.h"

/* 9999-12-31T23:59:59Z: the last second an ISO 8601 time of four digits can say. */
#define SINCE_MAX 253402300799LL

/* Reads the key at path into c; with create, makes it when missing. *found
 * says whether c now has a key. 0, or 1 with the error printed. */
static int give_key(struct cache *c, const char *path, bool create, int *found)
{
	unsigned char key[SETTINGS_AUDIT_KEY_LEN];
	struct wb_err err = {0};
	int rc = settings_audit_key_load(path, create, key, found, &err);
	if (rc == 0 && *found)
		rc = cache_audit_key(c, key, sizeof(key), &err);
	explicit_bzero(key, sizeof(key));
	if (rc != 0) {
		out_error("%s", err.msg);
		return 1;
	}
	return 0;
}

int cmd_audit_attach(struct cache *c, const struct settings *cfg)
{
	char kpath[PATH_MAX], apath[PATH_MAX];
	struct wb_err err = {0};
	if (settings_audit_paths(cfg, true, kpath, sizeof(kpath), apath, sizeof(apath), &err) !=
	    0) {
		out_error("%s", err.msg);
		return 1;
	}
	int found;
	return give_key(c, kpath, true, &found);
}

void cmd_audit_detach(struct cache *c, const struct settings *cfg)
{
	char kpath[PATH_MAX], apath[PATH_MAX];
	struct wb_err err = {0};
	if (!c || (cfg && !cfg->audit_auto_anchor))
		return;
	if (settings_audit_paths(cfg, true, kpath, sizeof(kpath), apath, sizeof(apath), &err) !=
	            0 ||
	    app_audit_anchor(c, apath, (int64_t)time(NULL), true, NULL, NULL, &err) != 0)
		out_error("audit anchor not written: %s", err.msg);
}

/* The settings, key and anchor paths an audit subcommand works with. */
struct audit_ctx {
	struct settings *cfg;
	char kpath[PATH_MAX], apath[PATH_MAX];
	struct cache *c;
	int has_key;
};

static int open_audit(const struct cmd_opts *o, struct audit_ctx *a)
{
	char cpath[PATH_MAX], path[PATH_MAX];
	struct wb_err err = {0};
	memset(a, 0, sizeof(*a));
	if (settings_load_found(o->config_path, &a->cfg, cpath, sizeof(cpath), &err) != 0 ||
	    settings_audit_paths(a->cfg, false, a->kpath, sizeof(a->kpath), a->apath,
	                         sizeof(a->apath), &err) != 0 ||
	    settings_cache_path(o->cache_path, false, path, sizeof(path), &err) != 0 ||
	    !(a->c = cache_open(path, &(struct cache_opts){.readonly = true}, &err))) {
		out_error("%s", err.msg);
		settings_free(a->cfg);
		return 1;
	}
	/* Reading never makes a key: a new one could check nothing. */
	if (give_key(a->c, a->kpath, false, &a->has_key) != 0) {
		cache_close(a->c);
		settings_free(a->cfg);
		return 1;
	}
	return 0;
}

static void close_audit(struct audit_ctx *a)
{
	cache_close(a->c);
	settings_free(a->cfg);
}

/* The chain's verdict in one line; 0 when whole. */
static int report_chain(const struct audit_ctx *a, const struct audit_verify_result *r)
{
	if (r->first_bad_seq) {
		out_line(stdout, "audit: BROKEN at row %" PRId64 ": %s (%" PRId64 " rows checked)",
		         r->first_bad_seq, r->why, r->rows);
		return 1;
	}
	char plain[64] = "none", keyed[96];
	if (r->plain_rows)
		snprintf(plain, sizeof(plain), "rows 1-%" PRId64 " plain SHA-256",
		         r->last_plain_seq);
	snprintf(keyed, sizeof(keyed), "rows %" PRId64 "-%" PRId64 " HMAC-SHA-256 under key %s",
	         r->last_plain_seq + 1, r->rows, r->key_id);
	if (r->keyed_rows == 0)
		out_line(stdout, "audit: ok, %" PRId64 " rows, chain intact%s%s", r->rows,
		         r->rows ? ": plain SHA-256" : "",
		         r->rows && a->has_key ? ", none written under the key yet" : "");
	else if (a->has_key)
		out_line(stdout, "audit: ok, %" PRId64 " rows, chain intact: %s%s%s", r->rows,
		         r->plain_rows ? plain : "", r->plain_rows ? " (before the key), " : "",
		         keyed);
	else
		out_line(
		        stdout,
		        "audit: ok as far as it can check: no audit key at %s, so only the unkeyed "
		        "hashes (%s) and the links of %" PRId64 " rows were checked, not the MACs "
		        "of rows %" PRId64 "-%" PRId64 " (key %s)",
		        a->kpath, plain, r->rows, r->last_plain_seq + 1, r->rows, r->key_id);
	return 0;
}

/* The anchors' verdict; 0 when every anchor holds (or there is none to
 * check and none was asked for). */
static int report_anchors(struct audit_ctx *a, const char *asked)
{
	const char *file = asked ? asked : a->apath;
	struct app_anchor_check r;
	struct wb_err err = {0};
	int rc = app_audit_check_anchors(a->c, file, &r, &err);
	if (rc == WB_ENOTFOUND && !asked) {
		out_line(stdout,
		         "audit: no anchor file yet (%s): `waybill audit anchor` writes one", file);
		return 0;
	}
	if (rc != 0) {
		out_error("%s", err.msg);
		return 1;
	}
	if (r.first_bad_seq) {
		out_line(stdout, "audit: BROKEN at row %" PRId64 ": %s", r.first_bad_seq, r.why);
		return 1;
	}
	if (r.lines == 0) {
		out_line(stdout,
		         "audit: %s anchors no row of this cache (%" PRId64 " lines of other "
		         "caches)",
		         file, r.other);
		return asked ? 1 : 0;
	}
	char when[32] = "?";
	time_t t = (time_t)r.newest_at;
	struct tm tm;
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	out_line(stdout,
	         "audit: anchors hold: %" PRId64 " in %s, the newest at row %" PRId64
	         " (%s); rows after it could still be cut off unseen\n",
	         r.lines, file, r.newest_seq, when);
	return 0;
}

static int audit_verify_cmd(const struct cmd_opts *o)
{
	struct audit_ctx a;
	if (open_audit(o, &a) != 0)
		return 1;
	struct audit_verify_result r;
	struct wb_err err = {0};
	int rc = audit_verify(a.c, &r, &err);
	if (rc != 0) {
		out_error("%s", err.msg);
		close_audit(&a);
		return 1;
	}
	rc = report_chain(&a, &r);
	if (rc == 0)
		rc = report_anchors(&a, o->anchor);
	close_audit(&a);
	return rc;
}

static int audit_anchor_cmd(const struct cmd_opts *o)
{
	struct audit_ctx a;
	if (open_audit(o, &a) != 0)
		return 1;
	/* A broken chain is never anchored: the anchor would vouch for it. */
	struct audit_verify_result v;
	struct wb_err err = {0};
	int rc = audit_verify(a.c, &v, &err);
	if (rc == 0 && v.first_bad_seq) {
		out_line(stdout, "audit: BROKEN at row %" PRId64 ": %s; not anchored",
		         v.first_bad_seq, v.why);
		close_audit(&a);
		return 1;
	}
	const char *file = o->to ? o->to : a.apath;
	struct audit_head h;
	bool written = false;
	if (rc == 0)
		rc = app_audit_anchor(a.c, file, (int64_t)time(NULL), false, &h, &written, &err);
	close_audit(&a);
	if (rc != 0) {
		out_error("%s", err.msg);
		return 1;
	}
	if (!written)
		out_line(stdout, "audit: nothing to anchor: the trail is empty");
	else
		out_line(stdout,
		         "audit: anchored row %" PRId64 " (%s %.16s..., %" PRId64 " rows) in %s",
		         h.seq, h.key_id[0] ? "MAC" : "hash", h.hash, h.rows, file);
	return 0;
}

static int audit_export_cmd(const struct cmd_opts *o)
{
	int64_t since = 0;
	if (o->since) {
		char *end;
		errno = 0;
		long long v = strtoll(o->since, &end, 10);
		if (*o->since == '\0' || *end != '\0' || v < 0)
			return out_usage("--since wants UTC epoch seconds, not \"%.40s\"",
			                 o->since);
		if (errno == ERANGE || v > SINCE_MAX)
			return out_usage(
			        "--since %.40s%s is out of range: UTC epoch seconds from 0 to "
			        "%lld (the end of year 9999)",
			        o->since, strlen(o->since) > 40 ? "..." : "", (long long)SINCE_MAX);
		since = v;
	}
	char path[PATH_MAX];
	struct wb_err err = {0};
	struct cache *c = NULL;
	if (settings_cache_path(o->cache_path, false, path, sizeof(path), &err) != 0 ||
	    !(c = cache_open(path, &(struct cache_opts){.readonly = true}, &err))) {
		out_error("%s", err.msg);
		return 1;
	}
	int rc = audit_export(c, since, stdout, &err);
	cache_close(c);
	if (rc != 0) {
		out_error("%s", err.msg);
		return 1;
	}
	return 0;
}

int cmd_audit(const struct cmd_opts *o)
{
	if (o->argc < 2)
		return out_usage("audit needs a subcommand: %s", "verify, export or anchor");
	const char *sub = o->argv[1];
	if (o->argc > 2)
		return out_usage("audit takes one subcommand (got \"%.40s\" after it)", o->argv[2]);
	if (o->anchor && strcmp(sub, "verify") != 0)
		return out_usage("--anchor goes with audit verify, not %.40s", sub);
	if (o->to && strcmp(sub, "anchor") != 0)
		return out_usage("--to goes with audit anchor, not %.40s", sub);
	if (!strcmp(sub, "verify"))
		return audit_verify_cmd(o);
	if (!strcmp(sub, "anchor"))
		return audit_anchor_cmd(o);
	if (!strcmp(sub, "export"))
		return audit_export_cmd(o);
	return out_usage("unknown audit subcommand \"%.40s\" (verify, export, anchor)", sub);
}
