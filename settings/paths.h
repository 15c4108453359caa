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

#endif
