/* Anchors of the audit trail (app/audit_anchor.c): the head of the chain (seq,
 * hash or MAC, row count, time) appended as one JSON line to a file outside the
 * cache, and the check of a cache against those lines, which catches what the
 * chain alone cannot: its newest rows cut off, and a chain rewritten whole
 * (every row rehashed, or keyed rows rewritten as plain ones). */
#ifndef WAYBILL_APP_AUDIT_ANCHOR_H
#define WAYBILL_APP_AUDIT_ANCHOR_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "cache/cache.h"

/* Appends the head of c's chain to file (created 0600) as
 * {"seq","hash","key_id","rows","at","time","cache","chain"}: cache is the
 * cache's real path and chain its chain id (a random id the cache keeps), so
 * one file can anchor several caches, a moved or copied cache still finds its
 * lines, and a cache whose id was changed is still found by its path. With only_if_moved,
 * nothing is written when the newest line for this cache already names the
 * head. An empty trail is never anchored. *written (if given) says whether a
 * line was appended; head (if given) is what was anchored. */
int app_audit_anchor(struct cache *c, const char *file, int64_t now, bool only_if_moved,
                     struct audit_head *head, bool *written, struct wb_err *err);

struct app_anchor_check {
	int64_t lines;         /* anchors in the file for this cache */
	int64_t other;         /* anchors of other caches, skipped */
	int64_t newest_seq;    /* the highest anchored seq, 0 if none */
	int64_t newest_at;     /* when it was anchored */
	int64_t first_bad_seq; /* 0 when every anchor holds */
	int64_t bad_line;      /* the file's line of the anchor that fails */
	char why[320];
};
/* Checks every line of file that anchors c (by real path or by chain): the
 * anchored row must still exist with the anchored hash. A row cut off names
 * first_bad_seq as the first missing row (head + 1); a changed hash names the
 * anchored row (the rewrite is at or before it; a keyed verify names the
 * exact row). The failure with the lowest seq is kept. WB_ENOTFOUND when file
 * does not exist, WB_ECORRUPT for a line that is not an anchor. */
int app_audit_check_anchors(struct cache *c, const char *file, struct app_anchor_check *r,
                            struct wb_err *err);

#endif
