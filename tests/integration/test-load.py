#!/usr/bin/python3
"""200 clients in one room, each sending 100 messages: every member gets all
20,000, in one total order, each sender's messages in the order sent.

4,000,000 receptions are far beyond python-websockets, so the clients are
RawClients: each read is batch-parsed (read_batch), the message tokens are
pulled out of the whole batch with one regex call and hashed, so only the
hashes are compared.  Two members also check every message in full (exact
shape, sender id, per-sender order, no duplicates); since every member's
sequence hashes the same, that check holds for all of them.

CHAT_LOAD_CLIENTS / CHAT_LOAD_MESSAGES shrink it (e.g. under valgrind).
"""

import hashlib
import re

from chatlib import *

suite = Suite()

NCLIENTS = int(os.environ.get("CHAT_LOAD_CLIENTS", "200"))
NMSGS = int(os.environ.get("CHAT_LOAD_MESSAGES", "100"))
ROOM = "load"
# Benchmark settings: no flood control, and an outbound queue that holds the
# whole run (each member receives ~1.6 MB; the default 1 MiB bound would
# rightly drop a member that falls that far behind, and 200 members in one
# python process do fall behind).  No keep-alive either: on a slow machine
# a member can be busy longer than a ping timeout, and pings are not what
# this test is about.
SERVER_ARGS = ["--rate-limit", "0", "--max-queue", str(16 << 20),
    "--ping-interval", "0"]
# The message text is "Z<client index>.<seq>Z": unique, and no other part of
# a room_message ("room_message", "load", a decimal id, ts digits) can
# contain this shape.
TOKEN = re.compile(rb"Z(\d+)\.(\d+)Z")
TOKEN_WHOLE = re.compile(rb"Z\d+\.\d+Z")


def frames_of(region):
	"""Payloads of the text frames in region: a run longer than the
	server's --ping-interval (a slow machine, a sanitizer) gets pings
	too."""
	out = []
	pos = 0
	while pos < len(region):
		hl, end = server_frame_at(region, pos)
		if region[pos] & 0x0F == OP_TEXT:
			out.append(region[pos + hl:end])
		pos = end
	return out


async def connect_all(srv, n):
	sem = asyncio.Semaphore(20)
	async def one():
		async with sem:
			return await srv.raw(timeout=20)
	return await asyncio.gather(*(one() for _ in range(n)))


@suite.test("%d clients x %d messages in one room: all received, one order"
    % (NCLIENTS, NMSGS), args=SERVER_ARGS, timeout=120)
async def _(srv):
	t0 = time.monotonic()
	cs = await connect_all(srv, NCLIENTS)
	ids = [c.id for c in cs]
	check(sorted(ids, key=int) == [str(i) for i in range(NCLIENTS)],
	    "ids of a fresh server are not 0..%d: %r" % (NCLIENTS - 1,
	    sorted(ids, key=int)[:20]))

	# Join one after the other, so member k is told about exactly the
	# joins of members k+1.. in that order.
	for c in cs:
		await c.send({"action": "join", "room": ROOM})
		await c.expect({"action": "join", "room": ROOM}, timeout=10)

	async def drain_joins(k, c):
		for later in cs[k + 1:]:
			await c.expect({"action": "join", "room": ROOM,
			    "user_id": later.id}, timeout=20)
	await asyncio.gather(*(drain_joins(k, c) for k, c in enumerate(cs)))
	await cs[0].send({"action": "participants", "room": ROOM})
	await cs[0].expect({"action": "participants", "room": ROOM,
	    "participants": [str(i) for i in range(NCLIENTS)]}, timeout=10)
	t1 = time.monotonic()

	total = NCLIENTS * NMSGS
	detailed = {0, NCLIENTS - 1}

	async def sender(k, c):
		for start in range(0, NMSGS, 10):
			c.write(b"".join(build_frame(OP_TEXT, (
			    '{"action":"room_message","message":"Z%d.%dZ"}'
			    % (k, i)).encode())
			    for i in range(start, min(start + 10, NMSGS))))
			await c.drain()
			await asyncio.sleep(0)

	def check_full(k, region, state):
		"""Every message in full: shape, sender, order, uniqueness."""
		last = state
		for p in frames_of(region):
			m = json.loads(p)
			m.pop("ts", None)
			t = TOKEN.fullmatch(m.get("message", "").encode())
			check(t is not None, "member %d: unexpected %s" %
			    (k, jdump(m)))
			s, seq = int(t.group(1)), int(t.group(2))
			want = {"action": "room_message", "room": ROOM,
			    "user_id": ids[s], "message": m["message"]}
			check(m == want, "member %d: got %s\n  expected %s" %
			    (k, jdump(m), jdump(want)))
			check(seq == last[s] + 1, "member %d: from sender %d "
			    "message %d after %d (lost, reordered or "
			    "duplicated)" % (k, s, seq, last[s]))
			last[s] = seq

	async def receiver(k, c):
		h = hashlib.sha1()
		n = 0
		state = [-1] * NCLIENTS if k in detailed else None
		while n < total:
			try:
				region, ntext, others = await c.read_batch(
				    timeout=30)
			except asyncio.TimeoutError:
				fail("member %d (id %s): stalled after %d of %d "
				    "messages" % (k, c.id, n, total))
			except ConnectionLost:
				fail("member %d (id %s): connection lost after "
				    "%d of %d messages" % (k, c.id, n, total))
			bad = [o for o in others if o[0] not in (OP_PING,
			    OP_PONG)]
			check(not bad, "member %d: unexpected frames %r" %
			    (k, [(o, p[:100]) for o, fin, p in bad[:3]]))
			if not ntext:
				continue
			toks = TOKEN_WHOLE.findall(region)
			if len(toks) != ntext:
				fail("member %d: %d text frames but %d message "
				    "tokens; first frames: %r" % (k, ntext,
				    len(toks), frames_of(region)[:3]))
			h.update(b"".join(toks))
			n += ntext
			if state is not None:
				check_full(k, region, state)
		check(n == total, "member %d: %d messages, expected %d" %
		    (k, n, total))
		if state is not None:
			check(state == [NMSGS - 1] * NCLIENTS, "member %d: "
			    "per-sender counts wrong" % k)
		return h.hexdigest()

	res = await asyncio.gather(
	    *(receiver(k, c) for k, c in enumerate(cs)),
	    *(sender(k, c) for k, c in enumerate(cs)))
	digests = res[:NCLIENTS]
	t2 = time.monotonic()
	differ = [k for k, d in enumerate(digests) if d != digests[0]]
	check(not differ, "members %r saw a different order than member 0" %
	    differ[:20])
	# Nothing extra afterwards.
	await asyncio.gather(*(c.expect_nothing(0.3) for c in cs[:10]))
	print("# %d clients, %d messages, %d receptions: setup %.1fs, "
	    "traffic %.1fs (%.0f receptions/s)" % (NCLIENTS, total,
	    total * NCLIENTS, t1 - t0, t2 - t1, total * NCLIENTS /
	    max(t2 - t1, 1e-6)), flush=True)
	for c in cs:
		c.abort()


suite.run()
