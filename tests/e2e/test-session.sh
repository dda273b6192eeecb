#!/bin/sh
# chat-tui says hello on every connection and keeps its session token per
# server in $XDG_STATE_HOME/chat-tui/ (mode 0600): it is the same user,
# same id, after a restart of chat-tui, after a reconnect, and after a
# restart of a server that keeps its state (--db).
. "$(dirname "$0")/e2elib.sh"
e2e_init
server_start --db "$E2E_TMP/chat.db"
PORT=$SERVER_PORT
TOKEN="$E2E_TMP/state-a/chat-tui/token-127.0.0.1_$PORT"

tui_start a
A=$(own_id a)
check "a connected (id $A)" test -n "$A"
check "the token is saved" test -s "$TOKEN"
check "the token file is mode 0600" test "$(stat -c %a "$TOKEN")" = 600
check "the token is a token (43 characters)" test "$(head -n 1 "$TOKEN" | tr -d '\n' | wc -c)" = 43
tui_start b
B=$(own_id b)
check "b is someone else (id $B)" test -n "$B" -a "$B" != "$A"

keys a F10
check "a quits" test "$(pane_dead a)" = 0
tmux_ kill-session -t a
tui_start a
check "restarted chat-tui is id $A again" wait_row a -2 "\| connected \| id $A \|" 10
say a "/join lobby"
check "a is in lobby" wait_row a -2 "\| id $A \| room lobby \|" 10

server_kill TERM
check "a sees the server go" wait_row a -2 "\| disconnected \|" 10
check "server restarted on the same --db" server_restart --db "$E2E_TMP/chat.db"
check "after the server restart a is id $A again, back in lobby" wait_row a -2 "\| connected \| id $A \| room lobby \|" 20
check "and b is id $B again" wait_row b -2 "\| connected \| id $B \|" 20
check "one token file each" test "$(ls "$E2E_TMP/state-a/chat-tui" | wc -l)" = 1

keys a F10
check "a quits with status 0" test "$(pane_dead a)" = 0
e2e_done
