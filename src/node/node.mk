# node: the edge node (pipelines, plugin host, commands, heartbeats, admin
# plugins) and the wire codecs it shares with the console (hbcodec, netmon).
src_core_libr1core_a_SOURCES += \
	src/core/hbcodec.c src/core/hbcodec.h \
	src/core/netmon.c src/core/netmon.h

check_PROGRAMS += tests/unit/node/test_hbcodec
TESTS += tests/unit/node/test_hbcodec
tests_unit_node_test_hbcodec_SOURCES = tests/unit/node/test_hbcodec.c
tests_unit_node_test_hbcodec_LDADD = tests/libtap.a $(R1_CORE_LIBS)

src_node_libr1node_a_SOURCES += \
	src/node/fsutil.h \
	src/node/allowlist.c src/node/allowlist.h \
	src/node/cmdwhitelist.c src/node/cmdwhitelist.h \
	src/node/delta.c src/node/delta.h \
	src/node/pipestore.c src/node/pipestore.h \
	src/node/nodetime.c src/node/nodetime.h \
	src/node/workhours.c src/node/workhours.h \
	src/node/notif.c src/node/notif.h \
	src/node/plugin.h \
	src/node/pluginhost.c src/node/pluginhost.h \
	src/node/plugins/plugins.h src/node/plugins/registry.c \
	src/node/plugins/echo_01.c \
	src/node/sysinfo.c src/node/sysinfo.h \
	src/node/heartbeat.c src/node/heartbeat.h \
	src/node/pipeline.c src/node/pipeline.h \
	src/node/netwatch.c src/node/netwatch.h \
	src/node/node.c src/node/node.h src/node/nodepriv.h \
	src/node/pipelines.c src/node/adminpipe.c \
	src/node/commands.c src/node/outbox.c src/node/receive.c src/node/beat.c \
	src/node/plugins/system_health_monitor_01.c \
	src/node/plugins/net_mon_01.c \
	src/node/plugins/net_config_monitor.c \
	src/node/plugins/update_monitor_01.c

r1console_SOURCES += src/cli/cmd_node.c

check_PROGRAMS += tests/unit/node/test_allowlist tests/unit/node/test_delta
TESTS += tests/unit/node/test_allowlist tests/unit/node/test_delta
tests_unit_node_test_allowlist_SOURCES = tests/unit/node/test_allowlist.c
tests_unit_node_test_allowlist_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_node_test_delta_SOURCES = tests/unit/node/test_delta.c
tests_unit_node_test_delta_LDADD = tests/libtap.a $(R1_NODE_LIBS)

check_PROGRAMS += tests/unit/node/test_pluginhost
TESTS += tests/unit/node/test_pluginhost
tests_unit_node_test_pluginhost_SOURCES = tests/unit/node/test_pluginhost.c
tests_unit_node_test_pluginhost_LDADD = tests/libtap.a $(R1_NODE_LIBS)

check_PROGRAMS += tests/unit/node/test_heartbeat
TESTS += tests/unit/node/test_heartbeat
tests_unit_node_test_heartbeat_SOURCES = tests/unit/node/test_heartbeat.c
tests_unit_node_test_heartbeat_LDADD = tests/libtap.a $(R1_NODE_LIBS)
check_PROGRAMS += tests/unit/node/test_nodetime
TESTS += tests/unit/node/test_nodetime
tests_unit_node_test_nodetime_SOURCES = tests/unit/node/test_nodetime.c
tests_unit_node_test_nodetime_LDADD = tests/libtap.a $(R1_NODE_LIBS)

check_PROGRAMS += tests/unit/node/test_netwatch
TESTS += tests/unit/node/test_netwatch
tests_unit_node_test_netwatch_SOURCES = tests/unit/node/test_netwatch.c
tests_unit_node_test_netwatch_LDADD = tests/libtap.a $(R1_NODE_LIBS)

# kill -9 consistency of node.db
check_PROGRAMS += tests/unit/node/pipestore_hammer
tests_unit_node_pipestore_hammer_SOURCES = tests/unit/node/pipestore_hammer.c
tests_unit_node_pipestore_hammer_LDADD = $(R1_NODE_LIBS)
TESTS += tests/integration/node_killed.sh tests/integration/node_killed_live.sh
EXTRA_DIST += tests/integration/node_killed.sh tests/integration/node_killed_live.sh

check_PROGRAMS += tests/unit/node/test_commands
TESTS += tests/unit/node/test_commands
tests_unit_node_test_commands_SOURCES = tests/unit/node/test_commands.c
tests_unit_node_test_commands_LDADD = tests/libtap.a $(R1_NODE_LIBS)

# the node over mosquitto, driven by a scripted client
check_PROGRAMS += tests/integration/node_client
tests_integration_node_client_SOURCES = tests/integration/node_client.c
tests_integration_node_client_LDADD = $(R1_CORE_LIBS)
TESTS += tests/integration/node_mosquitto.sh
EXTRA_DIST += tests/integration/node_mosquitto.sh

check_PROGRAMS += tests/unit/node/test_oracle
TESTS += tests/unit/node/test_oracle
tests_unit_node_test_oracle_SOURCES = tests/unit/node/test_oracle.c
tests_unit_node_test_oracle_LDADD = tests/libtap.a $(R1_NODE_LIBS)
