/* The sign-in keys of a source whose kind signs in (settings/login.c): database,
 * user and exactly one of password, password_file, password_env, with the
 * token's rules (mode check, empty/space/control refused); each bad case's
 * one-line error names the key, and no message ever holds the password. A
 * kind that takes a token refuses the sign-in keys, and one that signs in
 * refuses a token. Tested on the loader's own function with a kind whose ops
 * sign in, and through settings_load for the canonical kind. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>

#include "testutil.h"
#include "settings/config_internal.h"
#include "settings/settings.h"

#define PW "pa55-w0rd-Z9q"

static int fake_login(const struct connector_login *who, struct connector_call *call,
                      struct wb_err *err)
{
	(void)who, (void)call, (void)err;
	return 0;
}

static const struct connector_ops signs_in = {.kind = "tryton", .login_request = fake_login};

struct fx {
	char dir[PATH_MAX];
	char path[PATH_MAX + 32];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(test_tmpdir(f->dir, sizeof(f->dir)));
	snprintf(f->path, sizeof(f->path), "%s/config.json", f->dir);
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

/* Loads the source object text with ops; the message is one line without the
 * password (or any of its pieces a test put in). */
static int load(struct fx *f, const struct connector_ops *ops, const char *text,
                struct config_source *s, struct wb_err *err)
{
	json_error_t je;
	json_t *src = json_loads(text, 0, &je);
	if (!src)
		fail_msg("bad test JSON %s: %s", text, je.text);
	memset(s, 0, sizeof(*s));
	memset(err, 0, sizeof(*err));
	s->kind = (char *)ops->kind;
	s->ops = ops;
	struct config_ctx x = {.file = f->path, .err = err};
	int rc = config_load_login(&x, src, "sources.erp", s);
	json_decref(src);
	if (strstr(err->msg, PW) || strstr(err->msg, "pa55"))
		fail_msg("the password leaked into the message: %s", err->msg);
	if (strchr(err->msg, '\n'))
		fail_msg("a message of more than one line: %s", err->msg);
	return rc;
}

static void expect_error(struct fx *f, const struct connector_ops *ops, const char *text,
                         const char *want)
{
	struct config_source s;
	struct wb_err err;
	int rc = load(f, ops, text, &s, &err);
	config_free_login(&s);
	if (rc == 0)
		fail_msg("accepted %s", text);
	if (!strstr(err.msg, want))
		fail_msg("for %s: expected \"%s\" in: %s", text, want, err.msg);
}

static void test_inline(void **state)
{
	struct fx *f = *state;
	struct config_source s;
	struct wb_err err;
	int rc = load(f, &signs_in,
	              "{\"database\":\"depot\",\"user\":\"admin\",\"password\":\"" PW "\"}", &s,
	              &err);
	if (rc != 0)
		fail_msg("refused: %s", err.msg);
	assert_string_equal(s.login.database, "depot");
	assert_string_equal(s.login.user, "admin");
	assert_string_equal(s.login.password, PW);
	config_free_login(&s);
	assert_null(s.password);
}

static void test_file(void **state)
{
	struct fx *f = *state;
	char pw[PATH_MAX + 16];
	snprintf(pw, sizeof(pw), "%s/erp.pw", f->dir);
	write_file(pw, PW "\n", 0600);
	struct config_source s;
	struct wb_err err;
	/* Relative to the config's directory; the newline at the end is cut. */
	int rc = load(f, &signs_in,
	              "{\"database\":\"depot\",\"user\":\"admin\",\"password_file\":\"erp.pw\"}",
	              &s, &err);
	if (rc != 0)
		fail_msg("refused: %s", err.msg);
	assert_string_equal(s.login.password, PW);
	config_free_login(&s);
	/* Readable by the group: refused, naming chmod, not the password. */
	write_file(pw, PW "\n", 0640);
	expect_error(f, &signs_in,
	             "{\"database\":\"depot\",\"user\":\"admin\",\"password_file\":\"erp.pw\"}",
	             "chmod 600");
	write_file(pw, PW "\n", 0604);
	expect_error(f, &signs_in,
	             "{\"database\":\"depot\",\"user\":\"admin\",\"password_file\":\"erp.pw\"}",
	             "may be read by group or others");
	expect_error(f, &signs_in,
	             "{\"database\":\"depot\",\"user\":\"admin\",\"password_file\":\"none.pw\"}",
	             "sources.erp.password_file: cannot open password file");
	/* A file holding a space inside: refused, the value not shown. */
	write_file(pw, "pa55 word\n", 0600);
	expect_error(f, &signs_in,
	             "{\"database\":\"depot\",\"user\":\"admin\",\"password_file\":\"erp.pw\"}",
	             "the password holds a space, newline or control character");
	write_file(pw, "\n", 0600);
	expect_error(f, &signs_in,
	             "{\"database\":\"depot\",\"user\":\"admin\",\"password_file\":\"erp.pw\"}",
	             "the password is empty");
}

static void test_env(void **state)
{
	struct fx *f = *state;
	setenv("WB_TEST_ERP_PW", PW, 1);
	struct config_source s;
	struct wb_err err;
	int rc = load(f, &signs_in,
	              "{\"database\":\"d\",\"user\":\"u\",\"password_env\":\"WB_TEST_ERP_PW\"}", &s,
	              &err);
	if (rc != 0)
		fail_msg("refused: %s", err.msg);
	assert_string_equal(s.login.password, PW);
	config_free_login(&s);
	unsetenv("WB_TEST_ERP_PW");
	expect_error(f, &signs_in,
	             "{\"database\":\"d\",\"user\":\"u\",\"password_env\":\"WB_TEST_ERP_PW\"}",
	             "sources.erp.password_env: environment variable WB_TEST_ERP_PW is not set");
	setenv("WB_TEST_ERP_PW", "pa55\tx", 1);
	expect_error(f, &signs_in,
	             "{\"database\":\"d\",\"user\":\"u\",\"password_env\":\"WB_TEST_ERP_PW\"}",
	             "the password holds a space");
	unsetenv("WB_TEST_ERP_PW");
}

static void test_bad_cases(void **state)
{
	struct fx *f = *state;
	expect_error(f, &signs_in, "{\"user\":\"u\",\"password\":\"" PW "\"}",
	             "sources.erp.database: missing (a tryton source signs in with database, user "
	             "and password)");
	expect_error(f, &signs_in, "{\"database\":\"d\",\"password\":\"" PW "\"}",
	             "sources.erp.user: missing");
	expect_error(f, &signs_in, "{\"database\":\"\",\"user\":\"u\",\"password\":\"" PW "\"}",
	             "sources.erp.database: expected a non-empty string");
	expect_error(f, &signs_in, "{\"database\":\"d\",\"user\":7,\"password\":\"" PW "\"}",
	             "sources.erp.user: expected a non-empty string");
	expect_error(f, &signs_in,
	             "{\"database\":\"d\",\"user\":\"a\\nb\",\"password\":\"" PW "\"}",
	             "sources.erp.user: holds a control character");
	expect_error(f, &signs_in, "{\"database\":\"d\",\"user\":\"u\"}",
	             "sources.erp: give exactly one of password, password_file, password_env");
	expect_error(f, &signs_in,
	             "{\"database\":\"d\",\"user\":\"u\",\"password\":\"" PW
	             "\",\"password_env\":\"X\"}",
	             "give exactly one of password, password_file, password_env");
	expect_error(f, &signs_in, "{\"database\":\"d\",\"user\":\"u\",\"password\":\"\"}",
	             "sources.erp.password: the password is empty");
	expect_error(f, &signs_in,
	             "{\"database\":\"d\",\"user\":\"u\",\"password\":\"pa55 " PW "\"}",
	             "sources.erp.password: the password holds a space, newline or control");
	expect_error(f, &signs_in,
	             "{\"database\":\"d\",\"user\":\"u\",\"password\":\"pa55\\u0007" PW "\"}",
	             "the password holds a space, newline or control character");
	expect_error(f, &signs_in, "{\"database\":\"d\",\"user\":\"u\",\"password\":42}",
	             "sources.erp.password: expected a string");
	expect_error(f, &signs_in,
	             "{\"database\":\"d\",\"user\":\"u\",\"password\":\"" PW "\",\"token\":\"t\"}",
	             "sources.erp.token: a tryton source signs in with database, user and "
	             "password; it takes no token");
	/* The canonical kind takes a token: sign-in keys are a mistake. */
	expect_error(f, connector_find("waybill"), "{\"user\":\"u\",\"token\":\"t\"}",
	             "sources.erp.user: a waybill source takes a token, not a user and password");
	expect_error(f, connector_find("waybill"), "{\"password\":\"" PW "\",\"token\":\"t\"}",
	             "sources.erp.password: a waybill source takes a token");
}

/* Through settings_load: a password written where a token kind is
 * configured is refused, and the message is scrubbed of it. */
static void test_whole_file(void **state)
{
	struct fx *f = *state;
	const char *text =
	        "{\"sources\":{"
	        "\"erp\":{\"kind\":\"waybill\",\"url\":\"http://127.0.0.1:9001\",\"token\":\"tk1\","
	        "\"password\":\"" PW "\"},"
	        "\"tms\":{\"kind\":\"waybill\",\"url\":\"http://"
	        "127.0.0.1:9002\",\"token\":\"tk2\"},"
	        "\"telematics\":{\"kind\":\"waybill\",\"url\":\"http://127.0.0.1:9003\","
	        "\"token\":\"tk3\"}}}";
	write_file(f->path, text, 0600);
	struct settings *c = NULL;
	struct wb_err err = {0};
	assert_int_not_equal(settings_load(f->path, &c, &err), 0);
	assert_null(c);
	assert_non_null(strstr(err.msg, "sources.erp.password: a waybill source takes a token"));
	assert_null(strstr(err.msg, PW));
	/* Without it the file loads, and a token kind has no login. */
	char *ok = strdup(text);
	char *at = strstr(ok, ",\"password\":\"" PW "\"");
	memmove(at, at + strlen(",\"password\":\"" PW "\""),
	        strlen(at + strlen(",\"password\":\"" PW "\"")) + 1);
	write_file(f->path, ok, 0600);
	free(ok);
	if (settings_load(f->path, &c, &err) != 0)
		fail_msg("refused: %s", err.msg);
	assert_null(c->sources[0].login.user);
	assert_null(c->sources[0].password);
	settings_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_inline, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_file, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_env, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_cases, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_whole_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
