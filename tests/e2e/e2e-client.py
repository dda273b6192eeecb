#!/usr/bin/python3
"""A scripted chat client for the end-to-end tests: what the TUI under test
is shown comes from here when it cannot be typed (escape sequences, huge
lines) or when it must come from a client that is not a TUI.

usage: e2e-client.py PORT STEP...

Steps, run in order:
  join ROOM        join and wait for the reply (escapes as for send)
  send TEXT        room message, waiting for its echo; TEXT may hold
                   \\xHH, \\uHHHH, \\UHHHHHHHH, \\n, \\r, \\t and \\\\ escapes
  long N TEXT      room message of TEXT repeated to N characters
  pm ID TEXT       private message (escapes as for send), waiting for the echo
  recv N           wait for N room messages from others, printing each as
                   "msg ID TEXT"
  linger           stay connected until killed
Prints "id N" once connected and "done" after the last step (flushed), so
the shell can wait for it.  Exit status 0 when every step was answered.
"""

import asyncio
import json
import re
import sys

import websockets.client
import websockets.exceptions

_ESC = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[nrt\\])")


def unescape(s):
	def one(m):
		e = m.group(1)
		if e == "n":
			return "\n"
		if e == "t":
			return "\t"
		if e == "r":
			return "\r"
		if e == "\\":
			return "\\"
		return chr(int(e[1:], 16))
	return _ESC.sub(one, s)


async def expect(ws, pred, what):
	async def loop():
		while True:
			m = json.loads(await ws.recv())
			if m.get("action") == "error":
				raise SystemExit("server error while waiting for %s: %s"
				    % (what, m.get("message")))
			if pred(m):
				return m
	return await asyncio.wait_for(loop(), 20)


async def main(argv):
	port, steps = argv[1], argv[2:]
	url = "ws://127.0.0.1:%s/chatserver/connect" % port
	async with websockets.client.connect(url, max_size=None,
	    ping_interval=None) as ws:
		m = await expect(ws, lambda m: m.get("action") == "connection",
		    "connection")
		me = m["user_id"]
		print("id %s" % me, flush=True)
		i = 0
		while i < len(steps):
			op = steps[i]
			if op == "join":
				room = unescape(steps[i + 1])
				i += 2
				await ws.send(json.dumps({"action": "join",
				    "room": room}))
				# the reply, not another member's notification
				await expect(ws, lambda m: m.get("action") == "join"
				    and m.get("room") == room and
				    m.get("user_id", me) == me, "join")
			elif op in ("send", "long"):
				if op == "send":
					text = unescape(steps[i + 1])
					i += 2
				else:
					n, unit = int(steps[i + 1]), unescape(steps[i + 2])
					i += 3
					text = (unit * (n // len(unit) + 1))[:n]
				await ws.send(json.dumps({"action": "room_message",
				    "message": text}))
				await expect(ws, lambda m: m.get("action") ==
				    "room_message" and m.get("message") == text,
				    "room message echo")
			elif op == "pm":
				to, text = steps[i + 1], unescape(steps[i + 2])
				i += 3
				await ws.send(json.dumps({"action": "private_message",
				    "user_id": to, "message": text}))
				await expect(ws, lambda m: m.get("action") ==
				    "private_message" and m.get("message") == text,
				    "private message echo")
			elif op == "recv":
				# N room messages from others, each printed
				n = int(steps[i + 1])
				i += 2
				while n > 0:
					m = json.loads(await ws.recv())
					if m.get("action") == "room_message" and \
					    m.get("user_id") != me:
						print("msg %s %s" % (m.get("user_id"),
						    m.get("message")), flush=True)
						n -= 1
			elif op == "linger":
				i += 1
				print("done", flush=True)
				while True:
					await ws.recv()
			else:
				raise SystemExit("unknown step %r" % op)
		print("done", flush=True)


if __name__ == "__main__":
	try:
		asyncio.run(main(sys.argv))
	except websockets.exceptions.ConnectionClosed:
		# linger ends here when the server goes away
		sys.exit(0)
