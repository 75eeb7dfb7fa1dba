# core/wire: identity, canonical JSON, envelope, cipher, codecs, time formats.
src_core_libr1core_a_SOURCES += \
	src/core/identity.c src/core/identity.h \
	src/core/codec.c src/core/codec.h

check_PROGRAMS += tests/unit/wire/test_identity tests/unit/wire/test_codec
TESTS += tests/unit/wire/test_identity tests/unit/wire/test_codec
tests_unit_wire_test_identity_SOURCES = tests/unit/wire/test_identity.c
tests_unit_wire_test_identity_LDADD = tests/libtap.a $(R1_CORE_LIBS)
tests_unit_wire_test_codec_SOURCES = tests/unit/wire/test_codec.c
tests_unit_wire_test_codec_LDADD = tests/libtap.a $(R1_CORE_LIBS)

# canon: the JSON parser for hostile input, CPython float text, canonical JSON.
src_core_libr1core_a_SOURCES += \
	src/core/jdoc.c src/core/jdoc.h \
	src/core/pyfloat.c src/core/pyfloat.h \
	src/core/canon.c src/core/canon.h
check_PROGRAMS += tests/unit/wire/test_jdoc tests/unit/wire/test_canon
TESTS += tests/unit/wire/test_jdoc tests/unit/wire/test_canon
tests_unit_wire_test_jdoc_SOURCES = tests/unit/wire/test_jdoc.c
tests_unit_wire_test_jdoc_LDADD = tests/libtap.a $(R1_CORE_LIBS)
tests_unit_wire_test_canon_SOURCES = tests/unit/wire/test_canon.c
tests_unit_wire_test_canon_LDADD = tests/libtap.a $(R1_CORE_LIBS)

# envelope: EE_HASH / EE_SIGN / EE_SENDER / SIGN_CANON_V, sign and verify.
src_core_libr1core_a_SOURCES += src/core/envelope.c src/core/envelope.h
check_PROGRAMS += tests/unit/wire/test_envelope
TESTS += tests/unit/wire/test_envelope
tests_unit_wire_test_envelope_SOURCES = tests/unit/wire/test_envelope.c
tests_unit_wire_test_envelope_LDADD = tests/libtap.a $(R1_CORE_LIBS)

# Speed of the wire core beside raw libsecp256k1 (not a test; run by hand).
noinst_PROGRAMS += tests/bench/bench_wire
tests_bench_bench_wire_SOURCES = tests/bench/bench_wire.c
tests_bench_bench_wire_LDADD = $(R1_CORE_LIBS)
