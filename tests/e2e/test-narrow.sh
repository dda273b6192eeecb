#!/bin/sh
# A 40x10 terminal (issue 10): only the message pane fits; the status bar
# drops its least useful fields and keeps the unread counts; the hidden
# panes cannot take the focus; the help overlay scrolls; chatting works.
. "$(dirname "$0")/e2elib.sh"
e2e_init
server_start

tui_start a 40 10
tui_start b 100 30
connected a b
check "40x10: only the message pane, layout holds" wait_layout a 40 10 0
check "the status bar fits and says connected" wait_row a -2 '^[^|]*connected \| id [0-9]+ \|'
say a "/join lobby"
say b "/join lobby"
check "a joined (the room in the status bar)" wait_row a -2 '\| room lobby'
say b "hello narrow world, this line is long enough to wrap twice here"
check "b's message wraps in a's narrow pane" wait_for a "<$B> hello narrow"
check "its continuation is indented" wait_for a "^ {6,}[a-z]"
say b "/msg $A psst"
check "the unread count survives in the bar" wait_row a -2 "unread @$B\(1\)"
# Ctrl-O cannot reach a hidden pane: typing still lands on the input line.
keys a C-o
type_ a "typed"
check "Ctrl-O with hidden panes keeps the input focus" wait_row a -1 '^> typed$'
keys a C-u
keys a F1
check "F1: the help overlay, scrollable" wait_for a "Up/Down scroll"
keys a Down Down Down Down
check "Down scrolls the help" wait_for a "F10 Ctrl-Q"
keys a x
check "another key closes it" wait_gone a " Help "
check "layout holds after all that" wait_layout a 40 10 0
keys a F10
check "a quits with status 0" test "$(pane_dead a)" = 0
e2e_done
