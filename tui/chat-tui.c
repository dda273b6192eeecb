/*
 * chat-tui: a full-screen client for chat-server.
 *
 * The main thread runs a libevent loop: keys from stdin, signals, the room
 * list timer and the WebSocket's events (from tui-net's lws thread) all
 * update the model (tui-model.c); after that the requests the model queued
 * are sent, and the screen is drawn once by a low-priority event, so a
 * burst of messages costs one redraw.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "chat-limits.h"
#include "proto.h"
#include "tui-config.h"
#include "tui-input.h"
#include "tui-model.h"
#include "tui-net.h"
#include "tui-state.h"
#include "tui-ui.h"
#include "tui-url.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* How long a clean close on quit may take before we go anyway. */
#define TUI_QUIT_GRACE_MS	1500

struct tui_app {
	struct event_base	*base;
	struct tui_model	 model;
	struct tui_net		*net;
	struct event		*draw;
	struct event		*quit_timer;
	struct event		*pace_timer;	/* the next pasted line */
	int			 quitting;
	int			 stderr_fd;	/* the real stderr, for after */
};

static struct tui_app	*tui_app_exiting;

static void
tui_usage(FILE *f)
{
	fprintf(f,
	    "usage: chat-tui [-hV] [-n NAME] [-s URL|HOST:PORT] [--ca FILE]\n"
	    "                [--bell on|off]\n"
	    "  -s, --server URL   server to connect to (default %s,\n"
	    "                     or $CHAT_SERVER)\n"
	    "  -n, --name NAME    the name to be known by\n"
	    "      --ca FILE      CA certificate to verify a wss:// server\n"
	    "      --bell on|off  ring the terminal bell for mentions and\n"
	    "                     private messages not in view (default on)\n"
	    "  -h, --help         this help\n"
	    "  -V, --version      print the version\n"
	    "config: $XDG_CONFIG_HOME/chat-tui/config (server, name, bell)\n"
	    "state:  $XDG_STATE_HOME/chat-tui/ (session tokens)\n",
	    TUI_URL_DEFAULT);
}

/* Whatever happens, the terminal is given back. */
static void
tui_restore(void)
{
	tui_ui_end();
	if (tui_app_exiting != NULL && tui_app_exiting->stderr_fd != -1) {
		dup2(tui_app_exiting->stderr_fd, STDERR_FILENO);
		close(tui_app_exiting->stderr_fd);
		tui_app_exiting->stderr_fd = -1;
	}
}

static void
tui_schedule_draw(struct tui_app *app)
{
	if (app->model.dirty)
		event_active(app->draw, EV_TIMEOUT, 0);
}

static void
tui_quit(struct tui_app *app)
{
	struct timeval	tv = { TUI_QUIT_GRACE_MS / 1000,
	    (TUI_QUIT_GRACE_MS % 1000) * 1000 };

	if (app->quitting)
		return;
	app->quitting = 1;
	if (!tui_net_connected(app->net)) {
		event_base_loopbreak(app->base);
		return;
	}
	/* Close with 1000 and wait (briefly) for the close to finish. */
	tui_net_close(app->net);
	evtimer_add(app->quit_timer, &tv);
}

/* After every change to the model: send its requests, draw later. */
static void
tui_update(struct tui_app *app)
{
	struct proto_msg	req;

	struct timespec		ts;
	struct timeval		tv;
	int			ms;

	/* Pasted lines due now join the requests; wake up for the next. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ms = tui_model_pace(&app->model, (long long)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000);
	if (ms >= 0) {
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		evtimer_add(app->pace_timer, &tv);
	}
	/* A new session (or none): saved before anything else happens. */
	if (app->model.token_dirty) {
		app->model.token_dirty = false;
		if (tui_state_save_token(app->model.server,
		    app->model.token) == -1)
			tui_model_info(&app->model, "cannot save the session "
			    "token: %s", strerror(errno));
	}
	if (app->model.reconnect) {
		app->model.reconnect = false;
		tui_net_reconnect(app->net);
	}
	while (tui_model_pop_request(&app->model, &req)) {
		tui_net_send(app->net, &req);
		tui_model_request_free(&req);
	}
	if (app->model.quit)
		tui_quit(app);
	tui_schedule_draw(app);
}

static void
tui_pace_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	tui_update(arg);
}

static void
tui_draw_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tui_app	*app = arg;

	(void)fd;
	(void)what;
	if (app->model.dirty)
		tui_ui_draw(&app->model);
}

static void
tui_stdin_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tui_app	*app = arg;

	(void)fd;
	(void)what;
	tui_input_read(&app->model);
	tui_update(app);
}

static void
tui_winch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tui_app	*app = arg;

	(void)fd;
	(void)what;
	tui_ui_resize();
	tui_ui_size(&app->model);
	app->model.dirty = true;
	tui_update(app);
}

/* SIGTERM/SIGHUP/SIGINT, and the quit timer: leave the loop. */
static void
tui_stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tui_app	*app = arg;

	(void)fd;
	(void)what;
	event_base_loopbreak(app->base);
}

static void
tui_rooms_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tui_app	*app = arg;

	(void)fd;
	(void)what;
	tui_model_tick(&app->model);
	tui_update(app);
}

static void
tui_net_opened(void *arg)
{
	struct tui_app	*app = arg;

	tui_model_opened(&app->model);
	tui_update(app);
}

static void
tui_net_message(const char *buf, size_t len, void *arg)
{
	struct tui_app		*app = arg;
	struct proto_msg	 msg;

	if (proto_decode(buf, len, &msg) != 0)
		return;		/* not ours to show: ignore */
	tui_model_message(&app->model, &msg);
	proto_msg_free(&msg);
	tui_update(app);
}

static void
tui_net_closed(const char *why, unsigned code, unsigned retry_ms, void *arg)
{
	struct tui_app	*app = arg;

	if (app->quitting) {
		event_base_loopbreak(app->base);
		return;
	}
	(void)retry_ms;
	tui_model_closed_code(&app->model, why, code);
	/* Replaced: no retry until /reconnect. */
	if (app->model.hold)
		tui_net_hold(app->net);
	tui_update(app);
}

/* stderr is the terminal: keep lws and log noise off the screen. */
static void
tui_quiet_stderr(struct tui_app *app)
{
	const char	*path = getenv("CHAT_TUI_LOG");
	int		 fd;

	app->stderr_fd = dup(STDERR_FILENO);
	fd = open(path != NULL ? path : "/dev/null",
	    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd != -1) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server",	required_argument,	NULL, 's' },
		{ "ca",		required_argument,	NULL, 'c' },
		{ "name",	required_argument,	NULL, 'n' },
		{ "bell",	required_argument,	NULL, 'b' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	static struct tui_app	 app;	/* atexit() outlives main() */
	struct tui_url		 url;
	struct tui_net_cbs	 cbs;
	const char		*server, *ca = NULL, *error, *name = NULL;
	char			 label[300], *token, *cpath, *cerror;
	static struct tui_config config;
	struct event		*ev_stdin, *ev_winch, *ev_sig[3], *ev_rooms;
	struct timeval		 tv = { TUI_ROOMS_REFRESH_SEC, 0 };
	static const int	 sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	int			 ch, i;
	bool			 bell;

	setlocale(LC_ALL, "");
	/* Defaults, then the config file, $CHAT_SERVER, the command line. */
	memset(&config, 0, sizeof config);
	if ((cpath = tui_config_path()) != NULL &&
	    tui_config_load(cpath, &config, &cerror) == -1) {
		fprintf(stderr, "chat-tui: %s\n", cerror);
		return (EX_CONFIG);
	}
	free(cpath);
	server = getenv("CHAT_SERVER");
	if (server == NULL || *server == '\0')
		server = config.server != NULL ? config.server :
		    TUI_URL_DEFAULT;
	name = config.name;
	bell = !config.bell_off;
	while ((ch = getopt_long(argc, argv, "n:s:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			server = optarg;
			break;
		case 'c':
			ca = optarg;
			break;
		case 'n':
			if (!proto_name_valid(optarg, strlen(optarg))) {
				fprintf(stderr, "chat-tui: %s: invalid name "
				    "(1-32 letters, digits, _ and -, starting "
				    "with a letter)\n", optarg);
				return (EX_USAGE);
			}
			name = optarg;
			break;
		case 'b':
			if (tui_config_onoff(optarg, &bell) == -1) {
				fprintf(stderr, "chat-tui: --bell %s: expected "
				    "on or off\n", optarg);
				return (EX_USAGE);
			}
			break;
		case 'h':
			tui_usage(stdout);
			return (EX_OK);
		case 'V':
			printf("chat-tui %s\n", PACKAGE_VERSION);
			return (EX_OK);
		default:
			tui_usage(stderr);
			return (EX_USAGE);
		}
	}
	if (optind != argc) {
		tui_usage(stderr);
		return (EX_USAGE);
	}
	if (tui_url_parse(server, &url, &error) != 0) {
		fprintf(stderr, "chat-tui: %s: %s\n", server, error);
		return (EX_USAGE);
	}
	if (ca != NULL && access(ca, R_OK) != 0) {
		fprintf(stderr, "chat-tui: %s: %s\n", ca, strerror(errno));
		return (EX_NOINPUT);
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "chat-tui: needs a terminal\n");
		return (EX_USAGE);
	}
	signal(SIGPIPE, SIG_IGN);

	memset(&app, 0, sizeof app);
	app.stderr_fd = -1;
	if (strchr(url.host, ':') != NULL)
		snprintf(label, sizeof label, "%s[%s]:%d",
		    url.tls ? "wss://" : "", url.host, url.port);
	else
		snprintf(label, sizeof label, "%s%s:%d",
		    url.tls ? "wss://" : "", url.host, url.port);
	tui_model_init(&app.model, label);
	token = tui_state_load_token(label);
	tui_model_set_token(&app.model, token);
	free(token);
	tui_model_set_name(&app.model, name);
	tui_model_set_bell(&app.model, bell);

	if ((app.base = event_base_new()) == NULL ||
	    event_base_priority_init(app.base, 2) != 0) {
		fprintf(stderr, "chat-tui: cannot create event loop\n");
		return (EX_SOFTWARE);
	}
	cbs.opened = tui_net_opened;
	cbs.message = tui_net_message;
	cbs.closed = tui_net_closed;
	cbs.arg = &app;
	if ((app.net = tui_net_new(app.base, &url, ca, &cbs)) == NULL) {
		fprintf(stderr, "chat-tui: cannot set up the connection\n");
		return (EX_SOFTWARE);
	}

	ev_stdin = event_new(app.base, STDIN_FILENO, EV_READ | EV_PERSIST,
	    tui_stdin_cb, &app);
	ev_winch = evsignal_new(app.base, SIGWINCH, tui_winch_cb, &app);
	for (i = 0; i < 3; i++)
		ev_sig[i] = evsignal_new(app.base, sigs[i], tui_stop_cb,
		    &app);
	ev_rooms = event_new(app.base, -1, EV_PERSIST, tui_rooms_cb, &app);
	app.draw = event_new(app.base, -1, 0, tui_draw_cb, &app);
	app.quit_timer = evtimer_new(app.base, tui_stop_cb, &app);
	app.pace_timer = evtimer_new(app.base, tui_pace_cb, &app);
	/* Drawing waits until everything pending has been handled. */
	event_priority_set(app.draw, 1);

	tui_app_exiting = &app;
	atexit(tui_restore);
	if (tui_ui_init() != 0) {
		fprintf(stderr, "chat-tui: cannot initialise the terminal\n");
		return (EX_OSERR);
	}
	tui_quiet_stderr(&app);
	tui_ui_size(&app.model);
	/* After initscr: our SIGWINCH handler replaces curses' own. */
	event_add(ev_stdin, NULL);
	event_add(ev_winch, NULL);
	for (i = 0; i < 3; i++)
		event_add(ev_sig[i], NULL);
	event_add(ev_rooms, &tv);

	tui_model_info(&app.model, "chat-tui %s: connecting to %s "
	    "(F1 for help)", PACKAGE_VERSION, label);
	if (tui_net_start(app.net) != 0) {
		tui_restore();
		fprintf(stderr, "chat-tui: cannot start the network thread\n");
		return (EX_OSERR);
	}
	tui_ui_draw(&app.model);
	event_base_dispatch(app.base);

	tui_restore();
	tui_net_free(app.net);
	event_free(ev_stdin);
	event_free(ev_winch);
	for (i = 0; i < 3; i++)
		event_free(ev_sig[i]);
	event_free(ev_rooms);
	event_free(app.draw);
	event_free(app.quit_timer);
	event_free(app.pace_timer);
	event_base_free(app.base);
	tui_model_free(&app.model);
	tui_config_free(&config);
	return (EX_OK);
}
