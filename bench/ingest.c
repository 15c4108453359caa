/* bench/ingest: the cache's write ceiling and board read latency.
 *
 * Writes 1,000,000 positions and 100,000 loads (with two stops each) through
 * the cache API in 500-row transactions, and the same rows with plain prepared
 * INSERTs into the same schema at the same batch size, in the same run; prints
 * both rates and the ratio (target: API >= 70% of plain). Then the median time
 * of a 50-row filtered, sorted board window over the 100,000 loads (target:
 * under 2 ms) and the peak RSS (target: under 64 MB).
 * Usage: ingest [positions] [loads] */
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "cache/cache.h"
#include "views/view.h"

enum { BATCH = 500, VEHICLES = 2000 };

static long npos = 1000000, nloads = 100000;
static char (*vids)[16];
static char (*lids)[24];
static char (*sids)[24];

static const char *const statuses[] = {"planned",   "staged",       "released", "in_transit",
                                       "delivered", "pod_received", "invoiced"};

static void die(const char *what, const struct wb_err *err)
{
	fprintf(stderr, "ingest: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static struct wb_position position(long i)
{
	return (struct wb_position){
	        .vehicle_id = vids[i % VEHICLES],
	        .ts_ms = 1764400000000LL + (i / VEHICLES) * 5000 + (i % VEHICLES),
	        .lat = 52.0 + (double)(i % 1000) / 10000.0,
	        .lon = 4.0 + (double)(i % 777) / 10000.0,
	        .speed_mps = (double)(i % 30),
	        .heading = (double)(i % 360),
	        .odometer_m = 1e6 + (double)i,
	        .fuel_pct = 50 + (double)(i % 50),
	        .ignition = 1,
	};
}

static struct wb_load load_row(long i)
{
	struct wb_load l;
	wb_entity_clear(WB_ENT_LOAD, &l);
	l.meta = (struct wb_meta){lids[i], "tms", lids[i] + 2, 1, 0, 0};
	l.number = lids[i];
	l.depot = "North";
	l.status = statuses[i % 7];
	l.priority = i % 3;
	l.vehicle_id = vids[i % VEHICLES];
	l.driver_id = NULL;
	l.carrier = "own";
	l.origin = "Depot North";
	l.destination = "Store 212";
	l.planned_departure = 1764400000 + i * 30;
	l.eta = 1764400000 + (i * 7919) % 86400;
	l.revenue = 900 + (double)(i % 500);
	l.est_cost = 600 + (double)(i % 300);
	l.pallets = 10 + i % 24;
	l.weight_kg = 8000 + (double)(i % 9000);
	l.distance_m = 120000;
	return l;
}

static struct wb_stop stop_row(long i, int seq)
{
	struct wb_stop s;
	wb_entity_clear(WB_ENT_STOP, &s);
	s.meta = (struct wb_meta){sids[i * 2 + seq], "tms", sids[i * 2 + seq] + 2, 1, 0, 0};
	s.load_id = lids[i];
	s.seq = seq;
	s.kind = seq ? "drop" : "pickup";
	s.place = seq ? "Store 212" : "Depot North";
	s.lat = 52.1;
	s.lon = 4.3;
	s.window_start = 1764400000 + i * 30 + seq * 7200;
	s.window_end = s.window_start + 3600;
	s.status = "pending";
	s.pallets_planned = 10 + i % 24;
	return s;
}

/* --- through the cache API -------------------------------------------------- */

static double api_positions(struct cache *c)
{
	struct wb_err err = {0};
	static struct wb_position batch[BATCH];
	double t0 = bench_now();
	for (long i = 0; i < npos; i += BATCH) {
		int n = 0;
		for (long j = i; j < i + BATCH && j < npos; j++)
			batch[n++] = position(j);
		if (cache_add_positions(c, batch, (size_t)n, NULL, &err) != 0)
			die("positions", &err);
	}
	return bench_now() - t0;
}

static double api_loads(struct cache *c)
{
	struct wb_err err = {0};
	static struct wb_load lb[BATCH / 2];
	static struct wb_stop sb[BATCH];
	double t0 = bench_now();
	/* 500 rows a transaction: a third loads, two thirds their stops. */
	for (long i = 0; i < nloads;) {
		int nl = 0, ns = 0;
		for (; i < nloads && nl * 3 + 3 <= BATCH; i++, nl++) {
			lb[nl] = load_row(i);
			sb[ns++] = stop_row(i, 0);
			sb[ns++] = stop_row(i, 1);
		}
		if (cache_begin(c, &err) != 0 ||
		    cache_upsert(c, WB_ENT_LOAD, lb, (size_t)nl, NULL, &err) != 0 ||
		    cache_upsert(c, WB_ENT_STOP, sb, (size_t)ns, NULL, &err) != 0 ||
		    cache_cursor_set(c, "tms", "loads", lids[i - 1], &err) != 0 ||
		    cache_commit(c, &err) != 0)
			die("loads", &err);
	}
	return bench_now() - t0;
}

/* --- plain prepared INSERTs into the same schema ----------------------------- */

static void ok(int rc, sqlite3 *db)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fprintf(stderr, "ingest: sqlite: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
}

static double plain_positions(sqlite3 *db)
{
	sqlite3_stmt *st;
	ok(sqlite3_prepare_v2(db, "INSERT INTO position VALUES(?,?,?,?,?,?,?,?,?)", -1, &st, NULL),
	   db);
	double t0 = bench_now();
	for (long i = 0; i < npos; i += BATCH) {
		ok(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), db);
		for (long j = i; j < i + BATCH && j < npos; j++) {
			struct wb_position p = position(j);
			sqlite3_bind_int64(st, 1, p.ts_ms);
			sqlite3_bind_text(st, 2, p.vehicle_id, -1, SQLITE_STATIC);
			sqlite3_bind_double(st, 3, p.lat);
			sqlite3_bind_double(st, 4, p.lon);
			sqlite3_bind_double(st, 5, p.speed_mps);
			sqlite3_bind_double(st, 6, p.heading);
			sqlite3_bind_double(st, 7, p.odometer_m);
			sqlite3_bind_double(st, 8, p.fuel_pct);
			sqlite3_bind_int(st, 9, p.ignition);
			ok(sqlite3_step(st), db);
			sqlite3_reset(st);
		}
		ok(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), db);
	}
	sqlite3_finalize(st);
	return bench_now() - t0;
}

static double plain_loads(sqlite3 *db)
{
	sqlite3_stmt *ls, *ss;
	ok(sqlite3_prepare_v2(
	           db,
	           "INSERT INTO load(id, source, ext_id, ext_version, deleted, synced_at,"
	           " number, depot, status, priority, vehicle_id, driver_id, carrier,"
	           " origin, destination, planned_departure, eta, revenue, est_cost,"
	           " pallets, weight_kg, distance_m)"
	           " VALUES(?,?,?,?,0,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	           -1, &ls, NULL),
	   db);
	ok(sqlite3_prepare_v2(
	           db,
	           "INSERT INTO stop(id, source, ext_id, ext_version, deleted, synced_at,"
	           " load_id, seq, kind, place, lat, lon, window_start, window_end,"
	           " status, pallets_planned) VALUES(?,?,?,?,0,?,?,?,?,?,?,?,?,?,?,?)",
	           -1, &ss, NULL),
	   db);
	double t0 = bench_now();
	for (long i = 0; i < nloads;) {
		ok(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), db);
		for (int nl = 0; i < nloads && nl * 3 + 3 <= BATCH; i++, nl++) {
			struct wb_load l = load_row(i);
			int k = 1;
			sqlite3_bind_text(ls, k++, l.meta.id, -1, SQLITE_STATIC);
			sqlite3_bind_text(ls, k++, l.meta.source, -1, SQLITE_STATIC);
			sqlite3_bind_text(ls, k++, l.meta.ext_id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(ls, k++, l.meta.ext_version);
			sqlite3_bind_int64(ls, k++, 1764400000);
			sqlite3_bind_text(ls, k++, l.number, -1, SQLITE_STATIC);
			sqlite3_bind_text(ls, k++, l.depot, -1, SQLITE_STATIC);
			sqlite3_bind_text(ls, k++, l.status, -1, SQLITE_STATIC);
			sqlite3_bind_int64(ls, k++, l.priority);
			sqlite3_bind_text(ls, k++, l.vehicle_id, -1, SQLITE_STATIC);
			sqlite3_bind_null(ls, k++);
			sqlite3_bind_text(ls, k++, l.carrier, -1, SQLITE_STATIC);
			sqlite3_bind_text(ls, k++, l.origin, -1, SQLITE_STATIC);
			sqlite3_bind_text(ls, k++, l.destination, -1, SQLITE_STATIC);
			sqlite3_bind_int64(ls, k++, l.planned_departure);
			sqlite3_bind_int64(ls, k++, l.eta);
			sqlite3_bind_double(ls, k++, l.revenue);
			sqlite3_bind_double(ls, k++, l.est_cost);
			sqlite3_bind_int64(ls, k++, l.pallets);
			sqlite3_bind_double(ls, k++, l.weight_kg);
			sqlite3_bind_double(ls, k++, l.distance_m);
			ok(sqlite3_step(ls), db);
			sqlite3_reset(ls);
			for (int seq = 0; seq < 2; seq++) {
				struct wb_stop s = stop_row(i, seq);
				k = 1;
				sqlite3_bind_text(ss, k++, s.meta.id, -1, SQLITE_STATIC);
				sqlite3_bind_text(ss, k++, s.meta.source, -1, SQLITE_STATIC);
				sqlite3_bind_text(ss, k++, s.meta.ext_id, -1, SQLITE_STATIC);
				sqlite3_bind_int64(ss, k++, s.meta.ext_version);
				sqlite3_bind_int64(ss, k++, 1764400000);
				sqlite3_bind_text(ss, k++, s.load_id, -1, SQLITE_STATIC);
				sqlite3_bind_int64(ss, k++, s.seq);
				sqlite3_bind_text(ss, k++, s.kind, -1, SQLITE_STATIC);
				sqlite3_bind_text(ss, k++, s.place, -1, SQLITE_STATIC);
				sqlite3_bind_double(ss, k++, s.lat);
				sqlite3_bind_double(ss, k++, s.lon);
				sqlite3_bind_int64(ss, k++, s.window_start);
				sqlite3_bind_int64(ss, k++, s.window_end);
				sqlite3_bind_text(ss, k++, s.status, -1, SQLITE_STATIC);
				sqlite3_bind_int64(ss, k++, s.pallets_planned);
				ok(sqlite3_step(ss), db);
				sqlite3_reset(ss);
			}
		}
		ok(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), db);
	}
	sqlite3_finalize(ls);
	sqlite3_finalize(ss);
	return bench_now() - t0;
}

/* --- board windows ---------------------------------------------------------- */

static double window_median_ms(struct cache *c, const char *status, const char *text, int pages)
{
	double *t = calloc((size_t)pages, sizeof(double));
	struct cache_value key = {0};
	char key_id[32] = "";
	const char *after = NULL;
	for (int p = 0; p < pages; p++) {
		struct cache_window w;
		struct wb_err err = {0};
		struct cache_window_req req = {.limit = 50,
		                               .status = status,
		                               .text = text,
		                               .after_id = after,
		                               .after_sort = after ? &key : NULL};
		double t0 = bench_now();
		if (cache_window(c, view_loads_ops.board, &req, &w, &err) != 0)
			die("window", &err);
		t[p] = (bench_now() - t0) * 1000.0;
		if (w.nrows == 50) {
			const struct cache_value *last = &w.cells[49 * w.ncols];
			key = last[w.sort_col]; /* eta: an integer, no text to keep */
			snprintf(key_id, sizeof(key_id), "%s", last[0].s);
			after = key_id;
		} else {
			after = NULL;
		}
		cache_window_free(&w);
	}
	double m = bench_median(t, (size_t)pages);
	free(t);
	return m;
}

static struct cache *fresh(const char *dir, const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	struct wb_err err = {0};
	struct cache *c = cache_open(path, NULL, &err);
	if (!c)
		die("open", &err);
	return c;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		npos = atol(argv[1]);
	if (argc > 2)
		nloads = atol(argv[2]);
	if (npos < VEHICLES || nloads < 100) {
		fprintf(stderr, "usage: ingest [positions >= %d] [loads >= 100]\n", VEHICLES);
		return 2;
	}
	vids = calloc(VEHICLES, sizeof(*vids));
	lids = calloc((size_t)nloads, sizeof(*lids));
	sids = calloc((size_t)nloads * 2, sizeof(*sids));
	for (int i = 0; i < VEHICLES; i++)
		snprintf(vids[i], sizeof(vids[i]), "V-%04d", i);
	for (long i = 0; i < nloads; i++) {
		snprintf(lids[i], sizeof(lids[i]), "L-%06ld", i);
		snprintf(sids[i * 2], sizeof(sids[0]), "S-%06ld-0", i);
		snprintf(sids[i * 2 + 1], sizeof(sids[0]), "S-%06ld-1", i);
	}
	const char *base = getenv("TMPDIR");
	char dir[PATH_MAX - 64];
	snprintf(dir, sizeof(dir), "%.3000s/waybill-bench.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(dir)) {
		perror("ingest: mkdtemp");
		return 1;
	}

	struct cache *plain = fresh(dir, "plain.db");
	struct cache *api = fresh(dir, "api.db");
	/* Plain first for positions, the API first for loads, so neither side
	 * always profits from a page cache the other warmed. */
	double tp_pos = plain_positions(cache_db(plain));
	double ta_pos = api_positions(api);
	double ta_load = api_loads(api);
	double tp_load = plain_loads(cache_db(plain));
	cache_close(plain);

	double rows_load = (double)nloads * 3;
	double rp_pos = (double)npos / tp_pos, ra_pos = (double)npos / ta_pos;
	double rp_load = rows_load / tp_load, ra_load = rows_load / ta_load;
	double rp_all = ((double)npos + rows_load) / (tp_pos + tp_load);
	double ra_all = ((double)npos + rows_load) / (ta_pos + ta_load);
	printf("ingest: %ld positions, %ld loads with %ld stops, %d rows a transaction\n", npos,
	       nloads, nloads * 2, BATCH);
	printf("  positions      cache API %9.0f rows/s   plain INSERT %9.0f rows/s   ratio %.2f\n",
	       ra_pos, rp_pos, ra_pos / rp_pos);
	printf("  loads+stops    cache API %9.0f rows/s   plain INSERT %9.0f rows/s   ratio %.2f\n",
	       ra_load, rp_load, ra_load / rp_load);
	printf("  all rows       cache API %9.0f rows/s   plain INSERT %9.0f rows/s   ratio %.2f"
	       "   (target >= 0.70)\n",
	       ra_all, rp_all, ra_all / rp_all);

	double w_status = window_median_ms(api, "planned", NULL, 201);
	double w_plain = window_median_ms(api, NULL, NULL, 201);
	double w_text = window_median_ms(api, NULL, "V-0042", 5);
	printf("  board window   50 rows, status filter, sorted by eta: median %.3f ms"
	       "   target 2 ms   ratio %.2f\n",
	       w_status, w_status / 2.0);
	printf("  board window   50 rows, no filter, sorted by eta:     median %.3f ms\n", w_plain);
	printf("  board window   50 rows, free-text \"V-0042\":          median %.3f ms"
	       "   (a scan; no target)\n",
	       w_text);
	double rss = bench_peak_rss_mb();
	printf("  peak RSS       %.1f MB   target 64 MB   ratio %.2f\n", rss, rss / 64.0);
	cache_close(api);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "ingest: could not remove %s\n", dir);
	free(vids);
	free(lids);
	free(sids);
	return 0;
}
