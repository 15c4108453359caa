/* The tryton kind's streams and their paging: one search_read per page, in
 * id order, of the records stamped (write_date or create_date, theirs or
 * their lines') at or after the cursor's `since`. The cursor is ours and
 * opaque to the engine:
 *
 *   tryton1:<stream>:<since_ms>:<after_id>:<hi_ms>
 *
 * A pass reads ids above after_id; a full page moves after_id on. The last
 * page of a pass starts the next one at the newest stamp seen (hi) less
 * TRYTON_OVERLAP_MS, from id 0: Tryton stamps a record with its transaction's
 * start, so one that started before the newest we saw may commit after we
 * read. What the overlap reads again has an unchanged version, which the
 * cache ignores. "" starts a full pass (since 0), which the sweep uses. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/tryton_internal.h"

#define LIST(...)                                                                                  \
	(const char *const[])                                                                      \
	{                                                                                          \
		__VA_ARGS__, NULL                                                                  \
	}

/* clang-format off */
static const struct tryton_stream defs[] = {
	{"customers", "party.party", "[]",
	 LIST("code", "name", "write_date", "create_date",
	      "customer_payment_term.lines.relativedeltas.days",
	      "customer_payment_term.lines.relativedeltas.weeks",
	      "customer_payment_term.lines.relativedeltas.months"),
	 NULL, NULL, true},
	{"orders", "sale.sale", "[[\"number\", \"!=\", null]]",
	 LIST("number", "state", "shipment_state", "party.code", "sale_date", "shipping_date",
	      "currency.code", "total_amount", "write_date", "create_date", "lines.write_date",
	      "lines.create_date"),
	 LIST("lines."), LIST("lines.write_date", "lines.create_date"), false},
	{"invoices", "account.invoice", "[[\"type\", \"=\", \"out\"]]",
	 LIST("number", "state", "party.code", "invoice_date", "currency.code", "total_amount",
	      "reconciled", "lines_to_pay.maturity_date", "sales.number", "write_date",
	      "create_date", "lines.write_date", "lines.create_date"),
	 LIST("lines."), LIST("lines.write_date", "lines.create_date"), false},
	{"charges", "account.invoice.line",
	 "[[\"invoice_type\", \"=\", \"out\"], [\"type\", \"=\", \"line\"], [\"invoice\", \"!=\", null]]",
	 LIST("invoice", "product.code", "product.rec_name", "description", "quantity",
	      "unit_price", "amount", "currency.code", "origin.unit_price", "invoice.sales.number",
	      "write_date", "create_date"),
	 NULL, NULL, false},
	{"shipments", "stock.shipment.out", "[]",
	 LIST("number", "state", "planned_date", "effective_date", "carrier.party.name",
	      "delivery_address.full_address", "customer.code", "outgoing_moves.sale.number",
	      "write_date", "create_date"),
	 NULL, NULL, false},
};
/* clang-format on */

/* The engine's view: the path is only a name for messages (every call goes
 * to the database's path); billing data is polled slowly. A page is one read
 * transaction on Tryton, its dotted fields read with it: 500 records keep each
 * short and each answer well under a megabyte. */
#define TRYTON_PAGE 500
static const struct connector_stream erp_streams[] = {
        {"customers", "/party.party", WB_ENT_CUSTOMER, CADENCE_SLOW, NULL, TRYTON_PAGE},
        {"orders", "/sale.sale", WB_ENT_ORDER, CADENCE_SLOW, NULL, TRYTON_PAGE},
        {"invoices", "/account.invoice", WB_ENT_INVOICE, CADENCE_SLOW, NULL, TRYTON_PAGE},
        {"charges", "/account.invoice.line", WB_ENT_CHARGE, CADENCE_SLOW, NULL, TRYTON_PAGE},
        {"shipments", "/stock.shipment.out", WB_ENT_SHIPMENT, CADENCE_SLOW, NULL, TRYTON_PAGE},
};

#define N(a) (sizeof(a) / sizeof(a[0]))

const struct connector_stream *tryton_streams(const char *role, size_t *n)
{
	*n = 0;
	if (!role || strcmp(role, "erp") != 0)
		return NULL;
	*n = N(erp_streams);
	return erp_streams;
}

const struct tryton_stream *tryton_stream_def(const char *name)
{
	for (size_t i = 0; name && i < N(defs); i++)
		if (!strcmp(defs[i].name, name))
			return &defs[i];
	return NULL;
}

int tryton_sweep_s(const struct connector_stream *s)
{
	return s && tryton_stream_def(s->name) ? TRYTON_SWEEP_S : 0;
}

/* --- the cursor ------------------------------------------------------------ */

static int number(const char **p, int64_t *out)
{
	const char *s = *p;
	int64_t v = 0;
	int n = 0;
	for (; *s >= '0' && *s <= '9'; s++, n++) {
		if (n == 15)
			return -1; /* ids and ms since 1970 fit in 15 digits for millennia */
		v = v * 10 + (*s - '0');
	}
	if (n == 0 || (n > 1 && **p == '0'))
		return -1;
	*out = v;
	*p = s;
	return 0;
}

int tryton_cursor_parse(const char *stream, const char *s, struct tryton_cursor *c,
                        struct wb_err *err)
{
	memset(c, 0, sizeof(*c));
	if (!s || !*s)
		return 0; /* the start of a full pass */
	char prefix[48];
	snprintf(prefix, sizeof(prefix), "tryton1:%s:", stream);
	size_t pl = strlen(prefix);
	const char *p = s + pl;
	if (strlen(s) > TRYTON_CURSOR_MAX || strncmp(s, prefix, pl) != 0 ||
	    number(&p, &c->since_ms) || *p++ != ':' || number(&p, &c->after_id) || *p++ != ':' ||
	    number(&p, &c->hi_ms) || *p || c->since_ms > c->hi_ms) {
		char shown[48];
		connector_clean_text(shown, sizeof(shown), s, strlen(s));
		return wb_fail(err, WB_EINVALID,
		               "the stored cursor \"%s%s\" is not a cursor of Tryton's %s stream "
		               "(tryton1:%s:SINCE_MS:AFTER_ID:HI_MS)",
		               shown, strlen(s) >= sizeof(shown) - 1 ? "..." : "", stream, stream);
	}
	return 0;
}

void tryton_cursor_format(const char *stream, const struct tryton_cursor *c, char *out, size_t len)
{
	snprintf(out, len, "tryton1:%s:%" PRId64 ":%" PRId64 ":%" PRId64, stream, c->since_ms,
	         c->after_id, c->hi_ms);
}

/* --- a page ---------------------------------------------------------------- */

static json_t *strings(const char *const *list)
{
	json_t *a = json_array();
	for (size_t i = 0; a && list && list[i]; i++)
		json_array_append_new(a, json_string(list[i]));
	return a;
}

/* ["OR", [f, ">=", since] for each date field of the record and its lines]. */
static json_t *since_clause(const struct tryton_stream *d, int64_t since_ms)
{
	json_t * or = json_pack("[s]", "OR");
	static const char *const own[] = {"write_date", "create_date", NULL};
	const char *const *lists[] = {own, d->sub_dates};
	for (size_t l = 0; or &&l < N(lists); l++)
		for (size_t i = 0; lists[l] && lists[l][i]; i++) {
			json_t *t = tryton_datetime_new(since_ms);
			if (!t || json_array_append_new(
			                  or, json_pack("[s, s, o]", lists[l][i], ">=", t)) != 0) {
				json_decref(or);
				return NULL;
			}
		}
	return or ;
}

int tryton_page_request(const struct connector_stream *s, const struct connector_login *who,
                        const char *cursor, int limit, struct connector_call *call,
                        struct wb_err *err)
{
	const struct tryton_stream *d = tryton_stream_def(s ? s->name : NULL);
	if (!d)
		return wb_fail(err, WB_EINVALID, "Tryton has no stream \"%.40s\"",
		               s ? s->name : "");
	struct tryton_cursor c;
	int rc = tryton_cursor_parse(d->name, cursor, &c, err);
	if (rc != 0)
		return rc;
	if (limit <= 0 || limit > 10000)
		limit = 500;
	json_t *domain = json_loads(d->domain, 0, NULL);
	if (domain && c.after_id > 0)
		json_array_append_new(domain,
		                      json_pack("[s, s, I]", "id", ">", (json_int_t)c.after_id));
	if (domain && c.since_ms > 0)
		json_array_append_new(domain, since_clause(d, c.since_ms));
	/* The user's context, and archived records too where the stream reads them. */
	json_t *context = tryton_context(who);
	if (context && d->archived &&
	    json_object_set_new(context, "active_test", json_false()) != 0) {
		json_decref(context);
		context = NULL;
	}
	/* search_read(domain, offset, limit, order, fields_names) + context */
	json_t *params = domain && context
	                         ? json_pack("[o, i, i, [[s, s]], o, o]", domain, 0, limit, "id",
	                                     "ASC", strings(d->fields), context)
	                         : NULL;
	if (!params) {
		json_decref(domain);
		json_decref(context);
		return wb_fail(err, WB_ENOMEM, "out of memory");
	}
	char method[96];
	snprintf(method, sizeof(method), "model.%s.search_read", d->model);
	/* The request's id is the page's limit: Tryton sends it back, and a page as
	 * long as it says there may be more. */
	return tryton_call(who, method, params, limit, call, err);
}

int tryton_page_read(const struct connector_stream *s, const char *cursor,
                     const struct connector_answer *a, json_t **page, struct wb_err *err)
{
	*page = NULL;
	const struct tryton_stream *d = tryton_stream_def(s ? s->name : NULL);
	if (!d)
		return wb_fail(err, WB_EINVALID, "Tryton has no stream \"%.40s\"",
		               s ? s->name : "");
	struct tryton_cursor c;
	int rc = tryton_cursor_parse(d->name, cursor, &c, err);
	if (rc != 0)
		return rc;
	char what[64];
	snprintf(what, sizeof(what), "the %s page", d->name);
	json_t *j;
	if ((rc = tryton_answer(a, what, &j, err)) != 0)
		return rc;
	json_t *res = json_object_get(j, "result");
	json_int_t limit = json_integer_value(json_object_get(j, "id"));
	if (!json_is_array(res) || limit <= 0) {
		json_decref(j);
		return wb_fail(err, WB_EINVALID,
		               "%s: Tryton answered without a \"result\" list or the request's id",
		               what);
	}
	size_t n = json_array_size(res);
	if (n > (size_t)limit) {
		json_decref(j);
		return wb_fail(err, WB_EINVALID,
		               "%s: %zu records for a limit of %" JSON_INTEGER_FORMAT, what, n,
		               limit);
	}
	int64_t last = c.after_id;
	for (size_t i = 0; i < n; i++) {
		json_t *rec = json_array_get(res, i);
		json_int_t id = json_integer_value(json_object_get(rec, "id"));
		/* In id order, above the cursor: anything else would loop or skip. */
		if (!json_is_object(rec) || id <= last) {
			json_decref(j);
			return wb_fail(err, WB_EINVALID,
			               "%s: record %zu has no id above %" PRId64
			               " (Tryton must answer in id order)",
			               what, i, last);
		}
		last = id;
		int64_t st = tryton_stamp_ms(rec, d->subs);
		if (st > c.hi_ms)
			c.hi_ms = st;
	}
	bool more = n == (size_t)limit;
	if (more) {
		c.after_id = last;
	} else {
		c.after_id = 0;
		c.since_ms = c.hi_ms > TRYTON_OVERLAP_MS ? c.hi_ms - TRYTON_OVERLAP_MS : 0;
	}
	char next[TRYTON_CURSOR_MAX + 1];
	tryton_cursor_format(d->name, &c, next, sizeof(next));
	*page = json_pack("{s:O, s:s, s:b}", "data", res, "next", next, "has_more", more);
	json_decref(j);
	return *page ? 0 : wb_fail(err, WB_ENOMEM, "out of memory");
}
