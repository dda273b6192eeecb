#!/bin/sh
# chat-bench against a fresh chat-server for about 2 s per scenario: every
# scenario must finish with zero losses (TAP).
: "${CHAT_SERVER_BIN:?}" "${CHAT_BENCH_BIN:?}"

if [ ! -x "$CHAT_SERVER_BIN" ] || [ ! -x "$CHAT_BENCH_BIN" ]; then
	echo "1..0 # SKIP chat-server or chat-bench not built"
	exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-smoke.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "1..6"

# a free port: nothing answers there, and our server then comes up on it
started=no
for try in 1 2 3 4 5 6 7 8 9 10; do
	port=$(awk -v s="$$$try" \
	    'BEGIN { srand(); print 20000 + (int(rand() * 30000) + s) % 30000 }')
	"$CHAT_BENCH_BIN" -p "$port" probe -t 0.05 >/dev/null 2>&1 && continue
	"$CHAT_SERVER_BIN" -l 127.0.0.1 -p "$port" --rate-limit 0 \
	    >"$work/server.log" 2>&1 &
	pid=$!
	if "$CHAT_BENCH_BIN" -p "$port" probe -t 10 >/dev/null 2>&1 &&
	    kill -0 "$pid" 2>/dev/null; then
		started=yes
		break
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
done
if [ $started = yes ]; then
	echo "ok 1 - chat-server accepts a connection on port $port"
else
	echo "not ok 1 - chat-server did not start"
	sed 's/^/# /' "$work/server.log"
	exit 0
fi

n=1
run() {
	name=$1
	shift
	n=$((n + 1))
	"$CHAT_BENCH_BIN" -p "$port" --server-pid "$pid" "$@" >"$work/out" 2>&1
	rc=$?
	line=$(grep '^scenario=' "$work/out" | tail -n 1)
	case "$rc $line" in
	"0 "*result=PASS*)
		case $line in
		*losses=*) case $line in *" losses=0 "*) ok=yes ;; *) ok=no ;; esac ;;
		*) ok=yes ;;
		esac ;;
	*) ok=no ;;
	esac
	if [ $ok = yes ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name (exit $rc)"
	fi
	sed 's/^/# /' "$work/out"
}

run "fanout: 2 rooms x 20 members, 2 senders, no loss" \
    fanout --rooms 2 --members 20 --senders 2 --window 8 -t 2 --drain 5
run "pm: 10 pairs ping-pong, no loss" pm --pairs 10 -t 2 --drain 5
pm_line=$line
run "rate: open loop 20k deliveries/s, no loss" \
    rate --rate 20000 --rooms 2 --members 50 --senders 2 -t 2 --drain 5
run "conn: 500 connections held" conn -n 500 -t 0.5

# The CPU split is read from /proc: the busiest server thread can use no
# more than the whole server, and the machine is somewhere in 1..100 %.
n=$((n + 1))
if echo "$pm_line" | awk '{
	for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	t = v["server_thread_max_pct"]; m = v["machine_busy_pct"]
	s = v["server_cpu_pct"]
	exit !(t != "" && m != "" && t > 0 && t <= s + 2 && m > 0 && m <= 100)
}'; then
	echo "ok $n - pm reports the busiest server thread and the machine's CPU"
else
	echo "not ok $n - pm CPU split missing or impossible: $pm_line"
fi
