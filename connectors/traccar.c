/* The "traccar" kind: the telematics role from a Traccar server's REST API
 * (Traccar's openapi.yaml, v6.14.5; docs/connectors/traccar.md). The config's
 * url is the server's root; every path is under /api. Auth is an API token
 * sent as a Bearer token (the spec's ApiKey scheme: the engine's default for
 * a kind without login_request). Traccar keeps no versions and no change
 * log, so page_read turns each answer into canonical records (ids, versions
 * and canonical field names) that map_record maps like the canonical kind's. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connectors/connector.h"

/* Streams and their cursors:
 *  - vehicles (/api/devices, limit/offset pages), drivers (/api/drivers) and
 *    faults (the DTCs on each device's latest position, /api/positions) are
 *    snapshot lists: each poll is a full pass (sweep_s 1), so a device,
 *    driver or DTC the server no longer lists is removed from the cache.
 *    Vehicles take two answers a row (read_vehicles); the others need no
 *    cursor ("").
 *  - positions is a feed over time windows (see the cursor below). */
static const struct connector_stream telematics_streams[] = {
        {"vehicles", "/api/devices", WB_ENT_VEHICLE, CADENCE_FAST, NULL, 0},
        {"drivers", "/api/drivers", WB_ENT_DRIVER, CADENCE_FAST, NULL, 0},
        {"faults", "/api/positions", WB_ENT_FAULT, CADENCE_FAST, NULL, 0},
        {"positions", "/api/reports/route", -1, CADENCE_FAST, NULL, 0},
};

#define N(a) (sizeof(a) / sizeof(a[0]))
#define KNOT_MPS 0.514444 /* Traccar's speed is in knots */
/* Positions: a first sync reads the last hour; each later window starts
 * OVERLAP before the last one ended, so a position stored late (its fix time
 * older than the server's newest) is still read; the cache keys positions by
 * (ts_ms, vehicle_id), so a re-read is not doubled. A window is never longer
 * than MAX_WINDOW (Traccar's report.periodLimit refuses long reports). */
#define FIRST_WINDOW_MS (3600 * 1000LL)
#define OVERLAP_MS (120 * 1000LL)
#define MAX_WINDOW_MS (24 * 3600 * 1000LL)
#define CURSOR_MAX 480
#define SKEW_MS (300 * 1000LL) /* a device's clock ahead of the server's */

static const struct connector_stream *streams(const char *role, size_t *n)
{
	*n = 0;
	if (!role || strcmp(role, "telematics") != 0)
		return NULL;
	*n = N(telematics_streams);
	return telematics_streams;
}

static int sweep_s(const struct connector_stream *s)
{
	return s->entity >= 0 ? 1 : 0;
}

/* ---- values ---------------------------------------------------------------- */

/* A Traccar id: a positive integer. */
static int64_t tc_id(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : 0;
}

static int set_time(json_t *rec, const char *key, int64_t ms, int in_ms)
{
	if (ms == WB_NULL)
		return json_object_set_new(rec, key, json_null());
	return json_object_set_new(rec, key, json_integer(in_ms ? ms : ms / 1000));
}

/* An ISO 8601 time of Traccar's ("2026-11-29T14:32:05.000+00:00"), or
 * WB_NULL when absent or null; -1 when present but not a time. */
static int tc_time(json_t *o, const char *key, int64_t *ms)
{
	json_t *v = json_object_get(o, key);
	*ms = WB_NULL;
	if (!v || json_is_null(v))
		return 0;
	return json_is_string(v) && connector_parse_time_ms(json_string_value(v), ms) == 0 ? 0 : -1;
}

static void fmt_time(int64_t ms, char *buf, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	if (tm.tm_year < 0 || tm.tm_year > 8000) /* never for a time in range */
		tm.tm_year = 0;
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* A number attribute, NAN when absent; -1 when present and not a number. */
static int attr_num(json_t *attrs, const char *key, double *out)
{
	json_t *v = json_object_get(attrs, key);
	*out = NAN;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 0;
}

/* ---- faults: DTC codes and their severity ----------------------------------- */

/* Traccar gives a DTC no severity: it is the code's, by this table of codes
 * whose meaning is known (SAE J1939-73 SPN/FMI; SAE J2012 / ISO 15031-6 for
 * OBD-II), else by rule: a J1939 FMI 0 or 1 ("most severe") is critical,
 * other J1939 codes major; an OBD-II code lights the MIL: major. */
static const struct {
	const char *code, *severity, *description;
} severities[] = {
        {"SPN100-FMI1", "critical", "Engine oil pressure low, most severe"},
        {"SPN110-FMI0", "critical", "Engine coolant temperature high, most severe"},
        {"SPN5246-FMI0", "critical", "SCR operator inducement severity high"},
        {"SPN3031-FMI9", "major", "Aftertreatment DEF tank temperature, abnormal update rate"},
        {"SPN157-FMI18", "major", "Injector metering rail pressure low, moderately severe"},
        {"SPN1569-FMI31", "major", "Engine protection torque derate active"},
        {"SPN3226-FMI2", "minor", "Aftertreatment outlet NOx sensor data erratic"},
        {"SPN639-FMI14", "info", "J1939 network #1 special instructions"},
        {"P0087", "major", "Fuel rail/system pressure too low"},
        {"P0217", "critical", "Engine coolant over-temperature condition"},
        {"P0300", "major", "Random/multiple cylinder misfire detected"},
        {"P0420", "minor", "Catalyst system efficiency below threshold, bank 1"},
        {"P0171", "minor", "System too lean, bank 1"},
        {"P0562", "minor", "System voltage low"},
        {"P0128", "info", "Coolant thermostat below regulating temperature"},
};

/* "SPN<n>-FMI<n>" is j1939, "[PCBU]<4 hex>" obd2; NULL for neither. */
static const char *dtc_protocol(const char *c, int *fmi)
{
	*fmi = -1;
	if (strlen(c) == 5 && strchr("PCBU", c[0]) && strspn(c + 1, "0123456789ABCDEF") == 4)
		return "obd2";
	unsigned spn, f;
	int used = 0;
	if (sscanf(c, "SPN%u-FMI%u%n", &spn, &f, &used) == 2 && (size_t)used == strlen(c) &&
	    f <= 31 && spn <= 524287) {
		*fmi = (int)f;
		return "j1939";
	}
	return NULL;
}

static const char *traccar_dtc_severity(const char *code, const char **description)
{
	*description = NULL;
	for (size_t i = 0; i < N(severities); i++)
		if (!strcmp(severities[i].code, code)) {
			*description = severities[i].description;
			return severities[i].severity;
		}
	int fmi;
	const char *proto = dtc_protocol(code, &fmi);
	if (!proto)
		return NULL;
	return fmi == 0 || fmi == 1 ? "critical" : "major";
}

/* The faults of one latest position: its "dtcs" attribute, codes separated
 * by spaces or commas (as Traccar's OBD decoders write them). */
static int faults_of(json_t *pos, json_t *out, struct wb_err *err)
{
	int64_t dev = tc_id(pos, "deviceId"), ms;
	if (!dev || tc_time(pos, "fixTime", &ms) != 0 || ms == WB_NULL)
		return wb_fail(err, WB_EINVALID, "faults: a position has no deviceId or fixTime");
	json_t *attrs = json_object_get(pos, "attributes");
	json_t *d = json_object_get(attrs, "dtcs");
	if (!d || json_is_null(d))
		return 0;
	if (!json_is_string(d))
		return wb_fail(err, WB_EINVALID, "faults: device %" PRId64 ": \"dtcs\" is not text",
		               dev);
	char buf[1024], vid[24];
	snprintf(buf, sizeof(buf), "%s", json_string_value(d));
	snprintf(vid, sizeof(vid), "%" PRId64, dev);
	char *save = NULL;
	for (char *c = strtok_r(buf, " ,;", &save); c; c = strtok_r(NULL, " ,;", &save)) {
		int fmi;
		const char *proto = dtc_protocol(c, &fmi);
		if (!proto)
			return wb_fail(
			        err, WB_EINVALID,
			        "faults: device %s reports \"%.40s\", not a J1939 or OBD-II code",
			        vid, c);
		char id[80];
		snprintf(id, sizeof(id), "%s-%s", vid, c);
		const char *desc, *sev = traccar_dtc_severity(c, &desc);
		json_t *f = json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:b}", "id", id, "version",
		                      (json_int_t)ms, "vehicle_id", vid, "code", c, "protocol",
		                      proto, "severity", sev, "active", 1);
		if (f && desc)
			json_object_set_new(f, "description", json_string(desc));
		if (!f || set_time(f, "first_seen", ms, 0) || set_time(f, "last_seen", ms, 0) ||
		    json_array_append_new(out, f))
			return wb_fail(err, WB_ENOMEM, "out of memory");
	}
	return 0;
}

/* ---- positions -------------------------------------------------------------- */

/* One Traccar position as a canonical one; *fix its fix time. */
static int position_of(json_t *p, json_t **out, int64_t *fix, struct wb_err *err)
{
	int64_t dev = tc_id(p, "deviceId");
	json_t *lat = json_object_get(p, "latitude"), *lon = json_object_get(p, "longitude");
	json_t *spd = json_object_get(p, "speed"), *crs = json_object_get(p, "course");
	json_t *attrs = json_object_get(p, "attributes");
	if (!json_is_object(p) || !dev || tc_time(p, "fixTime", fix) != 0 || *fix == WB_NULL ||
	    !json_is_number(lat) || !json_is_number(lon) || (attrs && !json_is_object(attrs)))
		return wb_fail(
		        err, WB_EINVALID,
		        "positions: a position lacks deviceId, fixTime, latitude or longitude");
	double odo, total, fuel;
	if (attr_num(attrs, "odometer", &odo) || attr_num(attrs, "totalDistance", &total) ||
	    attr_num(attrs, "fuel", &fuel))
		return wb_fail(err, WB_EINVALID,
		               "positions: device %" PRId64 ": odometer, totalDistance or fuel is "
		               "not a number",
		               dev);
	char vid[24];
	snprintf(vid, sizeof(vid), "%" PRId64, dev);
	json_t *o = json_pack("{s:s,s:I,s:O,s:O}", "vehicle_id", vid, "ts_ms", (json_int_t)*fix,
	                      "lat", lat, "lon", lon);
	if (!o)
		return wb_fail(err, WB_ENOMEM, "out of memory");
	if (json_is_number(spd))
		json_object_set_new(o, "speed_mps", json_real(json_number_value(spd) * KNOT_MPS));
	if (json_is_number(crs))
		json_object_set_new(o, "heading", json_real(json_number_value(crs)));
	/* odometer is the vehicle's own (OBD/CAN), totalDistance Traccar's sum of
	 * GPS distance: the vehicle's reading wins. Both are metres. */
	if (!isnan(odo) || !isnan(total))
		json_object_set_new(o, "odometer_m", json_real(!isnan(odo) ? odo : total));
	if (!isnan(fuel))
		json_object_set_new(o, "fuel_pct", json_real(fuel));
	json_t *ign = json_object_get(attrs, "ignition");
	if (json_is_boolean(ign))
		json_object_set_new(o, "ignition", json_boolean(json_is_true(ign)));
	*out = o;
	return 0;
}

/* The positions cursor: "" (never read), "C<end ms>" (caught up to the end
 * of the last window), or "W<from ms>-<to ms>:<device ids>" in a pass: the
 * route reports of the window still to read, for the devices listed
 * ("1-40,57": ranges). A pass begins with the latest positions of every
 * device (GET /api/positions): the window ends at the newest fix time there,
 * and only devices whose latest fix lies in the window are asked for, so
 * that every report page brings at least that position. */
struct pcur {
	char kind; /* '\0', 'C' or 'W' */
	int64_t from, to;
	const char *ids;
};

static int pcur_parse(const char *c, struct pcur *p)
{
	memset(p, 0, sizeof(*p));
	p->ids = "";
	if (!c || !*c)
		return 0;
	char *end;
	if (c[0] == 'C') {
		p->kind = 'C';
		p->to = strtoll(c + 1, &end, 10);
		return end != c + 1 && !*end && p->to > 0 ? 0 : -1;
	}
	if (c[0] != 'W')
		return -1;
	p->kind = 'W';
	p->from = strtoll(c + 1, &end, 10);
	if (*end != '-')
		return -1;
	p->to = strtoll(end + 1, &end, 10);
	if (*end != ':' || p->from <= 0 || p->to < p->from || !end[1])
		return -1;
	p->ids = end + 1;
	return strspn(p->ids, "0123456789,-") == strlen(p->ids) ? 0 : -1;
}

/* Takes the next device id from a range list; 0 at its end, -1 when bad. */
static int64_t ids_next(const char **s, int64_t *lo, int64_t *hi)
{
	if (*lo && *lo < *hi)
		return ++*lo;
	if (!**s)
		return 0;
	char *end;
	*lo = strtoll(*s, &end, 10);
	*hi = *lo;
	if (*end == '-')
		*hi = strtoll(end + 1, &end, 10);
	if (*lo <= 0 || *hi < *lo || (*end && *end != ','))
		return -1;
	*s = *end ? end + 1 : end;
	return *lo;
}

/* The route report's path for the first devices of p that fit; *after gets
 * the rest of the list ("" none). */
static int route_path(const struct pcur *p, char *path, size_t len, char *after, size_t alen)
{
	char f[64], t[64];
	fmt_time(p->from, f, sizeof(f));
	fmt_time(p->to, t, sizeof(t));
	int n = snprintf(path, len, "/api/reports/route?from=%s&to=%s", f, t);
	const char *s = p->ids;
	int64_t lo = 0, hi = 0, id, count = 0;
	while ((id = ids_next(&s, &lo, &hi)) > 0) {
		char one[32];
		int k = snprintf(one, sizeof(one), "&deviceId=%" PRId64, id);
		if ((size_t)(n + k) >= len) {
			/* the rest: this id to hi, then the unread list */
			snprintf(after, alen, "%" PRId64 "-%" PRId64 "%s%s", id, hi, *s ? "," : "",
			         s);
			return count ? 0 : -1;
		}
		memcpy(path + n, one, (size_t)k + 1);
		n += k;
		count++;
	}
	after[0] = '\0';
	return id < 0 || !count ? -1 : 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorted ids as ranges into buf; -1 when they do not fit. */
static int ids_format(int64_t *ids, size_t n, char *buf, size_t len)
{
	qsort(ids, n, sizeof(*ids), cmp_i64);
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && ids[j + 1] <= ids[j] + 1)
			j++;
		int k = ids[j] == ids[i] ? snprintf(buf + off, len - off, "%s%" PRId64,
		                                    off ? "," : "", ids[i])
		                         : snprintf(buf + off, len - off, "%s%" PRId64 "-%" PRId64,
		                                    off ? "," : "", ids[i], ids[j]);
		if (k < 0 || off + (size_t)k >= len)
			return -1;
		off += (size_t)k;
		i = j + 1;
	}
	return 0;
}

/* The latest positions page: its positions, and the window to read. */
static int read_latest(const struct pcur *c, json_t *arr, json_t *data, char *next, size_t nlen,
                       int *more, struct wb_err *err)
{
	size_t n = json_array_size(arr), i;
	int64_t *fix = calloc(n ? n : 1, sizeof(*fix)), *dev = calloc(n ? n : 1, sizeof(*dev));
	int64_t newest = c->to;
	json_t *p;
	int rc = fix && dev ? 0 : wb_fail(err, WB_ENOMEM, "out of memory");
	json_array_foreach(arr, i, p)
	{
		json_t *o;
		if (rc || (rc = position_of(p, &o, &fix[i], err)) != 0)
			break;
		dev[i] = tc_id(p, "deviceId");
		json_array_append_new(data, o);
		/* A fix later than the server received it is a device's clock gone
		 * wrong: it must not move the window past every other device's. */
		int64_t recv;
		if (tc_time(p, "serverTime", &recv) == 0 && recv != WB_NULL &&
		    fix[i] > recv + SKEW_MS)
			fix[i] = WB_NULL;
		if (fix[i] > newest)
			newest = fix[i];
	}
	if (rc == 0) {
		int64_t from = c->kind == 'C' ? c->to - OVERLAP_MS : newest - FIRST_WINDOW_MS;
		if (newest - from > MAX_WINDOW_MS)
			from = newest - MAX_WINDOW_MS;
		size_t m = 0;
		for (i = 0; i < n; i++)
			if (fix[i] >= from && fix[i] <= newest)
				dev[m++] = dev[i];
		char ids[CURSOR_MAX - 40]; /* room for a range split by route_path */
		*more = m > 0;
		if (!m)
			snprintf(next, nlen, "C%" PRId64, newest);
		else if (ids_format(dev, m, ids, sizeof(ids)) != 0 ||
		         snprintf(next, nlen, "W%" PRId64 "-%" PRId64 ":%s", from, newest, ids) >=
		                 (int)nlen)
			rc = wb_fail(
			        err, WB_EINVALID,
			        "positions: the ids of %zu reporting devices do not fit a cursor",
			        m);
	}
	free(fix);
	free(dev);
	return rc;
}

/* ---- pages ----------------------------------------------------------------- */

/* Traccar's device category ("truck", "van", "trailer" ...) as our kind. */
static const char *kind_of(const char *cat)
{
	static const char *const known[][2] = {{"truck", "tractor"},   {"tractor", "tractor"},
	                                       {"trailer", "trailer"}, {"van", "van"},
	                                       {"rigid", "rigid"},     {"pickup", "van"}};
	for (size_t i = 0; cat && i < N(known); i++)
		if (!strcmp(cat, known[i][0]))
			return known[i][1];
	return NULL;
}

/* A device as the entry a vehicles page keeps in its cursor:
 * [id, positionId (0 none), name, kind|null, depot|null, tank_l|null]. */
static int entry_of(json_t *d, json_t **out, int64_t *seen, struct wb_err *err)
{
	int64_t id = tc_id(d, "id");
	const char *name = json_string_value(json_object_get(d, "name"));
	json_t *attrs = json_object_get(d, "attributes");
	json_t *pid = json_object_get(d, "positionId");
	double tank;
	if (!id || !name || tc_time(d, "lastUpdate", seen) != 0 ||
	    (pid && !json_is_null(pid) && !json_is_integer(pid)) ||
	    (attrs && !json_is_object(attrs)) || attr_num(attrs, "fuelTankCapacity", &tank))
		return wb_fail(err, WB_EINVALID,
		               "vehicles: a device lacks id or name, or has a bad lastUpdate, "
		               "positionId or fuelTankCapacity");
	const char *kind = kind_of(json_string_value(json_object_get(d, "category")));
	const char *depot = json_string_value(json_object_get(attrs, "depot"));
	*out = json_pack("[I,I,s,s?,s?,o]", (json_int_t)id,
	                 json_is_integer(pid) && json_integer_value(pid) > 0
	                         ? json_integer_value(pid)
	                         : (json_int_t)0,
	                 name, kind, depot, isnan(tank) ? json_null() : json_real(tank));
	return *out ? 0 : wb_fail(err, WB_ENOMEM, "out of memory");
}

/* A vehicle row from a device's entry and its latest position (NULL: none
 * read). Traccar keeps no version of a device: a row without readings has
 * version 0, so it is written once and never over one with readings; a row
 * with readings has its position's id, which only grows. */
static int vehicle_of(json_t *e, json_t *pos, int64_t seen, json_t **out, struct wb_err *err)
{
	char sid[24];
	json_int_t id, pid;
	const char *name;
	json_t *kind, *depot, *tank;
	if (json_unpack(e, "[I,I,s,o,o,o]", &id, &pid, &name, &kind, &depot, &tank) != 0)
		return wb_fail(err, WB_EINVALID, "vehicles: a cursor entry is not ours");
	snprintf(sid, sizeof(sid), "%" PRId64, (int64_t)id);
	json_t *o = json_pack("{s:s,s:I,s:s,s:O,s:O,s:O}", "id", sid, "version",
	                      pos ? pid : (json_int_t)0, "unit", name, "kind", kind, "depot", depot,
	                      "tank_l", tank);
	if (!o)
		return wb_fail(err, WB_ENOMEM, "out of memory");
	if (pos) {
		json_t *p;
		int64_t fix;
		if (position_of(pos, &p, &fix, err) != 0) {
			json_decref(o);
			return -1;
		}
		static const char *const keys[] = {"lat",     "lon",        "speed_mps",
		                                   "heading", "odometer_m", "fuel_pct"};
		for (size_t i = 0; i < N(keys); i++)
			if (json_object_get(p, keys[i]))
				json_object_set(o, keys[i], json_object_get(p, keys[i]));
		json_decref(p);
		double hours; /* engine hours, in ms as Traccar keeps them */
		if (attr_num(json_object_get(pos, "attributes"), "hours", &hours) == 0 &&
		    !isnan(hours) && hours >= 0)
			json_object_set_new(o, "engine_s",
			                    json_integer((json_int_t)(hours / 1000)));
		seen = fix;
	}
	set_time(o, "last_seen_ms", seen, 1);
	*out = o;
	return 0;
}

/* The vehicles pass: page A, GET /api/devices?limit&offset (cursor "" or
 * "O<offset>"), writes each new device (version 0) and keeps the entries of
 * those that have a position in the cursor, "P<next offset>;<more>;<entries>";
 * page B, GET /api/positions?id=.. of their positions, writes them whole.
 * Traccar's device carries no readings and its position no name: two
 * answers make one row, and the cursor carries the first to the second. */
#define VEH_PAGE 16
#define VEH_BATCH 12

static int vehicles_b_path(const char *cursor, char *path, size_t len, json_t **entries, long *off,
                           int *more)
{
	char *end;
	*off = strtol(cursor + 1, &end, 10);
	if (*end != ';' || (end[1] != '0' && end[1] != '1') || end[2] != ';')
		return -1;
	*more = end[1] == '1';
	*entries = json_loads(end + 3, 0, NULL);
	size_t i, n = (size_t)snprintf(path, len, "/api/positions?");
	json_t *e;
	if (!json_is_array(*entries) || !json_array_size(*entries))
		return -1;
	json_array_foreach(*entries, i, e)
	{
		json_int_t pid = json_integer_value(json_array_get(e, 1));
		n += (size_t)snprintf(path + n, n < len ? len - n : 0, "%sid=%lld", i ? "&" : "",
		                      (long long)pid);
		if (pid <= 0 || n >= len)
			return -1;
	}
	return 0;
}

static int read_vehicles(const char *cursor, json_t *arr, json_t *data, char *next, size_t nlen,
                         int *more, struct wb_err *err)
{
	size_t i, taken = 0;
	json_t *r, *o, *e;
	int rc = 0;
	if (cursor[0] == 'P') { /* page B */
		char path[256];
		json_t *entries;
		long off;
		int full;
		if (vehicles_b_path(cursor, path, sizeof(path), &entries, &off, &full) != 0) {
			json_decref(entries);
			return wb_fail(err, WB_EINVALID,
			               "vehicles: \"%.40s\" is not a traccar cursor", cursor);
		}
		json_array_foreach(entries, i, e)
		{
			json_int_t pid = json_integer_value(json_array_get(e, 1)), dev;
			json_t *pos = NULL;
			size_t k;
			json_array_foreach(arr, k, r) if (tc_id(r, "id") == pid) pos = r;
			dev = json_integer_value(json_array_get(e, 0));
			if (pos && tc_id(pos, "deviceId") != dev)
				pos = NULL; /* not its position: leave the row as it is */
			if (rc == 0 && (rc = vehicle_of(e, pos, WB_NULL, &o, err)) == 0)
				json_array_append_new(data, o);
		}
		json_decref(entries);
		*more = full;
		if (full)
			snprintf(next, nlen, "O%ld", off);
		return rc;
	}
	long off = cursor[0] == 'O' ? strtol(cursor + 1, NULL, 10) : 0;
	json_t *batch = json_array();
	json_array_foreach(arr, i, r)
	{
		int64_t seen;
		e = NULL;
		if (rc || (rc = entry_of(r, &e, &seen, err)) != 0)
			break;
		json_int_t pid = json_integer_value(json_array_get(e, 1));
		if (pid > 0) {
			json_array_append(batch, e);
			char *t = json_dumps(batch, JSON_COMPACT);
			size_t tl = t ? strlen(t) : SIZE_MAX;
			free(t);
			if (tl > CURSOR_MAX - 40 || json_array_size(batch) > VEH_BATCH) {
				json_array_remove(batch, json_array_size(batch) - 1);
				json_decref(e);
				break; /* this device and the rest: the next page A */
			}
		}
		if ((rc = vehicle_of(e, NULL, seen, &o, err)) == 0)
			json_array_append_new(data, o);
		json_decref(e);
		taken++;
	}
	if (rc == 0 && !taken && json_array_size(arr))
		rc = wb_fail(err, WB_EINVALID, "vehicles: device %" PRId64 "'s name is too long",
		             tc_id(json_array_get(arr, 0), "id"));
	int full = json_array_size(arr) >= VEH_PAGE || taken < json_array_size(arr);
	if (rc == 0 && json_array_size(batch)) {
		char *t = json_dumps(batch, JSON_COMPACT);
		snprintf(next, nlen, "P%ld;%d;%s", off + (long)taken, full, t ? t : "");
		free(t);
		*more = 1;
	} else if (rc == 0) {
		*more = full;
		if (full)
			snprintf(next, nlen, "O%ld", off + (long)taken);
	}
	json_decref(batch);
	return rc;
}

static int driver_of(json_t *d, json_t **out, struct wb_err *err)
{
	int64_t id = tc_id(d, "id");
	const char *name = json_string_value(json_object_get(d, "name"));
	json_t *attrs = json_object_get(d, "attributes");
	if (!id || !name || (attrs && !json_is_object(attrs)))
		return wb_fail(err, WB_EINVALID, "drivers: a driver lacks id or name");
	char sid[24];
	snprintf(sid, sizeof(sid), "%" PRId64, id);
	const char *depot = json_string_value(json_object_get(attrs, "depot"));
	/* No version either: a driver is written once per id (docs). */
	*out = json_pack("{s:s,s:i,s:s}", "id", sid, "version", 1, "name", name);
	if (!*out)
		return wb_fail(err, WB_ENOMEM, "out of memory");
	if (depot)
		json_object_set_new(*out, "depot", json_string(depot));
	return 0;
}

static int page_request(const struct connector_stream *s, const struct connector_login *who,
                        const char *cursor, int limit, struct connector_call *call,
                        struct wb_err *err)
{
	(void)who;
	memset(call, 0, sizeof(*call));
	snprintf(call->method, sizeof(call->method), "GET");
	(void)limit;
	if (s->entity == WB_ENT_VEHICLE && cursor && cursor[0] == 'P') {
		json_t *entries;
		long off;
		int more;
		int rc = vehicles_b_path(cursor, call->path, sizeof(call->path), &entries, &off,
		                         &more);
		json_decref(entries);
		return rc ? wb_fail(err, WB_EINVALID, "vehicles: \"%.40s\" is not a traccar cursor",
		                    cursor)
		          : 0;
	}
	if (s->entity == WB_ENT_VEHICLE) {
		long off = cursor && cursor[0] == 'O' ? strtol(cursor + 1, NULL, 10) : 0;
		snprintf(call->path, sizeof(call->path), "/api/devices?limit=%d&offset=%ld",
		         VEH_PAGE, off > 0 ? off : 0);
		return 0;
	}
	if (s->entity == WB_ENT_DRIVER) {
		snprintf(call->path, sizeof(call->path), "/api/drivers");
		return 0;
	}
	if (s->entity == WB_ENT_FAULT) {
		snprintf(call->path, sizeof(call->path), "/api/positions");
		return 0;
	}
	struct pcur c;
	if (pcur_parse(cursor, &c) != 0)
		return wb_fail(err, WB_EINVALID, "positions: \"%.60s\" is not a traccar cursor",
		               cursor);
	if (c.kind != 'W') {
		snprintf(call->path, sizeof(call->path), "/api/positions");
		return 0;
	}
	char rest[CURSOR_MAX];
	if (route_path(&c, call->path, sizeof(call->path), rest, sizeof(rest)) != 0)
		return wb_fail(err, WB_EINVALID, "positions: bad device list in the cursor");
	return 0;
}

static int page_read(const struct connector_stream *s, const char *cursor,
                     const struct connector_answer *a, json_t **page, struct wb_err *err)
{
	*page = NULL;
	json_error_t je;
	json_t *arr = json_loadb(a->body ? a->body : "", a->body_len, 0, &je);
	if (!json_is_array(arr)) {
		json_decref(arr);
		return wb_fail(err, WB_EINVALID, "%s: the answer is not a JSON array", s->name);
	}
	json_t *data = json_array();
	char next[512] = "";
	int more = 0, rc = data ? 0 : wb_fail(err, WB_ENOMEM, "out of memory");
	size_t i;
	json_t *r, *o;
	if (rc == 0 && s->entity == WB_ENT_VEHICLE) {
		rc = read_vehicles(cursor ? cursor : "", arr, data, next, sizeof(next), &more, err);
	} else if (rc == 0 && s->entity == WB_ENT_DRIVER) {
		json_array_foreach(arr, i, r) if (rc == 0 && (rc = driver_of(r, &o, err)) == 0)
		        json_array_append_new(data, o);
	} else if (rc == 0 && s->entity == WB_ENT_FAULT) {
		json_array_foreach(arr, i, r) if (rc == 0) rc = faults_of(r, data, err);
	} else if (rc == 0) {
		struct pcur c;
		if (pcur_parse(cursor, &c) != 0)
			rc = wb_fail(err, WB_EINVALID,
			             "positions: \"%.60s\" is not a traccar cursor", cursor);
		else if (c.kind != 'W')
			rc = read_latest(&c, arr, data, next, sizeof(next), &more, err);
		else {
			char path[256], rest[CURSOR_MAX] = "";
			int64_t fix;
			json_array_foreach(arr, i, r) if (rc == 0 &&
			                                  (rc = position_of(r, &o, &fix, err)) == 0)
			        json_array_append_new(data, o);
			if (rc == 0 && route_path(&c, path, sizeof(path), rest, sizeof(rest)) != 0)
				rc = wb_fail(err, WB_EINVALID,
				             "positions: bad device list in the cursor");
			/* the reports still to read, or caught up to the window's end */
			more = rc == 0 && rest[0] != '\0';
			if (more)
				snprintf(next, sizeof(next), "W%" PRId64 "-%" PRId64 ":%s", c.from,
				         c.to, rest);
			else
				snprintf(next, sizeof(next), "C%" PRId64, c.to);
		}
	}
	json_decref(arr);
	if (rc == 0)
		*page = json_pack("{s:o,s:s,s:b}", "data", data, "next", next, "has_more", more);
	else
		json_decref(data);
	if (rc == 0 && !*page)
		return wb_fail(err, WB_ENOMEM, "out of memory");
	return rc;
}

/* ---- records ----------------------------------------------------------------
 * page_read gives records and positions in the canonical shape ("id",
 * "version", model field names, SI units), which the canonical kind maps. */

static int map_record(const struct connector_stream *s, const char *source, json_t *rec, void *row,
                      struct wb_err *err)
{
	return connector_waybill.map_record(s, source, rec, row, err);
}

static int map_position(json_t *rec, struct wb_position *p, struct wb_err *err)
{
	return connector_waybill.map_position(rec, p, err);
}

/* ---- who am I, actions ------------------------------------------------------- */

/* GET /api/session with the token: the User it belongs to. Traccar takes
 * no writes from Waybill, so the role is "viewer". */
static int whoami(const char *body, size_t len, struct connector_whoami *out, struct wb_err *err)
{
	memset(out, 0, sizeof(*out));
	if (len > CONNECTOR_RECORD_JSON_MAX)
		return wb_fail(err, WB_EINVALID, "/api/session answered %zu bytes, not a user",
		               len);
	json_t *u = json_loadb(body ? body : "", len, 0, NULL);
	const char *email = json_string_value(json_object_get(u, "email"));
	const char *name = json_string_value(json_object_get(u, "name"));
	const char *who = email && *email ? email : name;
	int rc = 0;
	if (!json_is_object(u) || !who || !*who || strlen(who) >= sizeof(out->user))
		rc = wb_fail(err, WB_EINVALID, "no user (email or name) in /api/session");
	else {
		connector_clean_text(out->user, sizeof(out->user), who, strlen(who));
		snprintf(out->role, sizeof(out->role), "viewer");
	}
	json_decref(u);
	return rc;
}

/* Traccar takes no writes from Waybill; the line fits app_source_can's
 * refusal ("the traccar telematics source cannot hold a vehicle: ..."). */
static int action(const char *name, const char *subject_id, json_t *payload,
                  struct connector_call *call, struct wb_err *err)
{
	(void)name;
	(void)subject_id;
	(void)payload;
	(void)call;
	return wb_fail(err, WB_ENOTFOUND,
	               "Traccar takes no writes from Waybill (holds and work orders: "
	               "sources.maintenance; loads: the TMS)");
}

static enum connector_verdict result(const char *name, const char *subject_id,
                                     const struct connector_answer *a, char *msg, size_t len)
{
	(void)subject_id;
	(void)a;
	return connector_unrecognised(msg, len, "traccar takes no \"%.40s\"", name ? name : "");
}

const struct connector_ops connector_traccar = {
        .kind = "traccar",
        .streams = streams,
        .map_record = map_record,
        .map_position = map_position,
        .action = action,
        .result = result,
        .whoami_path = "/api/session",
        .whoami = whoami,
        .page_request = page_request,
        .page_read = page_read,
        .sweep_s = sweep_s,
};
