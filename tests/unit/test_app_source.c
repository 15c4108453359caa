/* An action the owning source's kind cannot take is refused before it is
 * queued (app/act_kind.c): holding an invoice of a tryton ERP is refused with
 * the kind's reason, nothing queued; the same hold with a waybill ERP is
 * queued as before. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "testutil.h"
#include "app/app.h"
#include "cache/cache.h"
#include "settings/settings.h"

struct fx {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	struct cache *c;
	struct settings *cfg;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(test_tmpdir(f->dir, sizeof(f->dir)));
	snprintf(f->path, sizeof(f->path), "%s/c.db", f->dir);
	struct wb_err err = {0};
	f->c = cache_open(f->path, NULL, &err);
	assert_non_null(f->c);
	f->cfg = settings_defaults();
	struct config_source *erp = &f->cfg->sources[0];
	erp->name = strdup("erp");
	erp->kind = strdup("tryton");
	erp->ops = connector_find("tryton");
	assert_non_null(erp->ops);
	erp->url = strdup("http://127.0.0.1:9");
	erp->database = strdup("depot");
	erp->user = strdup("admin");
	erp->password = strdup("pw");
	erp->login = (struct connector_login){erp->database, erp->user, erp->password, NULL, NULL};
	struct wb_invoice inv;
	wb_entity_clear(WB_ENT_INVOICE, &inv);
	test_meta(&inv.meta, "INV-12", "erp", 1);
	inv.number = "INV/0012";
	inv.status = "draft";
	inv.amount = 100;
	test_put(f->c, WB_ENT_INVOICE, &inv);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	cache_close(f->c);
	settings_free(f->cfg);
	test_rmdir(f->dir);
	free(f);
	return 0;
}

static int64_t queued(struct fx *f)
{
	int64_t depth = 0;
	assert_int_equal(outbox_depth(f->c, NULL, &depth, NULL, NULL), 0);
	return depth;
}

static void test_hold_refused(void **state)
{
	struct fx *f = *state;
	struct app_ctx x = {.cache = f->c,
	                    .settings = f->cfg,
	                    .actor = {.user = "dana", .role = CORE_ROLE_DISPATCHER},
	                    .now = 1741341600};
	struct app_result r;
	app_hold(&x, "INV-12", "customer disputes the total", &r);
	assert_int_equal(r.outcome, APP_REFUSED);
	assert_int_equal(r.refusal, APP_R_SOURCE);
	if (strncmp(r.why[0], "the tryton ERP cannot hold an invoice: ", 39) != 0)
		fail_msg("reason: %s", r.why[0]);
	assert_int_equal(queued(f), 0);
	/* Release is something Tryton does: it goes on to the gate as before. */
	char why[APP_WHY_LEN];
	assert_true(app_source_can(f->cfg, "erp", "release_invoice", "invoice:INV-12", NULL, why,
	                           sizeof(why)));
}

static void test_waybill_queues(void **state)
{
	struct fx *f = *state;
	struct config_source *erp = &f->cfg->sources[0];
	erp->ops = connector_find("waybill");
	struct app_ctx x = {.cache = f->c,
	                    .settings = f->cfg,
	                    .actor = {.user = "dana", .role = CORE_ROLE_DISPATCHER},
	                    .now = 1741341600};
	struct app_result r;
	app_hold(&x, "INV-12", "customer disputes the total", &r);
	assert_int_equal(r.outcome, APP_QUEUED);
	assert_int_equal(queued(f), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_hold_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_waybill_queues, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
