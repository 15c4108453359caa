/* The "geotab" kind: MyGeotab's JSON-RPC API as the telematics source
 * (docs/connectors/geotab.md). Every call is POST {server}/apiv1
 * {"method", "params"} with the session's "credentials" in params; answers are
 * {"result": ...} or {"error": {"name": "JSONRPCError", "errors": [{"name"}]}}.
 *
 * Streams and their cursors:
 *   vehicles    Get Device, a full pass per poll (Device keeps no feed of
 *               deletions): cursor always "", sweep_s removes what is gone.
 *   drivers     ExecuteMultiCall [Get User {isDriver}, Get DutyStatusAvailability,
 *               Get DutyStatusLog in effect now]: a full pass, as vehicles;
 *               each driver's hours and duty status merged onto the User.
 *               Geotab versions no availability (it is computed at each
 *               call), so a driver's version is the time of the answer:
 *               every pass rewrites the hours it read.
 *   faults      GetFeed FaultData: cursor = the feed's toVersion (16 hex).
 *   inspections GetFeed DVIRLog: the same.
 *   positions   ExecuteMultiCall [GetFeed LogRecord, GetFeed StatusData of
 *               each of status_feeds (fuel level, odometer, ignition)]: cursor
 *               "LR:FUEL:ODO:IGN", the four toVersions; each reading merged
 *               onto the device's positions. An older "LR:FUEL:ODO" (before
 *               the ignition) is accepted: StatusData's versions are one
 *               sequence whatever the diagnostic searched, so the ignition
 *               feed starts at the older of FUEL and ODO.
 * A feed is caught up when a call brings fewer than resultsLimit records; ""
 * starts a feed from its beginning (no fromVersion). A version Geotab no
 * longer serves (its ArgumentException naming fromVersion) is WB_ENOTFOUND:
 * the engine reads the stream again from the start; versioned upserts and
 * positions keyed (time, vehicle) make that neither lose nor double. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connectors/connector.h"

#define GT_PATH "/apiv1"
#define GT_VERSION_MAX 16 /* a version is a 64-bit number in hex */
#define GT_SWEEP_S 900
#define N(a) (sizeof(a) / sizeof(a[0]))

/* The StatusData feeds of the positions multi-call, after its LogRecord feed:
 * the diagnostic, the key page_read merges a reading under, what it is. */
static const struct {
	const char *diag, *key, *what;
} status_feeds[] = {
        {"DiagnosticFuelLevelId", "waybill.fuel_pct", "fuel level"},
        {"DiagnosticOdometerId", "waybill.odometer_m", "odometer"},
        {"DiagnosticIgnitionId", "waybill.ignition", "ignition"}, /* 1 on, 0 off */
};
#define GT_FEEDS (1 + N(status_feeds)) /* LogRecord and the StatusData feeds */

/* Polling cadence: master data slowly, operational data fast (Geotab allows
 * GetFeed about once a second per type and user). */
static const struct connector_stream tel_streams[] = {
        {"vehicles", "Get Device", WB_ENT_VEHICLE, CADENCE_SLOW, NULL, 5000},
        {"drivers", "Get User+DutyStatusAvailability+DutyStatusLog", WB_ENT_DRIVER, CADENCE_SLOW,
         NULL, 5000},
        {"faults", "GetFeed FaultData", WB_ENT_FAULT, CADENCE_FAST, NULL, 1000},
        {"inspections", "GetFeed DVIRLog", WB_ENT_INSPECTION, CADENCE_FAST, NULL, 1000},
        {"positions", "GetFeed LogRecord+StatusData", -1, CADENCE_FAST, NULL, 1000},
};

static const struct connector_stream *streams(const char *role, size_t *n)
{
	*n = 0;
	if (!role || strcmp(role, "telematics") != 0)
		return NULL;
	*n = N(tel_streams);
	return tel_streams;
}

static bool is_snapshot(const struct connector_stream *s)
{
	return s->entity == WB_ENT_VEHICLE || s->entity == WB_ENT_DRIVER;
}

static int sweep_s(const struct connector_stream *s)
{
	return s && is_snapshot(s) ? GT_SWEEP_S : 0;
}

/* --- versions and cursors ---------------------------------------------------- */

/* Geotab's version: up to 16 hex digits ("0000000003a7c824"). */
static int geotab_version_parse(const char *s, int64_t *v)
{
	size_t n = s ? strspn(s, "0123456789abcdefABCDEF") : 0;
	uint64_t x = n ? strtoull(s, NULL, 16) : 0;
	if (n == 0 || n > GT_VERSION_MAX || s[n] || x > INT64_MAX)
		return -1;
	*v = (int64_t)x;
	return 0;
}

/* The cursor's versions: one for a feed, GT_FEEDS for positions, none for a
 * full pass; "" starts a feed from its beginning. */
static int cursor_parse(const struct connector_stream *s, const char *cur,
                        char ver[GT_FEEDS][GT_VERSION_MAX + 1], struct wb_err *err)
{
	size_t want = s->entity < 0 ? GT_FEEDS : is_snapshot(s) ? 0 : 1, got = 0;
	memset(ver, 0, GT_FEEDS * (GT_VERSION_MAX + 1));
	if (!cur || !*cur)
		return 0;
	for (const char *p = cur; want; p++) { /* hex versions joined by ':' */
		size_t n = strspn(p, "0123456789abcdefABCDEF");
		if (n == 0 || n > GT_VERSION_MAX || got == GT_FEEDS || (p[n] && p[n] != ':')) {
			got = 0;
			break;
		}
		memcpy(ver[got++], p, n);
		if (!*(p += n))
			break;
	}
	int64_t fuel, odo;
	if (want && got == want)
		return 0;
	if (want == GT_FEEDS && got == GT_FEEDS - 1 && geotab_version_parse(ver[1], &fuel) == 0 &&
	    geotab_version_parse(ver[2], &odo) == 0) {
		/* The older form, without ignition: from the older StatusData version. */
		memcpy(ver[GT_FEEDS - 1], ver[fuel < odo ? 1 : 2], GT_VERSION_MAX + 1);
		return 0;
	}
	char shown[48];
	connector_clean_text(shown, sizeof(shown), cur, strlen(cur));
	return wb_fail(err, WB_EINVALID,
	               "the stored cursor \"%s\" is not one of Geotab's %s stream (%s)", shown,
	               s->name,
	               want == GT_FEEDS ? "four feed versions LR:FUEL:ODO:IGN"
	               : want == 1      ? "a feed version"
	                                : "always empty");
}

/* --- calls and answers -------------------------------------------------------- */

static json_t *credentials(const struct connector_login *who)
{
	json_t *c = who && who->credentials ? json_loads(who->credentials, 0, NULL) : NULL;
	if (json_is_object(c))
		return c;
	json_decref(c);
	return NULL;
}

/* POST /apiv1 {"method", "params"}; params is taken. With who, the session's
 * credentials go into params. */
static int rpc(const char *method, json_t *params, const struct connector_login *who,
               struct connector_call *call, struct wb_err *err)
{
	memset(call, 0, sizeof(*call));
	if (!params)
		return wb_fail(err, WB_ENOMEM, "out of memory");
	if (who) {
		json_t *c = credentials(who);
		if (!c) {
			json_decref(params);
			return wb_fail(err, WB_EINVALID, "Geotab: no session to call %s with",
			               method);
		}
		json_object_set_new(params, "credentials", c);
	}
	snprintf(call->method, sizeof(call->method), "POST");
	snprintf(call->path, sizeof(call->path), GT_PATH);
	call->body = json_pack("{s:s, s:o}", "method", method, "params", params);
	return call->body ? 0 : wb_fail(err, WB_ENOMEM, "out of memory");
}

/* {"typeName", "resultsLimit", "fromVersion"?, "search"?}; search is taken. */
static json_t *params(const char *type, const char *from, int limit, json_t *search)
{
	json_t *p = json_pack("{s:s, s:i}", "typeName", type, "resultsLimit", limit);
	if (p && from && *from)
		json_object_set_new(p, "fromVersion", json_string(from));
	if (p && search)
		json_object_set_new(p, "search", search);
	else
		json_decref(search);
	return p;
}

/* One call of a multi-call; params is taken. */
static json_t *one(const char *method, json_t *params)
{
	return json_pack("{s:s, s:o}", "method", method, "params", params);
}

/* ExecuteMultiCall of calls (taken); each inner call carries the session too,
 * as Geotab asks. */
static int multi(json_t *calls, const struct connector_login *who, struct connector_call *call,
                 struct wb_err *err)
{
	json_t *c = credentials(who), *o;
	size_t i;
	json_array_foreach(calls, i, o)
	{
		if (c)
			json_object_set(json_object_get(o, "params"), "credentials", c);
	}
	json_decref(c);
	return rpc("ExecuteMultiCall", calls ? json_pack("{s:o}", "calls", calls) : NULL, who, call,
	           err);
}

/* The name of a JSON-RPC error: errors[0].name, else data.type. */
static const char *error_name(json_t *e)
{
	const char *n = json_string_value(
	        json_object_get(json_array_get(json_object_get(e, "errors"), 0), "name"));
	return n ? n : json_string_value(json_object_get(json_object_get(e, "data"), "type"));
}

/* Parses a JSON-RPC answer; *j holds it and *res its result. An error is
 * WB_EINVALID naming it, or WB_ENOTFOUND for a feed version Geotab refuses. */
static int answer(const struct connector_answer *a, const char *what, json_t **j, json_t **res,
                  struct wb_err *err)
{
	*j = NULL;
	*res = NULL;
	if (a->status != 200)
		return wb_fail(err, WB_EINVALID, "%s: Geotab answered HTTP %ld", what, a->status);
	json_t *o = a->body ? json_loadb(a->body, a->body_len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (!json_is_object(o)) {
		json_decref(o);
		return wb_fail(err, WB_EINVALID,
		               "%s: the answer is not a JSON-RPC object (%zu bytes)", what,
		               a->body_len);
	}
	json_t *e = json_object_get(o, "error");
	if (e && !json_is_null(e)) {
		const char *name = error_name(e),
		           *m = json_string_value(json_object_get(e, "message"));
		char msg[200], nm[64];
		connector_clean_text(msg, sizeof(msg), m ? m : "", m ? strlen(m) : 0);
		connector_clean_text(nm, sizeof(nm), name ? name : "JSONRPCError",
		                     strlen(name ? name : "JSONRPCError"));
		bool version =
		        name && strstr(name, "ArgumentException") && m && strstr(m, "fromVersion");
		json_decref(o);
		return wb_fail(err, version ? WB_ENOTFOUND : WB_EINVALID,
		               "%s: Geotab refused it: %s: %s", what, nm, msg);
	}
	*res = json_object_get(o, "result");
	if (!*res) {
		json_decref(o);
		return wb_fail(err, WB_EINVALID, "%s: the answer has no \"result\"", what);
	}
	*j = o;
	return 0;
}

/* --- signing in ------------------------------------------------------------------ */

static int login_request(const struct connector_login *who, struct connector_call *call,
                         struct wb_err *err)
{
	if (!who || !who->database || !*who->database || !who->user || !*who->user ||
	    !who->password)
		return wb_fail(err, WB_EINVALID,
		               "the Geotab source needs a \"database\", a \"user\" and a password");
	return rpc("Authenticate",
	           json_pack("{s:s, s:s, s:s}", "database", who->database, "userName", who->user,
	                     "password", who->password),
	           NULL, call, err);
}

/* The server Authenticate moves us to: "ThisServer" stays (""); a host name
 * becomes https://host; a URL is kept when https, or http to a loopback
 * address (a test server): never plain HTTP across a network. */
static int geotab_server_path(const char *path, char *out, size_t len, struct wb_err *err)
{
	out[0] = '\0';
	if (!path || !strcmp(path, "ThisServer") || !*path)
		return 0;
	const char *host = path;
	bool http = !strncmp(path, "http://", 7), https = !strncmp(path, "https://", 8);
	host += http ? 7 : https ? 8 : 0;
	size_t n = strlen(host);
	while (n && host[n - 1] == '/')
		n--;
	bool ok = n > 0 && n < 200;
	for (size_t i = 0; ok && i < n; i++)
		ok = (host[i] >= 'a' && host[i] <= 'z') || (host[i] >= 'A' && host[i] <= 'Z') ||
		     (host[i] >= '0' && host[i] <= '9') || strchr(".-:[]", host[i]);
	bool loop = !strncmp(host, "127.0.0.1", 9) || !strncmp(host, "localhost", 9) ||
	            !strncmp(host, "[::1]", 5);
	if (!ok)
		return wb_fail(err, WB_EINVALID, "Geotab named a server that is not a host name");
	if (http && !loop)
		return wb_fail(
		        err, WB_EINVALID,
		        "Geotab moved the session to a server without TLS (http://); refused");
	snprintf(out, len, "%s%.*s", http ? "http://" : "https://", (int)n, host);
	return 0;
}

static int login_read(const struct connector_login *who, const struct connector_answer *a,
                      struct connector_session *ses, struct wb_err *err)
{
	memset(ses, 0, sizeof(*ses));
	json_t *j, *res;
	if (a->body_len > CONNECTOR_RECORD_JSON_MAX)
		return wb_fail(err, WB_EINVALID, "signing in: %zu bytes, not one answer",
		               a->body_len);
	int rc = answer(a, "signing in", &j, &res, err);
	if (rc != 0) {
		if (strstr(err->msg, "InvalidUserException"))
			return wb_fail(
			        err, WB_EDENIED,
			        "InvalidUserException from database %.60s: check the user and "
			        "password",
			        who && who->database ? who->database : "?");
		return rc;
	}
	json_t *c = json_object_get(res, "credentials");
	const char *sid = json_string_value(json_object_get(c, "sessionId"));
	const char *db = json_string_value(json_object_get(c, "database"));
	const char *user = json_string_value(json_object_get(c, "userName"));
	if (!sid || !*sid || !db || !user) {
		json_decref(j);
		return wb_fail(err, WB_EINVALID,
		               "signing in: Geotab's answer has no credentials {database, "
		               "userName, sessionId}");
	}
	/* Only what a call needs: no password, whatever the answer holds. */
	json_t *keep =
	        json_pack("{s:s, s:s, s:s}", "database", db, "userName", user, "sessionId", sid);
	size_t n = keep ? json_dumpb(keep, ses->credentials, sizeof(ses->credentials) - 1,
	                             JSON_COMPACT | JSON_PRESERVE_ORDER)
	                : 0;
	json_decref(keep);
	if (n == 0 || n >= sizeof(ses->credentials)) {
		json_decref(j);
		memset(ses, 0, sizeof(*ses));
		return wb_fail(err, WB_EINVALID, "signing in: the session is too long to keep");
	}
	ses->credentials[n] = '\0';
	rc = geotab_server_path(json_string_value(json_object_get(res, "path")), ses->path,
	                        sizeof(ses->path), err);
	json_decref(j);
	if (rc != 0)
		memset(ses, 0, sizeof(*ses));
	return rc;
}

/* A session Geotab no longer knows (expired, or dropped) is InvalidUserException
 * on any call; DbUnavailableException is a database moved to another server,
 * which a new Authenticate finds (Geotab's own clients do the same). Both come
 * as small answers: a big one is a page. */
static bool session_lost(const struct connector_answer *a)
{
	if (!a->body || a->body_len > 8192)
		return false;
	json_t *j = json_loadb(a->body, a->body_len, 0, NULL);
	const char *n = error_name(json_object_get(j, "error"));
	bool lost =
	        n && (!strcmp(n, "InvalidUserException") || !strcmp(n, "DbUnavailableException"));
	json_decref(j);
	return lost;
}

/* --- who am I ------------------------------------------------------------------ */

static int whoami_request(const struct connector_login *who, struct connector_call *call,
                          struct wb_err *err)
{
	if (!who || !who->user)
		return wb_fail(err, WB_EINVALID, "the Geotab source has no \"user\"");
	return rpc("Get",
	           json_pack("{s:s, s:{s:s}, s:i}", "typeName", "User", "search", "name", who->user,
	                     "resultsLimit", 1),
	           who, call, err);
}

/* Geotab takes no writes from Waybill: whoever signs in reads, "viewer"; the
 * console's role comes from the TMS. */
static int whoami(const char *body, size_t len, struct connector_whoami *out, struct wb_err *err)
{
	memset(out, 0, sizeof(*out));
	if (len > CONNECTOR_RECORD_JSON_MAX)
		return wb_fail(err, WB_EINVALID, "who-am-I: %zu bytes, not one record", len);
	struct connector_answer a = {.status = 200, .body = body, .body_len = len};
	json_t *j, *res;
	int rc = answer(&a, "who-am-I", &j, &res, err);
	if (rc != 0)
		return rc;
	const char *name = json_string_value(json_object_get(json_array_get(res, 0), "name"));
	if (!name || !*name) {
		json_decref(j);
		return wb_fail(err, WB_EINVALID, "who-am-I: Geotab did not name the user");
	}
	connector_clean_text(out->user, sizeof(out->user), name, strlen(name));
	snprintf(out->role, sizeof(out->role), "viewer");
	json_decref(j);
	return 0;
}

/* --- doctor ------------------------------------------------------------------- */

/* Step 0: the server's version (no session needed); step 1: that the user may
 * read the feeds (one fault, one DVIR, one position). */
static int doctor_request(int step, const struct connector_login *who, struct connector_call *call,
                          struct wb_err *err)
{
	if (step == 0)
		return rpc("GetVersion", json_object(), NULL, call, err);
	if (step != 1)
		return wb_fail(err, WB_ENOTFOUND, "no more checks");
	json_t *calls = json_array();
	static const char *const types[] = {"FaultData", "DVIRLog", "LogRecord"};
	for (size_t i = 0; i < N(types); i++)
		json_array_append_new(calls, one("GetFeed", params(types[i], NULL, 1, NULL)));
	return multi(calls, who, call, err);
}

static int doctor_read(int step, const struct connector_answer *a, char *line, size_t len)
{
	struct wb_err err = {0};
	json_t *j, *res;
	if (answer(a, step ? "reading faults, DVIRs and positions" : "the version", &j, &res,
	           &err) != 0) {
		snprintf(line, len, "%s", err.msg);
		return 1;
	}
	const char *v = json_string_value(res);
	char shown[40] = "";
	if (v)
		connector_clean_text(shown, sizeof(shown), v, strlen(v));
	if (step == 0)
		snprintf(line, len, "MyGeotab %s", v ? shown : "(no version given)");
	else
		snprintf(line, len, "the user may read faults, DVIRs and positions");
	json_decref(j);
	return 0;
}

/* --- pages ---------------------------------------------------------------------- */

/* Geotab's duty statuses (DutyStatusLogType) as the driver's: personal
 * conveyance counts as off duty, a yard move as on duty. */
static const char *const duty_statuses[][2] = {
        {"OFF", "off_duty"}, {"PC", "off_duty"}, {"PC_Exempted", "off_duty"},
        {"ON", "on_duty"},   {"YM", "on_duty"},  {"D", "driving"},
        {"SB", "sleeper"}};

/* The drivers' pass: Users, their availability (every driver under the
 * company group) and the duty status log in effect now (the boundary log
 * before fromDate, and any since). */
static json_t *drivers_calls(int limit)
{
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	json_t *st = json_array();
	for (size_t i = 0; i < N(duty_statuses); i++)
		json_array_append_new(st, json_string(duty_statuses[i][0]));
	return json_pack("[o, o, o]",
	                 one("Get", params("User", NULL, limit, json_pack("{s:b}", "isDriver", 1))),
	                 one("Get", params("DutyStatusAvailability", NULL, limit,
	                                   json_pack("{s:{s:[{s:s}]}}", "userSearch",
	                                             "driverGroups", "id", "GroupCompanyId"))),
	                 one("Get", params("DutyStatusLog", NULL, 4 * limit,
	                                   json_pack("{s:s, s:b, s:o}", "fromDate", now,
	                                             "includeBoundaryLogs", 1, "statuses", st))));
}

static int page_request(const struct connector_stream *s, const struct connector_login *who,
                        const char *cursor, int limit, struct connector_call *call,
                        struct wb_err *err)
{
	char ver[GT_FEEDS][GT_VERSION_MAX + 1];
	int rc = cursor_parse(s, cursor, ver, err);
	if (rc != 0)
		return rc;
	if (limit <= 0 || limit > 50000)
		limit = 1000;
	switch (s->entity) {
	case WB_ENT_VEHICLE: return rpc("Get", params("Device", NULL, limit, NULL), who, call, err);
	case WB_ENT_DRIVER: return multi(drivers_calls(limit), who, call, err);
	case WB_ENT_FAULT:
		return rpc("GetFeed", params("FaultData", ver[0], limit, NULL), who, call, err);
	case WB_ENT_INSPECTION:
		return rpc("GetFeed", params("DVIRLog", ver[0], limit, NULL), who, call, err);
	case -1: {
		json_t *calls = json_array();
		json_array_append_new(calls,
		                      one("GetFeed", params("LogRecord", ver[0], limit, NULL)));
		for (size_t i = 0; i < N(status_feeds); i++)
			json_array_append_new(
			        calls,
			        one("GetFeed", params("StatusData", ver[i + 1], limit,
			                              json_pack("{s:{s:s}}", "diagnosticSearch",
			                                        "id", status_feeds[i].diag))));
		return multi(calls, who, call, err);
	}
	default: return wb_fail(err, WB_EINVALID, "Geotab has no stream \"%.40s\"", s->name);
	}
}

/* A feed's answer {"data": [...], "toVersion": "..."}: checks and counts. */
static int feed_result(json_t *res, const char *what, json_t **data, const char **to,
                       struct wb_err *err)
{
	int64_t v;
	*data = json_object_get(res, "data");
	*to = json_string_value(json_object_get(res, "toVersion"));
	if (!json_is_array(*data) || !*to || geotab_version_parse(*to, &v) != 0)
		return wb_fail(err, WB_EINVALID,
		               "%s: not a feed result {\"data\": [...], \"toVersion\": hex}", what);
	return 0;
}

/* A reference's id: {"device": {"id": "b1"}}. */
static const char *ref_id(json_t *rec, const char *key)
{
	return json_string_value(json_object_get(json_object_get(rec, key), "id"));
}

/* A feed of readings, sorted by device then time, for the merge. */
struct reading {
	const char *device;
	int64_t t_ms;
	double value;
};

static int reading_cmp(const void *a, const void *b)
{
	const struct reading *x = a, *y = b;
	int c = strcmp(x->device, y->device);
	return c ? c : (x->t_ms > y->t_ms) - (x->t_ms < y->t_ms);
}

static struct reading *readings(json_t *data, size_t *n)
{
	struct reading *r = calloc(json_array_size(data) + 1, sizeof(*r));
	size_t i;
	json_t *s;
	*n = 0;
	json_array_foreach(data, i, s)
	{
		const char *d = ref_id(s, "device");
		const char *dt = json_string_value(json_object_get(s, "dateTime"));
		json_t *v = json_object_get(s, "data");
		if (r && d && dt && json_is_number(v) &&
		    connector_parse_time_ms(dt, &r[*n].t_ms) == 0) {
			r[*n].device = d;
			r[(*n)++].value = json_number_value(v);
		}
	}
	if (r)
		qsort(r, *n, sizeof(*r), reading_cmp);
	return r;
}

/* The latest reading of device at or before t_ms; NAN none. */
static double reading_at(const struct reading *r, size_t n, const char *device, int64_t t_ms)
{
	size_t lo = 0, hi = n; /* the first reading after (device, t_ms) */
	struct reading key = {device, t_ms, 0};
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (reading_cmp(&r[mid], &key) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && !strcmp(r[lo - 1].device, device) ? r[lo - 1].value : NAN;
}

static int positions_read(json_t *res, int limit, json_t **page, struct wb_err *err)
{
	json_t *data[GT_FEEDS], *lr;
	const char *to[GT_FEEDS];
	char what[40], next[GT_FEEDS * (GT_VERSION_MAX + 1)] = "";
	if (!json_is_array(res) || json_array_size(res) != GT_FEEDS)
		return wb_fail(err, WB_EINVALID,
		               "the positions multi-call: Geotab did not answer its %zu calls",
		               (size_t)GT_FEEDS);
	bool more = false;
	for (size_t k = 0; k < GT_FEEDS; k++) {
		snprintf(what, sizeof(what), "%s feed", k ? status_feeds[k - 1].what : "LogRecord");
		int rc = feed_result(json_array_get(res, k), what, &data[k], &to[k], err);
		if (rc != 0)
			return rc;
		/* The limit asked is in the request only: a full call says "more". */
		more = more || json_array_size(data[k]) >= (size_t)limit;
		snprintf(next + strlen(next), sizeof(next) - strlen(next), "%s%s", k ? ":" : "",
		         to[k]);
	}
	/* Each StatusData reading goes onto each position of the same device,
	 * from the latest reading at or before it in this answer (none: unknown). */
	struct reading *r[N(status_feeds)];
	size_t n[N(status_feeds)], i;
	int rc = 0;
	for (size_t k = 0; k < N(status_feeds); k++)
		if (!(r[k] = readings(data[k + 1], &n[k])))
			rc = wb_fail(err, WB_ENOMEM, "out of memory");
	int64_t t;
	json_array_foreach(data[0], i, lr)
	{
		const char *d = ref_id(lr, "device");
		const char *dt = json_string_value(json_object_get(lr, "dateTime"));
		if (rc != 0)
			break;
		if (!json_is_object(lr) || !d || !dt || connector_parse_time_ms(dt, &t) != 0) {
			rc = wb_fail(err, WB_EINVALID,
			             "LogRecord %zu: no device id or dateTime (RFC 3339)", i);
			break;
		}
		for (size_t k = 0; k < N(status_feeds); k++) {
			double v = reading_at(r[k], n[k], d, t);
			if (!isnan(v))
				json_object_set_new(lr, status_feeds[k].key, json_real(v));
		}
	}
	for (size_t k = 0; k < N(status_feeds); k++)
		free(r[k]);
	if (rc == 0)
		*page = json_pack("{s:O, s:s, s:b}", "data", data[0], "next", next, "has_more",
		                  more);
	return rc;
}

/* A full pass's list: all of it in one answer, or refused; with page, the
 * page of it. */
static int whole_list(json_t *list, int limit, const char *what, json_t **page, struct wb_err *err)
{
	if (!json_is_array(list))
		return wb_fail(err, WB_EINVALID, "%s: the result is not a list", what);
	if (json_array_size(list) >= (size_t)limit)
		return wb_fail(err, WB_EINVALID,
		               "%s: %zu records, as many as one Get returns here: the fleet is too "
		               "big to read whole",
		               what, json_array_size(list));
	if (page)
		*page = json_pack("{s:O, s:s, s:b}", "data", list, "next", "", "has_more", 0);
	return 0;
}

/* The drivers' multi-call: each User who is a driver, with its availability
 * ("waybill.availability"), the status of its latest duty status log
 * ("waybill.duty_status") and the time of the answer ("waybill.as_of_ms"),
 * for map_record. */
static int drivers_read(json_t *res, int limit, json_t **page, struct wb_err *err)
{
	json_t *users = json_array_get(res, 0), *avail = json_array_get(res, 1),
	       *logs = json_array_get(res, 2);
	int rc = json_array_size(res) == 3 && json_is_array(avail) && json_is_array(logs)
	                 ? whole_list(users, limit, "the drivers page", NULL, err)
	                 : wb_fail(err, WB_EINVALID,
	                           "the drivers multi-call: Geotab did not answer its Get User, "
	                           "DutyStatusAvailability and DutyStatusLog with three lists");
	if (rc != 0)
		return rc;
	json_t *av = json_object(), *latest = json_object(), *r, *keep = json_array();
	size_t i;
	json_array_foreach(avail, i, r)
	{
		if (ref_id(r, "driver"))
			json_object_set(av, ref_id(r, "driver"), r);
	}
	json_array_foreach(logs, i, r)
	{
		const char *d = ref_id(r, "driver"),
		           *dt = json_string_value(json_object_get(r, "dateTime"));
		json_t *prev = d ? json_object_get(latest, d) : NULL;
		int64_t t, tp;
		if (!d || !dt || connector_parse_time_ms(dt, &t) != 0)
			continue; /* the logs of no driver tell no driver's status */
		if (!prev ||
		    connector_parse_time_ms(json_string_value(json_object_get(prev, "dateTime")),
		                            &tp) != 0 ||
		    t >= tp)
			json_object_set(latest, d, r);
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t as_of = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	json_array_foreach(users, i, r)
	{
		const char *id = json_string_value(json_object_get(r, "id"));
		/* Geotab's search asked for drivers; a user who is not one is not listed */
		if (!json_is_object(r) || !json_is_true(json_object_get(r, "isDriver")))
			continue;
		if (id && json_object_get(av, id))
			json_object_set(r, "waybill.availability", json_object_get(av, id));
		if (id && json_object_get(latest, id))
			json_object_set(r, "waybill.duty_status",
			                json_object_get(json_object_get(latest, id), "status"));
		json_object_set_new(r, "waybill.as_of_ms", json_integer(as_of));
		json_array_append(keep, r);
	}
	json_decref(av);
	json_decref(latest);
	*page = json_pack("{s:o, s:s, s:b}", "data", keep, "next", "", "has_more", 0);
	return 0;
}

static int page_read(const struct connector_stream *s, const char *cursor,
                     const struct connector_answer *a, json_t **page, struct wb_err *err)
{
	*page = NULL;
	char ver[GT_FEEDS][GT_VERSION_MAX + 1], what[64];
	int rc = cursor_parse(s, cursor, ver, err);
	if (rc != 0)
		return rc;
	snprintf(what, sizeof(what), "the %s page", s->name);
	json_t *j, *res, *data;
	if ((rc = answer(a, what, &j, &res, err)) != 0)
		return rc;
	const char *to;
	if (s->entity < 0)
		rc = positions_read(res, s->page_limit, page, err);
	else if (s->entity == WB_ENT_DRIVER)
		rc = drivers_read(res, s->page_limit, page, err);
	else if (s->entity == WB_ENT_VEHICLE)
		rc = whole_list(res, s->page_limit, what, page, err);
	else if ((rc = feed_result(res, what, &data, &to, err)) == 0)
		*page = json_pack("{s:O, s:s, s:b}", "data", data, "next", to, "has_more",
		                  json_array_size(data) >= (size_t)s->page_limit);
	json_decref(j);
	if (rc == 0 && !*page)
		rc = wb_fail(err, WB_ENOMEM, "out of memory");
	return rc;
}

/* --- records --------------------------------------------------------------------- */

/* A fault's code: J1939 "SPN<n>-FMI<m>" from the Diagnostic's code and the
 * FailureMode's; OBD-II from the DTC's two bytes ("P0217" is 0x0217); a
 * diagnostic given by id only keeps Geotab's ids. *protocol NULL: unknown. */
static void fault_code(json_t *rec, char *code, size_t len, const char **protocol)
{
	json_t *diag = json_object_get(rec, "diagnostic"),
	       *fm = json_object_get(rec, "failureMode");
	const char *src = ref_id(diag, "source");
	json_t *dc = json_object_get(diag, "code"), *fc = json_object_get(fm, "code");
	*protocol = NULL;
	if (src && !strcmp(src, "SourceJ1939Id") && json_is_integer(dc) && json_is_integer(fc)) {
		*protocol = "j1939";
		snprintf(code, len, "SPN%" JSON_INTEGER_FORMAT "-FMI%" JSON_INTEGER_FORMAT,
		         json_integer_value(dc), json_integer_value(fc));
	} else if (src && !strcmp(src, "SourceObdId") && json_is_integer(dc) &&
	           json_integer_value(dc) >= 0 && json_integer_value(dc) <= 0xffff) {
		unsigned v = (unsigned)json_integer_value(dc);
		*protocol = "obd2";
		snprintf(code, len, "%c%04X", "PCBU"[v >> 14], v & 0x3fff);
	} else {
		const char *d = ref_id(rec, "diagnostic"), *f = ref_id(rec, "failureMode");
		snprintf(code, len, "%.60s%s%.60s", d ? d : "?", f ? "/" : "", f ? f : "");
	}
}

/* The severity table (docs/connectors/geotab.md): the lamps the ECU lit. */
static const char *geotab_severity(json_t *rec)
{
	if (json_is_true(json_object_get(rec, "redStopLamp")))
		return "critical";
	if (json_is_true(json_object_get(rec, "amberWarningLamp")))
		return "major";
	if (json_is_true(json_object_get(rec, "malfunctionLamp")) ||
	    json_is_true(json_object_get(rec, "protectWarningLamp")))
		return "minor";
	return "info";
}

static int map_fault(json_t *rec, json_t *c, const char *id, char *key, size_t klen,
                     struct wb_err *err)
{
	static const char *const states[][2] = {{"Active", "1"},
	                                        {"Pending", "1"},
	                                        {"Inactive", "0"},
	                                        {"Cleared", "0"},
	                                        {"None", "0"}};
	const char *dev = ref_id(rec, "device"),
	           *st = json_string_value(json_object_get(rec, "faultState"));
	json_t *dt = json_object_get(rec, "dateTime");
	const char *active = NULL;
	for (size_t i = 0; st && i < N(states); i++)
		if (!strcmp(st, states[i][0]))
			active = states[i][1];
	if (!dev || !active) {
		char got[32];
		connector_clean_text(got, sizeof(got), st ? st : "", st ? strlen(st) : 0);
		return wb_fail(err, WB_EINVALID, "FaultData %s: %s", id,
		               !dev ? "no device id"
		                    : "faultState is not Active, Pending, Inactive or Cleared");
	}
	char code[140];
	const char *protocol;
	fault_code(rec, code, sizeof(code), &protocol);
	/* One row per vehicle and code: a later record of the same fault (it
	 * cleared, or came back) has a higher version and replaces it. */
	snprintf(key, klen, "%s/%s", dev, code);
	json_object_set_new(c, "vehicle_id", json_string(dev));
	json_object_set_new(c, "code", json_string(code));
	json_object_set_new(c, "protocol", protocol ? json_string(protocol) : json_null());
	json_object_set_new(c, "severity", json_string(geotab_severity(rec)));
	json_object_set(c, "first_seen", dt);
	json_object_set(c, "last_seen", dt);
	json_object_set_new(c, "active", json_integer(active[0] == '1'));
	return 0;
}

static int map_inspection(json_t *rec, json_t *c, const char *id, struct wb_err *err)
{
	const char *dev = ref_id(rec, "device"), *drv = ref_id(rec, "driver");
	const char *type = json_string_value(json_object_get(rec, "logType"));
	if (!dev)
		return wb_fail(err, WB_EINVALID, "DVIRLog %s: no device id", id);
	const char *kind = !type                       ? NULL
	                   : !strcmp(type, "PreTrip")  ? "pre_trip"
	                   : !strcmp(type, "PostTrip") ? "post_trip"
	                                               : "intermediate";
	char defects[400] = "";
	size_t n = 0, i;
	json_t *d;
	json_array_foreach(json_object_get(rec, "defects"), i, d)
	{
		const char *name =
		        json_string_value(json_object_get(json_object_get(d, "defect"), "name"));
		if (name)
			n += (size_t)snprintf(defects + n,
			                      n < sizeof(defects) ? sizeof(defects) - n : 0, "%s%s",
			                      n ? "; " : "", name);
	}
	json_object_set_new(c, "vehicle_id", json_string(dev));
	json_object_set_new(c, "driver_id",
	                    drv && strcmp(drv, "UnknownDriverId") ? json_string(drv) : json_null());
	json_object_set_new(c, "kind", kind ? json_string(kind) : json_null());
	json_object_set(c, "safe", json_object_get(rec, "isSafeToOperate"));
	json_object_set_new(c, "defects", json_string(defects));
	json_object_set(c, "at", json_object_get(rec, "dateTime"));
	return 0;
}

/* Reads lo..hi digits at *p. */
static bool digits(const char **p, size_t lo, size_t hi, long long *v)
{
	size_t n = strspn(*p, "0123456789");
	if (n < lo || n > hi)
		return false;
	*v = strtoll(*p, NULL, 10);
	*p += n;
	return true;
}

/* A .NET TimeSpan as Geotab sends durations, "[-][d.]hh:mm:ss[.fffffff]"
 * ("02:30:00", "1.02:00:00"), in whole seconds. */
static int geotab_timespan(const char *s, int64_t *sec)
{
	const char *p = s ? s + (*s == '-') : NULL;
	long long d = 0, h, m, x, f;
	if (!p || !digits(&p, 1, 8, &h))
		return -1;
	if (*p == '.') {
		d = h;
		p++;
		if (!digits(&p, 1, 2, &h))
			return -1;
	}
	if (*p++ != ':' || !digits(&p, 2, 2, &m) || *p++ != ':' || !digits(&p, 2, 2, &x))
		return -1;
	if (*p == '.' && (p++, !digits(&p, 1, 7, &f)))
		return -1;
	if (*p || h > 23 || m > 59 || x > 59)
		return -1;
	*sec = (((d * 24 + h) * 60 + m) * 60 + x) * (*s == '-' ? -1 : 1);
	return 0;
}

/* A User with what drivers_read merged onto it: the name, the hours left
 * (DutyStatusAvailability's TimeSpans; none given: unknown) and the duty
 * status; the version is the time of the answer. */
static int map_driver(json_t *rec, json_t *c, const char *id, int64_t *v, struct wb_err *err)
{
	static const char *const clocks[][2] = {
	        {"driving", "drive_left_s"}, {"duty", "duty_left_s"}, {"cycle", "cycle_left_s"}};
	const char *f = json_string_value(json_object_get(rec, "firstName"));
	const char *l = json_string_value(json_object_get(rec, "lastName"));
	char name[200];
	if ((f && *f) || (l && *l)) {
		snprintf(name, sizeof(name), "%s%s%s", f ? f : "", f && *f && l && *l ? " " : "",
		         l ? l : "");
		json_object_set_new(c, "name", json_string(name));
	} else {
		json_object_set(c, "name", json_object_get(rec, "name"));
	}
	json_t *av = json_object_get(rec, "waybill.availability");
	for (size_t i = 0; i < N(clocks); i++) {
		json_t *t = json_object_get(av, clocks[i][0]);
		int64_t left;
		if (!t || json_is_null(t))
			continue;
		if (geotab_timespan(json_string_value(t), &left) != 0) {
			char got[40] = "(not text)";
			if (json_is_string(t))
				connector_clean_text(got, sizeof(got), json_string_value(t),
				                     json_string_length(t));
			return wb_fail(
			        err, WB_EINVALID,
			        "User %s: DutyStatusAvailability %s \"%s\" is not a TimeSpan "
			        "([-][d.]hh:mm:ss)",
			        id, clocks[i][0], got);
		}
		json_object_set_new(c, clocks[i][1], json_integer(left));
	}
	const char *st = json_string_value(json_object_get(rec, "waybill.duty_status"));
	for (size_t i = 0; st && i < N(duty_statuses); i++)
		if (!strcmp(st, duty_statuses[i][0]))
			json_object_set_new(c, "status", json_string(duty_statuses[i][1]));
	json_t *as_of = json_object_get(rec, "waybill.as_of_ms");
	if (json_is_integer(as_of))
		*v = json_integer_value(as_of);
	return 0;
}

/* Builds the canonical record under "waybill." in rec (the row's text
 * borrows from it), then the generic mapper checks types and ranges. */
static int map_record(const struct connector_stream *s, const char *source, json_t *rec, void *row,
                      struct wb_err *err)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	const char *ver = json_string_value(json_object_get(rec, "version"));
	int64_t v;
	if (!json_is_object(rec) || !id || !*id || strlen(id) > 100)
		return wb_fail(err, WB_EINVALID, "%s: a record has no usable \"id\"", s->name);
	if (!ver || geotab_version_parse(ver, &v) != 0)
		return wb_fail(err, WB_EINVALID, "%s %s: \"version\" is not Geotab's hex version",
		               s->name, id);
	json_t *c = json_object();
	char key[256];
	snprintf(key, sizeof(key), "%s", id);
	int rc = 0;
	if (s->entity == WB_ENT_VEHICLE) {
		json_object_set(c, "unit", json_object_get(rec, "name"));
	} else if (s->entity == WB_ENT_DRIVER) {
		rc = map_driver(rec, c, id, &v, err);
	} else if (s->entity == WB_ENT_FAULT) {
		rc = map_fault(rec, c, id, key, sizeof(key), err);
	} else if (s->entity == WB_ENT_INSPECTION) {
		rc = map_inspection(rec, c, id, err);
	} else {
		rc = wb_fail(err, WB_EINVALID, "%s: not a record stream", s->name);
	}
	if (rc == 0)
		json_object_set_new(c, "id", json_string(key));
	if (rc != 0) {
		json_decref(c);
		return rc;
	}
	if (json_object_set_new(rec, "waybill.", c) != 0) /* c is taken either way */
		return wb_fail(err, WB_ENOMEM, "out of memory");
	wb_entity_clear((enum wb_entity)s->entity, row);
	struct wb_meta *m = row;
	m->id = m->ext_id = json_string_value(json_object_get(c, "id"));
	m->source = source;
	m->ext_version = v;
	struct wb_err ferr = {0};
	if (connector_map_fields(s->entity, c, row, &ferr) != 0)
		return wb_fail(err, WB_EINVALID, "%s %s: %s", s->name, id, ferr.msg);
	return 0;
}

/* A LogRecord, with the fuel, odometer and ignition page_read merged onto
 * it. Speed is km/h; LogRecord has no heading. */
static int map_position(json_t *rec, struct wb_position *p, struct wb_err *err)
{
	const char *dev = ref_id(rec, "device");
	const char *dt = json_string_value(json_object_get(rec, "dateTime"));
	json_t *lat = json_object_get(rec, "latitude"), *lon = json_object_get(rec, "longitude");
	json_t *spd = json_object_get(rec, "speed");
	int64_t t;
	if (!dev || !*dev || !dt || connector_parse_time_ms(dt, &t) != 0 || !json_is_number(lat) ||
	    !json_is_number(lon))
		return wb_fail(err, WB_EINVALID,
		               "LogRecord %s: needs device.id, dateTime, latitude and longitude",
		               dev ? dev : "?");
	json_t *f = json_object_get(rec, "waybill.fuel_pct"),
	       *o = json_object_get(rec, "waybill.odometer_m"),
	       *ig = json_object_get(rec, "waybill.ignition");
	double on = ig ? json_number_value(ig) : -1; /* none: unknown */
	if (ig && on != 0 && on != 1)
		return wb_fail(
		        err, WB_EINVALID,
		        "LogRecord %.40s at %.40s: the ignition StatusData is %g, not 1 (on) "
		        "or 0 (off)",
		        dev, dt, on);
	*p = (struct wb_position){.vehicle_id = dev,
	                          .ts_ms = t,
	                          .lat = json_number_value(lat),
	                          .lon = json_number_value(lon),
	                          .speed_mps =
	                                  json_is_number(spd) ? json_number_value(spd) / 3.6 : NAN,
	                          .heading = NAN,
	                          .odometer_m = json_is_number(o) ? json_number_value(o) : NAN,
	                          .fuel_pct = json_is_number(f) ? json_number_value(f) : NAN,
	                          .ignition = (int)on};
	return connector_check_position(p, err);
}

/* --- actions --------------------------------------------------------------------- */

static int action(const char *name, const char *subject_id, json_t *payload,
                  struct connector_call *call, struct wb_err *err)
{
	(void)name;
	(void)subject_id;
	(void)payload;
	memset(call, 0, sizeof(*call));
	return wb_fail(err, WB_ENOTFOUND,
	               "Geotab takes no vehicle holds or work orders from Waybill: they belong to "
	               "the maintenance source (sources.maintenance)");
}

static enum connector_verdict result(const char *name, const char *subject_id,
                                     const struct connector_answer *a, char *msg, size_t len)
{
	(void)name;
	(void)subject_id;
	(void)a;
	return connector_unrecognised(msg, len, "Geotab takes no actions from Waybill");
}

const struct connector_ops connector_geotab = {
        .kind = "geotab",
        .streams = streams,
        .map_record = map_record,
        .map_position = map_position,
        .action = action,
        .result = result,
        .whoami_path = GT_PATH,
        .whoami = whoami,
        .page_request = page_request,
        .page_read = page_read,
        .sweep_s = sweep_s,
        .login_request = login_request,
        .login_read = login_read,
        .session_lost = session_lost,
        .whoami_request = whoami_request,
        .doctor_request = doctor_request,
        .doctor_read = doctor_read,
};
