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

#include "base/err.h"
#include "model/model.h"

struct cache;
struct sqlite3;

/* Bits for the change callback: one per entity, then the rest. */
enum cache_table {
	CACHE_T_POSITION = WB_ENT__COUNT,
	CACHE_T_SYNC_STATE,
	CACHE_T_OUTBOX,
	CACHE_T_AUDIT,
	CACHE_T_READINESS,
	CACHE_T_KPI_SAMPLE,
	CACHE_T__COUNT
};
#define CACHE_BIT(t) (UINT32_C(1) << (t))

typedef void (*cache_change_fn)(void *arg, uint32_t changed_tables);

struct cache_opts {
	int busy_ms;   /* wait this long for another process's lock; 0 = 2000 */
	bool readonly; /* open without creating or migrating */
};

/* Opens (creating if needed) and migrates the cache at path. NULL on failure,
 * with err saying why in one line that names the file. */
struct cache *cache_open(const char *path, const struct cache_opts *opts, struct wb_err *err);
void cache_close(struct cache *c);

const char *cache_path(const struct cache *c);
int cache_schema_version(const struct cache *c);
int cache_schema_latest(void);             /* the version this binary migrates to */
struct sqlite3 *cache_db(struct cache *c); /* for cache/ modules and tests only */
/* The local pass (local/) reads through typed readers instead: a snapshot
 * (cache/snapshot.h), the detectors' reads (cache/detect_read.h), the KPIs'
 * reads and write hook (cache/kpi_read.h, cache/kpi_hook.h). */

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
int cache_upsert(struct cache *c, enum wb_entity e, const void *rows, size_t n, size_t *changed,
                 struct wb_err *err);

/* The relation every reader of a vehicle's facts selects from, as SQL text:
 * the vehicle row with the maintenance source's status (in_shop,
 * out_of_service), PM due and hold over its own where it has a vehicle_maint
 * record (migration 9; docs/design.md §5, "Who owns a vehicle's facts"), and
 * maint_source naming that source (NULL: none). cache_get and cache_list of a
 * vehicle read it too; writes go to the vehicle table. */
#define CACHE_VEHICLE_FACTS "vehicle_now"

/* Reads one row by Waybill id into row (a struct wb_<entity>). Text fields point
 * into *strings, which the caller frees. WB_ENOTFOUND when there is none. */
int cache_get(struct cache *c, enum wb_entity e, const char *id, void *row, char **strings,
              struct wb_err *err);

/* Reads the live rows of an entity whose column col (one of the model's, else
 * WB_EINVALID) equals value, ordered by id, at most max of them. *rows is a
 * malloc'd array of struct wb_<entity> whose text points into *strings; the
 * caller frees both (either may be NULL when there are no rows). */
int cache_list(struct cache *c, enum wb_entity e, const char *col, const char *value, size_t max,
               void **rows, size_t *n, char **strings, struct wb_err *err);

/* Billing joins (docs/design.md §5, "Billing joins"). A real ERP knows the order
 * (sale) an invoice or a charge belongs to, not our load; the simulator knows
 * both. The load of an invoice or a charge is its load_id when set, else the
 * newest (latest planned departure, then greatest id) live load of its
 * order_id that is not cancelled; none when neither finds one. Every reader
 * that joins invoices or charges to loads says it with these, so the boards,
 * the workflow, the detectors and the KPIs agree.
 *
 * CACHE_BILLED_LOAD_SQL(LOAD_ID, ORDER_ID): that load's id as a SQL expression
 * over two SQL expressions (columns of the row, or bound parameters). */
/* clang-format off */
#define CACHE_BILLED_LOAD_SQL(load_id, order_id)                                                   \
	"coalesce(" load_id ", (SELECT bl.id FROM load bl WHERE bl.order_id=" order_id              \
	" AND bl.deleted=0 AND bl.status IS NOT 'cancelled'"                                       \
	" ORDER BY bl.planned_departure DESC, bl.id DESC LIMIT 1))"
/* CACHE_BILLED_TO_SQL(X, LOAD): whether the invoice or charge row X (a table
 * name or alias) belongs to the load whose id is the SQL expression LOAD, in a
 * form the invoice_load/invoice_order (charge_*) indexes serve. */
#define CACHE_BILLED_TO_SQL(x, load)                                                               \
	"(" x ".load_id=" load " OR (" x ".load_id IS NULL AND " x ".order_id=(SELECT bo.order_id"   \
	" FROM load bo WHERE bo.id=" load ") AND "                                                  \
	CACHE_BILLED_LOAD_SQL("NULL", x ".order_id") "=" load "))"
/* clang-format on */

/* The live load an invoice or charge with this load_id and order_id (either
 * may be NULL) belongs to, into *load (text in *strings, which the caller
 * frees). WB_ENOTFOUND when there is none in the cache. */
int cache_billed_load(struct cache *c, const char *load_id, const char *order_id,
                      struct wb_load *load, char **strings, struct wb_err *err);
/* The live invoices (e WB_ENT_INVOICE) or charges (WB_ENT_CHARGE) that belong
 * to load_id, as cache_list hands them out (by id, at most max). */
int cache_billed_list(struct cache *c, enum wb_entity e, const char *load_id, size_t max,
                      void **rows, size_t *n, char **strings, struct wb_err *err);

/* Sync cursors: a stream's cursor is set in the same transaction as the rows
 * it covers (call between cache_begin and cache_commit). */
int cache_cursor_get(struct cache *c, const char *source, const char *stream, char *buf, size_t len,
                     struct wb_err *err); /* "" when none */
int cache_cursor_set(struct cache *c, const char *source, const char *stream, const char *cursor,
                     struct wb_err *err);
/* Clears a stream's cursor (for a resync after an expired cursor). */
int cache_cursor_reset(struct cache *c, const char *source, const char *stream, struct wb_err *err);

/* Positions: append-only, deduplicated on (ts_ms, vehicle_id). */
int cache_add_positions(struct cache *c, const struct wb_position *p, size_t n, size_t *added,
                        struct wb_err *err);
/* Deletes at most `step` positions older than now_ms - retention_ms. Returns
 * the number deleted (0 when nothing is left to prune) or a negative error.
 * Call repeatedly from a timer so the loop never stalls. */
int64_t cache_prune_positions(struct cache *c, int64_t now_ms, int64_t retention_ms, int step,
                              struct wb_err *err);
#define CACHE_RETENTION_DEFAULT_MS (7LL * 24 * 3600 * 1000)

/* --- windowed board queries (cache/window.c) ------------------------------ */

struct cache_value {
	enum { CV_NULL, CV_INT, CV_REAL, CV_TEXT } t;
	int64_t i;
	double d;
	const char *s; /* owned by the window */
};

/* A board's query: which rows, which columns, what may filter and sort. The
 * boards themselves are defined in views/ (one file each, with their query):
 * this engine runs any of them. */
struct cache_board {
	const char *name;          /* "loads" */
	const char *from;          /* a table, or a parenthesised SELECT, with an `id` column */
	const char *const *cols;   /* selected columns, NULL-terminated; cols[0] is id */
	const char *const *search; /* columns the free-text filter looks in */
	const char *const *sorts;  /* columns a user may sort by; sorts[0] default */
	const char *status_col;    /* column the status filter compares, or NULL */
	const char *where;         /* fixed condition, or NULL (e.g. "deleted=0") */
	const char *count_from;    /* counts without a text filter read this instead of
	                            * `from` (the same rows, no joins, same status column);
	                            * NULL: `from` */
};

struct cache_window_req {
	const char *sort; /* one of board->sorts; NULL: the default */
	bool desc;
	const char *text;   /* free-text filter (bound, LIKE-escaped); NULL none */
	const char *status; /* status filter; NULL none */
	const char *id;     /* only the row with exactly this id; NULL any */
	/* Keyset: rows strictly after (after_sort, after_id) in the sort order;
	 * after_id NULL means from the start. after_sort NULL means a NULL sort value. */
	const struct cache_value *after_sort;
	const char *after_id;
	bool backward; /* rows strictly before the key instead (for scrolling up) */
	int limit;     /* 1..1000 */
};

struct cache_window {
	int ncols;
	int nrows;
	int sort_col;              /* index of the sort column within cols */
	struct cache_value *cells; /* nrows * ncols, row-major, in display order */
	char *arena;               /* owns every text cell */
	size_t arena_len, arena_cap;
};

int cache_window(struct cache *c, const struct cache_board *b, const struct cache_window_req *req,
                 struct cache_window *out, struct wb_err *err);
void cache_window_free(struct cache_window *w);

/* Counts the rows matching the filters (for "n of N" in a board header). */
int64_t cache_window_count(struct cache *c, const struct cache_board *b,
                           const struct cache_window_req *req, struct wb_err *err);

/* --- actions (cache/action.c) ----------------------------------------------- */

/* A user's (or an automatic rule's) action on a record, recorded so nothing can
 * lose it: the outbox row that carries it to the owning source and the audit
 * row that says who did what commit together, or neither does. The synced
 * record itself is not edited: the source's answer comes back through sync,
 * and until then the outbox shows the action pending. */
struct cache_action {
	const char *source;       /* the source that owns the subject: "tms" */
	const char *action;       /* "release_load", "approve_exception", ... */
	const char *subject;      /* "load:L-1042" */
	const char *payload;      /* JSON object sent to the source; NULL: {} */
	const char *user;         /* a user name, never a token */
	const char *role;         /* "dispatcher", "supervisor", "system" */
	const char *before;       /* JSON for the audit row, or NULL */
	const char *after;        /* JSON for the audit row, or NULL; the outbox key is added */
	const char *reason;       /* an override reason or a note, or NULL */
	const char *display_name; /* the person's name as the config gives it ("user"),
	                           * recorded beside user; NULL: the connection's
	                           * (cache_set_display_name) */
	int64_t at;
};

/* Records a; fills key_out with the outbox idempotency key and *audit_seq (if
 * given) with the audit row's number. */
int cache_action_record(struct cache *c, const struct cache_action *a, char key_out[40],
                        int64_t *audit_seq, struct wb_err *err);
/* The newest action on subject not yet answered (pending or inflight), for a
 * board's "pending" mark: fills action. WB_ENOTFOUND when there is none. */
int cache_action_pending(struct cache *c, const char *subject, char *action, size_t len,
                         struct wb_err *err);
/* The newest recorded `action` on subject, by user (NULL: by anyone), whatever
 * became of its delivery: read from the audit trail, which keeps every action
 * ever recorded, so an automatic rule can decide once and never again, across
 * runs and restarts. Fills *seq (if given) with its audit seq, which orders it
 * against other actions on the subject, and after (if given) with its audit
 * "after" JSON. WB_ENOTFOUND when there is none. */
int cache_action_last(struct cache *c, const char *subject, const char *action, const char *user,
                      int64_t *seq, char *after, size_t len, struct wb_err *err);
/* The audit seq of the newest action of any kind on subject (0: none yet), for
 * a rule that decided on a snapshot to tell, later, whether anything was
 * recorded on the subject since: a read over the audit's (subject, seq) index. */
int cache_subject_last_seq(struct cache *c, const char *subject, int64_t *seq, struct wb_err *err);

/* --- resync (cache/resync.c) ------------------------------------------------ */

/* A stream whose cursor expired is read again from the start. Records the
 * source deleted meanwhile (their tombstones purged) would stay in the cache,
 * so while a resync runs the ids of each page are remembered, and at the end
 * of the pass the stream's rows that were not seen are tombstoned. */
int cache_resync_begin(struct cache *c, const char *source, const char *stream, struct wb_err *err);
bool cache_resync_active(struct cache *c, const char *source, const char *stream);
/* Remembers ids (call inside the page's transaction). */
int cache_resync_mark(struct cache *c, const char *source, const char *stream,
                      const char *const *ids, size_t n, struct wb_err *err);
/* Tombstones the entity's rows of this source not seen in the pass; returns
 * how many, or a negative error. */
int64_t cache_resync_finish(struct cache *c, const char *source, const char *stream,
                            enum wb_entity e, struct wb_err *err);

/* --- health (cache/health.c) ------------------------------------------------ */

/* One stream's health, as the Health board and `waybill doctor` show it. */
struct cache_health {
	char source[32];
	char stream[48];
	int64_t last_ok_at;      /* 0: never */
	int64_t last_attempt_at; /* 0: never */
	int errors_in_row;
	int64_t lag_s;        /* how far behind the source the stream is; -1 unknown */
	int64_t rows_total;   /* records written by this stream since the cache was made */
	char last_error[256]; /* "" after a success */
	int64_t rejected;     /* live events the connector refused, left out of their batch */
};

/* A successful poll or batch: errors cleared, lag and counts recorded. */
int cache_health_ok(struct cache *c, const char *source, const char *stream, int64_t now,
                    int64_t lag_s, int64_t rows, struct wb_err *err);
/* A failed attempt: errors_in_row grows and the message (which must carry no
 * secret) is kept for the user. */
int cache_health_error(struct cache *c, const char *source, const char *stream, int64_t now,
                       const char *message, struct wb_err *err);
/* n live events refused by the connector and left out of their batch: added to
 * the stream's count (the Health board's REJ); the stream stays healthy. Joins
 * the caller's transaction, so the count moves with the batch and its cursor. */
int cache_health_rejected(struct cache *c, const char *source, const char *stream, int64_t n,
                          struct wb_err *err);
/* Every stream's health, sorted by source and stream; *out is malloc'd. */
int cache_health_list(struct cache *c, struct cache_health **out, size_t *n, struct wb_err *err);

/* --- info (cache/info.c) --------------------------------------------------- */

struct cache_table_count {
	char table[32];
	int64_t rows;
};

struct cache_info {
	int schema_version;
	int64_t size_bytes; /* main file plus WAL */
	int ntables;
	struct cache_table_count tables[CACHE_T__COUNT];
};

int cache_info(struct cache *c, struct cache_info *info, struct wb_err *err);

/* --- outbox (cache/outbox.c) ----------------------------------------------- */

/* Actions waiting to be delivered to the source that owns the record. Every
 * write below runs in the caller's open transaction (so an action's local
 * change, outbox row and audit row commit together) or else in one of its own.
 *
 * Order: items are numbered in enqueue order. An item is not claimed while an
 * older item of the same subject (for any source) is pending or inflight,
 * waiting retries included; delivered and failed items block nothing, so one
 * rejected action cannot hold up its subject forever. Different subjects
 * proceed independently. */
enum outbox_status { OUTBOX_PENDING, OUTBOX_INFLIGHT, OUTBOX_DELIVERED, OUTBOX_FAILED };

struct outbox_item {
	char key[40]; /* UUID v4 idempotency key, lower-case, 36 chars */
	char source[32];
	char action[48];  /* "release_load", "place_hold", ... */
	char subject[96]; /* "load:L-1042" — actions on one subject keep their order */
	char *payload;    /* JSON text, owned by the item */
	char user[64];    /* who asked: a user name, never a token */
	int64_t created_at;
	int attempts; /* deliveries started (claims), crashed ones included */
	int64_t next_attempt_at;
	enum outbox_status status;
	char *answer;    /* the source's last answer (message), owned; NULL if none */
	int http_status; /* of the last answer; 0 if none */
};

/* Enqueues an action, due at once; fills key_out (37 bytes used) with its new
 * idempotency key. source, action, subject and user must be non-empty and fit
 * their fields in struct outbox_item; payload_json must parse as JSON.
 * WB_EINVALID otherwise, with nothing written. */
int outbox_enqueue(struct cache *c, const char *source, const char *action, const char *subject,
                   const char *payload_json, const char *user, int64_t now, char key_out[40],
                   struct wb_err *err);
/* Claims the due item of source that has been due the longest (pending,
 * next_attempt_at <= now, not blocked by its subject, see above; the oldest
 * first among those due at the same time), marks it inflight, counts the attempt and
 * fills it (free with outbox_item_free). WB_ENOTFOUND when nothing is due;
 * finding nothing takes no write lock. Inflight items left by a crash are
 * pending again on the next open. */
int outbox_claim(struct cache *c, const char *source, int64_t now, struct outbox_item *it,
                 struct wb_err *err);
/* The three answers below record http_status (<= 0: none) and answer (NULL:
 * none) on an open (pending or inflight) item. WB_ENOTFOUND for an unknown key,
 * WB_ECONFLICT for an item already delivered or failed: those are final. */
int outbox_delivered(struct cache *c, const char *key, int http_status, const char *answer,
                     int64_t now, struct wb_err *err);
/* A permanent failure: kept with the source's answer for the user, never retried,
 * and no longer blocks later actions on its subject. */
int outbox_failed(struct cache *c, const char *key, int http_status, const char *answer,
                  int64_t now, struct wb_err *err);
/* A transient failure: pending again, due at next_attempt_at (the caller computes
 * it, see outbox_backoff_s); it keeps blocking later actions on its subject. */
int outbox_retry(struct cache *c, const char *key, int http_status, const char *answer,
                 int64_t next_attempt_at, struct wb_err *err);
/* Exponential backoff with full jitter: the wait after attempt n is uniform in
 * 1 .. min(2^n, 300) s, picked by `random` (so tests can fix it). Attempt 1 ->
 * 1..2 s; attempts < 1 count as 1. */
int64_t outbox_backoff_s(int attempts, uint32_t random);
/* Fills it with the item of key (free with outbox_item_free). WB_ENOTFOUND. */
int outbox_get(struct cache *c, const char *key, struct outbox_item *it, struct wb_err *err);
void outbox_item_free(struct outbox_item *it);
/* Depth (pending + inflight) of source, or of all sources when source is NULL,
 * and the created_at of the oldest of them (0 if none). Either out may be NULL. */
int outbox_depth(struct cache *c, const char *source, int64_t *depth, int64_t *oldest,
                 struct wb_err *err);

/* Every action in the outbox (only the failed ones with failed_only), oldest
 * first; free with outbox_list_free (cache/outbox.c). */
int outbox_list(struct cache *c, bool failed_only, struct outbox_item **out, size_t *n,
                struct wb_err *err);
void outbox_list_free(struct outbox_item *items, size_t n);
/* A failed action back to pending, due at now (call inside the transaction that
 * audits it). WB_ECONFLICT when key is not a failed action. */
int outbox_requeue(struct cache *c, const char *key, int64_t now, struct wb_err *err);

/* --- audit (cache/audit.c) ------------------------------------------------- */

/* Who did what to which record, and why. Text must be UTF-8; before and after
 * must be JSON. user is the person's user name: callers never pass a token,
 * password or API key in any field, because rows are kept and exported as they
 * are and cannot be edited afterwards without breaking the chain. */
struct audit_entry {
	const char *user;
	const char *role;
	const char *action;
	const char *subject;
	const char *before; /* JSON or NULL */
	const char *after;  /* JSON or NULL */
	const char *reason; /* NULL when none ("" is a different, empty reason) */
	/* Who the person says they are (the config's "user"), beside user, the
	 * identity the source gave. NULL: the connection's (cache_set_display_name),
	 * and for role "system" the system's own name, user. */
	const char *display_name;
	int64_t at;
};

/* The display name audit rows written on this connection carry when their
 * entry names none: the console sets the config's "user" once at start. NULL
 * or "": none. */
void cache_set_display_name(struct cache *c, const char *name);

/* The key of the audit chain (cache/audit_key.c): rows this connection appends
 * are chained by HMAC-SHA-256 under it, and audit_verify checks keyed rows'
 * MACs with it. The cache keeps a copy (wiped at close) and never reads a key
 * file itself: whoever opens the cache with settings passes it in. len 16..64
 * bytes; key NULL forgets it. WB_EINVALID for another length. */
#define AUDIT_KEY_ID_LEN 16
int cache_audit_key(struct cache *c, const unsigned char *key, size_t len, struct wb_err *err);
/* The id of the connection's key: 16 hex digits of HMAC(key, "waybill audit key
 * id"), stored on every keyed row, never secret. "" without a key. */
const char *cache_audit_key_id(const struct cache *c);
/* HMAC-SHA-256 under the connection's key of len bytes at data, as 64 hex
 * digits and a NUL into hex. -1 without a key (or when libcrypto fails). */
int cache_audit_mac(const struct cache *c, const void *data, size_t len, char hex[65]);

/* Appends a row (seq = last seq + 1, from 1) chained to the previous row's hash
 * and this row's content (encoding in cache/audit.c): by HMAC-SHA-256 under
 * the connection's key when it has one, else by SHA-256. Call inside the
 * transaction that makes the change it records: a rollback takes the row with
 * it. WB_EINVALID for a missing user/role/action/subject, text that is not
 * UTF-8 or before/after that is not JSON; WB_EDENIED when the newest row is
 * keyed and this connection has no key or another one (a plain row after a
 * keyed one would read as a rewrite). */
int audit_append(struct cache *c, const struct audit_entry *e, int64_t *seq_out,
                 struct wb_err *err);

struct audit_verify_result {
	int64_t rows;           /* rows checked (up to and including the first bad one) */
	int64_t first_bad_seq;  /* 0 when the chain is whole */
	char why[160];          /* what is wrong at first_bad_seq; "" when whole */
	int64_t plain_rows;     /* rows chained by SHA-256 alone (written before a key) */
	int64_t keyed_rows;     /* rows chained by HMAC under a key */
	int64_t unchecked;      /* keyed rows whose MAC was not checked: no key given */
	int64_t last_plain_seq; /* the newest plain row, 0 if none */
	char key_id[AUDIT_KEY_ID_LEN + 1]; /* the keyed rows' key id, "" if none */
};
/* Walks the chain in seq order and stops at the first broken link: an edited
 * row (content does not match its hash, or its MAC under the connection's
 * key), a removed row (a seq gap: first_bad_seq is the missing seq), a
 * reordered row, a changed prev_hash, a plain row after a keyed one, or a row
 * keyed with a key other than the connection's. Without a key, keyed rows are
 * checked for their links only (counted in unchecked). A read; works on a
 * read-only cache. Returns 0 whether or not the chain is whole; non-zero only
 * when the cache cannot be read. Removing the newest rows is not detectable
 * from the chain alone: check an anchor (app/audit_anchor.h). */
int audit_verify(struct cache *c, struct audit_verify_result *r, struct wb_err *err);

/* The newest row of the chain, what an anchor records (cache/audit_key.c). */
struct audit_head {
	int64_t seq;                       /* 0: the trail is empty */
	int64_t rows;                      /* count of rows */
	char hash[65];                     /* the newest row's hash or MAC, hex */
	char key_id[AUDIT_KEY_ID_LEN + 1]; /* its key id, "" for a plain row */
	char chain[33];                    /* the cache's chain id (random, schema 6), "" if none */
};
int audit_head(struct cache *c, struct audit_head *h, struct wb_err *err);
/* The hash of row seq into hash (65 bytes); *found 0 when there is no such row. */
int audit_hash_at(struct cache *c, int64_t seq, char hash[65], int *found, struct wb_err *err);
/* Writes rows with at >= since as JSON lines (jansson), oldest first, one
 * object per row: seq, at, user, role, action, subject, before, after, reason
 * (before/after as the JSON text that was hashed, or null), prev_hash, hash,
 * key_id (null for a plain SHA-256 row). */
int audit_export(struct cache *c, int64_t since, FILE *out, struct wb_err *err);

/* --- derived state (cache/derived.c) ---------------------------------------- */

/* What the local workflow pass concludes, kept beside the synced rows: a
 * vehicle's readiness ("ready", "limited", "held") with its reasons joined by
 * "; " (NULL when none), and KPI samples for the KPI board. Each write runs in
 * the caller's transaction or one of its own; only a changed row is written and
 * touches its table (so an unchanged verdict wakes no board). *changed, if
 * given, is set to 1 when the row was written. */
int cache_readiness_put(struct cache *c, const char *vehicle_id, const char *state,
                        const char *reasons, int64_t at, int *changed, struct wb_err *err);
/* One KPI sample (value NAN: nothing to measure) at `at`; a sample for the same
 * name and time replaces it. Samples older than keep_after are deleted. */
int cache_kpi_sample_put(struct cache *c, const char *name, int64_t at, double value,
                         int64_t keep_after, struct wb_err *err);

/* --- detail (cache/detail.c) ----------------------------------------------- */
/* BEGIN detail block (owned by the console: tui/, views/) */

/* Everything joined about one record, for a board's detail pane: records in
 * sections ("stop", "vehicle", "audit", ...), each a row of named values. */
struct cache_detail_rec {
	const char *section; /* static text */
	int nfields;
	char **names;             /* column names, owned */
	struct cache_value *vals; /* nfields values; text owned */
};

struct cache_detail {
	int nrecs, cap;
	struct cache_detail_rec *recs;
};

/* Fills out with what is known about record id of kind ("load": its stops,
 * vehicle, driver, staging, POD, invoice, exceptions and audit history;
 * "vehicle", "exception", "staging", "maint" (a fault or work order), "audit").
 * The id is bound, never spliced. WB_EINVALID for an unknown kind; a record
 * that does not exist gives no records and 0. Free with cache_detail_free. */
int cache_detail(struct cache *c, const char *kind, const char *id, struct cache_detail *out,
                 struct wb_err *err);
void cache_detail_free(struct cache_detail *d);

/* END detail block */

#endif
