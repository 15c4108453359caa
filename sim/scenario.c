/* Scenarios: a scripted story played on top of the generated world, so that its
 * decisive moment is already reached when the sim starts. A scenario file
 * (sim/scenarios/NAME.scn) is lines of "key value": `story` names one of the
 * stories below, `param NAME VALUE` tunes it, `description` says what it shows;
 * '#' starts a comment. Each story records the facts a test can check in the
 * ground truth (GET /v1/admin/truth -> scenario.facts). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

struct sim_scenario {
	char name[64], story[64], description[256];
	char pname[8][32];
	double pval[8];
	int np;
	json_t *facts;
};

static double param(const struct sim_scenario *sc, const char *name, double dflt)
{
	for (int i = 0; i < sc->np; i++)
		if (strcmp(sc->pname[i], name) == 0)
			return sc->pval[i];
	return dflt;
}

static void fact(struct sim_world *w, const char *kind, enum wb_entity e, size_t i,
                 enum wb_entity re, long ri)
{
	char id[32], rid[32];
	sim_format_id(w, e, i, id, sizeof id);
	json_t *f = json_pack("{s:s,s:s,s:s}", "expect", kind, "subject_kind",
	                      wb_entity_info(e)->name, "subject_id", id);
	if (ri >= 0) {
		sim_format_id(w, re, (size_t)ri, rid, sizeof rid);
		json_object_set_new(f, "related_id", json_string(rid));
	}
	json_array_append_new(w->scn->facts, f);
}

/* The first load from a seed-chosen start that satisfies pred. */
static long pick_load(struct sim_world *w,
                      int (*pred)(const struct sim_world *, const struct sim_load *))
{
	size_t n = w->t[WB_ENT_LOAD].n;
	if (!n)
		return -1;
	size_t start = (size_t)(sim_hash64(w->o.seed + 77) % n);
	for (size_t k = 0; k < n; k++) {
		size_t i = (start + k) % n;
		if (pred(w, SIM_ROW(w, LOAD, sim_load, i)))
			return (long)i;
	}
	return -1;
}

static int own_in_transit(const struct sim_world *w, const struct sim_load *l)
{
	if (l->status != LS_IN_TRANSIT || l->vehicle < 0)
		return 0;
	return SIM_ROW(w, STOP, sim_stop, l->first_stop + l->nstops - 1u)->arrived_at == 0;
}
static int own_delivered(const struct sim_world *w, const struct sim_load *l)
{
	(void)w;
	return l->status >= LS_DELIVERED && l->status <= LS_POD_RECEIVED && l->vehicle >= 0 &&
	       !(l->flags & (LF_FAILED | LF_PARTIAL));
}
static int planned(const struct sim_world *w, const struct sim_load *l)
{
	(void)w;
	return (l->status == LS_PLANNED || l->status == LS_STAGED) && l->carrier == 0;
}
static int assigned_planned(const struct sim_world *w, const struct sim_load *l)
{
	return planned(w, l) && l->vehicle >= 0;
}
/* An own load whose truck is at one of its drops right now, having arrived
 * inside that drop's window (on time, waiting to be unloaded). */
static long dwelling_drop(const struct sim_world *w, const struct sim_load *l)
{
	if (l->status != LS_IN_TRANSIT || l->vehicle < 0)
		return -1;
	const struct sim_vehicle *v = SIM_ROW(w, VEHICLE, sim_vehicle, (size_t)l->vehicle);
	if (!v->dwell_until || v->dwell_until <= w->now || v->next_stop < 2 ||
	    v->next_stop > l->nstops)
		return -1;
	uint32_t si = l->first_stop + v->next_stop - 1u;
	const struct sim_stop *s = SIM_ROW(w, STOP, sim_stop, si);
	if (s->kind != 1 || !s->arrived_at || s->departed_at || s->arrived_at < s->window_start ||
	    s->arrived_at > s->window_end)
		return -1;
	return (long)si;
}
static int at_drop_on_time(const struct sim_world *w, const struct sim_load *l)
{
	return dwelling_drop(w, l) >= 0;
}
static int invoiced_draft(const struct sim_world *w, const struct sim_load *l)
{
	return l->invoice >= 0 &&
	       SIM_ROW(w, INVOICE, sim_invoice, (size_t)l->invoice)->status == IS_DRAFT;
}

#define LAST_DROP(w, l) ((l)->first_stop + (l)->nstops - 1u)

static int story(struct sim_world *w, struct sim_scenario *sc, char *err, size_t errn)
{
	const char *s = sc->story;
	long li;
	if (strcmp(s, "late_eta") == 0) {
		if ((li = pick_load(w, own_in_transit)) < 0)
			goto none;
		struct sim_load *l = SIM_ROW(w, LOAD, sim_load, (size_t)li);
		struct sim_stop *d = SIM_ROW(w, STOP, sim_stop, LAST_DROP(w, l));
		d->window_end = l->eta - (int64_t)param(sc, "late_by_min", 55) * 60;
		d->window_start = d->window_end - 3600;
		(void)sim_touch(w, WB_ENT_STOP, LAST_DROP(w, l));
		fact(w, "late_eta", WB_ENT_LOAD, (size_t)li, WB_ENT_STOP, (long)LAST_DROP(w, l));
		if (param(sc, "missed_window", 1) > 0 && (li = pick_load(w, own_delivered)) >= 0) {
			l = SIM_ROW(w, LOAD, sim_load, (size_t)li);
			d = SIM_ROW(w, STOP, sim_stop, LAST_DROP(w, l));
			d->window_end = d->arrived_at - 1800;
			d->window_start = d->window_end - 3600;
			(void)sim_touch(w, WB_ENT_STOP, LAST_DROP(w, l));
			fact(w, "missed_window", WB_ENT_STOP, LAST_DROP(w, l), WB_ENT_LOAD, li);
		}
	} else if (strcmp(s, "route_change") == 0) {
		if ((li = pick_load(w, own_in_transit)) < 0)
			goto none;
		struct sim_load *l = SIM_ROW(w, LOAD, sim_load, (size_t)li);
		struct sim_stop *d = SIM_ROW(w, STOP, sim_stop, LAST_DROP(w, l));
		d->customer = (d->customer + 1) % (uint32_t)w->t[WB_ENT_CUSTOMER].n;
		const struct sim_customer *c = SIM_ROW(w, CUSTOMER, sim_customer, d->customer);
		d->lat = c->lat;
		d->lon = c->lon;
		l->flags |= LF_ROUTE_CHANGED;
		(void)sim_touch(w, WB_ENT_STOP, LAST_DROP(w, l));
		(void)sim_touch(w, WB_ENT_LOAD, (size_t)li);
		fact(w, "route_change", WB_ENT_LOAD, (size_t)li, WB_ENT_STOP,
		     (long)LAST_DROP(w, l));
	} else if (strcmp(s, "failed_delivery") == 0 || strcmp(s, "partial_shipment") == 0) {
		int failed = s[0] == 'f';
		if ((li = pick_load(w, own_delivered)) < 0)
			goto none;
		struct sim_load *l = SIM_ROW(w, LOAD, sim_load, (size_t)li);
		struct sim_stop *d = SIM_ROW(w, STOP, sim_stop, LAST_DROP(w, l));
		d->status = failed ? SS_FAILED : SS_PARTIAL;
		d->pallets_done = failed ? 0 : (uint16_t)(d->pallets_planned / 2);
		l->flags |= failed ? LF_FAILED : LF_PARTIAL;
		(void)sim_touch(w, WB_ENT_STOP, LAST_DROP(w, l));
		(void)sim_touch(w, WB_ENT_LOAD, (size_t)li);
		fact(w, failed ? "failed_delivery" : "partial_shipment", WB_ENT_LOAD, (size_t)li,
		     WB_ENT_STOP, (long)LAST_DROP(w, l));
		if (l->pod >= 0) {
			SIM_ROW(w, POD, sim_pod, (size_t)l->pod)->exc = failed ? 3 : 1;
			(void)sim_touch(w, WB_ENT_POD, (size_t)l->pod);
			fact(w, "pod_mismatch", WB_ENT_LOAD, (size_t)li, WB_ENT_POD, l->pod);
		}
	} else if (strcmp(s, "subcontracted_leg") == 0) {
		if ((li = pick_load(w, planned)) < 0)
			goto none;
		struct sim_load *l = SIM_ROW(w, LOAD, sim_load, (size_t)li);
		if (l->vehicle >= 0) {
			struct sim_vehicle *v =
			        SIM_ROW(w, VEHICLE, sim_vehicle, (size_t)l->vehicle);
			v->status = VS_AVAILABLE;
			v->load = -1;
			(void)sim_touch(w, WB_ENT_VEHICLE, (size_t)l->vehicle);
			l->vehicle = -1;
		}
		l->carrier = (uint8_t)param(sc, "carrier", 1);
		if (l->carrier < 1 || l->carrier > 4)
			l->carrier = 1;
		(void)sim_touch(w, WB_ENT_LOAD, (size_t)li);
		fact(w, "subcontracted_leg", WB_ENT_LOAD, (size_t)li, WB_ENT__COUNT, -1);
	} else if (strcmp(s, "maintenance_hold") == 0) {
		if ((li = pick_load(w, assigned_planned)) < 0)
			goto none;
		const struct sim_load *l = SIM_ROW(w, LOAD, sim_load, (size_t)li);
		uint32_t vi = (uint32_t)l->vehicle;
		long fi = sim_add(w, WB_ENT_FAULT);
		if (fi < 0)
			goto none;
		struct sim_fault *f = SIM_ROW(w, FAULT, sim_fault, (size_t)fi);
		int code = sim_fault_code_index(SIM_ROW(w, VEHICLE, sim_vehicle, vi)->kind == VK_VAN
		                                        ? "P0217"
		                                        : "SPN100-FMI1");
		f->vehicle = vi;
		f->code = (uint8_t)(code < 0 ? 0 : code);
		f->first_seen = f->last_seen = w->now - 600;
		f->active = 1;
		fact(w, "critical_fault", WB_ENT_VEHICLE, vi, WB_ENT_FAULT, fi);
		fact(w, "hold_blocks_release", WB_ENT_LOAD, (size_t)li, WB_ENT_VEHICLE, (long)vi);
	} else if (strcmp(s, "fuel_anomaly") == 0) {
		size_t nv = w->t[WB_ENT_VEHICLE].n,
		       start = (size_t)(sim_hash64(w->o.seed + 5) % nv);
		for (size_t k = 0; k < nv; k++) {
			size_t vi = (start + k) % nv;
			const struct sim_vehicle *v = SIM_ROW(w, VEHICLE, sim_vehicle, vi);
			if (v->kind != VK_TRACTOR)
				continue;
			long fi = sim_add(w, WB_ENT_FUEL_TXN);
			if (fi < 0)
				goto none;
			v = SIM_ROW(w, VEHICLE, sim_vehicle, vi);
			struct sim_fuel_txn *t = SIM_ROW(w, FUEL_TXN, sim_fuel_txn, (size_t)fi);
			t->vehicle = (uint32_t)vi;
			t->driver = -1;
			t->at = w->now - 1200;
			t->litres = (float)(v->tank_l * param(sc, "overfill", 1.03));
			t->amount = (float)round(t->litres * 1.79 * 100) / 100;
			t->lat = (float)(v->lat + 0.55); /* about 61 km north of the unit */
			t->lon = (float)v->lon;
			t->station = 0;
			t->card4 = 4431;
			fact(w, "fuel_anomaly", WB_ENT_VEHICLE, vi, WB_ENT_FUEL_TXN, fi);
			break;
		}
	} else if (strcmp(s, "invoice_dispute") == 0) {
		if ((li = pick_load(w, invoiced_draft)) < 0)
			goto none;
		struct sim_load *l = SIM_ROW(w, LOAD, sim_load, (size_t)li);
		struct sim_charge *c = SIM_ROW(w, CHARGE, sim_charge, l->first_charge);
		c->amount = (float)round(c->rated_amount * param(sc, "overcharge", 1.35));
		(void)sim_touch(w, WB_ENT_CHARGE, l->first_charge);
		struct sim_invoice *inv = SIM_ROW(w, INVOICE, sim_invoice, (size_t)l->invoice);
		inv->status = IS_DISPUTED;
		(void)sim_touch(w, WB_ENT_INVOICE, (size_t)l->invoice);
		fact(w, "invoice_dispute", WB_ENT_INVOICE, (size_t)l->invoice, WB_ENT_LOAD, li);
		fact(w, "charge_out_of_tolerance", WB_ENT_LOAD, (size_t)li, WB_ENT_CHARGE,
		     (long)l->first_charge);
	} else if (strcmp(s, "detention") == 0) {
		/* The truck arrived inside its window and is still waiting to be
		 * unloaded, dwell_min after arrival: the load's run so far is moved
		 * earlier by as much as it takes (the plan, the pickup, the drops before
		 * and this drop's booking with it), so arrival, window and dwell agree
		 * with the free-time rule. The sim bills detention when the truck leaves. */
		if ((li = pick_load(w, at_drop_on_time)) < 0)
			goto none;
		struct sim_load *l = SIM_ROW(w, LOAD, sim_load, (size_t)li);
		uint32_t si = (uint32_t)dwelling_drop(w, l);
		int64_t dwell = (int64_t)(param(sc, "dwell_min", 210) * 60);
		int64_t shift = SIM_ROW(w, STOP, sim_stop, si)->arrived_at - (w->now - dwell);
		if (shift > 0) {
			for (uint32_t k = l->first_stop; k <= si; k++) {
				struct sim_stop *st = SIM_ROW(w, STOP, sim_stop, k);
				st->window_start -= shift;
				st->window_end -= shift;
				if (st->arrived_at)
					st->arrived_at -= shift;
				if (st->departed_at)
					st->departed_at -= shift;
				(void)sim_touch(w, WB_ENT_STOP, k);
			}
			l = SIM_ROW(w, LOAD, sim_load, (size_t)li);
			l->planned_departure -= shift;
			l->departed_at -= shift;
			if (l->tendered_at > l->planned_departure - 3600)
				l->tendered_at = l->planned_departure - 3600;
			(void)sim_touch(w, WB_ENT_LOAD, (size_t)li);
		}
		fact(w, "detention", WB_ENT_STOP, si, WB_ENT_LOAD, li);
	} else {
		snprintf(err, errn, "scenario %s: unknown story '%s'", sc->name, s);
		return -1;
	}
	return 0;
none:
	snprintf(err, errn,
	         "scenario %s: the world has no record to play '%s' on (try another --seed)",
	         sc->name, s);
	return -1;
}

int sim_scenario_load(struct sim_world *w, const char *dir, const char *name, char *err,
                      size_t errn)
{
	if (!name || !*name ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(name) ||
	    strlen(name) > 60) {
		snprintf(err, errn,
		         "--scenario: '%s' is not a scenario name (letters, digits, '-')",
		         name ? name : "");
		return -1;
	}
	char path[512];
	snprintf(path, sizeof path, "%s/%s.scn", dir, name);
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errn, "--scenario %s: cannot read %s", name, path);
		return -1;
	}
	struct sim_scenario *sc = calloc(1, sizeof *sc);
	if (!sc) {
		fclose(f);
		return -1;
	}
	snprintf(sc->name, sizeof sc->name, "%s", name);
	char line[512];
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		lineno++;
		char *h = strchr(line, '#');
		if (h)
			*h = '\0';
		char key[32], v1[32];
		double v2;
		if (sscanf(line, "%31s", key) != 1)
			continue;
		if (strcmp(key, "story") == 0 && sscanf(line, "%*s %63s", sc->story) == 1)
			continue;
		if (strcmp(key, "description") == 0) {
			char *p = line + strlen("description");
			p += strspn(p, " \t");
			p[strcspn(p, "\r\n")] = '\0';
			snprintf(sc->description, sizeof sc->description, "%s", p);
			continue;
		}
		if (strcmp(key, "param") == 0 && sc->np < 8 &&
		    sscanf(line, "%*s %31s %lf", v1, &v2) == 2) {
			snprintf(sc->pname[sc->np], sizeof sc->pname[0], "%s", v1);
			sc->pval[sc->np++] = v2;
			continue;
		}
		snprintf(err, errn,
		         "%s:%d: expected 'story NAME', 'param NAME NUMBER' or 'description TEXT'",
		         path, lineno);
		rc = -1;
	}
	fclose(f);
	if (rc == 0 && !sc->story[0]) {
		snprintf(err, errn, "%s: no 'story' line", path);
		rc = -1;
	}
	sc->facts = json_array();
	w->scn = sc;
	if (rc == 0)
		rc = story(w, sc, err, errn);
	if (rc == 0 && !w->o.no_ai)
		sim_ai_scan(w);
	return rc;
}

void sim_scenario_free(struct sim_world *w)
{
	if (w->scn) {
		json_decref(w->scn->facts);
		free(w->scn);
		w->scn = NULL;
	}
}

json_t *sim_scenario_truth(const struct sim_world *w)
{
	if (!w->scn)
		return json_null();
	return json_pack("{s:s,s:s,s:s,s:O}", "name", w->scn->name, "story", w->scn->story,
	                 "description", w->scn->description, "facts", w->scn->facts);
}
