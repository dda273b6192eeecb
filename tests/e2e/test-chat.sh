#!/bin/sh
# Three chat-tui in tmux chatting through one chat-server: ids, /join, F2
# and Alt-j joining, the users and message panes following, room messages,
# private messages (seen by the recipient only), F3 leave, F4's prompt.
. "$(dirname "$0")/e2elib.sh"
e2e_init
server_start

tui_start a
tui_start b
tui_start c

A=$(own_id a)
B=$(own_id b)
C=$(own_id c)
if [ -n "$A" ] && [ -n "$B" ] && [ -n "$C" ] &&
    [ "$A" != "$B" ] && [ "$B" != "$C" ] && [ "$A" != "$C" ]; then
	ok "each TUI shows its own, distinct id in the status bar ($A $B $C)"
else
	not_ok "each TUI shows its own id in the status bar ('$A' '$B' '$C')"
	show a
	bail "no ids"
fi
check "status bar says connected" wait_row a -2 "^127\.0\.0\.1:$SERVER_PORT \| connected \| id $A \|.*F1 help$"
check "the left pane lists status, shown (>)" wait_for a "^>status +$BD"

# /join
say a "/join lobby"
check "/join: status bar shows the room" wait_row a -2 "\| id $A \| room lobby \|"
check "/join: 'you joined' in the message pane" wait_for a "^ +$BD [0-9]{2}:[0-9]{2} -- you joined lobby "
check "/join: the room is listed and shown (>)" wait_for a "^>lobby +$BD"
check "/join: the users pane lists only me" wait_for a "$BD Users \(1\)$"
check "/join: own id marked (you)" wait_for a "$BD $A \(you\)$"

# F2 prompts for a room name.
keys b F2
check "F2 prompts 'join room: '" wait_row b -1 '^join room: ?$'
say b lobby
check "F2: b joined lobby" wait_row b -2 "\| id $B \| room lobby \|"
check "a sees b join in the message pane" wait_for a " -- $B joined "
check "a's users pane updates to 2" wait_for a "$BD Users \(2\)$"
check "a's users pane lists b" wait_for a "$BD $B$"
b_users() { wait_for b "$BD $A$" && wait_for b "$BD $B \(you\)$"; }
check "b's users pane lists a and b (you)" b_users

# Alt-j: the same prompt.
keys c M-j
check "Alt-j prompts 'join room: '" wait_row c -1 '^join room: ?$'
say c lobby
check "Alt-j: c joined lobby" wait_row c -2 "\| room lobby \|"
check "a's users pane updates to 3" wait_for a "$BD Users \(3\)$"

# A room message reaches everyone, the sender included.
say a "hello from a"
check "room message shown to the sender" wait_for a "<$A> hello from a"
check "room message shown to b" wait_for b "[0-9]{2}:[0-9]{2} <$A> hello from a"
check "room message shown to c" wait_for c "<$A> hello from a"
say b "and hello from b, with some accents: héllo wörld"
check "b's reply shown to a (UTF-8 intact)" wait_for a "<$B> and hello from b, with some accents: héllo wörld"

# A private message: recipient and sender see it, the third does not;
# each in its own conversation, and /msg does not move the sender's view.
say a "/msg $B psst secret-$$"
check "the PM gets an @id entry with an unread count in the recipient's left pane" wait_for b "^ @$A \(1\) +$BD"
check "the PM is not shown in the recipient's room" lacks b "psst secret-$$"
check "/msg keeps the sender's view on the room (title)" wait_for a "^ Chats +$BD  lobby +$BD"
check "...and its left pane" wait_for a "^>lobby +$BD"
check "...and the echo is not in the room" lacks a "psst secret-$$"
say a "still to the room-$$"
check "the next plain line goes to the room" wait_for c "<$A> still to the room-$$"
say a "/query $B"
check "/query shows the conversation with the echo (-> id: text)" wait_for a "-> $B: psst secret-$$"
check "...selected in a's left pane" wait_for a "^>@$B +$BD"
keys b M-a
check "Alt-a on b: the conversation with unread messages shown" wait_for b "^>@$A +$BD"
check "PM shown in the recipient's conversation (<- id: text)" wait_for b "<- $A: psst secret-$$"
check "...and no longer unread in the status bar" wait_row b -2 "\| room lobby \| F1 help$"
keys b M-2
check "Alt-2 on b: back to lobby" wait_for b "^>lobby +$BD"

# Per sender, messages arrive in order: once c has a's next room message,
# the PM would have arrived before it if it had been sent to c.
keys a M-2
check "Alt-2 shows the room again" wait_for a "^>lobby +$BD"
say a "after the pm"
check "c gets a's next room message" wait_for c "<$A> after the pm"
check "the PM is NOT shown in the third client's pane" lacks c "secret-$$"
check "the third client has no @id entry" lacks c "^[ >]@"

# F4 asks for an id.
keys c F4
check "F4 prompts 'message (name or id): '" wait_row c -1 '^message \(name or id\): ?$'
escape c
check "Esc cancels the prompt" wait_row c -1 '^> ?$'

# F3 leaves; the others are told.
keys b F3
check "F3: b's status bar shows no room (no empty field)" wait_row b -2 "\| id $B \| (unread .* \| )?F1 help$"
check "F3: a is told b left" wait_for a "(-- |, )$B left"
check "F3: c is told b left" wait_for c "(-- |, )$B left"
check "F3: a's users pane back to 2" wait_for a "$BD Users \(2\)$"
check "F3: c's users pane back to 2" wait_for c "$BD Users \(2\)$"

# Typing while not in a room says so.
keys b M-1
say b "nobody hears this"
check "text outside a room is refused with a notice" wait_for b "\* .*(not in a room|join a room)"

# A room made by a client that is not a TUI: no notification reaches a
# (it is in another room), the 5 s refresh brings it.
pyclient maker join "py-room-$$" linger
check "python client created py-room-$$" pyclient_wait maker
M=$(pyclient_id maker)
check "a's rooms pane shows the room another client created" wait_for a "^ py-room-$$ +$BD" 8
say a "/rooms"
check "/rooms lists it" wait_for a "\* rooms: .*py-room-$$"
say a "/who py-room-$$"
check "/who ROOM lists its member" wait_for a "\* in py-room-$$: $M"
kill "$PY_maker"
check "the room leaves a's rooms pane once emptied" wait_gone a "^ py-room-$$ +$BD" 8

for p in a b c; do
	if layout "$p" --panes 2 >/dev/null; then
		ok "layout of $p holds"
	else
		not_ok "layout of $p holds"
		show "$p"
	fi
done

e2e_done
