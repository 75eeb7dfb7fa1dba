# core/model: configuration and paths, the network model, the control-plane
# session and the console cache.
src_core_libr1core_a_SOURCES += \
	src/core/paths.c src/core/paths.h \
	src/core/config.c src/core/config.h \
	src/core/netmap.c src/core/netmap.h

check_PROGRAMS += tests/unit/model/test_config tests/unit/model/test_netmap
TESTS += tests/unit/model/test_config tests/unit/model/test_netmap
tests_unit_model_test_config_SOURCES = tests/unit/model/test_config.c
tests_unit_model_test_config_LDADD = tests/libtap.a $(R1_CORE_LIBS)
tests_unit_model_test_netmap_SOURCES = tests/unit/model/test_netmap.c
tests_unit_model_test_netmap_LDADD = tests/libtap.a $(R1_CORE_LIBS)
