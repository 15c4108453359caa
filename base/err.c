/* The one place errors are formatted for users. */
#include <stdio.h>

#include "base/err.h"

int wb_fail(struct wb_err *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->code = code;
		/* One line: a message never carries a newline to a status line or log. */
		for (char *p = err->msg; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
	}
	return code;
}

const char *wb_errname(int code)
{
	switch (code) {
#define WB_ERR_CASE(name, val, text)                                                               \
	case val: return text;
		WB_ERRORS(WB_ERR_CASE)
#undef WB_ERR_CASE
	}
	return "unknown error";
}
