#ifndef R1_NODE_LIB_H
#define R1_NODE_LIB_H
/*
 * libr1node: one Ratio1 edge node (pipelines, plugin host, commands,
 * heartbeats, admin plugins, R1FS, CStore, compute).  Depends on core only;
 * never includes curses; never exits or prints.
 */
#include "core/lib.h"

#endif
