# cli: argv to actions, one file per command group.
r1console_SOURCES += \
	src/cli/cli.h src/cli/main.c \
	src/cli/cmd_keys.c \
	src/cli/cmd_sign.c
r1console_LDADD = $(R1_TUI_LIBS)
