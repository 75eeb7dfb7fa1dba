#ifndef R1_TUI_MODEL_H
#define R1_TUI_MODEL_H
/*
 * What the console's views read: the network model (netmap), the control
 * session that sends commands, the cache, the live streams and the logs,
 * and a few facts about where we are (network, broker, identity), all in
 * one plain struct the owner fills.  The views never reach further (no bus,
 * no node): that is what lets the layout tests and the benchmark build a
 * model by feeding the netmap and drive every view without a network.
 *
 * Ownership: the netmap, session, cache and logs are borrowed (the owner
 * frees them after the app); the streams are the model's own.
 */
#include "core/common.h"
#include "core/epochs.h"
#include "core/err.h"
#include "core/identity.h"
#include "tui/stream.h"

struct netmap;
struct session;
struct cache;
struct r1_log;

#define TUI_MODEL_TEXT_MAX 128

struct tui_model {
	struct netmap *nm;       /* required */
	struct session *sess;    /* NULL: no commands can be sent */
	struct cache *cache;     /* NULL: no history (sparklines, older epochs) */
	struct r1_log *log;      /* the console's own log; may be NULL */
	struct r1_log *node_log; /* the hosted nodes' log; NULL when none is hosted */
	struct stream streams[STREAM__COUNT];
	struct epoch_params epochs;       /* as the netmap counts them */
	char network[TUI_MODEL_TEXT_MAX]; /* "local (embedded)", a profile name */
	char broker[TUI_MODEL_TEXT_MAX];  /* as shown: no password */
	char self_addr[R1_ADDR_LEN + 1];
	char self_alias[TUI_MODEL_TEXT_MAX];
	size_t hosted_nodes; /* nodes this process runs */
	/*
	 * Wall-clock milliseconds of the frame being drawn.  The app sets it
	 * before each frame unless clock_fixed (tests and benchmarks).
	 */
	int64_t now_ms;
	bool clock_fixed;
	/* Told after tui_model_add added a record (the app listens here). */
	void (*on_stream)(void *ctx, enum stream_kind k, const struct stream_entry *e);
	void *on_stream_ctx;
};

/* Streams ready, epochs of mainnet, texts empty.  R1_ERR_NOMEM. */
enum r1_err tui_model_init(struct tui_model *m);
void tui_model_release(struct tui_model *m);

/* Add a record to stream k at now_ms and tell on_stream.  NULL if not added. */
const struct stream_entry *tui_model_add(struct tui_model *m, enum stream_kind k,
                                         const struct stream_msg *msg, int64_t now_ms);

/* Wall-clock milliseconds now. */
int64_t tui_wall_ms(void);

#endif
