"""Shared harness of the chat-server integration tests.

Every test file is a TAP producer run by Debian's /usr/bin/python3:

    from chatlib import *
    suite = Suite()

    @suite.test("join reply")
    async def _(srv):
        a = await srv.client()
        await a.send({"action": "join", "room": "r"})
        await a.expect({"action": "join", "room": "r"})

    suite.run()

A test is an async function given a running server (srv).  By default all
tests of a file share one server; fresh=True (or args=[...]) gives the test
its own server, stopped afterwards: a non-zero exit status fails the test,
which is how sanitizer and valgrind findings surface.  The shared server is
checked the same way by a last test.

Environment: CHAT_SERVER_BIN (the server, required), CHAT_SERVER_WRAPPER
(a command prefixed to it, e.g. valgrind), CHAT_TEST_TIMEOUT_SCALE (every
timeout is multiplied by it; 3 by default for a server built with ASan).

Two clients: Client wraps python3-websockets (the third-party reference
implementation); RawClient speaks WebSocket framing itself, for hostile
input and for load (python-websockets parses far too slowly for millions of
frames).
"""

import asyncio
import base64
import hashlib
import json
import os
import re
import shlex
import atexit
import shutil
import signal
import socket
import ssl
import subprocess
import struct
import sys
import tempfile
import time
import traceback

try:
	import websockets
	import websockets.client
	import websockets.exceptions
except ImportError:	# pragma: no cover - reported as a TAP skip
	websockets = None

__all__ = [
	"asyncio", "json", "os", "signal", "socket", "struct", "time",
	"Suite", "Server", "Client", "RawClient", "Failure", "HandshakeError",
	"ConnectionLost",
	"SCALE", "PATH", "scaled", "asan_build", "tls_files", "ssl", "fail",
	"check",
	"expect_nothing", "join_in_order", "still_held", "BackgroundReader",
	"build_frame", "server_frame_at", "http_request", "wait_until",
	"uniq", "jdump",
	"OP_CONT", "OP_TEXT", "OP_BINARY", "OP_CLOSE", "OP_PING", "OP_PONG",
]

_asan = None


def asan_build():
	"""True when the server binary is built with AddressSanitizer: it
	runs a few times slower, and its RSS says nothing about the server's
	own memory use."""
	global _asan
	if _asan is None:
		_asan = False
		try:
			with open(os.environ["CHAT_SERVER_BIN"], "rb") as f:
				_asan = b"__asan_init" in f.read()
		except (OSError, KeyError):
			pass
		if not _asan:
			# A libtool wrapper script: look at the real binary.
			try:
				out = subprocess.run(["ldd",
				    os.environ["CHAT_SERVER_BIN"]],
				    capture_output=True, timeout=10).stdout
				_asan = b"libasan" in out
			except (OSError, KeyError, subprocess.SubprocessError):
				pass
	return _asan



# Every timeout and time bound is multiplied by it: CHAT_TEST_TIMEOUT_SCALE,
# or 3 for a server built with ASan (valgrind runs set 10).
SCALE = float(os.environ.get("CHAT_TEST_TIMEOUT_SCALE", "").strip() or
    (3 if asan_build() else 1))
PATH = "/chatserver/connect"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA

# Keys doc/protocol.md lets a server add ("Extensions").
_EXT_TS = "ts"


def scaled(seconds):
	return seconds * SCALE


class Failure(AssertionError):
	"""A test assertion failed; the message is the TAP diagnostic."""


def fail(msg):
	raise Failure(msg)


def check(cond, msg):
	if not cond:
		raise Failure(msg)


def jdump(obj):
	"""Compact, readable rendering for diagnostics."""
	try:
		return json.dumps(obj, ensure_ascii=False)
	except (TypeError, ValueError):
		return repr(obj)


_uniq_n = 0


def uniq(prefix="r"):
	"""A room name no other test of this run uses."""
	global _uniq_n
	_uniq_n += 1
	return "%s-%d-%d" % (prefix, os.getpid() % 10000, _uniq_n)


async def wait_until(probe, timeout=3.0, interval=0.05, what="condition"):
	"""Poll the async probe() until it returns a true value."""
	deadline = time.monotonic() + scaled(timeout)
	last = None
	while True:
		last = await probe()
		if last:
			return last
		if time.monotonic() > deadline:
			fail("timed out after %.1fs waiting for %s" %
			    (scaled(timeout), what))
		await asyncio.sleep(interval)


def _free_port():
	s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	try:
		s.bind(("127.0.0.1", 0))
		return s.getsockname()[1]
	finally:
		s.close()


# ---------------------------------------------------------------- TLS

_tls = None


def tls_files():
	"""(cert, key): a self-signed certificate for 127.0.0.1, made once per
	run with openssl req and removed at exit."""
	global _tls
	if _tls is None:
		d = tempfile.mkdtemp(prefix="chat-tls-")
		atexit.register(shutil.rmtree, d, True)
		cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
		r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
		    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
		    "-keyout", key, "-out", cert, "-days", "2",
		    "-subj", "/CN=127.0.0.1",
		    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
		    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
		if r.returncode != 0:
			fail("openssl req failed: %s" % r.stdout.decode())
		_tls = (cert, key)
	return _tls


def tls_wanted():
	return os.environ.get("CHAT_TEST_TLS", "") not in ("", "0")


# ---------------------------------------------------------------- server

class Server:
	"""One chat-server process on a free loopback port."""

	def __init__(self, args=(), suite=None, tls=None):
		"""tls: serve wss:// with a generated certificate (default: when
		CHAT_TEST_TLS is set); self.ssl is then a client context that
		trusts it, used by client() and raw()."""
		self.args = [str(a) for a in args]
		self.ssl = None
		if tls is None:
			tls = tls_wanted()
		if tls:
			cert, key = tls_files()
			self.args += ["--tls-cert", cert, "--tls-key", key]
			self.ssl = ssl.create_default_context(cafile=cert)
		self.port = None
		self.proc = None
		self.log = None
		self.suite = suite
		self.cmd = None
		self.stopping = False

	@property
	def url(self):
		return "%s://127.0.0.1:%d%s" % ("wss" if self.ssl else "ws",
		    self.port, PATH)

	def _command(self, port):
		wrapper = shlex.split(os.environ.get("CHAT_SERVER_WRAPPER", ""))
		extra = []
		if SCALE > 1:
			# Under valgrind & co the clients' close handshakes take
			# as much longer as everything else.
			extra = ["--shutdown-grace", str(int(1500 * SCALE))]
		# "--metrics auto": a free port of its own on each attempt.
		args = list(self.args)
		self.metrics_port = None
		for i in range(len(args) - 1):
			if args[i] == "--metrics" and args[i + 1] == "auto":
				self.metrics_port = _free_port()
				args[i + 1] = "127.0.0.1:%d" % self.metrics_port
		return wrapper + [os.environ["CHAT_SERVER_BIN"], "-l",
		    "127.0.0.1", "-p", str(port)] + extra + args

	async def start(self):
		for attempt in range(5):
			port = _free_port()
			self.cmd = self._command(port)
			self.log = tempfile.TemporaryFile()
			self.proc = await asyncio.create_subprocess_exec(
			    *self.cmd, stdin=asyncio.subprocess.DEVNULL,
			    stdout=self.log, stderr=self.log)
			self.port = port
			if await self._wait_ready():
				return self
			# Exited early: most likely the port was taken
			# between our probe and its bind.  Try another.
			await self.proc.wait()
		fail("server did not start: %s\n%s" %
		    (" ".join(self.cmd), self.tail()))

	async def _wait_ready(self):
		deadline = time.monotonic() + scaled(15)
		while time.monotonic() < deadline:
			if self.proc.returncode is not None:
				return False
			try:
				r, w = await asyncio.open_connection(
				    "127.0.0.1", self.port)
			except OSError:
				await asyncio.sleep(0.02)
				continue
			w.close()
			# Not someone else's server on a reused port?
			await asyncio.sleep(0.05)
			return self.proc.returncode is None
		self.proc.kill()
		await self.proc.wait()
		fail("server did not listen within %.0fs: %s\n%s" %
		    (scaled(15), " ".join(self.cmd), self.tail()))

	def alive(self):
		return self.proc is not None and self.proc.returncode is None

	def output(self):
		"""Everything the server wrote to stdout and stderr so far.
		(pread: the server shares the file offset, which a seek would
		move under its writes.)"""
		if self.log is None:
			return ""
		try:
			fd = self.log.fileno()
			return os.pread(fd, os.fstat(fd).st_size, 0).decode(
			    "utf-8", "replace")
		except (OSError, ValueError):
			return ""

	def tail(self, lines=40):
		out = self.output().splitlines()[-lines:]
		return "server output (last %d lines):\n%s" % (len(out),
		    "\n".join("  " + l for l in out))

	def send_signal(self, sig):
		self.stopping = True
		if self.alive():
			self.proc.send_signal(sig)

	async def wait(self, timeout):
		"""Wait for exit; return the status or None on timeout."""
		try:
			return await asyncio.wait_for(self.proc.wait(),
			    scaled(timeout))
		except asyncio.TimeoutError:
			return None

	async def stop(self, sig=signal.SIGTERM, timeout=10):
		"""Signal, wait, and fail unless the exit status is 0."""
		if self.proc is None:
			return
		self.send_signal(sig)
		rc = await self.wait(timeout)
		if rc is None:
			self.proc.kill()
			await self.proc.wait()
			fail("server did not exit within %.1fs of %s\n%s" %
			    (scaled(timeout), signal.Signals(sig).name,
			    self.tail()))
		if rc != 0:
			fail("server exited with status %d%s\n%s" % (rc,
			    " (signal %s)" % signal.Signals(-rc).name
			    if rc < 0 else "", self.tail()))

	async def kill(self):
		if self.alive():
			self.proc.kill()
			await self.proc.wait()

	# Client factories; every client is closed when the test ends.
	async def client(self, **kw):
		kw.setdefault("ssl", self.ssl)
		c = await Client.connect(self.port, **kw)
		if self.suite is not None:
			self.suite._track(c)
		return c

	async def clients(self, n, **kw):
		# Sequential, so ids come in order.
		return [await self.client(**kw) for _ in range(n)]

	async def raw(self, **kw):
		kw.setdefault("ssl", self.ssl)
		c = await RawClient.connect(self.port, **kw)
		if self.suite is not None:
			self.suite._track(c)
		return c


# ---------------------------------------------------------------- compare

def _normalize(got, own_id):
	"""Strip the extension keys doc/protocol.md allows, checking their
	form."""
	g = dict(got)
	if _EXT_TS in g:
		ts = g.pop(_EXT_TS)
		check(isinstance(ts, str) and ts.isdigit(),
		    "extension key \"ts\" must be a string of digits "
		    "(milliseconds), got %s in %s" % (jdump(ts), jdump(got)))
	return g


def _matches(exp, got, own_id):
	g = _normalize(got, own_id)
	if (exp.get("action") in ("join", "leave") and "user_id" not in exp and
	    "user_id" in g):
		# A join/leave reply may carry the requester's own id.
		if g["user_id"] != own_id:
			return False
		del g["user_id"]
	return g == exp


# ---------------------------------------------------------------- clients

class _Requests:
	"""What both clients do on top of their own send() and recv(): the
	requests of the protocol and the checks of their answers."""

	async def expect(self, exp, timeout=2.0):
		"""The next message must be exp exactly (extension keys
		aside)."""
		got = await self.recv(timeout)
		if not _matches(exp, got, self.id):
			fail("client %s: expected %s\n  got %s" %
			    (self.id, jdump(exp), jdump(got)))
		return got

	async def expect_error(self, text, timeout=2.0):
		return await self.expect({"action": "error", "message": text},
		    timeout)

	async def request(self, obj, timeout=2.0):
		await self.send(obj)
		return await self.recv(timeout)

	async def join(self, room):
		await self.send({"action": "join", "room": room})
		await self.expect({"action": "join", "room": room})

	async def leave(self, room):
		await self.send({"action": "leave"})
		await self.expect({"action": "leave", "room": room})

	async def rooms(self):
		m = await self.request({"action": "rooms"})
		check(m.get("action") == "rooms" and
		    isinstance(m.get("rooms"), list) and
		    all(isinstance(r, str) for r in m["rooms"]),
		    "client %s: expected a rooms reply, got %s" %
		    (self.id, jdump(m)))
		rest = _normalize(m, self.id)
		check(set(rest) == {"action", "rooms"}, "client %s: rooms reply "
		    "with unexpected keys: %s" % (self.id, jdump(m)))
		return m["rooms"]

	async def participants(self, room):
		"""The participants list, or None if the room does not exist."""
		m = await self.request({"action": "participants", "room": room})
		if m == {"action": "error",
		    "message": "room %s does not exist" % room}:
			return None
		check(m.get("action") == "participants" and
		    m.get("room") == room and
		    isinstance(m.get("participants"), list) and
		    set(_normalize(m, self.id)) ==
		    {"action", "room", "participants"},
		    "client %s: expected participants of %r, got %s" %
		    (self.id, room, jdump(m)))
		return m["participants"]

	async def usable(self):
		"""The connection still answers a request."""
		await self.rooms()


class Client(_Requests):
	"""A chat client on python3-websockets."""

	def __init__(self, ws, port):
		self.ws = ws
		self.port = port
		self.id = None
		self.hello = None

	@classmethod
	async def connect(cls, port, path=PATH, hello=True, ssl=None, **kw):
		check(websockets is not None, "websockets module missing")
		opts = dict(open_timeout=scaled(10), ping_interval=None,
		    close_timeout=scaled(2), max_size=None, max_queue=None,
		    compression=None)
		opts.update(kw)
		if ssl is not None:
			opts["ssl"] = ssl
		url = "%s://127.0.0.1:%d%s" % ("wss" if ssl else "ws", port,
		    path)
		ws = await websockets.client.connect(url, **opts)
		c = cls(ws, port)
		if hello:
			await c.read_hello()
		return c

	async def read_hello(self):
		m = await self.recv()
		check(isinstance(m, dict) and m.get("action") == "connection" and
		    set(m) == {"action", "user_id"} and
		    isinstance(m["user_id"], str) and m["user_id"].isdigit() and
		    (m["user_id"] == "0" or not m["user_id"].startswith("0")),
		    "first message must be {\"action\":\"connection\","
		    "\"user_id\":\"N\"}, got %s" % jdump(m))
		self.hello = m
		self.id = m["user_id"]
		return m

	async def send(self, obj):
		"""dict/list -> JSON text frame; str -> that text; bytes ->
		binary frame."""
		if isinstance(obj, (dict, list)):
			obj = json.dumps(obj, ensure_ascii=False)
		await self.ws.send(obj)

	async def recv_any(self, timeout=2.0):
		"""Next frame as str (text) or bytes (binary)."""
		try:
			return await asyncio.wait_for(self.ws.recv(),
			    scaled(timeout))
		except asyncio.TimeoutError:
			fail("client %s: nothing received within %.1fs" %
			    (self.id, scaled(timeout)))
		except websockets.exceptions.ConnectionClosed as e:
			fail("client %s: connection closed while waiting for a "
			    "message (code %s, reason %r)" %
			    (self.id, e.rcvd.code if e.rcvd else None,
			    e.rcvd.reason if e.rcvd else None))

	async def recv(self, timeout=2.0):
		"""Next message, parsed; it must be a JSON object in a text
		frame."""
		raw = await self.recv_any(timeout)
		check(isinstance(raw, str), "client %s: server sent a binary "
		    "frame: %r" % (self.id, raw[:200]))
		try:
			m = json.loads(raw)
		except ValueError:
			fail("client %s: server sent invalid JSON: %r" %
			    (self.id, raw[:200]))
		check(isinstance(m, dict), "client %s: server sent a non-object:"
		    " %r" % (self.id, raw[:200]))
		return m

	async def expect_nothing(self, timeout=0.2):
		try:
			m = await asyncio.wait_for(self.ws.recv(),
			    scaled(timeout))
		except asyncio.TimeoutError:
			return
		except websockets.exceptions.ConnectionClosed as e:
			fail("client %s: connection closed (code %s) where it "
			    "should stay open" % (self.id,
			    e.rcvd.code if e.rcvd else None))
		fail("client %s: expected no message, got %r" %
		    (self.id, m if isinstance(m, bytes) else m[:500]))

	# Version 2 (doc/protocol.md): hello, and messages with ts / seq.
	async def v2_hello(self, token=None):
		"""Opt in to version 2 (resuming token's session if given);
		returns the reply, after checking its form."""
		req = {"action": "hello"}
		if token is not None:
			req["token"] = token
		await self.send(req)
		m = await self.recv()
		keys = {"action", "user_id", "token", "epoch", "features"}
		check(m.get("action") == "hello" and keys <= set(m) and
		    set(m) <= keys | {"name"} and
		    re.fullmatch(r"[A-Za-z0-9_-]{43}", m["token"]) is not None
		    and isinstance(m["epoch"], str) and m["epoch"] != "" and
		    {"names", "history", "sessions"} <= set(m["features"]),
		    "client %s: expected a hello reply, got %s" %
		    (self.id, jdump(m)))
		self.id = m["user_id"]
		self.token = m["token"]
		self.epoch = m["epoch"]
		return m

	async def expect_text(self, text, timeout=2.0):
		"""The next frame must be exactly this text (version 1 bytes)."""
		raw = await self.recv_any(timeout)
		if raw != text:
			fail("client %s: expected exactly %s\n  got %r" %
			    (self.id, text, raw))

	async def expect_v2(self, exp, timeout=2.0):
		"""The next message must be exp plus, unless exp names them,
		"ts" and "seq" as decimal strings; returns it."""
		got = await self.recv(timeout)
		g = dict(got)
		for k in ("ts", "seq"):
			if k in g and k not in exp:
				check(isinstance(g[k], str) and g[k].isdigit(),
				    "client %s: %s must be a decimal string: %s"
				    % (self.id, k, jdump(got)))
				del g[k]
		if g != exp:
			fail("client %s: expected %s (+ts/seq)\n  got %s" %
			    (self.id, jdump(exp), jdump(got)))
		return got

	async def history(self, room, **kw):
		"""The messages of a history reply (kw: limit, before, after)."""
		req = {"action": "history", "room": room}
		req.update({k: str(v) for k, v in kw.items()})
		m = await self.request(req)
		check(m.get("action") == "history" and m.get("room") == room and
		    isinstance(m.get("messages"), list),
		    "client %s: expected a history reply, got %s" %
		    (self.id, jdump(m)))
		return m["messages"]

	@property
	def closed(self):
		return self.ws.closed

	async def close(self):
		try:
			await asyncio.wait_for(self.ws.close(), scaled(3))
		except Exception:
			self.abort()

	def abort(self):
		"""Drop the TCP connection: no close frame."""
		if self.ws.transport is not None:
			self.ws.transport.abort()

	async def wait_closed(self, timeout=3.0):
		"""Wait for the server to close; return (code, reason) of the
		close frame received, or (None, None)."""
		try:
			await asyncio.wait_for(self.ws.wait_closed(),
			    scaled(timeout))
		except asyncio.TimeoutError:
			fail("client %s: connection not closed within %.1fs" %
			    (self.id, scaled(timeout)))
		r = self.ws.close_rcvd
		return (r.code, r.reason) if r else (None, None)


class BackgroundReader:
	"""Reads a client in the background with the subclass's _read(),
	from start() until stop()."""

	def start(self):
		self.task = asyncio.ensure_future(self._read())

	async def stop(self):
		self.task.cancel()
		try:
			await self.task
		except asyncio.CancelledError:
			if not self.task.cancelled():
				raise	# we are being cancelled ourselves
		except Exception:
			pass	# a reader's failure shows in what it recorded


async def join_in_order(room, *clients):
	"""clients join room one after another, and each reads the join
	notifications of those who came after it: nothing is left pending."""
	for x in clients:
		await x.join(room)
	for i, x in enumerate(clients):
		for y in clients[i + 1:]:
			await x.expect({"action": "join", "room": room,
			    "user_id": y.id})


async def expect_nothing(*clients, timeout=0.2):
	"""None of clients receives anything within timeout (concurrently)."""
	await asyncio.gather(*(c.expect_nothing(timeout) for c in clients))


async def still_held(keeper, other, room, name, uid, ttl):
	"""Past the session TTL (seconds), keeper, online all along as name
	(user id uid) in room, still has its session: other cannot take the
	name, reaches keeper by it, and sees it in the room."""
	await asyncio.sleep(scaled(ttl) + 0.5)
	await other.send({"action": "nick", "name": name.lower()})
	await other.expect_error("name %s is taken" % name.lower())
	await other.send({"action": "private_message", "name": name,
	    "message": "still there?"})
	await keeper.expect_v2({"action": "private_message",
	    "user_id": other.id, "message": "still there?"})
	await other.expect_v2({"action": "private_message",
	    "user_id": uid, "name": name, "message": "still there?"})
	await other.send({"action": "participants", "room": room})
	await other.expect({"action": "participants", "room": room,
	    "participants": [uid], "names": [name]})


class HandshakeError(Exception):
	def __init__(self, status, headers, body=b""):
		super().__init__("HTTP %s" % status)
		self.status = status
		self.headers = headers
		self.body = body


def _parse_head(head):
	lines = head.decode("latin-1").split("\r\n")
	parts = lines[0].split(" ", 2)
	if len(parts) < 2 or not parts[0].startswith("HTTP/"):
		fail("not an HTTP status line: %r" % lines[0])
	status = int(parts[1])
	hdrs = {}
	for l in lines[1:]:
		if ":" in l:
			k, v = l.split(":", 1)
			hdrs[k.strip().lower()] = v.strip()
	return status, hdrs


async def http_request(port, request, timeout=3.0):
	"""Send raw bytes, return (status, headers, body) of the response."""
	r, w = await asyncio.open_connection("127.0.0.1", port)
	try:
		w.write(request if isinstance(request, bytes)
		    else request.encode())
		await w.drain()
		try:
			head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"),
			    scaled(timeout))
		except asyncio.IncompleteReadError as e:
			fail("connection closed without an HTTP response "
			    "(got %r)" % e.partial[:200])
		except asyncio.TimeoutError:
			fail("no HTTP response within %.1fs" % scaled(timeout))
		status, hdrs = _parse_head(head)
		body = b""
		n = hdrs.get("content-length")
		if n is not None and n.isdigit():
			try:
				body = await asyncio.wait_for(
				    r.readexactly(int(n)), scaled(timeout))
			except (asyncio.IncompleteReadError,
			    asyncio.TimeoutError):
				pass
		return status, hdrs, body
	finally:
		w.transport.abort()


def server_frame_at(buf, pos, who=""):
	"""(header length, end) of the server frame at buf[pos:], or None
	while it is not all there.  Server frames are never masked.
	(RawClient.read_batch has this inline: it is the load tests' hot
	loop.)"""
	n = len(buf)
	if pos + 2 > n:
		return None
	b1 = buf[pos + 1]
	ln = b1 & 0x7F
	hl = 2
	if ln == 126:
		if pos + 4 > n:
			return None
		ln = (buf[pos + 2] << 8) | buf[pos + 3]
		hl = 4
	elif ln == 127:
		if pos + 10 > n:
			return None
		ln = struct.unpack_from("!Q", buf, pos + 2)[0]
		hl = 10
	if b1 & 0x80:
		fail("%sthe server sent a masked frame" % who)
	end = pos + hl + ln
	return (hl, end) if end <= n else None


def build_frame(opcode, payload=b"", fin=True, mask=True, rsv=0,
    length=None, key=None):
	"""One WebSocket frame as a client sends it (masked unless told
	otherwise); length overrides the announced payload length."""
	if isinstance(payload, str):
		payload = payload.encode()
	n = len(payload) if length is None else length
	b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
	mbit = 0x80 if mask else 0
	if n < 126:
		head = struct.pack("!BB", b0, mbit | n)
	elif n < 65536:
		head = struct.pack("!BBH", b0, mbit | 126, n)
	else:
		head = struct.pack("!BBQ", b0, mbit | 127, n)
	if not mask:
		return head + payload
	if key is None:
		key = os.urandom(4)
	if payload:
		k = (key * (len(payload) // 4 + 1))[:len(payload)]
		payload = (int.from_bytes(payload, "big") ^
		    int.from_bytes(k, "big")).to_bytes(len(payload), "big")
	return head + key + payload


class _KeepReader(asyncio.StreamReader):
	"""A stream reader that, like the kernel, still hands out what was
	received when the connection then fails: asyncio's own raises the
	error at once and drops its buffer, so a write of ours failing after
	the server closed (EPIPE) would destroy the close frame already
	received.  The error reads as the end of the stream (writes and
	drain() still raise it)."""

	def set_exception(self, exc):
		self.feed_eof()


async def _open_stream(**kw):
	"""asyncio.open_connection() with a _KeepReader."""
	loop = asyncio.get_running_loop()
	reader = _KeepReader(limit=1 << 22, loop=loop)
	protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
	transport, _ = await loop.create_connection(lambda: protocol, **kw)
	return reader, asyncio.StreamWriter(transport, protocol, reader, loop)


class ConnectionLost(Failure):
	pass


class RawClient(_Requests):
	"""A WebSocket client written against RFC 6455 directly.

	It does the handshake itself (checking Sec-WebSocket-Accept), sends
	masked frames (or whatever bytes a test wants) and parses the
	server's frames from large reads.  read_batch() is the fast path for
	load tests: it returns a whole buffer of complete frames at once."""

	def __init__(self, reader, writer, port):
		self.reader = reader
		self.writer = writer
		self.port = port
		self.buf = bytearray()
		self.id = None
		self.eof = False
		self.close_frame = None

	@classmethod
	async def connect(cls, port, path=PATH, headers=None, hello=True,
	    timeout=5.0, host_header=None, local_addr=None, rcvbuf=None,
	    ssl=None):
		sock = None
		tls = {} if ssl is None else dict(ssl=ssl,
		    server_hostname="127.0.0.1")
		if local_addr is not None or rcvbuf is not None:
			# Source address (e.g. 127.0.0.2 for per-IP caps) or a
			# small receive buffer (slow consumers) set before
			# connecting.
			sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
			if rcvbuf is not None:
				sock.setsockopt(socket.SOL_SOCKET,
				    socket.SO_RCVBUF, rcvbuf)
			if local_addr is not None:
				sock.bind((local_addr, 0))
			sock.setblocking(False)
			await asyncio.wait_for(asyncio.get_running_loop()
			    .sock_connect(sock, ("127.0.0.1", port)),
			    scaled(timeout))
			r, w = await asyncio.wait_for(_open_stream(sock=sock,
			    **tls), scaled(timeout))
		else:
			r, w = await asyncio.wait_for(_open_stream(
			    host="127.0.0.1", port=port, **tls), scaled(timeout))
		key = base64.b64encode(os.urandom(16)).decode()
		h = {"Host": host_header or "127.0.0.1:%d" % port,
		    "Upgrade": "websocket", "Connection": "Upgrade",
		    "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13"}
		if headers:
			h.update(headers)
		req = "GET %s HTTP/1.1\r\n" % path + "".join(
		    "%s: %s\r\n" % kv for kv in h.items() if kv[1] is not None)
		w.write((req + "\r\n").encode())
		try:
			head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"),
			    scaled(timeout))
		except asyncio.IncompleteReadError as e:
			w.transport.abort()
			fail("handshake: connection closed (got %r)" %
			    e.partial[:200])
		except asyncio.TimeoutError:
			w.transport.abort()
			fail("handshake: no response within %.1fs" %
			    scaled(timeout))
		status, hdrs = _parse_head(head)
		if status != 101:
			w.transport.abort()
			raise HandshakeError(status, hdrs)
		want = base64.b64encode(hashlib.sha1(
		    (key + WS_GUID).encode()).digest()).decode()
		if hdrs.get("sec-websocket-accept") != want:
			w.transport.abort()
			fail("handshake: Sec-WebSocket-Accept %r, expected %r" %
			    (hdrs.get("sec-websocket-accept"), want))
		check(hdrs.get("upgrade", "").lower() == "websocket",
		    "handshake: no Upgrade: websocket header: %r" % hdrs)
		c = cls(r, w, port)
		if hello:
			m = await c.recv()
			check(m.get("action") == "connection" and
			    set(m) == {"action", "user_id"} and
			    isinstance(m["user_id"], str),
			    "first message must be the connection one, got %s"
			    % jdump(m))
			c.id = m["user_id"]
		return c

	# -- output
	def write(self, data):
		self.writer.write(data)

	async def drain(self):
		await self.writer.drain()

	async def send_frame(self, opcode, payload=b"", **kw):
		self.writer.write(build_frame(opcode, payload, **kw))
		await self.writer.drain()

	async def send(self, obj):
		"""dict -> JSON text; str -> text frame; bytes -> binary."""
		if isinstance(obj, (dict, list)):
			obj = json.dumps(obj, ensure_ascii=False)
		if isinstance(obj, str):
			await self.send_frame(OP_TEXT, obj.encode())
		else:
			await self.send_frame(OP_BINARY, obj)

	# -- input
	async def _fill(self, timeout):
		"""Read more; timeout None waits forever (and, unlike wait_for,
		stays promptly cancellable)."""
		try:
			if timeout is None:
				data = await self.reader.read(1 << 20)
			else:
				data = await asyncio.wait_for(
				    self.reader.read(1 << 20), scaled(timeout))
		except asyncio.TimeoutError:
			raise
		except (ConnectionError, OSError):
			data = b""
		if not data:
			self.eof = True
			raise ConnectionLost("client %s: connection closed by "
			    "the server (no close frame)" % self.id)
		self.buf += data

	def _parse_one(self):
		"""(opcode, fin, payload) of the first complete frame, or
		None."""
		buf = self.buf
		ext = server_frame_at(buf, 0, "client %s: " % self.id)
		if ext is None:
			return None
		hl, end = ext
		b0 = buf[0]
		payload = bytes(buf[hl:end])
		del buf[:end]
		check(b0 & 0x70 == 0, "client %s: server frame with RSV bits "
		    "set: 0x%02x" % (self.id, b0))
		return b0 & 0x0F, bool(b0 & 0x80), payload

	async def recv_frame(self, timeout=2.0):
		"""The next frame: (opcode, fin, payload)."""
		deadline = time.monotonic() + scaled(timeout)
		while True:
			f = self._parse_one()
			if f is not None:
				return f
			left = deadline - time.monotonic()
			if left <= 0:
				raise asyncio.TimeoutError()
			await self._fill(left / SCALE)

	async def recv_message(self, timeout=2.0):
		"""Next data message (opcode, payload), fragments joined;
		pings answered; a close frame is recorded and returned as
		(OP_CLOSE, payload)."""
		parts = []
		op = None
		while True:
			try:
				o, fin, p = await self.recv_frame(timeout)
			except asyncio.TimeoutError:
				fail("client %s: nothing received within %.1fs" %
				    (self.id, scaled(timeout)))
			if o == OP_PING:
				await self.send_frame(OP_PONG, p)
				continue
			if o == OP_PONG:
				continue
			if o == OP_CLOSE:
				self.close_frame = p
				return OP_CLOSE, p
			if o != OP_CONT:
				op = o
			parts.append(p)
			if fin:
				return op, b"".join(parts)

	async def recv(self, timeout=2.0):
		op, p = await self.recv_message(timeout)
		if op == OP_CLOSE:
			code, reason = _close_payload(p)
			fail("client %s: server closed (code %s, reason %r) while "
			    "a message was expected" % (self.id, code, reason))
		check(op == OP_TEXT, "client %s: expected a text frame, got "
		    "opcode %d: %r" % (self.id, op, p[:200]))
		try:
			m = json.loads(p.decode("utf-8"))
		except ValueError:
			fail("client %s: server sent invalid JSON/UTF-8: %r" %
			    (self.id, p[:200]))
		check(isinstance(m, dict), "client %s: non-object %r" %
		    (self.id, p[:200]))
		return m

	async def expect_nothing(self, timeout=0.2):
		try:
			f = await self.recv_frame(timeout)
		except asyncio.TimeoutError:
			return
		fail("client %s: expected no message, got %r" % (self.id, f))

	async def expect_close(self, timeout=3.0):
		"""Read until the server's close frame: (code, reason).  Data
		messages before it are skipped (kept in self.skipped)."""
		self.skipped = []
		deadline = time.monotonic() + scaled(timeout)
		while True:
			left = deadline - time.monotonic()
			if left <= 0:
				fail("client %s: no close frame within %.1fs" %
				    (self.id, scaled(timeout)))
			try:
				op, p = await self.recv_message(left / SCALE)
			except ConnectionLost:
				fail("client %s: connection dropped without a "
				    "close frame" % self.id)
			if op == OP_CLOSE:
				# Answer like a well-behaved client: echo the
				# close frame, then close the TCP connection.
				try:
					self.write(build_frame(OP_CLOSE, p[:2]))
					self.writer.close()
				except (ConnectionError, OSError):
					pass
				return _close_payload(p)
			self.skipped.append((op, p))

	async def read_batch(self, timeout=10.0):
		"""Fast path: wait for data, then return (frames, ntext,
		others): frames is the bytes of all complete frames now
		buffered, ntext how many of them are unfragmented text frames,
		others a list of (opcode, fin, payload) for every other
		frame.  Pings are answered."""
		await self._fill(timeout)
		buf = self.buf
		n = len(buf)
		pos = 0
		ntext = 0
		others = None
		while pos + 2 <= n:
			b1 = buf[pos + 1]
			ln = b1 & 0x7F
			if ln < 126:
				end = pos + 2 + ln
				hl = 2
			elif ln == 126:
				if pos + 4 > n:
					break
				ln = (buf[pos + 2] << 8) | buf[pos + 3]
				hl = 4
				end = pos + 4 + ln
			else:
				if pos + 10 > n:
					break
				ln = struct.unpack_from("!Q", buf, pos + 2)[0]
				hl = 10
				end = pos + 10 + ln
			if end > n:
				break
			if buf[pos] == 0x81 and not b1 & 0x80:
				ntext += 1
			else:
				if others is None:
					others = []
				others.append((buf[pos] & 0x0F,
				    bool(buf[pos] & 0x80),
				    bytes(buf[pos + hl:end])))
			pos = end
		frames = bytes(buf[:pos])
		del buf[:pos]
		if others:
			for o, fin, p in others:
				if o == OP_PING:
					self.write(build_frame(OP_PONG, p))
		return frames, ntext, others or []

	async def close(self, code=1000):
		if not self.writer.is_closing():
			try:
				self.write(build_frame(OP_CLOSE,
				    struct.pack("!H", code)))
				await asyncio.wait_for(self.writer.drain(),
				    scaled(1))
			except Exception:
				pass
			self.writer.transport.abort()

	def abort(self):
		self.writer.transport.abort()

	@property
	def closed(self):
		return self.writer.is_closing()


def _where(e):
	"""file:line of the innermost frame of a test file in e's traceback."""
	tb = traceback.extract_tb(e.__traceback__)
	for fr in reversed(tb):
		if not fr.filename.endswith("chatlib.py"):
			return "at %s:%d: %s" % (os.path.basename(fr.filename),
			    fr.lineno, fr.line)
	return ""


def _close_payload(p):
	if len(p) < 2:
		return None, ""
	return struct.unpack("!H", p[:2])[0], p[2:].decode("utf-8", "replace")


# ---------------------------------------------------------------- runner

class _Test:
	def __init__(self, fn, name, timeout, fresh, args):
		self.fn = fn
		self.name = name
		self.timeout = timeout
		self.fresh = fresh or args is not None
		self.args = list(args or [])


def new_server(args, suite, tls):
	"""A Server; or, with CHAT_TEST_CLUSTER=N, N nodes on a Redis of
	their own, clients round-robin (redislib.ClusterServer)."""
	n = int(os.environ.get("CHAT_TEST_CLUSTER", "0") or "0")
	if n > 0:
		import redislib
		return redislib.ClusterServer(n, args, suite, tls)
	return Server(args, suite, tls)


class Suite:
	"""A tiny TAP runner for async tests sharing one server."""

	def __init__(self, server_args=(), needs_server=True, tools=(),
	    tls=None):
		"""tools: programs the tests run (e.g. openssl); without them
		the file is skipped.  tls: every server serves wss://."""
		self.tls = tls
		self.tools = list(tools)
		if tls_wanted():
			self.tools.append("openssl")
		self.tests = []
		self.server_args = list(server_args)
		self.needs_server = needs_server
		self.shared = None
		self.shared_crashes = []
		self._open = []

	def test(self, name, timeout=10, fresh=False, args=None):
		def deco(fn):
			self.tests.append(_Test(fn, name, timeout, fresh, args))
			return fn
		return deco

	def _track(self, c):
		self._open.append(c)

	def _skip_reason(self):
		if websockets is None:
			return "python3 websockets module not available"
		for t in self.tools:
			if shutil.which(t) is None:
				return "%s not found" % t
		if self.needs_server:
			b = os.environ.get("CHAT_SERVER_BIN")
			if not b:
				return "CHAT_SERVER_BIN not set"
			if not os.access(b, os.X_OK):
				return "no server binary at %s" % b
		return None

	def run(self):
		reason = self._skip_reason()
		if reason:
			print("1..0 # SKIP %s" % reason, flush=True)
			sys.exit(0)
		only = os.environ.get("CHAT_TEST_ONLY")
		if only:
			self.tests = [t for t in self.tests if only in t.name]
		uses_shared = any(not t.fresh for t in self.tests)
		total = len(self.tests) + (1 if uses_shared else 0)
		print("1..%d" % total, flush=True)
		asyncio.run(self._main(uses_shared))
		sys.exit(0)

	async def _close_open(self):
		cs, self._open = self._open, []
		async def one(c):
			try:
				await c.close()
			except Exception:
				pass
		await asyncio.gather(*(one(c) for c in cs))

	async def _get_shared(self):
		if self.shared is not None and not self.shared.alive():
			self.shared_crashes.append("shared server died "
			    "(status %s)\n%s" % (self.shared.proc.returncode,
			    self.shared.tail()))
			self.shared = None
		if self.shared is None:
			self.shared = await new_server(self.server_args, self,
			    self.tls).start()
		return self.shared

	async def _one(self, t):
		"""Run one test; return None or the failure diagnostic."""
		srv = None
		diag = None
		try:
			if t.fresh:
				srv = await new_server(t.args, self,
				    self.tls).start()
			else:
				srv = await self._get_shared()
			await asyncio.wait_for(t.fn(srv), scaled(t.timeout))
		except asyncio.TimeoutError:
			diag = "test timed out after %.0fs\n%s" % (
			    scaled(t.timeout), traceback.format_exc(limit=-4))
		except Failure as e:
			diag = str(e) + "\n" + _where(e)
		except Exception as e:
			diag = "unexpected %s: %s\n%s" % (type(e).__name__, e,
			    traceback.format_exc())
		if (diag is None and srv is not None and not srv.alive() and
		    not srv.stopping):
			diag = "the server died during the test (status %s)\n%s" % (
			    srv.proc.returncode, srv.tail())
		await self._close_open()
		if t.fresh and srv is not None:
			try:
				await srv.stop()
			except Failure as e:
				diag = (diag + "\n" if diag else "") + str(e)
		return diag

	async def _main(self, uses_shared):
		# kill -USR1 prints where every task is (hung tests).
		def dump():
			tasks = asyncio.all_tasks()
			sys.stderr.write("%d tasks\n" % len(tasks))
			for t in list(tasks)[:30]:
				t.print_stack(limit=6, file=sys.stderr)
		asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1,
		    dump)
		i = 0
		for t in self.tests:
			i += 1
			diag = await self._one(t)
			if diag is None:
				print("ok %d - %s" % (i, t.name), flush=True)
			else:
				self._report(i, t.name, diag)
		if uses_shared:
			i += 1
			name = "shared server exits with status 0 on SIGTERM"
			try:
				if self.shared is not None:
					await self.shared.stop()
				if self.shared_crashes:
					fail("\n".join(self.shared_crashes))
			except Failure as e:
				self._report(i, name, str(e))
			else:
				print("ok %d - %s" % (i, name), flush=True)

	def _report(self, i, name, diag):
		print("not ok %d - %s" % (i, name))
		for line in diag.rstrip().splitlines():
			print("# " + line)
		sys.stdout.flush()
