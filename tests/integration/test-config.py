#!/usr/bin/python3
"""chat-server -c FILE: every limit can be set in a config file, the
command line overrides it, and a bad file stops the server with a message
naming the line (exit 78, EX_CONFIG)."""

import re
import subprocess
import tempfile

import chatlib
from chatlib import *

suite = Suite()

CONF = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
CONF.write("""# limits for this test
max-message = 10
max-room-name = 5
   rate-limit = 0          
max-frame=4096
""")
CONF.close()


@suite.test("limits from the config file apply", args=["-c", CONF.name])
async def _(srv):
	a = await srv.client()
	await a.send({"action": "join", "room": "abcdef"})
	await a.expect({"action": "error", "message": "invalid room name"})
	await a.join("abcde")
	await a.send({"action": "room_message", "message": "x" * 11})
	await a.expect({"action": "error", "message": "invalid message"})
	await a.send({"action": "room_message", "message": "x" * 10})
	await a.expect({"action": "room_message", "room": "abcde",
	    "user_id": a.id, "message": "x" * 10})
	# rate-limit = 0: a burst far over the default 50 goes through.
	for i in range(120):
		await a.send({"action": "rooms"})
	for i in range(120):
		await a.expect({"action": "rooms", "rooms": ["abcde"]})


@suite.test("the command line overrides the file",
    args=["-c", CONF.name, "--max-message", "20"])
async def _(srv):
	a = await srv.client()
	await a.join("r")
	await a.send({"action": "room_message", "message": "y" * 20})
	await a.expect({"action": "room_message", "room": "r",
	    "user_id": a.id, "message": "y" * 20})
	await a.send({"action": "room_message", "message": "y" * 21})
	await a.expect({"action": "error", "message": "invalid message"})


def run_bad(text):
	with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
		f.write(text)
		f.flush()
		# -h: the file is read first, then the help ends the run.
		p = subprocess.run([os.environ["CHAT_SERVER_BIN"], "-c", f.name,
		    "-h"], capture_output=True, text=True, timeout=10)
		return p.returncode, p.stderr, f.name


@suite.test("a bad config file is refused with its line named")
async def _(srv):
	for text, what in (("port = 8080\nmax-mesage = 5\n", "unknown setting"),
	    ("\n\nmax-message = lots\n", "bad value"),
	    ("rate-limit\n", "expected key = value")):
		rc, err, name = run_bad(text)
		check(rc == 78, "%r: exit %d, stderr %r" % (text, rc, err))
		check(what in err, "%r: stderr %r" % (text, err))
	rc, err, name = run_bad("max-message = lots\n")
	check(("%s:1" % name) in err, "line not named: %r" % err)


@suite.test("the sample config shipped in data/ parses")
async def _(srv):
	sample = os.path.join(os.environ.get("CHAT_TESTS_SRCDIR", "tests"),
	    "..", "data", "chat-server.conf")
	with open(sample) as f:
		text = f.read()
	# Every key is commented out in the sample: turn them on.
	on = "\n".join(l[1:] if l.startswith("#") and "=" in l and
	    not l.startswith("# ") else l for l in text.splitlines())
	on = "\n".join(l for l in on.splitlines()
	    if not l.startswith(("tls-", "allow-origin")))
	keys = [l.split("=")[0].strip() for l in on.splitlines()
	    if "=" in l and not l.startswith("#")]
	check(len(keys) >= 10 and "max-queue" in keys,
	    "sample keys not found: %r" % keys)
	rc, err, name = run_bad(on + "\n")
	check(rc == 0, "sample did not parse: exit %d, %r" % (rc, err))


def run_server(*args):
	p = subprocess.run([os.environ["CHAT_SERVER_BIN"]] + list(args),
	    capture_output=True, text=True, timeout=10)
	return p.returncode, p.stdout, p.stderr


@suite.test("--help lists every setting, with the default in use")
async def _(srv):
	rc, out, err = run_server("--help")
	check(rc == 0, "--help: exit %d, %r" % (rc, err))
	names = re.findall(r"--([a-z-]+)", out)
	settings = [n for n in names if n not in ("config", "help", "version")]
	check(len(settings) >= 15 and len(set(names)) == len(names),
	    "options in --help: %r" % names)
	# Every option but -c/-h/-V is a config-file key, and no other is.
	for n in settings:
		value = "1" if n != "listen" else "127.0.0.1"
		if n == "max-frame": value = "1000"
		if n == "max-queue": value = "2048"
		rc, err, _ = run_bad("%s = %s\n" % (n, value))
		check("unknown setting" not in err, "%s: %r" % (n, err))
	for n in ("config", "help", "version"):
		rc, err, _ = run_bad("%s = 1\n" % n)
		check(rc == 78 and "unknown setting '%s'" % n in err,
		    "%s accepted in a file: %r" % (n, err))
	for opt, default in (("port", "8080"), ("max-queue", "1048576"),
	    ("rate-limit", "20/50"), ("listen", "127.0.0.1"),
	    ("ping-interval", "30")):
		# An option's entry and its continuation lines, joined.
		entry = re.search(r"--%s .*(\n {32}.*)*" % opt, out).group(0)
		check(entry.endswith("(%s)" % default), "%s: %r" % (opt, entry))


@suite.test("an out-of-range number is refused with its bounds named")
async def _(srv):
	rc, out, err = run_server("--max-queue", "1000", "-h")
	check(rc == 64 and "chat-server: command line: bad value for "
	    "max-queue: '1000' (must be 1024 to 1099511627776)" in err,
	    "exit %d, %r" % (rc, err))
	rc, err, name = run_bad("port = 70000\n")
	check(rc == 78 and "%s:1: bad value for port: '70000' (must be 0 to "
	    "65535)" % name in err, "exit %d, %r" % (rc, err))
	rc, out, err = run_server("-p", "x")
	check(rc == 64 and "chat-server: -p: bad value for port: 'x'" in err,
	    "exit %d, %r" % (rc, err))


def run_briefly(*args):
	"""The server with args, on a free port: its exit status and stderr,
	or a failure if it started to serve instead."""
	port = str(chatlib._free_port())
	try:
		p = subprocess.run([os.environ["CHAT_SERVER_BIN"], "-p", port] +
		    list(args), capture_output=True, text=True,
		    timeout=scaled(3))
	except subprocess.TimeoutExpired:
		fail("the server ran with %r" % (args,))
	return p.returncode, p.stderr


@suite.test("ping settings lws cannot hold in 16 bits are refused")
async def _(srv):
	rc, out, err = run_server("--ping-interval", "65536", "-h")
	check(rc == 64 and "command line: bad value for ping-interval: "
	    "'65536' (must be 0 to 65535)" in err, "exit %d, %r" % (rc, err))
	rc, err, name = run_bad("ping-timeout = 70000\n")
	check(rc == 78 and "%s:1: bad value for ping-timeout: '70000' (must "
	    "be 1 to 65535)" % name in err, "exit %d, %r" % (rc, err))
	# lws hangs up after interval + timeout, in 16 bits too: 65540 would
	# drop idle clients after 4 s.
	sum_err = ("chat-server: ping-interval + ping-timeout must be at most "
	    "65535 seconds, not 65540\n")
	rc, err = run_briefly("--ping-interval", "65530", "--ping-timeout", "10")
	check(rc == 64 and err == sum_err, "exit %d, %r" % (rc, err))
	with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
		f.write("ping-interval = 65530\nping-timeout = 10\n")
		f.flush()
		rc, err = run_briefly("-c", f.name)
		check(rc == 64 and err == sum_err, "exit %d, %r" % (rc, err))
	# At the bound, and with pings off, any timeout goes.
	for args in (("--ping-interval", "65525", "--ping-timeout", "10"),
	    ("--ping-interval", "0", "--ping-timeout", "65535")):
		rc, out, err = run_server(*(args + ("-h",)))
		check(rc == 0, "%r: exit %d, %r" % (args, rc, err))


suite.run()
