/* Errors that reach a user: a code and a one-line message naming the thing
 * (file, source, record) and what to do. Every fallible function in Waybill
 * returns 0 or a negative WB_E* and, when given one, fills a struct wb_err. */
#ifndef WAYBILL_ERR_H
#define WAYBILL_ERR_H

#include <stdarg.h>

#define WB_ERRORS(X)                                                                               \
	X(OK, 0, "ok")                                                                             \
	X(INVALID, -1, "invalid input")                                                            \
	X(NOMEM, -2, "out of memory")                                                              \
	X(IO, -3, "input/output error")                                                            \
	X(NOTDB, -4, "not a Waybill cache")                                                        \
	X(NEWER, -5, "cache schema newer than this program")                                       \
	X(READONLY, -6, "read-only")                                                               \
	X(FULL, -7, "disk full")                                                                   \
	X(BUSY, -8, "locked by another process")                                                   \
	X(NOTFOUND, -9, "not found")                                                               \
	X(CORRUPT, -10, "corrupt")                                                                 \
	X(CONFLICT, -11, "conflict")                                                               \
	X(DENIED, -12, "not allowed")

enum wb_errcode {
#define WB_ERR_ENUM(name, val, text) WB_E##name = val,
	WB_ERRORS(WB_ERR_ENUM)
#undef WB_ERR_ENUM
};

struct wb_err {
	int code;      /* one of enum wb_errcode */
	char msg[512]; /* one line, no trailing newline, no secrets */
};

/* Sets err (if not NULL) and returns code, so callers can `return wb_fail(...)`. */
int wb_fail(struct wb_err *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
const char *wb_errname(int code);

#endif
