/* Anchors of the audit trail: lines appended to a file outside the cache, and
 * the check of the cache against them (app/audit_anchor.h). The cache gives
 * the head and the hash of any row; this file owns the anchor's format. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/audit_anchor.h"

#define LINE_MAX_BYTES 8192

/* The cache's real path, else its path as given. */
static void real_cache_path(struct cache *c, char out[PATH_MAX])
{
	if (!realpath(cache_path(c), out))
		snprintf(out, PATH_MAX, "%s", cache_path(c));
}

/* One anchor line, parsed. Strings point into j. */
struct line {
	json_t *j;
	int64_t seq, at;
	const char *hash, *cache, *chain;
};

static bool hex64(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* Parses text into l (free l->j). -1 when it is not an anchor. */
static int parse_line(const char *text, struct line *l)
{
	memset(l, 0, sizeof(*l));
	json_error_t je;
	json_int_t seq = 0, at = 0;
	l->j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (!l->j ||
	    json_unpack(l->j, "{s:I, s:s, s?I, s?s, s?s}", "seq", &seq, "hash", &l->hash, "at", &at,
	                "cache", &l->cache, "chain", &l->chain) != 0 ||
	    seq <= 0 || !hex64(l->hash)) {
		json_decref(l->j);
		l->j = NULL;
		return -1;
	}
	l->seq = seq;
	l->at = at;
	return 0;
}

/* Opens file for reading without hanging on a FIFO. NULL with errno set. */
static FILE *open_lines(const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	FILE *f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

/* Calls fn on every line of file that anchors this cache (by path or chain).
 * fn returns non-zero to stop. Counts the others in *other. */
typedef int (*line_fn)(const struct line *l, int64_t lineno, void *arg);
static int each_line(const char *file, const char *cpath, const char *chain, int64_t *other,
                     line_fn fn, void *arg, struct wb_err *err)
{
	FILE *f = open_lines(file);
	if (!f)
		return wb_fail(err, errno == ENOENT ? WB_ENOTFOUND : WB_EIO,
		               "%s: cannot read the audit anchors: %s", file,
		               errno == EINVAL ? "not a regular file" : strerror(errno));
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	int64_t lineno = 0;
	int rc = 0;
	while (rc == 0 && (n = getline(&buf, &cap, f)) >= 0) {
		lineno++;
		if (n == 0 || (n == 1 && buf[0] == '\n'))
			continue;
		struct line l;
		if (n > LINE_MAX_BYTES || parse_line(buf, &l) != 0) {
			rc = wb_fail(err, WB_ECORRUPT,
			             "%s: line %lld is not an audit anchor (edited?)", file,
			             (long long)lineno);
			break;
		}
		bool mine = (l.cache && !strcmp(l.cache, cpath)) ||
		            (l.chain && *chain && !strcmp(l.chain, chain));
		if (mine)
			rc = fn(&l, lineno, arg) ? 1 : 0;
		else if (other)
			(*other)++;
		json_decref(l.j);
	}
	if (rc == 0 && ferror(f))
		rc = wb_fail(err, WB_EIO, "%s: cannot read the audit anchors", file);
	free(buf);
	fclose(f);
	return rc < 0 ? rc : 0;
}

struct last {
	int64_t seq;
	char hash[65];
};

static int remember_last(const struct line *l, int64_t lineno, void *arg)
{
	struct last *last = arg;
	last->seq = l->seq;
	snprintf(last->hash, sizeof(last->hash), "%s", l->hash);
	return 0;
}

int app_audit_anchor(struct cache *c, const char *file, int64_t now, bool only_if_moved,
                     struct audit_head *head, bool *written, struct wb_err *err)
{
	struct audit_head h;
	if (written)
		*written = false;
	int rc = audit_head(c, &h, err);
	if (head)
		*head = h;
	if (rc != 0 || h.seq == 0)
		return rc;
	if (!h.hash[0])
		return wb_fail(err, WB_ECORRUPT,
		               "%s: the newest audit row (%lld) has a malformed hash; run `waybill "
		               "audit verify`",
		               cache_path(c), (long long)h.seq);
	char cpath[PATH_MAX];
	real_cache_path(c, cpath);
	if (only_if_moved) {
		struct last last = {0};
		rc = each_line(file, cpath, h.chain, NULL, remember_last, &last, err);
		if (rc == 0 && last.seq == h.seq && !strcmp(last.hash, h.hash))
			return 0;
		if (rc != 0 && rc != WB_ENOTFOUND)
			return rc;
		rc = 0; /* no file yet: this is its first line */
	}
	char when[32];
	time_t t = (time_t)now;
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	json_t *o =
	        json_pack("{s:I, s:s, s:s?, s:I, s:I, s:s, s:s, s:s?}", "seq", (json_int_t)h.seq,
	                  "hash", h.hash, "key_id", h.key_id[0] ? h.key_id : NULL, "rows",
	                  (json_int_t)h.rows, "at", (json_int_t)now, "time", when, "cache", cpath,
	                  "chain", h.chain[0] ? h.chain : NULL);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text)
		return wb_fail(err, WB_ENOMEM,
		               "%s: out of memory (or a cache path that is not UTF-8)", file);
	size_t len = strlen(text);
	text[len] = '\n'; /* json_dumps's NUL becomes the line's end: one write */
	int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0600);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		rc = wb_fail(err, WB_EIO, "%s: cannot append the audit anchor: %s", file,
		             fd < 0 ? strerror(errno) : "not a regular file");
	else if (write(fd, text, len + 1) != (ssize_t)(len + 1) || fsync(fd) != 0)
		rc = wb_fail(err, errno == ENOSPC ? WB_EFULL : WB_EIO,
		             "%s: cannot write the audit anchor: %s", file, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(text);
	if (rc == 0 && written)
		*written = true;
	return rc;
}

struct check {
	struct cache *c;
	struct audit_head h;
	struct app_anchor_check *r;
	struct wb_err *err;
	int rc;
};

static void fail_at(struct check *k, int64_t seq, int64_t lineno, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void fail_at(struct check *k, int64_t seq, int64_t lineno, const char *fmt, ...)
{
	if (k->r->first_bad_seq && k->r->first_bad_seq <= seq)
		return; /* an earlier row already fails */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(k->r->why, sizeof(k->r->why), fmt, ap);
	va_end(ap);
	k->r->first_bad_seq = seq;
	k->r->bad_line = lineno;
}

static int check_line(const struct line *l, int64_t lineno, void *arg)
{
	struct check *k = arg;
	struct app_anchor_check *r = k->r;
	r->lines++;
	if (l->seq >= r->newest_seq) {
		r->newest_seq = l->seq;
		r->newest_at = l->at;
	}
	char when[32] = "?";
	time_t t = (time_t)l->at;
	struct tm tm;
	if (l->at > 0 && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (l->seq > k->h.seq) {
		fail_at(k, k->h.seq + 1, lineno,
		        "row %lld is missing: the anchor of %s (line %lld) saw the trail reach row "
		        "%lld, it now ends at row %lld (rows cut off)",
		        (long long)(k->h.seq + 1), when, (long long)lineno, (long long)l->seq,
		        (long long)k->h.seq);
		return 0;
	}
	char hash[65];
	int found;
	if ((k->rc = audit_hash_at(k->c, l->seq, hash, &found, k->err)) != 0)
		return 1;
	if (!found)
		fail_at(k, l->seq, lineno, "row %lld is missing (anchored %s, line %lld)",
		        (long long)l->seq, when, (long long)lineno);
	else if (strcmp(hash, l->hash) != 0)
		fail_at(k, l->seq, lineno,
		        "row %lld's hash differs from its anchor of %s (line %lld): the chain was "
		        "rewritten at or before row %lld",
		        (long long)l->seq, when, (long long)lineno, (long long)l->seq);
	return 0;
}

/* check_line, then: an anchor found by path that names another chain id means
 * another cache now stands where the anchored one was; say so. */
static int check_line_chain(const struct line *l, int64_t lineno, void *arg)
{
	struct check *k = arg;
	int stop = check_line(l, lineno, arg);
	if (!stop && k->r->bad_line == lineno && l->chain && strcmp(l->chain, k->h.chain) != 0) {
		size_t n = strlen(k->r->why);
		snprintf(k->r->why + n, sizeof(k->r->why) - n,
		         "; and this is not the anchored cache (chain %.8s, anchored %.8s): "
		         "replaced or recreated",
		         k->h.chain, l->chain);
	}
	return stop;
}

int app_audit_check_anchors(struct cache *c, const char *file, struct app_anchor_check *r,
                            struct wb_err *err)
{
	memset(r, 0, sizeof(*r));
	struct check k = {.c = c, .r = r, .err = err};
	int rc = audit_head(c, &k.h, err);
	if (rc != 0)
		return rc;
	char cpath[PATH_MAX];
	real_cache_path(c, cpath);
	rc = each_line(file, cpath, k.h.chain, &r->other, check_line_chain, &k, err);
	return rc != 0 ? rc : k.rc;
}
