/* waybill-sim's telematics service in Traccar's dialect (sim/dialect.h): the
 * world's vehicles as devices (ids N), drivers (ids 100000+N), the position
 * ring as positions (id = the ring's sequence) with their OBD attributes, the
 * vehicle's active faults as the "dtcs" of its latest position, and the
 * route report. Paths are Traccar's, under /api. Auth is a Bearer token (the
 * sim's tokens); a missing or unknown one is 401 with no JSON, as Traccar
 * answers. Injected faults: rate429 (Retry-After when retry_after > 0),
 * rate5xx (503), expire (a route report refused 400 "period limit", as
 * Traccar's report.periodLimit refuses one). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dialect.h"

#define KNOTS_PER_MPS 1.943844
#define MAX_IDS 256

bool sim_traccar_owns(const char *url)
{
	return strncmp(url, "/v1/", 4) != 0;
}

static void text(struct sim_reply *rep, int status, const char *msg)
{
	rep->status = status;
	rep->text = strdup(msg);
	rep->ctype = "text/plain; charset=utf-8";
}

static json_t *iso_ms(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[48];
	gmtime_r(&t, &tm);
	snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+00:00",
	         (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	         tm.tm_sec, (int)(ms % 1000));
	return json_string(buf);
}

/* "2026-11-29T14:32:05.123Z" (or without ms) into ms; -1 when not a time. */
static int64_t parse_iso(const char *s)
{
	struct tm tm = {0};
	int ms = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	                 &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	if (strlen(s) > 20 && s[19] == '.')
		ms = atoi(s + 20) % 1000;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

static bool authed(const struct sim_req *r)
{
	const char *h = sim_req_value(r, MHD_HEADER_KIND, "Authorization");
	if (!h || strncmp(h, "Bearer ", 7) != 0)
		return false;
	for (int i = 0; i < SIM_ROLE__COUNT; i++)
		if (r->srv->tokens[i][0] && strcmp(h + 7, r->srv->tokens[i]) == 0)
			return true;
	return false;
}

/* Each vehicle's latest position in the ring (NULL: none), in one pass from
 * the newest; the caller frees the array. */
static const struct sim_pos **latest_all(const struct sim_world *w)
{
	size_t nv = w->t[WB_ENT_VEHICLE].n, left = nv;
	const struct sim_pos **out = calloc(nv ? nv : 1, sizeof(*out));
	uint64_t n = w->pos_seq < w->pos_cap ? w->pos_seq : w->pos_cap;
	for (uint64_t k = 0; out && left && k < n; k++) {
		const struct sim_pos *p = &w->pos[(w->pos_seq - k) % w->pos_cap];
		if (p->vehicle < nv && !out[p->vehicle]) {
			out[p->vehicle] = p;
			left--;
		}
	}
	return out;
}

static json_t *position(const struct sim_world *w, const struct sim_pos *p, bool dtcs)
{
	json_t *a = json_pack("{s:f,s:f,s:b}", "odometer", p->odometer_m, "totalDistance",
	                      p->odometer_m, "ignition", p->ignition > 0);
	if (p->fuel_pct == p->fuel_pct)
		json_object_set_new(a, "fuel", json_real(p->fuel_pct));
	if (dtcs) {
		char buf[512] = "";
		size_t off = 0;
		const struct sim_table *ft = &w->t[WB_ENT_FAULT];
		for (size_t i = 0; i < ft->n; i++) {
			const struct sim_fault *f = sim_row(ft, i);
			if (f->m.deleted || !f->active || f->vehicle != p->vehicle)
				continue;
			int k = snprintf(buf + off, sizeof buf - off, "%s%s", off ? " " : "",
			                 sim_fault_code(f->code));
			if (k > 0 && off + (size_t)k < sizeof buf)
				off += (size_t)k;
		}
		if (off)
			json_object_set_new(a, "dtcs", json_string(buf));
	}
	return json_pack("{s:I,s:I,s:s,s:o,s:o,s:o,s:b,s:f,s:f,s:f,s:f,s:f,s:o}", "id",
	                 (json_int_t)p->seq, "deviceId", (json_int_t)p->vehicle + 1, "protocol",
	                 "osmand", "deviceTime", iso_ms(p->ts_ms), "fixTime", iso_ms(p->ts_ms),
	                 "serverTime", iso_ms(p->ts_ms), "valid", 1, "latitude", (double)p->lat,
	                 "longitude", (double)p->lon, "altitude", 0.0, "speed",
	                 (double)p->speed_mps * KNOTS_PER_MPS, "course", (double)p->heading,
	                 "attributes", a);
}

static json_t *devices(const struct sim_req *r, long limit, long offset)
{
	const struct sim_world *w = &r->srv->w;
	static const char *const cats[] = {"truck", "trailer", "van", "truck"};
	json_t *arr = json_array();
	const struct sim_table *vt = &w->t[WB_ENT_VEHICLE];
	const struct sim_pos **last = latest_all(w);
	for (size_t i = (size_t)offset; last && i < vt->n && (long)(i - (size_t)offset) < limit;
	     i++) {
		const struct sim_vehicle *v = sim_row(vt, i);
		if (v->m.deleted)
			continue;
		json_t *c = sim_render(w, WB_ENT_VEHICLE, i);
		const struct sim_pos *p = last[i];
		json_t *attrs = json_pack("{s:O}", "depot", json_object_get(c, "depot"));
		if (v->kind != VK_TRAILER)
			json_object_set_new(attrs, "fuelTankCapacity", json_real(v->tank_l));
		json_t *d =
		        json_pack("{s:I,s:O,s:s+,s:s,s:b,s:o,s:o,s:n,s:s,s:o}", "id",
		                  (json_int_t)i + 1, "name", json_object_get(c, "unit"), "uniqueId",
		                  "imei-", json_string_value(json_object_get(c, "unit")), "status",
		                  "online", "disabled", 0, "lastUpdate",
		                  v->last_seen_ms ? iso_ms(v->last_seen_ms) : json_null(),
		                  "positionId", p ? json_integer((json_int_t)p->seq) : json_null(),
		                  "groupId", "category", cats[v->kind % 4], "attributes", attrs);
		json_decref(c);
		json_array_append_new(arr, d);
	}
	free(last);
	return arr;
}

static json_t *drivers(const struct sim_req *r)
{
	const struct sim_world *w = &r->srv->w;
	json_t *arr = json_array();
	const struct sim_table *dt = &w->t[WB_ENT_DRIVER];
	for (size_t i = 0; i < dt->n; i++) {
		if (((const struct sim_driver *)sim_row(dt, i))->m.deleted)
			continue;
		json_t *c = sim_render(w, WB_ENT_DRIVER, i);
		char id[32];
		sim_format_id(w, WB_ENT_DRIVER, i, id, sizeof id);
		json_array_append_new(
		        arr, json_pack("{s:I,s:O,s:s+,s:{s:O}}", "id", (json_int_t)atoll(id),
		                       "name", json_object_get(c, "name"), "uniqueId", "rfid-", id,
		                       "attributes", "depot", json_object_get(c, "depot")));
		json_decref(c);
	}
	return arr;
}

struct idlist {
	const char *key; /* "deviceId" or "id" */
	long ids[MAX_IDS];
	int n, bad;
};

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
	(void)kind;
	struct idlist *l = cls;
	if (key && strcmp(key, l->key) == 0) {
		char *end;
		long v = value ? strtol(value, &end, 10) : 0;
		if (!value || *end || v <= 0 || l->n == MAX_IDS)
			l->bad = 1;
		else
			l->ids[l->n++] = v;
	}
	return MHD_YES;
}

/* The values of a repeated query parameter (deviceId=1&deviceId=2). */
static void ids(struct sim_req *r, struct idlist *l)
{
	if (r->conn)
		MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect, l);
	else if (sim_req_value(r, MHD_GET_ARGUMENT_KIND, l->key))
		collect(l, MHD_GET_ARGUMENT_KIND, l->key,
		        sim_req_value(r, MHD_GET_ARGUMENT_KIND, l->key));
}

/* GET /api/reports/route?from&to&deviceId=..: positions by fix time. */
static void route(struct sim_req *r, struct sim_reply *rep)
{
	struct sim_world *w = &r->srv->w;
	int64_t from = parse_iso(sim_req_value(r, MHD_GET_ARGUMENT_KIND, "from"));
	int64_t to = parse_iso(sim_req_value(r, MHD_GET_ARGUMENT_KIND, "to"));
	struct idlist l = {.key = "deviceId"};
	ids(r, &l);
	if (from < 0 || to < 0 || to < from || l.bad) {
		text(rep, 400, "Bad request: from, to and deviceId");
		return;
	}
	json_t *arr = json_array();
	uint64_t n = w->pos_seq < w->pos_cap ? w->pos_seq : w->pos_cap;
	for (uint64_t s = w->pos_seq - n + 1; s <= w->pos_seq && n; s++) {
		const struct sim_pos *p = &w->pos[s % w->pos_cap];
		if (p->ts_ms < from || p->ts_ms > to)
			continue;
		for (int k = 0; k < l.n; k++)
			if (l.ids[k] == (long)p->vehicle + 1) {
				json_array_append_new(arr, position(w, p, false));
				break;
			}
	}
	rep->status = 200;
	rep->body = arr;
}

static long qlong(struct sim_req *r, const char *name, long dflt)
{
	const char *s = sim_req_value(r, MHD_GET_ARGUMENT_KIND, name);
	return s ? strtol(s, NULL, 10) : dflt;
}

void sim_traccar_serve(struct sim_req *r, struct sim_reply *rep)
{
	struct sim_world *w = &r->srv->w;
	const char *u = r->url;
	if (strcmp(u, "/api/server") == 0) { /* public in Traccar too */
		rep->status = 200;
		rep->body = json_pack("{s:i,s:s,s:b,s:b}", "id", 1, "version", "6.14.5",
		                      "registration", 0, "readonly", 1);
		return;
	}
	struct sim_svc *sv = r->svc;
	pthread_mutex_lock(&w->mu);
	int h5 = sim_fault_hit(sv, sv->f.rate5xx), h429 = sim_fault_hit(sv, sv->f.rate429);
	int hexp = strcmp(u, "/api/reports/route") == 0 && sim_fault_hit(sv, sv->f.expire);
	pthread_mutex_unlock(&w->mu);
	if (h5) {
		text(rep, 503, "Service Unavailable");
		return;
	}
	if (h429) {
		text(rep, 429, "Too Many Requests");
		rep->retry_after_s = sv->f.retry_after_s;
		return;
	}
	if (!authed(r)) {
		text(rep, 401, "HTTP 401 Unauthorized");
		return;
	}
	if (strcmp(r->method, "GET") != 0) {
		text(rep, 405, "HTTP 405 Method Not Allowed");
		return;
	}
	if (hexp) {
		text(rep, 400, "IllegalArgumentException: Time period exceeds the limit");
		return;
	}
	pthread_mutex_lock(&w->mu);
	if (strcmp(u, "/api/session") == 0) {
		char user[128], pw[64];
		sim_dialect_credentials(r->srv, user, sizeof user, pw, sizeof pw);
		rep->status = 200;
		rep->body = json_pack("{s:i,s:s,s:s,s:b,s:b}", "id", 1, "name", "Depot dispatch",
		                      "email", user, "administrator", 0, "readonly", 1);
	} else if (strcmp(u, "/api/devices") == 0) {
		long limit = qlong(r, "limit", 1000000), offset = qlong(r, "offset", 0);
		rep->status = 200;
		rep->body = devices(r, limit > 0 ? limit : 1, offset > 0 ? offset : 0);
	} else if (strcmp(u, "/api/drivers") == 0) {
		rep->status = 200;
		rep->body = drivers(r);
	} else if (strcmp(u, "/api/positions") == 0) {
		json_t *arr = json_array();
		const struct sim_pos **last = latest_all(w);
		for (size_t i = 0; last && i < w->t[WB_ENT_VEHICLE].n; i++)
			if (last[i])
				json_array_append_new(arr, position(w, last[i], true));
		free(last);
		rep->status = 200;
		rep->body = arr;
	} else if (strcmp(u, "/api/reports/route") == 0) {
		route(r, rep);
	} else {
		text(rep, 404, "HTTP 404 Not Found");
	}
	pthread_mutex_unlock(&w->mu);
}
