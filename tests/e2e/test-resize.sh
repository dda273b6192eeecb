#!/bin/sh
# Resizing the terminal (tmux resize-window) re-flows chat-tui's layout:
# after each resize the screen has the panes the size allows, every border
# in place, the messages re-wrapped, and nothing left over from the old
# size -- the incrementally updated screen equals a full repaint (Ctrl-L).
. "$(dirname "$0")/e2elib.sh"
e2e_init
server_start

two_in_lobby
say b "short one"
say b "a long line that has to wrap on a narrow terminal: one two three four five six seven eight nine ten END-OF-LONG"
say a "wide 世界世界 and combining é (e + U+0301) stay aligned"
wait_for a "aligned" || bail "messages did not arrive"

# same_after_repaint PANE: the screen now equals the screen after Ctrl-L
# (which repaints everything from scratch).  Typing a character after it
# tells when the repaint has been drawn.
same_after_repaint() {
	capture "$1" | sed '$d' >"$E2E_TMP/before"
	keys "$1" C-l
	type_ "$1" "Z"
	wait_row "$1" -1 '^> ?Z$' 5 >/dev/null || return 1
	capture "$1" | sed '$d' >"$E2E_TMP/after"
	keys "$1" BSpace
	wait_row "$1" -1 '^> ?$' 5 >/dev/null
	if ! cmp -s "$E2E_TMP/before" "$E2E_TMP/after"; then
		diag "screen differs from a full repaint:"
		diff "$E2E_TMP/before" "$E2E_TMP/after" | diag
		return 1
	fi
}

resize() {
	tmux_ resize-window -t "=$1:" -x "$2" -y "$3"
}

check "100x30: two pane borders, status bar, input line" wait_layout a 100 30 2

for size in "140 40 2" "70 20 2" "60 20 2" "50 15 1" "40 12 0" "100 30 2"; do
	set -- $size
	resize a "$1" "$2"
	check "${1}x$2: layout re-flows to $3 pane border(s)" wait_layout a "$1" "$2" "$3"
	case $3 in
	2)	check "${1}x$2: users pane still lists both" wait_for a "$BD $B$" ;;
	1)	check "${1}x$2: users pane hidden" lacks a "Users \(" ;;
	0)	check "${1}x$2: rooms pane hidden too" lacks a "Rooms" ;;
	esac
	check "${1}x$2: the last message is still shown" wait_for a "aligned"
	check "${1}x$2: the wrapped line's end is shown" wait_for a "END-OF-LONG"
	check "${1}x$2: status bar keeps 'F1 help'" wait_row a -2 "F1 help$"
	check "${1}x$2: no leftovers (equals a full repaint)" same_after_repaint a
done

# Too small for any layout: says so, and comes back.
resize a 20 5
check "20x5: 'terminal too small'" wait_for a "^terminal too small"
resize a 100 30
check "back to 100x30: full layout again" wait_layout a 100 30 2
check "back to 100x30: no leftovers" same_after_repaint a
check "back to 100x30: messages intact" wait_for a "<$B> short one"

# The other TUI was never disturbed, and a still works after all that.
say a "after resizing"
check "a can still send after resizing" wait_for b "<$A> after resizing"
check "b's layout untouched" wait_layout b 100 30 2

e2e_done
