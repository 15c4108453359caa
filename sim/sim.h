/* waybill-sim internals: the world (compact rows, one table per canonical entity),
 * its change log and cursors, the simulated clock, and the three HTTP services.
 * One mutex (sim_world.mu) guards every field of the world; HTTP handlers and the
 * clock thread take it. Rows hold no strings: names and ids derive from indexes. */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

enum sim_service { SIM_ERP, SIM_TMS, SIM_TEL, SIM_SVC__COUNT };
/* The telematics service's dialect (--dialect): the canonical API, or a vendor's
 * (sim/dialect.h). A dialect also names the world's vehicles and drivers as that
 * vendor does, everywhere (the TMS's loads included): a fleet's TMS names a truck
 * by the id its telematics integration stores (docs/connectors.md, "Identity"). */
enum sim_dialect {
	SIM_DIALECT_WAYBILL,
	SIM_DIALECT_SAMSARA,
	SIM_DIALECT_GEOTAB,
	SIM_DIALECT_TRACCAR,
	SIM_DIALECT__COUNT
};
enum sim_role {
	SIM_ROLE_VIEWER,
	SIM_ROLE_DISPATCHER,
	SIM_ROLE_SUPERVISOR,
	SIM_ROLE_ADMIN,
	SIM_ROLE__COUNT
};

/* ---- rows ---------------------------------------------------------------- */

/* Every row starts with this. seq is the global change sequence of its last change. */
struct sim_meta {
	uint64_t seq;
	uint32_t version;
	uint8_t deleted;
	uint8_t purged; /* tombstone dropped from the change log: the row is gone */
};

/* Times are UTC epoch seconds; 0 means unknown. Indexes of -1 mean none. */
enum {
	LS_PLANNED,
	LS_STAGED,
	LS_RELEASED,
	LS_IN_TRANSIT,
	LS_DELIVERED,
	LS_POD_RECEIVED,
	LS_INVOICED,
	LS_CANCELLED,
	LS__COUNT
};
enum { SS_PENDING, SS_ARRIVED, SS_DEPARTED, SS_SKIPPED, SS_FAILED, SS_PARTIAL };
enum { VK_TRACTOR, VK_TRAILER, VK_VAN, VK_RIGID };
enum { VS_AVAILABLE, VS_ASSIGNED, VS_IN_TRANSIT, VS_IN_SHOP, VS_OUT_OF_SERVICE };
enum { DS_OFF_DUTY, DS_ON_DUTY, DS_DRIVING, DS_SLEEPER };
enum { WS_PROPOSED, WS_OPEN, WS_IN_PROGRESS, WS_CLOSED };
enum { WC_PREVENTIVE, WC_CORRECTIVE, WC_INSPECTION };
enum { STG_PENDING, STG_STAGING, STG_STAGED, STG_LOADED };
enum { IS_DRAFT, IS_HELD, IS_RELEASED, IS_SENT, IS_PAID, IS_DISPUTED };
enum { CC_LINEHAUL, CC_FUEL, CC_DETENTION, CC_LUMPER, CC_TOLL };
/* A customer shipment's state, named as Tryton's stock.shipment.out names them. */
enum { SH_DRAFT, SH_WAITING, SH_ASSIGNED, SH_PICKED, SH_PACKED, SH_DONE, SH_CANCELLED };
enum {
	ES_OPEN,
	ES_ACKNOWLEDGED,
	ES_APPROVED,
	ES_REJECTED,
	ES_ESCALATED,
	ES_RESOLVED,
	ES_AUTO_APPLIED
};
enum { SK_LOAD, SK_VEHICLE, SK_DRIVER, SK_INVOICE, SK_STOP };
/* Load flags: what happened to it, for the AI service and the truth report. */
enum { LF_ROUTE_CHANGED = 1, LF_SUBCONTRACTED_LATE = 2, LF_FAILED = 4, LF_PARTIAL = 8 };

struct sim_customer {
	struct sim_meta m;
	float lat, lon, credit_limit;
	uint8_t terms_days;
};
struct sim_order {
	struct sim_meta m;
	int64_t ordered_at, requested_at;
	uint32_t customer, load;
	float total;
};
struct sim_load {
	struct sim_meta m;
	int64_t planned_departure, eta, tendered_at, departed_at, delivered_at, next_at;
	uint32_t order, first_stop, staging, first_charge;
	uint32_t shipment1; /* its shipment's index + 1; 0 until sim_shipment_open */
	int32_t vehicle, trailer, driver, planned_drive_s, detention_charge, pod, invoice;
	float revenue, est_cost, weight_kg, distance_m, empty_m;
	uint16_t pallets;
	uint8_t nstops, status, priority, carrier, depot, flags, ncharges;
};
struct sim_stop {
	struct sim_meta m;
	int64_t window_start, window_end, eta, arrived_at, departed_at;
	uint32_t load, customer; /* customer is ignored for the pickup (the depot) */
	float lat, lon;
	uint16_t pallets_planned, pallets_done;
	uint8_t seq, kind, status; /* kind 0 pickup, 1 drop */
};
struct sim_vehicle {
	struct sim_meta m;
	double lat, lon, odometer_m, pm_due_odometer_m;
	int64_t engine_s, last_seen_ms, hold_at;
	float fuel_pct, tank_l, speed_mps, heading, route_m, route_done_m;
	int64_t dwell_until; /* at a stop until then */
	int32_t idle_s, load, trips_today;
	uint8_t kind, depot, status, hold, hold_reason, cruise_kmh, next_stop, engine_on, wo_open;
};
struct sim_driver {
	struct sim_meta m;
	int32_t drive_left_s, duty_left_s, cycle_left_s, vehicle;
	uint8_t depot, status;
};
struct sim_fault {
	struct sim_meta m;
	int64_t first_seen, last_seen;
	uint32_t vehicle;
	uint8_t code, active;
};
struct sim_inspection {
	struct sim_meta m;
	int64_t at;
	uint32_t vehicle, driver;
	uint8_t kind, safe, defect;
};
struct sim_work_order {
	struct sim_meta m;
	int64_t opened_at, due_at, closed_at;
	uint32_t vehicle;
	int32_t fault;
	float est_cost;
	uint8_t status, category;
};
struct sim_part_reservation {
	struct sim_meta m;
	uint32_t wo;
	uint8_t item, qty, status;
};
struct sim_staging {
	struct sim_meta m;
	int64_t appointment_at;
	uint32_t load;
	uint16_t pallets_staged, pallets_total;
	uint8_t dock_door, labor_ready, status;
};
struct sim_pod {
	struct sim_meta m;
	int64_t signed_at;
	uint32_t load, stop;
	uint8_t exc, signer;
};
struct sim_invoice {
	struct sim_meta m;
	int64_t issued_at, due_at, paid_at;
	uint32_t load, customer;
	float amount;
	uint8_t status, hold_reason;
};
struct sim_charge {
	struct sim_meta m;
	uint32_t load;
	float amount, rated_amount;
	uint8_t code, origin;
};
/* A customer shipment: what sim_shipment_follow derives from its load, kept so
 * that a change is a new version only when one of these changes. */
struct sim_shipment {
	struct sim_meta m;
	int64_t planned_at, effective_at;
	uint32_t load, order, customer, dest_customer;
	uint8_t status, carrier, has_carrier;
};
/* What the depot's maintenance system knows of vehicle (the same index): a
 * copy of the vehicle's hold, PM due and shop status (mstatus: 0 available,
 * 1 in_shop, 2 out_of_service) kept by sim_vehicle_maint_follow, so that a
 * change is a new version only when one of these changes. */
struct sim_vehicle_maint {
	struct sim_meta m;
	double pm_due_odometer_m;
	uint32_t vehicle;
	uint8_t mstatus, hold, hold_reason;
};
struct sim_fuel_txn {
	struct sim_meta m;
	int64_t at;
	uint32_t vehicle;
	int32_t driver;
	float litres, amount, lat, lon;
	uint16_t card4;
	uint8_t station;
};
struct sim_exception {
	struct sim_meta m;
	int64_t detected_at, resolved_at;
	char *evidence; /* owned; exceptions are few */
	uint64_t seen;  /* the AI scan that last found it true */
	uint32_t subject, related;
	float confidence, impact;
	uint8_t kind, subject_kind, severity, status, required_role, owner, wrong, related_ent;
};

/* A position report; the ring keeps the newest pos_cap of them. */
struct sim_pos {
	uint64_t seq;
	int64_t ts_ms;
	double odometer_m;
	float lat, lon, speed_mps, heading, fuel_pct;
	uint32_t vehicle;
	int8_t ignition;
};

/* ---- tables and the change log --------------------------------------------- */

struct sim_change {
	uint64_t seq;
	uint32_t idx;
};

struct sim_table {
	const char *path;   /* URL segment: "loads" */
	const char *prefix; /* id prefix: "L" gives "L-1" */
	enum sim_service svc;
	size_t row_size;
	char *rows;
	size_t n, cap;
	struct sim_change *log; /* ordered by seq; entries superseded by a later change are stale */
	size_t nlog, caplog, stale;
	uint64_t horizon; /* a cursor below this sequence has expired (410) */
};

struct sim_opts {
	uint64_t seed;
	int vehicles, loads_per_day, depots;
	double speed;
	int no_ai;
	double ai_wrong_rate;
	uint64_t retain_changes; /* tombstones older than this many changes are purged */
	const char *scenario;    /* name, or NULL */
	const char *scenario_dir;
	int64_t start_time; /* sim epoch at start; 0 = the default */
	int dialect;        /* enum sim_dialect */
};

struct sim_scenario;

struct sim_world {
	pthread_mutex_t mu;
	pthread_cond_t changed; /* signalled when new positions arrive or on stop */
	struct sim_opts o;
	uint64_t rng;
	uint64_t seq; /* global change sequence */
	int64_t t0, now, day_start;
	uint64_t steps;
	double next_load_at;
	int stopping;
	size_t load_lo, inv_lo, veh_rr, drv_rr;
	double fault_acc;
	struct sim_table t[WB_ENT__COUNT];
	struct sim_pos *pos;
	size_t pos_cap;
	uint64_t pos_seq; /* newest position sequence; 0 = none */
	/* the AI service's index (kind, subject) -> exception */
	uint64_t *ai_keys;
	uint32_t *ai_vals;
	size_t ai_cap, ai_n;
	uint64_t ai_wrong, ai_total, ai_gen;
	struct sim_scenario *scn;
};

#define SIM_STEP_S 30 /* the world advances in fixed steps of simulated time */

static inline void *sim_row(const struct sim_table *t, size_t i)
{
	return t->rows + i * t->row_size;
}
#define SIM_ROW(w, E, type, i) ((struct type *)sim_row(&(w)->t[WB_ENT_##E], (i)))

/* rng.c: deterministic randomness (splitmix64) */
uint64_t sim_rng_next(uint64_t *s);
double sim_rng_unit(uint64_t *s);               /* [0,1) */
int sim_rng_range(uint64_t *s, int lo, int hi); /* [lo,hi] */
uint64_t sim_hash64(uint64_t x);
uint64_t sim_fnv1a(uint64_t h, const void *p, size_t n);

/* table.c: rows, versions, change log, ids, cursors */
int sim_tables_init(struct sim_world *w);
void sim_tables_free(struct sim_world *w);
/* Appends a zeroed row and records it as changed; returns its index or -1. */
long sim_add(struct sim_world *w, enum wb_entity e);
/* Marks row i changed: version+1, a new global sequence, a change-log entry. */
int sim_touch(struct sim_world *w, enum wb_entity e, size_t i);
int sim_delete(struct sim_world *w, enum wb_entity e, size_t i);
/* A row's id: "L-12"; vehicles and drivers as the dialect names them
 * (sim_dialect_format_id). */
void sim_format_id(const struct sim_world *w, enum wb_entity e, size_t i, char *buf, size_t n);
/* Parses "L-12" (or a dialect's vehicle or driver id) into its row index; -1
 * when malformed, unknown or purged. */
long sim_parse_id(const struct sim_world *w, enum wb_entity e, const char *s);
int sim_entity_by_path(const char *path); /* -1 if none */
void sim_cursor_format(const struct sim_world *w, int e, uint64_t seq, uint64_t horizon, char *buf,
                       size_t n);
/* 0 ok, -1 malformed; fills *seq. */
int sim_cursor_parse(const struct sim_world *w, int e, const char *s, uint64_t max, uint64_t *seq,
                     uint64_t *horizon);
/* Index of the first change-log entry with seq > after. */
size_t sim_log_find(const struct sim_table *t, uint64_t after);
void sim_purge_tombstones(struct sim_world *w);
size_t sim_live_count(const struct sim_world *w, enum wb_entity e);
uint64_t sim_checksum(const struct sim_world *w);

/* dialect_ids.c: how each dialect names vehicles and drivers; the canonical
 * dialect (and every other entity) uses "PREFIX-N". sim_dialect_parse_id
 * returns the 0-based index or -1. */
extern const char *const sim_dialect_names[SIM_DIALECT__COUNT];
int sim_dialect_by_name(const char *name); /* -1 if unknown */
int sim_dialect_format_id(int dialect, enum wb_entity e, size_t i, char *buf, size_t n);
long sim_dialect_parse_id(int dialect, enum wb_entity e, const char *s);

/* world.c: the generated world */
int sim_world_init(struct sim_world *w, const struct sim_opts *o);
void sim_world_free(struct sim_world *w);
/* Creates one load (order, stops, staging, charges) departing at dep. Returns load index. */
long sim_world_new_load(struct sim_world *w, int64_t dep, int64_t now);
void sim_stop_pos(const struct sim_world *w, const struct sim_load *l, double along_m, double *lat,
                  double *lon, double *heading);
double sim_dist_m(double lat1, double lon1, double lat2, double lon2);
double sim_depot_lat(int depot);
double sim_depot_lon(int depot);

/* tick.c: the simulated clock */
void sim_step(struct sim_world *w);                  /* advances SIM_STEP_S, caller holds mu */
void sim_advance_to(struct sim_world *w, int64_t t); /* steps until now >= t */

/* loads.c: loads through their lifecycle */
int sim_load_assign(struct sim_world *w, size_t l, int32_t v, int32_t d);
void sim_load_step(struct sim_world *w, size_t l);    /* one step of a load's lifecycle */
void sim_load_deliver(struct sim_world *w, size_t l); /* the last drop is done */
void sim_new_inspection(struct sim_world *w, uint32_t v, int32_t d,
                        int kind);           /* 0 pre-trip, 1 post-trip */
void sim_invoices_step(struct sim_world *w); /* invoices sent and paid */

/* shipments.c: the ERP's customer shipments, one per load, following it */
void sim_shipment_open(struct sim_world *w, size_t load); /* once the load is planned */
void sim_shipment_follow(struct sim_world *w, size_t load);
extern const char *const sim_shipment_status_names[];

/* drive.c: vehicles on the road and parked */
void sim_emit_position(struct sim_world *w, uint32_t v);
double sim_route_to_stop_m(const struct sim_world *w, const struct sim_load *l,
                           int k); /* road metres to stop k */
void sim_vehicle_drive(struct sim_world *w, uint32_t v);
void sim_vehicle_parked(struct sim_world *w, uint32_t v);

/* maint.c */
void sim_new_fault(struct sim_world *w);
void sim_maintenance(struct sim_world *w);
long sim_open_work_order(struct sim_world *w, uint32_t vi, int32_t fault, int category, int status);
/* Brings vehicle vi's maintenance record (served at /v1/vehicle_maint) in step
 * with the vehicle, creating it the first time: sim_touch calls it for every
 * change of a vehicle, whoever made it (the clock, a hold, a work order). */
void sim_vehicle_maint_follow(struct sim_world *w, size_t vi);
extern const char *const sim_maint_status_names[];

/* render.c: rows as JSON, with model.h field names */
json_t *sim_render(const struct sim_world *w, enum wb_entity e, size_t i);
json_t *sim_render_pos(const struct sim_world *w, const struct sim_pos *p);
json_t *sim_time_json(int64_t t);
void sim_time_fmt(int64_t t, char *buf, size_t n);
extern const char *const sim_load_status_names[];
extern const char *const sim_vehicle_status_names[];
extern const char *const sim_invoice_status_names[];
extern const char *const sim_exc_status_names[];
extern const char *const sim_exc_kind_names[];
extern const char *const sim_role_names[];
extern const char *const sim_service_names[];
const char *sim_fault_code(int code);
int sim_fault_code_index(const char *code);
int sim_fault_severity(int code); /* 0 critical .. 3 info */
int sim_fault_count(void);
extern const char *const sim_pod_exc_names[];
void sim_customer_name(size_t i, char *buf, size_t n);
extern const char *const sim_carriers[];

/* ai.c: the AI exception service */
enum {
	XK_LATE_ETA,
	XK_MISSED_WINDOW,
	XK_FUEL_ANOMALY,
	XK_IDLE_EXCESS,
	XK_CRITICAL_FAULT,
	XK_UNSAFE_INSPECTION,
	XK_DETENTION,
	XK_POD_MISMATCH,
	XK_INVOICE_DISPUTE,
	XK_CHARGE_OUT_OF_TOLERANCE,
	XK_PARTIAL_SHIPMENT,
	XK_FAILED_DELIVERY,
	XK_ROUTE_CHANGE,
	XK_SUBCONTRACTED_LEG,
	XK__COUNT
};
void sim_ai_scan(struct sim_world *w);
void sim_ai_free(struct sim_world *w);
int sim_exc_kind_index(const char *s);
json_t *sim_ai_truth(const struct sim_world *w);

/* scenario.c */
int sim_scenario_load(struct sim_world *w, const char *dir, const char *name, char *err,
                      size_t errn);
void sim_scenario_free(struct sim_world *w);
json_t *sim_scenario_truth(const struct sim_world *w);

#endif
