/* TLS through the real transport: a self-signed HTTPS server on 127.0.0.1
 * (libmicrohttpd with GnuTLS) is refused while verification is on, as it must
 * be, and accepted once its certificate is named as the CA file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "testutil.h"
#include "net/net.h"

struct fx {
	char dir[PATH_MAX];
	char cert[PATH_MAX + 16], key[PATH_MAX + 16];
	char *cert_pem, *key_pem;
	struct MHD_Daemon *d;
	unsigned port;
	uv_loop_t loop;
	struct net *net;
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = calloc(1, 65536);
	size_t n = buf ? fread(buf, 1, 65535, f) : 0;
	fclose(f);
	if (buf && n == 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_len, void **con_cls)
{
	static const char body[] = "{\"ok\":true}";
	struct MHD_Response *r = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
	                                                         MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return rc;
}

static int setup(void **state)
{
	if (!MHD_is_feature_supported(MHD_FEATURE_TLS))
		return 0; /* the tests skip */
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(test_tmpdir(f->dir, sizeof(f->dir)));
	snprintf(f->cert, sizeof(f->cert), "%s/cert.pem", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/key.pem", f->dir);
	char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof(cmd),
	         "openssl req -x509 -newkey rsa:2048 -nodes -keyout '%s' -out '%s' -days 1"
	         " -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
	         f->key, f->cert);
	if (system(cmd) != 0)
		fail_msg("openssl could not make a test certificate (is the openssl package "
		         "installed?)");
	f->cert_pem = slurp(f->cert);
	f->key_pem = slurp(f->key);
	assert_non_null(f->cert_pem);
	assert_non_null(f->key_pem);
	struct sockaddr_in sa = {0};
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, 0, NULL, NULL,
	                        handler, NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_HTTPS_MEM_KEY,
	                        f->key_pem, MHD_OPTION_HTTPS_MEM_CERT, f->cert_pem, MHD_OPTION_END);
	assert_non_null(f->d);
	f->port = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT)->port;
	assert_int_equal(uv_loop_init(&f->loop), 0);
	struct wb_err err = {0};
	f->net = net_new(&f->loop, NULL, &err);
	assert_non_null(f->net);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	if (!f)
		return 0;
	net_free(f->net);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	uv_loop_close(&f->loop);
	MHD_stop_daemon(f->d);
	free(f->cert_pem);
	free(f->key_pem);
	test_rmdir(f->dir);
	free(f);
	return 0;
}

struct answer {
	int done;
	enum net_errkind error;
	long status;
	char errmsg[512];
};

static void on_done(const struct net_resp *r, void *arg)
{
	struct answer *a = arg;
	a->done = 1;
	a->error = r->error;
	a->status = r->status;
	snprintf(a->errmsg, sizeof(a->errmsg), "%s", r->errmsg ? r->errmsg : "");
}

static struct answer get(struct fx *f, const char *ca_file)
{
	char url[64];
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/v1/me", f->port);
	struct answer a = {0};
	struct wb_err err = {0};
	struct net_req req = {
	        .url = url, .bearer = "tls-test-token", .ca_file = ca_file, .timeout_ms = 10000};
	assert_true(net_request(f->net, &req, on_done, &a, &err) > 0);
	while (!a.done)
		uv_run(&f->loop, UV_RUN_ONCE);
	return a;
}

static void test_self_signed_is_refused(void **state)
{
	struct fx *f = *state;
	if (!f)
		skip();
	struct answer a = get(f, NULL);
	if (a.error != NET_ETLS)
		fail_msg("a self-signed server must fail TLS verification, got %s (HTTP %ld)",
		         net_errkind_name(a.error), a.status);
	assert_null(strstr(a.errmsg, "tls-test-token"));
}

static void test_named_ca_is_trusted(void **state)
{
	struct fx *f = *state;
	if (!f)
		skip();
	struct answer a = get(f, f->cert);
	if (a.error != NET_EOK || a.status != 200)
		fail_msg("with its certificate as the CA file: expected 200, got %s %ld (%s)",
		         net_errkind_name(a.error), a.status, a.errmsg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_self_signed_is_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_named_ca_is_trusted, setup, teardown),
	};
	return cmocka_run_group_tests_name("net_tls", tests, NULL, NULL);
}
