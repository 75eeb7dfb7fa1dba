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
	src/tui/widgets/table.c src/tui/widgets/table.h \
	src/tui/widgets/form.c src/tui/widgets/form.h \
	src/tui/widgets/sparkline.c src/tui/widgets/sparkline.h \
	src/tui/widgets/dialog.c src/tui/widgets/dialog.h \
	src/tui/widgets/bars.c src/tui/widgets/bars.h \
	src/tui/widgets/help.c src/tui/widgets/help.h \
	src/tui/widgets/heatmap.c src/tui/widgets/heatmap.h \
	src/tui/widgets/textview.c src/tui/widgets/textview.h \
	src/tui/widgets/textarea.c src/tui/widgets/textarea.h \
	src/tui/screen_curses.c src/tui/screen_curses.h

themesdir = $(pkgdatadir)/themes
dist_themes_DATA = \
	data/themes/default.theme data/themes/light.theme data/themes/16color.theme \
	data/themes/high-contrast.theme data/themes/mono.theme

# Layout and widget tests: render into a grid, compare the text dump.
R1_TUI_TEST_LDADD = tests/libtap.a $(R1_TUI_LIBS)
R1_TUI_TEST_CHECK = tests/unit/tui/tui_check.c tests/unit/tui/tui_check.h
R1_TUI_UNIT_TESTS = \
	tests/unit/tui/test_grid \
	tests/unit/tui/test_theme \
	tests/unit/tui/test_filter \
	tests/unit/tui/test_cmdline \
	tests/unit/tui/test_table \
	tests/unit/tui/test_form \
	tests/unit/tui/test_widgets

check_PROGRAMS += $(R1_TUI_UNIT_TESTS)
TESTS += $(R1_TUI_UNIT_TESTS)
tests_unit_tui_test_grid_SOURCES = tests/unit/tui/test_grid.c $(R1_TUI_TEST_CHECK)
tests_unit_tui_test_grid_LDADD = $(R1_TUI_TEST_LDADD)
tests_unit_tui_test_theme_SOURCES = tests/unit/tui/test_theme.c
tests_unit_tui_test_theme_LDADD = $(R1_TUI_TEST_LDADD)
tests_unit_tui_test_filter_SOURCES = tests/unit/tui/test_filter.c
tests_unit_tui_test_filter_LDADD = $(R1_TUI_TEST_LDADD)
tests_unit_tui_test_cmdline_SOURCES = tests/unit/tui/test_cmdline.c $(R1_TUI_TEST_CHECK)
tests_unit_tui_test_cmdline_LDADD = $(R1_TUI_TEST_LDADD)
tests_unit_tui_test_table_SOURCES = tests/unit/tui/test_table.c $(R1_TUI_TEST_CHECK)
tests_unit_tui_test_table_LDADD = $(R1_TUI_TEST_LDADD)
tests_unit_tui_test_form_SOURCES = tests/unit/tui/test_form.c $(R1_TUI_TEST_CHECK)
tests_unit_tui_test_form_LDADD = $(R1_TUI_TEST_LDADD)
tests_unit_tui_test_widgets_SOURCES = tests/unit/tui/test_widgets.c $(R1_TUI_TEST_CHECK)
tests_unit_tui_test_widgets_LDADD = $(R1_TUI_TEST_LDADD)

# The curses backend in a real terminal, under tmux (tests/tui/*.sh).
check_PROGRAMS += tests/tui/test_screen_prog
tests_tui_test_screen_prog_SOURCES = tests/tui/test_screen_prog.c
tests_tui_test_screen_prog_LDADD = $(R1_TUI_LIBS)
TESTS += tests/tui/test_screen.sh
EXTRA_DIST += tests/tui/test_screen.sh tests/tui/screen-80x24.txt

# Benchmarks (not tests): figures beside anchors measured in the same run.
noinst_PROGRAMS += tests/bench/bench_table
tests_bench_bench_table_SOURCES = tests/bench/bench_table.c
tests_bench_bench_table_LDADD = $(R1_TUI_LIBS)
