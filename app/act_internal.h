/* Shared by app/act.c and app/act_more.c: building an action's result and
 * recording it; not a public header. */
#ifndef WAYBILL_APP_ACT_INTERNAL_H
#define WAYBILL_APP_ACT_INTERNAL_H

#include <jansson.h>

#include "app/app.h"

void app_result_begin(struct app_result *r, const char *id, const char *action);
/* Adds a reason (counted in r->more beyond APP_MAX_WHY). */
void app_why(struct app_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Refused, for this reason (the first kind given is kept). */
void app_refuse(struct app_result *r, enum app_refusal kind, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void app_error(struct app_result *r, const struct wb_err *err);
/* An audit row's before/after text: {"k1":"v1"} or {"k1":"v1","k2":"v2"} (k2
 * NULL for one), each value cut to 60 bytes of whole UTF-8 and escaped as
 * JSON, since statuses and ids come from sources ("{}" if it cannot). */
void app_json_text(char *buf, size_t len, const char *k1, const char *v1, const char *k2,
                   const char *v2);
void app_reasons(struct app_result *r, const struct core_reasons *rs);
/* The one role check of every action: false (r refused) when the actor may not. */
bool app_check_role(const struct app_ctx *x, enum core_action act, const struct wb_exception *e,
                    struct app_result *r);
/* true (r refused) while an action on subject waits for its source. */
bool app_pending(const struct app_ctx *x, const char *subject, struct app_result *r);
/* app/act_kind.c: true (r refused, with the kind's reason) when the kind of
 * the source that owns subject cannot take r->action; nothing is queued. */
bool app_source_refuses(const struct app_ctx *x, struct app_result *r, const char *source,
                        const char *subject, json_t *payload);
/* Records r->action on subject (outbox + audit, one transaction) unless one is
 * pending; payload is stolen. */
void app_record(const struct app_ctx *x, struct app_result *r, const char *source,
                const char *subject, json_t *payload, const char *before, const char *after,
                const char *reason);

/* The two-person rule on decision d about the open exception e
 * (app/approve.c). true: r is final (awaiting, refused or an error). false:
 * the decision goes ahead; *clear says a first approval is on record (to
 * clear in the decision's transaction) and after (len bytes) holds the audit
 * row's "after" naming both supervisors, or "" for the usual one. */
bool app_two_person(const struct app_ctx *x, enum app_decision d, const struct wb_exception *e,
                    const char *subject, const char *reason, struct app_result *r, bool *clear,
                    char *after, size_t len);

#endif
