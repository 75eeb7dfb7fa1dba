#ifndef R1_CORE_BUS_MQTT_H
#define R1_CORE_BUS_MQTT_H
/*
 * The MQTT bus: one libmosquitto client (MQTT 3.1.1) driven from our loop
 * through its external-loop API only, so that every callback runs on the
 * loop thread.  Any broker works (mosquitto, EMQX, VerneMQ, HiveMQ).
 *
 * Connection: the first attempt starts on the loop's next iteration; a lost
 * or failed connection is retried after an exponential backoff with jitter
 * (backoff_min_ms doubling up to backoff_max_ms, each delay drawn from
 * [d/2, d]).  A refused password reports BUS_AUTH_REFUSED with the broker's
 * reason and keeps retrying at backoff_max_ms, so that a console left open
 * recovers once the broker is fixed.  After every connection the endpoint
 * subscribes again to all its filters.
 *
 * Outbound: QoS 1 and 2 messages are never dropped by a reconnect.  A
 * message published while disconnected waits in our queue (bounded by
 * queue_max messages and queue_max_bytes; beyond that publish fails with
 * R1_ERR_AGAIN and counts BUS_DROP_OUT_FULL); one handed to libmosquitto
 * but not yet acknowledged is resent by libmosquitto after the reconnect
 * (same client object, same packet id).  At most inflight_max of them are
 * on the wire at once; keep it within the broker's limit on unreleased QoS 2
 * messages per client (mosquitto's max_inflight_messages, 20 by default):
 * an MQTT 3.1.1 broker cannot say "quota exceeded" and silently drops the
 * excess.  Across a reconnect delivery is at least once: a
 * QoS 2 message may arrive twice, which the receive path's de-duplication
 * absorbs.  QoS 0 messages are never carried across a reconnect: publish
 * fails with R1_ERR_AGAIN while disconnected and unsent ones are counted as
 * BUS_DROP_OFFLINE when a connection drops.
 *
 * Sessions: by default clean_session=true, as the reference does.  With
 * `persistent` the client connects with clean_session=false, and a broker
 * with persistence keeps its subscriptions and queues QoS >= 1 messages for
 * it while it is away, even across a broker restart; this needs a client id
 * that stays the same from run to run.  Use it for receivers that must not
 * lose commands (the node's config topic); the rest stay clean.
 *
 * Limits: libmosquitto 2.0 reads an incoming packet whole before we see it
 * (no client-side cap exists in the library), so an oversized incoming
 * message is dropped and counted after it was read.  Name resolution in
 * libmosquitto's connect is blocking; a hostname is resolved on the loop
 * thread when each attempt starts.
 */
#include "core/common.h"
#include "core/err.h"

struct loop;
struct r1_log;
struct bus;

/* A parsed broker URL: mqtt://[user[:pass]@]host[:port] or mqtts://... */
struct mqtt_url {
	bool tls;
	char *user; /* NULL when absent; percent-decoded */
	char *pass; /* NULL when absent; percent-decoded */
	char *host; /* without brackets for IPv6 */
	int port;   /* 1883 for mqtt, 8883 for mqtts when absent */
};

/* Parse (no side effects).  Errors: R1_ERR_INVAL (with the reason), R1_ERR_NOMEM. */
enum r1_err mqtt_url_parse(const char *url, struct mqtt_url *out, char **why);
void mqtt_url_release(struct mqtt_url *u);

/*
 * The reference's client id: "<connection_name>_<comm_type[:7]>_<unique_id>".
 * comm_type NULL means "CUSTOM"; unique_id NULL means 8 random lowercase hex
 * digits.  *out is freed with r1_free.  Errors: R1_ERR_INVAL (empty
 * connection_name), R1_ERR_NOMEM.
 */
enum r1_err bus_mqtt_client_id(const char *connection_name, const char *comm_type,
                               const char *unique_id, char **out, char **why);

struct bus_mqtt_opts {
	const char *url;             /* required */
	const char *user;            /* overrides the URL's user when not NULL */
	const char *pass;            /* overrides the URL's password when not NULL */
	const char *ca_file;         /* mqtts: PEM CA file; NULL = the system's CAs */
	const char *client_id;       /* required, non-empty (see bus_mqtt_client_id) */
	bool persistent;             /* clean_session=false (see above) */
	unsigned keepalive_s;        /* 0 = 60 */
	unsigned backoff_min_ms;     /* 0 = 500 */
	unsigned backoff_max_ms;     /* 0 = 30000 */
	unsigned connect_timeout_ms; /* no CONNACK by then: retry; 0 = 10000 */
	size_t queue_max;            /* waiting messages, 0 = 10000 */
	size_t queue_max_bytes;      /* their payload bytes, 0 = 64 MiB */
	unsigned inflight_max;       /* unacknowledged QoS >= 1 on the wire, 0 = 20 (see above) */
	struct r1_log *log;          /* may be NULL */
};

/*
 * A new MQTT endpoint on `loop`; free with bus_free.  Nothing is connected
 * when this returns (state BUS_DISCONNECTED): the first attempt starts on
 * the next loop iteration, so the owner can set callbacks and subscribe
 * first.  Errors: R1_ERR_INVAL (bad URL or options, unreadable CA file),
 * R1_ERR_NOMEM, R1_ERR_IO (libmosquitto could not be set up).
 */
enum r1_err bus_mqtt_new(struct loop *loop, const struct bus_mqtt_opts *opts, struct bus **out,
                         char **why);

#endif
