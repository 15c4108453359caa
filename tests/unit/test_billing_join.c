/* Billing joins (#12, cache.h CACHE_BILLED_LOAD_SQL) over a real cache: an
 * ERP's invoice or charge that names only its order (a sale, as Tryton's do)
 * meets the load carrying that order exactly as one naming the load does, in
 * the workflow pass, the invoice gate of `waybill release` and the console,
 * the detectors, the KPIs, the Billing board and the detail panes; a
 * cancelled load is never joined by order, and an order split over several
 * loads bills its newest. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "testutil.h"
#include "app/app.h"
#include "cache/cache.h"
#include "local/detect_run.h"
#include "local/kpi_run.h"
#include "local/workflow_run.h"
#include "settings/settings.h"
#include "views/view.h"

#define NOW 1741341600 /* 2025-03-07 10:00 UTC */

struct fx {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	struct cache *c;
};

/* A load of order oid: status, planned departure (decides the newest of an
 * order), delivered (a delivered_at and a clean POD) or not. */
static void load(struct cache *c, const char *lid, const char *oid, const char *status,
                 int64_t planned, int delivered)
{
	struct wb_load l;
	wb_entity_clear(WB_ENT_LOAD, &l);
	test_meta(&l.meta, lid, "tms", 1);
	l.number = lid + 2;
	l.order_id = oid;
	l.status = status;
	l.planned_departure = planned;
	if (delivered)
		l.delivered_at = NOW - 7200;
	test_put(c, WB_ENT_LOAD, &l);
	if (!delivered)
		return;
	char id[64];
	snprintf(id, sizeof(id), "POD-%s", lid);
	struct wb_pod p;
	wb_entity_clear(WB_ENT_POD, &p);
	test_meta(&p.meta, id, "tms", 1);
	p.load_id = lid;
	p.signed_by = "J. Doe";
	p.signed_at = NOW - 7000;
	p.exception_codes = "";
	test_put(c, WB_ENT_POD, &p);
}

static void order(struct cache *c, const char *oid, const char *number)
{
	struct wb_order o;
	wb_entity_clear(WB_ENT_ORDER, &o);
	test_meta(&o.meta, oid, "erp", 1);
	o.number = number;
	o.customer_id = "C-1";
	o.status = "confirmed";
	test_put(c, WB_ENT_ORDER, &o);
}

/* An invoice naming its load (lid) or only its order (lid NULL). */
static void invoice(struct cache *c, const char *iid, const char *lid, const char *oid,
                    const char *status, int64_t due)
{
	struct wb_invoice inv;
	wb_entity_clear(WB_ENT_INVOICE, &inv);
	test_meta(&inv.meta, iid, "erp", 1);
	inv.number = iid;
	inv.load_id = lid;
	inv.order_id = oid;
	inv.amount = 1000;
	inv.currency = "EUR";
	inv.status = status;
	inv.issued_at = lid ? NOW - 3600 : NOW; /* 1 h after delivery by load, 2 h by order */
	inv.due_at = due;
	test_put(c, WB_ENT_INVOICE, &inv);
}

static void charge(struct cache *c, const char *chid, const char *lid, const char *oid,
                   double amount, double rated)
{
	struct wb_charge ch;
	wb_entity_clear(WB_ENT_CHARGE, &ch);
	test_meta(&ch.meta, chid, "erp", 1);
	ch.load_id = lid;
	ch.order_id = oid;
	ch.code = "linehaul";
	ch.amount = amount;
	ch.rated_amount = rated;
	test_put(c, WB_ENT_CHARGE, &ch);
}

static void shipment(struct cache *c, const char *sid, const char *oid, const char *status,
                     int64_t planned)
{
	struct wb_shipment s;
	wb_entity_clear(WB_ENT_SHIPMENT, &s);
	test_meta(&s.meta, sid, "erp", 1);
	s.number = sid;
	s.order_id = oid;
	s.customer_id = "C-1";
	s.status = status;
	s.planned_at = planned;
	s.address = "Harbor Foods";
	test_put(c, WB_ENT_SHIPMENT, &s);
}

/*  INV-1  names L-1 (O-1): delivered, clean POD, charge by load    -> released
 *  INV-2  names only O-2 (L-2): the same, charge by order          -> released
 *  INV-3  names only O-3 (L-3): delivered, a charge by order 50%
 *         above its rate                                           -> held (charges)
 *  INV-4  names only O-4, whose only load L-4 is cancelled         -> not joined
 *  INV-5  names only O-5: L-5a delivered, L-5b (newer) cancelled,
 *         a charge by order                                        -> L-5a, released
 *  INV-6  names only O-6: L-6a delivered, L-6b (newer) planned     -> L-6b, waits
 *  INV-7  names only O-7 (L-7), disputed                           -> a dispute naming L-7 */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->c = test_cache_new(f->dir, sizeof(f->dir), f->path, sizeof(f->path));
	struct cache *c = f->c;
	struct wb_customer cu;
	wb_entity_clear(WB_ENT_CUSTOMER, &cu);
	test_meta(&cu.meta, "C-1", "erp", 1);
	cu.name = "Harbor Foods";
	test_put(c, WB_ENT_CUSTOMER, &cu);
	static const char *const orders[][2] = {{"O-1", "SO-1"}, {"O-2", "SO-2"}, {"O-3", "SO-3"},
	                                        {"O-4", "SO-4"}, {"O-5", "SO-5"}, {"O-6", "SO-6"},
	                                        {"O-7", "SO-7"}};
	for (size_t i = 0; i < 7; i++)
		order(c, orders[i][0], orders[i][1]);
	load(c, "L-1", "O-1", "invoiced", NOW - 86400, 1);
	load(c, "L-2", "O-2", "invoiced", NOW - 86400, 1);
	load(c, "L-3", "O-3", "invoiced", NOW - 86400, 1);
	load(c, "L-4", "O-4", "cancelled", NOW - 86400, 1);
	load(c, "L-5a", "O-5", "invoiced", NOW - 86400, 1);
	load(c, "L-5b", "O-5", "cancelled", NOW - 3600, 0);
	load(c, "L-6a", "O-6", "invoiced", NOW - 86400, 1);
	load(c, "L-6b", "O-6", "planned", NOW + 3600, 0);
	load(c, "L-7", "O-7", "invoiced", NOW - 86400, 1);
	charge(c, "CH-1", "L-1", NULL, 1000, 1000);
	charge(c, "CH-2", NULL, "O-2", 1000, 1000);
	charge(c, "CH-3", NULL, "O-3", 1500, 1000);
	charge(c, "CH-4", NULL, "O-4", 1500, 1000);
	charge(c, "CH-5", NULL, "O-5", 1000, 1000);
	invoice(c, "INV-1", "L-1", "O-1", "draft", NOW + 86400 * 30);
	invoice(c, "INV-2", NULL, "O-2", "draft", NOW + 86400 * 20);
	invoice(c, "INV-3", NULL, "O-3", "draft", NOW + 86400 * 10);
	invoice(c, "INV-4", NULL, "O-4", "draft", NOW + 86400 * 5);
	invoice(c, "INV-5", NULL, "O-5", "draft", NOW + 86400 * 40);
	invoice(c, "INV-6", NULL, "O-6", "draft", NOW + 86400 * 3);
	invoice(c, "INV-7", NULL, "O-7", "disputed", NOW + 86400 * 50);
	shipment(c, "SH-2", "O-2", "done", NOW - 86400);
	shipment(c, "SH-6a", "O-6", "done", NOW - 86400);
	shipment(c, "SH-6b", "O-6", "waiting", NOW + 3600);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	cache_close(f->c);
	test_rmdir(f->dir);
	free(f);
	return 0;
}

static int64_t count(struct fx *f, const char *sql)
{
	return test_count(f->c, sql);
}

static void pass(struct fx *f)
{
	struct wb_err err = {0};
	struct workflow_opts o = {.invoices = true};
	struct workflow_run_stats st;
	if (workflow_run(f->c, NULL, &o, NOW, &st, &err) != 0)
		fail_msg("workflow_run: %s", err.msg);
}

/* What the pass queued on invoice iid: "release_invoice", "hold_invoice" or "". */
static const char *queued(struct fx *f, const char *iid, char *buf, size_t len)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(cache_db(f->c),
	                                    "SELECT group_concat(action) FROM outbox"
	                                    " WHERE subject='invoice:'||?1",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	sqlite3_bind_text(st, 1, iid, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	const unsigned char *t = sqlite3_column_text(st, 0);
	snprintf(buf, len, "%s", t ? (const char *)t : "");
	sqlite3_finalize(st);
	return buf;
}

static void test_workflow_releases_by_order(void **state)
{
	struct fx *f = *state;
	pass(f);
	static const char *const want[][2] = {
	        {"INV-1", "release_invoice"}, /* by load, as before */
	        {"INV-2", "release_invoice"}, /* by order: the same */
	        {"INV-3", "hold_invoice"},    /* its charge by order counts */
	        {"INV-4", ""},                /* its only load is cancelled */
	        {"INV-5", "release_invoice"}, /* the newest not cancelled */
	        {"INV-6", ""},                /* the newest has not left */
	        {"INV-7", ""},                /* the customer's hold */
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char got[128];
		if (strcmp(queued(f, want[i][0], got, sizeof(got)), want[i][1]) != 0)
			fail_msg("%s: the pass queued \"%s\", expected \"%s\"", want[i][0], got,
			         want[i][1]);
	}
	assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE subject='invoice:INV-3'"
	                          " AND action='hold_invoice' AND reason LIKE '%charge%'"),
	                 1);
	/* The customer's dispute of an invoice by order names the load it bills. */
	assert_int_equal(count(f, "SELECT count(*) FROM exception WHERE kind='invoice_dispute'"
	                          " AND subject_id='INV-7' AND evidence LIKE '%for load L-7 %'"),
	                 1);
}

/* `waybill release` and the console's r judge an invoice by the same gate:
 * by order it finds the load, its POD and its charges. */
static void test_gate_by_order(void **state)
{
	struct fx *f = *state;
	struct app_result r;
	struct app_ctx x = {
	        .cache = f->c, .actor = {.user = "ann", .role = CORE_ROLE_SUPERVISOR}, .now = NOW};
	app_release(&x, "INV-2", NULL, &r);
	if (r.outcome != APP_QUEUED)
		fail_msg("INV-2 by order: not queued: %s", r.nwhy ? r.why[0] : "?");
	app_release(&x, "INV-3", NULL, &r);
	assert_int_not_equal(r.outcome, APP_QUEUED);
	assert_int_equal(r.refusal, APP_R_GATE);
	app_release(&x, "INV-4", NULL, &r);
	assert_int_not_equal(r.outcome, APP_QUEUED);
	if (!r.nwhy || !strstr(r.why[0], "not in the cache"))
		fail_msg("INV-4: expected its load not found, got \"%s\"", r.nwhy ? r.why[0] : "");
}

static void test_reads_by_order(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct wb_load l;
	char *s = NULL;
	assert_int_equal(cache_billed_load(f->c, NULL, "O-2", &l, &s, &err), 0);
	assert_string_equal(l.meta.id, "L-2");
	free(s);
	assert_int_equal(cache_billed_load(f->c, NULL, "O-5", &l, &s, &err), 0);
	assert_string_equal(l.meta.id, "L-5a");
	free(s);
	assert_int_equal(cache_billed_load(f->c, NULL, "O-6", &l, &s, &err), 0);
	assert_string_equal(l.meta.id, "L-6b");
	free(s);
	assert_int_equal(cache_billed_load(f->c, NULL, "O-4", &l, &s, &err), WB_ENOTFOUND);
	assert_int_equal(cache_billed_load(f->c, "L-1", "O-9", &l, &s, &err), 0);
	assert_string_equal(l.meta.id, "L-1"); /* load_id wins */
	free(s);

	void *rows;
	size_t n;
	assert_int_equal(cache_billed_list(f->c, WB_ENT_CHARGE, "L-3", 10, &rows, &n, &s, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(((struct wb_charge *)rows)->meta.id, "CH-3");
	free(rows);
	free(s);
	/* Nothing joins across a cancelled load. */
	assert_int_equal(cache_billed_list(f->c, WB_ENT_CHARGE, "L-4", 10, &rows, &n, &s, &err), 0);
	assert_int_equal(n, 0);
	free(rows);
	free(s);
	assert_int_equal(cache_billed_list(f->c, WB_ENT_INVOICE, "L-5b", 10, &rows, &n, &s, &err),
	                 0);
	assert_int_equal(n, 0);
	free(rows);
	free(s);
	assert_int_equal(cache_billed_list(f->c, WB_ENT_INVOICE, "L-5a", 10, &rows, &n, &s, &err),
	                 0);
	assert_int_equal(n, 1);
	free(rows);
	free(s);
}

/* charge_out_of_tolerance is the load's, whether its charge names the load or the order. */
static void test_detector_by_order(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct detect_run_stats st;
	if (detect_run(f->c, NULL, NULL, NOW, &st, &err) != 0)
		fail_msg("detect_run: %s", err.msg);
	assert_int_equal(count(f, "SELECT count(*) FROM exception WHERE"
	                          " kind='charge_out_of_tolerance' AND subject_id='L-3'"
	                          " AND related_id='CH-3'"),
	                 1);
	assert_int_equal(count(f, "SELECT count(*) FROM exception WHERE"
	                          " kind='charge_out_of_tolerance' AND subject_id!='L-3'"),
	                 0);
}

/* The invoice cycle (delivered to issued) counts an invoice by order. */
static void test_kpi_by_order(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct kpi_figures full, inc;
	if (kpi_full(f->c, NOW, -1, &full, &err) != 0)
		fail_msg("kpi_full: %s", err.msg);
	if (kpi_run_figures(f->c, NOW, NULL, &inc, NULL, &err) != 0)
		fail_msg("kpi_run_figures: %s", err.msg);
	/* L-1 invoiced 1 h after delivery by load; L-2, L-3, L-5a and L-7 2 h after
	 * by order: (3600 + 4 * 7200) / 5, alike in the full recompute and the
	 * incremental state. */
	if (fabs(full.invoice_cycle_s - 6480) > 1 || fabs(inc.invoice_cycle_s - 6480) > 1)
		fail_msg("invoice cycle: full %.0f s, incremental %.0f s, expected 6480 s",
		         full.invoice_cycle_s, inc.invoice_cycle_s);
	kpi_figures_free(&full);
	kpi_figures_free(&inc);
}

/* The Billing board: each invoice's load and shipment, and drafts of
 * delivered loads first. */
static void test_board(void **state)
{
	struct fx *f = *state;
	char sql[4096];
	snprintf(sql, sizeof(sql),
	         "SELECT group_concat(id||':'||coalesce(load_no,'-')||':'||coalesce(ship,'-')"
	         "||':'||coalesce(order_no,'-')||':'||coalesce(customer,'-'), ' ')"
	         " FROM (SELECT * FROM %s ORDER BY attention, id)",
	         view_billing_ops.board->from);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(cache_db(f->c), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	const char *got = (const char *)sqlite3_column_text(st, 0);
	/* Drafts of delivered loads by due date, then the disputed one, then the
	 * rest (INV-4: no load, INV-6: its load has not left). */
	const char *want = "INV-3:3:-:SO-3:Harbor Foods INV-2:2:done:SO-2:Harbor Foods"
	                   " INV-1:1:-:SO-1:Harbor Foods INV-5:5a:-:SO-5:Harbor Foods"
	                   " INV-7:7:-:SO-7:Harbor Foods"
	                   " INV-6:6b:waiting:SO-6:Harbor Foods INV-4:-:-:SO-4:Harbor Foods";
	if (!got || strcmp(got, want) != 0)
		fail_msg("board rows:\n  got  %s\n  want %s", got ? got : "(none)", want);
	sqlite3_finalize(st);
}

/* The detail panes: a load shows its order, shipments and invoice by order;
 * an invoice its load, order, customer, shipments and charges. */
static void test_details(void **state)
{
	struct fx *f = *state;
	struct wb_err err = {0};
	struct cache_detail d;
	assert_int_equal(cache_detail(f->c, "load", "L-2", &d, &err), 0);
	int order = 0, ship = 0, inv = 0;
	for (int i = 0; i < d.nrecs; i++) {
		order += !strcmp(d.recs[i].section, "order");
		ship += !strcmp(d.recs[i].section, "shipment");
		inv += !strcmp(d.recs[i].section, "invoice") && d.recs[i].vals[0].t == CV_TEXT &&
		       !strcmp(d.recs[i].vals[0].s, "INV-2");
	}
	cache_detail_free(&d);
	assert_int_equal(order, 1);
	assert_int_equal(ship, 1);
	assert_int_equal(inv, 1);

	assert_int_equal(cache_detail(f->c, "invoice", "INV-3", &d, &err), 0);
	const char *sections[] = {"invoice", "order", "customer", "charge"};
	for (size_t k = 0; k < 4; k++) {
		int seen = 0;
		for (int i = 0; i < d.nrecs; i++)
			seen += !strcmp(d.recs[i].section, sections[k]);
		if (seen != 1)
			fail_msg("INV-3's detail: %d %s records, expected 1", seen, sections[k]);
	}
	cache_detail_free(&d);
	/* An order split over two loads: both shipments. */
	assert_int_equal(cache_detail(f->c, "invoice", "INV-6", &d, &err), 0);
	int ships = 0;
	for (int i = 0; i < d.nrecs; i++)
		ships += !strcmp(d.recs[i].section, "shipment");
	cache_detail_free(&d);
	assert_int_equal(ships, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_workflow_releases_by_order, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_gate_by_order, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reads_by_order, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_detector_by_order, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_kpi_by_order, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_board, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_details, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
