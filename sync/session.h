/* A signed-in session per source, for kinds that sign in (connector_ops'
 * login_request: Tryton) instead of sending a token: one sign-in in flight per
 * source, the requests that need it waiting for it (no polling), its header
 * sent with every request of that source, and dropped when an answer says it
 * is gone so the next request signs in again. Private to sync/. */
#ifndef WAYBILL_SYNC_SESSION_H
#define WAYBILL_SYNC_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "connectors/connector.h"
#include "net/net.h"
#include "settings/settings.h"

/* One request waiting for the sign-in: ready runs once, on the loop, with
 * fail NULL when signed in, else one line saying why not (never the password). */
struct sync_session_waiter {
	void (*ready)(struct sync_session_waiter *w, const char *fail);
	struct sync_session_waiter *next;
	bool queued;
};

enum sync_session_state { SYNC_SES_NONE, SYNC_SES_SIGNING_IN, SYNC_SES_READY };

struct sync_session {
	uv_loop_t *loop;
	struct net *net;
	const struct config_source *src;
	long timeout_ms; /* of the sign-in request; 0: the transport's default */
	enum sync_session_state state;
	struct connector_session ses; /* SECRET: header and path never shown */
	uint64_t gen;                 /* counts sessions made: a request remembers its own */
	int64_t xfer;                 /* the sign-in in flight, 0 when none */
	struct sync_session_waiter *waiters;
	/* A sign-in that failed is not tried again before fail_until (loop ms): the
	 * requests that need it meanwhile fail at once with fail_why, and back off
	 * like any failure; the window doubles with each failure in a row (1 s ...
	 * 60 s), so a wrong password never makes a loop of sign-ins. */
	unsigned fails;
	uint64_t fail_until;
	char fail_why[400];
	bool fail_down;      /* the last failure was the transport's (no answer), not a refusal */
	int64_t signins;     /* sign-ins sent (for tests and `doctor`) */
	int64_t server_date; /* the sign-in answer's Date header (the server's clock), 0 */
};

/* Whether src's kind signs in. */
bool sync_session_used(const struct config_source *src);
void sync_session_init(struct sync_session *ss, uv_loop_t *loop, struct net *net,
                       const struct config_source *src);
/* Asks for the session: 1 when signed in now (ss->ses and ss->gen are the
 * ones to use), 0 when w waits (w->ready runs later), -1 when signing in
 * failed a moment ago (why filled; w is not queued). */
int sync_session_need(struct sync_session *ss, struct sync_session_waiter *w, char *why,
                      size_t len);
/* Stops waiting (w->ready will not run). */
void sync_session_unwait(struct sync_session *ss, struct sync_session_waiter *w);
/* Whether an answer says the session is gone: the kind's session_lost, else
 * HTTP 401. */
bool sync_session_gone(const struct config_source *src, const struct net_resp *r);
/* The session a request used (gen) is gone: drop it, unless a newer one was
 * made meanwhile. */
void sync_session_drop(struct sync_session *ss, uint64_t gen);
/* A session just made was refused too (why: the line to show): counted as a
 * failed sign-in, so the requests that need one back off together instead of
 * each signing in again. Nothing when another sign-in is under way. */
void sync_session_refused_again(struct sync_session *ss, const char *why);
/* Cancels a sign-in in flight; waiters are told "cancelled" (fail). */
void sync_session_stop(struct sync_session *ss);
/* The URL of a call's path to src: the session's server (ses.path, a base
 * URL) when ss (NULL for a kind that does not sign in) gave one, else the
 * configured URL. -1 when it does not fit. */
int sync_session_url(const struct config_source *src, const struct sync_session *ss,
                     const char *path, char *buf, size_t len);
/* Signs req for src: the session's header when ss is given (never the bearer
 * token; *gen gets the session it used, for sync_session_drop), else the
 * configured token. The one place that chooses which secret goes out. */
void sync_session_sign(const struct config_source *src, const struct sync_session *ss,
                       struct net_req *req, uint64_t *gen);
/* src's login as request builders take it: .context the session's user
 * context when ss (NULL: none) is signed in and has one, else NULL. */
struct connector_login sync_session_login(const struct config_source *src,
                                          const struct sync_session *ss);
/* "tryton refused the sign-in as USER: why" and the like: the sentence every
 * refusal of this source's sign-in (or of its session) starts with. */
void sync_session_refused(const struct config_source *src, const char *why, char *buf, size_t len);

#endif
