/* What a detector run decided, kept apart from the reading (local/detect_run.c)
 * so the reading can run on a snapshot on another connection and thread while
 * the console's connection goes on writing, and only the changes are written,
 * in one short transaction (local/detect_run.h, detect_apply). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_internal.h"
#include "cache/approval.h"

/* A finding as compact as it can be kept (a core_exception_out is over 1 KB
 * of fixed buffers; a pass may keep tens of thousands): the row, with its id
 * and every text copied into one block (the rows it came from are gone by
 * the time it is applied). */
struct finding {
	struct wb_exception x;
	const char *id;
	const char *related; /* NULL: none */
	char *texts;
};

struct ended {
	char id[128];
	int64_t version;
};

struct detect_plan {
	int64_t now;
	int64_t fuel_mark;
	struct finding *f;
	size_t nf, capf;
	struct ended *e;
	size_t ne, cape;
};

struct detect_plan *detect_plan_new(int64_t now)
{
	struct detect_plan *p = calloc(1, sizeof(*p));
	if (p)
		p->now = now;
	return p;
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 16;
	void *nv = realloc(*v, nc * size);
	if (!nv)
		return WB_ENOMEM;
	*v = nv;
	*cap = nc;
	return 0;
}

/* Copies every text field of x, and id and related, into one block and
 * points them all at it. */
static char *keep_texts(struct wb_exception *x, const char **id, const char **related)
{
	const struct wb_entity_info *info = wb_entity_info(WB_ENT_EXCEPTION);
	size_t need = 1 + strlen(*id) + 1 + (*related ? strlen(*related) + 1 : 0);
	for (size_t i = 0; i < info->ncols; i++) {
		const char *t = info->cols[i].type == WB_TEXT
		                        ? *(const char **)((char *)x + info->cols[i].offset)
		                        : NULL;
		need += t ? strlen(t) + 1 : 0;
	}
	char *buf = malloc(need), *at = buf;
	if (!buf)
		return NULL;
	for (size_t i = 0; i < info->ncols; i++) {
		if (info->cols[i].type != WB_TEXT)
			continue;
		const char **slot = (const char **)((char *)x + info->cols[i].offset);
		if (!*slot)
			continue;
		size_t n = strlen(*slot) + 1;
		memcpy(at, *slot, n);
		*slot = at;
		at += n;
	}
	const char **extra[] = {id, related};
	for (size_t i = 0; i < 2; i++) {
		if (!*extra[i])
			continue;
		size_t n = strlen(*extra[i]) + 1;
		memcpy(at, *extra[i], n);
		*extra[i] = at;
		at += n;
	}
	return buf;
}

int detect_plan_add_finding(struct detect_plan *p, const struct core_exception_out *o,
                            const char *related_id)
{
	if (grow((void **)&p->f, &p->capf, p->nf, sizeof(*p->f)))
		return WB_ENOMEM;
	struct finding *f = &p->f[p->nf];
	struct core_exception_out copy = *o;
	core_exception_rebind(&copy);
	f->x = copy.x;
	f->id = copy.id;
	f->related = related_id;
	if (!(f->texts = keep_texts(&f->x, &f->id, &f->related)))
		return WB_ENOMEM;
	f->x.meta.id = f->id;
	p->nf++;
	return 0;
}

int detect_plan_add_ended(struct detect_plan *p, const char *id, int64_t version)
{
	if (grow((void **)&p->e, &p->cape, p->ne, sizeof(*p->e)))
		return WB_ENOMEM;
	struct ended *e = &p->e[p->ne++];
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->version = version;
	return 0;
}

void detect_plan_set_fuel_mark(struct detect_plan *p, int64_t synced_at)
{
	p->fuel_mark = synced_at;
}

int64_t detect_plan_fuel_mark(const struct detect_plan *p)
{
	return p ? p->fuel_mark : 0;
}

size_t detect_plan_size(const struct detect_plan *p)
{
	return p ? p->nf + p->ne : 0;
}

void detect_plan_free(struct detect_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nf; i++)
		free(p->f[i].texts);
	free(p->f);
	free(p->e);
	free(p);
}

/* Resolves one local exception whose condition ended (status resolved,
 * resolved_at now, the next ext_version, audited as the system), unless it
 * moved on since the plan read it: a person decided it, a run reopened or
 * refreshed it, or it is gone. */
static int resolve(struct cache *c, const struct ended *e, int64_t now, struct detect_run_stats *st,
                   struct wb_err *err)
{
	struct wb_exception x;
	char *strs = NULL;
	int rc = cache_get(c, WB_ENT_EXCEPTION, e->id, &x, &strs, err);
	if (rc == WB_ENOTFOUND) {
		free(strs);
		return 0;
	}
	if (rc) {
		free(strs);
		return rc;
	}
	const char *s = x.status ? x.status : "";
	/* One awaiting its second supervisor is a person's decision under way:
	 * the pass never ends it (nor counts as either supervisor). */
	struct cache_approval first;
	int awaiting = cache_approval_get(c, e->id, &first, err);
	if (awaiting < 0) {
		free(strs);
		return awaiting;
	}
	if (awaiting || x.meta.deleted || x.meta.ext_version != e->version || !x.meta.source ||
	    strcmp(x.meta.source, "local") != 0 || !core_exception_open(&x)) {
		st->unchanged++;
		free(strs);
		return 0;
	}
	char before[96], subject[160];
	snprintf(before, sizeof(before), "{\"status\":\"%.40s\"}", s);
	snprintf(subject, sizeof(subject), "exception:%s", e->id);
	x.status = "resolved";
	x.resolved_at = now;
	x.meta.ext_version++;
	rc = cache_upsert(c, WB_ENT_EXCEPTION, &x, 1, NULL, err);
	if (rc == 0) {
		struct audit_entry a = {.user = "waybill",
		                        .role = "system",
		                        .action = "resolve_exception",
		                        .subject = subject,
		                        .before = before,
		                        .after = "{\"status\":\"resolved\"}",
		                        .reason = "condition ended",
		                        .at = now};
		rc = audit_append(c, &a, NULL, err);
	}
	if (rc == 0)
		st->resolved++;
	free(strs);
	return rc;
}

int detect_apply(struct cache *c, const struct detect_plan *p, struct detect_run_stats *stats,
                 struct wb_err *err)
{
	struct wb_err local = {0};
	struct detect_run_stats st = {.now = p->now};
	if (!err)
		err = &local;
	if (cache_in_txn(c))
		return wb_fail(err, WB_EINVALID,
		               "detector findings cannot be written inside a transaction");
	if (!p->nf && !p->ne) {
		if (stats)
			*stats = st;
		return 0;
	}
	int rc = cache_begin(c, err);
	if (rc)
		return rc;
	for (size_t i = 0; rc == 0 && i < p->nf; i++) {
		/* Each is judged again against what the cache holds now. */
		const struct finding *f = &p->f[i];
		struct core_exception_out o;
		o.x = f->x;
		snprintf(o.id, sizeof(o.id), "%s", f->id);
		snprintf(o.subject_id, sizeof(o.subject_id), "%s",
		         f->x.subject_id ? f->x.subject_id : "");
		snprintf(o.evidence, sizeof(o.evidence), "%s", f->x.evidence ? f->x.evidence : "");
		core_exception_rebind(&o);
		rc = detect_emit(c, &o, f->related, p->now, &st, err);
	}
	for (size_t i = 0; rc == 0 && i < p->ne; i++)
		rc = resolve(c, &p->e[i], p->now, &st, err);
	if (rc == 0)
		rc = cache_commit(c, err);
	else
		cache_rollback(c);
	if (rc == 0 && stats)
		*stats = st;
	return rc;
}
