/* The tryton kind on answers captured from a real trytond 6.0
 * (tests/fixtures/tryton/, recorded from a database seeded through its API):
 * every stream's page and records, Tryton's values, the cursor, signing in,
 * the release's answer and read-back, who-am-I and doctor. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "connectors/tryton_internal.h"

#define JSON_CT "application/json"
#define SECRET "s3cr3t-Pa55word"

static const struct connector_login who = {
        .database = "probe", .user = "admin", .password = SECRET};

static char *fixture(const char *name, size_t *len)
{
	return test_fixture("tryton", name, len);
}

static struct connector_answer answer(long status, const char *ct, const char *body)
{
	return (struct connector_answer){
	        .status = status, .content_type = ct, .body = body, .body_len = strlen(body)};
}

static const struct connector_stream *stream(const char *name)
{
	const struct connector_ops *k = connector_find("tryton");
	assert_non_null(k);
	const struct connector_stream *s = connector_stream(k, "erp", name);
	if (!s)
		fail_msg("no erp stream %s", name);
	return s;
}

/* Reads a captured page asked with cursor; returns the canonical page. */
static json_t *read_page(const char *stream_name, const char *cursor, const char *file)
{
	size_t len;
	char *body = fixture(file, &len);
	struct connector_answer a = answer(200, JSON_CT, body);
	json_t *page = NULL;
	struct wb_err err = {0};
	if (tryton_page_read(stream(stream_name), cursor, &a, &page, &err) != 0)
		fail_msg("%s: %s", file, err.msg);
	free(body);
	return page;
}

static json_t *record(json_t *page, const char *key, json_int_t id)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(page, "data"), i,
	                   r) if (json_integer_value(json_object_get(r, key)) == id) return r;
	fail_msg("no record %s=%lld", key, (long long)id);
	return NULL;
}

static void map(const char *stream_name, json_t *rec, void *row)
{
	struct wb_err err = {0};
	if (tryton_map_record(stream(stream_name), "erp", rec, row, &err) != 0)
		fail_msg("%s: %s", stream_name, err.msg);
}

/* --- streams and pages ------------------------------------------------------ */

static void test_streams(void **state)
{
	size_t n;
	const struct connector_stream *s = tryton_streams("erp", &n);
	assert_int_equal(n, 5);
	assert_string_equal(s[0].name, "customers");
	assert_string_equal(s[4].name, "shipments");
	assert_int_equal(s[4].entity, WB_ENT_SHIPMENT);
	assert_non_null(tryton_streams("tms", &n) == NULL ? "" : NULL);
	assert_int_equal(n, 0);
	assert_int_equal(tryton_sweep_s(&s[1]), TRYTON_SWEEP_S);
}

static void test_page_request_full_and_incremental(void **state)
{
	struct connector_call call;
	struct wb_err err = {0};
	assert_int_equal(tryton_page_request(stream("customers"), &who, "", 50, &call, &err), 0);
	assert_string_equal(call.method, "POST");
	assert_string_equal(call.path, "/probe/");
	assert_int_equal(json_integer_value(json_object_get(call.body, "id")), 50);
	assert_string_equal(json_string_value(json_object_get(call.body, "method")),
	                    "model.party.party.search_read");
	json_t *p = json_object_get(call.body, "params");
	assert_int_equal(json_array_size(json_array_get(p, 0)), 0); /* a full pass: no filter */
	assert_int_equal(json_integer_value(json_array_get(p, 2)), 50);
	/* archived customers are read, so the sweep does not take them for deleted */
	assert_true(json_is_false(json_object_get(json_array_get(p, 5), "active_test")));
	json_decref(call.body);

	assert_int_equal(tryton_page_request(stream("orders"), &who,
	                                     "tryton1:orders:1796307900000:40:1796307941143", 5,
	                                     &call, &err),
	                 0);
	char *body = json_dumps(call.body, JSON_COMPACT);
	assert_non_null(strstr(body, "[\"number\",\"!=\",null],[\"id\",\">\",40],[\"OR\","
	                             "[\"write_date\",\">=\",{\"__class__\":\"datetime\","
	                             "\"year\":2026,\"month\":12,\"day\":3,\"hour\":14,"
	                             "\"minute\":25,\"second\":0,\"microsecond\":0}]"));
	assert_non_null(strstr(body, "[\"lines.write_date\",\">=\""));
	free(body);
	json_decref(call.body);

	/* the database goes into the path: only a plain name */
	struct connector_login bad = who;
	bad.database = "../x";
	assert_int_equal(tryton_page_request(stream("orders"), &bad, "", 5, &call, &err),
	                 WB_EINVALID);
	bad.database = NULL;
	assert_int_equal(tryton_page_request(stream("orders"), &bad, "", 5, &call, &err),
	                 WB_EINVALID);
	assert_non_null(strstr(err.msg, "no \"database\""));
}

static void test_customers(void **state)
{
	json_t *page = read_page("customers", "", "customers_page1.json");
	/* four records for a limit of four: there may be more, after the last id */
	assert_true(json_is_true(json_object_get(page, "has_more")));
	assert_string_equal(json_string_value(json_object_get(page, "next")),
	                    "tryton1:customers:0:4:1796307369287");
	struct wb_customer c;
	map("customers", record(page, "id", 3), &c);
	assert_string_equal(c.meta.id, "C-1");
	assert_string_equal(c.meta.ext_id, "C-1");
	assert_string_equal(c.meta.source, "erp");
	assert_string_equal(c.name, "Harbor Foods");
	assert_int_equal(c.meta.ext_version, 1796307369287); /* create_date, write_date null */
	assert_int_equal(c.payment_terms_days, WB_NULL);
	assert_true(isnan(c.credit_limit));
	json_decref(page);

	page = read_page("customers", "tryton1:customers:0:8:1796307369287",
	                 "customers_page_archived.json");
	assert_true(json_is_false(json_object_get(page, "has_more")));
	map("customers", record(page, "id", 10), &c); /* archived: still there */
	assert_string_equal(c.meta.id, "C-8");
	json_decref(page);

	page = read_page("customers", "", "customers_with_term.json");
	map("customers", record(page, "id", 3), &c);
	assert_int_equal(c.payment_terms_days, 30);
	assert_int_equal(c.meta.ext_version, 1796307897259); /* write_date now */
	json_decref(page);
}

static void test_orders(void **state)
{
	json_t *page = read_page("orders", "", "orders_page1.json");
	assert_true(json_is_true(json_object_get(page, "has_more")));
	struct wb_order o;
	map("orders", record(page, "id", 1), &o);
	assert_string_equal(o.meta.id, "O-1");
	assert_string_equal(o.number, "O-1");
	assert_string_equal(o.customer_id, "C-6");
	assert_string_equal(o.currency, "EUR");
	assert_true(o.total == 426.00);
	assert_int_equal(o.ordered_at, 1736121600); /* sale_date 2025-01-06 */
	assert_int_equal(o.requested_at, WB_NULL);  /* no shipping date */
	assert_string_equal(o.status, "in_progress");
	json_decref(page);

	page = read_page("orders", "tryton1:orders:0:26:1796307429102", "orders_last_page.json");
	assert_true(json_is_false(json_object_get(page, "has_more")));
	/* the next pass: from the newest stamp less the overlap, ids from 0 */
	char want[96];
	snprintf(want, sizeof(want), "tryton1:orders:%lld:0:%lld",
	         1796307429102LL - TRYTON_OVERLAP_MS, 1796307429102LL);
	assert_string_equal(json_string_value(json_object_get(page, "next")), want);
	static const struct {
		json_int_t id;
		const char *status;
	} states[] = {{27, "delivered"}, {28, "in_progress"}, {32, "invoiced"}, {33, "open"}};
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		map("orders", record(page, "id", states[i].id), &o);
		assert_string_equal(o.status, states[i].status);
	}
	/* a sale's version is its newest date, its lines' included: a line
	 * edited on its own changes the order's total */
	json_t *r = record(page, "id", 40);
	map("orders", r, &o);
	assert_int_equal(o.meta.ext_version, 1796307370208); /* its write_date */
	json_t *line = json_array_get(json_object_get(r, "lines."), 1);
	json_object_set_new(line, "write_date",
	                    json_loads("{\"__class__\":\"datetime\",\"year\":2026,\"month\":12,"
	                               "\"day\":3,\"hour\":15,\"minute\":0,\"second\":0,"
	                               "\"microsecond\":0}",
	                               0, NULL));
	map("orders", r, &o);
	assert_int_equal(o.meta.ext_version, 1796310000000);
	json_decref(page);
}

static void test_invoices(void **state)
{
	json_t *page = read_page("invoices", "", "invoices_all.json");
	assert_true(json_is_false(json_object_get(page, "has_more")));
	struct wb_invoice inv;
	map("invoices", record(page, "id", 1), &inv);
	assert_string_equal(inv.meta.id, "INV-1");
	assert_null(inv.number); /* a draft has no number yet */
	assert_string_equal(inv.status, "draft");
	assert_string_equal(inv.customer_id, "C-6");
	assert_string_equal(inv.order_id, "O-1"); /* the sale it came from */
	assert_null(inv.load_id);                 /* the TMS's, met through the order */
	assert_true(inv.amount == 426.00);
	assert_int_equal(inv.issued_at, WB_NULL);
	map("invoices", record(page, "id", 6), &inv);
	assert_string_equal(inv.status, "draft"); /* validated: pro forma, not released */
	map("invoices", record(page, "id", 7), &inv);
	assert_string_equal(inv.status, "cancelled");
	map("invoices", record(page, "id", 32), &inv);
	assert_string_equal(inv.status, "released");
	assert_string_equal(inv.number, "INV-2026-000001");
	assert_int_equal(inv.issued_at, 1796256000);
	assert_int_equal(inv.due_at, 1798848000); /* 2027-01-02, 30 days */
	assert_int_equal(inv.paid_at, WB_NULL);
	map("invoices", record(page, "id", 28), &inv);
	assert_string_equal(inv.status, "paid");
	assert_true(inv.amount == 762.00);
	assert_int_equal(inv.paid_at, 1796256000);
	json_decref(page);
}

static void test_charges(void **state)
{
	json_t *page = read_page("charges", "", "charges_page1.json");
	struct wb_charge ch;
	map("charges", record(page, "id", 1), &ch);
	assert_string_equal(ch.meta.id, "IL-1");
	assert_string_equal(ch.code, "Linehaul"); /* no product code: its name */
	assert_string_equal(ch.origin, "erp");
	assert_string_equal(ch.order_id, "O-1");
	assert_true(ch.amount == 240.00);
	assert_true(ch.rated_amount == 240.00);
	map("charges", record(page, "id", 3), &ch);
	assert_true(ch.amount == 126.00);
	assert_true(ch.rated_amount == 126.00); /* 3 x the sale's 42 */
	/* a line billed above the order's price shows against its rate */
	json_t *r = record(page, "id", 4);
	json_object_set_new(r, "amount",
	                    json_pack("{s:s, s:s}", "__class__", "Decimal", "decimal", "31.25"));
	map("charges", r, &ch);
	assert_true(ch.amount == 31.25);
	assert_true(ch.rated_amount == 25.00);
	json_decref(page);
}

static void test_shipments(void **state)
{
	json_t *page = read_page("shipments", "", "shipments_all.json");
	assert_true(json_is_false(json_object_get(page, "has_more")));
	struct wb_shipment sh;
	map("shipments", record(page, "id", 1), &sh);
	assert_string_equal(sh.meta.id, "1");
	assert_string_equal(sh.number, "1");
	assert_string_equal(sh.order_id, "O-1");
	assert_string_equal(sh.customer_id, "C-6");
	assert_string_equal(sh.status, "picked");
	assert_string_equal(sh.carrier, "Depot Fleet");
	assert_string_equal(sh.address, "6 Quay Road, 01035 Porto");
	assert_int_equal(sh.planned_at, 1796256000);
	assert_int_equal(sh.effective_at, WB_NULL);
	map("shipments", record(page, "id", 3), &sh);
	assert_string_equal(sh.status, "done");
	assert_int_equal(sh.effective_at, 1796256000);
	json_t *r = record(page, "id", 4);
	json_object_set_new(r, "state", json_string("lost"));
	struct wb_err err = {0};
	assert_int_equal(tryton_map_record(stream("shipments"), "erp", r, &sh, &err), WB_EINVALID);
	assert_non_null(strstr(err.msg, "shipments 4: state \"lost\" of stock.shipment.out"));
	json_decref(page);
}

static void test_unknown_state_is_refused(void **state)
{
	json_t *page = read_page("invoices", "", "invoices_all.json");
	json_t *r = record(page, "id", 32);
	json_object_set_new(r, "state", json_string("frozen"));
	struct wb_invoice inv;
	struct wb_err err = {0};
	assert_int_equal(tryton_map_record(stream("invoices"), "erp", r, &inv, &err), WB_EINVALID);
	assert_string_equal(
	        err.msg, "invoices INV-32: state \"frozen\" of account.invoice is not one Waybill "
	                 "knows (draft, validated, posted, paid, cancelled); the record is not "
	                 "stored");
	r = record(page, "id", 1);
	json_object_set_new(r, "total_amount",
	                    json_pack("{s:s, s:s}", "__class__", "Decimal", "decimal", "NaN"));
	assert_int_equal(tryton_map_record(stream("invoices"), "erp", r, &inv, &err), WB_EINVALID);
	assert_non_null(strstr(err.msg, "invoices INV-1: amount: \"NaN\""));
	json_decref(page);

	page = read_page("orders", "", "orders_page1.json");
	r = record(page, "id", 1);
	json_object_set_new(r, "number", json_null());
	struct wb_order o;
	assert_int_equal(tryton_map_record(stream("orders"), "erp", r, &o, &err), WB_EINVALID);
	assert_string_equal(err.msg, "orders: sale.sale 1 has no usable number");
	json_decref(page);
}

/* --- paging ------------------------------------------------------------------ */

static void test_idle_source_ends_the_pass(void **state)
{
	/* Nothing new: the pass ends where it began, which the engine accepts for
	 * a last page (has_more false). */
	const char *cur = "tryton1:orders:1796307821143:0:1796307941143";
	struct connector_answer a = answer(200, JSON_CT, "{\"id\":50,\"result\":[]}");
	json_t *page;
	struct wb_err err = {0};
	assert_int_equal(tryton_page_read(stream("orders"), cur, &a, &page, &err), 0);
	assert_true(json_is_false(json_object_get(page, "has_more")));
	assert_string_equal(json_string_value(json_object_get(page, "next")), cur);
	json_decref(page);
	/* the overlap's records come again: same cursor, same versions */
	page = read_page("orders", cur, "orders_since.json");
	assert_true(json_is_false(json_object_get(page, "has_more")));
	assert_string_equal(json_string_value(json_object_get(page, "next")), cur);
	json_decref(page);
}

static void test_bad_pages(void **state)
{
	json_t *page;
	struct wb_err err = {0};
	static const struct {
		long status;
		const char *body, *says;
	} cases[] = {
	        {200, "{\"id\":5,\"error\":[\"UserError\",[\"You are not allowed\",\"\",null]]}",
	         "the orders page: Tryton refused it: You are not allowed"},
	        {200, "<html>", "not a JSON-RPC object"},
	        {200, "{\"id\":5}", "no \"result\""},
	        {200, "{\"result\":[]}", "without a \"result\" list or the request's id"},
	        {200, "{\"id\":1,\"result\":[{\"id\":3},{\"id\":4}]}",
	         "2 records for a limit of 1"},
	        {200, "{\"id\":5,\"result\":[{\"id\":3},{\"id\":3}]}",
	         "record 1 has no id above 3"},
	        {200, "{\"id\":5,\"result\":[{\"id\":3}]}", "record 0 has no id above 9"},
	        {500, "<html>", "Tryton answered HTTP 500"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct connector_answer a = answer(cases[i].status, JSON_CT, cases[i].body);
		const char *cur = i == 6 ? "tryton1:orders:0:9:0" : "";
		assert_int_equal(tryton_page_read(stream("orders"), cur, &a, &page, &err),
		                 WB_EINVALID);
		if (!strstr(err.msg, cases[i].says))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, cases[i].says);
		assert_null(page);
	}
}

static void test_cursor(void **state)
{
	struct tryton_cursor c = {1796307821143, 40, 1796307941143}, back;
	char s[TRYTON_CURSOR_MAX + 1];
	struct wb_err err = {0};
	tryton_cursor_format("orders", &c, s, sizeof(s));
	assert_string_equal(s, "tryton1:orders:1796307821143:40:1796307941143");
	assert_int_equal(tryton_cursor_parse("orders", s, &back, &err), 0);
	assert_memory_equal(&c, &back, sizeof(c));
	assert_int_equal(tryton_cursor_parse("orders", "", &back, &err), 0);
	assert_int_equal(back.since_ms + back.after_id + back.hi_ms, 0);
	static const char *const bad[] = {
	        "tryton1:invoices:0:0:0",                             /* another stream's */
	        "after=L-1042",                                       /* another kind's */
	        "tryton1:orders:0:0",                                 /* cut */
	        "tryton1:orders:0:0:0:0",                             /* trailing */
	        "tryton1:orders:01:0:1",                              /* leading zero */
	        "tryton1:orders:-1:0:0",                              /* a sign */
	        "tryton1:orders:5:0:4",                               /* since after the newest */
	        "tryton1:orders:1234567890123456:0:1234567890123456", /* too many digits */
	        "tryton2:orders:0:0:0",                               /* another version */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tryton_cursor_parse("orders", bad[i], &back, &err) != WB_EINVALID)
			fail_msg("cursor \"%s\" was accepted", bad[i]);
		assert_non_null(strstr(err.msg, "is not a cursor of Tryton's orders stream"));
	}
	/* a foreign cursor fails the request and the read alike */
	struct connector_call call;
	assert_int_equal(
	        tryton_page_request(stream("orders"), &who, "after=L-1042", 5, &call, &err),
	        WB_EINVALID);
	struct connector_answer a = answer(200, JSON_CT, "{\"id\":5,\"result\":[]}");
	json_t *page;
	assert_int_equal(tryton_page_read(stream("orders"), "x", &a, &page, &err), WB_EINVALID);
}

/* --- values ------------------------------------------------------------------ */

static json_t *dec(const char *s)
{
	return json_pack("{s:s, s:s}", "__class__", "Decimal", "decimal", s);
}

static void test_values(void **state)
{
	static const struct {
		const char *s;
		int64_t cents;
	} ok[] = {{"12.50", 1250}, {"25.0000", 2500},
	          {"-3.10", -310}, {"1E+2", 10000},
	          {"0", 0},        {"0.00", 0},
	          {"7", 700},      {"999999999999.99", 99999999999999}};
	struct wb_err err = {0};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		json_t *v = dec(ok[i].s);
		int64_t c = -1;
		assert_int_equal(tryton_decimal_cents(v, false, &c, &err), 0);
		assert_int_equal(c, ok[i].cents);
		json_decref(v);
	}
	static const char *const bad[] = {
	        "NaN", "Infinity", "0.005", "1.2.3", "", "12a", "1234567890123456789012"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *v = dec(bad[i]);
		int64_t c;
		if (tryton_decimal_cents(v, false, &c, &err) == 0)
			fail_msg("\"%s\" was read as %lld cents", bad[i], (long long)c);
		json_decref(v);
	}
	json_t *v = dec("0.125");
	int64_t c;
	assert_int_equal(tryton_decimal_cents(v, true, &c, &err), 0);
	assert_int_equal(c, 13); /* half away from zero, when asked */
	json_decref(v);
	v = dec("-0.125");
	assert_int_equal(tryton_decimal_cents(v, true, &c, &err), 0);
	assert_int_equal(c, -13);
	json_decref(v);
	json_t *up = dec("25.0000");
	assert_true(fabs(tryton_decimal_double(up) - 25.0) < 1e-12);
	json_decref(up);

	int64_t ms;
	json_t *dt = json_loads("{\"__class__\":\"datetime\",\"year\":2026,\"month\":12,\"day\":3,"
	                        "\"hour\":14,\"minute\":16,\"second\":9,\"microsecond\":287417}",
	                        0, NULL);
	assert_int_equal(tryton_time_ms(dt, &ms), 0);
	assert_int_equal(ms, 1796307369287);
	json_t *back = tryton_datetime_new(ms);
	assert_int_equal(json_integer_value(json_object_get(back, "microsecond")), 287000);
	assert_int_equal(json_integer_value(json_object_get(back, "hour")), 14);
	json_decref(back);
	json_decref(dt);
	json_t *d =
	        json_loads("{\"__class__\":\"date\",\"year\":2027,\"month\":1,\"day\":2}", 0, NULL);
	assert_int_equal(tryton_time_ms(d, &ms), 0);
	assert_int_equal(ms, 1798848000000);
	json_decref(d);
	d = json_loads("{\"__class__\":\"date\",\"year\":2027,\"month\":2,\"day\":31}", 0, NULL);
	assert_int_equal(tryton_time_ms(d, &ms), -1); /* no such day */
	json_decref(d);
	assert_int_equal(tryton_time_ms(json_null(), &ms), -1);
	assert_int_equal(tryton_time_ms(NULL, &ms), -1);
	json_t *rec = json_loads("{\"write_date\":null,\"create_date\":null}", 0, NULL);
	assert_int_equal(tryton_stamp_ms(rec, NULL), 0);
	json_decref(rec);
	json_t *one = json_integer(1), *zero = json_integer(0);
	assert_true(tryton_truthy(one));
	assert_false(tryton_truthy(zero));
	json_decref(one);
	json_decref(zero);
}

/* --- signing in -------------------------------------------------------------- */

static void test_login(void **state)
{
	const struct connector_ops *k = connector_find("tryton");
	struct connector_call call;
	struct wb_err err = {0};
	assert_int_equal(k->login_request(&who, &call, &err), 0);
	assert_string_equal(call.path, "/probe/");
	assert_null(strstr(call.path, SECRET));
	char *b = json_dumps(call.body, JSON_COMPACT);
	assert_string_equal(b, "{\"id\":1,\"method\":\"common.db.login\",\"params\":[\"admin\","
	                       "{\"password\":\"" SECRET "\"}]}");
	free(b);
	json_decref(call.body);

	size_t len;
	char *body = fixture("login_ok.json", &len);
	struct connector_answer a = answer(200, JSON_CT, body);
	struct connector_session ses;
	assert_int_equal(k->login_read(&who, &a, &ses, &err), 0);
	assert_int_equal(ses.user_id, 1);
	const char *pre = "Authorization: Session ";
	assert_int_equal(strncmp(ses.header, pre, strlen(pre)), 0);
	unsigned char plain[512];
	const char *b64 = ses.header + strlen(pre);
	int n = EVP_DecodeBlock(plain, (const unsigned char *)b64, (int)strlen(b64));
	assert_true(n > 0);
	plain[n] = '\0';
	assert_string_equal((char *)plain, "admin:1:d075ecbe9fc0877fa416f178d333fba0a36bc8fc0af221f"
	                                   "e8db9e2f969601758");
	assert_null(strstr(ses.header, SECRET));
	free(body);
}

static void test_login_refusals_never_show_the_password(void **state)
{
	const struct connector_ops *k = connector_find("tryton");
	size_t len;
	char *html = fixture("login_refused_401.html", &len);
	char *ask = fixture("login_asks_password.json", &len);
	static const char *const odd[] = {"{\"id\":1,\"result\":[1]}", "{\"id\":1,\"result\":null}",
	                                  "{\"id\":1,\"result\":[0,\"k\"]}", "[]", ""};
	struct {
		long status;
		const char *ct, *body, *says;
		int code;
	} cases[] = {
	        {401, "text/html", html, "refused the sign-in of \"admin\" on database probe",
	         WB_EDENIED},
	        {200, JSON_CT, ask, "Password for admin", WB_EINVALID},
	        {429, "text/html", "", "too many failures", WB_EDENIED},
	        {404, "text/html", "", "no database probe", WB_EINVALID},
	        {200, JSON_CT, odd[0], "not [user_id, session]", WB_EINVALID},
	        {200, JSON_CT, odd[1], "not [user_id, session]", WB_EINVALID},
	        {200, JSON_CT, odd[2], "not [user_id, session]", WB_EINVALID},
	        {200, JSON_CT, odd[3], "not a JSON-RPC object", WB_EINVALID},
	        {200, JSON_CT, odd[4], "not a JSON-RPC object", WB_EINVALID},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct connector_answer a = answer(cases[i].status, cases[i].ct, cases[i].body);
		struct connector_session ses;
		struct wb_err err = {0};
		assert_int_equal(k->login_read(&who, &a, &ses, &err), cases[i].code);
		if (!strstr(err.msg, cases[i].says))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, cases[i].says);
		assert_null(strstr(err.msg, SECRET));
		assert_string_equal(ses.header, "");
	}
	/* a login with a colon cannot go into the session header */
	struct connector_login colon = who;
	colon.user = "ad:min";
	size_t olen;
	char *okb = fixture("login_ok.json", &olen);
	struct connector_answer oka = answer(200, JSON_CT, okb);
	struct connector_session cs;
	struct wb_err cerr = {0};
	assert_int_equal(k->login_read(&colon, &oka, &cs, &cerr), WB_EINVALID);
	assert_non_null(strstr(cerr.msg, "holds a \":\""));
	free(okb);
	/* nor do the requests' own refusals */
	struct connector_login nopass = who;
	nopass.user = NULL;
	struct connector_call call;
	struct wb_err err = {0};
	assert_int_equal(k->login_request(&nopass, &call, &err), WB_EINVALID);
	assert_null(strstr(err.msg, SECRET));
	free(html);
	free(ask);
}

static void test_session_lost(void **state)
{
	const struct connector_ops *k = connector_find("tryton");
	size_t len;
	char *forbidden = fixture("forbidden_403.html", &len);
	struct connector_answer expired = answer(401, "text/html; charset=utf-8", "");
	struct connector_answer denied = answer(403, "text/html; charset=utf-8", forbidden);
	struct connector_answer fine = answer(200, JSON_CT, "{\"id\":1,\"result\":[]}");
	assert_true(k->session_lost(&expired));
	assert_false(k->session_lost(&denied));
	assert_false(k->session_lost(&fine));
	free(forbidden);
}

/* --- actions ----------------------------------------------------------------- */

static void test_action_calls(void **state)
{
	const struct connector_ops *k = connector_find("tryton");
	struct connector_call call;
	struct wb_err err = {0};
	assert_int_equal(k->action_call("release_invoice", "INV-32", NULL, &who, &call, &err), 0);
	char *b = json_dumps(call.body, JSON_COMPACT);
	assert_string_equal(b, "{\"id\":1,\"method\":\"model.account.invoice.post\",\"params\":[["
	                       "32],{}]}");
	free(b);
	json_decref(call.body);
	assert_string_equal(call.path, "/probe/");
	assert_int_equal(k->action_call("hold_invoice", "INV-32", NULL, &who, &call, &err),
	                 WB_ENOTFOUND);
	assert_non_null(strstr(err.msg, "Tryton has no hold state for an invoice"));
	assert_int_equal(k->action_call("release_load", "L-1", NULL, &who, &call, &err),
	                 WB_ENOTFOUND);
	static const char *const bad[] = {"INV-", "INV-0", "INV-12a", "IL-3", "INV-1/../2", NULL};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(k->action_call("release_invoice", bad[i], NULL, &who, &call, &err),
		                 WB_EINVALID);
	/* the plain action op cannot build it without the database */
	assert_int_equal(k->action("release_invoice", "INV-32", NULL, &call, &err), WB_EINVALID);
	assert_int_equal(k->verify_request("release_invoice", "INV-32", &who, &call, &err), 0);
	b = json_dumps(call.body, JSON_COMPACT);
	assert_non_null(strstr(b, "model.account.invoice.search_read\",\"params\":[[[\"id\",\"=\","
	                          "32]]"));
	free(b);
	json_decref(call.body);
}

static enum connector_verdict verdict(bool verify, long status, const char *ct, const char *file,
                                      char *msg, size_t mlen)
{
	const struct connector_ops *k = connector_find("tryton");
	size_t len;
	char *body = file[0] == '<' || file[0] == '{' ? strdup(file) : fixture(file, &len);
	struct connector_answer a = answer(status, ct, body);
	enum connector_verdict v =
	        verify ? k->verify_read("release_invoice", "INV-1", &a, msg, mlen)
	               : k->result("release_invoice", "INV-1", &a, msg, mlen);
	free(body);
	return v;
}

static void test_post_and_read_back(void **state)
{
	char msg[300];
	assert_int_equal(verdict(false, 200, JSON_CT, "post_ok.json", msg, sizeof(msg)),
	                 CONNECTOR_CONFIRMED);
	assert_string_equal(msg, "");
	assert_int_equal(verdict(false, 200, JSON_CT, "post_error.json", msg, sizeof(msg)),
	                 CONNECTOR_REFUSED);
	assert_string_equal(msg, "You are not allowed to read records \"99999\" of \"Invoice\" "
	                         "because of at least one of these rules: User in companies");
	assert_int_equal(verdict(false, 200, "text/html", "<html><title>Sign in</title></html>",
	                         msg, sizeof(msg)),
	                 CONNECTOR_UNRECOGNISED);
	assert_int_equal(
	        verdict(false, 401, "text/html", "login_refused_401.html", msg, sizeof(msg)),
	        CONNECTOR_UNRECOGNISED);
	assert_int_equal(
	        verdict(false, 200, JSON_CT, "{\"id\":1,\"result\":[1]}", msg, sizeof(msg)),
	        CONNECTOR_UNRECOGNISED);
	assert_int_equal(verdict(false, 200, JSON_CT, "{\"data\":null}", msg, sizeof(msg)),
	                 CONNECTOR_UNRECOGNISED);

	/* the read-back decides the delivery */
	assert_int_equal(verdict(true, 200, JSON_CT, "verify_posted.json", msg, sizeof(msg)),
	                 CONNECTOR_CONFIRMED);
	assert_int_equal(verdict(true, 200, JSON_CT, "verify_draft.json", msg, sizeof(msg)),
	                 CONNECTOR_REFUSED);
	assert_string_equal(msg, "Tryton answered the post but the invoice is still draft");
	assert_int_equal(verdict(true, 200, JSON_CT,
	                         "{\"id\":1,\"result\":[{\"id\":1,\"number\":null,\"state\":"
	                         "\"validated\"}]}",
	                         msg, sizeof(msg)),
	                 CONNECTOR_REFUSED);
	assert_string_equal(msg, "Tryton answered the post but the invoice is still validated");
	assert_int_equal(verdict(true, 200, JSON_CT,
	                         "{\"id\":1,\"result\":[{\"id\":1,\"state\":"
	                         "\"paid\"}]}",
	                         msg, sizeof(msg)),
	                 CONNECTOR_CONFIRMED);
	/* verify_cancelled.json is invoice 7's: another record than INV-1 */
	assert_int_equal(verdict(true, 200, JSON_CT, "verify_cancelled.json", msg, sizeof(msg)),
	                 CONNECTOR_UNRECOGNISED);
	assert_int_equal(verdict(true, 200, JSON_CT,
	                         "{\"id\":1,\"result\":[{\"id\":1,\"state\":\"cancelled\"}]}", msg,
	                         sizeof(msg)),
	                 CONNECTOR_REFUSED);
	assert_string_equal(msg, "Tryton answered the post but the invoice is cancelled");
	assert_int_equal(verdict(true, 200, JSON_CT, "verify_gone.json", msg, sizeof(msg)),
	                 CONNECTOR_REFUSED);
	assert_string_equal(msg, "the invoice no longer exists in Tryton");
	assert_int_equal(verdict(true, 200, JSON_CT, "post_error.json", msg, sizeof(msg)),
	                 CONNECTOR_REFUSED);
	assert_int_equal(verdict(true, 200, "text/html", "<html></html>", msg, sizeof(msg)),
	                 CONNECTOR_UNRECOGNISED);
	assert_int_equal(verdict(true, 200, JSON_CT,
	                         "{\"id\":1,\"result\":[{\"id\":1,\"state\":\"frozen\"}]}", msg,
	                         sizeof(msg)),
	                 CONNECTOR_UNRECOGNISED);
}

static void test_error_texts(void **state)
{
	static const struct {
		const char *error, *text;
	} cases[] = {
	        {"[\"UserError\",[\"Bad\",\"Fix it\",null]]", "Bad: Fix it"},
	        {"[\"LoginException\",[\"password\",\"Password for admin\",\"password\"]]",
	         "Password for admin"},
	        {"[\"ConcurrencyException\",\"Records were modified\"]", "Records were modified"},
	        {"[\"Database '/x/nodb.sqlite' doesn't exist!\",\"\"]",
	         "Database '/x/nodb.sqlite' doesn't exist!"},
	        {"[\"UserError\",[\"a\\u001b[31mred\\nline\",\"\",null]]", "a?[31mred line"},
	        {"[]", "Tryton refused it without a message"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *e = json_loads(cases[i].error, 0, NULL);
		char out[200];
		tryton_error_text(e, out, sizeof(out));
		assert_string_equal(out, cases[i].text);
		json_decref(e);
	}
}

/* --- who am I, doctor ---------------------------------------------------------- */

static void test_whoami_and_doctor(void **state)
{
	const struct connector_ops *k = connector_find("tryton");
	size_t len;
	char *body = fixture("whoami.json", &len);
	struct connector_whoami me;
	struct wb_err err = {0};
	assert_int_equal(k->whoami(body, len, &me, &err), 0);
	assert_string_equal(me.user, "Administrator");
	assert_string_equal(me.role, "supervisor");
	free(body);
	assert_int_equal(k->whoami("{\"id\":1,\"result\":[]}", 21, &me, &err), WB_EINVALID);

	static const char *const files[] = {"doctor_modules.json", "doctor_access.json",
	                                    "doctor_preferences.json"};
	static const char *const lines[] = {
	        "modules: sale, account_invoice, stock, carrier, sale_shipment_cost (none missing)",
	        "access: reads customers, orders, invoices, lines, shipments; may post invoices",
	        "company: Waybill Depot (language en)"};
	struct connector_call call;
	for (int step = 0; step < 3; step++) {
		assert_int_equal(k->doctor_request(step, &who, &call, &err), 0);
		json_decref(call.body);
		body = fixture(files[step], &len);
		struct connector_answer a = answer(200, JSON_CT, body);
		char line[300];
		assert_int_equal(k->doctor_read(step, &a, line, sizeof(line)), 0);
		assert_string_equal(line, lines[step]);
		free(body);
	}
	assert_int_equal(k->doctor_request(3, &who, &call, &err), WB_ENOTFOUND);
	char line[300];
	struct connector_answer a = answer(
	        200, JSON_CT, "{\"id\":1,\"result\":[{\"name\":\"sale\"},{\"name\":\"party\"}]}");
	assert_int_not_equal(k->doctor_read(0, &a, line, sizeof(line)), 0);
	assert_non_null(strstr(line, "missing currency, company, account_invoice, stock"));
	a = answer(200, JSON_CT,
	           "{\"id\":1,\"result\":{\"account.invoice\":{\"read\":1,\"write\":0}}}");
	assert_int_not_equal(k->doctor_read(1, &a, line, sizeof(line)), 0);
	assert_non_null(strstr(line, "may not read party.party, sale.sale, account.invoice.line"));
	a = answer(200, JSON_CT, "{\"id\":1,\"result\":{\"language\":\"en\"}}");
	assert_int_not_equal(k->doctor_read(2, &a, line, sizeof(line)), 0);
	a = answer(401, "text/html", "");
	assert_int_not_equal(k->doctor_read(2, &a, line, sizeof(line)), 0);
}

/* The user's context: asked after signing in (get_preferences [true, {}]),
 * kept as the object Tryton sent (a captured answer), and sent with every
 * call, merged with what the call needs. */
static void test_user_context(void **state)
{
	const struct connector_ops *k = connector_find("tryton");
	assert_non_null(k->context_request);
	assert_non_null(k->context_read);
	struct connector_call call;
	struct wb_err err = {0};
	assert_int_equal(k->context_request(&who, &call, &err), 0);
	char *b = json_dumps(call.body, JSON_COMPACT);
	assert_string_equal(b, "{\"id\":1,\"method\":\"model.res.user.get_preferences\","
	                       "\"params\":[true,{}]}");
	free(b);
	json_decref(call.body);
	assert_string_equal(call.path, "/probe/");

	size_t len;
	char *body = fixture("context_preferences.json", &len);
	struct connector_answer a = answer(200, JSON_CT, body);
	struct connector_session ses;
	memset(&ses, 0, sizeof(ses));
	assert_int_equal(k->context_read(&a, &ses, &err), 0);
	json_t *ctx = json_loads(ses.context, 0, NULL);
	assert_true(json_is_object(ctx));
	assert_int_equal(json_integer_value(json_object_get(ctx, "company")), 1);
	assert_string_equal(json_string_value(json_object_get(ctx, "language")), "en");
	assert_int_equal(json_array_size(json_object_get(ctx, "groups")), 14);
	json_decref(ctx);
	free(body);

	/* a page carries the user's context, and the customers' active_test false */
	struct connector_login me = who;
	me.context = ses.context;
	assert_int_equal(tryton_page_request(stream("customers"), &me, "", 50, &call, &err), 0);
	json_t *c = json_array_get(json_object_get(call.body, "params"), 5);
	assert_int_equal(json_integer_value(json_object_get(c, "company")), 1);
	assert_string_equal(json_string_value(json_object_get(c, "language")), "en");
	assert_true(json_is_false(json_object_get(c, "active_test")));
	json_decref(call.body);
	assert_int_equal(tryton_page_request(stream("orders"), &me, "", 50, &call, &err), 0);
	c = json_array_get(json_object_get(call.body, "params"), 5);
	assert_int_equal(json_integer_value(json_object_get(c, "company")), 1);
	assert_null(json_object_get(c, "active_test"));
	json_decref(call.body);
	/* the post, its read-back, who-am-I and doctor's checks too */
	assert_int_equal(k->action_call("release_invoice", "INV-32", NULL, &me, &call, &err), 0);
	c = json_array_get(json_object_get(call.body, "params"), 1);
	assert_int_equal(json_integer_value(json_object_get(c, "company")), 1);
	json_decref(call.body);
	assert_int_equal(k->verify_request("release_invoice", "INV-32", &me, &call, &err), 0);
	c = json_array_get(json_object_get(call.body, "params"), 5);
	assert_int_equal(json_integer_value(json_object_get(c, "company")), 1);
	json_decref(call.body);
	assert_int_equal(k->whoami_request(&me, &call, &err), 0);
	c = json_array_get(json_object_get(call.body, "params"), 5);
	assert_string_equal(json_string_value(json_object_get(c, "language")), "en");
	json_decref(call.body);
	for (int step = 0; step < 3; step++) {
		assert_int_equal(k->doctor_request(step, &me, &call, &err), 0);
		json_t *p = json_object_get(call.body, "params");
		c = json_array_get(p, json_array_size(p) - 1);
		assert_int_equal(json_integer_value(json_object_get(c, "company")), 1);
		json_decref(call.body);
	}

	/* shapes it does not know, and a context too big to keep */
	static const char *const bad[] = {
	        "{\"id\":1,\"result\":[1,2]}", "{\"id\":1,\"result\":null}",
	        "{\"id\":1,\"error\":[\"UserError\",[\"no\",\"\",null]]}", "<html>", NULL};
	for (size_t i = 0; bad[i]; i++) {
		a = answer(200, JSON_CT, bad[i]);
		assert_int_equal(k->context_read(&a, &ses, &err), WB_EINVALID);
		assert_string_equal(ses.context, "");
		assert_null(strchr(err.msg, '\n'));
	}
	char big[sizeof(ses.context) + 64];
	int n = snprintf(big, sizeof(big), "{\"id\":1,\"result\":{\"x\":\"");
	memset(big + n, 'a', sizeof(big) - (size_t)n - 5);
	snprintf(big + sizeof(big) - 5, 5, "\"}}");
	a = answer(200, JSON_CT, big);
	assert_int_equal(k->context_read(&a, &ses, &err), WB_EINVALID);
	assert_non_null(strstr(err.msg, "more than"));
	assert_string_equal(ses.context, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_streams),
	        cmocka_unit_test(test_page_request_full_and_incremental),
	        cmocka_unit_test(test_customers),
	        cmocka_unit_test(test_orders),
	        cmocka_unit_test(test_invoices),
	        cmocka_unit_test(test_charges),
	        cmocka_unit_test(test_shipments),
	        cmocka_unit_test(test_unknown_state_is_refused),
	        cmocka_unit_test(test_idle_source_ends_the_pass),
	        cmocka_unit_test(test_bad_pages),
	        cmocka_unit_test(test_cursor),
	        cmocka_unit_test(test_values),
	        cmocka_unit_test(test_login),
	        cmocka_unit_test(test_login_refusals_never_show_the_password),
	        cmocka_unit_test(test_session_lost),
	        cmocka_unit_test(test_action_calls),
	        cmocka_unit_test(test_post_and_read_back),
	        cmocka_unit_test(test_error_texts),
	        cmocka_unit_test(test_whoami_and_doctor),
	        cmocka_unit_test(test_user_context),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
