# node: the edge node (pipelines, plugin host, commands, heartbeats, admin
# plugins) and the wire codecs it shares with the console (hbcodec, netmon).
src_core_libr1core_a_SOURCES += \
	src/core/hbcodec.c src/core/hbcodec.h \
	src/core/netmon.c src/core/netmon.h

check_PROGRAMS += tests/unit/node/test_hbcodec
TESTS += tests/unit/node/test_hbcodec
tests_unit_node_test_hbcodec_SOURCES = tests/unit/node/test_hbcodec.c
tests_unit_node_test_hbcodec_LDADD = tests/libtap.a $(R1_CORE_LIBS)
