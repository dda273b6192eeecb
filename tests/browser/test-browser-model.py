#!/usr/bin/python3
"""web/chat-model.js on its own, in the browser: the model is imported by
a page of the real server and fed server messages by hand, so every path
is reached whatever the server speaks -- a version 1 server (hello refused:
bare ids, no history), an expired token, history paged after a reconnect
with live messages arriving meanwhile (each message once, in seq order,
under the marker), a changed epoch, mentions, PM echoes."""

import json

from browserlib import *

t = Tap()
srv = Server().start()
b = Browser(srv.url("/index.html"), "model")

# A model with a fake socket (sent[]) and store; run(steps) feeds it and
# returns what it sent and the lines of every entry.
HARNESS = r"""
const done = arguments[arguments.length - 1];
const steps = arguments[0], start = arguments[1];
import("/chat-model.js").then((M) => {
	const sent = [], store = new Map(Object.entries(start.store || {}));
	const model = new M.ChatModel((m) => { sent.push(m); return true; }, {
		getItem: (k) => store.has(k) ? store.get(k) : null,
		setItem: (k, v) => store.set(k, String(v)),
		removeItem: (k) => store.delete(k),
	}, () => {});
	if (start.room)
		model.startRoom = start.room;
	const out = [];
	for (const s of steps) {
		const mark = sent.length;
		if (s.state)
			model.onState(s.state, "");
		else if (s.input)
			model.input(s.input);
		else
			model.onMessage(s);
		out.push(sent.slice(mark));
	}
	const entries = {};
	for (const [k, e] of model.entries)
		entries[k] = e.lines.map((l) => [l.kind, l.from || "", l.text,
		    !!l.mention]);
	done({ sent: out, entries, version: model.version, room: model.room,
	    me: model.me, store: Object.fromEntries(store) });
}).catch((e) => done({ error: String(e) + "\n" + e.stack }));
"""


def run(steps, **start):
	r = b.d.execute_async_script(HARNESS, steps, start)
	check("error" not in r, "the model threw: %s" % r.get("error"))
	return r


def texts(r, key, kind=None):
	return [l[2] for l in r["entries"].get(key, []) if kind is None or
	    l[0] == kind]


def eq(got, want, what):
	if got == want:
		return
	if isinstance(got, list) and isinstance(want, list) and len(want) > 8:
		i = next((i for i, (g, w) in enumerate(zip(got, want)) if g != w),
		    min(len(got), len(want)))
		fail("%s: %d items, expected %d; from item %d: %s, expected %s" %
		    (what, len(got), len(want), i, json.dumps(got[i:i + 4]),
		    json.dumps(want[i:i + 4])))
	fail("%s: %s, expected %s" % (what, json.dumps(got), json.dumps(want)))


CONN = {"action": "connection", "user_id": "5"}
V1 = {"action": "error", "message": "unknown action: hello"}


def version1():
	r = run([{"state": "connected"}, CONN, V1,
	    {"action": "join", "room": "lobby"},
	    {"action": "room_message", "room": "lobby", "user_id": "7",
	    "message": "<b>hi</b>"},
	    {"state": "disconnected"}, {"state": "connected"},
	    {"action": "connection", "user_id": "9"}, V1,
	    {"action": "join", "room": "lobby"}],
	    room="lobby", store={"chat.name": "alice"})
	s = r["sent"]
	eq(s[1], [{"action": "hello"}], "hello on connect")
	eq(s[2], [{"action": "rooms"}, {"action": "join", "room": "lobby"}],
	    "after the refused hello: no nick, rooms and ?room=")
	eq(s[3], [{"action": "participants", "room": "lobby"}],
	    "on join: participants, no history")
	eq(r["version"], 1, "version")
	eq(texts(r, "lobby", "msg"), ["<b>hi</b>"], "lobby messages")
	eq(r["entries"]["lobby"][1][1], "7", "a bare id as sender")
	eq(s[8], [{"action": "rooms"}, {"action": "join", "room": "lobby"}],
	    "after a reconnect: the room again")
	eq(r["me"]["id"], "9", "the new id")
	check(texts(r, "lobby", "marker") == ["-- the server keeps no history: "
	    "what was said while you were disconnected is not shown --"],
	    texts(r, "lobby"))
	eq(texts(r, "status", "notice").count("the server speaks protocol "
	    "version 1: ids, no names, no history"), 1, "said once")


t.check("version 1: hello refused, bare ids, no history, rejoin, said once",
    version1)


def token():
	r = run([CONN, {"action": "error", "message": "invalid token"},
	    {"action": "hello", "user_id": "5", "token": "N" * 43,
	    "epoch": "e1", "features": []}],
	    store={"chat.token": "O" * 43, "chat.name": "alice"})
	s = r["sent"]
	eq(s[0], [{"action": "hello", "token": "O" * 43}], "hello with token")
	eq(s[1], [{"action": "hello"}], "after invalid token: a fresh hello")
	eq(s[2], [{"action": "nick", "name": "alice"}, {"action": "rooms"}],
	    "then the stored name")
	eq(r["store"].get("chat.token"), "N" * 43, "the new token kept")


t.check("version 2: an invalid token is dropped, a new session named again",
    token)


def rm(seq, text, uid="7", name=None):
	m = {"action": "room_message", "room": "r", "user_id": uid,
	    "message": text, "seq": str(seq), "ts": "1700000000000"}
	if name:
		m["name"] = name
	return m


def hist(msgs):
	return {"action": "history", "room": "r", "messages": [
	    {k: v for k, v in m.items() if k not in ("action", "room")}
	    for m in msgs]}


HELLO = {"action": "hello", "user_id": "5", "token": "T" * 43, "epoch": "e1",
    "name": "alice", "features": ["names", "history", "sessions"]}


def recovery():
	page1 = [rm(s, "m%d" % s) for s in range(13, 213)]
	steps = [CONN, HELLO, {"action": "join", "room": "r"},
	    rm(12, "m12"),				# live, before the history
	    hist([rm(10, "m10"), rm(11, "m11"), rm(12, "m12")]),
	    rm(12, "m12"),				# a duplicate
	    {"state": "disconnected"}, {"state": "connected"}, CONN, HELLO,
	    {"action": "join", "room": "r"},
	    hist(page1),				# a full page: more
	    rm(214, "m214"),				# live meanwhile
	    hist([rm(213, "m213"), rm(214, "m214")]),
	    rm(214, "m214"), rm(215, "m215")]
	r = run(steps, room="r")
	s = r["sent"]
	eq(s[2], [{"action": "participants", "room": "r"},
	    {"action": "history", "room": "r", "limit": "50"}],
	    "first join: the latest 50")
	eq(s[10][-1], {"action": "history", "room": "r", "after": "12",
	    "limit": "200"}, "rejoin: after the last seq seen")
	eq(s[11], [{"action": "history", "room": "r", "after": "212",
	    "limit": "200"}], "a full page: the next one")
	eq(texts(r, "r", "msg"), ["m%d" % i for i in range(10, 216)],
	    "every message once, in order")
	lines = texts(r, "r")
	at = lines.index("-- 201 messages while disconnected --")
	eq(lines[at + 1], "m13", "the marker above the first missed one")
	check(lines.index("-- end of history --") < lines.index("m13"),
	    "the first join's marker: %r" % lines[:8])


t.check("version 2: history on join and after a reconnect, paged, live "
    "messages meanwhile, duplicates dropped", recovery)


def epoch():
	r = run([CONN, HELLO, {"action": "join", "room": "r"},
	    hist([rm(3, "old")]), {"state": "disconnected"},
	    {"state": "connected"}, CONN, dict(HELLO, epoch="e2"),
	    {"action": "join", "room": "r"}], room="r")
	eq(r["sent"][8][-1], {"action": "history", "room": "r", "limit": "50"},
	    "after an epoch change: the latest, not after a stale seq")
	check("-- the server lost its history: showing the latest --" in
	    texts(r, "r", "marker"), texts(r, "r"))


t.check("version 2: a new epoch says history was lost, shows the latest",
    epoch)


def mentions_and_pms():
	r = run([CONN, HELLO, {"action": "join", "room": "r"}, hist([]),
	    rm(1, "hi Alice!"), rm(2, "malice aforethought"),
	    rm(3, "alice: look", uid="5"),
	    {"input": "/msg bob hello"},
	    {"action": "private_message", "user_id": "8", "name": "bob",
	    "message": "hello"},
	    {"action": "private_message", "user_id": "8", "name": "bob",
	    "message": "hello"}], room="r")
	eq([l[3] for l in r["entries"]["r"] if l[0] == "msg"],
	    [True, False, False], "mentions (not in a longer word, not own)")
	eq(r["sent"][7], [{"action": "private_message", "message": "hello",
	    "name": "bob"}], "/msg by name")
	eq([l[0] for l in r["entries"]["@8"]], ["pm-out", "pm-in"],
	    "the echo, then a PM from bob")


t.check("mentions; a PM by name, its echo and a delivery", mentions_and_pms)
t.check("server exits cleanly", srv.stop)
t.done()
