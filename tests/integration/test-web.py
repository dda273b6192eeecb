#!/usr/bin/python3
"""The web client's files on the chat port (issue 14, "A browser client"):
GET / and the files of the web root, byte for byte, with their types;
404 for anything else, traversal attempts included; --web-root, --no-web,
the config file keys; over https when the server has TLS; the WebSocket
endpoint and --allow-origin unchanged beside it."""

import re

from chatlib import *

suite = Suite(server_args=["--web-root", os.environ.get("CHAT_WEB_ROOT", "")])

WEB_ROOT = os.environ.get("CHAT_WEB_ROOT", "")
WEB = ["--web-root", WEB_ROOT]
TYPES = {".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8"}


def get(path, port, extra=""):
	return "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s\r\n" % (path, port,
	    extra)


async def web_get(srv, path, extra=""):
	"""(status, headers, body) of GET path, over TLS when srv has it."""
	if srv.ssl is None:
		return await http_request(srv.port, get(path, srv.port, extra))
	r, w = await asyncio.open_connection("127.0.0.1", srv.port,
	    ssl=srv.ssl, server_hostname="127.0.0.1")
	try:
		w.write(get(path, srv.port, "Connection: close\r\n").encode())
		data = await asyncio.wait_for(r.read(), scaled(5))
	finally:
		w.close()
	head, _, body = data.partition(b"\r\n\r\n")
	lines = head.decode("latin-1").split("\r\n")
	hdrs = dict((k.strip().lower(), v.strip()) for k, v in
	    (l.split(":", 1) for l in lines[1:] if ":" in l))
	return int(lines[0].split()[1]), hdrs, body


def source(name, root=None):
	with open(os.path.join(root or WEB_ROOT, name), "rb") as f:
		return f.read()


def web_files():
	names = sorted(n for n in os.listdir(WEB_ROOT)
	    if os.path.splitext(n)[1] in TYPES)
	check("index.html" in names, "no index.html in %s" % WEB_ROOT)
	return names


async def expect_file(srv, path, name, root=None):
	st, h, body = await web_get(srv, path)
	check(st == 200, "GET %s: status %d, expected 200" % (path, st))
	want = TYPES[os.path.splitext(name)[1]]
	check(h.get("content-type") == want, "GET %s: content-type %r, "
	    "expected %r" % (path, h.get("content-type"), want))
	check(body == source(name, root), "GET %s: body is not %s byte for "
	    "byte (%d bytes, file %d)" % (path, name, len(body),
	    len(source(name, root))))
	check(h.get("x-content-type-options") == "nosniff",
	    "GET %s: no x-content-type-options: nosniff: %r" % (path, h))


@suite.test("GET / is index.html; a query string is ignored", args=WEB)
async def _(srv):
	for p in ("/", "/index.html", "/?room=lobby", "/index.html?x=1&y"):
		await expect_file(srv, p, "index.html")


@suite.test("every file of web/ byte for byte with its content-type",
    args=WEB)
async def _(srv):
	names = web_files()
	check(any(n.endswith(".js") for n in names) and
	    any(n.endswith(".css") for n in names), "files: %r" % names)
	for n in names:
		await expect_file(srv, "/" + n, n)


@suite.test("the page loads every script as a module, nothing from "
    "elsewhere")
async def _(srv):
	names = web_files()
	page = source("index.html").decode()
	scripts = "".join(source(n).decode() for n in names if n.endswith(".js"))
	for n in names:
		if n.endswith(".js"):
			check('<script type="module" src="%s"></script>' % n in
			    page or '"./%s"' % n in scripts, "%s is loaded by "
			    "neither the page nor another module" % n)
	for n in names:
		text = source(n).decode()
		for bad in ("http://", "https://", "//cdn", "innerHTML",
		    "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
			check(bad not in text, "%s has %r" % (n, bad))


@suite.test("missing files, other types and directories: 404", args=WEB)
async def _(srv):
	bad = []
	for p in ("/nope.html", "/favicon.ico", "/Makefile.am",
	    "/Makefile.in", "/index", "/index.html/", "/index.htm",
	    "/index.html.orig", "/INDEX.HTML", "/chatserver",
	    "/chatserver/", "/web/index.html", "/%69ndex.html.bak",
	    "/.hidden.js"):
		st, h, body = await web_get(srv, p)
		if st != 404:
			bad.append("%s -> %d" % (p, st))
	check(not bad, "expected 404: %s" % ", ".join(bad))


def hostile_root():
	"""A web root with a secret beside it, a dot file, a file of an
	unknown type and a directory named like a script inside it."""
	import tempfile
	top = tempfile.mkdtemp(prefix="chat-web-")
	root = os.path.join(top, "root")
	os.makedirs(os.path.join(root, "sub"))
	os.makedirs(os.path.join(root, "dir.js"))
	files = {"secret.txt": "SECRET-OUTSIDE\n",
	    "root/index.html": "<!doctype html><title>other</title>\n",
	    "root/.hidden.txt": "SECRET-DOTFILE\n",
	    "root/data.bin": "SECRET-BINARY\n",
	    "root/sub/a.css": "p { color: red }\n"}
	for n, text in files.items():
		with open(os.path.join(top, n), "w") as f:
			f.write(text)
	return top, root


TOP, ROOT = hostile_root()
import atexit
import shutil
atexit.register(shutil.rmtree, TOP, True)

TRAVERSAL = ["/../secret.txt", "/%2e%2e/secret.txt", "/.%2e/secret.txt",
    "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt", "/sub/../../secret.txt",
    "/sub/%2e%2e/%2e%2e/secret.txt", "//../secret.txt", "/./../secret.txt",
    "/..\\secret.txt", "/sub/..%5c..%5csecret.txt", "/%252e%252e/secret.txt",
    "/..;/secret.txt", "/.hidden.txt", "/%2ehidden.txt", "/sub/../.hidden.txt",
    "/data.bin", "/dir.js", "/dir.js/", "/secret.txt", "/root/index.html",
    "/sub/a.css%00.html", "/index.html%00", "/" + "a/" * 200 + "x.css"]


@suite.test("traversal attempts and dot files: 404, nothing leaks",
    args=["--web-root", ROOT])
async def _(srv):
	bad = []
	for p in TRAVERSAL:
		try:
			st, h, body = await web_get(srv, p)
		except Failure as e:
			# lws hangs up on a NUL in the path before we see it.
			check("closed without an HTTP response (got b'')" in
			    str(e), "%s: %s" % (p, e))
			st, body = 0, b""
		# lws refuses some of these itself (400) before we see them.
		if st not in (0, 400, 404) or b"SECRET" in body:
			bad.append("%s -> %d %r" % (p, st, body[:40]))
	check(not bad, "; ".join(bad))
	# The root itself is served, a subdirectory too.
	await expect_file(srv, "/", "index.html", ROOT)
	await expect_file(srv, "/sub/a.css", "sub/a.css", ROOT)
	st, h, body = await web_get(srv, "/sub/../index.html")
	check(st in (200, 404) and b"SECRET" not in body, "/sub/../index.html "
	    "-> %d" % st)


@suite.test("--web-root DIR serves DIR, not the default",
    args=["--web-root", ROOT])
async def _(srv):
	await expect_file(srv, "/", "index.html", ROOT)
	st, h, body = await web_get(srv, "/chat.css")
	check(st == 404, "a file of web/ under another root: %d" % st)


@suite.test("--no-web: / is 404 and WebSockets still work",
    args=WEB + ["--no-web"])
async def _(srv):
	for p in ["/", "/index.html"] + ["/" + n for n in web_files()]:
		st, h, body = await web_get(srv, p)
		check(st == 404, "--no-web: %s -> %d" % (p, st))
	a = await srv.client()
	await a.usable()


@suite.test("--web-root that is not a directory: exit 78 with a message")
async def _(srv):
	for root in (os.path.join(TOP, "nope"), os.path.join(TOP,
	    "secret.txt")):
		r = await asyncio.create_subprocess_exec(
		    os.environ["CHAT_SERVER_BIN"], "-p", "0", "--web-root", root,
		    stdout=asyncio.subprocess.PIPE,
		    stderr=asyncio.subprocess.STDOUT)
		out, _ = await asyncio.wait_for(r.communicate(), scaled(10))
		check(r.returncode == 78, "%s: status %d" % (root, r.returncode))
		want = "chat-server: web root %s: not a directory\n" % root
		check(out.decode() == want, "output %r, expected %r" %
		    (out.decode(), want))


def config_file(text):
	path = os.path.join(TOP, "conf-%d" % len(text))
	with open(path, "w") as f:
		f.write(text)
	return path


@suite.test("config file: web-root = DIR",
    args=["-c", config_file("web-root = %s\n" % ROOT)])
async def _(srv):
	await expect_file(srv, "/", "index.html", ROOT)


@suite.test("config file: no-web = yes",
    args=WEB + ["-c", config_file("no-web = yes\n")])
async def _(srv):
	st, h, body = await web_get(srv, "/")
	check(st == 404, "no-web = yes: / -> %d" % st)


@suite.test("config file: no-web = maybe is refused")
async def _(srv):
	path = config_file("no-web = maybe\n")
	r = await asyncio.create_subprocess_exec(os.environ["CHAT_SERVER_BIN"],
	    "-p", "0", "-c", path, stdout=asyncio.subprocess.PIPE,
	    stderr=asyncio.subprocess.STDOUT)
	out, _ = await asyncio.wait_for(r.communicate(), scaled(10))
	check(r.returncode != 0, "status %d" % r.returncode)
	want = "chat-server: %s:1: bad value for no-web: 'maybe'\n" % path
	check(out.decode() == want, "output %r, expected %r" % (out.decode(),
	    want))


@suite.test("keep-alive: several files on one connection", args=WEB)
async def _(srv):
	r, w = await asyncio.open_connection("127.0.0.1", srv.port)
	try:
		for n in ["index.html"] + web_files():
			w.write(get("/" + n, srv.port).encode())
			head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"),
			    scaled(5))
			check(head.startswith(b"HTTP/1.1 200 "), "%s: %r" %
			    (n, head[:40]))
			ln = int(re.search(rb"(?i)content-length: *(\d+)",
			    head).group(1))
			body = await asyncio.wait_for(r.readexactly(ln),
			    scaled(5))
			check(body == source(n), "%s: wrong body" % n)
	finally:
		w.transport.abort()


@suite.test("over TLS: https:// serves the page, wss:// the chat")
async def _(srv):
	tls = await Server(WEB, suite, tls=True).start()
	try:
		check(tls.ssl is not None, "the server has no TLS")
		await expect_file(tls, "/", "index.html")
		a = await tls.client()
		await a.usable()
	finally:
		await suite._close_open()
		await tls.stop()


@suite.test("--allow-origin: the page's own origin may upgrade, others "
    "not", args=WEB + ["--allow-origin", "http://chat.example:8080"])
async def _(srv):
	await expect_file(srv, "/", "index.html")
	x = await srv.raw(headers={"Origin": "http://chat.example:8080"})
	await x.usable()
	try:
		x = await RawClient.connect(srv.port, headers={"Origin":
		    "http://127.0.0.1:%d" % srv.port})
	except HandshakeError as e:
		check(e.status == 403, "status %d, expected 403" % e.status)
	else:
		x.abort()
		fail("an origin not allowed was accepted")


suite.run()
