#!/usr/bin/python3
"""Issue 4: hostile input.  Each is answered as doc/protocol.md says and the
connection (or at least the server) stays usable."""

from chatlib import *

suite = Suite()


async def answer(c, payload, timeout=5):
	"""Send a raw text payload, return the parsed reply."""
	await c.send_frame(OP_TEXT, payload if isinstance(payload, bytes)
	    else payload.encode())
	return await c.recv(timeout)


@suite.test("JSON nested 10,000 deep: an error, the connection usable")
async def _(srv):
	c = await srv.raw()
	n = 10000
	for p, allowed in (
	    ("[" * n + "]" * n, ["invalid JSON"]),
	    ("{\"a\":" * n + "1" + "}" * n, ["invalid JSON", "missing action"]),
	    ("[" * 60000, ["invalid JSON"]),
	    ("{\"a\":" * 12000, ["invalid JSON"]),
	    ("{\"action\":\"rooms\",\"x\":" + "[" * n + "]" * n + "}",
	    ["invalid JSON", None])):
		m = await answer(c, p)
		if m.get("action") == "rooms" and None in allowed:
			continue
		check(m.get("action") == "error" and m.get("message") in
		    allowed, "%s... (%d bytes): got %s, expected an error "
		    "in %r" % (p[:30], len(p), jdump(m), allowed))
		await c.usable()


@suite.test("1 MiB of whitespace: over the frame limit, close 1009")
async def _(srv):
	w = await srv.client()
	c = await srv.raw()
	await c.send_frame(OP_TEXT, b" " * (1 << 20))
	code, reason = await c.expect_close(timeout=5)
	check(code == 1009, "close code %s (%r), expected 1009" % (code,
	    reason))
	await w.usable()


@suite.test("1 MiB of whitespace under --max-frame 4 MiB: invalid JSON; "
    "around a request: answered", args=["--max-frame", str(4 << 20)])
async def _(srv):
	c = await srv.raw()
	m = await answer(c, b" \t\r\n" * (1 << 18))
	check(m == {"action": "error", "message": "invalid JSON"}, "got %s" %
	    jdump(m))
	m = await answer(c, b" " * (1 << 19) + b'{"action":"rooms"}' +
	    b"\n" * (1 << 19))
	check(m.get("action") == "rooms", "got %s" % jdump(m))
	m = await answer(c, b'{"action":' + b" " * (1 << 20) + b'"rooms"}')
	check(m.get("action") == "rooms", "got %s" % jdump(m))


@suite.test("numbers (and other types) where strings belong")
async def _(srv):
	c = await srv.raw()
	cases = [
	    ({"action": 1}, "missing action"),
	    ({"action": "join", "room": 1}, "missing field: room"),
	    ({"action": "join", "room": 1e308}, "missing field: room"),
	    ({"action": "join", "room": -0}, "missing field: room"),
	    ({"action": "participants", "room": 0}, "missing field: room"),
	    ({"action": "private_message", "user_id": 0, "message": "m"},
	    "missing field: user_id"),
	    ({"action": "private_message", "user_id": "0", "message": 0},
	    "missing field: message"),
	    ({"action": "room_message", "message": 12345},
	    "missing field: message"),
	    ('{"action":"join","room":123456789012345678901234567890}',
	    "missing field: room"),
	]
	for req, text in cases:
		if isinstance(req, dict):
			req = json.dumps(req)
		m = await answer(c, req)
		check(m == {"action": "error", "message": text}, "%s: got %s, "
		    "expected %r" % (req, jdump(m), text))
		await c.usable()


@suite.test("duplicate keys: one of the values is used, consistently")
async def _(srv):
	c = await srv.raw()
	m = await answer(c, '{"action":"join","room":"dupA","room":"dupB"}')
	check(m.get("action") == "join" and m.get("room") in ("dupA", "dupB"),
	    "got %s" % jdump(m))
	joined = m["room"]
	await c.send({"action": "participants", "room": joined})
	got = await c.recv()
	check(got.get("participants") == [c.id], "reply named %r but the "
	    "user is not in it: %s" % (joined, jdump(got)))
	await c.send({"action": "rooms"})
	rooms = (await c.recv()).get("rooms", [])
	other = "dupB" if joined == "dupA" else "dupA"
	check(other not in rooms, "both duplicate rooms exist: %r" % rooms)
	m = await answer(c, '{"action":"rooms","action":"leave"}')
	check(m.get("action") == "rooms" or m == {"action": "leave",
	    "room": joined} or m.get("user_id") == c.id,
	    "got %s" % jdump(m))
	m = await answer(c, '{"action":"rooms","action":5}')
	check(m.get("action") == "rooms" or m == {"action": "error",
	    "message": "missing action"}, "got %s" % jdump(m))


@suite.test("NUL inside a message (\\u0000) is data: delivered whole")
async def _(srv):
	a = await srv.client()
	b = await srv.client()
	r = uniq()
	await a.join(r)
	# A message with a NUL round-trips whole.
	for t in ("a\u0000b", "\u0000", "x\u0000" * 10):
		await a.send({"action": "room_message", "message": t})
		await a.expect({"action": "room_message", "room": r,
		    "user_id": a.id, "message": t})


@suite.test("NUL inside ids, actions and room names is not a terminator")
async def _(srv):
	a = await srv.client()
	b = await srv.client()
	r = uniq()
	await a.join(r)
	t = b.id + "\u0000"
	bad = []
	for req, text in (
	    # "1\0" is not user "1" (and the error names it verbatim).
	    ({"action": "private_message", "user_id": t, "message": "m"},
	    "user %s is not on the server" % t),
	    # "rooms\0x" is not "rooms".
	    ({"action": "rooms\u0000x"}, "unknown action: rooms\u0000x"),
	    # A NUL in a room name is a control character.
	    ({"action": "join", "room": r + "\u0000evil"}, "invalid room name"),
	    ({"action": "participants", "room": r + "\u0000"},
	    "invalid room name")):
		await a.send(req)
		m = await a.recv()
		if m != {"action": "error", "message": text}:
			bad.append("%s: got %s, expected %s" % (jdump(req),
			    jdump(m), jdump(text)))
	await b.expect_nothing()
	check(not bad, "\n".join(bad))


@suite.test("raw control bytes inside JSON strings are not JSON")
async def _(srv):
	c = await srv.raw()
	bad = []
	for p in (b'{"action":"rooms","x":"a\x00b"}',
	    b'{"action":"rooms","x":"a\nb"}', b'{"action":"rooms\x00"}',
	    b'{"action":"rooms","x":"\x1f"}', b'{"action":"rooms","x":"\t"}'):
		m = await answer(c, p)
		if m != {"action": "error", "message": "invalid JSON"}:
			bad.append("%r: got %s" % (p, jdump(m)))
		await c.usable()
	check(not bad, "expected invalid JSON (RFC 8259: control characters "
	    "must be escaped):\n" + "\n".join(bad))


@suite.test("lone surrogates never make the server send invalid UTF-8")
async def _(srv):
	a = await srv.raw()
	b = await srv.raw()
	r = uniq()
	for c in (a, b):
		await c.join(r)
	await a.expect({"action": "join", "room": r, "user_id": b.id})
	for esc in ("\\ud800", "\\udfff", "x\\ud83dy", "\\udc00\\ud800"):
		await a.send_frame(OP_TEXT, ('{"action":"room_message",'
		    '"message":"%s"}' % esc).encode())
		# Either an error to a only, or a valid message to both.
		op, p = await a.recv_message()
		try:
			p.decode("utf-8")
		except UnicodeDecodeError:
			fail("%s: the server sent invalid UTF-8 %r" % (esc, p))
		m = json.loads(p)
		if m.get("action") == "error":
			check(m["message"] in ("invalid JSON", "invalid message"),
			    "%s: got %s" % (esc, jdump(m)))
			await b.expect_nothing()
		else:
			op, p = await b.recv_message()
			try:
				p.decode("utf-8")
			except UnicodeDecodeError:
				fail("%s: the server sent invalid UTF-8 %r to "
				    "another member" % (esc, p))
	await a.usable()
	await b.usable()


@suite.test("fragmented requests and pings between fragments")
async def _(srv):
	c = await srv.raw()
	c.write(build_frame(OP_TEXT, b'{"action":', fin=False))
	c.write(build_frame(OP_PING, b"hi"))
	c.write(build_frame(OP_CONT, b'"ro', fin=False))
	c.write(build_frame(OP_CONT, b'oms"}', fin=True))
	await c.drain()
	# Both come, each whole; RFC 6455 orders neither before the other
	# (the reply to a message completed after the ping may come first).
	got = [await c.recv_frame(), await c.recv_frame()]
	pong = (OP_PONG, True, b"hi")
	check(got.count(pong) == 1, "expected one pong 'hi', got %r" % (got,))
	op, fin, p = got[1 - got.index(pong)]
	check((op, fin) == (OP_TEXT, True) and
	    json.loads(p).get("action") == "rooms",
	    "expected the rooms reply, got %r" % ((op, fin, p),))


@suite.test("many requests in one TCP write are answered in order")
async def _(srv):
	c = await srv.raw()
	c.write(b"".join(build_frame(OP_TEXT, json.dumps({"action":
	    "private_message", "user_id": c.id, "message": "n%d" % i}))
	    for i in range(20)))
	await c.drain()
	for i in range(20):
		for _ in range(2):
			await c.expect({"action": "private_message",
			    "user_id": c.id, "message": "n%d" % i})


@suite.test("a frame dribbled one byte at a time")
async def _(srv):
	c = await srv.raw()
	f = build_frame(OP_TEXT, json.dumps({"action": "rooms"}))
	for i in range(len(f)):
		c.write(f[i:i + 1])
		await c.drain()
		await asyncio.sleep(0.005)
	m = await c.recv()
	check(m.get("action") == "rooms", "got %s" % jdump(m))


@suite.test("the server survives every hostile client above")
async def _(srv):
	c = await srv.client()
	await c.usable()


suite.run()
