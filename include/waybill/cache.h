/* The cache: one SQLite file (WAL) holding the canonical model, sync cursors,
 * the outbox and the audit trail. One struct cache per connection; it is not
 * shared between threads. Every write goes through a transaction this module
 * owns, and after each commit the change callback hears which tables changed. */
#ifndef WAYBILL_CACHE_H
#define WAYBILL_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "waybill/err.h"
#include "waybill/model.h"

struct cache;
struct sqlite3;

/* Bits for the change callback: one per entity, then the rest. */
enum cache_table {
	CACHE_T_POSITION = WB_ENT__COUNT,
	CACHE_T_SYNC_STATE,
	CACHE_T_OUTBOX,
	CACHE_T_AUDIT,
	CACHE_T__COUNT
};
#define CACHE_BIT(t) (UINT32_C(1) << (t))

typedef void (*cache_change_fn)(void *arg, uint32_t changed_tables);

struct cache_opts {
	int busy_ms;        /* wait this long for another process's lock; 0 = 2000 */
	bool readonly;      /* open without creating or migrating */
};

/* Opens (creating if needed) and migrates the cache at path. NULL on failure,
 * with err saying why in one line that names the file. */
struct cache *cache_open(const char *path, const struct cache_opts *opts, struct wb_err *err);
void cache_close(struct cache *c);

const char *cache_path(const struct cache *c);
int cache_schema_version(const struct cache *c);
int cache_schema_latest(void);     /* the version this binary migrates to */
struct sqlite3 *cache_db(struct cache *c); /* for cache/ modules and tests only */

void cache_on_change(struct cache *c, cache_change_fn fn, void *arg);

/* Transactions. Writes outside an explicit transaction run in one of their own.
 * cache_commit fires the change callback with every table touched since begin. */
int cache_begin(struct cache *c, struct wb_err *err);
int cache_commit(struct cache *c, struct wb_err *err);
void cache_rollback(struct cache *c);
bool cache_in_txn(const struct cache *c);
/* Marks tables as changed in the current transaction (for cache/ modules). */
void cache_touch(struct cache *c, uint32_t tables);
/* Maps a SQLite failure to a wb_err naming the cache file. Returns the code. */
int cache_fail(struct cache *c, int sqlite_rc, struct wb_err *err, const char *what);

/* Upserts n rows (an array of struct wb_<entity>), keyed by (source, ext_id).
 * A row whose ext_version is not newer than the stored one is ignored; a row
 * with meta.deleted set becomes a tombstone. *changed (if given) counts rows
 * written. All rows or none. */
int cache_upsert(struct cache *c, enum wb_entity e, const void *rows, size_t n,
		 size_t *changed, struct wb_err *err);

/* Reads one row by Waybill id into row (a struct wb_<entity>). Text fields point
 * into *strings, which the caller frees. WB_ENOTFOUND when there is none. */
int cache_get(struct cache *c, enum wb_entity e, const char *id, void *row,
	      char **strings, struct wb_err *err);

/* Sync cursors: a stream's cursor is set in the same transaction as the rows
 * it covers (call between cache_begin and cache_commit). */
int cache_cursor_get(struct cache *c, const char *source, const char *stream,
		     char *buf, size_t len, struct wb_err *err); /* "" when none */
int cache_cursor_set(struct cache *c, const char *source, const char *stream,
		     const char *cursor, struct wb_err *err);
/* Clears a stream's cursor (for a resync after an expired cursor). */
int cache_cursor_reset(struct cache *c, const char *source, const char *stream,
		       struct wb_err *err);

/* Positions: append-only, deduplicated on (ts_ms, vehicle_id). */
int cache_add_positions(struct cache *c, const struct wb_position *p, size_t n,
			size_t *added, struct wb_err *err);
/* Deletes at most `step` positions older than now_ms - retention_ms. Returns
 * the number deleted (0 when nothing is left to prune) or a negative error.
 * Call repeatedly from a timer so the loop never stalls. */
int64_t cache_prune_positions(struct cache *c, int64_t now_ms, int64_t retention_ms,
			      int step, struct wb_err *err);
#define CACHE_RETENTION_DEFAULT_MS (7LL * 24 * 3600 * 1000)

/* --- windowed board queries (cache/window.c) ------------------------------ */

struct cache_value {
	enum { CV_NULL, CV_INT, CV_REAL, CV_TEXT } t;
	int64_t i;
	double d;
	const char *s;  /* owned by the window */
};

/* A board's query: which rows, which columns, what may filter and sort. */
struct cache_board {
	const char *name;          /* "loads" */
	const char *from;          /* a table or view with an `id` column */
	const char *const *cols;   /* selected columns, NULL-terminated; cols[0] is id */
	const char *const *search; /* columns the free-text filter looks in */
	const char *const *sorts;  /* columns a user may sort by; sorts[0] default */
	const char *status_col;    /* column the status filter compares, or NULL */
	const char *where;         /* fixed condition, or NULL (e.g. "deleted=0") */
};

struct cache_window_req {
	const char *sort;       /* one of board->sorts; NULL: the default */
	bool desc;
	const char *text;       /* free-text filter (bound, LIKE-escaped); NULL none */
	const char *status;     /* status filter; NULL none */
	/* Keyset: rows strictly after (after_sort, after_id) in the sort order;
	 * after_id NULL means from the start. after_sort NULL means a NULL sort value. */
	const struct cache_value *after_sort;
	const char *after_id;
	bool backward;          /* rows strictly before the key instead (for scrolling up) */
	int limit;              /* 1..1000 */
};

struct cache_window {
	int ncols;
	int nrows;
	int sort_col;                /* index of the sort column within cols */
	struct cache_value *cells;   /* nrows * ncols, row-major, in display order */
	char *arena;                 /* owns every text cell */
	size_t arena_len, arena_cap;
};

int cache_window(struct cache *c, const struct cache_board *b,
		 const struct cache_window_req *req, struct cache_window *out,
		 struct wb_err *err);
void cache_window_free(struct cache_window *w);

/* The boards the console shows (cache/boards.c). */
extern const struct cache_board cache_board_loads;
extern const struct cache_board cache_board_vehicles;
extern const struct cache_board cache_board_exceptions;
extern const struct cache_board cache_board_audit;
/* Counts the rows matching the filters (for "n of N" in a board header). */
int64_t cache_window_count(struct cache *c, const struct cache_board *b,
			   const struct cache_window_req *req, struct wb_err *err);

/* --- info (cache/info.c) --------------------------------------------------- */

struct cache_table_count {
	char table[32];
	int64_t rows;
};

struct cache_info {
	int schema_version;
	int64_t size_bytes;   /* main file plus WAL */
	int ntables;
	struct cache_table_count tables[CACHE_T__COUNT];
};

int cache_info(struct cache *c, struct cache_info *info, struct wb_err *err);

/* --- outbox (cache/outbox.c) ----------------------------------------------- */

enum outbox_status { OUTBOX_PENDING, OUTBOX_INFLIGHT, OUTBOX_DELIVERED, OUTBOX_FAILED };

struct outbox_item {
	char key[40];          /* UUID v4 idempotency key */
	char source[32];
	char action[48];       /* "release_load", "place_hold", ... */
	char subject[96];      /* "load:L-1042" — actions on one subject keep their order */
	char *payload;         /* JSON text, owned by the item */
	char user[64];
	int64_t created_at;
	int attempts;
	int64_t next_attempt_at;
	enum outbox_status status;
	char *answer;          /* the source's last answer (message), owned */
	int http_status;
};

/* Enqueues an action; fills key_out (37 bytes) with its new idempotency key. */
int outbox_enqueue(struct cache *c, const char *source, const char *action,
		   const char *subject, const char *payload_json, const char *user,
		   int64_t now, char key_out[40], struct wb_err *err);
/* Claims the next due item (next_attempt_at <= now) whose subject has no older
 * undelivered item, marking it inflight. WB_ENOTFOUND when nothing is due.
 * Inflight items left by a crash are due again on the next open. */
int outbox_claim(struct cache *c, const char *source, int64_t now,
		 struct outbox_item *it, struct wb_err *err);
int outbox_delivered(struct cache *c, const char *key, int http_status,
		     const char *answer, int64_t now, struct wb_err *err);
/* A permanent failure: kept with the source's answer for the user, never retried. */
int outbox_failed(struct cache *c, const char *key, int http_status,
		  const char *answer, int64_t now, struct wb_err *err);
/* A transient failure: retried at next_attempt_at (the caller computes backoff,
 * see outbox_backoff_s). */
int outbox_retry(struct cache *c, const char *key, int http_status, const char *answer,
		 int64_t next_attempt_at, struct wb_err *err);
/* Exponential backoff with full jitter: attempt 1 -> up to 2 s, capped at 300 s. */
int64_t outbox_backoff_s(int attempts, uint32_t random);
int outbox_get(struct cache *c, const char *key, struct outbox_item *it, struct wb_err *err);
void outbox_item_free(struct outbox_item *it);
/* Depth (pending + inflight) and the created_at of the oldest of them (0 if none). */
int outbox_depth(struct cache *c, const char *source, int64_t *depth, int64_t *oldest,
		 struct wb_err *err);

/* --- audit (cache/audit.c) ------------------------------------------------- */

struct audit_entry {
	const char *user;
	const char *role;
	const char *action;
	const char *subject;
	const char *before;  /* JSON or NULL */
	const char *after;   /* JSON or NULL */
	const char *reason;  /* NULL when none */
	int64_t at;
};

/* Appends a row whose hash is SHA-256 over the previous hash and this row's
 * content. Call inside the transaction that makes the change it records. */
int audit_append(struct cache *c, const struct audit_entry *e, int64_t *seq_out,
		 struct wb_err *err);

struct audit_verify_result {
	int64_t rows;          /* rows checked */
	int64_t first_bad_seq; /* 0 when the chain is whole */
	char why[160];         /* what is wrong at first_bad_seq */
};
int audit_verify(struct cache *c, struct audit_verify_result *r, struct wb_err *err);
/* Writes rows with at >= since as JSON lines (jansson), oldest first. */
int audit_export(struct cache *c, int64_t since, FILE *out, struct wb_err *err);

#endif
