#!/usr/bin/python3
"""Durable state with --db (SQLite): restarts keep ids, sessions, names,
history and the epoch; kill -9 loses no message any client has seen; a
database that cannot be used is refused with a clear error, untouched."""

import atexit
import hashlib
import shutil
import sqlite3
import subprocess
import tempfile

from chatlib import *

suite = Suite()
_tmp = tempfile.mkdtemp(prefix="chat-persist-")
os.chmod(_tmp, 0o755)
atexit.register(shutil.rmtree, _tmp, True)


def db_path():
	return os.path.join(_tmp, uniq("db") + ".db")


async def v2(srv, token=None):
	c = await srv.client()
	await c.v2_hello(token)
	return c


async def start(*args):
	return await Server([str(a) for a in args], suite).start()


@suite.test("restart: ids continue, tokens resume with names, history and "
    "epoch kept", fresh=True, timeout=30)
async def _(srv):
	db, room = db_path(), uniq()
	s1 = await start("--db", db)
	a = await v2(s1)
	await a.send({"action": "nick", "name": "Persist_a"})
	await a.expect({"action": "nick", "user_id": a.id, "name": "Persist_a"})
	b = await s1.client()
	await join_in_order(room, a, b)
	seqs = []
	for t in ("one", "two", "three"):
		await a.send({"action": "room_message", "message": t})
		got = await a.expect_v2({"action": "room_message", "room": room,
		    "user_id": a.id, "name": "Persist_a", "message": t})
		seqs.append(int(got["seq"]))
		await b.recv()
	token, epoch, last_id = a.token, a.epoch, int(b.id)
	await s1.stop()

	s2 = await start("--db", db)
	c = await s2.client()
	check(int(c.id) == last_id + 1, "first id after restart %s, expected "
	    "%d" % (c.id, last_id + 1))
	h = await c.v2_hello(token)
	check(h["user_id"] == a.id and h.get("name") == "Persist_a" and
	    h["epoch"] == epoch, "resumed after restart: %s (epoch was %s)" %
	    (jdump(h), epoch))
	got = await c.history(room)
	check([(int(m["seq"]), m["message"], m.get("name")) for m in got] ==
	    [(s, t, "Persist_a") for s, t in zip(seqs, ("one", "two",
	    "three"))], "history after restart: %s" % jdump(got))
	# The name is still reserved; seq keeps increasing.
	d = await v2(s2)
	await d.send({"action": "nick", "name": "persist_A"})
	await d.expect_error("name persist_A is taken")
	await c.join(room)
	await c.send({"action": "room_message", "message": "four"})
	got = await c.expect_v2({"action": "room_message", "room": room,
	    "user_id": a.id, "name": "Persist_a", "message": "four"})
	check(int(got["seq"]) > seqs[-1], "seq %s after restart, last was %d"
	    % (got["seq"], seqs[-1]))
	await s2.stop()


# A database as the first schema (user_version 1) left it: the SQL of
# store-sqlite-schema.c's first migration, as released.
SCHEMA_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL);
CREATE TABLE sessions (id TEXT PRIMARY KEY, hash BLOB NOT NULL UNIQUE,
 name TEXT, lname TEXT UNIQUE, connected INTEGER NOT NULL,
 seen INTEGER NOT NULL);
CREATE TABLE history (room BLOB NOT NULL, seq INTEGER NOT NULL,
 ts INTEGER NOT NULL, user_id TEXT NOT NULL, name TEXT,
 text BLOB NOT NULL, PRIMARY KEY (room, seq)) WITHOUT ROWID;
PRAGMA application_id = 1128808788;
PRAGMA user_version = 1;
"""


@suite.test("a version 1 database is migrated: sessions, names, history and"
    " ids kept, sessions held and released as before", fresh=True,
    timeout=30)
async def _(srv):
	path, room = db_path(), uniq()
	token = "Migrate" + "x" * 36
	now = int(time.time() * 1000)
	db = sqlite3.connect(path)
	db.executescript(SCHEMA_1)
	db.execute("INSERT INTO meta VALUES ('epoch', 'oldepoch'),"
	    " ('next_id', 41), ('next_seq', 7)")
	# Seen ahead of now: with a TTL of 1 s, a slow start (valgrind)
	# must not expire it before the hello.
	db.execute("INSERT INTO sessions VALUES ('40', ?, 'Migrant',"
	    " 'migrant', 0, ?)", (hashlib.sha256(token.encode()).digest(),
	    now + int(scaled(20) * 1000)))
	db.execute("INSERT INTO history VALUES (?, 7, ?, '40', 'Migrant',"
	    " ?)", (room.encode(), now, b"before"))
	db.commit()
	db.close()

	s = await start("--db", path, "--session-ttl", 1)
	c = await s.client()
	check(c.id == "41", "first id after migrating: %s" % c.id)
	h = await c.v2_hello(token)
	check(h["user_id"] == "40" and h.get("name") == "Migrant" and
	    h["epoch"] == "oldepoch", "resumed after migrating: %s" % jdump(h))
	got = await c.history(room)
	check([(m["seq"], m["message"], m.get("name")) for m in got] ==
	    [("7", "before", "Migrant")], "history after migrating: %s" %
	    jdump(got))
	# Held while connected, past the TTL; free once it has gone.
	d = await v2(s)
	await asyncio.sleep(scaled(1) + 0.5)
	await d.send({"action": "nick", "name": "migrant"})
	await d.expect_error("name migrant is taken")
	await c.close()

	async def free():
		await d.send({"action": "nick", "name": "migrant"})
		m = await d.recv()
		return m == {"action": "nick", "user_id": d.id,
		    "name": "migrant"}
	await asyncio.sleep(scaled(1))
	await wait_until(free, timeout=5, interval=0.2, what="the migrated "
	    "session's name to be free once it has gone")
	await s.stop()
	db = sqlite3.connect(path)
	version = db.execute("PRAGMA user_version").fetchone()[0]
	cols = [r[1] for r in db.execute("PRAGMA table_info(sessions)")]
	db.close()
	check(version == 2 and "holder" in cols and "gen" in cols,
	    "after migrating: user_version %d, sessions columns %s" %
	    (version, cols))


@suite.test("a memory server's epoch changes with each start", fresh=True)
async def _(srv):
	a = await v2(srv)
	s2 = await start()
	b = await v2(s2)
	check(a.epoch != b.epoch, "two memory servers share epoch %s" %
	    a.epoch)
	await s2.stop()


@suite.test("kill -9 while clients chat: every message seen is in history",
    fresh=True, timeout=60)
async def _(srv):
	db = db_path()
	s1 = await start("--db", db, "--rate-limit", "0", "--history", "100000")
	rooms = [uniq(), uniq()]
	clients = []
	for i in range(6):
		c = await v2(s1)
		clients.append(c)
	for i, room in enumerate(rooms):
		await join_in_order(room, *clients[i * 3:i * 3 + 3])
	seen = {room: {} for room in rooms}	# seq -> (user, text)
	order = {c.id: [] for c in clients}
	stop = asyncio.Event()

	async def reader(c, room):
		while True:
			try:
				raw = await c.ws.recv()
			except Exception:
				return
			m = json.loads(raw)
			if m.get("action") != "room_message":
				continue
			seq = int(m["seq"])
			prev = seen[room].setdefault(seq, (m["user_id"],
			    m["message"]))
			check(prev == (m["user_id"], m["message"]),
			    "seq %d seen as %r and %r" % (seq, prev,
			    (m["user_id"], m["message"])))
			order[c.id].append(seq)

	async def writer(c, n):
		i = 0
		while not stop.is_set():
			await c.send({"action": "room_message",
			    "message": "%s-%d" % (c.id, i)})
			i += 1
			await asyncio.sleep(0.002)

	tasks = []
	for i, c in enumerate(clients):
		tasks.append(asyncio.ensure_future(reader(c, rooms[i // 3])))
		tasks.append(asyncio.ensure_future(writer(c, i)))
	await asyncio.sleep(1.5)
	s1.proc.kill()			# SIGKILL, mid-flow
	await s1.proc.wait()
	stop.set()
	await asyncio.gather(*tasks, return_exceptions=True)
	total = sum(len(v) for v in seen.values())
	check(total > 20, "only %d messages seen before the kill" % total)
	for c in clients:
		check(order[c.id] == sorted(order[c.id]), "client %s saw seq "
		    "out of order" % c.id)

	s2 = await start("--db", db)
	r = await v2(s2)
	for room in rooms:
		hist, after = [], "0"
		while True:
			page = await r.history(room, limit=200, after=after)
			if not page:
				break
			hist += page
			after = page[-1]["seq"]
		byseq = {int(m["seq"]): (m["user_id"], m["message"])
		    for m in hist}
		seqs = [int(m["seq"]) for m in hist]
		check(seqs == sorted(seqs), "history of %s out of order" % room)
		for seq, what in sorted(seen[room].items()):
			check(byseq.get(seq) == what, "room %s: message seq %d "
			    "%r was received but history has %r" % (room, seq,
			    what, byseq.get(seq)))
	await s2.stop()


@suite.test("sessions expire across a restart", fresh=True, timeout=30)
async def _(srv):
	db = db_path()
	s1 = await start("--db", db, "--session-ttl", "1")
	a = await v2(s1)
	token = a.token
	await s1.stop()
	s2 = await start("--db", db, "--session-ttl", "1")
	await asyncio.sleep(1.6)
	c = await s2.client()
	await c.send({"action": "hello", "token": token})
	await c.expect_error("invalid token")
	await s2.stop()


def run_server(args, as_nobody=False, timeout=20):
	"""Run chat-server to its exit; (status, stderr)."""
	cmd = Server(args)._command(_free_port_any())
	if as_nobody:
		cmd = ["setpriv", "--reuid=65534", "--regid=65534",
		    "--clear-groups"] + cmd
	p = subprocess.run(cmd, stdin=subprocess.DEVNULL,
	    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
	    timeout=scaled(timeout))
	return p.returncode, p.stdout.decode("utf-8", "replace")


def _free_port_any():
	s = socket.socket()
	s.bind(("127.0.0.1", 0))
	port = s.getsockname()[1]
	s.close()
	return port


def check_refused(path, args, want, as_nobody=False):
	before = open(path, "rb").read()
	rc, out = run_server(["--db", path] + args, as_nobody)
	check(rc != 0, "server started on %s (%s)" % (path, out))
	check(path in out and want in out, "error should name %s and say "
	    "%r, got:\n%s" % (path, want, out))
	check(open(path, "rb").read() == before, "%s was changed" % path)


@suite.test("a corrupt file is refused, untouched", fresh=True)
async def _(srv):
	path = db_path()
	with open(path, "wb") as f:
		f.write(os.urandom(8192))
	check_refused(path, [], "not a chat-server database")


@suite.test("another program's database is refused, untouched", fresh=True)
async def _(srv):
	path = db_path()
	db = sqlite3.connect(path)
	db.execute("CREATE TABLE accounts (id INTEGER, balance INTEGER)")
	db.execute("INSERT INTO accounts VALUES (1, 100)")
	db.commit()
	db.close()
	check_refused(path, [], "not a chat-server database")


@suite.test("a database from a newer chat-server is refused", fresh=True,
    timeout=30)
async def _(srv):
	path = db_path()
	s = await start("--db", path)
	await s.stop()
	db = sqlite3.connect(path)
	db.execute("PRAGMA user_version = 99")
	db.commit()
	db.close()
	check_refused(path, [], "newer")


@suite.test("a read-only database is refused, untouched", fresh=True,
    timeout=30)
async def _(srv):
	path = db_path()
	s = await start("--db", path)
	await s.stop()
	os.chmod(path, 0o444)
	# Root writes anyway: run the server as nobody then.
	check_refused(path, [], "read-only", as_nobody=os.geteuid() == 0)


@suite.test("a database in use by another server is refused", fresh=True,
    timeout=30)
async def _(srv):
	path = db_path()
	s = await start("--db", path)
	a = await v2(s)
	rc, out = run_server(["--db", path])
	check(rc != 0 and path in out and "in use" in out, "second server "
	    "on %s: status %d, output:\n%s" % (path, rc, out))
	# The first one is unharmed.
	await a.usable()
	await s.stop()


suite.run()
