#!/bin/sh
# Keys of chat-tui in a real terminal: Tab completion, input history, the
# help overlay, and every way to quit (F10, Ctrl-Q, Alt-q, /quit, SIGTERM)
# ending with status 0, the terminal restored and the others told.
. "$(dirname "$0")/e2elib.sh"
e2e_init
server_start

tui_start a
tui_start w
connected a w
say w "/join lobby"
wait_row w -2 '\| room lobby \|' || bail "w did not join"

# Tab completes a command at the start of the line.
type_ a "/jo"
keys a Tab
check "Tab completes /jo to /join" wait_row a -1 '^> ?/join ?$'
keys a C-u
check "Ctrl-U clears the input line" wait_row a -1 '^> ?$'

# ...and a room name after /join (once the room list has it: w created it,
# which a learns from its 5 s refresh).
check "a's room list shows the room w created" wait_for a "^ lobby +$BD" 10
type_ a "/join lo"
keys a Tab
check "Tab completes /join lo to /join lobby" wait_row a -1 '^> ?/join lobby ?$'
keys a Enter
check "the completed line joins" wait_row a -2 "\| id $A \| room lobby \|"

# Up and Down walk the input history.
say a "first line"
wait_for a "<$A> first line" || not_ok "first line sent"
say a "second line"
wait_for a "<$A> second line" || not_ok "second line sent"
keys a Up
check "Up recalls the last line" wait_row a -1 '^> ?second line$'
keys a Up
check "Up again recalls the one before" wait_row a -1 '^> ?first line$'
keys a Down
check "Down walks forward" wait_row a -1 '^> ?second line$'
keys a Down
check "Down past the newest line gives back the empty line" wait_row a -1 '^> ?$'
type_ a "draft"
keys a Up
check "Up from a draft recalls the last line" wait_row a -1 '^> ?second line$'
keys a Down
check "...and Down gives the draft back" wait_row a -1 '^> ?draft$'
keys a End C-u Up Enter
check "a recalled line can be sent again" wait_count w "<$A> second line" 2

# Line editing: Left, Ctrl-W, Backspace; a wide character counts as one.
type_ a "abc 世界"
keys a Left Left C-w
check "Ctrl-W deletes the word before the cursor" wait_row a -1 '^> ?世界$'
keys a End C-u
type_ a "x世y"
keys a Left BSpace
check "Backspace deletes a wide character whole" wait_row a -1 '^> ?xy$'
keys a Home
type_ a "é"
check "typing at Home inserts before" wait_row a -1 '^> ?éxy$'
keys a End C-u
check "End, Ctrl-U empties the line" wait_row a -1 '^> ?$'

# Focus and selection: Ctrl-O to the left pane, End, F2 joins the
# highlighted room; Ctrl-O on to the users pane, Enter opens a private
# conversation with the highlighted user; Esc back to the input line.
pyclient zroom join zroom linger
check "a python client made room zroom" pyclient_wait zroom
Z=$(pyclient_id zroom)
check "a's rooms pane lists zroom (refresh)" wait_for a "^ zroom +$BD" 8
keys a C-o End F2
check "Ctrl-O, End, F2 join the highlighted room of the directory" wait_row a -2 "\| id $A \| room zroom \|"
check "zroom shown (>) after joining it" wait_for a "^>zroom +$BD"
check "users pane: a and the python client" wait_for a "$BD Users \(2\)$"
escape a
keys a C-o C-o Up Up Down Enter
check "users pane, Enter: the conversation with the highlighted user" wait_for a "^>@$Z +$BD"
escape a
say a "hi in private"
check "plain text in an @id conversation is a PM" wait_for a "-> $Z: hi in private"
keys a M-3
check "Alt-3 goes back to the third entry (zroom)" wait_for a "^>zroom +$BD"
say a "/join lobby"
check "back in lobby" wait_row a -2 "\| id $A \| room lobby \|"

# F1 shows the help overlay, any key closes it.
keys a F1
check "F1 shows the help overlay" wait_for a " Help "
check "the help lists F10" wait_for a "F10"
escape a
check "Esc closes the help overlay" wait_gone a " Help "
check "the screen under the overlay is back" wait_for a "^ +$BD [0-9:]+ <$A> second line +$BD"

# Every way to quit: status 0, terminal restored, the room told.
quit_with() {
	_n=$1
	shift
	tui_start "$_n"
	_id=$(own_id "$_n")
	say "$_n" "/join lobby"
	# Joins and leaves in a run fold into one line.
	wait_for w "(-- |, )$_id joined" >/dev/null ||
	    diag "$_n did not join"
	"$@"
	_st=$(pane_dead "$_n")
	if [ "$_st" = 0 ]; then
		ok "$_n: quit with exit status 0"
	else
		not_ok "$_n: quit with exit status 0 (got '$_st')"
		show "$_n"
		diag <"$E2E_TMP/tui-$_n.log"
	fi
	_alt=$(tmux_ display -p -t "=$_n:" '#{alternate_on}')
	if [ "$_alt" = 0 ] && ! capture "$_n" | grep -q 'Chats'; then
		ok "$_n: the terminal is restored (alternate screen left)"
	else
		not_ok "$_n: the terminal is restored (alternate_on=$_alt)"
		show "$_n"
	fi
	check "$_n: the others see it leave" wait_for w "(-- |, )$_id left"
}
quit_with q1 keys q1 F10
quit_with q2 keys q2 C-q
quit_with q3 keys q3 M-q
quit_with q4 say q4 "/quit"
quit_with q5 keys q5 C-c
term_it() {
	kill -TERM "$(tmux_ display -p -t "=$1:" '#{pane_pid}')"
}
quit_with q6 term_it q6

keys a F10
check "a: F10 quits with status 0" test "$(pane_dead a)" = 0

e2e_done
