/* The automatic workflow pass (local/workflow_run.h): its plan phase,
 * the readiness verdict of every live vehicle, with the maintenance rule applied
 * on the way, then the invoice release rule (workflow_invoice.c), all over one
 * read transaction that writes nothing; what they decide goes into a plan that
 * workflow_apply (workflow_plan.c) writes.
 *
 * Readiness reads no row by key: six bound statements stream the vehicles and
 * their serious faults, latest inspections, work orders, next planned run and
 * stored verdict, each ordered by vehicle id through an index, and are merged
 * like sorted files. So the cost is one pass over each table, not six look-ups
 * per vehicle, and 10,000 vehicles take tens of milliseconds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings/settings.h"
#include "connectors/connector.h"
#include "workflow_internal.h"

/* ---- shared helpers --------------------------------------------------------- */

char *wf_utf8_trim(char *s)
{
	size_t n = strlen(s), i = n;
	while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80 && n - i < 3)
		i--;
	if (i == 0 || ((unsigned char)s[i - 1] & 0x80) == 0)
		return s; /* ends in ASCII (or only continuation bytes: not ours to judge) */
	unsigned char lead = (unsigned char)s[i - 1];
	size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	if (n - (i - 1) < need)
		s[i - 1] = '\0';
	return s;
}

const char *wf_text(sqlite3_stmt *st, int i, char *buf, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	if (!t)
		return NULL;
	snprintf(buf, n, "%s", (const char *)t);
	return wf_utf8_trim(buf);
}

int64_t wf_int(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? WB_NULL : sqlite3_column_int64(st, i);
}

double wf_real(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

int wf_pending(struct wf *w, const char *subject)
{
	char action[48];
	struct wb_err e = {0};
	int rc = cache_action_pending(w->c, subject, action, sizeof(action), &e);
	if (rc == 0) {
		w->st.pending++;
		return 1;
	}
	if (rc == WB_ENOTFOUND)
		return 0;
	*w->err = e;
	return rc;
}

int wf_last(struct wf *w, const char *subject, const char *action, const char *user, int64_t *seq,
            char *after, size_t len)
{
	struct wb_err e = {0};
	int rc = cache_action_last(w->c, subject, action, user, seq, after, len, &e);
	if (rc == 0)
		return 1;
	if (rc == WB_ENOTFOUND)
		return 0;
	*w->err = e;
	return rc;
}

const char *workflow_run_work_order_source(const struct settings *cfg)
{
	if (!cfg)
		return NULL;
	for (int i = 0; i < CONFIG_NROLES; i++) {
		const struct config_source *s = &cfg->sources[i];
		size_t n = 0;
		const struct connector_stream *cs =
		        s->ops && s->name ? s->ops->streams(s->name, &n) : NULL;
		for (size_t j = 0; cs && j < n; j++)
			if (cs[j].entity == WB_ENT_WORK_ORDER)
				return s->name;
	}
	return NULL;
}

/* ---- the readiness merge ---------------------------------------------------- */

/* One statement ordered by vehicle id (column 0), read ahead by one row. */
struct stream {
	sqlite3_stmt *st;
	int row; /* 1: a row is waiting, 0: done */
};

static int stream_open(struct wf *w, struct stream *s, const char *sql)
{
	int rc = sqlite3_prepare_v2(w->db, sql, -1, &s->st, NULL);
	if (rc != SQLITE_OK)
		return cache_fail(w->c, rc, w->err, "preparing a workflow read");
	return 0;
}

static int stream_step(struct wf *w, struct stream *s)
{
	int rc = sqlite3_step(s->st);
	s->row = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return cache_fail(w->c, rc, w->err, "reading for the workflow pass");
	return 0;
}

/* Moves s past rows of vehicles ordered before vid (rows of unknown or deleted
 * vehicles); returns 1 when its current row is vid's, 0 when not, <0 on error. */
static int stream_at(struct wf *w, struct stream *s, const char *vid)
{
	while (s->row) {
		const char *k = (const char *)sqlite3_column_text(s->st, 0);
		int cmp = k ? strcmp(k, vid) : -1;
		if (cmp == 0)
			return 1;
		if (cmp > 0)
			return 0;
		int rc = stream_step(w, s);
		if (rc)
			return rc;
	}
	return 0;
}

enum { S_VEH, S_FAULT, S_INSP, S_WO, S_RUN, S_READY, S__COUNT };

/* Binary collation orders text as strcmp does, which stream_at relies on. */
static const char *const stream_sql[S__COUNT] = {
        [S_VEH] = "SELECT id, unit, status, odometer_m, pm_due_odometer_m, on_hold, hold_reason, "
                  "source"
                  " FROM vehicle WHERE deleted=0 ORDER BY id",
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
        /* The stored verdicts: only a different one goes into the plan. */
        [S_READY] = "SELECT vehicle_id, state, reasons FROM readiness ORDER BY vehicle_id",
};

/* What the merge collected for the vehicle at hand. */
struct vehicle_rows {
	struct wf_fault fs[WF_MAX_ROWS];
	struct wb_fault faults[WF_MAX_ROWS];
	size_t nfaults, extra;
	struct wf_wo ws[WF_MAX_ROWS];
	struct wb_work_order wos[WF_MAX_ROWS];
	size_t nwos;
	struct wb_inspection insp;
	char insp_id[WF_ID], insp_vid[WF_ID], insp_kind[24], insp_defects[CORE_REASON_MSG];
	int has_insp;
	struct wb_driver driver;
	char driver_id[WF_ID];
	int has_driver;
	int64_t planned_drive_s;
};

static int collect(struct wf *w, struct stream *s, const char *vid, struct vehicle_rows *r)
{
	int rc;
	r->nfaults = r->nwos = r->extra = 0;
	r->has_insp = r->has_driver = 0;
	r->planned_drive_s = WB_NULL;
	while ((rc = stream_at(w, &s[S_FAULT], vid)) == 1) {
		sqlite3_stmt *st = s[S_FAULT].st;
		if (r->nfaults < WF_MAX_ROWS) {
			struct wf_fault *f = &r->fs[r->nfaults];
			wb_entity_clear(WB_ENT_FAULT, &f->f);
			f->f.vehicle_id = wf_text(st, 0, f->vid, sizeof(f->vid));
			f->f.meta.id = f->f.meta.ext_id = wf_text(st, 1, f->id, sizeof(f->id));
			f->f.code = wf_text(st, 2, f->code, sizeof(f->code));
			f->f.severity = wf_text(st, 3, f->severity, sizeof(f->severity));
			f->f.description = wf_text(st, 4, f->desc, sizeof(f->desc));
			f->f.first_seen = wf_int(st, 5);
			f->f.last_seen = wf_int(st, 6);
			f->f.active = 1;
			r->faults[r->nfaults++] = f->f;
		} else {
			r->extra++;
		}
		if ((rc = stream_step(w, &s[S_FAULT])))
			return rc;
	}
	if (rc < 0)
		return rc;
	while ((rc = stream_at(w, &s[S_WO], vid)) == 1) {
		sqlite3_stmt *st = s[S_WO].st;
		if (r->nwos < WF_MAX_ROWS) {
			struct wf_wo *o = &r->ws[r->nwos];
			wb_entity_clear(WB_ENT_WORK_ORDER, &o->w);
			o->w.vehicle_id = wf_text(st, 0, o->vid, sizeof(o->vid));
			o->w.meta.id = o->w.meta.ext_id = wf_text(st, 1, o->id, sizeof(o->id));
			o->w.fault_id = wf_text(st, 2, o->fid, sizeof(o->fid));
			o->w.status = wf_text(st, 3, o->status, sizeof(o->status));
			o->w.category = wf_text(st, 4, o->category, sizeof(o->category));
			o->w.opened_at = wf_int(st, 5);
			o->w.due_at = wf_int(st, 6);
			o->w.closed_at = wf_int(st, 7);
			o->w.est_cost = wf_real(st, 8);
			r->wos[r->nwos++] = o->w;
		} else {
			r->extra++;
		}
		if ((rc = stream_step(w, &s[S_WO])))
			return rc;
	}
	if (rc < 0)
		return rc;
	if ((rc = stream_at(w, &s[S_INSP], vid)) == 1) {
		sqlite3_stmt *st = s[S_INSP].st;
		struct wb_inspection *i = &r->insp;
		wb_entity_clear(WB_ENT_INSPECTION, i);
		i->vehicle_id = wf_text(st, 0, r->insp_vid, sizeof(r->insp_vid));
		i->meta.id = i->meta.ext_id = wf_text(st, 1, r->insp_id, sizeof(r->insp_id));
		i->kind = wf_text(st, 2, r->insp_kind, sizeof(r->insp_kind));
		i->safe = wf_int(st, 3);
		i->defects = wf_text(st, 4, r->insp_defects, sizeof(r->insp_defects));
		i->at = wf_int(st, 5);
		r->has_insp = 1;
		rc = stream_step(w, &s[S_INSP]);
	}
	if (rc < 0)
		return rc;
	if ((rc = stream_at(w, &s[S_RUN], vid)) == 1) {
		sqlite3_stmt *st = s[S_RUN].st;
		r->planned_drive_s = wf_int(st, 1);
		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			struct wb_driver *d = &r->driver;
			wb_entity_clear(WB_ENT_DRIVER, d);
			d->meta.id = d->meta.ext_id =
			        wf_text(st, 2, r->driver_id, sizeof(r->driver_id));
			d->drive_left_s = wf_int(st, 3);
			d->duty_left_s = wf_int(st, 4);
			d->cycle_left_s = wf_int(st, 5);
			r->has_driver = 1;
		}
		rc = stream_step(w, &s[S_RUN]);
	}
	return rc < 0 ? rc : 0;
}

/* The reasons' messages joined by "; ", NULL when there are none. */
static const char *join_reasons(const struct core_reasons *why, char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < why->n && len < n; i++) {
		int k = snprintf(buf + len, n - len, "%s%s", i ? "; " : "", why->r[i].msg);
		len += k > 0 ? (size_t)k : 0;
	}
	if (why->dropped && len < n)
		snprintf(buf + len, n - len, "%s(%zu more not shown)", len ? "; " : "",
		         why->dropped);
	return buf[0] ? buf : NULL;
}

static int same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Keeps the verdict in the plan when it differs from the stored one. */
static int keep_verdict(struct wf *w, struct stream *s, const char *vid, const char *state,
                        const char *reasons)
{
	int rc = stream_at(w, &s[S_READY], vid);
	if (rc < 0)
		return rc;
	sqlite3_stmt *st = s[S_READY].st;
	const char *seen_state = rc ? (const char *)sqlite3_column_text(st, 1) : NULL;
	const char *seen_reasons = rc ? (const char *)sqlite3_column_text(st, 2) : NULL;
	if (rc && same_text(seen_state, state) && same_text(seen_reasons, reasons))
		return 0;
	return wf_plan_readiness(w, vid, state, reasons, rc, seen_state, seen_reasons);
}

static int vehicle_pass(struct wf *w, struct stream *s, const struct wb_vehicle *v,
                        struct vehicle_rows *r)
{
	struct app_hold hold;
	int held = wf_maintenance(w, v, r->faults, r->nfaults, r->wos, r->nwos, &hold);
	if (held < 0)
		return held;
	/* The judging is app/'s, the same the console's release gate runs. */
	struct app_vehicle_facts f = {
	        .vehicle = v,
	        .faults = r->faults,
	        .nfaults = r->nfaults,
	        .inspections = r->has_insp ? &r->insp : NULL,
	        .ninspections = (size_t)r->has_insp,
	        .work_orders = r->wos,
	        .nwork_orders = r->nwos,
	        .hold = held ? &hold.h : NULL,
	        .driver = r->has_driver ? &r->driver : NULL,
	        .planned_drive_s = r->planned_drive_s,
	        .extra = r->extra,
	};
	struct core_readiness out;
	app_vehicle_readiness(&f, NULL, &out);
	w->st.vehicles++;
	w->st.ready += out.state == CORE_READY;
	w->st.limited += out.state == CORE_LIMITED;
	w->st.held += out.state == CORE_HELD;
	char reasons[CORE_MAX_REASONS * (CORE_REASON_MSG + 2) + 48];
	return keep_verdict(w, s, v->meta.id, core_ready_state_name(out.state),
	                    join_reasons(&out.why, reasons, sizeof(reasons)));
}

static int readiness_pass(struct wf *w)
{
	struct stream s[S__COUNT] = {{0}};
	struct vehicle_rows *r = calloc(1, sizeof(*r));
	int rc = r ? 0 : wb_fail(w->err, WB_ENOMEM, "out of memory");
	for (int i = 0; rc == 0 && i < S__COUNT; i++)
		if ((rc = stream_open(w, &s[i], stream_sql[i])) == 0)
			rc = stream_step(w, &s[i]);
	while (rc == 0 && s[S_VEH].row) {
		sqlite3_stmt *st = s[S_VEH].st;
		struct wb_vehicle v;
		wb_entity_clear(WB_ENT_VEHICLE, &v);
		/* The vehicle statement is not stepped until this vehicle is done, so
		 * its text stays valid without a copy. */
		v.meta.id = v.meta.ext_id = (const char *)sqlite3_column_text(st, 0);
		v.unit = (const char *)sqlite3_column_text(st, 1);
		v.status = (const char *)sqlite3_column_text(st, 2);
		v.odometer_m = wf_real(st, 3);
		v.pm_due_odometer_m = wf_real(st, 4);
		v.on_hold = wf_int(st, 5);
		v.hold_reason = (const char *)sqlite3_column_text(st, 6);
		v.meta.source = (const char *)sqlite3_column_text(st, 7);
		if (v.meta.id && (rc = collect(w, s, v.meta.id, r)) == 0)
			rc = vehicle_pass(w, s, &v, r);
		if (rc == 0)
			rc = stream_step(w, &s[S_VEH]);
	}
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(s[i].st);
	free(r);
	return rc;
}

/* ---- the pass --------------------------------------------------------------- */

void workflow_run_opts(const struct settings *cfg, struct workflow_opts *out)
{
	out->wo_source = workflow_run_work_order_source(cfg);
	out->maintenance = cfg ? cfg->auto_maintenance : true;
	out->invoices = cfg ? cfg->auto_invoices : true;
}

int workflow_plan(struct cache *c, const struct core_policy *pol, const struct workflow_opts *opts,
                  int64_t now, struct workflow_plan **out, struct workflow_run_stats *stats,
                  struct wb_err *err)
{
	struct wb_err local = {0};
	struct workflow_opts all = {.maintenance = true, .invoices = true};
	if (!opts)
		opts = &all;
	struct wf w = {.c = c,
	               .db = c ? cache_db(c) : NULL,
	               .pol = pol ? pol : core_policy_default(),
	               .wo_source = opts->wo_source,
	               .maintenance = opts->maintenance,
	               .invoices = opts->invoices,
	               .err = err ? err : &local};
	if (!c || !out)
		return wb_fail(w.err, WB_EINVALID,
		               "workflow_plan: a cache and a place for the plan must be given");
	*out = NULL;
	if (cache_in_txn(c) || !sqlite3_get_autocommit(w.db))
		return wb_fail(w.err, WB_EINVALID,
		               "the workflow pass cannot run inside a transaction");
	/* A deferred BEGIN takes no lock: the snapshot starts at the first read and
	 * holds till COMMIT, whatever other connections write meanwhile (WAL). */
	int rc = sqlite3_exec(w.db, "BEGIN", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return cache_fail(c, rc, w.err, "starting the workflow read");
	w.now = now > 0 ? now : detect_run_now(c);
	w.st.now = w.st.exceptions.now = w.now;
	if (!(w.plan = wf_plan_new(w.now)))
		rc = wb_fail(w.err, WB_ENOMEM, "out of memory");
	else if ((rc = readiness_pass(&w)) == 0 && w.invoices)
		rc = wf_invoices(&w);
	sqlite3_finalize(w.hold_wo);
	if (rc == 0) {
		int s = sqlite3_exec(w.db, "COMMIT", NULL, NULL, NULL);
		if (s != SQLITE_OK)
			rc = cache_fail(c, s, w.err, "ending the workflow read");
	}
	if (!sqlite3_get_autocommit(w.db))
		sqlite3_exec(w.db, "ROLLBACK", NULL, NULL, NULL);
	if (rc) {
		workflow_plan_free(w.plan);
		return rc;
	}
	*out = w.plan;
	if (stats)
		*stats = w.st;
	return 0;
}

int workflow_run(struct cache *c, const struct core_policy *pol, const struct workflow_opts *opts,
                 int64_t now, struct workflow_run_stats *stats, struct wb_err *err)
{
	struct workflow_plan *p = NULL;
	struct workflow_run_stats judged, wrote;
	int rc = workflow_plan(c, pol, opts, now, &p, &judged, err);
	if (rc == 0)
		rc = workflow_apply(c, p, &wrote, err);
	workflow_plan_free(p);
	if (rc == 0 && stats)
		workflow_run_stats_merge(stats, &judged, &wrote);
	return rc;
}

void workflow_run_stats_merge(struct workflow_run_stats *out,
                              const struct workflow_run_stats *judged,
                              const struct workflow_run_stats *wrote)
{
	*out = *wrote;
	out->vehicles = judged->vehicles;
	out->ready = judged->ready;
	out->limited = judged->limited;
	out->held = judged->held;
	out->pending = judged->pending + wrote->pending;
}

void workflow_run_summary(const struct workflow_run_stats *st, char *buf, size_t n)
{
	snprintf(buf, n,
	         "readiness %zu (%zu ready, %zu limited, %zu held; %zu written), %zu work orders"
	         " proposed, %zu holds placed, %zu cleared, %zu invoices released, %zu held,"
	         " %zu exceptions raised, %zu put off while pending",
	         st->vehicles, st->ready, st->limited, st->held, st->readiness_written,
	         st->work_orders, st->holds_placed, st->holds_cleared, st->invoices_released,
	         st->invoices_held, st->exceptions.raised, st->pending);
}
