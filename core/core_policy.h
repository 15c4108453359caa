/* The exception policy (docs/design.md §2, §6): per exception kind, bands on confidence
 * and money at stake decide whether a flag is auto-applied, needs a dispatcher, a
 * supervisor (two distinct ones above a set amount), or is dismissed. Safe defaults,
 * or loaded from the config's "policy" object (jansson), refused with a JSON path. */
#ifndef WAYBILL_CORE_POLICY_H
#define WAYBILL_CORE_POLICY_H

#include <stddef.h>

#include "core/core.h"

/* The exception kinds of docs/design.md §2. */
#define CORE_KINDS(X)                                                                              \
	X(LATE_ETA, "late_eta")                                                                    \
	X(MISSED_WINDOW, "missed_window")                                                          \
	X(FUEL_ANOMALY, "fuel_anomaly")                                                            \
	X(IDLE_EXCESS, "idle_excess")                                                              \
	X(CRITICAL_FAULT, "critical_fault")                                                        \
	X(UNSAFE_INSPECTION, "unsafe_inspection")                                                  \
	X(DETENTION, "detention")                                                                  \
	X(POD_MISMATCH, "pod_mismatch")                                                            \
	X(INVOICE_DISPUTE, "invoice_dispute")                                                      \
	X(CHARGE_OUT_OF_TOLERANCE, "charge_out_of_tolerance")                                      \
	X(PARTIAL_SHIPMENT, "partial_shipment")                                                    \
	X(FAILED_DELIVERY, "failed_delivery")                                                      \
	X(ROUTE_CHANGE, "route_change")                                                            \
	X(SUBCONTRACTED_LEG, "subcontracted_leg")

enum core_kind {
#define CORE_KIND_ENUM(K, name) CORE_KIND_##K,
	CORE_KINDS(CORE_KIND_ENUM)
#undef CORE_KIND_ENUM
	        CORE_KIND__COUNT
};

const char *core_kind_name(enum core_kind k);
/* -1 when name is not a kind. */
int core_kind_from_name(const char *name);

enum core_decision {
	CORE_DECIDE_AUTO_APPLY, /* apply the suggested action now, audited as automatic */
	CORE_DECIDE_DISPATCHER, /* a dispatcher (or supervisor) approves */
	CORE_DECIDE_SUPERVISOR, /* a supervisor approves; two distinct ones above two_person_above
	                         */
	CORE_DECIDE_DISMISS,    /* close without action, audited */
	CORE_DECIDE__COUNT
};

const char *core_decision_name(enum core_decision d);
int core_decision_from_name(const char *name);

#define CORE_MAX_BANDS 8

/* A band matches when confidence >= min_confidence and impact <= max_impact.
 * Bands are tried in order; the first match decides; none: supervisor. */
struct core_band {
	double min_confidence; /* 0..1 */
	double max_impact;     /* money; INFINITY for no bound */
	enum core_decision decide;
};

struct core_kind_policy {
	enum core_role required_role; /* least role to act on this kind at all */
	int blocks_release;           /* 1: an open one on a load fails the release gate */
	double two_person_above;      /* NAN: the policy-wide amount */
	size_t nbands;
	struct core_band bands[CORE_MAX_BANDS];
};

struct core_policy {
	struct core_kind_policy kind[CORE_KIND__COUNT];
	double two_person_above;  /* impact above which a supervisor decision needs two supervisors
	                           */
	double charge_tol_amount; /* a charge may differ from its rated amount by this much... */
	double charge_tol_pct;    /* ...or by this percent of it, whichever is greater */
};

/* The policy used when none is configured: cautious (nothing with money at stake
 * over 100 is applied automatically; fuel, faults, inspections and billing never are). */
const struct core_policy *core_policy_default(void);
void core_policy_init_default(struct core_policy *p);

/* Loads the "policy" section (a JSON object, json_t * from jansson; typed void * so
 * this header needs no jansson) over the defaults: every key given replaces the
 * default, a kind's "bands" replaces all its bands. Refuses a malformed policy with
 * WB_EINVALID and the JSON path of the first bad value, e.g.
 * "policy.late_eta.bands[1].min_confidence: expected a number between 0 and 1";
 * unknown keys are refused the same way. p is untouched on error. */
int core_policy_from_json(struct core_policy *p, const void *policy_json, struct wb_err *err);

struct core_policy_verdict {
	enum core_decision decision;
	enum core_role required_role; /* who must approve: dispatcher or supervisor */
	int approvals_needed;         /* 0 auto_apply/dismiss, 1, or 2 (two-person rule) */
	int band;                     /* index of the matching band, -1 for the fallback */
};

/* Decides one flag. pol NULL: default policy. An unknown kind (kind < 0) gets the
 * supervisor. NAN confidence counts as 0, NAN impact as unbounded. */
struct core_policy_verdict core_policy_decide(const struct core_policy *pol, int kind,
                                              double confidence, double impact);

struct core_approval {
	const char *user;
	enum core_role role;
};

/* Whether the approvals given satisfy a decision: returns 1 when enough distinct
 * users of the required role approved, else 0 with a message ("needs a second
 * supervisor other than S. Park"). */
int core_policy_approved(const struct core_policy_verdict *v, const struct core_approval *a,
                         size_t n, char *msg, size_t msgn);

#endif
