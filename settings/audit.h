/* The audit trail's settings (settings/audit.c): where its key and anchors
 * live, and the key file itself: read (refused when group or others may read
 * it), or made with 32 random bytes on first use. The cache never reads these
 * files; the command that opens the cache with settings passes the key in. */
#ifndef WAYBILL_SETTINGS_AUDIT_H
#define WAYBILL_SETTINGS_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

struct settings;

#define SETTINGS_AUDIT_KEY_LEN 32

/* Sets s's audit defaults: no key or anchor file of its own (the defaults of
 * settings_audit_paths), auto_anchor on. */
void settings_audit_init(struct settings *s);
/* Reads the config's "audit" object (key_file, anchor_file: paths relative to
 * the config's directory; auto_anchor: a boolean) into s. Errors read
 * "FILE: audit.KEY: what is wrong". */
int settings_audit_parse(struct settings *s, json_t *v, struct wb_err *err);

/* The key and anchor files: those s's config names, else audit.key and
 * audit-anchors.jsonl in Waybill's config directory ($XDG_CONFIG_HOME/waybill,
 * made 0700 with create), one pair for every config and cache of the user, so
 * a command run with --cache alone finds the key the sync used. s may be NULL
 * (no config file). */
int settings_audit_paths(const struct settings *s, bool create, char *key, size_t key_len,
                         char *anchors, size_t anchors_len, struct wb_err *err);

/* Reads the key at path (64 hex digits, a newline allowed) into key. A
 * missing file: with create, made (mode 0600, 32 bytes from getrandom,
 * published whole with link(2) so two processes agree on one key) and read;
 * without, *found is 0 and 0 returned. WB_EDENIED when group or others may
 * read it ("chmod 600"), WB_EINVALID when it is not a key file. */
int settings_audit_key_load(const char *path, bool create,
                            unsigned char key[SETTINGS_AUDIT_KEY_LEN], int *found,
                            struct wb_err *err);

#endif
