# node/compute: the OpenBLAS compute engine (matrices and the R1MX format,
# the gemm kernel, embedding indexes, the job queue), its tests and bench.
src_node_libr1node_a_SOURCES += \
	src/node/compute/ctl.h \
	src/node/compute/matrix.c src/node/compute/matrix.h \
	src/node/compute/blas.c src/node/compute/blas.h \
	src/node/compute/gemm.c src/node/compute/gemm.h \
	src/node/compute/vindex.c src/node/compute/vindex.h \
	src/node/compute/compute.c src/node/compute/compute.h \
	src/node/compute/chaindist.c src/node/compute/chaindist.h \
	src/node/compute/mxstore.c src/node/compute/mxstore.h \
	src/node/compute/mxjson.c src/node/compute/mxjson.h \
	src/node/plugins/blas_bench_01.c \
	src/node/plugins/matmul_job_01.c \
	src/node/plugins/vector_search_01.c \
	src/node/plugins/chain_dist_worker_01.c \
	src/node/plugins/chain_dist_master_01.c

COMPUTE_TESTS = \
	tests/unit/compute/test_matrix \
	tests/unit/compute/test_gemm \
	tests/unit/compute/test_vindex \
	tests/unit/compute/test_compute \
	tests/unit/compute/test_chaindist \
	tests/unit/compute/test_schemas \
	tests/unit/compute/test_mxstore \
	tests/unit/compute/test_plugins \
	tests/unit/compute/test_master \
	tests/unit/node/test_node_session
check_PROGRAMS += $(COMPUTE_TESTS)
TESTS += $(COMPUTE_TESTS) tests/integration/compute_cli.sh tests/integration/compute_node.sh
EXTRA_DIST += tests/unit/compute/refblas.h tests/integration/compute_cli.sh \
	tests/integration/compute_node.sh
tests_unit_compute_test_matrix_SOURCES = tests/unit/compute/test_matrix.c
tests_unit_compute_test_matrix_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_compute_test_gemm_SOURCES = tests/unit/compute/test_gemm.c tests/unit/compute/refblas.h
tests_unit_compute_test_gemm_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_compute_test_vindex_SOURCES = tests/unit/compute/test_vindex.c tests/unit/compute/refblas.h
tests_unit_compute_test_vindex_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_compute_test_compute_SOURCES = tests/unit/compute/test_compute.c tests/unit/compute/refblas.h
tests_unit_compute_test_compute_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_compute_test_chaindist_SOURCES = tests/unit/compute/test_chaindist.c
tests_unit_compute_test_chaindist_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_compute_test_schemas_SOURCES = tests/unit/compute/test_schemas.c
tests_unit_compute_test_schemas_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_compute_test_mxstore_SOURCES = tests/unit/compute/test_mxstore.c tests/unit/compute/refblas.h
tests_unit_compute_test_mxstore_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_compute_test_plugins_SOURCES = tests/unit/compute/test_plugins.c tests/unit/compute/refblas.h
tests_unit_compute_test_plugins_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_compute_test_master_SOURCES = tests/unit/compute/test_master.c tests/unit/compute/refblas.h
tests_unit_compute_test_master_LDADD = tests/libtap.a $(R1_NODE_LIBS)
# node_open_session (src/node/node.c), added for the ChainDist master
tests_unit_node_test_node_session_SOURCES = tests/unit/node/test_node_session.c
tests_unit_node_test_node_session_LDADD = tests/libtap.a $(R1_NODE_LIBS)

# Plugin config schemas (data/plugins/README.md has the format), installed
# for the deployment wizard.
pluginschemadir = $(pkgdatadir)/plugins
dist_pluginschema_DATA = \
	data/plugins/blas_bench_01.json \
	data/plugins/matmul_job_01.json \
	data/plugins/vector_search_01.json \
	data/plugins/chain_dist_master_01.json \
	data/plugins/chain_dist_worker_01.json
EXTRA_DIST += data/plugins/README.md

noinst_PROGRAMS += tests/bench/bench_compute
tests_bench_bench_compute_SOURCES = tests/bench/bench_compute.c
tests_bench_bench_compute_LDADD = $(R1_NODE_LIBS)
noinst_PROGRAMS += tests/bench/bench_chaindist
tests_bench_bench_chaindist_SOURCES = tests/bench/bench_chaindist.c
tests_bench_bench_chaindist_LDADD = $(R1_NODE_LIBS)
# bus_open_sibling over a real broker (what node_open_session relies on)
check_PROGRAMS += tests/integration/bus_sibling
tests_integration_bus_sibling_SOURCES = tests/integration/bus_sibling.c
tests_integration_bus_sibling_LDADD = $(R1_CORE_LIBS)
TESTS += tests/integration/bus_sibling.sh tests/integration/compute_chaindist.sh
EXTRA_DIST += tests/integration/bus_sibling.sh tests/integration/compute_chaindist.sh
