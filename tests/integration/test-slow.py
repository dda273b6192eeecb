#!/usr/bin/python3
"""Slow consumers and dead peers (issue 4).

A client that stops reading while its room is busy (others sending up to
2,000 messages/s, paced to what the reading members take) is closed once
its bounded outbound queue is full: the server's memory stays bounded,
every other member receives every message in one order, and the room is
told the slow one left.

A peer that never answers WebSocket pings is dropped after
--ping-interval + --ping-timeout and its room told; one that answers
(python-websockets does) stays.

CHAT_SLOW_SECONDS (10; 3 under CHAT_SERVER_WRAPPER) sets how long the
busy room is flooded, CHAT_SLOW_RATE (2000; 200 under a wrapper) how
fast."""

from chatlib import *
from faultlib import *

suite = Suite()

SECONDS = env_seconds("CHAT_SLOW_SECONDS", 10, 3)
# Room messages per second, all senders (a server under valgrind cannot
# fan out 2,000 a second: there the floods are only a smoke test).
RATE = int(os.environ.get("CHAT_SLOW_RATE", "") or
    (200 if wrapped() else 2000))
NSEND = 4			# senders, each also a receiver
TEXT_BYTES = 3000		# so that an unbounded queue would pass
				# 2000 * 10 * 3 KB = 60 MB, far over the bound
RSS_LIMIT_KB = 64 * 1024	# the server's whole RSS...
RSS_GROWTH_KB = 32 * 1024	# ...and its growth during the flood


class Member(BackgroundReader):
	"""A raw client that reads everything in the background and keeps
	what the flood test checks: the room messages in arrival order as
	(sender, seq) and the leave notifications."""

	def __init__(self, c, room):
		self.c = c
		self.room = room
		self.got = []			# (user_id, seq)
		self.leaves = {}		# user_id -> monotonic time
		self.bad = []
		self.closed = None
		self.start()

	async def _read(self):
		c = self.c
		try:
			while True:
				await c._fill(3600)
				for op, fin, p in scan_frames(c.buf):
					self._frame(op, fin, p)
		except ConnectionLost:
			self.closed = "connection lost"
		except Failure as e:
			self.bad.append(str(e))

	def _frame(self, op, fin, p):
		if op == OP_PING:
			self.c.write(build_frame(OP_PONG, p))
			return
		if op == OP_CLOSE:
			self.closed = "close %s %r" % close_payload(p)
			return
		if op != OP_TEXT or not fin:
			self.bad.append("frame opcode %d fin %s" % (op, fin))
			return
		m = json.loads(p)
		m.pop("ts", None)
		a = m.get("action")
		if a == "room_message" and m.get("room") == self.room:
			seq = m["message"].split(" ", 1)[0]
			self.got.append((m["user_id"], int(seq)))
		elif a == "leave" and m.get("room") == self.room:
			self.leaves[m["user_id"]] = time.monotonic()
		elif a == "join" and m.get("room") == self.room:
			pass
		else:
			self.bad.append("unexpected %s" % jdump(m)[:200])


async def flood(srv, seconds, text_bytes, max_queue):
	"""The issue's test: one client that never reads in a room where
	NSEND others send RATE messages/s of text_bytes for seconds."""
	r = uniq("busy")
	stuck = await StuckClient.connect(srv.port, rcvbuf=4096)
	try:
		await flood_with(srv, seconds, text_bytes, max_queue, r, stuck)
	finally:
		stuck.close()


async def flood_with(srv, seconds, text_bytes, max_queue, r, stuck):
	m = await stuck.request({"action": "join", "room": r})
	check(m.get("action") == "join" and m.get("room") == r,
	    "stuck client: join reply %s" % jdump(m))
	members = []
	for _ in range(NSEND):
		c = await srv.raw()
		await c.join(r)
		members.append(Member(c, r))
	ids = [mb.c.id for mb in members]
	pad = "p" * text_bytes
	per_sender = int(RATE * seconds) // NSEND
	# The readers are members too, and must never be the slow ones: at
	# most half a queue of messages is ever sent and not yet read by
	# every reading member, however slowly they (or the server, under a
	# sanitizer) go.  RATE is then the most, not the rate.
	window = max(8, max_queue // (text_bytes + 100) // 2)
	sent_all = [0]
	await asyncio.sleep(0.2)
	pid = srv.proc.pid
	base = rss_kb(pid)
	peak = [base]
	done = False

	async def monitor():
		while not done:
			peak[0] = max(peak[0], rss_kb(pid))
			await asyncio.sleep(0.05)

	def unread():
		# Messages sent and not yet read by the slowest reader.
		got = [len(m.got) for m in members if m.closed is None and
		    not m.bad]
		return sent_all[0] - min(got) if got else 0

	async def sender(mb):
		# Paced: every 20 ms, catch up with RATE / NSEND per second,
		# as far as the window lets.
		t0 = time.monotonic()
		sent = 0
		while sent < per_sender:
			due = min(per_sender, int((time.monotonic() - t0) *
			    RATE / NSEND) + 1, sent + window - unread())
			if due > sent:
				mb.c.write(b"".join(build_frame(OP_TEXT,
				    '{"action":"room_message","message":'
				    '"%d %s"}' % (i, pad))
				    for i in range(sent, due)))
				sent_all[0] += due - sent
				sent = due
				try:
					await mb.c.drain()
				except (ConnectionError, OSError):
					# Closed by the server: the reader
					# has the close frame for the report.
					await asyncio.sleep(0.2)
					if mb.closed is None:
						mb.closed = "connection lost "\
						    "while sending"
					return
			await asyncio.sleep(0.02)

	mon = asyncio.ensure_future(monitor())
	t_start = time.monotonic()
	try:
		await asyncio.gather(*(sender(mb) for mb in members))
		t_sent = time.monotonic()
		total = per_sender * NSEND

		async def all_in():
			return all(len(mb.got) >= total and stuck.id in
			    mb.leaves or mb.bad or mb.closed for mb in members)
		await wait_until(all_in, timeout=15 + seconds, what="every "
		    "member to receive all %d messages and the leave of %s" %
		    (total, stuck.id))
	finally:
		done = True
		await mon
		for mb in members:
			await mb.stop()
	diag("flood: %d messages of %d bytes in %.1fs (%.0f/s), RSS %d KiB"
	    " before, %d KiB peak" % (total, text_bytes, t_sent - t_start,
	    total / max(t_sent - t_start, 0.001), base, peak[0]))
	for mb in members:
		check(not mb.bad, "member %s: %s" % (mb.c.id, mb.bad[:3]))
		check(mb.closed is None, "member %s was disconnected (%s)" %
		    (mb.c.id, mb.closed))
		check(len(mb.got) == total, "member %s got %d room messages, "
		    "%d were sent" % (mb.c.id, len(mb.got), total))
		for s in ids:
			seqs = [q for u, q in mb.got if u == s]
			check(seqs == list(range(per_sender)), "member %s: the "
			    "messages of %s are not all there in order "
			    "(%d of %d)" % (mb.c.id, s, len(seqs), per_sender))
		check(mb.got == members[0].got, "members %s and %s saw the "
		    "room's messages in different orders" %
		    (members[0].c.id, mb.c.id))
		check(stuck.id in mb.leaves, "member %s: no leave "
		    "notification for the slow consumer %s" % (mb.c.id,
		    stuck.id))
	took = members[0].leaves[stuck.id] - t_start
	diag("the slow consumer's leave came %.2fs after the flood began" %
	    took)
	# Pings are off, so the queue's bound dropped it, and while the
	# flood was on: the flood is many times the bound (and the kernel's
	# socket buffers), however slowly it went.
	check(members[0].leaves[stuck.id] < t_sent, "the slow consumer was "
	    "only dropped %.1fs after the flood began, %.1fs after it ended" %
	    (took, members[0].leaves[stuck.id] - t_sent))
	# The room as the server sees it.
	c = members[0].c
	await c.send({"action": "participants", "room": r})
	m = await c.recv(timeout=5)
	check(m.get("participants") == sorted(ids, key=int),
	    "participants after the drop: %s, expected %s" % (jdump(m), ids))
	if wrapped() or asan_build():
		diag("RSS bound not checked (sanitizer or wrapper)")
	else:
		check(peak[0] < RSS_LIMIT_KB, "server RSS peaked at %d KiB "
		    "(limit %d KiB)" % (peak[0], RSS_LIMIT_KB))
		check(peak[0] - base < RSS_GROWTH_KB, "server RSS grew by %d "
		    "KiB during the flood (limit %d KiB)" % (peak[0] - base,
		    RSS_GROWTH_KB))
	# Reading again, the slow one finds what was in flight, then the
	# server's close 1008 (or 1013), or the connection simply ends.
	code, reason, how, n = await stuck.resume(timeout=10)
	diag("the slow consumer, reading again: %d frames, then %s%s" % (n,
	    how, " %s %r" % (code, reason) if code is not None else ""))
	if how == "close":
		check(code in (1008, 1013), "the slow consumer was closed with"
		    " %s %r, expected 1008 or 1013" % (code, reason))


@suite.test("a client that stops reading in a room flooded at %d msg/s "
    "is dropped (default --max-queue)" % RATE,
    args=["--rate-limit", "0", "--ping-interval", "0"],
    timeout=60 + SECONDS * 2)
async def _(srv):
	await flood(srv, SECONDS, TEXT_BYTES, 1 << 20)


@suite.test("the same with --max-queue 262144 and 1 KB messages, for half "
    "as long", args=["--rate-limit", "0", "--max-queue", "262144",
    "--ping-interval", "0"],
    timeout=60 + SECONDS)
async def _(srv):
	await flood(srv, SECONDS / 2, 1000, 262144)


# ---------------------------------------------------------------- replies
# doc/protocol.md, "Slow consumers": only frames a client did not ask for
# count it as a slow consumer; a reply to its own request is always
# queued, and the server stops reading its requests while it is over.

NROOMS = 40


async def many_rooms(srv):
	"""NROOMS rooms of 60-byte names, each held by one raw member: a
	rooms reply of about 2.6 KB.  Returns (names, members)."""
	names = sorted("%02d-%s" % (i, "n" * 57) for i in range(NROOMS))
	members = []
	for r in names:
		c = await srv.raw()
		await c.join(r)
		members.append(c)
	return names, members


@suite.test("--max-queue 2048: a rooms reply of 2.6 KB reaches its "
    "requester, which stays connected", args=["--max-queue", "2048"])
async def _(srv):
	names, members = await many_rooms(srv)
	a = await srv.client()
	check(len(jdump({"action": "rooms", "rooms": names})) > 2048,
	    "the reply is not over --max-queue")
	for _ in range(3):
		got = await a.rooms()
		check(got == names, "rooms %s, expected %s" % (got, names))
	await a.join(names[0])
	await a.usable()
	check(not a.closed, "the requester was closed")


@suite.test("--max-queue 2048: 2,000 rooms requests sent without reading "
    "are all answered, in order, once the client reads",
    args=["--max-queue", "2048", "--rate-limit", "0"], timeout=120)
async def _(srv):
	names, members = await many_rooms(srv)
	n = 2000
	stuck = await StuckClient.connect(srv.port, rcvbuf=4096)
	try:
		# About 5 MB of replies: the server stops reading the
		# requests while the client's queue is over the bound.
		loop = asyncio.get_running_loop()
		await loop.sock_sendall(stuck.sock, build_frame(OP_TEXT,
		    '{"action":"rooms"}') * n)
		for i in range(n):
			m = await stuck.recv(timeout=10)
			check(m == {"action": "rooms", "rooms": names},
			    "reply %d: %s" % (i, jdump(m)[:200]))
		m = await stuck.request({"action": "join", "room": "after"})
		check(m == {"action": "join", "room": "after"},
		    "after the replies: %s" % jdump(m))
	finally:
		stuck.close()


@suite.test("--max-queue 2048: replies over the bound do not count when "
    "room traffic comes for a member that asked for them",
    args=["--max-queue", "2048", "--rate-limit", "0"], timeout=60)
async def _(srv):
	names, members = await many_rooms(srv)
	r = names[0]
	a = members[0]
	n = 3000
	stuck = await StuckClient.connect(srv.port, rcvbuf=4096)
	try:
		m = await stuck.request({"action": "join", "room": r})
		check(m == {"action": "join", "room": r}, "join %s" % jdump(m))
		await a.expect({"action": "join", "room": r,
		    "user_id": stuck.id})
		# About 8 MB of replies, more than the sockets hold: they
		# wait in the server's queue, over --max-queue...
		loop = asyncio.get_running_loop()
		await loop.sock_sendall(stuck.sock, build_frame(OP_TEXT,
		    '{"action":"rooms"}') * n)
		# ...when the room's messages come: a little of those is
		# no slow consumer.
		for i in range(5):
			await a.send({"action": "room_message", "message":
			    "m%d" % i})
			await a.expect({"action": "room_message", "room": r,
			    "user_id": a.id, "message": "m%d" % i})
		got = [await stuck.recv(timeout=10) for _ in range(n + 5)]
		check(got.count({"action": "rooms", "rooms": names}) == n,
		    "not %d full rooms replies" % n)
		msgs = [x["message"] for x in got if x.get("action") ==
		    "room_message"]
		check(msgs == ["m%d" % i for i in range(5)], "room messages %r"
		    % msgs)
		m = await stuck.request({"action": "leave"})
		check(m == {"action": "leave", "room": r}, "leave %s" % jdump(m))
	finally:
		stuck.close()


@suite.test("--max-queue 2048: a room's traffic still closes a member "
    "that does not read (1008)", args=["--max-queue", "2048",
    "--rate-limit", "0"])
async def _(srv):
	r = uniq("busy")
	a = await srv.raw()
	await a.join(r)
	stuck = await StuckClient.connect(srv.port, rcvbuf=4096)
	try:
		m = await stuck.request({"action": "join", "room": r})
		check(m.get("action") == "join", "join reply %s" % jdump(m))
		await a.expect({"action": "join", "room": r,
		    "user_id": stuck.id})
		# Past what the kernel's socket buffers hold, in batches paced
		# by a's own copies (a reads all), until the server has closed
		# the stuck one (after a second's grace) and told the room.
		text = "x" * 4000
		batch = build_frame(OP_TEXT, json.dumps({"action":
		    "room_message", "message": text})) * 16
		left = None
		deadline = time.monotonic() + scaled(30)
		i = 0
		while time.monotonic() < deadline:
			i += 1
			a.write(batch)
			await a.drain()
			for _ in range(16):
				m = await a.recv(timeout=5)
				if m.get("action") == "leave":
					left = m
				else:
					check(m.get("action") == "room_message",
					    "%s" % jdump(m)[:200])
			if left is not None:
				break
		check(left == {"action": "leave", "room": r,
		    "user_id": stuck.id}, "no leave of %s after %d messages" %
		    (stuck.id, 16 * i))
		diag("the room heard of it after %d messages" % (16 * i))
		code, reason, how, nframes = await stuck.resume(timeout=10)
		check(how != "close" or (code, reason) == (1008,
		    "slow consumer"), "closed with %s %r" % (code, reason))
	finally:
		stuck.close()


# ---------------------------------------------------------------- pings

class Deaf(BackgroundReader):
	"""A raw client that reads everything but never answers a ping."""

	def __init__(self, c):
		self.c = c
		self.pings = 0
		self.close = None
		self.lost = False
		self.start()

	async def _read(self):
		try:
			while True:
				await self.c._fill(3600)
				for op, fin, p in scan_frames(self.c.buf):
					if op == OP_PING:
						self.pings += 1
					elif op == OP_CLOSE:
						self.close = close_payload(p)
		except ConnectionLost:
			self.lost = True


@suite.test("--ping-interval 1 --ping-timeout 1: peers that never answer "
    "pings are dropped and their room told; one that answers stays",
    args=["--ping-interval", "1", "--ping-timeout", "1"], timeout=30)
async def _(srv):
	r = uniq("ping")
	live = await srv.client()	# python-websockets answers pings
	await live.join(r)
	t_stuck = time.monotonic()
	stuck = await StuckClient.connect(srv.port)	# reads nothing
	try:
		m = await stuck.request({"action": "join", "room": r})
		check(m.get("action") == "join", "join reply %s" % jdump(m))
		await live.expect({"action": "join", "room": r,
		    "user_id": stuck.id})
		t_deaf = time.monotonic()
		dc = await srv.raw()			# reads, never pongs
		await dc.join(r)
		deaf = Deaf(dc)
		await live.expect({"action": "join", "room": r,
		    "user_id": dc.id})
		left = {}
		while len(left) < 2:
			m = await live.recv(timeout=10)
			check(m.get("action") == "leave" and m.get("room") == r
			    and m.get("user_id") in (stuck.id, dc.id) and
			    m["user_id"] not in left, "live client: "
			    "expected the leave of %s and %s, got %s" %
			    (stuck.id, dc.id, jdump(m)))
			left[m["user_id"]] = time.monotonic()
		for who, t0, t1 in (("never reads", t_stuck, left[stuck.id]),
		    ("never pongs", t_deaf, left[dc.id])):
			diag("the client that %s was dropped %.2fs after it "
			    "connected" % (who, t1 - t0))
			# Not before interval + timeout (lws counts whole
			# seconds; allow it half a second early).
			check(t1 - t0 >= 1.5, "the client that %s was dropped "
			    "after only %.2fs" % (who, t1 - t0))
			check(t1 - t0 <= scaled(2 + 3), "the client that %s was"
			    " dropped after %.2fs" % (who, t1 - t0))
		check(deaf.pings >= 1, "the deaf client saw no ping")
		diag("the deaf client saw %d pings, close %r" % (deaf.pings,
		    deaf.close))
		await deaf.stop()
		# The live client, idle, outlives several ping timeouts.
		await asyncio.sleep(4)
		check(not live.closed, "the client that answers pings was "
		    "dropped")
		p = await live.participants(r)
		check(p == [live.id], "participants %s, expected [%s]" %
		    (jdump(p), live.id))
	finally:
		stuck.close()


suite.run()
