#!/usr/bin/python3
"""A scripted stand-in for chat-server, for what the real one cannot be made
to send on demand: replies larger than its own limits.

usage: e2e-server.py PORT NROOMS

Greets each client with {"action":"connection","user_id":"1"}, answers
"rooms" with NROOMS names of 64 bytes (each "NNNNN-" and then e-acute
escaped as \\u00e9, so about 180 bytes of JSON a name), "join ROOM" with its
join reply, and a join of the room "huge" with a room message of 16 MiB + 1
bytes (over chat-tui's limit), and anything else (hello...) as a version 1
server does: error "unknown action: X".  Prints "listening" once it accepts and
"connection" for each client and "rooms sent" after each rooms reply.
"""

import asyncio
import json
import sys

import websockets.server

FRAME_MAX = 16 * 1024 * 1024


def room_name(i):
	name = "%05d-" % i
	while len((name + "\u00e9").encode()) <= 64:
		name += "\u00e9"
	return name


async def serve(ws, nrooms):
	await ws.send(json.dumps({"action": "connection", "user_id": "1"}))
	print("connection", flush=True)
	async for raw in ws:
		req = json.loads(raw)
		act = req.get("action")
		if act == "rooms":
			rooms = [room_name(i) for i in range(nrooms)]
			await ws.send(json.dumps({"action": "rooms", "rooms": rooms}))
			print("rooms sent", flush=True)
		elif act == "join" and req.get("room") == "huge":
			head = json.dumps({"action": "room_message", "room": "huge",
			    "user_id": "2", "message": ""})
			text = "x" * (FRAME_MAX + 1 - len(head))
			await ws.send(head[:-2] + text + head[-2:])
		elif act == "join":
			await ws.send(json.dumps({"action": "join",
			    "room": req.get("room")}))
		elif act == "participants":
			await ws.send(json.dumps({"action": "participants",
			    "room": req.get("room"), "participants": ["1"]}))
		else:
			# As a version 1 server answers hello, nick, history...
			await ws.send(json.dumps({"action": "error",
			    "message": "unknown action: %s" % act}))
			print("unknown %s" % act, flush=True)


async def main():
	port, nrooms = int(sys.argv[1]), int(sys.argv[2])
	async with websockets.server.serve(lambda ws: serve(ws, nrooms),
	    "127.0.0.1", port, max_size=None, compression=None):
		print("listening", flush=True)
		await asyncio.Future()

asyncio.run(main())
