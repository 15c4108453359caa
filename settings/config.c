/* Loading config.json: read it (only if private to its owner), parse it with
 * jansson, check every key and type against what we know, fill struct settings
 * with defaults for the rest. Errors read "FILE: json.path: what is wrong".
 * A token's value is never formatted into a message: values are not echoed,
 * jansson's "near '...'" excerpt is cut, and every message is scrubbed of
 * the tokens seen before it leaves. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/net.h"
#include "settings/settings.h"
#include "connectors/connector.h"
#include "core/core_detect.h"
#include "settings/audit.h"
#include "settings/config_internal.h"

#define CONFIG_MAX_BYTES (1u << 20)
#define TOKEN_MAX_BYTES (64u << 10)

const char config_example[] =
        "{\"sources\":{\"erp\":{\"kind\":\"waybill\",\"url\":\"http://"
        "127.0.0.1:8081\",\"token\":\"...\"},"
        "\"tms\":{\"kind\":\"waybill\",\"url\":\"http://127.0.0.1:8082\",\"token\":\"...\"},"
        "\"telematics\":{\"kind\":\"waybill\",\"url\":\"http://"
        "127.0.0.1:8083\",\"token\":\"...\"}}}";

static const char *const roles[CONFIG_NROLES + 1] = {
#define ROLE_NAME(r) #r,
        CONFIG_ROLES(ROLE_NAME)
#undef ROLE_NAME
                NULL,
};

static const char *const top_keys[] = {"sources",        "depot",  "units",     "currency",
                                       "retention_days", "policy", "detectors", "automation",
                                       "user",           "audit",  NULL};
static const char *const automation_keys[] = {"maintenance", "invoices", NULL};
static const char *const source_keys[] = {
        "kind",    "url",      "token", "token_file", "token_env",     "depot",        "intervals",
        "ca_file", "database", "user",  "password",   "password_file", "password_env", NULL};

/* "FILE: JPATH: what" with the tokens known so far scrubbed out. */
int config_bad(struct config_ctx *x, int code, const char *jpath, const char *fmt, ...)
{
	char what[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return wb_fail(x->err, code, "%s: %s%s%s", x->file, jpath ? jpath : "", jpath ? ": " : "",
	               what);
}

static int check_keys(struct config_ctx *x, json_t *obj, const char *jpath,
                      const char *const *known)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		const char *const *k;
		for (k = known; *k && strcmp(*k, key) != 0; k++)
			;
		if (*k)
			continue;
		char list[256] = "";
		for (k = known; *k; k++) {
			strncat(list, *k, sizeof(list) - strlen(list) - 1);
			if (k[1])
				strncat(list, ", ", sizeof(list) - strlen(list) - 1);
		}
		char p[300];
		snprintf(p, sizeof(p), "%s%s%.40s", jpath ? jpath : "", jpath ? "." : "", key);
		return config_bad(x, WB_EINVALID, p, "unknown key (known: %s)", list);
	}
	return 0;
}

/* An optional string at obj.key copied to *dst; absent leaves *dst alone. */
static int get_string(struct config_ctx *x, json_t *obj, const char *key, const char *jpath,
                      bool nonempty, char **dst)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	char p[300];
	snprintf(p, sizeof(p), "%s%s%s", jpath ? jpath : "", jpath ? "." : "", key);
	if (!json_is_string(v))
		return config_bad(x, WB_EINVALID, p, "expected a string");
	if (nonempty && json_string_length(v) == 0)
		return config_bad(x, WB_EINVALID, p, "must not be empty");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return config_bad(x, WB_EINVALID, p, "holds a NUL character");
	char *s = strdup(json_string_value(v));
	if (!s)
		return config_bad(x, WB_ENOMEM, NULL, "out of memory");
	free(*dst);
	*dst = s;
	return 0;
}

static int positive_int(struct config_ctx *x, json_t *v, const char *jpath, long max, int *out)
{
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return config_bad(x, WB_EINVALID, jpath, "expected a positive integer");
	if (json_integer_value(v) > max)
		return config_bad(x, WB_EINVALID, jpath, "at most %ld", max);
	*out = (int)json_integer_value(v);
	return 0;
}

/* Opens path for reading and refuses it when group or others have any
 * access: a config or token file holds secrets. Checked on the open fd so
 * the file checked is the file read. O_NONBLOCK: opening a FIFO with no
 * writer would otherwise wait for ever; anything but a regular file is
 * refused before a byte is read. */
int config_open_private(struct config_ctx *x, const char *path, const char *jpath, const char *what,
                        int *fd_out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		if (jpath)
			return config_bad(x, e == ENOENT ? WB_ENOTFOUND : WB_EIO, jpath,
			                  "cannot open %s %s: %s", what, path, strerror(e));
		return wb_fail(x->err, e == ENOENT ? WB_ENOTFOUND : WB_EIO, "%s: cannot open: %s",
		               path, strerror(e));
	}
	struct stat st = {0};
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		const char *type = S_ISFIFO(st.st_mode)  ? "a FIFO"
		                   : S_ISDIR(st.st_mode) ? "a directory"
		                                         : "a device or socket";
		close(fd);
		return jpath ? config_bad(x, WB_EIO, jpath, "%s %s is %s, not a regular file", what,
		                          path, type)
		             : wb_fail(x->err, WB_EIO, "%s: is %s, not a regular file", path, type);
	}
	/* A regular file never blocks; reads go back to the usual mode. */
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	if (st.st_mode & 077) {
		close(fd);
		if (jpath)
			return config_bad(
			        x, WB_EDENIED, jpath,
			        "%s %s may be read by group or others (mode %04o); run chmod "
			        "600 %s",
			        what, path, (unsigned)(st.st_mode & 07777), path);
		return wb_fail(x->err, WB_EDENIED,
		               "%s: may be read by group or others (mode %04o); it holds tokens: "
		               "run chmod 600 %s",
		               path, (unsigned)(st.st_mode & 07777), path);
	}
	*fd_out = fd;
	return 0;
}

/* Reads all of fd (at most max bytes) into a NUL-terminated buffer. */
int config_read_all(int fd, size_t max, char **out, size_t *len_out)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	if (!buf)
		return WB_ENOMEM;
	for (;;) {
		if (len + 1 >= cap) {
			if (cap > max) {
				free(buf);
				return WB_EINVALID;
			}
			char *b = realloc(buf, cap * 2);
			if (!b) {
				free(buf);
				return WB_ENOMEM;
			}
			buf = b;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return WB_EIO;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		free(buf);
		return WB_EINVALID;
	}
	buf[len] = '\0';
	*out = buf;
	*len_out = len;
	return 0;
}

/* A relative token_file is relative to the config file's directory. */
void config_resolve_beside(const char *config_path, const char *rel, char *out, size_t len)
{
	if (rel[0] == '/') {
		snprintf(out, len, "%s", rel);
		return;
	}
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", config_path);
	snprintf(out, len, "%s/%s", dirname(tmp), rel);
}

static int check_token(struct config_ctx *x, const char *jpath, const char *t, size_t len)
{
	if (len == 0)
		return config_bad(x, WB_EINVALID, jpath, "the token is empty");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)t[i] < 0x21 || t[i] == 0x7f)
			return config_bad(x, WB_EINVALID, jpath,
			                  "the token holds a space, newline or control character");
	return 0;
}

static int load_token(struct config_ctx *x, json_t *src, const char *jp, struct config_source *s)
{
	json_t *inl = json_object_get(src, "token");
	json_t *file = json_object_get(src, "token_file");
	json_t *env = json_object_get(src, "token_env");
	char p[300];
	if ((inl != NULL) + (file != NULL) + (env != NULL) != 1)
		return config_bad(x, WB_EINVALID, jp,
		                  "give exactly one of token, token_file, token_env");
	int rc;
	if (inl) {
		snprintf(p, sizeof(p), "%s.token", jp);
		if (!json_is_string(inl))
			return config_bad(x, WB_EINVALID, p, "expected a string");
		if ((rc = check_token(x, p, json_string_value(inl), json_string_length(inl))) != 0)
			return rc;
		s->token = strdup(json_string_value(inl));
	} else if (env) {
		snprintf(p, sizeof(p), "%s.token_env", jp);
		if (!json_is_string(env) || json_string_length(env) == 0)
			return config_bad(x, WB_EINVALID, p,
			                  "expected the name of an environment variable");
		const char *v = getenv(json_string_value(env));
		if (!v || !*v)
			return config_bad(x, WB_ENOTFOUND, p,
			                  "environment variable %.60s is not set",
			                  json_string_value(env));
		if ((rc = check_token(x, p, v, strlen(v))) != 0)
			return rc;
		s->token = strdup(v);
	} else {
		snprintf(p, sizeof(p), "%s.token_file", jp);
		if (!json_is_string(file) || json_string_length(file) == 0)
			return config_bad(x, WB_EINVALID, p, "expected a file name");
		char path[PATH_MAX];
		config_resolve_beside(x->file, json_string_value(file), path, sizeof(path));
		int fd;
		if ((rc = config_open_private(x, path, p, "token file", &fd)) != 0)
			return rc;
		char *buf;
		size_t len;
		rc = config_read_all(fd, TOKEN_MAX_BYTES, &buf, &len);
		close(fd);
		if (rc)
			return config_bad(x, rc, p, "cannot read token file %s", path);
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = '\0';
		if ((rc = check_token(x, p, buf, len)) != 0) {
			explicit_bzero(buf, len);
			free(buf);
			return rc;
		}
		s->token = buf;
	}
	return s->token ? 0 : config_bad(x, WB_ENOMEM, NULL, "out of memory");
}

static int load_intervals(struct config_ctx *x, json_t *obj, const char *jp,
                          struct config_source *s)
{
	if (!obj)
		return 0;
	if (!json_is_object(obj))
		return config_bad(x, WB_EINVALID, jp, "expected an object of stream: seconds");
	s->intervals = calloc(json_object_size(obj) + 1, sizeof(*s->intervals));
	if (!s->intervals)
		return config_bad(x, WB_ENOMEM, NULL, "out of memory");
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		char p[300];
		snprintf(p, sizeof(p), "%s.%.40s", jp, key);
		const struct connector_stream *st = connector_stream(s->ops, s->name, key);
		if (!st) {
			char list[256] = "";
			size_t n = 0;
			const struct connector_stream *all = s->ops->streams(s->name, &n);
			for (size_t i = 0; i < n; i++) {
				if (all[i].cadence == CADENCE_LIVE)
					continue;
				strncat(list, *list ? ", " : "", sizeof(list) - strlen(list) - 1);
				strncat(list, all[i].name, sizeof(list) - strlen(list) - 1);
			}
			return config_bad(x, WB_EINVALID, p, "no such stream for %s (known: %s)",
			                  s->name, list);
		}
		if (st->cadence == CADENCE_LIVE)
			return config_bad(x, WB_EINVALID, p,
			                  "a live stream is not polled; remove it");
		struct config_interval *in = &s->intervals[s->n_intervals];
		int rc = positive_int(x, v, p, 86400, &in->seconds);
		if (rc)
			return rc;
		if (!(in->stream = strdup(key)))
			return config_bad(x, WB_ENOMEM, NULL, "out of memory");
		s->n_intervals++;
	}
	return 0;
}

static bool url_ok(const char *u)
{
	const char *rest = strncmp(u, "http://", 7) == 0    ? u + 7
	                   : strncmp(u, "https://", 8) == 0 ? u + 8
	                                                    : NULL;
	if (!rest || !*rest || *rest == '/')
		return false;
	for (; *u; u++)
		if ((unsigned char)*u <= 0x20 || *u == 0x7f)
			return false;
	return true;
}

/* A maintenance source must be of a kind that keeps what the role owns (it
 * serves streams for "maintenance"): a telematics vendor's kind there would
 * take the records away from the telematics source and read nothing. */
static int maintenance_kind(struct config_ctx *x, const struct config_source *s, const char *p)
{
	static const struct connector_ops *const kinds[] = {
#define KIND_OPS(k) &connector_##k,
	        CONNECTOR_KINDS(KIND_OPS)
#undef KIND_OPS
	};
	size_t n = 0;
	s->ops->streams("maintenance", &n);
	if (n)
		return 0;
	char list[128] = "";
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		kinds[i]->streams("maintenance", &n);
		if (!n)
			continue;
		strncat(list, *list ? ", " : "", sizeof(list) - strlen(list) - 1);
		strncat(list, kinds[i]->kind, sizeof(list) - strlen(list) - 1);
	}
	return config_bad(x, WB_EINVALID, p,
	                  "the %.40s kind keeps no work orders or holds; a maintenance source "
	                  "is of a kind that does (%s)",
	                  s->kind, list);
}

static int load_source(struct config_ctx *x, json_t *src, const char *role, struct config_source *s)
{
	char jp[64], p[96];
	snprintf(jp, sizeof(jp), "sources.%s", role);
	if (!(s->name = strdup(role)))
		return config_bad(x, WB_ENOMEM, NULL, "out of memory");
	if (!src)
		return config_bad(x, WB_EINVALID, jp,
		                  "missing; every config names erp, tms and telematics");
	if (json_is_null(src))
		return config_bad(x, WB_EINVALID, jp, "expected an object (or leave it out)");
	if (!json_is_object(src))
		return config_bad(x, WB_EINVALID, jp, "expected an object");
	int rc;
	if ((rc = check_keys(x, src, jp, source_keys)) != 0)
		return rc;
	snprintf(p, sizeof(p), "%s.kind", jp);
	if (!json_object_get(src, "kind"))
		return config_bad(x, WB_EINVALID, p, "missing (\"waybill\")");
	if ((rc = get_string(x, src, "kind", jp, true, &s->kind)) != 0)
		return rc;
	if (!(s->ops = connector_find(s->kind)))
		return config_bad(x, WB_EINVALID, p, "unknown kind %.40s", s->kind);
	if (!strcmp(role, "maintenance") && (rc = maintenance_kind(x, s, p)) != 0)
		return rc;
	snprintf(p, sizeof(p), "%s.url", jp);
	if (!json_object_get(src, "url"))
		return config_bad(x, WB_EINVALID, p, "missing");
	if ((rc = get_string(x, src, "url", jp, true, &s->url)) != 0)
		return rc;
	if (!url_ok(s->url))
		return config_bad(x, WB_EINVALID, p, "expected an http:// or https:// URL");
	size_t ul = strlen(s->url);
	while (ul > 0 && s->url[ul - 1] == '/')
		s->url[--ul] = '\0';
	if ((rc = get_string(x, src, "depot", jp, true, &s->depot)) != 0 ||
	    (rc = get_string(x, src, "ca_file", jp, true, &s->ca_file)) != 0)
		return rc;
	if (s->ca_file && s->ca_file[0] != '/') {
		char abs[PATH_MAX];
		config_resolve_beside(x->file, s->ca_file, abs, sizeof(abs));
		char *d = strdup(abs);
		if (!d)
			return config_bad(x, WB_ENOMEM, NULL, "out of memory");
		free(s->ca_file);
		s->ca_file = d;
	}
	snprintf(p, sizeof(p), "%s.intervals", jp);
	if ((rc = load_intervals(x, json_object_get(src, "intervals"), p, s)) != 0)
		return rc;
	/* A kind that signs in takes a user and password instead of a token. */
	if (s->ops->login_request)
		return config_load_login(x, src, jp, s);
	if ((rc = config_load_login(x, src, jp, s)) != 0)
		return rc;
	return load_token(x, src, jp, s);
}

static int load_top(struct config_ctx *x, json_t *root)
{
	struct settings *c = x->c;
	int rc;
	if (!json_is_object(root))
		return config_bad(x, WB_EINVALID, NULL,
		                  "expected a JSON object at the top; smallest valid: %s",
		                  config_example);
	if ((rc = check_keys(x, root, NULL, top_keys)) != 0)
		return rc;
	if ((rc = get_string(x, root, "depot", NULL, false, &c->depot)) != 0 ||
	    (rc = get_string(x, root, "user", NULL, true, &c->user)) != 0 ||
	    (rc = get_string(x, root, "currency", NULL, true, &c->currency)) != 0)
		return rc;
	if (strlen(c->currency) != 3 || strspn(c->currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
		return config_bad(x, WB_EINVALID, "currency",
		                  "expected an ISO 4217 code such as \"EUR\"");
	json_t *v = json_object_get(root, "units");
	if (v) {
		const char *u = json_string_value(v);
		if (u && strcmp(u, "metric") == 0)
			c->units = CONFIG_METRIC;
		else if (u && strcmp(u, "imperial") == 0)
			c->units = CONFIG_IMPERIAL;
		else
			return config_bad(x, WB_EINVALID, "units",
			                  "expected \"metric\" or \"imperial\"");
	}
	if ((v = json_object_get(root, "retention_days")) &&
	    (rc = positive_int(x, v, "retention_days", 3650, &c->retention_days)) != 0)
		return rc;
	if ((v = json_object_get(root, "policy"))) {
		if (!json_is_object(v))
			return config_bad(x, WB_EINVALID, "policy", "expected an object");
		/* Parsed now, so a bad policy stops the start and every consumer
		 * (the pass, the console, the CLI) reads the same one. */
		struct wb_err perr = {0};
		if (core_policy_from_json(&c->policy_rules, v, &perr) != 0)
			return config_bad(x, perr.code, NULL, "%s", perr.msg);
		c->policy = json_incref(v);
	}
	if ((v = json_object_get(root, "automation"))) {
		if (!json_is_object(v))
			return config_bad(x, WB_EINVALID, "automation", "expected an object");
		if ((rc = check_keys(x, v, "automation", automation_keys)) != 0)
			return rc;
		static const struct {
			const char *key, *path;
			size_t off;
		} sw[] = {
		        {"maintenance", "automation.maintenance",
		         offsetof(struct settings, auto_maintenance)},
		        {"invoices", "automation.invoices",
		         offsetof(struct settings, auto_invoices)},
		};
		for (size_t i = 0; i < sizeof(sw) / sizeof(sw[0]); i++) {
			json_t *b = json_object_get(v, sw[i].key);
			if (!b)
				continue;
			if (!json_is_boolean(b))
				return config_bad(x, WB_EINVALID, sw[i].path,
				                  "expected true or false");
			*(bool *)((char *)c + sw[i].off) = json_is_true(b);
		}
	}
	if ((v = json_object_get(root, "detectors"))) {
		/* Checked now, so a bad threshold stops the start, not a detector run. */
		struct wb_err derr = {0};
		if (core_detect_cfg_from_json(&c->detect, v, &derr) != 0)
			return config_bad(x, derr.code, NULL, "%s", derr.msg);
		c->detectors = json_incref(v);
	}
	if ((v = json_object_get(root, "audit")) && (rc = settings_audit_parse(c, v, x->err)) != 0)
		return rc;
	/* The detectors' evidence is read by people: in the depot's units. */
	c->detect.imperial = c->units == CONFIG_IMPERIAL;
	json_t *src = json_object_get(root, "sources");
	if (!src)
		return config_bad(x, WB_EINVALID, "sources", "missing; smallest valid config: %s",
		                  config_example);
	if (!json_is_object(src))
		return config_bad(x, WB_EINVALID, "sources",
		                  "expected an object with erp, tms, telematics");
	if ((rc = check_keys(x, src, "sources", roles)) != 0)
		return rc;
	for (size_t i = 0; i < CONFIG_NROLES; i++) {
		json_t *one = json_object_get(src, roles[i]);
		if (!one && i >= CONFIG_NREQUIRED)
			continue; /* an optional role left out: its slot stays empty */
		if ((rc = load_source(x, one, roles[i], &c->sources[i])))
			return rc;
	}
	return 0;
}

static int set_defaults(struct settings *c, const char *path)
{
	const char *user = getenv("USER");
	c->path = strdup(path);
	c->depot = strdup("");
	c->user = strdup(user && *user ? user : "dispatcher");
	c->currency = strdup("EUR");
	c->units = CONFIG_METRIC;
	c->retention_days = CONFIG_RETENTION_DEFAULT_DAYS;
	c->auto_maintenance = true;
	c->auto_invoices = true;
	settings_audit_init(c);
	core_policy_init_default(&c->policy_rules);
	core_detect_cfg_default(&c->detect);
	return c->path && c->depot && c->user && c->currency ? 0 : WB_ENOMEM;
}

/* Removes jansson's "near '...'" excerpt: it may quote a token. */
static void cut_excerpt(char *text)
{
	char *near = strstr(text, " near '");
	if (near)
		*near = '\0';
}

/* Every message leaves scrubbed of every token value in the file or loaded
 * so far, however it got there. */
static void scrub_all(struct config_ctx *x)
{
	if (!x->err)
		return;
	for (size_t i = 0; i < CONFIG_NROLES; i++) {
		net_scrub_secret(x->err->msg, x->c->sources[i].token);
		net_scrub_secret(x->err->msg, x->c->sources[i].password);
	}
	json_t *src = json_object_get(x->root, "sources");
	const char *key;
	json_t *s;
	json_object_foreach(src, key, s)
	{
		net_scrub_secret(x->err->msg, json_string_value(json_object_get(s, "token")));
		net_scrub_secret(x->err->msg, json_string_value(json_object_get(s, "password")));
	}
}

int settings_load(const char *path, struct settings **out, struct wb_err *err)
{
	*out = NULL;
	struct config_ctx x = {.file = path, .err = err};
	int fd, rc = config_open_private(&x, path, NULL, NULL, &fd);
	if (rc == WB_ENOTFOUND)
		return wb_fail(err, rc,
		               "%s: no config file there; create it (chmod 600) with at least: %s",
		               path, config_example);
	if (rc)
		return rc;
	char *buf;
	size_t len;
	rc = config_read_all(fd, CONFIG_MAX_BYTES, &buf, &len);
	close(fd);
	if (rc)
		return wb_fail(err, rc, "%s: %s", path,
		               rc == WB_EINVALID ? "larger than 1 MiB; not a config file?"
		                                 : "cannot read the file");
	json_error_t je;
	x.root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	explicit_bzero(buf, len);
	free(buf);
	if (!x.root) {
		cut_excerpt(je.text);
		return wb_fail(err, WB_EINVALID, "%s: line %d column %d: %s", path, je.line,
		               je.column, je.text);
	}
	x.c = calloc(1, sizeof(*x.c));
	if (!x.c || set_defaults(x.c, path) != 0)
		rc = wb_fail(err, WB_ENOMEM, "%s: out of memory", path);
	else
		rc = load_top(&x, x.root);
	if (rc != 0) {
		if (x.c)
			scrub_all(&x);
		settings_free(x.c);
		json_decref(x.root);
		return rc;
	}
	json_decref(x.root);
	*out = x.c;
	return 0;
}

struct settings *settings_defaults(void)
{
	struct settings *c = calloc(1, sizeof(*c));
	if (c && set_defaults(c, "") != 0) {
		settings_free(c);
		return NULL;
	}
	return c;
}

void settings_free(struct settings *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CONFIG_NROLES; i++) {
		struct config_source *s = &c->sources[i];
		if (s->token) {
			explicit_bzero(s->token, strlen(s->token));
			free(s->token);
		}
		config_free_login(s);
		for (size_t j = 0; j < s->n_intervals; j++)
			free(s->intervals[j].stream);
		free(s->intervals);
		free(s->name);
		free(s->kind);
		free(s->url);
		free(s->depot);
		free(s->ca_file);
	}
	json_decref(c->policy);
	json_decref(c->detectors);
	free(c->path);
	free(c->depot);
	free(c->user);
	free(c->currency);
	free(c->audit_key_file);
	free(c->audit_anchor_file);
	free(c);
}

const struct config_source *settings_source(const struct settings *c, const char *name)
{
	for (size_t i = 0; c && name && i < CONFIG_NROLES; i++)
		if (c->sources[i].name && c->sources[i].ops &&
		    strcmp(c->sources[i].name, name) == 0)
			return &c->sources[i];
	return NULL;
}

const struct config_source *settings_maintenance(const struct settings *c)
{
	return settings_source(c, "maintenance");
}

bool settings_reads_stream(const struct settings *c, const struct config_source *src,
                           const struct connector_stream *cs)
{
	const struct config_source *m = settings_maintenance(c);
	if (!m || !src || src == m || !cs)
		return true;
	return cs->entity != WB_ENT_WORK_ORDER && cs->entity != WB_ENT_PART_RESERVATION &&
	       cs->entity != WB_ENT_VEHICLE_MAINT;
}
