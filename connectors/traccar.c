/* The "traccar" kind: the telematics role from a Traccar server's REST API
 * (Traccar's openapi.yaml, v6.14.5; docs/connectors/traccar.md). The config's
 * url is the server's root; every path is under /api. Auth is an API token
 * sent as a Bearer token (the spec's ApiKey scheme: the engine's default for
 * a kind without login_request). Traccar keeps no versions and no change
 * log, so page_read turns each answer into canonical records (ids, versions
 * and canonical field names) that map_record maps like the canonical kind's.
 * A device carries no readings: its position, speed, fuel and odometer are
 * the positions stream's, which the cache shows on the vehicle (vehicle_now,
 * cache/schema.c migration 9). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connectors/connector.h"

/* Streams and their cursors:
 *  - vehicles (/api/devices, limit/offset pages: cursor "" or "O<offset>"),
 *    drivers (/api/drivers) and faults (the DTCs on each device's latest
 *    position, /api/positions) are snapshot lists: each poll is a full pass
 *    (sweep_s 1), so a device, driver or DTC the server no longer lists is
 *    removed from the cache. Drivers and faults need no cursor (""). A
 *    vehicle's readings come from the positions stream (vehicle_now).
 *  - positions is a feed over time windows (see the cursor below). */
static const struct connector_stream telematics_streams[] = {
        {"vehicles", "/api/devices", WB_ENT_VEHICLE, CADENCE_FAST, NULL, 0},
        {"drivers", "/api/drivers", WB_ENT_DRIVER, CADENCE_FAST, NULL, 0},
        {"faults", "/api/positions", WB_ENT_FAULT, CADENCE_FAST, NULL, 0},
        {"positions", "/api/reports/route", -1, CADENCE_FAST, NULL, 0},
};

#define N(a) (sizeof(a) / sizeof(a[0]))
#define DEVICE_PAGE 500   /* devices a page: a few hundred bytes each */
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
	struct tm tm = {0};
	if (!gmtime_r(&t, &tm) || tm.tm_year < 0 || tm.tm_year > 8000) /* a cursor's only */
		memset(&tm, 0, sizeof(tm));
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static json_t *real_or_none(double x)
{
	return isnan(x) ? NULL : json_real(x);
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

/* A known code's severity and description, else the rule's (fmi -1: OBD-II). */
static const char *dtc_severity(const char *code, int fmi, const char **description)
{
	*description = NULL;
	for (size_t i = 0; i < N(severities); i++)
		if (!strcmp(severities[i].code, code)) {
			*description = severities[i].description;
			return severities[i].severity;
		}
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
		const char *desc, *sev = dtc_severity(c, fmi, &desc);
		json_t *f =
		        json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:b,s:s*,s:I,s:I}", "id", id, "version",
		                  (json_int_t)ms, "vehicle_id", vid, "code", c, "protocol", proto,
		                  "severity", sev, "active", 1, "description", desc, "first_seen",
		                  (json_int_t)(ms / 1000), "last_seen", (json_int_t)(ms / 1000));
		if (!f || json_array_append_new(out, f))
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
	json_t *ign = json_object_get(attrs, "ignition");
	/* odometer is the vehicle's own (OBD/CAN), totalDistance Traccar's sum of
	 * GPS distance: the vehicle's reading wins. Both are metres. */
	*out = json_pack(
	        "{s:s,s:I,s:O,s:O,s:o*,s:o*,s:o*,s:o*,s:o*}", "vehicle_id", vid, "ts_ms",
	        (json_int_t)*fix, "lat", lat, "lon", lon, "speed_mps",
	        real_or_none(json_is_number(spd) ? json_number_value(spd) * KNOT_MPS : NAN),
	        "heading", real_or_none(json_is_number(crs) ? json_number_value(crs) : NAN),
	        "odometer_m", real_or_none(isnan(odo) ? total : odo), "fuel_pct",
	        real_or_none(fuel), "ignition",
	        json_is_boolean(ign) ? json_boolean(json_is_true(ign)) : NULL);
	return *out ? 0 : wb_fail(err, WB_ENOMEM, "out of memory");
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
	int64_t *fix = calloc(2 * n + 1, sizeof(*fix)), *dev = fix ? fix + n : NULL, newest = c->to;
	json_t *p;
	int rc = fix ? 0 : wb_fail(err, WB_ENOMEM, "out of memory");
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

/* A device as a vehicle row: its identity and what the fleet set on it, no
 * readings (a device carries none: the positions stream gives them, and
 * vehicle_now shows its newest position's). Its version is lastUpdate in ms,
 * which moves with each message the server takes from the device (1 before
 * the first). last_seen_ms is left to the positions too: a row's last seen
 * as new as its newest position would hide that position's readings. A
 * disabled device (Traccar takes no data from it) is left out like a deleted
 * one: *out NULL, and the pass's sweep removes it. */
static int vehicle_of(json_t *d, json_t **out, struct wb_err *err)
{
	int64_t id = tc_id(d, "id"), upd;
	const char *name = json_string_value(json_object_get(d, "name"));
	json_t *attrs = json_object_get(d, "attributes"), *off = json_object_get(d, "disabled");
	double tank;
	*out = NULL;
	if (!id || !name || tc_time(d, "lastUpdate", &upd) != 0 || (off && !json_is_boolean(off)) ||
	    (attrs && !json_is_object(attrs)) || attr_num(attrs, "fuelTankCapacity", &tank))
		return wb_fail(err, WB_EINVALID,
		               "vehicles: a device lacks id or name, or has a bad lastUpdate, "
		               "disabled or fuelTankCapacity");
	if (json_is_true(off))
		return 0;
	char sid[24];
	snprintf(sid, sizeof(sid), "%" PRId64, id);
	*out = json_pack("{s:s,s:I,s:s,s:s*,s:s*,s:o*}", "id", sid, "version",
	                 (json_int_t)(upd > 0 ? upd : 1), "unit", name, "kind",
	                 kind_of(json_string_value(json_object_get(d, "category"))), "depot",
	                 json_string_value(json_object_get(attrs, "depot")), "tank_l",
	                 real_or_none(tank));
	return *out ? 0 : wb_fail(err, WB_ENOMEM, "out of memory");
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
	/* No version either: a driver is written once per id (docs). */
	*out = json_pack("{s:s,s:i,s:s,s:s*}", "id", sid, "version", 1, "name", name, "depot",
	                 json_string_value(json_object_get(attrs, "depot")));
	return *out ? 0 : wb_fail(err, WB_ENOMEM, "out of memory");
}

/* The vehicles cursor: "" (the first page) or "O<offset>" (the next). */
static int devices_offset(const char *cursor, long *off)
{
	char *end;
	*off = 0;
	if (!cursor || !*cursor)
		return 0;
	*off = cursor[0] == 'O' ? strtol(cursor + 1, &end, 10) : -1;
	return *off > 0 && end != cursor + 1 && !*end ? 0 : -1;
}

static int page_request(const struct connector_stream *s, const struct connector_login *who,
                        const char *cursor, int limit, struct connector_call *call,
                        struct wb_err *err)
{
	(void)who;
	(void)limit;
	memset(call, 0, sizeof(*call));
	snprintf(call->method, sizeof(call->method), "GET");
	long off;
	struct pcur c;
	if (s->entity == WB_ENT_VEHICLE) {
		if (devices_offset(cursor, &off) != 0)
			return wb_fail(err, WB_EINVALID,
			               "vehicles: \"%.40s\" is not a traccar cursor", cursor);
		snprintf(call->path, sizeof(call->path), "/api/devices?limit=%d&offset=%ld",
		         DEVICE_PAGE, off);
	} else if (s->entity >= 0) { /* drivers, faults: the table's path */
		snprintf(call->path, sizeof(call->path), "%s", s->path);
	} else if (pcur_parse(cursor, &c) != 0) {
		return wb_fail(err, WB_EINVALID, "positions: \"%.60s\" is not a traccar cursor",
		               cursor);
	} else if (c.kind != 'W') {
		snprintf(call->path, sizeof(call->path), "/api/positions");
	} else {
		char rest[CURSOR_MAX];
		if (route_path(&c, call->path, sizeof(call->path), rest, sizeof(rest)) != 0)
			return wb_fail(err, WB_EINVALID,
			               "positions: bad device list in the cursor");
	}
	return 0;
}

/* A route report page: its positions; then the reports still to read, or
 * caught up to the window's end. */
static int read_route(const struct pcur *c, json_t *arr, json_t *data, char *next, size_t nlen,
                      int *more, struct wb_err *err)
{
	char path[256], rest[CURSOR_MAX] = "";
	size_t i;
	json_t *r, *o;
	int64_t fix;
	json_array_foreach(arr, i, r)
	{
		if (position_of(r, &o, &fix, err) != 0)
			return -1;
		json_array_append_new(data, o);
	}
	if (route_path(c, path, sizeof(path), rest, sizeof(rest)) != 0)
		return wb_fail(err, WB_EINVALID, "positions: bad device list in the cursor");
	*more = rest[0] != '\0';
	if (*more)
		snprintf(next, nlen, "W%" PRId64 "-%" PRId64 ":%s", c->from, c->to, rest);
	else
		snprintf(next, nlen, "C%" PRId64, c->to);
	return 0;
}

/* Every record of a snapshot list's page (vehicles, drivers, faults). */
static int read_list(const struct connector_stream *s, const char *cursor, json_t *arr,
                     json_t *data, char *next, size_t nlen, int *more, struct wb_err *err)
{
	size_t i;
	json_t *r, *o;
	long off = 0;
	if (s->entity == WB_ENT_VEHICLE && devices_offset(cursor, &off) != 0)
		return wb_fail(err, WB_EINVALID, "vehicles: \"%.40s\" is not a traccar cursor",
		               cursor);
	json_array_foreach(arr, i, r)
	{
		o = NULL;
		int rc = s->entity == WB_ENT_FAULT    ? faults_of(r, data, err)
		         : s->entity == WB_ENT_DRIVER ? driver_of(r, &o, err)
		                                      : vehicle_of(r, &o, err);
		if (rc != 0)
			return rc;
		if (o)
			json_array_append_new(data, o);
	}
	/* A full devices page: the next one may hold more. */
	*more = s->entity == WB_ENT_VEHICLE && json_array_size(arr) >= DEVICE_PAGE;
	if (*more)
		snprintf(next, nlen, "O%ld", off + (long)json_array_size(arr));
	return 0;
}

static int page_read(const struct connector_stream *s, const char *cursor,
                     const struct connector_answer *a, json_t **page, struct wb_err *err)
{
	*page = NULL;
	json_t *arr = json_loadb(a->body ? a->body : "", a->body_len, 0, NULL);
	if (!json_is_array(arr)) {
		json_decref(arr);
		return wb_fail(err, WB_EINVALID, "%s: the answer is not a JSON array", s->name);
	}
	json_t *data = json_array();
	char next[512] = "";
	int more = 0, rc = data ? 0 : wb_fail(err, WB_ENOMEM, "out of memory");
	struct pcur c;
	if (rc == 0 && s->entity >= 0)
		rc = read_list(s, cursor, arr, data, next, sizeof(next), &more, err);
	else if (rc == 0 && pcur_parse(cursor, &c) != 0)
		rc = wb_fail(err, WB_EINVALID, "positions: \"%.60s\" is not a traccar cursor",
		             cursor);
	else if (rc == 0 && c.kind == 'W')
		rc = read_route(&c, arr, data, next, sizeof(next), &more, err);
	else if (rc == 0)
		rc = read_latest(&c, arr, data, next, sizeof(next), &more, err);
	json_decref(arr);
	if (rc == 0 &&
	    !(*page = json_pack("{s:o,s:s,s:b}", "data", data, "next", next, "has_more", more)))
		return wb_fail(err, WB_ENOMEM, "out of memory");
	if (rc != 0)
		json_decref(data);
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
