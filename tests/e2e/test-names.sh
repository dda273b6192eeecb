#!/bin/sh
# Names (protocol version 2): two clients named by -n and by the config
# file chat and see each other's names in messages, the users pane and
# notices; /nick renames, a taken name is refused with the server's
# error; /msg takes a name.
. "$(dirname "$0")/e2elib.sh"
e2e_init
server_start

tui_start a 100 30 -n alice
# b's name comes from its config file.
tui_config b "# b" "name = bob"
tui_start b 100 30
connected a b
check "a is told its name" wait_for a "\* you are now known as alice"
check "b is told its name" wait_for b "\* you are now known as bob"
check "a's status bar has its name, and its id" wait_row a -2 "\| connected \| name alice \| id $A \|"
say a "/join lobby"
say b "/join lobby"
check "a sees both in the users pane, by name" wait_for a "$BD Users \(2\)$"
check "a's pane names bob" wait_for a "$BD bob$"
check "a's pane names itself" wait_for a "$BD alice \(you\)$"
check "a sees bob join by name" wait_for a " -- bob joined"
say a "hello bob"
check "b sees <alice>" wait_for b "<alice> hello bob"
check "a sees its own line as <alice>" wait_for a "<alice> hello bob"
check "no bare id as a sender" lacks b "<$A> "
say b "/nick alice"
check "a taken name is the server's error" wait_for b "!! name alice is taken"
say b "/nick bobby"
check "b is renamed" wait_for b "\* you are now known as bobby"
check "a is told of the rename" wait_for a "\* bob is now known as bobby"
say a "/msg BOBBY psst"
keys b M-a
check "/msg by name reaches b, shown by name" wait_for b "<- alice: psst"
check "b's conversation with a is @alice" wait_for b "$BD? ?@alice"
keys a F10
check "a quits with status 0" test "$(pane_dead a)" = 0
e2e_done
