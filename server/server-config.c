/*
 * Settings.  One table below lists every option: its long name (also its
 * config-file key), short letter, kind, field, default, bounds and help.
 * Command-line parsing, the config file (`rate-limit = 100/200`), the
 * defaults and --help are all driven by it, so adding an option is adding
 * a row.  Defaults come from shared/chat-limits.h.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "server-config.h"
#include "server-metrics.h"
#include "chat-limits.h"
#include "redis-addr.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum config_kind {
	CONFIG_INT,		/* int field, a number in [min, max] */
	CONFIG_UNSIGNED,	/* unsigned field, likewise */
	CONFIG_SIZE,		/* size_t field, likewise */
	CONFIG_COUNT,		/* int; on the command line a flag, counted */
	CONFIG_STRING,		/* char * field, replaced */
	CONFIG_REDIS_URL,	/* likewise, if redis_addr_parse() takes it */
	CONFIG_ADDR,		/* char * field, a numeric ADDR:PORT */
	CONFIG_FLAG,		/* int; a flag on the command line, yes/no
				 * in a file */
	CONFIG_ORIGIN,		/* appended to origins[] */
	CONFIG_RATE,		/* RATE[/BURST] into rate and burst */
	CONFIG_FILE,		/* command line only: -c FILE */
	CONFIG_HELP,		/* command line only */
	CONFIG_VERSION,		/* command line only */
};

struct config_option {
	const char		*name;	/* long option and config-file key */
	int			 letter;	/* short option, 0 if none */
	enum config_kind	 kind;
	size_t			 field;	/* offsetof(struct server_config, x) */
	double			 def;	/* numbers' default */
	const char		*sdef;	/* strings' default, NULL for none */
	unsigned long long	 min, max;	/* numbers' bounds */
	const char		*arg;	/* argument's name in --help */
	const char		*help;
};

static int
config_check_redis(const char *value, char *err, size_t errlen)
{
	struct redis_addr	a;

	if (redis_addr_parse(value, &a, err, errlen) != 0)
		return -1;
	redis_addr_free(&a);
	return 0;
}

#define F(x)	offsetof(struct server_config, x)
static const struct config_option config_options[] = {
	{ "listen", 'l', CONFIG_STRING, F(listen), 0, "127.0.0.1", 0, 0,
	    "ADDR", "address to listen on" },
	{ "port", 'p', CONFIG_INT, F(port), 8080, NULL, 0, 65535,
	    "PORT", "port" },
	{ "config", 'c', CONFIG_FILE, 0, 0, NULL, 0, 0,
	    "FILE", "read settings from FILE (key = value)" },
	{ "verbose", 'v', CONFIG_COUNT, F(verbose), 0, NULL, 0, 3,
	    NULL, "log connections (twice: debug)" },
	{ "max-frame", 0, CONFIG_SIZE, F(max_frame), CHAT_FRAME_MAX_DEFAULT,
	    NULL, 128, 1 << 30, "BYTES", "largest WebSocket message" },
	{ "max-message", 0, CONFIG_SIZE, F(max_message),
	    CHAT_MESSAGE_MAX_DEFAULT, NULL, 1, 1 << 30,
	    "BYTES", "largest message text" },
	{ "max-room-name", 0, CONFIG_SIZE, F(max_room_name),
	    CHAT_ROOM_NAME_MAX, NULL, 1, CHAT_ROOM_NAME_MAX,
	    "BYTES", "longest room name" },
	{ "rate-limit", 0, CONFIG_RATE, F(rate), CHAT_RATE_DEFAULT, NULL, 0, 0,
	    "RATE[/BURST]", "messages per second per client; 0 turns flood "
	    "control off" },
	{ "max-clients", 0, CONFIG_UNSIGNED, F(max_clients), 0, NULL,
	    0, UINT_MAX, "N", "connections in all, 0 = unlimited" },
	{ "max-clients-per-ip", 0, CONFIG_UNSIGNED, F(max_clients_per_ip), 0,
	    NULL, 0, UINT_MAX, "N", "connections per address, 0 = unlimited" },
	{ "max-queue", 0, CONFIG_SIZE, F(max_queue), CHAT_OUTQ_MAX_DEFAULT,
	    NULL, 1024, 1ULL << 40, "BYTES",
	    "outbound bytes queued per client" },
	{ "ping-interval", 0, CONFIG_INT, F(ping_interval),
	    CHAT_PING_INTERVAL_DEFAULT, NULL, 0, CHAT_PING_SECS_MAX,
	    "SEC", "ping idle clients, 0 = never" },
	{ "ping-timeout", 0, CONFIG_INT, F(ping_timeout),
	    CHAT_PING_TIMEOUT_DEFAULT, NULL, 1, CHAT_PING_SECS_MAX,
	    "SEC", "drop clients that do not answer" },
	{ "shutdown-grace", 0, CONFIG_INT, F(shutdown_grace_ms),
	    CHAT_SHUTDOWN_GRACE_MS, NULL, 0, 600000, "MS",
	    "on SIGTERM, wait this long for clients to finish closing" },
	{ "tls-cert", 0, CONFIG_STRING, F(tls_cert), 0, NULL, 0, 0,
	    "FILE", "serve wss:// with this certificate..." },
	{ "tls-key", 0, CONFIG_STRING, F(tls_key), 0, NULL, 0, 0,
	    "FILE", "...and this private key" },
	{ "db", 0, CONFIG_STRING, F(db), 0, NULL, 0, 0,
	    "FILE", "keep ids, sessions, names and history in this SQLite "
	    "database (default: memory)" },
	{ "history", 0, CONFIG_UNSIGNED, F(history), CHAT_HISTORY_DEFAULT,
	    NULL, 0, CHAT_HISTORY_MAX, "N", "messages kept per room, 0 = none" },
	{ "session-ttl", 0, CONFIG_UNSIGNED, F(session_ttl),
	    CHAT_SESSION_TTL_DEFAULT, NULL, 1, CHAT_SESSION_TTL_MAX, "SEC",
	    "forget sessions unused this long" },
	{ "redis", 0, CONFIG_REDIS_URL, F(redis), 0, NULL, 0, 0, "URL",
	    "a node of a cluster: all state in Redis at "
	    "redis://HOST[:PORT][/DB] or unix:/PATH" },
	{ "metrics", 0, CONFIG_ADDR, F(metrics), 0, NULL, 0, 0, "ADDR:PORT",
	    "serve /metrics and /healthz over HTTP" },
	{ "allow-origin", 0, CONFIG_ORIGIN, F(origins), 0, NULL, 0, 0,
	    "ORIGIN", "accept browser upgrades only from ORIGIN (repeatable)" },
	{ "web-root", 0, CONFIG_STRING, F(web_root), 0, NULL, 0, 0, "DIR",
	    "serve the web client from DIR (default: the installed copy)" },
	{ "no-web", 0, CONFIG_FLAG, F(no_web), 0, NULL, 0, 0, NULL,
	    "serve no web client, only WebSockets" },
	{ "help", 'h', CONFIG_HELP, 0, 0, NULL, 0, 0, NULL, "show this help" },
	{ "version", 'V', CONFIG_VERSION, 0, 0, NULL, 0, 0,
	    NULL, "show the version" },
};
#undef F
#define CONFIG_NOPTIONS	(sizeof config_options / sizeof config_options[0])

/* Without a burst, a rate gets the default burst, or its own if larger. */
static double
config_burst_for(double rate)
{
	return rate > CHAT_BURST_DEFAULT ? rate : CHAT_BURST_DEFAULT;
}

void
config_defaults(struct server_config *c)
{
	const struct config_option	*o;
	char				*p;
	size_t				 i;

	memset(c, 0, sizeof *c);
	for (i = 0; i < CONFIG_NOPTIONS; i++) {
		o = &config_options[i];
		p = (char *)c + o->field;
		switch (o->kind) {
		case CONFIG_INT:
		case CONFIG_COUNT:
			*(int *)p = (int)o->def;
			break;
		case CONFIG_UNSIGNED:
			*(unsigned *)p = (unsigned)o->def;
			break;
		case CONFIG_SIZE:
			*(size_t *)p = (size_t)o->def;
			break;
		case CONFIG_STRING:
			if (o->sdef != NULL)
				*(char **)p = strdup(o->sdef);
			break;
		case CONFIG_RATE:
			c->rate = o->def;
			c->burst = config_burst_for(o->def);
			break;
		default:
			break;
		}
	}
}

void
config_free(struct server_config *c)
{
	free(c->listen);
	free(c->db);
	free(c->redis);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->metrics);
	for (int i = 0; i < c->norigins; i++)
		free(c->origins[i]);
	free(c->web_root);
}

static int
parse_ulong(const char *s, unsigned long long *out)
{
	char			*end;
	unsigned long long	 v;

	if (*s == '\0' || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
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
		burst = config_burst_for(rate);
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

static const struct config_option *
config_find(const char *name)
{
	size_t	i;

	for (i = 0; i < CONFIG_NOPTIONS; i++) {
		if (strcmp(config_options[i].name, name) == 0)
			return &config_options[i];
	}
	return NULL;
}

static int
config_set_option(struct server_config *c, const struct config_option *o,
    const char *value, const char *where)
{
	unsigned long long	 v = 0;
	char			*p = (char *)c + o->field, host[64];
	char			 err[256];
	int			 bad = 0, port;

	switch (o->kind) {
	case CONFIG_INT:
	case CONFIG_COUNT:
	case CONFIG_UNSIGNED:
	case CONFIG_SIZE:
		if (parse_ulong(value, &v) == -1) {
			bad = 1;
			break;
		}
		if (v < o->min || v > o->max) {
			fprintf(stderr, "chat-server: %s: bad value for %s: "
			    "'%s' (must be %llu to %llu)\n", where, o->name,
			    value, o->min, o->max);
			return -1;
		}
		if (o->kind == CONFIG_UNSIGNED)
			*(unsigned *)p = (unsigned)v;
		else if (o->kind == CONFIG_SIZE)
			*(size_t *)p = (size_t)v;
		else
			*(int *)p = (int)v;
		break;
	case CONFIG_REDIS_URL:
		if (config_check_redis(value, err, sizeof err) == -1) {
			fprintf(stderr, "chat-server: %s: %s\n", where, err);
			return -1;
		}
		/* FALLTHROUGH */
	case CONFIG_STRING:
		bad = set_string((char **)p, value);
		break;
	case CONFIG_ADDR:
		bad = metrics_parse_addr(value, host, sizeof host, &port) != 0 ||
		    set_string((char **)p, value) != 0;
		break;
	case CONFIG_FLAG:
		if (value == NULL || strcmp(value, "yes") == 0)
			*(int *)p = 1;
		else if (strcmp(value, "no") == 0)
			*(int *)p = 0;
		else
			bad = 1;
		break;
	case CONFIG_ORIGIN:
		if (c->norigins == CONFIG_ORIGINS_MAX)
			bad = 1;
		else if ((c->origins[c->norigins] = strdup(value)) != NULL)
			c->norigins++;
		break;
	case CONFIG_RATE:
		bad = parse_rate(c, value);
		break;
	default:
		bad = 1;
		break;
	}
	if (bad) {
		fprintf(stderr, "chat-server: %s: bad value for %s: '%s'\n",
		    where, o->name, value);
		return -1;
	}
	return 0;
}

int
config_set(struct server_config *c, const char *key, const char *value,
    const char *where)
{
	const struct config_option	*o = config_find(key);

	/* The command-line-only options are not settings. */
	if (o == NULL || o->kind == CONFIG_FILE || o->kind == CONFIG_HELP ||
	    o->kind == CONFIG_VERSION) {
		fprintf(stderr, "chat-server: %s: unknown setting '%s'\n",
		    where, key);
		return -1;
	}
	return config_set_option(c, o, value, where);
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

/* Print s at column col, wrapped at 79, continuing at column ind. */
static int
usage_words(FILE *f, const char *s, int col, int ind)
{
	const char	*e;
	int		 n;

	while (*s != '\0') {
		e = strchr(s, ' ');
		n = e != NULL ? (int)(e - s) : (int)strlen(s);
		if (col > ind && col + 1 + n > 79)
			col = fprintf(f, "\n%*s", ind, "") - 1;
		else if (col > ind)
			col += fprintf(f, " ");
		col += fprintf(f, "%.*s", n, s);
		s += n;
		while (*s == ' ')
			s++;
	}
	return col;
}

static void
usage(FILE *f)
{
	const struct config_option	*o;
	struct server_config		 d;
	char				 head[64], def[64];
	size_t				 i;
	int				 col;

	fprintf(f, "usage: chat-server [-hVv] [-c file] [-l address] "
	    "[-p port] [options]\n");
	config_defaults(&d);
	for (i = 0; i < CONFIG_NOPTIONS; i++) {
		o = &config_options[i];
		snprintf(head, sizeof head, "  %c%c%c --%s%s%s",
		    o->letter ? '-' : ' ', o->letter ? o->letter : ' ',
		    o->letter ? ',' : ' ', o->name, o->arg ? " " : "",
		    o->arg ? o->arg : "");
		col = fprintf(f, "%-32s", head);
		if (col > 32)
			col = fprintf(f, "\n%32s", "") - 1;
		col = usage_words(f, o->help, col, 32);
		def[0] = '\0';
		if (o->kind == CONFIG_STRING && o->sdef != NULL)
			snprintf(def, sizeof def, "(%s)", o->sdef);
		else if (o->kind == CONFIG_RATE)
			snprintf(def, sizeof def, "(%g/%g)", d.rate, d.burst);
		else if (o->kind == CONFIG_INT || o->kind == CONFIG_UNSIGNED ||
		    o->kind == CONFIG_SIZE)
			snprintf(def, sizeof def, "(%.0f)", o->def);
		usage_words(f, def, col, 32);
		fputc('\n', f);
	}
	config_free(&d);
}

/* getopt_long's tables, made from config_options. */
static void
config_getopt_tables(struct option *longopts, char *shortopts)
{
	const struct config_option	*o;
	size_t				 i;
	int				 arg;

	for (i = 0; i < CONFIG_NOPTIONS; i++) {
		o = &config_options[i];
		arg = o->kind == CONFIG_COUNT || o->kind == CONFIG_FLAG ||
		    o->kind == CONFIG_HELP || o->kind == CONFIG_VERSION ?
		    no_argument : required_argument;
		longopts[i].name = o->name;
		longopts[i].has_arg = arg;
		longopts[i].flag = NULL;
		/* A letter, or past any letter: the row's index. */
		longopts[i].val = o->letter ? o->letter : 256 + (int)i;
		if (o->letter) {
			*shortopts++ = (char)o->letter;
			if (arg == required_argument)
				*shortopts++ = ':';
		}
	}
	memset(&longopts[i], 0, sizeof longopts[i]);
	*shortopts = '\0';
}

static const struct config_option *
config_find_val(int val)
{
	size_t	i;

	if (val >= 256)
		return (size_t)(val - 256) < CONFIG_NOPTIONS ?
		    &config_options[val - 256] : NULL;
	for (i = 0; i < CONFIG_NOPTIONS; i++) {
		if (config_options[i].letter == val)
			return &config_options[i];
	}
	return NULL;
}

int
config_parse_args(struct server_config *c, int argc, char **argv)
{
	static struct option		 longopts[CONFIG_NOPTIONS + 1];
	static char			 shortopts[2 * CONFIG_NOPTIONS + 1];
	const struct config_option	*o;
	struct stat			 st;
	char				 where[8];
	int				 ch, verbose = 0;

	config_getopt_tables(longopts, shortopts);
	/* A config file first, so the command line overrides it. */
	optind = 1;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (ch == '?')
			return (usage(stderr), EX_USAGE);
		o = config_find_val(ch);
		if (o != NULL && o->kind == CONFIG_FILE &&
		    config_load_file(c, optarg) == -1)
			return EX_CONFIG;
	}
	optind = 1;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if ((o = config_find_val(ch)) == NULL) {
			usage(stderr);
			return EX_USAGE;
		}
		switch (o->kind) {
		case CONFIG_FILE:
			break;
		case CONFIG_COUNT:
			verbose++;
			break;
		case CONFIG_HELP:
			usage(stdout);
			return EX_OK + 256;	/* exit 0 without running */
		case CONFIG_VERSION:
			printf("chat-server %s\n", PACKAGE_VERSION);
			return EX_OK + 256;
		default:
			if (o->letter)
				snprintf(where, sizeof where, "-%c", o->letter);
			if (config_set_option(c, o, optarg, o->letter ? where :
			    "command line") == -1)
				return EX_USAGE;
			break;
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
	if (c->ping_interval > 0 &&
	    c->ping_interval + c->ping_timeout > CHAT_PING_SECS_MAX) {
		/* lws would wrap the sum and hang up on idle clients early. */
		fprintf(stderr, "chat-server: ping-interval + ping-timeout must "
		    "be at most %d seconds, not %d\n", CHAT_PING_SECS_MAX,
		    c->ping_interval + c->ping_timeout);
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
