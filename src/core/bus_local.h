#ifndef R1_CORE_BUS_LOCAL_H
#define R1_CORE_BUS_LOCAL_H
/*
 * The in-process bus: a hub that plays the broker and endpoints that play
 * its clients, all on one loop.  The embedded default (no broker to install)
 * and the carrier of demo networks where every node has its own endpoint,
 * exactly as it would have its own MQTT client.
 *
 * Semantics follow an MQTT broker: topic filters with '+' and '#', '$'
 * topics hidden from root wildcards, one copy per matching endpoint at the
 * lower of the publish QoS and the best matching subscription's QoS, the
 * publisher receiving its own messages when subscribed, per-endpoint FIFO
 * order.  Delivery always goes through the loop's deferred calls, never from
 * inside bus_publish.  Each endpoint's inbound queue is bounded: when it is
 * full the newest message is dropped and counted on that endpoint
 * (BUS_DROP_IN_FULL).  Nothing is lost otherwise; QoS only shapes the QoS
 * value handed to the callback.
 */
#include "core/common.h"
#include "core/err.h"

struct loop;
struct r1_log;
struct bus;
struct bus_hub;

#define BUS_LOCAL_QUEUE_DEFAULT 65536u

/*
 * A hub on `loop`; queue_max is each endpoint's inbound queue bound in
 * messages (0 = BUS_LOCAL_QUEUE_DEFAULT).  log may be NULL.
 * Errors: R1_ERR_NOMEM.
 */
enum r1_err bus_hub_new(struct loop *loop, size_t queue_max, struct r1_log *log,
                        struct bus_hub **out, char **why);
/*
 * Free the hub.  Endpoints still open are detached: they turn
 * BUS_DISCONNECTED, their publishes fail with R1_ERR_STATE, and they still
 * need bus_free.  NULLs *hub.
 */
void bus_hub_free(struct bus_hub **hub);
/* Endpoints attached now. */
size_t bus_hub_endpoints(const struct bus_hub *hub);

/*
 * A new endpoint named client_id, connected from the start (BUS_CONNECTED).
 * Free with bus_free.  Errors: R1_ERR_INVAL (empty id), R1_ERR_EXISTS (an
 * endpoint with that id is attached), R1_ERR_STATE (hub is NULL),
 * R1_ERR_NOMEM.
 */
enum r1_err bus_local_new(struct bus_hub *hub, const char *client_id, struct bus **out, char **why);
/* Change one endpoint's inbound bound (messages already queued stay). */
void bus_local_set_queue_max(struct bus *bus, size_t queue_max);

#endif
