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

# canon: the JSON parser for hostile input, CPython float text, json.dumps
# text, canonical JSON.
src_core_libr1core_a_SOURCES += \
	src/core/jdoc.c src/core/jdoc.h \
	src/core/pyfloat.c src/core/pyfloat.h \
	src/core/pyjson.c src/core/pyjson.h \
	src/core/canon.c src/core/canon.h
check_PROGRAMS += tests/unit/wire/test_jdoc tests/unit/wire/test_pyjson tests/unit/wire/test_canon
TESTS += tests/unit/wire/test_jdoc tests/unit/wire/test_pyjson tests/unit/wire/test_canon
tests_unit_wire_test_pyjson_SOURCES = tests/unit/wire/test_pyjson.c
tests_unit_wire_test_pyjson_LDADD = tests/libtap.a $(R1_CORE_LIBS)
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

# r1console sign / verify end to end (the commands live in src/cli/cmd_sign.c).
TESTS += tests/integration/cli_sign.sh
EXTRA_DIST += tests/integration/cli_sign.sh

# libFuzzer targets for the wire parser and verifier: `make fuzz` builds them
# when CC is clang (they need -fsanitize=fuzzer); run tests/fuzz/fuzz_jdoc DIR.
FUZZ_WIRE_SRC = src/core/jdoc.c src/core/pyfloat.c src/core/pyjson.c src/core/utf8.c \
	src/core/canon.c src/core/envelope.c \
	src/core/identity.c src/core/codec.c src/core/hash.c src/core/buf.c \
	src/core/xalloc.c src/core/err.c
EXTRA_DIST += tests/fuzz/fuzz_jdoc.c tests/fuzz/fuzz_envelope.c
fuzz:
	@case "$(CC)" in *clang*) ;; *) echo "make fuzz: needs CC=clang (CC is $(CC))"; exit 0;; esac; \
	for t in fuzz_jdoc fuzz_envelope; do \
		$(MKDIR_P) tests/fuzz && \
		$(CC) -g -O1 -fsanitize=fuzzer,address,undefined $(DEFS) $(DEFAULT_INCLUDES) \
			$(AM_CPPFLAGS) -std=gnu11 -o tests/fuzz/$$t $(srcdir)/tests/fuzz/$$t.c \
			$(addprefix $(srcdir)/,$(FUZZ_WIRE_SRC)) $(R1_CORE_EXTLIBS) || exit 1; \
		echo "built tests/fuzz/$$t"; \
	done
.PHONY: fuzz
CLEANFILES += tests/fuzz/fuzz_jdoc tests/fuzz/fuzz_envelope
