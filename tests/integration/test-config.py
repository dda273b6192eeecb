#!/usr/bin/python3
"""chat-server -c FILE: every limit can be set in a config file, the
command line overrides it, and a bad file stops the server with a message
naming the line (exit 78, EX_CONFIG)."""

import subprocess
import tempfile

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


suite.run()
