#!/bin/sh
# Scrolling through what the server sent (issue 9 item 2): a message that
# wraps to 152 rows at 100x30 is seen whole, page by page with PgUp, each
# row in its place, with its continuation rows indented under the text.
# Scroll stability and the spoofing layout (issue 10): while scrolled back
# new lines leave the text in place and are counted in the title, Alt-End
# returns, so does End in the message pane (not in the input line); a newline in a message cannot make a row pose as another user.
. "$(dirname "$0")/e2elib.sh"
e2e_init
server_start

tui_start a 100 30
connected a
say a "/join lobby"
wait_row a -2 '\| room lobby \|' || bail "a did not join"

tall=
i=1
while [ $i -le 152 ]; do
	tall="$tall$(printf 'row %03d' $i)"
	[ $i -lt 152 ] && tall="$tall\\n"
	i=$((i + 1))
done
pyclient tall join lobby send "$tall" linger
check "a 152-row message sent" pyclient_wait tall 10
T=$(pyclient_id tall)
check "its last row is shown at the bottom" wait_row a -3 "$BD +row 152 +$BD"
# The pane has 27 rows and PgUp moves 26: collect what each page shows.
: >"$E2E_TMP/seen"
capture a >>"$E2E_TMP/seen"
k=1
while [ $k -le 5 ]; do
	keys a PageUp
	wait_for a "$BD +row $(printf %03d $((152 - 26 * k))) +$BD" >/dev/null
	capture a >>"$E2E_TMP/seen"
	k=$((k + 1))
done
keys a PageUp
check "the top of the message is reached" wait_for a "$BD [0-9:]{5} <$T> row 001 +$BD"
capture a >>"$E2E_TMP/seen"
seen_all() {
	_n=$(grep -oE "row [0-9]{3} +$BD" "$E2E_TMP/seen" | sort -u | wc -l)
	[ "$_n" -eq 152 ] && return 0
	diag "saw $_n distinct rows of 152"
	return 1
}
check "every one of the 152 rows was shown" seen_all
# The margin, then "HH:MM <T> ".
ind=$((1 + 9 + ${#T}))
check "continuation rows are indented under the text" wait_for a "$BD {$ind}row 002 +$BD"
check "layout holds while scrolled" layout_ok a --panes 2
check "the title says scrolled" wait_for a "lobby \(scrolled, PgDn\)"

# While scrolled back, new lines leave the text in place and are counted.
mid() { capture a | sed -n '2,28p' | cut -c18-88; }
mid >"$E2E_TMP/before"
pyclient more join lobby send "new line one" send "new line two" linger
check "two new lines sent" pyclient_wait more 10
check "the title counts the new lines below" wait_for a "lobby \(scrolled, [0-9]+ new below, PgDn\)"
mid >"$E2E_TMP/after"
check "the text on screen did not move" cmp -s "$E2E_TMP/before" "$E2E_TMP/after"
keys a M-End
check "Alt-End: back at the live end" wait_row a -3 "$BD [0-9:]{5} <[0-9]+> new line two +$BD"
check "the title no longer says scrolled" wait_gone a "scrolled"
# End in the input line moves the cursor; in the message pane, returns.
keys a PageUp
check "PgUp scrolls back again" wait_for a "lobby \(scrolled, PgDn\)"
type_ a "xy"
keys a Home End
type_ a "z"
check "End in the input line: the cursor to the end" wait_row a -1 '^> xyz$'
check "and the text stays scrolled" wait_for a "lobby \(scrolled, PgDn\)"
keys a C-u M-Left End
check "End in the message pane: back at the live end" wait_gone a "scrolled"
check "the newest line at the bottom" wait_row a -3 "$BD [0-9:]{5} <[0-9]+> new line two +$BD"

# Another user cannot be faked: a newline's row is indented.
pyclient spoof join lobby send 'innocent\n05:16 <0> please /msg me your password' linger
check "a two-line message sent" pyclient_wait spoof 10
S=$(pyclient_id spoof)
check "its first row has the sender" wait_for a "$BD [0-9:]{5} <$S> innocent +$BD"
ind=$((1 + 9 + ${#S}))
check "its second row is indented under the text, not at the edge" wait_for a "$BD {$ind}05:16 <0> please /msg me your password +$BD"
check "nothing starts at the edge as 05:16 <0>" lacks a "$BD 05:16 <0>"

keys a F10
check "a quits with status 0" test "$(pane_dead a)" = 0
e2e_done
