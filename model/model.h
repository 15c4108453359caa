/* The canonical model (docs/design.md §5): Waybill's own entities, the same whatever
 * the sources. Each entity is declared once, as an X-macro field list, which
 * generates its plain struct here and its column table in model/model.c.
 * Units are SI; times are UTC epoch seconds, or milliseconds where the name says _ms. */
#ifndef WAYBILL_MODEL_H
#define WAYBILL_MODEL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* "Unknown" for the three column types: TEXT is NULL, INT is WB_NULL, REAL is NAN. */
#define WB_NULL INT64_MIN
#define WB_IS_NULL_REAL(x) isnan(x)

enum wb_type { WB_TEXT, WB_INT, WB_REAL };

/* What a sane value of a field is, named beside each field in the lists below:
 * a connector refuses a record carrying a value outside its field's range
 * (connector_map_fields), so nothing downstream meets a departure in the year
 * 30,000 or a latitude of 1e308. The bounds are in model/model.c and
 * docs/api.md ("Ranges"). ANY: text, no range. */
/* clang-format off */
#define WB_RANGES(X)                                                                               \
	X(ANY)           /* text */                                                                \
	X(TIME)          /* epoch seconds, 2000-01-01 .. 2100-01-01 */                             \
	X(TIME_MS)       /* the same in epoch milliseconds */                                      \
	X(LAT)           /* degrees, -90 .. 90 */                                                  \
	X(LON)           /* degrees, -180 .. 180 */                                                \
	X(SPEED)         /* m/s, 0 .. 150 */                                                       \
	X(HEADING)       /* degrees, 0 .. 360 */                                                   \
	X(PCT)           /* percent, 0 .. 100 */                                                   \
	X(RATIO)         /* 0 .. 1 */                                                              \
	X(LITRES)        /* 0 .. 100,000 */                                                        \
	X(DIST)          /* metres, 0 .. 1e10 (odometers, distances) */                            \
	X(MASS)          /* kg, 0 .. 1e6 */                                                        \
	X(DURATION)      /* seconds, 0 .. 1e9 */                                                   \
	X(DURATION_LEFT) /* seconds, -1e9 .. 1e9: a clock left, negative when over */              \
	X(MONEY)         /* major units of the record's currency, -1e12 .. 1e12 */                 \
	X(COUNT)         /* whole things, 0 .. 1,000,000 */                                        \
	X(FLAG)          /* 0 or 1 */
/* clang-format on */

enum wb_range {
#define WB_RANGE_ENUM(r) WB_R_##r,
	WB_RANGES(WB_RANGE_ENUM)
#undef WB_RANGE_ENUM
	        WB_R__COUNT
};

/* The bounds of a range, inclusive, and how a message says them. */
struct wb_range_info {
	double lo, hi;
	const char *says; /* "a time from 2000-01-01 to 2100-01-01" */
};

/* NULL for a range that does not exist. */
const struct wb_range_info *wb_range_info(enum wb_range r);
/* 1 when x lies in range r; NaN and infinities never do; ANY holds anything. */
int wb_in_range(enum wb_range r, double x);

#define WB_CTYPE_TEXT const char *
#define WB_CTYPE_INT int64_t
#define WB_CTYPE_REAL double

/* clang-format off */
#define WB_CUSTOMER_FIELDS(X, S)                                                                   \
	X(S, TEXT, name, ANY)                                                                      \
	X(S, INT, payment_terms_days, COUNT)                                                       \
	X(S, REAL, credit_limit, MONEY)
/* clang-format on */

/* clang-format off */
#define WB_ORDER_FIELDS(X, S)                                                                      \
	X(S, TEXT, number, ANY)                                                                    \
	X(S, TEXT, customer_id, ANY)                                                               \
	X(S, INT, ordered_at, TIME)                                                                \
	X(S, INT, requested_at, TIME)                                                              \
	X(S, TEXT, status, ANY)                                                                    \
	X(S, TEXT, currency, ANY)                                                                  \
	X(S, REAL, total, MONEY)
/* clang-format on */

/* status: planned, staged, released, in_transit, delivered, pod_received,
 * invoiced, cancelled. carrier: "own" or the subcontractor's name.
 * tendered_at/departed_at/delivered_at feed the dispatch-cycle and POD KPIs;
 * empty_m is the deadhead distance driven to reach the first pickup. */
/* clang-format off */
#define WB_LOAD_FIELDS(X, S)                                                                       \
	X(S, TEXT, number, ANY)                                                                    \
	X(S, TEXT, order_id, ANY)                                                                  \
	X(S, TEXT, depot, ANY)                                                                     \
	X(S, TEXT, status, ANY)                                                                    \
	X(S, INT, priority, COUNT)                                                                 \
	X(S, TEXT, vehicle_id, ANY)                                                                \
	X(S, TEXT, trailer_id, ANY)                                                                \
	X(S, TEXT, driver_id, ANY)                                                                 \
	X(S, TEXT, carrier, ANY)                                                                   \
	X(S, TEXT, origin, ANY)                                                                    \
	X(S, TEXT, destination, ANY)                                                               \
	X(S, INT, planned_departure, TIME)                                                         \
	X(S, INT, eta, TIME)                                                                       \
	X(S, INT, tendered_at, TIME)                                                               \
	X(S, INT, departed_at, TIME)                                                               \
	X(S, INT, delivered_at, TIME)                                                              \
	X(S, REAL, revenue, MONEY)                                                                 \
	X(S, REAL, est_cost, MONEY)                                                                \
	X(S, INT, pallets, COUNT)                                                                  \
	X(S, REAL, weight_kg, MASS)                                                                \
	X(S, REAL, distance_m, DIST)                                                               \
	X(S, REAL, empty_m, DIST)                                                                  \
	X(S, INT, planned_drive_s, DURATION)                                                       \
	X(S, INT, route_changed, FLAG)
/* clang-format on */

/* kind: pickup, drop. status: pending, arrived, departed, skipped, failed, partial. */
/* clang-format off */
#define WB_STOP_FIELDS(X, S)                                                                       \
	X(S, TEXT, load_id, ANY)                                                                   \
	X(S, INT, seq, COUNT)                                                                      \
	X(S, TEXT, kind, ANY)                                                                      \
	X(S, TEXT, place, ANY)                                                                     \
	X(S, REAL, lat, LAT)                                                                       \
	X(S, REAL, lon, LON)                                                                       \
	X(S, INT, window_start, TIME)                                                              \
	X(S, INT, window_end, TIME)                                                                \
	X(S, INT, eta, TIME)                                                                       \
	X(S, INT, arrived_at, TIME)                                                                \
	X(S, INT, departed_at, TIME)                                                               \
	X(S, TEXT, status, ANY)                                                                    \
	X(S, INT, pallets_planned, COUNT)                                                          \
	X(S, INT, pallets_done, COUNT)
/* clang-format on */

/* kind: tractor, trailer, van, rigid. status: available, assigned,
 * in_transit, in_shop, out_of_service. idle_s counts engine-on time at rest today.
 * on_hold: a maintenance or dispatch hold placed at the source (1/0). */
/* clang-format off */
#define WB_VEHICLE_FIELDS(X, S)                                                                    \
	X(S, TEXT, unit, ANY)                                                                      \
	X(S, TEXT, kind, ANY)                                                                      \
	X(S, TEXT, depot, ANY)                                                                     \
	X(S, TEXT, status, ANY)                                                                    \
	X(S, REAL, odometer_m, DIST)                                                               \
	X(S, INT, engine_s, DURATION)                                                              \
	X(S, REAL, fuel_pct, PCT)                                                                  \
	X(S, REAL, tank_l, LITRES)                                                                 \
	X(S, REAL, lat, LAT)                                                                       \
	X(S, REAL, lon, LON)                                                                       \
	X(S, REAL, speed_mps, SPEED)                                                               \
	X(S, REAL, heading, HEADING)                                                               \
	X(S, INT, last_seen_ms, TIME_MS)                                                           \
	X(S, REAL, pm_due_odometer_m, DIST)                                                        \
	X(S, INT, idle_s, DURATION)                                                                \
	X(S, INT, on_hold, FLAG)                                                                   \
	X(S, TEXT, hold_reason, ANY)
/* clang-format on */

/* clang-format off */
#define WB_DRIVER_FIELDS(X, S)                                                                     \
	X(S, TEXT, name, ANY)                                                                      \
	X(S, TEXT, depot, ANY)                                                                     \
	X(S, TEXT, status, ANY)                                                                    \
	X(S, INT, drive_left_s, DURATION_LEFT)                                                     \
	X(S, INT, duty_left_s, DURATION_LEFT)                                                      \
	X(S, INT, cycle_left_s, DURATION_LEFT)                                                     \
	X(S, TEXT, vehicle_id, ANY)
/* clang-format on */

/* protocol: j1939, obd2. severity: critical, major, minor, info. */
/* clang-format off */
#define WB_FAULT_FIELDS(X, S)                                                                      \
	X(S, TEXT, vehicle_id, ANY)                                                                \
	X(S, TEXT, code, ANY)                                                                      \
	X(S, TEXT, protocol, ANY)                                                                  \
	X(S, TEXT, severity, ANY)                                                                  \
	X(S, TEXT, description, ANY)                                                               \
	X(S, INT, first_seen, TIME)                                                                \
	X(S, INT, last_seen, TIME)                                                                 \
	X(S, INT, active, FLAG)
/* clang-format on */

/* clang-format off */
#define WB_INSPECTION_FIELDS(X, S)                                                                 \
	X(S, TEXT, vehicle_id, ANY)                                                                \
	X(S, TEXT, driver_id, ANY)                                                                 \
	X(S, TEXT, kind, ANY)                                                                      \
	X(S, INT, safe, FLAG)                                                                      \
	X(S, TEXT, defects, ANY)                                                                   \
	X(S, INT, at, TIME)
/* clang-format on */

/* status: proposed, open, in_progress, closed. category: preventive, corrective, inspection. */
/* clang-format off */
#define WB_WORK_ORDER_FIELDS(X, S)                                                                 \
	X(S, TEXT, vehicle_id, ANY)                                                                \
	X(S, TEXT, fault_id, ANY)                                                                  \
	X(S, TEXT, status, ANY)                                                                    \
	X(S, TEXT, category, ANY)                                                                  \
	X(S, INT, opened_at, TIME)                                                                 \
	X(S, INT, due_at, TIME)                                                                    \
	X(S, INT, closed_at, TIME)                                                                 \
	X(S, REAL, est_cost, MONEY)
/* clang-format on */

/* clang-format off */
#define WB_PART_RESERVATION_FIELDS(X, S)                                                           \
	X(S, TEXT, work_order_id, ANY)                                                             \
	X(S, TEXT, item, ANY)                                                                      \
	X(S, INT, qty, COUNT)                                                                      \
	X(S, TEXT, status, ANY)
/* clang-format on */

/* clang-format off */
#define WB_STAGING_FIELDS(X, S)                                                                    \
	X(S, TEXT, load_id, ANY)                                                                   \
	X(S, TEXT, dock_door, ANY)                                                                 \
	X(S, INT, pallets_staged, COUNT)                                                           \
	X(S, INT, pallets_total, COUNT)                                                            \
	X(S, INT, labor_ready, FLAG)                                                               \
	X(S, TEXT, status, ANY)                                                                    \
	X(S, INT, appointment_at, TIME)
/* clang-format on */

/* exception_codes: comma-separated source codes, "" when the POD is clean. */
/* clang-format off */
#define WB_POD_FIELDS(X, S)                                                                        \
	X(S, TEXT, load_id, ANY)                                                                   \
	X(S, TEXT, stop_id, ANY)                                                                   \
	X(S, TEXT, signed_by, ANY)                                                                 \
	X(S, INT, signed_at, TIME)                                                                 \
	X(S, TEXT, exception_codes, ANY)                                                           \
	X(S, TEXT, document_ref, ANY)
/* clang-format on */

/* status: draft, held, released, sent, paid, disputed. load_id is the load it bills when the
 * source knows it (the simulator does); order_id the order (sale) it belongs to, which is all a
 * real ERP knows: the cache joins it to the order's load (docs/design.md §5, "Billing joins"). */
/* clang-format off */
#define WB_INVOICE_FIELDS(X, S)                                                                    \
	X(S, TEXT, number, ANY)                                                                    \
	X(S, TEXT, load_id, ANY)                                                                   \
	X(S, TEXT, order_id, ANY)                                                                  \
	X(S, TEXT, customer_id, ANY)                                                               \
	X(S, REAL, amount, MONEY)                                                                  \
	X(S, TEXT, currency, ANY)                                                                  \
	X(S, TEXT, status, ANY)                                                                    \
	X(S, INT, issued_at, TIME)                                                                 \
	X(S, INT, due_at, TIME)                                                                    \
	X(S, INT, paid_at, TIME)
/* clang-format on */

/* code: linehaul, fuel, detention, lumper, toll. rated_amount is what the rate
 * agreement allows for this code; origin says who billed it (rate, carrier, driver).
 * load_id and order_id as on an invoice: either may be unknown. */
/* clang-format off */
#define WB_CHARGE_FIELDS(X, S)                                                                     \
	X(S, TEXT, load_id, ANY)                                                                   \
	X(S, TEXT, order_id, ANY)                                                                  \
	X(S, TEXT, code, ANY)                                                                      \
	X(S, REAL, amount, MONEY)                                                                  \
	X(S, REAL, rated_amount, MONEY)                                                            \
	X(S, TEXT, origin, ANY)
/* clang-format on */

/* A customer shipment as the ERP keeps it (Tryton's stock.shipment.out): the goods of an
 * order leaving the depot. status is the ERP's state: draft, waiting, assigned, picked, packed,
 * done, cancelled. planned_at is the planned date, effective_at when it was done; address is
 * the delivery address as one line. It meets a load through order_id. */
/* clang-format off */
#define WB_SHIPMENT_FIELDS(X, S)                                                                   \
	X(S, TEXT, number, ANY)                                                                    \
	X(S, TEXT, order_id, ANY)                                                                  \
	X(S, TEXT, customer_id, ANY)                                                               \
	X(S, TEXT, status, ANY)                                                                    \
	X(S, INT, planned_at, TIME)                                                                \
	X(S, INT, effective_at, TIME)                                                              \
	X(S, TEXT, carrier, ANY)                                                                   \
	X(S, TEXT, address, ANY)
/* clang-format on */

/* The maintenance system's facts about a vehicle (a maintenance source's
 * vehicle_maint stream, one record per vehicle): status is the part of a
 * vehicle's status that maintenance owns (in_shop, out_of_service, or
 * available: neither), pm_due_odometer_m when preventive maintenance falls
 * due, on_hold and hold_reason the hold it keeps. Where one exists it wins
 * over the vehicle row's (cache: vehicle_now, docs/design.md §5). */
/* clang-format off */
#define WB_VEHICLE_MAINT_FIELDS(X, S)                                                              \
	X(S, TEXT, vehicle_id, ANY)                                                                \
	X(S, TEXT, status, ANY)                                                                    \
	X(S, REAL, pm_due_odometer_m, DIST)                                                        \
	X(S, INT, on_hold, FLAG)                                                                   \
	X(S, TEXT, hold_reason, ANY)
/* clang-format on */

/* card: masked, last four digits only. */
/* clang-format off */
#define WB_FUEL_TXN_FIELDS(X, S)                                                                   \
	X(S, TEXT, vehicle_id, ANY)                                                                \
	X(S, TEXT, driver_id, ANY)                                                                 \
	X(S, INT, at, TIME)                                                                        \
	X(S, REAL, litres, LITRES)                                                                 \
	X(S, REAL, amount, MONEY)                                                                  \
	X(S, REAL, lat, LAT)                                                                       \
	X(S, REAL, lon, LON)                                                                       \
	X(S, TEXT, station, ANY)                                                                   \
	X(S, TEXT, card, ANY)
/* clang-format on */

/* kind: see docs/design.md §2 (kinds and their subjects). subject_kind: load, vehicle, driver,
 * invoice, stop. origin: "ai" (the source's service) or "local" (a Waybill detector). status: open,
 * acknowledged, approved, rejected, escalated, resolved, auto_applied. required_role: dispatcher,
 * supervisor. evidence: one human-readable paragraph. related_id: the record that is the evidence
 * (a fault, fuel_txn, charge, pod, stop). */
/* clang-format off */
#define WB_EXCEPTION_FIELDS(X, S)                                                                  \
	X(S, TEXT, kind, ANY)                                                                      \
	X(S, TEXT, subject_kind, ANY)                                                              \
	X(S, TEXT, subject_id, ANY)                                                                \
	X(S, TEXT, severity, ANY)                                                                  \
	X(S, REAL, confidence, RATIO)                                                              \
	X(S, REAL, impact, MONEY)                                                                  \
	X(S, TEXT, suggested_action, ANY)                                                          \
	X(S, TEXT, evidence, ANY)                                                                  \
	X(S, TEXT, origin, ANY)                                                                    \
	X(S, TEXT, status, ANY)                                                                    \
	X(S, TEXT, required_role, ANY)                                                             \
	X(S, TEXT, owner, ANY)                                                                     \
	X(S, INT, detected_at, TIME)                                                               \
	X(S, INT, resolved_at, TIME)                                                               \
	X(S, TEXT, related_id, ANY)
/* clang-format on */

/* Every synced entity: enum suffix, struct/function suffix, table name, fields.
 * A field list is FIELDS(X, S): it calls X(S, TYPE, name, RANGE) for each field,
 * S being the entity's struct suffix, so expansions can name struct wb_##S, and
 * RANGE one of WB_RANGES. */
/* clang-format off */
#define WB_ENTITIES(X)                                                                             \
	X(CUSTOMER, customer, "customer", WB_CUSTOMER_FIELDS)                                      \
	X(ORDER, order, "orders", WB_ORDER_FIELDS)                                                 \
	X(LOAD, load, "load", WB_LOAD_FIELDS)                                                      \
	X(STOP, stop, "stop", WB_STOP_FIELDS)                                                      \
	X(VEHICLE, vehicle, "vehicle", WB_VEHICLE_FIELDS)                                          \
	X(DRIVER, driver, "driver", WB_DRIVER_FIELDS)                                              \
	X(FAULT, fault, "fault", WB_FAULT_FIELDS)                                                  \
	X(INSPECTION, inspection, "inspection", WB_INSPECTION_FIELDS)                              \
	X(WORK_ORDER, work_order, "work_order", WB_WORK_ORDER_FIELDS)                              \
	X(PART_RESERVATION, part_reservation, "part_reservation", WB_PART_RESERVATION_FIELDS)      \
	X(STAGING, staging, "staging", WB_STAGING_FIELDS)                                          \
	X(POD, pod, "pod", WB_POD_FIELDS)                                                          \
	X(INVOICE, invoice, "invoice", WB_INVOICE_FIELDS)                                          \
	X(CHARGE, charge, "charge", WB_CHARGE_FIELDS)                                              \
	X(FUEL_TXN, fuel_txn, "fuel_txn", WB_FUEL_TXN_FIELDS)                                      \
	X(EXCEPTION, exception, "exception", WB_EXCEPTION_FIELDS)                                  \
	X(SHIPMENT, shipment, "shipment", WB_SHIPMENT_FIELDS)                                      \
	X(VEHICLE_MAINT, vehicle_maint, "vehicle_maint", WB_VEHICLE_MAINT_FIELDS)
/* clang-format on */

enum wb_entity {
#define WB_ENTITY_ENUM(E, e, table, FIELDS) WB_ENT_##E,
	WB_ENTITIES(WB_ENTITY_ENUM)
#undef WB_ENTITY_ENUM
	        WB_ENT__COUNT
};

/* What every synced row carries. synced_at is stamped by the cache on write. */
struct wb_meta {
	const char *id;      /* Waybill's id, e.g. "L-1042"; unique per table */
	const char *source;  /* "erp", "tms", "telematics", "local" */
	const char *ext_id;  /* the source's own id */
	int64_t ext_version; /* the source's modified stamp or sequence */
	int deleted;         /* 1: a tombstone */
	int64_t synced_at;   /* filled on read; ignored on write */
};

#define WB_FIELD_DECL(S, type, name, range) WB_CTYPE_##type name;
/* clang-format off */
#define WB_STRUCT_DECL(E, e, table, FIELDS)                                                        \
	struct wb_##e {                                                                            \
	struct wb_meta meta;                                                                       \
	FIELDS(WB_FIELD_DECL, e)                                                                   \
	};
/* clang-format on */
WB_ENTITIES(WB_STRUCT_DECL)
#undef WB_STRUCT_DECL

/* A position report (append-only, retention-bounded; not a synced entity). */
struct wb_position {
	const char *vehicle_id;
	int64_t ts_ms;
	double lat, lon;
	double speed_mps;
	double heading; /* degrees clockwise from north */
	double odometer_m;
	double fuel_pct;
	int ignition; /* 1 on, 0 off, -1 unknown */
};

/* One column of an entity: how the cache binds and reads it. */
struct wb_column {
	const char *name;
	enum wb_type type;
	size_t offset; /* into the entity struct */
	enum wb_range range;
};

struct wb_entity_info {
	enum wb_entity entity;
	const char *name;  /* "load" */
	const char *table; /* "load"; "orders" for order */
	size_t size;       /* sizeof(struct wb_<name>) */
	const struct wb_column *cols;
	size_t ncols; /* entity fields only, not the meta columns */
};

const struct wb_entity_info *wb_entity_info(enum wb_entity e);
/* Looks up an entity by its name ("load") or table ("orders"); NULL if none. */
const struct wb_entity_info *wb_entity_by_name(const char *name);
/* Sets every field of an entity struct to unknown (NULL/WB_NULL/NAN) and zeroes meta. */
void wb_entity_clear(enum wb_entity e, void *row);

#endif
