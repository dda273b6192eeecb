#!/bin/sh
# Nothing is lost across a network blip: chat-tui a is frozen (SIGSTOP)
# until the server drops it (short ping settings) while bob says N lines;
# thawed (SIGCONT), it resumes its session, rejoins lobby and shows every
# line said meanwhile, in order, exactly once, under the marker
# "-- N messages while disconnected --" (issue 12, history).
. "$(dirname "$0")/e2elib.sh"
e2e_init
server_start --ping-interval 1 --ping-timeout 1
N=5

E2E_FREEZABLE=1 tui_start a 100 30 -n alice
tui_start b 100 30 -n bob
connected a b
say a "/join lobby"
say b "/join lobby"
check "a sees bob in lobby" wait_for a "$BD bob$"
say a "before the blip"
check "bob sees a's line" wait_for b "<alice> before the blip"

PID=$(tui_pid a)
check "a's chat-tui has a pid ($PID)" test -n "$PID"
kill -STOP "$PID"
check "the server drops frozen a (bob sees alice leave)" wait_for b " -- alice left" 20
i=1
while [ "$i" -le "$N" ]; do
	say b "missed $i"
	i=$((i + 1))
done
check "bob said all $N" wait_for b "<bob> missed $N "
kill -CONT "$PID"

check "a is back in lobby as alice, id $A" wait_row a -2 "\| connected \| name alice \| id $A \| room lobby \|" 20
check "a shows the marker" wait_for a "-- $N messages while disconnected --" 10
# The marker, then every missed line in order, each once.
{
	echo "-- $N messages while disconnected --"
	i=1
	while [ "$i" -le "$N" ]; do
		echo "<bob> missed $i"
		i=$((i + 1))
	done
} >"$E2E_TMP/want"
check "a shows the $N missed lines in order, once, under the marker" \
    matches_are a "-- [0-9]+ messages? while disconnected --|<bob> missed [0-9]+" \
    "$E2E_TMP/want"
check "the line before the blip is shown once" test "$(capture a | grep -c "<alice> before the blip")" = 1
say b "after the blip"
check "live lines flow again" wait_for a "<bob> after the blip"

keys a F10
check "a quits with status 0" test "$(pane_dead a)" = 0
e2e_done
