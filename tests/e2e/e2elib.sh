# e2elib.sh: helpers of the end-to-end tests (sourced by tests/e2e/test-*.sh).
#
# Each test runs chat-server on a free loopback port and chat-tui in the
# panes of a private tmux server (its own socket, never the default one),
# types with send-keys and reads the screen with capture-pane, polling with a
# timeout rather than sleeping.  Output is TAP; everything started is stopped
# by the EXIT trap.  POSIX sh (make runs tests with $(SHELL)).
#
# Environment: CHAT_SERVER_BIN, CHAT_TUI_BIN (required),
# CHAT_TEST_TIMEOUT_SCALE (multiplies every timeout, e.g. for ASan),
# CHAT_E2E_KEEP=1 (keep the temporary directory), E2E_TERM (TERM of the
# next chat-tui started; default tmux-256color).

E2E_DIR=$(cd "$(dirname "$0")" && pwd)
E2E_PY=/usr/bin/python3
E2E_SCALE=${CHAT_TEST_TIMEOUT_SCALE:-1}
E2E_SOCK=chat-e2e-$$
E2E_N=0
E2E_FAILED=0
E2E_PIDS=
E2E_TMP=
SERVER_PID=
SERVER_PORT=

LANG=C.UTF-8
LC_ALL=C.UTF-8
export LANG LC_ALL

# ---------------------------------------------------------------- TAP

ok() {
	E2E_N=$((E2E_N + 1))
	echo "ok $E2E_N - $*"
}

not_ok() {
	E2E_N=$((E2E_N + 1))
	E2E_FAILED=$((E2E_FAILED + 1))
	echo "not ok $E2E_N - $*"
}

# diag TEXT...: TAP comments, one per line of the arguments or stdin.
diag() {
	if [ $# -gt 0 ]; then
		printf '%s\n' "$*"
	else
		cat
	fi | sed 's/^/# /'
}

# check DESC COMMAND...: ok if the command succeeds, else not ok.
check() {
	_d=$1
	shift
	if "$@"; then
		ok "$_d"
	else
		not_ok "$_d"
	fi
}

# skip_all REASON
skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# bail REASON: stop the whole script (e.g. a TUI did not even start).
bail() {
	echo "Bail out! $*"
	exit 1
}

# ---------------------------------------------------------------- time

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# scaled_ms SECONDS: the timeout in milliseconds, CHAT_TEST_TIMEOUT_SCALE
# applied.
scaled_ms() {
	awk -v t="$1" -v s="$E2E_SCALE" 'BEGIN { printf "%d\n", t * s * 1000 }'
}

# ---------------------------------------------------------------- setup

e2e_cleanup() {
	_rc=$?
	trap - EXIT INT TERM HUP
	for _p in $E2E_PIDS $SERVER_PID; do
		kill "$_p" 2>/dev/null
	done
	tmux_ kill-server 2>/dev/null
	# tmux leaves its socket behind: remove it once the server is gone.
	_s=${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$E2E_SOCK
	for _i in 1 2 3 4 5 6 7 8 9 10; do
		tmux_ list-sessions >/dev/null 2>&1 || break
		sleep 0.1
	done
	[ -S "$_s" ] && rm -f "$_s"
	for _p in $E2E_PIDS $SERVER_PID; do
		wait "$_p" 2>/dev/null
	done
	if [ -n "$E2E_TMP" ] && [ -z "$CHAT_E2E_KEEP" ]; then
		rm -rf "$E2E_TMP"
	fi
	exit $_rc
}

# e2e_init: check the tools, make the temporary directory, set the trap.
e2e_init() {
	command -v tmux >/dev/null 2>&1 || skip_all "tmux not installed"
	[ -x "$E2E_PY" ] || skip_all "$E2E_PY not installed"
	"$E2E_PY" -c 'import websockets' 2>/dev/null ||
	    skip_all "python3-websockets not installed"
	[ -x "${CHAT_SERVER_BIN:-}" ] || bail "CHAT_SERVER_BIN not set"
	[ -x "${CHAT_TUI_BIN:-}" ] || bail "CHAT_TUI_BIN not set"
	E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/chat-e2e.XXXXXX") ||
	    bail "mktemp failed"
	trap e2e_cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'echo "Bail out! terminated (watchdog: ${CHAT_E2E_DEADLINE:-120}s)"; exit 143' TERM
	# A watchdog, so a stuck test cannot hang make check.
	(
		trap 'kill $! 2>/dev/null; exit 0' TERM
		sleep "$(awk -v t="${CHAT_E2E_DEADLINE:-120}" -v s="$E2E_SCALE" \
		    'BEGIN { print t * s }')" &
		wait $!
		kill -TERM $$
	) &
	E2E_PIDS="$E2E_PIDS $!"
	# The options every pane needs, set before the first pane exists:
	# keep dead panes (for their exit status), let OSC 52 reach tmux's
	# buffers (so a leak would show), no tmux status line.
	cat >"$E2E_TMP/tmux.conf" <<-EOF
	set -g exit-empty off
	set -g remain-on-exit on
	set -g set-clipboard on
	set -g allow-rename on
	set -g automatic-rename off
	set -g status off
	set -g default-terminal tmux-256color
	set -g escape-time 10
	EOF
	tmux_ start-server || bail "tmux start-server failed"
	diag "tmux -L $E2E_SOCK, files in $E2E_TMP"
}

# e2e_done: the plan, and the exit status (the TAP driver uses the plan).
e2e_done() {
	e2e_sanitizer_reports
	echo "1..$E2E_N"
	[ "$E2E_FAILED" -eq 0 ]
}

tmux_() {
	tmux -u -L "$E2E_SOCK" -f "$E2E_TMP/tmux.conf" "$@"
}

# ---------------------------------------------------------------- server

free_port() {
	"$E2E_PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# port_open PORT: something accepts connections there.
port_open() {
	"$E2E_PY" -c 'import socket, sys
try:
	socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
except OSError:
	sys.exit(1)' "$1"
}

# server_start_on PORT [ARGS...]: start chat-server, wait until it listens.
# Returns 1 if it exited first (port taken).
server_start_on() {
	_port=$1
	shift
	"$CHAT_SERVER_BIN" -l 127.0.0.1 -p "$_port" "$@" \
	    >>"$E2E_TMP/server.log" 2>&1 &
	SERVER_PID=$!
	SERVER_PORT=$_port
	_end=$(($(now_ms) + $(scaled_ms 10)))
	while [ "$(now_ms)" -lt "$_end" ]; do
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			wait "$SERVER_PID" 2>/dev/null
			SERVER_PID=
			return 1
		fi
		if port_open "$_port"; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# server_start [ARGS...]: on a free port (SERVER_PORT), retrying on a race.
server_start() {
	for _i in 1 2 3 4 5; do
		if server_start_on "$(free_port)" "$@"; then
			return 0
		fi
	done
	diag <"$E2E_TMP/server.log"
	bail "chat-server did not start"
}

# server_restart [ARGS...]: chat-server again on SERVER_PORT, after
# server_kill (the port may take a moment to be free again).
server_restart() {
	_rend=$(($(now_ms) + $(scaled_ms 10)))
	while [ "$(now_ms)" -lt "$_rend" ]; do
		server_start_on "$SERVER_PORT" "$@" && return 0
		sleep 0.2
	done
	diag <"$E2E_TMP/server.log"
	return 1
}

# server_kill [SIGNAL]: stop it and reap it.
server_kill() {
	[ -n "$SERVER_PID" ] || return 0
	kill "-${1:-TERM}" "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=
}

# ---------------------------------------------------------------- clients

# tui_start NAME [COLS ROWS [ARGS...]]: chat-tui connected to our server in
# tmux session NAME (the pane is NAME too).  Its log and any sanitizer
# report go to the temporary directory.
tui_start() {
	_name=$1
	_cols=${2:-100}
	_rows=${3:-30}
	if [ $# -ge 3 ]; then
		shift 3
	else
		shift $#
	fi
	_asan="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$E2E_TMP/sanitizer-$_name"
	_ubsan="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$E2E_TMP/sanitizer-$_name"
	_cmd="exec env TERM=${E2E_TERM:-tmux-256color} LANG=C.UTF-8 LC_ALL=C.UTF-8"
	# tmux resumes a pane's own process when it stops: one to be frozen
	# (E2E_FREEZABLE) runs as the child of the pane's shell instead.
	[ -n "${E2E_FREEZABLE:-}" ] && _cmd=${_cmd#exec }
	_cmd="$_cmd CHAT_TUI_LOG='$E2E_TMP/tui-$_name.log'"
	# Each client its own session token and config, never the user's.
	_cmd="$_cmd XDG_STATE_HOME='$E2E_TMP/state-$_name'"
	_cmd="$_cmd XDG_CONFIG_HOME='$E2E_TMP/config-$_name'"
	_cmd="$_cmd ASAN_OPTIONS='$_asan' UBSAN_OPTIONS='$_ubsan'"
	_cmd="$_cmd '$CHAT_TUI_BIN' -s 127.0.0.1:$SERVER_PORT"
	for _a in "$@"; do
		_cmd="$_cmd '$_a'"
	done
	[ -n "${E2E_FREEZABLE:-}" ] && _cmd="$_cmd; exit \$?"
	tmux_ new-session -d -s "$_name" -n "$_name" -x "$_cols" -y "$_rows" \
	    "$_cmd" ||
	    bail "tmux new-session $_name failed"
}

# tui_config NAME LINE...: the config file of chat-tui NAME (each has its
# own, see tui_start), to be read when it starts.
tui_config() {
	_cd=$E2E_TMP/config-$1/chat-tui
	shift
	mkdir -p "$_cd"
	printf '%s\n' "$@" >"$_cd/config"
}

# tui_pid NAME: the pid of chat-tui in pane NAME (started E2E_FREEZABLE:
# the child of the pane's shell).
tui_pid() {
	_pp=$(tmux_ display -p -t "=$1:" '#{pane_pid}')
	ps -o pid= --ppid "$_pp" | tr -d ' '
}

# pyclient NAME STEP...: e2e-client.py in the background (see there),
# its output in $E2E_TMP/NAME.out; the pid is stopped at exit.
pyclient() {
	_name=$1
	shift
	"$E2E_PY" "$E2E_DIR/e2e-client.py" "$SERVER_PORT" "$@" \
	    >"$E2E_TMP/$_name.out" 2>&1 &
	E2E_PIDS="$E2E_PIDS $!"
	eval "PY_$_name=$!"
}

# pyclient_wait NAME [TIMEOUT]: until it printed "done"; fails if it exited
# without.
pyclient_wait() {
	_end=$(($(now_ms) + $(scaled_ms "${2:-10}")))
	while [ "$(now_ms)" -lt "$_end" ]; do
		grep -q '^done$' "$E2E_TMP/$1.out" 2>/dev/null && return 0
		eval "kill -0 \$PY_$1" 2>/dev/null || break
		sleep 0.05
	done
	grep -q '^done$' "$E2E_TMP/$1.out" 2>/dev/null && return 0
	diag "python client $1:"
	diag <"$E2E_TMP/$1.out"
	return 1
}

# pyclient_id NAME: its user id (after pyclient_wait).
pyclient_id() {
	sed -n 's/^id //p' "$E2E_TMP/$1.out"
}

# ---------------------------------------------------------------- screen

# capture PANE: the visible screen, one line per row.
capture() {
	tmux_ capture-pane -p -t "=$1:"
}

# row PANE N: row N of the screen (1 = top; negative counts from the
# bottom, -1 = the input line, -2 = the status bar).
row() {
	capture "$1" | awk -v n="$2" '{ l[NR] = $0 }
	    END { if (n < 0) n = NR + 1 + n; print l[n] }'
}

status_bar() {
	row "$1" -2
}

input_line() {
	row "$1" -1
}

# wait_for PANE REGEX [TIMEOUT]: until the screen matches the extended
# regular expression (default 10 s).  On timeout, show the screen.
wait_for() {
	_end=$(($(now_ms) + $(scaled_ms "${3:-10}")))
	while :; do
		if capture "$1" | grep -Eq -- "$2"; then
			return 0
		fi
		[ "$(now_ms)" -lt "$_end" ] || break
		sleep 0.05
	done
	diag "timed out after ${3:-10}s waiting for /$2/ in $1; screen:"
	show "$1"
	return 1
}

# wait_row PANE N REGEX [TIMEOUT]: the same for one row (see row).
wait_row() {
	_end=$(($(now_ms) + $(scaled_ms "${4:-10}")))
	while :; do
		if row "$1" "$2" | grep -Eq -- "$3"; then
			return 0
		fi
		[ "$(now_ms)" -lt "$_end" ] || break
		sleep 0.05
	done
	diag "timed out after ${4:-10}s waiting for /$3/ in row $2 of $1:"
	show "$1"
	return 1
}

# wait_count PANE REGEX N [TIMEOUT]: until at least N rows match.
wait_count() {
	_end=$(($(now_ms) + $(scaled_ms "${4:-10}")))
	while :; do
		_c=$(capture "$1" | grep -Ec -- "$2")
		[ "$_c" -ge "$3" ] && return 0
		[ "$(now_ms)" -lt "$_end" ] || break
		sleep 0.05
	done
	diag "timed out after ${4:-10}s waiting for $3 rows /$2/ in $1 ($_c):"
	show "$1"
	return 1
}

# wait_gone PANE REGEX [TIMEOUT]: until the screen no longer matches.
wait_gone() {
	_end=$(($(now_ms) + $(scaled_ms "${3:-10}")))
	while :; do
		if ! capture "$1" | grep -Eq -- "$2"; then
			return 0
		fi
		[ "$(now_ms)" -lt "$_end" ] || break
		sleep 0.05
	done
	diag "timed out after ${3:-10}s waiting for /$2/ to go from $1:"
	show "$1"
	return 1
}

# matches_are PANE REGEX FILE: what on the screen matches REGEX (grep -o),
# in order, is exactly the lines of FILE.  If not, that and the screen as
# diagnostics.
matches_are() {
	capture "$1" | grep -oE -- "$2" >"$E2E_TMP/got"
	cmp -s "$3" "$E2E_TMP/got" && return 0
	diag <"$E2E_TMP/got"
	show "$1"
	return 1
}

# lacks PANE REGEX: the screen does not match (now).
lacks() {
	if capture "$1" | grep -Eq -- "$2"; then
		diag "/$2/ unexpectedly on the screen of $1:"
		show "$1"
		return 1
	fi
	return 0
}

# show PANE: the screen as TAP comments, framed so trailing blanks show.
show() {
	capture "$1" | sed 's/^/|/; s/$/|/' | diag
}

# layout PANE [ARGS...]: e2e-screen.py layout on the current screen (the
# pane size is passed); prints the border columns found.
layout() {
	_size=$(tmux_ display -p -t "=$1:" '#{pane_width} #{pane_height}')
	_lp=$1
	shift
	# shellcheck disable=SC2086
	capture "$_lp" | "$E2E_PY" "$E2E_DIR/e2e-screen.py" layout $_size "$@"
}

# layout_ok PANE [ARGS...]: layout, quiet when it holds, else the reasons
# and the screen as diagnostics.
layout_ok() {
	if layout "$@" >"$E2E_TMP/layout.out" 2>&1; then
		return 0
	fi
	diag <"$E2E_TMP/layout.out"
	show "$1"
	return 1
}

# wait_layout PANE COLS ROWS PANES: until the pane has the size (a resize
# is asynchronous) and layout holds with PANES borders.
wait_layout() {
	_end=$(($(now_ms) + $(scaled_ms 10)))
	while :; do
		if [ "$(tmux_ display -p -t "=$1:" '#{pane_width}x#{pane_height}')" = "$2x$3" ] &&
		    layout "$1" --panes "$4" >"$E2E_TMP/layout.out" 2>&1; then
			return 0
		fi
		[ "$(now_ms)" -lt "$_end" ] || break
		sleep 0.05
	done
	diag "layout of $1 at $2x$3 with $4 borders:"
	diag <"$E2E_TMP/layout.out"
	show "$1"
	return 1
}

# keys PANE KEY...: tmux key names (Enter, F2, C-q, M-j...).
keys() {
	_p=$1
	shift
	tmux_ send-keys -t "=$_p:" "$@"
}

# escape PANE: the Esc key alone.  A key right after it would make it
# Alt-key (curses waits ESCDELAY for one), so wait longer than that: the
# one fixed sleep, as this is decided by time in the program too.
escape() {
	keys "$1" Escape
	sleep 0.15
}

# type_ PANE TEXT: literal text.
type_() {
	tmux_ send-keys -t "=$1:" -l -- "$2"
}

# say PANE TEXT: type a line and press Enter.
say() {
	type_ "$1" "$2"
	keys "$1" Enter
}

# own_id PANE: the id in the status bar, once connected (empty if not).
own_id() {
	wait_row "$1" -2 '\| id [0-9]+ ' 10 >/dev/null &&
	    status_bar "$1" | sed -n 's/.*| id \([0-9][0-9]*\) .*/\1/p'
}

# connected PANE...: each chat-tui PANE connected, its id in the variable
# named PANE in capitals ($A for a); bail if one did not.
connected() {
	for _cp in "$@"; do
		_id=$(own_id "$_cp")
		[ -n "$_id" ] || bail "$_cp did not connect"
		eval "$(printf %s "$_cp" | tr a-z A-Z)=\$_id"
	done
}

# join_lobby PANE...: each joins room lobby; bail unless the first then
# shows all of them in its users pane.
join_lobby() {
	for _jp in "$@"; do
		say "$_jp" "/join lobby"
	done
	wait_for "$1" "$BD Users \($#\)$" || bail "not all of $* joined lobby"
}

# two_in_lobby: TUIs a and b connected, their ids in $A and $B, both in
# room lobby and a seeing the two of them.
two_in_lobby() {
	tui_start a
	tui_start b
	connected a b
	join_lobby a b
}

# pane_dead PANE [TIMEOUT]: until the pane's process exited; prints its
# exit status.
pane_dead() {
	_end=$(($(now_ms) + $(scaled_ms "${2:-10}")))
	while :; do
		_st=$(tmux_ display -p -t "=$1:" \
		    '#{pane_dead} #{pane_dead_status}#{?pane_dead_signal,signal #{pane_dead_signal},}')
		# pane_dead is set at EOF on the pty, the status only once
		# tmux has reaped the process: wait for both.  tmux 3.3a
		# sometimes leaves the exited process a zombie until another
		# child of its exits (a lost SIGCHLD, seen with chat-tui, a
		# threaded program): a run-shell job makes it reap again.
		case $_st in
		"1 ")
			tmux_ run-shell true 2>/dev/null
			;;
		"1 "*)
			echo "${_st#1 }"
			return 0
			;;
		esac
		[ "$(now_ms)" -lt "$_end" ] || break
		sleep 0.05
	done
	diag "$1 still running after ${2:-10}s ($_st):" >&2
	_pp=$(tmux_ display -p -t "=$1:" '#{pane_pid}')
	ps -o pid,ppid,stat,etime,args -p "$_pp" 2>&1 | diag >&2
	return 1
}

# e2e_sanitizer_reports: a test fails if a sanitizer wrote a report.
e2e_sanitizer_reports() {
	_found=
	for _f in "$E2E_TMP"/sanitizer-*; do
		[ -e "$_f" ] || continue
		_found=1
		diag "sanitizer report $_f:"
		diag <"$_f"
	done
	if [ -n "$_found" ]; then
		not_ok "no sanitizer reports from chat-tui"
	fi
}

# A pane border as captured: ACS_VLINE (tmux -u turns it into U+2502).
BD='[│x]'
