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

#define WB_CTYPE_TEXT const char *
#define WB_CTYPE_INT int64_t
#define WB_CTYPE_REAL double

/* clang-format off */
#define WB_CUSTOMER_FIELDS(X, S)                                                                   \
	X(S, TEXT, name)                                                                           \
	X(S, INT, payment_terms_days)                                                              \
	X(S, REAL, credit_limit)
/* clang-format on */

/* clang-format off */
#define WB_ORDER_FIELDS(X, S)                                                                      \
	X(S, TEXT, number)                                                                         \
	X(S, TEXT, customer_id)                                                                    \
	X(S, INT, ordered_at)                                                                      \
	X(S, INT, requested_at)                                                                    \
	X(S, TEXT, status)                                                                         \
	X(S, TEXT, currency)                                                                       \
	X(S, REAL, total)
/* clang-format on */

/* status: planned, staged, released, in_transit, delivered, pod_received,
 * invoiced, cancelled. carrier: "own" or the subcontractor's name.
 * tendered_at/departed_at/delivered_at feed the dispatch-cycle and POD KPIs;
 * empty_m is the deadhead distance driven to reach the first pickup. */
/* clang-format off */
#define WB_LOAD_FIELDS(X, S)                                                                       \
	X(S, TEXT, number)                                                                         \
	X(S, TEXT, order_id)                                                                       \
	X(S, TEXT, depot)                                                                          \
	X(S, TEXT, status)                                                                         \
	X(S, INT, priority)                                                                        \
	X(S, TEXT, vehicle_id)                                                                     \
	X(S, TEXT, trailer_id)                                                                     \
	X(S, TEXT, driver_id)                                                                      \
	X(S, TEXT, carrier)                                                                        \
	X(S, TEXT, origin)                                                                         \
	X(S, TEXT, destination)                                                                    \
	X(S, INT, planned_departure)                                                               \
	X(S, INT, eta)                                                                             \
	X(S, INT, tendered_at)                                                                     \
	X(S, INT, departed_at)                                                                     \
	X(S, INT, delivered_at)                                                                    \
	X(S, REAL, revenue)                                                                        \
	X(S, REAL, est_cost)                                                                       \
	X(S, INT, pallets)                                                                         \
	X(S, REAL, weight_kg)                                                                      \
	X(S, REAL, distance_m)                                                                     \
	X(S, REAL, empty_m)                                                                        \
	X(S, INT, planned_drive_s)                                                                 \
	X(S, INT, route_changed)
/* clang-format on */

/* kind: pickup, drop. status: pending, arrived, departed, skipped, failed, partial. */
/* clang-format off */
#define WB_STOP_FIELDS(X, S)                                                                       \
	X(S, TEXT, load_id)                                                                        \
	X(S, INT, seq)                                                                             \
	X(S, TEXT, kind)                                                                           \
	X(S, TEXT, place)                                                                          \
	X(S, REAL, lat)                                                                            \
	X(S, REAL, lon)                                                                            \
	X(S, INT, window_start)                                                                    \
	X(S, INT, window_end)                                                                      \
	X(S, INT, eta)                                                                             \
	X(S, INT, arrived_at)                                                                      \
	X(S, INT, departed_at)                                                                     \
	X(S, TEXT, status)                                                                         \
	X(S, INT, pallets_planned)                                                                 \
	X(S, INT, pallets_done)
/* clang-format on */

/* kind: tractor, trailer, van, rigid. status: available, assigned,
 * in_transit, in_shop, out_of_service. idle_s counts engine-on time at rest today.
 * on_hold: a maintenance or dispatch hold placed at the source (1/0). */
/* clang-format off */
#define WB_VEHICLE_FIELDS(X, S)                                                                    \
	X(S, TEXT, unit)                                                                           \
	X(S, TEXT, kind)                                                                           \
	X(S, TEXT, depot)                                                                          \
	X(S, TEXT, status)                                                                         \
	X(S, REAL, odometer_m)                                                                     \
	X(S, INT, engine_s)                                                                        \
	X(S, REAL, fuel_pct)                                                                       \
	X(S, REAL, tank_l)                                                                         \
	X(S, REAL, lat)                                                                            \
	X(S, REAL, lon)                                                                            \
	X(S, REAL, speed_mps)                                                                      \
	X(S, REAL, heading)                                                                        \
	X(S, INT, last_seen_ms)                                                                    \
	X(S, REAL, pm_due_odometer_m)                                                              \
	X(S, INT, idle_s)                                                                          \
	X(S, INT, on_hold)                                                                         \
	X(S, TEXT, hold_reason)
/* clang-format on */

/* clang-format off */
#define WB_DRIVER_FIELDS(X, S)                                                                     \
	X(S, TEXT, name)                                                                           \
	X(S, TEXT, depot)                                                                          \
	X(S, TEXT, status)                                                                         \
	X(S, INT, drive_left_s)                                                                    \
	X(S, INT, duty_left_s)                                                                     \
	X(S, INT, cycle_left_s)                                                                    \
	X(S, TEXT, vehicle_id)
/* clang-format on */

/* protocol: j1939, obd2. severity: critical, major, minor, info. */
/* clang-format off */
#define WB_FAULT_FIELDS(X, S)                                                                      \
	X(S, TEXT, vehicle_id)                                                                     \
	X(S, TEXT, code)                                                                           \
	X(S, TEXT, protocol)                                                                       \
	X(S, TEXT, severity)                                                                       \
	X(S, TEXT, description)                                                                    \
	X(S, INT, first_seen)                                                                      \
	X(S, INT, last_seen)                                                                       \
	X(S, INT, active)
/* clang-format on */

/* clang-format off */
#define WB_INSPECTION_FIELDS(X, S)                                                                 \
	X(S, TEXT, vehicle_id)                                                                     \
	X(S, TEXT, driver_id)                                                                      \
	X(S, TEXT, kind)                                                                           \
	X(S, INT, safe)                                                                            \
	X(S, TEXT, defects)                                                                        \
	X(S, INT, at)
/* clang-format on */

/* status: proposed, open, in_progress, closed. category: preventive, corrective, inspection. */
/* clang-format off */
#define WB_WORK_ORDER_FIELDS(X, S)                                                                 \
	X(S, TEXT, vehicle_id)                                                                     \
	X(S, TEXT, fault_id)                                                                       \
	X(S, TEXT, status)                                                                         \
	X(S, TEXT, category)                                                                       \
	X(S, INT, opened_at)                                                                       \
	X(S, INT, due_at)                                                                          \
	X(S, INT, closed_at)                                                                       \
	X(S, REAL, est_cost)
/* clang-format on */

/* clang-format off */
#define WB_PART_RESERVATION_FIELDS(X, S)                                                           \
	X(S, TEXT, work_order_id)                                                                  \
	X(S, TEXT, item)                                                                           \
	X(S, INT, qty)                                                                             \
	X(S, TEXT, status)
/* clang-format on */

/* clang-format off */
#define WB_STAGING_FIELDS(X, S)                                                                    \
	X(S, TEXT, load_id)                                                                        \
	X(S, TEXT, dock_door)                                                                      \
	X(S, INT, pallets_staged)                                                                  \
	X(S, INT, pallets_total)                                                                   \
	X(S, INT, labor_ready)                                                                     \
	X(S, TEXT, status)                                                                         \
	X(S, INT, appointment_at)
/* clang-format on */

/* exception_codes: comma-separated source codes, "" when the POD is clean. */
/* clang-format off */
#define WB_POD_FIELDS(X, S)                                                                        \
	X(S, TEXT, load_id)                                                                        \
	X(S, TEXT, stop_id)                                                                        \
	X(S, TEXT, signed_by)                                                                      \
	X(S, INT, signed_at)                                                                       \
	X(S, TEXT, exception_codes)                                                                \
	X(S, TEXT, document_ref)
/* clang-format on */

/* status: draft, held, released, sent, paid, disputed. */
/* clang-format off */
#define WB_INVOICE_FIELDS(X, S)                                                                    \
	X(S, TEXT, number)                                                                         \
	X(S, TEXT, load_id)                                                                        \
	X(S, TEXT, customer_id)                                                                    \
	X(S, REAL, amount)                                                                         \
	X(S, TEXT, currency)                                                                       \
	X(S, TEXT, status)                                                                         \
	X(S, INT, issued_at)                                                                       \
	X(S, INT, due_at)                                                                          \
	X(S, INT, paid_at)
/* clang-format on */

/* code: linehaul, fuel, detention, lumper, toll. rated_amount is what the rate
 * agreement allows for this code; origin says who billed it (rate, carrier, driver). */
/* clang-format off */
#define WB_CHARGE_FIELDS(X, S)                                                                     \
	X(S, TEXT, load_id)                                                                        \
	X(S, TEXT, code)                                                                           \
	X(S, REAL, amount)                                                                         \
	X(S, REAL, rated_amount)                                                                   \
	X(S, TEXT, origin)
/* clang-format on */

/* card: masked, last four digits only. */
/* clang-format off */
#define WB_FUEL_TXN_FIELDS(X, S)                                                                   \
	X(S, TEXT, vehicle_id)                                                                     \
	X(S, TEXT, driver_id)                                                                      \
	X(S, INT, at)                                                                              \
	X(S, REAL, litres)                                                                         \
	X(S, REAL, amount)                                                                         \
	X(S, REAL, lat)                                                                            \
	X(S, REAL, lon)                                                                            \
	X(S, TEXT, station)                                                                        \
	X(S, TEXT, card)
/* clang-format on */

/* kind: see docs/design.md §2 (kinds and their subjects). subject_kind: load, vehicle, driver,
 * invoice, stop. origin: "ai" (the source's service) or "local" (a Waybill detector). status: open,
 * acknowledged, approved, rejected, escalated, resolved, auto_applied. required_role: dispatcher,
 * supervisor. evidence: one human-readable paragraph. related_id: the record that is the evidence
 * (a fault, fuel_txn, charge, pod, stop). */
/* clang-format off */
#define WB_EXCEPTION_FIELDS(X, S)                                                                  \
	X(S, TEXT, kind)                                                                           \
	X(S, TEXT, subject_kind)                                                                   \
	X(S, TEXT, subject_id)                                                                     \
	X(S, TEXT, severity)                                                                       \
	X(S, REAL, confidence)                                                                     \
	X(S, REAL, impact)                                                                         \
	X(S, TEXT, suggested_action)                                                               \
	X(S, TEXT, evidence)                                                                       \
	X(S, TEXT, origin)                                                                         \
	X(S, TEXT, status)                                                                         \
	X(S, TEXT, required_role)                                                                  \
	X(S, TEXT, owner)                                                                          \
	X(S, INT, detected_at)                                                                     \
	X(S, INT, resolved_at)                                                                     \
	X(S, TEXT, related_id)
/* clang-format on */

/* Every synced entity: enum suffix, struct/function suffix, table name, fields.
 * A field list is FIELDS(X, S): it calls X(S, TYPE, name) for each field, S
 * being the entity's struct suffix, so expansions can name struct wb_##S. */
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
	X(EXCEPTION, exception, "exception", WB_EXCEPTION_FIELDS)
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

#define WB_FIELD_DECL(S, type, name) WB_CTYPE_##type name;
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
