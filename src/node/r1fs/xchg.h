#ifndef R1_NODE_R1FS_XCHG_H
#define R1_NODE_R1FS_XCHG_H
/*
 * The exchange of R1FS blocks between nodes over the bus (messages in
 * xmsg.h), both sides of it, for one store:
 *
 *  - requester: a transfer fetches every block of one DAG this store
 *    lacks.  It asks the peers the env names for the DAG's root (those
 *    whose announcement lists it first), keeps `window` blocks in flight
 *    spread over the peers that had the root, walks the DAG as blocks
 *    arrive (children in order, so the blocks come in the order a reader
 *    wants them), and skips what the store already has, so a transfer cut
 *    by a disconnect or a restart resumes where it stopped.  Every block is
 *    opened with the transfer's session key, hashed against its CID and
 *    stored (r1fs_put_fetched) on the exchange's worker thread before it
 *    counts.  A block nobody answers is asked again after retry_ms; a
 *    peer's R1FS_NONE or bad block moves the block to another peer; when
 *    no peer is left, or no block arrived for timeout_ms, the transfer
 *    fails with a reason that names each peer and what it did;
 *  - provider: R1FS_WANTs (only envelope-encrypted ones, which carry the
 *    session key) from requesters `trusted` accepts are queued per
 *    transfer and served on the worker thread, a few blocks at a time:
 *    read unhashed (the requester hashes), sealed, sent; what is missing
 *    or refused is answered with R1_NONE and a reason.
 *
 * Other threads reach the exchange through a gate (struct xchg_gate), the
 * r1fs fetch hook: the calling thread queues its wait, wakes the loop, and
 * sleeps on a condition; the loop picks the wait up in a before-poll hook,
 * joins or starts the transfer of the walk's root, and signals the waiter
 * when the block is stored or the transfer failed.  The gate never runs
 * loop code on the caller's thread, and refuses a call from the loop
 * thread itself (it would wait for itself).
 *
 * Everything but xchg_gate_fetch runs on the loop thread.  The store, the
 * loop and the log are borrowed.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/identity.h"
#include "core/log.h"
#include "node/r1fs/cid.h"
#include "node/r1fs/xmsg.h"

#include <jansson.h>

struct loop;
struct r1fs;
struct xchg;
struct xchg_gate;

/* Peers one transfer asks at most. */
#define XCHG_PEERS_MAX 8

typedef char xchg_addr[R1_ADDR_LEN + 1];

struct xchg_env {
	void *ctx;
	/*
	 * Send R1FS_DATA (borrowed) to one peer: encrypted to it (WANT, RESP)
	 * or in clear but addressed to it (BLOCK, NONE).  Failures are the
	 * retry's business.
	 */
	enum r1_err (*send)(void *ctx, const char *peer, const json_t *data, bool encrypt,
	                    char **why);
	/* May this requester be served?  NULL = nobody (unless serve_untrusted). */
	bool (*trusted)(void *ctx, const char *addr);
	/* Peers to ask for the DAG at root, best first, at most max: how many were written. */
	size_t (*candidates)(void *ctx, const struct r1fs_cid *root, xchg_addr *out, size_t max);
	/* A transfer started, progressed or ended (the console's view).  NULL = nothing. */
	void (*changed)(void *ctx);
};

struct xchg_config {
	const char *addr;      /* own address: never asked, never served */
	unsigned window;       /* blocks in flight per transfer; 0 = 16 */
	unsigned timeout_ms;   /* no block for this long fails a transfer; 0 = 90 s */
	unsigned retry_ms;     /* a block not received is asked again after; 0 = 5 s */
	unsigned max_peers;    /* peers asked per transfer (<= XCHG_PEERS_MAX); 0 = 4 */
	unsigned keep_done_ms; /* ended transfers stay listed this long; 0 = 60 s */
	/*
	 * For this long after the exchange starts, a transfer with no peer to
	 * ask waits for one (announcements arrive in the first seconds) instead
	 * of failing; 0 = 5 s.
	 */
	unsigned discovery_ms;
	bool serve_untrusted; /* serve requesters `trusted` refuses */
};

/*
 * An exchange for `fs` on `loop`, with one worker thread of its own.  cfg
 * and env are copied.  R1_ERR_INVAL (no address or send), R1_ERR_NOMEM,
 * R1_ERR_IO (thread).
 */
enum r1_err xchg_new(struct loop *loop, struct r1fs *fs, const struct xchg_config *cfg,
                     const struct xchg_env *env, struct r1_log *log, struct xchg **out, char **why);
/*
 * Stop: waiters and fetches fail ("the exchange stopped"), the worker is
 * joined, the gate (if attached) is detached.  NULLs *x.
 */
void xchg_free(struct xchg **x);

/*
 * A message from a peer, parsed (xmsg_parse), whose envelope was verified;
 * encrypted: it came encrypted to us.  ANNOUNCE, REQ and RESP are not the
 * exchange's and are ignored.
 */
void xchg_receive(struct xchg *x, const char *sender, const struct xmsg *m, bool encrypted);

/* Called once when a fetch ends: R1_OK with why NULL, or the error and its reason. */
typedef void (*xchg_done_fn)(void *ctx, enum r1_err err, const char *why);

/*
 * Fetch every block of the DAG at root this store lacks; `peer` (may be
 * NULL) is asked alone instead of the env's candidates.  done runs later,
 * on the loop, never from inside this call.  *id (may be NULL) names the
 * fetch for xchg_forget.  R1_ERR_NOMEM.
 */
enum r1_err xchg_fetch(struct xchg *x, const struct r1fs_cid *root, const char *peer,
                       xchg_done_fn done, void *ctx, uint64_t *id, char **why);
/* Drop a fetch's done callback (its owner goes away); the transfer goes on. */
void xchg_forget(struct xchg *x, uint64_t id);

/* ---- the thread bridge */

/* A gate on `loop`; call on the loop thread.  NULL on OOM. */
struct xchg_gate *xchg_gate_new(struct loop *loop);
/*
 * Free (loop thread) once no thread can call xchg_gate_fetch any more
 * (after the store that holds it as its fetcher).  Queued waits fail.
 */
void xchg_gate_free(struct xchg_gate **g);
/* Route the gate's waits to x (NULL: fail them, "no exchange running"). */
void xchg_attach(struct xchg *x, struct xchg_gate *g);
/*
 * An r1fs_fetch_fn (ctx: the gate), for any thread but the loop's: wait
 * for the block through the exchange.  R1_ERR_STATE (called on the loop
 * thread), R1_ERR_NOTFOUND (no exchange attached), and the transfer's errors:
 * R1_ERR_NOTFOUND (no peer has it), R1_ERR_TIMEOUT, R1_ERR_CRYPTO (only
 * corrupted copies), R1_ERR_AUTH (every peer refused us), R1_ERR_TOOBIG
 * (quota), R1_ERR_IO.
 */
enum r1_err xchg_gate_fetch(void *gate, const struct r1fs_cid *root, const struct r1fs_cid *cid,
                            struct buf *out, char **why);

/* ---- what the console shows */

enum xchg_state { XCHG_RUNNING, XCHG_DONE, XCHG_FAILED };

struct xchg_transfer {
	char root[R1FS_CID_TEXT_MAX];
	enum xchg_state state;
	xchg_addr peers[XCHG_PEERS_MAX]; /* asked */
	size_t npeers;
	uint64_t bytes_done, bytes_total; /* total 0 until the root is known */
	uint64_t blocks_done, blocks_fetched;
	unsigned inflight;
	uint64_t started_ms, ended_ms; /* loop time */
	char error[256];
};

/* The transfers running and recently ended, newest first: how many were written. */
size_t xchg_transfers(const struct xchg *x, struct xchg_transfer *out, size_t max);

struct xchg_stats {
	/* requester */
	uint64_t blocks_in, bytes_in;
	uint64_t bad_hash; /* opened, but not the CID's bytes: corrupted at the source */
	uint64_t bad_seal; /* did not open with the transfer's key */
	uint64_t unwanted; /* a block we did not (or no longer) ask for: late, duplicate, replay */
	uint64_t unknown_xfer; /* for no transfer of ours */
	uint64_t wrong_sender; /* from a peer the transfer did not ask */
	uint64_t nones_in;
	uint64_t transfers_done, transfers_failed;
	/* provider */
	uint64_t wants_in, blocks_out, bytes_out;
	uint64_t refused;     /* WANTs from requesters not trusted */
	uint64_t clear_wants; /* WANTs that came without encryption (dropped) */
	uint64_t served_none; /* CIDs answered with R1FS_NONE */
};
void xchg_get_stats(const struct xchg *x, struct xchg_stats *out);

#endif
