#!/usr/bin/python3
"""Issue 4, "survives faults": SIGTERM while 1,000 clients are talking, and
churn: 1,000 clients connecting, joining, chatting and dropping abruptly in
every way for 30 s, after which every room's participants are exactly the
clients still connected to it.

CHAT_FAULT_CLIENTS (1000) and CHAT_CHURN_SECONDS (30) shrink it."""

import random

from chatlib import *
from faultlib import raise_nofile

# A thousand clients need a thousand sockets here and in the server.
raise_nofile()

suite = Suite()

NCLIENTS = int(os.environ.get("CHAT_FAULT_CLIENTS", "1000"))
CHURN_SECONDS = float(os.environ.get("CHAT_CHURN_SECONDS", "30"))


class Talker(BackgroundReader):
	"""A raw client that reads everything in the background (so it is
	never a slow consumer), answers pings and close frames, and notes
	the close code it got."""

	def __init__(self, c):
		self.c = c
		self.close = None	# (code, reason) of the server's close
		self.lost = False	# EOF without a close frame
		self.start()

	async def _read(self):
		try:
			while True:
				region, n, others = await self.c.read_batch(
				    timeout=None)
				for op, fin, p in others:
					if op == OP_CLOSE:
						code = struct.unpack("!H", p[:2])[0] \
						    if len(p) >= 2 else None
						self.close = (code, p[2:].decode(
						    "utf-8", "replace"))
						try:
							self.c.write(build_frame(
							    OP_CLOSE, p[:2]))
							self.c.writer.close()
						except Exception:
							pass
						return
		except ConnectionLost:
			self.lost = True
		except Exception:
			self.lost = True


async def connect_many(srv, n, **kw):
	sem = asyncio.Semaphore(50)
	async def one():
		async with sem:
			return await srv.raw(timeout=30, **kw)
	return await asyncio.gather(*(one() for _ in range(n)))


async def join_raw(c, room):
	"""Join before the background reader starts; skip notifications."""
	await c.send({"action": "join", "room": room})
	while True:
		m = await c.recv(timeout=20)
		if m.get("action") == "join" and m.get("user_id") in (None, c.id):
			check(m.get("room") == room, "join reply %s" % jdump(m))
			return


@suite.test("SIGTERM while %d clients talk: all get close 1001, exit 0 "
    "within 2 s" % NCLIENTS, fresh=True, timeout=120)
async def _(srv):
	cs = await connect_many(srv, NCLIENTS)
	for k, c in enumerate(cs):
		await join_raw(c, "busy-%d" % (k % 10))
	talkers = [Talker(c) for c in cs]
	stop = False

	async def talk(t, k):
		i = 0
		while not stop and t.close is None and not t.lost:
			try:
				t.c.write(build_frame(OP_TEXT, json.dumps({
				    "action": "room_message",
				    "message": "talk %d %d" % (k, i)})))
				await t.c.drain()
			except (ConnectionError, OSError):
				return
			i += 1
			await asyncio.sleep(random.uniform(0.2, 0.6))
	tasks = [asyncio.ensure_future(talk(t, k))
	    for k, t in enumerate(talkers)]
	await asyncio.sleep(2)
	srv.send_signal(signal.SIGTERM)
	rc = await srv.wait(2)
	stop = True
	await asyncio.gather(*tasks)
	check(rc is not None, "the server was still running %.1fs after "
	    "SIGTERM" % scaled(2))
	check(rc == 0, "exit status %d\n%s" % (rc, srv.tail()))
	# The server is gone: each reader ends, with its close or its EOF.
	async def all_ended():
		return all(t.close is not None or t.lost for t in talkers)
	await wait_until(all_ended, timeout=10, what="every client to see "
	    "its connection end")
	bad = [(t.c.id, t.close, t.lost) for t in talkers
	    if t.close != (1001, "going away")]
	for t in talkers:
		await t.stop()
	check(not bad, "%d of %d clients got no close 1001 \"going away\"; "
	    "first ones (id, close, lost): %r" % (len(bad), len(talkers),
	    bad[:10]))


async def drop(c, how):
	"""End a connection in one of the ways real networks do."""
	try:
		if how == 0:		# close frame, the polite way
			c.write(build_frame(OP_CLOSE, struct.pack("!H", 1000)))
			await c.drain()
			c.abort()
		elif how == 1:		# just gone
			c.abort()
		elif how == 2:		# half a frame, then gone
			f = build_frame(OP_TEXT, json.dumps({"action":
			    "room_message", "message": "x" * 200}))
			c.write(f[:random.randint(1, len(f) - 1)])
			await c.drain()
			c.abort()
		elif how == 3:		# reset
			s = c.writer.get_extra_info("socket")
			s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
			    struct.pack("ii", 1, 0))
			c.abort()
		else:			# a header announcing more than comes
			c.write(b"\x81\xfe\xff\xff")
			await c.drain()
			c.abort()
	except (ConnectionError, OSError):
		c.abort()


@suite.test("churn: %d clients connect, chat and drop for %.0f s; "
    "participants match the survivors" % (NCLIENTS, CHURN_SECONDS),
    timeout=CHURN_SECONDS * 3 + 120)
async def _(srv):
	final_rooms = ["churn-%d" % i for i in range(20)]
	temp_rooms = ["churn-tmp-%d" % i for i in range(20)]
	deadline = time.monotonic() + CHURN_SECONDS
	survivors = {}		# id -> room
	keep = []
	counts = {"connections": 0, "messages": 0}
	errors = []

	async def worker(k):
		rnd = random.Random(k)
		while True:
			last = time.monotonic() >= deadline
			room = rnd.choice(final_rooms if last and k % 2 == 0
			    else final_rooms + temp_rooms)
			try:
				c = await srv.raw(timeout=30)
			except Exception as e:
				errors.append("connect: %r" % e)
				await asyncio.sleep(0.1)
				continue
			counts["connections"] += 1
			try:
				await join_raw(c, room)
			except Failure as e:
				errors.append("join: %s" % e)
				c.abort()
				continue
			t = Talker(c)
			if last and k % 2 == 0:
				survivors[c.id] = room
				keep.append(t)
				return
			for i in range(rnd.randint(0, 3)):
				try:
					c.write(build_frame(OP_TEXT, json.dumps({
					    "action": "room_message",
					    "message": "churn %d" % i})))
					await c.drain()
				except (ConnectionError, OSError):
					break
				counts["messages"] += 1
				await asyncio.sleep(rnd.uniform(0, 0.3))
			await t.stop()
			await drop(c, rnd.randint(0, 4))
			if last:
				return
			await asyncio.sleep(rnd.uniform(0, 0.5))

	await asyncio.gather(*(worker(k) for k in range(NCLIENTS)))
	check(not errors, "%d client errors during churn, e.g. %s" %
	    (len(errors), errors[:5]))
	w = await srv.client()

	async def settled():
		rooms = await w.rooms()
		want_rooms = sorted(set(survivors.values()),
		    key=lambda s: s.encode())
		if [r for r in rooms if r.startswith("churn")] != want_rooms:
			return False
		for r in want_rooms:
			want = sorted((i for i, rr in survivors.items()
			    if rr == r), key=int)
			if await w.participants(r) != want:
				return False
		return True
	try:
		await wait_until(settled, timeout=10, interval=0.5,
		    what="rooms and participants to match the survivors")
	except Failure:
		rooms = await w.rooms()
		detail = []
		for r in sorted(set(rooms) | set(survivors.values())):
			want = sorted((i for i, rr in survivors.items()
			    if rr == r), key=int)
			got = await w.participants(r)
			if got != want:
				detail.append("%s: got %s, expected %s" % (r,
				    got, want))
		fail("after churn, rooms %s\n%s" % (rooms, "\n".join(
		    detail[:10])))
	lost = [t.c.id for t in keep if t.lost or t.close]
	check(not lost, "survivors disconnected: %r" % lost[:10])
	print("# churn: %d connections, %d messages" % (counts["connections"],
	    counts["messages"]), flush=True)
	for t in keep:
		await t.stop()


suite.run()
