#!/bin/bash
# Run the issue 5 scenarios with chat-bench against chat-server and the
# reference peers (Go, Node; ../shared/peers), alternating server by server
# inside each scenario so machine noise falls on all of them alike, and
# print the ratios.  Each server is started fresh for each scenario on a
# free port.  Raw results go to a directory under /tmp, never the repo.
#
#   bench-compare.sh [--servers "chat-server go node"] [--duration S]
#                    [--rounds N] [--scenarios "fanout-1x1000 ..."]
#
# chat-server-v2 is chat-server in memory with protocol version 2 clients
# (hello; seq checked), chat-server-db the same on an SQLite database
# (--db, issue 11); their ratios to each other are printed at the end.
# Clusters (issue 13, not in the default list): chat-server-redis (1 node
# on a redis-server of its own), chat-server-redis2 (2 nodes),
# node-cluster (the Node.js + ioredis peer, 2 nodes); chat-bench spreads
# its connections over the nodes (-P) and counts the CPU of the nodes and
# redis-server together (--server-pid).
#
# Environment: CHAT_SERVER_BIN, CHAT_BENCH_BIN (set by `make bench`),
# PEERS_DIR (default: ../shared/peers next to the work tree).
set -u

here=$(cd "$(dirname "$0")" && pwd)
servers="chat-server chat-server-v2 chat-server-db go node"
# issue 13: the clusters, against the Node.js cluster peer
servers="$servers chat-server-redis chat-server-redis2 node-cluster"
duration=10
rounds=1
scenarios="fanout-1x1000 fanout-10x100 fanout-100x2 pm-50 rate-100k conn-10k conn-19k"
while [ $# -gt 0 ]; do
	case $1 in
	--servers) servers=$2; shift 2 ;;
	--duration) duration=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--scenarios) scenarios=$2; shift 2 ;;
	*) echo "usage: $0 [--servers LIST] [--duration S] [--rounds N]" \
	       "[--scenarios LIST]" >&2; exit 2 ;;
	esac
done

CHAT_SERVER_BIN=${CHAT_SERVER_BIN:-$here/../../server/chat-server}
CHAT_BENCH_BIN=${CHAT_BENCH_BIN:-$here/chat-bench}
PEERS_DIR=${PEERS_DIR:-$here/../../../shared/peers}
work=$(mktemp -d /tmp/chat-bench-results.XXXXXX)

die() { echo "bench-compare: $*" >&2; exit 1; }
[ -x "$CHAT_BENCH_BIN" ] || die "no chat-bench at $CHAT_BENCH_BIN"
case " ${BENCH_CFLAGS:-} " in
*-O0*) echo "bench-compare: WARNING: built with '$BENCH_CFLAGS';" \
	"configure without --enable-debug for figures that mean anything" >&2 ;;
esac

# Build the peers in /tmp as their README says; skip one that cannot be.
peer_setup() {
	case $1 in
	chat-server|chat-server-v2|chat-server-db)
		[ -x "$CHAT_SERVER_BIN" ] || { echo "no $CHAT_SERVER_BIN" >&2; return 1; } ;;
	go)
		command -v go >/dev/null || { echo "go peer skipped: apt-get install -y" \
		    "golang-go golang-github-gorilla-websocket-dev" >&2; return 1; }
		if [ ! -x /tmp/peer-go/chatserver ] || \
		    [ "$PEERS_DIR/go/src/chatserver/main.go" -nt /tmp/peer-go/chatserver ]; then
			rm -rf /tmp/peer-go && cp -r "$PEERS_DIR/go" /tmp/peer-go &&
			    /tmp/peer-go/build.sh >&2 || return 1
		fi ;;
	node)
		command -v node >/dev/null && command -v npm >/dev/null || {
		    echo "node peer skipped: apt-get install -y nodejs npm" >&2; return 1; }
		if [ ! -d /tmp/peer-node/node_modules/ws ]; then
			rm -rf /tmp/peer-node && cp -r "$PEERS_DIR/node" /tmp/peer-node &&
			    (cd /tmp/peer-node && npm ci >&2) || return 1
		fi ;;
	chat-server-redis|chat-server-redis2)
		[ -x "$CHAT_SERVER_BIN" ] || { echo "no $CHAT_SERVER_BIN" >&2; return 1; }
		command -v redis-server >/dev/null || { echo "$1 skipped:" \
		    "apt-get install -y redis-server" >&2; return 1; } ;;
	node-cluster)
		command -v node >/dev/null && command -v npm >/dev/null &&
		    command -v redis-server >/dev/null || { echo "node-cluster" \
		    "skipped: apt-get install -y nodejs npm redis-server" >&2
		    return 1; }
		if [ ! -d /tmp/peer-nc/node_modules/ioredis ]; then
			rm -rf /tmp/peer-nc && cp -r "$PEERS_DIR/node-cluster" /tmp/peer-nc &&
			    (cd /tmp/peer-nc && npm ci >&2) || return 1
		fi ;;
	esac
}

# A free port: nothing accepts a TCP connection there.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		(exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || break
	done
	echo $p
}

# start_cluster KIND NODES: a redis-server of its own and NODES nodes;
# sets $sport and $spid to comma lists (for -P and --server-pid, the
# redis-server's pid last) and $pids to every pid.
start_cluster() {
	local rport rpid n port pid
	rport=$(free_port)
	redis-server --port $rport --bind 127.0.0.1 --save '' --appendonly no \
	    --daemonize no --dir "$work" --logfile "" >>"$work/redis.log" 2>&1 &
	rpid=$!
	for n in $(seq 1 100); do
		[ "$(redis-cli -p $rport ping 2>/dev/null)" = PONG ] && break
		kill -0 $rpid 2>/dev/null || break
		sleep 0.05
	done
	pids=$rpid
	sport= spid=
	for n in $(seq 1 $2); do
		port=$(free_port)
		case $1 in
		node-cluster) node /tmp/peer-nc/server.js --port $port \
		    --redis redis://127.0.0.1:$rport >>"$work/$1.log" 2>&1 & ;;
		*) "$CHAT_SERVER_BIN" -l 127.0.0.1 -p $port --rate-limit 0 \
		    --redis redis://127.0.0.1:$rport >>"$work/$1.log" 2>&1 & ;;
		esac
		pid=$!
		pids="$pid $pids"	# nodes stop before their Redis
		sport=${sport:+$sport,}$port
		spid=${spid:+$spid,}$pid
		# A node answers an upgrade only once it has Redis.
		"$CHAT_BENCH_BIN" -p $port probe -t 10 >/dev/null 2>&1 &&
		    kill -0 $pid 2>/dev/null || return 1
	done
	spid=$spid,$rpid
}

# start_server NAME: sets $spid and $sport (lists for a cluster) and $pids.
start_server() {
	local try
	case $1 in
	chat-server-redis) start_cluster $1 1; return ;;
	chat-server-redis2|node-cluster) start_cluster $1 2; return ;;
	esac
	for try in 1 2 3 4 5 6 7 8 9 10; do
		sport=$((20000 + RANDOM % 30000))
		# something already answers there: another engineer's server
		"$CHAT_BENCH_BIN" -p $sport probe -t 0.05 >/dev/null 2>&1 && continue
		case $1 in
		chat-server|chat-server-v2) "$CHAT_SERVER_BIN" -l 127.0.0.1 \
		    -p $sport --rate-limit 0 >>"$work/$1.log" 2>&1 & ;;
		chat-server-db) rm -f "$work/chat.db"*
		    "$CHAT_SERVER_BIN" -l 127.0.0.1 -p $sport --rate-limit 0 \
		    --db "$work/chat.db" >>"$work/$1.log" 2>&1 & ;;
		go) /tmp/peer-go/chatserver -addr 127.0.0.1:$sport \
		    >>"$work/$1.log" 2>&1 & ;;
		node) node /tmp/peer-node/server.js --port $sport \
		    >>"$work/$1.log" 2>&1 & ;;
		esac
		spid=$!
		pids=$spid
		if "$CHAT_BENCH_BIN" -p $sport probe -t 10 >/dev/null 2>&1 &&
		    kill -0 $spid 2>/dev/null; then
			return 0
		fi
		kill $spid 2>/dev/null; wait $spid 2>/dev/null
	done
	return 1
}

stop_server() {
	local p
	for p in $pids; do
		kill $p 2>/dev/null
		wait $p 2>/dev/null
	done
}

scenario_args() {
	case $1 in
	fanout-1x1000) echo "fanout --rooms 1 --members 1000 --senders 1 --window 16" ;;
	fanout-10x100) echo "fanout --rooms 10 --members 100 --senders 2 --window 8" ;;
	fanout-100x2) echo "fanout --rooms 100 --members 2 --senders 2 --window 8" ;;
	pm-50) echo "pm --pairs 50" ;;
	rate-100k) echo "rate --rate 100000 --rooms 10 --members 100 --senders 2" ;;
	conn-10k) echo "conn -n 10000" ;;
	conn-19k) echo "conn -n 19000" ;;
	*) die "unknown scenario $1" ;;
	esac
}

ok_servers=
for s in $servers; do
	peer_setup $s && ok_servers="$ok_servers $s"
done
[ -n "$ok_servers" ] || die "no server to measure"

echo "chat-bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
    "servers:$ok_servers, ${duration}s per run, raw results in $work"
for round in $(seq 1 $rounds); do
	for sc in $scenarios; do
		for s in $ok_servers; do
			out="$work/$s.$sc.$round"
			echo
			echo "== $sc on $s (round $round)"
			if ! start_server $s; then
				stop_server
				echo "scenario=$sc result=FAIL reason=\"$s did not start\"" >"$out"
				cat "$out"
				continue
			fi
			v2=
			case $s in chat-server-v2|chat-server-db) v2=--v2 ;; esac
			"$CHAT_BENCH_BIN" -P $sport --server-pid $spid \
			    $(scenario_args $sc) $v2 -t $duration >"$out" 2>&1
			cat "$out"
			stop_server
		done
	done
done

# value SERVER SCENARIO KEY: best over the rounds (highest, or lowest for
# latency and memory keys); FAIL when any round failed.
value() {
	cat "$work/$1.$2".* 2>/dev/null | awk -v key="$3" '
	/^scenario=/ {
		if ($0 ~ /result=FAIL/) { fail = 1; next }
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] != key)
				continue
			v = kv[2] + 0
			low = key ~ /_us$|rss|errors/
			if (!n++ || (low ? v < best : v > best))
				best = v
		}
	}
	END {
		if (fail) print "FAIL"
		else if (n) print best
		else print "-"
	}'
}

# ratio A B LOWER: how many times chat-server is better than the peer.
ratio() {
	awk -v a="$1" -v b="$2" -v low="$3" 'BEGIN {
		if (a !~ /^[0-9.e+-]+$/ || b !~ /^[0-9.e+-]+$/ || a + 0 <= 0 || b + 0 <= 0) {
			print "-"; exit
		}
		printf "%.2f\n", low ? b / a : a / b
	}'
}

fmt() {
	awk -v v="$1" 'BEGIN {
		if (v !~ /^[0-9.e+-]+$/) print v
		else if (v + 0 >= 1000) printf "%.0f\n", v
		else printf "%.2f\n", v
	}'
}

echo
echo "== summary (best of $rounds round(s); 'x go' = times better than Go)"
printf "%-14s %-22s" scenario metric
for s in $ok_servers; do printf " %12s" $s; done
case " $ok_servers " in *" chat-server "*)
	for s in $ok_servers; do
		[ $s = chat-server ] || printf " %8s" "x $s"
	done
	printf "  target" ;;
esac
printf "\n"
# scenario:key:target (issue 5; "x" = times Go, else an absolute bound)
rows="fanout-1x1000:deliveries_per_s:>=3x fanout-1x1000:deliveries_per_cpu_s:>=5x
fanout-1x1000:p99_us:- fanout-10x100:deliveries_per_s:>=3x
fanout-10x100:deliveries_per_cpu_s:>=5x fanout-10x100:p99_us:-
fanout-100x2:deliveries_per_s:- fanout-100x2:p99_us:-
pm-50:round_trips_per_s:>=1.8x pm-50:round_trips_per_cpu_s:-
pm-50:p99_us:- pm-50:server_thread_max_pct:- pm-50:machine_busy_pct:-
rate-100k:p50_us:- rate-100k:p99_us:<2000
rate-100k:late_p99_us:- rate-100k:server_cpu_pct:-
conn-10k:rss_per_conn_kib:<=2
conn-10k:connects_per_s:- conn-19k:rss_per_conn_kib:<=2 conn-19k:errors:0"
for row in $rows; do
	sc=${row%%:*}
	key=${row#*:}
	target=${key#*:}
	key=${key%%:*}
	case " $scenarios " in *" $sc "*) ;; *) continue ;; esac
	low=0
	case $key in *_us|*rss*|errors|*_pct) low=1 ;; esac
	printf "%-14s %-22s" $sc $key
	for s in $ok_servers; do
		printf " %12s" "$(fmt "$(value $s $sc $key)")"
	done
	case " $ok_servers " in *" chat-server "*)
		mine=$(value chat-server $sc $key)
		for s in $ok_servers; do
			[ $s = chat-server ] && continue
			printf " %8s" "$(ratio "$mine" "$(value $s $sc $key)" $low)"
		done
		printf "  %s" "$target" ;;
	esac
	printf "\n"
done | tee "$work/summary.txt"

# Issue 11: the database's cost, with the same version 2 clients.
case " $ok_servers " in *" chat-server-db "*) have_db=yes ;; *) have_db=no ;; esac
case "$have_db $ok_servers " in "yes "*" chat-server-v2 "*)
	echo
	echo "== chat-server-db / chat-server-v2 (--db against memory, v2 clients)"
	for row in fanout-1x1000:deliveries_per_s:">=0.80" \
	    fanout-10x100:deliveries_per_s:">=0.80" \
	    fanout-100x2:deliveries_per_s:">=0.70" rate-100k:p99_us:"<2000us(db)"; do
		sc=${row%%:*}; key=${row#*:}; target=${key#*:}; key=${key%%:*}
		case " $scenarios " in *" $sc "*) ;; *) continue ;; esac
		db=$(value chat-server-db $sc $key)
		mem=$(value chat-server-v2 $sc $key)
		printf "%-14s %-22s %12s %12s %8s  %s\n" $sc $key "$(fmt "$db")" \
		    "$(fmt "$mem")" "$(ratio "$db" "$mem" 0)" "$target"
	done | tee -a "$work/summary.txt" ;;
esac

# Issue 13: two nodes on Redis against the Node.js cluster peer (per
# CPU-second of the nodes plus redis-server) and against one node in
# memory (deliveries/s on the same cores).
case " $ok_servers " in *" chat-server-redis2 "*)
	echo
	echo "== chat-server-redis2 (2 nodes on Redis) against node-cluster and chat-server"
	for row in fanout-1x1000:deliveries_per_cpu_s:node-cluster:">=5" \
	    fanout-10x100:deliveries_per_cpu_s:node-cluster:">=5" \
	    pm-50:round_trips_per_cpu_s:node-cluster:- \
	    fanout-1x1000:deliveries_per_s:chat-server:">=0.50" \
	    fanout-10x100:deliveries_per_s:chat-server:">=0.50"; do
		sc=${row%%:*}; rest=${row#*:}; key=${rest%%:*}; rest=${rest#*:}
		other=${rest%%:*}; target=${rest#*:}
		case " $scenarios " in *" $sc "*) ;; *) continue ;; esac
		case " $ok_servers " in *" $other "*) ;; *) continue ;; esac
		mine=$(value chat-server-redis2 $sc $key)
		theirs=$(value $other $sc $key)
		printf "%-14s %-22s %12s %12s %8s  %s vs %s\n" $sc $key \
		    "$(fmt "$mine")" "$(fmt "$theirs")" \
		    "$(ratio "$mine" "$theirs" 0)" "$target" $other
	done | tee -a "$work/summary.txt" ;;
esac

# a failed run (lost or reordered message) fails the comparison
! grep -q 'result=FAIL' "$work"/*.*.* 2>/dev/null
