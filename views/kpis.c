/* KPIs board: a placeholder until core/'s KPI figures are wired in. */
#include "waybill/view.h"

const struct view_ops view_kpis_ops = {
	.name = "kpis",
	.title = "KPIs",
	.placeholder = "KPIs arrive with the workflow engine.",
	.hints = "1-8 boards  : command  ? help  q quit",
};
