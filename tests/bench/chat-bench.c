/*
 * chat-bench: load generator and verifier for the chat protocol.
 *
 *	chat-bench [--url ws://HOST:PORT/PATH | -h HOST -p PORT]
 *	    [-P PORT,PORT,...] [--server-pid PID[,PID...]] SCENARIO [options]
 *
 * Scenarios: conn, fanout, pm, rate (see usage()).  Each prints a human
 * table and one final key=value line; a lost, reordered or malformed
 * message makes the run fail with exit status 1.
 */
#include <sys/resource.h>

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

struct bench bench;

static const struct bench_ops	*connect_ops;
static int			 connect_target;

static void
usage(void)
{
	fprintf(stderr,
"usage: chat-bench [--url ws://HOST:PORT/PATH | -h HOST -p PORT]\n"
"                  [-P PORT,PORT,...] [--server-pid PID[,PID...]]\n"
"                  SCENARIO [options]\n"
"scenarios:\n"
"  conn    open -n N connections, hold them -t s; connect rate, RSS/conn\n"
"  fanout  --rooms R x --members M, --senders S per room, --window W\n"
"  pm      --pairs P ping-ponging private messages (--window W per pair)\n"
"  rate    open loop: --rate D deliveries/s over R x M rooms, S senders\n"
"  probe   wait up to -t s for the server to accept a connection\n"
"options:\n"
"  -P, --ports LIST     nodes of one cluster: connection i goes to the\n"
"                       (i mod N)th port; --server-pid: CPU of them all\n"
"  -t, --duration S     measured seconds (default 5)\n"
"  --drain S            seconds allowed for in-flight messages (10)\n"
"  --size B             pad message texts to B bytes\n"
"  --sources K          127.0.0.x source addresses (8)\n"
"  --concurrency C      handshakes in flight (256)\n"
"  --v2                 clients opt in to protocol version 2 (hello) and\n"
"                       check that seq increases\n");
	exit(2);
}

static int
parse_url(const char *url)
{
	const char	*p, *slash, *colon;

	if (strncmp(url, "ws://", 5) != 0) {
		fprintf(stderr, "chat-bench: only ws:// URLs: %s\n", url);
		return -1;
	}
	p = url + 5;
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = p + strlen(p);
	colon = memchr(p, ':', slash - p);
	if (colon == NULL) {
		snprintf(bench.host, sizeof bench.host, "%.*s",
		    (int)(slash - p), p);
		snprintf(bench.port, sizeof bench.port, "80");
	} else {
		snprintf(bench.host, sizeof bench.host, "%.*s",
		    (int)(colon - p), p);
		snprintf(bench.port, sizeof bench.port, "%.*s",
		    (int)(slash - colon - 1), colon + 1);
	}
	snprintf(bench.path, sizeof bench.path, "%s", *slash ? slash :
	    "/chatserver/connect");
	return 0;
}

static int
parse_pids(const char *list)
{
	const char	*p = list;
	char		*end;
	long		 v;

	for (bench.nservers = 0; *p != '\0'; bench.nservers++) {
		v = strtol(p, &end, 10);
		if (bench.nservers == BENCH_NODES_MAX || end == p || v <= 0 ||
		    (*end != ',' && *end != '\0')) {
			fprintf(stderr, "chat-bench: bad --server-pid list "
			    "\"%s\"\n", list);
			return -1;
		}
		bench.server_pids[bench.nservers] = (pid_t)v;
		p = end + (*end == ',');
	}
	return 0;
}

void
bench_report_line(const char *scenario, const char *fmt, ...)
{
	va_list	ap;

	printf("scenario=%s ", scenario);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" result=PASS\n");
	fflush(stdout);
}

static void
connect_open(struct bconn *c)
{
	if (connect_ops->open != NULL)
		connect_ops->open(c);
}

static void
connect_msg(struct bconn *c, const struct bjmsg *m)
{
	connect_ops->msg(c, m);
}

/* Keep up to --concurrency handshakes in flight. */
static void
connect_tick(uint64_t now)
{
	while (bench.started < connect_target &&
	    bench.started - bench.opened < bench.concurrency && !bench.stop)
		bench_start_conn(&bench.c[bench.started]);
}

static bool
connect_done(void)
{
	return bench.opened == connect_target;
}

static const struct bench_ops connect_wrap = {
	connect_open, connect_msg, connect_tick
};

/* Open every allocated connection and wait for its connection message. */
int
bench_connect_all(const struct bench_ops *ops, double timeout_s)
{
	connect_ops = ops;
	connect_target = bench.nconn;
	bench.ops = &connect_wrap;
	connect_tick(0);
	bench_loop(bench_now() + (uint64_t)(timeout_s * 1e9), connect_done);
	bench.ops = ops;
	if (!bench_failed() && bench.opened != connect_target)
		bench_fail("only %d of %d connections opened in %.0f s",
		    bench.opened, connect_target, timeout_s);
	return bench_failed() ? -1 : 0;
}

static void
raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url",	 required_argument, NULL, 'u' },
		{ "host",	 required_argument, NULL, 'h' },
		{ "port",	 required_argument, NULL, 'p' },
		{ "ports",	 required_argument, NULL, 'P' },
		{ "server-pid",	 required_argument, NULL, 'i' },
		{ "conns",	 required_argument, NULL, 'n' },
		{ "rooms",	 required_argument, NULL, 'R' },
		{ "members",	 required_argument, NULL, 'M' },
		{ "senders",	 required_argument, NULL, 'S' },
		{ "window",	 required_argument, NULL, 'W' },
		{ "pairs",	 required_argument, NULL, 'Q' },
		{ "rate",	 required_argument, NULL, 'r' },
		{ "duration",	 required_argument, NULL, 't' },
		{ "drain",	 required_argument, NULL, 'D' },
		{ "size",	 required_argument, NULL, 's' },
		{ "sources",	 required_argument, NULL, 'k' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "v2",		 no_argument,	    NULL, '2' },
		{ "help",	 no_argument,	    NULL, 'H' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*scenario;
	int		 ch, rc;

	snprintf(bench.host, sizeof bench.host, "127.0.0.1");
	snprintf(bench.port, sizeof bench.port, "8080");
	snprintf(bench.path, sizeof bench.path, "/chatserver/connect");
	bench.conns = bench.rooms = bench.members = bench.senders = -1;
	bench.window = bench.pairs = -1;
	bench.rate = 100000;
	bench.duration = 5;
	bench.drain = 10;
	bench.sources = 8;
	bench.concurrency = 256;
	bench.epfd = bench.timerfd = -1;

	while ((ch = getopt_long(argc, argv, "u:h:p:P:n:t:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case '2':
			bench.v2 = true;
			break;
		case 'u':
			if (parse_url(optarg) != 0)
				return 2;
			break;
		case 'h':
			snprintf(bench.host, sizeof bench.host, "%s", optarg);
			break;
		case 'p':
		case 'P':
			snprintf(bench.port, sizeof bench.port, "%s", optarg);
			break;
		case 'i':
			if (parse_pids(optarg) != 0)
				return 2;
			break;
		case 'n':
			bench.conns = atoi(optarg);
			break;
		case 'R':
			bench.rooms = atoi(optarg);
			break;
		case 'M':
			bench.members = atoi(optarg);
			break;
		case 'S':
			bench.senders = atoi(optarg);
			break;
		case 'W':
			bench.window = atoi(optarg);
			break;
		case 'Q':
			bench.pairs = atoi(optarg);
			break;
		case 'r':
			bench.rate = atof(optarg);
			break;
		case 't':
			bench.duration = atof(optarg);
			break;
		case 'D':
			bench.drain = atof(optarg);
			break;
		case 's':
			bench.size = atoi(optarg);
			break;
		case 'k':
			bench.sources = atoi(optarg);
			break;
		case 'c':
			bench.concurrency = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	scenario = argv[optind];
	if (bench.duration <= 0 || bench.sources < 1 || bench.sources > 254 ||
	    bench.concurrency < 1 || bench.size < 0 || bench.size > 4000)
		usage();

	raise_nofile();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (bench_resolve() != 0)
		return 2;
	if (strcmp(scenario, "probe") != 0)
		bench_wait_idle(10);

	if (strcmp(scenario, "conn") == 0)
		rc = scenario_conn();
	else if (strcmp(scenario, "fanout") == 0)
		rc = scenario_fanout(false);
	else if (strcmp(scenario, "rate") == 0)
		rc = scenario_fanout(true);
	else if (strcmp(scenario, "pm") == 0)
		rc = scenario_pm();
	else if (strcmp(scenario, "probe") == 0)
		rc = scenario_probe();
	else
		usage();

	if (bench_failed() || rc != 0) {
		/* no figures: a run that lost a message measured nothing */
		fprintf(stderr, "chat-bench: %s: FAIL: %s\n", scenario,
		    bench.fail[0] ? bench.fail : "error");
		printf("scenario=%s result=FAIL reason=\"%s\"\n", scenario,
		    bench.fail[0] ? bench.fail : "error");
		return 1;
	}
	return 0;
}
