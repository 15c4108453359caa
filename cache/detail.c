/* Detail queries: everything joined about one record, for a board's detail
 * pane. Each kind is a list of (section, query) pairs; every query takes the
 * record's id as its only parameter, bound, and each result row becomes one
 * record of named values. Consecutive queries may share a section: the pane
 * labels only its first line. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"

struct detail_query {
	const char *section;
	const char *sql;
};

static const struct detail_query load_q[] = {
        {"load",
         "SELECT l.id, l.number, l.status, l.priority, c.name AS customer, o.number AS order_no,"
         " l.carrier, l.origin, l.destination, l.planned_departure, l.eta, l.distance_m,"
         " l.pallets, l.weight_kg, l.revenue, l.est_cost, l.source, l.synced_at"
         " FROM load l LEFT JOIN orders o ON o.id=l.order_id"
         " LEFT JOIN customer c ON c.id=o.customer_id WHERE l.id=?1"},
        {"stop",
         "SELECT seq, kind, place, window_start, window_end, eta, arrived_at, status,"
         " pallets_planned, pallets_done FROM stop WHERE load_id=?1 AND deleted=0 ORDER BY seq"},
        {"vehicle",
         "SELECT v.id, v.unit, v.kind, v.status, v.fuel_pct, v.odometer_m, v.last_seen_ms,"
         " (SELECT count(*) FROM fault f WHERE f.vehicle_id=v.id AND f.active=1 AND"
         " f.deleted=0) AS active_faults FROM load l JOIN " CACHE_VEHICLE_FACTS
         " v ON v.id=l.vehicle_id"
         " WHERE l.id=?1"},
        {"driver", "SELECT d.id, d.name, d.status, d.drive_left_s, d.duty_left_s FROM load l"
                   " JOIN driver d ON d.id=l.driver_id WHERE l.id=?1"},
        {"staging", "SELECT dock_door, pallets_staged, pallets_total, labor_ready, status,"
                    " appointment_at FROM staging WHERE load_id=?1 AND deleted=0"
                    " ORDER BY appointment_at"},
        {"pod", "SELECT signed_by, signed_at, exception_codes, document_ref FROM pod"
                " WHERE load_id=?1 AND deleted=0"},
        /* The ERP's side of the load: its order, the order's shipments (an
         * ERP's shipment names the order, not the load: all of them, for an
         * order split over several loads), and its invoices by load or by
         * order (cache.h, billing joins). */
        {"order", "SELECT o.id, o.number, o.status, o.ordered_at, o.requested_at, o.total,"
                  " o.currency FROM load l JOIN orders o ON o.id=l.order_id AND o.deleted=0"
                  " WHERE l.id=?1"},
        {"shipment", "SELECT s.id, s.number, s.status, s.planned_at, s.effective_at, s.carrier,"
                     " s.address FROM load l JOIN shipment s ON s.order_id=l.order_id"
                     " AND s.deleted=0 WHERE l.id=?1 ORDER BY s.planned_at, s.id"},
        {"invoice", "SELECT id, number, amount, currency, status, issued_at, due_at FROM invoice"
                    " WHERE " CACHE_BILLED_TO_SQL("invoice", "?1") " AND deleted=0 ORDER BY id"},
        {"exception", "SELECT id, kind, status, confidence, impact, required_role, suggested_action"
                      " FROM exception WHERE subject_id=?1 AND deleted=0 ORDER BY detected_at"},
        {"audit", "SELECT seq, at, user, action, reason FROM audit"
                  " WHERE subject IN (?1, 'load:'||?1) ORDER BY seq"},
        {NULL, NULL},
};

/* An invoice with its load (by load or by order: cache.h, billing joins), its
 * order, customer, the order's shipments, and the charges billed with it: those
 * of its load, or of its order when no load is known. */
#define INV_LOAD CACHE_BILLED_LOAD_SQL("i.load_id", "i.order_id")
static const struct detail_query invoice_q[] = {
        {"invoice", "SELECT i.id, i.number, i.status, i.amount, i.currency, i.issued_at, i.due_at,"
                    " i.paid_at, l.id AS load, l.number AS load_no, l.status AS load_status,"
                    " i.source, i.synced_at FROM invoice i LEFT JOIN load l ON l.id=" INV_LOAD
                    " AND l.deleted=0 WHERE i.id=?1"},
        {"order", "SELECT o.id, o.number, o.status, o.ordered_at, o.requested_at, o.total,"
                  " o.currency FROM invoice i LEFT JOIN load l ON l.id=" INV_LOAD
                  " JOIN orders o ON o.id=coalesce(i.order_id, l.order_id) AND o.deleted=0"
                  " WHERE i.id=?1"},
        {"customer", "SELECT c.id, c.name, c.payment_terms_days, c.credit_limit FROM invoice i"
                     " LEFT JOIN load l ON l.id=" INV_LOAD
                     " LEFT JOIN orders o ON o.id=coalesce(i.order_id, l.order_id)"
                     " JOIN customer c ON c.id=coalesce(i.customer_id, o.customer_id)"
                     " AND c.deleted=0 WHERE i.id=?1"},
        {"shipment", "SELECT s.id, s.number, s.status, s.planned_at, s.effective_at, s.carrier,"
                     " s.address FROM invoice i LEFT JOIN load l ON l.id=" INV_LOAD
                     " JOIN shipment s ON s.order_id=coalesce(i.order_id, l.order_id)"
                     " AND s.deleted=0 WHERE i.id=?1 ORDER BY s.planned_at, s.id"},
        {"charge",
         "WITH inv AS (SELECT i.order_id AS order_id, " INV_LOAD " AS lid"
         " FROM invoice i WHERE i.id=?1)"
         " SELECT ch.id, ch.code, ch.amount, ch.rated_amount, ch.origin"
         " FROM charge ch, inv WHERE ch.deleted=0 AND (" CACHE_BILLED_TO_SQL(
                 "ch",
                 "inv.lid") " OR (inv.lid IS NULL AND ch.order_id=inv.order_id)) ORDER BY ch.id"},
        {"exception", "SELECT id, kind, status, confidence, impact, suggested_action FROM exception"
                      " WHERE subject_id=?1 AND deleted=0 ORDER BY detected_at"},
        {"audit", "SELECT seq, at, user, action, reason FROM audit"
                  " WHERE subject IN (?1, 'invoice:'||?1) ORDER BY seq"},
        {NULL, NULL},
};
#undef INV_LOAD

static const struct detail_query vehicle_q[] = {
        /* Its facts as every reader sees them (vehicle_now): the hold and PM
         * due of the maintenance source where it has a record, named by
         * maint_source. */
        {"vehicle", "SELECT id, unit, kind, depot, status, fuel_pct, tank_l, odometer_m,"
                    " pm_due_odometer_m, CASE on_hold WHEN 1 THEN coalesce(hold_reason, 'on hold')"
                    " END AS hold, speed_mps, last_seen_ms, source, maint_source, synced_at"
                    " FROM " CACHE_VEHICLE_FACTS " WHERE id=?1"},
        /* The workflow pass's verdict, then each of its reasons on a line. */
        {"readiness", "SELECT coalesce(r.state, 'not judged yet') AS verdict, r.computed_at"
                      " FROM vehicle v LEFT JOIN readiness r ON r.vehicle_id=v.id WHERE v.id=?1"},
        {"readiness", "WITH RECURSIVE split(n, reason, rest) AS (SELECT 0, NULL, reasons||'; '"
                      " FROM readiness WHERE vehicle_id=?1 AND reasons<>'' UNION ALL"
                      " SELECT n+1, substr(rest, 1, instr(rest, '; ')-1),"
                      " substr(rest, instr(rest, '; ')+2) FROM split WHERE rest<>'')"
                      " SELECT reason FROM split WHERE n>0 ORDER BY n"},
        {"fault", "SELECT id, code, severity, description, first_seen, last_seen FROM fault"
                  " WHERE vehicle_id=?1 AND active=1 AND deleted=0 ORDER BY first_seen"},
        {"work_order", "SELECT id, category, status, opened_at, due_at, est_cost FROM work_order"
                       " WHERE vehicle_id=?1 AND deleted=0 AND status<>'closed'"},
        {"load", "SELECT id, status, eta, destination FROM load WHERE vehicle_id=?1 AND deleted=0"
                 " AND status NOT IN ('delivered','pod_received','invoiced','cancelled')"},
        {"exception", "SELECT id, kind, status, confidence, impact, suggested_action FROM exception"
                      " WHERE subject_id=?1 AND deleted=0 ORDER BY detected_at"},
        {"audit", "SELECT seq, at, user, action, reason FROM audit"
                  " WHERE subject IN (?1, 'vehicle:'||?1) ORDER BY seq"},
        {NULL, NULL},
};

static const struct detail_query exception_q[] = {
        {"exception", "SELECT id, kind, subject_kind, subject_id, severity, confidence, impact,"
                      " status, required_role, owner, origin, detected_at, suggested_action"
                      " FROM exception WHERE id=?1"},
        /* The two-person rule: the first approval of an open one (cache/approval.h). */
        {"approval", "SELECT 'awaiting a second supervisor' AS state, p.user AS approved_by,"
                     " p.display_name AS name, p.at AS approved_at,"
                     " 'a supervisor other than ' || p.user AS needs"
                     " FROM pending_approval p JOIN exception x ON x.id=p.exception_id"
                     " WHERE p.exception_id=?1 AND coalesce(x.status, 'open')"
                     " IN ('open','acknowledged','escalated')"},
        {"evidence", "SELECT evidence FROM exception WHERE id=?1 AND evidence IS NOT NULL"},
        {"audit", "SELECT seq, at, user, action, reason FROM audit"
                  " WHERE subject IN (?1, 'exception:'||?1) ORDER BY seq"},
        {NULL, NULL},
};

static const struct detail_query staging_q[] = {
        {"staging", "SELECT id, load_id, dock_door, pallets_staged, pallets_total, labor_ready,"
                    " status, appointment_at, source, synced_at FROM staging WHERE id=?1"},
        {"load", "SELECT l.id, l.status, l.eta, l.destination FROM staging s"
                 " JOIN load l ON l.id=s.load_id WHERE s.id=?1"},
        {NULL, NULL},
};

static const struct detail_query maint_q[] = {
        {"fault", "SELECT id, vehicle_id, code, protocol, severity, description, first_seen,"
                  " last_seen, active FROM fault WHERE id=?1"},
        {"work_order", "SELECT id, vehicle_id, fault_id, category, status, opened_at, due_at,"
                       " est_cost FROM work_order WHERE id=?1 OR fault_id=?1"},
        {"part", "SELECT p.item, p.qty, p.status FROM part_reservation p JOIN work_order w"
                 " ON w.id=p.work_order_id WHERE (w.id=?1 OR w.fault_id=?1) AND p.deleted=0"},
        {NULL, NULL},
};

static const struct detail_query audit_q[] = {
        {"audit", "SELECT seq, at, user, display_name, role, action, subject, reason, before,"
                  " after, hash"
                  " FROM audit WHERE seq=?1"},
        {NULL, NULL},
};

static const struct {
	const char *kind;
	const struct detail_query *q;
} kinds[] = {
        {"load", load_q},       {"vehicle", vehicle_q}, {"exception", exception_q},
        {"invoice", invoice_q}, {"staging", staging_q}, {"maint", maint_q},
        {"audit", audit_q},
};

static int add_record(struct cache_detail *d, const char *section, sqlite3_stmt *st)
{
	if (d->nrecs == d->cap) {
		int cap = d->cap ? d->cap * 2 : 16;
		struct cache_detail_rec *r = realloc(d->recs, (size_t)cap * sizeof(*r));
		if (!r)
			return -1;
		d->recs = r;
		d->cap = cap;
	}
	struct cache_detail_rec *r = &d->recs[d->nrecs];
	memset(r, 0, sizeof(*r));
	r->section = section;
	int n = sqlite3_column_count(st);
	r->names = calloc((size_t)n, sizeof(*r->names));
	r->vals = calloc((size_t)n, sizeof(*r->vals));
	d->nrecs++; /* counted now so that cache_detail_free frees a half-made record */
	if (!r->names || !r->vals)
		return -1;
	for (int i = 0; i < n; i++) {
		r->names[i] = strdup(sqlite3_column_name(st, i));
		if (!r->names[i])
			return -1;
		r->nfields = i + 1;
		struct cache_value *v = &r->vals[i];
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			v->t = CV_INT;
			v->i = sqlite3_column_int64(st, i);
			break;
		case SQLITE_FLOAT:
			v->t = CV_REAL;
			v->d = sqlite3_column_double(st, i);
			break;
		case SQLITE_NULL: v->t = CV_NULL; break;
		default:
			v->t = CV_TEXT;
			v->s = strdup((const char *)sqlite3_column_text(st, i));
			if (!v->s)
				return -1;
		}
	}
	return 0;
}

int cache_detail(struct cache *c, const char *kind, const char *id, struct cache_detail *out,
                 struct wb_err *err)
{
	memset(out, 0, sizeof(*out));
	const struct detail_query *q = NULL;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kind && !strcmp(kinds[i].kind, kind))
			q = kinds[i].q;
	if (!q)
		return wb_fail(err, WB_EINVALID, "no detail for \"%.40s\" records",
		               kind ? kind : "");
	if (!id)
		return wb_fail(err, WB_EINVALID, "detail needs a record id");
	sqlite3 *db = cache_db(c);
	for (; q->section; q++) {
		sqlite3_stmt *st;
		int rc = sqlite3_prepare_v2(db, q->sql, -1, &st, NULL);
		if (rc != SQLITE_OK) {
			cache_detail_free(out);
			return cache_fail(c, rc, err, "preparing a detail query");
		}
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (add_record(out, q->section, st) != 0) {
				sqlite3_finalize(st);
				cache_detail_free(out);
				return wb_fail(err, WB_ENOMEM, "out of memory");
			}
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			cache_detail_free(out);
			return cache_fail(c, rc, err, "reading a detail");
		}
	}
	return 0;
}

void cache_detail_free(struct cache_detail *d)
{
	for (int i = 0; i < d->nrecs; i++) {
		struct cache_detail_rec *r = &d->recs[i];
		for (int k = 0; k < r->nfields; k++) {
			free(r->names[k]);
			if (r->vals && r->vals[k].t == CV_TEXT)
				free((char *)r->vals[k].s);
		}
		free(r->names);
		free(r->vals);
	}
	free(d->recs);
	memset(d, 0, sizeof(*d));
}
