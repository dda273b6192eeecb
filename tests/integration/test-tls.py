#!/usr/bin/python3
"""wss://: the server run with --tls-cert/--tls-key and a self-signed
certificate made now (openssl req); the protocol over TLS with a client
trusting that certificate, a client on the default trust store refused,
plain ws:// on the TLS port refused."""

from chatlib import *
from faultlib import *

# chatlib makes the certificate (openssl req, self-signed, for 127.0.0.1
# and localhost) and gives every server --tls-cert/--tls-key; srv.client()
# and srv.raw() then speak wss:// trusting it (srv.ssl).
suite = Suite(tls=True, tools=["openssl"])


async def tls(srv, n=1):
	cs = [await srv.client() for _ in range(n)]
	return cs if n > 1 else cs[0]


@suite.test("wss://: the connection message comes first, ids are new")
async def _(srv):
	a, b = await tls(srv, 2)
	check(int(b.id) > int(a.id), "ids %s then %s" % (a.id, b.id))
	check(a.ws.transport.get_extra_info("ssl_object") is not None,
	    "not a TLS connection")
	cipher = a.ws.transport.get_extra_info("cipher")
	diag("TLS cipher: %r" % (cipher,))


@suite.test("wss://: join, notifications, room message to 2 clients, leave")
async def _(srv):
	a, b, c = await tls(srv, 3)
	r = uniq()
	await join_in_order(r, a, b)
	await b.send({"action": "room_message", "message": "héllo über TLS"})
	want = {"action": "room_message", "room": r, "user_id": b.id,
	    "message": "héllo über TLS"}
	await a.expect(want)
	await b.expect(want)
	await c.expect_nothing()
	await b.leave(r)
	await a.expect({"action": "leave", "room": r, "user_id": b.id})


@suite.test("wss://: private messages, rooms, participants")
async def _(srv):
	a, b = await tls(srv, 2)
	await a.send({"action": "private_message", "user_id": b.id,
	    "message": "psst"})
	await a.expect({"action": "private_message", "user_id": b.id,
	    "message": "psst"})
	await b.expect({"action": "private_message", "user_id": a.id,
	    "message": "psst"})
	r1, r2 = uniq("a"), uniq("b")
	await a.join(r1)
	await b.join(r2)
	rooms = await a.rooms()
	check(r1 in rooms and r2 in rooms and rooms == sorted(rooms, key=
	    lambda s: s.encode()), "rooms: %s" % jdump(rooms))
	p = await b.participants(r1)
	check(p == [a.id], "participants of %s: %s" % (r1, jdump(p)))


@suite.test("wss://: errors are replies and the connection stays open")
async def _(srv):
	a = await tls(srv)
	await a.send("not json")
	await a.expect_error("invalid JSON")
	await a.send({"action": "room_message", "message": "x"})
	await a.expect_error("user is not in a room")
	await a.send({"action": "private_message", "user_id": "999999",
	    "message": "x"})
	await a.expect_error("user 999999 is not on the server")
	await a.send({"action": "participants", "room": "no-such-room-tls"})
	await a.expect_error("room no-such-room-tls does not exist")
	await a.send(b"\x00\x01")
	await a.expect_error("binary frames are not supported")
	await a.usable()


@suite.test("wss://: large messages cross TLS records intact")
async def _(srv):
	a, b = await tls(srv, 2)
	r = uniq()
	await join_in_order(r, a, b)
	text = "é" * 2048		# 4096 bytes: the default limit
	for i in range(20):
		await b.send({"action": "room_message", "message": text})
	for c in (a, b):
		for i in range(20):
			await c.expect({"action": "room_message", "room": r,
			    "user_id": b.id, "message": text})
	# A frame just under 64 KiB is read across many TLS records.
	await b.send({"action": "rooms", "pad": "p" * (60 * 1024)})
	m = await b.recv()
	check(m.get("action") == "rooms", "got %s" % jdump(m)[:200])


@suite.test("wss://: a frame over 64 KiB closes with 1009")
async def _(srv):
	a = await tls(srv)
	await a.send("x" * (64 * 1024 + 1))
	code, reason = await a.wait_closed()
	check(code == 1009, "close code %s (%r), expected 1009" %
	    (code, reason))


@suite.test("wss://: a dropped TLS connection is a disconnect")
async def _(srv):
	a, b = await tls(srv, 2)
	r = uniq()
	await join_in_order(r, a, b)
	b.abort()		# no close_notify, no close frame
	await a.expect({"action": "leave", "room": r, "user_id": b.id},
	    timeout=5)
	await a.send({"action": "private_message", "user_id": b.id,
	    "message": "x"})
	await a.expect_error("user %s is not on the server" % b.id)


@suite.test("a client on the default trust store is refused "
    "(certificate verify failed)")
async def _(srv):
	try:
		c = await srv.client(ssl=ssl.create_default_context())
	except ssl.SSLCertVerificationError as e:
		diag("refused as expected: %s" % e)
	else:
		fail("a client that does not trust the self-signed certificate"
		    " connected (user %s)" % c.id)
	a = await tls(srv)
	await a.usable()


@suite.test("a client checking another host name is refused")
async def _(srv):
	try:
		c = await srv.client(server_hostname="chat.example")
	except ssl.SSLCertVerificationError as e:
		diag("refused as expected: %s" % e)
	else:
		fail("a certificate for localhost was accepted as "
		    "chat.example (user %s)" % c.id)


@suite.test("plain ws:// on the TLS port does not connect")
async def _(srv):
	try:
		c = await srv.client(ssl=None, open_timeout=scaled(5))
	except Failure:
		raise
	except Exception as e:
		diag("refused as expected: %s: %s" % (type(e).__name__, e))
	else:
		fail("a plaintext WebSocket connected to the TLS port "
		    "(user %s)" % c.id)
	# ...and a raw plaintext upgrade gets no 101 either.
	try:
		c = await srv.raw(ssl=None, timeout=5)
	except HandshakeError as e:
		check(e.status != 101, "plaintext upgrade accepted")
		diag("raw upgrade: HTTP %s" % e.status)
	except (Failure, ConnectionError) as e:
		diag("raw upgrade refused: %s" % str(e).splitlines()[0])
	else:
		fail("a raw plaintext upgrade connected (user %s)" % c.id)
	a = await tls(srv)
	await a.usable()


@suite.test("wss://: SIGTERM sends close 1001 \"going away\", exit 0",
    fresh=True)
async def _(srv):
	a, b = await tls(srv, 2)
	await a.join(uniq())
	srv.send_signal(signal.SIGTERM)
	rc = await srv.wait(2)
	check(rc is not None, "server still running %.1fs after SIGTERM" %
	    scaled(2))
	check(rc == 0, "exit status %s\n%s" % (rc, srv.tail()))
	for c in (a, b):
		code, reason = await c.wait_closed(timeout=1)
		check((code, reason) == (1001, "going away"), "client %s: "
		    "close %s %r" % (c.id, code, reason))


suite.run()
