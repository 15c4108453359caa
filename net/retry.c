/* When to try again: exponential backoff with full jitter, and the server's
 * own Retry-After. Pure functions, no clock of their own. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "net/net.h"

uint32_t net_backoff_ms(unsigned attempt, uint32_t random)
{
	/* 1000 << 6 already passes the cap; shifting further would overflow. */
	uint64_t ceiling =
	        attempt >= 16 ? NET_BACKOFF_CAP_MS : (uint64_t)NET_BACKOFF_BASE_MS << attempt;
	if (ceiling > NET_BACKOFF_CAP_MS)
		ceiling = NET_BACKOFF_CAP_MS;
	return (uint32_t)(random % (ceiling + 1));
}

int net_parse_retry_after(const char *v, time_t now, long *secs)
{
	if (!v)
		return -1;
	while (*v == ' ' || *v == '\t')
		v++;
	size_t len = strlen(v);
	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len == 0 || len > 64)
		return -1;
	char buf[65];
	memcpy(buf, v, len);
	buf[len] = '\0';

	if (isdigit((unsigned char)buf[0])) {
		/* delay-seconds = 1*DIGIT; anything else after the digits is not one. */
		for (size_t i = 0; i < len; i++)
			if (!isdigit((unsigned char)buf[i]))
				return -1;
		errno = 0;
		unsigned long long s = strtoull(buf, NULL, 10);
		*secs = (errno == ERANGE || s > LONG_MAX) ? LONG_MAX : (long)s;
		return 0;
	}
	/* An HTTP-date: IMF-fixdate, RFC 850 or asctime, all of which
	 * curl_getdate reads. It needs a weekday name or month to be a date. */
	time_t t = curl_getdate(buf, NULL);
	if (t == (time_t)-1)
		return -1;
	*secs = t <= now ? 0 : (t - now > LONG_MAX ? LONG_MAX : (long)(t - now));
	return 0;
}
