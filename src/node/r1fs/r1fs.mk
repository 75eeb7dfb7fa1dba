# node/r1fs: the file store (CIDs, UnixFS DAGs, block store, the reference's
# encrypted file format), its unit tests, the kill -9 helper and the bench.
src_node_libr1node_a_SOURCES += \
	src/node/r1fs/pb.h \
	src/node/r1fs/cid.c src/node/r1fs/cid.h \
	src/node/r1fs/dagpb.c src/node/r1fs/dagpb.h \
	src/node/r1fs/unixfs.c src/node/r1fs/unixfs.h \
	src/node/r1fs/dagbuilder.c src/node/r1fs/dagbuilder.h \
	src/node/r1fs/dagreader.c src/node/r1fs/dagreader.h \
	src/node/r1fs/pyrandom.c src/node/r1fs/pyrandom.h \
	src/node/r1fs/pytree.c src/node/r1fs/pytree.h \
	src/node/r1fs/yaml.c src/node/r1fs/yaml.h \
	src/node/r1fs/seal.c src/node/r1fs/seal.h \
	src/node/r1fs/unseal.c src/node/r1fs/unseal.h \
	src/node/r1fs/schema.c src/node/r1fs/schema.h \
	src/node/r1fs/blockstore.c src/node/r1fs/blockstore.h \
	src/node/r1fs/prefetch.c src/node/r1fs/prefetch.h \
	src/node/r1fs/ipfs.c src/node/r1fs/ipfs.h \
	src/node/r1fs/r1fs.c src/node/r1fs/r1fs.h \
	src/node/r1fs/xmsg.c src/node/r1fs/xmsg.h \
	src/node/r1fs/announce.c src/node/r1fs/announce.h \
	src/node/r1fs/xchg.c src/node/r1fs/xchg.h \
	src/node/r1fs/multipart.c src/node/r1fs/multipart.h \
	src/node/r1fs/r1fs_http.c src/node/r1fs/r1fs_http.h \
	src/node/r1fs/r1fs_manager.c src/node/r1fs/r1fs_manager.h \
	src/node/r1fs/ops.c src/node/r1fs/ops.h

R1FS_TESTS = \
	tests/unit/r1fs/test_cid \
	tests/unit/r1fs/test_pytree \
	tests/unit/r1fs/test_crypt \
	tests/unit/r1fs/test_import \
	tests/unit/r1fs/test_store \
	tests/unit/r1fs/test_crash \
	tests/unit/r1fs/test_httpc \
	tests/unit/r1fs/test_xmsg \
	tests/unit/r1fs/test_xchg \
	tests/unit/r1fs/test_multipart
check_PROGRAMS += $(R1FS_TESTS) tests/unit/r1fs/r1fs_crash_helper
TESTS += $(R1FS_TESTS) tests/integration/r1fs_cid.sh tests/integration/r1fs_ipfs.sh \
	tests/integration/r1fs_sdk_ts.sh tests/integration/r1fs_nodes.sh
EXTRA_DIST += tests/integration/r1fs_cid.sh tests/integration/r1fs_ipfs.sh \
	tests/integration/r1fs_sdk_ts.sh tests/integration/r1fs_sdk_ts.mjs \
	tests/integration/r1fs_nodes.sh \
	tests/integration/npm/install_sdk.sh \
	tests/unit/r1fs/jsipfs_vectors.jsonl tests/unit/r1fs/jsipfs_vectors.mjs

tests_unit_r1fs_test_cid_SOURCES = tests/unit/r1fs/test_cid.c
tests_unit_r1fs_test_cid_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_r1fs_test_pytree_SOURCES = tests/unit/r1fs/test_pytree.c
tests_unit_r1fs_test_pytree_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_r1fs_test_crypt_SOURCES = tests/unit/r1fs/test_crypt.c
tests_unit_r1fs_test_crypt_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_r1fs_test_import_SOURCES = tests/unit/r1fs/test_import.c
tests_unit_r1fs_test_import_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_r1fs_test_store_SOURCES = tests/unit/r1fs/test_store.c
tests_unit_r1fs_test_store_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_r1fs_test_crash_SOURCES = tests/unit/r1fs/test_crash.c
tests_unit_r1fs_test_crash_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_r1fs_test_httpc_SOURCES = tests/unit/r1fs/test_httpc.c
tests_unit_r1fs_test_httpc_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_r1fs_test_xmsg_SOURCES = tests/unit/r1fs/test_xmsg.c
tests_unit_r1fs_test_xmsg_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_r1fs_test_xchg_SOURCES = tests/unit/r1fs/test_xchg.c
tests_unit_r1fs_test_xchg_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_r1fs_test_multipart_SOURCES = tests/unit/r1fs/test_multipart.c
tests_unit_r1fs_test_multipart_LDADD = tests/libtap.a $(R1_NODE_LIBS)
tests_unit_r1fs_r1fs_crash_helper_SOURCES = tests/unit/r1fs/r1fs_crash_helper.c
tests_unit_r1fs_r1fs_crash_helper_LDADD = $(R1_NODE_LIBS)

noinst_PROGRAMS += tests/bench/bench_r1fs
tests_bench_bench_r1fs_SOURCES = tests/bench/bench_r1fs.c
tests_bench_bench_r1fs_LDADD = $(R1_NODE_LIBS)
