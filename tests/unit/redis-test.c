/* Helpers of the unit tests that run a redis-server (redis-test.h). */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "redis-conn.h"
#include "redis-test.h"
#include "util.h"


int
free_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

void
msleep(unsigned ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* A blocking PING: 1 when Redis answers PONG. */
static int
redis_ping(struct redis_proc *r)
{
	struct timeval	 tv = { 0, 300000 };
	redisContext	*rc = redisConnectWithTimeout("127.0.0.1", r->port, tv);
	redisReply	*rep;
	int		 ok = 0;

	if (rc == NULL)
		return 0;
	if (rc->err == 0 && redisSetTimeout(rc, tv) == REDIS_OK &&
	    (rep = redisCommand(rc, "PING")) != NULL) {
		ok = rep->type == REDIS_REPLY_STATUS &&
		    strcmp(rep->str, "PONG") == 0;
		freeReplyObject(rep);
	}
	redisFree(rc);
	return ok;
}

/* A command on a blocking connection of its own, for checks. */
redisReply *
redis_cmd(struct redis_proc *r, const char *fmt, ...)
{
	redisContext	*rc = redisConnect("127.0.0.1", r->port);
	redisReply	*rep;
	va_list		 ap;

	assert_non_null(rc);
	assert_int_equal(rc->err, 0);
	va_start(ap, fmt);
	rep = redisvCommand(rc, fmt, ap);
	va_end(ap);
	redisFree(rc);
	assert_non_null(rep);
	return rep;
}

void
redis_start(struct redis_proc *r)
{
	char	port[16];
	int	i;

	if (r->port == 0) {
		snprintf(r->dir, sizeof r->dir, "/tmp/test-redis-conn.XXXXXX");
		assert_non_null(mkdtemp(r->dir));
		snprintf(r->sock, sizeof r->sock, "%s/redis.sock", r->dir);
		snprintf(r->log, sizeof r->log, "%s/redis.log", r->dir);
		r->port = free_port();
	}
	snprintf(port, sizeof port, "%d", r->port);
	r->pid = fork();
	assert_true(r->pid >= 0);
	if (r->pid == 0) {
		/* Its log next to its data, out of the TAP output; an
		 * exec failure still on our stderr. */
		FILE	*err = fdopen(fcntl(2, F_DUPFD_CLOEXEC, 3), "w");

		if (err == NULL || freopen(r->log, "a", stdout) == NULL)
			_exit(126);
		dup2(1, 2);
		execlp("redis-server", "redis-server", "--port", port,
		    "--bind", "127.0.0.1", "--save", "", "--appendonly", r->aof ? "yes" : "no",
		    "--appendfsync", "always",
		    "--dir", r->dir, "--unixsocket", r->sock,
		    "--unixsocketperm", "700", "--daemonize", "no",
		    "--loglevel", "warning", (char *)NULL);
		fprintf(err, "redis-server: %s (apt-get install "
		    "redis-server)\n", strerror(errno));
		fflush(err);
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		if (redis_ping(r))
			return;
		if (waitpid(r->pid, NULL, WNOHANG) == r->pid)
			fail_msg("redis-server exited (is it installed?)");
		msleep(25);
	}
	fail_msg("redis-server on port %d did not answer", r->port);
}

void
redis_kill(struct redis_proc *r)
{
	if (r->pid <= 0)
		return;
	kill(r->pid, SIGKILL);
	kill(r->pid, SIGCONT);
	waitpid(r->pid, NULL, 0);
	r->pid = 0;
}

void
redis_cleanup(struct redis_proc *r)
{
	redis_kill(r);
	if (r->dir[0] != '\0') {
		unlink(r->sock);
		unlink(r->log);
		if (r->aof) {
			char	cmd[128];

			/* appendonlydir/ and its files: ours alone */
			snprintf(cmd, sizeof cmd, "rm -rf %s/appendonlydir",
			    r->dir);
			if (system(cmd) != 0)
				fprintf(stderr, "cannot remove %s\n", cmd);
		}
		rmdir(r->dir);
	}
}

static double
test_scale(void)
{
	static double	 scale;
	const char	*env;

	if (scale == 0) {
		env = getenv("CHAT_TEST_TIMEOUT_SCALE");
		scale = env != NULL && atof(env) >= 1 ? atof(env) : 1;
	}
	return scale;
}

void
redis_test_timing(struct redis_conn_timing *t)
{
	double	s = test_scale();

	t->connect_ms = (unsigned)(1000 * s);
	t->command_ms = (unsigned)(1000 * s);
	t->heartbeat_ms = (unsigned)(200 * s);
	t->backoff_min_ms = 20;
	t->backoff_max_ms = (unsigned)(200 * s);
}

int
redis_test_run(struct event_base *base, const int *flag, int want,
    unsigned ms)
{
	uint64_t	 end;
	struct timeval	 tick = { 0, 10000 };

	end = util_now_ms() + (uint64_t)(ms * test_scale());
	while (*flag < want && util_now_ms() < end) {
		event_base_loopexit(base, &tick);
		event_base_loop(base, EVLOOP_ONCE);
	}
	return *flag >= want;
}
