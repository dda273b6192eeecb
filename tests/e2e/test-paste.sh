#!/bin/sh
# Bracketed paste (issue 10): tmux paste-buffer -p marks a paste, and
# chat-tui takes it as one unit.  One line lands on the input line; a few
# lines are sent as they are, a /command among them as text; 120 lines
# are sent after asking, paced under the server's rate limit, and arrive
# whole and in order.
. "$(dirname "$0")/e2elib.sh"
e2e_init
server_start

tui_start a 100 30
connected a
say a "/join lobby"
wait_row a -2 '\| room lobby \|' || bail "a did not join"

paste_() {
	printf '%s' "$2" | tmux_ load-buffer -b p -
	tmux_ paste-buffer -p -d -b p -t "=$1:"
}

# One line: on the input line, not sent, not run.
paste_ a "/quit not really"
check "a one-line paste waits on the input line" wait_row a -1 '^> /quit not really$'
keys a C-u
check "and was not run" wait_row a -2 '\| room lobby \|'

# A few lines: sent as text, the /command too.
pyclient few join lobby recv 3 linger
pyclient_wait few >/dev/null 2>&1
wait_for a " -- [0-9]+ joined" >/dev/null
paste_ a "first pasted
/leave
third pasted
"
check "three pasted lines are sent, the /leave as text" wait_for a "<$A> /leave"
check "a is still in lobby" wait_row a -2 '\| room lobby \|'
got3() { [ "$(grep -c '^msg ' "$E2E_TMP/few.out")" -ge 3 ]; }
wait_got() {
	_end=$(($(now_ms) + $(scaled_ms "$2")))
	while [ "$(now_ms)" -lt "$_end" ]; do
		"$1" && return 0
		sleep 0.1
	done
	return 1
}
wait_got got3 10
check "another client got the three lines in order" test "$(sed -n 's/^msg [0-9]* //p' "$E2E_TMP/few.out" | head -3 | tr '\n' '|')" = "first pasted|/leave|third pasted|"

# 120 lines: asked, then all of them, in order, none refused.
pyclient many join lobby recv 120 linger
lines=$(i=1; while [ $i -le 120 ]; do printf 'pasted %03d\n' $i; i=$((i + 1)); done)
wait_count a " -- [0-9]+ joined" 2 >/dev/null
paste_ a "$lines"
check "a paste of 120 lines asks first" wait_row a -1 '^send 120 pasted lines to lobby\? \(Enter: yes, Esc: no\)'
keys a Enter
got120() { [ "$(grep -c '^msg ' "$E2E_TMP/many.out")" -ge 120 ]; }
check "all 120 lines arrive (paced)" wait_got got120 40
check "in order" test "$(sed -n 's/^msg [0-9]* //p' "$E2E_TMP/many.out" | tr '\n' ' ')" = "$(printf '%s\n' "$lines" | tr '\n' ' ')"
check "none was refused by the rate limit" lacks a "rate limit"
check "the last one is on a's screen" wait_for a "<$A> pasted 120"

# Esc at the question drops the paste.
paste_ a "$lines"
check "asked again" wait_row a -1 '^send 120 pasted lines'
escape a
check "Esc drops it: the input line is back" wait_row a -1 '^> ?$'

keys a F10
check "a quits with status 0" test "$(pane_dead a)" = 0
e2e_done
