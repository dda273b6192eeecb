#!/usr/bin/python3
"""The web client in a real browser (issue 14, "A browser client"): two
headless chromium sessions and one chat-tui chat in one room; ?room=;
hostile text shown as text; the keys; a phone-sized window; the server
restarted under them.  Works with a version 1 or 2 server (names, history
and no-gap recovery are in test-browser-v2.py).  Screenshots go to
browser-screenshots/ in the build tree."""

from browserlib import *

t = Tap()
srv = Server().start()
browsers = []
t.on_fail.append(lambda desc: [b.screenshot("FAILED-%d-%s" % (t.n, b.name))
    for b in browsers])

a = Browser(srv.url("/?room=lobby"), "a")
browsers.append(a)
t.check("a: the page connects (status bar: host, connected, id)",
    lambda: a.wait_status(r"^127\.0\.0\.1:%d \| connected \| (\S+ \()?id "
    r"\d+\)? \| " % srv.port))
A = a.my_id()


def v1_said():
	a.alt("1")
	a.wait_line(r"the server speaks protocol version 1: ids, no names, "
	    "no history")
	a.alt("2")


if "| v1" in a.status():
	t.check("a: a version 1 server is said in the status entry", v1_said)
t.check("a: ?room=lobby joins lobby at start", lambda: (
    a.wait_status(r"\| room lobby \|"),
    a.wait_line(r"-- you joined lobby --"),
    check(a.title() == "lobby", "title %r" % a.title())))
t.check("a: lobby is the current entry of the rooms pane", lambda:
    a.wait(lambda: "lobby *" in a.entries(), "lobby current"))
t.check("a: the users pane lists a alone, marked (you)", lambda:
    a.wait(lambda: a.users() == ["%s (you)" % A] or
    re.fullmatch(r"\S+ \(you\)", " ".join(a.users())), "a alone"))

b = Browser(srv.url("/?room=lobby"), "b")
browsers.append(b)
t.check("b: connected and in lobby", lambda: b.wait_status(
    r"\| connected \|.*\| room lobby \|"))
B = b.my_id()
t.check("a and b have different ids", lambda: check(A and B and A != B,
    "ids %r %r" % (A, B)))

c = Tui("c", srv.port)
C = t.check("c (chat-tui) connects", c.my_id)
c.say("/join lobby")
t.check("c: joined lobby", lambda: c.wait(r"\| room lobby \|"))
t.check("a: the users pane lists all three", lambda: a.wait_users(3))
t.check("a: sees c join", lambda: a.wait_line(r"-- %s joined --" % C))

a.say("hello from a")
t.check("a: its own message shown", lambda: a.wait_line(
    r"^\d\d:\d\d <%s> hello from a$" % A))
t.check("b: a's message shown", lambda: b.wait_line(
    r"^\d\d:\d\d <%s> hello from a$" % A))
t.check("c (tui): a's message shown", lambda: c.wait(
    r"<%s> hello from a" % A))
c.say("hello from the terminal, héllo wörld")
t.check("a and b: the tui's message shown, UTF-8 intact", lambda: [
    x.wait_line(r"<%s> hello from the terminal, héllo wörld$" % C)
    for x in (a, b)])
b.say("and from b")
t.check("a and c: b's message", lambda: (a.wait_line(r"<%s> and from b$" % B),
    c.wait(r"<%s> and from b" % B)))
t.check("a: messages in the order sent", lambda: check(
    [x[1] for x in a.texts()] == ["hello from a",
    "hello from the terminal, héllo wörld", "and from b"],
    "a's messages %r" % a.texts()))
t.check("screenshot: three in lobby", lambda: a.screenshot("1-lobby-a"))

# Hostile text from a browser and from the terminal.
HOSTILE = ["<script>window.pwned = 1</script>",
    "<img src=x onerror=\"window.pwned = 2\">",
    "<b>not bold</b> &amp; &lt;tag&gt; \"quoted\" 'single'",
    "javascript:alert(1) <a href=\"javascript:window.pwned=3\">x</a>"]
for h in HOSTILE[:2]:
	b.say(h)
for h in HOSTILE[2:]:
	c.say(h)


def hostile_as_text():
	want = [(x, HOSTILE[i]) for i, x in enumerate(["<%s>" % B] * 2 +
	    ["<%s>" % C] * 2)]
	a.wait(lambda: a.texts()[-4:] == want, "the four hostile lines "
	    "as text")
	n = a.js("return document.querySelectorAll('#messages script, "
	    "#messages img, #messages b, #messages a, #app script').length")
	check(n == 0, "%d elements made from message text" % n)
	check(a.js("return window.pwned") is None, "a script ran: pwned = %r"
	    % a.js("return window.pwned"))


t.check("a: <script>, <img onerror>, entities and links shown as text, "
    "no element made, nothing run", hostile_as_text)
t.check("screenshot: hostile text", lambda: a.screenshot("2-hostile-a"))

# Private message by command: recipient and sender only.
a.say("/msg %s psst-%d" % (B, os.getpid()))
t.check("a: /msg opens @%s and shows the echo" % B, lambda: (
    a.wait(lambda: a.title() == "@" + B, "title @" + B),
    a.wait_line(r"-> %s: psst-%d$" % (B, os.getpid()))))
t.check("b: the PM gets an @%s entry, unread" % A, lambda: b.wait(
    lambda: "@%s (1)" % A in b.entries(), "@%s (1)" % A))
b.alt("a")
t.check("b: Alt-a shows it", lambda: (
    b.wait(lambda: b.title() == "@" + A, "title @" + A),
    b.wait_line(r"<- %s: psst-%d$" % (A, os.getpid()))))
b.alt("2")
t.check("c: the PM is not shown to the third", lambda: check(
    "psst-%d" % os.getpid() not in c.screen(), c.screen()))

# Keys: Alt-2 back to lobby (status is 1), Alt-j prompt, Alt-l, Alt-m.
a.alt("2")
t.check("a: Alt-2 goes back to lobby", lambda: a.wait(
    lambda: a.title() == "lobby", "title lobby"))
a.alt("j")
t.check("a: Alt-j prompts 'join room:'", lambda: a.wait(lambda: a.js(
    "return document.getElementById('prompt').textContent") ==
    "join room:", "the prompt"))
a.say("side")
t.check("a: ...and joins the room typed", lambda: (
    a.wait_status(r"\| room side \|"), b.wait_line(r"-- %s left --" % A)))
a.alt("l")
t.check("a: Alt-l leaves", lambda: a.wait_status(r"\| room - \|"))
a.keys(Keys.F2)
t.check("a: F2 prompts too; Esc cancels", lambda: (a.wait(lambda: a.js(
    "return document.getElementById('prompt').textContent") ==
    "join room:", "F2 prompt"), a.keys(Keys.ESCAPE), a.wait(lambda: a.js(
    "return document.getElementById('prompt').textContent") == ">",
    "no prompt")))
a.say("/join lobby")
t.check("a: /join lobby", lambda: a.wait_status(r"\| room lobby \|"))
a.alt("m")
a.say(C)
t.check("a: Alt-m asks for a user and opens the conversation", lambda:
    a.wait(lambda: a.title() == "@" + C, "title @" + C))
a.say("hi terminal")
# chat-tui keeps each private conversation apart: the line waits, unread,
# under @A until c opens it.
t.check("c (tui): the PM waits unread in its own conversation", lambda:
    c.wait(r"@%s \(1\)" % re.escape(A)))
c.say("/query %s" % A)
t.check("c (tui): /query shows the PM typed in the conversation", lambda:
    c.wait(r"<- %s: hi terminal" % re.escape(A)))
c.tmux("send-keys", "-t", "=%s:" % c.name, "M-2")
t.check("c (tui): Alt-2 is back in lobby", lambda: c.wait(
    r"<1> and from b"))
a.alt("2")


def tab_order():
	# From the input, Shift-Tab walks back through the users pane and the
	# message pane to the rooms pane: every pane can be reached.
	a.input().click()
	seen = []
	for _ in range(12):
		a.keys(Keys.SHIFT, Keys.TAB)
		seen.append(a.focused())
	check("messages" in seen and any(s.startswith("user:") for s in seen)
	    and any(s.startswith("entry") for s in seen), "focus went %r" %
	    seen)


t.check("keyboard: every pane is in the focus order", tab_order)
t.check("a: text typed in a room entry not joined is refused", lambda: (
    a.alt("1"), a.say("nobody hears this"),
    a.wait_line(r"not in a room here"), a.alt("2")))

# A client that is not a browser: its room shows up with the periodic
# refresh; a very long line wraps instead of widening the page.
w = WsClient(srv.port)
w.join("made-elsewhere")
t.check("a: a room another client made appears in the rooms pane",
    lambda: a.wait(lambda: "made-elsewhere" in a.entries(),
    "made-elsewhere listed", 12))
w.join("lobby")
w.say("long " + "x" * 3000)


def long_line():
	a.wait_line(r"<%s> long x{3000}$" % w.id)
	r = a.js("const m = document.getElementById('messages');"
	    "return [m.scrollWidth, m.clientWidth, "
	    "document.documentElement.scrollWidth, window.innerWidth];")
	check(r[0] <= r[1] and r[2] <= r[3], "wider than its pane: %r" % r)


t.check("a: a 3000-character line wraps, nothing scrolls sideways",
    long_line)
t.check("a: the empty room leaves the rooms pane", lambda: a.wait(
    lambda: "made-elsewhere" not in a.entries(), "made-elsewhere gone", 12))

# A phone-sized window: one column, everything visible and usable.
p = Browser(srv.url("/?room=lobby"), "phone", 390, 844)
browsers.append(p)


def phone_layout():
	p.wait_status(r"\| room lobby \|")
	r = p.js("""const box = (id) => document.getElementById(id)
	    .getBoundingClientRect().toJSON();
	    return {w: window.innerWidth, h: window.innerHeight,
	    entries: box('entries'), messages: box('messages'),
	    users: box('users'), input: box('input'), status: box('status'),
	    scroll: document.documentElement.scrollWidth};""")
	check(r["scroll"] <= r["w"], "wider than the window: %r" % r)
	for k in ("entries", "messages", "users", "input", "status"):
		x = r[k]
		check(x["width"] > 0 and x["height"] > 0 and x["left"] >= 0 and
		    x["right"] <= r["w"] + 1 and x["bottom"] <= r["h"] + 1,
		    "%s not inside the window: %r" % (k, r))
	check(r["entries"]["bottom"] <= r["messages"]["top"] + 1 and
	    r["messages"]["bottom"] <= r["users"]["top"] + 1 and
	    r["users"]["bottom"] <= r["input"]["top"] + 1,
	    "not one column (rooms, messages, users, input): %r" % r)
	check(r["messages"]["width"] > 0.9 * r["w"] and
	    r["messages"]["height"] > 0.5 * r["h"], "messages cramped: %r" % r)


t.check("phone-sized window (390x844): one column, nothing off screen",
    phone_layout)
p.say("from a phone")
t.check("phone: chats like the others", lambda: a.wait_line(
    r"<%s> from a phone$" % p.my_id()))
t.check("screenshot: phone", lambda: p.screenshot("3-phone"))
p.quit()
browsers.remove(p)

# The server goes away and comes back on the same port: the pages say so,
# reconnect by themselves, rejoin lobby and chat again.
port = srv.port
t.check("server stopped (SIGTERM)", srv.stop)
t.check("a and b: status bar says disconnected", lambda: [x.wait_status(
    r"\| disconnected") for x in (a, b)])
t.check("a: the room says so", lambda: a.wait_line(r"-- disconnected.* --"))
t.check("screenshot: disconnected", lambda: a.screenshot("4-disconnected"))
t.check("server restarted on the same port", lambda: srv.start(port))
t.check("a and b: reconnect and rejoin lobby by themselves", lambda: [
    x.wait_status(r"\| connected \|.*\| room lobby \|", 20) for x in (a, b)])
t.check("c (tui) is back in lobby too", lambda: c.wait(
    r"\| connected \| id \d+ \| room lobby \|", 20))
a.say("after the restart")
t.check("messages flow again", lambda: (b.wait_line(
    r"<%s> after the restart$" % a.me()), c.wait(r"after the restart")))
t.check("the old lines are still on the page", lambda: check(
    any("hello from a" in l for l in b.lines()), b.show()))
t.check("screenshot: after the restart", lambda: b.screenshot("5-restarted"))


def console_clean():
	# Reading the log empties it: read once.  Failed connections while
	# the server was down are expected.
	logs = [l for x in (a, b) for l in x.console()]
	bad = [l for l in logs if l.startswith("SEVERE") and "WebSocket" not
	    in l and "ERR_CONNECTION_REFUSED" not in l]
	check(not bad, "\n".join(bad))


t.check("no errors in the browsers' consoles", console_clean)
t.check("server exits cleanly", srv.stop)
for x in (a, b):
	x.quit()
browsers[:] = []

# --allow-origin: a page from the server's own origin may connect, a
# server that allows only another origin refuses it (403) -- the page
# keeps trying and says it is not connected.
port = free_port()
own = Server(["--allow-origin", "http://127.0.0.1:%d" % port], port=port)
t.check("--allow-origin with the page's origin: server starts", own.start)
o = Browser(own.url("/?room=origin"), "origin")
browsers.append(o)
t.check("...the page connects and joins", lambda: o.wait_status(
    r"\| connected \|.*\| room origin \|"))
t.check("...server exits cleanly", own.stop)
o.quit()
browsers.remove(o)
other = Server(["--allow-origin", "https://chat.example.org"])
t.check("--allow-origin with another origin: server starts", other.start)
o = Browser(other.url("/?room=origin"), "origin-refused")
browsers.append(o)


def refused():
	o.wait_status(r"\| disconnected")
	time.sleep(scaled(1))
	check("connected" not in o.status().replace("disconnected", ""),
	    o.show())
	check(o.my_id() is None, "got an id: %s" % o.status())


t.check("...the page is refused: never connected, no id", refused)
t.check("...server exits cleanly", other.stop)
o.quit()
browsers.remove(o)

# TLS: the page over https:// talks to wss:// on the same port (the
# certificate is self-signed, hence --ignore-certificate-errors).
cert, key = tls_files()
secure = Server(["--tls-cert", cert, "--tls-key", key])
t.check("TLS server starts", secure.start)
s = Browser(secure.url("/?room=secure"), "tls",
    args=["--ignore-certificate-errors"])
browsers.append(s)
t.check("https:// page: connected over wss:// and in the room", lambda: (
    check(s.d.current_url.startswith("https://"), s.d.current_url),
    s.wait_status(r"\| connected \|.*\| room secure \|")))
s.say("over tls")
t.check("https:// page: chats", lambda: s.wait_line(r"> over tls$"))
t.check("TLS server exits cleanly", secure.stop)
t.done()
