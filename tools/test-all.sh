#!/usr/bin/env bash
# Set up and run the whole test suite, as CI does (.ci/run calls this).
#
#   sh tools/test-all.sh [STAGE...]
#
# Stages (all by default, in this order), each in its own build directory
# under build-ci/:
#   normal     configure --enable-werror, make, make check (unit, integration,
#              TUI end-to-end, benchmark smoke tests)
#   distcheck  make distcheck in the normal build
#   asan       a build with --enable-asan (ASan + UBSan), make check again
#   valgrind   the integration tests (not the load test) with the normal
#              build's server under valgrind memcheck
#   fuzz       every libFuzzer harness tests/fuzz/fuzz-*.c for 60 s
#
# Results are summed from automake's .trs files (one line per TAP test case).
# A skipped case counts as a failure unless tools/expected-skips.txt declares
# it; a build that fails, a make that fails with no failing case, a stage
# that runs no test at all and each fuzz run count as one result.  A failing
# stage does not stop the others.  The last line is "N passed, N failed";
# the exit status is non-zero if anything failed.
#
# Environment: CHAT_CI_SKIP_DEPS=1 skips tools/deps.sh, CHAT_CI_JOBS sets the
# build parallelism, CHAT_CI_CHECK_JOBS the number of test programs run at
# once (default 1: the load tests measure time), CHAT_CI_FUZZ_SECONDS the
# time per fuzzer (60), CHAT_CI_DISTCHECK_TESTS the tests that make distcheck
# runs (by default the unit tests and DISTCHECK_SUITES below).

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u
set -o pipefail

cd "$(dirname "$0")/.." || exit 1
SRC=$(pwd)
CI=$SRC/build-ci
JOBS=${CHAT_CI_JOBS:-$(nproc 2>/dev/null || echo 2)}
CHECK_JOBS=${CHAT_CI_CHECK_JOBS:-1}
FUZZ_SECONDS=${CHAT_CI_FUZZ_SECONDS:-60}
EXPECTED_SKIPS=$SRC/tools/expected-skips.txt
ALL_STAGES="normal distcheck asan valgrind fuzz"
DISTCHECK_SUITES="integration/test-protocol.py integration/test-v2-db.py
	integration/test-config.py integration/test-web.py e2e/test-chat.sh"

total_pass=0
total_fail=0
stage_pass=0
stage_fail=0
stage_xskip=0
summary=()
started=$(date +%s)

log() {
	printf '==> %s\n' "$*"
}

# Count results into the current stage.
pass() {
	stage_pass=$((stage_pass + ${1:-1}))
}
fail() {
	stage_fail=$((stage_fail + 1))
	printf '  FAIL: %s\n' "$*"
}

stage_begin() {
	STAGE=$1
	stage_pass=0
	stage_fail=0
	stage_xskip=0
	stage_started=$(date +%s)
	echo
	log "stage $STAGE"
}

stage_end() {
	local line
	line=$(printf '%-9s %4d passed, %d failed' "$STAGE" "$stage_pass" \
	    "$stage_fail")
	[ "$stage_xskip" -eq 0 ] ||
	    line="$line, $stage_xskip skipped (expected)"
	line="$line ($(( $(date +%s) - stage_started ))s)"
	summary+=("$line")
	log "$line"
	total_pass=$((total_pass + stage_pass))
	total_fail=$((total_fail + stage_fail))
}

# run TIMEOUT LOGFILE CMD...: run CMD with its output in LOGFILE, killed
# (with its whole process group) after TIMEOUT seconds.  Shows the end of
# the log when CMD fails.
run() {
	local limit=$1 out=$2 rc
	shift 2
	mkdir -p "$(dirname "$out")"
	timeout --kill-after=30 "$limit" "$@" >"$out" 2>&1
	rc=$?
	[ $rc -ne 124 ] || echo "  (timed out after ${limit}s: $*)"
	if [ $rc -ne 0 ] && [ -z "${RUN_QUIET:-}" ]; then
		echo "  --- last lines of $out ---"
		tail -n 40 "$out" | sed 's/^/  | /'
	fi
	return $rc
}

# Is the skip of test NAME (build-relative path, no extension) declared?
skip_expected() {
	local pattern
	[ -f "$EXPECTED_SKIPS" ] || return 1
	while read -r pattern _; do
		case "$pattern" in ''|'#'*) continue ;; esac
		# shellcheck disable=SC2053
		[[ $1 == $pattern ]] && return 0
	done <"$EXPECTED_SKIPS"
	return 1
}

# count DIR STAMP MAKE_RC OUTPUT: add up the .trs files under DIR written
# after STAMP.  MAKE_RC is the exit status of the make that ran them, OUTPUT
# its output.
count() {
	local dir=$1 stamp=$2 rc=$3 out=$4 trs name log
	local p s f xf xp e n=0 before=$stage_fail
	while IFS= read -r trs; do
		name=${trs#"$dir"/}
		name=${name%.trs}
		log=${trs%.trs}.log
		p=$(grep -c '^:test-result: PASS' "$trs")
		s=$(grep -c '^:test-result: SKIP' "$trs")
		f=$(grep -c '^:test-result: FAIL' "$trs")
		xf=$(grep -c '^:test-result: XFAIL' "$trs")
		xp=$(grep -c '^:test-result: XPASS' "$trs")
		e=$(grep -c '^:test-result: ERROR' "$trs")
		n=$((n + p + s + f + xf + xp + e))
		pass $((p + xf))
		if [ "$s" -gt 0 ]; then
			if skip_expected "$name"; then
				stage_xskip=$((stage_xskip + s))
			else
				stage_fail=$((stage_fail + s))
				printf '  SKIP (counted as failed): %s: %d\n' \
				    "$name" "$s"
				grep -E '^SKIP:' "$log" 2>/dev/null | head -n 5 |
				    sed 's/^/  | /'
			fi
		fi
		if [ $((f + xp + e)) -gt 0 ]; then
			stage_fail=$((stage_fail + f + xp + e))
			printf '  FAIL: %s: %d failed, %d error, %d xpass (see %s)\n' \
			    "$name" "$f" "$e" "$xp" "$log"
			grep -E '^(FAIL|ERROR|XPASS):|^not ok|^Bail out' "$log" \
			    2>/dev/null | head -n 10 | sed 's/^/  | /'
			echo "  --- last lines of $log ---"
			tail -n 25 "$log" 2>/dev/null | sed 's/^/  | /'
		fi
	done < <(find "$dir" -path "$dir/chat-[0-9]*" -prune -o \
	    -name '*.trs' -newer "$stamp" -print | sort)
	# A test killed by the time limit leaves a .log and no .trs.
	while IFS= read -r log; do
		[ -f "${log%.log}.trs" ] && continue
		n=$((n + 1))
		fail "${log#"$dir"/}: did not finish"
		tail -n 15 "$log" | sed 's/^/  | /'
	done < <(find "$dir" -path "$dir/chat-[0-9]*" -prune -o \
	    -name '*.log' ! -name 'test-suite.log' ! -name 'config.log' \
	    -newer "$stamp" -print | sort)
	if [ "$rc" -ne 0 ] && [ "$stage_fail" -eq "$before" ]; then
		fail "make exited with status $rc and no failing test result"
		echo "  --- last lines of $out ---"
		tail -n 40 "$out" | sed 's/^/  | /'
	elif [ "$n" -eq 0 ]; then
		fail "no test ran"
	fi
}

# configure_build DIR [VAR=VALUE...] -- CONFIGURE_ARGS...: a fresh build
# directory, configured and built.
configure_build() {
	local dir=$1
	shift
	local envs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	if [ -d "$dir" ]; then
		chmod -R u+w "$dir" 2>/dev/null
		rm -rf "$dir"
	fi
	mkdir -p "$dir"
	(cd "$dir" && run 600 "$dir/configure.out" \
	    env "${envs[@]}" "$SRC/configure" "$@") ||
	    { fail "configure $* failed"; return 1; }
	run 1200 "$dir/make.out" make -C "$dir" -j"$JOBS" ||
	    { fail "make failed (--enable-werror: any warning fails)"; return 1; }
	return 0
}

# make_check DIR TIMEOUT [MAKE ARGS...]: make check in DIR and count.
make_check() {
	local dir=$1 limit=$2 rc
	shift 2
	touch "$dir/.check-stamp"
	sleep 1		# so every .trs written from now on is newer
	RUN_QUIET=1 run "$limit" "$dir/check.out" make -C "$dir" \
	    -j"$CHECK_JOBS" check "$@"
	rc=$?
	count "$dir" "$dir/.check-stamp" $rc "$dir/check.out"
}

# Print the value of a make variable of the tests Makefile in build DIR.
make_var() {
	# shellcheck disable=SC2016
	printf 'chat-ci-print:\n\t@echo $(%s)\n' "$2" |
	    make -s -C "$1/tests" -f Makefile -f - chat-ci-print 2>/dev/null
}

normal_ok=no

stage_normal() {
	stage_begin normal
	if configure_build "$CI/normal" -- --enable-werror; then
		normal_ok=yes
		make_check "$CI/normal" 1800
	fi
	stage_end
}

stage_distcheck() {
	stage_begin distcheck
	if [ ! -f "$CI/normal/Makefile" ]; then
		configure_build "$CI/normal" -- --enable-werror && normal_ok=yes
	fi
	if [ -f "$CI/normal/Makefile" ]; then
		local args=(DISTCHECK_CONFIGURE_FLAGS=--enable-werror)
		local tests=${CHAT_CI_DISTCHECK_TESTS-}
		# The tarball has to build, install and run: the unit tests
		# and one suite per program and shipped data (web/, data/)
		# show it.  The normal stage has already run every test on
		# the same sources; all of them again would double the time.
		[ -n "${CHAT_CI_DISTCHECK_TESTS+set}" ] ||
		    tests="$(make_var "$CI/normal" \
		    'filter unit/%,$(TESTS)') $DISTCHECK_SUITES"
		args+=("TESTS=$tests")
		if run 2400 "$CI/normal/distcheck.out" make -C "$CI/normal" \
		    distcheck "${args[@]}"; then
			pass
		else
			fail "make distcheck"
			grep -E '^(FAIL|ERROR|XPASS):' "$CI/normal/distcheck.out" |
			    head -n 20 | sed 's/^/  | /'
		fi
	fi
	stage_end
}

stage_asan() {
	stage_begin asan
	if configure_build "$CI/asan" CC=gcc -- --enable-asan --enable-werror
	then
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		    make_check "$CI/asan" 2400
	fi
	stage_end
}

stage_valgrind() {
	local tests
	stage_begin valgrind
	if [ "$normal_ok" != yes ]; then
		configure_build "$CI/normal" -- --enable-werror &&
		    normal_ok=yes
	fi
	if [ "$normal_ok" = yes ]; then
		tests=$(make_var "$CI/normal" INTEGRATION_VALGRIND_TESTS)
		if [ -z "$tests" ]; then
			# Every integration test but the load test.
			tests=$(make_var "$CI/normal" INTEGRATION_TESTS)
			[ -n "$tests" ] ||
			    tests=$(make_var "$CI/normal" TESTS | tr ' ' '\n' |
			    grep '^integration/')
			tests=$(echo "$tests" | tr ' ' '\n' |
			    grep -v '/[^/]*load[^/]*$' | tr '\n' ' ')
		fi
		if [ -z "${tests// /}" ]; then
			fail "no INTEGRATION_TESTS in tests/integration/integration.am"
		else
			echo "  tests: $tests"
			CHAT_SERVER_WRAPPER="valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --quiet" \
			CHAT_TEST_TIMEOUT_SCALE=10 \
			    make_check "$CI/normal" 2400 TESTS="$tests"
		fi
	fi
	stage_end
}

stage_fuzz() {
	local src name n=0
	stage_begin fuzz
	if [ ! -x "$SRC/tests/fuzz/run-fuzz.sh" ] &&
	    [ ! -f "$SRC/tests/fuzz/run-fuzz.sh" ]; then
		fail "tests/fuzz/run-fuzz.sh is missing"
	else
		for src in "$SRC"/tests/fuzz/fuzz-*.c; do
			[ -f "$src" ] || continue
			name=$(basename "$src" .c)
			name=${name#fuzz-}
			n=$((n + 1))
			echo "  fuzz-$name: ${FUZZ_SECONDS}s"
			mkdir -p "$CI/fuzz"
			if TMPDIR="$CI/fuzz" run \
			    $((FUZZ_SECONDS + 600)) "$CI/fuzz/$name.out" \
			    sh "$SRC/tests/fuzz/run-fuzz.sh" "$name" \
			    "$FUZZ_SECONDS"; then
				pass
			else
				fail "fuzzer $name (see $CI/fuzz/$name.out)"
			fi
		done
		[ $n -gt 0 ] || fail "no tests/fuzz/fuzz-*.c harness"
	fi
	stage_end
}

stages="$*"
[ -n "$stages" ] || stages=$ALL_STAGES
for s in $stages; do
	case " $ALL_STAGES " in
	*" $s "*) ;;
	*) echo "usage: $0 [$ALL_STAGES]" >&2; exit 2 ;;
	esac
done

if [ "${CHAT_CI_SKIP_DEPS:-}" != 1 ]; then
	log "installing dependencies"
	if ! sh "$SRC/tools/deps.sh"; then
		echo "tools/deps.sh failed"
		echo "0 passed, 1 failed"
		exit 1
	fi
fi

# Regenerate the build system when it is missing or older than its sources.
if [ ! -x "$SRC/configure" ] ||
    [ -n "$(find "$SRC" -path "$SRC/build-ci" -prune -o \
    \( -name configure.ac -o -name '*.am' \) -newer "$SRC/configure" \
    -print | head -n 1)" ]; then
	log "autogen.sh"
	if ! run 600 "$CI/autogen.out" sh "$SRC/autogen.sh"; then
		echo "autogen.sh failed"
		echo "0 passed, 1 failed"
		exit 1
	fi
fi
if [ -f "$SRC/config.status" ]; then
	echo "the source tree is configured in place, so out-of-tree builds"
	echo "cannot work: run 'make distclean' in $SRC first"
	echo "0 passed, 1 failed"
	exit 1
fi
mkdir -p "$CI"

for s in $stages; do
	"stage_$s"
done

echo
log "summary ($(( $(date +%s) - started ))s)"
for line in "${summary[@]}"; do
	echo "  $line"
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
