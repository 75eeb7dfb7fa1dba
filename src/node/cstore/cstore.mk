# node/cstore: the replicated key-value store (replica, rules, replication
# protocol, plugin glue, HTTP routes) and the node's small HTTP server.
src_node_libr1node_a_SOURCES += \
	src/node/cstore/jvalue.c src/node/cstore/jvalue.h \
	src/node/cstore/hkey.c src/node/cstore/hkey.h \
	src/node/cstore/replica.c src/node/cstore/replica.h \
	src/node/cstore/msg.c src/node/cstore/msg.h \
	src/node/cstore/cstore.c src/node/cstore/cstore.h

check_PROGRAMS += tests/unit/cstore/test_jvalue tests/unit/cstore/test_hkey \
	tests/unit/cstore/test_replica tests/unit/cstore/test_msg \
	tests/unit/cstore/test_cstore
TESTS += tests/unit/cstore/test_jvalue tests/unit/cstore/test_hkey \
	tests/unit/cstore/test_replica tests/unit/cstore/test_msg \
	tests/unit/cstore/test_cstore
tests_unit_cstore_test_jvalue_SOURCES = tests/unit/cstore/test_jvalue.c
tests_unit_cstore_test_jvalue_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_cstore_test_hkey_SOURCES = tests/unit/cstore/test_hkey.c
tests_unit_cstore_test_hkey_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_cstore_test_replica_SOURCES = tests/unit/cstore/test_replica.c
tests_unit_cstore_test_replica_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_cstore_test_msg_SOURCES = tests/unit/cstore/test_msg.c
tests_unit_cstore_test_msg_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_cstore_test_cstore_SOURCES = tests/unit/cstore/test_cstore.c \
	tests/unit/cstore/net.c tests/unit/cstore/net.h
tests_unit_cstore_test_cstore_LDADD = tests/libtap.a $(R1_NODE_LIBS)

# The node's app-facing HTTP server, the HTTP client (and its one-call form
# for the loopback APIs), and the CStore routes.
src_node_libr1node_a_SOURCES += \
	src/node/httpapi.c src/node/httpapi.h \
	src/node/httpc.c src/node/httpc.h \
	src/node/httpclient.c src/node/httpclient.h \
	src/node/cstore/cstore_http.c src/node/cstore/cstore_http.h \
	src/node/cstore/chain_store_base.c

check_PROGRAMS += tests/unit/cstore/test_http
TESTS += tests/unit/cstore/test_http
tests_unit_cstore_test_http_SOURCES = tests/unit/cstore/test_http.c \
	tests/unit/cstore/net.c tests/unit/cstore/net.h
tests_unit_cstore_test_http_LDADD = tests/libtap.a $(R1_NODE_LIBS)

# Integration: the CLI and the official TypeScript client against our HTTP
# API (cstore_server: three engines in one process, real encryption).
check_PROGRAMS += tests/integration/cstore_server
tests_integration_cstore_server_SOURCES = tests/integration/cstore_server.c \
	tests/unit/cstore/net.c tests/unit/cstore/net.h
tests_integration_cstore_server_LDADD = tests/libtap.a $(R1_NODE_LIBS)
TESTS += tests/integration/cstore_cli.sh tests/integration/cstore_sdk_ts.sh \
	tests/integration/cstore_nodes.sh
EXTRA_DIST += tests/integration/cstore_cli.sh tests/integration/cstore_sdk_ts.sh \
	tests/integration/cstore_nodes.sh \
	tests/integration/cstore_sdk_ts.mjs tests/integration/npm/package.json

# Speed: local reads, replicated writes over a queue and over mosquitto,
# beside redis-benchmark (not a test; see the file).
noinst_PROGRAMS += tests/bench/bench_cstore
tests_bench_bench_cstore_SOURCES = tests/bench/bench_cstore.c
tests_bench_bench_cstore_LDADD = $(R1_NODE_LIBS)
