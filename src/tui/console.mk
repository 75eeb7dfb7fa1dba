# The console proper: app glue, model glue, streams, views, and their tests
# (the foundation, widgets and backend, is in tui.mk).
src_tui_libr1tui_a_SOURCES += \
	src/tui/app.c src/tui/app.h \
	src/tui/view.h \
	src/tui/model.c src/tui/model.h \
	src/tui/stream.c src/tui/stream.h \
	src/tui/fmt.c src/tui/fmt.h \
	src/tui/consnet.c src/tui/consnet.h \
	src/tui/views/views.def src/tui/views/views.h \
	src/tui/views/actions.c \
	src/tui/views/nodes.c \
	src/tui/views/node.c \
	src/tui/views/apps.c \
	src/tui/views/stream.c \
	src/tui/views/epochs.c \
	src/tui/views/log.c \
	src/tui/views/text.c \
	src/tui/views/placeholder.c \
	src/tui/views/cstore.c \
	src/tui/views/r1fs.c \
	src/tui/views/compute.c

# A node hook the demo network uses, tested here because the console owns it.
check_PROGRAMS += tests/unit/node/test_node_demo
TESTS += tests/unit/node/test_node_demo
tests_unit_node_test_node_demo_SOURCES = tests/unit/node/test_node_demo.c
tests_unit_node_test_node_demo_LDADD = tests/libtap.a $(R1_NODE_LIBS)

# cache_samples (the sparklines' read, added to core/cache.c for the console).
check_PROGRAMS += tests/unit/tui/test_cache_samples
TESTS += tests/unit/tui/test_cache_samples
tests_unit_tui_test_cache_samples_SOURCES = tests/unit/tui/test_cache_samples.c
tests_unit_tui_test_cache_samples_LDADD = tests/libtap.a $(R1_CORE_LIBS)

# Every view at 80x24 and 200x50 on a fixed network, keys, actions, read-only.
check_PROGRAMS += tests/unit/tui/test_views
TESTS += tests/unit/tui/test_views
tests_unit_tui_test_views_SOURCES = tests/unit/tui/test_views.c \
	tests/unit/tui/viewfix.c tests/unit/tui/viewfix.h $(R1_TUI_TEST_CHECK)
tests_unit_tui_test_views_LDADD = $(R1_TUI_TEST_LDADD)
EXTRA_DIST += tests/unit/tui/screens

# End to end under tmux: the real binary (tests/tui/*.sh).
check_PROGRAMS += tests/tui/hostile_peer
tests_tui_hostile_peer_SOURCES = tests/tui/hostile_peer.c
tests_tui_hostile_peer_LDADD = $(R1_CORE_LIBS)
TESTS += tests/tui/console_demo.sh tests/tui/console_hostile.sh
EXTRA_DIST += tests/tui/console_demo.sh tests/tui/console_hostile.sh

# Benchmark (not a test): the Network view over 100,000 nodes; idle CPU.
noinst_PROGRAMS += tests/bench/bench_console
tests_bench_bench_console_SOURCES = tests/bench/bench_console.c
tests_bench_bench_console_LDADD = $(R1_TUI_LIBS)
