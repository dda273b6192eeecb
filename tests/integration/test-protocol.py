#!/usr/bin/python3
"""Every action and rule of doc/protocol.md, over real WebSockets."""

from chatlib import *

suite = Suite()


def rm(room, uid, text):
	return {"action": "room_message", "room": room, "user_id": uid,
	    "message": text}


def pm(uid, text):
	return {"action": "private_message", "user_id": uid, "message": text}


@suite.test("ids are sequential strings from \"0\", never reused", fresh=True)
async def _(srv):
	a, b, c = await srv.clients(3)
	check([a.id, b.id, c.id] == ["0", "1", "2"],
	    "ids %r, expected 0, 1, 2" % [a.id, b.id, c.id])
	await b.close()
	d = await srv.client()
	check(d.id == "3", "id after a disconnect is %r, expected \"3\" "
	    "(never reused)" % d.id)
	c.abort()
	e = await srv.client()
	check(e.id == "4", "id after an abort is %r, expected \"4\"" % e.id)


@suite.test("the connection message comes first and alone")
async def _(srv):
	a = await srv.client()
	await a.expect_nothing()


@suite.test("join reply")
async def _(srv):
	a = await srv.client()
	r = uniq()
	await a.send({"action": "join", "room": r})
	await a.expect({"action": "join", "room": r})
	await a.expect_nothing()
	check(await a.participants(r) == [a.id], "participants after join")


@suite.test("join notifies the other members only")
async def _(srv):
	a, b, c = await srv.clients(3)
	r = uniq()
	await a.join(r)
	await c.join(uniq())
	await b.join(r)
	await a.expect({"action": "join", "room": r, "user_id": b.id})
	await expect_nothing(a, b, c)


@suite.test("join the room you are in: the reply again, no notification")
async def _(srv):
	a, b = await srv.clients(2)
	r = uniq()
	await join_in_order(r, a, b)
	await a.join(r)
	await expect_nothing(a, b)
	check(await b.participants(r) == sorted([a.id, b.id], key=int),
	    "participants changed by a re-join")


@suite.test("auto-leave on join: old room notified, joiner gets only the reply")
async def _(srv):
	a, b, c = await srv.clients(3)
	r1, r2 = uniq(), uniq()
	await a.join(r1)
	await b.join(r1)
	await a.expect({"action": "join", "room": r1, "user_id": b.id})
	await c.join(r2)
	await a.join(r2)
	await b.expect({"action": "leave", "room": r1, "user_id": a.id})
	await c.expect({"action": "join", "room": r2, "user_id": a.id})
	await expect_nothing(a, b, c)
	check(await b.participants(r1) == [b.id], "old room participants")
	check(await b.participants(r2) == sorted([a.id, c.id], key=int),
	    "new room participants")
	# Messages now go to the new room only.
	await a.send({"action": "room_message", "message": "moved"})
	await a.expect(rm(r2, a.id, "moved"))
	await c.expect(rm(r2, a.id, "moved"))
	await expect_nothing(b)


@suite.test("auto-leave from a room you are alone in removes it")
async def _(srv):
	a = await srv.client()
	r1, r2 = uniq(), uniq()
	await a.join(r1)
	await a.join(r2)
	await a.expect_nothing()
	rooms = await a.rooms()
	check(r1 not in rooms and r2 in rooms, "rooms %r: %r should be gone, "
	    "%r present" % (rooms, r1, r2))
	check(await a.participants(r1) is None, "participants of a removed "
	    "room must be the error")


@suite.test("leave: reply to the leaver, notification to the others")
async def _(srv):
	a, b, c = await srv.clients(3)
	r = uniq()
	await join_in_order(r, a, b, c)
	await a.send({"action": "leave"})
	await a.expect({"action": "leave", "room": r})
	await b.expect({"action": "leave", "room": r, "user_id": a.id})
	await c.expect({"action": "leave", "room": r, "user_id": a.id})
	await expect_nothing(a, b, c)
	check(await b.participants(r) == sorted([b.id, c.id], key=int),
	    "participants after leave")
	# The leaver no longer gets room messages and cannot send any.
	await b.send({"action": "room_message", "message": "after"})
	await b.expect(rm(r, b.id, "after"))
	await c.expect(rm(r, b.id, "after"))
	await a.expect_nothing()
	await a.send({"action": "room_message", "message": "x"})
	await a.expect_error("user is not in a room")
	await a.send({"action": "leave"})
	await a.expect_error("user was not in a room")
	await expect_nothing(b, c)


@suite.test("leave when never in a room")
async def _(srv):
	a = await srv.client()
	await a.send({"action": "leave"})
	await a.expect_error("user was not in a room")
	await a.expect_nothing()


@suite.test("room_message when not in a room")
async def _(srv):
	a = await srv.client()
	await a.send({"action": "room_message", "message": "hi"})
	await a.expect_error("user is not in a room")


@suite.test("room_message reaches every member, the sender included, exactly")
async def _(srv):
	a, b, c, d = await srv.clients(4)
	r = uniq()
	for x in (a, b, c):
		await x.join(r)
		await x.participants(r)
	await d.join(uniq())
	# Drain the join notifications.
	await a.expect({"action": "join", "room": r, "user_id": b.id})
	await a.expect({"action": "join", "room": r, "user_id": c.id})
	await b.expect({"action": "join", "room": r, "user_id": c.id})
	await b.send({"action": "room_message", "message": "hello"})
	for x in (a, b, c):
		await x.expect(rm(r, b.id, "hello"))
	await expect_nothing(a, b, c, d)


@suite.test("two clients in a room talk both ways in one order")
async def _(srv):
	a, b = await srv.clients(2)
	r = uniq()
	await join_in_order(r, a, b)
	await a.send({"action": "room_message", "message": "ping"})
	await b.send({"action": "room_message", "message": "pong"})
	got_a = [await a.recv(), await a.recv()]
	got_b = [await b.recv(), await b.recv()]
	for g in got_a + got_b:
		g.pop("ts", None)
	check(sorted(map(jdump, got_a)) == sorted([jdump(rm(r, a.id, "ping")),
	    jdump(rm(r, b.id, "pong"))]), "a got %s" % jdump(got_a))
	check(got_a == got_b, "members saw different orders: %s vs %s" %
	    (jdump(got_a), jdump(got_b)))
	await expect_nothing(a, b)


@suite.test("three clients in a room: total order for concurrent senders")
async def _(srv):
	cs = await srv.clients(3)
	r = uniq()
	for x in cs:
		await x.join(r)
	await cs[0].expect({"action": "join", "room": r, "user_id": cs[1].id})
	await cs[0].expect({"action": "join", "room": r, "user_id": cs[2].id})
	await cs[1].expect({"action": "join", "room": r, "user_id": cs[2].id})
	n = 15
	async def send(x):
		for i in range(n):
			await x.send({"action": "room_message",
			    "message": "%s:%d" % (x.id, i)})
	await asyncio.gather(*(send(x) for x in cs))
	seqs = []
	for x in cs:
		seq = []
		for _ in range(3 * n):
			m = await x.recv()
			m.pop("ts", None)
			check(m.get("action") == "room_message" and
			    m.get("room") == r and
			    m["message"].split(":")[0] == m["user_id"],
			    "bad message %s" % jdump(m))
			seq.append((m["user_id"], m["message"]))
		seqs.append(seq)
	check(seqs[0] == seqs[1] == seqs[2], "members saw different orders")
	for x in cs:
		mine = [int(t.split(":")[1]) for u, t in seqs[0] if u == x.id]
		check(mine == list(range(n)), "sender %s out of order: %r" %
		    (x.id, mine))
	await expect_nothing(*cs)


@suite.test("private message: echo to the sender, delivery to the target")
async def _(srv):
	a, b, c = await srv.clients(3)
	await b.join(uniq())
	await a.send(pm(b.id, "hi b"))
	await a.expect(pm(b.id, "hi b"))
	await b.expect(pm(a.id, "hi b"))
	await expect_nothing(a, b, c)


@suite.test("private message across rooms and from a user in no room")
async def _(srv):
	a, b = await srv.clients(2)
	await a.join(uniq())
	await b.join(uniq())
	await a.send(pm(b.id, "x-room"))
	await a.expect(pm(b.id, "x-room"))
	await b.expect(pm(a.id, "x-room"))
	c = await srv.client()
	await c.send(pm(a.id, "roomless"))
	await c.expect(pm(a.id, "roomless"))
	await a.expect(pm(c.id, "roomless"))
	await expect_nothing(a, b, c)


@suite.test("private message to yourself: delivery and echo")
async def _(srv):
	a = await srv.client()
	await a.send(pm(a.id, "me"))
	await a.expect(pm(a.id, "me"))
	await a.expect(pm(a.id, "me"))
	await a.expect_nothing()


@suite.test("private message to an absent id")
async def _(srv):
	a = await srv.client()
	await a.send(pm("999999", "anyone?"))
	await a.expect_error("user 999999 is not on the server")
	await a.send(pm("abc", "anyone?"))
	await a.expect_error("user abc is not on the server")
	await a.send(pm("-1", "anyone?"))
	await a.expect_error("user -1 is not on the server")
	await a.usable()


@suite.test("private message to a user who left the server", fresh=True)
async def _(srv):
	a, b = await srv.clients(2)
	await b.close()
	async def gone():
		await a.send(pm(b.id, "still there?"))
		m = await a.recv()
		if m == pm(b.id, "still there?"):
			return False
		check(m == {"action": "error", "message": "user %s is not on "
		    "the server" % b.id}, "got %s" % jdump(m))
		return True
	await wait_until(gone, what="user %s to be gone" % b.id)


@suite.test("ids are compared as strings (\"01\", \" 1\", \"1 \", \"+1\")")
async def _(srv):
	a, b = await srv.clients(2)
	for t in ("0" + b.id, " " + b.id, b.id + " ", "+" + b.id,
	    b.id + ".0", "\u0661" if b.id == "1" else b.id + "\u0660"):
		await a.send(pm(t, "x"))
		await a.expect_error("user %s is not on the server" % t)
	await expect_nothing(a, b)


@suite.test("a forged user_id in room_message is ignored")
async def _(srv):
	a, b = await srv.clients(2)
	r = uniq()
	await join_in_order(r, a, b)
	await a.send({"action": "room_message", "message": "forged",
	    "user_id": b.id})
	await a.expect(rm(r, a.id, "forged"))
	await b.expect(rm(r, a.id, "forged"))
	await expect_nothing(a, b)


@suite.test("a forged user_id in join/leave is ignored")
async def _(srv):
	a, b = await srv.clients(2)
	r = uniq()
	await a.join(r)
	await b.send({"action": "join", "room": r, "user_id": a.id})
	await b.expect({"action": "join", "room": r})
	await a.expect({"action": "join", "room": r, "user_id": b.id})
	await b.send({"action": "leave", "user_id": a.id})
	await b.expect({"action": "leave", "room": r})
	await a.expect({"action": "leave", "room": r, "user_id": b.id})
	check(await a.participants(r) == [a.id], "a must still be in the room")
	await expect_nothing(a, b)


@suite.test("a private message carries the real sender, whatever is claimed")
async def _(srv):
	a, b, c = await srv.clients(3)
	await a.send({"action": "private_message", "user_id": b.id,
	    "message": "who", "from": c.id, "sender": c.id})
	await a.expect(pm(b.id, "who"))
	await b.expect(pm(a.id, "who"))
	await expect_nothing(a, b, c)


@suite.test("rooms: empty list on a fresh server, then sorted by bytes",
    fresh=True)
async def _(srv):
	a = await srv.client()
	check(await a.rooms() == [], "fresh server rooms not []")
	names = ["b", "B", "a", "_", "Z9", "\u00e9", "aa", "a b", "10", "9",
	    "~", "\u65e5\u672c", "A", "\U0001f389", "\u00e8", "z"]
	cs = await srv.clients(len(names))
	for c, n in zip(cs, names):
		await c.join(n)
	got = await a.rooms()
	want = sorted(names, key=lambda s: s.encode())
	check(got == want, "rooms %s\n  expected (byte order) %s" %
	    (jdump(got), jdump(want)))


@suite.test("rooms list shows rooms being created", timeout=10)
async def _(srv):
	a, b = await srv.clients(2)
	r1, r2 = uniq("zz"), uniq("AA")
	await a.join(r1)
	await b.join(r2)
	got = await a.rooms()
	check(r1 in got and r2 in got, "rooms %r lacks %r/%r" % (got, r1, r2))
	check(got == sorted(got, key=lambda s: s.encode()), "rooms not "
	    "sorted: %r" % got)


@suite.test("participants sorted numerically (\"2\" before \"10\")", fresh=True)
async def _(srv):
	cs = await srv.clients(13)
	r = "numeric"
	order = [12, 2, 10, 0, 11, 1, 9, 3]
	for i in order:
		await cs[i].join(r)
	want = [str(i) for i in sorted(order)]
	got = await cs[5].participants(r)
	check(got == want, "participants %s, expected %s" % (jdump(got),
	    jdump(want)))


@suite.test("participants includes the requester; of an absent room: error")
async def _(srv):
	a, b = await srv.clients(2)
	r = uniq()
	await join_in_order(r, a, b)
	check(await a.participants(r) == sorted([a.id, b.id], key=int),
	    "participants")
	n = uniq("none")
	await a.send({"action": "participants", "room": n})
	await a.expect_error("room %s does not exist" % n)


@suite.test("empty rooms are removed (leave)")
async def _(srv):
	a, b = await srv.clients(2)
	r = uniq()
	await join_in_order(r, a, b)
	await a.leave(r)
	await b.expect({"action": "leave", "room": r, "user_id": a.id})
	check(r in await a.rooms(), "room removed while a member remains")
	await b.leave(r)
	check(r not in await a.rooms(), "empty room still listed")
	await a.send({"action": "participants", "room": r})
	await a.expect_error("room %s does not exist" % r)
	# Joining again creates it anew.
	await a.join(r)
	check(await b.participants(r) == [a.id], "re-created room")


@suite.test("unknown keys are ignored")
async def _(srv):
	a, b = await srv.clients(2)
	r = uniq()
	await a.send({"action": "join", "room": r, "x": 1, "y": {"z": [1, 2]},
	    "rooms": ["q"], "participants": None})
	await a.expect({"action": "join", "room": r})
	m = await a.request({"action": "rooms", "foo": "bar", "room": "nope"})
	check(m.get("action") == "rooms" and r in m.get("rooms", []),
	    "rooms with extra keys: %s" % jdump(m))
	# A "room" key on room_message does not redirect it.
	await b.join(uniq())
	await a.send({"action": "room_message", "message": "m", "room": "zzz",
	    "extra": True})
	await a.expect(rm(r, a.id, "m"))
	await a.send({"action": "private_message", "user_id": b.id,
	    "message": "p", "room": "zzz", "n": 1.5})
	await a.expect(pm(b.id, "p"))
	await b.expect(pm(a.id, "p"))
	await a.send({"action": "participants", "room": r, "user_id": "7"})
	await a.expect({"action": "participants", "room": r,
	    "participants": [a.id]})
	await a.send({"action": "leave", "room": "other"})
	await a.expect({"action": "leave", "room": r})
	await expect_nothing(a, b)


@suite.test("whitespace-only messages are delivered")
async def _(srv):
	a, b = await srv.clients(2)
	r = uniq()
	await a.join(r)
	for t in (" ", "\t", "\n", " \r\n\t ", "\u00a0", "\u3000"):
		await a.send({"action": "room_message", "message": t})
		await a.expect(rm(r, a.id, t))
		await a.send(pm(b.id, t))
		await a.expect(pm(b.id, t))
		await b.expect(pm(a.id, t))


@suite.test("unicode and escapes round-trip (raw UTF-8 and \\u escapes)")
async def _(srv):
	a, b = await srv.clients(2)
	r = "caf\u00e9 \u2615 \u65e5\u672c \U0001f600"
	await join_in_order(r, a, b)
	texts = ["h\u00e9llo \u2713 \u65e5\u672c\u8a9e \U0001f389",
	    "e\u0301 combining, \u200b zero width, \u202e rtl",
	    "quote \" backslash \\ slash / tab\t newline\n",
	    "\U0010ffff max", "<script>&amp;</script>"]
	for t in texts:
		# Raw UTF-8 on the wire ...
		await a.send({"action": "room_message", "message": t})
		await a.expect(rm(r, a.id, t))
		await b.expect(rm(r, a.id, t))
		# ... and ASCII-only with \u escapes (surrogate pairs).
		await a.send(json.dumps({"action": "room_message",
		    "message": t}, ensure_ascii=True))
		await a.expect(rm(r, a.id, t))
		await b.expect(rm(r, a.id, t))
	check(r in await b.rooms(), "unicode room name not listed")
	check(await b.participants(r) == sorted([a.id, b.id], key=int),
	    "participants of a unicode room")


@suite.test("per sender, messages arrive in the order sent")
async def _(srv):
	a, b = await srv.clients(2)
	r = uniq()
	await a.join(r)
	await b.join(r)
	n = 40
	for i in range(n):
		await a.send({"action": "room_message", "message": "r%d" % i})
	await a.expect({"action": "join", "room": r, "user_id": b.id})
	for i in range(n):
		await b.expect(rm(r, a.id, "r%d" % i))
	for i in range(n):
		await a.expect(rm(r, a.id, "r%d" % i))
	c = await srv.client()
	for i in range(n):
		await c.send(pm(b.id, "p%d" % i))
	for i in range(n):
		await b.expect(pm(c.id, "p%d" % i))
		await c.expect(pm(b.id, "p%d" % i))


@suite.test("a member that left is not told about the room any more")
async def _(srv):
	a, b = await srv.clients(2)
	r = uniq()
	await a.join(r)
	await a.leave(r)
	await b.join(r)
	await b.send({"action": "room_message", "message": "alone"})
	await b.expect(rm(r, b.id, "alone"))
	await expect_nothing(a, b)


suite.run()
