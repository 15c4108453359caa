/* The config loader on real files: the smallest config and its defaults, a
 * full one, every wrong type and unknown key reported with its JSON path,
 * the three ways to give a token, permissions refused, malformed JSON with
 * line and column, a missing file, atomic writes; and no message, ever,
 * holding a token. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "testutil.h"
#include "settings/settings.h"
#include "local/detect_run.h"

#define TOK_ERP "s3cr3t-erp-token-A1"
#define TOK_TMS "s3cr3t-tms-token-B2"
#define TOK_TEL "s3cr3t-tel-token-C3"
#define TOK_FILE "s3cr3t-file-token-D4"
#define TOK_ENV "s3cr3t-env-token-E5"

static const char *const all_tokens[] = {TOK_ERP, TOK_TMS, TOK_TEL, TOK_FILE, TOK_ENV, NULL};

static const char minimal[] =
        "{\"sources\":{"
        "\"erp\":{\"kind\":\"waybill\",\"url\":\"http://127.0.0.1:9001\",\"token\":\"" TOK_ERP
        "\"},"
        "\"tms\":{\"kind\":\"waybill\",\"url\":\"http://127.0.0.1:9002/\",\"token\":\"" TOK_TMS
        "\"},"
        "\"telematics\":{\"kind\":\"waybill\",\"url\":\"https://"
        "127.0.0.1:9003\",\"token\":\"" TOK_TEL "\"}}}";

struct fx {
	char dir[PATH_MAX];
	char path[PATH_MAX + 32];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(test_tmpdir(f->dir, sizeof(f->dir)));
	snprintf(f->path, sizeof(f->path), "%s/config.json", f->dir);
	setenv("USER", "tester", 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	test_rmdir(f->dir);
	free(f);
	return 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void assert_no_token(const struct wb_err *err)
{
	for (int i = 0; all_tokens[i]; i++)
		if (strstr(err->msg, all_tokens[i]))
			fail_msg("a token leaked into the message: %s", err->msg);
}

/* Loads text as the config and returns the result; the error is checked for tokens. */
static int load_text(struct fx *f, const char *text, struct settings **c, struct wb_err *err)
{
	write_file(f->path, text, 0600);
	memset(err, 0, sizeof(*err));
	int rc = settings_load(f->path, c, err);
	assert_no_token(err);
	if (rc != 0)
		assert_null(*c);
	return rc;
}

/* Sets (or with v NULL removes) the value at a dotted path of the minimal config. */
static char *mutate(const char *jpath, const char *v)
{
	json_t *root = json_loads(minimal, 0, NULL);
	assert_non_null(root);
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", jpath);
	json_t *obj = root;
	char *save = NULL, *key = strtok_r(buf, ".", &save), *next;
	while ((next = strtok_r(NULL, ".", &save)) != NULL) {
		json_t *child = json_object_get(obj, key);
		if (!child) {
			child = json_object();
			json_object_set_new(obj, key, child);
		}
		obj = child;
		key = next;
	}
	if (v) {
		json_error_t je;
		json_t *val = json_loads(v, JSON_DECODE_ANY, &je);
		if (!val)
			fail_msg("bad test value %s: %s", v, je.text);
		json_object_set_new(obj, key, val);
	} else {
		json_object_del(obj, key);
	}
	char *out = json_dumps(root, 0);
	json_decref(root);
	return out;
}

static char *mutate(const char *jpath, const char *v);

/* The detectors' thresholds: parsed at load into the settings' detect. */
static void test_detectors(void **state)
{
	struct fx *f = *state;
	struct settings *c = NULL;
	struct wb_err err = {0};
	char *text = mutate("detectors", "{\"detention_free_s\": 5400, \"eta_grace_s\": 300}");
	int rc = load_text(f, text, &c, &err);
	free(text);
	if (rc != 0)
		fail_msg("detectors refused: %s", err.msg);
	assert_non_null(c->detectors);
	assert_int_equal(c->detect.detention_free_s, 5400);
	assert_true(c->detect.eta_grace_s == 300);
	struct core_detect_cfg def;
	core_detect_cfg_default(&def);
	assert_true(c->detect.road_factor == def.road_factor); /* not given: the default */
	settings_free(c);
}

/* The workflow pass's switches: on by default, off when asked. */
static void test_automation(void **state)
{
	struct fx *f = *state;
	struct settings *c = NULL;
	struct wb_err err = {0};
	char *text = mutate("automation", "{\"invoices\": false}");
	int rc = load_text(f, text, &c, &err);
	free(text);
	if (rc != 0)
		fail_msg("automation refused: %s", err.msg);
	assert_true(c->auto_maintenance);
	assert_false(c->auto_invoices);
	settings_free(c);
}

static void test_minimal_and_defaults(void **state)
{
	struct fx *f = *state;
	struct settings *c = NULL;
	struct wb_err err = {0};
	if (load_text(f, minimal, &c, &err) != 0)
		fail_msg("minimal config refused: %s", err.msg);
	assert_string_equal(c->path, f->path);
	assert_string_equal(c->depot, "");
	assert_string_equal(c->user, "tester");
	assert_string_equal(c->currency, "EUR");
	assert_int_equal(c->units, CONFIG_METRIC);
	assert_int_equal(c->retention_days, 7);
	assert_null(c->policy);
	assert_null(c->detectors);
	assert_true(c->auto_maintenance);
	assert_true(c->auto_invoices);
	const struct config_source *tms = settings_source(c, "tms");
	assert_non_null(tms);
	assert_string_equal(tms->kind, "waybill");
	assert_string_equal(tms->url, "http://127.0.0.1:9002"); /* trailing "/" dropped */
	assert_string_equal(tms->token, TOK_TMS);
	assert_null(tms->depot);
	assert_null(tms->ca_file);
	assert_int_equal(config_interval_s(tms, "loads"), 5);
	assert_int_equal(config_interval_s(tms, "nosuch"), -1);
	const struct config_source *erp = settings_source(c, "erp");
	assert_int_equal(config_interval_s(erp, "invoices"), 60);
	const struct config_source *tel = settings_source(c, "telematics");
	assert_int_equal(config_interval_s(tel, "positions"), 0);
	assert_string_equal(tel->url, "https://127.0.0.1:9003");
	assert_null(settings_source(c, "wms"));
	settings_free(c);
}

/* sources.maintenance is optional: without it the slot is empty and every
 * stream is read from its source as before; with it, what it owns (work
 * orders, part reservations, vehicle_maint) is read from it alone. */
static void test_maintenance(void **state)
{
	struct fx *f = *state;
	struct settings *c = NULL;
	struct wb_err err = {0};
	if (load_text(f, minimal, &c, &err) != 0)
		fail_msg("minimal config refused: %s", err.msg);
	assert_null(settings_maintenance(c));
	assert_null(c->sources[3].name);
	assert_null(c->sources[3].ops);
	const struct config_source *tel = settings_source(c, "telematics");
	const struct connector_stream *wo = connector_stream(tel->ops, "telematics", "work_orders");
	assert_non_null(wo);
	assert_true(settings_reads_stream(c, tel, wo));
	settings_free(c);

	char *text = mutate("sources.maintenance",
	                    "{\"kind\":\"waybill\",\"url\":\"http://127.0.0.1:9004/\","
	                    "\"token\":\"" TOK_FILE "\",\"intervals\":{\"vehicle_maint\":30}}");
	int rc = load_text(f, text, &c, &err);
	free(text);
	if (rc != 0)
		fail_msg("a maintenance source refused: %s", err.msg);
	const struct config_source *m = settings_maintenance(c);
	assert_non_null(m);
	assert_ptr_equal(m, &c->sources[3]);
	assert_string_equal(m->name, "maintenance");
	assert_string_equal(m->url, "http://127.0.0.1:9004");
	assert_string_equal(m->token, TOK_FILE);
	assert_int_equal(config_interval_s(m, "vehicle_maint"), 30);
	assert_int_equal(config_interval_s(m, "work_orders"), 5);
	assert_int_equal(settings_interval_s(c, "maintenance", "part_reservations"), 5);
	tel = settings_source(c, "telematics");
	assert_false(settings_reads_stream(c, tel, wo));
	assert_false(settings_reads_stream(
	        c, tel, connector_stream(tel->ops, "telematics", "part_reservations")));
	assert_true(settings_reads_stream(c, tel,
	                                  connector_stream(tel->ops, "telematics", "vehicles")));
	assert_true(settings_reads_stream(c, m,
	                                  connector_stream(m->ops, "maintenance", "work_orders")));
	settings_free(c);
}

static void test_full(void **state)
{
	struct fx *f = *state;
	json_t *root = json_loads(minimal, 0, NULL);
	json_t *tms = json_object_get(json_object_get(root, "sources"), "tms");
	json_object_set_new(tms, "depot", json_string("north"));
	json_object_set_new(tms, "ca_file", json_string("ca.pem"));
	json_object_set_new(tms, "intervals", json_pack("{s:i,s:i}", "loads", 2, "staging", 9));
	json_object_set_new(root, "depot", json_string("Depot North"));
	json_object_set_new(root, "units", json_string("imperial"));
	json_object_set_new(root, "currency", json_string("USD"));
	json_object_set_new(root, "retention_days", json_integer(3));
	json_object_set_new(root, "user", json_string("S. Park"));
	json_object_set_new(root, "policy",
	                    json_pack("{s:{s:f}}", "late_eta", "two_person_above", 900.0));
	char *text = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	struct settings *c = NULL;
	struct wb_err err = {0};
	if (load_text(f, text, &c, &err) != 0)
		fail_msg("full config refused: %s", err.msg);
	free(text);
	assert_string_equal(c->depot, "Depot North");
	assert_int_equal(c->units, CONFIG_IMPERIAL);
	assert_string_equal(c->currency, "USD");
	assert_int_equal(c->retention_days, 3);
	assert_string_equal(c->user, "S. Park");
	assert_non_null(c->policy);
	/* The policy is parsed at load: consumers read policy_rules. */
	assert_true(c->policy_rules.kind[CORE_KIND_LATE_ETA].two_person_above == 900.0);
	const struct config_source *s = settings_source(c, "tms");
	assert_string_equal(s->depot, "north");
	char ca[PATH_MAX + 16];
	snprintf(ca, sizeof(ca), "%s/ca.pem", f->dir);
	assert_string_equal(s->ca_file, ca);
	assert_int_equal(config_interval_s(s, "loads"), 2);
	assert_int_equal(config_interval_s(s, "staging"), 9);
	assert_int_equal(config_interval_s(s, "stops"), 5);
	settings_free(c);
}

struct bad_case {
	const char *jpath; /* where to change the minimal config */
	const char *value; /* JSON text, or NULL to remove the key */
	const char *want;  /* substring after "PATH: " */
};

static const struct bad_case bad_cases[] = {
        {"colour", "\"red\"", "colour: unknown key"},
        {"depot", "3", "depot: expected a string"},
        {"user", "\"\"", "user: must not be empty"},
        {"units", "\"metres\"", "units: expected \"metric\" or \"imperial\""},
        {"units", "1", "units: expected \"metric\" or \"imperial\""},
        {"currency", "\"eu\"", "currency: expected an ISO 4217 code"},
        {"currency", "[]", "currency: expected a string"},
        {"retention_days", "\"7\"", "retention_days: expected a positive integer"},
        {"retention_days", "0", "retention_days: expected a positive integer"},
        {"retention_days", "1.5", "retention_days: expected a positive integer"},
        {"policy", "[]", "policy: expected an object"},
        {"detectors", "[]", "detectors: expected an object"},
        {"automation", "true", "automation: expected an object"},
        {"automation.invoices", "\"no\"", "automation.invoices: expected true or false"},
        {"automation.maintenance", "0", "automation.maintenance: expected true or false"},
        {"automation.billing", "false", "automation.billing: unknown key"},
        {"detectors.eta_grace_s", "-1", "detectors.eta_grace_s: must be a number >= 0"},
        {"detectors.eta_grace_s", "\"600\"", "detectors.eta_grace_s: must be a number >= 0"},
        {"detectors.eta_grace", "600", "detectors.eta_grace: unknown key"},
        {"detectors.detention_free_s", "5400.5",
         "detectors.detention_free_s: must be a whole number between 0 and 604800"},
        {"detectors.late_penalty_share", "2",
         "detectors.late_penalty_share: must be a number between 0 and 1"},
        {"detectors.fuel_far_m", "0", "detectors.fuel_far_m: must be a number > 0"},
        {"sources", NULL, "sources: missing"},
        {"sources", "[]", "sources: expected an object"},
        {"sources.wms", "{}", "sources.wms: unknown key"},
        {"sources.tms", NULL, "sources.tms: missing"},
        {"sources.tms", "\"x\"", "sources.tms: expected an object"},
        {"sources.tms.colour", "1", "sources.tms.colour: unknown key"},
        {"sources.tms.kind", NULL, "sources.tms.kind: missing"},
        {"sources.tms.kind", "\"sap\"", "sources.tms.kind: unknown kind sap"},
        {"sources.tms.kind", "7", "sources.tms.kind: expected a string"},
        {"sources.tms.url", NULL, "sources.tms.url: missing"},
        {"sources.tms.url", "5", "sources.tms.url: expected a string"},
        {"sources.tms.url", "\"ftp://127.0.0.1/\"",
         "sources.tms.url: expected an http:// or https:// URL"},
        {"sources.tms.url", "\"http://\"", "sources.tms.url: expected an http:// or https:// URL"},
        {"sources.tms.url", "\"http://a b\"",
         "sources.tms.url: expected an http:// or https:// URL"},
        {"sources.tms.depot", "false", "sources.tms.depot: expected a string"},
        {"sources.tms.ca_file", "{}", "sources.tms.ca_file: expected a string"},
        {"sources.tms.intervals", "[]", "sources.tms.intervals: expected an object"},
        {"sources.tms.intervals.loads", "\"5\"",
         "sources.tms.intervals.loads: expected a positive integer"},
        {"sources.tms.intervals.loads", "0",
         "sources.tms.intervals.loads: expected a positive integer"},
        {"sources.tms.intervals.loads", "-3",
         "sources.tms.intervals.loads: expected a positive integer"},
        {"sources.tms.intervals.loads", "100000", "sources.tms.intervals.loads: at most 86400"},
        {"sources.tms.intervals.lods", "5", "sources.tms.intervals.lods: no such stream for tms"},
        {"sources.telematics.intervals.positions", "5",
         "sources.telematics.intervals.positions: a live stream"},
        {"sources.erp.token", NULL,
         "sources.erp: give exactly one of token, token_file, token_env"},
        {"sources.erp.token_env", "\"X\"", "sources.erp: give exactly one of token"},
        {"sources.erp.token", "42", "sources.erp.token: expected a string"},
        {"sources.erp.token", "\"\"", "sources.erp.token: the token is empty"},
        {"sources.erp.token", "\"" TOK_ERP "\\n\"", "sources.erp.token: the token holds a space"},
        {"sources.erp.token", "\"a " TOK_ERP "\"", "sources.erp.token: the token holds a space"},
        /* The optional maintenance source: checked like any source when given. */
        {"sources.maintenance", "\"x\"", "sources.maintenance: expected an object"},
        {"sources.maintenance", "null",
         "sources.maintenance: expected an object (or leave it out)"},
        {"sources.maintenance.colour", "1", "sources.maintenance.colour: unknown key"},
        {"sources.maintenance.kind", "\"samsara\"",
         "sources.maintenance.kind: the samsara kind keeps no work orders or holds; a "
         "maintenance source is of a kind that does (waybill)"},
        {"sources.maintenance.kind", "\"sap\"", "sources.maintenance.kind: unknown kind sap"},
        {"sources.maintenance",
         "{\"kind\":\"waybill\",\"url\":\"ftp://x\",\"token\":\"s3cr3t-maint-F6\"}",
         "sources.maintenance.url: expected an http:// or https:// URL"},
        {"sources.maintenance", "{\"kind\":\"waybill\",\"url\":\"http://a\"}",
         "sources.maintenance: give exactly one of token, token_file, token_env"},
        {"sources.maintenance",
         "{\"kind\":\"waybill\",\"url\":\"http://"
         "a\",\"token\":\"s3cr3t-maint-F6\",\"intervals\":{\"vehicles\":5}}",
         "sources.maintenance.intervals.vehicles: no such stream for maintenance (known: "
         "work_orders, part_reservations, vehicle_maint)"},
};

static void test_bad_values(void **state)
{
	struct fx *f = *state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		char *text = mutate(bc->jpath, bc->value);
		struct settings *c = NULL;
		struct wb_err err = {0};
		int rc = load_text(f, text, &c, &err);
		free(text);
		char want[PATH_MAX + 300];
		snprintf(want, sizeof(want), "%s: %s", f->path, bc->want);
		if (rc == 0 || !strstr(err.msg, want))
			fail_msg("%s = %s: want \"%s\", got rc %d \"%s\"", bc->jpath,
			         bc->value ? bc->value : "(removed)", want, rc, err.msg);
		assert_null(strchr(err.msg, '\n'));
		settings_free(c);
	}
}

static void test_token_file(void **state)
{
	struct fx *f = *state;
	char tok[PATH_MAX + 16];
	snprintf(tok, sizeof(tok), "%s/tms.token", f->dir);
	write_file(tok, TOK_FILE "\r\n\n", 0600);
	/* Relative to the config file's directory. */
	json_t *root = json_loads(minimal, 0, NULL);
	json_t *tms = json_object_get(json_object_get(root, "sources"), "tms");
	json_object_del(tms, "token");
	json_object_set_new(tms, "token_file", json_string("tms.token"));
	char *text = json_dumps(root, 0);
	struct settings *c = NULL;
	struct wb_err err = {0};
	if (load_text(f, text, &c, &err) != 0)
		fail_msg("token_file refused: %s", err.msg);
	assert_string_equal(settings_source(c, "tms")->token, TOK_FILE);
	settings_free(c);

	/* Readable by others: refused, naming the file and the fix. */
	chmod(tok, 0644);
	assert_int_equal(load_text(f, text, &c, &err), WB_EDENIED);
	char want[PATH_MAX * 2 + 64];
	snprintf(want, sizeof(want), "chmod 600 %s", tok);
	if (!strstr(err.msg, want) || !strstr(err.msg, "sources.tms.token_file"))
		fail_msg("want \"%s\" in \"%s\"", want, err.msg);
	chmod(tok, 0640);
	assert_int_equal(load_text(f, text, &c, &err), WB_EDENIED);

	/* Missing, or holding two lines. */
	unlink(tok);
	assert_int_equal(load_text(f, text, &c, &err), WB_ENOTFOUND);
	assert_non_null(strstr(err.msg, "sources.tms.token_file: cannot open token file"));
	write_file(tok, TOK_FILE "\n" TOK_FILE "\n", 0600);
	assert_int_equal(load_text(f, text, &c, &err), WB_EINVALID);
	write_file(tok, "\n", 0600);
	assert_int_equal(load_text(f, text, &c, &err), WB_EINVALID);
	assert_non_null(strstr(err.msg, "empty"));
	free(text);
	json_decref(root);
}

static void test_token_env(void **state)
{
	struct fx *f = *state;
	char *text = mutate("sources.telematics.token_env", "\"WB_TEST_TOKEN\"");
	/* mutate kept the inline token too: remove it. */
	json_t *root = json_loads(text, 0, NULL);
	json_object_del(json_object_get(json_object_get(root, "sources"), "telematics"), "token");
	free(text);
	text = json_dumps(root, 0);
	json_decref(root);

	setenv("WB_TEST_TOKEN", TOK_ENV, 1);
	struct settings *c = NULL;
	struct wb_err err = {0};
	if (load_text(f, text, &c, &err) != 0)
		fail_msg("token_env refused: %s", err.msg);
	assert_string_equal(settings_source(c, "telematics")->token, TOK_ENV);
	settings_free(c);

	unsetenv("WB_TEST_TOKEN");
	assert_int_equal(load_text(f, text, &c, &err), WB_ENOTFOUND);
	assert_non_null(strstr(err.msg, "sources.telematics.token_env: environment variable "
	                                "WB_TEST_TOKEN is not set"));
	free(text);
}

static void test_config_mode(void **state)
{
	struct fx *f = *state;
	const mode_t modes[] = {0644, 0640, 0604, 0602, 0660};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		write_file(f->path, minimal, modes[i]);
		struct settings *c = NULL;
		struct wb_err err = {0};
		assert_int_equal(settings_load(f->path, &c, &err), WB_EDENIED);
		assert_null(c);
		char want[PATH_MAX + 64];
		snprintf(want, sizeof(want), "chmod 600 %s", f->path);
		if (strncmp(err.msg, f->path, strlen(f->path)) != 0 || !strstr(err.msg, want))
			fail_msg("mode %o: want the file and \"%s\": %s", (unsigned)modes[i], want,
			         err.msg);
		assert_no_token(&err);
	}
	/* 0400 is fine. */
	write_file(f->path, minimal, 0400);
	struct settings *c = NULL;
	struct wb_err err = {0};
	assert_int_equal(settings_load(f->path, &c, &err), 0);
	settings_free(c);
}

static void test_malformed(void **state)
{
	struct fx *f = *state;
	struct settings *c = NULL;
	struct wb_err err = {0};
	assert_int_equal(load_text(f, "{\n  \"sources\": {,\n}", &c, &err), WB_EINVALID);
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "%s: line 2 column 15: ", f->path);
	if (strncmp(err.msg, want, strlen(want)) != 0)
		fail_msg("want \"%s...\", got \"%s\"", want, err.msg);

	/* jansson quotes the text near an error: a token must not come out that way. */
	assert_int_equal(load_text(f, "{\"sources\":{\"erp\":{\"token\":\"" TOK_ERP, &c, &err),
	                 WB_EINVALID);
	assert_non_null(strstr(err.msg, "line 1"));
	assert_int_equal(
	        load_text(f, "{\"sources\":{\"erp\":{\"token\":\"" TOK_ERP "\" x", &c, &err),
	        WB_EINVALID);
	assert_int_equal(
	        load_text(f, "{\"token\":\"" TOK_ERP "\",\"token\":\"" TOK_ERP "\"}", &c, &err),
	        WB_EINVALID);
	/* A token typed where a key goes is scrubbed too. */
	assert_int_equal(load_text(f,
	                           "{\"" TOK_TMS "\":1,\"sources\":{\"tms\":{\"token\":\"" TOK_TMS
	                           "\"}}}",
	                           &c, &err),
	                 WB_EINVALID);
	assert_int_equal(load_text(f, "", &c, &err), WB_EINVALID);
	assert_int_equal(load_text(f, "[1,2]", &c, &err), WB_EINVALID);
	assert_non_null(strstr(err.msg, "expected a JSON object"));
}

static void test_missing(void **state)
{
	struct fx *f = *state;
	struct settings *c = NULL;
	struct wb_err err = {0};
	assert_int_equal(settings_load(f->path, &c, &err), WB_ENOTFOUND);
	assert_null(c);
	if (strncmp(err.msg, f->path, strlen(f->path)) != 0 || !strstr(err.msg, "\"sources\""))
		fail_msg("want the path and the smallest config: %s", err.msg);
	/* The example in the message is itself a valid config. */
	struct settings *ex = NULL;
	if (load_text(f, config_example, &ex, &err) != 0)
		fail_msg("config_example refused: %s", err.msg);
	settings_free(ex);
}

static void test_write_atomic(void **state)
{
	struct fx *f = *state;
	json_t *root = json_loads(minimal, 0, NULL);
	struct wb_err err = {0};
	write_file(f->path, "old", 0600);
	if (config_write_atomic(f->path, root, &err) != 0)
		fail_msg("config_write_atomic: %s", err.msg);
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	struct settings *c = NULL;
	if (settings_load(f->path, &c, &err) != 0)
		fail_msg("written config refused: %s", err.msg);
	settings_free(c);
	/* Nothing else left in the directory. */
	DIR *d = opendir(f->dir);
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' || strncmp(de->d_name, ".waybill", 8) == 0)
			n++;
	closedir(d);
	assert_int_equal(n, 1);
	/* A directory that does not exist: an error, nothing written. */
	char bad[PATH_MAX + 32];
	snprintf(bad, sizeof(bad), "%s/nope/config.json", f->dir);
	assert_int_equal(config_write_atomic(bad, root, &err), WB_EIO);
	assert_non_null(strstr(err.msg, bad));
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_minimal_and_defaults, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_detectors, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_automation, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_full, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_maintenance, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_token_file, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_token_env, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_config_mode, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_write_atomic, setup, teardown),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
