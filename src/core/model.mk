# core/model: configuration and paths, the network model, the control-plane
# session and the console cache.
src_core_libr1core_a_SOURCES += \
	src/core/paths.c src/core/paths.h \
	src/core/config.c src/core/config.h \
	src/core/netmap.c src/core/netmap.h \
	src/core/cache.c src/core/cache.h \
	src/core/txn.c src/core/txn.h \
	src/core/cmdmsg.c src/core/cmdmsg.h \
	src/core/pipespec.c src/core/pipespec.h \
	src/core/session.c src/core/session.h

check_PROGRAMS += tests/unit/model/test_config tests/unit/model/test_netmap \
	tests/unit/model/test_cache tests/unit/model/test_cache_crash \
	tests/unit/model/test_txn tests/unit/model/test_cmdmsg \
	tests/unit/model/test_pipespec tests/unit/model/test_session
TESTS += tests/unit/model/test_config tests/unit/model/test_netmap \
	tests/unit/model/test_cache tests/unit/model/test_cache_crash \
	tests/unit/model/test_txn tests/unit/model/test_cmdmsg \
	tests/unit/model/test_pipespec tests/unit/model/test_session
tests_unit_model_test_config_SOURCES = tests/unit/model/test_config.c
tests_unit_model_test_config_LDADD = tests/libtap.a $(R1_CORE_LIBS)
tests_unit_model_test_netmap_SOURCES = tests/unit/model/test_netmap.c
tests_unit_model_test_netmap_LDADD = tests/libtap.a $(R1_CORE_LIBS)
tests_unit_model_test_cache_SOURCES = tests/unit/model/test_cache.c
tests_unit_model_test_cache_LDADD = tests/libtap.a $(R1_CORE_LIBS)
tests_unit_model_test_cache_crash_SOURCES = tests/unit/model/test_cache_crash.c
tests_unit_model_test_cache_crash_LDADD = tests/libtap.a $(R1_CORE_LIBS)
tests_unit_model_test_txn_SOURCES = tests/unit/model/test_txn.c
tests_unit_model_test_txn_LDADD = tests/libtap.a $(R1_CORE_LIBS)
tests_unit_model_test_cmdmsg_SOURCES = tests/unit/model/test_cmdmsg.c
tests_unit_model_test_cmdmsg_LDADD = tests/libtap.a $(R1_CORE_LIBS)
tests_unit_model_test_pipespec_SOURCES = tests/unit/model/test_pipespec.c
tests_unit_model_test_pipespec_LDADD = tests/libtap.a $(R1_CORE_LIBS)
tests_unit_model_test_session_SOURCES = tests/unit/model/test_session.c
tests_unit_model_test_session_LDADD = tests/libtap.a $(R1_CORE_LIBS)

noinst_PROGRAMS += tests/bench/bench_cache
tests_bench_bench_cache_SOURCES = tests/bench/bench_cache.c
tests_bench_bench_cache_LDADD = $(R1_CORE_LIBS)
noinst_PROGRAMS += tests/bench/bench_netmap
tests_bench_bench_netmap_SOURCES = tests/bench/bench_netmap.c
tests_bench_bench_netmap_LDADD = $(R1_CORE_LIBS)

# The documented example of the configuration file.
dist_pkgdata_DATA += data/config.example
