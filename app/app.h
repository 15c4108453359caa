/* app/: the action layer the console, the CLI and the local workflow pass share.
 * The judging functions (facts -> core input -> core verdict, with the configured
 * policy) are the only place a vehicle's readiness, a load's release gate and an
 * invoice's release are decided; the actions check the role, gather the facts
 * from the cache, judge, and record outbox + audit in one transaction. */
#ifndef WAYBILL_APP_H
#define WAYBILL_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "cache/cache.h"
#include "core/core.h"
#include "core/core_policy.h"
#include "model/model.h"

struct settings;

/* The user the automatic rules act as, in the audit trail and the outbox. */
#define APP_SYSTEM_USER "waybill"
#define APP_ID 136 /* ids are at most 128 bytes (connectors refuse longer ones) */

/* ---- judging (app/judge.c) -------------------------------------------------- */

/* The policy decisions are made by: the configured one, else the default. */
const struct core_policy *app_policy(const struct settings *s);

/* Whether actor's role may take the action (x: the exception acted on, or NULL).
 * role < 0 (the source has not said who the user is) is never allowed. Fills
 * why (when given) with the reason a refusal names. */
bool app_allowed(int role, enum core_action act, const struct wb_exception *x, char *why,
                 size_t len);

/* A work order with the text it points at. */
struct app_wo {
	struct wb_work_order w;
	char id[APP_ID], fid[APP_ID], status[24], category[24];
};

/* Finds the newest work order (by opened_at, then id, descending) of vehicle
 * vid for fault_id, or whose id is proposal: 1 found, 0 none, <0 error. */
typedef int (*app_find_wo_fn)(void *arg, const char *vid, const char *fault_id,
                              const char *proposal, struct app_wo *out, struct wb_err *err);

/* The hold a vehicle is under, as readiness sees it. */
struct app_hold {
	struct core_hold h;
	char wo[APP_ID], fault[APP_ID];
	/* The hold is the pass's own and the work order it waits on has closed:
	 * the source holds the vehicle till a clear_hold lands. ours: the audit
	 * seq of that hold. */
	int wo_closed;
	int64_t ours;
};

/* The hold in force on v (the source's on_hold flag decides): 1 held (out
 * filled), 0 not held, <0 error. A hold the pass placed points at the work
 * order of its fault (found with find) until that closes. */
int app_vehicle_hold(struct cache *c, const struct wb_vehicle *v, app_find_wo_fn find, void *arg,
                     struct app_hold *out, struct wb_err *err);

/* What a vehicle's readiness is judged on. The driver and planned drive are
 * those of the vehicle's next planned run (status planned, staged or
 * released, earliest planned departure). */
struct app_vehicle_facts {
	const struct wb_vehicle *vehicle;
	const struct wb_fault *faults;
	size_t nfaults;
	const struct wb_inspection *inspections;
	size_t ninspections;
	const struct wb_work_order *work_orders;
	size_t nwork_orders;
	const struct core_hold *hold; /* the hold in force, NULL if none */
	const struct wb_driver *driver;
	int64_t planned_drive_s;
	size_t extra; /* rows the reader did not keep: counted as dropped reasons */
};

/* The readiness verdict: the Vehicles board (the pass) and the release gate
 * both come here. */
void app_vehicle_readiness(const struct app_vehicle_facts *f, struct core_readiness *out);

/* What a load's release gate is judged on. */
struct app_load_facts {
	const struct wb_load *load;
	const struct core_readiness *vehicle; /* NULL: no such vehicle */
	const struct wb_driver *driver;       /* the load's driver, NULL if unknown */
	const struct wb_staging *staging;     /* every staging row of the load */
	size_t nstaging;
	const struct wb_exception *exceptions; /* exceptions about the load */
	size_t nexceptions;
};

/* The newest staging row (the one the dock works to), or NULL. */
const struct wb_staging *app_newest_staging(const struct wb_staging *rows, size_t n);
/* The dispatch release gate with pol (which exception kinds block release). */
void app_load_gate(const struct app_load_facts *f, const struct core_policy *pol,
                   struct core_gate *out);

struct app_invoice_facts {
	const struct wb_invoice *invoice;
	const struct wb_load *load;
	const struct wb_pod *pods;
	size_t npods;
	const struct wb_charge *charges;
	size_t ncharges;
	int64_t now;
};

/* The invoice release rule with pol (its charge tolerance). */
void app_invoice_gate(const struct app_invoice_facts *f, const struct core_policy *pol,
                      struct core_invoice_verdict *out);

/* ---- facts read from the cache (app/facts.c) -------------------------------- */

struct app_vehicle_data {
	struct app_vehicle_facts f;
	struct wb_vehicle vehicle;
	struct wb_driver driver;
	struct app_hold hold;
	void *faults, *inspections, *work_orders, *loads;
	char *strings[6];
};

/* Reads everything a vehicle's readiness needs through the cache API.
 * WB_ENOTFOUND when there is no live vehicle vid. Free with
 * app_vehicle_data_free (also after a failure). */
int app_vehicle_gather(struct cache *c, const char *vid, struct app_vehicle_data *d,
                       struct wb_err *err);
void app_vehicle_data_free(struct app_vehicle_data *d);

struct app_load_data {
	struct app_load_facts f;
	struct wb_load load;
	struct wb_driver driver;
	struct app_vehicle_data veh;
	bool has_vehicle;
	struct core_readiness readiness;
	void *staging, *exceptions;
	char *strings[4];
};

/* Reads a load and everything its gate needs, judging its vehicle's readiness
 * on the way. WB_ENOTFOUND when there is no load id. */
int app_load_gather(struct cache *c, const char *id, struct app_load_data *d, struct wb_err *err);
void app_load_data_free(struct app_load_data *d);

struct app_invoice_data {
	struct app_invoice_facts f;
	struct wb_invoice invoice;
	struct wb_load load;
	void *pods, *charges;
	char *strings[4];
};

/* WB_ENOTFOUND when there is no invoice id, or its load is not in the cache. */
int app_invoice_gather(struct cache *c, const char *id, int64_t now, struct app_invoice_data *d,
                       struct wb_err *err);
void app_invoice_data_free(struct app_invoice_data *d);

/* ---- actions (app/act.c, app/act_more.c) ------------------------------------ */

/* Who acts: the user name the source gave (never a token) and the role. */
struct app_actor {
	const char *user;
	int role;           /* enum core_role; -1: the source has not said */
	const char *why_ro; /* when role < 0: why not (NULL: "no source said who you are") */
};

/* Where an action comes from, and what it may read. */
struct app_ctx {
	struct cache *cache;
	const struct settings *settings; /* NULL: defaults */
	struct app_actor actor;
	int64_t now;
};

/* AWAITING: the first of the two supervisors a decision needs approved it
 * (recorded and audited); nothing is queued until a second one does. */
enum app_outcome { APP_QUEUED, APP_DONE, APP_REFUSED, APP_ERROR, APP_AWAITING };

/* Why an action was refused, so a caller can word it its own way. */
enum app_refusal {
	APP_R_NONE,
	APP_R_ROLE,     /* the role may not (why[0]: "viewer is read-only", ...) */
	APP_R_INPUT,    /* something needed was not given (a reason, an override) */
	APP_R_NOTFOUND, /* no such record in the cache */
	APP_R_STATE,    /* the record is not in a state for it ("not on hold", ...) */
	APP_R_GATE,     /* the gate failed: why[] are its reasons */
	APP_R_OVERRIDE, /* an override was refused: why[0] says why, then the gate's */
	APP_R_PENDING,  /* an action on the subject still waits for its source */
	APP_R_TWO,      /* the two-person rule: the same supervisor again, or the system */
	APP_R_SOURCE,   /* the owning source's kind cannot take it (why[0] says why) */
};

#define APP_MAX_WHY 24
#define APP_WHY_LEN 200

struct app_result {
	enum app_outcome outcome; /* DONE: a local exception decided here, nothing queued */
	enum app_refusal refusal;
	char id[APP_ID]; /* the record acted on */
	char action[48]; /* the outbox action ("release_load") */
	char subject[APP_ID + 16];
	char key[40]; /* the outbox (idempotency) key when queued */
	bool overridden;
	bool gate_failed;  /* refused by a gate (release); the reasons are the gate's */
	size_t nwhy, more; /* reasons kept, and beyond APP_MAX_WHY */
	char why[APP_MAX_WHY][APP_WHY_LEN];
	struct wb_err err; /* APP_ERROR */
};

const char *app_outcome_name(enum app_outcome o);

/* release ID: a load (through the release gate) or an invoice (through the
 * invoice gate), whichever the id is. override: a supervisor's reason to pass
 * a failed load gate (NULL: none). */
void app_release(const struct app_ctx *x, const char *id, const char *override,
                 struct app_result *r);
/* hold ID REASON: a vehicle or an invoice. */
void app_hold(const struct app_ctx *x, const char *id, const char *reason, struct app_result *r);
/* unhold VEHICLE: clears its hold; with open work orders only a supervisor's
 * override (override: its reason) may. */
void app_unhold(const struct app_ctx *x, const char *id, bool override, const char *reason,
                struct app_result *r);
void app_assign(const struct app_ctx *x, const char *load, const char *vehicle, const char *driver,
                struct app_result *r);
/* wo VEHICLE [FAULT]: a corrective work order (fault NULL or ""). */
void app_work_order(const struct app_ctx *x, const char *vehicle, const char *fault,
                    struct app_result *r);

/* The decisions on an exception. */
enum app_decision { APP_ACK, APP_APPROVE, APP_REJECT, APP_ESCALATE };
/* "ack", "acknowledge", "approve", "reject", "escalate"; -1 otherwise. */
int app_decision_from_word(const char *word);
const char *app_decision_action(enum app_decision d); /* "approve_exception" */
/* reason: a note for the audit row, or NULL. Waybill's own exceptions are
 * decided here (outcome DONE); others are queued for their source.
 * The two-person rule (app/approve.c): when the policy's verdict on the
 * exception needs two supervisors (core_policy_decide: a supervisor decision
 * with more than two_person_above at stake), the first supervisor's approve
 * is recorded as pending (outcome AWAITING, audited as "approve_pending",
 * nothing queued); a second supervisor (another user name, compared by
 * content) completes it and the decision is queued or decided as above; the
 * same user again, or the system user, is refused (APP_R_TWO, audited as
 * "approve_refused"); a dispatcher is refused by role. A reject by anyone
 * who may ends it. */
void app_decide(const struct app_ctx *x, enum app_decision d, const char *id, const char *reason,
                struct app_result *r);

/* The policy's verdict on a decision about e, with the settings' policy:
 * v->approvals_needed is 2 under the two-person rule. */
void app_exception_verdict(const struct settings *s, const struct wb_exception *e,
                           struct core_policy_verdict *v);

/* Whether the kind of source (a role: "erp") can take action on subject
 * ("invoice:INV-1") with payload, as its connector builds the request
 * (app/act_kind.c); when not, why gets one line: "the tryton ERP cannot hold
 * an invoice: <the kind's reason>"; for a vehicle's maintenance actions it
 * names their owner and what to configure: "the samsara telematics source
 * cannot hold a vehicle: it takes no vehicle holds; holds belong to a
 * maintenance source (sources.maintenance)". true for s NULL or a source not
 * configured. Every action asks before it is queued (app_record), and so does
 * the local pass. */
bool app_source_can(const struct settings *s, const char *source, const char *action,
                    const char *subject, json_t *payload, char *why, size_t len);

/* The source a vehicle's maintenance actions (place_hold, clear_hold,
 * open_work_order) go to: the maintenance source when s configures one
 * (sources.maintenance), else vehicle_source, the vehicle's own (its row's
 * meta.source). The console, the CLI and the local pass all route here. */
const char *app_maint_source(const struct settings *s, const char *vehicle_source);

/* Puts a failed outbox action back to pending (audited). */
void app_outbox_retry(const struct app_ctx *x, const char *key, struct app_result *r);

#endif
