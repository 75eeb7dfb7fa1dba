# core/base: errors, allocation, buffers, clocks, logging.
src_core_libr1core_a_SOURCES += \
	src/core/lib.h src/core/common.h \
	src/core/err.c src/core/err.h \
	src/core/xalloc.c src/core/xalloc.h \
	src/core/buf.c src/core/buf.h \
	src/core/clock.c src/core/clock.h \
	src/core/log.c src/core/log.h

check_PROGRAMS += tests/unit/base/test_base
TESTS += tests/unit/base/test_base
tests_unit_base_test_base_SOURCES = tests/unit/base/test_base.c
tests_unit_base_test_base_LDADD = tests/libtap.a $(R1_CORE_LIBS)

# core/base: hashes and randomness, SQLite helpers.
src_core_libr1core_a_SOURCES += \
	src/core/hash.c src/core/hash.h \
	src/core/db.c src/core/db.h \
	src/core/proto.c src/core/proto.h
check_PROGRAMS += tests/unit/base/test_hash tests/unit/base/test_db
TESTS += tests/unit/base/test_hash tests/unit/base/test_db
tests_unit_base_test_hash_SOURCES = tests/unit/base/test_hash.c
tests_unit_base_test_hash_LDADD = tests/libtap.a $(R1_CORE_LIBS)
tests_unit_base_test_db_SOURCES = tests/unit/base/test_db.c
tests_unit_base_test_db_LDADD = tests/libtap.a $(R1_CORE_LIBS)
