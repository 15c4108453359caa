/* The workflow pass's reads (cache/workflow_read.h).
 *
 * Readiness reads no row by key: six bound statements stream the vehicles and
 * their serious faults, latest inspections, work orders, next planned run and
 * stored verdict, each ordered by vehicle id through an index, and are merged
 * like sorted files. So the cost is one pass over each table, not six look-ups
 * per vehicle.
 *
 * The read transaction here is a private copy of what a shared snapshot helper
 * does (BEGIN deferred ... COMMIT), kept to this file until the two meet. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "rows_internal.h"
#include "cache/snapshot.h"
#include "cache/workflow_read.h"

#define WF_ID 136   /* ids are at most 128 bytes (connectors refuse longer ones) */
#define WF_TEXT 160 /* a fault's description, an inspection's defects: a reason's length */

/* One statement ordered by vehicle id (column 0), read ahead by one row. */
struct stream {
	sqlite3_stmt *st;
	int row; /* 1: a row is waiting, 0: done */
};

enum { S_VEH, S_FAULT, S_INSP, S_WO, S_RUN, S_READY, S__COUNT };

/* Binary collation orders text as strcmp does, which stream_at relies on. */
static const char *const stream_sql[S__COUNT] = {
        [S_VEH] = "SELECT id, unit, status, odometer_m, pm_due_odometer_m, on_hold, hold_reason, "
                  "source"
                  " FROM " CACHE_VEHICLE_FACTS " WHERE deleted=0 ORDER BY id",
        [S_FAULT] =
                "SELECT vehicle_id, id, code, severity, description, first_seen, last_seen, source"
                " FROM fault WHERE deleted=0 AND active=1 AND severity IN ('critical','major')"
                " AND vehicle_id IS NOT NULL ORDER BY vehicle_id, id",
        /* The latest inspection: SQLite takes the bare columns from the max() row. */
        [S_INSP] = "SELECT vehicle_id, id, kind, safe, defects, max(at) FROM inspection"
                   " WHERE deleted=0 AND at IS NOT NULL AND vehicle_id IS NOT NULL"
                   " GROUP BY vehicle_id ORDER BY vehicle_id",
        /* Open work orders, and closed ones of faults still active (a repair the
         * telematics has not cleared yet): the only ones readiness looks at. */
        [S_WO] = "SELECT vehicle_id, id, fault_id, status, category, opened_at, due_at, closed_at,"
                 " est_cost FROM work_order WHERE deleted=0 AND vehicle_id IS NOT NULL"
                 " AND (status IS NOT 'closed' OR fault_id IN"
                 " (SELECT id FROM fault WHERE deleted=0 AND active=1)) ORDER BY vehicle_id, id",
        /* The next planned run of each vehicle and its driver's clocks. */
        [S_RUN] = "SELECT l.vehicle_id, l.planned_drive_s, d.id, d.drive_left_s, d.duty_left_s,"
                  " d.cycle_left_s, min(coalesce(l.planned_departure, 9223372036854775807))"
                  " FROM load l LEFT JOIN driver d ON d.id=l.driver_id AND d.deleted=0"
                  " WHERE l.deleted=0 AND l.vehicle_id IS NOT NULL"
                  " AND l.status IN ('planned','staged','released')"
                  " GROUP BY l.vehicle_id ORDER BY l.vehicle_id",
        /* The stored verdicts: the pass keeps only a different one. */
        [S_READY] = "SELECT vehicle_id, state, reasons FROM readiness ORDER BY vehicle_id",
};

struct wf_fault {
	char id[WF_ID], vid[WF_ID], code[64], severity[16], desc[WF_TEXT];
};

struct wf_wo {
	char id[WF_ID], vid[WF_ID], fid[WF_ID], status[24], category[24];
};

struct cache_wf_read {
	struct cache *c;
	struct stream s[S__COUNT];
	int started; /* the streams are open and the vehicle at hand handed out */
	sqlite3_stmt *hold_wo, *invoices;
	/* The rows of the vehicle at hand, copied out of the streams that move on. */
	struct wb_fault faults[CACHE_WF_MAX_ROWS];
	struct wf_fault ft[CACHE_WF_MAX_ROWS];
	struct wb_work_order wos[CACHE_WF_MAX_ROWS];
	struct wf_wo wt[CACHE_WF_MAX_ROWS];
	struct wb_inspection insp;
	char insp_id[WF_ID], insp_vid[WF_ID], insp_kind[24], insp_defects[WF_TEXT];
	struct wb_driver driver;
	char driver_id[WF_ID];
};

/* ---- the read transaction -------------------------------------------------- */

int cache_wf_read_open(struct cache *c, struct cache_wf_read **out, struct wb_err *err)
{
	*out = NULL;
	struct cache_wf_read *r = calloc(1, sizeof(*r));
	if (!r)
		return wb_fail(err, WB_ENOMEM, "out of memory");
	r->c = c;
	int rc = cache_snap_begin(c, err);
	if (rc != 0) {
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int cache_wf_read_close(struct cache_wf_read *r, int ok, struct wb_err *err)
{
	if (!r)
		return 0;
	struct cache *c = r->c;
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(r->s[i].st);
	sqlite3_finalize(r->hold_wo);
	sqlite3_finalize(r->invoices);
	free(r);
	return cache_snap_end(c, ok, err);
}

/* ---- columns ---------------------------------------------------------------- */

/* Text of column i copied into buf (NULL stays NULL): returns buf or NULL. */
static const char *text(sqlite3_stmt *st, int i, char *buf, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	if (!t)
		return NULL;
	snprintf(buf, n, "%s", (const char *)t);
	return wb_utf8_trim(buf);
}

/* ---- the readiness merge ---------------------------------------------------- */

static int stream_step(struct cache_wf_read *r, struct stream *s, struct wb_err *err)
{
	int rc = sqlite3_step(s->st);
	s->row = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return cache_fail(r->c, rc, err, "reading for the workflow pass");
	return 0;
}

/* Moves s past rows of vehicles ordered before vid (rows of unknown or deleted
 * vehicles); returns 1 when its current row is vid's, 0 when not, <0 on error. */
static int stream_at(struct cache_wf_read *r, struct stream *s, const char *vid, struct wb_err *err)
{
	while (s->row) {
		const char *k = (const char *)sqlite3_column_text(s->st, 0);
		int cmp = k ? strcmp(k, vid) : -1;
		if (cmp == 0)
			return 1;
		if (cmp > 0)
			return 0;
		int rc = stream_step(r, s, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int streams_open(struct cache_wf_read *r, struct wb_err *err)
{
	for (int i = 0; i < S__COUNT; i++) {
		int rc = sqlite3_prepare_v2(r->c->db, stream_sql[i], -1, &r->s[i].st, NULL);
		if (rc != SQLITE_OK)
			return cache_fail(r->c, rc, err, "preparing a workflow read");
		if ((rc = stream_step(r, &r->s[i], err)))
			return rc;
	}
	return 0;
}

static int collect_faults(struct cache_wf_read *r, const char *vid, struct cache_wf_vehicle *v,
                          struct wb_err *err)
{
	struct stream *s = &r->s[S_FAULT];
	int rc;
	while ((rc = stream_at(r, s, vid, err)) == 1) {
		if (v->nfaults < CACHE_WF_MAX_ROWS) {
			struct wb_fault *f = &r->faults[v->nfaults];
			struct wf_fault *t = &r->ft[v->nfaults++];
			wb_entity_clear(WB_ENT_FAULT, f);
			f->vehicle_id = text(s->st, 0, t->vid, sizeof(t->vid));
			f->meta.id = f->meta.ext_id = text(s->st, 1, t->id, sizeof(t->id));
			f->code = text(s->st, 2, t->code, sizeof(t->code));
			f->severity = text(s->st, 3, t->severity, sizeof(t->severity));
			f->description = text(s->st, 4, t->desc, sizeof(t->desc));
			f->first_seen = cache_col_i64(s->st, 5);
			f->last_seen = cache_col_i64(s->st, 6);
			f->active = 1;
		} else {
			v->extra++;
		}
		if ((rc = stream_step(r, s, err)))
			return rc;
	}
	return rc < 0 ? rc : 0;
}

static int collect_work_orders(struct cache_wf_read *r, const char *vid, struct cache_wf_vehicle *v,
                               struct wb_err *err)
{
	struct stream *s = &r->s[S_WO];
	int rc;
	while ((rc = stream_at(r, s, vid, err)) == 1) {
		if (v->nwork_orders < CACHE_WF_MAX_ROWS) {
			struct wb_work_order *o = &r->wos[v->nwork_orders];
			struct wf_wo *t = &r->wt[v->nwork_orders++];
			wb_entity_clear(WB_ENT_WORK_ORDER, o);
			o->vehicle_id = text(s->st, 0, t->vid, sizeof(t->vid));
			o->meta.id = o->meta.ext_id = text(s->st, 1, t->id, sizeof(t->id));
			o->fault_id = text(s->st, 2, t->fid, sizeof(t->fid));
			o->status = text(s->st, 3, t->status, sizeof(t->status));
			o->category = text(s->st, 4, t->category, sizeof(t->category));
			o->opened_at = cache_col_i64(s->st, 5);
			o->due_at = cache_col_i64(s->st, 6);
			o->closed_at = cache_col_i64(s->st, 7);
			o->est_cost = cache_col_real(s->st, 8);
		} else {
			v->extra++;
		}
		if ((rc = stream_step(r, s, err)))
			return rc;
	}
	return rc < 0 ? rc : 0;
}

static int collect_inspection(struct cache_wf_read *r, const char *vid, struct cache_wf_vehicle *v,
                              struct wb_err *err)
{
	struct stream *s = &r->s[S_INSP];
	int rc = stream_at(r, s, vid, err);
	if (rc <= 0)
		return rc;
	struct wb_inspection *i = &r->insp;
	wb_entity_clear(WB_ENT_INSPECTION, i);
	i->vehicle_id = text(s->st, 0, r->insp_vid, sizeof(r->insp_vid));
	i->meta.id = i->meta.ext_id = text(s->st, 1, r->insp_id, sizeof(r->insp_id));
	i->kind = text(s->st, 2, r->insp_kind, sizeof(r->insp_kind));
	i->safe = cache_col_i64(s->st, 3);
	i->defects = text(s->st, 4, r->insp_defects, sizeof(r->insp_defects));
	i->at = cache_col_i64(s->st, 5);
	v->inspection = i;
	return stream_step(r, s, err);
}

static int collect_run(struct cache_wf_read *r, const char *vid, struct cache_wf_vehicle *v,
                       struct wb_err *err)
{
	struct stream *s = &r->s[S_RUN];
	int rc = stream_at(r, s, vid, err);
	if (rc <= 0)
		return rc;
	v->planned_drive_s = cache_col_i64(s->st, 1);
	if (sqlite3_column_type(s->st, 2) != SQLITE_NULL) {
		struct wb_driver *d = &r->driver;
		wb_entity_clear(WB_ENT_DRIVER, d);
		d->meta.id = d->meta.ext_id = text(s->st, 2, r->driver_id, sizeof(r->driver_id));
		d->drive_left_s = cache_col_i64(s->st, 3);
		d->duty_left_s = cache_col_i64(s->st, 4);
		d->cycle_left_s = cache_col_i64(s->st, 5);
		v->driver = d;
	}
	return stream_step(r, s, err);
}

/* The stored verdict stays the stream's current row till the next vehicle. */
static int collect_verdict(struct cache_wf_read *r, const char *vid, struct cache_wf_vehicle *v,
                           struct wb_err *err)
{
	struct stream *s = &r->s[S_READY];
	int rc = stream_at(r, s, vid, err);
	if (rc <= 0)
		return rc;
	v->stored = 1;
	v->state = (const char *)sqlite3_column_text(s->st, 1);
	v->reasons = (const char *)sqlite3_column_text(s->st, 2);
	return 0;
}

int cache_wf_vehicle_next(struct cache_wf_read *r, struct cache_wf_vehicle *v, struct wb_err *err)
{
	struct stream *s = &r->s[S_VEH];
	/* The vehicle statement is not stepped until the caller is done with the
	 * vehicle it handed out, so its text stays valid without a copy. */
	int rc = r->started ? stream_step(r, s, err) : streams_open(r, err);
	r->started = 1;
	while (rc == 0 && s->row && !sqlite3_column_text(s->st, 0))
		rc = stream_step(r, s, err);
	if (rc || !s->row)
		return rc;
	memset(v, 0, sizeof(*v));
	struct wb_vehicle *x = &v->vehicle;
	wb_entity_clear(WB_ENT_VEHICLE, x);
	x->meta.id = x->meta.ext_id = (const char *)sqlite3_column_text(s->st, 0);
	x->unit = (const char *)sqlite3_column_text(s->st, 1);
	x->status = (const char *)sqlite3_column_text(s->st, 2);
	x->odometer_m = cache_col_real(s->st, 3);
	x->pm_due_odometer_m = cache_col_real(s->st, 4);
	x->on_hold = cache_col_i64(s->st, 5);
	x->hold_reason = (const char *)sqlite3_column_text(s->st, 6);
	x->meta.source = (const char *)sqlite3_column_text(s->st, 7);
	v->faults = r->faults;
	v->work_orders = r->wos;
	v->planned_drive_s = WB_NULL;
	const char *vid = x->meta.id;
	if ((rc = collect_faults(r, vid, v, err)) || (rc = collect_work_orders(r, vid, v, err)) ||
	    (rc = collect_inspection(r, vid, v, err)) || (rc = collect_run(r, vid, v, err)) ||
	    (rc = collect_verdict(r, vid, v, err)))
		return rc;
	return 1;
}

/* ---- look-ups on the same read ---------------------------------------------- */

/* st prepared from sql on first use, else reset and unbound. */
static int once(struct cache_wf_read *r, sqlite3_stmt **st, const char *sql, const char *what,
                struct wb_err *err)
{
	if (*st) {
		sqlite3_reset(*st);
		sqlite3_clear_bindings(*st);
		return 0;
	}
	int rc = sqlite3_prepare_v2(r->c->db, sql, -1, st, NULL);
	return rc == SQLITE_OK ? 0 : cache_fail(r->c, rc, err, what);
}

int cache_wf_hold_work_order(struct cache_wf_read *r, const char *vid, const char *fault_id,
                             const char *proposal, struct wb_work_order *out, struct wb_err *err)
{
	int rc = once(r, &r->hold_wo,
	              "SELECT id, status, closed_at, fault_id, category FROM work_order"
	              " WHERE deleted=0 AND vehicle_id=?1 AND (fault_id=?2 OR id=?3)"
	              " ORDER BY coalesce(opened_at, 0) DESC, id DESC LIMIT 1",
	              "preparing the hold's work order read", err);
	if (rc)
		return rc;
	sqlite3_stmt *st = r->hold_wo;
	sqlite3_bind_text(st, 1, vid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, fault_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, proposal ? proposal : "", -1, SQLITE_STATIC);
	int s = sqlite3_step(st);
	if (s == SQLITE_DONE)
		return 0;
	if (s != SQLITE_ROW)
		return cache_fail(r->c, s, err, "reading the hold's work order");
	wb_entity_clear(WB_ENT_WORK_ORDER, out);
	out->meta.id = out->meta.ext_id = (const char *)sqlite3_column_text(st, 0);
	out->status = (const char *)sqlite3_column_text(st, 1);
	out->closed_at = cache_col_i64(st, 2);
	out->fault_id = (const char *)sqlite3_column_text(st, 3);
	out->category = (const char *)sqlite3_column_text(st, 4);
	out->vehicle_id = vid;
	return out->meta.id ? 1 : 0;
}

int cache_wf_invoice_next(struct cache_wf_read *r, const char **invoice_id, const char **load_id,
                          struct wb_err *err)
{
	if (!r->invoices) {
		/* Open invoices of delivered loads, joined by load or by order
		 * (cache.h, billing joins); the core re-checks delivery. */
		int rc = once(
		        r, &r->invoices,
		        "SELECT i.id, l.id FROM invoice i JOIN load l ON "
		        "l.id=" CACHE_BILLED_LOAD_SQL(
		                "i.load_id",
		                "i.order_id") " AND l.deleted=0"
		                              " WHERE i.deleted=0 AND i.status IN "
		                              "('draft','held','disputed')"
		                              " AND (l.delivered_at IS NOT NULL OR l.status IN "
		                              "('delivered','pod_received','invoiced'))"
		                              " ORDER BY i.id",
		        "preparing the invoice read", err);
		if (rc)
			return rc;
	}
	int s = sqlite3_step(r->invoices);
	if (s == SQLITE_DONE)
		return 0;
	if (s != SQLITE_ROW)
		return cache_fail(r->c, s, err, "reading invoices");
	*invoice_id = (const char *)sqlite3_column_text(r->invoices, 0);
	*load_id = (const char *)sqlite3_column_text(r->invoices, 1);
	return 1;
}

/* ---- apply's check ---------------------------------------------------------- */

static int same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int cache_readiness_match(struct cache *c, const char *vehicle_id, const struct cache_verdict *cand,
                          size_t n, size_t *match, struct wb_err *err)
{
	*match = n;
	sqlite3_stmt *st = cache_lru_prepare(c, &c->list_stmts,
	                                     "SELECT state, reasons FROM readiness"
	                                     " WHERE vehicle_id=?1",
	                                     "preparing the readiness read", err);
	if (!st)
		return err && err->code ? err->code : WB_EIO;
	sqlite3_bind_text(st, 1, vehicle_id, -1, SQLITE_STATIC);
	int s = sqlite3_step(st), rc = 0;
	if (s == SQLITE_ROW) {
		const char *state = (const char *)sqlite3_column_text(st, 0);
		const char *reasons = (const char *)sqlite3_column_text(st, 1);
		for (size_t i = 0; i < n && *match == n; i++)
			if (cand[i].state && same_text(state, cand[i].state) &&
			    same_text(reasons, cand[i].reasons))
				*match = i;
	} else if (s == SQLITE_DONE) {
		for (size_t i = 0; i < n && *match == n; i++)
			if (!cand[i].state)
				*match = i;
	} else {
		rc = cache_fail(c, s, err, "reading readiness");
	}
	sqlite3_reset(st);
	return rc;
}
