/* The "samsara" kind: the telematics role from Samsara's REST API
 * (docs/connectors/samsara.md). Auth is the engine's default, the configured
 * API token as a Bearer token. page_read turns each Samsara page into
 * canonical records (ids are Samsara's own, units converted here), so
 * map_record and map_position only check and copy. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connectors/connector.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MPH_TO_MPS 0.44704
/* The history a first pass reads: the track the detectors judge idling and
 * ETAs by (TRACK_WINDOW_MS, local/detect_run.c). */
#define HISTORY_MS (3600 * 1000LL)
#define CURSOR_MAX 500 /* the engine keeps a cursor of fewer than 512 bytes */
#define GPS_TYPES "types=gps,engineStates,fuelPercents"

/* The streams and what their cursors mean (docs/connectors/samsara.md):
 * - vehicles, drivers: lists with no change cursor. `after` pages a pass;
 *   the last page (hasNextPage false) hands back "" so the next poll reads
 *   the list again; sweep_s makes a pass a full one, so a vehicle or driver
 *   the list no longer shows is gone. Drivers come from the HOS clocks (one
 *   entry a driver: id, name, current vehicle, duty status and clocks).
 * - faults: the stats feed with types=faultCodes read without `after`, which
 *   Samsara answers with each vehicle's last known codes: a snapshot. Every
 *   poll is a full pass (sweep_s 1), so a code absent from the snapshot is
 *   gone: that is how a fault clears.
 * - inspections: the DVIR stream, a feed by updatedAtTime from startTime;
 *   a DVIR edited later comes again with the same id and a newer version.
 * - positions: the stats feed with gps, engineStates and fuelPercents (three
 *   types, Samsara's limit a call). The stored endCursor is `after`;
 *   hasNextPage false is "caught up": the cursor is kept and polled again.
 *   A pass without a cursor first reads the feed without `after` (each
 *   vehicle's latest readings, and the feed's place now), then the history
 *   of the HISTORY_MS before the newest of those readings, with the cursor
 *   "h:<end ms>:<feed endCursor>:<history after>" (hist_cursor), then the
 *   feed from the place it gave: nothing after the window's end is missed,
 *   and an overlap is not doubled (positions are keyed by time and vehicle).
 * An `after` Samsara refuses (400) or forgets is the engine's to handle
 * (sync/stream_fail.c): the stream is read again from the start. */
static const struct connector_stream telematics_streams[] = {
        {"vehicles", "/fleet/vehicles", WB_ENT_VEHICLE, CADENCE_SLOW, NULL, 512},
        {"drivers", "/fleet/hos/clocks", WB_ENT_DRIVER, CADENCE_SLOW, NULL, 512},
        {"faults", "/fleet/vehicles/stats/feed", WB_ENT_FAULT, CADENCE_FAST, NULL, 512},
        {"inspections", "/dvirs/stream", WB_ENT_INSPECTION, CADENCE_FAST, NULL, 200},
        {"positions", "/fleet/vehicles/stats/feed", -1, CADENCE_FAST, NULL, 512},
};

static const struct connector_stream *streams(const char *role, size_t *n)
{
	*n = 0;
	if (!role || strcmp(role, "telematics") != 0)
		return NULL;
	*n = N(telematics_streams);
	return telematics_streams;
}

static int is(const struct connector_stream *s, const char *name)
{
	return strcmp(s->name, name) == 0;
}

static int sweep_s(const struct connector_stream *s)
{
	if (is(s, "faults"))
		return 1; /* every poll: the snapshot is the truth */
	if (is(s, "vehicles") || is(s, "drivers"))
		return 300;
	return 0;
}

/* ---- requests -------------------------------------------------------------- */

/* Appends "&after=CURSOR", percent-encoding all but unreserved bytes. */
static int add_after(char *q, size_t len, const char *cursor)
{
	if (!cursor || !*cursor)
		return 0;
	size_t n = strlen(q);
	n += (size_t)snprintf(q + n, len > n ? len - n : 0, "&after=");
	for (const unsigned char *p = (const unsigned char *)cursor; *p; p++) {
		int plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		            (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' ||
		            *p == '~';
		n += (size_t)snprintf(q + n, len > n ? len - n : 0, plain ? "%c" : "%%%02X", *p);
	}
	return n < len ? 0 : -1;
}

/* A positions cursor of the history phase, "h:<end ms>:<feed>:<after>": the
 * window's end (the newest reading of the pass's first answer: the source's
 * clock, not ours), the feed's endCursor to go on from once the history is
 * read (Samsara's cursors hold no ':'), and the history's `after` ("" for its
 * first page). 1 when cursor is one, 0 when it is not (a feed's cursor),
 * -1 when it starts like one but is not one this kind wrote. */
static int hist_cursor(const char *c, int64_t *end, const char **feed, int *feed_len,
                       const char **after)
{
	if (!c || strncmp(c, "h:", 2) != 0)
		return 0;
	char *e;
	long long ms = strtoll(c + 2, &e, 10);
	const char *colon = *e == ':' ? strchr(e + 1, ':') : NULL;
	if (c[2] < '0' || c[2] > '9' || ms < 946684800000LL || ms > 4102444800000LL || !colon ||
	    colon == e + 1)
		return -1;
	*end = ms;
	*feed = e + 1;
	*feed_len = (int)(colon - *feed);
	*after = colon + 1;
	return 1;
}

static void rfc3339(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03dZ", (int)(ms % 1000));
}

static int page_request(const struct connector_stream *s, const struct connector_login *who,
                        const char *cursor, int limit, struct connector_call *call,
                        struct wb_err *err)
{
	(void)who;
	snprintf(call->method, sizeof(call->method), "GET");
	call->body = NULL;
	int64_t end;
	const char *feed, *after;
	int feed_len, h = s->entity < 0 ? hist_cursor(cursor, &end, &feed, &feed_len, &after) : 0;
	if (h < 0) /* forged: the first request of a pass; page_read refuses it */
		cursor = NULL;
	if (is(s, "faults"))
		snprintf(call->path, sizeof(call->path), "%s?types=faultCodes", s->path);
	else if (h > 0) {
		char from[32], to[32];
		rfc3339(end - HISTORY_MS, from, sizeof(from));
		rfc3339(end, to, sizeof(to));
		snprintf(call->path, sizeof(call->path),
		         "/fleet/vehicles/stats/history?startTime=%s&endTime=%s&" GPS_TYPES, from,
		         to);
		cursor = after;
	} else if (s->entity < 0)
		snprintf(call->path, sizeof(call->path), "%s?" GPS_TYPES, s->path);
	else if (is(s, "inspections"))
		snprintf(call->path, sizeof(call->path),
		         "%s?startTime=2000-01-01T00:00:00Z&limit=%d", s->path, limit);
	else
		snprintf(call->path, sizeof(call->path), "%s?limit=%d", s->path, limit);
	if (add_after(call->path, sizeof(call->path), cursor) != 0)
		return wb_fail(err, WB_EINVALID, "%s: the cursor is too long for a request",
		               s->name);
	return 0;
}

/* ---- reading pages -------------------------------------------------------- */

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* An RFC 3339 member as epoch ms; -1 when absent or not a time. */
static int64_t time_ms(json_t *o, const char *k)
{
	int64_t ms;
	const char *s = str(o, k);
	return s && connector_parse_time_ms(s, &ms) == 0 ? ms : -1;
}

/* A record with Waybill's id and version, for map_record. */
static json_t *record(const char *id, int64_t version)
{
	return json_pack("{s:s,s:I}", "id", id, "version", (json_int_t)version);
}

#define SET(o, k, v) json_object_set_new((o), (k), (v))

static const char *first_tag(json_t *o)
{
	return str(json_array_get(json_object_get(o, "tags"), 0), "name");
}

/* A vehicle of the list; its version is updatedAtTime. */
static int read_vehicle(json_t *in, json_t *out, struct wb_err *err)
{
	const char *id = str(in, "id"), *name = str(in, "name");
	int64_t at = time_ms(in, "updatedAtTime");
	if (!id || !*id || !name)
		return wb_fail(err, WB_EINVALID, "vehicles: a record without \"id\" or \"name\"");
	if (at < 0)
		return wb_fail(err, WB_EINVALID, "vehicles %s: no \"updatedAtTime\"", id);
	json_t *r = record(id, at);
	SET(r, "unit", json_string(name));
	const char *tag = first_tag(in);
	if (tag)
		SET(r, "depot", json_string(tag));
	return json_array_append_new(out, r);
}

/* A clock in ms (remaining, or a violation: how long over) as canonical
 * seconds left, floored: over is negative. Absent is unknown (no member);
 * anything but a number is a shape we do not know. */
static int clock_s(json_t *r, const char *key, json_t *remaining, json_t *over, const char *id,
                   struct wb_err *err)
{
	if ((remaining && !json_is_number(remaining)) || (over && !json_is_number(over)))
		return wb_fail(err, WB_EINVALID, "drivers %s: the %s clock is not a number", id,
		               key);
	int is_over = over && json_number_value(over) > 0;
	if (!remaining && !is_over)
		return 0;
	double ms = is_over ? -json_number_value(over) : json_number_value(remaining);
	if (!isfinite(ms) || fabs(ms) > 1e12)
		return wb_fail(err, WB_EINVALID, "drivers %s: the %s clock is %g ms", id, key, ms);
	SET(r, key, json_integer((json_int_t)floor(ms / 1000)));
	return 0;
}

/* A driver's HOS clocks entry. Samsara's statuses to the canonical four:
 * yard moves are on duty not driving, personal conveyance is off duty; ""
 * (the driver app is disconnected) leaves the status unknown. The clocks
 * carry no time of their own: the version is when they were read, so every
 * pass rewrites the row with the clocks as they are now. */
static int read_clocks(json_t *in, json_t *out, int64_t now_ms, struct wb_err *err)
{
	static const char *const duty[][2] = {{"offDuty", "off_duty"},
	                                      {"sleeperBed", "sleeper"},
	                                      {"driving", "driving"},
	                                      {"onDuty", "on_duty"},
	                                      {"yardMove", "on_duty"},
	                                      {"personalConveyance", "off_duty"},
	                                      {"", NULL}};
	json_t *drv = json_object_get(in, "driver"), *c = json_object_get(in, "clocks");
	json_t *viol = json_object_get(in, "violations");
	const char *id = str(drv, "id"), *name = str(drv, "name");
	if (!id || !*id || !name)
		return wb_fail(err, WB_EINVALID,
		               "drivers: a clocks entry without \"driver\" {\"id\", \"name\"}");
	if ((c && !json_is_object(c)) || (viol && !json_is_object(viol)))
		return wb_fail(err, WB_EINVALID, "drivers %s: clocks or violations not an object",
		               id);
	json_t *st = json_object_get(json_object_get(in, "currentDutyStatus"), "hosStatusType");
	size_t k = 0;
	while (st && k < N(duty) &&
	       strcmp(json_string_value(st) ? json_string_value(st) : "?", duty[k][0]))
		k++;
	if (k == N(duty))
		return wb_fail(err, WB_EINVALID, "drivers %s: unknown hosStatusType \"%.40s\"", id,
		               json_is_string(st) ? json_string_value(st) : "(not text)");
	json_t *r = record(id, now_ms);
	SET(r, "name", json_string(name));
	if (st && duty[k][1])
		SET(r, "status", json_string(duty[k][1]));
	const char *v = str(json_object_get(in, "currentVehicle"), "id");
	if (v && *v)
		SET(r, "vehicle_id", json_string(v));
	if (clock_s(r, "drive_left_s",
	            json_object_get(json_object_get(c, "drive"), "driveRemainingDurationMs"),
	            json_object_get(viol, "shiftDrivingViolationDurationMs"), id, err) ||
	    clock_s(r, "duty_left_s",
	            json_object_get(json_object_get(c, "shift"), "shiftRemainingDurationMs"), NULL,
	            id, err) ||
	    clock_s(r, "cycle_left_s",
	            json_object_get(json_object_get(c, "cycle"), "cycleRemainingDurationMs"),
	            json_object_get(viol, "cycleViolationDurationMs"), id, err)) {
		json_decref(r);
		return -1;
	}
	return json_array_append_new(out, r);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A DVIR: kind from type, safe from safetyStatus (resolved is safe again). */
static int read_dvir(json_t *in, json_t *out, struct wb_err *err)
{
	static const char *const types[][2] = {{"preTrip", "pre_trip"},
	                                       {"postTrip", "post_trip"},
	                                       {"mechanic", "mechanic"},
	                                       {"unspecified", "unspecified"}};
	const char *id = str(in, "id"), *type = str(in, "type");
	const char *vid = str(json_object_get(in, "vehicle"), "id");
	const char *safety = str(in, "safetyStatus");
	int64_t ver = time_ms(in, "updatedAtTime"), at = time_ms(in, "dvirSubmissionTime");
	if (!id || !*id)
		return wb_fail(err, WB_EINVALID, "inspections: a DVIR without \"id\"");
	if (ver < 0 || at < 0)
		return wb_fail(err, WB_EINVALID,
		               "inspections %s: no \"updatedAtTime\" or \"dvirSubmissionTime\"",
		               id);
	const char *kind = NULL;
	for (size_t i = 0; type && i < N(types); i++)
		if (!strcmp(type, types[i][0]))
			kind = types[i][1];
	if (!kind)
		return wb_fail(err, WB_EINVALID, "inspections %s: unknown type \"%.40s\"", id,
		               type ? type : "");
	json_t *r = record(id, ver);
	SET(r, "kind", json_string(kind));
	SET(r, "at", json_integer(at / 1000));
	if (vid)
		SET(r, "vehicle_id", json_string(vid));
	json_t *sig = json_object_get(in, "authorSignature");
	const char *author = str(json_object_get(sig, "signatoryUser"), "id");
	if (author && !strcmp(str(sig, "type") ? str(sig, "type") : "", "driver"))
		SET(r, "driver_id", json_string(author));
	if (safety && (!strcmp(safety, "safe") || !strcmp(safety, "resolved")))
		SET(r, "safe", json_true());
	else if (safety && !strcmp(safety, "unsafe"))
		SET(r, "safe", json_false());
	else if (safety && strcmp(safety, "unknown") != 0) {
		json_decref(r);
		return wb_fail(err, WB_EINVALID, "inspections %s: unknown safetyStatus \"%.40s\"",
		               id, safety);
	}
	size_t nd = json_array_size(json_object_get(in, "defectIds"));
	char buf[64] = "";
	if (nd)
		snprintf(buf, sizeof(buf), "%zu defect%s (Samsara's defects stream)", nd,
		         nd == 1 ? "" : "s");
	SET(r, "defects", json_string(buf));
	return json_array_append_new(out, r);
}

/* The severity of a J1939 code from the lamps of the reading (one ECU's DM1)
 * that carries it, and of an OBD-II code from its entry's MIL: the table of
 * docs/connectors/samsara.md. */
static const char *j1939_severity(json_t *lights)
{
	if (json_is_true(json_object_get(lights, "stopIsOn")))
		return "critical";
	if (json_is_true(json_object_get(lights, "warningIsOn")) ||
	    json_is_true(json_object_get(lights, "protectIsOn")))
		return "major";
	if (json_is_true(json_object_get(lights, "emissionsIsOn")))
		return "minor";
	return "info";
}

/* OBD-II codes that mean "stop the engine" whatever else the MIL says. */
static int obd_stop_code(const char *code)
{
	static const char *const stop[] = {"P0217", "P0218", "P0524"};
	for (size_t i = 0; i < N(stop); i++)
		if (!strcmp(code, stop[i]))
			return 1;
	return 0;
}

static int add_fault(json_t *out, const char *vid, const char *code, const char *protocol,
                     const char *severity, const char *desc, int64_t at)
{
	char id[160];
	snprintf(id, sizeof(id), "%s-%s", vid, code);
	json_t *r = record(id, at);
	SET(r, "vehicle_id", json_string(vid));
	SET(r, "code", json_string(code));
	SET(r, "protocol", json_string(protocol));
	SET(r, "severity", json_string(severity));
	if (desc)
		SET(r, "description", json_string(desc));
	SET(r, "last_seen", json_integer(at / 1000));
	SET(r, "active", json_true());
	return json_array_append_new(out, r);
}

static int read_dtcs(json_t *out, const char *vid, json_t *reading, int64_t at, struct wb_err *err)
{
	json_t *j = json_object_get(reading, "j1939"), *o = json_object_get(reading, "obdii");
	const char *sev = j1939_severity(json_object_get(j, "checkEngineLights"));
	size_t i, k;
	json_t *d, *e, *c;
	json_array_foreach(json_object_get(j, "diagnosticTroubleCodes"), i, d)
	{
		json_t *spn = json_object_get(d, "spnId"), *fmi = json_object_get(d, "fmiId");
		if (!json_is_integer(spn) || !json_is_integer(fmi))
			return wb_fail(err, WB_EINVALID,
			               "faults %s: a J1939 code without spnId/fmiId", vid);
		char code[48];
		snprintf(code, sizeof(code), "SPN%" JSON_INTEGER_FORMAT "-FMI%" JSON_INTEGER_FORMAT,
		         json_integer_value(spn), json_integer_value(fmi));
		add_fault(out, vid, code, "j1939", sev, str(d, "spnDescription"), at);
	}
	/* Each entry is one ECU: its MIL, its confirmed and pending codes. */
	json_array_foreach(json_object_get(o, "diagnosticTroubleCodes"), i, e)
	{
		int mil = json_is_true(json_object_get(e, "milStatus"));
		for (int pending = 0; pending < 2; pending++)
			json_array_foreach(
			        json_object_get(e, pending ? "pendingDtcs" : "confirmedDtcs"), k, c)
			{
				const char *code = str(c, "dtcShortCode");
				if (!code || !*code || strlen(code) > 16)
					return wb_fail(
					        err, WB_EINVALID,
					        "faults %s: an OBD-II code without dtcShortCode",
					        vid);
				const char *s = pending               ? "info"
				                : !mil                ? "minor"
				                : obd_stop_code(code) ? "critical"
				                                      : "major";
				add_fault(out, vid, code, "obd2", s, str(c, "dtcDescription"), at);
			}
	}
	return 0;
}

/* A vehicle's last known codes: the readings of its newest time (one a
 * reporting ECU). */
static int read_faults(json_t *in, json_t *out, struct wb_err *err)
{
	const char *vid = str(in, "id");
	json_t *fc = json_object_get(in, "faultCodes");
	if (!vid || !*vid)
		return wb_fail(err, WB_EINVALID, "faults: a vehicle without \"id\"");
	if (fc && !json_is_array(fc))
		return wb_fail(err, WB_EINVALID, "faults %s: \"faultCodes\" is not a list", vid);
	int64_t newest = -1;
	size_t i;
	json_t *r;
	json_array_foreach(fc, i, r)
	{
		int64_t t = time_ms(r, "time");
		if (t < 0)
			return wb_fail(err, WB_EINVALID, "faults %s: a reading without \"time\"",
			               vid);
		newest = t > newest ? t : newest;
	}
	json_array_foreach(fc, i, r) if (time_ms(r, "time") == newest &&
	                                 read_dtcs(out, vid, r, newest, err) != 0) return -1;
	return 0;
}

/* The reading of list k at or before t (times ascend), or NULL. */
static json_t *reading_at(json_t *list, int64_t t)
{
	json_t *best = NULL, *r;
	size_t i;
	json_array_foreach(list, i, r)
	{
		int64_t rt = time_ms(r, "time");
		if (rt >= 0 && rt <= t)
			best = r;
	}
	return best;
}

/* Positions: one a gps reading, with the fuel and engine state the same
 * vehicle reported at or before it in this page. */
static int read_positions(json_t *in, json_t *out, struct wb_err *err)
{
	const char *vid = str(in, "id");
	if (!vid || !*vid)
		return wb_fail(err, WB_EINVALID, "positions: a vehicle without \"id\"");
	json_t *fuel = json_object_get(in, "fuelPercents"),
	       *eng = json_object_get(in, "engineStates");
	size_t i;
	json_t *g;
	json_array_foreach(json_object_get(in, "gps"), i, g)
	{
		int64_t t = time_ms(g, "time");
		if (t < 0)
			return wb_fail(err, WB_EINVALID, "positions %s: a gps reading without time",
			               vid);
		json_t *p = json_pack("{s:s,s:I}", "vehicle_id", vid, "ts_ms", (json_int_t)t);
		static const char *const keys[][2] = {
		        {"latitude", "lat"}, {"longitude", "lon"}, {"headingDegrees", "heading"}};
		for (size_t k = 0; k < N(keys); k++) {
			json_t *v = json_object_get(g, keys[k][0]);
			if (v)
				SET(p, keys[k][1], json_incref(v));
		}
		json_t *mph = json_object_get(g, "speedMilesPerHour");
		if (json_is_number(mph))
			SET(p, "speed_mps", json_real(json_number_value(mph) * MPH_TO_MPS));
		else if (mph)
			SET(p, "speed_mps", json_incref(mph)); /* map_position names it */
		json_t *f = json_object_get(reading_at(fuel, t), "value");
		if (f)
			SET(p, "fuel_pct", json_incref(f));
		const char *e = str(reading_at(eng, t), "value");
		if (e && (!strcmp(e, "On") || !strcmp(e, "Idle")))
			SET(p, "ignition", json_true());
		else if (e && !strcmp(e, "Off"))
			SET(p, "ignition", json_false());
		else if (e) {
			json_decref(p);
			return wb_fail(err, WB_EINVALID,
			               "positions %s: unknown engine state \"%.20s\"", vid, e);
		}
		json_array_append_new(out, p);
	}
	return 0;
}

/* Where a positions page leaves the stream, into next (hist_cursor): the
 * first answer of a pass starts the history before its newest reading; the
 * history's last page is caught up as of that answer, and the next poll goes
 * on with the feed from where it was then. */
static int positions_next(const char *cursor, const char *endc, int more, json_t *out, char *next,
                          size_t len, int *has_more, struct wb_err *err)
{
	int64_t end, newest = -1;
	const char *feed, *after;
	int feed_len, h = hist_cursor(cursor, &end, &feed, &feed_len, &after);
	size_t i;
	json_t *p;
	*has_more = more;
	if (h > 0 && more && *endc) {
		if (snprintf(next, len, "h:%" PRId64 ":%.*s:%s", end, feed_len, feed, endc) >=
		    CURSOR_MAX)
			return wb_fail(err, WB_EINVALID,
			               "positions: Samsara's history cursor is too long to keep");
	} else if (h > 0) {
		snprintf(next, len, "%.*s", feed_len, feed);
	} else if (!cursor || !*cursor) {
		json_array_foreach(out, i, p)
		{
			int64_t t = json_integer_value(json_object_get(p, "ts_ms"));
			newest = t > newest ? t : newest;
		}
		if (newest >= 946684800000LL && *endc && !strchr(endc, ':') &&
		    snprintf(next, len, "h:%" PRId64 ":%s:", newest, endc) < CURSOR_MAX) {
			*has_more = 1;
			return 0;
		}
		snprintf(next, len, "%s", endc);
	} else
		snprintf(next, len, "%s", *endc ? endc : cursor);
	return 0;
}

static int page_read(const struct connector_stream *s, const char *cursor,
                     const struct connector_answer *a, json_t **page, struct wb_err *err)
{
	*page = NULL;
	int64_t e;
	const char *f, *af;
	int fl;
	if (s->entity < 0 && hist_cursor(cursor, &e, &f, &fl, &af) < 0)
		return wb_fail(err, WB_ENOTFOUND,
		               "positions: the stored cursor \"%.40s\" is not one the samsara "
		               "kind writes",
		               cursor);
	json_error_t je;
	json_t *in = json_loadb(a->body ? a->body : "", a->body_len, 0, &je);
	if (!in)
		return wb_fail(err, WB_EINVALID, "%s: not JSON (%s)", s->name, je.text);
	json_t *data = json_object_get(in, "data"), *pg = json_object_get(in, "pagination");
	json_t *end = json_object_get(pg, "endCursor"), *more = json_object_get(pg, "hasNextPage");
	if (!json_is_array(data) || !json_is_string(end) || !json_is_boolean(more)) {
		json_decref(in);
		return wb_fail(err, WB_EINVALID,
		               "%s: not a Samsara page ({data: [...], pagination: {endCursor, "
		               "hasNextPage}})",
		               s->name);
	}
	json_t *out = json_array();
	size_t i;
	json_t *rec;
	int rc = 0;
	int64_t at = now_ms();
	json_array_foreach(data, i, rec)
	{
		if (!json_is_object(rec))
			rc = wb_fail(err, WB_EINVALID, "%s: record %zu is not an object", s->name,
			             i);
		else if (s->entity < 0)
			rc = read_positions(rec, out, err);
		else if (s->entity == WB_ENT_FAULT)
			rc = read_faults(rec, out, err);
		else if (s->entity == WB_ENT_INSPECTION)
			rc = read_dvir(rec, out, err);
		else if (s->entity == WB_ENT_DRIVER)
			rc = read_clocks(rec, out, at, err);
		else
			rc = read_vehicle(rec, out, err);
		if (rc != 0)
			break;
	}
	/* A list's last page starts the next pass over; a feed keeps its place
	 * (an empty endCursor when caught up keeps the one asked with). */
	int list = s->entity == WB_ENT_VEHICLE || s->entity == WB_ENT_DRIVER;
	const char *next = json_is_true(more) || !list ? json_string_value(end) : "";
	if (!list && !*next)
		next = cursor ? cursor : "";
	char buf[CURSOR_MAX + 64];
	int has_more = json_is_true(more);
	if (rc == 0 && s->entity < 0 &&
	    (rc = positions_next(cursor, json_string_value(end), has_more, out, buf, sizeof(buf),
	                         &has_more, err)) == 0)
		next = buf;
	if (rc == 0)
		*page = json_pack("{s:o,s:s,s:b}", "data", out, "next", next, "has_more", has_more);
	else
		json_decref(out);
	json_decref(in);
	if (rc == 0 && !*page)
		return wb_fail(err, WB_ENOMEM, "out of memory");
	return rc;
}

/* ---- mapping ------------------------------------------------------------ */

static int map_record(const struct connector_stream *s, const char *source, json_t *rec, void *row,
                      struct wb_err *err)
{
	const char *id = str(rec, "id");
	json_t *ver = json_object_get(rec, "version");
	if (s->entity < 0 || !id || !*id || strlen(id) > 128 || !json_is_integer(ver))
		return wb_fail(err, WB_EINVALID, "%s: a record without id or version", s->name);
	wb_entity_clear((enum wb_entity)s->entity, row);
	struct wb_meta *m = row;
	m->id = m->ext_id = id;
	m->source = source;
	m->ext_version = json_integer_value(ver);
	struct wb_err ferr = {0};
	if (connector_map_fields(s->entity, rec, row, &ferr) != 0)
		return wb_fail(err, WB_EINVALID, "%s %s: %s", s->name, id, ferr.msg);
	return 0;
}

static int map_position(json_t *rec, struct wb_position *p, struct wb_err *err)
{
	const char *vid = str(rec, "vehicle_id");
	json_t *ts = json_object_get(rec, "ts_ms");
	if (!vid || !*vid || !json_is_integer(ts))
		return wb_fail(err, WB_EINVALID, "position: no vehicle_id or ts_ms");
	return connector_position_fields(rec, vid, json_integer_value(ts), p, err);
}

/* ---- actions, who-am-I ------------------------------------------------------ */

static int action(const char *name, const char *subject_id, json_t *payload,
                  struct connector_call *call, struct wb_err *err)
{
	(void)subject_id;
	(void)payload;
	(void)call;
	return wb_fail(err, WB_ENOTFOUND,
	               "Samsara takes no %s from Waybill: vehicle holds and work orders belong to "
	               "the maintenance source (sources.maintenance)",
	               name ? name : "action");
}

static enum connector_verdict result(const char *name, const char *subject_id,
                                     const struct connector_answer *a, char *msg, size_t len)
{
	(void)subject_id;
	(void)a;
	return connector_unrecognised(msg, len, "Samsara takes no \"%.40s\"", name ? name : "");
}

/* GET /me: {"data": {"id", "name", ...}}: a token belongs to an organization,
 * whose name is the user; Samsara takes no writes from Waybill: viewer. */
static int whoami(const char *body, size_t len, struct connector_whoami *out, struct wb_err *err)
{
	memset(out, 0, sizeof(*out));
	if (len > CONNECTOR_RECORD_JSON_MAX)
		return wb_fail(err, WB_EINVALID, "/me answered %zu bytes, not one record", len);
	json_error_t je;
	json_t *me = json_loadb(body ? body : "", len, 0, &je);
	if (!me)
		return wb_fail(err, WB_EINVALID, "/me answered something that is not JSON (%s)",
		               je.text);
	const char *name = str(json_object_get(me, "data"), "name");
	int rc = 0;
	if (!name || !*name)
		rc = wb_fail(err, WB_EINVALID, "no organization name in /me's data");
	else {
		connector_clean_text(out->user, sizeof(out->user), name, strlen(name));
		snprintf(out->role, sizeof(out->role), "viewer");
	}
	json_decref(me);
	return rc;
}

const struct connector_ops connector_samsara = {
        .kind = "samsara",
        .streams = streams,
        .map_record = map_record,
        .map_position = map_position,
        .action = action,
        .result = result,
        .whoami_path = "/me",
        .whoami = whoami,
        .page_request = page_request,
        .page_read = page_read,
        .sweep_s = sweep_s,
};
