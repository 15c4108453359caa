/* Tryton 6.0 records as canonical rows. Each stream's mapper builds the
 * canonical record (the field names of model/model.h) inside the Tryton
 * record, under "waybill.", so the generic mapper checks types and ranges and
 * the row's text borrows from the record like every kind's. The tables of
 * states are docs/connectors/tryton.md's "## Mapping". */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/text.h"
#include "connectors/tryton_internal.h"

#define CANON "waybill."

/* A state of Tryton's and the canonical status it becomes. */
struct state_map {
	const char *tryton, *canonical;
};

/* sale.sale: a numbered sale is a customer's order; "processing" splits on
 * whether its goods have left (shipment_state "sent"): see map_order. */
static const struct state_map order_states[] = {
        {"draft", "open"},     {"quotation", "open"},
        {"confirmed", "open"}, {"processing", "in_progress"},
        {"done", "invoiced"},  {"cancelled", "cancelled"},
        {NULL, NULL},
};

/* account.invoice: Tryton's draft and validated (pro forma) both await
 * release; posting is the release. */
static const struct state_map invoice_states[] = {
        {"draft", "draft"}, {"validated", "draft"},     {"posted", "released"},
        {"paid", "paid"},   {"cancelled", "cancelled"}, {NULL, NULL},
};

/* stock.shipment.out: the model keeps the ERP's own states (model/model.h). */
static const struct state_map shipment_states[] = {
        {"draft", "draft"},         {"waiting", "waiting"}, {"assigned", "assigned"},
        {"picked", "picked"},       {"packed", "packed"},   {"done", "done"},
        {"cancelled", "cancelled"}, {NULL, NULL},
};

static const char *state_of(const struct state_map *t, const char *state)
{
	for (size_t i = 0; state && t[i].tryton; i++)
		if (!strcmp(t[i].tryton, state))
			return t[i].canonical;
	return NULL;
}

static int unknown_state(struct wb_err *err, const struct connector_stream *s, const char *id,
                         const char *model, json_t *state, const struct state_map *t)
{
	char got[48], known[160] = "";
	const char *sv = json_string_value(state);
	connector_clean_text(got, sizeof(got), sv ? sv : "", sv ? strlen(sv) : 0);
	for (size_t i = 0, n = 0; t[i].tryton; i++)
		n += (size_t)snprintf(known + n, n < sizeof(known) ? sizeof(known) - n : 0, "%s%s",
		                      i ? ", " : "", t[i].tryton);
	if (!sv)
		return wb_fail(err, WB_EINVALID, "%s %s: %s has no state", s->name, id, model);
	return wb_fail(err, WB_EINVALID,
	               "%s %s: state \"%s\" of %s is not one Waybill knows (%s); the record is "
	               "not stored",
	               s->name, id, got, model, known);
}

/* rec[key][sub]: a dotted read's value ("party." -> {"code": ...}). */
static json_t *sub(json_t *rec, const char *key, const char *field)
{
	return json_object_get(json_object_get(rec, key), field);
}

static int set_time(json_t *canon, const char *field, json_t *v, int64_t *ms_out)
{
	int64_t ms;
	if (!v || json_is_null(v))
		return 0;
	if (tryton_time_ms(v, &ms) != 0)
		return -1;
	if (ms_out)
		*ms_out = ms;
	return json_object_set_new(canon, field,
	                           json_integer(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000)));
}

static int set_money(json_t *canon, const char *field, json_t *v, struct wb_err *err)
{
	int64_t cents;
	if (!v || json_is_null(v))
		return 0;
	struct wb_err e = {0};
	if (tryton_decimal_cents(v, false, &cents, &e) != 0)
		return wb_fail(err, WB_EINVALID, "%s: %s", field, e.msg);
	json_object_set_new(canon, field, json_real((double)cents / 100.0));
	return 0;
}

static void set_str(json_t *canon, const char *field, json_t *v)
{
	if (json_is_string(v) && json_string_length(v) > 0)
		json_object_set(canon, field, v);
}

/* A record's identity: id (text; canonical), the version from its stamp. */
struct ident {
	char id[80];
	int64_t version;
};

static int identity(const struct connector_stream *s, json_t *rec, const char *prefix,
                    json_t *own_id, bool keyed, const struct tryton_stream *d, struct ident *out,
                    struct wb_err *err)
{
	json_int_t tid = json_integer_value(json_object_get(rec, "id"));
	if (!json_is_object(rec) || tid <= 0)
		return wb_fail(err, WB_EINVALID, "%s: a record has no Tryton id", s->name);
	if (keyed) {
		const char *v = json_string_value(own_id);
		if (!v || !*v || json_string_length(own_id) >= sizeof(out->id))
			return wb_fail(err, WB_EINVALID,
			               "%s: %s %" JSON_INTEGER_FORMAT " has no usable %s", s->name,
			               d->model, tid,
			               !strcmp(s->name, "customers") ? "code" : "number");
		snprintf(out->id, sizeof(out->id), "%s", v);
	} else {
		snprintf(out->id, sizeof(out->id), "%s%" JSON_INTEGER_FORMAT, prefix, tid);
	}
	out->version = tryton_stamp_ms(rec, d->subs);
	if (out->version <= 0)
		return wb_fail(err, WB_EINVALID, "%s %s: no create_date or write_date", s->name,
		               out->id);
	return 0;
}

/* The first numbered sale of a list of dotted sales ("sales." -> [{"number"}]):
 * an invoice grouping several sales is filed under the first. */
static void set_first_sale(json_t *canon, json_t *list, const char *key)
{
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x)
	{
		json_t *n = key ? sub(x, key, "number") : json_object_get(x, "number");
		if (json_is_string(n) && json_string_length(n) > 0) {
			json_object_set(canon, "order_id", n);
			return;
		}
	}
}

static int map_customer(json_t *rec, json_t *canon, struct wb_err *err)
{
	set_str(canon, "name", json_object_get(rec, "name"));
	/* Payment terms in days when the customer's term is one plain delay:
	 * one line, one delta of days and weeks (months make it no fixed count). */
	json_t *lines = sub(rec, "customer_payment_term.", "lines.");
	json_t *deltas = json_object_get(json_array_get(lines, 0), "relativedeltas.");
	if (json_array_size(lines) == 1 && json_array_size(deltas) == 1) {
		json_t *d = json_array_get(deltas, 0);
		json_int_t months = json_integer_value(json_object_get(d, "months"));
		json_int_t days = json_integer_value(json_object_get(d, "days"));
		json_int_t weeks = json_integer_value(json_object_get(d, "weeks"));
		if (months == 0 && days >= 0 && weeks >= 0 && days + 7 * weeks <= 1000000)
			json_object_set_new(canon, "payment_terms_days",
			                    json_integer(days + 7 * weeks));
	}
	return 0;
}

static int map_order(json_t *rec, json_t *canon, const char *status, struct wb_err *err)
{
	set_str(canon, "number", json_object_get(rec, "number"));
	set_str(canon, "customer_id", sub(rec, "party.", "code"));
	set_str(canon, "currency", sub(rec, "currency.", "code"));
	const char *ship = json_string_value(json_object_get(rec, "shipment_state"));
	if (!strcmp(status, "in_progress") && ship && !strcmp(ship, "sent"))
		status = "delivered"; /* processing, goods gone: awaiting the invoice */
	json_object_set_new(canon, "status", json_string(status));
	if (set_time(canon, "ordered_at", json_object_get(rec, "sale_date"), NULL) ||
	    set_time(canon, "requested_at", json_object_get(rec, "shipping_date"), NULL))
		return wb_fail(err, WB_EINVALID, "a date is not a Tryton date");
	return set_money(canon, "total", json_object_get(rec, "total_amount"), err);
}

static int map_invoice(json_t *rec, json_t *canon, const char *status, struct wb_err *err)
{
	set_str(canon, "number", json_object_get(rec, "number"));
	set_str(canon, "customer_id", sub(rec, "party.", "code"));
	set_str(canon, "currency", sub(rec, "currency.", "code"));
	set_first_sale(canon, json_object_get(rec, "sales."), NULL);
	json_object_set_new(canon, "status", json_string(status));
	/* Due: the earliest maturity of the lines to pay (set once posted). */
	int64_t due = INT64_MAX, ms;
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(rec, "lines_to_pay."), i, l)
	{
		json_t *m = json_object_get(l, "maturity_date");
		if (json_is_null(m))
			continue;
		if (tryton_time_ms(m, &ms) != 0)
			return wb_fail(err, WB_EINVALID, "a maturity date is not a Tryton date");
		if (ms < due)
			due = ms;
	}
	if (due != INT64_MAX)
		json_object_set_new(canon, "due_at", json_integer(due / 1000));
	if (set_time(canon, "issued_at", json_object_get(rec, "invoice_date"), NULL) ||
	    set_time(canon, "paid_at", json_object_get(rec, "reconciled"), NULL))
		return wb_fail(err, WB_EINVALID, "a date is not a Tryton date");
	return set_money(canon, "amount", json_object_get(rec, "total_amount"), err);
}

static int map_charge(json_t *rec, json_t *canon, struct wb_err *err)
{
	json_t *code = sub(rec, "product.", "code");
	if (!json_is_string(code) || !json_string_length(code))
		code = sub(rec, "product.", "rec_name");
	if (!json_is_string(code) || !json_string_length(code))
		code = json_object_get(rec, "description");
	set_str(canon, "code", code);
	json_object_set_new(canon, "origin", json_string("erp"));
	set_first_sale(canon, sub(rec, "invoice.", "sales."), NULL);
	int rc = set_money(canon, "amount", json_object_get(rec, "amount"), err);
	if (rc != 0)
		return rc;
	/* The rate is the price agreed on the order: the sale line's unit price
	 * times the quantity invoiced; a line from no sale is its own rate. */
	double up = tryton_decimal_double(sub(rec, "origin.", "unit_price"));
	json_t *q = json_object_get(rec, "quantity");
	if (!isnan(up) && json_is_number(q)) {
		double cents = round(up * json_number_value(q) * 100.0);
		if (fabs(cents) < 1e14)
			json_object_set_new(canon, "rated_amount", json_real(cents / 100.0));
	} else if (json_object_get(canon, "amount")) {
		json_object_set(canon, "rated_amount", json_object_get(canon, "amount"));
	}
	return 0;
}

static int map_shipment(json_t *rec, json_t *canon, const char *status, struct wb_err *err)
{
	set_str(canon, "number", json_object_get(rec, "number"));
	set_str(canon, "customer_id", sub(rec, "customer.", "code"));
	set_str(canon, "carrier", json_object_get(sub(rec, "carrier.", "party."), "name"));
	json_object_set_new(canon, "status", json_string(status));
	/* the sale it ships: its outgoing moves' sale (sale/stock.py's Move.sale) */
	set_first_sale(canon, json_object_get(rec, "outgoing_moves."), "sale.");
	/* the delivery address on one line */
	const char *addr = json_string_value(sub(rec, "delivery_address.", "full_address"));
	if (addr && *addr) {
		char line[400];
		size_t o = 0;
		for (const char *p = addr; *p && o + 3 < sizeof(line); p++) {
			if (*p == '\r')
				continue;
			if (*p == '\n') {
				line[o++] = ',';
				line[o++] = ' ';
			} else {
				line[o++] = *p;
			}
		}
		line[o] = '\0';
		wb_utf8_trim(line); /* a long address is cut between characters */
		json_object_set_new(canon, "address", json_string(line));
	}
	if (set_time(canon, "planned_at", json_object_get(rec, "planned_date"), NULL) ||
	    set_time(canon, "effective_at", json_object_get(rec, "effective_date"), NULL))
		return wb_fail(err, WB_EINVALID, "a date is not a Tryton date");
	return 0;
}

int tryton_map_record(const struct connector_stream *s, const char *source, json_t *rec, void *row,
                      struct wb_err *err)
{
	const struct tryton_stream *d = tryton_stream_def(s ? s->name : NULL);
	if (!d || !s || s->entity < 0)
		return wb_fail(err, WB_EINVALID, "Tryton has no stream \"%.40s\"",
		               s ? s->name : "");
	/* Customers, orders and shipments are known by Tryton's code or number
	 * (what the TMS's loads carry); invoices and lines by Tryton's id, since
	 * a draft invoice has no number yet. */
	static const struct {
		const char *stream, *key, *prefix;
	} keys[] = {{"customers", "code", NULL},
	            {"orders", "number", NULL},
	            {"shipments", "number", NULL},
	            {"invoices", NULL, "INV-"},
	            {"charges", NULL, "IL-"}};
	size_t k = 0;
	while (k < sizeof(keys) / sizeof(keys[0]) - 1 && strcmp(keys[k].stream, d->name) != 0)
		k++;
	struct ident me;
	if (identity(s, rec, keys[k].prefix, keys[k].key ? json_object_get(rec, keys[k].key) : NULL,
	             keys[k].key != NULL, d, &me, err) != 0)
		return err ? err->code : WB_EINVALID;
	json_t *canon = json_object();
	if (!canon || json_object_set_new(rec, CANON, canon) != 0)
		return wb_fail(err, WB_ENOMEM, "out of memory");
	json_object_set_new(canon, "id", json_string(me.id));
	struct wb_err e = {0};
	int rc = 0;
	const char *status = NULL;
	json_t *state = json_object_get(rec, "state");
	if (!strcmp(d->name, "customers")) {
		rc = map_customer(rec, canon, &e);
	} else if (!strcmp(d->name, "orders")) {
		if (!(status = state_of(order_states, json_string_value(state))))
			return unknown_state(err, s, me.id, d->model, state, order_states);
		rc = map_order(rec, canon, status, &e);
	} else if (!strcmp(d->name, "invoices")) {
		if (!(status = state_of(invoice_states, json_string_value(state))))
			return unknown_state(err, s, me.id, d->model, state, invoice_states);
		rc = map_invoice(rec, canon, status, &e);
	} else if (!strcmp(d->name, "charges")) {
		rc = map_charge(rec, canon, &e);
	} else if (!strcmp(d->name, "shipments")) {
		if (!(status = state_of(shipment_states, json_string_value(state))))
			return unknown_state(err, s, me.id, d->model, state, shipment_states);
		rc = map_shipment(rec, canon, status, &e);
	}
	wb_entity_clear((enum wb_entity)s->entity, row);
	if (rc == 0 && connector_map_fields(s->entity, canon, row, &e) != 0)
		rc = WB_EINVALID;
	if (rc != 0)
		return wb_fail(err, rc, "%s %s: %s", s->name, me.id, e.msg);
	struct wb_meta *m = row;
	m->id = json_string_value(json_object_get(canon, "id"));
	m->source = source;
	m->ext_id = m->id;
	m->ext_version = me.version;
	m->deleted = 0;
	return 0;
}
