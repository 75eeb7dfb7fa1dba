# cli: argv to actions, one file per command group.
r1console_SOURCES += \
	src/cli/cli.h src/cli/main.c \
	src/cli/args.c src/cli/args.h \
	src/cli/table.c src/cli/table.h \
	src/cli/render.c src/cli/render.h \
	src/cli/deployfile.c src/cli/deployfile.h \
	src/cli/netctx.c src/cli/netctx.h \
	src/cli/cmd_keys.c \
	src/cli/cmd_config.c \
	src/cli/cmd_allow.c
r1console_LDADD = $(R1_TUI_LIBS)

check_PROGRAMS += tests/unit/cli/test_table tests/unit/cli/test_deployfile \
	tests/unit/cli/test_render
TESTS += tests/unit/cli/test_table tests/unit/cli/test_deployfile tests/unit/cli/test_render
tests_unit_cli_test_table_SOURCES = tests/unit/cli/test_table.c src/cli/table.c src/cli/args.c
tests_unit_cli_test_table_LDADD = tests/libtap.a $(R1_CORE_LIBS)
tests_unit_cli_test_deployfile_SOURCES = tests/unit/cli/test_deployfile.c src/cli/deployfile.c
tests_unit_cli_test_deployfile_LDADD = tests/libtap.a $(R1_CORE_LIBS)
tests_unit_cli_test_render_SOURCES = tests/unit/cli/test_render.c src/cli/render.c \
	src/cli/table.c
tests_unit_cli_test_render_LDADD = tests/libtap.a $(R1_CORE_LIBS)
