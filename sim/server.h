/* waybill-sim's HTTP side: the three services (ERP, TMS, telematics), each an MHD
 * daemon with its own fault settings and idempotency store, the clock thread, and
 * the handlers. Everything mutable is guarded by the world's mutex. */
#ifndef SIM_SERVER_H
#define SIM_SERVER_H

#include <microhttpd.h>
#include <time.h>

#include "sim.h"

/* Faults one service injects; rates are probabilities per request. */
struct sim_fault_cfg {
	int latency_ms;
	double rate5xx, rate429, drop, truncate, malformed, dup, reorder, expire, close,
	        write_timeout, badevent,
	        html200,  /* writes answered 200 text/html (a login gateway), not performed */
	        rate408,  /* writes answered 408 Request Timeout, not performed */
	        error200, /* writes answered 200 {"error":...} (an ERP's business error) */
	        relogin;  /* a dialect that signs in drops the request's session: the
	                   * client must sign in again (sim/dialect.h) */
	double stall, repeat, refuse,
	        rewind; /* list pages whose cursor lies (http.c cursor_faults) */
	int retry_after_s;
};

struct sim_idem {
	char *key;
	uint64_t req_hash;
	int status;
	char *body;
	struct sim_idem *next;
};

struct sim_server;

struct sim_svc {
	enum sim_service id;
	struct sim_server *srv;
	struct MHD_Daemon *d;
	uint16_t port;
	struct sim_fault_cfg f;
	uint64_t frng; /* fault randomness, from the seed */
	struct sim_idem *idem[1024];
	int want;              /* 1 stop, 2 start: done by the clock thread */
	volatile int closing;  /* being stopped: streams end */
	int64_t restart_at_ms; /* wall ms for a timed outage; 0 none */
};

struct sim_server {
	struct sim_world w;
	struct sim_svc svc[SIM_SVC__COUNT];
	char tokens[SIM_ROLE__COUNT][48];
	char bind[64];
	uint16_t port; /* 0: free ports */
	double speed;
	char me_user[256];      /* POST /v1/admin/me: the user every token is ("" the role's own) */
	int64_t wall0_ms, sim0; /* the clock: sim = sim0 + (wall - wall0) * speed */
	pthread_t clock;
	int clock_started;
	volatile int quit;
};

/* A request as the handlers see it. */
struct sim_req {
	struct sim_server *srv;
	struct sim_svc *svc;
	struct MHD_Connection *conn;
	/* With conn NULL, headers and query arguments come from lookup instead: a
	 * request driven without a connection (tests/fuzz/fuzz_sim.c). */
	const char *(*lookup)(void *arg, enum MHD_ValueKind kind, const char *name);
	void *lookup_arg;
	const char *method, *url;
	const char *body;
	size_t body_len;
	int role; /* enum sim_role */
	/* out */
	int retry_after_s;
	int replayed;
	int close_after; /* write committed, then the connection drops */
};

/* http.c */
int sim_services_start(struct sim_server *s);
int sim_service_start(struct sim_server *s, int i);
void sim_service_stop(struct sim_server *s, int i);
void sim_services_stop(struct sim_server *s);
json_t *sim_error(const char *code, const char *message);
int64_t sim_wall_ms(void);
/* A request header (MHD_HEADER_KIND) or query argument (MHD_GET_ARGUMENT_KIND), or NULL. */
const char *sim_req_value(const struct sim_req *r, enum MHD_ValueKind kind, const char *name);
/* Routes one request below the transport (after auth and injected faults): returns
 * the HTTP status and fills *out, or *raw for a stored idempotent answer. */
int sim_route(struct sim_req *r, json_t **out, char **raw);

/* faults.c */
int sim_fault_parse_arg(struct sim_server *s, const char *arg, char *err, size_t errn);
int sim_fault_set(struct sim_fault_cfg *f, const char *key, double v);
json_t *sim_fault_json(const struct sim_fault_cfg *f);
int sim_fault_hit(struct sim_svc *sv, double rate); /* caller holds w.mu */

/* api_list.c: GET handlers; return an HTTP status and a body */
int sim_api_get(struct sim_req *r, const char *path, json_t **out);
json_t *sim_me(struct sim_req *r);

/* api_actions.c: POST handlers with idempotency */
int sim_api_post(struct sim_req *r, const char *path, json_t **out, char **raw);
void sim_idem_free(struct sim_svc *sv);

/* admin.c */
int sim_api_admin(struct sim_req *r, const char *path, json_t **out);
json_t *sim_truth(struct sim_server *s);

/* stream.c */
struct MHD_Response *sim_stream_response(struct sim_req *r, int *status, json_t **err);
int sim_api_positions(struct sim_req *r, json_t **out);

/* server.c: options, clock thread, lifecycle */
int sim_server_init(struct sim_server *s, int argc, char **argv, char *err, size_t errn);
int sim_server_run(struct sim_server *s);
void sim_server_free(struct sim_server *s);
void sim_clock_sync(struct sim_server *s); /* caller holds w.mu */

#endif
