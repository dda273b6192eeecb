#!/bin/sh
# Install the Debian packages this project needs: the one list of them.
#
#   sh tools/deps.sh [build] [test] [bench]
#
# With no argument: build and test.  "bench" adds what `make bench-compare`
# needs to build and run the Go and Node.js reference peers.  Packages
# already installed are not asked for again, so a second run costs nothing.
set -e

# Build: compiler, autotools, libraries (configure names each one it misses).
BUILD_PKGS="build-essential autoconf automake libtool pkg-config
	libwebsockets-dev libev-dev libevent-dev libcjson-dev libncurses-dev uthash-dev
	libssl-dev libsqlite3-dev libhiredis-dev"
# Tests: cmocka unit tests, tmux end-to-end tests, the python3-websockets
# integration client, valgrind, clang + compiler-rt for libFuzzer and the
# sanitizers, openssl for test certificates, procps for ps/pgrep,
# redis-server for the cluster tests (each starts its own), prometheus for
# promtool (test-metrics.py checks /metrics with it).
TEST_PKGS="libcmocka-dev tmux python3 python3-websockets valgrind clang
	libclang-rt-14-dev openssl procps sqlite3 redis-server prometheus"
# Benchmark comparison against the reference peers.
BENCH_PKGS="golang-go golang-github-gorilla-websocket-dev"
# The browser tests (test): headless chromium, its WebDriver, selenium.
TEST_PKGS="$TEST_PKGS chromium chromium-driver python3-selenium"

want=""
[ $# -gt 0 ] || set -- build test
for group in "$@"; do
	case "$group" in
	build)	want="$want $BUILD_PKGS" ;;
	test)	want="$want $BUILD_PKGS $TEST_PKGS" ;;
	bench)	want="$want $BUILD_PKGS $BENCH_PKGS"
		# Node.js may come from elsewhere (its own npm bundled); only
		# ask Debian for it when it is missing.
		command -v node >/dev/null 2>&1 || want="$want nodejs"
		command -v npm >/dev/null 2>&1 || want="$want npm" ;;
	*)	echo "usage: $0 [build] [test] [bench]" >&2; exit 2 ;;
	esac
done

missing=""
for pkg in $want; do
	case " $missing " in *" $pkg "*) continue ;; esac
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null) ||
	    status=""
	[ "$status" = installed ] || missing="$missing $pkg"
done
if [ -z "$missing" ]; then
	echo "deps: all packages installed"
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: missing:$missing" >&2
	echo "deps: run this as root (or install sudo)" >&2
	exit 1
fi

echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# shellcheck disable=SC2086
$SUDO apt-get install -y --no-install-recommends $missing
