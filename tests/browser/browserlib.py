"""Helpers of the browser tests (tests/browser/test-*.py): the web client
in Debian's chromium, headless, driven by chromium-driver through
python3-selenium, beside chat-tui in a private tmux server.

A test script is plain, synchronous Python printing TAP:

    from browserlib import *
    t = Tap()
    srv = Server().start()
    a = Browser(srv.url("/?room=lobby"), "a")
    t.check("a joined lobby", lambda: a.wait_status(r"\\| room lobby \\|"))
    t.done()

Nothing is skipped: without chromium, chromium-driver or python3-selenium
the test fails ("Bail out!").  Everything started is stopped at exit.
Screenshots go to browser-screenshots/ in the current directory, which
under make check is the build tree's tests/.

Environment: CHAT_SERVER_BIN, CHAT_TUI_BIN, CHAT_WEB_ROOT (required),
CHAT_SERVER_WRAPPER (e.g. valgrind), CHAT_TEST_TIMEOUT_SCALE, CHAT_E2E_DEADLINE
(seconds before the watchdog stops a test; 600), CHAT_E2E_KEEP=1 (keep
the temporary directory).
"""

import atexit
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

__all__ = ["Tap", "Server", "Browser", "Tui", "Proxy", "WsClient", "Failure", "fail",
    "check", "scaled", "wait_until", "free_port", "tls_files", "TMP", "SHOTS", "Keys", "os", "re",
    "time"]

SCALE = float(os.environ.get("CHAT_TEST_TIMEOUT_SCALE", "1") or "1")
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SHOTS = os.path.join(os.getcwd(), "browser-screenshots")
TMP = tempfile.mkdtemp(prefix="chat-browser-")
_cleanups = []


def _cleanup():
	for fn in reversed(_cleanups):
		try:
			fn()
		except Exception:
			pass
	if not os.environ.get("CHAT_E2E_KEEP"):
		shutil.rmtree(TMP, True)


atexit.register(_cleanup)
# SIGTERM (make's timeout, a watchdog): clean up as at a normal exit.
signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))


def scaled(s):
	return s * SCALE


class Failure(AssertionError):
	pass


def fail(msg):
	raise Failure(msg)


def check(cond, msg):
	if not cond:
		raise Failure(msg)


def wait_until(probe, timeout=10, what="condition", interval=0.05):
	"""Poll probe() until it returns a true value; return that value."""
	end = time.monotonic() + scaled(timeout)
	while True:
		v = probe()
		if v:
			return v
		if time.monotonic() > end:
			fail("timed out after %.0fs waiting for %s" %
			    (scaled(timeout), what))
		time.sleep(interval)


def free_port():
	s = socket.socket()
	s.bind(("127.0.0.1", 0))
	p = s.getsockname()[1]
	s.close()
	return p


def _diag(text):
	for l in str(text).splitlines() or [""]:
		print("# " + l)
	sys.stdout.flush()


class Tap:
	"""TAP out: the plan at the end, so tests can be added freely."""

	def __init__(self):
		self.n = 0
		self.failed = 0
		self.on_fail = []	# called with the description on failure
		self._watchdog()

	def _watchdog(self):
		limit = scaled(float(os.environ.get("CHAT_E2E_DEADLINE", "600")))
		def bite():
			print("Bail out! watchdog: still running after %.0fs" %
			    limit, flush=True)
			os.kill(os.getpid(), signal.SIGTERM)
		t = threading.Timer(limit, bite)
		t.daemon = True
		t.start()

	def ok(self, desc):
		self.n += 1
		print("ok %d - %s" % (self.n, desc), flush=True)

	def not_ok(self, desc, why=""):
		self.n += 1
		self.failed += 1
		print("not ok %d - %s" % (self.n, desc), flush=True)
		if why:
			_diag(why)
		for fn in self.on_fail:
			try:
				fn(desc)
			except Exception as e:
				_diag("while reporting: %s" % e)

	def check(self, desc, fn):
		"""Run fn(); ok unless it raises.  Returns its value."""
		try:
			v = fn()
		except Failure as e:
			self.not_ok(desc, str(e))
			return None
		except Exception as e:
			self.not_ok(desc, "unexpected %s: %s\n%s" % (
			    type(e).__name__, e, traceback.format_exc()))
			return None
		self.ok(desc)
		return v

	def bail(self, why):
		print("Bail out! %s" % why, flush=True)
		sys.exit(1)

	def done(self):
		print("1..%d" % self.n, flush=True)
		sys.exit(1 if self.failed else 0)


def _need(path, pkg):
	if not os.access(path, os.X_OK):
		print("Bail out! %s not found: apt-get install %s" % (path, pkg),
		    flush=True)
		sys.exit(1)


try:
	from selenium import webdriver
	from selenium.common.exceptions import WebDriverException
	from selenium.webdriver.chrome.service import Service
	from selenium.webdriver.common.by import By
	from selenium.webdriver.common.keys import Keys
	from selenium.webdriver.common.action_chains import ActionChains
except ImportError:
	print("Bail out! python3 selenium module not found: apt-get install "
	    "python3-selenium", flush=True)
	sys.exit(1)
_need(CHROMIUM, "chromium")
_need(CHROMEDRIVER, "chromium-driver")
for _v in ("CHAT_SERVER_BIN", "CHAT_WEB_ROOT"):
	if not os.environ.get(_v):
		print("Bail out! %s not set" % _v, flush=True)
		sys.exit(1)


def _port_open(port):
	try:
		socket.create_connection(("127.0.0.1", port), 1).close()
		return True
	except OSError:
		return False


# ---------------------------------------------------------------- server

class Server:
	"""chat-server on a free loopback port, serving the web client from
	CHAT_WEB_ROOT (the source tree's web/)."""

	def __init__(self, args=(), binary=None, port=None):
		self.args = [str(a) for a in args]
		self.binary = binary or os.environ["CHAT_SERVER_BIN"]
		self.port = port
		self.proc = None
		self.logpath = os.path.join(TMP, "server-%d.log" % id(self))
		_cleanups.append(self.kill)

	def url(self, path="/", port=None):
		return "%s://127.0.0.1:%d%s" % ("https" if "--tls-cert" in
		    self.args else "http", port or self.port, path)

	def start(self, port=None):
		"""Start (on port, or a free one); wait until it listens."""
		port = port or self.port
		for attempt in range(5 if port is None else 50):
			p = port or free_port()
			wrapper = shlex.split(os.environ.get("CHAT_SERVER_WRAPPER",
			    ""))
			cmd = wrapper + [self.binary, "-l", "127.0.0.1", "-p",
			    str(p), "--web-root", os.environ["CHAT_WEB_ROOT"]]
			if SCALE > 1:
				cmd += ["--shutdown-grace", str(int(1500 * SCALE))]
			log = open(self.logpath, "ab")
			self.proc = subprocess.Popen(cmd + self.args,
			    stdin=subprocess.DEVNULL, stdout=log, stderr=log)
			log.close()
			self.port = p
			end = time.monotonic() + scaled(15)
			while time.monotonic() < end:
				if self.proc.poll() is not None:
					break
				if _port_open(p):
					return self
				time.sleep(0.05)
			if self.proc.poll() is None:
				self.proc.kill()
			self.proc.wait()
			time.sleep(0.2)	# the port may still be held
		fail("chat-server did not start:\n%s" % self.tail())

	def stop(self, sig=signal.SIGTERM):
		"""Signal it and reap it; fail on a non-zero status after TERM."""
		if self.proc is None:
			return
		self.proc.send_signal(sig)
		try:
			rc = self.proc.wait(scaled(15))
		except subprocess.TimeoutExpired:
			self.proc.kill()
			self.proc.wait()
			fail("chat-server did not exit on %s" % sig)
		self.proc = None
		if sig == signal.SIGTERM and rc != 0:
			fail("chat-server exited with status %d\n%s" % (rc,
			    self.tail()))

	def kill(self):
		if self.proc is not None and self.proc.poll() is None:
			self.proc.kill()
			self.proc.wait()
		self.proc = None

	def tail(self, n=30):
		try:
			with open(self.logpath, errors="replace") as f:
				return "".join(f.readlines()[-n:])
		except OSError:
			return ""


def tls_files():
	"""(cert, key): a self-signed certificate for 127.0.0.1."""
	cert, key = os.path.join(TMP, "cert.pem"), os.path.join(TMP, "key.pem")
	r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
	    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
	    key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
	    "-addext", "subjectAltName=IP:127.0.0.1"], stdout=subprocess.PIPE,
	    stderr=subprocess.STDOUT)
	check(r.returncode == 0, "openssl req: %s" % r.stdout.decode())
	return cert, key


# ---------------------------------------------------------------- proxy

class Proxy:
	"""A TCP relay to a server port, so a test can cut the browser's
	connection without stopping the server: drop() closes every relayed
	connection, and while down() new ones are closed at once."""

	def __init__(self, target_port):
		self.target = target_port
		self.lsock = socket.socket()
		self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		self.lsock.bind(("127.0.0.1", 0))
		self.lsock.listen(64)
		self.port = self.lsock.getsockname()[1]
		self.up = True
		self.lock = threading.Lock()
		self.pairs = []
		self.accepted = 0
		t = threading.Thread(target=self._accept, daemon=True)
		t.start()
		_cleanups.append(self.close)

	def _accept(self):
		while True:
			try:
				c, _ = self.lsock.accept()
			except OSError:
				return
			with self.lock:
				self.accepted += 1
				if not self.up:
					c.close()
					continue
			try:
				s = socket.create_connection(("127.0.0.1",
				    self.target))
			except OSError:
				c.close()
				continue
			with self.lock:
				self.pairs.append((c, s))
			for a, b in ((c, s), (s, c)):
				threading.Thread(target=self._pump, args=(a, b),
				    daemon=True).start()

	@staticmethod
	def _pump(a, b):
		try:
			while True:
				d = a.recv(65536)
				if not d:
					break
				b.sendall(d)
		except OSError:
			pass
		for x in (a, b):
			try:
				x.shutdown(socket.SHUT_RDWR)
			except OSError:
				pass

	def drop(self):
		"""Cut every relayed connection (both sides see it end)."""
		with self.lock:
			pairs, self.pairs = self.pairs, []
		for c, s in pairs:
			for x in (c, s):
				try:
					x.shutdown(socket.SHUT_RDWR)
				except OSError:
					pass
				x.close()

	def down(self):
		with self.lock:
			self.up = False
		self.drop()

	def resume(self):
		with self.lock:
			self.up = True

	def close(self):
		self.lsock.close()
		self.drop()


# ---------------------------------------------------------------- client

class WsClient:
	"""A plain blocking WebSocket chat client, for what a test sends
	faster than typing would (floods) or checks by protocol."""

	def __init__(self, port, hello=False):
		import base64
		import json
		self.json = json
		self.s = socket.create_connection(("127.0.0.1", port),
		    scaled(10))
		self.s.settimeout(scaled(10))
		key = base64.b64encode(os.urandom(16)).decode()
		self.s.sendall(("GET /chatserver/connect HTTP/1.1\r\nHost: "
		    "127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade"
		    "\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13"
		    "\r\n\r\n" % (port, key)).encode())
		self.buf = b""
		while b"\r\n\r\n" not in self.buf:
			self._fill()
		head, self.buf = self.buf.split(b"\r\n\r\n", 1)
		check(head.startswith(b"HTTP/1.1 101"), "upgrade: %r" % head)
		m = self.recv()
		check(m.get("action") == "connection", "first message %r" % m)
		self.id = m["user_id"]
		_cleanups.append(self.close)
		if hello:
			self.send({"action": "hello"})
			m = self.expect("hello")
			self.id = m["user_id"]

	def _fill(self):
		d = self.s.recv(65536)
		if not d:
			fail("connection closed")
		self.buf += d

	def send(self, obj):
		data = self.json.dumps(obj).encode()
		mask = os.urandom(4)
		n = len(data)
		hdr = bytes([0x81])
		if n < 126:
			hdr += bytes([0x80 | n])
		elif n < 65536:
			hdr += bytes([0x80 | 126]) + n.to_bytes(2, "big")
		else:
			hdr += bytes([0x80 | 127]) + n.to_bytes(8, "big")
		self.s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in
		    enumerate(data)))

	def recv(self):
		"""The next text message (pings answered, others skipped)."""
		while True:
			while len(self.buf) < 2:
				self._fill()
			op, ln, hl = self.buf[0] & 0x0F, self.buf[1] & 0x7F, 2
			if ln == 126:
				while len(self.buf) < 4:
					self._fill()
				ln, hl = int.from_bytes(self.buf[2:4], "big"), 4
			elif ln == 127:
				while len(self.buf) < 10:
					self._fill()
				ln, hl = int.from_bytes(self.buf[2:10], "big"), 10
			while len(self.buf) < hl + ln:
				self._fill()
			payload, self.buf = self.buf[hl:hl + ln], \
			    self.buf[hl + ln:]
			if op == 0x1:
				return self.json.loads(payload)
			if op == 0x8:
				fail("closed by the server: %r" % payload)

	def expect(self, action, **fields):
		while True:
			m = self.recv()
			if m.get("action") == action and all(m.get(k) == v
			    for k, v in fields.items()):
				return m
			if m.get("action") == "error":
				fail("error while waiting for %s: %s" % (action,
				    m.get("message")))

	def join(self, room):
		self.send({"action": "join", "room": room})
		self.expect("join", room=room)

	def say(self, text):
		"""A room message, waiting for its own copy."""
		self.send({"action": "room_message", "message": text})
		self.expect("room_message", message=text, user_id=self.id)

	def close(self):
		try:
			self.s.close()
		except OSError:
			pass


# ---------------------------------------------------------------- browser

class Browser:
	"""One headless chromium, its own empty profile, showing url."""

	def __init__(self, url, name, width=1100, height=700, args=()):
		self.name = name
		profile = tempfile.mkdtemp(prefix="profile-%s-" % name, dir=TMP)
		o = webdriver.ChromeOptions()
		o.binary_location = CHROMIUM
		for a in ("--headless", "--no-sandbox", "--disable-gpu",
		    "--disable-quic", "--no-first-run",
		    "--disable-background-networking",
		    "--disable-component-update", "--disable-sync",
		    "--disable-dev-shm-usage", "--user-data-dir=" + profile,
		    "--window-size=%d,%d" % (width, height)) + tuple(args):
			o.add_argument(a)
		o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
		self.d = webdriver.Chrome(service=Service(CHROMEDRIVER),
		    options=o)
		_cleanups.append(self.quit)
		if width < 500:
			# Narrower than a headless window goes: a phone's
			# viewport, as the DevTools device toolbar makes it.
			self.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
			    {"width": width, "height": height,
			    "deviceScaleFactor": 1, "mobile": True})
		self.d.get(url)

	def quit(self):
		if self.d is not None:
			try:
				self.d.quit()
			finally:
				self.d = None

	def js(self, script, *args):
		return self.d.execute_script(script, *args)

	# What a person sees.
	def status(self):
		return self.js("return document.getElementById('status')"
		    ".textContent")

	def lines(self):
		"""The message pane, one string per line."""
		return self.js("return Array.from(document.querySelectorAll("
		    "'#messages .line'), (l) => l.textContent)")

	def texts(self, kind="msg"):
		"""(from, text) of the lines of a kind (msg, pm-in, ...)."""
		return [tuple(x) for x in self.js("return Array.from("
		    "document.querySelectorAll('#messages .line.' + arguments[0])"
		    ", (l) => [l.querySelector('.from') ? l.querySelector("
		    "'.from').textContent : '', l.querySelector('.text')"
		    ".textContent])", kind)]

	def users(self):
		return self.js("return Array.from(document.querySelectorAll("
		    "'#user-list button'), (b) => b.textContent)")

	def entries(self):
		return self.js("return Array.from(document.querySelectorAll("
		    "'#entry-list button'), (b) => b.textContent + "
		    "(b.classList.contains('current') ? ' *' : ''))")

	def title(self):
		return self.js("return document.getElementById('title')"
		    ".textContent")

	def me(self):
		"""How others see us: the name, or the id without one."""
		m = re.search(r" \| (?:(\S+) \()?id (\d+)\)? \| ", self.status())
		return m and (m.group(1) or m.group(2))

	def my_id(self):
		m = re.search(r"\bid (\d+)\b", self.status())
		return m.group(1) if m else None

	def console(self):
		try:
			return ["%s %s" % (e["level"], e["message"]) for e in
			    self.d.get_log("browser")]
		except WebDriverException:
			return []

	def show(self):
		"""The page as a person would read it, for diagnostics."""
		return "%s: status %r\n  entries %r\n  title %r users %r\n  " \
		    "lines:\n    %s\n  console: %r" % (self.name,
		    self.status(), self.entries(), self.title(), self.users(),
		    "\n    ".join(self.lines()[-25:]), self.console()[-10:])

	# Waiting.
	def wait(self, probe, what, timeout=10):
		try:
			return wait_until(probe, timeout, what)
		except Failure as e:
			fail("%s: %s\n%s" % (self.name, e, self.show()))

	def wait_status(self, regex, timeout=10):
		return self.wait(lambda: re.search(regex, self.status()),
		    "status /%s/" % regex, timeout)

	def wait_line(self, regex, timeout=10):
		r = re.compile(regex)
		return self.wait(lambda: next((l for l in self.lines()
		    if r.search(l)), None), "a line /%s/" % regex, timeout)

	def wait_users(self, n, timeout=10):
		return self.wait(lambda: len(self.users()) == n and
		    self.users(), "%d users" % n, timeout)

	# Typing.
	def input(self):
		return self.d.find_element(By.ID, "input")

	def say(self, text):
		i = self.input()
		i.send_keys(text)
		i.send_keys(Keys.ENTER)

	def alt(self, key):
		"""Alt-key, sent to whatever has the focus."""
		ActionChains(self.d).key_down(Keys.ALT).send_keys(key) \
		    .key_up(Keys.ALT).perform()

	def keys(self, *keys):
		ActionChains(self.d).send_keys(*keys).perform()

	def focused(self):
		return self.js("const a = document.activeElement; return a.id ||"
		    " a.className + ':' + a.textContent")

	def screenshot(self, name):
		os.makedirs(SHOTS, exist_ok=True)
		path = os.path.join(SHOTS, "%s.png" % name)
		self.d.save_screenshot(path)
		return path


# ---------------------------------------------------------------- chat-tui

class Tui:
	"""chat-tui in a private tmux server (its own socket), as
	tests/e2e/e2elib.sh runs it: typed at with send-keys, read with
	capture-pane."""

	sock = "chat-browser-%d" % os.getpid()
	conf = None

	def __init__(self, name, port, cols=100, rows=30):
		self.name = name
		if Tui.conf is None:
			Tui.conf = os.path.join(TMP, "tmux.conf")
			with open(Tui.conf, "w") as f:
				f.write("set -g exit-empty off\nset -g status off\n"
				    "set -g default-terminal tmux-256color\n"
				    "set -g escape-time 10\n")
			_cleanups.append(lambda: self.tmux("kill-server"))
		binary = os.environ.get("CHAT_TUI_BIN")
		check(binary and os.access(binary, os.X_OK), "CHAT_TUI_BIN not "
		    "set")
		cmd = "exec env TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 " \
		    "CHAT_TUI_LOG=%s %s -s 127.0.0.1:%d" % (
		    shlex.quote(os.path.join(TMP, "tui-%s.log" % name)),
		    shlex.quote(binary), port)
		self.tmux("new-session", "-d", "-s", name, "-x", str(cols),
		    "-y", str(rows), cmd)

	def tmux(self, *args):
		return subprocess.run(["tmux", "-u", "-L", Tui.sock, "-f",
		    Tui.conf] + list(args), stdout=subprocess.PIPE,
		    stderr=subprocess.STDOUT).stdout.decode("utf-8", "replace")

	def screen(self):
		return self.tmux("capture-pane", "-p", "-t", "=%s:" % self.name)

	def wait(self, regex, timeout=10):
		r = re.compile(regex, re.M)
		try:
			return wait_until(lambda: r.search(self.screen()),
			    timeout, "/%s/ on the screen" % regex)
		except Failure as e:
			fail("tui %s: %s\n%s" % (self.name, e, self.screen()))

	def type(self, text):
		self.tmux("send-keys", "-t", "=%s:" % self.name, "-l", "--",
		    text)

	def say(self, text):
		self.type(text)
		self.tmux("send-keys", "-t", "=%s:" % self.name, "Enter")

	def me(self):
		"""How others see us: the name, or the id without one."""
		m = re.search(r" \| (?:(\S+) \()?id (\d+)\)? \| ", self.status())
		return m and (m.group(1) or m.group(2))

	def my_id(self):
		m = self.wait(r"\| id (\d+) ")
		return m.group(1)
