#!/bin/sh
# chat-tui takes any message up to its documented limit (TUI_FRAME_MAX,
# 16 MiB), not just what a server queues by default (issue 9 item 3): a
# rooms reply of 8,000 long names (1.4 MB of JSON) keeps it connected and
# lists every room; one byte over the limit is refused with a message.
# The replies come from e2e-server.py, as chat-server sends them only
# with raised limits and thousands of members.
. "$(dirname "$0")/e2elib.sh"
e2e_init

SERVER_PORT=$(free_port)
"$E2E_PY" "$E2E_DIR/e2e-server.py" "$SERVER_PORT" 8000 \
    >"$E2E_TMP/fake.out" 2>&1 &
E2E_PIDS="$E2E_PIDS $!"
wait_listening() {
	_end=$(($(now_ms) + $(scaled_ms 10)))
	while [ "$(now_ms)" -lt "$_end" ]; do
		grep -q '^listening$' "$E2E_TMP/fake.out" && return 0
		sleep 0.05
	done
	diag <"$E2E_TMP/fake.out"
	return 1
}
wait_listening || bail "e2e-server.py did not start"

tui_start a 100 30
check "connected" wait_row a -2 '\| connected \| id 1 \|'
# It is a version 1 server: hello is refused, said once, ids go on.
check "a v1 server is said so" wait_for a "127\.0\.0\.1:$SERVER_PORT speaks protocol version 1"
check "the refused hello is not shown as an error" lacks a "unknown action"
# The list arrives with the first reply; the last of 8,000 rooms is there.
check "the list arrives" wait_for a "^ 00000-é+"
keys a C-o End
check "the last of 8,000 rooms is listed" wait_for a "^.07999-é+"
check "still connected after the 1.4 MB reply" wait_row a -2 '\| connected \| id 1 \|'
rooms_sent() {
	_end=$(($(now_ms) + $(scaled_ms 15)))
	while [ "$(now_ms)" -lt "$_end" ]; do
		[ "$(grep -c '^rooms sent$' "$E2E_TMP/fake.out")" -ge "$1" ] &&
		    return 0
		sleep 0.1
	done
	return 1
}
check "the refreshes (every 5 s) are answered as big" rooms_sent 3
check "and it is still connected, with one id" wait_row a -2 '\| connected \| id 1 \|'
check "on its first connection" test "$(grep -c '^connection$' "$E2E_TMP/fake.out")" = 1

escape a
say a "/join huge"
# The client closes and comes back: the scripted server sees it twice.
connections() {
	_end=$(($(now_ms) + $(scaled_ms 20)))
	while [ "$(now_ms)" -lt "$_end" ]; do
		[ "$(grep -c '^connection$' "$E2E_TMP/fake.out")" -ge "$1" ] &&
		    return 0
		sleep 0.1
	done
	return 1
}
check "a 16 MiB + 1 message closes the connection" connections 2
keys a M-1
check "and says why" wait_for a "!! disconnected from 127\.0\.0\.1:$SERVER_PORT: message from server too" 10
check "then reconnects" wait_row a -2 '\| connected \| id 1 \|' 20
keys a F10
check "quits with status 0" test "$(pane_dead a)" = 0
e2e_done
