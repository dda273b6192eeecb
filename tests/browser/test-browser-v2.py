#!/usr/bin/python3
"""The web client on protocol version 2 (issue 14): names, the session
token in localStorage (same user after a reload), history on join, a
mention, the connection cut under a page while the room keeps talking
(every missed message shown once, in order, under "-- N messages while
disconnected --", paged past one history reply), and a server that lost
its history (epoch change).  Screenshots in browser-screenshots/."""

from browserlib import *

t = Tap()
# No flood control: the test talks faster than a person.
srv = Server(["--rate-limit", "0"]).start()
browsers = []
t.on_fail.append(lambda desc: [b.screenshot("FAILED-v2-%d-%s" % (t.n,
    b.name)) for b in browsers])


def prompt_is(x, text):
	return x.wait(lambda: x.js("return document.getElementById('prompt')"
	    ".textContent") == text, "prompt %r" % text)


a = Browser(srv.url("/?room=lobby"), "a")
browsers.append(a)
if not t.check("a: the server speaks version 2", lambda: a.wait_status(
    r"\| room lobby \| v2$")):
	t.bail("not a version 2 server:\n" + a.show())
A = a.my_id()
a.say("/nick alice")
t.check("a: /nick alice shows in the status bar", lambda: a.wait_status(
    r"\| alice \(id %s\) \|" % A))
t.check("a: ...and in the users pane", lambda: a.wait(lambda:
    a.users() == ["alice (you)"], "users [alice (you)]"))

b = Browser(srv.url("/?room=lobby"), "b")
browsers.append(b)
t.check("b: in lobby", lambda: b.wait_status(r"\| room lobby \| v2$"))
b.say("/nick bob")
t.check("b: named bob", lambda: b.wait_status(r"\| bob \(id \d+\) \|"))
B = b.my_id()
t.check("a: sees bob's rename and lists alice and bob", lambda: (
    a.wait_line(r"-- %s is now bob --" % B),
    a.wait(lambda: sorted(a.users()) == ["alice (you)", "bob"],
    "users alice, bob")))

c = Tui("c", srv.port)
C = t.check("c (chat-tui) connects", c.my_id)
c.say("/join lobby")
t.check("c: in lobby", lambda: c.wait(r"\| room lobby \|"))
a.say("hello, I am alice")
t.check("b: names on messages", lambda: b.wait_line(
    r"^\d\d:\d\d <alice> hello, I am alice$"))
t.check("c (tui): gets alice's message", lambda: c.wait(
    r"<(alice|%s)> hello, I am alice" % A))
c.say("a terminal says hi to bob")
t.check("a and b: the tui's message", lambda: [x.wait_line(
    r"<\S+> a terminal says hi to bob$") for x in (a, b)])
t.check("b: a line that names bob is highlighted", lambda: b.wait(
    lambda: b.js("return Array.from(document.querySelectorAll("
    "'#messages .line.mention'), (l) => l.textContent)")[-1:] and
    b.js("return document.querySelector('#messages .line.mention "
    ".text').textContent") == "a terminal says hi to bob",
    "the mention highlighted"))
b.alt("1")
a.say("bob: are you there?")
t.check("b: a mention while elsewhere marks the lobby entry", lambda: b.wait(
    lambda: b.js("return document.querySelector("
    "'#entry-list button.mention[data-key=\"lobby\"]') !== null"),
    "lobby marked as mentioned"))
b.alt("a")
t.check("b: Alt-a goes to it", lambda: b.wait(lambda: b.title() ==
    "lobby", "title lobby"))
t.check("screenshot: names and a mention", lambda: b.screenshot(
    "v2-1-names-b"))

# A private message by name.
b.say("/msg alice just for you")
t.check("a: a PM by name arrives from bob", lambda: a.wait(lambda:
    "@bob (1)" in a.entries(), "@bob (1) entry"))
t.check("b: its echo in @alice", lambda: (b.wait(lambda: b.title() ==
    "@alice", "title @alice"), b.wait_line(r"-> alice: just for you$")))
b.alt("2")

# History on join: what was said before the page came.
h = WsClient(srv.port, hello=True)
h.send({"action": "nick", "name": "hist"})
h.expect("nick")
h.join("hist-room")
for i in range(1, 4):
	h.say("said before you came %d" % i)
d = Browser(srv.url("/?room=hist-room"), "d")
browsers.append(d)


def history_shown():
	d.wait_line(r"-- end of history --")
	want = [("<hist>", "said before you came %d" % i) for i in (1, 2, 3)]
	check(d.texts() == want, "messages %r, expected %r" % (d.texts(),
	    want))
	lines = d.lines()
	check(lines.index(next(l for l in lines if "end of history" in l)) >
	    lines.index(next(l for l in lines if "you came 3" in l)),
	    "the marker is not below the history: %r" % lines)


t.check("d: history on join, in order, above the marker", history_shown)
h.say("said after you came")
t.check("d: then live messages as usual", lambda: d.wait_line(
    r"<hist> said after you came$"))
d.quit()
browsers.remove(d)

# The same user after a reload: the token is in localStorage.
a.d.refresh()
t.check("a: after a reload, the same id and name", lambda: a.wait_status(
    r"\| connected \| alice \(id %s\) \|" % A))
t.check("a: the token is in localStorage (43 characters)", lambda: check(
    re.fullmatch(r"[A-Za-z0-9_-]{43}", a.js("return localStorage"
    ".getItem('chat.token')") or ""), a.js("return localStorage"
    ".getItem('chat.token')")))
t.check("a: back in lobby", lambda: a.wait_status(r"\| room lobby \|"))

# A second tab of the same browser shares localStorage, so the session:
# the first tab is replaced (close code 4000) and does not fight back.
first = a.d.current_window_handle
a.d.switch_to.new_window("tab")
a.d.get(srv.url("/?room=lobby"))
t.check("a, second tab: the same user", lambda: a.wait_status(
    r"\| connected \| alice \(id %s\) \| room lobby \|" % A))
second = a.d.current_window_handle
a.d.switch_to.window(first)


def replaced():
	a.wait_status(r"\| replaced \(4000 replaced\) \|")
	a.wait_line(r"-- this session was opened in another window; "
	    r"/reconnect takes it back --")
	time.sleep(scaled(2))
	check("| replaced" in a.status(), "it reconnected: " + a.status())


t.check("a, first tab: replaced, says so, stays off", replaced)
a.d.switch_to.window(second)
a.d.close()
a.d.switch_to.window(first)
a.say("/reconnect")
t.check("a, first tab: /reconnect takes the session back", lambda:
    a.wait_status(r"\| connected \| alice \(id %s\) \| room lobby \|" %
    A))

# The connection cut under a page while the room keeps talking: e comes
# through a relay the test can cut.
relay = Proxy(srv.port)
e = Browser(srv.url("/?room=gap", relay.port), "e")
browsers.append(e)
t.check("e (through a relay): in room gap", lambda: e.wait_status(
    r"\| room gap \| v2$"))
E = e.my_id()
p = WsClient(srv.port, hello=True)
p.join("gap")
p.say("before the cut")
t.check("e: sees the room", lambda: e.wait_line(r"<%s> before the cut$" %
    p.id))
N = 230		# more than one history reply (200) holds
relay.down()
t.check("e: says it is disconnected", lambda: e.wait_status(
    r"\| disconnected"))
t.check("screenshot: cut off", lambda: e.screenshot("v2-2-cut-e"))
for i in range(1, N + 1):
	p.send({"action": "room_message", "message": "missed %d" % i})
p.expect("room_message", message="missed %d" % N)
relay.resume()


def no_gap():
	e.wait_status(r"\| connected \| id %s \| room gap \|" % E, 30)
	e.wait_line(r"-- %d messages while disconnected --" % N, 20)
	p.say("after the cut")
	e.wait_line(r"<%s> after the cut$" % p.id)
	got = [x[1] for x in e.texts()]
	want = ["before the cut"] + ["missed %d" % i for i in
	    range(1, N + 1)] + ["after the cut"]
	if got != want:
		extra = [g for g in got if got.count(g) > 1]
		fail("messages not each once and in order: %d shown, %d "
		    "wanted; duplicates %r; missing %r" % (len(got), len(want),
		    sorted(set(extra))[:5], [w for w in want if w not in
		    got][:5]))
	lines = e.lines()
	at = next(i for i, l in enumerate(lines) if "while disconnected" in l)
	check(lines[at + 1].endswith("missed 1"), "the marker is not just "
	    "above the first missed message: %r" % lines[at - 1:at + 3])


t.check("e: back as the same user, every missed message once, in order, "
    "under the marker, then live ones", no_gap)
t.check("screenshot: the gap filled", lambda: e.screenshot("v2-3-gap-e"))
e.quit()
browsers.remove(e)

# A server without its history (in memory, restarted): a new epoch.
port = srv.port
t.check("server restarted", lambda: (srv.stop(), srv.start(port)))
t.check("a: says history was lost", lambda: a.wait_line(
    r"-- the server lost its history: showing the latest --", 30))
t.check("a: back in lobby under its name", lambda: a.wait_status(
    r"\| connected \| alice \(id \d+\) \| room lobby \| v2$", 20))
t.check("screenshot: epoch change", lambda: a.screenshot("v2-4-epoch-a"))
t.check("server exits cleanly", srv.stop)

# A server that keeps its state in a database, restarted while a page is
# cut off and the room goes on: same epoch, same session, nothing lost.
db = os.path.join(TMP, "chat.db")
durable = Server(["--db", db, "--rate-limit", "0"])
t.check("server with --db starts", durable.start)
relay = Proxy(durable.port)
f = Browser(durable.url("/?room=kept", relay.port), "f")
browsers.append(f)
t.check("f: in room kept", lambda: f.wait_status(r"\| room kept \| v2$"))
f.say("/nick frank")
t.check("f: named frank", lambda: f.wait_status(r"\| frank \(id \d+\) \|"))
F = f.my_id()
f.say("said before the restart")
t.check("f: its line", lambda: f.wait_line(r"<frank> said before the "
    r"restart$"))
relay.down()
t.check("f: disconnected", lambda: f.wait_status(r"\| disconnected"))
port = durable.port
t.check("server with --db restarted", lambda: (durable.stop(),
    durable.start(port)))
q = WsClient(durable.port, hello=True)
q.join("kept")
for i in range(1, 6):
	q.say("said while frank was away %d" % i)
relay.resume()


def durable_no_gap():
	f.wait_status(r"\| connected \| frank \(id %s\) \| room kept \|" % F,
	    30)
	f.wait_line(r"-- 5 messages while disconnected --", 20)
	got = [x[1] for x in f.texts()]
	want = ["said before the restart"] + ["said while frank was away %d" %
	    i for i in range(1, 6)]
	check(got == want, "messages %r, expected %r" % (got, want))
	check(not any("lost its history" in l for l in f.lines()),
	    "history said lost: %r" % f.lines())


t.check("f: after the restart the same user, the same epoch, the 5 "
    "missed lines once", durable_no_gap)
t.check("screenshot: restart with --db", lambda: f.screenshot(
    "v2-5-durable-f"))
t.check("server with --db exits cleanly", durable.stop)
t.done()
