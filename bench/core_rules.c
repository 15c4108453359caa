/* Benchmark of the core/ rules against the targets of issue 5: readiness for
 * 10,000 vehicles plus release gates for 100,000 loads (< 200 ms), detectors over
 * a batch of 10,000 positions (< 20 ms), a KPI refresh after a sync batch (< 10 ms).
 * Prints each figure beside its target; never fails on time. Best of 5 runs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "core/core_detect.h"
#include "core/core_kpi.h"

#define NVEH 10000
#define NLOAD 100000
#define NPOS 10000
#define NBATCH 1000
#define NOW 1700000000
#define RUNS 5

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char vid[NVEH][16], lid[NLOAD][16];
static struct wb_vehicle veh[NVEH];
static struct wb_fault flt[NVEH];
static struct wb_inspection ins[NVEH];
static struct wb_driver drv[NVEH];
static struct core_readiness ready[NVEH];
static struct wb_load loads[NLOAD];
static struct wb_staging stg[NLOAD];
static struct wb_stop stops[NLOAD];
static struct core_gate gate;
static struct wb_position pos[NPOS];
static struct core_track tracks[NVEH];

static char dest[50][16];

static void build(void)
{
	for (int i = 0; i < 50; i++)
		snprintf(dest[i], sizeof(dest[i]), "Store %d", i);
	for (int i = 0; i < NVEH; i++) {
		snprintf(vid[i], sizeof(vid[i]), "T-%05d", i);
		wb_entity_clear(WB_ENT_VEHICLE, &veh[i]);
		veh[i].meta.id = veh[i].unit = vid[i];
		veh[i].status = i % 10 == 0 ? "in_transit" : "available";
		veh[i].odometer_m = 400000e3 + i;
		veh[i].pm_due_odometer_m = i % 17 == 0 ? 400000e3 : 450000e3;
		wb_entity_clear(WB_ENT_FAULT, &flt[i]);
		flt[i].meta.id = vid[i];
		flt[i].vehicle_id = vid[i];
		flt[i].code = "P0087";
		flt[i].severity = i % 50 == 0 ? "critical" : "minor";
		flt[i].active = 1;
		wb_entity_clear(WB_ENT_INSPECTION, &ins[i]);
		ins[i].vehicle_id = vid[i];
		ins[i].at = NOW - 3600;
		ins[i].safe = i % 97 != 0;
		wb_entity_clear(WB_ENT_DRIVER, &drv[i]);
		drv[i].meta.id = vid[i];
		drv[i].drive_left_s = 6 * 3600;
		drv[i].duty_left_s = 8 * 3600;
		core_track_init(&tracks[i], vid[i]);
	}
	for (int i = 0; i < NLOAD; i++) {
		int v = i % NVEH;
		snprintf(lid[i], sizeof(lid[i]), "L-%06d", i);
		wb_entity_clear(WB_ENT_LOAD, &loads[i]);
		loads[i].meta.id = lid[i];
		loads[i].status = "staged";
		loads[i].vehicle_id = loads[i].driver_id = vid[v];
		loads[i].planned_drive_s = (i % 7 + 1) * 3600;
		loads[i].pallets = 20;
		loads[i].tendered_at = NOW - 7200;
		loads[i].departed_at = NOW - 3600;
		loads[i].revenue = 1000 + i % 300;
		loads[i].est_cost = 800;
		loads[i].distance_m = 100000;
		loads[i].origin = "Depot North";
		loads[i].destination = dest[i % 50];
		loads[i].empty_m = 5000;
		wb_entity_clear(WB_ENT_STAGING, &stg[i]);
		stg[i].dock_door = "D4";
		stg[i].pallets_staged = i % 5 ? 20 : 15;
		stg[i].pallets_total = 20;
		stg[i].labor_ready = i % 11 != 0;
		wb_entity_clear(WB_ENT_STOP, &stops[i]);
		stops[i].meta.id = lid[i];
		stops[i].load_id = lid[i];
		stops[i].kind = "drop";
		stops[i].lat = 51.5;
		stops[i].lon = 4.5;
		stops[i].window_start = NOW;
		stops[i].window_end = NOW + 3600 + (i % 4) * 1800;
		stops[i].arrived_at = i % 3 ? NOW + 600 : WB_NULL;
		stops[i].departed_at = i % 3 ? NOW + 600 + (i % 5) * 3600 : WB_NULL;
	}
	/* 1,000 vehicles reporting every 30 s for 5 minutes, in time order. */
	for (int i = 0; i < NPOS; i++) {
		int v = (i % 1000) * 10, step = i / 1000;
		pos[i] = (struct wb_position){vid[v],
		                              ((int64_t)NOW - 300 + 30 * step) * 1000,
		                              51.0 + step * 0.005,
		                              4.0,
		                              v % 3 ? 16.0 : 0.2,
		                              0,
		                              NAN,
		                              NAN,
		                              1};
	}
}

static double bench_gates(size_t *failed)
{
	double t0 = now_ms();
	for (int i = 0; i < NVEH; i++) {
		struct core_readiness_input in = {
		        .vehicle = &veh[i],
		        .faults = &flt[i],
		        .nfaults = 1,
		        .inspections = &ins[i],
		        .ninspections = 1,
		        .driver = NULL,
		        .planned_drive_s = WB_NULL,
		};
		core_vehicle_readiness(&in, &ready[i]);
	}
	*failed = 0;
	for (int i = 0; i < NLOAD; i++) {
		int v = i % NVEH;
		struct core_gate_input in = {&loads[i], &ready[v], &drv[v], &stg[i], NULL, 0, NAN};
		core_release_gate(&in, NULL, &gate);
		*failed += gate.state != CORE_GATE_PASS;
	}
	return now_ms() - t0;
}

static double bench_detect(size_t *raised)
{
	static struct core_exception_out o;
	struct core_detect_cfg cfg;
	core_detect_cfg_default(&cfg);
	for (int i = 0; i < NVEH; i++)
		core_track_init(&tracks[i], vid[i]);
	double t0 = now_ms();
	core_tracks_feed(tracks, NVEH, pos, NPOS, &cfg);
	*raised = 0;
	/* The vehicles in the batch: every tenth one. */
	for (int v = 0; v < NVEH; v += 10) {
		*raised += (size_t)core_detect_late_eta(&loads[v], &stops[v], &tracks[v], NOW, &cfg,
		                                        NULL, &o);
		*raised += (size_t)core_detect_idle(&tracks[v], &veh[v], NOW, &cfg, NULL, &o);
		*raised += (size_t)core_detect_detention(&stops[v], NOW + 4 * 3600, &cfg, NULL, &o);
		*raised += (size_t)core_detect_missed_window(&stops[v], NOW + 4 * 3600, NULL, &o);
	}
	return now_ms() - t0;
}

static double bench_kpi(double *otd)
{
	static struct core_kpis k;
	core_kpis_init(&k, 7200);
	for (int i = 0; i < NLOAD; i++) {
		core_kpis_add_load(&k, &loads[i], +1);
		core_kpis_add_stop(&k, &stops[i], +1);
	}
	/* A sync batch: 1,000 loads and their stops change; retract old, add new. */
	static struct wb_load nl[NBATCH];
	static struct wb_stop ns[NBATCH];
	for (int i = 0; i < NBATCH; i++) {
		nl[i] = loads[i * 97];
		nl[i].revenue += 50;
		ns[i] = stops[i * 97];
		ns[i].arrived_at = NOW + 100;
	}
	double t0 = now_ms();
	for (int i = 0; i < NBATCH; i++) {
		core_kpis_add_load(&k, &loads[i * 97], -1);
		core_kpis_add_load(&k, &nl[i], +1);
		core_kpis_add_stop(&k, &stops[i * 97], -1);
		core_kpis_add_stop(&k, &ns[i], +1);
	}
	*otd = core_kpi_on_time_pct(&k) + 0 * core_kpi_dispatch_cycle_s(&k) +
	       0 * core_kpi_empty_miles_pct(&k) + 0 * core_kpi_margin_per_load(&k) +
	       0 * core_kpi_dwell_s(&k);
	return now_ms() - t0;
}

static double bench_kpi_full(void)
{
	double t0 = now_ms();
	struct core_route_profit *r;
	size_t n;
	if (core_kpi_routes(loads, NLOAD, &r, &n) == 0)
		free(r);
	return now_ms() - t0;
}

static void line(const char *what, double ms, double target)
{
	printf("%-58s %9.2f ms  target %6.0f ms  ratio %.3f  %s\n", what, ms, target, ms / target,
	       ms <= target ? "ok" : "OVER");
}

int main(void)
{
	build();
	double g = INFINITY, d = INFINITY, k = INFINITY, r = INFINITY, otd = 0;
	size_t failed = 0, raised = 0;
	for (int i = 0; i < RUNS; i++) {
		g = fmin(g, bench_gates(&failed));
		d = fmin(d, bench_detect(&raised));
		k = fmin(k, bench_kpi(&otd));
		r = fmin(r, bench_kpi_full());
	}
	printf("core rules, best of %d runs\n", RUNS);
	line("readiness 10,000 vehicles + release gates 100,000 loads", g, 200);
	line("detectors over a batch of 10,000 positions", d, 20);
	line("KPI refresh after a sync batch (1,000 loads + stops)", k, 10);
	printf("%-58s %9.2f ms  (no target)\n", "route profitability over 100,000 loads", r);
	printf("(%zu gates failed, %zu exceptions raised, on-time %.1f%%)\n", failed, raised, otd);
	return 0;
}
