#!/usr/bin/python3
"""The cluster tests' harness (redislib.py): our own redis-server, stopped,
paused, killed and restarted by PID; several chat-server nodes."""

from redislib import *

suite = Suite(needs_server=True)


@suite.test("redis-server on a free loopback port answers, exits 0")
async def _(srv):
	rd = await RedisServer().start()
	try:
		check(rd.url == "redis://127.0.0.1:%d" % rd.port, rd.url)
		check(await rd.command("SET", "k", "v") == "OK", "SET")
		check(await rd.command("GET", "k") == "v", "GET")
		dirs = await rd.command("CONFIG", "GET", "dir")
		check(dirs == ["dir", os.path.realpath(rd.dir)],
		    "dir %s, not ours %s" % (dirs, rd.dir))
		save = await rd.command("CONFIG", "GET", "save")
		check(save == ["save", ""], "snapshots on: %s" % save)
	finally:
		await rd.close()
	check(not os.path.exists(rd.dir), "directory left behind")


@suite.test("unix socket: unix:/PATH")
async def _(srv):
	rd = await RedisServer(unix=True).start()
	try:
		check(rd.url == "unix:" + rd.socket_path, rd.url)
		check(await rd.command("PING") == "PONG", "PING over unix")
	finally:
		await rd.close()


@suite.test("kill -9 and restart: same port; without AOF the data is gone")
async def _(srv):
	rd = await RedisServer().start()
	try:
		port, pid = rd.port, rd.pid
		await rd.command("SET", "k", "v")
		await rd.kill()
		try:
			await rd.command("PING")
			fail("a killed redis-server answered")
		except OSError:
			pass
		await rd.start()
		check(rd.port == port and rd.pid != pid, "not restarted "
		    "in place: port %d->%d" % (port, rd.port))
		check(await rd.command("GET", "k") is None, "data survived "
		    "without AOF and snapshots")
	finally:
		await rd.close()


@suite.test("kill -9 and restart with AOF: every acknowledged write kept")
async def _(srv):
	rd = await RedisServer(aof=True).start()
	try:
		for i in range(100):
			await rd.command("RPUSH", "l", i)
		await rd.kill()
		await rd.start()
		got = await rd.command("LRANGE", "l", 0, -1)
		check(got == [str(i) for i in range(100)], "after restart: %s"
		    % got)
	finally:
		await rd.close()


@suite.test("SIGSTOP: no answer, connections accepted; SIGCONT: answers")
async def _(srv):
	rd = await RedisServer().start()
	try:
		rd.pause()
		try:
			await rd.command("PING", timeout=0.3)
			fail("a paused redis-server answered")
		except asyncio.TimeoutError:
			pass
		rd.resume()
		check(await rd.command("PING") == "PONG", "PING after SIGCONT")
	finally:
		await rd.close()


@suite.test("a paused redis-server is still stopped cleanly")
async def _(srv):
	rd = await RedisServer().start()
	rd.pause()
	await rd.close()
	check(not rd.alive(), "still running")


@suite.test("Nodes: three chat-servers, clients round-robin", timeout=20)
async def _(srv):
	nodes = await Nodes(3, [], suite).start()
	try:
		cs = await nodes.clients(6)
		check([c.port for c in cs] == nodes.ports * 2,
		    "ports %s, nodes %s" % ([c.port for c in cs], nodes.ports))
		# Independent servers: each counts its own ids from 0.
		check([c.id for c in cs] == ["0"] * 3 + ["1"] * 3,
		    "ids %s" % [c.id for c in cs])
		await suite._close_open()
	finally:
		await nodes.stop()


@suite.test("chat-bench -P: connections spread evenly over the nodes",
    timeout=30)
async def _(srv):
	bench = os.environ.get("CHAT_BENCH_BIN", "")
	check(os.access(bench, os.X_OK), "chat-bench not built: %r" % bench)
	nodes = await Nodes(3, [], suite).start()
	try:
		proc = await asyncio.create_subprocess_exec(bench, "-P",
		    ",".join(map(str, nodes.ports)), "--server-pid",
		    ",".join(str(s.proc.pid) for s in nodes), "conn", "-n",
		    "30", "-t", "0.2", stdout=asyncio.subprocess.PIPE,
		    stderr=asyncio.subprocess.STDOUT)
		out = (await proc.communicate())[0].decode()
		check(proc.returncode == 0 and "result=PASS" in out,
		    "chat-bench failed:\n" + out)
		# CPU and memory of all three processes were read.
		check("rss_before_kib=-1" not in out and
		    "server_cpu_s=-1" not in out, "no server figures:\n" + out)
		# Each node numbered its own 10 connections 0..9.
		cs = await nodes.clients(3)
		check([c.id for c in cs] == ["10"] * 3,
		    "next ids %s, expected 10 on each node" %
		    [c.id for c in cs])
		await suite._close_open()
	finally:
		await nodes.stop()


suite.run()
