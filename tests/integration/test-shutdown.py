#!/usr/bin/python3
"""SIGTERM/SIGINT: every client gets close 1001 "going away", exit 0."""

from chatlib import *

suite = Suite()


async def shutdown(srv, sig, nws=4, nraw=4, busy=False):
	ws = await srv.clients(nws)
	raws = [await srv.raw() for _ in range(nraw)]
	r = uniq()
	for c in ws[:2] + raws[:2]:
		await c.join(r)
	await ws[2].join(uniq())
	stop_talk = False

	async def talk():
		# A member keeps the room busy while the signal arrives.
		i = 0
		while not stop_talk:
			try:
				await raws[1].send({"action": "room_message",
				    "message": "busy %d" % i})
			except (ConnectionError, OSError):
				return
			i += 1
			await asyncio.sleep(0.05)
	talker = asyncio.ensure_future(talk()) if busy else None
	await asyncio.sleep(0.1)
	t0 = time.monotonic()
	srv.send_signal(sig)
	rc = await srv.wait(2)
	took = time.monotonic() - t0
	stop_talk = True
	if talker:
		await talker
	check(rc is not None, "server still running %.1fs after %s" %
	    (scaled(2), signal.Signals(sig).name))
	check(rc == 0, "exit status %d after %s\n%s" % (rc,
	    signal.Signals(sig).name, srv.tail()))
	bad = []
	for c in ws:
		code, reason = await c.wait_closed(timeout=1)
		if (code, reason) != (1001, "going away"):
			bad.append("client %s (websockets): close %s %r" %
			    (c.id, code, reason))
	for c in raws:
		try:
			code, reason = await c.expect_close(timeout=1)
		except Failure as e:
			bad.append(str(e))
			continue
		if (code, reason) != (1001, "going away"):
			bad.append("client %s (raw): close %s %r" %
			    (c.id, code, reason))
	check(not bad, "expected close 1001 \"going away\" for every "
	    "client:\n" + "\n".join(bad))
	return took


@suite.test("SIGTERM: close 1001 \"going away\" to all, exit 0 within 2 s",
    fresh=True)
async def _(srv):
	await shutdown(srv, signal.SIGTERM)


@suite.test("SIGINT: the same", fresh=True)
async def _(srv):
	await shutdown(srv, signal.SIGINT)


@suite.test("SIGTERM while a room is busy", fresh=True)
async def _(srv):
	await shutdown(srv, signal.SIGTERM, busy=True)


@suite.test("SIGTERM with 100 idle clients", fresh=True, timeout=30)
async def _(srv):
	await shutdown(srv, signal.SIGTERM, nws=20, nraw=80)


@suite.test("SIGTERM with no client at all", fresh=True)
async def _(srv):
	srv.send_signal(signal.SIGTERM)
	rc = await srv.wait(2)
	check(rc == 0, "exit status %s\n%s" % (rc, srv.tail()))


suite.run()
