#!/usr/bin/python3
"""Disconnects of every kind count as leave (doc/protocol.md, Disconnecting)."""

from chatlib import *

suite = Suite()


async def gone(watcher, uid):
	"""uid is no longer reachable by private message."""
	async def probe():
		await watcher.send({"action": "private_message", "user_id": uid,
		    "message": "are you there?"})
		m = await watcher.recv()
		if m.get("action") == "private_message":
			return False
		check(m == {"action": "error", "message": "user %s is not on "
		    "the server" % uid}, "got %s" % jdump(m))
		return True
	await wait_until(probe, timeout=3, interval=0.1,
	    what="user %s to be gone" % uid)


async def room_gone(watcher, room):
	async def probe():
		return await watcher.participants(room) is None
	await wait_until(probe, timeout=3, interval=0.1,
	    what="room %r to be removed" % room)
	check(room not in await watcher.rooms(), "room %r still listed" % room)


async def dropped_is_leave(srv, drop, raw=False):
	"""a and b in a room, b disconnected by drop(b): a gets the leave
	notification, b is unreachable, then a leaves and the room goes."""
	a = await srv.client()
	b = await (srv.raw() if raw else srv.client())
	r = uniq()
	await join_in_order(r, a, b)
	await drop(b)
	await a.expect({"action": "leave", "room": r, "user_id": b.id},
	    timeout=3)
	await a.expect_nothing()
	check(await a.participants(r) == [a.id], "participants after drop")
	await gone(a, b.id)
	await a.leave(r)
	await room_gone(a, r)


def vanish_after(data):
	"""A drop that writes data (part of a frame) and then hangs up."""
	async def drop(b):
		b.write(data)
		await b.drain()
		await asyncio.sleep(0.05)
		b.abort()
	return drop


@suite.test("clean close frame = leave")
async def _(srv):
	async def drop(b):
		await b.close()
	await dropped_is_leave(srv, drop)


@suite.test("abrupt TCP disconnect (no close frame) = leave")
async def _(srv):
	async def drop(b):
		b.abort()
	await dropped_is_leave(srv, drop)


@suite.test("TCP reset (SO_LINGER 0) = leave")
async def _(srv):
	async def drop(b):
		sock = b.writer.get_extra_info("socket")
		sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
		    struct.pack("ii", 1, 0))
		b.abort()
	await dropped_is_leave(srv, drop, raw=True)


@suite.test("half-close (FIN, no close frame) = leave")
async def _(srv):
	async def drop(b):
		b.writer.write_eof()
	await dropped_is_leave(srv, drop, raw=True)


@suite.test("vanishing mid-frame (half a frame, then close) = leave")
async def _(srv):
	f = build_frame(OP_TEXT, json.dumps({"action": "room_message",
	    "message": "x" * 100}))
	await dropped_is_leave(srv, vanish_after(f[:len(f) // 2]), raw=True)


@suite.test("vanishing mid-header (one byte of a frame) = leave")
async def _(srv):
	await dropped_is_leave(srv, vanish_after(b"\x81"), raw=True)


@suite.test("close frame then vanish without waiting for the reply = leave")
async def _(srv):
	async def drop(b):
		b.write(build_frame(OP_CLOSE, struct.pack("!H", 1000)))
		await b.drain()
		b.abort()
	await dropped_is_leave(srv, drop, raw=True)


@suite.test("a message sent right before a drop is delivered or not, nothing "
    "else")
async def _(srv):
	async def drop(b):
		await b.send({"action": "room_message", "message": "last"})
		b.abort()
	a = await srv.client()
	b = await srv.raw()
	r = uniq()
	await join_in_order(r, a, b)
	await drop(b)
	m = await a.recv(timeout=3)
	m.pop("ts", None)
	if m.get("action") == "room_message":
		check(m == {"action": "room_message", "room": r,
		    "user_id": b.id, "message": "last"}, "got %s" % jdump(m))
		m = await a.recv(timeout=3)
	check(m == {"action": "leave", "room": r, "user_id": b.id},
	    "expected the leave notification, got %s" % jdump(m))


@suite.test("the last member dropping removes the room")
async def _(srv):
	a = await srv.client()
	b = await srv.client()
	r = uniq()
	await b.join(r)
	b.abort()
	await room_gone(a, r)
	await gone(a, b.id)


@suite.test("a user in no room drops: nobody is notified, id unreachable")
async def _(srv):
	a, b = await srv.clients(2)
	r = uniq()
	await a.join(r)
	b.abort()
	await gone(a, b.id)
	await a.expect_nothing()


@suite.test("three members, one drops: both others notified once")
async def _(srv):
	a, b, c = await srv.clients(3)
	r = uniq()
	await join_in_order(r, a, b, c)
	b.abort()
	await a.expect({"action": "leave", "room": r, "user_id": b.id}, 3)
	await c.expect({"action": "leave", "room": r, "user_id": b.id}, 3)
	await expect_nothing(a, c)
	await a.send({"action": "room_message", "message": "after"})
	for x in (a, c):
		await x.expect({"action": "room_message", "room": r,
		    "user_id": a.id, "message": "after"})


@suite.test("many abrupt drops at once: room empties, server still serves")
async def _(srv):
	w = await srv.client()
	r = uniq()
	cs = [await srv.raw() for _ in range(30)]
	for c in cs:
		await c.send({"action": "join", "room": r})
	for c in cs:
		await c.expect({"action": "join", "room": r})
	for i, c in enumerate(cs):
		if i % 3 == 0:
			c.abort()
		elif i % 3 == 1:
			c.write(b"\x81\xfe\x10")
			await c.drain()
			c.abort()
		else:
			await c.close()
	await room_gone(w, r)
	await w.usable()


suite.run()
