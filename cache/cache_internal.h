/* Private to cache/: the connection struct and helpers the cache modules share. */
#ifndef WAYBILL_CACHE_INTERNAL_H
#define WAYBILL_CACHE_INTERNAL_H

#include <limits.h>
#include <sqlite3.h>

#include "cache/cache.h"

/* Statements made once and reused; indexes into struct cache.stmts. */
enum cache_stmt {
	ST_CURSOR_GET,
	ST_CURSOR_SET,
	ST_POS_INSERT,
	ST_POS_SEEN,
	ST_POS_PRUNE_FIND,
	ST_POS_PRUNE,
	ST_POS_OLDER,
	ST_OUTBOX_ENQUEUE,
	ST_OUTBOX_CLAIM,
	ST_OUTBOX_MARK_INFLIGHT,
	ST_OUTBOX_FINISH,
	ST_OUTBOX_RETRY,
	ST_OUTBOX_GET,
	ST_OUTBOX_DEPTH,
	ST_AUDIT_LAST,
	ST_AUDIT_APPEND,
	ST_AUDIT_WALK,
	ST_AUDIT_EXPORT,
	ST_AUDIT_HEAD,
	ST_AUDIT_AT,
	ST_HEALTH_OK,
	ST_HEALTH_ERROR,
	ST_HEALTH_REJECTED,
	ST_RESYNC_ACTIVE,
	ST_RESYNC_MARK,
	ST_ACTION_PENDING,
	ST_ACTION_LAST,
	ST_SUBJECT_LAST_SEQ,
	ST_READINESS_PUT,
	ST_KPI_SAMPLE_PUT,
	ST_KPI_SAMPLE_PRUNE,
	ST__COUNT
};

/* "This exception is still open", in SQL: the same rule as core_exception_open
 * (open, acknowledged or escalated; no status yet counts as open). */
#define CACHE_EXC_OPEN_SQL "coalesce(status, 'open') IN ('open','acknowledged','escalated')"

#define CACHE_LRU_SIZE 8

struct cache_lru {
	struct {
		char *sql;
		sqlite3_stmt *st;
		unsigned used;
	} e[CACHE_LRU_SIZE];
	unsigned tick;
};

struct cache {
	sqlite3 *db;
	char path[PATH_MAX];
	int schema_version;
	int txn;          /* 1 inside cache_begin .. commit/rollback */
	uint32_t touched; /* tables written in the open transaction */
	cache_change_fn on_change;
	void *on_change_arg;
	sqlite3_stmt *upsert[WB_ENT__COUNT];
	sqlite3_stmt *get[WB_ENT__COUNT];
	sqlite3_stmt *stmts[ST__COUNT];
	/* Board window queries and list reads are built from a few shapes each;
	 * keep the last few of each prepared. */
	struct cache_lru window_stmts, list_stmts;
	char display_name[128]; /* cache_set_display_name; "" none */
	/* cache_audit_key: the audit chain's key (wiped at close), its length
	 * (0: none) and its id as stored on keyed rows. */
	unsigned char audit_key[64];
	size_t audit_key_len;
	char audit_key_id[AUDIT_KEY_ID_LEN + 1];
};

/* Returns the prepared statement for sql from lru (reset, bindings cleared),
 * preparing it and evicting the least recently used one when it is new. The
 * caller steps it to the end or resets it, and never holds it across another
 * call that uses the same lru. NULL with err set on failure. */
sqlite3_stmt *cache_lru_prepare(struct cache *c, struct cache_lru *lru, const char *sql,
                                const char *what, struct wb_err *err);
void cache_lru_free(struct cache_lru *lru);

int cache_migrate(struct cache *c, int from, struct wb_err *err);

/* What the typed reads of an entity select from (cache/read.c): its table, or
 * for a vehicle the view vehicle_now, its row with the maintenance source's
 * facts over its own (migration 9). Writes always go to the table. */
const char *cache_read_from(const struct wb_entity_info *info);

/* Returns the prepared statement for sql, preparing it on first use (reset and
 * unbound on return). NULL with err filled on failure. */
sqlite3_stmt *cache_stmt(struct cache *c, enum cache_stmt id, const char *sql, struct wb_err *err);

/* Runs fn inside a transaction of its own unless one is open already. */
int cache_autobegin(struct cache *c, int *began, struct wb_err *err);
int cache_autoend(struct cache *c, int began, int rc, struct wb_err *err);

/* Binding helpers for the three column types; unknown values bind NULL. */
int cache_bind_text(sqlite3_stmt *st, int i, const char *s);
int cache_bind_int(sqlite3_stmt *st, int i, int64_t v);
int cache_bind_real(sqlite3_stmt *st, int i, double v);

#endif
