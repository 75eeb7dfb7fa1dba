# tui: the console's foundation: grid, curses backend, themes, keys, widgets.
# Views and the app glue come later, in their own fragments.
src_tui_libr1tui_a_SOURCES += \
	src/tui/lib.h \
	src/tui/grid.c src/tui/grid.h \
	src/tui/wrap.c src/tui/wrap.h \
	src/tui/theme.c src/tui/theme.h \
	src/tui/keys.c src/tui/keys.h \
	src/tui/keymap.c src/tui/keymap.h \
	src/tui/widgets/lineedit.c src/tui/widgets/lineedit.h \
	src/tui/widgets/cmdline.c src/tui/widgets/cmdline.h \
	src/tui/widgets/filter.c src/tui/widgets/filter.h \
	src/tui/widgets/table.c src/tui/widgets/table.h
