/* The exception policy: safe defaults, loading from the config's "policy" object
 * with path-named errors, the band decision and the two-person rule. */
#include <jansson.h>
#include <math.h>

#include "internal.h"
#include "core/core_policy.h"

static const char *const kind_names[CORE_KIND__COUNT] = {
#define KIND_NAME(K, name) [CORE_KIND_##K] = name,
        CORE_KINDS(KIND_NAME)
#undef KIND_NAME
};

static const char *const decision_names[CORE_DECIDE__COUNT] = {"auto_apply", "dispatcher",
                                                               "supervisor", "dismiss"};

const char *core_kind_name(enum core_kind k)
{
	return (unsigned)k < CORE_KIND__COUNT ? kind_names[k] : "?";
}

int core_kind_from_name(const char *name)
{
	for (int i = 0; name && i < CORE_KIND__COUNT; i++)
		if (strcmp(name, kind_names[i]) == 0)
			return i;
	return -1;
}

const char *core_decision_name(enum core_decision d)
{
	return (unsigned)d < CORE_DECIDE__COUNT ? decision_names[d] : "?";
}

int core_decision_from_name(const char *name)
{
	for (int i = 0; name && i < CORE_DECIDE__COUNT; i++)
		if (strcmp(name, decision_names[i]) == 0)
			return i;
	return -1;
}

/* Kinds where acting wrongly costs money or safety: never automatic, never
 * dismissed by default, and a supervisor decides the first three. */
static int cautious(enum core_kind k)
{
	switch (k) {
	case CORE_KIND_FUEL_ANOMALY:
	case CORE_KIND_CRITICAL_FAULT:
	case CORE_KIND_UNSAFE_INSPECTION:
	case CORE_KIND_POD_MISMATCH:
	case CORE_KIND_INVOICE_DISPUTE:
	case CORE_KIND_CHARGE_OUT_OF_TOLERANCE:
	case CORE_KIND_FAILED_DELIVERY:
	case CORE_KIND_SUBCONTRACTED_LEG: return 1;
	default: return 0;
	}
}

void core_policy_init_default(struct core_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->two_person_above = 5000;
	p->charge_tol_amount = 25;
	p->charge_tol_pct = 2;
	for (int k = 0; k < CORE_KIND__COUNT; k++) {
		struct core_kind_policy *kp = &p->kind[k];
		kp->two_person_above = NAN;
		kp->required_role = CORE_ROLE_DISPATCHER;
		if (k == CORE_KIND_FUEL_ANOMALY || k == CORE_KIND_CRITICAL_FAULT ||
		    k == CORE_KIND_UNSAFE_INSPECTION)
			kp->required_role = CORE_ROLE_SUPERVISOR;
		kp->blocks_release =
		        k == CORE_KIND_CRITICAL_FAULT || k == CORE_KIND_UNSAFE_INSPECTION ||
		        k == CORE_KIND_PARTIAL_SHIPMENT || k == CORE_KIND_ROUTE_CHANGE ||
		        k == CORE_KIND_SUBCONTRACTED_LEG;
		if (cautious((enum core_kind)k)) {
			kp->bands[kp->nbands++] =
			        (struct core_band){0.6, 1000, CORE_DECIDE_DISPATCHER};
		} else {
			kp->bands[kp->nbands++] =
			        (struct core_band){0.9, 100, CORE_DECIDE_AUTO_APPLY};
			kp->bands[kp->nbands++] =
			        (struct core_band){0.6, 1000, CORE_DECIDE_DISPATCHER};
			kp->bands[kp->nbands++] = (struct core_band){0.0, 50, CORE_DECIDE_DISMISS};
		}
		/* No band: supervisor (core_policy_decide's fallback). */
	}
}

const struct core_policy *core_policy_default(void)
{
	static struct core_policy def;
	static int ready;
	/* Filled once; concurrent first calls write identical bytes. */
	if (!ready) {
		core_policy_init_default(&def);
		ready = 1;
	}
	return &def;
}

struct core_policy_verdict core_policy_decide(const struct core_policy *pol, int kind,
                                              double confidence, double impact)
{
	struct core_policy_verdict v = {CORE_DECIDE_SUPERVISOR, CORE_ROLE_SUPERVISOR, 1, -1};
	if (!pol)
		pol = core_policy_default();
	double two = pol->two_person_above;
	if (kind >= 0 && kind < CORE_KIND__COUNT) {
		const struct core_kind_policy *kp = &pol->kind[kind];
		double c = isnan(confidence) ? 0 : confidence;
		double m = isnan(impact) ? INFINITY : impact;
		for (size_t i = 0; i < kp->nbands; i++) {
			if (c >= kp->bands[i].min_confidence && m <= kp->bands[i].max_impact) {
				v.decision = kp->bands[i].decide;
				v.band = (int)i;
				break;
			}
		}
		if (!isnan(kp->two_person_above))
			two = kp->two_person_above;
		switch (v.decision) {
		case CORE_DECIDE_DISPATCHER:
			v.required_role = kp->required_role;
			if (kp->required_role == CORE_ROLE_SUPERVISOR)
				v.decision = CORE_DECIDE_SUPERVISOR;
			break;
		case CORE_DECIDE_SUPERVISOR: v.required_role = CORE_ROLE_SUPERVISOR; break;
		default: v.required_role = kp->required_role; break;
		}
	}
	double m = isnan(impact) ? INFINITY : impact;
	if (v.decision == CORE_DECIDE_SUPERVISOR)
		v.approvals_needed = m > two ? 2 : 1;
	else
		v.approvals_needed = v.decision == CORE_DECIDE_DISPATCHER ? 1 : 0;
	return v;
}

int core_policy_approved(const struct core_policy_verdict *v, const struct core_approval *a,
                         size_t n, char *msg, size_t msgn)
{
	const char *first = NULL;
	int distinct = 0;
	if (msg && msgn)
		msg[0] = '\0';
	for (size_t i = 0; i < n && distinct < v->approvals_needed; i++) {
		if (cstrempty(a[i].user) || a[i].role < v->required_role ||
		    a[i].role >= CORE_ROLE__COUNT)
			continue;
		if (first && strcmp(first, a[i].user) == 0)
			continue;
		if (!first)
			first = a[i].user;
		distinct++;
	}
	if (distinct >= v->approvals_needed)
		return 1;
	if (msg) {
		if (first)
			snprintf(msg, msgn, "needs a second %s other than %s (two-person rule)",
			         core_role_name(v->required_role), first);
		else
			snprintf(msg, msgn, "needs %s%s approval",
			         v->approvals_needed > 1 ? "two " : "",
			         core_role_name(v->required_role));
	}
	return 0;
}

/* ---- Loading from JSON ---------------------------------------------------- */

#define PATH_MAX_LEN 160

/* Builds "base.key" or "base[i]"; a path too long for the buffer is cut (still
 * named enough for a person to find the value). */
static void join_key(char *dst, size_t n, const char *base, const char *key)
{
	if (snprintf(dst, n, "%s.%s", base, key) >= (int)n)
		dst[n - 1] = '\0';
}

static void join_index(char *dst, size_t n, const char *base, size_t i)
{
	if (snprintf(dst, n, "%s[%zu]", base, i) >= (int)n)
		dst[n - 1] = '\0';
}

static int bad(struct wb_err *err, const char *path, const char *what)
{
	return wb_fail(err, WB_EINVALID, "%s: %s", path, what);
}

/* Reads a number in [lo, hi]; `what` is the message when it is not one. */
static int get_number(json_t *v, const char *path, double lo, double hi, const char *what,
                      double *out, struct wb_err *err)
{
	if (!json_is_number(v))
		return bad(err, path, what);
	double d = json_number_value(v);
	if (!isfinite(d) || d < lo || d > hi)
		return bad(err, path, what);
	*out = d;
	return 0;
}

static int parse_band(json_t *b, const char *path, struct core_band *out, struct wb_err *err)
{
	if (!json_is_object(b))
		return bad(err, path,
		           "expected an object with min_confidence, max_impact and decide");
	struct core_band band = {0, INFINITY, CORE_DECIDE_SUPERVISOR};
	int have_decide = 0;
	const char *key;
	json_t *v;
	char p[PATH_MAX_LEN];
	json_object_foreach(b, key, v)
	{
		join_key(p, sizeof(p), path, key);
		int rc = 0;
		if (strcmp(key, "min_confidence") == 0) {
			rc = get_number(v, p, 0, 1, "expected a number between 0 and 1",
			                &band.min_confidence, err);
		} else if (strcmp(key, "max_impact") == 0) {
			if (!json_is_null(v))
				rc = get_number(v, p, 0, INFINITY,
				                "expected a number >= 0 or null (no bound)",
				                &band.max_impact, err);
		} else if (strcmp(key, "decide") == 0) {
			int d = json_is_string(v) ? core_decision_from_name(json_string_value(v))
			                          : -1;
			if (d < 0)
				rc = bad(err, p,
				         "expected one of auto_apply, dispatcher, supervisor, "
				         "dismiss");
			band.decide = (enum core_decision)d;
			have_decide = 1;
		} else {
			rc = bad(err, p,
			         "unknown key (expected min_confidence, max_impact, decide)");
		}
		if (rc)
			return rc;
	}
	if (!have_decide) {
		join_key(p, sizeof(p), path, "decide");
		return bad(err, p,
		           "missing (expected one of auto_apply, dispatcher, supervisor, dismiss)");
	}
	*out = band;
	return 0;
}

static int parse_kind(json_t *o, const char *path, struct core_kind_policy *kp, struct wb_err *err)
{
	if (!json_is_object(o))
		return bad(err, path,
		           "expected an object with bands, required_role, blocks_release, "
		           "two_person_above");
	const char *key;
	json_t *v;
	char p[PATH_MAX_LEN];
	json_object_foreach(o, key, v)
	{
		join_key(p, sizeof(p), path, key);
		int rc = 0;
		if (strcmp(key, "required_role") == 0) {
			int r = json_is_string(v) ? core_role_from_name(json_string_value(v)) : -1;
			if (r != CORE_ROLE_DISPATCHER && r != CORE_ROLE_SUPERVISOR)
				rc = bad(err, p, "expected \"dispatcher\" or \"supervisor\"");
			kp->required_role = (enum core_role)r;
		} else if (strcmp(key, "blocks_release") == 0) {
			if (!json_is_boolean(v))
				rc = bad(err, p, "expected true or false");
			kp->blocks_release = json_is_true(v);
		} else if (strcmp(key, "two_person_above") == 0) {
			if (json_is_null(v))
				kp->two_person_above = NAN;
			else
				rc = get_number(v, p, 0, INFINITY,
				                "expected an amount >= 0 or null",
				                &kp->two_person_above, err);
		} else if (strcmp(key, "bands") == 0) {
			if (!json_is_array(v)) {
				rc = bad(err, p, "expected an array of bands");
			} else if (json_array_size(v) > CORE_MAX_BANDS) {
				char what[64];
				snprintf(what, sizeof(what), "at most %d bands", CORE_MAX_BANDS);
				rc = bad(err, p, what);
			} else {
				size_t i;
				json_t *b;
				kp->nbands = 0;
				json_array_foreach(v, i, b)
				{
					char bp[PATH_MAX_LEN];
					join_index(bp, sizeof(bp), p, i);
					if ((rc = parse_band(b, bp, &kp->bands[kp->nbands], err)))
						break;
					kp->nbands++;
				}
			}
		} else {
			rc = bad(err, p,
			         "unknown key (expected bands, required_role, blocks_release, "
			         "two_person_above)");
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_tolerance(json_t *o, const char *path, struct core_policy *p, struct wb_err *err)
{
	if (!json_is_object(o))
		return bad(err, path, "expected an object with amount and pct");
	const char *key;
	json_t *v;
	char kp[PATH_MAX_LEN];
	json_object_foreach(o, key, v)
	{
		join_key(kp, sizeof(kp), path, key);
		int rc;
		if (strcmp(key, "amount") == 0)
			rc = get_number(v, kp, 0, INFINITY, "expected an amount >= 0",
			                &p->charge_tol_amount, err);
		else if (strcmp(key, "pct") == 0)
			rc = get_number(v, kp, 0, 100, "expected a percent between 0 and 100",
			                &p->charge_tol_pct, err);
		else
			rc = bad(err, kp, "unknown key (expected amount, pct)");
		if (rc)
			return rc;
	}
	return 0;
}

int core_policy_from_json(struct core_policy *p, const void *policy_json, struct wb_err *err)
{
	json_t *root = (json_t *)policy_json;
	if (!json_is_object(root))
		return bad(err, "policy", "expected an object");
	struct core_policy tmp = *p;
	const char *key;
	json_t *v;
	char path[PATH_MAX_LEN];
	json_object_foreach(root, key, v)
	{
		join_key(path, sizeof(path), "policy", key);
		int rc, k;
		if (strcmp(key, "two_person_above") == 0)
			rc = get_number(v, path, 0, INFINITY, "expected an amount >= 0",
			                &tmp.two_person_above, err);
		else if (strcmp(key, "charge_tolerance") == 0)
			rc = parse_tolerance(v, path, &tmp, err);
		else if ((k = core_kind_from_name(key)) >= 0)
			rc = parse_kind(v, path, &tmp.kind[k], err);
		else
			rc = bad(err, path,
			         "unknown key (expected an exception kind, two_person_above or "
			         "charge_tolerance)");
		if (rc)
			return rc;
	}
	*p = tmp;
	return 0;
}
