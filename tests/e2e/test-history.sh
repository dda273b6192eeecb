#!/bin/sh
# History survives a server restart on the same --db: a new client sees the
# room's history on joining, above "-- end of history --", and an old one
# comes back under its own name with nothing shown twice (issue 12).
. "$(dirname "$0")/e2elib.sh"
e2e_init
server_start --db "$E2E_TMP/chat.db"

tui_start a 100 30 -n alice
tui_start b 100 30 -n bob
connected a b
say a "/join lobby"
check "a is in lobby, named" wait_row a -2 "\| name alice \| id $A \| room lobby \|" 10
check "a's new room has no history" lacks a "end of history"
say b "/join lobby"
check "a sees bob join" wait_for a " -- bob joined"
say a "line 1"
check "bob sees line 1" wait_for b "<alice> line 1"
say b "line 2"
check "a sees line 2" wait_for a "<bob> line 2"
say a "line 3"
check "bob sees line 3" wait_for b "<alice> line 3"

server_kill TERM
check "a sees the server go" wait_row a -2 "\| disconnected \|" 10
check "server restarted on the same --db" server_restart --db "$E2E_TMP/chat.db"
check "a is back as alice, id $A, in lobby" wait_row a -2 "\| connected \| name alice \| id $A \| room lobby \|" 20
check "a missed nothing, and says so" wait_for a "-- no messages while disconnected --" 10
check "a's lines are not shown twice" test "$(capture a | grep -c "<alice> line 1")" = 1
check "and no history was lost" lacks a "history was lost"

tui_start c 100 30 -n carol
C=$(own_id c)
check "c connected (id $C)" test -n "$C"
say c "/join lobby"
check "c sees the history above the marker" wait_for c "-- end of history --" 10
# Exactly: the history, the marker, then c's own join.
printf '%s\n' "<alice> line 1" "<bob> line 2" "<alice> line 3" \
    "-- end of history --" "you joined lobby" >"$E2E_TMP/want"
check "c's screen: the history in order, the marker, the join" \
    matches_are c "<(alice|bob)> line [0-9]|-- end of history --|you joined lobby" \
    "$E2E_TMP/want"
say a "line 4"
check "c sees a live line under its name" wait_for c "<alice> line 4"

keys a F10
check "a quits with status 0" test "$(pane_dead a)" = 0
e2e_done
