#ifndef R1_NODE_NETWATCH_H
#define R1_NODE_NETWATCH_H
/*
 * What an oracle knows about the network: the last heartbeat of every node
 * (a compact digest, not the whole message), when it was received, and each
 * node's availability per epoch (reference 6.4, through epochs.h).  From it
 * comes CURRENT_NETWORK, the per-node map NET_MON_01 broadcasts
 * (net_mon.py::network_node_status, field for field where we have the data).
 *
 * Heartbeats count for availability at EE_TIMESTAMP - int(EE_TIMEZONE
 * hours), and only in the oracle's current epoch (the epoch of the receive
 * time); duplicate times are ignored.  When the epoch changes, every node's
 * record of the closed epoch is kept (the last NETWATCH_EPOCHS_KEPT).
 *
 * Times are passed in (UTC microseconds), so tests replay timelines.
 */
#include "core/common.h"
#include "core/epochs.h"
#include "core/err.h"

#include <jansson.h>

#define NETWATCH_EPOCHS_KEPT 64

struct netwatch;

/* online_timeout_s: silence after which a node is "LOST STATUS".  NULL on OOM. */
struct netwatch *netwatch_new(const struct epoch_params *ep, unsigned online_timeout_s);
void netwatch_free(struct netwatch **w);

enum netwatch_hb {
	NETWATCH_HB_COUNTED,     /* stored, and counted for availability */
	NETWATCH_HB_NOT_COUNTED, /* stored; not counted (duplicate, other epoch, too late) */
};

/*
 * Register a heartbeat in its decoded view (hbcodec's hb_decode) received
 * at recv_us.  Errors: R1_ERR_INVAL (no usable EE_SENDER/EE_ADDR, bad
 * EE_TIMESTAMP or EE_TIMEZONE: the heartbeat is ignored), R1_ERR_NOMEM.
 */
enum r1_err netwatch_heartbeat(struct netwatch *w, const json_t *hb, int64_t recv_us,
                               enum netwatch_hb *result, char **why);

/* Close the running epoch if now_us is past it (called on a timer too). */
void netwatch_tick(struct netwatch *w, int64_t now_us);
/* The oracle's current epoch id. */
int64_t netwatch_epoch(const struct netwatch *w);

/*
 * CURRENT_NETWORK at now_us: an object keyed by address without prefix.
 * With only_online, nodes that are not ONLINE are left out unless
 * allowed(ctx, addr) says this node allows them (the reference's
 * EE_NETMON_SEND_ONLY_ONLINE).  A new object, NULL on OOM.
 */
json_t *netwatch_current_network(struct netwatch *w, int64_t now_us, bool only_online,
                                 bool (*allowed)(void *ctx, const char *addr), void *ctx);

/* "ONLINE", "LOST STATUS", "PAST-EXCEPTION" or the last DEVICE_STATUS; NULL if unknown. */
const char *netwatch_working(const struct netwatch *w, const char *addr, int64_t now_us);

/*
 * Availability of `addr` in `epoch`: the stored 0..255 record of a closed
 * epoch, or the running epoch's value so far.  false when unknown.
 */
bool netwatch_availability(const struct netwatch *w, const char *addr, int64_t epoch, int *record,
                           double *avail_seconds);

size_t netwatch_count(const struct netwatch *w);

#endif
