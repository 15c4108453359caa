/* Who may do what: one table from action to the least role, checked before
 * anything is sent so the console can show the reason (or hide the action). */
#include <string.h>

#include "internal.h"

static const char *const role_names[CORE_ROLE__COUNT] = {"viewer", "dispatcher", "supervisor"};

static const struct {
	const char *name;
	enum core_role least;
} actions[CORE_ACT__COUNT] = {
#define ACTION_ROW(A, name, role) [CORE_ACT_##A] = {name, CORE_ROLE_##role},
        CORE_ACTIONS(ACTION_ROW)
#undef ACTION_ROW
};

const char *core_role_name(enum core_role r)
{
	return (unsigned)r < CORE_ROLE__COUNT ? role_names[r] : "?";
}

int core_role_from_name(const char *name)
{
	for (int i = 0; name && i < CORE_ROLE__COUNT; i++)
		if (strcmp(name, role_names[i]) == 0)
			return i;
	return -1;
}

const char *core_action_name(enum core_action a)
{
	return (unsigned)a < CORE_ACT__COUNT ? actions[a].name : "?";
}

int core_action_from_name(const char *name)
{
	for (int i = 0; name && i < CORE_ACT__COUNT; i++)
		if (strcmp(name, actions[i].name) == 0)
			return i;
	return -1;
}

struct core_permission core_role_check(enum core_role role, enum core_action action,
                                       const struct wb_exception *x)
{
	struct core_permission p = {0, CORE_ROLE_SUPERVISOR, "unknown action"};
	if ((unsigned)action >= CORE_ACT__COUNT)
		return p;
	p.needs = actions[action].least;
	/* Deciding an exception needs the role the policy put on it; an unknown
	 * required_role is treated as supervisor, never as nobody. */
	if (x && (action == CORE_ACT_APPROVE_EXCEPTION || action == CORE_ACT_REJECT_EXCEPTION)) {
		int xr = x->required_role ? core_role_from_name(x->required_role)
		                          : CORE_ROLE_DISPATCHER;
		if (xr < 0)
			xr = CORE_ROLE_SUPERVISOR;
		if ((enum core_role)xr > p.needs)
			p.needs = (enum core_role)xr;
	}
	if ((unsigned)role >= CORE_ROLE__COUNT) {
		p.why = "unknown role";
		return p;
	}
	if (role == CORE_ROLE_VIEWER) {
		p.why = "viewer is read-only";
		return p;
	}
	if (role < p.needs) {
		p.why = p.needs == CORE_ROLE_SUPERVISOR ? "needs supervisor" : "needs dispatcher";
		return p;
	}
	p.allowed = 1;
	p.why = "";
	return p;
}
