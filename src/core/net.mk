# core/run and core/net: the poll loop, the worker pool, the buses, the topic
# layout and the generic half of the receive path.  Their unit tests, the
# integration test driver and the bus benchmark live here too.
src_core_libr1core_a_SOURCES += \
	src/core/loop.c src/core/loop.h \
	src/core/workers.c src/core/workers.h \
	src/core/topics.c src/core/topics.h \
	src/core/dedup.c src/core/dedup.h \
	src/core/bus.c src/core/bus.h \
	src/core/bus_local.c src/core/bus_local.h \
	src/core/bus_mqtt.c src/core/bus_mqtt.h

# Unit tests (TAP).
R1_NET_UNIT = \
	tests/unit/run/test_loop \
	tests/unit/run/test_workers \
	tests/unit/net/test_topics \
	tests/unit/net/test_dedup \
	tests/unit/net/test_bus_local \
	tests/unit/net/test_bus_mqtt
check_PROGRAMS += $(R1_NET_UNIT)
TESTS += $(R1_NET_UNIT)
tests_unit_run_test_loop_SOURCES = tests/unit/run/test_loop.c
tests_unit_run_test_loop_LDADD = tests/libtap.a $(R1_CORE_LIBS)
tests_unit_run_test_workers_SOURCES = tests/unit/run/test_workers.c
tests_unit_run_test_workers_LDADD = tests/libtap.a $(R1_CORE_LIBS)
tests_unit_net_test_topics_SOURCES = tests/unit/net/test_topics.c
tests_unit_net_test_topics_LDADD = tests/libtap.a $(R1_CORE_LIBS)
tests_unit_net_test_dedup_SOURCES = tests/unit/net/test_dedup.c
tests_unit_net_test_dedup_LDADD = tests/libtap.a $(R1_CORE_LIBS)
tests_unit_net_test_bus_local_SOURCES = tests/unit/net/test_bus_local.c
tests_unit_net_test_bus_local_LDADD = tests/libtap.a $(R1_CORE_LIBS)
tests_unit_net_test_bus_mqtt_SOURCES = tests/unit/net/test_bus_mqtt.c
tests_unit_net_test_bus_mqtt_LDADD = tests/libtap.a $(R1_CORE_LIBS)

# The driver the shell tests use to publish and subscribe through our buses.
check_PROGRAMS += tests/integration/bus_client
tests_integration_bus_client_SOURCES = tests/integration/bus_client.c
tests_integration_bus_client_LDADD = $(R1_CORE_LIBS)

# Integration tests against real mosquitto brokers.
R1_NET_INTEGRATION = \
	tests/integration/bus_behaviour.sh \
	tests/integration/bus_tls.sh \
	tests/integration/bus_auth.sh \
	tests/integration/bus_restart.sh \
	tests/integration/bus_bridge.sh
TESTS += $(R1_NET_INTEGRATION)
EXTRA_DIST += $(R1_NET_INTEGRATION)

# Benchmark (not a test): see the comment at the top of bench_bus.c.
noinst_PROGRAMS += tests/bench/bench_bus
tests_bench_bench_bus_SOURCES = tests/bench/bench_bus.c
tests_bench_bench_bus_LDADD = $(R1_CORE_LIBS)

# The receive path proper (verification, decryption, classification).
src_core_libr1core_a_SOURCES += src/core/ingest.c src/core/ingest.h
check_PROGRAMS += tests/unit/net/test_ingest tests/unit/net/test_ingest_pool
TESTS += tests/unit/net/test_ingest tests/unit/net/test_ingest_pool
tests_unit_net_test_ingest_SOURCES = tests/unit/net/test_ingest.c
tests_unit_net_test_ingest_LDADD = tests/libtap.a $(R1_CORE_LIBS)
tests_unit_net_test_ingest_pool_SOURCES = tests/unit/net/test_ingest_pool.c
tests_unit_net_test_ingest_pool_LDADD = tests/libtap.a $(R1_CORE_LIBS)

# The node and the session with an ingest pool (the adoption of the parallel mode).
check_PROGRAMS += tests/unit/net/test_ingest_node
TESTS += tests/unit/net/test_ingest_node
tests_unit_net_test_ingest_node_SOURCES = tests/unit/net/test_ingest_node.c
tests_unit_net_test_ingest_node_LDADD = tests/libtap.a $(R1_NODE_LIBS)
