#ifndef R1_CORE_LIB_H
#define R1_CORE_LIB_H
/*
 * libr1core: everything r1console needs that is not a node, a screen or a
 * command line.  Identity and crypto, canonical JSON, envelopes, codecs, the
 * event loop, the buses, the network model, the control-plane session, the
 * SQLite cache, configuration, epochs and logging.
 *
 * Rules for this directory:
 *  - it depends on nothing of ours; it never includes curses or a header from
 *    src/node, src/tui or src/cli;
 *  - it never exits and never prints: functions return enum r1_err and, when
 *    given one, set a `char **why` that a person can read (see err.h);
 *  - every allocation goes through xalloc.h so tests can fail the Nth one;
 *  - input from the network is hostile: sizes are bounded, recursion has a
 *    depth limit, and strings are sanitized before they reach a terminal.
 */
#include "core/common.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "core/buf.h"
#include "core/log.h"

#endif
