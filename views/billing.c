/* Billing board (#12): one row per invoice with its customer, its order, the
 * load it bills (by load_id, or by its order for an ERP that knows only the
 * order: cache.h, billing joins), the order's shipment state, its status,
 * amount and due date. What needs a person comes first: drafts of delivered
 * loads (to release), then held or disputed ones, then the rest, each by due
 * date. r releases the selected invoice through the invoice gate, as
 * `waybill release` does. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "views/view.h"

/* attention = rank * 1e10 + due date (epoch seconds stay below 1e10 till 2286),
 * so one sort column orders by need, then by due date; no due date last. */
/* clang-format off */
#define RANK "CASE WHEN i.status='draft' AND (l.delivered_at IS NOT NULL OR l.status IN" \
	" ('delivered','pod_received','invoiced')) THEN 0" \
	" WHEN i.status IN ('held','disputed') THEN 1 ELSE 2 END"
static const struct cache_board board = {
	.name = "billing",
	.from = "(SELECT i.id AS id, i.number AS number, c.name AS customer,"
		" o.number AS order_no, l.number AS load_no,"
		" (SELECT s.status FROM shipment s WHERE s.order_id=coalesce(i.order_id, l.order_id)"
		"   AND s.deleted=0 ORDER BY s.planned_at DESC, s.id DESC LIMIT 1) AS ship,"
		" i.status AS status, i.amount AS amount, i.currency AS currency, i.due_at AS due_at,"
		" " RANK " AS rank, " RANK " * 10000000000 + coalesce(i.due_at, 9999999999)"
		"   AS attention, i.source AS source, i.synced_at AS synced_at"
		" FROM invoice i LEFT JOIN load l ON l.id="
		CACHE_BILLED_LOAD_SQL("i.load_id", "i.order_id") " AND l.deleted=0"
		" LEFT JOIN orders o ON o.id=coalesce(i.order_id, l.order_id)"
		" LEFT JOIN customer c ON c.id=coalesce(i.customer_id, o.customer_id)"
		" WHERE i.deleted=0)",
	.cols = (const char *const[]){"id", "number", "customer", "order_no", "load_no", "ship",
		"status", "amount", "currency", "due_at", "rank", "attention", "source",
		"synced_at", NULL},
	.search = (const char *const[]){"id", "number", "customer", "order_no", "load_no", NULL},
	.sorts = (const char *const[]){"attention", "id", "due_at", "amount", "customer",
		"status", NULL},
	.status_col = "status",
	.count_from = "(SELECT id, status FROM invoice WHERE deleted=0)",
};
#undef RANK
/* clang-format on */

VIEW_TEXT_CELL(cell_customer, "customer")
VIEW_TEXT_CELL(cell_order, "order_no")
VIEW_TEXT_CELL(cell_load, "load_no")
VIEW_TEXT_CELL(cell_ship, "ship")

/* The invoice's number, else its id (a source without numbers). */
static void cell_number(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	const struct cache_value *v = view_get(r, "number");
	view_fmt_text(v->t == CV_TEXT && *v->s ? v : view_get(r, "id"), buf, len);
}

/* A draft of a delivered load waits for a release; held and disputed wait for a person. */
static void cell_status(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	view_fmt_text(view_get(r, "status"), buf, len);
	int64_t rank = view_int(view_get(r, "rank"), 2);
	if (rank == 0)
		*slot = VIEW_S_warn;
	else if (rank == 1)
		*slot = VIEW_S_hold;
}

/* In the invoice's own currency ("€1,250", "1,250 CHF"), the configured one when it has none. */
static void cell_amount(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	const struct cache_value *a = view_get(r, "amount"), *cur = view_get(r, "currency");
	if (a->t != CV_INT && (a->t != CV_REAL || isnan(a->d))) {
		view_fmt_text(a, buf, len);
		return;
	}
	double amount = a->t == CV_INT ? (double)a->i : a->d;
	const char *code = cur->t == CV_TEXT && *cur->s ? cur->s : view_currency();
	view_fmt_amount((int64_t)llround(amount), code, r->utf8, buf, len);
}

/* A due date is a day: always the date. Past due and not paid: late. */
static void cell_due(const struct view_row *r, char *buf, size_t len, enum view_slot *slot)
{
	int64_t due = view_int(view_get(r, "due_at"), 0);
	time_t tt = (time_t)due;
	struct tm tm;
	if (due <= 0 || !localtime_r(&tt, &tm) || strftime(buf, len, "%m-%d", &tm) == 0) {
		snprintf(buf, len, "--");
		return;
	}
	const struct cache_value *st = view_get(r, "status");
	if (due < r->now && !(st->t == CV_TEXT && !strcmp(st->s, "paid")))
		*slot = VIEW_S_late;
}

/* 80 columns hold them all. Narrower, CUSTOMER (the flexible one) gives up its
 * room first, then the columns go from the right: ORDER, SHIP and LOAD are
 * links the detail pane shows again; NUMBER, STATUS, AMOUNT and DUE, what the
 * board is for, stay longest. */
static const struct view_col cols[] = {
        {"NUMBER", 15, VIEW_LEFT, false, cell_number},
        {"STATUS", 8, VIEW_LEFT, false, cell_status},
        {"AMOUNT", 9, VIEW_RIGHT, false, cell_amount},
        {"DUE", 5, VIEW_LEFT, false, cell_due},
        {"CUSTOMER", 10, VIEW_LEFT, true, cell_customer},
        {"LOAD", 7, VIEW_LEFT, false, cell_load},
        {"SHIP", 9, VIEW_LEFT, false, cell_ship},
        {"ORDER", 9, VIEW_LEFT, false, cell_order},
};

const struct view_ops view_billing_ops = {
        .name = "billing",
        .title = "Billing",
        .short_title = "Bill",
        .board = &board,
        .actions = (const char *const[]){"release", NULL},
        .cols = cols,
        .ncols = (int)(sizeof(cols) / sizeof(cols[0])),
        .stale_after_s = 2 * 60, /* a row with no source: as the ERP */
        .source_col = "source",
        .detail_kind = "invoice",
};
