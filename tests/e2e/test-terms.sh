#!/bin/sh
# Editing keys read what the terminal sends (issue 10): inside tmux, Home
# and End arrive as \E[1~ and \E[4~ whatever TERM says, and with
# TERM=xterm-256color terminfo expects \EOH and \EOF.  Under both TERMs:
# Home, End, Ctrl-Left/Right, Alt-b/f, Ctrl-K, Ctrl-Y, Alt-Backspace.
. "$(dirname "$0")/e2elib.sh"
e2e_init
server_start

for term in xterm-256color tmux-256color; do
	p=$(echo "$term" | tr -d -- '-')
	E2E_TERM=$term tui_start "$p" 80 24
	[ -n "$(own_id "$p")" ] || bail "$p did not connect"
	type_ "$p" "abc def"
	keys "$p" Home
	type_ "$p" "X"
	keys "$p" End
	type_ "$p" "Y"
	check "$term: Home and End" wait_row "$p" -1 '^> Xabc defY$'
	keys "$p" C-Left
	type_ "$p" "_"
	check "$term: Ctrl-Left goes a word back" wait_row "$p" -1 '^> Xabc _defY$'
	keys "$p" M-b M-f
	type_ "$p" "+"
	check "$term: Alt-b, Alt-f" wait_row "$p" -1 '^> Xabc _defY\+$'
	keys "$p" Home C-Right C-k
	check "$term: Home, Ctrl-Right, Ctrl-K cuts to the end" wait_row "$p" -1 '^> Xabc$'
	keys "$p" C-y
	check "$term: Ctrl-Y pastes it back" wait_row "$p" -1 '^> Xabc _defY\+$'
	keys "$p" M-BSpace
	type_ "$p" "Z"
	check "$term: Alt-Backspace deletes a word" wait_row "$p" -1 '^> Xabc Z$'
	keys "$p" F10
	check "$term: quits with status 0" test "$(pane_dead "$p")" = 0
done
e2e_done
