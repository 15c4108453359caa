/* Fault injection settings per service: parsed from --fault SERVICE:key=value,...
 * and from the admin endpoint. Draws come from the service's own rng, seeded from
 * the world seed, so a given request order meets the same faults every run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

int sim_fault_hit(struct sim_svc *sv, double rate)
{
	if (rate <= 0)
		return 0;
	return sim_rng_unit(&sv->frng) < rate;
}

/* 0 ok, -1 unknown key, -2 value out of range. */
int sim_fault_set(struct sim_fault_cfg *f, const char *key, double v)
{
	struct {
		const char *k;
		double *p;
	} rates[] = {{"rate5xx", &f->rate5xx},     {"rate429", &f->rate429},
	             {"drop", &f->drop},           {"truncate", &f->truncate},
	             {"malformed", &f->malformed}, {"dup", &f->dup},
	             {"reorder", &f->reorder},     {"expire", &f->expire},
	             {"close", &f->close},         {"write_timeout", &f->write_timeout},
	             {"badevent", &f->badevent},   {"html200", &f->html200},
	             {"error200", &f->error200},   {"stall", &f->stall},
	             {"repeat", &f->repeat},       {"refuse", &f->refuse},
	             {"rewind", &f->rewind},       {"rate408", &f->rate408},
	             {"relogin", &f->relogin}};
	for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
		if (strcmp(key, rates[i].k) == 0) {
			if (!(v >= 0 && v <= 1))
				return -2;
			*rates[i].p = v;
			return 0;
		}
	}
	if (strcmp(key, "latency") == 0) {
		if (!(v >= 0 && v <= 60000))
			return -2;
		f->latency_ms = (int)v;
		return 0;
	}
	if (strcmp(key, "retry_after") == 0) {
		if (!(v >= 0 && v <= 3600))
			return -2;
		f->retry_after_s = (int)v;
		return 0;
	}
	return -1;
}

json_t *sim_fault_json(const struct sim_fault_cfg *f)
{
	return json_pack("{s:i,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:i,s:f,s:f,s:f,s:f,s:f,"
	                 "s:f,s:f,s:f}",
	                 "latency", f->latency_ms, "rate5xx", f->rate5xx, "rate429", f->rate429,
	                 "drop", f->drop, "truncate", f->truncate, "malformed", f->malformed, "dup",
	                 f->dup, "reorder", f->reorder, "expire", f->expire, "close", f->close,
	                 "write_timeout", f->write_timeout, "badevent", f->badevent, "retry_after",
	                 f->retry_after_s, "html200", f->html200, "error200", f->error200, "stall",
	                 f->stall, "repeat", f->repeat, "refuse", f->refuse, "rewind", f->rewind,
	                 "rate408", f->rate408, "relogin", f->relogin);
}

static int svc_index(const char *name, size_t n)
{
	for (int i = 0; i < SIM_SVC__COUNT; i++)
		if (strlen(sim_service_names[i]) == n &&
		    strncmp(sim_service_names[i], name, n) == 0)
			return i;
	if (n == 3 && strncmp(name, "tel", 3) == 0)
		return SIM_TEL;
	if (n == 3 && strncmp(name, "all", 3) == 0)
		return SIM_SVC__COUNT;
	return -1;
}

/* "tms:latency=200,rate5xx=0.1" (service erp, tms, telematics or all). */
int sim_fault_parse_arg(struct sim_server *s, const char *arg, char *err, size_t errn)
{
	const char *colon = strchr(arg, ':');
	int si = colon ? svc_index(arg, (size_t)(colon - arg)) : -1;
	if (si < 0) {
		snprintf(err, errn,
		         "--fault %s: expected SERVICE:key=value,... (erp, tms, telematics, all)",
		         arg);
		return -1;
	}
	char buf[512];
	snprintf(buf, sizeof buf, "%s", colon + 1);
	char *save = NULL;
	for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		char *end = NULL;
		if (!eq) {
			snprintf(err, errn, "--fault: '%s' is not key=value", kv);
			return -1;
		}
		*eq = '\0';
		double v = strtod(eq + 1, &end);
		if (!end || *end || end == eq + 1) {
			snprintf(err, errn, "--fault: %s needs a number", kv);
			return -1;
		}
		for (int i = 0; i < SIM_SVC__COUNT; i++) {
			if (si != SIM_SVC__COUNT && si != i)
				continue;
			int rc = sim_fault_set(&s->svc[i].f, kv, v);
			if (rc != 0) {
				snprintf(err, errn, "--fault: %s %s", kv,
				         rc == -1 ? "is not a fault" : "is out of range");
				return -1;
			}
		}
	}
	return 0;
}
