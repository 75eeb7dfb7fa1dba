# The console proper: app glue, model glue, views, the console network, and
# their tests (the foundation is in tui.mk).

# A node hook the demo network uses, tested here because the console owns it.
check_PROGRAMS += tests/unit/node/test_node_demo
TESTS += tests/unit/node/test_node_demo
tests_unit_node_test_node_demo_SOURCES = tests/unit/node/test_node_demo.c
tests_unit_node_test_node_demo_LDADD = tests/libtap.a $(R1_NODE_LIBS)
