/* What one workflow pass decided (local/workflow_run.h): the plan the
 * rules fill from one read snapshot, and its application in one write
 * transaction that re-validates each decision first.
 *
 * A plan is a few growable arrays over one string arena (text is kept as
 * offsets into it, so growing it moves nothing the arrays hold). A decision is
 * a range of records, of keys and of findings. Apply writes a decision only
 * while each of its keys holds: the subject's newest audit seq is the one the
 * plan saw (nothing recorded on it since, by a person or another pass) and,
 * where the rule checked, no action on it waits in the outbox. A verdict is
 * written only while the stored one is still the one the plan compared with.
 * What fails its check is dropped, counted as put off: the next pass judges it
 * again from fresh facts, so nothing is decided twice or on stale facts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "workflow_internal.h"

#define NOSTR SIZE_MAX /* the offset of a NULL string */

struct wf_ready {
	size_t vid, state, reasons;      /* the verdict to write */
	size_t seen_state, seen_reasons; /* the stored row the plan compared with */
	int seen;                        /* 0: there was no stored row */
};

struct wf_rec {
	enum wf_count n;
	size_t source, action, subject, payload, before, after, reason;
};

struct wf_key {
	size_t subject;
	int64_t seq; /* the subject's newest audit seq at plan time, 0: none */
	int pending; /* 1: the rule saw nothing pending on it; apply checks again */
};

struct wf_find {
	struct core_exception_out o; /* rebound to a copy before detect_emit */
	size_t related;
};

struct wf_decision {
	size_t rec, nrec, key, nkey, find, nfind; /* ranges in the arrays */
};

struct workflow_plan {
	int64_t now;
	char *str;
	size_t nstr, capstr;
	struct wf_ready *ready;
	size_t nready, capready;
	struct wf_rec *rec;
	size_t nrec, caprec;
	struct wf_key *key;
	size_t nkey, capkey;
	struct wf_find *find;
	size_t nfind, capfind;
	struct wf_decision *dec;
	size_t ndec, capdec;
	struct wf_decision open; /* the decision being built */
};

/* arr with room for need elements (reallocated, doubling), or NULL with arr
 * left as it was. */
static void *grow(void *arr, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return arr;
	size_t n = *cap ? *cap : 16;
	while (n < need && n <= SIZE_MAX / 2)
		n *= 2;
	if (n < need || n > SIZE_MAX / size)
		return NULL;
	void *p = realloc(arr, n * size);
	if (p)
		*cap = n;
	return p;
}

/* Room for one more element in pl->arr, or return WB_ENOMEM from the caller. */
#define GROW(w, pl, arr, n, cap)                                                                   \
	do {                                                                                       \
		void *g_ = grow((pl)->arr, &(pl)->cap, (pl)->n + 1, sizeof(*(pl)->arr));           \
		if (!g_)                                                                           \
			return wb_fail((w)->err, WB_ENOMEM, "out of memory");                      \
		(pl)->arr = g_;                                                                    \
	} while (0)

/* Copies s into the arena: *off its offset (NOSTR for NULL). */
static int str_put(struct wf *w, const char *s, size_t *off)
{
	struct workflow_plan *p = w->plan;
	*off = NOSTR;
	if (!s)
		return 0;
	size_t len = strlen(s) + 1;
	void *g = grow(p->str, &p->capstr, p->nstr + len, 1);
	if (!g)
		return wb_fail(w->err, WB_ENOMEM, "out of memory");
	p->str = g;
	memcpy(p->str + p->nstr, s, len);
	*off = p->nstr;
	p->nstr += len;
	return 0;
}

static const char *str_at(const struct workflow_plan *p, size_t off)
{
	return off == NOSTR ? NULL : p->str + off;
}

struct workflow_plan *wf_plan_new(int64_t now)
{
	struct workflow_plan *p = calloc(1, sizeof(*p));
	if (p)
		p->now = now;
	return p;
}

void workflow_plan_free(struct workflow_plan *p)
{
	if (!p)
		return;
	free(p->str);
	free(p->ready);
	free(p->rec);
	free(p->key);
	free(p->find);
	free(p->dec);
	free(p);
}

size_t workflow_plan_size(const struct workflow_plan *p)
{
	return p ? p->nready + p->ndec : 0;
}

int wf_plan_readiness(struct wf *w, const char *vehicle_id, const char *state, const char *reasons,
                      int seen, const char *seen_state, const char *seen_reasons)
{
	struct workflow_plan *p = w->plan;
	GROW(w, p, ready, nready, capready);
	struct wf_ready *r = &p->ready[p->nready];
	int rc;
	if ((rc = str_put(w, vehicle_id, &r->vid)) || (rc = str_put(w, state, &r->state)) ||
	    (rc = str_put(w, reasons, &r->reasons)) ||
	    (rc = str_put(w, seen ? seen_state : NULL, &r->seen_state)) ||
	    (rc = str_put(w, seen ? seen_reasons : NULL, &r->seen_reasons)))
		return rc;
	r->seen = seen;
	p->nready++;
	return 0;
}

void wf_decision_begin(struct wf *w)
{
	struct workflow_plan *p = w->plan;
	p->open = (struct wf_decision){.rec = p->nrec, .key = p->nkey, .find = p->nfind};
}

int wf_key(struct wf *w, const char *subject, int pending_checked)
{
	struct workflow_plan *p = w->plan;
	for (size_t i = p->open.key; i < p->nkey; i++)
		if (!strcmp(str_at(p, p->key[i].subject), subject)) {
			p->key[i].pending |= pending_checked;
			return 0;
		}
	GROW(w, p, key, nkey, capkey);
	struct wf_key *k = &p->key[p->nkey];
	int rc = cache_subject_last_seq(w->c, subject, &k->seq, w->err);
	if (rc == 0)
		rc = str_put(w, subject, &k->subject);
	if (rc)
		return rc;
	k->pending = pending_checked;
	p->nkey++;
	return 0;
}

int wf_record(struct wf *w, enum wf_count n, const char *source, const char *action,
              const char *subject, json_t *payload, const char *before, json_t *after,
              const char *reason)
{
	struct workflow_plan *p = w->plan;
	char why[APP_WHY_LEN];
	if (!app_source_can(w->cfg, source, action, subject, payload, why, sizeof(why))) {
		/* Refused before it is queued, as a person's action would be. */
		json_decref(payload);
		json_decref(after);
		w->st.unsupported++;
		return 0;
	}
	char *body = json_dumps(payload ? payload : json_object(), JSON_COMPACT | JSON_SORT_KEYS);
	char *aft = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(payload);
	json_decref(after);
	int rc = 0;
	if (!body || (after && !aft))
		rc = wb_fail(w->err, WB_ENOMEM, "out of memory");
	if (rc == 0)
		rc = wf_key(w, subject, 0);
	void *g = rc == 0 ? grow(p->rec, &p->caprec, p->nrec + 1, sizeof(*p->rec)) : NULL;
	if (rc == 0 && !g)
		rc = wb_fail(w->err, WB_ENOMEM, "out of memory");
	if (rc == 0) {
		p->rec = g;
		struct wf_rec *r = &p->rec[p->nrec];
		r->n = n;
		if ((rc = str_put(w, source, &r->source)) == 0 &&
		    (rc = str_put(w, action, &r->action)) == 0 &&
		    (rc = str_put(w, subject, &r->subject)) == 0 &&
		    (rc = str_put(w, body, &r->payload)) == 0 &&
		    (rc = str_put(w, before, &r->before)) == 0 &&
		    (rc = str_put(w, aft, &r->after)) == 0 &&
		    (rc = str_put(w, reason, &r->reason)) == 0)
			p->nrec++;
	}
	free(body);
	free(aft);
	return rc;
}

int wf_finding(struct wf *w, const struct core_exception_out *o, const char *related_id)
{
	struct workflow_plan *p = w->plan;
	GROW(w, p, find, nfind, capfind);
	struct wf_find *f = &p->find[p->nfind];
	/* id, subject_id and evidence point into o itself: rebound on a copy when
	 * applied. The rest of its text is static (core_exception_init). */
	f->o = *o;
	int rc = str_put(w, related_id, &f->related);
	if (rc == 0)
		p->nfind++;
	return rc;
}

int wf_decision_end(struct wf *w)
{
	struct workflow_plan *p = w->plan;
	struct wf_decision d = p->open;
	d.nrec = p->nrec - d.rec;
	d.nkey = p->nkey - d.key;
	d.nfind = p->nfind - d.find;
	wf_decision_begin(w);
	if (d.nrec + d.nfind == 0) {
		p->nkey = d.key; /* keys of a decision that writes nothing */
		return 0;
	}
	GROW(w, p, dec, ndec, capdec);
	p->dec[p->ndec++] = d;
	return 0;
}

/* ---- apply ------------------------------------------------------------------ */

static int apply_readiness(struct cache *c, const struct workflow_plan *p,
                           struct workflow_run_stats *st, struct wb_err *err)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < p->nready; i++) {
		const struct wf_ready *r = &p->ready[i];
		/* The stored verdict is the plan's already (0), still the one the
		 * plan compared with (1; state NULL: there was none, and the table's state is never
		 * NULL), or neither. */
		const struct cache_verdict cand[2] = {
		        {str_at(p, r->state), str_at(p, r->reasons)},
		        {r->seen ? str_at(p, r->seen_state) : NULL,
		         r->seen ? str_at(p, r->seen_reasons) : NULL},
		};
		size_t match;
		int changed = 0;
		if ((rc = cache_readiness_match(c, str_at(p, r->vid), cand, 2, &match, err)) ||
		    match == 0)
			continue;
		if (match != 1) {
			st->pending++; /* another pass wrote a verdict since the plan's snapshot */
			continue;
		}
		rc = cache_readiness_put(c, str_at(p, r->vid), str_at(p, r->state),
		                         str_at(p, r->reasons), p->now, &changed, err);
		st->readiness_written += changed == 1;
	}
	return rc;
}

/* 1 while every key of d holds, 0 when its subject moved on, <0 on error. */
static int still_valid(struct cache *c, const struct workflow_plan *p, const struct wf_decision *d,
                       struct wb_err *err)
{
	for (size_t i = d->key; i < d->key + d->nkey; i++) {
		const struct wf_key *k = &p->key[i];
		const char *subject = str_at(p, k->subject);
		int64_t seq = 0;
		int rc = cache_subject_last_seq(c, subject, &seq, err);
		if (rc)
			return rc;
		if (seq != k->seq)
			return 0; /* recorded on since the plan */
		if (!k->pending)
			continue;
		char action[48];
		struct wb_err e = {0};
		rc = cache_action_pending(c, subject, action, sizeof(action), &e);
		if (rc == 0)
			return 0;
		if (rc != WB_ENOTFOUND) {
			if (err)
				*err = e;
			return rc;
		}
	}
	return 1;
}

static int apply_decision(struct cache *c, const struct workflow_plan *p,
                          const struct wf_decision *d, struct workflow_run_stats *st,
                          struct wb_err *err)
{
	int rc = still_valid(c, p, d, err);
	if (rc <= 0) {
		st->pending += rc == 0;
		return rc;
	}
	rc = 0;
	for (size_t i = d->rec; rc == 0 && i < d->rec + d->nrec; i++) {
		const struct wf_rec *r = &p->rec[i];
		struct cache_action a = {.source = str_at(p, r->source),
		                         .action = str_at(p, r->action),
		                         .subject = str_at(p, r->subject),
		                         .payload = str_at(p, r->payload),
		                         .user = WORKFLOW_USER,
		                         .role = WORKFLOW_ROLE,
		                         .before = str_at(p, r->before),
		                         .after = str_at(p, r->after),
		                         .reason = str_at(p, r->reason),
		                         .at = p->now};
		if ((rc = cache_action_record(c, &a, NULL, NULL, err)))
			break;
		st->work_orders += r->n == WF_N_WORK_ORDER;
		st->holds_placed += r->n == WF_N_HOLD_PLACED;
		st->holds_cleared += r->n == WF_N_HOLD_CLEARED;
		st->invoices_released += r->n == WF_N_RELEASED;
		st->invoices_held += r->n == WF_N_HELD;
	}
	for (size_t i = d->find; rc == 0 && i < d->find + d->nfind; i++) {
		struct core_exception_out o = p->find[i].o; /* detect_emit fills it in */
		core_exception_rebind(&o);
		rc = detect_emit(c, &o, str_at(p, p->find[i].related), p->now, &st->exceptions,
		                 err);
	}
	return rc;
}

int workflow_apply(struct cache *c, const struct workflow_plan *p, struct workflow_run_stats *stats,
                   struct wb_err *err)
{
	struct wb_err local = {0};
	if (!err)
		err = &local;
	if (!c || !p)
		return wb_fail(err, WB_EINVALID,
		               "workflow_apply: a cache and a plan must be given");
	if (cache_in_txn(c))
		return wb_fail(err, WB_EINVALID,
		               "the workflow pass cannot be applied inside a transaction");
	struct workflow_run_stats st = {.now = p->now};
	st.exceptions.now = p->now;
	int rc = 0;
	if (workflow_plan_size(p) > 0) { /* an empty plan takes no write lock */
		if ((rc = cache_begin(c, err)))
			return rc;
		rc = apply_readiness(c, p, &st, err);
		for (size_t i = 0; rc == 0 && i < p->ndec; i++)
			rc = apply_decision(c, p, &p->dec[i], &st, err);
		if (rc == 0)
			rc = cache_commit(c, err);
		else
			cache_rollback(c);
	}
	if (rc == 0 && stats)
		*stats = st;
	return rc;
}
