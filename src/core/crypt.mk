# core/crypt: payload encryption (cipher), envelope time formats (timefmt),
# epochs and availability (epochs).
src_core_libr1core_a_SOURCES += \
	src/core/cipher.c src/core/cipher.h \
	src/core/timefmt.c src/core/timefmt.h \
	src/core/epochs.c src/core/epochs.h

check_PROGRAMS += tests/unit/crypt/test_cipher tests/unit/crypt/test_timefmt \
	tests/unit/crypt/test_epochs
TESTS += tests/unit/crypt/test_cipher tests/unit/crypt/test_timefmt \
	tests/unit/crypt/test_epochs
tests_unit_crypt_test_cipher_SOURCES = tests/unit/crypt/test_cipher.c
tests_unit_crypt_test_cipher_LDADD = tests/libtap.a $(R1_CORE_LIBS)
tests_unit_crypt_test_timefmt_SOURCES = tests/unit/crypt/test_timefmt.c
tests_unit_crypt_test_timefmt_LDADD = tests/libtap.a $(R1_CORE_LIBS)
tests_unit_crypt_test_epochs_SOURCES = tests/unit/crypt/test_epochs.c
tests_unit_crypt_test_epochs_LDADD = tests/libtap.a $(R1_CORE_LIBS)
