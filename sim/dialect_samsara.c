/* waybill-sim's telematics service in Samsara's dialect (sim/dialect.h,
 * docs/connectors/samsara.md "The simulator"): the world's vehicles, drivers
 * (with their HOS clocks), fault codes, DVIRs and positions in the shapes of Samsara's API, its
 * Bearer token auth, its paging ({data, pagination: {endCursor, hasNextPage}}) and its errors
 * ({message, requestId}). Cursors are the sim's own text, opaque to a client: lists    "v.<next
 * row>" / "d.<next row>" / "h.<next row>" (HOS clocks) faults   "f.<world seq>.<next vehicle>": a
 * snapshot being paged (vehicle > 0), or the changes after that seq (vehicle 0) gps "p.<position
 * seq>" (the feed), "r.<position seq>" (the history) dvirs    "i.<world seq>" A feed's "expire"
 * fault, and a position cursor older than the ring, are answered 400 as Samsara answers a bad
 * `after`. updatedAtTime is the sim's start plus the row's change sequence in ms: it grows with
 * every change. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dialect.h"

#define LIST_MAX 512
#define PAGE_GPS 512
#define MPS_TO_MPH (1.0 / 0.44704)
#define EXPIRED "Invalid value for parameter 'after': the cursor is invalid or has expired"

bool sim_samsara_owns(const char *url)
{
	return strncmp(url, "/v1/", 4) != 0;
}

static void fail(struct sim_reply *rep, int status, const char *msg)
{
	static unsigned long n;
	char rid[32];
	snprintf(rid, sizeof rid, "sim-%08lx", ++n);
	rep->status = status;
	rep->body = json_pack("{s:s,s:s}", "message", msg, "requestId", rid);
}

static void time_ms(int64_t ms, char *buf, size_t n)
{
	char s[40];
	sim_time_fmt(ms / 1000, s, sizeof s);
	s[19] = '\0';
	snprintf(buf, n, "%s.%03dZ", s, (int)(ms % 1000));
}

static json_t *time_json(int64_t ms)
{
	char buf[48];
	time_ms(ms, buf, sizeof buf);
	return json_string(buf);
}

static int64_t updated_ms(const struct sim_world *w, const struct sim_meta *m)
{
	return w->t0 * 1000 + (int64_t)m->seq;
}

static json_t *page(json_t *data, const char *end, int more)
{
	return json_pack("{s:o,s:{s:s,s:b}}", "data", data, "pagination", "endCursor", end,
	                 "hasNextPage", more);
}

/* "X.<a>[.<b>]" with the prefix c; -1 when it is not one of ours. */
static int cursor(const char *s, char c, uint64_t *a, uint64_t *b)
{
	*a = *b = 0;
	if (!s || s[0] != c || s[1] != '.')
		return -1;
	char *end;
	*a = strtoull(s + 2, &end, 10);
	if (end == s + 2)
		return -1;
	if (*end == '.') {
		const char *p = end + 1;
		*b = strtoull(p, &end, 10);
		if (end == p)
			return -1;
	}
	return *end ? -1 : 0;
}

static json_t *tags(json_t *canon)
{
	const char *dep = json_string_value(json_object_get(canon, "depot"));
	if (!dep)
		return json_array();
	return json_pack("[{s:s,s:s}]", "id", dep + (strncmp(dep, "DEP-", 4) ? 0 : 4), "name", dep);
}

/* A driver's HOS clocks entry: the world's clocks in ms; a drive or cycle
 * clock over its limit is 0 remaining and a violation (Samsara has no shift
 * violation: an over shift is 0). The world keeps no break clock. */
static json_t *clocks(const struct sim_world *w, const struct sim_driver *d, json_t *cn)
{
	static const char *const duty[] = {"offDuty", "onDuty", "driving", "sleeperBed"};
	json_t *veh = json_object_get(cn, "vehicle_id");
	json_t *o = json_pack("{s:{s:O,s:O},s:{s:s},s:{s:{s:I},s:{s:I},s:{s:I}},s:{s:I,s:I}}",
	                      "driver", "id", json_object_get(cn, "id"), "name",
	                      json_object_get(cn, "name"), "currentDutyStatus", "hosStatusType",
	                      duty[d->status % 4], "clocks", "cycle", "cycleRemainingDurationMs",
	                      (json_int_t)(d->cycle_left_s > 0 ? d->cycle_left_s : 0) * 1000,
	                      "drive", "driveRemainingDurationMs",
	                      (json_int_t)(d->drive_left_s > 0 ? d->drive_left_s : 0) * 1000,
	                      "shift", "shiftRemainingDurationMs",
	                      (json_int_t)(d->duty_left_s > 0 ? d->duty_left_s : 0) * 1000,
	                      "violations", "cycleViolationDurationMs",
	                      (json_int_t)(d->cycle_left_s < 0 ? -d->cycle_left_s : 0) * 1000,
	                      "shiftDrivingViolationDurationMs",
	                      (json_int_t)(d->drive_left_s < 0 ? -d->drive_left_s : 0) * 1000);
	if (json_is_string(veh)) {
		json_t *vn = sim_render(w, WB_ENT_VEHICLE, (size_t)d->vehicle);
		json_object_set_new(o, "currentVehicle",
		                    json_pack("{s:O,s:O,s:{}}", "id", veh, "name",
		                              json_object_get(vn, "unit"), "ExternalIds"));
		json_decref(vn);
	}
	return o;
}

/* One row of a list: a vehicle, a driver, or a driver's HOS clocks. */
static json_t *entry(const struct sim_world *w, enum wb_entity e, size_t i, int hos)
{
	const struct sim_meta *m = sim_row(&w->t[e], i);
	json_t *cn = sim_render(w, e, i);
	json_t *o;
	if (hos) {
		o = clocks(w, (const struct sim_driver *)(const void *)m, cn);
		json_decref(cn);
		return o;
	}
	o = json_pack("{s:O,s:O,s:o,s:o,s:o}", "id", json_object_get(cn, "id"), "name",
	              json_object_get(cn, e == WB_ENT_VEHICLE ? "unit" : "name"), "tags", tags(cn),
	              "updatedAtTime", time_json(updated_ms(w, m)), "externalIds", json_object());
	json_t *veh = json_object_get(cn, "vehicle_id");
	if (e == WB_ENT_DRIVER) {
		json_object_set_new(o, "driverActivationStatus", json_string("active"));
		if (json_is_string(veh))
			json_object_set_new(o, "staticAssignedVehicle",
			                    json_pack("{s:O}", "id", veh));
	}
	json_decref(cn);
	return o;
}

/* GET /fleet/vehicles, /fleet/drivers and /fleet/hos/clocks: every live row,
 * paged by row. */
static void list(struct sim_req *r, struct sim_reply *rep, enum wb_entity e, int hos)
{
	struct sim_world *w = &r->srv->w;
	const char *after = sim_req_value(r, MHD_GET_ARGUMENT_KIND, "after");
	const char *ls = sim_req_value(r, MHD_GET_ARGUMENT_KIND, "limit");
	char c = hos ? 'h' : e == WB_ENT_VEHICLE ? 'v' : 'd';
	uint64_t from = 0, unused;
	long limit = ls ? strtol(ls, NULL, 10) : LIST_MAX;
	if (limit < 1 || limit > LIST_MAX)
		return fail(rep, 400, "Invalid value for parameter 'limit': must be 1 to 512");
	if (after && *after && cursor(after, c, &from, &unused) != 0)
		return fail(rep, 400, "Invalid value for parameter 'after'");
	const struct sim_table *t = &w->t[e];
	json_t *data = json_array();
	size_t i = (size_t)from;
	for (long n = 0; i < t->n && n < limit; i++) {
		if (((const struct sim_meta *)sim_row(t, i))->deleted)
			continue;
		json_array_append_new(data, entry(w, e, i, hos));
		n++;
	}
	while (i < t->n && ((const struct sim_meta *)sim_row(t, i))->deleted)
		i++;
	char end[40] = "";
	if (i < t->n)
		snprintf(end, sizeof end, "%c.%zu", c, i);
	rep->status = 200;
	rep->body = page(data, end, i < t->n);
}

/* ---- faultCodes --------------------------------------------------------- */

/* A J1939 ECU per severity, with the lamps docs/connectors/samsara.md's table
 * reads back as that severity; OBD-II: MIL on (critical, major), off (minor),
 * pending (info). */
static const struct {
	int tx;
	const char *src;
	int stop, warn, mil;
} ecus[4] = {{0, "Engine #1", 1, 1, 1},
             {3, "Transmission #1", 0, 1, 0},
             {61, "Aftertreatment #1", 0, 0, 1},
             {49, "Cab Controller", 0, 0, 0}};

static json_t *dtc_j1939(const char *code, const char *desc)
{
	int spn = 0, fmi = 0;
	sscanf(code, "SPN%d-FMI%d", &spn, &fmi);
	return json_pack("{s:i,s:i,s:i,s:i,s:s}", "spnId", spn, "fmiId", fmi, "milStatus", 0,
	                 "occurrenceCount", 1, "spnDescription", desc);
}

/* One vehicle's last known codes (NULL when it never had any). */
static json_t *vehicle_faults(const struct sim_world *w, size_t v, json_t *id)
{
	const struct sim_table *ft = &w->t[WB_ENT_FAULT];
	int64_t at = 0;
	int any = 0;
	for (size_t i = 0; i < ft->n; i++) {
		const struct sim_fault *f = sim_row(ft, i);
		if (f->vehicle != v || f->m.deleted)
			continue;
		any = 1;
		int64_t t = f->active ? f->first_seen : f->last_seen;
		at = t > at ? t : at;
	}
	if (!any)
		return NULL;
	json_t *j1939[4] = {json_array(), json_array(), json_array(), json_array()};
	json_t *obd_on = json_array(), *obd_off = json_array(), *obd_pend = json_array();
	for (size_t i = 0; i < ft->n; i++) {
		const struct sim_fault *f = sim_row(ft, i);
		if (f->vehicle != v || f->m.deleted || !f->active)
			continue;
		json_t *cn = sim_render(w, WB_ENT_FAULT, i);
		const char *code = sim_fault_code(f->code);
		const char *desc = json_string_value(json_object_get(cn, "description"));
		int sev = sim_fault_severity(f->code);
		if (code[0] == 'P') {
			json_t *dst = sev <= 1 ? obd_on : sev == 2 ? obd_off : obd_pend;
			json_array_append_new(dst, json_pack("{s:i,s:s,s:s}", "dtcId",
			                                     (int)strtol(code + 1, NULL, 16),
			                                     "dtcShortCode", code, "dtcDescription",
			                                     desc));
		} else {
			json_array_append_new(j1939[sev & 3], dtc_j1939(code, desc));
		}
		json_decref(cn);
	}
	json_t *readings = json_array();
	json_t *t = time_json(at * 1000);
	for (int s = 0; s < 4; s++) {
		if (!json_array_size(j1939[s])) {
			json_decref(j1939[s]);
			continue;
		}
		json_array_append_new(
		        readings, json_pack("{s:O,s:s,s:{s:{s:b,s:b,s:b,s:b},s:o}}", "time", t,
		                            "canBusType", "J1939_500", "j1939", "checkEngineLights",
		                            "stopIsOn", ecus[s].stop, "warningIsOn", ecus[s].warn,
		                            "protectIsOn", 0, "emissionsIsOn", ecus[s].mil,
		                            "diagnosticTroubleCodes", j1939[s]));
	}
	json_t *obd = json_array();
	if (json_array_size(obd_on))
		json_array_append_new(obd, json_pack("{s:i,s:b,s:O,s:[],s:[]}", "txId", 0x7E8,
		                                     "milStatus", 1, "confirmedDtcs", obd_on,
		                                     "pendingDtcs", "permanentDtcs"));
	if (json_array_size(obd_off) || json_array_size(obd_pend))
		json_array_append_new(obd, json_pack("{s:i,s:b,s:O,s:O,s:[]}", "txId", 0x7E9,
		                                     "milStatus", 0, "confirmedDtcs", obd_off,
		                                     "pendingDtcs", obd_pend, "permanentDtcs"));
	json_decref(obd_on);
	json_decref(obd_off);
	json_decref(obd_pend);
	/* A vehicle whose codes all cleared reports an empty list on its bus. */
	int van = SIM_ROW(w, VEHICLE, sim_vehicle, v)->kind == VK_VAN;
	if (!json_array_size(obd) && !json_array_size(readings) && !van)
		json_array_append_new(
		        readings, json_pack("{s:O,s:s,s:{s:{s:b,s:b,s:b,s:b},s:[]}}", "time", t,
		                            "canBusType", "J1939_500", "j1939", "checkEngineLights",
		                            "stopIsOn", 0, "warningIsOn", 0, "protectIsOn", 0,
		                            "emissionsIsOn", 0, "diagnosticTroubleCodes"));
	if (json_array_size(obd) || !json_array_size(readings))
		json_array_append_new(readings,
		                      json_pack("{s:O,s:s,s:{s:b,s:o}}", "time", t, "canBusType",
		                                "OBDII", "obdii", "checkEngineLightIsOn",
		                                json_array_size(obd) > 0, "diagnosticTroubleCodes",
		                                obd));
	else
		json_decref(obd);
	json_decref(t);
	return json_pack("{s:O,s:o,s:o}", "id", id, "name", json_string(""), "faultCodes",
	                 readings);
}

static json_t *fault_entry(const struct sim_world *w, size_t v)
{
	json_t *cn = sim_render(w, WB_ENT_VEHICLE, v);
	json_t *o = vehicle_faults(w, v, json_object_get(cn, "id"));
	if (o)
		json_object_set(o, "name", json_object_get(cn, "unit"));
	json_decref(cn);
	return o;
}

static void feed_faults(struct sim_req *r, struct sim_reply *rep, const char *after)
{
	struct sim_world *w = &r->srv->w;
	uint64_t seq = w->seq, next = 0;
	if (after && cursor(after, 'f', &seq, &next) != 0)
		return fail(rep, 400, "Invalid value for parameter 'after'");
	const struct sim_table *vt = &w->t[WB_ENT_VEHICLE];
	json_t *data = json_array();
	char end[64];
	if (!after || next > 0) { /* the snapshot, by vehicle */
		size_t v = (size_t)next;
		for (; v < vt->n && json_array_size(data) < LIST_MAX; v++) {
			json_t *o = fault_entry(w, v);
			if (o)
				json_array_append_new(data, o);
		}
		int more = v < vt->n;
		snprintf(end, sizeof end, "f.%" PRIu64 ".%zu", seq, more ? v : (size_t)0);
		rep->status = 200;
		rep->body = page(data, end, more);
		return;
	}
	/* Changes after seq: each vehicle whose codes changed, with all its codes. */
	const struct sim_table *ft = &w->t[WB_ENT_FAULT];
	char *seen = calloc(vt->n ? vt->n : 1, 1);
	for (size_t j = sim_log_find(ft, seq); seen && j < ft->nlog; j++) {
		const struct sim_fault *f = sim_row(ft, ft->log[j].idx);
		if (f->m.seq != ft->log[j].seq || seen[f->vehicle])
			continue;
		seen[f->vehicle] = 1;
		json_t *o = fault_entry(w, f->vehicle);
		if (o)
			json_array_append_new(data, o);
	}
	free(seen);
	snprintf(end, sizeof end, "f.%" PRIu64 ".0", w->seq);
	rep->status = 200;
	rep->body = page(data, end, 0);
}

/* ---- gps, engineStates, fuelPercents -------------------------------------- */

static double round_to(double x, double unit)
{
	return (double)(int64_t)(x / unit + (x < 0 ? -0.5 : 0.5)) * unit;
}

static json_t *pos_entry(json_t *data, json_t **byveh, const struct sim_world *w,
                         const struct sim_pos *p)
{
	json_t *o = byveh[p->vehicle];
	if (!o) {
		json_t *cn = sim_render(w, WB_ENT_VEHICLE, p->vehicle);
		o = json_pack("{s:O,s:O,s:[],s:[],s:[]}", "id", json_object_get(cn, "id"), "name",
		              json_object_get(cn, "unit"), "gps", "engineStates", "fuelPercents");
		json_decref(cn);
		json_array_append_new(data, o);
		byveh[p->vehicle] = o;
	}
	json_t *t = time_json(p->ts_ms);
	json_array_append_new(
	        json_object_get(o, "gps"),
	        json_pack("{s:O,s:f,s:f,s:f,s:f,s:b}", "time", t, "latitude",
	                  round_to(p->lat, 1e-6), "longitude", round_to(p->lon, 1e-6),
	                  "headingDegrees", round_to(p->heading, 0.01), "speedMilesPerHour",
	                  round_to(p->speed_mps * MPS_TO_MPH, 0.01), "isEcuSpeed", 0));
	const char *eng = p->ignition <= 0 ? "Off" : p->speed_mps > 0.5f ? "On" : "Idle";
	json_array_append_new(json_object_get(o, "engineStates"),
	                      json_pack("{s:O,s:s}", "time", t, "value", eng));
	json_array_append_new(
	        json_object_get(o, "fuelPercents"),
	        json_pack("{s:O,s:I}", "time", t, "value", (json_int_t)(p->fuel_pct + 0.5f)));
	json_decref(t);
	return o;
}

static void feed_positions(struct sim_req *r, struct sim_reply *rep, const char *after)
{
	struct sim_world *w = &r->srv->w;
	uint64_t oldest = w->pos_seq > w->pos_cap ? w->pos_seq - w->pos_cap + 1 : 1, from, unused;
	size_t nv = w->t[WB_ENT_VEHICLE].n;
	json_t **byveh = calloc(nv ? nv : 1, sizeof(*byveh));
	json_t *data = json_array();
	char end[48];
	int more = 0;
	if (!byveh)
		return fail(rep, 500, "out of memory");
	if (!after) { /* last known: each vehicle's newest position */
		for (uint64_t s = w->pos_seq; s >= oldest && s > 0; s--) {
			const struct sim_pos *p = &w->pos[s % w->pos_cap];
			if (!byveh[p->vehicle])
				pos_entry(data, byveh, w, p);
		}
		snprintf(end, sizeof end, "p.%" PRIu64, w->pos_seq);
	} else if (cursor(after, 'p', &from, &unused) != 0 || from > w->pos_seq ||
	           from + 1 < oldest) {
		free(byveh);
		json_decref(data);
		return fail(rep, 400, EXPIRED);
	} else {
		uint64_t s = from + 1;
		for (int n = 0; s <= w->pos_seq && n < PAGE_GPS; s++, n++)
			pos_entry(data, byveh, w, &w->pos[s % w->pos_cap]);
		more = s <= w->pos_seq;
		snprintf(end, sizeof end, "p.%" PRIu64, s - 1);
	}
	free(byveh);
	rep->status = 200;
	rep->body = page(data, end, more);
}

/* The stats calls' types (at most 3) and after ("" is none); NULL when the
 * call is refused (rep holds Samsara's 400). */
static const char *stats_args(struct sim_req *r, struct sim_reply *rep, const char **after)
{
	const char *types = sim_req_value(r, MHD_GET_ARGUMENT_KIND, "types");
	*after = sim_req_value(r, MHD_GET_ARGUMENT_KIND, "after");
	if (*after && !**after)
		*after = NULL;
	int n = 1;
	for (const char *p = types ? types : ""; *p; p++)
		n += *p == ',';
	if (!types)
		fail(rep, 400, "Missing required parameter 'types'");
	else if (n > 3)
		fail(rep, 400, "Invalid value for parameter 'types': at most 3 types");
	else
		return types;
	return NULL;
}

/* "2025-03-07T10:00:00Z" or with ms ("...:00.125Z") into ms; -1 when not one. */
static int64_t parse_time(const char *s)
{
	struct tm tm = {0};
	int ms = 0, n = 0, k = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	                 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return -1;
	if (s[n] == '.' && sscanf(s + n, ".%3d%n", &ms, &k) == 1 && k == 4)
		n += k;
	if (strcmp(s + n, "Z") != 0 || tm.tm_year < 1970)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

/* GET /fleet/vehicles/stats/history: the ring's positions timed within
 * [startTime, endTime], in the order they came, PAGE_GPS readings a page
 * (grouped by vehicle within it); the cursor is "r.<last seq read>". */
static void stats_history(struct sim_req *r, struct sim_reply *rep)
{
	struct sim_world *w = &r->srv->w;
	const char *after, *types = stats_args(r, rep, &after);
	const char *st = sim_req_value(r, MHD_GET_ARGUMENT_KIND, "startTime");
	const char *et = sim_req_value(r, MHD_GET_ARGUMENT_KIND, "endTime");
	int64_t t0 = parse_time(st), t1 = parse_time(et);
	uint64_t oldest = w->pos_seq > w->pos_cap ? w->pos_seq - w->pos_cap + 1 : 1, from, unused;
	if (!types)
		return;
	if (!st || !et)
		return fail(rep, 400,
		            st ? "Missing required parameter 'endTime'"
		               : "Missing required parameter 'startTime'");
	if (t0 < 0 || t1 < 0)
		return fail(rep, 400,
		            t0 < 0 ? "Invalid value for parameter 'startTime'"
		                   : "Invalid value for parameter 'endTime'");
	if (t1 < t0)
		return fail(rep, 400, "Invalid value for parameter 'endTime': before startTime");
	if (!strstr(types, "gps"))
		return fail(rep, 400,
		            "the simulator serves the history of gps,engineStates,"
		            "fuelPercents");
	if (after &&
	    (cursor(after, 'r', &from, &unused) != 0 || from > w->pos_seq || from + 1 < oldest))
		return fail(rep, 400, EXPIRED);
	size_t nv = w->t[WB_ENT_VEHICLE].n;
	json_t **byveh = calloc(nv ? nv : 1, sizeof(*byveh)), *data = json_array();
	if (!byveh) {
		json_decref(data);
		return fail(rep, 500, "out of memory");
	}
	uint64_t s = after ? from + 1 : oldest, last = s - 1;
	int n = 0, more = 0;
	for (; s <= w->pos_seq && !more; s++) {
		const struct sim_pos *p = &w->pos[s % w->pos_cap];
		if (p->ts_ms < t0 || p->ts_ms > t1)
			continue;
		more = n == PAGE_GPS;
		if (!more) {
			pos_entry(data, byveh, w, p);
			last = s;
			n++;
		}
	}
	free(byveh);
	char end[48];
	snprintf(end, sizeof end, "r.%" PRIu64, last);
	rep->status = 200;
	rep->body = page(data, end, more);
}

/* The stats feed: faultCodes alone, or gps with engineStates and fuelPercents. */
static void stats_feed(struct sim_req *r, struct sim_reply *rep)
{
	const char *after, *types = stats_args(r, rep, &after);
	if (!types)
		return;
	if (after && sim_fault_hit(r->svc, r->svc->f.expire))
		return fail(rep, 400, EXPIRED);
	if (!strcmp(types, "faultCodes"))
		return feed_faults(r, rep, after);
	if (strstr(types, "gps"))
		return feed_positions(r, rep, after);
	fail(rep, 400, "the simulator serves types=faultCodes or gps,engineStates,fuelPercents");
}

/* ---- DVIRs ----------------------------------------------------------------- */

static void dvirs(struct sim_req *r, struct sim_reply *rep)
{
	struct sim_world *w = &r->srv->w;
	const char *after = sim_req_value(r, MHD_GET_ARGUMENT_KIND, "after");
	const char *ls = sim_req_value(r, MHD_GET_ARGUMENT_KIND, "limit");
	uint64_t seq = 0, unused;
	long limit = ls ? strtol(ls, NULL, 10) : 200;
	if (!sim_req_value(r, MHD_GET_ARGUMENT_KIND, "startTime"))
		return fail(rep, 400, "Missing required parameter 'startTime'");
	if (limit < 1 || limit > 200)
		return fail(rep, 400, "Invalid value for parameter 'limit': must be 1 to 200");
	if (after && *after &&
	    (cursor(after, 'i', &seq, &unused) != 0 || sim_fault_hit(r->svc, r->svc->f.expire)))
		return fail(rep, 400, EXPIRED);
	const struct sim_table *t = &w->t[WB_ENT_INSPECTION];
	json_t *data = json_array();
	size_t j = sim_log_find(t, seq);
	uint64_t last = seq;
	for (long n = 0; j < t->nlog && n < limit; j++) {
		const struct sim_inspection *in = sim_row(t, t->log[j].idx);
		if (in->m.seq != t->log[j].seq || in->m.deleted)
			continue;
		json_t *cn = sim_render(w, WB_ENT_INSPECTION, t->log[j].idx);
		char id[24];
		snprintf(id, sizeof id, "%zu", 7000000 + (size_t)t->log[j].idx + 1);
		json_t *defects = json_array();
		if (in->defect) {
			char did[32];
			snprintf(did, sizeof did, "%s-%u", id, (unsigned)in->defect);
			json_array_append_new(defects, json_string(did));
		}
		json_t *at = time_json(in->at * 1000);
		json_array_append_new(
		        data,
		        json_pack("{s:s,s:s,s:s,s:O,s:O,s:o,s:{s:O},s:{s:s,s:{s:O},s:O},s:o}", "id",
		                  id, "type", in->kind ? "postTrip" : "preTrip", "safetyStatus",
		                  in->safe ? "safe" : "unsafe", "dvirSubmissionBeginTime", at,
		                  "dvirSubmissionTime", at, "updatedAtTime",
		                  time_json(updated_ms(w, &in->m)), "vehicle", "id",
		                  json_object_get(cn, "vehicle_id"), "authorSignature", "type",
		                  "driver", "signatoryUser", "id", json_object_get(cn, "driver_id"),
		                  "signedAtTime", at, "defectIds", defects));
		json_decref(at);
		json_decref(cn);
		last = t->log[j].seq;
		n++;
	}
	int more = 0;
	for (; j < t->nlog && !more; j++) {
		const struct sim_meta *m = sim_row(t, t->log[j].idx);
		more = m->seq == t->log[j].seq && !m->deleted;
	}
	char end[48];
	snprintf(end, sizeof end, "i.%" PRIu64, more ? last : w->seq);
	rep->status = 200;
	rep->body = page(data, end, more);
}

/* ---- the service ------------------------------------------------------------ */

static int authorised(struct sim_req *r)
{
	const char *h = sim_req_value(r, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h || strncmp(h, "Bearer ", 7) != 0)
		return 0;
	for (int i = 0; i < SIM_ROLE__COUNT; i++)
		if (strcmp(h + 7, r->srv->tokens[i]) == 0)
			return 1;
	return 0;
}

void sim_samsara_serve(struct sim_req *r, struct sim_reply *rep)
{
	struct sim_world *w = &r->srv->w;
	pthread_mutex_lock(&w->mu);
	const struct sim_fault_cfg f = r->svc->f;
	int hit5xx = sim_fault_hit(r->svc, f.rate5xx), hit429 = sim_fault_hit(r->svc, f.rate429);
	pthread_mutex_unlock(&w->mu);
	if (hit5xx)
		return fail(rep, 503, "Service Unavailable");
	if (hit429) {
		/* Samsara sends Retry-After with its 429s; retry_after=0 leaves it out. */
		rep->retry_after_s = f.retry_after_s;
		return fail(rep, 429, "Too Many Requests: rate limit exceeded");
	}
	if (!authorised(r))
		return fail(rep, 401, "Unauthorized");
	if (strcmp(r->method, "GET") != 0)
		return fail(rep, 405, "Method Not Allowed");
	const char *u = r->url;
	pthread_mutex_lock(&w->mu);
	if (!strcmp(u, "/me"))
		rep->status = 200,
		rep->body = json_pack("{s:{s:s,s:s,s:{s:s}}}", "data", "id", "4009", "name",
		                      "Waybill Sim Fleet", "carrierSettings", "carrierName",
		                      "Waybill Sim Fleet");
	else if (!strcmp(u, "/fleet/vehicles"))
		list(r, rep, WB_ENT_VEHICLE, 0);
	else if (!strcmp(u, "/fleet/drivers"))
		list(r, rep, WB_ENT_DRIVER, 0);
	else if (!strcmp(u, "/fleet/hos/clocks"))
		list(r, rep, WB_ENT_DRIVER, 1);
	else if (!strcmp(u, "/fleet/vehicles/stats/feed"))
		stats_feed(r, rep);
	else if (!strcmp(u, "/fleet/vehicles/stats/history"))
		stats_history(r, rep);
	else if (!strcmp(u, "/dvirs/stream"))
		dvirs(r, rep);
	else
		fail(rep, 404, "Not Found");
	pthread_mutex_unlock(&w->mu);
}
