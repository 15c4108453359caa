/* The admin endpoints, served by every service to the admin token and exempt from
 * injected faults: fault settings at run time, stopping and starting a service,
 * moving the simulated clock, and the ground truth a test compares with. */
#include <stdio.h>
#include <string.h>

#include "server.h"

json_t *sim_truth(struct sim_server *s)
{
	struct sim_world *w = &s->w;
	json_t *counts = json_object();
	for (int e = 0; e < WB_ENT__COUNT; e++)
		json_object_set_new(counts, w->t[e].path,
		                    json_integer((json_int_t)sim_live_count(w, (enum wb_entity)e)));
	char sum[24];
	snprintf(sum, sizeof sum, "%016llx", (unsigned long long)sim_checksum(w));
	return json_pack("{s:I,s:o,s:I,s:o,s:o,s:s,s:o,s:I}", "seed", (json_int_t)w->o.seed,
	                 "sim_time", sim_time_json(w->now), "sequence", (json_int_t)w->seq,
	                 "counts", counts, "ai", sim_ai_truth(w), "checksum", sum, "scenario",
	                 sim_scenario_truth(w), "positions", (json_int_t)w->pos_seq);
}

/* Every live record as [id, version], per list: what a client's cache must hold
 * after a complete sync, for tests to diff against (positions excluded). */
static json_t *export_live(struct sim_server *s)
{
	struct sim_world *w = &s->w;
	json_t *o = json_object();
	for (int e = 0; e < WB_ENT__COUNT; e++) {
		const struct sim_table *t = &w->t[e];
		json_t *a = json_array();
		for (size_t i = 0; i < t->n; i++) {
			const struct sim_meta *m = sim_row(t, i);
			if (m->deleted)
				continue;
			char id[48];
			sim_format_id(w, (enum wb_entity)e, i, id, sizeof id);
			json_array_append_new(a, json_pack("[s,I]", id, (json_int_t)m->version));
		}
		json_object_set_new(o, t->path, a);
	}
	return o;
}

static json_t *faults_all(struct sim_server *s)
{
	json_t *o = json_object();
	for (int i = 0; i < SIM_SVC__COUNT; i++) {
		json_t *f = sim_fault_json(&s->svc[i].f);
		json_object_set_new(f, "running",
		                    json_boolean(s->svc[i].d != NULL && s->svc[i].want != 1));
		json_object_set_new(o, sim_service_names[i], f);
	}
	return o;
}

static int svc_by_name(const char *n, size_t len)
{
	for (int i = 0; i < SIM_SVC__COUNT; i++)
		if (strlen(sim_service_names[i]) == len &&
		    strncmp(n, sim_service_names[i], len) == 0)
			return i;
	return -1;
}

static int set_faults(struct sim_server *s, json_t *body, json_t **out)
{
	const char *name = json_string_value(json_object_get(body, "service"));
	int si = !name                      ? -1
	         : strcmp(name, "all") == 0 ? SIM_SVC__COUNT
	                                    : svc_by_name(name, strlen(name));
	if (si < 0) {
		*out = sim_error("bad_body", "service must be erp, tms, telematics or all");
		return 400;
	}
	struct sim_fault_cfg f[SIM_SVC__COUNT];
	for (int i = 0; i < SIM_SVC__COUNT; i++) {
		f[i] = s->svc[i].f;
		if ((si == i || si == SIM_SVC__COUNT) &&
		    json_is_true(json_object_get(body, "clear")))
			memset(&f[i], 0, sizeof f[i]);
	}
	const char *k;
	json_t *v;
	json_object_foreach(body, k, v)
	{
		if (strcmp(k, "service") == 0 || strcmp(k, "clear") == 0)
			continue;
		if (!json_is_number(v)) {
			*out = sim_error("bad_body", "fault values are numbers");
			return 400;
		}
		for (int i = 0; i < SIM_SVC__COUNT; i++) {
			if (si != i && si != SIM_SVC__COUNT)
				continue;
			int rc = sim_fault_set(&f[i], k, json_number_value(v));
			if (rc) {
				char msg[128];
				snprintf(msg, sizeof msg, "%s %s", k,
				         rc == -1 ? "is not a fault" : "is out of range");
				*out = sim_error("bad_body", msg);
				return 400;
			}
		}
	}
	for (int i = 0; i < SIM_SVC__COUNT; i++)
		s->svc[i].f = f[i];
	*out = faults_all(s);
	return 200;
}

int sim_api_admin(struct sim_req *r, const char *path, json_t **out)
{
	struct sim_server *s = r->srv;
	if (r->role != SIM_ROLE_ADMIN) {
		*out = sim_error("forbidden", "admin endpoints need the admin token");
		return 403;
	}
	int get = strcmp(r->method, "GET") == 0, post = strcmp(r->method, "POST") == 0;
	json_t *body = NULL;
	if (post) {
		json_error_t jerr;
		body = r->body_len ? json_loadb(r->body, r->body_len, 0, &jerr) : json_object();
		if (!json_is_object(body)) {
			json_decref(body);
			*out = sim_error("bad_body", "the body must be a JSON object");
			return 400;
		}
	}
	int st = 404;
	pthread_mutex_lock(&s->w.mu);
	if (get && strcmp(path, "admin/truth") == 0) {
		*out = sim_truth(s);
		st = 200;
	} else if (get && strcmp(path, "admin/export") == 0) {
		*out = export_live(s);
		st = 200;
	} else if (get && strcmp(path, "admin/faults") == 0) {
		*out = faults_all(s);
		st = 200;
	} else if (post && strcmp(path, "admin/faults") == 0) {
		st = set_faults(s, body, out);
	} else if (post && strcmp(path, "admin/clock") == 0) {
		json_t *adv = json_object_get(body, "advance_s"),
		       *sp = json_object_get(body, "speed");
		if ((adv && (!json_is_integer(adv) || json_integer_value(adv) < 0 ||
		             json_integer_value(adv) > 7 * 86400)) ||
		    (sp && (!json_is_number(sp) || json_number_value(sp) < 0 ||
		            json_number_value(sp) > 100000))) {
			*out = sim_error("bad_body",
			                 "advance_s is 0..604800 seconds, speed 0..100000");
			st = 400;
		} else {
			if (adv)
				sim_advance_to(&s->w, s->w.now + json_integer_value(adv));
			if (sp)
				s->speed = json_number_value(sp);
			sim_clock_sync(s);
			*out = json_pack("{s:o,s:f}", "sim_time", sim_time_json(s->w.now), "speed",
			                 s->speed);
			st = 200;
		}
	} else if (post && strcmp(path, "admin/me") == 0) {
		/* A source that names its users as it likes (tests of how their text
		 * reaches a terminal): any string; "" gives each role its own back. */
		json_t *u = json_object_get(body, "user");
		if (!json_is_string(u) || json_string_length(u) >= sizeof(s->me_user)) {
			*out = sim_error("bad_body", "user is a string of at most 255 bytes");
			st = 400;
		} else {
			snprintf(s->me_user, sizeof(s->me_user), "%s", json_string_value(u));
			*out = json_pack("{s:s}", "user", s->me_user);
			st = 200;
		}
	} else if (post && strncmp(path, "admin/services/", 15) == 0) {
		const char *n = path + 15, *sl = strchr(n, '/');
		int si = sl ? svc_by_name(n, (size_t)(sl - n)) : -1;
		json_t *fs = json_object_get(body, "for_s");
		if (si < 0 || (strcmp(sl, "/stop") != 0 && strcmp(sl, "/start") != 0)) {
			*out = sim_error(
			        "not_found",
			        "POST /v1/admin/services/{erp|tms|telematics}/{stop|start}");
		} else if (fs && (!json_is_integer(fs) || json_integer_value(fs) < 0 ||
		                  json_integer_value(fs) > 3600)) {
			*out = sim_error("bad_body", "for_s is 0..3600 seconds");
			st = 400;
		} else {
			int stop = strcmp(sl, "/stop") == 0;
			s->svc[si].want = stop ? 1 : 2;
			s->svc[si].restart_at_ms =
			        stop && fs ? sim_wall_ms() + json_integer_value(fs) * 1000 : 0;
			*out = json_pack("{s:s,s:s}", "service", sim_service_names[si], "state",
			                 stop ? "stopping" : "starting");
			st = 202;
		}
	} else {
		*out = sim_error("not_found", "no such admin endpoint");
	}
	pthread_mutex_unlock(&s->w.mu);
	json_decref(body);
	return st;
}
