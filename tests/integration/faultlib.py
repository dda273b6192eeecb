"""Helpers of the slow-consumer and fault tests (issue 4), on top of
chatlib: a client that stops reading after its handshake, a frame
scanner, the server's RSS, durations shortened under a wrapper, and the
file-descriptor limit raised for thousands of sockets.

    from chatlib import *
    from faultlib import *
"""

import base64
import hashlib
import resource
import subprocess

from chatlib import *
from chatlib import _close_payload, _parse_head, WS_GUID, asan_build

__all__ = [
	"raise_nofile", "StuckClient", "scan_frames", "close_payload",
	"rss_kb", "wrapped",
	"asan_build", "env_seconds", "set_linger_rst", "diag",
]


def diag(text):
	"""A TAP comment (shown in the log, never a result)."""
	for line in str(text).splitlines():
		print("# " + line, flush=True)


def raise_nofile():
	"""Soft RLIMIT_NOFILE up to the hard limit (the server inherits it):
	a thousand clients need a thousand sockets on each side."""
	soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
	want = hard if hard != resource.RLIM_INFINITY else 65536
	if soft == resource.RLIM_INFINITY or soft >= want:
		return soft
	try:
		resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
	except (ValueError, OSError):
		return soft
	return want


def wrapped():
	"""True when the server runs under CHAT_SERVER_WRAPPER (valgrind)."""
	return bool(os.environ.get("CHAT_SERVER_WRAPPER", "").strip())


def env_seconds(name, default, under_wrapper):
	"""A duration from the environment, shorter under a wrapper."""
	v = os.environ.get(name, "").strip()
	if v:
		return float(v)
	return under_wrapper if wrapped() else default


def rss_kb(pid):
	"""VmRSS of a process in KiB (0 once it is gone)."""
	try:
		with open("/proc/%d/status" % pid) as f:
			for l in f:
				if l.startswith("VmRSS:"):
					return int(l.split()[1])
	except OSError:
		pass
	return 0


def close_payload(p):
	"""(code, reason) of a close frame's payload."""
	return _close_payload(p)


def set_linger_rst(sock):
	"""Make close() send a TCP reset instead of a FIN."""
	try:
		sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
		    struct.pack("ii", 1, 0))
	except OSError:
		pass


def scan_frames(buf):
	"""Split the complete server frames at the start of buf (a
	bytearray): return a list of (opcode, fin, payload) and remove them
	from buf.  Server frames are never masked."""
	out = []
	pos = 0
	while True:
		ext = server_frame_at(buf, pos)
		if ext is None:
			break
		hl, end = ext
		out.append((buf[pos] & 0x0F, bool(buf[pos] & 0x80),
		    bytes(buf[pos + hl:end])))
		pos = end
	del buf[:pos]
	return out


# ---------------------------------------------------------------- stuck

class StuckClient:
	"""A client on a plain non-blocking socket that does its handshake,
	a few requests, then stops reading entirely (unlike asyncio streams,
	which keep reading into their buffer behind the test's back).  Its
	receive buffer is made small before connecting, so the server's
	bytes pile up in the server.  resume() reads everything that is
	left, up to the close frame or the end of the connection."""

	def __init__(self, sock, port):
		self.sock = sock
		self.port = port
		self.buf = bytearray()
		self.id = None
		self.pings = 0
		self.pending = []

	@classmethod
	async def connect(cls, port, rcvbuf=4096, timeout=5.0):
		loop = asyncio.get_running_loop()
		s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
		s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
		s.setblocking(False)
		c = cls(s, port)
		try:
			await asyncio.wait_for(loop.sock_connect(s,
			    ("127.0.0.1", port)), scaled(timeout))
			key = base64.b64encode(os.urandom(16)).decode()
			req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
			    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
			    "Sec-WebSocket-Key: %s\r\n"
			    "Sec-WebSocket-Version: 13\r\n\r\n" %
			    (PATH, port, key))
			await loop.sock_sendall(s, req.encode())
			while b"\r\n\r\n" not in c.buf:
				await c._fill(timeout)
			i = c.buf.index(b"\r\n\r\n") + 4
			status, hdrs = _parse_head(bytes(c.buf[:i]))
			del c.buf[:i]
			check(status == 101, "stuck client: HTTP %d" % status)
			want = base64.b64encode(hashlib.sha1(
			    (key + WS_GUID).encode()).digest()).decode()
			check(hdrs.get("sec-websocket-accept") == want,
			    "stuck client: bad Sec-WebSocket-Accept")
			m = await c.recv(timeout)
			check(m.get("action") == "connection",
			    "stuck client: first message %s" % jdump(m))
			c.id = m["user_id"]
		except BaseException:
			s.close()
			raise
		return c

	async def _fill(self, timeout):
		loop = asyncio.get_running_loop()
		try:
			data = await asyncio.wait_for(loop.sock_recv(self.sock,
			    1 << 16), scaled(timeout))
		except asyncio.TimeoutError:
			fail("stuck client %s: nothing received within %.1fs" %
			    (self.id, scaled(timeout)))
		if not data:
			raise ConnectionLost("stuck client %s: connection "
			    "closed" % self.id)
		self.buf += data

	async def send(self, obj):
		loop = asyncio.get_running_loop()
		await loop.sock_sendall(self.sock, build_frame(OP_TEXT,
		    json.dumps(obj)))

	async def recv(self, timeout=2.0):
		"""The next data message (pings are counted, not answered)."""
		while True:
			self.pending += scan_frames(self.buf)
			while self.pending:
				op, fin, p = self.pending.pop(0)
				if op == OP_PING:
					self.pings += 1
					continue
				check(op == OP_TEXT and fin, "stuck client %s:"
				    " frame opcode %d: %r" % (self.id, op,
				    p[:100]))
				return json.loads(p)
			await self._fill(timeout)

	async def request(self, obj, timeout=2.0):
		await self.send(obj)
		return await self.recv(timeout)

	async def resume(self, timeout=10.0):
		"""Read until the close frame or the end of the connection:
		return (close code or None, reason, how it ended: "close",
		"eof" or "reset", data frames read)."""
		loop = asyncio.get_running_loop()
		deadline = time.monotonic() + scaled(timeout)
		nframes = 0
		while True:
			self.pending += scan_frames(self.buf)
			for op, fin, p in self.pending:
				if op == OP_CLOSE:
					code, reason = close_payload(p)
					self.pending = []
					return code, reason, "close", nframes
				if op == OP_PING:
					self.pings += 1
				else:
					nframes += 1
			self.pending = []
			left = deadline - time.monotonic()
			if left <= 0:
				fail("stuck client %s: neither a close frame "
				    "nor the end of the connection within "
				    "%.1fs of reading again" % (self.id,
				    scaled(timeout)))
			try:
				data = await asyncio.wait_for(loop.sock_recv(
				    self.sock, 1 << 20), left)
			except asyncio.TimeoutError:
				continue
			except ConnectionResetError:
				return None, "", "reset", nframes
			if not data:
				return None, "", "eof", nframes
			self.buf += data

	def close(self):
		try:
			self.sock.close()
		except OSError:
			pass
