/* The sign-in keys of a source whose kind signs in (Tryton: a database, a
 * user and a password) instead of sending a token. The password follows the
 * token's rules: exactly one of password, password_file (a file only its
 * owner may read, relative to the config) or password_env; empty, space and
 * control characters refused; its value never formatted into a message (and
 * settings_load scrubs every message of it as well). */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "settings/config_internal.h"

#define PASSWORD_MAX_BYTES 4096u

static const char *const login_keys[] = {"database",      "user",         "password",
                                         "password_file", "password_env", NULL};

/* A database or user name: shown in messages, so no control characters. */
static int name_value(struct config_ctx *x, json_t *src, const char *jp, const char *kind,
                      const char *key, char **dst)
{
	char p[300];
	snprintf(p, sizeof(p), "%s.%s", jp, key);
	json_t *v = json_object_get(src, key);
	if (!v)
		return config_bad(
		        x, WB_EINVALID, p,
		        "missing (a %.40s source signs in with database, user and password)", kind);
	const char *s = json_string_value(v);
	if (!s || json_string_length(v) == 0)
		return config_bad(x, WB_EINVALID, p, "expected a non-empty string");
	if (strlen(s) != json_string_length(v) || strlen(s) > 200)
		return config_bad(x, WB_EINVALID, p, "holds a NUL character or is over 200 bytes");
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return config_bad(x, WB_EINVALID, p, "holds a control character");
	if (!(*dst = strdup(s)))
		return config_bad(x, WB_ENOMEM, NULL, "out of memory");
	return 0;
}

/* The token's rules, worded for a password; its value is never shown. */
static int check_password(struct config_ctx *x, const char *jpath, const char *pw, size_t len)
{
	if (len == 0)
		return config_bad(x, WB_EINVALID, jpath, "the password is empty");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)pw[i] < 0x21 || pw[i] == 0x7f)
			return config_bad(
			        x, WB_EINVALID, jpath,
			        "the password holds a space, newline or control character");
	return 0;
}

static void wipe_free(char *s, size_t len)
{
	if (!s)
		return;
	explicit_bzero(s, len);
	free(s);
}

static int password_file(struct config_ctx *x, json_t *file, const char *p, char **out)
{
	if (!json_is_string(file) || json_string_length(file) == 0)
		return config_bad(x, WB_EINVALID, p, "expected a file name");
	char path[PATH_MAX];
	config_resolve_beside(x->file, json_string_value(file), path, sizeof(path));
	int fd, rc;
	if ((rc = config_open_private(x, path, p, "password file", &fd)) != 0)
		return rc;
	char *buf;
	size_t len;
	rc = config_read_all(fd, PASSWORD_MAX_BYTES, &buf, &len);
	close(fd);
	if (rc)
		return config_bad(x, rc, p, "cannot read password file %s%s", path,
		                  rc == WB_EINVALID ? " (over 4 KiB)" : "");
	size_t all = len;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if ((rc = check_password(x, p, buf, len)) != 0) {
		wipe_free(buf, all);
		return rc;
	}
	*out = buf;
	return 0;
}

static int load_password(struct config_ctx *x, json_t *src, const char *jp, char **out)
{
	json_t *inl = json_object_get(src, "password");
	json_t *file = json_object_get(src, "password_file");
	json_t *env = json_object_get(src, "password_env");
	char p[300];
	if ((inl != NULL) + (file != NULL) + (env != NULL) != 1)
		return config_bad(x, WB_EINVALID, jp,
		                  "give exactly one of password, password_file, password_env");
	int rc;
	if (file) {
		snprintf(p, sizeof(p), "%s.password_file", jp);
		return password_file(x, file, p, out);
	}
	const char *v;
	if (inl) {
		snprintf(p, sizeof(p), "%s.password", jp);
		if (!json_is_string(inl))
			return config_bad(x, WB_EINVALID, p, "expected a string");
		if ((rc = check_password(x, p, json_string_value(inl), json_string_length(inl))))
			return rc;
		v = json_string_value(inl);
	} else {
		snprintf(p, sizeof(p), "%s.password_env", jp);
		if (!json_is_string(env) || json_string_length(env) == 0)
			return config_bad(x, WB_EINVALID, p,
			                  "expected the name of an environment variable");
		v = getenv(json_string_value(env));
		if (!v || !*v)
			return config_bad(x, WB_ENOTFOUND, p,
			                  "environment variable %.60s is not set",
			                  json_string_value(env));
		if ((rc = check_password(x, p, v, strlen(v))) != 0)
			return rc;
	}
	if (!(*out = strdup(v)))
		return config_bad(x, WB_ENOMEM, NULL, "out of memory");
	return 0;
}

int config_load_login(struct config_ctx *x, json_t *src, const char *jp, struct config_source *s)
{
	const char *kind = s->kind ? s->kind : "?";
	if (!s->ops->login_request) {
		/* A token kind: the sign-in keys would be silently ignored. */
		for (const char *const *k = login_keys; *k; k++) {
			if (!json_object_get(src, *k))
				continue;
			char p[300];
			snprintf(p, sizeof(p), "%s.%s", jp, *k);
			return config_bad(x, WB_EINVALID, p,
			                  "a %.40s source takes a token, not a user and password",
			                  kind);
		}
		return 0;
	}
	static const char *const token_keys[] = {"token", "token_file", "token_env", NULL};
	for (const char *const *k = token_keys; *k; k++) {
		if (!json_object_get(src, *k))
			continue;
		char p[300];
		snprintf(p, sizeof(p), "%s.%s", jp, *k);
		return config_bad(x, WB_EINVALID, p,
		                  "a %.40s source signs in with database, user and password; it "
		                  "takes no token",
		                  kind);
	}
	int rc;
	if ((rc = name_value(x, src, jp, kind, "database", &s->database)) != 0 ||
	    (rc = name_value(x, src, jp, kind, "user", &s->user)) != 0 ||
	    (rc = load_password(x, src, jp, &s->password)) != 0)
		return rc;
	s->login = (struct connector_login){
	        .database = s->database, .user = s->user, .password = s->password};
	return 0;
}

void config_free_login(struct config_source *s)
{
	if (s->password)
		wipe_free(s->password, strlen(s->password));
	free(s->database);
	free(s->user);
	s->password = s->database = s->user = NULL;
	s->login = (struct connector_login){0};
}
