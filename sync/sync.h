/* The sync engine: keeps the cache in step with each source, stream by stream,
 * by cursor. A page and its cursor are written in one transaction, so a crash
 * at any instant neither skips nor repeats a record. */
#ifndef WAYBILL_SYNC_H
#define WAYBILL_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache/cache.h"
#include "connectors/connector.h"
#include "base/err.h"

/* What one page said about the stream. */
struct sync_page_result {
	size_t records;   /* records in the page (tombstones included) */
	size_t written;   /* rows that changed the cache */
	bool has_more;    /* the source has more after this page */
	char next[512];   /* the cursor stored with the page */
	int64_t last_seq; /* positions: the highest "seq" in the page, 0 if none */
};

/* Parses a page body ({"data":[...],"next":"…","has_more":bool}), maps every
 * record with the stream's connector and writes them together with the new
 * cursor in one transaction. A page that does not parse, or any record that
 * does not map, is rejected whole: nothing is written and err says where it
 * broke (line and column, or the record). While the stream resyncs (see
 * cache_resync_begin) the page's ids are remembered in the same transaction. */
int sync_apply_page(struct cache *c, const struct connector_ops *k,
                    const struct connector_stream *s, const char *source, const char *body,
                    size_t len, struct sync_page_result *r, struct wb_err *err);

/* The two halves of sync_apply_page, so the engine can ask for the next page
 * while it writes this one: parse (checks the envelope, fills r's cursor,
 * has_more and records; *page is the caller's to json_decref), then write
 * (maps every record and writes them with r->next in one transaction). */
int sync_page_parse(const struct connector_stream *s, const char *source, const char *body,
                    size_t len, json_t **page, struct sync_page_result *r, struct wb_err *err);
/* The envelope checks of sync_page_parse on a page already parsed (fills r). */
int sync_page_check(json_t *page, struct sync_page_result *r, struct wb_err *err);
/* For a kind with its own protocol: its page_read turns the answer to the
 * page after cursor into the canonical page (within the parse's memory cap,
 * sync/json_cap.h), then the envelope is checked as sync_page_parse does. */
int sync_page_read(const struct connector_ops *k, const struct connector_stream *s,
                   const char *cursor, const struct connector_answer *a, json_t **page,
                   struct sync_page_result *r, struct wb_err *err);
int sync_page_write(struct cache *c, const struct connector_ops *k,
                    const struct connector_stream *s, const char *source, json_t *page,
                    struct sync_page_result *r, struct wb_err *err);

/* What a batch of live events came to. */
struct sync_events_result {
	size_t added;           /* positions new to the cache */
	size_t rejected;        /* events the connector refused, left out */
	char first_reject[300]; /* why the first was refused; "" when none was */
};

/* Writes a batch of live position events (each a JSON object; anything else,
 * e.g. a JSON null standing for an event that was not JSON, is refused) and the
 * stream's last event id in one transaction. Unlike a page, a batch is not all
 * or nothing: an event the connector refuses is left out and counted (in r and
 * in the stream's health, cache_health_rejected), the others are written, and
 * the last id moves past it. Fails only when the cache does. */
int sync_apply_positions(struct cache *c, const struct connector_ops *k, const char *source,
                         const char *stream, json_t *const *events, size_t n, const char *last_id,
                         struct sync_events_result *r, struct wb_err *err);

/* --- what a source said (sync/source_text.c) ------------------------------- */

/* Room for the source's own text in a line (bytes, with the NUL). */
#define SYNC_SOURCE_TEXT_MAX 160

/* The message in an error body a source sent: {"error":{"message":..}} (or
 * "error", "message", "detail", "title", "errors[0]"), an HTML page's <title>,
 * or a text/plain body; "" when it has none. Written to out as one line that
 * is safe on a terminal (see sync_text_one_line). Returns its length. */
size_t sync_source_text(const char *body, size_t len, const char *content_type, char *out,
                        size_t outlen);
/* Copies n bytes of untrusted text into out as one line: controls, bidi
 * overrides and line breaks become a space, runs of spaces one, bytes that are
 * not UTF-8 U+FFFD; cut on a character boundary with "…" to fit outlen. */
size_t sync_text_one_line(const char *in, size_t n, char *out, size_t outlen);

/* --- the engine (sync/sync.c, stream_fail.c, live.c, sender.c) --------------- */

struct settings;
struct net;
struct sync;
typedef struct uv_loop_s uv_loop_t;

enum sync_event_kind {
	SYNC_EV_PAGE,        /* a page of a stream was written */
	SYNC_EV_BATCH,       /* a batch of live events was written */
	SYNC_EV_STREAM_DONE, /* --once: a stream reached its end */
	SYNC_EV_ERROR,       /* an attempt failed; it will be retried (text says when) */
	SYNC_EV_NOTICE,      /* worth a line of its own: a resync began or ended */
	SYNC_EV_GAVE_UP,     /* --once: a stream or the outbox of a source gave up */
	SYNC_EV_DELIVERED,   /* an outbox action was accepted by its source */
	SYNC_EV_REJECTED,    /* an outbox action was refused for good (text: the source's reason) */
	SYNC_EV_FINISHED,    /* --once: every stream and every outbox is done */
};

/* What the engine tells its user (the `sync` command, the console's status line). */
struct sync_event {
	enum sync_event_kind kind;
	const char *source; /* "tms" */
	const char *stream; /* "loads", or "outbox" */
	const char *text;   /* one line, never a token */
	size_t records;     /* PAGE/BATCH: records received */
	size_t written;     /* PAGE/BATCH: rows that changed the cache */
};
typedef void (*sync_event_fn)(void *arg, const struct sync_event *ev);

struct sync_opts {
	bool once;      /* read every stream to its end, deliver the outbox, then finish */
	int page_limit; /* records per page asked for; 0: 1000 */
	int batch_ms;   /* live events are written at most this often; 0: 1000 */
	sync_event_fn on_event;
	void *arg;
};

/* An engine over one loop, transport, cache and config (all outlive it). */
struct sync *sync_new(uv_loop_t *loop, struct net *net, struct cache *c, const struct settings *cfg,
                      const struct sync_opts *o, struct wb_err *err);
void sync_start(struct sync *s);
/* Cancels transfers and timers; their handles close as the loop runs on. Then
 * sync_free (after the loop has run) releases the memory. */
void sync_stop(struct sync *s);
void sync_free(struct sync *s);
/* --once: every stream and outbox finished (done or given up). */
bool sync_finished(const struct sync *s);
/* --once: streams and outboxes that gave up, and local passes that failed. */
int sync_failures(const struct sync *s);
/* For a progress bar: streams done of all, and records received so far. */
void sync_progress(const struct sync *s, size_t *done, size_t *total, int64_t *records);

/* --- who am I (sync/whoami.c) ------------------------------------------------ */

struct config_source;

enum sync_whoami_state {
	SYNC_WHOAMI_OK,   /* the source said who the token belongs to */
	SYNC_WHOAMI_DOWN, /* no answer (why: the transport's reason) */
	SYNC_WHOAMI_AUTH, /* the token was refused (HTTP 401/403) */
	SYNC_WHOAMI_BAD,  /* an answer without a user and a known role */
};

struct sync_whoami {
	enum sync_whoami_state state;
	struct connector_whoami me; /* SYNC_WHOAMI_OK (and BAD, as far as it parsed) */
	int role;                   /* enum core_role; -1 unless OK */
	long http_status;
	char why[520]; /* one line when not OK; never a token */
};
typedef void (*sync_whoami_fn)(void *arg, const struct sync_whoami *w);

/* Asks src who its token belongs to, through the connector's who-am-I
 * operation over n; done runs once, on n's loop. */
int sync_whoami_start(struct net *n, const struct config_source *src, long timeout_ms,
                      sync_whoami_fn done, void *arg, struct wb_err *err);
/* The same on a loop of its own, waiting for the answer (the CLI). */
void sync_whoami(const struct config_source *src, long timeout_ms, struct sync_whoami *out);

/* --- doctor for a source that signs in (sync/doctor.c) ---------------------- */

#define SYNC_DOCTOR_CHECKS 8
#define SYNC_DOCTOR_LINE 300

/* What `waybill doctor` says of a source whose kind signs in. */
struct sync_doctor {
	struct sync_whoami who; /* DOWN: not reachable; AUTH: the sign-in was refused */
	bool signed_in;
	size_t nchecks; /* the kind's own checks, one line each */
	char checks[SYNC_DOCTOR_CHECKS][SYNC_DOCTOR_LINE];
	int failed_checks;   /* lines that name a problem */
	int64_t server_date; /* the last answer's HTTP Date (epoch s), 0 none */
	bool skew_known;
	bool skew_from_date; /* from the Date header, else the time in who-am-I's answer */
	int64_t skew_s;      /* the source's clock minus ours */
};
typedef void (*sync_doctor_fn)(void *arg, const struct sync_doctor *d);

/* Signs in to src on a session of its own, asks who am I, then runs the
 * kind's checks; done runs once, on n's loop (not when n is freed first).
 * WB_EINVALID for a source whose kind does not sign in. */
int sync_doctor_start(struct net *n, const struct config_source *src, long timeout_ms,
                      sync_doctor_fn done, void *arg, struct wb_err *err);

#endif
