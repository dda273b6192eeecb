#!/usr/bin/python3
"""Metrics, health and logs (issue 14).

A real chat-server with --metrics on a free port: /metrics in Prometheus's
text format (checked by promtool, which must be installed: a machine
without it fails, it does not skip), /healthz, 404 for anything else.
Traffic moves every counter by exactly the amount it should; each close
reason is counted under its label; and the -v event log has exactly the
expected key=value lines and never a word of message text."""

import atexit
import re
import shutil
import subprocess
import tempfile

from chatlib import *
from chatlib import _free_port
from faultlib import StuckClient

suite = Suite()

ACTIONS = ["join", "leave", "room_message", "private_message", "rooms",
    "participants", "hello", "nick", "history", "invalid"]
KINDS = ["invalid_json", "missing_action", "unknown_action", "missing_field",
    "invalid_room", "invalid_message", "not_in_room", "no_such_room",
    "no_such_user", "binary", "rate_limit", "hello_not_first",
    "invalid_token", "invalid_name", "name_taken", "invalid_limit",
    "invalid_seq", "internal", "other"]
REASONS = ["client", "lost", "ping_timeout", "slow_consumer",
    "frame_too_big", "rate_limit", "replaced", "shutdown", "error"]
# Text sent by clients: none of it may reach the log.
SECRET = "SECRET-%d" % os.getpid()

SAMPLE = re.compile(r'([a-z_]+)(\{[a-z_]+="[^"]*"\})? (\S+)')


async def get(srv, path, method="GET"):
	return await http_request(srv.metrics_port, "%s %s HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nConnection: close\r\n\r\n" % (method, path))


def promtool_check(text):
	tool = shutil.which("promtool")
	check(tool is not None, "promtool not found (Debian package "
	    "prometheus; tools/deps.sh installs it)")
	r = subprocess.run([tool, "check", "metrics"], input=text.encode(),
	    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
	check(r.returncode == 0 and r.stdout.strip() == b"",
	    "promtool check metrics: status %d\n%s" % (r.returncode,
	    r.stdout.decode("utf-8", "replace")))


def parse(text):
	"""{'name{label="v"}': value} of every sample; each line must be a
	HELP/TYPE comment or a sample."""
	out = {}
	for line in text.splitlines():
		if line.startswith("# HELP ") or line.startswith("# TYPE "):
			continue
		m = SAMPLE.fullmatch(line)
		check(m is not None, "not a sample line: %r" % line)
		key = m.group(1) + (m.group(2) or "")
		check(key not in out, "sample %s twice" % key)
		out[key] = float(m.group(3))
	return out


async def scrape(srv):
	status, hdrs, body = await get(srv, "/metrics")
	check(status == 200, "/metrics: HTTP %d" % status)
	check(hdrs.get("content-type", "").startswith("text/plain; "
	    "version=0.0.4"), "/metrics content-type %r" %
	    hdrs.get("content-type"))
	return parse(body.decode())


def labels(samples, name, label):
	pre = '%s{%s="' % (name, label)
	return sorted(k[len(pre):-2] for k in samples if k.startswith(pre))


def deltas(before, after):
	"""Counters (…_total) that changed, and by how much."""
	return {k: after[k] - before.get(k, 0) for k in after
	    if "_total" in k and after[k] != before.get(k, 0)}


def expect_deltas(before, after, want):
	got = deltas(before, after)
	want = {k: v for k, v in want.items() if v != 0}
	check(got == want, "counter changes:\n  got  %s\n  want %s" %
	    (jdump(got), jdump(want)))


def req(action):
	return 'chat_requests_total{action="%s"}' % action


def err(kind):
	return 'chat_error_replies_total{kind="%s"}' % kind


def closed(reason):
	return 'chat_closed_total{reason="%s"}' % reason


def events(srv):
	return [l for l in srv.output().splitlines() if l.startswith("event=")]


def check_no_text(srv):
	out = srv.output()
	check(SECRET not in out, "message text in the server's log:\n%s" %
	    "\n".join(l for l in out.splitlines() if SECRET in l))


async def check_events(srv, patterns):
	"""The event lines, in order, match patterns (regular expressions,
	whole lines) exactly (once as many lines have come)."""
	async def probe():
		return len(events(srv)) >= len(patterns) or not srv.alive()
	await wait_until(probe, what="%d event lines" % len(patterns))
	got = events(srv)
	ok = len(got) == len(patterns) and all(re.fullmatch(p, l)
	    for p, l in zip(patterns, got))
	check(ok, "event lines:\n  got\n    %s\n  want\n    %s" % (
	    "\n    ".join(got), "\n    ".join(patterns)))


async def wait_counter(srv, key, value, timeout=5.0):
	async def probe():
		s = await scrape(srv)
		return s if s.get(key) == value else None
	return await wait_until(probe, timeout, what="%s == %s" % (key, value))


M = ["--metrics", "auto", "-v"]


@suite.test("/metrics is Prometheus text that promtool passes; every label "
    "value listed; build info; histogram consistent", args=M)
async def _(srv):
	status, hdrs, body = await get(srv, "/metrics")
	check(status == 200, "HTTP %d" % status)
	promtool_check(body.decode())
	s = parse(body.decode())
	check(labels(s, "chat_requests_total", "action") == sorted(ACTIONS),
	    "actions %s" % labels(s, "chat_requests_total", "action"))
	check(labels(s, "chat_error_replies_total", "kind") == sorted(KINDS),
	    "kinds %s" % labels(s, "chat_error_replies_total", "kind"))
	check(labels(s, "chat_closed_total", "reason") == sorted(REASONS),
	    "reasons %s" % labels(s, "chat_closed_total", "reason"))
	check(labels(s, "chat_users", "version") == ["1", "2"],
	    "versions %s" % labels(s, "chat_users", "version"))
	v = subprocess.run([os.environ["CHAT_SERVER_BIN"], "-V"],
	    stdout=subprocess.PIPE).stdout.decode().split()[-1]
	check(s.get('chat_build_info{version="%s"}' % v) == 1,
	    "no chat_build_info{version=\"%s\"} 1" % v)
	for k in ("chat_connections", "chat_rooms", "chat_deliveries_total",
	    "chat_store_seconds_sum", "chat_store_seconds_count"):
		check(s.get(k) == 0, "%s = %s on an idle server" % (k, s.get(k)))
	# Buckets: ascending bounds, cumulative counts, +Inf == count.
	bs = [(k[len('chat_store_seconds_bucket{le="'):-2], v)
	    for k, v in s.items() if k.startswith("chat_store_seconds_bucket")]
	check(len(bs) >= 5 and bs[-1][0] == "+Inf", "buckets %s" % bs)
	bounds = [float(b) for b, _ in bs[:-1]]
	check(bounds == sorted(bounds) and len(set(bounds)) == len(bounds),
	    "bucket bounds not ascending: %s" % bounds)
	counts = [v for _, v in bs]
	check(counts == sorted(counts), "buckets not cumulative: %s" % counts)
	check(counts[-1] == s["chat_store_seconds_count"],
	    "+Inf bucket %s != count %s" % (counts[-1],
	    s["chat_store_seconds_count"]))
	# HEAD: the headers only.
	status, hdrs, body = await get(srv, "/metrics", "HEAD")
	check(status == 200 and body == b"", "HEAD /metrics: %d %r" %
	    (status, body[:100]))


@suite.test("/healthz answers 200 ok; any other path 404", args=M)
async def _(srv):
	status, hdrs, body = await get(srv, "/healthz")
	check((status, body) == (200, b"ok\n"), "/healthz: %d %r" %
	    (status, body))
	for path in ("/", "/metrics/x", "/healthz/", "/metricsx", "/x",
	    "/chatserver/connect", "/favicon.ico"):
		status, hdrs, body = await get(srv, path)
		check(status == 404, "%s: HTTP %d, expected 404" % (path,
		    status))
	# A query string does not change the path.
	status, hdrs, body = await get(srv, "/healthz?verbose=1")
	check(status == 200, "/healthz?verbose=1: HTTP %d" % status)


@suite.test("traffic moves each counter by exactly its amount; gauges; "
    "open/close log lines; no message text logged", args=M)
async def _(srv):
	s0 = await scrape(srv)
	a = await srv.client()
	b = await srv.client()
	r = uniq()
	await a.join(r)
	await b.join(r)
	await a.expect({"action": "join", "room": r, "user_id": b.id})
	s = await scrape(srv)
	check((s["chat_connections"], s['chat_users{version="1"}'],
	    s['chat_users{version="2"}'], s["chat_rooms"]) == (2, 2, 0, 1),
	    "gauges (connections, users v1, v2, rooms): %s" % jdump([
	    s["chat_connections"], s['chat_users{version="1"}'],
	    s['chat_users{version="2"}'], s["chat_rooms"]]))
	await a.send({"action": "room_message", "message": SECRET + " 1"})
	for c in (a, b):
		await c.expect({"action": "room_message", "room": r,
		    "user_id": a.id, "message": SECRET + " 1"})
	await a.send({"action": "private_message", "user_id": b.id,
	    "message": SECRET + " 2"})
	await b.expect({"action": "private_message", "user_id": a.id,
	    "message": SECRET + " 2"})
	await a.expect({"action": "private_message", "user_id": b.id,
	    "message": SECRET + " 2"})
	await a.rooms()
	await a.participants(r)
	# Every kind of mistake, from b.
	await b.send("not json " + SECRET)
	await b.expect_error("invalid JSON")
	await b.send({"action": SECRET})
	await b.expect_error("unknown action: " + SECRET)
	check(await b.participants("no-" + SECRET) is None, "participants")
	await b.send({"action": "private_message", "user_id": "999999",
	    "message": SECRET + " 5"})
	await b.expect_error("user 999999 is not on the server")
	await b.send(SECRET.encode())
	await b.expect_error("binary frames are not supported")
	await b.send({"action": "join"})
	await b.expect_error("missing field: room")
	await b.leave(r)
	await a.expect({"action": "leave", "room": r, "user_id": b.id})
	await b.send({"action": "leave"})
	await b.expect_error("user was not in a room")
	await b.send({"action": "room_message", "message": SECRET + " 6"})
	await b.expect_error("user is not in a room")
	await b.send({"action": "join", "room": ""})
	await b.expect_error("invalid room name")
	await b.send({"message": SECRET})
	await b.expect_error("missing action")
	await b.send({"action": "room_message", "message": ""})
	await b.expect_error("invalid message")
	await a.close()
	s1 = await wait_counter(srv, 'chat_users{version="1"}', 1)
	check((s1["chat_connections"], s1['chat_users{version="1"}'],
	    s1["chat_rooms"]) == (1, 1, 0), "gauges after a's close: %s" %
	    jdump([s1["chat_connections"], s1['chat_users{version="1"}'],
	    s1["chat_rooms"]]))
	expect_deltas(s0, s1, {
	    req("join"): 2, req("leave"): 2, req("room_message"): 2,
	    req("private_message"): 2, req("rooms"): 1,
	    req("participants"): 2, req("invalid"): 7,
	    # 2 hellos, 3 join replies/notices, 2 room messages, 2 private,
	    # rooms, participants, 11 errors, leave reply and notice.
	    "chat_deliveries_total": 2 + 3 + 2 + 2 + 1 + 1 + 11 + 2,
	    err("invalid_json"): 1, err("unknown_action"): 1,
	    err("no_such_room"): 1, err("no_such_user"): 1, err("binary"): 1,
	    err("missing_field"): 1, err("not_in_room"): 2,
	    err("invalid_room"): 1, err("missing_action"): 1,
	    err("invalid_message"): 1,
	    closed("client"): 1,
	})
	await check_events(srv, [
	    r"event=open conn=1 user=%s addr=127\.0\.0\.1" % a.id,
	    r"event=open conn=2 user=%s addr=127\.0\.0\.1" % b.id,
	    r"event=close conn=1 user=%s reason=client duration_ms=\d+" % a.id,
	])
	check_no_text(srv)
	await srv.stop()
	await check_events(srv, [
	    r"event=open conn=1 user=%s addr=127\.0\.0\.1" % a.id,
	    r"event=open conn=2 user=%s addr=127\.0\.0\.1" % b.id,
	    r"event=close conn=1 user=%s reason=client duration_ms=\d+" % a.id,
	    r"event=close conn=2 user=%s reason=shutdown duration_ms=\d+" %
	    b.id,
	])


@suite.test("close reasons: frame_too_big, lost, ping_timeout, each once "
    "and logged", args=M + ["--max-frame", "1024", "--ping-interval", "1",
    "--ping-timeout", "1"], timeout=20)
async def _(srv):
	s0 = await scrape(srv)
	live = await srv.client()	# answers pings: stays
	big = await srv.raw()
	await big.send_frame(OP_TEXT, b'"' + b"x" * 2000 + b'"')
	code, _ = await big.expect_close()
	check(code == 1009, "big frame: close %s" % code)
	await wait_counter(srv, closed("frame_too_big"), 1)
	lost = await srv.raw()
	lost.abort()
	await wait_counter(srv, closed("lost"), 1)
	deaf = await srv.raw()		# never reads, so never answers a ping
	t0 = time.monotonic()
	s1 = await wait_counter(srv, closed("ping_timeout"), 1, timeout=10)
	took = time.monotonic() - t0
	check(took >= 1.5, "the deaf client was dropped after %.1fs, before "
	    "ping interval + timeout (2 s)" % took)
	check(not live.closed, "the client that answers pings was dropped")
	expect_deltas(s0, s1, {closed("frame_too_big"): 1, closed("lost"): 1,
	    closed("ping_timeout"): 1, "chat_deliveries_total": 4})
	check(s1["chat_connections"] == 1, "connections %s" %
	    s1["chat_connections"])
	ids = [live.id, big.id, lost.id, deaf.id]
	await check_events(srv, [
	    r"event=open conn=1 user=%s addr=127\.0\.0\.1" % ids[0],
	    r"event=open conn=2 user=%s addr=127\.0\.0\.1" % ids[1],
	    r"event=close conn=2 user=%s reason=frame_too_big "
	    r"duration_ms=\d+" % ids[1],
	    r"event=open conn=3 user=%s addr=127\.0\.0\.1" % ids[2],
	    r"event=close conn=3 user=%s reason=lost duration_ms=\d+" % ids[2],
	    r"event=open conn=4 user=%s addr=127\.0\.0\.1" % ids[3],
	    r"event=close conn=4 user=%s reason=ping_timeout "
	    r"duration_ms=\d+" % ids[3],
	])


@suite.test("a flooder: 99 rate-limit errors, closed as rate_limit, one "
    "rate_limited log line", args=M + ["--rate-limit", "0.01/5"], timeout=20)
async def _(srv):
	f = await srv.raw()
	r = uniq()
	await f.join(r)
	s0 = await scrape(srv)
	f.write(b"".join(build_frame(OP_TEXT, json.dumps({
	    "action": "room_message", "message": SECRET}).encode())
	    for _ in range(200)))
	await f.drain()
	code, _ = await f.expect_close(timeout=10)
	check(code == 1008, "flooder closed with %s" % code)
	got = [json.loads(p) for op, p in f.skipped if op == OP_TEXT]
	nerr = sum(m == {"action": "error", "message": "rate limit exceeded"}
	    for m in got)
	nmsg = sum(m.get("action") == "room_message" for m in got)
	check(nerr == 99 and nmsg + nerr == len(got),
	    "the flooder got %d errors, %d messages of %d frames" % (nerr,
	    nmsg, len(got)))
	s1 = await wait_counter(srv, closed("rate_limit"), 1)
	expect_deltas(s0, s1, {err("rate_limit"): 99,
	    req("room_message"): nmsg, "chat_deliveries_total": nmsg + 99,
	    closed("rate_limit"): 1})
	await check_events(srv, [
	    r"event=open conn=1 user=%s addr=127\.0\.0\.1" % f.id,
	    r"event=rate_limited conn=1 user=%s" % f.id,
	    r"event=close conn=1 user=%s reason=rate_limit duration_ms=\d+" %
	    f.id,
	])
	check_no_text(srv)


@suite.test("a slow consumer: closed as slow_consumer and logged",
    args=M + ["--max-queue", "65536", "--rate-limit", "0"], timeout=60)
async def _(srv):
	stuck = await StuckClient.connect(srv.port, rcvbuf=4096)
	try:
		sender = await srv.client()
		text = SECRET + " " + "p" * 3000
		msg = {"action": "private_message", "user_id": stuck.id,
		    "message": text}
		gone = {"action": "error",
		    "message": "user %s is not on the server" % stuck.id}
		# Rounds of 10 (30 KB, under the sender's own bound), read
		# back, until the server's socket buffer towards the stuck
		# client and then its queue are full and it is dropped.
		for i in range(2000):
			for _ in range(10):
				await sender.send(msg)
			replies = [await sender.recv() for _ in range(10)]
			if gone in replies:
				break
			check(replies == [msg] * 10, "replies %s" %
			    jdump(replies)[:300])
		check(gone in replies, "never closed as a slow consumer")
		s = await wait_counter(srv, "chat_connections", 1)
		check(s[closed("slow_consumer")] == 1, "closes %s" %
		    jdump(deltas({}, s)))
	finally:
		stuck.close()
	await check_events(srv, [
	    r"event=open conn=1 user=%s addr=127\.0\.0\.1" % stuck.id,
	    r"event=open conn=2 user=%s addr=127\.0\.0\.1" % sender.id,
	    r"event=slow_consumer conn=1 queued_bytes=\d+",
	    r"event=close conn=1 user=%s reason=slow_consumer "
	    r"duration_ms=\d+" % stuck.id,
	])
	check_no_text(srv)


_tmp = tempfile.mkdtemp(prefix="chat-metrics-db-")
atexit.register(shutil.rmtree, _tmp, True)


@suite.test("version 2: chat_users{version} moves on hello and close; "
    "--db: chat_store_seconds counts SQLite commits, /healthz ok",
    args=M + ["--db", os.path.join(_tmp, "chat.db")])
async def _(srv):
	v1, v2 = 'chat_users{version="1"}', 'chat_users{version="2"}'
	s0 = await scrape(srv)
	check((s0[v1], s0[v2]) == (0, 0), "users at start: %s" %
	    jdump([s0[v1], s0[v2]]))
	check(s0.get('chat_store_up{store="sqlite"}') == 1,
	    "chat_store_up{sqlite}: %s" % s0.get('chat_store_up{store="sqlite"}'))
	a = await srv.client()
	b = await srv.client()
	s1 = await wait_counter(srv, v1, 2)
	check(s1[v2] == 0, "before hello: version 2 users %s" % s1[v2])
	# Each id handed out is one commit (next_id); none is lost.
	check(s1["chat_store_seconds_count"] >= s0["chat_store_seconds_count"]
	    + 1, "commits for 2 connections: %s -> %s" %
	    (s0["chat_store_seconds_count"], s1["chat_store_seconds_count"]))
	await a.v2_hello()
	s2 = await wait_counter(srv, v2, 1)
	check(s2[v1] == 1, "after hello: version 1 users %s" % s2[v1])
	# hello creates a session: a commit of its own.
	check(s2["chat_store_seconds_count"] > s1["chat_store_seconds_count"],
	    "hello committed nothing: %s" % s2["chat_store_seconds_count"])
	expect_deltas(s1, s2, {req("hello"): 1,
	    "chat_deliveries_total": 1})
	room = "metrics-db"
	await a.send({"action": "join", "room": room})
	m = await a.recv()
	check(m.get("action") == "join" and m.get("room") == room,
	    "join reply %s" % jdump(m))
	n = s2["chat_store_seconds_count"]
	for i in range(3):
		await a.send({"action": "room_message", "message": "m%d" % i})
		await a.recv()
	s3 = await scrape(srv)
	check(s3["chat_store_seconds_count"] > n,
	    "room messages (history) committed nothing")
	check(s3["chat_store_seconds_sum"] > s0["chat_store_seconds_sum"],
	    "chat_store_seconds_sum did not grow")
	check(s3['chat_store_errors_total{store="sqlite"}'] == 0,
	    "store errors: %s" % s3['chat_store_errors_total{store="sqlite"}'])
	status, _, body = await get(srv, "/healthz")
	check((status, body) == (200, b"ok\n"), "/healthz with --db: %d %r" %
	    (status, body))
	await a.close()
	s4 = await wait_counter(srv, v2, 0)
	check(s4[v1] == 1, "after the v2 user left: version 1 users %s" %
	    s4[v1])
	await b.close()
	await wait_counter(srv, v1, 0)


@suite.test("--metrics: a bad address is a usage error; the config file "
    "key works", args=M)
async def _(srv):
	for bad in ("nonsense", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536",
	    "localhost:9100", "[::1]9100", ":9100", "127.0.0.1:9x"):
		r = subprocess.run([os.environ["CHAT_SERVER_BIN"], "--metrics",
		    bad], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
		    timeout=scaled(10))
		check(r.returncode == 64 and b"bad value for metrics: '%s'" %
		    bad.encode() in r.stderr, "--metrics %s: status %d, %r" %
		    (bad, r.returncode, r.stderr[:300]))
	d = tempfile.mkdtemp(prefix="chat-metrics-")
	try:
		port = _free_port()
		path = os.path.join(d, "chat.conf")
		with open(path, "w") as f:
			f.write("metrics = 127.0.0.1:%d\n" % port)
		other = await Server(["-c", path], suite).start()
		other.metrics_port = port
		try:
			status, _, body = await get(other, "/healthz")
			check((status, body) == (200, b"ok\n"),
			    "metrics from the config file: %d %r" %
			    (status, body))
		finally:
			await other.stop()
	finally:
		shutil.rmtree(d, True)


suite.run()
