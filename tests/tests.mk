# The TAP library every C unit test links, and the shared shell helpers.
tests_libtap_a_SOURCES = tests/tap.c tests/tap.h
EXTRA_DIST += tests/lib.sh
