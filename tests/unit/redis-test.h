/*
 * Unit tests against a real redis-server of their own: a free loopback
 * port (and a unix socket) in a temporary directory, started, killed and
 * restarted in place by PID.  Never the system service.
 */
#ifndef CHAT_REDIS_TEST_H
#define CHAT_REDIS_TEST_H

#include <sys/types.h>

#include <hiredis/hiredis.h>

struct event_base;
struct redis_conn_timing;

struct redis_proc {
	pid_t	 pid;
	int	 port;
	char	 dir[64];
	char	 sock[128];
	char	 log[128];
	int	 aof;		/* set before the first start; fsync always:
				 * with everysec, Redis may answer before
				 * writing the AOF while an fsync is slow */
};

/* Start (again, on the same port and directory); fails the test if it
 * does not answer PING.  aof: appendonly yes. */
void		 redis_start(struct redis_proc *);
/* kill -9 (and SIGCONT, should it be stopped). */
void		 redis_kill(struct redis_proc *);
/* Kill and remove the directory. */
void		 redis_cleanup(struct redis_proc *);
/* A command on a blocking connection of its own; the caller frees. */
redisReply	*redis_cmd(struct redis_proc *, const char *fmt, ...);
int		 free_port(void);
void		 msleep(unsigned ms);
/* Run base until *flag >= want or ms (times CHAT_TEST_TIMEOUT_SCALE)
 * pass; 1 if it got there. */
int		 redis_test_run(struct event_base *, const int *flag, int want,
		    unsigned ms);
/* Deadlines short enough for quick tests, long enough for a loaded
 * machine (times CHAT_TEST_TIMEOUT_SCALE). */
void		 redis_test_timing(struct redis_conn_timing *);

#endif
