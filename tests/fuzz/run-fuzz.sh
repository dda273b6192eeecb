#!/bin/sh
# Build one libFuzzer harness, tests/fuzz/fuzz-NAME.c, with clang and the
# sanitizers straight from the sources, and run it on a copy of its corpus.
#
#	tests/fuzz/run-fuzz.sh NAME [SECONDS]
#
# Exits non-zero when the harness does not build or the fuzzer finds a
# crash, leak or timeout; the reproducer is kept and its path printed.
# Extra libFuzzer options may be passed in FUZZ_ARGS.  The system cJSON is
# not instrumented; CJSON_SRC=DIR (a cJSON checkout with cJSON.c) builds it
# from source with the sanitizers instead, which finds reads past the end
# of the input inside cJSON too.
set -eu

usage() {
	echo "usage: $0 NAME [SECONDS]" >&2
	exit 2
}
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	usage
fi
name=$1
seconds=${2:-60}

# The table: extra sources (relative to the top of the tree) and
# pkg-config packages each harness needs besides fuzz-NAME.c, and the
# largest input to try when 8 KiB is not enough.
max_len=8192
case $name in
proto)
	sources="shared/proto.c shared/proto-client.c shared/proto-encode.c"
	packages="libcjson"
	;;
dispatch)
	sources="shared/proto.c shared/proto-client.c shared/proto-encode.c shared/frame.c
	    shared/util.c server/server-chat.c server/server-chat-event.c
	    server/server-chat-v2.c
	    server/server-session.c server/registry-mem.c server/store-mem.c
	    server/store-sqlite.c server/store-sqlite-wal.c
	    server/store-sqlite-exec.c server/store-sqlite-writer.c
	    server/store-sqlite-vfs.c
	    server/store-sqlite-schema.c
	    server/store-util.c server/server-config.c
	    server/server-metrics.c
	    server/server-cluster.c server/registry-redis.c
	    server/registry-redis-ops.c
	    server/store-redis.c server/redis-conn.c server/redis-lua.c
	    server/redis-addr.c"
	packages="libcjson libevent sqlite3 libcrypto hiredis"
	;;
tui)
	sources="shared/proto.c shared/proto-client.c tui/tui-buffer.c tui/tui-command.c
	    tui/tui-complete.c tui/tui-handle.c tui/tui-history.c tui/tui-keys.c tui/tui-model.c
	    tui/tui-names.c tui/tui-pane.c tui/tui-paste.c tui/tui-request.c
	    tui/tui-edit.c tui/tui-text.c tui/tui-mention.c tui/tui-config.c"
	packages="libcjson"
	# Room names longer than the input line (4 KiB) twice over.
	max_len=32768
	;;
*)
	echo "$0: no harness named $name (see the table in this script)" >&2
	exit 2
	;;
esac

fuzzdir=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$fuzzdir/../.." && pwd)
harness=$fuzzdir/fuzz-$name.c
[ -f "$harness" ] || { echo "$0: $harness not found" >&2; exit 2; }

CC=${CC:-clang}
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-$name.XXXXXX")
echo "# fuzz $name: building in $work"

srcs=$harness
for s in $sources; do
	srcs="$srcs $top/$s"
done
incs=
if [ -n "${CJSON_SRC:-}" ]; then
	mkdir -p "$work/include/cjson"
	cp "$CJSON_SRC/cJSON.h" "$work/include/cjson/"
	incs="-I$work/include"
	srcs="$srcs $CJSON_SRC/cJSON.c"
	packages=$(for p in $packages; do
		[ "$p" = libcjson ] || printf '%s ' "$p"
	done)
fi
# shellcheck disable=SC2086
$CC -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -D_GNU_SOURCE $incs -I"$top/shared" -I"$top/server" -I"$top/tui" \
    ${packages:+$(pkg-config --cflags $packages)} \
    -o "$work/fuzz-$name" $srcs \
    ${packages:+$(pkg-config --libs $packages)} -lpthread

mkdir "$work/corpus" "$work/artifacts"
if [ -d "$fuzzdir/corpus-$name" ]; then
	cp "$fuzzdir/corpus-$name"/* "$work/corpus/" 2>/dev/null || true
fi
dict=
[ -f "$fuzzdir/fuzz-$name.dict" ] && dict="-dict=$fuzzdir/fuzz-$name.dict"

echo "# fuzz $name: running for $seconds s"
rc=0
# shellcheck disable=SC2086
"$work/fuzz-$name" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" $dict ${FUZZ_ARGS:-} \
    "$work/corpus" >"$work/log" 2>&1 || rc=$?
tail -n 20 "$work/log"

if [ $rc -ne 0 ] || [ -n "$(ls -A "$work/artifacts")" ]; then
	echo "# fuzz $name: FAILED (exit $rc); log and reproducers in $work" >&2
	ls -l "$work/artifacts" >&2
	exit 1
fi
echo "# fuzz $name: no crash in $seconds s"
rm -rf "$work"
