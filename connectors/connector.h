/* Connectors: one file per source kind (connectors/), each mapping its
 * source's JSON records into canonical rows. Pure functions over jansson
 * values: no I/O, no transport, so a kind is unit-tested on captured JSON.
 * Adding a kind is one new file and one line in CONNECTOR_KINDS. */
#ifndef WAYBILL_CONNECTOR_H
#define WAYBILL_CONNECTOR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "model/model.h"

/* How often a stream is polled; the config's intervals override per stream. */
enum connector_cadence {
	CADENCE_LIVE, /* an event stream (SSE), reconnected when it drops */
	CADENCE_FAST, /* operational data: every few seconds */
	CADENCE_SLOW, /* master and billing data: every minute */
};

/* One stream of records a source offers. */
struct connector_stream {
	const char *name; /* "loads": the key in sync_state and config intervals */
	const char *path; /* "/v1/loads": pages, appended to the source's base URL */
	int entity;       /* enum wb_entity, or -1 for positions */
	enum connector_cadence cadence;
	const char *live_path; /* CADENCE_LIVE: the event stream ("/v1/positions/stream");
	                        * `path` pages the same records for a catch-up */
	int page_limit;        /* records to ask for a page; 0: the engine's default */
};

/* A request as the source wants it sent: an action from the outbox, and for
 * kinds with their own protocol (JSON-RPC) a page, a login or a read-back. */
struct connector_call {
	char method[8]; /* "POST" or "GET" */
	char path[256]; /* "/v1/loads/L-1042/release", URL-safe, appended to the source's
	                 * URL (the session's path instead when it has one); may carry
	                 * a query the kind has escaped */
	json_t *body;   /* owned by the caller after the call; NULL for a GET; never
	                 * NULL for an action */
};

/* Who a kind that signs in signs in as (from the config, settings/): what
 * login_request and the JSON-RPC kinds' requests need. SECRET: password is
 * never copied into a message, a log line or a call's path. */
struct connector_login {
	const char *database; /* Tryton's or Geotab's database; NULL when not configured */
	const char *user;     /* NULL when not configured */
	const char *password; /* SECRET; NULL when not configured */
	/* The user's context (connector_session.context: a JSON object as text),
	 * or NULL: filled by the engine from the session for each request, never
	 * from the config, so that every request builder below sends it. */
	const char *context;
	/* The session's credentials for kinds that carry them in each request's
	 * body (connector_session.credentials: Geotab's JSON-RPC "credentials"),
	 * or NULL: filled by the engine like context. SECRET: a builder puts it
	 * only into the call's body, never into its path or a message. */
	const char *credentials;
};

/* A signed-in session, made by login_read and held by the engine per source
 * until the source drops it. SECRET: header, credentials and path are never
 * shown. */
struct connector_session {
	char header[640];      /* sent with every request: "Authorization: Session ..."; "" none */
	char credentials[512]; /* for a kind that carries its session in each request's
	                        * body instead (Geotab: {"database", "userName",
	                        * "sessionId"} as compact JSON text), handed to every
	                        * request builder in connector_login.credentials; "" none.
	                        * A sign-in must fill header or credentials. */
	char path[256];        /* a server to send requests to instead of the configured
	                        * URL (Geotab moves a user to their server): a base URL,
	                        * "https://my3.geotab.com", that calls' paths are appended
	                        * to as to the configured one (sync/session.c); "" none */
	int64_t user_id;       /* the source's id of the signed-in user, 0 when not given */
	char context[2048];    /* the user's context as the source sent it (context_read):
	                        * a JSON object as compact text, "" none. Not secret. */
};

/* Who the source says the token belongs to. */
struct connector_whoami {
	char user[64];        /* a user name, never a token */
	char role[24];        /* "viewer", "dispatcher", "supervisor" */
	char server_time[40]; /* the source's clock as sent (RFC 3339), "" if not given */
};

/* What the answer to an action says (connector_ops.result). A delivery is
 * confirmed only by an answer the kind recognises as the action's result:
 * a login page or a gateway's "OK" in front of the source is not one. */
enum connector_verdict {
	CONNECTOR_CONFIRMED,    /* the result the source gives for the action, about the subject */
	CONNECTOR_REFUSED,      /* a business error: a 2xx carrying the source's "error" member */
	CONNECTOR_UNRECOGNISED, /* anything else: HTML, an empty body, another shape or record */
};

/* An HTTP answer as received. */
struct connector_answer {
	long status;
	const char *content_type; /* as sent, NULL when absent */
	const char *body;         /* NUL-terminated */
	size_t body_len;
};

struct connector_ops {
	const char *kind; /* "waybill" */
	/* The streams this kind offers for a source role ("erp", "tms",
	 * "telematics"); *n is 0 for a role it does not serve. */
	const struct connector_stream *(*streams)(const char *role, size_t *n);
	/* Maps one record into row (a struct wb_<entity>, cleared first). Text
	 * fields borrow from rec, which must outlive row. source names the
	 * configured source ("tms") for meta.source. */
	int (*map_record)(const struct connector_stream *s, const char *source, json_t *rec,
	                  void *row, struct wb_err *err);
	/* Maps one position (from a page or a live event). */
	int (*map_position)(json_t *rec, struct wb_position *p, struct wb_err *err);
	/* Turns an outbox action ("release_load") on a subject id with its
	 * payload into the request the source expects; WB_ENOTFOUND when this
	 * kind cannot perform the action. */
	int (*action)(const char *action, const char *subject_id, json_t *payload,
	              struct connector_call *call, struct wb_err *err);
	/* Reads the answer to an action sent for subject_id (as passed to
	 * action). Pure: no I/O. msg gets "" when CONFIRMED, the source's own
	 * message when REFUSED, and a one-line reason starting "answer not
	 * recognised: " when UNRECOGNISED. Only printable ASCII from the answer
	 * is copied into msg. */
	enum connector_verdict (*result)(const char *action, const char *subject_id,
	                                 const struct connector_answer *a, char *msg, size_t len);
	/* Who am I: the path to GET ("/v1/me"), and the parse of its answer
	 * (body of an HTTP 200) into user and role. WB_EINVALID naming what is
	 * missing when the answer does not say. */
	const char *whoami_path;
	int (*whoami)(const char *body, size_t len, struct connector_whoami *out,
	              struct wb_err *err);

	/* The members below are for kinds that do not speak the canonical
	 * protocol (docs/api.md). Each may be NULL: the engine then does what the
	 * canonical kind needs. None does I/O; the engine sends what they build,
	 * with the session's header, and hands them what came back. */

	/* Paging. page_request builds the request for stream s's page after
	 * cursor ("" for the start of a full pass) of at most limit records
	 * (NULL: GET path?after=CURSOR&limit=N). page_read turns the answer to it
	 * (an HTTP 200) into the canonical page, a new object in *page:
	 * {"data": [records for map_record], "next": "cursor", "has_more": bool}.
	 * A source's business error, or a shape the kind does not know, is
	 * WB_EINVALID with one line naming it; nothing of that answer is stored.
	 * A 200 saying the cursor asked from is no longer usable (Geotab's error
	 * for a feed version it cannot serve) is WB_ENOTFOUND: the engine reads
	 * the stream again from its start, as for HTTP 410.
	 * (NULL: the body is the canonical page.) */
	int (*page_request)(const struct connector_stream *s, const struct connector_login *who,
	                    const char *cursor, int limit, struct connector_call *call,
	                    struct wb_err *err);
	int (*page_read)(const struct connector_stream *s, const char *cursor,
	                 const struct connector_answer *a, json_t **page, struct wb_err *err);
	/* Full passes: a source that keeps no record of deletions is read from
	 * the start every sweep_s seconds (0: never on a schedule), and a record
	 * the pass does not see is gone (cache/resync.c). */
	int (*sweep_s)(const struct connector_stream *s);

	/* Signing in (NULL: the configured token is sent as a Bearer token). The
	 * engine signs in before the first request, and once more when an answer
	 * says the session is gone (session_lost; NULL: HTTP 401), then retries
	 * the request; a second refusal is the source's answer. */
	int (*login_request)(const struct connector_login *who, struct connector_call *call,
	                     struct wb_err *err);
	int (*login_read)(const struct connector_login *who, const struct connector_answer *a,
	                  struct connector_session *ses, struct wb_err *err);
	bool (*session_lost)(const struct connector_answer *a);
	/* The user's context (NULL: none). After a good sign-in the engine sends
	 * context_request with the new session's header, and the session is ready
	 * only when context_read has filled ses->context from its answer (an HTTP
	 * 200); a shape it does not know, or a context too big to keep, is
	 * WB_EINVALID with one line, and the sign-in has failed. The engine then
	 * hands the context to every request builder in connector_login.context. */
	int (*context_request)(const struct connector_login *who, struct connector_call *call,
	                       struct wb_err *err);
	int (*context_read)(const struct connector_answer *a, struct connector_session *ses,
	                    struct wb_err *err);

	/* Actions for kinds whose request needs the login (a JSON-RPC database
	 * path); NULL: action above. The same contract as action. */
	int (*action_call)(const char *action, const char *subject_id, json_t *payload,
	                   const struct connector_login *who, struct connector_call *call,
	                   struct wb_err *err);
	/* Read-back (NULL: a CONFIRMED result is the delivery). A source that
	 * answers an impossible move with success shows its effect only when
	 * asked: after a CONFIRMED result the engine sends verify_request, and
	 * the action is delivered only when verify_read says CONFIRMED (the
	 * record shows the effect); REFUSED when the record shows it was not
	 * taken (msg says what the record shows); UNRECOGNISED is retried. */
	int (*verify_request)(const char *action, const char *subject_id,
	                      const struct connector_login *who, struct connector_call *call,
	                      struct wb_err *err);
	enum connector_verdict (*verify_read)(const char *action, const char *subject_id,
	                                      const struct connector_answer *a, char *msg,
	                                      size_t len);
	/* Who am I for kinds that ask by a call (NULL: GET whoami_path); its
	 * answer goes to whoami above. */
	int (*whoami_request)(const struct connector_login *who, struct connector_call *call,
	                      struct wb_err *err);
	/* `waybill doctor`'s checks of the kind's own (NULL: none): step 0, 1,
	 * ... builds the request of each check until it returns WB_ENOTFOUND
	 * (no more); doctor_read turns its answer into one line for the user
	 * ("modules: sale, account_invoice, stock (none missing)") and returns 0
	 * when the check passed, non-zero when it names a problem. */
	int (*doctor_request)(int step, const struct connector_login *who,
	                      struct connector_call *call, struct wb_err *err);
	int (*doctor_read)(int step, const struct connector_answer *a, char *line, size_t len);
};

/* An answer that is one record (an action's result, who-am-I, an error) is
 * never bigger than this; a bigger one is not parsed, since jansson takes up to
 * 77 times a body's size as a tree (a page of `{}`s), and a source that lies
 * must not cost the process hundreds of MB. Pages have their own cap
 * (sync/json_cap.h). */
#define CONNECTOR_RECORD_JSON_MAX (256u << 10)

/* The table of kinds. */
#define CONNECTOR_KINDS(X) X(waybill) X(tryton) X(samsara) X(geotab) X(traccar)

#define CONNECTOR_DECLARE(k) extern const struct connector_ops connector_##k;
CONNECTOR_KINDS(CONNECTOR_DECLARE)
#undef CONNECTOR_DECLARE

/* The connector for a kind, or NULL when no such kind exists. */
const struct connector_ops *connector_find(const char *kind);
/* A stream of a kind's role by name, or NULL. */
const struct connector_stream *connector_stream(const struct connector_ops *k, const char *role,
                                                const char *name);

/* Helpers shared by connectors (connectors/common.c). */

/* Parses an RFC 3339 UTC or offset time ("2026-11-29T14:32:05Z",
 * "2026-11-29T15:32:05.250+01:00") into epoch milliseconds. */
int connector_parse_time_ms(const char *s, int64_t *ms);
/* Fills an entity row from a record whose keys are the canonical field names:
 * strings to TEXT, integers, booleans or RFC 3339 times to INT (seconds, or ms
 * for fields ending in _ms), numbers to REAL; null or absent is unknown. A
 * value of the wrong type fails with the field's name; a value outside the
 * field's range (model/model.h WB_RANGES) fails naming the field, the value
 * and the range. */
int connector_map_fields(int entity, json_t *rec, void *row, struct wb_err *err);
/* Checks a mapped position against the model's ranges: ts_ms a time in ms,
 * lat and lon present and on the globe, speed, heading, odometer and fuel
 * within theirs when given. WB_EINVALID naming the vehicle, field and value. */
int connector_check_position(const struct wb_position *p, struct wb_err *err);
/* Fills *p from a position whose keys are the canonical names (lat, lon,
 * speed_mps, heading, odometer_m, fuel_pct as numbers, null or absent for
 * unknown; ignition a boolean) for vehicle vid at ts_ms, then checks it
 * (connector_check_position). vid borrows from the caller. */
int connector_position_fields(json_t *rec, const char *vid, int64_t ts_ms, struct wb_position *p,
                              struct wb_err *err);

/* The first reading of an answer to an action (connectors/answer.c): not a
 * 2xx, a Content-Type that is not JSON, an empty body, or a body that is not a
 * JSON object is UNRECOGNISED with the reason in msg ("answer not recognised:
 * 200 text/html, 1432 bytes"); an object with an "error" member (or a
 * non-empty "errors" array) is REFUSED with the source's text in msg; else
 * CONFIRMED with *json the parsed object, for the kind to check its shape
 * (the caller decrefs it). */
enum connector_verdict connector_answer_json(const struct connector_answer *a, json_t **json,
                                             char *msg, size_t len);
/* Formats "answer not recognised: " + fmt into msg; returns UNRECOGNISED. */
enum connector_verdict connector_unrecognised(char *msg, size_t len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Copies at most n bytes of src into dst (len bytes, always terminated) for a
 * message: printable UTF-8 is kept; controls (C0, DEL, C1), bidi overrides
 * and invalid bytes become '?'. */
void connector_clean_text(char *dst, size_t len, const char *src, size_t n);

#endif
