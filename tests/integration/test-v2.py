#!/usr/bin/python3
"""Every row, rule and error text of version 2 (doc/protocol.md), with
version 1 and version 2 clients in the same rooms: version 1 clients must
get exactly version 1 bytes.  test-v2-db.py runs the same tests with the
server on an SQLite database (--db)."""

import atexit
import shutil
import tempfile

from chatlib import *

DB = os.environ.get("CHAT_V2_DB") == "1"
_tmp = tempfile.mkdtemp(prefix="chat-v2-")
atexit.register(shutil.rmtree, _tmp, True)


def server_args(*extra):
	"""Arguments of a server: a fresh database file with --db."""
	args = list(extra)
	if DB:
		args = ["--db", os.path.join(_tmp, uniq("db") + ".db")] + args
	return args


suite = Suite(server_args=server_args())


async def v2(srv, n=1):
	"""n version 2 clients (sequential: ids in order)."""
	cs = []
	for _ in range(n):
		c = await srv.client()
		await c.v2_hello()
		cs.append(c)
	return cs if n > 1 else cs[0]


async def named(srv, name):
	c = await v2(srv)
	await c.send({"action": "nick", "name": name})
	await c.expect({"action": "nick", "user_id": c.id, "name": name})
	return c


def nickname(prefix="n"):
	"""A name no other test uses (names are server-wide)."""
	return uniq(prefix).replace("-", "_")


def v1_text(*pairs):
	"""Exact version 1 bytes: keys in the order given."""
	return "{" + ",".join('"%s":%s' % (k, json.dumps(v,
	    separators=(",", ":"), ensure_ascii=False)) for k, v in pairs) + "}"


# ---------------------------------------------------------------- hello

@suite.test("hello: a new session for the connection's own id")
async def _(srv):
	a = await srv.client()
	own = a.id
	h = await a.v2_hello()
	check(h["user_id"] == own and "name" not in h,
	    "hello reply %s, expected user_id %s and no name" % (jdump(h), own))
	check(len(h["token"]) == 43, "token length %d" % len(h["token"]))
	b = await srv.client()
	hb = await b.v2_hello()
	check(hb["token"] != h["token"], "two sessions share a token")
	check(hb["epoch"] == h["epoch"], "epoch differs between clients")


@suite.test("hello with a token: same id, same token, and the name")
async def _(srv):
	name = nickname()
	a = await named(srv, name)
	token, uid = a.token, a.id
	await a.close()
	b = await srv.client()
	dropped = b.id
	h = await b.v2_hello(token)
	check(h["user_id"] == uid and h["token"] == token and
	    h.get("name") == name, "resumed hello %s, expected id %s, the "
	    "same token and name %s" % (jdump(h), uid, name))
	# The id given on connect is gone for good.
	c = await srv.client()
	await c.send({"action": "private_message", "user_id": dropped,
	    "message": "x"})
	await c.expect_error("user %s is not on the server" % dropped)
	check(int(c.id) > int(dropped), "id %s handed out again" % c.id)


@suite.test("hello replaces the other connection: leave first, then 4000")
async def _(srv):
	room = uniq()
	a = await v2(srv)
	m = await srv.client()		# a version 1 member of the room
	await join_in_order(room, a, m)
	b = await srv.client()
	await b.v2_hello(a.token)
	# The members hear the leave before the hello reply was sent; the
	# reply has arrived, so the leave must be there already.
	await m.expect_text(v1_text(("action", "leave"), ("room", room),
	    ("user_id", a.id)), timeout=0.5)
	code, reason = await a.wait_closed()
	check((code, reason) == (4000, "replaced"), "old connection closed "
	    "with %r, expected (4000, 'replaced')" % ((code, reason),))
	# Membership is not restored; b is a.id now, reachable.
	check(await m.participants(room) == [m.id], "room kept the replaced "
	    "user")
	await m.send({"action": "private_message", "user_id": b.id,
	    "message": "to b"})
	await b.expect_v2({"action": "private_message", "user_id": m.id,
	    "message": "to b"})
	await m.expect_text(v1_text(("action", "private_message"),
	    ("user_id", b.id), ("message", "to b")))


@suite.test("the replaced connection's requests are ignored")
async def _(srv):
	a = await v2(srv)
	b = await srv.client()
	await b.v2_hello(a.token)
	await a.wait_closed()
	# Nothing a would still send reaches anyone: b hears nothing.
	await b.expect_nothing()


@suite.test("invalid token: error, stays version 1, may hello again")
async def _(srv):
	a = await srv.client()
	for bad in ("A" * 43, "", 5, None, ["x"]):
		await a.send({"action": "hello", "token": bad})
		await a.expect_error("invalid token")
	# Still version 1: nick is unknown.
	await a.send({"action": "nick", "name": "x"})
	await a.expect_error("unknown action: nick")


@suite.test("invalid token, then a good hello")
async def _(srv):
	a = await srv.client()
	await a.send({"action": "hello", "token": "nope"})
	await a.expect_error("invalid token")
	await a.send(b"\x00binary")
	await a.expect_error("binary frames are not supported")
	await a.v2_hello()


@suite.test("hello must be the first request")
async def _(srv):
	a = await srv.client()
	await a.rooms()
	for req in ({"action": "hello"}, {"action": "hello", "token": "x"}):
		await a.send(req)
		await a.expect_error("hello must be the first request")
	b = await srv.client()
	await b.send("not json")
	await b.expect_error("invalid JSON")
	await b.send({"action": "hello"})
	await b.expect_error("hello must be the first request")
	c = await v2(srv)
	await c.send({"action": "hello", "token": c.token})
	await c.expect_error("hello must be the first request")
	await c.send({"action": "hello"})
	await c.expect_error("hello must be the first request")


@suite.test("version 1 clients: nick and history are unknown actions")
async def _(srv):
	a = await srv.client()
	await a.send({"action": "nick", "name": "x"})
	await a.expect_text(v1_text(("action", "error"),
	    ("message", "unknown action: nick")))
	await a.send({"action": "history", "room": "r"})
	await a.expect_text(v1_text(("action", "error"),
	    ("message", "unknown action: history")))


# ---------------------------------------------------------------- names

@suite.test("nick: reply, v2 members told, v1 members and self not")
async def _(srv):
	room, name = uniq(), nickname()
	a, b = await v2(srv, 2)
	m = await srv.client()
	await join_in_order(room, a, b, m)
	await a.send({"action": "nick", "name": name})
	await a.expect({"action": "nick", "user_id": a.id, "name": name})
	await b.expect({"action": "nick", "room": room, "user_id": a.id,
	    "name": name})
	await expect_nothing(a, m)
	# Own name again, in another case: sent as any change.
	await a.send({"action": "nick", "name": name.upper()})
	await a.expect({"action": "nick", "user_id": a.id,
	    "name": name.upper()})
	await b.expect({"action": "nick", "room": room, "user_id": a.id,
	    "name": name.upper()})
	# "" removes it.
	await a.send({"action": "nick", "name": ""})
	await a.expect({"action": "nick", "user_id": a.id, "name": ""})
	await b.expect({"action": "nick", "room": room, "user_id": a.id,
	    "name": ""})
	await expect_nothing(a, b, m)


@suite.test("nick: invalid names")
async def _(srv):
	a = await v2(srv)
	for bad in ("1abc", "_x", "-x", "a b", "a.b", "x" * 33, "\u00e9t\u00e9",
	    "a\u0000"):
		await a.send({"action": "nick", "name": bad})
		await a.expect_error("invalid name")
	await a.send({"action": "nick"})
	await a.expect_error("missing field: name")
	await a.send({"action": "nick", "name": 7})
	await a.expect_error("missing field: name")
	ok = "Z" + "9" * 30 + "_"
	await a.send({"action": "nick", "name": ok})
	await a.expect({"action": "nick", "user_id": a.id, "name": ok})
	await a.send({"action": "nick", "name": ""})
	await a.expect({"action": "nick", "user_id": a.id, "name": ""})


@suite.test("nick: unique ignoring case, reserved while the session lives")
async def _(srv):
	name = nickname("Al")
	a = await named(srv, name)
	b = await v2(srv)
	for asked in (name, name.lower(), name.upper()):
		await b.send({"action": "nick", "name": asked})
		await b.expect_error("name %s is taken" % asked)
	await a.close()
	# Offline, the session still holds it.
	await b.send({"action": "nick", "name": name.lower()})
	await b.expect_error("name %s is taken" % name.lower())
	# Released: a frees it by removing it (through its session).
	c = await srv.client()
	await c.v2_hello(a.token)
	await c.send({"action": "nick", "name": ""})
	await c.expect({"action": "nick", "user_id": a.id, "name": ""})
	await b.send({"action": "nick", "name": name.lower()})
	await b.expect({"action": "nick", "user_id": b.id,
	    "name": name.lower()})


@suite.test("names on messages to v2 clients; exact v1 bytes to v1 clients")
async def _(srv):
	room, name = uniq(), nickname()
	a = await named(srv, name)
	b = await v2(srv)
	m = await srv.client()
	await join_in_order(room, b, m)
	await a.join(room)
	await b.expect({"action": "join", "room": room, "user_id": a.id,
	    "name": name})
	await m.expect_text(v1_text(("action", "join"), ("room", room),
	    ("user_id", a.id)))
	await a.send({"action": "room_message", "message": "hi"})
	got = await a.expect_v2({"action": "room_message", "room": room,
	    "user_id": a.id, "name": name, "message": "hi"})
	gb = await b.expect_v2({"action": "room_message", "room": room,
	    "user_id": a.id, "name": name, "message": "hi"})
	check(got["ts"] == gb["ts"] and got["seq"] == gb["seq"],
	    "copies differ in ts/seq: %s vs %s" % (jdump(got), jdump(gb)))
	await m.expect_text(v1_text(("action", "room_message"),
	    ("room", room), ("user_id", a.id), ("message", "hi")))
	await a.send({"action": "leave"})
	await a.expect({"action": "leave", "room": room})
	await b.expect({"action": "leave", "room": room, "user_id": a.id,
	    "name": name})
	await m.expect_text(v1_text(("action", "leave"), ("room", room),
	    ("user_id", a.id)))
	await expect_nothing(a, b, m)


@suite.test("participants: names for v2, plain for v1")
async def _(srv):
	room, name = uniq(), nickname()
	a = await named(srv, name)
	b = await v2(srv)
	m = await srv.client()
	await join_in_order(room, a, b, m)
	got = await b.request({"action": "participants", "room": room})
	check(got == {"action": "participants", "room": room,
	    "participants": [a.id, b.id, m.id], "names": [name, "", ""]},
	    "v2 participants: %s" % jdump(got))
	await m.send({"action": "participants", "room": room})
	await m.expect_text(v1_text(("action", "participants"),
	    ("room", room), ("participants", [a.id, b.id, m.id])))


@suite.test("private messages by name, with ts and names")
async def _(srv):
	name = nickname("Bo")
	a = await v2(srv)
	b = await named(srv, name)
	m = await srv.client()
	await a.send({"action": "private_message", "name": name.lower(),
	    "message": "yo"})
	d = await b.expect_v2({"action": "private_message", "user_id": a.id,
	    "message": "yo"})
	e = await a.expect_v2({"action": "private_message", "user_id": b.id,
	    "name": name, "message": "yo"})
	check(d["ts"] == e["ts"] and "seq" not in d and "seq" not in e,
	    "delivery %s / echo %s: one ts, no seq" % (jdump(d), jdump(e)))
	# To a v1 client: exact v1 bytes; the echo names nobody.
	await a.send({"action": "private_message", "user_id": m.id,
	    "message": "v1"})
	await m.expect_text(v1_text(("action", "private_message"),
	    ("user_id", a.id), ("message", "v1")))
	await a.expect_v2({"action": "private_message", "user_id": m.id,
	    "message": "v1"})
	# From a v1 client to a named v2 one: the echo is v1 bytes.
	await m.send({"action": "private_message", "user_id": b.id,
	    "message": "up"})
	await b.expect_v2({"action": "private_message", "user_id": m.id,
	    "message": "up"})
	await m.expect_text(v1_text(("action", "private_message"),
	    ("user_id", b.id), ("message", "up")))


@suite.test("private messages: user_id wins, errors name what was asked")
async def _(srv):
	name = nickname("Cy")
	a = await v2(srv)
	b = await named(srv, name)
	c = await v2(srv)
	await a.send({"action": "private_message", "user_id": c.id,
	    "name": name, "message": "to c"})
	await c.expect_v2({"action": "private_message", "user_id": a.id,
	    "message": "to c"})
	await a.expect_v2({"action": "private_message", "user_id": c.id,
	    "message": "to c"})
	await a.send({"action": "private_message", "name": "NoSuch_x",
	    "message": "m"})
	await a.expect_error("user NoSuch_x is not on the server")
	await a.send({"action": "private_message", "message": "m"})
	await a.expect_error("missing field: user_id")
	await a.send({"action": "private_message", "name": 3, "message": "m"})
	await a.expect_error("missing field: user_id")
	await a.send({"action": "private_message", "name": name})
	await a.expect_error("missing field: message")
	# Only connected users: b offline is not on the server.  Wait for
	# the server to have seen b go (its leave): on a cluster b's node
	# tells the others, and b's own close returning does not wait for it.
	room = uniq()
	await a.join(room)
	await b.join(room)
	await a.expect({"action": "join", "room": room, "user_id": b.id,
	    "name": name})
	await b.close()
	await a.expect({"action": "leave", "room": room, "user_id": b.id,
	    "name": name})
	await a.send({"action": "private_message", "name": name,
	    "message": "m"})
	await a.expect_error("user %s is not on the server" % name)
	await expect_nothing(a, c)


@suite.test("seq increases across rooms; same ts on every copy")
async def _(srv):
	r1, r2 = uniq(), uniq()
	a, b = await v2(srv, 2)
	await a.join(r1)
	await b.join(r2)
	seqs = []
	for i in range(6):
		x, room = (a, r1) if i % 2 == 0 else (b, r2)
		await x.send({"action": "room_message", "message": str(i)})
		got = await x.expect_v2({"action": "room_message", "room": room,
		    "user_id": x.id, "message": str(i)})
		seqs.append(int(got["seq"]))
		check(abs(int(got["ts"]) - time.time() * 1000) < 60000,
		    "ts %s is not now" % got["ts"])
	check(seqs == sorted(set(seqs)), "seq not increasing: %r" % seqs)


# ---------------------------------------------------------------- history

async def say(c, room, texts, name=None):
	"""c (in room, named name) sends texts; returns their seqs."""
	seqs = []
	for t in texts:
		await c.send({"action": "room_message", "message": t})
		exp = {"action": "room_message", "room": room, "user_id": c.id}
		if name:
			exp["name"] = name
		exp["message"] = t
		got = await c.expect_v2(exp)
		seqs.append(got["seq"])
	return seqs


@suite.test("history: latest, before, after, both; oldest first")
async def _(srv):
	room = uniq()
	a = await v2(srv)
	await a.join(room)
	seqs = await say(a, room, ["m%d" % i for i in range(8)])
	h = await a.history(room)
	check([m["message"] for m in h] == ["m%d" % i for i in range(8)] and
	    [m["seq"] for m in h] == seqs, "history %s" % jdump(h))
	check(all(set(m) == {"seq", "ts", "user_id", "message"} and
	    m["user_id"] == a.id for m in h), "entries %s" % jdump(h))
	h = await a.history(room, limit=3)
	check([m["message"] for m in h] == ["m5", "m6", "m7"], "latest 3: %s"
	    % jdump(h))
	h = await a.history(room, limit=2, before=seqs[5])
	check([m["message"] for m in h] == ["m3", "m4"], "before: %s" %
	    jdump(h))
	h = await a.history(room, limit=2, after=seqs[1])
	check([m["message"] for m in h] == ["m2", "m3"], "after: %s" %
	    jdump(h))
	h = await a.history(room, after=seqs[1], before=seqs[4])
	check([m["message"] for m in h] == ["m2", "m3"], "after+before: %s" %
	    jdump(h))
	h = await a.history(room, limit=5, after=seqs[1], before=seqs[7])
	check([m["message"] for m in h] == ["m2", "m3", "m4", "m5", "m6"],
	    "after+before, limit: %s" % jdump(h))
	h = await a.history(room, after="99999999999999999999999")
	check(h == [], "after a huge seq: %s" % jdump(h))
	h = await a.history(room, before="0")
	check(h == [], "before 0: %s" % jdump(h))


@suite.test("history: default page 50, limit up to 200",
    args=server_args("--rate-limit", "0"))
async def _(srv):
	room = uniq()
	a = await v2(srv)
	await a.join(room)
	for i in range(205):
		await a.send({"action": "room_message", "message": str(i)})
	for i in range(205):
		await a.recv()
	h = await a.history(room)
	check(len(h) == 50 and h[0]["message"] == "155" and
	    h[-1]["message"] == "204", "default page: %d entries, %s..%s" %
	    (len(h), h[0]["message"], h[-1]["message"]))
	h = await a.history(room, limit=200)
	check(len(h) == 200 and h[0]["message"] == "5", "limit 200: %d" %
	    len(h))


@suite.test("history: any room, member or not, and names as they were",
    timeout=20)
async def _(srv):
	room, name = uniq(), nickname()
	a = await named(srv, name)
	b = await v2(srv)
	await a.join(room)
	await say(a, room, ["named"], name)
	await a.send({"action": "nick", "name": ""})
	await a.expect({"action": "nick", "user_id": a.id, "name": ""})
	await say(a, room, ["plain"])
	await a.leave(room)
	# The room is gone; its history is not, and b never was a member.
	check(await b.participants(room) is None, "room should be gone")
	h = await b.history(room)
	check([(m["message"], m.get("name")) for m in h] ==
	    [("named", name), ("plain", None)], "history %s" % jdump(h))
	for r in ("never-" + uniq(), "x" * 300, "\u0001ctl", " "):
		check(await b.history(r) == [], "history of %r not empty" % r)
	got = await b.request({"action": "history", "room": "a\u0000b"})
	check(got == {"action": "history", "room": "a\u0000b",
	    "messages": []}, "room with U+0000: %s" % jdump(got))


@suite.test("history: error texts and their order")
async def _(srv):
	a = await v2(srv)
	cases = [
		({"action": "history"}, "missing field: room"),
		({"action": "history", "room": 5}, "missing field: room"),
		({"action": "history", "limit": "x"}, "missing field: room"),
		({"action": "history", "room": "r", "limit": "0"},
		    "invalid limit"),
		({"action": "history", "room": "r", "limit": "201"},
		    "invalid limit"),
		({"action": "history", "room": "r", "limit": 5},
		    "invalid limit"),
		({"action": "history", "room": "r", "limit": "-1"},
		    "invalid limit"),
		({"action": "history", "room": "r", "limit": ""},
		    "invalid limit"),
		({"action": "history", "room": "r", "limit": "1x",
		    "before": "x"}, "invalid limit"),
		({"action": "history", "room": "r", "before": "x"},
		    "invalid seq"),
		({"action": "history", "room": "r", "after": "1.5"},
		    "invalid seq"),
		({"action": "history", "room": "r", "after": 3}, "invalid seq"),
		({"action": "history", "room": "r", "before": ""},
		    "invalid seq"),
		({"action": "history", "room": "r", "before": "+1"},
		    "invalid seq"),
	]
	for req, err in cases:
		await a.send(req)
		await a.expect_error(err)
	for lim in ("007", "0200", "000000000000000000000001"):
		got = await a.request({"action": "history", "room": "r",
		    "limit": lim})
		check(got.get("action") == "history", "limit %s: %s" %
		    (lim, jdump(got)))
	for lim in ("0201", "0000", "99999999999999999999999"):
		await a.send({"action": "history", "room": "r", "limit": lim})
		await a.expect_error("invalid limit")


@suite.test("history keeps the last --history messages per room",
    args=server_args("--history", "3"))
async def _(srv):
	r1, r2 = uniq(), uniq()
	a, b = await v2(srv, 2)
	await a.join(r1)
	await b.join(r2)
	await say(a, r1, ["a%d" % i for i in range(5)])
	await say(b, r2, ["b0"])
	h = await a.history(r1)
	check([m["message"] for m in h] == ["a2", "a3", "a4"], "kept %s" %
	    jdump(h))
	check([m["message"] for m in await a.history(r2)] == ["b0"],
	    "other room")


_conf = os.path.join(_tmp, "v2.conf")
with open(_conf, "w") as _f:
	_f.write("history = 2\nsession-ttl = 1\n")


@suite.test("history and session-ttl in the config file",
    args=server_args("-c", _conf))
async def _(srv):
	room = uniq()
	a = await v2(srv)
	await a.join(room)
	await say(a, room, ["1", "2", "3"])
	check([m["message"] for m in await a.history(room)] == ["2", "3"],
	    "history = 2 not applied")
	b = await v2(srv)
	await b.close()
	await asyncio.sleep(1.6)
	c = await srv.client()
	await c.send({"action": "hello", "token": b.token})
	await c.expect_error("invalid token")


@suite.test("--history 0 keeps none; seq still increases",
    args=server_args("--history", "0"))
async def _(srv):
	room = uniq()
	a = await v2(srv)
	await a.join(room)
	seqs = await say(a, room, ["x", "y"])
	check(int(seqs[1]) > int(seqs[0]), "seq %r" % seqs)
	check(await a.history(room) == [], "history kept with --history 0")


@suite.test("session expiry frees the token and the name",
    args=server_args("--session-ttl", "1"))
async def _(srv):
	name = nickname()
	a = await named(srv, name)
	token = a.token
	b = await v2(srv)
	await a.close()
	await b.send({"action": "nick", "name": name})
	await b.expect_error("name %s is taken" % name)
	await asyncio.sleep(1.6)
	await b.send({"action": "nick", "name": name})
	await b.expect({"action": "nick", "user_id": b.id, "name": name})
	c = await srv.client()
	await c.send({"action": "hello", "token": token})
	await c.expect_error("invalid token")


@suite.test("a connected session never expires",
    args=server_args("--session-ttl", "1"))
async def _(srv):
	name = nickname()
	a = await named(srv, name)
	await asyncio.sleep(1.6)
	b = await v2(srv)
	await b.send({"action": "nick", "name": name})
	await b.expect_error("name %s is taken" % name)
	c = await srv.client()
	h = await c.v2_hello(a.token)
	check(h["user_id"] == a.id, "resume of a live session: %s" % jdump(h))


@suite.test("v1 clients in a room of v2 clients: exact bytes, every event")
async def _(srv):
	room, name = uniq(), nickname()
	m1 = await srv.client()
	a = await named(srv, name)
	await m1.join(room)
	await a.join(room)
	await m1.expect_text(v1_text(("action", "join"), ("room", room),
	    ("user_id", a.id)))
	m2 = await srv.client()
	await m2.send({"action": "join", "room": room})
	await m2.expect_text(v1_text(("action", "join"), ("room", room)))
	await m1.expect_text(v1_text(("action", "join"), ("room", room),
	    ("user_id", m2.id)))
	await a.expect({"action": "join", "room": room, "user_id": m2.id})
	await m2.send({"action": "room_message", "message": "v1 says"})
	for m in (m1, m2):
		await m.expect_text(v1_text(("action", "room_message"),
		    ("room", room), ("user_id", m2.id), ("message", "v1 says")))
	await a.expect_v2({"action": "room_message", "room": room,
	    "user_id": m2.id, "message": "v1 says"})
	await a.send({"action": "nick", "name": name + "x"})
	await a.expect({"action": "nick", "user_id": a.id, "name": name + "x"})
	await expect_nothing(m1, m2)
	await a.close()
	for m in (m1, m2):
		await m.expect_text(v1_text(("action", "leave"), ("room", room),
		    ("user_id", a.id)))


suite.run()
