#!/usr/bin/python3
"""Several chat-server nodes on one Redis (--redis): one order per room
under load across nodes; a node killed (kill -9) and restarted; Redis
killed and restarted with its AOF; Redis paused (SIGSTOP) past the
timeouts.  Each test starts its own redis-server and nodes."""

import re

from redislib import *

suite = Suite(needs_server=True)

TOKEN = re.compile(rb'"message":"(m-\d+-\d+)"')


async def cluster(n=3, aof=False, args=()):
	return await ClusterServer(n, args, suite, aof=aof).start()


async def closed_with(c, codes, timeout=10):
	code, reason = await c.wait_closed(timeout=timeout)
	check(code in codes, "client %s: closed with %s %r, expected one of "
	    "%s" % (c.id, code, reason, codes))
	return code


@suite.test("ordering under load: 3 nodes, 300 clients in 3 rooms, all "
    "sending: every member of a room sees one identical sequence",
    timeout=180)
async def _(srv):
	# The shape: nothing lost, duplicated or reordered at scale.
	# (Local-first delivery is caught by the next test: checked with
	# such a mutant, this one rarely sees two nodes' messages race.)
	NCLIENTS, NROOMS, NMSGS = 300, 3, 10
	cl = await cluster(3, args=["--rate-limit", "0"])
	try:
		cs = []
		for k in range(NCLIENTS):
			cs.append(await cl.raw())
		rooms = [uniq("load") for _ in range(NROOMS)]
		for k, c in enumerate(cs):
			await c.send({"action": "join",
			    "room": rooms[k % NROOMS]})
		# Everyone in before anyone talks: each has its join reply
		# (join notifications of later joiners are skipped below).
		for k, c in enumerate(cs):
			while True:
				m = await c.recv(timeout=20)
				if m == {"action": "join",
				    "room": rooms[k % NROOMS]}:
					break
		per_room = NCLIENTS // NROOMS * NMSGS

		async def talk(k, c):
			for i in range(NMSGS):
				await c.send({"action": "room_message",
				    "message": "m-%d-%d" % (k, i)})

		async def listen(k, c):
			seq = []
			while len(seq) < per_room:
				try:
					region, ntext, others = \
					    await c.read_batch(timeout=60)
				except asyncio.TimeoutError:
					fail("member %d: stalled at %d of %d" %
					    (k, len(seq), per_room))
				seq.extend(TOKEN.findall(region))
			check(len(seq) == per_room, "member %d: %d messages, "
			    "expected %d" % (k, len(seq), per_room))
			return seq

		res = await asyncio.gather(
		    *(listen(k, c) for k, c in enumerate(cs)),
		    *(talk(k, c) for k, c in enumerate(cs)))
		for r in range(NROOMS):
			seqs = [res[k] for k in range(r, NCLIENTS, NROOMS)]
			first = seqs[0]
			check(len(set(first)) == per_room, "room %d: duplicates"
			    % r)
			for j, s in enumerate(seqs):
				if s != first:
					i = next(i for i in range(len(s))
					    if s[i] != first[i])
					fail("room %d: member %d differs from "
					    "member 0 at message %d: %r vs %r" %
					    (r, j, i, s[i], first[i]))
		await suite._close_open()
	finally:
		await cl.stop()


@suite.test("two nodes, a member on each sending 300 messages at once: "
    "both see one order, their own echoes in their place", timeout=60)
async def _(srv):
	# The sharpest case for the total order: a node that delivered its
	# own clients' messages before those that Redis ran earlier (as the
	# Socket.IO adapter does) shows a different order here at once.
	N = 300
	cl = await cluster(2, args=["--rate-limit", "0"])
	try:
		x, y = await cl.raw(), await cl.raw()	# one on each node
		r = uniq()
		await x.join(r)
		await y.join(r)
		await x.expect({"action": "join", "room": r, "user_id": y.id})

		async def blast(c, tag):
			for i in range(N):
				await c.send({"action": "room_message",
				    "message": "m-%s-%d" % (tag, i)})

		async def listen(c):
			seq = []
			while len(seq) < 2 * N:
				region, ntext, others = await c.read_batch(
				    timeout=20)
				seq.extend(TOKEN.findall(region))
			return seq

		sx, sy, _, _ = await asyncio.gather(listen(x), listen(y),
		    blast(x, 0), blast(y, 1))
		check(len(sx) == 2 * N and len(sy) == 2 * N, "counts %d, %d" %
		    (len(sx), len(sy)))
		diff = [i for i in range(2 * N) if sx[i] != sy[i]]
		check(not diff, "%d positions differ, the first at %d: %r "
		    "(node 1) vs %r (node 2)" % (len(diff), diff[0] if diff
		    else -1, sx[diff[0]] if diff else "", sy[diff[0]] if diff
		    else ""))
		await suite._close_open()
	finally:
		await cl.stop()


@suite.test("a room message then history at once: the echo comes first, "
    "every time", timeout=60)
async def _(srv):
	# The echo comes through the node's subscription, the history reply
	# straight from Redis: the node holds the reply for its turn.
	cl = await cluster(2, args=["--rate-limit", "0"])
	try:
		x, y = await cl.raw(), await cl.raw()
		await x.send({"action": "hello"})
		await x.recv()
		r = uniq()
		await x.join(r)
		await y.join(r)
		await x.expect({"action": "join", "room": r, "user_id": y.id})
		for i in range(200):
			await x.send({"action": "room_message",
			    "message": "m-%d" % i})
			await x.send({"action": "history", "room": r,
			    "limit": "1"})
			a = await x.recv()
			b = await x.recv()
			check(a.get("action") == "room_message" and
			    b.get("action") == "history", "request %d: %s "
			    "before %s" % (i, jdump(a), jdump(b)))
		await suite._close_open()
	finally:
		await cl.stop()


@suite.test("a node killed (kill -9): its users leave their rooms, with "
    "notifications, within 5 s; then unreachable; a restarted node "
    "serves", timeout=60)
async def _(srv):
	cl = await cluster(3)
	try:
		a, b, c = await cl.clients(3)	# one on each node
		r = uniq()
		await a.join(r)
		await b.join(r)
		await a.expect({"action": "join", "room": r, "user_id": b.id})
		await c.join(r)
		await a.expect({"action": "join", "room": r, "user_id": c.id})
		await b.expect({"action": "join", "room": r, "user_id": c.id})
		victim = cl.nodes[2]
		victim.stopping = True
		victim.proc.kill()
		await victim.proc.wait()
		t0 = time.monotonic()
		await a.expect({"action": "leave", "room": r, "user_id": c.id},
		    timeout=8)
		took = time.monotonic() - t0
		await b.expect({"action": "leave", "room": r, "user_id": c.id},
		    timeout=2)
		check(took < scaled(5), "leave after %.1f s" % took)
		await a.send({"action": "private_message", "user_id": c.id,
		    "message": "there?"})
		await a.expect_error("user %s is not on the server" % c.id)
		check(await a.participants(r) == sorted([a.id, b.id],
		    key=int), "participants after the node died")
		# The node again, on its port: serving, in the same chat.
		victim.stopping = False
		await victim.start()
		await wait_serving(victim)
		d = await victim.client()
		check(int(d.id) > int(c.id), "id %s reused after %s" %
		    (d.id, c.id))
		await d.join(r)
		for x in (a, b):
			await x.expect({"action": "join", "room": r,
			    "user_id": d.id})
		await d.send({"action": "room_message", "message": "back"})
		for x in (a, b, d):
			await x.expect({"action": "room_message", "room": r,
			    "user_id": d.id, "message": "back"})
		await suite._close_open()
	finally:
		await cl.stop()


@suite.test("Redis killed and restarted with its AOF: clients closed "
    "1013, upgrades 503 meanwhile; sessions, names and history survive",
    timeout=60)
async def _(srv):
	cl = await cluster(3, aof=True)
	try:
		a, b = await cl.clients(2)
		await a.v2_hello()
		await b.v2_hello()
		name = uniq("n").replace("-", "_")
		await a.send({"action": "nick", "name": name})
		await a.expect({"action": "nick", "user_id": a.id,
		    "name": name})
		r = uniq()
		await a.join(r)
		await a.send({"action": "room_message", "message": "kept"})
		m = await a.recv()
		check(m.get("message") == "kept" and "seq" in m, "echo: %s" %
		    jdump(m))
		epoch = a.epoch
		await cl.redis.kill()
		for c in (a, b):
			await closed_with(c, (1011, 1013))
		# Each node sees Redis go on its own; until then an upgrade
		# may still be taken (and closed 1011 when it needs Redis).
		for node in cl.nodes:
			await wait_serving(node, serving=False)
		try:
			x = await cl.client()
			fail("upgrade served while Redis is away: %s" % x.id)
		except Exception as e:
			check("503" in str(e), "upgrade refused with %s" % e)
		await cl.redis.start()
		for node in cl.nodes:
			await wait_serving(node)
		# a comes back through its session, on another node.
		a2 = await cl.client()
		h = await a2.v2_hello(token=a.token)
		check(a2.id == a.id, "resumed as %s, not %s" % (a2.id, a.id))
		check(h.get("name") == name, "name lost: %s" % jdump(h))
		check(h["epoch"] == epoch, "epoch changed: %s, was %s" %
		    (h["epoch"], epoch))
		await a2.send({"action": "history", "room": r})
		h = await a2.recv()
		check([x["message"] for x in h.get("messages", [])] ==
		    ["kept"], "history after the restart: %s" % jdump(h))
		await suite._close_open()
	finally:
		await cl.stop()


@suite.test("Redis paused (SIGSTOP) past the timeouts: clients closed "
    "1013, upgrades 503; resumed (SIGCONT): served again", timeout=60)
async def _(srv):
	cl = await cluster(3)
	try:
		cs = await cl.clients(3)
		r = uniq()
		for c in cs:
			await c.join(r)
		cl.redis.pause()
		try:
			t0 = time.monotonic()
			for c in cs:
				await closed_with(c, (1011, 1013), timeout=15)
			took = time.monotonic() - t0
			check(took < scaled(10), "closed after %.1f s" % took)
			for node in cl.nodes:
				st, h, body = await http_request(node.port,
				    "GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % PATH)
				check(st == 503, "node %d: plain GET %s while "
				    "Redis is paused" % (node.port, st))
		finally:
			cl.redis.resume()
		for node in cl.nodes:
			await wait_serving(node)
		a, b = await cl.clients(2)
		await a.join(r)
		await b.join(r)
		await a.expect({"action": "join", "room": r, "user_id": b.id})
		await suite._close_open()
	finally:
		await cl.stop()


@suite.test("--metrics on a node: chat_store_seconds counts Redis round "
    "trips; /healthz 503 'redis: unreachable' while Redis is paused, 200 "
    "once it is back", timeout=60)
async def _(srv):
	cl = await cluster(1, args=["--metrics", "auto"])
	try:
		node = cl.nodes.servers[0]
		port = node.metrics_port

		async def get(path):
			st, _, body = await http_request(port, "GET %s HTTP/1.1"
			    "\r\nHost: x\r\nConnection: close\r\n\r\n" % path)
			return st, body

		async def scrape():
			st, body = await get("/metrics")
			check(st == 200, "/metrics: %d" % st)
			m = re.search(rb"^chat_store_seconds_count (\d+)$", body,
			    re.M)
			check(m is not None, "no chat_store_seconds_count")
			up = re.search(rb'^chat_store_up\{store="redis"\} (\d+)$',
			    body, re.M)
			return int(m.group(1)), up and int(up.group(1))

		async def health():
			return await get("/healthz")

		n0, up = await scrape()
		check(up == 1, "chat_store_up{store=redis} while serving: %s" %
		    up)
		check(await health() == (200, b"ok\n"), "/healthz: %r" %
		    (await health(),))
		a = await cl.client()
		r = uniq()
		await a.join(r)
		for i in range(5):
			await a.send({"action": "room_message", "message": "m%d" %
			    i})
			await a.recv()
		n1, _ = await scrape()
		# A connect, a join and five messages: a script each at least.
		check(n1 >= n0 + 7, "Redis round trips counted: %d -> %d" %
		    (n0, n1))
		cl.redis.pause()
		try:
			await closed_with(a, (1011, 1013), timeout=15)
			st, body = await health()
			check(st == 503 and b"redis: unreachable" in body,
			    "/healthz while Redis is paused: %d %r" % (st, body))
			_, up = await scrape()
			check(up == 0, "chat_store_up{store=redis} while paused: "
			    "%s" % up)
		finally:
			cl.redis.resume()
		await wait_serving(node)
		check(await health() == (200, b"ok\n"), "/healthz after Redis "
		    "came back: %r" % (await health(),))
		await suite._close_open()
	finally:
		await cl.stop()


suite.run()
