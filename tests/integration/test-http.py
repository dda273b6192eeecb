#!/usr/bin/python3
"""The HTTP side: only /chatserver/connect upgrades, everything else 404
but the web client's files (test-web.py), which a plain GET gets."""

from chatlib import *

suite = Suite(server_args=["--web-root", os.environ.get("CHAT_WEB_ROOT", "")])

WEB_PATHS = ["/", "/index.html"]
OTHER_PATHS = ["/chatserver", "/chatserver/", "/chatserver/connect/",
    "/chatserver/connect/x", "/chatserver/connectx",
    "/CHATSERVER/CONNECT", "/chatserver/Connect",
    "/favicon.ico", "/chatserver/connect%20",
    "/x/chatserver/connect", "/chatserver/connect/?x=1"]


def get(path, port, upgrade=False, extra=""):
	h = "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % (path, port)
	if upgrade:
		h += ("Upgrade: websocket\r\nConnection: Upgrade\r\n"
		    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		    "Sec-WebSocket-Version: 13\r\n")
	return h + extra + "\r\n"


@suite.test("other paths: plain GET -> 404")
async def _(srv):
	bad = []
	for p in OTHER_PATHS:
		st, h, body = await http_request(srv.port, get(p, srv.port))
		if st != 404:
			bad.append("%s -> %d" % (p, st))
	check(not bad, "expected 404: %s" % ", ".join(bad))


@suite.test("other paths: WebSocket upgrade attempt -> 404 (raw)")
async def _(srv):
	bad = []
	for p in WEB_PATHS + OTHER_PATHS:
		st, h, body = await http_request(srv.port, get(p, srv.port,
		    upgrade=True))
		if st != 404:
			bad.append("%s -> %d" % (p, st))
	check(not bad, "expected 404: %s" % ", ".join(bad))


# The path is compared after the normalisation libwebsockets applies to
# every request (as nginx's merge_slashes does): runs of slashes are one
# slash.  So these reach the endpoint, while a trailing slash, after the
# merge, is still another path (doc/protocol.md, "Transport").
MERGED = ["//chatserver/connect", "/chatserver//connect"]
TRAILING = ["/chatserver/connect//", "//chatserver/connect/"]


@suite.test("duplicate slashes are merged; a trailing slash is still 404")
async def _(srv):
	bad = []
	for p in MERGED:
		st, h, body = await http_request(srv.port, get(p, srv.port,
		    upgrade=True))
		if st != 101:
			bad.append("%s (upgrade) -> %d, wanted 101" % (p, st))
	for p in TRAILING:
		for up in (False, True):
			st, h, body = await http_request(srv.port, get(p,
			    srv.port, upgrade=up))
			if st != 404:
				bad.append("%s%s -> %d, wanted 404" % (p,
				    " (upgrade)" if up else "", st))
	check(not bad, "; ".join(bad))


@suite.test("an unknown WebSocket version gets 426 naming version 13")
async def _(srv):
	req = get("/chatserver/connect", srv.port, upgrade=True).replace(
	    "Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 99")
	check("Version: 99" in req, "request not rewritten: %r" % req)
	st, h, body = await http_request(srv.port, req)
	check(st == 426, "status %d" % st)
	check(h.get("sec-websocket-version") == "13", "headers %r" % (h,))


@suite.test("other paths: python-websockets is refused")
async def _(srv):
	import websockets.exceptions as wse
	for p in ("/", "/chatserver/connect/", "/chatserver"):
		try:
			c = await Client.connect(srv.port, path=p)
		except wse.InvalidStatusCode as e:
			check(e.status_code == 404, "%s: status %d, expected "
			    "404" % (p, e.status_code))
		except wse.InvalidMessage:
			# lws answers a failed upgrade with HTTP/1.0, which
			# python-websockets does not parse; the raw test above
			# checks the status.
			pass
		else:
			c.abort()
			fail("%s: upgrade accepted (id %s)" % (p, c.id))


@suite.test("the endpoint without an upgrade -> 4xx")
async def _(srv):
	st, h, body = await http_request(srv.port, get(PATH, srv.port))
	check(400 <= st < 500, "plain GET %s -> %d, expected 4xx" % (PATH, st))
	st, h, body = await http_request(srv.port,
	    "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}" % PATH)
	check(400 <= st < 500, "POST %s -> %d, expected 4xx" % (PATH, st))


@suite.test("a query string on the endpoint is ignored")
async def _(srv):
	for q in ("?x=1", "?", "?user_id=0&room=r", "?a=%20b"):
		c = await srv.client(path=PATH + q)
		await c.usable()
	r = await RawClient.connect(srv.port, path=PATH + "?raw=1")
	await r.usable()
	r.abort()


@suite.test("raw handshake: Sec-WebSocket-Accept and connection message")
async def _(srv):
	r = await srv.raw()
	check(r.id is not None and r.id.isdigit(), "id %r" % r.id)
	await r.send({"action": "rooms"})
	m = await r.recv()
	check(m.get("action") == "rooms", "rooms reply %s" % jdump(m))


@suite.test("a refused connection uses up no id", fresh=True)
async def _(srv):
	a = await srv.client()
	check(a.id == "0", "first id %r" % a.id)
	for p in ("/", "/chatserver/connect/", "/nope"):
		await http_request(srv.port, get(p, srv.port, upgrade=True))
		await http_request(srv.port, get(p, srv.port))
	await http_request(srv.port, get(PATH, srv.port))
	# An upgrade without a key is refused too.
	rd, wr = await asyncio.open_connection("127.0.0.1", srv.port)
	wr.write(get(PATH, srv.port, extra="Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n").encode())
	try:
		resp = await asyncio.wait_for(rd.read(12), scaled(2))
	except (asyncio.TimeoutError, ConnectionError):
		resp = b""
	wr.transport.abort()
	check(not resp.startswith(b"HTTP/1.1 101"), "upgrade without "
	    "Sec-WebSocket-Key accepted")
	# A TCP connection that never sends a request.
	rd, wr = await asyncio.open_connection("127.0.0.1", srv.port)
	wr.transport.abort()
	b = await srv.client()
	check(b.id == "1", "id after refused connections %r, expected \"1\""
	    % b.id)


suite.run()
