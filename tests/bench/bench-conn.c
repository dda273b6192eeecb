/*
 * conn: open N connections (handshakes pipelined, --concurrency in
 * flight), wait for each one's connection message, hold them all for
 * --duration, and read the server's resident memory before and after.
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "bench.h"

static void
conn_msg(struct bconn *c, const struct bjmsg *m)
{
	bench_fail("connection %d: unexpected %.*s message", c->index,
	    (int)m->action.len, m->action.p);
}

static const struct bench_ops conn_ops = { NULL, conn_msg, NULL };

int
scenario_conn(void)
{
	uint64_t	 t0, t1, t2;
	double		 cpu0, cpu1, secs, scpu;
	long		 rss0, rss1, rss2;
	int		 n = bench.conns > 0 ? bench.conns : 1000;

	if (bench_alloc(n) != 0)
		return -1;
	printf("conn: %d connections over %d source addresses, hold %.1f s, "
	    "server %s:%s\n", n, bench.sources, bench.duration, bench.host,
	    bench.port);
	rss0 = bench_server_rss();
	cpu0 = bench_server_cpu();
	t0 = bench_now();
	if (bench_connect_all(&conn_ops, 120) != 0)
		return -1;
	t1 = bench_now();
	rss1 = bench_server_rss();
	bench_loop(t1 + (uint64_t)(bench.duration * 1e9), NULL);
	if (bench_failed())
		return -1;
	t2 = bench_now();
	rss2 = bench_server_rss();
	cpu1 = bench_server_cpu();
	(void)t2;

	secs = (t1 - t0) / 1e9;
	scpu = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
	if (rss1 > rss2)
		rss2 = rss1;
	printf("  %-28s %12d\n", "connections", n);
	printf("  %-28s %12.3f\n", "connect time (s)", secs);
	printf("  %-28s %12.0f\n", "connects/s", n / secs);
	printf("  %-28s %12" PRIu64 "\n", "connect errors",
	    bench.connect_errors);
	printf("  %-28s %12ld\n", "server RSS before (KiB)", rss0);
	printf("  %-28s %12ld\n", "server RSS held (KiB)", rss2);
	printf("  %-28s %12.2f\n", "RSS per connection (KiB)",
	    rss0 >= 0 ? (double)(rss2 - rss0) / n : -1);
	printf("  %-28s %12.2f\n", "server CPU s", scpu);
	bench_report_line("conn", "conns=%d sources=%d connect_s=%.3f "
	    "connects_per_s=%.0f errors=%" PRIu64 " rss_before_kib=%ld "
	    "rss_after_kib=%ld rss_per_conn_kib=%.2f server_cpu_s=%.2f",
	    n, bench.sources, secs, n / secs, bench.connect_errors, rss0,
	    rss2, rss0 >= 0 ? (double)(rss2 - rss0) / n : -1, scpu);
	return 0;
}

/*
 * probe: wait (up to --duration) until the server completes a handshake
 * and sends a connection message; for scripts that start a server.
 */
int
scenario_probe(void)
{
	uint64_t		 end = bench_now() + (uint64_t)(bench.duration * 1e9);
	struct timespec		 ts = { 0, 50 * 1000 * 1000 };

	for (;;) {
		bench.fail[0] = '\0';
		bench.stop = false;
		bench.opened = bench.started = 0;
		if (bench_alloc(1) != 0)
			return -1;
		if (bench_connect_all(&conn_ops, 1) == 0) {
			bench_close_all();
			printf("scenario=probe id=ready result=PASS\n");
			return 0;
		}
		bench_close_all();
		if (bench_now() >= end)
			return -1;
		nanosleep(&ts, NULL);
	}
}
