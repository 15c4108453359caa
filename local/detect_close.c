/* Closing what ended, for the detectors (local/detect_run.c): after every
 * detector ran, the open local exceptions of the kinds they own that the run
 * judged again and did not find go into the plan as ended. Also the id sets a
 * run keeps of what it found and examined. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_internal.h"

/* A set of strings: appended while the run reads, sorted once, then searched. */

int idset_add(struct idset *s, const char *a, const char *b)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		char **nv = realloc(s->v, nc * sizeof(*nv));
		if (!nv)
			return WB_ENOMEM;
		s->v = nv;
		s->cap = nc;
	}
	size_t la = strlen(a), lb = b ? strlen(b) : 0;
	char *k = malloc(la + lb + 2);
	if (!k)
		return WB_ENOMEM;
	memcpy(k, a, la);
	k[la] = '\x1f';
	if (b)
		memcpy(k + la + 1, b, lb);
	k[la + 1 + lb] = '\0';
	s->v[s->n++] = k;
	s->sorted = 0;
	return 0;
}

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int idset_has(struct idset *s, const char *a, const char *b)
{
	if (!a || !s->n)
		return 0;
	if (!s->sorted) {
		qsort(s->v, s->n, sizeof(*s->v), strp_cmp);
		s->sorted = 1;
	}
	char key[256];
	snprintf(key, sizeof(key), "%s\x1f%s", a, b ? b : "");
	const char *kp = key;
	return bsearch(&kp, s->v, s->n, sizeof(*s->v), strp_cmp) != NULL;
}

void idset_free(struct idset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

/* The kinds the detectors own, and how a run knows it judged an exception of
 * that kind again. WHOLE: the detector reads every candidate (no look-back), so
 * not finding the subject means the condition ended. STOP: bound by the
 * look-back; judged only when this run examined the stop, or the stop is gone.
 * FUEL: judged when this run examined the purchase the exception rests on
 * (related_id), or the purchase is gone. */
enum judge { WHOLE, STOP, FUEL };
static const struct {
	enum core_kind kind;
	enum judge how;
} owned[] = {
        {CORE_KIND_LATE_ETA, WHOLE},
        {CORE_KIND_MISSED_WINDOW, STOP},
        {CORE_KIND_DETENTION, STOP},
        {CORE_KIND_FUEL_ANOMALY, FUEL},
        {CORE_KIND_IDLE_EXCESS, WHOLE},
        {CORE_KIND_CRITICAL_FAULT, WHOLE},
        {CORE_KIND_UNSAFE_INSPECTION, WHOLE},
        {CORE_KIND_POD_MISMATCH, WHOLE},
        {CORE_KIND_CHARGE_OUT_OF_TOLERANCE, WHOLE},
};

/* 1 when the record id of entity e is absent or a tombstone. */
static int gone(struct detect_ctx *r, enum wb_entity e, const char *id, int *rc)
{
	if (!id)
		return 0;
	int g = cache_record_gone(r->c, e, id, r->err);
	if (g < 0)
		*rc = g;
	return g > 0;
}

/* After every detector ran: each open, acknowledged or escalated local
 * exception of a kind the detectors own that this run judged again and did not
 * find is resolved. Rows from a source (origin "ai"), and ones a person
 * approved or rejected, are never touched; what the run did not look at stays. */
int detect_close_ended(struct detect_ctx *r)
{
	const char *kinds[sizeof(owned) / sizeof(owned[0])];
	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		kinds[i] = core_kind_name(owned[i].kind);
	struct cache_rows rows = {0};
	int rc = cache_snap_open_local_exceptions(r->c, &rows, kinds,
	                                          sizeof(kinds) / sizeof(kinds[0]), r->err);
	if (rc)
		return rc;
	struct cache_exc_ref x;
	int s = 0;
	while (rc == 0 && (s = cache_exc_ref_next(&rows, &x, r->err)) == 1) {
		const char *id = x.id, *kind = x.kind, *subj = x.subject_id, *rel = x.related_id;
		if (!id || !kind || idset_has(&r->found, id, NULL))
			continue;
		int k = core_kind_from_name(kind), end = 0;
		for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
			if ((int)owned[i].kind != k)
				continue;
			switch (owned[i].how) {
			case WHOLE:
				end = !(k == CORE_KIND_LATE_ETA &&
				        idset_has(&r->unsure, subj, NULL));
				break;
			case STOP:
				end = idset_has(&r->examined, kind, subj) ||
				      gone(r, WB_ENT_STOP, subj, &rc);
				break;
			case FUEL:
				end = idset_has(&r->examined, kind, rel) ||
				      gone(r, WB_ENT_FUEL_TXN, rel, &rc);
				break;
			}
		}
		if (rc == 0 && end && detect_plan_add_ended(r->plan, id, x.ext_version))
			rc = wb_fail(r->err, WB_ENOMEM, "out of memory");
	}
	cache_rows_close(&rows);
	return rc ? rc : s < 0 ? s : 0;
}
