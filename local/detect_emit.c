/* One local exception per subject and kind (local/detect_run.h,
 * detect_emit): a finding is new (written and audited), changed (ext_version
 * + 1, keeping what a human or an earlier run set: status, owner, detected_at),
 * reopened (a resolved one found again: open, audited) or unchanged (not
 * written). Shared by the detectors and the workflow pass. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "local/detect_run.h"

static int same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int same_real(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

enum verdict { V_SKIP, V_NEW, V_CHANGED, V_REOPEN };

/* What writing o would do, against the row that holds its id now (*old, with
 * its text in *strings, when it exists). Sets o's version and, for a changed
 * one, keeps what a person or an earlier run set. Read-only. */
static int judge(struct cache *c, struct core_exception_out *o, const char *related_id,
                 struct wb_exception *old, char **strings, enum verdict *v, struct wb_err *err)
{
	struct wb_err gerr = {0};
	*strings = NULL;
	o->x.related_id = related_id;
	int rc = cache_get(c, WB_ENT_EXCEPTION, o->id, old, strings, &gerr);
	if (rc != 0 && rc != WB_ENOTFOUND) {
		*err = gerr;
		return rc;
	}
	if (rc == 0 && !same_text(old->meta.source, "local")) {
		/* A source's row already holds this id: never overwrite it. */
		*v = V_SKIP;
		return 0;
	}
	int exists = rc == 0 && !old->meta.deleted;
	/* A local tombstone is raised again with the next version. */
	o->x.meta.ext_version = rc == 0 ? old->meta.ext_version + 1 : 1;
	if (!exists) {
		*v = V_NEW;
		return 0;
	}
	/* A resolved one found again: its condition came back, so it is open again
	 * (new detected_at, no owner, no resolved_at) whatever its content. */
	if (same_text(old->status, "resolved")) {
		*v = V_REOPEN;
		return 0;
	}
	if (same_text(old->severity, o->x.severity) &&
	    same_real(old->confidence, o->x.confidence) && same_real(old->impact, o->x.impact) &&
	    same_text(old->evidence, o->x.evidence) &&
	    same_text(old->required_role, o->x.required_role) &&
	    same_text(old->related_id, o->x.related_id) &&
	    same_text(old->suggested_action, o->x.suggested_action)) {
		*v = V_SKIP;
		return 0;
	}
	o->x.status = old->status;
	o->x.owner = old->owner;
	o->x.detected_at = old->detected_at;
	o->x.resolved_at = old->resolved_at;
	*v = V_CHANGED;
	return 0;
}

int detect_emit_needed(struct cache *c, struct core_exception_out *o, const char *related_id,
                       struct wb_err *err)
{
	struct wb_err lerr = {0};
	struct wb_exception old;
	char *strings = NULL;
	enum verdict v = V_SKIP;
	/* judge may point o's kept fields into strings: o is left as it came. */
	struct wb_exception keep = o->x;
	int rc = judge(c, o, related_id, &old, &strings, &v, err ? err : &lerr);
	o->x = keep;
	free(strings);
	return rc < 0 ? rc : v != V_SKIP;
}

int detect_emit(struct cache *c, struct core_exception_out *o, const char *related_id, int64_t now,
                struct detect_run_stats *stats, struct wb_err *err)
{
	struct detect_run_stats dummy = {0};
	struct wb_err lerr = {0};
	if (!err)
		err = &lerr;
	struct detect_run_stats *st = stats ? stats : &dummy;
	struct wb_exception old;
	char *strings = NULL;
	enum verdict v;
	int rc = judge(c, o, related_id, &old, &strings, &v, err);
	if (rc != 0 || v == V_SKIP) {
		st->unchanged += rc == 0;
		free(strings);
		return rc;
	}
	o->x.meta.source = "local";
	o->x.meta.ext_id = o->id;
	o->x.meta.deleted = 0;
	o->x.origin = "local";
	rc = cache_upsert(c, WB_ENT_EXCEPTION, &o->x, 1, NULL, err);
	if (rc == 0 && v == V_REOPEN) {
		char subject[160];
		snprintf(subject, sizeof(subject), "exception:%s", o->id);
		struct audit_entry a = {.user = "waybill",
		                        .role = "system",
		                        .action = "reopen_exception",
		                        .subject = subject,
		                        .before = "{\"status\":\"resolved\"}",
		                        .after = "{\"status\":\"open\"}",
		                        .reason = "condition returned",
		                        .at = now};
		rc = audit_append(c, &a, NULL, err);
		if (rc == 0)
			st->reopened++;
	} else if (rc == 0 && v == V_NEW) {
		char subject[160], after[512];
		snprintf(subject, sizeof(subject), "exception:%s", o->id);
		json_t *j =
		        json_pack("{s:s, s:s, s:s, s:f, s:f, s:s}", "kind", o->x.kind, "subject",
		                  o->subject_id, "severity", o->x.severity ? o->x.severity : "",
		                  "confidence", isnan(o->x.confidence) ? 0.0 : o->x.confidence,
		                  "impact", isnan(o->x.impact) ? 0.0 : o->x.impact, "required_role",
		                  o->x.required_role ? o->x.required_role : "");
		char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		snprintf(after, sizeof(after), "%s", s ? s : "{}");
		free(s);
		json_decref(j);
		struct audit_entry a = {.user = "waybill",
		                        .role = "system",
		                        .action = "raise_exception",
		                        .subject = subject,
		                        .after = after,
		                        .at = now};
		rc = audit_append(c, &a, NULL, err);
		if (rc == 0)
			st->raised++;
	} else if (rc == 0) {
		st->refreshed++;
	}
	free(strings);
	return rc;
}
