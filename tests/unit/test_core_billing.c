/* Invoice release: delivered + clean signed POD + charges within tolerance
 * releases; every other case holds with its reasons and the exceptions to open. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "core/core.h"
#include "core/core_detect.h"

#define NOW 1700000000

struct world {
	struct wb_load l;
	struct wb_invoice inv;
	struct wb_pod pod;
	struct wb_charge ch[2];
	int npods;
};

static void world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	wb_entity_clear(WB_ENT_LOAD, &w->l);
	w->l.meta.id = "L-1045";
	w->l.status = "delivered";
	w->l.delivered_at = NOW - 3600;
	wb_entity_clear(WB_ENT_INVOICE, &w->inv);
	w->inv.meta.id = "I-1";
	w->inv.number = "INV-77";
	w->inv.load_id = "L-1045";
	w->inv.status = "draft";
	w->inv.amount = 1250;
	wb_entity_clear(WB_ENT_POD, &w->pod);
	w->pod.meta.id = "P-1";
	w->pod.load_id = "L-1045";
	w->pod.signed_by = "K. Lund";
	w->pod.signed_at = NOW - 3000;
	w->pod.exception_codes = "";
	w->npods = 1;
	for (int i = 0; i < 2; i++)
		wb_entity_clear(WB_ENT_CHARGE, &w->ch[i]);
	w->ch[0].code = "linehaul";
	w->ch[0].amount = w->ch[0].rated_amount = 1000;
	w->ch[1].code = "fuel";
	w->ch[1].amount = w->ch[1].rated_amount = 250;
}

static void run(struct world *w, struct core_invoice_verdict *v)
{
	struct core_invoice_input in = {&w->l, &w->inv, &w->pod, (size_t)w->npods, w->ch, 2, NOW};
	core_invoice_release(&in, NULL, v);
}

enum setup {
	S_CLEAN,
	S_NOT_DELIVERED,
	S_DELIVERED_BY_STATUS,
	S_DELIVERED_BY_TIME,
	S_NO_POD,
	S_UNSIGNED,
	S_NO_SIGNER,
	S_POD_CODES,
	S_WITHIN_ABS,
	S_OVER_ABS,
	S_WITHIN_PCT,
	S_OVER_PCT,
	S_UNDERCHARGE,
	S_UNRATED,
	S_TOTAL_MISMATCH,
	S_DISPUTED,
	S_ALREADY_SENT,
	S_HELD_RELEASABLE,
};

static const struct bcase {
	const char *name;
	enum setup setup;
	enum core_invoice_state state;
	int reason;      /* -1 none */
	const char *exc; /* kind of the exception to open, NULL none */
} cases[] = {
        {"clean delivered invoice releases", S_CLEAN, CORE_INVOICE_RELEASE, -1, NULL},
        {"not delivered holds", S_NOT_DELIVERED, CORE_INVOICE_HOLD, CORE_R_NOT_DELIVERED, NULL},
        {"delivered by status alone releases", S_DELIVERED_BY_STATUS, CORE_INVOICE_RELEASE, -1,
         NULL},
        {"delivered_at set, status lagging (in_transit) releases", S_DELIVERED_BY_TIME,
         CORE_INVOICE_RELEASE, -1, NULL},
        {"no POD holds without exception", S_NO_POD, CORE_INVOICE_HOLD, CORE_R_NO_POD, NULL},
        {"unsigned POD holds", S_UNSIGNED, CORE_INVOICE_HOLD, CORE_R_NO_POD, NULL},
        {"POD with a time but no signer holds", S_NO_SIGNER, CORE_INVOICE_HOLD, CORE_R_NO_POD,
         NULL},
        {"POD exception codes open pod_mismatch", S_POD_CODES, CORE_INVOICE_HOLD,
         CORE_R_POD_EXCEPTIONS, "pod_mismatch"},
        {"fuel +25.00 (abs tolerance) releases", S_WITHIN_ABS, CORE_INVOICE_RELEASE, -1, NULL},
        {"fuel +25.01 holds", S_OVER_ABS, CORE_INVOICE_HOLD, CORE_R_CHARGE_OUT_OF_TOLERANCE,
         "charge_out_of_tolerance"},
        {"linehaul +40 on 2000 (2%, above abs 25) releases", S_WITHIN_PCT, CORE_INVOICE_RELEASE, -1,
         NULL},
        {"linehaul +40.10 on 2000 holds", S_OVER_PCT, CORE_INVOICE_HOLD,
         CORE_R_CHARGE_OUT_OF_TOLERANCE, "charge_out_of_tolerance"},
        {"undercharge out of tolerance holds", S_UNDERCHARGE, CORE_INVOICE_HOLD,
         CORE_R_CHARGE_OUT_OF_TOLERANCE, "charge_out_of_tolerance"},
        {"unrated charge holds", S_UNRATED, CORE_INVOICE_HOLD, CORE_R_CHARGE_UNRATED,
         "charge_out_of_tolerance"},
        {"invoice total off the charges holds", S_TOTAL_MISMATCH, CORE_INVOICE_HOLD,
         CORE_R_INVOICE_TOTAL_MISMATCH, NULL},
        {"disputed invoice opens invoice_dispute", S_DISPUTED, CORE_INVOICE_HOLD,
         CORE_R_INVOICE_DISPUTED, "invoice_dispute"},
        {"already sent is not releasable", S_ALREADY_SENT, CORE_INVOICE_HOLD, CORE_R_INVOICE_STATUS,
         NULL},
        {"held invoice now clean releases", S_HELD_RELEASABLE, CORE_INVOICE_RELEASE, -1, NULL},
};

static void setup(struct world *w, enum setup s)
{
	world_init(w);
	switch (s) {
	case S_CLEAN: break;
	case S_NOT_DELIVERED:
		w->l.status = "in_transit";
		w->l.delivered_at = WB_NULL;
		break;
	case S_DELIVERED_BY_STATUS:
		w->l.delivered_at = WB_NULL;
		w->l.status = "pod_received";
		break;
	case S_DELIVERED_BY_TIME:
		/* The source stamped the delivery before it moved the status on. */
		w->l.status = "in_transit";
		break;
	case S_NO_POD: w->npods = 0; break;
	case S_UNSIGNED: w->pod.signed_at = WB_NULL; break;
	case S_NO_SIGNER: w->pod.signed_by = ""; break;
	case S_POD_CODES: w->pod.exception_codes = "DMG,SHORT"; break;
	case S_WITHIN_ABS:
		w->ch[1].amount = 275;
		w->inv.amount = 1275;
		break;
	case S_OVER_ABS:
		w->ch[1].amount = 275.01;
		w->inv.amount = 1275.01;
		break;
	case S_WITHIN_PCT:
		w->ch[0].rated_amount = 2000;
		w->ch[0].amount = 2040;
		w->inv.amount = 2290;
		break;
	case S_OVER_PCT:
		w->ch[0].rated_amount = 2000;
		w->ch[0].amount = 2040.1;
		w->inv.amount = 2290.1;
		break;
	case S_UNDERCHARGE:
		w->ch[0].amount = 900;
		w->inv.amount = 1150;
		break;
	case S_UNRATED: w->ch[1].rated_amount = NAN; break;
	case S_TOTAL_MISMATCH: w->inv.amount = 1400; break;
	case S_DISPUTED: w->inv.status = "disputed"; break;
	case S_ALREADY_SENT: w->inv.status = "sent"; break;
	case S_HELD_RELEASABLE: w->inv.status = "held"; break;
	}
}

static void test_case(void **state)
{
	const struct bcase *c = *state;
	struct world w;
	struct core_invoice_verdict v;
	setup(&w, c->setup);
	run(&w, &v);
	int ok = v.state == c->state &&
	         (c->reason < 0 ? v.why.n == 0
	                        : core_reasons_has(&v.why, (enum core_reason_code)c->reason));
	int has_exc = 0;
	for (size_t i = 0; i < v.nexc; i++)
		if (c->exc && strcmp(v.exc[i].x.kind, c->exc) == 0)
			has_exc = 1;
	ok = ok && (c->exc ? has_exc : v.nexc == 0);
	if (!ok)
		fail_msg("case \"%s\": expected %s, reason %s, exception %s; got %s, %zu "
		         "reason(s)%s%s, %zu exception(s)%s%s",
		         c->name, core_invoice_state_name(c->state),
		         c->reason < 0 ? "none"
		                       : core_reason_label((enum core_reason_code)c->reason),
		         c->exc ? c->exc : "none", core_invoice_state_name(v.state), v.why.n,
		         v.why.n ? ": " : "", v.why.n ? v.why.r[0].msg : "", v.nexc,
		         v.nexc ? ": " : "", v.nexc ? v.exc[0].x.kind : "");
}

static void test_exception_data(void **state)
{
	(void)state;
	struct world w;
	struct core_invoice_verdict v;
	world_init(&w);
	w.pod.exception_codes = "DMG";
	w.ch[1].amount = 310;
	w.inv.amount = 1310;
	run(&w, &v);
	assert_int_equal(v.state, CORE_INVOICE_HOLD);
	assert_int_equal(v.nexc, 2);
	const struct wb_exception *pod = &v.exc[0].x, *ch = &v.exc[1].x;
	assert_string_equal(pod->kind, "pod_mismatch");
	assert_string_equal(pod->meta.id, "X-pod_mismatch-L-1045");
	assert_string_equal(pod->subject_kind, "load");
	assert_string_equal(pod->subject_id, "L-1045");
	assert_string_equal(pod->origin, "local");
	assert_string_equal(pod->status, "open");
	assert_true(pod->impact == 1310);
	assert_non_null(strstr(pod->evidence, "DMG"));
	assert_string_equal(ch->kind, "charge_out_of_tolerance");
	assert_true(fabs(ch->impact - 60) < 1e-9);
	assert_non_null(strstr(ch->evidence, "fuel 310.00 vs rated 250.00 (+60.00, +24.0%)"));
	assert_string_equal(ch->required_role, "dispatcher");
	assert_int_equal(ch->detected_at, NOW);
}

static void test_tolerance_fn(void **state)
{
	(void)state;
	assert_true(core_within_tolerance(100.10, 100.00, 0.10, 0));
	assert_false(core_within_tolerance(100.11, 100.00, 0.10, 0));
	assert_true(core_within_tolerance(2040, 2000, 0, 2)); /* pct alone */
	assert_false(core_within_tolerance(2040.01, 2000, 0, 2));
	assert_true(core_within_tolerance(10, 0, 25, 2)); /* abs covers tiny rates */
	assert_false(core_within_tolerance(NAN, 10, 25, 2));
	assert_false(core_within_tolerance(10, NAN, 25, 2));
}

static void test_policy_tolerance(void **state)
{
	(void)state;
	struct world w;
	struct core_invoice_verdict v;
	struct core_policy p;
	core_policy_init_default(&p);
	p.charge_tol_amount = 0;
	p.charge_tol_pct = 0;
	world_init(&w);
	w.ch[1].amount = 250.5;
	w.inv.amount = 1250.5;
	struct core_invoice_input in = {&w.l, &w.inv, &w.pod, 1, w.ch, 2, NOW};
	core_invoice_release(&in, &p, &v);
	assert_int_equal(v.state, CORE_INVOICE_HOLD);
	core_invoice_release(&in, NULL, &v);
	assert_int_equal(v.state, CORE_INVOICE_RELEASE);
}

/* Amounts no till makes: an invoice and charges of 1e300, or infinite, are
 * never judged within tolerance (held for a person), and the money at stake
 * stays a number. */
static void test_huge_money(void **state)
{
	(void)state;
	struct world w;
	struct core_invoice_verdict v;
	world_init(&w);
	w.ch[0].amount = w.ch[0].rated_amount = 1e300;
	w.inv.amount = 1e300;
	run(&w, &v);
	assert_int_equal(v.state, CORE_INVOICE_HOLD);
	assert_true(core_reasons_has(&v.why, CORE_R_CHARGE_OUT_OF_TOLERANCE));
	assert_true(isfinite(v.money_at_stake));
	world_init(&w);
	w.ch[1].amount = INFINITY;
	run(&w, &v);
	assert_int_equal(v.state, CORE_INVOICE_HOLD);
	assert_true(isfinite(v.money_at_stake));
	assert_false(core_within_tolerance(1e300, 1e300, 0.1, 0));
	assert_false(core_within_tolerance(INFINITY, INFINITY, 0.1, 0));
	assert_true(core_within_tolerance(999999999999.0, 999999999999.0, 0.1, 0));
}

int main(void)
{
	enum { NCASES = sizeof(cases) / sizeof(cases[0]), NFIX = 4 };
	struct CMUnitTest tests[NCASES + NFIX] = {
	        cmocka_unit_test(test_huge_money),
	        cmocka_unit_test(test_exception_data),
	        cmocka_unit_test(test_tolerance_fn),
	        cmocka_unit_test(test_policy_tolerance),
	};
	for (size_t i = 0; i < NCASES; i++)
		tests[NFIX + i] = (struct CMUnitTest){cases[i].name, test_case, NULL, NULL,
		                                      (void *)&cases[i]};
	return _cmocka_run_group_tests("core_billing", tests, NCASES + NFIX, NULL, NULL);
}
