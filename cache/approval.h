/* Decisions awaiting their second supervisor (the two-person rule, docs/design.md
 * §6, §8): app/ records the first supervisor's approval of an exception here, in
 * the transaction of its audit row, and clears it when a second, different
 * supervisor completes the decision or anyone rejects the exception. Kept apart
 * from the exception row, which its source may rewrite on any sync. */
#ifndef WAYBILL_CACHE_APPROVAL_H
#define WAYBILL_CACHE_APPROVAL_H

#include <stdint.h>

#include "base/err.h"
#include "cache/cache.h"

/* The first approval of one exception. */
struct cache_approval {
	char user[256]; /* the identity the source gave the first supervisor */
	char role[24];
	char display_name[128]; /* what they call themselves (the config's "user"), "" if none */
	int64_t at;
	int64_t audit_seq; /* the audit row that recorded it */
};

/* The first approval of exception id: 1 (out filled), 0 none, <0 error. */
int cache_approval_get(struct cache *c, const char *exception_id, struct cache_approval *out,
                       struct wb_err *err);

/* Records a's user and role as the first approval of exception_id and appends
 * a (its audit row), in one transaction (the caller's, or one of its own).
 * WB_EINVALID when one is recorded already: a decision has one first approver. */
int cache_approval_first(struct cache *c, const char *exception_id, const struct audit_entry *a,
                         struct wb_err *err);

/* Forgets the first approval of exception_id (none: not an error). In the
 * caller's transaction, with the decision it ends. */
int cache_approval_clear(struct cache *c, const char *exception_id, struct wb_err *err);

#endif
