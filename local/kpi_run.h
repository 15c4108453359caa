/* The KPIs of docs/design.md §6 over the cache, for `waybill kpi` and the sync
 * engine's local pass. Two ways to the same figures: kpi_full reads every live
 * row once (local/kpi_full.c); a struct kpi_state (local/kpi_state.c) keeps the
 * additive sums and what each row counted in memory, and after a sync batch
 * re-reads only the rows the batch changed. The local pass (local/kpi_run.c)
 * refreshes the connection's state and writes one sample per KPI per 5 minutes
 * of data time into kpi_sample, which the KPI board draws. */
#ifndef WAYBILL_KPI_RUN_H
#define WAYBILL_KPI_RUN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "cache/cache.h"
#include "core/core_detect.h"
#include "core/core_kpi.h"
#include "core/core_policy.h"
#include "base/err.h"

#define KPI_WINDOW_S 86400 /* utilization and downtime: the last 24 h */
#define KPI_DSO_DAYS 30
#define KPI_ROUTES_MAX 50     /* routes kept in the figures, lowest margin first */
#define KPI_SAMPLE_STEP_S 300 /* one sample per KPI per 5 minutes of data time */
#define KPI_SAMPLE_KEEP_S 86400

/* How a KPI's value reads: its unit. */
enum kpi_unit { KPI_UNIT_PCT, KPI_UNIT_DURATION_S, KPI_UNIT_DAYS, KPI_UNIT_MONEY };

/* The sampled KPIs, in board order: the one list every reader takes them from
 * (the KPI board's rows and labels, `waybill kpi`'s table, docs/kpi.md, which
 * test_kpi_list checks). X(name, label, unit, better): the sample name
 * (snake_case, unit last), the label a person reads, its enum kpi_unit, and
 * which way is better (+1 up, -1 down). */
/* clang-format off */
#define KPI_SAMPLES(X)                                                                             \
	X(on_time_pct, "On-time delivery", KPI_UNIT_PCT, +1)                                       \
	X(dispatch_cycle_s, "Dispatch cycle", KPI_UNIT_DURATION_S, -1)                             \
	X(asset_utilization_pct, "Asset utilization 24h", KPI_UNIT_PCT, +1)                        \
	X(maintenance_downtime_pct, "Maint. downtime 24h", KPI_UNIT_PCT, -1)                       \
	X(pod_completion_s, "POD completion", KPI_UNIT_DURATION_S, -1)                             \
	X(invoice_cycle_s, "Invoice cycle", KPI_UNIT_DURATION_S, -1)                               \
	X(dso_days, "DSO", KPI_UNIT_DAYS, -1)                                                      \
	X(exception_resolution_median_s, "Exception res. median", KPI_UNIT_DURATION_S, -1)         \
	X(exception_resolution_p90_s, "Exception res. P90", KPI_UNIT_DURATION_S, -1)               \
	X(empty_miles_pct, "Empty miles", KPI_UNIT_PCT, -1)                                        \
	X(dwell_s, "Dwell per stop", KPI_UNIT_DURATION_S, -1)                                      \
	X(detention_s, "Detention per stop", KPI_UNIT_DURATION_S, -1)                              \
	X(margin_per_load, "Margin per load", KPI_UNIT_MONEY, +1)                                  \
	X(ai_precision_pct, "AI flag precision", KPI_UNIT_PCT, +1)
/* clang-format on */

enum kpi_sample_id {
#define KPI_SAMPLE_ENUM(n, ...) KPI_##n,
	KPI_SAMPLES(KPI_SAMPLE_ENUM)
#undef KPI_SAMPLE_ENUM
	        KPI__COUNT
};
extern const char *const kpi_sample_name[KPI__COUNT];
/* The list as data, indexed by enum kpi_sample_id. */
struct kpi_info {
	const char *name, *label;
	enum kpi_unit unit;
	int better; /* +1: higher is better; -1: lower is */
};
extern const struct kpi_info kpi_info[KPI__COUNT];

struct kpi_route {
	char *origin, *destination; /* owned */
	size_t loads;
	double revenue, cost, margin;
};

/* Every figure; NAN when there is nothing to measure. */
struct kpi_figures {
	int64_t now;                         /* the data time the figures are for */
	double on_time_pct;                  /* drops inside their window, % */
	double dispatch_cycle_s;             /* mean tendered -> departed */
	double asset_utilization_pct;        /* revenue hours / available hours, last 24 h */
	double maintenance_downtime_pct;     /* work-order hours / available hours, last 24 h */
	double pod_completion_s;             /* mean delivered -> last POD signed */
	double invoice_cycle_s;              /* mean delivered -> invoice issued */
	double dso_days;                     /* over the last KPI_DSO_DAYS */
	struct core_kpi_duration resolution; /* exception detected -> resolved */
	double empty_miles_pct;
	double dwell_s;                     /* mean per stop */
	double detention_s;                 /* mean time past free time per detained stop */
	double margin_per_load;             /* (revenue - est_cost) / loads */
	double precision[CORE_KIND__COUNT]; /* AI flags approved / decided, per kind */
	double ai_precision;                /* the same over every kind */
	struct kpi_route *routes;           /* lowest margin first, at most KPI_ROUTES_MAX */
	size_t nroutes;
};

void kpi_figures_free(struct kpi_figures *f);
/* The value sampled under kpi_sample_name[id]. */
double kpi_figures_sample(const struct kpi_figures *f, enum kpi_sample_id id);
/* The object `waybill kpi --json` prints (keys as in tui/cmd_kpi.c's comment). */
json_t *kpi_figures_json(const struct kpi_figures *f);

/* Reads every live row and computes the figures at now (0: detect_run_now),
 * detention counted past free_s seconds at a stop (< 0: the detectors' default). */
int kpi_full(struct cache *c, int64_t now, int64_t free_s, struct kpi_figures *out,
             struct wb_err *err);

/* --- the incremental state (local/kpi_state.c) -------------------------------- */

/* One per cache connection. It watches the connection's writes (an SQLite
 * update hook records the rowids of changed loads, stops, vehicles, work
 * orders, PODs, invoices and exceptions) and remembers what each row counted,
 * so a refresh retracts a changed row's old share and adds its new one. A write
 * by another connection (PRAGMA data_version moved), a replaced update hook or
 * a batch larger than a quarter of the cache makes the next refresh a full scan
 * instead. The state lives until kpi_state_drop or the cache's close. */
struct kpi_state;

struct kpi_refresh_stats {
	int full;    /* 1: this refresh was a full scan */
	size_t rows; /* rows read */
};

/* The connection's state for a detention free time of free_s seconds (< 0: the
 * detectors' default), made on first use (its first refresh is a full scan);
 * a state kept for another free time is dropped and made anew, since its sums
 * counted detention from that one. NULL on failure. A VACUUM renumbers
 * rowids: drop the state first. */
struct kpi_state *kpi_state_get(struct cache *c, int64_t free_s, struct wb_err *err);
/* Frees the connection's state (if any) and stops watching its writes. */
void kpi_state_drop(struct cache *c);
/* Brings the state up to date with the cache. Not inside a transaction. */
int kpi_state_refresh(struct kpi_state *s, struct kpi_refresh_stats *st, struct wb_err *err);
/* The figures at now from the state as last refreshed. */
int kpi_state_figures(struct kpi_state *s, int64_t now, struct kpi_figures *out,
                      struct wb_err *err);

/* Memory the state holds (per-row records, routes, pending rowids), in bytes. */
size_t kpi_state_bytes(const struct kpi_state *s);

/* --- the local pass (local/kpi_run.c) ------------------------------------------ */

/* The figures at now (0: detect_run_now) from the connection's state, refreshed
 * first (the first time, by a full scan); if the state cannot follow, by
 * kpi_full. dcfg: the detectors' thresholds (the settings' detect; NULL: the
 * defaults), so the detention KPI counts from the free time the detectors
 * use; kpi_full and the state take them as arguments. rs (may be NULL) says how.
 * Not inside a transaction. */
int kpi_run_figures(struct cache *c, int64_t now, const struct core_detect_cfg *dcfg,
                    struct kpi_figures *f, struct kpi_refresh_stats *rs, struct wb_err *err);

struct kpi_run_stats {
	int64_t now;       /* the data time sampled */
	int64_t at;        /* the bucket written: floor(now / 300) * 300 */
	int full;          /* the refresh was a full scan */
	size_t rows;       /* rows the refresh read */
	double refresh_ms; /* refresh + figures */
};

/* Refreshes the connection's state (with dcfg, as kpi_run_figures) and writes one sample per KPI
 * into the bucket of now (0: detect_run_now), replacing the bucket's earlier sample and pruning
 * samples older than 24 h, in one transaction. Not inside a transaction. */
int kpi_run_sample(struct cache *c, int64_t now, const struct core_detect_cfg *dcfg,
                   struct kpi_run_stats *st, struct wb_err *err);
/* One line for the sync log: "14 sampled at 1718020800 (incremental, 12 rows read, 0.4 ms)". */
void kpi_run_summary(const struct kpi_run_stats *st, char *buf, size_t len);

#endif
