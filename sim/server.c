/* waybill-sim's lifecycle: command-line options, tokens, the clock thread that
 * moves simulated time (and stops and starts services on request), the start-up
 * line on stdout, and an orderly shutdown on SIGTERM/SIGINT. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <time.h>

#include "dialect.h"
#include "server.h"

static const char usage[] =
        "usage: waybill-sim [options]\n"
        "  --seed N             world seed (default 1)\n"
        "  --vehicles N         fleet size (default 60)\n"
        "  --loads-per-day N    loads tendered a day (default 400)\n"
        "  --depots N           depots (default 1)\n"
        "  --speed X            simulated seconds per wall second (default 1)\n"
        "  --port P             ERP on P, TMS on P+1, telematics on P+2; 0 = free ports (default)\n"
        "  --bind ADDR          listen address (default 127.0.0.1)\n"
        "  --fault SVC:k=v,...  inject faults (see docs/api.md); repeatable\n"
        "  --scenario NAME      play sim/scenarios/NAME.scn on top of the world\n"
        "  --scenario-dir DIR   where scenario files live\n"
        "  --no-ai              switch the AI exception service off\n"
        "  --ai-wrong-rate R    share of deliberately wrong AI flags (default 0.1)\n"
        "  --retain N           changes a tombstone is kept for (default 1000000)\n"
        "  --start now|EPOCH    simulated time at start (default 2025-03-07T10:00:00Z)\n"
        "  --dialect NAME       the telematics service speaks waybill (default), samsara,\n"
        "                       geotab or traccar (docs/connectors.md)\n";

static int num_arg(const char *name, const char *v, double lo, double hi, double *out, char *err,
                   size_t errn)
{
	char *end = NULL;
	errno = 0;
	double x = v ? strtod(v, &end) : 0;
	if (!v || !*v || *end || errno || !(x >= lo && x <= hi)) {
		snprintf(err, errn, "%s needs a number from %g to %g", name, lo, hi);
		return -1;
	}
	*out = x;
	return 0;
}

static const char *find_scenario_dir(void)
{
	static const char *const dirs[] = {"sim/scenarios", WAYBILL_DATADIR "/scenarios"};
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (access(dirs[i], R_OK) == 0)
			return dirs[i];
	return "sim/scenarios";
}

int sim_server_init(struct sim_server *s, int argc, char **argv, char *err, size_t errn)
{
	memset(s, 0, sizeof *s);
	struct sim_opts o = {.seed = 1,
	                     .vehicles = 60,
	                     .loads_per_day = 400,
	                     .depots = 1,
	                     .speed = 1,
	                     .ai_wrong_rate = 0.1,
	                     .retain_changes = 1000000};
	snprintf(s->bind, sizeof s->bind, "127.0.0.1");
	const char *faults[32];
	int nfaults = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		double x;
		int used = 1;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return 1;
		} else if (strcmp(a, "--no-ai") == 0) {
			o.no_ai = 1;
			used = 0;
		} else if (strcmp(a, "--seed") == 0) {
			if (num_arg(a, v, 0, 9007199254740991.0, &x, err, errn))
				return -1;
			o.seed = (uint64_t)x;
		} else if (strcmp(a, "--vehicles") == 0) {
			if (num_arg(a, v, 1, 100000, &x, err, errn))
				return -1;
			o.vehicles = (int)x;
		} else if (strcmp(a, "--loads-per-day") == 0) {
			if (num_arg(a, v, 1, 1000000, &x, err, errn))
				return -1;
			o.loads_per_day = (int)x;
		} else if (strcmp(a, "--depots") == 0) {
			if (num_arg(a, v, 1, 64, &x, err, errn))
				return -1;
			o.depots = (int)x;
		} else if (strcmp(a, "--speed") == 0) {
			if (num_arg(a, v, 0, 100000, &x, err, errn))
				return -1;
			o.speed = x;
		} else if (strcmp(a, "--port") == 0) {
			if (num_arg(a, v, 0, 65533, &x, err, errn))
				return -1;
			s->port = (uint16_t)x;
		} else if (strcmp(a, "--ai-wrong-rate") == 0) {
			if (num_arg(a, v, 0, 0.5, &x, err, errn))
				return -1;
			o.ai_wrong_rate = x;
		} else if (strcmp(a, "--start") == 0) {
			/* "now" (the wall clock, whole minutes) or UTC epoch seconds. */
			if (v && strcmp(v, "now") == 0) {
				o.start_time = (int64_t)time(NULL) / 60 * 60;
			} else {
				if (num_arg(a, v, 946684800, 4102444800.0, &x, err, errn))
					return -1;
				o.start_time = (int64_t)x;
			}
		} else if (strcmp(a, "--retain") == 0) {
			if (num_arg(a, v, 1, 1e12, &x, err, errn))
				return -1;
			o.retain_changes = (uint64_t)x;
		} else if (strcmp(a, "--bind") == 0 && v) {
			snprintf(s->bind, sizeof s->bind, "%s", v);
		} else if (strcmp(a, "--fault") == 0 && v && nfaults < 32) {
			faults[nfaults++] = v;
		} else if (strcmp(a, "--scenario") == 0 && v) {
			o.scenario = v;
		} else if (strcmp(a, "--dialect") == 0 && v) {
			o.dialect = sim_dialect_by_name(v);
			if (o.dialect < 0) {
				snprintf(err, errn,
				         "--dialect %.40s: expected waybill, samsara, geotab or "
				         "traccar",
				         v);
				return -1;
			}
		} else if (strcmp(a, "--scenario-dir") == 0 && v) {
			o.scenario_dir = v;
		} else {
			snprintf(err, errn, "unknown or incomplete option '%s' (see --help)", a);
			return -1;
		}
		i += used;
	}
	s->speed = o.speed;
	if (sim_world_init(&s->w, &o) != 0) {
		snprintf(err, errn, "out of memory building the world");
		return -1;
	}
	for (int i = 0; i < SIM_SVC__COUNT; i++)
		s->svc[i].frng = sim_hash64(o.seed * 1000003ULL + (uint64_t)i + 1);
	for (int i = 0; i < nfaults; i++)
		if (sim_fault_parse_arg(s, faults[i], err, errn) != 0)
			return -1;
	if (o.scenario &&
	    sim_scenario_load(&s->w, o.scenario_dir ? o.scenario_dir : find_scenario_dir(),
	                      o.scenario, err, errn) != 0)
		return -1;
	for (int i = 0; i < SIM_ROLE__COUNT; i++)
		snprintf(s->tokens[i], sizeof s->tokens[i], "wbs_%s_%016llx", sim_role_names[i],
		         (unsigned long long)sim_hash64(o.seed ^ (0xa5a5ULL << (i * 8))));
	return 0;
}

void sim_clock_sync(struct sim_server *s)
{
	s->wall0_ms = sim_wall_ms();
	s->sim0 = s->w.now;
}

static void *clock_main(void *arg)
{
	struct sim_server *s = arg;
	while (!s->quit) {
		struct timespec ts = {0, 20 * 1000000L};
		nanosleep(&ts, NULL);
		int want[SIM_SVC__COUNT];
		pthread_mutex_lock(&s->w.mu);
		int64_t target = s->sim0 + (int64_t)((double)(sim_wall_ms() - s->wall0_ms) *
		                                     s->speed / 1000.0);
		for (int k = 0; k < 50 && s->w.now + SIM_STEP_S <= target; k++)
			sim_step(&s->w);
		int64_t now_ms = sim_wall_ms();
		for (int i = 0; i < SIM_SVC__COUNT; i++) {
			want[i] = s->svc[i].want;
			if (!want[i] && s->svc[i].restart_at_ms &&
			    now_ms >= s->svc[i].restart_at_ms) {
				want[i] = 2;
				s->svc[i].restart_at_ms = 0;
			}
			s->svc[i].want = 0;
		}
		pthread_mutex_unlock(&s->w.mu);
		for (int i = 0; i < SIM_SVC__COUNT; i++) {
			if (want[i] == 1 && s->svc[i].d) {
				s->svc[i].closing = 1;
				pthread_cond_broadcast(&s->w.changed);
				sim_service_stop(s, i);
				s->svc[i].closing = 0;
			} else if (want[i] == 2 && !s->svc[i].d && sim_service_start(s, i) != 0) {
				fprintf(stderr, "waybill-sim: could not restart %s on port %u\n",
				        sim_service_names[i], (unsigned)s->svc[i].port);
			}
		}
	}
	return NULL;
}

static void print_start_line(struct sim_server *s)
{
	json_t *svcs = json_object(), *toks = json_object(), *counts = json_object();
	for (int i = 0; i < SIM_SVC__COUNT; i++) {
		char url[128];
		snprintf(url, sizeof url, strchr(s->bind, ':') ? "http://[%s]:%u" : "http://%s:%u",
		         s->bind, (unsigned)s->svc[i].port);
		json_object_set_new(svcs, sim_service_names[i],
		                    json_pack("{s:i,s:s}", "port", s->svc[i].port, "url", url));
	}
	for (int i = 0; i < SIM_ROLE__COUNT; i++)
		json_object_set_new(toks, sim_role_names[i], json_string(s->tokens[i]));
	for (int e = 0; e < WB_ENT__COUNT; e++)
		json_object_set_new(counts, s->w.t[e].path, json_integer((json_int_t)s->w.t[e].n));
	json_t *line = json_pack("{s:o,s:o,s:I,s:o,s:f,s:o,s:b,s:i,s:o}", "services", svcs,
	                         "tokens", toks, "seed", (json_int_t)s->w.o.seed, "sim_time",
	                         sim_time_json(s->w.now), "speed", s->speed, "scenario",
	                         s->w.o.scenario ? json_string(s->w.o.scenario) : json_null(), "ai",
	                         !s->w.o.no_ai, "pid", (int)getpid(), "counts", counts);
	/* The telematics service's dialect, and the user a dialect that signs in
	 * with a password accepts (the tokens above stay the bearer tokens). */
	char user[64], password[64];
	sim_dialect_credentials(s, user, sizeof user, password, sizeof password);
	json_object_set_new(line, "dialect",
	                    json_pack("{s:s,s:s,s:s,s:s}", "name",
	                              sim_dialect_names[s->w.o.dialect], "database", "depot",
	                              "user", user, "password", password));
	char *text = line ? json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
	json_decref(line);
	if (text) {
		printf("%s\n", text);
		free(text);
	}
	fflush(stdout);
}

int sim_server_run(struct sim_server *s)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	signal(SIGPIPE, SIG_IGN);
	/* every thread inherits the mask; only sigwait below sees the signals */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	if (sim_services_start(s) != 0) {
		fprintf(stderr,
		        "waybill-sim: cannot listen on %s (port %u): in use or not a local "
		        "address\n",
		        s->bind, (unsigned)s->port);
		sim_services_stop(s);
		return -1;
	}
	sim_clock_sync(s);
	if (pthread_create(&s->clock, NULL, clock_main, s) != 0) {
		sim_services_stop(s);
		return -1;
	}
	s->clock_started = 1;
	print_start_line(s);
	int sig = 0;
	while (sigwait(&set, &sig) != 0)
		;
	s->quit = 1;
	pthread_mutex_lock(&s->w.mu);
	s->w.stopping = 1;
	pthread_cond_broadcast(&s->w.changed);
	pthread_mutex_unlock(&s->w.mu);
	pthread_join(s->clock, NULL);
	s->clock_started = 0;
	sim_services_stop(s);
	return 0;
}

void sim_server_free(struct sim_server *s)
{
	for (int i = 0; i < SIM_SVC__COUNT; i++)
		sim_idem_free(&s->svc[i]);
	sim_world_free(&s->w);
}
