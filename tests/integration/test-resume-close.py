#!/usr/bin/python3
"""A connection that sends hello with a token and closes before the resume
completes (with --db the store's answer is a writer-thread commit later)
must leave the session's online holder alone: still online, reachable by
name, in its room, its session not released (so it does not expire under
it and its name stays reserved); and the closed connection's own id must
leave the registry.  Nor may it leave a hold behind: once the holder has
gone, the session expires as usual.  In memory and with --db."""

import atexit
import shutil
import tempfile

from chatlib import *
import websockets.exceptions

suite = Suite()
_tmp = tempfile.mkdtemp(prefix="chat-resume-close-")
atexit.register(shutil.rmtree, _tmp, True)

ATTEMPTS = 40
TTL = 1		# --session-ttl: a wrongly released session expires soon


async def v2(srv, token=None):
	c = await srv.client()
	await c.v2_hello(token)
	return c


async def abandoned_hello(srv, token):
	"""Connect, send hello with token and a close frame in one write,
	drop the connection; returns the id the connection was given."""
	r = await srv.raw()
	r.write(build_frame(OP_TEXT, json.dumps({"action": "hello",
	    "token": token}).encode()) + build_frame(OP_CLOSE,
	    struct.pack("!H", 1000)))
	await r.drain()
	r.abort()
	return r.id


async def holder(srv, room, name, token=None):
	"""The session's online connection: named, in room."""
	c = await srv.client()
	h = await c.v2_hello(token)
	if token is None:
		await c.send({"action": "nick", "name": name})
		await c.expect({"action": "nick", "user_id": c.id,
		    "name": name})
	else:
		check(h.get("name") == name, "resumed without its name: %s" %
		    jdump(h))
	await c.join(room)
	return c


async def replaced(c):
	"""1 if the server closed c with 4000 replaced, 0 if c still
	answers."""
	try:
		await c.send({"action": "rooms"})
		m = await asyncio.wait_for(c.ws.recv(), scaled(3))
	except websockets.exceptions.ConnectionClosed as e:
		check(e.rcvd is not None and (e.rcvd.code, e.rcvd.reason) ==
		    (4000, "replaced"), "client %s closed with %s" % (c.id,
		    e.rcvd))
		return 1
	check(json.loads(m).get("action") == "rooms", "client %s: expected "
	    "rooms, got %s" % (c.id, m))
	return 0


async def body(srv, need_hit):
	"""Abandoned token hellos until one closed before its resume
	completed (the holder was not replaced); those that completed first
	replaced the holder, as a second connection does, and it comes back
	with its token."""
	room, name = uniq(), "Keeper%d" % (os.getpid() % 10000)
	keeper = await holder(srv, room, name)
	other = await v2(srv)
	hit = False
	for _ in range(ATTEMPTS):
		ghost = await abandoned_hello(srv, keeper.token)

		async def gone():
			m = await other.request({"action": "private_message",
			    "user_id": ghost, "message": "anyone?"})
			return m == {"action": "error", "message":
			    "user %s is not on the server" % ghost}
		# The abandoned connection's own id leaves the registry.
		await wait_until(gone, timeout=5, what="the abandoned "
		    "connection's id %s to leave the registry" % ghost)
		if not await replaced(keeper):
			hit = True
			break
		keeper = await holder(srv, room, name, keeper.token)
	print("# %s: a hello closed before its resume completed" %
	    ("yes" if hit else "no"), flush=True)
	check(hit or not need_hit, "no attempt of %d closed before its resume"
	    " completed: the test did not test anything" % ATTEMPTS)
	# Past the TTL: had the abandoned connection released the holder's
	# session, it would have expired now and its name would be free.
	await still_held(keeper, other, room, name, keeper.id, TTL)
	# Nor did the abandoned connections leave a hold behind: once the
	# holder goes, its session expires like any other (its name free
	# after the TTL, its token unknown).
	token = keeper.token
	await keeper.close()

	async def free():
		await other.send({"action": "nick", "name": name.lower()})
		m = await other.recv()
		return m == {"action": "nick", "user_id": other.id,
		    "name": name.lower()}
	await asyncio.sleep(scaled(TTL))
	await wait_until(free, timeout=5, interval=0.2, what="the name to be "
	    "free once the holder has gone for longer than the TTL")
	again = await srv.client()
	await again.send({"action": "hello", "token": token})
	await again.expect_error("invalid token")


# test-resume-close-cluster.py: three nodes on one Redis, the holder and
# the abandoned connections on different nodes.
CLUSTER = int(os.environ.get("CHAT_TEST_CLUSTER", "0") or "0") > 0


@suite.test("token hello closed in flight, %s: the online holder keeps its "
    "session" % ("on a cluster" if CLUSTER else "in memory"),
    args=["--session-ttl", TTL], timeout=40)
async def _(srv):
	# In memory the resume completes before the close is seen: every
	# attempt replaces the holder, which must work too.
	await body(srv, CLUSTER)


if not CLUSTER:
	@suite.test("token hello closed in flight, --db: the online holder "
	    "keeps its session", timeout=40, args=["--session-ttl", TTL,
	    "--db", os.path.join(_tmp, "resume.db")])
	async def _(srv):
		await body(srv, True)


suite.run()
