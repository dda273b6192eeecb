#!/usr/bin/python3
"""Issue 4: limits, flood control, connection caps, origin.  Needs:
--max-frame, --max-message, --rate-limit, --max-clients,
--max-clients-per-ip, --allow-origin (and close codes 1009/1007/1008).
Keep-alive and slow consumers are in test-slow.py."""

from chatlib import *

suite = Suite()


def text_of_size(n, text="x"):
	"""A JSON text frame of exactly n bytes (a room_message)."""
	head = '{"action":"room_message","message":"'
	tail = '"}'
	return head + text * (n - len(head) - len(tail)) + tail


async def closed_with(srv, payload, code, opcode=OP_TEXT, **kw):
	"""A new raw client sends payload; the server closes with code, and
	a bystander is unaffected."""
	w = await srv.client()
	c = await srv.raw()
	await c.send_frame(opcode, payload, **kw)
	got, reason = await c.expect_close(timeout=3)
	check(got == code, "payload of %d bytes: close code %s (%r), expected "
	    "%d" % (len(payload), got, reason, code))
	await w.usable()
	await gone(w, c.id)


async def gone(watcher, uid):
	async def probe():
		await watcher.send({"action": "private_message", "user_id": uid,
		    "message": "?"})
		m = await watcher.recv()
		return m.get("action") == "error"
	await wait_until(probe, what="user %s to be gone" % uid)


# ---------------------------------------------------------------- frames

@suite.test("frame of 64 KiB + 1 closes with 1009; 64 KiB is accepted")
async def _(srv):
	c = await srv.raw()
	await c.send(text_of_size(65536))
	await c.expect_error("invalid message")
	await c.usable()
	await closed_with(srv, text_of_size(65537).encode(), 1009)
	await closed_with(srv, b"x" * 65537, 1009, opcode=OP_BINARY)
	await closed_with(srv, text_of_size(1 << 20).encode(), 1009)


@suite.test("a fragmented message over 64 KiB closes with 1009")
async def _(srv):
	w = await srv.client()
	c = await srv.raw()
	p = text_of_size(70000).encode()
	c.write(build_frame(OP_TEXT, p[:40000], fin=False))
	c.write(build_frame(OP_CONT, p[40000:], fin=True))
	await c.drain()
	code, reason = await c.expect_close()
	check(code == 1009, "close code %s (%r), expected 1009" % (code,
	    reason))
	await w.usable()


@suite.test("--max-frame 1000: 1001 bytes close 1009, 1000 accepted",
    args=["--max-frame", "1000"])
async def _(srv):
	c = await srv.raw()
	await c.send(text_of_size(1000))
	await c.expect_error("user is not in a room")
	await closed_with(srv, text_of_size(1001).encode(), 1009)


@suite.test("a client that writes after the server hung up still reads "
    "the close frame sent before", args=["--max-frame", "1000"])
async def _(srv):
	w = await srv.client()
	c = await srv.raw()
	await c.send_frame(OP_TEXT, text_of_size(1001).encode())
	# c does not answer; after its close wait the server hangs up.
	await gone(w, c.id)
	for _ in range(3):
		try:
			await c.send({"action": "rooms"})	# reset, then EPIPE
		except (ConnectionError, OSError):
			pass
	code, reason = await c.expect_close()
	check((code, reason) == (1009, "message too big"), "close %s %r" %
	    (code, reason))


INVALID_UTF8 = [b"\xff", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80", b"\xc3", b"\xe2\x82", b"a\x80b", b"\xf8\x88\x80\x80\x80"]


@suite.test("invalid UTF-8 in a text frame closes with 1007")
async def _(srv):
	for bad in INVALID_UTF8:
		try:
			await closed_with(srv, b'{"action":"rooms","x":"' + bad +
			    b'"}', 1007)
		except Failure as e:
			fail("bytes %r: %s" % (bad, e))


@suite.test("invalid UTF-8 split across fragments closes with 1007")
async def _(srv):
	c = await srv.raw()
	c.write(build_frame(OP_TEXT, b'{"action":"rooms","x":"\xe2', fin=False))
	c.write(build_frame(OP_CONT, b'\x28\xa1"}', fin=True))
	await c.drain()
	code, reason = await c.expect_close()
	check(code == 1007, "close code %s (%r), expected 1007" % (code, reason))


@suite.test("valid UTF-8 split across fragments is fine")
async def _(srv):
	c = await srv.raw()
	p = '{"action":"private_message","user_id":"%s","message":"\u20ac"}' \
	    % c.id
	p = p.encode()
	cut = p.index(b"\xe2") + 1
	c.write(build_frame(OP_TEXT, p[:cut], fin=False))
	c.write(build_frame(OP_CONT, p[cut:], fin=True))
	await c.drain()
	for _ in range(2):
		await c.expect({"action": "private_message", "user_id": c.id,
		    "message": "\u20ac"})


# ---------------------------------------------------------------- message

@suite.test("--max-message 10: 10 bytes delivered, 11 invalid",
    args=["--max-message", "10"])
async def _(srv):
	c = await srv.client()
	await c.join("r")
	await c.send({"action": "room_message", "message": "0123456789"})
	await c.expect({"action": "room_message", "room": "r", "user_id": c.id,
	    "message": "0123456789"})
	await c.send({"action": "room_message", "message": "\u00e9" * 5})
	await c.expect({"action": "room_message", "room": "r", "user_id": c.id,
	    "message": "\u00e9" * 5})
	for t in ("01234567890", "\u00e9" * 5 + "x"):
		await c.send({"action": "room_message", "message": t})
		await c.expect_error("invalid message")
		await c.send({"action": "private_message", "user_id": c.id,
		    "message": t})
		await c.expect_error("invalid message")


# ---------------------------------------------------------------- flood

async def burst(c, n, room, rate=None):
	"""Send n room messages at once; count replies and rate errors.  With
	rate (tokens a second), also check the count against the bucket: the
	burst's tokens less the join's, plus what it gained while the server
	took the burst (a slow server takes longer, and so grants more)."""
	t0 = time.monotonic()
	c.write(b"".join(build_frame(OP_TEXT, json.dumps({"action":
	    "room_message", "message": "f%d" % i})) for i in range(n)))
	await c.drain()
	ok = limited = 0
	for _ in range(n):
		m = await c.recv(timeout=5)
		if m == {"action": "error", "message": "rate limit exceeded"}:
			limited += 1
		else:
			m.pop("ts", None)
			check(m.get("action") == "room_message" and
			    m.get("user_id") == c.id, "got %s" % jdump(m))
			ok += 1
	if rate is not None:
		took = time.monotonic() - t0
		low, high = rate[1] - 1, rate[1] + int(rate[0] * took) + 1
		check(low <= ok <= min(n, high) and limited == n - ok, "%d "
		    "delivered, %d limited in %.2fs; expected %d to %d delivered"
		    % (ok, limited, took, low, high))
	return ok, limited


@suite.test("default rate limit: burst of 50, then \"rate limit exceeded\"")
async def _(srv):
	c = await srv.raw()
	r = uniq()
	await c.join(r)
	ok, limited = await burst(c, 70, r, rate=(20, 50))
	# The connection stays open and recovers at 20/s.
	await asyncio.sleep(1)
	ok, limited = await burst(c, 10, r)
	check(ok == 10, "after 1 s: %d of 10 delivered" % ok)


@suite.test("--rate-limit 5/10: burst 10", args=["--rate-limit", "5/10"])
async def _(srv):
	c = await srv.raw()
	await c.join("r")
	ok, limited = await burst(c, 20, "r", rate=(5, 10))


@suite.test("--rate-limit 0: no flood control", args=["--rate-limit", "0"])
async def _(srv):
	c = await srv.raw()
	await c.join("r")
	ok, limited = await burst(c, 500, "r")
	check(ok == 500, "%d of 500 delivered" % ok)


@suite.test("a persistent flooder is closed with 1008; others unaffected",
    timeout=30)
async def _(srv):
	a = await srv.client()
	f = await srv.raw()
	r = uniq()
	await a.join(r)
	await f.join(r)
	await a.expect({"action": "join", "room": r, "user_id": f.id})
	stop = False
	async def flood():
		# 400 requests in 80 ms: far over the burst.  (Writing on
		# after the server has closed would make the kernel reset the
		# connection and discard the close frame, so it stops.)
		i = 0
		while not stop and i < 8:
			f.write(b"".join(build_frame(OP_TEXT, json.dumps({
			    "action": "room_message", "message": "flood"}))
			    for _ in range(50)))
			try:
				await f.drain()
			except (ConnectionError, OSError):
				return
			i += 1
			await asyncio.sleep(0.01)
	task = asyncio.ensure_future(flood())
	# Meanwhile a keeps getting its own messages promptly.
	b = await srv.client()
	await b.join(uniq())
	for i in range(10):
		t0 = time.monotonic()
		await b.send({"action": "private_message", "user_id": b.id,
		    "message": "tick %d" % i})
		await b.expect({"action": "private_message", "user_id": b.id,
		    "message": "tick %d" % i})
		await b.expect({"action": "private_message", "user_id": b.id,
		    "message": "tick %d" % i})
		lag = time.monotonic() - t0
		check(lag < scaled(0.5), "a bystander waited %.2fs" % lag)
		await asyncio.sleep(0.1)
	try:
		code, reason = await f.expect_close(timeout=10)
	finally:
		stop = True
		await task
	check(code == 1008, "flooder closed with %s (%r), expected 1008" %
	    (code, reason))
	check(any(p == b'{"action":"error","message":"rate limit exceeded"}'
	    or b"rate limit exceeded" in p for op, p in f.skipped),
	    "the flooder never got \"rate limit exceeded\"")
	# a saw the accepted flood, then the leave.
	while True:
		m = await a.recv(timeout=5)
		if m.get("action") != "room_message":
			break
	check(m == {"action": "leave", "room": r, "user_id": f.id},
	    "expected the flooder's leave, got %s" % jdump(m))


# ---------------------------------------------------------------- caps

@suite.test("--max-clients 3: the 4th upgrade gets HTTP 503", fresh=True,
    args=["--max-clients", "3"])
async def _(srv):
	cs = await srv.clients(3)
	for _ in range(2):
		try:
			x = await RawClient.connect(srv.port)
		except HandshakeError as e:
			check(e.status == 503, "status %d, expected 503" %
			    e.status)
		else:
			x.abort()
			fail("4th client accepted (id %s)" % x.id)
	for c in cs:
		await c.usable()
	await cs[0].close()
	async def probe():
		try:
			x = await srv.client()
		except Exception:
			return None
		return x
	d = await wait_until(probe, what="a slot to free up")
	check(d.id == "3", "id after refused upgrades %r, expected \"3\"" %
	    d.id)


@suite.test("--max-clients-per-ip 2: a third from 127.0.0.1 gets 503, "
    "127.0.0.2 is served", fresh=True, args=["--max-clients-per-ip", "2"])
async def _(srv):
	cs = await srv.clients(2)
	try:
		x = await RawClient.connect(srv.port)
	except HandshakeError as e:
		check(e.status == 503, "status %d, expected 503" % e.status)
	else:
		x.abort()
		fail("3rd client from 127.0.0.1 accepted")
	y = await srv.raw(local_addr="127.0.0.2")
	check(y.id == "2", "id of the other address %r" % y.id)
	await y.usable()
	for c in cs:
		await c.usable()


# ---------------------------------------------------------------- origin

@suite.test("--allow-origin: other Origins get 403, the allowed one 101",
    args=["--allow-origin", "https://chat.example",
    "--allow-origin", "http://localhost:8000"])
async def _(srv):
	for o in ("https://evil.example", "https://chat.example.evil",
	    "http://chat.example", "null", "https://CHAT.example.org"):
		try:
			x = await RawClient.connect(srv.port,
			    headers={"Origin": o})
		except HandshakeError as e:
			check(e.status == 403, "Origin %s: status %d, expected "
			    "403" % (o, e.status))
		else:
			x.abort()
			fail("Origin %s accepted" % o)
	for o in ("https://chat.example", "http://localhost:8000"):
		x = await srv.raw(headers={"Origin": o})
		await x.usable()
	# Not a browser (no Origin header, e.g. chat-tui): served.
	x = await srv.raw()
	await x.usable()


suite.run()
