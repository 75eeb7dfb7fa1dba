#ifndef R1_CORE_NETMAP_H
#define R1_CORE_NETMAP_H
/*
 * The network model: every node we have heard of, what it is, whether it is
 * online, whether it lets us in, what it runs.  Fed by three kinds of
 * message, each already received, verified and decoded by the ingest path:
 *
 *  - heartbeats (the decoded v2 view: the message merged with ENCODED_DATA,
 *    as the SDK hands it to on_heartbeat), from the node itself;
 *  - NET_MON_01 maps (the decoded payload with whitelists already converted
 *    from WHITELIST_MAP indexes to addresses), trusted only from the
 *    configured oracle addresses;
 *  - NetConfig SET_CONFIG replies (NET_CONFIG_DATA with PIPELINES and
 *    PLUGIN_STATUSES), from the node itself, addressed to us.
 *
 * The rules are the SDK's: a node is online while its last heartbeat, or
 * the last ONLINE report of a trusted oracle, is at most online_timeout old
 * (60 s); a node is peered (we may command it) when it is not secured, or
 * our address is in its whitelist, or it is us.  Availability per epoch is
 * counted from heartbeat times as the oracles count it (runs of heartbeats
 * 5..15 s apart), for the epochs we were there to see.
 *
 * The netmap never reads a clock: every call takes `now_ms` (wall-clock
 * milliseconds since 1970), so tests inject time and the loop decides when
 * netmap_tick runs.  Observers get typed events synchronously from inside
 * the call that caused them; they must not modify the netmap from there.
 * Availability follows epochs.h (the reference's epochs manager): the
 * epoch being counted is the current one by now_ms.
 *
 * Scale: 100,000 nodes, hash indexes by address and by alias, a fixed-size
 * record per node (the whitelist and the pipelines hang off it only when a
 * node has them).  Input is hostile: every string is bounded and stripped
 * of control characters, counts are capped, numbers are range-checked.
 *
 * Node pointers stay valid until netmap_free (nodes are never removed, only
 * marked offline).  Everything is single-threaded: the loop thread owns it.
 */
#include "core/common.h"
#include "core/epochs.h"
#include "core/err.h"
#include "core/identity.h"

#include <jansson.h>

#define NM_ALIAS_MAX     32
#define NM_VERSION_MAX   24
#define NM_STATUS_MAX    16
#define NM_ZONE_MAX      12
#define NM_R1FS_ID_MAX   64
#define NM_RELAY_MAX     64
#define NM_TAGS_MAX      64
#define NM_GPU_NAME_MAX  32
#define NM_NAME_MAX      64  /* pipeline names, signatures, instance ids */
#define NM_WHITELIST_MAX 256 /* entries kept per node */
#define NM_PIPELINES_MAX 256 /* per node */
#define NM_INSTANCES_MAX 256 /* per pipeline */
#define NM_ORACLES_MAX   32
#define NM_AVAIL_HISTORY 16 /* epochs kept in memory per node (the cache keeps all) */

/*
 * What is known of a node, as plain values: the record the views read and
 * the row the cache stores and restores.  Strings are NUL-terminated,
 * truncated on a character boundary and free of control characters.
 */
struct nm_node_info {
	char addr[R1_ADDR_LEN + 1];    /* "0xai_..." */
	char eth[R1_ETH_ADDR_LEN + 1]; /* computed from the key, never taken from the wire */
	char alias[NM_ALIAS_MAX + 1];
	char version[NM_VERSION_MAX + 1]; /* first token: "2.10.370" */
	char status[NM_STATUS_MAX + 1];   /* DEVICE_STATUS or netmon "working" */
	char zone[NM_ZONE_MAX + 1];       /* "UTC+0" */
	char r1fs_id[NM_R1FS_ID_MAX + 1];
	char r1fs_relay[NM_RELAY_MAX + 1];
	char comm_relay[NM_RELAY_MAX + 1];
	char tags[NM_TAGS_MAX + 1]; /* "CT=RO,REG=EU" from EE_NT_* */
	char gpu_name[NM_GPU_NAME_MAX + 1];
	bool oracle; /* EE_IS_SUPER / is_supervisor */
	bool secured;
	bool r1fs_online;
	uint16_t cpu_cores;
	uint16_t gpu_count;
	float cpu_used;               /* percent */
	float mem_total, mem_avail;   /* GB */
	float disk_total, disk_avail; /* GB */
	double uptime_s;
	int64_t first_seen_ms;
	int64_t last_seen_ms; /* last evidence it was alive; 0 = never */
};

/* A plugin instance of a pipeline, from NetConfig. */
struct nm_instance {
	char signature[NM_NAME_MAX + 1];
	char instance_id[NM_NAME_MAX + 1];
	json_t *config; /* the instance dict as the node sent it (owned reference) */
	json_t *status; /* its PLUGIN_STATUSES entry, or NULL */
};

struct nm_pipeline {
	char name[NM_NAME_MAX + 1];
	char type[NM_NAME_MAX + 1];
	char owner_addr[R1_ADDR_LEN + 1];   /* INITIATOR_ADDR */
	char owner_alias[NM_ALIAS_MAX + 1]; /* INITIATOR_ID */
	json_t *config;                     /* the full pipeline dict (owned reference) */
	struct nm_instance *instances;
	size_t n_instances;
};

struct nm_node {
	struct nm_node_info info;
	uint8_t pub[R1_PUB_LEN];
	bool online;
	bool peered;
	bool stale;          /* restored from the cache, not heard from since */
	bool self;           /* our own address */
	bool trusted_oracle; /* in the configured oracle list */
	bool have_heartbeat;
	uint32_t reporters; /* bit i: oracle i of netmap_oracle_at reported it */
	int64_t last_hb_ms; /* when its last heartbeat arrived (our clock) */
	/* whitelist: keys of the addresses it allows (prefix-free) */
	uint8_t (*whitelist)[R1_PUB_LEN];
	uint16_t n_whitelist;
	/* pipelines from its last SET_CONFIG; NULL until one arrives */
	struct nm_pipeline *pipelines;
	uint16_t n_pipelines;
	int64_t pipelines_ms; /* when they arrived; 0 = never */
	/* availability of the epoch being counted (valid when `tracking`) */
	bool tracking;
	struct epoch_tracker tracker;
	/* the last NM_AVAIL_HISTORY finished epochs: value 0..255 of epoch
	 * avail_hist_last - i at index i; 0xFFFF marks "not seen" */
	int64_t avail_hist_last;
	uint16_t avail_hist[NM_AVAIL_HISTORY];
	/* index links (private) */
	struct nm_node *next_addr, *next_alias;
	uint32_t index;
};

struct nm_oracle {
	char addr[R1_ADDR_LEN + 1];
	char alias[NM_ALIAS_MAX + 1];
	bool trusted; /* configured; untrusted ones are only counted */
	int64_t last_report_ms;
	uint32_t nodes_reported; /* in its last accepted map */
	uint64_t reports;        /* accepted maps */
	uint64_t rejected;       /* maps ignored (untrusted) */
};

enum nm_event_type {
	NM_EV_NODE_NEW,          /* first heard of */
	NM_EV_NODE_ONLINE,       /* offline (or new, or stale) -> online */
	NM_EV_NODE_LOST,         /* online -> offline after online_timeout */
	NM_EV_NODE_CHANGED,      /* fields changed: see `changed` */
	NM_EV_PIPELINES_CHANGED, /* a SET_CONFIG changed its pipelines */
	NM_EV_ORACLE_REPORT, /* a trusted NET_MON_01 was applied (node is the oracle, may be NULL)
	                      */
	NM_EV_EPOCH_CLOSED,  /* a node finished an epoch: see epoch, avail */
	NM_EV_HEARTBEAT,     /* a heartbeat was applied (after the events above) */
};

/* Bits of nm_event.changed. */
enum {
	NM_CHG_ALIAS = 1u << 0,
	NM_CHG_VERSION = 1u << 1,
	NM_CHG_PEERED = 1u << 2,
	NM_CHG_WHITELIST = 1u << 3,
	NM_CHG_ORACLE = 1u << 4,
	NM_CHG_RESOURCES = 1u << 5,
	NM_CHG_STATUS = 1u << 6,
	NM_CHG_SECURED = 1u << 7,
	NM_CHG_TAGS = 1u << 8,
	NM_CHG_SEEN = 1u << 9, /* only last_seen moved */
};

struct nm_event {
	enum nm_event_type type;
	const struct nm_node *node;
	unsigned changed;               /* NM_EV_NODE_CHANGED */
	const struct nm_oracle *oracle; /* NM_EV_ORACLE_REPORT */
	int64_t epoch;                  /* NM_EV_EPOCH_CLOSED */
	uint8_t avail;                  /* NM_EV_EPOCH_CLOSED: 0..255 */
};

typedef void (*netmap_observer_fn)(void *ctx, const struct nm_event *ev);

struct netmap_options {
	const char *self_addr;      /* our address, for "peered" and "self" (may be NULL) */
	const char *const *oracles; /* addresses whose NET_MON_01 we trust */
	size_t n_oracles;
	/*
	 * With no oracle configured, accept NET_MON_01 from any reporter that
	 * says IS_SUPERVISOR, as the Python SDK does.  Off by default.
	 */
	bool trust_any_oracle;
	uint32_t online_timeout_ms;        /* 0 = 60 s */
	const struct epoch_params *epochs; /* copied; NULL = mainnet's */
	size_t max_nodes;                  /* 0 = 1,000,000: new nodes beyond it are refused */
};

struct netmap_stats {
	uint64_t heartbeats;        /* applied */
	uint64_t netmons;           /* trusted maps applied */
	uint64_t netmons_untrusted; /* maps ignored */
	uint64_t netconfigs;        /* SET_CONFIG applied */
	uint64_t rejected;          /* malformed input or node cap reached */
	uint64_t entries_skipped;   /* bad entries inside maps */
};

struct netmap;

/* R1_ERR_INVAL (a bad oracle or self address), R1_ERR_NOMEM. */
enum r1_err netmap_new(const struct netmap_options *opt, struct netmap **out, char **why);
void netmap_free(struct netmap **nm);

/* Observers: at most 16.  R1_ERR_TOOBIG when full. */
enum r1_err netmap_observe(struct netmap *nm, netmap_observer_fn fn, void *ctx);
void netmap_unobserve(struct netmap *nm, netmap_observer_fn fn, void *ctx);

/*
 * A heartbeat from `sender` (the verified EE_SENDER).  `hb_utc_us` is the
 * heartbeat's own time in UTC microseconds (timefmt_heartbeat_utc of its
 * EE_TIMESTAMP and EE_TIMEZONE), used for availability; 0 means unknown
 * (not counted).  R1_ERR_INVAL for
 * a bad sender or a body that is not an object, R1_ERR_TOOBIG at the node
 * cap, R1_ERR_NOMEM.
 */
enum r1_err netmap_on_heartbeat(struct netmap *nm, const char *sender, const json_t *hb,
                                int64_t now_ms, int64_t hb_utc_us, char **why);

/*
 * A NET_MON_01 payload from `sender`: the decoded body holding
 * CURRENT_NETWORK, with whitelists as address strings.  R1_ERR_AUTH when
 * the sender is not a trusted oracle (nothing changes but the counters),
 * R1_ERR_INVAL when CURRENT_NETWORK is missing.  Bad entries are skipped.
 */
enum r1_err netmap_on_netmon(struct netmap *nm, const char *sender, const json_t *payload,
                             int64_t now_ms, char **why);

/*
 * NET_CONFIG_DATA of a SET_CONFIG reply from `sender`.  R1_ERR_INVAL if
 * it is not a SET_CONFIG with a PIPELINES list; R1_ERR_NOTFOUND if the
 * sender is unknown (a reply we did not ask for).
 */
enum r1_err netmap_on_netconfig(struct netmap *nm, const char *sender, const json_t *data,
                                int64_t now_ms, char **why);

/* Online -> offline transitions and epoch roll-over.  Call about once a second. */
void netmap_tick(struct netmap *nm, int64_t now_ms);

/*
 * Put a node known from the cache back in the model, marked stale (and
 * offline) until a heartbeat or a trusted map mentions it.  Its peered flag
 * is recomputed from `whitelist` (n keys).  An already known node is left
 * alone (R1_ERR_EXISTS).
 */
enum r1_err netmap_restore(struct netmap *nm, const struct nm_node_info *info,
                           const uint8_t (*whitelist)[R1_PUB_LEN], size_t n_whitelist,
                           const struct nm_node **out, char **why);

/* Lookups.  Addresses match with or without prefix; NULL when unknown. */
const struct nm_node *netmap_find_addr(const struct netmap *nm, const char *addr);
const struct nm_node *netmap_find_pub(const struct netmap *nm, const uint8_t pub[R1_PUB_LEN]);
const struct nm_node *netmap_find_eth(const struct netmap *nm, const char *eth);
/* Up to `max` nodes called `alias` (exact match); returns how many exist. */
size_t netmap_find_alias(const struct netmap *nm, const char *alias, const struct nm_node **out,
                         size_t max);
/*
 * A node by address, ETH address or alias, as a person types it.
 * R1_ERR_NOTFOUND, or R1_ERR_EXISTS when an alias names several nodes.
 */
enum r1_err netmap_resolve(const struct netmap *nm, const char *name, const struct nm_node **out,
                           char **why);

/* Iteration in the order nodes were first heard of. */
size_t netmap_count(const struct netmap *nm);
const struct nm_node *netmap_at(const struct netmap *nm, size_t i);
size_t netmap_online_count(const struct netmap *nm);

size_t netmap_oracle_count(const struct netmap *nm);
const struct nm_oracle *netmap_oracle_at(const struct netmap *nm, size_t i);
/* Index of an oracle address in the table, -1 if unknown. */
int netmap_oracle_index(const struct netmap *nm, const char *addr);

const struct netmap_stats *netmap_get_stats(const struct netmap *nm);
uint32_t netmap_online_timeout_ms(const struct netmap *nm);
void netmap_set_online_timeout_ms(struct netmap *nm, uint32_t ms);

/* The key of a whitelist entry is our own? (for views and tests) */
bool netmap_node_allows(const struct nm_node *n, const uint8_t pub[R1_PUB_LEN]);

/* The epoch of a UTC instant under this netmap's parameters (epoch_id_at). */
int64_t netmap_epoch_of(const struct netmap *nm, int64_t utc_us);
/*
 * Availability 0..255 of node `n` in `epoch`: from the history, or the
 * running count for the current epoch (scaled to the whole epoch).  -1 when
 * we did not see that epoch.
 */
int netmap_node_avail(const struct netmap *nm, const struct nm_node *n, int64_t epoch);

/* Decode an address (any prefix) to its 33-byte key without the curve check. */
bool netmap_addr_key(const char *addr, size_t len, uint8_t pub[R1_PUB_LEN]);

#endif
