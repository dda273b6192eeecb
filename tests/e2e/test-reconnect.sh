#!/bin/sh
# The server goes away and comes back on the same port: chat-tui says
# "disconnected", reconnects by itself (backoff), rejoins its room and
# resyncs its panes -- after a crash (SIGKILL, no close frame) and after a
# clean shutdown (SIGTERM, close frames).
. "$(dirname "$0")/e2elib.sh"
e2e_init
server_start
PORT=$SERVER_PORT

two_in_lobby
say a "before the restart"
check "chatting before the restart" wait_for b "<$A> before the restart"

round() {
	_sig=$1
	server_kill "$_sig"
	check "$_sig: a's status bar says disconnected" wait_row a -2 "^127\.0\.0\.1:$PORT \| disconnected \|.*F1 help$" 10
	check "$_sig: b's status bar says disconnected" wait_row b -2 "\| disconnected \|" 10
	# Still drawn and usable while down.
	check "$_sig: layout holds while disconnected" layout_ok a --panes 2
	say a "typed while down"
	# An answer only a live client draws (the input row read "> "
	# before typing too).
	say a "/down-$_sig"
	check "$_sig: typing while down does not lose the TUI" wait_for a "\* unknown command: /down-$_sig "
	DOWN=$((DOWN + 1))
	check "$_sig: the line typed while down is answered" wait_count a "\* not connected to 127\.0\.0\.1:$PORT" $DOWN
	sleep 1	# let a retry or two fail
	check "$_sig: server restarted on the same port" server_restart
	check "$_sig: a reconnects by itself" wait_row a -2 "^127\.0\.0\.1:$PORT \| connected \| id [0-9]+ " 20
	check "$_sig: b reconnects by itself" wait_row b -2 "\| connected \| id [0-9]+ " 20
	check "$_sig: a rejoined lobby" wait_row a -2 "\| connected \| id [0-9]+ \| room lobby \|" 10
	check "$_sig: b rejoined lobby" wait_row b -2 "\| connected \| id [0-9]+ \| room lobby \|" 10
	A=$(status_bar a | sed -n 's/.*| id \([0-9][0-9]*\) .*/\1/p')
	B=$(status_bar b | sed -n 's/.*| id \([0-9][0-9]*\) .*/\1/p')
	check "$_sig: a's users pane resynced (both, new ids $A $B)" wait_for a "$BD Users \(2\)$"
	check "$_sig: a's users pane shows its new id" wait_for a "$BD $A \(you\)$"
	check "$_sig: b's users pane shows a's new id" wait_for b "$BD $A$"
	say a "after the $_sig restart"
	check "$_sig: messages flow again" wait_for b "<$A> after the $_sig restart"
	check "$_sig: the old messages are still shown" wait_for b "<[0-9]+> before the restart"
}
DOWN=0
round KILL
round TERM

keys a F10
check "a quits with status 0 after all that" test "$(pane_dead a)" = 0

e2e_done
