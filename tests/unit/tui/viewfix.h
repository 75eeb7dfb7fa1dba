#ifndef R1_TESTS_TUI_VIEWFIX_H
#define R1_TESTS_TUI_VIEWFIX_H
/*
 * A fixed network for the console's layout tests: a model whose netmap was
 * fed heartbeats, a NetConfig reply and stream records at fixed times, so
 * every view draws the same screen on every run.  The clock is fixed at
 * 2026-11-27 12:30:00 UTC, half-way through epoch 7932 (epochs of an hour
 * from 2026-01-01), TZ is UTC.
 *
 * Nodes (by first heartbeat): oracle-a (an oracle), node-01 (busy, a GPU),
 * node-02 (two pipelines, peered), node-03 (offline for three hours), a
 * node whose alias is an escape-sequence attack, node-05 (not peered).
 * A session on an in-process bus nobody listens to sends the commands, so
 * they leave and time out.
 */
#include "core/common.h"
#include "core/identity.h"
#include "tui/model.h"

#define VIEWFIX_NODES 6
#define VIEWFIX_EVIL_ALIAS                                                                         \
	"\x1b]0;pwned\x07"                                                                         \
	"evil\x1b[2J"

struct loop;
struct bus_hub;
struct bus;

struct viewfix {
	struct tui_model m;
	struct loop *loop; /* the session's (commands go to an empty hub) */
	struct bus_hub *hub;
	struct bus *bus;
	struct r1_identity me;
	struct r1_identity nodes[VIEWFIX_NODES];
	int64_t now_ms;
	struct r1_log *log;
};

/* Build it (bails out on failure). */
void viewfix_init(struct viewfix *f);
void viewfix_release(struct viewfix *f);

#endif
