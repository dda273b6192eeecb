#!/bin/sh
# Being told (issue 12): a line naming you is highlighted and so is its
# conversation in the left pane (a hotlist level above unread, private
# messages too), Alt-a goes there first; a mention or a private message
# out of view rings the terminal bell (tmux's window bell flag), never
# with bell = off or in view; a second chat-tui resuming the same session
# replaces the first, which says so and does not reconnect until
# /reconnect.
. "$(dirname "$0")/e2elib.sh"
e2e_init
server_start

# attrs PANE TEXT: the attributes of the first character of TEXT on the
# screen (capture-pane -e), e.g. "bold reverse fg=5"; empty if not there.
# tmux carries attributes from one row to the next.
attrs() {
	tmux_ capture-pane -e -p -t "=$1:" | "$E2E_PY" -c '
import re, sys
want = sys.argv[1]
st = {}
for line in sys.stdin.read().split("\n"):
	chars = []
	for tok in re.split(r"(\x1b\[[0-9;]*m)", line):
		m = re.fullmatch(r"\x1b\[([0-9;]*)m", tok)
		if not m:
			chars += [(c, dict(st)) for c in tok]
			continue
		codes = [int(c) if c else 0 for c in m.group(1).split(";")]
		while codes:
			c = codes.pop(0)
			if c == 0:
				st = {}
			elif c in (1, 7):
				st[{1: "bold", 7: "reverse"}[c]] = True
			elif c == 22:
				st.pop("bold", None)
			elif c == 27:
				st.pop("reverse", None)
			elif 30 <= c <= 37:
				st["fg"] = c - 30
			elif c == 38 and codes[:1] == [5]:
				st["fg"] = codes[1]
				codes = codes[2:]
			elif c == 39:
				st.pop("fg", None)
			elif c == 48 and codes[:1] == [5]:
				codes = codes[2:]
	at = "".join(c for c, _ in chars).find(want)
	if at >= 0:
		a = chars[at][1]
		print(" ".join([k for k in ("bold", "reverse") if k in a] +
		    (["fg=%d" % a["fg"]] if "fg" in a else [])))
		break
' "$2"
}

# attrs_are PANE TEXT WANT: attrs says exactly WANT.
attrs_are() {
	_got=$(attrs "$1" "$2")
	[ "$_got" = "$3" ] && return 0
	diag "attributes of \"$2\" on $1: \"$_got\", not \"$3\""
	return 1
}

bell_flag() {
	tmux_ display -p -t "=$1:" '#{window_bell_flag}'
}

# wait_bell PANE: until tmux saw a bell in its window.
wait_bell() {
	_end=$(($(now_ms) + $(scaled_ms 10)))
	while [ "$(bell_flag "$1")" != 1 ]; do
		if [ "$(now_ms)" -ge "$_end" ]; then
			diag "no bell from $1"
			return 1
		fi
		sleep 0.05
	done
}

tui_start a 100 30 -n alice
tui_start b 100 30 -n bob
# carol does not want the bell (config file).
tui_config c "name = carol" "bell = off"
tui_start c 100 30
connected a b c
join_lobby a b c
check "tmux watches for bells" test "$(tmux_ show -gwv monitor-bell)" = on
check "no bell yet on a" test "$(bell_flag a)" = 0

# a and c read the status buffer; b's lines to lobby are out of view.
keys a M-1
keys c M-1
wait_for a "^>status" && wait_for c "^>status"
say b "plain words"
check "a: lobby unread, plain" wait_for a "^ lobby \(1\) +$BD"
check "a plain unread entry is bold yellow" attrs_are a "lobby (1)" "bold fg=3"
check "a plain line rings no bell" test "$(bell_flag a)" = 0
say b "hi ALICE, look"
check "a: lobby has 2 unread" wait_for a "^ lobby \(2\) +$BD"
check "the entry is highlighted: bold reverse magenta" attrs_are a "lobby (2)" "bold reverse fg=5"
check "a's window rang the bell" wait_bell a

# c, named in the same way with bell = off: highlighted, no bell.
say b "carol: you too"
check "c: lobby highlighted" wait_for c "^ lobby \(3\) +$BD"
check "c's entry is highlighted too" attrs_are c "lobby (3)" "bold reverse fg=5"
say a "/msg carol psst"
check "c: the private message from alice is highlighted" wait_for c "^ @alice \(1\) +$BD"
check "c's @alice entry: reverse magenta" attrs_are c "@alice (1)" "bold reverse fg=5"
# b's next line is drawn after anything that would have rung.
say b "sync c"
wait_for c "^ lobby \(4\) +$BD"
check "bell = off: no bell from c" test "$(bell_flag c)" = 0

# b reads lobby: a mention in view is highlighted but rings nothing.
say a "bob: in view"
check "b sees the mention" wait_for b "<alice> bob: in view"
check "b: the sender of a line naming b stands out" attrs_are b "<alice> bob: in" "bold reverse fg=5"
check "b: the text of it is bold" attrs_are b "bob: in view" "bold"
say a "sync b"
wait_for b "<alice> sync b"
check "b: a line not naming b is plain" attrs_are b "sync b" ""
check "in view: no bell from b" test "$(bell_flag b)" = 0

# a: a private message is a highlight; Alt-a: highlights first, in list
# order (lobby, then @bob), then plain unread; a's lines are all read.
say b "/msg alice psst"
check "a: @bob highlighted" wait_for a "^ @bob \(1\) +$BD"
check "a's @bob entry: reverse magenta" attrs_are a "@bob (1)" "bold reverse fg=5"
keys a M-a
check "Alt-a: lobby first (a highlight)" wait_for a "^>lobby +$BD"
check "a: the mention is highlighted" attrs_are a "<bob> hi ALICE" "bold reverse fg=5"
check "a: the plain line is not" attrs_are a "plain words" ""
keys a M-a
check "Alt-a: then @bob" wait_for a "^>@bob +$BD"
check "a: the private line is there" wait_for a "<- bob: psst"

# A second chat-tui with a's session token replaces a: a says so, holds,
# and takes the session back on /reconnect.
cp -r "$E2E_TMP/state-a" "$E2E_TMP/state-a2"
tui_start a2 100 30
check "a2 resumes a's session (id $A)" wait_row a2 -2 "\| connected \| name alice \| id $A \|"
check "a says it was replaced" wait_for a "replaced by another connection to this session; not"
check "a: the status bar says replaced" wait_row a -2 "^127\.0\.0\.1:$SERVER_PORT \| replaced \| F1 help$"
keys a M-1
check "a: and so does the status buffer" wait_for a "!! -- replaced by another connection to this session; not"
# Retries start after 250 ms at most: a held one has had several chances.
sleep "$(awk -v s="$E2E_SCALE" 'BEGIN { print 1.5 * s }')"
check "a did not reconnect" wait_row a -2 "\| replaced \|" 1
check "a2 is still connected" wait_row a2 -2 "\| connected \| name alice \| id $A \|" 1
lacks a2 "replaced by another" && ok "a2 was not replaced back" ||
    not_ok "a2 was not replaced back"
say a "/reconnect"
check "/reconnect: a is back" wait_row a -2 "\| connected \| name alice \| id $A \|"
check "and a2 is replaced in turn" wait_for a2 "replaced by another connection to this session; not"
check "a2 holds" wait_row a2 -2 "\| replaced \|"
keys a F10
check "a quits with status 0" test "$(pane_dead a)" = 0
keys a2 F10
check "a2 quits with status 0" test "$(pane_dead a2)" = 0
e2e_done
