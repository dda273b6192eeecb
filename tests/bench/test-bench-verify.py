"""chat-bench must fail, not report a number, when the server misbehaves.

A deliberately faulty in-process server (python3-websockets) speaks just
enough of the protocol for the fanout and pm scenarios and breaks one rule
per case: it drops a message, swaps two, lies about a sender id, or answers
the handshake with a wrong Sec-WebSocket-Accept.  A correct server must
pass, also when it splits every message into several frames.  With -P the
same server listens on three ports, like three nodes of one cluster: the
connections must be spread evenly and still be verified.  TAP output.
"""
import asyncio
import json
import logging
import os
import socket
import subprocess
import sys

import websockets

BENCH = os.environ.get("CHAT_BENCH_BIN", "")
logging.getLogger("websockets").setLevel(logging.CRITICAL)
logging.getLogger("asyncio").setLevel(logging.CRITICAL)


class FaultyServer:
    def __init__(self, fault):
        self.fault = fault
        self.next_id = 0
        self.rooms = {}
        self.users = {}
        self.count = 0
        self.held = None
        self.per_port = {}

    async def send(self, ws, obj):
        text = json.dumps(obj, separators=(",", ":"))
        if self.fault == "fragment":
            # valid, just unusual: every message in 3 frames
            n = len(text) // 3
            await ws.send([text[:n], text[n:2 * n], text[2 * n:]])
        else:
            await ws.send(text)

    async def deliver(self, ws, obj, victim):
        # Faults hit one recipient only (so the sender's own echo, its
        # acknowledgement, keeps flowing) after a few messages went through.
        if not victim:
            await self.send(ws, obj)
            return
        self.count += 1
        if self.fault == "drop" and self.count == 20:
            return
        if self.fault == "swap" and self.count == 20:
            self.held = obj
            return
        if self.fault == "sender" and self.count == 20:
            obj = dict(obj, user_id=str(int(obj["user_id"]) + 1))
        await self.send(ws, obj)
        if self.held is not None and self.count == 21:
            await self.send(ws, self.held)
            self.held = None

    async def handler(self, ws, path=None):
        uid = str(self.next_id)
        self.next_id += 1
        port = ws.local_address[1]
        self.per_port[port] = self.per_port.get(port, 0) + 1
        self.users[uid] = ws
        room = None
        await self.send(ws, {"action": "connection", "user_id": uid})
        try:
            async for raw in ws:
                req = json.loads(raw)
                act = req.get("action")
                if act == "join":
                    room = req["room"]
                    members = self.rooms.setdefault(room, [])
                    for m in members:
                        await self.send(self.users[m], {"action": "join",
                                        "room": room, "user_id": uid})
                    members.append(uid)
                    await self.send(ws, {"action": "join", "room": room})
                elif act == "room_message":
                    out = {"action": "room_message", "room": room,
                           "user_id": uid, "message": req["message"]}
                    members = self.rooms[room]
                    for m in members:
                        await self.deliver(self.users[m], out,
                                           m == members[-1] and m != uid)
                elif act == "private_message":
                    to = req["user_id"]
                    await self.send(ws, {"action": "private_message",
                                         "user_id": to,
                                         "message": req["message"]})
                    await self.deliver(self.users[to],
                                       {"action": "private_message",
                                        "user_id": uid,
                                        "message": req["message"]},
                                       int(to) % 2 == 1)
        except websockets.ConnectionClosed:
            pass
        finally:
            del self.users[uid]
            if room is not None:
                self.rooms[room].remove(uid)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


async def bad_accept(reader, writer):
    # a 101 reply whose Sec-WebSocket-Accept does not match the key
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 101 Switching Protocols\r\n"
                 b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                 b"\r\n\x81\x25"
                 b'{"action":"connection","user_id":"0"}')
    await writer.drain()
    await asyncio.sleep(2)
    writer.close()


async def run_case(fault, args, nodes):
    """Run chat-bench against one server on `nodes` ports; -P when more
    than one.  Returns (status, output, connections per port)."""
    ports = [free_port() for _ in range(nodes)]
    fs = FaultyServer(fault)
    srvs = []
    for port in ports:
        if fault == "accept":
            srvs.append(await asyncio.start_server(bad_accept, "127.0.0.1",
                                                   port))
        else:
            srvs.append(await websockets.serve(fs.handler, "127.0.0.1",
                                               port))
    where = (["-p", str(ports[0])] if nodes == 1 else
             ["-P", ",".join(map(str, ports))])
    proc = await asyncio.create_subprocess_exec(
        BENCH, *where, *args, "-t", "1", "--drain", "2",
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, _ = await proc.communicate()
    for srv in srvs:
        srv.close()
        await srv.wait_closed()
    return (proc.returncode, out.decode(errors="replace"),
            [fs.per_port.get(p, 0) for p in ports])


def main():
    if not BENCH or not os.access(BENCH, os.X_OK):
        print("1..0 # SKIP chat-bench not built")
        return 0
    fanout = ["fanout", "--rooms", "1", "--members", "4", "--senders", "1",
              "--window", "4"]
    pm = ["pm", "--pairs", "2"]
    cases = [
        ("correct server passes fanout", None, fanout, 0),
        ("correct server passes pm", None, pm, 0),
        ("fragmented messages are reassembled", "fragment", fanout, 0),
        ("a dropped room message fails fanout", "drop", fanout, 1),
        ("two swapped room messages fail fanout", "swap", fanout, 1),
        ("a wrong sender id fails fanout", "sender", fanout, 1),
        ("a dropped private message fails pm", "drop", pm, 1),
        ("swapped private messages fail pm", "swap", pm, 1),
        ("a wrong Sec-WebSocket-Accept fails", "accept",
         ["conn", "-n", "1"], 1),
    ]
    fanout6 = ["fanout", "--rooms", "2", "--members", "6", "--senders",
               "2", "--window", "4"]
    pm3 = ["pm", "--pairs", "3"]
    # (name, fault, args, expected status, nodes, connections per node)
    cases = [c + (1, None) for c in cases] + [
        ("-P: fanout over 3 nodes, 4 connections each", None, fanout6, 0,
         3, 4),
        ("-P: pm over 3 nodes, 2 connections each", None, pm3, 0, 3, 2),
        ("-P: conn over 3 nodes, 5 connections each", None,
         ["conn", "-n", "15"], 0, 3, 5),
        ("-P: a dropped room message still fails fanout", "drop", fanout6,
         1, 3, None),
    ]
    print("1..%d" % len(cases))
    for n, (name, fault, args, want, nodes, each) in enumerate(cases, 1):
        rc, out, per_port = asyncio.run(run_case(fault, args, nodes))
        ok = rc == want and (want == 0 or "result=FAIL" in out)
        if want == 0:
            ok = ok and "result=PASS" in out
        if each is not None and per_port != [each] * nodes:
            ok = False
            out += "\nconnections per port: %s, expected %d each" % (
                per_port, each)
        print("%s %d - %s" % ("ok" if ok else "not ok", n, name))
        if not ok:
            for line in out.splitlines():
                print("# " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
