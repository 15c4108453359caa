/* The world as MyGeotab's entities and feeds (sim/dialect_geotab.h): Device,
 * User, FaultData, DVIRLog, LogRecord and StatusData, each with Geotab's hex
 * "version". Feeds page by version: a table's rows by their change sequence
 * (an edited row keeps its id and gets a higher version), positions by their
 * sequence; StatusData's versions are GT_SD*seq + k, k the index in
 * status_diags (fuel level, odometer, ignition): one feed as Geotab keeps it,
 * filtered by diagnostic. */
#include <inttypes.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialect.h"
#include "dialect_geotab.h"

#define GT_FAULT_BASE 0x200000u /* FaultData ids: b200001, ... */
#define GT_DVIR_BASE 0x300000u
#define GT_MAX_RESULTS 50000

/* The diagnostics StatusData serves, a reading of each per position. */
static const char *const status_diags[] = {"DiagnosticFuelLevelId", "DiagnosticOdometerId",
                                           "DiagnosticIgnitionId"};
#define GT_SD (sizeof(status_diags) / sizeof(status_diags[0]))

static json_t *hexv(uint64_t v)
{
	char b[20];
	snprintf(b, sizeof b, "%016" PRIx64, v);
	return json_string(b);
}

static json_t *gid(uint64_t n)
{
	char b[24];
	snprintf(b, sizeof b, "b%" PRIX64, n);
	return json_string(b);
}

static json_t *ref(const struct sim_world *w, enum wb_entity e, size_t i)
{
	char b[32];
	sim_format_id(w, e, i, b, sizeof b);
	return json_pack("{s:s}", "id", b);
}

static json_t *when_ms(int64_t ms)
{
	char b[40], out[48];
	sim_time_fmt(ms / 1000, b, sizeof b);
	b[19] = '\0';
	snprintf(out, sizeof out, "%s.%03dZ", b, (int)(ms % 1000));
	return json_string(out);
}

static json_t *round2(double v)
{
	return json_real(floor(v * 100.0 + 0.5) / 100.0);
}

/* A canonical row's field (sim_render), for names derived from indexes. */
static json_t *canon(const struct sim_world *w, enum wb_entity e, size_t i, const char *key)
{
	json_t *o = sim_render(w, e, i);
	json_t *v = json_incref(json_object_get(o, key));
	json_decref(o);
	return v ? v : json_null();
}

static json_t *device(const struct sim_world *w, size_t i)
{
	const struct sim_vehicle *v = SIM_ROW(w, VEHICLE, sim_vehicle, i);
	char id[32], sn[24];
	sim_format_id(w, WB_ENT_VEHICLE, i, id, sizeof id);
	snprintf(sn, sizeof sn, "G9%010zX", i + 1);
	return json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:o}", "id", id, "name",
	                 canon(w, WB_ENT_VEHICLE, i, "unit"), "serialNumber", sn, "deviceType",
	                 "GO9", "activeFrom", "2020-01-01T00:00:00.000Z", "activeTo",
	                 "2050-01-01T00:00:00.000Z", "version", hexv(v->m.seq));
}

/* A driver as Geotab's User: the world's "M. Okafor" is firstName "M.",
 * lastName "Okafor"; the login is made up from the id. */
static json_t *driver(const struct sim_world *w, size_t i)
{
	const struct sim_driver *d = SIM_ROW(w, DRIVER, sim_driver, i);
	char id[32], login[64], first[64] = "";
	sim_format_id(w, WB_ENT_DRIVER, i, id, sizeof id);
	snprintf(login, sizeof login, "%s@depot.example", id);
	json_t *name = canon(w, WB_ENT_DRIVER, i, "name");
	const char *n = json_string_value(name) ? json_string_value(name) : "";
	const char *sp = strchr(n, ' ');
	snprintf(first, sizeof first, "%.*s", sp ? (int)(sp - n) : (int)strlen(n), n);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:o}", "id", id, "name", login,
	                      "firstName", first, "lastName", sp ? sp + 1 : "", "isDriver", 1,
	                      "version", hexv(d->m.seq));
	json_decref(name);
	return o;
}

/* A duration as a .NET TimeSpan: "02:30:00", "2.22:00:00", "-00:15:00". */
static json_t *timespan(int64_t s)
{
	char b[40];
	uint64_t a = (uint64_t)(s < 0 ? -s : s);
	unsigned h = (unsigned)(a / 3600 % 24), m = (unsigned)(a / 60 % 60), x = (unsigned)(a % 60);
	if (a >= 86400)
		snprintf(b, sizeof b, "%s%" PRIu64 ".%02u:%02u:%02u", s < 0 ? "-" : "", a / 86400,
		         h, m, x);
	else
		snprintf(b, sizeof b, "%s%02u:%02u:%02u", s < 0 ? "-" : "", h, m, x);
	return json_string(b);
}

/* A driver's hours as Geotab's DutyStatusAvailability (no version: Geotab
 * computes it at each call); the workday is the duty window here. */
static json_t *availability(const struct sim_world *w, size_t i)
{
	const struct sim_driver *d = SIM_ROW(w, DRIVER, sim_driver, i);
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:[], s:b}", "driver",
	                 ref(w, WB_ENT_DRIVER, i), "driving", timespan(d->drive_left_s), "duty",
	                 timespan(d->duty_left_s), "workday", timespan(d->duty_left_s), "cycle",
	                 timespan(d->cycle_left_s), "cycleDriving", timespan(d->cycle_left_s),
	                 "recap", "isAdverseDrivingApplied", 0);
}

/* The duty status log in effect: one per driver, of its status now. */
static json_t *duty_log(const struct sim_world *w, size_t i)
{
	static const char *const code[] = {"OFF", "ON", "D", "SB"};
	const struct sim_driver *d = SIM_ROW(w, DRIVER, sim_driver, i);
	return json_pack("{s:o, s:o, s:o, s:s, s:s, s:s, s:o}", "id", gid(0x600000u + i + 1),
	                 "dateTime", when_ms(w->now * 1000), "driver", ref(w, WB_ENT_DRIVER, i),
	                 "status", code[d->status % 4], "state", "Active", "origin", "Automatic",
	                 "version", hexv(d->m.seq));
}

/* The signed-in user (who-am-I): no driver. */
static json_t *desk_user(const char *user)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "id", "b1F0000", "name", user,
	                 "firstName", "Dispatch", "lastName", "Desk", "isDriver", 0, "version",
	                 "0000000000000001");
}

json_t *sim_geotab_get(struct sim_server *s, json_t *params, json_t **err)
{
	struct sim_world *w = &s->w;
	const char *type = json_string_value(json_object_get(params, "typeName"));
	json_t *search = json_object_get(params, "search");
	json_int_t limit = json_integer_value(json_object_get(params, "resultsLimit"));
	if (limit <= 0 || limit > GT_MAX_RESULTS)
		limit = GT_MAX_RESULTS;
	json_t *out = json_array();
	if (type && !strcmp(type, "Device")) {
		for (size_t i = 0;
		     i < w->t[WB_ENT_VEHICLE].n && json_array_size(out) < (size_t)limit; i++)
			if (!SIM_ROW(w, VEHICLE, sim_vehicle, i)->m.deleted)
				json_array_append_new(out, device(w, i));
		return out;
	}
	if (type && !strcmp(type, "User")) {
		const char *name = json_string_value(json_object_get(search, "name"));
		char user[64], pw[64];
		sim_dialect_credentials(s, user, sizeof user, pw, sizeof pw);
		if (name) {
			if (!strcmp(name, user))
				json_array_append_new(out, desk_user(user));
			return out;
		}
		for (size_t i = 0;
		     i < w->t[WB_ENT_DRIVER].n && json_array_size(out) < (size_t)limit; i++)
			if (!SIM_ROW(w, DRIVER, sim_driver, i)->m.deleted)
				json_array_append_new(out, driver(w, i));
		if (!json_is_true(json_object_get(search, "isDriver")) &&
		    json_array_size(out) < (size_t)limit)
			json_array_append_new(out, desk_user(user));
		return out;
	}
	/* DutyStatusAvailability for userSearch's id, else every driver (the
	 * company group); DutyStatusLog: the log in effect now, whatever the dates. */
	bool dsa = type && !strcmp(type, "DutyStatusAvailability");
	if (dsa || (type && !strcmp(type, "DutyStatusLog"))) {
		const char *who = json_string_value(
		        json_object_get(json_object_get(search, "userSearch"), "id"));
		char id[32];
		for (size_t i = 0;
		     i < w->t[WB_ENT_DRIVER].n && json_array_size(out) < (size_t)limit; i++) {
			sim_format_id(w, WB_ENT_DRIVER, i, id, sizeof id);
			if (!SIM_ROW(w, DRIVER, sim_driver, i)->m.deleted &&
			    (!who || !strcmp(who, id)))
				json_array_append_new(out,
				                      dsa ? availability(w, i) : duty_log(w, i));
		}
		return out;
	}
	json_decref(out);
	*err = sim_geotab_error("ArgumentException", "this server does not serve Get of that type");
	return NULL;
}

/* --- faults and inspections ------------------------------------------------ */

/* J1939 "SPN100-FMI1" and OBD-II "P0217" as Geotab's Diagnostic and
 * FailureMode, with their codes; lamps from the world's severity as the
 * connector's table reads them back (docs/connectors/geotab.md). */
static json_t *fault_data(const struct sim_world *w, size_t i)
{
	const struct sim_fault *f = SIM_ROW(w, FAULT, sim_fault, i);
	const char *code = sim_fault_code(f->code);
	int sev = sim_fault_severity(f->code);
	unsigned spn = 0, fmi = 0;
	json_t *diag, *fm;
	bool obd = code[0] == 'P';
	char id[32];
	if (obd) {
		unsigned v = (unsigned)strtoul(code + 1, NULL, 16);
		snprintf(id, sizeof id, "aObd%04X", v);
		diag = json_pack("{s:s, s:i, s:{s:s}}", "id", id, "code", (int)v, "source", "id",
		                 "SourceObdId");
		fm = json_pack("{s:s}", "id", "NoFailureModeId");
	} else {
		(void)sscanf(code, "SPN%u-FMI%u", &spn, &fmi);
		snprintf(id, sizeof id, "aSpn%u", spn);
		diag = json_pack("{s:s, s:i, s:{s:s}}", "id", id, "code", (int)spn, "source", "id",
		                 "SourceJ1939Id");
		snprintf(id, sizeof id, "aFmi%u", fmi);
		fm = json_pack("{s:s, s:i}", "id", id, "code", (int)fmi);
	}
	/* One fault per vehicle and code, as Geotab reports a diagnostic: active
	 * while any of the world's rows for it is. */
	bool active = false;
	const struct sim_table *t = &w->t[WB_ENT_FAULT];
	for (size_t k = 0; k < t->n && !active; k++) {
		const struct sim_fault *g = sim_row(t, k);
		active = g->active && g->vehicle == f->vehicle && g->code == f->code;
	}
	json_t *o = json_pack(
	        "{s:o, s:o, s:o, s:o, s:o, s:{s:s}, s:s, s:b, s:b, s:b, s:b, s:i, s:o}", "id",
	        gid(GT_FAULT_BASE + i + 1), "dateTime",
	        when_ms((active ? f->first_seen : f->last_seen) * 1000), "device",
	        ref(w, WB_ENT_VEHICLE, f->vehicle), "diagnostic", diag, "failureMode", fm,
	        "controller", "id", "ControllerNoneId", "faultState",
	        active ? "Active" : "Inactive", "redStopLamp", sev == 0, "amberWarningLamp",
	        sev == 1, "malfunctionLamp", (sev == 0 || sev == 2) && obd, "protectWarningLamp",
	        sev == 2 && !obd, "count", 1, "version", hexv(f->m.seq));
	return o;
}

static json_t *dvir_log(const struct sim_world *w, size_t i)
{
	const struct sim_inspection *in = SIM_ROW(w, INSPECTION, sim_inspection, i);
	json_t *defects = json_array();
	json_t *text = canon(w, WB_ENT_INSPECTION, i, "defects");
	if (json_string_length(text) > 0)
		json_array_append_new(defects, json_pack("{s:o, s:{s:o, s:O}, s:s}", "id",
		                                         gid(0x400000u + i + 1), "defect", "id",
		                                         gid(0x500000u + in->defect), "name", text,
		                                         "repairStatus", "NotRepaired"));
	json_decref(text);
	return json_pack("{s:o, s:o, s:o, s:o, s:s, s:b, s:o, s:o}", "id",
	                 gid(GT_DVIR_BASE + i + 1), "dateTime", when_ms(in->at * 1000), "device",
	                 ref(w, WB_ENT_VEHICLE, in->vehicle), "driver",
	                 ref(w, WB_ENT_DRIVER, in->driver), "logType",
	                 in->kind ? "PostTrip" : "PreTrip", "isSafeToOperate", in->safe != 0,
	                 "defects", defects, "version", hexv(in->m.seq));
}

/* --- feeds ------------------------------------------------------------------- */

static json_t *feed(json_t *data, uint64_t to)
{
	return json_pack("{s:o, s:o}", "data", data, "toVersion", hexv(to));
}

/* A table's rows changed after `from`, in change order. */
static json_t *table_feed(const struct sim_world *w, enum wb_entity e, uint64_t from, long limit)
{
	const struct sim_table *t = &w->t[e];
	json_t *data = json_array();
	uint64_t last = from;
	for (size_t j = sim_log_find(t, from); j < t->nlog && (long)json_array_size(data) < limit;
	     j++) {
		const struct sim_meta *m = sim_row(t, t->log[j].idx);
		if (m->seq != t->log[j].seq || m->purged || m->deleted)
			continue;
		json_array_append_new(data, e == WB_ENT_FAULT ? fault_data(w, t->log[j].idx)
		                                              : dvir_log(w, t->log[j].idx));
		last = m->seq;
	}
	return feed(data, last);
}

static uint64_t oldest_pos(const struct sim_world *w)
{
	return w->pos_seq > w->pos_cap ? w->pos_seq - w->pos_cap + 1 : 1;
}

static json_t *log_record(const struct sim_world *w, const struct sim_pos *p)
{
	return json_pack("{s:o, s:o, s:o, s:f, s:f, s:o, s:o}", "id", gid(p->seq), "dateTime",
	                 when_ms(p->ts_ms), "device", ref(w, WB_ENT_VEHICLE, p->vehicle),
	                 "latitude", (double)p->lat, "longitude", (double)p->lon, "speed",
	                 round2((double)p->speed_mps * 3.6), "version", hexv(p->seq));
}

/* StatusData version v: position v/GT_SD, diagnostic v%GT_SD (Geotab's units:
 * percent, metres; ignition 1 on, 0 off). */
static json_t *status_data(const struct sim_world *w, uint64_t v)
{
	const struct sim_pos *p = &w->pos[(v / GT_SD) % w->pos_cap];
	unsigned k = (unsigned)(v % GT_SD);
	return json_pack("{s:o, s:o, s:o, s:{s:s}, s:o, s:o}", "id", gid(0x10000000ull + v),
	                 "dateTime", when_ms(p->ts_ms), "device",
	                 ref(w, WB_ENT_VEHICLE, p->vehicle), "diagnostic", "id", status_diags[k],
	                 "data",
	                 k == 0   ? round2(p->fuel_pct)
	                 : k == 1 ? json_real(floor(p->odometer_m))
	                          : json_integer(p->ignition > 0),
	                 "version", hexv(v));
}

static int parse_version(json_t *v, uint64_t *out)
{
	const char *s = json_string_value(v);
	char *end = NULL;
	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!s || !*s || strlen(s) > 16)
		return -1;
	*out = strtoull(s, &end, 16);
	return *end ? -1 : 0;
}

json_t *sim_geotab_feed(struct sim_req *r, json_t *params, bool expired, json_t **err)
{
	struct sim_world *w = &r->srv->w;
	const char *type = json_string_value(json_object_get(params, "typeName"));
	json_int_t lim = json_integer_value(json_object_get(params, "resultsLimit"));
	long limit = lim > 0 && lim < GT_MAX_RESULTS ? (long)lim : GT_MAX_RESULTS;
	json_t *fv = json_object_get(params, "fromVersion");
	uint64_t from;
	const char *diag = json_string_value(json_object_get(
	        json_object_get(json_object_get(params, "search"), "diagnosticSearch"), "id"));
	bool lr = type && !strcmp(type, "LogRecord"), sd = type && !strcmp(type, "StatusData");
	uint64_t lo = lr ? oldest_pos(w) - 1 : sd ? GT_SD * (oldest_pos(w) - 1) : 0;
	/* A version this server cannot serve: malformed, older than what it keeps
	 * (positions), from the future, or the expire fault's draw. */
	if (parse_version(fv, &from) != 0 || (fv && (from < lo ||
	                                             from > (lr   ? w->pos_seq
	                                                     : sd ? GT_SD * w->pos_seq + GT_SD - 1
	                                                          : w->seq) ||
	                                             sim_fault_hit(r->svc, r->svc->f.expire)))) {
		*err = sim_geotab_error(
		        "ArgumentException",
		        "The fromVersion is not a version of this feed, or it is "
		        "no longer kept. Start the feed again without fromVersion.");
		return NULL;
	}
	if (type && !strcmp(type, "FaultData"))
		return table_feed(w, WB_ENT_FAULT, from, limit);
	if (type && !strcmp(type, "DVIRLog"))
		return table_feed(w, WB_ENT_INSPECTION, from, limit);
	json_t *data = json_array();
	uint64_t last = from;
	if (lr) {
		for (uint64_t s = from < lo ? lo + 1 : from + 1;
		     s <= w->pos_seq && (long)json_array_size(data) < limit; s++) {
			json_array_append_new(data, log_record(w, &w->pos[s % w->pos_cap]));
			last = s;
		}
		return feed(data, last);
	}
	int only = -1; /* the diagnostic searched; -1 all */
	for (size_t k = 0; diag && k < GT_SD; k++)
		if (!strcmp(diag, status_diags[k]))
			only = (int)k;
	if (sd && (!diag || only >= 0)) {
		for (uint64_t v = (from < lo ? lo : from) + 1;
		     v / GT_SD <= w->pos_seq && (long)json_array_size(data) < limit; v++) {
			if (v / GT_SD == 0 || (only >= 0 && (int)(v % GT_SD) != only))
				continue;
			json_array_append_new(data, status_data(w, v));
			last = v;
		}
		return feed(data, last);
	}
	json_decref(data);
	*err = sim_geotab_error("ArgumentException",
	                        "this server does not serve GetFeed of that type or diagnostic");
	return NULL;
}
