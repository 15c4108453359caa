/* waybill-sim's request handling below libmicrohttpd (sim_route: the API lists,
 * records, actions with idempotency, positions and the admin endpoints) over a
 * small world. Building one simulates 14 hours (tens of ms under ASan), so the
 * world is kept while requests leave it as built: GETs (read-only with no
 * faults set) and refused writes (their stored idempotent answers are dropped);
 * after a write that was accepted the next input gets a new one. So every input
 * meets the same world. A clock advance is kept to an hour, so one input stays
 * within milliseconds rather than simulating a week. The first byte picks the caller's role (low
 * two bits) and the service (the next bits); the rest is a request as text:
 *
 *   METHOD /v1/path?query=args
 *   Header-Name: value
 *
 *   body
 *
 * Query arguments are taken as written (no %-decoding); the transport's own
 * checks (a body with a NUL, over 256 KiB) are applied first, as handler does. */
#include <ctype.h>
#include <strings.h>

#include "sim/server.h"
#include "fuzz.h"

#define MAX_PAIRS 16

struct pair {
	char *name, *value;
};

struct parsed {
	struct pair hdr[MAX_PAIRS], arg[MAX_PAIRS];
	int nhdr, narg;
};

static const char *lookup(void *arg, enum MHD_ValueKind kind, const char *name)
{
	struct parsed *p = arg;
	if (kind == MHD_HEADER_KIND) {
		for (int i = 0; i < p->nhdr; i++)
			if (strcasecmp(p->hdr[i].name, name) == 0)
				return p->hdr[i].value;
	} else if (kind == MHD_GET_ARGUMENT_KIND) {
		for (int i = 0; i < p->narg; i++)
			if (strcmp(p->arg[i].name, name) == 0)
				return p->arg[i].value;
	}
	return NULL;
}

/* Cuts the next line (ending in "\n" or "\r\n") off *s; NULL at the end. */
static char *next_line(char **s)
{
	if (!*s)
		return NULL;
	char *line = *s, *nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*s = nl + 1;
	} else {
		*s = NULL;
	}
	size_t n = strlen(line);
	if (n && line[n - 1] == '\r')
		line[n - 1] = '\0';
	return line;
}

static void parse_query(struct parsed *p, char *q)
{
	for (char *tok = strtok(q, "&"); tok && p->narg < MAX_PAIRS; tok = strtok(NULL, "&")) {
		char *eq = strchr(tok, '=');
		if (eq)
			*eq++ = '\0';
		p->arg[p->narg++] = (struct pair){tok, eq ? eq : ""};
	}
}

static struct sim_server *new_server(void)
{
	static char *argv[] = {"fuzz_sim", "--seed",          "7",  "--vehicles", "6",   "--depots",
	                       "2",        "--loads-per-day", "40", "--retain",   "200", NULL};
	struct sim_server *s = malloc(sizeof(*s));
	char err[200];
	if (!s || sim_server_init(s, 11, argv, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_sim: %s\n", err);
		abort();
	}
	for (int i = 0; i < SIM_SVC__COUNT; i++) {
		s->svc[i].id = (enum sim_service)i;
		s->svc[i].srv = s;
	}
	sim_clock_sync(s);
	return s;
}

static struct sim_server *srv;

static void drop_server(void)
{
	if (srv) {
		sim_server_free(srv);
		free(srv);
		srv = NULL;
	}
}

/* A clock advance over an hour (or one that does not parse as a number). */
static int long_advance(const char *url, const char *body, size_t len)
{
	if (!strstr(url, "clock"))
		return 0;
	json_error_t je;
	json_t *b = json_loadb(body, len, 0, &je);
	json_t *adv = json_object_get(b, "advance_s");
	int longer = adv && json_is_integer(adv) && json_integer_value(adv) > 3600;
	json_decref(b);
	return longer;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > 256 * 1024)
		return 0;
	int role = data[0] & 3, svc = (data[0] >> 2) % SIM_SVC__COUNT;
	char *text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	size_t tlen = size - 1;

	/* request line, headers, body (the body may not hold a NUL, as in handler) */
	struct parsed p = {0};
	char *rest = text;
	char *line = next_line(&rest);
	char *sp = strchr(line, ' ');
	if (!sp) {
		free(text);
		return 0;
	}
	*sp = '\0';
	const char *method = line;
	char *url = sp + 1, *q = strchr(url, '?');
	if (q) {
		*q = '\0';
		parse_query(&p, q + 1);
	}
	char *h;
	while ((h = next_line(&rest)) && *h && p.nhdr < MAX_PAIRS) {
		char *colon = strchr(h, ':');
		if (!colon)
			continue;
		*colon = '\0';
		char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		p.hdr[p.nhdr++] = (struct pair){h, v};
	}
	const char *body = rest ? rest : "";
	size_t body_len = rest ? tlen - (size_t)(rest - text) : 0;
	if (strlen(body) != body_len || long_advance(url, body, body_len)) {
		free(text);
		return 0;
	}

	if (!srv) {
		srv = new_server();
		atexit(drop_server);
	}
	struct sim_server *s = srv;
	struct sim_req r = {.srv = s,
	                    .svc = &s->svc[svc],
	                    .lookup = lookup,
	                    .lookup_arg = &p,
	                    .method = method,
	                    .url = url,
	                    .body = body,
	                    .body_len = body_len,
	                    .role = role};
	json_t *out = NULL;
	char *raw = NULL;
	int status = sim_route(&r, &out, &raw);
	if (status < 200 || status > 599 || (!out && !raw))
		abort(); /* every request gets a status and a body */
	char *txt = raw ? NULL : json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(12));
	free(txt);
	json_decref(out);
	free(raw);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		if (status >= 200 && status < 300)
			drop_server(); /* the world changed: the next input gets a new one */
		else
			for (int i = 0; i < SIM_SVC__COUNT; i++)
				sim_idem_free(&s->svc[i]);
	}
	free(text);
	return 0;
}
