/* The sim's tables: one growable array of compact rows per canonical entity, each
 * with a change log ordered by the global sequence. A list cursor is a sequence
 * number: "what changed in this table after it". Tombstones stay in the log until
 * they are older than the retention; purging one moves the table's horizon. A
 * cursor behind the horizon has expired (the client must start a full pass)
 * when that purge happened after the cursor was issued. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

struct table_def {
	const char *path, *prefix;
	enum sim_service svc;
	size_t row_size;
};

static const struct table_def defs[WB_ENT__COUNT] = {
        [WB_ENT_CUSTOMER] = {"customers", "C", SIM_ERP, sizeof(struct sim_customer)},
        [WB_ENT_ORDER] = {"orders", "O", SIM_ERP, sizeof(struct sim_order)},
        [WB_ENT_LOAD] = {"loads", "L", SIM_TMS, sizeof(struct sim_load)},
        [WB_ENT_STOP] = {"stops", "S", SIM_TMS, sizeof(struct sim_stop)},
        [WB_ENT_VEHICLE] = {"vehicles", "V", SIM_TEL, sizeof(struct sim_vehicle)},
        [WB_ENT_DRIVER] = {"drivers", "D", SIM_TEL, sizeof(struct sim_driver)},
        [WB_ENT_FAULT] = {"faults", "F", SIM_TEL, sizeof(struct sim_fault)},
        [WB_ENT_INSPECTION] = {"inspections", "I", SIM_TEL, sizeof(struct sim_inspection)},
        [WB_ENT_WORK_ORDER] = {"work_orders", "WO", SIM_TEL, sizeof(struct sim_work_order)},
        [WB_ENT_PART_RESERVATION] = {"part_reservations", "PR", SIM_TEL,
                                     sizeof(struct sim_part_reservation)},
        [WB_ENT_STAGING] = {"staging", "ST", SIM_TMS, sizeof(struct sim_staging)},
        [WB_ENT_POD] = {"pods", "POD", SIM_TMS, sizeof(struct sim_pod)},
        [WB_ENT_INVOICE] = {"invoices", "INV", SIM_ERP, sizeof(struct sim_invoice)},
        [WB_ENT_CHARGE] = {"charges", "CH", SIM_ERP, sizeof(struct sim_charge)},
        [WB_ENT_FUEL_TXN] = {"fuel_txns", "FT", SIM_ERP, sizeof(struct sim_fuel_txn)},
        [WB_ENT_EXCEPTION] = {"exceptions", "X", SIM_TMS, sizeof(struct sim_exception)},
        [WB_ENT_SHIPMENT] = {"shipments", "SH", SIM_ERP, sizeof(struct sim_shipment)},
        [WB_ENT_VEHICLE_MAINT] = {"vehicle_maint", "VM", SIM_TEL, sizeof(struct sim_vehicle_maint)},
};

int sim_tables_init(struct sim_world *w)
{
	for (int e = 0; e < WB_ENT__COUNT; e++) {
		struct sim_table *t = &w->t[e];
		memset(t, 0, sizeof *t);
		t->path = defs[e].path;
		t->prefix = defs[e].prefix;
		t->svc = defs[e].svc;
		t->row_size = defs[e].row_size;
	}
	return 0;
}

void sim_tables_free(struct sim_world *w)
{
	struct sim_table *xt = &w->t[WB_ENT_EXCEPTION];
	for (size_t i = 0; i < xt->n; i++)
		free(((struct sim_exception *)sim_row(xt, i))->evidence);
	for (int e = 0; e < WB_ENT__COUNT; e++) {
		free(w->t[e].rows);
		free(w->t[e].log);
		w->t[e].rows = NULL;
		w->t[e].log = NULL;
	}
}

/* Drops stale entries once they outnumber the live ones, so the log stays
 * proportional to the table. Order is kept, so cursors stay valid. */
static void log_compact(struct sim_table *t)
{
	size_t k = 0;
	for (size_t j = 0; j < t->nlog; j++) {
		struct sim_meta *m = sim_row(t, t->log[j].idx);
		if (m->seq == t->log[j].seq && !m->purged)
			t->log[k++] = t->log[j];
	}
	t->nlog = k;
	t->stale = 0;
}

static int log_append(struct sim_table *t, uint64_t seq, uint32_t idx)
{
	if (t->stale > 1024 && t->stale > t->nlog / 2)
		log_compact(t);
	if (t->nlog == t->caplog) {
		size_t nc = t->caplog ? t->caplog * 2 : 256;
		struct sim_change *nl = realloc(t->log, nc * sizeof *nl);
		if (!nl)
			return -1;
		t->log = nl;
		t->caplog = nc;
	}
	t->log[t->nlog].seq = seq;
	t->log[t->nlog].idx = idx;
	t->nlog++;
	return 0;
}

long sim_add(struct sim_world *w, enum wb_entity e)
{
	struct sim_table *t = &w->t[e];
	if (t->n >= UINT32_MAX - 1)
		return -1;
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		char *nr = realloc(t->rows, nc * t->row_size);
		if (!nr)
			return -1;
		t->rows = nr;
		t->cap = nc;
	}
	size_t i = t->n++;
	memset(sim_row(t, i), 0, t->row_size);
	if (sim_touch(w, e, i) != 0) {
		t->n--;
		return -1;
	}
	return (long)i;
}

int sim_touch(struct sim_world *w, enum wb_entity e, size_t i)
{
	struct sim_table *t = &w->t[e];
	struct sim_meta *m = sim_row(t, i);
	if (m->purged)
		return -1;
	if (m->seq)
		t->stale++;
	m->seq = ++w->seq;
	m->version++;
	int rc = log_append(t, m->seq, (uint32_t)i);
	/* Every change of a load re-derives its shipment here, whoever made it (the
	 * clock, an API action, a scenario), so the ERP's shipment never disagrees
	 * with the TMS's load in one response. */
	if (rc == 0 && e == WB_ENT_LOAD)
		sim_shipment_follow(w, i);
	/* Likewise the maintenance system's record of a vehicle. */
	if (rc == 0 && e == WB_ENT_VEHICLE)
		sim_vehicle_maint_follow(w, i);
	return rc;
}

int sim_delete(struct sim_world *w, enum wb_entity e, size_t i)
{
	struct sim_meta *m = sim_row(&w->t[e], i);
	if (m->deleted)
		return 0;
	m->deleted = 1;
	return sim_touch(w, e, i);
}

void sim_purge_tombstones(struct sim_world *w)
{
	if (w->seq <= w->o.retain_changes)
		return;
	uint64_t limit = w->seq - w->o.retain_changes;
	for (int e = 0; e < WB_ENT__COUNT; e++) {
		struct sim_table *t = &w->t[e];
		int purged = 0;
		for (size_t j = 0; j < t->nlog && t->log[j].seq < limit; j++) {
			struct sim_meta *m = sim_row(t, t->log[j].idx);
			if (m->deleted && !m->purged && m->seq == t->log[j].seq) {
				m->purged = 1;
				if (m->seq > t->horizon)
					t->horizon = m->seq;
				purged = 1;
			}
		}
		if (purged)
			log_compact(t);
	}
}

size_t sim_log_find(const struct sim_table *t, uint64_t after)
{
	size_t lo = 0, hi = t->nlog;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->log[mid].seq <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A vendor keeps one fault record per vehicle and code, named by both (the
 * connectors make "VEHICLE-CODE", Geotab's "VEHICLE/CODE"): in a dialect the
 * world names its faults the same way, so that a work order, an exception or a
 * TMS record naming a fault names the record the vendor's kind makes. */
static void fault_id(const struct sim_world *w, size_t i, char *buf, size_t n)
{
	const struct sim_fault *f = SIM_ROW(w, FAULT, sim_fault, i);
	char vid[32];
	sim_format_id(w, WB_ENT_VEHICLE, f->vehicle, vid, sizeof vid);
	snprintf(buf, n, "%s%s%s", vid, w->o.dialect == SIM_DIALECT_GEOTAB ? "/" : "-",
	         sim_fault_code(f->code));
}

void sim_format_id(const struct sim_world *w, enum wb_entity e, size_t i, char *buf, size_t n)
{
	if (w->o.dialect != SIM_DIALECT_WAYBILL && e == WB_ENT_FAULT) {
		fault_id(w, i, buf, n);
		return;
	}
	if (sim_dialect_format_id(w->o.dialect, e, i, buf, n) == 0)
		return;
	snprintf(buf, n, "%s-%zu", w->t[e].prefix, i + 1);
}

long sim_parse_id(const struct sim_world *w, enum wb_entity e, const char *s)
{
	const struct sim_table *t = &w->t[e];
	if (w->o.dialect != SIM_DIALECT_WAYBILL && e == WB_ENT_FAULT) {
		/* The newest fault of that vehicle and code. */
		char id[96];
		for (size_t k = t->n; s && k-- > 0;) {
			const struct sim_meta *m = sim_row(t, k);
			if (m->purged)
				continue;
			fault_id(w, k, id, sizeof id);
			if (strcmp(id, s) == 0)
				return (long)k;
		}
		return -1;
	}
	if (w->o.dialect != SIM_DIALECT_WAYBILL && (e == WB_ENT_VEHICLE || e == WB_ENT_DRIVER)) {
		long k = sim_dialect_parse_id(w->o.dialect, e, s);
		if (k < 0 || (size_t)k >= t->n)
			return -1;
		const struct sim_meta *m = sim_row(t, (size_t)k);
		return m->purged ? -1 : k;
	}
	size_t pl = strlen(t->prefix);
	if (!s || strncmp(s, t->prefix, pl) != 0 || s[pl] != '-')
		return -1;
	const char *d = s + pl + 1;
	if (*d < '1' || *d > '9' || strlen(d) > 10)
		return -1;
	uint64_t v = 0;
	for (; *d; d++) {
		if (*d < '0' || *d > '9')
			return -1;
		v = v * 10 + (uint64_t)(*d - '0');
	}
	if (v == 0 || v > t->n)
		return -1;
	const struct sim_meta *m = sim_row(t, (size_t)(v - 1));
	if (m->purged)
		return -1;
	return (long)(v - 1);
}

int sim_entity_by_path(const char *path)
{
	for (int e = 0; e < WB_ENT__COUNT; e++)
		if (strcmp(defs[e].path, path) == 0)
			return e;
	return -1;
}

static uint32_t cursor_check(const struct sim_world *w, int e, uint64_t seq, uint64_t horizon)
{
	return (uint32_t)sim_hash64(w->o.seed * 31 + (uint64_t)e * 0x51ed27ULL + seq * 0x9e37ULL +
	                            horizon * 0x2545f491ULL);
}

/* "c2.<seq>.<horizon>.<check>": the horizon the list had when the cursor was
 * issued travels with it, so a cursor only expires when tombstones after it
 * were purged since (a full pass begun after a purge pages on undisturbed). */
void sim_cursor_format(const struct sim_world *w, int e, uint64_t seq, uint64_t horizon, char *buf,
                       size_t n)
{
	snprintf(buf, n, "c2.%" PRIx64 ".%" PRIx64 ".%08" PRIx32, seq, horizon,
	         cursor_check(w, e, seq, horizon));
}

static int hex_field(const char *p, char sep, uint64_t *v, const char **next)
{
	if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
		return -1;
	char *end = NULL;
	errno = 0;
	unsigned long long x = strtoull(p, &end, 16);
	if (errno || !end || *end != sep || end - p > 16)
		return -1;
	*v = (uint64_t)x;
	*next = end + 1;
	return 0;
}

int sim_cursor_parse(const struct sim_world *w, int e, const char *s, uint64_t max, uint64_t *seq,
                     uint64_t *horizon)
{
	if (!s || strncmp(s, "c2.", 3) != 0 || strlen(s) > 60)
		return -1;
	uint64_t v, h;
	const char *p = s + 3;
	if (hex_field(p, '.', &v, &p) || hex_field(p, '.', &h, &p) || strlen(p) != 8)
		return -1;
	char chk[16];
	snprintf(chk, sizeof chk, "%08" PRIx32, cursor_check(w, e, v, h));
	if (strcmp(chk, p) != 0)
		return -1;
	if (v > max)
		return -1;
	if (horizon)
		*horizon = h;
	*seq = v;
	return 0;
}

size_t sim_live_count(const struct sim_world *w, enum wb_entity e)
{
	const struct sim_table *t = &w->t[e];
	size_t c = 0;
	for (size_t i = 0; i < t->n; i++)
		if (!((const struct sim_meta *)sim_row(t, i))->deleted)
			c++;
	return c;
}

/* FNV-1a over (entity, index, version, deleted) of every row: equal checksums
 * mean the same records at the same versions. */
uint64_t sim_checksum(const struct sim_world *w)
{
	uint64_t h = 0;
	for (int e = 0; e < WB_ENT__COUNT; e++) {
		const struct sim_table *t = &w->t[e];
		for (size_t i = 0; i < t->n; i++) {
			const struct sim_meta *m = sim_row(t, i);
			uint64_t rec[3] = {(uint64_t)e << 32 | (uint64_t)i, m->version, m->deleted};
			h = sim_fnv1a(h, rec, sizeof rec);
		}
	}
	return h;
}
