/* Rows as JSON records: id, version, deleted, then the entity's fields named as in
 * model.h. Times are RFC 3339 UTC strings (milliseconds for *_ms), unknown values
 * null, booleans for flags, money as numbers. Names of people, places and codes are
 * derived from indexes and the tables below. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sim.h"

const char *const sim_load_status_names[] = {"planned",   "staged",       "released", "in_transit",
                                             "delivered", "pod_received", "invoiced", "cancelled"};
const char *const sim_vehicle_status_names[] = {"available", "assigned", "in_transit", "in_shop",
                                                "out_of_service"};
const char *const sim_invoice_status_names[] = {"draft", "held", "released",
                                                "sent",  "paid", "disputed"};
const char *const sim_exc_status_names[] = {"open",      "acknowledged", "approved",    "rejected",
                                            "escalated", "resolved",     "auto_applied"};
const char *const sim_exc_kind_names[] = {
        "late_eta",        "missed_window",           "fuel_anomaly",     "idle_excess",
        "critical_fault",  "unsafe_inspection",       "detention",        "pod_mismatch",
        "invoice_dispute", "charge_out_of_tolerance", "partial_shipment", "failed_delivery",
        "route_change",    "subcontracted_leg"};
const char *const sim_role_names[] = {"viewer", "dispatcher", "supervisor", "admin"};
const char *const sim_service_names[] = {"erp", "tms", "telematics"};
const char *const sim_pod_exc_names[] = {"", "SHORT", "DAMAGED", "REFUSED", "OVER"};
const char *const sim_carriers[] = {"own", "Kestrel Haulage", "Norland Freight",
                                    "Van Dijk Transport", "Bluewater Logistics"};

static const char *const load_order_status[] = {"open",      "open",      "open",     "in_progress",
                                                "delivered", "delivered", "invoiced", "cancelled"};
static const char *const vehicle_kinds[] = {"tractor", "trailer", "van", "rigid"};
static const char *const unit_prefix[] = {"TRK", "TRL", "VAN", "RIG"};
static const char *const driver_status[] = {"off_duty", "on_duty", "driving", "sleeper"};
static const char *const wo_status[] = {"proposed", "open", "in_progress", "closed"};
static const char *const wo_category[] = {"preventive", "corrective", "inspection"};
static const char *const staging_status[] = {"pending", "staging", "staged", "loaded"};
static const char *const stop_status[] = {"pending", "arrived", "departed",
                                          "skipped", "failed",  "partial"};
static const char *const charge_codes[] = {"linehaul", "fuel", "detention", "lumper", "toll"};
static const char *const charge_origin[] = {"rate", "carrier", "driver"};
static const char *const severities[] = {"critical", "major", "minor", "info"};
static const char *const subject_kinds[] = {"load", "vehicle", "driver", "invoice", "stop"};
static const char *const defects[] = {"",
                                      "brake chamber air leak, axle 2",
                                      "tire tread below 2/32 in, steer left",
                                      "headlamp inoperative",
                                      "fifth wheel locking jaw worn",
                                      "windshield crack in sweep area"};
static const char *const parts[] = {
        "oil filter",    "fuel filter",         "DEF sensor",         "NOx sensor",
        "brake chamber", "air dryer cartridge", "coolant thermostat", "fuel rail pressure sensor",
        "alternator",    "wiper blades"};
static const char *const part_status[] = {"reserved", "picked", "consumed"};
static const char *const stations[] = {"Shell A12",      "BP Maasvlakte", "TotalEnergies A2",
                                       "Esso Waalhaven", "Tango A15",     "Gulf Botlek",
                                       "Q8 A16",         "Texaco A4"};
static const char *const first_names[] = {"M.", "J.", "R.", "K.", "A.",
                                          "S.", "L.", "T.", "E.", "N."};
static const char *const last_names[] = {
        "Okafor", "Silva", "Haas",   "Lund",     "Mensah", "Park",  "de Vries", "Jansen", "Bakker",
        "Visser", "Smit",  "Meijer", "Kowalski", "Novak",  "Rossi", "Dubois",   "Yilmaz", "Costa"};
static const char *const cust_a[] = {"Harbor",    "Kestrel",   "Alder",     "Pine &",
                                     "Northgate", "Delta",     "Riverside", "Oakline",
                                     "Polder",    "Lindeboom", "Zuidkust",  "Meridian"};
static const char *const cust_b[] = {"Foods",       "Retail", "Grocers",         "Co",
                                     "Wholesale",   "Pharma", "Building Supply", "Beverages",
                                     "Electronics", "Garden"};
static const char *const signers[] = {"J. de Boer", "A. Peeters", "M. Schmidt", "R. Janssens",
                                      "L. Maes",    "K. Willems", "P. Claes",   "T. Mertens",
                                      "S. Jacobs",  "H. Wouters", "E. Smits",   "D. Hendrickx",
                                      "F. Lambert", "G. Dupont",  "I. Martens", "N. Vermeulen"};
static const char *const depots[] = {"Depot North",     "Depot Amsterdam", "Depot Eindhoven",
                                     "Depot Utrecht",   "Depot Brussels",  "Depot Antwerp",
                                     "Depot Groningen", "Depot Breda"};

struct fault_def {
	const char *code, *desc;
	int sev;
};
static const struct fault_def fault_defs[] = {
        {"SPN100-FMI1", "Engine oil pressure low, most severe", 0},
        {"SPN110-FMI0", "Engine coolant temperature high, most severe", 0},
        {"SPN5246-FMI0", "SCR operator inducement severity high", 0},
        {"SPN3031-FMI9", "Aftertreatment DEF tank temperature, abnormal update rate", 1},
        {"SPN157-FMI18", "Injector metering rail pressure low, moderately severe", 1},
        {"SPN1569-FMI31", "Engine protection torque derate active", 1},
        {"SPN3226-FMI2", "Aftertreatment outlet NOx sensor data erratic", 2},
        {"SPN639-FMI14", "J1939 network #1 special instructions", 3},
        {"P0087", "Fuel rail/system pressure too low", 1},
        {"P0217", "Engine coolant over-temperature condition", 0},
        {"P0300", "Random/multiple cylinder misfire detected", 1},
        {"P0420", "Catalyst system efficiency below threshold, bank 1", 2},
        {"P0171", "System too lean, bank 1", 2},
        {"P0562", "System voltage low", 2},
        {"P0128", "Coolant thermostat below regulating temperature", 3},
};
#define NFAULTS ((int)(sizeof fault_defs / sizeof fault_defs[0]))

int sim_fault_count(void)
{
	return NFAULTS;
}
const char *sim_fault_code(int c)
{
	return c >= 0 && c < NFAULTS ? fault_defs[c].code : "?";
}
int sim_fault_severity(int c)
{
	return c >= 0 && c < NFAULTS ? fault_defs[c].sev : 3;
}
int sim_fault_code_index(const char *code)
{
	for (int i = 0; i < NFAULTS; i++)
		if (strcmp(fault_defs[i].code, code) == 0)
			return i;
	return -1;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

void sim_customer_name(size_t i, char *buf, size_t n)
{
	size_t a = i % N(cust_a), b = (i / N(cust_a)) % N(cust_b), k = i / (N(cust_a) * N(cust_b));
	if (k)
		snprintf(buf, n, "%s %s %zu", cust_a[a], cust_b[b], k + 1);
	else
		snprintf(buf, n, "%s %s", cust_a[a], cust_b[b]);
}

void sim_time_fmt(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, n, "1970-01-01T00:00:00Z");
}

json_t *sim_time_json(int64_t t)
{
	if (t == 0)
		return json_null();
	char buf[40];
	sim_time_fmt(t, buf, sizeof buf);
	return json_string(buf);
}

static json_t *time_ms_json(int64_t ms)
{
	if (ms == 0)
		return json_null();
	char buf[40], out[48];
	sim_time_fmt(ms / 1000, buf, sizeof buf);
	buf[19] = '\0'; /* drop the Z */
	snprintf(out, sizeof out, "%s.%03dZ", buf, (int)(ms % 1000));
	return json_string(out);
}

static json_t *ref_json(const struct sim_world *w, enum wb_entity e, int64_t i)
{
	if (i < 0)
		return json_null();
	char buf[32];
	sim_format_id(w, e, (size_t)i, buf, sizeof buf);
	return json_string(buf);
}

static json_t *num(double v)
{
	return json_real((double)(int64_t)(v * 100.0 + (v < 0 ? -0.5 : 0.5)) / 100.0);
}
static json_t *coord(double v)
{
	return json_real((double)(int64_t)(v * 1e6 + (v < 0 ? -0.5 : 0.5)) / 1e6);
}
static json_t *depot_id(int d)
{
	char buf[16];
	snprintf(buf, sizeof buf, "DEP-%d", d + 1);
	return json_string(buf);
}

#define SET(k, v) json_object_set_new(o, (k), (v))

static void render_load(const struct sim_world *w, json_t *o, const struct sim_load *l)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%u", 100000u + (unsigned)(l->order + 1));
	SET("number", json_string(buf));
	SET("order_id", ref_json(w, WB_ENT_ORDER, l->order));
	SET("depot", depot_id(l->depot));
	SET("status", json_string(sim_load_status_names[l->status]));
	SET("priority", json_integer(l->priority));
	SET("vehicle_id", ref_json(w, WB_ENT_VEHICLE, l->vehicle));
	SET("trailer_id", ref_json(w, WB_ENT_VEHICLE, l->trailer));
	SET("driver_id", ref_json(w, WB_ENT_DRIVER, l->driver));
	SET("carrier", json_string(sim_carriers[l->carrier < N(sim_carriers) ? l->carrier : 0]));
	SET("origin", json_string(depots[l->depot % N(depots)]));
	const struct sim_stop *last = SIM_ROW(w, STOP, sim_stop, l->first_stop + l->nstops - 1u);
	sim_customer_name(last->customer, buf, sizeof buf);
	SET("destination", json_string(buf));
	SET("planned_departure", sim_time_json(l->planned_departure));
	SET("eta", sim_time_json(l->eta));
	SET("tendered_at", sim_time_json(l->tendered_at));
	SET("departed_at", sim_time_json(l->departed_at));
	SET("delivered_at", sim_time_json(l->delivered_at));
	SET("revenue", num(l->revenue));
	SET("est_cost", num(l->est_cost));
	SET("pallets", json_integer(l->pallets));
	SET("weight_kg", num(l->weight_kg));
	SET("distance_m", json_integer((json_int_t)l->distance_m));
	SET("empty_m", json_integer((json_int_t)l->empty_m));
	SET("planned_drive_s", json_integer(l->planned_drive_s));
	SET("currency", json_string("EUR"));
	SET("route_changed", json_boolean(l->flags & LF_ROUTE_CHANGED));
}

static void render_stop(const struct sim_world *w, json_t *o, const struct sim_stop *s)
{
	char buf[48];
	const struct sim_load *l = SIM_ROW(w, LOAD, sim_load, s->load);
	SET("load_id", ref_json(w, WB_ENT_LOAD, s->load));
	SET("seq", json_integer(s->seq));
	SET("kind", json_string(s->kind ? "drop" : "pickup"));
	if (s->kind)
		sim_customer_name(s->customer, buf, sizeof buf);
	else
		snprintf(buf, sizeof buf, "%s", depots[l->depot % N(depots)]);
	SET("place", json_string(buf));
	SET("lat", coord(s->lat));
	SET("lon", coord(s->lon));
	SET("window_start", sim_time_json(s->window_start));
	SET("window_end", sim_time_json(s->window_end));
	SET("eta", sim_time_json(s->eta));
	SET("arrived_at", sim_time_json(s->arrived_at));
	SET("departed_at", sim_time_json(s->departed_at));
	SET("status", json_string(stop_status[s->status % N(stop_status)]));
	SET("pallets_planned", json_integer(s->pallets_planned));
	SET("pallets_done", json_integer(s->pallets_done));
}

static void render_vehicle(const struct sim_world *w, json_t *o, const struct sim_vehicle *v,
                           size_t i)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%s-%03zu", unit_prefix[v->kind], i + 1);
	int powered = v->kind != VK_TRAILER;
	SET("unit", json_string(buf));
	SET("kind", json_string(vehicle_kinds[v->kind]));
	SET("depot", depot_id(v->depot));
	SET("status", json_string(sim_vehicle_status_names[v->status]));
	SET("odometer_m", json_integer((json_int_t)v->odometer_m));
	SET("engine_s", powered ? json_integer(v->engine_s) : json_null());
	SET("fuel_pct", powered ? num(v->fuel_pct) : json_null());
	SET("tank_l", powered ? num(v->tank_l) : json_null());
	SET("lat", coord(v->lat));
	SET("lon", coord(v->lon));
	SET("speed_mps", num(v->speed_mps));
	SET("heading", num(v->heading));
	SET("last_seen_ms", time_ms_json(v->last_seen_ms));
	SET("pm_due_odometer_m", json_integer((json_int_t)v->pm_due_odometer_m));
	SET("idle_s", json_integer(v->idle_s));
	SET("on_hold", json_boolean(v->hold));
	SET("hold_reason",
	    v->hold ? json_string(v->hold_reason ? "fault" : "dispatcher") : json_null());
}

static void render_exception(const struct sim_world *w, json_t *o, const struct sim_exception *x)
{
	static const enum wb_entity subj_ent[] = {WB_ENT_LOAD, WB_ENT_VEHICLE, WB_ENT_DRIVER,
	                                          WB_ENT_INVOICE, WB_ENT_STOP};
	static const char *const actions[] = {"notify customer, re-slot dock",
	                                      "notify customer, log missed window",
	                                      "freeze card, review",
	                                      "coach driver on idling",
	                                      "hold unit, open work order",
	                                      "hold unit until defect repaired",
	                                      "bill detention to customer",
	                                      "hold invoice, check POD",
	                                      "hold invoice, review charges",
	                                      "hold invoice, query carrier charge",
	                                      "re-plan remaining pallets",
	                                      "re-book delivery",
	                                      "confirm new route with customer",
	                                      "confirm carrier and rate"};
	SET("kind", json_string(sim_exc_kind_names[x->kind]));
	SET("subject_kind", json_string(subject_kinds[x->subject_kind]));
	SET("subject_id", ref_json(w, subj_ent[x->subject_kind], x->subject));
	SET("severity", json_string(severities[x->severity % 4]));
	SET("confidence", num(x->confidence));
	SET("impact", num(x->impact));
	SET("suggested_action", json_string(actions[x->kind]));
	SET("evidence", json_string(x->evidence ? x->evidence : ""));
	SET("origin", json_string("ai"));
	SET("status", json_string(sim_exc_status_names[x->status]));
	SET("required_role",
	    json_string(x->required_role == SIM_ROLE_SUPERVISOR ? "supervisor" : "dispatcher"));
	SET("owner", x->owner ? json_string(sim_role_names[x->owner - 1]) : json_null());
	SET("detected_at", sim_time_json(x->detected_at));
	SET("resolved_at", sim_time_json(x->resolved_at));
	SET("related_id",
	    x->related_ent < WB_ENT__COUNT ? ref_json(w, x->related_ent, x->related) : json_null());
	SET("currency", json_string("EUR"));
}

/* The ERP's customer shipment; load_id is not in it: an ERP does not know our
 * loads, the order joins them (docs/design.md, "Billing joins"). */
static void render_shipment(const struct sim_world *w, json_t *o, const struct sim_shipment *s,
                            size_t i)
{
	char buf[48];
	snprintf(buf, sizeof buf, "SHP-%06zu", i + 1);
	SET("number", json_string(buf));
	SET("order_id", ref_json(w, WB_ENT_ORDER, s->order));
	SET("customer_id", ref_json(w, WB_ENT_CUSTOMER, s->customer));
	SET("status", json_string(sim_shipment_status_names[s->status % 7]));
	SET("planned_at", sim_time_json(s->planned_at));
	SET("effective_at", sim_time_json(s->effective_at));
	SET("carrier",
	    s->has_carrier
	            ? json_string(sim_carriers[s->carrier < N(sim_carriers) ? s->carrier : 0])
	            : json_null());
	sim_customer_name(s->dest_customer, buf, sizeof buf);
	SET("address", json_string(buf));
}

json_t *sim_render(const struct sim_world *w, enum wb_entity e, size_t i)
{
	const struct sim_table *t = &w->t[e];
	const void *row = sim_row(t, i);
	const struct sim_meta *m = row;
	char buf[64];
	json_t *o = json_object();
	if (!o)
		return NULL;
	SET("id", ref_json(w, e, (int64_t)i));
	SET("version", json_integer(m->version));
	SET("deleted", json_boolean(m->deleted));
	if (m->deleted)
		return o;
	switch (e) {
	case WB_ENT_CUSTOMER: {
		const struct sim_customer *c = row;
		sim_customer_name(i, buf, sizeof buf);
		SET("name", json_string(buf));
		SET("payment_terms_days", json_integer(c->terms_days));
		SET("credit_limit", num(c->credit_limit));
		SET("currency", json_string("EUR"));
		break;
	}
	case WB_ENT_ORDER: {
		const struct sim_order *r = row;
		const struct sim_load *l = SIM_ROW(w, LOAD, sim_load, r->load);
		snprintf(buf, sizeof buf, "SO-%06zu", i + 1);
		SET("number", json_string(buf));
		SET("customer_id", ref_json(w, WB_ENT_CUSTOMER, r->customer));
		SET("ordered_at", sim_time_json(r->ordered_at));
		SET("requested_at", sim_time_json(r->requested_at));
		SET("status", json_string(load_order_status[l->status]));
		SET("currency", json_string("EUR"));
		SET("total", num(r->total));
		break;
	}
	case WB_ENT_LOAD: render_load(w, o, row); break;
	case WB_ENT_STOP: render_stop(w, o, row); break;
	case WB_ENT_VEHICLE: render_vehicle(w, o, row, i); break;
	case WB_ENT_DRIVER: {
		const struct sim_driver *d = row;
		snprintf(buf, sizeof buf, "%s %s", first_names[i % N(first_names)],
		         last_names[(i / N(first_names) + i) % N(last_names)]);
		SET("name", json_string(buf));
		SET("depot", depot_id(d->depot));
		SET("status", json_string(driver_status[d->status % 4]));
		SET("drive_left_s", json_integer(d->drive_left_s));
		SET("duty_left_s", json_integer(d->duty_left_s));
		SET("cycle_left_s", json_integer(d->cycle_left_s));
		SET("vehicle_id", ref_json(w, WB_ENT_VEHICLE, d->vehicle));
		break;
	}
	case WB_ENT_FAULT: {
		const struct sim_fault *f = row;
		SET("vehicle_id", ref_json(w, WB_ENT_VEHICLE, f->vehicle));
		SET("code", json_string(sim_fault_code(f->code)));
		SET("protocol", json_string(sim_fault_code(f->code)[0] == 'P' ? "obd2" : "j1939"));
		SET("severity", json_string(severities[sim_fault_severity(f->code)]));
		SET("description", json_string(f->code < NFAULTS ? fault_defs[f->code].desc : ""));
		SET("first_seen", sim_time_json(f->first_seen));
		SET("last_seen", sim_time_json(f->last_seen));
		SET("active", json_boolean(f->active));
		break;
	}
	case WB_ENT_INSPECTION: {
		const struct sim_inspection *in = row;
		SET("vehicle_id", ref_json(w, WB_ENT_VEHICLE, in->vehicle));
		SET("driver_id", ref_json(w, WB_ENT_DRIVER, in->driver));
		SET("kind", json_string(in->kind ? "post_trip" : "pre_trip"));
		SET("safe", json_boolean(in->safe));
		SET("defects", json_string(defects[in->defect % N(defects)]));
		SET("at", sim_time_json(in->at));
		break;
	}
	case WB_ENT_WORK_ORDER: {
		const struct sim_work_order *wo = row;
		SET("vehicle_id", ref_json(w, WB_ENT_VEHICLE, wo->vehicle));
		SET("fault_id", ref_json(w, WB_ENT_FAULT, wo->fault));
		SET("status", json_string(wo_status[wo->status % 4]));
		SET("category", json_string(wo_category[wo->category % 3]));
		SET("opened_at", sim_time_json(wo->opened_at));
		SET("due_at", sim_time_json(wo->due_at));
		SET("closed_at", sim_time_json(wo->closed_at));
		SET("est_cost", num(wo->est_cost));
		break;
	}
	case WB_ENT_PART_RESERVATION: {
		const struct sim_part_reservation *p = row;
		SET("work_order_id", ref_json(w, WB_ENT_WORK_ORDER, p->wo));
		SET("item", json_string(parts[p->item % N(parts)]));
		SET("qty", json_integer(p->qty));
		SET("status", json_string(part_status[p->status % 3]));
		break;
	}
	case WB_ENT_STAGING: {
		const struct sim_staging *g = row;
		SET("load_id", ref_json(w, WB_ENT_LOAD, g->load));
		snprintf(buf, sizeof buf, "D%u", (unsigned)g->dock_door);
		SET("dock_door", json_string(buf));
		SET("pallets_staged", json_integer(g->pallets_staged));
		SET("pallets_total", json_integer(g->pallets_total));
		SET("labor_ready", json_boolean(g->labor_ready));
		SET("status", json_string(staging_status[g->status % 4]));
		SET("appointment_at", sim_time_json(g->appointment_at));
		break;
	}
	case WB_ENT_POD: {
		const struct sim_pod *p = row;
		SET("load_id", ref_json(w, WB_ENT_LOAD, p->load));
		SET("stop_id", ref_json(w, WB_ENT_STOP, p->stop));
		SET("signed_by", json_string(signers[p->signer % N(signers)]));
		SET("signed_at", sim_time_json(p->signed_at));
		SET("exception_codes", json_string(sim_pod_exc_names[p->exc % 5]));
		snprintf(buf, sizeof buf, "pod/%zu.pdf", i + 1);
		SET("document_ref", json_string(buf));
		break;
	}
	case WB_ENT_INVOICE: {
		const struct sim_invoice *v = row;
		snprintf(buf, sizeof buf, "INV-2025-%06zu", i + 1);
		SET("number", json_string(buf));
		SET("load_id", ref_json(w, WB_ENT_LOAD, v->load));
		SET("order_id",
		    ref_json(w, WB_ENT_ORDER, SIM_ROW(w, LOAD, sim_load, v->load)->order));
		SET("customer_id", ref_json(w, WB_ENT_CUSTOMER, v->customer));
		SET("amount", num(v->amount));
		SET("currency", json_string("EUR"));
		SET("status", json_string(sim_invoice_status_names[v->status % 6]));
		SET("issued_at", sim_time_json(v->issued_at));
		SET("due_at", sim_time_json(v->due_at));
		SET("paid_at", sim_time_json(v->paid_at));
		break;
	}
	case WB_ENT_CHARGE: {
		const struct sim_charge *c = row;
		SET("load_id", ref_json(w, WB_ENT_LOAD, c->load));
		SET("order_id",
		    ref_json(w, WB_ENT_ORDER, SIM_ROW(w, LOAD, sim_load, c->load)->order));
		SET("code", json_string(charge_codes[c->code % 5]));
		SET("amount", num(c->amount));
		SET("rated_amount", num(c->rated_amount));
		SET("origin", json_string(charge_origin[c->origin % 3]));
		SET("currency", json_string("EUR"));
		break;
	}
	case WB_ENT_FUEL_TXN: {
		const struct sim_fuel_txn *f = row;
		SET("vehicle_id", ref_json(w, WB_ENT_VEHICLE, f->vehicle));
		SET("driver_id", ref_json(w, WB_ENT_DRIVER, f->driver));
		SET("at", sim_time_json(f->at));
		SET("litres", num(f->litres));
		SET("amount", num(f->amount));
		SET("currency", json_string("EUR"));
		SET("lat", coord(f->lat));
		SET("lon", coord(f->lon));
		SET("station", json_string(stations[f->station % N(stations)]));
		snprintf(buf, sizeof buf, "****%04u", (unsigned)f->card4);
		SET("card", json_string(buf));
		break;
	}
	case WB_ENT_EXCEPTION: render_exception(w, o, row); break;
	case WB_ENT_SHIPMENT: render_shipment(w, o, row, i); break;
	case WB_ENT_VEHICLE_MAINT: {
		const struct sim_vehicle_maint *vm = row;
		SET("vehicle_id", ref_json(w, WB_ENT_VEHICLE, vm->vehicle));
		SET("status", json_string(sim_maint_status_names[vm->mstatus % 3]));
		SET("pm_due_odometer_m", json_integer((json_int_t)vm->pm_due_odometer_m));
		SET("on_hold", json_boolean(vm->hold));
		SET("hold_reason",
		    vm->hold ? json_string(vm->hold_reason ? "fault" : "dispatcher") : json_null());
		break;
	}
	default: break;
	}
	return o;
}

json_t *sim_render_pos(const struct sim_world *w, const struct sim_pos *p)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	SET("seq", json_integer((json_int_t)p->seq));
	SET("vehicle_id", ref_json(w, WB_ENT_VEHICLE, p->vehicle));
	SET("ts_ms", time_ms_json(p->ts_ms));
	SET("lat", coord(p->lat));
	SET("lon", coord(p->lon));
	SET("speed_mps", num(p->speed_mps));
	SET("heading", num(p->heading));
	SET("odometer_m", json_integer((json_int_t)p->odometer_m));
	SET("fuel_pct", num(p->fuel_pct));
	SET("ignition", json_boolean(p->ignition > 0));
	return o;
}
