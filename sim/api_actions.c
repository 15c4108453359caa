/* Writes (POST, JSON body): release and assign a load, hold and clear a vehicle,
 * open a work order, act on an exception, release or hold an invoice. Each needs an
 * Idempotency-Key; a replay returns the stored answer (status and body). 409 when
 * the record's version is not the one the client expected (If-Match or
 * expected_version), with the current record; 422 when a rule forbids it; 403 when
 * the role may not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

#define ERR(st, code, msg) (*out = sim_error((code), (msg)), (st))

static uint64_t idem_slot(const char *key)
{
	return sim_fnv1a(0, key, strlen(key)) % 1024;
}

static struct sim_idem *idem_find(struct sim_svc *sv, const char *key)
{
	for (struct sim_idem *e = sv->idem[idem_slot(key)]; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static void idem_store(struct sim_svc *sv, const char *key, uint64_t h, int status,
                       const char *body)
{
	struct sim_idem *e = calloc(1, sizeof *e);
	if (!e)
		return;
	e->key = strdup(key);
	e->body = strdup(body);
	if (!e->key || !e->body) {
		free(e->key);
		free(e->body);
		free(e);
		return;
	}
	e->req_hash = h;
	e->status = status;
	uint64_t s = idem_slot(key);
	e->next = sv->idem[s];
	sv->idem[s] = e;
}

void sim_idem_free(struct sim_svc *sv)
{
	for (size_t i = 0; i < 1024; i++) {
		struct sim_idem *e = sv->idem[i];
		while (e) {
			struct sim_idem *n = e->next;
			free(e->key);
			free(e->body);
			free(e);
			e = n;
		}
		sv->idem[i] = NULL;
	}
}

static json_t *data_of(struct sim_world *w, enum wb_entity e, size_t i)
{
	return json_pack("{s:o}", "data", sim_render(w, e, i));
}

/* 409 when the client named a version and the record has moved on. */
static int version_conflict(struct sim_req *r, json_t *body, enum wb_entity e, size_t i,
                            json_t **out)
{
	struct sim_world *w = &r->srv->w;
	const struct sim_meta *m = sim_row(&w->t[e], i);
	long long want = -1;
	const char *im = sim_req_value(r, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MATCH);
	if (im) {
		const char *p = im;
		if (*p == 'W' && p[1] == '/')
			p += 2;
		if (*p == '"')
			p++;
		char *end = NULL;
		want = strtoll(p, &end, 10);
		if (end == p)
			want = -2;
	}
	json_t *ev = json_object_get(body, "expected_version");
	if (ev && json_is_integer(ev))
		want = json_integer_value(ev);
	else if (ev && !json_is_null(ev))
		want = -2;
	if (want == -2) {
		*out = sim_error("bad_parameter",
		                 "expected_version / If-Match must be an integer version");
		return 400;
	}
	if (want >= 0 && (uint64_t)want != m->version) {
		*out = json_pack("{s:{s:s,s:s},s:o}", "error", "code", "version_conflict",
		                 "message", "the record changed since that version", "current",
		                 sim_render(w, e, i));
		return 409;
	}
	return 0;
}

static const char *str_field(json_t *body, const char *k)
{
	json_t *v = json_object_get(body, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int load_action(struct sim_req *r, size_t li, const char *action, json_t *body, json_t **out)
{
	struct sim_world *w = &r->srv->w;
	struct sim_load *l = SIM_ROW(w, LOAD, sim_load, li);
	if (l->m.deleted)
		return ERR(404, "not_found", "no such load");
	if (strcmp(action, "release") == 0) {
		if (l->status != LS_PLANNED && l->status != LS_STAGED) {
			char msg[96];
			snprintf(msg, sizeof msg,
			         "the load is %s; only planned or staged loads are released",
			         sim_load_status_names[l->status]);
			return ERR(422, "not_releasable", msg);
		}
		if (l->vehicle < 0 && l->carrier == 0)
			return ERR(422, "no_vehicle", "assign a vehicle and driver first");
		if (l->vehicle >= 0) {
			const struct sim_vehicle *v =
			        SIM_ROW(w, VEHICLE, sim_vehicle, (size_t)l->vehicle);
			if (v->hold || v->status == VS_IN_SHOP || v->status == VS_OUT_OF_SERVICE)
				return ERR(422, "vehicle_not_ready",
				           "the assigned vehicle is on hold or out of service");
		}
		const struct sim_staging *g = SIM_ROW(w, STAGING, sim_staging, l->staging);
		if (g->pallets_staged < g->pallets_total || !g->labor_ready) {
			const char *reason = str_field(body, "override_reason");
			if (!reason || !*reason)
				return ERR(422, "not_staged",
				           "pallets are not all staged or labor is not ready");
			if (r->role < SIM_ROLE_SUPERVISOR)
				return ERR(403, "forbidden",
				           "releasing an unstaged load needs a supervisor");
		}
		l->status = LS_RELEASED;
	} else if (strcmp(action, "assign") == 0) {
		const char *vs = str_field(body, "vehicle_id"), *ds = str_field(body, "driver_id");
		if (!vs || !ds)
			return ERR(400, "bad_body",
			           "vehicle_id and driver_id are required strings");
		long vi = sim_parse_id(w, WB_ENT_VEHICLE, vs),
		     di = sim_parse_id(w, WB_ENT_DRIVER, ds);
		if (vi < 0 || di < 0)
			return ERR(422, "unknown_reference", "no such vehicle or driver");
		if (l->status > LS_RELEASED)
			return ERR(422, "not_assignable", "the load has already left");
		const struct sim_vehicle *v = SIM_ROW(w, VEHICLE, sim_vehicle, (size_t)vi);
		const struct sim_driver *d = SIM_ROW(w, DRIVER, sim_driver, (size_t)di);
		if (v->kind == VK_TRAILER)
			return ERR(422, "not_powered",
			           "a trailer cannot be assigned as the vehicle");
		if (v->hold || v->status == VS_IN_SHOP || v->status == VS_OUT_OF_SERVICE)
			return ERR(422, "vehicle_not_ready",
			           "the vehicle is on hold or out of service");
		if (v->status != VS_AVAILABLE && v->load != (int32_t)li)
			return ERR(422, "vehicle_busy", "the vehicle is assigned to another load");
		if (d->vehicle >= 0 && d->vehicle != l->vehicle)
			return ERR(422, "driver_busy", "the driver is assigned to another vehicle");
		sim_load_assign(w, li, (int32_t)vi, (int32_t)di);
		return 200;
	} else {
		return ERR(404, "not_found", "no such action on a load");
	}
	(void)sim_touch(w, WB_ENT_LOAD, li);
	return 200;
}

static int vehicle_action(struct sim_req *r, size_t vi, const char *action, json_t *body,
                          json_t **out)
{
	struct sim_world *w = &r->srv->w;
	struct sim_vehicle *v = SIM_ROW(w, VEHICLE, sim_vehicle, vi);
	const char *reason = str_field(body, "reason");
	if (strcmp(action, "hold") == 0) {
		if (v->hold)
			return ERR(422, "already_held", "the vehicle is already on hold");
		v->hold = 1;
		v->hold_reason = reason && strstr(reason, "fault") ? 1 : 0;
		v->hold_at = w->now;
	} else if (strcmp(action, "clear_hold") == 0) {
		if (!v->hold)
			return ERR(422, "not_held", "the vehicle is not on hold");
		json_t *ov = json_object_get(body, "override");
		if (ov && !json_is_boolean(ov))
			return ERR(400, "bad_body", "override must be a boolean");
		if (v->wo_open) {
			if (!json_is_true(ov))
				return ERR(422, "work_order_open",
				           "a work order is open; close it or override");
			if (r->role < SIM_ROLE_SUPERVISOR)
				return ERR(403, "forbidden",
				           "clearing a hold by override needs a supervisor");
			if (!reason || !*reason)
				return ERR(400, "bad_body", "an override needs a reason");
		}
		v->hold = 0;
	} else {
		return ERR(404, "not_found", "no such action on a vehicle");
	}
	(void)sim_touch(w, WB_ENT_VEHICLE, vi);
	return 200;
}

static int exception_action(struct sim_req *r, size_t xi, const char *action, json_t **out)
{
	struct sim_world *w = &r->srv->w;
	struct sim_exception *x = SIM_ROW(w, EXCEPTION, sim_exception, xi);
	int open =
	        x->status == ES_OPEN || x->status == ES_ACKNOWLEDGED || x->status == ES_ESCALATED;
	int to;
	if (strcmp(action, "acknowledge") == 0)
		to = ES_ACKNOWLEDGED;
	else if (strcmp(action, "approve") == 0)
		to = ES_APPROVED;
	else if (strcmp(action, "reject") == 0)
		to = ES_REJECTED;
	else if (strcmp(action, "escalate") == 0)
		to = ES_ESCALATED;
	else
		return ERR(404, "not_found", "no such action on an exception");
	if ((to == ES_APPROVED || to == ES_REJECTED) && x->required_role == SIM_ROLE_SUPERVISOR &&
	    r->role < SIM_ROLE_SUPERVISOR)
		return ERR(403, "forbidden", "this exception needs a supervisor's decision");
	if (!open || (to == ES_ACKNOWLEDGED && x->status != ES_OPEN) ||
	    (to == ES_ESCALATED && x->status == ES_ESCALATED)) {
		char msg[96];
		snprintf(msg, sizeof msg, "the exception is %s", sim_exc_status_names[x->status]);
		return ERR(422, "not_open", msg);
	}
	x->status = (uint8_t)to;
	x->owner = (uint8_t)(r->role + 1);
	if (to == ES_ESCALATED)
		x->required_role = SIM_ROLE_SUPERVISOR;
	if (to == ES_APPROVED || to == ES_REJECTED)
		x->resolved_at = w->now;
	(void)sim_touch(w, WB_ENT_EXCEPTION, xi);
	return 200;
}

static int invoice_action(struct sim_req *r, size_t ii, const char *action, json_t **out)
{
	struct sim_world *w = &r->srv->w;
	struct sim_invoice *inv = SIM_ROW(w, INVOICE, sim_invoice, ii);
	if (strcmp(action, "release") == 0) {
		if (inv->status != IS_DRAFT && inv->status != IS_HELD)
			return ERR(422, "not_releasable",
			           "only draft or held invoices are released");
		inv->status = IS_RELEASED;
		inv->issued_at = w->now;
	} else if (strcmp(action, "hold") == 0) {
		if (inv->status != IS_DRAFT && inv->status != IS_RELEASED)
			return ERR(422, "not_holdable", "only draft or released invoices are held");
		inv->status = IS_HELD;
	} else {
		return ERR(404, "not_found", "no such action on an invoice");
	}
	(void)sim_touch(w, WB_ENT_INVOICE, ii);
	return 200;
}

static int open_work_order(struct sim_req *r, json_t *body, json_t **out, long *created)
{
	struct sim_world *w = &r->srv->w;
	const char *vs = str_field(body, "vehicle_id"), *fs = str_field(body, "fault_id");
	const char *cat = str_field(body, "category");
	if (!vs)
		return ERR(400, "bad_body", "vehicle_id is required");
	int c = !cat                             ? WC_CORRECTIVE
	        : strcmp(cat, "preventive") == 0 ? WC_PREVENTIVE
	        : strcmp(cat, "corrective") == 0 ? WC_CORRECTIVE
	        : strcmp(cat, "inspection") == 0 ? WC_INSPECTION
	                                         : -1;
	if (c < 0)
		return ERR(400, "bad_body", "category is preventive, corrective or inspection");
	long vi = sim_parse_id(w, WB_ENT_VEHICLE, vs);
	long fi = fs ? sim_parse_id(w, WB_ENT_FAULT, fs) : -1;
	if (vi < 0 || (fs && fi < 0))
		return ERR(422, "unknown_reference", "no such vehicle or fault");
	if (fi >= 0 && SIM_ROW(w, FAULT, sim_fault, (size_t)fi)->vehicle != (uint32_t)vi)
		return ERR(422, "fault_mismatch", "the fault belongs to another vehicle");
	if (SIM_ROW(w, VEHICLE, sim_vehicle, (size_t)vi)->wo_open)
		return ERR(422, "work_order_open", "the vehicle already has an open work order");
	*created = sim_open_work_order(w, (uint32_t)vi, (int32_t)fi, c, WS_OPEN);
	if (*created < 0)
		return ERR(500, "internal", "out of memory");
	return 201;
}

/* Runs the action on the world; the caller holds the lock. */
static int act(struct sim_req *r, const char *path, json_t *body, json_t **out)
{
	struct sim_world *w = &r->srv->w;
	if (strcmp(path, "work_orders") == 0 && r->svc->id == SIM_TEL) {
		long created = -1;
		int st = open_work_order(r, body, out, &created);
		if (st == 201)
			*out = data_of(w, WB_ENT_WORK_ORDER, (size_t)created);
		return st;
	}
	char seg[32], id[48], action[32];
	if (sscanf(path, "%31[a-z_]/%47[A-Za-z0-9-]/%31[a-z_]", seg, id, action) != 3) {
		*out = sim_error("not_found", "no such action");
		return 404;
	}
	char check[160];
	snprintf(check, sizeof check, "%s/%s/%s", seg, id, action);
	int e = sim_entity_by_path(seg);
	if (strcmp(check, path) != 0 || e < 0 || w->t[e].svc != r->svc->id ||
	    (e != WB_ENT_LOAD && e != WB_ENT_VEHICLE && e != WB_ENT_EXCEPTION &&
	     e != WB_ENT_INVOICE))
		return ERR(404, "not_found", "no such action");
	long i = sim_parse_id(w, (enum wb_entity)e, id);
	if (i < 0)
		return ERR(404, "not_found", "no such record");
	int st = version_conflict(r, body, (enum wb_entity)e, (size_t)i, out);
	if (st)
		return st;
	switch (e) {
	case WB_ENT_LOAD: st = load_action(r, (size_t)i, action, body, out); break;
	case WB_ENT_VEHICLE: st = vehicle_action(r, (size_t)i, action, body, out); break;
	case WB_ENT_EXCEPTION: st = exception_action(r, (size_t)i, action, out); break;
	default: st = invoice_action(r, (size_t)i, action, out); break;
	}
	if (st == 200)
		*out = data_of(w, (enum wb_entity)e, (size_t)i);
	return st;
}

int sim_api_post(struct sim_req *r, const char *path, json_t **out, char **raw)
{
	struct sim_world *w = &r->srv->w;
	if (r->role == SIM_ROLE_VIEWER)
		return ERR(403, "forbidden", "the viewer role is read-only");
	const char *key = sim_req_value(r, MHD_HEADER_KIND, "Idempotency-Key");
	size_t kl = key ? strlen(key) : 0;
	if (!key || kl == 0 || kl > 200)
		return ERR(400, "idempotency_key_required",
		           "send an Idempotency-Key header (1 to 200 characters)");
	for (size_t k = 0; k < kl; k++)
		if ((unsigned char)key[k] < 0x21 || (unsigned char)key[k] > 0x7e)
			return ERR(400, "bad_idempotency_key",
			           "the Idempotency-Key must be printable ASCII");
	uint64_t h = sim_fnv1a(0, r->url, strlen(r->url));
	h = sim_fnv1a(h, r->body, r->body_len);
	h = sim_fnv1a(h, &r->role, sizeof r->role);

	json_error_t jerr;
	json_t *body = r->body_len ? json_loadb(r->body, r->body_len, 0, &jerr) : json_object();
	if (!json_is_object(body)) {
		json_decref(body);
		return ERR(400, "bad_body", "the body must be a JSON object");
	}
	/* one lock over look-up, action and store: a concurrent retry waits, then replays */
	pthread_mutex_lock(&w->mu);
	struct sim_idem *prev = idem_find(r->svc, key);
	if (prev) {
		int st;
		if (prev->req_hash == h) {
			*raw = strdup(prev->body);
			r->replayed = 1;
			st = *raw ? prev->status : 500;
		} else {
			st = ERR(422, "idempotency_key_reused",
			         "this Idempotency-Key was used for another request");
		}
		pthread_mutex_unlock(&w->mu);
		json_decref(body);
		return st;
	}
	int st = act(r, path, body, out);
	if (st != 404 && st != 400 && st < 500 && *out) {
		char *text = json_dumps(*out, JSON_COMPACT | JSON_REAL_PRECISION(12));
		if (text) {
			idem_store(r->svc, key, h, st, text);
			json_decref(*out);
			*out = NULL;
			*raw = text;
		}
		if (st < 300 && sim_fault_hit(r->svc, r->svc->f.write_timeout))
			r->close_after = 1;
	}
	pthread_mutex_unlock(&w->mu);
	json_decref(body);
	return st;
}
