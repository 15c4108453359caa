/* The AI exception service: scans the world and flags what is true of it (a late
 * load is really late), with confidence, money at stake, a suggested action and
 * evidence. A known share of flags is deliberately wrong (flagged in ground truth):
 * they name a subject of which the claim is false. A true flag whose condition no
 * longer holds is resolved by the service; wrong flags stay until a human acts. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static uint64_t key_of(int kind, int sk, uint32_t subj)
{
	return ((uint64_t)(kind + 1) << 56) | ((uint64_t)sk << 48) | subj;
}

static long ai_get(const struct sim_world *w, uint64_t k)
{
	if (!w->ai_cap)
		return -1;
	for (size_t h = sim_hash64(k) & (w->ai_cap - 1);; h = (h + 1) & (w->ai_cap - 1)) {
		if (w->ai_keys[h] == 0)
			return -1;
		if (w->ai_keys[h] == k)
			return w->ai_vals[h];
	}
}

static int ai_put(struct sim_world *w, uint64_t k, uint32_t v)
{
	if ((w->ai_n + 1) * 2 > w->ai_cap) {
		size_t nc = w->ai_cap ? w->ai_cap * 2 : 1024;
		uint64_t *nk = calloc(nc, sizeof *nk);
		uint32_t *nv = calloc(nc, sizeof *nv);
		if (!nk || !nv) {
			free(nk);
			free(nv);
			return -1;
		}
		for (size_t i = 0; i < w->ai_cap; i++) {
			if (!w->ai_keys[i])
				continue;
			size_t h = sim_hash64(w->ai_keys[i]) & (nc - 1);
			while (nk[h])
				h = (h + 1) & (nc - 1);
			nk[h] = w->ai_keys[i];
			nv[h] = w->ai_vals[i];
		}
		free(w->ai_keys);
		free(w->ai_vals);
		w->ai_keys = nk;
		w->ai_vals = nv;
		w->ai_cap = nc;
	}
	size_t h = sim_hash64(k) & (w->ai_cap - 1);
	while (w->ai_keys[h])
		h = (h + 1) & (w->ai_cap - 1);
	w->ai_keys[h] = k;
	w->ai_vals[h] = v;
	w->ai_n++;
	return 0;
}

void sim_ai_free(struct sim_world *w)
{
	free(w->ai_keys);
	free(w->ai_vals);
	w->ai_keys = NULL;
	w->ai_vals = NULL;
	w->ai_cap = w->ai_n = 0;
}

int sim_exc_kind_index(const char *s)
{
	for (int k = 0; k < XK__COUNT; k++)
		if (strcmp(sim_exc_kind_names[k], s) == 0)
			return k;
	return -1;
}

/* The subject of each kind, the same as Waybill's local detectors use: a
 * missed window is the stop's (each drop has its own booking), a charge out of
 * tolerance the load's (charges belong to the load and are corrected before the
 * invoice goes out), a dispute the invoice's. */
static const uint8_t kind_subject[XK__COUNT] = {
        [XK_LATE_ETA] = SK_LOAD,           [XK_MISSED_WINDOW] = SK_STOP,
        [XK_FUEL_ANOMALY] = SK_VEHICLE,    [XK_IDLE_EXCESS] = SK_VEHICLE,
        [XK_CRITICAL_FAULT] = SK_VEHICLE,  [XK_UNSAFE_INSPECTION] = SK_VEHICLE,
        [XK_DETENTION] = SK_STOP,          [XK_POD_MISMATCH] = SK_LOAD,
        [XK_INVOICE_DISPUTE] = SK_INVOICE, [XK_CHARGE_OUT_OF_TOLERANCE] = SK_LOAD,
        [XK_PARTIAL_SHIPMENT] = SK_LOAD,   [XK_FAILED_DELIVERY] = SK_LOAD,
        [XK_ROUTE_CHANGE] = SK_LOAD,       [XK_SUBCONTRACTED_LEG] = SK_LOAD};

static int drop_late(const struct sim_world *w, const struct sim_load *l, int arrived)
{
	for (uint32_t k = 1; k < l->nstops; k++) {
		const struct sim_stop *s = SIM_ROW(w, STOP, sim_stop, l->first_stop + k);
		if (arrived ? (s->arrived_at && s->arrived_at > s->window_end)
		            : (!s->arrived_at && l->eta > s->window_end + 900))
			return (int)k;
	}
	return 0;
}

static long charge_over(const struct sim_world *w, const struct sim_load *l)
{
	for (uint32_t c = 0; c < l->ncharges; c++) {
		const struct sim_charge *ch = SIM_ROW(w, CHARGE, sim_charge, l->first_charge + c);
		if (ch->amount > ch->rated_amount * 1.1f)
			return (long)(l->first_charge + c);
	}
	return -1;
}

static long active_critical(const struct sim_world *w, uint32_t vi)
{
	const struct sim_table *ft = &w->t[WB_ENT_FAULT];
	for (size_t i = ft->n; i-- > 0;) {
		const struct sim_fault *f = sim_row(ft, i);
		if (f->vehicle == vi && f->active && sim_fault_severity(f->code) == 0)
			return (long)i;
	}
	return -1;
}

static long recent(const struct sim_world *w, enum wb_entity e, uint32_t vi)
{
	const struct sim_table *t = &w->t[e];
	for (size_t i = t->n; i-- > 0;) {
		if (e == WB_ENT_FUEL_TXN) {
			const struct sim_fuel_txn *f = sim_row(t, i);
			if (f->at < w->now - 86400)
				break;
			const struct sim_vehicle *v = SIM_ROW(w, VEHICLE, sim_vehicle, f->vehicle);
			if (f->vehicle == vi && (f->litres > v->tank_l * 1.02f || f->lat > 90))
				return (long)i;
		} else {
			const struct sim_inspection *in = sim_row(t, i);
			if (in->at < w->now - 86400)
				break;
			if (in->vehicle == vi && !in->safe)
				return (long)i;
		}
	}
	return -1;
}

/* Is claim `kind` true of subject `s`? Fills the related record and money at stake. */
static int truth(const struct sim_world *w, int kind, uint32_t s, int *rel_ent, long *rel,
                 double *impact)
{
	*rel_ent = WB_ENT__COUNT;
	*rel = -1;
	*impact = 0;
	int sk = kind_subject[kind];
	const struct sim_load *l = NULL;
	if (sk == SK_LOAD) {
		if (s >= w->t[WB_ENT_LOAD].n)
			return 0;
		l = SIM_ROW(w, LOAD, sim_load, s);
	}
	switch (kind) {
	case XK_LATE_ETA:
		*impact = 50 + l->revenue * 0.25;
		return l->status == LS_IN_TRANSIT && drop_late(w, l, 0);
	case XK_MISSED_WINDOW: {
		if (s >= w->t[WB_ENT_STOP].n)
			return 0;
		const struct sim_stop *st = SIM_ROW(w, STOP, sim_stop, s);
		const struct sim_load *sl = SIM_ROW(w, LOAD, sim_load, st->load);
		*impact = sl->revenue * 0.1;
		*rel_ent = WB_ENT_LOAD;
		*rel = st->load;
		return st->kind == 1 && sl->status >= LS_IN_TRANSIT && sl->status != LS_CANCELLED &&
		       st->arrived_at && st->arrived_at > st->window_end;
	}
	case XK_ROUTE_CHANGE:
		*impact = l->est_cost * 0.08;
		return (l->flags & LF_ROUTE_CHANGED) && l->status <= LS_DELIVERED;
	case XK_SUBCONTRACTED_LEG:
		*impact = l->est_cost * 0.15;
		return l->carrier != 0 && l->status <= LS_IN_TRANSIT;
	case XK_FAILED_DELIVERY: *impact = l->revenue; return (l->flags & LF_FAILED) != 0;
	case XK_PARTIAL_SHIPMENT: *impact = l->revenue * 0.3; return (l->flags & LF_PARTIAL) != 0;
	case XK_POD_MISMATCH:
		*impact = l->revenue;
		if (l->pod < 0)
			return 0;
		*rel_ent = WB_ENT_POD;
		*rel = l->pod;
		return SIM_ROW(w, POD, sim_pod, (size_t)l->pod)->exc != 0;
	case XK_DETENTION: {
		if (s >= w->t[WB_ENT_STOP].n)
			return 0;
		const struct sim_stop *st = SIM_ROW(w, STOP, sim_stop, s);
		const struct sim_load *sl = SIM_ROW(w, LOAD, sim_load, st->load);
		/* The detention clock starts at the later of arrival and the window's
		 * start: a truck that comes early waits on its own time. */
		int64_t from =
		        st->arrived_at > st->window_start ? st->arrived_at : st->window_start;
		int64_t dwell = (st->departed_at ? st->departed_at : w->now) - from;
		*impact = (double)(dwell - 7200) / 3600.0 * 55.0;
		if (sl->detention_charge >= 0) {
			*rel_ent = WB_ENT_CHARGE;
			*rel = sl->detention_charge;
		}
		return st->kind == 1 && st->arrived_at && dwell > 7200;
	}
	case XK_INVOICE_DISPUTE: {
		if (s >= w->t[WB_ENT_INVOICE].n)
			return 0;
		const struct sim_invoice *inv = SIM_ROW(w, INVOICE, sim_invoice, s);
		*impact = inv->amount;
		return inv->status == IS_DISPUTED;
	}
	case XK_CHARGE_OUT_OF_TOLERANCE: {
		long c = charge_over(w, l);
		if (c < 0)
			return 0;
		const struct sim_charge *ch = SIM_ROW(w, CHARGE, sim_charge, (size_t)c);
		*impact = ch->amount - ch->rated_amount;
		*rel_ent = WB_ENT_CHARGE;
		*rel = c;
		/* Worth a flag until the invoice has gone out (or while it is disputed). */
		if (l->invoice < 0)
			return 1;
		const struct sim_invoice *inv =
		        SIM_ROW(w, INVOICE, sim_invoice, (size_t)l->invoice);
		return inv->status <= IS_RELEASED || inv->status == IS_DISPUTED;
	}
	default: break;
	}
	if (s >= w->t[WB_ENT_VEHICLE].n)
		return 0;
	const struct sim_vehicle *v = SIM_ROW(w, VEHICLE, sim_vehicle, s);
	if (v->kind == VK_TRAILER)
		return 0;
	switch (kind) {
	case XK_IDLE_EXCESS: *impact = v->idle_s / 3600.0 * 2.5 * 1.79; return v->idle_s > 5400;
	case XK_CRITICAL_FAULT:
		*impact = 2900;
		*rel_ent = WB_ENT_FAULT;
		*rel = active_critical(w, s);
		return *rel >= 0;
	case XK_UNSAFE_INSPECTION:
		*impact = 800;
		*rel_ent = WB_ENT_INSPECTION;
		*rel = recent(w, WB_ENT_INSPECTION, s);
		return *rel >= 0;
	case XK_FUEL_ANOMALY:
		*rel_ent = WB_ENT_FUEL_TXN;
		*rel = recent(w, WB_ENT_FUEL_TXN, s);
		if (*rel >= 0)
			*impact = SIM_ROW(w, FUEL_TXN, sim_fuel_txn, (size_t)*rel)->amount;
		return *rel >= 0;
	default: return 0;
	}
}

static char *evidence(const struct sim_world *w, int kind, uint32_t s, int rel_ent, long rel,
                      int wrong)
{
	char id[32], rid[32] = "", buf[512];
	static const enum wb_entity subj_ent[] = {WB_ENT_LOAD, WB_ENT_VEHICLE, WB_ENT_DRIVER,
	                                          WB_ENT_INVOICE, WB_ENT_STOP};
	sim_format_id(w, subj_ent[kind_subject[kind]], s, id, sizeof id);
	if (rel >= 0 && rel_ent < WB_ENT__COUNT)
		sim_format_id(w, (enum wb_entity)rel_ent, (size_t)rel, rid, sizeof rid);
	char now[40];
	sim_time_fmt(w->now, now, sizeof now);
	if (kind_subject[kind] == SK_LOAD) {
		const struct sim_load *l = SIM_ROW(w, LOAD, sim_load, s);
		const struct sim_stop *d =
		        SIM_ROW(w, STOP, sim_stop, l->first_stop + l->nstops - 1u);
		char eta[40], we[40];
		sim_time_fmt(l->eta, eta, sizeof eta);
		sim_time_fmt(d->window_end, we, sizeof we);
		snprintf(buf, sizeof buf,
		         "%s %s: status %s, ETA %s vs window end %s, carrier %s%s%s (as of %s)%s",
		         sim_exc_kind_names[kind], id, sim_load_status_names[l->status], eta, we,
		         sim_carriers[l->carrier % 5], rid[0] ? ", see " : "", rid, now,
		         wrong ? "; pattern match on similar lanes" : "");
	} else {
		snprintf(buf, sizeof buf, "%s %s%s%s (as of %s)%s", sim_exc_kind_names[kind], id,
		         rid[0] ? ", see " : "", rid, now,
		         wrong ? "; pattern match on similar units" : "");
	}
	return strdup(buf);
}

static void flag(struct sim_world *w, int kind, uint32_t s, int wrong, int rel_ent, long rel,
                 double impact)
{
	int sk = kind_subject[kind];
	uint64_t k = key_of(kind, sk, s);
	long xi = ai_get(w, k);
	if (xi >= 0) {
		struct sim_exception *x = SIM_ROW(w, EXCEPTION, sim_exception, (size_t)xi);
		x->seen = w->ai_gen;
		return;
	}
	xi = sim_add(w, WB_ENT_EXCEPTION);
	if (xi < 0)
		return;
	if (ai_put(w, k, (uint32_t)xi) != 0)
		return;
	struct sim_exception *x = SIM_ROW(w, EXCEPTION, sim_exception, (size_t)xi);
	x->kind = (uint8_t)kind;
	x->subject_kind = (uint8_t)sk;
	x->subject = s;
	x->seen = w->ai_gen;
	x->wrong = (uint8_t)wrong;
	x->detected_at = w->now;
	x->status = ES_OPEN;
	x->confidence = (float)(wrong ? 0.55 + sim_rng_unit(&w->rng) * 0.35
	                              : 0.7 + sim_rng_unit(&w->rng) * 0.29);
	x->impact = (float)(impact < 0 ? 0 : round(impact));
	x->related_ent = (uint8_t)rel_ent;
	x->related = rel >= 0 ? (uint32_t)rel : 0;
	if (rel < 0)
		x->related_ent = WB_ENT__COUNT;
	x->severity = kind == XK_CRITICAL_FAULT || kind == XK_FAILED_DELIVERY ? 0
	              : x->impact >= 500                                      ? 1
	              : x->impact >= 100                                      ? 2
	                                                                      : 3;
	x->required_role = (x->impact >= 1000 || x->confidence < 0.7 || kind == XK_CRITICAL_FAULT ||
	                    kind == XK_FUEL_ANOMALY)
	                           ? SIM_ROLE_SUPERVISOR
	                           : SIM_ROLE_DISPATCHER;
	x->evidence = evidence(w, kind, s, rel_ent, rel, wrong);
	w->ai_total++;
	w->ai_wrong += (uint64_t)wrong;
}

/* A wrong flag of the same kind on a subject of which the claim is false. */
static void maybe_wrong(struct sim_world *w, int kind, size_t lo, size_t hi)
{
	double r = w->o.ai_wrong_rate;
	if (r <= 0 || r >= 0.9 || hi <= lo || sim_rng_unit(&w->rng) >= r / (1 - r))
		return;
	for (int tries = 0; tries < 8; tries++) {
		uint32_t s = (uint32_t)(lo + sim_rng_next(&w->rng) % (hi - lo));
		int re;
		long rel;
		double imp;
		if (truth(w, kind, s, &re, &rel, &imp))
			continue;
		if (ai_get(w, key_of(kind, kind_subject[kind], s)) >= 0)
			continue;
		if (kind_subject[kind] == SK_VEHICLE &&
		    SIM_ROW(w, VEHICLE, sim_vehicle, s)->kind == VK_TRAILER)
			continue;
		if (kind_subject[kind] == SK_STOP && SIM_ROW(w, STOP, sim_stop, s)->kind == 0)
			continue;
		flag(w, kind, s, 1, WB_ENT__COUNT, -1, 150 + sim_rng_unit(&w->rng) * 900);
		return;
	}
}

static void check(struct sim_world *w, int kind, uint32_t s, size_t lo, size_t hi)
{
	int re;
	long rel;
	double imp;
	if (!truth(w, kind, s, &re, &rel, &imp))
		return;
	int fresh = ai_get(w, key_of(kind, kind_subject[kind], s)) < 0;
	flag(w, kind, s, 0, re, rel, imp);
	if (fresh)
		maybe_wrong(w, kind, lo, hi);
}

void sim_ai_scan(struct sim_world *w)
{
	if (w->o.no_ai)
		return;
	w->ai_gen++;
	struct sim_table *lt = &w->t[WB_ENT_LOAD];
	size_t lo = 0;
	while (lo < lt->n && SIM_ROW(w, LOAD, sim_load, lo)->planned_departure < w->now - 26 * 3600)
		lo++;
	/* Every load the TMS holds from the last day on, up to the end of its
	 * planning horizon (loads are tendered up to 8 h ahead): a hand-over to a
	 * subcontractor is worth knowing as soon as it is made. */
	for (size_t i = lo; i < lt->n; i++) {
		const struct sim_load *l = sim_row(lt, i);
		static const int lk[] = {XK_LATE_ETA,
		                         XK_ROUTE_CHANGE,
		                         XK_SUBCONTRACTED_LEG,
		                         XK_FAILED_DELIVERY,
		                         XK_PARTIAL_SHIPMENT,
		                         XK_POD_MISMATCH,
		                         XK_CHARGE_OUT_OF_TOLERANCE};
		for (size_t k = 0; k < sizeof lk / sizeof lk[0]; k++)
			check(w, lk[k], (uint32_t)i, lo, lt->n);
		l = sim_row(lt, i);
		for (uint32_t k = 1; k < l->nstops; k++) {
			if (!SIM_ROW(w, STOP, sim_stop, l->first_stop + k)->arrived_at)
				continue;
			check(w, XK_DETENTION, l->first_stop + k, l->first_stop,
			      l->first_stop + l->nstops);
			check(w, XK_MISSED_WINDOW, l->first_stop + k, l->first_stop,
			      l->first_stop + l->nstops);
			l = sim_row(lt, i);
		}
		if (l->invoice >= 0)
			check(w, XK_INVOICE_DISPUTE, (uint32_t)l->invoice, 0,
			      w->t[WB_ENT_INVOICE].n);
	}
	size_t nv = w->t[WB_ENT_VEHICLE].n;
	for (size_t v = 0; v < nv; v++) {
		if (SIM_ROW(w, VEHICLE, sim_vehicle, v)->kind == VK_TRAILER)
			continue;
		check(w, XK_IDLE_EXCESS, (uint32_t)v, 0, nv);
	}
	struct sim_table *ft = &w->t[WB_ENT_FAULT];
	for (size_t i = 0; i < ft->n; i++) {
		const struct sim_fault *f = sim_row(ft, i);
		if (f->active && sim_fault_severity(f->code) == 0)
			check(w, XK_CRITICAL_FAULT, f->vehicle, 0, nv);
	}
	struct sim_table *it = &w->t[WB_ENT_INSPECTION];
	for (size_t i = it->n; i-- > 0;) {
		const struct sim_inspection *in = sim_row(it, i);
		if (in->at < w->now - 86400)
			break;
		if (!in->safe)
			check(w, XK_UNSAFE_INSPECTION, in->vehicle, 0, nv);
	}
	struct sim_table *fx = &w->t[WB_ENT_FUEL_TXN];
	for (size_t i = fx->n; i-- > 0;) {
		const struct sim_fuel_txn *f = sim_row(fx, i);
		if (f->at < w->now - 86400)
			break;
		check(w, XK_FUEL_ANOMALY, f->vehicle, 0, nv);
	}
	/* true flags no longer true are resolved by the service */
	struct sim_table *xt = &w->t[WB_ENT_EXCEPTION];
	for (size_t i = 0; i < xt->n; i++) {
		struct sim_exception *x = sim_row(xt, i);
		if (!x->wrong && x->seen != w->ai_gen &&
		    (x->status == ES_OPEN || x->status == ES_ACKNOWLEDGED)) {
			x->status = ES_RESOLVED;
			x->resolved_at = w->now;
			(void)sim_touch(w, WB_ENT_EXCEPTION, i);
		}
	}
}

/* The ground truth on AI flags: every deliberately wrong flag by id. */
json_t *sim_ai_truth(const struct sim_world *w)
{
	json_t *o = json_object(), *wrong = json_array();
	const struct sim_table *xt = &w->t[WB_ENT_EXCEPTION];
	for (size_t i = 0; i < xt->n; i++) {
		const struct sim_exception *x = sim_row(xt, i);
		if (x->wrong) {
			char id[32];
			sim_format_id(w, WB_ENT_EXCEPTION, i, id, sizeof id);
			json_array_append_new(wrong, json_string(id));
		}
	}
	json_object_set_new(o, "enabled", json_boolean(!w->o.no_ai));
	json_object_set_new(o, "wrong_rate", json_real(w->o.ai_wrong_rate));
	json_object_set_new(o, "total", json_integer((json_int_t)w->ai_total));
	json_object_set_new(o, "wrong", wrong);
	return o;
}
