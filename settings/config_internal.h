/* Shared by the config loader's files (settings/config.c, settings/login.c):
 * the loading context and the helpers that read secrets from files. Not a
 * public header. */
#ifndef WAYBILL_SETTINGS_CONFIG_INTERNAL_H
#define WAYBILL_SETTINGS_CONFIG_INTERNAL_H

#include <jansson.h>
#include <stddef.h>

#include "base/err.h"
#include "settings/settings.h"

struct config_ctx {
	const char *file; /* the config file, for messages and relative paths */
	struct wb_err *err;
	struct settings *c;
	json_t *root;
};

/* "FILE: JPATH: what" (jpath may be NULL); returns code. The caller scrubs
 * secrets from the message (settings_load does, for every message). */
int config_bad(struct config_ctx *x, int code, const char *jpath, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* Opens path (a config, token or password file) for reading; refuses anything
 * but a regular file that only its owner may read. what names it in messages
 * ("token file"). */
int config_open_private(struct config_ctx *x, const char *path, const char *jpath, const char *what,
                        int *fd_out);
/* Reads all of fd (at most max bytes) into a NUL-terminated malloc'd buffer:
 * 0, WB_EINVALID when longer, WB_ENOMEM, WB_EIO. */
int config_read_all(int fd, size_t max, char **out, size_t *len_out);
/* A relative file name is relative to the config file's directory. */
void config_resolve_beside(const char *config_path, const char *rel, char *out, size_t len);

/* settings/login.c: a source whose kind signs in (its ops have
 * login_request) takes "database", "user" and exactly one of "password",
 * "password_file", "password_env" instead of a token; a kind that does not
 * sign in refuses those keys. Fills s->login. jp is "sources.erp". */
int config_load_login(struct config_ctx *x, json_t *src, const char *jp, struct config_source *s);
/* Frees what config_load_login filled, wiping the password. */
void config_free_login(struct config_source *s);

#endif
