# cli: argv to actions, one file per command group.  One line per file (this
# fragment is merged with git's union driver).
r1console_SOURCES += src/cli/cli.h src/cli/main.c src/cli/commands.def
r1console_SOURCES += src/cli/cmd_keys.c
r1console_SOURCES += src/cli/cmd_r1fs.c
r1console_SOURCES += src/cli/cmd_sign.c
r1console_SOURCES += src/cli/args.c src/cli/args.h
r1console_SOURCES += src/cli/table.c src/cli/table.h
r1console_SOURCES += src/cli/render.c src/cli/render.h
r1console_SOURCES += src/cli/deployfile.c src/cli/deployfile.h
r1console_SOURCES += src/cli/netctx.c src/cli/netctx.h
r1console_SOURCES += src/cli/cmd_config.c
r1console_SOURCES += src/cli/cmd_allow.c
r1console_LDADD = $(R1_TUI_LIBS)
check_PROGRAMS += tests/unit/cli/test_table
TESTS += tests/unit/cli/test_table
tests_unit_cli_test_table_SOURCES = tests/unit/cli/test_table.c src/cli/table.c src/cli/args.c
tests_unit_cli_test_table_LDADD = tests/libtap.a $(R1_CORE_LIBS)
check_PROGRAMS += tests/unit/cli/test_deployfile
TESTS += tests/unit/cli/test_deployfile
tests_unit_cli_test_deployfile_SOURCES = tests/unit/cli/test_deployfile.c src/cli/deployfile.c
tests_unit_cli_test_deployfile_LDADD = tests/libtap.a $(R1_CORE_LIBS)
check_PROGRAMS += tests/unit/cli/test_render
TESTS += tests/unit/cli/test_render
tests_unit_cli_test_render_SOURCES = tests/unit/cli/test_render.c src/cli/render.c src/cli/table.c
tests_unit_cli_test_render_LDADD = tests/libtap.a $(R1_CORE_LIBS)
