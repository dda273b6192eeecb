#!/bin/sh
# Quick start: install what is needed, build, start chat-server on
# 127.0.0.1:8080 (or the next free port) in the background and chat-tui
# connected to it in this terminal.  Quitting chat-tui stops the server.
# The server serves the web client from the source tree's web/, so a
# browser on http://127.0.0.1:8080/ shows what is being edited.
#
#   sh tools/run-local.sh [chat-tui options]
#
# The build goes to build/ (out of tree, so tools/test-all.sh can still
# build beside it); the server's log to build/chat-server.log, its database
# (ids, sessions, names, history: the quick start remembers) to
# build/chat-server.db.
set -e
cd "$(dirname "$0")/.."
SRC=$(pwd)
BUILD=$SRC/build

sh tools/deps.sh build

if [ ! -x configure ] || [ -n "$(find configure.ac -newer configure)" ]; then
	./autogen.sh
fi
if [ -f config.status ]; then
	# Configured in place by hand earlier: build there.
	BUILD=$SRC
else
	mkdir -p "$BUILD"
	[ -f "$BUILD/Makefile" ] || (cd "$BUILD" && "$SRC/configure")
fi
make -C "$BUILD" -j"$(nproc 2>/dev/null || echo 2)"

server_pid=""
stop_server() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
		server_pid=""
	fi
}
trap stop_server EXIT
trap 'exit 130' INT TERM HUP

# Start the server on PORT; fail if it exits at once (port taken).
start_server() {
	"$BUILD/server/chat-server" --listen 127.0.0.1 --port "$1" \
	    --db "$BUILD/chat-server.db" --web-root "$SRC/web" \
	    >"$BUILD/chat-server.log" 2>&1 &
	server_pid=$!
	sleep 0.5
	if kill -0 "$server_pid" 2>/dev/null; then
		return 0
	fi
	wait "$server_pid" 2>/dev/null || true
	server_pid=""
	return 1
}

port=""
for p in 8080 8081 8082 8083 8084 8085 8086 8087 8088 8089; do
	if start_server "$p"; then
		port=$p
		break
	fi
done
if [ -z "$port" ]; then
	echo "run-local: chat-server did not start; its log:" >&2
	cat "$BUILD/chat-server.log" >&2
	exit 1
fi
echo "run-local: chat-server on ws://127.0.0.1:$port/chatserver/connect" \
    "(log: $BUILD/chat-server.log)"
echo "run-local: the web client (from $SRC/web): http://127.0.0.1:$port/"

if [ -t 0 ] && [ -t 1 ]; then
	"$BUILD/tui/chat-tui" --server "127.0.0.1:$port" "$@" || true
	echo "run-local: chat-tui exited; stopping chat-server"
else
	# No terminal for the TUI: keep the server in the foreground.
	echo "run-local: no terminal for chat-tui; in another terminal run:"
	echo "  $BUILD/tui/chat-tui --server 127.0.0.1:$port"
	echo "run-local: Ctrl-C stops the server"
	wait "$server_pid" || true
	server_pid=""
fi
