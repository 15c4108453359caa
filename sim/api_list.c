/* GET handlers: /v1/me, lists with incremental paging by cursor, one record by id.
 * A list answers {"data":[...],"next":CURSOR,"has_more":bool}: records whose last
 * change is after the cursor, in change order, deleted ones as tombstones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

json_t *sim_me(struct sim_req *r)
{
	static const char *const users[] = {"v.olsen", "m.okafor", "s.park", "admin"};
	const char *user = r->srv->me_user[0] ? r->srv->me_user : users[r->role];
	return json_pack("{s:s,s:s,s:o,s:s,s:s,s:f}", "user", user, "role", sim_role_names[r->role],
	                 "server_time", sim_time_json(r->srv->w.now), "service",
	                 sim_service_names[r->svc->id], "currency", "EUR", "speed", r->srv->speed);
}

/* Reads a query parameter as an integer in [lo,hi]; dflt when absent. -1 when bad. */
static int int_param(struct sim_req *r, const char *name, long lo, long hi, long dflt, long *v)
{
	const char *s = sim_req_value(r, MHD_GET_ARGUMENT_KIND, name);
	if (!s) {
		*v = dflt;
		return 0;
	}
	char *end = NULL;
	long x = strtol(s, &end, 10);
	if (!*s || !end || *end || x < lo || x > hi)
		return -1;
	*v = x;
	return 0;
}

static int list(struct sim_req *r, int e, json_t **out)
{
	struct sim_world *w = &r->srv->w;
	long limit;
	if (int_param(r, "limit", 1, 1000, 100, &limit) != 0) {
		*out = sim_error("bad_parameter", "limit must be an integer from 1 to 1000");
		return 400;
	}
	const char *after = sim_req_value(r, MHD_GET_ARGUMENT_KIND, "after");
	uint64_t seq = 0, issued = 0;
	const struct sim_table *t = &w->t[e];
	if (after && *after) {
		if (sim_cursor_parse(w, e, after, w->seq, &seq, &issued) != 0) {
			*out = sim_error("bad_cursor",
			                 "the cursor is malformed or not from this list");
			return 400;
		}
		if ((seq < t->horizon && issued < t->horizon) ||
		    sim_fault_hit(r->svc, r->svc->f.expire)) {
			*out = sim_error("cursor_expired",
			                 "the cursor is older than the retained change log; start "
			                 "a full pass without 'after'");
			return 410;
		}
	}
	json_t *data = json_array();
	size_t j = sim_log_find(t, seq);
	uint64_t last = seq;
	long count = 0;
	for (; j < t->nlog && count < limit; j++) {
		const struct sim_meta *m = sim_row(t, t->log[j].idx);
		if (m->seq != t->log[j].seq || m->purged)
			continue;
		json_array_append_new(data, sim_render(w, (enum wb_entity)e, t->log[j].idx));
		last = t->log[j].seq;
		count++;
	}
	while (j < t->nlog) {
		const struct sim_meta *m = sim_row(t, t->log[j].idx);
		if (m->seq == t->log[j].seq && !m->purged)
			break;
		j++;
	}
	int more = j < t->nlog;
	char cur[64];
	sim_cursor_format(w, e, more ? last : w->seq, after && *after ? issued : t->horizon, cur,
	                  sizeof cur);
	*out = json_pack("{s:o,s:s,s:b}", "data", data, "next", cur, "has_more", more);
	return 200;
}

int sim_api_get(struct sim_req *r, const char *path, json_t **out)
{
	struct sim_world *w = &r->srv->w;
	int status;
	char seg[64];
	const char *slash = strchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : strlen(path);
	if (n >= sizeof seg) {
		*out = sim_error("not_found", "no such path");
		return 404;
	}
	memcpy(seg, path, n);
	seg[n] = '\0';
	pthread_mutex_lock(&w->mu);
	if (strcmp(path, "me") == 0) {
		*out = sim_me(r);
		status = 200;
	} else if (strcmp(path, "positions") == 0 && r->svc->id == SIM_TEL) {
		status = sim_api_positions(r, out);
	} else {
		int e = sim_entity_by_path(seg);
		if (e < 0 || w->t[e].svc != r->svc->id) {
			*out = sim_error("not_found", "no such list on this service");
			status = 404;
		} else if (!slash || slash[1] == '\0') {
			status = list(r, e, out);
		} else {
			long i = strchr(slash + 1, '/')
			                 ? -1
			                 : sim_parse_id(w, (enum wb_entity)e, slash + 1);
			if (i < 0) {
				*out = sim_error("not_found", "no such record");
				status = 404;
			} else {
				*out = json_pack("{s:o}", "data",
				                 sim_render(w, (enum wb_entity)e, (size_t)i));
				status = 200;
			}
		}
	}
	pthread_mutex_unlock(&w->mu);
	return status;
}
