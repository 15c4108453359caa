/* Shared by the workflow pass's files (net/workflow_run.c, workflow_maint.c,
 * workflow_invoice.c); not a public header. */
#ifndef WAYBILL_WORKFLOW_INTERNAL_H
#define WAYBILL_WORKFLOW_INTERNAL_H

#include <jansson.h>
#include <sqlite3.h>

#include "waybill/core.h"
#include "waybill/workflow_run.h"

/* One run of the pass. */
struct wf {
	struct cache *c;
	sqlite3 *db;
	const struct core_policy *pol;
	const char *wo_source;  /* the source owning work orders, or NULL: the vehicle's */
	bool maintenance;       /* may propose work orders and place/clear holds */
	bool invoices;          /* may release and hold invoices */
	int64_t now;
	struct workflow_run_stats st;
	struct wb_err *err;
	sqlite3_stmt *hold_wo;  /* the work order of a hold, prepared on first use */
};

/* A vehicle's rows as the readiness merge collected them: the text is copied
 * out of the statement, which moves on. At most WF_MAX_ROWS of each kind per
 * vehicle are kept (a real unit has a handful); beyond that they are counted
 * as readiness reasons dropped. */
#define WF_MAX_ROWS 32
#define WF_ID 136 /* ids are at most 128 bytes (connectors refuse longer ones) */

struct wf_fault {
	struct wb_fault f;
	char id[WF_ID], vid[WF_ID], code[64], severity[16], desc[CORE_REASON_MSG];
};

struct wf_wo {
	struct wb_work_order w;
	char id[WF_ID], vid[WF_ID], fid[WF_ID], status[24], category[24];
};

/* A hold as readiness sees it, with the text it points at. */
struct wf_hold {
	struct core_hold h;
	char wo[WF_ID], fault[WF_ID];
};

/* Cuts a multi-byte character that a bounded copy split at the end of s, so
 * the text stays UTF-8 (the audit refuses anything else). Returns s. */
char *wf_utf8_trim(char *s);
/* Text of column i copied into buf (NULL stays NULL): returns buf or NULL. */
const char *wf_text(sqlite3_stmt *st, int i, char *buf, size_t n);
int64_t wf_int(sqlite3_stmt *st, int i);
double wf_real(sqlite3_stmt *st, int i);

/* Records an action as the system at w->now (cache_action_record: outbox and
 * audit together). payload and after are stolen (NULL: {}); reason may be NULL. */
int wf_record(struct wf *w, const char *source, const char *action, const char *subject,
	      json_t *payload, const char *before, json_t *after, const char *reason);
/* 1 when an action on subject waits in the outbox (counted in st.pending), 0
 * when none, negative on error. */
int wf_pending(struct wf *w, const char *subject);
/* The newest `action` on subject by user (NULL: anyone): 1 found (seq, after
 * filled when given), 0 none, negative on error. */
int wf_last(struct wf *w, const char *subject, const char *action, const char *user, int64_t *seq,
	    char *after, size_t len);

/* The maintenance rule for one vehicle (workflow_maint.c): proposes a work
 * order and a hold for each serious fault not proposed before, clears a hold of
 * the pass's own whose work order closed, and fills *hold (returning 1) with the
 * hold the vehicle is under for readiness, 0 when none, negative on error. */
int wf_maintenance(struct wf *w, const struct wb_vehicle *v, const struct wb_fault *faults,
		   size_t nfaults, const struct wb_work_order *wos, size_t nwos, struct wf_hold *hold);
/* The invoice release rule over every open invoice of a delivered load
 * (workflow_invoice.c). */
int wf_invoices(struct wf *w);

#endif
