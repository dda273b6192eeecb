#!/usr/bin/python3
"""Every error text of doc/protocol.md; after each, the connection still
works."""

from chatlib import *

suite = Suite()


class Rot:
	"""Hands out a client, replaced by a new one every 30 requests so
	that no test trips the default rate limit (burst 50)."""

	def __init__(self, srv):
		self.srv = srv
		self.c = None
		self.n = 0

	async def get(self, cost=2):
		if self.c is None or self.n + cost > 30:
			if self.c is not None:
				await self.c.close()
			self.c = await self.srv.client()
			self.n = 0
		self.n += cost
		return self.c


async def err_then_ok(c, request, text):
	"""request (str, dict or bytes) gets exactly the error text, nothing
	else, and the connection still answers a request."""
	if isinstance(c, Rot):
		c = await c.get()
	await c.send(request)
	await c.expect_error(text)
	await c.usable()


def jtest(name, cases, text, setup=None):
	"""One test sending each of cases, each expecting text."""
	@suite.test(name)
	async def _(srv):
		c = Rot(srv)
		if setup is not None:
			await setup(c)
		bad = []
		for req in cases:
			try:
				await err_then_ok(c, req, text)
			except Failure as e:
				bad.append("request %r:\n%s" % (req, e))
				c.c = None	# start over on a new connection
		check(not bad, "%d of %d requests failed:\n%s" % (len(bad),
		    len(cases), "\n".join(bad)))


jtest("invalid JSON: garbage, non-objects, truncated, trailing bytes", [
	"garbage", "{", "}", "{]", '{"action":"rooms"', '{"action":',
	'{"action":"rooms",}', "{'action':'rooms'}", '{action:"rooms"}',
	"[]", '["action","rooms"]', '"rooms"', '""', "42", "-1.5e3", "true",
	"null", "", " ", '{"action":"rooms"} x', '{"action":"rooms"}{}',
	'{"action":"rooms"}]', '{"action":"rooms"}\u00e9',
	'{"action":"rooms" "x":1}', '{"action":"\\q"}', '{"action":"\\ud8"}',
	'{"action":"rooms","n":NaN}', '{"action":"rooms","n":Infinity}',
	'{"action":"rooms","n":undefined}', '{"action":"rooms"/*c*/}',
	], "invalid JSON")

jtest("invalid JSON: numbers outside the JSON grammar (RFC 8259)", [
	'{"action":"rooms","n":01}', '{"action":"rooms","n":-01}',
	'{"action":"rooms","n":1.}', '{"action":"rooms","n":.5}',
	'{"action":"rooms","n":+1}', '{"action":"rooms","n":0x10}',
	'{"action":"rooms","n":1e}', '{"action":"rooms","n":-}',
	], "invalid JSON")

jtest("missing action: absent or not a string", [
	{}, {"room": "x"}, {"Action": "rooms"}, {"action": 5},
	{"action": None}, {"action": True}, {"action": ["rooms"]},
	{"action": {"rooms": 1}}, {"action": 0.5}, {"ACTION": "rooms"},
	], "missing action")


@suite.test("unknown action: X, verbatim")
async def _(srv):
	c = Rot(srv)
	for a in ("connection", "error", "foo", "JOIN", "Rooms", " rooms",
	    "rooms ", "private message", "j\u00f6in", "\U0001f389", "a b c"):
		await err_then_ok(c, {"action": a}, "unknown action: " + a)
	# An empty action string is a string, so it is an unknown action.
	await err_then_ok(c, {"action": ""}, "unknown action: ")


MISSING = [
	("join", "room", {}),
	("participants", "room", {}),
	("room_message", "message", {}),
	("private_message", "user_id", {"message": "m"}),
	("private_message", "message", {"user_id": "0"}),
]
BAD_VALUES = [None, 5, 0, 1.5, True, False, [], ["x"], {}, {"x": "y"}]


@suite.test("missing field: F, for each action and field (absent, non-string)")
async def _(srv):
	c = Rot(srv)
	for action, field, rest in MISSING:
		base = dict(rest, action=action)
		text = "missing field: " + field
		try:
			await err_then_ok(c, base, text)
			for v in BAD_VALUES:
				await err_then_ok(c, dict(base, **{field: v}),
				    text)
		except Failure as e:
			fail("%s/%s: %s" % (action, field, e))
	# Ids are strings too: a numeric user id is a missing field.
	await err_then_ok(c, {"action": "private_message", "user_id": 0,
	    "message": "m"}, "missing field: user_id")


@suite.test("leave and rooms need no fields")
async def _(srv):
	c = await srv.client()
	await err_then_ok(c, {"action": "leave"}, "user was not in a room")
	m = await c.request({"action": "rooms"})
	check(m.get("action") == "rooms", "rooms: %s" % jdump(m))


@suite.test("fault order: JSON, action, fields in table order, values, state")
async def _(srv):
	c = Rot(srv)
	cases = [
		# JSON beats everything.
		('{"action":5,"room":', "invalid JSON"),
		# action beats fields.
		({"action": 5, "room": 5}, "missing action"),
		({"room": ""}, "missing action"),
		({"action": "nope", "room": 5}, "unknown action: nope"),
		# required fields in the order of the request table.
		({"action": "private_message"}, "missing field: user_id"),
		({"action": "private_message", "user_id": 1, "message": 2},
		    "missing field: user_id"),
		({"action": "private_message", "message": ""},
		    "missing field: user_id"),
		({"action": "private_message", "user_id": "999999"},
		    "missing field: message"),
		({"action": "private_message", "user_id": "", "message": 3},
		    "missing field: message"),
		# fields before values.
		({"action": "join", "room": 7, "message": ""},
		    "missing field: room"),
		# values before state.
		({"action": "private_message", "user_id": "999999",
		    "message": ""}, "invalid message"),
		({"action": "room_message", "message": ""}, "invalid message"),
		({"action": "room_message", "message": "x" * 4097},
		    "invalid message"),
		({"action": "participants", "room": ""}, "invalid room name"),
		({"action": "participants", "room": "x" * 65},
		    "invalid room name"),
		({"action": "participants", "room": "a\nb"},
		    "invalid room name"),
		# state.
		({"action": "room_message", "message": "x"},
		    "user is not in a room"),
		({"action": "private_message", "user_id": "999999",
		    "message": "x"}, "user 999999 is not on the server"),
		({"action": "participants", "room": "no such room here"},
		    "room no such room here does not exist"),
	]
	for req, text in cases:
		try:
			await err_then_ok(c, req, text)
		except Failure as e:
			fail("request %s:\n%s" % (jdump(req), e))


BAD_ROOMS = ["", "x" * 65, "\u00e9" * 33, "a" * 63 + "\u00e9",
    "\U0001f389" * 16 + "x", "a\x01b", "\x00", "a\x00b", "a\tb", "a\nb", "\r",
    "\x1b[31m", "\x1f", "\x7f", "x\x7f", "\x80", "\u0085", "a\u0085b",
    "\u009f", "\u009b2J"]
GOOD_ROOMS = ["x" * 64, "\u00e9" * 32, "\U0001f389" * 16, "a" * 62 + "\u00e9",
    " ", "~", "\u00a0", "\u00a0x", "a\u2028b", "\u200b", "\ufeff", "0",
    "room with spaces", "\\", "\"", "/"]


@suite.test("invalid room name: empty, over 64 bytes, control characters")
async def _(srv):
	c = Rot(srv)
	for r in BAD_ROOMS:
		try:
			await err_then_ok(c, {"action": "join", "room": r},
			    "invalid room name")
			await err_then_ok(c, {"action": "participants",
			    "room": r}, "invalid room name")
		except Failure as e:
			fail("room %r: %s" % (r, e))
	c = await srv.client()
	rooms = await c.rooms()
	check(all(r not in rooms for r in BAD_ROOMS), "a bad room was "
	    "created: %s" % jdump(rooms))


@suite.test("valid room names at the limits (64 bytes, NBSP, U+2028 ...)")
async def _(srv):
	c = await srv.client()
	for r in GOOD_ROOMS:
		await c.join(r)
		check(await c.participants(r) == [c.id], "participants of %r"
		    % r)
	await c.leave(GOOD_ROOMS[-1])


@suite.test("invalid message: empty, over 4096 bytes; 4096 is fine")
async def _(srv):
	a, b = await srv.clients(2)
	r = uniq()
	await a.join(r)
	for t in ("", "x" * 4097, "\u00e9" * 2048 + "x", "\u20ac" * 1366,
	    "\U0001f389" * 1024 + "x", "x" * 60000):
		try:
			await err_then_ok(a, {"action": "room_message",
			    "message": t}, "invalid message")
			await err_then_ok(a, {"action": "private_message",
			    "user_id": b.id, "message": t}, "invalid message")
		except Failure as e:
			fail("message of %d chars / %d bytes: %s" % (len(t),
			    len(t.encode()), e))
	for t in ("x" * 4096, "\u00e9" * 2048, "\u20ac" * 1365 + "x",
	    "\U0001f389" * 1024, "x"):
		await a.send({"action": "room_message", "message": t})
		await a.expect({"action": "room_message", "room": r,
		    "user_id": a.id, "message": t})
		await a.send({"action": "private_message", "user_id": b.id,
		    "message": t})
		await a.expect({"action": "private_message", "user_id": b.id,
		    "message": t})
		await b.expect({"action": "private_message", "user_id": a.id,
		    "message": t})
	await expect_nothing(a, b)


@suite.test("message length is counted after JSON decoding")
async def _(srv):
	a = await srv.client()
	r = uniq()
	await a.join(r)
	# 4096 bytes of text, 6 * 2048 = 12288 bytes of \u escapes on the wire.
	t = "\u00e9" * 2048
	await a.send(json.dumps({"action": "room_message", "message": t}))
	await a.expect({"action": "room_message", "room": r, "user_id": a.id,
	    "message": t})
	await err_then_ok(a, json.dumps({"action": "room_message",
	    "message": t + "\u00e9"}), "invalid message")
	# 4096 'n's written as \n escapes: 8192 bytes on the wire.
	t = "\n" * 4096
	await a.send(json.dumps({"action": "room_message", "message": t}))
	await a.expect({"action": "room_message", "room": r, "user_id": a.id,
	    "message": t})


@suite.test("binary frame: error, otherwise ignored")
async def _(srv):
	a, b = await srv.clients(2)
	r = uniq()
	await join_in_order(r, a, b)
	for payload in (b"\x00\x01\xff", b'{"action":"room_message",'
	    b'"message":"bin"}', b'{"action":"leave"}', b""):
		await a.send(payload)
		await a.expect_error("binary frames are not supported")
		await expect_nothing(a, b)
	check(await b.participants(r) == sorted([a.id, b.id], key=int),
	    "a binary leave was acted upon")
	await a.usable()


@suite.test("error replies go to the requester only")
async def _(srv):
	a, b, c = await srv.clients(3)
	r = uniq()
	await join_in_order(r, a, b)
	for req, text in (("nope", "invalid JSON"), ({}, "missing action"),
	    ({"action": "x"}, "unknown action: x"),
	    ({"action": "join"}, "missing field: room"),
	    ({"action": "join", "room": ""}, "invalid room name"),
	    ({"action": "room_message", "message": ""}, "invalid message"),
	    (b"bin", "binary frames are not supported"),
	    ({"action": "private_message", "user_id": b.id, "message": ""},
	    "invalid message"),
	    ({"action": "private_message", "user_id": "0" + b.id,
	    "message": "m"}, "user 0%s is not on the server" % b.id)):
		await a.send(req)
		await a.expect_error(text)
	await expect_nothing(a, b, c)
	# And the room still works for both.
	await a.send({"action": "room_message", "message": "still here"})
	for x in (a, b):
		await x.expect({"action": "room_message", "room": r,
		    "user_id": a.id, "message": "still here"})


@suite.test("a room that does not exist, named verbatim in the error")
async def _(srv):
	c = Rot(srv)
	for r in ("nope", "with space", "\u00e9\u00e8", "x" * 64, "\"q\""):
		await err_then_ok(c, {"action": "participants", "room": r},
		    "room %s does not exist" % r)


@suite.test("many errors in a row: the connection stays open")
async def _(srv):
	c = await srv.client()
	# Stay well inside the default burst of 50 requests.
	for i in range(20):
		await c.send("bad %d" % i)
	for i in range(20):
		await c.expect_error("invalid JSON")
	await c.usable()


suite.run()
