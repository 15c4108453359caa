/* What a failed transfer says: the error kind libcurl's result maps to, and
 * the reason that follows it in the one-line message. The reason is ours
 * where we know more than libcurl (the low-speed limit against the deadline,
 * the memory budget, a compression bomb): the line a person reads when a
 * source misbehaves. */
#include <stdio.h>

#include "net_internal.h"

enum net_errkind net_kind_of(const struct net_xfer *x, CURLcode rc)
{
	switch (rc) {
	case CURLE_OK: return NET_EOK;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY: return NET_ERESOLVE;
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR: return NET_ECONNECT;
	case CURLE_OPERATION_TIMEDOUT: return NET_ETIMEOUT;
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2_STREAM: return NET_EPARTIAL;
	case CURLE_FILESIZE_EXCEEDED: return NET_ETOOBIG;
	case CURLE_OUT_OF_MEMORY: return NET_ENOMEM;
	case CURLE_WRITE_ERROR:
		return x->toobig || x->over_budget || x->inflated ? NET_ETOOBIG
		       : x->aborted                               ? NET_EABORTED
		                                                  : NET_ENOMEM;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS: return NET_ETLS;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_HTTP2:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_TOO_MANY_REDIRECTS: return NET_EPROTOCOL;
	default: return NET_EOTHER;
	}
}

/* Sizes in messages: "512 bytes", "15 KiB", "4 MiB", "1.6 MiB". */
static void fmt_size(char *buf, size_t len, unsigned long long b)
{
	if (b < 10240)
		snprintf(buf, len, "%llu byte%s", b, b == 1 ? "" : "s");
	else if (b < (1ull << 20))
		snprintf(buf, len, "%llu KiB", b >> 10);
	else if (b % (1ull << 20) == 0)
		snprintf(buf, len, "%llu MiB", b >> 20);
	else
		snprintf(buf, len, "%.1f MiB", (double)b / (1 << 20));
}

/* Why a transfer timed out: it never connected, it passed its deadline, a
 * stream went silent, or the answer came slower than the low-speed limit. */
static void explain_timeout(const struct net_xfer *x, char *why, size_t len)
{
	struct net *n = x->n;
	curl_off_t got = 0, ready_us = 0, total_us = 0;
	curl_easy_getinfo(x->easy, CURLINFO_SIZE_DOWNLOAD_T, &got);
	curl_easy_getinfo(x->easy, CURLINFO_PRETRANSFER_TIME_T, &ready_us);
	curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &total_us);
	char sz[32];
	fmt_size(sz, sizeof(sz), (unsigned long long)got);
	if (ready_us == 0)
		snprintf(why, len, "no connection within %g s",
		         (double)n->connect_timeout_ms / 1e3);
	else if (x->timeout_ms > 0 && total_us / 1000 + 500 >= x->timeout_ms)
		snprintf(why, len, "no whole answer within the %g s deadline; %s arrived",
		         (double)x->timeout_ms / 1e3, sz);
	else if (x->stream)
		snprintf(why, len, "the stream sent nothing for %ld s", x->slow_s);
	else
		snprintf(why, len,
		         "the source sent %s in %.0f s, under the low-speed limit of %ld B/s "
		         "over %ld s",
		         sz, (double)total_us / 1e6, n->low_speed_bps, x->slow_s);
}

/* The reason after the error kind in a failed transfer's message ("" for
 * none): ours when we know better than libcurl, else libcurl's. */
void net_explain(const struct net_xfer *x, CURLcode rc, enum net_errkind kind, char *why,
                 size_t len)
{
	struct net *n = x->n;
	char a[32], b[32];
	if (kind == NET_ECANCELLED || kind == NET_EABORTED) {
		*why = '\0';
	} else if (x->inflated) {
		fmt_size(a, sizeof(a), x->len);
		fmt_size(b, sizeof(b), (unsigned long long)x->wire);
		snprintf(why, len,
		         "it inflates more than %d:1, %s from %s on the wire: a compression bomb?",
		         NET_MAX_INFLATE_RATIO, a, b);
	} else if (x->over_budget) {
		fmt_size(a, sizeof(a), n->mem_budget);
		snprintf(why, len, "the answers in flight together passed the %s memory budget", a);
	} else if (x->toobig || rc == CURLE_FILESIZE_EXCEEDED) {
		fmt_size(a, sizeof(a), x->max);
		snprintf(why, len, "over the %s limit for one answer", a);
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		explain_timeout(x, why, len);
	} else {
		snprintf(why, len, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
	}
}
