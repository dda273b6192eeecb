#!/usr/bin/python3
"""A disk that refuses writes while the server runs (--db): the write error
is logged, counted and shown by /healthz and /metrics; a room message that
could not be stored reaches nobody and its sender gets "service
unavailable"; everything that needs no write keeps working; once the disk
takes writes again, chat goes on, and history holds every message anyone
received and no other.

The disk is tests/fault/fail-write.so (CHAT_FAULT_SHIM), preloaded into the
server: while the trigger file exists, writes and syncs of the database and
its WAL fail with ENOSPC (disk full), or in a second run with EIO."""

import atexit
import re
import shutil
import subprocess
import tempfile

from chatlib import *

suite = Suite()
_tmp = tempfile.mkdtemp(prefix="chat-store-fault-")
atexit.register(shutil.rmtree, _tmp, True)
TRIGGER = os.path.join(_tmp, "disk-full")
UNAVAILABLE = {"action": "error", "message": "service unavailable"}


def preload():
	"""LD_PRELOAD for the server: the shim, after the ASan runtime when
	the server has one (ASan insists on coming first)."""
	shim = os.environ.get("CHAT_FAULT_SHIM", "")
	check(os.path.exists(shim), "CHAT_FAULT_SHIM %r: not built (make "
	    "check builds tests/fault/fail-write.so)" % shim)
	libs = [shim]
	if asan_build():
		out = subprocess.run(["ldd", os.environ["CHAT_SERVER_BIN"]],
		    capture_output=True, text=True, timeout=10).stdout
		m = re.search(r"(\S*libasan\.so\S*) => (\S+)", out)
		check(m is not None, "ASan build, but ldd names no libasan:\n"
		    + out)
		libs.insert(0, m.group(2))
	return ":".join(libs)


async def start(args, shim=None):
	"""A server; shim: the errno its disk answers with ("ENOSPC" or
	"EIO") while TRIGGER exists."""
	srv = Server(args, suite)
	saved = {k: os.environ.get(k) for k in ("LD_PRELOAD",
	    "CHAT_FAULT_TRIGGER", "CHAT_FAULT_ERRNO")}
	if shim:
		os.environ["LD_PRELOAD"] = preload()
		os.environ["CHAT_FAULT_TRIGGER"] = TRIGGER
		os.environ["CHAT_FAULT_ERRNO"] = shim
	try:
		await srv.start()
	finally:
		for k, v in saved.items():
			if v is None:
				os.environ.pop(k, None)
			else:
				os.environ[k] = v
	return srv


async def get(srv, path):
	return await http_request(srv.metrics_port, "GET %s HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nConnection: close\r\n\r\n" % path)


async def scrape(srv):
	status, _, body = await get(srv, "/metrics")
	check(status == 200, "/metrics: HTTP %d" % status)
	out = {}
	for line in body.decode().splitlines():
		if line and not line.startswith("#"):
			k, v = line.rsplit(" ", 1)
			out[k] = float(v)
	return out


UP = 'chat_store_up{store="sqlite"}'
ERRORS = 'chat_store_errors_total{store="sqlite"}'


async def healthz(srv, want):
	async def probe():
		status, _, body = await get(srv, "/healthz")
		return (status, body) == want
	await wait_until(probe, what="/healthz %d %r" % want)


async def v2(srv, name=None):
	c = await srv.client()
	await c.v2_hello()
	if name is not None:
		await c.send({"action": "nick", "name": name})
		await c.expect({"action": "nick", "user_id": c.id,
		    "name": name})
	return c


async def said(room, text, sender, name, v2s, v1s):
	"""sender says text in room; every member gets it; its seq."""
	await sender.send({"action": "room_message", "message": text})
	got = None
	for c in v2s:
		exp = {"action": "room_message", "room": room,
		    "user_id": sender.id, "message": text}
		if name is not None:
			exp["name"] = name
		m = await c.expect_v2(exp)
		check(got is None or m["seq"] == got["seq"], "seq %s and %s "
		    "for one message" % (got and got["seq"], m["seq"]))
		got = m
	for c in v1s:
		await c.expect_text(json.dumps({"action": "room_message",
		    "room": room, "user_id": sender.id, "message": text},
		    separators=(",", ":")))
	return int(got["seq"])


async def refused(err, reason):
	"""The disk refuses writes with err for a while; SQLite says
	reason."""
	db = os.path.join(_tmp, "%s.db" % err)
	if os.path.exists(TRIGGER):	# left by a failed test before
		os.unlink(TRIGGER)
	room, room2 = uniq(), uniq()
	s = await start(["--db", db, "--metrics", "auto", "-v",
	    "--rate-limit", "0"], shim=err)
	a = await v2(s, "Alice")
	b = await v2(s)
	old = await s.client()		# version 1
	late = await s.client()		# says hello while the disk is full
	await join_in_order(room, a, b, old)
	seqs = [await said(room, "before", a, "Alice", [a, b], [old])]
	m0 = await scrape(s)
	check((m0[UP], m0[ERRORS]) == (1, 0), "before: up %s, errors %s" %
	    (m0[UP], m0[ERRORS]))
	await healthz(s, (200, b"ok\n"))

	open(TRIGGER, "w").close()
	# Not stored: the sender is told, nobody else hears of it.
	await a.send({"action": "room_message", "message": "lost one"})
	await a.expect(UNAVAILABLE)
	await old.send({"action": "room_message", "message": "lost two"})
	await old.expect_text('{"action":"error","message":'
	    '"service unavailable"}')
	await expect_nothing(a, b, old)
	log = s.output()
	check(re.search(r'^event=store_error store=sqlite op=commit '
	    r'error="%s: %s"$' % (re.escape(db), re.escape(reason)), log,
	    re.M) is not None,
	    "no store_error event naming %s in the log:\n%s" % (db,
	    s.tail()))
	check(re.search(r"^event=store_down store=sqlite ", log, re.M),
	    "no store_down event:\n%s" % s.tail())
	await healthz(s, (503, b"sqlite: last commit failed\n"))
	m1 = await scrape(s)
	check(m1[UP] == 0 and m1[ERRORS] >= 2, "disk full: up %s, errors %s"
	    % (m1[UP], m1[ERRORS]))

	# What needs no write still works, for both versions.
	await a.send({"action": "rooms"})
	await a.expect({"action": "rooms", "rooms": [room]})
	await old.send({"action": "participants", "room": room})
	await old.expect({"action": "participants", "room": room,
	    "participants": [a.id, b.id, old.id]})
	await old.send({"action": "private_message", "user_id": a.id,
	    "message": "psst"})
	await a.expect_v2({"action": "private_message", "user_id": old.id,
	    "message": "psst"})
	await old.expect({"action": "private_message", "user_id": a.id,
	    "message": "psst"})
	await b.send({"action": "join", "room": room2})
	await a.expect({"action": "leave", "room": room, "user_id": b.id})
	await old.expect({"action": "leave", "room": room, "user_id": b.id})
	await b.expect({"action": "join", "room": room2})
	await b.leave(room2)
	await b.join(room)
	await a.expect({"action": "join", "room": room, "user_id": b.id})
	await old.expect({"action": "join", "room": room, "user_id": b.id})
	# History reads what was committed (not what the failed
	# transactions had added).
	got = await b.history(room)
	check([(int(m["seq"]), m["message"], m["user_id"]) for m in got] ==
	    [(seqs[0], "before", a.id)], "history while the disk is full: "
	    "%s" % jdump(got))
	# What needs a write is refused, with the same answer.
	await b.send({"action": "nick", "name": "Bob"})
	await b.expect(UNAVAILABLE)
	await late.send({"action": "hello"})
	await late.expect(UNAVAILABLE)
	# A new connection gets no id that could be handed out again after
	# a crash: it is closed.
	c = await s.raw(hello=False)
	code, reason = await c.expect_close()
	check((code, reason) == (1011, "store failure"), "new connection "
	    "while the disk is full: close %s %r" % (code, reason))
	check(s.alive(), "the server died")
	m1 = await scrape(s)

	os.unlink(TRIGGER)
	seqs.append(await said(room, "after", a, "Alice", [a, b], [old]))
	await healthz(s, (200, b"ok\n"))
	m2 = await scrape(s)
	check(m2[UP] == 1 and m2[ERRORS] == m1[ERRORS], "disk back: up %s, "
	    "errors %s (were %s)" % (m2[UP], m2[ERRORS], m1[ERRORS]))
	check(re.search(r"^event=store_up store=sqlite$", s.output(), re.M),
	    "no store_up event:\n%s" % s.tail())
	seqs.append(await said(room, "and on", old, None, [a, b], [old]))
	check(seqs == sorted(set(seqs)), "seqs not increasing: %s" % seqs)
	want = [(seqs[0], "before", a.id), (seqs[1], "after", a.id),
	    (seqs[2], "and on", old.id)]
	got = await b.history(room)
	check([(int(m["seq"]), m["message"], m["user_id"]) for m in got] ==
	    want, "history: %s\n  expected %s" % (jdump(got), want))
	d = await v2(s, "Dora")
	await late.v2_hello()
	await b.send({"action": "nick", "name": "Bob"})
	await b.expect({"action": "nick", "user_id": b.id, "name": "Bob"})
	token, last = a.token, int(d.id)
	await s.stop()

	# The file is whole: a restart has it all.
	s2 = await start(["--db", db])
	e = await s2.client()
	check(int(e.id) == last + 1, "first id after restart %s, expected %d"
	    % (e.id, last + 1))
	h = await e.v2_hello(token)
	check(h["user_id"] == a.id and h.get("name") == "Alice",
	    "resume after restart: %s" % jdump(h))
	got = await e.history(room)
	check([(int(m["seq"]), m["message"], m["user_id"]) for m in got] ==
	    want, "history after restart: %s" % jdump(got))
	await e.join(room)
	check(await said(room, "again", e, "Alice", [e], []) > seqs[-1],
	    "seq after restart not above %d" % seqs[-1])
	await s2.stop()


@suite.test("disk full (ENOSPC) while running: logged, counted, nothing "
    "unstored delivered, the chat goes on; back when the disk is",
    fresh=True, timeout=60)
async def _(srv):
	await refused("ENOSPC", "database or disk is full")


@suite.test("disk I/O error (EIO) while running: the same", fresh=True,
    timeout=60)
async def _(srv):
	await refused("EIO", "disk I/O error")


suite.run()
