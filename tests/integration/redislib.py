"""Redis and several chat-server nodes for the cluster tests.

	from redislib import *

	rd = await RedisServer(aof=True).start()
	nodes = await Nodes(3, ["--redis", rd.url], suite).start()
	a = await nodes.client()	# round-robin over the nodes
	rd.pause()			# SIGSTOP: Redis hangs, sockets stay open
	rd.resume()			# SIGCONT
	await rd.kill()			# kill -9
	await rd.start()		# again, same port and directory

Every RedisServer is our own `redis-server --port N --save ''` on a free
loopback port with a temporary directory (never the system service); it is
stopped by PID and its directory removed at exit.  `await rd.command(...)`
is a minimal RESP client, for tests that look at what Redis holds.
"""

import atexit
import shutil
import tempfile

import chatlib
from chatlib import *
from chatlib import _free_port

# `from redislib import *` gives chatlib's names too.
__all__ = chatlib.__all__ + ["RedisServer", "Nodes", "RedisError",
    "ClusterServer", "wait_serving"]

_live = []


def _cleanup():
	for r in list(_live):
		r._kill_now()
	_live.clear()


atexit.register(_cleanup)


class RedisError(Exception):
	"""An error reply (-ERR ...) from Redis."""


class RedisServer:
	"""One redis-server of our own, restartable on the same port and dir."""

	def __init__(self, aof=False, unix=False, extra=()):
		self.aof = aof
		self.unix = unix
		self.extra = [str(a) for a in extra]
		self.dir = tempfile.mkdtemp(prefix="chat-redis-")
		self.port = None
		self.proc = None
		self.log = None
		self.cmd = None
		self.paused = False
		_live.append(self)

	@property
	def socket_path(self):
		return os.path.join(self.dir, "redis.sock")

	@property
	def url(self):
		"""What chat-server's --redis takes."""
		if self.unix:
			return "unix:" + self.socket_path
		return "redis://127.0.0.1:%d" % self.port

	def _command(self):
		exe = shutil.which("redis-server")
		check(exe is not None, "redis-server not found: apt-get install "
		    "redis-server (tools/deps.sh)")
		cmd = [exe, "--port", str(self.port), "--bind", "127.0.0.1",
		    "--save", "", "--dir", self.dir, "--daemonize", "no",
		    "--logfile", "", "--appendonly",
		    "yes" if self.aof else "no", "--appendfsync", "always"]
		if self.unix:
			cmd += ["--unixsocket", self.socket_path,
			    "--unixsocketperm", "700"]
		return cmd + self.extra

	async def start(self):
		"""Start, or start again on the same port and directory."""
		check(not self.alive(), "redis-server already running")
		restart = self.port is not None
		for attempt in range(5):
			if not restart:
				self.port = _free_port()
			self.cmd = self._command()
			self.log = tempfile.TemporaryFile()
			self.proc = await asyncio.create_subprocess_exec(
			    *self.cmd, stdin=asyncio.subprocess.DEVNULL,
			    stdout=self.log, stderr=self.log)
			self.paused = False
			if await self._wait_ready():
				return self
			await self.proc.wait()
			# A first start takes another free port (this one
			# was taken meanwhile); a restart keeps its port,
			# which the nodes know: wait for it.
			await asyncio.sleep(0.2)
		fail("redis-server did not start: %s\n%s" %
		    (" ".join(self.cmd), self.tail()))

	async def _wait_ready(self):
		deadline = time.monotonic() + scaled(10)
		while time.monotonic() < deadline:
			if self.proc.returncode is not None:
				return False
			try:
				if await self.command("PING", timeout=1) == \
				    "PONG":
					# AOF loaded: it answers PING
					# only when it is done loading.
					return True
			except (OSError, RedisError, asyncio.TimeoutError):
				pass
			await asyncio.sleep(0.02)
		self._kill_now()
		fail("redis-server did not answer within %.0fs\n%s" %
		    (scaled(10), self.tail()))

	def alive(self):
		return self.proc is not None and self.proc.returncode is None

	@property
	def pid(self):
		return self.proc.pid

	def tail(self, lines=20):
		if self.log is None:
			return ""
		try:
			self.log.seek(0)
			data = self.log.read().decode("utf-8", "replace")
		except (OSError, ValueError):
			return ""
		out = data.splitlines()[-lines:]
		return "redis-server output (last %d lines):\n%s" % (len(out),
		    "\n".join("  " + l for l in out))

	def pause(self):
		"""SIGSTOP: connections stay open and nothing answers."""
		check(self.alive(), "redis-server not running")
		self.proc.send_signal(signal.SIGSTOP)
		self.paused = True

	def resume(self):
		if self.alive():
			self.proc.send_signal(signal.SIGCONT)
		self.paused = False

	async def kill(self):
		"""kill -9: no shutdown, no final save.  The AOF has every
		write Redis acknowledged: appendfsync always (with everysec
		Redis answers before it writes while an fsync is slow)."""
		if self.alive():
			self.proc.kill()
			if self.paused:
				self.proc.send_signal(signal.SIGCONT)
			await self.proc.wait()
		self.paused = False

	async def stop(self, timeout=10):
		"""SIGTERM and wait; fail unless it exits with status 0."""
		if not self.alive():
			return
		self.resume()
		self.proc.terminate()
		try:
			rc = await asyncio.wait_for(self.proc.wait(),
			    scaled(timeout))
		except asyncio.TimeoutError:
			await self.kill()
			fail("redis-server did not exit on SIGTERM\n%s" %
			    self.tail())
		check(rc == 0, "redis-server exited with status %d\n%s" %
		    (rc, self.tail()))

	async def close(self):
		"""Stop and remove the directory."""
		try:
			await self.stop()
		finally:
			self._kill_now()

	def _kill_now(self):
		if self.alive():
			try:
				self.proc.kill()
				self.proc.send_signal(signal.SIGCONT)
			except ProcessLookupError:
				pass
		shutil.rmtree(self.dir, True)
		if self in _live:
			_live.remove(self)

	async def command(self, *args, timeout=2.0):
		"""One command on a new connection; the decoded reply (bytes
		as str, arrays as lists, nil as None).  Raises RedisError for
		an error reply and asyncio.TimeoutError when Redis does not
		answer (paused)."""
		if self.unix:
			conn = asyncio.open_unix_connection(self.socket_path)
		else:
			conn = asyncio.open_connection("127.0.0.1", self.port)
		r, w = await asyncio.wait_for(conn, scaled(timeout))
		try:
			out = b"*%d\r\n" % len(args)
			for a in args:
				a = a if isinstance(a, bytes) else \
				    str(a).encode()
				out += b"$%d\r\n%s\r\n" % (len(a), a)
			w.write(out)
			return await asyncio.wait_for(_resp_read(r),
			    scaled(timeout))
		finally:
			w.close()


async def _resp_read(r):
	line = (await r.readline()).rstrip(b"\r\n")
	if not line:
		raise ConnectionError("redis closed the connection")
	t, rest = line[:1], line[1:].decode()
	if t == b"+":
		return rest
	if t == b"-":
		raise RedisError(rest)
	if t == b":":
		return int(rest)
	if t == b"$":
		n = int(rest)
		if n < 0:
			return None
		data = await r.readexactly(n + 2)
		return data[:-2].decode("utf-8", "replace")
	if t == b"*":
		n = int(rest)
		if n < 0:
			return None
		return [await _resp_read(r) for _ in range(n)]
	raise ConnectionError("bad RESP reply %r" % line)


class Nodes:
	"""Several chat-server processes with the same arguments; clients
	are handed out round-robin over them, like a load balancer."""

	def __init__(self, n, args=(), suite=None, tls=None):
		self.servers = [Server(args, suite, tls) for _ in range(n)]
		self.next = 0

	def __getitem__(self, i):
		return self.servers[i]

	def __len__(self):
		return len(self.servers)

	@property
	def ports(self):
		return [s.port for s in self.servers]

	async def start(self):
		for s in self.servers:
			await s.start()
		return self

	def _pick(self):
		s = self.servers[self.next % len(self.servers)]
		self.next += 1
		return s

	async def client(self, **kw):
		return await self._pick().client(**kw)

	async def clients(self, n, **kw):
		return [await self.client(**kw) for _ in range(n)]

	async def raw(self, **kw):
		return await self._pick().raw(**kw)

	async def stop(self):
		"""SIGTERM every node still running; fail unless each exits 0."""
		errors = []
		for s in self.servers:
			if not s.alive():
				continue
			try:
				await s.stop()
			except Failure as e:
				errors.append(str(e))
		check(not errors, "\n".join(errors))

	async def kill(self):
		for s in self.servers:
			await s.kill()


class ClusterServer:
	"""What a test sees as one server (chatlib.Server's interface): n
	chat-server nodes on one redis-server of their own, each client on
	the next node in turn.  port, ssl, proc: the first node's."""

	def __init__(self, n, args=(), suite=None, tls=None, aof=False):
		self.redis = RedisServer(aof=aof)
		self.args = [str(a) for a in args]
		self.n = n
		self.suite = suite
		self.tls = tls
		self.nodes = None

	async def start(self):
		await self.redis.start()
		self.nodes = Nodes(self.n, ["--redis", self.redis.url] +
		    self.args, self.suite, self.tls)
		try:
			await self.nodes.start()
			# Each node serves once it has Redis: until then 503.
			for node in self.nodes:
				await wait_serving(node)
		except BaseException:
			await self.nodes.kill()
			self.redis._kill_now()
			raise
		return self

	@property
	def port(self):
		return self.nodes[0].port

	@property
	def ssl(self):
		return self.nodes[0].ssl

	@property
	def proc(self):
		return self.nodes[0].proc

	@property
	def stopping(self):
		return any(s.stopping for s in self.nodes)

	@property
	def url(self):
		return self.nodes[0].url

	def alive(self):
		return all(s.alive() for s in self.nodes)

	def tail(self, lines=40):
		return "\n".join("node %d: %s" % (i, s.tail(lines))
		    for i, s in enumerate(self.nodes)) + "\n" + \
		    self.redis.tail()

	def send_signal(self, sig):
		for s in self.nodes:
			s.send_signal(sig)

	async def wait(self, timeout):
		rc = 0
		for s in self.nodes:
			r = await s.wait(timeout)
			if r is None:
				return None
			rc = rc or r
		return rc

	async def stop(self, sig=signal.SIGTERM, timeout=10):
		try:
			# Each node signalled once (a second SIGTERM could
			# find one already past its handlers).
			res = await asyncio.gather(*(s.stop(sig, timeout)
			    for s in self.nodes), return_exceptions=True)
			errs = [str(e) for e in res if e is not None]
			check(not errs, "\n".join(errs))
		finally:
			await self.redis.close()

	async def kill(self):
		await self.nodes.kill()
		self.redis._kill_now()

	async def client(self, **kw):
		return await self.nodes.client(**kw)

	async def clients(self, n, **kw):
		return await self.nodes.clients(n, **kw)

	async def raw(self, **kw):
		return await self.nodes.raw(**kw)


async def wait_serving(node, timeout=10, serving=True):
	"""Until the node serves (serving=False: until it has seen Redis go):
	a plain GET of the chat path answers 503 while Redis is not there (or
	its node number not taken), 400 once upgrades are served."""
	deadline = time.monotonic() + scaled(timeout)
	req = "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (PATH,
	    node.port)
	while True:
		try:
			r, w = await asyncio.open_connection("127.0.0.1",
			    node.port, ssl=node.ssl)
			try:
				w.write(req.encode())
				line = await asyncio.wait_for(r.readline(),
				    scaled(2))
			finally:
				w.transport.abort()
			if line.startswith(b"HTTP/1.1 400 " if serving else
			    b"HTTP/1.1 503 "):
				return
		except (OSError, asyncio.TimeoutError):
			pass
		if time.monotonic() > deadline:
			fail("node on port %d %s within %.0fs\n%s" %
			    (node.port, "not serving" if serving else
			    "still serving", scaled(timeout), node.tail()))
		await asyncio.sleep(0.02)
