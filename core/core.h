/* core/: the domain rules of docs/design.md §6 as plain C over the canonical structs
 * of model.h. No I/O, no ncurses, curl or SQL: every rule takes structs and returns
 * a verdict whose reasons are data (a code and a one-line human message each). */
#ifndef WAYBILL_CORE_H
#define WAYBILL_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "model/model.h"

/* ---- Roles and actions (core/roles.c) --------------------------------------- */

/* Ordered: a higher role may do everything a lower one may. */
enum core_role { CORE_ROLE_VIEWER, CORE_ROLE_DISPATCHER, CORE_ROLE_SUPERVISOR, CORE_ROLE__COUNT };

/* Every action a user can take, its name on the command line and the least role
 * that may take it. Approve and reject also need the exception's required_role. */
#define CORE_ACTIONS(X)                                                                            \
	X(RELEASE_LOAD, "release_load", DISPATCHER)                                                \
	X(OVERRIDE_GATE, "override_gate", SUPERVISOR)                                              \
	X(ASSIGN, "assign", DISPATCHER)                                                            \
	X(PLACE_HOLD, "place_hold", DISPATCHER)                                                    \
	X(CLEAR_HOLD, "clear_hold", DISPATCHER)                                                    \
	X(OVERRIDE_HOLD, "override_hold", SUPERVISOR)                                              \
	X(ACK_EXCEPTION, "ack_exception", DISPATCHER)                                              \
	X(APPROVE_EXCEPTION, "approve_exception", DISPATCHER)                                      \
	X(REJECT_EXCEPTION, "reject_exception", DISPATCHER)                                        \
	X(ESCALATE_EXCEPTION, "escalate_exception", DISPATCHER)                                    \
	X(RELEASE_INVOICE, "release_invoice", SUPERVISOR)                                          \
	X(HOLD_INVOICE, "hold_invoice", DISPATCHER)                                                \
	X(OPEN_WORK_ORDER, "open_work_order", DISPATCHER)

enum core_action {
#define CORE_ACTION_ENUM(A, name, role) CORE_ACT_##A,
	CORE_ACTIONS(CORE_ACTION_ENUM)
#undef CORE_ACTION_ENUM
	        CORE_ACT__COUNT
};

struct core_permission {
	int allowed;          /* 1: the role may take the action */
	enum core_role needs; /* the least role that may */
	const char *why;      /* "" when allowed, else "needs supervisor", "viewer is read-only" */
};

const char *core_role_name(enum core_role r);
/* -1 when name is not a role. */
int core_role_from_name(const char *name);
const char *core_action_name(enum core_action a);
int core_action_from_name(const char *name);
/* Who may do what. x is the exception acted on, for the exception actions (its
 * required_role raises the bar for approve and reject); NULL otherwise. */
struct core_permission core_role_check(enum core_role role, enum core_action action,
                                       const struct wb_exception *x);

/* ---- Verdicts --------------------------------------------------------------- */

/* Every reason a rule can give, with its short label. */
#define CORE_REASONS(X)                                                                            \
	X(FAULT_CRITICAL, "active critical fault")                                                 \
	X(FAULT_MAJOR, "active major fault")                                                       \
	X(INSPECTION_UNSAFE, "latest inspection unsafe")                                           \
	X(WORK_ORDER_OPEN, "open corrective work order")                                           \
	X(MAINT_HOLD, "maintenance hold")                                                          \
	X(HOLD_OVERRIDDEN, "hold overridden by a supervisor")                                      \
	X(OUT_OF_SERVICE, "vehicle out of service")                                                \
	X(PM_OVERDUE, "preventive maintenance overdue")                                            \
	X(IN_TRANSIT, "in transit")                                                                \
	X(DRIVER_HOURS_SHORT, "driver hours too short")                                            \
	X(DRIVER_HOURS_UNKNOWN, "driver hours unknown")                                            \
	X(LOAD_STATUS, "load not releasable in its status")                                        \
	X(NO_VEHICLE, "no vehicle assigned")                                                       \
	X(NO_DRIVER, "no driver assigned")                                                         \
	X(NO_DOCK_DOOR, "no dock door")                                                            \
	X(NO_STAGING, "no staging record")                                                         \
	X(UNDER_STAGED, "pallets staged below threshold")                                          \
	X(LABOR_NOT_READY, "labor not ready")                                                      \
	X(BLOCKING_EXCEPTION, "open blocking exception")                                           \
	X(NOT_DELIVERED, "not delivered")                                                          \
	X(NO_POD, "no signed proof of delivery")                                                   \
	X(POD_EXCEPTIONS, "proof of delivery has exception codes")                                 \
	X(CHARGE_OUT_OF_TOLERANCE, "charge out of tolerance")                                      \
	X(CHARGE_UNRATED, "charge without a rated amount")                                         \
	X(INVOICE_TOTAL_MISMATCH, "invoice total differs from charges")                            \
	X(INVOICE_DISPUTED, "invoice disputed")                                                    \
	X(INVOICE_STATUS, "invoice not releasable in its status")

enum core_reason_code {
#define CORE_REASON_ENUM(R, label) CORE_R_##R,
	CORE_REASONS(CORE_REASON_ENUM)
#undef CORE_REASON_ENUM
	        CORE_R__COUNT
};

#define CORE_REASON_MSG 160
#define CORE_MAX_REASONS 16

struct core_reason {
	enum core_reason_code code;
	/* 1: blocks until its cause is fixed at the root (a held vehicle, legal driver
	 * hours); a supervisor override of the verdict cannot pass it. 0: an override
	 * with a reason may pass it. In readiness, hard means held, soft means limited. */
	int hard;
	char msg[CORE_REASON_MSG]; /* one line with the numbers, e.g. "fault P0087 (critical) active
	                              since ..." */
};

struct core_reasons {
	size_t n;       /* reasons filled */
	size_t dropped; /* reasons beyond CORE_MAX_REASONS, counted, not kept */
	struct core_reason r[CORE_MAX_REASONS];
};

const char *core_reason_label(enum core_reason_code c);
/* 1 when the list has a reason with this code. */
int core_reasons_has(const struct core_reasons *rs, enum core_reason_code c);

/* ---- Vehicle readiness (core/readiness.c) ----------------------------------- */

/* held: must not be dispatched: an active critical or major fault, the latest
 *   inspection unsafe, an open corrective work order, an active maintenance hold,
 *   or status in_shop/out_of_service. Safety: only fixing the cause (closing the
 *   work order) or a supervisor's hold override clears these; a gate override cannot.
 * limited: may run, but not for everything: preventive maintenance overdue, in
 *   transit (busy until it is back), driver hours short or unknown for the planned
 *   run, or a hold a supervisor overrode. The release gate fails on these and a
 *   supervisor may override it (driver hours excepted: they are law). */
enum core_ready_state { CORE_READY, CORE_LIMITED, CORE_HELD };

/* A maintenance hold on a vehicle (placed by core_maintenance_propose or by hand). */
struct core_hold {
	const char *vehicle_id;
	const char
	        *work_order_id; /* the work order whose closing clears it; NULL for a hand hold */
	const char *fault_id;   /* the fault that caused it, NULL if none */
	int64_t placed_at;
	const char *overridden_by;   /* supervisor who overrode it, NULL if not overridden */
	const char *override_reason; /* non-empty when overridden_by is set */
	int64_t overridden_at;
	int cleared; /* 1: cleared by hand (clear_hold) */
};

struct core_readiness_input {
	const struct wb_vehicle *vehicle;
	/* Rows about this vehicle; rows whose vehicle_id is another vehicle are ignored. */
	const struct wb_fault *faults;
	size_t nfaults;
	const struct wb_inspection *inspections; /* the latest by `at` decides */
	size_t ninspections;
	const struct wb_work_order *work_orders;
	size_t nwork_orders;
	const struct core_hold *holds;
	size_t nholds;
	const struct wb_driver *driver; /* the driver of the planned run, NULL if none */
	int64_t planned_drive_s;        /* driving time of the planned run, WB_NULL if none */
};

struct core_readiness {
	enum core_ready_state state;
	struct core_reasons why;
};

const char *core_ready_state_name(enum core_ready_state s);
void core_vehicle_readiness(const struct core_readiness_input *in, struct core_readiness *out);
/* Driver hours for a run: 0 enough, 1 short (msg says which clock), 2 unknown.
 * Shared by readiness and the gate. */
int core_driver_hours(const struct wb_driver *d, int64_t planned_drive_s, char *msg, size_t n);

/* ---- Dispatch release gate (core/gate.c) ------------------------------------ */

struct core_policy;

enum core_gate_state { CORE_GATE_PASS, CORE_GATE_FAIL, CORE_GATE_OVERRIDDEN };

struct core_gate_input {
	const struct wb_load *load;
	const struct core_readiness *vehicle; /* verdict for load->vehicle_id, NULL if none */
	const struct wb_driver *driver;       /* load->driver_id, NULL if none or unknown */
	const struct wb_staging *staging;     /* the load's staging row, NULL if none */
	/* Exceptions about this load (subject_kind "load", subject_id the load's id);
	 * others are ignored. One blocks when it is open, acknowledged or escalated and
	 * the policy says its kind blocks release, or its severity is critical. */
	const struct wb_exception *exceptions;
	size_t nexceptions;
	double stage_threshold; /* the depot's staged share needed, 0..1; NAN: 1.0 */
};

struct core_gate {
	enum core_gate_state state;
	int must_audit;            /* 1 after an override: the caller writes the audit row */
	const char *override_by;   /* the supervisor, after an override */
	char override_reason[256]; /* trimmed, after an override */
	struct core_reasons why;   /* every failing condition, kept after an override */
};

const char *core_gate_state_name(enum core_gate_state s);
/* pol NULL: the default policy. */
void core_release_gate(const struct core_gate_input *in, const struct core_policy *pol,
                       struct core_gate *out);
/* A supervisor passes a failed gate with a non-empty reason. Refused (WB_EDENIED)
 * below supervisor or while a hard reason stands, WB_EINVALID without a reason or
 * user. On success the gate is CORE_GATE_OVERRIDDEN with must_audit set. */
int core_gate_override(struct core_gate *g, enum core_role role, const char *user,
                       const char *reason, struct wb_err *err);

/* ---- Maintenance (core/maintenance.c) --------------------------------------- */

#define CORE_MAX_PARTS 4

/* A proposed corrective work order for a fault, with its parts and the hold it
 * places. Text fields point into this struct or at static strings: do not copy
 * it by value (or call core_proposal_rebind after a copy). */
struct core_wo_proposal {
	struct wb_work_order wo; /* status proposed, category corrective, est_cost, due_at */
	struct wb_part_reservation parts[CORE_MAX_PARTS]; /* status "reserved" */
	size_t nparts;
	struct core_hold hold; /* vehicle on hold until wo closes */
	const char *family;    /* fault family, e.g. "aftertreatment (DEF/SCR)" */
	char wo_id[96];        /* "WO-<fault id>": deterministic, so re-proposing dedupes */
	char msg[CORE_REASON_MSG];
};

/* Proposes a work order for an active critical or major fault. Returns 1 and fills
 * out; 0 when nothing is due (minor/info or inactive fault, or a work order for this
 * fault is already proposed/open/in progress, or closed after the fault was last seen). */
int core_maintenance_propose(const struct wb_fault *f, const struct wb_work_order *wos, size_t nwos,
                             int64_t now, struct core_wo_proposal *out);
void core_proposal_rebind(struct core_wo_proposal *p);

enum core_hold_state {
	CORE_HOLD_ACTIVE,
	CORE_HOLD_CLEARED_WORK_ORDER,
	CORE_HOLD_CLEARED,
	CORE_HOLD_OVERRIDDEN
};
const char *core_hold_state_name(enum core_hold_state s);
/* wo: the hold's work order (NULL if unknown or none). */
enum core_hold_state core_hold_state(const struct core_hold *h, const struct wb_work_order *wo);
/* Clears a hold by hand: allowed to a dispatcher once its work order is closed, or
 * when it has no work order. Otherwise WB_EDENIED naming what is missing. */
int core_hold_clear(struct core_hold *h, const struct wb_work_order *wo, enum core_role role,
                    struct wb_err *err);
/* A supervisor overrides an active hold with a non-empty reason (the caller audits).
 * user and reason must outlive the hold. */
int core_hold_override(struct core_hold *h, enum core_role role, const char *user,
                       const char *reason, int64_t now, struct wb_err *err);

/* ---- Exceptions as data ------------------------------------------------------ */

#define CORE_EVIDENCE_MAX 640

/* A wb_exception and the storage its text points into. Same rule as proposals:
 * call core_exception_rebind after copying one by value. */
struct core_exception_out {
	struct wb_exception x;
	char id[128]; /* the deterministic id, core_exception_id() */
	char subject_id[96];
	char evidence[CORE_EVIDENCE_MAX];
};

void core_exception_rebind(struct core_exception_out *o);
/* 1 while an exception is undecided: open, acknowledged or escalated (a status
 * the source has not given counts as open). The one spelling of "open". */
int core_exception_open(const struct wb_exception *x);
/* "X-<kind>-<subject_id>": one open exception per subject and kind. Returns the
 * length written, or -1 if it did not fit (buf then holds a truncated id). */
int core_exception_id(char *buf, size_t n, const char *kind, const char *subject_id);

/* ---- Invoice release (core/billing.c) --------------------------------------- */

enum core_invoice_state { CORE_INVOICE_RELEASE, CORE_INVOICE_HOLD };

#define CORE_MAX_INVOICE_EXC 3

struct core_invoice_input {
	const struct wb_load *load;
	const struct wb_invoice *invoice;
	const struct wb_pod *pods; /* this load's PODs; every one must be signed and clean */
	size_t npods;
	const struct wb_charge *charges; /* this load's charges */
	size_t ncharges;
	int64_t now; /* detected_at of the exceptions */
};

struct core_invoice_verdict {
	enum core_invoice_state state;
	struct core_reasons why;
	double money_at_stake; /* sum of out-of-tolerance differences, or the invoice amount */
	size_t nexc; /* exceptions to open (pod_mismatch, charge_out_of_tolerance, invoice_dispute)
	              */
	struct core_exception_out exc[CORE_MAX_INVOICE_EXC];
};

const char *core_invoice_state_name(enum core_invoice_state s);
/* 1 when amount is within the tolerance of rated: |amount - rated| <= the greater
 * of tol_amount and tol_pct% of |rated|. */
int core_within_tolerance(double amount, double rated, double tol_amount, double tol_pct);
/* pol NULL: the default policy (tolerance, required roles of the exceptions). */
void core_invoice_release(const struct core_invoice_input *in, const struct core_policy *pol,
                          struct core_invoice_verdict *out);

#endif
