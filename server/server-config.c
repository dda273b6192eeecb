/*
 * Settings.  Every command-line option has a config-file key of the same
 * long name (`rate-limit = 100/200`), so both go through config_set().
 * Defaults come from shared/chat-limits.h.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "server-config.h"
#include "chat-limits.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

void
config_defaults(struct server_config *c)
{
	memset(c, 0, sizeof *c);
	c->listen = strdup("127.0.0.1");
	c->port = 8080;
	c->max_frame = CHAT_FRAME_MAX_DEFAULT;
	c->max_message = CHAT_MESSAGE_MAX_DEFAULT;
	c->max_room_name = CHAT_ROOM_NAME_MAX;
	c->rate = CHAT_RATE_DEFAULT;
	c->burst = CHAT_BURST_DEFAULT;
	c->max_queue = CHAT_OUTQ_MAX_DEFAULT;
	c->ping_interval = CHAT_PING_INTERVAL_DEFAULT;
	c->ping_timeout = CHAT_PING_TIMEOUT_DEFAULT;
	c->shutdown_grace_ms = CHAT_SHUTDOWN_GRACE_MS;
}

void
config_free(struct server_config *c)
{
	free(c->listen);
	free(c->tls_cert);
	free(c->tls_key);
	for (int i = 0; i < c->norigins; i++)
		free(c->origins[i]);
	free(c->web_root);
}

static int
parse_ulong(const char *s, unsigned long long max, unsigned long long *out)
{
	char			*end;
	unsigned long long	 v;

	if (*s == '\0' || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
parse_rate(struct server_config *c, const char *s)
{
	char	*end;
	double	 rate, burst;

	errno = 0;
	rate = strtod(s, &end);
	if (errno != 0 || end == s || rate < 0 || rate > 1e9)
		return -1;
	if (*end == '/') {
		const char *b = end + 1;
		burst = strtod(b, &end);
		if (errno != 0 || end == b || burst < 1 || burst > 1e9)
			return -1;
	} else
		burst = rate > CHAT_BURST_DEFAULT ? rate : CHAT_BURST_DEFAULT;
	if (*end != '\0')
		return -1;
	c->rate = rate;
	c->burst = burst;
	return 0;
}

static int
set_string(char **dst, const char *value)
{
	free(*dst);
	*dst = strdup(value);
	return *dst == NULL ? -1 : 0;
}

int
config_set(struct server_config *c, const char *key, const char *value,
    const char *where)
{
	unsigned long long	v;
	int			bad = 0;

	if (strcmp(key, "listen") == 0)
		bad = set_string(&c->listen, value);
	else if (strcmp(key, "port") == 0) {
		if (!(bad = parse_ulong(value, 65535, &v)))
			c->port = (int)v;
	} else if (strcmp(key, "verbose") == 0) {
		if (!(bad = parse_ulong(value, 3, &v)))
			c->verbose = (int)v;
	} else if (strcmp(key, "max-frame") == 0) {
		if (!(bad = parse_ulong(value, 1 << 30, &v) || v < 128))
			c->max_frame = v;
	} else if (strcmp(key, "max-room-name") == 0) {
		if (!(bad = parse_ulong(value, CHAT_ROOM_NAME_MAX, &v) || v < 1))
			c->max_room_name = v;
	} else if (strcmp(key, "max-message") == 0) {
		if (!(bad = parse_ulong(value, 1 << 30, &v) || v < 1))
			c->max_message = v;
	} else if (strcmp(key, "rate-limit") == 0)
		bad = parse_rate(c, value);
	else if (strcmp(key, "max-clients") == 0) {
		if (!(bad = parse_ulong(value, UINT_MAX, &v)))
			c->max_clients = (unsigned)v;
	} else if (strcmp(key, "max-clients-per-ip") == 0) {
		if (!(bad = parse_ulong(value, UINT_MAX, &v)))
			c->max_clients_per_ip = (unsigned)v;
	} else if (strcmp(key, "max-queue") == 0) {
		if (!(bad = parse_ulong(value, 1ULL << 40, &v) || v < 1024))
			c->max_queue = v;
	} else if (strcmp(key, "ping-interval") == 0) {
		if (!(bad = parse_ulong(value, 86400, &v)))
			c->ping_interval = (int)v;
	} else if (strcmp(key, "ping-timeout") == 0) {
		if (!(bad = parse_ulong(value, 86400, &v) || v < 1))
			c->ping_timeout = (int)v;
	} else if (strcmp(key, "shutdown-grace") == 0) {
		if (!(bad = parse_ulong(value, 600000, &v)))
			c->shutdown_grace_ms = (int)v;
	} else if (strcmp(key, "tls-cert") == 0)
		bad = set_string(&c->tls_cert, value);
	else if (strcmp(key, "tls-key") == 0)
		bad = set_string(&c->tls_key, value);
	else if (strcmp(key, "allow-origin") == 0) {
		if (c->norigins == CONFIG_ORIGINS_MAX)
			bad = 1;
		else if ((c->origins[c->norigins] = strdup(value)) != NULL)
			c->norigins++;
	} else if (strcmp(key, "web-root") == 0)
		bad = set_string(&c->web_root, value);
	else if (strcmp(key, "no-web") == 0) {
		/* A flag on the command line, a yes/no in a file. */
		if (!(bad = value != NULL && strcmp(value, "yes") != 0 &&
		    strcmp(value, "no") != 0))
			c->no_web = value == NULL || strcmp(value, "yes") == 0;
	} else {
		fprintf(stderr, "chat-server: %s: unknown setting '%s'\n",
		    where, key);
		return -1;
	}
	if (bad) {
		fprintf(stderr, "chat-server: %s: bad value for %s: '%s'\n",
		    where, key, value);
		return -1;
	}
	return 0;
}

static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int
config_load_file(struct server_config *c, const char *path)
{
	FILE	*f;
	char	 line[1024], where[PATH_MAX + 32], *key, *value, *eq;
	int	 lineno = 0, error = 0;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "chat-server: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		key = trim(line);
		if (*key == '#' || *key == '\0')
			continue;
		snprintf(where, sizeof where, "%s:%d", path, lineno);
		if ((eq = strchr(key, '=')) == NULL) {
			fprintf(stderr, "chat-server: %s: expected key = value\n",
			    where);
			error = -1;
			continue;
		}
		*eq = '\0';
		value = trim(eq + 1);
		key = trim(key);
		if (config_set(c, key, value, where) == -1)
			error = -1;
	}
	fclose(f);
	return error;
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: chat-server [-hVv] [-c file] [-l address] [-p port] [options]\n"
"  -l, --listen ADDR             address to listen on (127.0.0.1)\n"
"  -p, --port PORT               port (8080)\n"
"  -c, --config FILE             read settings from FILE (key = value)\n"
"  -v, --verbose                 log connections (twice: debug)\n"
"      --max-frame BYTES         largest WebSocket message (65536)\n"
"      --max-message BYTES       largest message text (4096)\n"
"      --max-room-name BYTES     longest room name (64, the most allowed)\n"
"      --rate-limit RATE[/BURST] messages per second per client (20/50;\n"
"                                0 turns flood control off)\n"
"      --max-clients N           connections in all (0 = unlimited)\n"
"      --max-clients-per-ip N    connections per address (0 = unlimited)\n"
"      --max-queue BYTES         outbound bytes queued per client (1048576)\n"
"      --ping-interval SEC       ping idle clients (30; 0 = never)\n"
"      --ping-timeout SEC        drop clients that do not answer (10)\n"
"      --shutdown-grace MS       on SIGTERM, wait this long for clients to\n"
"                                finish closing (1500)\n"
"      --tls-cert FILE           serve wss:// with this certificate...\n"
"      --tls-key FILE            ...and this private key\n"
"      --allow-origin ORIGIN     accept browser upgrades only from ORIGIN\n"
"                                (repeatable)\n"
"      --web-root DIR            serve the web client from DIR (the\n"
"                                installed copy)\n"
"      --no-web                  serve no web client, only WebSockets\n"
"  -h, --help                    show this help\n"
"  -V, --version                 show the version\n");
}

int
config_parse_args(struct server_config *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "max-frame", required_argument, NULL, 0 },
		{ "max-message", required_argument, NULL, 0 },
		{ "max-room-name", required_argument, NULL, 0 },
		{ "rate-limit", required_argument, NULL, 0 },
		{ "max-clients", required_argument, NULL, 0 },
		{ "max-clients-per-ip", required_argument, NULL, 0 },
		{ "max-queue", required_argument, NULL, 0 },
		{ "ping-interval", required_argument, NULL, 0 },
		{ "ping-timeout", required_argument, NULL, 0 },
		{ "shutdown-grace", required_argument, NULL, 0 },
		{ "tls-cert", required_argument, NULL, 0 },
		{ "tls-key", required_argument, NULL, 0 },
		{ "allow-origin", required_argument, NULL, 0 },
		{ "web-root", required_argument, NULL, 0 },
		{ "no-web", no_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 }
	};
	struct stat	st;
	int		ch, idx, verbose = 0;

	/* A config file first, so the command line overrides it. */
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:hl:p:Vv", longopts, &idx)) != -1) {
		if (ch == 'c' && config_load_file(c, optarg) == -1)
			return EX_CONFIG;
		if (ch == '?')
			return (usage(stderr), EX_USAGE);
	}
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:hl:p:Vv", longopts, &idx)) != -1) {
		switch (ch) {
		case 0:
			if (config_set(c, longopts[idx].name, optarg,
			    "command line") == -1)
				return EX_USAGE;
			break;
		case 'l':
			if (config_set(c, "listen", optarg, "-l") == -1)
				return EX_USAGE;
			break;
		case 'p':
			if (config_set(c, "port", optarg, "-p") == -1)
				return EX_USAGE;
			break;
		case 'v':
			verbose++;
			break;
		case 'c':
			break;
		case 'h':
			usage(stdout);
			return EX_OK + 256;	/* exit 0 without running */
		case 'V':
			printf("chat-server %s\n", PACKAGE_VERSION);
			return EX_OK + 256;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (verbose > c->verbose)
		c->verbose = verbose;
	if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
		fprintf(stderr, "chat-server: --tls-cert and --tls-key go together\n");
		return EX_USAGE;
	}
	if (c->web_root != NULL && !c->no_web &&
	    (stat(c->web_root, &st) == -1 || !S_ISDIR(st.st_mode))) {
		fprintf(stderr, "chat-server: web root %s: not a directory\n",
		    c->web_root);
		return EX_CONFIG;
	}
	return 0;
}
