/* The table of boards, generated from VIEW_INFO: tab order, digit keys, names.
 * Everything that counts or names the boards (tabs, digit keys, help, :board)
 * reads view_boards and view_nboards. */
#include <string.h>
#include <strings.h>

#include "views/view.h"

const struct view_ops *const view_boards[] = {
#define VIEW_PTR(n) &view_##n##_ops,
        VIEW_INFO(VIEW_PTR)
#undef VIEW_PTR
};
const int view_nboards = (int)(sizeof(view_boards) / sizeof(view_boards[0]));

const struct view_ops *view_by_name(const char *name)
{
	for (int i = 0; i < view_nboards; i++)
		if (!strcasecmp(view_boards[i]->name, name) ||
		    !strcasecmp(view_boards[i]->title, name))
			return view_boards[i];
	return NULL;
}

bool view_has_action(const struct view_ops *v, const char *action)
{
	for (int i = 0; v->actions && v->actions[i]; i++)
		if (!strcmp(v->actions[i], action))
			return true;
	return false;
}
