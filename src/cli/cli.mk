# cli: argv to actions, one file per command group.  One line per file (this
# fragment is merged with git's union driver).
r1console_SOURCES += src/cli/cli.h src/cli/main.c src/cli/commands.def
r1console_SOURCES += src/cli/cmd_keys.c
r1console_SOURCES += src/cli/cmd_r1fs.c
r1console_SOURCES += src/cli/cmd_sign.c
r1console_SOURCES += src/cli/cmd_compute.c
r1console_LDADD = $(R1_TUI_LIBS)
