#!/usr/bin/python3
"""A late release from a connection that lost its session leaves the new
holder's session alone (store.h: only the current holder's release counts).
Two nodes on one redis-server, node A's Redis link through a relay that
can hold what A sends, so the sequence the cluster once reached under
valgrind happens every time:
  1. a token hello on node A resumes the session and replaces its holder;
  2. that connection closes: A's teardown (offline, then release) is held;
     the holder comes back with its token on node B, resumes, replaces A;
  3. A's teardown runs: its release must change nothing.
Then, past --session-ttl, the holder (online on B) still has its session:
its name is reserved, and the session in Redis is not expiring."""

import re

from redislib import *

suite = Suite(needs_server=True)

TTL = 1		# --session-ttl: a wrongly released session expires soon


class Relay:
	"""A TCP relay to Redis.  hold(): what the node sends from then on
	waits here until release(); from hold() on, everything it sends is
	kept in `sent` to look at."""

	def __init__(self, port):
		self.port_to = port
		self.open = asyncio.Event()
		self.open.set()
		self.sent = b""
		self.logging = False
		self.arrived = asyncio.Event()
		self.server = None
		self.tasks = []

	async def start(self):
		self.server = await asyncio.start_server(self._conn,
		    "127.0.0.1", 0)
		self.port = self.server.sockets[0].getsockname()[1]
		return self

	@property
	def url(self):
		return "redis://127.0.0.1:%d" % self.port

	async def _pump(self, r, w, up):
		try:
			while True:
				data = await r.read(65536)
				if not data:
					break
				if up and self.logging:
					self.sent += data
					self.arrived.set()
				if up:
					await self.open.wait()
				w.write(data)
				await w.drain()
		except (OSError, asyncio.CancelledError):
			pass
		finally:
			w.close()

	async def _conn(self, r, w):
		try:
			rr, rw = await asyncio.open_connection("127.0.0.1",
			    self.port_to)
		except OSError:
			w.close()
			return
		self.tasks += [asyncio.ensure_future(self._pump(r, rw, True)),
		    asyncio.ensure_future(self._pump(rr, w, False))]

	def hold(self):
		self.sent = b""
		self.logging = True
		self.open.clear()

	def release(self):
		self.open.set()

	async def wait_sent(self, pattern, what, timeout=5):
		"""Until what the node sent since hold() matches pattern."""
		deadline = time.monotonic() + scaled(timeout)
		while not re.search(pattern, self.sent):
			left = deadline - time.monotonic()
			check(left > 0, "node A did not send %s; it sent: %r" %
			    (what, self.sent[-400:]))
			self.arrived.clear()
			try:
				await asyncio.wait_for(self.arrived.wait(),
				    left)
			except asyncio.TimeoutError:
				pass

	async def close(self):
		self.open.set()
		self.server.close()
		for t in self.tasks:
			t.cancel()
		await asyncio.gather(*self.tasks, return_exceptions=True)


# What node A sends (redis-conn.c: EVALSHA sha numkeys args...): the
# registry's offline script (no key; prefix, id, node, conn), then the
# store's release (key chat:user:<id>; now, ttl, holder).
def offline_of(uid):
	return (rb"\*7\r\n\$7\r\nEVALSHA\r\n\$40\r\n[0-9a-f]{40}\r\n"
	    rb"\$1\r\n0\r\n\$\d+\r\nchat:\d+:\r\n\$\d+\r\n" +
	    uid.encode() + rb"\r\n")


def release_of(uid):
	return (rb"\*\d+\r\n\$7\r\nEVALSHA\r\n\$40\r\n[0-9a-f]{40}\r\n"
	    rb"\$1\r\n1\r\n\$\d+\r\nchat:user:" + uid.encode() + rb"\r\n")


async def node(url):
	s = Server(["--redis", url, "--session-ttl", TTL], suite)
	await s.start()
	await wait_serving(s)
	return s


async def closed_with(c, code, reason):
	got = await c.wait_closed(timeout=5)
	check(got == (code, reason), "client %s: closed with %s, expected "
	    "%s" % (c.id, got, (code, reason)))


@suite.test("a replaced connection's late release (node A) leaves the "
    "holder's session alone (node B): name reserved past the TTL",
    timeout=60)
async def _(srv):
	rd = await RedisServer().start()
	relay = await Relay(rd.port).start()
	a = b = None
	try:
		a = await node(relay.url)
		b = await node(rd.url)
		room, name = uniq(), "Holder%d" % (os.getpid() % 10000)
		keeper = await b.client()
		await keeper.v2_hello()
		await keeper.send({"action": "nick", "name": name})
		await keeper.expect({"action": "nick", "user_id": keeper.id,
		    "name": name})
		token, uid = keeper.token, keeper.id
		other = await b.client()
		await other.v2_hello()

		# 1. A token hello on node A replaces the holder.
		ghost = await a.client()
		h = await ghost.v2_hello(token)
		check(h["user_id"] == uid and h.get("name") == name,
		    "resume on node A: %s" % jdump(h))
		await closed_with(keeper, 4000, "replaced")

		# 2. It closes; node A's teardown waits in the relay (its
		# offline first: the release only follows that reply) while
		# the holder comes back on node B.
		relay.hold()
		ghost.abort()
		await relay.wait_sent(offline_of(uid), "the offline of the "
		    "closed connection")
		keeper = await b.client()
		h = await keeper.v2_hello(token)
		check(h["user_id"] == uid and h.get("name") == name,
		    "resume on node B: %s" % jdump(h))

		# 3. Node A's teardown runs.  A client connecting to node A
		# after it sees its id once A's release has run: A sends the
		# release on the offline's reply, ahead of the client's
		# online, on the one link.
		relay.release()
		probe = await a.client()
		# (Sent, not failed for want of Redis: else this tests
		# nothing.)
		await relay.wait_sent(release_of(uid), "the release of the "
		    "closed connection's hold")
		exp = await rd.command("HGET", "chat:user:" + uid, "exp")
		check(exp in (b"0", "0"), "the holder's session in Redis "
		    "expires (exp %r) while it is online" % (exp,))
		await keeper.join(room)

		# Past the TTL the holder still has its session and name.
		await still_held(keeper, other, room, name, uid, TTL)

		# Its own release counts: once it has gone for longer than
		# the TTL, the name is free.
		await keeper.close()

		async def free():
			await other.send({"action": "nick", "name":
			    name.lower()})
			m = await other.recv()
			return m == {"action": "nick", "user_id": other.id,
			    "name": name.lower()}
		await asyncio.sleep(scaled(TTL))
		await wait_until(free, timeout=5, interval=0.2,
		    what="the name to be free once its holder has gone")
		await probe.close()
		await other.close()
	finally:
		await relay.close()
		for s in (a, b):
			if s is not None:
				await s.stop()
		await rd.close()


suite.run()
