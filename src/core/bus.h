#ifndef R1_CORE_BUS_H
#define R1_CORE_BUS_H
/*
 * A message bus endpoint: what a node, the console or the CLI uses to
 * publish and to receive, whatever carries the bytes.  struct bus is an ops
 * table plus the state every transport shares (subscriptions, callbacks,
 * connection state, statistics); bus_local.h and bus_mqtt.h create them.
 *
 * Everything here runs on the loop thread.  The owner installs one delivery
 * callback, which receives every message matching any of the endpoint's
 * subscriptions; the receive path (ingest: size, parse, de-duplicate, verify,
 * decrypt) starts there.  The payload passed to it is borrowed for the call
 * only.  A callback may publish, subscribe or unsubscribe, but must not free
 * the bus it was called from (defer that with loop_defer).
 *
 * Messages are bytes; both transports enforce R1_MAX_MESSAGE_LEN on the way
 * out (publish fails) and on the way in (the message is counted and dropped).
 */
#include "core/common.h"
#include "core/err.h"

struct loop;
struct r1_log;
struct bus;

enum bus_state {
	BUS_DISCONNECTED, /* not connected; the reason says why (empty at start) */
	BUS_CONNECTING,   /* a connection attempt is under way */
	BUS_CONNECTED,    /* publishing goes to the wire, subscriptions are live */
	BUS_AUTH_REFUSED, /* the broker refused our credentials; still retrying slowly */
	BUS_STATE__COUNT
};

enum bus_drop {
	BUS_DROP_TOO_BIG_OUT, /* publish of more than R1_MAX_MESSAGE_LEN */
	BUS_DROP_TOO_BIG_IN,  /* received more than R1_MAX_MESSAGE_LEN */
	BUS_DROP_OFFLINE,     /* QoS 0 published while down, or lost with the connection */
	BUS_DROP_OUT_FULL,    /* the outbound queue was full */
	BUS_DROP_IN_FULL,     /* a local subscriber's queue was full */
	BUS_DROP__COUNT
};

struct bus_stats {
	uint64_t published; /* accepted by bus_publish */
	uint64_t delivered; /* handed to the delivery callback */
	uint64_t dropped[BUS_DROP__COUNT];
	uint64_t reconnects; /* connections made after the first */
	uint64_t queued;     /* accepted, not yet sent and acknowledged (mqtt)
	                      * or waiting for delivery (local) */
};

typedef void (*bus_deliver_fn)(void *ctx, struct bus *bus, const char *topic,
                               const uint8_t *payload, size_t len, int qos);
/* reason: a readable sentence ("" when there is nothing to say), borrowed. */
typedef void (*bus_state_fn)(void *ctx, struct bus *bus, enum bus_state state, const char *reason);

/* ---- what the owner uses */

/*
 * Publish len bytes to a topic at QoS 0..2.  Errors: R1_ERR_INVAL (bad
 * topic or QoS), R1_ERR_TOOBIG (above R1_MAX_MESSAGE_LEN; counted),
 * R1_ERR_AGAIN (QoS 0 while not connected, or the outbound queue is full;
 * counted), R1_ERR_STATE (the endpoint was closed), R1_ERR_NOMEM.
 * On R1_OK the bytes were copied; the caller keeps its buffer.
 */
enum r1_err bus_publish(struct bus *bus, const char *topic, const void *data, size_t len, int qos,
                        char **why);
/*
 * Subscribe to an MQTT topic filter at a maximum QoS (subscribing again to
 * the same filter updates its QoS).  Subscriptions survive reconnects.
 * Errors: R1_ERR_INVAL (bad filter or QoS), R1_ERR_NOMEM, and transport
 * errors.
 */
enum r1_err bus_subscribe(struct bus *bus, const char *filter, int qos, char **why);
/* Errors: R1_ERR_NOTFOUND (not subscribed to exactly that filter). */
enum r1_err bus_unsubscribe(struct bus *bus, const char *filter, char **why);
void bus_set_delivery(struct bus *bus, bus_deliver_fn fn, void *ctx);
/*
 * Flow control for a receive path that cannot keep up (ingest's parallel
 * mode asks for it when its workers are saturated): while paused the
 * endpoint stops handing messages to the delivery callback.  bus_mqtt stops
 * reading its socket, so TCP and the broker hold what follows (keepalives go
 * on, but a pause much longer than the keepalive interval drops the
 * connection); bus_local keeps messages in the endpoint's bounded queue,
 * where overflow is dropped and counted (BUS_DROP_IN_FULL).  A message or
 * two already read when the pause comes (a TLS record holding several) may
 * still be delivered.  Resuming picks up on the next loop iteration.
 * Pausing a paused bus (or resuming a running one) does nothing.
 */
void bus_pause(struct bus *bus, bool paused);
bool bus_paused(const struct bus *bus);
void bus_set_state_cb(struct bus *bus, bus_state_fn fn, void *ctx);
/* Current state; *reason (if not NULL) gets the last reason, borrowed. */
enum bus_state bus_state(const struct bus *bus, const char **reason);
/* A copy of the counters. */
void bus_get_stats(const struct bus *bus, struct bus_stats *out);
/* The MQTT client id (or the local endpoint's name), borrowed. */
const char *bus_client_id(const struct bus *bus);
/* "local" or "mqtt". */
const char *bus_kind(const struct bus *bus);
/*
 * Another endpoint like this one, under its own client id: on the same hub
 * (local), or a new connection to the same broker URL with the same
 * credentials, CA file and limits (mqtt; always clean_session, since a
 * sibling's id is not stable from run to run).  For a second user of one
 * identity inside a process, as the reference gives a node's plugins MQTT
 * clients of their own.  The sibling is independent: free it with
 * bus_free, before or after this one.  Errors: R1_ERR_INVAL (empty id),
 * R1_ERR_EXISTS (local: the id is taken), R1_ERR_STATE (the hub is gone,
 * or the transport cannot), R1_ERR_NOMEM, and the transport's own.
 */
enum r1_err bus_open_sibling(struct bus *bus, const char *client_id, struct bus **out, char **why);
/* Close and free (never from inside this bus's own callbacks); NULLs *bus. */
void bus_free(struct bus **bus);

/* Names for logs and the console ("connected", "oversize-out"); never NULL. */
const char *bus_state_name(enum bus_state state);
const char *bus_drop_name(enum bus_drop reason);

/* ---- what a transport implements and uses */

struct bus_sub {
	char *filter;
	int qos;
};

struct bus_ops {
	const char *kind;
	/* Called after bus_publish validated the arguments. */
	enum r1_err (*publish)(struct bus *bus, const char *topic, const void *data, size_t len,
	                       int qos, char **why);
	/* Called after the subscription list was updated; a failure rolls it back. */
	enum r1_err (*subscribe)(struct bus *bus, const struct bus_sub *sub, char **why);
	enum r1_err (*unsubscribe)(struct bus *bus, const char *filter, char **why);
	/* bus_open_sibling; NULL = the transport cannot (R1_ERR_STATE). */
	enum r1_err (*sibling)(struct bus *bus, const char *client_id, struct bus **out,
	                       char **why);
	/* bus->paused changed (may be NULL: the transport reads the flag). */
	void (*pause)(struct bus *bus);
	/* Release the transport's own state and free the containing struct. */
	void (*destroy)(struct bus *bus);
};

struct bus {
	const struct bus_ops *ops;
	struct loop *loop;
	struct r1_log *log;
	char *client_id;
	bus_deliver_fn deliver;
	void *deliver_ctx;
	bus_state_fn on_state;
	void *state_ctx;
	enum bus_state state;
	char *state_reason;
	struct bus_stats stats;
	bool paused; /* see bus_pause: the transport stops delivering */
	struct bus_sub *subs;
	size_t nsubs, subs_cap;
};

/* Set up the common part, state BUS_DISCONNECTED.  Errors: R1_ERR_NOMEM. */
enum r1_err bus_init(struct bus *bus, const struct bus_ops *ops, struct loop *loop,
                     const char *client_id, struct r1_log *log);
void bus_release(struct bus *bus);
/* Inbound: the size gate, counters and the owner's callback. */
void bus_deliver(struct bus *bus, const char *topic, const uint8_t *payload, size_t len, int qos);
/* Record a state change and tell the owner (only when state or reason changed). */
void bus_set_state(struct bus *bus, enum bus_state state, const char *reason);
/* Is `topic` matched by any subscription?  *qos gets the highest matching QoS. */
bool bus_sub_match(const struct bus *bus, const char *topic, int *qos);

#endif
