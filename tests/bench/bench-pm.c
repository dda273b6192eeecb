/*
 * pm: P pairs ping-ponging private messages.  Connection A of a pair
 * sends "aSEQ:T:" to B (W in flight, default 1); B answers each with
 * "bSEQ:T:".  Both also get the server's echo of what they sent.  Every
 * message is checked for its sender (the peer's id) and its sequence.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

static struct {
	int		 P, W;
	bool		 running, measuring;
	uint64_t	 trips;
	uint64_t	 expected;	/* private_message frames to receive */
} pm;

static void
pm_send(struct bconn *c, char kind, uint64_t seq, uint64_t ts)
{
	struct bconn	*peer = &bench.c[c->peer];
	char		 msg[256];
	int		 len;

	len = snprintf(msg, sizeof msg, "{\"action\":\"private_message\","
	    "\"user_id\":\"%s\",\"message\":\"%c%" PRIu64 ":%" PRIu64 ":\"}",
	    peer->id, kind, seq, ts);
	bench_send_text(c, msg, len);
	c->sent++;
}

static int
pm_text(const struct bjstr *s, char *kind, uint64_t v[2])
{
	const char	*p = s->p, *end = s->p + s->len;

	if (s->len < 1 || (*p != 'a' && *p != 'b'))
		return -1;
	*kind = *p++;
	if (bjstr_fields(&p, end, v, 2) == -1)
		return -1;
	return p == end ? 0 : -1;
}

static void
pm_msg(struct bconn *c, const struct bjmsg *m)
{
	struct bconn	*peer;
	uint64_t	 v[2];
	char		 kind;
	bool		 is_a = (c->index & 1) == 0;

	if (!BJSTR_IS(&m->action, "private_message") || c->peer < 0) {
		bench_fail("connection %d: unexpected %.*s message", c->index,
		    (int)m->action.len, m->action.p);
		return;
	}
	peer = &bench.c[c->peer];
	if (!bjstr_eq(&m->user_id, peer->id, peer->idlen) ||
	    pm_text(&m->message, &kind, v) != 0) {
		bench_fail("connection %d (id %s): bad private message from "
		    "'%.*s': %.*s", c->index, c->id, (int)m->user_id.len,
		    m->user_id.p, (int)m->message.len, m->message.p);
		return;
	}
	bench.deliveries++;
	if ((kind == 'a') == is_a) {
		/* the echo of our own message */
		if (v[0] != c->echo_next) {
			bench_fail("connection %d: echo seq %" PRIu64
			    ", expected %" PRIu64, c->index, v[0],
			    c->echo_next);
			return;
		}
		c->echo_next++;
		return;
	}
	if (v[0] != c->got) {
		bench_fail("connection %d (id %s): from %s got seq %" PRIu64
		    ", expected %" PRIu64 " (%s)", c->index, c->id, peer->id,
		    v[0], c->got, v[0] > c->got ?
		    "missing: lost or reordered" : "duplicate or reordered");
		return;
	}
	c->got++;
	if (!is_a) {
		pm_send(c, 'b', v[0], v[1]);
		return;
	}
	c->acked++;
	if (pm.measuring) {
		pm.trips++;
		bhist_add(&bench.hist, bench.now > v[1] ? bench.now - v[1] : 0);
	}
	if (pm.running)
		pm_send(c, 'a', c->sent, bench_now());
}

static bool
pm_drained(void)
{
	return bench.deliveries >= pm.expected;
}

static const struct bench_ops pm_ops = { NULL, pm_msg, NULL };

int
scenario_pm(void)
{
	uint64_t	 t0, t1, sent = 0;
	double		 cpu0, cpu1, self0, self1, secs, scpu;
	double		 thread_pct, machine_pct;
	struct bcpu	 load0, load1;
	int		 i, j, n;
	struct bconn	*a;

	pm.P = bench.pairs > 0 ? bench.pairs : 50;
	pm.W = bench.window > 0 ? bench.window : 1;
	n = 2 * pm.P;
	if (bench_alloc(n) != 0)
		return -1;
	printf("pm: %d pairs, window %d, %.1f s, server %s:%s\n", pm.P, pm.W,
	    bench.duration, bench.host, bench.port);
	if (bench_connect_all(&pm_ops, 60) != 0)
		return -1;
	for (i = 0; i < n; i++)
		bench.c[i].peer = i ^ 1;
	bench_wait_idle(5);

	t0 = bench_now();
	cpu0 = bench_server_cpu();
	self0 = bench_self_cpu();
	bcpu_take(&load0);
	pm.running = pm.measuring = true;
	for (i = 0; i < n; i += 2)
		for (j = 0; j < pm.W; j++)
			pm_send(&bench.c[i], 'a', bench.c[i].sent, bench_now());
	bench_loop(t0 + (uint64_t)(bench.duration * 1e9), NULL);
	t1 = bench_now();
	cpu1 = bench_server_cpu();
	self1 = bench_self_cpu();
	bcpu_take(&load1);
	pm.running = pm.measuring = false;
	if (bench_failed())
		return -1;

	/* each message from A: echo + delivery + reply echo + reply */
	for (i = 0; i < n; i += 2)
		sent += bench.c[i].sent;
	pm.expected = 4 * sent;
	bench_loop(bench_now() + (uint64_t)(bench.drain * 1e9), pm_drained);
	if (bench_failed())
		return -1;
	for (i = 0; i < n; i += 2) {
		a = &bench.c[i];
		if (a->acked != a->sent || a->echo_next != a->sent ||
		    bench.c[i + 1].echo_next != a->sent) {
			bench_fail("pair %d: %" PRIu64 " sent, %" PRIu64
			    " answered, %" PRIu64 "/%" PRIu64 " echoed: "
			    "messages lost", i / 2, a->sent, a->acked,
			    a->echo_next, bench.c[i + 1].echo_next);
			return -1;
		}
	}

	secs = (t1 - t0) / 1e9;
	scpu = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
	printf("  %-28s %12" PRIu64 "\n", "round trips", pm.trips);
	printf("  %-28s %12.0f\n", "round trips/s", pm.trips / secs);
	printf("  %-28s %12.1f\n", "RTT p50 (us)",
	    bhist_pct(&bench.hist, 50) / 1e3);
	printf("  %-28s %12.1f\n", "RTT p99 (us)",
	    bhist_pct(&bench.hist, 99) / 1e3);
	printf("  %-28s %12.1f\n", "RTT max (us)", bench.hist.max / 1e3);
	printf("  %-28s %12d\n", "losses", 0);
	printf("  %-28s %12.2f (%.0f %%)\n", "server CPU s", scpu,
	    scpu >= 0 ? 100 * scpu / secs : -1);
	printf("  %-28s %12.0f\n", "round trips/server CPU-s",
	    scpu > 0 ? pm.trips / scpu : -1);
	printf("  %-28s %12.2f (%.0f %%)\n", "generator CPU s", self1 - self0,
	    100 * (self1 - self0) / secs);
	bcpu_compare(&load0, &load1, secs, &thread_pct, &machine_pct);
	printf("  %-28s %12.0f %%\n", "busiest server thread", thread_pct);
	printf("  %-28s %12.0f %%\n", "machine CPU busy", machine_pct);
	bench_report_line("pm", "pairs=%d window=%d duration=%.2f "
	    "round_trips=%" PRIu64 " round_trips_per_s=%.0f p50_us=%.1f "
	    "p99_us=%.1f max_us=%.1f losses=0 server_cpu_s=%.2f "
	    "server_cpu_pct=%.0f deliveries_per_s=%.0f "
	    "deliveries_per_cpu_s=%.0f round_trips_per_cpu_s=%.0f "
	    "bench_cpu_s=%.2f server_thread_max_pct=%.0f machine_busy_pct=%.0f",
	    pm.P, pm.W, secs, pm.trips, pm.trips / secs,
	    bhist_pct(&bench.hist, 50) / 1e3, bhist_pct(&bench.hist, 99) / 1e3,
	    bench.hist.max / 1e3, scpu, scpu >= 0 ? 100 * scpu / secs : -1,
	    4 * pm.trips / secs, scpu > 0 ? 4 * pm.trips / scpu : -1,
	    scpu > 0 ? pm.trips / scpu : -1, self1 - self0, thread_pct,
	    machine_pct);
	return 0;
}
