# core/text: UTF-8, display widths and the sanitizer for text from the network.
src_core_libr1core_a_SOURCES += \
	src/core/utf8.c src/core/utf8.h \
	src/core/sanitize.c src/core/sanitize.h

check_PROGRAMS += tests/unit/text/test_sanitize
TESTS += tests/unit/text/test_sanitize
tests_unit_text_test_sanitize_SOURCES = tests/unit/text/test_sanitize.c
tests_unit_text_test_sanitize_LDADD = tests/libtap.a $(R1_CORE_LIBS)
