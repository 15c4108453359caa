/* Opening, closing and transactions of the cache, and how SQLite failures
 * become one-line messages that name the file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache_internal.h"

int cache_fail(struct cache *c, int rc, struct wb_err *err, const char *what)
{
	const char *path = c ? c->path : "cache";
	const char *detail = c && c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc);
	switch (rc & 0xff) {
	case SQLITE_NOTADB:
		return wb_fail(err, WB_ENOTDB,
		               "%s: not a Waybill cache (%s); move it away or pass another --cache",
		               path, detail);
	case SQLITE_CORRUPT:
		return wb_fail(err, WB_ECORRUPT,
		               "%s: cache is corrupt (%s); move it away and sync again", path,
		               detail);
	case SQLITE_FULL:
		return wb_fail(err, WB_EFULL, "%s: disk full while %s; free space and retry", path,
		               what);
	case SQLITE_READONLY:
		return wb_fail(err, WB_EREADONLY,
		               "%s: cannot write while %s (read-only file or directory)", path,
		               what);
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return wb_fail(err, WB_EBUSY,
		               "%s: locked by another process (another waybill?) while %s", path,
		               what);
	case SQLITE_CANTOPEN:
		return wb_fail(err, WB_EIO, "%s: cannot open (%s)", path,
		               strerror(errno ? errno : EACCES));
	case SQLITE_NOMEM: return wb_fail(err, WB_ENOMEM, "%s: out of memory while %s", path, what);
	case SQLITE_CONSTRAINT:
		return wb_fail(err, WB_ECONFLICT, "%s: %s while %s", path, detail, what);
	default: return wb_fail(err, WB_EIO, "%s: %s while %s", path, detail, what);
	}
}

/* The directory must be writable for WAL's -wal and -shm files; check it first
 * so the user hears which directory, not a later "unable to open database". */
static int check_dir(const char *path, bool readonly, struct wb_err *err)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	struct stat st;
	if (stat(dir, &st) != 0)
		return wb_fail(err, WB_EIO, "%s: directory %s does not exist", path, dir);
	if (!S_ISDIR(st.st_mode))
		return wb_fail(err, WB_EIO, "%s: %s is not a directory", path, dir);
	if (!readonly && access(dir, W_OK) != 0)
		return wb_fail(err, WB_EREADONLY, "%s: directory %s is not writable", path, dir);
	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return wb_fail(err, WB_ENOTDB, "%s: not a regular file", path);
		if (!readonly && access(path, W_OK) != 0)
			return wb_fail(err, WB_EREADONLY, "%s: file is read-only", path);
	} else if (readonly) {
		return wb_fail(err, WB_ENOTFOUND,
		               "%s: no cache here yet (run `waybill sync` first)", path);
	}
	return 0;
}

static int exec(struct cache *c, const char *sql, struct wb_err *err, const char *what)
{
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : cache_fail(c, rc, err, what);
}

static int read_version(struct cache *c, int *v, struct wb_err *err)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return cache_fail(c, rc, err, "reading the schema version");
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return cache_fail(c, rc, err, "reading the schema version");
	return 0;
}

/* A cache we did not create must at least look like one before we migrate it:
 * version 0 with tables in it is somebody else's database. */
static int check_foreign(struct cache *c, struct wb_err *err)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(c->db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return cache_fail(c, rc, err, "reading the schema");
	rc = sqlite3_step(st);
	int n = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (n < 0)
		return cache_fail(c, rc, err, "reading the schema");
	if (n > 0)
		return wb_fail(
		        err, WB_ENOTDB,
		        "%s: an SQLite database, but not a Waybill cache; pass another --cache",
		        c->path);
	return 0;
}

/* A crash can leave actions inflight: they are due again now. Only write when
 * there is something to recover, so opening a cache stays a read. */
static int recover_outbox(struct cache *c, struct wb_err *err)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(c->db,
	                            "SELECT EXISTS(SELECT 1 FROM outbox WHERE status='inflight')",
	                            -1, &st, NULL);
	if (rc != SQLITE_OK)
		return cache_fail(c, rc, err, "reading the outbox");
	rc = sqlite3_step(st);
	int any = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return cache_fail(c, rc, err, "reading the outbox");
	if (!any)
		return 0;
	return exec(c, "UPDATE outbox SET status='pending' WHERE status='inflight'", err,
	            "recovering the outbox");
}

/* A new cache is made 0600 wherever it is: it holds the depot's data and the
 * actions waiting for a source. SQLite would create it 0644 less the umask,
 * and gives its -wal and -shm files the mode of the database file. A file
 * already there is SQLite's to open (or to say why not). */
static void create_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	fchmod(fd, 0600); /* whatever the umask took; if this fails SQLite reports it */
	close(fd);
}

struct cache *cache_open(const char *path, const struct cache_opts *opts, struct wb_err *err)
{
	struct cache_opts o = opts ? *opts : (struct cache_opts){0};
	if (o.busy_ms <= 0)
		o.busy_ms = 2000;
	if (!path || !*path) {
		wb_fail(err, WB_EINVALID, "no cache path given");
		return NULL;
	}
	if (strlen(path) >= PATH_MAX) {
		wb_fail(err, WB_EINVALID, "cache path too long");
		return NULL;
	}
	if (check_dir(path, o.readonly, err) != 0)
		return NULL;

	struct cache *c = calloc(1, sizeof(*c));
	if (!c) {
		wb_fail(err, WB_ENOMEM, "%s: out of memory", path);
		return NULL;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	int flags = o.readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	/* Never let SQLite follow a link to somewhere unexpected or share the handle. */
	flags |= SQLITE_OPEN_NOMUTEX;
	if (!o.readonly)
		create_private(path);
	errno = 0;
	int rc = sqlite3_open_v2(path, &c->db, flags, NULL);
	if (rc != SQLITE_OK) {
		cache_fail(c, rc, err, "opening");
		goto fail;
	}
	sqlite3_extended_result_codes(c->db, 0);
	sqlite3_busy_timeout(c->db, o.busy_ms);
	int v = 0;
	if (read_version(c, &v, err) != 0)
		goto fail;
	if (v > cache_schema_latest()) {
		wb_fail(err, WB_ENEWER,
		        "%s: cache schema version %d is newer than this waybill knows (%d); "
		        "upgrade waybill or pass another --cache",
		        path, v, cache_schema_latest());
		goto fail;
	}
	if (o.readonly) {
		if (v == 0 && check_foreign(c, err) != 0)
			goto fail;
		if (v < cache_schema_latest()) {
			wb_fail(err, WB_EINVALID,
			        "%s: cache schema version %d needs migrating; open it read-write "
			        "once",
			        path, v);
			goto fail;
		}
	} else {
		if (exec(c, "PRAGMA journal_mode=WAL", err, "setting WAL mode") != 0 ||
		    exec(c, "PRAGMA synchronous=NORMAL", err, "setting synchronous mode") != 0)
			goto fail;
		if (v == 0 && check_foreign(c, err) != 0)
			goto fail;
		if (v < cache_schema_latest() && cache_migrate(c, v, err) != 0)
			goto fail;
		if (recover_outbox(c, err) != 0)
			goto fail;
	}
	/* 8 MiB of page cache (default 2) keeps the hot board index pages of a
	 * 100,000-load depot in memory for window reads. */
	if (exec(c, "PRAGMA cache_size=-8192", err, "sizing the page cache") != 0 ||
	    exec(c, "PRAGMA foreign_keys=ON", err, "enabling foreign keys") != 0 ||
	    exec(c, "PRAGMA temp_store=MEMORY", err, "setting temp store") != 0)
		goto fail;
	c->schema_version = cache_schema_latest();
	return c;
fail:
	cache_close(c);
	return NULL;
}

void cache_close(struct cache *c)
{
	if (!c)
		return;
	if (c->txn)
		cache_rollback(c);
	for (int i = 0; i < WB_ENT__COUNT; i++) {
		sqlite3_finalize(c->upsert[i]);
		sqlite3_finalize(c->get[i]);
	}
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(c->stmts[i]);
	cache_lru_free(&c->window_stmts);
	cache_lru_free(&c->list_stmts);
	if (c->db)
		sqlite3_close(c->db);
	explicit_bzero(c->audit_key, sizeof(c->audit_key));
	free(c);
}

const char *cache_path(const struct cache *c)
{
	return c->path;
}
int cache_schema_version(const struct cache *c)
{
	return c->schema_version;
}
struct sqlite3 *cache_db(struct cache *c)
{
	return c->db;
}
bool cache_in_txn(const struct cache *c)
{
	return c->txn != 0;
}

void cache_on_change(struct cache *c, cache_change_fn fn, void *arg)
{
	c->on_change = fn;
	c->on_change_arg = arg;
}

void cache_touch(struct cache *c, uint32_t tables)
{
	c->touched |= tables;
}

int cache_begin(struct cache *c, struct wb_err *err)
{
	if (c->txn)
		return wb_fail(err, WB_EINVALID, "%s: transaction already open", c->path);
	/* IMMEDIATE takes the write lock now, so a busy cache fails here, not mid-batch. */
	if (exec(c, "BEGIN IMMEDIATE", err, "starting a write") != 0)
		return err ? err->code : WB_EIO;
	c->txn = 1;
	c->touched = 0;
	return 0;
}

int cache_commit(struct cache *c, struct wb_err *err)
{
	if (!c->txn)
		return wb_fail(err, WB_EINVALID, "%s: no transaction open", c->path);
	int rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		int code = cache_fail(c, rc, err, "committing");
		cache_rollback(c);
		return code;
	}
	c->txn = 0;
	uint32_t touched = c->touched;
	c->touched = 0;
	if (touched && c->on_change)
		c->on_change(c->on_change_arg, touched);
	return 0;
}

void cache_rollback(struct cache *c)
{
	if (!c->txn)
		return;
	if (sqlite3_get_autocommit(c->db) == 0)
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	c->txn = 0;
	c->touched = 0;
}

int cache_autobegin(struct cache *c, int *began, struct wb_err *err)
{
	*began = 0;
	if (c->txn)
		return 0;
	int rc = cache_begin(c, err);
	if (rc == 0)
		*began = 1;
	return rc;
}

int cache_autoend(struct cache *c, int began, int rc, struct wb_err *err)
{
	if (!began)
		return rc;
	if (rc != 0) {
		cache_rollback(c);
		return rc;
	}
	return cache_commit(c, err);
}

sqlite3_stmt *cache_stmt(struct cache *c, enum cache_stmt id, const char *sql, struct wb_err *err)
{
	sqlite3_stmt *st = c->stmts[id];
	if (!st) {
		int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
		if (rc != SQLITE_OK) {
			cache_fail(c, rc, err, "preparing a statement");
			return NULL;
		}
		c->stmts[id] = st;
	} else {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	return st;
}

int cache_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

int cache_bind_int(sqlite3_stmt *st, int i, int64_t v)
{
	return v == WB_NULL ? sqlite3_bind_null(st, i) : sqlite3_bind_int64(st, i, v);
}

int cache_bind_real(sqlite3_stmt *st, int i, double v)
{
	return isnan(v) ? sqlite3_bind_null(st, i) : sqlite3_bind_double(st, i, v);
}

sqlite3_stmt *cache_lru_prepare(struct cache *c, struct cache_lru *lru, const char *sql,
                                const char *what, struct wb_err *err)
{
	size_t victim = 0;
	lru->tick++;
	for (size_t i = 0; i < CACHE_LRU_SIZE; i++) {
		if (lru->e[i].sql && !strcmp(lru->e[i].sql, sql)) {
			lru->e[i].used = lru->tick;
			sqlite3_reset(lru->e[i].st);
			sqlite3_clear_bindings(lru->e[i].st);
			return lru->e[i].st;
		}
		if (lru->e[i].used < lru->e[victim].used)
			victim = i;
	}
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		cache_fail(c, rc, err, what);
		return NULL;
	}
	char *copy = strdup(sql);
	if (!copy) {
		sqlite3_finalize(st);
		wb_fail(err, WB_ENOMEM, "out of memory");
		return NULL;
	}
	sqlite3_finalize(lru->e[victim].st);
	free(lru->e[victim].sql);
	lru->e[victim].sql = copy;
	lru->e[victim].st = st;
	lru->e[victim].used = lru->tick;
	return st;
}

void cache_lru_free(struct cache_lru *lru)
{
	for (size_t i = 0; i < CACHE_LRU_SIZE; i++) {
		sqlite3_finalize(lru->e[i].st);
		free(lru->e[i].sql);
		lru->e[i].st = NULL;
		lru->e[i].sql = NULL;
	}
}
