#!/usr/bin/python3
"""Issue 4, "survives faults": what one connection does slowly or never
finishes must not hold up anybody else.

- a 60 KiB message trickled in byte by byte while another client's round
  trips stay fast; the trickled message is then delivered whole;
- many connections stalled in the middle of a frame;
- many TCP connections stalled before or in the middle of their HTTP
  upgrade (slowloris): a new client still gets in.

Timeouts scale with CHAT_TEST_TIMEOUT_SCALE."""

from chatlib import *
from faultlib import *

raise_nofile()
suite = Suite(server_args=["--rate-limit", "0", "-v"])

RTT_MAX = 0.5			# seconds, the worst round trip allowed


async def round_trips(c, room, stop, tag, others=None):
	"""Room-message round trips on c until stop() is true: the list of
	their durations.  What else c receives meanwhile is appended to
	others."""
	out = []
	i = 0
	while not stop():
		t0 = time.monotonic()
		text = "%s %d" % (tag, i)
		await c.send({"action": "room_message", "message": text})
		while True:
			m = await c.recv(timeout=5)
			if (m.get("action") == "room_message" and
			    m.get("user_id") == c.id and
			    m.get("message") == text):
				break
			if others is not None:
				others.append(m)
		out.append(time.monotonic() - t0)
		i += 1
		await asyncio.sleep(0.02)
	return out


def rtt_summary(rtts):
	s = sorted(rtts)
	return "%d round trips, median %.1f ms, max %.1f ms" % (len(s),
	    1000 * s[len(s) // 2], 1000 * s[-1])


@suite.test("a 60 KiB message trickled in byte by byte does not slow "
    "another client down; it then arrives whole", timeout=60)
async def _(srv):
	r = uniq()
	slow = await srv.raw()
	fast = await srv.raw()
	for c in (slow, fast):
		await c.join(r)
	await slow.expect({"action": "join", "room": r, "user_id": fast.id})
	# A valid request with an unknown key as ballast: it must be
	# delivered once its last byte is in.
	req = json.dumps({"action": "room_message", "message": "trickled",
	    "pad": "z" * (60 * 1024 - 60)})
	frame = build_frame(OP_TEXT, req)
	check(60 * 1024 - 100 < len(req) < 64 * 1024, "frame size %d" %
	    len(req))
	done = False
	seconds = 5.0
	per_ms = max(1, int(len(frame) / (seconds * 1000)))

	async def trickle():
		nonlocal done
		sock = slow.writer.get_extra_info("socket")
		sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
		t0 = time.monotonic()
		for i in range(0, len(frame), per_ms):
			for k in range(i, min(i + per_ms, len(frame))):
				slow.write(frame[k:k + 1])
				await slow.drain()
			# Pace on the clock, so a busy host only makes
			# the chunks bigger, never the test longer.
			due = t0 + (i + per_ms) / len(frame) * seconds
			await asyncio.sleep(max(0, due - time.monotonic()))
		done = True
	t = asyncio.ensure_future(trickle())
	early = []		# the trickled message may come in during
				# fast's last round trip
	rtts = await round_trips(fast, r, lambda: done, "fast", early)
	await t
	diag("while trickling: " + rtt_summary(rtts))
	check(len(rtts) >= 20, "only %d round trips in %.0fs" % (len(rtts),
	    seconds))
	check(max(rtts) < scaled(RTT_MAX), "a round trip took %.0f ms while "
	    "another client trickled a frame in (%s)" % (1000 * max(rtts),
	    rtt_summary(rtts)))
	want = {"action": "room_message", "room": r, "user_id": slow.id,
	    "message": "trickled"}
	# Both get the trickled message (slow after fast's round trips).
	for c, skip in ((fast, None), (slow, fast.id)):
		seen = []
		while True:
			if c is fast and early:
				m = early.pop(0)
				break
			try:
				m = await c.recv(timeout=5)
			except Failure as e:
				fail("client %s never got the trickled message "
				    "(%s); before that it got %s\n%s" % (c.id,
				    str(e).splitlines()[0], jdump(seen[-3:])[:600],
				    srv.tail(10)))
			if skip is None or m.get("user_id") != skip:
				break
			seen.append(m)
		m.pop("ts", None)
		check(m == want, "client %s got %s instead of the trickled "
		    "message" % (c.id, jdump(m)[:300]))


@suite.test("200 connections stalled in the middle of a frame do not "
    "slow another client down", timeout=60)
async def _(srv):
	r = uniq()
	fast = await srv.raw()
	await fast.join(r)
	stalled = []
	for i in range(200):
		c = await srv.raw()
		f = build_frame(OP_TEXT, json.dumps({"action": "room_message",
		    "message": "never finished", "pad": "q" * (i * 200)}))
		# Cut anywhere: in the header, in the mask, in the payload.
		c.write(f[:1 + (i * 7919) % (len(f) - 1)])
		await c.drain()
		stalled.append(c)
	t_end = time.monotonic() + 3
	rtts = await round_trips(fast, r, lambda: time.monotonic() > t_end,
	    "fast")
	diag(rtt_summary(rtts))
	check(max(rtts) < scaled(RTT_MAX), "a round trip took %.0f ms (%s)" %
	    (1000 * max(rtts), rtt_summary(rtts)))
	# Abandon them every way: reset, FIN mid-frame, finish the frame.
	for i, c in enumerate(stalled):
		if i % 3 == 0:
			set_linger_rst(c.writer.get_extra_info("socket"))
			c.abort()
		elif i % 3 == 1:
			c.writer.close()
	for c in stalled[2::3]:
		c.abort()
	await fast.usable()
	check(srv.alive(), "the server died")


async def hold_stalled_handshakes(port, n):
	"""n TCP connections stalled before (half of them: nothing sent)
	or inside (the others: half a request) the HTTP upgrade."""
	held = []
	for i in range(n):
		r, w = await asyncio.open_connection("127.0.0.1", port)
		if i % 2:
			w.write(b"GET /chatserver/connect HTTP/1.1\r\n"
			    b"Host: 127.0.0.1\r\nUpgrade: websocket\r\n")
		held.append(w)
	return held


@suite.test("100 connections stalled in their upgrade do not keep a new "
    "client out (slowloris)", fresh=True, timeout=60)
async def _(srv):
	before = await srv.raw()	# an established client
	held = await hold_stalled_handshakes(srv.port, 100)
	try:
		await asyncio.sleep(0.2)
		t0 = time.monotonic()
		await before.usable()
		check(time.monotonic() - t0 < scaled(RTT_MAX), "an established "
		    "client was slowed down")
		t0 = time.monotonic()
		try:
			c = await srv.raw(timeout=3)
		except (Failure, ConnectionError, asyncio.TimeoutError) as e:
			fail("with 100 stalled handshakes a new client could not"
			    " connect: %s after %.1fs" % (
			    str(e).splitlines()[0] if str(e) else
			    type(e).__name__, time.monotonic() - t0))
		took = time.monotonic() - t0
		diag("a new client connected in %.3fs" % took)
		check(took < scaled(2), "with 100 stalled handshakes a new "
		    "client needed %.1fs to connect" % took)
		await c.usable()
	finally:
		for w in held:
			w.transport.abort()


suite.run()
