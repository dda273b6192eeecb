/*
 * fanout and rate: R rooms of M members, the first S members of each room
 * send room messages.  Text "SLOT:SEQ:T:" (T = send time, ns, this
 * process's monotonic clock), padded to --size.  Every member checks
 * room, sender id and that SEQ is the next one from that slot; a sender's
 * own echo is its acknowledgement.
 *
 * fanout is closed loop (W messages in flight per sender); rate is open
 * loop: messages are scheduled at a fixed rate and latency is measured
 * from the scheduled time, so a stalled server cannot hide its delay.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define FANOUT_BACKLOG_MAX	100000	/* rate: unacked before we give up */

static struct {
	bool		 open_loop;
	int		 R, M, S, W;
	char		 (*name)[32];
	size_t		*namelen;
	int		*sender;	/* [R * S]: connection index */
	bool		 running;
	bool		 measuring;
	int		 joined;
	uint64_t	 notes, notes_expected;
	uint64_t	 interval;	/* rate: ns between one sender's sends */
	uint64_t	 late;		/* rate: sends more than 1 ms late */
	struct bhist	 lateness;	/* rate: actual - scheduled send time */
	uint64_t	 next_due;
} fo;

static void
fanout_send(struct bconn *c, uint64_t ts)
{
	char	text[4200], msg[4300];
	int	tl, ml;

	tl = snprintf(text, sizeof text, "%d:%" PRIu64 ":%" PRIu64 ":",
	    c->slot, c->sent, ts);
	if (tl < bench.size) {
		memset(text + tl, 'x', bench.size - tl);
		tl = bench.size;
	}
	ml = snprintf(msg, sizeof msg,
	    "{\"action\":\"room_message\",\"message\":\"%.*s\"}", tl, text);
	bench_send_text(c, msg, ml);
	c->sent++;
}

static void
fanout_refill(struct bconn *c)
{
	while (fo.running && c->sent - c->acked < (uint64_t)fo.W)
		fanout_send(c, bench_now());
}

static void
fanout_open(struct bconn *c)
{
	char	msg[128];
	int	len, j = c->index % fo.M;

	c->room = c->index / fo.M;
	c->slot = j < fo.S ? j : -1;
	if ((c->next = calloc(fo.S, sizeof *c->next)) == NULL) {
		bench_fail("out of memory");
		return;
	}
	len = snprintf(msg, sizeof msg, "{\"action\":\"join\",\"room\":\"%s\"}",
	    fo.name[c->room]);
	bench_send_text(c, msg, len);
}

/* Parse "SLOT:SEQ:T:" */
static int
fanout_text(const struct bjstr *s, uint64_t v[3])
{
	const char	*p = s->p, *end = s->p + s->len;

	if (bjstr_fields(&p, end, v, 3) == -1)
		return -1;
	while (p < end)
		if (*p++ != 'x')
			return -1;
	return 0;
}

static void
fanout_msg(struct bconn *c, const struct bjmsg *m)
{
	uint64_t	 v[3];
	struct bconn	*s;

	if (c->room < 0 || !bjstr_eq(&m->room, fo.name[c->room],
	    fo.namelen[c->room])) {
		bench_fail("connection %d (id %s): message for another room: "
		    "%.*s %.*s", c->index, c->id, (int)m->action.len,
		    m->action.p, (int)m->room.len, m->room.p);
		return;
	}
	if (BJSTR_IS(&m->action, "room_message")) {
		if (!c->joined) {
			bench_fail("connection %d: room message before the "
			    "join reply", c->index);
			return;
		}
		if (fanout_text(&m->message, v) != 0 || v[0] >= (uint64_t)fo.S) {
			bench_fail("connection %d: foreign message text: %.*s",
			    c->index, (int)m->message.len, m->message.p);
			return;
		}
		s = &bench.c[fo.sender[c->room * fo.S + v[0]]];
		if (!bjstr_eq(&m->user_id, s->id, s->idlen)) {
			bench_fail("connection %d: message of slot %d claims "
			    "sender '%.*s', expected '%s'", c->index, (int)v[0],
			    (int)m->user_id.len, m->user_id.p, s->id);
			return;
		}
		if (v[1] != c->next[v[0]]) {
			bench_fail("connection %d (id %s): from sender %s got "
			    "seq %" PRIu64 ", expected %u (%s)", c->index,
			    c->id, s->id, v[1], c->next[v[0]],
			    v[1] > c->next[v[0]] ? "missing: lost or reordered" :
			    "duplicate or reordered");
			return;
		}
		c->next[v[0]]++;
		bench.deliveries++;
		if (fo.measuring)
			bhist_add(&bench.hist, bench.now > v[2] ?
			    bench.now - v[2] : 0);
		if ((int)v[0] == c->slot) {
			c->acked++;
			if (!fo.open_loop)
				fanout_refill(c);
		}
		return;
	}
	if (BJSTR_IS(&m->action, "join")) {
		if (!c->joined && (m->user_id.p == NULL ||
		    bjstr_eq(&m->user_id, c->id, c->idlen))) {
			c->joined = true;
			fo.joined++;
		} else if (c->joined && m->user_id.p != NULL &&
		    !bjstr_eq(&m->user_id, c->id, c->idlen))
			fo.notes++;
		else
			bench_fail("connection %d: unexpected join message",
			    c->index);
		return;
	}
	bench_fail("connection %d: unexpected %.*s message", c->index,
	    (int)m->action.len, m->action.p);
}

static void
fanout_tick(uint64_t now)
{
	struct bconn	*c;
	int		 i;
	uint64_t	 next = UINT64_MAX;

	if (!fo.open_loop || !fo.running)
		return;
	if (now < fo.next_due)
		return;
	for (i = 0; i < fo.R * fo.S; i++) {
		c = &bench.c[fo.sender[i]];
		while (c->due <= now) {
			if (now - c->due > 1000000)
				fo.late++;
			bhist_add(&fo.lateness, now - c->due);
			fanout_send(c, c->due);
			c->due += fo.interval;
		}
		if (c->sent - c->acked > FANOUT_BACKLOG_MAX) {
			bench_fail("rate: %d messages unacknowledged, the "
			    "offered load is more than the server carries",
			    FANOUT_BACKLOG_MAX);
			return;
		}
		if (c->due < next)
			next = c->due;
	}
	fo.next_due = next;
	bench_timer_at(next);
}

static bool
fanout_ready(void)
{
	return fo.joined == bench.nconn && fo.notes >= fo.notes_expected;
}

static uint64_t	fanout_expected;

static bool
fanout_drained(void)
{
	return bench.deliveries >= fanout_expected;
}

static const struct bench_ops fanout_ops = {
	fanout_open, fanout_msg, fanout_tick
};

int
scenario_fanout(bool open_loop)
{
	const char	*sc = open_loop ? "rate" : "fanout";
	uint64_t	 t0, t1, d0, d1, f0, r0, sent = 0, losses = 0;
	double		 cpu0, cpu1, self0, self1, secs, scpu, fpr;
	double		 thread_pct, machine_pct;
	struct bcpu	 load0, load1;
	long		 rss;
	int		 i, r, n;
	struct bconn	*c;

	fo.open_loop = open_loop;
	fo.R = bench.rooms > 0 ? bench.rooms : (open_loop ? 10 : 1);
	fo.M = bench.members > 0 ? bench.members : (open_loop ? 100 : 100);
	fo.S = bench.senders > 0 ? bench.senders : (open_loop ? 2 : 1);
	fo.W = bench.window > 0 ? bench.window : 16;
	if (fo.S > fo.M) {
		fprintf(stderr, "chat-bench: more senders than members\n");
		return 2;
	}
	n = fo.R * fo.M;
	fo.name = calloc(fo.R, sizeof *fo.name);
	fo.namelen = calloc(fo.R, sizeof *fo.namelen);
	fo.sender = calloc(fo.R * fo.S, sizeof *fo.sender);
	if (fo.name == NULL || fo.namelen == NULL || fo.sender == NULL ||
	    bench_alloc(n) != 0)
		return -1;
	for (r = 0; r < fo.R; r++) {
		fo.namelen[r] = snprintf(fo.name[r], sizeof fo.name[r],
		    "bench-%d-%d", (int)getpid(), r);
		for (i = 0; i < fo.S; i++)
			fo.sender[r * fo.S + i] = r * fo.M + i;
	}
	fo.notes_expected = (uint64_t)fo.R * fo.M * (fo.M - 1) / 2;

	printf("%s: %d rooms x %d members, %d senders/room, ", sc, fo.R,
	    fo.M, fo.S);
	if (open_loop)
		printf("offered %.0f deliveries/s, ", bench.rate);
	else
		printf("window %d, ", fo.W);
	printf("%.1f s, server %s:%s\n", bench.duration, bench.host,
	    bench.port);

	/* setup: connect, join, and let every join notification arrive */
	if (bench_connect_all(&fanout_ops, 120) != 0)
		return -1;
	bench_loop(bench_now() + 120 * 1000000000ULL, fanout_ready);
	if (bench_failed())
		return -1;
	if (!fanout_ready()) {
		bench_fail("joins incomplete: %d of %d, %" PRIu64 " of %"
		    PRIu64 " notifications", fo.joined, n, fo.notes,
		    fo.notes_expected);
		return -1;
	}
	bench_wait_idle(5);

	/* measure */
	t0 = bench_now();
	cpu0 = bench_server_cpu();
	self0 = bench_self_cpu();
	bcpu_take(&load0);
	d0 = bench.deliveries;
	f0 = bench.frames_in;
	r0 = bench.reads_in;
	fo.running = fo.measuring = true;
	if (open_loop) {
		fo.interval = (uint64_t)(1e9 * fo.M * fo.R * fo.S / bench.rate);
		for (i = 0; i < fo.R * fo.S; i++)
			bench.c[fo.sender[i]].due = t0 +
			    fo.interval * i / (fo.R * fo.S);
		fo.next_due = t0;
		fanout_tick(t0);
	} else
		for (i = 0; i < fo.R * fo.S; i++)
			fanout_refill(&bench.c[fo.sender[i]]);
	bench_loop(t0 + (uint64_t)(bench.duration * 1e9), NULL);
	t1 = bench_now();
	cpu1 = bench_server_cpu();
	self1 = bench_self_cpu();
	bcpu_take(&load1);
	d1 = bench.deliveries;
	fpr = bench.reads_in > r0 ?
	    (double)(bench.frames_in - f0) / (bench.reads_in - r0) : 0;
	rss = bench_server_rss();
	fo.running = fo.measuring = false;
	if (bench_failed())
		return -1;

	/* drain: every message sent must reach every member */
	for (i = 0; i < fo.R * fo.S; i++)
		sent += bench.c[fo.sender[i]].sent;
	fanout_expected = sent * fo.M;
	bench_loop(bench_now() + (uint64_t)(bench.drain * 1e9),
	    fanout_drained);
	if (bench_failed())
		return -1;
	for (i = 0; i < n; i++) {
		c = &bench.c[i];
		for (r = 0; r < fo.S; r++)
			losses += bench.c[fo.sender[c->room * fo.S + r]].sent -
			    c->next[r];
	}
	if (losses != 0 || bench.deliveries != fanout_expected) {
		bench_fail("%" PRIu64 " of %" PRIu64 " deliveries lost "
		    "(not received within %.0f s)", losses, fanout_expected,
		    bench.drain);
		return -1;
	}

	secs = (t1 - t0) / 1e9;
	scpu = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
	printf("  %-28s %12" PRIu64 "\n", "messages sent", sent);
	printf("  %-28s %12" PRIu64 "\n", "deliveries (window)", d1 - d0);
	printf("  %-28s %12.0f\n", "deliveries/s", (d1 - d0) / secs);
	printf("  %-28s %12.1f\n", "latency p50 (us)",
	    bhist_pct(&bench.hist, 50) / 1e3);
	printf("  %-28s %12.1f\n", "latency p99 (us)",
	    bhist_pct(&bench.hist, 99) / 1e3);
	printf("  %-28s %12.1f\n", "latency max (us)", bench.hist.max / 1e3);
	printf("  %-28s %12d\n", "losses", 0);
	if (open_loop) {
		printf("  %-28s %12" PRIu64 "\n", "sends >1 ms late", fo.late);
		printf("  %-28s %12.1f\n", "send lateness p99 (us)",
		    bhist_pct(&fo.lateness, 99) / 1e3);
	}
	printf("  %-28s %12.2f\n", "frames per read", fpr);
	printf("  %-28s %12.2f (%.0f %%)\n", "server CPU s", scpu,
	    scpu >= 0 ? 100 * scpu / secs : -1);
	printf("  %-28s %12.0f\n", "deliveries/server CPU-s",
	    scpu > 0 ? (d1 - d0) / scpu : -1);
	printf("  %-28s %12.2f (%.0f %%)\n", "generator CPU s", self1 - self0,
	    100 * (self1 - self0) / secs);
	bcpu_compare(&load0, &load1, secs, &thread_pct, &machine_pct);
	printf("  %-28s %12.0f %%\n", "busiest server thread", thread_pct);
	printf("  %-28s %12.0f %%\n", "machine CPU busy", machine_pct);
	printf("  %-28s %12ld\n", "server RSS KiB", rss);
	bench_report_line(sc, "rooms=%d members=%d senders=%d window=%d "
	    "rate=%.0f size=%d duration=%.2f sent=%" PRIu64
	    " deliveries=%" PRIu64 " deliveries_per_s=%.0f p50_us=%.1f "
	    "p99_us=%.1f max_us=%.1f losses=0 late=%" PRIu64
	    " late_p99_us=%.1f"
	    " server_cpu_s=%.2f server_cpu_pct=%.0f "
	    "deliveries_per_cpu_s=%.0f bench_cpu_s=%.2f frames_per_read=%.2f "
	    "server_rss_kib=%ld server_thread_max_pct=%.0f machine_busy_pct=%.0f",
	    fo.R, fo.M, fo.S, open_loop ? 0 : fo.W,
	    open_loop ? bench.rate : 0, bench.size, secs, sent, d1 - d0,
	    (d1 - d0) / secs, bhist_pct(&bench.hist, 50) / 1e3,
	    bhist_pct(&bench.hist, 99) / 1e3, bench.hist.max / 1e3, fo.late,
	    bhist_pct(&fo.lateness, 99) / 1e3,
	    scpu, scpu >= 0 ? 100 * scpu / secs : -1,
	    scpu > 0 ? (d1 - d0) / scpu : -1, self1 - self0,
	    fpr, rss, thread_pct, machine_pct);
	return 0;
}
