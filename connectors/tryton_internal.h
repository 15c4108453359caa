/* The "tryton" kind's own parts (connectors/tryton*.c): Tryton 6.0's JSON-RPC
 * values (Decimal, date, datetime), its error member, the calls it takes, the
 * streams' cursor and the record mapping. Pure functions, like every kind. */
#ifndef WAYBILL_CONNECTORS_TRYTON_INTERNAL_H
#define WAYBILL_CONNECTORS_TRYTON_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "connectors/connector.h"

/* --- values (tryton_value.c) --------------------------------------------- */

/* {"__class__": "Decimal", "decimal": "12.50"} (or a JSON number, as some
 * Numeric function fields come) as whole cents, exact: more than two decimals
 * must be zeros ("25.0000"), else WB_EINVALID naming what; a cent's fraction
 * is rounded half away from zero only when round is set. */
int tryton_decimal_cents(json_t *v, bool round, int64_t *cents, struct wb_err *err);
/* A Decimal as a double (unit prices carry four decimals); NaN when it is not
 * one. */
double tryton_decimal_double(json_t *v);
/* {"__class__": "datetime", year.. microsecond} (Tryton's naive UTC) as epoch
 * ms; {"__class__": "date", ...} as the day's midnight UTC. -1 for anything
 * else or a value out of the calendar. */
int tryton_time_ms(json_t *v, int64_t *ms);
/* A new {"__class__": "datetime", ...} for epoch ms (for a domain). */
json_t *tryton_datetime_new(int64_t ms);
/* A record's stamp: the newest of write_date and create_date, of the record
 * and of the records under each of subs (a NULL-terminated list of
 * "lines."-style keys), in ms; 0 when none is known. */
int64_t tryton_stamp_ms(json_t *rec, const char *const *subs);
/* The text of a JSON-RPC "error" member as Tryton 6.0 sends it:
 * ["UserError", [message, description, domain]], ["LoginException", [name,
 * message, type]], ["ConcurrencyException", message] or [str, traceback],
 * cleaned (connector_clean_text). */
void tryton_error_text(json_t *error, char *out, size_t len);
/* A true boolean: sqlite's databases answer 1/0 for booleans. */
bool tryton_truthy(json_t *v);

/* --- calls (tryton.c) ---------------------------------------------------- */

/* Fills call with a JSON-RPC POST of method and params (stolen) to the
 * database's path "/<database>/", the request id being rpc_id. WB_EINVALID
 * when the database is not configured or not a plain name. */
int tryton_call(const struct connector_login *who, const char *method, json_t *params,
                json_int_t rpc_id, struct connector_call *call, struct wb_err *err);
/* A new object: the user's context (who->context, filled by the engine from
 * the session) or {} when there is none; a call adds what it needs to it. NULL
 * only when out of memory. */
json_t *tryton_context(const struct connector_login *who);
/* Parses a JSON-RPC answer into *json; WB_EINVALID naming what is wrong
 * ("what" names the call: "the orders page"), the error member's text when
 * Tryton refused. */
int tryton_answer(const struct connector_answer *a, const char *what, json_t **json,
                  struct wb_err *err);

/* --- streams and paging (tryton_page.c) ---------------------------------- */

/* What a stream reads: its model, base domain, fields, the sub-records whose
 * dates count in its stamp, and whether archived records are read. */
struct tryton_stream {
	const char *name;   /* "orders" */
	const char *model;  /* "sale.sale" */
	const char *domain; /* JSON: the base domain */
	const char *const *fields;
	const char *const *subs;      /* "lines." keys whose dates stamp the record */
	const char *const *sub_dates; /* the same as domain paths: "lines.write_date" */
	bool archived;                /* context active_test false */
};

const struct tryton_stream *tryton_stream_def(const char *name);

/* The overlap, in ms, by which each incremental pass reads back before the
 * newest stamp seen: a transaction that started earlier may commit later. */
#define TRYTON_OVERLAP_MS (120 * 1000)
/* How often a full pass looks for deletions (Tryton keeps no log of them). */
#define TRYTON_SWEEP_S 600

/* The cursor: "tryton1:<stream>:<since_ms>:<after_id>:<hi_ms>" (docs/connectors/tryton.md). */
struct tryton_cursor {
	int64_t since_ms; /* records stamped at or after it; 0: all (a full pass) */
	int64_t after_id; /* records of ids above it, in this pass */
	int64_t hi_ms;    /* the newest stamp seen so far */
};
#define TRYTON_CURSOR_MAX 96

int tryton_cursor_parse(const char *stream, const char *s, struct tryton_cursor *c,
                        struct wb_err *err);
void tryton_cursor_format(const char *stream, const struct tryton_cursor *c, char *out, size_t len);

int tryton_page_request(const struct connector_stream *s, const struct connector_login *who,
                        const char *cursor, int limit, struct connector_call *call,
                        struct wb_err *err);
int tryton_page_read(const struct connector_stream *s, const char *cursor,
                     const struct connector_answer *a, json_t **page, struct wb_err *err);
int tryton_sweep_s(const struct connector_stream *s);
const struct connector_stream *tryton_streams(const char *role, size_t *n);

/* --- records (tryton_map.c) ---------------------------------------------- */

int tryton_map_record(const struct connector_stream *s, const char *source, json_t *rec, void *row,
                      struct wb_err *err);

/* --- actions (tryton_action.c) ------------------------------------------- */

int tryton_action_call(const char *action, const char *subject_id, json_t *payload,
                       const struct connector_login *who, struct connector_call *call,
                       struct wb_err *err);
enum connector_verdict tryton_result(const char *action, const char *subject_id,
                                     const struct connector_answer *a, char *msg, size_t len);
int tryton_verify_request(const char *action, const char *subject_id,
                          const struct connector_login *who, struct connector_call *call,
                          struct wb_err *err);
enum connector_verdict tryton_verify_read(const char *action, const char *subject_id,
                                          const struct connector_answer *a, char *msg, size_t len);
/* "INV-12" -> 12; -1 for anything else. */
int64_t tryton_invoice_id(const char *subject_id);

#endif
