#ifndef R1_NODE_FSUTIL_H
#define R1_NODE_FSUTIL_H
/*
 * What is left of the node's file helpers, all of which are core/paths.h's
 * now: fs_join is paths_join under its old name, for callers not yet
 * moved (the compute tests).  New code includes core/paths.h.
 */
#include "core/paths.h"

static inline char *fs_join(const char *dir, const char *name)
{
	return paths_join(dir, name);
}

#endif
