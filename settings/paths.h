/* Where the config and the cache live when no flag says: the one place that
 * knows $WAYBILL_CONFIG, $WAYBILL_CACHE and the XDG directories. */
#ifndef WAYBILL_SETTINGS_PATHS_H
#define WAYBILL_SETTINGS_PATHS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/* Resolves the config file path: flag, then $WAYBILL_CONFIG, then
 * $XDG_CONFIG_HOME/waybill/config.json, then ~/.config/waybill/config.json. */
int settings_config_path(const char *flag, char *buf, size_t len, struct wb_err *err);
/* Resolves the cache path likewise ($WAYBILL_CACHE, $XDG_CACHE_HOME/waybill/cache.db,
 * ~/.cache/waybill/cache.db). With create, makes the default directory (0700). */
int settings_cache_path(const char *flag, bool create, char *buf, size_t len, struct wb_err *err);

/* FILE in Waybill's own config directory ($XDG_CONFIG_HOME/waybill, else
 * ~/.config/waybill), whatever --config says: where the audit key and anchors
 * live by default. With create, makes the directory (0700). */
int settings_config_dir_file(const char *file, bool create, char *buf, size_t len,
                             struct wb_err *err);

struct settings;
/* The config the user means: the one flag (or $WAYBILL_CONFIG) names, which must
 * load, else the one at the default path when a file is there. Returns 0 with
 * *out NULL when there is none (path then says where it was looked for), 0 with
 * *out loaded, or a negative WB_E* with err naming the file. */
int settings_load_found(const char *flag, struct settings **out, char *path, size_t len,
                        struct wb_err *err);

#endif
