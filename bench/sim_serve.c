/* Benchmarks waybill-sim: records per second of paged JSON served over loopback
 * (target 20,000/s), start-up time of the default world (target under 1 s), and
 * peak RSS of the 10,000-vehicle, 200,000-load world. Prints each figure beside
 * its target as a ratio; never fails on time. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../sim/server.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct buf {
	char *p;
	size_t n;
};

static size_t sink(char *d, size_t s, size_t n, void *u)
{
	struct buf *b = u;
	char *np = realloc(b->p, b->n + s * n + 1);
	if (!np)
		return 0;
	b->p = np;
	memcpy(b->p + b->n, d, s * n);
	b->n += s * n;
	b->p[b->n] = '\0';
	return s * n;
}

int main(void)
{
	static struct sim_server s;
	char err[256];
	char *args[] = {"sim", "--port", "0", NULL};
	double t0 = now_s();
	if (sim_server_init(&s, 3, args, err, sizeof err) != 0) {
		fprintf(stderr, "init: %s\n", err);
		return 1;
	}
	double startup = now_s() - t0;
	if (sim_services_start(&s) != 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 1;
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Authorization: Bearer ");
	char auth[128];
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", s.tokens[SIM_ROLE_DISPATCHER]);
	curl_slist_free_all(h);
	h = curl_slist_append(NULL, auth);
	long records = 0;
	double t1 = now_s();
	while (now_s() - t1 < 2.0) {
		char cur[64] = "";
		for (;;) {
			char url[256];
			snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/stops?limit=500%s%s",
			         (unsigned)s.svc[SIM_TMS].port, cur[0] ? "&after=" : "", cur);
			struct buf b = {NULL, 0};
			curl_easy_setopt(c, CURLOPT_URL, url);
			curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
			curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
			curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
			if (curl_easy_perform(c) != CURLE_OK) {
				free(b.p);
				break;
			}
			json_t *j = json_loads(b.p ? b.p : "", 0, NULL);
			free(b.p);
			records += (long)json_array_size(json_object_get(j, "data"));
			int more = json_is_true(json_object_get(j, "has_more"));
			snprintf(cur, sizeof cur, "%s",
			         json_string_value(json_object_get(j, "next"))
			                 ? json_string_value(json_object_get(j, "next"))
			                 : "");
			json_decref(j);
			if (!more)
				break;
		}
	}
	double rps = records / (now_s() - t1);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	sim_services_stop(&s);
	sim_server_free(&s);

	double big_s = 0;
	long rss_kb = 0;
	pid_t pid = fork();
	if (pid == 0) {
		static struct sim_server b;
		char *bargs[] = {"sim", "--vehicles", "10000", "--loads-per-day", "200000", NULL};
		int rc = sim_server_init(&b, 5, bargs, err, sizeof err);
		sim_server_free(&b);
		_exit(rc == 0 ? 0 : 1);
	}
	double t2 = now_s();
	int st = 0;
	if (pid > 0 && waitpid(pid, &st, 0) == pid) {
		big_s = now_s() - t2;
		struct rusage ru;
		if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
			rss_kb = ru.ru_maxrss;
	}
	printf("%-44s %12s %12s %8s\n", "figure", "measured", "target", "ratio");
	printf("%-44s %12.0f %12.0f %7.2fx\n", "paged JSON records/s (stops, limit 500)", rps,
	       20000.0, rps / 20000.0);
	printf("%-44s %12.3f %12.3f %7.2fx\n", "default world start-up, s (lower is better)",
	       startup, 1.0, 1.0 / (startup > 0 ? startup : 1e-9));
	printf("%-44s %12.1f %12.1f %7.2fx\n", "10k vehicles/200k loads: build, s", big_s, 30.0,
	       30.0 / (big_s > 0 ? big_s : 1e-9));
	printf("%-44s %12.1f %12.1f %7.2fx\n", "10k vehicles/200k loads: peak RSS, MiB",
	       rss_kb / 1024.0, 1024.0, 1024.0 / (rss_kb > 0 ? rss_kb / 1024.0 : 1e-9));
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
