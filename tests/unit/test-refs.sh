#!/bin/sh
# The texts of the tree name what exists (TAP): every file of the tree a
# source, test or document names is there, and the protocol is named by
# the project's own file, doc/protocol.md, not PROTOCOL.md (the contract
# outside the tree that it copies).
top=$(cd "${CHAT_TESTS_SRCDIR:?}/.." && pwd)
cd "$top" || exit 1

# The texts: sources, tests, tools, documents, build files.
texts=$(find server shared tui tests tools doc data configure.ac \
    Makefile.am README.md -type f \( -name '*.[ch]' -o -name '*.py' -o \
    -name '*.sh' -o -name '*.am' -o -name '*.md' -o -name '*.ac' -o \
    -name '*.1' -o -name '*.conf' \) 2>/dev/null | sort)

echo "1..2"

# Paths into the tree; NAME is a placeholder, shared/peers/ lives outside.
missing=$(grep -ohE \
    '\b(server|shared|tui|doc|tests|tools|data)/[A-Za-z0-9_./-]+\.(c|h|md|py|sh|am|conf|1)\b' \
    $texts | grep -v -e NAME -e '^shared/peers/' | sort -u |
    while read -r f; do
	[ -e "$f" ] || [ -e "tests/$f" ] || echo "$f"
    done)
if [ -z "$missing" ]; then
	echo "ok 1 - every file the texts name exists"
else
	echo "not ok 1 - every file the texts name exists"
	for f in $missing; do
		echo "# missing: $f, named in: $(grep -l "$f" $texts |
		    tr '\n' ' ')"
	done
fi

stale=$(grep -lw 'PROTOCOL\.md' $texts | grep -v '^tests/unit/test-refs.sh$')
if [ -z "$stale" ]; then
	echo "ok 2 - the protocol is named as doc/protocol.md"
else
	echo "not ok 2 - the protocol is named as doc/protocol.md"
	echo "$stale" | sed 's/^/# PROTOCOL.md in: /'
fi
