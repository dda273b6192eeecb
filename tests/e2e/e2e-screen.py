#!/usr/bin/python3
"""Reads a chat-tui screen (tmux capture-pane -p) on stdin and checks its
layout the way a person would look at it, by display column: wide
characters take two columns, combining and zero-width ones none.

usage: e2e-screen.py layout COLS ROWS [--panes N]

layout: the screen has ROWS rows none wider than COLS; the vertical pane
borders are at the same columns on every pane row (rows 1..ROWS-2);
the left pane is headed "Chats" and holds only "status", room names,
@ID entries and the "Rooms (N)" row; the right pane is headed "Users (N)" and holds N ids; the
status bar (row ROWS-1) starts with HOST:PORT and ends with "F1 help"
(below 60 columns: is not empty); the
input line starts with ">" or a prompt.  --panes N: expect N borders (2:
rooms and users panes, 1: rooms only, 0: messages only).  Prints
"borders C1 C2..." (0-based columns).  Exit 0 if all holds, else 1 with
the reasons on stderr.
"""

import ctypes
import ctypes.util
import re
import sys
import unicodedata

BORDER = ("x", "\u2502")	# ACS_VLINE as captured, or drawn in UTF-8


_libc = None


def cp_width(c):
	"""Columns of one code point, as the C library's wcwidth() says: tmux
	and ncurses both use it, so a disagreement shows as a misplaced
	border.  Unicode data is the fallback when libc cannot be loaded."""
	global _libc
	if _libc is None:
		try:
			_libc = ctypes.CDLL(ctypes.util.find_library("c"))
			_libc.setlocale(6, b"C.UTF-8")	# LC_ALL
			_libc.wcwidth.restype = ctypes.c_int
			_libc.wcwidth.argtypes = [ctypes.c_wchar]
		except (OSError, AttributeError):
			_libc = False
	if _libc:
		return max(_libc.wcwidth(c), 0)
	if unicodedata.combining(c) or unicodedata.category(c) in ("Mn",
	    "Me", "Cf"):
		return 0
	if unicodedata.east_asian_width(c) in ("W", "F"):
		return 2
	return 1


def cells(line):
	"""The line as a list of cells: a wide character fills one cell and
	leaves None in the next; combining marks stick to their base.  Like
	tmux (3.3), a non-ASCII character right after a zero width joiner
	joins the joiner's cell (meant for emoji sequences, it applies to
	any: "a" U+200D "世" is one column there).  Not a border: the
	joiner may be left at the end of the cell before one."""
	out = []
	prev = None
	for c in line:
		w = cp_width(c)
		if prev == "\u200d" and ord(c) >= 0x80 and c not in BORDER:
			w = 0
		prev = c
		if w == 0:
			i = len(out) - 1
			while i > 0 and out[i] is None:
				i -= 1
			if out:
				out[i] = (out[i] or "") + c
			continue
		out.append(c)
		if w == 2:
			out.append(None)
	return out


def text(cs, a, b):
	return "".join(c for c in cs[a:b] if c is not None).rstrip()


def layout(lines, cols, rows, panes):
	errs = []
	if len(lines) != rows:
		errs.append("%d rows, expected %d" % (len(lines), rows))
	grid = [cells(l) for l in lines]
	for i, g in enumerate(grid):
		if len(g) > cols:
			errs.append("row %d is %d columns wide (> %d)" %
			    (i + 1, len(g), cols))
	if len(grid) < 4:
		return errs + ["too few rows"], []
	body = grid[:rows - 2]
	# Border columns: a border character on every pane row.
	borders = []
	for c in range(cols):
		if all(len(g) > c and g[c] in BORDER for g in body):
			borders.append(c)
	if panes is not None and len(borders) != panes:
		errs.append("%d pane borders (at %s), expected %d" %
		    (len(borders), borders, panes))
		# Say which rows are out of line.
		common = {}
		for g in body:
			for c, x in enumerate(g):
				if x is not None and x[0] in BORDER:
					common[c] = common.get(c, 0) + 1
		want = sorted(c for c, n in common.items()
		    if n >= len(body) // 2)
		for i, g in enumerate(body):
			have = [c for c, x in enumerate(g)
			    if x is not None and x[0] in BORDER]
			if not set(want) <= set(have):
				errs.append("row %d: borders at %s, not %s: %s" %
				    (i + 1, have, want, ascii(lines[i])))
	# No stray border characters next to a border (a half-moved one).
	for i, g in enumerate(body):
		for c in borders:
			for d in (c - 1, c + 1):
				if 0 <= d < len(g) and g[d] in ("\u2502",):
					errs.append("row %d: stray border at "
					    "column %d" % (i + 1, d))
	head = grid[0]
	if borders:
		left = text(head, 0, borders[0])
		if left != " Chats":
			errs.append("left pane header %r, expected ' Chats'" %
			    left)
		for i, g in enumerate(body[1:], 2):
			t = text(g, 0, borders[0])
			if t and not re.match(r"^[ >]\S", t):
				errs.append("row %d: odd rooms pane entry %r" %
				    (i, t))
	if len(borders) == 2:
		right = text(head, borders[1] + 1, cols)
		m = re.match(r"^ Users \((\d+)\)$", right)
		if not m:
			errs.append("right pane header %r, expected "
			    "' Users (N)'" % right)
		else:
			n = int(m.group(1))
			ids = [text(g, borders[1] + 1, cols) for g in body[1:]]
			want = min(n, len(ids))
			for i, t in enumerate(ids):
				if i < want and not re.match(
				    r"^ ?\d+( \(you\))?$", t):
					errs.append("users pane row %d: %r" %
					    (i + 2, t))
				if i >= want and t:
					errs.append("users pane row %d: %r "
					    "below the %d users" % (i + 2, t, n))
	status = "".join(c for c in grid[rows - 2] if c is not None).rstrip() \
	    if len(grid) >= rows else ""
	# Narrow terminals drop the server and the hint first.
	if not re.match(r"^\S+:\d+ \| .*F1 help$", status) and (cols >= 60
	    or not status.strip()):
		errs.append("status bar %r" % status)
	inp = lines[rows - 1] if len(lines) >= rows else ""
	if not re.match(r"^(>|[a-z ]+: )", inp):
		errs.append("input line %r" % inp)
	return errs, borders


def main(argv):
	if len(argv) < 4 or argv[1] != "layout":
		sys.stderr.write(__doc__)
		return 2
	cols, rows = int(argv[2]), int(argv[3])
	panes = None
	if len(argv) >= 6 and argv[4] == "--panes":
		panes = int(argv[5])
	data = sys.stdin.buffer.read().decode("utf-8", "replace")
	lines = data.split("\n")
	if lines and lines[-1] == "":
		lines.pop()
	errs, borders = layout(lines, cols, rows, panes)
	print("borders %s" % " ".join(str(b) for b in borders))
	for e in errs:
		sys.stderr.write("%s\n" % e)
	return 1 if errs else 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))
